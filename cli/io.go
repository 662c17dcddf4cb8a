package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/term"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
)

// cliIO is everything a command touches outside its arguments, so tests
// can run commands in-process with buffers and a fake environment.
type cliIO struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// unsetenv removes a variable (the passphrases, at start).
	unsetenv func(string)
	// openTTY opens the controlling terminal for prompts; an error means
	// there is none.
	openTTY func() (tty, error)
	// stdinIsTerminal reports whether stdin is a terminal (then secrets are
	// prompted for rather than read from it).
	stdinIsTerminal func() bool
	// openKeyring opens the OS keyring (nil: wallet.OpenOSKeyring); tests
	// pass an in-memory one.
	openKeyring func(ctx context.Context, backend string, probe bool) (wallet.Keyring, error)
	dir         string

	// envPass and envNewPass hold WISEWALLET_PASSPHRASE and
	// WISEWALLET_NEW_PASSPHRASE, taken out of the environment by
	// takeEnvSecrets; each is handed out once.
	envPass, envNewPass crypto.Secret
	tookEnv             bool

	// auditLog is the audit log's sink, made once (sio.audit).
	auditLog *auditSink
}

// tty is the terminal used for prompts. Close restores the terminal to
// the state it had when opened; a prompt interrupted by Ctrl-C relies on
// that, because the read it abandons never gets to restore it.
type tty interface {
	io.Writer
	ReadPassword() ([]byte, error)
	Close() error
}

type devTTY struct {
	f     *os.File
	fd    int         // f.Fd() once: Fd races with a concurrent Close
	state *term.State // as opened: echo on
	once  sync.Once
}

// newDevTTY wraps an open terminal, remembering its state for Close.
func newDevTTY(f *os.File) (*devTTY, error) {
	fd := int(f.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return nil, err
	}
	return &devTTY{f: f, fd: fd, state: state}, nil
}

func (t *devTTY) Write(b []byte) (int, error)   { return t.f.Write(b) }
func (t *devTTY) ReadPassword() ([]byte, error) { return term.ReadPassword(t.fd) }

func (t *devTTY) Close() error {
	err := os.ErrClosed
	t.once.Do(func() {
		_ = term.Restore(t.fd, t.state)
		err = t.f.Close()
	})
	return err
}

func newSystemIO() *cliIO {
	return &cliIO{
		stdin:    os.Stdin,
		stdout:   os.Stdout,
		stderr:   os.Stderr,
		getenv:   os.Getenv,
		unsetenv: func(k string) { _ = os.Unsetenv(k) },
		openTTY: func() (tty, error) {
			f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
			if err != nil {
				return nil, err
			}
			if !term.IsTerminal(int(f.Fd())) {
				f.Close()
				return nil, errors.New("not a terminal")
			}
			t, err := newDevTTY(f)
			if err != nil {
				f.Close()
				return nil, err
			}
			return t, nil
		},
		stdinIsTerminal: func() bool { return term.IsTerminal(int(os.Stdin.Fd())) },
	}
}

// walletDir resolves the wallet folder: --dir, then WISEWALLET_DIR, then
// the user config folder.
func (sio *cliIO) walletDir() (string, error) {
	if sio.dir != "" {
		return filepath.Abs(sio.dir)
	}
	if d := sio.getenv("WISEWALLET_DIR"); d != "" {
		return filepath.Abs(d)
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot find a folder for the wallet (%v); set WISEWALLET_DIR", err)
	}
	return filepath.Join(base, "wisewallet"), nil
}

func defaultDirHint() string {
	if base, err := os.UserConfigDir(); err == nil {
		return filepath.Join(base, "wisewallet")
	}
	return "the user config folder"
}

// osKeyring opens the OS keyring WISEWALLET_KEYRING names (any when
// unset); probe checks that it can store an item.
func (sio *cliIO) osKeyring(ctx context.Context, probe bool) (wallet.Keyring, error) {
	open := sio.openKeyring
	if open == nil {
		open = wallet.OpenOSKeyring
	}
	return open(ctx, sio.getenv("WISEWALLET_KEYRING"), probe)
}

// openKeyringBackend opens the one named backend, when this platform has it.
func (sio *cliIO) openKeyringBackend(ctx context.Context, name string) (wallet.Keyring, error) {
	open := sio.openKeyring
	if open == nil {
		open = wallet.OpenOSKeyring
	}
	return open(ctx, name, false)
}

func (sio *cliIO) store() (*wallet.FileStore, error) {
	dir, err := sio.walletDir()
	if err != nil {
		return nil, err
	}
	return wallet.NewFileStore(dir), nil
}

// passphraseVars are the environment variables that carry secrets.
var passphraseVars = [...]string{"WISEWALLET_PASSPHRASE", "WISEWALLET_NEW_PASSPHRASE"}

// takeEnvSecrets reads the passphrase variables into sio and removes them
// from the environment, used or not: a child process (the browser, pass
// and gpg started by the keyring library) inherits the environment as it
// is when it starts, and a passphrase read only when needed stayed there
// whenever the keyring opened the wallet or the command never asked. The
// process's own /proc/PID/environ still shows the initial environment;
// hardenProcess makes it unreadable to the user's other processes.
// Idempotent: run calls it first thing, the readers call it again.
func (sio *cliIO) takeEnvSecrets() {
	if sio.tookEnv {
		return
	}
	sio.tookEnv = true
	sio.envPass = crypto.SecretString(sio.getenv(passphraseVars[0]))
	sio.envNewPass = crypto.SecretString(sio.getenv(passphraseVars[1]))
	for _, k := range passphraseVars {
		if sio.unsetenv != nil {
			sio.unsetenv(k)
		}
	}
	getenv := sio.getenv
	sio.getenv = func(k string) string {
		for _, v := range passphraseVars {
			if k == v {
				return ""
			}
		}
		return getenv(k)
	}
}

// passphraseFromEnv hands out WISEWALLET_PASSPHRASE, once: a second unlock
// attempt in the same process (after a wrong one) must not loop on it.
func (sio *cliIO) passphraseFromEnv() (crypto.Secret, bool) {
	sio.takeEnvSecrets()
	s := sio.envPass
	sio.envPass = crypto.Secret{}
	return s, !s.IsZero()
}

// newPassphraseFromEnv hands out WISEWALLET_NEW_PASSPHRASE, once.
func (sio *cliIO) newPassphraseFromEnv() (crypto.Secret, bool) {
	sio.takeEnvSecrets()
	s := sio.envNewPass
	sio.envNewPass = crypto.Secret{}
	return s, !s.IsZero()
}

// readCancellable runs read, which blocks on the terminal or stdin, so
// that the prompt returns as soon as ctx is done. Ctrl-C at a prompt
// arrives as a signal (the terminal keeps ISIG), never as input, so the
// read itself does not see it and cannot be unblocked portably. abort (if
// any) runs on cancellation to restore the terminal (and to unblock the
// read where it can); a result the abandoned read still returns is wiped.
func readCancellable(ctx context.Context, read func() ([]byte, error), abort func()) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	type result struct {
		b   []byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		b, err := read()
		ch <- result{b, err}
	}()
	select {
	case r := <-ch:
		return r.b, r.err
	case <-ctx.Done():
		if abort != nil {
			abort()
		}
		go func() { r := <-ch; crypto.Wipe(r.b) }()
		return nil, ctx.Err()
	}
}

// readHidden prints prompt on t and reads a line without echo, giving up
// (with the terminal restored) when ctx is done.
func readHidden(ctx context.Context, t tty, prompt string) ([]byte, error) {
	fmt.Fprint(t, prompt)
	aborted := false
	b, err := readCancellable(ctx, t.ReadPassword, func() {
		aborted = true
		fmt.Fprintln(t) // the shell's prompt then starts on a line of its own
		t.Close()
	})
	if !aborted {
		fmt.Fprintln(t) // the Enter was not echoed either
	}
	return b, err
}

// askPassphrase prompts on the terminal without echo. confirm asks twice.
func (sio *cliIO) askPassphrase(ctx context.Context, prompt string, confirm bool) (crypto.Secret, error) {
	t, err := sio.openTTY()
	if err != nil {
		return crypto.Secret{}, fmt.Errorf("%w: no terminal to ask on; set WISEWALLET_PASSPHRASE (for automation) or run in a terminal", wallet.ErrNoPassphrase)
	}
	defer t.Close()
	first, err := readHidden(ctx, t, prompt)
	if err != nil {
		return crypto.Secret{}, fmt.Errorf("reading the passphrase: %w", err)
	}
	defer crypto.Wipe(first)
	if len(first) == 0 {
		return crypto.Secret{}, fmt.Errorf("%w: the passphrase is empty", wallet.ErrNoPassphrase)
	}
	if confirm {
		second, err := readHidden(ctx, t, "Repeat it: ")
		if err != nil {
			return crypto.Secret{}, fmt.Errorf("reading the passphrase: %w", err)
		}
		defer crypto.Wipe(second)
		if !bytes.Equal(first, second) {
			return crypto.Secret{}, errors.New("the two passphrases differ; nothing was changed")
		}
	}
	return crypto.NewSecret(first), nil
}

// readSecretInput reads a secret from stdin when it is not a terminal
// (pipes, scripts), else from a hidden prompt. Never from an argument:
// arguments are visible to every user in the process list.
func (sio *cliIO) readSecretInput(ctx context.Context, prompt string) ([]byte, error) {
	if sio.stdinIsTerminal() {
		t, err := sio.openTTY()
		if err != nil {
			return nil, err
		}
		defer t.Close()
		return readHidden(ctx, t, prompt)
	}
	b, err := readCancellable(ctx, sio.readStdinSecret, nil)
	if err != nil && ctx.Err() == nil {
		if errors.Is(err, errSeveralLines) {
			return nil, usagef("standard input has more than one line; a secret is one line: pipe in the secret alone")
		}
		return nil, fmt.Errorf("reading standard input: %w", err)
	}
	return b, err
}

var errSeveralLines = errors.New("more than one line")

// readStdinSecret reads a secret piped in: its one line, and then the rest
// of the input (within the same cap), which may hold only blank lines. A
// second line is refused rather than silently dropped: the user may have
// piped the wrong file, or a file of several secrets.
func (sio *cliIO) readStdinSecret() ([]byte, error) {
	r := bufio.NewReader(io.LimitReader(sio.stdin, 64<<10))
	line, err := r.ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		crypto.Wipe(line)
		return nil, err
	}
	if err == nil {
		rest, rerr := io.ReadAll(r)
		blank := len(bytes.TrimSpace(rest)) == 0
		crypto.Wipe(rest)
		switch {
		case rerr != nil:
			crypto.Wipe(line)
			return nil, rerr
		case !blank:
			crypto.Wipe(line)
			return nil, errSeveralLines
		}
	}
	return bytes.TrimRight(line, "\r\n"), nil
}

// readStdinLine reads one line (or all of a short input without a
// newline); the cap keeps a mistaken pipe of a large file from being read
// whole.
func (sio *cliIO) readStdinLine() ([]byte, error) {
	r := bufio.NewReader(io.LimitReader(sio.stdin, 64<<10))
	line, err := r.ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return bytes.TrimRight(line, "\r\n"), nil
}

// readLine reads what a login pastes (the code, or the URL that carries
// it): from the terminal when there is one, hidden, since the code is a
// credential until it is redeemed and the terminal's scrollback keeps
// what is echoed; else one line of standard input. It gives up when ctx
// is done.
func (sio *cliIO) readLine(ctx context.Context) ([]byte, error) {
	if sio.stdinIsTerminal() {
		if t, err := sio.openTTY(); err == nil {
			defer t.Close()
			return readHidden(ctx, t, "")
		}
	}
	return readCancellable(ctx, sio.readStdinLine, nil)
}

type lineReader interface{ ReadLine() ([]byte, error) }

// ReadLine reads a visible line (an answer that is no secret; seeing it
// helps the user check it).
func (t *devTTY) ReadLine() ([]byte, error) {
	line, err := bufio.NewReader(t.f).ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return bytes.TrimRight(line, "\r\n"), nil
}
