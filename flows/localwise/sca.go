package localwise

import (
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The SCA challenge on protected calls, Wise's way: a call that needs
// strong customer authentication answers 403 with x-2fa-approval-result:
// REJECTED and a one-time token in x-2fa-approval; once the token's
// challenges are cleared (or, for a personal token, the token is signed:
// the legacy scheme), the same request again with x-2fa-approval runs once
// and answers x-2fa-approval-result: APPROVED. The token is bound to the
// request (method, path and query, SHA-256 of the body), so a replay cannot
// be another call, and it is used up by the replay that runs. The wire is
// written down in /work/coord/sca-localwise-wire.md and the README.

const (
	approvalHeader       = "X-2fa-Approval"
	approvalResultHeader = "X-2fa-Approval-Result"
	ottHeader            = "One-Time-Token"
	signatureHeader      = "X-Signature"

	approvalRejected = "REJECTED"
	approvalApproved = "APPROVED"

	forbiddenMessage = "You are forbidden to send this request" // Wise's documented body
)

// Action types: Wise documents BALANCE__GET_STATEMENT; the others follow
// its spelling.
const (
	actionStatement    = "BALANCE__GET_STATEMENT"
	actionFund         = "TRANSFER__FUND"
	actionPINDelete    = "PIN__DELETE"
	actionDeviceDelete = "DEVICE_FINGERPRINT__DELETE"
	actionSession      = "SCA__SESSION"
)

// scaCaller is the user behind a user access token or a personal token.
type scaCaller struct {
	u        *user
	personal bool
}

// scaCallerOf authenticates the caller. A client-credentials token is
// refused; so is a personal token where personalOK is false: SCA over API
// is for user tokens, and a personal token clears a challenge only by the
// legacy signature.
func (s *Server) scaCallerOf(w http.ResponseWriter, r *http.Request, personalOK bool) (scaCaller, bool) {
	p, ok := s.authenticateBearer(w, r)
	if !ok {
		return scaCaller{}, false
	}
	switch {
	case p.kind == kindClient:
		forbidKind(w, "a user access token or a personal token")
		return scaCaller{}, false
	case p.kind == kindPersonal && !personalOK:
		forbidKind(w, "a user access token: a personal token clears a challenge only by signing the one-time token (X-Signature, the legacy scheme)")
		return scaCaller{}, false
	}
	u := s.users.user(p.userID)
	if u == nil {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_token", "Invalid access token")
		return scaCaller{}, false
	}
	return scaCaller{u: u, personal: p.kind == kindPersonal}, true
}

// profileOf reads {profileId}, answering 404 itself when it is not one of
// the user's profiles (as GET /v2/profiles/{id} does, so ids cannot be
// probed).
func profileOf(w http.ResponseWriter, r *http.Request, u *user) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("profileId"), 10, 64)
	if err != nil {
		writeSpringError(w, r, http.StatusBadRequest, "profileId must be an integer")
		return 0, false
	}
	if !slices.ContainsFunc(u.profiles, func(p profile) bool { return p.id == id }) {
		writeSpringError(w, r, http.StatusNotFound, "Profile not found")
		return 0, false
	}
	return id, true
}

func writeSCAError(w http.ResponseWriter, e *scaError) {
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	if e.status == http.StatusTooManyRequests {
		w.Header().Set("X-Rate-Limited-By", "localwise")
	}
	writeFieldErrors(w, e.status, fieldError{Code: e.code, Message: e.msg, Arguments: e.args})
}

// readBody reads the whole (capped) request body, answering 413 itself.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		writeSpringError(w, r, http.StatusRequestEntityTooLarge, "Request body too large")
		return nil, false
	}
	return b, true
}

// protected is one protected operation's call, for protect.
type protected struct {
	caller  scaCaller
	profile int64
	risk    scaRisk
	action  string
	body    []byte
}

