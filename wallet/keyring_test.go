package wallet_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
)

// krKDF keeps the passphrase slot cheap; these tests are about the keyring.
var krKDF = crypto.KDFParams{Time: 1, MemoryKiB: 8, Threads: 1}

// fakeKeyring is an in-memory wallet.Keyring whose failures tests choose.
type fakeKeyring struct {
	name    string // "fake" when empty
	mu      sync.Mutex
	items   map[string][]byte
	gets    int
	getFn   func(key string) ([]byte, error) // replaces Get when set
	setErr  error
	setHook func(key string, value []byte) // sees every successful Set
}

func newFakeKeyring() *fakeKeyring { return &fakeKeyring{items: map[string][]byte{}} }

func (f *fakeKeyring) Name() string {
	if f.name == "" {
		return "fake"
	}
	return f.name
}

func (f *fakeKeyring) Get(key string) ([]byte, error) {
	f.mu.Lock()
	f.gets++
	fn := f.getFn
	v, ok := f.items[key]
	f.mu.Unlock()
	if fn != nil {
		return fn(key)
	}
	if !ok {
		return nil, wallet.ErrKeyringItemNotFound
	}
	return bytes.Clone(v), nil
}

func (f *fakeKeyring) Set(key string, value []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.setErr != nil {
		return f.setErr
	}
	f.items[key] = bytes.Clone(value)
	if f.setHook != nil {
		f.setHook(key, value)
	}
	return nil
}

func (f *fakeKeyring) Remove(key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.items[key]; !ok {
		return wallet.ErrKeyringItemNotFound
	}
	delete(f.items, key)
	return nil
}

// only returns the single item the fake holds.
func (f *fakeKeyring) only(t *testing.T) (string, []byte) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.items) != 1 {
		t.Fatalf("the keyring holds %d items, want 1", len(f.items))
	}
	for k, v := range f.items {
		return k, bytes.Clone(v)
	}
	panic("unreachable")
}

func (f *fakeKeyring) put(key string, value []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items[key] = bytes.Clone(value)
}

func (f *fakeKeyring) count() (items, gets int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.items), f.gets
}

// krWallet is a wallet on disk holding one entry whose secret is a canary.
type krWallet struct {
	store  *wallet.FileStore
	w      *wallet.Wallet
	pass   crypto.Secret
	canary string
}

func newKRWallet(t *testing.T) *krWallet {
	t.Helper()
	ctx := context.Background()
	k := &krWallet{
		store:  wallet.NewFileStore(filepath.Join(t.TempDir(), "wallet")),
		pass:   crypto.SecretString("pass-" + hex.EncodeToString(crypto.RandomBytes(8))),
		canary: "CANARY-" + hex.EncodeToString(crypto.RandomBytes(12)),
	}
	w, err := wallet.Create(ctx, k.store, k.pass, wallet.Options{KDF: krKDF})
	if err != nil {
		t.Fatal(err)
	}
	err = w.Update(ctx, func(c *wallet.Contents) error {
		e := wallet.Entry{Name: "personal", Kind: wallet.KindPersonal, Env: wallet.Environment{Name: wallet.EnvSandbox}}
		e.SetSecret(wallet.SecretToken, crypto.SecretString(k.canary))
		return c.Add(e)
	})
	if err != nil {
		t.Fatal(err)
	}
	k.w = w
	return k
}

