package localwise

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"
)

// The JOSE key endpoints: Wise's public keys (localwise's own, with
// versions) and the upload of a client's public keys. Both need a
// client-credentials token, as Wise says.

const (
	joseResponseKeysPath = "/v1/auth/jose/response/public-keys"
	joseRequestKeysPath  = "/v1/auth/jose/request/public-keys"

	// joseTimeLayout is Wise's validFrom/validTill shape, yyyy-MM-dd
	// HH:mm:ss, in UTC.
	joseTimeLayout = "2006-01-02 15:04:05"

	// maxUploadRSABits bounds what a client's RSA key costs each
	// verification and encryption; Wise names no maximum.
	maxUploadRSABits = 8192
	minRSABits       = 2048
)

// Compiled on first use, not at package init, which every start pays.
var uuidShape = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
})

// joseKeyMaterial is Wise's keyMaterial / publicKeyMaterial object.
type joseKeyMaterial struct {
	Algorithm   string `json:"algorithm"`
	KeyMaterial string `json:"keyMaterial"`
}

// joseResponseKeyJSON is the body of GET /v1/auth/jose/response/public-keys.
type joseResponseKeyJSON struct {
	KeyID       string          `json:"keyId"`
	Version     int             `json:"version"`
	KeyMaterial joseKeyMaterial `json:"keyMaterial"`
	Scope       string          `json:"scope"`
}

// joseUploadJSON is the body of POST /v1/auth/jose/request/public-keys.
type joseUploadJSON struct {
	KeyID             string           `json:"keyId"`
	Scope             string           `json:"scope"`
	ValidFrom         string           `json:"validFrom"`
	ValidTill         string           `json:"validTill"`
	PublicKeyMaterial *joseKeyMaterial `json:"publicKeyMaterial"`
}

// joseUploadedJSON is Wise's 201 answer to an upload: the key echoed, with
// clientId and deactivationTimestamp, which Wise documents as always null.
type joseUploadedJSON struct {
	ClientID              *string         `json:"clientId"`
	KeyID                 string          `json:"keyId"`
	Scope                 string          `json:"scope"`
	ValidFrom             string          `json:"validFrom"`
	ValidTill             string          `json:"validTill"`
	PublicKeyMaterial     joseKeyMaterial `json:"publicKeyMaterial"`
	DeactivationTimestamp *string         `json:"deactivationTimestamp"`
}

func validScope(s string) bool { return s == scopeSigning || s == scopeEncryption }

// scopeOfAlg is the scope an algorithm (Wise's spelling) belongs to, or "".
func scopeOfAlg(alg string) string {
	switch {
	case slices.Contains(signingAlgs, alg):
		return scopeSigning
	case alg == algRSAOAEP256:
		return scopeEncryption
	}
	return ""
}

// algProblem says what is wrong with alg for scope, or "" when it fits.
func algProblem(scope, alg string) string {
	switch {
	case alg == "":
		return "algorithm is required"
	case alg == "RS256":
		return "RS256 is not accepted: Wise takes ES256, ES384, ES512, PS256, PS384 or PS512 for signing (PS256 is the RSA one)"
	case alg == "RSA-OAEP-256":
		return "algorithm is spelled RSA_OAEP_256 in key JSON (RSA-OAEP-256 is the JOSE header spelling)"
	case scopeOfAlg(alg) == "":
		return "algorithm " + quoted(alg) + " is not one of ES256, ES384, ES512, PS256, PS384, PS512, RSA_OAEP_256"
	case scope != "" && scopeOfAlg(alg) != scope:
		if scope == scopeSigning {
			return "a PAYLOAD_SIGNING key takes ES256, ES384, ES512, PS256, PS384 or PS512, not " + alg
		}
		return "a PAYLOAD_ENCRYPTION key takes RSA_OAEP_256, not " + alg
	}
	return ""
}

