package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/flows/localwise"
)

func TestNextRefreshIsWhenRefreshDueTurns(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		issued *time.Time
		exp    time.Time
	}{
		{renewTime(base), base.Add(12 * time.Hour)},
		{renewTime(base), base.Add(3 * time.Minute)},
		{nil, base.Add(time.Hour)},
	} {
		v := EntryView{Kind: KindUser,
			EntryTokens: EntryTokens{AccessIssuedAt: tc.issued, AccessExpiresAt: renewTime(tc.exp)},
		}
		at, ok := NextRefresh(v)
		if !ok {
			t.Fatal("a user entry is not renewable")
		}
		if refreshDue(tc.issued, &tc.exp, at.Add(-time.Second)) || !refreshDue(tc.issued, &tc.exp, at.Add(time.Second)) {
			t.Errorf("NextRefresh %s disagrees with refreshDue (issued %v, expires %s)", at, tc.issued, tc.exp)
		}
	}
	for _, v := range []EntryView{
		{Kind: KindPersonal},
		{Kind: KindClient}, // no cached token
		{Kind: KindUser, Status: StatusNeedsLogin,
			EntryTokens: EntryTokens{AccessExpiresAt: renewTime(base)},
		},
		{Kind: KindUser, Status: StatusRevoked},
		{Kind: KindMTLS,
			EntryCertificate: EntryCertificate{NotAfter: renewTime(base)},
		},
	} {
		if _, ok := NextRefresh(v); ok {
			t.Errorf("a %s entry with status %q counts as renewable", v.Kind, v.Status)
		}
	}
}

func renewTime(t time.Time) *time.Time { return &t }

// renewFixture: at base, "due" is past three quarters of its token's
// life, "fresh" is not, "broken" needs a login, "key" renews nothing.
func renewFixture(base time.Time) []EntryView {
	return []EntryView{
		{Name: "broken", Kind: KindUser, Status: StatusNeedsLogin,
			EntryTokens: EntryTokens{AccessIssuedAt: renewTime(base.Add(-11 * time.Hour)), AccessExpiresAt: renewTime(base.Add(time.Hour))},
		},
		{Name: "due", Kind: KindUser,
			EntryTokens: EntryTokens{AccessIssuedAt: renewTime(base.Add(-10 * time.Hour)), AccessExpiresAt: renewTime(base.Add(2 * time.Hour))},
		},
		{Name: "fresh", Kind: KindClient,
			EntryTokens: EntryTokens{AccessIssuedAt: renewTime(base), AccessExpiresAt: renewTime(base.Add(12 * time.Hour))},
		},
		{Name: "key", Kind: KindJOSE,
			EntryKey: EntryKey{ValidTill: renewTime(base.Add(time.Minute))},
		},
	}
}

func TestRenewerBacksOffAfterAFailureAndForgetsItAfterASuccess(t *testing.T) {
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	entries := renewFixture(base)
	r := NewRenewer()
	if got := r.Due(entries, base, false); !slices.Equal(got, []string{"due"}) {
		t.Fatalf("due at the start: %v, want [due]", got)
	}
	if next := r.Next(entries); !next.Equal(base.Add(-time.Hour)) {
		t.Errorf("next renewal %s, want the due entry's %s", next, base.Add(-time.Hour))
	}
	down := fmt.Errorf("refreshing: %w", ErrUnavailable)
	var waits []time.Duration
	now := base
	for range 8 {
		outcome, f := r.Record(RefreshResult{Name: "due", At: now, Err: down}, now)
		if outcome != Failed || !errors.Is(f.Err, ErrUnavailable) {
			t.Fatalf("a failure was not recorded: %+v", f)
		}
		waits = append(waits, f.RetryAt.Sub(now))
		if got := r.Due(entries, f.RetryAt.Add(-time.Second), false); len(got) != 0 {
			t.Fatalf("renewed during its back-off: %v", got)
		}
		if got := r.Due(entries, f.RetryAt.Add(-time.Second), true); !slices.Equal(got, []string{"due"}) {
			t.Fatalf("refresh now did not ignore the back-off: %v", got)
		}
		if next := r.Next(entries); !next.Equal(f.RetryAt) {
			t.Fatalf("next renewal %s during a back-off until %s", next, f.RetryAt)
		}
		now = f.RetryAt
		if got := r.Due(entries, now, false); !slices.Equal(got, []string{"due"}) {
			t.Fatalf("not renewed after its back-off: %v", got)
		}
	}
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	if !slices.Equal(waits, want) {
		t.Errorf("back-off %v, want %v", waits, want)
	}
	if outcome, _ := r.Record(RefreshResult{Name: "due", At: now}, now); outcome != Renewed {
		t.Error("a success was recorded as a failure")
	}
	if _, ok := r.Failure("due"); ok {
		t.Error("the failure outlived a success")
	}
	_, f := r.Record(RefreshResult{Name: "due", At: now, Err: down}, now)
	if f.Count != 1 || !f.RetryAt.Equal(now.Add(FirstRetry)) {
		t.Errorf("after a success the back-off starts again: %+v", f)
	}
	// An entry gone at its turn has not failed.
	if outcome, _ := r.Record(RefreshResult{Name: "gone", At: now, Gone: true, Err: fmt.Errorf("x: %w", ErrEntryNotFound)}, now); outcome != Skipped {
		t.Error("a removed entry counts as a failed refresh")
	}
}

