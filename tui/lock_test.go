package tui

// A lock ends the session: what its commands still run is cancelled, and
// their answers never reach the screens of the next unlock.

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/wisewallet/wisewallet/crypto"
	lwdemo "github.com/wisewallet/wisewallet/demo"
	"github.com/wisewallet/wisewallet/flows"
)

// coreProbe is the real HTTP transport with a window on it: a request
// is announced on started when there is room (give it a buffer), so a
// test knows when a command is inside its network call. It changes
// nothing.
type coreProbe struct {
	base    http.RoundTripper
	started chan string
}

func (p coreProbe) RoundTrip(r *http.Request) (*http.Response, error) {
	select {
	case p.started <- r.URL.Path:
	default:
	}
	return p.base.RoundTrip(r)
}

// WithTLSClientConfig keeps the probe on the mTLS calls of the demo's
// client, which has a certificate.
func (p coreProbe) WithTLSClientConfig(cfg *tls.Config) http.RoundTripper {
	next := http.DefaultTransport.(*http.Transport).Clone()
	next.TLSClientConfig = cfg
	return coreProbe{base: next, started: p.started}
}

// coreWithin runs fn and fails the test if it has not returned after 20
// seconds. The deadline is a hang guard (fn freezing is the bug looked
// for), not a speed requirement. fn must not call t.Fatal.
func coreWithin(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not end within 20s: the app froze", what)
	}
}

// coreReceive waits (hang guard as coreWithin) for one message on ch.
func coreReceive(t *testing.T, what string, ch <-chan tea.Msg) tea.Msg {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not end within 20s", what)
		return nil
	}
}

func TestAppLockDuringASlowRefreshDoesNotFreezeTheNextUnlockAndDropsItsAnswer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	started := make(chan string, 1)
	hc := &http.Client{Transport: coreProbe{base: http.DefaultTransport, started: started}}
	clock := newCoreClock(time.Now().UTC())
	opts := flows.Options{HTTP: hc, Now: clock.Now}
	demo, err := lwdemo.Start(ctx, lwdemo.Options{Dir: t.TempDir(), TokenTTL: 3 * time.Minute, KDF: lwdemo.FastKDF, Flows: opts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = demo.Close() })
	// Filling the demo wallet went through the probe too: only the
	// refresh below counts.
	for len(started) > 0 {
		<-started
	}
	open := func(ctx context.Context, p crypto.Secret) (Backend, error) {
		svc, err := flows.OpenWallet(ctx, demo.Dir, p, opts)
		if err != nil {
			return nil, err
		}
		return svc, nil
	}
	d := newAppDriver(t, Options{Service: demo.Service, Unlock: open, Now: clock.Now,
		Env: Environment{WalletPath: filepath.Join(demo.Dir, "wallet.ww")}}, 100, 30)

	// localwise holds every request for 10 minutes: only a cancellation
	// can end the refresh the dashboard is about to start.
	faults := demo.Server.Faults()
	faults.Latency = 10 * time.Minute
	demo.Server.SetFaults(faults)
	clock.Advance(2*time.Minute + 20*time.Second) // past 3/4 of the tokens' lifetime
	m, syncCmd := d.app.Update(TickMsg(clock.Now()))
	d.app = m.(App)
	if syncCmd == nil {
		t.Fatal("the tick with due tokens started no refresh")
	}
	oldAnswer := make(chan tea.Msg, 1)
	go func() { oldAnswer <- syncCmd() }()
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		t.Fatal("the refresh never reached localwise")
	}

	// The refresh now waits on the network inside the wallet's Update,
	// holding the wallet file's lock. Lock, and unlock again.
	coreWithin(t, "locking during the refresh", func() { d.press("L") })
	if _, ok := d.app.top().(unlock); !ok {
		t.Fatalf("L did not lock: top is %T", d.app.top())
	}
	coreWithin(t, "unlocking while the old refresh may still run", func() {
		d.typeText(lwdemo.Passphrase)
		d.press("enter")
	})
	if _, ok := d.app.top().(dashboard); !ok {
		t.Fatalf("after unlocking the top screen is %T, want the dashboard", d.app.top())
	}

	// The lock cancelled the old refresh.
	msg := coreReceive(t, "the refresh from before the lock", oldAnswer)
	env, ok := msg.(sessionMsg)
	if !ok {
		t.Fatalf("the refresh answered %T, want its session's envelope", msg)
	}
	old, ok := env.msg.(syncMsg)
	if !ok || len(old.results) == 0 || !errors.Is(old.results[0].Err, context.Canceled) {
		t.Fatalf("the old refresh was not cancelled by the lock: %T %+v", env.msg, old.results)
	}

	// Its answer, a failed refresh, would put a failure on the new
	// dashboard and raise an error notice: it must change nothing.
	before, toasts := d.view(), len(d.toasts)
	d.send(msg)
	if after := d.view(); after != before || len(d.toasts) != toasts {
		t.Fatalf("the answer from before the lock reached the new session:\n%s", after)
	}
	if strings.Contains(d.view(), "refresh failed") {
		t.Fatalf("the new dashboard shows the old refresh's failure:\n%s", d.view())
	}

	// The new session's own refresh works and is shown.
	faults = demo.Server.Faults()
	faults.Latency = 0
	demo.Server.SetFaults(faults)
	coreWithin(t, "the new dashboard's refresh", func() { d.send(TickMsg(clock.Now())) })
	if v := d.view(); !strings.Contains(v, "↻ renewed") {
		t.Fatalf("the new session's refresh is not shown:\n%s", v)
	}
}

