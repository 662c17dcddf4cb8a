package tui

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
)

// wzCSR is a fixed CSR (P-256, O=Acme Payments Ltd, C=GB), so the goldens
// do not change with each key made.
const wzCSR = `-----BEGIN CERTIFICATE REQUEST-----
MIHkMIGLAgEAMCkxCzAJBgNVBAYTAkdCMRowGAYDVQQKExFBY21lIFBheW1lbnRz
IEx0ZDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABL2grH1mUUkNWeRbUFKKzaf0
kMXPA2kxipsPKgtT6ArdrDa/+Ybls3gBSFLv4rUd8OsVfgdLq/DSiCxVJP2XO6ig
ADAKBggqhkjOPQQDAgNIADBFAiEAr5TPqHHQ99SUwNUfaCxkoCRTBGFXa/brwXb6
uRKaaF0CIA8COjpHIkB1Tv6n92eJQ174YxeFIMM9nKO185gGBkZK
-----END CERTIFICATE REQUEST-----
`

// wzKeyCanary stands for a private key's body: pasted where a
// certificate is asked for, it must never be drawn.
const wzKeyCanary = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgcanaryPRIVKEY"

// wzMTLSClient is a local OAuth client without an mTLS URL, as the demo's.
func wzMTLSClient() flows.EntryView {
	return flows.EntryView{
		Name: "acme-app", Kind: flows.KindClient, CreatedAt: wzNow,
		Env:              flows.Environment{Name: flows.EnvLocal, APIURL: "http://127.0.0.1:41999", AuthorizeURL: "http://127.0.0.1:41999/oauth/authorize"},
		EntryOAuthClient: flows.EntryOAuthClient{ClientID: "acme-partner", RedirectURL: suggestedRedirect},
	}
}

// wzMTLSEntry is the entry MTLSKeygen makes from the flow's answers.
func wzMTLSEntry() flows.EntryView {
	e := flows.EntryView{Name: "payouts-mtls", Kind: flows.KindMTLS, CreatedAt: wzNow, LinkedTo: "acme-app",
		Env: flows.Environment{Name: flows.EnvLocal, APIURL: "http://127.0.0.1:41999", MTLSURL: "https://127.0.0.1:41998"}}
	e.KeyType, e.CSR, e.CertName, e.Organization, e.Country = "p256", wzCSR, "payouts-2026", "Acme Payments Ltd", "GB"
	e.Secrets = []flows.SecretInfo{{Name: "private_key", Len: 241}}
	return e
}

// wzMTLSFlow is the setup with the client list read: acme-app, with two
// certificates already.
func wzMTLSFlow(c *Common) *mtlsFlow {
	s := newMTLSFlow(c, 4)
	s.Init()
	s.Update(mtlsClientsMsg{
		clientsLoadedMsg: clientsLoadedMsg{id: s.clients.op.id, clients: []flows.EntryView{wzMTLSClient()}},
		certs:            map[string]flows.ClientCertificates{"acme-app": {Client: "acme-app", Active: 2, Limit: 10}},
	})
	return s
}

// wzMTLSToCertName walks the setup to the certificate name.
func wzMTLSToCertName(c *Common) *mtlsFlow {
	s := wzMTLSFlow(c)
	press(s, "enter")
	s.mtlsURL.SetValue("https://127.0.0.1:41998")
	press(s, "enter")
	wzMTLSNamed(press(typeInto(s, "payouts-mtls"), "enter"))
	press(s, "enter")
	press(typeInto(s, "Acme Payments Ltd"), "enter")
	press(typeInto(s, "GB"), "enter")
	return s
}

func wzMTLSNamed(s Screen) Screen {
	f := s.(*mtlsFlow)
	f.Update(nameCheckedMsg{id: f.nameOp.id})
	return f
}

// wzMTLSToCSR walks on through the key and CSR.
func wzMTLSToCSR(c *Common) *mtlsFlow {
	s := wzMTLSToCertName(c)
	press(typeInto(s, "payouts-2026"), "enter")
	s.Update(mtlsKeyMsg{id: s.op.id, entry: wzMTLSEntry(), csr: wzCSR})
	return s
}

func wzImported() flows.ImportedCertificate {
	na := wzNow.Add(365 * 24 * time.Hour)
	return flows.ImportedCertificate{Entry: "payouts-mtls", CertName: "payouts-2026", Subject: "CN=acme-partner,O=Acme Payments Ltd,C=GB",
		CommonName: "acme-partner", Serial: "2026", NotBefore: wzNow, NotAfter: na,
		Certificates: flows.ClientCertificates{Client: "acme-app", Active: 3, Limit: 10}}
}

func wzChecked() flows.MTLSCheckResult {
	r := flows.MTLSCheckResult{Entry: "payouts-mtls", Client: "acme-app", URL: "https://127.0.0.1:41998/v1/authenticated/playground"}
	r.Status, r.TraceID, r.Body = 200, "0123456789abcdef0123456789abcdef", json.RawMessage(`{"message": "mTLS works", "client_id": "acme-partner"}`)
	return r
}

// Every step of the setup at 80x24 and 100x30, as the user walks it.
func TestMTLSFlowSteps(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {100, 30}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			c := wzCommon(size[0], size[1])
			c.clip.getenv = func(string) string { return "" }
			cert, ca := pemCerts(t)
			s := wzMTLSFlow(c)
			snap := func(name string) { t.Run(name, func(t *testing.T) { wzGolden(t, c, s) }) }
			snap("1-client")
			press(s, "enter")
			snap("2-mtls-url")
			press(s, "enter")
			if s.step != msURL || !strings.Contains(s.errMsg, "mTLS URL localwise prints") {
				t.Fatalf("an empty mTLS URL was taken (step %d)", s.step)
			}
			typeInto(s, "http://127.0.0.1:41998")
			press(s, "enter")
			if s.step != msURL || !strings.Contains(s.errMsg, "not an https URL") {
				t.Fatalf("a plain http mTLS URL was taken (step %d)", s.step)
			}
			s.mtlsURL.SetValue("https://127.0.0.1:41998")
			press(s, "enter")
			typeInto(s, "payouts-mtls")
			snap("3-name")
			wzMTLSNamed(press(s, "enter"))
			snap("4-key-type")
			press(s, "enter")
			press(s, "enter")
			if s.step != msOrg || !strings.Contains(s.errMsg, "Wise refuses a CSR without O") {
				t.Fatalf("an empty organisation was taken (step %d)", s.step)
			}
			snap("5-organisation-missing")
			press(typeInto(s, "Acme Payments Ltd"), "enter")
			press(typeInto(s, "G"), "enter")
			if s.step != msCountry || s.errMsg == "" {
				t.Fatalf("a one-letter country was taken (step %d)", s.step)
			}
			press(typeInto(s, "B"), "enter")
			snap("6-certificate-name")
			press(typeInto(s, "payouts-2026"), "enter")
			snap("7-making-the-key")
			s.Update(mtlsKeyMsg{id: s.op.id, entry: wzMTLSEntry(), csr: wzCSR})
			snap("8-csr")
			s.Update(csrCopiedMsg{err: errNoClipboardTool})
			snap("8-csr-no-clipboard")
			press(s, "enter")
			snap("9-developer-hub")
			press(s, "enter")
			snap("10-certificate")
			s.Update(tea.PasteMsg{Content: string(cert)})
			snap("10-certificate-taken")
			press(s, "enter")
			s.Update(tea.PasteMsg{Content: string(ca)})
			snap("11-ca-taken")
			press(s, "enter")
			snap("12-importing")
			s.Update(mtlsImportedMsg{id: s.op.id, imp: wzImported()})
			snap("13-checking")
			s.Update(mtlsCheckedMsg{id: s.op.id, res: wzChecked()})
			snap("14-result")
			if !strings.Contains(wzFlat(s), "x-trace-id 0123456789abcdef0123456789abcdef") || !strings.Contains(wzFlat(s), "3 of 10 active for acme-app") {
				t.Errorf("the result lacks the trace id or the count:\n%s", wzPlain(s))
			}
		})
	}
}

