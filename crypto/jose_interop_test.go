package crypto

// An independent JOSE implementation, from the standard library only (no
// go-jose, nothing of this package), written from RFC 7515/7516/7518. The
// tests below run it against jose.go in both directions, so a bug that
// go-jose and our wrapper share with each other, or a header our side
// writes that a plain implementation would read differently, shows up.

import (
	"bytes"
	stdcrypto "crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"strings"
	"testing"
)

func x509MarshalPKIX(t testing.TB, pub any) ([]byte, error) {
	t.Helper()
	return x509.MarshalPKIXPublicKey(pub)
}

// indepHash is the hash of a JWS algorithm (RFC 7518 §3.1).
func indepHash(alg JOSEAlg) (stdcrypto.Hash, func() hash.Hash) {
	switch alg[2:] {
	case "384":
		return stdcrypto.SHA384, sha512.New384
	case "512":
		return stdcrypto.SHA512, sha512.New
	}
	return stdcrypto.SHA256, sha256.New
}

// indepSign makes a compact JWS over the exact header bytes given.
// key is an *ecdsa.PrivateKey (ES*), *rsa.PrivateKey (PS*, RS256) or
// []byte (HS256).
func indepSign(t testing.TB, alg JOSEAlg, key any, header, payload []byte) string {
	t.Helper()
	input := b64u.EncodeToString(header) + "." + b64u.EncodeToString(payload)
	h, newHash := indepHash(alg)
	hh := newHash()
	hh.Write([]byte(input))
	digest := hh.Sum(nil)
	var sig []byte
	var err error
	switch alg[:2] {
	case "ES":
		k := key.(*ecdsa.PrivateKey)
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, k, digest)
		// RFC 7518 §3.4: R and S as fixed-size big-endian octets, not DER.
		n := (k.Curve.Params().BitSize + 7) / 8
		sig = append(r.FillBytes(make([]byte, n)), s.FillBytes(make([]byte, n))...)
	case "PS":
		sig, err = rsa.SignPSS(rand.Reader, key.(*rsa.PrivateKey), h, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case "RS":
		sig, err = rsa.SignPKCS1v15(rand.Reader, key.(*rsa.PrivateKey), h, digest)
	case "HS":
		m := hmac.New(newHash, key.([]byte))
		m.Write([]byte(input))
		sig = m.Sum(nil)
	default:
		t.Fatalf("indepSign: %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64u.EncodeToString(sig)
}

// indepVerify checks a compact JWS with pub, taking the algorithm from the
// caller (never from the header), and returns the header and payload.
func indepVerify(token string, alg JOSEAlg, pub any) (map[string]any, []byte, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, nil, errors.New("not three parts")
	}
	rawH, err1 := b64u.DecodeString(parts[0])
	payload, err2 := b64u.DecodeString(parts[1])
	sig, err3 := b64u.DecodeString(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, nil, err
	}
	var hdr map[string]any
	if err := json.Unmarshal(rawH, &hdr); err != nil {
		return nil, nil, err
	}
	if hdr["alg"] != string(alg) {
		return nil, nil, fmt.Errorf("header alg %v", hdr["alg"])
	}
	h, newHash := indepHash(alg)
	hh := newHash()
	hh.Write([]byte(parts[0] + "." + parts[1]))
	digest := hh.Sum(nil)
	switch alg[:2] {
	case "ES":
		k := pub.(*ecdsa.PublicKey)
		n := (k.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*n {
			return nil, nil, fmt.Errorf("signature of %d bytes, want %d", len(sig), 2*n)
		}
		r, s := new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])
		if !ecdsa.Verify(k, digest, r, s) {
			return nil, nil, errors.New("bad ECDSA signature")
		}
	case "PS":
		if err := rsa.VerifyPSS(pub.(*rsa.PublicKey), h, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}); err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, fmt.Errorf("indepVerify: %s", alg)
	}
	return hdr, payload, nil
}

// indepEncrypt makes a compact JWE over the exact header bytes given, the
// CEK wrapped with RSA-OAEP (SHA-1 when the header says RSA-OAEP, else
// SHA-256) or, for RSA1_5, PKCS#1 v1.5, and the content sealed with AES-GCM
// (key size from the CEK), AAD = ASCII(base64url(header)) (RFC 7516 §5.1).
func indepEncrypt(t testing.TB, pub *rsa.PublicKey, header string, cek, plaintext []byte) string {
	t.Helper()
	var wrapped []byte
	var err error
	switch {
	case strings.Contains(header, `"RSA-OAEP"`):
		wrapped, err = rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, cek, nil)
	case strings.Contains(header, `"RSA1_5"`):
		wrapped, err = rsa.EncryptPKCS1v15(rand.Reader, pub, cek)
	default:
		wrapped, err = rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, cek, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return indepSeal(t, header, wrapped, cek, plaintext)
}

