package localwise

// Rotation: of a client's uploaded keys (the overlap) and of localwise's
// own keys, and the admin endpoints that drive and show them.

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestJOSEClientKeyRotation: a client uploads a new key of a scope; during
// the overlap both the old and the new key verify (and responses go to the
// new encryption key), after it only the new one does.
func TestJOSEClientKeyRotation(t *testing.T) {
	j := setupJOSE(t, Config{JOSEOverlap: 2 * time.Hour})
	c := j.c
	if got := j.s.JOSEOverlap(); got != 2*time.Hour {
		t.Fatalf("overlap %s", got)
	}
	j.clock.Advance(24 * time.Hour)
	c.token = clientToken(t, j.base, testClientID, testClientSecret)
	now := j.clock.Now()
	newSig, newEnc, newKey := newUUID(), newUUID(), mustEC(t)
	from := now.Truncate(time.Second)
	if r := c.upload(newSig, scopeSigning, "ES256", &newKey.PublicKey, from, from.Add(365*24*time.Hour)); r.status != http.StatusCreated {
		t.Fatal(r.status)
	}
	if r := c.upload(newEnc, scopeEncryption, algRSAOAEP256, &joseRSA(1).PublicKey, from, from.Add(365*24*time.Hour)); r.status != http.StatusCreated {
		t.Fatal(r.status)
	}
	play := func(kid string, key *ecdsa.PrivateKey) result {
		return c.play(http.MethodPost, pathJWS, "jws", signCompact(t, jwsHeader("ES256", kid, pathJWS), key, message("r")))
	}
	wise := c.signingKey(0)
	check := func(when string) {
		t.Helper()
		for _, k := range []struct {
			kid string
			key *ecdsa.PrivateKey
		}{{sigKID, ecKey("ES256")}, {newSig, newKey}, {"", ecKey("ES256")}, {"", newKey}} {
			_, payload := verifyES512(t, wise, wantJOSE(t, play(k.kid, k.key)))
			wantAnswer(t, payload, "r", http.MethodPost)
		}
		// Responses go to the new encryption key already.
		h, _ := openCompact(t, joseRSA(1), nil, wantJOSE(t, c.play(http.MethodGet, pathJWE, "jwe", "")))
		if h["kid"] != newEnc {
			t.Errorf("%s: response encrypted to %v, want the new key %s", when, h["kid"], newEnc)
		}
	}
	check("at the upload")
	j.clock.Advance(2*time.Hour - time.Second)
	check("a second before the overlap ends")
	keys := j.s.ClientJOSEKeys(testClientID)
	end := from.Add(2 * time.Hour).Format(joseTimeLayout)
	for _, k := range keys {
		wantEnd := k.KeyID == sigKID || k.KeyID == encKID
		if got := k.DeactivationTimestamp; wantEnd != (got != nil) || got != nil && *got != end {
			t.Errorf("key %s: deactivationTimestamp %v, want %v", k.KeyID, got, wantEnd)
		}
	}
	j.clock.Advance(time.Second)
	wantJWSError(t, play(sigKID, ecKey("ES256")), "was deactivated at "+end)
	wantJWSError(t, play("", ecKey("ES256")), "signature does not verify with the key "+newSig)
	_, payload := verifyES512(t, wise, wantJOSE(t, play(newSig, newKey)))
	wantAnswer(t, payload, "r", http.MethodPost)
	for _, k := range j.s.ClientJOSEKeys(testClientID) {
		if want := k.KeyID == newSig || k.KeyID == newEnc; k.Active != want {
			t.Errorf("key %s active %v, want %v", k.KeyID, k.Active, want)
		}
	}

	// Overlap 0 (set over the admin endpoint): the old key ends as the
	// new one becomes valid.
	r := adminPost(t, j.base, "/__localwise/jose/overlap", `{"overlap":"0s"}`)
	if r.status != http.StatusOK || r.str("overlap") != "0s" {
		t.Fatalf("set overlap: %d %s", r.status, r.body)
	}
	third := newUUID()
	if r := c.upload(third, scopeSigning, "ES256", &ecKey("ES256").PublicKey, j.clock.Now(), j.clock.Now().Add(time.Hour)); r.status != http.StatusCreated {
		t.Fatal(r.status)
	}
	wantJWSError(t, play(newSig, newKey), "was deactivated")
	wantJOSE(t, play(third, ecKey("ES256")))
}