// protect applies SCA to a protected call and reports whether the
// operation may run. It answers the challenge or the refusal itself;
// when it returns true after a replay, the answer carries APPROVED.
func (s *Server) protect(w http.ResponseWriter, r *http.Request, p protected) bool {
	now := s.now()
	uid := p.caller.u.id
	if id := strings.TrimSpace(r.Header.Get(approvalHeader)); id != "" {
		signed, why := false, ""
		if sig := r.Header.Get(signatureHeader); sig != "" && p.caller.personal {
			switch {
			case !s.sca.legacyOn():
				why = "signature.withdrawn"
			case s.verifyOTTSignature(uid, id, sig):
				signed = true
			default:
				why = "signature.invalid"
			}
		}
		res, o, code, msg := s.sca.replay(now, id, uid, r.Method, r.URL.RequestURI(), sha256.Sum256(p.body), signed)
		h := w.Header()
		switch res {
		case replayApproved:
			h.Set(approvalResultHeader, approvalApproved)
			return true
		case replayNotCleared:
			h.Set(approvalResultHeader, approvalRejected)
			h.Set(approvalHeader, o.id)
			msg = notClearedMessage(o)
			switch why {
			case "signature.withdrawn":
				msg = "Wise no longer accepts signed one-time tokens from personal tokens (the legacy SCA): fund the transfer or get the statement in the Wise app or website, or use an OAuth integration"
			case "signature.invalid":
				msg = "The X-Signature does not verify with any public key uploaded for this account (Manage public keys): sign the one-time token with SHA256withRSA and the key's private half"
			}
			if why != "" {
				h.Set(reasonHeader, why)
			}
			writeSpringError(w, r, http.StatusForbidden, msg)
			return false
		default:
			h.Set(approvalResultHeader, approvalRejected)
			h.Set(reasonHeader, code)
			writeSpringError(w, r, http.StatusForbidden, msg)
			return false
		}
	}
	if !s.sca.shouldChallenge(now, uid, p.profile, p.risk) {
		return true
	}
	o := &oneTimeToken{userID: uid, profileID: p.profile, actionType: p.action, method: r.Method,
		target: r.URL.RequestURI(), bodySum: sha256.Sum256(p.body), challenges: challengesFor(p.risk)}
	issued, err := s.sca.issue(now, o)
	if err != nil {
		writeSCAError(w, err)
		return false
	}
	w.Header().Set(approvalResultHeader, approvalRejected)
	w.Header().Set(approvalHeader, issued.id)
	writeSpringError(w, r, http.StatusForbidden, forbiddenMessage)
	return false
}

// notClearedMessage says which challenges a replay came too early for.
func notClearedMessage(o oneTimeToken) string {
	var open []string
	for _, c := range o.challenges {
		if !c.passed {
			open = append(open, strings.Join(append([]string{c.primary}, c.alternatives...), " or "))
		}
	}
	return "The one-time token's challenges are not all cleared yet (" + strings.Join(open, "; ") +
		"): clear them, then send the same request again with x-2fa-approval"
}

