package crypto

import (
	stdcrypto "crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// generated caches one key per type: RSA-4096 generation is slow under
// -race, and most tests only need some key of each type.
var generated = struct {
	sync.Mutex
	keys map[KeyType]stdcrypto.Signer
}{keys: map[KeyType]stdcrypto.Signer{}}

func keyOf(t testing.TB, kt KeyType) stdcrypto.Signer {
	t.Helper()
	generated.Lock()
	k, ok := generated.keys[kt]
	generated.Unlock()
	if ok {
		return k
	}
	// Generate outside the lock so parallel subtests make keys in parallel.
	k, err := GenerateKey(kt)
	if err != nil {
		t.Fatalf("GenerateKey(%s): %v", kt, err)
	}
	generated.Lock()
	defer generated.Unlock()
	if old, ok := generated.keys[kt]; ok {
		return old
	}
	generated.keys[kt] = k
	return k
}

type publicKey interface {
	Equal(stdcrypto.PublicKey) bool
}

func TestGenerateKeyPEMRoundTripEveryType(t *testing.T) {
	for _, kt := range KeyTypes {
		t.Run(string(kt), func(t *testing.T) {
			t.Parallel()
			key := keyOf(t, kt)
			if got, err := TypeOf(key); err != nil || got != kt {
				t.Fatalf("TypeOf(generated %s) = %q, %v", kt, got, err)
			}
			if got, err := TypeOf(key.Public()); err != nil || got != kt {
				t.Fatalf("TypeOf(public %s) = %q, %v", kt, got, err)
			}
			p, err := MarshalPrivateKeyPEM(key)
			if err != nil {
				t.Fatal(err)
			}
			raw := p.Reveal()
			block, rest := pem.Decode(raw)
			Wipe(raw)
			if block == nil || block.Type != "PRIVATE KEY" || len(rest) != 0 {
				t.Fatalf("MarshalPrivateKeyPEM did not give one PKCS#8 PRIVATE KEY block")
			}
			back, err := ParsePrivateKeyPEM(p)
			if err != nil {
				t.Fatalf("ParsePrivateKeyPEM: %v", err)
			}
			if got, _ := TypeOf(back); got != kt {
				t.Fatalf("parsed key has type %q", got)
			}
			if !back.Public().(publicKey).Equal(key.Public()) {
				t.Fatal("parsed key differs from the generated one")
			}

			pubPEM, err := MarshalPublicKeyPEM(key.Public())
			if err != nil {
				t.Fatal(err)
			}
			pub, err := ParsePublicKeyPEM(pubPEM)
			if err != nil {
				t.Fatalf("ParsePublicKeyPEM: %v", err)
			}
			if !pub.(publicKey).Equal(key.Public()) {
				t.Fatal("public PEM round trip changed the key")
			}
		})
	}
}

func TestParsePrivateKeyPEMLegacyForms(t *testing.T) {
	rsaKey := keyOf(t, RSA2048).(*rsa.PrivateKey)
	ecKey := keyOf(t, ECP256).(*ecdsa.PrivateKey)
	ecDER, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		block *pem.Block
		want  KeyType
	}{
		"PKCS#1": {&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}, RSA2048},
		"SEC 1":  {&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER}, ECP256},
	} {
		k, err := ParsePrivateKeyPEM(NewSecret(pem.EncodeToMemory(c.block)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, _ := TypeOf(k); got != c.want {
			t.Fatalf("%s: type %q, want %q", name, got, c.want)
		}
	}
}

func pkcs8PEM(t *testing.T, key any) Secret {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return NewSecret(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func TestWeakOrForeignKeysRefused(t *testing.T) {
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// P-521 is a JOSE (ES512) key: refused for mTLS by TypeOf, stored and
	// encoded by the parsers (TestP521IsJOSEOnly).
	for name, key := range map[string]stdcrypto.Signer{"RSA-1024": rsa1024, "P-521": p521, "Ed25519": ed} {
		if kt, err := TypeOf(key); !errors.Is(err, ErrKey) {
			t.Errorf("TypeOf(%s) = %q, %v; want ErrKey", name, kt, err)
		}
		if _, err := TypeOf(key.Public()); !errors.Is(err, ErrKey) {
			t.Errorf("TypeOf(%s public) = %v; want ErrKey", name, err)
		}
	}
	for name, key := range map[string]stdcrypto.Signer{"RSA-1024": rsa1024, "Ed25519": ed} {
		if kt, err := JOSEKeyType(key); !errors.Is(err, ErrKey) {
			t.Errorf("JOSEKeyType(%s) = %q, %v; want ErrKey", name, kt, err)
		}
		if _, err := ParsePrivateKeyPEM(pkcs8PEM(t, key)); !errors.Is(err, ErrKey) {
			t.Errorf("ParsePrivateKeyPEM(%s) = %v; want ErrKey", name, err)
		}
		if _, err := PublicJWK(key, "kid", "", "sig"); !errors.Is(err, ErrKey) {
			t.Errorf("PublicJWK(%s) = %v; want ErrKey", name, err)
		}
		pub, err := x509.MarshalPKIXPublicKey(key.Public())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParsePublicKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})); !errors.Is(err, ErrKey) {
			t.Errorf("ParsePublicKeyPEM(%s) = %v; want ErrKey", name, err)
		}
		b, err := json.Marshal(jose.JSONWebKey{Key: key.Public()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParsePublicJWK(b); !errors.Is(err, ErrKey) {
			t.Errorf("ParsePublicJWK(%s) = %v; want ErrKey", name, err)
		}
	}
	for _, kt := range []KeyType{"ed25519", "rsa1024", "p521", "", "RSA2048"} {
		if k, err := GenerateKey(kt); !errors.Is(err, ErrKey) || k != nil {
			t.Errorf("GenerateKey(%q) = %v, %v; want ErrKey", kt, k, err)
		}
	}
	if _, err := TypeOf("not a key"); !errors.Is(err, ErrKey) {
		t.Errorf("TypeOf(string) = %v", err)
	}
}

func TestParsePrivateKeyPEMRefusesBadInput(t *testing.T) {
	ecKey := keyOf(t, ECP256)
	good := pkcs8PEM(t, ecKey)
	der, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	pubDER, _ := x509.MarshalPKIXPublicKey(ecKey.Public())
	huge := append([]byte(strings.Repeat("#", maxPEMInput)), good.Reveal()...)
	cases := map[string][]byte{
		"empty":                 nil,
		"garbage":               []byte("not a pem at all"),
		"binary garbage":        RandomBytes(300),
		"DER without PEM":       der,
		"certificate block":     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		"public key block":      pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}),
		"garbage in PKCS#8":     pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("garbage")}),
		"PKCS#8 as PKCS#1":      pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der}),
		"truncated PKCS#8":      pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der[:len(der)-5]}),
		"encrypted PEM header":  []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"),
		"over 1 MiB, valid key": huge,
	}
	for name, in := range cases {
		if k, err := ParsePrivateKeyPEM(NewSecret(in)); !errors.Is(err, ErrKey) || k != nil {
			t.Errorf("%s: ParsePrivateKeyPEM = %v, %v; want ErrKey", name, k, err)
		}
	}
	if _, err := ParsePublicKeyPEM(append([]byte(strings.Repeat("#", maxPEMInput)), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})...)); !errors.Is(err, ErrKey) {
		t.Errorf("ParsePublicKeyPEM accepted more than 1 MiB: %v", err)
	}
	if _, err := ParsePrivateKeyPEM(good); err != nil {
		t.Fatalf("the good input is refused: %v", err)
	}
}

