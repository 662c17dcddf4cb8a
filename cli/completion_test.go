package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bashComplete loads `wisewallet completion bash [flags]` into a real bash
// and completes line (the cursor at its end) as bash would on Tab. There
// is no bash-completion package here, so a minimal _get_comp_words_by_ref
// (what the script falls back on) splits the words as bash does.
func bashComplete(t *testing.T, e *cliEnv, env map[string]string, line string, scriptFlags ...string) []string {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash here")
	}
	script := `
source <(wisewallet completion bash ` + strings.Join(scriptFlags, " ") + `) || exit 9
declare -F __start_wisewallet >/dev/null || exit 8
if ! declare -F _get_comp_words_by_ref >/dev/null; then
	_get_comp_words_by_ref() {
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	}
fi
# compopt works only under readline's completion; the words are what counts.
compopt() { :; }
read -ra COMP_WORDS <<<"$LINE"
case $LINE in *" ") COMP_WORDS+=("") ;; esac
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE=$LINE
COMP_POINT=${#LINE}
__start_wisewallet
printf '%s\n' "${COMPREPLY[@]}"
`
	vars := e.baseEnv()
	vars["PATH"] = filepath.Dir(wisewalletBin) + ":" + os.Getenv("PATH")
	vars["LINE"] = line
	for k, v := range env {
		if v == "" {
			delete(vars, k)
		} else {
			vars[k] = v
		}
	}
	var envList []string
	for k, v := range vars {
		envList = append(envList, k+"="+v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "--norc", "--noprofile", "-c", script)
	cmd.Env = envList
	cmd.Dir = e.root
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bash completing %q: %v\nstderr: %s", line, err, e.redact(stderr.String()))
	}
	if stderr.Len() != 0 {
		t.Errorf("bash completing %q wrote on stderr: %s", line, e.redact(stderr.String()))
	}
	var words []string
	for _, w := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if w = strings.TrimSpace(w); w != "" {
			words = append(words, w)
		}
	}
	return words
}

func TestBashCompletionLoadsAndCompletesCommandsAndFlags(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	for _, c := range []struct {
		line string
		want []string
		not  []string
	}{
		{line: "wisewallet ", want: []string{"demo", "init", "add", "list", "keyring", "completion", "man", "help"}, not: []string{"__complete"}},
		{line: "wisewallet li", want: []string{"list"}},
		{line: "wisewallet add ", want: []string{"personal", "client"}},
		{line: "wisewallet keyring ", want: []string{"status", "enable", "disable"}},
		{line: "wisewallet completion ", want: []string{"bash", "zsh", "fish", "powershell"}},
		{line: "wisewallet list --j", want: []string{"--json"}},
		{line: "wisewallet --di", want: []string{"--dir"}},
		{line: "wisewallet help ad", want: []string{"add"}},
	} {
		got := bashComplete(t, e, nil, c.line, "--no-descriptions")
		for _, w := range c.want {
			if !slices.Contains(got, w) {
				t.Errorf("completing %q: %q has no %q", c.line, got, w)
			}
		}
		for _, w := range c.not {
			if slices.Contains(got, w) {
				t.Errorf("completing %q offers %q: %q", c.line, w, got)
			}
		}
	}
	// Flag values: the environments for --env; for a value typed by hand
	// (a name, a URL, a duration) nothing, and never the folder's files.
	if err := os.WriteFile(filepath.Join(e.root, "a-file-to-not-offer"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := bashComplete(t, e, nil, "wisewallet add personal x --env ", "--no-descriptions"); !slices.Equal(got, []string{"sandbox", "production", "local"}) {
		t.Errorf("completing --env: %q, want the three environments", got)
	}
	for _, line := range []string{"wisewallet login c --as ", "wisewallet add client x --api-url ", "wisewallet localwise --token-ttl "} {
		if got := bashComplete(t, e, nil, line, "--no-descriptions"); len(got) != 0 {
			t.Errorf("completing %q offers %q, want nothing", line, got)
		}
	}
	// With descriptions (the default script), a single match is the bare name.
	if got := bashComplete(t, e, nil, "wisewallet sta"); len(got) != 1 || got[0] != "status" {
		t.Errorf("completing \"wisewallet sta\" with descriptions: %q, want [status]", got)
	}
}

func TestCompletionScriptsForEveryShell(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	for shell, marker := range map[string]string{
		"bash":       "__start_wisewallet",
		"zsh":        "#compdef wisewallet",
		"fish":       "complete -c wisewallet",
		"powershell": "Register-ArgumentCompleter",
	} {
		for _, flags := range [][]string{nil, {"--no-descriptions"}} {
			r := e.cmd(append([]string{"completion", shell}, flags...)...)
			e.expect(r, 0)
			if !strings.Contains(r.stdout, marker) || r.stderr != "" {
				t.Errorf("completion %s %v: no %q in the script, or stderr %q", shell, flags, marker, r.stderr)
			}
		}
	}
	e.expect(e.cmd("completion", "tcsh"), exitUsage, "tcsh", "bash|zsh|fish|powershell")
	e.expect(e.cmd("completion"), exitUsage, "missing", "bash|zsh|fish|powershell")
}

// completionWords runs cobra's completion request for args (what the
// shell scripts run on Tab) and returns the words, without the directive
// line and without descriptions.
func completionWords(t *testing.T, r result) []string {
	t.Helper()
	var words []string
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if strings.HasPrefix(line, ":") || line == "" {
			continue // the directive
		}
		name, _, _ := strings.Cut(line, "\t")
		words = append(words, name)
	}
	return words
}

// Entry names are not completed from a wallet that needs its passphrase,
// even with WISEWALLET_PASSPHRASE set (the right one): completion never
// reads it, never prompts and never runs the KDF. Without a terminal
// (setsid, stdin /dev/null) the child must simply answer, with nothing.
func TestEntryNamesDoNotCompleteFromAPassphraseOnlyWallet(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	e.add("t1", "tok-1")
	e.expect(e.run(call{args: []string{"add", "client", "c1", "--env", "local", "--api-url", "http://127.0.0.1:9/", "--client-id", "id-1", "--no-check"},
		stdin: ptr("secret")}), 0)
	for _, args := range [][]string{
		{"__complete", "show", ""},
		{"__complete", "show", "t"},
		{"__completeNoDesc", "rm", ""},
		{"__complete", "login", ""},
		{"__complete", "--dir", e.dir, "token", ""},
	} {
		r := e.cmd(args...)
		e.expect(r, 0)
		if words := completionWords(t, r); len(words) != 0 {
			t.Errorf("%s completed %q from a wallet that needs its passphrase", strings.Join(args, " "), words)
		}
		if strings.Contains(strings.ToLower(r.stdout+r.stderr), "passphrase") {
			t.Errorf("%s mentions the passphrase:\nstdout %q\nstderr %q", strings.Join(args, " "), r.stdout, r.stderr)
		}
	}
}

// The same on a terminal: a completion that prompted would print the
// prompt there and wait for typing; it must answer at once instead.
func TestEntryNameCompletionNeverPromptsOnATerminal(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	e.add("t1", "tok-1")
	master, slave := openPTY(t)
	// The pseudo-terminal is the child's controlling terminal: /dev/tty
	// opens, as in a shell where Tab is pressed.
	cmd, stdout, stderr := commandOnPTY(t, e.baseEnv(), slave, "__complete", "show", "")
	screen := make(chan string, 1)
	go func() {
		var seen strings.Builder
		r := bufio.NewReader(master)
		buf := make([]byte, 256)
		for {
			n, err := r.Read(buf)
			seen.Write(buf[:n])
			if strings.Contains(seen.String(), "passphrase") || err != nil {
				screen <- seen.String()
				return
			}
		}
	}()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("exit: %v; stderr %q", err, stderr.String())
		}
	case s := <-screen:
		t.Fatalf("completion prompted on the terminal: %q", s)
	case <-time.After(hangGuard):
		t.Fatal("completion is waiting for something (a prompt?)")
	}
	if words := completionWords(t, result{stdout: stdout.String()}); len(words) != 0 || strings.Contains(stderr.String(), "wisewallet:") {
		t.Errorf("completed %q, stderr %q; want nothing", words, stderr.String())
	}
}

