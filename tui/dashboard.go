package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/wisewallet/wisewallet/flows"
)

// The dashboard is the live view: one block per entry with its
// environment, kind, status, and a countdown and bar for everything in it
// that expires or ages. It renews due tokens by itself, notices when
// another process changed the wallet, and says what it did.

const (
	// syncEvery is how often the dashboard checks the wallet file for
	// changes by other processes (a stat, no read unless it changed).
	syncEvery = 2 * time.Second
	// reloadTimeout bounds the wait for another process's save.
	reloadTimeout = 5 * time.Second
)

// Column widths; name and bar share what is left. Between columns whose
// cells can be full ("personal", "needs login", "certificate") there are
// two spaces, so that two columns never read as one phrase; the badge
// brings its own padding, the bar needs none.
const (
	cursorW     = 2
	badgeW      = 12 // "PRODUCTION" plus its padding
	shortBadgeW = 9  // "sandbox" plus its padding; production is "PROD"
	kindW       = 8
	statusW     = 11
	whatW       = 11
	leftW       = 9
	gapW        = 2
	noteInd     = 4
	minNameW    = 10 // below this a narrower layout is taken first
	maxNameW    = 24
	maxBarW     = 24
	minBarW     = 4
)

// dashLayout is which columns the dashboard draws at its width: at 76
// columns and more all of them; narrower, the bar goes first, then the
// badge is shortened (PROD), then the kind column goes (the details
// screen has it).
type dashLayout struct {
	nameW, barW, badgeW int
	kind, bar           bool
}

// fixed is the width of everything but the name and the bar.
func (l dashLayout) fixed() int {
	w := cursorW + 1 + l.badgeW + 1 + statusW + gapW + whatW + gapW + leftW
	if l.kind {
		w += kindW + gapW
	}
	if l.bar {
		w++ // between the time left and the bar
	}
	return w
}

// itemCol is where an entry's countdowns start.
func (l dashLayout) itemCol() int {
	w := cursorW + l.nameW + 1 + l.badgeW + 1 + statusW + gapW
	if l.kind {
		w += kindW + gapW
	}
	return w
}

func layoutFor(width int) dashLayout {
	for _, l := range []dashLayout{
		{badgeW: badgeW, kind: true, bar: true},
		{badgeW: badgeW, kind: true},
		{badgeW: shortBadgeW, kind: true},
		{badgeW: shortBadgeW},
	} {
		avail := width - l.fixed()
		if l.bar {
			if avail < minNameW+minBarW {
				continue
			}
			l.nameW = min(avail-minBarW, maxNameW)
			l.barW = min(avail-l.nameW, maxBarW)
			return l
		}
		if avail >= minNameW || !l.kind {
			l.nameW = min(max(avail, 4), maxNameW)
			return l
		}
	}
	panic("unreachable")
}

// dashItem is one expiring or ageing thing of an entry.
type dashItem struct {
	what       string
	kind       flows.ExpiryKind
	start, end time.Time
	age        bool // a secret's age against flows.RotationReminder; start is its creation
}

// itemWords are the dashboard's short names of what expires.
var itemWords = map[flows.ExpiryKind]string{
	flows.AccessToken:            "access",
	flows.ClientCredentialsToken: "cc token",
	flows.RefreshToken:           "refresh",
	flows.Certificate:            "certificate",
	flows.KeyValidity:            "key valid",
	flows.PreviousKeyRetires:     "old key",
	flows.SecretAge:              "secret age",
}

// dashRow is an entry prepared for drawing; everything that does not
// depend on the clock is computed once per snapshot.
type dashRow struct {
	e      flows.EntryView
	name   string // padded to the name column
	prefix string // badge and kind cells, rendered
	items  []dashItem
	notes  int // extra lines under the row (renewal, failure, hint)
}

func (r dashRow) height() int { return max(1, len(r.items)) + r.notes }

// syncMsg is the outcome of one background check: a reload when the file
// changed, and the refreshes that were due.
type syncMsg struct {
	stamp   flows.Stamp
	stampOK bool
	entries []flows.EntryView // nil: nothing changed
	results []flows.RefreshResult
	err     error
	forced  bool // the user pressed R
}

func (syncMsg) forRoot() {}

