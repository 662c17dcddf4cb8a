package tui

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/wisewallet/wisewallet/crypto"
)

const (
	headerHeight = 2
	footerHeight = 2
	toastTime    = 4 * time.Second
	// DefaultAutoLock is how long the app waits without a key press
	// before it locks.
	DefaultAutoLock = 5 * time.Minute
	// appFPS caps redraws. The renderer wakes this often even when nothing
	// changed; 30 is smooth for typing and halves the idle wake-ups of the
	// default 60 (the dashboard itself changes once a second).
	appFPS = 30
)

// ErrInterrupted is what Run returns when the user pressed ctrl+c; the
// command line maps it to exit code 130.
var ErrInterrupted = errors.New("interrupted")

// UnlockFunc opens the wallet with a typed passphrase. It runs in a
// command, never in Update, because the KDF takes a noticeable fraction of
// a second.
type UnlockFunc func(ctx context.Context, passphrase crypto.Secret) (Backend, error)

// Options configure the app.
type Options struct {
	// Service is an already unlocked wallet (keyring slot, demo); nil
	// starts on the unlock screen, which calls Unlock.
	Service Backend
	Unlock  UnlockFunc
	Env     Environment
	// AutoLock locks the app after this long without a key press (0: never).
	// Locking needs Unlock: without it the app cannot be unlocked again,
	// so it does not lock.
	AutoLock time.Duration
	Now      func() time.Time
}

// App is the root model: a stack of screens with a shared header, footer,
// help and notices.
type App struct {
	c         *Common
	opts      Options
	stack     []Screen
	help      help.Model
	toast     ToastMsg
	toastID   int
	lastInput time.Time
	// noTimers leaves out the clock tick and the notice timeout, so a
	// test can run every other command synchronously to its end.
	noTimers bool
}

var _ tea.Model = App{}

// New builds the app. The first screen is the unlock screen, or the
// dashboard when opts.Service is already unlocked.
func New(ctx context.Context, opts Options) App {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c := NewCommon(ctx, opts.Service, opts.Now, opts.Env)
	a := App{c: c, opts: opts, help: help.New(), lastInput: opts.Now()}
	a.help.Styles = c.Styles.Help
	a.help.SetWidth(c.Width)
	if opts.Service != nil {
		a.stack = []Screen{newDashboard(c)}
	} else {
		a.stack = []Screen{newUnlock(c, opts.Unlock)}
	}
	return a
}

// Init implements tea.Model.
func (a App) Init() tea.Cmd {
	return tea.Batch(tea.RequestBackgroundColor, a.tick(), a.top().Init())
}

func (a App) tick() tea.Cmd {
	if a.noTimers {
		return nil
	}
	return tick()
}

func (a App) top() Screen { return a.stack[len(a.stack)-1] }

// textCapturer is implemented by screens with a focused text input, so
// that typed letters are not taken as app-wide shortcuts.
type textCapturer interface{ CapturesText() bool }

func (a App) capturesText() bool {
	tc, ok := a.top().(textCapturer)
	return ok && tc.CapturesText()
}

// Update implements tea.Model.
func (a App) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	a, cmd := a.update(msg)
	a.syncFooter()
	return a, cmd
}

func (a App) update(msg tea.Msg) (App, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		a.c.Width, a.c.Height = msg.Width, msg.Height
		a.help.SetWidth(msg.Width)
		a.syncFooter()
		return a.forwardAll(msg)
	case tea.BackgroundColorMsg:
		*a.c.Styles = *NewStyles(msg.IsDark())
		a.help.Styles = a.c.Styles.Help
		return a.forwardAll(msg)
	case tea.KeyPressMsg:
		a.lastInput = a.opts.Now()
		switch {
		case msg.String() == "ctrl+c":
			return a, tea.Interrupt
		case key.Matches(msg, a.c.Keys.Help) && !a.capturesText():
			a.help.ShowAll = !a.help.ShowAll
			return a, nil
		case key.Matches(msg, a.c.Keys.Quit) && !a.capturesText() && len(a.stack) == 1:
			return a, tea.Quit
		}
		return a.forward(msg)
	case tea.PasteMsg:
		a.lastInput = a.opts.Now()
		return a.forward(msg)
	case TickMsg:
		if a.shouldAutoLock() {
			return a.lock("Locked after inactivity.")
		}
		a2, cmd := a.forward(msg)
		cmds := []tea.Cmd{cmd, a2.tick()}
		if len(a2.stack) > 1 {
			// A covered dashboard still renews tokens on time.
			var rc tea.Cmd
			a2, rc = a2.forwardRoot(msg)
			cmds = append(cmds, rc)
		}
		return a2, tea.Batch(cmds...)
	case sessionMsg:
		if msg.session != a.c.session {
			// The answer of a command started before a lock: the screens it
			// was for are gone, and those of this session must not take it
			// for theirs.
			return a, nil
		}
		return a.update(msg.msg)
	case scaMsg:
		return a.challenge(msg)
	case rootMsg:
		return a.forwardRoot(msg)
	case lockMsg:
		return a.lock("Locked.")
	case unlockedMsg:
		a.c.Svc = msg.svc
		a.lastInput = a.opts.Now()
		a.stack = []Screen{newDashboard(a.c)}
		return a, a.top().Init()
	case pushMsg:
		a.stack = append(a.stack, msg.s)
		return a, msg.s.Init()
	case popMsg:
		if len(a.stack) > 1 {
			leaveAll(a.stack[len(a.stack)-1:])
			a.stack = a.stack[:len(a.stack)-1]
		}
		return a, nil
	case replaceMsg:
		a.stack[len(a.stack)-1] = msg.s
		return a, msg.s.Init()
	case ToastMsg:
		a.toastID++
		a.toast = msg
		id := a.toastID
		if a.noTimers {
			return a, nil
		}
		return a, tea.Tick(toastTime, func(time.Time) tea.Msg { return toastExpiredMsg{id} })
	case toastExpiredMsg:
		if msg.id == a.toastID {
			a.toast = ToastMsg{}
		}
		return a, nil
	}
	return a.forward(msg)
}

