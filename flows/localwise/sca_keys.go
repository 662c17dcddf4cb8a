package localwise

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Legacy personal-token SCA, which Wise has withdrawn and localwise keeps
// (labelled legacy) because it is the simplest SCA to show: the user
// uploads RSA public keys (at most 5, at least 2048 bits, PEM) under API
// tokens > Manage public keys in Wise's web UI, and a personal-token call
// refused with a one-time token is replayed with X-Signature, the standard
// base64 of an RSASSA-PKCS1-v1_5 SHA-256 signature over the token.
//
// The stand-in of "Manage public keys" is a JSON API (Bearer personal
// token) and an HTML page (signed in with the personal token). Neither is
// in Wise's OpenAPI document.

const (
	scaKeysPagePath = "/api-tokens/public-keys"
	scaKeysAPIPath  = "/api-tokens/api/public-keys"
	maxSCAKeyBits   = 8192
)

// scaKeyJSON is one uploaded key.
type scaKeyJSON struct {
	KeyID     string `json:"keyId"`
	Bits      int    `json:"bits"`
	SHA256    string `json:"sha256"`
	CreatedAt string `json:"createdAt"`
}

func scaKeyBody(k scaKey) scaKeyJSON {
	return scaKeyJSON{KeyID: k.id, Bits: k.bits, SHA256: k.sum, CreatedAt: k.created.UTC().Format(time.RFC3339)}
}

// parseSCAKey reads an RSA public key in PEM (SPKI "PUBLIC KEY" or PKCS#1
// "RSA PUBLIC KEY") under Wise's rules.
func parseSCAKey(text string) (scaKey, *scaError) {
	bad := func(code, msg string) (scaKey, *scaError) {
		return scaKey{}, &scaError{status: http.StatusUnprocessableEntity, code: code, msg: msg}
	}
	if strings.TrimSpace(text) == "" {
		return bad("NOT_NULL", "publicKey is required: the PEM text of an RSA public key")
	}
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return bad("key.not.pem", "publicKey is not PEM: paste the whole -----BEGIN PUBLIC KEY----- block")
	}
	var pub any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return bad("key.not.pem", "publicKey is a PEM "+quoted(block.Type)+" block: upload the PUBLIC KEY, never the private key")
	}
	if err != nil {
		return bad("key.not.pem", "publicKey does not parse as a public key")
	}
	rk, ok := pub.(*rsa.PublicKey)
	if !ok {
		return bad("key.not.rsa", "publicKey is not an RSA key: Wise takes RSA keys only")
	}
	bits := rk.N.BitLen()
	switch {
	case bits < minRSABits:
		return bad("key.too.small", "publicKey is a "+strconv.Itoa(bits)+"-bit RSA key: Wise takes 2048 bits or more")
	case bits > maxSCAKeyBits:
		return bad("key.too.large", "publicKey is a "+strconv.Itoa(bits)+"-bit RSA key: localwise takes at most 8192 bits")
	}
	der, err := x509.MarshalPKIXPublicKey(rk)
	if err != nil {
		return bad("key.not.rsa", "publicKey cannot be encoded")
	}
	sum := sha256.Sum256(der)
	return scaKey{id: newUUID(), pub: rk, bits: bits, sum: hex.EncodeToString(sum[:])}, nil
}

// verifyOTTSignature reports whether sig (standard base64) is a
// SHA256withRSA signature of ott by one of the user's uploaded keys.
func (s *Server) verifyOTTSignature(userID int64, ott, sig string) bool {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sig))
	if err != nil || len(raw) == 0 {
		return false
	}
	digest := sha256.Sum256([]byte(ott))
	for _, k := range s.sca.listKeys(userID) {
		if pub, ok := k.pub.(*rsa.PublicKey); ok && rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], raw) == nil {
			return true
		}
	}
	return false
}

// personalCaller authenticates the personal token of "Manage public keys".
func (s *Server) personalCaller(w http.ResponseWriter, r *http.Request) (int64, bool) {
	p, ok := s.authenticateBearer(w, r)
	if !ok {
		return 0, false
	}
	if p.kind != kindPersonal {
		forbidKind(w, "a personal token: SCA public keys belong to personal tokens (the legacy scheme)")
		return 0, false
	}
	return p.userID, true
}