type dashboard struct {
	c       *Common
	rows    []dashRow
	starts  []int // first line of each row; starts[len(rows)] is the total
	cursor  int
	offset  int // first row drawn
	now     time.Time
	layout  dashLayout
	width   int
	stamp   flows.Stamp
	stampOK bool
	busy    bool
	// resync: the wallet changed while a check was running, so another
	// one follows it. Checks never overlap: the answer of an older one
	// must not land after a newer one's.
	resync bool
	// nextSync is when the file is checked again; nextDue when the first
	// token is due for renewal (zero: none).
	nextSync time.Time
	nextDue  time.Time
	renewed  map[string]time.Time
	// renew decides what is renewed when, with back-off after failures;
	// it is shared by the dashboard's copies, as the maps are.
	renew   *flows.Renewer
	syncErr string
}

func newDashboard(c *Common) Screen {
	d := dashboard{c: c, now: c.Now(), renewed: map[string]time.Time{}, renew: flows.NewRenewer()}
	if c.Svc != nil {
		// The first frame shows the entries already in memory (the wallet was
		// just opened); the file check follows on the first tick. Entries
		// reads the last saved contents without waiting for a command that
		// is saving, so this never blocks the UI goroutine.
		d.setEntries(c.Svc.Entries())
	}
	return d
}

func (d dashboard) Init() tea.Cmd { return nil }

func (d dashboard) Update(msg tea.Msg) (Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		d.relayout()
		return d, nil
	case TickMsg:
		d.now = d.c.Now()
		if !d.busy && !d.now.Before(d.nextSync) {
			return d.startSync(false, false)
		}
		return d, nil
	case walletChangedMsg:
		if d.busy {
			d.resync = true
			return d, nil
		}
		return d.startSync(false, true)
	case syncMsg:
		return d.applySync(msg)
	case tea.KeyPressMsg:
		return d.key(msg)
	}
	return d, nil
}

func (d dashboard) key(msg tea.KeyPressMsg) (Screen, tea.Cmd) {
	k := d.c.Keys
	switch {
	case key.Matches(msg, k.Up):
		d.move(-1)
	case key.Matches(msg, k.Down):
		d.move(1)
	case key.Matches(msg, k.PageUp):
		d.move(-max(d.listHeight()/2, 1))
	case key.Matches(msg, k.PageDown):
		d.move(max(d.listHeight()/2, 1))
	case key.Matches(msg, k.Home):
		d.move(-len(d.rows))
	case key.Matches(msg, k.End):
		d.move(len(d.rows))
	case key.Matches(msg, k.Enter):
		if len(d.rows) > 0 {
			return d, Push(newDetails(d.c, d.rows[d.cursor].e))
		}
	case key.Matches(msg, k.Add):
		return d, Push(newAddChooser(d.c))
	case key.Matches(msg, k.Refresh):
		if d.busy {
			return d, Toast("Already checking the wallet…", false)
		}
		return d.startSyncRenewing(true, false, d.selectedRenewing())
	case key.Matches(msg, k.Lock):
		return d, Lock()
	}
	return d, nil
}

// startSync runs one background check. refreshAll renews every due token
// now, ignoring back-offs (the R key); snapshot takes the entries even if
// the file looks unchanged (this process changed the wallet).
func (d dashboard) startSync(refreshAll, snapshot bool) (Screen, tea.Cmd) {
	return d.startSyncRenewing(refreshAll, snapshot, "")
}

// selectedRenewing is the entry under the cursor when it has an access
// token wisewallet renews (R renews it now, due or not), else "".
func (d dashboard) selectedRenewing() string {
	if d.cursor >= len(d.rows) || !d.rows[d.cursor].e.Renews() {
		return ""
	}
	return d.rows[d.cursor].e.Name
}

// startSyncRenewing is startSync that also renews the entry named now
// (R on it), due or not.
func (d dashboard) startSyncRenewing(refreshAll, snapshot bool, now string) (Screen, tea.Cmd) {
	if d.c.Svc == nil {
		return d, nil
	}
	d.now = d.c.Now()
	d.busy = true
	d.nextSync = d.now.Add(syncEvery)
	views := make([]flows.EntryView, len(d.rows))
	for i, r := range d.rows {
		views[i] = r.e
	}
	due := d.renew.Due(views, d.now, refreshAll)
	if now != "" {
		due = slices.DeleteFunc(due, func(n string) bool { return n == now })
	}
	prev, prevOK, ctx := d.stamp, d.stampOK, d.c.Ctx
	return d, d.c.WalletCmd(func(svc Backend) tea.Msg {
		m := syncWallet(ctx, svc, prev, prevOK, due, snapshot)
		if now != "" && m.err == nil {
			m.results = append(m.results, svc.RenewNow(ctx, now))
			m.entries = svc.Entries()
		}
		m.forced = refreshAll
		return m
	})
}

// syncWallet reloads the wallet when its file changed and renews the
// entries the renewer found due (Refresh leaves out any that another
// process renewed meanwhile). It runs in a command, beside whatever else
// uses the wallet.
//
// The stamp it keeps is the one taken before the reload: a save that
// lands while it runs (another process, or this one's own rename or
// refresh) then differs from it, so the next check reloads. A stamp taken
// at the end could be of a file newer than the entries it read, and that
// change would never be shown.
func syncWallet(ctx context.Context, svc Backend, prev flows.Stamp, prevOK bool, due []string, snapshot bool) syncMsg {
	var m syncMsg
	st, err := svc.Stamp()
	m.stamp, m.stampOK = st, err == nil
	changed := err != nil || !prevOK || st != prev
	if changed {
		rctx, cancel := context.WithTimeout(ctx, reloadTimeout)
		err := svc.Reload(rctx)
		cancel()
		if err != nil {
			m.err = err
			return m
		}
	}
	if len(due) > 0 {
		m.results = svc.Refresh(ctx, due)
	}
	if changed || snapshot || len(m.results) > 0 {
		m.entries = svc.Entries()
	}
	return m
}

func (d dashboard) applySync(m syncMsg) (Screen, tea.Cmd) {
	d2, cmd := d.takeSync(m)
	if !d2.resync {
		return d2, cmd
	}
	d2.resync = false
	next, sync := d2.startSync(false, true)
	return next, tea.Batch(cmd, sync)
}

// takeSync shows the outcome of one check.
func (d dashboard) takeSync(m syncMsg) (dashboard, tea.Cmd) {
	d.busy = false
	d.now = d.c.Now()
	if m.err != nil {
		d.syncErr = "Could not re-read the wallet: " + m.err.Error()
		return d, nil
	}
	d.syncErr = ""
	d.stamp, d.stampOK = m.stamp, m.stampOK
	var renewed []string
	var failedNow []string
	var firstFailure flows.Failure // as recorded: the new snapshot may end it
	for _, r := range m.results {
		// Skipped: removed or renamed while its refresh was due (here or
		// by another process); nothing failed, and the new snapshot no
		// longer has it.
		switch outcome, f := d.renew.Record(r, d.now); outcome {
		case flows.Renewed:
			d.renewed[r.Name] = r.At
			renewed = append(renewed, r.Name)
		case flows.Failed:
			if len(failedNow) == 0 {
				firstFailure = f
			}
			failedNow = append(failedNow, r.Name)
		}
	}
	var changed tea.Cmd
	if m.entries != nil {
		d.setEntries(m.entries)
		// A details screen on top shows the renewed or changed entry too.
		entries := m.entries
		changed = func() tea.Msg { return entriesChangedMsg{entries} }
	} else if len(m.results) > 0 {
		d.relayout()
	}
	var toast tea.Cmd
	switch {
	case len(failedNow) > 0:
		toast = Toast(fmt.Sprintf("Refreshing %s failed: %s", failedNow[0], failureSummary(firstFailure.Err, d.entry(failedNow[0]))), true)
	case len(renewed) > 0:
		toast = Toast(fmt.Sprintf("Renewed the access token of %s at %s, before it expired.", strings.Join(renewed, ", "), d.clock(m.results[0].At)), false)
	case m.forced && d.nextDue.IsZero():
		toast = Toast("Nothing here is renewed automatically: no OAuth access token or cached client token.", false)
	case m.forced:
		toast = Toast("No token is due for renewal yet; the next one is at "+d.clock(d.nextDue)+".", false)
	}
	return d, tea.Batch(changed, toast)
}

// entriesChangedMsg carries a new snapshot of the wallet to the screen on
// top (the dashboard has taken it already).
type entriesChangedMsg struct{ entries []flows.EntryView }

func (d dashboard) entry(name string) flows.EntryView {
	for _, r := range d.rows {
		if r.e.Name == name {
			return r.e
		}
	}
	return flows.EntryView{Name: name}
}

// setEntries takes a new snapshot, keeping the cursor on the same entry.
func (d *dashboard) setEntries(entries []flows.EntryView) {
	sel := ""
	if d.cursor < len(d.rows) {
		sel = d.rows[d.cursor].e.Name
	}
	rows := make([]dashRow, len(entries))
	d.cursor = 0
	for i, e := range entries {
		rows[i] = dashRow{e: e, items: itemsOf(e)}
		if e.Name == sel {
			d.cursor = i
		}
	}
	// A failure is over once the entry was saved again since (a new
	// login, another process's refresh).
	d.renew.Observe(entries)
	d.rows = rows
	d.relayout()
}

// itemsOf lists what expires or ages in e, soonest expiry first, the
// secret's age last (flows.EntryView.Countdowns).
func itemsOf(e flows.EntryView) []dashItem {
	var out []dashItem
	for _, x := range e.Countdowns() {
		it := dashItem{what: itemWords[x.Kind], kind: x.Kind, start: x.Since, end: x.At}
		if x.Kind == flows.SecretAge {
			it.age = true
			if e.Kind == flows.KindPersonal {
				it.what = "token age"
			}
		}
		out = append(out, it)
	}
	return out
}

// relayout recomputes column widths, note lines, line offsets and the
// time of the next renewal.
func (d *dashboard) relayout() {
	d.width = d.c.Width
	d.layout = layoutFor(d.width)
	l := d.layout
	st := d.c.Styles
	d.starts = make([]int, len(d.rows)+1)
	d.nextDue = time.Time{}
	line := 0
	for i := range d.rows {
		r := &d.rows[i]
		r.name = fit(r.e.Name, l.nameW)
		badge := st.Badge(string(r.e.Env.Name))
		if l.badgeW < badgeW {
			badge = st.shortBadge(string(r.e.Env.Name))
		}
		r.prefix = fit(badge, l.badgeW) + " "
		if l.kind {
			r.prefix += st.Subtle.Render(fit(string(r.e.Kind), kindW)) + strings.Repeat(" ", gapW)
		}
		r.notes = len(d.notes(*r))
		d.starts[i] = line
		line += r.height()
		if at, ok := d.renew.NextOf(r.e); ok && (d.nextDue.IsZero() || at.Before(d.nextDue)) {
			d.nextDue = at
		}
	}
	d.starts[len(d.rows)] = line
	d.move(0)
}

// listHeight is the number of lines for entry rows: the body less the
// column titles and the status line.
func (d dashboard) listHeight() int { return max(d.c.BodyHeight()-2, 1) }

// move moves the cursor by delta rows and scrolls so that its whole block
// is visible.
func (d *dashboard) move(delta int) {
	if len(d.rows) == 0 {
		d.cursor, d.offset = 0, 0
		return
	}
	d.cursor = min(max(d.cursor+delta, 0), len(d.rows)-1)
	if d.cursor < d.offset {
		d.offset = d.cursor
	}
	h := d.listHeight()
	for d.offset < d.cursor && d.starts[d.cursor+1]-d.starts[d.offset] > h {
		d.offset++
	}
	d.offset = min(d.offset, len(d.rows)-1)
}

// clock formats a time of day in the local zone of the app's clock.
func (d dashboard) clock(t time.Time) string { return flows.ShowNear(t, d.now) }

// notes are the lines shown under a row: what the app did for it and
// what the user should do.
func (d dashboard) notes(r dashRow) []note {
	e := r.e
	var out []note
	if f, ok := d.renew.Failure(e.Name); ok {
		out = append(out, note{text: "✗ " + d.clock(f.At) + " refresh failed: " + failureSummary(f.Err, e), bad: true})
		if id := flows.TraceID(f.Err); id != "" {
			out = append(out, note{text: "  x-trace-id " + id + " (Wise support asks for it)", bad: true})
		}
		out = append(out, note{text: "  → " + d.failureAdvice(f, e)})
		return out
	}
	switch e.Status {
	case flows.StatusNeedsLogin:
		return append(out, note{text: "→ log in again: " + loginHint(e)})
	case flows.StatusRevoked:
		return append(out, note{text: "secrets wiped after a suspected breach; enter shows where to revoke it", bad: true})
	}
	if t, ok := d.renewed[e.Name]; ok {
		out = append(out, note{text: "↻ renewed " + d.clock(t) + " by itself", good: true})
	}
	out = append(out, certificateNotes(e, r.items, d.now)...)
	return append(out, joseNotes(e, r.items, d.now)...)
}

