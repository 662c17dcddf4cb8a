package flows

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// Call: one Wise call with a credential's authentication. When Wise
// answers with a challenge, the challenge is cleared (the factors through
// the solver; a personal token's legacy signature) and the SAME request
// is sent once more with the token: the same method, path and body bytes,
// its JOSE protection made again from the same plaintext. Nothing is sent
// again when the challenge was not cleared, and never a third time.

// ErrChallengeAgain: the replay of a cleared challenge was challenged
// again; it is not sent a third time.
var ErrChallengeAgain = errors.New("Wise asked for SCA again on the replay of a cleared challenge")

// maxCallBody bounds a body Call sends.
const maxCallBody = 1 << 20

// Call is one Wise call with the credential's authentication that clears
// an SCA challenge through solver and replays the same request once
// (issue 11's `request` builds on it).
func (s *Service) Call(ctx context.Context, in CallInput, solver SCASolver) (CallResult, error) {
	if err := checkCall(in); err != nil {
		return CallResult{}, err
	}
	e, err := s.w.Get(in.Entry)
	if err != nil {
		return CallResult{}, err
	}
	switch e.Kind {
	case wallet.KindPersonal, wallet.KindUser, wallet.KindClient:
	default:
		return CallResult{}, &KindError{Entry: in.Entry, Kind: e.Kind, Want: wallet.KindUser, For: "sca"}
	}
	c, err := s.scaCredential(ctx, e, 0, in.Path)
	if err != nil {
		return CallResult{}, err
	}
	res, err := s.call(ctx, c, in, solver)
	if errors.Is(err, wise.ErrTokenRejected) && !res.Challenged && e.Kind != wallet.KindPersonal {
		// A stored access token Wise rejects (401: revoked, or a client's
		// secret rotated) would be handed out again until it expires, up
		// to 12 h. A 401 means Wise did nothing, so after a new token the
		// same call is sent once more, whatever its method.
		fresh, rerr := s.replaceRejected(ctx, e.Name, c.token)
		if rerr != nil {
			return res, fmt.Errorf("getting a new access token for %q after Wise rejected the stored one: %w", e.Name, rerr)
		}
		c.token = fresh
		return s.call(ctx, c, in, solver)
	}
	return res, err
}

// checkCall refuses what cannot be a call before anything is sent.
func checkCall(in CallInput) error {
	if in.Method == "" || strings.ToUpper(in.Method) != in.Method || strings.ContainsAny(in.Method, " \t\r\n/:") {
		return &InputError{Input: InputMethod, Value: wise.CleanText(in.Method, 32), Reason: ErrBadMethod}
	}
	if !strings.HasPrefix(in.Path, "/") || strings.HasPrefix(in.Path, "//") || strings.ContainsAny(in.Path, " \t\r\n#") {
		return &InputError{Input: InputPath, Value: wise.CleanText(in.Path, 200), Reason: ErrNotPath}
	}
	if len(in.Body) > maxCallBody {
		return &InputError{Input: "body", Reason: fmt.Errorf("is over %d bytes", maxCallBody)}
	}
	for k := range in.Header {
		switch http.CanonicalHeaderKey(k) {
		case "Authorization", http.CanonicalHeaderKey(wise.HeaderApproval), http.CanonicalHeaderKey(wise.HeaderSignature):
			// The credential's and the challenge's: set here, never by the
			// caller (a stale approval would be a second use of a token).
			return &InputError{Input: "header", Value: k, Reason: errors.New("is set by wisewallet itself")}
		}
	}
	return nil
}

// call sends in with c's token, clears a challenge and replays once.
func (s *Service) call(ctx context.Context, c scaCred, in CallInput, solver SCASolver) (CallResult, error) {
	var res CallResult
	send := s.sender(c, in)
	ans, err := send(ctx, "", "", &res)
	var ch *wise.ChallengeError
	if !errors.As(err, &ch) {
		var ae *APIError
		if errors.As(err, &ae) && ae.Code == wise.CodeSCABlocked {
			// Blocked before a token was even made.
			err = s.scaError(c, "", "", err)
			if be := (*SCABlockedError)(nil); errors.As(err, &be) {
				solver.Progress(ctx, SCAEvent{Kind: EventBlocked, Until: be.Until})
			}
		}
		return fill(res, ans), err
	}
	res.Challenged, res.OTT = true, ch.OTT
	res = fill(res, ans)
	var approval, signature string
	switch c.e.Kind {
	case wallet.KindPersonal:
		key, ok := s.scaKeyFor(c.e.Name)
		if !ok {
			v, serr := s.readStatus(ctx, c, ch.OTT, nil)
			if serr == nil {
				solver.Progress(ctx, SCAEvent{Kind: EventStatusRead, Status: &v, AttemptsLeft: -1})
			}
			return res, &NoSolvableFactorError{Credential: c.e.Name, Kind: c.e.Kind, ActionType: v.ActionType, Factors: pendingOptions(v), Instead: insteadPersonal}
		}
		if signature, err = signOTT(key, ch.OTT); err != nil {
			return res, err
		}
		solver.Progress(ctx, SCAEvent{Kind: EventSigned, Factor: FactorLegacySignature, Key: key.Name, AttemptsLeft: -1})
		approval = ch.OTT
	case wallet.KindUser:
		if _, err := s.approve(ctx, c, ch.OTT, solver); err != nil {
			return res, err
		}
		approval = ch.OTT
	default:
		return res, &NoSolvableFactorError{Credential: c.e.Name, Kind: c.e.Kind, Instead: "a client-credentials token acts as the partner application: make the call with the user's token, whose user clears the challenge",
			Factors: []SCAFactorOption{{Factor: "", WhyNot: "only a user clears a challenge"}}}
	}
	// The user may have given up while the last factor was checked: the
	// replay is the side effect, so it is not sent then.
	if err := ctx.Err(); err != nil {
		return res, interrupted(c, ch.OTT, err)
	}
	solver.Progress(ctx, SCAEvent{Kind: EventReplaying, AttemptsLeft: -1})
	ans, err = send(ctx, approval, signature, &res)
	res.Replayed = true
	res = fill(res, ans)
	solver.Progress(ctx, SCAEvent{Kind: EventReplayed, HTTPStatus: ans.Status, Result: ans.Approval, AttemptsLeft: -1})
	if err != nil {
		return res, s.replayError(c, ch.OTT, signature != "", ans, err)
	}
	return res, nil
}

