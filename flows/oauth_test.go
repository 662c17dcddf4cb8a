package flows

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// loopbackClient registers a client at localwise whose redirect URL is a
// free loopback port, and stores it in the wallet as "app".
func (f *fixture) loopbackClient() (redirect string) {
	f.t.Helper()
	redirect = freeLoopbackURL(f.t, "/callback")
	f.srv.RegisterClient(localwise.Client{ID: "loopback-app", Secret: "loopback-secret-0123456789", RedirectURLs: []string{redirect}})
	f.addClient("app", "loopback-app", "loopback-secret-0123456789", redirect, true)
	return redirect
}

// login runs Service.Login on the test goroutine; open plays the browser.
func (f *fixture) login(req LoginRequest, open func(authURL string)) (wallet.Entry, error) {
	f.t.Helper()
	if req.Client == "" {
		req.Client = "app"
	}
	if req.Timeout == 0 {
		req.Timeout = 20 * time.Second
	}
	var shown []string
	req.ShowURL = func(u string) { shown = append(shown, u) }
	if open != nil {
		req.OpenBrowser = func(u string) error {
			if len(shown) != 1 || shown[0] != u {
				f.t.Errorf("the browser was opened before the URL was shown, or with another URL")
			}
			open(u)
			return nil
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return f.svc.login(ctx, req)
}

// followRedirect sends the browser's request to where the consent answer
// points (the loopback listener).
func followRedirect(t testing.TB, consent webPage, redirect string) webPage {
	t.Helper()
	if consent.status != http.StatusFound || !strings.HasPrefix(consent.location, redirect+"?") {
		t.Fatalf("consent answer: HTTP %d, not a redirect to the registered URL", consent.status)
	}
	return fetch(t, http.MethodGet, consent.location, nil)
}

func TestAuthorizationCodeLoginOverLoopback(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	redirect := f.loopbackClient()
	var authURL, callbackURL string
	var callback webPage
	e, err := f.login(LoginRequest{As: "bob"}, func(u string) {
		authURL = u
		consent := authorizeByHTTP(t, u, localwise.DemoBusinessProfileID, "approve")
		callbackURL = consent.location
		callback = followRedirect(t, consent, redirect)
	})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if callback.status != http.StatusOK || !strings.Contains(callback.body, "Login received") {
		t.Errorf("callback page: HTTP %d", callback.status)
	}
	if strings.Contains(callback.body, "code=") {
		t.Error("the callback page echoes the query")
	}

	// The authorize URL: client id, exact redirect URL, a fresh state, no
	// secret, a PKCE challenge (the default; NoPKCE is tested in
	// login_hardening_test.go), and a redirect rather than showCode.
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("client_id") != "loopback-app" || q.Get("redirect_uri") != redirect || len(q.Get("state")) < 43 {
		t.Errorf("authorize query: client_id %q redirect_uri %q state length %d", q.Get("client_id"), q.Get("redirect_uri"), len(q.Get("state")))
	}
	for _, k := range []string{"client_secret", "forwardingMode"} {
		if q.Has(k) {
			t.Errorf("authorize URL carries %s", k)
		}
	}
	if len(q.Get("code_challenge")) != 43 || q.Get("code_challenge_method") != "S256" {
		t.Errorf("authorize URL without a PKCE S256 challenge by default")
	}
	if strings.Contains(authURL, "loopback-secret") {
		t.Error("authorize URL carries the client secret")
	}

	got := f.saved("bob")
	if !sameEntry(e, got) {
		t.Error("the returned entry differs from the saved one")
	}
	if got.Kind != wallet.KindUser || got.LinkedTo != "app" || got.ProfileID != localwise.DemoBusinessProfileID ||
		got.UserID != localwise.DemoUserID || got.UserEmail != localwise.DemoUserEmail || got.Status != wallet.StatusOK {
		t.Errorf("saved entry: kind %s linked %q profile %d user %d %q status %q", got.Kind, got.LinkedTo, got.ProfileID, got.UserID, got.UserEmail, got.Status)
	}
	if got.RefreshExpiresAt == nil || got.AccessExpiresAt == nil || !got.AccessExpiresAt.After(time.Now()) {
		t.Errorf("expiries: access %v refresh %v", got.AccessExpiresAt, got.RefreshExpiresAt)
	}
	secretOf(t, got, wallet.SecretRefreshToken)
	if st := meStatus(t, f.base, secretOf(t, got, wallet.SecretAccessToken)); st != http.StatusOK {
		t.Errorf("stored access token: /v1/me HTTP %d", st)
	}
	if n := f.srv.Stats().AuthorizationCodeRequests; n != 1 {
		t.Errorf("authorization_code requests = %d, want 1", n)
	}

	// The listener served one callback and closed: replaying the redirect
	// reaches nobody, and the wallet stays as it was.
	before := f.walletBytes()
	if resp, err := noRedirect.Get(callbackURL); err == nil {
		resp.Body.Close()
		t.Fatalf("a second callback after the login was answered (HTTP %d)", resp.StatusCode)
	}
	if !slices.Equal(before, f.walletBytes()) {
		t.Error("a second callback changed the wallet")
	}

	// Once Wise revokes the app, the way back is this same login.
	f.srv.SetFaults(localwise.Faults{RevokeRefreshTokens: true})
	f.makeDue()
	_, err = f.svc.AccessToken(context.Background(), "bob")
	var nl *NeedsLoginError
	if !errors.Is(err, ErrNeedsLogin) || !errors.As(err, &nl) || nl.Entry != "bob" || nl.Client != "app" || nl.Email != "" {
		t.Errorf("revoked refresh token: %v, want ErrNeedsLogin saying to log bob in again through app", err)
	}
}

func TestLoginRefusesForgedStateAndKeepsWaiting(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	redirect := f.loopbackClient()
	var forged, stateless webPage
	_, err := f.login(LoginRequest{As: "bob"}, func(u string) {
		// An attacker's redirect with a code of their own: refused, and
		// the real login still completes on the same listener.
		forged = fetch(t, http.MethodGet, redirect+"?code=attacker-code&state=not-the-state&profileId=1", nil)
		stateless = fetch(t, http.MethodGet, redirect+"?code=attacker-code", nil)
		consent := authorizeByHTTP(t, u, localwise.DemoPersonalProfileID, "approve")
		if cb := followRedirect(t, consent, redirect); cb.status != http.StatusOK {
			t.Errorf("real callback after forged ones: HTTP %d", cb.status)
		}
	})
	if err != nil {
		t.Fatalf("Login after forged callbacks: %v", err)
	}
	for name, p := range map[string]webPage{"wrong state": forged, "no state": stateless} {
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "state does not match") {
			t.Errorf("%s: HTTP %d, want 400 with an explanation", name, p.status)
		}
	}
	if got := f.saved("bob"); got.ProfileID != localwise.DemoPersonalProfileID {
		t.Errorf("profile %d, want the one approved", got.ProfileID)
	}
	// Only the real code was redeemed.
	if n := f.srv.Stats().AuthorizationCodeRequests; n != 1 {
		t.Errorf("authorization_code requests = %d, want 1", n)
	}
}

func TestLoginDeniedStoresNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	redirect := f.loopbackClient()
	before := f.walletBytes()
	var cb webPage
	_, err := f.login(LoginRequest{As: "bob"}, func(u string) {
		consent := authorizeByHTTP(t, u, localwise.DemoPersonalProfileID, "deny")
		if loc, _ := url.Parse(consent.location); loc == nil || loc.Query().Get("error") != "access_denied" {
			t.Errorf("deny did not redirect with error=access_denied")
		}
		cb = followRedirect(t, consent, redirect)
	})
	if !errors.Is(err, ErrLoginDenied) {
		t.Fatalf("Login after deny: %v, want ErrLoginDenied", err)
	}
	if cb.status != http.StatusForbidden || !strings.Contains(cb.body, "Access denied") {
		t.Errorf("callback page after deny: HTTP %d", cb.status)
	}
	f.assertAbsent("bob")
	if !slices.Equal(before, f.walletBytes()) {
		t.Error("a denied login changed the wallet")
	}
	if n := f.srv.Stats().AuthorizationCodeRequests; n != 0 {
		t.Errorf("authorization_code requests = %d after a denial", n)
	}
}

