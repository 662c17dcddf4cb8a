package localwise

import (
	"bytes"
	"compress/flate"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	pathJWS    = josePlaygroundPrefix + "jws"
	pathJWE    = josePlaygroundPrefix + "jwe"
	pathDirect = josePlaygroundPrefix + "jwe-direct-encryption"
	pathJWSJWE = josePlaygroundPrefix + "jwsjwe"

	sigKID = "6f1c2a4e-9b3d-4c8e-a1f0-5d2e7b9c0a11"
	encKID = "6f1c2a4e-9b3d-4c8e-a1f0-5d2e7b9c0a12"
)

// joseSetup is a server on a test clock with the test client holding an
// ES256 signing key and an RSA encryption key, both uploaded.
type joseSetup struct {
	s     *Server
	base  string
	clock *testClock
	c     *joseClient
}

func setupJOSE(t *testing.T, cfg Config) *joseSetup {
	t.Helper()
	clock := newClock()
	cfg.Now = clock.Now
	s, base := start(t, cfg)
	c := newJOSEClient(t, base, testClientID, testClientSecret)
	c.mustUpload(sigKID, scopeSigning, "ES256", &ecKey("ES256").PublicKey, clock.Now())
	c.mustUpload(encKID, scopeEncryption, algRSAOAEP256, &joseRSA(0).PublicKey, clock.Now())
	return &joseSetup{s: s, base: base, clock: clock, c: c}
}

func jwsHeader(alg, kid, u string) map[string]any {
	h := map[string]any{"alg": alg, "url": u}
	if kid != "" {
		h["kid"] = kid
	}
	return h
}

func TestJOSEResponsePublicKeys(t *testing.T) {
	j := setupJOSE(t, Config{})
	c := j.c
	pub, r := c.serverKey(scopeSigning, "ES512", 0)
	if ec, ok := pub.(*ecdsa.PublicKey); !ok || ec.Curve.Params().Name != "P-521" {
		t.Fatalf("signing key %T, want EC P-521", pub)
	}
	if r.json["version"] != 1.0 || r.json["scope"] != scopeSigning || !uuidShape().MatchString(r.str("keyId")) {
		t.Errorf("signing key body %s", r.body)
	}
	pub, r = c.serverKey(scopeEncryption, algRSAOAEP256, 1)
	if rk, ok := pub.(*rsa.PublicKey); !ok || rk.N.BitLen() != 2048 {
		t.Fatalf("encryption key %T, want RSA 2048", pub)
	}
	if m := r.json["keyMaterial"].(map[string]any); m["algorithm"] != algRSAOAEP256 || r.json["scope"] != scopeEncryption {
		t.Errorf("encryption key body %s", r.body)
	}
	// The same key on every fetch, and under a version prefix.
	again, _ := c.serverKey(scopeSigning, "ES512", 1)
	if !again.(*ecdsa.PublicKey).Equal(c.signingKey(0)) {
		t.Error("version 1 and the newest differ before any rotation")
	}
	if r := bearer(t, http.MethodGet, j.base+"/2026Q3"+joseResponseKeysPath+"?scope=PAYLOAD_SIGNING&algorithm=ES512", c.token, nil); r.status != http.StatusOK {
		t.Errorf("versioned path: %d %s", r.status, r.body)
	}

	get := func(q string, tok string) result {
		return bearer(t, http.MethodGet, j.base+joseResponseKeysPath+q, tok, nil)
	}
	for _, b := range []struct{ name, q, path string }{
		{"no scope", "?algorithm=ES512", "scope"},
		{"no algorithm", "?scope=PAYLOAD_SIGNING", "algorithm"},
		{"unknown scope", "?scope=SIGNING&algorithm=ES512", "scope"},
		{"encryption alg for signing", "?scope=PAYLOAD_SIGNING&algorithm=RSA_OAEP_256", "algorithm"},
		{"signing alg for encryption", "?scope=PAYLOAD_ENCRYPTION&algorithm=ES512", "algorithm"},
		{"RS256", "?scope=PAYLOAD_SIGNING&algorithm=RS256", "algorithm"},
		{"header spelling", "?scope=PAYLOAD_ENCRYPTION&algorithm=RSA-OAEP-256", "algorithm"},
		{"version not a number", "?scope=PAYLOAD_SIGNING&algorithm=ES512&version=one", "version"},
		{"version zero", "?scope=PAYLOAD_SIGNING&algorithm=ES512&version=0", "version"},
	} {
		r := get(b.q, c.token)
		errs, _ := r.json["errors"].([]any)
		if r.status != http.StatusBadRequest || len(errs) == 0 || errs[0].(map[string]any)["path"] != b.path {
			t.Errorf("%s: %d %s, want 400 on %s", b.name, r.status, r.body, b.path)
		}
	}
	for name, q := range map[string]string{
		"no such version":      "?scope=PAYLOAD_SIGNING&algorithm=ES512&version=2",
		"another signing alg":  "?scope=PAYLOAD_SIGNING&algorithm=ES256",
		"version out of range": "?scope=PAYLOAD_ENCRYPTION&algorithm=RSA_OAEP_256&version=2147483647",
	} {
		if r := get(q, c.token); r.status != http.StatusNotFound || r.json["message"] == "" {
			t.Errorf("%s: %d %s, want 404", name, r.status, r.body)
		}
	}
	q := "?scope=PAYLOAD_SIGNING&algorithm=ES512"
	wantOAuthError(t, get(q, ""), http.StatusUnauthorized, "unauthorized")
	wantOAuthError(t, get(q, "0badc0de"), http.StatusUnauthorized, "invalid_token")
	wantOAuthError(t, get(q, DemoPersonalToken), http.StatusForbidden, "insufficient_scope")
	access, _ := userTokens(t, j.base)
	wantOAuthError(t, get(q, access), http.StatusForbidden, "insufficient_scope")
	if r := bearer(t, http.MethodPost, j.base+joseResponseKeysPath+q, c.token, nil); r.status != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", r.status)
	}
}

