package tui

// Guided flow: log an existing Wise user in with the authorization code
// grant, through the browser and a loopback listener, or by pasting the
// code.

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/wisewallet/wisewallet/flows"
)

const (
	// loginTimeout bounds the wait for the loopback redirect (flows'
	// default, said on screen).
	loginTimeout = 5 * time.Minute
	// pasteTimeout bounds the wait for a paste. Wise's codes live minutes,
	// so a longer wait could not succeed anyway; it also ends the login
	// command if the screen is dropped without esc (a lock).
	pasteTimeout = 15 * time.Minute
)

type loginStep int

const (
	lsClient loginStep = iota
	lsName
	lsMode
	lsWaiting
	lsResult
)

type loginFlow struct {
	flowBase[loginStep]

	clients clientPick
	client  flows.EntryView
	replace bool // the name is an earlier login of this client
	// modes are the ways offered for the code to come back, in the order
	// of the list mode.
	modes []loginMode
	mode  pickList
	paste bool

	// openBrowser opens the system browser; tests play the browser
	// themselves instead.
	openBrowser func(string) error
	// timeout bounds the wait for the loopback redirect.
	timeout time.Duration

	events    chan tea.Msg
	pasted    chan string
	authURL   string
	listening string
	// browserTried: the login asked for the system browser; opened: it
	// started.
	browserTried, opened bool
	since                time.Time
	pasteIn              textinput.Model
	pasteSent            bool
}

// Messages of a running login, each tagged with its attempt.
type (
	loginURLMsg struct {
		id  int
		url string
	}
	loginListeningMsg struct {
		id   int
		addr string
	}
	loginBrowserMsg struct {
		id     int
		opened bool
	}
	// loginRepasteMsg: Wise refused the pasted code (or it could not be
	// read) and the same login takes another paste, left more times.
	loginRepasteMsg struct {
		id     int
		reason error
		left   int
	}
)

// loginDoneMsg is the answer of Service.Login.
type loginDoneMsg = flowAnswered[loginStep]

// loginSteps is the flow: client, name, how the code comes back, the
// login on Wise's page.
var loginSteps = &flowSpec[*loginFlow, loginStep]{
	flow: "Log in a user (authorization code)", title: "Log in a user", of: 4, call: "login",
	done: (*loginFlow).doneText, unsaved: "Nothing was saved.",
	steps: []stepSpec[*loginFlow, loginStep]{
		lsClient: {
			kind: stepChoice, n: 1, title: "Which OAuth client is the user linked to?",
			hint: "The user approves this application on Wise's page. Its redirect URL, as registered in Developer Hub, decides how the code comes back.",
			list: func(s *loginFlow) *pickList { return &s.clients.list },
			next: (*loginFlow).takeClient,
			view: func(s *loginFlow, v *stepView) { v.Body = s.clients.view(s.c) },
		},
		lsName: {
			kind: stepName, n: 2, title: "Name the user's entry",
			lookup: func(s *loginFlow) nameCheck { return checkUserName(s.client.Name) },
			named:  (*loginFlow).named, then: lsMode,
			view: func(s *loginFlow, v *stepView) {
				v.Hint = fmt.Sprintf("The wallet entry for this user's tokens (client %q). Logging in again under the same name replaces its tokens.", s.client.Name)
			},
		},
		lsMode: {
			kind: stepChoice, n: 3, title: "How does the code come back?",
			hint: "wisewallet opens Wise's authorization page and shows its URL. There the user logs in to Wise (with its 2-step verification), " +
				"chooses the profile to link and approves. Wise then sends a one-time code, valid for minutes, which wisewallet exchanges for tokens at once.",
			list: func(s *loginFlow) *pickList { return &s.mode }, labels: 20,
			next: (*loginFlow).takeMode, view: (*loginFlow).modeView,
		},
		// The login runs while the user is on Wise's page; in paste mode
		// the code is pasted here.
		lsWaiting: {
			kind: stepCall, n: 4, title: "Log in on Wise's page",
			field:   func(s *loginFlow) *textinput.Model { return &s.pasteIn },
			accepts: func(s *loginFlow) bool { return s.paste && !s.pasteSent },
			start:   (*loginFlow).startLogin,
			key:     (*loginFlow).waitingKey, help: (*loginFlow).waitingHelp,
			view: func(s *loginFlow, v *stepView) { v.Body = s.waitingView() },
		},
		lsResult: {kind: stepResult, n: 4, failed: "✗ Not logged in", view: (*loginFlow).loggedInView},
	},
}

func newLoginFlow(c *Common, from int) *loginFlow {
	return &loginFlow{
		flowBase:    loginSteps.base(c, from, userNameField(c)),
		openBrowser: flows.OpenSystemBrowser,
		timeout:     loginTimeout,
		pasteIn:     newField(c, "the code, or the whole URL the browser was sent to", urlLimit, true),
	}
}

func (s *loginFlow) Init() tea.Cmd { return s.clients.start(s.c) }

// CapturesText on the name step and throughout a paste-mode login: typed
// letters never reach the App there, also once the paste was sent.
func (s *loginFlow) CapturesText() bool {
	return loginSteps.capturesText(s) || (s.step == lsWaiting && s.paste)
}

// Leave stops the login, the name lookup and the reading of the clients.
func (s *loginFlow) Leave() { s.flowBase.Leave(); s.clients.op.stop() }

// loginMode is how the code comes back to wisewallet.
type loginMode int

const (
	// loginLoopback: the browser is sent to a listener on this machine.
	loginLoopback loginMode = iota
	// loginPaste: the user pastes the code or the URL the browser was
	// sent to.
	loginPaste
)

// offerModes sets the ways the code can come back; a redirect URL that is
// not on this machine leaves only pasting.
func (s *loginFlow) offerModes() {
	s.modes = []loginMode{loginPaste}
	if flows.IsLoopbackRedirect(s.client.RedirectURL) {
		s.modes = []loginMode{loginLoopback, loginPaste}
	}
	s.mode = pickList{}
	for _, m := range s.modes {
		s.mode.items = append(s.mode.items, s.modeChoice(m))
	}
}

// modeChoice is the line of the list that offers m.
func (s *loginFlow) modeChoice(m loginMode) choice {
	if m == loginLoopback {
		u, _ := url.Parse(s.client.RedirectURL)
		return choice{"Browser and loopback", "wisewallet catches Wise's redirect on " + u.Host}
	}
	return choice{"Paste the code", "for SSH sessions, or a redirect URL on another machine"}
}

func (s *loginFlow) Update(msg tea.Msg) (Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case clientsLoadedMsg:
		s.clients.apply(msg)
		return s, nil
	case loginURLMsg:
		if s.op.current(msg.id) {
			s.authURL = msg.url
			return s, waitLoginEvent(s.op.ctx(), s.c, s.events)
		}
		return s, nil
	case loginListeningMsg:
		if s.op.current(msg.id) {
			s.listening = msg.addr
			return s, waitLoginEvent(s.op.ctx(), s.c, s.events)
		}
		return s, nil
	case loginBrowserMsg:
		if s.op.current(msg.id) {
			s.browserTried, s.opened = true, msg.opened
			return s, waitLoginEvent(s.op.ctx(), s.c, s.events)
		}
		return s, nil
	case loginRepasteMsg:
		if s.op.current(msg.id) {
			// A mistyped or half-copied code: the paste field opens again
			// in the same login (its state and PKCE verifier still hold).
			s.pasteSent = false
			s.errMsg = fmt.Sprintf("%s. Paste it again (%s).", strings.TrimSuffix(errText(msg.reason), "."), triesLeft(msg.left))
			return s, waitLoginEvent(s.op.ctx(), s.c, s.events)
		}
		return s, nil
	}
	// A late loginDoneMsg is the redirect coming in just as the user
	// left. Taking the answer stops the event wait and, after an error,
	// anything left; esc ends the listener (or the paste wait).
	return s, loginSteps.update(s, msg)
}

// takeClient is enter on the client list: a client without a redirect
// URL cannot log anyone in.
func (s *loginFlow) takeClient() (loginStep, string) {
	c, ok := s.clients.chosen()
	switch {
	case !ok:
		return lsClient, ""
	case c.RedirectURL == "":
		return lsClient, fmt.Sprintf("%q has no redirect URL, so Wise has nowhere to send the code. Add the client again with the redirect URL registered in Developer Hub.", c.Name)
	}
	s.client = c
	return lsName, ""
}

// named takes the name lookup's answer: the ways back for the code
// depend on the client chosen.
func (s *loginFlow) named(replace bool) {
	s.replace = replace
	s.offerModes()
}

// takeMode is enter on the mode list: the option chosen, whatever its
// line says.
func (s *loginFlow) takeMode() (loginStep, string) {
	s.paste = s.modes[s.mode.cursor] == loginPaste
	return lsWaiting, ""
}

