package wise

import (
	"bytes"
	"context"
	stdcrypto "crypto"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// JOSE (reference/wise-auth.md §6): the two key endpoints, which take a
// client-credentials token only, and calls whose bodies are signed and/or
// encrypted. What a call signs, encrypts, verifies and decrypts with is
// given by the caller; this side knows the wire: the headers, the order
// of the steps, and that a response which fails its check is an error,
// never data.

// The scopes of a JOSE key at Wise.
const (
	ScopeSigning    = "PAYLOAD_SIGNING"
	ScopeEncryption = "PAYLOAD_ENCRYPTION"
)

// The JOSE paths.
const (
	WiseKeysPath       = "/v1/auth/jose/response/public-keys"
	UploadKeyPath      = "/v1/auth/jose/request/public-keys"
	JOSEPlaygroundPath = "/v1/auth/jose/playground/"
)

// WiseSigningAlg is the algorithm of the key Wise signs its responses
// with (its documented example; localwise does the same).
const WiseSigningAlg = crypto.ES512

// ErrWiseKey: Wise's public key answer is not a key this side can use
// (another scope or algorithm than asked, a malformed or weak key).
var ErrWiseKey = errors.New("wise's public key answer is not usable")

// ErrResponseRefused: a JOSE response failed its check (its signature, its
// encryption, its form). Its body was dropped: it is never data.
var ErrResponseRefused = errors.New("the response failed its JOSE check and was dropped")

// WiseKey is one of Wise's public keys.
type WiseKey struct {
	KeyID   string // optional at Wise
	Version int
	Scope   string
	Alg     crypto.JOSEAlg
	// Material is the base64 DER (SPKI) as Wise gave it, for storage.
	Material string
	Key      any // *ecdsa.PublicKey or *rsa.PublicKey
}

// maxWiseKeyAnswer bounds the key answer: a 4096-bit RSA key in base64 is
// under 1 KiB.
const maxWiseKeyAnswer = 32 << 10

// ParseWiseKeyResponse reads the answer of GET /v1/auth/jose/response/
// public-keys and checks that it is a usable key: a known scope, an
// algorithm of that scope (RSA_OAEP_256 for encryption, a signing
// algorithm for signing), a version of at least 1, and key material that
// fits the algorithm.
func ParseWiseKeyResponse(data []byte) (WiseKey, error) {
	if len(data) > maxWiseKeyAnswer {
		return WiseKey{}, fmt.Errorf("%w: %d bytes, more than a key answer has", ErrWiseKey, len(data))
	}
	var r struct {
		KeyID       string `json:"keyId"`
		Version     int    `json:"version"`
		Scope       string `json:"scope"`
		KeyMaterial struct {
			Algorithm   string `json:"algorithm"`
			KeyMaterial string `json:"keyMaterial"`
		} `json:"keyMaterial"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return WiseKey{}, fmt.Errorf("%w: not the JSON Wise sends", ErrWiseKey)
	}
	var use string
	switch r.Scope {
	case ScopeSigning:
		use = "sig"
	case ScopeEncryption:
		use = "enc"
	default:
		return WiseKey{}, fmt.Errorf("%w: scope %q (want %s or %s)", ErrWiseKey, CleanText(r.Scope, maxErrorCode), ScopeSigning, ScopeEncryption)
	}
	alg, err := crypto.ParseJOSEAlg(use, r.KeyMaterial.Algorithm)
	if err != nil {
		return WiseKey{}, fmt.Errorf("%w: %w", ErrWiseKey, err)
	}
	if r.Version < 1 {
		return WiseKey{}, fmt.Errorf("%w: version %d (Wise's start at 1)", ErrWiseKey, r.Version)
	}
	key, err := crypto.ParsePublicDER(r.KeyMaterial.KeyMaterial)
	if err != nil {
		return WiseKey{}, fmt.Errorf("%w: %w", ErrWiseKey, err)
	}
	if err := crypto.CheckJOSEKey(alg, key); err != nil {
		return WiseKey{}, fmt.Errorf("%w: %w", ErrWiseKey, err)
	}
	return WiseKey{KeyID: CleanText(r.KeyID, maxErrorCode), Version: r.Version, Scope: r.Scope, Alg: alg,
		Material: r.KeyMaterial.KeyMaterial, Key: key}, nil
}

// WiseKey fetches Wise's public key of scope for alg (WiseSigningAlg for
// signing, RSA-OAEP-256 for encryption): its latest version, or version
// when not 0. clientToken must be a client-credentials token.
func (c *Client) WiseKey(ctx context.Context, clientToken crypto.Secret, scope string, alg crypto.JOSEAlg, version int) (WiseKey, error) {
	q := url.Values{"scope": {scope}, "algorithm": {alg.WiseName()}}
	if version > 0 {
		q.Set("version", strconv.Itoa(version))
	}
	var raw json.RawMessage
	if err := c.do(ctx, request{method: http.MethodGet, path: WiseKeysPath + "?" + q.Encode(), bearer: clientToken}, &raw); err != nil {
		return WiseKey{}, err
	}
	k, err := ParseWiseKeyResponse(raw)
	if err != nil {
		return WiseKey{}, fmt.Errorf("GET %s: %w", WiseKeysPath, err)
	}
	if k.Scope != scope || k.Alg != alg || (version > 0 && k.Version != version) {
		return WiseKey{}, fmt.Errorf("GET %s: %w: asked for %s %s version %d, got %s %s version %d", WiseKeysPath, ErrWiseKey, scope, alg, version, k.Scope, k.Alg, k.Version)
	}
	return k, nil
}

// KeyUpload is a client public key to register with Wise.
type KeyUpload struct {
	KeyID     string // a UUID
	Scope     string
	Alg       crypto.JOSEAlg
	ValidFrom time.Time
	ValidTill time.Time
	// Material is the base64 DER (SPKI) of the public key.
	Material string
}

// UploadedKey is Wise's echo of an uploaded key.
type UploadedKey struct {
	KeyID     string
	Scope     string
	Alg       string
	ValidFrom time.Time
	ValidTill time.Time
	// Deactivation is when Wise stops accepting the key, when it says.
	Deactivation *time.Time
}

// wiseKeyTime is the format of validFrom and validTill (UTC).
const wiseKeyTime = "2006-01-02 15:04:05"

// UploadKey registers a client public key (POST /v1/auth/jose/request/
// public-keys). clientToken must be a client-credentials token; Wise
// refuses a user's.
func (c *Client) UploadKey(ctx context.Context, clientToken crypto.Secret, k KeyUpload) (UploadedKey, error) {
	body := map[string]any{
		"keyId": k.KeyID, "scope": k.Scope,
		"validFrom": k.ValidFrom.UTC().Format(wiseKeyTime), "validTill": k.ValidTill.UTC().Format(wiseKeyTime),
		"publicKeyMaterial": map[string]string{"algorithm": k.Alg.WiseName(), "keyMaterial": k.Material},
	}
	var echo struct {
		KeyID        string  `json:"keyId"`
		Scope        string  `json:"scope"`
		ValidFrom    string  `json:"validFrom"`
		ValidTill    string  `json:"validTill"`
		Deactivation *string `json:"deactivationTimestamp"`
		Material     struct {
			Algorithm string `json:"algorithm"`
		} `json:"publicKeyMaterial"`
	}
	if err := c.do(ctx, request{method: http.MethodPost, path: UploadKeyPath, json: body, bearer: clientToken}, &echo); err != nil {
		return UploadedKey{}, err
	}
	if echo.KeyID != k.KeyID {
		return UploadedKey{}, fmt.Errorf("POST %s: %w: the answer is for key %q, not %q", UploadKeyPath, ErrUnavailable, CleanText(echo.KeyID, maxErrorCode), k.KeyID)
	}
	out := UploadedKey{KeyID: echo.KeyID, Scope: CleanText(echo.Scope, maxErrorCode), Alg: CleanText(echo.Material.Algorithm, maxErrorCode), ValidFrom: k.ValidFrom, ValidTill: k.ValidTill}
	if t, err := time.Parse(wiseKeyTime, echo.ValidFrom); err == nil {
		out.ValidFrom = t.UTC()
	}
	if t, err := time.Parse(wiseKeyTime, echo.ValidTill); err == nil {
		out.ValidTill = t.UTC()
	}
	if echo.Deactivation != nil {
		for _, layout := range []string{wiseKeyTime, time.RFC3339Nano} {
			if t, err := time.Parse(layout, *echo.Deactivation); err == nil {
				t = t.UTC()
				out.Deactivation = &t
				break
			}
		}
	}
	return out, nil
}

// JOSEMode is how a call's bodies are protected.
type JOSEMode string

// The modes. Direct is sent as "jwe" (Wise's header has three values);
// its response is encrypted with the request's content key.
const (
	JOSEJWS    JOSEMode = "jws"
	JOSEJWE    JOSEMode = "jwe"
	JOSEJWSJWE JOSEMode = "jws+jwe"
	JOSEDirect JOSEMode = "jwe-direct"
)

// header is the X-TW-JOSE-Method value of the mode.
func (m JOSEMode) header() string {
	if m == JOSEDirect {
		return string(JOSEJWE)
	}
	return string(m)
}

func (m JOSEMode) signs() bool    { return m == JOSEJWS || m == JOSEJWSJWE }
func (m JOSEMode) encrypts() bool { return m != JOSEJWS }

// JOSEKeys are what a call signs, encrypts, verifies and decrypts with.
type JOSEKeys struct {
	// The client's signing key (jws, jws+jwe).
	Sign      stdcrypto.Signer
	SignAlg   crypto.JOSEAlg
	SignKeyID string
	// Wise's encryption key (jwe, jws+jwe, direct; a request with a body).
	WiseEncrypt *rsa.PublicKey
	// The client's encryption keys Wise answers to (jwe, jws+jwe): the
	// current one and, during a rotation, the previous one.
	Decrypt []crypto.DecryptKey
	// Wise's signing keys (jws, jws+jwe).
	WiseVerify []crypto.VerifyKey
}

// JOSECall is one call with a JOSE body.
type JOSECall struct {
	Method string // GET or POST
	Path   string // the path (with the query, if any): the url header
	Mode   JOSEMode
	Body   []byte // the plaintext; nil for none (a GET)
	Token  crypto.Secret
	Keys   JOSEKeys
	Now    time.Time
	// Header holds extra request headers (x-2fa-approval on an SCA
	// replay); the JOSE headers are set over them.
	Header http.Header
	// RefetchSigning is called at most once, when the response fails
	// verification with Keys.WiseVerify: it fetches Wise's signing key
	// afresh (Wise may have rotated it) and returns the keys to verify the
	// same response with again. Nil: no second try.
	RefetchSigning func(ctx context.Context, version int) ([]crypto.VerifyKey, error)
	// RefetchEncryption is called at most once, when Wise answers an
	// encrypted request with a server error (how Wise reports a request it
	// could not decrypt): it fetches Wise's encryption key afresh and says
	// whether it changed; when it did, the request is encrypted to the new
	// key and sent again. Nil: no second try.
	RefetchEncryption func(ctx context.Context) (*rsa.PublicKey, bool, error)
}

// JOSEStep is one step of a JOSE call: what was done, the protected header
// of the token made or checked, and the result (a compact token or a
// payload). Never a key.
type JOSEStep struct {
	Step   string
	Header crypto.JOSEHeader
	Result string
}

// The steps' names.
const (
	StepSigned        = "request signed"
	StepEncrypted     = "request encrypted"
	StepReceived      = "response received"
	StepDecrypted     = "response decrypted"
	StepVerified      = "response verified"
	StepRefetchedKey  = "Wise's key fetched again"
	StepEmptyResponse = "empty response (Wise does not protect those)"
)

// maxShownJOSEPayload bounds a payload kept in a step for display.
const maxShownJOSEPayload = 8 << 10

// JOSEAnswer is a JOSE call's answer: its body once checked, and the steps
// that made and checked it.
type JOSEAnswer struct {
	Status  int
	TraceID string
	Body    []byte // verified and decrypted; nil when Wise sent none
	Steps   []JOSEStep
}

// JOSE makes a JOSE call: the body signed and/or encrypted by the mode,
// the JOSE headers set, and the response decrypted and verified; a
// response that fails is ErrResponseRefused, its body dropped. The answer
// holds the steps done so far even with an error, for a front end that
// shows them. Transient failures are retried as every call is.
func (c *Client) JOSE(ctx context.Context, call JOSECall) (JOSEAnswer, error) {
	var a JOSEAnswer
	op := call.Method + " " + call.Path
	if err := call.check(); err != nil {
		return a, fmt.Errorf("%s: %w", op, err)
	}
	body, cek, err := call.protect(&a)
	if err != nil {
		return a, fmt.Errorf("%s: %w", op, err)
	}
	var resp joseResponse
	refetched := false
	err = c.Retry(ctx, op, func() error {
		r, err := c.sendJOSE(ctx, call, body)
		if err != nil && call.Mode.encrypts() && len(call.Body) > 0 && !refetched && call.RefetchEncryption != nil && serverError(err) {
			refetched = true
			pub, changed, ferr := call.RefetchEncryption(ctx)
			if ferr != nil {
				return fmt.Errorf("%w (fetching Wise's encryption key again, in case it changed, failed too: %w)", err, ferr)
			}
			a.Steps = append(a.Steps, JOSEStep{Step: StepRefetchedKey, Result: "encryption key"})
			if !changed {
				return err
			}
			// Made again from the plaintext: the steps show both tries.
			call.Keys.WiseEncrypt = pub
			if body, cek, err = call.protect(&a); err != nil {
				return err
			}
			r, err = c.sendJOSE(ctx, call, body)
		}
		resp = r
		return err
	})
	if err != nil {
		return a, err
	}
	a.Status, a.TraceID = resp.status, resp.traceID
	a.Body, err = call.open(ctx, &a, resp.body, cek)
	if err != nil {
		a.Body = nil
		return a, fmt.Errorf("%s: %w: %w", op, ErrResponseRefused, err)
	}
	return a, nil
}

// check refuses a call that cannot be made before anything is done.
func (call JOSECall) check() error {
	switch call.Mode {
	case JOSEJWS, JOSEJWE, JOSEJWSJWE, JOSEDirect:
	default:
		return fmt.Errorf("unknown JOSE method %q (jws, jwe, jws+jwe or jwe-direct)", CleanText(string(call.Mode), maxErrorCode))
	}
	if call.Method != http.MethodGet && call.Method != http.MethodPost {
		return fmt.Errorf("JOSE calls are GET or POST, not %q", CleanText(call.Method, maxErrorCode))
	}
	if call.Method == http.MethodGet && len(call.Body) > 0 {
		return errors.New("a GET has no body to protect")
	}
	if !strings.HasPrefix(call.Path, "/") {
		return fmt.Errorf("the path %q does not start with /", CleanText(call.Path, maxErrorText))
	}
	k := call.Keys
	if call.Mode.signs() && len(call.Body) > 0 && k.Sign == nil {
		return errors.New("no signing key")
	}
	if call.Mode.encrypts() && len(call.Body) > 0 && k.WiseEncrypt == nil {
		return errors.New("no Wise encryption key")
	}
	if call.Mode.signs() && len(k.WiseVerify) == 0 {
		return errors.New("no Wise signing key to verify the response with")
	}
	if (call.Mode == JOSEJWE || call.Mode == JOSEJWSJWE) && len(k.Decrypt) == 0 {
		return errors.New("no encryption key for the response")
	}
	if call.Mode == JOSEDirect && len(call.Body) == 0 {
		return errors.New("direct encryption needs a body: the response reuses its content key")
	}
	return nil
}

// protect makes the request body: signed, then encrypted, by the mode.
// For direct mode it also returns the content key the response uses.
func (call JOSECall) protect(a *JOSEAnswer) ([]byte, crypto.Secret, error) {
	if len(call.Body) == 0 {
		return nil, crypto.Secret{}, nil
	}
	text := call.Body
	k := call.Keys
	if call.Mode.signs() {
		jws, err := crypto.SignJWS(k.Sign, k.SignAlg, k.SignKeyID, call.Path, text)
		if err != nil {
			return nil, crypto.Secret{}, err
		}
		h, _ := crypto.PeekJOSEHeader(jws)
		a.Steps = append(a.Steps, JOSEStep{Step: StepSigned, Header: h, Result: jws})
		text = []byte(jws)
	}
	var cek crypto.Secret
	if call.Mode.encrypts() {
		var jwe string
		var err error
		if call.Mode == JOSEDirect {
			jwe, cek, err = crypto.EncryptJWEKeepingCEK(k.WiseEncrypt, "", call.Path, text)
		} else {
			jwe, err = crypto.EncryptJWE(k.WiseEncrypt, "", call.Path, text)
		}
		if err != nil {
			return nil, crypto.Secret{}, err
		}
		h, _ := crypto.PeekJOSEHeader(jwe)
		a.Steps = append(a.Steps, JOSEStep{Step: StepEncrypted, Header: h, Result: jwe})
		text = []byte(jwe)
	}
	return text, cek, nil
}

// open checks a response body by the mode: decrypted, then verified.
func (call JOSECall) open(ctx context.Context, a *JOSEAnswer, body []byte, cek crypto.Secret) ([]byte, error) {
	token := strings.TrimSpace(string(body))
	if token == "" {
		// Wise does not encrypt (or sign) an empty response; there is no
		// data to trust or distrust.
		a.Steps = append(a.Steps, JOSEStep{Step: StepEmptyResponse})
		return nil, nil
	}
	h, err := crypto.PeekJOSEHeader(token)
	if err != nil {
		a.Steps = append(a.Steps, JOSEStep{Step: StepReceived, Result: CleanText(token, maxShownJOSEPayload)})
		return nil, err
	}
	a.Steps = append(a.Steps, JOSEStep{Step: StepReceived, Header: h, Result: token})
	if call.Mode.encrypts() {
		var text []byte
		var err error
		if call.Mode == JOSEDirect {
			text, err = crypto.DecryptDirect(token, cek)
			h, _ = crypto.PeekJOSEHeader(token)
		} else {
			text, h, err = crypto.DecryptJWE(token, call.Keys.Decrypt)
		}
		if err != nil {
			return nil, err
		}
		a.Steps = append(a.Steps, JOSEStep{Step: StepDecrypted, Header: h, Result: CleanText(string(text), maxShownJOSEPayload)})
		token = strings.TrimSpace(string(text))
	}
	if !call.Mode.signs() {
		return []byte(token), nil
	}
	payload, h, err := crypto.VerifyJWS(token, call.Keys.WiseVerify, crypto.SigningAlgs, "", call.Now)
	if err != nil && call.RefetchSigning != nil && refetchHelps(err) {
		keys, ferr := call.RefetchSigning(ctx, h.Version)
		if ferr != nil {
			return nil, fmt.Errorf("%w (fetching Wise's signing key again, in case it changed, failed too: %w)", err, ferr)
		}
		a.Steps = append(a.Steps, JOSEStep{Step: StepRefetchedKey, Result: "signing key"})
		payload, h, err = crypto.VerifyJWS(token, keys, crypto.SigningAlgs, "", call.Now)
	}
	if err != nil {
		return nil, err
	}
	a.Steps = append(a.Steps, JOSEStep{Step: StepVerified, Header: h, Result: CleanText(string(payload), maxShownJOSEPayload)})
	return payload, nil
}

// refetchHelps: a failure that a new key of Wise's could explain (Wise
// rotated it: the version is unknown here, or the signature is by the
// new key), as opposed to a token that is not a JWS at all.
func refetchHelps(err error) bool {
	return errors.Is(err, crypto.ErrJOSESignature) || errors.Is(err, crypto.ErrJOSEKeyID) ||
		errors.Is(err, crypto.ErrJOSEKeyExpired) || errors.Is(err, crypto.ErrJOSEAlg)
}

// serverError: Wise answered 5xx, which is also how it reports a request
// it could not decrypt.
func serverError(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status >= 500
}

type joseResponse struct {
	status  int
	traceID string
	body    []byte
}

// sendJOSE sends one JOSE request and reads its answer; a non-2xx answer
// is an *APIError as for any call.
func (c *Client) sendJOSE(ctx context.Context, call JOSECall, body []byte) (_ joseResponse, err error) {
	op := call.Method + " " + call.Path
	// The plaintext is scrubbed from error texts like a secret: it may be
	// one (an SCA PIN in direct mode).
	r := request{method: call.Method, path: call.Path, bearer: call.Token}
	if len(call.Body) >= minSecretLen {
		r.secrets = []string{string(call.Body)}
	}
	var rd io.Reader
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, call.Method, c.BaseURL+call.Path, rd)
	if err != nil {
		return joseResponse{}, fmt.Errorf("%s: %w", op, err)
	}
	for k, vs := range call.Header {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/jose+json")
	}
	req.Header.Set("Accept", "application/jose+json")
	req.Header.Set("X-TW-JOSE-Method", call.Mode.header())
	// A compressed answer would have to be inflated before its check;
	// Wise's examples ask for none.
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("User-Agent", "wisewallet")
	req.Header.Set("X-External-Correlation-Id", newUUID())
	if !call.Token.IsZero() {
		req.Header.Set("Authorization", "Bearer "+call.Token.RevealString())
	}
	start := time.Now()
	var resp *http.Response
	var data []byte
	defer func() { c.observe(ctx, req, start, resp, data, err, r) }()
	resp, err = c.HTTP.Do(req)
	if err != nil {
		if refused := handshakeRefused(err); refused != nil {
			return joseResponse{}, fmt.Errorf("%s: %w", op, refused)
		}
		return joseResponse{}, newTransportError(op, scrubURLError(err), r.scrub)
	}
	defer resp.Body.Close()
	data, err = io.ReadAll(io.LimitReader(resp.Body, crypto.MaxJOSEInput+1))
	if err != nil {
		return joseResponse{}, newTransportError(op, fmt.Errorf("reading the answer: %w", err), r.scrub)
	}
	if resp.StatusCode/100 != 2 {
		return joseResponse{}, c.failure(op, resp, data, r)
	}
	if len(data) > crypto.MaxJOSEInput {
		return joseResponse{}, fmt.Errorf("%s: %w: %w: the answer is over %d bytes", op, ErrResponseRefused, crypto.ErrJOSETooLarge, crypto.MaxJOSEInput)
	}
	return joseResponse{status: resp.StatusCode, traceID: r.scrub(resp.Header.Get("x-trace-id"), maxTraceID), body: data}, nil
}
