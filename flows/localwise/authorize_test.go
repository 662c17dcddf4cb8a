package localwise

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestAuthorizePage(t *testing.T) {
	_, base := start(t, Config{})
	r := do(t, newRequest(t, http.MethodGet, authorizeURL(base, testClientID, testRedirect, url.Values{"state": {"s"}}), nil))
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("got %d %s", r.status, r.header.Get("Content-Type"))
	}
	page := string(r.body)
	for _, id := range []string{`id="email"`, `id="password"`, `id="login"`, `name="request"`} {
		if !strings.Contains(page, id) {
			t.Errorf("login page lacks %s", id)
		}
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", r.header.Get("Cache-Control"))
	}
	csp := r.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "form-action 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	// The CSP allows the page's one style block by hash: check they agree,
	// or a browser would show the page unstyled.
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no style block")
	}
	sum := sha256.Sum256([]byte(m[1]))
	if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, h) {
		t.Errorf("CSP %q does not allow the style block (%s)", csp, h)
	}

	// Wise's own authorize URL ends in a slash.
	slash := strings.Replace(authorizeURL(base, testClientID, testRedirect, nil), "/oauth/authorize?", "/oauth/authorize/?", 1)
	if r := do(t, newRequest(t, http.MethodGet, slash, nil)); r.status != http.StatusOK {
		t.Errorf("/oauth/authorize/: %d", r.status)
	}
}

func TestAuthorizeRejectsBadClientOrRedirect(t *testing.T) {
	_, base := start(t, Config{})
	cases := []struct{ name, client, redirect string }{
		{"unknown client", "nobody", testRedirect},
		{"no client", "", testRedirect},
		{"other path", testClientID, "http://127.0.0.1:9/cb2?app=wisewallet"},
		{"query differs", testClientID, "http://127.0.0.1:9/cb"},
		{"trailing slash", testClientID, "http://127.0.0.1:9/cb/?app=wisewallet"},
		{"other host", testClientID, "http://evil.test/cb?app=wisewallet"},
		{"no redirect", testClientID, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, newRequest(t, http.MethodGet, authorizeURL(base, c.client, c.redirect, url.Values{"state": {"s"}}), nil))
			if r.status != http.StatusBadRequest || r.header.Get("Location") != "" {
				t.Fatalf("got %d Location=%q, want 400 without redirect", r.status, r.header.Get("Location"))
			}
			if !strings.Contains(string(r.body), `id="error"`) {
				t.Errorf("no error message on page: %s", r.body)
			}
		})
	}
	t.Run("repeated redirect_uri", func(t *testing.T) {
		u := authorizeURL(base, testClientID, testRedirect, nil) + "&redirect_uri=" + url.QueryEscape("http://evil.test/")
		if r := do(t, newRequest(t, http.MethodGet, u, nil)); r.status != http.StatusBadRequest {
			t.Fatalf("got %d", r.status)
		}
	})
}

