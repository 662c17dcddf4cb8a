package cli

import (
	"errors"
	"strings"

	"github.com/wisewallet/wisewallet/wallet"
)

// The command line's words for the fixes that wallet errors carry as data
// (wallet.FixError): wallet/ says what is wrong and names the fix; only
// here does a fix become a command or a flag of this program.

// walletMessage is err's text as the command line prints it: what is
// wrong, with each fix worded where the wallet reported the problem. A
// FixError's text is copied verbatim into every message that wraps it
// (fmt's %w), so it marks the place its fix belongs, even inside a
// warning or a list of keyring backends.
func walletMessage(err error) string { return withWalletFixes(err.Error(), err) }

// withWalletFixes adds, inside msg (err's text, perhaps already reworded),
// the words of each wallet fix that err carries.
func withWalletFixes(msg string, err error) string {
	done := map[string]bool{}
	for _, fe := range fixErrors(err) {
		words := fixWords(fe)
		if words == "" || fe.What == "" || done[fe.What] {
			continue
		}
		done[fe.What] = true
		msg = strings.ReplaceAll(msg, fe.What, fe.What+words)
	}
	return msg
}

// fixErrors lists the FixErrors in err's tree, outermost first.
func fixErrors(err error) []*wallet.FixError {
	var out []*wallet.FixError
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if fe, ok := err.(*wallet.FixError); ok {
			out = append(out, fe)
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
	return out
}

// fixWords is what follows a FixError's text on the command line.
func fixWords(fe *wallet.FixError) string {
	switch fe.Fix {
	case wallet.FixCreateWallet:
		return ": run 'wisewallet init' first"
	case wallet.FixKeyringEnable:
		if errors.Is(fe.Err, wallet.ErrKeyringItemNotFound) {
			return "; run 'wisewallet keyring enable' to store a new one"
		}
		return "; run 'wisewallet keyring enable' to replace it"
	case wallet.FixRealFolder:
		return "; point WISEWALLET_DIR (or --dir) at the real folder"
	case wallet.FixUpgrade:
		return "; upgrade wisewallet"
	}
	return ""
}
