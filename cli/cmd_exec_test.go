package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
)

// exec, run as the real binary against a real localwise over HTTP. Its
// child is this test binary again (execChild), a real process that
// reports what it was given: its argv, its environment (the token only as
// a hash), the token file and its modes, and what Wise answered to the
// token.

// childModeEnv, set, makes the test binary exec's child.
const childModeEnv = "WISEWALLET_TEST_EXEC_CHILD"

func init() {
	if os.Getenv(childModeEnv) != "" {
		os.Exit(execChild(os.Args[1:]))
	}
}

// childReport is what the child says about itself.
type childReport struct {
	Argv []string `json:"argv"`
	// Env is the child's environment, WISE_API_TOKEN's value as its hash.
	Env       []string `json:"env"`
	TokenHash string   `json:"token_hash"`
	FileHash  string   `json:"file_hash"`
	FileMode  string   `json:"file_mode"`
	DirMode   string   `json:"dir_mode"`
	File      string   `json:"file"`
	// Status is Wise's answer to a GET of the path with the token.
	Status int `json:"status"`
	// Tokens and Statuses: each token the file held, as its hash, and
	// Wise's answer to it when it was read (watch).
	Tokens   []string `json:"tokens,omitempty"`
	Statuses []int    `json:"statuses,omitempty"`
	Problems []string `json:"problems,omitempty"`
}

