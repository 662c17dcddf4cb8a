package flows

import (
	"context"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
)

// CreateWallet makes a new wallet in the folder dir, protected by
// passphrase with the KDF parameters kdf, and returns the use cases on
// it. `wisewallet init` has its own prompts and checks; tests and demos
// use this with a weak KDF.
func CreateWallet(ctx context.Context, dir string, passphrase crypto.Secret, kdf crypto.KDFParams, opts Options) (*Service, error) {
	w, err := wallet.Create(ctx, wallet.NewFileStore(dir), passphrase, wallet.Options{KDF: kdf})
	if err != nil {
		return nil, err
	}
	return New(w, opts), nil
}

// OpenWallet unlocks the wallet in the folder dir with a passphrase (no
// keyring) and returns the use cases on it.
func OpenWallet(ctx context.Context, dir string, passphrase crypto.Secret, opts Options) (*Service, error) {
	w, err := wallet.Open(ctx, wallet.NewFileStore(dir), wallet.Unlocker{
		Passphrase: func() (crypto.Secret, error) { return passphrase, nil },
	})
	if err != nil {
		return nil, err
	}
	return New(w, opts), nil
}