// indepDirectEncrypt is indepEncrypt for alg "dir": no wrapped key.
func indepDirectEncrypt(t testing.TB, header string, cek, plaintext []byte) string {
	t.Helper()
	return indepSeal(t, header, nil, cek, plaintext)
}

func indepSeal(t testing.TB, header string, wrapped, cek, plaintext []byte) string {
	t.Helper()
	h := b64u.EncodeToString([]byte(header))
	block, err := aes.NewCipher(cek)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	iv := make([]byte, 12)
	rand.Read(iv)
	sealed := gcm.Seal(nil, iv, plaintext, []byte(h))
	ct, tag := sealed[:len(sealed)-16], sealed[len(sealed)-16:]
	return strings.Join([]string{h, b64u.EncodeToString(wrapped), b64u.EncodeToString(iv), b64u.EncodeToString(ct), b64u.EncodeToString(tag)}, ".")
}

// indepDecrypt opens a compact RSA-OAEP-256/A256GCM JWE (or, with priv nil
// and cek given, a direct one), returning the header, plaintext and CEK.
func indepDecrypt(token string, priv *rsa.PrivateKey, cek []byte) (map[string]any, []byte, []byte, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 5 {
		return nil, nil, nil, errors.New("not five parts")
	}
	var raw [5][]byte
	for i, p := range parts {
		var err error
		if raw[i], err = b64u.DecodeString(p); err != nil {
			return nil, nil, nil, err
		}
	}
	var hdr map[string]any
	if err := json.Unmarshal(raw[0], &hdr); err != nil {
		return nil, nil, nil, err
	}
	if hdr["enc"] != "A256GCM" {
		return nil, nil, nil, fmt.Errorf("enc %v", hdr["enc"])
	}
	if priv != nil {
		if hdr["alg"] != "RSA-OAEP-256" {
			return nil, nil, nil, fmt.Errorf("alg %v", hdr["alg"])
		}
		var err error
		if cek, err = rsa.DecryptOAEP(sha256.New(), nil, priv, raw[1], nil); err != nil {
			return nil, nil, nil, err
		}
	} else if hdr["alg"] != "dir" || len(raw[1]) != 0 {
		return nil, nil, nil, fmt.Errorf("alg %v with %d key bytes", hdr["alg"], len(raw[1]))
	}
	if len(cek) != 32 || len(raw[2]) != 12 || len(raw[4]) != 16 {
		return nil, nil, nil, errors.New("wrong CEK, IV or tag size")
	}
	block, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(block)
	pt, err := gcm.Open(nil, raw[2], append(raw[3], raw[4]...), []byte(parts[0]))
	if err != nil {
		return nil, nil, nil, err
	}
	return hdr, pt, cek, nil
}

// The independent verifier agrees with a third party (nimbus-jose-jwt) on
// its vectors, so it is a fair judge of ours.
func TestIndependentVerifierOnThirdPartyVectors(t *testing.T) {
	for _, v := range nimbusVectors {
		pub, err := x509.ParsePKIXPublicKey(mustStdB64(t, v.key))
		if err != nil {
			t.Fatal(err)
		}
		if _, p, err := indepVerify(v.token, v.alg, pub); err != nil || string(p) != "Lorem ipsum dolor sit amet" {
			t.Fatalf("%s: %q, %v", v.alg, p, err)
		}
	}
}

func mustStdB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInteropJWSWeSignTheyVerify(t *testing.T) {
	for _, alg := range SigningAlgs {
		t.Run(string(alg), func(t *testing.T) {
			key := joseKey(t, alg, "a")
			token, err := SignJWS(key, alg, "kid-1", testURL, testBody)
			if err != nil {
				t.Fatal(err)
			}
			hdr, payload, err := indepVerify(token, alg, key.Public())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(payload, testBody) || hdr["kid"] != "kid-1" || hdr["url"] != testURL {
				t.Fatalf("header %v payload %q", hdr, payload)
			}
			// And the verifier is not a rubber stamp: another key fails.
			if _, _, err := indepVerify(token, alg, joseKey(t, alg, "b").Public()); err == nil {
				t.Fatal("independent verifier accepted another key")
			}
		})
	}
}

