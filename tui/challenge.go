package tui

// The challenge screen (reference/wise-auth.md §4): Wise may answer any
// call with an SCA challenge, a 403 with x-2fa-approval. A call that can
// meet one runs through scaCall, which hands flows a solver that asks
// this screen through messages and waits for the answer; the App raises
// the screen on the first question (see App.challenge), whichever screen
// made the call. It shows what the one-time token approves, each required
// challenge in turn with its alternatives (those this credential cannot
// use say why not), the PIN or the phone code typed hidden, the attempts
// left before Wise's 15-minute block and the block's countdown, and what
// the call sent again once gave. esc stops before the replay: nothing is
// sent again then. Once it is over, enter hands the call's answer back
// to the screen that made it.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
)

// scaBridge is one call that may meet a challenge, seen from the app.
// Its solver puts questions and progress on events and waits for the
// answers; the call's own answer comes last, as a scaDoneMsg.
type scaBridge struct {
	events chan tea.Msg
	// ctx is the call's: esc on the challenge screen cancels it while
	// no question is open. alive is the caller's attempt: events are
	// handed over while it lasts.
	ctx    context.Context
	cancel context.CancelFunc
	alive  context.Context
	// wait is the command that takes the next event, in the session the
	// call started in (a lock drops what comes after it).
	wait tea.Cmd
	// credential and what the call does, for the screen's first line.
	credential, what string
}

// scaMsg is a message of a bridge: a question, a step, the call's end.
type scaMsg interface{ bridge() *scaBridge }

type scaAskKind int

const (
	askChoose scaAskKind = iota // which factor clears the challenge
	askPIN                      // the 4-digit PIN
	askOTP                      // the 6-digit code Wise sent
)

// scaAskMsg is a question of the solver; reply takes the answer (the
// solver waits for it).
type scaAskMsg struct {
	b            *scaBridge
	kind         scaAskKind
	challenge    flows.SCAChallengeView
	attemptsLeft int
	channel      flows.SCAFactor
	phone        string
	reply        chan scaAnswer
}

type scaAnswer struct {
	factor flows.SCAFactor
	secret crypto.Secret
	err    error
}

// scaProgressMsg is a step of clearing the challenge.
type scaProgressMsg struct {
	b  *scaBridge
	ev flows.SCAEvent
}

// scaDoneMsg is the end of the call: msg is the caller's answer, err what
// the call ended with (for the challenge screen's last words).
type scaDoneMsg struct {
	b   *scaBridge
	msg tea.Msg
	err error
}

func (m scaAskMsg) bridge() *scaBridge      { return m.b }
func (m scaProgressMsg) bridge() *scaBridge { return m.b }
func (m scaDoneMsg) bridge() *scaBridge     { return m.b }

// scaWork is a call that may meet a challenge: it runs with the wallet in
// a command of its own and answers with the caller's message, and the
// error the call ended with.
type scaWork func(ctx context.Context, svc Backend, solver flows.SCASolver) (tea.Msg, error)

// scaCall runs work with a solver that asks the challenge screen. ctx is
// the caller's attempt (its esc or a lock ends the call); credential and
// what name the call on the challenge screen ("setting the PIN"). The
// caller gets work's message as any other answer, after the challenge
// screen (if one was raised) is left.
func scaCall(c *Common, ctx context.Context, credential, what string, work scaWork) tea.Cmd {
	svc := c.Svc
	if svc == nil {
		return nil
	}
	callCtx, cancel := context.WithCancel(ctx)
	b := &scaBridge{events: make(chan tea.Msg), ctx: callCtx, cancel: cancel, alive: ctx, credential: credential, what: what}
	b.wait = c.SessionCmd(b.next)
	return c.SessionCmd(func() tea.Msg {
		go func() {
			msg, err := work(callCtx, svc, challengeSolver{b})
			cancel()
			select {
			case b.events <- scaDoneMsg{b: b, msg: msg, err: err}:
			case <-ctx.Done():
			}
		}()
		return b.next()
	})
}

// next is the bridge's next event, or nothing once the caller is gone.
func (b *scaBridge) next() tea.Msg {
	select {
	case m := <-b.events:
		return m
	case <-b.alive.Done():
		return nil
	}
}

// challengeSolver is flows' SCASolver on the challenge screen. Its
// methods run in the call's command, never on the UI goroutine.
type challengeSolver struct{ b *scaBridge }

var _ flows.SCASolver = challengeSolver{}

// ask puts a question to the screen and waits for its answer.
func (s challengeSolver) ask(ctx context.Context, m scaAskMsg) scaAnswer {
	m.b, m.reply = s.b, make(chan scaAnswer, 1)
	stopped := func(err error) scaAnswer {
		return scaAnswer{err: fmt.Errorf("%w: %w", flows.ErrSCAInterrupted, err)}
	}
	select {
	case s.b.events <- m:
	case <-ctx.Done():
		return stopped(ctx.Err())
	case <-s.b.ctx.Done():
		return stopped(s.b.ctx.Err())
	}
	select {
	case a := <-m.reply:
		return a
	case <-ctx.Done():
		return stopped(ctx.Err())
	case <-s.b.ctx.Done():
		return stopped(s.b.ctx.Err())
	}
}

func (s challengeSolver) Choose(ctx context.Context, ch flows.SCAChallengeView) (flows.SCAFactor, error) {
	a := s.ask(ctx, scaAskMsg{kind: askChoose, challenge: ch})
	return a.factor, a.err
}

func (s challengeSolver) PIN(ctx context.Context, attemptsLeft int) (crypto.Secret, error) {
	a := s.ask(ctx, scaAskMsg{kind: askPIN, attemptsLeft: attemptsLeft})
	return a.secret, a.err
}

func (s challengeSolver) OTP(ctx context.Context, channel flows.SCAFactor, phone string) (crypto.Secret, error) {
	a := s.ask(ctx, scaAskMsg{kind: askOTP, channel: channel, phone: phone})
	return a.secret, a.err
}

// Progress hands the step to the screen; it does not wait for more than
// its delivery (the App takes every event at once).
func (s challengeSolver) Progress(ctx context.Context, ev flows.SCAEvent) {
	select {
	case s.b.events <- scaProgressMsg{b: s.b, ev: ev}:
	case <-ctx.Done():
	case <-s.b.ctx.Done():
	}
}

// raises reports whether a step of a call with no challenge screen yet
// calls for one: a challenge was read, a personal token's key signed
// its token (legacy), or Wise blocks one-time tokens.
func raises(ev flows.SCAEvent) bool {
	switch ev.Kind {
	case flows.EventStatusRead:
		return ev.Status != nil && len(ev.Status.Pending()) > 0
	case flows.EventBlocked, flows.EventSigned:
		return true
	}
	return false
}

// challenge routes a bridge's message: to its challenge screen when that
// is on top; else a question (or a step that calls for it) raises one,
// and the call's end, when no screen was raised, goes straight to the
// screen that made the call.
func (a App) challenge(msg scaMsg) (App, tea.Cmd) {
	b := msg.bridge()
	if ch, ok := a.top().(*challengeScreen); ok && ch.b == b {
		return a.forward(msg)
	}
	switch m := msg.(type) {
	case scaDoneMsg:
		if m.msg == nil {
			return a, nil
		}
		return a.update(m.msg)
	case scaProgressMsg:
		if !raises(m.ev) {
			return a, b.wait
		}
	}
	ch := newChallenge(a.c, b)
	a.stack = append(a.stack, ch)
	a2, cmd := a.forward(msg)
	return a2, tea.Batch(ch.Init(), cmd)
}

// challengeScreen walks the user through one call's challenge.
type challengeScreen struct {
	c    *Common
	keys wizardKeys
	b    *scaBridge

	status *flows.SCAStatusView // as last read
	ask    *scaAskMsg           // the open question, if any
	opts   []flows.SCAFactorOption
	list   pickList
	field  textinput.Model
	errMsg string // why the last enter did not answer

	chosen       flows.SCAFactor // the factor chosen last
	log          []string        // what happened: factors passed and failed, codes sent
	doing        string          // what runs now, beside the spinner
	attemptsLeft int             // -1 unknown
	blockedUntil time.Time
	replaying    bool
	replayed     *flows.SCAEvent
	sessionUntil time.Time
	stopped      bool // esc: nothing more is sent
	done         *scaDoneMsg

	spin spinner.Model
	now  time.Time
}

func newChallenge(c *Common, b *scaBridge) *challengeScreen {
	return &challengeScreen{c: c, keys: newWizardKeys(c.Keys), b: b, attemptsLeft: -1,
		doing: "Reading the one-time token's status…", spin: newSpinner(c), now: c.Now()}
}

func (s *challengeScreen) Init() tea.Cmd { return s.spin.Tick }

// busy: the call runs and no question is open.
func (s *challengeScreen) busy() bool { return s.done == nil && s.ask == nil }

func (s *challengeScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case TickMsg:
		s.now = s.c.Now()
		return s, nil
	case spinner.TickMsg:
		if !s.busy() {
			return s, nil
		}
		var cmd tea.Cmd
		s.spin, cmd = s.spin.Update(msg)
		return s, cmd
	case tea.WindowSizeMsg, tea.BackgroundColorMsg:
		fitFields(s.c, &s.field)
		return s, nil
	case scaAskMsg:
		return s, s.asked(msg)
	case scaProgressMsg:
		s.progress(msg.ev)
		return s, s.b.wait
	case scaDoneMsg:
		s.ended(msg)
		return s, nil
	case tea.KeyPressMsg:
		return s, s.key(msg)
	case tea.PasteMsg:
		if s.typing() {
			s.errMsg = ""
			var cmd tea.Cmd
			s.field, cmd = s.field.Update(msg)
			return s, cmd
		}
	}
	return s, nil
}

// asked opens a question: the factors of a challenge, or a hidden field.
func (s *challengeScreen) asked(m scaAskMsg) tea.Cmd {
	if s.stopped {
		// esc came first: the answer is that nothing more is sent.
		m.reply <- scaAnswer{err: flows.ErrSCAInterrupted}
		return s.b.wait
	}
	s.ask, s.errMsg = &m, ""
	switch m.kind {
	case askChoose:
		s.opts = m.challenge.Options
		if len(s.opts) == 0 {
			// Only the factor names came: judge nothing, offer them all.
			for _, f := range append([]flows.SCAFactor{m.challenge.Primary}, m.challenge.Alternatives...) {
				s.opts = append(s.opts, flows.SCAFactorOption{Factor: f, Solvable: f != flows.FactorFaceMap, WhyNot: faceMapWhy(f)})
			}
		}
		s.list = pickList{}
		for _, o := range s.opts {
			s.list.items = append(s.list.items, choice{factorName(o.Factor), factorDetail(o)})
		}
		// The factor chosen last time (a refused PIN is typed again),
		// else the first this credential can use.
		first := -1
		for i, o := range s.opts {
			if o.Solvable && first < 0 {
				first = i
			}
			if o.Solvable && o.Factor == s.chosen {
				first = i
				break
			}
		}
		s.list.cursor = max(first, 0)
	case askPIN:
		if m.attemptsLeft >= 0 {
			s.attemptsLeft = m.attemptsLeft
		}
		s.field = newField(s.c, "4 digits", crypto.PINLength, true)
	case askOTP:
		s.field = newField(s.c, "6 digits", crypto.OTPLength, true)
	}
	return nil
}

