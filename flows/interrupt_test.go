package flows

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// cancelAfterTokens passes requests to the real server and cancels a
// context as soon as an answer with user tokens (a refresh_token) has been
// read: Ctrl-C right after the code was exchanged, when the code is spent
// and the tokens exist only in this process.
type cancelAfterTokens struct {
	base   http.RoundTripper
	cancel context.CancelFunc
}

func (c *cancelAfterTokens) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	if err != nil || req.URL.Path != "/oauth/token" {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if bytes.Contains(body, []byte(`"refresh_token"`)) {
		c.cancel()
	}
	return resp, nil
}

// interruptAfterExchange makes the fixture's service cancel the returned
// context right after it receives user tokens.
func (f *fixture) interruptAfterExchange() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	f.t.Cleanup(cancel)
	hc := wise.DefaultHTTPClient()
	hc.Transport = &cancelAfterTokens{base: hc.Transport, cancel: cancel}
	f.svc.http = hc
	return ctx
}

// Ctrl-C after the exchange must not cost the tokens: they are saved
// before anything else, whatever the context says; who logged in is
// filled in later (whoami) when it could not be fetched.
func TestInterruptAfterTheCodeExchangeKeepsTheTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	const remote = "https://app.example.test/wise/callback"
	f.srv.RegisterClient(localwise.Client{ID: "remote-app", Secret: "remote-secret-0123456789", RedirectURLs: []string{remote}})
	f.addClient("app", "remote-app", "remote-secret-0123456789", remote, true)
	ctx := f.interruptAfterExchange()
	var shown string
	e, err := f.svc.login(ctx, LoginRequest{Client: "app", As: "bob", ShowURL: func(u string) { shown = u },
		ReadPasted: func(context.Context) (string, error) {
			m := codeOnPage.FindStringSubmatch(authorizeByHTTP(t, shown, localwise.DemoPersonalProfileID, "approve").body)
			if m == nil {
				t.Fatal("no code on the showCode page")
			}
			return m[1], nil
		}})
	if ctx.Err() == nil {
		t.Fatal("the context was not cancelled after the exchange")
	}
	if err != nil {
		t.Fatalf("Login interrupted after the exchange: %v", err)
	}
	saved := f.saved("bob")
	if !sameEntry(saved, e) || saved.Status != wallet.StatusOK {
		t.Fatalf("the returned entry is not the saved one, or status %q", saved.Status)
	}
	if st := meStatus(t, f.base, secretOf(t, saved, wallet.SecretAccessToken)); st != http.StatusOK {
		t.Errorf("the saved access token: /v1/me HTTP %d", st)
	}
	secretOf(t, saved, wallet.SecretRefreshToken)
	if saved.UserID != 0 {
		t.Errorf("user %d recorded although the identity call was interrupted", saved.UserID)
	}
	// whoami fills in what the interrupted login could not.
	if _, _, err := New(f.reopen(), Options{HTTP: wise.DefaultHTTPClient()}).Whoami(context.Background(), "bob"); err != nil {
		t.Fatal(err)
	}
	if got := f.saved("bob"); got.UserID != localwise.DemoUserID {
		t.Errorf("after whoami: user %d", got.UserID)
	}
}

// The same for the registration_code grant: its tokens are saved too,
// although a repeated grant could get new ones (it would also invalidate
// these, which another process may already use).
func TestInterruptAfterTheRegistrationGrantKeepsTheTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	f.addDemoClient("app")
	ctx := f.interruptAfterExchange()
	_, err := f.svc.loginRegistrationCode(ctx, RegistrationRequest{Client: "app", As: "erin", Email: "erin@example.test"})
	if ctx.Err() == nil || err != nil {
		t.Fatalf("interrupted registration-code login: context %v, error %v", ctx.Err(), err)
	}
	saved := f.saved("erin")
	if saved.Status != wallet.StatusOK {
		t.Fatalf("status %q", saved.Status)
	}
	if st := meStatus(t, f.base, secretOf(t, saved, wallet.SecretAccessToken)); st != http.StatusOK {
		t.Errorf("the saved access token: /v1/me HTTP %d", st)
	}
}
