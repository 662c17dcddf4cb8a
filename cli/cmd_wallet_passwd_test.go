package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
)

// Issue 12: passwd raises weak KDF parameters, takes --kdf-* as init does,
// and makes a short passphrase a deliberate choice.

func walletKDF(t *testing.T, e *cliEnv) crypto.KDFParams {
	t.Helper()
	info, err := wallet.Inspect(wallet.NewFileStore(e.dir))
	if err != nil {
		t.Fatal(err)
	}
	return info.KDF
}

func TestPasswdRaisesWeakKDFToTheDefaults(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init() // cheap parameters, as every test's wallet
	newPass := "new-passphrase-" + randHex(t, 4)
	e.expect(e.run(call{args: []string{"passwd"}, env: map[string]string{"WISEWALLET_NEW_PASSPHRASE": newPass}}), 0, "changed", "new data key")
	if got := walletKDF(t, e); got != crypto.DefaultKDFParams {
		t.Fatalf("after passwd the KDF is %+v, want the defaults %+v", got, crypto.DefaultKDFParams)
	}
	e.pass = newPass
	// Below the defaults only on purpose, as with init.
	cheap := []string{"passwd", "--kdf-time", "1", "--kdf-memory", "8", "--kdf-threads", "1"}
	e.expect(e.run(call{args: cheap, env: map[string]string{"WISEWALLET_NEW_PASSPHRASE": newPass}}), exitUsage, "--insecure-kdf")
	e.expect(e.run(call{args: append(cheap, "--insecure-kdf"), env: map[string]string{"WISEWALLET_NEW_PASSPHRASE": newPass}}), 0, "changed")
	if got := walletKDF(t, e); got != (crypto.KDFParams{Time: 1, MemoryKiB: 8, Threads: 1}) {
		t.Fatalf("passwd --kdf-*: %+v", got)
	}
	// Over the caps Open enforces: refused before anything is asked.
	for _, args := range [][]string{
		{"passwd", "--kdf-threads", "17"},
		{"passwd", "--kdf-memory", "524288"},
		{"passwd", "--kdf-time", "5", "--kdf-memory", "262144"},
	} {
		e.expect(e.run(call{args: args, env: map[string]string{"WISEWALLET_NEW_PASSPHRASE": newPass}}), exitUsage, "out of range")
	}
	e.must("list")
}

func TestInitRefusesKDFOverTheCaps(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	for _, args := range [][]string{
		{"init", "--kdf-threads", "17"},
		{"init", "--kdf-threads", "64"},
		{"init", "--kdf-memory", "1048576"},
		{"init", "--kdf-time", "16"},
	} {
		e.expect(e.cmd(args...), exitUsage, "out of range")
	}
	if _, err := os.Stat(e.walletFile()); err == nil {
		t.Fatal("a refused init wrote a wallet")
	}
}

func TestPasswdShortPassphraseNeedsAllowShortInScripts(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	before, _ := os.ReadFile(e.walletFile())
	e.expect(e.run(call{args: []string{"passwd"}, env: map[string]string{"WISEWALLET_NEW_PASSPHRASE": "x"}}), exitUsage, "--allow-short", "1 characters")
	if after, _ := os.ReadFile(e.walletFile()); !bytes.Equal(before, after) {
		t.Fatal("a refused passwd changed the wallet")
	}
	e.expect(e.run(call{args: []string{"passwd", "--allow-short"}, env: map[string]string{"WISEWALLET_NEW_PASSPHRASE": "x"}}), 0, "changed")
	e.pass = "x"
	e.must("list")
}

// sharedTTY is a terminal whose typed lines are shared by every open.
type sharedTTY struct {
	bytes.Buffer
	lines *[]string
}

func (f *sharedTTY) ReadPassword() ([]byte, error) {
	if len(*f.lines) == 0 {
		return nil, io.EOF
	}
	l := (*f.lines)[0]
	*f.lines = (*f.lines)[1:]
	return []byte(l), nil
}
func (f *sharedTTY) Close() error { return nil }