// handleTransferFund is POST /v3/profiles/{profileId}/transfers/{transferId}/payments.
func (s *Server) handleTransferFund(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodPost) {
		return
	}
	c, ok := s.scaCallerOf(w, r, true)
	if !ok {
		return
	}
	profileID, ok := profileOf(w, r, c.u)
	if !ok {
		return
	}
	if t, err := strconv.ParseInt(r.PathValue("transferId"), 10, 64); err != nil || t <= 0 {
		writeSpringError(w, r, http.StatusNotFound, "Transfer not found")
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req struct {
		Type             *string `json:"type"`
		PartnerReference string  `json:"partnerReference"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeFieldErrors(w, http.StatusBadRequest, fieldError{Code: "NOT_READABLE", Message: "Request body is not valid JSON"})
		return
	}
	switch {
	case req.Type == nil:
		writeFieldErrors(w, http.StatusBadRequest, fieldError{Code: "NOT_NULL", Message: "type is required: BALANCE", Path: "type"})
		return
	case !slices.Contains([]string{"BALANCE", "BANK_TRANSFER", "TRUSTED_PRE_FUND_BULK"}, *req.Type):
		writeFieldErrors(w, http.StatusBadRequest, fieldError{Code: "NOT_VALID", Message: "type must be BALANCE, BANK_TRANSFER or TRUSTED_PRE_FUND_BULK", Path: "type"})
		return
	}
	if !s.protect(w, r, protected{caller: c, profile: profileID, risk: riskHigh, action: actionFund, body: body}) {
		return
	}
	s.sca.executed(r.Method + " " + r.URL.Path)
	writeJSON(w, http.StatusOK, struct {
		Type      string  `json:"type"`
		Status    string  `json:"status"`
		ErrorCode *string `json:"errorCode"`
	}{*req.Type, "COMPLETED", nil})
}

// statementJSON is the documented part of Wise's statement.json.
type statementJSON struct {
	AccountHolder struct {
		Type    string `json:"type"`
		Address struct {
			AddressFirstLine string `json:"addressFirstLine"`
			City             string `json:"city"`
			PostCode         string `json:"postCode"`
			StateCode        string `json:"stateCode"`
			CountryName      string `json:"countryName"`
		} `json:"address"`
		FirstName string `json:"firstName"`
		LastName  string `json:"lastName"`
	} `json:"accountHolder"`
	Issuer struct {
		Name      string `json:"name"`
		FirstLine string `json:"firstLine"`
		City      string `json:"city"`
		PostCode  string `json:"postCode"`
		StateCode string `json:"stateCode"`
		Country   string `json:"country"`
	} `json:"issuer"`
	BankDetails           *struct{}  `json:"bankDetails"`
	Transactions          []any      `json:"transactions"`
	EndOfStatementBalance amountJSON `json:"endOfStatementBalance"`
	Query                 struct {
		IntervalStart string `json:"intervalStart"`
		IntervalEnd   string `json:"intervalEnd"`
		Currency      string `json:"currency"`
		AccountID     int64  `json:"accountId"`
	} `json:"query"`
}

type amountJSON struct {
	Value    float64 `json:"value"`
	Currency string  `json:"currency"`
}

// maxStatementInterval is Wise's limit, 469 days.
const maxStatementInterval = 469 * 24 * time.Hour

// handleBalanceStatement is GET
// /v1/profiles/{profileId}/balance-statements/{balanceId}/statement.json.
func (s *Server) handleBalanceStatement(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet) {
		return
	}
	c, ok := s.scaCallerOf(w, r, true)
	if !ok {
		return
	}
	profileID, ok := profileOf(w, r, c.u)
	if !ok {
		return
	}
	balanceID, err := strconv.ParseInt(r.PathValue("balanceId"), 10, 64)
	if err != nil || balanceID <= 0 {
		writeSpringError(w, r, http.StatusNotFound, "Balance not found")
		return
	}
	q := r.URL.Query()
	var errs []fieldError
	cur := q.Get("currency")
	if len(cur) != 3 || strings.ToUpper(cur) != cur {
		errs = append(errs, fieldError{Code: "NOT_VALID", Message: "currency must be a three-letter code such as EUR", Path: "currency"})
	}
	var interval [2]time.Time
	for i, name := range []string{"intervalStart", "intervalEnd"} {
		t, err := time.Parse(time.RFC3339Nano, q.Get(name))
		if err != nil {
			errs = append(errs, fieldError{Code: "NOT_VALID", Message: name + " must be an ISO 8601 time such as 2025-03-01T00:00:00.000Z", Path: name})
		}
		interval[i] = t
	}
	if len(errs) == 0 && (interval[1].Before(interval[0]) || interval[1].Sub(interval[0]) > maxStatementInterval) {
		errs = append(errs, fieldError{Code: "NOT_VALID", Message: "intervalEnd must follow intervalStart by at most 469 days", Path: "intervalEnd"})
	}
	if t := q.Get("type"); t != "" && t != "COMPACT" && t != "FLAT" {
		errs = append(errs, fieldError{Code: "NOT_VALID", Message: "type must be COMPACT or FLAT", Path: "type"})
	}
	if len(errs) > 0 {
		writeFieldErrors(w, http.StatusBadRequest, errs...)
		return
	}
	if !s.protect(w, r, protected{caller: c, profile: profileID, risk: riskLow, action: actionStatement}) {
		return
	}
	s.sca.executed(r.Method + " " + r.URL.Path)
	var st statementJSON
	st.AccountHolder.Type = "PERSONAL"
	for _, p := range c.u.profiles {
		if p.id == profileID {
			st.AccountHolder.Type = p.typ
		}
	}
	if d := c.u.me.Details; d != nil {
		st.AccountHolder.FirstName, st.AccountHolder.LastName = d.FirstName, d.LastName
		st.AccountHolder.Address.AddressFirstLine = d.Address.FirstLine
		st.AccountHolder.Address.City = d.Address.City
		st.AccountHolder.Address.PostCode = d.Address.PostCode
		st.AccountHolder.Address.CountryName = "United Kingdom"
	}
	st.Issuer.Name, st.Issuer.FirstLine, st.Issuer.City = "localwise (not Wise)", "1 Loopback Lane", "London"
	st.Issuer.PostCode, st.Issuer.Country = "E1 6JJ", "United Kingdom"
	st.Transactions = []any{}
	st.EndOfStatementBalance = amountJSON{Value: 0, Currency: cur}
	st.Query.IntervalStart = interval[0].UTC().Format(isoMillis)
	st.Query.IntervalEnd = interval[1].UTC().Format(isoMillis)
	st.Query.Currency, st.Query.AccountID = cur, balanceID
	writeJSON(w, http.StatusOK, st)
}

// The one-time token's answers: the full form (status, the v1 verifies,
// OTP verify) and the flat form of the OAS one-time-token schema (the v2
// verifies, sca-sessions/authorise).

type viewDataJSON struct {
	Attributes map[string]any `json:"attributes"`
}

type challengeTypeJSON struct {
	Type     string       `json:"type"`
	ViewData viewDataJSON `json:"viewData"`
}

type challengeJSON struct {
	PrimaryChallenge challengeTypeJSON   `json:"primaryChallenge"`
	Alternatives     []challengeTypeJSON `json:"alternatives"`
	Required         bool                `json:"required"`
	Passed           bool                `json:"passed"`
}

type ottPropsJSON struct {
	OneTimeToken string          `json:"oneTimeToken"`
	Challenges   []challengeJSON `json:"challenges"`
	Validity     int64           `json:"validity"`
	ActionType   string          `json:"actionType"`
	UserID       int64           `json:"userId"`
}

type ottResponseJSON struct {
	Props ottPropsJSON `json:"oneTimeTokenProperties"`
}

type flatChallengeJSON struct {
	PrimaryChallenge struct {
		Type string `json:"type"`
	} `json:"primaryChallenge"`
	Passed bool `json:"passed"`
}

type flatOTTJSON struct {
	OneTimeToken string              `json:"oneTimeToken"`
	Challenges   []flatChallengeJSON `json:"challenges"`
	Validity     int64               `json:"validity"`
}

func validity(now time.Time, o oneTimeToken) int64 {
	return max(int64(o.created.Add(ottValidity).Sub(now)/time.Second), 0)
}

func typeJSON(t string, userID int64) challengeTypeJSON {
	attrs := map[string]any{"userId": userID}
	if t == chSMS || t == chWhatsApp || t == chVoice {
		attrs["obfuscatedPhoneNo"] = obfuscatedPhone
	}
	return challengeTypeJSON{Type: t, ViewData: viewDataJSON{Attributes: attrs}}
}

func fullOTT(now time.Time, o oneTimeToken) ottResponseJSON {
	p := ottPropsJSON{OneTimeToken: o.id, Challenges: []challengeJSON{}, Validity: validity(now, o),
		ActionType: o.actionType, UserID: o.userID}
	for _, c := range o.challenges {
		cj := challengeJSON{PrimaryChallenge: typeJSON(c.primary, o.userID), Alternatives: []challengeTypeJSON{},
			Required: true, Passed: c.passed}
		for _, a := range c.alternatives {
			cj.Alternatives = append(cj.Alternatives, typeJSON(a, o.userID))
		}
		p.Challenges = append(p.Challenges, cj)
	}
	return ottResponseJSON{Props: p}
}

func flatOTT(now time.Time, o oneTimeToken) flatOTTJSON {
	f := flatOTTJSON{OneTimeToken: o.id, Challenges: []flatChallengeJSON{}, Validity: validity(now, o)}
	for _, c := range o.challenges {
		var fc flatChallengeJSON
		fc.PrimaryChallenge.Type, fc.Passed = c.primary, c.passed
		f.Challenges = append(f.Challenges, fc)
	}
	return f
}

// handleOTTStatus is GET /v1/one-time-token/status and the deprecated
// /v1/identity/one-time-token/status. A personal token may read its own
// tokens too (Wise says user token), so a personal-token user can see what
// a call asks for.
func (s *Server) handleOTTStatus(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet) {
		return
	}
	c, ok := s.scaCallerOf(w, r, true)
	if !ok {
		return
	}
	now := s.now()
	o, err := s.sca.status(now, strings.TrimSpace(r.Header.Get(ottHeader)), c.u.id)
	if err != nil {
		writeSCAError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, fullOTT(now, o))
}

// handleSCASession is POST /v2/profiles/{profileId}/sca-sessions/authorise:
// SCA on demand. Clearing the token's challenges opens the profile's
// 5-minute low-risk window; while it is open the answer has nothing to
// clear. A replay with the cleared token is answered APPROVED.
func (s *Server) handleSCASession(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodPost) {
		return
	}
	c, ok := s.scaCallerOf(w, r, false)
	if !ok {
		return
	}
	profileID, ok := profileOf(w, r, c.u)
	if !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	now := s.now()
	if id := strings.TrimSpace(r.Header.Get(approvalHeader)); id != "" {
		res, o, code, msg := s.sca.replay(now, id, c.u.id, r.Method, r.URL.RequestURI(), sha256.Sum256(body), false)
		switch res {
		case replayApproved:
			w.Header().Set(approvalResultHeader, approvalApproved)
			writeJSON(w, http.StatusOK, struct {
				Props flatOTTJSON `json:"oneTimeTokenProperties"`
			}{flatOTT(now, o)})
		case replayNotCleared:
			w.Header().Set(approvalResultHeader, approvalRejected)
			w.Header().Set(approvalHeader, o.id)
			writeSpringError(w, r, http.StatusForbidden, notClearedMessage(o))
		default:
			w.Header().Set(approvalResultHeader, approvalRejected)
			w.Header().Set(reasonHeader, code)
			writeSpringError(w, r, http.StatusForbidden, msg)
		}
		return
	}
	o := &oneTimeToken{userID: c.u.id, profileID: profileID, actionType: actionSession, method: r.Method,
		target: r.URL.RequestURI(), bodySum: sha256.Sum256(body), session: true}
	if !s.sca.windowOpen(now, c.u.id, profileID) {
		o.challenges = challengesFor(riskLow)
	}
	issued, err := s.sca.issue(now, o)
	if err != nil {
		writeSCAError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Props flatOTTJSON `json:"oneTimeTokenProperties"`
	}{flatOTT(now, issued)})
}
