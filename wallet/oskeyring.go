package wallet

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strings"

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

// OpenOSKeyring returns the first backend that opens and answers within
// the keyring timeout; with want set (from WISEWALLET_KEYRING), only that
// one. "none" disables the keyring. probe additionally proves the backend
// can store and return an item, which `keyring enable` needs and opening
// a wallet does not.
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
	var reasons []string
	for _, name := range candidates {
		k, err := callKeyring(ctx, func() (Keyring, error) { return openBackend(name) })
		if err == nil && probe {
			err = probeKeyring(ctx, k)
		}
		if err == nil {
			return k, nil
		}
		reasons = append(reasons, fmt.Sprintf("%s: %v", name, err))
	}
	return nil, fmt.Errorf("%w (%s)", ErrKeyringUnavailable, strings.Join(reasons, "; "))
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
