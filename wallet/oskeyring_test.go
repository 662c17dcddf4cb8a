package wallet_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/99designs/keyring"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
)

// These tests use the real backends of github.com/99designs/keyring: the
// kernel keyring (keyctl) in this process, and Secret Service through
// gnome-keyring on a private D-Bus session started for the test, in a
// re-executed test binary (the library picks its D-Bus backends when the
// process starts, so the bus must exist before the binary runs).

const (
	// ssHelperEnv selects what a re-executed TestHelperSecretService* does.
	ssHelperEnv = "WISEWALLET_TEST_SECRET_SERVICE"
	// ssMarkEnv is a random value every process of one test inherits, so
	// the test can find (and must not leave) any of them.
	ssMarkEnv = "WISEWALLET_TEST_PROCESS_MARK"
	// ssPassEnv carries the throwaway keyring password to the shell's
	// printf, keeping it out of every process's argv.
	ssPassEnv = "WISEWALLET_TEST_KEYRING_PASSWORD"
)

// roundTripRealKeyring enables the keyring slot with kr, opens the wallet
// without its passphrase, and disables the slot again, checking the item
// in the backend at each step.
func roundTripRealKeyring(t *testing.T, kr wallet.Keyring) {
	t.Helper()
	ctx := context.Background()
	k := newKRWallet(t)
	if err := k.w.EnableKeyring(ctx, kr); err != nil {
		t.Fatalf("EnableKeyring(%s): %v", kr.Name(), err)
	}
	// The item name is "wallet-" and the wallet id; users see it in their
	// keyring manager, so it is stable.
	itemKey := "wallet-" + k.w.ID()
	t.Cleanup(func() { _ = kr.Remove(itemKey) }) // never leave a test item behind
	item, err := kr.Get(itemKey)
	if err != nil {
		t.Fatalf("the %s backend has no item %s after EnableKeyring: %v", kr.Name(), itemKey, err)
	}
	if bytes.Contains(item, []byte(k.canary)) {
		t.Fatal("the keyring item holds an entry secret")
	}

	w, err := wallet.Open(ctx, k.store, wallet.Unlocker{Keyring: kr, Passphrase: neverAsk(t)})
	if err != nil {
		t.Fatalf("Open through %s: %v", kr.Name(), err)
	}
	if want := "keyring (" + kr.Name() + ")"; w.UnlockedBy() != want || len(w.Warnings()) != 0 {
		t.Fatalf("unlocked by %q with warnings %q; want %q and none", w.UnlockedBy(), w.Warnings(), want)
	}
	k.checkCanary(t, w)
	if err := wallet.KeyringItemOpens(ctx, k.store, kr); err != nil {
		t.Fatalf("KeyringItemOpens: %v", err)
	}

	if err := w.DisableKeyring(ctx, kr); err != nil {
		t.Fatalf("DisableKeyring: %v", err)
	}
	if info, err := wallet.Inspect(k.store); err != nil || info.KeyringSlot {
		t.Fatalf("Inspect after DisableKeyring: %+v, %v", info, err)
	}
	if _, err := kr.Get(itemKey); !errors.Is(err, wallet.ErrKeyringItemNotFound) {
		t.Fatalf("Get after DisableKeyring: %v; want ErrKeyringItemNotFound", err)
	}
	ask, asked := counting(k.pass)
	w, err = wallet.Open(ctx, k.store, wallet.Unlocker{Keyring: kr, Passphrase: ask})
	if err != nil || w.UnlockedBy() != "passphrase" || asked() != 1 {
		t.Fatalf("Open after DisableKeyring: %v, unlocked by %q, passphrase asked %d times", err, w.UnlockedBy(), asked())
	}
}

// openKeyctl returns the real keyctl backend or skips: containers with a
// seccomp profile often forbid the keyctl system calls.
func openKeyctl(t *testing.T, probe bool) wallet.Keyring {
	t.Helper()
	kr, err := wallet.OpenOSKeyring(context.Background(), "keyctl", probe)
	if errors.Is(err, wallet.ErrKeyringUnavailable) {
		t.Skipf("the kernel keyring is not usable here (seccomp-restricted container?): %v", err)
	}
	if err != nil {
		t.Fatalf("OpenOSKeyring(keyctl): %v; want nil or ErrKeyringUnavailable", err)
	}
	if kr.Name() != "keyctl" {
		t.Fatalf("asked for keyctl, got %q", kr.Name())
	}
	return kr
}

func TestOSKeyringKeyctlRoundTrip(t *testing.T) {
	roundTripRealKeyring(t, openKeyctl(t, true))
}

// Opening a wallet uses the backend without the probe; that handle must
// read what `keyring enable` (with the probe) stored.
func TestOSKeyringKeyctlUnprobedHandleOpens(t *testing.T) {
	ctx := context.Background()
	k := newKRWallet(t)
	enabler := openKeyctl(t, true)
	if err := k.w.EnableKeyring(ctx, enabler); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = enabler.Remove("wallet-" + k.w.ID()) })
	w, err := wallet.Open(ctx, k.store, wallet.Unlocker{Keyring: openKeyctl(t, false), Passphrase: neverAsk(t)})
	if err != nil {
		t.Fatal(err)
	}
	k.checkCanary(t, w)
	if err := w.DisableKeyring(ctx, enabler); err != nil {
		t.Fatal(err)
	}
}

// Processes probing the same backend at once (two `keyring enable` runs,
// test binaries in parallel) must not break each other's probe.
func TestOSKeyringConcurrentProbes(t *testing.T) {
	openKeyctl(t, true)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			if _, err := wallet.OpenOSKeyring(context.Background(), "keyctl", true); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent probe failed: %v", err)
	}
}

func TestOSKeyringNoneAndUnsupported(t *testing.T) {
	ctx := context.Background()
	for _, want := range []string{"none", "file", "no-such-backend"} {
		for _, probe := range []bool{false, true} {
			kr, err := wallet.OpenOSKeyring(ctx, want, probe)
			if !errors.Is(err, wallet.ErrKeyringUnavailable) || kr != nil {
				t.Errorf("OpenOSKeyring(%q, %v) = %v, %v; want nil, ErrKeyringUnavailable", want, probe, kr, err)
			}
		}
	}
	// The library's file backend (weak KDF, non-atomic writes) is never used.
	if slices.Contains(wallet.OSKeyringBackends(), "file") {
		t.Fatalf("OSKeyringBackends() = %v includes the file backend", wallet.OSKeyringBackends())
	}
}

// liveProcsWithEnv lists live (not zombie) processes whose environment
// holds entry. Only this test's processes carry its random mark.
func liveProcsWithEnv(entry string) map[int]string {
	out := map[int]string{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", d.Name(), "environ"))
		if err != nil || !slices.ContainsFunc(bytes.Split(env, []byte{0}), func(kv []byte) bool { return string(kv) == entry }) {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil || !alive(pid) {
			continue
		}
		// stat is "pid (comm) state ..."; comm may hold spaces or parens.
		out[pid] = string(stat[bytes.IndexByte(stat, '(')+1 : bytes.LastIndexByte(stat, ')')])
	}
	return out
}

// childEnv is the parent's environment without anything that points at a
// bus, a keyring or another test's helper mode, plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "DBUS_"), strings.HasPrefix(name, "XDG_"), strings.HasPrefix(name, "GNOME_KEYRING"),
			name == "HOME", name == "DISPLAY", name == "WAYLAND_DISPLAY", name == "WISEWALLET_WALLET_TEST_HELPER",
			name == ssHelperEnv, name == ssMarkEnv, name == ssPassEnv, name == "GORACE":
			continue
		}
		env = append(env, kv)
	}
	// A -race binary sleeps 1 s at exit by default; skip that in children.
	env = append(env, "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	return append(env, extra...)
}

// runMarked runs argv with a fresh HOME and a process mark, returns its
// combined output, and fails the test if any process it started is still
// running afterwards (killing those, so nothing outlives the test).
func runMarked(t *testing.T, argv []string, extraEnv ...string) (string, error) {
	t.Helper()
	// dbus-run-session stops its bus when its child exits, and the script
	// stops gnome-keyring; give them a bounded moment to go.
	out, left, err := runMarkedLeftovers(t, 10*time.Second, argv, extraEnv...)
	if len(left) > 0 {
		t.Errorf("processes left running after the test: %v", left)
	}
	return out, err
}

