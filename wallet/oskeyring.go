package wallet

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/99designs/keyring"

	// Initialised before the keyring package (see its doc), so no program
	// or test binary that links wallet/ leaves a dbus-daemon behind.
	_ "github.com/wisewallet/wisewallet/internal/dbusguard"

	"github.com/wisewallet/wisewallet/crypto"
)

// osKeyring adapts github.com/99designs/keyring to Keyring.
type osKeyring struct {
	name string
	kr   keyring.Keyring
}

func (k osKeyring) Name() string { return k.name }

func (k osKeyring) Get(key string) ([]byte, error) {
	it, err := k.kr.Get(key)
	if errors.Is(err, keyring.ErrKeyNotFound) {
		return nil, ErrKeyringItemNotFound
	}
	if err != nil {
		return nil, err
	}
	return it.Data, nil
}

func (k osKeyring) Set(key string, value []byte) error {
	return k.kr.Set(keyring.Item{Key: key, Data: value, Label: "wisewallet unlock key", Description: "unlocks a wisewallet wallet without its passphrase"})
}

func (k osKeyring) Remove(key string) error {
	err := k.kr.Remove(key)
	if errors.Is(err, keyring.ErrKeyNotFound) {
		return ErrKeyringItemNotFound
	}
	return err
}

// OSKeyringBackends lists the backends wisewallet will use on this
// platform, in the order tried. The library's "file" backend is never
// used: its KDF is weak and its writes are not atomic, and the wallet file
// already does that job properly.
func OSKeyringBackends() []string {
	switch runtime.GOOS {
	case "darwin":
		return []string{string(keyring.KeychainBackend)}
	case "windows":
		return []string{string(keyring.WinCredBackend)}
	default:
		// keyctl keeps keys in kernel memory only (gone at reboot): a cache
		// for headless machines, which is all a keyring slot needs to be.
		return []string{string(keyring.SecretServiceBackend), string(keyring.KWalletBackend), string(keyring.KeyCtlBackend), string(keyring.PassBackend)}
	}
}

// OpenOSKeyring returns the keyring to use; with want set (from
// WISEWALLET_KEYRING), only that backend. "none" disables the keyring.
//
// With probe, the result is the first backend that proves it can store and
// return an item: `keyring enable` stores the item there. Without probe
// (opening a wallet, status, disable), the result starts with the first
// backend that opens, and when the item is not there (or does not open the
// wallet) goes on to the next backends in the order of OSKeyringBackends,
// opening them only then; its Name becomes that of the backend whose item
// opened the wallet. The backend that worked at enable time need not be
// the first to open now: enabled with keyctl over SSH, opened in a desktop
// session where Secret Service opens first.
func OpenOSKeyring(ctx context.Context, want string, probe bool) (Keyring, error) {
	if want == "none" {
		return nil, fmt.Errorf("%w: disabled by WISEWALLET_KEYRING=none", ErrKeyringUnavailable)
	}
	candidates := OSKeyringBackends()
	if want != "" {
		if !contains(candidates, want) {
			return nil, fmt.Errorf("%w: backend %q is not supported here (choose one of %s)", ErrKeyringUnavailable, want, strings.Join(candidates, ", "))
		}
		candidates = []string{want}
	}
	return openFirst(ctx, candidates, probe, openBackend)
}

// openFirst is OpenOSKeyring's choice among candidates, with the opener as
// a parameter so tests can use fake backends.
func openFirst(ctx context.Context, candidates []string, probe bool, open func(name string) (Keyring, error)) (Keyring, error) {
	var reasons []string
	for i, name := range candidates {
		k, err := callKeyring(ctx, func() (Keyring, error) { return open(name) })
		if err == nil && probe {
			err = probeKeyring(ctx, k)
		}
		if err != nil {
			reasons = append(reasons, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		if probe || i == len(candidates)-1 {
			return k, nil
		}
		// Opening every backend up front would cost time and could prompt
		// (KWallet asks to unlock on open); the others are opened only if
		// this one does not have the item.
		a := &anyKeyring{open: open, cands: []candidate{{name: name, k: k, tried: true}}}
		for _, n := range candidates[i+1:] {
			a.cands = append(a.cands, candidate{name: n})
		}
		return a, nil
	}
	return nil, fmt.Errorf("%w (%s)", ErrKeyringUnavailable, strings.Join(reasons, "; "))
}

// anyKeyring is several backends searched in order for the wallet's item
// (see OpenOSKeyring). The first is open; the others are opened when the
// search reaches them.
type anyKeyring struct {
	open func(name string) (Keyring, error)

	mu    sync.Mutex // guards cands' k, err and tried, and holder
	cands []candidate
	// holder is the backend whose item opened the wallet, once known; Set
	// and Name use it.
	holder Keyring
}

type candidate struct {
	name  string
	k     Keyring // nil until opened, or when it would not open
	err   error   // why it would not open
	tried bool
}

// member opens the i-th backend if that was not tried yet.
func (a *anyKeyring) member(ctx context.Context, i int) (Keyring, error) {
	a.mu.Lock()
	c := a.cands[i]
	a.mu.Unlock()
	if c.tried {
		return c.k, c.err
	}
	k, err := callKeyring(ctx, func() (Keyring, error) { return a.open(c.name) })
	a.mu.Lock()
	a.cands[i].k, a.cands[i].err, a.cands[i].tried = k, err, true
	a.mu.Unlock()
	return k, err
}

func (a *anyKeyring) found() Keyring {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.holder
}

// Name is the backend holding the item once it was found, else the list
// of backends that will be searched.
func (a *anyKeyring) Name() string {
	if h := a.found(); h != nil {
		return h.Name()
	}
	names := make([]string, len(a.cands))
	for i := range a.cands {
		names[i] = a.cands[i].name // never changes
	}
	return strings.Join(names, " or ")
}

var errNoTimeLeft = fmt.Errorf("%w: not searched, no time left", ErrKeyringUnavailable)

// each calls f with every backend that opens, in order, until f returns
// true, all within one KeyringTimeout. Backends that do not open (or are
// not reached in time) are reported to skipped.
func (a *anyKeyring) each(ctx context.Context, f func(ctx context.Context, k Keyring) (stop bool), skipped func(name string, err error)) {
	ctx, cancel := context.WithTimeout(ctx, KeyringTimeout)
	defer cancel()
	for i := range a.cands {
		name := a.cands[i].name // never changes; the rest is under mu
		if ctx.Err() != nil {
			skipped(name, errNoTimeLeft)
			continue
		}
		k, err := a.member(ctx, i)
		if err != nil {
			skipped(name, err)
			continue
		}
		if f(ctx, k) {
			return
		}
	}
}

// Get returns the first item found, in backend order. Opening a wallet
// does not use it (see unwrap, which goes on past an item that does not
// open the wallet); it is here for the Keyring interface.
func (a *anyKeyring) Get(key string) ([]byte, error) {
	var v []byte
	var errs []string
	a.each(context.Background(), func(ctx context.Context, k Keyring) bool {
		got, err := callKeyring(ctx, func() ([]byte, error) { return k.Get(key) })
		if err == nil {
			v = got
			return true
		}
		if !errors.Is(err, ErrKeyringItemNotFound) {
			errs = append(errs, fmt.Sprintf("%s: %v", k.Name(), err))
		}
		return false
	}, func(string, error) {})
	switch {
	case v != nil:
		return v, nil
	case len(errs) > 0:
		return nil, errors.New(strings.Join(errs, "; "))
	}
	return nil, ErrKeyringItemNotFound
}

// Set stores in the backend that held the item, else in the first one.
func (a *anyKeyring) Set(key string, value []byte) error {
	if h := a.found(); h != nil {
		return h.Set(key, value)
	}
	return a.cands[0].k.Set(key, value)
}

// Remove removes the item from every backend that opens and has one, so
// that `keyring disable` also clears a copy left in another backend by an
// earlier enable.
func (a *anyKeyring) Remove(key string) error {
	removed := false
	var errs []string
	a.each(context.Background(), func(ctx context.Context, k Keyring) bool {
		_, err := callKeyring(ctx, func() (struct{}, error) { return struct{}{}, k.Remove(key) })
		switch {
		case err == nil:
			removed = true
		case !errors.Is(err, ErrKeyringItemNotFound):
			errs = append(errs, fmt.Sprintf("%s: %v", k.Name(), err))
		}
		return false
	}, func(string, error) {})
	switch {
	case len(errs) > 0:
		return errors.New(strings.Join(errs, "; "))
	case !removed:
		return ErrKeyringItemNotFound
	}
	return nil
}

// unwrap tries each backend's item in order until one opens the keyring
// slot of f; an item that does not (left by an earlier enable in another
// backend) is passed over. All of it shares one KeyringTimeout.
func (a *anyKeyring) unwrap(ctx context.Context, f *sealedFile) (dek, kek []byte, err error) {
	// searched: opened, and no item there. problems: what the user should
	// hear about (a bad item, an error, a backend that did not answer).
	// unopened: backends not available here, worth saying only when no
	// backend could be searched at all.
	var searched, unopened []string
	// problems keep their errors, so that a front end still finds the
	// fix each one carries (FixError).
	var problems joinedErrors
	a.each(ctx, func(ctx context.Context, k Keyring) bool {
		var err error
		dek, kek, err = unwrapFrom(ctx, k, f)
		switch {
		case err == nil:
			a.mu.Lock()
			a.holder = k
			a.mu.Unlock()
			return true
		case errors.Is(err, ErrKeyringItemNotFound):
			searched = append(searched, k.Name())
		default:
			problems = append(problems, fmt.Errorf("%s: %w", k.Name(), err))
		}
		return false
	}, func(name string, err error) {
		if errors.Is(err, ErrKeyringUnavailable) {
			problems = append(problems, fmt.Errorf("%s: %w", name, err))
		} else {
			unopened = append(unopened, fmt.Sprintf("%s: %v", name, err))
		}
	})
	switch {
	case dek != nil:
		return dek, kek, nil
	case len(problems) == 0 && len(searched) > 0:
		// Every backend that opened was searched and none has the item.
		return nil, nil, keyringItemUnusable(fmt.Sprintf("%v in %s", ErrKeyringItemNotFound, strings.Join(searched, " or ")), ErrKeyringItemNotFound)
	case len(problems) == 0:
		return nil, nil, errors.New(strings.Join(unopened, "; "))
	}
	for _, name := range searched {
		// Text only: with problems elsewhere, the item is not known to be
		// missing, so the result must not match ErrKeyringItemNotFound.
		problems = append(problems, errors.New(name+": "+ErrKeyringItemNotFound.Error()))
	}
	return nil, nil, problems
}

func openBackend(name string) (Keyring, error) {
	kr, err := keyring.Open(keyring.Config{
		ServiceName:              "wisewallet",
		AllowedBackends:          []keyring.BackendType{keyring.BackendType(name)},
		KeyCtlScope:              "user",
		LibSecretCollectionName:  "login",
		KWalletAppID:             "wisewallet",
		KWalletFolder:            "wisewallet",
		KeychainTrustApplication: true,
		WinCredPrefix:            "wisewallet",
		PassPrefix:               "wisewallet",
	})
	if errors.Is(err, keyring.ErrNoAvailImpl) {
		return nil, fmt.Errorf("not available on this machine (%s)", backendHint(name))
	}
	if err != nil {
		return nil, err
	}
	return osKeyring{name: name, kr: kr}, nil
}

// probeKeyring does a set/get/remove round trip with a throwaway item: a
// Secret Service bus with no provider opens fine and fails only on use.
// The item name is random so that two processes probing at once (two
// `keyring enable` runs, parallel test binaries) do not remove each
// other's probe and report a working keyring as broken.
func probeKeyring(ctx context.Context, k Keyring) error {
	key := "probe-" + hex.EncodeToString(crypto.RandomBytes(8))
	_, err := callKeyring(ctx, func() (struct{}, error) {
		if err := k.Set(key, []byte("ok")); err != nil {
			return struct{}{}, err
		}
		b, err := k.Get(key)
		if err != nil {
			return struct{}{}, err
		}
		if string(b) != "ok" {
			return struct{}{}, errors.New("returned a different value")
		}
		return struct{}{}, k.Remove(key)
	})
	return err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// backendHint says what a backend needs, for the "not available" message.
func backendHint(name string) string {
	switch name {
	case string(keyring.SecretServiceBackend):
		return "needs a D-Bus session with a Secret Service provider such as gnome-keyring or KeePassXC"
	case string(keyring.KWalletBackend):
		return "needs a D-Bus session with KDE Wallet"
	case string(keyring.KeyCtlBackend):
		return "needs the kernel key retention service, which containers often block"
	case string(keyring.PassBackend):
		return "needs 'pass' and gpg on PATH with an initialised password store"
	}
	return "no such backend in this build"
}
