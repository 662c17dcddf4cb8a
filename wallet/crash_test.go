package wallet

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

func init() {
	helpers["saver"] = helperSaver
	helpers["crashat"] = helperCrashAt
	helpers["fsize"] = helperFileSizeLimit
	helpers["passwd"] = helperPasswd
}

// helperSaver adds entry e-NNNNNN for each new generation NNNNNN and
// prints "ack N" after each save returned, until killed or WWT_ARG saves.
func helperSaver() error {
	ctx, cancel := helperContext()
	defer cancel()
	w, err := helperOpen()
	if err != nil {
		return err
	}
	fmt.Printf("ready %d\n", w.Generation())
	limit, _ := strconv.Atoi(os.Getenv(envArg))
	if limit == 0 {
		limit = 1 << 30
	}
	for i := 0; i < limit; i++ {
		err := w.Update(ctx, func(c *Contents) error {
			// Update has just re-read the file, so this is the generation
			// the save will replace.
			return c.Add(personal(saverName(w.Generation()+1), "saver-token-value"))
		})
		if err != nil {
			return err
		}
		fmt.Printf("ack %d\n", w.Generation())
	}
	return nil
}

func saverName(gen uint64) string { return fmt.Sprintf("e-%06d", gen) }

func parseAck(line string) (uint64, bool) {
	s, ok := strings.CutPrefix(line, "ack ")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// checkSaverWallet opens the wallet and checks it is exactly what the
// saver makes at some generation: entries e-000002 through e-<gen>.
func checkSaverWallet(t *testing.T, store *FileStore) uint64 {
	t.Helper()
	w, err := openWith(store, testPassphrase)
	if err != nil {
		t.Fatalf("wallet does not open after the kill: %v", err)
	}
	gen := w.Generation()
	got := names(w.Entries())
	want := make([]string, 0, gen)
	for g := uint64(2); g <= gen; g++ {
		want = append(want, saverName(g))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("generation %d holds %d entries %v..., want e-000002..%s", gen, len(got), got[:min(3, len(got))], saverName(gen))
	}
	return gen
}

// SIGKILL at a random moment of a save loop leaves the last acknowledged
// wallet or the one after it, never a torn or older one; temp files left by
// a kill are removed by the next save.
func TestKillDuringSaveLeavesOldOrNewWallet(t *testing.T) {
	store, w := newTestWallet(t)
	iterations := 120
	if testing.Short() || raceEnabled {
		iterations = 60
	}
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	t.Logf("seed %d", seed)
	known := w.Generation()
	var afterAck, withTemp int
	for i := 0; i < iterations; i++ {
		c := startChild(t, "saver", store.Dir())
		c.expect(t, "ready")
		if i%2 == 1 {
			// Half the runs get one save done first, so the kills also
			// land in a wallet that has grown, whatever the machine's load.
			if n, ok := parseAck(c.expect(t, "ack")); ok {
				known = max(known, n)
			}
		}
		time.Sleep(time.Duration(rng.IntN(20_000)) * time.Microsecond)
		for _, l := range c.kill() {
			if n, ok := parseAck(l); ok {
				known = max(known, n)
			}
		}
		gen := checkSaverWallet(t, store)
		switch gen {
		case known:
		case known + 1:
			afterAck++ // killed between the rename and the ack
		default:
			t.Fatalf("iteration %d: generation %d on disk, last acknowledged %d", i, gen, known)
		}
		known = gen
		if len(tempFiles(t, store.Dir())) > 0 {
			withTemp++
		}
	}
	t.Logf("%d kills, ending at generation %d; %d after the rename but before the ack, %d left a temp file",
		iterations, known, afterAck, withTemp)
	addEntries(t, w, personal("after-the-kills", "x"))
	if tmp := tempFiles(t, store.Dir()); len(tmp) != 0 {
		t.Fatalf("%d temp files survived the next save, e.g. %s", len(tmp), filepath.Base(tmp[0]))
	}
}

// helperCrashAt kills itself with SIGKILL at the named step of a save.
func helperCrashAt() error {
	ctx, cancel := helperContext()
	defer cancel()
	w, err := helperOpen()
	if err != nil {
		return err
	}
	step := os.Getenv(envArg)
	replaceHook = func(s string) error {
		if s == step {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
		return nil
	}
	return w.Update(ctx, func(c *Contents) error { return c.Add(personal("crash-"+step, "x")) })
}

func stepIndex(t *testing.T, step string) int {
	i := slices.Index(replaceSteps, step)
	if i < 0 {
		t.Fatalf("unknown step %q", step)
	}
	return i
}

// A process killed at each step of a save leaves the old wallet (before the
// rename) or the new one (from the rename on), plus at most its temp file,
// which the next save removes.
func TestKillAtEachSaveStep(t *testing.T) {
	renamed := stepIndex(t, "rename")
	for i, step := range replaceSteps {
		t.Run(step, func(t *testing.T) {
			store, w := newTestWallet(t)
			c := startChild(t, "crashat", store.Dir(), envArg+"="+step)
			c.wait()
			if ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("child did not die at %s: %v; stderr: %s", step, c.err, c.stderr)
			}
			got := mustOpen(t, store, testPassphrase)
			_, getErr := got.Get("crash-" + step)
			temps := tempFiles(t, store.Dir())
			if i < renamed {
				if got.Generation() != 1 || getErr == nil {
					t.Errorf("killed at %s: generation %d, new entry present %v; want the old wallet", step, got.Generation(), getErr == nil)
				}
				if len(temps) != 1 {
					t.Errorf("killed at %s: %d temp files, want the one being written", step, len(temps))
				}
			} else {
				if got.Generation() != 2 || getErr != nil {
					t.Errorf("killed at %s: generation %d, entry: %v; want the new wallet", step, got.Generation(), getErr)
				}
				if len(temps) != 0 {
					t.Errorf("killed at %s: temp files %v after the rename", step, temps)
				}
			}
			addEntries(t, w, personal("next", "x"))
			if temps := tempFiles(t, store.Dir()); len(temps) != 0 {
				t.Errorf("the next save left temp files %v", temps)
			}
		})
	}
}

var errInjected = errors.New("injected failure")

// A save that fails at any step reports it, and leaves the wallet on disk
// and in memory consistent: before the rename both are the old wallet and
// no temp file remains; from the rename on the new file is in place (not
// yet known durable) and the next operation re-reads it.
func TestSaveFailureAtEachStep(t *testing.T) {
	renamed := stepIndex(t, "rename")
	t.Cleanup(func() { replaceHook = nil })
	for i, step := range replaceSteps {
		t.Run(step, func(t *testing.T) {
			store, w := newTestWallet(t)
			addEntries(t, w, personal("kept", "kept-token"))
			before := mustRead(t, store.Path())
			replaceHook = func(s string) error {
				if s == step {
					return errInjected
				}
				return nil
			}
			err := w.Update(context.Background(), func(c *Contents) error { return c.Add(personal("added", "x")) })
			replaceHook = nil
			if !errors.Is(err, errInjected) {
				t.Fatalf("Update with a failure at %s: %v", step, err)
			}
			if w.Generation() != 2 || w.Contents().Len() != 1 {
				t.Errorf("in memory after the failed save: generation %d, %d entries; want 2, 1", w.Generation(), w.Contents().Len())
			}
			if temps := tempFiles(t, store.Dir()); len(temps) != 0 {
				t.Errorf("temp files left: %v", temps)
			}
			onDisk := mustOpen(t, store, testPassphrase)
			if i < renamed {
				if got := mustRead(t, store.Path()); string(got) != string(before) {
					t.Error("the wallet file changed")
				}
			} else if onDisk.Generation() != 3 || onDisk.Contents().Len() != 2 {
				t.Errorf("after a failure at %s: generation %d with %d entries on disk; want 3, 2", step, onDisk.Generation(), onDisk.Contents().Len())
			}
			// The same handle goes on working, from what is on disk.
			addEntries(t, w, personal("then", "x"))
			if _, err := w.Get("kept"); err != nil {
				t.Error(err)
			}
			if wantLen := 2 + min(1, i/renamed); w.Contents().Len() != wantLen {
				t.Errorf("after the next save: %d entries, want %d", w.Contents().Len(), wantLen)
			}
		})
	}
}

// helperFileSizeLimit tries to save a large entry under RLIMIT_FSIZE, the
// way a full disk fails a write, and reports what the save returned.
func helperFileSizeLimit() error {
	ctx, cancel := helperContext()
	defer cancel()
	w, err := helperOpen()
	if err != nil {
		return err
	}
	lim := &syscall.Rlimit{Cur: 4096, Max: 4096}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, lim); err != nil {
		return err
	}
	big := personal("big", strings.Repeat("B", 64<<10))
	err = w.Update(ctx, func(c *Contents) error { return c.Add(big) })
	switch {
	case err == nil:
		return errors.New("the save succeeded despite the file size limit")
	case !errors.Is(err, syscall.EFBIG):
		return fmt.Errorf("the save failed, but not with EFBIG: %w", err)
	case w.Contents().Len() != 1 || w.Generation() != 2:
		return fmt.Errorf("in memory after the failed save: generation %d, %d entries", w.Generation(), w.Contents().Len())
	}
	fmt.Println("efbig:", err)
	return nil
}

