package localwise

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestClientCredentialsGrant(t *testing.T) {
	clk := newClock()
	_, base := start(t, Config{Now: clk.Now})
	r := token(t, base, DemoClientID, DemoClientSecret, url.Values{"grant_type": {"client_credentials"}})
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	want := map[string]any{
		"token_type": "bearer",
		"expires_in": float64(43199),
		"expires_at": clk.Now().Add(12 * time.Hour).Format("2006-01-02T15:04:05.000Z"),
		"scope":      "transfers",
	}
	for k, v := range want {
		if r.json[k] != v {
			t.Errorf("%s = %v, want %v", k, r.json[k], v)
		}
	}
	if len(r.str("access_token")) < 32 {
		t.Errorf("access_token %q too short to be random", r.str("access_token"))
	}
	for _, k := range []string{"refresh_token", "refresh_token_expires_in", "refresh_token_expires_at", "created_at"} {
		if _, ok := r.json[k]; ok {
			t.Errorf("client_credentials response has %s", k)
		}
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if r2 := token(t, base, DemoClientID, DemoClientSecret, url.Values{"grant_type": {"client_credentials"}}); r2.str("access_token") == r.str("access_token") {
		t.Error("two client_credentials grants returned the same token")
	}
}

func TestTokenClientAuthentication(t *testing.T) {
	s, base := start(t, Config{})
	s.RegisterClient(Client{ID: "no-secret", RedirectURLs: []string{testRedirect}})
	form := url.Values{"grant_type": {"client_credentials"}}
	cases := []struct{ name, id, secret string }{
		{"no basic auth", "", ""},
		{"wrong secret", testClientID, "wrong"},
		{"secret of another client", testClientID, otherSecret},
		{"unknown client", "nobody", testClientSecret},
		{"client without secret", "no-secret", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := token(t, base, c.id, c.secret, form)
			wantOAuthError(t, r, http.StatusUnauthorized, "invalid_client")
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
			}
			if c.secret != "" && strings.Contains(string(r.body), c.secret) {
				t.Errorf("error body echoes the secret: %s", r.body)
			}
		})
	}
	// Bearer auth is not client auth.
	req := newRequest(t, http.MethodPost, base+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+DemoPersonalToken)
	wantOAuthError(t, do(t, req), http.StatusUnauthorized, "invalid_client")
}

func TestTokenRequestErrors(t *testing.T) {
	_, base := start(t, Config{})
	cases := []struct {
		name string
		form url.Values
		desc string
	}{
		{"missing grant type", url.Values{}, "Missing grant type"},
		{"authorization_code without client_id", url.Values{"grant_type": {"authorization_code"}, "code": {"c"}, "redirect_uri": {testRedirect}}, "Missing client_id"},
		{"authorization_code without code", url.Values{"grant_type": {"authorization_code"}, "client_id": {testClientID}, "redirect_uri": {testRedirect}}, "Missing code"},
		{"authorization_code without redirect_uri", url.Values{"grant_type": {"authorization_code"}, "client_id": {testClientID}, "code": {"c"}}, "Missing redirect_uri"},
		{"client_id of another client", url.Values{"grant_type": {"authorization_code"}, "client_id": {otherClientID}, "code": {"c"}, "redirect_uri": {testRedirect}}, "client_id does not match the authenticated client"},
		{"refresh_token without token", url.Values{"grant_type": {"refresh_token"}}, "Missing refresh_token"},
		{"registration_code without client_id", url.Values{"grant_type": {"registration_code"}, "email": {"a@b.test"}, "registration_code": {"x"}}, "Missing client_id"},
		{"registration_code without email", url.Values{"grant_type": {"registration_code"}, "client_id": {testClientID}, "registration_code": {"x"}}, "Missing email"},
		{"registration_code without code", url.Values{"grant_type": {"registration_code"}, "client_id": {testClientID}, "email": {"a@b.test"}}, "Missing registration_code"},
		{"repeated parameter", url.Values{"grant_type": {"client_credentials", "client_credentials"}}, "Repeated parameter grant_type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := token(t, base, testClientID, testClientSecret, c.form)
			wantOAuthError(t, r, http.StatusBadRequest, "invalid_request")
			if got := r.str("error_description"); got != c.desc {
				t.Errorf("error_description = %q, want %q", got, c.desc)
			}
		})
	}

	t.Run("parameters in the query string are ignored", func(t *testing.T) {
		req := newRequest(t, http.MethodPost, base+"/oauth/token?grant_type=client_credentials", nil)
		req.SetBasicAuth(testClientID, testClientSecret)
		wantOAuthError(t, do(t, req), http.StatusBadRequest, "invalid_request")
	})
	t.Run("GET is not allowed", func(t *testing.T) {
		r := do(t, newRequest(t, http.MethodGet, base+"/oauth/token", nil))
		if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "POST" {
			t.Fatalf("got %d Allow=%q", r.status, r.header.Get("Allow"))
		}
	})
	t.Run("oversized body", func(t *testing.T) {
		form := url.Values{"grant_type": {"client_credentials"}, "pad": {strings.Repeat("x", 100<<10)}}
		r := token(t, base, testClientID, testClientSecret, form)
		if r.status != http.StatusRequestEntityTooLarge {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})
}