// handleJOSEResponseKeys is GET /v1/auth/jose/response/public-keys: one of
// localwise's keys, the newest version unless version asks for another.
func (s *Server) handleJOSEResponseKeys(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet) {
		return
	}
	if _, ok := s.clientPrincipal(w, r); !ok {
		return
	}
	q := r.URL.Query()
	scope, alg := q.Get("scope"), q.Get("algorithm")
	var errs []fieldError
	switch {
	case scope == "":
		errs = append(errs, fieldError{Code: "NOT_NULL", Message: "scope is required: PAYLOAD_SIGNING or PAYLOAD_ENCRYPTION", Path: "scope"})
	case !validScope(scope):
		errs = append(errs, fieldError{Code: "NOT_VALID", Message: "scope must be PAYLOAD_SIGNING or PAYLOAD_ENCRYPTION", Path: "scope"})
	}
	if p := algProblem(scope, alg); p != "" {
		code := "NOT_VALID"
		if alg == "" {
			code = "NOT_NULL"
		}
		errs = append(errs, fieldError{Code: code, Message: p, Path: "algorithm"})
	}
	version := 0
	if v := q.Get("version"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 1 {
			errs = append(errs, fieldError{Code: "NOT_VALID", Message: "version must be a positive integer", Path: "version"})
		}
		version = int(n)
	}
	if len(errs) > 0 {
		writeFieldErrors(w, http.StatusBadRequest, errs...)
		return
	}
	k, ok, err := s.jose.ownKeyAt(s.now(), scope, version)
	switch {
	case err != nil:
		writeSpringError(w, r, http.StatusInternalServerError, "localwise could not make its JOSE key")
		return
	case !ok:
		writeSpringError(w, r, http.StatusNotFound, "No "+scope+" key of version "+strconv.Itoa(version))
		return
	case k.alg != alg:
		// Wise says the algorithm must match the one used; localwise has
		// one key per scope.
		writeSpringError(w, r, http.StatusNotFound, "No "+scope+" key for "+alg+": this server's "+scope+" key is "+k.alg)
		return
	}
	writeJSON(w, http.StatusOK, joseResponseKeyJSON{
		KeyID: k.keyID, Version: k.version, Scope: k.scope,
		KeyMaterial: joseKeyMaterial{Algorithm: k.alg, KeyMaterial: k.der},
	})
}

// handleJOSEUpload is POST /v1/auth/jose/request/public-keys.
func (s *Server) handleJOSEUpload(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodPost) {
		return
	}
	p, ok := s.clientPrincipal(w, r)
	if !ok {
		return
	}
	var req joseUploadJSON
	if !decodeJSONBody(w, r, &req) {
		return
	}
	now := s.now()
	k, errs := checkUpload(now, req)
	if len(errs) > 0 {
		writeFieldErrors(w, http.StatusUnprocessableEntity, errs...)
		return
	}
	k.clientID, k.uploadedAt = p.clientID, now
	switch err := s.jose.upload(now, k); {
	case errors.Is(err, errJOSEKeyIDTaken):
		writeFieldErrors(w, http.StatusConflict, fieldError{Code: "NOT_UNIQUE",
			Message: "A key with this keyId was already uploaded: make a new UUID for a new key", Path: "keyId", Arguments: []string{"keyId"}})
		return
	case errors.Is(err, errJOSEKeyLimit):
		writeFieldErrors(w, http.StatusUnprocessableEntity, fieldError{Code: "LIMIT_REACHED",
			Message: fmt.Sprintf("This client has %d keys that are still valid: let one expire before uploading another", maxClientJOSEKeys)})
		return
	case err != nil:
		writeSpringError(w, r, http.StatusInternalServerError, "localwise could not store the key")
		return
	}
	writeJSON(w, http.StatusCreated, joseUploadedJSON{
		KeyID: k.keyID, Scope: k.scope,
		ValidFrom: k.validFrom.Format(joseTimeLayout), ValidTill: k.validTill.Format(joseTimeLayout),
		PublicKeyMaterial: joseKeyMaterial{Algorithm: k.alg, KeyMaterial: k.der},
	})
}

// checkUpload validates an upload and returns the key it describes, or
// every problem with it.
func checkUpload(now time.Time, req joseUploadJSON) (clientKey, []fieldError) {
	var errs []fieldError
	bad := func(path, code, msg string) { errs = append(errs, fieldError{Code: code, Message: msg, Path: path}) }
	k := clientKey{keyID: req.KeyID, scope: req.Scope}
	switch {
	case req.KeyID == "":
		bad("keyId", "NOT_NULL", "keyId is required: a UUID that names the key")
	case !uuidShape().MatchString(req.KeyID):
		bad("keyId", "NOT_VALID", "keyId must be a UUID such as e87da464-8e5e-4380-8f2d-4e4e04052672")
	}
	switch {
	case req.Scope == "":
		bad("scope", "NOT_NULL", "scope is required: PAYLOAD_SIGNING or PAYLOAD_ENCRYPTION")
	case !validScope(req.Scope):
		bad("scope", "NOT_VALID", "scope must be PAYLOAD_SIGNING or PAYLOAD_ENCRYPTION")
	}
	var fromOK, tillOK bool
	k.validFrom, fromOK = parseJOSETime(req.ValidFrom)
	k.validTill, tillOK = parseJOSETime(req.ValidTill)
	switch {
	case req.ValidFrom == "":
		bad("validFrom", "NOT_NULL", "validFrom is required, as yyyy-MM-dd HH:mm:ss in UTC")
	case !fromOK:
		bad("validFrom", "NOT_VALID", "validFrom must be yyyy-MM-dd HH:mm:ss in UTC, such as 2023-04-27 00:00:00")
	}
	switch {
	case req.ValidTill == "":
		bad("validTill", "NOT_NULL", "validTill is required, as yyyy-MM-dd HH:mm:ss in UTC")
	case !tillOK:
		bad("validTill", "NOT_VALID", "validTill must be yyyy-MM-dd HH:mm:ss in UTC, such as 2024-04-01 00:00:00")
	case fromOK && !k.validTill.After(k.validFrom):
		bad("validTill", "NOT_VALID", "validTill must be after validFrom")
	case !k.validTill.After(now):
		bad("validTill", "NOT_VALID", "validTill is in the past: the key would never be valid")
	}
	m := req.PublicKeyMaterial
	if m == nil {
		bad("publicKeyMaterial", "NOT_NULL", "publicKeyMaterial is required: {\"algorithm\", \"keyMaterial\"}")
		return k, errs
	}
	scope := req.Scope
	if !validScope(scope) {
		scope = ""
	}
	if p := algProblem(scope, m.Algorithm); p != "" {
		code := "NOT_VALID"
		if m.Algorithm == "" {
			code = "NOT_NULL"
		}
		bad("publicKeyMaterial.algorithm", code, p)
		return k, errs
	}
	k.alg = m.Algorithm
	pub, der, problem := parseUploadedKey(m.Algorithm, m.KeyMaterial)
	if problem != "" {
		code := "NOT_VALID"
		if m.KeyMaterial == "" {
			code = "NOT_NULL"
		}
		bad("publicKeyMaterial.keyMaterial", code, problem)
		return k, errs
	}
	k.pub, k.der = pub, der
	return k, errs
}

