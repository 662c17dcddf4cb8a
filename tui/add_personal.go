package tui

// Guided flow: store a personal API token, checked with Wise first.

import (
	"context"
	"fmt"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
)

type personalStep int

const (
	psName personalStep = iota
	psEnv
	psAPIURL
	psProduction
	psToken
	psChecking
	psResult
)

type personalFlow struct {
	flowBase[personalStep]
	env   envPick
	token textinput.Model
	// held is the token sent, kept from enter until the check takes it.
	held crypto.Secret
}

// personalEnv are the flow's environment steps; the token follows them.
var personalEnv = envSteps[personalStep]{list: psEnv, apiURL: psAPIURL, production: psProduction, after: psToken}

// personalCheckedMsg is the answer of AddPersonalChecked.
type personalCheckedMsg = flowAnswered[personalStep]

// personalSteps is the flow: name, environment, token, the check.
var personalSteps = &flowSpec[*personalFlow, personalStep]{
	flow: "Personal API token", title: "Add a personal API token", of: 4, call: "check",
	done: (*personalFlow).doneText, unsaved: "Nothing was saved.",
	steps: []stepSpec[*personalFlow, personalStep]{
		psName: {
			kind: stepName, n: 1, title: "Name this token",
			hint: "The name of its entry in this wallet; scripts ask the command line for the token by it. " +
				"1 to 64 letters, digits, '.', '_' or '-'.",
			lookup: freeName[*personalFlow], then: psEnv,
		},
		psEnv: envListStep[*personalFlow](2, "Where was the token made?",
			"A personal token works only where it was made: sandbox tokens on wise-sandbox.com, production tokens on wise.com. Start in the sandbox.",
			personalEnv),
		psAPIURL:     envURLStep[*personalFlow](2, personalEnv),
		psProduction: envProductionStep[*personalFlow](2, "This token will act on real money in a live Wise account.", personalEnv),
		// esc from the check or its result comes back here to an empty
		// field: it let go of the token when it was sent.
		psToken: {
			kind: stepMasked, n: 3, title: "Paste the token",
			field: func(s *personalFlow) *textinput.Model { return &s.token },
			next:  (*personalFlow).takeToken, view: (*personalFlow).tokenView,
		},
		psChecking: {
			kind: stepCall, n: 4, title: "Checking with Wise",
			hint:  "Wise answers with the user and the profiles this token acts for. esc cancels; nothing is stored then.",
			start: (*personalFlow).check, doing: (*personalFlow).checking,
		},
		psResult: {
			kind: stepResult, n: 4, title: "✓ Saved: Wise accepted the token",
			failed: "✗ Not saved: Wise did not accept the token", view: (*personalFlow).savedView,
		},
	},
}

func newPersonalFlow(c *Common, from int) *personalFlow {
	return &personalFlow{
		flowBase: personalSteps.base(c, from, newField(c, "e.g. acme-payouts", nameLimit, false)),
		env:      newEnvPick(c),
		token:    newField(c, "paste the token", secretLimit, true),
	}
}

func (s *personalFlow) environment() *envPick { return &s.env }

// takeToken is enter on the token: a malformed one is refused here; the
// field lets go of a good one at once, and the check holds it.
func (s *personalFlow) takeToken() (personalStep, string) {
	tok, err := flows.CleanToken([]byte(s.token.Value()))
	if err != nil {
		return psToken, errText(err)
	}
	s.token.Reset()
	s.held = tok
	return psChecking, ""
}

// check asks Wise who the token acts as and saves it if Wise accepts it.
func (s *personalFlow) check(ctx context.Context, id int) tea.Cmd {
	name, env, tok := s.entryName(), s.env.env, s.held
	s.held = crypto.Secret{}
	return walletCall[personalStep](s.c, ctx, id, func(ctx context.Context, svc Backend) (flows.EntryView, error) {
		return svc.AddPersonalChecked(ctx, name, env, tok)
	})
}

func (s *personalFlow) doneText() string {
	return fmt.Sprintf("Saved personal token %q (%s).", s.saved.Name, s.saved.Env.Name)
}

func (s *personalFlow) tokenView(v *stepView) {
	v.Hint = fmt.Sprintf("The token Wise showed once when you made it (Your account → Integrations and tools → API tokens). "+
		"It is sent only to %s, to ask who it acts as (GET /v1/me and /v2/profiles), then sealed in the wallet. "+
		"A token Wise rejects is not stored.", s.env.env.APIURL)
	if s.c.Env.Demo && s.c.Env.DemoPersonalToken != "" && s.env.env.APIURL == s.c.Env.DemoAPIURL {
		v.Note = "Demo: localwise's personal token is " + s.c.Env.DemoPersonalToken
	}
}

func (s *personalFlow) checking() string {
	return fmt.Sprintf("GET /v1/me and /v2/profiles at %s…", s.env.env.APIURL)
}

func (s *personalFlow) savedView(v *stepView) {
	rows := [][2]string{{"entry", s.saved.Name}, {"environment", envLabel(s.c, s.saved.Env)}}
	rows = append(rows, identityRows(s.saved)...)
	v.Body = labelled(s.c, rows)
	v.Note = fmt.Sprintf("It works until revoked at Wise; the dashboard shows its age. Scripts get it from the command line by its name, %s.", s.saved.Name)
}

func (s *personalFlow) Init() tea.Cmd      { return nil }
func (s *personalFlow) Title() string      { return personalSteps.title }
func (s *personalFlow) CapturesText() bool { return personalSteps.capturesText(s) }
func (s *personalFlow) View() string       { return personalSteps.render(s) }

func (s *personalFlow) Update(msg tea.Msg) (Screen, tea.Cmd) { return s, personalSteps.update(s, msg) }

func (s *personalFlow) ShortHelp() []key.Binding  { return personalSteps.shortHelp(s) }
func (s *personalFlow) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }
