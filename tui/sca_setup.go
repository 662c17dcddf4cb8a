package tui

// Guided flow: 2FA (SCA) for a credential (reference/wise-auth.md §4).
// Wise may ask for a second factor on any call; this sets up what clears
// it. It says which factors the credential can use and why not the
// others, then, for a logged-in user, sets the PIN (typed hidden, twice)
// and registers this device (a random fingerprint sealed in the wallet);
// for a personal token it makes the legacy SCA key and shows its public
// key with where it is uploaded (localwise takes it from here). It ends on
// a check: an SCA session started and cleared on the challenge screen,
// which any call that meets a challenge raises the same way. A personal
// or user entry's details open it on that credential (s).

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
)

type scaStep int

const (
	ssIntro scaStep = iota
	ssCredential
	ssFactors
	ssProfile
	ssPIN
	ssPINFirst
	ssPINAgain
	ssPINCall
	ssDevice
	ssDeviceCall
	ssKey
	ssKeyName
	ssKeySize
	ssKeygen
	ssKeyUpload
	ssUploading
	ssCheck
	ssChecking
	ssResult
)

// scaPart is one part of the setup a credential goes through.
type scaPart int

const (
	partPIN scaPart = iota
	partDevice
	partKey
	partCheck
)

// The suffix of the SCA key entry's suggested name.
const scaKeySuffix = "-sca"

type scaFlow struct {
	flowBase[scaStep]
	fromEntry bool // opened on a credential's details

	creds   credPick
	cred    flows.EntryView
	factors flows.SCAFactorsView
	parts   []scaPart

	profiles pickList
	profile  int64

	pinChoice pickList
	pin       textinput.Model
	pinAgain  textinput.Model

	devChoice pickList
	devices   []flows.DeviceView

	keyChoice  pickList
	keySizes   pickList
	keyExisted bool            // the token had its SCA key before
	key        flows.EntryView // the SCA key: made here, or the token's own
	pem        string
	uploadErr  error

	session  *flows.SCASessionView
	call     *flows.CallResult // a personal token's check
	checkErr error
	// savedAny: a part changed something, so esc leaves rather than go
	// back over it.
	savedAny bool

	// done says what each part did, for the result.
	done map[scaPart]string
}

// credPick lists the credentials that act as a Wise user: personal
// tokens and logged-in users, each with what it can use.
type credPick struct {
	op      asyncOp
	loaded  bool
	creds   []flows.EntryView
	factors map[string]flows.SCAFactorsView
	list    pickList
}

// Answers of the flow's calls, each tagged with its attempt.
type (
	scaCredsMsg struct {
		id      int
		creds   []flows.EntryView
		factors map[string]flows.SCAFactorsView
	}
	// scaPartMsg answers a part's call.
	scaPartMsg struct {
		id      int
		part    scaPart
		what    string // what was done, for the result
		devices []flows.DeviceView
		key     flows.EntryView
		pem     string
		session *flows.SCASessionView
		call    *flows.CallResult
		factors flows.SCAFactorsView
		err     error
	}
	scaPEMCopiedMsg struct{ err error }
)

var scaSteps = &flowSpec[*scaFlow, scaStep]{
	flow: "2FA (SCA)", title: "Set up 2FA", of: 6, call: "2FA setup",
	done: (*scaFlow).doneText, unsaved: "Nothing was changed.",
	frame: (*scaFlow).frame,
	steps: []stepSpec[*scaFlow, scaStep]{
		ssIntro: {
			kind: stepInfo, n: 1, title: "When Wise asks for a second factor",
			next: func(*scaFlow) (scaStep, string) { return ssCredential, "" },
			view: (*scaFlow).introView,
		},
		ssCredential: {
			kind: stepChoice, n: 2, title: "Which credential?",
			hint: "Wise asks the user a credential acts as: a personal token's owner, or a user logged in through an OAuth client.",
			list: func(s *scaFlow) *pickList { return &s.creds.list },
			next: (*scaFlow).takeCred,
			view: func(s *scaFlow, v *stepView) { v.Body = s.creds.view(s.c) },
		},
		ssFactors: {
			kind: stepInfo, n: 3, title: "What it can use",
			next: (*scaFlow).afterFactors,
			view: (*scaFlow).factorsView,
		},
		ssProfile: {
			kind: stepChoice, n: 3, title: "Which profile?",
			hint: "Wise keeps the PIN, the devices and SCA sessions per profile.",
			list: func(s *scaFlow) *pickList { return &s.profiles }, labels: 10,
			next: (*scaFlow).takeProfile,
		},
		ssPIN: {
			kind: stepChoice, n: 4, title: "PIN",
			list: func(s *scaFlow) *pickList { return &s.pinChoice }, labels: 12,
			next: (*scaFlow).takePINChoice,
			view: (*scaFlow).pinView,
		},
		ssPINFirst: {
			kind: stepMasked, n: 4, title: "Type the new PIN",
			hint:  "4 digits. Typed hidden; it is encrypted to Wise's key, never stored and never shown.",
			field: func(s *scaFlow) *textinput.Model { return &s.pin },
			next:  (*scaFlow).takePIN,
		},
		ssPINAgain: {
			kind: stepMasked, n: 4, title: "Type it again",
			hint:  "The same 4 digits, so a slip of the finger does not become your PIN.",
			field: func(s *scaFlow) *textinput.Model { return &s.pinAgain },
			next:  (*scaFlow).takePINAgain,
		},
		ssPINCall: {
			kind: stepCall, n: 4, title: "Setting the PIN at Wise",
			hint:  "If Wise asks for a factor first, the challenge screen opens.",
			start: (*scaFlow).pinCall, doing: (*scaFlow).pinDoing,
		},
		ssDevice: {
			kind: stepChoice, n: 5, title: "This device",
			list: func(s *scaFlow) *pickList { return &s.devChoice }, labels: 20,
			next: (*scaFlow).takeDeviceChoice,
			view: (*scaFlow).deviceView, escape: (*scaFlow).escape,
		},
		ssDeviceCall: {
			kind: stepCall, n: 5, title: "Registering this device",
			hint:  "If Wise asks for a factor first, the challenge screen opens.",
			start: (*scaFlow).deviceCall, doing: (*scaFlow).deviceDoing,
		},
		ssKey: {
			kind: stepChoice, n: 4, title: "The SCA key (legacy)",
			list: func(s *scaFlow) *pickList { return &s.keyChoice }, labels: 20,
			next: (*scaFlow).takeKeyChoice,
			view: (*scaFlow).keyView,
		},
		ssKeyName: {
			kind: stepName, n: 4, title: "Name the SCA key's entry",
			hint:   "Letters, digits, '.', '_' or '-'. The key is linked to the token it signs for.",
			lookup: freeName[*scaFlow], then: ssKeySize,
		},
		ssKeySize: {
			kind: stepChoice, n: 4, title: "Key size",
			hint: "Wise takes RSA keys of 2048 bits or more. The private key is made here, sealed in the wallet, and never leaves it.",
			list: func(s *scaFlow) *pickList { return &s.keySizes }, labels: 10,
			next: func(*scaFlow) (scaStep, string) { return ssKeygen, "" },
		},
		ssKeygen: {
			kind: stepCall, n: 4, title: "Making the SCA key",
			hint:  "esc cancels; nothing is stored then.",
			start: (*scaFlow).keygen, doing: (*scaFlow).keygenDoing,
		},
		ssKeyUpload: {
			kind: stepInfo, n: 5, title: "Upload the public key",
			next: (*scaFlow).toUpload,
			view: (*scaFlow).uploadView, escape: (*scaFlow).escape,
			key: (*scaFlow).uploadKey, help: (*scaFlow).uploadHelp,
		},
		ssUploading: {
			kind: stepCall, n: 5, title: "Uploading the public key",
			start: (*scaFlow).upload, doing: (*scaFlow).uploadDoing,
		},
		ssCheck: {
			kind: stepInfo, n: 6, title: "Check: an SCA session",
			next: func(*scaFlow) (scaStep, string) { return ssChecking, "" },
			view: (*scaFlow).checkView, escape: (*scaFlow).escape,
			help: (*scaFlow).checkHelp,
		},
		ssChecking: {
			kind: stepCall, n: 6, title: "Starting an SCA session",
			hint:  "The challenge screen opens for each factor Wise asks for.",
			start: (*scaFlow).check, doing: (*scaFlow).checkDoing,
			view: func(s *scaFlow, v *stepView) {
				if s.byCall() {
					v.Title = "Making the protected call"
				}
			},
		},
		ssResult: {
			kind: stepResult, n: 6, failed: "✗ 2FA was not set up",
			key: (*scaFlow).resultKey, view: (*scaFlow).resultView,
		},
	},
}

// newSCAFlow is the guided setup from the chooser's line from.
func newSCAFlow(c *Common, from int) *scaFlow {
	s := &scaFlow{
		flowBase: scaSteps.base(c, from, newField(c, "e.g. acme-personal-sca", nameLimit, false)),
		pin:      newField(c, "4 digits", crypto.PINLength, true),
		pinAgain: newField(c, "the same 4 digits", crypto.PINLength, true),
		keySizes: pickList{items: scaKeySizes},
		done:     map[scaPart]string{},
	}
	return s
}

// newSCAEntryFlow opens the setup on a credential (its details' s). It
// goes back to the details when done: it was pushed over them.
func newSCAEntryFlow(c *Common, e flows.EntryView) *scaFlow {
	s := newSCAFlow(c, -1)
	e.Secrets = nil
	s.fromEntry, s.cred = true, e
	s.step = ssFactors
	return s
}

func (s *scaFlow) Init() tea.Cmd {
	_, id := s.creds.op.start(s.c.Ctx)
	return s.c.WalletCmd(func(svc Backend) tea.Msg {
		m := scaCredsMsg{id: id, factors: map[string]flows.SCAFactorsView{}}
		for _, e := range svc.Entries() {
			if e.Kind == flows.KindPersonal || e.Kind == flows.KindUser {
				e.Secrets = nil
				m.creds = append(m.creds, e)
				m.factors[e.Name] = svc.SCAFactors(e.Name)
			}
		}
		slices.SortFunc(m.creds, func(a, b flows.EntryView) int { return strings.Compare(a.Name, b.Name) })
		return m
	})
}

// Leave stops the flow's calls and the reading of credentials.
func (s *scaFlow) Leave() {
	s.flowBase.Leave()
	s.creds.op.stop()
}

func (s *scaFlow) Update(msg tea.Msg) (Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case scaCredsMsg:
		s.takeCreds(msg)
		return s, nil
	case scaPartMsg:
		return s, s.partDone(msg)
	case scaPEMCopiedMsg:
		if msg.err != nil {
			return s, Toast("There is no clipboard here (no display, or none of wl-copy, xclip, xsel). The key stays on screen: select it with the mouse.", true)
		}
		return s, Toast("Copied the public key (PEM). It is not secret.", false)
	}
	return s, scaSteps.update(s, msg)
}

// takeCreds lists the credentials; opened on one, it takes its factors.
func (s *scaFlow) takeCreds(m scaCredsMsg) {
	p := &s.creds
	if !p.op.current(m.id) {
		return
	}
	p.op.stop()
	p.loaded, p.creds, p.factors = true, m.creds, m.factors
	p.list.items = nil
	for _, e := range m.creds {
		p.list.items = append(p.list.items, choice{e.Name, string(e.Env.Name) + " · " + credKindWords(e) + " · " + setUpSummary(m.factors[e.Name])})
	}
	if s.fromEntry {
		s.factors = m.factors[s.cred.Name]
		s.planParts()
	}
}

func credKindWords(e flows.EntryView) string {
	if e.Kind == flows.KindPersonal {
		return "personal token"
	}
	return "user of " + orNone(e.LinkedTo, "an OAuth client")
}