func TestSaveOnFullDiskKeepsOldWallet(t *testing.T) {
	store, w := newTestWallet(t)
	addEntries(t, w, personal("small", "small-token"))
	before := mustRead(t, store.Path())
	if len(before) > 2048 {
		t.Fatalf("the wallet (%d bytes) is too large for the 4 KiB limit to bite only on the big save", len(before))
	}
	c := startChild(t, "fsize", store.Dir())
	c.expect(t, "efbig:")
	c.finish(t)
	if got := mustRead(t, store.Path()); string(got) != string(before) {
		t.Fatal("the wallet file changed")
	}
	if temps := tempFiles(t, store.Dir()); len(temps) != 0 {
		t.Fatalf("temp files left: %v", temps)
	}
	if got := mustOpen(t, store, testPassphrase); got.Contents().Len() != 1 {
		t.Fatalf("%d entries after the failed save", got.Contents().Len())
	}
}

// helperPasswd flips the passphrase between WWT_PASS and WWT_ARG until
// killed, printing "ack GEN" after each change.
func helperPasswd() error {
	ctx, cancel := helperContext()
	defer cancel()
	w, err := helperOpen()
	if err != nil {
		return err
	}
	fmt.Println("ready")
	cur, next := os.Getenv(envPass), os.Getenv(envArg)
	for i := 0; i < 1<<20; i++ {
		if err := w.ChangePassphrase(ctx, crypto.SecretString(next), cheapKDF); err != nil {
			return err
		}
		fmt.Println("ack", w.Generation())
		cur, next = next, cur
	}
	return nil
}

