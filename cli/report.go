package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/wisewallet/wisewallet/agent"
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
	exitSCA         = 6  // an SCA challenge not cleared: no factor the credential can use, blocked, interrupted, no terminal
	exitRejected    = 7  // whoami --check: Wise rejected the credential (401)
	exitDue         = 8  // status --check: something is due (expires, or is older than its rotation policy) within --within
	exitHTTP        = 22 // request: Wise answered with an HTTP error (as curl -f)
	exitInterrupted = 130
)

// usageError is a mistake in the command line itself: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// usageShown is a usage error whose explanation (the usage) is already on
// stderr: exit 2 with nothing more to say.
type usageShown struct{}

func (usageShown) Error() string { return "usage shown" }

// commandExit is an exit code a command chose itself: exec passes its
// child's through (err nil: nothing to say), request answers 22 for
// Wise's HTTP error (err says which).
type commandExit struct {
	code int
	err  error
}

func (e *commandExit) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *commandExit) Unwrap() error { return e.err }

// report prints err (if any) on stderr and maps it to an exit code. It is
// the one way out of the command line for every error, whether cobra found
// it in the arguments or a command returned it. Errors are matched by type
// and sentinel, never by their text.
func report(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	// Before the Ctrl-C case: a signal exec forwarded to its child ends
	// in the child's own exit code, which is exec's.
	var ce *commandExit
	if errors.As(err, &ce) {
		if ce.err != nil {
			fmt.Fprintf(stderr, "wisewallet: %s\n", words(ce.err, ce.code))
		}
		return ce.code
	}
	code := exitCodeOf(err)
	if code != exitInterrupted && errors.As(err, &usageShown{}) {
		return exitUsage
	}
	var found checkFound
	if code != exitInterrupted && errors.As(err, &found) {
		// A check's finding (status --check, whoami --check): its code
		// says what was found.
		code = found.code
	}
	var re *agent.RemoteError
	if code != exitInterrupted && !errors.As(err, &found) && errors.As(err, &re) {
		// Worded by the agent with this same mapping (agentWords): printed
		// as it is, with its code, so scripts see what they would see
		// without the agent; the context this command wrapped around it
		// (a hint only this side knows) is kept.
		fmt.Fprintf(stderr, "wisewallet: %s\n", err.Error())
		return re.Code
	}
	fmt.Fprintf(stderr, "wisewallet: %s\n", words(err, code))
	if code == exitDamaged && !errors.Is(err, wallet.ErrReplaced) {
		fmt.Fprintln(stderr, "The wallet file was not changed. Restore it from a backup, or move it aside and run 'wisewallet init'.")
	}
	return code
}

// exitCodeOf maps err to its exit code.
func exitCodeOf(err error) int {
	var ue usageError
	switch {
	// First: after Ctrl-C, whatever else the error says is a consequence.
	case errors.Is(err, context.Canceled), errors.Is(err, tui.ErrInterrupted):
		return exitInterrupted
	case errors.As(err, &ue), errors.Is(err, flows.ErrUsage), errors.Is(err, wallet.ErrNoPassphrase):
		return exitUsage
	case errors.Is(err, wallet.ErrWrongPassphrase):
		return exitWrongPass
	case errors.Is(err, wallet.ErrDamaged), errors.Is(err, wallet.ErrNotWallet), errors.Is(err, wallet.ErrUnsupportedVersion):
		return exitDamaged
	case errors.Is(err, flows.ErrNeedsLogin):
		return exitNeedsLogin
	case errors.Is(err, flows.ErrSCANotCleared):
		return exitSCA
	}
	return exitError
}

// agentWords is how the agent words an error for its client: the words
// and the exit code this command line would give it in-process.
func agentWords(err error) (string, int) {
	code := exitCodeOf(err)
	return words(err, code), code
}

// words is what the user reads for err: the place where errors of the
// lower layers are put into the command line's words (its commands and
// flags).
func words(err error, code int) string {
	switch {
	case code == exitInterrupted:
		// "context canceled" and where it was caught mean nothing to a
		// user who pressed Ctrl-C.
		return "interrupted"
	case errors.Is(err, flows.ErrUsage):
		// flows marks usage errors with a "usage: " prefix for errors.Is; the
		// user needs only the explanation after it.
		return strings.TrimPrefix(cliWords(err), "usage: ")
	}
	return cliWords(err)
}
