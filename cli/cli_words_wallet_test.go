package cli

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
)

// wordsKeyring is an in-memory wallet.Keyring.
type wordsKeyring struct {
	mu    sync.Mutex
	items map[string][]byte
}

func (k *wordsKeyring) Name() string { return "memory" }
func (k *wordsKeyring) Get(key string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.items[key]
	if !ok {
		return nil, wallet.ErrKeyringItemNotFound
	}
	return append([]byte(nil), v...), nil
}
func (k *wordsKeyring) Set(key string, v []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.items[key] = append([]byte(nil), v...)
	return nil
}
func (k *wordsKeyring) Remove(key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.items, key)
	return nil
}

// The wallet's errors carry their fixes as data; worded by the command
// line they read exactly as they did when wallet/ wrote the words itself.
func TestWalletMessagesWordTheFixes(t *testing.T) {
	ctx := context.Background()
	pass := func() (crypto.Secret, error) { return crypto.SecretString("p-words"), nil }

	// No wallet: the file, and the folder.
	dir := filepath.Join(t.TempDir(), "w")
	_, err := wallet.NewFileStore(dir).Load()
	path := filepath.Join(dir, wallet.FileName)
	want := fmt.Sprintf("no wallet found at %s: run 'wisewallet init' first", path)
	if got := walletMessage(err); got != want || !errors.Is(err, wallet.ErrNoWallet) {
		t.Errorf("no folder:\n got %q\nwant %q", got, want)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := wallet.NewFileStore(dir).Load(); walletMessage(fmt.Errorf("list: %w", err)) != "list: "+want {
		t.Errorf("no file: %q", walletMessage(err))
	}

	// A symbolic link for the folder.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	_, err = wallet.NewFileStore(link).Load()
	want = fmt.Sprintf("unsafe wallet location: %s is a symbolic link; point WISEWALLET_DIR (or --dir) at the real folder", link)
	if got := walletMessage(err); got != want {
		t.Errorf("symlink:\n got %q\nwant %q", got, want)
	}

	// A file from a newer version.
	wdir, w := cheapWallet(t, "p-words")
	st := wallet.NewFileStore(wdir)
	data, err := os.ReadFile(st.Path())
	if err != nil {
		t.Fatal(err)
	}
	newer := append([]byte(nil), data...)
	binary.BigEndian.PutUint16(newer[4:], 2)
	sum := sha256.Sum256(newer[:len(newer)-sha256.Size])
	copy(newer[len(newer)-sha256.Size:], sum[:])
	if err := os.WriteFile(st.Path(), newer, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = wallet.Open(ctx, st, wallet.Unlocker{Passphrase: pass})
	want = st.Path() + ": unsupported wallet format: format version 2 (this build reads version 1); upgrade wisewallet"
	if got := walletMessage(err); got != want {
		t.Errorf("newer version:\n got %q\nwant %q", got, want)
	}
	if err := os.WriteFile(st.Path(), data, 0o600); err != nil {
		t.Fatal(err)
	}

	// The keyring item gone, or not this wallet's: in the warning of an
	// open by passphrase, and in keyring status.
	kr := &wordsKeyring{items: map[string][]byte{}}
	if err := w.EnableKeyring(ctx, kr); err != nil {
		t.Fatal(err)
	}
	key := "wallet-" + w.ID()
	item := kr.items[key]
	for _, c := range []struct {
		name  string
		item  []byte
		words string
	}{
		{"item missing", nil, "no keyring item for this wallet; run 'wisewallet keyring enable' to store a new one"},
		{"item unreadable", []byte("not json"), "the keyring item is not readable; run 'wisewallet keyring enable' to replace it"},
	} {
		if c.item == nil {
			delete(kr.items, key)
		} else {
			kr.items[key] = c.item
		}
		opened, err := wallet.Open(ctx, st, wallet.Unlocker{Keyring: kr, Passphrase: pass})
		if err != nil {
			t.Fatal(err)
		}
		warns := opened.Warnings()
		want := "the OS keyring did not open the wallet (" + c.words + "); using the passphrase"
		if len(warns) != 1 || walletMessage(warns[0]) != want {
			t.Errorf("%s: warnings %q, want %q", c.name, warns, want)
		}
		if got := walletMessage(wallet.KeyringItemOpens(ctx, st, kr)); got != c.words {
			t.Errorf("%s: keyring status says %q, want %q", c.name, got, c.words)
		}
	}
	kr.items[key] = item
	if err := wallet.KeyringItemOpens(ctx, st, kr); err != nil {
		t.Fatalf("the restored item: %v", err)
	}
}

// Every fix has words, and a message with no fix is left as it is.
func TestEveryWalletFixHasWords(t *testing.T) {
	for _, fix := range []wallet.Fix{wallet.FixCreateWallet, wallet.FixKeyringEnable, wallet.FixRealFolder, wallet.FixUpgrade} {
		if fixWords(&wallet.FixError{What: "x", Fix: fix}) == "" {
			t.Errorf("fix %d has no words", fix)
		}
	}
	plain := errors.New("wallet: lock: busy")
	if got := walletMessage(plain); got != plain.Error() {
		t.Errorf("a message without a fix changed: %q", got)
	}
	// Two backends with the same problem: each is worded once.
	same := &wallet.FixError{What: "the keyring item belongs to another wallet", Fix: wallet.FixKeyringEnable}
	joined := fmt.Errorf("a: %w; b: %w", same, same)
	want := "a: the keyring item belongs to another wallet; run 'wisewallet keyring enable' to replace it; b: the keyring item belongs to another wallet; run 'wisewallet keyring enable' to replace it"
	if got := walletMessage(joined); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
