package tui

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The JOSE setup in the real binary's demo, as screenshots/make.sh drives
// it: both keys made for the demo's client, uploaded to its localwise,
// Wise's keys fetched and all five playground calls made; then a rotation
// from the signing key's details, whose old key the dashboard counts down.
func TestTmuxDemoJOSESetup(t *testing.T) {
	s, bin, home, tmp, codeFile := wzTmuxDemo(t)
	s.waitFor("the dashboard", "Dashboard", "acme-app")
	s.secrets = wzDemoSecrets(t, bin, home, tmp)

	s.keys("a")
	s.waitFor("the chooser", "Which kind of access do I need?")
	s.keys("Down", "Down", "Down", "Down", "Down")
	s.waitFor("the explanation of JOSE", "Some of Wise's APIs want the bodies of calls signed")
	s.keys("Enter")
	s.waitFor("what JOSE protects", "What signing and encryption protect", "Wise needs")
	s.keys("Enter")
	pane := s.waitFor("the client step", "Which OAuth client are the keys for?", "acme-app")
	// The demo's client, wherever the list has it.
	for i := 0; i < 10 && !strings.Contains(pane, "> acme-app"); i++ {
		s.keys("Down")
		pane = s.capture()
	}
	s.keys("Enter")
	s.waitFor("what the keys do", "What should the keys do?")
	s.keys("Enter")
	s.waitFor("the name step", "Name the keys' entries")
	s.keys("C-u")
	s.keys("-l", "payouts-jose")
	s.keys("Enter")
	s.waitFor("the signing algorithm", "Signing algorithm", "ES256")
	s.keys("Enter")
	s.waitFor("the encryption key", "Encryption key", "rsa2048")
	s.keys("Enter")
	s.waitFor("the upload step", "Upload the public keys to Wise", "payouts-jose-enc")
	s.keys("Enter")
	s.waitFor("Wise's keys", "Wise has your keys, and you have Wise's", "version")
	s.keys("Enter")
	result := s.waitFor("the playground's result", "Wise's playground answered all 5 calls")
	flat := strings.Join(strings.Fields(result), " ")
	for _, want := range []string{"POST /v1/auth/jose/playground/jws · HTTP 200", "x-trace-id", `"url":"/v1/auth/jose/playground/jws"`, "jose-playground-response-hello from wisewallet"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the result does not show %q:\n%s", want, s.redact(result))
		}
	}
	s.keys("Down", "Down", "Down")
	s.waitFor("the jwsjwe call", "POST /v1/auth/jose/playground/jwsjwe · HTTP 200", "request encrypted")
	s.keys("Enter")
	s.waitFor("the dashboard with the new keys", "Dashboard", "payouts-jose-sig", "payouts-jose-enc", "key valid")

	// The rotation, from the signing key's details.
	for i := 0; i < 40; i++ {
		if strings.Contains(s.capture(), "▸ payouts-jose-sig") {
			break
		}
		s.keys("Down")
		time.Sleep(50 * time.Millisecond)
	}
	s.keys("Enter")
	s.waitFor("the key's details", "payouts-jose-sig", "n rotate", "p public key")
	s.keys("p")
	s.waitFor("the public key", "Public key of payouts-jose-sig", "[JWK]", `"kty"`)
	s.keys("Escape")
	s.waitFor("the details again", "n rotate")
	s.keys("n")
	s.waitFor("the rotation", "A new key beside the old one", "uploaded: the new key is uploaded at once")
	s.keys("Enter")
	s.waitFor("the rotation's check", "Wise's playground answered", "old key")
	s.keys("Enter")
	s.waitFor("the details after the rotation", "Previous key")
	s.keys("Escape")
	s.waitFor("the dashboard with the old key's countdown", "Dashboard", "old key", "↻ rotating: the old key")
	time.Sleep(300 * time.Millisecond)
	s.capture()

	for _, name := range []string{"payouts-jose-sig", "payouts-jose-enc"} {
		var made struct {
			Secrets map[string]string `json:"secrets"`
		}
		if err := json.Unmarshal(wzDemoRun(t, bin, home, tmp, "show", name, "--reveal", "--json"), &made); err != nil || made.Secrets["private_key"] == "" {
			t.Fatalf("%s's private key: %v", name, err)
		}
		for _, v := range made.Secrets {
			s.secrets = append(s.secrets, pemLines(v)...)
		}
	}
	wzTmuxQuit(t, s, codeFile, tmp)
	for i, shot := range s.shots {
		noSecret(t, fmt.Sprintf("capture %d", i), shot, s.secrets...)
	}
}
