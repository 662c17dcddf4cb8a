package cli

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/wallet"
)

// inProcess is a cliIO on buffers (no terminal) with the given environment
// and stdin, for commands run in the test process.
func inProcess(vars map[string]string, stdin string) (*cliIO, *bytes.Buffer, *bytes.Buffer) {
	sio, stdout, stderr := appTestIO(vars)
	sio.stdin = strings.NewReader(stdin)
	return sio, stdout, stderr
}

// cheapWallet creates a wallet with the test KDF in a new folder.
func cheapWallet(t *testing.T, pass string) (string, *wallet.Wallet) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "w")
	w, err := wallet.Create(context.Background(), wallet.NewFileStore(dir), crypto.SecretString(pass), wallet.Options{KDF: crypto.KDFParams{Time: 1, MemoryKiB: 8, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return dir, w
}

// ---- Finding 13: KDF flags are range-checked before the conversion ----

func TestInitRejectsKDFFlagsThatWouldWrapAround(t *testing.T) {
	for _, c := range []struct {
		flag, value string
	}{
		{"--kdf-time", "4294967297"},   // 2^32+1, was truncated to 1 pass
		{"--kdf-memory", "4294967304"}, // 2^32+8, was truncated to 8 KiB
		{"--kdf-threads", "257"},       // was truncated to 1 lane
		{"--kdf-time", "18446744073709551616"},
	} {
		dir := filepath.Join(t.TempDir(), "w")
		sio, _, stderr := inProcess(map[string]string{"WISEWALLET_DIR": dir, "WISEWALLET_PASSPHRASE": "p"}, "")
		args := []string{"init", "--kdf-time", "1", "--kdf-memory", "8", "--kdf-threads", "1", "--insecure-kdf", c.flag, c.value}
		if code := run(context.Background(), args, sio); code != exitUsage {
			t.Errorf("init %s %s: exit %d, want %d (%s)", c.flag, c.value, code, exitUsage, stderr)
		}
		if !strings.Contains(stderr.String(), c.flag) {
			t.Errorf("init %s %s: the message does not name the flag: %s", c.flag, c.value, stderr)
		}
		if _, err := os.Lstat(filepath.Join(dir, wallet.FileName)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("init %s %s left a wallet (err %v)", c.flag, c.value, err)
		}
	}
	// The largest values that fit get past the range check, to the KDF's
	// own limits (not "out of range" of the flag).
	sio, _, stderr := inProcess(map[string]string{"WISEWALLET_DIR": filepath.Join(t.TempDir(), "w"), "WISEWALLET_PASSPHRASE": "p"}, "")
	run(context.Background(), []string{"init", "--kdf-time", "4294967295", "--kdf-memory", "8", "--kdf-threads", "1", "--insecure-kdf"}, sio)
	if strings.Contains(stderr.String(), "--kdf-time 4294967295 is out of range") {
		t.Errorf("2^32-1 passes were refused by the flag check: %s", stderr)
	}
}

// ---- Finding 17: help asked for; demo interrupted ----

func TestEveryCommandPrintsItsHelpOnStdoutAndExits0(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "w")
	for _, c := range treeCommands(t) {
		for _, h := range []string{"-h", "--help", "-help"} {
			sio, stdout, stderr := inProcess(map[string]string{"WISEWALLET_DIR": dir, "WISEWALLET_PASSPHRASE": "p"}, "")
			args := append(slices.Clone(c.args), h)
			if code := run(context.Background(), args, sio); code != exitOK {
				t.Errorf("wisewallet %s: exit %d, want 0; stderr %q", strings.Join(args, " "), code, stderr)
				continue
			}
			// fang's layout: the description, USAGE with the usage line, and
			// EXAMPLES.
			out := stdout.String()
			if !strings.Contains(out, firstLine(cmp.Or(c.cmd.Long, c.cmd.Short))) || !strings.Contains(out, "USAGE") || !strings.Contains(out, c.cmd.UseLine()) ||
				!strings.Contains(out, "EXAMPLES") || !strings.Contains(out, firstLine(strings.TrimSpace(c.cmd.Example))) {
				t.Errorf("wisewallet %s printed:\n%s", strings.Join(args, " "), out)
			}
			if stderr.Len() != 0 {
				t.Errorf("wisewallet %s wrote on stderr: %q", strings.Join(args, " "), stderr)
			}
		}
	}
	// Flags are listed, for a command and a subcommand, and `help CMD` is
	// CMD's help.
	for _, args := range [][]string{{"list", "-h"}, {"add", "personal", "--help"}, {"help", "login"}, {"help", "add", "client"}} {
		sio, stdout, _ := inProcess(map[string]string{"WISEWALLET_DIR": dir}, "")
		if code := run(context.Background(), args, sio); code != exitOK || !strings.Contains(stdout.String(), "FLAGS") || !strings.Contains(stdout.String(), "--dir") {
			t.Errorf("wisewallet %s: exit %d:\n%s", strings.Join(args, " "), code, stdout)
		}
	}
	sio, stdout, _ := inProcess(map[string]string{"WISEWALLET_DIR": dir}, "")
	if run(context.Background(), []string{"help", "login"}, sio); !strings.Contains(stdout.String(), "wisewallet login CLIENT --as NAME") || !strings.Contains(stdout.String(), "--registration-code") {
		t.Errorf("help login is not login's help:\n%s", stdout)
	}
	// No command did anything: init did not create a wallet, demo did not
	// start.
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a --help run created the wallet folder (err %v)", err)
	}
	for _, args := range [][]string{{"help", "frobnicate"}, {"help", "add", "team"}, {"man", "frobnicate"}} {
		sio, _, stderr := inProcess(map[string]string{}, "")
		if code := run(context.Background(), args, sio); code != exitUsage || !strings.Contains(stderr.String(), "unknown command") {
			t.Errorf("%s: exit %d, %q", strings.Join(args, " "), code, stderr)
		}
	}
}

// cancelOnWrite cancels a context at the first write it receives: the
// demo printed its status, then the user pressed Ctrl-C.
type cancelOnWrite struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	cancel context.CancelFunc
}

func (w *cancelOnWrite) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cancel()
	return w.buf.Write(b)
}

func TestDemoInterruptedExits130(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"--plain", "--once"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sio, _, stderr := inProcess(map[string]string{}, "")
			out := &cancelOnWrite{cancel: cancel}
			sio.stdout = out
			// --every is long: only the interrupt can end --plain.
			code := run(ctx, []string{"demo", mode, "--every", "1h"}, sio)
			if code != exitInterrupted {
				t.Errorf("demo %s interrupted: exit %d, want %d; stderr:\n%s", mode, code, exitInterrupted, stderr)
			}
			if !strings.HasSuffix(stderr.String(), "wisewallet: interrupted\n") {
				t.Errorf("demo %s interrupted: stderr ends %q", mode, stderr.String()[max(0, stderr.Len()-80):])
			}
			if !strings.Contains(out.buf.String(), "acme-personal") {
				t.Errorf("demo %s printed no status before the interrupt:\n%s", mode, out.buf.String())
			}
		})
	}
	sio, _, stderr := inProcess(map[string]string{}, "")
	if code := run(context.Background(), []string{"demo", "--plain", "--every", "0s"}, sio); code != exitUsage {
		t.Errorf("demo --every 0s: exit %d, want %d (%s)", code, exitUsage, stderr)
	}
}

