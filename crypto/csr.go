package crypto

import (
	"bytes"
	stdcrypto "crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Certificate signing requests by Wise's rules for mTLS (reference/
// wise-auth.md §5): a PEM block and nothing else (no comments, no
// plain-text details around it), an organisation (O), an optional
// country, no common name (Wise overwrites CN with the client id), and a
// key Wise accepts: RSA 2048/3072/4096 or EC P-256/P-384.

// Reasons a CSR subject or a CSR is refused. Each error wraps one of them
// and says what to fix.
var (
	ErrCSROrganization = errors.New("the organisation (O) is required")
	ErrCSRCountry      = errors.New("the country must be two letters")
	ErrCSRText         = errors.New("the CSR must be one PEM block and nothing else")
	ErrCSR             = errors.New("not a valid certificate signing request")
)

// maxSubjectValue bounds the organisation: X.509's upper bound for O
// (RFC 5280, ub-organization-name) is 64 characters.
const maxSubjectValue = 64

// CSRSubject is what the user chooses of a CSR's subject.
type CSRSubject struct {
	Organization string
	// Country is optional: two letters, upper-cased here ("GB"; Wise's
	// own example uses "EU").
	Country string
}

// Normalize trims the subject's values and upper-cases the country, then
// checks them: the organisation is required, printable, at most 64
// characters; the country is empty or two ASCII letters.
func (s CSRSubject) Normalize() (CSRSubject, error) {
	s.Organization = strings.TrimSpace(s.Organization)
	s.Country = strings.ToUpper(strings.TrimSpace(s.Country))
	switch {
	case s.Organization == "":
		return s, fmt.Errorf("%w: Wise refuses a CSR without one; give your company's legal name", ErrCSROrganization)
	case utf8.RuneCountInString(s.Organization) > maxSubjectValue:
		return s, fmt.Errorf("%w: at most %d characters (it has %d)", ErrCSROrganization, maxSubjectValue, utf8.RuneCountInString(s.Organization))
	case !printable(s.Organization):
		return s, fmt.Errorf("%w: it holds a control character; type the name as plain text", ErrCSROrganization)
	}
	if s.Country != "" && (len(s.Country) != 2 || !asciiLetters(s.Country)) {
		return s, fmt.Errorf("%w (an ISO 3166 code such as GB, or EU as in Wise's example), or leave it out", ErrCSRCountry)
	}
	return s, nil
}

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return utf8.ValidString(s)
}

func asciiLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// CreateCSR makes a PEM certificate signing request for key with the
// subject s, signed with SHA-256 (RSA PKCS#1 v1.5 or ECDSA; SHA-384 for
// P-384), as openssl req does by default. The key must be a type Wise
// accepts.
func CreateCSR(key stdcrypto.Signer, s CSRSubject) ([]byte, error) {
	s, err := s.Normalize()
	if err != nil {
		return nil, err
	}
	kt, err := TypeOf(key)
	if err != nil {
		return nil, err
	}
	subject := pkix.Name{Organization: []string{s.Organization}}
	if s.Country != "" {
		subject.Country = []string{s.Country}
	}
	tmpl := &x509.CertificateRequest{Subject: subject, SignatureAlgorithm: csrSignature(kt)}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCSR, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), nil
}

func csrSignature(t KeyType) x509.SignatureAlgorithm {
	switch t {
	case ECP256:
		return x509.ECDSAWithSHA256
	case ECP384:
		return x509.ECDSAWithSHA384
	}
	return x509.SHA256WithRSA
}

// maxCSRInput bounds a CSR's text; a 4096-bit RSA CSR is under 2 KiB.
const maxCSRInput = 16 << 10

// CheckCSR applies Wise's rules to a CSR's PEM text, as Developer Hub
// would before signing it: exactly one CERTIFICATE REQUEST block with only
// white space around it and no PEM headers, a valid self-signature, an
// accepted key, an organisation, and a two-letter country if any.
func CheckCSR(text []byte) (*x509.CertificateRequest, error) {
	trimmed := bytes.TrimSpace(text)
	if len(trimmed) > maxCSRInput {
		return nil, fmt.Errorf("%w: it is %d bytes, more than one CSR holds", ErrCSRText, len(trimmed))
	}
	block, rest := pem.Decode(trimmed)
	switch {
	case block == nil:
		return nil, fmt.Errorf("%w: no PEM block found; give the text from -----BEGIN CERTIFICATE REQUEST----- to its END line", ErrCSRText)
	// pem.Decode skips whatever precedes the first well-formed block, a
	// stray BEGIN line included ("-----BEGIN NOTE-----" over a comment), so
	// the text before the block is checked here, not left to the decoder:
	// Developer Hub refuses it.
	case !bytes.HasPrefix(trimmed, []byte("-----BEGIN")) || bytes.Count(trimmed[:len(trimmed)-len(rest)], []byte("-----BEGIN")) > 1:
		return nil, fmt.Errorf("%w: there is text before the PEM block; remove comments and plain-text details", ErrCSRText)
	case len(bytes.TrimSpace(rest)) > 0:
		return nil, fmt.Errorf("%w: there is text after the PEM block; remove it", ErrCSRText)
	case block.Type != "CERTIFICATE REQUEST":
		return nil, fmt.Errorf("%w: the PEM block is a %q, not a CERTIFICATE REQUEST", ErrCSRText, block.Type)
	case len(block.Headers) > 0:
		return nil, fmt.Errorf("%w: the PEM block has headers; remove them", ErrCSRText)
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCSR, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("%w: its signature does not verify: %v", ErrCSR, err)
	}
	if _, err := TypeOf(csr.PublicKey); err != nil {
		return nil, fmt.Errorf("%w: Wise accepts RSA 2048, 3072 or 4096 and EC P-256 or P-384 keys: %w", ErrCSR, err)
	}
	org := ""
	if len(csr.Subject.Organization) > 0 {
		org = csr.Subject.Organization[0]
	}
	country := ""
	if len(csr.Subject.Country) > 0 {
		country = csr.Subject.Country[0]
	}
	if _, err := (CSRSubject{Organization: org, Country: country}).Normalize(); err != nil {
		return nil, err
	}
	return csr, nil
}
