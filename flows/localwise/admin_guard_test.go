package localwise

// The admin endpoints against web pages, and Run's warning when localwise
// listens beyond loopback (issue 12).

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAdminEndpointsRefuseWhatAWebPageCouldSend(t *testing.T) {
	t.Parallel()
	s, base := start(t, Config{})
	hostPort := strings.TrimPrefix(base, "http://")
	_, port, _ := net.SplitHostPort(hostPort)
	send := func(method, path, ctype, host, origin, body string) result {
		t.Helper()
		req := newRequest(t, method, base+path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if host != "" {
			req.Host = host
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		return do(t, req)
	}
	const revoke = `{"fail_5xx":3}`
	for name, r := range map[string]struct{ method, path, ctype, host, origin, body string }{
		// A cross-site form POST needs no preflight: text/plain and the
		// form encodings are what it can send.
		"text/plain POST":     {http.MethodPost, "/__localwise/faults", "text/plain", "", "", revoke},
		"form POST":           {http.MethodPost, "/__localwise/faults", "application/x-www-form-urlencoded", "", "", revoke},
		"multipart POST":      {http.MethodPost, "/__localwise/clients", "multipart/form-data; boundary=x", "", "", `{"id":"evil","secret":"s"}`},
		"POST without a type": {http.MethodPost, "/__localwise/faults", "", "", "", revoke},
		// DNS rebinding: a page on a name that now resolves to 127.0.0.1.
		"rebound Host POST":         {http.MethodPost, "/__localwise/faults", "application/json", "rebind.attacker.example:" + port, "", revoke},
		"rebound Host GET":          {http.MethodGet, "/__localwise/stats", "", "rebind.attacker.example:" + port, "", ""},
		"name with loopback prefix": {http.MethodPost, "/__localwise/faults", "application/json", "127.0.0.1.attacker.example:" + port, "", revoke},
		// A page of another origin (even on this machine) with a fetch.
		"cross-origin POST":       {http.MethodPost, "/__localwise/faults", "application/json", "", "http://evil.example", revoke},
		"other local port POST":   {http.MethodPost, "/__localwise/faults", "application/json", "", "http://127.0.0.1:1", revoke},
		"https origin POST":       {http.MethodPost, "/__localwise/faults", "application/json", "", "https://" + hostPort, revoke},
		"opaque origin POST":      {http.MethodPost, "/__localwise/faults", "application/json", "", "null", revoke},
		"cross-origin GET":        {http.MethodGet, "/__localwise/faults", "", "", "http://evil.example", ""},
		"cross-origin clients":    {http.MethodPost, "/__localwise/clients", "application/json", "", "http://evil.example", `{"id":"evil","secret":"s","redirect_urls":["https://evil.example/cb"]}`},
		"rebound origin and Host": {http.MethodPost, "/__localwise/faults", "application/json", "rebind.attacker.example:" + port, "http://rebind.attacker.example:" + port, revoke},
	} {
		got := send(r.method, r.path, r.ctype, r.host, r.origin, r.body)
		if got.status != http.StatusForbidden || got.json["status"] != float64(http.StatusForbidden) || got.json["message"] == "" {
			t.Errorf("%s: HTTP %d %s, want 403 with a JSON error", name, got.status, got.body)
		}
	}
	if f := s.Faults(); f.Fail5xx != 0 {
		t.Errorf("a refused request set faults: %+v", f)
	}
	if st := clientCredentials(t, base, "evil", "s"); st == http.StatusOK {
		t.Error("a refused request registered a client")
	}

	// What scripts, tests and the demo send still works: no Origin or this
	// very origin, a loopback Host in any spelling, JSON with a charset.
	for name, r := range map[string]struct{ ctype, host, origin string }{
		"plain":          {"application/json", "", ""},
		"same origin":    {"application/json", "", base},
		"charset":        {"application/json; charset=utf-8", "", ""},
		"localhost Host": {"application/json", "localhost:" + port, ""},
		"[::1] Host":     {"application/json", "[::1]:" + port, ""},
		"no port":        {"application/json", "127.0.0.1", ""},
	} {
		if got := send(http.MethodPost, "/__localwise/faults", r.ctype, r.host, r.origin, `{}`); got.status != http.StatusOK {
			t.Errorf("%s: HTTP %d %s, want 200", name, got.status, got.body)
		}
	}
	if got := send(http.MethodGet, "/__localwise/stats", "", "", "", ""); got.status != http.StatusOK {
		t.Errorf("GET stats: HTTP %d", got.status)
	}
}

// clientCredentials asks for a client-credentials token and returns the
// status.
func clientCredentials(t *testing.T, base, id, secret string) int {
	t.Helper()
	return token(t, base, id, secret, map[string][]string{"grant_type": {"client_credentials"}}).status
}

// A server started on a specific address takes that address in Host; a
// wildcard one takes only loopback names.
func TestAdminHostAcceptsTheListenAddress(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	s.listenHosts = []string{"192.0.2.7:8700"}
	for host, want := range map[string]bool{
		"192.0.2.7:8700": true, "127.0.0.1:8700": true, "localhost:1": true, "LOCALHOST:8700": true, "[::1]:8700": true,
		"127.0.0.2:8700": true, "192.0.2.7:8701": false, "192.0.2.8:8700": false, "attacker.example:8700": false,
		"localhost.attacker.example:8700": false, "": false,
	} {
		if got := s.adminHost(host); got != want {
			t.Errorf("adminHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestRunWarnsOnStderrWhenNotOnLoopback(t *testing.T) {
	t.Parallel()
	for addr, warn := range map[string]bool{"127.0.0.1:0": false, "0.0.0.0:0": true} {
		out, errOut := &syncBuffer{line: make(chan struct{}, 64)}, &syncBuffer{line: make(chan struct{}, 64)}
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- Run(ctx, addr, Config{}, true, out, errOut) }()
		select {
		case <-out.line:
		case err := <-errc:
			cancel()
			t.Fatalf("Run on %s: %v", addr, err)
		case <-time.After(20 * time.Second):
			t.Fatalf("Run on %s printed nothing", addr)
		}
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Run on %s: %v", addr, err)
		}
		msg := errOut.String()
		switch {
		case warn && (!strings.Contains(msg, "WARNING") || !strings.Contains(msg, "not on loopback") || !strings.Contains(msg, "every network interface")):
			t.Errorf("Run on %s warned %q, want a loud warning", addr, msg)
		case !warn && msg != "":
			t.Errorf("Run on %s wrote %q on stderr", addr, msg)
		}
		if strings.Contains(out.String(), "WARNING") {
			t.Errorf("Run on %s put the warning on stdout, in the way of the JSON", addr)
		}
	}
	// Any address that is not loopback, not only a wildcard.
	var b strings.Builder
	warnExposed(&b, &net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 8700})
	if !strings.Contains(b.String(), "192.0.2.7:8700, not on loopback") {
		t.Errorf("warning for 192.0.2.7: %q", b.String())
	}
	b.Reset()
	warnExposed(&b, &net.TCPAddr{IP: net.IPv6loopback, Port: 8700})
	if b.Len() != 0 {
		t.Errorf("warning for [::1]: %q", b.String())
	}
}