func (k *krWallet) bytes(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(k.store.Path())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkCanary proves the wallet that opened is the right one, without
// printing the secret.
func (k *krWallet) checkCanary(t *testing.T, w *wallet.Wallet) {
	t.Helper()
	e, err := w.Get("personal")
	if err != nil {
		t.Fatal(err)
	}
	if e.Secret(wallet.SecretToken).RevealString() != k.canary {
		t.Fatal("the opened wallet does not hold the entry's secret")
	}
}

// neverAsk is a passphrase source that fails the test when called: the
// keyring alone must open the wallet.
func neverAsk(t *testing.T) func() (crypto.Secret, error) {
	return func() (crypto.Secret, error) {
		t.Error("the passphrase was asked for although the keyring should open the wallet")
		return crypto.Secret{}, errors.New("no passphrase in this test")
	}
}

// counting returns a passphrase source and how often it was called.
func counting(pass crypto.Secret) (func() (crypto.Secret, error), func() int) {
	var mu sync.Mutex
	n := 0
	return func() (crypto.Secret, error) {
			mu.Lock()
			defer mu.Unlock()
			n++
			return pass, nil
		}, func() int {
			mu.Lock()
			defer mu.Unlock()
			return n
		}
}

func TestKeyringSlotOpensWithoutPassphrase(t *testing.T) {
	ctx := context.Background()
	k := newKRWallet(t)
	kr := newFakeKeyring()
	if err := k.w.EnableKeyring(ctx, kr); err != nil {
		t.Fatal(err)
	}
	if info, err := wallet.Inspect(k.store); err != nil || !info.KeyringSlot {
		t.Fatalf("Inspect after EnableKeyring: %+v, %v; want a keyring slot", info, err)
	}
	if !k.w.HasKeyringSlot() {
		t.Fatal("HasKeyringSlot is false after EnableKeyring")
	}
	w, err := wallet.Open(ctx, k.store, wallet.Unlocker{Keyring: kr, Passphrase: neverAsk(t)})
	if err != nil {
		t.Fatal(err)
	}
	if got := w.UnlockedBy(); got != "keyring (fake)" {
		t.Fatalf("UnlockedBy = %q, want %q", got, "keyring (fake)")
	}
	if len(w.Warnings()) != 0 {
		t.Fatalf("warnings: %q", w.Warnings())
	}
	k.checkCanary(t, w)
	if err := wallet.KeyringItemOpens(ctx, k.store, kr); err != nil {
		t.Fatalf("KeyringItemOpens: %v", err)
	}
	// The passphrase keeps working beside the keyring slot.
	ask, asked := counting(k.pass)
	w, err = wallet.Open(ctx, k.store, wallet.Unlocker{Passphrase: ask})
	if err != nil || w.UnlockedBy() != "passphrase" || asked() != 1 {
		t.Fatalf("passphrase open: %v, unlocked by %q, asked %d times", err, w.UnlockedBy(), asked())
	}
}

// Every way the keyring can fail must end in the passphrase, with a
// warning that says what went wrong, and without touching the file.
func TestKeyringFailureFallsBackToPassphrase(t *testing.T) {
	ctx := context.Background()
	old := wallet.KeyringTimeout
	wallet.KeyringTimeout = 200 * time.Millisecond
	t.Cleanup(func() { wallet.KeyringTimeout = old })

	// another wallet with its own keyring item, for the swapped-item case
	other := newKRWallet(t)
	otherKR := newFakeKeyring()
	if err := other.w.EnableKeyring(ctx, otherKR); err != nil {
		t.Fatal(err)
	}
	_, otherItem := otherKR.only(t)

	cases := []struct {
		name string
		// breakIt damages the keyring; key names this wallet's item.
		breakIt func(t *testing.T, kr *fakeKeyring, key string, item []byte)
		warning string
		// reenroll: the item itself is bad, so the warning must say how to
		// replace it; a backend error may pass and needs no new item.
		reenroll bool
	}{
		{"item missing", func(t *testing.T, kr *fakeKeyring, key string, _ []byte) {
			if err := kr.Remove(key); err != nil {
				t.Fatal(err)
			}
		}, "no keyring item for this wallet", true},
		{"garbage item", func(t *testing.T, kr *fakeKeyring, key string, _ []byte) {
			kr.put(key, []byte("\x00\xffnot json at all"))
		}, "the keyring item is not readable", true},
		{"unknown item version", func(t *testing.T, kr *fakeKeyring, key string, item []byte) {
			kr.put(key, bytes.Replace(item, []byte(`"v":1`), []byte(`"v":2`), 1))
		}, "the keyring item is not readable", true},
		{"key of the wrong length", func(t *testing.T, kr *fakeKeyring, key string, item []byte) {
			var m map[string]any
			if err := json.Unmarshal(item, &m); err != nil {
				t.Fatal(err)
			}
			m["kek"] = base64.StdEncoding.EncodeToString(crypto.RandomBytes(16))
			b, _ := json.Marshal(m)
			kr.put(key, b)
		}, "the keyring item has a key of the wrong size", true},
		{"right wallet id, wrong key", func(t *testing.T, kr *fakeKeyring, key string, item []byte) {
			var m map[string]any
			if err := json.Unmarshal(item, &m); err != nil {
				t.Fatal(err)
			}
			m["kek"] = base64.StdEncoding.EncodeToString(crypto.NewKey())
			b, _ := json.Marshal(m)
			kr.put(key, b)
		}, "the keyring item does not open this wallet", true},
		{"another wallet's item", func(t *testing.T, kr *fakeKeyring, key string, _ []byte) {
			kr.put(key, otherItem)
		}, "the keyring item belongs to another wallet", true},
		{"Get fails", func(t *testing.T, kr *fakeKeyring, _ string, _ []byte) {
			kr.getFn = func(string) ([]byte, error) { return nil, errors.New("org.freedesktop.DBus.Error.NoReply") }
		}, "org.freedesktop.DBus.Error.NoReply", false},
		{"Get hangs", func(t *testing.T, kr *fakeKeyring, _ string, _ []byte) {
			release := make(chan struct{})
			t.Cleanup(func() { close(release) }) // let the abandoned call end
			kr.getFn = func(string) ([]byte, error) { <-release; return nil, errors.New("released") }
		}, "no answer within", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := newKRWallet(t)
			kr := newFakeKeyring()
			if err := k.w.EnableKeyring(ctx, kr); err != nil {
				t.Fatal(err)
			}
			key, item := kr.only(t)
			c.breakIt(t, kr, key, item)
			before := k.bytes(t)
			ask, asked := counting(k.pass)

			type result struct {
				w   *wallet.Wallet
				err error
			}
			done := make(chan result, 1)
			go func() {
				w, err := wallet.Open(ctx, k.store, wallet.Unlocker{Keyring: kr, Passphrase: ask})
				done <- result{w, err}
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Open did not return: a broken keyring must not hang the wallet")
			}
			if r.err != nil {
				t.Fatalf("Open: %v", r.err)
			}
			if r.w.UnlockedBy() != "passphrase" || asked() != 1 {
				t.Fatalf("unlocked by %q, passphrase asked %d times; want the passphrase, once", r.w.UnlockedBy(), asked())
			}
			warns := r.w.Warnings()
			if len(warns) != 1 || !strings.Contains(warns[0].Error(), c.warning) || !strings.Contains(warns[0].Error(), "using the passphrase") {
				t.Fatalf("warnings %q; want one mentioning %q", warns, c.warning)
			}
			if offers := offersKeyringEnable(warns[0]); offers != c.reenroll {
				t.Fatalf("warning %q: offers re-enrolling = %v, want %v", warns[0], offers, c.reenroll)
			}
			if strings.Contains(warns[0].Error(), k.canary) {
				t.Fatal("the warning contains the entry's secret")
			}
			k.checkCanary(t, r.w)
			if after := k.bytes(t); !bytes.Equal(before, after) {
				t.Fatal("opening with a broken keyring changed the wallet file")
			}
			if info, err := wallet.Inspect(k.store); err != nil || !info.KeyringSlot {
				t.Fatalf("the keyring slot is gone after a failed keyring open: %+v, %v", info, err)
			}
			if err := wallet.KeyringItemOpens(ctx, k.store, kr); err == nil {
				t.Fatal("KeyringItemOpens reports a broken item as working")
			}
		})
	}
}

