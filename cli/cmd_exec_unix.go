//go:build unix

package cli

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// forwardedSignals are passed on to exec's child.
var forwardedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH}

// foregroundCheck tells a signal the terminal sent from one sent to this
// process alone. The child is in this process's group, so Ctrl-C, Ctrl-\
// and a resize, which the terminal sends to its whole foreground group,
// reach it already: passed on as well, the child would get two (and a
// program that stops gracefully on the first Ctrl-C would take the
// second as "stop now").
type foregroundCheck struct{ tty *os.File }

func newForegroundCheck() foregroundCheck {
	f, err := os.OpenFile("/dev/tty", os.O_RDONLY|unix.O_NOCTTY, 0)
	if err != nil {
		return foregroundCheck{} // no controlling terminal: nothing comes from one
	}
	return foregroundCheck{tty: f}
}

func (c foregroundCheck) sentByTerminal(s os.Signal) bool {
	if c.tty == nil || (s != syscall.SIGINT && s != syscall.SIGQUIT && s != syscall.SIGWINCH) {
		return false
	}
	// A guess: in the terminal's foreground group, these came from the
	// terminal. It is wrong for a `kill -INT PID` of wisewallet in the
	// foreground, which is then not passed on.
	pgrp, err := unix.IoctlGetInt(int(c.tty.Fd()), unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}

func (c foregroundCheck) close() {
	if c.tty != nil {
		c.tty.Close()
	}
}
