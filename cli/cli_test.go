package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/wallet"
)

// umaskEnv (octal), in a call's environment, runs the child under that
// umask, to check that modes do not depend on the caller's umask.
const umaskEnv = "WISEWALLET_TEST_UMASK"

// wisewalletBin is the real program, built once by TestMain from the
// module root (with -race when these tests run with it): child-process
// tests run exactly what ships, main's hardening and signals included.
var wisewalletBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wisewallet-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	wisewalletBin, err = buildWisewallet(dir)
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildWisewallet builds the main package into dir/wisewallet.
func buildWisewallet(dir string) (string, error) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			return "", fmt.Errorf("no go tool to build wisewallet with: %w", err)
		}
	}
	out := filepath.Join(dir, "wisewallet")
	args := []string{"build", "-o", out}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command(goTool, append(args, "..")...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, b)
	}
	return out, nil
}

// cheapInit makes a wallet whose KDF costs nothing, for tests only.
var cheapInit = []string{"init", "--kdf-time", "1", "--kdf-memory", "8", "--kdf-threads", "1", "--insecure-kdf"}

// childTimeout bounds every child process; none should come near it.
const childTimeout = 60 * time.Second

// cliEnv is one isolated user of the command: its own HOME, TMPDIR and
// wallet folder, and an environment built from scratch (nothing of the
// developer's own WISEWALLET_* or D-Bus session leaks in).
type cliEnv struct {
	tb   testing.TB
	root string
	home string
	tmp  string
	dir  string // wallet folder (WISEWALLET_DIR)
	pass string // WISEWALLET_PASSPHRASE given to every call unless overridden
	// secrets are replaced by "<secret>" in anything a failing test prints.
	secrets []string
	// extra is added to every call's base environment.
	extra map[string]string
}

func newCLIEnv(tb testing.TB) *cliEnv {
	tb.Helper()
	root := tb.TempDir()
	e := &cliEnv{
		tb:   tb,
		root: root,
		home: filepath.Join(root, "home"),
		tmp:  filepath.Join(root, "tmp"),
		dir:  filepath.Join(root, "wallet"),
		pass: "test-passphrase-" + randHex(tb, 4),
	}
	for _, d := range []string{e.home, e.tmp} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			tb.Fatal(err)
		}
	}
	return e
}

func (e *cliEnv) walletFile() string { return filepath.Join(e.dir, wallet.FileName) }

// call is one run of the command.
type call struct {
	args []string
	// stdin is written to a pipe when set; otherwise stdin is /dev/null.
	stdin *string
	// env overrides the base environment; an empty value removes the
	// variable.
	env map[string]string
}

// result is what one run produced.
type result struct {
	code    int
	stdout  string
	stderr  string
	cmdline string // /proc/PID/cmdline read while the child ran ("" if it was already gone)
	args    []string
}

func (e *cliEnv) baseEnv() map[string]string {
	env := map[string]string{
		"PATH":   os.Getenv("PATH"),
		"HOME":   e.home,
		"TMPDIR": e.tmp,
		"LANG":   "C.UTF-8",
		// Under -race, the race runtime sleeps 1 s at every exit by default.
		"GORACE":                strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0"),
		"WISEWALLET_DIR":        e.dir,
		"WISEWALLET_PASSPHRASE": e.pass,
	}
	maps.Copy(env, e.extra)
	return env
}

// run runs the real command in a child process and returns its result.
// The child has no controlling terminal (setsid), so a prompt can never
// hang a test: /dev/tty fails to open, as on a CI runner.
// offline adds --no-check to `add personal`: these tests cover the wallet
// contract with no network; checking tokens with Wise (localwise) is
// covered by TestAddPersonalChecksTokenWithWise and by flows' tests.
func offline(args []string) []string {
	if len(args) >= 2 && args[0] == "add" && args[1] == "personal" && !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--no-check") }) && !slices.Contains(args, "--") {
		return append(slices.Clone(args), "--no-check")
	}
	return args
}

func (e *cliEnv) run(c call) result {
	e.tb.Helper()
	env := e.baseEnv()
	for k, v := range c.env {
		if v == "" {
			delete(env, k)
		} else {
			env[k] = v
		}
	}
	var envList []string
	for k, v := range env {
		envList = append(envList, k+"="+v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, wisewalletBin, offline(c.args)...)
	if mask, ok := env[umaskEnv]; ok {
		// The shell sets the umask and becomes the program (exec), so the
		// process read back below is still wisewallet.
		cmd = exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", `umask "$0" && exec "$@"`, mask, wisewalletBin}, offline(c.args)...)...)
	}
	cmd.Env = envList
	cmd.Dir = e.root
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	var stdin io.WriteCloser
	if c.stdin != nil {
		var err error
		if stdin, err = cmd.StdinPipe(); err != nil {
			e.tb.Fatal(err)
		}
	}
	if err := cmd.Start(); err != nil {
		e.tb.Fatalf("start %s: %v", e.redact(strings.Join(c.args, " ")), err)
	}
	// While stdin is held open a child that reads it is still alive, so its
	// argv can be read back as every other local user could.
	cmdline := readCmdline(cmd.Process.Pid)
	if stdin != nil {
		_, _ = io.WriteString(stdin, *c.stdin)
		_ = stdin.Close()
	}
	err := cmd.Wait()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ctx.Err() != nil {
			e.tb.Fatalf("%s: %v (stderr: %s)", e.redact(strings.Join(c.args, " ")), err, e.redact(stderr.String()))
		}
		code = ee.ExitCode()
	}
	r := result{code: code, stdout: stdout.String(), stderr: stderr.String(),
		cmdline: string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})), args: c.args}
	// Every run, whatever it tests: a Go crash or a data race is a bug.
	for _, bad := range []string{"panic:", "goroutine ", "WARNING: DATA RACE"} {
		if strings.Contains(r.stderr, bad) {
			e.tb.Errorf("%s: stderr has %q:\n%s", e.redact(strings.Join(c.args, " ")), bad, e.redact(r.stderr))
		}
	}
	return r
}

