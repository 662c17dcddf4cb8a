package localwise

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	jose "github.com/go-jose/go-jose/v4"
)

// Wise's JOSE playgrounds: a signed (JWS), encrypted (JWE), signed then
// encrypted (JWS+JWE) or direct-encrypted request in, the same kind of
// answer out. This is an implementation of the server side written apart
// from the project's client side (crypto/): it reads the protected header
// itself, checks every member that matters before go-jose sees the token,
// and then hands go-jose exactly one algorithm to accept.
//
// Refusals follow Wise: a request whose signature does not verify gets
// 400 {"error":"jws_error"} (the description says why), one that does not
// decrypt gets Wise's generic 500. Every refusal also names its reason in
// the X-Localwise-Reason header, so a test can tell which check refused;
// for a failed decryption that is only "decryption failed", whichever
// step failed, so the answer is no oracle on the key.

const (
	josePlaygroundPrefix = "/v1/auth/jose/playground/"
	joseMediaType        = "application/jose+json"
	joseMethodHeader     = "X-Tw-Jose-Method"
	reasonHeader         = "X-Localwise-Reason"

	// maxPlaygroundMessage is Wise's documented limit, in characters.
	maxPlaygroundMessage = 100
	playgroundPrefix     = "jose-playground-response-"

	// The JOSE header spellings of the only key and content encryption
	// Wise accepts.
	jweAlg = "RSA-OAEP-256"
	jweEnc = "A256GCM"
)

// playMode is one playground: what the request is and what the answer is.
type playMode int

const (
	playJWS    playMode = iota + 1 // JWS in, JWS out
	playJWE                        // JWE in (or a GET), JWE to the client's key out
	playDirect                     // JWE in, JWE with the request's CEK (alg dir) out
	playJWSJWE                     // JWS in JWE in, JWS in JWE out
)

var playgrounds = []struct {
	path   string
	mode   playMode
	header string // the X-TW-JOSE-Method the request must carry
}{
	{josePlaygroundPrefix + "jws", playJWS, "jws"},
	{josePlaygroundPrefix + "jwe", playJWE, "jwe"},
	{josePlaygroundPrefix + "jwe-direct-encryption", playDirect, "jwe"},
	{josePlaygroundPrefix + "jwsjwe", playJWSJWE, "jws+jwe"},
}

// joseRefusal is a request the playground refuses: a JWS that does not
// verify (400 jws_error), or, when decrypt is set, a JWE that does not
// decrypt (the generic 500).
type joseRefusal struct {
	decrypt bool
	reason  string
}

func (e *joseRefusal) Error() string { return e.reason }

func refuseJWS(reason string) error { return &joseRefusal{reason: reason} }
func refuseJWE(reason string) error { return &joseRefusal{decrypt: true, reason: reason} }

// refusalBody is Wise's generic 500. request_id is the response's trace id,
// so a log line and the answer can be matched.
type refusalBody struct {
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
}

func (s *Server) writeRefusal(w http.ResponseWriter, e *joseRefusal) {
	w.Header().Set(reasonHeader, e.reason)
	if e.decrypt {
		writeJSON(w, http.StatusInternalServerError, refusalBody{Message: "An unexpected error occurred", RequestID: w.Header().Get(traceHeader)})
		return
	}
	writeOAuthError(w, http.StatusBadRequest, "jws_error", "Unable to verify the request signature: "+e.reason)
}

// playgroundAnswer is the JSON every playground signs or encrypts.
type playgroundAnswer struct {
	Message string `json:"message"`
	Method  string `json:"method"`
}