// setUpSummary says what a credential has set up, as the wallet knows.
func setUpSummary(v flows.SCAFactorsView) string {
	var parts []string
	if len(v.PINProfiles) > 0 {
		parts = append(parts, "PIN set")
	}
	if v.DeviceID != "" {
		parts = append(parts, "device registered")
	}
	if v.SCAKey != "" {
		parts = append(parts, "SCA key "+v.SCAKey)
	}
	if len(parts) == 0 {
		return "nothing set up yet"
	}
	return strings.Join(parts, ", ")
}

func (p *credPick) view(c *Common) string {
	switch {
	case !p.loaded:
		return c.Styles.Subtle.Render("Reading the wallet…")
	case len(p.creds) == 0:
		return c.Styles.Warning.Render("No personal token or logged-in user in this wallet yet.") + "\n" +
			c.Styles.Body.Render("Add one first: esc, then \"Personal API token\" or \"Log in a user\".")
	}
	width := 0
	for _, it := range p.list.items {
		width = max(width, len([]rune(it.Label)))
	}
	return renderList(c, p.list, min(width, 24))
}

func (s *scaFlow) introView(v *stepView) {
	v.Hint = "Wise may ask for strong customer authentication on any call, by its own risk assessment: the call answers 403 with x-2fa-approval, a one-time token, even if it worked yesterday. The app then opens its challenge screen, clears the token's factors and sends the same call again, once."
	v.Body = labelled(s.c, [][2]string{
		{"PIN", "something you know: 4 digits, set here"},
		{"this device", "something you have: a random fingerprint sealed in the"},
		{"", "wallet, registered at Wise (at most 3 per profile)"},
		{"phone code", "something you have: 6 digits by SMS, WhatsApp or voice"},
		{"face scan", "something you are: FaceTec, not possible in a terminal"},
		{"SCA key", "legacy, personal tokens: the token signed with your key"},
	})
	v.Note = "High-risk calls want two factors of different kinds. Five failures in a row block one-time tokens for 15 minutes. enter: choose the credential."
}

func (s *scaFlow) takeCred() (scaStep, string) {
	p := &s.creds
	if !p.loaded || len(p.creds) == 0 {
		return ssCredential, ""
	}
	s.cred = p.creds[p.list.cursor]
	s.factors = p.factors[s.cred.Name]
	s.planParts()
	return ssFactors, ""
}

// option is the credential's judgement of factor f, if it lists it.
func (s *scaFlow) option(f flows.SCAFactor) (flows.SCAFactorOption, bool) {
	for _, o := range s.factors.Factors {
		if o.Factor == f {
			return o, true
		}
	}
	return flows.SCAFactorOption{}, false
}

// planParts decides the parts of the setup: a user sets a PIN and
// registers this device; a personal token makes its legacy key; every
// credential ends on the check. A factor flows judges usable for a
// credential of another kind is offered too.
func (s *scaFlow) planParts() {
	usable := func(f flows.SCAFactor) bool { o, ok := s.option(f); return ok && (o.Solvable || o.SetUp) }
	user := s.cred.Kind == flows.KindUser

	// The profiles: the approved one (a user's) first chosen.
	s.profiles = pickList{}
	for i, p := range s.cred.Profiles {
		detail := p.Type
		if p.Name != "" {
			detail += " · " + p.Name
		}
		if p.ID == s.cred.ProfileID {
			detail += " (approved)"
			s.profiles.cursor = i
		}
		s.profiles.items = append(s.profiles.items, choice{fmt.Sprint(p.ID), detail})
	}
	s.profile = s.cred.ProfileID
	if s.profile == 0 && len(s.cred.Profiles) > 0 {
		s.profile = s.cred.Profiles[0].ID
	}

	s.parts = nil
	if user || usable(flows.FactorPIN) {
		s.parts = append(s.parts, partPIN)
	}
	if user || usable(flows.FactorDeviceFingerprint) {
		s.parts = append(s.parts, partDevice)
	}
	if s.cred.Kind == flows.KindPersonal || usable(flows.FactorLegacySignature) {
		s.parts = append(s.parts, partKey)
	}
	// The check: an SCA session for a user's profile (a user Wise names
	// no profile for has none to start one on); for a personal token a
	// protected call its key clears, at localwise only (the app knows no
	// balance of a real account to ask a statement of, and Wise has
	// withdrawn the signature anyway).
	if user && s.profile != 0 || !user && s.cred.Env.Name == flows.EnvLocal {
		s.parts = append(s.parts, partCheck)
	}
	s.preparePIN()
	s.prepareDevice()
	s.prepareKey()
}

// where says what the factors are set for: a profile, or (no profile
// known, Wise's v1 paths) the whole user.
func (s *scaFlow) where() string {
	if s.profile == 0 {
		return "for the whole user (Wise names no profile of it)"
	}
	return fmt.Sprintf("for profile %d", s.profile)
}

func (s *scaFlow) pinSet() bool { return slices.Contains(s.factors.PINProfiles, s.profile) }

func (s *scaFlow) preparePIN() {
	if s.pinSet() {
		s.pinChoice = pickList{items: []choice{
			{"keep it", "the PIN set for this profile stays as it is"},
			{"change it", "a new PIN; Wise may ask for the current one first"},
			{"remove it", "Wise no longer asks for a PIN here"},
		}}
		return
	}
	s.pinChoice = pickList{items: []choice{
		{"set a PIN", "4 digits, typed twice: suggested"},
		{"skip", "no PIN for now"},
	}}
}

func (s *scaFlow) prepareDevice() {
	if s.factors.DeviceID != "" {
		s.devChoice = pickList{items: []choice{
			{"keep it", "registered " + day(s.c, s.factors.DeviceRegisteredAt)},
			{"remove it", "Wise forgets it; the fingerprint is wiped"},
		}}
		return
	}
	s.devChoice = pickList{items: []choice{
		{"register this device", "suggested"},
		{"skip", "not for now"},
	}}
}

func (s *scaFlow) prepareKey() {
	if s.factors.SCAKey != "" {
		s.keyChoice = pickList{items: []choice{
			{"show its public key", "to upload it, if not done yet"},
			{"skip", "leave the key as it is"},
		}}
		return
	}
	s.keyChoice = pickList{items: []choice{
		{"make a key", "an RSA key pair for signing one-time tokens"},
		{"skip", "no SCA key"},
	}}
}

// scaKeySizes are the RSA sizes Wise takes, the suggested one first.
var scaKeySizes = []choice{
	{"RSA 2048", "suggested: the smallest Wise takes"},
	{"RSA 3072", ""},
	{"RSA 4096", "making the key takes seconds"},
}

// factorsView lists each factor with what the credential can do with it.
func (s *scaFlow) factorsView(v *stepView) {
	st := s.c.Styles
	e := s.cred
	v.Hint = e.Name + " is a " + credKindWords(e) + ". "
	if e.Kind == flows.KindPersonal {
		v.Hint += "Wise's one-time-token factors are for partners' users; a personal token had only the signed token, which Wise has withdrawn."
	} else {
		v.Hint += "Its calls can be cleared with the factors of Wise's one-time-token framework that are set up for the profile."
	}
	if !s.creds.loaded {
		v.Body = st.Subtle.Render("Reading the wallet…")
		return
	}
	var lines []string
	for _, o := range s.factors.Factors {
		mark, style := "✓", st.Success
		what := factorWords[o.Factor][1]
		switch {
		case !o.Solvable && !o.SetUp:
			mark, style, what = "✗", st.Error, orNone(o.WhyNot, "not for this credential")
		case o.SetUp:
			what = "set up"
		case o.Factor == flows.FactorPIN:
			// Wise may know a PIN set elsewhere; the wallet knows of none.
			what = "none set from this wallet yet: the setup sets one"
		case o.Factor == flows.FactorDeviceFingerprint:
			what = "not registered yet: the setup registers it"
		}
		line := fmt.Sprintf("%s %-19s %s", mark, factorName(o.Factor), what)
		lines = append(lines, style.Render(truncate(line, s.c.Width)))
	}
	if len(lines) == 0 {
		lines = append(lines, st.Subtle.Render("The wallet knows of no factor for it."))
	}
	v.Body = strings.Join(lines, "\n")
	if s.factors.Note != "" {
		v.Body += "\n\n" + lipgloss.NewStyle().Width(max(s.c.Width, 20)).Inherit(st.Warning).Render(s.factors.Note)
	}
	var next []string
	for _, p := range s.parts {
		next = append(next, partWords[p])
	}
	v.Note = "Next: " + strings.Join(next, ", then ") + "."
}

var partWords = map[scaPart]string{
	partPIN: "the PIN", partDevice: "this device", partKey: "the legacy SCA key", partCheck: "a check",
}

// afterFactors goes to the profile when there is a choice, else on.
func (s *scaFlow) afterFactors() (scaStep, string) {
	if !s.creds.loaded {
		return ssFactors, ""
	}
	if len(s.profiles.items) > 1 {
		return ssProfile, ""
	}
	return s.partStep(s.parts[0]), ""
}

func (s *scaFlow) takeProfile() (scaStep, string) {
	s.profile = s.cred.Profiles[s.profiles.cursor].ID
	s.preparePIN()
	return s.partStep(s.parts[0]), ""
}

// partStep is the first step of a part.
func (s *scaFlow) partStep(p scaPart) scaStep {
	switch p {
	case partPIN:
		return ssPIN
	case partDevice:
		return ssDevice
	case partKey:
		return ssKey
	}
	return ssCheck
}

// after is the first step of the part after p: the result after the
// last.
func (s *scaFlow) after(p scaPart) scaStep {
	i := slices.Index(s.parts, p)
	if i < 0 || i+1 >= len(s.parts) {
		return ssResult
	}
	return s.partStep(s.parts[i+1])
}

// setupParts are the parts before the check.
func (s *scaFlow) setupParts() []scaPart {
	return slices.DeleteFunc(slices.Clone(s.parts), func(p scaPart) bool { return p == partCheck })
}

// byCall: the check is a protected call (a personal token's), not an
// SCA session.
func (s *scaFlow) byCall() bool { return s.cred.Kind == flows.KindPersonal }

// statementPath is the protected call of a personal token's check: a
// balance statement of the last 30 days, for localwise's balance 1 (any
// positive id is a balance there).
func (s *scaFlow) statementPath() string {
	end := s.c.Now().UTC().Truncate(24 * time.Hour)
	start := end.AddDate(0, 0, -30)
	const layout = "2006-01-02T15:04:05.000Z"
	return fmt.Sprintf("/v1/profiles/%d/balance-statements/1/statement.json?currency=EUR&intervalStart=%s&intervalEnd=%s&type=COMPACT",
		s.profile, start.Format(layout), end.Format(layout))
}

func (s *scaFlow) pinView(v *stepView) {
	if s.pinSet() {
		v.Hint = fmt.Sprintf("A PIN is set %s (as this wallet knows). Wise asks for it when a challenge lists it.", s.where())
	} else {
		v.Hint = fmt.Sprintf("Something you know: 4 digits Wise asks for when a challenge lists the PIN. It is set %s; this wallet keeps only that it was set, never the PIN.", s.where())
	}
}

func (s *scaFlow) takePINChoice() (scaStep, string) {
	label := s.pinChoice.items[s.pinChoice.cursor].Label
	switch label {
	case "set a PIN", "change it":
		s.pin.SetValue("")
		s.pinAgain.SetValue("")
		return ssPINFirst, ""
	case "remove it":
		return ssPINCall, ""
	case "keep it":
		s.done[partPIN] = "kept as it is"
	default:
		s.done[partPIN] = "skipped"
	}
	return s.after(partPIN), ""
}

func (s *scaFlow) takePIN() (scaStep, string) {
	if crypto.CheckPIN(crypto.SecretString(s.pin.Value())) != nil {
		return ssPINFirst, "A PIN is exactly 4 digits (0-9)."
	}
	s.pinAgain.SetValue("")
	return ssPINAgain, ""
}

