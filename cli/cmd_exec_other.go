//go:build !unix

package cli

import (
	"errors"
	"os"
)

// forwardedSignals are passed on to exec's child: here, only an interrupt.
var forwardedSignals = []os.Signal{os.Interrupt}

// foregroundCheck: no process groups to tell terminal signals apart by.
type foregroundCheck struct{}

func newForegroundCheck() foregroundCheck             { return foregroundCheck{} }
func (foregroundCheck) sentByTerminal(os.Signal) bool { return false }
func (foregroundCheck) close()                        {}

// lockExclusive: no flock here. The live lock is nothing, and no folder
// is ever taken for a dead exec's.
func lockExclusive(_ *os.File, nowait bool) error {
	if nowait {
		return errors.ErrUnsupported
	}
	return nil
}

// sweepTokenFolders: without flock, a live exec's folder cannot be told
// from a dead one's; none is removed.
func sweepTokenFolders(string) {}
