package tui

import (
	"strings"
	"testing"
)

// The demo's guided flows ask for a personal token and a client's id and
// secret: the demo shows its localwise values there, as it shows its
// login on the authorize step (they work against that localwise only).
func TestDemoFlowsShowTheDemoCredentials(t *testing.T) {
	c := wzDemoCommon(80, 24)
	c.Env.DemoPersonalToken, c.Env.DemoClientID, c.Env.DemoClientSecret = "demo-personal-token-1", "demo-client-id-2", "demo-client-secret-3"

	s := wzNamed(press(typeInto(newPersonalFlow(c, 0), "mine"), "enter"))
	s = press(s, "enter", "enter") // local, the demo's URL
	if s.(*personalFlow).step != psToken || !strings.Contains(wzFlat(s), "demo-personal-token-1") {
		t.Fatalf("the token step does not show the demo's personal token:\n%s", wzPlain(s))
	}
	wzFits(t, c, s)

	s = wzNamed(press(typeInto(newClientFlow(c, 1), "acme-app-2"), "enter"))
	s = press(s, "enter", "enter")
	f := s.(*clientFlow)
	if f.step != csClientID || !strings.Contains(wzFlat(s), "demo-client-id-2") {
		t.Fatalf("the client id step does not show the demo's client id (step %d):\n%s", f.step, wzPlain(s))
	}
	s = press(typeInto(s, "demo-client-id-2"), "enter")
	if f.step != csSecret || !strings.Contains(wzFlat(s), "demo-client-secret-3") {
		t.Fatalf("the secret step does not show the demo's client secret (step %d):\n%s", f.step, wzPlain(s))
	}
	wzFits(t, c, s)

	// Outside the demo nothing of the kind is shown.
	c = wzCommon(80, 24)
	s = wzNamed(press(typeInto(newPersonalFlow(c, 0), "mine"), "enter"))
	s = press(s, "enter")
	if strings.Contains(wzFlat(s), "Demo:") {
		t.Fatalf("a demo hint outside the demo:\n%s", wzPlain(s))
	}
}