func adminPost(t *testing.T, base, path, body string) result {
	t.Helper()
	req := newRequest(t, http.MethodPost, base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return do(t, req)
}

// TestJOSEServerKeyRotation: localwise rotates its own keys; responses are
// signed with the new version and name it, old versions stay fetchable,
// and a request encrypted to a retired key gets the generic 500 so the
// client fetches the key again.
func TestJOSEServerKeyRotation(t *testing.T) {
	j := setupJOSE(t, Config{})
	c := j.c
	v1Sig, v1Enc := c.signingKey(0), c.encryptionKey(0)
	jws := func() string {
		return wantJOSE(t, c.play(http.MethodPost, pathJWS, "jws", signCompact(t, jwsHeader("ES256", sigKID, pathJWS), ecKey("ES256"), message("k"))))
	}
	if h, _ := verifyES512(t, v1Sig, jws()); h["version"] != 1.0 {
		t.Fatalf("header %v", h)
	}
	r := adminPost(t, j.base, "/__localwise/jose/keys/rotate", `{"scope":"PAYLOAD_SIGNING"}`)
	var keys JOSEKeys
	if err := json.Unmarshal(r.body, &keys); r.status != http.StatusOK || err != nil || len(keys.Signing) != 2 || len(keys.Encryption) != 1 || !keys.Signing[1].Current || keys.Signing[0].Current {
		t.Fatalf("rotate signing: %d %s", r.status, r.body)
	}
	v2Sig := c.signingKey(0)
	if v2Sig.Equal(v1Sig) || !c.signingKey(1).Equal(v1Sig) || !c.signingKey(2).Equal(v2Sig) {
		t.Fatal("versions after the rotation")
	}
	if h, _ := verifyES512(t, v2Sig, jws()); h["version"] != 2.0 {
		t.Fatalf("header after rotation %v", h)
	}

	old := func() string {
		return encryptCompact(t, v1Enc, map[string]any{"alg": jweAlg, "enc": jweEnc}, nil, message("old"))
	}
	oldTok := old()
	// Rotating with keep_previous: both versions decrypt.
	r = adminPost(t, j.base, "/__localwise/jose/keys/rotate", `{"scope":"PAYLOAD_ENCRYPTION","keep_previous":true}`)
	keys = JOSEKeys{} // a decode into used slices would keep omitted fields
	if err := json.Unmarshal(r.body, &keys); r.status != http.StatusOK || err != nil || len(keys.Encryption) != 2 || !keys.Encryption[0].Decrypts || !keys.Encryption[1].Decrypts {
		t.Fatalf("rotate encryption, keeping: %d %s", r.status, r.body)
	}
	v2Enc := c.encryptionKey(0)
	for _, pub := range []*rsa.PublicKey{v1Enc, v2Enc} {
		tok := encryptCompact(t, pub, map[string]any{"alg": jweAlg, "enc": jweEnc}, nil, message("both"))
		_, p := openCompact(t, joseRSA(0), nil, wantJOSE(t, c.play(http.MethodPost, pathJWE, "jwe", tok)))
		wantAnswer(t, p, "both", http.MethodPost)
	}
	// Rotating again without: only the newest decrypts.
	r = adminPost(t, j.base, "/__localwise/jose/keys/rotate", `{}`)
	keys = JOSEKeys{}
	if err := json.Unmarshal(r.body, &keys); r.status != http.StatusOK || err != nil || len(keys.Signing) != 3 || len(keys.Encryption) != 3 ||
		keys.Encryption[0].Decrypts || keys.Encryption[1].Decrypts || !keys.Encryption[2].Decrypts {
		t.Fatalf("rotate both: %d %s", r.status, r.body)
	}
	wantDecryptError(t, c.play(http.MethodPost, pathJWE, "jwe", oldTok), "decryption failed")
	wantDecryptError(t, c.play(http.MethodPost, pathJWE, "jwe", encryptCompact(t, v1Enc, map[string]any{"alg": jweAlg, "enc": jweEnc, "kid": keys.Encryption[0].KeyID}, nil, message("old"))), "names no encryption key")
	// The client fetches the key again and is answered.
	tok := encryptCompact(t, c.encryptionKey(0), map[string]any{"alg": jweAlg, "enc": jweEnc, "kid": keys.Encryption[2].KeyID}, nil, message("new"))
	_, p := openCompact(t, joseRSA(0), nil, wantJOSE(t, c.play(http.MethodPost, pathJWE, "jwe", tok)))
	wantAnswer(t, p, "new", http.MethodPost)
	if !c.encryptionKey(1).Equal(v1Enc) {
		t.Error("version 1 of the encryption key is no longer fetchable")
	}

	// The Go API does the same, and refuses a scope it does not know.
	k, err := j.s.RotateJOSEKey(scopeSigning, false)
	if err != nil || k.Version != 4 || !k.Current {
		t.Fatalf("RotateJOSEKey: %+v %v", k, err)
	}
	if _, err := j.s.RotateJOSEKey("SIGNING", false); err == nil {
		t.Error("an unknown scope was rotated")
	}
	if r := adminPost(t, j.base, "/__localwise/jose/keys/rotate", `{"scope":"SIGNING"}`); r.status != http.StatusUnprocessableEntity {
		t.Errorf("unknown scope over HTTP: %d %s", r.status, r.body)
	}
}

func TestJOSEAdminEndpoints(t *testing.T) {
	j := setupJOSE(t, Config{})
	get := func(path string) result { return do(t, newRequest(t, http.MethodGet, j.base+path, nil)) }
	r := get("/__localwise/jose/keys")
	var keys JOSEKeys
	if err := json.Unmarshal(r.body, &keys); r.status != http.StatusOK || err != nil || len(keys.Signing) != 1 || keys.Overlap != "24h0m0s" {
		t.Fatalf("keys: %d %s", r.status, r.body)
	}
	if keys.Signing[0].KeyMaterial != derB64(t, j.c.signingKey(0)) {
		t.Error("the admin list and the key endpoint give different keys")
	}
	r = get("/__localwise/jose/clients/" + testClientID + "/keys")
	var list struct {
		ClientID string          `json:"client_id"`
		Keys     []JOSEClientKey `json:"keys"`
	}
	if err := json.Unmarshal(r.body, &list); r.status != http.StatusOK || err != nil || list.ClientID != testClientID || len(list.Keys) != 2 ||
		list.Keys[0].KeyID != sigKID || list.Keys[1].KeyID != encKID || !list.Keys[0].Active || list.Keys[0].DeactivationTimestamp != nil {
		t.Fatalf("client keys: %d %s", r.status, r.body)
	}
	if r := get("/__localwise/jose/clients/" + otherClientID + "/keys"); r.status != http.StatusOK || !strings.Contains(string(r.body), `"keys":[]`) {
		t.Errorf("client without keys: %d %s", r.status, r.body)
	}
	if r := get("/__localwise/jose/clients/nobody/keys"); r.status != http.StatusNotFound {
		t.Errorf("unknown client: %d %s", r.status, r.body)
	}
	if r := get("/__localwise/jose/overlap"); r.status != http.StatusOK || r.str("overlap") != "24h0m0s" {
		t.Errorf("overlap: %d %s", r.status, r.body)
	}
	for _, body := range []string{`{"overlap":"-1h"}`, `{"overlap":"forever"}`, `{"overlap":"87601h"}`, `{}`} {
		if r := adminPost(t, j.base, "/__localwise/jose/overlap", body); r.status != http.StatusUnprocessableEntity {
			t.Errorf("overlap %s: %d %s", body, r.status, r.body)
		}
	}
	if r := adminPost(t, j.base, "/__localwise/jose/overlap", `{`); r.status != http.StatusBadRequest {
		t.Errorf("overlap not JSON: %d", r.status)
	}
	// The admin guard covers them: no form POST, no other origin.
	for _, path := range []string{"/__localwise/jose/keys/rotate", "/__localwise/jose/overlap"} {
		req := newRequest(t, http.MethodPost, j.base+path, strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "text/plain")
		if r := do(t, req); r.status != http.StatusForbidden {
			t.Errorf("text/plain POST %s: %d", path, r.status)
		}
		req = newRequest(t, http.MethodPost, j.base+path, strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", "http://evil.example")
		if r := do(t, req); r.status != http.StatusForbidden {
			t.Errorf("cross-origin POST %s: %d", path, r.status)
		}
	}
	if keys, _ := j.s.JOSEServerKeys(); len(keys.Signing) != 1 {
		t.Error("a refused rotation rotated")
	}
	// Admin endpoints are not counted and not faulted.
	j.s.SetFaults(Faults{Fail5xx: 1})
	if r := get("/__localwise/jose/keys"); r.status != http.StatusOK {
		t.Errorf("admin under a fault: %d", r.status)
	}
}
