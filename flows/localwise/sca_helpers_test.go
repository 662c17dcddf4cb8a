package localwise

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"
)

// scaClient drives localwise's SCA surface over HTTP as a Wise client
// would: a user access token, the personal token, and localwise's JOSE
// encryption key for the PIN and fingerprint bodies.
type scaClient struct {
	t        testing.TB
	s        *Server
	base     string
	clock    *testClock
	user     string // user access token
	personal string
	enc      *rsa.PublicKey
}

const (
	scaProfile  = DemoPersonalProfileID
	scaTransfer = 4711
)

var (
	fundPath      = "/v3/profiles/" + itoa(scaProfile) + "/transfers/" + itoa(scaTransfer) + "/payments"
	statementPath = "/v1/profiles/" + itoa(scaProfile) + "/balance-statements/64/statement.json?currency=EUR&intervalStart=2025-03-01T00:00:00.000Z&intervalEnd=2025-04-30T23:59:59.999Z&type=COMPACT"
	fundBody      = []byte(`{"type":"BALANCE"}`)
	v2            = "/v2/profiles/" + itoa(scaProfile)
)

func newSCA(t testing.TB, mode string) *scaClient {
	t.Helper()
	clock := newClock()
	s, base := start(t, Config{Now: clock.Now, SCAMode: mode})
	access, _ := userTokens(t, base)
	jc := newJOSEClient(t, base, testClientID, testClientSecret)
	return &scaClient{t: t, s: s, base: base, clock: clock, user: access, personal: DemoPersonalToken, enc: jc.encryptionKey(0)}
}

