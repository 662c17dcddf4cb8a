package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
)

// The tests of what main itself does: harden the process and turn signals
// into cancellation. The command line's own tests are in cli/.

const (
	// asMainEnv: "1" runs main() with os.Args[1:] as the command line.
	asMainEnv = "WISEWALLET_TEST_AS_MAIN"
	// hardenProbeEnv runs hardenProcess() alone and prints what it did.
	hardenProbeEnv = "WISEWALLET_TEST_HARDEN_PROBE"
)

func TestMain(m *testing.M) {
	if os.Getenv(hardenProbeEnv) == "1" {
		os.Exit(hardenProbe())
	}
	if os.Getenv(asMainEnv) == "1" {
		main() // exits
	}
	os.Exit(m.Run())
}

// childTimeout bounds every child process; none should come near it.
const childTimeout = 60 * time.Second

// walletEnv makes a wallet with a cheap KDF in a new folder and returns
// the environment of a child that runs main() on it, built from scratch.
func walletEnv(t *testing.T) []string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "wallet")
	const pass = "main-test-passphrase"
	if _, err := wallet.Create(context.Background(), wallet.NewFileStore(dir), crypto.SecretString(pass),
		wallet.Options{KDF: crypto.KDFParams{Time: 1, MemoryKiB: 8, Threads: 1}}); err != nil {
		t.Fatal(err)
	}
	return []string{asMainEnv + "=1", "PATH=" + os.Getenv("PATH"), "HOME=" + root, "TMPDIR=" + root, "LANG=C.UTF-8",
		// Under -race, the race runtime sleeps 1 s at every exit by default.
		"GORACE=" + strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"),
		"WISEWALLET_DIR=" + dir, "WISEWALLET_PASSPHRASE=" + pass, "WISEWALLET_KEYRING=none"}
}

// ---- 5. Process hardening ----

// hardenProbe runs in a child: it makes core dumps possible first (so the
// test can fail), calls hardenProcess and prints what it finds.
func hardenProbe() int {
	before := "raised"
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 1 << 20, Max: 1 << 20}); err != nil {
		before = "cannot raise: " + err.Error()
	}
	dumpBefore, _ := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	hardenProcess()
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &lim); err != nil {
		fmt.Println("getrlimit:", err)
		return 1
	}
	dump, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	if err != nil {
		fmt.Println("prctl:", err)
		return 1
	}
	fmt.Printf("core-before=%s dumpable-before=%d core-cur=%d core-max=%d dumpable=%d\n", before, dumpBefore, lim.Cur, lim.Max, dump)
	return 0
}

func TestHardenProcessDisablesCoreDumpsAndPtrace(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = []string{hardenProbeEnv + "=1", "GORACE=atexit_sleep_ms=0"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("probe: %v\n%s", err, out)
	}
	got := strings.TrimSpace(string(out))
	if !strings.Contains(got, "dumpable-before=1") || !strings.Contains(got, "core-before=raised") {
		t.Logf("precondition not met, the check is weaker: %s", got)
	}
	if !strings.Contains(got, "core-cur=0 ") || !strings.HasSuffix(got, "dumpable=0") {
		t.Errorf("after hardenProcess: %s; want core-cur=0 and dumpable=0", got)
	}
}

// The real main() hardens before doing anything: a running command's core
// limit is 0 although it started with core files allowed.
func TestMainHardensBeforeRunningACommand(t *testing.T) {
	t.Parallel()
	envList := walletEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	// `add` waits on stdin for the token, so it stays alive to be looked at.
	cmd := exec.CommandContext(ctx, os.Args[0], "add", "personal", "h1", "--env", "sandbox")
	cmd.Env = envList
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.WaitDelay = 5 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	// The child inherits the core limit at fork: allow core files for it, so
	// that 0 afterwards can only come from the child itself.
	coreLimitMu.Lock()
	var saved unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &saved); err != nil {
		coreLimitMu.Unlock()
		t.Fatal(err)
	}
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 1 << 20, Max: max(saved.Max, 1<<20)}); err != nil {
		coreLimitMu.Unlock()
		t.Skipf("cannot allow core files for the child: %v", err)
	}
	err = cmd.Start()
	_ = unix.Setrlimit(unix.RLIMIT_CORE, &saved)
	coreLimitMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		_ = cmd.Wait()
	}()
	limitsPath := fmt.Sprintf("/proc/%d/limits", cmd.Process.Pid)
	var line string
	// Bounded wait for the child to get past its start; only a failing
	// test waits the whole time.
	for deadline := time.Now().Add(childTimeout / 2); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		limits, err := os.ReadFile(limitsPath)
		if err != nil {
			t.Fatalf("child gone before the check: %v (%s)", err, stderr.String())
		}
		for _, l := range strings.Split(string(limits), "\n") {
			if strings.HasPrefix(l, "Max core file size") {
				line = l
			}
		}
		if f := strings.Fields(line); len(f) >= 6 && f[4] == "0" && f[5] == "0" {
			return
		}
	}
	t.Errorf("running command's core limit: %q, want soft and hard 0", line)
}

// coreLimitMu guards the test process's own RLIMIT_CORE while it is raised
// for one child.
var coreLimitMu sync.Mutex

// helperEnv makes the test binary run one of the helpers below instead of
// the tests.
const helperEnv = "WISEWALLET_TEST_HELPER"

// TestHelperInterruptTwice is not a test: run in a child with
// helperEnv=interrupt-twice, it sets up interruptContext as main does,
// reports the first interrupt, then keeps running as a command that is
// slow to stop would.
func TestHelperInterruptTwice(t *testing.T) {
	if os.Getenv(helperEnv) != "interrupt-twice" {
		t.Skip("helper for TestSecondCtrlCKillsAProcessSlowToStop")
	}
	ctx, stop := interruptContext()
	defer stop()
	fmt.Println("ready")
	<-ctx.Done()
	fmt.Println("cancelled")
	time.Sleep(childTimeout / 2)
	os.Exit(0)
}

// After the first Ctrl-C has cancelled the context, the signal has its
// default action back: another Ctrl-C kills a process that is slow to
// stop, instead of being swallowed.
func TestSecondCtrlCKillsAProcessSlowToStop(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperInterruptTwice$")
	cmd.Env = append(os.Environ(), helperEnv+"=interrupt-twice", "GORACE=atexit_sleep_ms=0")
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	expect := func(want string) {
		t.Helper()
		for lines.Scan() {
			if lines.Text() == want {
				return
			}
		}
		t.Fatalf("the helper never printed %q", want)
	}
	expect("ready")
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	expect("cancelled")
	// The handler is removed just after the context is cancelled, in its
	// own goroutine: keep pressing Ctrl-C, as a user would, until it
	// takes. A helper that swallows them all sleeps and exits 0.
	exited := make(chan error, 1)
	go func() { _, _ = io.Copy(io.Discard, out); exited <- cmd.Wait() }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("the helper exited with %v after the second Ctrl-C, want killed by SIGINT", err)
			}
			if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
				t.Fatalf("the helper ended with %v, want killed by SIGINT", err)
			}
			return
		case <-tick.C:
			_ = cmd.Process.Signal(os.Interrupt)
		}
	}
}

// Closing the terminal sends SIGHUP: a real `demo` cleans up as on Ctrl-C
// or SIGTERM, and its throwaway wallet does not stay in the temporary
// folder.
func TestDemoRemovesItsWalletOnSIGHUP(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "demo", "--plain", "--every", "1h")
	cmd.Env = []string{asMainEnv + "=1", "PATH=" + os.Getenv("PATH"), "HOME=" + root, "TMPDIR=" + root, "LANG=C.UTF-8",
		"GORACE=" + strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"), "WISEWALLET_KEYRING=none"}
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	for lines.Scan() && !strings.Contains(lines.Text(), "acme-personal") {
	}
	made, _ := filepath.Glob(filepath.Join(root, "wisewallet-demo-*"))
	if len(made) != 1 {
		t.Fatalf("the demo's wallet folder in TMPDIR: %v (stderr %s)", made, stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, out)
	err = cmd.Wait()
	if left, _ := filepath.Glob(filepath.Join(root, "wisewallet-demo-*")); len(left) != 0 {
		t.Fatalf("after SIGHUP (%v) the demo's wallet is still there: %v", err, left)
	}
	if !strings.Contains(stderr.String(), "its wallet was deleted") {
		t.Errorf("after SIGHUP: %v, stderr:\n%s", err, stderr.String())
	}
}
