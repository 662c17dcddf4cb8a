package flows

// The authorization-code login driven by a real headless Chromium: the
// person's side of the flow (localwise's login and consent pages, the
// redirect to the loopback listener) runs in the browser exactly as it
// would for a user, and Service.Login must end with the right entry.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/wallet"
)

// chromiumPath finds Debian's chromium; the test is skipped only when it is
// not installed (CI installs it).
func chromiumPath(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Skip("chromium is not installed (apt-get install chromium); the browser login test needs it")
	return ""
}

// browser is one headless Chromium for a whole test, with a fresh profile.
type browser struct {
	t   *testing.T
	ctx context.Context
	out *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startBrowser(t *testing.T) *browser {
	t.Helper()
	out := &syncBuffer{}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root, where the sandbox cannot start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		// No calls home: the test must run offline and deterministically.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Containers often have a tiny /dev/shm, which crashes tabs.
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		// Without a session bus Chromium's D-Bus client autolaunches a
		// dbus-daemon that outlives the test; "disabled:" makes it give up.
		chromedp.Env("DBUS_SESSION_BUS_ADDRESS=disabled:"),
		chromedp.CombinedOutput(out),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc() // kills Chromium and waits for it
		if t.Failed() {
			t.Logf("chromium output:\n%s", out.String())
		}
	})
	start := time.Now()
	// The first Run starts the browser; it must not carry a timeout, which
	// would end the browser with it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	t.Logf("chromium started in %s", time.Since(start).Round(time.Millisecond))
	return &browser{t: t, ctx: ctx, out: out}
}

// tab opens a new tab and returns a context for its actions, bounded in
// time so a page that never comes fails the test instead of hanging it.
func (b *browser) tab() context.Context {
	b.t.Helper()
	tab, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		b.t.Fatalf("new tab: %v", err)
	}
	ctx, cancelT := context.WithTimeout(tab, 30*time.Second)
	b.t.Cleanup(cancelT)
	return ctx
}

// logIn fills localwise's login form as the demo user and waits for the
// consent page.
func logIn(u string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(u),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), localwise.DemoUserEmail),
		chromedp.SendKeys(chromedp.ID("password"), localwise.DemoUserPassword),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("approve")),
	)
}

// callbackPage is what the browser shows at the end: the loopback
// listener's page (it alone has #message).
func callbackPage(ctx context.Context) (title, location string, err error) {
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("message"))); err != nil {
		return "", "", err
	}
	if title, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1"))); err != nil {
		return "", "", err
	}
	location, err = chromedp.Run(ctx, chromedp.Location())
	return title, location, err
}

func TestBrowserLogin(t *testing.T) {
	t.Parallel()
	b := startBrowser(t)
	f := newFixture(t, localwise.Config{})
	redirect := f.loopbackClient()

	t.Run("approve", func(t *testing.T) {
		start := time.Now()
		var title, location string
		var berr error
		e, err := f.login(LoginRequest{As: "browser-user"}, func(u string) {
			ctx := b.tab()
			berr = chromedp.Do(ctx, logIn(u),
				// Not the preselected profile, so the choice must travel.
				chromedp.Click(chromedp.ID(fmt.Sprintf("profile-%d", localwise.DemoBusinessProfileID))),
				chromedp.Click(chromedp.ID("approve")),
			)
			if berr == nil {
				title, location, berr = callbackPage(ctx)
			}
		})
		if berr != nil {
			t.Fatalf("browser: %v", berr)
		}
		if err != nil {
			t.Fatalf("Login: %v", err)
		}
		t.Logf("browser login took %s", time.Since(start).Round(time.Millisecond))
		if title != "Login received" || !strings.HasPrefix(location, redirect+"?") {
			t.Errorf("browser ended on %q titled %q", strings.SplitN(location, "?", 2)[0], title)
		}
		got := f.saved("browser-user")
		if !sameEntry(e, got) {
			t.Error("the returned entry differs from the saved one")
		}
		if got.Kind != wallet.KindUser || got.LinkedTo != "app" || got.ProfileID != localwise.DemoBusinessProfileID || got.UserID != localwise.DemoUserID {
			t.Errorf("saved entry: kind %s linked %q profile %d user %d", got.Kind, got.LinkedTo, got.ProfileID, got.UserID)
		}
		secretOf(t, got, wallet.SecretRefreshToken)
		if st := meStatus(t, f.base, secretOf(t, got, wallet.SecretAccessToken)); st != http.StatusOK {
			t.Errorf("stored access token: /v1/me HTTP %d", st)
		}
		// The listener is gone: the same redirect again reaches nobody.
		before := f.walletBytes()
		if resp, err := noRedirect.Get(location); err == nil {
			resp.Body.Close()
			t.Errorf("a second callback was answered (HTTP %d)", resp.StatusCode)
		}
		if !slices.Equal(before, f.walletBytes()) {
			t.Error("a second callback changed the wallet")
		}
	})

	t.Run("deny", func(t *testing.T) {
		before := f.walletBytes()
		var title string
		var berr error
		_, err := f.login(LoginRequest{As: "denied-user"}, func(u string) {
			ctx := b.tab()
			berr = chromedp.Do(ctx, logIn(u), chromedp.Click(chromedp.ID("deny")))
			if berr == nil {
				title, _, berr = callbackPage(ctx)
			}
		})
		if berr != nil {
			t.Fatalf("browser: %v", berr)
		}
		if !errors.Is(err, ErrLoginDenied) {
			t.Fatalf("Login after Deny: %v, want ErrLoginDenied", err)
		}
		if title != "Access denied" {
			t.Errorf("browser shows %q after Deny", title)
		}
		f.assertAbsent("denied-user")
		if !slices.Equal(before, f.walletBytes()) {
			t.Error("a denied login changed the wallet")
		}
	})

	t.Run("redirect URL not registered", func(t *testing.T) {
		// The wallet's client has a redirect URL localwise does not know
		// (a typo, or Developer Hub changed): localwise shows its own error
		// page and redirects nowhere, so the login can only time out.
		other := freeLoopbackURL(t, "/callback")
		f.addClient("typo-app", "loopback-app", "loopback-secret-0123456789", other, true)
		before := f.walletBytes()
		var shown string
		var berr error
		_, err := f.login(LoginRequest{Client: "typo-app", As: "typo-user", Timeout: 300 * time.Millisecond}, func(u string) {
			ctx := b.tab()
			berr = chromedp.Do(ctx, chromedp.Navigate(u), chromedp.WaitVisible(chromedp.ID("error")))
			if berr == nil {
				shown, berr = chromedp.Run(ctx, chromedp.Text(chromedp.ID("error")))
			}
		})
		if berr != nil {
			t.Fatalf("browser: %v", berr)
		}
		if want := "The redirect URL does not match the one registered for this application."; shown != want {
			t.Errorf("localwise page says %q, want %q", shown, want)
		}
		if !errors.Is(err, ErrLoginTimeout) {
			t.Fatalf("Login with an unregistered redirect URL: %v, want ErrLoginTimeout", err)
		}
		f.assertAbsent("typo-user")
		if !slices.Equal(before, f.walletBytes()) {
			t.Error("a failed login changed the wallet")
		}
	})
}
