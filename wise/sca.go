package wise

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// SCA (reference/wise-auth.md §4): a call Wise wants approved answers 403
// (or 400: Wise's own browser helper treats both) with x-2fa-approval, a
// one-time token; its status lists the challenges that clear it, the
// factor endpoints clear them, and the same request is sent again with the
// token. This side knows the wire; what to ask the user is flows'.

// The SCA headers.
const (
	HeaderApproval       = "x-2fa-approval"
	HeaderApprovalResult = "x-2fa-approval-result"
	HeaderOneTimeToken   = "One-Time-Token"
	HeaderSignature      = "X-Signature"
)

// The x-2fa-approval-result values.
const (
	ApprovalRejected = "REJECTED"
	ApprovalApproved = "APPROVED"
)

// The SCA paths; {p} is a profile id.
const (
	OTTStatusPath           = "/v1/one-time-token/status"
	OTTStatusPathDeprecated = "/v1/identity/one-time-token/status"
	v1OTTPrefix             = "/v1/one-time-token/"
	v1PINCreatePath         = "/v1/user/pin"
	v1DeviceCreatePath      = "/v1/user/partner-device-fingerprints"
)

// The challenge types.
const (
	ChallengePIN               = "PIN"
	ChallengeFaceMap           = "FACE_MAP"
	ChallengeSMS               = "SMS"
	ChallengeWhatsApp          = "WHATSAPP"
	ChallengeVoice             = "VOICE"
	ChallengeDeviceFingerprint = "PARTNER_DEVICE_FINGERPRINT"
)

// ChallengeError is an answer that asks for SCA: 403 or 400 with an
// x-2fa-approval one-time token. It is final (a retry gets another
// challenge); the caller clears the token and sends the request again
// with it. It matches the *APIError of the answer.
type ChallengeError struct {
	Op      string
	OTT     string
	Status  int
	TraceID string
	// Result is x-2fa-approval-result (REJECTED), when sent.
	Result string
	API    *APIError
}

func (e *ChallengeError) Error() string {
	s := fmt.Sprintf("%s: HTTP %d: Wise asks for strong customer authentication (one-time token %s)", e.Op, e.Status, e.OTT)
	if e.TraceID != "" {
		s += fmt.Sprintf(" (x-trace-id %s)", e.TraceID)
	}
	return s
}

// Unwrap gives the answer as an *APIError (its status, code, trace id).
func (e *ChallengeError) Unwrap() error { return e.API }

// failure makes a non-2xx answer an error: a *ChallengeError when it asks
// for SCA, else an *APIError.
func (c *Client) failure(op string, resp *http.Response, data []byte, r request) error {
	ae := c.apiError(op, resp, data, r)
	if ch := challengeOf(op, resp, ae); ch != nil {
		return ch
	}
	return ae
}

// challengeOf recognises a challenge: 403 or 400 with an x-2fa-approval
// that has a one-time token's shape (anything else in the header is not
// sent back, so is not one).
func challengeOf(op string, resp *http.Response, ae *APIError) *ChallengeError {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusBadRequest {
		return nil
	}
	ott := strings.TrimSpace(resp.Header.Get(HeaderApproval))
	if ott == "" {
		return nil
	}
	if err := crypto.CheckOneTimeToken(ott); err != nil {
		ae.Description = CleanText(strings.TrimSpace(ae.Description+" (its x-2fa-approval header is not a one-time token)"), maxErrorText)
		return nil
	}
	return &ChallengeError{Op: op, OTT: strings.ToLower(ott), Status: resp.StatusCode, TraceID: ae.TraceID,
		Result: CleanText(resp.Header.Get(HeaderApprovalResult), maxErrorCode), API: ae}
}

// Challenge is one challenge of a one-time token: a primary factor and
// the alternatives that clear it as well.
type Challenge struct {
	Primary      string
	Alternatives []string
	Required     bool
	Passed       bool
}

// OTT is a one-time token's status.
type OTT struct {
	Token      string
	Challenges []Challenge
	Validity   time.Duration
	ActionType string
	UserID     int64
}

// Ready reports whether no required challenge is left.
func (o OTT) Ready() bool {
	for _, c := range o.Challenges {
		if c.Required && !c.Passed {
			return false
		}
	}
	return true
}

// maxOTTAnswer bounds a status answer; a real one is well under 4 KiB.
const maxOTTAnswer = 64 << 10

// maxChallenges bounds the challenges (and alternatives) kept of one
// answer; Wise lists a handful.
const maxChallenges = 16

// ErrOTTAnswer: a one-time-token answer that is not what Wise sends.
var ErrOTTAnswer = errors.New("the one-time-token answer is not what Wise sends")

// ParseOTT reads a one-time token's status: {"oneTimeTokenProperties":
// {...}} as the status and session endpoints send it, or the object alone
// (the one-time-token schema the v2 verify endpoints answer). A challenge
// without "required" is required (the flatter form omits it).
func ParseOTT(data []byte) (OTT, error) {
	if len(data) > maxOTTAnswer {
		return OTT{}, fmt.Errorf("%w: %d bytes", ErrOTTAnswer, len(data))
	}
	type challenge struct {
		Primary struct {
			Type string `json:"type"`
		} `json:"primaryChallenge"`
		Alternatives []struct {
			Type string `json:"type"`
		} `json:"alternatives"`
		Required *bool `json:"required"`
		Passed   bool  `json:"passed"`
	}
	type props struct {
		OneTimeToken string      `json:"oneTimeToken"`
		Challenges   []challenge `json:"challenges"`
		Validity     int64       `json:"validity"`
		ActionType   string      `json:"actionType"`
		UserID       int64       `json:"userId"`
	}
	var wrapped struct {
		Props *props `json:"oneTimeTokenProperties"`
		props
	}
	if err := json.Unmarshal(data, &wrapped); err != nil {
		return OTT{}, fmt.Errorf("%w: not the JSON Wise sends", ErrOTTAnswer)
	}
	p := wrapped.props
	if wrapped.Props != nil {
		p = *wrapped.Props
	}
	if err := crypto.CheckOneTimeToken(p.OneTimeToken); err != nil {
		return OTT{}, fmt.Errorf("%w: %w", ErrOTTAnswer, err)
	}
	if len(p.Challenges) > maxChallenges {
		return OTT{}, fmt.Errorf("%w: %d challenges", ErrOTTAnswer, len(p.Challenges))
	}
	o := OTT{Token: strings.ToLower(p.OneTimeToken), Validity: time.Duration(max(p.Validity, 0)) * time.Second,
		ActionType: CleanText(p.ActionType, maxErrorCode), UserID: p.UserID}
	for _, c := range p.Challenges {
		ch := Challenge{Primary: challengeType(c.Primary.Type), Required: c.Required == nil || *c.Required, Passed: c.Passed}
		if len(c.Alternatives) > maxChallenges {
			return OTT{}, fmt.Errorf("%w: %d alternatives", ErrOTTAnswer, len(c.Alternatives))
		}
		for _, a := range c.Alternatives {
			ch.Alternatives = append(ch.Alternatives, challengeType(a.Type))
		}
		o.Challenges = append(o.Challenges, ch)
	}
	return o, nil
}

// challengeType keeps a type printable; an unknown one stays as sent, so
// that it can be named as one this side cannot solve.
func challengeType(t string) string {
	return CleanText(strings.ToUpper(strings.TrimSpace(t)), maxErrorCode)
}

// OTTStatus reads the one-time token's status with a user's token: GET
// /v1/one-time-token/status, and the deprecated identity path when the
// server does not know that one (404). deprecated says which answered.
func (c *Client) OTTStatus(ctx context.Context, token crypto.Secret, ott string) (o OTT, deprecated bool, err error) {
	if err := crypto.CheckOneTimeToken(ott); err != nil {
		return OTT{}, false, err
	}
	o, err = c.ottStatus(ctx, OTTStatusPath, token, ott)
	if RouteUnknown(err) {
		o, err = c.ottStatus(ctx, OTTStatusPathDeprecated, token, ott)
		deprecated = true
	}
	return o, deprecated, err
}

