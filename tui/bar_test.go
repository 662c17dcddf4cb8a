package tui

import (
	"strings"
	"testing"
	"time"
)

func TestCountdownFormats(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "expired"},
		{0, "expired"},
		{42 * time.Second, "42s"},
		{2*time.Minute + 41*time.Second, "2m41s"},
		{11*time.Hour + 59*time.Minute + 8*time.Second, "11h59m08s"},
		{12*24*time.Hour + 3*time.Hour + 5*time.Minute, "12d03h"},
		{412 * 24 * time.Hour, "412d"},
	} {
		if got := countdown(tc.d); got != tc.want {
			t.Errorf("countdown(%s) = %q, want %q", tc.d, got, tc.want)
		}
		if len([]rune(countdown(tc.d))) > leftW {
			t.Errorf("countdown(%s) is wider than its column", tc.d)
		}
	}
}

func TestBarCellsFillInEighths(t *testing.T) {
	for _, tc := range []struct {
		frac   float64
		width  int
		filled string
		empty  int
	}{
		{0, 4, "", 4},
		{1, 4, "████", 0},
		{0.5, 4, "██", 2},
		{1.0 / 32, 4, "▏", 3},
		{0.55, 4, "██▎", 1},
		{2, 3, "███", 0},
		{-1, 3, "", 3},
	} {
		filled, empty := barCells(tc.frac, tc.width)
		if filled != tc.filled || empty != tc.empty {
			t.Errorf("barCells(%v, %d) = %q, %d; want %q, %d", tc.frac, tc.width, filled, empty, tc.filled, tc.empty)
		}
	}
}

func TestBarMovesWithinAThreeMinuteTokenEverySecondOrTwo(t *testing.T) {
	// A 20-cell bar of a 3-minute token: 160 steps for 180 seconds.
	distinct := map[string]bool{}
	for s := 0; s <= 180; s++ {
		f, _ := barCells(float64(180-s)/180, 20)
		distinct[f] = true
	}
	if len(distinct) < 150 {
		t.Errorf("the bar took only %d distinct shapes over 180 seconds", len(distinct))
	}
}

func TestBarLevels(t *testing.T) {
	if remainingLevel(0.5) != levelGood || remainingLevel(0.2) != levelWarn || remainingLevel(0.05) != levelBad {
		t.Error("remaining-life levels are wrong")
	}
	if ageLevel(0.5) != levelGood || ageLevel(0.8) != levelWarn || ageLevel(1.05) != levelBad {
		t.Error("age levels are wrong")
	}
	st := NewStyles(true)
	if st.renderBar(0.5, 10, levelGood) == st.renderBar(0.5, 10, levelBad) {
		t.Error("good and bad bars look the same")
	}
}

func TestFitPadsAndCuts(t *testing.T) {
	if got := fit("abc", 5); got != "abc  " {
		t.Errorf("fit pad = %q", got)
	}
	if got := fit("abcdef", 4); got != "abc…" {
		t.Errorf("fit cut = %q", got)
	}
	if got := fit("x", 0); got != "" {
		t.Errorf("fit zero = %q", got)
	}
	if !strings.HasPrefix(ageText(12*24*time.Hour+time.Hour, 90*24*time.Hour), "12d/90d") {
		t.Error("ageText")
	}
}
