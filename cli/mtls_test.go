package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
)

// The mTLS commands against a real localwise: its Developer Hub stand-in
// signs the CSR the command line prints, and its mTLS listener (a real TLS
// server that requires a client certificate from its CA) answers the check.

// mtlsRig is a wallet with the localwise demo client as c1.
type mtlsRig struct {
	t   *testing.T
	e   *cliEnv
	srv *localwise.Server
	api string
}

func newMTLSRig(t *testing.T, cfg localwise.Config) *mtlsRig {
	t.Helper()
	srv, base := lwtest.Start(t, cfg)
	e := newCLIEnv(t)
	e.init()
	d := srv.Demo()
	e.secrets = append(e.secrets, d.ClientSecret)
	r := e.run(call{args: []string{"add", "client", "c1", "--env", "local", "--api-url", base, "--client-id", d.ClientID, "--no-check=false"}, stdin: ptr(d.ClientSecret + "\n")})
	e.expect(r, 0)
	return &mtlsRig{t: t, e: e, srv: srv, api: base}
}

func (m *mtlsRig) keygen(name string, extra ...string) result {
	m.t.Helper()
	return m.e.cmd(append([]string{"mtls", "keygen", name, "--for", "c1", "--org", "Acme Payments Ltd", "--mtls-url", m.srv.MTLSURL()}, extra...)...)
}

// csr is `mtls csr NAME`, checked to be one PEM block and nothing else.
func (m *mtlsRig) csr(name string) string {
	m.t.Helper()
	out := m.e.must("mtls", "csr", name).stdout
	if !strings.HasPrefix(out, "-----BEGIN CERTIFICATE REQUEST-----\n") || !strings.HasSuffix(out, "-----END CERTIFICATE REQUEST-----\n") || strings.Count(out, "-----BEGIN") != 1 {
		m.t.Fatalf("mtls csr printed more or less than one PEM block:\n%s", out)
	}
	return out
}

// issue has the Developer Hub stand-in sign name's CSR as certName and
// writes the certificate and the CA to files in the rig's folder.
func (m *mtlsRig) issue(name, certName string) (certFile, caFile string) {
	m.t.Helper()
	cert, ca := lwtest.IssueCertificate(m.t, m.srv, localwise.DemoClientID, localwise.DemoClientSecret, certName, []byte(m.csr(name)))
	return m.write(name+".pem", cert), m.write("wise-ca.pem", ca)
}

func (m *mtlsRig) write(file string, data []byte) string {
	m.t.Helper()
	if err := os.WriteFile(filepath.Join(m.e.root, file), data, 0o600); err != nil {
		m.t.Fatal(err)
	}
	return file
}

func (m *mtlsRig) path(file string) string { return filepath.Join(m.e.root, file) }

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed; .ci/run installs it", name)
		}
		t.Skipf("%s is not installed", name)
	}
}

func runTool(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestMTLSWholeLoopOffline: keygen, csr, the Developer Hub stand-in signs,
// import-cert, and check succeeds over a real TLS connection that
// presented the client certificate; from then on the client's token comes
// from the mTLS host too.
func TestMTLSWholeLoopOffline(t *testing.T) {
	t.Parallel()
	m := newMTLSRig(t, localwise.Config{})
	e := m.e
	r := m.keygen("m1", "--country", "gb", "--cert-name", "payouts 2026")
	e.expect(r, 0, "0 of 10 active certificates", "mtls csr m1", "Developer Hub", m.api+"/developer-hub", "payouts 2026")
	cert, ca := m.issue("m1", "payouts 2026")

	// Before the import: the key has no certificate, so no mTLS call.
	e.expect(e.cmd("mtls", "check", "m1"), exitError, "no certificate yet", "mtls import-cert m1")

	r = e.cmd("mtls", "import-cert", "m1", cert, "--ca", ca, "--json")
	e.expect(r, 0)
	var got struct {
		CommonName   string    `json:"common_name"`
		NotAfter     time.Time `json:"not_after"`
		Renewed      bool      `json:"renewed"`
		Certificates struct {
			Active int `json:"active"`
		} `json:"client_certificates"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("import-cert --json: %v\n%s", err, r.stdout)
	}
	if got.CommonName != localwise.DemoClientID || got.Renewed || got.Certificates.Active != 1 || time.Until(got.NotAfter) < 360*24*time.Hour {
		t.Errorf("import-cert --json: %+v; want CN the client id, a year, 1 active", got)
	}

	r = e.must("mtls", "check", "m1")
	for _, want := range []string{"Status:      200", "x-trace-id:", m.srv.MTLSURL() + "/v1/authenticated/playground", `"name": "payouts 2026"`, `"organization": "Acme Payments Ltd"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("mtls check: no %q in\n%s", want, r.stdout)
		}
	}
	r = e.must("mtls", "check", "m1", "--json")
	var check struct {
		Status  int             `json:"status"`
		TraceID string          `json:"x_trace_id"`
		Body    json.RawMessage `json:"body"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &check); err != nil || check.Status != 200 || check.TraceID == "" || !strings.Contains(string(check.Body), "payouts 2026") {
		t.Errorf("mtls check --json: %v %+v", err, check)
	}

	// show: the certificate's name, CN and countdown; the key masked.
	r = e.must("show", "m1")
	for _, want := range []string{"Certificate name:  payouts 2026", "CN=" + localwise.DemoClientID, "C=GB, O=Acme Payments Ltd", "private_key:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show m1: no %q in\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "PRIVATE KEY") {
		t.Errorf("show without --reveal printed the private key:\n%s", r.stdout)
	}
	var st []struct {
		Name     string `json:"name"`
		Expiries []struct {
			What string `json:"what"`
		} `json:"expiries"`
	}
	if err := json.Unmarshal([]byte(e.must("status", "--json").stdout), &st); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range st {
		for _, x := range s.Expiries {
			found = found || s.Name == "m1" && x.What == "certificate"
		}
	}
	if !found {
		t.Errorf("status --json has no certificate expiry for m1: %+v", st)
	}
}

// TestMTLSCSRIsOpenSSLsAndOpenSSLsCertificateImports: openssl verifies the
// CSR and finds O, C and the key asked for; a CA made with openssl signs
// it and import-cert accepts the result with that CA.
func TestMTLSCSRIsOpenSSLsAndOpenSSLsCertificateImports(t *testing.T) {
	t.Parallel()
	needTool(t, "openssl")
	m := newMTLSRig(t, localwise.Config{})
	e, dir := m.e, m.e.root
	for _, kt := range []struct{ flag, want string }{
		{"p256", "prime256v1"}, {"p384", "secp384r1"}, {"rsa2048", "Public-Key: (2048 bit)"}, {"rsa3072", "Public-Key: (3072 bit)"}, {"rsa4096", "Public-Key: (4096 bit)"},
	} {
		name := "k-" + kt.flag
		e.expect(m.keygen(name, "--type", kt.flag, "--country", "EU"), 0)
		file := m.write(name+".csr", []byte(m.csr(name)))
		out := runTool(t, dir, "openssl", "req", "-in", file, "-noout", "-verify", "-text")
		for _, want := range []string{"verify OK", "Subject: C = EU, O = Acme Payments Ltd", kt.want} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: openssl req -text has no %q:\n%s", kt.flag, want, out)
			}
		}
		if strings.Contains(out, "CN =") {
			t.Errorf("%s: the CSR sets a CN (Wise writes the client id there):\n%s", kt.flag, out)
		}
	}

	runTool(t, dir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", "/O=Test CA/CN=openssl test CA")
	runTool(t, dir, "openssl", "x509", "-req", "-in", "k-p256.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "30", "-out", "k-p256.pem")
	e.expect(e.cmd("mtls", "import-cert", "k-p256", "k-p256.pem", "--ca", "ca.pem"), 0, "valid until", "1 of 10 active")
	// A CA pasted after the certificate is taken as the CA.
	chain, _ := os.ReadFile(m.path("k-p256.pem"))
	caPEM, _ := os.ReadFile(m.path("ca.pem"))
	runTool(t, dir, "openssl", "x509", "-req", "-in", "k-p384.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "30", "-out", "k-p384.pem")
	p384, _ := os.ReadFile(m.path("k-p384.pem"))
	r := e.run(call{args: []string{"mtls", "import-cert", "k-p384"}, stdin: ptr(string(p384) + string(caPEM))})
	e.expect(r, 0, "valid until")
	_ = chain

	// localwise's mTLS listener does not know that CA: the handshake is
	// refused, and the command says so without retrying for seconds.
	start := time.Now()
	e.expect(e.cmd("mtls", "check", "k-p256"), exitError, "refused")
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("a refused handshake took %s: it was retried as if Wise were down", d)
	}
}

// TestMTLSCurlWithExportedFiles: the listener is a real mTLS server any
// client can use: curl with the key (from show --reveal), the certificate
// and the CA exported from the wallet gets the playground; without the
// certificate the server refuses the connection.
func TestMTLSCurlWithExportedFiles(t *testing.T) {
	t.Parallel()
	needTool(t, "curl")
	m := newMTLSRig(t, localwise.Config{})
	e := m.e
	e.expect(m.keygen("m1"), 0)
	cert, ca := m.issue("m1", "m1")
	e.expect(e.cmd("mtls", "import-cert", "m1", cert, "--ca", ca), 0)

	var shown struct {
		Secrets map[string]string `json:"secrets"`
	}
	if err := json.Unmarshal([]byte(e.must("show", "m1", "--reveal", "--json").stdout), &shown); err != nil {
		t.Fatal(err)
	}
	key := shown.Secrets["private_key"]
	if !strings.HasPrefix(key, "-----BEGIN PRIVATE KEY-----") {
		t.Fatalf("show --reveal --json: private_key is not a PEM key")
	}
	e.secrets = append(e.secrets, key)
	m.write("key.pem", []byte(key))
	m.write("client.pem", []byte(e.must("mtls", "cert", "m1").stdout))
	m.write("ca.pem", []byte(e.must("mtls", "cert", "m1", "--ca").stdout))
	token := strings.TrimSpace(e.must("token", "c1").stdout)
	e.secrets = append(e.secrets, token)

	url := m.srv.MTLSURL() + "/v1/authenticated/playground"
	out := runTool(t, e.root, "curl", "-sS", "--fail-with-body", "--cert", "client.pem", "--key", "key.pem", "--cacert", "ca.pem", "-H", "Authorization: Bearer "+token, url)
	if !strings.Contains(out, `"client_id":"`+localwise.DemoClientID+`"`) {
		t.Errorf("curl over mTLS: %s", out)
	}
	cmd := exec.Command("curl", "-sS", "--cacert", "ca.pem", "-H", "Authorization: Bearer "+token, url)
	cmd.Dir = e.root
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("curl without a client certificate was served: %s", out)
	}
}

// TestMTLSRefusals: each thing Wise would refuse is refused here first,
// with words that say what to fix, and nothing is stored.
func TestMTLSRefusals(t *testing.T) {
	t.Parallel()
	m := newMTLSRig(t, localwise.Config{})
	e := m.e
	e.expect(e.cmd("mtls", "keygen", "m0", "--for", "c1", "--mtls-url", m.srv.MTLSURL()), exitUsage, "--org is required", "organisation (O)")
	e.expect(m.keygen("m0", "--type", "rsa1024"), exitUsage, `--type "rsa1024"`, "RSA under 2048 bits is refused")
	e.expect(m.keygen("m0", "--country", "GBR"), exitUsage, "--country", "two letters")
	e.expect(e.cmd("mtls", "keygen", "m0", "--for", "c1", "--org", "Acme"), exitUsage, "--mtls-url", "mtls_url")
	e.expect(e.cmd("mtls", "keygen", "m0", "--org", "Acme"), exitUsage, "--for CLIENT", "--env")
	e.expect(m.keygen("m0", "--for", "nope"), exitError, `"nope"`, "wisewallet list") // the last --for wins
	if names := e.names(); len(names) != 1 {
		t.Fatalf("entries after refused keygens: %v, want only c1", names)
	}

	e.expect(m.keygen("m1"), 0)
	e.expect(m.keygen("m2", "--cert-name", "m1"), exitUsage, `certificate name "m1" is taken by "m1"`)
	e.expect(m.keygen("m2"), 0)
	cert2, ca := m.issue("m2", "m2")
	// The certificate of m2's key offered to m1.
	e.expect(e.cmd("mtls", "import-cert", "m1", cert2, "--ca", ca), exitError, "for another key")
	// No CA given, none stored, none pasted.
	e.expect(e.cmd("mtls", "import-cert", "m2", cert2), exitError, "--ca")
	// A CA that did not sign it.
	other := m.write("other-ca.pem", selfSignedCA(t))
	e.expect(e.cmd("mtls", "import-cert", "m2", cert2, "--ca", other), exitError, "does not chain to the CA")
	// Not a certificate at all, and a file that is not there.
	e.expect(e.run(call{args: []string{"mtls", "import-cert", "m2", "--ca", ca}, stdin: ptr("hello\n")}), exitError, "not a PEM certificate")
	e.expect(e.cmd("mtls", "import-cert", "m2", "no-such.pem", "--ca", ca), exitUsage, "no-such.pem")
	// An expired certificate for m2's key, from a CA given with it.
	expired, expiredCA := expiredCertificate(t, m.csr("m2"))
	e.expect(e.cmd("mtls", "import-cert", "m2", m.write("expired.pem", expired), "--ca", m.write("expired-ca.pem", expiredCA)), exitError, "has expired")
	var view struct {
		CertChain string `json:"cert_chain"`
	}
	if err := json.Unmarshal([]byte(e.must("show", "m2", "--json").stdout), &view); err != nil || view.CertChain != "" {
		t.Fatalf("a refused certificate was stored: %v %q", err, view.CertChain)
	}
	// The right one still goes in after all that.
	e.expect(e.cmd("mtls", "import-cert", "m2", cert2, "--ca", ca), 0)
	e.expect(e.cmd("mtls", "check", "m1"), exitError, "no certificate yet")
	e.expect(e.cmd("mtls", "csr", "c1"), exitUsage, "is a client entry, not a mtls entry")
	e.expect(e.cmd("mtls", "check", "nope"), exitError, "wisewallet list")
}

// TestMTLSExpiredCertificateStopsCallsBeforeTheyAreSent: once the
// certificate has ended, the check and the client's token fail with the
// fix and nothing reaches the server.
func TestMTLSExpiredCertificateStopsCallsBeforeTheyAreSent(t *testing.T) {
	t.Parallel()
	// Tokens as short as the certificate: the client's cached token is
	// due again when the certificate has ended.
	m := newMTLSRig(t, localwise.Config{CertTTL: 2 * time.Second, TokenTTL: 2 * time.Second})
	e := m.e
	e.expect(m.keygen("m1"), 0)
	cert, ca := m.issue("m1", "m1")
	e.expect(e.cmd("mtls", "import-cert", "m1", cert, "--ca", ca), 0)
	e.must("mtls", "check", "m1")
	time.Sleep(3 * time.Second)
	before := m.srv.Stats()
	e.expect(e.cmd("mtls", "check", "m1"), exitError, "expired", "nothing was sent", "mtls renew m1")
	// The client's token is fetched on the mTLS host, with the certificate:
	// refused too, before it is asked for.
	e.expect(e.cmd("token", "c1"), exitError, "expired", "nothing was sent")
	after := m.srv.Stats()
	if after.Requests != before.Requests {
		t.Errorf("calls reached localwise with an expired certificate: %d before, %d after", before.Requests, after.Requests)
	}
}

// TestMTLSRenewKeepsTheOldCertificateUntilTheNewOneIsImported.
func TestMTLSRenewKeepsTheOldCertificateUntilTheNewOneIsImported(t *testing.T) {
	t.Parallel()
	m := newMTLSRig(t, localwise.Config{})
	e := m.e
	e.expect(m.keygen("m1", "--cert-name", "payouts"), 0)
	cert, ca := m.issue("m1", "payouts")
	e.expect(e.cmd("mtls", "import-cert", "m1", cert, "--ca", ca), 0)
	oldCSR := m.csr("m1")

	r := e.cmd("mtls", "renew", "m1", "--type", "p384", "--json")
	e.expect(r, 0)
	var renewed struct {
		KeyType  string `json:"key_type"`
		CertName string `json:"cert_name"`
		CSR      string `json:"csr"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &renewed); err != nil {
		t.Fatal(err)
	}
	wantName := "payouts-" + time.Now().UTC().Format("20060102")
	if renewed.KeyType != "p384" || renewed.CertName != wantName || renewed.CSR == oldCSR || m.csr("m1") != renewed.CSR {
		t.Fatalf("renew --json: %+v; want a p384 CSR named %s, printed by mtls csr", renewed, wantName)
	}
	// The old certificate keeps working meanwhile.
	e.must("mtls", "check", "m1")
	// The old certificate again is not the renewal's: it is re-imported
	// for the old key, and the renewal stays.
	e.expect(e.cmd("mtls", "import-cert", "m1", cert), 0)
	if m.csr("m1") != renewed.CSR {
		t.Fatal("re-importing the old certificate dropped the renewal")
	}
	newCert, _ := m.issue("m1", wantName)
	e.expect(e.cmd("mtls", "import-cert", "m1", newCert), 0, "renewal", "Deactivate the old certificate")
	r = e.must("mtls", "check", "m1")
	if !strings.Contains(r.stdout, `"name": "`+wantName+`"`) {
		t.Errorf("after the renewal the check presented another certificate:\n%s", r.stdout)
	}
	if m.csr("m1") != renewed.CSR || !strings.Contains(e.must("show", "m1").stdout, "p384") {
		t.Error("after the renewal the entry does not hold the new key and CSR")
	}
}

func selfSignedCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "another CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// expiredCertificate signs csrPEM's key with a new CA, valid last year.
func expiredCertificate(t *testing.T, csrPEM string) (cert, ca []byte) {
	t.Helper()
	block, _ := pem.Decode([]byte(csrPEM))
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	year := time.Now().AddDate(-1, 0, 0)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "old CA"}, NotBefore: year.Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "c", Organization: []string{"Acme"}}, NotBefore: year, NotAfter: year.Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, csr.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
}

// The progress line of a slow key generation comes only when the work
// outlasts its delay, and never after stop has returned.
func TestSlowProgressLine(t *testing.T) {
	t.Parallel()
	var quick strings.Builder
	stop := slowProgress(&quick, time.Hour, "Generating…")
	stop()
	if quick.Len() != 0 {
		t.Errorf("quick work printed %q", quick.String())
	}
	var slow syncBuffer
	stop = slowProgress(&slow, time.Millisecond, "Generating…")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(slow.String(), "Generating…") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	stop()
	if got := slow.String(); got != "Generating…\n" {
		t.Errorf("slow work printed %q, want the line once", got)
	}
}

// syncBuffer is a strings.Builder safe for a writer and a reader on two
// goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The fingerprint import-cert reports is openssl's of the same file, the
// one a user compares against Developer Hub's page.
func TestMTLSImportFingerprintIsOpenSSLs(t *testing.T) {
	t.Parallel()
	needTool(t, "openssl")
	m := newMTLSRig(t, localwise.Config{})
	e := m.e
	e.expect(m.keygen("m1", "--type", "rsa2048"), 0)
	cert, ca := m.issue("m1", "m1")
	r := e.cmd("mtls", "import-cert", "m1", cert, "--ca", ca, "--json")
	e.expect(r, 0)
	var got struct {
		Fingerprint string `json:"sha256_fingerprint"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	out := strings.TrimSpace(runTool(t, e.root, "openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", cert))
	// "sha256 Fingerprint=AB:CD:..." (OpenSSL 3) or "SHA256 Fingerprint=..." (1.1).
	if _, theirs, ok := strings.Cut(out, "="); !ok || theirs != got.Fingerprint {
		t.Errorf("openssl says %q, import-cert says %q", out, got.Fingerprint)
	}
}
