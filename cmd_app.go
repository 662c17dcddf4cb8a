package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/tui"
	"github.com/wisewallet/wisewallet/wallet"
)

// runApp is `wisewallet` without a command: on a terminal it opens the
// terminal app; otherwise it prints the usage (exit 2), as before there
// was an app, so scripts calling it by mistake get the command list.
func runApp(ctx context.Context, sio *cliIO, args []string) int {
	if !onTerminal(sio) {
		if len(args) == 0 {
			printUsage(sio.stderr)
			return exitUsage
		}
		return report(sio.stderr, usagef("the terminal app needs a terminal on standard input and standard error; run 'wisewallet help' for the commands"))
	}
	return finish(ctx, sio, "wisewallet: the terminal app", cmdApp(ctx, sio, args))
}

// onTerminal reports whether the app can run: keys come from stdin and
// the UI is drawn on stderr (stdout stays clean for data).
func onTerminal(sio *cliIO) bool {
	f, ok := sio.stderr.(*os.File)
	return ok && sio.stdinIsTerminal != nil && sio.stdinIsTerminal() && term.IsTerminal(int(f.Fd()))
}

// autoLockFlag adds --auto-lock, defaulting to WISEWALLET_AUTO_LOCK or 5m.
func autoLockFlag(fs *flag.FlagSet, sio *cliIO) (*time.Duration, error) {
	def := tui.DefaultAutoLock
	if v := sio.getenv("WISEWALLET_AUTO_LOCK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return nil, usagef("WISEWALLET_AUTO_LOCK=%q is not a duration such as 5m (0 disables the lock)", v)
		}
		def = d
	}
	return fs.Duration("auto-lock", def, "lock after this long without a key press (0: never)"), nil
}

// cmdApp opens the app on the wallet: with no prompt when the OS keyring
// slot (or WISEWALLET_PASSPHRASE) opens it, else on the unlock screen.
func cmdApp(ctx context.Context, sio *cliIO, args []string) error {
	fs := flag.NewFlagSet("wisewallet", flag.ContinueOnError)
	autoLock, err := autoLockFlag(fs, sio)
	if err != nil {
		return err
	}
	if _, err := parseFlags(fs, args, 0, 0, "[--auto-lock 5m]"); err != nil {
		return err
	}
	if *autoLock < 0 {
		return usagef("--auto-lock must not be negative")
	}
	st, err := sio.store()
	if err != nil {
		return err
	}
	// Read the header first: a missing or damaged wallet is reported here,
	// with the usual exit codes, rather than on an unlock screen.
	info, err := wallet.Inspect(st)
	if errors.Is(err, wallet.ErrNoWallet) {
		return fmt.Errorf("no wallet at %s yet: run 'wisewallet init' to create one, or 'wisewallet demo' to try the app", st.Path())
	}
	if err != nil {
		return err
	}
	opts := tui.Options{
		Unlock:   unlockWith(st),
		Env:      tui.Environment{WalletPath: st.Path()},
		AutoLock: *autoLock,
	}
	svc, err := openWithoutPrompt(ctx, sio, st, info)
	if err != nil {
		return err
	}
	if svc != nil {
		// Only a service that is there: a nil *flows.Service in the
		// interface would not read as "show the unlock screen".
		opts.Service = svc
	}
	return runTUI(ctx, sio, opts)
}

// openWithoutPrompt opens the wallet when no typing is needed: the OS
// keyring slot, or WISEWALLET_PASSPHRASE (automation, explicit opt-in).
// A nil service means "show the unlock screen".
func openWithoutPrompt(ctx context.Context, sio *cliIO, st *wallet.FileStore, info wallet.Info) (*flows.Service, error) {
	if pw, ok := sio.passphraseFromEnv(); ok {
		w, err := wallet.Open(ctx, st, wallet.Unlocker{Passphrase: func() (crypto.Secret, error) { return pw, nil }})
		if err != nil {
			return nil, err
		}
		return flows.New(w, flows.Options{}), nil
	}
	if !info.KeyringSlot {
		return nil, nil
	}
	kr, err := wallet.OpenOSKeyring(ctx, sio.getenv("WISEWALLET_KEYRING"), false)
	if err != nil {
		return nil, nil // no keyring here: the passphrase it is
	}
	// Without a passphrase callback Open fails instead of prompting when
	// the keyring item does not open the wallet; the unlock screen follows.
	w, err := wallet.Open(ctx, st, wallet.Unlocker{Keyring: kr})
	if err != nil {
		return nil, nil
	}
	return flows.New(w, flows.Options{}), nil
}

// unlockWith opens the wallet in st with a passphrase typed in the app,
// through the same wallet.Open the commands use.
func unlockWith(st *wallet.FileStore) tui.UnlockFunc {
	return func(ctx context.Context, pass crypto.Secret) (tui.Backend, error) {
		w, err := wallet.Open(ctx, st, wallet.Unlocker{Passphrase: func() (crypto.Secret, error) { return pass, nil }})
		if err != nil {
			return nil, err
		}
		return flows.New(w, flows.Options{}), nil
	}
}

// runTUI runs the app on the process's terminal: keys from stdin, drawing
// on stderr.
func runTUI(ctx context.Context, sio *cliIO, opts tui.Options) error {
	var in io.Reader = sio.stdin
	return tui.Run(ctx, opts, in, sio.stderr)
}