// SIGKILL during ChangePassphrase leaves exactly one of the old and the
// new passphrase working, with the entries intact. Each change is one save,
// so the generation says which passphrase it must be: the test's initial
// one at even distance from the start, the other at odd.
func TestKillDuringChangePassphraseLeavesOneWorking(t *testing.T) {
	store, w := newTestWallet(t)
	addEntries(t, w, personal("kept", "kept-token"))
	start := w.Generation()
	passFor := func(gen uint64) (string, string) {
		if (gen-start)%2 == 0 {
			return testPassphrase, "second passphrase"
		}
		return "second passphrase", testPassphrase
	}
	iterations := 40
	if testing.Short() || raceEnabled {
		iterations = 20
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	known := start
	for i := 0; i < iterations; i++ {
		cur, other := passFor(known)
		c := startChild(t, "passwd", store.Dir(), envPass+"="+cur, envArg+"="+other)
		c.expect(t, "ready")
		if i%2 == 1 {
			if n, ok := parseAck(c.expect(t, "ack")); ok {
				known = max(known, n)
			}
		}
		time.Sleep(time.Duration(rng.IntN(20_000)) * time.Microsecond)
		for _, l := range c.kill() {
			if n, ok := parseAck(l); ok {
				known = max(known, n)
			}
		}
		info, err := Inspect(store)
		if err != nil {
			t.Fatalf("iteration %d: %v", i, err)
		}
		if info.Generation != known && info.Generation != known+1 {
			t.Fatalf("iteration %d: generation %d on disk, last acknowledged %d", i, info.Generation, known)
		}
		known = info.Generation
		works, fails := passFor(known)
		got, err := openWith(store, works)
		if err != nil {
			t.Fatalf("iteration %d: generation %d does not open with its passphrase: %v", i, known, err)
		}
		if _, err := openWith(store, fails); !errors.Is(err, ErrWrongPassphrase) {
			t.Fatalf("iteration %d: the other passphrase: %v", i, err)
		}
		if _, err := got.Get("kept"); err != nil || got.Contents().Len() != 1 {
			t.Fatalf("entries changed: %v, %d entries", err, got.Contents().Len())
		}
	}
	t.Logf("%d kills, %d passphrase changes", iterations, known-start)
}