func TestLoginTimeoutStoresNothingAndClosesThePort(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	redirect := f.loopbackClient()
	before := f.walletBytes()
	var addr string
	_, err := f.login(LoginRequest{As: "bob", Timeout: 300 * time.Millisecond, Listening: func(a string) { addr = a }}, nil)
	if !errors.Is(err, ErrLoginTimeout) {
		t.Fatalf("Login without a browser: %v, want ErrLoginTimeout", err)
	}
	if u, _ := url.Parse(redirect); addr != u.Host {
		t.Errorf("listened on %q, want the redirect URL's %q", addr, u.Host)
	}
	f.assertAbsent("bob")
	if !slices.Equal(before, f.walletBytes()) {
		t.Error("a timed-out login changed the wallet")
	}
	if resp, err := noRedirect.Get(redirect + "?code=late&state=x"); err == nil {
		resp.Body.Close()
		t.Errorf("the callback port still answers after the timeout (HTTP %d)", resp.StatusCode)
	}

	// A caller without any way to show the URL gets the same timeout, not
	// a panic.
	_, err = f.svc.login(context.Background(), LoginRequest{Client: "app", As: "bob", Timeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrLoginTimeout) {
		t.Fatalf("Login without ShowURL: %v, want ErrLoginTimeout", err)
	}
}

var stateOnPage = regexp.MustCompile(`<code id="state">([^<]+)</code>`)

func TestLoginPasteMode(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	// A redirect URL that is not on this machine cannot be listened on:
	// Login must switch to paste mode by itself.
	const remote = "https://app.example.test/wise/callback"
	f.srv.RegisterClient(localwise.Client{ID: "remote-app", Secret: "remote-secret-0123456789", RedirectURLs: []string{remote}})
	f.addClient("app", "remote-app", "remote-secret-0123456789", remote, true)

	// paste logs in on the showCode page and returns what a person would
	// paste, built from the code page.
	paste := func(as string, build func(code, state string) string) (wallet.Entry, error) {
		var shown string
		return f.svc.login(context.Background(), LoginRequest{Client: "app", As: as,
			ShowURL: func(u string) { shown = u },
			ReadPasted: func(context.Context) (string, error) {
				if q, _ := url.Parse(shown); q == nil || q.Query().Get("forwardingMode") != "showCode" {
					t.Errorf("paste mode authorize URL lacks forwardingMode=showCode")
				}
				p := authorizeByHTTP(t, shown, localwise.DemoBusinessProfileID, "approve")
				code, state := codeOnPage.FindStringSubmatch(p.body), stateOnPage.FindStringSubmatch(p.body)
				if p.status != http.StatusOK || code == nil || state == nil {
					t.Fatalf("showCode page: HTTP %d, code or state missing", p.status)
				}
				return "  " + build(code[1], state[1]) + "\n", nil
			}})
	}

	t.Run("redirected URL", func(t *testing.T) {
		e, err := paste("by-url", func(code, state string) string {
			return remote + "?" + url.Values{"code": {code}, "state": {state}, "profileId": {"16000002"}}.Encode()
		})
		if err != nil {
			t.Fatalf("Login with the pasted URL: %v", err)
		}
		if got := f.saved("by-url"); !sameEntry(got, e) || got.ProfileID != localwise.DemoBusinessProfileID || got.UserID != localwise.DemoUserID {
			t.Errorf("saved entry: profile %d user %d", got.ProfileID, got.UserID)
		}
	})
	t.Run("wrong state", func(t *testing.T) {
		before, n := f.walletBytes(), f.srv.Stats().AuthorizationCodeRequests
		_, err := paste("forged", func(code, _ string) string {
			return remote + "?" + url.Values{"code": {code}, "state": {"someone-elses-state"}}.Encode()
		})
		if !errors.Is(err, ErrStateInvalid) {
			t.Fatalf("pasted URL with a wrong state: %v, want ErrStateInvalid", err)
		}
		f.assertAbsent("forged")
		if !slices.Equal(before, f.walletBytes()) || f.srv.Stats().AuthorizationCodeRequests != n {
			t.Error("a pasted URL with a wrong state was redeemed or changed the wallet")
		}
	})
	t.Run("URL without state", func(t *testing.T) {
		// Someone else's redirect URL with their code and no state would
		// log this wallet in to their account (login CSRF).
		before, n := f.walletBytes(), f.srv.Stats().AuthorizationCodeRequests
		_, err := paste("stateless", func(code, _ string) string {
			return remote + "?" + url.Values{"code": {code}}.Encode()
		})
		if !errors.Is(err, ErrStateInvalid) || !strings.Contains(err.Error(), "no state") {
			t.Fatalf("pasted URL without a state: %v, want ErrStateInvalid saying there is no state", err)
		}
		f.assertAbsent("stateless")
		if !slices.Equal(before, f.walletBytes()) || f.srv.Stats().AuthorizationCodeRequests != n {
			t.Error("a pasted URL without a state was redeemed or changed the wallet")
		}
	})
	t.Run("bare code", func(t *testing.T) {
		if _, err := paste("by-code", func(code, _ string) string { return code }); err != nil {
			t.Fatalf("Login with a pasted code: %v", err)
		}
		if st := meStatus(t, f.base, secretOf(t, f.saved("by-code"), wallet.SecretAccessToken)); st != http.StatusOK {
			t.Errorf("token from a pasted code: /v1/me HTTP %d", st)
		}
	})
}

func TestLoginWithPKCE(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	redirect := f.loopbackClient()
	var authURL string
	// PKCE is the default.
	_, err := f.login(LoginRequest{As: "bob"}, func(u string) {
		authURL = u
		followRedirect(t, authorizeByHTTP(t, u, localwise.DemoPersonalProfileID, "approve"), redirect)
	})
	if err != nil {
		t.Fatalf("Login with PKCE: %v", err)
	}
	q, _ := url.Parse(authURL)
	if ch := q.Query().Get("code_challenge"); len(ch) != 43 || q.Query().Get("code_challenge_method") != "S256" {
		t.Errorf("authorize URL: code_challenge length %d, method %q", len(ch), q.Query().Get("code_challenge_method"))
	}
	secretOf(t, f.saved("bob"), wallet.SecretAccessToken)

	// localwise really checks the verifier: a code issued for a challenge
	// is refused without it and with a wrong one, and accepted with it.
	ctx := context.Background()
	verifier := strings.Repeat("v", 43)
	const challenge = "7w_YNF9DSfIdPf_pRjSq646_kPr-2-o9NAl16JGghdM" // base64url(SHA-256(verifier)), by Python's hashlib
	u := f.base + "/oauth/authorize?" + url.Values{"client_id": {"loopback-app"}, "redirect_uri": {redirect}, "state": {"s"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}}.Encode()
	loc, err := url.Parse(authorizeByHTTP(t, u, localwise.DemoPersonalProfileID, "approve").location)
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("no code in the redirect: %v", err)
	}
	code := loc.Query().Get("code")
	api := wise.NewClient(f.base, nil)
	if _, err := api.ExchangeCode(ctx, "loopback-app", crypto.SecretString("loopback-secret-0123456789"), code, redirect, "", time.Now()); err == nil {
		t.Error("a PKCE code was redeemed without the verifier")
	}
	if _, err := api.ExchangeCode(ctx, "loopback-app", crypto.SecretString("loopback-secret-0123456789"), code, redirect, strings.Repeat("w", 43), time.Now()); err == nil {
		t.Error("a PKCE code was redeemed with a wrong verifier")
	}
	// The wrong verifier burns nothing at localwise only if it checks the
	// verifier before marking the code used; either way a fresh code works.
	loc, _ = url.Parse(authorizeByHTTP(t, u, localwise.DemoPersonalProfileID, "approve").location)
	if _, err := api.ExchangeCode(ctx, "loopback-app", crypto.SecretString("loopback-secret-0123456789"), loc.Query().Get("code"), redirect, verifier, time.Now()); err != nil {
		t.Errorf("a PKCE code with the right verifier: %v", err)
	}
}

