package tui

// Guided flow: store an OAuth client (id, secret, redirect URL), checked
// with a client-credentials grant before it is saved.

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
)

// suggestedRedirect is the loopback redirect URL wisewallet proposes to
// register in Developer Hub (and the one localwise's demo client has).
const suggestedRedirect = "http://127.0.0.1:53682/wisewallet/callback"

type clientStep int

const (
	csName clientStep = iota
	csEnv
	csAPIURL
	csProduction
	csClientID
	csSecret
	csRedirect
	csChecking
	csResult
)

type clientFlow struct {
	flowBase[clientStep]
	env      envPick
	clientID textinput.Model
	secret   textinput.Model
	// held is the submitted secret, kept until the check is sent: the
	// secret field lets go of it when the user moves on.
	held     crypto.Secret
	redirect textinput.Model
}

// clientEnv are the flow's environment steps; the client id follows them.
var clientEnv = envSteps[clientStep]{list: csEnv, apiURL: csAPIURL, production: csProduction, after: csClientID}

// clientCheckedMsg is the answer of AddClient with its check.
type clientCheckedMsg = flowAnswered[clientStep]

// clientSteps is the flow: name, environment, client id, secret, redirect
// URL, the check.
var clientSteps = &flowSpec[*clientFlow, clientStep]{
	flow: "OAuth client", title: "Add an OAuth client", of: 6, call: "check",
	done: (*clientFlow).doneText, unsaved: "Nothing was saved.",
	steps: []stepSpec[*clientFlow, clientStep]{
		csName: {
			kind: stepName, n: 1, title: "Name this client",
			hint:   "The name of its entry in this wallet; user logins refer to it. 1 to 64 letters, digits, '.', '_' or '-'.",
			lookup: freeName[*clientFlow], then: csEnv,
		},
		csEnv: envListStep[*clientFlow](2, "Which environment is the client for?",
			"Wise gives every partner separate client credentials for the sandbox and for production, each in its own Developer Hub. Start in the sandbox.",
			clientEnv),
		csAPIURL:     envURLStep[*clientFlow](2, clientEnv),
		csProduction: envProductionStep[*clientFlow](2, "This client will act for real customers with real money.", clientEnv),
		csClientID: {
			kind: stepText, n: 3, title: "Client id",
			hint:  "Developer Hub shows it with your application. It is not secret: it names your application on Wise's login page.",
			field: func(s *clientFlow) *textinput.Model { return &s.clientID },
			next:  (*clientFlow).takeClientID, view: (*clientFlow).clientIDView,
		},
		csSecret: {
			kind: stepMasked, n: 4, title: "Client secret",
			hint:  "Shown in Developer Hub next to the client id. It is sent only to Wise's token endpoint (HTTP Basic, as Wise requires for every grant) and sealed in the wallet.",
			field: func(s *clientFlow) *textinput.Model { return &s.secret },
			next:  (*clientFlow).takeSecret, view: (*clientFlow).secretView,
			// The secret must be entered again: it was let go of.
			onBack: func(s *clientFlow) { s.held = crypto.Secret{} },
		},
		csRedirect: {
			kind: stepText, n: 5, title: "Redirect URL",
			hint: "Must equal, character for character, the redirect URL registered for this client in Developer Hub, or Wise refuses the login. " +
				"A loopback URL like the one suggested lets wisewallet catch the login itself; with any other URL you paste the code back. " +
				"Empty: this client only gets client-credentials tokens.",
			field: func(s *clientFlow) *textinput.Model { return &s.redirect },
			next:  (*clientFlow).takeRedirect,
		},
		csChecking: {
			kind: stepCall, n: 6, title: "Checking with Wise",
			hint:  "A client-credentials token proves the id and secret work. esc cancels; nothing is stored then.",
			start: (*clientFlow).check, doing: (*clientFlow).checking,
		},
		csResult: {
			kind: stepResult, n: 6, title: "✓ Saved: Wise accepted the client id and secret",
			failed: "✗ Not saved: Wise did not accept the client", view: (*clientFlow).savedView,
		},
	},
}

func newClientFlow(c *Common, from int) *clientFlow {
	s := &clientFlow{
		flowBase: clientSteps.base(c, from, newField(c, "e.g. acme-partner-app", nameLimit, false)),
		env:      newEnvPick(c),
		clientID: newField(c, "the client id from Developer Hub", urlLimit, false),
		secret:   newField(c, "paste the client secret", secretLimit, true),
		redirect: newField(c, suggestedRedirect, urlLimit, false),
	}
	s.redirect.SetValue(suggestedRedirect)
	s.redirect.CursorEnd()
	return s
}

func (s *clientFlow) environment() *envPick { return &s.env }

// demoLocal is whether the client is for the demo's own localwise, where
// the demo's client credentials work (and are shown).
func (s *clientFlow) demoLocal() bool {
	return s.c.Env.Demo && s.c.Env.DemoClientSecret != "" && s.env.env.APIURL == s.c.Env.DemoAPIURL
}

func (s *clientFlow) clientIDView(v *stepView) {
	if s.demoLocal() {
		v.Note = "Demo: localwise's client id is " + s.c.Env.DemoClientID
	}
}

func (s *clientFlow) secretView(v *stepView) {
	if s.demoLocal() {
		v.Note = "Demo: localwise's client secret is " + s.c.Env.DemoClientSecret
	}
}

func (s *clientFlow) takeClientID() (clientStep, string) {
	if strings.TrimSpace(s.clientID.Value()) == "" {
		return csClientID, "Enter the client id: Developer Hub shows it for this environment."
	}
	return csSecret, ""
}

// takeSecret is enter on the secret: the field lets go of it, the flow
// holds it for the check.
func (s *clientFlow) takeSecret() (clientStep, string) {
	sec, err := flows.CleanToken([]byte(s.secret.Value()))
	if err != nil {
		return csSecret, strings.Replace(errText(err), "token", "secret", 1)
	}
	s.held = sec
	s.secret.Reset()
	return csRedirect, ""
}

func (s *clientFlow) takeRedirect() (clientStep, string) {
	if err := checkRedirect(strings.TrimSpace(s.redirect.Value())); err != nil {
		return csRedirect, errText(err)
	}
	return csChecking, ""
}

// check gets a client-credentials token with the id and secret and saves
// the client if Wise gives one.
func (s *clientFlow) check(ctx context.Context, id int) tea.Cmd {
	in := flows.ClientInput{
		Name: s.entryName(), Env: s.env.env, ClientID: strings.TrimSpace(s.clientID.Value()),
		Secret: s.held, RedirectURL: strings.TrimSpace(s.redirect.Value()), Check: true,
	}
	return walletCall[clientStep](s.c, ctx, id, func(ctx context.Context, svc Backend) (flows.EntryView, error) {
		return svc.AddClient(ctx, in)
	})
}

func (s *clientFlow) doneText() string {
	return fmt.Sprintf("Saved OAuth client %q (%s).", s.saved.Name, s.saved.Env.Name)
}

// checkRedirect accepts an empty URL (client-credentials only) or an
// absolute http(s) URL, as AddClient does, so the mistake shows here.
func checkRedirect(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("%q is not an http(s) URL; copy it from Developer Hub", raw)
	}
	return nil
}

func (s *clientFlow) checking() string {
	return fmt.Sprintf("POST %s/oauth/token, grant_type=client_credentials…", s.env.env.APIURL)
}

func (s *clientFlow) savedView(v *stepView) {
	redirect := s.saved.RedirectURL
	if redirect == "" {
		redirect = "none (client-credentials only)"
	}
	v.Body = labelled(s.c, [][2]string{
		{"entry", s.saved.Name},
		{"environment", envLabel(s.c, s.saved.Env)},
		{"client id", s.saved.ClientID},
		{"redirect URL", redirect},
		{"client token", "valid until " + when(s.c, s.saved.AccessExpiresAt)},
	})
	v.Note = "Next, link a user: a, then \"Log in a user\" (an existing Wise account) or \"Create a user\". In production Wise also requires mTLS of partners."
}

func (s *clientFlow) Init() tea.Cmd      { return nil }
func (s *clientFlow) Title() string      { return clientSteps.title }
func (s *clientFlow) CapturesText() bool { return clientSteps.capturesText(s) }
func (s *clientFlow) View() string       { return clientSteps.render(s) }

func (s *clientFlow) Update(msg tea.Msg) (Screen, tea.Cmd) { return s, clientSteps.update(s, msg) }

func (s *clientFlow) ShortHelp() []key.Binding  { return clientSteps.shortHelp(s) }
func (s *clientFlow) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }
