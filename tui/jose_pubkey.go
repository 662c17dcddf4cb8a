package tui

// A JOSE entry's public key (p on its details), in the three forms people
// are asked for: the JWK a JOSE library takes, the PEM of openssl and most
// tools, and the base64 DER that Wise's upload carries. It is not secret:
// c copies it, tab shows the next form.

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/wisewallet/wisewallet/flows"
)

// pubFormat is one form of a public key.
type pubFormat struct{ id, label, why string }

var pubFormats = []pubFormat{
	{"jwk", "JWK", "the JSON form a JOSE library takes"},
	{"pem", "PEM", "for openssl and most other tools"},
	{"der", "base64 DER", "what Wise's upload carries as keyMaterial"},
}

type josePublicKey struct {
	c      *Common
	e      flows.EntryView
	format int
	texts  map[string]string
	err    error
	loaded bool
	top    int // the first line shown when the key is taller than the room
}

type (
	pubKeysMsg struct {
		entry string
		texts map[string]string
		err   error
	}
	pubCopiedMsg struct {
		label string
		err   error
	}
)

func newJOSEPublicKey(c *Common, e flows.EntryView) *josePublicKey {
	return &josePublicKey{c: c, e: e}
}

// Init reads the key in every form at once: tab then only shows another.
func (s *josePublicKey) Init() tea.Cmd {
	name := s.e.Name
	return s.c.WalletCmd(func(svc Backend) tea.Msg {
		texts := map[string]string{}
		for _, f := range pubFormats {
			b, err := svc.JOSEPublicKey(name, f.id)
			if err != nil {
				return pubKeysMsg{entry: name, err: err}
			}
			texts[f.id] = strings.TrimSpace(string(b))
		}
		return pubKeysMsg{entry: name, texts: texts}
	})
}

func (s *josePublicKey) Update(msg tea.Msg) (Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case pubKeysMsg:
		if msg.entry == s.e.Name {
			s.texts, s.err, s.loaded = msg.texts, msg.err, true
		}
		return s, nil
	case pubCopiedMsg:
		if msg.err != nil {
			return s, Toast("There is no clipboard here (no display, or none of wl-copy, xclip, xsel). The key stays on screen: select it with the mouse.", true)
		}
		return s, Toast("Copied the public key ("+msg.label+"). It is not secret.", false)
	case tea.KeyPressMsg:
		k := s.c.Keys
		switch {
		case key.Matches(msg, k.Back):
			return s, Pop()
		case key.Matches(msg, k.Tab):
			s.format, s.top = (s.format+1)%len(pubFormats), 0
		case key.Matches(msg, k.Down), key.Matches(msg, k.PageDown):
			s.top++
		case key.Matches(msg, k.Up), key.Matches(msg, k.PageUp):
			s.top = max(s.top-1, 0)
		case key.Matches(msg, k.Copy) && s.loaded && s.err == nil:
			f := pubFormats[s.format]
			text, clip := s.texts[f.id], s.c.clip
			return s, s.c.SessionCmd(func() tea.Msg { return pubCopiedMsg{label: f.label, err: clip.CopyText(text)} })
		case key.Matches(msg, k.Lock):
			return s, Lock()
		}
	}
	return s, nil
}

func (s *josePublicKey) View() string {
	st := s.c.Styles
	w := max(s.c.Width, 20)
	e := s.e
	head := st.Title.Render("Public key of "+e.Name) + "  " + st.Badge(string(e.Env.Name))
	var tabs []string
	for i, f := range pubFormats {
		if i == s.format {
			tabs = append(tabs, st.Selected.Render("["+f.label+"]"))
		} else {
			tabs = append(tabs, st.Subtle.Render(" "+f.label+" "))
		}
	}
	f := pubFormats[s.format]
	lines := []string{
		truncate(head, w),
		truncate(st.Subtle.Render(fmt.Sprintf("%s · %s · key id %s", useWord(joseUse(e)), orNone(e.Algorithm, "-"), orNone(e.KeyID, "-"))), w),
		"",
		strings.Join(tabs, " ") + "  " + st.Hint.Render(truncate(f.why, max(w-30, 10))),
		"",
	}
	switch {
	case !s.loaded:
		lines = append(lines, st.Subtle.Render("Reading the key…"))
	case s.err != nil:
		lines = append(lines, strings.Split(renderProblem(s.c, problem{What: errText(s.err), Todo: "The key was not read; esc goes back."}), "\n")...)
	default:
		var key []string
		for _, l := range strings.Split(s.texts[f.id], "\n") {
			key = append(key, strings.Split(lipgloss.NewStyle().Width(w).Render(breakAll(l, w)), "\n")...)
		}
		room := max(s.c.BodyHeight()-len(lines)-2, 3)
		if len(key) > room {
			room--
			s.top = min(s.top, len(key)-room)
			shown := key[s.top : s.top+room]
			key = append(append([]string(nil), shown...), st.Subtle.Render(fmt.Sprintf("lines %d–%d of %d · ↑/↓ scroll · c copies it whole", s.top+1, s.top+room, len(key))))
		} else {
			s.top = 0
		}
		for _, l := range key {
			lines = append(lines, st.Value.Render(strings.TrimRight(l, " ")))
		}
		lines = append(lines, "", st.Hint.Render(truncate("Not secret: the private key stays sealed in the wallet.", w)))
	}
	return strings.Join(lines, "\n")
}

// breakAll cuts a line without spaces (base64, a JWK) into pieces of w
// cells, so wrapping keeps every character.
func breakAll(s string, w int) string {
	if w < 1 || strings.Contains(s, " ") {
		return s
	}
	r := []rune(s)
	var parts []string
	for len(r) > w {
		parts = append(parts, string(r[:w]))
		r = r[w:]
	}
	return strings.Join(append(parts, string(r)), "\n")
}

func (s *josePublicKey) Title() string { return "Public key" }

func (s *josePublicKey) ShortHelp() []key.Binding {
	k := s.c.Keys
	return []key.Binding{
		key.NewBinding(key.WithKeys(k.Tab.Keys()...), key.WithHelp("tab", "next form")),
		key.NewBinding(key.WithKeys(k.Copy.Keys()...), key.WithHelp("c", "copy")),
		k.Back,
	}
}

func (s *josePublicKey) FullHelp() [][]key.Binding {
	k := s.c.Keys
	return [][]key.Binding{s.ShortHelp(), {k.Up, k.Down, k.Lock}}
}