func (a App) forward(msg tea.Msg) (App, tea.Cmd) {
	s, cmd := a.top().Update(msg)
	a.stack[len(a.stack)-1] = s
	return a, cmd
}

// forwardRoot hands msg to the dashboard at the bottom of the stack (its
// background work answers there even while another screen is on top).
func (a App) forwardRoot(msg tea.Msg) (App, tea.Cmd) {
	if _, ok := a.stack[0].(dashboard); !ok {
		return a, nil
	}
	s, cmd := a.stack[0].Update(msg)
	a.stack[0] = s
	return a, cmd
}

// forwardAll hands msg (a resize, a theme change) to every screen, so a
// screen uncovered later is laid out for the current terminal.
func (a App) forwardAll(msg tea.Msg) (App, tea.Cmd) {
	cmds := make([]tea.Cmd, len(a.stack))
	for i, s := range a.stack {
		a.stack[i], cmds[i] = s.Update(msg)
	}
	return a, tea.Batch(cmds...)
}

// syncFooter tells the screens how much room the footer takes, which
// grows while the full help is open.
func (a App) syncFooter() {
	n := footerHeight
	if a.help.ShowAll {
		n = 1 + lipgloss.Height(a.help.View(a.top()))
	}
	a.c.footerLines = n
}

// lockMsg asks the app to lock now (the L key).
type lockMsg struct{}

// Lock is the command screens return to lock the wallet.
func Lock() tea.Cmd { return func() tea.Msg { return lockMsg{} } }

// unlockedMsg carries the unlocked wallet from the unlock screen.
type unlockedMsg struct{ svc Backend }

func (a App) shouldAutoLock() bool {
	return a.opts.AutoLock > 0 && a.opts.Unlock != nil && a.c.Svc != nil && a.opts.Now().Sub(a.lastInput) >= a.opts.AutoLock
}

// lock forgets the unlocked wallet and every screen that saw it, so no
// revealed secret survives, and clears a secret it put on the clipboard.
// It ends the session too: what its commands still run (a refresh, a
// file check, a login) is cancelled, and their answers are dropped.
func (a App) lock(why string) (App, tea.Cmd) {
	if a.opts.Unlock == nil {
		return a, Toast("This wallet was opened without a passphrase, so it cannot be locked here.", true)
	}
	a.c.nextSession()
	a.c.Svc = nil
	a.help.ShowAll = false
	leaveAll(a.stack)
	a.stack = []Screen{newUnlock(a.c, a.opts.Unlock)}
	clip := a.c.clip
	return a, tea.Batch(a.top().Init(), Toast(why, false), func() tea.Msg { clip.ClearPending(); return nil })
}

// View implements tea.Model.
func (a App) View() tea.View {
	st := a.c.Styles
	w := a.c.Width
	title := st.Header.Render("wisewallet") + st.Subtle.Render(" · ") + st.Title.Render(a.top().Title())
	if a.c.Env.Demo {
		title += st.Subtle.Render(" · demo: localwise, throwaway wallet")
	}
	header := lipgloss.NewStyle().MaxWidth(w).Render(title) + "\n" + st.Subtle.Render(strings.Repeat("─", max(w, 1)))
	bh := a.c.BodyHeight()
	body := lipgloss.NewStyle().Width(w).Height(bh).MaxHeight(bh).Render(a.top().View())
	var footer string
	switch {
	case a.toast.Text != "" && a.toast.Error:
		footer = st.ToastErr.MaxWidth(w).Render(a.toast.Text)
	case a.toast.Text != "":
		footer = st.Toast.MaxWidth(w).Render(a.toast.Text)
	}
	// bubbles' help adds an item that does not fit when no ellipsis fits
	// either (at 63 to 65 columns on the dashboard): cut it at the width.
	helpView := lipgloss.NewStyle().MaxWidth(w).Render(a.help.View(a.top()))
	v := tea.NewView(header + "\n" + body + "\n" + footer + "\n" + helpView)
	// The alternate screen keeps secrets out of the scrollback on exit.
	v.AltScreen = true
	v.WindowTitle = "wisewallet"
	return v
}

// Run runs the app until the user quits, drawing on out (stderr, so that
// stdout stays clean for data). ctrl+c returns ErrInterrupted. A secret
// still on the clipboard when the app ends is cleared.
func Run(ctx context.Context, opts Options, in io.Reader, out io.Writer) error {
	app := New(ctx, opts)
	defer app.c.clip.ClearPending()
	// Commands still running when the program ends (a refresh) stop.
	defer app.c.endSession()
	p := tea.NewProgram(app, tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out), tea.WithFPS(appFPS))
	_, err := p.Run()
	switch {
	case errors.Is(err, tea.ErrInterrupted):
		return ErrInterrupted
	case errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil:
		return ctx.Err()
	}
	return err
}

// leaver is implemented by screens that run something in the background
// (a login's listener, a check): Leave stops it. The App calls it on every
// screen it drops, so a lock ends a pending login at once instead of at
// its timeout.
type leaver interface{ Leave() }

func leaveAll(screens []Screen) {
	for _, s := range screens {
		if l, ok := s.(leaver); ok {
			l.Leave()
		}
	}
}
