package tui

import (
	"context"
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"
)

// Screen is one page of the app. Screens are values the App keeps on a
// stack; the top one gets every message the App does not handle itself.
type Screen interface {
	// Init starts the screen's commands when it is pushed.
	Init() tea.Cmd
	// Update handles a message and returns the (possibly new) screen.
	Update(msg tea.Msg) (Screen, tea.Cmd)
	// View renders the content area, which is Common.Width wide and
	// Common.BodyHeight() tall.
	View() string
	// Title names the screen in the header.
	Title() string
	// help.KeyMap gives the keys shown in the footer for this screen.
	help.KeyMap
}

// Common is what every screen shares: the unlocked wallet's use cases,
// the styles and keys, the size, and the clock. Screens hold a pointer to
// the App's one Common, so a resize or a theme change reaches all of them.
type Common struct {
	// Ctx is the context of the current session. A lock cancels it and
	// starts the next session, so a command started before the lock stops
	// its network call, wallet lock or wait at once instead of holding on
	// into the next unlock. Take it on the UI goroutine when a command
	// starts (commands never read Common later).
	Ctx    context.Context
	Svc    Backend
	Styles *Styles
	Keys   *KeyMap
	Width  int
	Height int
	// Now is the clock; tests fix it.
	Now func() time.Time
	// Env is what the program learned at start: demo mode, the wallet
	// location, whether a clipboard exists.
	Env Environment

	// base is the App's context; each session's Ctx derives from it.
	base      context.Context
	cancelCtx context.CancelFunc
	// session counts the sessions (it moves on at every lock). Answers of
	// SessionCmd commands carry the session they were started in, so the
	// App can drop those from before a lock.
	session int
	// clip copies secrets and clears them again (see clipboard.go).
	clip *clipboard
	// footerLines is how many lines the App's footer takes (toast plus
	// help, more while the full help is open).
	footerLines int
}

// NewCommon returns a Common with the default styles and keys, 80x24.
// The App makes one; tests make their own.
func NewCommon(ctx context.Context, svc Backend, now func() time.Time, env Environment) *Common {
	if now == nil {
		now = time.Now
	}
	if ctx == nil {
		ctx = context.Background()
	}
	c := &Common{Svc: svc, Styles: NewStyles(true), Keys: DefaultKeyMap(), Width: 80, Height: 24,
		Now: now, Env: env, base: ctx, clip: newClipboard(), footerLines: footerHeight}
	c.Ctx, c.cancelCtx = context.WithCancel(ctx)
	return c
}

// nextSession ends the current session, as a lock does: its context is
// cancelled, and answers of its commands that arrive later are dropped by
// the App (see sessionMsg). The new session serves the unlock screen and
// what follows it.
func (c *Common) nextSession() {
	c.cancelCtx()
	c.session++
	c.Ctx, c.cancelCtx = context.WithCancel(c.base)
}

// endSession cancels the current session's context for good (the app
// ends).
func (c *Common) endSession() { c.cancelCtx() }

// sessionMsg is the answer of a command started in session, delivered by
// the App only while that session lasts.
type sessionMsg struct {
	session int
	msg     tea.Msg
}

// SessionCmd makes cmd part of the current session: if the app locks
// before cmd answers, the answer is dropped rather than handed to the
// screens of the next session (which may even show the same entry).
// cmd must answer with one message of the app's own, not a batch, a
// sequence or a message for the Bubble Tea runtime: those would arrive
// wrapped, where the runtime does not look for them.
func (c *Common) SessionCmd(cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	session := c.session
	return func() tea.Msg {
		msg := cmd()
		if msg == nil {
			return nil
		}
		return sessionMsg{session: session, msg: msg}
	}
}

// WalletCmd runs fn with the unlocked wallet in a command of the current
// session (see SessionCmd). The service is taken now, on the UI
// goroutine, so the command never reads the screen or Common later (a
// lock may have dropped the wallet by then). Such commands run
// concurrently, like any others: the wallet is safe for concurrent use
// within the process (its Update and Reload take turns, readers see the
// last saved contents). What can wait (network, the wallet file's lock)
// should use Ctx, or a context derived from it, so that a lock ends it.
func (c *Common) WalletCmd(fn func(svc Backend) tea.Msg) tea.Cmd {
	svc := c.Svc
	if svc == nil {
		return nil
	}
	return c.SessionCmd(func() tea.Msg { return fn(svc) })
}

// Environment describes the program's surroundings, fixed at start.
type Environment struct {
	Demo         bool
	WalletPath   string
	DemoAPIURL   string // localwise base URL in demo mode
	DemoMTLSURL  string // localwise's mTLS listener in demo mode
	DemoUser     string // demo login for the authorize page
	DemoPassword string
	// The demo's localwise credentials, shown in the guided flows that ask
	// for them (they work only against that localwise).
	DemoPersonalToken, DemoClientID, DemoClientSecret string
	// DemoPassphrase unlocks the demo wallet; shown on its unlock screen.
	DemoPassphrase string
}

// BodyHeight is the height left for a screen between header and footer.
func (c *Common) BodyHeight() int {
	f := c.footerLines
	if f < footerHeight {
		f = footerHeight
	}
	h := c.Height - headerHeight - f
	if h < 1 {
		return 1
	}
	return h
}

// Navigation messages. A screen returns Push(next), Pop() or
// Replace(next) as a command; only the App changes the stack.
type (
	pushMsg    struct{ s Screen }
	popMsg     struct{}
	replaceMsg struct{ s Screen }
	// ToastMsg shows a one-line notice in the footer for a few seconds.
	ToastMsg struct {
		Text  string
		Error bool
	}
	toastExpiredMsg struct{ id int }
)

// Push opens s on top of the current screen.
func Push(s Screen) tea.Cmd { return func() tea.Msg { return pushMsg{s} } }

// Pop goes back to the previous screen.
func Pop() tea.Cmd { return func() tea.Msg { return popMsg{} } }

// Replace swaps the current screen for s (a wizard's next step).
func Replace(s Screen) tea.Cmd { return func() tea.Msg { return replaceMsg{s} } }

// Toast shows text in the footer.
func Toast(text string, isErr bool) tea.Cmd {
	return func() tea.Msg { return ToastMsg{Text: text, Error: isErr} }
}

// TickMsg is sent every second to the screen on top of the stack, so
// countdowns move. (The dashboard gets it too while it is covered, so due
// tokens are still refreshed on time.)
type TickMsg time.Time

// tick fires on the next whole second of the wall clock, so a countdown
// never skips or repeats a second the way a drifting 1 s timer would.
func tick() tea.Cmd {
	return tea.Every(time.Second, func(t time.Time) tea.Msg { return TickMsg(t) })
}

// WalletChanged tells the dashboard that a screen changed the wallet
// (added, renamed, removed an entry), so it shows the change at once
// instead of at its next check of the file.
func WalletChanged() tea.Cmd { return func() tea.Msg { return walletChangedMsg{} } }

// rootMsg is implemented by messages meant for the dashboard at the
// bottom of the stack, whichever screen is on top.
type rootMsg interface{ forRoot() }

type walletChangedMsg struct{}

func (walletChangedMsg) forRoot() {}
