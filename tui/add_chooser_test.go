package tui

import (
	"strings"
	"testing"
)

func TestAddChooserExplainsEachKind(t *testing.T) {
	for i, k := range accessKinds {
		t.Run(strings.ReplaceAll(strings.ToLower(k.Label), " ", "-"), func(t *testing.T) {
			c := wzCommon(80, 24)
			s := newAddChooserAt(c, i)
			wzGolden(t, c, s)
		})
	}
}

func TestAddChooserAt100x30(t *testing.T) {
	c := wzCommon(100, 30)
	wzGolden(t, c, newAddChooser(c))
}

// The explanations say what Wise's documentation says decides the
// choice; these words must not get lost in an edit.
func TestAddChooserSaysWhatWiseSays(t *testing.T) {
	c := wzCommon(80, 24)
	want := [][]string{
		{"small business", "Your account → Integrations and tools → API tokens", "PSD2", "quotes, recipients, transfers"},
		{"partners acting for their customers", "Developer Hub", "client id and secret", "mTLS"},
		{"authorization code", "redirect URL", "refresh token"},
		{"registration code", "never shown", "claim"},
		{"requires mTLS of every OAuth partner", "never leaves the wallet", "Developer Hub signs the CSR", "a year", "at most 10 active", "technical contact", "counts it down"},
		{"signed (JWS)", "encrypted (JWE)", "uploads their public halves", "Wise's public keys", "playground", "never leave the wallet", "counts each key down"},
		{"risk assessment", "x-2fa-approval", "challenge screen", "same call again once", "a PIN and this device", "legacy", "SCA session"},
	}
	for i, k := range accessKinds {
		full := k.Why + " " + k.Label + " " + k.Detail
		// The explanation is on screen (first words, before the box wraps it).
		if first := strings.Join(strings.Fields(k.Why)[:4], " "); !strings.Contains(wzPlain(newAddChooserAt(c, i)), first) {
			t.Errorf("choice %q: its explanation is not shown", k.Label)
		}
		for _, w := range want[i] {
			if !strings.Contains(full, w) {
				t.Errorf("choice %q does not mention %q", accessKinds[i].Label, w)
			}
		}
	}
}

func TestAddChooserStartsTheChosenFlow(t *testing.T) {
	for i, k := range accessKinds {
		c := wzCommon(80, 24)
		var s Screen = newAddChooser(c)
		for range i {
			s = press(s, "down")
		}
		_, cmd := s.Update(keyPress("enter"))
		msgs := cmdMsgs(cmd)
		if len(msgs) != 1 {
			t.Fatalf("%s: enter gave %d messages, want one Replace", k.Label, len(msgs))
		}
		r, ok := msgs[0].(replaceMsg)
		if !ok {
			t.Fatalf("%s: enter gave %T, want a Replace (the flow takes the chooser's place)", k.Label, msgs[0])
		}
		if got, want := r.s.Title(), k.start(c, i).Title(); got != want {
			t.Errorf("line %d started %q, want %q", i, got, want)
		}
	}
}

func TestAddChooserCursorStopsAtTheEnds(t *testing.T) {
	c := wzCommon(80, 24)
	s := press(newAddChooser(c), "up", "up").(*addChooser)
	if s.list.cursor != 0 {
		t.Errorf("cursor %d after up at the top", s.list.cursor)
	}
	s = press(s, "down", "down", "down", "down", "down", "down", "down", "j").(*addChooser)
	if s.list.cursor != len(accessKinds)-1 {
		t.Errorf("cursor %d after going down past the end", s.list.cursor)
	}
	s = press(s, "k").(*addChooser)
	if s.list.cursor != len(accessKinds)-2 {
		t.Errorf("k did not move up: cursor %d", s.list.cursor)
	}
}

func TestAddChooserEscGoesBack(t *testing.T) {
	c := wzCommon(80, 24)
	_, cmd := newAddChooser(c).Update(keyPress("esc"))
	msgs := cmdMsgs(cmd)
	if len(msgs) != 1 {
		t.Fatalf("esc gave %d messages", len(msgs))
	}
	if _, ok := msgs[0].(popMsg); !ok {
		t.Fatalf("esc gave %T, want a Pop", msgs[0])
	}
}

// Esc on a flow's first step comes back to the chooser, on the line the
// flow was started from.
func TestAddChooserFlowsComeBackToTheirLine(t *testing.T) {
	for i, k := range accessKinds {
		c := wzCommon(80, 24)
		flow := k.start(c, i)
		_, cmd := flow.Update(keyPress("esc"))
		msgs := cmdMsgs(cmd)
		if len(msgs) != 1 {
			t.Fatalf("%s: esc on the first step gave %d messages", k.Label, len(msgs))
		}
		r, ok := msgs[0].(replaceMsg)
		if !ok {
			t.Fatalf("%s: esc on the first step gave %T, want the chooser back", k.Label, msgs[0])
		}
		ch, ok := r.s.(*addChooser)
		if !ok || ch.list.cursor != i {
			t.Errorf("%s: esc came back to %T at line %v, want the chooser at line %d", k.Label, r.s, ch, i)
		}
	}
}
