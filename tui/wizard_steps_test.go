package tui

import (
	"fmt"
	"testing"
)

// checkTable fails for a step table the engine cannot run: a hole, a step
// without what its kind needs, a counter outside the flow's count, or a
// flow without exactly one name and one result step.
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
			if st.then == S(i) {
				missing = "a step to go on to"
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