func TestAuthorizeLoginErrors(t *testing.T) {
	_, base := start(t, Config{})
	id := loginPage(t, base, testClientID, testRedirect, nil)
	login := func(id, email, password string) result {
		return postForm(t, base+"/oauth/authorize/login", url.Values{"request": {id}, "email": {email}, "password": {password}})
	}

	r := login(id, DemoUserEmail, "wrong")
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `id="error"`) || !strings.Contains(string(r.body), `id="password"`) {
		t.Fatalf("wrong password: %d %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), `value="wrong"`) {
		t.Error("the login page echoes the password back")
	}
	if !strings.Contains(string(r.body), `value="`+DemoUserEmail+`"`) {
		t.Error("the login page forgot the email")
	}
	// The same request can still succeed.
	if next := logIn(t, base, hiddenRequest(t, r.body)); next == id {
		t.Error("the request id was not replaced after login")
	}
	// The login page's id is spent once the login succeeded.
	if r := consent(t, base, id, "approve", DemoPersonalProfileID); r.status != http.StatusBadRequest {
		t.Errorf("consent with the pre-login id: %d", r.status)
	}

	t.Run("unknown user", func(t *testing.T) {
		id := loginPage(t, base, testClientID, testRedirect, nil)
		if r := login(id, "nobody@example.test", "x"); !strings.Contains(string(r.body), `id="error"`) {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})
	t.Run("too many wrong passwords", func(t *testing.T) {
		id := loginPage(t, base, testClientID, testRedirect, nil)
		var r result
		for range 5 {
			r = login(id, DemoUserEmail, "wrong")
		}
		if r.status != http.StatusBadRequest || strings.Contains(string(r.body), `id="password"`) {
			t.Fatalf("after 5 failures: %d %s", r.status, r.body)
		}
		if r := login(id, DemoUserEmail, DemoUserPassword); r.status != http.StatusBadRequest {
			t.Fatalf("right password after lock-out: %d", r.status)
		}
	})
	t.Run("unknown request", func(t *testing.T) {
		if r := login("forged", DemoUserEmail, DemoUserPassword); r.status != http.StatusBadRequest {
			t.Fatalf("got %d", r.status)
		}
	})
	t.Run("consent before login", func(t *testing.T) {
		id := loginPage(t, base, testClientID, testRedirect, nil)
		if r := consent(t, base, id, "approve", DemoPersonalProfileID); r.status != http.StatusBadRequest {
			t.Fatalf("got %d", r.status)
		}
	})
	t.Run("GET on the form targets", func(t *testing.T) {
		if r := do(t, newRequest(t, http.MethodGet, base+"/oauth/authorize/login", nil)); r.status != http.StatusMethodNotAllowed {
			t.Fatalf("got %d", r.status)
		}
	})
}

func TestAuthorizePendingRequestExpires(t *testing.T) {
	clk := newClock()
	_, base := start(t, Config{Now: clk.Now})
	id := loginPage(t, base, testClientID, testRedirect, nil)
	clk.Advance(31 * time.Minute)
	r := postForm(t, base+"/oauth/authorize/login", url.Values{"request": {id},
		"email": {DemoUserEmail}, "password": {DemoUserPassword}})
	if r.status != http.StatusBadRequest {
		t.Fatalf("got %d", r.status)
	}
}

func TestConsentPage(t *testing.T) {
	_, base := start(t, Config{})
	id := loginPage(t, base, testClientID, testRedirect, nil)
	r := postForm(t, base+"/oauth/authorize/login", url.Values{"request": {id},
		"email": {DemoUserEmail}, "password": {DemoUserPassword}})
	page := string(r.body)
	for _, want := range []string{`id="approve"`, `id="deny"`,
		`name="profileId" id="profile-16000001" value="16000001" checked`,
		`name="profileId" id="profile-16000002" value="16000002"`} {
		if !strings.Contains(page, want) {
			t.Errorf("consent page lacks %s", want)
		}
	}
	// Browsers apply form-action to the redirect after the form, so the
	// redirect's origin must be allowed.
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' http://127.0.0.1:9;") {
		t.Errorf("CSP = %q", csp)
	}
	id = hiddenRequest(t, r.body)

	t.Run("profile not the user's", func(t *testing.T) {
		r := consent(t, base, id, "approve", 999)
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), `id="error"`) {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})
	t.Run("no decision", func(t *testing.T) {
		if r := consent(t, base, id, "", DemoPersonalProfileID); r.status != http.StatusBadRequest {
			t.Fatalf("got %d", r.status)
		}
	})
	t.Run("approve personal", func(t *testing.T) {
		r := consent(t, base, id, "approve", DemoPersonalProfileID)
		loc, _ := url.Parse(r.header.Get("Location"))
		if r.status != http.StatusFound || loc.Query().Get("profileId") != "16000001" {
			t.Fatalf("got %d %s", r.status, loc)
		}
		if loc.Query().Has("state") {
			t.Error("state in the redirect although none was sent")
		}
	})
	t.Run("the request is spent", func(t *testing.T) {
		if r := consent(t, base, id, "approve", DemoPersonalProfileID); r.status != http.StatusBadRequest {
			t.Fatalf("got %d", r.status)
		}
	})
}

func TestAuthorizeDeny(t *testing.T) {
	_, base := start(t, Config{})
	id := logIn(t, base, loginPage(t, base, testClientID, testRedirect, url.Values{"state": {"st-9"}}))
	r := consent(t, base, id, "deny", 0)
	if r.status != http.StatusFound {
		t.Fatalf("got %d", r.status)
	}
	loc, _ := url.Parse(r.header.Get("Location"))
	q := loc.Query()
	if q.Get("error") != "access_denied" || q.Get("error_description") == "" || q.Get("state") != "st-9" || q.Has("code") {
		t.Fatalf("deny redirect = %s", loc)
	}
	if loc.Scheme+"://"+loc.Host+loc.Path != "http://127.0.0.1:9/cb" {
		t.Errorf("redirected to %s", loc)
	}
}

func TestAuthorizeShowCode(t *testing.T) {
	_, base := start(t, Config{})
	state := `<script>alert("x")</script>`
	extra := url.Values{"forwardingMode": {"showCode"}, "state": {state}}
	id := logIn(t, base, loginPage(t, base, testClientID, testRedirect, extra))
	r := consent(t, base, id, "approve", DemoPersonalProfileID)
	if r.status != http.StatusOK || r.header.Get("Location") != "" {
		t.Fatalf("showCode: %d Location=%q", r.status, r.header.Get("Location"))
	}
	page := string(r.body)
	if strings.Contains(page, state) || !strings.Contains(page, html.EscapeString(state)) {
		t.Errorf("state is not HTML-escaped on the page")
	}
	m := regexp.MustCompile(`<code id="code">([^<]+)</code>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no code on page: %s", page)
	}
	if !strings.Contains(page, `<code id="profileId">16000001</code>`) {
		t.Errorf("no profile id on page")
	}
	if x := exchange(t, base, m[1], nil); x.status != http.StatusOK {
		t.Fatalf("exchange of the shown code: %d %s", x.status, x.body)
	}

	t.Run("deny", func(t *testing.T) {
		id := logIn(t, base, loginPage(t, base, testClientID, testRedirect, url.Values{"forwardingMode": {"showCode"}}))
		r := consent(t, base, id, "deny", 0)
		if r.status != http.StatusOK || !strings.Contains(string(r.body), `<code id="error-code">access_denied</code>`) {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})
}
