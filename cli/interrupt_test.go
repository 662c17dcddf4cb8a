package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// blockingTTY is a terminal nobody types into: ReadPassword and ReadLine
// block until Close, as a read on a real terminal blocks until Enter.
// Close stands for restoring the terminal (devTTY restores it there).
type blockingTTY struct {
	mu       sync.Mutex
	out      bytes.Buffer
	prompted chan struct{} // closed by the first write (the prompt)
	closed   chan struct{}
	once     sync.Once
	pOnce    sync.Once
}

func newBlockingTTY() *blockingTTY {
	return &blockingTTY{prompted: make(chan struct{}), closed: make(chan struct{})}
}

func (f *blockingTTY) Write(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pOnce.Do(func() { close(f.prompted) })
	return f.out.Write(b)
}

func (f *blockingTTY) ReadPassword() ([]byte, error) { <-f.closed; return nil, os.ErrClosed }
func (f *blockingTTY) ReadLine() ([]byte, error)     { <-f.closed; return nil, os.ErrClosed }
func (f *blockingTTY) Close() error                  { f.once.Do(func() { close(f.closed) }); return nil }

func (f *blockingTTY) isClosed() bool {
	select {
	case <-f.closed:
		return true
	default:
		return false
	}
}

// hangGuard bounds a call that must return once ctx is cancelled: only a
// broken prompt waits the whole time.
const hangGuard = 10 * time.Second

// Ctrl-C while a prompt waits for typing: the prompt returns
// context.Canceled at once, with the terminal closed (restored), for
// every kind of prompt.
func TestPromptsReturnWhenInterrupted(t *testing.T) {
	prompts := map[string]func(ctx context.Context, sio *cliIO) error{
		"passphrase": func(ctx context.Context, sio *cliIO) error {
			_, err := sio.askPassphrase(ctx, "Wallet passphrase: ", false)
			return err
		},
		"new passphrase": func(ctx context.Context, sio *cliIO) error {
			_, err := sio.askPassphrase(ctx, "New passphrase: ", true)
			return err
		},
		"secret input on a terminal": func(ctx context.Context, sio *cliIO) error {
			_, err := sio.readSecretInput(ctx, "Personal API token (input hidden): ")
			return err
		},
		"pasted line on a terminal": func(ctx context.Context, sio *cliIO) error {
			_, err := sio.readLine(ctx)
			return err
		},
	}
	for name, prompt := range prompts {
		t.Run(name, func(t *testing.T) {
			ft := newBlockingTTY()
			sio := &cliIO{stdin: strings.NewReader(""), openTTY: func() (tty, error) { return ft, nil }, stdinIsTerminal: func() bool { return true }}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- prompt(ctx, sio) }()
			if name != "pasted line on a terminal" { // readLine prints no prompt of its own
				<-ft.prompted
			}
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("error %v, want context.Canceled", err)
				}
				if code := report(io.Discard, err); code != exitInterrupted {
					t.Errorf("exit code %d, want %d", code, exitInterrupted)
				}
			case <-time.After(hangGuard):
				t.Fatal("the prompt ignored the cancellation")
			}
			if !ft.isClosed() {
				t.Error("the terminal was not closed (restored)")
			}
		})
	}
	// Standard input that never delivers a line (a pipe nobody writes).
	t.Run("line on standard input", func(t *testing.T) {
		pr, pw := io.Pipe()
		defer pw.Close()
		sio := &cliIO{stdin: pr, stdinIsTerminal: func() bool { return false }}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := sio.readLine(ctx); done <- err }()
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error %v, want context.Canceled", err)
			}
		case <-time.After(hangGuard):
			t.Fatal("readLine ignored the cancellation")
		}
	})
}

// A prompt that is answered before any Ctrl-C works as before.
func TestPromptReturnsWhatWasTyped(t *testing.T) {
	sio := &cliIO{stdin: strings.NewReader("  pasted-line\r\nnext\n"), stdinIsTerminal: func() bool { return false }}
	b, err := sio.readLine(context.Background())
	if err != nil || string(b) != "  pasted-line" {
		t.Errorf("readLine = %q, %v", b, err)
	}
	sio = &cliIO{openTTY: func() (tty, error) { return &typedTTY{lines: []string{"pw-1", "pw-1"}}, nil }}
	s, err := sio.askPassphrase(context.Background(), "New passphrase: ", true)
	if err != nil || s.RevealString() != "pw-1" {
		t.Errorf("askPassphrase = %d bytes, %v", s.Len(), err)
	}
}

// typedTTY answers each read with the next line.
type typedTTY struct {
	bytes.Buffer
	lines []string
}

func (f *typedTTY) ReadPassword() ([]byte, error) {
	if len(f.lines) == 0 {
		return nil, io.EOF
	}
	l := f.lines[0]
	f.lines = f.lines[1:]
	return []byte(l), nil
}
func (f *typedTTY) Close() error { return nil }

// openPTY opens a pseudo-terminal pair with x/sys/unix (what
// github.com/creack/pty does, without a new dependency).
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Skipf("cannot unlock the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Skipf("no pseudo-terminal number: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("cannot open the pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

func echoOn(t *testing.T, f *os.File) bool {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag&unix.ECHO != 0
}

// commandOnPTY starts the real binary with args and env in a session of
// its own whose controlling terminal is the pseudo-terminal slave: /dev/tty
// opens there, and Ctrl-C on it signals this child, as in a shell. The
// child is killed if the test outlives childTimeout.
func commandOnPTY(t *testing.T, env map[string]string, slave *os.File, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var envList []string
	for k, v := range env {
		envList = append(envList, k+"="+v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, wisewalletBin, args...)
	cmd.Env = envList
	cmd.Stdin = slave
	stdout, stderr := &bytes.Buffer{}, &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, stdout, stderr
}

// The real program on a real terminal: Ctrl-C at the passphrase prompt
// (the terminal turns it into SIGINT for the foreground process) ends it
// at once with exit 130 and "wisewallet: interrupted", and echo, which the
// prompt had turned off, is on again.
func TestCtrlCAtThePassphrasePromptExits130AndRestoresEcho(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	master, slave := openPTY(t)
	if !echoOn(t, slave) {
		t.Fatal("a new terminal has echo off")
	}
	env := e.baseEnv()
	delete(env, "WISEWALLET_PASSPHRASE")
	cmd, _, stderr := commandOnPTY(t, env, slave, "list")
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()

	// Wait for the prompt, then for echo to go off (the read has started).
	screen := make(chan string, 64)
	go func() {
		r := bufio.NewReader(master)
		var seen strings.Builder
		buf := make([]byte, 256)
		for {
			n, err := r.Read(buf)
			seen.Write(buf[:n])
			screen <- seen.String()
			if err != nil {
				close(screen)
				return
			}
		}
	}()
	for s := ""; !strings.Contains(s, "Wallet passphrase: "); {
		var ok bool
		select {
		case s, ok = <-screen:
			if !ok {
				t.Fatalf("the terminal closed before the prompt; stderr: %s", stderr.String())
			}
		case err := <-waited:
			t.Fatalf("exited before prompting: %v; stderr: %s", err, stderr.String())
		}
	}
	for deadline := time.Now().Add(childTimeout / 2); echoOn(t, slave); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the passphrase prompt left echo on")
		}
	}
	if _, err := master.Write([]byte{0x03}); err != nil { // Ctrl-C
		t.Fatal(err)
	}
	err := <-waited
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Fatalf("exit: %v, want code %d; stderr: %s", err, exitInterrupted, stderr.String())
	}
	if got := stderr.String(); got != "wisewallet: interrupted\n" {
		t.Errorf("stderr %q, want %q", got, "wisewallet: interrupted\n")
	}
	if !echoOn(t, slave) {
		t.Error("echo is still off after the interrupted prompt")
	}
}
