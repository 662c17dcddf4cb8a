package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/wisewallet/wisewallet/flows"
)

func wzClientEntry() flows.EntryView {
	issued, expires, created := wzNow, wzNow.Add(12*time.Hour), wzNow
	return flows.EntryView{
		Name: "acme-app", Kind: flows.KindClient, CreatedAt: wzNow, SecretCreatedAt: &created,
		Env:              flows.Environment{Name: flows.EnvSandbox, APIURL: "https://api.wise-sandbox.com", AuthorizeURL: "https://wise-sandbox.com/oauth/authorize/"},
		EntryOAuthClient: flows.EntryOAuthClient{ClientID: "acme-partner", RedirectURL: suggestedRedirect},
		EntryTokens:      flows.EntryTokens{AccessIssuedAt: &issued, AccessExpiresAt: &expires},
	}
}

// wzClientToRedirect walks the client flow in the sandbox up to the
// redirect URL step.
func wzClientToRedirect(c *Common) Screen {
	s := wzNamed(press(typeInto(newClientFlow(c, 1), "acme-app"), "enter"))
	s = press(s, "enter")
	s = press(typeInto(s, "acme-partner"), "enter")
	return press(typeInto(s, wzSecretCanary), "enter")
}

func TestClientFlowSteps(t *testing.T) {
	c := wzCommon(80, 24)
	var s Screen = newClientFlow(c, 1)
	snap := func(name string) {
		t.Run(name, func(t *testing.T) {
			wzGolden(t, c, s)
			noSecret(t, name, wzPlain(s), wzSecretCanary)
		})
	}
	snap("1-name")
	s = wzNamed(press(typeInto(s, "acme-app"), "enter"))
	snap("2-environment")
	s = press(s, "enter")
	snap("3-client-id")
	s = press(typeInto(s, "acme-partner"), "enter")
	snap("4-secret")
	s = typeInto(s, wzSecretCanary)
	snap("4-secret-typed")
	s = press(s, "enter")
	snap("5-redirect")
	var cmd tea.Cmd
	s, cmd = s.Update(keyPress("enter"))
	if cmd == nil {
		t.Fatal("enter on the redirect URL started nothing")
	}
	snap("6-checking")
	f := s.(*clientFlow)
	s, _ = s.Update(clientCheckedMsg{id: f.op.id, entry: wzClientEntry()})
	snap("6-saved")
}

func TestClientFlowAt100x30(t *testing.T) {
	c := wzCommon(100, 30)
	wzGolden(t, c, wzClientToRedirect(c))
}

// The secret leaves the field as soon as it is entered; the flow holds
// it for the check, and forgets it when the user goes back to retype it.
func TestClientFlowSecretIsMaskedAndLetGo(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzClientToRedirect(c)
	f := s.(*clientFlow)
	if f.secret.Value() != "" || f.held.RevealString() != wzSecretCanary {
		t.Fatalf("after enter: field holds %d characters, flow holds the secret: %v", len(f.secret.Value()), f.held.RevealString() == wzSecretCanary)
	}
	press(s, "esc")
	if f.step != csSecret || !f.held.IsZero() {
		t.Fatalf("esc to the secret: step %d, secret still held: %v", f.step, !f.held.IsZero())
	}
}

func TestClientFlowNeedsAClientID(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzNamed(press(typeInto(newClientFlow(c, 1), "acme-app"), "enter"))
	s = press(s, "enter", "enter")
	if f := s.(*clientFlow); f.step != csClientID || !strings.Contains(wzFlat(s), "Developer Hub shows it") {
		t.Fatalf("an empty client id moved on (step %d)", f.step)
	}
}

