// Command wisewallet is a terminal credential wallet for the Wise Platform
// API. main hardens the process, turns signals into cancellation and runs
// the command line (package cli); everything else lives below it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	// Must come before anything importing github.com/99designs/keyring;
	// see the package doc.
	_ "github.com/wisewallet/wisewallet/internal/dbusguard"

	"github.com/wisewallet/wisewallet/cli"
)

func main() {
	hardenProcess()
	ctx, stop := interruptContext()
	code := cli.Run(ctx, os.Args[1:])
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
