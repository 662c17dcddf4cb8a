package flows

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// The challenge walk: a one-time token's status read, each required
// challenge offered with the factors this credential can solve, the
// chosen one cleared (a phone code sent only when picked), failures
// counted towards Wise's block, until none is left.

// More reasons an SCA input is refused (InputError.Reason).
var (
	ErrNotProfile = errors.New("is not a profile this credential acts for")
	ErrNotOffered = errors.New("is not one of the factors offered for this challenge")
	ErrBadMethod  = errors.New("is not an HTTP method")
)

// DeviceRefusedError: Wise refused this install's device fingerprint (it
// was removed at Wise, or registered for another profile); registering
// the device again fixes it.
type DeviceRefusedError struct {
	Credential   string
	AttemptsLeft int
	Cause        error
}

func (e *DeviceRefusedError) Error() string {
	return fmt.Sprintf("Wise refused this device's fingerprint for %q: register the device again, or use another factor", e.Credential)
}

func (e *DeviceRefusedError) Unwrap() error { return e.Cause }

// FactorExistsError: the factor is set up at Wise already (a PIN for the
// profile, this device's fingerprint).
type FactorExistsError struct {
	Credential string
	Profile    int64
	Factor     SCAFactor
	Cause      error
}

func (e *FactorExistsError) Error() string {
	if e.Factor == FactorDeviceFingerprint {
		return fmt.Sprintf("this device is registered already for %q at profile %d", e.Credential, e.Profile)
	}
	return fmt.Sprintf("a PIN is set already for %q at profile %d: change it instead", e.Credential, e.Profile)
}

func (e *FactorExistsError) Unwrap() error { return e.Cause }

// scaCred is a credential ready for SCA calls.
type scaCred struct {
	e     wallet.Entry
	api   *wise.Client
	token crypto.Secret
	// profile is the profile of the v2 paths; 0 means the v1 ones.
	profile int64
}

// scaEntry is the credential entry of an SCA use case: a personal token
// or an OAuth user (userOnly: a user, the only kind with factors).
func (s *Service) scaEntry(name string, userOnly bool) (wallet.Entry, error) {
	e, err := s.w.Get(name)
	if err != nil {
		return e, err
	}
	switch {
	case e.Kind == wallet.KindUser:
		return e, nil
	case e.Kind == wallet.KindPersonal && !userOnly:
		return e, nil
	}
	return e, &KindError{Entry: name, Kind: e.Kind, Want: wallet.KindUser, For: "sca"}
}

// scaCredential is the entry with its API and a token valid now.
func (s *Service) scaCredential(ctx context.Context, e wallet.Entry, profile int64, path string) (scaCred, error) {
	api, err := s.apiOf(e)
	if err != nil {
		return scaCred{}, err
	}
	tok, err := s.AccessToken(ctx, e.Name)
	if err != nil {
		return scaCred{}, err
	}
	return scaCred{e: e, api: api, token: tok, profile: scaProfile(e, profile, path)}, nil
}

// Compiled on first use, not at package init, which every start pays.
var profileInPath = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`/profiles/([0-9]{1,19})(/|$|\?)`) })

// scaProfile picks the profile whose v2 factor paths clear a challenge:
// the one asked for, else the one the call's path names, else the
// entry's own, else its personal profile, else its first; 0 (the v1
// paths) when none is known.
func scaProfile(e wallet.Entry, asked int64, path string) int64 {
	if asked != 0 {
		return asked
	}
	if m := profileInPath().FindStringSubmatch(path); m != nil {
		if p, err := strconv.ParseInt(m[1], 10, 64); err == nil && p > 0 {
			return p
		}
	}
	if e.ProfileID != 0 {
		return e.ProfileID
	}
	for _, p := range e.Profiles {
		if p.Type == "personal" || p.Type == "PERSONAL" {
			return p.ID
		}
	}
	if len(e.Profiles) > 0 {
		return e.Profiles[0].ID
	}
	return 0
}

// checkProfile refuses a profile the entry is known not to act for.
func checkProfile(e wallet.Entry, profile int64) error {
	if profile < 0 {
		return &InputError{Input: InputProfile, Value: strconv.FormatInt(profile, 10), Reason: ErrNotProfile}
	}
	if profile == 0 || len(e.Profiles) == 0 {
		return nil
	}
	for _, p := range e.Profiles {
		if p.ID == profile {
			return nil
		}
	}
	return &InputError{Input: InputProfile, Value: strconv.FormatInt(profile, 10), Entry: e.Name, Reason: ErrNotProfile}
}

// Why a factor cannot be used, in flows' words (front ends add theirs).
const (
	whyFaceMap     = "a FaceTec face scan cannot be captured in a terminal"
	whyPersonal    = "a personal token cannot clear Wise's one-time-token factors; under PSD2 they are for OAuth partners' users"
	whyNoDevice    = "this device is not registered for this credential"
	whyUnknownType = "wisewallet does not know this challenge type"
	whyNoClient    = "its OAuth client is gone, and the factor's body is encrypted to Wise's key the client fetches"
)

// insteadPersonal is what works when a personal token meets a challenge
// it cannot clear.
const insteadPersonal = "a personal token cannot fund a transfer or read a balance statement in the EU and UK (PSD2): Wise withdrew personal-token signing; fund the transfer or get the statement in the Wise app or website, or use an OAuth client (partners), whose users clear challenges with a PIN, a phone code or a registered device"

// insteadSCAKey is what to do when Wise does not take the legacy
// signature.
const insteadSCAKey = "fund the transfer or get the statement in the Wise app or website; partners use OAuth, whose users clear challenges with a PIN, a phone code or a registered device"

// judge says whether e can clear a challenge with f at profile.
func (s *Service) judge(e wallet.Entry, f SCAFactor, profile int64) SCAFactorOption {
	o := SCAFactorOption{Factor: f}
	if e.Kind == wallet.KindPersonal {
		o.WhyNot = whyPersonal
		return o
	}
	clientOK := func() bool {
		if e.LinkedTo == "" {
			return false
		}
		c, err := s.w.Get(e.LinkedTo)
		return err == nil && c.Kind == wallet.KindClient
	}
	switch f {
	case FactorFaceMap:
		o.WhyNot = whyFaceMap
	case FactorSMS, FactorWhatsApp, FactorVoice:
		o.Solvable = true
	case FactorPIN:
		o.SetUp = e.HasSCAPIN(profile) || e.HasSCAPIN(0)
		if o.Solvable = clientOK(); !o.Solvable {
			o.WhyNot = whyNoClient
		}
	case FactorDeviceFingerprint:
		o.SetUp = e.DeviceFingerprintID != "" && !e.Secret(wallet.SecretDeviceFingerprint).IsZero()
		switch {
		case !o.SetUp:
			o.WhyNot = whyNoDevice
		case !clientOK():
			o.WhyNot = whyNoClient
		default:
			o.Solvable = true
		}
	default:
		o.WhyNot = whyUnknownType
	}
	return o
}

// statusView is Wise's status as a view, each factor judged for c.
func (s *Service) statusView(c scaCred, o wise.OTT, deprecated bool, off map[SCAFactor]string) SCAStatusView {
	v := SCAStatusView{Credential: c.e.Name, OTT: o.Token, ActionType: o.ActionType, UserID: o.UserID, Validity: o.Validity, ValiditySeconds: int64(o.Validity / time.Second),
		Ready: o.Ready(), Deprecated: deprecated, Challenges: []SCAChallengeView{}}
	total := 0
	for _, ch := range o.Challenges {
		if ch.Required {
			total++
		}
	}
	n := 0
	for _, ch := range o.Challenges {
		cv := SCAChallengeView{Primary: SCAFactor(ch.Primary), Required: ch.Required, Passed: ch.Passed, ActionType: o.ActionType}
		for _, a := range ch.Alternatives {
			cv.Alternatives = append(cv.Alternatives, SCAFactor(a))
		}
		if ch.Required {
			n++
			cv.Index, cv.Total = n, total
		}
		seen := map[SCAFactor]bool{}
		for _, f := range append([]SCAFactor{cv.Primary}, cv.Alternatives...) {
			if seen[f] {
				continue
			}
			seen[f] = true
			opt := s.judge(c.e, f, c.profile)
			if why, ok := off[f]; ok && opt.Solvable {
				opt.Solvable, opt.WhyNot = false, why
			}
			cv.Options = append(cv.Options, opt)
		}
		v.Challenges = append(v.Challenges, cv)
	}
	return v
}

// SCAStatus reads a one-time token's status (GET /v1/one-time-token/
// status; the deprecated identity path when the server answers only that).
func (s *Service) SCAStatus(ctx context.Context, credential, ott string) (SCAStatusView, error) {
	if err := crypto.CheckOneTimeToken(ott); err != nil {
		return SCAStatusView{}, &InputError{Input: InputOTT, Reason: err}
	}
	e, err := s.scaEntry(credential, false)
	if err != nil {
		return SCAStatusView{}, err
	}
	c, err := s.scaCredential(ctx, e, 0, "")
	if err != nil {
		return SCAStatusView{}, err
	}
	return s.readStatus(ctx, c, ott, nil)
}

func (s *Service) readStatus(ctx context.Context, c scaCred, ott string, off map[SCAFactor]string) (SCAStatusView, error) {
	o, deprecated, err := c.api.OTTStatus(ctx, c.token, ott)
	if err != nil {
		return SCAStatusView{}, s.scaError(c, ott, "", err)
	}
	if o.Token != ott {
		return SCAStatusView{}, fmt.Errorf("the status answer is for another one-time token: %w", wise.ErrOTTAnswer)
	}
	return s.statusView(c, o, deprecated, off), nil
}

// scaError makes Wise's SCA refusals typed errors; others pass as they
// are. f is the factor that was tried, when one was.
func (s *Service) scaError(c scaCred, ott string, f SCAFactor, err error) error {
	var ae *APIError
	if !errors.As(err, &ae) {
		return err
	}
	left := -1
	if len(ae.Args) > 0 {
		if n, perr := strconv.Atoi(ae.Args[0]); perr == nil && n >= 0 {
			left = n
		}
	}
	switch ae.Code {
	case wise.CodeSCABlocked:
		return &SCABlockedError{Credential: c.e.Name, Until: s.blockEnd(ae)}
	case wise.CodeOTTUsed, wise.CodeOTTExpired, wise.CodeOTTNotFound, wise.CodeOTTInvalid:
		return &OTTUsedError{OTT: ott, Cause: err}
	case wise.CodePINInvalid:
		return &WrongPINError{AttemptsLeft: left, Cause: err}
	case wise.CodeOTPInvalid:
		return &WrongOTPError{Channel: f, AttemptsLeft: left, Cause: err}
	case wise.CodeDeviceInvalid:
		return &DeviceRefusedError{Credential: c.e.Name, AttemptsLeft: left, Cause: err}
	case wise.CodePINNotSetUp:
		return &FactorNotSetUpError{Credential: c.e.Name, Profile: c.profile, Factor: FactorPIN, Cause: err}
	case wise.CodeDeviceNotSetUp:
		return &FactorNotSetUpError{Credential: c.e.Name, Profile: c.profile, Factor: FactorDeviceFingerprint, Cause: err}
	case wise.CodeFaceMapNotSupported:
		return &FactorNotSetUpError{Credential: c.e.Name, Profile: c.profile, Factor: FactorFaceMap, Cause: err}
	case wise.CodeInsufficientScope:
		if c.e.Kind == wallet.KindPersonal {
			return &NoSolvableFactorError{Credential: c.e.Name, Kind: c.e.Kind, Instead: insteadPersonal,
				Factors: []SCAFactorOption{{Factor: f, WhyNot: whyPersonal}}}
		}
	}
	if ae.Status == http.StatusBadRequest && ott != "" && !knownSCACode[ae.Code] {
		// Wise documents a failed verification as a 400 and no more: one
		// whose code is not localwise's is taken as the factor refused,
		// so the user can try again (and Wise's count ends it).
		switch {
		case f == FactorPIN:
			return &WrongPINError{AttemptsLeft: -1, Cause: err}
		case f.IsOTP():
			return &WrongOTPError{Channel: f, AttemptsLeft: -1, Cause: err}
		case f == FactorDeviceFingerprint:
			return &DeviceRefusedError{Credential: c.e.Name, AttemptsLeft: -1, Cause: err}
		}
	}
	return err
}

// knownSCACode are the codes scaError or its callers act on.
var knownSCACode = map[string]bool{
	wise.CodeSCABlocked: true, wise.CodeOTTInvalid: true, wise.CodeOTTNotFound: true, wise.CodeOTTExpired: true, wise.CodeOTTUsed: true,
	wise.CodePINInvalid: true, wise.CodePINFormat: true, wise.CodePINNotSetUp: true, wise.CodePINExists: true,
	wise.CodeDeviceInvalid: true, wise.CodeDeviceNotSetUp: true, wise.CodeDeviceNotFound: true, wise.CodeDeviceExists: true, wise.CodeDeviceLimit: true,
	wise.CodeOTPInvalid: true, wise.CodeOTPNotTriggered: true, wise.CodeChallengeNotApplies: true, wise.CodeFaceMapNotSupported: true,
	"NOT_NULL": true,
}

// blockEnd is when Wise's block ends: its own word (the first argument,
// RFC 3339), else Retry-After from now, else the documented 15 minutes.
func (s *Service) blockEnd(ae *APIError) time.Time {
	if len(ae.Args) > 0 {
		if t, err := time.Parse(time.RFC3339, ae.Args[0]); err == nil {
			return t.UTC()
		}
	}
	if ae.RetryAfter > 0 {
		return s.now().Add(ae.RetryAfter)
	}
	return s.now().Add(SCABlockDuration)
}

// interrupted is a solver's refusal to answer as the typed error.
func interrupted(c scaCred, ott string, err error) error {
	return &ChallengeInterruptedError{Credential: c.e.Name, OTT: ott, Cause: err}
}

// maxSCASteps bounds the factors tried on one token: a server that never
// marks a challenge passed must not keep the walk going.
const maxSCASteps = 4 * SCAMaxFailures

// otpWindow is how long a sent code is asked for again without sending
// another (localwise's 5 minutes; Wise does not say).
const otpWindow = 5 * time.Minute

// walk is the state of one challenge walk.
type walk struct {
	c        scaCred
	ott      string
	solver   SCASolver
	attempts int                   // left before the block, as Wise last said; -1 unknown
	off      map[SCAFactor]string  // factors found not to work here, with why
	sent     map[SCAFactor]sentOTP // phone codes sent
}

type sentOTP struct {
	phone string
	at    time.Time
}

// SCAApprove clears every required challenge of the one-time token
// through solver and returns the token's status, ready for the call it
// was issued for.
func (s *Service) SCAApprove(ctx context.Context, credential, ott string, solver SCASolver) (SCAStatusView, error) {
	if err := crypto.CheckOneTimeToken(ott); err != nil {
		return SCAStatusView{}, &InputError{Input: InputOTT, Reason: err}
	}
	e, err := s.scaEntry(credential, false)
	if err != nil {
		return SCAStatusView{}, err
	}
	c, err := s.scaCredential(ctx, e, 0, "")
	if err != nil {
		return SCAStatusView{}, err
	}
	if e.Kind == wallet.KindPersonal {
		return s.personalApprove(ctx, c, ott, solver)
	}
	return s.approve(ctx, c, ott, solver)
}

// personalApprove: a personal token clears no factor; its only way is the
// legacy signature sent with the call itself.
func (s *Service) personalApprove(ctx context.Context, c scaCred, ott string, solver SCASolver) (SCAStatusView, error) {
	v, err := s.readStatus(ctx, c, ott, nil)
	if err != nil {
		return v, err
	}
	solver.Progress(ctx, SCAEvent{Kind: EventStatusRead, Status: &v, AttemptsLeft: -1})
	if v.Ready {
		return v, nil
	}
	instead := insteadPersonal
	if key, ok := s.scaKeyFor(c.e.Name); ok {
		instead = fmt.Sprintf("the legacy signature of its SCA key %q goes with the call itself (X-Signature), where Wise still accepts it; otherwise %s", key.Name, insteadSCAKey)
	}
	return v, &NoSolvableFactorError{Credential: c.e.Name, Kind: c.e.Kind, ActionType: v.ActionType, Factors: pendingOptions(v), Instead: instead}
}

func pendingOptions(v SCAStatusView) []SCAFactorOption {
	var out []SCAFactorOption
	for _, ch := range v.Pending() {
		out = append(out, ch.Options...)
	}
	return out
}

// approve walks the token's required challenges with solver.
func (s *Service) approve(ctx context.Context, c scaCred, ott string, solver SCASolver) (SCAStatusView, error) {
	w := &walk{c: c, ott: ott, solver: solver, attempts: -1, off: map[SCAFactor]string{}, sent: map[SCAFactor]sentOTP{}}
	v, err := s.readStatus(ctx, c, ott, w.off)
	if err != nil {
		if be := (*SCABlockedError)(nil); errors.As(err, &be) {
			solver.Progress(ctx, SCAEvent{Kind: EventBlocked, Until: be.Until, AttemptsLeft: 0})
		}
		return v, err
	}
	solver.Progress(ctx, SCAEvent{Kind: EventStatusRead, Status: &v, AttemptsLeft: -1})
	for step := 0; ; step++ {
		pend := v.Pending()
		if len(pend) == 0 {
			return v, nil
		}
		if step >= maxSCASteps {
			return v, fmt.Errorf("the challenges of one-time token %s are still not cleared after %d factors; Wise keeps asking: %w", ott, step, ErrSCANotCleared)
		}
		ch := pend[0]
		if len(ch.Solvable()) == 0 {
			return v, &NoSolvableFactorError{Credential: c.e.Name, Kind: c.e.Kind, ActionType: v.ActionType, Factors: ch.Options, Instead: s.insteadFor(c.e)}
		}
		if err := ctx.Err(); err != nil {
			return v, interrupted(c, ott, err)
		}
		f, err := solver.Choose(ctx, ch)
		if err != nil {
			return v, interrupted(c, ott, err)
		}
		offered := false
		for _, o := range ch.Solvable() {
			offered = offered || o == f
		}
		if !offered {
			return v, &InputError{Input: "factor", Value: string(f), Reason: ErrNotOffered}
		}
		err = s.solve(ctx, w, f)
		var (
			blocked  *SCABlockedError
			used     *OTTUsedError
			wrongPIN *WrongPINError
			wrongOTP *WrongOTPError
			device   *DeviceRefusedError
			notSetUp *FactorNotSetUpError
			input    *InputError
			ae       *APIError
		)
		switch {
		case err == nil:
			solver.Progress(ctx, SCAEvent{Kind: EventFactorPassed, Factor: f, AttemptsLeft: -1})
			w.attempts = -1 // a success resets Wise's count
		case errors.As(err, &blocked):
			solver.Progress(ctx, SCAEvent{Kind: EventBlocked, Factor: f, Until: blocked.Until, Err: err})
			return v, err
		case errors.Is(err, ErrSCANotCleared), errors.As(err, &used):
			return v, err
		case errors.As(err, &wrongPIN):
			w.attempts = wrongPIN.AttemptsLeft
			solver.Progress(ctx, SCAEvent{Kind: EventFactorFailed, Factor: f, AttemptsLeft: w.attempts, Err: err})
		case errors.As(err, &wrongOTP):
			w.attempts = wrongOTP.AttemptsLeft
			solver.Progress(ctx, SCAEvent{Kind: EventFactorFailed, Factor: f, AttemptsLeft: w.attempts, Err: err})
		case errors.As(err, &device):
			w.attempts = device.AttemptsLeft
			w.off[f] = "Wise refused this device's fingerprint"
			solver.Progress(ctx, SCAEvent{Kind: EventFactorFailed, Factor: f, AttemptsLeft: w.attempts, Err: err})
		case errors.As(err, &notSetUp):
			w.off[f] = notSetUp.Error()
			solver.Progress(ctx, SCAEvent{Kind: EventFactorFailed, Factor: f, AttemptsLeft: w.attempts, Err: err})
		case errors.As(err, &input) && (input.Input == InputPIN || input.Input == InputOTP):
			// A PIN or code of the wrong shape was never sent: not counted.
			solver.Progress(ctx, SCAEvent{Kind: EventFactorFailed, Factor: f, AttemptsLeft: w.attempts, Err: err})
		case errors.As(err, &ae) && (ae.Code == wise.CodeChallengeNotApplies || ae.Code == wise.CodeOTPNotTriggered):
			// The status moved on (or a code expired): read it again.
			delete(w.sent, f)
		case ctx.Err() != nil:
			return v, interrupted(c, ott, err) // the user gave up while it was checked
		default:
			return v, err
		}
		if v, err = s.readStatus(ctx, c, ott, w.off); err != nil {
			return v, err
		}
	}
}

