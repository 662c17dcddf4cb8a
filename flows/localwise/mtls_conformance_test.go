package localwise

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestMTLSConformsToWiseOpenAPI validates the answers of the mTLS listener
// against Wise's OpenAPI document, as TestConformsToWiseOpenAPI does for
// the plain one: the same operations, over a connection that presented a
// client certificate, and the mTLS refusals against the OAuth error shape.
func TestMTLSConformsToWiseOpenAPI(t *testing.T) {
	o := loadOAS(t)
	m := setupMTLS(t, Config{})
	const corr = "0d9f3f6e-7d1c-4b5e-9a51-3c0ffee00002"
	call := func(name, method, path string, req *http.Request) result {
		t.Helper()
		req.Header.Set("X-External-Correlation-Id", corr)
		r, err := doWith(t, m.client, req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		o.conform(t, name, path, method, r, corr)
		return r
	}
	tokenCall := func(name, id, secret string, form url.Values) result {
		t.Helper()
		req := newRequest(t, http.MethodPost, m.mtls+"/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(id, secret)
		return call(name, http.MethodPost, "/oauth/token", req)
	}
	get := func(name, path, target, tok string) result {
		t.Helper()
		req := newRequest(t, http.MethodGet, m.mtls+target, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		return call(name, http.MethodGet, path, req)
	}

	cc := tokenCall("mTLS client_credentials", testClientID, testClientSecret, url.Values{"grant_type": {"client_credentials"}})
	if cc.status != http.StatusOK {
		t.Fatalf("client_credentials over mTLS: %d %s", cc.status, cc.body)
	}
	_, rt := userTokens(t, m.base)
	if r := tokenCall("mTLS refresh_token", testClientID, testClientSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}); r.status != http.StatusOK {
		t.Fatalf("refresh over mTLS: %d %s", r.status, r.body)
	}
	tokenCall("mTLS invalid_client", testClientID, "wrong", url.Values{"grant_type": {"client_credentials"}})
	tokenCall("mTLS unsupported grant", testClientID, testClientSecret, url.Values{"grant_type": {"password"}})
	if r := tokenCall("mTLS certificate of another client", otherClientID, otherSecret, url.Values{"grant_type": {"client_credentials"}}); r.status != http.StatusForbidden {
		t.Errorf("mismatch: %d", r.status)
	}
	get("mTLS /v1/me", "/v1/me", "/v1/me", DemoPersonalToken)
	get("mTLS /v2/profiles", "/v2/profiles", "/v2/profiles", DemoPersonalToken)
	get("mTLS /2026Q3 profile", "/v2/profiles/{profileId}", "/2026Q3/v2/profiles/"+itoa(DemoPersonalProfileID), DemoPersonalToken)
	get("mTLS /v1/me client token", "/v1/me", "/v1/me", cc.str("access_token"))
	m.s.SetFaults(Faults{RateLimit: 1, RetryAfter: 2})
	get("mTLS rate limited", "/v1/me", "/v1/me", DemoPersonalToken)

	// The playground and the Developer Hub are not in Wise's document;
	// if a later version adds them, they must join the calls above.
	for _, p := range []struct{ path, method string }{
		{playgroundPath, http.MethodGet}, {hubAPIPath, http.MethodPost}, {hubAPIPath, http.MethodGet}, {hubCAPath, http.MethodGet},
	} {
		if _, ok := o.lookup("/paths/" + pointerEscape(p.path)); ok {
			t.Errorf("%s is in Wise's document now: validate it", p.path)
		}
	}
}
