package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
)

// Canaries typed into the challenge screen's hidden fields. A PIN and a
// code are short, so the fixtures hold no number that contains them.
const (
	wzPINCanary = "8264"
	wzOTPCanary = "735190"
)

const wzOTT = "9f5f5812-2609-4e48-8418-b64437c0c7cd"

// wzChallenges is a one-time token's status as flows reads it: a PIN
// (or a code by SMS, WhatsApp or voice, or a face scan) and this device,
// passed as far as passed says.
func wzChallenges(passed int) *flows.SCAStatusView {
	pin := flows.SCAChallengeView{Primary: flows.FactorPIN, Alternatives: []flows.SCAFactor{flows.FactorSMS, flows.FactorWhatsApp, flows.FactorVoice, flows.FactorFaceMap},
		Required: true, Passed: passed > 0, Index: 1, Total: 2, ActionType: "BALANCE__GET_STATEMENT",
		Options: []flows.SCAFactorOption{
			{Factor: flows.FactorPIN, Solvable: true, SetUp: true},
			{Factor: flows.FactorSMS, Solvable: true},
			{Factor: flows.FactorWhatsApp, Solvable: true},
			{Factor: flows.FactorVoice, Solvable: true},
			{Factor: flows.FactorFaceMap, WhyNot: "a face scan cannot be captured in a terminal"},
		}}
	dev := flows.SCAChallengeView{Primary: flows.FactorDeviceFingerprint, Required: true, Passed: passed > 1, Index: 2, Total: 2, ActionType: "BALANCE__GET_STATEMENT",
		Options: []flows.SCAFactorOption{{Factor: flows.FactorDeviceFingerprint, Solvable: true, SetUp: true}}}
	return &flows.SCAStatusView{Credential: "partner-user", OTT: wzOTT, ActionType: "BALANCE__GET_STATEMENT", UserID: 6146956,
		Validity: 3600 * time.Second, Challenges: []flows.SCAChallengeView{pin, dev}, Ready: passed > 1}
}

// wzBridge is a bridge with no call behind it: the pure tests hand its
// screen the messages a solver would.
func wzBridge(what string) *scaBridge {
	ctx, cancel := context.WithCancel(context.Background())
	return &scaBridge{events: make(chan tea.Msg, 1), ctx: ctx, cancel: cancel, alive: context.Background(), credential: "partner-user", what: what}
}

// wzAsk is a question of the solver, with its reply channel.
func wzAsk(b *scaBridge, kind scaAskKind) scaAskMsg {
	return scaAskMsg{b: b, kind: kind, reply: make(chan scaAnswer, 1)}
}

// wzReply is the answer the screen gave to m.
func wzReply(t *testing.T, m scaAskMsg) scaAnswer {
	t.Helper()
	select {
	case a := <-m.reply:
		return a
	default:
		t.Fatal("the screen did not answer the question")
		return scaAnswer{}
	}
}

func wzChallengeGolden(t *testing.T, c *Common, s Screen) {
	t.Helper()
	wzGolden(t, c, s)
	noSecret(t, "the challenge screen", wzFrame(c, s), wzPINCanary, wzOTPCanary)
}

// Every state of the challenge screen at 80x24 and 100x30: the factors
// to choose from, the PIN typed hidden with the attempts left, a refusal,
// the code Wise sent with its obfuscated number, the replayed call's
// result, the block's countdown, a challenge nothing here clears, and a
// stop before the replay.
func TestChallengeScreenSteps(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {100, 30}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			c := wzCommon(size[0], size[1])
			b := wzBridge("the check: an SCA session")
			s := newChallenge(c, b)
			snap := func(name string) { t.Run(name, func(t *testing.T) { wzChallengeGolden(t, c, s) }) }
			snap("1-reading-the-status")

			s.Update(scaProgressMsg{b: b, ev: flows.SCAEvent{Kind: flows.EventStatusRead, Status: wzChallenges(0)}})
			ask := wzAsk(b, askChoose)
			ask.challenge = wzChallenges(0).Challenges[0]
			s.Update(ask)
			snap("2-choose-a-factor")
			// The face scan says why not, and enter on it answers nothing.
			press(s, "down", "down", "down", "down")
			press(s, "enter")
			if s.ask == nil || !strings.Contains(wzFlat(s), "face scan cannot be used here: a face scan cannot be captured in a terminal") {
				t.Fatalf("enter on the face scan:\n%s", wzPlain(s))
			}
			snap("3-face-scan-refused")
			press(s, "up", "up", "up", "up", "enter")
			if a := wzReply(t, ask); a.factor != flows.FactorPIN || a.err != nil {
				t.Fatalf("chose %q (%v), want the PIN", a.factor, a.err)
			}

			pin := wzAsk(b, askPIN)
			pin.attemptsLeft = 5
			s.Update(pin)
			typeInto(s, wzPINCanary)
			snap("4-pin-typed-hidden")
			press(s, "enter")
			if a := wzReply(t, pin); a.secret.RevealString() != wzPINCanary || a.err != nil {
				t.Fatalf("the PIN answered: %v", a.err)
			}
			s.Update(scaProgressMsg{b: b, ev: flows.SCAEvent{Kind: flows.EventFactorFailed, Factor: flows.FactorPIN, AttemptsLeft: 4, Err: &flows.WrongPINError{AttemptsLeft: 4}}})
			pin = wzAsk(b, askPIN)
			pin.attemptsLeft = 4
			s.Update(pin)
			snap("5-pin-refused-4-left")
			typeInto(s, "12")
			press(s, "enter")
			if s.ask == nil || !strings.Contains(wzFlat(s), "The PIN is 4 digits.") {
				t.Fatalf("two digits were sent as a PIN:\n%s", wzPlain(s))
			}
			press(s, "backspace", "backspace")
			typeInto(s, wzPINCanary)
			press(s, "enter")
			wzReply(t, pin)
			s.Update(scaProgressMsg{b: b, ev: flows.SCAEvent{Kind: flows.EventFactorPassed, Factor: flows.FactorPIN}})
			s.Update(scaProgressMsg{b: b, ev: flows.SCAEvent{Kind: flows.EventStatusRead, Status: wzChallenges(1)}})
			snap("6-pin-passed")

			// A code by SMS, as another token's challenge would ask it.
			s.Update(scaProgressMsg{b: b, ev: flows.SCAEvent{Kind: flows.EventOTPSent, Factor: flows.FactorSMS, Phone: "*********8888"}})
			otp := wzAsk(b, askOTP)
			otp.channel, otp.phone = flows.FactorSMS, "*********8888"
			s.Update(otp)
			typeInto(s, wzOTPCanary)
			snap("7-code-typed-hidden")
			press(s, "enter")
			if a := wzReply(t, otp); a.secret.RevealString() != wzOTPCanary {
				t.Fatal("the code was not answered")
			}
			for _, ev := range []flows.SCAEvent{
				{Kind: flows.EventFactorPassed, Factor: flows.FactorDeviceFingerprint},
				{Kind: flows.EventStatusRead, Status: wzChallenges(2)},
				{Kind: flows.EventReplaying},
			} {
				s.Update(scaProgressMsg{b: b, ev: ev})
			}
			snap("8-replaying")
			press(s, "esc")
			if s.stopped || !strings.Contains(wzFlat(s), "The call is being sent again") {
				t.Fatalf("esc during the replay stopped it:\n%s", wzPlain(s))
			}
			until := wzNow.Add(5 * time.Minute)
			s.Update(scaProgressMsg{b: b, ev: flows.SCAEvent{Kind: flows.EventReplayed, HTTPStatus: 200, Result: "APPROVED"}})
			s.Update(scaProgressMsg{b: b, ev: flows.SCAEvent{Kind: flows.EventSessionActive, Until: until}})
			s.Update(scaDoneMsg{b: b, msg: probeMsg("the call's answer")})
			snap("9-cleared")
			for _, want := range []string{"✓ Cleared: the call was sent again and went through", "Sent again once with x-2fa-approval: HTTP 200 · x-2fa-approval-result APPROVED", "✓ PIN passed", "✗ PIN refused: 4 attempts left", "Wise sent a code by SMS to *********8888"} {
				if !strings.Contains(wzFlat(s), want) {
					t.Errorf("the end does not say %q:\n%s", want, wzPlain(s))
				}
			}
			_, cmd := s.Update(keyPress("enter"))
			msgs := cmdMsgs(cmd)
			if len(msgs) != 2 {
				t.Fatalf("enter at the end gave %v, want a Pop and the call's answer", msgs)
			}
			if _, ok := msgs[0].(popMsg); !ok || msgs[1] != probeMsg("the call's answer") {
				t.Errorf("enter at the end gave %v, want a Pop, then the call's answer", msgs)
			}
		})
	}
}