func TestClientFlowRedirectURL(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzClientToRedirect(c)
	f := s.(*clientFlow)
	if got := f.redirect.Value(); got != suggestedRedirect {
		t.Errorf("suggested redirect %q, want %q", got, suggestedRedirect)
	}
	view := wzFlat(s)
	for _, want := range []string{"character for character", "Developer Hub", "loopback"} {
		if !strings.Contains(view, want) {
			t.Errorf("the redirect step does not explain %q", want)
		}
	}
	// Not a URL: stays, says why.
	f.redirect.SetValue("127.0.0.1:53682/cb")
	s = press(s, "enter")
	if f.step != csRedirect || f.op.busy {
		t.Fatalf("a redirect without scheme was sent (step %d)", f.step)
	}
	// Empty is allowed: client-credentials only.
	f.redirect.SetValue("")
	press(s, "enter")
	if f.step != csChecking || !f.op.busy {
		t.Fatalf("an empty redirect URL was refused (step %d)", f.step)
	}
}

func TestClientFlowWrongSecret(t *testing.T) {
	c := wzCommon(80, 24)
	s := press(wzClientToRedirect(c), "enter")
	f := s.(*clientFlow)
	api := &flows.APIError{Op: "POST /oauth/token", Status: 401, Code: "invalid_client", Description: "Bad client credentials", TraceID: "9f8e7d6c5b4a39281706f5e4d3c2b1a0"}
	s, _ = s.Update(clientCheckedMsg{id: f.op.id, err: fmt.Errorf("the client was not stored: %w (%w)", api, flows.ErrInvalidClient)})
	wzGolden(t, c, s)
	if !strings.Contains(wzFlat(s), "client id and secret in Developer Hub") {
		t.Error("the failure does not say what to check")
	}
	// esc: back to the redirect step, and once more to retype the secret.
	s = press(s, "esc")
	if f.step != csRedirect {
		t.Fatalf("esc after a failure went to step %d", f.step)
	}
	press(s, "esc")
	if f.step != csSecret || f.secret.Value() != "" {
		t.Fatalf("second esc: step %d", f.step)
	}
}

func TestClientFlowEscWalksBack(t *testing.T) {
	c := wzCommon(80, 24)
	s := press(wzClientToRedirect(c), "enter")
	f := s.(*clientFlow)
	ctx := f.op.ctx()
	for _, want := range []clientStep{csRedirect, csSecret, csClientID, csEnv, csName} {
		s = press(s, "esc")
		if f.step != want {
			t.Fatalf("esc went to step %d, want %d", f.step, want)
		}
	}
	if ctx.Err() == nil {
		t.Error("esc during the check did not cancel it")
	}
	_, cmd := s.Update(keyPress("esc"))
	msgs := cmdMsgs(cmd)
	if r, ok := msgs[0].(replaceMsg); len(msgs) != 1 || !ok || r.s.(*addChooser).list.cursor != 1 {
		t.Fatalf("esc on the first step: %v", msgs)
	}
}

func TestClientFlowProductionNeedsAnExplicitYes(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzNamed(press(typeInto(newClientFlow(c, 1), "live-app"), "enter"))
	s = press(s, "down", "enter", "enter")
	f := s.(*clientFlow)
	if f.step != csProduction {
		t.Fatalf("production passed without y (step %d)", f.step)
	}
	wzGolden(t, c, s)
	press(s, "y")
	if f.step != csClientID || f.env.env.Name != flows.EnvProduction {
		t.Fatalf("after y: step %d env %q", f.step, f.env.env.Name)
	}
}

// In demo mode the client is for the demo's localwise, filled in.
func TestClientFlowLocalInDemo(t *testing.T) {
	c := wzDemoCommon(80, 24)
	s := wzNamed(press(typeInto(newClientFlow(c, 1), "acme-app-2"), "enter"))
	s = press(s, "enter")
	f := s.(*clientFlow)
	if f.step != csAPIURL {
		t.Fatalf("demo mode: step %d after the environment, want its URL", f.step)
	}
	wzGolden(t, c, s)
	press(s, "enter")
	if f.step != csClientID || f.env.env.APIURL != c.Env.DemoAPIURL || f.env.env.AuthorizeURL != c.Env.DemoAPIURL+"/oauth/authorize" {
		t.Fatalf("step %d, env %+v", f.step, f.env.env)
	}
}