func TestInteropJWSTheySignWeVerify(t *testing.T) {
	for _, alg := range SigningAlgs {
		t.Run(string(alg), func(t *testing.T) {
			key := joseKey(t, alg, "a")
			header := []byte(`{"alg":"` + string(alg) + `","kid":"kid-1","url":"` + testURL + `"}`)
			token := indepSign(t, alg, key, header, testBody)
			keys := []VerifyKey{{Key: key.Public(), KeyID: "kid-1", Alg: alg}}
			payload, h, err := VerifyJWS(token, keys, SigningAlgs, testURL, testNow)
			if err != nil || !bytes.Equal(payload, testBody) || h.KeyID != "kid-1" {
				t.Fatalf("VerifyJWS = %q, %+v, %v", payload, h, err)
			}
			// Wise's answer form: version, no kid.
			token = indepSign(t, alg, key, []byte(`{"version":4,"alg":"`+string(alg)+`"}`), testBody)
			if _, h, err := VerifyJWS(token, []VerifyKey{{Key: key.Public(), Version: 4, Alg: alg}}, SigningAlgs, "", testNow); err != nil || h.Version != 4 {
				t.Fatalf("Wise form: %+v, %v", h, err)
			}
		})
	}
}

func TestInteropJWEWeEncryptTheyDecrypt(t *testing.T) {
	priv := rsaKey(t, "a")
	token, err := EncryptJWE(&priv.PublicKey, "kid-1", "/v1/cases", testBody)
	if err != nil {
		t.Fatal(err)
	}
	hdr, pt, _, err := indepDecrypt(token, priv, nil)
	if err != nil || !bytes.Equal(pt, testBody) || hdr["kid"] != "kid-1" || hdr["url"] != "/v1/cases" {
		t.Fatalf("independent decrypt = %v %q, %v", hdr, pt, err)
	}
	// The direct-mode request, with its hand-placed wrapped key, is a
	// standard JWE, and the CEK we kept is the one inside it.
	token, cek, err := EncryptJWEKeepingCEK(&priv.PublicKey, "", "/v1/x", testBody)
	if err != nil {
		t.Fatal(err)
	}
	_, pt, gotCEK, err := indepDecrypt(token, priv, nil)
	if err != nil || !bytes.Equal(pt, testBody) || !bytes.Equal(gotCEK, cek.Reveal()) {
		t.Fatalf("independent decrypt of the direct-mode request = %q, %v", pt, err)
	}
	// Our direct answer opens with the CEK alone.
	answer, err := EncryptDirect(cek, []byte("answer"))
	if err != nil {
		t.Fatal(err)
	}
	if _, pt, _, err := indepDecrypt(answer, nil, cek.Reveal()); err != nil || string(pt) != "answer" {
		t.Fatalf("independent decrypt of the direct answer = %q, %v", pt, err)
	}
}

func TestInteropJWETheyEncryptWeDecrypt(t *testing.T) {
	priv := rsaKey(t, "a")
	cek := make([]byte, 32)
	rand.Read(cek)
	token := indepEncrypt(t, &priv.PublicKey, `{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"kid-1"}`, cek, testBody)
	pt, h, err := DecryptJWE(token, []DecryptKey{{Key: rsaKey(t, "b"), KeyID: "kid-0"}, {Key: priv, KeyID: "kid-1"}})
	if err != nil || !bytes.Equal(pt, testBody) || h.KeyID != "kid-1" {
		t.Fatalf("DecryptJWE = %q, %+v, %v", pt, h, err)
	}
	pt, _, got, err := DecryptJWEKeepingCEK(token, priv)
	if err != nil || !bytes.Equal(pt, testBody) || !bytes.Equal(got.Reveal(), cek) {
		t.Fatalf("DecryptJWEKeepingCEK = %q, %v", pt, err)
	}
	direct := indepDirectEncrypt(t, `{"enc":"A256GCM","alg":"dir"}`, cek, []byte("answer"))
	if pt, err := DecryptDirect(direct, NewSecret(cek)); err != nil || string(pt) != "answer" {
		t.Fatalf("DecryptDirect = %q, %v", pt, err)
	}
}
