package crypto

// Fuzz what SCA reads from the other side for a while with, e.g.,
//
//	go test ./crypto -run='^$' -fuzz=FuzzVerifyOneTimeTokenSignature -fuzztime=30s
//	go test ./crypto -run='^$' -fuzz=FuzzCheckOneTimeToken -fuzztime=30s
//
// The one-time token comes from a server's x-2fa-approval header and the
// signature from a client's X-Signature header: both are untrusted. Each
// target checks that what is accepted is what an honest peer sends.

import (
	stdcrypto "crypto"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"regexp"
	"testing"
)

// uuidShape is an independent statement of CheckOneTimeToken's rule.
var uuidShape = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func FuzzVerifyOneTimeTokenSignature(f *testing.F) {
	key := vectorKey(f)
	for _, v := range scaVectors {
		f.Add(v.ott, v.sig)
		f.Add(v.ott, v.sig+"\n")
		f.Add(v.ott, v.sig[:len(v.sig)-2])
	}
	f.Add(scaVectors[0].ott, scaVectors[1].sig)
	f.Add("", "")
	f.Add(testOTT+"\r\n", scaVectors[0].sig)
	f.Add(testOTT, "====")
	f.Fuzz(func(t *testing.T, ott, sig string) {
		err := VerifyOneTimeTokenSignature(&key.PublicKey, ott, sig)
		if err != nil {
			if !errors.Is(err, ErrSCA) {
				t.Fatalf("refusal %v is not an ErrSCA", err)
			}
			return
		}
		// Accepted: the token is a UUID, the signature is the single
		// canonical spelling of what we would sign (PKCS#1 v1.5 is
		// deterministic), and the standard library agrees.
		if !uuidShape.MatchString(ott) {
			t.Fatalf("accepted token %q that is not a UUID", ott)
		}
		want, err := SignOneTimeToken(key, ott)
		if err != nil || want != sig {
			t.Fatalf("accepted %q for %q; we sign it %q (%v)", sig, ott, want, err)
		}
		raw, _ := base64.StdEncoding.DecodeString(sig)
		d := SHA256([]byte(ott))
		if rsa.VerifyPKCS1v15(&key.PublicKey, stdcrypto.SHA256, d[:], raw) != nil {
			t.Fatal("accepted a signature crypto/rsa refuses")
		}
	})
}

func FuzzCheckOneTimeToken(f *testing.F) {
	for _, s := range []string{testOTT, "", "hello", testOTT + "\n", "５f2e1c9a-3b7d-4e8f-a1c6-0d9b8e7f6a", "5f2e1c9a_3b7d-4e8f-a1c6-0d9b8e7f6a5c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckOneTimeToken(s)
		if (err == nil) != uuidShape.MatchString(s) {
			t.Fatalf("CheckOneTimeToken(%q) = %v, the UUID pattern says %v", s, err, uuidShape.MatchString(s))
		}
		if err != nil && !errors.Is(err, ErrOneTimeToken) {
			t.Fatalf("refusal %v is not ErrOneTimeToken", err)
		}
	})
}
