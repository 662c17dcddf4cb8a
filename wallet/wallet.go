package wallet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// lockTimeout bounds how long a command waits for another process's save.
const lockTimeout = 10 * time.Second

// Wallet is an unlocked wallet: the data key is in memory, so reading and
// saving need no KDF. Every change goes through Update, which re-reads the
// file under the lock, so concurrent processes never lose each other's
// changes.
//
// A Wallet is safe for concurrent use: the terminal app reads entries for
// its view while a command refreshes a token. Readers never wait for an
// Update's network call; they see the last published contents.
type Wallet struct {
	store Storage
	// dek is the data key of the version last read or saved, and keys the
	// slots' key-encryption keys this process knows (see rekey.go). Each
	// save replaces dek; both are read and written only under updateMu
	// (or in Open, before the Wallet is shared).
	dek  []byte
	keys keySet
	id   [walletIDSize]byte

	// updateMu serialises Update and Reload within the process (the file
	// lock does the same between processes).
	updateMu sync.Mutex
	// mu guards the published state below.
	mu       sync.RWMutex
	hdr      header
	contents *Contents
	// sum is the SHA-256 trailer of the file contents was read from or
	// saved as. When the file re-read under the lock still has it, and
	// contents has no edits since, they are exactly those (already
	// authenticated) bytes, so Update need not decrypt and decode the
	// whole body again: with 10,000 entries that was most of a save.
	sum        [trailerSize]byte
	unlockedBy string
	warnings   []error
	now        func() time.Time
	// closed is set by Close, under updateMu.
	closed bool
}

// Options tune wallet creation.
type Options struct {
	// KDF parameters for the passphrase slot; zero means
	// crypto.DefaultKDFParams.
	KDF crypto.KDFParams
}

// Create makes a new, empty wallet protected by passphrase. It refuses to
// replace an existing wallet.
func Create(ctx context.Context, store Storage, passphrase crypto.Secret, opts Options) (*Wallet, error) {
	if passphrase.IsZero() {
		return nil, fmt.Errorf("%w: the passphrase is empty", ErrNoPassphrase)
	}
	kdf := opts.KDF
	if kdf == (crypto.KDFParams{}) {
		kdf = crypto.DefaultKDFParams
	}
	if err := kdf.CheckBounded(); err != nil {
		return nil, err
	}
	unlock, err := store.Lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := store.Load(); err == nil {
		return nil, fmt.Errorf("%w at %s; it was left as it is", ErrExists, store.Location())
	} else if !errors.Is(err, ErrNoWallet) {
		return nil, err
	}
	w := &Wallet{store: store, dek: crypto.NewKey(), contents: &Contents{}, unlockedBy: "passphrase", now: time.Now}
	w.hdr.version = formatVersion
	copy(w.id[:], crypto.RandomBytes(walletIDSize))
	w.hdr.id = w.id
	k, err := derivePassphraseKey(passphrase, kdf)
	if err != nil {
		return nil, err
	}
	s, err := wrapSlot(w.id, k.slotFor(), k.kek, w.dek)
	if err != nil {
		return nil, err
	}
	w.keys = keySet{k}
	w.hdr.slots = []slot{s}
	sealed, err := w.seal(w.hdr, w.contents, w.dek)
	if err != nil {
		return nil, err
	}
	if err := w.verifySealed(sealed, w.dek); err != nil {
		return nil, fmt.Errorf("wallet: create: the new wallet would not open (%v); nothing was written", err)
	}
	if err := store.Create(sealed); err != nil {
		return nil, err
	}
	w.publishSaved(w.hdr, sealed, w.contents)
	return w, nil
}

// Unlocker says how to get at the data key. The keyring is tried first
// when the wallet has a keyring slot; the passphrase callback is called
// only when needed, so a desktop user is not prompted at all.
type Unlocker struct {
	Keyring    Keyring
	Passphrase func() (crypto.Secret, error)
}

