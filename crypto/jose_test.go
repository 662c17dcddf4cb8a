package crypto

import (
	"bytes"
	stdcrypto "crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// joseKeys caches one key per algorithm (RSA generation is slow under
// -race); the PS algorithms and RSA-OAEP-256 share RSA 2048 keys by role.
var joseKeys = struct {
	sync.Mutex
	m map[string]stdcrypto.Signer
}{m: map[string]stdcrypto.Signer{}}

// joseKey returns the cached key named name (any string) for alg.
func joseKey(t testing.TB, alg JOSEAlg, name string) stdcrypto.Signer {
	t.Helper()
	id := string(alg) + "/" + name
	if alg != ES256 && alg != ES384 && alg != ES512 {
		id = "rsa/" + name
	}
	joseKeys.Lock()
	defer joseKeys.Unlock()
	if k, ok := joseKeys.m[id]; ok {
		return k
	}
	k, err := GenerateJOSEKey(alg, "")
	if err != nil {
		t.Fatalf("GenerateJOSEKey(%s): %v", alg, err)
	}
	joseKeys.m[id] = k
	return k
}

func rsaKey(t testing.TB, name string) *rsa.PrivateKey {
	return joseKey(t, RSAOAEP256, name).(*rsa.PrivateKey)
}

var (
	b64u     = base64.RawURLEncoding
	testNow  = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)
	testURL  = "/v1/auth/jose/playground/jws"
	testBody = []byte(`{"message":"hello"}`)
)

