package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
)

// details shows one entry: its description (flows.EntryView.Describe),
// the secrets masked until v reveals the selected one, and the actions on
// it (copy, rename, delete, "I suspect a breach"). The entry comes as a
// view without secret values; a revealed secret is asked for (Reveal) and
// lives only in this screen's state: leaving the screen (or a lock) drops
// it.
type details struct {
	c        *Common
	e        flows.EntryView
	fields   []string // secret field names, sorted
	sel      int
	revealed bool
	clear    crypto.Secret // the revealed secret's value
	mode     detailsMode
	rename   textinput.Model
	confirm  confirmDialog
	busy     bool
	err      string
	advice   []string // after a breach: where to revoke at Wise
	wiped    int
	scroll   int
	now      time.Time
}

type detailsMode int

const (
	modeView detailsMode = iota
	modeRename
	modeConfirmDelete
	modeConfirmBreach
	modeBreached
)

// Results of the details actions.
type (
	renamedMsg      struct{ from, to string }
	removedMsg      struct{ name string }
	breachedMsg     struct{ e flows.EntryView }
	actionFailedMsg struct{ err error }
	copiedMsg       struct {
		field string
		err   error
	}
)

func newDetails(c *Common, e flows.EntryView) Screen {
	in := textinput.New()
	in.Prompt = ""
	in.CharLimit = 64
	in.SetWidth(40)
	st := textinput.DefaultStyles(c.Styles.IsDark)
	st.Cursor.Blink = false
	in.SetStyles(st)
	return details{c: c, e: e, fields: secretNames(e), rename: in, now: c.Now()}
}

func secretNames(e flows.EntryView) []string {
	out := make([]string, len(e.Secrets))
	for i, s := range e.Secrets {
		out[i] = s.Name
	}
	return out
}

func (s details) Init() tea.Cmd { return nil }

// CapturesText while the new name is typed.
func (s details) CapturesText() bool { return s.mode == modeRename }

func (s details) Update(msg tea.Msg) (Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case TickMsg:
		s.now = s.c.Now()
		return s, nil
	case entriesChangedMsg:
		// The dashboard renewed a token or another process changed the
		// wallet: show the entry as it is now.
		for _, e := range msg.entries {
			if e.Name != s.e.Name {
				continue
			}
			selected := ""
			if s.sel < len(s.fields) {
				selected = s.fields[s.sel]
			}
			s.e, s.fields, s.sel = e, secretNames(e), 0
			found := false
			for i, f := range s.fields {
				if f == selected {
					s.sel, found = i, true
				}
			}
			// Never let a reveal move on to another secret, and show the
			// value as it is now (a renewal changes it).
			s.revealed = s.revealed && found
			s.clear = crypto.Secret{}
			if s.revealed {
				s.revealed, s.clear = s.reveal(selected)
			}
			break
		}
		return s, nil
	case renamedMsg:
		s.busy, s.mode, s.err = false, modeView, ""
		s.e.Name = msg.to
		return s, tea.Batch(WalletChanged(), Toast(fmt.Sprintf("Renamed %s to %s.", msg.from, msg.to), false))
	case removedMsg:
		return s, tea.Batch(Pop(), WalletChanged(), Toast(fmt.Sprintf("Deleted %s from this wallet.", msg.name), false))
	case breachedMsg:
		s.busy, s.mode, s.err = false, modeBreached, ""
		s.wiped = len(s.fields)
		s.e, s.fields, s.sel, s.revealed, s.clear = msg.e, secretNames(msg.e), 0, false, crypto.Secret{}
		s.advice = revokeLines(msg.e.RevokeAdvice())
		return s, WalletChanged()
	case actionFailedMsg:
		s.busy = false
		s.err = msg.err.Error()
		if s.mode != modeRename {
			s.mode = modeView
		}
		return s, nil
	case copiedMsg:
		if msg.err != nil {
			return s, Toast(msg.err.Error(), true)
		}
		return s, Toast(fmt.Sprintf("Copied %s. The clipboard is cleared in %d s if it still holds it.", msg.field, int(s.c.clip.clearAfter/time.Second)), false)
	case tea.KeyPressMsg:
		if s.busy {
			return s, nil
		}
		return s.key(msg)
	case tea.PasteMsg:
		if s.mode == modeRename {
			var cmd tea.Cmd
			s.rename, cmd = s.rename.Update(msg)
			return s, cmd
		}
	}
	return s, nil
}

func (s details) key(msg tea.KeyPressMsg) (Screen, tea.Cmd) {
	k := s.c.Keys
	switch s.mode {
	case modeRename:
		switch {
		case key.Matches(msg, k.Back):
			s.mode, s.err = modeView, ""
			s.rename.Blur()
			return s, nil
		case key.Matches(msg, k.Enter):
			return s.submitRename()
		}
		var cmd tea.Cmd
		s.rename, cmd = s.rename.Update(msg)
		return s, cmd
	case modeConfirmDelete, modeConfirmBreach:
		var choice confirmChoice
		s.confirm, choice = s.confirm.Update(msg, k)
		switch choice {
		case confirmNo:
			s.mode = modeView
		case confirmYes:
			return s.runConfirmed()
		}
		return s, nil
	case modeBreached:
		if key.Matches(msg, k.Back) || key.Matches(msg, k.Enter) {
			return s, Pop()
		}
		return s, nil
	}
	if s.e.Kind == flows.KindMTLS {
		// Before the moves: k is the check here, not vi's up.
		if cmd, ok := s.mtlsKey(msg); ok {
			return s, cmd
		}
	}
	if s.e.Kind == flows.KindJOSE {
		if cmd, ok := s.joseKey(msg); ok {
			return s, cmd
		}
	}
	switch {
	case key.Matches(msg, k.Back):
		return s, Pop()
	case key.Matches(msg, k.SCA) && actsAsUser(s.e):
		return s, Push(newSCAEntryFlow(s.c, s.e))
	case key.Matches(msg, k.Up):
		if s.sel > 0 {
			s.sel--
			s.revealed, s.clear = false, crypto.Secret{}
		}
	case key.Matches(msg, k.Down):
		if s.sel < len(s.fields)-1 {
			s.sel++
			s.revealed, s.clear = false, crypto.Secret{}
		}
	case key.Matches(msg, k.PageUp):
		s.scroll = max(s.scroll-max(s.c.BodyHeight()/2, 1), 0)
	case key.Matches(msg, k.PageDown):
		s.scroll += max(s.c.BodyHeight()/2, 1)
	case key.Matches(msg, k.Reveal) && len(s.fields) > 0 && keptInWallet(s.e, s.fields[s.sel]):
		return s, Toast(keptTextOf(s.e), true)
	case key.Matches(msg, k.Copy) && len(s.fields) > 0 && keptInWallet(s.e, s.fields[s.sel]):
		return s, Toast(keptTextOf(s.e), true)
	case (key.Matches(msg, k.Reveal) || key.Matches(msg, k.Copy)) && len(s.fields) > 0 && flows.NeverShown(s.fields[s.sel]):
		return s, Toast(flows.NeverShownText, true)
	case key.Matches(msg, k.Reveal):
		switch {
		case len(s.fields) == 0:
		case s.revealed:
			s.revealed, s.clear = false, crypto.Secret{}
		default:
			s.revealed, s.clear = s.reveal(s.fields[s.sel])
			if !s.revealed {
				return s, Toast("That secret is no longer in the wallet.", true)
			}
			// The record is a file append: off the UI goroutine.
			svc, ctx, entry, field := s.c.Svc, s.c.Ctx, s.e.Name, s.fields[s.sel]
			return s, func() tea.Msg {
				svc.HandedOut(ctx, entry, field, "screen")
				return nil
			}
		}
	case key.Matches(msg, k.Copy):
		if len(s.fields) == 0 {
			return s, Toast("This entry holds no secret to copy.", true)
		}
		field := s.fields[s.sel]
		ok, secret := s.reveal(field)
		if !ok {
			return s, Toast("That secret is no longer in the wallet.", true)
		}
		clip, svc, ctx, entry := s.c.clip, s.c.Svc, s.c.Ctx, s.e.Name
		// An answer from the background, like the wallet's: dropped by
		// the App if a lock came first.
		return s, s.c.SessionCmd(func() tea.Msg {
			err := clip.Copy(secret)
			if err == nil {
				svc.HandedOut(ctx, entry, field, "clipboard")
			}
			return copiedMsg{field: field, err: err}
		})
	case key.Matches(msg, k.Rename):
		s.mode, s.err = modeRename, ""
		s.rename.SetValue(s.e.Name)
		s.rename.CursorEnd()
		return s, s.rename.Focus()
	case key.Matches(msg, k.Delete):
		s.mode, s.err = modeConfirmDelete, ""
		s.confirm = newConfirm("Delete "+s.e.Name+"?", []string{
			"This removes the entry and its secrets from this wallet only.",
			"The credential keeps working at Wise until it is revoked there.",
		}, "Delete", "Keep", true)
	case key.Matches(msg, k.Breach):
		s.mode, s.err = modeConfirmBreach, ""
		s.confirm = newConfirm("I suspect a breach of "+s.e.Name, []string{
			fmt.Sprintf("This wipes the %d secret(s) of %s from this wallet and marks it revoked.", len(s.fields), s.e.Name),
			"It cannot revoke anything at Wise (Wise has no endpoint for that):",
			"the next screen shows exactly where you do it.",
		}, "Wipe and mark revoked", "Cancel", true)
	case key.Matches(msg, k.Lock):
		return s, Lock()
	}
	return s, nil
}

