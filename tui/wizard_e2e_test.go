package tui

// Every guided flow driven to its end against a real localwise and a real
// wallet (demo.Start with a weak test KDF), commands running on
// their own goroutines as under Bubble Tea.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/wisewallet/wisewallet/crypto"
	lwdemo "github.com/wisewallet/wisewallet/demo"
	"github.com/wisewallet/wisewallet/flows"
)

var wzTraceID = regexp.MustCompile(`x-trace-id [0-9a-f]{32}`)

// wzChoose opens the chooser and starts the flow on line i, as the
// dashboard's `a` and then ↓ and enter do.
func wzChoose(t *testing.T, c *Common, line int) *driver {
	d := newLiveDriver(t, newAddChooser(c))
	for range line {
		d.press("down")
	}
	d.press("enter")
	d.until("the flow to start", func() bool { _, ok := d.s.(*addChooser); return !ok })
	return d
}

// wzEnd presses enter on the result and checks the flow went back to the
// dashboard with a notice (and told it the wallet changed, after a save).
func wzEnd(t *testing.T, d *driver, saved bool) ToastMsg {
	t.Helper()
	d.press("enter")
	d.until("the way back to the dashboard", func() bool {
		popped, toast, _ := d.navigated()
		return popped && toast.Text != ""
	})
	d.idle()
	_, toast, changed := d.navigated()
	if changed != saved || toast.Error == saved {
		t.Errorf("after the result: wallet-changed %v, notice %+v (saved %v)", changed, toast, saved)
	}
	return toast
}

// wzViewsHoldNo checks every view the flow showed.
func wzViewsHoldNo(t *testing.T, d *driver, secrets ...string) {
	t.Helper()
	for i, v := range d.views {
		noSecret(t, fmt.Sprintf("view %d", i), v, secrets...)
	}
}

func TestPersonalFlowAgainstLocalwise(t *testing.T) {
	demo, c := wzDemo(t)
	creds := demo.Server.Demo()

	t.Run("good token", func(t *testing.T) {
		d := wzChoose(t, c, 0)
		f := d.s.(*personalFlow)
		d.typeText("ops-token")
		d.press("enter")
		d.until("the environment step", func() bool { return f.step == psEnv })
		d.press("enter") // demo mode: local is chosen
		d.press("enter") // the demo's localwise URL is filled in
		if f.step != psToken {
			t.Fatalf("step %d, want the token", f.step)
		}
		d.send(tea.PasteMsg{Content: creds.PersonalToken})
		d.press("enter")
		d.until("the check's result", func() bool { return f.step == psResult })
		if f.err != nil {
			t.Fatalf("a good token was refused: %v", f.err)
		}
		view := wzFlat(f)
		for _, want := range []string{"✓ Saved", creds.UserEmail, "16000001 personal", "16000002 business"} {
			if !strings.Contains(view, want) {
				t.Errorf("the result does not show %q", want)
			}
		}
		wzEnd(t, d, true)
		e, err := demo.Service.Entry("ops-token")
		if err != nil {
			t.Fatalf("the token was not stored: %v", err)
		}
		if e.Kind != flows.KindPersonal || wzSecretOf(demo, e, "token").RevealString() != creds.PersonalToken || e.Env.APIURL != creds.APIURL || e.UserEmail != creds.UserEmail {
			t.Errorf("stored entry: kind %s env %s user %s; token stored as typed: %v", e.Kind, e.Env.APIURL, e.UserEmail, wzSecretOf(demo, e, "token").RevealString() == creds.PersonalToken)
		}
		wzViewsHoldNo(t, d, creds.PersonalToken)
	})

	t.Run("rejected token", func(t *testing.T) {
		const bogus = "bogus-token-the-tui-test-made-up-0001"
		d := wzChoose(t, c, 0)
		f := d.s.(*personalFlow)
		d.typeText("ops-bad")
		d.press("enter")
		d.until("the environment step", func() bool { return f.step == psEnv })
		d.press("enter", "enter")
		d.typeText(bogus)
		d.press("enter")
		d.until("the check's result", func() bool { return f.step == psResult })
		var api *flows.APIError
		if !errors.Is(f.err, flows.ErrTokenRejected) || !errors.As(f.err, &api) || api.TraceID == "" {
			t.Fatalf("want a rejection with a trace id, got %v", f.err)
		}
		view := wzPlain(f)
		if !strings.Contains(view, "x-trace-id "+api.TraceID) || !strings.Contains(wzFlat(f), "Nothing was stored") {
			t.Error("the failure does not show its trace id and what to do")
		}
		// The real failure screen, with its run-dependent parts fixed.
		frame := wzFrame(c, f)
		frame = wzTraceID.ReplaceAllString(frame, "x-trace-id 00000000000000000000000000000000")
		frame = strings.ReplaceAll(frame, strings.TrimPrefix(creds.APIURL, "http://"), "127.0.0.1:PORT")
		if noSecret(t, "the failure screen", frame, bogus); t.Failed() {
			t.FailNow() // before the golden diff would print it
		}
		golden.RequireEqual(t, frame)
		if _, err := demo.Service.Entry("ops-bad"); !errors.Is(err, flows.ErrEntryNotFound) {
			t.Errorf("a rejected token was stored (%v)", err)
		}
		wzViewsHoldNo(t, d, bogus)
		wzEnd(t, d, false)
	})
}

