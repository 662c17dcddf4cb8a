package localwise

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func rsaKey(t testing.TB, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// tamper changes one byte of the CSR's subject (the organisation's last
// letter), leaving a well-formed request whose signature no longer holds.
func tamper(t testing.TB, csrPEM []byte) []byte {
	t.Helper()
	b, _ := pem.Decode(csrPEM)
	der := bytes.Clone(b.Bytes)
	i := bytes.Index(der, []byte("Acme Widgets"))
	if i < 0 {
		t.Fatal("organisation not found in the CSR")
	}
	der[i+len("Acme Widgets")-1] = 'z'
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// TestDeveloperHubRules: each of Wise's rules refused with its code and
// path, and nothing issued.
func TestDeveloperHubRules(t *testing.T) {
	s, base := start(t, Config{})
	p256 := sharedP256(t)
	good := csrFor(t, p256, acme)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	rsa1024 := rsaKey(t, 1024)
	cases := []struct {
		name, certName string
		csr            []byte
		codes          []string
		path           string
		says           string // in the first message: the reason, not just the code
	}{
		{"CSR without O", "a", csrFor(t, p256, pkix.Name{Country: []string{"EU"}, CommonName: "x"}), []string{codeCSROrganization}, "csr", "organisation (O)"},
		{"CSR with a blank O", "a", csrFor(t, p256, pkix.Name{Organization: []string{"  "}}), []string{codeCSROrganization}, "csr", "organisation (O)"},
		{"RSA-1024", "a", csrFor(t, rsa1024, acme), []string{codeCSRKeySize}, "csr", "1024 bits"},
		{"RSA-1024 without O", "a", csrFor(t, rsa1024, pkix.Name{}), []string{codeCSRKeySize, codeCSROrganization}, "csr", "1024 bits"},
		{"P-521", "a", csrFor(t, newKeyP(t, elliptic.P521()), acme), []string{codeCSRKeySize}, "csr", "P-521"},
		{"P-224", "a", csrFor(t, newKeyP(t, elliptic.P224()), acme), []string{codeCSRKeySize}, "csr", "P-224"},
		{"Ed25519", "a", csrFor(t, edKey, acme), []string{codeCSRKeyType}, "csr", "Ed25519"},
		{"text before the PEM block", "a", append([]byte("Certificate Request:\n    Data: ...\n"), good...), []string{codeCSRInvalid}, "csr", "text before"},
		{"text after the PEM block", "a", append(bytes.Clone(good), "# made by openssl\n"...), []string{codeCSRInvalid}, "csr", "text after"},
		{"two PEM blocks", "a", append(bytes.Clone(good), csrFor(t, p256, acme)...), []string{codeCSRInvalid}, "csr", "more than one PEM block"},
		{"a key instead of a CSR", "a", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}), []string{codeCSRInvalid}, "csr", "PRIVATE KEY"},
		{"PEM headers", "a", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Headers: map[string]string{"Comment": "mine"}, Bytes: mustDER(t, good)}), []string{codeCSRInvalid}, "csr", "headers"},
		{"not DER inside", "a", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: []byte("hello")}), []string{codeCSRInvalid}, "csr", "not a valid certificate signing request"},
		{"tampered signature", "a", tamper(t, good), []string{codeCSRInvalid}, "csr", "signature does not verify"},
		{"empty CSR", "a", nil, []string{codeCSRInvalid}, "csr", "empty"},
		{"missing name", "  ", good, []string{codeNameMissing}, "name", "name"},
		{"name with a control character", "a\x00b", good, []string{codeNameInvalid}, "name", "control characters"},
		{"name too long", strings.Repeat("n", maxCertNameLen+1), good, []string{codeNameInvalid}, "name", "at most 100"},
	}
	for _, c := range cases {
		r := hubIssue(t, base, testClientID, testClientSecret, c.certName, c.csr)
		_, path, msg := firstError(r)
		if r.status != http.StatusBadRequest || !slices.Equal(errorCodes(r), c.codes) || path != c.path || !strings.Contains(msg, c.says) {
			t.Errorf("%s: %d %s, want 400 %v on %s", c.name, r.status, r.body, c.codes, c.path)
		}
		if !traceID.MatchString(r.header.Get("x-trace-id")) {
			t.Errorf("%s: x-trace-id = %q", c.name, r.header.Get("x-trace-id"))
		}
	}
	if n := len(s.mtls.active(s.now(), testClientID)); n != 0 {
		t.Fatalf("refused requests issued %d certificates", n)
	}
	// The untampered CSR is fine: the refusals were about the rule.
	if r := hubIssue(t, base, testClientID, testClientSecret, "good", good); r.status != http.StatusCreated {
		t.Fatalf("good CSR: %d %s", r.status, r.body)
	}
	// With CRLF line ends and surrounding blank lines (a paste) too.
	crlf := "\r\n" + strings.ReplaceAll(string(csrFor(t, p256, acme)), "\n", "\r\n") + "\r\n\r\n"
	if r := hubIssue(t, base, testClientID, testClientSecret, "pasted", []byte(crlf)); r.status != http.StatusCreated {
		t.Fatalf("pasted CSR: %d %s", r.status, r.body)
	}
}

