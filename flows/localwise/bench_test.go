package localwise

import (
	"encoding/base64"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkTokenClientCredentials measures the token endpoint over real
// loopback HTTP: parallel clients with keep-alive, each request a full
// client_credentials grant. It reports throughput (req/s) and the 99th
// percentile latency (p99-ms) besides ns/op.
//
//	go test -run '^$' -bench TokenClientCredentials -benchtime 5s ./flows/localwise/
func BenchmarkTokenClientCredentials(b *testing.B) {
	s := New(Config{})
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(DemoClientID+":"+DemoClientSecret))
	const body = "grant_type=client_credentials"

	var (
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, b.N)
	)
	b.SetParallelism(1) // one client per core
	b.ReportAllocs()
	b.ResetTimer()
	began := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 4096)
		for pb.Next() {
			t0 := time.Now()
			req, err := http.NewRequest(http.MethodPost, base+"/oauth/token", strings.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", auth)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body) // drain, so the connection is reused
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
			local = append(local, time.Since(t0))
		}
		mu.Lock()
		latencies = append(latencies, local...)
		mu.Unlock()
	})
	elapsed := time.Since(began)
	b.StopTimer()
	if len(latencies) == 0 {
		return
	}
	slices.Sort(latencies)
	p99 := latencies[(len(latencies)*99)/100]
	b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
}
