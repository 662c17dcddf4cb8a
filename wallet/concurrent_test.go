package wallet

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

func init() {
	helpers["adder"] = helperAdder
	helpers["holdlock"] = helperHoldLock
}

// helperAdder waits for "go" on stdin, then adds entries ID-0..ID-(K-1),
// one Update each; WWT_ARG is "ID K".
func helperAdder() error {
	ctx, cancel := helperContext()
	defer cancel()
	var id string
	var k int
	if _, err := fmt.Sscan(os.Getenv(envArg), &id, &k); err != nil {
		return err
	}
	w, err := helperOpen()
	if err != nil {
		return err
	}
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return err
	}
	for i := 0; i < k; i++ {
		name := id + "-" + strconv.Itoa(i)
		if err := w.Update(ctx, func(c *Contents) error { return c.Add(personal(name, "adder-token")) }); err != nil {
			return err
		}
	}
	fmt.Println("done")
	return nil
}

// N processes × K read-modify-write updates on one wallet lose nothing.
func TestConcurrentProcessesLoseNoUpdates(t *testing.T) {
	const n, k = 4, 50
	store, _ := newTestWallet(t)
	children := make([]*child, n)
	for i := range children {
		children[i] = startChild(t, "adder", store.Dir(), fmt.Sprintf("%s=p%d %d", envArg, i, k))
	}
	for _, c := range children {
		c.expect(t, "ready")
	}
	for _, c := range children {
		if _, err := c.stdin.Write([]byte("go\n")); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range children {
		c.expect(t, "done")
		c.finish(t)
	}
	w := mustOpen(t, store, testPassphrase)
	if got := w.Contents().Len(); got != n*k {
		t.Fatalf("%d entries after %d×%d concurrent updates; %d lost", got, n, k, n*k-got)
	}
	if w.Generation() != 1+n*k {
		t.Errorf("generation %d, want %d", w.Generation(), 1+n*k)
	}
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			if _, err := w.Get(fmt.Sprintf("p%d-%d", i, j)); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// The same holds for several handles in one process: flock locks belong to
// each open of the lock file, so goroutines exclude each other too.
func TestConcurrentHandlesInOneProcessLoseNoUpdates(t *testing.T) {
	const n, k = 4, 25
	store, _ := newTestWallet(t)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		w := mustOpen(t, store, testPassphrase)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < k; j++ {
				name := fmt.Sprintf("g%d-%d", i, j)
				if err := w.Update(context.Background(), func(c *Contents) error { return c.Add(personal(name, "x")) }); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := mustOpen(t, store, testPassphrase).Contents().Len(); got != n*k {
		t.Fatalf("%d entries after %d×%d concurrent updates", got, n, k)
	}
}

// unlockedStore drops the lock and makes two updates read before either
// writes: the interleaving that the lock exists to prevent.
type unlockedStore struct {
	*FileStore
	race    bool
	loaded  sync.WaitGroup
	replace sync.Mutex // keeps the two renames apart, so only the lost update shows
}

func (s *unlockedStore) Lock(context.Context) (func(), error) { return func() {}, nil }

func (s *unlockedStore) Load() ([]byte, error) {
	b, err := s.FileStore.Load()
	if s.race {
		s.loaded.Done()
		s.loaded.Wait()
	}
	return b, err
}

func (s *unlockedStore) Replace(b []byte) error {
	s.replace.Lock()
	defer s.replace.Unlock()
	return s.FileStore.Replace(b)
}

// Negative control for the tests above: without the lock, an update is
// lost and the entry count shows it.
func TestUpdatesWithoutTheLockLoseWrites(t *testing.T) {
	fs, _ := newTestWallet(t)
	store := &unlockedStore{FileStore: fs}
	w1 := mustOpen(t, store, testPassphrase)
	w2 := mustOpen(t, store, testPassphrase)
	store.race = true
	store.loaded.Add(2)
	var wg sync.WaitGroup
	for i, w := range []*Wallet{w1, w2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.Update(context.Background(), func(c *Contents) error { return c.Add(personal(fmt.Sprint("w", i), "x")) }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	store.race = false
	if got := mustOpen(t, fs, testPassphrase).Contents().Len(); got != 1 {
		t.Fatalf("%d entries; without the lock one of the two updates should have been lost", got)
	}
}

// helperHoldLock takes the wallet lock and sleeps until killed.
func helperHoldLock() error {
	ctx, cancel := helperContext()
	defer cancel()
	if _, err := NewFileStore(os.Getenv(envDir)).Lock(ctx); err != nil {
		return err
	}
	fmt.Println("locked")
	<-ctx.Done()
	return nil
}

// A process killed while holding the lock does not wedge the wallet: the
// kernel drops a flock with its holder, and the lock file left on disk is
// harmless.
func TestKilledLockHolderDoesNotWedgeWallet(t *testing.T) {
	store, w := newTestWallet(t)
	before := mustRead(t, store.Path())
	c := startChild(t, "holdlock", store.Dir())
	c.expect(t, "locked")

	// While it is held, updates wait and then give up with ErrLocked.
	fl := flock.New(filepath.Join(store.Dir(), lockName))
	if ok, err := fl.TryLock(); ok || err != nil {
		t.Fatalf("the child's lock is not held: ok=%v err=%v", ok, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	err := w.Update(ctx, func(c *Contents) error { return c.Add(personal("blocked", "x")) })
	cancel()
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("Update while another process holds the lock: %v", err)
	}
	if got := mustRead(t, store.Path()); string(got) != string(before) {
		t.Fatal("the wallet changed while another process held the lock")
	}

	c.kill()
	addEntries(t, w, personal("after-kill", "x"))
	if _, err := os.Stat(filepath.Join(store.Dir(), lockName)); err != nil {
		t.Fatalf("lock file: %v", err)
	}
	if got := mustOpen(t, store, testPassphrase); got.Contents().Len() != 1 {
		t.Fatalf("%d entries after the update", got.Contents().Len())
	}
	assertUnlocked(t, store)
}

// Ctrl-C while waiting for another process's lock is an interruption, not
// "the wallet is busy": the caller must be able to tell it by
// context.Canceled (the command line exits 130 on it). Only a wait that
// ran out of time is ErrLocked.
func TestCancelledLockWaitIsCancelledNotBusy(t *testing.T) {
	store, w := newTestWallet(t)
	before := mustRead(t, store.Path())
	unlock, err := NewFileStore(store.Dir()).Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Update(ctx, func(c *Contents) error { return c.Add(personal("blocked", "x")) }) }()
	cancel()
	err = <-done
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrLocked) {
		t.Fatalf("Update cancelled while waiting for the lock: %v, want context.Canceled and not ErrLocked", err)
	}
	if _, err := store.Lock(ctx); !errors.Is(err, context.Canceled) || errors.Is(err, ErrLocked) {
		t.Fatalf("Lock with a cancelled context: %v, want context.Canceled", err)
	}

	ctx, cancelT := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancelT()
	if _, err := store.Lock(ctx); !errors.Is(err, ErrLocked) {
		t.Fatalf("Lock that ran out of time: %v, want ErrLocked", err)
	}
	if got := mustRead(t, store.Path()); string(got) != string(before) {
		t.Fatal("the wallet changed although no update got the lock")
	}
}

// Readers (Open, and reload with the key known) never see a torn or
// half-written wallet while another process saves in a loop.
func TestReadersDuringSavesNeverSeeDamage(t *testing.T) {
	store, w := newTestWallet(t)
	c := startChild(t, "saver", store.Dir())
	c.expect(t, "ack")
	deadline := time.Now().Add(20 * time.Second)
	var last uint64
	distinct := 0
	reads := 0
	for ; reads < 200 || distinct < 5; reads++ {
		if time.Now().After(deadline) {
			t.Fatalf("saw only %d generations in %d reads: the child is not saving", distinct, reads)
		}
		var got *Wallet
		if reads%2 == 0 {
			var err error
			if got, err = openWith(store, testPassphrase); err != nil {
				t.Fatalf("read %d: Open: %v", reads, err)
			}
		} else {
			if err := w.reload(); err != nil {
				t.Fatalf("read %d: reload: %v", reads, err)
			}
			got = w
		}
		gen := got.Generation()
		if gen < last {
			t.Fatalf("read %d: generation went back from %d to %d", reads, last, gen)
		}
		if gen != last {
			distinct++
		}
		last = gen
		if got.Contents().Len() != int(gen)-1 {
			t.Fatalf("read %d: generation %d with %d entries", reads, gen, got.Contents().Len())
		}
	}
	c.kill()
	t.Logf("%d reads saw %d generations, up to %d", reads, distinct, last)
}
