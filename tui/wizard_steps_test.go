package tui

import (
	"fmt"
	"testing"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

// checkTable fails for a step table the engine cannot run: a hole, a step
// without what its kind needs, a name step whose then is not a later step
// of the table, a counter outside the flow's count, or a flow without
// exactly one name and one result step. (next is a function: where it
// leads, and that naming the step itself means staying, the flows' own
// tests show.)
func checkTable[F guided[S], S stepID](t tableReporter, spec *flowSpec[F, S]) {
	t.Helper()
	if spec.flow == "" || spec.title == "" || spec.call == "" || spec.done == nil || spec.unsaved == "" || spec.of < 1 {
		t.Errorf("%q: the flow's own words are incomplete", spec.flow)
	}
	count := map[stepKind]int{}
	for i, st := range spec.steps {
		where := fmt.Sprintf("%q step %d", spec.flow, i)
		count[st.kind]++
		if st.n < 1 || st.n > spec.of {
			t.Errorf("%s: counted as step %d of %d", where, st.n, spec.of)
		}
		missing := ""
		switch st.kind {
		case stepNone:
			missing = "a kind (a hole in the table)"
		case stepName:
			if st.lookup == nil {
				missing = "its lookup"
			}
			// then goes on to a later step of the table. Its zero value
			// is the first step, so an omitted then is refused wherever
			// the name step is.
			if int(st.then) <= i || int(st.then) >= len(spec.steps) {
				missing = fmt.Sprintf("a later step to go on to (then is step %d)", st.then)
			}
		case stepText, stepMasked:
			if st.field == nil || st.next == nil {
				missing = "its field or next"
			}
		case stepChoice:
			if st.list == nil || st.next == nil {
				missing = "its list or next"
			}
		case stepConfirm:
			if st.next == nil || st.view == nil {
				missing = "its next or view"
			}
		case stepCall:
			if st.start == nil || (st.doing == nil && st.view == nil) {
				missing = "its call or what it shows"
			}
		case stepInfo:
			if st.next == nil || st.view == nil {
				missing = "its next or view"
			}
		case stepResult:
			if st.failed == "" || st.view == nil {
				missing = "its failure title or its view"
			}
		}
		if missing != "" {
			t.Errorf("%s (kind %d) lacks %s", where, st.kind, missing)
		}
		if st.accepts != nil && st.field == nil {
			t.Errorf("%s: accepts typing without a field", where)
		}
	}
	if count[stepName] != 1 || count[stepResult] != 1 || count[stepCall] < 1 {
		t.Errorf("%q: %d name, %d result and %d call steps; want one, one and at least one",
			spec.flow, count[stepName], count[stepResult], count[stepCall])
	}
}

// tableReporter is the part of testing.T that checkTable reports to.
type tableReporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// complaints records what checkTable reports.
type complaints struct{ n int }

func (c *complaints) Helper()               {}
func (c *complaints) Errorf(string, ...any) { c.n++ }

// Every flow's table is complete, so the shared engine can run each step.
func TestFlowTablesAreComplete(t *testing.T) {
	checkTable(t, personalSteps)
	checkTable(t, clientSteps)
	checkTable(t, loginSteps)
	checkTable(t, registrationSteps)
	checkTable(t, mtlsSteps)
	checkTable(t, joseSteps)
}

// The table test itself refuses a hole and a step without its parts.
func TestFlowTableCheckRefusesAnIncompleteTable(t *testing.T) {
	broken := *personalSteps
	broken.steps = append([]stepSpec[*personalFlow, personalStep](nil), personalSteps.steps...)
	broken.steps[psToken] = stepSpec[*personalFlow, personalStep]{}
	var probe complaints
	checkTable(&probe, &broken)
	if probe.n == 0 {
		t.Error("a table with a hole passed the check")
	}
}

// The table test refuses a name step without its then, also where the
// name step is not the first (then's zero value is then another step).
func TestFlowTableCheckRefusesANameStepWithoutThen(t *testing.T) {
	for _, tc := range []struct {
		name  string
		check func(tableReporter)
	}{
		{"then omitted on the first step", func(r tableReporter) {
			broken := *personalSteps
			broken.steps = append([]stepSpec[*personalFlow, personalStep](nil), personalSteps.steps...)
			broken.steps[psName].then = 0
			checkTable(r, &broken)
		}},
		{"then omitted on the second step", func(r tableReporter) {
			broken := *loginSteps
			broken.steps = append([]stepSpec[*loginFlow, loginStep](nil), loginSteps.steps...)
			broken.steps[lsName].then = 0
			checkTable(r, &broken)
		}},
		{"then past the table", func(r tableReporter) {
			broken := *loginSteps
			broken.steps = append([]stepSpec[*loginFlow, loginStep](nil), loginSteps.steps...)
			broken.steps[lsName].then = loginStep(len(broken.steps))
			checkTable(r, &broken)
		}},
	} {
		var probe complaints
		tc.check(&probe)
		if probe.n == 0 {
			t.Errorf("a name step with %s passed the check", tc.name)
		}
	}
}

// Each flow answers with its own message type: a check that a flow the
// user left sends late never counts as the answer of another kind of
// flow, even one whose attempt carries the same id.
func TestFlowAnswersOfAnotherKindOfFlowAreNotTaken(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzNamed(press(typeInto(newPersonalFlow(c, 0), "acme-token"), "enter"))
	s = press(typeInto(press(s, "enter"), wzTokenCanary), "enter")
	f := s.(*personalFlow)
	if f.step != psChecking {
		t.Fatalf("step %d, want the check", f.step)
	}
	id := f.op.id
	for _, msg := range []any{
		clientCheckedMsg{id: id, entry: wzClientEntry()},
		registeredMsg{id: id, entry: wzRegistered()},
		loginDoneMsg{id: id, entry: wzLoggedIn()},
	} {
		_, cmd := s.Update(msg)
		if f.step != psChecking || !f.op.busy || cmd != nil {
			t.Fatalf("%T was taken as the personal flow's answer (step %d)", msg, f.step)
		}
	}
	s.Update(personalCheckedMsg{id: id, entry: wzPersonalEntry("acme-token")})
	if f.step != psResult || f.err != nil {
		t.Fatalf("its own answer was not taken (step %d)", f.step)
	}
}

// While the name is looked up, the name field takes no typing or paste,
// and the flow goes on with the name that was checked, whatever the field
// holds when the answer comes.
func TestFlowNameStepKeepsTheCheckedName(t *testing.T) {
	c := wzCommon(80, 24)
	personal := newPersonalFlow(c, 0)
	login := wzLoginFlow(c)
	for _, tc := range []struct {
		flow   string
		s      Screen
		walk   func(Screen) Screen
		named  func() bool
		name   func() (field, used string)
		field  func() *textinput.Model
		answer func() tea.Msg
	}{
		{
			flow: "personal", s: personal,
			walk:   func(s Screen) Screen { return s },
			named:  func() bool { return personal.step == psEnv },
			name:   func() (string, string) { return personal.name.Value(), personal.entryName() },
			field:  func() *textinput.Model { return &personal.name },
			answer: func() tea.Msg { return nameCheckedMsg{id: personal.nameOp.id} },
		},
		{
			flow: "login", s: login,
			walk:   func(s Screen) Screen { return press(s, "enter") },
			named:  func() bool { return login.step == lsMode },
			name:   func() (string, string) { return login.name.Value(), login.entryName() },
			field:  func() *textinput.Model { return &login.name },
			answer: func() tea.Msg { return userNameCheckedMsg{id: login.nameOp.id} },
		},
	} {
		t.Run(tc.flow, func(t *testing.T) {
			s := press(typeInto(tc.walk(tc.s), "good"), "enter")
			s = typeInto(s, " bad/name!")
			s, _ = s.Update(tea.PasteMsg{Content: "pasted"})
			if field, _ := tc.name(); field != "good" {
				t.Fatalf("the name field took input while its lookup ran: %q", field)
			}
			// However the field came to change, the checked name is used.
			tc.field().SetValue("good bad/name!")
			s, _ = s.Update(tc.answer())
			if !tc.named() {
				t.Fatalf("the lookup's answer did not move the flow on")
			}
			if _, used := tc.name(); used != "good" {
				t.Fatalf("the flow goes on with %q, want the checked %q", used, "good")
			}
		})
	}
}