// readCmdline reads /proc/PID/cmdline of a child that has just started.
// Start returns when the exec closes the close-on-exec status pipe, which
// the kernel does before it has set up the new program's argument area, so
// the file can still be empty for a moment. It is polled until it has
// content, for a bounded time, or until the child has exited (a zombie's
// cmdline stays empty). A child waiting on stdin stays alive meanwhile,
// so its argv is always read.
func readCmdline(pid int) []byte {
	for deadline := time.Now().Add(childTimeout / 4); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || len(b) > 0 {
			return b
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		// The state follows the command name in parentheses: "PID (comm) S ...".
		if i := bytes.LastIndexByte(stat, ')'); err != nil || i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' || stat[i+2] == 'X' {
			return nil
		}
	}
	return nil
}

// cmd runs args with stdin from /dev/null.
func (e *cliEnv) cmd(args ...string) result { return e.run(call{args: args}) }

// must runs args and fails the test unless it exits 0.
func (e *cliEnv) must(args ...string) result {
	e.tb.Helper()
	r := e.cmd(args...)
	if r.code != 0 {
		e.tb.Fatalf("%s", e.describe(r, "exit 0"))
	}
	return r
}

func (e *cliEnv) init() {
	e.tb.Helper()
	e.must(cheapInit...)
}

// add adds a personal sandbox token through stdin.
func (e *cliEnv) add(name, token string) {
	e.tb.Helper()
	r := e.run(call{args: []string{"add", "personal", name, "--env", "sandbox"}, stdin: &token})
	if r.code != 0 {
		e.tb.Fatalf("%s", e.describe(r, "exit 0"))
	}
}

func (e *cliEnv) redact(s string) string {
	for _, x := range e.secrets {
		s = strings.ReplaceAll(s, x, "<secret>")
	}
	return s
}

// describe explains a result for a failure message, secrets redacted.
func (e *cliEnv) describe(r result, want string) string {
	return e.redact(fmt.Sprintf("wisewallet %s: want %s, got exit %d\nstdout: %s\nstderr: %s",
		strings.Join(r.args, " "), want, r.code, r.stdout, r.stderr))
}

// expect checks the exit code and that stderr contains every one of
// parts (case-insensitive).
func (e *cliEnv) expect(r result, code int, parts ...string) {
	e.tb.Helper()
	if r.code != code {
		e.tb.Errorf("%s", e.describe(r, fmt.Sprintf("exit %d", code)))
		return
	}
	for _, p := range parts {
		if !strings.Contains(strings.ToLower(r.stderr), strings.ToLower(p)) {
			e.tb.Errorf("%s", e.describe(r, fmt.Sprintf("stderr mentioning %q", p)))
		}
	}
}

// listJSON returns the parsed `list --json`.
func (e *cliEnv) listJSON() []map[string]any {
	e.tb.Helper()
	r := e.must("list", "--json")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		e.tb.Fatalf("list --json is not a JSON array of objects: %v\n%s", err, e.redact(r.stdout))
	}
	return rows
}

func (e *cliEnv) names() []string {
	e.tb.Helper()
	var out []string
	for _, row := range e.listJSON() {
		name, _ := row["name"].(string)
		out = append(out, name)
	}
	return out
}

func randHex(tb testing.TB, n int) string {
	tb.Helper()
	return fmt.Sprintf("%x", crypto.RandomBytes(n))
}

func ptr(s string) *string { return &s }

// keyringMu serializes the parts of tests that use the OS keyring: its
// backends are per user, not per test, and the first use creates the
// "wisewallet" keyctl keyring, which two processes at once could each
// create, one displacing the other's. Hold it only around those parts,
// so the rest of a test runs in parallel.
var keyringMu sync.Mutex

// ---- 1. The command contract ----

func TestInitCreatesPrivateWalletEvenUnderOpenUmask(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	// A nested, not yet existing folder, created by init itself.
	e.dir = filepath.Join(e.root, "a", "b")
	r := e.run(call{args: cheapInit, env: map[string]string{umaskEnv: "000"}})
	e.expect(r, 0, "created")
	for path, want := range map[string]fs.FileMode{e.dir: 0o700, e.walletFile(): 0o600} {
		info, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s has mode %#o, want %#o", path, got, want)
		}
	}
	if info, _ := os.Lstat(e.walletFile()); !info.Mode().IsRegular() {
		t.Errorf("wallet is not a regular file: %v", info.Mode())
	}
	if got := e.listJSON(); len(got) != 0 {
		t.Errorf("a new wallet lists %d entries", len(got))
	}
}

func TestInitRefusesToReplaceAnExistingWallet(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	e.add("keep", "tok-keep")
	before, err := os.ReadFile(e.walletFile())
	if err != nil {
		t.Fatal(err)
	}
	// Even with another passphrase: init must not be a way to wipe a wallet.
	r := e.run(call{args: cheapInit, env: map[string]string{"WISEWALLET_PASSPHRASE": "other"}})
	if r.code == 0 {
		t.Fatalf("%s", e.describe(r, "a non-zero exit"))
	}
	e.expect(r, r.code, "already exists", e.walletFile())
	after, _ := os.ReadFile(e.walletFile())
	if !bytes.Equal(before, after) {
		t.Error("init over an existing wallet changed its bytes")
	}
	if got := e.names(); len(got) != 1 || got[0] != "keep" {
		t.Errorf("entries after refused init: %v", got)
	}
}

func TestInitRefusesWeakKDFWithoutOptIn(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	r := e.cmd("init", "--kdf-time", "1", "--kdf-memory", "8", "--kdf-threads", "1")
	e.expect(r, exitUsage, "--insecure-kdf")
	if _, err := os.Lstat(e.walletFile()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused init left a wallet file (err %v)", err)
	}
	// Out of range even with the opt-in: zero passes.
	e.expect(e.cmd("init", "--kdf-time", "0", "--insecure-kdf"), exitUsage)
}

