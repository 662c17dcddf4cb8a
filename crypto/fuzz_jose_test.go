package crypto

// Fuzz the JOSE parsers for a while with, e.g.,
//
//	go test ./crypto -run='^$' -fuzz=FuzzVerifyJWS -fuzztime=30s
//
// Each target checks more than "no panic": whatever is accepted must be
// what an honest peer could have sent, judged by the independent
// implementation in jose_interop_test.go where one applies.

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func FuzzVerifyJWS(f *testing.F) {
	es, ps := joseKey(f, ES256, "a"), joseKey(f, PS256, "a")
	keys := []VerifyKey{
		{Key: es.Public(), KeyID: "es", Version: 1, Alg: ES256},
		{Key: ps.Public(), KeyID: "ps", Version: 2, Alg: PS256},
	}
	for _, s := range []string{
		mustSignF(f, ES256, "es", testURL),
		mustSignF(f, PS256, "ps", testURL),
		mustSignF(f, ES256, "", ""),
		indepSign(f, ES256, es, []byte(`{"version":1,"alg":"ES256"}`), testBody),
		rawJWS(`{"alg":"none"}`, testBody, nil),
		rawJWS(`{"alg":"HS256","kid":"es"}`, testBody, []byte("0123456789abcdef0123456789abcdef")),
		indepSign(f, ES256, es, []byte(`{"alg":"ES256","alg":"ES256"}`), testBody),
		"a.b.c", "..", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		payload, h, err := VerifyJWS(token, keys, SigningAlgs, testURL, testNow)
		if err != nil {
			if !errors.Is(err, ErrJOSE) || payload != nil {
				t.Fatalf("refusal %v with payload %v; want an ErrJOSE and none", err, payload != nil)
			}
			return
		}
		if h.URL != testURL {
			t.Fatalf("accepted url %q, want %q", h.URL, testURL)
		}
		var key any
		switch h.Alg {
		case "ES256":
			key = es.Public()
		case "PS256":
			key = ps.Public()
		default:
			t.Fatalf("accepted alg %q", h.Alg)
		}
		_, p, err := indepVerify(strings.TrimSpace(token), JOSEAlg(h.Alg), key)
		if err != nil || !bytes.Equal(p, payload) {
			t.Fatalf("accepted a token the independent verifier refuses: %v", err)
		}
	})
}

// mustSignF signs testBody with the cached key "a" of alg.
func mustSignF(f *testing.F, alg JOSEAlg, kid, url string) string {
	f.Helper()
	s, err := SignJWS(joseKey(f, alg, "a"), alg, kid, url, testBody)
	if err != nil {
		f.Fatal(err)
	}
	return s
}

func FuzzDecryptJWE(f *testing.F) {
	priv := rsaKey(f, "a")
	keys := []DecryptKey{{Key: priv, KeyID: "k1"}}
	cek := bytes.Repeat([]byte{9}, 32)
	good, _ := EncryptJWE(&priv.PublicKey, "k1", "/v1/x", testBody)
	direct, _, _ := EncryptJWEKeepingCEK(&priv.PublicKey, "", "", testBody)
	for _, s := range []string{
		good, direct,
		indepEncrypt(f, &priv.PublicKey, `{"alg":"RSA-OAEP-256","enc":"A256GCM"}`, cek, testBody),
		indepEncrypt(f, &priv.PublicKey, `{"alg":"RSA-OAEP-256","enc":"A256GCM","zip":"DEF"}`, cek, testBody),
		indepDirectEncrypt(f, `{"alg":"dir","enc":"A256GCM"}`, cek, testBody),
		rawJWE(`{"alg":"RSA-OAEP-256","enc":"A128GCM"}`),
		"....", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		pt, h, err := DecryptJWE(token, keys)
		if err != nil {
			if !errors.Is(err, ErrJOSE) || pt != nil {
				t.Fatalf("refusal %v with plaintext %v; want an ErrJOSE and none", err, pt != nil)
			}
		} else {
			if h.Alg != "RSA-OAEP-256" || h.Enc != "A256GCM" || h.Zip != "" {
				t.Fatalf("accepted header %+v", h)
			}
			_, p, _, err := indepDecrypt(strings.TrimSpace(token), priv, nil)
			if err != nil || !bytes.Equal(p, pt) {
				t.Fatalf("accepted a token the independent decrypter refuses: %v", err)
			}
		}
		// The server side agrees with the client side on every input.
		pt2, _, cek2, err2 := DecryptJWEKeepingCEK(token, priv)
		if (err == nil) != (err2 == nil) || !bytes.Equal(pt, pt2) || (err2 != nil) != cek2.IsZero() {
			t.Fatalf("DecryptJWE (%v) and DecryptJWEKeepingCEK (%v) disagree", err, err2)
		}
	})
}

func FuzzParsePublicDER(f *testing.F) {
	for _, alg := range []JOSEAlg{ES256, ES384, ES512, RSAOAEP256} {
		s, err := PublicDER(joseKey(f, alg, "a"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(s)
		f.Add(wrap(s, 76))
	}
	for _, v := range nimbusVectors {
		f.Add(v.key)
	}
	f.Add("")
	f.Add("MA==")
	f.Fuzz(func(t *testing.T, in string) {
		pub, err := ParsePublicDER(in)
		if err != nil {
			if !errors.Is(err, ErrKey) || pub != nil {
				t.Fatalf("refusal %v with key %v; want ErrKey and none", err, pub != nil)
			}
			return
		}
		if _, err := JOSEKeyType(pub); err != nil {
			t.Fatalf("accepted a key JOSEKeyType refuses: %v", err)
		}
		again, err := PublicDER(pub)
		if err != nil {
			t.Fatalf("accepted key does not re-encode: %v", err)
		}
		back, err := ParsePublicDER(again)
		if err != nil || !back.(publicKey).Equal(pub) {
			t.Fatalf("accepted key does not survive a round trip: %v", err)
		}
	})
}

func FuzzPeekJOSEHeader(f *testing.F) {
	f.Add(mustSignF(f, ES256, "k", testURL))
	f.Add(rawJWS(`{"version":1,"alg":"ES512"}`, nil, nil))
	f.Add(rawJWE(`{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"k"}`))
	f.Fuzz(func(t *testing.T, token string) {
		h, err := PeekJOSEHeader(token)
		if err != nil {
			if !errors.Is(err, ErrJOSE) {
				t.Fatalf("refusal %v is not an ErrJOSE", err)
			}
			return
		}
		if h.Alg == "" || h.Version < 0 {
			t.Fatalf("accepted header %+v", h)
		}
	})
}