// parseJOSETime reads Wise's yyyy-MM-dd HH:mm:ss (UTC), and nothing else.
func parseJOSETime(s string) (time.Time, bool) {
	if len(s) != len(joseTimeLayout) {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(joseTimeLayout, s, time.UTC)
	return t, err == nil
}

// parseUploadedKey decodes base64 DER SubjectPublicKeyInfo keyMaterial
// and checks the key fits alg: the curve of the ES algorithm, RSA of
// 2048 to 8192 bits for PS and RSA_OAEP_256. It returns the key, its
// canonical base64 form, or what is wrong.
func parseUploadedKey(alg, b64 string) (crypto.PublicKey, string, string) {
	if b64 == "" {
		return nil, "", "keyMaterial is required: the public key as base64 of its DER SubjectPublicKeyInfo"
	}
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, "", "keyMaterial is not standard base64 (with padding, no line breaks): it is the DER public key in base64"
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, "", "keyMaterial is not a DER SubjectPublicKeyInfo public key (PEM's body without its header lines, or openssl pkey -pubout -outform DER, in base64)"
	}
	switch alg {
	case "ES256", "ES384", "ES512":
		want := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}[alg]
		ec, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return nil, "", alg + " needs an EC " + want.Params().Name + " key; keyMaterial is " + keyKind(pub)
		}
		if ec.Curve != want {
			return nil, "", alg + " needs an EC " + want.Params().Name + " key; keyMaterial is " + keyKind(pub)
		}
	default: // PS256..PS512, RSA_OAEP_256
		rk, ok := pub.(*rsa.PublicKey)
		if !ok {
			return nil, "", alg + " needs an RSA key; keyMaterial is " + keyKind(pub)
		}
		if bits := rk.N.BitLen(); bits < minRSABits || bits > maxUploadRSABits {
			return nil, "", fmt.Sprintf("%s needs an RSA key of %d to %d bits; keyMaterial is %d bits", alg, minRSABits, maxUploadRSABits, bits)
		}
	}
	return pub, base64.StdEncoding.EncodeToString(der), ""
}

func keyKind(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return "an EC " + k.Curve.Params().Name + " key"
	case *rsa.PublicKey:
		return fmt.Sprintf("an RSA %d key", k.N.BitLen())
	}
	return fmt.Sprintf("a %T key", pub)
}

// quoted quotes a value a client sent for an error text: ASCII only (it
// may go into a header) and cut short (it may be long).
func quoted(s string) string {
	const max = 80
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strconv.QuoteToASCII(s)
}

// parseProtected decodes a compact serialization's protected header into
// its members. A member named twice is refused: two readers of the same
// header (this one and go-jose's) must not see different values.
func parseProtected(seg string) (map[string]json.RawMessage, error) {
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, errors.New("the protected header is not base64url without padding")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("the protected header is not a JSON object")
	}
	h := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, errors.New("the protected header is not a JSON object")
		}
		name, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, errors.New("the protected header is not a JSON object")
		}
		if _, dup := h[name]; dup {
			return nil, errors.New("the protected header names " + quoted(name) + " twice")
		}
		h[name] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, errors.New("the protected header is not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("the protected header has data after its JSON object")
	}
	return h, nil
}

// headerString is header member name as a string; present is false when
// it is absent, and err is set when it is there but not a string.
func headerString(h map[string]json.RawMessage, name string) (v string, present bool, err error) {
	raw, ok := h[name]
	if !ok {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", true, errors.New("the " + name + " header is not a string")
	}
	return v, true, nil
}
