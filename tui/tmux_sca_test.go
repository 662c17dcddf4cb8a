package tui

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The 2FA setup in the real binary's demo, as screenshots/make.sh drives
// it: the demo's logged-in user (demo-user, which has profiles), its PIN
// set (typed hidden, twice), this device registered, and the check's SCA
// session cleared on the challenge screen with a code by SMS to the
// obfuscated number.
func TestTmuxDemoSCASetup(t *testing.T) {
	s, bin, home, tmp, codeFile := wzTmuxDemo(t)
	s.waitFor("the dashboard", "Dashboard", "partner-user", "demo-user")
	s.secrets = append(wzDemoSecrets(t, bin, home, tmp), wzDemoPIN, wzDemoOTP)

	s.keys("a")
	s.waitFor("the chooser", "Which kind of access do I need?")
	s.keys("Down", "Down", "Down", "Down", "Down", "Down")
	s.waitFor("the explanation of 2FA", "Wise may ask for strong customer authentication")
	s.keys("Enter")
	s.waitFor("what SCA is", "When Wise asks for a second factor", "something you know")
	s.keys("Enter")
	pane := s.waitFor("the credential step", "Which credential?", "demo-user")
	for i := 0; i < 10 && !strings.Contains(pane, "> demo-user"); i++ {
		s.keys("Down")
		time.Sleep(50 * time.Millisecond)
		pane = s.capture()
	}
	s.keys("Enter")
	s.waitFor("what it can use", "What it can use", "face scan cannot be captured in a terminal")
	s.keys("Enter")
	s.waitFor("the profile", "Which profile?", "personal", "business")
	s.keys("Enter")
	s.waitFor("the PIN", "set a PIN")
	s.keys("Enter")
	s.waitFor("the new PIN", "Type the new PIN")
	s.keys("-l", wzDemoPIN)
	s.waitFor("the PIN typed hidden", "4 characters, hidden", "****")
	s.keys("Enter")
	s.waitFor("the PIN again", "Type it again")
	s.keys("-l", wzDemoPIN)
	s.keys("Enter")
	s.waitFor("this device", "register this device")
	s.keys("Enter")
	s.waitFor("the check", "Check: an SCA session", "registered, id")
	s.keys("Enter")
	pane = s.waitFor("the challenge screen", "2FA challenge", "Challenge 1 of 1: choose how to clear it", "(SCA__SESSION)")
	for i := 0; i < 10 && !strings.Contains(pane, "> code by SMS"); i++ {
		s.keys("Down")
		time.Sleep(50 * time.Millisecond)
		pane = s.capture()
	}
	s.keys("Enter")
	s.waitFor("the code's number", "Wise sent a code by SMS to *********8888", "The code Wise sent by SMS")
	s.keys("-l", wzDemoOTP)
	s.waitFor("the code typed hidden", "6 characters, hidden")
	s.keys("Enter")
	s.waitFor("the challenge cleared", "✓ Cleared", "✓ code by SMS passed", "SCA session: low-risk calls need no new approval until")
	s.keys("Enter")
	result := s.waitFor("the setup's result", "✓ 2FA works for demo-user", "an SCA session, cleared")
	flat := strings.Join(strings.Fields(result), " ")
	if !strings.Contains(flat, "the PIN set for profile") || !strings.Contains(flat, "this device registered, id") {
		t.Errorf("the result does not list what was set up:\n%s", s.redact(result))
	}
	s.keys("Enter")
	s.waitFor("the dashboard again", "Dashboard", "demo-user")

	// The device's fingerprint, now in the wallet, was never on screen.
	var shown struct {
		Secrets map[string]string `json:"secrets"`
	}
	if err := json.Unmarshal(wzDemoRun(t, bin, home, tmp, "show", "demo-user", "--reveal", "--json"), &shown); err != nil || len(shown.Secrets["device_fingerprint"]) < 40 {
		t.Fatalf("demo-user's device fingerprint: %v", err)
	}
	s.secrets = append(s.secrets, shown.Secrets["device_fingerprint"])
	wzTmuxQuit(t, s, codeFile, tmp)
	for i, shot := range s.shots {
		noSecret(t, fmt.Sprintf("capture %d", i), shot, s.secrets...)
	}
}