func TestAuthorizationCodeGrant(t *testing.T) {
	clk := newClock()
	s, base := start(t, Config{Now: clk.Now, TokenTTL: time.Hour, RefreshTTL: 48 * time.Hour})
	q := authorize(t, base, url.Values{"state": {"xyz 1/2"}})
	if q.Get("state") != "xyz 1/2" || q.Get("profileId") != itoa(DemoBusinessProfileID) || q.Get("code") == "" {
		t.Fatalf("redirect query = %v", q)
	}
	if q.Get("app") != "wisewallet" {
		t.Errorf("redirect lost the registered URL's own query: %v", q)
	}
	r := exchange(t, base, q.Get("code"), nil)
	if r.status != http.StatusOK {
		t.Fatalf("exchange: %d %s", r.status, r.body)
	}
	now := clk.Now()
	want := map[string]any{
		"token_type":               "bearer",
		"expires_in":               float64(3599),
		"expires_at":               now.Add(time.Hour).Format("2006-01-02T15:04:05.000Z"),
		"refresh_token_expires_in": float64(48*3600 - 1),
		"refresh_token_expires_at": now.Add(48 * time.Hour).Format("2006-01-02T15:04:05.000Z"),
		"created_at":               now.Format("2006-01-02T15:04:05.000000000Z"),
		"scope":                    "transfers",
	}
	for k, v := range want {
		if r.json[k] != v {
			t.Errorf("%s = %v, want %v", k, r.json[k], v)
		}
	}
	access, rt := r.str("access_token"), r.str("refresh_token")
	if access == "" || rt == "" || access == rt {
		t.Fatalf("tokens: access=%q refresh=%q", access, rt)
	}
	if me := bearer(t, http.MethodGet, base+"/v1/me", access, nil); me.status != http.StatusOK || me.json["email"] != DemoUserEmail {
		t.Fatalf("/v1/me: %d %s", me.status, me.body)
	}
	if got := s.Stats().AuthorizationCodeRequests; got != 1 {
		t.Errorf("AuthorizationCodeRequests = %d, want 1", got)
	}

	// A replayed code fails and, per RFC 6749 §4.1.2, revokes what it issued.
	wantOAuthError(t, exchange(t, base, q.Get("code"), nil), http.StatusUnauthorized, "invalid_grant")
	wantOAuthError(t, bearer(t, http.MethodGet, base+"/v1/me", access, nil), http.StatusUnauthorized, "invalid_token")
	wantOAuthError(t, refresh(t, base, testClientID, testClientSecret, rt), http.StatusUnauthorized, "invalid_grant")
}

