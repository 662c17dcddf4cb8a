package agent

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// SocketPath is where the agent of the wallet in walletDir listens:
// runtimeDir/wisewallet/agent-<12 hex>.sock, the hex from SHA-256 of the
// wallet folder's absolute path (so each wallet has its own agent), or
// under os.TempDir()/wisewallet-<uid>/ when there is no runtime dir.
func SocketPath(runtimeDir, walletDir string) (string, error) {
	abs, err := filepath.Abs(walletDir)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(abs))
	dir := filepath.Join(os.TempDir(), "wisewallet-"+strconv.Itoa(os.Getuid()))
	if runtimeDir != "" {
		dir = filepath.Join(runtimeDir, "wisewallet")
	}
	p := filepath.Join(dir, fmt.Sprintf("agent-%x.sock", sum[:6]))
	if len(p) > maxSocketPath {
		return "", &SocketPathError{Path: p}
	}
	return p, nil
}

// maxSocketPath is the longest socket path every supported kernel takes
// (sun_path is 108 bytes on Linux, 104 on macOS, with its NUL).
const maxSocketPath = 103

// SocketPathError: the socket's path is too long for a unix socket.
type SocketPathError struct{ Path string }

func (e *SocketPathError) Error() string {
	return fmt.Sprintf("the agent's socket path %s is longer than a unix socket's %d bytes", e.Path, maxSocketPath)
}

// UnsafeDirError: the socket's folder is not this user's alone.
type UnsafeDirError struct {
	Dir    string
	Reason string
}

func (e *UnsafeDirError) Error() string {
	return fmt.Sprintf("the agent's folder %s %s; it must be a folder of yours that only you can open (mode 0700)", e.Dir, e.Reason)
}

// prepareDir makes the socket's folder (0700) when missing and refuses it
// when another uid owns it or others may enter it: whoever controls the
// folder can put their own socket in the agent's place, and a client
// would send it a PIN. The peer check on each connection stands behind
// this; this keeps a shared /tmp from being raced.
func prepareDir(dir string, create bool) error {
	if create {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return &UnsafeDirError{Dir: dir, Reason: "is a symbolic link"}
	case !fi.IsDir():
		return &UnsafeDirError{Dir: dir, Reason: "is not a folder"}
	case fi.Mode().Perm()&0o077 != 0:
		return &UnsafeDirError{Dir: dir, Reason: fmt.Sprintf("has mode %#o", fi.Mode().Perm())}
	}
	if uid, ok := ownerOf(fi); ok && uid != os.Getuid() {
		return &UnsafeDirError{Dir: dir, Reason: fmt.Sprintf("belongs to uid %d", uid)}
	}
	return nil
}

// ErrNoAgent: no agent answers at the socket.
var ErrNoAgent = errors.New("no agent is running")