// EnableKeyring must prove the backend works before the wallet depends on
// it: a failed store or a read-back that differs leaves the file as it was.
func TestEnableKeyringFailureLeavesNoSlot(t *testing.T) {
	ctx := context.Background()
	cases := map[string]func(*fakeKeyring){
		"Set fails": func(kr *fakeKeyring) { kr.setErr = errors.New("collection is locked") },
		"Get returns other bytes": func(kr *fakeKeyring) {
			kr.getFn = func(string) ([]byte, error) { return []byte(`{"v":1}`), nil }
		},
		"Get fails after Set": func(kr *fakeKeyring) {
			kr.getFn = func(string) ([]byte, error) { return nil, wallet.ErrKeyringItemNotFound }
		},
	}
	for name, breakIt := range cases {
		t.Run(name, func(t *testing.T) {
			k := newKRWallet(t)
			before := k.bytes(t)
			kr := newFakeKeyring()
			breakIt(kr)
			err := k.w.EnableKeyring(ctx, kr)
			if !errors.Is(err, wallet.ErrKeyringUnavailable) {
				t.Fatalf("EnableKeyring = %v; want ErrKeyringUnavailable", err)
			}
			if info, err := wallet.Inspect(k.store); err != nil || info.KeyringSlot {
				t.Fatalf("Inspect: %+v, %v; want no keyring slot", info, err)
			}
			if k.w.HasKeyringSlot() {
				t.Fatal("the in-memory wallet claims a keyring slot")
			}
			if !bytes.Equal(before, k.bytes(t)) {
				t.Fatal("a failed EnableKeyring changed the wallet file")
			}
			w, err := wallet.Open(ctx, k.store, wallet.Unlocker{Keyring: kr, Passphrase: func() (crypto.Secret, error) { return k.pass, nil }})
			if err != nil || w.UnlockedBy() != "passphrase" || len(w.Warnings()) != 0 {
				t.Fatalf("Open after a failed enable: %v, %q, %q", err, w.UnlockedBy(), w.Warnings())
			}
		})
	}
}

