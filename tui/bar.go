package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
)

// Countdown bars. A bar shows how much of something's life is left (a
// token, a certificate) or used up (a secret's age against the rotation
// reminder). Eighth blocks give a 20-cell bar 160 steps, so a 3-minute
// demo token visibly moves about every second.

// level grades a bar: fine, soon, or act now.
type level int

const (
	levelGood level = iota
	levelWarn
	levelBad
)

// partials are the left-aligned eighth blocks, index = eighths filled.
var partials = [...]string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"}

// barCells splits frac (clamped to 0..1) of width cells into the filled
// part (full and partial blocks) and the number of empty cells.
func barCells(frac float64, width int) (filled string, empty int) {
	if width <= 0 {
		return "", 0
	}
	frac = min(max(frac, 0), 1)
	eighths := int(frac*float64(width*8) + 0.5)
	full, part := eighths/8, eighths%8
	filled = strings.Repeat("█", full) + partials[part]
	used := full
	if part > 0 {
		used++
	}
	return filled, width - used
}

// renderBar draws a bar in the style of its level.
func (s *Styles) renderBar(frac float64, width int, lv level) string {
	filled, empty := barCells(frac, width)
	st := s.BarFull
	switch lv {
	case levelWarn:
		st = s.BarWarn
	case levelBad:
		st = s.BarBad
	}
	out := st.Render(filled)
	if empty > 0 {
		out += s.BarEmpty.Render(strings.Repeat("░", empty))
	}
	return out
}

// remainingLevel grades a countdown by the share of life left: a user
// access token is renewed at a quarter, so yellow means "renewal due".
func remainingLevel(frac float64) level {
	switch {
	case frac <= 0.10:
		return levelBad
	case frac <= 0.25:
		return levelWarn
	}
	return levelGood
}

// ageLevel grades a secret's age against its rotation reminder.
func ageLevel(frac float64) level {
	switch {
	case frac >= 1:
		return levelBad
	case frac >= 0.75:
		return levelWarn
	}
	return levelGood
}

// countdown formats time left so that it changes every second while it
// matters (under a day) and stays short (at most 9 cells).
func countdown(d time.Duration) string {
	if d <= 0 {
		return "expired"
	}
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%02dm%02ds", s/3600, s%3600/60, s%60)
	case s < 100*86400:
		return fmt.Sprintf("%dd%02dh", s/86400, s%86400/3600)
	}
	return fmt.Sprintf("%dd", s/86400)
}

// ageText formats a secret's age against the reminder: "12d/90d".
func ageText(age, policy time.Duration) string {
	return fmt.Sprintf("%dd/%dd", max(int64(age/(24*time.Hour)), 0), int64(policy/(24*time.Hour)))
}

// fit pads or cuts s to exactly w cells (an ellipsis marks a cut).
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := lipgloss.Width(s)
	if sw <= w {
		return s + strings.Repeat(" ", w-sw)
	}
	r := []rune(s)
	for len(r) > 0 && lipgloss.Width(string(r))+1 > w {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}