func TestAuthorizationCodeGrantErrors(t *testing.T) {
	clk := newClock()
	s, base := start(t, Config{Now: clk.Now, CodeTTL: time.Minute})
	s.RegisterClient(Client{ID: testClientID, Secret: testClientSecret,
		RedirectURLs: []string{testRedirect, "http://127.0.0.1:9/other"}})

	t.Run("unknown code", func(t *testing.T) {
		wantOAuthError(t, exchange(t, base, "no-such-code", nil), http.StatusUnauthorized, "invalid_grant")
	})
	t.Run("expired code", func(t *testing.T) {
		code := authorize(t, base, nil).Get("code")
		clk.Advance(time.Minute)
		wantOAuthError(t, exchange(t, base, code, nil), http.StatusUnauthorized, "invalid_grant")
	})
	t.Run("redirect_uri differs from the authorize request", func(t *testing.T) {
		code := authorize(t, base, nil).Get("code")
		r := exchange(t, base, code, url.Values{"redirect_uri": {"http://127.0.0.1:9/other"}})
		wantOAuthError(t, r, http.StatusUnauthorized, "invalid_grant")
		// A failed attempt does not use the code up.
		if r := exchange(t, base, code, nil); r.status != http.StatusOK {
			t.Fatalf("exchange after failed attempt: %d %s", r.status, r.body)
		}
	})
	t.Run("code issued to another client", func(t *testing.T) {
		code := authorize(t, base, nil).Get("code")
		r := token(t, base, otherClientID, otherSecret, url.Values{"grant_type": {"authorization_code"},
			"client_id": {otherClientID}, "code": {code}, "redirect_uri": {testRedirect}})
		wantOAuthError(t, r, http.StatusUnauthorized, "invalid_grant")
	})
	t.Run("error descriptions never contain the code", func(t *testing.T) {
		code := authorize(t, base, nil).Get("code")
		clk.Advance(time.Hour)
		r := exchange(t, base, code, nil)
		if strings.Contains(string(r.body), code) {
			t.Fatalf("body echoes the code: %s", r.body)
		}
	})
}

func pkcePair() (verifier, challenge string) {
	verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 appendix B
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

func TestPKCE(t *testing.T) {
	_, base := start(t, Config{})
	verifier, challenge := pkcePair()
	if challenge != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Fatalf("test vector: challenge = %s", challenge)
	}
	withPKCE := url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}}

	code := authorize(t, base, withPKCE).Get("code")
	wantOAuthError(t, exchange(t, base, code, nil), http.StatusBadRequest, "invalid_request")
	wantOAuthError(t, exchange(t, base, code, url.Values{"code_verifier": {strings.Repeat("a", 43)}}), http.StatusUnauthorized, "invalid_grant")
	wantOAuthError(t, exchange(t, base, code, url.Values{"code_verifier": {"short"}}), http.StatusUnauthorized, "invalid_grant")
	if r := exchange(t, base, code, url.Values{"code_verifier": {verifier}}); r.status != http.StatusOK {
		t.Fatalf("exchange with the right verifier: %d %s", r.status, r.body)
	}

	t.Run("verifier without a challenge", func(t *testing.T) {
		code := authorize(t, base, nil).Get("code")
		wantOAuthError(t, exchange(t, base, code, url.Values{"code_verifier": {verifier}}), http.StatusUnauthorized, "invalid_grant")
	})

	bad := []struct {
		name string
		q    url.Values
	}{
		{"plain method", url.Values{"code_challenge": {challenge}, "code_challenge_method": {"plain"}}},
		{"no method", url.Values{"code_challenge": {challenge}}},
		{"method without challenge", url.Values{"code_challenge_method": {"S256"}}},
		{"challenge of the wrong length", url.Values{"code_challenge": {challenge + "x"}, "code_challenge_method": {"S256"}}},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			c.q.Set("state", "st")
			r := do(t, newRequest(t, http.MethodGet, authorizeURL(base, testClientID, testRedirect, c.q), nil))
			if r.status != http.StatusFound {
				t.Fatalf("got %d, want a redirect with an error", r.status)
			}
			loc, _ := url.Parse(r.header.Get("Location"))
			if q := loc.Query(); q.Get("error") != "invalid_request" || q.Get("state") != "st" || q.Get("code") != "" {
				t.Fatalf("redirect query = %v", q)
			}
		})
	}
}