func (s *Server) handleJOSEPlayground(mode playMode, header string) http.HandlerFunc {
	methods := []string{http.MethodPost}
	if mode == playJWE {
		methods = append(methods, http.MethodGet)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if !allowMethod(w, r, methods...) {
			return
		}
		p, ok := s.clientPrincipal(w, r)
		if !ok {
			return
		}
		if !checkJOSEHeaders(w, r, header) {
			return
		}
		now, wantURL := s.now(), r.URL.RequestURI()
		var (
			message string
			cek     []byte
		)
		if r.Method == http.MethodPost {
			body, ok := readJOSEBody(w, r)
			if !ok {
				return
			}
			var payload []byte
			var err error
			switch mode {
			case playJWS:
				payload, err = s.verifyRequestJWS(now, p.clientID, body, wantURL)
			case playJWE, playDirect:
				payload, cek, err = s.decryptRequestJWE(now, body, wantURL)
			case playJWSJWE:
				var inner []byte
				if inner, cek, err = s.decryptRequestJWE(now, body, wantURL); err == nil {
					payload, err = s.verifyRequestJWS(now, p.clientID, strings.TrimSpace(string(inner)), wantURL)
				}
			}
			defer clear(cek)
			var refusal *joseRefusal
			if errors.As(err, &refusal) {
				s.writeRefusal(w, refusal)
				return
			}
			if message, ok = playgroundMessage(w, payload); !ok {
				return
			}
		}
		answer, _ := json.Marshal(playgroundAnswer{Message: playgroundPrefix + message, Method: r.Method})
		tok, err := s.playgroundResponse(w, now, p.clientID, mode, cek, answer)
		if err != nil {
			writeSpringError(w, r, http.StatusInternalServerError, "localwise could not sign or encrypt the answer")
			return
		}
		if tok == "" {
			return // playgroundResponse answered
		}
		h := w.Header()
		h.Set("Content-Type", joseMediaType)
		h.Set("Cache-Control", "no-store")
		h.Set("Pragma", "no-cache")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, tok)
	}
}

// playgroundResponse signs and/or encrypts answer for mode. It returns ""
// with a nil error when it answered itself (the client has no key to
// encrypt to).
func (s *Server) playgroundResponse(w http.ResponseWriter, now time.Time, clientID string, mode playMode, cek, answer []byte) (string, error) {
	switch mode {
	case playJWS:
		return s.signResponse(now, answer)
	case playDirect:
		return encryptDirect(cek, answer)
	}
	k, ok := s.jose.responseKey(now, clientID)
	if !ok {
		writeOAuthError(w, http.StatusBadRequest, "jwe_error",
			"This client has no active PAYLOAD_ENCRYPTION key to encrypt the response to: upload one with POST "+joseRequestKeysPath)
		return "", nil
	}
	if mode == playJWSJWE {
		signed, err := s.signResponse(now, answer)
		if err != nil {
			return "", err
		}
		answer = []byte(signed)
	}
	return encryptTo(k, answer)
}

// checkJOSEHeaders checks the headers Wise requires on a JOSE call:
// X-TW-JOSE-Method naming this playground's method, an Accept that takes
// application/jose+json and, with a body, Content-Type
// application/jose+json.
func checkJOSEHeaders(w http.ResponseWriter, r *http.Request, want string) bool {
	if got := r.Header.Get(joseMethodHeader); !strings.EqualFold(strings.TrimSpace(got), want) {
		msg := "This endpoint needs the header X-TW-JOSE-Method: " + want
		if got != "" {
			msg += ", not " + quoted(got)
		}
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", msg)
		return false
	}
	if !acceptsJOSE(r.Header.Values("Accept")) {
		writeSpringError(w, r, http.StatusNotAcceptable, "This endpoint answers application/jose+json: send Accept: application/jose+json")
		return false
	}
	if r.Method == http.MethodPost {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != joseMediaType {
			writeSpringError(w, r, http.StatusUnsupportedMediaType, "Send the body as Content-Type: application/jose+json")
			return false
		}
	}
	return true
}

// acceptsJOSE reports whether the Accept headers name application/jose+json
// (Wise documents exactly that value; a list that includes it is taken).
func acceptsJOSE(values []string) bool {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err == nil && mt == joseMediaType && params["q"] != "0" {
				return true
			}
		}
	}
	return false
}

// readJOSEBody reads a compact token from the body (capped by the
// middleware), answering 413 itself when it is too large.
func readJOSEBody(w http.ResponseWriter, r *http.Request) (string, bool) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeSpringError(w, r, http.StatusRequestEntityTooLarge, "Request body too large: a JOSE body here is at most 64 KiB")
			return "", false
		}
		writeSpringError(w, r, http.StatusBadRequest, "The request body could not be read")
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

// playgroundMessage reads {"message": "..."} from a verified or decrypted
// payload and enforces Wise's 100-character limit.
func playgroundMessage(w http.ResponseWriter, payload []byte) (string, bool) {
	var body struct {
		Message *string `json:"message"`
	}
	if err := json.Unmarshal(payload, &body); err != nil {
		writeFieldErrors(w, http.StatusBadRequest, fieldError{Code: "NOT_READABLE",
			Message: "The signed or encrypted payload is not JSON of the form {\"message\": \"...\"}"})
		return "", false
	}
	if body.Message == nil {
		return "", true
	}
	if n := utf8.RuneCountInString(*body.Message); n > maxPlaygroundMessage {
		writeFieldErrors(w, http.StatusUnprocessableEntity, fieldError{Code: "NOT_VALID",
			Message: "Message length is limited to 100 characters", Path: "message", Arguments: []string{"100"}})
		return "", false
	}
	return *body.Message, true
}