func (c *Client) ottStatus(ctx context.Context, path string, token crypto.Secret, ott string) (OTT, error) {
	var raw json.RawMessage
	r := request{method: http.MethodGet, path: path, bearer: token, header: http.Header{HeaderOneTimeToken: {ott}}}
	if err := c.do(ctx, r, &raw); err != nil {
		return OTT{}, err
	}
	o, err := ParseOTT(raw)
	if err != nil {
		return OTT{}, fmt.Errorf("GET %s: %w", path, err)
	}
	return o, nil
}

// RouteUnknown reports whether err is a 404 that names no error of Wise's
// (a path the server does not serve), as opposed to a 404 with a code
// ("not set up", "not found") from an endpoint that exists.
func RouteUnknown(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusNotFound {
		return false
	}
	code := strings.ToLower(ae.Code)
	return code == "" || code == "not_found" || code == "not found"
}

// otpChannel is the path segment of an OTP challenge type.
func otpChannel(channel string) (string, error) {
	switch channel {
	case ChallengeSMS, ChallengeWhatsApp, ChallengeVoice:
		return strings.ToLower(channel), nil
	}
	return "", fmt.Errorf("%q is not a phone code challenge (SMS, WHATSAPP or VOICE)", CleanText(channel, maxErrorCode))
}

// TriggerOTP asks Wise to send a code by channel (SMS, WHATSAPP, VOICE)
// for the one-time token; it returns the obfuscated phone number it went
// to. OTP exists only at the v1 paths.
func (c *Client) TriggerOTP(ctx context.Context, token crypto.Secret, ott, channel string) (string, error) {
	seg, err := otpChannel(channel)
	if err != nil {
		return "", err
	}
	var out struct {
		Phone string `json:"obfuscatedPhoneNo"`
	}
	// Once: a retried trigger would send a second code.
	r := request{method: http.MethodPost, path: v1OTTPrefix + seg + "/trigger", bearer: token, header: http.Header{HeaderOneTimeToken: {ott}}}
	if err := c.Once().do(ctx, r, &out); err != nil {
		return "", err
	}
	return CleanText(out.Phone, maxNameText), nil
}

// VerifyOTP clears a phone code challenge with the 6-digit code; the
// answer is the token's status after it.
func (c *Client) VerifyOTP(ctx context.Context, token crypto.Secret, ott, channel string, code crypto.Secret) (OTT, error) {
	seg, err := otpChannel(channel)
	if err != nil {
		return OTT{}, err
	}
	var raw json.RawMessage
	r := request{method: http.MethodPost, path: v1OTTPrefix + seg + "/verify", bearer: token,
		header:  http.Header{HeaderOneTimeToken: {ott}},
		json:    map[string]string{"otpCode": code.RevealString()},
		secrets: []string{code.RevealString()}}
	// Once: a failed code counts towards the block; a retry would count
	// it twice.
	if err := c.Once().do(ctx, r, &raw); err != nil {
		return OTT{}, err
	}
	o, err := ParseOTT(raw)
	if err != nil {
		return OTT{}, fmt.Errorf("POST %s: %w", r.path, err)
	}
	return o, nil
}

// FactorCall is a PIN or device-fingerprint call: its body JWE-encrypted
// to Wise's encryption key (RSA-OAEP-256, A256GCM), its answer encrypted
// with the same content key (direct encryption).
type FactorCall struct {
	Method string
	Path   string
	Token  crypto.Secret
	OTT    string // the One-Time-Token header on verify; "" for none
	// Body is the plaintext JSON ({"pin":...} or {"deviceFingerprint":
	// ...}); nil for a call without one (DELETE).
	Body crypto.Secret
	// Secret is the PIN or fingerprint itself, scrubbed from any error
	// text however the server echoes it.
	Secret      crypto.Secret
	WiseEncrypt *rsa.PublicKey
	// Approval is a cleared one-time token (x-2fa-approval), when the
	// call was challenged and is sent again.
	Approval string
}

