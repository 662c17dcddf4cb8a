package wallet

import (
	"errors"
	"fmt"
	"strings"
)

// Errors callers branch on. Each maps to its own exit code in the command
// line, so a script can tell "try another passphrase" from "restore a
// backup".
var (
	// ErrWrongPassphrase: the passphrase did not open the passphrase slot.
	// The file's checksum matched, but that checksum is a plain SHA-256
	// anyone can recompute, not a MAC: a file altered on purpose (and its
	// checksum redone) looks the same as a wrong passphrase, so the words
	// say both.
	ErrWrongPassphrase = errors.New("wrong passphrase, or the file was altered")
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
	// ErrRekeyed: since this process unlocked the wallet, another one gave
	// it keys this process does not hold (a new passphrase), or altered its
	// key slots. Nothing was saved; opening the wallet again reads it.
	ErrRekeyed = errors.New("the wallet's keys were changed by another process (or its key slots were altered) since it was unlocked here; nothing was saved; open it again")
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

// Fix is what resolves an error. The wallet says what is wrong and names
// the fix; each front end words it in its own terms (a command with its
// flags, a key in the app), so no command text lives below them.
type Fix uint8

// Fixes.
const (
	FixNone Fix = iota
	// FixCreateWallet: there is no wallet at the location yet; create one.
	FixCreateWallet
	// FixKeyringEnable: enable the keyring slot again, which stores a new
	// item in the OS keyring; the item there is missing or does not open
	// this wallet. (FixError.Err matches ErrKeyringItemNotFound when it is
	// missing.)
	FixKeyringEnable
	// FixRealFolder: the wallet folder named is a symbolic link; name the
	// folder it points to instead.
	FixRealFolder
	// FixUpgrade: a newer version wrote what this one cannot read.
	FixUpgrade
)

// FixError is an error with a known fix. Its text says what is wrong and
// nothing more; a front end finds it with errors.As under any wrapping and
// adds the fix in its own words. It matches Err with errors.Is, so
// errors.Is(err, ErrNoWallet) and the like keep working.
type FixError struct {
	// What is wrong, as Error returns it: "no wallet found at PATH".
	What string
	// Location is the wallet file or folder concerned, when there is one.
	Location string
	Fix      Fix
	// Err is the sentinel it matches, or the cause; nil when neither.
	Err error
}

func (e *FixError) Error() string { return e.What }

func (e *FixError) Unwrap() error { return e.Err }

// noWallet is ErrNoWallet for the wallet file at path.
func noWallet(path string) error {
	return &FixError{What: fmt.Sprintf("%v at %s", ErrNoWallet, path), Location: path, Fix: FixCreateWallet, Err: ErrNoWallet}
}

// newerVersion is ErrUnsupportedVersion for something a newer version
// wrote: a format version, a body schema, a field or a section.
func newerVersion(format string, args ...any) error {
	return &FixError{What: fmt.Sprintf("%v: %s", ErrUnsupportedVersion, fmt.Sprintf(format, args...)), Fix: FixUpgrade, Err: ErrUnsupportedVersion}
}

// keyringItemUnusable is a keyring item problem that only storing a new
// item fixes; cause is matched with errors.Is (ErrKeyringItemNotFound).
func keyringItemUnusable(what string, cause error) error {
	return &FixError{What: what, Fix: FixKeyringEnable, Err: cause}
}

// joinedErrors is several errors in one message, "a; b", that errors.Is
// and errors.As still look into (a front end finds the fix of each).
type joinedErrors []error

func (j joinedErrors) Error() string {
	var b strings.Builder
	for i, err := range j {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(err.Error())
	}
	return b.String()
}

func (j joinedErrors) Unwrap() []error { return j }