func TestRegistrationCodeLogin(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	f.addDemoClient("app")
	ctx := context.Background()

	first := f.regLogin("app", "carol", "carol@example.test")
	got := f.saved("carol")
	if !sameEntry(first, got) {
		t.Error("the returned entry differs from the saved one")
	}
	if got.Kind != wallet.KindUser || got.LinkedTo != "app" || got.UserEmail != "carol@example.test" ||
		got.UserID == 0 || got.UserID == localwise.DemoUserID || got.Status != wallet.StatusOK {
		t.Errorf("saved entry: kind %s linked %q email %q user %d status %q", got.Kind, got.LinkedTo, got.UserEmail, got.UserID, got.Status)
	}
	code := secretOf(t, got, wallet.SecretRegistrationCode)
	if len(code) < 32 {
		t.Errorf("registration code of %d characters; Wise wants at least 32", len(code))
	}
	oldRefresh := secretOf(t, got, wallet.SecretRefreshToken)
	if st := meStatus(t, f.base, secretOf(t, got, wallet.SecretAccessToken)); st != http.StatusOK {
		t.Errorf("access token: /v1/me HTTP %d", st)
	}

	// Logging in again reuses the stored code (the user exists now, so a
	// new signup would fail) and replaces the tokens.
	f.regLogin("app", "carol", "carol@example.test")
	again := f.saved("carol")
	if secretOf(t, again, wallet.SecretRegistrationCode) != code {
		t.Error("the second login made a new registration code")
	}
	if secretOf(t, again, wallet.SecretRefreshToken) == oldRefresh || !again.CreatedAt.Equal(got.CreatedAt) {
		t.Error("the second login did not replace the tokens in the same entry")
	}
	if n := f.srv.Stats().RegistrationCodeRequests; n != 2 {
		t.Errorf("registration_code requests = %d, want 2", n)
	}
	// Wise: a new grant invalidates the previous refresh token.
	if st, code := refreshStatus(t, f.base, localwise.DemoClientID, localwise.DemoClientSecret, oldRefresh); st != http.StatusUnauthorized || code != "invalid_grant" {
		t.Errorf("refresh token of the first login: HTTP %d %s", st, code)
	}

	// Someone who already has a Wise account can only link it themselves.
	_, err := f.svc.loginRegistrationCode(ctx, RegistrationRequest{Client: "app", As: "dave", Email: localwise.DemoUserEmail})
	if err == nil {
		t.Fatal("registration-code login for an existing Wise user succeeded")
	}
	var has *ExistingAccountError
	if !errors.As(err, &has) || has.Client != "app" || has.As != "dave" || has.Email != localwise.DemoUserEmail || !strings.Contains(err.Error(), "authorization code") {
		t.Errorf("the error does not point to the authorization-code login of app as dave: %v", err)
	}
	f.assertAbsent("dave")
}

