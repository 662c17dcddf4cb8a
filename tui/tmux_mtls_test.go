package tui

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
)

// The mTLS setup in the real binary's demo, as screenshots/make.sh drives
// it: the CSR is read off the pane and signed by the demo's Developer Hub
// stand-in over HTTP, the certificate and Wise's CA are loaded by typing
// their paths, and the check goes over mTLS.
func TestTmuxDemoMTLSSetup(t *testing.T) {
	s, bin, home, tmp, codeFile := wzTmuxDemo(t)
	s.waitFor("the dashboard", "Dashboard", "acme-app")
	s.secrets = wzDemoSecrets(t, bin, home, tmp)
	var client struct {
		Env struct {
			APIURL string `json:"api_url"`
		} `json:"env"`
		ClientID string            `json:"client_id"`
		Secrets  map[string]string `json:"secrets"`
	}
	if err := json.Unmarshal(wzDemoRun(t, bin, home, tmp, "show", "acme-app", "--reveal", "--json"), &client); err != nil {
		t.Fatal(err)
	}

	s.keys("a")
	s.waitFor("the chooser", "Which kind of access do I need?")
	s.keys("Down", "Down", "Down", "Down")
	s.waitFor("the explanation of mTLS", "Wise requires mTLS of every OAuth partner")
	s.keys("Enter")
	s.waitFor("the client step", "Which OAuth client is the certificate for?", "acme-app")
	s.keys("Enter")
	pane := s.waitFor("the mTLS URL step", "Which localwise mTLS listener?")
	if !strings.Contains(pane, "> https://127.0.0.1:") {
		// The demo does not fill it in (yet): the demo's own mTLS entry
		// knows the listener.
		var m struct {
			Env struct {
				MTLSURL string `json:"mtls_url"`
			} `json:"env"`
		}
		if err := json.Unmarshal(wzDemoRun(t, bin, home, tmp, "show", "acme-mtls", "--json"), &m); err != nil || m.Env.MTLSURL == "" {
			t.Fatalf("no mTLS URL filled in, and none found in acme-mtls (%v)", err)
		}
		s.keys("-l", m.Env.MTLSURL)
	}
	s.keys("Enter")
	s.waitFor("the name step", "Name this certificate's entry")
	s.keys("-l", "payouts-mtls")
	s.keys("Enter")
	s.waitFor("the key type", "Key type", "p256")
	s.keys("Enter")
	s.waitFor("the organisation", "Organisation")
	s.keys("-l", "Acme Payments Ltd")
	s.keys("Enter")
	s.waitFor("the country", "Country (optional)")
	s.keys("-l", "GB")
	s.keys("Enter")
	s.waitFor("the certificate name", "Certificate name", "of 10 active for this client")
	s.keys("-l", "payouts-2026")
	s.keys("Enter")
	pane = s.waitFor("the CSR", "END CERTIFICATE REQUEST")
	csr := csrOnScreen(t, pane)

	cert, ca := lwtest.IssueCertificateAt(t, client.Env.APIURL, client.ClientID, client.Secrets["client_secret"], "payouts-2026", csr)
	for name, data := range map[string][]byte{"payouts-2026.pem": cert, "wise.ca-certificate.local.pem": ca} {
		if err := os.WriteFile(filepath.Join(home, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s.keys("Enter")
	s.waitFor("the Developer Hub page", "Get it signed in Developer Hub", client.Env.APIURL+"/developer-hub")
	s.keys("Enter")
	s.waitFor("the certificate step", "Paste the certificate")
	s.keys("-l", "~/payouts-2026.pem") // HOME is the test's
	s.keys("Enter")
	s.waitFor("the certificate taken", "serial", "payouts-2026.pem")
	s.keys("Enter")
	s.waitFor("the CA step", "Paste Wise's CA certificate")
	s.keys("-l", "~/wise.ca-certificate.local.pem")
	s.keys("Enter")
	s.waitFor("the CA taken", "valid until")
	s.keys("Enter")
	result := s.waitFor("the check's result", "x-trace-id")
	flat := strings.Join(strings.Fields(result), " ")
	for _, want := range []string{"✓ Imported", "CN " + client.ClientID + " (the client id)", "HTTP 200", "/v1/authenticated/playground"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the result does not show %q:\n%s", want, s.redact(result))
		}
	}
	s.keys("Enter")
	s.waitFor("the dashboard with the new entry", "Dashboard", "payouts-mtls")
	time.Sleep(300 * time.Millisecond)
	s.capture()

	var made struct {
		Secrets map[string]string `json:"secrets"`
	}
	if err := json.Unmarshal(wzDemoRun(t, bin, home, tmp, "show", "payouts-mtls", "--reveal", "--json"), &made); err != nil || made.Secrets["private_key"] == "" {
		t.Fatalf("the new entry's private key: %v", err)
	}
	s.secrets = append(s.secrets, pemLines(made.Secrets["private_key"])...)
	wzTmuxQuit(t, s, codeFile, tmp)
	for i, shot := range s.shots {
		noSecret(t, fmt.Sprintf("capture %d", i), shot, s.secrets...)
	}
}