// privateJWKMembers are the members that carry private key material in
// RSA, EC and symmetric JWKs (RFC 7518 §6).
var privateJWKMembers = []string{"d", "p", "q", "dp", "dq", "qi", "k", "oth"}

func TestPublicJWKHasNoPrivateMembers(t *testing.T) {
	for _, c := range []struct {
		kt  KeyType
		alg string
		use string
	}{{RSA2048, "PS256", "sig"}, {RSA2048, "RSA-OAEP-256", "enc"}, {ECP256, "ES256", "sig"}, {ECP384, "ES384", "sig"}} {
		key := keyOf(t, c.kt)
		for name, in := range map[string]any{"private": key, "public": key.Public()} {
			b, err := PublicJWK(in, "kid-1", c.alg, c.use)
			if err != nil {
				t.Fatalf("%s %s: %v", c.kt, name, err)
			}
			var members map[string]any
			if err := json.Unmarshal(b, &members); err != nil {
				t.Fatal(err)
			}
			for _, m := range privateJWKMembers {
				if _, ok := members[m]; ok {
					t.Errorf("%s JWK from a %s key has private member %q", c.kt, name, m)
				}
			}
			if members["kid"] != "kid-1" || members["alg"] != c.alg || members["use"] != c.use {
				t.Errorf("%s JWK lost kid/alg/use: %v %v %v", c.kt, members["kid"], members["alg"], members["use"])
			}
			back, err := ParsePublicJWK(b)
			if err != nil {
				t.Fatalf("ParsePublicJWK(PublicJWK(%s)): %v", c.kt, err)
			}
			if !back.Key.(publicKey).Equal(key.Public()) || back.KeyID != "kid-1" {
				t.Fatalf("%s JWK round trip changed the key or kid", c.kt)
			}
		}
	}
}

