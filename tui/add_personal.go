package tui

// Guided flow: store a personal API token, checked with Wise first.

import (
	"context"
	"fmt"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

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
}

// personalEnv are the flow's environment steps; the token follows them.
var personalEnv = envSteps[personalStep]{list: psEnv, apiURL: psAPIURL, production: psProduction, after: psToken}

// personalCheckedMsg is the answer of AddPersonalChecked.
type personalCheckedMsg struct {
	id    int
	entry flows.EntryView
	err   error
}

func newPersonalFlow(c *Common, from int) *personalFlow {
	return &personalFlow{
		flowBase: newFlowBase(c, from, newField(c, "e.g. acme-payouts", nameLimit, false), psName, psResult),
		env:      newEnvPick(c),
		token:    newField(c, "paste the token", secretLimit, true),
	}
}

func (s *personalFlow) Init() tea.Cmd { return nil }

func (s *personalFlow) CapturesText() bool {
	return s.step == psName || s.step == psAPIURL || s.step == psToken
}

func (s *personalFlow) Update(msg tea.Msg) (Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg, tea.BackgroundColorMsg:
		fitFields(s.c, &s.name, &s.env.apiURL, &s.token)
		return s, nil
	case spinner.TickMsg:
		return s, s.tick(msg)
	case nameCheckedMsg:
		if s.nameChecked(msg.id, msg.err) {
			s.go2(psEnv)
		}
		return s, nil
	case personalCheckedMsg:
		return s, s.answered(msg.id, msg.entry, msg.err, "check")
	case tea.KeyPressMsg:
		return s.key(msg)
	case tea.PasteMsg:
		s.errMsg = ""
	}
	return s, s.forward(msg)
}

// forward gives other messages (pastes) to the step's text field.
func (s *personalFlow) forward(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	switch s.step {
	case psName:
		s.name, cmd = s.name.Update(msg)
	case psAPIURL:
		s.env.apiURL, cmd = s.env.apiURL.Update(msg)
	case psToken:
		s.token, cmd = s.token.Update(msg)
	}
	return cmd
}

func (s *personalFlow) key(k tea.KeyPressMsg) (Screen, tea.Cmd) {
	if key.Matches(k, s.keys.Back) {
		// From the check or its result this goes to the token step, whose
		// field is empty again: it let go of the value when it was sent.
		return s, s.goBack(s.doneText())
	}
	next := key.Matches(k, s.keys.Next)
	switch s.step {
	case psName:
		if next {
			return s, s.submitName(checkFreeName)
		}
	case psEnv, psAPIURL, psProduction:
		return s, s.envKey(&s.env, personalEnv, k)
	case psToken:
		if next {
			tok, err := flows.CleanToken([]byte(s.token.Value()))
			if err != nil {
				s.errMsg = errText(err)
				return s, nil
			}
			// The field lets go of the value at once; the check holds it.
			s.token.Reset()
			name, env := s.entryName(), s.env.env
			return s, s.call(psChecking, func(ctx context.Context, id int, svc Backend) tea.Msg {
				e, err := svc.AddPersonalChecked(ctx, name, env, tok)
				return personalCheckedMsg{id: id, entry: e, err: err}
			})
		}
	case psChecking:
		return s, nil
	case psResult:
		return s, s.resultKey(k, s.doneText(), "Nothing was saved.")
	}
	// Typing into a field: the complaint about the last enter is stale.
	s.errMsg = ""
	return s, s.forward(k)
}

func (s *personalFlow) doneText() string {
	return fmt.Sprintf("Saved personal token %q (%s).", s.saved.Name, s.saved.Env.Name)
}

func (s *personalFlow) Title() string { return "Add a personal API token" }

func (s *personalFlow) View() string {
	v := stepView{Flow: "Personal API token", Of: 4}
	switch s.step {
	case psName:
		v.N, v.Title = 1, "Name this token"
		v.Hint = "The name of its entry in this wallet; scripts ask the command line for the token by it. " +
			"1 to 64 letters, digits, '.', '_' or '-'."
		v.Body = s.nameBody()
	case psEnv:
		v.N, v.Title = 2, "Where was the token made?"
		v.Hint = "A personal token works only where it was made: sandbox tokens on wise-sandbox.com, production tokens on wise.com. Start in the sandbox."
		v.Body = renderList(s.c, s.env.list, 10)
	case psAPIURL:
		v.N = 2
		s.env.urlView(s.c, &v)
	case psProduction:
		v.N = 2
		productionView(s.c, &v, "This token will act on real money in a live Wise account.")
	case psToken:
		v.N, v.Title = 3, "Paste the token"
		v.Hint = fmt.Sprintf("The token Wise showed once when you made it (Your account → Integrations and tools → API tokens). "+
			"It is sent only to %s, to ask who it acts as (GET /v1/me and /v2/profiles), then sealed in the wallet. "+
			"A token Wise rejects is not stored.", s.env.env.APIURL)
		v.Body = secretFieldView(s.c, s.token)
	case psChecking:
		v.N, v.Title = 4, "Checking with Wise"
		v.Body = spinLine(s.c, s.spin.View(), fmt.Sprintf("GET /v1/me and /v2/profiles at %s…", s.env.env.APIURL))
		v.Hint = "Wise answers with the user and the profiles this token acts for. esc cancels; nothing is stored then."
	case psResult:
		v.N = 4
		if s.err != nil {
			s.failedView(&v, "✗ Not saved: Wise did not accept the token")
			break
		}
		v.Title, v.Tone = "✓ Saved: Wise accepted the token", 1
		rows := [][2]string{{"entry", s.saved.Name}, {"environment", envLabel(s.c, s.saved.Env)}}
		rows = append(rows, identityRows(s.saved)...)
		v.Body = labelled(s.c, rows)
		v.Note = fmt.Sprintf("It works until revoked at Wise; the dashboard shows its age. Scripts get it from the command line by its name, %s.", s.saved.Name)
	}
	return s.render(v)
}

func (s *personalFlow) ShortHelp() []key.Binding {
	return flowHelp(s.keys, s.step == psEnv, s.step == psProduction, s.step == psChecking, s.step == psResult, s.err == nil)
}

func (s *personalFlow) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }
