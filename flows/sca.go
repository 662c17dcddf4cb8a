package flows

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// SCA (reference/wise-auth.md §4): Wise may answer any call with a
// challenge (403, or 400, with x-2fa-approval: a one-time token). Its
// status lists the factors that clear it; once they are cleared, the same
// request is sent again once with the token. Prompts are callbacks
// (SCASolver): flows never reads a terminal.

// SCAFactor is a way of clearing one challenge: Wise's challenge types,
// and the legacy signature of a personal token's SCA key.
type SCAFactor string

// The factors.
const (
	FactorPIN               SCAFactor = "PIN"
	FactorSMS               SCAFactor = "SMS"
	FactorWhatsApp          SCAFactor = "WHATSAPP"
	FactorVoice             SCAFactor = "VOICE"
	FactorDeviceFingerprint SCAFactor = "PARTNER_DEVICE_FINGERPRINT"
	FactorFaceMap           SCAFactor = "FACE_MAP"
	// FactorLegacySignature: the one-time token signed with an SCA key
	// (X-Signature), for personal tokens; withdrawn by Wise, kept for the
	// accounts where it still works.
	FactorLegacySignature SCAFactor = "LEGACY_SIGNATURE"
)

// IsOTP reports whether the factor is a code sent to the user's phone.
func (f SCAFactor) IsOTP() bool { return f == FactorSMS || f == FactorWhatsApp || f == FactorVoice }

// SCA limits Wise documents.
const (
	// SCAMaxFailures consecutive failed verifications block one-time
	// tokens for SCABlockDuration.
	SCAMaxFailures   = 5
	SCABlockDuration = 15 * time.Minute
	// SCASessionWindow is how long one manual approval covers Wise's
	// low-risk window.
	SCASessionWindow = 5 * time.Minute
	// MaxDevicesPerProfile is how many partner device fingerprints Wise
	// keeps per profile.
	MaxDevicesPerProfile = 3
	// MaxSCAKeys is how many public keys Wise takes per account.
	MaxSCAKeys = 5
	// DefaultSCAKeyBits is the size of an SCA key when none is asked for.
	DefaultSCAKeyBits = 2048
)

// SCAFactorOption is one factor of a challenge or a credential: whether
// this credential can use it and, when it cannot, why not.
type SCAFactorOption struct {
	Factor   SCAFactor `json:"factor"`
	Solvable bool      `json:"solvable"`
	// WhyNot says why the factor cannot be used here (FACE_MAP cannot be
	// captured in a terminal; no PIN set for the profile; ...); empty when
	// Solvable.
	WhyNot string `json:"why_not,omitempty"`
	// SetUp: the credential has the factor enrolled, as far as the wallet
	// knows (a PIN set, this device registered); Wise has the last word.
	SetUp bool `json:"set_up,omitempty"`
}

// SCAChallengeView is one challenge of a one-time token: its primary
// factor and the alternatives that clear it as well, each with whether
// this credential can solve it.
type SCAChallengeView struct {
	Primary      SCAFactor   `json:"primary"`
	Alternatives []SCAFactor `json:"alternatives,omitempty"`
	Required     bool        `json:"required"`
	Passed       bool        `json:"passed"`
	// Options are Primary then Alternatives, each judged for this
	// credential.
	Options []SCAFactorOption `json:"options"`
	// Index and Total place it among the token's required challenges,
	// passed ones included (from 1): "2 of 2" after the first passed.
	Index int `json:"index"`
	Total int `json:"total"`
	// ActionType is what the token approves (Wise's actionType).
	ActionType string `json:"action_type,omitempty"`
}

// Solvable lists the options this credential can solve.
func (c SCAChallengeView) Solvable() []SCAFactor {
	var out []SCAFactor
	for _, o := range c.Options {
		if o.Solvable {
			out = append(out, o.Factor)
		}
	}
	return out
}

// SCAStatusView is a one-time token's status as Wise gives it.
type SCAStatusView struct {
	Credential string `json:"credential"`
	OTT        string `json:"one_time_token"`
	ActionType string `json:"action_type,omitempty"`
	UserID     int64  `json:"user_id,omitempty"`
	// Validity is how long the token is valid still, as Wise counts it.
	Validity        time.Duration      `json:"-"`
	ValiditySeconds int64              `json:"validity_seconds"`
	Challenges      []SCAChallengeView `json:"challenges"`
	// Ready: no required challenge is left; the token can be used.
	Ready bool `json:"ready"`
	// Deprecated: the status came from the deprecated identity path (the
	// server answers only that one).
	Deprecated bool `json:"deprecated_path,omitempty"`
}

// Pending lists the required challenges not passed yet.
func (v SCAStatusView) Pending() []SCAChallengeView {
	var out []SCAChallengeView
	for _, c := range v.Challenges {
		if c.Required && !c.Passed {
			out = append(out, c)
		}
	}
	return out
}

// SCAEventKind is what an SCAEvent reports.
type SCAEventKind string

// The events a solver hears of.
const (
	EventStatusRead    SCAEventKind = "status read"    // Status holds the token's status
	EventOTPSent       SCAEventKind = "code sent"      // Factor, Phone
	EventFactorPassed  SCAEventKind = "factor passed"  // Factor
	EventFactorFailed  SCAEventKind = "factor failed"  // Factor, AttemptsLeft, Err
	EventBlocked       SCAEventKind = "blocked"        // Until
	EventSigned        SCAEventKind = "token signed"   // Factor (legacy signature), Key
	EventReplaying     SCAEventKind = "replaying"      // the original call, sent again once
	EventReplayed      SCAEventKind = "replayed"       // HTTPStatus, Result
	EventSessionActive SCAEventKind = "session active" // Until
)

// SCAEvent is one step of clearing a challenge, for a front end that
// shows progress. Never a PIN, code or fingerprint.
type SCAEvent struct {
	Kind         SCAEventKind
	Factor       SCAFactor
	Status       *SCAStatusView // EventStatusRead
	Phone        string         // EventOTPSent: Wise's obfuscated number
	AttemptsLeft int            // EventFactorFailed; -1 when unknown
	Until        time.Time      // EventBlocked, EventSessionActive
	Key          string         // EventSigned: the SCA key entry
	HTTPStatus   int            // EventReplayed
	Result       string         // EventReplayed: x-2fa-approval-result
	Err          error          // EventFactorFailed
}

// SCASolver answers a challenge's questions; the command line implements
// it on a terminal, the app on its challenge screen. A solver that cannot
// ask (no terminal) returns an error wrapping ErrSCAInterrupted.
type SCASolver interface {
	// Choose picks the factor to clear one required challenge among its
	// primary and alternatives (only the ones this credential can solve
	// are offered as Solvable; each other says why not).
	Choose(ctx context.Context, ch SCAChallengeView) (SCAFactor, error)
	// PIN asks for the 4-digit PIN; attemptsLeft is how many failures are
	// left before the 15-minute block (-1 when unknown).
	PIN(ctx context.Context, attemptsLeft int) (crypto.Secret, error)
	// OTP asks for the 6-digit code Wise sent by channel to
	// obfuscatedPhone.
	OTP(ctx context.Context, channel SCAFactor, obfuscatedPhone string) (crypto.Secret, error)
	// Progress reports a step (status read, factor passed or failed,
	// blocked until, replayed).
	Progress(ctx context.Context, ev SCAEvent)
}

// SCAFactorsView is what a credential can use to clear challenges, and
// why not for the others.
type SCAFactorsView struct {
	Credential string            `json:"credential"`
	Kind       Kind              `json:"kind"`
	Factors    []SCAFactorOption `json:"factors"`
	// PINProfiles are the profiles the wallet knows a PIN was set for.
	PINProfiles []int64 `json:"pin_profiles,omitempty"`
	// DeviceID is this install's registered device fingerprint id at Wise.
	DeviceID           string     `json:"device_id,omitempty"`
	DeviceRegisteredAt *time.Time `json:"device_registered_at,omitempty"`
	// SCAKey is the legacy SCA key entry linked to a personal token.
	SCAKey string `json:"sca_key,omitempty"`
	// SessionUntil is the end of the last SCA session's window, when known.
	SessionUntil *time.Time `json:"session_until,omitempty"`
	// Note says what a personal token can and cannot do under PSD2.
	Note string `json:"note,omitempty"`
}

// SCASessionView is a manual SCA session: one approval that covers
// Wise's low-risk window for the profile.
type SCASessionView struct {
	Credential string        `json:"credential"`
	Profile    int64         `json:"profile"`
	Status     SCAStatusView `json:"status"`
	Until      time.Time     `json:"until"`
}

// SCAKeyInput is what a new legacy SCA key entry is made of.
type SCAKeyInput struct {
	Name string
	// Bits is the RSA size: 2048 (the default when 0), 3072 or 4096.
	Bits int
	// For is the personal-token entry the key signs for; "" links none.
	For string
}

