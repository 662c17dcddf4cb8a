package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
)

// request, run as the real binary against a real localwise over HTTP (or
// a recorder where what arrives must be seen byte for byte).

// statusLine is request's stderr line for an answer.
var statusLine = regexp.MustCompile(`(?m)^HTTP (\d{3}) [A-Za-z ]+; x-trace-id: (\S+)$`)

// traced checks stderr's status line and returns its trace id.
func traced(t *testing.T, r result, status int) string {
	t.Helper()
	m := statusLine.FindStringSubmatch(r.stderr)
	if m == nil || m[1] != fmt.Sprint(status) || m[2] == "(none)" {
		t.Errorf("request %s: stderr has no line HTTP %d ... x-trace-id: ...:\n%s", r.args, status, r.stderr)
		return ""
	}
	return m[2]
}

// Every kind of entry calls with its own token; the body is on stdout as
// Wise sent it, the status and x-trace-id on stderr; an HTTP error is
// exit 22 with its body still printed; --include and --json.
func TestRequestEveryKind(t *testing.T) {
	t.Parallel()
	x := newExecRig(t, localwise.Config{SCAMode: localwise.SCANever})
	d := x.srv.Demo()
	e := x.e

	r := e.cmd("request", "p1", "GET", "/v1/me")
	e.expect(r, 0)
	traced(t, r, 200)
	var me struct{ Email string }
	if err := json.Unmarshal([]byte(r.stdout), &me); err != nil || me.Email != d.UserEmail {
		t.Errorf("request p1 GET /v1/me: %v, stdout %s", err, r.stdout)
	}
	r = e.cmd("request", "c1", "get", clientPath)
	e.expect(r, 0)
	traced(t, r, 200)
	if !strings.Contains(r.stdout, `"PAYLOAD_SIGNING"`) {
		t.Errorf("request c1: %s", r.stdout)
	}
	r = e.cmd("request", "u1", "GET", "/v2/profiles")
	e.expect(r, 0)
	if !strings.Contains(r.stdout, fmt.Sprint(d.PersonalProfileID)) {
		t.Errorf("request u1 GET /v2/profiles: %s", r.stdout)
	}

	// A body from standard input and from a file, POSTed.
	pay := fmt.Sprintf("/v3/profiles/%d/transfers/1/payments", d.PersonalProfileID)
	r = e.run(call{args: []string{"request", "u1", "POST", pay, "--data", "-"}, stdin: ptr(`{"type":"BALANCE"}`)})
	e.expect(r, 0)
	traced(t, r, 200)
	file := filepath.Join(e.root, "pay.json")
	if err := os.WriteFile(file, []byte(`{"type":"BALANCE"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	e.expect(e.cmd("request", "p1", "POST", pay, "--data", "@"+file), 0)
	if n := x.srv.SCAStats().Executed; sumExecuted(n, "POST ", "/payments") != 2 {
		t.Errorf("the payments ran %v times, want 2", n)
	}

	// HTTP errors: 22, the body on stdout, the status on stderr.
	r = e.cmd("request", "p1", "GET", "/v1/no-such-thing")
	e.expect(r, exitHTTP, "HTTP 404")
	traced(t, r, 404)
	if !strings.Contains(r.stdout, "No message available") {
		t.Errorf("the 404's body is not on stdout: %q", r.stdout)
	}
	r = e.cmd("request", "c1", "GET", "/v1/me") // a client's token is no user's
	if r.code != exitHTTP || r.stdout == "" {
		t.Errorf("%s", e.describe(r, "exit 22 with the body"))
	}

	r = e.cmd("request", "p1", "GET", "/v1/me", "--include")
	e.expect(r, 0)
	head, body, ok := strings.Cut(r.stdout, "\n\n")
	if !ok || !strings.HasPrefix(head, "HTTP 200 OK\n") || !regexp.MustCompile(`(?m)^X-Trace-Id: \S+$`).MatchString(head) || !strings.Contains(body, d.UserEmail) {
		t.Errorf("--include:\n%s", r.stdout)
	}
	r = e.cmd("request", "p1", "GET", "/v1/me", "--json")
	e.expect(r, 0)
	var j struct {
		Status  int                 `json:"status"`
		TraceID string              `json:"x_trace_id"`
		Headers map[string][]string `json:"headers"`
		Body    struct{ Email string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &j); err != nil || j.Status != 200 || j.TraceID == "" || j.Body.Email != d.UserEmail || len(j.Headers["X-Trace-Id"]) != 1 {
		t.Errorf("--json: %v %+v\n%s", err, j, r.stdout)
	}

	// Refused before anything is sent.
	before := x.srv.Stats().Requests
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"request", "p1", "GET", "https://api.wise.com/v1/me"}, "not a URL"},
		{[]string{"request", "p1", "POST", "/v1/x", "--jose", "jwz"}, "jws, jwe or jws+jwe"},
		{[]string{"request", "p1", "GET", "/v1/me", "--header", "no colon"}, "NAME: VALUE"},
		{[]string{"request", "p1", "GET", "/v1/me", "--header", "Authorization: Bearer x"}, "set by wisewallet"},
		{[]string{"request", "p1", "POST", "/v1/x", "--data", "@" + filepath.Join(e.root, "missing.json")}, "no such file"},
		{[]string{"request", "p1", "GET", "/v1/me", "--include", "--json"}, "do not go together"},
		{[]string{"request", "p1", "GET"}, "missing arguments"},
	} {
		e.expect(e.cmd(c.args...), exitUsage, c.says)
	}
	if n := x.srv.Stats().Requests - before; n != 0 {
		t.Errorf("refused requests sent %d calls", n)
	}
}

// sumExecuted adds up localwise's executed calls by method and path part.
func sumExecuted(m map[string]int, method, part string) int {
	n := 0
	for k, v := range m {
		if strings.HasPrefix(k, method) && strings.Contains(k, part) {
			n += v
		}
	}
	return n
}

// What arrives is what was asked for: the method, the path and query,
// the body's bytes, each header, the entry's token. A POST that Wise
// answers 5xx is not sent again (it may have acted); a PUT is.
func TestRequestSendsTheCallAsGiven(t *testing.T) {
	t.Parallel()
	type seen struct {
		method, uri, body, auth string
		header                  http.Header
	}
	var mu sync.Mutex
	var got []seen
	status := atomic.Int64{}
	status.Store(201)
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.RequestURI, string(b), r.Header.Get("Authorization"), r.Header.Clone()})
		mu.Unlock()
		w.Header().Set("x-trace-id", "rec-1")
		w.WriteHeader(int(status.Load()))
		_, _ = io.WriteString(w, "answer\x00bytes")
	}))
	t.Cleanup(rec.Close)
	// take returns what arrived since the last take.
	take := func() []seen {
		mu.Lock()
		defer mu.Unlock()
		g := got
		got = nil
		return g
	}
	e := newCLIEnv(t)
	e.init()
	tok := newCanary(t, "TOK")
	e.secrets = append(e.secrets, tok.value)
	e.expect(e.run(call{args: []string{"add", "personal", "rec", "--env", "local", "--api-url", rec.URL}, stdin: ptr(tok.value + "\n")}), 0)
	body := "{\"a\":1}\n\xff binary"
	file := filepath.Join(e.root, "body")
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	r := e.cmd("request", "rec", "PUT", "/v1/things/1?x=1&y=2", "--data", "@"+file, "--header", "X-Test: one", "--header", "x-test:two",
		"--header", "Content-Type: text/plain")
	e.expect(r, 0)
	if r.stdout != "answer\x00bytes" || traced(t, r, 201) != "rec-1" {
		t.Errorf("stdout %q, stderr %s", r.stdout, r.stderr)
	}
	arrived := take()
	if len(arrived) != 1 {
		t.Fatalf("%d requests arrived, want 1", len(arrived))
	}
	s := arrived[0]
	if s.method != "PUT" || s.uri != "/v1/things/1?x=1&y=2" || s.body != body || s.auth != "Bearer "+tok.value ||
		strings.Join(s.header.Values("X-Test"), ",") != "one,two" || s.header.Get("Content-Type") != "text/plain" || s.header.Get("X-External-Correlation-Id") == "" {
		t.Errorf("arrived: %s %s body %q header %v (token sent: %v)", s.method, s.uri, s.body, s.header.Values("X-Test"), s.auth == "Bearer "+tok.value)
	}

	status.Store(503)
	r = e.cmd("request", "rec", "POST", "/v1/things", "--data", "{}")
	e.expect(r, exitHTTP, "503")
	if n := len(take()); r.stdout != "answer\x00bytes" || n != 1 {
		t.Errorf("a POST answered 503: stdout %q, sent %d times (want once)", r.stdout, n)
	}
	e.expect(e.cmd("request", "rec", "PUT", "/v1/things/1", "--data", "{}"), exitHTTP, "503")
	if n := len(take()); n != 4 {
		t.Errorf("a PUT answered 503 was sent %d times, want 4 (retried)", n)
	}
	if strings.Contains(r.stderr, tok.mark) || strings.Contains(r.stdout, tok.mark) {
		t.Error("the token is in the output")
	}
}

// A 429 is waited out as Retry-After asks, said on stderr, and then the
// POST is sent again: a 429 means Wise did nothing. It runs once.
func TestRequestWaitsOutRateLimits(t *testing.T) {
	t.Parallel()
	x := newExecRig(t, localwise.Config{SCAMode: localwise.SCANever})
	pay := fmt.Sprintf("/v3/profiles/%d/transfers/1/payments", x.srv.Demo().PersonalProfileID)
	x.srv.SetFaults(localwise.Faults{RateLimit: 1, RetryAfter: 1})
	start := time.Now()
	r := x.e.cmd("request", "p1", "POST", pay, "--data", `{"type":"BALANCE"}`)
	x.e.expect(r, 0, "HTTP 429", "waiting 1s", "Retry-After")
	traced(t, r, 200)
	if time.Since(start) < time.Second {
		t.Errorf("the wait was not waited: %s", time.Since(start))
	}
	if n := sumExecuted(x.srv.SCAStats().Executed, "POST ", "/payments"); n != 1 {
		t.Errorf("the payment ran %d times", n)
	}
}

// A user whose access token has expired: request renews it first (once),
// and the call is made with the new one.
func TestRequestRefreshesAnExpiredUserTokenFirst(t *testing.T) {
	t.Parallel()
	x := newExecRig(t, localwise.Config{TokenTTL: 2 * time.Second})
	old := strings.TrimSpace(x.e.must("token", "u1").stdout)
	x.e.secrets = append(x.e.secrets, old)
	time.Sleep(2100 * time.Millisecond)
	if resp := sendAt(t, x.api, old, protected{method: http.MethodGet, path: "/v1/me"}, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the old token still works (%d): the test would prove nothing", resp.StatusCode)
	}
	refreshes := x.srv.Stats().RefreshRequests
	r := x.e.cmd("request", "u1", "GET", "/v1/me")
	x.e.expect(r, 0)
	traced(t, r, 200)
	if n := x.srv.Stats().RefreshRequests - refreshes; n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	if now := strings.TrimSpace(x.e.must("token", "u1").stdout); now == old {
		t.Error("the entry still holds the expired token")
	}
}

// A client with a certificate calls over the mTLS host, and so does its
// user: localwise's mTLS playground answers only a presented certificate
// (before the import, the same call is refused).
func TestRequestUsesTheClientsCertificate(t *testing.T) {
	t.Parallel()
	x := newExecRig(t, localwise.Config{})
	m := &mtlsRig{t: t, e: x.e, srv: x.srv, api: x.api}
	e := m.e
	e.expect(m.keygen("m1"), 0)
	r := e.cmd("request", "c1", "GET", "/v1/authenticated/playground")
	e.expect(r, exitHTTP, "HTTP 403")
	cert, ca := m.issue("m1", "m1")
	e.expect(e.cmd("mtls", "import-cert", "m1", cert, "--ca", ca), 0)
	for name, kind := range map[string]string{"c1": "client_credentials", "u1": "user"} {
		r = e.cmd("request", name, "GET", "/v1/authenticated/playground")
		e.expect(r, 0)
		traced(t, r, 200)
		var p struct {
			TokenType   string `json:"token_type"`
			ClientID    string `json:"client_id"`
			Certificate struct{ Name string }
		}
		if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || p.ClientID != localwise.DemoClientID || p.Certificate.Name != "m1" {
			t.Errorf("request %s over mTLS: %v %+v\n%s", name, err, p, r.stdout)
		}
		if !strings.Contains(r.stdout, kind) {
			t.Errorf("request %s: the playground saw no %s token: %s", name, kind, r.stdout)
		}
	}
	// exec gives the token (fetched over the mTLS host), never the key:
	// the child calls the plain host with it.
	out := filepath.Join(e.root, "c1.json")
	e.expect(x.child("c1", "report", out, clientPath), 0)
	if rep := readReport(t, out); rep.Status != http.StatusOK {
		t.Errorf("exec c1: the plain host answered the child %d", rep.Status)
	}
}

// --jose signs, encrypts, or both, with the client's keys: localwise's
// playgrounds take only a body protected that way, and answer one that
// request checks and opens before printing it.
func TestRequestWithJOSE(t *testing.T) {
	t.Parallel()
	j := newJOSERig(t, localwise.Config{})
	e := j.e
	j.keygen("c1-sig", "sig")
	j.keygen("c1-enc", "enc")
	e.must("jose", "upload", "c1-sig")
	e.must("jose", "upload", "c1-enc")
	for _, c := range []struct{ mode, path string }{
		{"jws", "jws"}, {"jwe", "jwe"}, {"jws+jwe", "jwsjwe"},
	} {
		msg := "hello " + c.path
		r := e.cmd("request", "c1", "POST", "/v1/auth/jose/playground/"+c.path, "--jose", c.mode, "--data", `{"message":"`+msg+`"}`)
		e.expect(r, 0)
		traced(t, r, 200)
		var answer struct{ Message string }
		if err := json.Unmarshal([]byte(r.stdout), &answer); err != nil || answer.Message != "jose-playground-response-"+msg {
			t.Errorf("--jose %s: %v, stdout %q", c.mode, err, r.stdout)
		}
		// The same call unprotected is refused: the protection was real.
		e.expect(e.cmd("request", "c1", "POST", "/v1/auth/jose/playground/"+c.path, "--data", `{"message":"`+msg+`"}`), exitHTTP)
	}
	// Protected the wrong way: Wise's refusal is an HTTP error too.
	r := e.cmd("request", "c1", "POST", "/v1/auth/jose/playground/jwe", "--jose", "jws", "--data", `{"message":"m"}`)
	e.expect(r, exitHTTP)
	traced(t, r, 400)
}

// lwLog records localwise's one line per request.
type lwLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *lwLog) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

// count is how many requests were for method and path.
func (l *lwLog) count(method, path string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		if strings.HasPrefix(line, method+" "+path+" ") {
			n++
		}
	}
	return n
}

// An SCA challenge on the call: cleared on the terminal (the PIN, typed
// hidden) and the call sent again once, its answer printed; without a
// terminal, exit 6 and the call is not sent again.
func TestRequestClearsSCAChallenges(t *testing.T) {
	t.Parallel()
	var log lwLog
	srv, base := lwtest.Start(t, localwise.Config{SCAMode: localwise.SCAAlways, Logf: log.logf})
	e := newCLIEnv(t)
	e.init()
	d := srv.Demo()
	e.secrets = append(e.secrets, d.ClientSecret)
	e.expect(e.run(call{args: []string{"add", "client", "c1", "--env", "local", "--api-url", base, "--client-id", d.ClientID,
		"--redirect-url", d.RedirectURL}, stdin: ptr(d.ClientSecret + "\n")}), 0)
	r := &scaRig{t: t, e: e, srv: srv, api: base, d: d}
	r.login("u1")
	r.setPIN("2468")

	st := r.statement()
	s := r.onTerminal("request", "u1", st.method, st.path)
	s.expect("Challenge 1 of 1 (BALANCE__GET_STATEMENT)")
	s.expect("Choose 1-4 (Enter for 1): ")
	s.typeLine("1")
	s.expect("PIN (4 digits, hidden): ")
	s.typeHidden("2468")
	s.expect("PIN: passed.")
	if code := s.exit(); code != 0 {
		t.Fatalf("request on a terminal: exit %d\n%s\n%s", code, s.text(), s.stderr)
	}
	s.noLeak("2468")
	if n := r.executed(st); n != 1 {
		t.Errorf("the statement ran %d times", n)
	}
	path, _, _ := strings.Cut(st.path, "?")
	if n := log.count(st.method, path); n != 2 {
		t.Errorf("the statement was sent %d times, want 2 (challenged, then replayed)", n)
	}
	if !strings.Contains(s.stdout.String(), "transactions") && !strings.Contains(s.stdout.String(), "{") {
		t.Errorf("the statement is not on stdout: %q", s.stdout)
	}
	if !strings.Contains(s.stderr.String(), "HTTP 200 OK; x-trace-id: ") {
		t.Errorf("stderr: %s", s.stderr)
	}

	pay := r.payment()
	res := e.run(call{args: []string{"request", "u1", pay.method, pay.path, "--data", string(pay.body)}})
	e.expect(res, exitSCA, "HTTP 403", "no terminal")
	if res.stdout != "" {
		t.Errorf("exit 6 printed the challenge's body: %q", res.stdout)
	}
	if n := log.count(pay.method, pay.path); n != 1 || r.executed(pay) != 0 {
		t.Errorf("without a terminal the payment was sent %d times (want once) and ran %d times (want never)", n, r.executed(pay))
	}
}

// proxy counts the connections of everything sent to it (an HTTPS
// proxy: what goes to Wise's production host passes here) and refuses
// each, so nothing reaches the real Wise.
type proxy struct {
	addr string
	n    atomic.Int64
}

func startProxy(t *testing.T) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	p := &proxy{addr: l.Addr().String()}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			p.n.Add(1)
			go func() {
				defer c.Close()
				_, _ = bufio.NewReader(c).ReadString('\n')
				_, _ = io.WriteString(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
			}()
		}
	}()
	return p
}

// A production entry and a method that may change something: asked on
// the terminal (no: nothing sent; yes: sent), refused without one unless
// --yes (exit 2, nothing sent). The proxy that production calls go
// through sees the GET and the confirmed calls, so it would have seen the
// refused ones.
func TestRequestToProductionIsConfirmed(t *testing.T) {
	t.Parallel()
	p := startProxy(t)
	e := newCLIEnv(t)
	e.extra = map[string]string{"HTTPS_PROXY": "http://" + p.addr}
	e.init()
	tok := newCanary(t, "PRODTOK")
	e.secrets = append(e.secrets, tok.value)
	e.expect(e.run(call{args: []string{"add", "personal", "prod", "--env", "production"}, stdin: ptr(tok.value + "\n")}), 0)

	for _, m := range []string{"POST", "PUT", "PATCH", "DELETE", "post"} {
		r := e.cmd("request", "prod", m, "/v1/profiles/1/quotes", "--data", "{}")
		e.expect(r, exitUsage, "production", "--yes", "Nothing was sent")
	}
	if n := p.n.Load(); n != 0 {
		t.Fatalf("refused calls reached the proxy %d times", n)
	}
	e.expect(e.cmd("request", "prod", "GET", "/v1/me"), exitError)
	afterGet := p.n.Load()
	if afterGet == 0 {
		t.Fatal("the GET did not reach the proxy: the test would prove nothing")
	}
	e.expect(e.cmd("request", "prod", "POST", "/v1/profiles/1/quotes", "--data", "{}", "--yes"), exitError)
	if n := p.n.Load() - afterGet; n != 1 {
		t.Errorf("the POST with --yes reached the proxy %d times, want once", n)
	}

	r := &scaRig{t: t, e: e}
	before := p.n.Load()
	s := r.onTerminal("request", "prod", "POST", "/v1/profiles/1/quotes?x=1", "--data", "{}")
	s.expect(`POST /v1/profiles/1/quotes in PRODUCTION as "prod". Send it? [y/N] `)
	s.typeLine("n")
	if code := s.exit(); code != exitError || !strings.Contains(s.stderr.String(), "not sent") {
		t.Errorf("answered no: exit %d, stderr %s", code, s.stderr)
	}
	if p.n.Load() != before {
		t.Error("answered no, and the call was sent")
	}
	s = r.onTerminal("request", "prod", "DELETE", "/v1/profiles/1/quotes/2")
	s.expect("Send it? [y/N] ")
	s.typeLine("y")
	s.exit()
	if p.n.Load() == before {
		t.Error("answered yes, and the call was not sent")
	}
}