// The failures of the setup, each on the step that fixes it.
func TestMTLSFlowFailureScreens(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {100, 30}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			c := wzCommon(size[0], size[1])
			cert, ca := pemCerts(t)
			s := wzMTLSToCSR(c)
			press(s, "enter", "enter")
			s.Update(tea.PasteMsg{Content: string(cert)})
			press(s, "enter")
			s.Update(tea.PasteMsg{Content: string(ca)})
			press(s, "enter")
			s.Update(mtlsImportedMsg{id: s.op.id, err: &flows.CertificateError{Entry: "payouts-mtls", Reason: crypto.ErrCertKeyMismatch}})
			t.Run("certificate-for-another-key", func(t *testing.T) { wzGolden(t, c, s) })
			s.Update(tea.PasteMsg{Content: string(cert)})
			press(s, "enter", "enter")
			s.Update(mtlsImportedMsg{id: s.op.id, imp: wzImported()})
			s.Update(mtlsCheckedMsg{id: s.op.id, err: fmt.Errorf("%w: dial tcp 127.0.0.1:41998: connection refused", flows.ErrUnavailable)})
			t.Run("check-failed", func(t *testing.T) { wzGolden(t, c, s) })
		})
	}
}

// A refused keygen goes back to the step whose answer was wrong, with
// every answer kept.
func TestMTLSFlowKeygenFailuresGoBackToTheirStep(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		to   mtlsStep
		says string
	}{
		{"organisation", &flows.InputError{Input: flows.InputOrganisation, Reason: flows.ErrMissing}, msOrg, "Wise refuses a CSR without O"},
		{"country", &flows.InputError{Input: flows.InputCountry, Value: "G", Reason: crypto.ErrCSRCountry}, msCountry, ""},
		{"certificate name taken", &flows.CertNameTakenError{Client: "acme-app", CertName: "payouts-2026", Entry: "old-mtls"}, msCertName, `taken by "old-mtls"`},
		{"limit", &flows.CertificateLimitError{Client: "acme-app", Entries: []string{"a", "b"}}, msClient, "deactivate one in Developer Hub"},
		{"mTLS URL", &flows.InputError{Input: flows.InputMTLSURL, Value: "http://x", Reason: flows.ErrNotHTTPS}, msURL, ""},
		{"name taken since", fmt.Errorf("%w: %q", flows.ErrEntryExists, "payouts-mtls"), msName, "payouts-mtls"},
		{"a wallet error", context.DeadlineExceeded, msCertName, "enter tries again"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := wzCommon(80, 24)
			s := wzMTLSToCertName(c)
			press(typeInto(s, "payouts-2026"), "enter")
			if s.step != msKeygen || !s.op.busy {
				t.Fatalf("step %d, want the keygen running", s.step)
			}
			s.Update(mtlsKeyMsg{id: s.op.id, err: tc.err})
			if s.step != tc.to || s.errMsg == "" || !strings.Contains(s.errMsg, tc.says) {
				t.Fatalf("step %d %q, want step %d saying %q", s.step, s.errMsg, tc.to, tc.says)
			}
			if s.org.Value() != "Acme Payments Ltd" || s.country.Value() != "GB" || s.certName.Value() != "payouts-2026" || s.entryName() != "payouts-mtls" {
				t.Errorf("answers lost: %q %q %q %q", s.org.Value(), s.country.Value(), s.certName.Value(), s.entryName())
			}
			// esc still goes back step by step from there.
			before := len(s.back)
			press(s, "esc")
			if len(s.back) != before-1 && before > 0 {
				t.Errorf("esc after the failure did not go one step back")
			}
		})
	}
}

