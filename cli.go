package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

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
	// unsetenv removes a variable once read (the passphrase).
	unsetenv func(string)
	// openTTY opens the controlling terminal for prompts; an error means
	// there is none.
	openTTY func() (tty, error)
	// stdinIsTerminal reports whether stdin is a terminal (then secrets are
	// prompted for rather than read from it).
	stdinIsTerminal func() bool
	dir             string
}

// tty is the terminal used for hidden prompts.
type tty interface {
	io.Writer
	ReadPassword() ([]byte, error)
	Close() error
}

type devTTY struct{ f *os.File }

func (t devTTY) Write(b []byte) (int, error) { return t.f.Write(b) }
func (t devTTY) ReadPassword() ([]byte, error) {
	return term.ReadPassword(int(t.f.Fd()))
}
func (t devTTY) Close() error { return t.f.Close() }

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
			return devTTY{f}, nil
		},
		stdinIsTerminal: func() bool { return term.IsTerminal(int(os.Stdin.Fd())) },
	}
}

type globalFlags struct{ dir string }

// parseGlobal takes --dir out of args wherever it appears before a "--",
// so `wisewallet --dir D list` and `wisewallet list --dir D` both work;
// the last one given wins. The rest keeps its order.
func parseGlobal(args []string) (globalFlags, []string, error) {
	var g globalFlags
	rest := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return g, append(rest, args[i:]...), nil
		case a == "--dir" || a == "-dir":
			if i+1 >= len(args) || args[i+1] == "" {
				return g, nil, usagef("--dir needs a folder")
			}
			i++
			g.dir = args[i]
		case strings.HasPrefix(a, "--dir=") || strings.HasPrefix(a, "-dir="):
			g.dir = a[strings.IndexByte(a, '=')+1:]
			if g.dir == "" {
				return g, nil, usagef("--dir needs a folder")
			}
		default:
			rest = append(rest, a)
		}
	}
	return g, rest, nil
}

// parseFlags parses fs from args, allowing flags after positional
// arguments (`add personal NAME --env sandbox`), and checks the number of
// positional arguments. --dir never reaches it: parseGlobal has taken it.
func parseFlags(fs *flag.FlagSet, args []string, minPos, maxPos int, usage string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, usagef("usage: wisewallet %s", usage)
			}
			return nil, usagef("%v (usage: wisewallet %s)", err, usage)
		}
		rest := fs.Args()
		// After "--" everything is positional, even what looks like a flag.
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		args = rest
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	switch {
	case len(pos) < minPos:
		return nil, usagef("missing arguments; usage: wisewallet %s", usage)
	case len(pos) > maxPos:
		return nil, usagef("unexpected argument %q; usage: wisewallet %s", pos[maxPos], usage)
	}
	return pos, nil
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

func (sio *cliIO) store() (*wallet.FileStore, error) {
	dir, err := sio.walletDir()
	if err != nil {
		return nil, err
	}
	return wallet.NewFileStore(dir), nil
}

// passphraseFromEnv reads WISEWALLET_PASSPHRASE once and removes it from
// the environment so child processes (exec, editors) do not inherit it.
func (sio *cliIO) passphraseFromEnv() (crypto.Secret, bool) {
	v := sio.getenv("WISEWALLET_PASSPHRASE")
	if v == "" {
		return crypto.Secret{}, false
	}
	sio.unsetenv("WISEWALLET_PASSPHRASE")
	// Keep it for later calls in this process (passwd asks twice).
	sio.getenv = withoutVar(sio.getenv, "WISEWALLET_PASSPHRASE")
	return crypto.SecretString(v), true
}

func withoutVar(getenv func(string) string, name string) func(string) string {
	return func(k string) string {
		if k == name {
			return ""
		}
		return getenv(k)
	}
}

