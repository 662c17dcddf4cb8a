package tui

import (
	"fmt"
	"strings"
	"testing"
)

// The login URL selectable whole, in a real terminal (issue 13). The
// app's screen cuts the URL at the width with hard line breaks, so even
// tmux's joined capture (-J, which undoes only the terminal's own
// wrapping, as a mouse selection does) sees pieces. u hands the terminal
// back with the URL as one line the terminal wraps itself: the joined
// capture holds it whole. Enter gives the app back, the login still
// waiting; ctrl+o does the same while the paste field takes the keys.
func TestTmuxLoginURLSelectableWhole(t *testing.T) {
	s, bin, home, tmp, codeFile := wzTmuxDemo(t)
	s.waitFor("the dashboard", "Dashboard", "acme-app")
	s.secrets = wzDemoSecrets(t, bin, home, tmp)

	for _, mode := range []struct {
		name, pick, key, waiting string
	}{
		{"browser and loopback", "Enter", "u", "Waiting for Wise's redirect"},
		{"paste", "Down", "C-o", "Paste it, or the URL"},
	} {
		s.keys("a")
		s.waitFor("the chooser", "Which kind of access do I need?")
		s.keys("Down", "Down")
		s.waitFor("the explanation of the user login", "Links an existing Wise user")
		s.keys("Enter")
		s.waitFor("the client step", "Which OAuth client is the user linked to?", "acme-app")
		s.keys("Enter")
		s.waitFor("the name step", "Name the user's entry")
		s.keys("-l", "jane")
		s.keys("Enter")
		s.waitFor("the mode step", "How does the code come back?", "Paste the code")
		if mode.pick == "Down" {
			s.keys("Down")
		}
		s.keys("Enter")
		pane := s.waitFor(mode.name+": the waiting step", "step 4 of 4", "Open this URL in a browser:", mode.waiting)
		url := urlOnAppScreen(t, pane)
		if len(url) <= 100 {
			t.Fatalf("%s: the URL is %d characters, not wider than the 100-column pane: nothing to show", mode.name, len(url))
		}
		if joined := s.captureJoined(); strings.Contains(joined, url) {
			t.Fatalf("%s: the app's own screen already holds the URL whole; the test shows nothing:\n%s", mode.name, s.redact(joined))
		}

		s.keys(mode.key)
		s.waitFor(mode.name+": the handover", "The login URL, as one line to select with the mouse:", "Press Enter to go back")
		joined := s.captureJoined()
		if !containsLine(joined, url) {
			t.Errorf("%s: the handed-over screen does not hold the URL as one line:\n%s", mode.name, s.redact(joined))
		}

		s.keys("Enter")
		back := s.waitFor(mode.name+": the app again", "step 4 of 4", mode.waiting)
		if got := urlOnAppScreen(t, back); got != url {
			t.Errorf("%s: back in the app the URL is %q, was %q", mode.name, got, url)
		}
		// Esc cancels the waiting login, back to the mode; each further
		// Esc is a step back, to the dashboard.
		s.keys("Escape")
		s.waitFor(mode.name+": the login cancelled", "How does the code come back?")
		s.keys("Escape")
		s.waitFor(mode.name+": the name step", "Name the user's entry")
		s.keys("Escape")
		s.waitFor(mode.name+": the client step", "Which OAuth client is the user linked to?")
		s.keys("Escape")
		s.waitFor(mode.name+": the chooser", "Which kind of access do I need?")
		s.keys("Escape")
		s.waitFor(mode.name+": the dashboard", "Dashboard", "acme-app")
	}

	wzTmuxQuit(t, s, codeFile, tmp)
	for i, shot := range s.shots {
		noSecret(t, fmt.Sprintf("capture %d", i), shot, s.secrets...)
	}
}

// captureJoined reads the pane with the terminal's own line wrapping
// undone, as a mouse selection copies it, and keeps it for the secret
// check.
func (s *tmuxSession) captureJoined() string {
	s.t.Helper()
	out := s.must("capture-pane", "-p", "-J", "-t", "app")
	s.shots = append(s.shots, out)
	return out
}

// urlOnAppScreen puts together the URL the app shows cut into lines
// between "Open this URL in a browser:" and the next line that is not a
// piece of it.
func urlOnAppScreen(t *testing.T, pane string) string {
	t.Helper()
	_, after, ok := strings.Cut(pane, "Open this URL in a browser:\n")
	if !ok {
		t.Fatalf("no URL on the screen:\n%s", pane)
	}
	var url strings.Builder
	for _, line := range strings.Split(after, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.Contains(line, " ") || (url.Len() == 0 && !strings.HasPrefix(line, "http")) {
			break
		}
		url.WriteString(line)
	}
	if !strings.HasPrefix(url.String(), "http://127.0.0.1:") || !strings.Contains(url.String(), "/oauth/authorize?") {
		t.Fatalf("not a login URL: %q in\n%s", url.String(), pane)
	}
	return url.String()
}

func containsLine(text, want string) bool {
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimRight(line, " ") == want {
			return true
		}
	}
	return false
}