func TestJOSEUpload(t *testing.T) {
	j := setupJOSE(t, Config{})
	c, now := j.c, j.clock.Now()
	const kid = "E87DA464-8E5E-4380-8F2D-4E4E04052672"
	from, till := now.Add(-time.Hour).Truncate(time.Second), now.Add(30*24*time.Hour).Truncate(time.Second)
	r := c.upload(kid, scopeSigning, "ES512", &ecKey("ES512").PublicKey, from, till)
	if r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	want := `{"clientId":null,"keyId":"` + kid + `","scope":"PAYLOAD_SIGNING","validFrom":"` + from.Format(joseTimeLayout) +
		`","validTill":"` + till.Format(joseTimeLayout) + `","publicKeyMaterial":{"algorithm":"ES512","keyMaterial":"` +
		derB64(t, &ecKey("ES512").PublicKey) + `"},"deactivationTimestamp":null}` + "\n"
	if string(r.body) != want {
		t.Errorf("upload answer\n%s\nwant\n%s", r.body, want)
	}
	// The same id again, in either case and by either client, is refused.
	for _, cl := range []*joseClient{c, newJOSEClient(t, j.base, otherClientID, otherSecret)} {
		r := cl.upload(strings.ToLower(kid), scopeSigning, "ES512", &ecKey("ES512").PublicKey, from, till)
		if r.status != http.StatusConflict || !strings.Contains(string(r.body), `"code":"NOT_UNIQUE"`) {
			t.Errorf("duplicate keyId: %d %s", r.status, r.body)
		}
	}

	valid := func() map[string]any {
		return map[string]any{
			"keyId": newUUID(), "scope": scopeEncryption,
			"validFrom": from.Format(joseTimeLayout), "validTill": till.Format(joseTimeLayout),
			"publicKeyMaterial": map[string]any{"algorithm": algRSAOAEP256, "keyMaterial": derB64(t, &joseRSA(1).PublicKey)},
		}
	}
	if r := bearer(t, http.MethodPost, j.base+joseRequestKeysPath, c.token, valid()); r.status != http.StatusCreated {
		t.Fatalf("valid body refused: %d %s", r.status, r.body)
	}
	material := func(alg, km string) func(map[string]any) {
		return func(b map[string]any) {
			b["publicKeyMaterial"] = map[string]any{"algorithm": alg, "keyMaterial": km}
		}
	}
	rsa1024 := "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC7JHoJfg6yNzLMOWet8Z49a4KD0dCspMAYvo2YAMB7/wdEycocujbhJ2n/seONi+5XqTqqFkM5M5pVRBXP3qY2Bfqk8P5iCwCWjC/tZwsdXTsBvQlVZUM8tm8NkBAAFcg8Wv8MBOpsuNLSR4PpDLYTVuACjJSa8NbkrwCDdy+hRwIDAQAB"
	for _, b := range []struct {
		name, path string
		edit       func(map[string]any)
	}{
		{"no keyId", "keyId", func(b map[string]any) { delete(b, "keyId") }},
		{"keyId not a UUID", "keyId", func(b map[string]any) { b["keyId"] = "key-1" }},
		{"keyId with braces", "keyId", func(b map[string]any) { b["keyId"] = "{" + newUUID() + "}" }},
		{"no scope", "scope", func(b map[string]any) { delete(b, "scope") }},
		{"unknown scope", "scope", func(b map[string]any) { b["scope"] = "SIGNING" }},
		{"no validFrom", "validFrom", func(b map[string]any) { delete(b, "validFrom") }},
		{"ISO validFrom", "validFrom", func(b map[string]any) { b["validFrom"] = from.Format(time.RFC3339) }},
		{"date-only validTill", "validTill", func(b map[string]any) { b["validTill"] = till.Format("2006-01-02") }},
		{"single-digit month", "validTill", func(b map[string]any) { b["validTill"] = "2027-3-14 00:00:00" }},
		{"validTill before validFrom", "validTill", func(b map[string]any) { b["validTill"] = from.Add(-time.Second).Format(joseTimeLayout) }},
		{"validTill equal to validFrom", "validTill", func(b map[string]any) { b["validTill"] = from.Format(joseTimeLayout) }},
		{"validTill in the past", "validTill", func(b map[string]any) {
			b["validFrom"] = now.Add(-48 * time.Hour).Format(joseTimeLayout)
			b["validTill"] = now.Add(-time.Hour).Format(joseTimeLayout)
		}},
		{"no publicKeyMaterial", "publicKeyMaterial", func(b map[string]any) { delete(b, "publicKeyMaterial") }},
		{"no algorithm", "publicKeyMaterial.algorithm", material("", derB64(t, &joseRSA(1).PublicKey))},
		{"header spelling of the algorithm", "publicKeyMaterial.algorithm", material("RSA-OAEP-256", derB64(t, &joseRSA(1).PublicKey))},
		{"signing algorithm for encryption", "publicKeyMaterial.algorithm", material("PS256", derB64(t, &joseRSA(1).PublicKey))},
		{"encryption algorithm for signing", "publicKeyMaterial.algorithm", func(b map[string]any) {
			b["scope"] = scopeSigning
			material(algRSAOAEP256, derB64(t, &joseRSA(1).PublicKey))(b)
		}},
		{"RS256", "publicKeyMaterial.algorithm", func(b map[string]any) {
			b["scope"] = scopeSigning
			material("RS256", derB64(t, &joseRSA(1).PublicKey))(b)
		}},
		{"no keyMaterial", "publicKeyMaterial.keyMaterial", material(algRSAOAEP256, "")},
		{"keyMaterial not base64", "publicKeyMaterial.keyMaterial", material(algRSAOAEP256, "not base64!")},
		{"keyMaterial base64url", "publicKeyMaterial.keyMaterial", material(algRSAOAEP256,
			strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(derB64(t, &joseRSA(1).PublicKey)), "="))},
		{"keyMaterial PEM", "publicKeyMaterial.keyMaterial", material(algRSAOAEP256,
			"-----BEGIN PUBLIC KEY-----\n"+derB64(t, &joseRSA(1).PublicKey)+"\n-----END PUBLIC KEY-----")},
		{"keyMaterial not a key", "publicKeyMaterial.keyMaterial", material(algRSAOAEP256, base64.StdEncoding.EncodeToString([]byte("hello")))},
		{"EC key for encryption", "publicKeyMaterial.keyMaterial", material(algRSAOAEP256, derB64(t, &ecKey("ES256").PublicKey))},
		{"RSA 1024 for encryption", "publicKeyMaterial.keyMaterial", material(algRSAOAEP256, rsa1024)},
		{"P-256 key for ES384", "publicKeyMaterial.keyMaterial", func(b map[string]any) {
			b["scope"] = scopeSigning
			material("ES384", derB64(t, &ecKey("ES256").PublicKey))(b)
		}},
		{"RSA key for ES256", "publicKeyMaterial.keyMaterial", func(b map[string]any) {
			b["scope"] = scopeSigning
			material("ES256", derB64(t, &joseRSA(1).PublicKey))(b)
		}},
		{"EC key for PS256", "publicKeyMaterial.keyMaterial", func(b map[string]any) {
			b["scope"] = scopeSigning
			material("PS256", derB64(t, &ecKey("ES256").PublicKey))(b)
		}},
	} {
		body := valid()
		b.edit(body)
		r := bearer(t, http.MethodPost, j.base+joseRequestKeysPath, c.token, body)
		var got struct {
			Errors []fieldError `json:"errors"`
		}
		_ = json.Unmarshal(r.body, &got)
		if r.status != http.StatusUnprocessableEntity || len(got.Errors) != 1 || got.Errors[0].Path != b.path || got.Errors[0].Message == "" {
			t.Errorf("%s: %d %s, want 422 on %s alone", b.name, r.status, r.body, b.path)
		}
	}
	// Every problem at once.
	r = bearer(t, http.MethodPost, j.base+joseRequestKeysPath, c.token, map[string]any{"keyId": "x", "scope": "y", "validFrom": "z", "validTill": "w"})
	if r.status != http.StatusUnprocessableEntity || strings.Count(string(r.body), `"path"`) != 5 {
		t.Errorf("five problems: %d %s", r.status, r.body)
	}
	for name, body := range map[string]string{"not JSON": "{", "an array": "[]"} {
		req := newRequest(t, http.MethodPost, j.base+joseRequestKeysPath, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Content-Type", "application/json")
		if r := do(t, req); r.status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	wantOAuthError(t, bearer(t, http.MethodPost, j.base+joseRequestKeysPath, DemoPersonalToken, valid()), http.StatusForbidden, "insufficient_scope")
	wantOAuthError(t, bearer(t, http.MethodPost, j.base+joseRequestKeysPath, "", valid()), http.StatusUnauthorized, "unauthorized")
	if r := bearer(t, http.MethodGet, j.base+joseRequestKeysPath, c.token, nil); r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", r.status)
	}
	// What was stored.
	keys := j.s.jose.clientKeys(testClientID, "")
	if len(keys) != 4 || keys[2].keyID != kid || keys[2].alg != "ES512" || !keys[2].activeAt(now) {
		t.Errorf("stored keys: %+v", keys)
	}
}

