package wise

import (
	"context"
	stdcrypto "crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// The JOSE client against a server of the test's own, which plays Wise
// with the crypto package's primitives: the wire (headers, the url
// header, the order of the steps), the refusals and the re-fetch. The
// round trips against localwise, an implementation of its own, are in
// flows/jose_test.go.

// docsKey is the ES512 key of Wise's documented key answer.
const docsKey = `MIGbMBAGByqGSM49AgEGBSuBBAAjA4GGAAQBYAwVICxD0Paq7MOuO34omujHxSrQXZtiTQ/VMteqAeUfM4wE+vTSpbYCqb1pNhhcQpF+FJd2H8jB1H1zil7qLLcBw+yl4PrnLza1pmNLr+kqQVoVXVyVx/xxMK2WObLn8tHxXtW4k+bm1/ySF+0RQ265IZcw2i8YYX2FY59JkwE2Fac=`

func TestParseWiseKeyResponseTakesWisesDocumentedAnswer(t *testing.T) {
	k, err := ParseWiseKeyResponse([]byte(`{"version":1,"keyMaterial":{"algorithm":"ES512","keyMaterial":"` + docsKey + `"},"scope":"PAYLOAD_SIGNING"}`))
	if err != nil {
		t.Fatal(err)
	}
	if k.Version != 1 || k.Alg != crypto.ES512 || k.Scope != ScopeSigning || k.Material != docsKey || k.KeyID != "" {
		t.Fatalf("parsed %+v", k)
	}
	if pub, ok := k.Key.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P521() {
		t.Fatalf("key %T", k.Key)
	}
}

func rsaDER(t testing.TB, bits int) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	der, err := crypto.PublicDER(&k.PublicKey)
	if err != nil && bits >= 2048 {
		t.Fatal(err)
	}
	if err != nil {
		// PublicDER refuses weak keys; build the DER by hand for the test.
		der = weakDER(t, &k.PublicKey)
	}
	return der
}

func TestParseWiseKeyResponseRefusesWhatCannotBeUsed(t *testing.T) {
	enc := rsaDER(t, 2048)
	weak := rsaDER(t, 1024)
	for name, body := range map[string]string{
		"not JSON":                  `not json`,
		"no scope":                  `{"version":1,"keyMaterial":{"algorithm":"ES512","keyMaterial":"` + docsKey + `"}}`,
		"unknown scope":             `{"version":1,"scope":"PAYLOAD_MAGIC","keyMaterial":{"algorithm":"ES512","keyMaterial":"` + docsKey + `"}}`,
		"RS256":                     `{"version":1,"scope":"PAYLOAD_SIGNING","keyMaterial":{"algorithm":"RS256","keyMaterial":"` + enc + `"}}`,
		"none":                      `{"version":1,"scope":"PAYLOAD_SIGNING","keyMaterial":{"algorithm":"none","keyMaterial":"` + docsKey + `"}}`,
		"an encryption alg to sign": `{"version":1,"scope":"PAYLOAD_SIGNING","keyMaterial":{"algorithm":"RSA_OAEP_256","keyMaterial":"` + enc + `"}}`,
		"a signing alg to encrypt":  `{"version":1,"scope":"PAYLOAD_ENCRYPTION","keyMaterial":{"algorithm":"ES512","keyMaterial":"` + docsKey + `"}}`,
		"version 0":                 `{"version":0,"scope":"PAYLOAD_SIGNING","keyMaterial":{"algorithm":"ES512","keyMaterial":"` + docsKey + `"}}`,
		"not base64":                `{"version":1,"scope":"PAYLOAD_SIGNING","keyMaterial":{"algorithm":"ES512","keyMaterial":"*&^%"}}`,
		"not a key":                 `{"version":1,"scope":"PAYLOAD_SIGNING","keyMaterial":{"algorithm":"ES512","keyMaterial":"aGVsbG8="}}`,
		"curve of another alg":      `{"version":1,"scope":"PAYLOAD_SIGNING","keyMaterial":{"algorithm":"ES256","keyMaterial":"` + docsKey + `"}}`,
		"EC to encrypt":             `{"version":1,"scope":"PAYLOAD_ENCRYPTION","keyMaterial":{"algorithm":"RSA_OAEP_256","keyMaterial":"` + docsKey + `"}}`,
		"RSA 1024":                  `{"version":1,"scope":"PAYLOAD_ENCRYPTION","keyMaterial":{"algorithm":"RSA_OAEP_256","keyMaterial":"` + weak + `"}}`,
		"oversized":                 `{"version":1,"scope":"PAYLOAD_SIGNING","pad":"` + strings.Repeat("a", maxWiseKeyAnswer) + `"}`,
	} {
		if k, err := ParseWiseKeyResponse([]byte(body)); !errors.Is(err, ErrWiseKey) {
			t.Errorf("%s: got %+v, %v; want ErrWiseKey", name, k, err)
		}
	}
	if k, err := ParseWiseKeyResponse([]byte(`{"keyId":"k1","version":3,"scope":"PAYLOAD_ENCRYPTION","keyMaterial":{"algorithm":"RSA_OAEP_256","keyMaterial":"` + enc + `"}}`)); err != nil || k.Alg != crypto.RSAOAEP256 || k.Version != 3 || k.KeyID != "k1" {
		t.Errorf("an encryption key: %+v, %v", k, err)
	}
}

// FuzzParseWiseKeyResponse feeds arbitrary bytes where Wise's key answer
// goes: no panic, and a key taken is one that fits its algorithm and
// scope, whose material reads back to the same key.
func FuzzParseWiseKeyResponse(f *testing.F) {
	enc := rsaDER(f, 2048)
	for _, s := range []string{
		`{"version":1,"keyMaterial":{"algorithm":"ES512","keyMaterial":"` + docsKey + `"},"scope":"PAYLOAD_SIGNING"}`,
		`{"keyId":"x","version":2,"keyMaterial":{"algorithm":"RSA_OAEP_256","keyMaterial":"` + enc + `"},"scope":"PAYLOAD_ENCRYPTION"}`,
		`{"version":1,"keyMaterial":{"algorithm":"RSA-OAEP-256","keyMaterial":"` + enc + `"},"scope":"PAYLOAD_ENCRYPTION"}`,
		`{"version":-1}`, `[]`, `null`, `{"keyMaterial":null}`, `{"version":1e99}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParseWiseKeyResponse(data)
		if err != nil {
			if !errors.Is(err, ErrWiseKey) {
				t.Fatalf("an error that is not ErrWiseKey: %v", err)
			}
			return
		}
		if k.Version < 1 || (k.Scope != ScopeSigning && k.Scope != ScopeEncryption) {
			t.Fatalf("took %+v", k)
		}
		if (k.Scope == ScopeEncryption) != (k.Alg == crypto.RSAOAEP256) {
			t.Fatalf("scope %s with algorithm %s", k.Scope, k.Alg)
		}
		if err := crypto.CheckJOSEKey(k.Alg, k.Key); err != nil {
			t.Fatalf("took a key that does not fit %s: %v", k.Alg, err)
		}
		again, err := crypto.ParsePublicDER(k.Material)
		if err != nil || !samePublic(again, k.Key) {
			t.Fatalf("the material does not read back to the key: %v", err)
		}
	})
}

func samePublic(a, b any) bool {
	type equaler interface {
		Equal(stdcrypto.PublicKey) bool
	}
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}

// fakeWise plays Wise's JOSE side with crypto's primitives.
type fakeWise struct {
	t         *testing.T
	mu        sync.Mutex
	sig       *ecdsa.PrivateKey // signs responses
	sigVer    int
	enc       *rsa.PrivateKey // decrypts requests
	encVer    int
	clientSig stdcrypto.PublicKey
	clientAlg crypto.JOSEAlg
	clientKID string
	clientEnc *rsa.PublicKey
	encKID    string
	// tamper flips a byte of the response signature.
	tamper bool
	// staleAnswer signs with another key than the one fetched.
	staleAnswer *ecdsa.PrivateKey
	keyFetches  atomic.Int32
	posts       atomic.Int32
	seen        []http.Header
}

func newFakeWise(t *testing.T) *fakeWise {
	t.Helper()
	sig, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return &fakeWise{t: t, sig: sig, sigVer: 1, enc: enc, encVer: 1}
}

func (w *fakeWise) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if r.URL.Path == WiseKeysPath {
		w.keyFetches.Add(1)
		var der string
		var ver int
		alg := r.URL.Query().Get("algorithm")
		switch r.URL.Query().Get("scope") {
		case ScopeSigning:
			der, _ = crypto.PublicDER(&w.sig.PublicKey)
			ver = w.sigVer
		default:
			der, _ = crypto.PublicDER(&w.enc.PublicKey)
			ver = w.encVer
		}
		_ = json.NewEncoder(rw).Encode(map[string]any{"version": ver, "scope": r.URL.Query().Get("scope"), "keyMaterial": map[string]string{"algorithm": alg, "keyMaterial": der}})
		return
	}
	w.posts.Add(1)
	w.seen = append(w.seen, r.Header.Clone())
	body, _ := io.ReadAll(r.Body)
	method := r.Header.Get("X-TW-JOSE-Method")
	text := string(body)
	if strings.HasPrefix(method, "jwe") || method == "jws+jwe" {
		if r.Method == http.MethodPost {
			var cek crypto.Secret
			pt, h, c, err := crypto.DecryptJWEKeepingCEK(text, w.enc)
			if err != nil {
				http.Error(rw, `{"error":"internal"}`, http.StatusInternalServerError)
				return
			}
			if h.URL != r.URL.RequestURI() {
				http.Error(rw, `{"error":"bad url"}`, http.StatusBadRequest)
				return
			}
			cek = c
			text = string(pt)
			if strings.HasSuffix(r.URL.Path, "/direct") {
				out, _ := crypto.EncryptDirect(cek, []byte(`{"answer":"direct"}`))
				_, _ = io.WriteString(rw, out)
				return
			}
		}
	}
	if method == "jws" || method == "jws+jwe" {
		pt, _, err := crypto.VerifyJWS(text, []crypto.VerifyKey{{Key: w.clientSig, KeyID: w.clientKID, Alg: w.clientAlg}}, crypto.SigningAlgs, r.URL.RequestURI(), time.Now())
		if err != nil {
			http.Error(rw, `{"errors":[{"code":"jws_error","message":"`+err.Error()+`"}]}`, http.StatusBadRequest)
			return
		}
		text = string(pt)
	}
	answer := []byte(`{"echo":` + jsonString(text) + `,"method":"` + r.Method + `"}`)
	var out string
	if method == "jws" || method == "jws+jwe" {
		signer := w.sig
		if w.staleAnswer != nil {
			signer = w.staleAnswer
		}
		tok := signWithVersion(w.t, signer, w.sigVer, answer)
		if w.tamper {
			tok = tamperSig(tok)
		}
		out = tok
		answer = []byte(tok)
	}
	if method == "jwe" || method == "jws+jwe" {
		var err error
		if out, err = crypto.EncryptJWE(w.clientEnc, w.encKID, "", answer); err != nil {
			w.t.Error(err)
		}
	}
	_, _ = io.WriteString(rw, out)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// signWithVersion signs as Wise does, with the header
// {"version":N,"alg":"ES512"}: by hand (crypto.SignJWS writes a kid, not
// a version), ECDSA P-521 over SHA-512, r and s of 66 bytes each.
func signWithVersion(t testing.TB, key *ecdsa.PrivateKey, version int, payload []byte) string {
	t.Helper()
	input := b64(fmt.Appendf(nil, `{"version":%d,"alg":"ES512"}`, version)) + "." + b64(payload)
	sum := sha512.Sum512([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 132)
	r.FillBytes(sig[:66])
	s.FillBytes(sig[66:])
	return input + "." + b64(sig)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// weakDER is the SPKI of a key PublicDER refuses to encode.
func weakDER(t testing.TB, pub *rsa.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

func tamperSig(tok string) string {
	i := strings.LastIndexByte(tok, '.')
	b := []byte(tok)
	j := i + 5
	if b[j] == 'A' {
		b[j] = 'B'
	} else {
		b[j] = 'A'
	}
	return string(b)
}

// joseFixture is a fake Wise, a client for it and the client's keys.
type joseFixture struct {
	w      *fakeWise
	c      *Client
	signer *ecdsa.PrivateKey
	dec    *rsa.PrivateKey
}

func newJOSEFixture(t *testing.T) *joseFixture {
	t.Helper()
	w := newFakeWise(t)
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	signer, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	dec, _ := rsa.GenerateKey(rand.Reader, 2048)
	w.clientSig, w.clientAlg, w.clientKID = &signer.PublicKey, crypto.ES256, "client-sig"
	w.clientEnc, w.encKID = &dec.PublicKey, "client-enc"
	c := NewClient(srv.URL, nil)
	c.Sleep = func(context.Context, time.Duration) error { return nil }
	return &joseFixture{w: w, c: c, signer: signer, dec: dec}
}

func (f *joseFixture) call(mode JOSEMode, method, path string, body []byte) JOSECall {
	return JOSECall{Method: method, Path: path, Mode: mode, Body: body, Token: crypto.SecretString("client-token-canary-0001"), Now: time.Now(),
		Keys: JOSEKeys{Sign: f.signer, SignAlg: crypto.ES256, SignKeyID: "client-sig", WiseEncrypt: &f.w.enc.PublicKey,
			Decrypt:    []crypto.DecryptKey{{Key: f.dec, KeyID: "client-enc"}},
			WiseVerify: []crypto.VerifyKey{{Key: &f.w.sig.PublicKey, Version: 1, Alg: crypto.ES512}}}}
}

func TestJOSECallsRoundTripInEveryMode(t *testing.T) {
	f := newJOSEFixture(t)
	body := []byte(`{"message":"hello"}`)
	for _, tc := range []struct {
		mode   JOSEMode
		method string
		path   string
		want   string
		steps  []string
	}{
		{JOSEJWS, http.MethodPost, "/v1/x/jws", `{"echo":"{\"message\":\"hello\"}","method":"POST"}`, []string{StepSigned, StepReceived, StepVerified}},
		{JOSEJWE, http.MethodPost, "/v1/x/jwe", `{"echo":"{\"message\":\"hello\"}","method":"POST"}`, []string{StepEncrypted, StepReceived, StepDecrypted}},
		{JOSEJWE, http.MethodGet, "/v1/x/jwe?q=1", `{"echo":"","method":"GET"}`, []string{StepReceived, StepDecrypted}},
		{JOSEJWSJWE, http.MethodPost, "/v1/x/jwsjwe", `{"echo":"{\"message\":\"hello\"}","method":"POST"}`, []string{StepSigned, StepEncrypted, StepReceived, StepDecrypted, StepVerified}},
		{JOSEDirect, http.MethodPost, "/v1/x/direct", `{"answer":"direct"}`, []string{StepEncrypted, StepReceived, StepDecrypted}},
	} {
		b := body
		if tc.method == http.MethodGet {
			b = nil
		}
		a, err := f.c.JOSE(context.Background(), f.call(tc.mode, tc.method, tc.path, b))
		if err != nil {
			t.Errorf("%s %s: %v", tc.mode, tc.method, err)
			continue
		}
		if string(a.Body) != tc.want {
			t.Errorf("%s %s: body %s, want %s", tc.mode, tc.method, a.Body, tc.want)
		}
		var names []string
		for _, s := range a.Steps {
			names = append(names, s.Step)
		}
		if strings.Join(names, ",") != strings.Join(tc.steps, ",") {
			t.Errorf("%s %s: steps %v, want %v", tc.mode, tc.method, names, tc.steps)
		}
		h := f.w.seen[len(f.w.seen)-1]
		wantMethod := map[JOSEMode]string{JOSEJWS: "jws", JOSEJWE: "jwe", JOSEJWSJWE: "jws+jwe", JOSEDirect: "jwe"}[tc.mode]
		if h.Get("X-TW-JOSE-Method") != wantMethod || h.Get("Accept") != "application/jose+json" || h.Get("Accept-Encoding") != "identity" {
			t.Errorf("%s %s: headers %v", tc.mode, tc.method, h)
		}
		if ct := h.Get("Content-Type"); (b != nil) != (ct == "application/jose+json") {
			t.Errorf("%s %s: Content-Type %q with a body %v", tc.mode, tc.method, ct, b != nil)
		}
	}
	// The url header of a signed request is the path, query included.
	a, err := f.c.JOSE(context.Background(), f.call(JOSEJWS, http.MethodPost, "/v1/x/jws?a=b", body))
	if err != nil || a.Steps[0].Header.URL != "/v1/x/jws?a=b" || a.Steps[0].Header.KeyID != "client-sig" {
		t.Errorf("url header: %+v, %v", a.Steps, err)
	}
}

func TestATamperedResponseIsAnErrorAndNeverData(t *testing.T) {
	f := newJOSEFixture(t)
	f.w.tamper = true
	refetches := 0
	call := f.call(JOSEJWS, http.MethodPost, "/v1/x/jws", []byte(`{"message":"secret-payload-canary"}`))
	call.RefetchSigning = func(context.Context, int) ([]crypto.VerifyKey, error) {
		refetches++
		return call.Keys.WiseVerify, nil
	}
	a, err := f.c.JOSE(context.Background(), call)
	if !errors.Is(err, ErrResponseRefused) || !errors.Is(err, crypto.ErrJOSESignature) {
		t.Fatalf("a tampered signature: %v", err)
	}
	if a.Body != nil {
		t.Fatal("the body of a refused response was returned")
	}
	if refetches != 1 {
		t.Errorf("Wise's key fetched again %d times, want once", refetches)
	}
	assertNoSecret(t, "the refusal", err.Error(), "secret-payload-canary", "client-token-canary-0001")
	// Also with jws+jwe, where the signature is inside the encryption.
	call = f.call(JOSEJWSJWE, http.MethodPost, "/v1/x/jwsjwe", []byte(`{"message":"m"}`))
	if a, err := f.c.JOSE(context.Background(), call); !errors.Is(err, ErrResponseRefused) || a.Body != nil {
		t.Fatalf("jws+jwe with a tampered signature: %v", err)
	}
}

func TestWisesRotatedSigningKeyIsFetchedOnceAndTheSameResponseVerified(t *testing.T) {
	f := newJOSEFixture(t)
	newKey, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	f.w.sig, f.w.sigVer = newKey, 2 // Wise rotated; the client holds version 1
	posts := f.w.posts.Load()
	call := f.call(JOSEJWS, http.MethodPost, "/v1/x/jws", []byte(`{"message":"m"}`))
	var asked int
	call.RefetchSigning = func(_ context.Context, version int) ([]crypto.VerifyKey, error) {
		asked = version
		return []crypto.VerifyKey{{Key: &newKey.PublicKey, Version: 2, Alg: crypto.ES512}}, nil
	}
	a, err := f.c.JOSE(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}
	if asked != 2 || !strings.Contains(string(a.Body), "POST") {
		t.Errorf("re-fetch asked for version %d; body %s", asked, a.Body)
	}
	if n := f.w.posts.Load() - posts; n != 1 {
		t.Errorf("the request was sent %d times; a response is verified again, not asked for again", n)
	}
}

func TestAnEncryptedRequestWiseCannotDecryptIsSentAgainOnceToItsNewKey(t *testing.T) {
	f := newJOSEFixture(t)
	old := f.w.enc.PublicKey
	newEnc, _ := rsa.GenerateKey(rand.Reader, 2048)
	f.w.enc, f.w.encVer = newEnc, 2
	call := f.call(JOSEJWE, http.MethodPost, "/v1/x/jwe", []byte(`{"message":"m"}`))
	call.Keys.WiseEncrypt = &old
	refetches := 0
	call.RefetchEncryption = func(context.Context) (*rsa.PublicKey, bool, error) {
		refetches++
		return &newEnc.PublicKey, true, nil
	}
	a, err := f.c.JOSE(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}
	if refetches != 1 || !strings.Contains(string(a.Body), "POST") {
		t.Errorf("re-fetches %d, body %s", refetches, a.Body)
	}
	// When the key did not change, the server error stands (after the
	// usual retries), and the key is not fetched again and again.
	refetches = 0
	call.Keys.WiseEncrypt = &old
	call.RefetchEncryption = func(context.Context) (*rsa.PublicKey, bool, error) {
		refetches++
		return &old, false, nil
	}
	if _, err := f.c.JOSE(context.Background(), call); !errors.Is(err, ErrUnavailable) || refetches != 1 {
		t.Errorf("unchanged key: %v after %d re-fetches", err, refetches)
	}
}

func TestJOSECallsRefuseWhatCannotBeMadeBeforeSending(t *testing.T) {
	f := newJOSEFixture(t)
	for name, call := range map[string]JOSECall{
		"unknown mode":        {Mode: "jwx", Method: http.MethodPost, Path: "/p", Body: []byte("x")},
		"no signing key":      {Mode: JOSEJWS, Method: http.MethodPost, Path: "/p", Body: []byte("x"), Keys: JOSEKeys{WiseVerify: []crypto.VerifyKey{{}}}},
		"no Wise key":         {Mode: JOSEJWE, Method: http.MethodPost, Path: "/p", Body: []byte("x"), Keys: JOSEKeys{Decrypt: []crypto.DecryptKey{{}}}},
		"a GET with a body":   {Mode: JOSEJWE, Method: http.MethodGet, Path: "/p", Body: []byte("x")},
		"direct with no body": {Mode: JOSEDirect, Method: http.MethodPost, Path: "/p", Keys: JOSEKeys{WiseEncrypt: &f.w.enc.PublicKey}},
		"a relative path":     {Mode: JOSEJWE, Method: http.MethodGet, Path: "p"},
	} {
		before := f.w.posts.Load()
		if _, err := f.c.JOSE(context.Background(), call); err == nil {
			t.Errorf("%s: no error", name)
		}
		if f.w.posts.Load() != before {
			t.Errorf("%s: sent", name)
		}
	}
}

func TestUploadKeySendsWisesBody(t *testing.T) {
	var got map[string]any
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		_ = json.NewDecoder(r.Body).Decode(&got)
		got["clientId"], got["deactivationTimestamp"] = nil, nil
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(got)
	}))
	defer srv.Close()
	from := time.Date(2026, 4, 27, 10, 11, 12, 0, time.UTC)
	up, err := NewClient(srv.URL, nil).UploadKey(context.Background(), crypto.SecretString("cc-token"), KeyUpload{KeyID: "e87da464-8e5e-4380-8f2d-4e4e04052672",
		Scope: ScopeEncryption, Alg: crypto.RSAOAEP256, ValidFrom: from, ValidTill: from.AddDate(1, 0, 0), Material: "MIIB"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"clientId":null,"deactivationTimestamp":null,"keyId":"e87da464-8e5e-4380-8f2d-4e4e04052672","publicKeyMaterial":{"algorithm":"RSA_OAEP_256","keyMaterial":"MIIB"},"scope":"PAYLOAD_ENCRYPTION","validFrom":"2026-04-27 10:11:12","validTill":"2027-04-27 10:11:12"}`
	if b, _ := json.Marshal(got); string(b) != want {
		t.Errorf("body %s\nwant %s", b, want)
	}
	if auth != "Bearer cc-token" || !up.ValidFrom.Equal(from) || up.Deactivation != nil || up.Alg != "RSA_OAEP_256" {
		t.Errorf("auth %q, echo %+v", auth, up)
	}
}
