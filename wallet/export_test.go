package wallet

import "context"

// OpenKeyringsWith is OpenOSKeyring's choice among backends, with opener
// in place of the real backends, for tests with fakes.
func OpenKeyringsWith(ctx context.Context, names []string, probe bool, open func(name string) (Keyring, error)) (Keyring, error) {
	return openFirst(ctx, names, probe, open)
}