func TestInitWithoutPassphraseSourceIsUsageError(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	r := e.run(call{args: cheapInit, env: map[string]string{"WISEWALLET_PASSPHRASE": ""}})
	e.expect(r, exitUsage, "WISEWALLET_PASSPHRASE")
	if _, err := os.Lstat(e.walletFile()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("init without a passphrase left a wallet file (err %v)", err)
	}
}

func TestAddPersonalRejectsBadArguments(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	cases := []struct {
		name  string
		args  []string
		parts []string
	}{
		{"env missing", []string{"add", "personal", "n1"}, []string{"--env", "sandbox", "production", "local"}},
		{"env unknown", []string{"add", "personal", "n1", "--env", "staging"}, []string{"staging", "sandbox", "production", "local"}},
		{"local without api-url", []string{"add", "personal", "n1", "--env", "local"}, []string{"--api-url"}},
		{"plain http to another host", []string{"add", "personal", "n1", "--env", "local", "--api-url", "http://example.com"}, []string{"not on this machine"}},
		{"not a URL", []string{"add", "personal", "n1", "--env", "local", "--api-url", "ftp://x"}, []string{"--api-url"}},
		{"name looks like a flag", []string{"add", "personal", "-x", "--env", "sandbox"}, []string{"-x"}},
		{"name after --", []string{"add", "personal", "--env", "sandbox", "--", "-x"}, []string{"invalid entry name"}},
		{"name with a space", []string{"add", "personal", "a b", "--env", "sandbox"}, []string{"invalid entry name"}},
		{"name of 65 characters", []string{"add", "personal", strings.Repeat("a", 65), "--env", "sandbox"}, []string{"invalid entry name", "64"}},
		{"no name", []string{"add", "personal", "--env", "sandbox"}, []string{"usage: wisewallet add personal"}},
		{"two names", []string{"add", "personal", "n1", "n2", "--env", "sandbox"}, []string{`"n2"`}},
		{"no kind", []string{"add"}, []string{"add personal"}},
		{"unknown kind", []string{"add", "team", "n1"}, []string{"personal"}},
		{"unknown flag", []string{"add", "personal", "n1", "--env", "sandbox", "--colour"}, []string{"colour"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			token := "tok-" + c.name
			r := e.run(call{args: c.args, stdin: &token})
			e.expect(r, exitUsage, c.parts...)
		})
	}
	// A 64-character name is the longest allowed.
	e.add(strings.Repeat("a", 64), "tok")
	if got := e.names(); len(got) != 1 {
		t.Errorf("entries after the rejected adds: %v, want only the 64-character name", got)
	}
}

func TestAddPersonalRejectsBadTokensAndAddsNothing(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	before, _ := os.ReadFile(e.walletFile())
	cases := []struct {
		name  string
		stdin *string
		parts []string
	}{
		{"stdin is /dev/null", nil, []string{"standard input"}},
		{"empty line", ptr("\n"), []string{"standard input"}},
		{"token with spaces", ptr("abc def\n"), []string{"white space"}},
		{"10 KiB token", ptr(strings.Repeat("a", 10<<10) + "\n"), []string{"long"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.run(call{args: []string{"add", "personal", "n1", "--env", "sandbox"}, stdin: c.stdin})
			if r.code == 0 {
				t.Fatalf("%s", e.describe(r, "a non-zero exit"))
			}
			e.expect(r, r.code, c.parts...)
		})
	}
	after, _ := os.ReadFile(e.walletFile())
	if !bytes.Equal(before, after) {
		t.Error("a rejected token changed the wallet file")
	}
	// A pasted "Bearer " prefix and surrounding blanks are not the token.
	e.add("n1", "  Bearer tok-123  \r\n")
	if r := e.must("show", "n1", "--reveal"); !strings.Contains(r.stdout, "tok-123") || strings.Contains(r.stdout, "Bearer") {
		t.Errorf("show --reveal after a Bearer paste:\n%s", r.stdout)
	}
}

