package wallet

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/wisewallet/wisewallet/crypto"
)

func TestChangePassphrase(t *testing.T) {
	store, w := newTestWallet(t)
	addEntries(t, w, personal("a", "token-a"), personal("b", "token-b"))
	before := w.Entries()
	id, gen := w.ID(), w.Generation()
	newKDF := crypto.KDFParams{Time: 2, MemoryKiB: 16, Threads: 2}
	if err := w.ChangePassphrase(context.Background(), crypto.SecretString("new passphrase"), newKDF); err != nil {
		t.Fatal(err)
	}
	if _, err := openWith(store, testPassphrase); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("old passphrase after the change: %v", err)
	}
	got := mustOpen(t, store, "new passphrase")
	if got.ID() != id || got.Generation() != gen+1 || got.KDF() != newKDF || w.KDF() != newKDF {
		t.Errorf("after the change: id %s gen %d kdf %+v (handle %+v); want %s %d %+v", got.ID(), got.Generation(), got.KDF(), w.KDF(), id, gen+1, newKDF)
	}
	if fmt.Sprint(names(got.Entries())) != fmt.Sprint(names(before)) {
		t.Fatalf("entries %v, want %v", names(got.Entries()), names(before))
	}
	for _, e := range before {
		g, _ := got.Get(e.Name)
		if !g.Secret(SecretToken).Equal(e.Secret(SecretToken)) {
			t.Errorf("%s: token changed", e.Name)
		}
	}
	// The handle that changed it goes on saving under the new passphrase.
	addEntries(t, w, personal("c", "token-c"))
	if mustOpen(t, store, "new passphrase").Contents().Len() != 3 {
		t.Error("save after the change lost an entry")
	}

	// Refused changes leave the file alone.
	data := mustRead(t, store.Path())
	if err := w.ChangePassphrase(context.Background(), crypto.Secret{}, crypto.KDFParams{}); !errors.Is(err, ErrNoPassphrase) {
		t.Errorf("empty passphrase: %v", err)
	}
	if err := w.ChangePassphrase(context.Background(), crypto.SecretString("x"), crypto.KDFParams{Time: 1, MemoryKiB: 8, Threads: 0}); !errors.Is(err, crypto.ErrParams) {
		t.Errorf("bad KDF params: %v", err)
	}
	if !bytes.Equal(data, mustRead(t, store.Path())) {
		t.Error("a refused change modified the file")
	}
}