func TestDisableKeyringRemovesSlotAndItem(t *testing.T) {
	ctx := context.Background()
	k := newKRWallet(t)
	kr := newFakeKeyring()
	if err := k.w.EnableKeyring(ctx, kr); err != nil {
		t.Fatal(err)
	}
	if err := k.w.DisableKeyring(ctx, kr); err != nil {
		t.Fatal(err)
	}
	if info, err := wallet.Inspect(k.store); err != nil || info.KeyringSlot {
		t.Fatalf("Inspect after DisableKeyring: %+v, %v; want no keyring slot", info, err)
	}
	if n, _ := kr.count(); n != 0 {
		t.Fatalf("the keyring still holds %d items", n)
	}
	_, getsBefore := kr.count()
	ask, asked := counting(k.pass)
	w, err := wallet.Open(ctx, k.store, wallet.Unlocker{Keyring: kr, Passphrase: ask})
	if err != nil {
		t.Fatal(err)
	}
	if w.UnlockedBy() != "passphrase" || asked() != 1 || len(w.Warnings()) != 0 {
		t.Fatalf("unlocked by %q, asked %d times, warnings %q", w.UnlockedBy(), asked(), w.Warnings())
	}
	if _, gets := kr.count(); gets != getsBefore {
		t.Fatal("Open asked the keyring although the wallet has no keyring slot")
	}
	k.checkCanary(t, w)

	// Disabling again, or with no keyring at hand, is harmless.
	if err := w.DisableKeyring(ctx, kr); err != nil {
		t.Fatalf("second DisableKeyring: %v", err)
	}
	if err := w.DisableKeyring(ctx, nil); err != nil {
		t.Fatalf("DisableKeyring(nil): %v", err)
	}
}

func TestChangePassphraseKeepsKeyringSlot(t *testing.T) {
	ctx := context.Background()
	k := newKRWallet(t)
	kr := newFakeKeyring()
	if err := k.w.EnableKeyring(ctx, kr); err != nil {
		t.Fatal(err)
	}
	newPass := crypto.SecretString("new-" + hex.EncodeToString(crypto.RandomBytes(8)))
	if err := k.w.ChangePassphrase(ctx, newPass, crypto.KDFParams{}); err != nil {
		t.Fatal(err)
	}
	w, err := wallet.Open(ctx, k.store, wallet.Unlocker{Keyring: kr, Passphrase: neverAsk(t)})
	if err != nil || !strings.HasPrefix(w.UnlockedBy(), "keyring") {
		t.Fatalf("keyring open after ChangePassphrase: %v", err)
	}
	k.checkCanary(t, w)
	if _, err := wallet.Open(ctx, k.store, wallet.Unlocker{Passphrase: func() (crypto.Secret, error) { return k.pass, nil }}); !errors.Is(err, wallet.ErrWrongPassphrase) {
		t.Fatalf("old passphrase: %v; want ErrWrongPassphrase", err)
	}
	w, err = wallet.Open(ctx, k.store, wallet.Unlocker{Passphrase: func() (crypto.Secret, error) { return newPass, nil }})
	if err != nil {
		t.Fatalf("new passphrase: %v", err)
	}
	k.checkCanary(t, w)
}

