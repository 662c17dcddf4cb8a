package cli

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
	"github.com/wisewallet/wisewallet/wallet"
)

// spyPrograms are the programs wisewallet or its libraries may start: the
// browser opener, the pass backend and what pass runs, and the usual
// clipboard and VCS helpers a future feature might call.
var spyPrograms = []string{"xdg-open", "pass", "gpg", "gpg2", "xclip", "wl-copy", "git"}

// installSpies writes a fake of each spy program into a new folder. Each
// run logs its argv and environment to a file of its own in logDir (written
// under a temporary name and renamed, so a file that exists is complete)
// and fails, as a missing program would.
func installSpies(t *testing.T, root string) (binDir, logDir string) {
	t.Helper()
	binDir, logDir = filepath.Join(root, "spybin"), filepath.Join(root, "spylog")
	for _, d := range []string{binDir, logDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	script := fmt.Sprintf(`#!/bin/sh
f=%q/"$(basename "$0")".$$
{ printf 'argv:'; for a in "$0" "$@"; do printf ' %%s' "$a"; done; printf '\n'; env; } > "$f.tmp" && mv "$f.tmp" "$f"
exit 1
`, logDir)
	for _, p := range spyPrograms {
		if err := os.WriteFile(filepath.Join(binDir, p), []byte(script), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return binDir, logDir
}

// spyLogs waits (bounded) until every program in want has logged at least
// one run (a child may still be running when wisewallet exits: the
// browser opener is not waited for), then returns every log by file name.
func spyLogs(t *testing.T, logDir string, want ...string) map[string]string {
	t.Helper()
	deadline := time.Now().Add(childTimeout / 2)
	for {
		logs := map[string]string{}
		ents, err := os.ReadDir(logDir)
		if err != nil {
			t.Fatal(err)
		}
		for _, ent := range ents {
			if strings.HasSuffix(ent.Name(), ".tmp") {
				continue
			}
			b, err := os.ReadFile(filepath.Join(logDir, ent.Name()))
			if err != nil {
				t.Fatal(err)
			}
			logs[ent.Name()] = string(b)
		}
		missing := ""
		for _, p := range want {
			found := false
			for name := range logs {
				found = found || strings.HasPrefix(name, p+".")
			}
			if !found {
				missing = p
			}
		}
		if missing == "" {
			return logs
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fake %s was never run, so this test checked nothing for it (logs: %d)", missing, len(logs))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// freeLoopbackPort returns a port nothing listens on right now.
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestChildProcessesNeverSeeThePassphrases is test 23 of the wallet
// security list (argv and environment spy). Fake xdg-open, pass, gpg and
// others come first on PATH and log their argv and environment. With the
// keyring slot enabled, the wallet opens without the passphrase callback
// ever running, which is where WISEWALLET_PASSPHRASE used to stay in the
// environment and reach the browser: `login` starts xdg-open (DISPLAY is
// set) and `keyring status` with the pass backend starts pass. Both
// passphrase variables are set for every command; neither may show up in
// any child's argv or environment.
func TestChildProcessesNeverSeeThePassphrases(t *testing.T) {
	t.Parallel()
	srv, base := lwtest.Start(t, localwise.Config{})
	demo := srv.Demo()

	e := newCLIEnv(t)
	pass, newPass := newCanary(t, "PASS"), newCanary(t, "NEWPASS")
	e.secrets = append(e.secrets, pass.value, pass.mark, newPass.value, newPass.mark)
	e.pass = pass.value
	binDir, logDir := installSpies(t, e.root)
	e.extra = map[string]string{
		"PATH":                      binDir + ":" + os.Getenv("PATH"),
		"WISEWALLET_NEW_PASSPHRASE": newPass.value,
		"DISPLAY":                   ":99",
		"WISEWALLET_KEYRING":        "keyctl",
	}
	e.init()
	redirect := fmt.Sprintf("http://127.0.0.1:%d/callback", freeLoopbackPort(t))
	e.expect(e.run(call{args: []string{"add", "client", "c1", "--env", "local", "--api-url", base, "--client-id", demo.ClientID,
		"--redirect-url", redirect, "--no-check"}, stdin: ptr(demo.ClientSecret)}), 0)

	keyringMu.Lock()
	defer keyringMu.Unlock()
	if r := e.cmd("keyring", "enable"); r.code != 0 {
		t.Skipf("needs a working keyctl keyring: keyring enable exit %d: %s", r.code, e.redact(r.stderr))
	}
	t.Cleanup(func() { e.run(call{args: []string{"keyring", "disable"}}) })

	// The login cannot complete (nobody follows the URL); it times out
	// after the browser opener has run.
	// The case of the review: the keyring slot opens the wallet, so the
	// passphrase callback never runs.
	e.expect(e.run(call{args: []string{"list"}, env: noPass}), 0)
	r := e.cmd("login", "c1", "--as", "u1", "--timeout", "300ms")
	e.expect(r, exitError, "Waiting for the login redirect")

	// The pass backend runs `pass show` only for an item whose file
	// exists; the fake answers nothing useful, which status reports.
	info, err := wallet.Inspect(wallet.NewFileStore(e.dir))
	if err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(e.home, ".password-store", "wisewallet")
	if err := os.MkdirAll(store, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(store, "wallet-"+info.ID+".gpg"), []byte("not gpg"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = e.run(call{args: []string{"keyring", "status"}, env: map[string]string{"WISEWALLET_KEYRING": "pass"}})
	e.expect(r, 0)
	if !strings.Contains(r.stdout, "Backend:                   pass") {
		t.Errorf("keyring status did not use the pass backend:\n%s", e.redact(r.stdout))
	}
	e.expect(e.cmd("keyring", "status"), 0)

	logs := spyLogs(t, logDir, "xdg-open", "pass")
	for name, log := range logs {
		// The log is real: it holds the environment the child was given.
		if !strings.Contains(log, "\nDISPLAY=:99\n") {
			t.Errorf("%s: the environment dump lacks DISPLAY:\n%s", name, e.redact(log))
		}
		for _, c := range []canary{pass, newPass} {
			if strings.Contains(log, c.mark) {
				t.Errorf("%s: canary %s in its argv or environment", name, c.name)
			}
		}
		for _, v := range passphraseVars {
			if strings.Contains(log, "\n"+v+"=") {
				t.Errorf("%s: %s is in its environment", name, v)
			}
		}
	}
	if xdg := logs[firstWithPrefix(logs, "xdg-open.")]; !strings.Contains(xdg, "argv: "+filepath.Join(binDir, "xdg-open")+" "+base+"/oauth/authorize?") {
		t.Errorf("xdg-open was not given the authorize URL:\n%s", firstLine(xdg))
	}
}

func firstWithPrefix(m map[string]string, prefix string) string {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return k
		}
	}
	return ""
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// The real process environment, through run: both variables are gone
// from what exec.Cmd hands a child (os.Environ) even when the command
// never reads them.
func TestPassphraseIsGoneFromTheEnvironmentBeforeAnyCommandRuns(t *testing.T) {
	t.Setenv("WISEWALLET_PASSPHRASE", "p-canary")
	t.Setenv("WISEWALLET_NEW_PASSPHRASE", "n-canary")
	var stdout, stderr bytes.Buffer
	sio := newSystemIO()
	sio.stdout, sio.stderr, sio.stdin = &stdout, &stderr, strings.NewReader("")
	// A command that fails on its arguments, before any wallet work.
	if code := run(context.Background(), []string{"keyring", "frobnicate"}, sio); code != exitUsage {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, kv := range os.Environ() {
		if strings.Contains(kv, "-canary") {
			t.Errorf("still in the environment children inherit: %s", kv[:strings.IndexByte(kv, '=')])
		}
	}
}
