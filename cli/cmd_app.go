package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/tui"
	"github.com/wisewallet/wisewallet/wallet"
)

// runApp is `wisewallet` without a command: on a terminal it opens the
// terminal app; otherwise it prints the usage (exit 2), as before there
// was an app, so scripts calling it by mistake get the command list.
func (inv *invocation) runApp(c *cobra.Command, _ []string) error {
	sio := inv.sio
	if !onTerminal(sio) {
		if !c.Flags().Changed("auto-lock") {
			c.SetOut(sio.stderr)
			if err := c.Help(); err != nil {
				return err
			}
			return usageShown{}
		}
		// A wrong command line is the problem to report, not the
		// missing terminal: the fix of the one does not need the other.
		if _, err := checkedAutoLock(sio, c.Flags()); err != nil {
			return err
		}
		return usagef("the terminal app needs a terminal on standard input and standard error; run 'wisewallet help' for the commands")
	}
	autoLock, err := checkedAutoLock(sio, c.Flags())
	if err != nil {
		return err
	}
	return cmdApp(c.Context(), sio, autoLock)
}

// checkedAutoLock is autoLockOf, refused when negative.
func checkedAutoLock(sio *cliIO, fs *pflag.FlagSet) (time.Duration, error) {
	d, err := autoLockOf(sio, fs)
	if err == nil && d < 0 {
		err = usagef("--auto-lock must not be negative")
	}
	return d, err
}

// onTerminal reports whether the app can run: keys come from stdin and
// the UI is drawn on stderr (stdout stays clean for data).
func onTerminal(sio *cliIO) bool {
	f, ok := sio.stderr.(*os.File)
	return ok && sio.stdinIsTerminal != nil && sio.stdinIsTerminal() && term.IsTerminal(int(f.Fd()))
}

// addAutoLockFlag adds --auto-lock, for the app and the demo.
func addAutoLockFlag(fs *pflag.FlagSet) {
	fs.Duration("auto-lock", tui.DefaultAutoLock, "lock after this long without a key press (0: never; default: WISEWALLET_AUTO_LOCK, else 5m)")
}

// autoLockOf is --auto-lock when given, else WISEWALLET_AUTO_LOCK, else
// the default. A malformed variable is an error even under the flag: it
// would surprise the next run without one.
func autoLockOf(sio *cliIO, fs *pflag.FlagSet) (time.Duration, error) {
	d := tui.DefaultAutoLock
	if v := sio.getenv("WISEWALLET_AUTO_LOCK"); v != "" {
		env, err := time.ParseDuration(v)
		if err != nil || env < 0 {
			return 0, usagef("WISEWALLET_AUTO_LOCK=%q is not a duration such as 5m (0 disables the lock)", v)
		}
		d = env
	}
	if fs.Changed("auto-lock") {
		return fs.GetDuration("auto-lock")
	}
	return d, nil
}

// cmdApp opens the app on the wallet: with no prompt when the OS keyring
// slot (or WISEWALLET_PASSPHRASE) opens it, else on the unlock screen.
func cmdApp(ctx context.Context, sio *cliIO, autoLock time.Duration) error {
	if autoLock < 0 {
		return usagef("--auto-lock must not be negative")
	}
	st, err := sio.store()
	if err != nil {
		return err
	}
	// Read the header first: a missing or damaged wallet is reported here,
	// with the usual exit codes, rather than on an unlock screen.
	if _, err := wallet.Inspect(st); errors.Is(err, wallet.ErrNoWallet) {
		return fmt.Errorf("no wallet at %s yet: run 'wisewallet init' to create one, or 'wisewallet demo' to try the app", st.Path())
	} else if err != nil {
		return err
	}
	opts := tui.Options{
		Unlock:   sio.unlockScreen(st),
		Env:      tui.Environment{WalletPath: st.Path()},
		AutoLock: autoLock,
	}
	svc, err := sio.appStart(ctx, st)
	if err != nil {
		return err
	}
	if svc != nil {
		// Only a service that is there: a nil *flows.Service in the
		// interface would not read as "show the unlock screen".
		opts.Service = svc
	}
	defer sio.audit().sayHeld() // the screen is the user's again
	return runTUI(ctx, sio, opts)
}

// appStart opens the wallet when no typing is needed: WISEWALLET_PASSPHRASE
// or the OS keyring slot. A nil service means "show the unlock screen".
func (sio *cliIO) appStart(ctx context.Context, st *wallet.FileStore) (*flows.Service, error) {
	w, err := sio.unlock(ctx, st, unlockAppStart)
	if errors.Is(err, errNeedsPassphrase) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return sio.newService(w), nil
}

// unlockScreen is the app's unlock: the passphrase typed there opens the
// wallet in st through the same unlock as the commands.
func (sio *cliIO) unlockScreen(st *wallet.FileStore) tui.UnlockFunc {
	return func(ctx context.Context, pass crypto.Secret) (tui.Backend, error) {
		w, err := sio.unlock(ctx, st, unlockTyped(pass))
		if err != nil {
			return nil, err
		}
		return sio.newService(w), nil
	}
}

// runTUI runs the app on the process's terminal: keys from stdin, drawing
// on stderr.
func runTUI(ctx context.Context, sio *cliIO, opts tui.Options) error {
	var in io.Reader = sio.stdin
	return tui.Run(ctx, opts, in, sio.stderr)
}