// headerOf decodes a token's protected header into a generic map, to check
// exactly which members our side wrote.
func headerOf(t *testing.T, token string) map[string]any {
	t.Helper()
	first, _, _ := strings.Cut(token, ".")
	raw, err := b64u.DecodeString(first)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func keysOfMap(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestJWSRoundTripEveryAlg(t *testing.T) {
	for _, alg := range SigningAlgs {
		t.Run(string(alg), func(t *testing.T) {
			key := joseKey(t, alg, "a")
			kid := NewKeyID()
			token, err := SignJWS(key, alg, kid, testURL, testBody)
			if err != nil {
				t.Fatal(err)
			}
			h := headerOf(t, token)
			if got := keysOfMap(h); !slices.Equal(got, []string{"alg", "kid", "url"}) {
				t.Fatalf("header members %v, want alg, kid, url", got)
			}
			if h["alg"] != string(alg) || h["kid"] != kid || h["url"] != testURL {
				t.Fatalf("header %v", h)
			}
			vk := []VerifyKey{{Key: key.Public(), KeyID: kid, Alg: alg}}
			payload, hdr, err := VerifyJWS(token, vk, SigningAlgs, testURL, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(payload, testBody) {
				t.Fatalf("payload %q", payload)
			}
			if hdr != (JOSEHeader{Alg: string(alg), KeyID: kid, URL: testURL}) {
				t.Fatalf("header %+v", hdr)
			}
			// The private key works as the verification key too (its
			// public half is used), and a trailing newline is tolerated.
			vk[0].Key = key
			if _, _, err := VerifyJWS(token+"\n", vk, []JOSEAlg{alg}, testURL, testNow); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSignJWSLeavesOutEmptyKidAndURL(t *testing.T) {
	key := joseKey(t, ES256, "a")
	token, err := SignJWS(key, ES256, "", "", testBody)
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOfMap(headerOf(t, token)); !slices.Equal(got, []string{"alg"}) {
		t.Fatalf("header members %v, want only alg", got)
	}
}

// Tokens and SPKI keys made by nimbus-jose-jwt (Java), from go-jose's test
// suite: a third party's ES256/384/512 output, keys in Wise's keyMaterial
// form (base64 of SPKI DER).
var nimbusVectors = []struct {
	alg   JOSEAlg
	key   string
	token string
}{
	{ES256, "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEIg62jq6FyL1otEj9Up7S35BUrwGF9TVrAzrrY1rHUKZqYIGEg67u/imjgadVcr7y9Q32I0gB8W8FHqbqt696rA==",
		"eyJhbGciOiJFUzI1NiJ9.TG9yZW0gaXBzdW0gZG9sb3Igc2l0IGFtZXQ.MEWJVlvGRQyzMEGOYm4rwuiwxrX-6LjnlbaRDAuhwmnBm2Gtn7pRpGXRTMFZUXsSGDz2L1p-Hz1qn8j9bFIBtQ"},
	{ES384, "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEPXsVlqCtN2oTY+F+hFZm3M0ldYpb7IeeJM5wYmT0k1RaqzBFDhDMNnYK5Q5x+OyssZrAtHgYDFw02AVJhhng/eHRp7mqmL/vI3wbxJtrLKYldIbBA+9fYBQcKeibjlu5",
		"eyJhbGciOiJFUzM4NCJ9.TG9yZW0gaXBzdW0gZG9sb3Igc2l0IGFtZXQ.nbdjPnJPYQtVNNdBIx8-KbFKplTxrz-hnW5UNhYUY7SBkwHK4NZnqc2Lv4DXoA0aWHq9eiypgOh1kmyPWGEmqKAHUx0xdIEkBoHk3ZsbmhOQuq2jL_wcMUG6nTWNhLrB"},
	{ES512, "MIGbMBAGByqGSM49AgEGBSuBBAAjA4GGAAQAa2w3MMJ5FWD6tSf68G+Wy5jIhWXOD3IA7pE5IC/myQzo1lWcD8KS57SM6nm4POtPcxyLmDhL7FLuh8DKoIZyvtAAdK8+tOQP7XXRlT2bkvzIuazp05It3TAPu00YzTIpKfDlc19Y1lvf7etrbFqhShD92B+hHmhT4ddrdbPCBDW8hvU=",
		"eyJhbGciOiJFUzUxMiJ9.TG9yZW0gaXBzdW0gZG9sb3Igc2l0IGFtZXQ.AeYNFC1rwIgQv-5fwd8iRyYzvTaSCYTEICepgu9gRId-IW99kbSVY7yH0MvrQnqI-a0L8zwKWDR35fW5dukPAYRkADp3Y1lzqdShFcEFziUVGo46vqbiSajmKFrjBktJcCsfjKSaLHwxErF-T10YYPCQFHWb2nXJOOI3CZfACYqgO84g"},
}

func TestJWSThirdPartyVectors(t *testing.T) {
	for _, v := range nimbusVectors {
		t.Run(string(v.alg), func(t *testing.T) {
			pub, err := ParsePublicDER(v.key)
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckJOSEKey(v.alg, pub); err != nil {
				t.Fatal(err)
			}
			keys := []VerifyKey{{Key: pub, Version: 1, Alg: v.alg}}
			payload, _, err := VerifyJWS(v.token, keys, SigningAlgs, "", testNow)
			if err != nil || string(payload) != "Lorem ipsum dolor sit amet" {
				t.Fatalf("VerifyJWS = %q, %v", payload, err)
			}
			// The same token with one signature bit changed is refused.
			b := []byte(v.token)
			b[len(b)-3] ^= 0x01
			if _, _, err := VerifyJWS(string(b), keys, SigningAlgs, "", testNow); !errors.Is(err, ErrJOSESignature) {
				t.Fatalf("tampered vector: %v", err)
			}
		})
	}
}

// rawJWS assembles a compact JWS from a header JSON, a payload and a
// signature, for tokens no honest signer makes.
func rawJWS(header string, payload, sig []byte) string {
	return b64u.EncodeToString([]byte(header)) + "." + b64u.EncodeToString(payload) + "." + b64u.EncodeToString(sig)
}

func TestVerifyJWSRefusals(t *testing.T) {
	es := joseKey(t, ES256, "a")
	esPub := es.Public()
	kid := "11111111-1111-4111-8111-111111111111"
	good, err := SignJWS(es, ES256, kid, testURL, testBody)
	if err != nil {
		t.Fatal(err)
	}
	keys := []VerifyKey{{Key: esPub, KeyID: kid, Alg: ES256}}
	parts := strings.Split(good, ".")
	pubDER, err := PublicDER(esPub)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := MarshalPublicKeyPEM(esPub)
	if err != nil {
		t.Fatal(err)
	}
	rsaPriv := rsaKey(t, "a")

	flip := func(s string, i int) string {
		b, _ := b64u.DecodeString(s)
		b[i] ^= 0x80
		return b64u.EncodeToString(b)
	}
	hs256 := func(secret []byte, header string) string {
		return indepSign(t, "HS256", secret, []byte(header), testBody)
	}
	bigPayload := bytes.Repeat([]byte("a"), MaxJOSEInput)

	cases := []struct {
		name    string
		token   string
		keys    []VerifyKey
		algs    []JOSEAlg
		url     string
		now     time.Time
		wantErr error
	}{
		{"tampered signature", parts[0] + "." + parts[1] + "." + flip(parts[2], 5), keys, SigningAlgs, testURL, testNow, ErrJOSESignature},
		{"tampered payload", parts[0] + "." + b64u.EncodeToString([]byte(`{"message":"hellp"}`)) + "." + parts[2], keys, SigningAlgs, testURL, testNow, ErrJOSESignature},
		{"tampered header", b64u.EncodeToString([]byte(`{"alg":"ES256","kid":"`+kid+`","url":"/v1/other"}`)) + "." + parts[1] + "." + parts[2], keys, SigningAlgs, "/v1/other", testNow, ErrJOSESignature},
		{"wrong url", good, keys, SigningAlgs, "/v1/auth/jose/playground/jwe", testNow, ErrJOSEURL},
		{"url with a query added", good, keys, SigningAlgs, testURL + "?a=1", testNow, ErrJOSEURL},
		{"no url when one is wanted", mustSign(t, es, ES256, kid, "", testBody), keys, SigningAlgs, testURL, testNow, ErrJOSEURL},
		{"unknown kid", good, []VerifyKey{{Key: esPub, KeyID: "other", Alg: ES256}}, SigningAlgs, testURL, testNow, ErrJOSEKeyID},
		{"unknown version", indepSign(t, ES256, es, []byte(`{"alg":"ES256","version":3}`), testBody), []VerifyKey{{Key: esPub, Version: 2, Alg: ES256}}, SigningAlgs, "", testNow, ErrJOSEKeyID},
		{"no keys", good, nil, SigningAlgs, testURL, testNow, ErrJOSEKeyID},
		{"expired key", good, []VerifyKey{{Key: esPub, KeyID: kid, Alg: ES256, NotAfter: testNow.Add(-time.Second)}}, SigningAlgs, testURL, testNow, ErrJOSEKeyExpired},
		{"key not yet valid", good, []VerifyKey{{Key: esPub, KeyID: kid, Alg: ES256, NotBefore: testNow.Add(time.Second)}}, SigningAlgs, testURL, testNow, ErrJOSEKeyExpired},
		{"alg none", rawJWS(`{"alg":"none","kid":"`+kid+`","url":"`+testURL+`"}`, testBody, nil), keys, SigningAlgs, testURL, testNow, ErrJOSEAlg},
		{"alg none in the caller's list", rawJWS(`{"alg":"none"}`, testBody, nil), keys, []JOSEAlg{"none", ES256}, "", testNow, ErrJOSEAlg},
		{"HS256 keyed with the public key's DER", hs256([]byte(pubDER), `{"alg":"HS256","kid":"`+kid+`"}`), keys, SigningAlgs, "", testNow, ErrJOSEAlg},
		{"HS256 keyed with the public key's PEM, HS256 in the caller's list", hs256(pubPEM, `{"alg":"HS256","kid":"`+kid+`"}`), keys, []JOSEAlg{"HS256", ES256}, "", testNow, ErrJOSEAlg},
		{"RS256", indepSign(t, "RS256", rsaPriv, []byte(`{"alg":"RS256"}`), testBody), []VerifyKey{{Key: rsaPriv.Public(), Alg: PS256}}, SigningAlgs, "", testNow, ErrJOSEAlg},
		{"alg outside the caller's list", good, keys, []JOSEAlg{ES512}, testURL, testNow, ErrJOSEAlg},
		{"alg other than the key's", mustSign(t, joseKey(t, ES384, "a"), ES384, kid, testURL, testBody), []VerifyKey{{Key: esPub, KeyID: kid, Alg: ES256}}, SigningAlgs, testURL, testNow, ErrJOSEAlg},
		{"key of another type than its alg", mustSign(t, rsaPriv, PS256, kid, testURL, testBody), []VerifyKey{{Key: esPub, KeyID: kid, Alg: PS256}}, SigningAlgs, testURL, testNow, ErrJOSEAlg},
		{"signed by another key", mustSign(t, joseKey(t, ES256, "b"), ES256, kid, testURL, testBody), keys, SigningAlgs, testURL, testNow, ErrJOSESignature},
		{"zip", indepSign(t, ES256, es, []byte(`{"alg":"ES256","zip":"DEF"}`), testBody), []VerifyKey{{Key: esPub, Alg: ES256}}, SigningAlgs, "", testNow, ErrJOSECompressed},
		{"crit", indepSign(t, ES256, es, []byte(`{"alg":"ES256","crit":["b64"],"b64":false}`), testBody), []VerifyKey{{Key: esPub, Alg: ES256}}, SigningAlgs, "", testNow, ErrJOSEMalformed},
		{"duplicate alg", indepSign(t, ES256, es, []byte(`{"alg":"ES256","alg":"none"}`), testBody), []VerifyKey{{Key: esPub, Alg: ES256}}, SigningAlgs, "", testNow, ErrJOSEMalformed},
		{"fractional version", indepSign(t, ES256, es, []byte(`{"alg":"ES256","version":1.5}`), testBody), []VerifyKey{{Key: esPub, Version: 1, Alg: ES256}}, SigningAlgs, "", testNow, ErrJOSEMalformed},
		{"kid not a string", indepSign(t, ES256, es, []byte(`{"alg":"ES256","kid":7}`), testBody), keys, SigningAlgs, "", testNow, ErrJOSEMalformed},
		{"two parts", parts[0] + "." + parts[1], keys, SigningAlgs, testURL, testNow, ErrJOSEMalformed},
		{"JSON serialization", `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`, keys, SigningAlgs, testURL, testNow, ErrJOSEMalformed},
		{"header not base64url", "e30+." + parts[1] + "." + parts[2], keys, SigningAlgs, testURL, testNow, ErrJOSEMalformed},
		{"empty", "", keys, SigningAlgs, testURL, testNow, ErrJOSEMalformed},
		{"oversized", mustSignLarge(t, es, bigPayload), []VerifyKey{{Key: esPub, Alg: ES256}}, SigningAlgs, "", testNow, ErrJOSETooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			payload, _, err := VerifyJWS(c.token, c.keys, c.algs, c.url, c.now)
			if !errors.Is(err, c.wantErr) || !errors.Is(err, ErrJOSE) {
				t.Fatalf("VerifyJWS = %v; want %v", err, c.wantErr)
			}
			if payload != nil {
				t.Fatalf("a refused token returned a payload: %q", payload)
			}
		})
	}
	// The good token itself passes: the refusals above are the changes.
	if _, _, err := VerifyJWS(good, keys, SigningAlgs, testURL, testNow); err != nil {
		t.Fatal(err)
	}
}

func mustSign(t *testing.T, key stdcrypto.Signer, alg JOSEAlg, kid, url string, payload []byte) string {
	t.Helper()
	s, err := SignJWS(key, alg, kid, url, payload)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mustSignLarge signs a payload our signer refuses (over the cap), with the
// independent signer.
func mustSignLarge(t *testing.T, key stdcrypto.Signer, payload []byte) string {
	t.Helper()
	if _, err := SignJWS(key, ES256, "", "", append(payload, 'x')); !errors.Is(err, ErrJOSETooLarge) {
		t.Fatalf("SignJWS over the cap = %v; want ErrJOSETooLarge", err)
	}
	return indepSign(t, ES256, key, []byte(`{"alg":"ES256"}`), payload)
}

func TestVerifyJWSKeySelection(t *testing.T) {
	a, b := joseKey(t, ES512, "a"), joseKey(t, ES512, "b")
	keys := []VerifyKey{
		{Key: a.Public(), KeyID: "ka", Version: 1, Alg: ES512},
		{Key: b.Public(), KeyID: "kb", Version: 2, Alg: ES512},
	}
	check := func(name, token string) {
		t.Helper()
		if p, _, err := VerifyJWS(token, keys, []JOSEAlg{ES512}, "", testNow); err != nil || !bytes.Equal(p, testBody) {
			t.Errorf("%s: %q, %v", name, p, err)
		}
	}
	check("by kid", mustSign(t, b, ES512, "kb", "", testBody))
	// Wise's answers carry {"version":N,"alg":"ES512"} and no kid.
	check("by version", indepSign(t, ES512, b, []byte(`{"version":2,"alg":"ES512"}`), testBody))
	check("neither: each key tried", mustSign(t, b, ES512, "", "", testBody))
	check("kid known by none, version by one", indepSign(t, ES512, b, []byte(`{"alg":"ES512","kid":"wise-key","version":2}`), testBody))
	if _, _, err := VerifyJWS(indepSign(t, ES512, b, []byte(`{"alg":"ES512","kid":"wise-key","version":3}`), testBody), keys, SigningAlgs, "", testNow); !errors.Is(err, ErrJOSEKeyID) {
		t.Errorf("kid and version both unknown: %v", err)
	}
	// A version that names a key is not rescued by another key either.
	if _, _, err := VerifyJWS(indepSign(t, ES512, b, []byte(`{"alg":"ES512","version":1}`), testBody), keys, SigningAlgs, "", testNow); !errors.Is(err, ErrJOSESignature) {
		t.Errorf("mislabelled version: %v", err)
	}
	// A kid names one key: a token signed by b but labelled ka is refused,
	// not rescued by trying b.
	if _, _, err := VerifyJWS(mustSign(t, b, ES512, "ka", "", testBody), keys, SigningAlgs, "", testNow); !errors.Is(err, ErrJOSESignature) {
		t.Errorf("mislabelled kid: %v", err)
	}
	// During a rotation overlap the old key still verifies, until it ends.
	old := []VerifyKey{{Key: a.Public(), KeyID: "ka", Alg: ES512, NotAfter: testNow.Add(time.Hour)}}
	tok := mustSign(t, a, ES512, "ka", "", testBody)
	if _, _, err := VerifyJWS(tok, old, SigningAlgs, "", testNow); err != nil {
		t.Errorf("within validity: %v", err)
	}
	if _, _, err := VerifyJWS(tok, old, SigningAlgs, "", testNow.Add(2*time.Hour)); !errors.Is(err, ErrJOSEKeyExpired) {
		t.Errorf("after validity: %v", err)
	}
}

func TestJWERoundTrip(t *testing.T) {
	k1, k2 := rsaKey(t, "a"), rsaKey(t, "b")
	keys := []DecryptKey{{Key: k1, KeyID: "k1"}, {Key: k2, KeyID: "k2"}}
	url := "/v1/auth/jose/playground/jwe"
	token, err := EncryptJWE(&k2.PublicKey, "k2", url, testBody)
	if err != nil {
		t.Fatal(err)
	}
	h := headerOf(t, token)
	if got := keysOfMap(h); !slices.Equal(got, []string{"alg", "enc", "kid", "url"}) {
		t.Fatalf("header members %v", got)
	}
	if h["alg"] != "RSA-OAEP-256" || h["enc"] != "A256GCM" || h["kid"] != "k2" || h["url"] != url {
		t.Fatalf("header %v", h)
	}
	pt, hdr, err := DecryptJWE(token, keys)
	if err != nil || !bytes.Equal(pt, testBody) {
		t.Fatalf("DecryptJWE = %q, %v", pt, err)
	}
	if hdr != (JOSEHeader{Alg: "RSA-OAEP-256", Enc: "A256GCM", KeyID: "k2", URL: url}) {
		t.Fatalf("header %+v", hdr)
	}
	// Without a kid every key is tried.
	token, err = EncryptJWE(&k2.PublicKey, "", "", testBody)
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOfMap(headerOf(t, token)); !slices.Equal(got, []string{"alg", "enc"}) {
		t.Fatalf("header members %v", got)
	}
	if pt, _, err := DecryptJWE(token, keys); err != nil || !bytes.Equal(pt, testBody) {
		t.Fatalf("DecryptJWE without kid = %q, %v", pt, err)
	}
	// Two encryptions of one plaintext differ (fresh CEK and IV).
	again, _ := EncryptJWE(&k2.PublicKey, "", "", testBody)
	if again == token {
		t.Fatal("two encryptions are identical")
	}
	// An empty plaintext is still a valid JWE.
	token, err = EncryptJWE(&k1.PublicKey, "k1", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if pt, _, err := DecryptJWE(token, keys); err != nil || len(pt) != 0 {
		t.Fatalf("empty plaintext = %q, %v", pt, err)
	}
}

func TestDecryptJWERefusals(t *testing.T) {
	k1, k2 := rsaKey(t, "a"), rsaKey(t, "b")
	keys := []DecryptKey{{Key: k1, KeyID: "k1"}}
	good, err := EncryptJWE(&k1.PublicKey, "k1", "", testBody)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	tamper := func(i int) string {
		p := slices.Clone(parts)
		b, _ := b64u.DecodeString(p[i])
		b[len(b)/2] ^= 0x01
		p[i] = b64u.EncodeToString(b)
		return strings.Join(p, ".")
	}
	zipped := func() string {
		enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: &k1.PublicKey, KeyID: "k1"}, &jose.EncrypterOptions{Compression: jose.DEFLATE})
		if err != nil {
			t.Fatal(err)
		}
		obj, err := enc.Encrypt(bytes.Repeat([]byte("a"), 100000))
		if err != nil {
			t.Fatal(err)
		}
		s, _ := obj.CompactSerialize()
		return s
	}()
	cek := bytes.Repeat([]byte{7}, 32)
	cases := []struct {
		name    string
		token   string
		keys    []DecryptKey
		wantErr error
	}{
		// The first three fail for their keys, not their tokens.
		{"unknown kid", good, []DecryptKey{{Key: k1, KeyID: "k9"}}, ErrJOSEKeyID},
		{"no keys", good, nil, ErrJOSEKeyID},
		{"wrong key under the right kid", good, []DecryptKey{{Key: k2, KeyID: "k1"}}, ErrJOSEDecrypt},
		{"tampered header", tamperHeader(t, good, `"kid":"k1"`, `"kid":"k1","x":1`), keys, ErrJOSEDecrypt},
		{"tampered encrypted key", tamper(1), keys, ErrJOSEDecrypt},
		{"tampered iv", tamper(2), keys, ErrJOSEDecrypt},
		{"tampered ciphertext", tamper(3), keys, ErrJOSEDecrypt},
		{"tampered tag", tamper(4), keys, ErrJOSEDecrypt},
		{"RSA-OAEP (SHA-1)", indepEncrypt(t, &k1.PublicKey, `{"alg":"RSA-OAEP","enc":"A256GCM"}`, cek, testBody), keys, ErrJOSEAlg},
		{"RSA1_5", indepEncrypt(t, &k1.PublicKey, `{"alg":"RSA1_5","enc":"A256GCM"}`, cek, testBody), keys, ErrJOSEAlg},
		{"dir", indepDirectEncrypt(t, `{"alg":"dir","enc":"A256GCM"}`, cek, testBody), keys, ErrJOSEAlg},
		{"alg none", rawJWE(`{"alg":"none","enc":"A256GCM"}`), keys, ErrJOSEAlg},
		{"enc A128GCM", indepEncrypt(t, &k1.PublicKey, `{"alg":"RSA-OAEP-256","enc":"A128GCM"}`, cek[:16], testBody), keys, ErrJOSEEnc},
		{"enc A256CBC-HS512", rawJWE(`{"alg":"RSA-OAEP-256","enc":"A256CBC-HS512"}`), keys, ErrJOSEEnc},
		{"no enc", rawJWE(`{"alg":"RSA-OAEP-256"}`), keys, ErrJOSEEnc},
		{"zip", zipped, keys, ErrJOSECompressed},
		{"crit", indepEncrypt(t, &k1.PublicKey, `{"alg":"RSA-OAEP-256","enc":"A256GCM","crit":["exp"],"exp":1}`, cek, testBody), keys, ErrJOSEMalformed},
		{"duplicate enc", indepEncrypt(t, &k1.PublicKey, `{"alg":"RSA-OAEP-256","enc":"A256GCM","enc":"A128GCM"}`, cek, testBody), keys, ErrJOSEMalformed},
		{"four parts", strings.Join(parts[:4], "."), keys, ErrJOSEMalformed},
		{"a JWS", mustSign(t, joseKey(t, ES256, "a"), ES256, "", "", testBody), keys, ErrJOSEMalformed},
		{"JSON serialization", `{"protected":"` + parts[0] + `"}`, keys, ErrJOSEMalformed},
		{"oversized", parts[0] + "." + parts[1] + "." + parts[2] + "." + strings.Repeat("A", MaxJOSEInput) + "." + parts[4], keys, ErrJOSETooLarge},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pt, _, err := DecryptJWE(c.token, c.keys)
			if !errors.Is(err, c.wantErr) || !errors.Is(err, ErrJOSE) {
				t.Fatalf("DecryptJWE = %v; want %v", err, c.wantErr)
			}
			if pt != nil {
				t.Fatalf("a refused token returned plaintext: %q", pt)
			}
			if strings.Contains(err.Error(), string(testBody)) || strings.Contains(err.Error(), "hello") {
				t.Fatalf("error shows the plaintext: %v", err)
			}
			if _, _, cek, err := DecryptJWEKeepingCEK(c.token, k1); i >= 3 && (err == nil || !cek.IsZero()) {
				t.Fatalf("DecryptJWEKeepingCEK accepted it: %v", err)
			}
		})
	}
	if _, _, err := DecryptJWE(good, keys); err != nil {
		t.Fatal(err)
	}
}

// tamperHeader rewrites a token's protected header, keeping the rest.
func tamperHeader(t *testing.T, token, old, new string) string {
	t.Helper()
	first, rest, _ := strings.Cut(token, ".")
	raw, _ := b64u.DecodeString(first)
	changed := strings.Replace(string(raw), old, new, 1)
	if changed == string(raw) {
		t.Fatalf("header %s has no %s", raw, old)
	}
	return b64u.EncodeToString([]byte(changed)) + "." + rest
}

// rawJWE is a five-part token with the given header and junk elsewhere.
func rawJWE(header string) string {
	return b64u.EncodeToString([]byte(header)) + ".AAAA.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA"
}

func TestDirectMode(t *testing.T) {
	server := rsaKey(t, "a")
	url := "/v1/auth/jose/playground/jwe-direct-encryption"
	// Client: encrypt the request to the server, keeping the CEK.
	req, cek, err := EncryptJWEKeepingCEK(&server.PublicKey, "wise-1", url, testBody)
	if err != nil {
		t.Fatal(err)
	}
	if cek.Len() != 32 {
		t.Fatalf("CEK of %d bytes", cek.Len())
	}
	h := headerOf(t, req)
	if h["alg"] != "RSA-OAEP-256" || h["enc"] != "A256GCM" || h["url"] != url || h["kid"] != "wise-1" {
		t.Fatalf("request header %v", h)
	}
	// To any receiver it is a normal RSA-OAEP-256 JWE.
	if pt, _, err := DecryptJWE(req, []DecryptKey{{Key: server, KeyID: "wise-1"}}); err != nil || !bytes.Equal(pt, testBody) {
		t.Fatalf("DecryptJWE of a direct-mode request = %q, %v", pt, err)
	}
	// Server: decrypt, keep the CEK, answer with it.
	pt, hdr, serverCEK, err := DecryptJWEKeepingCEK(req, server)
	if err != nil || !bytes.Equal(pt, testBody) || hdr.URL != url {
		t.Fatalf("DecryptJWEKeepingCEK = %q, %+v, %v", pt, hdr, err)
	}
	if !serverCEK.Equal(cek) {
		t.Fatal("the server's CEK differs from the client's")
	}
	answer := []byte(`{"message":"jose-playground-response-hello","method":"POST"}`)
	resp, err := EncryptDirect(serverCEK, answer)
	if err != nil {
		t.Fatal(err)
	}
	rh := headerOf(t, resp)
	if got := keysOfMap(rh); !slices.Equal(got, []string{"alg", "enc"}) || rh["alg"] != "dir" || rh["enc"] != "A256GCM" {
		t.Fatalf("answer header %v", rh)
	}
	if strings.Split(resp, ".")[1] != "" {
		t.Fatal("direct-mode answer has an encrypted key")
	}
	got, err := DecryptDirect(resp, cek)
	if err != nil || !bytes.Equal(got, answer) {
		t.Fatalf("DecryptDirect = %q, %v", got, err)
	}

	// Refusals.
	other := NewSecret(bytes.Repeat([]byte{1}, 32))
	if _, err := DecryptDirect(resp, other); !errors.Is(err, ErrJOSEDecrypt) {
		t.Errorf("another CEK: %v", err)
	}
	if _, err := DecryptDirect(req, cek); !errors.Is(err, ErrJOSEAlg) {
		t.Errorf("an RSA-OAEP-256 token as a direct answer: %v", err)
	}
	withKey := strings.Split(resp, ".")
	withKey[1] = "AAAA"
	if _, err := DecryptDirect(strings.Join(withKey, "."), cek); !errors.Is(err, ErrJOSEMalformed) {
		t.Errorf("direct answer with an encrypted key: %v", err)
	}
	if _, err := DecryptDirect(indepDirectEncrypt(t, `{"alg":"dir","enc":"A128GCM"}`, bytes.Repeat([]byte{1}, 16), answer), cek); !errors.Is(err, ErrJOSEEnc) {
		t.Errorf("direct answer with A128GCM: %v", err)
	}
	if _, err := EncryptDirect(NewSecret(make([]byte, 16)), answer); !errors.Is(err, ErrKey) {
		t.Errorf("16-byte CEK: %v", err)
	}
	if _, err := DecryptDirect(resp, NewSecret(make([]byte, 16))); !errors.Is(err, ErrKey) {
		t.Errorf("16-byte CEK on decrypt: %v", err)
	}
	if _, _, _, err := DecryptJWEKeepingCEK(req, rsaKey(t, "b")); !errors.Is(err, ErrJOSEDecrypt) {
		t.Errorf("server with the wrong key: %v", err)
	}
}

func TestEncryptRefusals(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, MaxJOSEInput+1)
	good := &rsaKey(t, "a").PublicKey
	for name, f := range map[string]func() error{
		"EncryptJWE RSA 1024":           func() error { _, err := EncryptJWE(&small.PublicKey, "", "", testBody); return err },
		"EncryptJWEKeepingCEK RSA 1024": func() error { _, _, err := EncryptJWEKeepingCEK(&small.PublicKey, "", "", testBody); return err },
		"EncryptJWE nil key":            func() error { _, err := EncryptJWE(nil, "", "", testBody); return err },
		"DecryptJWE RSA 1024 key": func() error {
			tok, _ := EncryptJWE(good, "", "", testBody)
			_, _, err := DecryptJWE(tok, []DecryptKey{{Key: small}})
			return err
		},
		"SignJWS RS256":          func() error { _, err := SignJWS(rsaKey(t, "a"), "RS256", "", "", testBody); return err },
		"SignJWS HS256":          func() error { _, err := SignJWS(rsaKey(t, "a"), "HS256", "", "", testBody); return err },
		"SignJWS P-256 as ES384": func() error { _, err := SignJWS(joseKey(t, ES256, "a"), ES384, "", "", testBody); return err },
		"SignJWS RSA as ES256":   func() error { _, err := SignJWS(rsaKey(t, "a"), ES256, "", "", testBody); return err },
		"SignJWS RSA 1024":       func() error { _, err := SignJWS(small, PS256, "", "", testBody); return err },
	} {
		if err := f(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := EncryptJWE(good, "", "", big); !errors.Is(err, ErrJOSETooLarge) {
		t.Errorf("EncryptJWE over the cap: %v", err)
	}
	if _, _, err := EncryptJWEKeepingCEK(good, "", "", big); !errors.Is(err, ErrJOSETooLarge) {
		t.Errorf("EncryptJWEKeepingCEK over the cap: %v", err)
	}
	if _, err := EncryptDirect(NewSecret(make([]byte, 32)), big); !errors.Is(err, ErrJOSETooLarge) {
		t.Errorf("EncryptDirect over the cap: %v", err)
	}
}

func TestParseJOSEAlg(t *testing.T) {
	for _, c := range []struct {
		use, in string
		want    JOSEAlg
	}{
		{"sig", "ES256", ES256}, {"sig", "es512", ES512}, {"sig", " PS384 ", PS384}, {"sig", "PS512", PS512},
		{"enc", "RSA-OAEP-256", RSAOAEP256}, {"enc", "RSA_OAEP_256", RSAOAEP256}, {"enc", "rsa-oaep-256", RSAOAEP256},
	} {
		if got, err := ParseJOSEAlg(c.use, c.in); err != nil || got != c.want {
			t.Errorf("ParseJOSEAlg(%q, %q) = %q, %v", c.use, c.in, got, err)
		}
	}
	for _, c := range [][2]string{
		{"sig", "RS256"}, {"sig", "HS256"}, {"sig", "none"}, {"sig", ""}, {"sig", "RSA-OAEP-256"}, {"sig", "EdDSA"},
		{"enc", "RSA-OAEP"}, {"enc", "RSA1_5"}, {"enc", "ES256"}, {"enc", "dir"}, {"", "ES256"}, {"both", "ES256"},
	} {
		if got, err := ParseJOSEAlg(c[0], c[1]); !errors.Is(err, ErrJOSEAlg) || got != "" {
			t.Errorf("ParseJOSEAlg(%q, %q) = %q, %v; want ErrJOSEAlg", c[0], c[1], got, err)
		}
	}
	// RS256 is the likely mistake; the error says what to use instead.
	_, err := ParseJOSEAlg("sig", "RS256")
	if msg := err.Error(); !strings.Contains(msg, "PS256") || !strings.Contains(msg, "ES256") {
		t.Errorf("RS256 error does not name PS256 and ES256: %v", err)
	}
	if RSAOAEP256.WiseName() != "RSA_OAEP_256" || ES512.WiseName() != "ES512" || PS256.WiseName() != "PS256" {
		t.Error("WiseName")
	}
	if RSAOAEP256.Use() != "enc" || ES256.Use() != "sig" {
		t.Error("Use")
	}
}

func TestGenerateAndCheckJOSEKey(t *testing.T) {
	for _, c := range []struct {
		alg  JOSEAlg
		kt   KeyType
		want KeyType
	}{
		{ES256, "", ECP256}, {ES384, "", ECP384}, {ES512, "", ECP521}, {ES512, ECP521, ECP521},
		{PS256, "", RSA2048}, {PS384, RSA3072, RSA3072}, {RSAOAEP256, "", RSA2048},
	} {
		k, err := GenerateJOSEKey(c.alg, c.kt)
		if err != nil {
			t.Fatalf("GenerateJOSEKey(%s, %q): %v", c.alg, c.kt, err)
		}
		if got, err := JOSEKeyType(k); err != nil || got != c.want {
			t.Errorf("GenerateJOSEKey(%s, %q) made %q, %v; want %s", c.alg, c.kt, got, err, c.want)
		}
		if err := CheckJOSEKey(c.alg, k); err != nil {
			t.Errorf("CheckJOSEKey(%s, its own key): %v", c.alg, err)
		}
		if err := CheckJOSEKey(c.alg, k.Public()); err != nil {
			t.Errorf("CheckJOSEKey(%s, its own public key): %v", c.alg, err)
		}
	}
	for _, c := range []struct {
		alg JOSEAlg
		kt  KeyType
	}{
		{ES256, RSA2048}, {ES256, ECP384}, {ES512, ECP256}, {PS256, ECP256}, {RSAOAEP256, ECP521},
		{PS256, "rsa1024"}, {"RS256", ""}, {"HS256", ""}, {"none", ""}, {"", ""},
	} {
		if k, err := GenerateJOSEKey(c.alg, c.kt); err == nil || k != nil {
			t.Errorf("GenerateJOSEKey(%q, %q) accepted", c.alg, c.kt)
		}
	}
	p256, p384, p521, r := joseKey(t, ES256, "a"), joseKey(t, ES384, "a"), joseKey(t, ES512, "a"), rsaKey(t, "a")
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	for _, c := range []struct {
		alg JOSEAlg
		key any
	}{
		{ES256, p384}, {ES256, p521}, {ES384, p256}, {ES512, p256}, {ES256, r}, {PS256, p256}, {RSAOAEP256, p521},
		{PS256, small}, {RSAOAEP256, &small.PublicKey}, {"RS256", r}, {"HS256", r}, {ES256, "not a key"},
	} {
		if err := CheckJOSEKey(c.alg, c.key); err == nil {
			t.Errorf("CheckJOSEKey(%s, %T) accepted", c.alg, c.key)
		}
	}
}

func TestPublicDER(t *testing.T) {
	for _, alg := range []JOSEAlg{ES256, ES384, ES512, RSAOAEP256} {
		key := joseKey(t, alg, "a")
		s, err := PublicDER(key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			t.Fatalf("%s: not standard base64: %v", alg, err)
		}
		for _, form := range []string{s, strings.TrimRight(s, "="), wrap(s, 64), " " + s + "\r\n"} {
			pub, err := ParsePublicDER(form)
			if err != nil {
				t.Fatalf("%s: ParsePublicDER(%q): %v", alg, form, err)
			}
			if !pub.(publicKey).Equal(key.Public()) {
				t.Fatalf("%s: round trip changed the key", alg)
			}
		}
	}
	good, _ := PublicDER(joseKey(t, ES256, "a"))
	der, _ := base64.StdEncoding.DecodeString(good)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	smallDER, _ := x509MarshalPKIX(t, &small.PublicKey)
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	p224DER, _ := x509MarshalPKIX(t, &p224.PublicKey)
	for name, in := range map[string]string{
		"empty":         "",
		"not base64":    "!!!!",
		"url alphabet":  strings.NewReplacer("+", "-", "/", "_").Replace(good) + "-_",
		"not DER":       base64.StdEncoding.EncodeToString([]byte("hello world")),
		"trailing data": base64.StdEncoding.EncodeToString(append(slices.Clone(der), 0)),
		"RSA 1024":      base64.StdEncoding.EncodeToString(smallDER),
		"P-224":         base64.StdEncoding.EncodeToString(p224DER),
		"oversized":     strings.Repeat("A", maxPublicDER+4),
		"PEM":           string(mustPEM(t, joseKey(t, ES256, "a").Public())),
	} {
		if pub, err := ParsePublicDER(in); !errors.Is(err, ErrKey) || pub != nil {
			t.Errorf("ParsePublicDER(%s) = %v; want ErrKey", name, err)
		}
	}
	if _, err := PublicDER("not a key"); !errors.Is(err, ErrKey) {
		t.Errorf("PublicDER(string) = %v", err)
	}
	if _, err := PublicDER(&small.PublicKey); !errors.Is(err, ErrKey) {
		t.Errorf("PublicDER(RSA 1024) = %v", err)
	}
}

func wrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\n")
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}

func mustPEM(t *testing.T, pub any) []byte {
	t.Helper()
	b, err := MarshalPublicKeyPEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestP521IsJOSEOnly: P-521 (ES512) keys are made, stored and encoded for
// JOSE, while everything mTLS goes through still refuses them.
func TestP521IsJOSEOnly(t *testing.T) {
	if slices.Contains(KeyTypes, ECP521) {
		t.Fatal("KeyTypes (the mTLS list) holds p521")
	}
	if k, err := GenerateKey(ECP521); !errors.Is(err, ErrKey) || k != nil {
		t.Fatalf("GenerateKey(p521) = %v", err)
	}
	key := joseKey(t, ES512, "a")
	if _, err := TypeOf(key); !errors.Is(err, ErrKey) {
		t.Fatalf("TypeOf(P-521) = %v; want ErrKey", err)
	}
	if _, err := CreateCSR(key, CSRSubject{Organization: "Acme"}); !errors.Is(err, ErrKey) {
		t.Fatalf("CreateCSR(P-521) = %v; want ErrKey", err)
	}
	if kt, err := JOSEKeyType(key); err != nil || kt != ECP521 {
		t.Fatalf("JOSEKeyType(P-521) = %q, %v", kt, err)
	}
	p, err := MarshalPrivateKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParsePrivateKeyPEM(p)
	if err != nil || !back.Public().(publicKey).Equal(key.Public()) {
		t.Fatalf("P-521 private PEM round trip: %v", err)
	}
	pub, err := ParsePublicKeyPEM(mustPEM(t, key.Public()))
	if err != nil || !pub.(publicKey).Equal(key.Public()) {
		t.Fatalf("P-521 public PEM round trip: %v", err)
	}
	j, err := PublicJWK(key, "k", "ES512", "sig")
	if err != nil {
		t.Fatal(err)
	}
	if jwk, err := ParsePublicJWK(j); err != nil || jwk.Algorithm != "ES512" {
		t.Fatalf("P-521 JWK round trip: %v", err)
	}
}

func TestNewKeyID(t *testing.T) {
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := NewKeyID()
		if !v4.MatchString(id) {
			t.Fatalf("NewKeyID() = %q, not a v4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("NewKeyID repeated %q", id)
		}
		seen[id] = true
	}
}

func TestPeekJOSEHeader(t *testing.T) {
	jws := mustSign(t, joseKey(t, ES256, "a"), ES256, "k", testURL, testBody)
	if h, err := PeekJOSEHeader(jws); err != nil || h != (JOSEHeader{Alg: "ES256", KeyID: "k", URL: testURL}) {
		t.Fatalf("PeekJOSEHeader(JWS) = %+v, %v", h, err)
	}
	jwe, _ := EncryptJWE(&rsaKey(t, "a").PublicKey, "k", "", testBody)
	if h, err := PeekJOSEHeader(jwe); err != nil || h != (JOSEHeader{Alg: "RSA-OAEP-256", Enc: "A256GCM", KeyID: "k"}) {
		t.Fatalf("PeekJOSEHeader(JWE) = %+v, %v", h, err)
	}
	wise := rawJWS(`{"version":7,"alg":"ES512"}`, testBody, []byte{1})
	if h, err := PeekJOSEHeader(wise); err != nil || h.Version != 7 || h.Alg != "ES512" {
		t.Fatalf("PeekJOSEHeader(Wise's form) = %+v, %v", h, err)
	}
	for name, in := range map[string]string{
		"four parts":      "a.b.c.d",
		"one part":        "abc",
		"no alg":          rawJWS(`{"kid":"k"}`, nil, nil),
		"array header":    rawJWS(`["alg"]`, nil, nil),
		"trailing JSON":   rawJWS(`{"alg":"ES256"}{}`, nil, nil),
		"version 0":       rawJWS(`{"alg":"ES256","version":0}`, nil, nil),
		"version string":  rawJWS(`{"alg":"ES256","version":"1"}`, nil, nil),
		"version huge":    rawJWS(`{"alg":"ES256","version":99999999999999}`, nil, nil),
		"duplicate url":   rawJWS(`{"alg":"ES256","url":"/a","url":"/b"}`, nil, nil),
		"b64":             rawJWS(`{"alg":"ES256","b64":true}`, nil, nil),
		"header too long": rawJWS(`{"alg":"ES256","x":"`+strings.Repeat("a", maxHeader)+`"}`, nil, nil),
	} {
		if _, err := PeekJOSEHeader(in); !errors.Is(err, ErrJOSEMalformed) {
			t.Errorf("PeekJOSEHeader(%s) = %v; want ErrJOSEMalformed", name, err)
		}
	}
	if _, err := PeekJOSEHeader(strings.Repeat("a", MaxJOSEInput+100)); !errors.Is(err, ErrJOSETooLarge) {
		t.Errorf("PeekJOSEHeader(oversized) = %v", err)
	}
}

// No error of a refused token or key says anything secret: not the
// plaintext, not the CEK in any encoding, not the private key.
func TestJOSEErrorsNameNoSecret(t *testing.T) {
	priv := rsaKey(t, "a")
	secretBody := []byte(`{"pin":"8731"}`)
	req, cek, err := EncryptJWEKeepingCEK(&priv.PublicKey, "k", "/v1/pin", secretBody)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := EncryptDirect(cek, secretBody)
	raw := cek.Reveal()
	short := raw[:16]
	var errs []error
	_, _, err = DecryptJWE(req, []DecryptKey{{Key: rsaKey(t, "b"), KeyID: "k"}})
	errs = append(errs, err)
	_, _, _, err = DecryptJWEKeepingCEK(tamperHeader(t, req, `"kid":"k"`, `"kid":"k","x":1`), priv)
	errs = append(errs, err)
	_, err = DecryptDirect(answer, NewSecret(bytes.Repeat([]byte{3}, 32)))
	errs = append(errs, err)
	_, err = DecryptDirect(answer, NewSecret(short))
	errs = append(errs, err)
	_, err = EncryptDirect(NewSecret(short), secretBody)
	errs = append(errs, err)
	_, err = SignJWS(priv, ES256, "", "", secretBody)
	errs = append(errs, err)
	_, err = GenerateJOSEKey(ES256, RSA2048)
	errs = append(errs, err)
	forbidden := []string{"8731", string(raw), b64u.EncodeToString(raw), base64.StdEncoding.EncodeToString(raw), hexOf(raw), hexOf(short), b64u.EncodeToString(short), priv.D.String()[:20], priv.D.Text(16)[:20]}
	for i, err := range errs {
		if err == nil {
			t.Fatalf("case %d: no error", i)
		}
		for _, f := range forbidden {
			if strings.Contains(err.Error(), f) {
				t.Errorf("case %d: error %q shows a secret", i, err)
			}
		}
	}
}

func hexOf(b []byte) string { return fmt.Sprintf("%x", b) }

// The cap is exact: MaxJOSEInput bytes are read (white space around them
// not counted), one more is refused before any parsing.
func TestJOSEInputCapBoundary(t *testing.T) {
	at := rawJWS(`{"alg":"ES256"}`, nil, nil)
	at += strings.Repeat("A", MaxJOSEInput-len(at))
	over := at + "A"
	keys := []VerifyKey{{Key: joseKey(t, ES256, "a").Public(), Alg: ES256}}
	for name, c := range map[string]struct {
		token string
		want  error
	}{
		"at the cap":              {at, ErrJOSESignature},
		"at the cap, white space": {"\n " + at + "\r\n", ErrJOSESignature},
		"one over":                {over, ErrJOSETooLarge},
	} {
		if _, _, err := VerifyJWS(c.token, keys, SigningAlgs, "", testNow); !errors.Is(err, c.want) {
			t.Errorf("VerifyJWS(%s) = %v; want %v", name, err, c.want)
		}
		_, err := PeekJOSEHeader(c.token)
		if tooLarge := errors.Is(err, ErrJOSETooLarge); tooLarge != (c.want == ErrJOSETooLarge) {
			t.Errorf("PeekJOSEHeader(%s) = %v", name, err)
		}
	}
}

func TestJOSESentinelsWrapErrJOSE(t *testing.T) {
	for _, e := range []error{ErrJOSEAlg, ErrJOSESignature, ErrJOSEURL, ErrJOSEKeyID, ErrJOSETooLarge, ErrJOSECompressed, ErrJOSEEnc, ErrJOSEDecrypt, ErrJOSEMalformed, ErrJOSEKeyExpired} {
		if !errors.Is(e, ErrJOSE) {
			t.Errorf("%v does not wrap ErrJOSE", e)
		}
	}
}