func TestAddPersonalRefusesDuplicateNameAndKeepsOriginal(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	e.add("dup", "tok-original")
	r := e.run(call{args: []string{"add", "personal", "dup", "--env", "production"}, stdin: ptr("tok-second")})
	if r.code == 0 {
		t.Fatalf("%s", e.describe(r, "a non-zero exit"))
	}
	e.expect(r, r.code, "already exists", "dup")
	show := e.must("show", "dup", "--reveal", "--json")
	var got struct {
		Env     struct{ Name string } `json:"env"`
		Secrets map[string]string     `json:"secrets"`
	}
	if err := json.Unmarshal([]byte(show.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if got.Secrets["token"] != "tok-original" || got.Env.Name != "sandbox" {
		t.Errorf("original entry changed: env %q, token changed: %v", got.Env.Name, got.Secrets["token"] != "tok-original")
	}
}

func TestFlagsMayComeBeforeOrAfterPositionals(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	// Flags first, name last.
	r := e.run(call{args: []string{"add", "personal", "--env", "production", "p1"}, stdin: ptr("tok-p1")})
	e.expect(r, 0)
	// Mixed, with --flag=value.
	r = e.run(call{args: []string{"add", "personal", "--env=local", "l1", "--api-url", "http://127.0.0.1:8080/"}, stdin: ptr("tok-l1")})
	e.expect(r, 0)
	if r := e.must("show", "--reveal", "p1"); !strings.Contains(r.stdout, "tok-p1") || !strings.Contains(r.stdout, "PRODUCTION") {
		t.Errorf("show --reveal p1:\n%s", r.stdout)
	}
	rows := e.listJSON()
	byName := map[string]map[string]any{}
	for _, row := range rows {
		byName[row["name"].(string)] = row
	}
	if byName["p1"]["env"] != "production" || byName["l1"]["env"] != "local" || byName["l1"]["api_url"] != "http://127.0.0.1:8080" {
		t.Errorf("entries: %v", rows)
	}
}

func TestListPrintsTableAndJSON(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	if r := e.must("list", "--json"); strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("empty wallet: list --json printed %q, want []", r.stdout)
	}
	r := e.must("list")
	if r.stdout != "" || !strings.Contains(r.stderr, "empty") {
		t.Errorf("empty wallet: list printed stdout %q stderr %q", r.stdout, r.stderr)
	}
	start := time.Now().Add(-time.Second).Truncate(time.Second)
	e.add("bravo", "tok-b")
	e.run(call{args: []string{"add", "personal", "alpha", "--env", "production"}, stdin: ptr("tok-a")})

	rows := e.listJSON()
	if len(rows) != 2 {
		t.Fatalf("list --json has %d rows, want 2", len(rows))
	}
	for i, want := range []struct{ name, env string }{{"alpha", "production"}, {"bravo", "sandbox"}} {
		row := rows[i]
		for _, k := range []string{"name", "kind", "env", "created_at", "expires_at"} {
			if _, ok := row[k]; !ok {
				t.Errorf("row %d has no %q: %v", i, k, row)
			}
		}
		if row["name"] != want.name || row["env"] != want.env || row["kind"] != "personal" {
			t.Errorf("row %d = %v, want %s %s personal (sorted by name)", i, row, want.name, want.env)
		}
		if row["expires_at"] != nil {
			t.Errorf("personal token %s expires_at = %v, want null", want.name, row["expires_at"])
		}
		s, _ := row["created_at"].(string)
		created, err := time.Parse(time.RFC3339, s)
		if err != nil || created.Before(start) || created.After(time.Now().Add(time.Second)) {
			t.Errorf("created_at %q: not a recent RFC 3339 time (%v)", s, err)
		}
	}

	table := e.must("list").stdout
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") || !strings.HasPrefix(lines[1], "alpha") ||
		!strings.Contains(lines[1], "PRODUCTION") || !strings.HasPrefix(lines[2], "bravo") {
		t.Errorf("list table:\n%s", table)
	}
	if strings.Contains(table, "tok-") {
		t.Errorf("list shows a token:\n%s", table)
	}
}

func TestShowMasksUnlessRevealAsked(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	token := "tok-" + randHex(t, 8)
	e.add("s1", token)

	r := e.must("show", "s1")
	if strings.Contains(r.stdout+r.stderr, token) {
		t.Error("show without --reveal printed the token")
	}
	if !strings.Contains(r.stdout, fmt.Sprintf("(%d chars)", len(token))) || !strings.Contains(r.stderr, "--reveal") {
		t.Errorf("show s1: want the masked length and a --reveal hint:\n%s\n%s", r.stdout, r.stderr)
	}
	if r := e.must("show", "s1", "--reveal"); !strings.Contains(r.stdout, token) || strings.Contains(r.stderr, token) {
		t.Error("show --reveal: token not on stdout, or on stderr")
	}

	var shown map[string]any
	r = e.must("show", "s1", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &shown); err != nil {
		t.Fatalf("show --json: %v\n%s", err, r.stdout)
	}
	if strings.Contains(r.stdout, token) || shown["name"] != "s1" || shown["kind"] != "personal" {
		t.Errorf("show --json without --reveal:\n%s", r.stdout)
	}
	r = e.must("show", "s1", "--json", "--reveal")
	if err := json.Unmarshal([]byte(r.stdout), &shown); err != nil {
		t.Fatal(err)
	}
	if sec, _ := shown["secrets"].(map[string]any); sec["token"] != token {
		t.Error("show --json --reveal: secrets.token is not the token")
	}

	r = e.cmd("show", "nope")
	e.expect(r, exitError, "no such entry", "wisewallet list")
	e.expect(e.cmd("show"), exitUsage, "usage: wisewallet show")
}

func TestRemoveAndRename(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	e.add("one", "tok-1")
	e.add("two", "tok-2")

	e.expect(e.cmd("rename", "one", "uno"), 0, `"one"`, `"uno"`)
	if r := e.must("show", "uno", "--reveal"); !strings.Contains(r.stdout, "tok-1") {
		t.Error("renamed entry lost its token")
	}
	e.expect(e.cmd("show", "one"), exitError, "no such entry")
	e.expect(e.cmd("rename", "uno", "two"), exitError, "already exists")
	e.expect(e.cmd("rename", "uno", "bad name"), exitUsage, "invalid entry name")
	e.expect(e.cmd("rename", "nope", "other"), exitError, "no such entry")
	e.expect(e.cmd("rename", "uno"), exitUsage, "missing")

	e.expect(e.cmd("rm", "two", "--yes"), 0, "removed", "revoke")
	e.expect(e.cmd("show", "two"), exitError, "no such entry")
	e.expect(e.cmd("rm", "two", "--yes"), exitError, "no such entry")
	if got := e.names(); len(got) != 1 || got[0] != "uno" {
		t.Errorf("entries: %v, want [uno]", got)
	}
}

func TestPasswdChangesPassphrase(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	e.add("keep", "tok-keep")
	old := e.pass
	newPass := "new-passphrase-" + randHex(t, 4)

	// No source for the new passphrase: say which variable, change nothing.
	before, _ := os.ReadFile(e.walletFile())
	e.expect(e.cmd("passwd"), exitUsage, "WISEWALLET_NEW_PASSPHRASE")
	if after, _ := os.ReadFile(e.walletFile()); !bytes.Equal(before, after) {
		t.Error("a refused passwd changed the wallet")
	}

	r := e.run(call{args: []string{"passwd"}, env: map[string]string{"WISEWALLET_NEW_PASSPHRASE": newPass}})
	e.expect(r, 0, "changed")
	e.expect(e.cmd("list"), exitWrongPass, "wrong passphrase")
	e.pass = newPass
	if got := e.names(); len(got) != 1 || got[0] != "keep" {
		t.Errorf("entries after passwd: %v", got)
	}
	// Wrong old passphrase: exit 3, nothing changed.
	r = e.run(call{args: []string{"passwd"}, env: map[string]string{"WISEWALLET_PASSPHRASE": old, "WISEWALLET_NEW_PASSPHRASE": "x"}})
	e.expect(r, exitWrongPass)
	e.must("list")
}

func TestKeyringStatusNeedsNoPassphrase(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	noPass := map[string]string{"WISEWALLET_PASSPHRASE": ""}
	r := e.run(call{args: []string{"keyring", "status"}, env: noPass})
	e.expect(r, 0)
	for _, want := range []string{"Backend:", "Keyring slot in wallet:    no", "keyring enable"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("keyring status has no %q:\n%s", want, r.stdout)
		}
	}
	r = e.run(call{args: []string{"keyring", "status", "--json"}, env: noPass})
	e.expect(r, 0)
	var rep map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("keyring status --json: %v\n%s", err, r.stdout)
	}
	if rep["slot"] != false || rep["opens_without_passphrase"] != false {
		t.Errorf("keyring status --json: %v", rep)
	}
	if _, ok := rep["backend"]; !ok {
		t.Errorf("keyring status --json has no backend: %v", rep)
	}
	// Backend turned off: still a status, saying why.
	r = e.run(call{args: []string{"keyring", "status", "--json"}, env: map[string]string{"WISEWALLET_PASSPHRASE": "", "WISEWALLET_KEYRING": "none"}})
	e.expect(r, 0)
	if !strings.Contains(r.stdout, "WISEWALLET_KEYRING=none") {
		t.Errorf("keyring status with WISEWALLET_KEYRING=none:\n%s", r.stdout)
	}
	e.expect(e.cmd("keyring", "frobnicate"), exitUsage, "frobnicate", "status|enable|disable")
	e.expect(e.cmd("keyring"), exitUsage, "keyring status|enable|disable")
}

// enableKeyring runs `keyring enable`, skipping the test when this
// machine has no usable OS keyring, and removes the slot and its item
// when the test ends.
func enableKeyring(t *testing.T, e *cliEnv) result {
	t.Helper()
	r := e.cmd("keyring", "enable")
	if r.code != 0 && strings.Contains(r.stderr, wallet.ErrKeyringUnavailable.Error()) {
		t.Skipf("no usable OS keyring here: %s", e.redact(r.stderr))
	}
	t.Cleanup(func() {
		if st := e.cmd("keyring", "status", "--json"); strings.Contains(st.stdout, `"slot": true`) {
			e.cmd("keyring", "disable")
		}
	})
	return r
}

func TestKeyringEnableOpensWithoutPassphraseUntilDisabled(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	e.add("k1", "tok-k1")
	keyringMu.Lock()
	defer keyringMu.Unlock()

	e.expect(enableKeyring(t, e), 0, "OS keyring")
	r := e.run(call{args: []string{"list", "--json"}, env: noPass})
	e.expect(r, 0)
	if !strings.Contains(r.stdout, `"k1"`) {
		t.Errorf("list through the keyring:\n%s", r.stdout)
	}
	r = e.run(call{args: []string{"keyring", "status", "--json"}, env: noPass})
	if !strings.Contains(r.stdout, `"opens_without_passphrase": true`) {
		t.Errorf("keyring status after enable:\n%s", r.stdout)
	}
	// The passphrase still works, and a wrong one is not needed.
	e.must("list")

	// Opened by the keyring alone, with no passphrase to be had: the slot
	// goes, and the user is told the data key changes at the next save
	// that knows the passphrase.
	e.expect(e.run(call{args: []string{"keyring", "disable"}, env: noPass}), 0, "passphrase again", "data key was not changed")
	r = e.run(call{args: []string{"list"}, env: noPass})
	e.expect(r, exitUsage, "WISEWALLET_PASSPHRASE")
	e.expect(e.cmd("keyring", "disable"), 0, "nothing was changed")
	e.must("list")
}

func TestDirFlagAndEnvironmentSelectTheFolder(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init() // in WISEWALLET_DIR
	e.add("in-env-dir", "tok")
	other := filepath.Join(e.root, "other")
	noEnvDir := map[string]string{"WISEWALLET_DIR": ""}

	// --dir after the command, overriding WISEWALLET_DIR.
	e.expect(e.cmd(append(cheapInit, "--dir", other)...), 0, other)
	e.expect(e.run(call{args: []string{"add", "personal", "in-other", "--env", "sandbox", "--dir", other}, stdin: ptr("tok")}), 0)
	for _, args := range [][]string{
		{"--dir", other, "list", "--json"},
		{"list", "--dir", other, "--json"},
		{"list", "--json", "--dir=" + other},
		{"-dir", other, "list", "--json"},
	} {
		r := e.run(call{args: args, env: noEnvDir})
		e.expect(r, 0)
		if !strings.Contains(r.stdout, "in-other") || strings.Contains(r.stdout, "in-env-dir") {
			t.Errorf("wisewallet %s listed the wrong wallet:\n%s", strings.Join(args, " "), r.stdout)
		}
	}
	// The folder --dir names wins over WISEWALLET_DIR wherever it appears.
	if r := e.cmd("list", "--json", "--dir", other); !strings.Contains(r.stdout, "in-other") {
		t.Errorf("--dir did not win over WISEWALLET_DIR:\n%s", r.stdout)
	}
	if got := e.names(); len(got) != 1 || got[0] != "in-env-dir" {
		t.Errorf("WISEWALLET_DIR wallet: %v", got)
	}
	// Neither: the default under HOME, which is empty here.
	r := e.run(call{args: []string{"list"}, env: noEnvDir})
	e.expect(r, exitError, "no wallet found", filepath.Join(e.home, ".config", "wisewallet"), "wisewallet init")
	e.expect(e.cmd("list", "--dir"), exitUsage, "--dir needs a folder")
}

func TestUnknownCommandAndHelp(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.expect(e.cmd("frobnicate"), exitUsage, "unknown command", "wisewallet help")
	e.expect(e.cmd(), exitUsage)
	for _, h := range []string{"help", "--help", "-h"} {
		r := e.cmd(h)
		e.expect(r, 0)
		for _, c := range []string{"init", "add", "list", "show", "rm", "rename", "passwd", "keyring", "WISEWALLET_PASSPHRASE", "Exit codes"} {
			if !strings.Contains(r.stdout, c) {
				t.Errorf("wisewallet %s: stdout does not mention %q", h, c)
			}
		}
	}
	e.expect(e.cmd("list", "extra"), exitUsage, `"extra"`)
}

// A mistaken command line is answered with the shape of a right one,
// flags included, and a stray argument that may be a pasted token is
// described, never printed.
func TestUsageErrorsShowTheFlagsAndHideStrayTokens(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.expect(e.cmd("show"), exitUsage, "usage: wisewallet show NAME [--reveal] [--json]")
	e.expect(e.cmd("login", "app"), exitUsage, "--as NAME is required", "--registration-code --email EMAIL")
	e.expect(e.cmd("list", "-bogus"), exitUsage, "unknown flag: --bogus", "usage: wisewallet list [--json]")
	token := newCanary(t, "TOKEN")
	r := e.run(call{args: []string{"add", "personal", "acme", token.value, "--env", "sandbox"}})
	e.expect(r, exitUsage, "unexpected argument of", "not shown", "usage: wisewallet add personal NAME")
	for _, leak := range []string{token.value, token.mark} {
		if strings.Contains(r.stderr+r.stdout, leak) {
			t.Errorf("the stray token reached the output:\n%s%s", r.stdout, r.stderr)
		}
	}
}

// ---- 4. In-process units ----

// probeRun runs args through the real command line (flag normalisation,
// cobra, flag errors, the reporter) with one more command, "t", which
// takes 0 to maxPos arguments (at least minPos), --env and --json, and
// records what it was given.
type probeResult struct {
	code           int
	pos            []string
	env, dir       string
	json, ran      bool
	stdout, stderr string
}

func probeRun(args []string, minPos, maxPos int) probeResult {
	sio, stdout, stderr := inProcess(map[string]string{}, "")
	sio.takeEnvSecrets()
	inv := newInvocation(sio)
	var r probeResult
	t := &cobra.Command{
		Use:   "t ARGS",
		Short: "a probe",
		Args:  positional(minPos, maxPos),
		RunE: func(_ *cobra.Command, args []string) error {
			r.ran, r.pos = true, args
			return nil
		},
	}
	t.Flags().StringVar(&r.env, "env", "", "")
	t.Flags().BoolVar(&r.json, "json", false, "")
	t.DisableFlagsInUseLine = true
	inv.root.AddCommand(t)
	r.code = inv.execute(context.Background(), args)
	r.dir, r.stdout, r.stderr = sio.dir, stdout.String(), stderr.String()
	return r
}

func TestFlagsInterleaveWithArgumentsAndTheCountIsChecked(t *testing.T) {
	cases := []struct {
		args     []string
		min, max int
		pos      []string
		env      string
		json     bool
		err      string
	}{
		{args: []string{"a", "--env", "x", "b", "--json"}, min: 2, max: 2, pos: []string{"a", "b"}, env: "x", json: true},
		{args: []string{"--json", "a", "--env=y"}, min: 1, max: 1, pos: []string{"a"}, env: "y", json: true},
		{args: []string{"--env", "x", "--", "-a", "--json"}, min: 2, max: 2, pos: []string{"-a", "--json"}, env: "x"},
		// Single-dash long flags, as Go's flag package took them.
		{args: []string{"-env", "x", "a", "-json"}, min: 1, max: 1, pos: []string{"a"}, env: "x", json: true},
		{args: []string{"-env=-json", "a"}, min: 1, max: 1, pos: []string{"a"}, env: "-json"},
		// A flag's value is never taken for a flag.
		{args: []string{"--env", "-json", "a"}, min: 1, max: 1, pos: []string{"a"}, env: "-json"},
		{args: nil, min: 0, max: 0},
		{args: []string{"a"}, min: 2, max: 2, err: "missing arguments"},
		{args: []string{"a", "b", "c"}, min: 1, max: 2, err: `unexpected argument "c"`},
		{args: []string{"a", "--nope"}, min: 1, max: 1, err: "-nope"},
		{args: []string{"a", "-nope"}, min: 1, max: 1, err: "-nope"},
		{args: []string{"a", "--env"}, min: 1, max: 1, err: "-env"},
		{args: []string{"-h"}, min: 0, max: 1, err: "help"},
		{args: []string{"a", "--help"}, min: 0, max: 1, err: "help"},
		{args: []string{"a", "-help"}, min: 0, max: 1, err: "help"},
	}
	for _, c := range cases {
		r := probeRun(append([]string{"t"}, c.args...), c.min, c.max)
		if c.err == "help" {
			if r.code != exitOK || r.ran || !strings.Contains(r.stdout, "wisewallet t ARGS") || !strings.Contains(r.stdout, "--env") {
				t.Errorf("t %q: exit %d, ran %v, stdout:\n%s\nwant the usage and the flags, exit 0", c.args, r.code, r.ran, r.stdout)
			}
			continue
		}
		if c.err != "" {
			if r.code != exitUsage || r.ran || !strings.Contains(r.stderr, c.err) || !strings.HasPrefix(r.stderr, "wisewallet: ") {
				t.Errorf("t %q: exit %d, ran %v, stderr %q; want a usage error containing %q", c.args, r.code, r.ran, r.stderr, c.err)
			}
			continue
		}
		if r.code != exitOK || strings.Join(r.pos, "|") != strings.Join(c.pos, "|") || r.env != c.env || r.json != c.json {
			t.Errorf("t %q = %q, env %q, json %v, exit %d (%s); want %q, %q, %v", c.args, r.pos, r.env, r.json, r.code, r.stderr, c.pos, c.env, c.json)
		}
	}
}