func TestRenewerForgetsAFailureOnceTheEntryIsSavedAgainOrGone(t *testing.T) {
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	entries := renewFixture(base)
	r := NewRenewer()
	r.Record(RefreshResult{Name: "due", At: base, Err: ErrUnavailable}, base)
	r.Record(RefreshResult{Name: "fresh", At: base, Err: ErrUnavailable}, base)
	r.Observe(entries)
	if _, ok := r.Failure("due"); !ok {
		t.Fatal("a failure was forgotten though nothing changed")
	}
	entries[1].UpdatedAt = base.Add(time.Second) // logged in again elsewhere
	r.Observe(entries[1:2])
	if _, ok := r.Failure("due"); ok {
		t.Error("the failure outlived a save of the entry")
	}
	if _, ok := r.Failure("fresh"); ok {
		t.Error("the failure of an entry no longer there was kept")
	}
}

func TestRefreshRenewsEachDueEntryAndGoesOnAfterAFailure(t *testing.T) {
	f := newFixture(t, localwise.Config{})
	f.addDemoClient("acme-app")
	f.regLogin("acme-app", "a-user", "a.user@localwise.test")
	f.srv.RevokeRefreshTokens() // a-user's refresh token is now rejected
	f.regLogin("acme-app", "b-user", "b.user@localwise.test")
	f.makeDue()
	r := NewRenewer()
	due := r.Due(f.svc.Entries(), f.svc.now(), false)
	res := f.svc.Refresh(context.Background(), append(due, "not-there"))
	got := map[string]error{}
	for _, x := range res {
		got[x.Name] = x.Err
		r.Record(x, f.svc.now())
	}
	if len(res) != 3 {
		t.Fatalf("Refresh tried %d entries, want 3 (the client's cached token and two users)", len(res))
	}
	var nl *NeedsLoginError
	if !errors.Is(got["a-user"], ErrNeedsLogin) || TraceID(got["a-user"]) == "" || !errors.As(got["a-user"], &nl) || nl.Client != "acme-app" {
		t.Errorf("a-user: %v (want a NeedsLoginError naming its client, with an x-trace-id)", got["a-user"])
	}
	if got["b-user"] != nil || got["acme-app"] != nil {
		t.Errorf("the entries after the failure were not renewed: b-user %v, acme-app %v", got["b-user"], got["acme-app"])
	}
	// Renewed, or marked: nothing is due any more, and a name that is no
	// longer due is left out even when asked for.
	if again := r.Due(f.svc.Entries(), f.svc.now(), false); len(again) != 0 {
		t.Errorf("still due after the refresh: %v", again)
	}
	if again := f.svc.Refresh(context.Background(), due); len(again) != 0 {
		t.Errorf("Refresh renewed entries that were not due: %d results", len(again))
	}
}

// A login whose OAuth client was removed is not gone: its refresh fails
// with the client's name, and waits for the client instead of being
// retried (or taken for a success) on every tick.
func TestALoginWhoseClientIsGoneFailsAndWaitsForTheClient(t *testing.T) {
	f := newFixture(t, localwise.Config{})
	ctx := context.Background()
	f.addDemoClient("acme-app")
	f.regLogin("acme-app", "a-user", "a.user@localwise.test")
	if err := f.svc.Remove(ctx, "acme-app"); err != nil {
		t.Fatal(err)
	}
	f.makeDue()
	var r Renewer
	now := f.svc.now()
	res := f.svc.Refresh(ctx, r.Due(f.svc.Entries(), now, false))
	if len(res) != 1 || res[0].Name != "a-user" {
		t.Fatalf("Refresh: %+v, want the user entry's outcome", res)
	}
	var missing *MissingClientError
	if !errors.As(res[0].Err, &missing) || missing.Entry != "a-user" || missing.Client != "acme-app" {
		t.Fatalf("refresh without its client: %v, want a MissingClientError naming a-user and acme-app", res[0].Err)
	}
	if res[0].Gone || errors.Is(res[0].Err, ErrEntryNotFound) {
		t.Errorf("the entry is there, but its result says it is gone: %+v", res[0])
	}
	outcome, fl := r.Record(res[0], now)
	if outcome != Failed || !fl.Held {
		t.Fatalf("Record: %v %+v, want a held failure", outcome, fl)
	}
	later := now.Add(2 * MaxRetry)
	if got := r.Due(f.svc.Entries(), later, false); len(got) != 0 {
		t.Errorf("retried without its client: %v", got)
	}
	if v, _ := f.svc.Entry("a-user"); !r.Next([]EntryView{v}).IsZero() {
		t.Error("a held entry still has a next renewal time")
	}
	f.addDemoClient("acme-app")
	r.Observe(f.svc.Entries())
	if _, ok := r.Failure("a-user"); ok {
		t.Fatal("the failure outlived adding the client again")
	}
	due := r.Due(f.svc.Entries(), f.svc.now(), false)
	if !slices.Contains(due, "a-user") {
		t.Fatalf("not renewed once its client is back: %v", due)
	}
	for _, x := range f.svc.Refresh(ctx, due) {
		if outcome, _ := r.Record(x, f.svc.now()); outcome != Renewed {
			t.Errorf("%s: %v after the client came back", x.Name, x.Err)
		}
	}
}