// An error caused by the interrupt (here: the wallet is missing, noticed
// after Ctrl-C) is reported as the interrupt.
func TestErrorAfterInterruptExits130(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sio, _, stderr := inProcess(map[string]string{"WISEWALLET_DIR": filepath.Join(t.TempDir(), "none"), "WISEWALLET_PASSPHRASE": "p"}, "")
	if code := run(ctx, []string{"list"}, sio); code != exitInterrupted || stderr.String() != "wisewallet: interrupted\n" {
		t.Errorf("exit %d, stderr %q; want %d and the interrupt", code, stderr, exitInterrupted)
	}
}

// ---- Finding 9: login over SSH pastes ----

func TestLoginOverSSHSwitchesToPasteAndSaysSo(t *testing.T) {
	dir, _ := cheapWallet(t, "p")
	// A new map for each run: run removes the passphrase from it.
	vars := func(extra map[string]string) map[string]string {
		m := map[string]string{"WISEWALLET_DIR": dir, "WISEWALLET_PASSPHRASE": "p", "WISEWALLET_KEYRING": "none"}
		maps.Copy(m, extra)
		return m
	}
	sio, _, stderr := inProcess(vars(nil), "client-secret\n")
	add := []string{"add", "client", "c1", "--env", "local", "--api-url", "http://127.0.0.1:9/", "--client-id", "id-1",
		"--redirect-url", "http://127.0.0.1:9/callback", "--no-check"}
	if code := run(context.Background(), add, sio); code != exitOK {
		t.Fatalf("add client: exit %d: %s", code, stderr)
	}
	const switched = "This is an SSH session"
	for _, c := range []struct {
		name      string
		env       map[string]string
		args      []string
		wantPaste bool
		wantNote  bool
	}{
		{"SSH_CONNECTION", map[string]string{"SSH_CONNECTION": "10.0.0.1 50000 10.0.0.2 22"}, nil, true, true},
		{"SSH_TTY", map[string]string{"SSH_TTY": "/dev/pts/3"}, nil, true, true},
		{"SSH and --paste", map[string]string{"SSH_TTY": "/dev/pts/3"}, []string{"--paste"}, true, false},
		{"no SSH", nil, []string{"--timeout", "1ms"}, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			// A paste with the wrong state fails at once, before any call to Wise.
			sio, _, stderr := inProcess(vars(c.env), "http://127.0.0.1:9/callback?code=c&state=not-this-login\n")
			args := append([]string{"login", "c1", "--as", "u1", "--no-browser"}, c.args...)
			if code := run(context.Background(), args, sio); code == exitOK {
				t.Fatalf("login with a bad paste or no callback succeeded: %s", stderr)
			}
			out := stderr.String()
			if got := strings.Contains(out, switched); got != c.wantNote {
				t.Errorf("note about SSH: %v, want %v:\n%s", got, c.wantNote, out)
			}
			pasted := strings.Contains(out, "Paste the URL") && strings.Contains(out, "forwardingMode=showCode")
			listened := strings.Contains(out, "Waiting for the login redirect")
			if pasted != c.wantPaste || listened == c.wantPaste {
				t.Errorf("paste mode %v, listener %v; want paste %v:\n%s", pasted, listened, c.wantPaste, out)
			}
		})
	}
}

// ---- Finding 10: keyring disable tells the truth about the item ----

func TestKeyringDisableSaysWhereTheItemRemainsWhenItCannotRemoveIt(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	e.extra = map[string]string{"WISEWALLET_KEYRING": "keyctl"}
	keyringMu.Lock()
	defer keyringMu.Unlock()
	if r := e.cmd("keyring", "enable"); r.code != 0 {
		t.Skipf("needs a working keyctl keyring: keyring enable exit %d: %s", r.code, e.redact(r.stderr))
	}
	info, err := wallet.Inspect(wallet.NewFileStore(e.dir))
	if err != nil {
		t.Fatal(err)
	}
	item := "wallet-" + info.ID
	kr, err := wallet.OpenOSKeyring(context.Background(), "keyctl", false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kr.Remove(item) })
	present := func() bool {
		_, err := kr.Get(item)
		if err != nil && !errors.Is(err, wallet.ErrKeyringItemNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	if !present() {
		t.Fatal("keyring enable stored no item")
	}

	// No backend reachable: the slot goes, the item stays, and the user is
	// told so, where and how to remove it, with a non-zero exit.
	r := e.run(call{args: []string{"keyring", "disable"}, env: map[string]string{"WISEWALLET_KEYRING": "none"}})
	e.expect(r, exitError, "slot is removed from the wallet", "could not be removed", item, "may remain in", "keyctl unlink")
	if strings.Contains(strings.ToLower(r.stderr), "item deleted") {
		t.Errorf("claims the item was deleted:\n%s", r.stderr)
	}
	if st := e.cmd("keyring", "status", "--json"); !strings.Contains(st.stdout, `"slot": false`) {
		t.Errorf("the slot is still in the wallet:\n%s", st.stdout)
	}
	if !present() {
		t.Fatal("the item is gone, so the message was wrong")
	}
	// The removal command given works.
	if _, err := exec.LookPath("keyctl"); err == nil {
		m := regexp.MustCompile(`keyctl: (keyctl unlink .*)`).FindStringSubmatch(r.stderr)
		if m == nil {
			t.Fatalf("no keyctl command in:\n%s", r.stderr)
		}
		if out, err := exec.Command("sh", "-c", m[1]).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", m[1], err, out)
		}
		if present() {
			t.Error("the suggested command did not remove the item")
		}
	} else {
		t.Log("keyctl(1) is not installed: the suggested command was not run")
	}

	// A reachable backend without the item: no claim that it was deleted.
	e.must("keyring", "enable")
	if err := kr.Remove(item); err != nil {
		t.Fatal(err)
	}
	r = e.cmd("keyring", "disable")
	e.expect(r, 0, "slot is removed", "no item", item, "found in keyctl", "keyctl unlink")

	// The ordinary case: removed from both, and said so.
	e.must("keyring", "enable")
	r = e.cmd("keyring", "disable")
	e.expect(r, 0, "item deleted from keyctl")
	if present() {
		t.Error("keyring disable left the item")
	}
}

// ---- Nit: the token on stdout ----

// retainingWriter keeps the very slices it was given, as a writer that
// buffers without copying could.
type retainingWriter struct{ got [][]byte }

func (w *retainingWriter) Write(b []byte) (int, error) { w.got = append(w.got, b); return len(b), nil }

func TestTokenIsPrintedWithoutACopyLeftBehind(t *testing.T) {
	dir, w := cheapWallet(t, "p")
	env, err := flows.ResolveEnv("sandbox", "")
	if err != nil {
		t.Fatal(err)
	}
	// 32 bytes: the revealed copy is exactly full, so appending the newline
	// to it would have moved the token into a new buffer nobody wipes.
	token := "tok-" + strings.Repeat("x", 28)
	if _, err := flows.New(w, flows.Options{}).AddPersonal(context.Background(), "p1", env, crypto.SecretString(token)); err != nil {
		t.Fatal(err)
	}
	sio, _, stderr := inProcess(map[string]string{"WISEWALLET_DIR": dir, "WISEWALLET_PASSPHRASE": "p", "WISEWALLET_KEYRING": "none"}, "")
	out := &retainingWriter{}
	var printed strings.Builder // what was written, copied at the time
	sio.stdout = writerFunc(func(b []byte) (int, error) {
		printed.Write(b)
		return out.Write(b)
	})
	if code := run(context.Background(), []string{"token", "p1"}, sio); code != exitOK {
		t.Fatalf("token: exit %d: %s", code, stderr)
	}
	if printed.String() != token+"\n" {
		t.Errorf("printed %q, want the token and a newline", printed.String())
	}
	for i, b := range out.got {
		if bytes.Contains(b, []byte("tok-")) {
			t.Errorf("write %d: the buffer still holds the token after the command returned", i)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