func TestClientFlowAgainstLocalwise(t *testing.T) {
	demo, c := wzDemo(t)
	apiURL := demo.Server.Demo().APIURL
	redirect := wzFreeRedirect(t)
	const id, secret = "tui-partner", "tui-partner-secret-0123456789"
	wzRegisterClient(t, apiURL, id, secret, redirect)

	addClient := func(t *testing.T, name, typedSecret string) (*driver, *clientFlow) {
		d := wzChoose(t, c, 1)
		f := d.s.(*clientFlow)
		d.typeText(name)
		d.press("enter")
		d.until("the environment step", func() bool { return f.step == csEnv })
		d.press("enter", "enter")
		d.typeText(id)
		d.press("enter")
		d.send(tea.PasteMsg{Content: typedSecret})
		d.press("enter", "ctrl+u")
		d.typeText(redirect)
		d.press("enter")
		d.until("the check's result", func() bool { return f.step == csResult })
		return d, f
	}

	t.Run("good secret", func(t *testing.T) {
		d, f := addClient(t, "tui-app", secret)
		if f.err != nil {
			t.Fatalf("the client was refused: %v", f.err)
		}
		if !strings.Contains(wzFlat(f), "client token valid until") {
			t.Error("the result does not show the client-credentials token")
		}
		wzEnd(t, d, true)
		e, err := demo.Service.Entry("tui-app")
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind != flows.KindClient || e.ClientID != id || e.RedirectURL != redirect || wzSecretOf(demo, e, "client_secret").RevealString() != secret || wzSecretOf(demo, e, "access_token").IsZero() {
			t.Errorf("stored client: kind %s id %s redirect %s, cached token %v", e.Kind, e.ClientID, e.RedirectURL, !wzSecretOf(demo, e, "access_token").IsZero())
		}
		wzViewsHoldNo(t, d, secret, wzSecretOf(demo, e, "access_token").RevealString())
	})

	t.Run("wrong secret", func(t *testing.T) {
		const wrong = "not-the-partner-secret-9876543210"
		d, f := addClient(t, "tui-app-wrong", wrong)
		var api *flows.APIError
		if !errors.Is(f.err, flows.ErrInvalidClient) || !errors.As(f.err, &api) || api.TraceID == "" {
			t.Fatalf("want invalid_client with a trace id, got %v", f.err)
		}
		if !strings.Contains(wzPlain(f), "x-trace-id "+api.TraceID) {
			t.Errorf("no trace id shown")
		}
		if _, err := demo.Service.Entry("tui-app-wrong"); !errors.Is(err, flows.ErrEntryNotFound) {
			t.Errorf("a refused client was stored (%v)", err)
		}
		wzViewsHoldNo(t, d, wrong, secret)
		wzEnd(t, d, false)
	})
}

