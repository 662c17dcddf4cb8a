package wallet

import (
	"errors"
	"fmt"
)

// Errors callers branch on. Each maps to its own exit code in the command
// line, so a script can tell "try another passphrase" from "restore a
// backup".
var (
	// ErrWrongPassphrase: the passphrase did not open the passphrase slot.
	// The file was intact (its checksum matched).
	ErrWrongPassphrase = errors.New("wrong passphrase")
	// ErrDamaged: the file is a wallet but cannot be read: truncated,
	// modified, or with out-of-range parameters.
	ErrDamaged = errors.New("wallet file is damaged")
	// ErrNotWallet: the file does not start like a wisewallet file.
	ErrNotWallet = errors.New("not a wisewallet file")
	// ErrUnsupportedVersion: written by a newer wisewallet.
	ErrUnsupportedVersion = errors.New("unsupported wallet format")
	// ErrNoWallet: there is no wallet file yet.
	ErrNoWallet = errors.New("no wallet found")
	// ErrExists: init found a wallet already there.
	ErrExists = errors.New("a wallet already exists")
	// ErrUnsafe: the file or folder has permissions or a type (symlink)
	// that would let someone else read or swap it.
	ErrUnsafe = errors.New("unsafe wallet location")
	// ErrLocked: another process held the wallet lock for too long.
	ErrLocked = errors.New("wallet is busy")
	// ErrEntryNotFound and ErrEntryExists concern entry names.
	ErrEntryNotFound = errors.New("no such entry")
	ErrEntryExists   = errors.New("entry already exists")
	// ErrInvalidName: an entry name with characters outside [A-Za-z0-9._-].
	ErrInvalidName = errors.New("invalid entry name")
	// ErrKeyringUnavailable: the OS keyring could not be used; the
	// passphrase still opens the wallet.
	ErrKeyringUnavailable = errors.New("OS keyring unavailable")
	// ErrNoPassphrase: a passphrase was needed and there was no way to ask.
	ErrNoPassphrase = errors.New("no passphrase available")
)

func damaged(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrDamaged, fmt.Sprintf(format, args...))
}
