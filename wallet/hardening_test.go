package wallet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// Tests for issue 12 (outside review): key rotation, FIFOs, a deleted
// lock file, live temp files, KDF and size caps, folder ownership.

// memKeyring is a Keyring in memory, for the rotation tests.
type memKeyring struct {
	mu    sync.Mutex
	items map[string][]byte
}

func newMemKeyring() *memKeyring   { return &memKeyring{items: map[string][]byte{}} }
func (m *memKeyring) Name() string { return "mem" }
func (m *memKeyring) Remove(k string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.items, k)
	return nil
}
func (m *memKeyring) Set(k string, v []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[k] = append([]byte(nil), v...)
	return nil
}
func (m *memKeyring) Get(k string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.items[k]
	if !ok {
		return nil, ErrKeyringItemNotFound
	}
	return append([]byte(nil), v...), nil
}

// attackerDEK is what someone holding a copy of a wallet file and the
// passphrase it had then gets: the data key of that copy.
func attackerDEK(t *testing.T, file []byte, pass string) []byte {
	t.Helper()
	f, err := decodeFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := f.slot(slotPassphrase)
	kek, err := crypto.DeriveKey([]byte(pass), s.salt, s.kdf)
	if err != nil {
		t.Fatal(err)
	}
	dek, err := crypto.Open(kek, s.nonce, s.wrapped, slotAAD(f.id, s))
	if err != nil {
		t.Fatalf("the passphrase does not open its own copy: %v", err)
	}
	return dek
}

// opensBody reports whether dek decrypts file's body.
func opensBody(t *testing.T, file, dek []byte) bool {
	t.Helper()
	f, err := decodeFile(file)
	if err != nil {
		t.Fatal(err)
	}
	_, err = crypto.Open(dek, f.bodyNonce, f.body, f.aad)
	return err == nil
}

// An old copy of the file plus the old passphrase must not read a secret
// added after the passphrase was changed.
func TestOldFileAndOldPassphraseCannotReadAfterPasswd(t *testing.T) {
	store, w := newTestWallet(t)
	addEntries(t, w, personal("before", "token-before"))
	old := mustRead(t, store.Path())
	if err := w.ChangePassphrase(context.Background(), crypto.SecretString("a new passphrase"), cheapKDF); err != nil {
		t.Fatal(err)
	}
	addEntries(t, w, personal("after", "token-after"))
	cur := mustRead(t, store.Path())
	oldDEK := attackerDEK(t, old, testPassphrase)
	if opensBody(t, cur, oldDEK) {
		t.Fatal("the data key of the old copy decrypts the wallet saved after passwd")
	}
	if got := mustOpen(t, store, "a new passphrase"); got.Contents().Len() != 2 {
		t.Fatalf("%d entries with the new passphrase, want 2", got.Contents().Len())
	}
}

// Every save has its own data key, rewrapped in the slots.
func TestEverySaveHasANewDataKey(t *testing.T) {
	store, w := newTestWallet(t)
	addEntries(t, w, personal("a", "token-a"))
	first := mustRead(t, store.Path())
	addEntries(t, w, personal("b", "token-b"))
	second := mustRead(t, store.Path())
	f1, _ := decodeFile(first)
	f2, _ := decodeFile(second)
	s1, _ := f1.slot(slotPassphrase)
	s2, _ := f2.slot(slotPassphrase)
	if string(s1.wrapped) == string(s2.wrapped) {
		t.Fatal("two saves have the same wrapped key")
	}
	d1, d2 := attackerDEK(t, first, testPassphrase), attackerDEK(t, second, testPassphrase)
	if string(d1) == string(d2) {
		t.Fatal("two saves have the same data key")
	}
	if opensBody(t, second, d1) {
		t.Fatal("the first save's data key opens the second")
	}
}

