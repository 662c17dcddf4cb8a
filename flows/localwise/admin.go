package localwise

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// adminPrefix is where the stand-in's own control endpoints live. They exist
// only in localwise (Wise has nothing like them) so that out-of-process tests
// and demos can inject faults and read counters; they are not authenticated,
// which is why localwise should listen on loopback only.
const adminPrefix = "/__localwise/"

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

// SetFaults replaces the current faults. Out-of-range values are clamped.
func (s *Server) SetFaults(f Faults) {
	f.Latency = min(max(f.Latency, 0), maxLatency)
	f.Fail5xx, f.RateLimit, f.RetryAfter = max(f.Fail5xx, 0), max(f.RateLimit, 0), max(f.RetryAfter, 0)
	if f.FailStatus < 500 || f.FailStatus > 599 {
		f.FailStatus = 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.RevokeRefreshTokens {
		s.revokeRefreshLocked()
		f.RevokeRefreshTokens = false
	}
	s.faults = f
}

// Faults returns the faults still pending.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// handleAdminFaults: GET shows the pending faults, POST replaces them.
func (s *Server) handleAdminFaults(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	if r.Method == http.MethodPost {
		var f Faults
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			writeFieldErrors(w, http.StatusBadRequest, fieldError{Code: "NOT_READABLE", Message: err.Error()})
			return
		}
		if err := f.validate(); err != nil {
			writeFieldErrors(w, http.StatusUnprocessableEntity, fieldError{Code: "NOT_VALID", Message: err.Error()})
			return
		}
		s.SetFaults(f)
	}
	writeJSON(w, http.StatusOK, s.Faults())
}

func (s *Server) handleAdminStats(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet) {
		return
	}
	writeJSON(w, http.StatusOK, s.Stats())
}

// handleAdminClients registers a client, so an out-of-process test can use a
// redirect URL on its own port: {"id","secret","redirect_urls":[...]}.
func (s *Server) handleAdminClients(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodPost) {
		return
	}
	var c struct {
		ID           string   `json:"id"`
		Secret       string   `json:"secret"`
		RedirectURLs []string `json:"redirect_urls"`
	}
	if err := json.NewDecoder(r.Body).Decode(&c); err != nil {
		writeFieldErrors(w, http.StatusBadRequest, fieldError{Code: "NOT_READABLE", Message: err.Error()})
		return
	}
	if c.ID == "" || c.Secret == "" {
		writeFieldErrors(w, http.StatusUnprocessableEntity, fieldError{Code: "NOT_VALID", Message: "id and secret are required"})
		return
	}
	s.mu.Lock()
	ok := s.registerClientLocked(Client{ID: c.ID, Secret: c.Secret, RedirectURLs: c.RedirectURLs})
	s.mu.Unlock()
	if !ok {
		writeFieldErrors(w, http.StatusUnprocessableEntity, fieldError{Code: "LIMIT_REACHED", Message: "too many clients"})
		return
	}
	// The secret is not echoed back.
	writeJSON(w, http.StatusOK, struct {
		ID           string   `json:"id"`
		RedirectURLs []string `json:"redirect_urls"`
	}{c.ID, c.RedirectURLs})
}
