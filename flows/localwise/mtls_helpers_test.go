package localwise

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Test support of the mTLS surface: keys, CSRs and clients made with the
// standard library directly.

var (
	p256Once sync.Once
	p256Key  *ecdsa.PrivateKey
)

// sharedP256 is one P-256 key for tests that do not care which key it is.
func sharedP256(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	p256Once.Do(func() { p256Key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader) })
	return p256Key
}

func newKeyP(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// csrFor is a PEM CSR for key with subject.
func csrFor(t testing.TB, key crypto.Signer, subject pkix.Name) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: subject}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

var acme = pkix.Name{Organization: []string{"Acme Widgets"}, Country: []string{"EU"}}

// hubIssue posts a CSR to the Developer Hub's JSON endpoint.
func hubIssue(t testing.TB, base, id, secret, name string, csrPEM []byte) result {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"name": name, "csr": string(csrPEM)})
	req := newRequest(t, http.MethodPost, base+hubAPIPath, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	if id != "" {
		req.SetBasicAuth(id, secret)
	}
	return do(t, req)
}

// mustIssue issues a certificate and returns its PEM.
func mustIssue(t testing.TB, base, id, secret, name string, csrPEM []byte) []byte {
	t.Helper()
	r := hubIssue(t, base, id, secret, name, csrPEM)
	if r.status != http.StatusCreated {
		t.Fatalf("issue %s: %d %s", name, r.status, r.body)
	}
	return []byte(r.str("certificate"))
}

func hubDelete(t testing.TB, base, id, secret, name string) result {
	t.Helper()
	req := newRequest(t, http.MethodDelete, base+hubAPIPath+"/"+name, nil)
	req.SetBasicAuth(id, secret)
	return do(t, req)
}

// firstError is the first error of a Developer Hub refusal.
func firstError(r result) (code, path, msg string) {
	var body struct {
		Errors []fieldError `json:"errors"`
	}
	_ = json.Unmarshal(r.body, &body)
	if len(body.Errors) == 0 {
		return "", "", ""
	}
	e := body.Errors[0]
	return e.Code, e.Path, e.Message
}

func errorCodes(r result) []string {
	var body struct {
		Errors []fieldError `json:"errors"`
	}
	_ = json.Unmarshal(r.body, &body)
	var codes []string
	for _, e := range body.Errors {
		codes = append(codes, e.Code)
	}
	return codes
}

func parseCertPEM(t testing.TB, p []byte) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode(p)
	if b == nil || b.Type != "CERTIFICATE" {
		t.Fatalf("not a PEM certificate: %.60q", p)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// caPool is a pool holding only the CA the Developer Hub hands out.
func caPool(t testing.TB, base string) *x509.CertPool {
	t.Helper()
	r := do(t, newRequest(t, http.MethodGet, base+hubCAPath, nil))
	if r.status != http.StatusOK {
		t.Fatalf("CA download: %d", r.status)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(r.body) {
		t.Fatalf("CA download is not PEM: %s", r.body)
	}
	return pool
}

// mtlsClient is an HTTP client that trusts roots and presents certPEM
// with key (none when certPEM is nil).
func mtlsClient(roots *x509.CertPool, certPEM []byte, key crypto.Signer, tweak func(*tls.Config)) *http.Client {
	cfg := &tls.Config{RootCAs: roots}
	if certPEM != nil {
		b, _ := pem.Decode(certPEM)
		cfg.Certificates = []tls.Certificate{{Certificate: [][]byte{b.Bytes}, PrivateKey: key}}
	}
	if tweak != nil {
		tweak(cfg)
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
}

func doWith(t testing.TB, c *http.Client, req *http.Request) (result, error) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{}, err
	}
	r := result{status: resp.StatusCode, header: resp.Header, body: b}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(r.body, &r.json)
	}
	return r, nil
}

// foreignCert is a client certificate for clientID from a CA that is not
// localwise's, with the same subject a real one would have.
func foreignCert(t testing.TB, clientID string, key crypto.Signer) []byte {
	t.Helper()
	caKey := newKeyP(t, elliptic.P256())
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localwise mTLS CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: clientID, Organization: []string{"Acme Widgets"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