func hashOf(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// execChild is the child: report OUT PATH, watch OUT PATH N, or
// signals OUT.
func execChild(args []string) int {
	if len(args) < 2 {
		return 100
	}
	mode, out := args[0], args[1]
	switch mode {
	case "report", "watch":
		r := childReport{Argv: os.Args, File: os.Getenv(envTokenFile)}
		tok := os.Getenv(envToken)
		r.TokenHash = hashOf(tok)
		for _, kv := range os.Environ() {
			if strings.HasPrefix(kv, envToken+"=") {
				kv = envToken + "=sha256:" + r.TokenHash
			}
			r.Env = append(r.Env, kv)
		}
		call := func(tok string) int {
			req, err := http.NewRequest(http.MethodGet, os.Getenv(envAPIURL)+args[2], nil)
			if err != nil {
				return -1
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
			if err != nil {
				return -2
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode
		}
		r.Status = call(tok)
		modes := func() {
			fi, ferr := os.Lstat(r.File)
			di, derr := os.Lstat(filepath.Dir(r.File))
			if ferr != nil || derr != nil {
				r.Problems = append(r.Problems, fmt.Sprintf("stat: %v %v", ferr, derr))
				return
			}
			r.FileMode, r.DirMode = fi.Mode().String(), di.Mode().String()
		}
		modes()
		b, err := os.ReadFile(r.File)
		if err != nil {
			r.Problems = append(r.Problems, err.Error())
		}
		r.FileHash = hashOf(string(b))
		if mode == "watch" {
			want, _ := strconv.Atoi(args[3])
			seen := ""
			for deadline := time.Now().Add(childTimeout / 2); len(r.Tokens) < want && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				b, err := os.ReadFile(r.File)
				if err != nil || len(b) == 0 {
					r.Problems = append(r.Problems, fmt.Sprintf("read %d bytes: %v", len(b), err))
					continue
				}
				if string(b) == seen {
					continue
				}
				seen = string(b)
				r.Tokens = append(r.Tokens, hashOf(seen))
				r.Statuses = append(r.Statuses, call(seen))
				modes()
				if r.FileMode != "-rw-------" || r.DirMode != "drwx------" {
					r.Problems = append(r.Problems, "modes "+r.FileMode+" "+r.DirMode)
				}
			}
		}
		data, _ := json.Marshal(r)
		if err := os.WriteFile(out, data, 0o600); err != nil {
			return 101
		}
		return 0
	case "signals":
		ch := make(chan os.Signal, 16)
		signal.Notify(ch, forwardedSignals...)
		f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return 102
		}
		if err := os.WriteFile(out+".ready", nil, 0o600); err != nil {
			return 103
		}
		for s := range ch {
			fmt.Fprintln(f, s.(syscall.Signal).String())
			if s == syscall.SIGTERM {
				return 3
			}
		}
	}
	return 104
}

// testBinary is this test binary: exec's child.
func testBinary(t *testing.T) string {
	t.Helper()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// readReport reads a child's report.
func readReport(t *testing.T, path string) childReport {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the child wrote no report: %v", err)
	}
	var r childReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// execRig is a wallet with localwise's demo credentials of every kind:
// the personal token p1, the client c1 and its user u1.
type execRig struct {
	t    *testing.T
	e    *cliEnv
	srv  *localwise.Server
	api  string
	pass canary // the wallet's passphrase
}

func newExecRig(t *testing.T, cfg localwise.Config) *execRig {
	t.Helper()
	srv, base := lwtest.Start(t, cfg)
	e := newCLIEnv(t)
	pass := newCanary(t, "PASS")
	e.pass = pass.value
	e.init()
	d := srv.Demo()
	e.secrets = append(e.secrets, d.ClientSecret, d.PersonalToken, pass.value)
	e.expect(e.run(call{args: []string{"add", "client", "c1", "--env", "local", "--api-url", base, "--client-id", d.ClientID,
		"--redirect-url", d.RedirectURL}, stdin: ptr(d.ClientSecret + "\n")}), 0)
	e.expect(e.run(call{args: []string{"add", "personal", "p1", "--env", "local", "--api-url", base, "--no-check=false"},
		stdin: ptr(d.PersonalToken + "\n")}), 0)
	loginDemoUser(t, e, "c1", "u1", d.PersonalProfileID)
	return &execRig{t: t, e: e, srv: srv, api: base, pass: pass}
}

// child runs exec NAME -- the test binary in mode, with its report in
// out; the rest of args follow out.
func (x *execRig) child(name, mode, out string, args ...string) result {
	x.t.Helper()
	argv := append([]string{"exec", name, "--", testBinary(x.t), mode, out}, args...)
	return x.e.run(call{args: argv, env: map[string]string{childModeEnv: "1"}})
}

// The token each kind gives, its file and what the child sees: the token
// works at Wise; the file holds it alone (0600 in a 0700 folder) and is
// gone when the child ends; WISE_API_URL is the entry's; neither the
// passphrase nor the token is in an argument, and the passphrase is not
// in the child's environment (a canary, set for wisewallet).
func TestExecGivesEveryKindItsToken(t *testing.T) {
	t.Parallel()
	x := newExecRig(t, localwise.Config{})
	pass := x.pass
	for _, k := range []struct{ name, path string }{
		{"p1", "/v1/me"},
		{"c1", clientPath},
		{"u1", "/v2/profiles"},
	} {
		t.Run(k.name, func(t *testing.T) {
			out := filepath.Join(x.e.root, k.name+".json")
			r := x.child(k.name, "report", out, k.path)
			x.e.expect(r, 0)
			tok := strings.TrimSpace(x.e.must("token", k.name).stdout)
			x.e.secrets = append(x.e.secrets, tok)
			rep := readReport(t, out)
			if rep.TokenHash != hashOf(tok) || rep.FileHash != rep.TokenHash {
				t.Errorf("%s: the child's WISE_API_TOKEN or its file is not the entry's token", k.name)
			}
			if rep.Status != http.StatusOK {
				t.Errorf("%s: Wise answered the child's token with %d", k.name, rep.Status)
			}
			if rep.FileMode != "-rw-------" || rep.DirMode != "drwx------" || filepath.Base(rep.File) != "token" {
				t.Errorf("%s: token file %s mode %s in a folder of mode %s", k.name, rep.File, rep.FileMode, rep.DirMode)
			}
			if !strings.HasPrefix(rep.File, x.e.tmp+string(filepath.Separator)) {
				t.Errorf("%s: the token file %s is not under TMPDIR %s", k.name, rep.File, x.e.tmp)
			}
			if _, err := os.Lstat(filepath.Dir(rep.File)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: the token file's folder is still there after the child ended: %v", k.name, err)
			}
			if !slices.Contains(rep.Env, envAPIURL+"="+x.api) {
				t.Errorf("%s: WISE_API_URL is not %s", k.name, x.api)
			}
			for _, kv := range rep.Env {
				if strings.HasPrefix(kv, "WISEWALLET_PASSPHRASE=") || strings.HasPrefix(kv, "WISEWALLET_NEW_PASSPHRASE=") || strings.Contains(kv, pass.mark) {
					t.Errorf("%s: the child's environment holds the passphrase: %s", k.name, x.e.redact(kv))
				}
			}
			for where, s := range map[string]string{"the child's argv": strings.Join(rep.Argv, " "), "wisewallet's argv": r.cmdline,
				"stdout": r.stdout, "stderr": r.stderr} {
				if strings.Contains(s, tok) || strings.Contains(s, pass.mark) {
					t.Errorf("%s: a secret in %s", k.name, where)
				}
			}
			if r.cmdline == "" {
				t.Errorf("%s: wisewallet's argv was not read, so it was not checked", k.name)
			}
		})
	}
}

// clientPath is a GET a client-credentials token may make.
const clientPath = "/v1/auth/jose/response/public-keys?scope=PAYLOAD_SIGNING&algorithm=ES512"

// A child that outlives its token reads a new one from the file before
// the old one expires: localwise's tokens live 3 s here, the client's is
// renewed when a quarter of that is left, and the child sees three tokens
// in turn, each accepted by Wise when it read it, the file 0600 in its
// 0700 folder each time, never empty or torn.
func TestExecKeepsTheTokenFileFreshForALongRunningChild(t *testing.T) {
	t.Parallel()
	x := newExecRig(t, localwise.Config{TokenTTL: 3 * time.Second})
	out := filepath.Join(x.e.root, "watch.json")
	before := x.srv.Stats().ClientCredentialsRequests
	r := x.child("c1", "watch", out, clientPath, "3")
	x.e.expect(r, 0)
	rep := readReport(t, out)
	if len(rep.Tokens) != 3 || len(rep.Problems) > 0 {
		t.Fatalf("the child saw %d tokens (want 3), problems %q\nstderr: %s", len(rep.Tokens), rep.Problems, x.e.redact(r.stderr))
	}
	if rep.Tokens[0] != rep.TokenHash {
		t.Error("the file's first token is not WISE_API_TOKEN")
	}
	for i, st := range rep.Statuses {
		if st != http.StatusOK {
			t.Errorf("token %d of the file: Wise answered %d", i+1, st)
		}
	}
	// The first may be the one `add client` cached.
	if n := x.srv.Stats().ClientCredentialsRequests - before; n < 2 {
		t.Errorf("localwise issued %d client tokens, want at least 2", n)
	}
	if _, err := os.Lstat(filepath.Dir(rep.File)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the token file's folder is still there: %v", err)
	}
	// Each token the child got is a hand-out in the audit log: the first
	// to the child (its environment and the file), each new one to the file.
	var handOuts []string
	for _, rec := range auditRecords(t, x.e) {
		if rec.Result == flows.ResultHandedOut && rec.Entry == "c1" && rec.Command == "exec" {
			handOuts = append(handOuts, rec.To)
		}
	}
	// Two rewrites at least (the child saw three tokens); one more may
	// come before the child's end is noticed.
	if len(handOuts) < 3 || handOuts[0] != "exec child "+filepath.Base(testBinary(t)) || slices.ContainsFunc(handOuts[1:], func(to string) bool { return to != "token file" }) {
		t.Errorf("the exec's hand-outs: %q, want the child's then two or more of the token file", handOuts)
	}
}

// A user whose access token has expired: exec renews it first, and the
// child gets the new one, which Wise accepts.
func TestExecRefreshesAnExpiredUserTokenFirst(t *testing.T) {
	t.Parallel()
	x := newExecRig(t, localwise.Config{TokenTTL: 2 * time.Second})
	old := strings.TrimSpace(x.e.must("token", "u1").stdout)
	x.e.secrets = append(x.e.secrets, old)
	time.Sleep(2100 * time.Millisecond) // past its expiry at localwise too
	if resp := sendAt(t, x.api, old, protected{method: http.MethodGet, path: "/v1/me"}, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the old token still works (%d): the test would prove nothing", resp.StatusCode)
	}
	refreshes := x.srv.Stats().RefreshRequests
	out := filepath.Join(x.e.root, "u1.json")
	x.e.expect(x.child("u1", "report", out, "/v1/me"), 0)
	rep := readReport(t, out)
	if rep.Status != http.StatusOK || rep.TokenHash == hashOf(old) {
		t.Errorf("the child got the expired token or one Wise refuses (%d)", rep.Status)
	}
	if n := x.srv.Stats().RefreshRequests - refreshes; n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
}

// The child's exit is exec's: its code, 128+N for signal N, 127 for a
// command that is not there, 126 for one that cannot be run.
func TestExecPassesTheExitCodeThrough(t *testing.T) {
	t.Parallel()
	x := newExecRig(t, localwise.Config{})
	notExec := filepath.Join(x.e.root, "not-executable")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		argv []string
		code int
		says string
	}{
		{[]string{"true"}, 0, ""},
		{[]string{"sh", "-c", "exit 42"}, 42, ""},
		{[]string{"sh", "-c", "exit 1"}, 1, ""},
		{[]string{"sh", "-c", `kill -TERM $$`}, 128 + int(syscall.SIGTERM), ""},
		{[]string{"sh", "-c", `kill -KILL $$`}, 128 + int(syscall.SIGKILL), ""},
		{[]string{"no-such-command-here"}, 127, `cannot run "no-such-command-here"`},
		{[]string{notExec}, 126, "permission denied"},
	} {
		r := x.e.run(call{args: append([]string{"exec", "p1", "--"}, c.argv...)})
		x.e.expect(r, c.code, c.says)
		if c.says == "" && r.stderr != "" {
			t.Errorf("exec %s: wisewallet said something: %s", c.argv, r.stderr)
		}
	}
	x.e.expect(x.e.cmd("exec", "p1", "true"), exitUsage, "put -- between NAME and the command")
	x.e.expect(x.e.cmd("exec", "p1", "--"), exitUsage, "missing the command")
	x.e.expect(x.e.cmd("exec", "nope", "--", "true"), exitError, "wisewallet list")
}

// Signals sent to wisewallet reach the child, each once, and the child's
// exit code after them is exec's (not 130: the child decided how to end).
// wisewallet has no terminal here (setsid), so every one is passed on.
func TestExecForwardsSignals(t *testing.T) {
	t.Parallel()
	x := newExecRig(t, localwise.Config{})
	out := filepath.Join(x.e.root, "signals.txt")
	env := x.e.baseEnv()
	env[childModeEnv] = "1"
	var envList []string
	for k, v := range env {
		envList = append(envList, k+"="+v)
	}
	cmd := exec.Command(wisewalletBin, "exec", "p1", "--", testBinary(t), "signals", out)
	cmd.Env = envList
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	waitFor(t, func() bool { _, err := os.Stat(out + ".ready"); return err == nil }, "the child to start")
	sent := []syscall.Signal{syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGINT, syscall.SIGTERM}
	for i, s := range sent {
		if err := cmd.Process.Signal(s); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool { b, _ := os.ReadFile(out); return strings.Count(string(b), "\n") > i }, "the child to get "+s.String())
	}
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 3 {
			t.Errorf("exec ended with %v, want the child's exit 3\nstderr: %s", err, stderr.String())
		}
	case <-time.After(childTimeout):
		t.Fatal("exec did not end with its child")
	}
	b, _ := os.ReadFile(out)
	var want []string
	for _, s := range sent {
		want = append(want, s.String())
	}
	if got := strings.Split(strings.TrimSpace(string(b)), "\n"); !slices.Equal(got, want) {
		t.Errorf("the child got %q, want %q", got, want)
	}
}

