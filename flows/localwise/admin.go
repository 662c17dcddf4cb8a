package localwise

import (
	"encoding/json"
	"net/http"
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