// insteadFor says what works when no factor does.
func (s *Service) insteadFor(e wallet.Entry) string {
	if e.Kind == wallet.KindPersonal {
		return insteadPersonal
	}
	return "set up a PIN or register this device for the credential, or clear the challenge in the Wise app"
}

// solve clears the walk's current challenge with f.
func (s *Service) solve(ctx context.Context, w *walk, f SCAFactor) error {
	c := w.c
	switch {
	case f == FactorPIN:
		pin, err := w.solver.PIN(ctx, w.attempts)
		if err != nil {
			return interrupted(c, w.ott, err)
		}
		if err := crypto.CheckPIN(pin); err != nil {
			return &InputError{Input: InputPIN, Reason: err}
		}
		_, err = s.factorCall(ctx, c, f, wise.PINVerifyPath(c.profile), wise.PINVerifyPath(0), w.ott, secretJSON("pin", pin), pin)
		return err
	case f == FactorDeviceFingerprint:
		fp := c.e.Secret(wallet.SecretDeviceFingerprint)
		_, err := s.factorCall(ctx, c, f, wise.DeviceVerifyPath(c.profile), wise.DeviceVerifyPath(0), w.ott, secretJSON("deviceFingerprint", fp), fp)
		return err
	case f.IsOTP():
		sent, ok := w.sent[f]
		if !ok || s.now().Sub(sent.at) >= otpWindow {
			phone, err := c.api.TriggerOTP(ctx, c.token, w.ott, string(f))
			if err != nil {
				return s.scaError(c, w.ott, f, err)
			}
			sent = sentOTP{phone: phone, at: s.now()}
			w.sent[f] = sent
			w.solver.Progress(ctx, SCAEvent{Kind: EventOTPSent, Factor: f, Phone: phone, AttemptsLeft: w.attempts})
		}
		code, err := w.solver.OTP(ctx, f, sent.phone)
		if err != nil {
			return interrupted(c, w.ott, err)
		}
		if err := crypto.CheckOTP(code); err != nil {
			return &InputError{Input: InputOTP, Reason: err}
		}
		if _, err := c.api.VerifyOTP(ctx, c.token, w.ott, string(f), code); err != nil {
			return s.scaError(c, w.ott, f, err)
		}
		delete(w.sent, f) // used
		return nil
	}
	return &InputError{Input: "factor", Value: string(f), Reason: ErrNotOffered}
}

// secretJSON is {"field":"value"} as a Secret, without the value passing
// through a string that cannot be wiped.
func secretJSON(field string, v crypto.Secret) crypto.Secret {
	val := v.Reveal()
	defer crypto.Wipe(val)
	b := make([]byte, 0, len(field)+len(val)*6+8)
	defer func() { crypto.Wipe(b) }()
	b = append(b, `{"`...)
	b = append(b, field...)
	b = append(b, `":"`...)
	for _, ch := range val {
		switch {
		case ch == '"' || ch == '\\':
			b = append(b, '\\', ch)
		case ch < 0x20:
			b = append(b, fmt.Sprintf(`\u%04x`, ch)...)
		default:
			b = append(b, ch)
		}
	}
	b = append(b, `"}`...)
	return crypto.NewSecret(b)
}

