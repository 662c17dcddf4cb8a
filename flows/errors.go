package flows

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// Errors are data here: each says what was wrong, and its fields say
// what fixes it. Their texts name no command, flag or key: the command
// line and the app put the fix in their own terms (cli_words.go,
// tui/). Callers branch with errors.Is and errors.As, never on text.

// Classes of failure callers branch on.
var (
	// ErrUsage marks errors in what the user asked for (a bad value, a
	// missing input), as opposed to failures while doing it.
	ErrUsage = errors.New("usage")
	// ErrNeedsLogin: the refresh token (or registration code) was rejected;
	// the user must log in again. The entry is kept and marked.
	ErrNeedsLogin = errors.New("needs login again")
	// ErrInvalidClient: Wise rejected the OAuth client id or secret.
	ErrInvalidClient = wise.ErrInvalidClient
	// ErrTokenRejected: a resource call answered 401 for the token.
	ErrTokenRejected = wise.ErrTokenRejected
	// ErrUnavailable: the network or Wise failed (timeouts, 5xx, 429) even
	// after retries; nothing was changed and trying later may work.
	ErrUnavailable = wise.ErrUnavailable
	// ErrUnreachable: a call got no answer (the network failed or the
	// host could not be reached): there is no x-trace-id. Wrapped in
	// ErrUnavailable after retries; a host not in DNS is final.
	ErrUnreachable = wise.ErrUnreachable
	// ErrCertificateRefused: an mTLS handshake was refused, by the server
	// (no certificate, one it does not trust or no longer accepts) or by
	// this side (the server's certificate is not trusted). Final.
	ErrCertificateRefused = wise.ErrCertificateRefused
)

// Errors of the wallet underneath that front ends branch on.
var (
	ErrWrongPassphrase    = wallet.ErrWrongPassphrase
	ErrDamaged            = wallet.ErrDamaged
	ErrNotWallet          = wallet.ErrNotWallet
	ErrUnsupportedVersion = wallet.ErrUnsupportedVersion
	ErrNoWallet           = wallet.ErrNoWallet
	ErrWalletBusy         = wallet.ErrLocked
	ErrUnsafeWallet       = wallet.ErrUnsafe
	ErrEntryExists        = wallet.ErrEntryExists
	ErrEntryNotFound      = wallet.ErrEntryNotFound
	ErrInvalidName        = wallet.ErrInvalidName
	// ErrRekeyed, ErrReplaced: the file was given new keys (a passphrase
	// change) or replaced since it was unlocked; the agent forgets then.
	ErrRekeyed  = wallet.ErrRekeyed
	ErrReplaced = wallet.ErrReplaced
)

// APIError is a failed call to Wise as data: the call, the HTTP status,
// Wise's error code and description, and the x-trace-id Wise support asks
// for. It never holds what was sent.
type APIError = wise.APIError

// TraceID returns the x-trace-id of the failed Wise call in err's chain,
// or "".
func TraceID(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.TraceID
	}
	return ""
}

// Input names what the user gave that an InputError is about.
type Input string

// The inputs use cases check.
const (
	InputEnv         Input = "environment"
	InputAPIURL      Input = "API URL"
	InputClientID    Input = "client id"
	InputRedirectURL Input = "redirect URL"
	InputEmail       Input = "email"
)

// Why an input was refused (InputError.Reason), besides ErrNotHTTPURL,
// ErrPlainHTTPRemote and ErrURLUserinfo (see CheckAPIURL).
var (
	ErrMissing    = errors.New("is missing")
	ErrUnknownEnv = errors.New("is not an environment")
	ErrNotEmail   = errors.New("is not an email address")
)

// InputError is a mistake in one input: which, what was given, and why it
// was refused. It matches ErrUsage and its Reason.
type InputError struct {
	Input Input
	Value string // as given; never a secret
	// Entry is the stored entry the input comes from, when it does (a
	// client stored without a redirect URL).
	Entry  string
	Reason error
}

func (e *InputError) Error() string {
	switch {
	case e.Input == InputEnv && e.Reason == ErrMissing:
		return "an environment is required: sandbox, production or local"
	case e.Input == InputEnv && e.Reason == ErrUnknownEnv:
		return fmt.Sprintf("unknown environment %q: use sandbox, production or local", e.Value)
	case e.Input == InputAPIURL && e.Reason == ErrMissing:
		return "the local environment needs the API URL its localwise server prints"
	case e.Input == InputClientID && e.Reason == ErrMissing:
		return "the client id is required (Developer Hub shows it)"
	case e.Input == InputRedirectURL && e.Reason == ErrMissing && e.Entry != "":
		return fmt.Sprintf("client %q has no redirect URL; store it again with the URL registered with Wise", e.Entry)
	case e.Input == InputEmail:
		return fmt.Sprintf("%q %v", e.Value, e.Reason)
	case e.Input == InputMessage:
		return fmt.Sprintf("the message %v", e.Reason)
	case e.Reason == ErrMissing:
		return fmt.Sprintf("the %s is missing", e.Input)
	}
	return fmt.Sprintf("%s %q %v", e.Input, e.Value, e.Reason)
}

func (e *InputError) Unwrap() []error { return []error{ErrUsage, e.Reason} }

// KindError is an entry of the wrong kind for what was asked: Want.
type KindError struct {
	Entry string
	Kind  Kind
	Want  Kind
	// For is what needed the entry, when not a login: "mtls" (a
	// certificate serves an OAuth client), "jose" (so does a JOSE key).
	For string
}

func (e *KindError) Error() string {
	if e.For == "edit" && e.Want == KindClient {
		return fmt.Sprintf("%q is a %s entry; a redirect URL and a client secret belong to an OAuth client entry", e.Entry, e.Kind)
	}
	if e.For == "edit" {
		return fmt.Sprintf("%q is a %s entry; a new token replaces a personal token entry's only (a user's tokens come from logging in again)", e.Entry, e.Kind)
	}
	if e.Want == KindClient && e.For == "mtls" {
		return fmt.Sprintf("%q is a %s entry; an mTLS certificate serves an OAuth client entry", e.Entry, e.Kind)
	}
	if e.Want == KindClient && e.For == "jose" {
		return fmt.Sprintf("%q is a %s entry; a JOSE key serves an OAuth client entry", e.Entry, e.Kind)
	}
	if e.Want == KindClient {
		return fmt.Sprintf("%q is a %s entry; login needs an OAuth client entry", e.Entry, e.Kind)
	}
	if e.For == "sca" && e.Want == KindUser {
		return fmt.Sprintf("%q is a %s entry; SCA factors (PIN, phone codes, this device) belong to an OAuth user entry, and a personal token clears a challenge only with its legacy SCA key", e.Entry, e.Kind)
	}
	if e.For == "sca" && e.Want == KindPersonal {
		return fmt.Sprintf("%q is a %s entry; a legacy SCA key signs for a personal token entry", e.Entry, e.Kind)
	}
	return fmt.Sprintf("%q is a %s entry, not a %s entry", e.Entry, e.Kind, e.Want)
}

func (e *KindError) Unwrap() error { return ErrUsage }

// NameTakenError is a login's entry name that is taken by something the
// login must not replace: another kind of entry or a login of another
// client, or (CodeLogin) a login by authorization code that a
// registration-code login would throw away. The fix is another name.
type NameTakenError struct {
	Name      string
	Client    string
	CodeLogin bool
}

func (e *NameTakenError) Error() string {
	if e.CodeLogin {
		return fmt.Sprintf("%v: %q holds a login by authorization code; choose another name for a registration-code user", ErrEntryExists, e.Name)
	}
	return fmt.Sprintf("%v: %q already exists and is not a login of client %q; choose another name for the login", ErrEntryExists, e.Name, e.Client)
}

func (e *NameTakenError) Unwrap() error { return ErrEntryExists }

// ExistingAccountError: a registration-code login was asked for an email
// that already has a Wise account, which only its owner can link, by
// logging in on Wise's page (the authorization-code login of Client as
// As).
type ExistingAccountError struct {
	Email, Client, As string
}

func (e *ExistingAccountError) Error() string {
	return fmt.Sprintf("%s already has a Wise account, which only its owner can link, by logging in on Wise's page (authorization code)", e.Email)
}

// NeedsLoginError says that the user entry Entry must log in again through
// its OAuth client Client, and why. It matches ErrNeedsLogin and Cause.
type NeedsLoginError struct {
	Entry, Client string
	// Email is set when the entry logs in with its registration code
	// (a partner-created user, who has no password for Wise's page).
	Email string
	// Unfinished: the entry never got a refresh token (its login did not
	// finish); otherwise Wise refused it.
	Unfinished bool
	// CodeRefused: Wise refused the registration code itself (the user
	// may have claimed the account): link the user by logging in on
	// Wise's page instead.
	CodeRefused bool
	// Cause is what Wise answered, when it did.
	Cause error
	// Lost is an earlier attempt that got no answer, after which Wise may
	// have used the refresh token.
	Lost error
}

// Problem is what is wrong, without the fix or the cause.
func (e *NeedsLoginError) Problem() string {
	if e.CodeRefused {
		return fmt.Sprintf("the registration code for %s is no longer accepted by Wise (the user may have claimed the account)", e.Email)
	}
	why := "Wise rejected its refresh token (expired or revoked)"
	if e.Unfinished {
		why = "its login did not finish"
	}
	return fmt.Sprintf("%q %v: %s", e.Entry, ErrNeedsLogin, why)
}

// Detail is the cause, as it follows the fix: empty, or ": ..." .
func (e *NeedsLoginError) Detail() string {
	switch {
	case e.Cause == nil:
		return ""
	case e.Lost != nil:
		return fmt.Sprintf(": %v (an earlier attempt got no answer, %v; Wise may have used the refresh token then)", e.Cause, e.Lost)
	}
	return ": " + e.Cause.Error()
}

func (e *NeedsLoginError) Error() string {
	var fix string
	switch {
	case e.CodeRefused:
		fix = "link it by logging in on Wise's page"
	case e.Email != "":
		fix = fmt.Sprintf("log in again with its registration code (%s) through the OAuth client %q", e.Email, e.Client)
	default:
		fix = fmt.Sprintf("log in again through the OAuth client %q", e.Client)
	}
	return e.Problem() + "; " + fix + e.Detail()
}

func (e *NeedsLoginError) Unwrap() []error {
	if e.Cause == nil {
		return []error{ErrNeedsLogin}
	}
	return []error{ErrNeedsLogin, e.Cause}
}

// PendingLoginError: a registration-code login failed after its entry
// Entry was saved, marked "needs login", with its registration code
// (saved before Wise sees the code, as Wise may create the user with it).
// Running the same login again finishes it. It matches Err.
type PendingLoginError struct {
	Entry, Client, Email string
	Err                  error
}

func (e *PendingLoginError) Error() string {
	// The cause may say "nothing was changed" of Wise; the wallet was.
	cause := strings.Replace(e.Err.Error(), "nothing was changed, try again later", "try again later", 1)
	return fmt.Sprintf("%s; the entry %q is kept, marked \"needs login\", with its registration code (Wise may have the user already): log in again with its registration code (%s) through the OAuth client %q to finish",
		cause, e.Entry, e.Email, e.Client)
}

func (e *PendingLoginError) Unwrap() error { return e.Err }

// MissingClientError: the user entry Entry cannot be refreshed because
// its OAuth client Client is no longer in the wallet (removing a client
// keeps the logins made through it). It does not match ErrEntryNotFound:
// the entry itself is there, and retrying cannot help. The fix is to add
// the client again under that name, or to log in through another.
type MissingClientError struct {
	Entry, Client string
	// Doing is what cannot be done without it: "" is a refresh;
	// "checked" an mTLS check; "uploaded" a JOSE key's upload; "sca" a
	// PIN or device call, whose body is encrypted to Wise's key.
	Doing string
}

func (e *MissingClientError) Error() string {
	if e.Doing == "uploaded" {
		return fmt.Sprintf("%q cannot be uploaded: its OAuth client %q is gone; add the client again under that name or link the key to another", e.Entry, e.Client)
	}
	if e.Doing == "sca" && e.Client == "" {
		return fmt.Sprintf("%q has no OAuth client, whose key fetch the PIN and device factors need (their bodies are encrypted to Wise's key); log in through a client", e.Entry)
	}
	if e.Doing == "sca" {
		return fmt.Sprintf("%q cannot encrypt a PIN or device fingerprint to Wise's key: its OAuth client %q, which fetches it, is gone; add the client again under that name or log in through another", e.Entry, e.Client)
	}
	if e.Doing == "checked" {
		return fmt.Sprintf("%q cannot be checked: its OAuth client %q is gone; add the client again under that name or link the entry to another", e.Entry, e.Client)
	}
	return fmt.Sprintf("%q cannot be refreshed: its OAuth client %q is gone; add the client again under that name or log in through another", e.Entry, e.Client)
}

// NoSecretError: an entry does not hold the secret asked for.
type NoSecretError struct{ Entry, Field string }

func (e *NoSecretError) Error() string { return fmt.Sprintf("%q holds no %s", e.Entry, e.Field) }