func (s *scaFlow) takePINAgain() (scaStep, string) {
	if s.pinAgain.Value() != s.pin.Value() {
		s.pinAgain.SetValue("")
		return ssPINAgain, "Not the same PIN. Type it again, or esc to start over."
	}
	return ssPINCall, ""
}

// pinAction is what the PIN call does: set, change or remove.
func (s *scaFlow) pinAction() string {
	switch s.pinChoice.items[s.pinChoice.cursor].Label {
	case "change it":
		return "change"
	case "remove it":
		return "remove"
	}
	return "set"
}

func (s *scaFlow) pinCall(ctx context.Context, id int) tea.Cmd {
	cred, profile, action, where := s.cred.Name, s.profile, s.pinAction(), s.where()
	pin := crypto.SecretString(s.pin.Value())
	// The fields are cleared at once: the PIN lives on only in the call.
	s.pin.SetValue("")
	s.pinAgain.SetValue("")
	what := map[string]string{"set": "setting the PIN", "change": "changing the PIN", "remove": "removing the PIN"}[action]
	return scaCall(s.c, ctx, cred, what, func(ctx context.Context, svc Backend, solver flows.SCASolver) (tea.Msg, error) {
		var err error
		done := map[string]string{"set": "set", "change": "changed", "remove": "removed"}[action]
		switch action {
		case "change":
			err = svc.PINChange(ctx, cred, profile, pin, solver)
		case "remove":
			err = svc.PINDelete(ctx, cred, profile, solver)
		default:
			err = svc.PINSet(ctx, cred, profile, pin, solver)
		}
		return scaPartMsg{id: id, part: partPIN, what: done + " " + where, factors: svc.SCAFactors(cred), err: err}, err
	})
}

func (s *scaFlow) pinDoing() string {
	if s.pinAction() == "remove" {
		return fmt.Sprintf("DELETE /v2/profiles/%d/pin…", s.profile)
	}
	return fmt.Sprintf("POST /v2/profiles/%d/pin, the PIN encrypted to Wise's key (JWE)…", s.profile)
}

func (s *scaFlow) deviceView(v *stepView) {
	if s.factors.DeviceID != "" {
		v.Hint = fmt.Sprintf("This install is registered at Wise (device id %s). Its fingerprint is sealed in %s and sent only encrypted to Wise's key.", s.factors.DeviceID, s.cred.Name)
		return
	}
	v.Hint = fmt.Sprintf("Something you have: a random fingerprint made here for this install, sealed in %s, and registered at Wise %s (Wise keeps at most 3 per profile). It is sent only encrypted to Wise's key and never shown.", s.cred.Name, s.where())
}

func (s *scaFlow) takeDeviceChoice() (scaStep, string) {
	switch s.devChoice.items[s.devChoice.cursor].Label {
	case "register this device", "remove it":
		return ssDeviceCall, ""
	case "keep it":
		s.done[partDevice] = "kept, id " + s.factors.DeviceID
	default:
		s.done[partDevice] = "skipped"
	}
	return s.after(partDevice), ""
}

func (s *scaFlow) removingDevice() bool {
	return s.devChoice.items[s.devChoice.cursor].Label == "remove it"
}

func (s *scaFlow) deviceCall(ctx context.Context, id int) tea.Cmd {
	cred, profile, remove, devID := s.cred.Name, s.profile, s.removingDevice(), s.factors.DeviceID
	what := "registering this device"
	if remove {
		what = "removing this device"
	}
	return scaCall(s.c, ctx, cred, what, func(ctx context.Context, svc Backend, solver flows.SCASolver) (tea.Msg, error) {
		m := scaPartMsg{id: id, part: partDevice}
		if remove {
			m.err = svc.DeviceRemove(ctx, cred, profile, devID, solver)
			m.what = "removed, id " + devID
		} else {
			var d flows.DeviceView
			d, m.err = svc.DeviceAdd(ctx, cred, profile, solver)
			m.what = "registered, id " + d.ID
		}
		if m.err == nil {
			// The list is for the screen; a failure to read it is not
			// the registration's.
			m.devices, _ = svc.DeviceList(ctx, cred, profile)
		}
		m.factors = svc.SCAFactors(cred)
		return m, m.err
	})
}

func (s *scaFlow) deviceDoing() string {
	if s.removingDevice() {
		return fmt.Sprintf("DELETE /v2/profiles/%d/device-fingerprints/%s…", s.profile, s.factors.DeviceID)
	}
	return fmt.Sprintf("POST /v2/profiles/%d/device-fingerprints, the fingerprint encrypted to Wise's key (JWE)…", s.profile)
}

func (s *scaFlow) keyView(v *stepView) {
	st := s.c.Styles
	v.Hint = "Wise has withdrawn SCA by signed one-time tokens for personal tokens; it may still work for accounts where Wise accepts it. The key signs the one-time token (SHA256withRSA), sent again as X-Signature; Wise needs its public key, uploaded in its web app."
	if s.factors.SCAKey != "" {
		v.Hint = fmt.Sprintf("%s has the SCA key %s. Wise has withdrawn SCA by signed one-time tokens; it may still work for some accounts.", s.cred.Name, s.factors.SCAKey)
	}
	v.Body = st.Warning.Render("LEGACY: withdrawn by Wise, kept for the accounts where it still works") + "\n\n" + v.Body
}

func (s *scaFlow) takeKeyChoice() (scaStep, string) {
	label := s.keyChoice.items[s.keyChoice.cursor].Label
	switch {
	case label == "skip":
		s.done[partKey] = "skipped"
		return s.after(partKey), ""
	case s.factors.SCAKey != "":
		s.keyExisted = true
		return ssKeygen, ""
	}
	if strings.TrimSpace(s.name.Value()) == "" {
		s.name.SetValue(s.cred.Name + scaKeySuffix)
		s.name.CursorEnd()
	}
	return ssKeyName, ""
}

// keyBits is the size chosen on the key step.
func (s *scaFlow) keyBits() int {
	switch s.keySizes.items[s.keySizes.cursor].Label {
	case "RSA 3072":
		return 3072
	case "RSA 4096":
		return 4096
	}
	return flows.DefaultSCAKeyBits
}

// keygen makes the key, or reads the existing one's public key.
func (s *scaFlow) keygen(ctx context.Context, id int) tea.Cmd {
	existing := ""
	if s.keyExisted {
		existing = s.factors.SCAKey
	}
	in := flows.SCAKeyInput{Name: s.entryName(), Bits: s.keyBits(), For: s.cred.Name}
	return s.c.WalletCmd(func(svc Backend) tea.Msg {
		m := scaPartMsg{id: id, part: partKey}
		name := existing
		if name == "" {
			e, err := svc.SCAKeygen(ctx, in)
			if err != nil {
				m.err = err
				return m
			}
			name = e.Name
		}
		e, err := svc.Entry(name)
		if err != nil {
			m.err = err
			return m
		}
		e.Secrets = nil
		pem, err := svc.SCAPublicKey(name)
		m.key, m.pem, m.err = e, strings.TrimSpace(string(pem)), err
		m.factors = svc.SCAFactors(in.For)
		return m
	})
}

func (s *scaFlow) keygenDoing() string {
	if s.keyExisted {
		return "Reading the public key of " + s.factors.SCAKey + "…"
	}
	return fmt.Sprintf("Making an RSA-%d key for %s…", s.keyBits(), s.cred.Name)
}

// uploadWhere is where the public key goes, in Wise's web app.
const uploadWhere = "Your account → Integrations and tools → API tokens → Manage public keys (Wise asks for a 2-step login; at most 5 keys)"

func (s *scaFlow) local() bool { return s.key.Env.Name == flows.EnvLocal }

func (s *scaFlow) uploadView(v *stepView) {
	st := s.c.Styles
	w := max(s.c.Width, 20)
	if s.local() {
		v.Hint = "LEGACY. localwise stands in for Wise's web app here: enter uploads the public key to it, as Manage public keys does at Wise."
	} else {
		v.Hint = "LEGACY. Upload it in Wise's web app: " + uploadWhere + ". c copies it. Then enter."
	}
	if s.key.Uploaded {
		v.Hint = "LEGACY. The public key is uploaded."
	}
	var lines []string
	for _, l := range strings.Split(s.pem, "\n") {
		lines = append(lines, st.Value.Render(truncate(l, w)))
	}
	head := st.Label.Render(truncate(fmt.Sprintf("%s · %s · signs for %s", s.key.Name, orNone(s.key.KeyType, "rsa"), s.cred.Name), w))
	v.Body = head + "\n" + strings.Join(lines, "\n")
	if s.uploadErr != nil {
		v.Body += "\n" + st.Error.Render(truncate(sentence(s.uploadErr), w))
	}
}

// toUpload is enter on the public key: upload it (localwise), or on.
func (s *scaFlow) toUpload() (scaStep, string) {
	if s.local() && !s.key.Uploaded {
		return ssUploading, ""
	}
	if !s.key.Uploaded {
		s.done[partKey] = s.key.Name + ", public key to upload in Wise's web app"
	}
	return s.after(partKey), ""
}

// uploadKey: c copies the public key.
func (s *scaFlow) uploadKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	if key.Matches(k, s.c.Keys.Copy) && s.pem != "" {
		text, clip := s.pem, s.c.clip
		return s.c.SessionCmd(func() tea.Msg { return scaPEMCopiedMsg{err: clip.CopyText(text)} }), true
	}
	return nil, false
}

func (s *scaFlow) uploadHelp() []key.Binding {
	next := "continue"
	if s.local() && !s.key.Uploaded {
		next = "upload to localwise"
	}
	return []key.Binding{
		key.NewBinding(key.WithKeys(s.keys.Next.Keys()...), key.WithHelp("enter", next)),
		key.NewBinding(key.WithKeys(s.c.Keys.Copy.Keys()...), key.WithHelp("c", "copy")),
		key.NewBinding(key.WithKeys(s.keys.Back.Keys()...), key.WithHelp("esc", "finish later")),
	}
}

func (s *scaFlow) upload(ctx context.Context, id int) tea.Cmd {
	name, cred := s.key.Name, s.cred.Name
	return s.c.WalletCmd(func(svc Backend) tea.Msg {
		e, err := svc.SCAUpload(ctx, name)
		e.Secrets = nil
		return scaPartMsg{id: id, part: partKey, key: e, what: name + ", public key uploaded", factors: svc.SCAFactors(cred), err: err}
	})
}

func (s *scaFlow) uploadDoing() string {
	return "Uploading the public key of " + s.key.Name + " to localwise…"
}

func (s *scaFlow) checkView(v *stepView) {
	if s.byCall() {
		v.Title = "Check: a protected call"
		v.Hint = fmt.Sprintf("localwise is asked for a balance statement of profile %d (GET /v1/profiles/%d/balance-statements/1/statement.json), a call Wise protects with SCA. When it answers with a challenge, the key signs the one-time token and the call is sent again once with X-Signature (legacy).", s.profile, s.profile)
	} else {
		v.Hint = fmt.Sprintf("Wise is asked to start an SCA session for profile %d (POST /v2/profiles/%d/sca-sessions/authorise). The challenge screen opens for each factor Wise asks for, as it does when any call meets a challenge. One approval covers Wise's 5-minute low-risk window.", s.profile, s.profile)
	}
	var rows [][2]string
	for _, p := range s.setupParts() {
		rows = append(rows, [2]string{partWords[p], orNone(s.done[p], "-")})
	}
	v.Body = labelled(s.c, rows)
	v.Note = "enter starts the session; esc finishes without it."
	if s.byCall() {
		v.Note = "enter makes the call; esc finishes without it."
	}
}

func (s *scaFlow) checkHelp() []key.Binding {
	return []key.Binding{
		key.NewBinding(key.WithKeys(s.keys.Next.Keys()...), key.WithHelp("enter", "start the check")),
		key.NewBinding(key.WithKeys(s.keys.Back.Keys()...), key.WithHelp("esc", "finish without it")),
	}
}

