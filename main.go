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

// interruptContext is cancelled by the first SIGINT, SIGTERM or SIGHUP
// (the terminal was closed), which lets a command stop cleanly (prompts
// restore the terminal, a save in progress finishes, the demo deletes its
// wallet, exit 130). Then the signals get their default action back, so a
// second Ctrl-C kills a process that is slow to wind down instead of being
// swallowed. A SIGHUP ignored at start (nohup) stays ignored.
func interruptContext() (context.Context, context.CancelFunc) {
	sigs := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if !signal.Ignored(syscall.SIGHUP) {
		sigs = append(sigs, syscall.SIGHUP)
	}
	ctx, stop := signal.NotifyContext(context.Background(), sigs...)
	context.AfterFunc(ctx, stop)
	return ctx, stop
}