func TestJOSEUploadKeepsAtMostFiftyKeysPerClient(t *testing.T) {
	j := setupJOSE(t, Config{})
	now := j.clock.Now()
	pub := &ecKey("ES256").PublicKey
	// Two keys are uploaded already; fill up with short-lived ones.
	for i := 2; i < maxClientJOSEKeys; i++ {
		if r := j.c.upload(newUUID(), scopeEncryption, algRSAOAEP256, &joseRSA(1).PublicKey, now.Add(-time.Minute), now.Add(time.Hour)); r.status != http.StatusCreated {
			t.Fatalf("upload %d: %d %s", i, r.status, r.body)
		}
	}
	// Uploads retire the earlier keys of their scope after the overlap,
	// so all encryption keys but the last stay active for a day: full.
	r := j.c.upload(newUUID(), scopeSigning, "ES256", pub, now.Add(-time.Minute), now.Add(time.Hour))
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), "LIMIT_REACHED") {
		t.Fatalf("51st active key: %d %s", r.status, r.body)
	}
	// Once the short-lived keys expired, they make room.
	j.clock.Advance(2 * time.Hour)
	if r := j.c.upload(newUUID(), scopeSigning, "ES256", pub, j.clock.Now(), j.clock.Now().Add(time.Hour)); r.status != http.StatusCreated {
		t.Fatalf("upload after expiry: %d %s", r.status, r.body)
	}
	if n := len(j.s.jose.clientKeys(testClientID, "")); n != maxClientJOSEKeys {
		t.Errorf("%d keys kept, want %d", n, maxClientJOSEKeys)
	}
}

// TestJOSEUploadNeverDropsAKeyScheduledToStart: keys uploaded ahead of
// their validFrom are not active yet, but they have not ended either, so
// a full client is refused rather than losing one of them.
func TestJOSEUploadNeverDropsAKeyScheduledToStart(t *testing.T) {
	j := setupJOSE(t, Config{})
	now := j.clock.Now()
	start := now.Add(time.Hour)
	for i := 2; i < maxClientJOSEKeys; i++ {
		if r := j.c.upload(newUUID(), scopeEncryption, algRSAOAEP256, &joseRSA(1).PublicKey, start, start.Add(24*time.Hour)); r.status != http.StatusCreated {
			t.Fatalf("upload %d: %d %s", i, r.status, r.body)
		}
	}
	before := j.s.jose.clientKeys(testClientID, "")
	r := j.c.upload(newUUID(), scopeSigning, "ES256", &ecKey("ES256").PublicKey, now, now.Add(time.Hour))
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), "LIMIT_REACHED") {
		t.Fatalf("upload with every key still to come or active: %d %s", r.status, r.body)
	}
	after := j.s.jose.clientKeys(testClientID, "")
	if len(after) != len(before) {
		t.Fatalf("%d keys kept, want %d", len(after), len(before))
	}
	for i := range before {
		if after[i].keyID != before[i].keyID {
			t.Errorf("key %d is %s, want %s", i, after[i].keyID, before[i].keyID)
		}
	}
}

func TestJOSEPlaygroundJWS(t *testing.T) {
	j := setupJOSE(t, Config{})
	c, now := j.c, j.clock.Now()
	// One key of every algorithm Wise lists, uploaded.
	keys := map[string]any{"ES256": ecKey("ES256"), "ES384": ecKey("ES384"), "ES512": ecKey("ES512"),
		"PS256": joseRSA(1), "PS384": joseRSA(2), "PS512": joseRSA(3)}
	kids := map[string]string{"ES256": sigKID}
	for alg, k := range keys {
		if alg == "ES256" {
			continue
		}
		kids[alg] = newUUID()
		var pub any
		switch k := k.(type) {
		case *ecdsa.PrivateKey:
			pub = &k.PublicKey
		case *rsa.PrivateKey:
			pub = &k.PublicKey
		}
		c.mustUpload(kids[alg], scopeSigning, alg, pub, now)
	}
	wise := c.signingKey(0)
	for alg, k := range keys {
		for _, kid := range []string{kids[alg], ""} {
			tok := signCompact(t, jwsHeader(alg, kid, pathJWS), k, message("hello "+alg))
			h, payload := verifyES512(t, wise, wantJOSE(t, c.play(http.MethodPost, pathJWS, "jws", tok)))
			wantAnswer(t, payload, "hello "+alg, http.MethodPost)
			if len(h) != 2 || h["version"] != 1.0 {
				t.Errorf("response header %v, want {alg: ES512, version: 1}", h)
			}
		}
	}
	// Wise's example header: typ JWT, no kid.
	tok := signCompact(t, map[string]any{"alg": "ES256", "typ": "JWT", "url": pathJWS}, ecKey("ES256"), message("This is an example from docs.wise.com"))
	_, payload := verifyES512(t, wise, wantJOSE(t, c.play(http.MethodPost, pathJWS, "jws", tok)))
	wantAnswer(t, payload, "This is an example from docs.wise.com", http.MethodPost)
	// Under a version prefix the url header is that path.
	vpath := "/2026Q3" + pathJWS
	tok = signCompact(t, jwsHeader("ES256", sigKID, vpath), ecKey("ES256"), message("v"))
	verifyES512(t, wise, wantJOSE(t, c.play(http.MethodPost, vpath, "jws", tok)))
	// Messages up to 100 characters (not bytes), and none.
	for _, m := range []string{"", strings.Repeat("m", 100), strings.Repeat("é", 100), "with \"quotes\" and <tags>"} {
		tok := signCompact(t, jwsHeader("ES256", sigKID, pathJWS), ecKey("ES256"), message(m))
		_, payload := verifyES512(t, wise, wantJOSE(t, c.play(http.MethodPost, pathJWS, "jws", tok)))
		wantAnswer(t, payload, m, http.MethodPost)
	}
	tok = signCompact(t, jwsHeader("ES256", sigKID, pathJWS), ecKey("ES256"), []byte(`{"other":1}`))
	_, payload = verifyES512(t, wise, wantJOSE(t, c.play(http.MethodPost, pathJWS, "jws", tok)))
	wantAnswer(t, payload, "", http.MethodPost)

	sign := func(h map[string]any, key any, payload []byte) string { return signCompact(t, h, key, payload) }
	good := sign(jwsHeader("ES256", sigKID, pathJWS), ecKey("ES256"), message("hi"))
	parts := strings.Split(good, ".")
	pubDER, _ := x509.MarshalPKIXPublicKey(&ecKey("ES256").PublicKey)
	unknownKID := newUUID()
	for _, b := range []struct{ name, token, reason string }{
		{"tampered signature", parts[0] + "." + parts[1] + "." + b64url(append(unb64url(t, parts[2])[:63], unb64url(t, parts[2])[63]^1)), "signature does not verify"},
		{"tampered payload", parts[0] + "." + b64url(message("ho")) + "." + parts[2], "signature does not verify"},
		{"signed by another key", sign(jwsHeader("ES256", sigKID, pathJWS), mustEC(t), message("hi")), "signature does not verify"},
		{"wrong url", sign(jwsHeader("ES256", sigKID, pathJWE), ecKey("ES256"), message("hi")), "url header"},
		{"url with the host", sign(jwsHeader("ES256", sigKID, "http://127.0.0.1"+pathJWS), ecKey("ES256"), message("hi")), "url header"},
		{"no url", sign(map[string]any{"alg": "ES256", "kid": sigKID}, ecKey("ES256"), message("hi")), "no url"},
		{"url not a string", sign(map[string]any{"alg": "ES256", "kid": sigKID, "url": 1}, ecKey("ES256"), message("hi")), "url header is not a string"},
		{"unknown kid", sign(jwsHeader("ES256", unknownKID, pathJWS), ecKey("ES256"), message("hi")), "names no PAYLOAD_SIGNING key"},
		{"kid of the encryption key", sign(jwsHeader("ES256", encKID, pathJWS), ecKey("ES256"), message("hi")), "names no PAYLOAD_SIGNING key"},
		{"kid of another algorithm", sign(jwsHeader("ES384", sigKID, pathJWS), ecKey("ES384"), message("hi")), "is for ES256, the header says ES384"},
		{"alg none", sign(jwsHeader("none", sigKID, pathJWS), nil, message("hi")), `alg "none" is not accepted`},
		{"HS256 with the public key as secret", sign(jwsHeader("HS256", sigKID, pathJWS), pubDER, message("hi")), `alg "HS256" is not accepted`},
		{"HS256 with the base64 key as secret", sign(jwsHeader("HS256", sigKID, pathJWS), []byte(derB64(t, &ecKey("ES256").PublicKey)), message("hi")), `alg "HS256" is not accepted`},
		{"RS256", sign(jwsHeader("RS256", kids["PS256"], pathJWS), joseRSA(1), message("hi")), "RS256 is not accepted"},
		{"PS256 signature under an ES256 kid", sign(jwsHeader("PS256", sigKID, pathJWS), joseRSA(1), message("hi")), "is for ES256, the header says PS256"},
		{"no active key for the alg", sign(jwsHeader("ES256", "", pathJWS), mustEC(t), message("hi")), "signature does not verify"},
		{"no alg", signWith(t, "ES256", map[string]any{"url": pathJWS, "kid": sigKID}, ecKey("ES256"), message("hi")), "has no alg"},
		{"alg not a string", signWith(t, "ES256", map[string]any{"alg": 256, "url": pathJWS, "kid": sigKID}, ecKey("ES256"), message("hi")), "alg header is not a string"},
		{"alg in lower case", signWith(t, "ES256", jwsHeader("es256", sigKID, pathJWS), ecKey("ES256"), message("hi")), `alg "es256" is not accepted`},
		{"crit", sign(map[string]any{"alg": "ES256", "kid": sigKID, "url": pathJWS, "crit": []string{"exp"}, "exp": 1}, ecKey("ES256"), message("hi")), "crit"},
		{"b64 false", sign(map[string]any{"alg": "ES256", "kid": sigKID, "url": pathJWS, "b64": false}, ecKey("ES256"), message("hi")), "b64"},
		{"zip", sign(map[string]any{"alg": "ES256", "kid": sigKID, "url": pathJWS, "zip": "DEF"}, ecKey("ES256"), message("hi")), "zip"},
		{"JSON serialization", `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`, "not a compact JWS"},
		{"two parts", parts[0] + "." + parts[1], "not a compact JWS"},
		{"a JWE", encryptCompact(t, c.encryptionKey(0), map[string]any{"alg": jweAlg, "enc": jweEnc}, nil, message("hi")), "not a compact JWS"},
		{"empty body", "", "body is empty"},
		{"header not base64url", "!!." + parts[1] + "." + parts[2], "not base64url"},
		{"header not JSON", b64url([]byte("alg ES256")) + "." + parts[1] + "." + parts[2], "not a JSON object"},
		{"header with data after it", b64url([]byte(`{"alg":"ES256"}{}`)) + "." + parts[1] + "." + parts[2], "data after"},
	} {
		t.Run(b.name, func(t *testing.T) {
			wantJWSError(t, c.play(http.MethodPost, pathJWS, "jws", b.token), b.reason)
		})
	}
	// A member named twice: this check and go-jose could read different
	// values, so it is refused before either decides.
	dup := b64url([]byte(`{"alg":"ES256","url":"` + pathJWS + `","alg":"none"}`))
	input := dup + "." + parts[1]
	wantJWSError(t, c.play(http.MethodPost, pathJWS, "jws", input+"."+b64url(rawSignature(t, "ES256", ecKey("ES256"), []byte(input)))), `names "alg" twice`)

	// The payload must be the playground's JSON, with a short message.
	for name, p := range map[string][]byte{"not JSON": []byte("hello"), "message not a string": []byte(`{"message":1}`)} {
		r := c.play(http.MethodPost, pathJWS, "jws", sign(jwsHeader("ES256", sigKID, pathJWS), ecKey("ES256"), p))
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "NOT_READABLE") {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	for _, m := range []string{strings.Repeat("m", 101), strings.Repeat("é", 101)} {
		r := c.play(http.MethodPost, pathJWS, "jws", sign(jwsHeader("ES256", sigKID, pathJWS), ecKey("ES256"), message(m)))
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), "limited to 100 characters") || !strings.Contains(string(r.body), `"path":"message"`) {
			t.Errorf("message of 101 characters: %d %s", r.status, r.body)
		}
	}
}