func (s *scaFlow) check(ctx context.Context, id int) tea.Cmd {
	cred, profile := s.cred.Name, s.profile
	if s.byCall() {
		in := flows.CallInput{Entry: cred, Method: "GET", Path: s.statementPath()}
		return scaCall(s.c, ctx, cred, "the check: a balance statement", func(ctx context.Context, svc Backend, solver flows.SCASolver) (tea.Msg, error) {
			res, err := svc.Call(ctx, in, solver)
			res.Body = nil // the statement is not shown
			return scaPartMsg{id: id, part: partCheck, call: &res, factors: svc.SCAFactors(cred), err: err}, err
		})
	}
	return scaCall(s.c, ctx, cred, "the check: an SCA session", func(ctx context.Context, svc Backend, solver flows.SCASolver) (tea.Msg, error) {
		v, err := svc.SCASession(ctx, cred, profile, solver)
		m := scaPartMsg{id: id, part: partCheck, factors: svc.SCAFactors(cred), err: err}
		if err == nil {
			m.session = &v
		}
		return m, err
	})
}

func (s *scaFlow) checkDoing() string {
	if s.byCall() {
		return fmt.Sprintf("GET /v1/profiles/%d/balance-statements/1/statement.json…", s.profile)
	}
	return fmt.Sprintf("POST /v2/profiles/%d/sca-sessions/authorise…", s.profile)
}

// partDone takes a part's answer: on to the next part, or back to the
// part's choice with what went wrong; the check's goes to the result.
func (s *scaFlow) partDone(m scaPartMsg) tea.Cmd {
	if !s.op.current(m.id) {
		if m.err == nil && m.part != partCheck {
			return tea.Batch(WalletChanged(), Toast(fmt.Sprintf("The 2FA step you left went through: %s %s.", partWords[m.part], m.what), false))
		}
		return nil
	}
	s.op.stop()
	if m.factors.Credential != "" {
		s.factors = m.factors
	}
	var changed tea.Cmd
	if m.err == nil || m.part == partKey && m.key.Name != "" {
		changed = WalletChanged()
	}
	switch m.part {
	case partPIN:
		if m.err != nil {
			s.preparePIN()
			s.backTo(ssPIN, s.problem(m.err))
			return nil
		}
		s.done[partPIN] = m.what
		s.go2(s.after(partPIN))
	case partDevice:
		if m.err != nil {
			s.backTo(ssDevice, s.problem(m.err))
			return nil
		}
		s.done[partDevice], s.devices = m.what, m.devices
		s.go2(s.after(partDevice))
	case partKey:
		if m.key.Name != "" {
			s.key = m.key
			s.saved = m.key
		}
		if m.pem != "" {
			s.pem = m.pem
		}
		switch {
		case s.step == ssUploading && m.err != nil:
			s.uploadErr = m.err
			s.step = ssKeyUpload
			s.back.pop()
		case s.step == ssUploading:
			s.uploadErr = nil
			s.done[partKey] = m.what
			s.go2(s.after(partKey))
		case m.err != nil:
			s.backTo(ssKey, s.problem(m.err))
			return changed
		case s.keyExisted:
			s.done[partKey] = s.key.Name
			s.go2(ssKeyUpload)
		default:
			s.done[partKey] = s.key.Name + ", made"
			s.go2(ssKeyUpload)
		}
	case partCheck:
		s.session, s.call, s.checkErr = m.session, m.call, m.err
		s.step = ssResult
	}
	if changed != nil {
		s.savedAny = true
	}
	s.prepareDevice()
	return changed
}

// backTo goes back to step to with a complaint, dropping the steps after
// it from the way back.
func (s *scaFlow) backTo(to scaStep, complaint string) {
	for {
		prev, ok := s.back.pop()
		if !ok || prev == to {
			break
		}
	}
	s.step, s.errMsg = to, complaint
}

// problem words a failed part and what to do.
func (s *scaFlow) problem(err error) string {
	var (
		notSetUp *flows.FactorNotSetUpError
		blocked  *flows.SCABlockedError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return "Cancelled. enter tries again."
	case errors.As(err, &blocked):
		return sentence(err)
	case errors.As(err, new(*flows.TooManyDevicesError)):
		return sentence(err) + " Remove one of the others at Wise first, or skip."
	case errors.As(err, &notSetUp):
		return sentence(err)
	case errors.Is(err, flows.ErrSCANotCleared):
		return sentence(err) + " Nothing was changed; enter tries again."
	case errors.Is(err, flows.ErrEntryExists):
		return sentence(err)
	}
	return sentence(err) + " enter tries again, or choose skip."
}

// leaveDone leaves, saying what was done.
func (s *scaFlow) leaveDone() tea.Cmd { return finishSaved(s.doneText()) }

// escape is esc after a part: once something was saved there is nothing
// to undo, so it leaves saying what was done; before, a step back.
func (s *scaFlow) escape() tea.Cmd {
	if s.savedAny {
		return s.leaveDone()
	}
	return s.goBack(s.doneText())
}

// resultKey: enter leaves; after a failed check, r runs it again.
func (s *scaFlow) resultKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	switch {
	case key.Matches(k, s.keys.Next):
		return s.leaveDone(), true
	case key.Matches(k, scaRetryKey) && s.canRetry():
		s.step, s.errMsg = ssCheck, ""
		ctx, id := s.op.start(s.c.Ctx)
		s.go2(ssChecking)
		return tea.Batch(s.spin.Tick, s.check(ctx, id)), true
	}
	return nil, false
}

var scaRetryKey = key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "check again"))