// The ends that do not clear: the block's countdown moves with the
// clock; a challenge no factor of this credential clears says what works
// instead; esc at a question stops with nothing sent again.
func TestChallengeScreenEnds(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {100, 30}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			now := wzNow
			c := wzCommon(size[0], size[1])
			c.Now = func() time.Time { return now }
			t.Run("blocked", func(t *testing.T) {
				b := wzBridge("setting the PIN")
				s := newChallenge(c, b)
				s.Update(scaProgressMsg{b: b, ev: flows.SCAEvent{Kind: flows.EventStatusRead, Status: wzChallenges(0)}})
				until := wzNow.Add(flows.SCABlockDuration)
				s.Update(scaProgressMsg{b: b, ev: flows.SCAEvent{Kind: flows.EventFactorFailed, Factor: flows.FactorPIN, AttemptsLeft: 0}})
				s.Update(scaProgressMsg{b: b, ev: flows.SCAEvent{Kind: flows.EventBlocked, Until: until}})
				s.Update(scaDoneMsg{b: b, err: &flows.SCABlockedError{Credential: "partner-user", Until: until}})
				wzChallengeGolden(t, c, s)
				if !strings.Contains(wzFlat(s), "09:15:00 UTC (in 15m00s)") {
					t.Errorf("the block's end is not shown:\n%s", wzPlain(s))
				}
				now = wzNow.Add(61 * time.Second)
				s.Update(TickMsg(now))
				if !strings.Contains(wzFlat(s), "09:15:00 UTC (in 13m59s)") {
					t.Errorf("the countdown did not move with the clock:\n%s", wzPlain(s))
				}
				now = wzNow
			})
			t.Run("nothing-clears-it", func(t *testing.T) {
				b := wzBridge("POST /v3/profiles/501/transfers/9001/payments")
				b.credential = "acme-personal"
				s := newChallenge(c, b)
				s.Update(scaDoneMsg{b: b, err: &flows.NoSolvableFactorError{Credential: "acme-personal", Kind: flows.KindPersonal, ActionType: "TRANSFER__FUND",
					Factors: []flows.SCAFactorOption{{Factor: flows.FactorPIN, WhyNot: "a personal token cannot clear one-time-token factors"}, {Factor: flows.FactorFaceMap, WhyNot: "a face scan cannot be captured in a terminal"}},
					Instead: "in the EU and UK, PSD2 keeps funding transfers from personal tokens: fund the transfer in the Wise app or on wise.com; partners use OAuth"}})
				wzChallengeGolden(t, c, s)
				if !strings.Contains(wzFlat(s), "Instead: in the EU and UK, PSD2 keeps funding transfers") {
					t.Errorf("what works instead is not said:\n%s", wzPlain(s))
				}
			})
			t.Run("stopped", func(t *testing.T) {
				b := wzBridge("setting the PIN")
				s := newChallenge(c, b)
				s.Update(scaProgressMsg{b: b, ev: flows.SCAEvent{Kind: flows.EventStatusRead, Status: wzChallenges(0)}})
				ask := wzAsk(b, askPIN)
				ask.attemptsLeft = -1
				s.Update(ask)
				typeInto(s, "12")
				press(s, "esc")
				if a := wzReply(t, ask); !errors.Is(a.err, flows.ErrSCAInterrupted) || !a.secret.IsZero() {
					t.Fatalf("esc answered %v, want the interruption and no PIN", a.err)
				}
				// A question after esc is answered the same way at once.
				late := wzAsk(b, askChoose)
				s.Update(late)
				if a := wzReply(t, late); !errors.Is(a.err, flows.ErrSCAInterrupted) {
					t.Errorf("a question after esc got %v", a.err)
				}
				s.Update(scaDoneMsg{b: b, err: &flows.ChallengeInterruptedError{Credential: "partner-user", OTT: wzOTT, Cause: flows.ErrSCAInterrupted}})
				wzChallengeGolden(t, c, s)
				if !strings.Contains(wzFlat(s), "✗ Stopped: the call was not sent again") {
					t.Errorf("the stop is not said:\n%s", wzPlain(s))
				}
			})
		})
	}
}