// wzLoginSetup stores a client whose redirect URL is a free loopback port
// (the demo client's fixed port could be busy), as "tui-app".
func wzLoginSetup(t *testing.T) (*lwdemo.Demo, *Common, string) {
	demo, c := wzDemo(t)
	apiURL := demo.Server.Demo().APIURL
	redirect := wzFreeRedirect(t)
	wzRegisterClient(t, apiURL, "tui-partner", "tui-partner-secret-0123456789", redirect)
	env, err := flows.ResolveEnv("local", apiURL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = demo.Service.AddClient(context.Background(), flows.ClientInput{Name: "tui-app", Env: env, ClientID: "tui-partner",
		Secret: crypto.SecretString("tui-partner-secret-0123456789"), RedirectURL: redirect, Check: true})
	if err != nil {
		t.Fatal(err)
	}
	return demo, c, redirect
}

// wzStartLogin walks the login flow (started from the chooser) to the
// waiting step: client tui-app, entry name, mode line.
func wzStartLogin(t *testing.T, c *Common, name string, modeLine int, timeout time.Duration) (*driver, *loginFlow) {
	d := wzChoose(t, c, 2)
	f := d.s.(*loginFlow)
	var opened []string
	f.openBrowser = func(u string) error { opened = append(opened, u); return flows.ErrNoBrowser }
	if timeout > 0 {
		f.timeout = timeout
	}
	d.until("the client list", func() bool { return f.clients.loaded })
	for f.clients.list.items[f.clients.list.cursor].Label != "tui-app" {
		d.press("down")
	}
	d.press("enter")
	d.typeText(name)
	d.press("enter")
	d.until("the mode step", func() bool { return f.step == lsMode })
	for range modeLine {
		d.press("down")
	}
	d.press("enter")
	// (A login with a very short timeout may end before its URL shows.)
	d.until("the login URL on screen", func() bool {
		return f.authURL != "" && f.browserTried && (f.paste || f.listening != "") || f.step == lsResult
	})
	if f.step == lsWaiting && !f.paste && (len(opened) != 1 || opened[0] != f.authURL) {
		t.Errorf("the browser was asked to open %d URLs, not the one shown", len(opened))
	}
	return d, f
}

func TestLoginFlowAgainstLocalwise(t *testing.T) {
	demo, c, redirect := wzLoginSetup(t)
	creds := demo.Server.Demo()

	// profile is the approved profile, which a pasted bare code does
	// not carry (only a redirected URL does).
	checkStored := func(t *testing.T, d *driver, name string, profile int64) {
		t.Helper()
		e, err := demo.Service.Entry(name)
		if err != nil {
			t.Fatalf("no entry %q: %v", name, err)
		}
		if e.Kind != flows.KindUser || e.LinkedTo != "tui-app" || e.ProfileID != profile || e.UserEmail != creds.UserEmail ||
			wzSecretOf(demo, e, "access_token").IsZero() || wzSecretOf(demo, e, "refresh_token").IsZero() {
			t.Errorf("stored login: kind %s linked to %s profile %d user %s", e.Kind, e.LinkedTo, e.ProfileID, e.UserEmail)
		}
		wzViewsHoldNo(t, d, wzSecretOf(demo, e, "access_token").RevealString(), wzSecretOf(demo, e, "refresh_token").RevealString(), "tui-partner-secret-0123456789")
	}

	t.Run("browser and loopback", func(t *testing.T) {
		d, f := wzStartLogin(t, c, "jane", 0, 0)
		if !strings.Contains(wzPlain(f), "Demo login on that page: "+creds.UserEmail) {
			t.Error("demo mode does not show the demo login")
		}
		consent := wzAuthorize(t, f.authURL, creds.UserEmail, creds.UserPassword, "approve")
		if consent.status != http.StatusFound || !strings.HasPrefix(consent.location, redirect+"?") {
			t.Fatalf("consent: HTTP %d, not a redirect to the client's URL", consent.status)
		}
		if back := wzFetch(t, http.MethodGet, consent.location, nil); back.status != http.StatusOK {
			t.Fatalf("the loopback listener answered HTTP %d", back.status)
		}
		d.until("the login's result", func() bool { return f.step == lsResult })
		if f.err != nil {
			t.Fatalf("login failed: %v", f.err)
		}
		for _, want := range []string{"✓ Logged in", creds.UserEmail, "(approved)", "access token valid until", "refresh token valid until"} {
			if !strings.Contains(wzFlat(f), want) {
				t.Errorf("the result does not show %q", want)
			}
		}
		wzEnd(t, d, true)
		checkStored(t, d, "jane", creds.BusinessProfileID)
	})

	t.Run("paste the code", func(t *testing.T) {
		d, f := wzStartLogin(t, c, "jane-pasted", 1, 0)
		if q, _ := url.Parse(f.authURL); q.Query().Get("forwardingMode") != "showCode" {
			t.Fatal("paste mode's URL does not ask Wise to show the code")
		}
		page := wzAuthorize(t, f.authURL, creds.UserEmail, creds.UserPassword, "approve")
		m := wzCodeOnPage.FindStringSubmatch(page.body)
		if m == nil {
			t.Fatalf("no code on the page (HTTP %d)", page.status)
		}
		d.send(tea.PasteMsg{Content: m[1]})
		d.press("enter")
		d.until("the login's result", func() bool { return f.step == lsResult })
		if f.err != nil {
			t.Fatalf("login failed: %v", f.err)
		}
		wzViewsHoldNo(t, d, m[1])
		wzEnd(t, d, true)
		checkStored(t, d, "jane-pasted", 0)
	})

	// A mistyped code: Wise refuses it, the same login asks again on the
	// screen, and the right code then logs in (issue 13).
	t.Run("a refused paste is asked for again", func(t *testing.T) {
		d, f := wzStartLogin(t, c, "jane-repasted", 1, 0)
		page := wzAuthorize(t, f.authURL, creds.UserEmail, creds.UserPassword, "approve")
		m := wzCodeOnPage.FindStringSubmatch(page.body)
		if m == nil {
			t.Fatalf("no code on the page (HTTP %d)", page.status)
		}
		mistyped := "X" + m[1][1:]
		if mistyped == m[1] {
			mistyped = "Y" + m[1][1:]
		}
		d.send(tea.PasteMsg{Content: mistyped})
		d.press("enter")
		d.until("the paste asked again", func() bool { return !f.pasteSent && strings.Contains(wzFlat(f), "Paste it again (2 more tries)") })
		if f.step != lsWaiting {
			t.Fatalf("a refused code ended the login at step %d", f.step)
		}
		d.send(tea.PasteMsg{Content: m[1]})
		d.press("enter")
		d.until("the login's result", func() bool { return f.step == lsResult })
		if f.err != nil {
			t.Fatalf("the second paste did not log in: %v", f.err)
		}
		wzViewsHoldNo(t, d, m[1])
		wzEnd(t, d, true)
		checkStored(t, d, "jane-repasted", 0)
	})

	t.Run("denied", func(t *testing.T) {
		d, f := wzStartLogin(t, c, "jane-denied", 0, 0)
		consent := wzAuthorize(t, f.authURL, creds.UserEmail, creds.UserPassword, "deny")
		wzFetch(t, http.MethodGet, consent.location, nil)
		d.until("the login's result", func() bool { return f.step == lsResult })
		if !errors.Is(f.err, flows.ErrLoginDenied) || !strings.Contains(wzFlat(f), "choose Approve") {
			t.Fatalf("want a denial explained, got %v", f.err)
		}
		if _, err := demo.Service.Entry("jane-denied"); !errors.Is(err, flows.ErrEntryNotFound) {
			t.Errorf("a denied login stored something (%v)", err)
		}
		wzEnd(t, d, false)
	})

	t.Run("pasted URL of another login", func(t *testing.T) {
		d, f := wzStartLogin(t, c, "jane-forged", 1, 0)
		// Refused each time and asked again, flows.MaxPastes in all; the
		// last refusal ends the login.
		for try := 1; try <= flows.MaxPastes; try++ {
			d.send(tea.PasteMsg{Content: redirect + "?code=AAAABBBBCCCC&state=not-this-login"})
			d.press("enter")
			if try == flows.MaxPastes {
				break
			}
			d.until("the paste refused and asked again", func() bool {
				return !f.pasteSent && strings.Contains(wzFlat(f), "does not match this login") && strings.Contains(wzFlat(f), "Paste it again")
			})
		}
		d.until("the login's result", func() bool { return f.step == lsResult })
		if !errors.Is(f.err, flows.ErrStateInvalid) || !strings.Contains(wzFlat(f), "another login attempt") {
			t.Fatalf("want a state mismatch explained, got %v", f.err)
		}
		wzEnd(t, d, false)
	})

	t.Run("timeout", func(t *testing.T) {
		d, f := wzStartLogin(t, c, "jane-late", 0, 300*time.Millisecond)
		d.until("the login's result", func() bool { return f.step == lsResult })
		if !errors.Is(f.err, flows.ErrLoginTimeout) || !strings.Contains(wzFlat(f), "Finish the login in the browser sooner") {
			t.Fatalf("want a timeout explained, got %v", f.err)
		}
		d.press("esc")
		if f.step != lsMode {
			t.Errorf("esc after the timeout went to step %d", f.step)
		}
	})

	// Esc while waiting stops the login: the listener is closed and every
	// goroutine of the login ends, and nothing is stored.
	t.Run("esc while waiting", func(t *testing.T) {
		d, f := wzStartLogin(t, c, "jane-left", 0, 0)
		addr := f.listening
		d.press("esc")
		if f.step != lsMode {
			t.Fatalf("esc went to step %d", f.step)
		}
		d.idle()
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			t.Error("the loopback listener still accepts connections after esc")
		}
		if _, err := demo.Service.Entry("jane-left"); !errors.Is(err, flows.ErrEntryNotFound) {
			t.Errorf("a cancelled login stored something (%v)", err)
		}
		// Same for the paste wait.
		d.press("down", "enter")
		d.until("the paste step", func() bool { return f.authURL != "" && f.paste })
		d.press("esc")
		d.idle()
	})
}

