package localwise

// Fidelity fixes found by running independent OAuth clients against
// localwise: RFC 6749 §2.3.1 form-encoded Basic credentials, the
// unsupported_grant_type error, and Wise's quarterly version prefix.

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// basicToken posts form to /oauth/token with an Authorization header built
// from user and password exactly as given, so a test decides the encoding.
func basicToken(t *testing.T, base, user, password string, form url.Values) result {
	t.Helper()
	req := newRequest(t, http.MethodPost, base+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+password)))
	return do(t, req)
}

func TestStrictClientBasicCredentials(t *testing.T) {
	s, base := start(t, Config{})
	// A secret with every character form-encoding changes: '%', '+', a
	// space, '/', ':', '&', '=', '?', '#' and a non-ASCII letter.
	const reservedID, reservedSecret = "strict client+1", "s3cr%t+with/reserved:chars&=?# é"
	s.RegisterClient(Client{ID: reservedID, Secret: reservedSecret, RedirectURLs: []string{testRedirect}})
	// Secrets that hold text which decodes to something else: the raw form
	// must keep working and the decoded one must not stand in for it.
	const escapeLikeID, escapeLikeSecret = "escape-like", "a%41b+c"
	s.RegisterClient(Client{ID: escapeLikeID, Secret: escapeLikeSecret})
	s.RegisterClient(Client{ID: "bad-escape", Secret: "100%pure"})
	// Two clients whose ids collide once form-decoded, with one secret: a
	// strict twin%2Did means twin-id, a raw one means the literal client.
	const twinSecret = "twin-secret"
	s.RegisterClient(Client{ID: "twin-id", Secret: twinSecret})
	s.RegisterClient(Client{ID: "twin%2Did", Secret: twinSecret})
	// Clients that only a mix of forms (one part raw, one decoded) would
	// let in: a literal escaped id with a plain secret, and a plain id with
	// a literal escaped secret.
	s.RegisterClient(Client{ID: "literal%2Did", Secret: "s-t"})
	s.RegisterClient(Client{ID: "plain-id", Secret: "p%2Dq"})
	cc := url.Values{"grant_type": {"client_credentials"}}

	if got := url.QueryEscape(reservedSecret); got == reservedSecret || !strings.Contains(got, "%25") || !strings.Contains(got, "%2B") || !strings.Contains(got, "+") {
		t.Fatalf("the test secret does not exercise form encoding: %s", got)
	}
	accepted := []struct{ name, user, password string }{
		// What oauth4webapi and other RFC-strict clients send for the
		// demo client: '-' is escaped by their encoder.
		{"strict demo client", "wisewallet%2Ddemo", "demo%2Dclient%2Dsecret"},
		{"strict id, raw secret", "wisewallet%2Ddemo", DemoClientSecret},
		{"raw demo client", DemoClientID, DemoClientSecret},
		{"strict reserved characters", url.QueryEscape(reservedID), url.QueryEscape(reservedSecret)},
		{"raw reserved characters", reservedID, reservedSecret},
		{"strict, lower-case escapes", "wisewallet%2ddemo", "demo%2dclient%2dsecret"},
		{"raw secret that looks escaped", escapeLikeID, escapeLikeSecret},
		{"strict secret that looks escaped", escapeLikeID, url.QueryEscape(escapeLikeSecret)},
		{"raw secret with a bad escape", "bad-escape", "100%pure"},
		{"strict secret with a bad escape", "bad-escape", "100%25pure"},
		{"raw id of a colliding pair", "twin-id", twinSecret},
		{"raw literal escaped id", "literal%2Did", "s-t"},
		{"strict literal escaped id", "literal%252Did", "s%2Dt"},
		{"raw literal escaped secret", "plain-id", "p%2Dq"},
		{"strict literal escaped secret", "plain%2Did", "p%252Dq"},
	}
	for _, c := range accepted {
		t.Run(c.name, func(t *testing.T) {
			if r := basicToken(t, base, c.user, c.password, cc); r.status != http.StatusOK {
				t.Fatalf("got %d %s, want 200", r.status, r.body)
			}
		})
	}
	refused := []struct{ name, user, password string }{
		{"decoded form of the stored secret", escapeLikeID, "aAb c"},
		{"strict wrong secret", "wisewallet%2Ddemo", "demo%2Dclient%2Dsecre"},
		{"space for plus", reservedID, strings.ReplaceAll(reservedSecret, "+", " ")},
		{"double encoded", url.QueryEscape(url.QueryEscape(reservedID)), url.QueryEscape(url.QueryEscape(reservedSecret))},
		{"other client's secret, strict", url.QueryEscape(reservedID), "demo%2Dclient%2Dsecret"},
		// Read raw it is twin%2Did, decoded it is twin-id: ambiguous.
		{"ids colliding once decoded", "twin%2Did", twinSecret},
		{"raw id, decoded secret", "literal%2Did", "s%2Dt"},
		{"decoded id, raw secret", "plain%2Did", "p%2Dq"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			wantOAuthError(t, basicToken(t, base, c.user, c.password, cc), http.StatusUnauthorized, "invalid_client")
		})
	}

	// Every grant authenticates the same way: a refresh with strict
	// credentials rotates the token.
	_, rt := userTokensFor(t, base, "wisewallet%2Ddemo")
	r := basicToken(t, base, "wisewallet%2Ddemo", "demo%2Dclient%2Dsecret", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	if r.status != http.StatusOK || r.str("refresh_token") == "" || r.str("refresh_token") == rt {
		t.Fatalf("refresh with strict credentials: %d %s", r.status, r.body)
	}
}