// factorCall makes a PIN or device call: encrypted to Wise's key (the
// credential's client fetches it), at the v2 path first and the v1 one
// when the server knows only that (path1 ""for none). A server error,
// which is how Wise answers a body it could not decrypt, fetches Wise's
// key again and, when it changed, sends once more.
func (s *Service) factorCall(ctx context.Context, c scaCred, f SCAFactor, path2, path1, ott string, body, secret crypto.Secret) (wise.FactorAnswer, error) {
	a, _, err := s.factorCallAt(ctx, c, f, factorPaths{v2: path2, v1: path1}, ott, "", body, secret)
	return a, err
}

// factorPaths are a factor call's v2 path and its v1 one.
type factorPaths struct{ v2, v1 string }

// factorCallAt is factorCall with a cleared approval for a replay; it
// says whether the v1 path answered.
func (s *Service) factorCallAt(ctx context.Context, c scaCred, f SCAFactor, paths factorPaths, ott, approval string, body, secret crypto.Secret) (wise.FactorAnswer, bool, error) {
	path2, path1 := paths.v2, paths.v1
	enc, err := s.scaEncryptKey(ctx, c.e)
	if err != nil {
		return wise.FactorAnswer{}, false, err
	}
	call := wise.FactorCall{Method: http.MethodPost, Path: path2, Token: c.token, OTT: ott, Body: body, Secret: secret, WiseEncrypt: enc, Approval: approval}
	if c.profile == 0 && path1 != "" {
		call.Path = path1
	}
	a, err := c.api.Factor(ctx, call)
	if wise.RouteUnknown(err) && path1 != "" && call.Path != path1 {
		call.Path = path1
		a, err = c.api.Factor(ctx, call)
	}
	if err != nil && serverFailed(err) {
		pub, changed, ferr := s.refetchEncryption(ctx, c.e.LinkedTo)
		if ferr == nil && changed {
			call.WiseEncrypt = pub
			a, err = c.api.Factor(ctx, call)
		}
	}
	v1 := call.Path == path1
	var ch *wise.ChallengeError
	if errors.As(err, &ch) {
		return a, v1, err // the caller clears it and sends again
	}
	if err != nil {
		return a, v1, s.scaError(c, ott, f, err)
	}
	if ott != "" && len(a.Body) > 0 {
		o, perr := wise.ParseOTT(a.Body)
		if perr != nil {
			return a, v1, fmt.Errorf("POST %s: %w", call.Path, perr)
		}
		if o.Token != ott {
			return a, v1, fmt.Errorf("POST %s: the answer is for another one-time token: %w", call.Path, wise.ErrOTTAnswer)
		}
	}
	return a, v1, nil
}

func serverFailed(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status >= 500
}

// scaEncryptKey is Wise's encryption key, through the user's OAuth client
// (only a client-credentials token fetches it; it is kept in the client
// entry).
func (s *Service) scaEncryptKey(ctx context.Context, e wallet.Entry) (*rsa.PublicKey, error) {
	if e.LinkedTo == "" {
		return nil, &MissingClientError{Entry: e.Name, Client: "", Doing: "sca"}
	}
	client, err := s.w.Get(e.LinkedTo)
	if errors.Is(err, ErrEntryNotFound) {
		return nil, &MissingClientError{Entry: e.Name, Client: e.LinkedTo, Doing: "sca"}
	}
	if err != nil {
		return nil, err
	}
	if client.Kind != wallet.KindClient {
		return nil, &KindError{Entry: client.Name, Kind: client.Kind, Want: wallet.KindClient, For: "jose"}
	}
	wk, err := s.wiseKeysOf(ctx, client)
	if err != nil {
		return nil, err
	}
	return wk.encrypt, nil
}
