package localwise

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

var traceID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestTraceIDOnEveryResponse(t *testing.T) {
	s, base := start(t, Config{})
	s.SetFaults(Faults{})
	reqs := map[string]*http.Request{
		"token ok":        mustForm(t, base+"/oauth/token", "grant_type=client_credentials", true),
		"token error":     mustForm(t, base+"/oauth/token", "", true),
		"token 401":       mustForm(t, base+"/oauth/token", "grant_type=client_credentials", false),
		"404":             newRequest(t, http.MethodGet, base+"/no/such/path", nil),
		"405":             newRequest(t, http.MethodDelete, base+"/v2/profiles", nil),
		"authorize page":  newRequest(t, http.MethodGet, authorizeURL(base, testClientID, testRedirect, nil), nil),
		"authorize error": newRequest(t, http.MethodGet, authorizeURL(base, "nobody", testRedirect, nil), nil),
		"me 401":          newRequest(t, http.MethodGet, base+"/v1/me", nil),
		"admin stats":     newRequest(t, http.MethodGet, base+"/__localwise/stats", nil),
	}
	seen := map[string]string{}
	for name, req := range reqs {
		r := do(t, req)
		id := r.header.Get("x-trace-id")
		if !traceID.MatchString(id) {
			t.Errorf("%s (%d): x-trace-id = %q", name, r.status, id)
			continue
		}
		if other, dup := seen[id]; dup {
			t.Errorf("%s and %s share trace id %s", name, other, id)
		}
		seen[id] = name
	}
	// Wise's spelling, lower-case, is what goes on the wire.
	resp, err := http.Get(base + "/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("X-Trace-Id") == "" {
		t.Errorf("got %d without trace id", resp.StatusCode)
	}
}