// scaProbe is a screen that makes a call through scaCall, as any screen
// of the app would; work plays Wise's side of the conversation.
type scaProbe struct {
	c    *Common
	work scaWork
	got  []tea.Msg
}

type scaProbeAnswer struct{ err error }

func (p *scaProbe) Init() tea.Cmd {
	return scaCall(p.c, p.c.Ctx, "partner-user", "a protected call", p.work)
}
func (p *scaProbe) Update(msg tea.Msg) (Screen, tea.Cmd) {
	if m, ok := msg.(scaProbeAnswer); ok {
		p.got = append(p.got, m)
	}
	return p, nil
}
func (p *scaProbe) View() string              { return fmt.Sprintf("probe: %d answers", len(p.got)) }
func (p *scaProbe) Title() string             { return "probe" }
func (p *scaProbe) ShortHelp() []key.Binding  { return nil }
func (p *scaProbe) FullHelp() [][]key.Binding { return nil }

// scriptedCall is a call that meets a challenge: the status, the choice
// of the PIN, the PIN (its value recorded), then the replay's events.
type scriptedCall struct {
	mu      sync.Mutex
	pins    []string
	errs    []error
	replays int
}

func (sc *scriptedCall) work(ctx context.Context, _ Backend, solver flows.SCASolver) (tea.Msg, error) {
	fail := func(err error) (tea.Msg, error) {
		sc.mu.Lock()
		sc.errs = append(sc.errs, err)
		sc.mu.Unlock()
		err = &flows.ChallengeInterruptedError{Credential: "partner-user", OTT: wzOTT, Cause: err}
		return scaProbeAnswer{err: err}, err
	}
	solver.Progress(ctx, flows.SCAEvent{Kind: flows.EventStatusRead, Status: wzChallenges(0)})
	f, err := solver.Choose(ctx, wzChallenges(0).Challenges[0])
	if err != nil {
		return fail(err)
	}
	if f != flows.FactorPIN {
		return fail(fmt.Errorf("chose %s", f))
	}
	pin, err := solver.PIN(ctx, 5)
	if err != nil {
		return fail(err)
	}
	sc.mu.Lock()
	sc.pins = append(sc.pins, pin.RevealString())
	sc.replays++
	sc.mu.Unlock()
	solver.Progress(ctx, flows.SCAEvent{Kind: flows.EventFactorPassed, Factor: flows.FactorPIN})
	solver.Progress(ctx, flows.SCAEvent{Kind: flows.EventReplaying})
	solver.Progress(ctx, flows.SCAEvent{Kind: flows.EventReplayed, HTTPStatus: 200, Result: "APPROVED"})
	return scaProbeAnswer{}, nil
}

