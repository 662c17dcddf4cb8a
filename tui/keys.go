package tui

import "charm.land/bubbles/v2/key"

// KeyMap is the app's one set of key bindings. Screens pick the bindings
// they use for their footer help; nothing here is mutated after start.
type KeyMap struct {
	Up, Down, Enter, Back, Quit, Help   key.Binding
	Add, Reveal, Copy, Rename, Delete   key.Binding
	Breach, Refresh, Lock, Tab, Confirm key.Binding
	PageUp, PageDown, Home, End         key.Binding
	Cancel                              key.Binding
	// An mTLS entry's details: import a certificate, renew, check; a
	// JOSE entry's: upload, rotate (Renew), check, its public key.
	Import, Renew, Check key.Binding
	Upload, PublicKey    key.Binding
	// A personal token's or a user's details: the guided 2FA setup.
	SCA key.Binding
}

// DefaultKeyMap returns the bindings. Space is "space" in Bubble Tea v2.
func DefaultKeyMap() *KeyMap {
	return &KeyMap{
		Up:        key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:      key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Enter:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Quit:      key.NewBinding(key.WithKeys("ctrl+c", "q"), key.WithHelp("q", "quit")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "more keys")),
		Add:       key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "add credential")),
		Reveal:    key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "reveal")),
		Copy:      key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy")),
		Rename:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "rename")),
		Delete:    key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "delete")),
		Breach:    key.NewBinding(key.WithKeys("B"), key.WithHelp("B", "breach")),
		Refresh:   key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "refresh now")),
		Lock:      key.NewBinding(key.WithKeys("L"), key.WithHelp("L", "lock")),
		Tab:       key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next field")),
		Confirm:   key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes")),
		Cancel:    key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n/esc", "no")),
		PageUp:    key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown:  key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
		Home:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first")),
		End:       key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last")),
		Import:    key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "import cert")),
		Renew:     key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "renew")),
		Check:     key.NewBinding(key.WithKeys("k"), key.WithHelp("k", "check mTLS")),
		Upload:    key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "upload")),
		PublicKey: key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "public key")),
		SCA:       key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "2FA setup")),
	}
}
