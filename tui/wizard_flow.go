package tui

// The state every guided flow is built on: its steps and the way back
// through them, the step that names the new entry, the call to Wise that
// ends the flow, and its result. Each flow embeds a flowBase and adds its
// own fields; its steps and words are its table (see wizard_steps.go,
// whose engine uses what is here), so esc, a late answer or a stale name
// check behave alike in each.

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/wisewallet/wisewallet/flows"
)

// flowBase is the state all guided flows share. S is the flow's own step
// type; its zero value is the flow's first step.
type flowBase[S comparable] struct {
	c    *Common
	keys wizardKeys
	from int // chooser line, or -1
	step S
	back history[S]
	// The flow's steps that the shared handling has to know: where the
	// name is asked, where the result is shown.
	nameStep, resultStep S

	name   textinput.Model // the new entry's name
	nameOp asyncOp         // the wallet lookup of that name
	op     asyncOp         // the flow's call to Wise
	spin   spinner.Model
	errMsg string // why the last enter did not move on

	// checkedName is the name as enter sent it to the lookup: the flow
	// goes on with the name that was checked, whatever the field holds.
	checkedName string

	// The call's answer, shown on the result step.
	saved flows.EntryView
	err   error
}

func newFlowBase[S comparable](c *Common, from int, name textinput.Model, nameStep, resultStep S) flowBase[S] {
	return flowBase[S]{
		c: c, keys: newWizardKeys(c.Keys), from: from,
		nameStep: nameStep, resultStep: resultStep,
		name: name,
		spin: newSpinner(c),
	}
}

// flow is the shared state, for the engine (see guided).
func (f *flowBase[S]) flow() *flowBase[S] { return f }

// go2 moves on to the next step, remembering this one for esc.
func (f *flowBase[S]) go2(next S) {
	f.back.push(f.step)
	f.step, f.errMsg = next, ""
}

// goBack is esc: one step back, cancelling a running call or name check;
// from the first step, back to where the flow was opened. Nothing is
// saved. On a saved result esc leaves as enter does (done is the notice).
func (f *flowBase[S]) goBack(done string) tea.Cmd {
	if f.step == f.resultStep && f.err == nil {
		return finishSaved(done)
	}
	f.op.stop()
	f.nameOp.stop()
	f.errMsg = ""
	prev, ok := f.back.pop()
	if !ok {
		return leaveFlow(f.c, f.from)
	}
	f.step = prev
	return nil
}

// Leave stops what a flow still runs (a check, a login's listener or
// paste wait). Esc and the result already do; this is for an App that
// drops the screen some other way (a lock).
func (f *flowBase[S]) Leave() { f.op.stop(); f.nameOp.stop() }

// entryName is the name checked on the name step, as it will be stored.
func (f *flowBase[S]) entryName() string { return f.checkedName }

// nameCheck starts the wallet lookup of a new entry's name as attempt id.
type nameCheck func(c *Common, name string, id int) tea.Cmd

// submitName is enter on the name step: an invalid name is refused at
// once, a valid one is looked up in the wallet by check, whose answer
// (see nameChecked) moves the flow on. Enter again while it runs does
// nothing, and the field takes no typing then (see flowSpec.typing).
func (f *flowBase[S]) submitName(check nameCheck) tea.Cmd {
	if f.nameOp.busy {
		return nil
	}
	name := strings.TrimSpace(f.name.Value())
	if err := flows.ValidateName(name); err != nil {
		f.errMsg = errText(err)
		return nil
	}
	f.checkedName = name
	_, id := f.nameOp.start(f.c.Ctx)
	return check(f.c, name, id)
}

// nameChecked takes the answer of the name lookup and reports whether the
// flow may move on. An answer to a lookup the user left (esc) is dropped;
// a refused name is said on the name step.
func (f *flowBase[S]) nameChecked(id int, err error) bool {
	if !f.nameOp.current(id) || f.step != f.nameStep {
		return false
	}
	f.nameOp.stop()
	if err != nil {
		f.errMsg = errText(err)
		return false
	}
	return true
}

// nameBody is the name step's input, and a line while the lookup runs.
func (f *flowBase[S]) nameBody() string {
	body := f.name.View()
	if f.nameOp.busy {
		body += "\n" + f.c.Styles.Subtle.Render("  checking the name…")
	}
	return body
}

// nameCheckedMsg says whether an entry name can be used.
type nameCheckedMsg struct {
	id  int
	err error
}

// checkFreeName reads the wallet for an existing entry of that name.
func checkFreeName(c *Common, name string, id int) tea.Cmd {
	return c.WalletCmd(func(svc Backend) tea.Msg {
		_, err := svc.Entry(name)
		switch {
		case errors.Is(err, flows.ErrEntryNotFound):
			return nameCheckedMsg{id: id}
		case err == nil:
			return nameCheckedMsg{id: id, err: fmt.Errorf("%w: %q is taken; choose another name", flows.ErrEntryExists, name)}
		default:
			return nameCheckedMsg{id: id, err: err}
		}
	})
}

// tick turns the spinner while the call runs; dropping a tick once it
// is over ends the spinner's tick loop.
func (f *flowBase[S]) tick(msg spinner.TickMsg) tea.Cmd {
	if !f.op.busy {
		return nil
	}
	var cmd tea.Cmd
	f.spin, cmd = f.spin.Update(msg)
	return cmd
}

// answered takes the answer of the call (attempt id) and shows it on the
// result step. An answer to an attempt the user left is not shown; if it
// saved the entry anyway (it had got through before esc), a notice says
// so rather than leave a saved entry unmentioned. what names the call in
// that notice: "check", "login".
func (f *flowBase[S]) answered(id int, e flows.EntryView, err error, what string) tea.Cmd {
	if !f.op.current(id) {
		if err == nil {
			return tea.Batch(WalletChanged(), Toast(fmt.Sprintf("The %s you left finished: %q was saved.", what, e.Name), false))
		}
		return nil
	}
	f.op.stop()
	f.saved, f.err = e, err
	f.step = f.resultStep
	return nil
}

// resultKey is a key on the result step: enter goes back to the
// dashboard, with the notice done after a save or unsaved after a failure.
func (f *flowBase[S]) resultKey(k tea.KeyPressMsg, done, unsaved string) tea.Cmd {
	if !key.Matches(k, f.keys.Next) {
		return nil
	}
	if f.err == nil {
		return finishSaved(done)
	}
	return leaveUnsaved(unsaved)
}

// failedView is the result step of a failed call: title, then what
// happened and what to do.
func (f *flowBase[S]) failedView(v *stepView, title string) {
	if errors.Is(f.err, flows.ErrUnreachable) && strings.HasPrefix(title, "✗ Not saved:") {
		// Wise did not refuse anything: no answer came.
		title = "✗ Not saved: Wise could not be reached"
	}
	v.Title, v.Tone = title, -1
	v.Body = renderProblem(f.c, explain(f.err))
}

// render draws the step v with the complaint about the last enter.
func (f *flowBase[S]) render(v stepView) string {
	v.Err = f.errMsg
	return renderStep(f.c, v)
}

// history is the steps a flow walked through, for esc.
type history[S comparable] []S

func (h *history[S]) push(s S) { *h = append(*h, s) }

// pop returns the previous step, or ok=false at the first one.
func (h *history[S]) pop() (S, bool) {
	var zero S
	if len(*h) == 0 {
		return zero, false
	}
	s := (*h)[len(*h)-1]
	*h = (*h)[:len(*h)-1]
	return s, true
}

// leaveFlow goes back to where the flow was opened from: the chooser
// (at the flow's own line) when it was picked there, else the previous
// screen.
func leaveFlow(c *Common, fromChooser int) tea.Cmd {
	if fromChooser >= 0 {
		return Replace(newAddChooserAt(c, fromChooser))
	}
	return Pop()
}

// finishSaved returns to the dashboard after a save. Flows replace the
// chooser on the stack, so one Pop is the way back; the dashboard is told
// of the change, so the new entry shows at once.
func finishSaved(text string) tea.Cmd {
	return tea.Sequence(Pop(), WalletChanged(), Toast(text, false))
}

// leaveUnsaved returns to the dashboard after a failed check.
func leaveUnsaved(text string) tea.Cmd { return tea.Sequence(Pop(), Toast(text, true)) }

// flowHelp is the footer of a flow step: lists choose, text steps go
// next, a running call can be cancelled, a result ends the flow.
func flowHelp(k wizardKeys, list, confirm, busy, result, ok bool) []key.Binding {
	switch {
	case busy:
		return []key.Binding{k.Cancel}
	case result && ok:
		return []key.Binding{k.Done}
	case result:
		return []key.Binding{k.Back, k.Leave}
	case confirm:
		return []key.Binding{k.Confirm, k.Back}
	case list:
		return []key.Binding{chooseKey(k), k.Next, k.Back}
	default:
		return []key.Binding{k.Next, k.Back}
	}
}

// chooseKey is ↑/↓ as one help entry.
func chooseKey(k wizardKeys) key.Binding {
	return key.NewBinding(key.WithKeys(append(k.Up.Keys(), k.Down.Keys()...)...), key.WithHelp("↑/↓", "choose"))
}
