package flows

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// The JOSE use cases against a real localwise, whose JOSE side is its own
// implementation (go-jose directly, not crypto/): keys made here, uploaded
// there with a client-credentials token, Wise's keys fetched from it, and
// its four playgrounds called over HTTP. cli/jose_test.go covers the words
// and exit codes and an independent JOSE implementation; these go under
// them, to what was sent, stored and refused.

// joseFixture is a fixture whose localwise runs on a clock of its own
// (lw), so an overlap can end there, and a transport that counts and can
// alter what localwise answers.
type joseFixture struct {
	*fixture
	lw *offsetClock
	tr *joseTransport
}

// joseTransport is the service's way to localwise: it counts the calls
// per path and, when tamper is set, changes one character of the
// signature of a playground's answer, as a network attacker would.
type joseTransport struct {
	base   http.RoundTripper
	real   http.RoundTripper
	tamper atomic.Bool
	// loseUpload lets the next upload reach localwise and answers 502.
	loseUpload atomic.Bool
	keyGets    atomic.Int32 // GET /v1/auth/jose/response/public-keys
	jose       atomic.Int32 // playground calls
	lastReqHd  atomic.Pointer[http.Header]
}

func (t *joseTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	switch {
	case r.URL.Path == wise.WiseKeysPath:
		t.keyGets.Add(1)
	case strings.HasPrefix(r.URL.Path, wise.JOSEPlaygroundPath):
		t.jose.Add(1)
		h := r.Header.Clone()
		t.lastReqHd.Store(&h)
	}
	resp, err := t.base.RoundTrip(r)
	if err == nil && r.URL.Path == wise.UploadKeyPath && t.loseUpload.CompareAndSwap(true, false) {
		resp.Body.Close()
		return &http.Response{StatusCode: http.StatusBadGateway, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
	}
	if err != nil || !t.tamper.Load() || !strings.HasPrefix(r.URL.Path, wise.JOSEPlaygroundPath) || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(tamperLast(body)))
	resp.ContentLength = -1
	resp.Header.Del("Content-Length")
	return resp, nil
}

// tamperLast changes a character in the middle of the last part of a
// compact token (a JWS's signature, a JWE's tag).
func tamperLast(tok []byte) []byte {
	b := bytes.Clone(bytes.TrimSpace(tok))
	i := bytes.LastIndexByte(b, '.') + 4
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return b
}

func newJOSEFixture(t *testing.T, cfg localwise.Config) *joseFixture {
	t.Helper()
	lw := &offsetClock{}
	cfg.Now = lw.Now
	f := newFixture(t, cfg)
	real := http.DefaultTransport.(*http.Transport).Clone()
	tr := &joseTransport{base: real, real: real}
	hc := wise.DefaultHTTPClient()
	hc.Transport = tr
	f.svc = New(f.w, Options{HTTP: hc, Now: f.clock.Now})
	f.svc.sleep = func(context.Context, time.Duration) error { return nil }
	f.addDemoClient("app")
	return &joseFixture{fixture: f, lw: lw, tr: tr}
}

// keygen makes a jose entry for client "app".
func (j *joseFixture) keygen(name, use, alg string) EntryView {
	j.t.Helper()
	v, err := j.svc.JOSEKeygen(bg, JOSEKeyInput{Name: name, Use: use, Alg: alg, For: "app"})
	if err != nil {
		j.t.Fatalf("JOSEKeygen %q: %v", name, err)
	}
	return v
}

func (j *joseFixture) upload(name string) JOSEUploaded {
	j.t.Helper()
	up, err := j.svc.JOSEUpload(bg, name)
	if err != nil {
		j.t.Fatalf("JOSEUpload %q: %v", name, err)
	}
	return up
}

// ready is a client with an uploaded signing and encryption key.
func (j *joseFixture) ready() {
	j.t.Helper()
	j.keygen("sig", JOSEUseSig, "")
	j.keygen("enc", JOSEUseEnc, "")
	j.upload("sig")
	j.upload("enc")
}

func (j *joseFixture) playground(mode, message string) JOSEPlaygroundResult {
	j.t.Helper()
	r, err := j.svc.JOSEPlayground(bg, "app", mode, message)
	if err != nil {
		j.t.Fatalf("playground %s: %v (steps %+v)", mode, err, r.Steps)
	}
	return r
}

func stepNames(r JOSEPlaygroundResult) []string {
	var out []string
	for _, s := range r.Steps {
		out = append(out, s.Step)
	}
	return out
}

func TestEveryPlaygroundRoundTripsWithLocalwise(t *testing.T) {
	t.Parallel()
	j := newJOSEFixture(t, localwise.Config{})
	j.ready()
	sig, enc := j.view("sig"), j.view("enc")
	for _, tc := range []struct {
		mode, method, path, header string
		steps                      []string
	}{
		{PlaygroundJWS, "POST", "/v1/auth/jose/playground/jws", "jws", []string{wise.StepSigned, wise.StepReceived, wise.StepVerified}},
		{PlaygroundJWE, "POST", "/v1/auth/jose/playground/jwe", "jwe", []string{wise.StepEncrypted, wise.StepReceived, wise.StepDecrypted}},
		{PlaygroundJWEGet, "GET", "/v1/auth/jose/playground/jwe", "jwe", []string{wise.StepReceived, wise.StepDecrypted}},
		{PlaygroundJWSJWE, "POST", "/v1/auth/jose/playground/jwsjwe", "jws+jwe", []string{wise.StepSigned, wise.StepEncrypted, wise.StepReceived, wise.StepDecrypted, wise.StepVerified}},
		{PlaygroundJWEDirect, "POST", "/v1/auth/jose/playground/jwe-direct-encryption", "jwe", []string{wise.StepEncrypted, wise.StepReceived, wise.StepDecrypted}},
	} {
		r := j.playground(tc.mode, "hello "+tc.mode)
		var answer struct{ Message, Method string }
		if err := json.Unmarshal(r.Answer, &answer); err != nil {
			t.Errorf("%s: answer %s: %v", tc.mode, r.Answer, err)
		}
		wantMsg := "jose-playground-response-hello " + tc.mode
		if tc.method == "GET" {
			wantMsg = "jose-playground-response-"
		}
		if answer.Message != wantMsg || answer.Method != tc.method {
			t.Errorf("%s: answer %+v, want message %q and method %s", tc.mode, answer, wantMsg, tc.method)
		}
		if r.Method != tc.method || r.Path != tc.path || r.Status != http.StatusOK {
			t.Errorf("%s: %s %s -> %d", tc.mode, r.Method, r.Path, r.Status)
		}
		if got := strings.Join(stepNames(r), ", "); got != strings.Join(tc.steps, ", ") {
			t.Errorf("%s: steps %s\nwant %s", tc.mode, got, strings.Join(tc.steps, ", "))
		}
		if h := *j.tr.lastReqHd.Load(); h.Get("X-TW-JOSE-Method") != tc.header || h.Get("Accept") != "application/jose+json" || h.Get("Accept-Encoding") != "identity" {
			t.Errorf("%s: sent headers %v", tc.mode, h)
		}
		for _, s := range r.Steps {
			switch s.Step {
			case wise.StepSigned:
				if s.Header.Alg != "ES256" || s.Header.KeyID != sig.KeyID || s.Header.URL != tc.path {
					t.Errorf("%s: signed with header %+v", tc.mode, s.Header)
				}
			case wise.StepEncrypted:
				if s.Header.Alg != "RSA-OAEP-256" || s.Header.Enc != "A256GCM" || s.Header.URL != tc.path {
					t.Errorf("%s: encrypted with header %+v", tc.mode, s.Header)
				}
			case wise.StepReceived:
				switch {
				case tc.mode == PlaygroundJWS && (s.Header.Alg != "ES512" || s.Header.Version != 1):
					t.Errorf("%s: Wise signed with header %+v", tc.mode, s.Header)
				case tc.mode == PlaygroundJWEDirect && (s.Header.Alg != "dir" || s.Header.Enc != "A256GCM"):
					t.Errorf("%s: Wise answered with header %+v", tc.mode, s.Header)
				case tc.mode != PlaygroundJWS && tc.mode != PlaygroundJWEDirect && s.Header.KeyID != enc.KeyID:
					t.Errorf("%s: Wise encrypted to %+v, not the uploaded key %s", tc.mode, s.Header, enc.KeyID)
				}
			}
			if s.Result == "" {
				t.Errorf("%s: step %q has no result", tc.mode, s.Step)
			}
		}
	}
	// Wise's keys were fetched once and stored with their versions.
	c := j.saved("app")
	if j.tr.keyGets.Load() != 2 || c.WiseSigningVersion != 1 || c.WiseEncryptionVersion != 1 || c.WiseSigningAlg != "ES512" || c.WiseEncryptionAlg != "RSA_OAEP_256" || c.WiseKeysFetchedAt == nil {
		t.Errorf("Wise's keys: %d fetches, stored %+v", j.tr.keyGets.Load(), c.WiseKeys)
	}
}

func TestEverySigningAlgorithmSignsAPlaygroundRequest(t *testing.T) {
	t.Parallel()
	j := newJOSEFixture(t, localwise.Config{})
	for _, alg := range crypto.SigningAlgs {
		name := "sig-" + strings.ToLower(string(alg))
		j.keygen(name, JOSEUseSig, string(alg))
		j.upload(name)
		r := j.playground(PlaygroundJWS, "with "+string(alg))
		if r.Steps[0].Header.Alg != string(alg) || r.Steps[0].Header.KeyID != j.view(name).KeyID {
			t.Errorf("%s: signed with %+v", alg, r.Steps[0].Header)
		}
		// The next key is the newest: make this one leave the stage.
		if err := j.svc.Remove(bg, name); err != nil {
			t.Fatal(err)
		}
	}
}

func (j *joseFixture) view(name string) EntryView {
	j.t.Helper()
	v, err := j.svc.Entry(name)
	if err != nil {
		j.t.Fatal(err)
	}
	return v
}

func TestJOSEKeygenRefusesWhatWiseWould(t *testing.T) {
	t.Parallel()
	j := newJOSEFixture(t, localwise.Config{})
	j.addPersonal("pt")
	for name, tc := range map[string]struct {
		in    JOSEKeyInput
		input Input
	}{
		"RS256":             {JOSEKeyInput{Name: "k", Use: "sig", Alg: "RS256", For: "app"}, InputJOSEAlg},
		"HS256":             {JOSEKeyInput{Name: "k", Use: "sig", Alg: "HS256", For: "app"}, InputJOSEAlg},
		"none":              {JOSEKeyInput{Name: "k", Use: "sig", Alg: "none", For: "app"}, InputJOSEAlg},
		"RSA-OAEP to sign":  {JOSEKeyInput{Name: "k", Use: "sig", Alg: "RSA-OAEP-256", For: "app"}, InputJOSEAlg},
		"ES256 to encrypt":  {JOSEKeyInput{Name: "k", Use: "enc", Alg: "ES256", For: "app"}, InputJOSEAlg},
		"RSA1_5":            {JOSEKeyInput{Name: "k", Use: "enc", Alg: "RSA1_5", For: "app"}, InputJOSEAlg},
		"no use":            {JOSEKeyInput{Name: "k", For: "app"}, InputJOSEUse},
		"another use":       {JOSEKeyInput{Name: "k", Use: "wrap", For: "app"}, InputJOSEUse},
		"RSA 1024":          {JOSEKeyInput{Name: "k", Use: "enc", KeyType: "rsa1024", For: "app"}, InputKeyType},
		"ES256 on RSA":      {JOSEKeyInput{Name: "k", Use: "sig", Alg: "ES256", KeyType: "rsa2048", For: "app"}, InputKeyType},
		"negative validity": {JOSEKeyInput{Name: "k", Use: "sig", ValidFor: -time.Hour, For: "app"}, InputValidity},
		"ten years":         {JOSEKeyInput{Name: "k", Use: "sig", ValidFor: 10 * 365 * 24 * time.Hour, For: "app"}, InputValidity},
		"no environment":    {JOSEKeyInput{Name: "k", Use: "sig"}, InputEnv},
	} {
		_, err := j.svc.JOSEKeygen(bg, tc.in)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Input != tc.input || !errors.Is(err, ErrUsage) {
			t.Errorf("%s: %v, want an InputError about the %s", name, err, tc.input)
		}
	}
	if _, err := j.svc.JOSEKeygen(bg, JOSEKeyInput{Name: "k", Use: "sig", For: "pt"}); !errors.As(err, new(*KindError)) || !strings.Contains(err.Error(), "a JOSE key serves an OAuth client entry") {
		t.Errorf("for a personal token: %v", err)
	}
	j.assertAbsent("k")
	// RS256's refusal says what to use instead.
	_, err := j.svc.JOSEKeygen(bg, JOSEKeyInput{Name: "k", Use: "sig", Alg: "RS256", For: "app"})
	if !strings.Contains(err.Error(), "PS256") {
		t.Errorf("RS256: %v", err)
	}
	// Defaults: ES256 on P-256, RSA-OAEP-256 on RSA 2048, a year, a UUID.
	sig, enc := j.keygen("s", "sig", ""), j.keygen("e", "ENC", "RSA_OAEP_256")
	if sig.Algorithm != "ES256" || sig.KeyType != "p256" || sig.Use != "sig" || enc.Algorithm != "RSA-OAEP-256" || enc.KeyType != "rsa2048" || enc.Use != "enc" {
		t.Errorf("defaults: %+v / %+v", sig.EntryKey, enc.EntryKey)
	}
	if sig.ValidTill.Sub(sig.CreatedAt) != DefaultJOSEValidity || sig.CreatedAt.Sub(*sig.ValidFrom) != JOSEClockSkew || sig.Uploaded || sig.LinkedTo != "app" || len(sig.KeyID) != 36 || sig.KeyID == enc.KeyID {
		t.Errorf("a new key: %+v", sig)
	}
	if es512 := j.keygen("e5", "sig", "es512"); es512.KeyType != "p521" {
		t.Errorf("ES512 on %s", es512.KeyType)
	}
	if v := j.view("s"); v.ExpiresAt() == nil || !v.ExpiresAt().Equal(*v.ValidTill) || len(v.Countdowns()) != 1 || v.Countdowns()[0].Kind != KeyValidity {
		t.Errorf("the key's countdown: %v %+v", v.ExpiresAt(), v.Countdowns())
	}
}

func (f *fixture) addPersonal(name string) {
	f.t.Helper()
	if _, err := f.svc.AddPersonal(bg, name, f.env, crypto.SecretString(localwise.DemoPersonalToken)); err != nil {
		f.t.Fatal(err)
	}
}