func (s *scaFlow) resultView(v *stepView) {
	st := s.c.Styles
	w := max(s.c.Width, 20)
	var rows [][2]string
	for _, p := range s.setupParts() {
		rows = append(rows, [2]string{partWords[p], orNone(s.done[p], "-")})
	}
	switch {
	case s.checkErr == nil && s.call != nil && s.call.Challenged:
		v.Title = "✓ 2FA works for " + s.cred.Name
		rows = append(rows, [2]string{"the check", "a balance statement, challenged"},
			[2]string{"", "its one-time token signed with the key (legacy)"},
			[2]string{"", fmt.Sprintf("sent again once: HTTP %d · %s", s.call.Status, orNone(s.call.Approval, "-"))})
		v.Note = "When a call of this token meets a challenge, the key signs its one-time token and the call is sent again once, where Wise still accepts it."
	case s.checkErr == nil && s.call != nil:
		v.Title = "✓ The check went through without a challenge"
		rows = append(rows, [2]string{"the check", fmt.Sprintf("a balance statement: HTTP %d, no SCA asked for this time", s.call.Status)})
		v.Note = "Wise asks for SCA by its own risk assessment; r makes the call again."
	case s.checkErr == nil && !slices.Contains(s.parts, partCheck):
		v.Title = "✓ 2FA is set up for " + s.cred.Name
		if s.byCall() {
			rows = append(rows, [2]string{"the check", "none here: the key is tried when a call meets a challenge"})
		} else {
			rows = append(rows, [2]string{"the check", "none: an SCA session is per profile, and Wise names"}, [2]string{"", "no profile of this user (a user made with a"}, [2]string{"", "registration code has none until one is made)"})
		}
	case s.checkErr == nil && s.session != nil:
		v.Title = "✓ 2FA works for " + s.cred.Name
		until := s.session.Until
		rows = append(rows, [2]string{"the check", "an SCA session, cleared: until " + when(s.c, &until)})
		v.Note = "When a call meets a challenge, the challenge screen opens on its own and asks for what Wise wants; the call is then sent again once."
	case s.checkErr == nil:
		v.Title = "✓ 2FA is set up for " + s.cred.Name
		rows = append(rows, [2]string{"the check", "not made"})
	default:
		v.Title, v.Tone = "✗ The check did not clear", -1
		rows = append(rows, [2]string{"the check", "not cleared"})
	}
	v.Body = labelled(s.c, rows)
	var none *flows.NoSolvableFactorError
	switch {
	case errors.As(s.checkErr, &none):
		// Each factor with why not, then what works instead.
		var why [][2]string
		for _, f := range none.Factors {
			why = append(why, [2]string{"  " + factorName(f.Factor), orNone(f.WhyNot, "not for this credential")})
		}
		v.Body += "\n\n" + st.Error.Render(truncate("Nothing "+s.cred.Name+" can use clears Wise's challenge:", w)) + "\n" + labelled(s.c, why)
		if none.Instead != "" {
			v.Body += "\n\n" + lipgloss.NewStyle().Width(w).Inherit(st.Body).Render("What was set up stays. Instead: "+none.Instead)
		}
	case s.checkErr != nil:
		v.Body += "\n\n" + lipgloss.NewStyle().Width(w).Inherit(st.Error).Render(sentence(s.checkErr)) +
			"\n\n" + lipgloss.NewStyle().Width(w).Inherit(st.Body).Render(s.checkTodo(s.checkErr))
	}
	for _, d := range s.devices {
		if d.ThisDevice {
			continue
		}
		v.Body += "\n" + st.Subtle.Render(truncate("  also registered at Wise: device "+d.ID, w))
	}
}

// checkTodo says what to do after a failed check, in the app's keys.
func (s *scaFlow) checkTodo(err error) string {
	switch {
	case errors.As(err, new(*flows.SCABlockedError)):
		return "What was set up stays. Wait for the block to end, then r checks again."
	case errors.As(err, new(*flows.ChallengeInterruptedError)), errors.Is(err, flows.ErrSCAInterrupted), errors.Is(err, context.Canceled):
		return "Stopped before it was cleared; nothing was approved. r checks again."
	}
	return "What was set up stays. r checks again; enter leaves."
}

func (s *scaFlow) resultHelp() []key.Binding {
	done := key.NewBinding(key.WithKeys(s.keys.Next.Keys()...), key.WithHelp("enter", "back to the dashboard"))
	if s.fromEntry {
		done = key.NewBinding(key.WithKeys(s.keys.Next.Keys()...), key.WithHelp("enter", "back to the entry"))
	}
	if s.canRetry() {
		return []key.Binding{scaRetryKey, done}
	}
	return []key.Binding{done}
}

// canRetry: the check failed in a way another try may clear (nothing
// clears a challenge no factor of the credential can).
func (s *scaFlow) canRetry() bool {
	if s.checkErr == nil {
		return s.call != nil && !s.call.Challenged
	}
	return !errors.As(s.checkErr, new(*flows.NoSolvableFactorError))
}

// frame names the credential of a setup opened on it.
func (s *scaFlow) frame(v *stepView) {
	if s.fromEntry && s.cred.Name != "" {
		v.Flow = truncate("2FA (SCA) for "+s.cred.Name, s.c.Width)
	}
}

func (s *scaFlow) doneText() string {
	name := orNone(s.cred.Name, "the credential")
	var parts []string
	for _, p := range s.parts {
		if d := s.done[p]; d != "" && d != "skipped" && !strings.HasPrefix(d, "kept") {
			parts = append(parts, partWords[p]+" "+d)
		}
	}
	switch {
	case s.session != nil && s.checkErr == nil:
		parts = append(parts, "the check cleared")
	case s.checkErr != nil:
		parts = append(parts, "the check did not clear")
	}
	if len(parts) == 0 {
		return "2FA for " + name + ": nothing was changed."
	}
	return "2FA for " + name + ": " + strings.Join(parts, "; ") + "."
}

func (s *scaFlow) Title() string { return scaSteps.title }

// CapturesText on the name and PIN steps, so typed keys reach them.
func (s *scaFlow) CapturesText() bool { return scaSteps.capturesText(s) }
func (s *scaFlow) View() string       { return scaSteps.render(s) }

func (s *scaFlow) ShortHelp() []key.Binding {
	if s.step == ssResult {
		return s.resultHelp()
	}
	return scaSteps.shortHelp(s)
}
func (s *scaFlow) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }
