package tui

// A JOSE entry's details: u uploads its public key, n rotates it, k tries
// it on Wise's playground (each the guided flow opened part-way), p shows
// its public key. Its private key is neither shown nor copied.

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/wisewallet/wisewallet/flows"
)

// joseKeptText is why a JOSE private key is neither shown nor copied.
const joseKeptText = "A JOSE private key never leaves the wallet: it is not shown or copied. wisewallet signs and decrypts with it itself; p shows the public key."

// noClientText is said of a key that serves no OAuth client: it has no
// token to be uploaded with, nor a client whose calls it makes.
func noClientText(e flows.EntryView) string {
	return e.Name + " serves no OAuth client, so there is no token to upload it with or call Wise's playground. Set up JOSE from the client: a, then JOSE keys."
}

// joseKey is u, n, k or p on a JOSE entry.
func (s details) joseKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := s.c.Keys
	e := s.e
	switch {
	case key.Matches(msg, k.Upload) && e.LinkedTo == "":
		return Toast(noClientText(e), true), true
	case key.Matches(msg, k.Upload) && e.Uploaded:
		return Toast(e.Name+" is uploaded to Wise already: k tries it on Wise's playground, n rotates it.", false), true
	case key.Matches(msg, k.Upload):
		return Push(newJOSEEntryFlow(s.c, e, joseUploadOne)), true
	case key.Matches(msg, k.Renew) && e.PrevKeyID != "" && e.PrevRetiresAt != nil && s.now.Before(*e.PrevRetiresAt):
		// One overlap at a time: a second rotation would wipe the old key
		// while Wise may still use it.
		return Toast(fmt.Sprintf("%s is rotating already: its old key works until %s. Rotate it again after that.", e.Name, s.when(*e.PrevRetiresAt)), true), true
	case key.Matches(msg, k.Renew):
		return Push(newJOSEEntryFlow(s.c, e, joseRotation)), true
	case key.Matches(msg, k.Check) && e.LinkedTo == "":
		return Toast(noClientText(e), true), true
	case key.Matches(msg, k.Check) && !e.Uploaded:
		return Toast(fmt.Sprintf("%s is not uploaded to Wise yet, so Wise cannot take it: u uploads it, then tries it.", e.Name), true), true
	case key.Matches(msg, k.Check):
		return Push(newJOSEEntryFlow(s.c, e, joseCheckOnly)), true
	case key.Matches(msg, k.PublicKey):
		return Push(newJOSEPublicKey(s.c, e)), true
	}
	return nil, false
}

// joseHelp: a JOSE entry's own keys first; its key is not revealed. The
// last three are delete, back and help (FullHelp cuts them off).
func (s details) joseHelp() []key.Binding {
	k := s.c.Keys
	var out []key.Binding
	if !s.e.Uploaded {
		out = append(out, k.Upload)
	}
	out = append(out,
		key.NewBinding(key.WithKeys(k.Check.Keys()...), key.WithHelp("k", "check")),
		key.NewBinding(key.WithKeys(k.Renew.Keys()...), key.WithHelp("n", "rotate")),
		k.PublicKey)
	return append(out, k.Delete, k.Back, k.Help)
}
