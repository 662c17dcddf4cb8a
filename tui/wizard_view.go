package tui

// How the guided flows look: one layout for every step, the check-call
// results, and errors turned into what happened and what to do.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	"charm.land/lipgloss/v2"

	"github.com/wisewallet/wisewallet/flows"
)

// stepView is one step of a guided flow on screen.
type stepView struct {
	Flow  string // "Personal API token"
	N, Of int    // step N of Of; 0 hides the counter
	Title string // the question of this step
	Hint  string // what Wise expects here, and why
	Body  string // the input, list or result
	Note  string // after the body: what follows from a result
	Err   string // why the last enter did not move on
	Tone  int    // colours a result's title: +1 success, -1 failure
}

// renderStep lays out a step: a counter, the question, the hint, the
// body, then the problem, each wrapped to the screen's width.
func renderStep(c *Common, v stepView) string {
	st := c.Styles
	w := max(c.Width, 20)
	wrap := lipgloss.NewStyle().Width(w)
	var b strings.Builder
	head := st.Subtle.Render(v.Flow)
	if v.N > 0 {
		head += st.Subtle.Render(fmt.Sprintf(" · step %d of %d", v.N, v.Of))
	}
	b.WriteString(head + "\n")
	title := st.Title
	switch {
	case v.Tone > 0:
		title = title.Foreground(st.Good)
	case v.Tone < 0:
		title = title.Foreground(st.Bad)
	}
	b.WriteString(title.Render(v.Title) + "\n")
	// A text part wrapped to the width; an empty one takes no room.
	para := func(style lipgloss.Style, text string) {
		if text != "" {
			b.WriteString("\n" + wrap.Inherit(style).Render(text) + "\n")
		}
	}
	para(st.Hint, v.Hint)
	if v.Body != "" {
		b.WriteString("\n" + v.Body + "\n") // drawn already: not wrapped again
	}
	para(st.Hint, v.Note)
	para(st.Error, v.Err)
	return strings.TrimRight(b.String(), "\n")
}

// spinLine is a running call: the spinner, then what is being done,
// wrapped beside it.
func spinLine(c *Common, spin string, text string) string {
	w := max(c.Width-lipgloss.Width(spin), 10)
	return lipgloss.JoinHorizontal(lipgloss.Top, spin, lipgloss.NewStyle().Width(w).Inherit(c.Styles.Body).Render(text))
}

// renderList draws a pick list: the cursor line is highlighted.
func renderList(c *Common, l pickList, labelWidth int) string {
	st := c.Styles
	lines := make([]string, len(l.items))
	for i, it := range l.items {
		label := fmt.Sprintf("%-*s", labelWidth, it.Label)
		line := "  " + label
		if it.Detail != "" {
			line += "  " + it.Detail
		}
		line = truncate(line, c.Width)
		if i == l.cursor {
			lines[i] = st.Selected.Render("> " + strings.TrimPrefix(line, "  "))
		} else {
			lines[i] = st.Body.Render(line)
		}
	}
	return strings.Join(lines, "\n")
}

