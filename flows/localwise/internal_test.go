package localwise

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestFIFOEvictsOldestAndStaysBounded(t *testing.T) {
	f := newFIFO[int](3)
	for i := range 5 {
		f.put(fmt.Sprint(i), i)
	}
	if f.len() != 3 {
		t.Fatalf("len = %d, want 3", f.len())
	}
	for i, want := range []bool{false, false, true, true, true} {
		if _, ok := f.get(fmt.Sprint(i)); ok != want {
			t.Errorf("key %d present = %v, want %v", i, ok, want)
		}
	}
	// Deleting and inserting forever must not grow the order slice forever.
	for i := range 10_000 {
		k := fmt.Sprint("k", i)
		f.put(k, i)
		f.delete(k)
	}
	if len(f.order) > 2*f.len()+64+1 {
		t.Errorf("order holds %d keys for %d live ones", len(f.order), f.len())
	}
}

func TestUUIDShape(t *testing.T) {
	u := newUUID()
	if len(u) != 36 || u[8] != '-' || u[14] != '4' || (u[19] != '8' && u[19] != '9' && u[19] != 'a' && u[19] != 'b') {
		t.Errorf("newUUID() = %s", u)
	}
	if newUUID() == u {
		t.Error("two UUIDs are equal")
	}
}

func TestWholeSecondsLeft(t *testing.T) {
	for ttl, want := range map[time.Duration]int64{
		12 * time.Hour: 43199, time.Minute: 59, 1500 * time.Millisecond: 0, time.Second: 0, 0: 0,
	} {
		if got := wholeSecondsLeft(ttl); got != want {
			t.Errorf("wholeSecondsLeft(%s) = %d, want %d", ttl, got, want)
		}
	}
	s := New(Config{RefreshTTL: 200 * 365 * 24 * time.Hour})
	if s.cfg.RefreshTTL != maxTTL {
		t.Errorf("RefreshTTL not clamped to int32 seconds: %s", s.cfg.RefreshTTL)
	}
}

func TestURLHost(t *testing.T) {
	for _, c := range []struct {
		ip   net.IP
		want string
	}{
		{net.IPv4zero, "127.0.0.1:8700"},
		{net.IPv6unspecified, "[::1]:8700"},
		{net.IPv4(127, 0, 0, 2), "127.0.0.2:8700"},
	} {
		if got := urlHost(&net.TCPAddr{IP: c.ip, Port: 8700}); got != c.want {
			t.Errorf("urlHost(%s) = %s, want %s", c.ip, got, c.want)
		}
	}
}

func TestCSPSource(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:53682/wisewallet/callback": "http://127.0.0.1:53682",
		"https://app.example.com/cb?x=1":             "https://app.example.com",
		"com.example.app:/oauth":                     "com.example.app:",
		"http://[::1]:8080/cb":                       "http://[::1]:8080",
		"http://a;b.example/cb":                      "",
		"::not a url":                                "",
	} {
		if got := cspSource(in); got != want {
			t.Errorf("cspSource(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLatencyFault checks that the latency is applied (through the hook,
// since tests must not measure time) and that a waiting request ends when
// its client gives up.
func TestLatencyFault(t *testing.T) {
	s := New(Config{})
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	slept := make(chan time.Duration, 10)
	s.faults.setSleepHook(func(d time.Duration) { slept <- d })

	s.SetFaults(Faults{Latency: 5 * time.Millisecond})
	resp, err := http.Get(base + "/v2/profiles/16000001")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if d := <-slept; d != 5*time.Millisecond {
		t.Errorf("slept %s, want 5ms", d)
	}
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d after the delay, want the normal answer", resp.StatusCode)
	}

	// A long latency holds the request until the client cancels.
	s.SetFaults(Faults{Latency: maxLatency})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/me", nil)
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-slept // the server is now holding the request
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("held request ended with %v, want context.Canceled", err)
	}
	// Close must not wait out the latency of requests still held.
	s.SetFaults(Faults{Latency: maxLatency})
	go func() {
		resp, err := http.Get(base + "/v1/me")
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-slept
	if err := s.Close(); err != nil {
		t.Errorf("close with a held request: %v", err)
	}
}

func TestStartTwiceAndCloseUnstarted(t *testing.T) {
	s := New(Config{})
	if err := s.Close(); err != nil {
		t.Errorf("close before start: %v", err)
	}
	if _, err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Start("127.0.0.1:0"); err == nil {
		t.Error("second Start succeeded")
	}
	if _, err := New(Config{}).Start("256.0.0.1:1"); err == nil {
		t.Error("Start on a bad address succeeded")
	}
}
