package main

import "golang.org/x/sys/unix"

// hardenProcess keeps secrets in this process's memory out of core dumps
// and away from other processes of the same user (ptrace, /proc/PID/mem):
// no core file, and not dumpable.
func hardenProcess() {
	_ = unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0})
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}