func TestRenewerHoldsWhatRetryingCannotFixAndKeepsALongerRetryAfter(t *testing.T) {
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	entries := renewFixture(base)
	fail := func(err error) Failure {
		t.Helper()
		r := NewRenewer()
		outcome, f := r.Record(RefreshResult{Name: "due", At: base, Err: err}, base)
		if outcome != Failed {
			t.Fatalf("%v was not recorded as a failure", err)
		}
		return f
	}
	// Permanent: held until saved again, not retried every MaxRetry.
	for _, err := range []error{
		fmt.Errorf("x: %w", ErrInvalidClient),
		&MissingClientError{Entry: "due", Client: "gone-app"},
		&KindError{Entry: "due", Kind: KindPersonal, Want: KindUser},
	} {
		if f := fail(err); !f.Held || !f.waiting(base.Add(24*time.Hour)) {
			t.Errorf("%v: %+v, want held", err, f)
		}
	}
	// Transient, even when it names the client: backed off, not held.
	if f := fail(fmt.Errorf("%w: %w", ErrUnavailable, ErrInvalidClient)); f.Held || !f.RetryAt.Equal(base.Add(FirstRetry)) {
		t.Errorf("a transient invalid_client: %+v, want the first back-off", f)
	}
	// A Retry-After longer than the back-off is kept; a shorter one is not.
	limited := func(d time.Duration) error {
		return fmt.Errorf("%w: %w", ErrUnavailable, &APIError{Op: "POST /oauth/token", Status: 429, RetryAfter: d})
	}
	if f := fail(limited(20 * time.Minute)); !f.RetryAt.Equal(base.Add(20 * time.Minute)) {
		t.Errorf("Retry-After 20m: retry at %s, want %s", f.RetryAt, base.Add(20*time.Minute))
	}
	if f := fail(limited(time.Second)); !f.RetryAt.Equal(base.Add(FirstRetry)) {
		t.Errorf("Retry-After 1s: retry at %s, want the back-off's %s", f.RetryAt, base.Add(FirstRetry))
	}
	r := NewRenewer()
	r.Record(RefreshResult{Name: "due", Err: limited(20 * time.Minute)}, base)
	if got := r.Due(entries, base.Add(10*time.Minute), false); len(got) != 0 {
		t.Errorf("renewed during Wise's Retry-After: %v", got)
	}
	// Held: "refresh now" still tries, and a save of the entry (in the
	// same second as the failure) ends the hold.
	r = NewRenewer()
	r.Record(RefreshResult{Name: "due", Err: ErrInvalidClient}, base.Add(500*time.Millisecond))
	if got := r.Due(entries, base.Add(time.Hour), true); !slices.Equal(got, []string{"due"}) {
		t.Errorf("refresh now skipped a held entry: %v", got)
	}
	saved := slices.Clone(entries)
	saved[1].UpdatedAt = base
	r.Observe(saved)
	if _, ok := r.Failure("due"); ok {
		t.Error("a save in the second of the failure did not end it")
	}
}

func TestRenewerZeroValueAndTheCallersClock(t *testing.T) {
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	entries := renewFixture(base)
	var r Renewer // no NewRenewer: must not panic
	r.Observe(entries)
	// The Service's time in the result is not the renewer's clock.
	outcome, f := r.Record(RefreshResult{Name: "due", At: base.Add(time.Hour), Err: ErrUnavailable}, base)
	if outcome != Failed || !f.At.Equal(base) || !f.RetryAt.Equal(base.Add(FirstRetry)) {
		t.Fatalf("Record at base: %v %+v, want a failure at base retried after %s", outcome, f, FirstRetry)
	}
	if got := r.Due(entries, base.Add(time.Second), false); len(got) != 0 {
		t.Errorf("renewed during its back-off: %v", got)
	}
	// A clock set back half an hour would otherwise wait that long.
	if got := r.Due(entries, base.Add(-30*time.Minute), false); !slices.Equal(got, []string{"due"}) {
		t.Errorf("after the clock was set back: %v, want the back-off over", got)
	}
	// The same-second save ends a failure.
	saved := slices.Clone(entries)
	saved[1].UpdatedAt = base
	r.Observe(saved)
	if _, ok := r.Failure("due"); ok {
		t.Error("a save at the second of the failure did not end it")
	}
}