// verifyRequestJWS verifies a client's compact JWS: the alg is one Wise
// lists and the one of the key, the url header is the request's path,
// the key (named by kid, or else each active key of the client for that
// alg) is the client's and valid at now. It returns the payload only when
// all of that holds.
func (s *Server) verifyRequestJWS(now time.Time, clientID, token, wantURL string) ([]byte, error) {
	if token == "" {
		return nil, refuseJWS("the body is empty: send the payload as a compact JWS")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, refuseJWS("the body is not a compact JWS (three base64url parts separated by dots)")
	}
	h, err := parseProtected(parts[0])
	if err != nil {
		return nil, refuseJWS(err.Error())
	}
	alg, present, err := headerString(h, "alg")
	switch {
	case err != nil:
		return nil, refuseJWS(err.Error())
	case !present:
		return nil, refuseJWS("the protected header has no alg")
	case alg == "RS256":
		return nil, refuseJWS("alg RS256 is not accepted: sign with PS256 (RSA) or ES256, ES384, ES512, PS384, PS512")
	case !slices.Contains(signingAlgs, alg):
		return nil, refuseJWS("alg " + quoted(alg) + " is not accepted: sign with ES256, ES384, ES512, PS256, PS384 or PS512")
	}
	for _, name := range []string{"crit", "b64", "zip"} {
		if _, ok := h[name]; ok {
			return nil, refuseJWS("the protected header has " + name + ", which this endpoint does not take")
		}
	}
	u, present, err := headerString(h, "url")
	switch {
	case err != nil:
		return nil, refuseJWS(err.Error())
	case !present:
		return nil, refuseJWS("the protected header has no url: it must be the request path, " + quoted(wantURL))
	case u != wantURL:
		return nil, refuseJWS("the url header is " + quoted(u) + " but the request went to " + quoted(wantURL))
	}
	kid, hasKid, err := headerString(h, "kid")
	if err != nil {
		return nil, refuseJWS(err.Error())
	}
	var keys []clientKey
	if hasKid {
		k, ok := s.jose.clientKeyByID(clientID, kid)
		switch {
		case !ok || k.scope != scopeSigning:
			return nil, refuseJWS("kid " + quoted(kid) + " names no PAYLOAD_SIGNING key this client uploaded")
		case !k.activeAt(now):
			return nil, refuseJWS("the key " + k.keyID + " " + k.whyInactive(now))
		case k.alg != alg:
			return nil, refuseJWS("the key " + k.keyID + " is for " + k.alg + ", the header says " + alg)
		}
		keys = []clientKey{k}
	} else {
		for _, k := range s.jose.clientKeys(clientID, scopeSigning) {
			if k.alg == alg && k.activeAt(now) {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			return nil, refuseJWS("this client has no active PAYLOAD_SIGNING key for " + alg + ": upload one with POST " + joseRequestKeysPath)
		}
	}
	obj, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
	if err != nil {
		return nil, refuseJWS("the JWS does not parse: " + strings.TrimPrefix(err.Error(), "go-jose/go-jose: "))
	}
	for _, k := range keys {
		if payload, err := obj.Verify(k.pub); err == nil {
			return payload, nil
		}
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.keyID
	}
	return nil, refuseJWS("the signature does not verify with the key " + strings.Join(ids, " or "))
}

// decryptRequestJWE decrypts a compact JWE sent to localwise: alg
// RSA-OAEP-256 and enc A256GCM only, no zip, the url header (when there)
// the request's path, kid (when there) one of localwise's encryption keys
// that still decrypt. It returns the plaintext and the content encryption
// key, which the direct-encryption playground answers with.
func (s *Server) decryptRequestJWE(now time.Time, token, wantURL string) ([]byte, []byte, error) {
	if token == "" {
		return nil, nil, refuseJWE("the body is empty: send the payload as a compact JWE")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 5 {
		return nil, nil, refuseJWE("the body is not a compact JWE (five base64url parts separated by dots)")
	}
	h, err := parseProtected(parts[0])
	if err != nil {
		return nil, nil, refuseJWE(err.Error())
	}
	for _, m := range []struct{ name, want string }{{"alg", jweAlg}, {"enc", jweEnc}} {
		v, present, err := headerString(h, m.name)
		switch {
		case err != nil:
			return nil, nil, refuseJWE(err.Error())
		case !present:
			return nil, nil, refuseJWE("the protected header has no " + m.name + ": it must be " + m.want)
		case v != m.want:
			return nil, nil, refuseJWE(m.name + " " + quoted(v) + " is not accepted: Wise takes only alg RSA-OAEP-256 with enc A256GCM")
		}
	}
	if _, ok := h["zip"]; ok {
		return nil, nil, refuseJWE("the protected header has zip: compressed JWEs are not accepted")
	}
	if _, ok := h["crit"]; ok {
		return nil, nil, refuseJWE("the protected header has crit, which this endpoint does not take")
	}
	u, present, err := headerString(h, "url")
	switch {
	case err != nil:
		return nil, nil, refuseJWE(err.Error())
	case present && u != wantURL:
		return nil, nil, refuseJWE("the url header is " + quoted(u) + " but the request went to " + quoted(wantURL))
	}
	kid, hasKid, err := headerString(h, "kid")
	if err != nil {
		return nil, nil, refuseJWE(err.Error())
	}
	keys, err := s.jose.decryptionKeys(now)
	if err != nil {
		return nil, nil, refuseJWE("localwise has no encryption key")
	}
	if hasKid {
		keys = slices.DeleteFunc(keys, func(k *ownKey) bool { return !strings.EqualFold(k.keyID, kid) })
		if len(keys) == 0 {
			return nil, nil, refuseJWE("kid " + quoted(kid) + " names no encryption key of this server that still decrypts: fetch its key again")
		}
	}
	obj, err := jose.ParseEncryptedCompact(token, []jose.KeyAlgorithm{jose.RSA_OAEP_256}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		return nil, nil, refuseJWE("the JWE does not parse: " + strings.TrimPrefix(err.Error(), "go-jose/go-jose: "))
	}
	for _, k := range keys {
		keeper := &cekKeeper{key: k.decrypter}
		if plaintext, err := obj.Decrypt(keeper); err == nil {
			return plaintext, keeper.cek, nil
		}
		clear(keeper.cek)
	}
	return nil, nil, refuseJWE("decryption failed")
}

// cekKeeper unwraps the content encryption key with RSA-OAEP-256 itself
// and keeps it: go-jose does not hand out the CEK of a JWE it decrypts,
// and direct-encryption answers are encrypted with it.
type cekKeeper struct {
	key *rsa.PrivateKey
	cek []byte
}

func (c *cekKeeper) DecryptKey(encryptedKey []byte, h jose.Header) ([]byte, error) {
	if h.Algorithm != string(jose.RSA_OAEP_256) {
		return nil, errors.New("not RSA-OAEP-256")
	}
	cek, err := rsa.DecryptOAEP(sha256.New(), rand.Reader, c.key, encryptedKey, nil)
	if err != nil {
		return nil, err
	}
	c.cek = cek
	return cek, nil
}

// signResponse signs payload with localwise's newest signing key; the
// header is Wise's: {"alg":"ES512","version":N}, the key version, no kid.
func (s *Server) signResponse(now time.Time, payload []byte) (string, error) {
	k, _, err := s.jose.ownKeyAt(now, scopeSigning, 0)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES512, Key: k.signer},
		(&jose.SignerOptions{}).WithHeader("version", k.version))
	if err != nil {
		return "", err
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

// encryptTo encrypts payload to a client's uploaded encryption key; the
// header names it: {"alg":"RSA-OAEP-256","enc":"A256GCM","kid":...}.
func encryptTo(k clientKey, payload []byte) (string, error) {
	pub, ok := k.pub.(*rsa.PublicKey)
	if !ok {
		return "", errors.New("not an RSA key")
	}
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: pub, KeyID: k.keyID}, nil)
	if err != nil {
		return "", err
	}
	obj, err := enc.Encrypt(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

// encryptDirect encrypts payload with the request's content encryption
// key: {"alg":"dir","enc":"A256GCM"}.
func encryptDirect(cek, payload []byte) (string, error) {
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.DIRECT, Key: cek}, nil)
	if err != nil {
		return "", err
	}
	obj, err := enc.Encrypt(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}