// waitingKey is a key while the login waits: copy the URL, or send the
// paste; typing goes to the paste field while it takes it.
func (s *loginFlow) waitingKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	if s.authURL != "" && key.Matches(k, s.copyKey()) {
		return tea.Batch(tea.SetClipboard(s.authURL), Toast("Copied the login URL.", false)), true
	}
	if s.authURL != "" && key.Matches(k, s.wholeKey()) {
		return tea.Exec(&wholeURL{url: s.authURL}, func(error) tea.Msg { return nil }), true
	}
	if !s.paste || s.pasteSent || !key.Matches(k, s.keys.Next) {
		return nil, false
	}
	text := strings.TrimSpace(s.pasteIn.Value())
	if text == "" {
		s.errMsg = "Paste the code Wise shows, or the URL the browser was sent to, first."
		return nil, true
	}
	s.pasteIn.Reset()
	s.pasteSent, s.errMsg = true, ""
	return sendPasted(s.op.ctx(), s.pasted, text), true
}

func (s *loginFlow) copyKey() key.Binding {
	if s.paste {
		return key.NewBinding(key.WithKeys("ctrl+y"), key.WithHelp("ctrl+y", "copy URL"))
	}
	return key.NewBinding(key.WithKeys(s.c.Keys.Copy.Keys()...), key.WithHelp("c", "copy URL"))
}

// wholeKey shows the URL as one unbroken line outside the app.
func (s *loginFlow) wholeKey() key.Binding {
	if s.paste {
		return key.NewBinding(key.WithKeys("ctrl+o"), key.WithHelp("ctrl+o", "URL to select"))
	}
	return key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "URL to select"))
}

// wholeURL hands the terminal back for a moment (as an editor the app
// ran would have it) and writes the URL there as one unbroken line. The
// app's renderer cuts its lines at the width, so a URL on its screen is
// several lines a mouse cannot select as one; a line the terminal wraps
// itself selects whole. Enter gives the screen back. The URL holds no
// secret: state and the PKCE challenge are useless without this process.
type wholeURL struct {
	url string
	in  io.Reader
	out io.Writer
}

func (w *wholeURL) SetStdin(r io.Reader)  { w.in = r }
func (w *wholeURL) SetStdout(o io.Writer) { w.out = o }
func (w *wholeURL) SetStderr(io.Writer)   {}

func (w *wholeURL) Run() error {
	fmt.Fprintf(w.out, "\r\nThe login URL, as one line to select with the mouse:\r\n\r\n%s\r\n\r\nPress Enter to go back to wisewallet.\r\n", ansi.Strip(w.url))
	b := make([]byte, 1)
	for {
		n, err := w.in.Read(b)
		if err != nil || (n == 1 && (b[0] == '\n' || b[0] == '\r')) {
			return nil
		}
	}
}

func (s *loginFlow) doneText() string {
	return fmt.Sprintf("Logged in: tokens saved as %q.", s.saved.Name)
}

// startLogin runs Service.Login in a command. Its callbacks reach the
// screen through a channel that waitLoginEvent reads; the paste reaches
// the login through another. Both waits end with the attempt's context,
// which esc (or the result) cancels, so no goroutine outlives the login.
func (s *loginFlow) startLogin(ctx context.Context, id int) tea.Cmd {
	events := make(chan tea.Msg, 8)
	pasted := make(chan string, 1)
	s.events, s.pasted = events, pasted
	s.authURL, s.listening, s.browserTried, s.opened, s.pasteSent = "", "", false, false, false
	s.pasteIn.Reset()
	s.since = s.c.Now()
	post := func(m tea.Msg) {
		select {
		case events <- m:
		case <-ctx.Done():
		}
	}
	open := s.openBrowser
	req := flows.LoginRequest{
		Client: s.client.Name, As: s.entryName(), Paste: s.paste, Timeout: s.timeout,
		ShowURL:   func(u string) { post(loginURLMsg{id: id, url: u}) },
		Listening: func(addr string) { post(loginListeningMsg{id: id, addr: addr}) },
		OpenBrowser: func(u string) error {
			err := open(u)
			post(loginBrowserMsg{id: id, opened: err == nil})
			return err
		},
		Repaste: func(reason error, left int) { post(loginRepasteMsg{id: id, reason: reason, left: left}) },
		ReadPasted: func(ctx context.Context) (string, error) {
			t := time.NewTimer(pasteTimeout)
			defer t.Stop()
			select {
			case text := <-pasted:
				return text, nil
			case <-ctx.Done():
				return "", ctx.Err()
			case <-t.C:
				return "", fmt.Errorf("%w: nothing was pasted within %s", flows.ErrLoginTimeout, pasteTimeout)
			}
		},
	}
	svc := s.c.Svc
	// Not a WalletCmd: the login waits for the user, for minutes. Its
	// context is the attempt's, within the session, so esc, the result or
	// a lock ends it.
	return tea.Batch(waitLoginEvent(ctx, s.c, events), s.c.SessionCmd(func() tea.Msg {
		e, err := svc.Login(ctx, req)
		return loginDoneMsg{id: id, entry: e, err: err}
	}))
}

