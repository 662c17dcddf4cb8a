package tui

// The real binary in a real terminal: `wisewallet demo` in a detached tmux
// session, driven with send-keys and read with capture-pane.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// tmuxSession is one private tmux server (its own socket, no user
// configuration) with one session.
type tmuxSession struct {
	t       *testing.T
	sock    string
	secrets []string // known secret values, redacted from anything logged
	shots   []string // every capture, checked for secrets at the end
}

func (s *tmuxSession) tmux(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "tmux", append([]string{"-L", s.sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
	return string(out), err
}

func (s *tmuxSession) must(args ...string) string {
	s.t.Helper()
	out, err := s.tmux(args...)
	if err != nil {
		s.t.Fatalf("tmux %s: %v: %s", args[0], err, s.redact(out))
	}
	return out
}

func (s *tmuxSession) redact(text string) string {
	for _, sec := range s.secrets {
		text = strings.ReplaceAll(text, sec, "[secret]")
	}
	return text
}

// capture reads the pane as text and keeps it for the secret check.
func (s *tmuxSession) capture() string {
	s.t.Helper()
	out := s.must("capture-pane", "-p", "-t", "app")
	s.shots = append(s.shots, out)
	return out
}

// waitFor captures until the pane shows every one of want. The deadline
// is a hang guard, not a speed requirement.
func (s *tmuxSession) waitFor(what string, want ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		shot := s.capture()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(shot, w)
		}
		if ok {
			return shot
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("waited 20s for %s; the pane shows:\n%s", what, s.redact(shot))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *tmuxSession) keys(keys ...string) {
	s.t.Helper()
	s.must(append([]string{"send-keys", "-t", "app"}, keys...)...)
}

// wzBuildBinary builds the module's main package into dir, without
// -race (as flows' CLI tests do, so the two share the build cache): a race
// build pays for it in every Argon2id run of the demo and of the commands
// this test calls.
func wzBuildBinary(t *testing.T, dir string) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		t.Fatalf("cannot find the module root (go env GOMOD: %q, %v)", gomod, err)
	}
	bin := filepath.Join(dir, "wisewallet")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// wzDemoSecrets asks the running demo's wallet (through the binary's own
// commands) for every secret it holds, and for each entry's access token.
func wzDemoSecrets(t *testing.T, bin, home, tmp string) []string {
	t.Helper()
	run := func(args ...string) []byte { return wzDemoRun(t, bin, home, tmp, args...) }
	var list []struct {
		Name string `json:"name"`
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(run("list", "--json"), &list); err != nil || len(list) < 3 {
		t.Fatalf("list --json: %d entries, %v", len(list), err)
	}
	var secrets []string
	for _, e := range list {
		var shown struct {
			Secrets map[string]string `json:"secrets"`
		}
		if err := json.Unmarshal(run("show", e.Name, "--reveal", "--json"), &shown); err != nil {
			t.Fatalf("show %s --json: %v", e.Name, err)
		}
		for _, v := range shown.Secrets {
			if v == "" {
				// null: a secret the CLI never shows, even with --reveal
				// (a user's registration code).
				continue
			}
			secrets = append(secrets, v)
			// A key's PEM spans lines, as on a screen: each line is
			// looked for.
			secrets = append(secrets, pemLines(v)...)
		}
		// Only these kinds hand out a token (an mTLS entry has none).
		if e.Kind == "personal" || e.Kind == "client" || e.Kind == "user" {
			secrets = append(secrets, strings.TrimSpace(string(run("token", e.Name))))
		}
	}
	if len(secrets) < 6 {
		t.Fatalf("only %d secrets found in the demo wallet", len(secrets))
	}
	return secrets
}

// wzDemoRun runs the binary on the running demo's wallet (passphrase
// given, as scripts do) and returns its standard output.
func wzDemoRun(t *testing.T, bin, home, tmp string, args ...string) []byte {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(tmp, "wisewallet-demo-*"))
	if len(dirs) != 1 {
		t.Fatalf("found %d demo wallet folders in TMPDIR, want 1", len(dirs))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(wzBaseEnv(home, tmp), "WISEWALLET_DIR="+dirs[0], "WISEWALLET_PASSPHRASE=demo")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("wisewallet %s: %v: %s", args[0], err, stderr.String())
	}
	return out
}

// wzTmuxDemo builds the binary and starts `wisewallet demo` at 100x30 in
// a private tmux server. The demo runs under sh, which writes its exit
// code to codeFile once the app has quit and the demo has removed its
// wallet.
func wzTmuxDemo(t *testing.T) (s *tmuxSession, bin, home, tmp, codeFile string) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (.ci/run installs it): the real-terminal test cannot run")
	}
	dir := t.TempDir()
	bin = wzBuildBinary(t, dir)
	home, tmp = filepath.Join(dir, "home"), filepath.Join(dir, "tmp")
	for _, d := range []string{home, tmp} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	s = &tmuxSession{t: t, sock: "wwtest-" + hex.EncodeToString(b)}
	t.Cleanup(func() { _, _ = s.tmux("kill-server") })
	codeFile = filepath.Join(dir, "exit-code")
	script := fmt.Sprintf("%q demo; echo $? > %q", bin, codeFile)
	args := []string{"new-session", "-d", "-s", "app", "-x", "100", "-y", "30", "--", "env", "-i"}
	args = append(args, wzBaseEnv(home, tmp)...)
	s.must(append(args, "/bin/sh", "-c", script)...)
	// A lone Escape reaches the app at once instead of after tmux's
	// default half second.
	s.must("set-option", "-g", "escape-time", "10")
	return s, bin, home, tmp, codeFile
}

// wzTmuxQuit presses q on the dashboard and checks the demo ended well:
// exit code 0, its wallet folder gone.
func wzTmuxQuit(t *testing.T, s *tmuxSession, codeFile, tmp string) {
	t.Helper()
	s.keys("q")
	deadline := time.Now().Add(20 * time.Second)
	var code []byte
	for {
		var err error
		if code, err = os.ReadFile(codeFile); err == nil && len(code) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo did not end within 20s of q; the pane shows:\n%s", s.redact(s.capture()))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := strings.TrimSpace(string(code)); got != "0" {
		t.Errorf("wisewallet demo exited with %s after q, want 0", got)
	}
	if dirs, _ := filepath.Glob(filepath.Join(tmp, "wisewallet-demo-*")); len(dirs) != 0 {
		t.Errorf("the demo left its wallet folder behind")
	}
}

// wzBaseEnv is a clean environment for the binary: its own HOME and
// TMPDIR, no display (no browser), no keyring, no session bus.
func wzBaseEnv(home, tmp string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TMPDIR=" + tmp, "TERM=xterm-256color", "LANG=C.UTF-8",
		"WISEWALLET_KEYRING=none", "DBUS_SESSION_BUS_ADDRESS=disabled:", "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
	}
}

var wzCountdown = regexp.MustCompile(`\b\d+m\d{2}s\b`)

func TestTmuxDemoDashboardFlowAndQuit(t *testing.T) {
	s, bin, home, tmp, codeFile := wzTmuxDemo(t)

	first := s.waitFor("the dashboard", "Dashboard", "acme-app", "acme-personal", "partner-user")
	s.secrets = wzDemoSecrets(t, bin, home, tmp)

	// Two captures at least 1.5 s apart: a countdown has moved.
	time.Sleep(1500 * time.Millisecond)
	second := s.capture()
	before, after := wzCountdown.FindAllString(first, -1), wzCountdown.FindAllString(second, -1)
	if len(before) == 0 {
		t.Fatalf("no countdown on the dashboard:\n%s", s.redact(first))
	}
	if strings.Join(before, " ") == strings.Join(after, " ") {
		t.Errorf("no countdown changed in 1.5 s: %v then %v", before, after)
	}

	// Into a guided flow and back out, one step at a time.
	s.keys("a")
	s.waitFor("the chooser", "Which kind of access do I need?", "Personal API token")
	s.keys("Down")
	s.waitFor("the explanation of OAuth", "Developer Hub")
	s.keys("Up", "Enter")
	s.waitFor("the first step of the personal-token flow", "Personal API token · step 1 of 4", "Name this token")
	s.keys("Escape")
	s.waitFor("the chooser again", "Which kind of access do I need?")
	s.keys("Escape")
	s.waitFor("the dashboard again", "Dashboard", "acme-app")

	wzTmuxQuit(t, s, codeFile, tmp)

	for i, shot := range s.shots {
		noSecret(t, fmt.Sprintf("capture %d", i), shot, s.secrets...)
	}
	t.Logf("%d captures, %d secrets checked", len(s.shots), len(s.secrets))
}
