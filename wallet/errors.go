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
	// ErrReplaced: since this process unlocked the wallet, its file was
	// replaced by another wallet (another wallet id): restored from a
	// backup of a different wallet, or an 'init' elsewhere copied over it.
	// Nothing is wrong with either file, but this process must not save
	// over the other wallet. Errors matching it match ErrDamaged too, so
	// the command line keeps exiting with the code of an unusable file.
	ErrReplaced = errors.New("the wallet file now belongs to another wallet")
)

// replacedError is ErrReplaced for one location.
type replacedError struct{ location string }

func (e *replacedError) Error() string {
	return fmt.Sprintf("%s now belongs to another wallet (a different wallet file was put in its place after this one was unlocked); nothing was saved; open it again to use the wallet that is there now", e.location)
}

func (e *replacedError) Is(target error) bool { return target == ErrReplaced || target == ErrDamaged }

func damaged(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrDamaged, fmt.Sprintf(format, args...))
}
