package tui

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/wisewallet/wisewallet/flows"
)

// wzPersonalEntry is what AddPersonalChecked returns for a good token.
func wzPersonalEntry(name string) flows.EntryView {
	created := wzNow
	return flows.EntryView{
		Name: name, Kind: flows.KindPersonal, CreatedAt: wzNow, SecretCreatedAt: &created,
		Env:           flows.Environment{Name: flows.EnvSandbox, APIURL: "https://api.wise-sandbox.com"},
		EntryIdentity: flows.EntryIdentity{UserID: 5551001, UserName: "Demo User", UserEmail: "demo@localwise.test", Profiles: []flows.Profile{{ID: 16000001, Type: "personal", Name: "Demo User"}, {ID: 16000002, Type: "business", Name: "Acme Ltd"}}},
	}
}

// wzNamed answers the name check the flow started, as the wallet would
// for a free name.
func wzNamed(s Screen) Screen {
	switch f := s.(type) {
	case *personalFlow:
		s, _ = f.Update(nameCheckedMsg{id: f.nameOp.id})
	case *clientFlow:
		s, _ = f.Update(nameCheckedMsg{id: f.nameOp.id})
	case *loginFlow:
		s, _ = f.Update(userNameCheckedMsg{id: f.nameOp.id})
	case *registrationFlow:
		s, _ = f.Update(userNameCheckedMsg{id: f.nameOp.id})
	}
	return s
}

// Every step of the personal-token flow, as the user walks it in the
// sandbox, with the token typed in (masked) and a good answer from Wise.
func TestPersonalFlowSteps(t *testing.T) {
	c := wzCommon(80, 24)
	var s Screen = newPersonalFlow(c, 0)
	snap := func(name string) {
		t.Run(name, func(t *testing.T) { wzGolden(t, c, s) })
	}
	snap("1-name")
	s = typeInto(s, "acme-token")
	s = press(s, "enter")
	snap("1-name-checking")
	s = wzNamed(s)
	snap("2-environment")
	s = press(s, "enter")
	snap("3-token")
	s = typeInto(s, wzTokenCanary)
	snap("3-token-typed")
	var cmd tea.Cmd
	s, cmd = s.Update(keyPress("enter"))
	if cmd == nil {
		t.Fatal("enter on the token started nothing")
	}
	snap("4-checking")
	f := s.(*personalFlow)
	s, _ = s.Update(personalCheckedMsg{id: f.op.id, entry: wzPersonalEntry("acme-token")})
	snap("4-saved")
}

func TestPersonalFlowAt100x30(t *testing.T) {
	c := wzCommon(100, 30)
	s := wzNamed(press(typeInto(newPersonalFlow(c, 0), "acme-token"), "enter"))
	s = typeInto(press(s, "enter"), wzTokenCanary)
	wzGolden(t, c, s)
}

func TestPersonalFlowNameMustBeValid(t *testing.T) {
	c := wzCommon(80, 24)
	s := press(typeInto(newPersonalFlow(c, 0), "my token!"), "enter")
	f := s.(*personalFlow)
	if f.step != psName || f.nameOp.busy {
		t.Fatalf("an invalid name moved on (step %d) or was looked up", f.step)
	}
	wzGolden(t, c, s)
}

func TestPersonalFlowTakenNameStaysOnTheNameStep(t *testing.T) {
	c := wzCommon(80, 24)
	s := press(typeInto(newPersonalFlow(c, 0), "acme-personal"), "enter")
	f := s.(*personalFlow)
	err := fmt.Errorf("%w: %q is taken; choose another name", flows.ErrEntryExists, "acme-personal")
	s, _ = s.Update(nameCheckedMsg{id: f.nameOp.id, err: err})
	if f.step != psName || !strings.Contains(wzPlain(s), "is taken") {
		t.Fatalf("a taken name: step %d, view:\n%s", f.step, wzPlain(s))
	}
}

// Production is never one keystroke away: enter does not choose it,
// only an explicit y does.
func TestPersonalFlowProductionNeedsAnExplicitYes(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzNamed(press(typeInto(newPersonalFlow(c, 0), "live-token"), "enter"))
	s = press(s, "down", "enter")
	f := s.(*personalFlow)
	if f.step != psProduction {
		t.Fatalf("step %d after choosing production, want the confirmation", f.step)
	}
	t.Run("confirm", func(t *testing.T) { wzGolden(t, c, s) })
	s = press(s, "enter", "n", " ")
	if f.step != psProduction {
		t.Fatalf("production was accepted without y (step %d)", f.step)
	}
	s = press(s, "y")
	if f.step != psToken || f.env.env.Name != flows.EnvProduction || f.env.env.APIURL != "https://api.wise.com" {
		t.Fatalf("after y: step %d, env %+v", f.step, f.env.env)
	}
	t.Run("token", func(t *testing.T) { wzGolden(t, c, s) })
	// esc goes back to the question, then to the list.
	s = press(s, "esc")
	if f.step != psProduction {
		t.Fatalf("esc from the token went to step %d", f.step)
	}
	press(s, "esc")
	if f.step != psEnv {
		t.Fatalf("esc from the confirmation went to step %d", f.step)
	}
}