func mustForm(t *testing.T, u, body string, auth bool) *http.Request {
	req := newRequest(t, http.MethodPost, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if auth {
		req.SetBasicAuth(testClientID, testClientSecret)
	}
	return req
}

func TestCorrelationIDEcho(t *testing.T) {
	_, base := start(t, Config{})
	const id = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
	for _, c := range []struct {
		sent, want string
	}{{id, id}, {"short", "short"}, {id + "x", ""}, {"", ""}} {
		for _, path := range []string{"/v1/me", "/nowhere"} {
			req := newRequest(t, http.MethodGet, base+path, nil)
			if c.sent != "" {
				req.Header.Set("X-External-Correlation-Id", c.sent)
			}
			if got := do(t, req).header.Get("X-External-Correlation-Id"); got != c.want {
				t.Errorf("%s sent %q: echoed %q, want %q", path, c.sent, got, c.want)
			}
		}
	}
}

func TestFault5xx(t *testing.T) {
	s, base := start(t, Config{})
	s.SetFaults(Faults{Fail5xx: 2})
	for i := range 2 {
		r := token(t, base, testClientID, testClientSecret, url.Values{"grant_type": {"client_credentials"}})
		if r.status != http.StatusInternalServerError || !traceID.MatchString(r.header.Get("x-trace-id")) {
			t.Fatalf("request %d: %d trace=%q", i, r.status, r.header.Get("x-trace-id"))
		}
	}
	if r := token(t, base, testClientID, testClientSecret, url.Values{"grant_type": {"client_credentials"}}); r.status != http.StatusOK {
		t.Fatalf("after the faults: %d", r.status)
	}
	st := s.Stats()
	if st.Injected5xx != 2 || st.ClientCredentialsRequests != 1 || st.Requests != 3 {
		t.Errorf("stats = %+v", st)
	}

	s.SetFaults(Faults{Fail5xx: 1, FailStatus: 503})
	if r := bearer(t, http.MethodGet, base+"/v1/me", DemoPersonalToken, nil); r.status != http.StatusServiceUnavailable || r.json["status"] != float64(503) {
		t.Fatalf("got %d %s", r.status, r.body)
	}
}

func TestFaultRateLimit(t *testing.T) {
	s, base := start(t, Config{})
	s.SetFaults(Faults{RateLimit: 1, RetryAfter: 7, Fail5xx: 1})
	r := bearer(t, http.MethodGet, base+"/v1/me", DemoPersonalToken, nil)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "7" || r.header.Get("X-Rate-Limited-By") == "" {
		t.Fatalf("got %d Retry-After=%q", r.status, r.header.Get("Retry-After"))
	}
	// Rate limiting comes first, then the 5xx, then normal service.
	if r := bearer(t, http.MethodGet, base+"/v1/me", DemoPersonalToken, nil); r.status != http.StatusInternalServerError {
		t.Fatalf("second request: %d", r.status)
	}
	if r := bearer(t, http.MethodGet, base+"/v1/me", DemoPersonalToken, nil); r.status != http.StatusOK {
		t.Fatalf("third request: %d", r.status)
	}
	s.SetFaults(Faults{RateLimit: 1})
	if r := bearer(t, http.MethodGet, base+"/v1/me", "", nil); r.header.Get("Retry-After") != "1" {
		t.Errorf("default Retry-After = %q", r.header.Get("Retry-After"))
	}
	if st := s.Stats(); st.Injected429 != 2 {
		t.Errorf("Injected429 = %d", st.Injected429)
	}
}

// TestFaultsAreConsumedOncePerRequest: with concurrent clients, exactly the
// configured number of requests fail.
func TestFaultsAreConsumedOncePerRequest(t *testing.T) {
	s, base := start(t, Config{})
	s.SetFaults(Faults{Fail5xx: 5})
	var mu sync.Mutex
	failed := 0
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if bearer(t, http.MethodGet, base+"/v1/me", DemoPersonalToken, nil).status == http.StatusInternalServerError {
				mu.Lock()
				failed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if failed != 5 {
		t.Errorf("%d requests failed, want 5", failed)
	}
}

func TestAdminEndpoints(t *testing.T) {
	s, base := start(t, Config{})
	post := func(path, body string) result {
		req := newRequest(t, http.MethodPost, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return do(t, req)
	}

	r := post("/__localwise/faults", `{"latency":"250ms","fail_5xx":1,"rate_limit":2,"retry_after":3}`)
	if r.status != http.StatusOK || r.json["latency"] != "250ms" || r.json["fail_5xx"] != float64(1) {
		t.Fatalf("POST faults: %d %s", r.status, r.body)
	}
	if f := s.Faults(); f.Latency.Milliseconds() != 250 || f.RateLimit != 2 || f.RetryAfter != 3 {
		t.Errorf("Faults() = %+v", f)
	}
	// Admin endpoints are not subject to the faults, so they can clear them.
	if r := post("/__localwise/faults", `{}`); r.status != http.StatusOK {
		t.Fatalf("clear faults: %d", r.status)
	}
	if got := do(t, newRequest(t, http.MethodGet, base+"/__localwise/faults", nil)); got.json["fail_5xx"] != float64(0) || got.json["latency"] != nil {
		t.Errorf("GET faults after clearing: %s", got.body)
	}

	for _, bad := range []string{`{"latency":"soon"}`, `{`, `{"fail_5xx":-1}`, `{"fail_status":404}`, `{"latency":"1h"}`} {
		if r := post("/__localwise/faults", bad); r.status != http.StatusBadRequest && r.status != http.StatusUnprocessableEntity {
			t.Errorf("POST faults %s: %d", bad, r.status)
		}
	}

	_, rt := userTokens(t, base)
	if r := post("/__localwise/faults", `{"revoke_refresh_tokens":true}`); r.status != http.StatusOK {
		t.Fatalf("revoke: %d", r.status)
	}
	wantOAuthError(t, refresh(t, base, testClientID, testClientSecret, rt), http.StatusUnauthorized, "invalid_grant")

	// Register a client out of process and use it.
	redirect := "http://127.0.0.1:54321/cb"
	r = post("/__localwise/clients", fmt.Sprintf(`{"id":"ext","secret":"ext-secret","redirect_urls":[%q]}`, redirect))
	if r.status != http.StatusOK || strings.Contains(string(r.body), "ext-secret") {
		t.Fatalf("register client: %d %s", r.status, r.body)
	}
	clientToken(t, base, "ext", "ext-secret")
	if r := do(t, newRequest(t, http.MethodGet, authorizeURL(base, "ext", redirect, nil), nil)); r.status != http.StatusOK {
		t.Errorf("authorize for the new client: %d", r.status)
	}
	if r := post("/__localwise/clients", `{"id":"x"}`); r.status != http.StatusUnprocessableEntity {
		t.Errorf("client without secret: %d", r.status)
	}

	st := do(t, newRequest(t, http.MethodGet, base+"/__localwise/stats", nil))
	var got Stats
	if err := json.Unmarshal(st.body, &got); err != nil || st.status != http.StatusOK {
		t.Fatalf("stats: %d %s", st.status, st.body)
	}
	if got != s.Stats() || got.ClientCredentialsRequests != 1 || got.RefreshRequests != 1 || got.AuthorizationCodeRequests != 1 {
		t.Errorf("stats = %+v, Stats() = %+v", got, s.Stats())
	}
	if r := post("/__localwise/stats", `{}`); r.status != http.StatusMethodNotAllowed {
		t.Errorf("POST stats: %d", r.status)
	}
}