// The keyring slot is rewrapped with each new data key: it still opens
// the wallet after saves, whichever slot opened the process that saved.
func TestKeyringSlotOpensAfterSaves(t *testing.T) {
	ctx := context.Background()
	store, w := newTestWallet(t)
	kr := newMemKeyring()
	if err := w.EnableKeyring(ctx, kr); err != nil {
		t.Fatal(err)
	}
	addEntries(t, w, personal("a", "token-a"))
	addEntries(t, w, personal("b", "token-b"))
	byKR, err := Open(ctx, store, Unlocker{Keyring: kr})
	if err != nil || byKR.UnlockedBy() != "keyring (mem)" {
		t.Fatalf("keyring open after saves: %v", err)
	}
	if byKR.Contents().Len() != 2 {
		t.Fatalf("%d entries, want 2", byKR.Contents().Len())
	}
	// Opened by the keyring alone: its save cannot rewrap the passphrase
	// slot, so it keeps the data key, and both slots still open.
	if byKR.CanRekey() {
		t.Fatal("a wallet opened by the keyring claims to hold the passphrase slot's key")
	}
	addEntries(t, byKR, personal("c", "token-c"))
	if got := mustOpen(t, store, testPassphrase); got.Contents().Len() != 3 {
		t.Fatalf("passphrase open after a keyring save: %d entries", got.Contents().Len())
	}
	// Opened by the passphrase, with the keyring attached: rekeys.
	byPass := mustOpen(t, store, testPassphrase)
	if err := byPass.AttachKeyring(ctx, kr); err != nil {
		t.Fatal(err)
	}
	before := mustRead(t, store.Path())
	addEntries(t, byPass, personal("d", "token-d"))
	if opensBody(t, mustRead(t, store.Path()), attackerDEK(t, before, testPassphrase)) {
		t.Fatal("a save with both slot keys kept the data key")
	}
	if got, err := Open(ctx, store, Unlocker{Keyring: kr}); err != nil || got.Contents().Len() != 4 {
		t.Fatalf("keyring open after a rekeying save: %v", err)
	}
}

// passwd without the keyring slot's key removes that slot rather than
// leave it wrapping the old data key; with the key, it keeps it.
func TestChangePassphraseRekeysTheKeyringSlotOrDropsIt(t *testing.T) {
	ctx := context.Background()
	store, w := newTestWallet(t)
	kr := newMemKeyring()
	if err := w.EnableKeyring(ctx, kr); err != nil {
		t.Fatal(err)
	}
	attached := mustOpen(t, store, testPassphrase)
	if err := attached.AttachKeyring(ctx, kr); err != nil {
		t.Fatal(err)
	}
	if err := attached.ChangePassphrase(ctx, crypto.SecretString("second passphrase"), cheapKDF); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, store, Unlocker{Keyring: kr}); err != nil {
		t.Fatalf("keyring after passwd with the keyring key: %v", err)
	}
	plain := mustOpen(t, store, "second passphrase")
	if err := plain.ChangePassphrase(ctx, crypto.SecretString("third passphrase"), cheapKDF); err != nil {
		t.Fatal(err)
	}
	if plain.HasKeyringSlot() {
		t.Fatal("passwd without the keyring slot's key kept the slot")
	}
	mustOpen(t, store, "third passphrase")
}

// keyring disable rekeys: the keyring item and an old copy of the file
// read nothing saved after it.
func TestDisableKeyringRekeys(t *testing.T) {
	ctx := context.Background()
	store, w := newTestWallet(t)
	kr := newMemKeyring()
	if err := w.EnableKeyring(ctx, kr); err != nil {
		t.Fatal(err)
	}
	item, _ := kr.Get(keyringKey(w.id))
	old := mustRead(t, store.Path())
	if err := w.DisableKeyring(ctx, nil); err != nil {
		t.Fatal(err)
	}
	addEntries(t, w, personal("after", "token-after"))
	_ = kr.Set(keyringKey(w.id), item) // a copy of the item kept somewhere
	f, _ := decodeFile(old)
	oldDEK, _, err := unwrapFrom(ctx, kr, f)
	if err != nil {
		t.Fatal(err)
	}
	if opensBody(t, mustRead(t, store.Path()), oldDEK) {
		t.Fatal("the old keyring item and an old copy decrypt the wallet saved after keyring disable")
	}
}

// Two handles on one wallet: each reads the other's rekeyed saves, and a
// passphrase changed by one makes the other refuse to save, not clobber.
func TestHandlesFollowEachOthersNewKeys(t *testing.T) {
	ctx := context.Background()
	store, w1 := newTestWallet(t)
	w2 := mustOpen(t, store, testPassphrase)
	addEntries(t, w1, personal("one", "t1"))
	addEntries(t, w2, personal("two", "t2"))
	addEntries(t, w1, personal("three", "t3"))
	if got := mustOpen(t, store, testPassphrase); got.Contents().Len() != 3 {
		t.Fatalf("%v", names(got.Entries()))
	}
	if err := w1.ChangePassphrase(ctx, crypto.SecretString("changed elsewhere"), cheapKDF); err != nil {
		t.Fatal(err)
	}
	before := mustRead(t, store.Path())
	err := w2.Update(ctx, func(c *Contents) error { return c.Add(personal("four", "t4")) })
	if !errors.Is(err, ErrRekeyed) {
		t.Fatalf("save after another process changed the passphrase: %v, want ErrRekeyed", err)
	}
	if string(before) != string(mustRead(t, store.Path())) {
		t.Fatal("the refused save changed the file")
	}
}

