package localwise

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// The stand-in's own surface: injected faults and request counters. Wise
// has nothing like it; tests and demos use it to make the network misbehave
// and to count what a client sent.

// Faults are failures localwise injects into the requests that follow. They
// apply to every endpoint except the /__localwise/ ones.
//
// Over HTTP, POST /__localwise/faults takes this JSON, durations as Go
// duration strings: {"latency":"200ms","fail_5xx":2,"fail_status":503,
// "rate_limit":1,"retry_after":3,"revoke_refresh_tokens":true}.
type Faults struct {
	// Latency delays every request (up to 10 minutes).
	Latency time.Duration
	// Fail5xx makes the next N requests answer FailStatus.
	Fail5xx int
	// FailStatus is the status of those answers, 500 (default) to 599.
	FailStatus int
	// RateLimit makes the next N requests answer 429 with a Retry-After
	// header of RetryAfter seconds (default 1). It is applied before Fail5xx.
	RateLimit  int
	RetryAfter int
	// RevokeRefreshTokens invalidates every refresh token issued so far when
	// the faults are set; it is an action, not a lasting state.
	RevokeRefreshTokens bool
}

type faultsJSON struct {
	Latency             string `json:"latency,omitempty"`
	Fail5xx             int    `json:"fail_5xx"`
	FailStatus          int    `json:"fail_status,omitempty"`
	RateLimit           int    `json:"rate_limit"`
	RetryAfter          int    `json:"retry_after,omitempty"`
	RevokeRefreshTokens bool   `json:"revoke_refresh_tokens,omitempty"`
}

// MarshalJSON writes Latency as a duration string such as "200ms".
func (f Faults) MarshalJSON() ([]byte, error) {
	j := faultsJSON{
		Fail5xx: f.Fail5xx, FailStatus: f.FailStatus, RateLimit: f.RateLimit,
		RetryAfter: f.RetryAfter, RevokeRefreshTokens: f.RevokeRefreshTokens,
	}
	if f.Latency > 0 {
		j.Latency = f.Latency.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads Latency as a duration string such as "200ms".
func (f *Faults) UnmarshalJSON(b []byte) error {
	var j faultsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("faults: %w", err)
	}
	var lat time.Duration
	if j.Latency != "" {
		d, err := time.ParseDuration(j.Latency)
		if err != nil {
			return fmt.Errorf("faults: latency: %w", err)
		}
		lat = d
	}
	*f = Faults{
		Latency: lat, Fail5xx: j.Fail5xx, FailStatus: j.FailStatus, RateLimit: j.RateLimit,
		RetryAfter: j.RetryAfter, RevokeRefreshTokens: j.RevokeRefreshTokens,
	}
	return nil
}

func (f Faults) validate() error {
	switch {
	case f.Latency < 0 || f.Latency > maxLatency:
		return fmt.Errorf("latency must be between 0 and %s", maxLatency)
	case f.Fail5xx < 0 || f.RateLimit < 0 || f.RetryAfter < 0:
		return errors.New("counts must not be negative")
	case f.FailStatus != 0 && (f.FailStatus < 500 || f.FailStatus > 599):
		return errors.New("fail_status must be between 500 and 599")
	}
	return nil
}

// clamped is f with out-of-range values brought into range.
func (f Faults) clamped() Faults {
	f.Latency = min(max(f.Latency, 0), maxLatency)
	f.Fail5xx, f.RateLimit, f.RetryAfter = max(f.Fail5xx, 0), max(f.RateLimit, 0), max(f.RetryAfter, 0)
	if f.FailStatus < 500 || f.FailStatus > 599 {
		f.FailStatus = 0
	}
	return f
}

// Stats counts requests. Requests answered by an injected fault are counted
// in Requests and in the Injected fields only: like a gateway in front of
// Wise, a fault answers before the endpoint sees the request. Requests to
// the /__localwise/ endpoints are not counted. The per-grant counters count
// every request naming that grant_type, failed ones included, so a test can
// check that a client refreshed exactly once.
type Stats struct {
	Requests                  int `json:"requests"`
	TokenRequests             int `json:"token_requests"`
	ClientCredentialsRequests int `json:"client_credentials_requests"`
	AuthorizationCodeRequests int `json:"authorization_code_requests"`
	RefreshRequests           int `json:"refresh_requests"`
	RegistrationCodeRequests  int `json:"registration_code_requests"`
	TokensIssued              int `json:"tokens_issued"`
	Injected5xx               int `json:"injected_5xx"`
	Injected429               int `json:"injected_429"`
}

// counters are atomic, outside the lock: every request bumps one.
type counters struct {
	requests, token, cc, ac, refresh, reg, issued, inj5xx, inj429 atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Requests:                  int(c.requests.Load()),
		TokenRequests:             int(c.token.Load()),
		ClientCredentialsRequests: int(c.cc.Load()),
		AuthorizationCodeRequests: int(c.ac.Load()),
		RefreshRequests:           int(c.refresh.Load()),
		RegistrationCodeRequests:  int(c.reg.Load()),
		TokensIssued:              int(c.issued.Load()),
		Injected5xx:               int(c.inj5xx.Load()),
		Injected429:               int(c.inj429.Load()),
	}
}

// countGrant counts a token request naming grant.
func (c *counters) countGrant(grant string) {
	c.token.Add(1)
	switch grant {
	case "client_credentials":
		c.cc.Add(1)
	case "authorization_code":
		c.ac.Add(1)
	case "refresh_token":
		c.refresh.Add(1)
	case "registration_code":
		c.reg.Add(1)
	}
}

// fault is what one request gets from the pending faults.
type fault struct {
	latency    time.Duration
	limited    bool // answer 429
	failed     bool // answer failStatus
	retryAfter int
	failStatus int
	onSleep    func(time.Duration)
}

// faultState holds the pending faults behind its own lock, and the counters.
type faultState struct {
	stats counters

	mu     sync.Mutex
	faults Faults
	// onSleep, when set by a test, sees every injected latency before the
	// request waits it out: tests check latency without timing.
	onSleep func(time.Duration)
}

func (fs *faultState) set(f Faults) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.faults = f
}

func (fs *faultState) get() Faults {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.faults
}

func (fs *faultState) setSleepHook(h func(time.Duration)) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.onSleep = h
}

// next uses up the faults of one request: a rate limit first, then a 5xx.
func (fs *faultState) next() fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := &fs.faults
	out := fault{latency: f.Latency, retryAfter: f.RetryAfter, failStatus: f.FailStatus, onSleep: fs.onSleep}
	switch {
	case f.RateLimit > 0:
		f.RateLimit--
		out.limited = true
	case f.Fail5xx > 0:
		f.Fail5xx--
		out.failed = true
	}
	return out
}
