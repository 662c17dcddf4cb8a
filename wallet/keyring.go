package wallet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// Keyring is the small part of an OS keyring the wallet needs. The item
// holds only a random key-encryption key for the keyring slot, never the
// data key or a secret, so a lost or corrupt item costs convenience, not
// data: the passphrase slot still opens the wallet.
type Keyring interface {
	// Name is the backend's name, for messages ("secret-service", "keyctl").
	Name() string
	// Get returns the item, or an error wrapping ErrKeyringItemNotFound.
	Get(key string) ([]byte, error)
	Set(key string, value []byte) error
	Remove(key string) error
}

// ErrKeyringItemNotFound means the keyring works but holds no item for
// this wallet (it was removed, or the keyring was reset).
var ErrKeyringItemNotFound = errors.New("no keyring item for this wallet")

// KeyringTimeout bounds every keyring call: Secret Service can block on a
// prompt nobody will answer, and D-Bus calls can hang for minutes.
var KeyringTimeout = 5 * time.Second

// keyringItem is what the keyring stores, versioned and tied to one wallet
// so a copied or stale item is recognised rather than tried blindly.
type keyringItem struct {
	V        int    `json:"v"`
	WalletID string `json:"wallet_id"`
	KEK      []byte `json:"kek"`
}

func keyringKey(id [walletIDSize]byte) string { return fmt.Sprintf("wallet-%x", id) }

// callKeyring runs f with a deadline. A call that hangs is abandoned (its
// goroutine is left to the process's end); the wallet falls back to the
// passphrase instead of hanging with it.
func callKeyring[T any](ctx context.Context, f func() (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, KeyringTimeout)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("%w: no answer within %s", ErrKeyringUnavailable, KeyringTimeout)
	}
}

// unwrapWithKeyring opens the keyring slot of f with the item kr holds. It
// returns the data key and the slot's key-encryption key (the item's key),
// which the Wallet keeps to wrap the fresh data key of each save.
func unwrapWithKeyring(ctx context.Context, kr Keyring, f *sealedFile) (dek, kek []byte, err error) {
	if a, ok := kr.(*anyKeyring); ok {
		return a.unwrap(ctx, f)
	}
	dek, kek, err = unwrapFrom(ctx, kr, f)
	if errors.Is(err, ErrKeyringItemNotFound) {
		// The keyring was reset or the item deleted: only re-enrolling
		// brings the passphrase-free open back.
		return nil, nil, keyringItemUnusable(err.Error(), err)
	}
	return dek, kek, err
}

// unwrapFrom opens the keyring slot of f with the item kr holds.
func unwrapFrom(ctx context.Context, kr Keyring, f *sealedFile) (dek, kek []byte, err error) {
	s, _ := f.slot(slotKeyring)
	raw, err := callKeyring(ctx, func() ([]byte, error) { return kr.Get(keyringKey(f.id)) })
	if err != nil {
		return nil, nil, err
	}
	defer crypto.Wipe(raw)
	var item keyringItem
	if err := json.Unmarshal(raw, &item); err != nil || item.V != 1 {
		return nil, nil, keyringItemUnusable("the keyring item is not readable", nil)
	}
	if item.WalletID != fmt.Sprintf("%x", f.id) {
		crypto.Wipe(item.KEK)
		return nil, nil, keyringItemUnusable("the keyring item belongs to another wallet", nil)
	}
	if len(item.KEK) != crypto.KeySize {
		crypto.Wipe(item.KEK)
		return nil, nil, keyringItemUnusable("the keyring item has a key of the wrong size", nil)
	}
	dek, err = crypto.Open(item.KEK, s.nonce, s.wrapped, slotAAD(f.id, s))
	if err != nil {
		crypto.Wipe(item.KEK)
		return nil, nil, keyringItemUnusable("the keyring item does not open this wallet", nil)
	}
	return dek, item.KEK, nil
}

