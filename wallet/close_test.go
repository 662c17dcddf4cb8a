package wallet

import (
	"context"
	"errors"
	"testing"
)

// The agent's lock relies on Close: afterwards the process holds no key
// that opens the file, and nothing can be saved or reloaded with it.
func TestCloseWipesTheKeysAndRefusesFurtherUse(t *testing.T) {
	store, w := newTestWallet(t)
	addEntries(t, w, personal("p1", "tok-close-canary"))
	w = mustOpen(t, store, testPassphrase) // a passphrase slot key, as the agent holds
	dek, keks := w.dek, [][]byte{}
	for _, k := range w.keys {
		keks = append(keks, k.kek)
	}
	if len(dek) == 0 || len(keks) == 0 {
		t.Fatal("an open wallet holds no key to check")
	}
	w.Close()
	for i, b := range append([][]byte{dek}, keks...) {
		for _, c := range b {
			if c != 0 {
				t.Fatalf("key %d not wiped by Close", i)
			}
		}
	}
	if w.dek != nil || w.keys != nil {
		t.Error("Close kept references to the keys")
	}
	if n := len(w.Entries()); n != 0 {
		t.Errorf("a closed wallet still lists %d entries", n)
	}
	if err := w.Reload(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Reload after Close: %v, want ErrClosed", err)
	}
	if err := w.Update(context.Background(), func(*Contents) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Update after Close: %v, want ErrClosed", err)
	}
	// The file itself is untouched: it opens again with the passphrase.
	if _, err := mustOpen(t, store, testPassphrase).Get("p1"); err != nil {
		t.Error(err)
	}
}