// Any screen's call that meets a challenge raises the challenge screen in
// the App; the answers reach the call; enter at the end hands the call's
// answer back to the screen that made it.
func TestChallengeRaisedOverAnyScreen(t *testing.T) {
	svc := coreFake()
	for _, stop := range []bool{false, true} {
		t.Run(map[bool]string{false: "cleared", true: "stopped"}[stop], func(t *testing.T) {
			sc := &scriptedCall{}
			d := newAppDriver(t, Options{Service: svc, Now: func() time.Time { return wzNow }}, 80, 24)
			probe := &scaProbe{c: d.app.c, work: sc.work}
			d.send(pushMsg{probe})
			ch, ok := d.app.top().(*challengeScreen)
			if !ok {
				t.Fatalf("the call's challenge raised %T, want the challenge screen", d.app.top())
			}
			if !strings.Contains(d.view(), "wisewallet · 2FA challenge") || !strings.Contains(d.view(), "1 of 2  PIN (or SMS, WhatsApp, voice call, face scan)") {
				t.Errorf("the App does not show the challenge:\n%s", d.view())
			}
			d.press("enter") // the PIN, first offered
			if ch.ask == nil || ch.ask.kind != askPIN {
				t.Fatalf("after the choice the screen asks %+v, want the PIN", ch.ask)
			}
			if stop {
				d.press("esc")
			} else {
				d.typeText(wzPINCanary)
				d.press("enter")
			}
			if ch.done == nil {
				t.Fatalf("the call did not end:\n%s", d.view())
			}
			d.press("enter")
			if d.app.top() != Screen(probe) || len(probe.got) != 1 {
				t.Fatalf("after enter the top is %T with %d answers, want the probe with the call's answer", d.app.top(), len(probe.got))
			}
			err := probe.got[0].(scaProbeAnswer).err
			sc.mu.Lock()
			defer sc.mu.Unlock()
			if stop {
				if sc.replays != 0 || len(sc.pins) != 0 || !errors.Is(err, flows.ErrSCANotCleared) || len(sc.errs) != 1 || !errors.Is(sc.errs[0], flows.ErrSCAInterrupted) {
					t.Errorf("stopped: %d replays, %d PINs, the call ended with %v", sc.replays, len(sc.pins), err)
				}
			} else if err != nil || len(sc.pins) != 1 || sc.pins[0] != wzPINCanary || sc.replays != 1 {
				t.Errorf("cleared: %v, PINs %d, replays %d", err, len(sc.pins), sc.replays)
			}
			for i, v := range d.views {
				noSecret(t, fmt.Sprintf("view %d", i), v, wzPINCanary)
			}
		})
	}
}

// A call that meets no challenge answers its screen directly: no
// challenge screen is raised, and a step that calls for none raises none.
func TestChallengeNotRaisedWithoutAChallenge(t *testing.T) {
	d := newAppDriver(t, Options{Service: coreFake(), Now: func() time.Time { return wzNow }}, 80, 24)
	probe := &scaProbe{c: d.app.c, work: func(ctx context.Context, _ Backend, solver flows.SCASolver) (tea.Msg, error) {
		solver.Progress(ctx, flows.SCAEvent{Kind: flows.EventStatusRead, Status: &flows.SCAStatusView{Ready: true}})
		solver.Progress(ctx, flows.SCAEvent{Kind: flows.EventSessionActive, Until: wzNow.Add(5 * time.Minute)})
		return scaProbeAnswer{}, nil
	}}
	d.send(pushMsg{probe})
	if d.app.top() != Screen(probe) || len(probe.got) != 1 {
		t.Fatalf("top %T with %d answers, want the probe answered without a challenge screen", d.app.top(), len(probe.got))
	}
}

// A lock while the challenge screen waits for the PIN ends the call with
// nothing sent again: the solver's question is answered with the stop.
func TestChallengeEndsOnLock(t *testing.T) {
	open := func(context.Context, crypto.Secret) (Backend, error) { return coreFake(), nil }
	sc := &scriptedCall{}
	d := newAppDriver(t, Options{Service: coreFake(), Unlock: open, Now: func() time.Time { return wzNow }}, 80, 24)
	probe := &scaProbe{c: d.app.c, work: sc.work}
	d.send(pushMsg{probe})
	d.press("enter") // the PIN
	if _, ok := d.app.top().(*challengeScreen); !ok {
		t.Fatalf("top %T, want the challenge screen", d.app.top())
	}
	d.send(lockMsg{})
	if _, ok := d.app.top().(unlock); !ok {
		t.Fatalf("after the lock the top is %T", d.app.top())
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		sc.mu.Lock()
		n := len(sc.errs)
		sc.mu.Unlock()
		if n == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.replays != 0 || len(sc.errs) != 1 || !errors.Is(sc.errs[0], flows.ErrSCAInterrupted) {
		t.Errorf("after the lock: %d replays, errors %v", sc.replays, sc.errs)
	}
}

// An action type the app knows is said in its words; another in Wise's,
// made readable.
func TestChallengeActionWords(t *testing.T) {
	for in, want := range map[string]string{
		"BALANCE__GET_STATEMENT": "a balance statement", "TRANSFER__FUND": "funding a transfer",
		"BATCH_GROUP__FUND": "batch group: fund", "SOMETHING": "something", "": "",
	} {
		if got := actionWords(in); got != want {
			t.Errorf("actionWords(%q) = %q, want %q", in, got, want)
		}
	}
}