func (s *Server) addSCAKey(userID int64, text string) (scaKey, *scaError) {
	k, err := parseSCAKey(text)
	if err != nil {
		return scaKey{}, err
	}
	k.created = s.now()
	if err := s.sca.addKey(userID, k); err != nil {
		return scaKey{}, err
	}
	return k, nil
}

// handleSCAKeys is GET (list) and POST (upload {"publicKey":PEM}) of the
// JSON API.
func (s *Server) handleSCAKeys(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	uid, ok := s.personalCaller(w, r)
	if !ok {
		return
	}
	if r.Method == http.MethodPost {
		var body struct {
			PublicKey string `json:"publicKey"`
		}
		if !decodeJSONBody(w, r, &body) {
			return
		}
		k, err := s.addSCAKey(uid, body.PublicKey)
		if err != nil {
			writeFieldErrors(w, err.status, fieldError{Code: err.code, Message: err.msg, Path: "publicKey"})
			return
		}
		writeJSON(w, http.StatusCreated, scaKeyBody(k))
		return
	}
	out := struct {
		Keys []scaKeyJSON `json:"keys"`
	}{[]scaKeyJSON{}}
	for _, k := range s.sca.listKeys(uid) {
		out.Keys = append(out.Keys, scaKeyBody(k))
	}
	writeJSON(w, http.StatusOK, out)
}

// handleSCAKey is DELETE of one key of the JSON API.
func (s *Server) handleSCAKey(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodDelete) {
		return
	}
	uid, ok := s.personalCaller(w, r)
	if !ok {
		return
	}
	if !s.sca.deleteKey(uid, r.PathValue("keyId")) {
		writeFieldErrors(w, http.StatusNotFound, fieldError{Code: "key.not.found", Message: "No public key with this keyId on this account"})
		return
	}
	writeEmpty(w, http.StatusNoContent)
}

// The HTML page.

var keyPages = pageSet(`
{{define "keys-sign-in"}}{{template "head" .}}<p>A stand-in for Wise's <strong>API tokens › Manage public keys</strong>
(legacy personal-token SCA, which Wise has withdrawn). Sign in with the personal token whose account the keys are for.</p>
<form method="post" action="` + scaKeysPagePath + `/sign-in">
<label for="token">Personal API token</label>
<input id="token" name="token" type="password" autocomplete="off" required>
<button id="sign-in" type="submit">Sign in</button>
</form>
<p class="hint">Demo personal token: {{.DemoToken}}</p>
{{template "foot" .}}{{end}}

{{define "keys"}}{{template "head" .}}<p>Signed in as <strong id="email">{{.Email}}</strong>. <a href="` + scaKeysPagePath + `">Sign out</a></p>
<p class="hint">Legacy: Wise no longer accepts signed one-time tokens; localwise still does, for testing.</p>
<h2>Public keys: <span id="key-count">{{len .Keys}} of {{.Limit}}</span></h2>
<table id="keys"><tr><th>Key</th><th>Bits</th><th>Added</th><th></th></tr>
{{range .Keys}}<tr><td><code class="key-sha256">{{.SHA256}}</code></td><td>{{.Bits}}</td><td>{{.CreatedAt}}</td><td>
<form method="post" action="` + scaKeysPagePath + `/delete"><input type="hidden" name="session" value="{{$.Session}}"><input type="hidden" name="keyId" value="{{.KeyID}}">
<button type="submit" class="secondary" id="delete-{{.KeyID}}">Delete</button></form></td></tr>
{{end}}</table>
<h2>Add a public key</h2>
<form method="post" action="` + scaKeysPagePath + `/upload">
<input type="hidden" name="session" value="{{.Session}}">
<label for="public-key">RSA public key (PEM, 2048 bits or more)</label>
<textarea id="public-key" name="publicKey" rows="10" required placeholder="-----BEGIN PUBLIC KEY-----">{{.PEM}}</textarea>
<button id="upload" type="submit">Add key</button>
</form>
{{template "foot" .}}{{end}}
`)

type keysPageData struct {
	Title, Error   string
	Wide           bool
	DemoToken      string
	Email, Session string
	Keys           []scaKeyJSON
	Limit          int
	PEM            string
}

func (s *Server) renderKeys(w http.ResponseWriter, status int, name string, d keysPageData) {
	d.Wide = true
	if d.Title == "" {
		d.Title = "Manage public keys"
	}
	if name == "keys-sign-in" {
		d.DemoToken = DemoPersonalToken
	} else if u := s.users.user(s.keyUser(d.Session)); u != nil {
		d.Email = u.email
		for _, k := range s.sca.listKeys(u.id) {
			d.Keys = append(d.Keys, scaKeyBody(k))
		}
		d.Limit = maxSCAKeys
	}
	setPageHeaders(w, "")
	w.WriteHeader(status)
	_ = keyPages().ExecuteTemplate(w, name, d) // a write error means the browser left
}

func (s *Server) keyUser(session string) int64 {
	uid, _ := s.sca.session(s.now(), session)
	return uid
}

// handleKeysPage is GET /api-tokens/public-keys: the sign-in.
func (s *Server) handleKeysPage(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet) {
		return
	}
	s.renderKeys(w, http.StatusOK, "keys-sign-in", keysPageData{})
}

func (s *Server) keysForm(w http.ResponseWriter, r *http.Request) bool {
	if !allowMethod(w, r, http.MethodPost) {
		return false
	}
	if err := r.ParseForm(); err != nil {
		s.renderKeys(w, http.StatusBadRequest, "keys-sign-in", keysPageData{Error: "The form could not be read. Sign in again."})
		return false
	}
	return true
}

// keysSession is the signed-in session of the form, or it shows the
// sign-in again.
func (s *Server) keysSession(w http.ResponseWriter, r *http.Request) (string, int64, bool) {
	session := r.PostForm.Get("session")
	uid, ok := s.sca.session(s.now(), session)
	if session == "" || !ok {
		s.renderKeys(w, http.StatusUnauthorized, "keys-sign-in", keysPageData{Error: "Your session is unknown or has ended. Sign in again."})
		return "", 0, false
	}
	return session, uid, true
}

// handleKeysSignIn is POST /api-tokens/public-keys/sign-in.
func (s *Server) handleKeysSignIn(w http.ResponseWriter, r *http.Request) {
	if !s.keysForm(w, r) {
		return
	}
	p, _, ok := s.tokens.bearer(s.now(), strings.TrimSpace(r.PostForm.Get("token")))
	if !ok || p.kind != kindPersonal {
		s.renderKeys(w, http.StatusUnauthorized, "keys-sign-in", keysPageData{Error: "That is not a personal API token of this server."})
		return
	}
	session := randomHex(32)
	s.sca.signIn(s.now(), session, p.userID)
	s.renderKeys(w, http.StatusOK, "keys", keysPageData{Session: session})
}

// handleKeysUpload is POST /api-tokens/public-keys/upload from the page.
func (s *Server) handleKeysUpload(w http.ResponseWriter, r *http.Request) {
	if !s.keysForm(w, r) {
		return
	}
	session, uid, ok := s.keysSession(w, r)
	if !ok {
		return
	}
	text := r.PostForm.Get("publicKey")
	if _, err := s.addSCAKey(uid, text); err != nil {
		s.renderKeys(w, err.status, "keys", keysPageData{Session: session, PEM: text, Error: "The key was not added. " + err.msg})
		return
	}
	s.renderKeys(w, http.StatusCreated, "keys", keysPageData{Session: session})
}

// handleKeysDelete is POST /api-tokens/public-keys/delete from the page.
func (s *Server) handleKeysDelete(w http.ResponseWriter, r *http.Request) {
	if !s.keysForm(w, r) {
		return
	}
	session, uid, ok := s.keysSession(w, r)
	if !ok {
		return
	}
	status, d := http.StatusOK, keysPageData{Session: session}
	if !s.sca.deleteKey(uid, r.PostForm.Get("keyId")) {
		status, d.Error = http.StatusNotFound, "This account has no such key."
	}
	s.renderKeys(w, status, "keys", d)
}
