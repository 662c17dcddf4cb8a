//go:build !unix

package cli

import "os"

// forwardedSignals are passed on to exec's child: here, only an interrupt.
var forwardedSignals = []os.Signal{os.Interrupt}

// foregroundCheck: no process groups to tell terminal signals apart by.
type foregroundCheck struct{}

func newForegroundCheck() foregroundCheck             { return foregroundCheck{} }
func (foregroundCheck) sentByTerminal(os.Signal) bool { return false }
func (foregroundCheck) close()                        {}
