//go:build !linux && !darwin

package agent

import (
	"errors"
	"net"
)

// peerUID has no implementation here: without the kernel's word on who
// connected, every connection is refused.
func peerUID(*net.UnixConn) (int, error) {
	return -1, errors.New("agent: peer credentials are not supported on this system")
}
