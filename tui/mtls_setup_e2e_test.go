package tui

// The mTLS setup driven to its end against a real localwise: the CSR the
// screen shows is signed by localwise's Developer Hub over HTTP, as a user
// would have it signed, and the check goes over real mTLS.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/wisewallet/wisewallet/crypto"
	lwdemo "github.com/wisewallet/wisewallet/demo"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
)

// csrOnScreen is the CSR as the screen shows it, cut out of the view as
// a user selecting it would (screenshots/make.sh does the same).
func csrOnScreen(t *testing.T, view string) []byte {
	t.Helper()
	begin := strings.Index(view, "-----BEGIN CERTIFICATE REQUEST-----")
	end := strings.Index(view, "-----END CERTIFICATE REQUEST-----")
	if begin < 0 || end < begin {
		t.Fatalf("the CSR is not on screen whole:\n%s", view)
	}
	var lines []string
	for _, l := range strings.Split(view[begin:end+len("-----END CERTIFICATE REQUEST-----")], "\n") {
		lines = append(lines, strings.TrimSpace(l))
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}

// pemLines are the base64 lines of a PEM text: a leak of any one of them
// is a leak of part of the key.
func pemLines(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "-----") {
			out = append(out, l)
		}
	}
	return out
}

// foreignCert is a certificate for pub (the entry's own key) from a CA
// that is not Wise's: made here, as a user's mix-up of environments would
// bring one.
func foreignCert(t *testing.T, pub any, cn string) []byte {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Not Wise CA"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(48 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(8), Subject: pkix.Name{CommonName: cn, Organization: []string{"Acme Payments Ltd"}}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, pub, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestMTLSSetupAgainstLocalwise(t *testing.T) {
	demo, c := wzDemo(t)
	creds := demo.Server.Demo()
	c.Env.DemoMTLSURL = creds.MTLSURL
	// No display here: the copy must say so and keep the CSR on screen.
	c.clip.getenv = func(string) string { return "" }

	before := demo.Service.MTLSCertificates("acme-app").Active
	d := wzChoose(t, c, 4)
	f := d.s.(*mtlsFlow)
	d.until("the client list", func() bool { return f.clients.loaded })
	if len(f.clients.clients) == 0 || f.clients.clients[f.clients.list.cursor].Name != "acme-app" {
		t.Fatalf("the demo's client is not offered first: %+v", f.clients.list.items)
	}
	d.press("enter")
	if f.step != msURL || f.mtlsURL.Value() != creds.MTLSURL {
		t.Fatalf("step %d, URL %q: want the local mTLS URL step filled with %q", f.step, f.mtlsURL.Value(), creds.MTLSURL)
	}
	d.press("enter")
	d.typeText("payouts-mtls")
	d.press("enter")
	d.until("the key type", func() bool { return f.step == msKeyType })
	d.press("enter") // P-256, suggested
	d.typeText("Acme Payments Ltd")
	d.press("enter")
	d.typeText("GB")
	d.press("enter")
	if f.step != msCertName || !strings.Contains(wzFlat(f), fmt.Sprintf("%d of 10 active for this client", before)) {
		t.Fatalf("step %d: want the certificate name with the client's count:\n%s", f.step, wzPlain(f))
	}
	d.typeText("payouts-2026")
	d.press("enter")
	d.until("the CSR", func() bool { return f.step == msCSR })
	csr := csrOnScreen(t, wzPlain(f))
	if _, err := crypto.CheckCSR(csr); err != nil {
		t.Fatalf("the CSR on screen fails Wise's rules: %v", err)
	}
	d.press("c")
	d.until("the copy's answer", func() bool { return f.errMsg != "" })
	if !strings.Contains(wzFlat(f), "no clipboard here") || !strings.Contains(wzPlain(f), "END CERTIFICATE REQUEST") {
		t.Errorf("no clipboard: the screen does not say so, or lost the CSR:\n%s", wzPlain(f))
	}

	// Developer Hub, as the user would use it: the CSR on screen, the
	// certificate name the flow asked for.
	certPEM, caPEM := lwtest.IssueCertificateAt(t, creds.APIURL, creds.ClientID, creds.ClientSecret, "payouts-2026", csr)

	d.press("enter")
	hub := wzFlat(f)
	for _, want := range []string{"Get it signed in Developer Hub", creds.APIURL + "/developer-hub", "Authentication → Generate certificate", `"payouts-2026"`, "Get Wise Certificate"} {
		if !strings.Contains(hub, want) {
			t.Errorf("the Developer Hub step does not say %q", want)
		}
	}
	d.press("enter")
	if f.step != msCert {
		t.Fatalf("step %d, want the certificate", f.step)
	}

	// importOnce pastes cert and CA (nil: keep the CA taken) and imports.
	importOnce := func(cert, ca []byte) {
		t.Helper()
		d.send(tea.PasteMsg{Content: string(cert)})
		d.press("enter")
		if f.step != msCA {
			t.Fatalf("step %d after the certificate: %s", f.step, f.errMsg)
		}
		if ca != nil {
			d.send(tea.PasteMsg{Content: string(ca)})
		}
		d.press("enter")
		d.until("the import's answer", func() bool { return !f.op.busy && f.step != msImport && f.step != msCheck })
	}

	t.Run("a certificate for another key", func(t *testing.T) {
		other, err := crypto.GenerateKey(crypto.ECP256)
		if err != nil {
			t.Fatal(err)
		}
		otherCSR, err := crypto.CreateCSR(other, crypto.CSRSubject{Organization: "Acme Payments Ltd"})
		if err != nil {
			t.Fatal(err)
		}
		wrong, _ := lwtest.IssueCertificateAt(t, creds.APIURL, creds.ClientID, creds.ClientSecret, "other-key", otherCSR)
		importOnce(wrong, caPEM)
		if f.step != msCert || !strings.Contains(wzFlat(f), "for another key") || f.cert.pem != nil {
			t.Fatalf("step %d, taken %v: want the certificate step again, saying it is for another key:\n%s", f.step, f.cert.pem != nil, wzPlain(f))
		}
	})

	t.Run("a certificate from another CA", func(t *testing.T) {
		req, err := x509.ParseCertificateRequest(mustPEM(t, csr))
		if err != nil {
			t.Fatal(err)
		}
		importOnce(foreignCert(t, req.PublicKey, creds.ClientID), nil)
		if f.step != msCert || !strings.Contains(wzFlat(f), "not issued by the CA") || f.ca.pem == nil {
			t.Fatalf("step %d: want the certificate step again, saying the CA did not issue it, the CA kept:\n%s", f.step, wzPlain(f))
		}
		if e, _ := demo.Service.Entry("payouts-mtls"); e.CertChain != "" {
			t.Error("a refused certificate was stored")
		}
	})

	// The right certificate, loaded from the file it was saved to.
	path := filepath.Join(t.TempDir(), "payouts-2026.pem")
	if err := os.WriteFile(path, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	d.typeText(path)
	d.press("enter")
	d.until("the file read", func() bool { return f.cert.pem != nil })
	if !strings.Contains(wzPlain(f), "serial") || !strings.Contains(wzPlain(f), path) {
		t.Errorf("the certificate taken is not summarised:\n%s", wzPlain(f))
	}
	d.press("enter")
	if !strings.Contains(wzPlain(f), "valid until") {
		t.Errorf("the CA kept from before is not shown:\n%s", wzPlain(f))
	}
	d.press("enter")
	d.until("the check's result", func() bool { return f.step == msResult })
	if f.checkErr != nil || f.imported == nil {
		t.Fatalf("import %v, check: %v", f.imported != nil, f.checkErr)
	}
	view := wzFlat(f)
	for _, want := range []string{"✓ Imported", "CN " + creds.ClientID + " (the client id)", "serial " + f.imported.Serial, fmt.Sprintf("%d of 10 active for acme-app", before+1),
		"GET " + creds.MTLSURL + "/v1/authenticated/playground", "HTTP 200", "x-trace-id " + f.check.TraceID} {
		if !strings.Contains(view, want) {
			t.Errorf("the result does not show %q:\n%s", want, wzPlain(f))
		}
	}
	if f.check.Status != 200 || f.check.TraceID == "" {
		t.Errorf("check: HTTP %d, trace id %q", f.check.Status, f.check.TraceID)
	}
	wzEnd(t, d, true)

	e, err := demo.Service.Entry("payouts-mtls")
	if err != nil {
		t.Fatal(err)
	}
	if e.Kind != flows.KindMTLS || e.LinkedTo != "acme-app" || e.CertName != "payouts-2026" || e.Organization != "Acme Payments Ltd" || e.Country != "GB" ||
		e.KeyType != string(crypto.ECP256) || e.CertChain == "" || e.NotAfter == nil || e.Env.MTLSURL != creds.MTLSURL {
		t.Errorf("stored: %+v", e)
	}
	key := wzSecretOf(demo, e, "private_key").RevealString()
	if key == "" {
		t.Fatal("no private key stored")
	}
	secrets := append(pemLines(key), creds.ClientSecret)
	if tok := wzSecretOf(demo, mustEntry(t, demo, "acme-app"), "access_token"); !tok.IsZero() {
		secrets = append(secrets, tok.RevealString())
	}
	wzViewsHoldNo(t, d, secrets...)
}

func mustPEM(t *testing.T, text []byte) []byte {
	t.Helper()
	b, _ := pem.Decode(text)
	if b == nil {
		t.Fatal("no PEM block")
	}
	return b.Bytes
}

func mustEntry(t *testing.T, demo *lwdemo.Demo, name string) flows.EntryView {
	t.Helper()
	e, err := demo.Service.Entry(name)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// From the demo's mTLS entry: k checks it over mTLS; n makes a renewal's
// key and CSR, which Developer Hub signs, and its import replaces the old
// key; the check then passes with the new certificate.
func TestMTLSRenewAndCheckFromAnEntryAgainstLocalwise(t *testing.T) {
	demo, c := wzDemo(t)
	creds := demo.Server.Demo()
	e := mustEntry(t, demo, "acme-mtls")
	if e.CertChain == "" {
		t.Fatal("the demo's mTLS entry has no certificate")
	}
	oldKey := wzSecretOf(demo, e, "private_key").RevealString()

	check := newMTLSEntryFlow(c, e, mtlsCheckOnly)
	dc := newLiveDriver(t, check)
	dc.until("the check's result", func() bool { return check.step == msResult })
	if check.checkErr != nil || check.check.Status != 200 || !strings.Contains(wzFlat(check), "x-trace-id "+check.check.TraceID) {
		t.Fatalf("k: %v, HTTP %d:\n%s", check.checkErr, check.check.Status, wzPlain(check))
	}

	r := newMTLSEntryFlow(c, e, mtlsRenewal)
	d := newLiveDriver(t, r)
	d.press("enter")
	d.until("the renewal's CSR", func() bool { return r.step == msCSR })
	csr := csrOnScreen(t, wzPlain(r))
	pending := mustEntry(t, demo, "acme-mtls")
	if pending.PendingCSR == "" || strings.TrimSpace(pending.PendingCSR) != strings.TrimSpace(string(csr)) {
		t.Fatal("the CSR shown is not the renewal's")
	}
	d.press("enter")
	if !strings.Contains(wzFlat(r), `"`+pending.PendingCertName+`"`) {
		t.Errorf("the Developer Hub page does not name the renewal's certificate %q", pending.PendingCertName)
	}
	cert, _ := lwtest.IssueCertificateAt(t, creds.APIURL, creds.ClientID, creds.ClientSecret, pending.PendingCertName, csr)
	d.press("enter")
	d.send(tea.PasteMsg{Content: string(cert)})
	d.press("enter")
	// Wise's CA is kept with the entry: enter alone goes on.
	d.press("enter")
	d.until("the check's result", func() bool { return r.step == msResult })
	if r.checkErr != nil || r.imported == nil || !r.imported.Renewed || r.check.Status != 200 {
		t.Fatalf("renewal: imported %+v, check %v", r.imported, r.checkErr)
	}
	if !strings.Contains(wzFlat(r), "Deactivate the old certificate in Developer Hub") {
		t.Errorf("the result does not say to deactivate the old certificate:\n%s", wzPlain(r))
	}
	after := mustEntry(t, demo, "acme-mtls")
	newKey := wzSecretOf(demo, after, "private_key").RevealString()
	if after.PendingCSR != "" || newKey == oldKey || after.CertName != pending.PendingCertName {
		t.Errorf("after the renewal: pending %q, key replaced %v, name %q", after.PendingCSR, newKey != oldKey, after.CertName)
	}
	d.press("enter")
	d.until("the way back", func() bool { popped, _, _ := d.navigated(); return popped })
	secrets := append(append(pemLines(oldKey), pemLines(newKey)...), creds.ClientSecret)
	wzViewsHoldNo(t, dc, secrets...)
	wzViewsHoldNo(t, d, secrets...)
}

// A check whose mTLS host does not answer says so, with the host, and r
// tries again; nothing of the entry is lost.
func TestMTLSCheckOfADeadHostAgainstLocalwise(t *testing.T) {
	demo, c := wzDemo(t)
	creds := demo.Server.Demo()
	ctx := context.Background()
	dead := lwtest.FreeLoopbackURL(t, "")
	dead = "https://" + strings.TrimPrefix(strings.TrimSuffix(dead, "/"), "http://")
	if _, err := demo.Service.MTLSKeygen(ctx, flows.MTLSKeyInput{Name: "dead-mtls", Client: "acme-app", Org: "Acme Payments Ltd", CertName: "dead-host", MTLSURL: dead}); err != nil {
		t.Fatal(err)
	}
	csr, err := demo.Service.MTLSCSR("dead-mtls")
	if err != nil {
		t.Fatal(err)
	}
	cert, ca := lwtest.IssueCertificateAt(t, creds.APIURL, creds.ClientID, creds.ClientSecret, "dead-host", []byte(csr))
	if _, err := demo.Service.MTLSImportCert(ctx, "dead-mtls", cert, ca); err != nil {
		t.Fatal(err)
	}
	f := newMTLSEntryFlow(c, mustEntry(t, demo, "dead-mtls"), mtlsCheckOnly)
	d := newLiveDriver(t, f)
	d.until("the check's result", func() bool { return f.step == msResult })
	if f.checkErr == nil || !strings.Contains(wzFlat(f), "Is the mTLS host ("+dead+") right and reachable? r runs the check again.") {
		t.Fatalf("a dead mTLS host: %v\n%s", f.checkErr, wzPlain(f))
	}
	d.press("r")
	d.until("the second check's result", func() bool { return f.step == msResult && !f.op.busy })
	if f.checkErr == nil {
		t.Error("the second check against a dead host passed")
	}
	if e := mustEntry(t, demo, "dead-mtls"); e.CertChain == "" {
		t.Error("the failed check lost the certificate")
	}
}