func TestJOSEPublicKeyIsTheSameKeyInEveryFormat(t *testing.T) {
	t.Parallel()
	j := newJOSEFixture(t, localwise.Config{})
	v := j.keygen("sig", "sig", "ES384")
	jwk, err := j.svc.JOSEPublicKey("sig", FormatJWK)
	if err != nil {
		t.Fatal(err)
	}
	k, err := crypto.ParsePublicJWK(jwk)
	if err != nil || k.KeyID != v.KeyID || k.Algorithm != "ES384" || k.Use != "sig" {
		t.Fatalf("JWK %s: %+v, %v", jwk, k, err)
	}
	pemKey, _ := j.svc.JOSEPublicKey("sig", FormatPEM)
	fromPEM, err := crypto.ParsePublicKeyPEM(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := j.svc.JOSEPublicKey("sig", FormatDER)
	fromDER, err := crypto.ParsePublicDER(string(der))
	if err != nil {
		t.Fatal(err)
	}
	if !fromPEM.(*ecdsa.PublicKey).Equal(k.Key) || !fromPEM.(*ecdsa.PublicKey).Equal(fromDER) {
		t.Error("the formats hold different keys")
	}
	if _, err := j.svc.JOSEPublicKey("sig", "xml"); !errors.Is(err, ErrUsage) {
		t.Errorf("an unknown format: %v", err)
	}
	if b, _ := j.svc.JOSEPublicKey("sig", ""); !bytes.Equal(b, jwk) {
		t.Error("the default format is not the JWK")
	}
}

func TestJOSESignVerifyEncryptDecryptWithTheWalletsKeys(t *testing.T) {
	t.Parallel()
	j := newJOSEFixture(t, localwise.Config{})
	j.keygen("sig", "sig", "PS256")
	j.keygen("enc", "enc", "")
	const path = "/v3/profiles/1/transfers"
	jws, err := j.svc.JOSESign("sig", path, []byte(`{"amount":1}`))
	if err != nil {
		t.Fatal(err)
	}
	payload, h, err := j.svc.JOSEVerify(bg, "sig", path, []byte(jws+"\n"))
	if err != nil || string(payload) != `{"amount":1}` || h.URL != path || h.Alg != "PS256" || h.KeyID != j.view("sig").KeyID {
		t.Fatalf("verify: %s %+v %v", payload, h, err)
	}
	for name, tc := range map[string]struct {
		token, url string
		reason     error
	}{
		"another url":         {jws, "/v3/profiles/2/transfers", crypto.ErrJOSEURL},
		"a changed payload":   {changedPayload(jws, `{"amount":1000}`), path, crypto.ErrJOSESignature},
		"a changed signature": {string(tamperLast([]byte(jws))), path, crypto.ErrJOSESignature},
	} {
		payload, _, err := j.svc.JOSEVerify(bg, "sig", tc.url, []byte(tc.token))
		var tr *TokenRefusedError
		if payload != nil || !errors.As(err, &tr) || !errors.Is(err, tc.reason) {
			t.Errorf("%s: %q, %v", name, payload, err)
		}
	}
	jwe, err := j.svc.JOSEEncrypt(bg, "enc", "", []byte("to myself"))
	if err != nil {
		t.Fatal(err)
	}
	pt, h, err := j.svc.JOSEDecrypt("enc", []byte(jwe))
	if err != nil || string(pt) != "to myself" || h.KeyID != j.view("enc").KeyID || h.Enc != "A256GCM" {
		t.Fatalf("decrypt: %q %+v %v", pt, h, err)
	}
	if pt, _, err := j.svc.JOSEDecrypt("enc", tamperLast([]byte(jwe))); pt != nil || !errors.Is(err, crypto.ErrJOSEDecrypt) {
		t.Errorf("a changed JWE: %q %v", pt, err)
	}
	// Each key does its own job only.
	if _, err := j.svc.JOSESign("enc", path, nil); !errors.As(err, new(*WrongUseError)) {
		t.Errorf("signing with an encryption key: %v", err)
	}
	if _, err := j.svc.JOSEEncrypt(bg, "sig", "", nil); !errors.As(err, new(*WrongUseError)) {
		t.Errorf("encrypting to a signing key: %v", err)
	}
	if _, err := j.svc.JOSESign("sig", "", nil); !errors.Is(err, ErrUsage) {
		t.Errorf("signing without a url: %v", err)
	}
	if _, err := j.svc.JOSESign("sig", "v1/no-slash", nil); !errors.Is(err, ErrUsage) {
		t.Errorf("signing for a url that is not a path: %v", err)
	}
	// Against Wise's keys, by the client's name.
	toWise, err := j.svc.JOSEEncrypt(bg, "app", "/v1/cases", []byte("hi"))
	if err != nil {
		t.Fatal(err)
	}
	if wh, _ := crypto.PeekJOSEHeader(toWise); wh.URL != "/v1/cases" || wh.Alg != "RSA-OAEP-256" {
		t.Errorf("to Wise: %+v", wh)
	}
	// A signature by our own key is no signature of Wise's.
	if _, _, err := j.svc.JOSEVerify(bg, "app", path, []byte(jws)); !errors.As(err, new(*TokenRefusedError)) {
		t.Errorf("our JWS verified as Wise's: %v", err)
	}
}

func TestAnExpiredOrMissingKeyRefusesBeforeAnythingIsSent(t *testing.T) {
	t.Parallel()
	j := newJOSEFixture(t, localwise.Config{})
	if _, err := j.svc.JOSEPlayground(bg, "app", PlaygroundJWS, "m"); !errors.As(err, new(*NoJOSEKeyError)) {
		t.Errorf("no key: %v", err)
	}
	if _, err := j.svc.JOSEKeygen(bg, JOSEKeyInput{Name: "sig", Use: "sig", For: "app", ValidFor: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.svc.JOSEPlayground(bg, "app", PlaygroundJWS, "m"); !errors.As(err, new(*NotUploadedError)) {
		t.Errorf("not uploaded: %v", err)
	}
	j.upload("sig")
	j.playground(PlaygroundJWS, "m")
	before := j.srv.Stats().Requests
	j.clock.Set(2 * time.Hour)
	for what, call := range map[string]func() error{
		"playground": func() error { return errOf(j.svc.JOSEPlayground(bg, "app", PlaygroundJWS, "m")) },
		"sign":       func() error { return errOf(j.svc.JOSESign("sig", "/v1/x", nil)) },
		"upload":     func() error { return errOf(j.svc.JOSEUpload(bg, "sig")) },
	} {
		var ee *ExpiredKeyError
		if err := call(); !errors.As(err, &ee) || !strings.Contains(err.Error(), "nothing was sent") {
			t.Errorf("%s with an expired key: %v", what, err)
		}
	}
	if after := j.srv.Stats().Requests; after != before {
		t.Errorf("%d requests reached localwise with an expired key", after-before)
	}
	if st := j.view("sig").StatusAt(j.clock.Now()); st != "expired" {
		t.Errorf("an expired key's status: %s", st)
	}
	// The mode and the message are checked before anything else too.
	if _, err := j.svc.JOSEPlayground(bg, "app", "jwt", "m"); !errors.Is(err, ErrUsage) {
		t.Errorf("an unknown mode: %v", err)
	}
	if _, err := j.svc.JOSEPlayground(bg, "app", PlaygroundJWE, strings.Repeat("x", 101)); !errors.Is(err, ErrMessageTooLong) {
		t.Errorf("a long message: %v", err)
	}
	if after := j.srv.Stats().Requests; after != before {
		t.Errorf("%d requests reached localwise", after-before)
	}
}

func TestATamperedResponseIsAnErrorNeverData(t *testing.T) {
	t.Parallel()
	j := newJOSEFixture(t, localwise.Config{})
	j.ready()
	j.playground(PlaygroundJWS, "first") // Wise's keys fetched and stored
	fetched := j.tr.keyGets.Load()
	j.tr.tamper.Store(true)
	for _, mode := range []string{PlaygroundJWS, PlaygroundJWE, PlaygroundJWSJWE, PlaygroundJWEDirect} {
		r, err := j.svc.JOSEPlayground(bg, "app", mode, "canary-message-4711")
		if !errors.Is(err, wise.ErrResponseRefused) {
			t.Errorf("%s: a tampered answer gave %v", mode, err)
		}
		if r.Answer != nil {
			t.Errorf("%s: the answer of a refused response was returned: %s", mode, r.Answer)
		}
		if err != nil && strings.Contains(err.Error(), "canary-message-4711") {
			t.Errorf("%s: the error holds the message", mode)
		}
		if names := stepNames(r); len(names) == 0 || names[len(names)-1] != wise.StepReceived && names[len(names)-1] != wise.StepRefetchedKey {
			t.Errorf("%s: steps %v: the last should be the response received (or the key fetched again)", mode, names)
		}
	}
	// Only a failed signature makes Wise's signing key worth fetching
	// again, once per call (jws; jwsjwe's tampered tag fails before).
	if n := j.tr.keyGets.Load() - fetched; n != 1 {
		t.Errorf("Wise's key fetched %d times for the tampered answers, want 1", n)
	}
}

func TestAUserTokenIsRefusedForTheKeyEndpoints(t *testing.T) {
	t.Parallel()
	j := newJOSEFixture(t, localwise.Config{})
	j.regLogin("app", "alice", "alice@example.test")
	tok, err := j.svc.AccessToken(bg, "alice")
	if err != nil {
		t.Fatal(err)
	}
	v := j.keygen("sig", "sig", "")
	pub, _ := crypto.ParsePublicKeyPEM([]byte(v.PublicKey))
	der, _ := crypto.PublicDER(pub)
	api := wise.NewClient(j.base, nil)
	_, err = api.UploadKey(bg, tok, wise.KeyUpload{KeyID: v.KeyID, Scope: wise.ScopeSigning, Alg: crypto.ES256, ValidFrom: *v.ValidFrom, ValidTill: *v.ValidTill, Material: der})
	var ae *wise.APIError
	if !errors.As(err, &ae) || ae.Status/100 != 4 {
		t.Errorf("an upload with a user token: %v", err)
	}
	if _, err := api.WiseKey(bg, tok, wise.ScopeSigning, crypto.ES512, 0); !errors.As(err, &ae) || ae.Status/100 != 4 {
		t.Errorf("Wise's key with a user token: %v", err)
	}
	// The use case always takes the client's own client-credentials token.
	if up := j.upload("sig"); up.Scope != wise.ScopeSigning || up.KeyID != v.KeyID || !j.saved("sig").Uploaded {
		t.Errorf("uploaded %+v", up)
	}
}

// previousKey is the rotated entry's previous private key.
func (j *joseFixture) previousKey(name string) crypto.Secret {
	j.t.Helper()
	return j.saved(name).Secret(wallet.SecretPreviousKey)
}

// signedPlayground calls localwise's jws playground with a request signed
// by key (kid), through the wise client, with app's token.
func (j *joseFixture) signedPlayground(keyPEM crypto.Secret, alg crypto.JOSEAlg, kid string) error {
	j.t.Helper()
	key, err := crypto.ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		j.t.Fatal(err)
	}
	c := j.saved("app")
	tok, err := j.svc.AccessToken(bg, "app")
	if err != nil {
		j.t.Fatal(err)
	}
	wk, _, err := parseWiseKeys(c)
	if err != nil {
		j.t.Fatal(err)
	}
	api := wise.NewClient(j.base, nil)
	api.Retries = 0
	_, err = api.JOSE(bg, wise.JOSECall{Method: "POST", Path: wise.JOSEPlaygroundPath + "jws", Mode: wise.JOSEJWS, Body: []byte(`{"message":"m"}`),
		Token: tok, Now: j.clock.Now(), Keys: wise.JOSEKeys{Sign: key, SignAlg: alg, SignKeyID: kid, WiseVerify: wk.verify}})
	return err
}

func TestRotationKeepsBothKeysWorkingDuringTheOverlapOnly(t *testing.T) {
	t.Parallel()
	j := newJOSEFixture(t, localwise.Config{JOSEOverlap: time.Hour})
	j.ready()
	j.playground(PlaygroundJWSJWE, "before")
	old := j.saved("sig")
	oldEnc := j.saved("enc")
	rot, err := j.svc.JOSERotate(bg, "sig", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.svc.JOSERotate(bg, "enc", time.Hour); err != nil {
		t.Fatal(err)
	}
	cur := j.saved("sig")
	if !rot.Uploaded || rot.PrevKeyID != old.KeyID || rot.KeyID == old.KeyID || cur.KeyID != rot.KeyID || cur.PrevKeyID != old.KeyID ||
		!cur.Uploaded || !cur.PrevUploaded || cur.PrevPublicKey != old.PublicKey || !cur.PrevRetiresAt.Equal(rot.ValidFrom.Add(time.Hour)) {
		t.Fatalf("rotated %+v\nentry %+v", rot, cur.Key)
	}
	if !cur.Secret(wallet.SecretPreviousKey).Equal(old.Secret(wallet.SecretPrivateKey)) || cur.Secret(wallet.SecretPrivateKey).Equal(old.Secret(wallet.SecretPrivateKey)) {
		t.Fatal("the previous key is not the old one, or the new one is")
	}
	// Both visible: the countdowns are the previous key's end, then the new key's.
	v := j.view("sig")
	if cd := v.Countdowns(); len(cd) != 2 || cd[0].Kind != PreviousKeyRetires || cd[1].Kind != KeyValidity || !v.ExpiresAt().Equal(*v.ValidTill) {
		t.Errorf("countdowns %+v, expires %v", cd, v.ExpiresAt())
	}
	if d := rot.ValidTill.Sub(rot.ValidFrom); d != DefaultJOSEValidity {
		t.Errorf("the new key is valid for %s, want as long as the first (%s)", d, DefaultJOSEValidity)
	}
	if _, err := j.svc.JOSERotate(bg, "sig", time.Hour); !errors.As(err, new(*RotationUnderwayError)) {
		t.Errorf("a second rotation during the overlap: %v", err)
	}
	// During the overlap localwise takes both signing keys...
	if err := j.signedPlayground(j.previousKey("sig"), crypto.ES256, old.KeyID); err != nil {
		t.Errorf("the previous key during the overlap: %v", err)
	}
	if err := j.signedPlayground(cur.Secret(wallet.SecretPrivateKey), crypto.ES256, cur.KeyID); err != nil {
		t.Errorf("the new key during the overlap: %v", err)
	}
	// ...and the playground, signing with the new key and decrypting with
	// whichever key localwise chose.
	r := j.playground(PlaygroundJWSJWE, "during")
	if r.Steps[0].Header.KeyID != cur.KeyID {
		t.Errorf("signed with %s during the overlap, want the new key", r.Steps[0].Header.KeyID)
	}
	if kid := r.Steps[2].Header.KeyID; kid != oldEnc.KeyID && kid != j.saved("enc").KeyID {
		t.Errorf("answer encrypted to %s", kid)
	}
	// After the overlap, at localwise: only the new key.
	j.lw.Set(2 * time.Hour)
	err = j.signedPlayground(j.previousKey("sig"), crypto.ES256, old.KeyID)
	var ae *wise.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest {
		t.Errorf("the previous key after the overlap: %v", err)
	}
	if err := j.signedPlayground(cur.Secret(wallet.SecretPrivateKey), crypto.ES256, cur.KeyID); err != nil {
		t.Errorf("the new key after the overlap: %v", err)
	}
	// And here, once the service's clock is past it too, the previous
	// private key is wiped; its id and dates stay as a record.
	j.clock.Set(2 * time.Hour)
	r = j.playground(PlaygroundJWSJWE, "after")
	names, err := j.svc.JOSERetire(bg)
	if err != nil || len(names) != 0 {
		t.Errorf("JOSERetire after the playground: %v %v (the playground should have retired them)", names, err)
	}
	for _, n := range []string{"sig", "enc"} {
		e := j.saved(n)
		if !e.Secret(wallet.SecretPreviousKey).IsZero() || e.PrevKeyID == "" || e.PrevRetiresAt == nil {
			t.Errorf("%s after the overlap: previous key held %v, record %q %v", n, !e.Secret(wallet.SecretPreviousKey).IsZero(), e.PrevKeyID, e.PrevRetiresAt)
		}
		if cd := j.view(n).Countdowns(); len(cd) != 1 || cd[0].Kind != KeyValidity {
			t.Errorf("%s: countdowns after the overlap %+v", n, cd)
		}
	}
	// A new rotation may start now, as long again.
	if rot, err := j.svc.JOSERotate(bg, "sig", 0); err != nil || rot.ValidTill.Sub(rot.ValidFrom) != DefaultJOSEValidity {
		t.Errorf("a rotation after the overlap: %+v %v", rot, err)
	}
}

func TestAnEncryptionKeysPreviousKeyDecryptsUntilItIsWiped(t *testing.T) {
	t.Parallel()
	j := newJOSEFixture(t, localwise.Config{})
	j.keygen("enc", "enc", "")
	old, err := j.svc.JOSEEncrypt(bg, "enc", "", []byte("for the old key"))
	if err != nil {
		t.Fatal(err)
	}
	rot, err := j.svc.JOSERotate(bg, "enc", 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if rot.Uploaded {
		t.Error("a key never uploaded was uploaded by its rotation")
	}
	if pt, _, err := j.svc.JOSEDecrypt("enc", []byte(old)); err != nil || string(pt) != "for the old key" {
		t.Fatalf("the previous key during the overlap: %q %v", pt, err)
	}
	j.clock.Set(time.Hour)
	if _, _, err := j.svc.JOSEDecrypt("enc", []byte(old)); !errors.Is(err, crypto.ErrJOSEKeyID) {
		t.Errorf("the previous key after the overlap: %v", err)
	}
	if !j.saved("enc").Secret(wallet.SecretPreviousKey).IsZero() {
		t.Error("the previous private key is still stored after its retirement")
	}
}

func TestRotationWaitsForTheNewKeysUploadBeforeWipingTheOld(t *testing.T) {
	t.Parallel()
	j := newJOSEFixture(t, localwise.Config{})
	j.keygen("sig", "sig", "")
	j.upload("sig")
	// The new key's upload fails: localwise is gone for a moment.
	j.tr.base = failingTransport{}
	_, err := j.svc.JOSERotate(bg, "sig", time.Minute)
	var nu *RotatedNotUploadedError
	if !errors.As(err, &nu) {
		t.Fatalf("a rotation whose upload failed: %v", err)
	}
	j.tr.base = j.tr.real
	if e := j.saved("sig"); e.Uploaded || !e.PrevUploaded || e.Secret(wallet.SecretPreviousKey).IsZero() {
		t.Fatalf("after the failed upload: %+v", e.Key)
	}
	j.clock.Set(time.Hour)
	if names, err := j.svc.JOSERetire(bg); err != nil || len(names) != 0 || j.saved("sig").Secret(wallet.SecretPreviousKey).IsZero() {
		t.Fatalf("the only key Wise knows was wiped: %v %v", names, err)
	}
	if _, err := j.svc.JOSEPlayground(bg, "app", PlaygroundJWS, "m"); !errors.As(err, new(*NotUploadedError)) {
		t.Errorf("a call with the new key not uploaded: %v", err)
	}
	j.upload("sig")
	if !j.saved("sig").Secret(wallet.SecretPreviousKey).IsZero() {
		t.Error("the upload of the new key did not retire the previous one past its time")
	}
}

// changedPayload is jws with another payload and the same signature.
func changedPayload(jws, payload string) string {
	parts := strings.Split(jws, ".")
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(payload))
	return strings.Join(parts, ".")
}

type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("connection refused (test)")
}

func TestWisesKeysAreFetchedAgainOnceAfterLocalwiseRotatesThem(t *testing.T) {
	t.Parallel()
	j := newJOSEFixture(t, localwise.Config{})
	j.ready()
	j.playground(PlaygroundJWSJWE, "first")
	v1 := j.saved("app")
	if v1.WiseSigningVersion != 1 || v1.WiseEncryptionVersion != 1 {
		t.Fatalf("stored versions %d/%d", v1.WiseSigningVersion, v1.WiseEncryptionVersion)
	}
	// Localwise signs with a new key: the answer names version 2, which
	// is not stored; the key is fetched once and the same answer verified.
	if _, err := j.srv.RotateJOSEKey(wise.ScopeSigning, false); err != nil {
		t.Fatal(err)
	}
	gets, calls := j.tr.keyGets.Load(), j.tr.jose.Load()
	r2 := j.playground(PlaygroundJWS, "after a signing rotation")
	r := r2
	if n := j.tr.keyGets.Load() - gets; n != 1 {
		t.Errorf("Wise's signing key fetched %d times, want once", n)
	}
	if n := j.tr.jose.Load() - calls; n != 1 {
		t.Errorf("the request was sent %d times: an answer is verified again, not asked for again", n)
	}
	if !slices.Contains(stepNames(r), wise.StepRefetchedKey) || r.Steps[len(r.Steps)-1].Header.Version != 2 {
		t.Errorf("steps %+v", r.Steps)
	}
	if c := j.saved("app"); c.WiseSigningVersion != 2 {
		t.Errorf("stored signing version %d after the re-fetch", c.WiseSigningVersion)
	}
	// Localwise decrypts with a new key only: the request to the stored
	// key gets Wise's generic 500; the key is fetched once and the request
	// encrypted to it and sent again.
	if _, err := j.srv.RotateJOSEKey(wise.ScopeEncryption, false); err != nil {
		t.Fatal(err)
	}
	gets, calls = j.tr.keyGets.Load(), j.tr.jose.Load()
	r = j.playground(PlaygroundJWE, "after an encryption rotation")
	if n := j.tr.keyGets.Load() - gets; n != 1 {
		t.Errorf("Wise's encryption key fetched %d times, want once", n)
	}
	if n := j.tr.jose.Load() - calls; n != 2 {
		t.Errorf("the request was sent %d times, want twice (to the old key, then to the new)", n)
	}
	if c := j.saved("app"); c.WiseEncryptionVersion != 2 {
		t.Errorf("stored encryption version %d after the re-fetch", c.WiseEncryptionVersion)
	}
	if got := strings.Join(stepNames(r), ", "); got != strings.Join([]string{wise.StepEncrypted, wise.StepRefetchedKey, wise.StepEncrypted, wise.StepReceived, wise.StepDecrypted}, ", ") {
		t.Errorf("steps %s", got)
	}
	// JOSEVerify by the client's name re-fetches the same way: with a
	// stale key stored (version 1), an answer signed by version 2.
	signed := r2.Steps[1].Result
	err := j.w.Update(bg, func(c *wallet.Contents) error {
		e, err := c.Get("app")
		e.WiseSigningKey, e.WiseSigningVersion = v1.WiseSigningKey, v1.WiseSigningVersion
		if err == nil {
			err = c.Put(e)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	gets = j.tr.keyGets.Load()
	pt, h, err := j.svc.JOSEVerify(bg, "app", "", []byte(signed))
	if err != nil || !strings.Contains(string(pt), "after a signing rotation") || h.Version != 2 || j.tr.keyGets.Load()-gets != 1 {
		t.Errorf("verify with a stale key of Wise's: %q %+v %v, %d fetches", pt, h, err, j.tr.keyGets.Load()-gets)
	}
}

func TestNoJOSESecretInAnyErrorOrView(t *testing.T) {
	t.Parallel()
	j := newJOSEFixture(t, localwise.Config{})
	cw := newCanaryWorld(t, j.srv, j.base)
	j.addClient("cn", "canary-app", cw.clientSecret, cw.redirect, true)
	for _, n := range []string{"s", "e"} {
		use := map[string]string{"s": JOSEUseSig, "e": JOSEUseEnc}[n]
		if _, err := j.svc.JOSEKeygen(bg, JOSEKeyInput{Name: n, Use: use, For: "cn"}); err != nil {
			t.Fatal(err)
		}
		if _, err := j.svc.JOSEUpload(bg, n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := j.svc.JOSERotate(bg, "s", time.Hour); err != nil {
		t.Fatal(err)
	}
	const message = "CANARY-playground-message"
	if _, err := j.svc.JOSEPlayground(bg, "cn", PlaygroundJWSJWE, message); err != nil {
		t.Fatal(err)
	}
	cw.learn(j.w)
	// Private keys: also their base64 bodies alone, in case a PEM is cut.
	for _, e := range j.w.Entries() {
		for _, f := range []string{wallet.SecretPrivateKey, wallet.SecretPreviousKey} {
			if pem := e.Secret(f).RevealString(); pem != "" {
				lines := strings.Split(strings.TrimSpace(pem), "\n")
				cw.secrets = append(cw.secrets, strings.Join(lines[1:len(lines)-1], ""), lines[1])
			}
		}
	}
	errs := map[string]error{}
	record := func(name string, err error) { errs[name] = err }
	j.tr.tamper.Store(true)
	for _, mode := range PlaygroundModes {
		r, err := j.svc.JOSEPlayground(bg, "cn", mode, message)
		record("tampered "+mode, err)
		b, _ := json.Marshal(r)
		assertNoSecret(t, "the steps of a tampered "+mode, string(b), cw.secrets...)
	}
	j.tr.tamper.Store(false)
	record("second upload", errOf(j.svc.JOSEUpload(bg, "e")))
	record("rotation under way", errOf(j.svc.JOSERotate(bg, "s", time.Hour)))
	record("verify tampered", errOf3(j.svc.JOSEVerify(bg, "s", "", []byte("eyJhbGciOiJFUzI1NiJ9.e30.AAAA"))))
	record("decrypt garbage", errOf3(j.svc.JOSEDecrypt("e", []byte("a.b.c.d.e"))))
	record("long message", errOf(j.svc.JOSEPlayground(bg, "cn", PlaygroundJWS, strings.Repeat(message, 5))))
	j.addClient("wrong", "canary-app", cw.wrong, cw.redirect, false)
	record("wise keys, wrong secret", errOf(j.svc.JOSEWiseKeys(bg, "wrong")))
	j.srv.SetFaults(localwise.Faults{Fail5xx: 10})
	j.clock.Set(13 * time.Hour) // the cached token is due: a token call fails too
	record("playground, 500s", errOf(j.svc.JOSEPlayground(bg, "cn", PlaygroundJWS, message)))
	j.srv.SetFaults(localwise.Faults{})
	for name, err := range errs {
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		assertErrNoSecret(t, name, err, cw.secrets...)
	}
	for _, v := range j.svc.Entries() {
		b, _ := json.Marshal(v)
		assertNoSecret(t, "view "+v.Name, string(b)+fmt.Sprintf("%+v", v), cw.secrets...)
		for _, f := range v.Describe() {
			assertNoSecret(t, "description of "+v.Name, f.Label+f.Text, cw.secrets...)
		}
	}
}

// errOf3 keeps the error of a (value, value, error) result.
func errOf3[A, B any](_ A, _ B, err error) error { return err }

func TestAnUploadWhoseAnswerWasLostIsTakenAsDone(t *testing.T) {
	t.Parallel()
	j := newJOSEFixture(t, localwise.Config{})
	j.keygen("sig", "sig", "")
	j.tr.loseUpload.Store(true)
	up := j.upload("sig") // the retry is refused as a duplicate: the first one landed
	if !j.saved("sig").Uploaded || up.KeyID != j.view("sig").KeyID {
		t.Fatalf("uploaded %+v", up)
	}
	if keys := j.srv.ClientJOSEKeys(localwise.DemoClientID); len(keys) != 1 {
		t.Errorf("localwise holds %d keys", len(keys))
	}
	// A plain second upload is still Wise's refusal.
	var ae *wise.APIError
	if _, err := j.svc.JOSEUpload(bg, "sig"); !errors.As(err, &ae) || ae.Status != http.StatusConflict {
		t.Errorf("a second upload: %v", err)
	}
}

func TestThePlaygroundUsesTheKeyAskedForOrTheNewest(t *testing.T) {
	t.Parallel()
	j := newJOSEFixture(t, localwise.Config{})
	j.addClient("other", localwise.DemoClientID, localwise.DemoClientSecret, localwise.DemoRedirectURL, false)
	j.keygen("a", "sig", "")
	j.upload("a")
	j.clock.Set(2 * time.Second)
	j.keygen("b", "sig", "ES384")
	j.upload("b")
	if r := j.playground(PlaygroundJWS, "m"); r.Steps[0].Header.KeyID != j.view("b").KeyID {
		t.Errorf("signed with %s, want the newest key b", r.Steps[0].Header.KeyID)
	}
	r, err := j.svc.JOSEPlaygroundWith(bg, JOSEPlaygroundInput{Client: "app", Mode: PlaygroundJWS, Message: "m", Key: "a"})
	if err != nil || r.Steps[0].Header.KeyID != j.view("a").KeyID {
		t.Errorf("with key a: %v, signed with %+v", err, r.Steps)
	}
	if _, err := j.svc.JOSEPlaygroundWith(bg, JOSEPlaygroundInput{Client: "other", Mode: PlaygroundJWS, Message: "m", Key: "a"}); !errors.Is(err, ErrNotClientsKey) {
		t.Errorf("another client's key: %v", err)
	}
}

// A cached client-credentials token Wise rejects (401) is fetched again
// once for the JOSE key endpoints, as for the registration login: an
// upload and a fetch of Wise's keys go through instead of failing for up
// to 12 h (issue 13).
func TestJOSEKeyEndpointsRenewARejectedClientToken(t *testing.T) {
	j := newJOSEFixture(t, localwise.Config{})
	cached := secretOf(t, j.saved("app"), wallet.SecretAccessToken)
	if cached == "" {
		t.Fatal("the checked client cached no token; the test would prove nothing")
	}
	j.keygen("sig", JOSEUseSig, "")
	j.srv.RevokeClientTokens()
	j.upload("sig")
	renewed := secretOf(t, j.saved("app"), wallet.SecretAccessToken)
	if renewed == cached || renewed == "" {
		t.Fatal("the rejected client token was not replaced")
	}
	j.srv.RevokeClientTokens()
	if _, err := j.svc.JOSEWiseKeys(bg, "app"); err != nil {
		t.Fatalf("wise-keys after Wise rejected the cached token: %v", err)
	}
	if again := secretOf(t, j.saved("app"), wallet.SecretAccessToken); again == renewed {
		t.Fatal("wise-keys did not replace the rejected token")
	}
}