func TestParsePublicJWKRefusesPrivateAndBadKeys(t *testing.T) {
	for _, kt := range []KeyType{RSA2048, ECP256} {
		b, err := json.Marshal(jose.JSONWebKey{Key: keyOf(t, kt), KeyID: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `"d":`) {
			t.Fatalf("test setup: %s JWK has no private member", kt)
		}
		if _, err := ParsePublicJWK(b); !errors.Is(err, ErrKey) {
			t.Errorf("ParsePublicJWK(private %s) = %v; want ErrKey", kt, err)
		}
	}
	oct, err := json.Marshal(jose.JSONWebKey{Key: RandomBytes(32), KeyID: "sym"})
	if err != nil {
		t.Fatal(err)
	}
	good, err := PublicJWK(keyOf(t, ECP256), "", "ES256", "sig")
	if err != nil {
		t.Fatal(err)
	}
	padded := append([]byte(strings.Repeat(" ", maxPEMInput)), good...)
	for name, in := range map[string][]byte{
		"symmetric": oct,
		"empty":     nil,
		"not JSON":  []byte("{"),
		"no kty":    []byte(`{"n":"AQAB","e":"AQAB"}`),
		"bad curve": []byte(`{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}`),
		"over 1MiB": padded,
	} {
		if _, err := ParsePublicJWK(in); !errors.Is(err, ErrKey) {
			t.Errorf("%s: ParsePublicJWK = %v; want ErrKey", name, err)
		}
	}
	if _, err := ParsePublicJWK(good); err != nil {
		t.Fatalf("the good JWK is refused: %v", err)
	}
}

// rfc7638Key is the example key of RFC 7638 §3.1, typed in from the RFC.
const rfc7638Key = `{
  "kty": "RSA",
  "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
  "e": "AQAB",
  "alg": "RS256",
  "kid": "2011-04-29"
}`

func TestThumbprintRFC7638Example(t *testing.T) {
	jwk, err := ParsePublicJWK([]byte(rfc7638Key))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Thumbprint(jwk.Key)
	if err != nil {
		t.Fatal(err)
	}
	if want := "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; got != want {
		t.Fatalf("Thumbprint = %s, want %s", got, want)
	}
	// The thumbprint covers the key only, so re-encoding with another kid,
	// alg and use keeps it.
	b, err := PublicJWK(jwk.Key, "other", "PS256", "sig")
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParsePublicJWK(b)
	if err != nil {
		t.Fatal(err)
	}
	if tp, _ := Thumbprint(again.Key); tp != got {
		t.Fatalf("thumbprint changed with kid/alg/use: %s", tp)
	}
	if _, err := Thumbprint("not a key"); !errors.Is(err, ErrKey) {
		t.Fatalf("Thumbprint(string) = %v; want ErrKey", err)
	}
}

func FuzzParsePrivateKeyPEM(f *testing.F) {
	for _, kt := range []KeyType{ECP256, ECP384, RSA2048} {
		der, err := x509.MarshalPKCS8PrivateKey(keyOf(f, kt))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	}
	ecDER, _ := x509.MarshalECPrivateKey(keyOf(f, ECP256).(*ecdsa.PrivateKey))
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER}))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nMA==\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		key, err := ParsePrivateKeyPEM(NewSecret(in))
		if err != nil {
			if !errors.Is(err, ErrKey) || key != nil {
				t.Fatalf("failure is %v with key %v; want ErrKey and no key", err, key != nil)
			}
			return
		}
		kt, err := JOSEKeyType(key)
		if err != nil {
			t.Fatalf("accepted a key JOSEKeyType refuses: %v", err)
		}
		again, err := MarshalPrivateKeyPEM(key)
		if err != nil {
			t.Fatalf("accepted %s key does not marshal: %v", kt, err)
		}
		back, err := ParsePrivateKeyPEM(again)
		if err != nil || !back.Public().(publicKey).Equal(key.Public()) {
			t.Fatalf("accepted %s key does not survive a round trip: %v", kt, err)
		}
	})
}

func FuzzParsePublicJWK(f *testing.F) {
	f.Add([]byte(rfc7638Key))
	for _, kt := range []KeyType{ECP256, ECP384} {
		b, err := PublicJWK(keyOf(f, kt), "k", "ES256", "sig")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		priv, _ := json.Marshal(jose.JSONWebKey{Key: keyOf(f, kt)})
		f.Add(priv)
	}
	// P-521, the ES512 curve, is accepted for JOSE keys.
	if b, err := PublicJWK(joseKey(f, ES512, "a"), "k", "ES512", "sig"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"kty":"oct","k":"AAAA"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		jwk, err := ParsePublicJWK(in)
		if err != nil {
			if !errors.Is(err, ErrKey) {
				t.Fatalf("failure is %v; want ErrKey", err)
			}
			return
		}
		if !jwk.IsPublic() {
			t.Fatal("accepted a JWK with private members")
		}
		out, err := PublicJWK(jwk.Key, jwk.KeyID, jwk.Algorithm, jwk.Use)
		if err != nil {
			t.Fatalf("accepted JWK does not re-encode: %v", err)
		}
		back, err := ParsePublicJWK(out)
		if err != nil {
			t.Fatalf("re-encoded JWK is refused: %v", err)
		}
		a, err1 := Thumbprint(jwk.Key)
		b, err2 := Thumbprint(back.Key)
		if err1 != nil || err2 != nil || a != b {
			t.Fatalf("thumbprint changed over a round trip: %v %v", err1, err2)
		}
	})
}