// EnableKeyring adds (or replaces) the keyring slot: a new random key is
// stored in kr, read back to prove the backend works, and only then is
// the slot written to the wallet.
func (w *Wallet) EnableKeyring(ctx context.Context, kr Keyring) error {
	kek := crypto.NewKey()
	defer crypto.Wipe(kek)
	item, err := json.Marshal(keyringItem{V: 1, WalletID: w.ID(), KEK: kek})
	if err != nil {
		return err
	}
	defer crypto.Wipe(item)
	key := keyringKey(w.id)
	// The Set call gets its own copy, which it wipes when it ends: a call
	// that times out goes on running after this function has returned and
	// wiped item, and must not read the buffer while (or after) it is
	// cleared.
	toSet := bytes.Clone(item)
	_, err = callKeyring(ctx, func() (struct{}, error) {
		defer crypto.Wipe(toSet)
		return struct{}{}, kr.Set(key, toSet)
	})
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrKeyringUnavailable, kr.Name(), err)
	}
	back, err := callKeyring(ctx, func() ([]byte, error) { return kr.Get(key) })
	if err != nil || string(back) != string(item) {
		// Best effort: leave no orphan item behind a failed enable.
		_, _ = callKeyring(ctx, func() (struct{}, error) { return struct{}{}, kr.Remove(key) })
		return fmt.Errorf("%w: %s stored the key but did not give it back", ErrKeyringUnavailable, kr.Name())
	}
	crypto.Wipe(back)
	// The Wallet keeps its own copy of the key, to wrap each save's new
	// data key (kek is wiped when this returns).
	k := slotKey{kind: slotKeyring, kek: bytes.Clone(kek)}
	err = w.updateHeader(ctx, func(h *header, keys *keySet) (bool, error) {
		// Wraps the current data key (w.dek is current under the lock):
		// when this process lacks the passphrase slot's key, the save
		// keeps that data key rather than rekey.
		s, err := wrapSlot(w.id, k.slotFor(), k.kek, w.dek)
		if err != nil {
			return false, err
		}
		h.withSlot(s)
		*keys = keys.with(k)
		return false, nil
	}, func(*Contents) error { return nil })
	if err != nil {
		_, _ = callKeyring(ctx, func() (struct{}, error) { return struct{}{}, kr.Remove(key) })
		return err
	}
	return nil
}

// DisableKeyring removes the keyring slot from the wallet first (so the
// wallet never depends on an item that is gone), then the item itself.
// The second step failing is reported but leaves a harmless orphan item.
//
// The save gives the wallet a new data key, so the keyring item (or a
// copy of it) and any old copy of the file open nothing saved from now
// on. That needs the passphrase slot's key: a Wallet opened with the
// passphrase has it. One opened by the keyring does not, and then the
// slot is still removed but the data key stays (CanRekey, asked before,
// tells which will happen); opening with the passphrase and saving once
// rekeys.
func (w *Wallet) DisableKeyring(ctx context.Context, kr Keyring) error {
	err := w.updateHeader(ctx, func(h *header, keys *keySet) (bool, error) {
		h.withoutSlot(slotKeyring)
		*keys = keys.without(slotKeyring)
		return false, nil
	}, func(*Contents) error { return nil })
	if err != nil {
		return err
	}
	if kr == nil {
		return nil
	}
	key := keyringKey(w.id)
	_, err = callKeyring(ctx, func() (struct{}, error) { return struct{}{}, kr.Remove(key) })
	if err != nil && !errors.Is(err, ErrKeyringItemNotFound) {
		return fmt.Errorf("the wallet no longer uses the keyring, but removing the item from %s failed: %w", kr.Name(), err)
	}
	return nil
}

// KeyringItemOpens reports whether kr holds a working key for the stored
// wallet, without a passphrase (for `keyring status`).
func KeyringItemOpens(ctx context.Context, store Storage, kr Keyring) error {
	data, err := store.Load()
	if err != nil {
		return err
	}
	f, err := decodeFile(data)
	if err != nil {
		return err
	}
	if _, ok := f.slot(slotKeyring); !ok {
		return errors.New("the wallet has no keyring slot")
	}
	dek, kek, err := unwrapWithKeyring(ctx, kr, f)
	if err != nil {
		return err
	}
	crypto.Wipe(dek)
	crypto.Wipe(kek)
	return nil
}

// AttachKeyring reads the keyring slot's key from kr, for a Wallet opened
// with the passphrase: with it, saves (and ChangePassphrase) can rewrap
// the keyring slot with each new data key instead of keeping the data key
// (or, for ChangePassphrase, dropping the slot). It checks that the item
// opens the slot of the version last read; the file is not changed.
func (w *Wallet) AttachKeyring(ctx context.Context, kr Keyring) error {
	w.updateMu.Lock()
	defer w.updateMu.Unlock()
	h := w.header()
	if _, ok := h.slot(slotKeyring); !ok {
		return errors.New("the wallet has no keyring slot")
	}
	f := &sealedFile{header: h}
	dek, kek, err := unwrapWithKeyring(ctx, kr, f)
	if err != nil {
		return err
	}
	defer crypto.Wipe(dek)
	if !bytes.Equal(dek, w.dek) {
		crypto.Wipe(kek)
		return keyringItemUnusable("the keyring item does not open this version of the wallet", nil)
	}
	w.keys = w.keys.with(slotKey{kind: slotKeyring, kek: kek})
	return nil
}