// FactorAnswer is a factor call's answer: its status and the decrypted
// body (nil when Wise sent none).
type FactorAnswer struct {
	Status  int
	TraceID string
	Body    []byte
}

// Factor makes a factor call once (a failed verification counts towards
// the block: a retry would count it twice). An answer that is not
// direct-encrypted with the request's key is ErrResponseRefused, except a
// plain JSON answer to a request without a body (nothing to encrypt with).
func (c *Client) Factor(ctx context.Context, call FactorCall) (FactorAnswer, error) {
	op := call.Method + " " + call.Path
	r := request{method: call.Method, path: call.Path, bearer: call.Token}
	for _, s := range []crypto.Secret{call.Body, call.Secret} {
		if v := s.RevealString(); v != "" {
			r.secrets = append(r.secrets, v)
		}
	}
	var body io.Reader
	var cek crypto.Secret
	if !call.Body.IsZero() {
		if call.WiseEncrypt == nil {
			return FactorAnswer{}, fmt.Errorf("%s: no Wise encryption key to encrypt the body to", op)
		}
		plain := call.Body.Reveal()
		jwe, k, err := crypto.EncryptJWEKeepingCEK(call.WiseEncrypt, "", call.Path, plain)
		crypto.Wipe(plain)
		if err != nil {
			return FactorAnswer{}, fmt.Errorf("%s: %w", op, err)
		}
		body, cek = strings.NewReader(jwe), k
	}
	req, err := http.NewRequestWithContext(ctx, call.Method, c.BaseURL+call.Path, body)
	if err != nil {
		return FactorAnswer{}, fmt.Errorf("%s: %w", op, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/jose+json")
		req.Header.Set("Content-Encoding", "identity")
		req.Header.Set("Accept", "application/jose+json")
		req.Header.Set("X-TW-JOSE-Method", string(JOSEJWE))
	} else {
		req.Header.Set("Accept", "application/json")
	}
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("User-Agent", "wisewallet")
	req.Header.Set("X-External-Correlation-Id", newUUID())
	if call.OTT != "" {
		req.Header.Set(HeaderOneTimeToken, call.OTT)
	}
	if call.Approval != "" {
		req.Header.Set(HeaderApproval, call.Approval)
	}
	if !call.Token.IsZero() {
		req.Header.Set("Authorization", "Bearer "+call.Token.RevealString())
	}
	data, resp, err := c.send(req, op, r, crypto.MaxJOSEInput)
	if err != nil {
		return FactorAnswer{}, err
	}
	a := FactorAnswer{Status: resp.StatusCode, TraceID: r.scrub(resp.Header.Get("x-trace-id"), maxTraceID)}
	if resp.StatusCode/100 != 2 {
		return a, c.failure(op, resp, data, r)
	}
	text := strings.TrimSpace(string(data))
	switch {
	case text == "":
	case cek.IsZero():
		a.Body = []byte(text)
	default:
		plain, err := crypto.DecryptDirect(text, cek)
		if err != nil {
			return a, fmt.Errorf("%s: %w: %w", op, ErrResponseRefused, err)
		}
		a.Body = plain
	}
	return a, nil
}

// send sends req once and reads at most limit bytes of its answer; a
// failure to get one is a transport error, scrubbed like r's.
func (c *Client) send(req *http.Request, op string, r request, limit int64) (data []byte, resp *http.Response, err error) {
	start := time.Now()
	defer func() { c.observe(req.Context(), req, start, resp, data, err, r) }()
	resp, err = c.HTTP.Do(req)
	if err != nil {
		if refused := handshakeRefused(err); refused != nil {
			return nil, nil, fmt.Errorf("%s: %w", op, refused)
		}
		return nil, nil, newTransportError(op, scrubURLError(err), r.scrub)
	}
	defer resp.Body.Close()
	data, err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, resp, newTransportError(op, fmt.Errorf("reading the answer: %w", err), r.scrub)
	}
	if int64(len(data)) > limit {
		return nil, resp, &APIError{Op: op, Status: resp.StatusCode, Description: fmt.Sprintf("the answer is over %d bytes", limit),
			TraceID: r.scrub(resp.Header.Get("x-trace-id"), maxTraceID), kind: ErrUnavailable}
	}
	return data, resp, nil
}