type note struct {
	text            string
	bad, warn, good bool
}

// loginHint says with the app's keys how a user entry logs in again: the
// guided login through its client, or the registration-code one for a
// partner-created user (who has no password for Wise's page).
func loginHint(e flows.EntryView) string {
	if !e.LogsInWithCode() {
		return fmt.Sprintf("a → Log in a user (client %s, as %s)", e.LinkedTo, e.Name)
	}
	return fmt.Sprintf("a → Create a user (client %s, as %s)", e.LinkedTo, e.Name)
}

// failureSummary says in a few words why a refresh failed.
func failureSummary(err error, e flows.EntryView) string {
	switch {
	case errors.Is(err, flows.ErrNeedsLogin):
		return "Wise no longer accepts the refresh token (expired or revoked)"
	case errors.Is(err, flows.ErrInvalidClient):
		return fmt.Sprintf("Wise rejected the id or secret of the OAuth client %s", orNone(e.LinkedTo, e.Name))
	case errors.Is(err, flows.ErrUnavailable):
		return "Wise did not answer (network, 5xx or rate limit); nothing changed"
	case errors.Is(err, flows.ErrWalletBusy):
		return "another wisewallet process kept the wallet busy"
	}
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

func (d dashboard) failureAdvice(f flows.Failure, e flows.EntryView) string {
	var missing *flows.MissingClientError
	switch {
	case errors.Is(f.Err, flows.ErrNeedsLogin):
		return "log in again: " + loginHint(e)
	case errors.Is(f.Err, flows.ErrInvalidClient):
		return "rotate the client secret in the Developer Hub and store the new one"
	case errors.As(f.Err, &missing):
		return fmt.Sprintf("add the client %s again, or log in through another: a → Log in a user", missing.Client)
	case f.Held:
		return "not retried by itself until the entry or its client is saved again; R retries now"
	}
	return "retrying by itself at " + d.clock(f.RetryAt) + "; R retries now"
}

func orNone(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func (d dashboard) View() string {
	st := d.c.Styles
	if d.c.Svc == nil {
		return ""
	}
	var b strings.Builder
	if len(d.rows) == 0 {
		b.WriteString("\n  " + st.Title.Render("No credentials yet.") + "\n\n")
		b.WriteString(st.Hint.Render("  Press a to add one: a personal API token (a business automating its own\n  Wise account), an OAuth client (partners), or a user login through a client."))
		b.WriteString("\n\n" + d.statusLine())
		return b.String()
	}
	l, gap := d.layout, strings.Repeat(" ", gapW)
	head := strings.Repeat(" ", cursorW) + fit("NAME", l.nameW) + " " + fit(" ENV", l.badgeW) + " "
	if l.kind {
		head += fit("KIND", kindW) + gap
	}
	head += fit("STATUS", statusW) + gap + fit("EXPIRES/AGE", whatW) + gap + "LEFT"
	b.WriteString(st.Label.Render(head))
	b.WriteString("\n")
	h := d.listHeight()
	lines := 0
	for i := d.offset; i < len(d.rows) && lines < h; i++ {
		lines += d.renderRow(&b, i, h-lines)
	}
	for ; lines < h; lines++ {
		b.WriteString("\n")
	}
	b.WriteString(d.statusLine())
	return b.String()
}

// renderRow writes up to maxLines lines of row i and returns how many.
func (d dashboard) renderRow(b *strings.Builder, i, maxLines int) int {
	st := d.c.Styles
	r := d.rows[i]
	status, stStyle := d.status(r)
	cur, name := "  ", r.name
	if i == d.cursor {
		cur, name = st.Selected.Render("▸ "), st.Selected.Render(r.name)
	}
	b.WriteString(cur + name + " " + r.prefix + stStyle.Render(fit(status, statusW)) + strings.Repeat(" ", gapW))
	indent := strings.Repeat(" ", d.layout.itemCol())
	n := 0
	if len(r.items) == 0 {
		what := "no expiry"
		switch {
		case r.e.Status == flows.StatusRevoked:
			what = "—"
		case r.e.Kind == flows.KindMTLS:
			what = "no certificate yet"
		}
		b.WriteString(st.Subtle.Render(what) + "\n")
		n = 1
	}
	for j, it := range r.items {
		if n >= maxLines {
			return n
		}
		if j > 0 {
			b.WriteString(indent)
		}
		b.WriteString(d.renderItem(it) + "\n")
		n++
	}
	for _, nt := range d.notes(r) {
		if n >= maxLines {
			return n
		}
		style := st.Subtle
		switch {
		case nt.bad:
			style = st.Error
		case nt.warn:
			style = st.Warning
		case nt.good:
			style = st.Success
		}
		b.WriteString(strings.Repeat(" ", noteInd) + style.Render(fit(nt.text, d.width-noteInd)) + "\n")
		n++
	}
	return n
}

// renderItem draws one countdown: label, time left, bar.
func (d dashboard) renderItem(it dashItem) string {
	st := d.c.Styles
	var left string
	var frac float64
	var lv level
	if it.age {
		age := d.now.Sub(it.start)
		left = ageText(age, flows.RotationReminder)
		frac = float64(age) / float64(flows.RotationReminder)
		lv = ageLevel(frac)
	} else {
		rem := it.end.Sub(d.now)
		left = countdown(rem)
		if total := it.end.Sub(it.start); total > 0 {
			frac = float64(rem) / float64(total)
		}
		lv = remainingLevel(frac)
		if it.kind == flows.Certificate || it.kind == flows.KeyValidity {
			lv = certificateLevel(rem)
		}
	}
	out := st.Label.Render(fit(it.what, whatW)) + strings.Repeat(" ", gapW)
	if !d.layout.bar {
		return out + st.Value.Render(left)
	}
	return out + st.Value.Render(fit(left, leftW)) + " " + st.renderBar(frac, d.layout.barW, lv)
}

// shortBadge is the environment badge of the narrow layouts: production
// as PROD, still white on red.
func (s *Styles) shortBadge(env string) string {
	if env == "production" {
		return s.EnvBadges["production"].Render("PROD")
	}
	return s.Badge(env)
}

// status is the word in the status column and its style.
func (d dashboard) status(r dashRow) (string, lipgloss.Style) {
	st := d.c.Styles
	if f, ok := d.renew.Failure(r.e.Name); ok && r.e.Status == flows.StatusOK {
		if f.Held {
			return "held", st.Error // retrying cannot fix it: the user must
		}
		return "retrying", st.Warning
	}
	switch r.e.StatusAt(d.now) {
	case "needs_login":
		return "needs login", st.Error
	case "revoked":
		return "revoked", st.Error
	case "expired":
		return "expired", st.Error
	}
	return "ok", st.Success
}

// statusLine is the dashboard's last line: position, background state,
// and the demo's login.
func (d dashboard) statusLine() string {
	st := d.c.Styles
	if d.syncErr != "" {
		return st.Error.Render(fit(d.syncErr, d.width))
	}
	var parts []string
	if n := len(d.rows); n > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d", d.cursor+1, n))
	}
	if !d.nextDue.IsZero() {
		if d.nextDue.After(d.now) {
			parts = append(parts, "next renewal in "+countdown(d.nextDue.Sub(d.now)))
		} else {
			parts = append(parts, "renewing…")
		}
	}
	if d.c.Env.Demo {
		parts = append(parts, "demo login "+d.c.Env.DemoUser+" / "+d.c.Env.DemoPassword)
	}
	return st.Subtle.Render(fit(strings.Join(parts, " · "), d.width))
}

func (d dashboard) Title() string { return "Dashboard" }

func (d dashboard) ShortHelp() []key.Binding {
	k := d.c.Keys
	return []key.Binding{k.Enter, k.Add, k.Refresh, k.Lock, k.Quit, k.Help}
}

func (d dashboard) FullHelp() [][]key.Binding {
	k := d.c.Keys
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End},
		{k.Enter, k.Add, k.Refresh},
		{k.Lock, k.Quit, k.Help},
	}
}