func TestDirIsTakenAnywhereBeforeDoubleDash(t *testing.T) {
	cases := []struct {
		args []string
		dir  string
		pos  []string
		err  bool
	}{
		{args: []string{"--dir", "d", "t"}, dir: "d"},
		{args: []string{"t", "--dir", "d", "--json"}, dir: "d"},
		{args: []string{"t", "--dir=d"}, dir: "d"},
		{args: []string{"-dir", "a", "t", "-dir=b", "x"}, dir: "b", pos: []string{"x"}},
		{args: []string{"t", "--", "--dir", "d"}, pos: []string{"--dir", "d"}},
		{args: []string{"t", "--dir"}, err: true},
		{args: []string{"t", "--dir="}, err: true},
		{args: []string{"t", "x"}, pos: []string{"x"}},
	}
	for _, c := range cases {
		r := probeRun(c.args, 0, 2)
		if c.err {
			if r.code != exitUsage || r.ran || !strings.Contains(r.stderr, "--dir needs a folder") {
				t.Errorf("%q: exit %d, ran %v, stderr %q; want the usage error", c.args, r.code, r.ran, r.stderr)
			}
			continue
		}
		if r.code != exitOK || r.dir != c.dir || strings.Join(r.pos, "|") != strings.Join(c.pos, "|") {
			t.Errorf("%q = dir %q, %q, exit %d (%s); want %q, %q", c.args, r.dir, r.pos, r.code, r.stderr, c.dir, c.pos)
		}
	}
}

func TestSingleDashLongFlagsOnlyBeforeDoubleDash(t *testing.T) {
	long := map[string]bool{"dir": true, "json": false, "env": true}
	for _, c := range []struct{ in, want string }{
		{"-dir d list -json", "--dir d list --json"},
		{"-dir=d -json=false", "--dir=d --json=false"},
		{"-x -h -j -", "-x -h -j -"},                // shorthands and unknown names stay
		{"--env -dir -dir x", "--env -dir --dir x"}, // a value stays as it is
		{"list -- -json -dir", "list -- -json -dir"},
		{"--env -- -json", "--env -- --json"}, // "--" as the value of --env
	} {
		if got := strings.Join(singleDashLongFlags(strings.Fields(c.in), long), " "); got != c.want {
			t.Errorf("%q -> %q, want %q", c.in, got, c.want)
		}
	}
}

func TestReportMapsErrorsToExitCodes(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("/w/wallet.ww: %w", err) }
	cases := []struct {
		err  error
		code int
	}{
		{nil, exitOK},
		{wrap(wallet.ErrWrongPassphrase), exitWrongPass},
		{wrap(wallet.ErrDamaged), exitDamaged},
		{wrap(wallet.ErrNotWallet), exitDamaged},
		{wrap(wallet.ErrUnsupportedVersion), exitDamaged},
		{fmt.Errorf("%w: --env is required", flows.ErrUsage), exitUsage},
		{usagef("bad %s", "flag"), exitUsage},
		{fmt.Errorf("wrapped: %w", usagef("bad")), exitUsage},
		{wrap(wallet.ErrNoPassphrase), exitUsage},
		{fmt.Errorf("refresh: %w", flows.ErrNeedsLogin), exitNeedsLogin},
		{context.Canceled, exitInterrupted},
		{wrap(context.Canceled), exitInterrupted},
		{fmt.Errorf("reading the passphrase: %w", context.Canceled), exitInterrupted},
		// Ctrl-C wins over what it caused (finish adds context.Canceled).
		{fmt.Errorf("%w: %w", context.Canceled, wrap(wallet.ErrNoPassphrase)), exitInterrupted},
		{wallet.ErrEntryNotFound, exitError},
		{wallet.ErrUnsafe, exitError},
		{errors.New("disk on fire"), exitError},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		if got := report(&buf, c.err); got != c.code {
			t.Errorf("report(%v) = %d, want %d", c.err, got, c.code)
		}
		if c.err == nil {
			if buf.Len() != 0 {
				t.Errorf("report(nil) printed %q", buf.String())
			}
			continue
		}
		if !strings.HasPrefix(buf.String(), "wisewallet: ") {
			t.Errorf("report(%v) printed %q", c.err, buf.String())
		}
		if c.code == exitInterrupted && buf.String() != "wisewallet: interrupted\n" {
			t.Errorf("report(%v) printed %q, want %q", c.err, buf.String(), "wisewallet: interrupted\n")
		}
		if damaged := strings.Contains(buf.String(), "was not changed"); damaged != (c.code == exitDamaged) {
			t.Errorf("report(%v): the 'not changed' note is there: %v, want %v", c.err, damaged, c.code == exitDamaged)
		}
	}
}

func TestMaskShowsLengthOnly(t *testing.T) {
	for _, n := range []int{1, 10, 700} {
		a := flows.Mask(crypto.SecretString(strings.Repeat("Q", n)).Len())
		b := flows.Mask(crypto.SecretString(randHex(t, n)[:n]).Len())
		// Two different secrets of one length mask the same: nothing of
		// the content shows.
		if a != b {
			t.Errorf("masks of two %d-character secrets differ: %q, %q", n, a, b)
		}
		if !strings.Contains(a, fmt.Sprintf("(%d chars)", n)) || strings.Contains(a, "Q") {
			t.Errorf("mask of %d characters = %q", n, a)
		}
	}
}

// fakeEnv is an environment for in-process runs that records removals.
type fakeEnv struct {
	vars  map[string]string
	unset []string
}

func (f *fakeEnv) get(k string) string { return f.vars[k] }
func (f *fakeEnv) del(k string)        { f.unset = append(f.unset, k); delete(f.vars, k) }