func TestRegistrationCodeLoginKeepsAnAuthorizationCodeLogin(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	redirect := f.loopbackClient()
	if _, err := f.login(LoginRequest{As: "bob"}, func(u string) {
		followRedirect(t, authorizeByHTTP(t, u, localwise.DemoPersonalProfileID, "approve"), redirect)
	}); err != nil {
		t.Fatalf("Login: %v", err)
	}
	want := f.saved("bob")
	// Neither an email Wise knows nor a new one may cost bob his tokens.
	for _, email := range []string{localwise.DemoUserEmail, "new-user@example.test"} {
		_, err := f.svc.loginRegistrationCode(context.Background(), RegistrationRequest{Client: "app", As: "bob", Email: email})
		if !errors.Is(err, wallet.ErrEntryExists) {
			t.Errorf("registration code over an authorization-code login (%s): %v, want ErrEntryExists", email, err)
		}
		if got := f.saved("bob"); !sameEntry(got, want) {
			t.Fatalf("registration code for %s changed or removed the existing login", email)
		}
	}
}

// Only the bare code goes without a state: a URL or query string must
// carry this login's state, whatever else it holds.
func TestParsePastedNeedsTheStateExceptForABareCode(t *testing.T) {
	for text, want := range map[string]error{
		"https://x/cb?code=abc&state=S":               nil,
		"  https://x/cb?state=S&code=abc&profileId=1": nil,
		"abc":                              nil,
		"https://x/cb?code=abc":            ErrStateInvalid,
		"?code=abc":                        ErrStateInvalid,
		"code=abc":                         ErrStateInvalid,
		"code=abc&state=":                  ErrStateInvalid,
		"code=abc&state=T":                 ErrStateInvalid,
		"https://x/cb?code=abc&state=SS":   ErrStateInvalid,
		"https://x/cb?error=access_denied": ErrStateInvalid,
		"https://x/cb?error=access_denied&state=S": ErrLoginDenied,
	} {
		cb, err := parsePasted(text, "S")
		switch {
		case want == nil && (err != nil || cb.code != "abc"):
			t.Errorf("parsePasted(%q) = %q, %v; want code abc", text, cb.code, err)
		case want != nil && !errors.Is(err, want):
			t.Errorf("parsePasted(%q) = %q, %v; want %v", text, cb.code, err, want)
		}
	}
}

// FuzzParsePasted: whatever is pasted, parsePasted does not panic, and a
// code it accepts is one token of visible characters: it goes into a form
// body and must not smuggle spaces or line breaks.
func FuzzParsePasted(f *testing.F) {
	for _, s := range []string{
		"http://127.0.0.1:53682/cb?code=abc&state=S&profileId=16000001",
		"https://app.example/cb?state=S&code=abc",
		"?code=abc", "code=abc&state=S", "ABCDEF123", "  ABCDEF123\n",
		"https://x/cb?error=access_denied&state=S",
		"https://x/cb?code=a%20b&state=S", "code=a+b", "code=%0a", "a\vb", "a\u00a0b", "x://%zz",
		"https://x/cb?code=abc&state=T",
	} {
		f.Add(s, "S")
	}
	f.Fuzz(func(t *testing.T, text, state string) {
		cb, err := parsePasted(text, state)
		if err != nil {
			return
		}
		if cb.code == "" {
			t.Fatalf("accepted %q with an empty code", text)
		}
		if i := strings.IndexFunc(cb.code, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }); i >= 0 {
			t.Fatalf("accepted %q with a code containing %q", text, cb.code[i:])
		}
	})
}