// The factor paths, v2 (profile-scoped) and v1 (deprecated; what a server
// answers when it knows no v2).
func pinPath(profile int64) string { return "/v2/profiles/" + strconv.FormatInt(profile, 10) + "/pin" }
func devicesPath(profile int64) string {
	return "/v2/profiles/" + strconv.FormatInt(profile, 10) + "/device-fingerprints"
}

// PINPath is the v2 PIN path of profile, or v1's enrolment path (0).
func PINPath(profile int64) string {
	if profile == 0 {
		return v1PINCreatePath
	}
	return pinPath(profile)
}

// PINVerifyPath is where a PIN challenge is cleared: v2 for a profile,
// v1 (0).
func PINVerifyPath(profile int64) string {
	if profile == 0 {
		return v1OTTPrefix + "pin/verify"
	}
	return pinPath(profile) + "/verify"
}

// DevicesPath is the v2 device-fingerprint path of profile, or v1's
// enrolment path (0).
func DevicesPath(profile int64) string {
	if profile == 0 {
		return v1DeviceCreatePath
	}
	return devicesPath(profile)
}

// DeviceVerifyPath is where a device-fingerprint challenge is cleared.
func DeviceVerifyPath(profile int64) string {
	if profile == 0 {
		return v1OTTPrefix + "partner-device-fingerprint/verify"
	}
	return devicesPath(profile) + "/verify"
}

// SCASessionPath is where an SCA session is authorised for profile.
func SCASessionPath(profile int64) string {
	return "/v2/profiles/" + strconv.FormatInt(profile, 10) + "/sca-sessions/authorise"
}

// Device is a registered device fingerprint (never the fingerprint).
type Device struct {
	ID        string
	CreatedAt *time.Time
}

// ParseDevice reads {"deviceFingerprintId","createdAt"}.
func ParseDevice(data []byte) (Device, error) {
	var d deviceJSON
	if err := json.Unmarshal(data, &d); err != nil {
		return Device{}, fmt.Errorf("%w: not the device JSON Wise sends", ErrOTTAnswer)
	}
	return d.device()
}

type deviceJSON struct {
	ID        string `json:"deviceFingerprintId"`
	CreatedAt string `json:"createdAt"`
}

func (d deviceJSON) device() (Device, error) {
	id := strings.TrimSpace(d.ID)
	if id == "" || len(id) > maxErrorCode || CleanText(id, maxErrorCode) != id || strings.ContainsAny(id, "/?#% ") {
		return Device{}, fmt.Errorf("%w: a device fingerprint id that is not one", ErrOTTAnswer)
	}
	out := Device{ID: id}
	if t, err := time.Parse(time.RFC3339Nano, d.CreatedAt); err == nil {
		t = t.UTC()
		out.CreatedAt = &t
	}
	return out, nil
}

// Devices lists the profile's device fingerprints (GET on the v2 path:
// Wise's list is v1 and client-credentials only; localwise serves this).
func (c *Client) Devices(ctx context.Context, token crypto.Secret, profile int64) ([]Device, error) {
	var list []deviceJSON
	if err := c.do(ctx, request{method: http.MethodGet, path: devicesPath(profile), bearer: token}, &list); err != nil {
		return nil, err
	}
	if len(list) > maxChallenges {
		return nil, fmt.Errorf("GET %s: %w: %d devices", devicesPath(profile), ErrOTTAnswer, len(list))
	}
	var out []Device
	for _, d := range list {
		dev, err := d.device()
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", devicesPath(profile), err)
		}
		out = append(out, dev)
	}
	return out, nil
}

// DeleteDevice removes a device fingerprint by id (v2).
func (c *Client) DeleteDevice(ctx context.Context, token crypto.Secret, profile int64, id string, approval http.Header) error {
	r := request{method: http.MethodDelete, path: devicesPath(profile) + "/" + id, bearer: token, header: approval}
	return c.Once().do(ctx, r, nil)
}

// DeletePIN removes the profile's PIN (v2).
func (c *Client) DeletePIN(ctx context.Context, token crypto.Secret, profile int64, approval http.Header) error {
	r := request{method: http.MethodDelete, path: pinPath(profile), bearer: token, header: approval}
	return c.Once().do(ctx, r, nil)
}

// AuthoriseSCASession starts a manual SCA for profile: a one-time token
// with its challenges.
func (c *Client) AuthoriseSCASession(ctx context.Context, token crypto.Secret, profile int64) (OTT, error) {
	var raw json.RawMessage
	r := request{method: http.MethodPost, path: SCASessionPath(profile), bearer: token}
	if err := c.Once().do(ctx, r, &raw); err != nil {
		return OTT{}, err
	}
	o, err := ParseOTT(raw)
	if err != nil {
		return OTT{}, fmt.Errorf("POST %s: %w", r.path, err)
	}
	return o, nil
}

// Raw is a call made as the caller gives it: method, path, body bytes and
// headers, with a bearer token and, on a replay, the cleared one-time
// token (and the legacy signature).
type Raw struct {
	Method string
	Path   string
	Body   []byte
	Header http.Header
	Token  crypto.Secret
	// Approval is the cleared one-time token (x-2fa-approval); "" none.
	Approval string
	// Signature is the legacy X-Signature of Approval; "" none.
	Signature string
}

// RawAnswer is a raw call's answer, whatever its status.
type RawAnswer struct {
	Status   int
	TraceID  string
	Header   http.Header
	Body     []byte
	Approval string // x-2fa-approval-result
}

// maxRawAnswer bounds a raw answer read into memory.
const maxRawAnswer = 8 << 20

// idempotent methods may be sent again after a failure Wise may have
// acted on; others (POST, PATCH) only after one it cannot have (a 429, a
// refused connection), so a retry never makes a second side effect.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// Send makes one raw call. A non-2xx answer is returned with an error: a
// *ChallengeError when it asks for SCA, else an *APIError. Transient
// failures are retried only where a retry cannot act twice.
func (c *Client) Send(ctx context.Context, raw Raw) (RawAnswer, error) {
	op := raw.Method + " " + raw.Path
	if !strings.HasPrefix(raw.Path, "/") {
		return RawAnswer{}, fmt.Errorf("%s: the path does not start with /", op)
	}
	var a RawAnswer
	attempt := func() error {
		var err error
		a, err = c.sendRaw(ctx, op, raw)
		return err
	}
	if c.single {
		return a, attempt()
	}
	safe := idempotent(raw.Method)
	err := c.Retry(ctx, op, func() error {
		err := attempt()
		if err != nil && !safe && MayHaveActed(err) {
			return &finalError{err} // Wise may have acted: not again
		}
		return err
	})
	var fe *finalError
	if errors.As(err, &fe) {
		err = fe.err
	}
	return a, err
}

// finalError hides a transient failure from Retry.
type finalError struct{ err error }

func (e *finalError) Error() string { return e.err.Error() }