// With the OS keyring slot the wallet opens without a passphrase, and the
// names complete (clients only where a client is asked for).
func TestEntryNamesCompleteThroughTheKeyringSlot(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.extra = map[string]string{"WISEWALLET_KEYRING": "keyctl"}
	e.init()
	e.add("t1", "tok-1")
	e.add("t2", "tok-2")
	e.expect(e.run(call{args: []string{"add", "client", "c1", "--env", "local", "--api-url", "http://127.0.0.1:9/", "--client-id", "id-1", "--no-check"},
		stdin: ptr("secret")}), 0)
	keyringMu.Lock()
	defer keyringMu.Unlock()
	if r := e.cmd("keyring", "enable"); r.code != 0 {
		t.Skipf("needs a working keyctl keyring: keyring enable exit %d: %s", r.code, e.redact(r.stderr))
	}
	t.Cleanup(func() { e.cmd("keyring", "disable") })
	complete := func(args ...string) []string {
		r := e.run(call{args: append([]string{"__complete"}, args...), env: noPass})
		e.expect(r, 0)
		// cobra reports the directive on stderr (the scripts discard it);
		// anything of ours there would be a warning or a prompt.
		if strings.Contains(r.stderr, "wisewallet:") {
			t.Errorf("__complete %s wrote on stderr: %q", strings.Join(args, " "), r.stderr)
		}
		return completionWords(t, r)
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"show", ""}, []string{"c1", "t1", "t2"}},
		{[]string{"show", "t"}, []string{"t1", "t2"}},
		{[]string{"token", "t2"}, []string{"t2"}},
		{[]string{"login", ""}, []string{"c1"}},
		{[]string{"rename", ""}, []string{"c1", "t1", "t2"}},
		{[]string{"rename", "t1", ""}, nil}, // the new name is new
		{[]string{"add", "personal", ""}, nil},
	} {
		got := complete(c.args...)
		slices.Sort(got)
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("__complete %s = %q, want %q", strings.Join(c.args, " "), got, c.want)
		}
	}
	// And through bash, as on Tab.
	if got := bashComplete(t, e, noPass, "wisewallet show t", "--no-descriptions"); strings.Join(got, " ") != "t1 t2" {
		t.Errorf("bash completing \"wisewallet show t\": %q", got)
	}
	// The keyring slot gone, the names are gone too.
	e.must("keyring", "disable")
	if got := complete("show", ""); len(got) != 0 {
		t.Errorf("after keyring disable: %q", got)
	}
}

func TestManPages(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	r := e.cmd("man")
	e.expect(r, 0)
	for _, want := range []string{".TH WISEWALLET 1", "wisewallet - A credential wallet", "WISEWALLET_PASSPHRASE", ".SH COMMANDS", "keyring", ".SH EXAMPLES", "wisewallet demo"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("wisewallet man has no %q:\n%s", want, r.stdout)
		}
	}
	r = e.cmd("man", "add", "personal")
	e.expect(r, 0)
	for _, want := range []string{".TH WISEWALLET-ADD-PERSONAL 1", "wisewallet add personal NAME", "--no-check", "--dir", "-h)", "wisewallet-add(1)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("wisewallet man add personal has no %q:\n%s", want, r.stdout)
		}
	}
	// Every command has a page.
	for _, tc := range treeCommands(t) {
		sio, stdout, stderr := inProcess(map[string]string{}, "")
		if code := run(context.Background(), append([]string{"man"}, tc.args...), sio); code != 0 || !strings.HasPrefix(stdout.String(), ".TH") {
			t.Errorf("man %s: exit %d, %q, stderr %q", strings.Join(tc.args, " "), code, firstLine(stdout.String()), stderr)
		}
	}
	if _, err := exec.LookPath("groff"); err == nil {
		cmd := exec.Command("groff", "-man", "-Tutf8", "-ww")
		cmd.Stdin = strings.NewReader(r.stdout)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil || stderr.Len() != 0 {
			var ee *exec.ExitError
			if errors.As(err, &ee) || stderr.Len() != 0 {
				t.Errorf("groff does not read the page: %v\n%s", err, stderr.String())
			}
		}
	}
}
