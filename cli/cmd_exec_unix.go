//go:build unix

package cli

import (
	"os"
	"path/filepath"
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

// lockExclusive takes an exclusive flock on f; with nowait, only if free.
func lockExclusive(f *os.File, nowait bool) error {
	how := unix.LOCK_EX
	if nowait {
		how |= unix.LOCK_NB
	}
	for {
		err := unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			return err
		}
	}
}

// ownedByMe reports whether fi is this user's.
func ownedByMe(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}

// sweepTokenFolders removes the token folders in base that no exec holds
// any more: its own (the owner checked, never through a symlink), with a
// lock file nobody has locked. A folder without a lock file (being made,
// or left by an older wisewallet) is left alone. The lock, not a process
// id, tells the live: a pid says nothing across PID namespaces that share
// a TMPDIR.
func sweepTokenFolders(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, tokenFolderPrefix+"*"))
	for _, dir := range dirs {
		if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() || !ownedByMe(fi) {
			continue
		}
		lock, err := os.OpenFile(filepath.Join(dir, tokenFolderLock), os.O_RDWR|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
		if err != nil {
			continue
		}
		if lockExclusive(lock, true) == nil {
			os.RemoveAll(dir)
		}
		lock.Close()
	}
}
