package flows

import (
	"errors"

	"github.com/wisewallet/wisewallet/wise"
)

// Errors callers branch on.
var (
	// ErrNeedsLogin: the refresh token (or registration code) was rejected;
	// the user must log in again. The entry is kept and marked.
	ErrNeedsLogin = errors.New("login needed again")
	// ErrInvalidClient: Wise rejected the OAuth client id or secret.
	ErrInvalidClient = wise.ErrInvalidClient
	// ErrTokenRejected: a resource call answered 401 for the token.
	ErrTokenRejected = wise.ErrTokenRejected
	// ErrUnavailable: the network or Wise failed (timeouts, 5xx, 429) even
	// after retries; nothing was changed and trying later may work.
	ErrUnavailable = wise.ErrUnavailable
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
