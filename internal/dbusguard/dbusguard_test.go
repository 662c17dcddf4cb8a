package dbusguard

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	helperEnv = "WISEWALLET_DBUSGUARD_TEST_HELPER"
	// markEnv is a random value every process a test starts inherits; a
	// dbus-daemon that dbus-launch starts for one of them inherits it too,
	// so the test finds its own daemons and never another test's.
	markEnv = "WISEWALLET_DBUSGUARD_TEST_MARK"
)

// TestHelperGuardEnv prints what the guard left in the environment; it
// runs in a re-executed test binary, whose init ran the guard.
func TestHelperGuardEnv(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("runs only inside TestGuardSetsAddressOnlyWithoutABus")
	}
	fmt.Printf("ADDR=%q\n", os.Getenv("DBUS_SESSION_BUS_ADDRESS"))
}

// cleanEnv is the environment without any D-Bus or display settings.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "DBUS_") || strings.HasPrefix(name, "WISEWALLET_") ||
			name == "XDG_RUNTIME_DIR" || name == "DISPLAY" || name == "WAYLAND_DISPLAY" {
			continue
		}
		if name == "GORACE" {
			continue
		}
		env = append(env, kv)
	}
	// A -race binary sleeps 1 s at exit by default; the children here are
	// short, so skip that.
	env = append(env, "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	return append(env, extra...)
}

func TestGuardSetsAddressOnlyWithoutABus(t *testing.T) {
	withBus := t.TempDir()
	if err := os.WriteFile(filepath.Join(withBus, "bus"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  []string
		want string
	}{
		{"no bus at all", nil, "disabled:"},
		{"session bus address set", []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus"}, "unix:path=/run/user/1000/bus"},
		{"systemd user bus in XDG_RUNTIME_DIR", []string{"XDG_RUNTIME_DIR=" + withBus}, ""},
		{"XDG_RUNTIME_DIR without a bus", []string{"XDG_RUNTIME_DIR=" + t.TempDir()}, "disabled:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperGuardEnv$", "-test.count=1")
			cmd.Env = cleanEnv(append([]string{helperEnv + "=1"}, c.env...)...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("helper: %v\n%s", err, out)
			}
			if want := fmt.Sprintf("ADDR=%q\n", c.want); !strings.Contains(string(out), want) {
				t.Fatalf("got %s, want %s", out, want)
			}
		})
	}
}

// build compiles pkg (relative to the module root) into dir.
func build(t *testing.T, dir, name, pkg string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	gomod, err := exec.Command(goTool, "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(gomod)) == "" || strings.TrimSpace(string(gomod)) == os.DevNull {
		t.Fatalf("cannot find the module root: %v (%q)", err, gomod)
	}
	out := filepath.Join(dir, name)
	cmd := exec.Command(goTool, "build", "-o", out, pkg)
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// markedDaemons lists live (not zombie) dbus-daemon processes carrying mark.
func markedDaemons(mark string) []int {
	var pids []int
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", d.Name(), "comm"))
		if err != nil || strings.TrimSpace(string(comm)) != "dbus-daemon" {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", d.Name(), "environ"))
		if err != nil || !bytes.Contains(append([]byte{0}, env...), []byte("\x00"+mark+"\x00")) {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if i := bytes.LastIndexByte(stat, ')'); err != nil || i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

func killAll(pids []int) {
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGTERM) // started by this test: it carries the mark
	}
}

// run runs bin with args in env and returns its exit code and output.
func run(t *testing.T, env []string, bin string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	// A daemon holding the output pipe must not hang Wait.
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", bin, args, err, out)
	}
	return 0, string(out)
}

// TestNoStrayDBusDaemon runs the real binary with no session bus, the way
// it runs over SSH, in cron or in CI. Without the guard, loading
// github.com/99designs/keyring makes godbus run dbus-launch, and every
// start leaves a dbus-daemon behind (hashicorp/vault#22560).
func TestNoStrayDBusDaemon(t *testing.T) {
	if _, err := exec.LookPath("dbus-launch"); err != nil {
		t.Skip("dbus-launch is not installed (Debian package dbus-x11), so there is nothing to guard against here")
	}
	dir := t.TempDir()
	bin := build(t, dir, "wisewallet", "github.com/wisewallet/wisewallet")
	noguard := build(t, dir, "noguard", "./internal/dbusguard/testdata/noguard")

	b := make([]byte, 8)
	_, _ = rand.Read(b)
	mark := markEnv + "=" + hex.EncodeToString(b)
	env := cleanEnv(mark,
		"HOME="+filepath.Join(dir, "home"),
		"WISEWALLET_DIR="+filepath.Join(dir, "wallet"),
		"WISEWALLET_PASSPHRASE=dbusguard-test-passphrase")
	t.Cleanup(func() { killAll(markedDaemons(mark)) })

	steps := [][]string{
		{"init", "--kdf-time", "1", "--kdf-memory", "8", "--kdf-threads", "1", "--insecure-kdf"},
		{"keyring", "status"},
		{"list"},
	}
	for _, args := range steps {
		code, out := run(t, env, bin, args...)
		if code != 0 {
			t.Fatalf("wisewallet %s: exit %d\n%s", strings.Join(args, " "), code, out)
		}
		if pids := markedDaemons(mark); len(pids) > 0 {
			killAll(pids)
			t.Fatalf("wisewallet %s left dbus-daemon %v running", strings.Join(args, " "), pids)
		}
	}

	// Negative control: the same run without the guard must leave a daemon,
	// or this test proves nothing on this machine.
	if code, out := run(t, env, noguard); code != 0 {
		t.Fatalf("noguard: exit %d\n%s", code, out)
	}
	if pids := markedDaemons(mark); len(pids) == 0 {
		t.Logf("observation: the unguarded control left no dbus-daemon here, so this machine does not show the problem")
	} else {
		t.Logf("control: without the guard, dbus-daemon %v was left running (now stopped)", pids)
		killAll(pids)
	}
}
