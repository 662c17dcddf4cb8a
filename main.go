// Command wisewallet is a terminal credential wallet for the Wise Platform
// API. This package is the command line: flags, prompts, exit codes and the
// wiring of tui/, flows/ and wallet/. The logic lives in those packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	// Must come before anything importing github.com/99designs/keyring;
	// see the package doc.
	_ "github.com/wisewallet/wisewallet/internal/dbusguard"

	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/tui"
	"github.com/wisewallet/wisewallet/wallet"
)

// Exit codes are a contract with scripts; keep them stable.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitWrongPass   = 3
	exitDamaged     = 4
	exitNeedsLogin  = 5
	exitInterrupted = 130
)

func main() {
	hardenProcess()
	ctx, stop := interruptContext()
	code := run(ctx, os.Args[1:], newSystemIO())
	stop()
	os.Exit(code)
}

// interruptContext is cancelled by the first SIGINT or SIGTERM, which
// lets a command stop cleanly (prompts restore the terminal, a save in
// progress finishes, exit 130). Then the signals get their default action
// back, so a second Ctrl-C kills a process that is slow to wind down
// instead of being swallowed.
func interruptContext() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	return ctx, stop
}

// command is one subcommand: a function of its arguments and the
// process's I/O, so tests can run it in-process.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, io *cliIO, args []string) error
}

var commands []command

func init() {
	commands = []command{
		{"demo", "offline demonstration against an in-process localwise", cmdDemo},
		{"init", "create a new encrypted wallet", cmdInit},
		{"add", "add a credential: add personal|client NAME --env ENV", cmdAdd},
		{"login", "OAuth login: login CLIENT --as NAME [--paste | --registration-code --email E]", cmdLogin},
		{"token", "print a valid access token for NAME (refreshed when due)", cmdToken},
		{"whoami", "who a credential acts as, its profiles and expiry", cmdWhoami},
		{"status", "what expires when, per entry (--json for scripts)", cmdStatus},
		{"list", "list entries (--json for scripts)", cmdList},
		{"show", "show one entry (--reveal to print its secrets)", cmdShow},
		{"rm", "remove an entry", cmdRemove},
		{"rename", "rename an entry: rename OLD NEW", cmdRename},
		{"passwd", "change the wallet passphrase", cmdPasswd},
		{"keyring", "OS keyring unlock: keyring status|enable|disable", cmdKeyring},
		{"localwise", "serve the local Wise stand-in: localwise [--addr A] [--token-ttl D] [--json]", cmdLocalwise},
		{"help", "show help", nil},
	}
}

// usageError is a mistake in the command line itself: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func run(ctx context.Context, args []string, sio *cliIO) int {
	// First of all, before anything can start a child process (the
	// browser, pass and gpg under the keyring library): children inherit
	// the environment, and the passphrases must not go with it.
	sio.takeEnvSecrets()
	global, rest, err := parseGlobal(args)
	if err != nil {
		return report(sio.stderr, err)
	}
	sio.dir = global.dir
	if len(rest) == 0 {
		// The terminal app; without a terminal, the usage (exit 2).
		return runApp(ctx, sio, nil)
	}
	name := rest[0]
	if name == "help" && len(rest) > 1 {
		// `wisewallet help list` is `wisewallet list --help`.
		name, rest = rest[1], []string{rest[1], "--help"}
	}
	if name == "help" || name == "-h" || name == "--help" {
		printUsage(sio.stdout)
		return exitOK
	}
	if strings.HasPrefix(name, "-") {
		return runApp(ctx, sio, rest) // `wisewallet --auto-lock 10m`
	}
	for _, c := range commands {
		if c.name == name && c.run != nil {
			return finish(ctx, sio, "wisewallet "+c.name+": "+c.summary, c.run(ctx, sio, rest[1:]))
		}
	}
	return report(sio.stderr, usagef("unknown command %q; run 'wisewallet help'", name))
}

// finish turns what a command returned into output and an exit code.
func finish(ctx context.Context, sio *cliIO, title string, err error) int {
	var help helpRequested
	if errors.As(err, &help) {
		fmt.Fprintf(sio.stdout, "%s\n\n%s", title, help.usage)
		return exitOK
	}
	if err != nil && ctx.Err() != nil && !errors.Is(err, context.Canceled) {
		// Whatever failed after Ctrl-C (a lock given up, a request cut
		// short) failed because of it: say so, and exit 130.
		err = fmt.Errorf("%w: %w", context.Canceled, err)
	}
	return report(sio.stderr, err)
}

// report prints err (if any) on stderr and maps it to an exit code.
// Errors are matched by type and sentinel, never by their text.
func report(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	var ue usageError
	code := exitError
	switch {
	// First: after Ctrl-C, whatever else the error says is a consequence.
	case errors.Is(err, context.Canceled), errors.Is(err, tui.ErrInterrupted):
		code = exitInterrupted
	case errors.As(err, &ue), errors.Is(err, flows.ErrUsage), errors.Is(err, wallet.ErrNoPassphrase):
		code = exitUsage
	case errors.Is(err, wallet.ErrWrongPassphrase):
		code = exitWrongPass
	case errors.Is(err, wallet.ErrDamaged), errors.Is(err, wallet.ErrNotWallet), errors.Is(err, wallet.ErrUnsupportedVersion):
		code = exitDamaged
	case errors.Is(err, flows.ErrNeedsLogin):
		code = exitNeedsLogin
	}
	msg := walletMessage(err)
	switch {
	case code == exitInterrupted:
		// "context canceled" and where it was caught mean nothing to a
		// user who pressed Ctrl-C.
		msg = "interrupted"
	case errors.Is(err, flows.ErrUsage):
		// flows marks usage errors with a "usage: " prefix for errors.Is; the
		// user needs only the explanation after it.
		msg = strings.TrimPrefix(msg, "usage: ")
	}
	fmt.Fprintf(stderr, "wisewallet: %s\n", msg)
	if code == exitDamaged && !errors.Is(err, wallet.ErrReplaced) {
		fmt.Fprintln(stderr, "The wallet file was not changed. Restore it from a backup, or move it aside and run 'wisewallet init'.")
	}
	return code
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `wisewallet: a credential wallet for the Wise Platform API

Usage:
  wisewallet [--dir DIR] [--auto-lock 5m]   the terminal app (on a terminal)
  wisewallet [--dir DIR] COMMAND [ARGS] [FLAGS]
  wisewallet COMMAND --help                 one command's arguments and flags

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Environment:
  WISEWALLET_DIR          wallet folder (default: `+defaultDirHint()+`)
  WISEWALLET_PASSPHRASE   the passphrase, for automation only (explicit opt-in;
                          it is removed from the environment at start, so no
                          process wisewallet starts inherits it)
  WISEWALLET_NEW_PASSPHRASE
                          the new passphrase for 'passwd' (same rules)
  WISEWALLET_KEYRING      OS keyring backend to use, or "none"
  WISEWALLET_AUTO_LOCK    the app locks after this idle time (default 5m, 0 never)

Exit codes:
  0 ok, 1 error, 2 usage error, 3 wrong passphrase, 4 wallet damaged or not a
  wallet, 5 login needed again, 130 interrupted
`)
}