func TestUpdateErrorSavesNothing(t *testing.T) {
	store, w := newTestWallet(t)
	addEntries(t, w, personal("a", "token-a"))
	before := mustRead(t, store.Path())
	infoBefore, _ := os.Stat(store.Path())
	gen := w.Generation()
	boom := errors.New("boom")
	err := w.Update(context.Background(), func(c *Contents) error {
		// Every kind of change, then a failure.
		e, err := c.Get("a")
		if err != nil {
			return err
		}
		e.SetSecret(SecretToken, crypto.SecretString("changed-token"))
		e.UserName = "changed"
		if err := c.Put(e); err != nil {
			return err
		}
		if err := c.Add(personal("b", "token-b")); err != nil {
			return err
		}
		if err := c.Rename("a", "a2"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want fn's error", err)
	}
	if !bytes.Equal(before, mustRead(t, store.Path())) {
		t.Fatal("file changed")
	}
	infoAfter, _ := os.Stat(store.Path())
	if infoBefore.Sys().(*syscall.Stat_t).Ino != infoAfter.Sys().(*syscall.Stat_t).Ino {
		t.Error("file was replaced")
	}
	if temps := tempFiles(t, store.Dir()); len(temps) != 0 {
		t.Errorf("temp files: %v", temps)
	}
	if w.Generation() != gen || fmt.Sprint(names(w.Entries())) != "[a]" {
		t.Fatalf("in memory: generation %d, entries %v; want %d, [a]", w.Generation(), names(w.Entries()), gen)
	}
	a, _ := w.Get("a")
	if !a.Secret(SecretToken).Equal(crypto.SecretString("token-a")) || a.UserName != "" {
		t.Error("the failed update changed the entry in memory")
	}
	assertUnlocked(t, store)
}

// SetSecret on an entry from Get must not reach into the wallet's own copy
// (Entries share their Secrets maps).
func TestSetSecretOnCopyLeavesWalletAlone(t *testing.T) {
	_, w := newTestWallet(t)
	addEntries(t, w, personal("a", "token-a"))
	e, _ := w.Get("a")
	e.SetSecret(SecretToken, crypto.SecretString("other"))
	e.SetSecret(SecretRefreshToken, crypto.SecretString("added"))
	got, _ := w.Get("a")
	if !got.Secret(SecretToken).Equal(crypto.SecretString("token-a")) || !got.Secret(SecretRefreshToken).IsZero() {
		t.Fatal("changing a copy's secrets changed the wallet's entry")
	}
	e.SetSecret(SecretToken, crypto.Secret{})
	if got, _ := w.Get("a"); got.Secret(SecretToken).IsZero() {
		t.Fatal("deleting a copy's secret deleted the wallet's")
	}
	if !e.Secret(SecretToken).IsZero() || !e.Secret(SecretRefreshToken).Equal(crypto.SecretString("added")) {
		t.Fatal("SetSecret did not change the copy")
	}
}

func TestTwoHandlesSeeEachOthersUpdates(t *testing.T) {
	store, w1 := newTestWallet(t)
	w2 := mustOpen(t, store, testPassphrase)
	addEntries(t, w1, personal("one", "1"))
	addEntries(t, w2, personal("two", "2"))
	if fmt.Sprint(names(w2.Entries())) != "[one two]" {
		t.Fatalf("second handle: %v", names(w2.Entries()))
	}
	err := w1.Update(context.Background(), func(c *Contents) error {
		if _, err := c.Get("two"); err != nil {
			return fmt.Errorf("first handle does not see the second's entry: %w", err)
		}
		return c.Remove("one")
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w2.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(names(w2.Entries())) != "[two]" || w1.Generation() != w2.Generation() {
		t.Fatalf("after reload: %v at %d, first handle at %d", names(w2.Entries()), w2.Generation(), w1.Generation())
	}
}

func TestContentsErrors(t *testing.T) {
	var c Contents
	for _, e := range []Entry{personal("b", "x"), personal("a", "y"), personal("c", "z")} {
		if err := c.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(names(c.Entries())) != "[a b c]" {
		t.Fatalf("not sorted: %v", names(c.Entries()))
	}
	long := strings.Repeat("x", 65)
	for _, tc := range []struct {
		what string
		err  error
		want error
	}{
		{"Add existing", c.Add(personal("a", "x")), ErrEntryExists},
		{"Get missing", func() error { _, err := c.Get("zz"); return err }(), ErrEntryNotFound},
		{"Remove missing", c.Remove("zz"), ErrEntryNotFound},
		{"Rename missing", c.Rename("zz", "yy"), ErrEntryNotFound},
		{"Rename onto existing", c.Rename("a", "b"), ErrEntryExists},
		{"Rename onto itself", c.Rename("a", "a"), ErrEntryExists},
		{"Rename to invalid", c.Rename("a", "-a"), ErrInvalidName},
		{"Add empty name", c.Add(personal("", "x")), ErrInvalidName},
		{"Add leading dash", c.Add(personal("-rf", "x")), ErrInvalidName},
		{"Add slash", c.Add(personal("a/b", "x")), ErrInvalidName},
		{"Add space", c.Add(personal("a b", "x")), ErrInvalidName},
		{"Add 65 chars", c.Add(personal(long, "x")), ErrInvalidName},
		{"Put invalid", c.Put(personal("..", "x")), ErrInvalidName},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.what, tc.err, tc.want)
		}
	}
	if err := c.Add(Entry{Name: "k", Kind: "bogus"}); err == nil {
		t.Error("Add with an unknown kind succeeded")
	}
	if err := c.Add(personal(long[:64], "x")); err != nil {
		t.Errorf("64-character name: %v", err)
	}
	if fmt.Sprint(names(c.Entries())) != "[a b c "+long[:64]+"]" {
		t.Fatalf("failed calls changed the contents: %v", names(c.Entries()))
	}
}

func TestRenameUpdatesLinksAndOrder(t *testing.T) {
	var c Contents
	client := Entry{Name: "client", Kind: KindClient}
	user1 := Entry{Name: "user1", Kind: KindUser, LinkedTo: "client"}
	user2 := Entry{Name: "user2", Kind: KindUser, LinkedTo: "other"}
	for _, e := range []Entry{client, user1, user2} {
		if err := c.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Rename("client", "zz-client"); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(names(c.Entries())) != "[user1 user2 zz-client]" {
		t.Fatalf("order after rename: %v", names(c.Entries()))
	}
	if u, _ := c.Get("user1"); u.LinkedTo != "zz-client" {
		t.Errorf("user1 links to %q", u.LinkedTo)
	}
	if u, _ := c.Get("user2"); u.LinkedTo != "other" {
		t.Errorf("user2 links to %q", u.LinkedTo)
	}
	if _, err := c.Get("client"); !errors.Is(err, ErrEntryNotFound) {
		t.Errorf("old name still there: %v", err)
	}
}

// Secrets survive a save and a fresh open byte for byte (including bytes
// that are not text), and no secret appears in clear, or base64-encoded
// as in the JSON body, in any file the wallet folder holds.
func TestSecretsRoundTripAndNeverReachDiskInClear(t *testing.T) {
	store, w := newTestWallet(t)
	canary := "CANARY-" + hex.EncodeToString(randomBytes(t, 12))
	binary := append([]byte{0, 0xff, '\n', '"', '\\'}, randomBytes(t, 64)...)
	e := personal("canary", canary)
	e.SetSecret(SecretPrivateKey, crypto.NewSecret(binary))
	e.SetSecret(SecretRefreshToken, crypto.SecretString(canary+"-refresh"))
	addEntries(t, w, e)
	// A second save, so a stale copy of the first would be caught too.
	addEntries(t, w, personal("other", "other-token"))

	got, err := mustOpen(t, store, testPassphrase).Get("canary")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.SecretFields()) != "[private_key refresh_token token]" {
		t.Fatalf("secret fields %v", got.SecretFields())
	}
	for _, f := range got.SecretFields() {
		if !got.Secret(f).Equal(e.Secret(f)) {
			t.Errorf("secret %s differs after the round trip", f)
		}
	}
	needles := [][]byte{[]byte(canary), []byte(base64.StdEncoding.EncodeToString([]byte(canary))), binary[5:37]}
	err = filepath.WalkDir(store.Dir(), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data := mustRead(t, path)
		for i, n := range needles {
			if bytes.Contains(data, n) {
				t.Errorf("%s contains secret %d in clear", filepath.Base(path), i)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The redacted forms are what fmt shows.
	if s := fmt.Sprintf("%v %+v %#v", got, got, got); strings.Contains(s, "CANARY-") {
		t.Error("formatting an entry shows a secret")
	}
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// Update starts from what is on disk: edits made to Contents outside
// Update are neither saved nor kept, also when the file has not changed
// since this handle last read it (the case Update short-cuts).
func TestUpdateStartsFromFileNotFromUnsavedEdits(t *testing.T) {
	store, w := newTestWallet(t)
	addEntries(t, w, personal("a", "token-a"))
	if err := w.Contents().Add(personal("unsaved", "x")); err != nil {
		t.Fatal(err)
	}
	if err := w.Contents().Remove("a"); err != nil {
		t.Fatal(err)
	}
	addEntries(t, w, personal("b", "token-b"))
	if got := fmt.Sprint(names(w.Entries())); got != "[a b]" {
		t.Fatalf("in memory after the update: %v, want [a b]", got)
	}
	if got := fmt.Sprint(names(mustOpen(t, store, testPassphrase).Entries())); got != "[a b]" {
		t.Fatalf("on disk: %v, want [a b]", got)
	}
	if err := w.Contents().Add(personal("unsaved2", "x")); err != nil {
		t.Fatal(err)
	}
	if err := w.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(names(w.Entries())); got != "[a b]" {
		t.Fatalf("after Reload: %v, want [a b]", got)
	}
}

func TestCreateStartsAtGenerationOne(t *testing.T) {
	store, w := newTestWallet(t)
	info, err := Inspect(store)
	if err != nil {
		t.Fatal(err)
	}
	if w.Generation() != 1 || info.Generation != 1 {
		t.Fatalf("after Create: handle says generation %d, file %d; want 1", w.Generation(), info.Generation)
	}
	addEntries(t, w, personal("a", "x"))
	if info, _ := Inspect(store); w.Generation() != 2 || info.Generation != 2 {
		t.Fatalf("after one update: handle %d, file %d; want 2", w.Generation(), info.Generation)
	}
}

// A save is checked with the wallet's key before it is written: a sealed
// file that passes the envelope and checksum check but would not open
// (here it names another wallet id, so no slot opens it) is refused, and
// the wallet on disk is left as it was.
func TestSaveThatWouldNotOpenIsRefused(t *testing.T) {
	store, w := newTestWallet(t)
	addEntries(t, w, personal("a", "token-a"))
	before := mustRead(t, store.Path())
	err := w.updateHeader(context.Background(), func(h *header, _ *keySet) (bool, error) { h.id[0] ^= 1; return false, nil }, func(*Contents) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "would not open") || !strings.Contains(err.Error(), "nothing was written") {
		t.Fatalf("save of a file that would not open: %v, want a refusal", err)
	}
	if !bytes.Equal(before, mustRead(t, store.Path())) || len(tempFiles(t, store.Dir())) != 0 {
		t.Fatal("the refused save changed the wallet or left a temp file")
	}
	if got := mustOpen(t, store, testPassphrase); fmt.Sprint(names(got.Entries())) != "[a]" {
		t.Fatalf("after the refused save: %v", names(got.Entries()))
	}
}

// verifySealed decrypts and decodes the body: a body that authenticates
// but does not decode passes the check a store can make without the key
// (decodeFile), and must not pass this one.
func TestVerifySealedDecodesTheBody(t *testing.T) {
	_, w := newTestWallet(t)
	addEntries(t, w, personal("a", "token-a"))
	sealWith := func(pt []byte) []byte {
		h := w.header()
		h.generation++
		nonce := crypto.RandomBytes(crypto.NonceSize)
		aad := encodeHeader(h, nonce, len(pt)+crypto.Overhead)
		ct, err := crypto.SealWithNonce(w.dek, nonce, pt, aad)
		if err != nil {
			t.Fatal(err)
		}
		return encodeFile(aad, ct)
	}
	good, err := w.seal(w.header(), w.Contents(), w.dek)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.verifySealed(good, w.dek); err != nil {
		t.Fatalf("a good save: %v", err)
	}
	for name, pt := range map[string][]byte{
		"five entries announced, none there": []byte(bodyMagic + "\x02\x05"),
		"no schema":                          []byte(bodyMagic),
		"not JSON either":                    []byte("{not json"),
	} {
		bad := sealWith(pt)
		if _, err := decodeFile(bad); err != nil {
			t.Fatalf("%s: the envelope should be fine: %v", name, err)
		}
		if err := w.verifySealed(bad, w.dek); !errors.Is(err, ErrDamaged) {
			t.Errorf("%s: verifySealed = %v, want ErrDamaged", name, err)
		}
	}
	otherKey := &Wallet{store: w.store, id: w.id, dek: crypto.NewKey()}
	if err := otherKey.verifySealed(good, otherKey.dek); err == nil {
		t.Error("a body that does not decrypt with the key passed")
	}
}

// A wallet file replaced by another wallet (another id) since this handle
// unlocked it: the handle refuses to save over it, says that the file now
// belongs to another wallet rather than that it is corrupt, and the error
// still matches ErrDamaged (exit 4 on the command line).
func TestUpdateRefusesAWalletReplacedByAnother(t *testing.T) {
	store, w := newTestWallet(t)
	other := NewFileStore(filepath.Join(t.TempDir(), "other"))
	if _, err := Create(context.Background(), other, crypto.SecretString(testPassphrase), Options{KDF: cheapKDF}); err != nil {
		t.Fatal(err)
	}
	replacement := mustRead(t, other.Path())
	writeWallet(t, store, replacement)

	for what, err := range map[string]error{
		"Update": w.Update(context.Background(), func(c *Contents) error { return c.Add(personal("x", "y")) }),
		"Reload": w.Reload(context.Background()),
	} {
		if !errors.Is(err, ErrReplaced) || !errors.Is(err, ErrDamaged) {
			t.Errorf("%s: %v, want ErrReplaced matching ErrDamaged", what, err)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, store.Path()+" now belongs to another wallet") || strings.Contains(msg, "damaged") || strings.Contains(msg, "corrupt") {
			t.Errorf("%s: message %q should say the file belongs to another wallet, not that it is damaged", what, msg)
		}
	}
	if !bytes.Equal(replacement, mustRead(t, store.Path())) {
		t.Fatal("the handle wrote over the other wallet")
	}
}
