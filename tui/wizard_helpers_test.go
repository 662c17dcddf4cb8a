package tui

// Test helpers of the guided flows (names start with wz so they cannot
// clash with the other screens' helpers in this package).

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	lwdemo "github.com/wisewallet/wisewallet/demo"
)

// wzNow is the fixed clock of the pure-Update tests.
var wzNow = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// Canaries typed into masked fields by the pure-Update tests. None may
// show up in a view or a golden file.
const (
	wzTokenCanary  = "canary-personal-token-7Hq2Zx9Lm4"
	wzSecretCanary = "canary-client-secret-Pw8Rk3Vd6N"
	wzCodeCanary   = "canary-auth-code-Jt5Yc1Bf0S"
)

// wzCommon is a Common for a pure-Update test: fixed clock and size, no
// wallet (commands that need one come back nil and are not run).
func wzCommon(w, h int) *Common {
	c := NewCommon(context.Background(), nil, func() time.Time { return wzNow }, Environment{})
	c.Width, c.Height = w, h
	return c
}

// wzDemoCommon is a Common in demo mode, as `wisewallet demo` makes it.
func wzDemoCommon(w, h int) *Common {
	c := wzCommon(w, h)
	c.Env = Environment{Demo: true, WalletPath: "/tmp/wisewallet-demo/wallet.ww", DemoAPIURL: "http://127.0.0.1:41999",
		DemoUser: "demo@localwise.test", DemoPassword: "demo-password"}
	return c
}

// The core screens' helpers (app_test.go) under the names the flows'
// tests use: wzKey turns a key name ("enter", "esc", "ctrl+y", a single
// character) into a key press; wzNoSecret fails if any secret is in a
// text, without printing either.
var (
	wzKey      = coreKey
	wzNoSecret = coreNoSecret
)

// wzPress feeds key presses to s, ignoring the commands they return.
func wzPress(s Screen, keys ...string) Screen {
	for _, k := range keys {
		s, _ = s.Update(wzKey(k))
	}
	return s
}