// replayError says why a replay was refused.
func (s *Service) replayError(c scaCred, ott string, signed bool, ans wise.RawAnswer, err error) error {
	reason := ans.Header.Get(wise.HeaderLocalwiseReason)
	var again *wise.ChallengeError
	switch {
	case signed && reason == wise.ReasonSignatureWithdrawn:
		return &NoSolvableFactorError{Credential: c.e.Name, Kind: c.e.Kind, Instead: insteadSCAKey,
			Factors: []SCAFactorOption{{Factor: FactorLegacySignature, WhyNot: "Wise no longer accepts signed personal-token SCA"}}}
	case signed && (reason == wise.ReasonSignatureInvalid || errors.As(err, &again)):
		key, _ := s.scaKeyFor(c.e.Name)
		return &SCAKeyUnknownError{Key: key.Name, Env: c.e.Env.Name, Cause: err}
	case reason == wise.CodeOTTUsed || reason == wise.CodeOTTExpired || reason == wise.CodeOTTNotFound || reason == wise.ReasonOTTMismatch:
		return &OTTUsedError{OTT: ott, Cause: err}
	case errors.As(err, &again):
		return fmt.Errorf("%w (one-time token %s): it was not sent a third time: %w", ErrChallengeAgain, ott, err)
	}
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusForbidden && ans.Approval == wise.ApprovalRejected {
		return &OTTUsedError{OTT: ott, Cause: err}
	}
	return err
}

// fill copies an answer into the result.
func fill(res CallResult, a wise.RawAnswer) CallResult {
	if a.Status == 0 {
		return res
	}
	res.Status, res.TraceID, res.Header, res.Body, res.Approval = a.Status, a.TraceID, a.Header, a.Body, a.Approval
	return res
}

// sender makes the function that sends in, with an approval and signature
// on the replay. With JOSE, each send protects the plaintext afresh (a
// new content key, a new JWS), as Wise wants for a new request.
func (s *Service) sender(c scaCred, in CallInput) func(ctx context.Context, approval, signature string, res *CallResult) (wise.RawAnswer, error) {
	body := append([]byte(nil), in.Body...) // the caller's slice may change meanwhile
	if in.Body == nil {
		body = nil
	}
	return func(ctx context.Context, approval, signature string, res *CallResult) (wise.RawAnswer, error) {
		if in.JOSE == "" {
			return c.api.Send(ctx, wise.Raw{Method: in.Method, Path: in.Path, Body: body, Header: in.Header.Clone(), Token: c.token,
				Approval: approval, Signature: signature})
		}
		call, err := s.joseCall(ctx, c, in, body)
		if err != nil {
			return wise.RawAnswer{}, err
		}
		call.Header = in.Header.Clone()
		if call.Header == nil {
			call.Header = http.Header{}
		}
		if approval != "" {
			call.Header.Set(wise.HeaderApproval, approval)
		}
		if signature != "" {
			call.Header.Set(wise.HeaderSignature, signature)
		}
		api := c.api
		if !idempotentMethod(in.Method) {
			api = api.Once() // a retried POST could act twice
		}
		a, err := api.JOSE(ctx, call)
		res.Steps = nil
		for _, st := range a.Steps {
			res.Steps = append(res.Steps, JOSEStep{Step: st.Step, Header: headerView(st.Header), Result: st.Result})
		}
		ra := wise.RawAnswer{Status: a.Status, TraceID: a.TraceID, Body: a.Body}
		var ch *wise.ChallengeError
		if errors.As(err, &ch) {
			ra.Status, ra.TraceID, ra.Approval = ch.Status, ch.TraceID, ch.Result
		}
		return ra, err
	}
}

// joseCall is in as a JOSE call with the keys of the credential's OAuth
// client (a user's LinkedTo, or the client itself).
func (s *Service) joseCall(ctx context.Context, c scaCred, in CallInput, body []byte) (wise.JOSECall, error) {
	mode := wise.JOSEMode(in.JOSE)
	switch mode {
	case wise.JOSEJWS, wise.JOSEJWE, wise.JOSEJWSJWE, wise.JOSEDirect:
	default:
		return wise.JOSECall{}, &InputError{Input: "JOSE method", Value: in.JOSE, Reason: errors.New("is not jws, jwe, jws+jwe or jwe-direct")}
	}
	client := c.e.LinkedTo
	if c.e.Kind == wallet.KindClient {
		client = c.e.Name
	}
	if client == "" {
		return wise.JOSECall{}, &MissingClientError{Entry: c.e.Name, Doing: "sca"}
	}
	ce, err := s.clientEntry(client, "jose")
	if err != nil {
		return wise.JOSECall{}, err
	}
	call := wise.JOSECall{Method: in.Method, Path: in.Path, Mode: mode, Body: body, Now: s.now(), Token: c.token}
	err = s.withJOSEKeys(ctx, &call, ce, string(mode), "")
	return call, err
}

// idempotentMethod: a method whose retry cannot act twice.
func idempotentMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}