// askPassphrase prompts on the terminal without echo. confirm asks twice.
func (sio *cliIO) askPassphrase(prompt string, confirm bool) (crypto.Secret, error) {
	t, err := sio.openTTY()
	if err != nil {
		return crypto.Secret{}, fmt.Errorf("%w: no terminal to ask on; set WISEWALLET_PASSPHRASE (for automation) or run in a terminal", wallet.ErrNoPassphrase)
	}
	defer t.Close()
	fmt.Fprint(t, prompt)
	first, err := t.ReadPassword()
	fmt.Fprintln(t)
	if err != nil {
		return crypto.Secret{}, fmt.Errorf("reading the passphrase: %w", err)
	}
	defer crypto.Wipe(first)
	if len(first) == 0 {
		return crypto.Secret{}, fmt.Errorf("%w: the passphrase is empty", wallet.ErrNoPassphrase)
	}
	if confirm {
		fmt.Fprint(t, "Repeat it: ")
		second, err := t.ReadPassword()
		fmt.Fprintln(t)
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

// passphrase is the unlock callback: environment first, then the terminal.
func (sio *cliIO) passphrase() (crypto.Secret, error) {
	if s, ok := sio.passphraseFromEnv(); ok {
		return s, nil
	}
	return sio.askPassphrase("Wallet passphrase: ", false)
}

// openWallet unlocks the wallet: the OS keyring when the wallet has a
// keyring slot, else the passphrase.
func (sio *cliIO) openWallet(ctx context.Context) (*wallet.Wallet, error) {
	return sio.openWalletWith(ctx, true)
}

// openWalletWith can refuse the keyring slot: changing the passphrase
// must prove knowledge of the current one, not just access to the
// desktop session that holds the keyring.
func (sio *cliIO) openWalletWith(ctx context.Context, allowKeyring bool) (*wallet.Wallet, error) {
	st, err := sio.store()
	if err != nil {
		return nil, err
	}
	u := wallet.Unlocker{Passphrase: sio.passphrase}
	if info, err := wallet.Inspect(st); allowKeyring && err == nil && info.KeyringSlot {
		kr, err := wallet.OpenOSKeyring(ctx, sio.getenv("WISEWALLET_KEYRING"), false)
		if err != nil {
			fmt.Fprintf(sio.stderr, "wisewallet: %v; using the passphrase\n", err)
		} else {
			u.Keyring = kr
		}
	}
	w, err := wallet.Open(ctx, st, u)
	if err != nil {
		return nil, err
	}
	for _, warn := range w.Warnings() {
		fmt.Fprintf(sio.stderr, "wisewallet: %s\n", warn)
	}
	return w, nil
}

// readSecretInput reads a secret from stdin when it is not a terminal
// (pipes, scripts), else from a hidden prompt. Never from an argument:
// arguments are visible to every user in the process list.
func (sio *cliIO) readSecretInput(prompt string) ([]byte, error) {
	if sio.stdinIsTerminal() {
		t, err := sio.openTTY()
		if err != nil {
			return nil, err
		}
		defer t.Close()
		fmt.Fprint(t, prompt)
		b, err := t.ReadPassword()
		fmt.Fprintln(t)
		return b, err
	}
	// One line (or all of a short input without a newline); the cap keeps a
	// mistaken pipe of a large file from being read whole.
	r := bufio.NewReader(io.LimitReader(sio.stdin, 64<<10))
	line, err := r.ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading standard input: %w", err)
	}
	return bytes.TrimRight(line, "\r\n"), nil
}

// readLine reads one line typed or piped in: from the terminal when there
// is one, else from standard input.
func (sio *cliIO) readLine() ([]byte, error) {
	if sio.stdinIsTerminal() {
		if t, err := sio.openTTY(); err == nil {
			defer t.Close()
			if lt, ok := t.(lineReader); ok {
				return lt.ReadLine()
			}
		}
	}
	r := bufio.NewReader(io.LimitReader(sio.stdin, 64<<10))
	line, err := r.ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return bytes.TrimRight(line, "\r\n"), nil
}

type lineReader interface{ ReadLine() ([]byte, error) }

// ReadLine reads a visible line (a pasted URL is not secret enough to hide,
// and seeing it helps the user check the paste).
func (t devTTY) ReadLine() ([]byte, error) {
	line, err := bufio.NewReader(t.f).ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return bytes.TrimRight(line, "\r\n"), nil
}