// wzType types text into s one key press at a time.
func wzType(s Screen, text string) Screen {
	for _, r := range text {
		s, _ = s.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return s
}

// wzMsgs runs a command that returns at once (navigation, notices) and
// flattens batches and sequences into the messages they produce. Only
// for commands known not to block: a test must not run a spinner tick or
// a wallet command through it.
func wzMsgs(t testing.TB, cmd tea.Cmd) []tea.Msg {
	t.Helper()
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if msg == nil {
		return nil
	}
	if cmds, ok := coreCmds(msg); ok {
		var out []tea.Msg
		for _, c := range cmds {
			out = append(out, wzMsgs(t, c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

// wzFrame draws a screen as the App frames it: title, rule, the body at
// the height the App gives it, a notice line and the short help. It is
// the test's own frame so these goldens follow the flows, not the App's
// header and footer.
func wzFrame(c *Common, s Screen) string {
	body := ansi.Strip(s.View())
	lines := strings.Split(body, "\n")
	bh := c.BodyHeight()
	for len(lines) < bh {
		lines = append(lines, "")
	}
	h := help.New()
	h.SetWidth(c.Width)
	frame := []string{"wisewallet · " + s.Title(), strings.Repeat("─", c.Width)}
	frame = append(frame, lines...)
	frame = append(frame, "", ansi.Strip(h.View(s)))
	for i, l := range frame {
		frame[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(frame, "\n") + "\n"
}

// wzGolden compares the framed view with testdata/<test name>.golden
// after checking that the body fits the screen: no line wider than the
// terminal, no more lines than the body has.
//
// A frame holding a canary fails before the comparison, which would print
// it in the diff: a leaked secret must not be repeated into the test log.
func wzGolden(t *testing.T, c *Common, s Screen) {
	t.Helper()
	wzFits(t, c, s)
	frame := wzFrame(c, s)
	wzNoSecret(t, "the view", frame, wzTokenCanary, wzSecretCanary, wzCodeCanary)
	if t.Failed() {
		t.FailNow()
	}
	golden.RequireEqual(t, frame)
}

func wzFits(t *testing.T, c *Common, s Screen) {
	t.Helper()
	body := ansi.Strip(s.View())
	lines := strings.Split(body, "\n")
	if len(lines) > c.BodyHeight() {
		t.Errorf("%s: the view has %d lines; the body at %dx%d has %d", s.Title(), len(lines), c.Width, c.Height, c.BodyHeight())
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > c.Width {
			t.Errorf("%s: line %d is %d cells wide at width %d", s.Title(), i+1, w, c.Width)
		}
	}
}

// wzPlain is the screen's view without colours.
func wzPlain(s Screen) string { return ansi.Strip(s.View()) }

// wzFlat is the view as one line of words, so a phrase is found wherever
// the screen wrapped it.
func wzFlat(s Screen) string { return strings.Join(strings.Fields(wzPlain(s)), " ") }

// --- a real localwise and wallet, and a driver that runs commands the
// way Bubble Tea does: each on its own goroutine.

// wzDemo starts localwise and a demo wallet (weak KDF, test only) filled
// through the real flows: acme-personal, acme-app, partner-user.
func wzDemo(t *testing.T) (*lwdemo.Demo, *Common) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	d, err := lwdemo.Start(ctx, lwdemo.Options{Dir: t.TempDir(), TokenTTL: 3 * time.Minute, KDF: lwdemo.FastKDF})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	creds := d.Server.Demo()
	c := NewCommon(ctx, d.Service, time.Now, Environment{Demo: true, WalletPath: filepath.Join(d.Dir, "wallet.ww"),
		DemoAPIURL: creds.APIURL, DemoUser: creds.UserEmail, DemoPassword: creds.UserPassword})
	return d, c
}

// wzDriver runs a screen like the Bubble Tea runtime: commands run on
// their own goroutines and their messages come back to Update one at a
// time. Spinner ticks are dropped (they would tick forever); navigation
// and notices are recorded for the test.
type wzDriver struct {
	t        *testing.T
	s        Screen
	msgs     chan tea.Msg
	wg       sync.WaitGroup
	inflight atomic.Int64
	nav      []tea.Msg
	views    []string
	steps    int
	closed   bool // draining: no new commands
}

func newWzDriver(t *testing.T, s Screen) *wzDriver {
	d := &wzDriver{t: t, s: s, msgs: make(chan tea.Msg, 64)}
	// Every command goroutine must end before the test does: a login
	// left listening, or a wait nobody cancels, fails here as a hang
	// guard rather than leaking into the next test.
	t.Cleanup(d.drain)
	d.exec(s.Init())
	return d
}

func (d *wzDriver) exec(cmd tea.Cmd) {
	if cmd == nil || d.closed {
		return
	}
	d.wg.Add(1)
	d.inflight.Add(1)
	go func() {
		defer d.wg.Done()
		d.msgs <- cmd()
	}()
}

// send hands msg to the screen and runs what it returns.
func (d *wzDriver) send(msg tea.Msg) {
	d.t.Helper()
	d.steps++
	if d.steps > 2000 {
		d.t.Fatal("the screen did not settle: more than 2000 messages")
	}
	var cmd tea.Cmd
	d.s, cmd = d.s.Update(msg)
	d.views = append(d.views, ansi.Strip(d.s.View()))
	d.exec(cmd)
}

func (d *wzDriver) press(keys ...string) {
	d.t.Helper()
	for _, k := range keys {
		d.send(wzKey(k))
	}
}

func (d *wzDriver) typeText(text string) {
	d.t.Helper()
	for _, r := range text {
		d.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// dispatch handles one message from a finished command.
func (d *wzDriver) dispatch(msg tea.Msg) {
	d.t.Helper()
	if cmds, ok := coreCmds(msg); ok {
		for _, c := range cmds {
			d.exec(c)
		}
		return
	}
	switch msg := msg.(type) {
	case nil, spinner.TickMsg:
	case sessionMsg:
		// The App's envelope for background answers; there is no lock
		// here, so every answer belongs to the one session.
		d.dispatch(msg.msg)
	case replaceMsg:
		// As the App does: the new screen takes the top of the stack.
		d.nav = append(d.nav, msg)
		d.s = msg.s
		d.exec(msg.s.Init())
	case pushMsg, popMsg, ToastMsg, walletChangedMsg:
		d.nav = append(d.nav, msg)
	default:
		d.send(msg)
	}
}

// receive takes one finished command's message and handles it.
func (d *wzDriver) receive(msg tea.Msg) {
	d.t.Helper()
	d.inflight.Add(-1)
	d.dispatch(msg)
}

// idle delivers messages until no command is running any more: after
// esc, this proves a cancelled login and its waits really ended.
func (d *wzDriver) idle() {
	d.t.Helper()
	d.until("every command to end", func() bool { return d.inflight.Load() == 0 })
}

// until delivers messages until cond holds. The deadline is a hang
// guard for a broken flow, not a speed requirement.
func (d *wzDriver) until(what string, cond func() bool) {
	d.t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for !cond() {
		select {
		case msg := <-d.msgs:
			d.receive(msg)
		case <-deadline.C:
			// Not the view itself: it may hold what the test is about to
			// find leaked.
			d.t.Fatalf("waited 20s for %s; the screen is %T %q", what, d.s, d.s.Title())
		}
	}
}

// drain waits for every command goroutine to end, dropping what they
// return (the test is over), and fails if some do not end.
func (d *wzDriver) drain() {
	d.closed = true
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		select {
		case <-done:
			return
		case <-d.msgs:
		case <-deadline.C:
			d.t.Error("command goroutines still running 20s after the test: a leak")
			return
		}
	}
}

// navigated reports whether the flow went back with a Pop (to the
// dashboard) and which notice it showed.
func (d *wzDriver) navigated() (popped bool, toast ToastMsg, changed bool) {
	for _, m := range d.nav {
		switch m := m.(type) {
		case popMsg:
			popped = true
		case ToastMsg:
			toast = m
		case walletChangedMsg:
			changed = true
		}
	}
	return popped, toast, changed
}

// --- playing the browser on localwise's authorize page with net/http.

var (
	wzRequestField = regexp.MustCompile(`name="request" value="([^"]+)"`)
	wzCodeOnPage   = regexp.MustCompile(`<code id="code">([^<]+)</code>`)
)

type wzPage struct {
	status   int
	body     string
	location string
}

var wzHTTP = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func wzFetch(t *testing.T, method, u string, form url.Values) wzPage {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := wzHTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return wzPage{status: resp.StatusCode, body: string(b), location: resp.Header.Get("Location")}
}

// wzAuthorize opens the authorize URL the screen shows, logs in as the
// demo user, and answers the consent page with decision ("approve" or
// "deny") for the business profile. It returns the consent answer: a
// redirect, or the page showing the code.
func wzAuthorize(t *testing.T, authURL, user, password, decision string) wzPage {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	origin := u.Scheme + "://" + u.Host
	login := wzFetch(t, http.MethodGet, authURL, nil)
	m := wzRequestField.FindStringSubmatch(login.body)
	if login.status != http.StatusOK || m == nil {
		t.Fatalf("authorize page: HTTP %d without a login form", login.status)
	}
	consent := wzFetch(t, http.MethodPost, origin+"/oauth/authorize/login", url.Values{
		"request": {m[1]}, "email": {user}, "password": {password},
	})
	m = wzRequestField.FindStringSubmatch(consent.body)
	if consent.status != http.StatusOK || m == nil || !strings.Contains(consent.body, `id="approve"`) {
		t.Fatalf("login step: HTTP %d, no consent page", consent.status)
	}
	profile := regexp.MustCompile(`name="profileId" id="profile-(\d+)"`).FindAllStringSubmatch(consent.body, -1)
	if len(profile) == 0 {
		t.Fatal("the consent page lists no profile")
	}
	return wzFetch(t, http.MethodPost, origin+"/oauth/authorize/consent", url.Values{
		"request": {m[1]}, "decision": {decision}, "profileId": {profile[len(profile)-1][1]},
	})
}

// wzFreeRedirect is a loopback redirect URL on a port free right now.
func wzFreeRedirect(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/tui/callback"
}

// wzRegisterClient registers an OAuth client at localwise through its
// admin endpoint (tui tests may not import localwise).
func wzRegisterClient(t *testing.T, apiURL, id, secret, redirect string) {
	t.Helper()
	body := fmt.Sprintf(`{"id":%q,"secret":%q,"redirect_urls":[%q]}`, id, secret, redirect)
	resp, err := wzHTTP.Post(apiURL+"/__localwise/clients", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("registering a client at localwise: HTTP %d", resp.StatusCode)
	}
}

// wzGoldenFiles lists this package's golden files of the guided flows.
func wzGoldenFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir("testdata", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(p)
		for _, prefix := range []string{"testdata/TestAddChooser", "testdata/TestPersonalFlow", "testdata/TestClientFlow", "testdata/TestLoginFlow", "testdata/TestRegistrationFlow"} {
			if !d.IsDir() && strings.HasPrefix(rel, prefix) && strings.HasSuffix(rel, ".golden") {
				out = append(out, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
