package localwise

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// syncBuffer lets the test read what Run writes from another goroutine.
type syncBuffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	line chan struct{}
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	if bytes.Contains(p, []byte("\n")) {
		select {
		case b.line <- struct{}{}:
		default:
		}
	}
	return n, err
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runUntil starts Run, waits for its output and returns it with a stop
// function that cancels Run and returns its error.
func runUntil(t *testing.T, jsonOut bool, wantLines int) (string, func() error) {
	t.Helper()
	out := &syncBuffer{line: make(chan struct{}, 64)}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, "127.0.0.1:0", Config{}, jsonOut, out, io.Discard) }()
	for strings.Count(out.String(), "\n") < wantLines {
		select {
		case <-out.line:
		case err := <-errc:
			cancel()
			t.Fatalf("Run returned early: %v", err)
		}
	}
	return out.String(), func() error {
		cancel()
		return <-errc
	}
}

func TestRunJSON(t *testing.T) {
	out, stop := runUntil(t, true, 1)
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("want exactly one line, got %q", out)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("not one JSON object: %v", err)
	}
	for _, k := range []string{"api_url", "authorize_url", "client_id", "client_secret", "personal_token", "user_email", "user_password", "redirect_url"} {
		if s, _ := d[k].(string); s == "" {
			t.Errorf("%s missing or empty", k)
		}
	}
	api := d["api_url"].(string)
	if d["authorize_url"] != api+"/oauth/authorize" || d["client_id"] != DemoClientID || d["redirect_url"] != DemoRedirectURL {
		t.Errorf("credentials = %v", d)
	}
	// The printed credentials work against the printed URL.
	tok := clientToken(t, api, d["client_id"].(string), d["client_secret"].(string))
	if tok == "" {
		t.Fatal("no token")
	}
	if r := bearer(t, http.MethodGet, api+"/v1/me", d["personal_token"].(string), nil); r.status != http.StatusOK {
		t.Fatalf("/v1/me with the printed personal token: %d", r.status)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, err := http.Get(api + "/v1/me"); err == nil {
		t.Error("server still answers after Run returned")
	}
}

func TestRunHuman(t *testing.T) {
	out, stop := runUntil(t, false, 12)
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	for _, want := range []string{"http://127.0.0.1:", DemoClientID, DemoClientSecret,
		DemoPersonalToken, DemoUserEmail, DemoUserPassword, DemoRedirectURL, "/oauth/authorize"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRunListenError(t *testing.T) {
	_, base := start(t, Config{})
	addr := strings.TrimPrefix(base, "http://")
	err := Run(context.Background(), addr, Config{}, true, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("Run on a busy port: %v", err)
	}
}

func TestDemoCredentials(t *testing.T) {
	s := New(Config{})
	if d := s.Demo(); d.APIURL != "" || d.ClientSecret != DemoClientSecret {
		t.Errorf("Demo before Start = %+v", d)
	}
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d := s.Demo()
	if d.APIURL != base || s.URL() != base || d.AuthorizeURL != base+"/oauth/authorize" {
		t.Errorf("Demo = %+v, base %s", d, base)
	}
	b, _ := json.Marshal(d)
	for _, k := range []string{`"api_url"`, `"authorize_url"`, `"client_id"`, `"client_secret"`, `"personal_token"`, `"user_email"`, `"user_password"`} {
		if !bytes.Contains(b, []byte(k)) {
			t.Errorf("JSON lacks %s: %s", k, b)
		}
	}
}

// TestLogNeverShowsSecrets runs every flow with a request log and checks
// that no token, secret, code, password or query string reaches it.
func TestLogNeverShowsSecrets(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, fmt.Sprintf(format, args...))
	}
	_, base := start(t, Config{Logf: logf})
	cc := clientToken(t, base, testClientID, testClientSecret)
	q := authorize(t, base, url.Values{"state": {"state-secret"}})
	x := exchange(t, base, q.Get("code"), nil)
	r := refresh(t, base, testClientID, testClientSecret, x.str("refresh_token"))
	bearer(t, http.MethodGet, base+"/v1/me", DemoPersonalToken, nil)
	code := strings.Repeat("z", 40)
	bearer(t, http.MethodPost, base+"/v1/user/signup/registration_code", cc, map[string]string{"email": "log@example.test", "registrationCode": code})
	token(t, base, testClientID, testClientSecret, url.Values{"grant_type": {"registration_code"}, "client_id": {testClientID}, "email": {"log@example.test"}, "registration_code": {code}})

	mu.Lock()
	log := strings.Join(lines, "\n")
	mu.Unlock()
	if !strings.Contains(log, "POST /oauth/token -> 200") || !strings.Contains(log, "trace=") {
		t.Errorf("log lacks the expected request lines:\n%s", log)
	}
	for _, secret := range []string{cc, testClientSecret, DemoUserPassword, DemoPersonalToken,
		q.Get("code"), x.str("access_token"), x.str("refresh_token"), r.str("access_token"), r.str("refresh_token"),
		"state-secret", code} {
		if secret != "" && strings.Contains(log, secret) {
			t.Errorf("log contains a secret %q", secret)
		}
	}
}

// TestHandlerWithoutStart: the handler also works behind another server,
// such as httptest's.
func TestHandlerWithoutStart(t *testing.T) {
	s := New(Config{})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	if tok := clientToken(t, ts.URL, DemoClientID, DemoClientSecret); tok == "" {
		t.Fatal("no token")
	}
	r := bearer(t, http.MethodGet, ts.URL+"/v2/profiles", DemoPersonalToken, nil)
	if r.status != http.StatusOK || !traceID.MatchString(r.header.Get("x-trace-id")) {
		t.Fatalf("got %d trace=%q", r.status, r.header.Get("x-trace-id"))
	}
	if s.Stats().ClientCredentialsRequests != 1 {
		t.Errorf("stats = %+v", s.Stats())
	}
}