// On a terminal, Ctrl-C reaches the child from the terminal itself (it is
// in wisewallet's process group): exec does not pass it on too, so the
// child gets each once. Two copies sent close together may merge into one
// (a signal pending twice is pending once), so it is pressed four times:
// passed on too, at least one would arrive twice.
func TestExecCtrlCOnATerminalReachesTheChildOnce(t *testing.T) {
	t.Parallel()
	x := newExecRig(t, localwise.Config{})
	out := filepath.Join(x.e.root, "signals.txt")
	master, slave := openPTY(t)
	env := x.e.baseEnv()
	env[childModeEnv] = "1"
	cmd, _, stderr := commandOnPTY(t, env, slave, "exec", "p1", "--", testBinary(t), "signals", out)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	go func() { _, _ = io.Copy(io.Discard, master) }()
	waitFor(t, func() bool { _, err := os.Stat(out + ".ready"); return err == nil }, "the child to start")
	count := func() int { b, _ := os.ReadFile(out); return strings.Count(string(b), "interrupt") }
	for n := 1; n <= 4; n++ {
		if _, err := master.Write([]byte{3}); err != nil { // Ctrl-C
			t.Fatal(err)
		}
		waitFor(t, func() bool { return count() >= n }, "the child to get Ctrl-C")
		time.Sleep(300 * time.Millisecond) // time for a second copy to arrive
		if c := count(); c != n {
			t.Fatalf("after %d Ctrl-C the child got %d interrupts", n, c)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 3 {
			t.Errorf("exec ended with %v, want the child's exit 3\nstderr: %s", err, stderr)
		}
	case <-time.After(childTimeout):
		t.Fatal("exec did not end with its child")
	}
}

func waitFor(t *testing.T, ok func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(childTimeout / 2); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// A signal ignored when exec starts (nohup ignores SIGHUP) stays ignored
// for the child: a hangup does not end it.
func TestExecKeepsIgnoredSignalsIgnored(t *testing.T) {
	t.Parallel()
	x := newExecRig(t, localwise.Config{})
	ready := filepath.Join(x.e.root, "ready")
	env := x.e.baseEnv()
	var envList []string
	for k, v := range env {
		envList = append(envList, k+"="+v)
	}
	// The shell ignores SIGHUP, then becomes exec, whose child tells it is
	// running and then lives until SIGTERM; nohup's own output file is not
	// needed for that.
	cmd := exec.Command("/bin/sh", "-c", `trap "" HUP; exec "$@"`, "sh", wisewalletBin, "exec", "p1", "--",
		"/bin/sh", "-c", `touch "$0"; while :; do sleep 0.05; done`, ready)
	cmd.Env = envList
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	waitFor(t, func() bool { _, err := os.Stat(ready); return err == nil }, "the child to start")
	// To the whole group, as a hangup of the terminal would send it.
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("a SIGHUP ignored at start ended exec: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 128+int(syscall.SIGTERM) {
			t.Errorf("after SIGTERM: %v, want exit 143", err)
		}
	case <-time.After(childTimeout):
		t.Fatal("exec did not end")
	}
}

// An exec killed outright (SIGKILL: it cannot remove anything) leaves its
// token folder, token and all; the next exec removes it, and leaves a live
// exec's folder and a folder that is not ours alone.
func TestExecRemovesTheTokenFolderAKilledExecLeft(t *testing.T) {
	t.Parallel()
	x := newExecRig(t, localwise.Config{})
	start := func(out string) *exec.Cmd {
		t.Helper()
		env := x.e.baseEnv()
		var envList []string
		for k, v := range env {
			envList = append(envList, k+"="+v)
		}
		cmd := exec.Command(wisewalletBin, "exec", "p1", "--", "sh", "-c", `printf %s "$WISE_API_TOKEN_FILE" >"$0.tmp" && mv "$0.tmp" "$0" && exec sleep 60`, out)
		cmd.Env = envList
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
		waitFor(t, func() bool { _, err := os.Stat(out); return err == nil }, "the child to start")
		return cmd
	}
	folderOf := func(out string) string {
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return filepath.Dir(string(b))
	}
	killedOut, liveOut := filepath.Join(x.e.root, "killed"), filepath.Join(x.e.root, "live")
	killed := start(killedOut)
	killedDir := folderOf(killedOut)
	// The whole group: exec and its child, as kill -9 of a session would.
	if err := syscall.Kill(-killed.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = killed.Wait()
	if _, err := os.Stat(filepath.Join(killedDir, "token")); err != nil {
		t.Fatalf("the killed exec's token file is not there to be swept (%v): the test shows nothing", err)
	}
	start(liveOut)
	liveDir := folderOf(liveOut)
	// A folder of the same shape without a lock file (one being made, or an
	// older wisewallet's) is not taken for a dead exec's.
	unlocked := filepath.Join(filepath.Dir(killedDir), tokenFolderPrefix+"unlocked")
	if err := os.Mkdir(unlocked, 0o700); err != nil {
		t.Fatal(err)
	}

	x.e.expect(x.e.cmd("exec", "p1", "--", "true"), 0)
	if _, err := os.Lstat(killedDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the killed exec's token folder is still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(liveDir, "token")); err != nil {
		t.Errorf("the live exec's token file was removed: %v", err)
	}
	if _, err := os.Lstat(unlocked); err != nil {
		t.Errorf("a folder without a lock file was removed: %v", err)
	}
}
