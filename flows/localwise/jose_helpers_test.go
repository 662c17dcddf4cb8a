package localwise

// The client side of localwise's JOSE tests, written with the standard
// library only (crypto/ecdsa, crypto/rsa, crypto/aes, crypto/cipher,
// crypto/hmac): localwise reads with go-jose, so the tokens it is tested
// with come from a second implementation that shares none of its code.

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"hash"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func unb64url(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("base64url %q: %v", s, err)
	}
	return b
}

// encodeHeader is the base64url JSON of h.
func encodeHeader(h map[string]any) string {
	b, err := json.Marshal(h)
	if err != nil {
		panic(err)
	}
	return b64url(b)
}

func hashOf(alg string) (crypto.Hash, func() hash.Hash) {
	switch alg[len(alg)-3:] {
	case "384":
		return crypto.SHA384, sha512.New384
	case "512":
		return crypto.SHA512, sha512.New
	}
	return crypto.SHA256, sha256.New
}

// rawSignature signs input as alg says: ES (r||s, each the curve's size),
// PS (PSS, salt the hash's size), RS (PKCS #1 v1.5) or HS (HMAC, key
// []byte).
func rawSignature(t testing.TB, alg string, key any, input []byte) []byte {
	t.Helper()
	h, newHash := hashOf(alg)
	d := newHash()
	d.Write(input)
	digest := d.Sum(nil)
	var sig []byte
	var err error
	switch alg[:2] {
	case "ES":
		k := key.(*ecdsa.PrivateKey)
		r, s, e := ecdsa.Sign(rand.Reader, k, digest)
		size := (k.Curve.Params().BitSize + 7) / 8
		sig = append(r.FillBytes(make([]byte, size)), s.FillBytes(make([]byte, size))...)
		err = e
	case "PS":
		sig, err = rsa.SignPSS(rand.Reader, key.(*rsa.PrivateKey), h, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case "RS":
		sig, err = rsa.SignPKCS1v15(rand.Reader, key.(*rsa.PrivateKey), h, digest)
	case "HS":
		m := hmac.New(newHash, key.([]byte))
		m.Write(input)
		sig = m.Sum(nil)
	default:
		t.Fatalf("no signature algorithm %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// signCompact makes a compact JWS of payload with header h, signed as
// h["alg"] says with key (nil: an empty signature, for alg none).
func signCompact(t testing.TB, h map[string]any, key any, payload []byte) string {
	t.Helper()
	alg, _ := h["alg"].(string)
	return signWith(t, alg, h, key, payload)
}

// signWith is signCompact signing as alg, whatever the header says.
func signWith(t testing.TB, alg string, h map[string]any, key any, payload []byte) string {
	t.Helper()
	input := encodeHeader(h) + "." + b64url(payload)
	if key == nil {
		return input + "."
	}
	return input + "." + b64url(rawSignature(t, alg, key, []byte(input)))
}

// verifyES512 checks a compact JWS with pub and returns its header and
// payload.
func verifyES512(t testing.TB, pub *ecdsa.PublicKey, token string) (map[string]any, []byte) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", token)
	}
	var h map[string]any
	if err := json.Unmarshal(unb64url(t, parts[0]), &h); err != nil {
		t.Fatalf("JWS header: %v", err)
	}
	if h["alg"] != "ES512" {
		t.Fatalf("JWS header %v: want alg ES512", h)
	}
	sig := unb64url(t, parts[2])
	if len(sig) != 132 {
		t.Fatalf("ES512 signature of %d bytes, want 132", len(sig))
	}
	digest := sha512.Sum512([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:66]), new(big.Int).SetBytes(sig[66:])
	if !ecdsa.Verify(pub, digest[:], r, s) {
		t.Fatalf("the response signature does not verify with localwise's key")
	}
	return h, unb64url(t, parts[1])
}

// encryptCompact makes a compact JWE of plaintext to pub with header h:
// RSA-OAEP-256 wraps cek (a fresh one when nil), AES-GCM (the cek's size)
// encrypts, with the protected header as the additional data.
func encryptCompact(t testing.TB, pub *rsa.PublicKey, h map[string]any, cek, plaintext []byte) string {
	t.Helper()
	if cek == nil {
		cek = randomBytes(32)
	}
	ek, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, cek, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sealCompact(t, encodeHeader(h), ek, cek, plaintext)
}

func sealCompact(t testing.TB, protected string, encryptedKey, cek, plaintext []byte) string {
	t.Helper()
	block, err := aes.NewCipher(cek)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	iv := randomBytes(gcm.NonceSize())
	sealed := gcm.Seal(nil, iv, plaintext, []byte(protected))
	ct, tag := sealed[:len(sealed)-gcm.Overhead()], sealed[len(sealed)-gcm.Overhead():]
	return strings.Join([]string{protected, b64url(encryptedKey), b64url(iv), b64url(ct), b64url(tag)}, ".")
}

// openCompact decrypts a compact JWE whose CEK is cek, or, when cek is
// nil, is wrapped with RSA-OAEP-256 to priv. It returns the header and
// the plaintext.
func openCompact(t testing.TB, priv *rsa.PrivateKey, cek []byte, token string) (map[string]any, []byte) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 5 {
		t.Fatalf("not a compact JWE: %q", token)
	}
	var h map[string]any
	if err := json.Unmarshal(unb64url(t, parts[0]), &h); err != nil {
		t.Fatalf("JWE header: %v", err)
	}
	if h["enc"] != "A256GCM" {
		t.Fatalf("JWE header %v: want enc A256GCM", h)
	}
	if cek == nil {
		var err error
		if cek, err = rsa.DecryptOAEP(sha256.New(), nil, priv, unb64url(t, parts[1]), nil); err != nil {
			t.Fatalf("unwrap the CEK: %v", err)
		}
	} else if parts[1] != "" {
		t.Fatalf("a direct-encryption JWE carries an encrypted key: %q", parts[1])
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	sealed := append(unb64url(t, parts[3]), unb64url(t, parts[4])...)
	plaintext, err := gcm.Open(nil, unb64url(t, parts[2]), sealed, []byte(parts[0]))
	if err != nil {
		t.Fatalf("open the JWE: %v", err)
	}
	return h, plaintext
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// Test keys are made once per test binary: RSA generation is slow under
// the race detector.
var (
	testKeysOnce sync.Once
	testRSA      []*rsa.PrivateKey
	testEC       map[string]*ecdsa.PrivateKey
)

func testKeys() ([]*rsa.PrivateKey, map[string]*ecdsa.PrivateKey) {
	testKeysOnce.Do(func() {
		for range 4 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			testRSA = append(testRSA, k)
		}
		testEC = map[string]*ecdsa.PrivateKey{}
		for alg, c := range map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()} {
			k, err := ecdsa.GenerateKey(c, rand.Reader)
			if err != nil {
				panic(err)
			}
			testEC[alg] = k
		}
	})
	return testRSA, testEC
}

// joseRSA is test RSA key i (0 to 3).
func joseRSA(i int) *rsa.PrivateKey { r, _ := testKeys(); return r[i] }

// ecKey is the test EC key for an ES algorithm.
func ecKey(alg string) *ecdsa.PrivateKey { _, e := testKeys(); return e[alg] }

func derB64(t testing.TB, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// joseClient is an OAuth client of localwise that uses JOSE.
type joseClient struct {
	t     testing.TB
	base  string
	token string // client-credentials
}

func newJOSEClient(t testing.TB, base, id, secret string) *joseClient {
	t.Helper()
	return &joseClient{t: t, base: base, token: clientToken(t, base, id, secret)}
}

// upload posts a public key; from and till are formatted as Wise wants.
func (c *joseClient) upload(kid, scope, alg string, pub any, from, till time.Time) result {
	c.t.Helper()
	return bearer(c.t, http.MethodPost, c.base+joseRequestKeysPath, c.token, map[string]any{
		"keyId": kid, "scope": scope,
		"validFrom": from.UTC().Format(joseTimeLayout), "validTill": till.UTC().Format(joseTimeLayout),
		"publicKeyMaterial": map[string]string{"algorithm": alg, "keyMaterial": derB64(c.t, pub)},
	})
}

// mustUpload uploads a key valid from now-1m for a year.
func (c *joseClient) mustUpload(kid, scope, alg string, pub any, now time.Time) {
	c.t.Helper()
	if r := c.upload(kid, scope, alg, pub, now.Add(-time.Minute), now.Add(365*24*time.Hour)); r.status != http.StatusCreated {
		c.t.Fatalf("upload %s %s: %d %s", scope, alg, r.status, r.body)
	}
}

// serverKey fetches one of localwise's keys (version 0: the newest).
func (c *joseClient) serverKey(scope, alg string, version int) (any, result) {
	c.t.Helper()
	q := url.Values{"scope": {scope}, "algorithm": {alg}}
	if version > 0 {
		q.Set("version", itoa(int64(version)))
	}
	r := bearer(c.t, http.MethodGet, c.base+joseResponseKeysPath+"?"+q.Encode(), c.token, nil)
	if r.status != http.StatusOK {
		c.t.Fatalf("fetch %s key: %d %s", scope, r.status, r.body)
	}
	m, _ := r.json["keyMaterial"].(map[string]any)
	der, err := base64.StdEncoding.DecodeString(m["keyMaterial"].(string))
	if err != nil {
		c.t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		c.t.Fatal(err)
	}
	return pub, r
}

func (c *joseClient) signingKey(version int) *ecdsa.PublicKey {
	c.t.Helper()
	pub, _ := c.serverKey(scopeSigning, "ES512", version)
	return pub.(*ecdsa.PublicKey)
}

func (c *joseClient) encryptionKey(version int) *rsa.PublicKey {
	c.t.Helper()
	pub, _ := c.serverKey(scopeEncryption, algRSAOAEP256, version)
	return pub.(*rsa.PublicKey)
}

// play sends a JOSE request with Wise's headers; body "" sends none.
func (c *joseClient) play(method, path, joseMethod, body string) result {
	c.t.Helper()
	return c.playWith(method, path, body, map[string]string{
		"Accept": joseMediaType, "Content-Type": joseMediaType, "X-TW-JOSE-Method": joseMethod, "Accept-Encoding": "identity",
	})
}

func (c *joseClient) playWith(method, path, body string, headers map[string]string) result {
	c.t.Helper()
	req := newRequest(c.t, method, c.base+path, strings.NewReader(body))
	if body == "" {
		req.Body = http.NoBody
	}
	for k, v := range headers {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	return do(c.t, req)
}

// message is the playground payload {"message": m}.
func message(m string) []byte {
	b, _ := json.Marshal(map[string]string{"message": m})
	return b
}

// wantAnswer checks a decrypted or verified playground answer.
func wantAnswer(t testing.TB, payload []byte, msg, method string) {
	t.Helper()
	var a map[string]any
	if err := json.Unmarshal(payload, &a); err != nil {
		t.Fatalf("answer %q: %v", payload, err)
	}
	if len(a) != 2 || a["message"] != playgroundPrefix+msg || a["method"] != method {
		t.Fatalf("answer %s, want message %q and method %s", payload, playgroundPrefix+msg, method)
	}
}

// wantJOSE checks a 200 playground answer and returns its token.
func wantJOSE(t testing.TB, r result) string {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("got %d %s (reason %q), want 200", r.status, r.body, r.header.Get(reasonHeader))
	}
	if ct := r.header.Get("Content-Type"); ct != joseMediaType {
		t.Errorf("Content-Type %q, want %s", ct, joseMediaType)
	}
	if !traceID.MatchString(r.header.Get("x-trace-id")) {
		t.Errorf("x-trace-id %q", r.header.Get("x-trace-id"))
	}
	return string(r.body)
}

// wantJWSError checks a 400 jws_error whose reason contains reason.
func wantJWSError(t testing.TB, r result, reason string) {
	t.Helper()
	wantOAuthError(t, r, http.StatusBadRequest, "jws_error")
	if got := r.header.Get(reasonHeader); !strings.Contains(got, reason) {
		t.Errorf("reason %q, want it to say %q", got, reason)
	}
	if d := r.str("error_description"); !strings.HasPrefix(d, "Unable to verify the request signature") || !strings.Contains(d, reason) {
		t.Errorf("error_description %q", d)
	}
}

// wantDecryptError checks Wise's generic 500 whose reason contains reason.
func wantDecryptError(t testing.TB, r result, reason string) {
	t.Helper()
	if r.status != http.StatusInternalServerError || r.str("message") != "An unexpected error occurred" || len(r.json) != 2 {
		t.Fatalf("got %d %s, want the generic 500", r.status, r.body)
	}
	if r.str("request_id") != r.header.Get("x-trace-id") || !traceID.MatchString(r.str("request_id")) {
		t.Errorf("request_id %q, x-trace-id %q", r.str("request_id"), r.header.Get("x-trace-id"))
	}
	if got := r.header.Get(reasonHeader); !strings.Contains(got, reason) {
		t.Errorf("reason %q, want it to say %q", got, reason)
	}
}