// A command that does not heed the lock at all (stuck in something
// without a context) must not hold up the next session either: nothing
// on the UI goroutine, and no command of the new session, waits for it.
func TestAppCommandStuckAcrossALockDoesNotHoldUpTheNextSession(t *testing.T) {
	const pass = "p-stuck"
	_, svc, open := coreWallet(t, pass, "t-stuck-0001")
	d := newAppDriver(t, Options{Service: svc, Unlock: open}, 100, 30)
	entered, release := make(chan struct{}), make(chan struct{})
	released := false
	t.Cleanup(func() {
		if !released {
			close(release)
		}
	})
	stuck := d.app.c.WalletCmd(func(Backend) tea.Msg {
		close(entered)
		<-release
		return syncMsg{err: errors.New("stale answer")}
	})
	answer := make(chan tea.Msg, 1)
	go func() { answer <- stuck() }()
	<-entered
	coreWithin(t, "locking, unlocking and the new dashboard's first check", func() {
		d.press("L")
		d.typeText(pass)
		d.press("enter")
		d.send(TickMsg(coreNow))
	})
	if _, ok := d.app.top().(dashboard); !ok {
		t.Fatalf("after unlocking the top screen is %T, want the dashboard", d.app.top())
	}
	if v := d.view(); !strings.Contains(v, "acme-personal") {
		t.Fatalf("the new dashboard does not show the wallet:\n%s", v)
	}
	released = true
	close(release)
	d.send(coreReceive(t, "the stuck command", answer))
	if v := d.view(); strings.Contains(v, "Could not re-read") {
		t.Fatalf("the stuck command's answer reached the new dashboard:\n%s", v)
	}
}

func TestAppAnswerOfADetailsActionFromBeforeALockIsDropped(t *testing.T) {
	const pass = "p-stale-rename"
	_, svc, open := coreWallet(t, pass, "t-stale-rename-0001")
	clock := newCoreClock(coreNow)
	d := newAppDriver(t, Options{Service: svc, Unlock: open, AutoLock: time.Minute, Now: clock.Now}, 100, 30)
	d.press("enter", "r")
	d.typeText("2")
	// Enter submits the rename; its command is held back, as if it were
	// still running when the lock comes. (The screen takes no keys while
	// it waits, so the lock is the idle one.)
	m, renameCmd := d.app.Update(keyPress("enter"))
	d.app = m.(App)
	if renameCmd == nil {
		t.Fatal("enter on the new name started no rename")
	}
	clock.Advance(time.Minute)
	d.send(TickMsg(clock.Now()))
	if _, ok := d.app.top().(unlock); !ok {
		t.Fatalf("the app did not lock: top is %T", d.app.top())
	}
	d.typeText(pass)
	d.press("enter", "enter")
	det, ok := d.app.top().(details)
	if !ok || det.e.Name != "acme-personal" {
		t.Fatalf("after unlocking and enter the top screen is %T", d.app.top())
	}
	msg := renameCmd()
	if _, ok := msg.(sessionMsg); !ok {
		t.Fatalf("the rename answered %T, want its session's envelope", msg)
	}
	before, toasts := d.view(), len(d.toasts)
	d.send(msg)
	if after := d.view(); after != before || len(d.toasts) != toasts {
		t.Fatalf("the rename's answer from before the lock reached the new details screen:\n%s", after)
	}
}

func TestAppSessionAnswersAreDeliveredUntilALock(t *testing.T) {
	_, svc, open := coreWallet(t, "p-session", "t-session-0001")
	d := newAppDriver(t, Options{Service: svc, Unlock: open}, 80, 24)
	c := d.app.c
	first := c.Ctx
	current := c.SessionCmd(func() tea.Msg { return ToastMsg{Text: "from this session"} })
	d.run(current)
	if d.app.toast.Text != "from this session" {
		t.Fatal("an answer of the current session was not delivered")
	}
	stale := c.SessionCmd(func() tea.Msg { return ToastMsg{Text: "from before the lock"} })
	d.press("L")
	if first.Err() == nil {
		t.Fatal("the lock did not cancel the session's context")
	}
	if c.Ctx.Err() != nil {
		t.Fatal("the session after the lock starts cancelled")
	}
	d.send(stale())
	if d.app.toast.Text == "from before the lock" {
		t.Fatal("an answer from before the lock was delivered")
	}
}
