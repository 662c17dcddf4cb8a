package flows

import (
	stdcrypto "crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/wisewallet/wisewallet/flows/localwise"
)

// The key operations the agent serves: what they sign verifies with the
// entry's public key, and what they refuse is refused before any use of
// the key.
func TestKeyOperationsSignDecryptAndRefuse(t *testing.T) {
	f := newFixture(t, localwise.Config{})
	f.addDemoClient("app")
	if _, err := f.svc.JOSEKeygen(bg, JOSEKeyInput{Name: "es", Use: JOSEUseSig, For: "app"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.JOSEKeygen(bg, JOSEKeyInput{Name: "enc", Use: JOSEUseEnc, For: "app"}); err != nil {
		t.Fatal(err)
	}
	der, err := f.svc.KeyPublic("es")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("message"))
	sig, err := f.svc.KeySign("es", digest[:], stdcrypto.SHA256, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), digest[:], sig) {
		t.Error("the ECDSA signature does not verify with the entry's public key")
	}
	// RSA-PSS with the encryption entry's RSA key (the key type is what
	// is checked here, not the entry's use).
	rsaDER, _ := f.svc.KeyPublic("enc")
	rpub, _ := x509.ParsePKIXPublicKey(rsaDER)
	pss, err := f.svc.KeySign("enc", digest[:], stdcrypto.SHA256, true, rsa.PSSSaltLengthEqualsHash)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPSS(rpub.(*rsa.PublicKey), stdcrypto.SHA256, digest[:], pss, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}); err != nil {
		t.Errorf("the PSS signature does not verify: %v", err)
	}
	ct, _ := rsa.EncryptOAEP(sha256.New(), rand.Reader, rpub.(*rsa.PublicKey), []byte("cek"), []byte("label"))
	if pt, err := f.svc.KeyDecrypt("enc", ct, stdcrypto.SHA256, []byte("label")); err != nil || string(pt) != "cek" {
		t.Errorf("OAEP decrypt: %q, %v", pt, err)
	}
	for name, err := range map[string]error{
		"MD5 digest":        func() error { _, err := f.svc.KeySign("es", digest[:16], stdcrypto.MD5, false, 0); return err }(),
		"short digest":      func() error { _, err := f.svc.KeySign("es", digest[:31], stdcrypto.SHA256, false, 0); return err }(),
		"PSS with EC":       func() error { _, err := f.svc.KeySign("es", digest[:], stdcrypto.SHA256, true, 0); return err }(),
		"decrypt with EC":   func() error { _, err := f.svc.KeyDecrypt("es", ct, stdcrypto.SHA256, nil); return err }(),
		"OAEP with MD5":     func() error { _, err := f.svc.KeyDecrypt("enc", ct, stdcrypto.MD5, nil); return err }(),
		"not a key entry":   func() error { _, err := f.svc.KeySign("app", digest[:], stdcrypto.SHA256, false, 0); return err }(),
		"public of a token": func() error { _, err := f.svc.KeyPublic("app"); return err }(),
	} {
		if err == nil {
			t.Errorf("%s: not refused", name)
		} else if !errors.Is(err, ErrKeyOperation) && !errors.Is(err, ErrUsage) {
			t.Errorf("%s: %v, want ErrKeyOperation or ErrUsage", name, err)
		}
	}
}
