package flows

import "github.com/wisewallet/wisewallet/wallet"

// NeverShown reports whether a secret of an entry is one this program
// never shows or copies, whatever the user asks: the registration code of
// a partner-created user. wisewallet generates it, seals it in the wallet
// before Wise sees it and uses it itself to log the user in again; with
// the client's credentials it gets tokens for the user, so a copy seen on
// a screen, kept in a terminal's scrollback or left on a clipboard would
// be a way into the user's account that nothing here can take back.
func NeverShown(field string) bool { return field == wallet.SecretRegistrationCode }

// NeverShownText says why a NeverShown secret is not shown.
const NeverShownText = "The registration code is never shown or copied: wisewallet made it and uses it itself to log the user in again; with the client's credentials it gets the user's tokens, so it stays sealed in the wallet."