// Open reads and unlocks the wallet.
func Open(ctx context.Context, store Storage, u Unlocker) (*Wallet, error) {
	data, err := store.Load()
	if err != nil {
		return nil, err
	}
	f, err := decodeFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", store.Location(), err)
	}
	w := &Wallet{store: store, now: time.Now}
	// krErr is why the keyring slot did not open the wallet. It reaches the
	// caller as a warning when the passphrase opens it instead, and inside
	// the error when there is no passphrase either: "no passphrase" alone
	// would hide why a keyring user is asked for one.
	var krErr error
	if _, ok := f.slot(slotKeyring); ok && u.Keyring != nil {
		dek, kek, err := unwrapWithKeyring(ctx, u.Keyring, f)
		if err == nil {
			w.dek, w.unlockedBy = dek, "keyring ("+u.Keyring.Name()+")"
			w.keys = keySet{{kind: slotKeyring, kek: kek}}
		} else {
			krErr = fmt.Errorf("the OS keyring did not open the wallet (%w)", err)
			w.warnings = append(w.warnings, fmt.Errorf("%w; using the passphrase", krErr))
		}
	}
	if w.dek == nil {
		s, _ := f.slot(slotPassphrase)
		// Range-check before the KDF: a crafted header must not be able to
		// make us allocate gigabytes or spin for minutes. Checked before
		// asking, too: no passphrase can open a file that fails this.
		if err := s.kdf.CheckBounded(); err != nil {
			return nil, fmt.Errorf("%s: %w: %w", store.Location(), ErrDamaged, err)
		}
		if u.Passphrase == nil {
			if krErr != nil {
				return nil, fmt.Errorf("%w: %w, and there is no way to ask for the passphrase: set WISEWALLET_PASSPHRASE or run on a terminal", ErrNoPassphrase, krErr)
			}
			return nil, fmt.Errorf("%w: set WISEWALLET_PASSPHRASE or run on a terminal", ErrNoPassphrase)
		}
		pw, err := u.Passphrase()
		if err != nil {
			if krErr != nil {
				return nil, fmt.Errorf("%w; %w", err, krErr)
			}
			return nil, err
		}
		raw := pw.Reveal()
		kek, err := crypto.DeriveKey(raw, s.salt, s.kdf)
		crypto.Wipe(raw)
		if s.kdf.MemoryKiB >= 16<<10 {
			// Argon2's work area (64 MiB by default) is garbage now. Hand
			// it back before the body is decoded, so that the process peaks
			// at the larger of the two rather than at their sum.
			debug.FreeOSMemory()
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %w", store.Location(), ErrDamaged, err)
		}
		dek, err := crypto.Open(kek, s.nonce, s.wrapped, slotAAD(f.id, s))
		if err != nil {
			crypto.Wipe(kek)
			// The trailer is a plain SHA-256 that anyone rewriting the
			// file can recompute, not a MAC: a slot that does not open
			// may be a wrong passphrase or a file altered on purpose, and
			// nothing tells the two apart without the right passphrase.
			return nil, fmt.Errorf("%w: %s", ErrWrongPassphrase, store.Location())
		}
		w.dek, w.unlockedBy = dek, "passphrase"
		w.keys = keySet{{kind: slotPassphrase, kek: kek, salt: s.salt, kdf: s.kdf}}
	}
	if err := w.load(f); err != nil {
		return nil, err
	}
	return w, nil
}

// load decrypts f with the known data key and makes it current.
func (w *Wallet) load(f *sealedFile) error {
	if w.id != ([walletIDSize]byte{}) && f.id != w.id {
		return &replacedError{location: w.store.Location()}
	}
	// Each save has its own data key: another process's save is read with
	// the key one of our slot keys unwraps from it. When none does (that
	// process changed the passphrase, say) the data key we have is tried:
	// a process that could not rewrap every slot kept it.
	dek, fresh := unwrapAny(f, w.keys)
	if !fresh {
		dek = w.dek
	}
	pt, err := crypto.Open(dek, f.bodyNonce, f.body, f.aad)
	if err != nil {
		if fresh {
			crypto.Wipe(dek)
		}
		if !fresh {
			// No slot key of ours opens it, and the data key we had does
			// not either.
			return fmt.Errorf("%s: %w", w.store.Location(), ErrRekeyed)
		}
		// The checksum matched and a slot opened, so someone rewrote the
		// file with a valid checksum but a modified body or header.
		return fmt.Errorf("%s: %w: contents fail authentication (modified)", w.store.Location(), ErrDamaged)
	}
	if fresh && !bytes.Equal(dek, w.dek) {
		crypto.Wipe(w.dek)
		w.dek = dek
	} else if fresh {
		crypto.Wipe(dek)
	}
	w.keys = w.keys.only(f.header)
	defer crypto.Wipe(pt)
	c, err := unmarshalContents(pt)
	if err != nil {
		return fmt.Errorf("%s: %w", w.store.Location(), err)
	}
	if w.id == ([walletIDSize]byte{}) {
		w.id = f.id // set once, at Open, before the Wallet is shared
	}
	w.mu.Lock()
	w.hdr, w.contents, w.sum = f.header, c, f.sum
	w.mu.Unlock()
	return nil
}

