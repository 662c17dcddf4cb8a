package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// confirmDialog is a yes/no question a screen shows inside its own view
// (delete, "I suspect a breach"). It is a component, not a Screen: the
// screen that owns it decides what "yes" does. "No" has the focus at
// first, and only y or an explicit move to "yes" confirms, so an enter
// pressed out of habit cannot destroy anything.
type confirmDialog struct {
	title    string
	lines    []string
	yes, no  string
	danger   bool
	focusYes bool
}

// confirmChoice is what a key did to the dialog.
type confirmChoice int

const (
	confirmPending confirmChoice = iota
	confirmYes
	confirmNo
)

func newConfirm(title string, lines []string, yes, no string, danger bool) confirmDialog {
	return confirmDialog{title: title, lines: lines, yes: yes, no: no, danger: danger}
}

var (
	confirmSwitch = key.NewBinding(key.WithKeys("left", "right", "tab", "shift+tab", "h", "l"), key.WithHelp("←/→", "choose"))
	confirmEnter  = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose"))
)

// Update handles one key.
func (d confirmDialog) Update(msg tea.KeyPressMsg, k *KeyMap) (confirmDialog, confirmChoice) {
	switch {
	case key.Matches(msg, k.Confirm):
		return d, confirmYes
	case key.Matches(msg, k.Cancel):
		return d, confirmNo
	case key.Matches(msg, confirmSwitch):
		d.focusYes = !d.focusYes
	case key.Matches(msg, confirmEnter):
		if d.focusYes {
			return d, confirmYes
		}
		return d, confirmNo
	}
	return d, confirmPending
}

// View renders the dialog as a box at most width cells wide.
func (d confirmDialog) View(st *Styles, width int) string {
	w := min(max(width-2, 20), 76)
	title := st.Title.Render(d.title)
	if d.danger {
		title = st.Error.Bold(true).Render(d.title)
	}
	yes, no := st.Button.Render(d.yes+" (y)"), st.Button.Render(d.no+" (n)")
	if d.focusYes {
		yes = st.ButtonOn.Render(d.yes + " (y)")
	} else {
		no = st.ButtonOn.Render(d.no + " (n)")
	}
	body := title + "\n\n" + strings.Join(d.lines, "\n") + "\n\n" + lipgloss.JoinHorizontal(lipgloss.Top, no, "  ", yes)
	border := st.Box
	if d.danger {
		border = border.BorderForeground(st.Bad)
	}
	return border.Width(w).Render(body)
}

// ShortHelp lists the dialog's keys.
func (d confirmDialog) ShortHelp(k *KeyMap) []key.Binding {
	return []key.Binding{
		key.NewBinding(key.WithKeys("y"), key.WithHelp("y", strings.ToLower(d.yes))),
		key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n/esc", strings.ToLower(d.no))),
		confirmSwitch,
	}
}
