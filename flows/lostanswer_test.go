package flows

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// lossyTransport sends every request to the real server, and for the
// first one that lose matches throws the answer away and answers 502
// instead: Wise carried the request out, the client never learns it.
type lossyTransport struct {
	base http.RoundTripper
	lose func(r *http.Request, form url.Values) bool

	mu   sync.Mutex
	lost int
}

func (l *lossyTransport) lostCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

func (l *lossyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var form url.Values
	if req.GetBody != nil {
		if b, err := req.GetBody(); err == nil {
			raw, _ := io.ReadAll(b)
			form, _ = url.ParseQuery(string(raw))
		}
	}
	resp, err := l.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	l.mu.Lock()
	lose := l.lost == 0 && l.lose(req, form)
	if lose {
		l.lost++
	}
	l.mu.Unlock()
	if !lose {
		return resp, nil
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return &http.Response{Status: "502 Bad Gateway", StatusCode: http.StatusBadGateway, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"text/plain"}}, Body: io.NopCloser(strings.NewReader("bad gateway")), Request: req}, nil
}

// loseFirst makes the fixture's service lose the first answer that lose
// matches, and retry without sleeping.
func (f *fixture) loseFirst(lose func(r *http.Request, form url.Values) bool) *lossyTransport {
	hc := wise.DefaultHTTPClient()
	l := &lossyTransport{base: hc.Transport, lose: lose}
	hc.Transport = l
	f.svc.http = hc
	f.svc.sleep = func(context.Context, time.Duration) error { return nil }
	return l
}

func grant(name string) func(*http.Request, url.Values) bool {
	return func(r *http.Request, form url.Values) bool {
		return r.URL.Path == "/oauth/token" && form.Get("grant_type") == name
	}
}

// A code exchange whose answer was lost is retried (a 502 is usually a
// gateway that never reached Wise), but if Wise did redeem the code, the
// retry is refused as a code already used: the error must say so, rather
// than suggest the code or the redirect URL was wrong.
func TestCodeExchangeRetriedAfterALostAnswerSaysTheCodeMayBeUsed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	const remote = "https://app.example.test/wise/callback"
	f.srv.RegisterClient(localwise.Client{ID: "remote-app", Secret: "remote-secret-0123456789", RedirectURLs: []string{remote}})
	f.addClient("app", "remote-app", "remote-secret-0123456789", remote, true)
	l := f.loseFirst(grant("authorization_code"))
	var code string
	login := func(as string) error {
		var shown string
		_, err := f.svc.login(context.Background(), LoginRequest{Client: "app", As: as, ShowURL: func(u string) { shown = u },
			ReadPasted: func(context.Context) (string, error) {
				if code == "" {
					m := codeOnPage.FindStringSubmatch(authorizeByHTTP(t, shown, localwise.DemoPersonalProfileID, "approve").body)
					if m == nil {
						t.Fatal("no code on the showCode page")
					}
					code = m[1]
				}
				return code, nil
			}})
		return err
	}
	before := f.walletBytes()

	err := login("bob")
	if l.lostCount() != 1 {
		t.Fatalf("%d answers lost, want 1", l.lostCount())
	}
	if !errors.Is(err, ErrLoginRefused) || errors.Is(err, ErrNeedsLogin) {
		t.Fatalf("Login after the exchange's answer was lost: %v, want ErrLoginRefused", err)
	}
	var lost *wise.AfterLostAnswer
	if !errors.Is(err, wise.ErrInvalidGrant) || !errors.As(err, &lost) || TraceID(err) == "" {
		t.Errorf("the refusal lost Wise's error (invalid_grant, the lost answer, the x-trace-id): %v", err)
	}
	for _, s := range []string{"may already have been used", "got no answer", "HTTP 502", "log in again"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("the error does not say %q: %v", s, err)
		}
	}
	if n := f.srv.Stats().AuthorizationCodeRequests; n != 2 {
		t.Errorf("authorization_code requests = %d, want 2 (the lost one and the retry)", n)
	}
	f.assertAbsent("bob")
	if string(before) != string(f.walletBytes()) {
		t.Error("the refused login changed the wallet")
	}

	// The same refusal without a lost answer keeps the ordinary message.
	err = login("bob")
	if !errors.Is(err, ErrLoginRefused) || strings.Contains(err.Error(), "may already have been used") {
		t.Errorf("a used code without a lost answer: %v", err)
	}
	if !errors.Is(err, wise.ErrInvalidGrant) || TraceID(err) == "" {
		t.Errorf("the refusal lost Wise's error (invalid_grant, the x-trace-id): %v", err)
	}
}