// truncate cuts s to w cells, marking the cut.
func truncate(s string, w int) string {
	if w <= 1 || lipgloss.Width(s) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && lipgloss.Width(string(r))+1 > w {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// secretFieldView shows a masked input and, once something is typed, how
// many characters it holds, so the user can tell a paste arrived without
// the value ever being drawn.
func secretFieldView(c *Common, ti textinput.Model) string {
	v := ti.View()
	if n := len([]rune(ti.Value())); n > 0 {
		v += "\n" + c.Styles.Subtle.Render(fmt.Sprintf("  %d characters, hidden", n))
	}
	return v
}

// labelled renders "label  value" lines with aligned labels.
func labelled(c *Common, rows [][2]string) string {
	width := 0
	for _, r := range rows {
		width = max(width, lipgloss.Width(r[0]))
	}
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		pad := strings.Repeat(" ", width-lipgloss.Width(r[0]))
		line := c.Styles.Label.Render(r[0]+pad) + "  " + c.Styles.Value.Render(r[1])
		out = append(out, truncate(line, c.Width))
	}
	return strings.Join(out, "\n")
}

// envLabel is an environment's badge and API URL.
func envLabel(c *Common, env flows.Environment) string {
	return c.Styles.Badge(string(env.Name)) + " " + c.Styles.Subtle.Render(env.APIURL)
}

// problem is a failed step explained: what happened (the error's own
// text, which never holds a secret), Wise's x-trace-id, and what to do.
type problem struct {
	What, TraceID, Todo string
}

// explain turns a flow error into a problem. It matches error values and
// types, never error text.
func explain(err error) problem {
	p := problem{What: errText(err)}
	var api *flows.APIError
	if errors.As(err, &api) && api.TraceID != "" {
		p.TraceID = api.TraceID
		// It gets a line of its own below.
		p.What = strings.Replace(p.What, " (x-trace-id "+api.TraceID+")", "", 1)
	}
	switch {
	case errors.As(err, new(*flows.PendingLoginError)):
		p.Todo = "The entry was kept, marked \"needs login\", with its registration code (Wise may have the user already). Run this login again to finish it (esc, then enter)."
	case errors.Is(err, context.Canceled):
		p.Todo = "Cancelled; nothing was stored."
	case errors.Is(err, flows.ErrTokenRejected):
		p.Todo = "Nothing was stored. Check that the token was made in this environment (a sandbox token fails on wise.com and the other way round) and is not revoked; if in doubt, make a new one under Your account → Integrations and tools → API tokens. esc: enter it again."
	case errors.Is(err, flows.ErrInvalidClient):
		p.Todo = "Nothing was stored. Check the client id and secret in Developer Hub for this environment (sandbox and production have their own). esc goes back a step at a time to correct them."
	case errors.Is(err, flows.ErrLoginDenied):
		p.Todo = "Nothing was stored. Access was refused on Wise's page. esc, then try again and choose Approve."
	case errors.Is(err, flows.ErrLoginTimeout):
		p.Todo = "Nothing was stored. Finish the login in the browser sooner, or choose \"paste the code\" (esc goes back to that choice)."
	case errors.Is(err, flows.ErrStateInvalid):
		p.Todo = "Nothing was stored. What was pasted belongs to another login attempt. Paste the URL from the tab this login opened, or start again (esc)."
	case errors.Is(err, flows.ErrLoginRefused):
		p.Todo = "Nothing was stored. Codes work once and only for minutes, and the redirect URL must match Developer Hub exactly. esc, then log in again."
	case errors.As(err, new(*flows.ExistingAccountError)):
		p.Todo = "Nothing was stored. Only the owner of that Wise account can link it: a → Log in a user, and they approve on Wise's page."
	case errors.Is(err, flows.ErrNeedsLogin):
		p.Todo = "Nothing new was stored. Wise no longer accepts this grant; link the user by logging in on Wise's page instead (Log in a user)."
	case errors.Is(err, flows.ErrUnreachable):
		p.Todo = "Nothing was stored. No answer came: the network failed or the host could not be reached (no x-trace-id without an answer). Check the connection and the URL (for local: that localwise is running), then try again (esc, then enter)."
	case errors.Is(err, flows.ErrUnavailable):
		p.Todo = "Nothing was changed. Wise (or the network) failed even after retries; try again in a moment (esc, then enter). Quote the x-trace-id if you contact Wise."
	case errors.Is(err, flows.ErrEntryExists):
		p.Todo = "Nothing was stored. Choose another name (esc back to the name step)."
	case errors.Is(err, flows.ErrUsage):
		p.Todo = "Nothing was stored. esc: go back and correct it."
	default:
		p.Todo = "Nothing was stored. esc: go back and try again."
	}
	return p
}

// errText is an error as the app says it: without the "usage: " that
// marks mistakes in what was asked for (the CLI's exit code 2).
func errText(err error) string {
	return strings.TrimPrefix(err.Error(), flows.ErrUsage.Error()+": ")
}

// renderProblem draws a problem: the error, its trace id, what to do.
func renderProblem(c *Common, p problem) string {
	st := c.Styles
	wrap := lipgloss.NewStyle().Width(max(c.Width, 20))
	var b strings.Builder
	b.WriteString(wrap.Inherit(st.Error).Render(p.What) + "\n")
	if p.TraceID != "" {
		b.WriteString(st.Label.Render("x-trace-id ") + st.Value.Render(p.TraceID) + st.Subtle.Render("  (Wise support asks for it)") + "\n")
	}
	b.WriteString("\n" + wrap.Inherit(st.Body).Render(p.Todo))
	return b.String()
}

// when shows a time in the clock's zone with how far away it is.
func when(c *Common, t *time.Time) string {
	if t == nil || t.IsZero() {
		return "not set"
	}
	now := c.Now()
	at := flows.ShowNear(*t, now)
	d := t.Sub(now)
	if d < 0 {
		return fmt.Sprintf("%s (%s ago)", at, span(-d))
	}
	return fmt.Sprintf("%s (in %s)", at, span(d))
}

// span is a short, rounded duration: 45s, 2m59s, 11h59m, 3d, 20y.
func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	case d < 48*time.Hour:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	case d < 2*365*24*time.Hour:
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	default:
		return fmt.Sprintf("%dy", int(d/(365*24*time.Hour)))
	}
}

// identityRows says who a credential acts as and for which profiles.
func identityRows(e flows.EntryView) [][2]string {
	var rows [][2]string
	who := e.UserName
	if e.UserEmail != "" {
		if who != "" {
			who += " "
		}
		who += "<" + e.UserEmail + ">"
	}
	if e.UserID != 0 {
		who += fmt.Sprintf(" (user id %d)", e.UserID)
	}
	if who = strings.TrimSpace(who); who != "" {
		rows = append(rows, [2]string{"acts as", who})
	}
	for i, p := range e.Profiles {
		label := ""
		if i == 0 {
			label = "profiles"
		}
		line := fmt.Sprintf("%d %s", p.ID, p.Type)
		if p.Name != "" {
			line += " · " + p.Name
		}
		if e.ProfileID == p.ID {
			line += " (approved)"
		}
		rows = append(rows, [2]string{label, line})
	}
	if len(e.Profiles) == 0 && e.ProfileID != 0 {
		rows = append(rows, [2]string{"profile", fmt.Sprint(e.ProfileID)})
	}
	return rows
}
