package wallet

import (
	"bytes"

	"github.com/wisewallet/wisewallet/crypto"
)

// Key rotation. Every save seals the body under a fresh data key and
// rewraps it in every key slot, as KeePassXC (a new master seed per save)
// and age (a new file key per file) do. Without it the data key of the
// wallet's first save opened every later version: an old copy of the file
// plus the passphrase it had then (or an old keyring item) read secrets
// added long after the passphrase was changed or the keyring disabled.
//
// To wrap a new data key without asking for anything, an unlocked Wallet
// keeps each slot's key-encryption key: the Argon2id output for the
// passphrase slot (with the salt and parameters it belongs to) and the
// OS keyring item's key. It never keeps the passphrase. It knows the key
// of the slot that opened it; the other slot's key it learns only by
// opening that slot too (AttachKeyring, or a new passphrase). A save that
// lacks a slot's key cannot rewrap that slot, so it keeps the data key
// (and every slot) as they are; ChangePassphrase and DisableKeyring, whose
// point is that old keys stop working, never do that (see their doc).

// slotKey is one slot's key-encryption key.
type slotKey struct {
	kind byte
	kek  []byte
	salt []byte           // passphrase slots: the salt kek was derived with
	kdf  crypto.KDFParams // passphrase slots: the parameters
}

// opens reports whether k is the key of slot s (not whether it unwraps:
// the AEAD says that).
func (k slotKey) opens(s slot) bool {
	if k.kind != s.kind {
		return false
	}
	return s.kind != slotPassphrase || (k.kdf == s.kdf && bytes.Equal(k.salt, s.salt))
}

// keySet is the slot keys a Wallet holds, at most one per slot kind.
type keySet []slotKey

func (ks keySet) find(s slot) ([]byte, bool) {
	for _, k := range ks {
		if k.opens(s) {
			return k.kek, true
		}
	}
	return nil, false
}

// with returns a copy of ks with k in place of any key of its kind.
func (ks keySet) with(k slotKey) keySet {
	return append(ks.without(k.kind), k)
}

// without returns a copy of ks with no key of kind.
func (ks keySet) without(kind byte) keySet {
	out := make(keySet, 0, len(ks)+1)
	for _, k := range ks {
		if k.kind != kind {
			out = append(out, k)
		}
	}
	return out
}

// coversAll reports whether ks holds the key of every slot in h.
func (ks keySet) coversAll(h header) bool {
	for _, s := range h.slots {
		if _, ok := ks.find(s); !ok {
			return false
		}
	}
	return true
}

// only keeps the keys that belong to a slot of h (a slot another process
// removed or re-keyed takes its key's use away).
func (ks keySet) only(h header) keySet {
	out := make(keySet, 0, len(ks))
	for _, k := range ks {
		for _, s := range h.slots {
			if k.opens(s) {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

// wrapSlot wraps dek into s with kek under a fresh nonce.
func wrapSlot(id [walletIDSize]byte, s slot, kek, dek []byte) (slot, error) {
	s.nonce = crypto.RandomBytes(crypto.NonceSize)
	var err error
	s.wrapped, err = crypto.SealWithNonce(kek, s.nonce, dek, slotAAD(id, s))
	return s, err
}

// rekey gives h a fresh data key wrapped in each of its slots, when ks
// holds every slot's key; it returns the new key and true. Otherwise it
// leaves h alone and returns nil, false: the caller keeps the current
// data key, which h's slots already wrap.
func rekey(id [walletIDSize]byte, h *header, ks keySet) ([]byte, bool, error) {
	if !ks.coversAll(*h) {
		return nil, false, nil
	}
	dek := crypto.NewKey()
	slots := make([]slot, len(h.slots))
	for i, s := range h.slots {
		kek, _ := ks.find(s)
		var err error
		if slots[i], err = wrapSlot(id, s, kek, dek); err != nil {
			crypto.Wipe(dek)
			return nil, false, err
		}
	}
	h.slots = slots
	return dek, true, nil
}

// unwrapAny opens one of f's slots with a key in ks.
func unwrapAny(f *sealedFile, ks keySet) ([]byte, bool) {
	for _, s := range f.slots {
		if kek, ok := ks.find(s); ok {
			if dek, err := crypto.Open(kek, s.nonce, s.wrapped, slotAAD(f.id, s)); err == nil {
				return dek, true
			}
		}
	}
	return nil, false
}

// derivePassphraseKey derives a new passphrase slot's key with a fresh salt.
func derivePassphraseKey(passphrase crypto.Secret, kdf crypto.KDFParams) (slotKey, error) {
	k := slotKey{kind: slotPassphrase, salt: crypto.RandomBytes(crypto.SaltSize), kdf: kdf}
	pw := passphrase.Reveal()
	defer crypto.Wipe(pw)
	var err error
	k.kek, err = crypto.DeriveKey(pw, k.salt, kdf)
	return k, err
}

// slotFor is the (not yet wrapped) slot that k is the key of.
func (k slotKey) slotFor() slot {
	return slot{kind: k.kind, kdf: k.kdf, salt: k.salt}
}

// CanRekey reports whether this process holds the key of every slot of
// the wallet as last read, so that its saves give the wallet a new data
// key. A wallet opened by the keyring alone lacks the passphrase slot's.
func (w *Wallet) CanRekey() bool {
	w.updateMu.Lock()
	defer w.updateMu.Unlock()
	return w.keys.coversAll(w.header())
}
