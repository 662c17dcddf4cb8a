package crypto

import (
	"bytes"
	stdcrypto "crypto"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Checks of an issued client certificate before it is stored: it is for
// the entry's key, it chains to the CA given, and it is valid now. A
// certificate that fails one would only fail later, at Wise's TLS
// handshake, with an alert that names none of this.

// Reasons a certificate is refused.
var (
	ErrNotCertificate   = errors.New("not a PEM certificate")
	ErrCertKeyMismatch  = errors.New("the certificate is for another key")
	ErrCertUnknownCA    = errors.New("the certificate does not chain to the CA given")
	ErrCertExpired      = errors.New("the certificate has expired")
	ErrCertNotYetValid  = errors.New("the certificate is not valid yet")
	ErrNoCACertificate  = errors.New("no CA certificate to check the certificate against")
	ErrCertificateInput = errors.New("the certificate text holds something other than certificates")
)

// maxChainCerts bounds a pasted chain: Wise issues a leaf under one CA.
const maxChainCerts = 8

// ParseCertificates reads the CERTIFICATE blocks of a PEM text, leaf first.
// Anything else in it (a private key pasted with the certificate, say) is
// refused rather than skipped: it means the wrong file was given.
func ParseCertificates(text []byte) ([]*x509.Certificate, error) {
	if len(text) > maxPEMInput {
		return nil, fmt.Errorf("%w: input larger than %d bytes", ErrCertificateInput, maxPEMInput)
	}
	var out []*x509.Certificate
	rest := bytes.TrimSpace(text)
	for len(rest) > 0 {
		block, after := pem.Decode(rest)
		if block == nil {
			if len(out) == 0 {
				return nil, fmt.Errorf("%w: no -----BEGIN CERTIFICATE----- block found", ErrNotCertificate)
			}
			return nil, fmt.Errorf("%w: text after the last certificate is not PEM", ErrCertificateInput)
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%w: a %q block; give the certificate only", ErrCertificateInput, block.Type)
		}
		if len(out) == maxChainCerts {
			return nil, fmt.Errorf("%w: more than %d certificates", ErrCertificateInput, maxChainCerts)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotCertificate, err)
		}
		out = append(out, c)
		rest = bytes.TrimSpace(after)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: the text is empty", ErrNotCertificate)
	}
	return out, nil
}

// EncodeCertificates is the PEM text of certs, in order.
func EncodeCertificates(certs []*x509.Certificate) []byte {
	var b bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}) // a bytes.Buffer never fails
	}
	return b.Bytes()
}

// SamePublicKey reports whether the certificate c is for the public key
// pub (the modulus comparison of Wise's guide, for any key type).
func SamePublicKey(c *x509.Certificate, pub stdcrypto.PublicKey) bool {
	k, ok := c.PublicKey.(interface {
		Equal(stdcrypto.PublicKey) bool
	})
	return ok && k.Equal(pub)
}

// CertificateClockSkew is how far a certificate's not-before may lie ahead
// of this machine's clock and still be taken: a certificate issued seconds
// ago by a server whose clock runs a little ahead is not "not valid yet"
// to anyone but a pedant, and the server checking it uses its own clock.
const CertificateClockSkew = 5 * time.Minute

// CheckCertificate checks a client certificate chain (leaf first) against
// the public key it must be for and the CA certificates it must chain to,
// at now. The chain's own extra certificates may serve as intermediates,
// never as roots: a pasted chain cannot vouch for itself.
func CheckCertificate(chain []*x509.Certificate, pub stdcrypto.PublicKey, cas []*x509.Certificate, now time.Time) error {
	if len(chain) == 0 {
		return fmt.Errorf("%w: the text is empty", ErrNotCertificate)
	}
	leaf := chain[0]
	if !SamePublicKey(leaf, pub) {
		return fmt.Errorf("%w: it was issued for a CSR made with a different private key; import the certificate Developer Hub issued for this entry's CSR", ErrCertKeyMismatch)
	}
	if len(cas) == 0 {
		return ErrNoCACertificate
	}
	roots := x509.NewCertPool()
	for _, ca := range cas {
		// x509 trusts whatever is in the root pool as it is, a leaf
		// included: the client certificate given as its own "CA" would
		// pass. Only CA certificates are roots.
		if ca.IsCA {
			roots.AddCert(ca)
		}
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	// Validity is checked apart from the chain so that the error says
	// which it is; Verify below runs at a time inside the validity period.
	switch {
	case !now.Before(leaf.NotAfter): // ended at not-after, as flows and localwise count it
		return fmt.Errorf("%w: it ended %s", ErrCertExpired, leaf.NotAfter.UTC().Format(time.RFC3339))
	case now.Add(CertificateClockSkew).Before(leaf.NotBefore):
		return fmt.Errorf("%w: it begins %s (is this machine's clock right?)", ErrCertNotYetValid, leaf.NotBefore.UTC().Format(time.RFC3339))
	case now.Before(leaf.NotBefore):
		// Issued within the skew allowed: checked at its own start.
		now = leaf.NotBefore
	}
	// Any extended key usage: Wise's client certificates are only ever
	// presented as TLS client certificates, and a stricter check here
	// would refuse a certificate Wise's servers accept.
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		return fmt.Errorf("%w: %v; give the CA certificate of the Developer Hub the certificate came from (Get Wise Certificate)", ErrCertUnknownCA, err)
	}
	return nil
}

// SelfSigned reports whether c is a self-signed CA certificate (a root),
// as a chain pasted with its CA ends in.
func SelfSigned(c *x509.Certificate) bool {
	return c.IsCA && bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil
}

// Fingerprint is the SHA-256 of a certificate's DER, in hex with colons,
// as openssl x509 -fingerprint -sha256 prints it.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = strings.ToUpper(hex.EncodeToString([]byte{b}))
	}
	return strings.Join(parts, ":")
}

// ClientCertificate is the TLS client certificate of a key and its chain,
// for an mTLS connection.
// An empty chain gives a certificate without one, which a server refuses.
func ClientCertificate(key stdcrypto.Signer, chain []*x509.Certificate) tls.Certificate {
	c := tls.Certificate{PrivateKey: key}
	if len(chain) > 0 {
		c.Leaf = chain[0]
	}
	for _, x := range chain {
		c.Certificate = append(c.Certificate, x.Raw)
	}
	return c
}
