package flows

import (
	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
)

// Names the terminal app needs from the layers below. tui/ talks to flows
// only (design.md); these aliases give it the types without an import
// arrow that skips a layer.
type (
	// Entry is one credential in the wallet.
	Entry = wallet.Entry
	// Kind says what an entry holds.
	Kind = wallet.Kind
	// Environment is where a credential is valid.
	Environment = wallet.Environment
	// The groups of fields an Entry embeds (Entry* here: flows has
	// Identity and Tokens types of its own).
	EntryIdentity    = wallet.Identity
	EntryOAuthClient = wallet.OAuthClient
	EntryTokens      = wallet.Tokens
	EntryKey         = wallet.Key
	EntryCertificate = wallet.Certificate
	// Wallet is an unlocked wallet.
	Wallet = wallet.Wallet
	// Secret is a redacting holder of secret bytes.
	Secret = crypto.Secret
)

// Entry kinds, statuses, secret field names and environment names.
const (
	KindPersonal = wallet.KindPersonal
	KindClient   = wallet.KindClient
	KindUser     = wallet.KindUser
	KindSCA      = wallet.KindSCA
	KindMTLS     = wallet.KindMTLS
	KindJOSE     = wallet.KindJOSE

	StatusOK         = wallet.StatusOK
	StatusNeedsLogin = wallet.StatusNeedsLogin
	StatusRevoked    = wallet.StatusRevoked

	SecretToken            = wallet.SecretToken
	SecretClientSecret     = wallet.SecretClientSecret
	SecretAccessToken      = wallet.SecretAccessToken
	SecretRefreshToken     = wallet.SecretRefreshToken
	SecretRegistrationCode = wallet.SecretRegistrationCode
	SecretPrivateKey       = wallet.SecretPrivateKey

	EnvSandbox    = wallet.EnvSandbox
	EnvProduction = wallet.EnvProduction
	EnvLocal      = wallet.EnvLocal
)

// Errors the app branches on.
var (
	ErrWrongPassphrase = wallet.ErrWrongPassphrase
	ErrDamaged         = wallet.ErrDamaged
	ErrEntryExists     = wallet.ErrEntryExists
	ErrEntryNotFound   = wallet.ErrEntryNotFound
)

// SecretString wraps s as a Secret.
func SecretString(s string) Secret { return crypto.SecretString(s) }