// walletDataKey recovers the data key through the passphrase slot, reading
// the v1 layout (magic, version, flags, id, generation, slot count, slots,
// body nonce, body length, body, SHA-256) independently of the package, and
// proves it by opening the body. The test needs it to look for it where it
// must not be.
func walletDataKey(t *testing.T, data []byte, pass crypto.Secret) []byte {
	t.Helper()
	const fixed = 4 + 2 + 2 + 16 + 8 + 1
	id := data[8:24]
	n := int(data[fixed-1])
	off := fixed
	var dek []byte
	for range n {
		start := off
		kind := data[off]
		off++
		if kind == 1 {
			off += 4 + 4 + 1 + crypto.SaltSize
		}
		nonce := data[off : off+crypto.NonceSize]
		wrapped := data[off+crypto.NonceSize : off+crypto.NonceSize+crypto.KeySize+crypto.Overhead]
		off += crypto.NonceSize + crypto.KeySize + crypto.Overhead
		if kind != 1 {
			continue
		}
		p := crypto.KDFParams{
			Time:      binary.BigEndian.Uint32(data[start+1:]),
			MemoryKiB: binary.BigEndian.Uint32(data[start+5:]),
			Threads:   data[start+9],
		}
		salt := data[start+10 : start+10+crypto.SaltSize]
		kek, err := crypto.DeriveKey(pass.Reveal(), salt, p)
		if err != nil {
			t.Fatal(err)
		}
		aad := append([]byte("wisewallet slot v1\x00"), id...)
		aad = append(aad, data[start:start+10+crypto.SaltSize]...)
		if dek, err = crypto.Open(kek, nonce, wrapped, aad); err != nil {
			t.Fatalf("test's reading of the format is out of date: passphrase slot: %v", err)
		}
	}
	bodyNonce := data[off : off+crypto.NonceSize]
	off += crypto.NonceSize + 4
	if _, err := crypto.Open(dek, bodyNonce, data[off:len(data)-32], data[:off]); err != nil || dek == nil {
		t.Fatalf("test's reading of the format is out of date: body: %v", err)
	}
	return dek
}

// encodings lists the forms in which b could sit inside a text item.
func encodings(b []byte) [][]byte {
	out := [][]byte{b, []byte(hex.EncodeToString(b)), []byte(strings.ToUpper(hex.EncodeToString(b)))}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		out = append(out, []byte(enc.EncodeToString(b)))
	}
	return out
}

// The keyring item is a key-encryption key, not the data key and not any
// entry secret, so whoever reads the OS keyring still needs the wallet file.
func TestKeyringItemHoldsNoWalletSecret(t *testing.T) {
	ctx := context.Background()
	k := newKRWallet(t)
	kr := newFakeKeyring()
	var stored [][]byte // every value ever handed to the keyring
	kr.setHook = func(_ string, v []byte) { stored = append(stored, bytes.Clone(v)) }
	if err := k.w.EnableKeyring(ctx, kr); err != nil {
		t.Fatal(err)
	}
	if err := k.w.EnableKeyring(ctx, kr); err != nil { // re-enroll too
		t.Fatal(err)
	}
	dek := walletDataKey(t, k.bytes(t), k.pass)
	_, item := kr.only(t)
	stored = append(stored, item)
	if len(stored) < 3 {
		t.Fatalf("saw %d keyring writes, want at least 3", len(stored))
	}
	secrets := map[string][]byte{
		"data key":     dek,
		"entry secret": []byte(k.canary),
		"passphrase":   k.pass.Reveal(),
	}
	for i, v := range stored {
		for what, s := range secrets {
			for j, form := range encodings(s) {
				if bytes.Contains(v, form) {
					t.Errorf("keyring write %d holds the %s (encoding %d)", i, what, j)
				}
			}
		}
	}
	var parsed struct {
		V        int    `json:"v"`
		WalletID string `json:"wallet_id"`
		KEK      []byte `json:"kek"`
	}
	if err := json.Unmarshal(item, &parsed); err != nil {
		t.Fatal(err)
	}
	if parsed.WalletID != k.w.ID() || len(parsed.KEK) != crypto.KeySize || bytes.Equal(parsed.KEK, dek) {
		t.Fatalf("item: version %d, wallet %q (want %q), key of %d bytes", parsed.V, parsed.WalletID, k.w.ID(), len(parsed.KEK))
	}
	// Re-enrolling replaced the key: the first item no longer opens the wallet.
	kr.put(func() string { key, _ := kr.only(t); return key }(), stored[0])
	if err := wallet.KeyringItemOpens(ctx, k.store, kr); err == nil {
		t.Fatal("the item from before re-enrolling still opens the wallet")
	}
}