// reveal asks the wallet for the value of one secret of the entry. It
// reads memory only (no lock, no file), so it runs here in Update.
func (s details) reveal(field string) (bool, crypto.Secret) {
	if s.c.Svc == nil {
		return false, crypto.Secret{}
	}
	sec, err := s.c.Svc.Reveal(s.e.Name, field)
	if err != nil {
		return false, crypto.Secret{}
	}
	return true, sec
}

func (s details) submitRename() (Screen, tea.Cmd) {
	to := strings.TrimSpace(s.rename.Value())
	if to == s.e.Name {
		s.mode, s.err = modeView, ""
		return s, nil
	}
	if err := flows.ValidateName(to); err != nil {
		s.err = "Not a valid name: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit."
		return s, nil
	}
	s.busy, s.err = true, ""
	from, ctx := s.e.Name, s.c.Ctx
	return s, s.c.WalletCmd(func(svc Backend) tea.Msg {
		if err := svc.Rename(ctx, from, to); err != nil {
			return actionFailedMsg{err}
		}
		return renamedMsg{from, to}
	})
}

func (s details) runConfirmed() (Screen, tea.Cmd) {
	s.busy = true
	name, ctx := s.e.Name, s.c.Ctx
	if s.mode == modeConfirmDelete {
		return s, s.c.WalletCmd(func(svc Backend) tea.Msg {
			if err := svc.Remove(ctx, name); err != nil {
				return actionFailedMsg{err}
			}
			return removedMsg{name}
		})
	}
	return s, s.c.WalletCmd(func(svc Backend) tea.Msg {
		e, err := svc.MarkBreached(ctx, name)
		if err != nil {
			return actionFailedMsg{err}
		}
		return breachedMsg{e}
	})
}

func (s details) View() string {
	st := s.c.Styles
	w := s.c.Width
	var lines []string
	add := func(label, value string) {
		if value == "" {
			return
		}
		lines = append(lines, s.field(label, value)...)
	}
	e := s.e
	head := st.Title.Render(e.Name) + "  " + st.Badge(string(e.Env.Name)) + "  " + st.Subtle.Render(string(e.Kind))
	switch e.Status {
	case flows.StatusNeedsLogin:
		head += "  " + st.Error.Render("needs login")
	case flows.StatusRevoked:
		head += "  " + st.Error.Render("revoked")
	}
	lines = append(lines, head, "")
	for _, f := range e.Describe() {
		switch f.Kind {
		case flows.FieldTime:
			add(f.Label, s.when(f.Time))
		case flows.FieldAge:
			age := s.now.Sub(f.Time)
			add(f.Label, fmt.Sprintf("%s (rotation reminder at %d days)", ageText(age, flows.RotationReminder), int(flows.RotationReminder.Hours()/24)))
		case flows.FieldExpiry:
			add(f.Label, countdown(f.Time.Sub(s.now))+" · "+s.when(f.Time))
		default:
			// A field without a label continues the one above (a second
			// profile).
			lines = append(lines, s.field(f.Label, f.Text)...)
		}
	}
	switch {
	case e.Status == flows.StatusNeedsLogin:
		lines = append(lines, "", st.Warning.Render("Wise no longer accepts its refresh token. Log in again:"),
			st.Value.Render("  "+loginHint(e)+" on the dashboard"))
	case e.Status == flows.StatusRevoked && s.mode != modeBreached:
		lines = append(lines, "", st.Warning.Render("Its secrets were wiped after a suspected breach. Revoke it at Wise:"))
		for _, a := range revokeLines(e.RevokeAdvice()) {
			lines = append(lines, st.Value.Render(a))
		}
	}
	lines = append(lines, "")
	secretsAt := len(lines)
	if len(s.fields) == 0 {
		lines = append(lines, st.Subtle.Render("No secrets held for this entry."))
	} else {
		lines = append(lines, st.Label.Render("Secrets"))
		for i, f := range s.fields {
			lines = append(lines, s.secretLines(i, f, w)...)
		}
	}
	lines = append(lines, "")
	switch s.mode {
	case modeRename:
		lines = append(lines, st.Label.Render("New name  ")+s.rename.View(),
			st.Hint.Render("enter saves · esc cancels · entries linked to it follow the new name"))
	case modeConfirmDelete, modeConfirmBreach:
		lines = append(lines, strings.Split(s.confirm.View(st, w), "\n")...)
	case modeBreached:
		lines = append(lines, st.Warning.Render(fmt.Sprintf("Wiped %d secret(s) of %s from this wallet and marked it revoked.", s.wiped, e.Name)),
			st.Title.Render("Now revoke it at Wise:"))
		for _, a := range s.advice {
			lines = append(lines, st.Value.Render(a))
		}
	}
	if s.busy {
		lines = append(lines, st.Hint.Render("Saving…"))
	}
	if s.err != "" {
		lines = append(lines, st.Error.Render(s.err))
	}
	// Scroll so that the actions at the bottom (a dialog, an error) or the
	// selected secret stay in view on a small terminal.
	h := s.c.BodyHeight()
	off := min(s.scroll, max(len(lines)-h, 0))
	if s.mode != modeView {
		off = max(len(lines)-h, 0)
	} else if sel := secretsAt + 1 + s.sel; sel >= off+h {
		off = sel - h + 1
	}
	if off > 0 {
		lines = lines[off:]
	}
	if len(lines) > h {
		lines = lines[:h]
	}
	return strings.Join(lines, "\n")
}

// secretLines renders one secret field: masked, or revealed and wrapped.
func (s details) secretLines(i int, field string, width int) []string {
	st := s.c.Styles
	length := 0
	if i < len(s.e.Secrets) {
		length = s.e.Secrets[i].Len
	}
	cur := "  "
	label := fit(field, 18)
	if i == s.sel {
		cur = st.Selected.Render("▸ ")
		label = st.Selected.Render(label)
	}
	if i != s.sel || !s.revealed {
		return []string{cur + label + st.Secret.Render(flows.Mask(length))}
	}
	// The secret is shown because the user asked for it on this screen.
	avail := max(width-2-18, 16)
	pad := strings.Repeat(" ", 20)
	var out []string
	for _, line := range strings.Split(s.clear.RevealString(), "\n") {
		r := []rune(line)
		for {
			chunk := r[:min(len(r), avail)]
			r = r[len(chunk):]
			prefix := pad
			if len(out) == 0 {
				prefix = cur + label
			}
			out = append(out, prefix+st.Secret.Render(string(chunk)))
			if len(r) == 0 {
				break
			}
		}
	}
	return out
}

func (s details) when(t time.Time) string {
	return flows.ShowNear(t, s.now)
}

// labelW is the width of the details' label column ("Certificate name"
// and a space).
const labelW = 17

// field is a labelled line, its value wrapped under itself when it is
// wider than the screen (an mTLS entry's advice is a sentence).
func (s details) field(label, value string) []string {
	st := s.c.Styles
	w := max(s.c.Width-labelW, 16)
	wrapped := strings.Split(lipgloss.NewStyle().Width(w).Render(value), "\n")
	out := make([]string, len(wrapped))
	for i, l := range wrapped {
		head := strings.Repeat(" ", labelW)
		if i == 0 {
			head = st.Label.Render(fit(label, labelW-1)) + " "
		}
		out[i] = head + st.Value.Render(strings.TrimRight(l, " "))
	}
	return out
}

// revokeLines is the advice for after a breach, with how to add the new
// credential said in the app's keys.
func revokeLines(a flows.RevokeAdvice) []string {
	out := append([]string(nil), a.Steps...)
	switch a.AddAgain {
	case flows.KindPersonal:
		out = append(out, "Then create a new token there and add it: a → Personal API token.")
	case flows.KindClient:
		out = append(out, "Then store the new secret: a → OAuth client (client id "+orNone(a.ClientID, "-")+").")
	}
	return out
}

func (s details) Title() string { return s.e.Name }

func (s details) ShortHelp() []key.Binding {
	k := s.c.Keys
	switch s.mode {
	case modeRename:
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "save")), key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))}
	case modeConfirmDelete, modeConfirmBreach:
		return s.confirm.ShortHelp(k)
	case modeBreached:
		return []key.Binding{k.Back}
	}
	if s.e.Kind == flows.KindMTLS {
		return s.mtlsHelp()
	}
	if s.e.Kind == flows.KindJOSE {
		return s.joseHelp()
	}
	var own []key.Binding
	if actsAsUser(s.e) {
		own = []key.Binding{k.SCA}
	}
	if len(s.fields) == 0 {
		return append(own, k.Rename, k.Delete, k.Back, k.Help)
	}
	return append([]key.Binding{k.Reveal, k.Copy}, append(own, k.Rename, k.Delete, k.Breach, k.Back, k.Help)...)
}

// actsAsUser: the credential calls Wise as a user (a personal token's
// owner, a logged-in user), whom Wise may ask for a second factor; its
// details open the 2FA setup.
func actsAsUser(e flows.EntryView) bool {
	return (e.Kind == flows.KindPersonal || e.Kind == flows.KindUser) && e.Status != flows.StatusRevoked
}

// keptText is why an mTLS private key is neither shown nor copied.
const keptText = "An mTLS private key never leaves the wallet: it is not shown or copied. wisewallet presents it to Wise itself."

// keptInWallet: the private keys of an mTLS entry (its own, a renewal's)
// and of a JOSE entry (its own, a rotation's previous one) are used by
// the wallet only; the flows' calls present them, sign and decrypt.
func keptInWallet(e flows.EntryView, field string) bool {
	switch e.Kind {
	case flows.KindMTLS:
		return field == "private_key" || field == "pending_private_key"
	case flows.KindJOSE:
		return field == "private_key" || field == "previous_private_key"
	}
	return false
}

// keptTextOf is keptText for the entry's kind.
func keptTextOf(e flows.EntryView) string {
	if e.Kind == flows.KindJOSE {
		return joseKeptText
	}
	return keptText
}

// mtlsKey is i, n or k on an mTLS entry: the flow opened part-way.
func (s details) mtlsKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := s.c.Keys
	switch {
	case key.Matches(msg, k.Import):
		return Push(newMTLSEntryFlow(s.c, s.e, mtlsImport)), true
	case key.Matches(msg, k.Renew) && s.e.CertChain == "":
		return Toast(s.e.Name+" has no certificate to renew yet: import one first (i).", true), true
	case key.Matches(msg, k.Renew):
		return Push(newMTLSEntryFlow(s.c, s.e, mtlsRenewal)), true
	case key.Matches(msg, k.Check):
		return Push(newMTLSEntryFlow(s.c, s.e, mtlsCheckOnly)), true
	}
	return nil, false
}

// mtlsHelp: an mTLS entry's own keys first; its key is not revealed.
func (s details) mtlsHelp() []key.Binding {
	k := s.c.Keys
	out := []key.Binding{k.Import}
	if s.e.CertChain != "" {
		out = append(out, k.Renew)
	}
	return append(out, k.Check, k.Delete, k.Back, k.Help)
}

func (s details) FullHelp() [][]key.Binding {
	k := s.c.Keys
	if s.mode != modeView {
		return [][]key.Binding{s.ShortHelp()}
	}
	if s.e.Kind == flows.KindMTLS {
		// Its own keys, without the delete, back and help that follow.
		own := s.mtlsHelp()
		return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown}, own[:len(own)-3], {k.Rename, k.Delete, k.Breach}, {k.Back, k.Lock, k.Help}}
	}
	if s.e.Kind == flows.KindJOSE {
		own := s.joseHelp()
		return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown}, own[:len(own)-3], {k.Rename, k.Delete, k.Breach}, {k.Back, k.Lock, k.Help}}
	}
	if actsAsUser(s.e) {
		return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown}, {k.Reveal, k.Copy, k.SCA}, {k.Rename, k.Delete, k.Breach}, {k.Back, k.Lock, k.Help}}
	}
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown}, {k.Reveal, k.Copy}, {k.Rename, k.Delete, k.Breach}, {k.Back, k.Lock, k.Help}}
}
