package wallet

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wisewallet/wisewallet/crypto"
)

// The schema 2 golden files were written once by the schema 2 encoder
// (commit "wallet: schema 2 golden wallet and body"), from the golden
// entries and fullEntrySchema2. They are never rewritten: no encoder for
// schema 2 is left.
const (
	goldenSchema2Path     = "testdata/wallet-v1-schema2.ww"
	goldenSchema2BodyPath = "testdata/body-schema2.bin"
)

// schema2GoldenEntries is what the schema 2 golden files hold, in name
// order.
func schema2GoldenEntries() []Entry {
	es := append(goldenEntries(), fullEntrySchema2())
	slices.SortFunc(es, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return es
}

// copyToStore puts a committed wallet file into a private folder: git
// does not keep the 0600 mode the store insists on.
func copyToStore(t *testing.T, path string) (*FileStore, []byte) {
	t.Helper()
	data := mustRead(t, path)
	store := NewFileStore(filepath.Join(t.TempDir(), "ww"))
	if err := store.ensureDir(); err != nil {
		t.Fatal(err)
	}
	writeWallet(t, store, data)
	return store, data
}

// plainBody decrypts the body of the wallet file data with w's key.
func plainBody(t *testing.T, w *Wallet, data []byte) []byte {
	t.Helper()
	f, err := decodeFile(data)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := crypto.Open(w.dek, f.bodyNonce, f.body, f.aad)
	if err != nil {
		t.Fatal(err)
	}
	return pt
}

// sealBody seals pt as the next version of w's file, as another process
// with the key would.
func sealBody(t *testing.T, w *Wallet, pt []byte) []byte {
	t.Helper()
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

func TestGoldenSchema2WalletOpens(t *testing.T) {
	store, data := copyToStore(t, goldenSchema2Path)
	w, err := openWith(store, goldenPassphrase)
	if err != nil {
		t.Fatalf("schema 2 golden wallet does not open: %v", err)
	}
	if pt := plainBody(t, w, data); !bytes.HasPrefix(pt, []byte("WWB\x02")) {
		t.Fatalf("the golden file's body starts %q, want schema 2", pt[:min(4, len(pt))])
	}
	if w.Generation() != 2 || w.KDF() != cheapKDF {
		t.Errorf("header: generation %d, kdf %+v; want 2, %+v", w.Generation(), w.KDF(), cheapKDF)
	}
	checkEntries(t, w.Entries(), schema2GoldenEntries())
	if !bytes.Equal(mustRead(t, store.Path()), data) {
		t.Error("opening changed the golden file")
	}
}

// The next save of a schema 2 wallet writes schema 3, and nothing is lost
// on the way.
func TestSchema2WalletIsRewrittenInSchema3(t *testing.T) {
	store, _ := copyToStore(t, goldenSchema2Path)
	w := mustOpen(t, store, goldenPassphrase)
	if err := w.Update(context.Background(), func(*Contents) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if pt := plainBody(t, w, mustRead(t, store.Path())); !bytes.HasPrefix(pt, []byte("WWB\x03")) {
		t.Errorf("saved body starts %q, want schema 3", pt[:min(4, len(pt))])
	}
	checkEntries(t, mustOpen(t, store, goldenPassphrase).Entries(), schema2GoldenEntries())
}

// The committed plaintext body is the one inside the golden wallet, and
// decodes to the same entries.
func TestGoldenSchema2BodyDecodes(t *testing.T) {
	raw := mustRead(t, goldenSchema2BodyPath)
	store, data := copyToStore(t, goldenSchema2Path)
	if !bytes.Equal(plainBody(t, mustOpen(t, store, goldenPassphrase), data), raw) {
		t.Fatal("the golden body differs from the golden wallet's")
	}
	c, err := unmarshalContents(raw)
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, c.entries, schema2GoldenEntries())
}

func TestSchema2BodyRejectsMalformed(t *testing.T) {
	raw := mustRead(t, goldenSchema2BodyPath)
	first := entryAt(t, raw, 0) // the fields word
	unknown := bytes.Clone(raw)
	unknown[first+7] |= 0x80
	_, err := unmarshalContents(unknown)
	var fe *FixError
	if !errors.Is(err, ErrUnsupportedVersion) || !strings.Contains(err.Error(), "entry 0: unsupported wallet format: contents have entry field 63, unknown to this version") ||
		!errors.As(err, &fe) || fe.Fix != FixUpgrade {
		t.Errorf("unknown schema 2 field: %v", err)
	}
	if _, err := unmarshalContents(append(bytes.Clone(raw), 0)); !errors.Is(err, ErrDamaged) {
		t.Errorf("trailing byte: %v", err)
	}
	short := bytes.Clone(raw)
	binary.LittleEndian.PutUint32(short[first-4:], 7)
	if _, err := unmarshalContents(short); !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "entry 0: length 7") {
		t.Errorf("entry shorter than its fields word: %v", err)
	}
	for n := range len(raw) {
		if _, err := unmarshalContents(raw[:n]); !errors.Is(err, ErrDamaged) {
			t.Fatalf("schema 2 body cut to %d of %d bytes: %v", n, len(raw), err)
		}
	}
}

// withUnknownSection appends section 63, which no version has yet, to the
// last entry of a schema 3 body, as a newer version would write it.
func withUnknownSection(t *testing.T, body []byte, entries int) []byte {
	t.Helper()
	last := entryAt(t, body, entries-1) - 4
	b := append(bytes.Clone(body), 0x3f, 0x01, 0x01) // id 63, 1 byte: fields bit 0
	binary.LittleEndian.PutUint32(b[last:], binary.LittleEndian.Uint32(b[last:])+3)
	return b
}

// A field or a section that this version does not know is refused, both
// when a wallet opens and when a save re-reads the file: a save that
// dropped it would lose what a newer version stored.
func TestUnknownFieldOrSectionIsRefusedNotDropped(t *testing.T) {
	ctx := context.Background()
	store, w := newTestWallet(t)
	entries := []Entry{fullEntry(), personal("p", "token-p")}
	addEntries(t, w, entries...)
	body := plainBody(t, w, mustRead(t, store.Path()))
	if _, err := unmarshalContents(body); err != nil {
		t.Fatal(err)
	}
	unknownBit := bytes.Clone(body)
	// The last entry is "p": its header fields' second byte holds bits
	// 7-13, and bit 5 of it is field 12, which no version has yet.
	unknownBit[entryAt(t, body, 1)+1] |= 0x20
	for name, c := range map[string]struct {
		body []byte
		msg  string
	}{
		"unknown section": {withUnknownSection(t, body, 2), "entry 1: unsupported wallet format: contents have entry section 63"},
		"unknown field":   {unknownBit, "entry 1: unsupported wallet format: contents have field 12 of the entry header"},
	} {
		t.Run(name, func(t *testing.T) {
			newer := sealBody(t, w, c.body)
			writeWallet(t, store, newer)
			_, err := openWith(store, testPassphrase)
			var fe *FixError
			if !errors.Is(err, ErrUnsupportedVersion) || !errors.As(err, &fe) || fe.Fix != FixUpgrade || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("Open: %v, want ErrUnsupportedVersion with FixUpgrade and %q", err, c.msg)
			}
			err = w.Update(ctx, func(c *Contents) error { return c.Put(personal("q", "token-q")) })
			if !errors.Is(err, ErrUnsupportedVersion) {
				t.Fatalf("Update over a newer file: %v, want ErrUnsupportedVersion", err)
			}
			if !bytes.Equal(mustRead(t, store.Path()), newer) {
				t.Fatal("the newer file was changed")
			}
		})
	}
}