// withTimeout fails the test when f does not return within d (a blocking
// open on a FIFO hangs forever).
func withTimeout(t *testing.T, d time.Duration, what string, f func() error) error {
	t.Helper()
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	select {
	case err := <-ch:
		return err
	case <-time.After(d):
		t.Fatalf("%s hangs", what)
		return nil
	}
}

func TestFIFOAtWalletOrLockIsRefused(t *testing.T) {
	store, w := newTestWallet(t)
	lockPath := filepath.Join(store.Dir(), lockName)
	// A FIFO at the lock: Lock (every save) refuses it.
	if err := os.Remove(lockPath); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(lockPath, 0o600); err != nil {
		t.Fatal(err)
	}
	err := withTimeout(t, 3*time.Second, "a save with a FIFO at wallet.lock", func() error {
		return w.Update(context.Background(), func(c *Contents) error { return c.Add(personal("x", "y")) })
	})
	if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "FIFO") {
		t.Fatalf("save with a FIFO lock: %v, want ErrUnsafe naming a FIFO", err)
	}
	_ = os.Remove(lockPath)
	// A FIFO at the wallet: Load (list, token, keyring status) refuses it.
	if err := os.Remove(store.Path()); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(store.Path(), 0o600); err != nil {
		t.Fatal(err)
	}
	err = withTimeout(t, 3*time.Second, "Load of a FIFO", func() error { _, err := store.Load(); return err })
	if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("Load of a FIFO: %v, want ErrUnsafe", err)
	}
	err = withTimeout(t, 3*time.Second, "Inspect of a FIFO", func() error { _, err := Inspect(store); return err })
	if !errors.Is(err, ErrUnsafe) {
		t.Fatalf("Inspect of a FIFO: %v", err)
	}
}

// Saves from several handles while wallet.lock keeps being deleted: every
// acknowledged update is in the final wallet.
func TestDeletedLockFileLosesNoUpdates(t *testing.T) {
	store, _ := newTestWallet(t)
	const writers, each = 4, 25
	lockPath := filepath.Join(store.Dir(), lockName)
	stop := make(chan struct{})
	var deleter sync.WaitGroup
	deleter.Add(1)
	go func() {
		defer deleter.Done()
		for {
			select {
			case <-stop:
				return
			default:
				_ = os.Remove(lockPath)
				time.Sleep(50 * time.Microsecond)
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// A store and wallet per writer, as separate processes have.
			w, err := openWith(NewFileStore(store.Dir()), testPassphrase)
			if err != nil {
				errs <- err
				return
			}
			for j := 0; j < each; j++ {
				e := personal(fmt.Sprintf("w%d-%d", i, j), "t")
				if err := w.Update(context.Background(), func(c *Contents) error { return c.Add(e) }); err != nil {
					errs <- err
				}
			}
		}(i)
	}
	wg.Wait()
	close(stop)
	deleter.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("save: %v", err)
	}
	if got := mustOpen(t, store, testPassphrase).Contents().Len(); got != writers*each {
		t.Fatalf("%d entries after %d acknowledged adds: updates were lost", got, writers*each)
	}
}

// A temp file a live writer holds is not cleaned up by another save; one
// nobody holds (its writer died) is.
func TestStaleTempCleanupSparesALiveWriter(t *testing.T) {
	store, w := newTestWallet(t)
	live := filepath.Join(store.Dir(), tempPrefix+"live")
	f, err := os.OpenFile(live, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	_ = os.Chtimes(live, old, old)
	addEntries(t, w, personal("a", "t"))
	if _, err := os.Lstat(live); err != nil {
		t.Fatalf("a save removed a temp file a live writer holds: %v", err)
	}
	f.Close() // the writer dies
	addEntries(t, w, personal("b", "t"))
	if _, err := os.Lstat(live); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a dead writer's temp file survived the next save: %v", err)
	}
}

