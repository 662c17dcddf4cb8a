//go:build linux

package agent

import (
	"net"
	"syscall"
)

// peerUID is the uid of the process at the other end of c, as the kernel
// recorded it at connect (SO_PEERCRED): file modes can be changed or
// raced, this cannot be forged by the peer.
func peerUID(c *net.UnixConn) (int, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	var cred *syscall.Ucred
	var serr error
	if err := raw.Control(func(fd uintptr) {
		cred, serr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return -1, err
	}
	if serr != nil {
		return -1, serr
	}
	return int(cred.Uid), nil
}
