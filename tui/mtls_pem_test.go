package tui

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pemCerts is a CA and a client certificate it signed, with fixed names,
// serials and dates.
func pemCerts(t *testing.T) (certPEM, caPEM []byte) {
	t.Helper()
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Wise sandbox CA (test)", Organization: []string{"Wise"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(10 * 365 * 24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(0x2026), Subject: pkix.Name{CommonName: "acme-partner", Organization: []string{"Acme Payments Ltd"}, Country: []string{"GB"}},
		NotBefore: now, NotAfter: now.Add(365 * 24 * time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
}

// What a paste step takes: certificates (a chain too), summarised; what
// it refuses, with what to paste instead; a private key neither kept nor
// repeated.
func TestTakePEM(t *testing.T) {
	cert, ca := pemCerts(t)
	sum, problem := takePEM(wantCertificate, cert)
	if problem != "" || sum.Subject != "CN=acme-partner, O=Acme Payments Ltd, C=GB" || sum.Issuer != "CN=Wise sandbox CA (test), O=Wise" ||
		sum.Serial != "2026" || sum.Blocks != 1 || sum.IsCA {
		t.Errorf("a client certificate: %+v, %q", sum, problem)
	}
	if sum, problem := takePEM(wantCertificate, append(append([]byte{}, cert...), ca...)); problem != "" || sum.Blocks != 2 || sum.Subject != "CN=acme-partner, O=Acme Payments Ltd, C=GB" {
		t.Errorf("a chain: %+v, %q", sum, problem)
	}
	if sum, problem := takePEM(wantCA, ca); problem != "" || !sum.IsCA {
		t.Errorf("a CA: %+v, %q", sum, problem)
	}
	const keyBody = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPEMcanary"
	for _, tc := range []struct {
		want pemWant
		data string
		says string
	}{
		{wantCertificate, "-----BEGIN PRIVATE KEY-----\n" + keyBody + "\n-----END PRIVATE KEY-----\n", "That was a private key: it was not kept"},
		{wantCertificate, "-----BEGIN EC PRIVATE KEY-----\n" + keyBody + "\n-----END EC PRIVATE KEY-----\n", "That was a private key"},
		{wantCertificate, "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", "certificate request (CSR)"},
		{wantCA, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", `"PUBLIC KEY" block`},
		{wantCertificate, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n", "damaged"},
		{wantCertificate, "MIIB only the base64, without its lines", "including the -----BEGIN CERTIFICATE-----"},
		{wantCA, "", "Wise's CA certificate (Developer Hub: Get Wise Certificate)"},
	} {
		sum, problem := takePEM(tc.want, []byte(tc.data))
		if !strings.Contains(string(problem), tc.says) || sum.Blocks != 0 {
			t.Errorf("%.40q: %q, want it to say %q", tc.data, problem, tc.says)
		}
		noSecret(t, "the refusal", string(problem), keyBody)
	}
}

// A bracketed paste with a PEM block replaces what was taken; other text
// is left to the path field; a refused paste drops what was taken.
func TestPEMInputPaste(t *testing.T) {
	cert, ca := pemCerts(t)
	p := newPEMInput(wzCommon(80, 24), wantCertificate)
	if taken, _ := p.paste("~/acme.pem"); taken {
		t.Error("a path was taken as a paste of PEM")
	}
	if taken, problem := p.paste(string(ca)); !taken || problem != "" || !p.sum.IsCA {
		t.Fatalf("first paste: taken %v, %q", taken, problem)
	}
	if taken, problem := p.paste("\n" + string(cert) + "\n\n"); !taken || problem != "" || p.sum.IsCA || string(p.pem) != string(cert) || p.from != "pasted" {
		t.Fatalf("second paste: taken %v, %q, from %q", taken, problem, p.from)
	}
	if _, problem := p.paste("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"); problem == "" || p.pem != nil {
		t.Errorf("a refused paste kept the certificate before it (%q)", problem)
	}
}

// A PEM file is read whole when small and regular; ~/ is the home folder;
// anything else is said in words.
func TestReadPEMFile(t *testing.T) {
	cert, _ := pemCerts(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	if err := os.WriteFile(filepath.Join(home, "acme.pem"), cert, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(home, "big.pem")
	if err := os.WriteFile(big, make([]byte, pemFileLimit+1), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if got, err := readPEMFile(ctx, "~/acme.pem"); err != nil || string(got) != string(cert) {
		t.Errorf("~/acme.pem: %v", err)
	}
	for _, tc := range []struct {
		path string
		is   error
		says string
	}{
		{filepath.Join(home, "missing.pem"), fs.ErrNotExist, "There is no file"},
		{home, errNotRegular, "is not a file"},
		{big, errPEMTooLarge, "larger than 64 KiB"},
	} {
		_, err := readPEMFile(ctx, tc.path)
		if !errors.Is(err, tc.is) || !strings.Contains(fileProblem(tc.path, err), tc.says) {
			t.Errorf("%s: %v, said %q", tc.path, err, fileProblem(tc.path, err))
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := readPEMFile(cancelled, "~/acme.pem"); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled read: %v", err)
	}
}
