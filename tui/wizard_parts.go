package tui

// Parts the guided flows share: their keys, text fields, pick lists, the
// environment steps and the bookkeeping for asynchronous steps. Each flow
// is one Screen (add_personal.go, add_client.go, login_code.go,
// login_registration.go) that walks its own table of steps, so esc can
// always go back exactly one step without saving anything; the table and
// its engine are in wizard_steps.go, the state they share in
// wizard_flow.go.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/wisewallet/wisewallet/flows"
)

// wizardKeys are the keys of the guided flows, with help text in their
// words ("next", not the dashboard's "open"). Built per screen from the
// app's KeyMap, never mutated.
type wizardKeys struct {
	Up, Down, Next, Back, Cancel, Done, Leave, Confirm key.Binding
}

func newWizardKeys(k *KeyMap) wizardKeys {
	return wizardKeys{
		Up:      k.Up,
		Down:    k.Down,
		Next:    key.NewBinding(key.WithKeys(k.Enter.Keys()...), key.WithHelp("enter", "next")),
		Back:    k.Back,
		Cancel:  key.NewBinding(key.WithKeys(k.Back.Keys()...), key.WithHelp("esc", "cancel")),
		Done:    key.NewBinding(key.WithKeys(k.Enter.Keys()...), key.WithHelp("enter", "back to the dashboard")),
		Leave:   key.NewBinding(key.WithKeys(k.Enter.Keys()...), key.WithHelp("enter", "leave without saving")),
		Confirm: key.NewBinding(key.WithKeys(k.Confirm.Keys()...), key.WithHelp("y", "yes, production")),
	}
}

// Character limits: generous for what Wise issues, small enough that a
// pasted file is refused rather than kept in memory.
const (
	nameLimit   = 64
	secretLimit = 8192
	urlLimit    = 2048
	emailLimit  = 254
)

// newField makes a text input. Masked fields echo '*' only, so a token or
// secret never reaches the screen (or a screenshot, or tmux scrollback).
// The cursor does not blink: a blinking cursor is a tick loop that keeps
// the app busy (and a test driver spinning) for nothing.
func newField(c *Common, placeholder string, limit int, masked bool) textinput.Model {
	ti := textinput.New()
	ti.Prompt = "> "
	ti.Placeholder = placeholder
	ti.CharLimit = limit
	if masked {
		ti.EchoMode = textinput.EchoPassword
		ti.EchoCharacter = '*'
	}
	st := textinput.DefaultStyles(c.Styles.IsDark)
	st.Cursor.Blink = false
	ti.SetStyles(st)
	ti.SetWidth(fieldWidth(c))
	ti.Focus()
	return ti
}

func fieldWidth(c *Common) int { return max(c.Width-6, 10) }

// fitFields lays fields out again after a resize or a change of the
// terminal's background.
func fitFields(c *Common, fields ...*textinput.Model) {
	st := textinput.DefaultStyles(c.Styles.IsDark)
	st.Cursor.Blink = false
	for _, f := range fields {
		f.SetWidth(fieldWidth(c))
		f.SetStyles(st)
	}
}

// choice is one line of a pick list.
type choice struct {
	Label, Detail string
}

// pickList is a vertical list with a cursor.
type pickList struct {
	items  []choice
	cursor int
}

func (l *pickList) update(k wizardKeys, msg tea.KeyPressMsg) {
	switch {
	case key.Matches(msg, k.Up):
		if l.cursor > 0 {
			l.cursor--
		}
	case key.Matches(msg, k.Down):
		if l.cursor < len(l.items)-1 {
			l.cursor++
		}
	}
}

// environment choices, sandbox first: production must be chosen on purpose.
var envChoices = []choice{
	{"sandbox", "wise-sandbox.com: test money; its own tokens and clients"},
	{"production", "wise.com: real money in a live account"},
	{"local", "a localwise server on this machine (demo, tests)"},
}

// envPick is the environment step shared by the personal-token and the
// OAuth-client flows: the list, then the API URL for "local", or an
// explicit confirmation for production.
type envPick struct {
	list   pickList
	apiURL textinput.Model
	env    flows.Environment // resolved when the step is done
}

func newEnvPick(c *Common) envPick {
	p := envPick{list: pickList{items: envChoices}}
	p.apiURL = newField(c, "http://127.0.0.1:PORT (the URL localwise prints)", urlLimit, false)
	if c.Env.Demo {
		// The demo's own localwise is the only place its credentials work.
		p.list.cursor = 2
		p.apiURL.SetValue(c.Env.DemoAPIURL)
		p.apiURL.CursorEnd()
	}
	return p
}

func (p envPick) chosen() string { return p.list.items[p.list.cursor].Label }

// asyncOp tracks one asynchronous call (a check with Wise, a login). Each
// start gets a new id, so an answer to an attempt the user already left
// is recognised and not shown as the current result; cancel stops the
// call's context (a login's listener or paste wait ends at once).
type asyncOp struct {
	id     int
	busy   bool
	c      context.Context
	cancel context.CancelFunc
}

// attemptIDs numbers attempts across every flow and screen: flows share
// answer message types, so a late answer from a flow the user left must
// never carry an id another flow's attempt is waiting for.
var attemptIDs atomic.Int64

// start begins a new attempt and returns its context and unique id.
func (o *asyncOp) start(parent context.Context) (context.Context, int) {
	o.stop()
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	o.id = int(attemptIDs.Add(1))
	o.busy, o.c, o.cancel = true, ctx, cancel
	return ctx, o.id
}

// ctx is the running attempt's context (a cancelled one when idle, so a
// wait started on it ends at once).
func (o *asyncOp) ctx() context.Context {
	if o.c == nil {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx
	}
	return o.c
}

// stop cancels the running attempt, if any.
func (o *asyncOp) stop() {
	if o.cancel != nil {
		o.cancel()
	}
	o.busy, o.cancel = false, nil
}

// current reports whether an answer belongs to the running attempt.
func (o *asyncOp) current(id int) bool { return o.busy && id == o.id }

func newSpinner(c *Common) spinner.Model {
	return spinner.New(spinner.WithSpinner(spinner.Dot), spinner.WithStyle(c.Styles.Selected))
}

// listNext is enter on the environment list: sandbox is resolved at once;
// local needs its API URL and production an explicit yes first.
func (p *envPick) listNext() (needURL, needConfirm bool) {
	switch p.chosen() {
	case string(flows.EnvLocal):
		return true, false
	case string(flows.EnvProduction):
		return false, true
	}
	p.env, _ = flows.ResolveEnv(p.chosen(), "")
	return false, false
}

// urlNext is enter on the local API URL. It returns what is wrong with
// the URL, as the sentence the step shows, or "" once it is taken. The
// checks are ResolveEnv's, said here without its command-line flag names.
func (p *envPick) urlNext() string {
	raw := strings.TrimSpace(p.apiURL.Value())
	if raw == "" {
		return "Enter the URL localwise listens on, as it prints it when it starts."
	}
	env, err := flows.ResolveEnv(string(flows.EnvLocal), raw)
	switch {
	case errors.Is(err, flows.ErrNotHTTPURL):
		return fmt.Sprintf("%q is not an http(s) URL.", raw)
	case errors.Is(err, flows.ErrNotLoopback):
		u, _ := url.Parse(raw)
		return fmt.Sprintf("localwise runs on this machine: give its 127.0.0.1 or localhost URL, not %s. For Wise's own hosts, choose sandbox or production.", u.Hostname())
	case err != nil:
		return errText(err)
	}
	p.env = env
	return ""
}

// confirmProduction is the explicit yes to production.
func (p *envPick) confirmProduction() {
	p.env, _ = flows.ResolveEnv(string(flows.EnvProduction), "")
}

// envSteps are a flow's steps of the environment part: the list, the
// local API URL, the yes to production, and the step after them.
type envSteps[S comparable] struct{ list, apiURL, production, after S }

// withEnv is a flow with an environment part.
type withEnv[S stepID] interface {
	guided[S]
	environment() *envPick
}

// envListStep is the environment list, step n of the flow at: enter moves
// on to the API URL (local), the confirmation (production) or past the
// part (sandbox).
func envListStep[F withEnv[S], S stepID](n int, title, hint string, at envSteps[S]) stepSpec[F, S] {
	return stepSpec[F, S]{
		kind: stepChoice, n: n, title: title, hint: hint, labels: 10,
		list: func(f F) *pickList { return &f.environment().list },
		next: func(f F) (S, string) {
			switch needURL, needConfirm := f.environment().listNext(); {
			case needURL:
				return at.apiURL, ""
			case needConfirm:
				return at.production, ""
			}
			return at.after, ""
		},
	}
}

// envURLStep asks for the local API URL, checked before it is left.
func envURLStep[F withEnv[S], S stepID](n int, at envSteps[S]) stepSpec[F, S] {
	return stepSpec[F, S]{
		kind: stepText, n: n,
		field: func(f F) *textinput.Model { return &f.environment().apiURL },
		next: func(f F) (S, string) {
			if complaint := f.environment().urlNext(); complaint != "" {
				return at.apiURL, complaint
			}
			return at.after, ""
		},
		view: func(f F, v *stepView) { f.environment().urlView(f.flow().c, v) },
	}
}

// envProductionStep is the explicit yes to production; risk says what the
// credential will act on there.
func envProductionStep[F withEnv[S], S stepID](n int, risk string, at envSteps[S]) stepSpec[F, S] {
	return stepSpec[F, S]{
		kind: stepConfirm, n: n,
		next: func(f F) (S, string) {
			f.environment().confirmProduction()
			return at.after, ""
		},
		view: func(f F, v *stepView) { productionView(f.flow().c, v, risk) },
	}
}

// urlView is the step that asks for the local environment's API URL.
func (p *envPick) urlView(c *Common, v *stepView) {
	v.Title = "Which localwise server?"
	v.Hint = "localwise is the stand-in for Wise that the demo and the tests run on this machine; " +
		"plain http is accepted only to 127.0.0.1 or localhost."
	if c.Env.Demo {
		v.Hint += " The demo's server is filled in."
	}
	v.Body = p.apiURL.View()
}

// productionView asks for the explicit yes to production; risk says what
// the credential will act on there.
func productionView(c *Common, v *stepView, risk string) {
	v.Title = "Use production?"
	v.Hint = "Press y to store it for production, or esc to choose another environment."
	v.Body = c.Styles.Badge(string(flows.EnvProduction)) + " " + c.Styles.Warning.Render(risk)
}
