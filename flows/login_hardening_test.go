package flows

// The loopback login against other users of the same machine and against
// web pages (issue 12): the Host of the callback, both loopback stacks for
// localhost, timeouts on the listener, and PKCE by default.

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/flows/localwise"
)

// getWithHost sends the browser's GET for u, naming host in the Host
// header, and returns the status.
func getWithHost(t *testing.T, u, host string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("GET %s (Host %s): %v", strings.SplitN(u, "?", 2)[0], host, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestLoginRefusesACallbackForAnotherHostAndKeepsWaiting(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	redirect := f.loopbackClient()
	ru, _ := url.Parse(redirect)
	statuses := map[string]int{}
	_, err := f.login(LoginRequest{As: "bob"}, func(u string) {
		consent := authorizeByHTTP(t, u, localwise.DemoPersonalProfileID, "approve")
		if !strings.HasPrefix(consent.location, redirect+"?") {
			t.Fatalf("consent answer: HTTP %d, not a redirect to the registered URL", consent.status)
		}
		// The real code and state, but sent by a page that had its own
		// name resolve to 127.0.0.1 (DNS rebinding), or for another port.
		for _, host := range []string{"rebind.attacker.example:" + ru.Port(), "rebind.attacker.example", "127.0.0.1:1", "localhost:" + ru.Port()} {
			statuses[host] = getWithHost(t, consent.location, host)
		}
		statuses["right"] = getWithHost(t, consent.location, ru.Host)
	})
	if err != nil {
		t.Fatalf("Login after callbacks for other hosts: %v", err)
	}
	for host, st := range statuses {
		want := http.StatusMisdirectedRequest
		if host == "right" {
			want = http.StatusOK
		}
		if st != want {
			t.Errorf("callback with Host %s: HTTP %d, want %d", host, st, want)
		}
	}
	if got := f.saved("bob"); got.ProfileID != localwise.DemoPersonalProfileID {
		t.Errorf("profile %d, want the one approved", got.ProfileID)
	}
	if n := f.srv.Stats().AuthorizationCodeRequests; n != 1 {
		t.Errorf("authorization_code requests = %d, want 1", n)
	}
}

func TestLoginSendsPKCEByDefaultAndNotWithNoPKCE(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	redirect := f.loopbackClient()
	for _, noPKCE := range []bool{false, true} {
		var authURL string
		as := "pkce-" + strconv.FormatBool(!noPKCE)
		if _, err := f.login(LoginRequest{As: as, NoPKCE: noPKCE}, func(u string) {
			authURL = u
			followRedirect(t, authorizeByHTTP(t, u, localwise.DemoPersonalProfileID, "approve"), redirect)
		}); err != nil {
			t.Fatalf("Login (NoPKCE %v): %v", noPKCE, err)
		}
		u, _ := url.Parse(authURL)
		q := u.Query()
		switch {
		case !noPKCE && (len(q.Get("code_challenge")) != 43 || q.Get("code_challenge_method") != "S256"):
			t.Errorf("default login: code_challenge %q method %q, want an S256 challenge", q.Get("code_challenge"), q.Get("code_challenge_method"))
		case noPKCE && (q.Has("code_challenge") || q.Has("code_challenge_method")):
			t.Errorf("NoPKCE login: the authorize URL carries a challenge")
		}
		f.saved(as)
	}
}

// freeDualStackPort finds a port free on both 127.0.0.1 and [::1]; the
// test is skipped where there is no IPv6 loopback.
func freeDualStackPort(t *testing.T) string {
	t.Helper()
	for range 20 {
		ln4, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(ln4.Addr().String())
		ln6, err := net.Listen("tcp6", net.JoinHostPort("::1", port))
		ln4.Close()
		if err == nil {
			ln6.Close()
			return port
		}
		if probe, err := net.Listen("tcp6", "[::1]:0"); err != nil {
			t.Skipf("no IPv6 loopback here: %v", err)
		} else {
			probe.Close()
		}
	}
	t.Fatal("no port free on both loopback stacks")
	return ""
}

// localhostClient registers and stores a client whose redirect URL is on
// localhost.
func (f *fixture) localhostClient(port string) string {
	f.t.Helper()
	redirect := "http://localhost:" + port + "/callback"
	f.srv.RegisterClient(localwise.Client{ID: "localhost-app", Secret: "localhost-secret-0123456789", RedirectURLs: []string{redirect}})
	f.addClient("app", "localhost-app", "localhost-secret-0123456789", redirect, true)
	return redirect
}

func TestLocalhostLoginIsCaughtOnIPv6Loopback(t *testing.T) {
	t.Parallel()
	port := freeDualStackPort(t)
	f := newFixture(t, localwise.Config{})
	redirect := f.localhostClient(port)
	var st int
	_, err := f.login(LoginRequest{As: "bob"}, func(u string) {
		consent := authorizeByHTTP(t, u, localwise.DemoPersonalProfileID, "approve")
		if !strings.HasPrefix(consent.location, redirect+"?") {
			t.Fatalf("consent answer: HTTP %d, not a redirect to the registered URL", consent.status)
		}
		// A browser that resolves localhost to ::1 connects there, and
		// names localhost in Host.
		st = getWithHost(t, strings.Replace(consent.location, "localhost:", "[::1]:", 1), "localhost:"+port)
	})
	if err != nil {
		t.Fatalf("Login with the callback on [::1]: %v", err)
	}
	if st != http.StatusOK {
		t.Errorf("callback on [::1]: HTTP %d", st)
	}
	f.saved("bob")
}

func TestLocalhostLoginFailsWhenThePortIsTakenOnIPv6Loopback(t *testing.T) {
	t.Parallel()
	port := freeDualStackPort(t)
	// Another local user got [::1]:port first, to receive the browser's
	// redirect.
	thief, err := net.Listen("tcp6", net.JoinHostPort("::1", port))
	if err != nil {
		t.Fatal(err)
	}
	defer thief.Close()
	f := newFixture(t, localwise.Config{})
	f.localhostClient(port)
	before := f.walletBytes()
	opened := false
	_, err = f.login(LoginRequest{As: "bob", Timeout: 2 * time.Second}, func(string) { opened = true })
	if err == nil || errors.Is(err, ErrLoginTimeout) || !strings.Contains(err.Error(), "[::1]:"+port) || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("Login with [::1]:%s taken: %v, want a failure naming the taken [::1] port and the 127.0.0.1 way out", port, err)
	}
	if opened {
		t.Error("the browser was sent to log in although the redirect could go to someone else")
	}
	f.assertAbsent("bob")
	if string(before) != string(f.walletBytes()) {
		t.Error("the failed login changed the wallet")
	}
	// Our IPv4 side was given back.
	ln, err := net.Listen("tcp4", "127.0.0.1:"+port)
	if err != nil {
		t.Errorf("127.0.0.1:%s still held after the failed login: %v", port, err)
	} else {
		ln.Close()
	}
}

// A connection kept open after its answer (keep-alive, or someone holding
// sockets) is closed by the listener long before the login ends.
func TestLoginListenerClosesIdleConnections(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	redirect := f.loopbackClient()
	ru, _ := url.Parse(redirect)
	var closedAfter time.Duration
	var readErr error
	_, err := f.login(LoginRequest{As: "bob", Timeout: 25 * time.Second}, func(u string) {
		conn, err := net.Dial("tcp", ru.Host)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "GET /favicon.ico HTTP/1.1\r\nHost: "+ru.Host+"\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		start := time.Now()
		_ = conn.SetReadDeadline(start.Add(10 * time.Second))
		_, readErr = br.ReadByte()
		closedAfter = time.Since(start)
		followRedirect(t, authorizeByHTTP(t, u, localwise.DemoPersonalProfileID, "approve"), redirect)
	})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if !errors.Is(readErr, io.EOF) || closedAfter > 6*time.Second {
		t.Errorf("an idle connection to the listener: %v after %s, want it closed by the listener within seconds", readErr, closedAfter.Round(time.Millisecond))
	}
}
