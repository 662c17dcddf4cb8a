package tui

// The one test driver of this package, and the small helpers around it:
// key presses by name, keys and text fed straight to Update, and the
// messages a command returns. Every test of a screen, a flow or the App
// goes through these.

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/wisewallet/wisewallet/crypto"
)

// keyPress builds a key press as Bubble Tea delivers it, from a key name
// ("enter", "esc", "ctrl+y", ...) or a single character.
func keyPress(name string) tea.KeyPressMsg {
	switch name {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "end":
		return tea.KeyPressMsg{Code: tea.KeyEnd}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	case "ctrl+u":
		return tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}
	case "ctrl+y":
		return tea.KeyPressMsg{Code: 'y', Mod: tea.ModCtrl}
	case "ctrl+o":
		return tea.KeyPressMsg{Code: 'o', Mod: tea.ModCtrl}
	}
	r := []rune(name)
	if len(r) != 1 {
		panic("keyPress: unknown key " + name)
	}
	return tea.KeyPressMsg{Code: r[0], Text: name}
}

// press feeds key presses to s, dropping the commands they return: a
// pure-Update test looks at the state and the view only.
func press(s Screen, keys ...string) Screen {
	for _, k := range keys {
		s, _ = s.Update(keyPress(k))
	}
	return s
}