// A refused certificate goes back to the paste it came from, which is
// forgotten; the other paste is kept.
func TestMTLSFlowImportFailuresGoBackToThePaste(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		to   mtlsStep
		says string
	}{
		{"another key", &flows.CertificateError{Reason: crypto.ErrCertKeyMismatch}, msCert, "for another key"},
		{"another CA", &flows.CertificateError{Reason: crypto.ErrCertUnknownCA}, msCert, "not issued by the CA"},
		{"expired", &flows.CertificateError{Reason: crypto.ErrCertExpired}, msCert, "expired"},
		{"no CA", &flows.CertificateError{Reason: crypto.ErrNoCACertificate}, msCA, "Get Wise Certificate"},
		{"not a CA", &flows.CertificateError{CA: true, Reason: crypto.ErrNotCertificate}, msCA, "not Wise's CA"},
		{"wallet busy", context.DeadlineExceeded, msCA, "enter tries again"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := wzCommon(80, 24)
			cert, ca := pemCerts(t)
			s := wzMTLSToCSR(c)
			press(s, "enter", "enter")
			s.Update(tea.PasteMsg{Content: string(cert)})
			press(s, "enter")
			s.Update(tea.PasteMsg{Content: string(ca)})
			press(s, "enter")
			s.Update(mtlsImportedMsg{id: s.op.id, err: tc.err})
			if s.step != tc.to || !strings.Contains(s.errMsg, tc.says) {
				t.Fatalf("step %d %q, want step %d saying %q", s.step, s.errMsg, tc.to, tc.says)
			}
			certKept, caKept := s.cert.pem != nil, s.ca.pem != nil
			if want := tc.to != msCert; certKept != want && tc.name != "wallet busy" {
				t.Errorf("the certificate kept: %v", certKept)
			}
			if want := tc.to != msCA || tc.name == "wallet busy"; caKept != want {
				t.Errorf("the CA kept: %v", caKept)
			}
			if tc.to == msCert {
				// Paste again, and on to the import.
				s.Update(tea.PasteMsg{Content: string(cert)})
				press(s, "enter", "enter")
				if s.step != msImport || !s.op.busy {
					t.Errorf("after pasting again: step %d", s.step)
				}
			}
		})
	}
}

// Once the key is stored, esc does not go back to make another: it
// leaves, the entry kept, saying how to finish.
func TestMTLSFlowEscAfterTheKeyKeepsTheEntry(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzMTLSToCSR(c)
	_, cmd := s.Update(keyPress("esc"))
	msgs := cmdMsgs(cmd)
	var popped, changed bool
	var toast ToastMsg
	for _, m := range msgs {
		switch m := m.(type) {
		case popMsg:
			popped = true
		case walletChangedMsg:
			changed = true
		case ToastMsg:
			toast = m
		}
	}
	if !popped || !changed || !strings.Contains(toast.Text, `Kept "payouts-mtls"`) || !strings.Contains(toast.Text, "then i") {
		t.Errorf("esc on the CSR: popped %v, changed %v, notice %q", popped, changed, toast.Text)
	}
	// From the Developer Hub page, esc goes back to the CSR.
	s = wzMTLSToCSR(c)
	press(s, "enter", "esc")
	if s.step != msCSR {
		t.Errorf("esc on the Developer Hub page went to step %d", s.step)
	}
}

// An answer of a keygen the user left is not taken as the current one,
// and the saved entry is told.
func TestMTLSFlowLateKeygenIsTold(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzMTLSToCertName(c)
	press(typeInto(s, "payouts-2026"), "enter")
	id := s.op.id
	press(s, "esc")
	_, cmd := s.Update(mtlsKeyMsg{id: id, entry: wzMTLSEntry(), csr: wzCSR})
	if s.step != msCertName {
		t.Fatalf("a late answer moved the flow to step %d", s.step)
	}
	told := false
	for _, m := range cmdMsgs(cmd) {
		if t, ok := m.(ToastMsg); ok && strings.Contains(t.Text, "payouts-mtls") {
			told = true
		}
	}
	if !told {
		t.Error("the key made anyway was not told")
	}
}

func TestMTLSFlowWithoutClientsSaysAddOneFirst(t *testing.T) {
	c := wzCommon(80, 24)
	s := newMTLSFlow(c, 4)
	s.Init()
	s.Update(mtlsClientsMsg{clientsLoadedMsg: clientsLoadedMsg{id: s.clients.op.id}})
	press(s, "enter")
	if s.step != msClient || !strings.Contains(wzFlat(s), `No OAuth client in this wallet yet. Add one first: esc, then "OAuth client".`) {
		t.Errorf("step %d:\n%s", s.step, wzPlain(s))
	}
	wzGolden(t, c, s)
}

func TestMTLSFlowRefusesAClientAtTheLimit(t *testing.T) {
	c := wzCommon(80, 24)
	s := newMTLSFlow(c, 4)
	s.Init()
	s.Update(mtlsClientsMsg{
		clientsLoadedMsg: clientsLoadedMsg{id: s.clients.op.id, clients: []flows.EntryView{wzMTLSClient()}},
		certs:            map[string]flows.ClientCertificates{"acme-app": {Client: "acme-app", Active: 10, Limit: 10}},
	})
	press(s, "enter")
	if s.step != msClient || !strings.Contains(s.errMsg, "10 active certificates") {
		t.Errorf("a client at the limit was taken: step %d %q", s.step, s.errMsg)
	}
}

// A client of Wise's own environments has its mTLS host: no URL asked.
func TestMTLSFlowAsksNoURLOfASandboxClient(t *testing.T) {
	c := wzCommon(80, 24)
	s := newMTLSFlow(c, 4)
	s.Init()
	cl := wzClientEntry()
	cl.Env.MTLSURL = "https://api-mtls.wise-sandbox.com"
	s.Update(mtlsClientsMsg{clientsLoadedMsg: clientsLoadedMsg{id: s.clients.op.id, clients: []flows.EntryView{cl}}})
	press(s, "enter")
	if s.step != msName || s.askURL {
		t.Errorf("step %d, asked for a URL: %v", s.step, s.askURL)
	}
	// Its Developer Hub page is Wise's.
	s = wzMTLSToCSR(c)
	s.entry.Env = flows.Environment{Name: flows.EnvSandbox, APIURL: "https://api.wise-sandbox.com", MTLSURL: "https://api-mtls.wise-sandbox.com"}
	press(s, "enter")
	if !strings.Contains(wzFlat(s), "Open https://wise-sandbox.com/developer-hub and sign in.") || !strings.Contains(wzFlat(s), "certificate.sandbox.pem") {
		t.Errorf("the sandbox's Developer Hub steps:\n%s", wzPlain(s))
	}
}

// In the demo the localwise mTLS URL is filled in.
func TestMTLSFlowDemoFillsTheMTLSURL(t *testing.T) {
	c := wzDemoCommon(80, 24)
	c.Env.DemoMTLSURL = "https://127.0.0.1:41998"
	s := wzMTLSFlow(c)
	press(s, "enter")
	if s.step != msURL || s.mtlsURL.Value() != "https://127.0.0.1:41998" || !strings.Contains(wzFlat(s), "The demo's listener is filled in.") {
		t.Errorf("step %d, URL %q", s.step, s.mtlsURL.Value())
	}
	press(s, "enter")
	if s.step != msName {
		t.Errorf("the demo's URL was refused: %q", s.errMsg)
	}
}

// A private key pasted where the certificate belongs is refused, not
// kept and never drawn.
func TestMTLSFlowRefusesAPastedPrivateKey(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzMTLSToCSR(c)
	press(s, "enter", "enter")
	s.Update(tea.PasteMsg{Content: "-----BEGIN PRIVATE KEY-----\n" + wzKeyCanary + "\n-----END PRIVATE KEY-----\n"})
	if s.cert.pem != nil || !strings.Contains(s.errMsg, "private key") {
		t.Errorf("taken %v, %q", s.cert.pem != nil, s.errMsg)
	}
	noSecret(t, "the certificate step", wzPlain(s), wzKeyCanary)
	press(s, "enter")
	if s.step != msCert {
		t.Errorf("moved on without a certificate: step %d", s.step)
	}
}

