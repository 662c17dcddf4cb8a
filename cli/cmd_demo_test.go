package cli

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/demo"
	"github.com/wisewallet/wisewallet/flows"
)

// refusingTransport answers every token request with invalid_client while
// refuse is set: a failure no retry inside the call can help, so only the
// renewer's back-off decides when it is tried again.
// refusingTransport refuses token requests while refuse is set: with a
// 400 invalid_request (worth retrying later), or with invalid_client
// (retrying cannot fix a rejected client secret) while rejectClient is.
type refusingTransport struct{ refuse, rejectClient atomic.Bool }

func (rt *refusingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if rt.refuse.Load() && r.URL.Path == "/oauth/token" {
		status, body := http.StatusBadRequest, `{"error":"invalid_request"}`
		if rt.rejectClient.Load() {
			status, body = http.StatusUnauthorized, `{"error":"invalid_client"}`
		}
		return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	}
	return http.DefaultTransport.RoundTrip(r)
}

// WithTLSClientConfig keeps the refusals in the path of mTLS calls (the
// demo's client has a certificate).
func (rt *refusingTransport) WithTLSClientConfig(cfg *tls.Config) http.RoundTripper {
	next := http.DefaultTransport.(*http.Transport).Clone()
	next.TLSClientConfig = cfg
	return refusingTLS{rt, next}
}

type refusingTLS struct {
	*refusingTransport
	next *http.Transport
}

func (rt refusingTLS) RoundTrip(r *http.Request) (*http.Response, error) {
	if rt.refuse.Load() && r.URL.Path == "/oauth/token" {
		return rt.refusingTransport.RoundTrip(r)
	}
	return rt.next.RoundTrip(r)
}

// demo --plain renews with the dashboard's renewer: on time, and after a
// failure not again before its back-off ends.
func TestDemoPlainRenewsOnTimeAndBacksOffAfterAFailure(t *testing.T) {
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	rt := &refusingTransport{}
	d, err := demo.Start(context.Background(), demo.Options{Dir: t.TempDir(), TokenTTL: 3 * time.Minute, KDF: demo.FastKDF,
		Flows: flows.Options{HTTP: &http.Client{Transport: rt}, Now: now}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	sio, _, stderr := inProcess(map[string]string{}, "")
	renew := flows.NewRenewer()
	ctx := context.Background()

	renewDue(ctx, sio, d.Service, renew, now())
	if stderr.Len() != 0 {
		t.Fatalf("fresh tokens were renewed: %s", stderr)
	}
	offset.Store(int64(2*time.Minute + 20*time.Second)) // past three quarters of their life
	rt.refuse.Store(true)
	renewDue(ctx, sio, d.Service, renew, now())
	// The client's token and its two users' (demo.DemoSCAUser too).
	if n := strings.Count(stderr.String(), "failed: "); n != 3 || !strings.Contains(stderr.String(), "retrying at ") || !strings.Contains(stderr.String(), "invalid_request") {
		t.Fatalf("want three failures with their retry time:\n%s", stderr)
	}
	stderr.Reset()
	rt.refuse.Store(false)
	renewDue(ctx, sio, d.Service, renew, now())
	if stderr.Len() != 0 {
		t.Fatalf("renewed again during the back-off:\n%s", stderr)
	}
	offset.Add(int64(flows.FirstRetry))
	renewDue(ctx, sio, d.Service, renew, now())
	if n := strings.Count(stderr.String(), "renewed the access token of"); n != 3 {
		t.Fatalf("after the back-off, want all three renewed:\n%s", stderr)
	}

	// A rejected client secret is not retried on a timer: it waits until
	// the entry or its client is stored again.
	stderr.Reset()
	offset.Add(int64(2*time.Minute + 20*time.Second))
	rt.rejectClient.Store(true)
	rt.refuse.Store(true)
	renewDue(ctx, sio, d.Service, renew, now())
	if n := strings.Count(stderr.String(), "not retried until it or its client is stored again"); n != 3 || !strings.Contains(stderr.String(), "invalid_client") {
		t.Fatalf("want three held failures:\n%s", stderr)
	}
	stderr.Reset()
	rt.refuse.Store(false)
	offset.Add(int64(10 * flows.FirstRetry))
	renewDue(ctx, sio, d.Service, renew, now())
	if stderr.Len() != 0 {
		t.Fatalf("a held failure was retried on a timer:\n%s", stderr)
	}
}
