package localwise

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	// Wise sends it as "x-trace-id"; header names are case-insensitive,
	// and Go's canonical spelling keeps every lookup on one key.
	traceHeader       = "X-Trace-Id"
	correlationHeader = "X-External-Correlation-Id"
	// maxCorrelationLen is Wise's limit; longer ids are ignored, not echoed.
	maxCorrelationLen = 36
)

// middleware gives every response its diagnostic headers, caps the request
// body, counts the request and applies injected faults. Admin endpoints skip
// the faults so a test can always clear them.
func (s *Server) middleware(next http.Handler) http.Handler {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set(traceHeader, randomHex(16))
		if c := r.Header.Get(correlationHeader); c != "" && len(c) <= maxCorrelationLen {
			hdr.Set(correlationHeader, c)
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		if strings.HasPrefix(r.URL.Path, adminPrefix) {
			if s.refuseAdmin(w, r) {
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		s.faults.stats.requests.Add(1)
		if s.injectFault(w, r) {
			return
		}
		next.ServeHTTP(w, r)
	})
	if s.cfg.Logf == nil {
		return h
	}
	return s.logRequests(h)
}

// logRequests logs method, path, status and duration. The query string is
// left out on purpose: on the authorize flow it carries state and codes.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		trace := w.Header().Get(traceHeader)
		s.cfg.Logf("%s %s -> %d (%s) trace=%s", r.Method, r.URL.Path, sw.status,
			time.Since(start).Round(time.Microsecond), trace)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// injectFault applies the current faults to one request and reports whether
// it answered the request itself.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request) bool {
	f := s.faults.next()
	if f.latency > 0 {
		if f.onSleep != nil {
			f.onSleep(f.latency)
		}
		t := time.NewTimer(f.latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			// The client gave up or the server is shutting down; nobody
			// reads an answer now.
			t.Stop()
			return true
		}
	}
	switch {
	case f.limited:
		s.faults.stats.inj429.Add(1)
		retryAfter := f.retryAfter
		if retryAfter <= 0 {
			retryAfter = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		w.Header().Set("X-Rate-Limited-By", "localwise")
		writeOAuthError(w, http.StatusTooManyRequests, "rate_limited",
			"Too many requests; retry after "+strconv.Itoa(retryAfter)+" seconds")
		return true
	case f.failed:
		s.faults.stats.inj5xx.Add(1)
		status := f.failStatus
		if status < 500 || status > 599 {
			status = http.StatusInternalServerError
		}
		writeSpringError(w, r, status, "localwise injected fault")
		return true
	}
	return false
}

// oauthError is the OAuth-style error body Wise uses on /oauth/token.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// fieldError is one entry of Wise's validation-style error body.
type fieldError struct {
	Code      string   `json:"code"`
	Message   string   `json:"message"`
	Path      string   `json:"path,omitempty"`
	Arguments []string `json:"arguments,omitempty"`
}

// springError is Wise's Spring-style error body (404s, 500s).
type springError struct {
	Timestamp string `json:"timestamp"`
	Status    int    `json:"status"`
	Error     string `json:"error"`
	Message   string `json:"message"`
	Path      string `json:"path"`
}

// writeJSON answers with v as JSON. no-store applies to everything: token
// responses must not be cached (RFC 6749 §5.1) and nothing else here should be.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // a write error means the client left
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, oauthError{Error: code, Description: desc})
}

func writeFieldErrors(w http.ResponseWriter, status int, errs ...fieldError) {
	writeJSON(w, status, struct {
		Errors []fieldError `json:"errors"`
	}{errs})
}

func writeSpringError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	writeJSON(w, status, springError{
		Timestamp: time.Now().UTC().Format(isoMillis),
		Status:    status,
		Error:     http.StatusText(status),
		Message:   msg,
		Path:      r.URL.Path,
	})
}

// allowMethod answers 405 unless r uses one of methods.
func allowMethod(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeSpringError(w, r, http.StatusMethodNotAllowed, "Request method '"+r.Method+"' is not supported")
	return false
}