func faceMapWhy(f flows.SCAFactor) string {
	if f == flows.FactorFaceMap {
		return "a face scan cannot be captured in a terminal"
	}
	return ""
}

// answer closes the open question and waits for what comes next.
func (s *challengeScreen) answer(a scaAnswer) tea.Cmd {
	m := s.ask
	s.ask, s.errMsg = nil, ""
	s.field.SetValue("")
	m.reply <- a
	return s.b.wait
}

// progress takes a step of the solver.
func (s *challengeScreen) progress(ev flows.SCAEvent) {
	name := factorName(ev.Factor)
	switch ev.Kind {
	case flows.EventStatusRead:
		if ev.Status != nil {
			st := *ev.Status
			st.Challenges = slices.Clone(st.Challenges)
			s.status = &st
		}
		s.doing = "Reading the one-time token's status…"
	case flows.EventOTPSent:
		s.log = append(s.log, fmt.Sprintf("• Wise sent a code by %s to %s", otpChannel(ev.Factor), orNone(ev.Phone, "your phone")))
	case flows.EventFactorPassed:
		s.log = append(s.log, "✓ "+name+" passed")
		// Wise's status is read again, not reported: the challenge in
		// turn is the one passed.
		if s.status != nil {
			for i, c := range s.status.Challenges {
				if c.Required && !c.Passed {
					s.status.Challenges[i].Passed = true
					break
				}
			}
		}
		s.doing = "Reading what is left to clear…"
	case flows.EventFactorFailed:
		line := "✗ " + name + " refused"
		if ev.AttemptsLeft >= 0 {
			s.attemptsLeft = ev.AttemptsLeft
			line += fmt.Sprintf(": %d attempts left before a %d-minute block", ev.AttemptsLeft, int(flows.SCABlockDuration/time.Minute))
		}
		s.log = append(s.log, line)
	case flows.EventBlocked:
		s.blockedUntil = ev.Until
	case flows.EventSigned:
		s.log = append(s.log, "✓ the one-time token signed with "+orNone(ev.Key, "the SCA key")+" (legacy)")
	case flows.EventReplaying:
		s.replaying = true
		s.doing = "Sending the call again, once, with x-2fa-approval…"
	case flows.EventReplayed:
		e := ev
		s.replayed, s.replaying, s.errMsg = &e, false, ""
	case flows.EventSessionActive:
		s.sessionUntil = ev.Until
	}
}

// ended takes the call's end; the screen stays until enter.
func (s *challengeScreen) ended(m scaDoneMsg) {
	s.done, s.ask, s.replaying, s.errMsg = &m, nil, false, ""
	var blocked *flows.SCABlockedError
	if errors.As(m.err, &blocked) && !blocked.Until.IsZero() {
		s.blockedUntil = blocked.Until
	}
}

func (s *challengeScreen) typing() bool {
	return s.ask != nil && (s.ask.kind == askPIN || s.ask.kind == askOTP)
}

// CapturesText while a PIN or code is typed.
func (s *challengeScreen) CapturesText() bool { return s.typing() }

func (s *challengeScreen) key(k tea.KeyPressMsg) tea.Cmd {
	if s.done != nil {
		if key.Matches(k, s.keys.Next) || key.Matches(k, s.keys.Back) {
			return s.leave()
		}
		return nil
	}
	if key.Matches(k, s.keys.Back) {
		return s.stop()
	}
	if s.ask == nil {
		return nil
	}
	switch s.ask.kind {
	case askChoose:
		if key.Matches(k, s.keys.Next) {
			o := s.opts[s.list.cursor]
			if !o.Solvable {
				s.errMsg = fmt.Sprintf("%s cannot be used here: %s. Choose another factor.", factorName(o.Factor), orNone(o.WhyNot, "not for this credential"))
				return nil
			}
			s.chosen = o.Factor
			return s.answer(scaAnswer{factor: o.Factor})
		}
		s.list.update(s.keys, k)
		s.errMsg = ""
		return nil
	default:
		if key.Matches(k, s.keys.Next) {
			secret := crypto.SecretString(s.field.Value())
			check, what := crypto.CheckPIN, "The PIN is 4 digits."
			if s.ask.kind == askOTP {
				check, what = crypto.CheckOTP, "The code is the 6 digits Wise sent."
			}
			if check(secret) != nil {
				// The rule only: never what was typed.
				s.errMsg = what
				return nil
			}
			if s.ask.kind == askPIN {
				s.doing = "Sending the PIN, encrypted to Wise's key…"
			} else {
				s.doing = "Sending the code to Wise…"
			}
			return s.answer(scaAnswer{secret: secret})
		}
		s.errMsg = ""
		var cmd tea.Cmd
		s.field, cmd = s.field.Update(k)
		return cmd
	}
}

// stop is esc before the end: an open question is answered with the
// interruption, a running step is cancelled, so nothing more is sent.
// While the call is being sent again it waits: stopping then could
// leave Wise with a call whose answer nobody read.
func (s *challengeScreen) stop() tea.Cmd {
	if s.replaying {
		s.errMsg = "The call is being sent again; its answer comes in a moment."
		return nil
	}
	s.stopped = true
	s.doing = "Stopping; the call is not sent again…"
	if s.ask != nil {
		return s.answer(scaAnswer{err: flows.ErrSCAInterrupted})
	}
	s.b.cancel()
	return nil
}

// leave goes back to the screen that made the call and hands it the
// call's answer.
func (s *challengeScreen) leave() tea.Cmd {
	msg := s.done.msg
	if msg == nil {
		return Pop()
	}
	return tea.Sequence(Pop(), s.c.SessionCmd(func() tea.Msg { return msg }))
}

// Leave is the App dropping the screen (a lock): nothing more is sent.
func (s *challengeScreen) Leave() {
	if s.ask != nil {
		s.ask.reply <- scaAnswer{err: flows.ErrSCAInterrupted}
		s.ask = nil
	}
	s.b.cancel()
}

// factorWords name each factor as the screen says it, with what it is.
var factorWords = map[flows.SCAFactor][2]string{
	flows.FactorPIN:               {"PIN", "the 4 digits you set, typed hidden"},
	flows.FactorSMS:               {"code by SMS", "Wise texts 6 digits to your phone"},
	flows.FactorWhatsApp:          {"code by WhatsApp", "Wise sends 6 digits by WhatsApp"},
	flows.FactorVoice:             {"code by voice call", "Wise calls and reads 6 digits"},
	flows.FactorDeviceFingerprint: {"this device", "its fingerprint, kept in the wallet"},
	flows.FactorFaceMap:           {"face scan", "FaceTec, in Wise's app"},
	flows.FactorLegacySignature:   {"SCA key (legacy)", "the token signed with your key"},
}

func factorName(f flows.SCAFactor) string {
	if w, ok := factorWords[f]; ok {
		return w[0]
	}
	return string(f)
}

// factorDetail is a factor's line in a list: what it is, or why it
// cannot be used here.
func factorDetail(o flows.SCAFactorOption) string {
	if !o.Solvable {
		return "✗ " + orNone(o.WhyNot, "not for this credential")
	}
	return factorWords[o.Factor][1]
}

// factorShort is a factor in a list of alternatives.
func factorShort(f flows.SCAFactor) string {
	if f.IsOTP() {
		return otpChannel(f)
	}
	return factorName(f)
}

func otpChannel(f flows.SCAFactor) string {
	switch f {
	case flows.FactorWhatsApp:
		return "WhatsApp"
	case flows.FactorVoice:
		return "voice call"
	}
	return "SMS"
}

// actionNames word the action types Wise and localwise name.
var actionNames = map[string]string{
	"BALANCE__GET_STATEMENT":     "a balance statement",
	"TRANSFER__FUND":             "funding a transfer",
	"SCA__SESSION":               "an SCA session",
	"PIN__DELETE":                "removing the PIN",
	"DEVICE_FINGERPRINT__DELETE": "removing a device",
}

// actionWords says what a one-time token approves, from Wise's action
// type; one it does not know in its own words (BATCH_GROUP__FUND:
// "batch group: fund").
func actionWords(t string) string {
	if t == "" {
		return ""
	}
	if w, ok := actionNames[t]; ok {
		return w
	}
	area, what, ok := strings.Cut(t, "__")
	words := strings.ToLower(strings.ReplaceAll(area, "_", " "))
	if ok {
		words += ": " + strings.ToLower(strings.ReplaceAll(what, "_", " "))
	}
	return words
}

func (s *challengeScreen) Title() string { return "2FA challenge" }

func (s *challengeScreen) View() string {
	st := s.c.Styles
	w := max(s.c.Width, 20)
	wrap := lipgloss.NewStyle().Width(w)
	var b strings.Builder
	head := "2FA · " + s.b.credential
	if s.b.what != "" {
		head += " · " + s.b.what
	}
	b.WriteString(st.Subtle.Render(truncate(head, w)) + "\n")
	title, tone := s.titleText()
	ts := st.Title
	switch {
	case tone > 0:
		ts = ts.Foreground(st.Good)
	case tone < 0:
		ts = ts.Foreground(st.Bad)
	}
	b.WriteString(ts.Render(truncate(title, w)) + "\n\n")
	b.WriteString(wrap.Inherit(st.Hint).Render(s.intro()) + "\n")
	if ch := s.challengeLines(); ch != "" {
		b.WriteString("\n" + ch + "\n")
	}
	for _, l := range s.log {
		style := st.Body
		switch {
		case strings.HasPrefix(l, "✓"):
			style = st.Success
		case strings.HasPrefix(l, "✗"):
			style = st.Error
		}
		b.WriteString(style.Render(truncate(l, w)) + "\n")
	}
	b.WriteString("\n" + s.body())
	if s.errMsg != "" {
		b.WriteString("\n\n" + wrap.Inherit(st.Error).Render(s.errMsg))
	}
	return s.fit(strings.TrimRight(b.String(), "\n"))
}

// fit keeps the view within the body: the log's oldest lines go first.
func (s *challengeScreen) fit(v string) string {
	lines := strings.Split(v, "\n")
	room := s.c.BodyHeight()
	if len(lines) <= room {
		return v
	}
	return strings.Join(append(lines[:2], lines[len(lines)-room+2:]...), "\n")
}

func (s *challengeScreen) titleText() (string, int) {
	switch {
	case s.done == nil && !s.blockedUntil.IsZero():
		return "Wise blocks one-time tokens for now", -1
	case s.done == nil:
		return "Wise asks for a second factor", 0
	}
	err := s.done.err
	switch {
	case err == nil && s.replayed != nil:
		return "✓ Cleared: the call was sent again and went through", 1
	case err == nil:
		return "✓ Cleared", 1
	case errors.As(err, new(*flows.SCABlockedError)):
		return "✗ Blocked: the call was not sent again", -1
	case errors.As(err, new(*flows.NoSolvableFactorError)):
		return "✗ Nothing this credential can use clears it", -1
	case errors.As(err, new(*flows.ChallengeInterruptedError)), errors.Is(err, flows.ErrSCAInterrupted), errors.Is(err, context.Canceled):
		return "✗ Stopped: the call was not sent again", -1
	case s.replayed != nil:
		return "✗ Sent again, but Wise refused it", -1
	}
	return "✗ The challenge was not cleared", -1
}

// intro says what Wise did and what the token approves.
func (s *challengeScreen) intro() string {
	text := "Wise answered the call with a challenge (HTTP 403, x-2fa-approval: a one-time token). Once its factors are cleared, the same call is sent again once with the token."
	if st := s.status; st != nil {
		var parts []string
		if st.ActionType != "" {
			parts = append(parts, fmt.Sprintf("It approves %s (%s)", actionWords(st.ActionType), st.ActionType))
		}
		if st.Validity > 0 {
			parts = append(parts, "valid "+span(st.Validity))
		}
		if len(parts) > 0 {
			text += " " + strings.Join(parts, ", ") + "."
		}
	}
	return text
}

// challengeLines lists the required challenges: passed, current, to come.
func (s *challengeScreen) challengeLines() string {
	if s.status == nil {
		return ""
	}
	st := s.c.Styles
	var req []flows.SCAChallengeView
	for _, c := range s.status.Challenges {
		if c.Required {
			req = append(req, c)
		}
	}
	current := -1
	for i, c := range req {
		if !c.Passed {
			current = i
			break
		}
	}
	var lines []string
	for i, c := range req {
		line := fmt.Sprintf("%d of %d  %s", i+1, len(req), factorName(c.Primary))
		if len(c.Alternatives) > 0 {
			var alts []string
			for _, a := range c.Alternatives {
				alts = append(alts, factorShort(a))
			}
			line += " (or " + strings.Join(alts, ", ") + ")"
		}
		switch {
		case c.Passed:
			lines = append(lines, st.Success.Render(truncate("✓ "+line+" · passed", s.c.Width)))
		case i == current && s.done == nil:
			lines = append(lines, st.Selected.Render(truncate("▸ "+line, s.c.Width)))
		default:
			lines = append(lines, st.Body.Render(truncate("  "+line, s.c.Width)))
		}
	}
	return strings.Join(lines, "\n")
}

// body is the open question, the running step or the end.
func (s *challengeScreen) body() string {
	st := s.c.Styles
	w := max(s.c.Width, 20)
	wrap := lipgloss.NewStyle().Width(w)
	if s.done != nil {
		return s.endView()
	}
	if !s.blockedUntil.IsZero() && s.ask == nil {
		return wrap.Inherit(st.Error).Render(s.blockedText())
	}
	if s.ask == nil {
		return spinLine(s.c, s.spin.View(), s.doing)
	}
	switch s.ask.kind {
	case askChoose:
		ch := s.ask.challenge
		head := "Choose how to clear it"
		if ch.Total > 0 {
			head = fmt.Sprintf("Challenge %d of %d: choose how to clear it", max(ch.Index, 1), ch.Total)
		}
		return st.Label.Render(truncate(head, w)) + "\n" + renderList(s.c, s.list, 20)
	case askPIN:
		lines := st.Label.Render("Your 4-digit PIN") + "\n" + secretFieldView(s.c, s.field)
		return lines + "\n" + wrap.Inherit(st.Hint).Render(s.attemptsText()+" The PIN is encrypted to Wise's key; it is never stored or shown.")
	default:
		return st.Label.Render(truncate(fmt.Sprintf("The code Wise sent by %s to %s", otpChannel(s.ask.channel), orNone(s.ask.phone, "your phone")), w)) + "\n" +
			secretFieldView(s.c, s.field) + "\n" + wrap.Inherit(st.Hint).Render(s.attemptsText()+" Typed hidden; never stored or shown.")
	}
}

func (s *challengeScreen) attemptsText() string {
	if s.attemptsLeft >= 0 {
		return fmt.Sprintf("%d attempts left before Wise blocks one-time tokens for %d minutes.", s.attemptsLeft, int(flows.SCABlockDuration/time.Minute))
	}
	return fmt.Sprintf("%d failures in a row block one-time tokens for %d minutes.", flows.SCAMaxFailures, int(flows.SCABlockDuration/time.Minute))
}

func (s *challengeScreen) blockedText() string {
	until := s.blockedUntil
	left := until.Sub(s.now)
	if left <= 0 {
		return fmt.Sprintf("Wise blocked one-time tokens until %s after %d failed attempts; the block is over: make the call again.", flows.ShowNear(until, s.now), flows.SCAMaxFailures)
	}
	return fmt.Sprintf("Wise blocks one-time tokens until %s (in %s) after %d failed attempts in a row. Nothing clears a challenge before then.",
		flows.ShowNear(until, s.now), span(left), flows.SCAMaxFailures)
}

// endView says what came of it.
func (s *challengeScreen) endView() string {
	st := s.c.Styles
	w := max(s.c.Width, 20)
	wrap := lipgloss.NewStyle().Width(w)
	var parts []string
	if r := s.replayed; r != nil {
		line := fmt.Sprintf("Sent again once with x-2fa-approval: HTTP %d", r.HTTPStatus)
		if r.Result != "" {
			line += " · x-2fa-approval-result " + r.Result
		}
		style := st.Success
		if r.HTTPStatus >= 400 || (r.Result != "" && r.Result != "APPROVED") {
			style = st.Error
		}
		parts = append(parts, style.Render(truncate(line, w)))
	}
	if !s.sessionUntil.IsZero() {
		parts = append(parts, st.Body.Render(truncate("SCA session: low-risk calls need no new approval until "+when(s.c, &s.sessionUntil), w)))
	}
	err := s.done.err
	var none *flows.NoSolvableFactorError
	switch {
	case err == nil:
	case errors.As(err, new(*flows.SCABlockedError)):
		parts = append(parts, wrap.Inherit(st.Error).Render(s.blockedText()))
	case errors.As(err, &none):
		if none.ActionType != "" && (s.status == nil || s.status.ActionType == "") {
			parts = append(parts, wrap.Inherit(st.Body).Render(fmt.Sprintf("The one-time token approves %s (%s).", actionWords(none.ActionType), none.ActionType)))
		}
		var rows [][2]string
		for _, f := range none.Factors {
			rows = append(rows, [2]string{factorName(f.Factor), orNone(f.WhyNot, "not for this credential")})
		}
		parts = append(parts, labelled(s.c, rows))
		if none.Instead != "" {
			parts = append(parts, "", wrap.Inherit(st.Body).Render("Instead: "+none.Instead))
		}
	case errors.As(err, new(*flows.ChallengeInterruptedError)), errors.Is(err, flows.ErrSCAInterrupted), errors.Is(err, context.Canceled):
		parts = append(parts, wrap.Inherit(st.Body).Render("Nothing was approved. The one-time token is not used; making the call again brings a new one."))
	case errors.As(err, new(*flows.OTTUsedError)):
		parts = append(parts, wrap.Inherit(st.Error).Render(errText(err)), wrap.Inherit(st.Body).Render("A one-time token clears one call once. Making the call again brings a new one."))
	default:
		p := explain(err)
		p.Todo = "The call was not sent again unless the line above says so."
		parts = append(parts, renderProblem(s.c, p))
	}
	return strings.Join(parts, "\n")
}

func (s *challengeScreen) ShortHelp() []key.Binding {
	stop := key.NewBinding(key.WithKeys(s.keys.Back.Keys()...), key.WithHelp("esc", "stop: no call sent again"))
	switch {
	case s.done != nil:
		return []key.Binding{key.NewBinding(key.WithKeys(s.keys.Next.Keys()...), key.WithHelp("enter", "continue"))}
	case s.replaying:
		// The replay's answer is awaited: nothing to press.
		return nil
	case s.ask == nil:
		return []key.Binding{stop}
	case s.ask.kind == askChoose:
		return []key.Binding{chooseKey(s.keys), key.NewBinding(key.WithKeys(s.keys.Next.Keys()...), key.WithHelp("enter", "use it")), stop}
	}
	return []key.Binding{key.NewBinding(key.WithKeys(s.keys.Next.Keys()...), key.WithHelp("enter", "send")), stop}
}

func (s *challengeScreen) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }
