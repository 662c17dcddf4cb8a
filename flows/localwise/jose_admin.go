package localwise

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// The stand-in's own JOSE controls (no Wise counterpart): rotate
// localwise's keys, set the rotation overlap, list what a client
// uploaded. Over HTTP they sit under /__localwise/jose/.

// JOSEKey is one version of one of localwise's own JOSE keys.
type JOSEKey struct {
	Scope       string    `json:"scope"`
	Version     int       `json:"version"`
	KeyID       string    `json:"keyId"`
	Algorithm   string    `json:"algorithm"`
	KeyMaterial string    `json:"keyMaterial"` // base64 DER, as the key endpoint gives it
	CreatedAt   time.Time `json:"created_at"`
	// Current is the version responses are signed with, or the one the
	// key endpoint gives out by default.
	Current bool `json:"current"`
	// Decrypts says whether requests encrypted to this version are still
	// decrypted (encryption keys only).
	Decrypts bool `json:"decrypts,omitempty"`
}

// JOSEKeys are localwise's key versions, oldest first, and the overlap
// given to clients' earlier keys when they upload a new one.
type JOSEKeys struct {
	Signing    []JOSEKey `json:"signing"`
	Encryption []JOSEKey `json:"encryption"`
	Overlap    string    `json:"overlap"`
}

// JOSEClientKey is a public key a client uploaded, as Wise would echo it
// but with deactivationTimestamp in use: when the overlap after a later
// upload of the same scope ends (nil while none is scheduled).
type JOSEClientKey struct {
	KeyID                 string          `json:"keyId"`
	Scope                 string          `json:"scope"`
	ValidFrom             string          `json:"validFrom"`
	ValidTill             string          `json:"validTill"`
	PublicKeyMaterial     joseKeyMaterial `json:"publicKeyMaterial"`
	DeactivationTimestamp *string         `json:"deactivationTimestamp"`
	// Active says whether the key verifies and is encrypted to now.
	Active     bool   `json:"active"`
	UploadedAt string `json:"uploaded_at"`
}

// RotateJOSEKey adds a new version of localwise's key for scope
// (PAYLOAD_SIGNING or PAYLOAD_ENCRYPTION). Responses are signed with the
// new signing key at once. For encryption, unless keepPrevious, requests
// encrypted to an earlier version no longer decrypt (Wise's generic 500),
// so a client must fetch the key again, as Wise advises. Earlier versions
// stay fetchable by version.
func (s *Server) RotateJOSEKey(scope string, keepPrevious bool) (JOSEKey, error) {
	if !validScope(scope) {
		return JOSEKey{}, fmt.Errorf("localwise: rotate: scope %q is not PAYLOAD_SIGNING or PAYLOAD_ENCRYPTION", scope)
	}
	k, err := s.jose.rotate(s.now(), scope, keepPrevious)
	if err != nil {
		return JOSEKey{}, fmt.Errorf("localwise: rotate %s: %w", scope, err)
	}
	return JOSEKey{Scope: k.scope, Version: k.version, KeyID: k.keyID, Algorithm: k.alg,
		KeyMaterial: k.der, CreatedAt: k.createdAt, Current: true, Decrypts: scope == scopeEncryption}, nil
}

// JOSEServerKeys lists localwise's key versions and the overlap.
func (s *Server) JOSEServerKeys() (JOSEKeys, error) {
	sig, enc, from, err := s.jose.ownKeys(s.now())
	if err != nil {
		return JOSEKeys{}, fmt.Errorf("localwise: JOSE keys: %w", err)
	}
	out := JOSEKeys{Signing: []JOSEKey{}, Encryption: []JOSEKey{}, Overlap: s.JOSEOverlap().String()}
	for i, k := range sig {
		out.Signing = append(out.Signing, JOSEKey{Scope: k.scope, Version: k.version, KeyID: k.keyID, Algorithm: k.alg,
			KeyMaterial: k.der, CreatedAt: k.createdAt, Current: i == len(sig)-1})
	}
	for i, k := range enc {
		out.Encryption = append(out.Encryption, JOSEKey{Scope: k.scope, Version: k.version, KeyID: k.keyID, Algorithm: k.alg,
			KeyMaterial: k.der, CreatedAt: k.createdAt, Current: i == len(enc)-1, Decrypts: k.version >= from})
	}
	return out, nil
}

// SetJOSEOverlap sets how long a client's earlier key of a scope keeps
// working after a new key of that scope becomes valid (0 for none, at
// most ten years). It applies to uploads from now on.
func (s *Server) SetJOSEOverlap(d time.Duration) { s.jose.setOverlap(d) }

// JOSEOverlap is the current overlap.
func (s *Server) JOSEOverlap() time.Duration { return s.jose.getOverlap() }

// ClientJOSEKeys lists the keys client uploaded, oldest first.
func (s *Server) ClientJOSEKeys(clientID string) []JOSEClientKey {
	now := s.now()
	out := []JOSEClientKey{}
	for _, k := range s.jose.clientKeys(clientID, "") {
		c := JOSEClientKey{
			KeyID: k.keyID, Scope: k.scope,
			ValidFrom: k.validFrom.Format(joseTimeLayout), ValidTill: k.validTill.Format(joseTimeLayout),
			PublicKeyMaterial: joseKeyMaterial{Algorithm: k.alg, KeyMaterial: k.der},
			Active:            k.activeAt(now),
			UploadedAt:        k.uploadedAt.Format(joseTimeLayout),
		}
		if !k.deactivateAt.IsZero() {
			d := k.deactivateAt.Format(joseTimeLayout)
			c.DeactivationTimestamp = &d
		}
		out = append(out, c)
	}
	return out
}

// handleAdminJOSEKeys: GET lists localwise's keys.
func (s *Server) handleAdminJOSEKeys(w http.ResponseWriter, r *http.Request) {
	if allowMethod(w, r, http.MethodGet) {
		s.writeJOSEKeys(w, r)
	}
}

func (s *Server) writeJOSEKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := s.JOSEServerKeys()
	if err != nil {
		writeSpringError(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, keys)
}

// handleAdminJOSERotate: POST {"scope":"PAYLOAD_SIGNING"|"PAYLOAD_ENCRYPTION"
// (both when empty), "keep_previous":bool} rotates and lists the keys.
func (s *Server) handleAdminJOSERotate(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodPost) {
		return
	}
	var req struct {
		Scope        string `json:"scope"`
		KeepPrevious bool   `json:"keep_previous"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeFieldErrors(w, http.StatusBadRequest, fieldError{Code: "NOT_READABLE", Message: err.Error()})
		return
	}
	scopes := []string{scopeSigning, scopeEncryption}
	switch {
	case req.Scope == "":
	case validScope(req.Scope):
		scopes = []string{req.Scope}
	default:
		writeFieldErrors(w, http.StatusUnprocessableEntity, fieldError{Code: "NOT_VALID",
			Message: "scope must be PAYLOAD_SIGNING, PAYLOAD_ENCRYPTION or empty for both", Path: "scope"})
		return
	}
	for _, sc := range scopes {
		if _, err := s.RotateJOSEKey(sc, req.KeepPrevious); err != nil {
			status := http.StatusInternalServerError
			if errors.Is(err, errJOSEVersions) {
				status = http.StatusUnprocessableEntity
			}
			writeFieldErrors(w, status, fieldError{Code: "LIMIT_REACHED", Message: err.Error(), Path: "scope"})
			return
		}
	}
	s.writeJOSEKeys(w, r)
}

// handleAdminJOSEOverlap: GET shows the overlap, POST {"overlap":"2h"}
// sets it (a Go duration, 0s for none).
func (s *Server) handleAdminJOSEOverlap(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	if r.Method == http.MethodPost {
		var req struct {
			Overlap string `json:"overlap"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeFieldErrors(w, http.StatusBadRequest, fieldError{Code: "NOT_READABLE", Message: err.Error()})
			return
		}
		d, err := time.ParseDuration(req.Overlap)
		if err != nil || d < 0 || d > maxJOSEOverlap {
			writeFieldErrors(w, http.StatusUnprocessableEntity, fieldError{Code: "NOT_VALID",
				Message: "overlap must be a duration such as 24h, 90m or 0s, at most " + maxJOSEOverlap.String(), Path: "overlap"})
			return
		}
		s.SetJOSEOverlap(d)
	}
	writeJSON(w, http.StatusOK, struct {
		Overlap string `json:"overlap"`
	}{s.JOSEOverlap().String()})
}

// handleAdminJOSEClientKeys: GET lists the keys a client uploaded.
func (s *Server) handleAdminJOSEClientKeys(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet) {
		return
	}
	id := r.PathValue("clientId")
	if s.tokens.client(id) == nil {
		writeSpringError(w, r, http.StatusNotFound, "No client "+quoted(id))
		return
	}
	writeJSON(w, http.StatusOK, struct {
		ClientID string          `json:"client_id"`
		Keys     []JOSEClientKey `json:"keys"`
	}{id, s.ClientJOSEKeys(id)})
}