func mustDER(t testing.TB, p []byte) []byte {
	t.Helper()
	b, _ := pem.Decode(p)
	return b.Bytes
}

// TestDeveloperHubAcceptsWiseKeyTypes: RSA 2048/3072/4096, EC P-256/P-384.
func TestDeveloperHubAcceptsWiseKeyTypes(t *testing.T) {
	_, base := start(t, Config{})
	keys := map[string]crypto.Signer{
		"rsa2048": rsaKey(t, 2048), "p256": sharedP256(t), "p384": newKeyP(t, elliptic.P384()),
	}
	if !testing.Short() {
		keys["rsa3072"], keys["rsa4096"] = rsaKey(t, 3072), rsaKey(t, 4096)
	}
	for name, key := range keys {
		cert := parseCertPEM(t, mustIssue(t, base, testClientID, testClientSecret, name, csrFor(t, key, acme)))
		if !cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(key.Public()) {
			t.Errorf("%s: the certificate is for another key", name)
		}
		_, isRSA := key.(*rsa.PrivateKey)
		if got := cert.KeyUsage&x509.KeyUsageKeyEncipherment != 0; got != isRSA {
			t.Errorf("%s: key encipherment = %v", name, got)
		}
	}
}

// TestDeveloperHubIssuedCertificate: CN is the client id whatever the CSR
// said, O and C kept, nothing else; ClientAuth; validity now..now+CertTTL
// on the server's clock; it chains to the downloaded CA.
func TestDeveloperHubIssuedCertificate(t *testing.T) {
	clock := newClock()
	const ttl = 90 * time.Minute
	_, base := start(t, Config{Now: clock.Now, CertTTL: ttl})
	subject := pkix.Name{CommonName: "please-use-me", Organization: []string{"Acme Widgets"}, Country: []string{"EU"},
		OrganizationalUnit: []string{"Payments"}, Locality: []string{"Tallinn"}}
	r := hubIssue(t, base, testClientID, testClientSecret, "server-1", csrFor(t, sharedP256(t), subject))
	if r.status != http.StatusCreated || !traceID.MatchString(r.header.Get("x-trace-id")) {
		t.Fatalf("issue: %d %s", r.status, r.body)
	}
	cert := parseCertPEM(t, []byte(r.str("certificate")))
	now := clock.Now().Truncate(time.Second)
	if cert.Subject.CommonName != testClientID || !slices.Equal(cert.Subject.Organization, []string{"Acme Widgets"}) ||
		!slices.Equal(cert.Subject.Country, []string{"EU"}) || len(cert.Subject.OrganizationalUnit) != 0 || len(cert.Subject.Locality) != 0 {
		t.Errorf("subject = %v", cert.Subject)
	}
	if !slices.Equal(cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) || cert.IsCA {
		t.Errorf("ext key usage = %v, CA %v", cert.ExtKeyUsage, cert.IsCA)
	}
	if !cert.NotBefore.Equal(now) || !cert.NotAfter.Equal(now.Add(ttl)) {
		t.Errorf("validity %s .. %s, want %s .. %s", cert.NotBefore, cert.NotAfter, now, now.Add(ttl))
	}
	if r.str("name") != "server-1" || r.str("client_id") != testClientID || r.str("serial_number") != cert.SerialNumber.Text(16) ||
		r.str("not_before") != now.Format(time.RFC3339) || r.str("not_after") != now.Add(ttl).Format(time.RFC3339) {
		t.Errorf("answer = %s", r.body)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: caPool(t, base), CurrentTime: now.Add(time.Minute),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("does not chain to the downloaded CA: %v", err)
	}
	// Serial numbers differ between certificates.
	second := parseCertPEM(t, mustIssue(t, base, testClientID, testClientSecret, "server-2", csrFor(t, sharedP256(t), acme)))
	if second.SerialNumber.Cmp(cert.SerialNumber) == 0 {
		t.Error("two certificates share a serial number")
	}
}

func TestDeveloperHubDefaultLifetimeIsOneYear(t *testing.T) {
	clock := newClock()
	_, base := start(t, Config{Now: clock.Now})
	cert := parseCertPEM(t, mustIssue(t, base, testClientID, testClientSecret, "year", csrFor(t, sharedP256(t), acme)))
	if want := clock.Now().Truncate(time.Second).AddDate(0, 0, 365); !cert.NotAfter.Equal(want) {
		t.Errorf("not after %s, want %s", cert.NotAfter, want)
	}
}

// TestDeveloperHubLimitAndNames: names unique among the client's active
// certificates, at most ten active, a deactivated one frees its place and
// its name; each client counts its own.
func TestDeveloperHubLimitAndNames(t *testing.T) {
	clock := newClock()
	_, base := start(t, Config{Now: clock.Now, CertTTL: time.Hour})
	csr := csrFor(t, sharedP256(t), acme)
	mustIssue(t, base, testClientID, testClientSecret, "cert-1", csr)
	r := hubIssue(t, base, testClientID, testClientSecret, "cert-1", csr)
	if code, path, _ := firstError(r); r.status != http.StatusBadRequest || code != codeNameDuplicate || path != "name" {
		t.Fatalf("duplicate name: %d %s", r.status, r.body)
	}
	// Another client may use the same name.
	mustIssue(t, base, otherClientID, otherSecret, "cert-1", csr)
	for i := 2; i <= MaxActiveCertificates; i++ {
		mustIssue(t, base, testClientID, testClientSecret, "cert-"+itoa(int64(i)), csr)
	}
	r = hubIssue(t, base, testClientID, testClientSecret, "cert-11", csr)
	if code, _, msg := firstError(r); r.status != http.StatusUnprocessableEntity || code != codeCertLimit || !strings.Contains(msg, "10") {
		t.Fatalf("eleventh: %d %s", r.status, r.body)
	}
	list := do(t, withBasic(newRequest(t, http.MethodGet, base+hubAPIPath, nil), testClientID, testClientSecret))
	if list.status != http.StatusOK || list.json["active"] != float64(10) || list.json["limit"] != float64(10) {
		t.Fatalf("list: %d %s", list.status, list.body)
	}
	// Deactivate one, and the eleventh goes in; the freed name is free.
	if d := hubDelete(t, base, testClientID, testClientSecret, "cert-1"); d.status != http.StatusNoContent || !traceID.MatchString(d.header.Get("x-trace-id")) {
		t.Fatalf("deactivate: %d %s", d.status, d.body)
	}
	if d := hubDelete(t, base, testClientID, testClientSecret, "cert-1"); d.status != http.StatusNotFound {
		t.Fatalf("deactivate twice: %d %s", d.status, d.body)
	}
	mustIssue(t, base, testClientID, testClientSecret, "cert-11", csr)
	if r := hubIssue(t, base, testClientID, testClientSecret, "cert-12", csr); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("twelfth with ten active: %d", r.status)
	}
	// Expired certificates stop counting.
	clock.Advance(time.Hour)
	mustIssue(t, base, testClientID, testClientSecret, "cert-1", csr)
	list = do(t, withBasic(newRequest(t, http.MethodGet, base+hubAPIPath, nil), testClientID, testClientSecret))
	if list.json["active"] != float64(1) {
		t.Errorf("after expiry: %s", list.body)
	}
}

func withBasic(req *http.Request, id, secret string) *http.Request {
	req.SetBasicAuth(id, secret)
	return req
}

func TestDeveloperHubNeedsClientCredentials(t *testing.T) {
	_, base := start(t, Config{})
	csr := csrFor(t, sharedP256(t), acme)
	for name, creds := range map[string][2]string{"none": {"", ""}, "wrong secret": {testClientID, "wrong"}, "unknown client": {"nobody", "x"}} {
		r := hubIssue(t, base, creds[0], creds[1], "x", csr)
		wantOAuthError(t, r, http.StatusUnauthorized, "invalid_client")
		if r.header.Get("WWW-Authenticate") == "" || !traceID.MatchString(r.header.Get("x-trace-id")) {
			t.Errorf("%s: headers %v", name, r.header)
		}
		wantOAuthError(t, hubDelete(t, base, creds[0], creds[1], "x"), http.StatusUnauthorized, "invalid_client")
	}
	// Form-encoded Basic credentials, as the token endpoint reads them.
	if r := hubIssue(t, base, "test%2Dclient", strings.ReplaceAll(testClientSecret, "-", "%2D"), "enc", csr); r.status != http.StatusCreated {
		t.Errorf("form-encoded credentials: %d %s", r.status, r.body)
	}
	r := do(t, withBasic(newRequest(t, http.MethodPost, base+hubAPIPath, strings.NewReader("{")), testClientID, testClientSecret))
	if r.status != http.StatusBadRequest {
		t.Errorf("not JSON: %d", r.status)
	}
}

// TestDeveloperHubConcurrentIssues: twenty requests at once for one
// client, exactly ten succeed.
func TestDeveloperHubConcurrentIssues(t *testing.T) {
	_, base := start(t, Config{})
	csr := csrFor(t, sharedP256(t), acme)
	var wg sync.WaitGroup
	statuses := make([]int, 20)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = hubIssue(t, base, testClientID, testClientSecret, "c"+itoa(int64(i)), csr).status
		}()
	}
	wg.Wait()
	created := 0
	for _, st := range statuses {
		switch st {
		case http.StatusCreated:
			created++
		case http.StatusUnprocessableEntity:
		default:
			t.Errorf("status %d", st)
		}
	}
	if created != MaxActiveCertificates {
		t.Errorf("%d created, want %d", created, MaxActiveCertificates)
	}
}

// TestDeveloperHubCountsCertificatesIssuedAfterTheRequestReadTheClock is
// the interleaving behind a failure of the concurrent test above: a
// request reads the clock at 09:26:59.999, another's certificate is issued
// at 09:27:00.000 (not-before 09:27:00), and then the first takes the
// lock. The later certificates still count, and still hold their names.
func TestDeveloperHubCountsCertificatesIssuedAfterTheRequestReadTheClock(t *testing.T) {
	clock := newClock()
	clock.Advance(time.Date(2026, 3, 14, 9, 27, 0, 0, time.UTC).Sub(clock.Now()))
	_, base := start(t, Config{Now: clock.Now})
	csr := csrFor(t, sharedP256(t), acme)
	for i := 1; i <= MaxActiveCertificates; i++ {
		mustIssue(t, base, testClientID, testClientSecret, "c"+itoa(int64(i)), csr)
	}
	clock.Advance(-time.Millisecond)
	if r := hubIssue(t, base, testClientID, testClientSecret, "c11", csr); r.status != http.StatusUnprocessableEntity {
		t.Errorf("eleventh read the clock first: %d %s", r.status, r.body)
	}
	if r := hubIssue(t, base, testClientID, testClientSecret, "c1", csr); r.status != http.StatusBadRequest {
		t.Errorf("a taken name, clock read first: %d %s", r.status, r.body)
	}
	list := do(t, withBasic(newRequest(t, http.MethodGet, base+hubAPIPath, nil), testClientID, testClientSecret))
	if list.json["active"] != float64(MaxActiveCertificates) {
		t.Errorf("list: %s", list.body)
	}
}

func TestDeveloperHubCADownload(t *testing.T) {
	s, base := start(t, Config{})
	r := do(t, newRequest(t, http.MethodGet, base+"/developer-hub/ca-certificate", nil))
	if r.status != http.StatusOK || r.header.Get("Content-Disposition") != "attachment; filename=wise.ca-certificate.local.pem" ||
		!traceID.MatchString(r.header.Get("x-trace-id")) {
		t.Fatalf("download: %d %v", r.status, r.header)
	}
	if !bytes.Equal(r.body, s.CACertificatePEM()) {
		t.Error("the download is not CACertificatePEM")
	}
	ca := parseCertPEM(t, r.body)
	if !ca.IsCA || ca.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("not a CA: %+v", ca)
	}
	if rest := r.body[len(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})):]; len(rest) != 0 {
		t.Errorf("more than one block: %q", rest)
	}
	// Each server has its own CA.
	if other := New(Config{}); bytes.Equal(other.CACertificatePEM(), s.CACertificatePEM()) {
		t.Error("two servers share a CA")
	}
}
