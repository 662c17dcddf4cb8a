package tui

// The step table of the guided flows and the engine that runs it. A flow
// is mostly its table: per step, what kind of step it is, what it asks
// and explains, what enter does with the answer (check it, keep it, name
// the next step) and which call runs. What every flow does alike is
// written here once: esc goes back one step and cancels a running call,
// enter checks and moves on, production needs an explicit y, the call
// runs as a numbered attempt whose late answer is dropped or told, and
// the result leads back to the dashboard.

import (
	"context"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/wisewallet/wisewallet/flows"
)

// stepID is a flow's own step type; its values index the flow's table.
type stepID interface{ ~int }

// stepKind is what a step is. It decides what the engine does with the
// step's keys, how the step is drawn and which help it shows.
type stepKind int

const (
	stepNone    stepKind = iota // a hole in a table (the table test refuses it)
	stepName                    // the new entry's name: checked, then looked up in the wallet
	stepText                    // a text field; enter hands it to next
	stepMasked                  // a text field echoing '*', drawn with its length only
	stepChoice                  // a list; ↑/↓ move, enter hands the line to next
	stepConfirm                 // an explicit yes (production): only y moves on, to next
	stepCall                    // the flow's call runs, the spinner turning; esc cancels it
	stepResult                  // the call's answer; enter leaves (esc too, after a save)
	stepInfo                    // a page to read (what to do elsewhere); enter hands it to next
)

// stepSpec is one step of a flow's table. F is the flow (its screen), S
// its step type. The functions get the flow as their argument and run on
// the UI goroutine; none is a command.
type stepSpec[F any, S stepID] struct {
	kind stepKind
	n    int // "step n of" the flow's count
	// title and hint are the step's question and what Wise expects;
	// view may word them from the flow's state instead.
	title, hint string

	// field is the input of a text, masked or call step (a login's paste).
	field func(F) *textinput.Model
	// accepts says whether field takes typing now; nil: always.
	accepts func(F) bool
	// list is the choice step's list, drawn with labels cells of label.
	list   func(F) *pickList
	labels int

	// next is enter on a text or choice step, y on a confirm step: it
	// keeps what the step contributes and names the step that follows,
	// or says why the flow stays (complaint), or names the step itself
	// to stay silently. Going on to a call step starts the call.
	next func(F) (to S, complaint string)

	// lookup is the name step's wallet lookup; named, if set, takes its
	// answer (whether the name is an earlier login to replace) before
	// the flow goes on to then.
	lookup func(F) nameCheck
	named  func(F, bool)
	then   S

	// start is the call step's call, begun as the flow enters the step,
	// with the attempt's context (esc cancels it) and id, which the
	// answer must carry (see flowAnswered). It takes what it needs from
	// the flow before it returns: its commands must not read the flow.
	start func(F, context.Context, int) tea.Cmd
	// doing is the call step's line beside the spinner.
	doing func(F) string

	// failed is the result step's title after a failed call; view draws
	// the result of a successful one.
	failed string

	// key, if set, sees a key before the kind's handling (esc excepted);
	// handled=true ends it there.
	key func(F, tea.KeyPressMsg) (cmd tea.Cmd, handled bool)
	// help, if set, replaces the kind's footer.
	help func(F) []key.Binding
	// onBack runs when esc comes back to this step.
	onBack func(F)
	// escape, if set, is esc on this step instead of a step back: the
	// first step after a call that saved, where going back would redo
	// what is done (the flow leaves, saying what was kept).
	escape func(F) tea.Cmd
	// view words what the step shows from the flow's state, after the
	// kind has drawn its body.
	view func(F, *stepView)
}

// guided is what the engine needs of a flow: its shared state.
type guided[S stepID] interface{ flow() *flowBase[S] }

// flowSpec is a flow's table and its own words.
type flowSpec[F guided[S], S stepID] struct {
	flow  string // above every step: "Personal API token"
	title string // the screen's title
	of    int    // the steps counted, "step n of"
	call  string // the call in the notice of a late answer: "check", "login"
	// done is the notice after a save, unsaved the one after a failure.
	done    func(F) string
	unsaved string
	steps   []stepSpec[F, S]
	// frame, if set, words the frame of every step (its flow line and
	// counter) from the flow's state, after the step's view: a flow
	// opened part-way, from an entry, says so.
	frame func(F, *stepView)
}

// flowAnswered is the answer of a flow's call (attempt id). Each flow has
// its own type of it, by its step type, so the late answer of a flow the
// user left never reaches another kind of flow that took its place.
type flowAnswered[S stepID] struct {
	id    int
	entry flows.EntryView
	err   error
}

// walletCall runs work with the wallet in a command and answers the flow
// with its result. work must not read the flow: take what it needs before.
func walletCall[S stepID](c *Common, ctx context.Context, id int, work func(ctx context.Context, svc Backend) (flows.EntryView, error)) tea.Cmd {
	return c.WalletCmd(func(svc Backend) tea.Msg {
		e, err := work(ctx, svc)
		return flowAnswered[S]{id: id, entry: e, err: err}
	})
}

// freeName is the lookup of a name step that needs a name no entry has.
func freeName[F any](F) nameCheck { return checkFreeName }

func (t *flowSpec[F, S]) at(s S) *stepSpec[F, S] { return &t.steps[s] }

// find is the first step of kind k; every table has a name and a result
// step (the table test checks it).
func (t *flowSpec[F, S]) find(k stepKind) S {
	for i := range t.steps {
		if t.steps[i].kind == k {
			return S(i)
		}
	}
	panic("tui: the flow " + t.flow + " has no step of that kind")
}

// base is the shared state of a new flow of this table, opened from the
// chooser's line from (or -1), with name as its name field.
func (t *flowSpec[F, S]) base(c *Common, from int, name textinput.Model) flowBase[S] {
	return newFlowBase(c, from, name, t.find(stepName), t.find(stepResult))
}

// update is the flow's Update for every message the flow does not handle
// itself.
func (t *flowSpec[F, S]) update(f F, msg tea.Msg) tea.Cmd {
	b := f.flow()
	switch msg := msg.(type) {
	case tea.WindowSizeMsg, tea.BackgroundColorMsg:
		fitFields(b.c, t.fields(f)...)
		return nil
	case spinner.TickMsg:
		return b.tick(msg)
	case nameCheckedMsg:
		t.named(f, msg.id, false, msg.err)
		return nil
	case userNameCheckedMsg:
		t.named(f, msg.id, msg.replace, msg.err)
		return nil
	case flowAnswered[S]:
		return b.answered(msg.id, msg.entry, msg.err, t.call)
	case tea.KeyPressMsg:
		return t.key(f, msg)
	case tea.PasteMsg:
		b.errMsg = ""
	}
	return t.forward(f, msg)
}

// named takes the answer of the name lookup: the flow moves on from the
// name step once the name may be used.
func (t *flowSpec[F, S]) named(f F, id int, replace bool, err error) {
	b := f.flow()
	if !b.nameChecked(id, err) {
		return
	}
	st := t.at(b.nameStep)
	if st.named != nil {
		st.named(f, replace)
	}
	b.go2(st.then)
}

func (t *flowSpec[F, S]) key(f F, k tea.KeyPressMsg) tea.Cmd {
	b := f.flow()
	if key.Matches(k, b.keys.Back) {
		if st := t.at(b.step); st.escape != nil {
			return st.escape(f)
		}
		cmd := b.goBack(t.done(f))
		if st := t.at(b.step); st.onBack != nil {
			st.onBack(f)
		}
		return cmd
	}
	st := t.at(b.step)
	if st.key != nil {
		if cmd, handled := st.key(f, k); handled {
			return cmd
		}
	}
	next := key.Matches(k, b.keys.Next)
	switch st.kind {
	case stepName:
		if next {
			return b.submitName(st.lookup(f))
		}
	case stepText, stepMasked:
		if next {
			to, complaint := st.next(f)
			return t.move(f, to, complaint)
		}
	case stepChoice:
		if next {
			to, complaint := st.next(f)
			return t.move(f, to, complaint)
		}
		st.list(f).update(b.keys, k)
		// The complaint was about the line the cursor left.
		b.errMsg = ""
		return nil
	case stepConfirm:
		if key.Matches(k, b.keys.Confirm) {
			to, complaint := st.next(f)
			return t.move(f, to, complaint)
		}
		return nil
	case stepInfo:
		if next {
			to, complaint := st.next(f)
			return t.move(f, to, complaint)
		}
		return nil
	case stepResult:
		return b.resultKey(k, t.done(f), t.unsaved)
	}
	if t.typing(f, st) == nil {
		return nil
	}
	// Typing into a field: the complaint about the last enter is stale.
	b.errMsg = ""
	return t.forward(f, k)
}

// move takes what next said: stay with a complaint, stay silently (to is
// the step itself), or go on to step to; a call step starts its call.
func (t *flowSpec[F, S]) move(f F, to S, complaint string) tea.Cmd {
	b := f.flow()
	if complaint != "" {
		b.errMsg = complaint
		return nil
	}
	if to == b.step {
		return nil
	}
	st := t.at(to)
	if st.kind != stepCall {
		b.go2(to)
		return nil
	}
	ctx, id := b.op.start(b.c.Ctx)
	b.go2(to)
	return tea.Batch(b.spin.Tick, st.start(f, ctx, id))
}

// typing is the field the current step types into now, or nil.
func (t *flowSpec[F, S]) typing(f F, st *stepSpec[F, S]) *textinput.Model {
	switch {
	case st.kind == stepName && f.flow().nameOp.busy:
		// The name is being looked up: what the user types now was
		// not checked.
		return nil
	case st.kind == stepName:
		return &f.flow().name
	case st.field == nil, st.accepts != nil && !st.accepts(f):
		return nil
	}
	return st.field(f)
}

// forward gives a message (a key, a paste) to the step's field.
func (t *flowSpec[F, S]) forward(f F, msg tea.Msg) tea.Cmd {
	field := t.typing(f, t.at(f.flow().step))
	if field == nil {
		return nil
	}
	var cmd tea.Cmd
	*field, cmd = field.Update(msg)
	return cmd
}

// fields are every text field of the flow, to lay out after a resize.
func (t *flowSpec[F, S]) fields(f F) []*textinput.Model {
	out := []*textinput.Model{&f.flow().name}
	for i := range t.steps {
		if t.steps[i].field != nil {
			out = append(out, t.steps[i].field(f))
		}
	}
	return out
}

// capturesText: typed letters belong to the step's field, not the App.
func (t *flowSpec[F, S]) capturesText(f F) bool {
	switch t.at(f.flow().step).kind {
	case stepName, stepText, stepMasked:
		return true
	}
	return false
}

// render draws the current step.
func (t *flowSpec[F, S]) render(f F) string {
	b := f.flow()
	st := t.at(b.step)
	v := stepView{Flow: t.flow, Of: t.of, N: st.n, Title: st.title, Hint: st.hint}
	switch st.kind {
	case stepName:
		v.Body = b.nameBody()
	case stepText:
		v.Body = st.field(f).View()
	case stepMasked:
		v.Body = secretFieldView(b.c, *st.field(f))
	case stepChoice:
		v.Body = renderList(b.c, *st.list(f), st.labels)
	case stepCall:
		if st.doing != nil {
			v.Body = spinLine(b.c, b.spin.View(), st.doing(f))
		}
	case stepResult:
		if b.err != nil {
			b.failedView(&v, st.failed)
			return b.render(v)
		}
		v.Tone = 1
	}
	if st.view != nil {
		st.view(f, &v)
	}
	if t.frame != nil {
		t.frame(f, &v)
	}
	return b.render(v)
}

// shortHelp is the footer: lists choose, text steps go next, a running
// call can be cancelled, a result ends the flow.
func (t *flowSpec[F, S]) shortHelp(f F) []key.Binding {
	b := f.flow()
	st := t.at(b.step)
	if st.help != nil {
		return st.help(f)
	}
	return flowHelp(b.keys, st.kind == stepChoice, st.kind == stepConfirm, st.kind == stepCall, st.kind == stepResult, b.err == nil)
}