// call sends one request with a bearer token, a raw body and headers.
func (c *scaClient) call(method, path, tok string, body []byte, hdr map[string]string) result {
	c.t.Helper()
	req := newRequest(c.t, method, c.base+path, strings.NewReader(string(body)))
	if body == nil {
		req.Body = http.NoBody
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return do(c.t, req)
}

func (c *scaClient) fund(tok string, hdr map[string]string) result {
	c.t.Helper()
	return c.call(http.MethodPost, fundPath, tok, fundBody, hdr)
}

func (c *scaClient) statement(tok string, hdr map[string]string) result {
	c.t.Helper()
	return c.call(http.MethodGet, statementPath, tok, nil, hdr)
}

func approval(ott string) map[string]string { return map[string]string{"x-2fa-approval": ott} }

// jwe sends payload as a JWE to localwise's encryption key with Wise's
// JOSE headers (and One-Time-Token when ott is set); it returns the answer
// and the CEK to open a direct-encrypted one.
func (c *scaClient) jwe(path, ott string, payload any) (result, []byte) {
	c.t.Helper()
	b, _ := json.Marshal(payload)
	cek := randomBytes(32)
	tok := encryptCompact(c.t, c.enc, map[string]any{"alg": "RSA-OAEP-256", "enc": "A256GCM"}, cek, b)
	req := newRequest(c.t, http.MethodPost, c.base+path, strings.NewReader(tok))
	for k, v := range map[string]string{"Authorization": "Bearer " + c.user, "Content-Type": joseMediaType,
		"Accept": joseMediaType, "Accept-Encoding": "identity", "Content-Encoding": "identity", "X-tw-jose-method": "jwe"} {
		req.Header.Set(k, v)
	}
	if ott != "" {
		req.Header.Set("One-Time-Token", ott)
	}
	return do(c.t, req), cek
}

// open decrypts a direct-encrypted answer into a JSON object.
func (c *scaClient) open(r result, cek []byte) map[string]any {
	c.t.Helper()
	if r.status != http.StatusOK || r.header.Get("Content-Type") != joseMediaType {
		c.t.Fatalf("want a 200 JOSE answer, got %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	h, plain := openCompact(c.t, nil, cek, string(r.body))
	if h["alg"] != "dir" {
		c.t.Fatalf("answer header %v: want alg dir", h)
	}
	var m map[string]any
	if err := json.Unmarshal(plain, &m); err != nil {
		c.t.Fatalf("answer plaintext %s: %v", plain, err)
	}
	return m
}

func (c *scaClient) createPIN(pin string) {
	c.t.Helper()
	if r, _ := c.jwe(v2+"/pin", "", map[string]string{"pin": pin}); r.status != http.StatusOK {
		c.t.Fatalf("create PIN: %d %s", r.status, r.body)
	}
}

// verifyPIN clears a PIN challenge (v2) and returns the flat answer.
func (c *scaClient) verifyPIN(ott, pin string) map[string]any {
	c.t.Helper()
	r, cek := c.jwe(v2+"/pin/verify", ott, map[string]string{"pin": pin})
	return c.open(r, cek)
}

func (c *scaClient) createDevice(fp string) string {
	c.t.Helper()
	r, cek := c.jwe(v2+"/device-fingerprints", "", map[string]string{"deviceFingerprint": fp})
	m := c.open(r, cek)
	id, _ := m["deviceFingerprintId"].(string)
	if !uuidShape().MatchString(id) {
		c.t.Fatalf("device created: %v", m)
	}
	return id
}

func (c *scaClient) verifyDevice(ott, fp string) map[string]any {
	c.t.Helper()
	r, cek := c.jwe(v2+"/device-fingerprints/verify", ott, map[string]string{"deviceFingerprint": fp})
	return c.open(r, cek)
}

func (c *scaClient) status(ott string) result {
	c.t.Helper()
	return c.call(http.MethodGet, "/v1/one-time-token/status", c.user, nil, map[string]string{"One-Time-Token": ott})
}

func (c *scaClient) otp(channel, step, ott string, body []byte) result {
	c.t.Helper()
	return c.call(http.MethodPost, "/v1/one-time-token/"+channel+"/"+step, c.user, body, map[string]string{"One-Time-Token": ott})
}

// wantChallenge checks Wise's challenge answer and returns its token.
func wantChallenge(t testing.TB, r result) string {
	t.Helper()
	ott := r.header.Get("x-2fa-approval")
	if r.status != http.StatusForbidden || r.header.Get("x-2fa-approval-result") != "REJECTED" || !uuidShape().MatchString(ott) {
		t.Fatalf("want a 403 challenge, got %d %v %s", r.status, r.header, r.body)
	}
	if r.str("message") != forbiddenMessage || r.json["status"] != float64(403) {
		t.Errorf("challenge body %s: want Wise's Spring body", r.body)
	}
	return ott
}

func wantApproved(t testing.TB, r result) {
	t.Helper()
	if r.status != http.StatusOK || r.header.Get("x-2fa-approval-result") != "APPROVED" {
		t.Fatalf("want 200 APPROVED, got %d %v %s", r.status, r.header, r.body)
	}
}

// wantRefusedReplay checks a replay refused for good: 403 REJECTED, no
// new token, the reason in X-Localwise-Reason.
func wantRefusedReplay(t testing.TB, r result, reason string) {
	t.Helper()
	if r.status != http.StatusForbidden || r.header.Get("x-2fa-approval-result") != "REJECTED" {
		t.Fatalf("want 403 REJECTED, got %d %v %s", r.status, r.header, r.body)
	}
	if got := r.header.Get("x-2fa-approval"); got != "" {
		t.Errorf("a refused replay carries a token %q", got)
	}
	if got := r.header.Get(reasonHeader); got != reason {
		t.Errorf("reason %q, want %q (%s)", got, reason, r.body)
	}
}

// wantSCAError checks a Wise-style error with its code.
func wantSCAError(t testing.TB, r result, status int, code string) fieldError {
	t.Helper()
	var body struct {
		Errors []fieldError `json:"errors"`
	}
	if err := json.Unmarshal(r.body, &body); r.status != status || err != nil || len(body.Errors) != 1 || body.Errors[0].Code != code {
		t.Fatalf("want %d %s, got %d %s", status, code, r.status, r.body)
	}
	if body.Errors[0].Message == "" {
		t.Errorf("no message: %s", r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type %q", ct)
	}
	return body.Errors[0]
}

// challengeTypes lists the primary types of an answer's challenges and
// whether each passed (flat or full form).
func challengeTypes(t testing.TB, m map[string]any) map[string]bool {
	t.Helper()
	if p, ok := m["oneTimeTokenProperties"].(map[string]any); ok {
		m = p
	}
	out := map[string]bool{}
	cs, ok := m["challenges"].([]any)
	if !ok {
		t.Fatalf("no challenges in %v", m)
	}
	for _, c := range cs {
		cm := c.(map[string]any)
		out[cm["primaryChallenge"].(map[string]any)["type"].(string)] = cm["passed"].(bool)
	}
	return out
}

func pubPEM(t testing.TB, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// signOTT is the legacy X-Signature: SHA256withRSA, standard base64.
func signOTT(t testing.TB, k *rsa.PrivateKey, ott string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(ott))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func (c *scaClient) uploadKey(pemText string) result {
	c.t.Helper()
	b, _ := json.Marshal(map[string]string{"publicKey": pemText})
	return c.call(http.MethodPost, scaKeysAPIPath, c.personal, b, nil)
}

func (c *scaClient) advance(d time.Duration) { c.clock.Advance(d) }