// publishSaved makes h (as saved, one generation on) and c current after
// sealed was written (see sum).
func (w *Wallet) publishSaved(h header, sealed []byte, c *Contents) {
	h.generation++
	c.edits = 0
	w.mu.Lock()
	w.hdr, w.contents = h, c
	copy(w.sum[:], sealed[len(sealed)-trailerSize:])
	w.mu.Unlock()
}

// reload re-reads the file with the known key; no KDF runs.
func (w *Wallet) reload() error {
	data, err := w.store.Load()
	if err != nil {
		return err
	}
	f, err := decodeFile(data)
	if err != nil {
		return fmt.Errorf("%s: %w", w.store.Location(), err)
	}
	w.mu.RLock()
	unchanged := w.sum != [trailerSize]byte{} && f.sum == w.sum && f.id == w.id && w.contents.edits == 0
	w.mu.RUnlock()
	if unchanged {
		// Unchanged since we read or wrote it (SHA-256 over the whole
		// file), and not edited outside Update since.
		w.mu.Lock()
		w.hdr = f.header
		w.mu.Unlock()
		return nil
	}
	return w.load(f)
}

// seal encodes c under header h with the next generation, with data key dek.
func (w *Wallet) seal(h header, c *Contents, dek []byte) ([]byte, error) {
	pt, err := c.marshal()
	if err != nil {
		return nil, err
	}
	defer crypto.Wipe(pt)
	h.generation++
	nonce := crypto.RandomBytes(crypto.NonceSize)
	aad := encodeHeader(h, nonce, len(pt)+crypto.Overhead)
	ct, err := crypto.SealWithNonce(dek, nonce, pt, aad)
	if err != nil {
		return nil, err
	}
	return encodeFile(aad, ct), nil
}

// Contents returns the wallet's entries as last read.
func (w *Wallet) Contents() *Contents {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.contents
}

// Entries is a shortcut for Contents().Entries().
func (w *Wallet) Entries() []Entry { return w.Contents().Entries() }

// Get is a shortcut for Contents().Get.
func (w *Wallet) Get(name string) (Entry, error) { return w.Contents().Get(name) }

// Generation counts saves since creation.
func (w *Wallet) Generation() uint64 { return w.header().generation }

// header returns a copy of the published header.
func (w *Wallet) header() header {
	w.mu.RLock()
	defer w.mu.RUnlock()
	h := w.hdr
	h.slots = append([]slot(nil), w.hdr.slots...)
	return h
}

// UnlockedBy says which slot opened the wallet: "passphrase" or "keyring (NAME)".
func (w *Wallet) UnlockedBy() string { return w.unlockedBy }

// Warnings are non-fatal problems met while opening (a keyring that
// failed). They are errors so that a front end can find their fixes
// (FixError) and word them.
func (w *Wallet) Warnings() []error { return w.warnings }

// HasKeyringSlot reports whether the OS keyring can open this wallet.
func (w *Wallet) HasKeyringSlot() bool { h := w.header(); _, ok := h.slot(slotKeyring); return ok }

// ID is the random wallet id, in hex; it names the keyring item.
func (w *Wallet) ID() string { return fmt.Sprintf("%x", w.id) }

// KDF returns the passphrase slot's parameters.
func (w *Wallet) KDF() crypto.KDFParams {
	h := w.header()
	s, _ := h.slot(slotPassphrase)
	return s.kdf
}

// Location is where the wallet is stored.
func (w *Wallet) Location() string { return w.store.Location() }

// Stamp identifies the version in storage now (see Storage.Stamp): when
// it changes, Reload shows what another process saved.
func (w *Wallet) Stamp() (Stamp, error) { return w.store.Stamp() }

