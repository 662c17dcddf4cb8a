package localwise

import (
	"encoding/json"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// adminPrefix is where the stand-in's own control endpoints live. They exist
// only in localwise (Wise has nothing like them) so that out-of-process tests
// and demos can inject faults and read counters; they are not authenticated,
// which is why localwise should listen on loopback only.
const adminPrefix = "/__localwise/"

// SetFaults replaces the current faults. Out-of-range values are clamped.
func (s *Server) SetFaults(f Faults) {
	f = f.clamped()
	if f.RevokeRefreshTokens {
		s.tokens.revokeRefresh()
		f.RevokeRefreshTokens = false
	}
	s.faults.set(f)
}

// Faults returns the faults still pending.
func (s *Server) Faults() Faults { return s.faults.get() }

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
	if !s.tokens.registerClient(Client{ID: c.ID, Secret: c.Secret, RedirectURLs: c.RedirectURLs}) {
		writeFieldErrors(w, http.StatusUnprocessableEntity, fieldError{Code: "LIMIT_REACHED", Message: "too many clients"})
		return
	}
	// The secret is not echoed back.
	writeJSON(w, http.StatusOK, struct {
		ID           string   `json:"id"`
		RedirectURLs []string `json:"redirect_urls"`
	}{c.ID, c.RedirectURLs})
}

// refuseAdmin answers 403 with a JSON error, and reports true, for an admin
// request that a web page could have made. The admin endpoints have no
// authentication, and a page in the user's browser can reach a loopback
// port: a cross-site form POST (text/plain or form-encoded, which needs
// no CORS preflight) could revoke every refresh token or register a client
// with the page's redirect URL, and a page whose own name resolves to
// 127.0.0.1 (DNS rebinding) would even be same-origin. So:
//   - Host must be a loopback name (localhost or a loopback IP, which DNS
//     rebinding cannot produce) or the address localwise listens on;
//   - Origin, which browsers send on every cross-origin POST, must be
//     absent (curl, Go, the tests) or this very origin;
//   - a POST must say Content-Type: application/json, which no form can
//     send and a cross-site fetch can only send after a preflight that
//     localwise does not answer.
//
// A program on the network (not a browser) can still send any Host: the
// endpoints are for a trusted machine, and Run warns when localwise
// listens beyond loopback.
func (s *Server) refuseAdmin(w http.ResponseWriter, r *http.Request) bool {
	refuse := func(msg string) bool {
		writeSpringError(w, r, http.StatusForbidden, msg)
		return true
	}
	if !s.adminHost(r.Host) {
		return refuse("The localwise admin endpoints answer only requests for a loopback address or the address localwise listens on")
	}
	if o := r.Header.Get("Origin"); o != "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		u, err := url.Parse(o)
		if err != nil || u.Scheme != scheme || !strings.EqualFold(u.Host, r.Host) || u.Path != "" || u.User != nil {
			return refuse("The localwise admin endpoints do not answer requests from other origins")
		}
	}
	if r.Method == http.MethodPost {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" {
			return refuse("The localwise admin endpoints take POST bodies only as Content-Type: application/json")
		}
	}
	return false
}

// adminHost reports whether host (a Host header) names a loopback address,
// or exactly one of the addresses localwise listens on (for a server
// started on a specific non-loopback address).
func (s *Server) adminHost(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
		return true
	}
	s.lmu.Lock()
	defer s.lmu.Unlock()
	for _, a := range s.listenHosts {
		if strings.EqualFold(host, a) {
			return true
		}
	}
	return false
}
