package crypto

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"
)

// The work of `mtls keygen` and `mtls import-cert` without the process
// and the wallet around it: scripts/bench_mtls.sh times the whole command
// against openssl.

func BenchmarkKeyAndCSR(b *testing.B) {
	for _, kt := range []KeyType{ECP256, ECP384, RSA2048} {
		b.Run(string(kt), func(b *testing.B) {
			for b.Loop() {
				key, err := GenerateKey(kt)
				if err != nil {
					b.Fatal(err)
				}
				csr, err := CreateCSR(key, CSRSubject{Organization: "Acme Ltd", Country: "GB"})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := CheckCSR(csr); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCheckCertificate(b *testing.B) {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "CA"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(2), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}, ca, key.Public(), caKey)
	if err != nil {
		b.Fatal(err)
	}
	text := EncodeCertificates([]*x509.Certificate{mustParse(b, leafDER)})
	for b.Loop() {
		chain, err := ParseCertificates(text)
		if err != nil {
			b.Fatal(err)
		}
		if err := CheckCertificate(chain, key.Public(), []*x509.Certificate{ca}, now); err != nil {
			b.Fatal(err)
		}
	}
}

func mustParse(b *testing.B, der []byte) *x509.Certificate {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		b.Fatal(err)
	}
	return c
}
