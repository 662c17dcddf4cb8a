package tui

import (
	"bytes"
	"context"
	"image/color"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/wisewallet/wisewallet/crypto"
	lwdemo "github.com/wisewallet/wisewallet/demo"
	"github.com/wisewallet/wisewallet/flows"
)

// Fixtures and golden frames of the core screens (unlock, dashboard,
// details, app), prefixed "core"; the guided flows' fixtures are "wz".
// Both drive their screens with the one driver in driver_test.go.

// coreNow is the fixed clock of the golden views (UTC, so the goldens do
// not depend on the machine's time zone).
var coreNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// coreClock is a settable clock, safe for the goroutines of teatest.
type coreClock struct {
	mu sync.Mutex
	t  time.Time
}

func newCoreClock(t time.Time) *coreClock { return &coreClock{t: t} }

func (c *coreClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *coreClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func coreFrame(a App) string {
	lines := strings.Split(ansi.Strip(a.View().Content), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n") + "\n"
}

// coreAppOn wraps screens in an App (no timers) of the given size, for
// golden frames of one screen with the real header, footer and help.
func coreAppOn(c *Common, screens ...Screen) App {
	a := App{c: c, opts: Options{Now: c.Now}, stack: screens, help: help.New(), noTimers: true}
	a.help.Styles = c.Styles.Help
	a.help.SetWidth(c.Width)
	c.footerLines = footerHeight
	return a
}

// coreGolden checks that the frame fits the terminal exactly and
// compares it with testdata/<test name>.golden.
func coreGolden(t *testing.T, a App) {
	t.Helper()
	frame := coreFrame(a)
	coreFits(t, a.c, frame)
	golden.RequireEqual(t, frame)
}

func coreFits(t *testing.T, c *Common, frame string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(frame, "\n"), "\n")
	if len(lines) != c.Height {
		t.Errorf("the frame has %d lines; the terminal has %d", len(lines), c.Height)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > c.Width {
			t.Errorf("line %d is %d cells wide; the terminal has %d", i+1, w, c.Width)
		}
	}
}

// coreCommon is a Common of the given size on the fixed clock.
func coreCommon(svc Backend, w, h int) *Common {
	c := NewCommon(context.Background(), svc, func() time.Time { return coreNow }, Environment{WalletPath: "/home/ada/.config/wisewallet/wallet.ww"})
	c.Width, c.Height = w, h
	return c
}

// noSecret fails if a secret is in text, without printing either.
func noSecret(t testing.TB, where, text string, secrets ...string) {
	t.Helper()
	for i, s := range secrets {
		if s == "" {
			t.Fatalf("%s: secret #%d is empty; the check would prove nothing", where, i)
		}
		if strings.Contains(text, s) {
			t.Errorf("%s: secret #%d appears in it", where, i)
		}
	}
}

// coreWallet makes a real wallet (weak KDF, test only) with a personal
// token, and returns its folder and an UnlockFunc for it.
func coreWallet(t *testing.T, pass, token string) (string, *flows.Service, UnlockFunc) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	svc, err := flows.CreateWallet(ctx, dir, crypto.SecretString(pass), lwdemo.FastKDF, flows.Options{})
	if err != nil {
		t.Fatal(err)
	}
	env, err := flows.ResolveEnv("sandbox", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddPersonal(ctx, "acme-personal", env, crypto.SecretString(token)); err != nil {
		t.Fatal(err)
	}
	unlock := func(ctx context.Context, p crypto.Secret) (Backend, error) {
		return flows.OpenWallet(ctx, dir, p, flows.Options{})
	}
	return dir, svc, unlock
}

func TestAppUnlocksARealWalletAndShowsTheDashboard(t *testing.T) {
	const pass, token = "CANARY-pass-4f1d9", "CANARY-token-a71c"
	dir, _, open := coreWallet(t, pass, token)
	d := newAppDriver(t, Options{Unlock: open, Env: Environment{WalletPath: filepath.Join(dir, "wallet.ww")}}, 100, 30)
	if _, ok := d.app.top().(unlock); !ok {
		t.Fatalf("the first screen is %T, want the unlock screen", d.app.top())
	}
	d.typeText("wrong")
	d.press("enter")
	if v := d.view(); !strings.Contains(v, "Wrong passphrase") {
		t.Fatalf("a wrong passphrase is not explained:\n%s", v)
	}
	d.typeText(pass)
	noSecret(t, "the unlock view while typing", d.view(), pass)
	d.press("enter")
	if _, ok := d.app.top().(dashboard); !ok {
		t.Fatalf("after unlocking the top screen is %T, want the dashboard", d.app.top())
	}
	v := d.view()
	if !strings.Contains(v, "acme-personal") || !strings.Contains(v, "Dashboard") {
		t.Fatalf("the dashboard does not show the wallet's entry:\n%s", v)
	}
	noSecret(t, "the dashboard", v, pass, token)
}

func TestAppAutoLockDropsARevealedSecret(t *testing.T) {
	const pass, token = "CANARY-pass-93be", "demo-token-REVEALED-0001"
	_, svc, open := coreWallet(t, pass, token)
	clock := newCoreClock(coreNow)
	d := newAppDriver(t, Options{Service: svc, Unlock: open, AutoLock: 5 * time.Minute, Now: clock.Now}, 100, 30)
	d.press("enter", "v")
	if !strings.Contains(d.view(), token) {
		t.Fatalf("v did not reveal the token on the details screen:\n%s", d.view())
	}
	clock.Advance(4 * time.Minute)
	d.send(TickMsg(clock.Now()))
	if _, ok := d.app.top().(details); !ok {
		t.Fatal("the app locked before the idle time was over")
	}
	clock.Advance(time.Minute)
	d.send(TickMsg(clock.Now()))
	if len(d.app.stack) != 1 {
		t.Fatalf("after auto-lock the stack holds %d screens, want only the unlock screen", len(d.app.stack))
	}
	if _, ok := d.app.top().(unlock); !ok {
		t.Fatalf("after auto-lock the top screen is %T", d.app.top())
	}
	if d.app.c.Svc != nil {
		t.Error("the locked app still holds the unlocked wallet")
	}
	v := d.view()
	noSecret(t, "the locked app", v, token)
	if !strings.Contains(v, "Locked after inactivity") {
		t.Errorf("the lock is not explained:\n%s", v)
	}
	// Unlocking again starts from the dashboard, with nothing revealed.
	d.typeText(pass)
	d.press("enter", "enter")
	if _, ok := d.app.top().(details); !ok {
		t.Fatalf("after unlocking and enter the top screen is %T", d.app.top())
	}
	noSecret(t, "details after unlocking again", d.view(), token)
}

func TestAppKeyPressesPostponeTheAutoLock(t *testing.T) {
	_, svc, open := coreWallet(t, "p-postpone", "t-postpone-0001")
	clock := newCoreClock(coreNow)
	d := newAppDriver(t, Options{Service: svc, Unlock: open, AutoLock: 5 * time.Minute, Now: clock.Now}, 100, 30)
	for range 3 {
		clock.Advance(4 * time.Minute)
		d.press("down")
		d.send(TickMsg(clock.Now()))
	}
	if _, ok := d.app.top().(dashboard); !ok {
		t.Fatalf("the app locked although keys were pressed within the idle time; top is %T", d.app.top())
	}
}

func TestAppWithoutUnlockFuncNeverLocks(t *testing.T) {
	_, svc, _ := coreWallet(t, "p-nolock", "t-nolock-0001")
	clock := newCoreClock(coreNow)
	d := newAppDriver(t, Options{Service: svc, AutoLock: time.Minute, Now: clock.Now}, 100, 30)
	clock.Advance(time.Hour)
	d.send(TickMsg(clock.Now()))
	d.press("L")
	if _, ok := d.app.top().(dashboard); !ok {
		t.Fatalf("an app that cannot be unlocked again locked itself; top is %T", d.app.top())
	}
	if len(d.toasts) == 0 || !d.toasts[len(d.toasts)-1].Error {
		t.Error("L on an app that cannot lock says nothing")
	}
}

func TestAppLKeyLocks(t *testing.T) {
	_, svc, open := coreWallet(t, "p-lkey", "t-lkey-0001")
	d := newAppDriver(t, Options{Service: svc, Unlock: open}, 80, 24)
	d.press("L")
	if _, ok := d.app.top().(unlock); !ok || d.app.c.Svc != nil {
		t.Fatalf("L did not lock: top is %T", d.app.top())
	}
}

func TestAppQuitsOnlyFromTheRootScreenAndCtrlCInterrupts(t *testing.T) {
	_, svc, open := coreWallet(t, "p-quit", "t-quit-0001")
	d := newAppDriver(t, Options{Service: svc, Unlock: open}, 80, 24)
	d.press("enter", "q")
	if d.quit {
		t.Fatal("q quit the app from the details screen")
	}
	d.press("esc", "q")
	if !d.quit {
		t.Fatal("q on the dashboard did not quit")
	}
	d2 := newAppDriver(t, Options{Unlock: open}, 80, 24)
	d2.typeText("q?")
	if d2.quit {
		t.Fatal("q typed into the passphrase quit the app")
	}
	d2.press("ctrl+c")
	if !d2.interrupted {
		t.Fatal("ctrl+c did not interrupt")
	}
}

func TestAppHelpKeyShowsAllKeysAndKeepsTheFrameSize(t *testing.T) {
	_, svc, _ := coreWallet(t, "p-help", "t-help-0001")
	d := newAppDriver(t, Options{Service: svc}, 80, 24)
	short := d.view()
	d.press("?")
	full := d.view()
	if full == short || !strings.Contains(full, "page down") {
		t.Fatalf("? does not show the full help:\n%s", full)
	}
	coreFits(t, d.app.c, full)
	d.press("?")
	if d.view() != short {
		t.Error("? again does not go back to the short help")
	}
}

func TestAppResizesCleanly(t *testing.T) {
	_, svc, _ := coreWallet(t, "p-resize", "t-resize-0001")
	clock := newCoreClock(coreNow)
	d := newAppDriver(t, Options{Service: svc, Now: clock.Now}, 100, 30)
	for _, size := range [][2]int{{80, 24}, {100, 30}, {60, 15}, {80, 24}} {
		d.send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		coreFits(t, d.app.c, d.view())
		d.press("enter")
		coreFits(t, d.app.c, d.view())
		d.press("esc")
	}
}

func TestAppLightAndDarkStylesBuild(t *testing.T) {
	dark, light := NewStyles(true), NewStyles(false)
	if reflect.DeepEqual(dark.Accent, light.Accent) || reflect.DeepEqual(dark.Text, light.Text) {
		t.Error("light and dark styles use the same colours")
	}
	if dark.Badge("production") == dark.Badge("sandbox") || !strings.Contains(ansi.Strip(light.Badge("production")), "PRODUCTION") {
		t.Error("the production badge does not stand out")
	}
	_, svc, _ := coreWallet(t, "p-styles", "t-styles-0001")
	d := newAppDriver(t, Options{Service: svc}, 80, 24)
	d.send(tea.BackgroundColorMsg{Color: color.White})
	if d.app.c.Styles.IsDark {
		t.Error("a white background did not switch to the light styles")
	}
	coreFits(t, d.app.c, d.view())
	d.send(tea.BackgroundColorMsg{Color: color.Black})
	if !d.app.c.Styles.IsDark {
		t.Error("a black background did not switch to the dark styles")
	}
}

func TestAppGoldenDashboardAt80x24(t *testing.T) {
	c := coreCommon(coreFake(), 80, 24)
	coreGolden(t, coreAppOn(c, coreDashboard(c, coreEntries())))
}

func TestAppGoldenDashboardAt100x30(t *testing.T) {
	c := coreCommon(coreFake(), 100, 30)
	coreGolden(t, coreAppOn(c, coreDashboard(c, coreEntries())))
}

// The smoke test runs the real program (teatest: in-memory terminal) on
// a real wallet: type the passphrase, unlock, see the dashboard, quit.
// The passphrase must never be among the bytes drawn.
func TestAppSmokeUnlockThroughTheRealProgram(t *testing.T) {
	const pass, token = "CANARY-smoke-pass-2b7e", "CANARY-smoke-token-9d1f"
	_, _, open := coreWallet(t, pass, token)
	tm := teatest.NewTestModel(t, New(context.Background(), Options{Unlock: open, AutoLock: time.Hour}),
		teatest.WithInitialTermSize(100, 30))
	// Everything the program drew, for the final check: WaitFor consumes
	// the output it reads.
	var seen bytes.Buffer
	waitFor := func(what string) {
		t.Helper()
		var last []byte
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			last = append(last[:0], b...)
			return bytes.Contains(b, []byte(what))
		}, teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
		seen.Write(last)
	}
	waitFor("Passphrase")
	tm.Type(pass)
	tm.Send(keyPress("enter"))
	waitFor("acme-personal")
	tm.Send(keyPress("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	var rest bytes.Buffer
	_, _ = rest.ReadFrom(tm.FinalOutput(t))
	all := seen.String() + rest.String()
	noSecret(t, "the program's output", all, pass, token)
	if !strings.Contains(all, "•") {
		t.Error("the typed passphrase was not shown masked")
	}
	fm, ok := tm.FinalModel(t).(App)
	if !ok {
		t.Fatalf("final model is %T", tm.FinalModel(t))
	}
	if _, ok := fm.top().(dashboard); !ok {
		t.Errorf("the program ended on %T, want the dashboard", fm.top())
	}
}
