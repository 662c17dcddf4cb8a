package crypto

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The AEAD_XChaCha20_Poly1305 vector of draft-irtf-cfrg-xchacha-03,
// appendix A.3.1, typed in from the draft.
func xchachaVector(t testing.TB) (key, nonce, plaintext, aad, sealed []byte) {
	key = mustHex(t, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
	nonce = mustHex(t, "404142434445464748494a4b4c4d4e4f5051525354555657")
	plaintext = []byte("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")
	aad = mustHex(t, "50515253c0c1c2c3c4c5c6c7")
	ct := mustHex(t, "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"+
		"731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"+
		"2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"+
		"21f9664c97637da9768812f615c68b13b52e")
	tag := mustHex(t, "c0875924c1c7987947deafd8780acf49")
	return key, nonce, plaintext, aad, append(ct, tag...)
}

func TestXChaCha20Poly1305KnownAnswer(t *testing.T) {
	key, nonce, plaintext, aad, want := xchachaVector(t)
	got, err := SealWithNonce(key, nonce, plaintext, aad)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("SealWithNonce:\n got %x\nwant %x", got, want)
	}
	pt, err := Open(key, nonce, want, aad)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if !bytes.Equal(pt, plaintext) {
		t.Fatalf("Open returned %q", pt)
	}
}

// Every single-bit change of ciphertext, tag, nonce or associated data
// must fail authentication, and fail as ErrOpen only.
func TestOpenRejectsEveryFlippedBit(t *testing.T) {
	key, nonce, _, aad, sealed := xchachaVector(t)
	inputs := []struct {
		name string
		buf  []byte
	}{{"ciphertext", sealed}, {"nonce", nonce}, {"aad", aad}, {"key", key}}
	tried := 0
	for _, in := range inputs {
		for i := range in.buf {
			for bit := range 8 {
				in.buf[i] ^= 1 << bit
				pt, err := Open(key, nonce, sealed, aad)
				in.buf[i] ^= 1 << bit
				if err != ErrOpen || pt != nil {
					t.Fatalf("%s byte %d bit %d flipped: Open = %q, %v; want nil, ErrOpen", in.name, i, bit, pt, err)
				}
				tried++
			}
		}
	}
	if _, err := Open(key, nonce, sealed, aad); err != nil {
		t.Fatalf("the unmodified vector no longer opens: %v", err)
	}
	t.Logf("%d single-bit changes rejected", tried)
}

func TestOpenRejectsMalformedInput(t *testing.T) {
	key, nonce, _, aad, sealed := xchachaVector(t)
	cases := []struct {
		name                string
		key, nonce, ct, aad []byte
	}{
		{"short key", key[:31], nonce, sealed, aad},
		{"long key", append(bytes.Clone(key), 0), nonce, sealed, aad},
		{"12-byte nonce", key, nonce[:12], sealed, aad},
		{"no nonce", key, nil, sealed, aad},
		{"truncated ciphertext", key, nonce, sealed[:len(sealed)-1], aad},
		{"tag only, wrong", key, nonce, sealed[len(sealed)-Overhead:], aad},
		{"shorter than a tag", key, nonce, sealed[:Overhead-1], aad},
		{"empty", key, nonce, nil, aad},
		{"extended ciphertext", key, nonce, append(bytes.Clone(sealed), 0), aad},
		{"aad dropped", key, nonce, sealed, nil},
		{"aad extended", key, nonce, sealed, append(bytes.Clone(aad), 0)},
	}
	for _, c := range cases {
		if pt, err := Open(c.key, c.nonce, c.ct, c.aad); !errors.Is(err, ErrOpen) || pt != nil {
			t.Errorf("%s: Open = %q, %v; want ErrOpen", c.name, pt, err)
		}
	}
}

func TestSealRoundTripAndFreshNonces(t *testing.T) {
	key := NewKey()
	if len(key) != KeySize {
		t.Fatalf("NewKey gave %d bytes", len(key))
	}
	msg, aad := []byte("body"), []byte("header")
	n1, c1, err := Seal(key, msg, aad)
	if err != nil {
		t.Fatal(err)
	}
	n2, c2, err := Seal(key, msg, aad)
	if err != nil {
		t.Fatal(err)
	}
	if len(n1) != NonceSize || len(c1) != len(msg)+Overhead {
		t.Fatalf("nonce %d bytes, ciphertext %d bytes", len(n1), len(c1))
	}
	if bytes.Equal(n1, n2) || bytes.Equal(c1, c2) {
		t.Fatal("two Seal calls reused a nonce")
	}
	for _, c := range []struct{ n, ct []byte }{{n1, c1}, {n2, c2}} {
		pt, err := Open(key, c.n, c.ct, aad)
		if err != nil || !bytes.Equal(pt, msg) {
			t.Fatalf("Open = %q, %v", pt, err)
		}
	}
	if _, err := Open(NewKey(), n1, c1, aad); !errors.Is(err, ErrOpen) {
		t.Fatalf("another key opened the message: %v", err)
	}
	if _, _, err := Seal(key[:16], msg, aad); err == nil {
		t.Fatal("Seal accepted a 128-bit key")
	}
	if _, err := SealWithNonce(key, n1[:12], msg, aad); err == nil {
		t.Fatal("SealWithNonce accepted a 12-byte nonce")
	}
}

func TestWipe(t *testing.T) {
	b := []byte("secret")
	Wipe(b)
	if !bytes.Equal(b, make([]byte, 6)) {
		t.Fatalf("Wipe left %q", b)
	}
	Wipe(nil) // must not panic
}