// DeviceView is a partner device fingerprint registered at Wise for a
// profile. The fingerprint itself is never in it.
type DeviceView struct {
	ID        string     `json:"id"`
	Profile   int64      `json:"profile"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
	// ThisDevice: it is the fingerprint kept in the credential entry.
	ThisDevice bool `json:"this_device"`
}

// CallInput is one Wise call made with a credential's authentication.
type CallInput struct {
	Entry  string
	Method string
	Path   string // with the query, if any
	Body   []byte // sent as it is (nil: none)
	Header http.Header
	// JOSE protects the body with the entry's client's JOSE keys: "" none,
	// or a mode of wise.JOSEMode ("jws", "jwe", "jws+jwe", "jwe-direct").
	// A replay makes the protection again from the same plaintext.
	JOSE string
}

// CallResult is a call's answer and what clearing its challenge took.
type CallResult struct {
	Status  int         `json:"status"`
	TraceID string      `json:"x_trace_id,omitempty"`
	Header  http.Header `json:"-"`
	Body    []byte      `json:"-"` // checked and decrypted when JOSE was used
	// Challenged: the first answer was a challenge; OTT is its token.
	Challenged bool   `json:"challenged"`
	OTT        string `json:"one_time_token,omitempty"`
	// Replayed: the request was sent again with the cleared token.
	Replayed bool `json:"replayed"`
	// Approval is the x-2fa-approval-result of the last answer.
	Approval string `json:"approval_result,omitempty"`
	// Steps are the JOSE steps of the last send, when JOSE was used.
	Steps []JOSEStep `json:"steps,omitempty"`
}

// The inputs the SCA use cases check.
const (
	InputOTT      Input = "one-time token"
	InputPIN      Input = "PIN"
	InputOTP      Input = "code"
	InputProfile  Input = "profile"
	InputKeyBits  Input = "key size"
	InputMethod   Input = "method"
	InputPath     Input = "path"
	InputDeviceID Input = "device id"
)

// ErrSCANotCleared marks a challenge that could not be cleared (no factor
// this credential can solve, blocked, interrupted before the replay, no
// terminal to answer on): the command line's exit code 6.
var ErrSCANotCleared = errors.New("the SCA challenge was not cleared")

// ErrSCAInterrupted is what a solver returns (wrapped) when the user gave
// up or there is no one to ask; nothing more is sent.
var ErrSCAInterrupted = errors.New("the SCA challenge was interrupted")

// SCABlockedError: 5 consecutive failures blocked one-time tokens until
// Until; nothing can clear a challenge before then.
type SCABlockedError struct {
	Credential string
	Until      time.Time
}

func (e *SCABlockedError) Error() string {
	if e.Until.IsZero() {
		return fmt.Sprintf("Wise blocks one-time tokens for %q for %d minutes after %d failed attempts: wait, then ask again", e.Credential, int(SCABlockDuration/time.Minute), SCAMaxFailures)
	}
	return fmt.Sprintf("Wise blocks one-time tokens for %q until %s after %d failed attempts: wait until then and ask again", e.Credential, ShowTime(e.Until, time.UTC), SCAMaxFailures)
}

func (e *SCABlockedError) Unwrap() error { return ErrSCANotCleared }

// NoSolvableFactorError: none of a challenge's factors can be cleared
// with this credential. Instead says what works.
type NoSolvableFactorError struct {
	Credential string
	Kind       Kind
	ActionType string
	Factors    []SCAFactorOption // each with why not
	Instead    string
}

func (e *NoSolvableFactorError) Error() string {
	var why []string
	for _, f := range e.Factors {
		why = append(why, fmt.Sprintf("%s (%s)", f.Factor, f.WhyNot))
	}
	what := "this challenge"
	if e.ActionType != "" {
		what = fmt.Sprintf("this challenge (%s)", e.ActionType)
	}
	msg := fmt.Sprintf("%s cannot be cleared with %q: %s", what, e.Credential, strings.Join(why, "; "))
	if e.Instead != "" {
		msg += "; " + e.Instead
	}
	return msg
}

func (e *NoSolvableFactorError) Unwrap() error { return ErrSCANotCleared }

// ChallengeInterruptedError: the user (or a missing terminal) stopped the
// challenge before it was cleared; the original call was not sent again.
type ChallengeInterruptedError struct {
	Credential string
	OTT        string
	Cause      error
}

func (e *ChallengeInterruptedError) Error() string {
	msg := fmt.Sprintf("the SCA challenge for %q was interrupted before it was cleared, so the call was not sent again", e.Credential)
	if e.Cause != nil && !errors.Is(e.Cause, ErrSCAInterrupted) {
		msg += ": " + e.Cause.Error()
	}
	return msg
}

func (e *ChallengeInterruptedError) Unwrap() []error {
	if e.Cause == nil {
		return []error{ErrSCANotCleared}
	}
	return []error{ErrSCANotCleared, e.Cause}
}

// OTTUsedError: the one-time token was used already (or has expired);
// Wise gives a new one when the call is made again.
type OTTUsedError struct {
	OTT   string
	Cause error
}

func (e *OTTUsedError) Error() string {
	return fmt.Sprintf("the one-time token %s was used already or has expired: make the call again for a new one", e.OTT)
}

func (e *OTTUsedError) Unwrap() error { return e.Cause }

// WrongPINError: Wise refused the PIN; AttemptsLeft more failures are
// allowed before the block (-1 when unknown).
type WrongPINError struct {
	AttemptsLeft int
	Cause        error
}

func (e *WrongPINError) Error() string {
	if e.AttemptsLeft >= 0 {
		return fmt.Sprintf("Wise refused the PIN: %d attempts left before one-time tokens are blocked for %d minutes", e.AttemptsLeft, int(SCABlockDuration/time.Minute))
	}
	return "Wise refused the PIN"
}

func (e *WrongPINError) Unwrap() error { return e.Cause }

// WrongOTPError: Wise refused the code sent by Channel.
type WrongOTPError struct {
	Channel      SCAFactor
	AttemptsLeft int
	Cause        error
}

func (e *WrongOTPError) Error() string {
	if e.AttemptsLeft >= 0 {
		return fmt.Sprintf("Wise refused the %s code: %d attempts left before one-time tokens are blocked for %d minutes", e.Channel, e.AttemptsLeft, int(SCABlockDuration/time.Minute))
	}
	return fmt.Sprintf("Wise refused the %s code", e.Channel)
}

func (e *WrongOTPError) Unwrap() error { return e.Cause }

// SCAKeyUnknownError: Wise does not know the SCA key's public key (it was
// never uploaded, or was removed), so its signature clears nothing.
type SCAKeyUnknownError struct {
	Key   string // the sca entry
	Env   EnvName
	Cause error
}

func (e *SCAKeyUnknownError) Error() string {
	return fmt.Sprintf("Wise does not know the public key of %q: upload it (API tokens > Manage public keys in Wise's web app) and try again", e.Key)
}

func (e *SCAKeyUnknownError) Unwrap() error { return e.Cause }

// FactorNotSetUpError: the factor is not set up at Wise for the profile
// (no PIN, no registered device).
type FactorNotSetUpError struct {
	Credential string
	Profile    int64
	Factor     SCAFactor
	Cause      error
}

func (e *FactorNotSetUpError) Error() string {
	what := map[SCAFactor]string{FactorPIN: "no PIN is set", FactorDeviceFingerprint: "this device is not registered"}[e.Factor]
	if what == "" {
		what = fmt.Sprintf("%s is not set up", e.Factor)
	}
	if e.Profile != 0 {
		return fmt.Sprintf("%s for %q at profile %d: set it up first", what, e.Credential, e.Profile)
	}
	return fmt.Sprintf("%s for %q: set it up first", what, e.Credential)
}

func (e *FactorNotSetUpError) Unwrap() error { return e.Cause }

// TooManyDevicesError: the profile has the most device fingerprints Wise
// keeps; one must be removed first.
type TooManyDevicesError struct {
	Credential string
	Profile    int64
	Cause      error
}

func (e *TooManyDevicesError) Error() string {
	return fmt.Sprintf("profile %d of %q has %d devices registered, the most Wise keeps: remove one first", e.Profile, e.Credential, MaxDevicesPerProfile)
}

func (e *TooManyDevicesError) Unwrap() error { return e.Cause }

// SCAUploadElsewhereError: the SCA key is for sandbox or production,
// where its public key is uploaded by the user in Wise's web app, not by
// this program.
type SCAUploadElsewhereError struct {
	Key string
	Env EnvName
	// Where is the place in Wise's web app.
	Where string
}

func (e *SCAUploadElsewhereError) Error() string {
	return fmt.Sprintf("the public key of %q is uploaded in Wise's web app (%s), not by this program: %s", e.Key, e.Env, e.Where)
}

func (e *SCAUploadElsewhereError) Unwrap() error { return ErrUsage }