// A signup whose answer was lost is retried and answered 409 (the first
// attempt created the user, with this code). The login goes on to the
// grant, which succeeds with that code, instead of failing on the 409.
func TestSignupRetriedAfterALostAnswerFinishesTheLogin(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	f.addDemoClient("app")
	l := f.loseFirst(func(r *http.Request, _ url.Values) bool { return r.URL.Path == "/v1/user/signup/registration_code" })
	e, err := f.svc.loginRegistrationCode(context.Background(), RegistrationRequest{Client: "app", As: "erin", Email: "erin@example.test"})
	if l.lostCount() != 1 {
		t.Fatalf("%d answers lost, want 1", l.lostCount())
	}
	if err != nil {
		t.Fatalf("registration-code login after the signup's answer was lost: %v", err)
	}
	saved := f.saved("erin")
	if !sameEntry(saved, e) || saved.Status != wallet.StatusOK || saved.UserID == 0 {
		t.Errorf("saved entry: status %q, user %d", saved.Status, saved.UserID)
	}
	if st := meStatus(t, f.base, secretOf(t, saved, wallet.SecretAccessToken)); st != http.StatusOK {
		t.Errorf("the saved token: /v1/me HTTP %d", st)
	}
}

// The registration_code grant may be repeated: the code stays valid until
// the user claims the account, and a new grant replaces the tokens of the
// one whose answer was lost. Retrying it is what makes the login work.
func TestRegistrationGrantRetriedAfterALostAnswerWorks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	f.addDemoClient("app")
	l := f.loseFirst(grant("registration_code"))
	if _, err := f.svc.loginRegistrationCode(context.Background(), RegistrationRequest{Client: "app", As: "erin", Email: "erin@example.test"}); err != nil {
		t.Fatalf("registration-code login after the grant's answer was lost: %v", err)
	}
	if l.lostCount() != 1 || f.srv.Stats().RegistrationCodeRequests != 2 {
		t.Fatalf("%d answers lost, %d grants; want 1 and 2", l.lostCount(), f.srv.Stats().RegistrationCodeRequests)
	}
	saved := f.saved("erin")
	if st, code := refreshStatus(t, f.base, localwise.DemoClientID, localwise.DemoClientSecret, secretOf(t, saved, wallet.SecretRefreshToken)); st != http.StatusOK {
		t.Errorf("the saved refresh token: HTTP %d %s", st, code)
	}
}

// A refresh whose answer was lost may have rotated the refresh token at
// Wise, and the retry is then refused: the entry is marked for a new
// login as for any refused refresh token, and the message says that the
// lost attempt may be why.
func TestRefreshRefusedAfterALostAnswerSaysWhy(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	f.addDemoClient("app")
	f.regLogin("app", "alice", "alice@example.test")
	f.makeDue()
	l := f.loseFirst(grant("refresh_token"))
	_, err := f.svc.AccessToken(context.Background(), "alice")
	if l.lostCount() != 1 || f.srv.Stats().RefreshRequests != 2 {
		t.Fatalf("%d answers lost, %d refreshes; want 1 and 2", l.lostCount(), f.srv.Stats().RefreshRequests)
	}
	if !errors.Is(err, ErrNeedsLogin) || !strings.Contains(err.Error(), "an earlier attempt got no answer") || !strings.Contains(err.Error(), "HTTP 502") {
		t.Fatalf("refresh refused after a lost answer: %v", err)
	}
	if e := f.saved("alice"); e.Status != wallet.StatusNeedsLogin {
		t.Errorf("status %q, want needs_login", e.Status)
	}
}