// userTokensFor runs the demo client's browser flow and exchanges the code
// with Basic credentials whose id is user (the secret encoded alike).
func userTokensFor(t *testing.T, base, user string) (access, refresh string) {
	t.Helper()
	id := logIn(t, base, loginPage(t, base, DemoClientID, DemoRedirectURL, nil))
	c := consent(t, base, id, "approve", DemoPersonalProfileID)
	loc, err := url.Parse(c.header.Get("Location"))
	if c.status != http.StatusFound || err != nil {
		t.Fatalf("consent: %d %v", c.status, err)
	}
	secret := DemoClientSecret
	if user != DemoClientID {
		secret = "demo%2Dclient%2Dsecret"
	}
	r := basicToken(t, base, user, secret, url.Values{"grant_type": {"authorization_code"}, "client_id": {DemoClientID},
		"code": {loc.Query().Get("code")}, "redirect_uri": {DemoRedirectURL}})
	if r.status != http.StatusOK {
		t.Fatalf("exchange: %d %s", r.status, r.body)
	}
	return r.str("access_token"), r.str("refresh_token")
}

func TestUnknownGrantType(t *testing.T) {
	s, base := start(t, Config{})
	for _, grant := range []string{"password", "implicit", "urn:ietf:params:oauth:grant-type:jwt-bearer", "CLIENT_CREDENTIALS", "client_credentials "} {
		t.Run(grant, func(t *testing.T) {
			r := token(t, base, testClientID, testClientSecret, url.Values{"grant_type": {grant}})
			wantOAuthError(t, r, http.StatusBadRequest, "unsupported_grant_type")
			if len(r.json) != 2 {
				t.Errorf("body has fields beyond error and error_description: %s", r.body)
			}
			if strings.Contains(string(r.body), testClientSecret) {
				t.Errorf("body echoes the secret: %s", r.body)
			}
		})
	}
	// No grant at all stays Wise's documented invalid_request.
	wantOAuthError(t, token(t, base, testClientID, testClientSecret, url.Values{}), http.StatusBadRequest, "invalid_request")
	// Client authentication comes first: an unauthenticated caller learns
	// nothing about which grants exist.
	wantOAuthError(t, token(t, base, testClientID, "wrong", url.Values{"grant_type": {"password"}}), http.StatusUnauthorized, "invalid_client")
	if got := s.Stats().TokensIssued; got != 0 {
		t.Errorf("TokensIssued = %d after failed grants", got)
	}
}

func TestValidVersion(t *testing.T) {
	for v, want := range map[string]bool{
		"2026Q3": true, "2026Q4": true, "2027Q1": true, "1999Q2": true,
		"2026Q0": false, "2026Q5": false, "2026q3": false, "26Q3": false, "20261Q3": false,
		"abcdQ1": false, "2026Q": false, "2026-Q3": false, "": false, "v1": false, "2026Q3 ": false,
	} {
		if got := validVersion(v); got != want {
			t.Errorf("validVersion(%q) = %v, want %v", v, got, want)
		}
	}
}