func TestPassphraseVariablesAreTakenOnceAndRemovedUnconditionally(t *testing.T) {
	f := &fakeEnv{vars: map[string]string{"WISEWALLET_PASSPHRASE": "p-123", "WISEWALLET_NEW_PASSPHRASE": "n-456", "OTHER": "o"}}
	sio := &cliIO{getenv: f.get, unsetenv: f.del}
	sio.takeEnvSecrets()
	// Both removed at once, before any command has used either.
	slices.Sort(f.unset)
	if strings.Join(f.unset, ",") != "WISEWALLET_NEW_PASSPHRASE,WISEWALLET_PASSPHRASE" {
		t.Errorf("unsetenv calls: %q", f.unset)
	}
	for _, v := range passphraseVars {
		if sio.getenv(v) != "" {
			t.Errorf("%s is still readable through sio.getenv", v)
		}
	}
	if sio.getenv("OTHER") != "o" {
		t.Error("other variables lost")
	}
	sio.takeEnvSecrets() // again: must not forget what it took
	if s, ok := sio.passphraseFromEnv(); !ok || s.RevealString() != "p-123" {
		t.Fatalf("passphraseFromEnv = %v (%d bytes)", ok, s.Len())
	}
	if _, ok := sio.passphraseFromEnv(); ok {
		t.Error("a second read still found the passphrase")
	}
	if s, ok := sio.newPassphraseFromEnv(); !ok || s.RevealString() != "n-456" {
		t.Fatalf("newPassphraseFromEnv = %v (%d bytes)", ok, s.Len())
	}

	// Set but empty, or not set: removed all the same, nothing handed out.
	f = &fakeEnv{vars: map[string]string{"WISEWALLET_PASSPHRASE": ""}}
	sio = &cliIO{getenv: f.get, unsetenv: f.del}
	if _, ok := sio.passphraseFromEnv(); ok {
		t.Error("an empty WISEWALLET_PASSPHRASE was handed out")
	}
	if len(f.unset) != 2 {
		t.Errorf("unsetenv calls for empty variables: %q", f.unset)
	}
}

// run takes the variables first thing, whatever the command: here one
// that never asks for a passphrase and fails on its arguments.
func TestRunRemovesPassphraseVariablesEvenWhenNotUsed(t *testing.T) {
	f := &fakeEnv{vars: map[string]string{"WISEWALLET_PASSPHRASE": "p", "WISEWALLET_NEW_PASSPHRASE": "n"}}
	var stdout, stderr bytes.Buffer
	sio := &cliIO{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: f.get, unsetenv: f.del,
		openTTY: func() (tty, error) { return nil, errors.New("no terminal") }, stdinIsTerminal: func() bool { return false }}
	if code := run(context.Background(), []string{"frobnicate"}, sio); code != exitUsage {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if len(f.vars) != 0 {
		t.Errorf("left in the environment: %v", slices.Collect(maps.Keys(f.vars)))
	}
}

// The real os.Unsetenv too: the variable is gone from this process's
// environment (what exec'd children and /proc readers of the Go runtime's
// copy would see) after the first read.
func TestSystemIOUnsetsPassphraseInProcess(t *testing.T) {
	t.Setenv("WISEWALLET_PASSPHRASE", "p-sys")
	t.Setenv("WISEWALLET_NEW_PASSPHRASE", "n-sys")
	sio := newSystemIO()
	sio.takeEnvSecrets()
	for _, v := range passphraseVars {
		if _, set := os.LookupEnv(v); set {
			t.Errorf("%s is still in the process environment", v)
		}
	}
	// What exec.Cmd gives a child when its Env is nil.
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "WISEWALLET_PASSPHRASE=") || strings.HasPrefix(kv, "WISEWALLET_NEW_PASSPHRASE=") {
			t.Errorf("os.Environ still has %s", kv[:strings.IndexByte(kv, '=')])
		}
	}
	if s, ok := sio.passphraseFromEnv(); !ok || s.RevealString() != "p-sys" {
		t.Error("the passphrase taken out of the environment was lost")
	}
}

func TestPasswdRemovesBothPassphraseVariables(t *testing.T) {
	dir := t.TempDir()
	st := wallet.NewFileStore(dir)
	if _, err := wallet.Create(context.Background(), st, crypto.SecretString("old-p"), wallet.Options{KDF: crypto.KDFParams{Time: 1, MemoryKiB: 8, Threads: 1}}); err != nil {
		t.Fatal(err)
	}
	f := &fakeEnv{vars: map[string]string{"WISEWALLET_DIR": dir, "WISEWALLET_PASSPHRASE": "old-p", "WISEWALLET_NEW_PASSPHRASE": "new-p", "WISEWALLET_KEYRING": "none"}}
	var stdout, stderr bytes.Buffer
	sio := &cliIO{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: f.get, unsetenv: f.del,
		openTTY: func() (tty, error) { return nil, errors.New("no terminal") }, stdinIsTerminal: func() bool { return false }}
	if code := run(context.Background(), []string{"passwd", "--allow-short"}, sio); code != 0 {
		t.Fatalf("passwd exit %d: %s", code, stderr.String())
	}
	for _, v := range []string{"WISEWALLET_PASSPHRASE", "WISEWALLET_NEW_PASSPHRASE"} {
		if _, left := f.vars[v]; left {
			t.Errorf("%s was not removed from the environment", v)
		}
	}
	if _, err := wallet.Open(context.Background(), st, wallet.Unlocker{Passphrase: func() (crypto.Secret, error) { return crypto.SecretString("new-p"), nil }}); err != nil {
		t.Errorf("new passphrase does not open the wallet: %v", err)
	}
}

// ---- 6. Whole-process timing ----

// BenchmarkProcessList measures one `wisewallet list` as a user's shell
// would run it: process start, wallet read, KDF (cheap here), output.
func BenchmarkProcessList(b *testing.B) {
	e := newCLIEnv(b)
	e.init()
	for i := range 5 {
		e.add(fmt.Sprintf("entry-%d", i), "tok-"+strconv.Itoa(i))
	}
	b.ResetTimer()
	for b.Loop() {
		if r := e.cmd("list"); r.code != 0 {
			b.Fatalf("%s", e.describe(r, "exit 0"))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
}