// Now is the wallet's clock, for timestamps on entries.
func (w *Wallet) Now() time.Time { return w.now().UTC().Truncate(time.Second) }

// Reload re-reads the wallet (after another process may have changed it).
func (w *Wallet) Reload(ctx context.Context) error {
	w.updateMu.Lock()
	defer w.updateMu.Unlock()
	if w.closed {
		return ErrClosed
	}
	unlock, err := w.store.Lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	return w.reload()
}

// Update runs fn on the current contents under the wallet lock and saves
// the result atomically. The file is re-read after the lock is taken, so
// changes another process saved meanwhile are kept. If fn returns an
// error nothing is saved. fn may block (a token refresh over the network
// runs here, so that only one process refreshes a token at a time).
func (w *Wallet) Update(ctx context.Context, fn func(*Contents) error) error {
	return w.updateHeader(ctx, nil, fn)
}

// headerChange changes the header and the slot keys of a save; it runs
// under the lock with the file re-read, so w.dek is the current data key
// (a slot it adds must wrap it: a save that cannot rekey keeps it).
// mustRekey makes the save fail rather than keep the data key.
type headerChange func(h *header, keys *keySet) (mustRekey bool, err error)

func (w *Wallet) updateHeader(ctx context.Context, hfn headerChange, fn func(*Contents) error) error {
	w.updateMu.Lock()
	defer w.updateMu.Unlock()
	if w.closed {
		return ErrClosed
	}
	lctx, cancel := context.WithTimeout(ctx, lockTimeout)
	defer cancel()
	unlock, err := w.store.Lock(lctx)
	if err != nil {
		return err
	}
	defer unlock()
	if err := w.reload(); err != nil {
		return err
	}
	// Work on copies so a failed fn or save leaves the published state as
	// on disk, and readers never see a half-made change.
	work := &Contents{entries: w.Contents().Entries()}
	if err := fn(work); err != nil {
		return err
	}
	h := w.header()
	keys := append(keySet(nil), w.keys...)
	mustRekey := false
	if hfn != nil {
		if mustRekey, err = hfn(&h, &keys); err != nil {
			return err
		}
	}
	dek, rekeyed, err := rekey(w.id, &h, keys)
	if err != nil {
		return err
	}
	if !rekeyed {
		if mustRekey {
			return errors.New("wallet: save: a key slot cannot be rewrapped with a new data key; nothing was written")
		}
		dek = w.dek
	}
	fail := func(err error) error {
		if rekeyed {
			crypto.Wipe(dek)
		}
		return err
	}
	sealed, err := w.seal(h, work, dek)
	if err != nil {
		return fail(err)
	}
	if err := w.verifySealed(sealed, dek); err != nil {
		return fail(fmt.Errorf("wallet: save: the new copy would not open (%v); nothing was written", err))
	}
	// The store reads its copy back and checks it is exactly sealed.
	if err := w.store.Replace(sealed); err != nil {
		// The new key may or may not be on disk now (a failed directory
		// fsync comes after the rename): keep it wrapped for the next
		// reload to find, which tries our slot keys before w.dek.
		return fail(err)
	}
	if rekeyed {
		crypto.Wipe(w.dek)
		w.dek = dek
	}
	w.keys = keys
	w.publishSaved(h, sealed, work)
	return nil
}

// verifySealed checks, before a save, that the sealed bytes are a file
// that Open will accept with this key, down to the last entry. Checking
// the envelope and checksum alone would pass a body that the next Open
// cannot decode (an encoder bug), and then every later Open would fail.
// With the store's read-back check (the bytes on disk are exactly these),
// it proves the saved file opens.
func (w *Wallet) verifySealed(b, dek []byte) error {
	f, err := decodeFile(b)
	if err != nil {
		return err
	}
	if f.id != w.id {
		return errors.New("it has another wallet id")
	}
	pt, err := crypto.Open(dek, f.bodyNonce, f.body, f.aad)
	if err != nil {
		return errors.New("its contents do not decrypt")
	}
	defer crypto.Wipe(pt)
	_, err = unmarshalContents(pt)
	return err
}

// ChangePassphrase gives the wallet a new passphrase slot (new salt, and
// kdf's parameters: zero keeps the current ones) and a new data key, so an
// old copy of the file and the old passphrase open nothing saved from now
// on. The keyring slot is kept, rewrapped, when this process holds its key
// (it opened the wallet, or AttachKeyring gave it); otherwise it is
// removed, since it could only go on wrapping the old data key. The swap
// is one atomic save, so a crash leaves the old or the new passphrase
// working, never neither.
func (w *Wallet) ChangePassphrase(ctx context.Context, newPassphrase crypto.Secret, kdf crypto.KDFParams) error {
	if newPassphrase.IsZero() {
		return fmt.Errorf("%w: the new passphrase is empty", ErrNoPassphrase)
	}
	if kdf == (crypto.KDFParams{}) {
		kdf = w.KDF()
	}
	if err := kdf.CheckBounded(); err != nil {
		return err
	}
	// Derived before the lock: it is the slow part.
	k, err := derivePassphraseKey(newPassphrase, kdf)
	if err != nil {
		return err
	}
	err = w.updateHeader(ctx, func(h *header, keys *keySet) (bool, error) {
		*keys = keys.with(k)
		if s, ok := h.slot(slotKeyring); ok {
			if _, known := keys.find(s); !known {
				h.withoutSlot(slotKeyring)
			}
		}
		// A placeholder: the rekey that must follow wraps the new key in
		// it with k.
		h.withSlot(k.slotFor())
		return true, nil
	}, func(*Contents) error { return nil })
	if err != nil {
		crypto.Wipe(k.kek)
	}
	return err
}

// ErrClosed: the Wallet was closed (the agent was locked); open it again.
var ErrClosed = errors.New("the wallet was closed in this process")

// Close forgets what opens the wallet: the data key and every slot key
// are wiped and the contents dropped, so a process that goes on running
// (the agent, once locked) keeps nothing that decrypts the file. An
// Update in progress finishes first. Secret values already handed out
// are the caller's; strings cannot be wiped, so dropping is all that can
// be done for the entries. The Wallet is unusable afterwards.
func (w *Wallet) Close() {
	w.updateMu.Lock()
	defer w.updateMu.Unlock()
	crypto.Wipe(w.dek)
	w.dek = nil
	for _, k := range w.keys {
		crypto.Wipe(k.kek)
	}
	w.keys = nil
	w.closed = true
	w.mu.Lock()
	w.contents = &Contents{}
	w.mu.Unlock()
}

// Info is what the wallet header says, readable without any key.
type Info struct {
	Location    string           `json:"location"`
	ID          string           `json:"wallet_id"`
	Version     int              `json:"format_version"`
	Generation  uint64           `json:"generation"`
	KDF         crypto.KDFParams `json:"kdf"`
	KeyringSlot bool             `json:"keyring_slot"`
}

// Inspect reads the header of the stored wallet without unlocking it.
func Inspect(store Storage) (Info, error) {
	data, err := store.Load()
	if err != nil {
		return Info{}, err
	}
	f, err := decodeFile(data)
	if err != nil {
		return Info{}, fmt.Errorf("%s: %w", store.Location(), err)
	}
	s, _ := f.slot(slotPassphrase)
	_, kr := f.slot(slotKeyring)
	return Info{Location: store.Location(), ID: fmt.Sprintf("%x", f.id), Version: int(f.version),
		Generation: f.generation, KDF: s.kdf, KeyringSlot: kr}, nil
}

// InspectHeader is Inspect from the header alone: for a FileStore it reads
// only the first few hundred bytes and checks neither the trailer nor the
// body, which the Open that follows does. It answers the question the
// command line asks before it opens a wallet (is there a keyring slot?)
// without reading and hashing the whole file twice.
func InspectHeader(store Storage) (Info, error) {
	fs, ok := store.(*FileStore)
	if !ok {
		return Inspect(store)
	}
	data, err := fs.loadHeader()
	if err != nil {
		return Info{}, err
	}
	h, err := decodeHeaderPrefix(data)
	if err != nil {
		return Info{}, fmt.Errorf("%s: %w", store.Location(), err)
	}
	s, _ := h.slot(slotPassphrase)
	_, kr := h.slot(slotKeyring)
	return Info{Location: store.Location(), ID: fmt.Sprintf("%x", h.id), Version: int(h.version),
		Generation: h.generation, KDF: s.kdf, KeyringSlot: kr}, nil
}
