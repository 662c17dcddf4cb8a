package wise

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
)

// recordExchanges makes c keep every exchange it observes.
func recordExchanges(c *Client) func() []Exchange {
	var mu sync.Mutex
	var got []Exchange
	c.Observe = func(_ context.Context, x Exchange) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, x)
	}
	return func() []Exchange {
		mu.Lock()
		defer mu.Unlock()
		return append([]Exchange(nil), got...)
	}
}

// TestObserveSeesEveryExchangeWithoutItsSecrets: each attempt (retries
// too) is one Exchange with the host, the path without the query's
// values, the status, Wise's x-trace-id and a class of result; none of
// the token, the query's values, the headers' values or the body.
func TestObserveSeesEveryExchangeWithoutItsSecrets(t *testing.T) {
	t.Parallel()
	srv, base := lwtest.Start(t, localwise.Config{})
	c := NewClient(base, nil)
	recordWaits(c)
	got := recordExchanges(c)
	ctx := context.Background()
	tokenCanary := "CANARY-TOKEN-" + strings.Repeat("7", 20)
	queryCanary := "CANARY-QUERY-4f1e2d"
	headerCanary := "CANARY-HEADER-9a8b7c"
	bodyCanary := "CANARY-BODY-0c1d2e"

	// A 401 for an unknown token, with canaries in the query, a header
	// and the body.
	_, err := c.Send(ctx, Raw{Method: http.MethodGet, Path: "/v1/me?secret=" + queryCanary + "&plain",
		Header: http.Header{"X-Canary": {headerCanary}}, Body: []byte(`{"x":"` + bodyCanary + `"}`), Token: crypto.SecretString(tokenCanary)})
	if err == nil {
		t.Fatal("an unknown token was accepted")
	}
	// Two 500s then success: three exchanges.
	srv.SetFaults(localwise.Faults{Fail5xx: 2})
	if _, err := c.Identify(ctx, crypto.SecretString(srv.Demo().PersonalToken)); err != nil {
		t.Fatal(err)
	}
	xs := got()
	if len(xs) != 5 { // 401, 500, 500, /v1/me, /v2/profiles
		t.Fatalf("%d exchanges, want 5: %+v", len(xs), xs)
	}
	host := strings.TrimPrefix(base, "http://")
	want := []struct {
		method, path string
		status       int
		result       string
	}{
		{"GET", "/v1/me?secret=&plain=", 401, ResultRejected},
		{"GET", "/v1/me", 500, ResultServerError},
		{"GET", "/v1/me", 500, ResultServerError},
		{"GET", "/v1/me", 200, ResultOK},
		{"GET", "/v2/profiles", 200, ResultOK},
	}
	for i, w := range want {
		x := xs[i]
		if x.Method != w.method || x.Path != w.path || x.Status != w.status || x.Result != w.result || x.Host != host {
			t.Errorf("exchange %d: %+v, want %s %s %s %d %s", i, x, w.method, host, w.path, w.status, w.result)
		}
		if x.TraceID == "" {
			t.Errorf("exchange %d has no x-trace-id", i)
		}
		if x.Start.IsZero() || x.Duration <= 0 {
			t.Errorf("exchange %d: start %v, duration %v", i, x.Start, x.Duration)
		}
	}
	all, _ := json.Marshal(xs)
	for _, canary := range []string{tokenCanary, queryCanary, headerCanary, bodyCanary, srv.Demo().PersonalToken} {
		if strings.Contains(string(all), canary) {
			t.Errorf("an exchange holds %q: %s", canary, all)
		}
	}
}

// TestObserveClassesFailures: the grant endpoints' refusals, an SCA
// challenge and a host that is not there each get their own class.
func TestObserveClassesFailures(t *testing.T) {
	t.Parallel()
	srv, base := lwtest.Start(t, localwise.Config{})
	c := NewClient(base, nil)
	recordWaits(c)
	got := recordExchanges(c)
	ctx := context.Background()
	d := srv.Demo()

	_, _ = c.ClientCredentials(ctx, d.ClientID, crypto.SecretString("CANARY-wrong-secret"), time.Now())
	_, _ = c.Refresh(ctx, d.ClientID, crypto.SecretString(d.ClientSecret), crypto.SecretString("CANARY-no-such-refresh"), time.Now())
	// A closed port: no answer, no trace id.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	cd := NewClient(dead, nil)
	cd.Retries = 0
	gotDead := recordExchanges(cd)
	_, _ = cd.Identify(ctx, crypto.SecretString("x"))

	xs := append(got(), gotDead()...)
	want := []string{ResultInvalidClient, ResultInvalidGrant, ResultConnect}
	if len(xs) != len(want) {
		t.Fatalf("%d exchanges, want %d: %+v", len(xs), len(want), xs)
	}
	for i, w := range want {
		if xs[i].Result != w {
			t.Errorf("exchange %d: result %q, want %q (%+v)", i, xs[i].Result, w, xs[i])
		}
	}
	if last := xs[2]; last.Status != 0 || last.TraceID != "" {
		t.Errorf("no answer, yet status %d and trace id %q", last.Status, last.TraceID)
	}
	if xs[0].Path != "/oauth/token" || xs[0].Method != "POST" {
		t.Errorf("token exchange recorded as %s %s", xs[0].Method, xs[0].Path)
	}
}

// TestObserveSeesJOSECalls: a JOSE call (sendJOSE, its own HTTP.Do) is
// observed like any other, its body not.
func TestObserveSeesJOSECalls(t *testing.T) {
	f := newJOSEFixture(t)
	got := recordExchanges(f.c)
	bodyCanary := "CANARY-JOSE-BODY-51d2"
	if _, err := f.c.JOSE(context.Background(), f.call(JOSEJWS, http.MethodPost, "/v1/x/jws?ref="+bodyCanary, []byte(`{"m":"`+bodyCanary+`"}`))); err != nil {
		t.Fatal(err)
	}
	xs := got()
	if len(xs) != 1 || xs[0].Method != "POST" || xs[0].Path != "/v1/x/jws?ref=" || xs[0].Status != 200 || xs[0].Result != ResultOK {
		t.Fatalf("exchanges %+v, want the one POST /v1/x/jws?ref=", xs)
	}
	if all, _ := json.Marshal(xs); strings.Contains(string(all), bodyCanary) {
		t.Errorf("the exchange holds the body or query value: %s", all)
	}
}