// mustEC is a fresh P-256 key, one no client uploaded.
func mustEC(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestJOSEPlaygroundHeadersAndAuth(t *testing.T) {
	j := setupJOSE(t, Config{})
	c := j.c
	tok := signCompact(t, jwsHeader("ES256", sigKID, pathJWS), ecKey("ES256"), message("hi"))
	std := map[string]string{"Accept": joseMediaType, "Content-Type": joseMediaType, "X-TW-JOSE-Method": "jws"}
	with := func(k, v string) map[string]string {
		h := map[string]string{}
		for a, b := range std {
			h[a] = b
		}
		h[k] = v
		return h
	}
	if r := c.playWith(http.MethodPost, pathJWS, tok, with("X-TW-JOSE-Method", "JWS")); r.status != http.StatusOK {
		t.Errorf("method header in upper case: %d %s", r.status, r.body)
	}
	if r := c.playWith(http.MethodPost, pathJWS, tok, with("Accept", "application/json, application/jose+json;q=0.9")); r.status != http.StatusOK {
		t.Errorf("Accept list: %d %s", r.status, r.body)
	}
	for _, b := range []struct {
		name    string
		headers map[string]string
		status  int
	}{
		{"no method header", with("X-TW-JOSE-Method", ""), http.StatusBadRequest},
		{"another method", with("X-TW-JOSE-Method", "jwe"), http.StatusBadRequest},
		{"no Accept", with("Accept", ""), http.StatusNotAcceptable},
		{"Accept JSON", with("Accept", "application/json"), http.StatusNotAcceptable},
		{"Accept q=0", with("Accept", "application/jose+json;q=0"), http.StatusNotAcceptable},
		{"JSON body", with("Content-Type", "application/json"), http.StatusUnsupportedMediaType},
		{"no Content-Type", with("Content-Type", ""), http.StatusUnsupportedMediaType},
	} {
		if r := c.playWith(http.MethodPost, pathJWS, tok, b.headers); r.status != b.status || !traceID.MatchString(r.header.Get("x-trace-id")) {
			t.Errorf("%s: %d %s, want %d", b.name, r.status, r.body, b.status)
		}
	}
	for path, method := range map[string]string{pathJWS: "jws", pathJWE: "jwe", pathDirect: "jwe", pathJWSJWE: "jws+jwe"} {
		wrong := "jws"
		if method == "jws" {
			wrong = "jwe"
		}
		if r := c.play(http.MethodPost, path, wrong, tok); r.status != http.StatusBadRequest || r.str("error") != "invalid_request" {
			t.Errorf("%s with X-TW-JOSE-Method %s: %d %s", path, wrong, r.status, r.body)
		}
		if r := c.play(http.MethodPut, path, method, tok); r.status != http.StatusMethodNotAllowed {
			t.Errorf("PUT %s: %d", path, r.status)
		}
		if path != pathJWE {
			if r := c.play(http.MethodGet, path, method, ""); r.status != http.StatusMethodNotAllowed {
				t.Errorf("GET %s: %d", path, r.status)
			}
		}
		// Tokens: none, bad, a user's.
		for _, b := range []struct {
			tok    string
			status int
			code   string
		}{{"", http.StatusUnauthorized, "unauthorized"}, {"0badc0de", http.StatusUnauthorized, "invalid_token"}, {DemoPersonalToken, http.StatusForbidden, "insufficient_scope"}} {
			req := newRequest(t, http.MethodPost, j.base+path, strings.NewReader(tok))
			for k, v := range std {
				req.Header.Set(k, v)
			}
			req.Header.Set("X-TW-JOSE-Method", method)
			if b.tok != "" {
				req.Header.Set("Authorization", "Bearer "+b.tok)
			}
			wantOAuthError(t, do(t, req), b.status, b.code)
		}
	}
	// A body over the cap is refused before it is read in full.
	big := strings.Repeat("A", maxBodyBytes+1)
	if r := c.play(http.MethodPost, pathJWS, "jws", big); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized JWS: %d %s", r.status, r.body)
	}
	if r := c.play(http.MethodPost, pathJWE, "jwe", big); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized JWE: %d %s", r.status, r.body)
	}
	// A signed payload of 48 KiB that fits is read, then refused for its
	// message.
	long := signCompact(t, jwsHeader("ES256", sigKID, pathJWS), ecKey("ES256"), message(strings.Repeat("x", 36<<10)))
	if r := c.play(http.MethodPost, pathJWS, "jws", long); r.status != http.StatusUnprocessableEntity {
		t.Errorf("long message: %d %s", r.status, r.body)
	}
}