// backends returns fakes named after real backends, and an opener for
// wallet.OpenKeyringsWith that serves them (and fails for other names).
func backends(names ...string) (map[string]*fakeKeyring, func(string) (wallet.Keyring, error)) {
	m := map[string]*fakeKeyring{}
	for _, n := range names {
		m[n] = &fakeKeyring{name: n, items: map[string][]byte{}}
	}
	return m, func(name string) (wallet.Keyring, error) {
		if k, ok := m[name]; ok {
			return k, nil
		}
		return nil, errors.New("not available on this machine")
	}
}

// The item is in whichever backend worked when the keyring was enabled
// (keyctl over SSH, say), and a later session may open another backend
// first (Secret Service on the desktop). Opening without probing must
// look in every backend, use the one holding the item, and then name it.
func TestKeyringItemIsFoundInAnyBackend(t *testing.T) {
	ctx := context.Background()
	all := []string{"secret-service", "kwallet", "keyctl", "pass"}
	k := newKRWallet(t)
	fakes, open := backends("secret-service", "keyctl")
	if err := k.w.EnableKeyring(ctx, fakes["keyctl"]); err != nil {
		t.Fatal(err)
	}

	kr, err := wallet.OpenKeyringsWith(ctx, all, false, open)
	if err != nil {
		t.Fatal(err)
	}
	if got := kr.Name(); got != "secret-service or kwallet or keyctl or pass" {
		t.Errorf("before the item is found, Name = %q; want the backends to search", got)
	}
	w, err := wallet.Open(ctx, k.store, wallet.Unlocker{Keyring: kr, Passphrase: neverAsk(t)})
	if err != nil {
		t.Fatal(err)
	}
	if w.UnlockedBy() != "keyring (keyctl)" || len(w.Warnings()) != 0 || kr.Name() != "keyctl" {
		t.Fatalf("unlocked by %q (keyring named %q), warnings %q; want keyctl and none", w.UnlockedBy(), kr.Name(), w.Warnings())
	}
	k.checkCanary(t, w)

	// `keyring status` asks KeyringItemOpens and then names the backend.
	status, err := wallet.OpenKeyringsWith(ctx, all, false, open)
	if err != nil {
		t.Fatal(err)
	}
	if err := wallet.KeyringItemOpens(ctx, k.store, status); err != nil || status.Name() != "keyctl" {
		t.Fatalf("KeyringItemOpens: %v, backend %q; want nil, keyctl", err, status.Name())
	}

	// An item left in the first backend by an earlier enable no longer
	// opens the wallet; it is passed over, not taken as the answer.
	if err := k.w.EnableKeyring(ctx, fakes["secret-service"]); err != nil {
		t.Fatal(err)
	}
	if err := k.w.EnableKeyring(ctx, fakes["keyctl"]); err != nil {
		t.Fatal(err)
	}
	if n, _ := fakes["secret-service"].count(); n != 1 {
		t.Fatalf("the stale item is not there (%d items)", n)
	}
	kr, _ = wallet.OpenKeyringsWith(ctx, all, false, open)
	w, err = wallet.Open(ctx, k.store, wallet.Unlocker{Keyring: kr, Passphrase: neverAsk(t)})
	if err != nil || w.UnlockedBy() != "keyring (keyctl)" {
		t.Fatalf("with a stale item first: %v, unlocked by %q", err, w.UnlockedBy())
	}

	// Disabling removes the item from every backend that has one.
	if err := w.DisableKeyring(ctx, kr); err != nil {
		t.Fatal(err)
	}
	for name, f := range fakes {
		if n, _ := f.count(); n != 0 {
			t.Errorf("%s still holds %d items after DisableKeyring", name, n)
		}
	}

	// Enabling probes, and stores in the first backend that works.
	enabler, err := wallet.OpenKeyringsWith(ctx, all, true, open)
	if err != nil || enabler.Name() != "secret-service" {
		t.Fatalf("probing: %v, %v; want secret-service alone", enabler, err)
	}
	// The last backend that opens is used as it is: there is nothing after
	// it to search.
	fakes1, open1 := backends("keyctl")
	if one, err := wallet.OpenKeyringsWith(ctx, []string{"secret-service", "keyctl"}, false, open1); err != nil || one != wallet.Keyring(fakes1["keyctl"]) {
		t.Fatalf("a single backend: %v, %v", one, err)
	}
	if _, err := wallet.OpenKeyringsWith(ctx, all, false, func(string) (wallet.Keyring, error) { return nil, errors.New("no") }); !errors.Is(err, wallet.ErrKeyringUnavailable) {
		t.Fatalf("no backend: %v, want ErrKeyringUnavailable", err)
	}
}

// Backends after the one holding the item are not opened (opening can be
// slow, and KWallet asks to be unlocked when opened).
func TestKeyringSearchOpensLaterBackendsOnlyWhenNeeded(t *testing.T) {
	ctx := context.Background()
	k := newKRWallet(t)
	fakes, open := backends("secret-service", "keyctl")
	if err := k.w.EnableKeyring(ctx, fakes["secret-service"]); err != nil {
		t.Fatal(err)
	}
	var opened []string
	recordOpen := func(name string) (wallet.Keyring, error) {
		opened = append(opened, name)
		return open(name)
	}
	kr, err := wallet.OpenKeyringsWith(ctx, []string{"secret-service", "kwallet", "keyctl"}, false, recordOpen)
	if err != nil {
		t.Fatal(err)
	}
	w, err := wallet.Open(ctx, k.store, wallet.Unlocker{Keyring: kr, Passphrase: neverAsk(t)})
	if err != nil || w.UnlockedBy() != "keyring (secret-service)" {
		t.Fatalf("Open: %v, unlocked by %q", err, w.UnlockedBy())
	}
	if len(opened) != 1 {
		t.Fatalf("opened %v; want only secret-service, which has the item", opened)
	}
	// Not found there: the search goes on, opening the others in turn.
	if err := w.DisableKeyring(ctx, fakes["secret-service"]); err != nil {
		t.Fatal(err)
	}
	if err := k.w.EnableKeyring(ctx, fakes["keyctl"]); err != nil {
		t.Fatal(err)
	}
	opened = nil
	kr, _ = wallet.OpenKeyringsWith(ctx, []string{"secret-service", "kwallet", "keyctl"}, false, recordOpen)
	if _, err := wallet.Open(ctx, k.store, wallet.Unlocker{Keyring: kr, Passphrase: neverAsk(t)}); err != nil || kr.Name() != "keyctl" {
		t.Fatalf("Open: %v, found in %q", err, kr.Name())
	}
	if fmt.Sprint(opened) != "[secret-service kwallet keyctl]" {
		t.Fatalf("opened %v, want each in turn", opened)
	}
}

// offersKeyringEnable: err carries the fix "store a new keyring item",
// which the front ends put into words (the command line names its
// command). The words themselves are not the wallet's.
func offersKeyringEnable(err error) bool {
	var fe *wallet.FixError
	return errors.As(err, &fe) && fe.Fix == wallet.FixKeyringEnable
}

