package agent

import (
	"errors"
	"slices"

	"github.com/wisewallet/wisewallet/flows"
)

// An error crosses the socket as words and an exit code, and also as
// what a caller asks of it with errors.Is and errors.As: `request` tells
// Wise's HTTP error (exit 22) from an SCA challenge not cleared (exit 6),
// `whoami --check` a rejected token (7) from a refused refresh (5), exec's
// token refresher a login needed from a passing failure. Through the agent
// they must decide as they do in-process, so the sentinels the error
// matched travel by name and Wise's failed call as data.

// sentinels are the errors a RemoteError can match, by their wire name.
// Adding one is a protocol change both sides share (one table).
var sentinels = map[string]error{
	"needs_login":      flows.ErrNeedsLogin,
	"sca_not_cleared":  flows.ErrSCANotCleared,
	"challenge_again":  flows.ErrChallengeAgain,
	"token_rejected":   flows.ErrTokenRejected,
	"invalid_client":   flows.ErrInvalidClient,
	"usage":            flows.ErrUsage,
	"entry_not_found":  flows.ErrEntryNotFound,
	"ott_used_or_gone": errOTTUsed,
}

// errOTTUsed stands for a *flows.OTTUsedError in the table: it is a type,
// not a sentinel, and RemoteError.As rebuilds it.
var errOTTUsed = errors.New("one-time token used or expired")

// matched is the wire names of the sentinels err matches.
func matched(err error) []string {
	var out []string
	var used *flows.OTTUsedError
	for name, s := range sentinels {
		if errors.Is(err, s) || (s == errOTTUsed && errors.As(err, &used)) {
			out = append(out, name)
		}
	}
	slices.Sort(out) // one frame for one error
	return out
}

// apiErrorOf is Wise's failed call in err's chain, as data (it holds no
// secret: see wise.APIError), or nil.
func apiErrorOf(err error) *apiErrorBody {
	var ae *flows.APIError
	if !errors.As(err, &ae) {
		return nil
	}
	return &apiErrorBody{Op: ae.Op, Status: ae.Status, Code: ae.Code, Description: ae.Description, Args: ae.Args, TraceID: ae.TraceID}
}

// apiErrorBody is a flows.APIError on the wire.
type apiErrorBody struct {
	Op          string   `json:"op"`
	Status      int      `json:"status"`
	Code        string   `json:"code,omitempty"`
	Description string   `json:"description,omitempty"`
	Args        []string `json:"args,omitempty"`
	TraceID     string   `json:"trace_id,omitempty"`
	OTT         string   `json:"ott,omitempty"`
}

// Is reports the sentinels the error matched in the agent, and a locked
// agent's refusal as ErrLocked.
func (e *RemoteError) Is(target error) bool {
	if target == ErrLocked {
		return e.locked
	}
	for _, name := range e.is {
		if s, ok := sentinels[name]; ok && s == target {
			return true
		}
	}
	return false
}

// As rebuilds Wise's failed call (*flows.APIError) and a used one-time
// token (*flows.OTTUsedError) from what crossed the socket.
func (e *RemoteError) As(target any) bool {
	switch t := target.(type) {
	case **flows.APIError:
		if e.api == nil {
			return false
		}
		*t = &flows.APIError{Op: e.api.Op, Status: e.api.Status, Code: e.api.Code, Description: e.api.Description, Args: e.api.Args, TraceID: e.api.TraceID}
		return true
	case **flows.OTTUsedError:
		if !e.Is(errOTTUsed) {
			return false
		}
		*t = &flows.OTTUsedError{OTT: e.ott}
		return true
	}
	return false
}
