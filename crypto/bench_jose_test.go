package crypto

import (
	"testing"
)

// The JOSE costs of one Wise call: a client signs (ES256 by default) and
// verifies Wise's ES512 answer, or encrypts to an RSA 2048 key and
// decrypts the answer with its own. The body is playground-sized.
//
//	go test -run x -bench 'JWS|JWE' ./crypto/

func BenchmarkJWSSignES256(b *testing.B) {
	key := joseKey(b, ES256, "a")
	for b.Loop() {
		if _, err := SignJWS(key, ES256, "kid", testURL, testBody); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJWSVerifyES256(b *testing.B) { benchVerify(b, ES256) }

// Wise signs its answers with ES512 (P-521), the verify every JWS call
// makes.
func BenchmarkJWSVerifyES512(b *testing.B) { benchVerify(b, ES512) }

func BenchmarkJWSVerifyPS256(b *testing.B) { benchVerify(b, PS256) }

func benchVerify(b *testing.B, alg JOSEAlg) {
	key := joseKey(b, alg, "a")
	token, err := SignJWS(key, alg, "kid", testURL, testBody)
	if err != nil {
		b.Fatal(err)
	}
	keys := []VerifyKey{{Key: key.Public(), KeyID: "kid", Alg: alg}}
	for b.Loop() {
		if _, _, err := VerifyJWS(token, keys, SigningAlgs, testURL, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJWEEncrypt(b *testing.B) {
	pub := &rsaKey(b, "a").PublicKey
	for b.Loop() {
		if _, err := EncryptJWE(pub, "kid", testURL, testBody); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJWEDecrypt(b *testing.B) {
	priv := rsaKey(b, "a")
	token, err := EncryptJWE(&priv.PublicKey, "kid", testURL, testBody)
	if err != nil {
		b.Fatal(err)
	}
	keys := []DecryptKey{{Key: priv, KeyID: "kid"}}
	for b.Loop() {
		if _, _, err := DecryptJWE(token, keys); err != nil {
			b.Fatal(err)
		}
	}
}
