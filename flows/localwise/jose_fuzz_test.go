package localwise

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// The playgrounds' readers of untrusted tokens, fuzzed: whatever the bytes,
// a token is refused with a joseRefusal or accepted, and it is accepted
// only with the payload that was signed or encrypted (base64url that
// decodes to the same bytes is the same token).

var fuzzNow = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

// fuzzServer is a server with the test client's ES256 and PS256 signing
// keys stored, and localwise's encryption key made.
func fuzzServer(f *testing.F) *Server {
	s := New(Config{Now: func() time.Time { return fuzzNow }})
	for _, k := range []clientKey{
		{clientID: testClientID, keyID: sigKID, scope: scopeSigning, alg: "ES256", pub: &ecKey("ES256").PublicKey},
		{clientID: testClientID, keyID: newUUID(), scope: scopeSigning, alg: "PS256", pub: &joseRSA(1).PublicKey},
	} {
		k.validFrom, k.validTill = fuzzNow.Add(-time.Hour), fuzzNow.Add(time.Hour)
		if err := s.jose.upload(fuzzNow, k); err != nil {
			f.Fatal(err)
		}
	}
	return s
}

func FuzzVerifyRequestJWS(f *testing.F) {
	s := fuzzServer(f)
	payload := message("fuzz")
	good := signCompact(f, jwsHeader("ES256", sigKID, pathJWS), ecKey("ES256"), payload)
	f.Add(good)
	f.Add(signCompact(f, jwsHeader("PS256", "", pathJWS), joseRSA(1), payload))
	f.Add(signCompact(f, jwsHeader("none", "", pathJWS), nil, payload))
	f.Add(signCompact(f, jwsHeader("HS256", sigKID, pathJWS), []byte("k"), payload))
	f.Add(strings.Replace(good, ".", "..", 1))
	f.Add("e30.e30.")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		got, err := s.verifyRequestJWS(fuzzNow, testClientID, token, pathJWS)
		var refusal *joseRefusal
		switch {
		case err != nil && (!errors.As(err, &refusal) || refusal.decrypt || refusal.reason == ""):
			t.Fatalf("error %v is not a JWS refusal", err)
		case err == nil && !bytes.Equal(got, payload):
			t.Fatalf("accepted %q with payload %q, which was never signed", token, got)
		}
	})
}

func FuzzDecryptRequestJWE(f *testing.F) {
	s := fuzzServer(f)
	k, _, err := s.jose.ownKeyAt(fuzzNow, scopeEncryption, 0)
	if err != nil {
		f.Fatal(err)
	}
	wise := &k.decrypter.PublicKey
	plaintext := message("fuzz")
	good := encryptCompact(f, wise, map[string]any{"alg": jweAlg, "enc": jweEnc, "url": pathJWE}, nil, plaintext)
	f.Add(good)
	f.Add(encryptCompact(f, wise, map[string]any{"alg": jweAlg, "enc": jweEnc}, nil, plaintext))
	f.Add(encryptCompact(f, wise, map[string]any{"alg": jweAlg, "enc": jweEnc, "zip": "DEF"}, nil, plaintext))
	f.Add(encryptCompact(f, wise, map[string]any{"alg": jweAlg, "enc": "A128GCM"}, randomBytes(16), plaintext))
	f.Add(sealCompact(f, encodeHeader(map[string]any{"alg": "dir", "enc": jweEnc}), nil, randomBytes(32), plaintext))
	f.Add("e30.e30.e30.e30.e30")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		got, cek, err := s.decryptRequestJWE(fuzzNow, token, pathJWE)
		var refusal *joseRefusal
		switch {
		case err != nil && (!errors.As(err, &refusal) || !refusal.decrypt || refusal.reason == ""):
			t.Fatalf("error %v is not a decryption refusal", err)
		case err == nil && (!bytes.Equal(got, plaintext) || len(cek) != 32):
			t.Fatalf("accepted %q with plaintext %q and a CEK of %d bytes, which were never encrypted", token, got, len(cek))
		}
	})
}
