package wallet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gofrs/flock"
	"github.com/wisewallet/wisewallet/crypto"
)

const (
	tamperToken  = "tamper-token-5d1f0c3a9b7e"
	tamperSecret = "tamper-client-secret-77aa19"
)

// tamperWallet is a small real wallet with two entries holding secrets.
func tamperWallet(t *testing.T) (*FileStore, []byte) {
	t.Helper()
	store, w := newTestWallet(t)
	client := Entry{Name: "acme-client", Kind: KindClient, Env: Environment{Name: EnvSandbox, APIURL: "https://api.sandbox.transferwise.tech"},
		OAuthClient: OAuthClient{ClientID: "acme-client-id", RedirectURL: "http://127.0.0.1:8765/callback"}}
	client.SetSecret(SecretClientSecret, crypto.SecretString(tamperSecret))
	addEntries(t, w, personal("my-token", tamperToken), client)
	return store, mustRead(t, store.Path())
}

// countingUnlocker records whether the passphrase was asked for.
func countingUnlocker(pass string, calls *int) Unlocker {
	return Unlocker{Passphrase: func() (crypto.Secret, error) { *calls++; return crypto.SecretString(pass), nil }}
}

// checkRejected fails unless err says damaged or not-a-wallet, and says
// nothing secret.
func checkRejected(t *testing.T, what string, err error) {
	t.Helper()
	switch {
	case err == nil:
		t.Fatalf("%s: Open succeeded", what)
	case errors.Is(err, ErrWrongPassphrase):
		t.Fatalf("%s: reported as a wrong passphrase: %v", what, err)
	case !errors.Is(err, ErrDamaged) && !errors.Is(err, ErrNotWallet):
		t.Fatalf("%s: error wraps neither ErrDamaged nor ErrNotWallet: %v", what, err)
	}
	if msg := err.Error(); strings.Contains(msg, tamperToken) || strings.Contains(msg, tamperSecret) || strings.Contains(msg, testPassphrase) {
		t.Fatalf("%s: error message contains a secret", what)
	}
}

func TestOpenRejectsEverySingleByteChangeTruncationAndExtension(t *testing.T) {
	store, orig := tamperWallet(t)
	calls := 0
	open := func(what string, data []byte) {
		t.Helper()
		writeWallet(t, store, data)
		_, err := Open(context.Background(), store, countingUnlocker(testPassphrase, &calls))
		checkRejected(t, what, err)
		if calls != 0 {
			t.Fatalf("%s: the passphrase was asked for although the file is damaged", what)
		}
	}
	for off := range orig {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			b := bytes.Clone(orig)
			b[off] ^= mask
			open(fmt.Sprintf("byte %d ^ %#02x", off, mask), b)
		}
	}
	for n := 0; n < len(orig); n++ {
		open(fmt.Sprintf("truncated to %d bytes", n), orig[:n])
	}
	open("one byte appended", append(bytes.Clone(orig), 0))
	open("trailer appended twice", append(bytes.Clone(orig), orig[len(orig)-trailerSize:]...))

	// The sweep must have been on a file that opens.
	writeWallet(t, store, orig)
	if _, err := openWith(store, testPassphrase); err != nil {
		t.Fatalf("original does not open: %v", err)
	}
}

// With the trailer recomputed (what an attacker would do), no single-byte
// change may open either. The checksum no longer helps, so the error can
// be a wrong passphrase for bytes the slot's key is bound to; bytes only
// the body's authentication covers must read as damage.
func TestOpenRejectsEverySingleByteChangeWithValidChecksum(t *testing.T) {
	store, orig := tamperWallet(t)
	f, err := decodeFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	aadLen := len(f.aad)
	kdfStart := fixedHeaderSize + 1 // first slot is the passphrase slot
	kdfEnd := kdfStart + 9
	if orig[fixedHeaderSize] != slotPassphrase {
		t.Fatalf("first slot has type %d, want passphrase", orig[fixedHeaderSize])
	}
	genStart := fixedHeaderSize - 1 - 8
	mustBeDamaged := func(off int) bool {
		return off >= genStart && off < genStart+8 || // generation: only in the body's AAD
			off >= aadLen-crypto.NonceSize-4 // body nonce, body length, body
	}
	skipped := 0
	for off := 0; off < len(orig)-trailerSize; off++ {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			b := bytes.Clone(orig)
			b[off] ^= mask
			b = withTrailer(b)
			what := fmt.Sprintf("byte %d ^ %#02x, trailer recomputed", off, mask)
			if off >= kdfStart && off < kdfEnd {
				// A few flips turn 8 KiB into tens of MiB, which is valid
				// and merely slow; the slot's AAD binds the parameters, so
				// those fail like the cheap ones below.
				if g, err := decodeFile(b); err == nil {
					if s, _ := g.slot(slotPassphrase); s.kdf.Check() == nil && s.kdf.MemoryKiB > 1024 {
						skipped++
						continue
					}
				}
			}
			writeWallet(t, store, b)
			_, err := openWith(store, testPassphrase)
			switch {
			case err == nil:
				t.Fatalf("%s: Open succeeded", what)
			case mustBeDamaged(off) && !errors.Is(err, ErrDamaged):
				t.Fatalf("%s: want ErrDamaged, got %v", what, err)
			case !errors.Is(err, ErrDamaged) && !errors.Is(err, ErrNotWallet) &&
				!errors.Is(err, ErrWrongPassphrase) && !errors.Is(err, ErrUnsupportedVersion):
				t.Fatalf("%s: unclassified error %v", what, err)
			}
		}
	}
	if skipped > 4 {
		t.Fatalf("skipped %d expensive-KDF cases; expected at most 4", skipped)
	}
}