// TestVersionedPaths: every emulated path answers under /YYYYQn/ as it does
// without, and a malformed prefix is a 404.
func TestVersionedPaths(t *testing.T) {
	_, base := start(t, Config{})
	cc := clientToken(t, base, testClientID, testClientSecret)

	same := []struct {
		method, path, tok string
		body              any
	}{
		{http.MethodGet, "/v1/me", DemoPersonalToken, nil},
		{http.MethodGet, "/v2/profiles", DemoPersonalToken, nil},
		{http.MethodGet, "/v2/profiles/16000002", DemoPersonalToken, nil},
		{http.MethodGet, "/v1/me", "0badc0de", nil},
		{http.MethodGet, "/v1/me", cc, nil},
		{http.MethodPost, "/v1/users/exists", cc, map[string]string{"email": DemoUserEmail}},
		{http.MethodPost, "/v1/users/exists", cc, map[string]string{"email": "nobody@example.test"}},
	}
	for _, c := range same {
		plain := bearer(t, c.method, base+c.path, c.tok, c.body)
		for _, v := range []string{"2026Q3", "2026Q4", "2031Q1"} {
			got := bearer(t, c.method, base+"/"+v+c.path, c.tok, c.body)
			if got.status != plain.status || string(got.body) != string(plain.body) {
				t.Errorf("%s /%s%s: %d %s, want %d %s", c.method, v, c.path, got.status, got.body, plain.status, plain.body)
			}
		}
	}
	// Errors with a path in them name the path that was asked for.
	for _, p := range []string{"/v2/profiles/14575282", "/2026Q3/v2/profiles/14575282"} {
		r := bearer(t, http.MethodGet, base+p, DemoPersonalToken, nil)
		if r.status != http.StatusNotFound || r.str("path") != p || r.str("message") != "Profile not found" {
			t.Errorf("GET %s: %d %s", p, r.status, r.body)
		}
	}

	// The token endpoint: the same error bodies, and grants that work.
	unsupported := url.Values{"grant_type": {"password"}}
	plain := token(t, base, testClientID, testClientSecret, unsupported)
	versioned := token(t, base+"/2026Q3", testClientID, testClientSecret, unsupported)
	if versioned.status != plain.status || string(versioned.body) != string(plain.body) {
		t.Errorf("unsupported grant: /2026Q3 answered %d %s, unversioned %d %s", versioned.status, versioned.body, plain.status, plain.body)
	}
	vcc := clientToken(t, base+"/2026Q3", testClientID, testClientSecret)
	if r := bearer(t, http.MethodPost, base+"/v1/users/exists", vcc, map[string]string{"email": DemoUserEmail}); r.status != http.StatusOK {
		t.Errorf("a token from /2026Q3/oauth/token: %d %s", r.status, r.body)
	}

	// The whole browser flow and the exchange under version prefixes:
	// authorize page, login and consent forms, token and refresh.
	q := authorize(t, base+"/2026Q3", url.Values{"state": {"v"}})
	if q.Get("state") != "v" || q.Get("code") == "" {
		t.Fatalf("versioned authorize redirect: %v", q)
	}
	ex := exchange(t, base+"/2026Q4", q.Get("code"), nil)
	if ex.status != http.StatusOK {
		t.Fatalf("versioned exchange: %d %s", ex.status, ex.body)
	}
	if r := refresh(t, base+"/2026Q3", testClientID, testClientSecret, ex.str("refresh_token")); r.status != http.StatusOK {
		t.Fatalf("versioned refresh: %d %s", r.status, r.body)
	}
	if me := bearer(t, http.MethodGet, base+"/2026Q3/v1/me", ex.str("access_token"), nil); me.status != http.StatusUnauthorized {
		t.Errorf("access token after a versioned refresh still works: %d", me.status)
	}

	// Malformed prefixes, a doubled one, and the stand-in's own endpoints
	// (which Wise does not have, so not under a version either).
	for _, p := range []string{"/2026Q5/v1/me", "/2026q3/v1/me", "/26Q3/v1/me", "/2026Q0/v1/me", "/20261Q3/v1/me",
		"/abcdQ1/v1/me", "/2026Q3/2026Q3/v1/me", "/2026Q3/", "/2026Q3", "/2026Q3/__localwise/stats", "/2026Q5/oauth/token"} {
		r := bearer(t, http.MethodGet, base+p, DemoPersonalToken, nil)
		if r.status != http.StatusNotFound || r.str("path") != p {
			t.Errorf("GET %s: %d %s, want a 404 naming the path", p, r.status, r.body)
		}
	}
	r := token(t, base+"/2026Q7", testClientID, testClientSecret, url.Values{"grant_type": {"client_credentials"}})
	if r.status != http.StatusNotFound {
		t.Errorf("POST /2026Q7/oauth/token: %d %s", r.status, r.body)
	}
	if r := bearer(t, http.MethodGet, base+"/2026Q3/v1/me", DemoPersonalToken, nil); r.header.Get("x-trace-id") == "" {
		t.Error("a versioned answer has no x-trace-id")
	}
}