// typeInto types text into s one key press at a time, dropping commands.
func typeInto(s Screen, text string) Screen {
	for _, r := range text {
		s, _ = s.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return s
}

// cmdMsgs runs a command that returns at once (navigation, notices) and
// flattens batches, sequences and the session envelope into the messages
// they produce. Only for commands known not to block: a test must not run
// a spinner tick or a network call through it.
func cmdMsgs(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := unwrapSession(cmd())
	if cmds, ok := batchCmds(msg); ok {
		var out []tea.Msg
		for _, c := range cmds {
			out = append(out, cmdMsgs(c)...)
		}
		return out
	}
	if msg == nil {
		return nil
	}
	return []tea.Msg{msg}
}

// cmdMsg is the one message cmd produces, or nil when it produces none or
// several.
func cmdMsg(cmd tea.Cmd) tea.Msg {
	msgs := cmdMsgs(cmd)
	if len(msgs) != 1 {
		return nil
	}
	return msgs[0]
}

// batchCmds unpacks tea.BatchMsg and tea's unexported sequence message.
func batchCmds(msg tea.Msg) ([]tea.Cmd, bool) {
	if b, ok := msg.(tea.BatchMsg); ok {
		return b, true
	}
	v := reflect.ValueOf(msg)
	if v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeFor[tea.Cmd]() {
		out := make([]tea.Cmd, v.Len())
		for i := range out {
			out[i] = v.Index(i).Interface().(tea.Cmd)
		}
		return out, true
	}
	return nil, false
}

// unwrapSession takes a background answer out of the session envelope
// the App opens (a screen driven on its own has no lock to check against).
func unwrapSession(msg tea.Msg) tea.Msg {
	if m, ok := msg.(sessionMsg); ok {
		return m.msg
	}
	return msg
}

// driverSteps bounds the messages one test may feed: a screen that keeps
// answering itself fails the test instead of hanging it.
const driverSteps = 5000

// driver runs a screen, or the whole App, the way the Bubble Tea runtime
// does: what Update returns is run, and the messages the commands produce
// go back into Update one at a time.
//
// Commands run either inline, each to its end on the test goroutine before
// send returns (newDriver, newAppDriver: deterministic, for screens whose
// commands all end), or each on its own goroutine as under Bubble Tea
// (newLiveDriver: for flows that wait, such as a login's listener; the
// test waits with until and idle). Live, a batch's commands run side by
// side and a sequence's one after another on one goroutine, each message
// delivered before the next command starts, as Bubble Tea runs them.
//
// Driving a screen, the driver stands in for the App around it: it drops
// spinner ticks (they would tick forever), opens the session envelope,
// takes a Replace as the App does (the new screen is driven from then on),
// hands WalletChanged to a dashboard, and records navigation and notices
// in nav without acting on them. Driving the App, every message goes to
// the App, which does all that itself; quitting and interrupting are
// recorded.
type driver struct {
	t *testing.T

	s     Screen // the screen driven (nil when driving the App)
	app   App    // the App driven (when onApp)
	onApp bool

	concurrent bool
	msgs       chan envelope // answers of commands run concurrently
	stop       chan struct{} // closed when draining: command goroutines give up
	wg         sync.WaitGroup
	inflight   atomic.Int64 // commands run by run whose end was not received
	closed     bool         // draining: no new commands

	steps       int
	nav         []tea.Msg  // navigation and notices a screen returned
	toasts      []ToastMsg // every notice, in order
	views       []string   // the view after every message, without colours
	quit        bool       // the App asked to quit
	interrupted bool       // the App was interrupted (ctrl+c)
}

// newDriver drives s with its commands run inline.
func newDriver(t *testing.T, s Screen) *driver {
	return startDriver(&driver{t: t, s: s}, s.Init)
}

// newLiveDriver drives s with each command on its own goroutine. Every
// command must end before the test does: a login left listening, or a
// wait nobody cancels, fails the test's cleanup as a hang guard rather
// than leaking into the next test.
func newLiveDriver(t *testing.T, s Screen) *driver {
	return startDriver(&driver{t: t, s: s, concurrent: true}, s.Init)
}

// newAppDriver drives the real App, inline, at the terminal size w x h.
// The App runs without its timers (clock tick, notice timeout), so every
// command ends; tests send TickMsg themselves.
func newAppDriver(t *testing.T, opts Options, w, h int) *driver {
	t.Helper()
	a := New(context.Background(), opts)
	a.noTimers = true
	d := startDriver(&driver{t: t, app: a, onApp: true}, a.Init)
	d.send(tea.WindowSizeMsg{Width: w, Height: h})
	return d
}

func startDriver(d *driver, init func() tea.Cmd) *driver {
	d.msgs = make(chan envelope, 64)
	d.stop = make(chan struct{})
	d.t.Cleanup(d.drain)
	d.run(init())
	return d
}

// send hands msg to the screen (or the App) and runs what it returns.
func (d *driver) send(msg tea.Msg) {
	d.t.Helper()
	if d.steps++; d.steps > driverSteps {
		d.t.Fatalf("the screen did not settle: more than %d messages", driverSteps)
	}
	var cmd tea.Cmd
	if d.onApp {
		var m tea.Model
		m, cmd = d.app.Update(msg)
		d.app = m.(App)
	} else {
		d.s, cmd = d.s.Update(msg)
	}
	d.views = append(d.views, d.view())
	d.run(cmd)
}

// press sends key presses by name.
func (d *driver) press(keys ...string) {
	d.t.Helper()
	for _, k := range keys {
		d.send(keyPress(k))
	}
}

// typeText types text one key press at a time.
func (d *driver) typeText(text string) {
	d.t.Helper()
	for _, r := range text {
		d.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// view is what is on screen without colours: the whole frame (trailing
// blanks trimmed) when driving the App, else the screen's own view.
func (d *driver) view() string {
	if d.onApp {
		return coreFrame(d.app)
	}
	return ansi.Strip(d.s.View())
}

// run runs cmd, inline or on its own goroutine, and delivers its message.
func (d *driver) run(cmd tea.Cmd) {
	d.t.Helper()
	if cmd == nil || d.closed {
		return
	}
	if !d.concurrent {
		d.deliver(cmd())
		return
	}
	d.wg.Add(1)
	d.inflight.Add(1)
	go func() {
		defer d.wg.Done()
		d.exec(cmd())
		select {
		case d.msgs <- envelope{finished: true}:
		case <-d.stop:
		}
	}()
}

// envelope is what a command goroutine hands the test goroutine: a
// message, closing delivered once it has been handled, or the end of a
// command that run started.
type envelope struct {
	msg       tea.Msg
	delivered chan struct{}
	finished  bool
}

// exec runs, on a command goroutine, what a command returned, as Bubble
// Tea does: a batch's commands side by side, waiting for all of them; a
// sequence's one after another, each one's messages delivered before the
// next starts; any other message is delivered.
func (d *driver) exec(msg tea.Msg) {
	if batch, ok := msg.(tea.BatchMsg); ok {
		var wg sync.WaitGroup
		for _, c := range batch {
			if c == nil {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				d.exec(c())
			}()
		}
		wg.Wait()
		return
	}
	if seq, ok := batchCmds(msg); ok {
		for _, c := range seq {
			select {
			case <-d.stop:
				return
			default:
			}
			if c != nil {
				d.exec(c())
			}
		}
		return
	}
	d.post(msg)
}

// post hands msg to the test goroutine and waits until it was delivered
// (or the test is over).
func (d *driver) post(msg tea.Msg) {
	if msg == nil {
		return
	}
	e := envelope{msg: msg, delivered: make(chan struct{})}
	select {
	case d.msgs <- e:
	case <-d.stop:
		return
	}
	select {
	case <-e.delivered:
	case <-d.stop:
	}
}

// deliver handles one message from a finished command.
func (d *driver) deliver(msg tea.Msg) {
	d.t.Helper()
	if cmds, ok := batchCmds(msg); ok {
		if d.concurrent {
			// Opened from a session envelope: run as a command would
			// be, so a sequence keeps its order.
			d.run(func() tea.Msg { return msg })
			return
		}
		for _, c := range cmds {
			d.run(c)
		}
		return
	}
	if _, ok := msg.(spinner.TickMsg); ok {
		return
	}
	if d.onApp {
		switch msg := msg.(type) {
		case nil:
		case tea.QuitMsg:
			d.quit = true
		case tea.InterruptMsg:
			d.interrupted = true
		case ToastMsg:
			d.toasts = append(d.toasts, msg)
			d.send(msg)
		default:
			d.send(msg)
		}
		return
	}
	switch msg := msg.(type) {
	case nil:
	case sessionMsg:
		// There is no lock here, so every answer belongs to the one
		// session.
		d.deliver(msg.msg)
	case replaceMsg:
		d.nav = append(d.nav, msg)
		d.s = msg.s
		d.run(msg.s.Init())
	case walletChangedMsg:
		// Meant for the dashboard at the bottom of the App's stack.
		d.nav = append(d.nav, msg)
		if _, ok := d.s.(dashboard); ok {
			d.send(msg)
		}
	case ToastMsg:
		d.nav = append(d.nav, msg)
		d.toasts = append(d.toasts, msg)
	case pushMsg, popMsg, lockMsg:
		d.nav = append(d.nav, msg)
	default:
		d.send(msg)
	}
}

// receive takes what a command goroutine handed over and handles it.
func (d *driver) receive(e envelope) {
	d.t.Helper()
	if e.finished {
		d.inflight.Add(-1)
		return
	}
	// Closed even if the delivery fails the test, so the goroutine ends.
	defer close(e.delivered)
	d.deliver(e.msg)
}

// idle delivers messages until no command is running any more: after
// esc, this proves a cancelled login and its waits really ended.
func (d *driver) idle() {
	d.t.Helper()
	d.until("every command to end", func() bool { return d.inflight.Load() == 0 })
}

// until delivers messages until cond holds. The deadline is a hang
// guard for a broken flow, not a speed requirement.
func (d *driver) until(what string, cond func() bool) {
	d.t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for !cond() {
		select {
		case e := <-d.msgs:
			d.receive(e)
		case <-deadline.C:
			d.t.Fatalf("waited 20s for %s; %s", what, d.screenNow())
		}
	}
}

// screenNow names the screen on top, for a failure message: its type and
// title, not its view, which may hold what the test is about to find
// leaked.
func (d *driver) screenNow() string {
	s := d.s
	if d.onApp {
		s = d.app.top()
	}
	return fmt.Sprintf("the screen is %T %q", s, s.Title())
}

// drain waits for every command goroutine to end, dropping what they
// return (the test is over), and fails if some do not end.
func (d *driver) drain() {
	d.closed = true
	close(d.stop)
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

// navigated reports whether the screen went back with a Pop (to the
// dashboard), the last notice it showed, and whether it said the wallet
// changed.
func (d *driver) navigated() (popped bool, toast ToastMsg, changed bool) {
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

// firstNav is the first navigation message or notice of type T.
func firstNav[T any](d *driver) (T, bool) {
	for _, m := range d.nav {
		if v, ok := m.(T); ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}

// The driver stands in for the App around a screen: a Replace is taken
// (the new screen is driven from then on), navigation is recorded, and
// session envelopes are opened.
func TestDriverTakesAReplaceAndOpensSessionEnvelopes(t *testing.T) {
	c := wzCommon(80, 24)
	d := newDriver(t, newAddChooser(c))
	d.press("enter")
	f, ok := d.s.(*personalFlow)
	if !ok {
		t.Fatalf("after enter the driver drives %T, want the personal flow", d.s)
	}
	if _, ok := firstNav[replaceMsg](d); !ok {
		t.Error("the Replace was not recorded")
	}
	d.typeText("acme-token")
	d.press("enter")
	d.run(c.SessionCmd(func() tea.Msg { return nameCheckedMsg{id: f.nameOp.id} }))
	if f.step != psEnv {
		t.Fatalf("the name check's answer in its session envelope did not reach the flow (step %d)", f.step)
	}
	d.press("esc", "esc")
	if _, ok := d.s.(*addChooser); !ok {
		t.Fatalf("esc on the first step left the driver on %T, want the chooser", d.s)
	}
	// One view per message handled, among them the name as it was typed.
	if len(d.views) != d.steps {
		t.Errorf("%d views recorded for %d messages", len(d.views), d.steps)
	}
	if !slices.ContainsFunc(d.views, func(v string) bool { return strings.Contains(v, "acme-token") }) {
		t.Error("no recorded view shows the name typed on the name step")
	}
}

// The hang guard's message names the screen on top, also when the driver
// drives the App (it has no screen of its own then).
func TestDriverNamesTheScreenOnTopOfTheApp(t *testing.T) {
	open := func(context.Context, crypto.Secret) (Backend, error) { return nil, errors.New("not in this test") }
	d := newAppDriver(t, Options{Unlock: open}, 80, 24)
	want := fmt.Sprintf("%T %q", d.app.top(), d.app.top().Title())
	if got := d.screenNow(); !strings.Contains(got, want) {
		t.Errorf("the hang guard says %q, want it to name %s", got, want)
	}
}

// probeScreen records the messages it is given, for the driver's tests.
type probeScreen struct {
	got  []string
	seen sync.Map // message text -> true, read by command goroutines
}

type probeMsg string

func (p *probeScreen) Init() tea.Cmd { return nil }
func (p *probeScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	if m, ok := msg.(probeMsg); ok {
		p.got = append(p.got, string(m))
		p.seen.Store(string(m), true)
	}
	return p, nil
}
func (p *probeScreen) View() string              { return strings.Join(p.got, " ") }
func (p *probeScreen) Title() string             { return "probe" }
func (p *probeScreen) ShortHelp() []key.Binding  { return nil }
func (p *probeScreen) FullHelp() [][]key.Binding { return nil }
func (p *probeScreen) delivered(names ...string) bool {
	for _, n := range names {
		if _, ok := p.seen.Load(n); !ok {
			return false
		}
	}
	return true
}

// goroutineID is the number of the goroutine it runs on, from its stack's
// first line ("goroutine 12 [running]:").
func goroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	id, _, _ := strings.Cut(strings.TrimPrefix(string(buf), "goroutine "), " ")
	return id
}

// Live, the commands of a sequence run one after another on one goroutine,
// each message delivered before the next command starts; a batch inside
// it ends before the sequence goes on.
func TestLiveDriverRunsASequenceInOrder(t *testing.T) {
	p := &probeScreen{}
	d := newLiveDriver(t, p)
	var mu sync.Mutex
	ran := map[string]string{}     // command -> goroutine
	sawBefore := map[string]bool{} // command -> the earlier messages were delivered when it started
	step := func(name string, earlier ...string) tea.Cmd {
		return func() tea.Msg {
			mu.Lock()
			ran[name], sawBefore[name] = goroutineID(), p.delivered(earlier...)
			mu.Unlock()
			return probeMsg(name)
		}
	}
	d.run(tea.Sequence(
		step("first"),
		step("second", "first"),
		tea.Batch(step("batch-a", "first", "second"), step("batch-b", "first", "second")),
		step("last", "first", "second", "batch-a", "batch-b"),
	))
	d.idle()
	if len(p.got) != 5 || p.got[0] != "first" || p.got[1] != "second" || p.got[4] != "last" {
		t.Fatalf("messages delivered as %v, want first, second, the batch, last", p.got)
	}
	mu.Lock()
	defer mu.Unlock()
	for name, ok := range sawBefore {
		if !ok {
			t.Errorf("%q started before the messages before it were delivered", name)
		}
	}
	if ran["first"] != ran["second"] || ran["second"] != ran["last"] {
		t.Errorf("the sequence ran on goroutines %s, %s and %s, want one", ran["first"], ran["second"], ran["last"])
	}
}