// Parameters Check accepted but that cost too much are refused as damage
// before the KDF runs, without asking for the passphrase.
func TestKDFParamsOverTheCapsAreDamage(t *testing.T) {
	store, _ := newTestWallet(t)
	orig := mustRead(t, store.Path())
	for _, p := range []crypto.KDFParams{
		{Time: 1, MemoryKiB: 17 * 8, Threads: 17},
		{Time: 9, MemoryKiB: 8, Threads: 1},
		{Time: 16, MemoryKiB: 1 << 20, Threads: 64}, // the old caps: 12 s, 1 GB
		{Time: 1, MemoryKiB: 256<<10 + 1, Threads: 1},
		{Time: 5, MemoryKiB: 256 << 10, Threads: 4},
	} {
		writeWallet(t, store, withKDF(orig, p))
		asked := false
		start := time.Now()
		_, err := Open(context.Background(), store, Unlocker{Passphrase: func() (crypto.Secret, error) {
			asked = true
			return crypto.SecretString(testPassphrase), nil
		}})
		if !errors.Is(err, ErrDamaged) || !errors.Is(err, crypto.ErrParams) {
			t.Errorf("%+v: %v, want ErrDamaged and ErrParams", p, err)
		}
		if asked {
			t.Errorf("%+v: asked for the passphrase", p)
		}
		if d := time.Since(start); d > 200*time.Millisecond {
			t.Errorf("%+v: refused after %v", p, d)
		}
	}
}

// A file larger than any wallet is refused on its size, before it is read.
func TestOversizedFileIsRefusedUnread(t *testing.T) {
	store, _ := newTestWallet(t)
	f, err := os.OpenFile(store.Path(), os.O_WRONLY|os.O_TRUNC, fileMode)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(magic)
	// Sparse: costs no disk, but a whole read would cost the allocation.
	if err := f.Truncate(maxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if maxFileSize > 65<<20 {
		t.Fatalf("the size cap is %d bytes; a wallet of 10,000 entries is about 3 MB", maxFileSize)
	}
	_, err = store.Load()
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "larger than any wallet") {
		t.Fatalf("Load of an oversized file: %v", err)
	}
}

// A wallet folder or file owned by someone else is refused (OpenSSH's
// StrictModes). The rule is checked for any uid; the chown needs root.
func TestFolderOwnedByAnotherUserIsRefused(t *testing.T) {
	store, _ := newTestWallet(t)
	info, err := os.Lstat(store.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if err := checkDirInfo(store.Dir(), info, os.Getuid()+1); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "owned by") {
		t.Fatalf("folder of another uid: %v", err)
	}
	if os.Getuid() != 0 {
		t.Skip("the chown part needs root")
	}
	if err := os.Chown(store.Dir(), 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "owned by uid 65534") {
		t.Fatalf("Load from a folder owned by uid 65534: %v", err)
	}
	if _, err := store.Lock(context.Background()); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("Lock in a folder owned by uid 65534: %v", err)
	}
	if err := os.Chown(store.Dir(), 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(store.Path(), 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "owned by uid 65534") {
		t.Fatalf("Load of a file owned by uid 65534: %v", err)
	}
}

// InspectHeader (what the command line asks before Open) reads the header
// only: a wallet whose body is damaged still shows its header, and the
// whole file is read once, by Open.
func TestInspectHeaderReadsOnlyTheHeader(t *testing.T) {
	ctx := context.Background()
	store, w := newTestWallet(t)
	if err := w.EnableKeyring(ctx, newMemKeyring()); err != nil {
		t.Fatal(err)
	}
	want, err := Inspect(store)
	if err != nil {
		t.Fatal(err)
	}
	got, err := InspectHeader(store)
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("InspectHeader = %+v, %v; want %+v", got, err, want)
	}
	// Past the header, the file is another story: InspectHeader does not
	// look (Inspect, which checks the trailer, does).
	data := mustRead(t, store.Path())
	data[len(data)-1] ^= 1
	writeWallet(t, store, data)
	if _, err := Inspect(store); !errors.Is(err, ErrDamaged) {
		t.Fatalf("Inspect of a damaged trailer: %v", err)
	}
	if got, err := InspectHeader(store); err != nil || !got.KeyringSlot {
		t.Fatalf("InspectHeader with a damaged trailer: %+v, %v", got, err)
	}
	writeWallet(t, store, []byte("not a wallet at all"))
	if _, err := InspectHeader(store); !errors.Is(err, ErrNotWallet) {
		t.Fatalf("InspectHeader of another file: %v", err)
	}
}