func TestJOSEPlaygroundJWE(t *testing.T) {
	j := setupJOSE(t, Config{})
	c := j.c
	wise := c.encryptionKey(0)
	_, keyBody := c.serverKey(scopeEncryption, algRSAOAEP256, 0)
	wiseKID := keyBody.str("keyId")
	for name, h := range map[string]map[string]any{
		"Wise's example header": {"enc": jweEnc, "alg": jweAlg},
		"with url":              {"alg": jweAlg, "enc": jweEnc, "url": pathJWE},
		"with kid":              {"alg": jweAlg, "enc": jweEnc, "kid": wiseKID, "url": pathJWE},
		"with kid in capitals":  {"alg": jweAlg, "enc": jweEnc, "kid": strings.ToUpper(wiseKID)},
		"with cty":              {"alg": jweAlg, "enc": jweEnc, "cty": "application/json"},
	} {
		tok := encryptCompact(t, wise, h, nil, message("secret "+name))
		resp := wantJOSE(t, c.play(http.MethodPost, pathJWE, "jwe", tok))
		rh, payload := openCompact(t, joseRSA(0), nil, resp)
		wantAnswer(t, payload, "secret "+name, http.MethodPost)
		if len(rh) != 3 || rh["alg"] != jweAlg || rh["kid"] != encKID {
			t.Errorf("%s: response header %v, want alg, enc and the client's kid", name, rh)
		}
	}
	// GET: nothing to decrypt, the answer is encrypted.
	rh, payload := openCompact(t, joseRSA(0), nil, wantJOSE(t, c.play(http.MethodGet, pathJWE, "jwe", "")))
	wantAnswer(t, payload, "", http.MethodGet)
	if rh["kid"] != encKID {
		t.Errorf("GET response header %v", rh)
	}
	if r := c.play(http.MethodGet, "/2026Q3"+pathJWE, "jwe", ""); r.status != http.StatusOK {
		t.Errorf("versioned GET: %d %s", r.status, r.body)
	}

	enc := func(h map[string]any, plaintext []byte) string { return encryptCompact(t, wise, h, nil, plaintext) }
	std := map[string]any{"alg": jweAlg, "enc": jweEnc, "url": pathJWE}
	withH := func(k string, v any) map[string]any {
		h := map[string]any{}
		for a, b := range std {
			h[a] = b
		}
		if v == nil {
			delete(h, k)
		} else {
			h[k] = v
		}
		return h
	}
	good := enc(std, message("hi"))
	parts := strings.Split(good, ".")
	var deflated bytes.Buffer
	fw, _ := flate.NewWriter(&deflated, flate.BestCompression)
	fw.Write(message("hi"))
	fw.Close()
	flip := func(s string) string { b := unb64url(t, s); b[0] ^= 1; return b64url(b) }
	for _, b := range []struct{ name, token, reason string }{
		{"enc A128GCM", encryptCompact(t, wise, withH("enc", "A128GCM"), randomBytes(16), message("hi")), `enc "A128GCM" is not accepted`},
		{"enc A256CBC-HS512", enc(withH("enc", "A256CBC-HS512"), message("hi")), `enc "A256CBC-HS512" is not accepted`},
		{"alg RSA-OAEP", enc(withH("alg", "RSA-OAEP"), message("hi")), `alg "RSA-OAEP" is not accepted`},
		{"alg RSA1_5", enc(withH("alg", "RSA1_5"), message("hi")), `alg "RSA1_5" is not accepted`},
		{"alg dir", sealCompact(t, encodeHeader(withH("alg", "dir")), nil, randomBytes(32), message("hi")), `alg "dir" is not accepted`},
		{"alg none", enc(withH("alg", "none"), message("hi")), `alg "none" is not accepted`},
		{"no enc", enc(withH("enc", nil), message("hi")), "no enc"},
		{"zip", encryptCompact(t, wise, withH("zip", "DEF"), nil, deflated.Bytes()), "zip"},
		{"crit", enc(withH("crit", []string{"url"}), message("hi")), "crit"},
		{"wrong url", enc(withH("url", pathJWS), message("hi")), "url header"},
		{"unknown kid", enc(withH("kid", newUUID()), message("hi")), "names no encryption key"},
		{"the client's own kid", enc(withH("kid", encKID), message("hi")), "names no encryption key"},
		{"encrypted to another key", encryptCompact(t, &joseRSA(1).PublicKey, std, nil, message("hi")), "decryption failed"},
		{"tampered ciphertext", strings.Join([]string{parts[0], parts[1], parts[2], flip(parts[3]), parts[4]}, "."), "decryption failed"},
		{"tampered tag", strings.Join([]string{parts[0], parts[1], parts[2], parts[3], flip(parts[4])}, "."), "decryption failed"},
		{"tampered encrypted key", strings.Join([]string{parts[0], flip(parts[1]), parts[2], parts[3], parts[4]}, "."), "decryption failed"},
		{"header swapped", strings.Join([]string{encodeHeader(map[string]any{"alg": jweAlg, "enc": jweEnc}), parts[1], parts[2], parts[3], parts[4]}, "."), "decryption failed"},
		{"CEK of 16 bytes", encryptCompact(t, wise, std, randomBytes(16), message("hi")), "decryption failed"},
		{"a JWS", signCompact(t, jwsHeader("ES256", sigKID, pathJWE), ecKey("ES256"), message("hi")), "not a compact JWE"},
		{"plain JSON", string(message("hi")), "not a compact JWE"},
		{"empty body", "", "body is empty"},
	} {
		t.Run(b.name, func(t *testing.T) {
			wantDecryptError(t, c.play(http.MethodPost, pathJWE, "jwe", b.token), b.reason)
		})
	}
	// Any failure of the cryptography reads the same, so the answer says
	// nothing about which step failed.
	for _, tok := range []string{encryptCompact(t, &joseRSA(1).PublicKey, std, nil, message("hi")), strings.Join([]string{parts[0], parts[1], parts[2], flip(parts[3]), parts[4]}, ".")} {
		if got := c.play(http.MethodPost, pathJWE, "jwe", tok).header.Get(reasonHeader); got != "decryption failed" {
			t.Errorf("reason %q, want exactly \"decryption failed\"", got)
		}
	}
	for _, m := range []string{strings.Repeat("m", 101)} {
		if r := c.play(http.MethodPost, pathJWE, "jwe", enc(std, message(m))); r.status != http.StatusUnprocessableEntity {
			t.Errorf("long message: %d %s", r.status, r.body)
		}
	}
	// A client without an encryption key gets no answer it could read.
	other := newJOSEClient(t, j.base, otherClientID, otherSecret)
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		body := ""
		if method == http.MethodPost {
			body = enc(std, message("hi"))
		}
		wantOAuthError(t, other.play(method, pathJWE, "jwe", body), http.StatusBadRequest, "jwe_error")
	}
}

// directRequest makes a direct-encryption request the way the spec tells
// clients to: a random CEK wrapped to Wise's key with RSA-OAEP-256, the
// body sealed with it.
func directRequest(t *testing.T, wise *rsa.PublicKey, path string, plaintext []byte) (string, []byte) {
	cek := randomBytes(32)
	return encryptCompact(t, wise, map[string]any{"alg": jweAlg, "enc": jweEnc, "url": path}, cek, plaintext), cek
}

func TestJOSEPlaygroundDirect(t *testing.T) {
	j := setupJOSE(t, Config{})
	c := j.c
	wise := c.encryptionKey(0)
	tok, cek := directRequest(t, wise, pathDirect, []byte(`{"message":"1234"}`))
	h, payload := openCompact(t, nil, cek, wantJOSE(t, c.play(http.MethodPost, pathDirect, "jwe", tok)))
	wantAnswer(t, payload, "1234", http.MethodPost)
	if len(h) != 2 || h["alg"] != "dir" {
		t.Errorf("response header %v, want {alg: dir, enc: A256GCM}", h)
	}
	// The client that never uploaded an encryption key gets an answer:
	// direct mode needs none.
	other := newJOSEClient(t, j.base, otherClientID, otherSecret)
	tok, cek = directRequest(t, wise, pathDirect, message("pin"))
	_, payload = openCompact(t, nil, cek, wantJOSE(t, other.play(http.MethodPost, pathDirect, "jwe", tok)))
	wantAnswer(t, payload, "pin", http.MethodPost)
	// The refusals are those of JWE.
	wantDecryptError(t, c.play(http.MethodPost, pathDirect, "jwe", encryptCompact(t, &joseRSA(2).PublicKey, map[string]any{"alg": jweAlg, "enc": jweEnc}, nil, message("x"))), "decryption failed")
	wantDecryptError(t, c.play(http.MethodPost, pathDirect, "jwe", encryptCompact(t, wise, map[string]any{"alg": jweAlg, "enc": jweEnc, "url": pathJWE}, nil, message("x"))), "url header")
	if r := c.play(http.MethodPost, pathDirect, "jwe", encryptCompact(t, wise, map[string]any{"alg": jweAlg, "enc": jweEnc}, nil, message(strings.Repeat("p", 101)))); r.status != http.StatusUnprocessableEntity {
		t.Errorf("long message: %d %s", r.status, r.body)
	}
}

func TestJOSEPlaygroundJWSJWE(t *testing.T) {
	j := setupJOSE(t, Config{})
	c := j.c
	wise, wiseSig := c.encryptionKey(0), c.signingKey(0)
	nested := func(h map[string]any, key any, m []byte) string {
		return encryptCompact(t, wise, map[string]any{"alg": jweAlg, "enc": jweEnc}, nil, []byte(signCompact(t, h, key, m)))
	}
	resp := wantJOSE(t, c.play(http.MethodPost, pathJWSJWE, "jws+jwe", nested(jwsHeader("ES256", sigKID, pathJWSJWE), ecKey("ES256"), message("both"))))
	eh, inner := openCompact(t, joseRSA(0), nil, resp)
	if eh["kid"] != encKID || eh["alg"] != jweAlg {
		t.Errorf("outer header %v", eh)
	}
	sh, payload := verifyES512(t, wiseSig, string(inner))
	wantAnswer(t, payload, "both", http.MethodPost)
	if sh["version"] != 1.0 {
		t.Errorf("inner header %v", sh)
	}
	// The signature is checked inside, the encryption outside.
	wantJWSError(t, c.play(http.MethodPost, pathJWSJWE, "jws+jwe", nested(jwsHeader("ES256", sigKID, pathJWS), ecKey("ES256"), message("x"))), "url header")
	wantJWSError(t, c.play(http.MethodPost, pathJWSJWE, "jws+jwe", nested(jwsHeader("ES256", sigKID, pathJWSJWE), mustEC(t), message("x"))), "signature does not verify")
	wantJWSError(t, c.play(http.MethodPost, pathJWSJWE, "jws+jwe", nested(jwsHeader("HS256", sigKID, pathJWSJWE), []byte("secret"), message("x"))), `alg "HS256"`)
	wantJWSError(t, c.play(http.MethodPost, pathJWSJWE, "jws+jwe", encryptCompact(t, wise, map[string]any{"alg": jweAlg, "enc": jweEnc}, nil, message("not signed"))), "not a compact JWS")
	wantDecryptError(t, c.play(http.MethodPost, pathJWSJWE, "jws+jwe", signCompact(t, jwsHeader("ES256", sigKID, pathJWSJWE), ecKey("ES256"), message("x"))), "not a compact JWE")
	wantDecryptError(t, c.play(http.MethodPost, pathJWSJWE, "jws+jwe", encryptCompact(t, &joseRSA(3).PublicKey, map[string]any{"alg": jweAlg, "enc": jweEnc}, nil, []byte("x.y.z"))), "decryption failed")
	if r := c.play(http.MethodPost, pathJWSJWE, "jws+jwe", nested(jwsHeader("ES256", sigKID, pathJWSJWE), ecKey("ES256"), message(strings.Repeat("m", 101)))); r.status != http.StatusUnprocessableEntity {
		t.Errorf("long message: %d %s", r.status, r.body)
	}
}

func TestJOSEClientKeyValidity(t *testing.T) {
	j := setupJOSE(t, Config{})
	c, now := j.c, j.clock.Now()
	later, soon := newUUID(), newUUID()
	if r := c.upload(later, scopeSigning, "ES384", &ecKey("ES384").PublicKey, now.Add(time.Hour), now.Add(48*time.Hour)); r.status != http.StatusCreated {
		t.Fatal(r.status)
	}
	if r := c.upload(soon, scopeSigning, "ES512", &ecKey("ES512").PublicKey, now.Add(-time.Hour), now.Add(10*time.Minute)); r.status != http.StatusCreated {
		t.Fatal(r.status)
	}
	play := func(alg, kid string) result {
		return c.play(http.MethodPost, pathJWS, "jws", signCompact(t, jwsHeader(alg, kid, pathJWS), ecKey(alg), message("t")))
	}
	wantJWSError(t, play("ES384", later), "is not valid before")
	wantJWSError(t, play("ES384", ""), "no active PAYLOAD_SIGNING key for ES384")
	wantJOSE(t, play("ES512", soon))
	j.clock.Advance(10 * time.Minute)
	wantJWSError(t, play("ES512", soon), "expired at")
	j.clock.Advance(time.Hour)
	wantJOSE(t, play("ES384", later))
	wantJOSE(t, play("ES384", ""))
	// The encryption key's validity decides whether there is anything to
	// encrypt an answer to.
	j.clock.Advance(400 * 24 * time.Hour)
	c.token = clientToken(t, j.base, testClientID, testClientSecret)
	wantOAuthError(t, c.play(http.MethodGet, pathJWE, "jwe", ""), http.StatusBadRequest, "jwe_error")
}

