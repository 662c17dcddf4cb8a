package localwise

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a settable clock for expiring codes and tokens without sleeping.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *testClock {
	return &testClock{t: time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testClientID and friends name a client each test registers with a
// redirect URL of its own.
const (
	testClientID     = "test-client"
	testClientSecret = "test-client-secret-0123456789"
	testRedirect     = "http://127.0.0.1:9/cb?app=wisewallet"
	otherClientID    = "other-client"
	otherSecret      = "other-secret-0123456789"
)

// start runs a server on a free loopback port, with the test clients
// registered, and stops it when the test ends.
func start(t testing.TB, cfg Config) (*Server, string) {
	t.Helper()
	s := New(cfg)
	s.RegisterClient(Client{ID: testClientID, Secret: testClientSecret, RedirectURLs: []string{testRedirect}})
	s.RegisterClient(Client{ID: otherClientID, Secret: otherSecret, RedirectURLs: []string{testRedirect}})
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s, base
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

type result struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

func (r result) str(k string) string {
	s, _ := r.json[k].(string)
	return s
}

func do(t testing.TB, req *http.Request) result {
	t.Helper()
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	r := result{status: resp.StatusCode, header: resp.Header, body: b}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(b, &r.json) // arrays stay in body
	}
	return r
}

func newRequest(t testing.TB, method, u string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// token posts a form to /oauth/token with Basic client auth (skipped when
// id is empty).
func token(t testing.TB, base, id, secret string, form url.Values) result {
	t.Helper()
	req := newRequest(t, http.MethodPost, base+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	if id != "" {
		req.SetBasicAuth(id, secret)
	}
	return do(t, req)
}

func clientToken(t testing.TB, base, id, secret string) string {
	t.Helper()
	r := token(t, base, id, secret, url.Values{"grant_type": {"client_credentials"}})
	if r.status != http.StatusOK {
		t.Fatalf("client_credentials: %d %s", r.status, r.body)
	}
	return r.str("access_token")
}

// bearer calls an API endpoint with a bearer token (none when tok is "").
func bearer(t testing.TB, method, u, tok string, body any) result {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = strings.NewReader(string(b))
	}
	req := newRequest(t, method, u, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return do(t, req)
}

func wantOAuthError(t testing.TB, r result, status int, code string) {
	t.Helper()
	if r.status != status || r.str("error") != code {
		t.Fatalf("got %d %s, want %d error=%s", r.status, r.body, status, code)
	}
	if r.str("error_description") == "" {
		t.Errorf("error_description missing: %s", r.body)
	}
}

var requestField = regexp.MustCompile(`name="request" value="([^"]+)"`)

// hiddenRequest returns the pending-request id from an authorize page.
func hiddenRequest(t testing.TB, page []byte) string {
	t.Helper()
	m := requestField.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no request field in page:\n%s", page)
	}
	return string(m[1])
}

func authorizeURL(base, clientID, redirect string, extra url.Values) string {
	q := url.Values{"client_id": {clientID}, "redirect_uri": {redirect}}
	for k, v := range extra {
		q[k] = v
	}
	return base + "/oauth/authorize?" + q.Encode()
}

func postForm(t testing.TB, u string, form url.Values) result {
	t.Helper()
	req := newRequest(t, http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, req)
}

// loginPage opens the authorize page and returns the pending-request id.
func loginPage(t testing.TB, base, clientID, redirect string, extra url.Values) string {
	t.Helper()
	r := do(t, newRequest(t, http.MethodGet, authorizeURL(base, clientID, redirect, extra), nil))
	if r.status != http.StatusOK {
		t.Fatalf("authorize page: %d %s", r.status, r.body)
	}
	return hiddenRequest(t, r.body)
}

// logIn submits the demo user's credentials and returns the consent page id.
func logIn(t testing.TB, base, reqID string) string {
	t.Helper()
	r := postForm(t, base+"/oauth/authorize/login", url.Values{
		"request": {reqID}, "email": {DemoUserEmail}, "password": {DemoUserPassword},
	})
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `id="approve"`) {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	return hiddenRequest(t, r.body)
}

// consent answers the consent page and returns the response.
func consent(t testing.TB, base, reqID, decision string, profileID int64) result {
	t.Helper()
	return postForm(t, base+"/oauth/authorize/consent", url.Values{
		"request": {reqID}, "decision": {decision}, "profileId": {itoa(profileID)},
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// authorize drives the whole browser flow for the test client and returns
// the query of the redirect it ends with.
func authorize(t testing.TB, base string, extra url.Values) url.Values {
	t.Helper()
	id := logIn(t, base, loginPage(t, base, testClientID, testRedirect, extra))
	r := consent(t, base, id, "approve", DemoBusinessProfileID)
	if r.status != http.StatusFound {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	loc, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc.Query()
}

// exchange trades a code for tokens as the test client.
func exchange(t testing.TB, base, code string, extra url.Values) result {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {testClientID}, "code": {code}, "redirect_uri": {testRedirect}}
	for k, v := range extra {
		form[k] = v
	}
	return token(t, base, testClientID, testClientSecret, form)
}

// userTokens runs the browser flow and the exchange and returns the tokens.
func userTokens(t testing.TB, base string) (access, refresh string) {
	t.Helper()
	q := authorize(t, base, url.Values{"state": {"s1"}})
	r := exchange(t, base, q.Get("code"), nil)
	if r.status != http.StatusOK {
		t.Fatalf("exchange: %d %s", r.status, r.body)
	}
	return r.str("access_token"), r.str("refresh_token")
}

func refresh(t testing.TB, base, id, secret, rt string) result {
	t.Helper()
	return token(t, base, id, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
}