// When no backend holds the item, the warning names every backend it was
// looked for in and says how to store a new one.
func TestKeyringItemInNoBackendNamesThemAll(t *testing.T) {
	ctx := context.Background()
	k := newKRWallet(t)
	fakes, open := backends("secret-service", "keyctl")
	if err := k.w.EnableKeyring(ctx, fakes["keyctl"]); err != nil {
		t.Fatal(err)
	}
	key, _ := fakes["keyctl"].only(t)
	if err := fakes["keyctl"].Remove(key); err != nil {
		t.Fatal(err)
	}
	kr, err := wallet.OpenKeyringsWith(ctx, []string{"secret-service", "keyctl"}, false, open)
	if err != nil {
		t.Fatal(err)
	}
	ask, asked := counting(k.pass)
	w, err := wallet.Open(ctx, k.store, wallet.Unlocker{Keyring: kr, Passphrase: ask})
	if err != nil || asked() != 1 {
		t.Fatalf("Open: %v, passphrase asked %d times", err, asked())
	}
	warns := w.Warnings()
	if len(warns) != 1 || !strings.Contains(warns[0].Error(), "no keyring item for this wallet in secret-service or keyctl") || !offersKeyringEnable(warns[0]) {
		t.Fatalf("warnings %q", warns)
	}
}

// When the keyring does not open the wallet and there is no passphrase
// either, the error says both: "no passphrase" alone hid why a wallet
// that used to open by itself now wants one.
func TestNoPassphraseErrorCarriesTheKeyringReason(t *testing.T) {
	ctx := context.Background()
	k := newKRWallet(t)
	kr := newFakeKeyring()
	if err := k.w.EnableKeyring(ctx, kr); err != nil {
		t.Fatal(err)
	}
	key, _ := kr.only(t)
	if err := kr.Remove(key); err != nil {
		t.Fatal(err)
	}
	for name, u := range map[string]wallet.Unlocker{
		"no passphrase source": {Keyring: kr},
		"the source has none": {Keyring: kr, Passphrase: func() (crypto.Secret, error) {
			return crypto.Secret{}, fmt.Errorf("%w: not a terminal", wallet.ErrNoPassphrase)
		}},
	} {
		_, err := wallet.Open(ctx, k.store, u)
		if !errors.Is(err, wallet.ErrNoPassphrase) || !errors.Is(err, wallet.ErrKeyringItemNotFound) {
			t.Errorf("%s: %v, want ErrNoPassphrase and ErrKeyringItemNotFound", name, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "the OS keyring did not open the wallet") || !offersKeyringEnable(err) {
			t.Errorf("%s: %q does not say why the keyring did not open the wallet", name, msg)
		}
	}
}

// slowSetKeyring answers Set only when released, and reports the value it
// then reads: a Set that timed out goes on running after EnableKeyring
// has returned.
type slowSetKeyring struct {
	release chan struct{}
	seen    chan []byte
}

func (s *slowSetKeyring) Name() string               { return "slow" }
func (s *slowSetKeyring) Get(string) ([]byte, error) { return nil, wallet.ErrKeyringItemNotFound }
func (s *slowSetKeyring) Remove(string) error        { return wallet.ErrKeyringItemNotFound }
func (s *slowSetKeyring) Set(_ string, v []byte) error {
	<-s.release
	s.seen <- bytes.Clone(v)
	return nil
}

// EnableKeyring wipes its copy of the item when it returns; a Set that
// timed out and reads its value later must still see the item, not a
// buffer being cleared under it (a data race the race detector reports).
func TestEnableKeyringTimedOutSetReadsItsOwnCopy(t *testing.T) {
	old := wallet.KeyringTimeout
	wallet.KeyringTimeout = 50 * time.Millisecond
	t.Cleanup(func() { wallet.KeyringTimeout = old })
	k := newKRWallet(t)
	before := k.bytes(t)
	kr := &slowSetKeyring{release: make(chan struct{}), seen: make(chan []byte, 1)}
	if err := k.w.EnableKeyring(context.Background(), kr); !errors.Is(err, wallet.ErrKeyringUnavailable) || !strings.Contains(err.Error(), "no answer within") {
		t.Fatalf("EnableKeyring with a Set that hangs: %v", err)
	}
	close(kr.release)
	v := <-kr.seen
	var item struct {
		V        int    `json:"v"`
		WalletID string `json:"wallet_id"`
		KEK      []byte `json:"kek"`
	}
	if err := json.Unmarshal(v, &item); err != nil || item.V != 1 || item.WalletID != k.w.ID() || len(item.KEK) != crypto.KeySize {
		t.Fatalf("the late Set read %d bytes that are not the item (%v)", len(v), err)
	}
	if !bytes.Equal(before, k.bytes(t)) {
		t.Fatal("a failed EnableKeyring changed the wallet file")
	}
}
