package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/wisewallet/wisewallet/flows"
)

const wzAuthURL = "https://wise-sandbox.com/oauth/authorize/?client_id=acme-partner&redirect_uri=http%3A%2F%2F127.0.0.1%3A53682%2Fwisewallet%2Fcallback&state=Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5"

// wzClients is a wallet's client list: a loopback client, one whose
// redirect URL is a web page, one without a redirect URL.
func wzClients() clientsLoadedMsg {
	loop := wzClientEntry()
	web := wzClientEntry()
	web.Name, web.RedirectURL = "web-app", "https://partner.example.com/wise/callback"
	cc := wzClientEntry()
	cc.Name, cc.RedirectURL = "batch-app", ""
	return clientsLoadedMsg{clients: []flows.EntryView{loop, cc, web}}
}

// wzLoginFlow is a login flow with its client list loaded (and a browser
// that is never there).
func wzLoginFlow(c *Common) *loginFlow {
	f := newLoginFlow(c, 2)
	f.openBrowser = func(string) error { return flows.ErrNoBrowser }
	f.Init()
	msg := wzClients()
	msg.id = f.clients.op.id
	f.Update(msg)
	return f
}

// wzLoginWaiting walks to the waiting step with the given client line
// and mode line.
func wzLoginWaiting(c *Common, clientLine, modeLine int) *loginFlow {
	var s Screen = wzLoginFlow(c)
	for range clientLine {
		s = press(s, "down")
	}
	s = wzNamed(press(typeInto(press(s, "enter"), "jane"), "enter"))
	for range modeLine {
		s = press(s, "down")
	}
	return press(s, "enter").(*loginFlow)
}

func wzLoggedIn() flows.EntryView {
	issued, expires, refresh := wzNow, wzNow.Add(12*time.Hour), wzNow.Add(20*365*24*time.Hour)
	return flows.EntryView{
		Name: "jane", Kind: flows.KindUser, LinkedTo: "acme-app", CreatedAt: wzNow,
		Env:           flows.Environment{Name: flows.EnvSandbox, APIURL: "https://api.wise-sandbox.com"},
		EntryIdentity: flows.EntryIdentity{UserID: 5551001, UserName: "Demo User", UserEmail: "demo@localwise.test", ProfileID: 16000002, Profiles: []flows.Profile{{ID: 16000001, Type: "personal", Name: "Demo User"}, {ID: 16000002, Type: "business", Name: "Acme Ltd"}}},
		EntryTokens:   flows.EntryTokens{AccessIssuedAt: &issued, AccessExpiresAt: &expires, RefreshExpiresAt: &refresh},
	}
}

func TestLoginFlowSteps(t *testing.T) {
	c := wzCommon(80, 24)
	f := newLoginFlow(c, 2)
	var s Screen = f
	snap := func(name string) {
		t.Run(name, func(t *testing.T) { wzGolden(t, c, s) })
	}
	if f.Init() == nil && c.Svc != nil {
		t.Fatal("Init does not read the client list")
	}
	snap("1-client-loading")
	msg := wzClients()
	msg.id = f.clients.op.id
	s, _ = s.Update(msg)
	snap("1-client")
	s = press(s, "enter")
	snap("2-name")
	s = wzNamed(press(typeInto(s, "jane"), "enter"))
	snap("3-mode")
	s = press(s, "enter")
	snap("4-preparing")
	s, _ = s.Update(loginListeningMsg{id: f.op.id, addr: "127.0.0.1:53682"})
	s, _ = s.Update(loginURLMsg{id: f.op.id, url: wzAuthURL})
	s, _ = s.Update(loginBrowserMsg{id: f.op.id, opened: false})
	snap("4-waiting")
	s, _ = s.Update(loginBrowserMsg{id: f.op.id, opened: true})
	snap("4-waiting-browser-opened")
	s, _ = s.Update(loginDoneMsg{id: f.op.id, entry: wzLoggedIn()})
	snap("5-logged-in")
}

func TestLoginFlowAt100x30(t *testing.T) {
	c := wzDemoCommon(100, 30)
	f := wzLoginWaiting(c, 0, 0)
	f.Update(loginListeningMsg{id: f.op.id, addr: "127.0.0.1:53682"})
	f.Update(loginURLMsg{id: f.op.id, url: wzAuthURL})
	wzGolden(t, c, f)
}

// In demo mode the waiting step says how to log in on localwise's page.
func TestLoginFlowShowsTheDemoLogin(t *testing.T) {
	c := wzDemoCommon(80, 24)
	f := wzLoginWaiting(c, 0, 0)
	f.Update(loginURLMsg{id: f.op.id, url: wzAuthURL})
	if !strings.Contains(wzPlain(f), "Demo login on that page: demo@localwise.test / demo-password") {
		t.Fatalf("no demo login shown:\n%s", wzPlain(f))
	}
	wzGolden(t, c, f)
}

func TestLoginFlowNoClientYet(t *testing.T) {
	c := wzCommon(80, 24)
	f := newLoginFlow(c, 2)
	f.Init()
	f.Update(clientsLoadedMsg{id: f.clients.op.id})
	press(f, "enter")
	if f.step != lsClient {
		t.Fatalf("enter with no client moved to step %d", f.step)
	}
	wzGolden(t, c, f)
}

func TestLoginFlowClientWithoutRedirectURL(t *testing.T) {
	c := wzCommon(80, 24)
	s := press(wzLoginFlow(c), "down", "enter")
	f := s.(*loginFlow)
	if f.step != lsClient {
		t.Fatalf("a client without redirect URL went on to step %d", f.step)
	}
	wzGolden(t, c, s)
}

// A redirect URL that is not on this machine leaves only pasting.
func TestLoginFlowWebRedirectMeansPaste(t *testing.T) {
	c := wzCommon(80, 24)
	s := press(wzLoginFlow(c), "down", "down", "enter")
	s = wzNamed(press(typeInto(s, "jane"), "enter"))
	f := s.(*loginFlow)
	if len(f.mode.items) != 1 || !strings.HasPrefix(f.mode.items[0].Label, "Paste") {
		t.Fatalf("modes %v, want paste only", f.mode.items)
	}
	wzGolden(t, c, s)
	press(s, "enter")
	if !f.paste || f.step != lsWaiting {
		t.Fatalf("paste %v, step %d", f.paste, f.step)
	}
}

// The mode is the option chosen, whatever its line says: rewording the
// list must not switch a login between paste and loopback.
func TestLoginFlowModeIsTheOptionChosenNotItsWording(t *testing.T) {
	for line, wantPaste := range []bool{false, true} {
		c := wzCommon(80, 24)
		s := wzNamed(press(typeInto(press(wzLoginFlow(c), "enter"), "jane"), "enter"))
		f := s.(*loginFlow)
		if f.step != lsMode || len(f.mode.items) != 2 {
			t.Fatalf("step %d with %d modes, want the loopback and paste modes", f.step, len(f.mode.items))
		}
		for i := range f.mode.items {
			f.mode.items[i].Label = fmt.Sprintf("option %d", i+1)
		}
		for range line {
			press(f, "down")
		}
		press(f, "enter")
		if f.step != lsWaiting || f.paste != wantPaste {
			t.Errorf("line %d: step %d, paste %v, want paste %v", line, f.step, f.paste, wantPaste)
		}
		f.Leave()
	}
}

func TestLoginFlowPaste(t *testing.T) {
	c := wzCommon(80, 24)
	f := wzLoginWaiting(c, 0, 1)
	if !f.paste || !f.CapturesText() {
		t.Fatalf("paste mode %v, captures text %v", f.paste, f.CapturesText())
	}
	f.Update(loginURLMsg{id: f.op.id, url: wzAuthURL + "&forwardingMode=showCode"})
	press(f, "enter")
	if f.pasteSent || !strings.Contains(wzFlat(f), "Paste the code Wise shows") {
		t.Fatal("an empty paste was sent")
	}
	f.Update(tea.PasteMsg{Content: wzCodeCanary})
	t.Run("typed", func(t *testing.T) {
		wzGolden(t, c, f)
		noSecret(t, "paste step", wzPlain(f), wzCodeCanary)
	})
	_, cmd := f.Update(keyPress("enter"))
	if !f.pasteSent || f.pasteIn.Value() != "" || cmd == nil {
		t.Fatalf("enter: sent %v, field holds %d characters", f.pasteSent, len(f.pasteIn.Value()))
	}
	// The paste reaches the login waiting on the channel.
	cmd()
	select {
	case got := <-f.pasted:
		if got != wzCodeCanary {
			t.Error("the login got something else than the paste")
		}
	default:
		t.Fatal("the paste did not reach the login")
	}
	t.Run("sent", func(t *testing.T) { wzGolden(t, c, f) })
}

func TestLoginFlowCopiesTheURL(t *testing.T) {
	c := wzCommon(80, 24)
	f := wzLoginWaiting(c, 0, 0)
	f.Update(loginURLMsg{id: f.op.id, url: wzAuthURL})
	_, cmd := f.Update(keyPress("c"))
	var copied, told bool
	for _, m := range cmdMsgs(cmd) {
		switch m := m.(type) {
		case ToastMsg:
			told = strings.Contains(m.Text, "Copied")
		default:
			// tea.SetClipboard's message is unexported; its text is the URL.
			copied = copied || strings.Contains(fmt.Sprint(m), wzAuthURL)
		}
	}
	if !copied || !told {
		t.Errorf("c: copied %v, told %v", copied, told)
	}
}

