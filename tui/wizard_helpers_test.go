package tui

// Fixtures of the guided flows (names start with wz, as the core
// screens' start with core): clocks, Commons, golden frames, a demo
// wallet and localwise's authorize page. The driver is driver_test.go's.

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/help"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	lwdemo "github.com/wisewallet/wisewallet/demo"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
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
	noSecret(t, "the view", frame, wzTokenCanary, wzSecretCanary, wzCodeCanary, wzKeyCanary)
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

// --- playing the browser on localwise's authorize page: lwtest does it.

var wzCodeOnPage = lwtest.CodeOnPage

type wzPage struct {
	status   int
	body     string
	location string
}

func wzPageOf(p lwtest.Page) wzPage {
	return wzPage{status: p.Status, body: p.Body, location: p.Location}
}

func wzFetch(t *testing.T, method, u string, form url.Values) wzPage {
	t.Helper()
	return wzPageOf(lwtest.Fetch(t, method, u, form))
}

// wzAuthorize opens the authorize URL the screen shows, logs in as the
// demo user, and answers the consent page with decision ("approve" or
// "deny") for the business profile. It returns the consent answer: a
// redirect, or the page showing the code.
func wzAuthorize(t *testing.T, authURL, user, password, decision string) wzPage {
	t.Helper()
	// The zero ProfileID picks the last profile listed: the business one.
	return wzPageOf(lwtest.Person{Email: user, Password: password}.Authorize(t, authURL, lwtest.Decision(decision)))
}

// wzFreeRedirect is a loopback redirect URL on a port free right now.
func wzFreeRedirect(t *testing.T) string {
	t.Helper()
	return lwtest.FreeLoopbackURL(t, "/tui/callback")
}

// wzRegisterClient registers an OAuth client at localwise through its
// admin endpoint: the demo's server runs behind flows.
func wzRegisterClient(t *testing.T, apiURL, id, secret, redirect string) {
	t.Helper()
	lwtest.RegisterClient(t, apiURL, id, secret, redirect)
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
		for _, prefix := range []string{"testdata/TestAddChooser", "testdata/TestPersonalFlow", "testdata/TestClientFlow", "testdata/TestLoginFlow", "testdata/TestRegistrationFlow", "testdata/TestMTLS", "testdata/TestDetailsOfAnMTLSEntry", "testdata/TestJOSE", "testdata/TestDetailsOfAJOSEEntry", "testdata/TestChallenge", "testdata/TestSCA"} {
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
