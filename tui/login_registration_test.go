package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wisewallet/wisewallet/flows"
)

func wzRegistrationFlow(c *Common) *registrationFlow {
	f := newRegistrationFlow(c, 3)
	f.Init()
	msg := wzClients()
	msg.id = f.clients.op.id
	f.Update(msg)
	return f
}

func wzRegistered() flows.EntryView {
	e := wzLoggedIn()
	e.Name, e.UserEmail, e.UserName, e.UserID, e.ProfileID = "new-user", "new.user@example.com", "", 5551234, 0
	e.Profiles = []flows.Profile{{ID: 16001234, Type: "personal"}}
	return e
}

func TestRegistrationFlowSteps(t *testing.T) {
	c := wzCommon(80, 24)
	f := wzRegistrationFlow(c)
	var s Screen = f
	snap := func(name string) {
		t.Run(name, func(t *testing.T) { wzGolden(t, c, s) })
	}
	snap("1-client")
	s = press(s, "enter")
	snap("2-name")
	s = wzNamed(press(typeInto(s, "new-user"), "enter"))
	snap("3-email")
	s = typeInto(s, "new.user@example.com")
	s = press(s, "enter")
	snap("4-creating")
	s, _ = s.Update(registeredMsg{id: f.op.id, entry: wzRegistered()})
	snap("4-created")
}

func TestRegistrationFlowAt100x30(t *testing.T) {
	c := wzCommon(100, 30)
	s := wzNamed(press(typeInto(press(wzRegistrationFlow(c), "enter"), "new-user"), "enter"))
	wzGolden(t, c, typeInto(s, "new.user@example.com"))
}

// The result says where the registration code is and never shows it
// (the flow never has it: flows generates and stores it).
func TestRegistrationFlowSaysTheCodeIsSealed(t *testing.T) {
	c := wzCommon(80, 24)
	f := wzRegistrationFlow(c)
	s := wzNamed(press(typeInto(press(f, "enter"), "new-user"), "enter"))
	if !strings.Contains(wzFlat(s), "generates the registration code") || !strings.Contains(wzFlat(s), "never shows it") {
		t.Errorf("the email step does not explain the code:\n%s", wzPlain(s))
	}
	s = press(typeInto(s, "new.user@example.com"), "enter")
	s, _ = s.Update(registeredMsg{id: f.op.id, entry: wzRegistered()})
	if !strings.Contains(wzFlat(s), "registration code sealed in the wallet, never shown") {
		t.Errorf("the result does not say where the code is:\n%s", wzPlain(s))
	}
}

func TestRegistrationFlowEmailMustBeAnAddress(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzNamed(press(typeInto(press(wzRegistrationFlow(c), "enter"), "new-user"), "enter"))
	for _, bad := range []string{"", "new.user", "Jane <jane@example.com>"} {
		f := s.(*registrationFlow)
		f.email.SetValue(bad)
		press(s, "enter")
		if f.step != rsEmail || f.op.busy {
			t.Errorf("%q was accepted as an email (step %d)", bad, f.step)
		}
	}
}

func TestRegistrationFlowExistingWiseAccount(t *testing.T) {
	c := wzCommon(80, 24)
	f := wzRegistrationFlow(c)
	s := wzNamed(press(typeInto(press(f, "enter"), "new-user"), "enter"))
	s = press(typeInto(s, "demo@localwise.test"), "enter")
	// What flows returns; the what-to-do below is the app's.
	err := &flows.ExistingAccountError{Email: "demo@localwise.test", Client: "acme-app", As: "new-user"}
	s, _ = s.Update(registeredMsg{id: f.op.id, err: err})
	wzGolden(t, c, s)
	_, cmd := s.Update(keyPress("enter"))
	msgs := cmdMsgs(cmd)
	if len(msgs) != 2 {
		t.Fatalf("enter on a failure gave %d messages", len(msgs))
	}
	if n, ok := msgs[1].(ToastMsg); !ok || !n.Error {
		t.Errorf("notice %+v", msgs[1])
	}
}

func TestRegistrationFlowEscWalksBack(t *testing.T) {
	c := wzCommon(80, 24)
	f := wzRegistrationFlow(c)
	s := wzNamed(press(typeInto(press(f, "enter"), "new-user"), "enter"))
	s = press(typeInto(s, "new.user@example.com"), "enter")
	ctx := f.op.ctx()
	for _, want := range []regStep{rsEmail, rsName, rsClient} {
		s = press(s, "esc")
		if f.step != want {
			t.Fatalf("esc went to step %d, want %d", f.step, want)
		}
	}
	if ctx.Err() == nil {
		t.Error("esc while creating the user did not stop waiting")
	}
	// A late success of the left attempt is told.
	_, cmd := s.Update(registeredMsg{id: 1, entry: wzRegistered()})
	if got := fmt.Sprint(cmdMsgs(cmd)); !strings.Contains(got, "was saved") {
		t.Errorf("late success not told: %s", got)
	}
}
