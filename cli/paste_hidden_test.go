package cli

import (
	"bytes"
	"context"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
)

// pasteLoginOnTerminal starts `login c1 --as AS --paste` on a terminal
// against a new localwise with the demo client added, with stderr on the
// terminal too (the prompt and the URL go there), and returns the session
// and the authorize URL it shows.
func pasteLoginOnTerminal(t *testing.T, as string) (*scaRig, *ptySession, string) {
	t.Helper()
	srv, base := lwtest.Start(t, localwise.Config{})
	e := newCLIEnv(t)
	e.init()
	d := srv.Demo()
	e.secrets = append(e.secrets, d.ClientSecret)
	e.expect(e.run(call{args: []string{"add", "client", "c1", "--env", "local", "--api-url", base, "--client-id", d.ClientID,
		"--redirect-url", d.RedirectURL}, stdin: ptr(d.ClientSecret + "\n")}), 0)
	r := &scaRig{t: t, e: e, srv: srv, api: base, d: d}
	s := onTerminalWithStderr(t, e, "login", "c1", "--as", as, "--paste", "--no-browser")
	s.expect("Paste the")
	m := regexp.MustCompile(`https?://[^\s]+/oauth/authorize\?[^\s]+`).FindString(s.text())
	if m == "" {
		t.Fatalf("no authorize URL on the terminal:\n%s", s.text())
	}
	return r, s, m
}

// Issue 13: the code pasted at `login --paste` was echoed on the terminal;
// it is read hidden, as every secret typed there is.
func TestPastedLoginCodeIsReadHidden(t *testing.T) {
	t.Parallel()
	_, s, authURL := pasteLoginOnTerminal(t, "u1")
	page := lwtest.Person{}.Authorize(t, authURL, lwtest.Approve)
	code := page.Code()
	if code == "" {
		t.Fatalf("no code on Wise's page (HTTP %d)", page.Status)
	}
	s.typeHidden(code) // fails while echo stays on
	s.expect("Logged in")
	// A bare code carries no profileId, and the demo user has two
	// profiles: the login says which was approved is not known, and how
	// to record it (issue 13: paste-mode logins and the approved profile).
	s.expect("paste the whole URL")
	if got := s.exit(); got != 0 {
		t.Fatalf("login --paste: exit %d\nscreen:\n%s", got, s.text())
	}
	s.noLeak(code)
}

// onTerminalWithStderr is scaRig.onTerminal with stderr on the terminal
// too, as in a shell: the login's URL and prompt go there.
func onTerminalWithStderr(t *testing.T, e *cliEnv, args ...string) *ptySession {
	t.Helper()
	master, slave := openPTY(t)
	var envList []string
	for k, v := range e.baseEnv() {
		envList = append(envList, k+"="+v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, wisewalletBin, args...)
	cmd.Env = envList
	cmd.Stdin, cmd.Stderr = slave, slave
	stdout := &bytes.Buffer{}
	cmd.Stdout = stdout
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &ptySession{t: t, master: master, slave: slave, stdout: stdout, stderr: &bytes.Buffer{}, done: make(chan struct{})}
	go func() {
		buf := make([]byte, 1024)
		for {
			n, err := master.Read(buf)
			s.mu.Lock()
			s.screen.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { s.err = cmd.Wait(); close(s.done) }()
	return s
}
