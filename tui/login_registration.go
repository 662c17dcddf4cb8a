package tui

// Guided flow: create a Wise user for a partner and get their tokens with
// the registration_code grant.

import (
	"context"
	"fmt"
	"net/mail"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/wisewallet/wisewallet/flows"
)

type regStep int

const (
	rsClient regStep = iota
	rsName
	rsEmail
	rsChecking
	rsResult
)

type registrationFlow struct {
	flowBase[regStep]

	clients clientPick
	client  flows.EntryView
	replace bool // the name is a user entry of this client already
	email   textinput.Model
}

type registeredMsg struct {
	id    int
	entry flows.EntryView
	err   error
}

func newRegistrationFlow(c *Common, from int) *registrationFlow {
	return &registrationFlow{
		flowBase: newFlowBase(c, from, userNameField(c), rsName, rsResult),
		email:    newField(c, "new.user@example.com", emailLimit, false),
	}
}

func (s *registrationFlow) Init() tea.Cmd { return s.clients.start(s.c) }

func (s *registrationFlow) CapturesText() bool { return s.step == rsName || s.step == rsEmail }

// Leave stops the registration, the name lookup and the reading of the
// clients.
func (s *registrationFlow) Leave() { s.flowBase.Leave(); s.clients.op.stop() }

func (s *registrationFlow) Update(msg tea.Msg) (Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg, tea.BackgroundColorMsg:
		fitFields(s.c, &s.name, &s.email)
		return s, nil
	case spinner.TickMsg:
		return s, s.tick(msg)
	case clientsLoadedMsg:
		s.clients.apply(msg)
		return s, nil
	case userNameCheckedMsg:
		if s.nameChecked(msg.id, msg.err) {
			s.replace = msg.replace
			s.go2(rsEmail)
		}
		return s, nil
	case registeredMsg:
		return s, s.answered(msg.id, msg.entry, msg.err, "registration")
	case tea.KeyPressMsg:
		return s.key(msg)
	case tea.PasteMsg:
		s.errMsg = ""
	}
	return s, s.forward(msg)
}

func (s *registrationFlow) forward(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	switch s.step {
	case rsName:
		s.name, cmd = s.name.Update(msg)
	case rsEmail:
		s.email, cmd = s.email.Update(msg)
	}
	return cmd
}

func (s *registrationFlow) key(k tea.KeyPressMsg) (Screen, tea.Cmd) {
	if key.Matches(k, s.keys.Back) {
		return s, s.goBack(s.doneText())
	}
	next := key.Matches(k, s.keys.Next)
	switch s.step {
	case rsClient:
		if c, ok := s.clients.key(s.keys, k); ok {
			s.client = c
			s.go2(rsName)
		}
		return s, nil
	case rsName:
		if next {
			return s, s.submitName(checkUserName(s.client.Name))
		}
	case rsEmail:
		if next {
			email := strings.TrimSpace(s.email.Value())
			if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
				s.errMsg = fmt.Sprintf("%q is not an email address.", email)
				return s, nil
			}
			req := flows.RegistrationRequest{Client: s.client.Name, As: s.entryName(), Email: email}
			return s, s.call(rsChecking, func(ctx context.Context, id int, svc Backend) tea.Msg {
				e, err := svc.LoginRegistrationCode(ctx, req)
				return registeredMsg{id: id, entry: e, err: err}
			})
		}
	case rsChecking:
		return s, nil
	case rsResult:
		return s, s.resultKey(k, s.doneText(), "Nothing new was saved.")
	}
	// Typing into a field: the complaint about the last enter is stale.
	s.errMsg = ""
	return s, s.forward(k)
}

func (s *registrationFlow) doneText() string {
	return fmt.Sprintf("Created the user and saved their tokens as %q.", s.saved.Name)
}

func (s *registrationFlow) Title() string { return "Create a user" }

func (s *registrationFlow) View() string {
	st := s.c.Styles
	v := stepView{Flow: "Create a user (registration code)", Of: 4}
	switch s.step {
	case rsClient:
		v.N, v.Title = 1, "Which OAuth client creates the user?"
		v.Hint = "The client's own token (client-credentials grant) asks Wise to create the user; the user's tokens then belong to this client."
		v.Body = s.clients.view(s.c)
	case rsName:
		v.N, v.Title = 2, "Name the user's entry"
		v.Hint = fmt.Sprintf("The wallet entry for this user's tokens (client %q). Using the same name again gets new tokens with the stored code.", s.client.Name)
		v.Body = s.nameBody()
	case rsEmail:
		v.N, v.Title = 3, "The user's email"
		v.Hint = "Wise creates a new account for this email. If it already has a Wise account, only its owner can link it: use \"Log in a user\" instead. " +
			"wisewallet generates the registration code (43 random characters), seals it in the wallet before Wise sees it, and never shows it."
		v.Body = s.email.View()
		if s.replace {
			v.Body += "\n\n" + st.Warning.Render(fmt.Sprintf("%q exists: its stored code gets new tokens.", s.entryName()))
		}
	case rsChecking:
		v.N, v.Title = 4, "Creating the user at Wise"
		v.Body = spinLine(s.c, s.spin.View(), "POST /v1/users/exists, /v1/user/signup/registration_code, then /oauth/token (grant_type=registration_code)…")
		v.Hint = "The code is in the wallet already, so an interrupted attempt can be finished later with the same name and email. esc cancels waiting."
	case rsResult:
		v.N = 4
		if s.err != nil {
			s.failedView(&v, "✗ No tokens")
			break
		}
		v.Title, v.Tone = fmt.Sprintf("✓ Created: tokens saved as %q", s.saved.Name), 1
		v.Body = labelled(s.c, append(userRows(s.c, s.saved), [2]string{"registration code", "sealed in the wallet, never shown"}))
		v.Note = "The code gets new tokens until the user claims the account on wise.com; after that, link them with \"Log in a user\"."
	}
	return s.render(v)
}

func (s *registrationFlow) ShortHelp() []key.Binding {
	return flowHelp(s.keys, s.step == rsClient, false, s.step == rsChecking, s.step == rsResult, s.err == nil)
}

func (s *registrationFlow) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }
