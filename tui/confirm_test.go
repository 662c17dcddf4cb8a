package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestConfirmNeedsAnExplicitYes(t *testing.T) {
	k := DefaultKeyMap()
	d := newConfirm("Delete x?", []string{"really"}, "Delete", "Keep", true)
	if _, c := d.Update(keyPress("enter"), k); c != confirmNo {
		t.Error("enter with the default focus did not answer no")
	}
	if _, c := d.Update(keyPress("y"), k); c != confirmYes {
		t.Error("y did not answer yes")
	}
	for _, key := range []string{"n", "esc"} {
		if _, c := d.Update(keyPress(key), k); c != confirmNo {
			t.Errorf("%s did not answer no", key)
		}
	}
	if _, c := d.Update(keyPress("x"), k); c != confirmPending {
		t.Error("an unrelated key answered")
	}
	d, _ = d.Update(keyPress("tab"), k)
	if _, c := d.Update(keyPress("enter"), k); c != confirmYes {
		t.Error("enter after moving to yes did not answer yes")
	}
}

func TestConfirmViewNamesBothAnswers(t *testing.T) {
	d := newConfirm("Delete x?", []string{"line one", "line two"}, "Delete", "Keep", true)
	v := ansi.Strip(d.View(NewStyles(true), 80))
	for _, want := range []string{"Delete x?", "line one", "line two", "Keep (n)", "Delete (y)"} {
		if !strings.Contains(v, want) {
			t.Errorf("the dialog lacks %q:\n%s", want, v)
		}
	}
	for _, l := range strings.Split(v, "\n") {
		if ansi.StringWidth(l) > 80 {
			t.Errorf("dialog line wider than 80: %q", l)
		}
	}
}