// waitLoginEvent delivers the next callback of a running login.
func waitLoginEvent(ctx context.Context, c *Common, events <-chan tea.Msg) tea.Cmd {
	return c.SessionCmd(func() tea.Msg {
		select {
		case m := <-events:
			return m
		case <-ctx.Done():
			return nil
		}
	})
}

// sendPasted hands the paste to the waiting login.
func sendPasted(ctx context.Context, ch chan<- string, text string) tea.Cmd {
	return func() tea.Msg {
		select {
		case ch <- text:
		case <-ctx.Done():
		}
		return nil
	}
}

func (s *loginFlow) modeView(v *stepView) {
	if !flows.IsLoopbackRedirect(s.client.RedirectURL) {
		v.Hint += " This client's redirect URL is not on this machine, so the code is pasted."
	}
	if s.replace {
		v.Body += "\n\n" + s.c.Styles.Warning.Render(fmt.Sprintf("%q exists: its tokens will be replaced.", s.entryName()))
	}
}

func (s *loginFlow) loggedInView(v *stepView) {
	v.Title = fmt.Sprintf("✓ Logged in: tokens saved as %q", s.saved.Name)
	v.Body = labelled(s.c, userRows(s.c, s.saved))
	v.Note = "wisewallet renews the access token on time with the refresh token; the dashboard counts both down."
}

func (s *loginFlow) Title() string { return loginSteps.title }
func (s *loginFlow) View() string  { return loginSteps.render(s) }

func (s *loginFlow) waitingView() string {
	st := s.c.Styles
	w := max(s.c.Width, 20)
	var b strings.Builder
	switch {
	case s.authURL == "":
		b.WriteString(spinLine(s.c, s.spin.View(), "Preparing the login…"))
		return b.String()
	case s.opened:
		b.WriteString(st.Body.Render("Opened in your browser. If nothing appeared, open this URL:") + "\n")
	default:
		b.WriteString(st.Body.Render("Open this URL in a browser:") + "\n")
	}
	// Cut at the width exactly (never at a '-', which would look like
	// part of the URL); each piece links to the whole URL, so a click on
	// any line of it opens it.
	link := lipgloss.NewStyle().Foreground(s.c.Styles.Accent).Hyperlink(s.authURL)
	for _, line := range strings.Split(ansi.Hardwrap(s.authURL, w, false), "\n") {
		b.WriteString(link.Render(line) + "\n")
	}
	if s.c.Env.Demo && s.c.Env.DemoUser != "" {
		b.WriteString(st.Subtle.Render(fmt.Sprintf("Demo login on that page: %s / %s", s.c.Env.DemoUser, s.c.Env.DemoPassword)) + "\n")
	}
	b.WriteString("\n")
	if s.paste {
		if s.pasteSent {
			b.WriteString(spinLine(s.c, s.spin.View(), "Exchanging the code for tokens…"))
			return b.String()
		}
		b.WriteString(lipgloss.NewStyle().Width(w).Inherit(st.Body).Render("After approving, Wise shows a code. Paste it, or the URL the browser was sent to (hidden as you type):") + "\n")
		b.WriteString(secretFieldView(s.c, s.pasteIn))
		return b.String()
	}
	left := s.timeout - s.c.Now().Sub(s.since)
	where := "this machine's loopback address"
	if s.listening != "" {
		where = s.listening
	}
	b.WriteString(spinLine(s.c, s.spin.View(), fmt.Sprintf("Waiting for Wise's redirect on %s (%s left).", where, span(max(left, 0)))))
	return b.String()
}

// userRows describe a stored user login: who, which profile, and when
// its tokens expire.
func userRows(c *Common, e flows.EntryView) [][2]string {
	rows := [][2]string{{"entry", e.Name}, {"environment", envLabel(c, e.Env)}, {"client", e.LinkedTo}}
	rows = append(rows, identityRows(e)...)
	rows = append(rows,
		[2]string{"access token", "valid until " + when(c, e.AccessExpiresAt)},
		[2]string{"refresh token", "valid until " + when(c, e.RefreshExpiresAt)},
	)
	return rows
}

// waitingHelp: send the paste, copy the URL, cancel.
func (s *loginFlow) waitingHelp() []key.Binding {
	var out []key.Binding
	if s.paste && !s.pasteSent {
		out = append(out, key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "send the code")))
	}
	if s.authURL != "" {
		out = append(out, s.copyKey(), s.wholeKey())
	}
	return append(out, s.keys.Cancel)
}

func (s *loginFlow) ShortHelp() []key.Binding { return loginSteps.shortHelp(s) }

func (s *loginFlow) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }

// triesLeft says how many more pastes a login takes.
func triesLeft(n int) string {
	if n == 1 {
		return "1 more try"
	}
	return fmt.Sprintf("%d more tries", n)
}
