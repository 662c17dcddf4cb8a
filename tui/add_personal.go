package tui

// Guided flow: store a personal API token, checked with Wise first.

import (
	"errors"
	"fmt"
	"strings"

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
	c    *Common
	keys wizardKeys
	from int // chooser line, or -1
	step personalStep
	back history[personalStep]

	name   textinput.Model
	nameOp asyncOp
	env    envPick
	token  textinput.Model
	op     asyncOp
	spin   spinner.Model
	errMsg string

	saved flows.Entry
	err   error
}

// personalCheckedMsg is the answer of AddPersonalChecked.
type personalCheckedMsg struct {
	id    int
	entry flows.Entry
	err   error
}

// nameCheckedMsg says whether an entry name can be used.
type nameCheckedMsg struct {
	id  int
	err error
}

func newPersonalFlow(c *Common, from int) *personalFlow {
	return &personalFlow{
		c: c, keys: newWizardKeys(c.Keys), from: from,
		name:  newField(c, "e.g. acme-payouts", nameLimit, false),
		env:   newEnvPick(c),
		token: newField(c, "paste the token", secretLimit, true),
		spin:  newSpinner(c),
	}
}

// checkFreeName reads the wallet for an existing entry of that name.
func checkFreeName(c *Common, name string, id int) tea.Cmd {
	return c.WalletCmd(func(svc *flows.Service) tea.Msg {
		_, err := svc.Wallet.Get(name)
		switch {
		case errors.Is(err, flows.ErrEntryNotFound):
			return nameCheckedMsg{id: id}
		case err == nil:
			return nameCheckedMsg{id: id, err: fmt.Errorf("%w: %q is taken; choose another name", flows.ErrEntryExists, name)}
		default:
			return nameCheckedMsg{id: id, err: err}
		}
	})
}

func (s *personalFlow) Init() tea.Cmd { return nil }

func (s *personalFlow) CapturesText() bool {
	return s.step == psName || s.step == psAPIURL || s.step == psToken
}

func (s *personalFlow) go2(next personalStep) {
	s.back.push(s.step)
	s.step, s.errMsg = next, ""
}

func (s *personalFlow) Update(msg tea.Msg) (Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg, tea.BackgroundColorMsg:
		fitFields(s.c, &s.name, &s.env.apiURL, &s.token)
		return s, nil
	case spinner.TickMsg:
		if !s.op.busy {
			return s, nil // ends the spinner's tick loop
		}
		var cmd tea.Cmd
		s.spin, cmd = s.spin.Update(msg)
		return s, cmd
	case nameCheckedMsg:
		if !s.nameOp.current(msg.id) || s.step != psName {
			return s, nil
		}
		s.nameOp.stop()
		if msg.err != nil {
			s.errMsg = errText(msg.err)
			return s, nil
		}
		s.go2(psEnv)
		return s, nil
	case personalCheckedMsg:
		if !s.op.current(msg.id) {
			if msg.err == nil {
				// The check had got through before esc: say so rather than
				// leave a saved entry unmentioned.
				return s, tea.Batch(WalletChanged(), Toast(fmt.Sprintf("The check you left finished: %q was saved.", msg.entry.Name), false))
			}
			return s, nil
		}
		s.op.stop()
		s.saved, s.err = msg.entry, msg.err
		s.step = psResult
		return s, nil
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
		return s.goBack()
	}
	switch s.step {
	case psName:
		if key.Matches(k, s.keys.Next) {
			if s.nameOp.busy {
				return s, nil
			}
			name := strings.TrimSpace(s.name.Value())
			if err := flows.ValidateName(name); err != nil {
				s.errMsg = errText(err)
				return s, nil
			}
			_, id := s.nameOp.start(s.c.Ctx)
			return s, checkFreeName(s.c, name, id)
		}
	case psEnv:
		if key.Matches(k, s.keys.Next) {
			switch needURL, needConfirm := s.env.listNext(); {
			case needURL:
				s.go2(psAPIURL)
			case needConfirm:
				s.go2(psProduction)
			default:
				s.go2(psToken)
			}
			return s, nil
		}
		s.env.list.update(s.keys, k)
		return s, nil
	case psAPIURL:
		if key.Matches(k, s.keys.Next) {
			if err := s.env.urlNext(); err != nil {
				s.errMsg = errText(err)
				return s, nil
			}
			s.go2(psToken)
			return s, nil
		}
	case psProduction:
		if key.Matches(k, s.keys.Confirm) {
			s.env.confirmProduction()
			s.go2(psToken)
		}
		return s, nil
	case psToken:
		if key.Matches(k, s.keys.Next) {
			tok, err := flows.CleanToken([]byte(s.token.Value()))
			if err != nil {
				s.errMsg = errText(err)
				return s, nil
			}
			// The field lets go of the value at once; the check holds it.
			s.token.Reset()
			ctx, id := s.op.start(s.c.Ctx)
			s.go2(psChecking)
			name := strings.TrimSpace(s.name.Value())
			env := s.env.env
			return s, tea.Batch(s.spin.Tick, s.c.WalletCmd(func(svc *flows.Service) tea.Msg {
				e, err := svc.AddPersonalChecked(ctx, name, env, tok)
				return personalCheckedMsg{id: id, entry: e, err: err}
			}))
		}
	case psChecking:
		return s, nil
	case psResult:
		if key.Matches(k, s.keys.Next) {
			if s.err == nil {
				return s, finishSaved(fmt.Sprintf("Saved personal token %q (%s).", s.saved.Name, s.saved.Env.Name))
			}
			return s, leaveUnsaved("Nothing was saved.")
		}
		return s, nil
	}
	// Typing into a field: the complaint about the last enter is stale.
	s.errMsg = ""
	return s, s.forward(k)
}

// goBack is esc: one step back, cancelling a running check; from the
// first step, back to where the flow was opened. Nothing is saved.
func (s *personalFlow) goBack() (Screen, tea.Cmd) {
	if s.step == psResult && s.err == nil {
		return s, finishSaved(fmt.Sprintf("Saved personal token %q (%s).", s.saved.Name, s.saved.Env.Name))
	}
	s.op.stop()
	s.nameOp.stop()
	s.errMsg = ""
	prev, ok := s.back.pop()
	if !ok {
		return s, leaveFlow(s.c, s.from)
	}
	// From the check or its result this is the token step, whose field
	// is empty again: it let go of the value when it was sent.
	s.step = prev
	return s, nil
}

func (s *personalFlow) Title() string { return "Add a personal API token" }

func (s *personalFlow) View() string {
	v := stepView{Flow: "Personal API token", Of: 4}
	switch s.step {
	case psName:
		v.N, v.Title = 1, "Name this token"
		v.Hint = "The name of its entry in this wallet; scripts use it, as in `wisewallet token NAME`. " +
			"1 to 64 letters, digits, '.', '_' or '-'."
		v.Body = s.name.View()
		if s.nameOp.busy {
			v.Body += "\n" + s.c.Styles.Subtle.Render("  checking the name…")
		}
	case psEnv:
		v.N, v.Title = 2, "Where was the token made?"
		v.Hint = "A personal token works only where it was made: sandbox tokens on wise-sandbox.com, production tokens on wise.com. Start in the sandbox."
		v.Body = renderList(s.c, s.env.list, 10)
	case psAPIURL:
		v.N, v.Title = 2, "Which localwise server?"
		v.Hint = envURLHint(s.c)
		v.Body = s.env.apiURL.View()
	case psProduction:
		v.N, v.Title = 2, "Use production?"
		v.Hint = "Press y to store it for production, or esc to choose another environment."
		v.Body = s.c.Styles.Badge(string(flows.EnvProduction)) + " " + s.c.Styles.Warning.Render("This token will act on real money in a live Wise account.")
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
			v.Title, v.Tone = "✗ Not saved: Wise did not accept the token", -1
			v.Body = renderProblem(s.c, explain(s.err))
			break
		}
		v.Title, v.Tone = "✓ Saved: Wise accepted the token", 1
		rows := [][2]string{{"entry", s.saved.Name}, {"environment", envLabel(s.c, s.saved.Env)}}
		rows = append(rows, identityRows(s.saved)...)
		v.Body = labelled(s.c, rows)
		v.Note = fmt.Sprintf("It works until revoked at Wise; the dashboard shows its age. Scripts get it with `wisewallet token %s`.", s.saved.Name)
	}
	v.Err = s.errMsg
	return renderStep(s.c, v)
}

// envURLHint explains the API URL of a local environment.
func envURLHint(c *Common) string {
	h := "localwise is the stand-in for Wise that `wisewallet demo` and the tests run on this machine; " +
		"plain http is accepted only to 127.0.0.1 or localhost."
	if c.Env.Demo {
		h += " The demo's server is filled in."
	}
	return h
}

func (s *personalFlow) ShortHelp() []key.Binding {
	return flowHelp(s.keys, s.step == psEnv, s.step == psProduction, s.step == psChecking, s.step == psResult, s.err == nil)
}

func (s *personalFlow) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }

// flowHelp is the footer of a flow step: lists choose, text steps go
// next, a running call can be cancelled, a result ends the flow.
func flowHelp(k wizardKeys, list, confirm, busy, result, ok bool) []key.Binding {
	switch {
	case busy:
		return []key.Binding{k.Cancel}
	case result && ok:
		return []key.Binding{k.Done}
	case result:
		return []key.Binding{k.Back, k.Leave}
	case confirm:
		return []key.Binding{k.Confirm, k.Back}
	case list:
		return []key.Binding{chooseKey(k), k.Next, k.Back}
	default:
		return []key.Binding{k.Next, k.Back}
	}
}

// chooseKey is ↑/↓ as one help entry.
func chooseKey(k wizardKeys) key.Binding {
	return key.NewBinding(key.WithKeys(append(k.Up.Keys(), k.Down.Keys()...)...), key.WithHelp("↑/↓", "choose"))
}