func TestRegistrationFlowAgainstLocalwise(t *testing.T) {
	demo, c := wzDemo(t)

	register := func(t *testing.T, name, email string) (*driver, *registrationFlow) {
		d := wzChoose(t, c, 3)
		f := d.s.(*registrationFlow)
		d.until("the client list", func() bool { return f.clients.loaded })
		d.press("enter") // acme-app, the demo's client
		d.typeText(name)
		d.press("enter")
		d.until("the email step", func() bool { return f.step == rsEmail })
		d.typeText(email)
		d.press("enter")
		d.until("the result", func() bool { return f.step == rsResult })
		return d, f
	}

	t.Run("new user", func(t *testing.T) {
		d, f := register(t, "new-user", "new.user@localwise.test")
		if f.err != nil {
			t.Fatalf("registration failed: %v", f.err)
		}
		if !strings.Contains(wzFlat(f), "registration code sealed in the wallet, never shown") {
			t.Error("the result does not say where the code is")
		}
		wzEnd(t, d, true)
		e, err := demo.Service.Entry("new-user")
		if err != nil {
			t.Fatal(err)
		}
		code := wzSecretOf(demo, e, "registration_code").RevealString()
		if e.Kind != flows.KindUser || e.LinkedTo != "acme-app" || e.UserEmail != "new.user@localwise.test" || len(code) < 32 || wzSecretOf(demo, e, "refresh_token").IsZero() {
			t.Errorf("stored: kind %s linked %s email %s, code of %d characters", e.Kind, e.LinkedTo, e.UserEmail, len(code))
		}
		wzViewsHoldNo(t, d, code, wzSecretOf(demo, e, "access_token").RevealString(), wzSecretOf(demo, e, "refresh_token").RevealString())
	})

	t.Run("email with a Wise account", func(t *testing.T) {
		d, f := register(t, "demo-again", demo.Server.Demo().UserEmail)
		if f.err == nil || !strings.Contains(wzFlat(f), "Log in a user") && !strings.Contains(wzFlat(f), "login") {
			t.Fatalf("want a refusal saying to log in instead, got %v", f.err)
		}
		if _, err := demo.Service.Entry("demo-again"); !errors.Is(err, flows.ErrEntryNotFound) {
			t.Errorf("a refused registration left an entry (%v)", err)
		}
		wzEnd(t, d, false)
	})
}

// No golden file of the flows holds a secret: not the canaries typed
// into masked fields, not localwise's demo secrets.
func TestWizardGoldensHoldNoSecret(t *testing.T) {
	demo, _ := wzDemo(t)
	creds := demo.Server.Demo()
	files := wzGoldenFiles(t)
	if len(files) < 40 {
		t.Fatalf("only %d golden files of the guided flows found; the check would prove little", len(files))
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		noSecret(t, p, string(b), wzTokenCanary, wzSecretCanary, wzCodeCanary, wzKeyCanary, wzPINCanary, wzOTPCanary, creds.PersonalToken, creds.ClientSecret,
			"tui-partner-secret-0123456789", "not-the-partner-secret-9876543210", "bogus-token-the-tui-test-made-up-0001")
	}
}

// wzSecretOf is one secret of a stored entry, asked for as the app asks
// (zero when the entry does not hold it).
func wzSecretOf(demo *lwdemo.Demo, e flows.EntryView, field string) crypto.Secret {
	s, _ := demo.Service.Reveal(e.Name, field)
	return s
}
