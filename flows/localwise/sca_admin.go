package localwise

import (
	"encoding/json"
	"net/http"
)

// The SCA switch and counters, for tests and demos: Go methods and the
// admin endpoint /__localwise/sca (GET shows, POST changes what it names).

// SCAConfig is the SCA switch: the mode, the seed of the risk mode's
// random choices and whether the legacy personal-token signature is still
// accepted.
type SCAConfig struct {
	Mode            string `json:"mode"`
	Seed            uint64 `json:"seed"`
	LegacySignature bool   `json:"legacySignature"`
}

// SetSCAMode sets when protected calls are challenged: SCAAlways, SCANever
// or SCARisk. Another value is taken as SCAAlways.
func (s *Server) SetSCAMode(mode string) { s.sca.configure(&mode, nil, nil) }

// SetSCASeed restarts the risk mode's random choices from seed.
func (s *Server) SetSCASeed(seed uint64) { s.sca.configure(nil, &seed, nil) }

// SetSCALegacySignature turns the legacy personal-token signature on or
// off (off is what Wise does now: it withdrew the scheme).
func (s *Server) SetSCALegacySignature(on bool) { s.sca.configure(nil, nil, &on) }

// SCA returns the current switch.
func (s *Server) SCA() SCAConfig {
	m, seed, legacy := s.sca.config()
	return SCAConfig{Mode: m, Seed: seed, LegacySignature: legacy}
}

// SCAStats returns the SCA counters: challenges raised, replays approved
// and refused, and each protected operation run, by "METHOD path".
func (s *Server) SCAStats() SCAStats { return s.sca.snapshot() }

type scaAdminJSON struct {
	SCAConfig
	LowRiskWindowSeconds int      `json:"lowRiskWindowSeconds"`
	Counts               SCAStats `json:"counts"`
}

func (s *Server) handleAdminSCA(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	if r.Method == http.MethodPost {
		var req struct {
			Mode            *string `json:"mode"`
			Seed            *uint64 `json:"seed"`
			LegacySignature *bool   `json:"legacySignature"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeFieldErrors(w, http.StatusBadRequest, fieldError{Code: "NOT_READABLE", Message: err.Error()})
			return
		}
		if req.Mode != nil && !validSCAMode(*req.Mode) {
			writeFieldErrors(w, http.StatusUnprocessableEntity, fieldError{Code: "NOT_VALID",
				Message: "mode must be always, never or risk", Path: "mode"})
			return
		}
		s.sca.configure(req.Mode, req.Seed, req.LegacySignature)
	}
	writeJSON(w, http.StatusOK, scaAdminJSON{SCAConfig: s.SCA(), LowRiskWindowSeconds: int(scaWindow.Seconds()), Counts: s.SCAStats()})
}