func (c *Client) sendRaw(ctx context.Context, op string, raw Raw) (RawAnswer, error) {
	r := request{method: raw.Method, path: raw.Path, bearer: raw.Token}
	var body io.Reader
	if raw.Body != nil {
		body = bytes.NewReader(raw.Body)
	}
	req, err := http.NewRequestWithContext(ctx, raw.Method, c.BaseURL+raw.Path, body)
	if err != nil {
		return RawAnswer{}, fmt.Errorf("%s: %w", op, err)
	}
	for k, vs := range raw.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	if raw.Body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "wisewallet")
	if req.Header.Get("X-External-Correlation-Id") == "" {
		req.Header.Set("X-External-Correlation-Id", newUUID())
	}
	if !raw.Token.IsZero() {
		req.Header.Set("Authorization", "Bearer "+raw.Token.RevealString())
	}
	if raw.Approval != "" {
		req.Header.Set(HeaderApproval, raw.Approval)
	}
	if raw.Signature != "" {
		req.Header.Set(HeaderSignature, raw.Signature)
	}
	data, resp, err := c.send(req, op, r, maxRawAnswer)
	if err != nil {
		return RawAnswer{}, err
	}
	a := RawAnswer{Status: resp.StatusCode, TraceID: r.scrub(resp.Header.Get("x-trace-id"), maxTraceID), Header: resp.Header.Clone(),
		Body: data, Approval: CleanText(resp.Header.Get(HeaderApprovalResult), maxErrorCode)}
	if resp.StatusCode/100 != 2 {
		return a, c.failure(op, resp, data, r)
	}
	return a, nil
}

// The error codes of Wise's SCA answers (localwise's, where Wise does not
// document them: /work/coord/sca-localwise-wire.md).
const (
	CodeSCABlocked           = "sca.blocked"
	CodeOTTInvalid           = "ott.invalid"
	CodeOTTNotFound          = "ott.not.found"
	CodeOTTExpired           = "ott.expired"
	CodeOTTUsed              = "ott.used"
	CodePINInvalid           = "pin.invalid"
	CodePINFormat            = "pin.invalid.format"
	CodePINNotSetUp          = "pin.not.setup"
	CodePINExists            = "pin.already.exists"
	CodeDeviceInvalid        = "device.fingerprint.invalid"
	CodeDeviceNotSetUp       = "device.fingerprint.not.setup"
	CodeDeviceNotFound       = "device.fingerprint.not.found"
	CodeDeviceExists         = "device.fingerprint.exists"
	CodeDeviceLimit          = "device.fingerprint.limit"
	CodeOTPInvalid           = "otp.invalid"
	CodeOTPNotTriggered      = "otp.not.triggered"
	CodeChallengeNotApplies  = "challenge.not.applicable"
	CodeFaceMapNotSupported  = "facemap.not.supported"
	CodeInsufficientScope    = "insufficient_scope"
	CodeKeyTooSmall          = "key.too.small"
	CodeKeyLimit             = "LIMIT_REACHED"
	CodeKeyNotUnique         = "NOT_UNIQUE"
	CodeKeyNotFound          = "key.not.found"
	HeaderLocalwiseReason    = "X-Localwise-Reason"
	ReasonSignatureInvalid   = "signature.invalid"
	ReasonSignatureWithdrawn = "signature.withdrawn"
	ReasonOTTMismatch        = "ott.mismatch"
	localwisePublicKeysPath  = "/api-tokens/api/public-keys"
)

// SCAKeyUploadPath is localwise's stand-in of Wise's web page "Manage
// public keys" (Wise has no API for it).
const SCAKeyUploadPath = localwisePublicKeysPath

// UploadSCAKey registers an SCA public key (PEM) with the personal token
// at localwise, returning the key id it gives.
func (c *Client) UploadSCAKey(ctx context.Context, token crypto.Secret, pemKey []byte) (string, error) {
	var out struct {
		KeyID string `json:"keyId"`
	}
	r := request{method: http.MethodPost, path: localwisePublicKeysPath, bearer: token, json: map[string]string{"publicKey": string(pemKey)}}
	if err := c.Once().do(ctx, r, &out); err != nil {
		return "", err
	}
	return CleanText(out.KeyID, maxErrorCode), nil
}