func TestJOSEFaultsAndTraceIDs(t *testing.T) {
	j := setupJOSE(t, Config{})
	c := j.c
	tok := signCompact(t, jwsHeader("ES256", sigKID, pathJWS), ecKey("ES256"), message("f"))
	j.s.SetFaults(Faults{Fail5xx: 1, FailStatus: 503})
	if r := c.play(http.MethodPost, pathJWS, "jws", tok); r.status != http.StatusServiceUnavailable || r.str("message") != "localwise injected fault" {
		t.Errorf("injected 503: %d %s", r.status, r.body)
	}
	j.s.SetFaults(Faults{RateLimit: 1, RetryAfter: 3})
	if r := c.play(http.MethodGet, pathJWE, "jwe", ""); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "3" {
		t.Errorf("injected 429: %d %v", r.status, r.header)
	}
	j.s.SetFaults(Faults{RateLimit: 1})
	if r := bearer(t, http.MethodGet, j.base+joseResponseKeysPath+"?scope=PAYLOAD_SIGNING&algorithm=ES512", c.token, nil); r.status != http.StatusTooManyRequests {
		t.Errorf("key endpoint under a rate limit: %d", r.status)
	}
	wantJOSE(t, c.play(http.MethodPost, pathJWS, "jws", tok))
	// Every answer and refusal carries its own trace id; a correlation id
	// is echoed.
	seen := map[string]bool{}
	for _, r := range []result{
		c.play(http.MethodPost, pathJWS, "jws", tok),
		c.play(http.MethodPost, pathJWS, "jws", "x"),
		c.play(http.MethodPost, pathJWE, "jwe", "x"),
		c.play(http.MethodGet, pathJWE, "jwe", ""),
		c.play(http.MethodPost, pathJWS, "", tok),
		bearer(t, http.MethodGet, j.base+joseResponseKeysPath, c.token, nil),
		bearer(t, http.MethodPost, j.base+joseRequestKeysPath, c.token, map[string]string{}),
	} {
		id := r.header.Get("x-trace-id")
		if !traceID.MatchString(id) || seen[id] {
			t.Errorf("%d: x-trace-id %q", r.status, id)
		}
		seen[id] = true
	}
	r := c.playWith(http.MethodPost, pathJWS, tok, map[string]string{"Accept": joseMediaType, "Content-Type": joseMediaType,
		"X-TW-JOSE-Method": "jws", correlationHeader: "corr-1"})
	if r.header.Get(correlationHeader) != "corr-1" {
		t.Errorf("correlation id not echoed: %v", r.header)
	}
}

// Wise's documented request examples are refused for what they are:
// signed and encrypted with Wise's test keys, not this client's.
func TestJOSEWiseExamplesAreRefused(t *testing.T) {
	j := setupJOSE(t, Config{})
	const jwsExample = "eyJhbGciOiJFUzUxMiIsInR5cCI6IkpXVCIsInVybCI6Ii92MS9hdXRoL2pvc2UvcGxheWdyb3VuZC9qd3MifQ.eyJtZXNzYWdlIjoiVGhpcyBpcyBhbiBleGFtcGxlIGZyb20gZG9jcy53aXNlLmNvbSJ9.AS9QHdkWvUEn0LxQEMPRBzlceN78J-Le-Qm1XIkkSBpsGdc0WM0MZTIGFEAJEcWeUR2M-abtd5DRdar4hLzs9apPAQ-GT70SIDV6pX9-4UKfIfzJ4g305zCoHflTfn-ijvI7XrVR_yr7xO9GJo86bfBqAX_m5uuxyU7Jy9gM1epd8HcC"
	wantJWSError(t, j.c.play(http.MethodPost, pathJWS, "jws", jwsExample), "no active PAYLOAD_SIGNING key for ES512")
	c := newJOSEClient(t, j.base, otherClientID, otherSecret)
	c.mustUpload(newUUID(), scopeSigning, "ES512", &ecKey("ES512").PublicKey, j.clock.Now())
	wantJWSError(t, c.play(http.MethodPost, pathJWS, "jws", jwsExample), "signature does not verify")
	const jweExample = "eyJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAtMjU2In0.W_WPBDXclMryaywqAB-_yC1hUYukKmZxByhE9d1G8hClc2HpewkryILGJW4uVTUeRdo1oVWd68TPIqi7bqMGUsrT-3MI4ggVSjC1rf8Lf1xTZ8-GHjSPso8tFBXnydOKzggi6fnfk98BIW76Rnxkn6sW79LH5NgN1spTOoh8-tI3i_wbHdqJOxTReaUNMYZobm7wxedZcRxhsaSrVqx2qdELeqkfwgvB1DRbHTF_PTe4W0ibMbcJivHjiDf6oAV9vXgVhYb66rhB43pgdFDv4nY1mkQC45R5T6CBdzv80EdAVOj1G4bktHyJWaJzHVsGozpxsNj3bt1AopyvDO8tsw.WLOO5WH4ZpBPi-8B.0g3eUpQPvRIaTbgUi6sH0WejsJ1nLWDGnDKTktZrkquLQlCMmIguj0I5UCyqXEo.URtTniRvfGxrKRLK63trug"
	wantDecryptError(t, j.c.play(http.MethodPost, pathJWE, "jwe", jweExample), "decryption failed")
}

// TestJOSEConcurrentFirstUse: many requests meet a server whose keys are
// not made yet; all get the same keys, and uploads and playgrounds run
// side by side (run with -race).
func TestJOSEConcurrentFirstUse(t *testing.T) {
	_, base := start(t, Config{})
	c := newJOSEClient(t, base, testClientID, testClientSecret)
	const n = 8
	sigs := make([]string, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kid := newUUID()
			r := c.upload(kid, scopeSigning, "ES256", &ecKey("ES256").PublicKey, time.Now().Add(-time.Minute), time.Now().Add(time.Hour))
			if r.status != http.StatusCreated {
				errs <- fmt.Errorf("upload %d: %d %s", i, r.status, r.body)
				return
			}
			_, kr := c.serverKey(scopeSigning, "ES512", 0)
			sigs[i] = string(kr.body)
			tok := signCompact(t, jwsHeader("ES256", kid, pathJWS), ecKey("ES256"), message("c"))
			if r := c.play(http.MethodPost, pathJWS, "jws", tok); r.status != http.StatusOK {
				errs <- fmt.Errorf("play %d: %d %s", i, r.status, r.body)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range sigs {
		if sigs[i] != sigs[0] {
			t.Fatalf("two versions of the first key: %s and %s", sigs[0], sigs[i])
		}
	}
}