// runMarkedLeftovers is runMarked's mechanism: it returns the processes
// still running after grace (and kills them).
func runMarkedLeftovers(t *testing.T, grace time.Duration, argv []string, extraEnv ...string) (string, map[int]string, error) {
	t.Helper()
	home := t.TempDir()
	mark := ssMarkEnv + "=" + hex.EncodeToString(crypto.RandomBytes(8))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = childEnv(append([]string{"HOME=" + home, mark}, extraEnv...)...)
	cmd.Dir = home
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// A daemon that keeps the output pipe open must not hang Wait.
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()

	var left map[int]string
	for deadline := time.Now().Add(grace); ; time.Sleep(50 * time.Millisecond) {
		if left = liveProcsWithEnv(mark); len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for pid := range left {
		_ = syscall.Kill(pid, syscall.SIGKILL) // ours: it carries this run's mark
	}
	return out.String(), left, err
}

// The leftover check must be able to fail: a child that leaves a
// background process behind is caught (and the process is killed).
func TestRunMarkedCatchesLeftoverProcess(t *testing.T) {
	needTools(t, "sh", "sleep")
	_, left, err := runMarkedLeftovers(t, 200*time.Millisecond, []string{"sh", "-c", "sleep 60 >/dev/null 2>&1 &"})
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || !slices.Contains(slices.Collect(maps.Values(left)), "sleep") {
		t.Fatalf("leftovers %v; want the background sleep", left)
	}
	for pid := range left {
		for deadline := time.Now().Add(5 * time.Second); alive(pid); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("leftover pid %d survived SIGKILL", pid)
			}
		}
	}
}

// alive reports whether pid exists and is not a zombie. /proc/PID/stat is
// "pid (comm) state ...", and comm may hold spaces or parentheses.
func alive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] != 'Z'
}

func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (Debian packages dbus-daemon, dbus-bin, gnome-keyring), so this test cannot run", tool)
		}
	}
}

// checkHelperRan fails unless the re-executed helper test ran and passed:
// a child that skipped or ran no test must not count as a pass.
func checkHelperRan(t *testing.T, name, out string, err error) {
	t.Helper()
	if err != nil || !strings.Contains(out, "--- PASS: "+name) {
		t.Fatalf("%s in a private D-Bus session: %v\n%s", name, err, out)
	}
	t.Logf("%s output:\n%s", name, out)
}

func TestOSKeyringSecretServiceRoundTrip(t *testing.T) {
	needTools(t, "dbus-run-session", "dbus-send", "gnome-keyring-daemon", "sh", "grep", "sleep")
	// gnome-keyring creates and unlocks a "login" collection under the
	// test's HOME with this password, as a desktop login would.
	// gnome-keyring runs in the foreground as the shell's child, so the shell
	// can stop it: a daemonized one may outlive its bus. The test starts
	// once the daemon owns the Secret Service name (checked through the bus
	// itself, because asking org.freedesktop.secrets before that would make
	// D-Bus activate a second daemon that races the first) and the login
	// collection is unlocked.
	script := `printf %s "$` + ssPassEnv + `" | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
gk=$!
ready() {
	dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true' &&
	dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets/collection/login \
		org.freedesktop.DBus.Properties.Get string:org.freedesktop.Secret.Collection string:Locked 2>/dev/null | grep -q 'boolean false'
}
i=0
until ready; do
	i=$((i+1))
	if [ $i -gt 200 ]; then echo "gnome-keyring did not come up"; kill $gk; wait $gk; exit 98; fi
	sleep 0.05
done
"$0" -test.run='^TestHelperSecretService$' -test.v -test.count=1
rc=$?
kill $gk
wait $gk
exit $rc`
	out, err := runMarked(t, []string{"dbus-run-session", "--", "sh", "-c", script, os.Args[0]},
		ssHelperEnv+"=provider", ssPassEnv+"="+hex.EncodeToString(crypto.RandomBytes(12)))
	checkHelperRan(t, "TestHelperSecretService", out, err)
}

// TestHelperSecretService runs inside TestOSKeyringSecretServiceRoundTrip's
// private session bus, with gnome-keyring serving Secret Service.
func TestHelperSecretService(t *testing.T) {
	if os.Getenv(ssHelperEnv) != "provider" {
		t.Skip("runs only inside TestOSKeyringSecretServiceRoundTrip")
	}
	kr, err := wallet.OpenOSKeyring(context.Background(), "secret-service", true)
	if err != nil {
		t.Fatalf("OpenOSKeyring(secret-service) with gnome-keyring running: %v", err)
	}
	roundTripRealKeyring(t, kr)
	keyctlItemFoundBehindSecretService(t)
}

// keyctlItemFoundBehindSecretService: the keyring was enabled with
// WISEWALLET_KEYRING=keyctl, and the wallet is opened where Secret Service
// opens first (this private session). Opening must still find the item in
// keyctl, and say that keyctl opened it.
func keyctlItemFoundBehindSecretService(t *testing.T) {
	ctx := context.Background()
	keyctl, err := wallet.OpenOSKeyring(ctx, "keyctl", true)
	if err != nil {
		t.Logf("keyctl is not usable here, so the item cannot be put behind Secret Service: %v", err)
		return
	}
	k := newKRWallet(t)
	if err := k.w.EnableKeyring(ctx, keyctl); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = keyctl.Remove("wallet-" + k.w.ID()) })
	auto, err := wallet.OpenOSKeyring(ctx, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(auto.Name(), "secret-service or ") {
		t.Fatalf("auto mode searches %q; want Secret Service first, then the others", auto.Name())
	}
	w, err := wallet.Open(ctx, k.store, wallet.Unlocker{Keyring: auto, Passphrase: neverAsk(t)})
	if err != nil {
		t.Fatal(err)
	}
	if w.UnlockedBy() != "keyring (keyctl)" || len(w.Warnings()) != 0 {
		t.Fatalf("unlocked by %q with warnings %q; want keyctl and none", w.UnlockedBy(), w.Warnings())
	}
	k.checkCanary(t, w)
	status, err := wallet.OpenOSKeyring(ctx, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := wallet.KeyringItemOpens(ctx, k.store, status); err != nil || status.Name() != "keyctl" {
		t.Fatalf("KeyringItemOpens: %v, backend %q; want nil, keyctl", err, status.Name())
	}
	if err := w.DisableKeyring(ctx, status); err != nil {
		t.Fatal(err)
	}
	if _, err := keyctl.Get("wallet-" + k.w.ID()); !errors.Is(err, wallet.ErrKeyringItemNotFound) {
		t.Fatalf("the keyctl item is still there after DisableKeyring: %v", err)
	}
}

// busConfigWithoutServices is a session bus that cannot activate anything,
// so nothing provides org.freedesktop.secrets on it (the standard config
// would start gnome-keyring on demand through its .service file).
const busConfigWithoutServices = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

func TestOSKeyringSecretServiceWithoutProvider(t *testing.T) {
	needTools(t, "dbus-run-session")
	cfg := filepath.Join(t.TempDir(), "session.conf")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, busConfigWithoutServices, os.TempDir()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runMarked(t, []string{"dbus-run-session", "--config-file=" + cfg, "--",
		os.Args[0], "-test.run=^TestHelperSecretServiceNoProvider$", "-test.v", "-test.count=1"},
		ssHelperEnv+"=no-provider")
	checkHelperRan(t, "TestHelperSecretServiceNoProvider", out, err)
}

// TestHelperSecretServiceNoProvider runs on a session bus where nothing
// serves Secret Service: the library registers the backend (the bus
// answered at start-up) but every use fails.
func TestHelperSecretServiceNoProvider(t *testing.T) {
	if os.Getenv(ssHelperEnv) != "no-provider" {
		t.Skip("runs only inside TestOSKeyringSecretServiceWithoutProvider")
	}
	// The bus answered when the library started, so it registered the
	// backend: what fails below is the missing provider, not the bus.
	if !slices.Contains(keyring.AvailableBackends(), keyring.SecretServiceBackend) {
		t.Fatalf("the library did not register Secret Service on this bus: %v", keyring.AvailableBackends())
	}
	ctx := context.Background()
	for _, probe := range []bool{true, false} {
		kr, err := wallet.OpenOSKeyring(ctx, "secret-service", probe)
		if !errors.Is(err, wallet.ErrKeyringUnavailable) || kr != nil {
			t.Fatalf("OpenOSKeyring(secret-service, probe=%v) = %v, %v; want ErrKeyringUnavailable", probe, kr, err)
		}
		// The bus answers "no such service" at once; only a hang would end
		// in the keyring timeout, so its message must not appear.
		if strings.Contains(err.Error(), "no answer within") {
			t.Fatalf("the backend hung until the keyring timeout instead of failing: %v", err)
		}
		t.Logf("secret-service, probe=%v: %v", probe, err)
	}
	// Auto mode goes past the broken backend to another one, or reports
	// that none works; it never returns the broken one.
	kr, err := wallet.OpenOSKeyring(ctx, "", true)
	switch {
	case err != nil && !errors.Is(err, wallet.ErrKeyringUnavailable):
		t.Fatalf("auto mode: %v; want ErrKeyringUnavailable", err)
	case err != nil:
		t.Logf("auto mode: no backend: %v", err)
	case kr.Name() == "secret-service":
		t.Fatal("auto mode chose the Secret Service backend that has no provider")
	default:
		t.Logf("auto mode fell through to %s", kr.Name())
	}
}