// In demo mode "local" is chosen and the demo's localwise URL filled in.
func TestPersonalFlowLocalInDemo(t *testing.T) {
	c := wzDemoCommon(80, 24)
	s := wzNamed(press(typeInto(newPersonalFlow(c, 0), "demo-token"), "enter"))
	f := s.(*personalFlow)
	if f.env.chosen() != "local" {
		t.Fatalf("demo mode starts on %q", f.env.chosen())
	}
	s = press(s, "enter")
	t.Run("api-url", func(t *testing.T) { wzGolden(t, c, s) })
	s = press(s, "enter")
	if f.step != psToken || f.env.env.APIURL != c.Env.DemoAPIURL || f.env.env.Name != flows.EnvLocal {
		t.Fatalf("step %d, env %+v", f.step, f.env.env)
	}
}

func TestPersonalFlowLocalRefusesPlainHTTPToAnotherMachine(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzNamed(press(typeInto(newPersonalFlow(c, 0), "t"), "enter"))
	s = press(s, "down", "down", "enter")
	s = press(typeInto(s, "http://wise.example.com"), "enter")
	f := s.(*personalFlow)
	if f.step != psAPIURL || !strings.Contains(wzFlat(s), "localwise runs on this machine") || !strings.Contains(wzFlat(s), "not wise.example.com") {
		t.Fatalf("plain http to another host accepted (step %d):\n%s", f.step, wzPlain(s))
	}
}

// Plain http goes to this machine only: a loopback address or
// "localhost", never a DNS name that merely starts with "127.".
func TestPersonalFlowLocalPlainHTTPOnlyToLoopbackAddresses(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"http://127.attacker.example:8080", false},
		{"http://127.0.0.1.nip.io:8080", false},
		{"http://127.0.0.2:8080", true},
		{"http://[::1]:8080", true},
		{"http://localhost:8080", true},
		{"https://127.attacker.example", false},
		{"https://wise.example.com", false},
		{"https://127.0.0.1:8443", true},
	} {
		c := wzCommon(80, 24)
		s := wzNamed(press(typeInto(newPersonalFlow(c, 0), "t"), "enter"))
		s = press(s, "down", "down", "enter")
		s = press(typeInto(s, tc.url), "enter")
		f := s.(*personalFlow)
		switch {
		case tc.ok && f.step != psToken:
			t.Errorf("%s refused:\n%s", tc.url, wzPlain(s))
		case !tc.ok && (f.step != psAPIURL || !strings.Contains(wzFlat(s), "localwise runs on this machine")):
			t.Errorf("%s accepted for local (step %d):\n%s", tc.url, f.step, wzPlain(s))
		}
	}
}

func TestPersonalFlowTokenIsMaskedAndLetGo(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzNamed(press(typeInto(newPersonalFlow(c, 0), "t"), "enter"))
	s = typeInto(press(s, "enter"), wzTokenCanary)
	noSecret(t, "token step", wzPlain(s), wzTokenCanary)
	if !strings.Contains(wzPlain(s), strings.Repeat("*", len(wzTokenCanary))) || !strings.Contains(wzPlain(s), fmt.Sprintf("%d characters, hidden", len(wzTokenCanary))) {
		t.Errorf("the masked token and its length are not shown:\n%s", wzPlain(s))
	}
	s = press(s, "enter")
	f := s.(*personalFlow)
	if f.token.Value() != "" {
		t.Error("the token field still holds the token after it was sent")
	}
	noSecret(t, "checking step", wzPlain(s), wzTokenCanary)
}

func TestPersonalFlowEmptyOrBadTokenIsRefusedHere(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzNamed(press(typeInto(newPersonalFlow(c, 0), "t"), "enter"))
	s = press(s, "enter", "enter")
	f := s.(*personalFlow)
	if f.step != psToken || !strings.Contains(wzPlain(s), "empty") {
		t.Fatalf("an empty token moved on (step %d)", f.step)
	}
	s = press(typeInto(s, "two words"), "enter")
	if f.step != psToken || !strings.Contains(wzPlain(s), "white space") {
		t.Fatalf("a token with a space moved on (step %d)", f.step)
	}
}

// Wise's refusal, with its trace id and what to do; esc goes back to an
// empty token field, enter leaves without saving.
func TestPersonalFlowRejected(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzNamed(press(typeInto(newPersonalFlow(c, 0), "acme-token"), "enter"))
	s = press(typeInto(press(s, "enter"), wzTokenCanary), "enter")
	f := s.(*personalFlow)
	api := &flows.APIError{Op: "GET /v1/me", Status: 401, Code: "invalid_token", Description: "Invalid token", TraceID: "4b1d2c3e4f5a6b7c8d9e0f1a2b3c4d5e"}
	err := fmt.Errorf("the token was not stored: %w (%w); Wise (sandbox) does not accept this token", api, flows.ErrTokenRejected)
	s, _ = s.Update(personalCheckedMsg{id: f.op.id, err: err})
	wzGolden(t, c, s)
	view := wzPlain(s)
	for _, want := range []string{"x-trace-id 4b1d2c3e4f5a6b7c8d9e0f1a2b3c4d5e", "Nothing was stored", "Integrations and tools"} {
		if !strings.Contains(view, want) {
			t.Errorf("the rejection does not say %q", want)
		}
	}
	_, cmd := s.Update(keyPress("enter"))
	msgs := cmdMsgs(cmd)
	if len(msgs) != 2 {
		t.Fatalf("enter on a failure gave %d messages, want Pop and a notice", len(msgs))
	}
	if _, ok := msgs[0].(popMsg); !ok {
		t.Errorf("first %T, want Pop", msgs[0])
	}
	if n, ok := msgs[1].(ToastMsg); !ok || !n.Error || !strings.Contains(n.Text, "Nothing was saved") {
		t.Errorf("notice %+v", msgs[1])
	}
	press(s, "esc")
	if f.step != psToken || f.token.Value() != "" {
		t.Fatalf("esc after a rejection: step %d, field holds %d characters", f.step, len(f.token.Value()))
	}
}

func TestPersonalFlowSavedGoesBackToTheDashboard(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzNamed(press(typeInto(newPersonalFlow(c, 0), "acme-token"), "enter"))
	s = press(typeInto(press(s, "enter"), wzTokenCanary), "enter")
	f := s.(*personalFlow)
	s, _ = s.Update(personalCheckedMsg{id: f.op.id, entry: wzPersonalEntry("acme-token")})
	for _, k := range []string{"enter", "esc"} {
		_, cmd := s.Update(keyPress(k))
		msgs := cmdMsgs(cmd)
		if len(msgs) != 3 {
			t.Fatalf("%s on the saved result gave %d messages, want Pop, WalletChanged, notice", k, len(msgs))
		}
		_, pop := msgs[0].(popMsg)
		_, changed := msgs[1].(walletChangedMsg)
		n, _ := msgs[2].(ToastMsg)
		if !pop || !changed || n.Error || !strings.Contains(n.Text, `"acme-token"`) {
			t.Errorf("%s: %T %T %+v", k, msgs[0], msgs[1], msgs[2])
		}
	}
}

// Esc walks back one step at a time, cancelling a running check, and
// from the first step returns to the chooser; nothing is saved.
func TestPersonalFlowEscWalksBack(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzNamed(press(typeInto(newPersonalFlow(c, 0), "acme-token"), "enter"))
	s = press(typeInto(press(s, "enter"), wzTokenCanary), "enter")
	f := s.(*personalFlow)
	ctx := f.op.ctx()
	want := []personalStep{psToken, psEnv, psName}
	for _, w := range want {
		s = press(s, "esc")
		if f.step != w {
			t.Fatalf("esc went to step %d, want %d", f.step, w)
		}
	}
	if ctx.Err() == nil {
		t.Error("esc during the check did not cancel it")
	}
	// A late answer of the cancelled check is not taken as the result...
	s, cmd := s.Update(personalCheckedMsg{id: 1, err: errors.New("context canceled")})
	if f.step != psName || cmd != nil {
		t.Errorf("a stale failure changed the flow (step %d)", f.step)
	}
	// ...but a late success is told, since the entry exists now.
	_, cmd = s.Update(personalCheckedMsg{id: 1, entry: wzPersonalEntry("acme-token")})
	var told bool
	for _, m := range cmdMsgs(cmd) {
		if n, ok := m.(ToastMsg); ok && strings.Contains(n.Text, "was saved") {
			told = true
		}
	}
	if !told || f.step != psName {
		t.Errorf("a late success: told %v, step %d", told, f.step)
	}
	_, cmd = s.Update(keyPress("esc"))
	msgs := cmdMsgs(cmd)
	if len(msgs) != 1 {
		t.Fatalf("esc on the first step gave %d messages", len(msgs))
	}
	if _, ok := msgs[0].(replaceMsg); !ok {
		t.Fatalf("esc on the first step gave %T, want the chooser", msgs[0])
	}
}

func TestPersonalFlowCapturesTextOnlyInFields(t *testing.T) {
	c := wzCommon(80, 24)
	f := newPersonalFlow(c, 0)
	if !f.CapturesText() {
		t.Error("the name step lets ? and q through to the app")
	}
	wzNamed(press(typeInto(f, "n"), "enter"))
	if f.CapturesText() {
		t.Error("the environment list captures text")
	}
	// Typing ? and q into the token field keeps them in the field.
	typeInto(press(f, "enter"), "?q")
	if f.token.Value() != "?q" {
		t.Errorf("the token field holds %d characters, want 2", len(f.token.Value()))
	}
}
