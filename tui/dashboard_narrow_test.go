package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// Issue 13: the dashboard overflowed below about 73 columns. Narrower, it
// drops the bar, shortens the badge (PROD) and drops the kind column, so
// that it fits down to 60 columns.
func TestDashboardGoldenAt60x24(t *testing.T) {
	c := coreCommon(coreFake(), 60, 24)
	coreGolden(t, coreAppOn(c, coreDashboard(c, coreEntries())))
}

func TestDashboardFitsEveryWidthFrom60Columns(t *testing.T) {
	for w := 60; w <= 130; w++ {
		c := coreCommon(coreFake(), w, 24)
		frame := coreFrame(coreAppOn(c, coreDashboard(c, coreEntries())))
		for i, l := range strings.Split(strings.TrimSuffix(frame, "\n"), "\n") {
			if lw := ansi.StringWidth(l); lw > w {
				t.Errorf("at %d columns line %d is %d cells wide: %q", w, i+1, lw, l)
			}
		}
		if !strings.Contains(frame, "STATUS") || !strings.Contains(frame, "LEFT") || !strings.Contains(frame, "needs login") {
			t.Errorf("at %d columns a column is missing:\n%s", w, frame)
		}
	}
}

// Issue 13: columns ran together ("personal ok", "needs login access"):
// a full cell was followed by one space, which reads as a phrase. Every
// column starts after at least two spaces, at every width.
func TestDashboardColumnsNeverRunTogether(t *testing.T) {
	for w := 60; w <= 130; w++ {
		c := coreCommon(coreFake(), w, 30)
		lines := strings.Split(coreDashView(coreDashboard(c, coreEntries())), "\n")
		var starts []int
		for _, title := range []string{"KIND", "STATUS", "EXPIRES/AGE", "LEFT"} {
			if i := strings.Index(lines[0], title); i >= 0 {
				starts = append(starts, len([]rune(lines[0][:i])))
			}
		}
		// The badge's text: its cell starts with a space of padding.
		starts = append(starts, len([]rune(lines[0][:strings.Index(lines[0], "ENV")])))
		if len(starts) < 4 {
			t.Fatalf("at %d columns the titles are missing: %q", w, lines[0])
		}
		for _, l := range lines[1:] {
			r := []rune(l)
			// Entry lines: the name at column 2; their countdown lines
			// are blank up to EXPIRES/AGE. Notes are prose.
			if len(r) < 3 || r[2] == ' ' || (r[0] != ' ' && r[0] != '▸') {
				continue
			}
			for _, s := range starts {
				if s < len(r) && s >= 2 && (r[s-1] != ' ' || r[s-2] != ' ') {
					t.Errorf("at %d columns the column at %d follows its neighbour by less than two spaces: %q", w, s, l)
				}
			}
		}
	}
}