// Two wallets with the same passphrase must not accept each other's parts,
// even with the checksum recomputed.
func TestOpenRejectsSlotOrBodySwappedBetweenWallets(t *testing.T) {
	storeA, a := tamperWallet(t)
	_, b := tamperWallet(t)
	fa, err := decodeFile(a)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := decodeFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(fa.body) != len(fb.body) {
		t.Fatalf("test wallets differ in body size (%d, %d); the swap needs equal sizes", len(fa.body), len(fb.body))
	}
	slotStart, slotEnd := fixedHeaderSize, fixedHeaderSize+passphraseSlotLen

	splice := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	slotSwapped := splice(a[:slotStart], b[slotStart:slotEnd], a[slotEnd:])
	bodySwapped := splice(a[:len(fa.aad)], fb.body, a[len(a)-trailerSize:])

	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"slot from B, checksum of A", slotSwapped, ErrDamaged},
		{"body from B, checksum of A", bodySwapped, ErrDamaged},
		// The slot's key is bound to its wallet id: from here it is
		// indistinguishable from a wrong passphrase.
		{"slot from B, checksum recomputed", withTrailer(slotSwapped), ErrWrongPassphrase},
		{"body from B, checksum recomputed", withTrailer(bodySwapped), ErrDamaged},
		{"header of A, body and trailer of B", splice(a[:len(fa.aad)], b[len(fb.aad):]), ErrDamaged},
	} {
		writeWallet(t, storeA, tc.data)
		_, err := openWith(storeA, testPassphrase)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestOpenClassifiesDamageAndWrongPassphrase(t *testing.T) {
	store, orig := tamperWallet(t)
	f, err := decodeFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	bodyByte := len(f.aad) + len(f.body)/2

	flipped := bytes.Clone(orig)
	flipped[bodyByte] ^= 0x01
	for _, tc := range []struct {
		name     string
		data     []byte
		pass     string
		want     error
		notWant  error
		contains string
	}{
		{"body byte flipped, checksum recomputed", withTrailer(flipped), testPassphrase, ErrDamaged, ErrWrongPassphrase, "modified"},
		{"body byte flipped, checksum stale", flipped, testPassphrase, ErrDamaged, ErrWrongPassphrase, "checksum"},
		// The trailer is not a MAC: with a wrong passphrase, a file
		// altered (checksum redone) looks intact, so exit 3 says both.
		{"intact file, wrong passphrase", orig, "not the passphrase", ErrWrongPassphrase, ErrDamaged, "wrong passphrase, or the file was altered"},
		{"body byte flipped, checksum recomputed, wrong passphrase", withTrailer(flipped), "not the passphrase", ErrWrongPassphrase, ErrDamaged, "wrong passphrase, or the file was altered"},
		{"not a wallet", []byte("hello, this is some other file\n"), testPassphrase, ErrNotWallet, ErrDamaged, "not a wisewallet file"},
	} {
		writeWallet(t, store, tc.data)
		_, err := openWith(store, tc.pass)
		if !errors.Is(err, tc.want) || errors.Is(err, tc.notWant) {
			t.Errorf("%s: got %v, want %v and not %v", tc.name, err, tc.want, tc.notWant)
			continue
		}
		if !strings.Contains(err.Error(), tc.contains) {
			t.Errorf("%s: message %q does not say %q", tc.name, err, tc.contains)
		}
		if tc.want != ErrNotWallet && !strings.Contains(err.Error(), store.Path()) {
			t.Errorf("%s: message %q does not name the file", tc.name, err)
		}
	}
}

func TestWrongPassphraseLeavesFileUntouched(t *testing.T) {
	store, orig := tamperWallet(t)
	before, err := os.Stat(store.Path())
	if err != nil {
		t.Fatal(err)
	}
	dirBefore, err := os.ReadDir(store.Dir())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := openWith(store, fmt.Sprintf("wrong %d", i)); !errors.Is(err, ErrWrongPassphrase) {
			t.Fatalf("Open with a wrong passphrase: %v", err)
		}
	}
	after, err := os.Stat(store.Path())
	if err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, store.Path()); !bytes.Equal(got, orig) {
		t.Error("wallet bytes changed")
	}
	if before.Mode() != after.Mode() || !before.ModTime().Equal(after.ModTime()) {
		t.Errorf("mode/mtime changed: %v %v -> %v %v", before.Mode(), before.ModTime(), after.Mode(), after.ModTime())
	}
	if before.Sys().(*syscall.Stat_t).Ino != after.Sys().(*syscall.Stat_t).Ino {
		t.Error("wallet inode changed: the file was replaced")
	}
	dirAfter, err := os.ReadDir(store.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if len(dirAfter) != len(dirBefore) || len(tempFiles(t, store.Dir())) != 0 {
		t.Errorf("folder changed: %v -> %v", dirBefore, dirAfter)
	}
	assertUnlocked(t, store)
}

// assertUnlocked checks that no one holds the wallet lock now.
func assertUnlocked(t *testing.T, store *FileStore) {
	t.Helper()
	fl := flock.New(filepath.Join(store.Dir(), lockName))
	ok, err := fl.TryLock()
	if err != nil || !ok {
		t.Fatalf("wallet lock is still held (ok=%v, err=%v)", ok, err)
	}
	_ = fl.Unlock()
}
