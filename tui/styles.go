package tui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// Styles is the app's one set of styles, built from semantic colours for
// the terminal's background (huh's Theme(isDark) idea).
type Styles struct {
	IsDark bool

	// Semantic colours.
	Accent, Muted, Good, Warn, Bad, Text color.Color

	App       lipgloss.Style
	Header    lipgloss.Style
	Title     lipgloss.Style
	Subtle    lipgloss.Style
	Body      lipgloss.Style
	Selected  lipgloss.Style
	Label     lipgloss.Style
	Value     lipgloss.Style
	Secret    lipgloss.Style // masked or revealed secret values
	Error     lipgloss.Style
	Success   lipgloss.Style
	Warning   lipgloss.Style
	Hint      lipgloss.Style // "what Wise expects and why" text in wizards
	Box       lipgloss.Style
	Button    lipgloss.Style
	ButtonOn  lipgloss.Style
	Toast     lipgloss.Style
	ToastErr  lipgloss.Style
	BarFull   lipgloss.Style
	BarEmpty  lipgloss.Style
	BarWarn   lipgloss.Style
	BarBad    lipgloss.Style
	EnvBadges map[string]lipgloss.Style // sandbox, production, local
	Help      help.Styles
}

// NewStyles builds the styles for a dark or light background. Production
// gets a loud badge (white on red) on both, so it is never mistaken for
// the sandbox.
func NewStyles(isDark bool) *Styles {
	ld := lipgloss.LightDark(isDark)
	s := &Styles{IsDark: isDark}
	s.Accent = ld(lipgloss.Color("#5A56E0"), lipgloss.Color("#9F9BFF"))
	s.Muted = ld(lipgloss.Color("#6B6B6B"), lipgloss.Color("#8A8A8A"))
	s.Good = ld(lipgloss.Color("#1A7F37"), lipgloss.Color("#4FD17A"))
	s.Warn = ld(lipgloss.Color("#9A6700"), lipgloss.Color("#F2C94C"))
	s.Bad = ld(lipgloss.Color("#CF222E"), lipgloss.Color("#FF6B6B"))
	s.Text = ld(lipgloss.Color("#1F2328"), lipgloss.Color("#E6E6E6"))

	s.App = lipgloss.NewStyle()
	s.Header = lipgloss.NewStyle().Bold(true).Foreground(s.Accent)
	s.Title = lipgloss.NewStyle().Bold(true).Foreground(s.Text)
	s.Subtle = lipgloss.NewStyle().Foreground(s.Muted)
	s.Body = lipgloss.NewStyle().Foreground(s.Text)
	s.Selected = lipgloss.NewStyle().Bold(true).Foreground(s.Accent)
	s.Label = lipgloss.NewStyle().Foreground(s.Muted)
	s.Value = lipgloss.NewStyle().Foreground(s.Text)
	s.Secret = lipgloss.NewStyle().Foreground(s.Warn)
	s.Error = lipgloss.NewStyle().Foreground(s.Bad)
	s.Success = lipgloss.NewStyle().Foreground(s.Good)
	s.Warning = lipgloss.NewStyle().Foreground(s.Warn)
	s.Hint = lipgloss.NewStyle().Foreground(s.Muted).Italic(true)
	s.Box = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(s.Muted).Padding(0, 1)
	s.Button = lipgloss.NewStyle().Padding(0, 2).Foreground(s.Text).Background(ld(lipgloss.Color("#E1E1E1"), lipgloss.Color("#3A3A3A")))
	s.ButtonOn = s.Button.Bold(true).Foreground(lipgloss.Color("#FFFFFF")).Background(s.Accent)
	s.Toast = lipgloss.NewStyle().Foreground(s.Good)
	s.ToastErr = lipgloss.NewStyle().Foreground(s.Bad).Bold(true)
	s.BarFull = lipgloss.NewStyle().Foreground(s.Good)
	s.BarEmpty = lipgloss.NewStyle().Foreground(s.Muted)
	s.BarWarn = lipgloss.NewStyle().Foreground(s.Warn)
	s.BarBad = lipgloss.NewStyle().Foreground(s.Bad)
	badge := lipgloss.NewStyle().Bold(true).Padding(0, 1)
	s.EnvBadges = map[string]lipgloss.Style{
		"sandbox":    badge.Foreground(lipgloss.Color("#000000")).Background(ld(lipgloss.Color("#9BE9A8"), lipgloss.Color("#4FD17A"))),
		"production": badge.Foreground(lipgloss.Color("#FFFFFF")).Background(lipgloss.Color("#D1242F")),
		"local":      badge.Foreground(lipgloss.Color("#000000")).Background(ld(lipgloss.Color("#C8C8FF"), lipgloss.Color("#9F9BFF"))),
	}
	s.Help = help.DefaultStyles(isDark)
	return s
}

// Badge renders an environment badge; production is spelled in capitals.
func (s *Styles) Badge(env string) string {
	st, ok := s.EnvBadges[env]
	if !ok {
		st = s.EnvBadges["local"]
	}
	label := env
	if env == "production" {
		label = "PRODUCTION"
	}
	return st.Render(label)
}