// The CSR taller than the room scrolls; c copies it whole anyway.
func TestMTLSFlowScrollsATallCSR(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzMTLSToCSR(c)
	tall := "-----BEGIN CERTIFICATE REQUEST-----\n" + strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2\n", 24) + "-----END CERTIFICATE REQUEST-----\n"
	s.csr = tall
	wzFits(t, c, s)
	if !strings.Contains(wzPlain(s), "lines 1–") || !strings.Contains(wzPlain(s), "BEGIN CERTIFICATE REQUEST") {
		t.Fatalf("no window on the CSR:\n%s", wzPlain(s))
	}
	press(s, "down", "down")
	if s.csrTop != 2 || strings.Contains(wzPlain(s), "BEGIN CERTIFICATE REQUEST") {
		t.Errorf("↓ did not scroll: top %d", s.csrTop)
	}
	for range 40 {
		press(s, "down")
	}
	if !strings.Contains(wzPlain(s), "END CERTIFICATE REQUEST") {
		t.Errorf("the end of the CSR cannot be reached:\n%s", wzPlain(s))
	}
	wzFits(t, c, s)
}

// r runs a failed check again; enter leaves with what was kept.
func TestMTLSFlowRetriesAFailedCheck(t *testing.T) {
	c := wzCommon(80, 24)
	s := newMTLSEntryFlow(c, wzMTLSEntry(), mtlsCheckOnly)
	s.Init()
	if s.step != msCheck || !s.op.busy {
		t.Fatalf("k did not start the check: step %d", s.step)
	}
	s.Update(mtlsCheckedMsg{id: s.op.id, err: &flows.ExpiredCertificateError{Entry: "payouts-mtls", NotAfter: wzNow}})
	if s.step != msResult || !strings.Contains(wzFlat(s), "Renew it: on its details, n.") {
		t.Fatalf("step %d:\n%s", s.step, wzPlain(s))
	}
	wzGolden(t, c, s)
	press(s, "r")
	if s.step != msCheck || !s.op.busy {
		t.Fatalf("r did not run the check again: step %d", s.step)
	}
	s.Update(mtlsCheckedMsg{id: s.op.id, res: wzChecked()})
	if s.checkErr != nil || !strings.Contains(wzFlat(s), "✓ Wise's mTLS playground answered") {
		t.Errorf("after the retry:\n%s", wzPlain(s))
	}
	_, cmd := s.Update(keyPress("enter"))
	var popped bool
	for _, m := range cmdMsgs(cmd) {
		if _, ok := m.(popMsg); ok {
			popped = true
		}
	}
	if !popped {
		t.Error("enter on the result did not go back")
	}
}

// The flows opened from an entry's details start where they should.
func TestMTLSFlowOpenedFromAnEntry(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {100, 30}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			c := wzCommon(size[0], size[1])
			e := wzMTLSEntry()
			// No certificate yet: its CSR first, then Developer Hub.
			imp := newMTLSEntryFlow(c, e, mtlsImport)
			if imp.step != msCSR || !strings.Contains(wzPlain(imp), "END CERTIFICATE REQUEST") {
				t.Errorf("import of an entry without a certificate starts at step %d", imp.step)
			}
			t.Run("import", func(t *testing.T) { wzGolden(t, c, imp) })
			_, cmd := imp.Update(keyPress("esc"))
			if _, ok := cmdMsg(cmd).(popMsg); !ok {
				t.Errorf("esc on the import's first step: %T, want back to the details", cmdMsg(cmd))
			}
			press(imp, "enter", "enter")
			if imp.step != msCert {
				t.Errorf("after the CSR and Developer Hub: step %d", imp.step)
			}

			na := wzNow.Add(20 * 24 * time.Hour)
			e.CertChain, e.NotAfter, e.CACert = "-----BEGIN CERTIFICATE-----\n", &na, "-----BEGIN CERTIFICATE-----\n"
			r := newMTLSEntryFlow(c, e, mtlsRenewal)
			t.Run("renew", func(t *testing.T) { wzGolden(t, c, r) })
			press(r, "enter")
			if r.step != msRenewing || !r.op.busy {
				t.Fatalf("enter did not start the renewal: step %d", r.step)
			}
			renewed := e
			renewed.PendingCSR, renewed.PendingCertName, renewed.PendingKeyType = wzCSR, "payouts-2026-20261122", "p256"
			r.Update(mtlsKeyMsg{id: r.op.id, entry: renewed, csr: wzCSR})
			press(r, "enter")
			if r.step != msHub || !strings.Contains(wzFlat(r), `"payouts-2026-20261122"`) {
				t.Errorf("the renewal's Developer Hub page does not name the new certificate:\n%s", wzPlain(r))
			}
			press(r, "enter")
			if r.step != msCert || !r.caOptional() {
				t.Errorf("step %d: want the certificate, Wise's CA optional (kept with the entry)", r.step)
			}
			// An entry with its certificate: i goes straight to the paste.
			if imp := newMTLSEntryFlow(c, e, mtlsImport); imp.step != msCert {
				t.Errorf("import of an entry with a certificate starts at step %d", imp.step)
			}
			if r.step != msCert {
				t.Errorf("step %d: want the certificate, Wise's CA optional (kept with the entry)", r.step)
			}
		})
	}
}

// An mTLS entry's details: i, n and k open the flow; its private key is
// neither revealed nor copied; the help line names the keys.
func TestDetailsOfAnMTLSEntry(t *testing.T) {
	c := wzCommon(80, 24)
	e := wzMTLSEntry()
	var s Screen = newDetails(c, e)
	help := strings.Join(helpKeys(s), " ")
	for _, want := range []string{"i", "k"} {
		if !strings.Contains(" "+help+" ", " "+want+" ") {
			t.Errorf("the help line %q lacks %s", help, want)
		}
	}
	if strings.Contains(" "+help+" ", " v ") || strings.Contains(" "+help+" ", " c ") {
		t.Errorf("the help line %q offers to reveal or copy the private key", help)
	}
	for _, k := range []string{"v", "c"} {
		_, cmd := s.Update(keyPress(k))
		if m, ok := cmdMsg(cmd).(ToastMsg); !ok || !strings.Contains(m.Text, "never leaves the wallet") {
			t.Errorf("%s on the private key: %v", k, cmdMsg(cmd))
		}
	}
	open := func(k string) *mtlsFlow {
		_, cmd := s.Update(keyPress(k))
		p, ok := cmdMsg(cmd).(pushMsg)
		if !ok {
			t.Fatalf("%s: %T, want the flow pushed", k, cmdMsg(cmd))
		}
		return p.s.(*mtlsFlow)
	}
	if f := open("i"); f.mode != mtlsImport || f.step != msCSR {
		t.Errorf("i opened mode %d step %d", f.mode, f.step)
	}
	if f := open("k"); f.mode != mtlsCheckOnly || f.step != msCheck {
		t.Errorf("k opened mode %d step %d", f.mode, f.step)
	}
	// No certificate yet: nothing to renew.
	_, cmd := s.Update(keyPress("n"))
	if m, ok := cmdMsg(cmd).(ToastMsg); !ok || !strings.Contains(m.Text, "import one first") {
		t.Errorf("n without a certificate: %v", cmdMsg(cmd))
	}
	na := wzNow.Add(20 * 24 * time.Hour)
	e.CertChain, e.NotAfter = "-----BEGIN CERTIFICATE-----\n", &na
	s = newDetails(c, e)
	wzGolden(t, c, s)
	if f := open("n"); f.mode != mtlsRenewal || f.step != msRenew {
		t.Errorf("n opened mode %d step %d", f.mode, f.step)
	}
	if help := " " + strings.Join(helpKeys(s), " ") + " "; !strings.Contains(help, " n ") {
		t.Errorf("the help line %q lacks n", help)
	}
	// The other kinds keep their keys: k still moves up there.
	cl := withSecrets(wzClientEntry(), map[string]string{"client_secret": "x", "access_token": "y"})
	d := newDetails(c, cl)
	d = press(d, "down", "k")
	if d.(details).sel != 0 {
		t.Errorf("k no longer moves up on a client's details")
	}
}

func helpKeys(s Screen) []string {
	var out []string
	for _, b := range s.ShortHelp() {
		out = append(out, b.Help().Key)
	}
	return out
}