func TestLoginFlowFailures(t *testing.T) {
	cases := []struct {
		name string
		err  error
		todo string
	}{
		{"denied", fmt.Errorf("%w (access_denied)", flows.ErrLoginDenied), "choose Approve"},
		{"timeout", fmt.Errorf("%w after 5m0s: finish the login in the browser sooner, or use --paste", flows.ErrLoginTimeout), "paste the code"},
		{"state-mismatch", flows.ErrStateInvalid, "belongs to another login attempt"},
		{"code-refused", fmt.Errorf("%w: Wise refused the authorization code", flows.ErrLoginRefused), "Codes work once"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := wzCommon(80, 24)
			f := wzLoginWaiting(c, 0, 0)
			f.Update(loginDoneMsg{id: f.op.id, err: tc.err})
			if f.step != lsResult || !strings.Contains(wzFlat(f), tc.todo) {
				t.Fatalf("step %d; the view does not say %q:\n%s", f.step, tc.todo, wzPlain(f))
			}
			wzGolden(t, c, f)
			press(f, "esc")
			if f.step != lsMode {
				t.Errorf("esc after a failure went to step %d, want the mode choice", f.step)
			}
		})
	}
}

// Esc while waiting cancels the login (its listener or paste wait ends)
// and goes back to the mode choice; the late answer is ignored.
func TestLoginFlowEscCancelsTheWait(t *testing.T) {
	c := wzCommon(80, 24)
	f := wzLoginWaiting(c, 0, 1)
	ctx := f.op.ctx()
	id := f.op.id
	press(f, "esc")
	if ctx.Err() == nil || f.step != lsMode {
		t.Fatalf("esc: context %v, step %d", ctx.Err(), f.step)
	}
	f.Update(loginDoneMsg{id: id, err: context.Canceled})
	f.Update(loginURLMsg{id: id, url: wzAuthURL})
	if f.step != lsMode || f.authURL != "" {
		t.Fatalf("a cancelled login's messages changed the flow (step %d)", f.step)
	}
	// A second try is a new attempt.
	press(f, "enter")
	if f.op.id == id || f.step != lsWaiting {
		t.Fatalf("retry: attempt %d (was %d), step %d", f.op.id, id, f.step)
	}
	f.Leave()
	if f.op.ctx().Err() == nil {
		t.Error("Leave did not stop the login")
	}
}

func TestLoginFlowReplacingAnEarlierLoginIsSaid(t *testing.T) {
	c := wzCommon(80, 24)
	s := press(typeInto(press(wzLoginFlow(c), "enter"), "jane"), "enter")
	f := s.(*loginFlow)
	s, _ = s.Update(userNameCheckedMsg{id: f.nameOp.id, replace: true})
	if !strings.Contains(wzFlat(s), `"jane" exists: its tokens will be replaced`) {
		t.Fatalf("no warning:\n%s", wzPlain(s))
	}
	press(s, "esc").Update(userNameCheckedMsg{id: f.nameOp.id, err: errors.New("taken")})
	if f.step != lsName {
		t.Fatalf("step %d", f.step)
	}
}

// The login URL can be selected whole (issue 13): the app's screen cuts
// it at the width, so u (ctrl+o while pasting) hands the terminal back
// with the URL on one line that the terminal wraps itself; Enter returns.
func TestLoginFlowShowsTheURLWholeToSelect(t *testing.T) {
	for _, paste := range []int{0, 1} {
		c := wzCommon(80, 24)
		f := wzLoginWaiting(c, 0, paste)
		f.Update(loginURLMsg{id: f.op.id, url: wzAuthURL})
		k := "u"
		if paste == 1 {
			k = "ctrl+o"
		}
		offered := false
		for _, b := range f.waitingHelp() {
			offered = offered || (b.Help().Key == k && b.Help().Desc == "URL to select")
		}
		if !offered {
			t.Errorf("paste %d: the help does not offer %s for the whole URL", paste, k)
		}
		cmd, ok := f.waitingKey(keyPress(k))
		if !ok || cmd == nil {
			t.Fatalf("paste %d: %s did nothing", paste, k)
		}
	}
	var out bytes.Buffer
	w := &wholeURL{url: wzAuthURL}
	w.SetStdin(strings.NewReader("ignored\n-after"))
	w.SetStdout(&out)
	if err := w.Run(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\r\n")
	if !slices.Contains(lines, wzAuthURL) {
		t.Fatalf("the URL is not one unbroken line:\n%q", out.String())
	}
}
