package tui

// Guided flow: store an OAuth client (id, secret, redirect URL), checked
// with a client-credentials grant before it is saved.

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
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

type clientCheckedMsg struct {
	id    int
	entry flows.EntryView
	err   error
}

func newClientFlow(c *Common, from int) *clientFlow {
	s := &clientFlow{
		flowBase: newFlowBase(c, from, newField(c, "e.g. acme-partner-app", nameLimit, false), csName, csResult),
		env:      newEnvPick(c),
		clientID: newField(c, "the client id from Developer Hub", urlLimit, false),
		secret:   newField(c, "paste the client secret", secretLimit, true),
		redirect: newField(c, suggestedRedirect, urlLimit, false),
	}
	s.redirect.SetValue(suggestedRedirect)
	s.redirect.CursorEnd()
	return s
}

func (s *clientFlow) Init() tea.Cmd { return nil }

func (s *clientFlow) CapturesText() bool {
	switch s.step {
	case csName, csAPIURL, csClientID, csSecret, csRedirect:
		return true
	}
	return false
}

func (s *clientFlow) Update(msg tea.Msg) (Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg, tea.BackgroundColorMsg:
		fitFields(s.c, &s.name, &s.env.apiURL, &s.clientID, &s.secret, &s.redirect)
		return s, nil
	case spinner.TickMsg:
		return s, s.tick(msg)
	case nameCheckedMsg:
		if s.nameChecked(msg.id, msg.err) {
			s.go2(csEnv)
		}
		return s, nil
	case clientCheckedMsg:
		return s, s.answered(msg.id, msg.entry, msg.err, "check")
	case tea.KeyPressMsg:
		return s.key(msg)
	case tea.PasteMsg:
		s.errMsg = ""
	}
	return s, s.forward(msg)
}

func (s *clientFlow) field() *textinput.Model {
	switch s.step {
	case csName:
		return &s.name
	case csAPIURL:
		return &s.env.apiURL
	case csClientID:
		return &s.clientID
	case csSecret:
		return &s.secret
	case csRedirect:
		return &s.redirect
	}
	return nil
}

func (s *clientFlow) forward(msg tea.Msg) tea.Cmd {
	f := s.field()
	if f == nil {
		return nil
	}
	var cmd tea.Cmd
	*f, cmd = f.Update(msg)
	return cmd
}

func (s *clientFlow) key(k tea.KeyPressMsg) (Screen, tea.Cmd) {
	if key.Matches(k, s.keys.Back) {
		cmd := s.goBack(s.doneText())
		if s.step == csSecret {
			// The secret must be entered again: it was let go of.
			s.held = crypto.Secret{}
		}
		return s, cmd
	}
	next := key.Matches(k, s.keys.Next)
	switch s.step {
	case csName:
		if next {
			return s, s.submitName(checkFreeName)
		}
	case csEnv, csAPIURL, csProduction:
		return s, s.envKey(&s.env, clientEnv, k)
	case csClientID:
		if next {
			if strings.TrimSpace(s.clientID.Value()) == "" {
				s.errMsg = "Enter the client id: Developer Hub shows it for this environment."
				return s, nil
			}
			s.go2(csSecret)
			return s, nil
		}
	case csSecret:
		if next {
			sec, err := flows.CleanToken([]byte(s.secret.Value()))
			if err != nil {
				s.errMsg = strings.Replace(errText(err), "token", "secret", 1)
				return s, nil
			}
			s.held = sec
			s.secret.Reset()
			s.go2(csRedirect)
			return s, nil
		}
	case csRedirect:
		if next {
			raw := strings.TrimSpace(s.redirect.Value())
			if err := checkRedirect(raw); err != nil {
				s.errMsg = errText(err)
				return s, nil
			}
			in := flows.ClientInput{
				Name: s.entryName(), Env: s.env.env, ClientID: strings.TrimSpace(s.clientID.Value()),
				Secret: s.held, RedirectURL: raw, Check: true,
			}
			return s, s.call(csChecking, func(ctx context.Context, id int, svc Backend) tea.Msg {
				e, err := svc.AddClient(ctx, in)
				return clientCheckedMsg{id: id, entry: e, err: err}
			})
		}
	case csChecking:
		return s, nil
	case csResult:
		return s, s.resultKey(k, s.doneText(), "Nothing was saved.")
	}
	// Typing into a field: the complaint about the last enter is stale.
	s.errMsg = ""
	return s, s.forward(k)
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

func (s *clientFlow) Title() string { return "Add an OAuth client" }

func (s *clientFlow) View() string {
	v := stepView{Flow: "OAuth client", Of: 6}
	switch s.step {
	case csName:
		v.N, v.Title = 1, "Name this client"
		v.Hint = "The name of its entry in this wallet; user logins refer to it. 1 to 64 letters, digits, '.', '_' or '-'."
		v.Body = s.nameBody()
	case csEnv:
		v.N, v.Title = 2, "Which environment is the client for?"
		v.Hint = "Wise gives every partner separate client credentials for the sandbox and for production, each in its own Developer Hub. Start in the sandbox."
		v.Body = renderList(s.c, s.env.list, 10)
	case csAPIURL:
		v.N = 2
		s.env.urlView(s.c, &v)
	case csProduction:
		v.N = 2
		productionView(s.c, &v, "This client will act for real customers with real money.")
	case csClientID:
		v.N, v.Title = 3, "Client id"
		v.Hint = "Developer Hub shows it with your application. It is not secret: it names your application on Wise's login page."
		v.Body = s.clientID.View()
	case csSecret:
		v.N, v.Title = 4, "Client secret"
		v.Hint = "Shown in Developer Hub next to the client id. It is sent only to Wise's token endpoint (HTTP Basic, as Wise requires for every grant) and sealed in the wallet."
		v.Body = secretFieldView(s.c, s.secret)
	case csRedirect:
		v.N, v.Title = 5, "Redirect URL"
		v.Hint = "Must equal, character for character, the redirect URL registered for this client in Developer Hub, or Wise refuses the login. " +
			"A loopback URL like the one suggested lets wisewallet catch the login itself; with any other URL you paste the code back. " +
			"Empty: this client only gets client-credentials tokens."
		v.Body = s.redirect.View()
	case csChecking:
		v.N, v.Title = 6, "Checking with Wise"
		v.Body = spinLine(s.c, s.spin.View(), fmt.Sprintf("POST %s/oauth/token, grant_type=client_credentials…", s.env.env.APIURL))
		v.Hint = "A client-credentials token proves the id and secret work. esc cancels; nothing is stored then."
	case csResult:
		v.N = 6
		if s.err != nil {
			s.failedView(&v, "✗ Not saved: Wise did not accept the client")
			break
		}
		v.Title, v.Tone = "✓ Saved: Wise accepted the client id and secret", 1
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
	return s.render(v)
}

func (s *clientFlow) ShortHelp() []key.Binding {
	return flowHelp(s.keys, s.step == csEnv, s.step == csProduction, s.step == csChecking, s.step == csResult, s.err == nil)
}

func (s *clientFlow) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }
