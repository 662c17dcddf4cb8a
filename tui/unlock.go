package tui

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
)

// unlock asks for the wallet passphrase. The input is masked, the typed
// value goes to UnlockFunc in a command (the KDF is slow on purpose) and
// is dropped from the input at once, whatever the outcome.
type unlock struct {
	c        *Common
	fn       UnlockFunc
	input    textinput.Model
	busy     bool
	frame    int
	failures int
	err      string // why the last attempt failed, for the user
	fatal    bool   // retrying cannot help (damaged file, no wallet)
}

// unlockFailedMsg reports a failed attempt; the error never holds the
// passphrase (wallet errors name the file, not the input).
type unlockFailedMsg struct{ err error }

var spinnerFrames = [...]string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

const maxPassphrase = 1024

func newUnlock(c *Common, fn UnlockFunc) Screen {
	in := textinput.New()
	in.Prompt = ""
	in.Placeholder = "wallet passphrase"
	in.EchoMode = textinput.EchoPassword
	in.EchoCharacter = '•'
	in.CharLimit = maxPassphrase
	in.SetWidth(32)
	st := textinput.DefaultStyles(c.Styles.IsDark)
	// A blinking cursor would wake the program twice a second for nothing
	// (and make golden views depend on timing).
	st.Cursor.Blink = false
	in.SetStyles(st)
	in.Focus()
	return unlock{c: c, fn: fn, input: in}
}

func (s unlock) Init() tea.Cmd { return nil }

// CapturesText: every printable key is part of the passphrase, q and ?
// included.
func (s unlock) CapturesText() bool { return true }

func (s unlock) Update(msg tea.Msg) (Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.BackgroundColorMsg:
		st := textinput.DefaultStyles(msg.IsDark())
		st.Cursor.Blink = false
		s.input.SetStyles(st)
		return s, nil
	case TickMsg:
		if s.busy {
			s.frame++
		}
		return s, nil
	case unlockFailedMsg:
		s.busy = false
		s.failures++
		s.err, s.fatal = unlockProblem(msg.err, s.c.Env.WalletPath)
		return s, nil
	case tea.KeyPressMsg:
		if s.busy {
			return s, nil // one attempt at a time; keys typed meanwhile are dropped
		}
		if key.Matches(msg, s.c.Keys.Enter) {
			return s.submit()
		}
	}
	if s.busy {
		return s, nil
	}
	var cmd tea.Cmd
	s.input, cmd = s.input.Update(msg)
	return s, cmd
}

func (s unlock) submit() (Screen, tea.Cmd) {
	if s.input.Value() == "" {
		s.err, s.fatal = "Type the wallet passphrase, then press enter.", false
		return s, nil
	}
	if s.fn == nil {
		s.err, s.fatal = "This wallet cannot be unlocked here; restart wisewallet.", true
		return s, nil
	}
	pass := crypto.SecretString(s.input.Value())
	s.input.Reset()
	s.busy, s.err, s.frame = true, "", 0
	fn, ctx := s.fn, s.c.Ctx
	return s, func() tea.Msg {
		svc, err := fn(ctx, pass)
		if err != nil {
			return unlockFailedMsg{err}
		}
		return unlockedMsg{svc}
	}
}

// unlockProblem turns an unlock error into what the user should know and
// do; fatal means typing again cannot help.
func unlockProblem(err error, path string) (msg string, fatal bool) {
	where := "The wallet"
	if path != "" {
		where = "The wallet at " + path
	}
	switch {
	case errors.Is(err, flows.ErrWrongPassphrase):
		return "Wrong passphrase or altered file. Try again.", false
	case errors.Is(err, flows.ErrDamaged), errors.Is(err, flows.ErrNotWallet), errors.Is(err, flows.ErrUnsupportedVersion):
		return fmt.Sprintf("%s cannot be read: %v.\nThe file was not changed. Restore it from a backup, or move it aside and create a new wallet.", where, err), true
	case errors.Is(err, flows.ErrNoWallet):
		return "There is no wallet yet. Quit (ctrl+c) and create one on the command line, or try the demo there.", true
	case errors.Is(err, flows.ErrWalletBusy):
		return "Another wisewallet process is saving the wallet. Press enter to try again.", false
	case errors.Is(err, flows.ErrUnsafeWallet):
		return fmt.Sprintf("%v", err), true
	}
	return fmt.Sprintf("Could not unlock: %v", err), false
}

func (s unlock) View() string {
	st := s.c.Styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Unlock the wallet"))
	b.WriteString("\n")
	if s.c.Env.WalletPath != "" {
		b.WriteString(st.Subtle.Render(s.c.Env.WalletPath))
		b.WriteString("\n")
	}
	b.WriteString("\n")
	b.WriteString(st.Label.Render("Passphrase  "))
	b.WriteString(s.input.View())
	b.WriteString("\n\n")
	switch {
	case s.busy:
		b.WriteString(st.Hint.Render(spinnerFrames[s.frame%len(spinnerFrames)] + " Unlocking… (the key derivation is slow on purpose)"))
	case s.err != "":
		msg := s.err
		if s.failures > 1 && !s.fatal {
			msg += fmt.Sprintf(" (%d failed attempts)", s.failures)
		}
		b.WriteString(st.Error.Render(msg))
	default:
		b.WriteString(st.Hint.Render("Press enter to unlock. The passphrase is never shown or stored."))
	}
	if s.c.Env.Demo && s.c.Env.DemoPassphrase != "" {
		b.WriteString("\n\n" + st.Subtle.Render("Demo wallet passphrase: "+s.c.Env.DemoPassphrase))
	}
	boxW := min(max(s.c.Width-4, 20), 72)
	box := st.Box.Width(boxW).Render(b.String())
	return lipgloss.Place(s.c.Width, s.c.BodyHeight(), lipgloss.Center, lipgloss.Center, box)
}

func (s unlock) Title() string { return "Unlock" }

func (s unlock) ShortHelp() []key.Binding {
	return []key.Binding{
		key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "unlock")),
		key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
	}
}

func (s unlock) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }
