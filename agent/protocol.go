// Package agent keeps one unlocked wallet in memory behind a unix socket
// that only processes of the same uid may use (checked with the kernel's
// peer credentials), and offers operations on it, never its keys: list,
// entries without secret values, access tokens (refreshed under the
// wallet lock as `token` does), Wise calls, and signing and decryption
// with key entries (Client.Signer is a crypto.Signer whose private key
// stays in the agent). It forgets everything on lock, stop, idle timeout,
// and when the wallet file is given new keys.
package agent

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/wisewallet/wisewallet/flows"
)

// The protocol: newline-delimited JSON frames over one connection per
// request. The client sends one request frame; the agent answers with one
// final frame ("ok" or "error"), before which a call may send solver
// frames (choose, pin, otp: the client answers each with an answer frame;
// progress: no answer).

// maxFrame caps every frame either side reads: a call's body (at most
// 1 MiB, base64 in JSON) and its answer fit; anything larger is refused
// before it is buffered.
const maxFrame = 4 << 20

// The ops.
const (
	opStatus     = "status"
	opList       = "list"
	opEntry      = "entry"
	opStatusRows = "status-rows"
	opToken      = "token"
	opRenew      = "renew"
	opWhoami     = "whoami"
	opCall       = "call"
	opPublic     = "public"
	opSign       = "sign"
	opDecrypt    = "decrypt"
	opLock       = "lock"
	opStop       = "stop"
)

// Frame kinds the agent sends.
const (
	kindOK       = "ok"
	kindError    = "error"
	kindChoose   = "choose"
	kindPIN      = "pin"
	kindOTP      = "otp"
	kindProgress = "progress"
	// kindRateLimit: Wise answered 429 and the call waits (RateLimit).
	kindRateLimit = "rate_limit"
	kindAnswer    = "answer" // the client's, to choose, pin and otp
)

// request is the client's first frame.
type request struct {
	Op string `json:"op"`
	// Command is the client's command ("token", "request"): the agent runs
	// the use case with flows.WithCommand for the audit log.
	Command string           `json:"command,omitempty"`
	Name    string           `json:"name,omitempty"`
	Now     time.Time        `json:"now,omitzero"`
	Call    *flows.CallInput `json:"call,omitempty"`
	// sign and decrypt
	Digest     []byte `json:"digest,omitempty"`
	Hash       uint   `json:"hash,omitempty"` // crypto.Hash
	PSS        bool   `json:"pss,omitempty"`
	SaltLength int    `json:"salt_length,omitempty"`
	Ciphertext []byte `json:"ciphertext,omitempty"`
	Label      []byte `json:"label,omitempty"`
}

// answer is the client's reply to a solver frame.
type answer struct {
	Kind   string          `json:"kind"`
	Factor flows.SCAFactor `json:"factor,omitempty"`
	// Secret is the PIN or code typed at the client.
	Secret string `json:"secret,omitempty"`
	// Failed: the client's solver failed (no terminal, interrupted); the
	// agent's use case gets it as the solver's error and sends nothing
	// more. Interrupted: that error was the user giving up
	// (ErrSCAInterrupted), which the use case words apart from a reason.
	Failed      string `json:"failed,omitempty"`
	Interrupted bool   `json:"interrupted,omitempty"`
}

// response is the agent's frame.
type response struct {
	Kind  string     `json:"kind"`
	Error *errorBody `json:"error,omitempty"`

	Status    *Status             `json:"status,omitempty"`
	List      []flows.Summary     `json:"list,omitempty"`
	Entry     *entryBody          `json:"entry,omitempty"`
	Rows      []flows.EntryStatus `json:"rows,omitempty"`
	Token     string              `json:"token,omitempty"`
	Identity  *flows.Identity     `json:"identity,omitempty"`
	Result    *callBody           `json:"result,omitempty"`
	Public    []byte              `json:"public,omitempty"`
	Signature []byte              `json:"signature,omitempty"`
	Plaintext []byte              `json:"plaintext,omitempty"`

	// Solver frames.
	Challenge    *flows.SCAChallengeView `json:"challenge,omitempty"`
	AttemptsLeft int                     `json:"attempts_left,omitempty"`
	Channel      flows.SCAFactor         `json:"channel,omitempty"`
	Phone        string                  `json:"phone,omitempty"`
	Event        *eventBody              `json:"event,omitempty"`
	RateLimit    *rateLimitBody          `json:"rate_limit,omitempty"`
}

// rateLimitBody is one wait after a 429, as wise.Client.OnRateLimit is
// told of it.
type rateLimitBody struct {
	Op         string `json:"op"`
	WaitMillis int64  `json:"wait_ms"`
	RetryAfter bool   `json:"retry_after,omitempty"`
}

// errorBody is an error as the command line words it, with its exit code.
type errorBody struct {
	Message string `json:"message"`
	Code    int    `json:"code"`
	// Locked: the agent holds no wallet; the client unlocks its own.
	Locked bool `json:"locked,omitempty"`
	// Is names the sentinels the error matched; API is Wise's failed call
	// in its chain (errors.go).
	Is  []string      `json:"is,omitempty"`
	API *apiErrorBody `json:"api,omitempty"`
	// OTT is a used or expired one-time token's (OTTUsedError).
	OTT string `json:"ott,omitempty"`
}

// entryBody is an EntryView: its secrets' names and dates travel apart
// because the view's JSON leaves them out.
type entryBody struct {
	View    flows.EntryView    `json:"view"`
	Secrets []flows.SecretInfo `json:"secrets"`
}

// callBody is a CallResult with the parts its JSON leaves out.
type callBody struct {
	flows.CallResult
	Header http.Header `json:"header,omitempty"`
	Body   []byte      `json:"body,omitempty"`
}

// eventBody is an SCAEvent; its error travels as words.
type eventBody struct {
	Kind         flows.SCAEventKind   `json:"kind"`
	Factor       flows.SCAFactor      `json:"factor,omitempty"`
	Status       *flows.SCAStatusView `json:"status,omitempty"`
	Phone        string               `json:"phone,omitempty"`
	AttemptsLeft int                  `json:"attempts_left"`
	Until        time.Time            `json:"until,omitzero"`
	Key          string               `json:"key,omitempty"`
	HTTPStatus   int                  `json:"http_status,omitempty"`
	Result       string               `json:"result,omitempty"`
	Err          string               `json:"err,omitempty"`
}

// Status is what `agent status` shows. It holds no secret.
type Status struct {
	PID    int    `json:"pid"`
	Wallet string `json:"wallet"`
	Socket string `json:"socket"`
	Locked bool   `json:"locked"`
	// LockedBecause: "agent lock", "idle timeout", "the wallet's
	// keys changed" (a passphrase change), "the wallet file is gone".
	LockedBecause string    `json:"locked_because,omitempty"`
	UnlockedBy    string    `json:"unlocked_by,omitempty"`
	StartedAt     time.Time `json:"started_at"`
	// IdleTimeout is 0 for none; IdleExitAt is when the agent exits
	// unless an operation comes first.
	IdleTimeoutSeconds int64      `json:"idle_timeout_seconds"`
	IdleExitAt         *time.Time `json:"idle_exit_at,omitempty"`
}

// errFrameTooLarge: a frame over maxFrame; the connection is closed.
var errFrameTooLarge = errors.New("agent: frame too large")

// readFrame reads one frame (without its newline), refusing more than
// maxFrame bytes.
func readFrame(r *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(out)+len(chunk) > maxFrame+1 {
			return nil, errFrameTooLarge
		}
		out = append(out, chunk...)
		switch {
		case err == nil:
			return out[:len(out)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(out) > 0:
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}

// readJSON reads one frame into v.
func readJSON(r *bufio.Reader, v any) error {
	b, err := readFrame(r)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("agent: a malformed frame: %w", err)
	}
	return nil
}

// writeJSON writes v as one frame.
func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if len(b) > maxFrame {
		return errFrameTooLarge
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
