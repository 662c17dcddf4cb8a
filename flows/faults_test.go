package flows

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// recordWaits makes c record its retry delays instead of sleeping them.
func recordWaits(c *wise.Client) *[]time.Duration {
	var waits []time.Duration
	c.Sleep = func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}
	return &waits
}

func TestNetworkDownIsUnavailableAndChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	f.addDemoClient("app")
	f.regLogin("app", "alice", "alice@example.test")
	want := f.saved("alice")
	if err := f.srv.Close(); err != nil { // Wise is unreachable from now on
		t.Fatal(err)
	}
	f.makeDue()
	before := f.walletBytes()

	_, err := f.svc.AccessToken(context.Background(), "alice")
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrNeedsLogin) {
		t.Fatalf("refresh with the network down: %v, want ErrUnavailable only", err)
	}
	for _, s := range []string{"POST /oauth/token", "connection refused", "after 4 attempts", "nothing was changed"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("the message lacks %q: %v", s, err)
		}
	}
	if !slices.Equal(before, f.walletBytes()) {
		t.Error("a failed refresh changed the wallet file")
	}
	if got := f.saved("alice"); !sameEntry(got, want) {
		t.Error("a failed refresh changed the entry")
	}
}

func TestServerErrorsDuringRefreshKeepTheTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	f.addDemoClient("app")
	f.regLogin("app", "alice", "alice@example.test")
	want := f.saved("alice")
	f.makeDue()
	before := f.walletBytes()
	ctx := context.Background()

	f.srv.SetFaults(localwise.Faults{Fail5xx: 10})
	_, err := f.svc.AccessToken(ctx, "alice")
	f.srv.SetFaults(localwise.Faults{})
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrNeedsLogin) {
		t.Fatalf("refresh during an outage: %v, want ErrUnavailable only", err)
	}
	if !traceIDInText.MatchString(err.Error()) {
		t.Errorf("no x-trace-id in %v", err)
	}
	if !slices.Equal(before, f.walletBytes()) || !sameEntry(f.saved("alice"), want) {
		t.Error("a refresh that failed with 500s changed the wallet")
	}

	// Two 500s are absorbed by the retries (real, short sleeps here).
	f.srv.SetFaults(localwise.Faults{Fail5xx: 2})
	tok, err := f.svc.AccessToken(ctx, "alice")
	if err != nil {
		t.Fatalf("refresh after two 500s: %v", err)
	}
	if tok.RevealString() == secretOf(t, want, wallet.SecretAccessToken) || f.srv.Stats().RefreshRequests != 1 {
		t.Errorf("not refreshed exactly once (refresh requests %d)", f.srv.Stats().RefreshRequests)
	}
}

// A refresh that must wait (Retry-After, backoff) waits without the
// wallet lock: another process using the wallet meanwhile is not blocked
// (it used to give up after 10 s with "wallet is busy" while a 429 kept
// the lock for up to 30 s a try). The second process here is a second
// unlock of the same file, which locks it as another process would; it
// runs inside the first one's wait, so it must finish before the first
// can go on. The first then re-checks and takes the token the second got
// instead of refreshing again.
func TestRefreshWaitsOutRetryAfterWithoutTheLock(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	f.addDemoClient("app")
	f.regLogin("app", "alice", "alice@example.test")
	oldAccess := secretOf(t, f.saved("alice"), wallet.SecretAccessToken)
	f.makeDue()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	other := New(f.reopen(), Options{HTTP: f.svc.http, Now: f.clock.Now})
	other.sleep = func(context.Context, time.Duration) error {
		t.Error("the second process was asked to wait too")
		return nil
	}
	var waits []time.Duration
	var otherTok crypto.Secret
	var otherErr error
	f.svc.sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		otherTok, otherErr = other.AccessToken(ctx, "alice")
		return nil
	}
	f.srv.SetFaults(localwise.Faults{RateLimit: 1, RetryAfter: 12})
	tok, err := f.svc.AccessToken(ctx, "alice")
	f.srv.SetFaults(localwise.Faults{})

	if otherErr != nil {
		t.Fatalf("the second process, during the first one's Retry-After wait: %v", otherErr)
	}
	if err != nil {
		t.Fatalf("the first process after its wait: %v", err)
	}
	if !slices.Equal(waits, []time.Duration{12 * time.Second}) {
		t.Errorf("the first process waited %v, want the 12 s of Retry-After once", waits)
	}
	if tok.RevealString() == oldAccess || !tok.Equal(otherTok) {
		t.Error("the first process did not take the token the second one refreshed")
	}
	if st := f.srv.Stats(); st.RefreshRequests != 1 || st.Injected429 != 1 {
		t.Errorf("%d refreshes reached Wise and %d were rate-limited; want 1 and 1", st.RefreshRequests, st.Injected429)
	}
	if got := secretOf(t, f.saved("alice"), wallet.SecretAccessToken); got != tok.RevealString() {
		t.Error("the wallet does not hold the token both processes returned")
	}
}