func TestRefreshTokenRotation(t *testing.T) {
	s, base := start(t, Config{})
	access, rt := userTokens(t, base)

	r := refresh(t, base, testClientID, testClientSecret, rt)
	if r.status != http.StatusOK {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	access2, rt2 := r.str("access_token"), r.str("refresh_token")
	if rt2 == "" || rt2 == rt || access2 == access {
		t.Fatalf("refresh did not rotate: %s", r.body)
	}
	for _, k := range []string{"refresh_token_expires_in", "refresh_token_expires_at", "created_at"} {
		if _, ok := r.json[k]; !ok {
			t.Errorf("refresh response lacks %s", k)
		}
	}
	// The old refresh token and the previous access token are dead.
	wantOAuthError(t, refresh(t, base, testClientID, testClientSecret, rt), http.StatusUnauthorized, "invalid_grant")
	wantOAuthError(t, bearer(t, http.MethodGet, base+"/v1/me", access, nil), http.StatusUnauthorized, "invalid_token")
	if me := bearer(t, http.MethodGet, base+"/v1/me", access2, nil); me.status != http.StatusOK {
		t.Fatalf("new access token: %d %s", me.status, me.body)
	}
	// A refresh token is bound to the client it was issued to.
	wantOAuthError(t, refresh(t, base, otherClientID, otherSecret, rt2), http.StatusUnauthorized, "invalid_grant")
	wantOAuthError(t, refresh(t, base, testClientID, testClientSecret, "not-a-token"), http.StatusUnauthorized, "invalid_grant")
	if got := s.Stats().RefreshRequests; got != 4 {
		t.Errorf("RefreshRequests = %d, want 4", got)
	}
}

func TestRefreshTokenExpiry(t *testing.T) {
	clk := newClock()
	_, base := start(t, Config{Now: clk.Now, TokenTTL: time.Minute, RefreshTTL: time.Hour})
	access, rt := userTokens(t, base)
	clk.Advance(time.Minute)
	r := bearer(t, http.MethodGet, base+"/v1/me", access, nil)
	wantOAuthError(t, r, http.StatusUnauthorized, "invalid_token")
	if strings.Contains(string(r.body), access) {
		t.Errorf("error echoes the token: %s", r.body)
	}
	if !strings.Contains(r.header.Get("WWW-Authenticate"), "invalid_token") {
		t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
	}
	// The refresh token outlives the access token...
	r = refresh(t, base, testClientID, testClientSecret, rt)
	if r.status != http.StatusOK {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	// ...until its own expiry.
	clk.Advance(time.Hour)
	wantOAuthError(t, refresh(t, base, testClientID, testClientSecret, r.str("refresh_token")), http.StatusUnauthorized, "invalid_grant")
}

func TestNewGrantInvalidatesPreviousRefreshToken(t *testing.T) {
	_, base := start(t, Config{})
	access1, rt1 := userTokens(t, base)
	_, rt2 := userTokens(t, base)
	wantOAuthError(t, refresh(t, base, testClientID, testClientSecret, rt1), http.StatusUnauthorized, "invalid_grant")
	// Wise: the last access token of the old refresh token lives on.
	if r := bearer(t, http.MethodGet, base+"/v1/me", access1, nil); r.status != http.StatusOK {
		t.Errorf("old access token: %d %s", r.status, r.body)
	}
	if r := refresh(t, base, testClientID, testClientSecret, rt2); r.status != http.StatusOK {
		t.Errorf("new refresh token: %d %s", r.status, r.body)
	}
}

func TestRevokeRefreshTokens(t *testing.T) {
	s, base := start(t, Config{})

	access, rt := userTokens(t, base)
	s.SetFaults(Faults{RevokeRefreshTokens: true})
	wantOAuthError(t, refresh(t, base, testClientID, testClientSecret, rt), http.StatusUnauthorized, "invalid_grant")
	if r := bearer(t, http.MethodGet, base+"/v1/me", access, nil); r.status != http.StatusOK {
		t.Errorf("access token after revoking refresh tokens: %d", r.status)
	}
	if s.Faults().RevokeRefreshTokens {
		t.Error("RevokeRefreshTokens stayed set; it is a one-shot action")
	}
	// Tokens issued afterwards work.
	_, rt = userTokens(t, base)
	if r := refresh(t, base, testClientID, testClientSecret, rt); r.status != http.StatusOK {
		t.Fatalf("refresh after revocation: %d %s", r.status, r.body)
	}

	_, rt = userTokens(t, base)
	s.RevokeRefreshTokens()
	wantOAuthError(t, refresh(t, base, testClientID, testClientSecret, rt), http.StatusUnauthorized, "invalid_grant")
}

// TestConcurrentRefresh: of many simultaneous refreshes with one token,
// exactly one wins. This is what makes the client's refresh lock necessary.
func TestConcurrentRefresh(t *testing.T) {
	s, base := start(t, Config{})
	_, rt := userTokens(t, base)
	const n = 16
	var wg sync.WaitGroup
	statuses := make(chan int, n)
	for range n {
		wg.Go(func() {
			statuses <- refresh(t, base, testClientID, testClientSecret, rt).status
		})
	}
	wg.Wait()
	close(statuses)
	ok := 0
	for st := range statuses {
		switch st {
		case http.StatusOK:
			ok++
		case http.StatusUnauthorized:
		default:
			t.Errorf("unexpected status %d", st)
		}
	}
	if ok != 1 {
		t.Errorf("%d refreshes succeeded, want exactly 1", ok)
	}
	if got := s.Stats().RefreshRequests; got != n {
		t.Errorf("RefreshRequests = %d, want %d", got, n)
	}
}

func TestRegistrationCodeGrant(t *testing.T) {
	s, base := start(t, Config{})
	cc := clientToken(t, base, testClientID, testClientSecret)
	const email = "new.user@example.test"
	code := strings.Repeat("r4nd0m-", 6) // 42 characters

	exists := bearer(t, http.MethodPost, base+"/v1/users/exists", cc, map[string]string{"email": email})
	if exists.status != http.StatusOK || exists.json["exists"] != false {
		t.Fatalf("exists before signup: %d %s", exists.status, exists.body)
	}
	r := bearer(t, http.MethodPost, base+"/v1/user/signup/registration_code", cc,
		map[string]string{"email": email, "registrationCode": code, "language": "EN"})
	if r.status != http.StatusOK {
		t.Fatalf("signup: %d %s", r.status, r.body)
	}
	if r.json["email"] != email || r.json["active"] != true || r.json["name"] != nil || r.json["details"] != nil {
		t.Errorf("signup response = %s", r.body)
	}
	if id, _ := r.json["id"].(float64); id <= 0 {
		t.Errorf("signup id = %v", r.json["id"])
	}
	exists = bearer(t, http.MethodPost, base+"/v1/users/exists", cc, map[string]string{"email": "NEW.user@example.test"})
	if exists.json["exists"] != true {
		t.Errorf("exists after signup: %s", exists.body)
	}

	grant := func(id, secret, email, code string) result {
		return token(t, base, id, secret, url.Values{"grant_type": {"registration_code"},
			"client_id": {id}, "email": {email}, "registration_code": {code}})
	}
	tok := grant(testClientID, testClientSecret, email, code)
	if tok.status != http.StatusOK || tok.str("refresh_token") == "" || tok.str("created_at") == "" {
		t.Fatalf("registration_code grant: %d %s", tok.status, tok.body)
	}
	me := bearer(t, http.MethodGet, base+"/v1/me", tok.str("access_token"), nil)
	if me.status != http.StatusOK || me.json["email"] != email || me.json["name"] != nil {
		t.Errorf("/v1/me: %d %s", me.status, me.body)
	}
	if p := bearer(t, http.MethodGet, base+"/v2/profiles", tok.str("access_token"), nil); p.status != http.StatusOK || strings.TrimSpace(string(p.body)) != "[]" {
		t.Errorf("/v2/profiles of a new user: %d %s", p.status, p.body)
	}
	// The grant is repeatable (until the user reclaims the account at Wise).
	if again := grant(testClientID, testClientSecret, email, code); again.status != http.StatusOK {
		t.Errorf("second registration_code grant: %d %s", again.status, again.body)
	}

	for name, r := range map[string]result{
		"wrong code":       grant(testClientID, testClientSecret, email, code+"x"),
		"unknown user":     grant(testClientID, testClientSecret, "nobody@example.test", code),
		"another client":   grant(otherClientID, otherSecret, email, code),
		"demo user (none)": grant(DemoClientID, DemoClientSecret, DemoUserEmail, code),
	} {
		t.Run(name, func(t *testing.T) {
			wantOAuthError(t, r, http.StatusUnauthorized, "invalid_grant")
			if strings.Contains(string(r.body), code) {
				t.Errorf("error echoes the code: %s", r.body)
			}
		})
	}
	if got := s.Stats().RegistrationCodeRequests; got != 6 {
		t.Errorf("RegistrationCodeRequests = %d, want 6", got)
	}
}

func TestSignupErrors(t *testing.T) {
	_, base := start(t, Config{})
	cc := clientToken(t, base, testClientID, testClientSecret)
	user, _ := userTokens(t, base)
	code := strings.Repeat("c", 32)
	signup := base + "/v1/user/signup/registration_code"

	r := bearer(t, http.MethodPost, signup, cc, map[string]string{"email": DemoUserEmail, "registrationCode": code})
	if r.status != http.StatusConflict {
		t.Fatalf("existing email: %d %s", r.status, r.body)
	}
	errs, _ := r.json["errors"].([]any)
	if len(errs) != 1 {
		t.Fatalf("errors = %s", r.body)
	}
	e := errs[0].(map[string]any)
	if e["code"] != "NOT_UNIQUE" || e["path"] != "email" || e["message"] != "You’re already a member. Please login" {
		t.Errorf("conflict error = %v", e)
	}

	for name, body := range map[string]map[string]string{
		"short code":       {"email": "a@example.test", "registrationCode": code[:31]},
		"bad email":        {"email": "not an email", "registrationCode": code},
		"missing email":    {"registrationCode": code},
		"unknown language": {"email": "a@example.test", "registrationCode": code, "language": "XX"},
	} {
		t.Run(name, func(t *testing.T) {
			r := bearer(t, http.MethodPost, signup, cc, body)
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("got %d %s", r.status, r.body)
			}
			if errs, _ := r.json["errors"].([]any); len(errs) == 0 {
				t.Errorf("no errors array: %s", r.body)
			}
		})
	}
	t.Run("not JSON", func(t *testing.T) {
		req := newRequest(t, http.MethodPost, signup, strings.NewReader("{"))
		req.Header.Set("Authorization", "Bearer "+cc)
		if r := do(t, req); r.status != http.StatusBadRequest {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})
	t.Run("user token", func(t *testing.T) {
		body := map[string]string{"email": "b@example.test", "registrationCode": code}
		wantOAuthError(t, bearer(t, http.MethodPost, signup, user, body), http.StatusForbidden, "insufficient_scope")
		wantOAuthError(t, bearer(t, http.MethodPost, base+"/v1/users/exists", DemoPersonalToken, body), http.StatusForbidden, "insufficient_scope")
	})
	t.Run("no token", func(t *testing.T) {
		wantOAuthError(t, bearer(t, http.MethodPost, signup, "", map[string]string{}), http.StatusUnauthorized, "unauthorized")
	})
	t.Run("users/exists without email", func(t *testing.T) {
		if r := bearer(t, http.MethodPost, base+"/v1/users/exists", cc, map[string]string{}); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})
}