// On a terminal, a short passphrase is warned about and must be confirmed.
func TestPasswdShortPassphraseIsConfirmedOnTheTerminal(t *testing.T) {
	dir := t.TempDir()
	st := wallet.NewFileStore(dir)
	if _, err := wallet.Create(context.Background(), st, crypto.SecretString("old-passphrase"), wallet.Options{KDF: crypto.KDFParams{Time: 1, MemoryKiB: 8, Threads: 1}}); err != nil {
		t.Fatal(err)
	}
	passwd := func(typed ...string) (int, string) {
		f := &fakeEnv{vars: map[string]string{"WISEWALLET_DIR": dir, "WISEWALLET_PASSPHRASE": "old-passphrase", "WISEWALLET_KEYRING": "none"}}
		var stdout, stderr bytes.Buffer
		term := &sharedTTY{lines: &typed}
		sio := &cliIO{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: f.get, unsetenv: f.del,
			openTTY: func() (tty, error) { return term, nil }, stdinIsTerminal: func() bool { return true }}
		code := run(context.Background(), []string{"passwd", "--kdf-time", "1", "--kdf-memory", "8", "--kdf-threads", "1", "--insecure-kdf"}, sio)
		return code, stderr.String() + term.String()
	}
	before, _ := os.ReadFile(st.Path())
	code, out := passwd("abc", "abc", "n")
	if code == 0 || !strings.Contains(out, "3 characters") || !strings.Contains(out, "nothing was changed") {
		t.Fatalf("short passphrase declined: exit %d: %s", code, out)
	}
	if after, _ := os.ReadFile(st.Path()); !bytes.Equal(before, after) {
		t.Fatal("a declined passwd changed the wallet")
	}
	if code, out := passwd("abc", "abc", "y"); code != 0 {
		t.Fatalf("short passphrase confirmed: exit %d: %s", code, out)
	}
	if _, err := wallet.Open(context.Background(), st, wallet.Unlocker{Passphrase: func() (crypto.Secret, error) { return crypto.SecretString("abc"), nil }}); err != nil {
		t.Fatalf("the confirmed passphrase does not open the wallet: %v", err)
	}
	// A long one is not questioned.
	f := &fakeEnv{vars: map[string]string{"WISEWALLET_DIR": dir, "WISEWALLET_PASSPHRASE": "abc", "WISEWALLET_KEYRING": "none"}}
	lines := []string{"a long enough passphrase", "a long enough passphrase"}
	term := &sharedTTY{lines: &lines}
	var stderr bytes.Buffer
	sio := &cliIO{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &stderr, getenv: f.get, unsetenv: f.del,
		openTTY: func() (tty, error) { return term, nil }, stdinIsTerminal: func() bool { return true }}
	if code := run(context.Background(), []string{"passwd", "--kdf-time", "1", "--kdf-memory", "8", "--kdf-threads", "1", "--insecure-kdf"}, sio); code != 0 || strings.Contains(term.String(), "anyway") {
		t.Fatalf("long passphrase: exit %d, terminal %q, stderr %s", code, term.String(), stderr.String())
	}
}

// passwd gives the wallet a new data key and rewraps the keyring slot
// with it, reading the keyring item's key: the keyring still opens it.
func TestPasswdKeepsAWorkingKeyringSlot(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	e.add("k1", "tok-k1")
	keyringMu.Lock()
	defer keyringMu.Unlock()
	e.expect(enableKeyring(t, e), 0, "OS keyring")
	newPass := "new-passphrase-" + randHex(t, 4)
	e.expect(e.run(call{args: []string{"passwd", "--kdf-time", "1", "--kdf-memory", "8", "--kdf-threads", "1", "--insecure-kdf"},
		env: map[string]string{"WISEWALLET_NEW_PASSPHRASE": newPass}}), 0, "changed", "keyring slot still opens")
	r := e.run(call{args: []string{"list", "--json"}, env: noPass})
	e.expect(r, 0)
	if !strings.Contains(r.stdout, `"k1"`) {
		t.Errorf("list through the keyring after passwd:\n%s", r.stdout)
	}
	e.pass = newPass
	e.must("list")
}

// Exit 3 says what it may be: the SHA-256 trailer is not a MAC, so an
// altered file with its checksum redone looks like a wrong passphrase.
func TestWrongPassphraseWordsSayTheFileMayBeAltered(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	r := e.run(call{args: []string{"list"}, env: map[string]string{"WISEWALLET_PASSPHRASE": "not-" + e.pass}})
	e.expect(r, exitWrongPass, "wrong passphrase, or the file was altered", e.walletFile())
}

// A FIFO planted at wallet.ww or wallet.lock is refused at once, never
// waited on (an open for reading blocks until a writer comes).
func TestFIFOAtTheWalletIsRefusedNotWaitedOn(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	lock := e.dir + "/wallet.lock"
	_ = os.Remove(lock)
	if err := syscall.Mkfifo(lock, 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	tok := "tok\n"
	r := e.run(call{args: []string{"add", "personal", "p1", "--env", "sandbox"}, stdin: &tok})
	if r.code == 0 || !strings.Contains(r.stderr, "FIFO") {
		t.Errorf("add with a FIFO at wallet.lock: exit %d: %s", r.code, r.stderr)
	}
	_ = os.Remove(lock)
	if err := os.Remove(e.walletFile()); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(e.walletFile(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"list"}, {"keyring", "status"}} {
		r := e.cmd(args...)
		if r.code == 0 || !strings.Contains(r.stderr, "not a regular file") {
			t.Errorf("%v with a FIFO at wallet.ww: exit %d: %s", args, r.code, r.stderr)
		}
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the refusals took %v", d)
	}
}