func TestRevokedRefreshTokenMarksOnlyThatEntry(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	ctx := context.Background()
	f.addDemoClient("app")
	if _, err := f.svc.addPersonalChecked(ctx, "pt", f.env, crypto.SecretString(localwise.DemoPersonalToken)); err != nil {
		t.Fatal(err)
	}
	f.regLogin("app", "alice", "alice@example.test")
	f.regLogin("app", "bob", "bob@example.test")
	before := f.reopen().Entries()

	// The user revoked the app at Wise: every refresh token is dead.
	f.srv.SetFaults(localwise.Faults{RevokeRefreshTokens: true})
	f.makeDue()
	_, err := f.svc.AccessToken(ctx, "alice")
	if !errors.Is(err, ErrNeedsLogin) {
		t.Fatalf("refresh with a revoked token: %v, want ErrNeedsLogin", err)
	}
	// alice was created by registration code: she has no password for the
	// browser login, so the hint is the registration-code login.
	var nl *NeedsLoginError
	if !errors.As(err, &nl) || nl.Entry != "alice" || nl.Client != "app" || nl.Email != "alice@example.test" || nl.Unfinished {
		t.Errorf("the error does not say how to log in again: %v", err)
	}
	after := f.reopen().Entries()
	if len(after) != len(before) {
		t.Fatalf("%d entries before, %d after", len(before), len(after))
	}
	for i, e := range after {
		was := before[i]
		if e.Name != "alice" {
			if !sameEntry(e, was) {
				t.Errorf("entry %q changed", e.Name)
			}
			continue
		}
		if e.Status != wallet.StatusNeedsLogin {
			t.Errorf("alice: status %q, want needs_login", e.Status)
		}
		for _, field := range []string{wallet.SecretAccessToken, wallet.SecretRefreshToken, wallet.SecretRegistrationCode} {
			if secretOf(t, e, field) != secretOf(t, was, field) {
				t.Errorf("alice: %s changed", field)
			}
		}
	}
	if rows := StatusOf(viewsOf(after), time.Now()); !slices.ContainsFunc(rows, func(r EntryStatus) bool { return r.Name == "alice" && r.Status == "needs_login" }) {
		t.Error("status does not report alice as needs_login")
	}

	// Asked again, it answers at once: no retry loop against Wise.
	n, bytesBefore := f.srv.Stats().RefreshRequests, f.walletBytes()
	if _, err := f.svc.AccessToken(ctx, "alice"); !errors.Is(err, ErrNeedsLogin) {
		t.Fatalf("second call: %v", err)
	}
	if f.srv.Stats().RefreshRequests != n || !slices.Equal(bytesBefore, f.walletBytes()) {
		t.Error("a marked entry was refreshed again or saved again")
	}

	// The command line: exit 5 and the command to run, for an entry
	// already marked and for one whose refresh the binary itself attempts.
	c := cli{t: t, bin: buildCLI(t), dir: f.dir}
	f.expireSoon("bob")
	for _, name := range []string{"alice", "bob"} {
		r := c.run("", "token", name)
		if r.code != 5 || r.stdout != "" || !strings.Contains(r.stderr, "wisewallet login app --as "+name+" --registration-code --email "+name+"@example.test") {
			t.Errorf("wisewallet token %s: exit %d, stdout %d bytes, stderr %q", name, r.code, len(r.stdout), r.stderr)
		}
	}
	if e := f.saved("bob"); e.Status != wallet.StatusNeedsLogin {
		t.Errorf("bob after the CLI's refresh attempt: status %q", e.Status)
	}
}

// An interrupted registration-code login (Ctrl-C, a crash, a timeout)
// leaves the code saved in a pending entry. Running the login again must
// finish the job, whether the interruption came before or after the
// signup reached Wise.
func TestRegistrationLoginResumesAfterInterruption(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	f.addDemoClient("app")

	interrupt := func(as string) wallet.Entry {
		t.Helper()
		f.srv.SetFaults(localwise.Faults{Latency: 10 * time.Second})
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		_, err := f.svc.loginRegistrationCode(ctx, RegistrationRequest{Client: "app", As: as, Email: as + "@example.test"})
		cancel()
		f.srv.SetFaults(localwise.Faults{})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("interrupted login: %v", err)
		}
		e := f.saved(as)
		if e.Status != wallet.StatusNeedsLogin || !e.Secret(wallet.SecretAccessToken).IsZero() {
			t.Fatalf("pending entry: status %q", e.Status)
		}
		secretOf(t, e, wallet.SecretRegistrationCode)
		// Meanwhile the entry says what to run, not that Wise refused it.
		_, err = f.svc.AccessToken(context.Background(), as)
		var nl *NeedsLoginError
		if !errors.Is(err, ErrNeedsLogin) || !strings.Contains(err.Error(), "did not finish") ||
			!errors.As(err, &nl) || !nl.Unfinished || nl.Client != "app" || nl.Entry != as || nl.Email != as+"@example.test" {
			t.Errorf("token for a pending entry: %v", err)
		}
		return e
	}

	t.Run("before the signup", func(t *testing.T) {
		pending := interrupt("erin")
		e, err := f.svc.loginRegistrationCode(context.Background(), RegistrationRequest{Client: "app", As: "erin", Email: "erin@example.test"})
		if err != nil {
			t.Fatalf("second attempt: %v", err)
		}
		if secretOf(t, e, wallet.SecretRegistrationCode) != secretOf(t, pending, wallet.SecretRegistrationCode) || f.saved("erin").Status != wallet.StatusOK {
			t.Error("the login did not finish with the saved code")
		}
	})
	t.Run("after the signup", func(t *testing.T) {
		pending := interrupt("frank")
		// The signup went through before the interruption cut the answer.
		cc, err := f.svc.AccessToken(context.Background(), "app")
		if err != nil {
			t.Fatal(err)
		}
		_, err = wise.NewClient(f.base, nil).SignupRegistrationCode(context.Background(), cc, "frank@example.test",
			crypto.SecretString(secretOf(t, pending, wallet.SecretRegistrationCode)), "")
		if err != nil {
			t.Fatalf("signup: %v", err)
		}
		if _, err := f.svc.loginRegistrationCode(context.Background(), RegistrationRequest{Client: "app", As: "frank", Email: "frank@example.test"}); err != nil {
			t.Fatalf("second attempt: %v", err)
		}
		if f.saved("frank").Status != wallet.StatusOK {
			t.Error("the login did not finish")
		}
	})
}
