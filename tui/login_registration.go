package tui

// Guided flow: create a Wise user for a partner and get their tokens with
// the registration_code grant.

import (
	"context"
	"fmt"
	"net/mail"
	"strings"

	"charm.land/bubbles/v2/key"
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

// registeredMsg is the answer of LoginRegistrationCode.
type registeredMsg = flowAnswered[regStep]

// registrationSteps is the flow: client, name, email, the registration.
var registrationSteps = &flowSpec[*registrationFlow, regStep]{
	flow: "Create a user (registration code)", title: "Create a user", of: 4, call: "registration",
	done: (*registrationFlow).doneText, unsaved: "Nothing new was saved.",
	steps: []stepSpec[*registrationFlow, regStep]{
		rsClient: {
			kind: stepChoice, n: 1, title: "Which OAuth client creates the user?",
			hint: "The client's own token (client-credentials grant) asks Wise to create the user; the user's tokens then belong to this client.",
			list: func(s *registrationFlow) *pickList { return &s.clients.list },
			next: (*registrationFlow).takeClient,
			view: func(s *registrationFlow, v *stepView) { v.Body = s.clients.view(s.c) },
		},
		rsName: {
			kind: stepName, n: 2, title: "Name the user's entry",
			lookup: func(s *registrationFlow) nameCheck { return checkUserName(s.client.Name) },
			named:  func(s *registrationFlow, replace bool) { s.replace = replace },
			then:   rsEmail,
			view: func(s *registrationFlow, v *stepView) {
				v.Hint = fmt.Sprintf("The wallet entry for this user's tokens (client %q). Using the same name again gets new tokens with the stored code.", s.client.Name)
			},
		},
		rsEmail: {
			kind: stepText, n: 3, title: "The user's email",
			hint: "Wise creates a new account for this email. If it already has a Wise account, only its owner can link it: use \"Log in a user\" instead. " +
				"wisewallet generates the registration code (43 random characters), seals it in the wallet before Wise sees it, and never shows it.",
			field: func(s *registrationFlow) *textinput.Model { return &s.email },
			next:  (*registrationFlow).takeEmail, view: (*registrationFlow).emailView,
		},
		rsChecking: {
			kind: stepCall, n: 4, title: "Creating the user at Wise",
			hint:  "The code is in the wallet already, so an interrupted attempt can be finished later with the same name and email. esc cancels waiting.",
			start: (*registrationFlow).register,
			doing: func(*registrationFlow) string {
				return "POST /v1/users/exists, /v1/user/signup/registration_code, then /oauth/token (grant_type=registration_code)…"
			},
		},
		rsResult: {kind: stepResult, n: 4, failed: "✗ No tokens", view: (*registrationFlow).createdView},
	},
}

func newRegistrationFlow(c *Common, from int) *registrationFlow {
	return &registrationFlow{
		flowBase: registrationSteps.base(c, from, userNameField(c)),
		email:    newField(c, "new.user@example.com", emailLimit, false),
	}
}

// takeClient is enter on the client list; while it is read (or empty)
// there is none to take.
func (s *registrationFlow) takeClient() (regStep, string) {
	c, ok := s.clients.chosen()
	if !ok {
		return rsClient, ""
	}
	s.client = c
	return rsName, ""
}

func (s *registrationFlow) takeEmail() (regStep, string) {
	email := strings.TrimSpace(s.email.Value())
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return rsEmail, fmt.Sprintf("%q is not an email address.", email)
	}
	return rsChecking, ""
}

// register creates the user at Wise and gets their tokens.
func (s *registrationFlow) register(ctx context.Context, id int) tea.Cmd {
	req := flows.RegistrationRequest{Client: s.client.Name, As: s.entryName(), Email: strings.TrimSpace(s.email.Value())}
	return walletCall[regStep](s.c, ctx, id, func(ctx context.Context, svc Backend) (flows.EntryView, error) {
		return svc.LoginRegistrationCode(ctx, req)
	})
}

func (s *registrationFlow) doneText() string {
	return fmt.Sprintf("Created the user and saved their tokens as %q.", s.saved.Name)
}

func (s *registrationFlow) emailView(v *stepView) {
	if s.replace {
		v.Body += "\n\n" + s.c.Styles.Warning.Render(fmt.Sprintf("%q exists: its stored code gets new tokens.", s.entryName()))
	}
}

func (s *registrationFlow) createdView(v *stepView) {
	v.Title = fmt.Sprintf("✓ Created: tokens saved as %q", s.saved.Name)
	v.Body = labelled(s.c, append(userRows(s.c, s.saved), [2]string{"registration code", "sealed in the wallet, never shown"}))
	v.Note = "The code gets new tokens until the user claims the account on wise.com; after that, link them with \"Log in a user\"."
}

func (s *registrationFlow) Init() tea.Cmd { return s.clients.start(s.c) }

// Leave stops the registration, the name lookup and the reading of the
// clients.
func (s *registrationFlow) Leave() { s.flowBase.Leave(); s.clients.op.stop() }

func (s *registrationFlow) Title() string      { return registrationSteps.title }
func (s *registrationFlow) CapturesText() bool { return registrationSteps.capturesText(s) }
func (s *registrationFlow) View() string       { return registrationSteps.render(s) }

func (s *registrationFlow) Update(msg tea.Msg) (Screen, tea.Cmd) {
	if msg, ok := msg.(clientsLoadedMsg); ok {
		s.clients.apply(msg)
		return s, nil
	}
	return s, registrationSteps.update(s, msg)
}

func (s *registrationFlow) ShortHelp() []key.Binding  { return registrationSteps.shortHelp(s) }
func (s *registrationFlow) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }
