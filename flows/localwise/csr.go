package localwise

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Wise's rules for the CSR pasted into Developer Hub (wise-auth.md §5),
// written here with the standard library alone: the client side has its own
// implementation in crypto/, and the two must not share a mistake.

// Codes of the Developer Hub's refusals (the "code" of each error).
const (
	codeCSRInvalid      = "csr.invalid"
	codeCSROrganization = "csr.organization_missing"
	codeCSRKeyType      = "csr.key_type"
	codeCSRKeySize      = "csr.key_size"
	codeNameMissing     = "name.missing"
	codeNameInvalid     = "name.invalid"
	codeNameDuplicate   = "name.duplicate"
	codeCertLimit       = "certificates.limit"
	codeCertNotFound    = "certificate.not_found"
)

// maxCSRBytes bounds the pasted text; a 4096-bit RSA CSR is under 2 kB.
const maxCSRBytes = 16 << 10

func csrError(code, msg string) fieldError {
	return fieldError{Code: code, Message: msg, Path: "csr"}
}

// checkCSR applies Wise's rules to a pasted CSR: exactly one PEM block of
// type CERTIFICATE REQUEST with nothing but white space around it and no
// PEM headers, a valid self-signature, an RSA 2048/3072/4096 or EC
// P-256/P-384 key, and an organisation (O). It returns the parsed request,
// or every problem it found.
func checkCSR(text string) (*x509.CertificateRequest, []fieldError) {
	trimmed := []byte(strings.TrimSpace(text))
	switch {
	case len(trimmed) == 0:
		return nil, []fieldError{csrError(codeCSRInvalid, "The CSR is empty: paste the PEM text of your certificate signing request, from -----BEGIN CERTIFICATE REQUEST----- to -----END CERTIFICATE REQUEST-----.")}
	case len(trimmed) > maxCSRBytes:
		return nil, []fieldError{csrError(codeCSRInvalid, "The CSR is too long to be one certificate signing request: paste exactly one PEM block.")}
	case bytes.Count(trimmed, []byte("-----BEGIN")) > 1:
		return nil, []fieldError{csrError(codeCSRInvalid, "The text holds more than one PEM block: paste exactly one CERTIFICATE REQUEST block.")}
	case !bytes.HasPrefix(trimmed, []byte("-----BEGIN ")):
		return nil, []fieldError{csrError(codeCSRInvalid, "There is text before the PEM block (comments or plain-text details are not accepted): paste only the block from -----BEGIN CERTIFICATE REQUEST-----.")}
	}
	block, rest := pem.Decode(trimmed)
	switch {
	case block == nil:
		return nil, []fieldError{csrError(codeCSRInvalid, "The text is not a well-formed PEM block: paste the CSR exactly as it was written, with its BEGIN and END lines.")}
	case len(bytes.TrimSpace(rest)) > 0:
		return nil, []fieldError{csrError(codeCSRInvalid, "There is text after the PEM block: paste only the block, ending with -----END CERTIFICATE REQUEST-----.")}
	case block.Type != "CERTIFICATE REQUEST":
		return nil, []fieldError{csrError(codeCSRInvalid, fmt.Sprintf("The PEM block is a %q, not a CERTIFICATE REQUEST: paste the CSR, not a key or a certificate.", block.Type))}
	case len(block.Headers) > 0:
		return nil, []fieldError{csrError(codeCSRInvalid, "The PEM block carries headers: paste a plain CERTIFICATE REQUEST block without comment or header lines.")}
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, []fieldError{csrError(codeCSRInvalid, "The PEM block is not a valid certificate signing request ("+err.Error()+"): generate the CSR again.")}
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, []fieldError{csrError(codeCSRInvalid, "The CSR's signature does not verify (it was changed after signing, or uses a withdrawn algorithm such as SHA-1): generate the CSR again with its own key.")}
	}
	var errs []fieldError
	if e, bad := checkCSRKey(csr); bad {
		errs = append(errs, e)
	}
	if !hasOrganization(csr.Subject.Organization) {
		errs = append(errs, csrError(codeCSROrganization, "The CSR has no organisation (O) in its subject: Wise requires one. Generate it again with your organisation, e.g. -subj \"/C=EU/O=Your Company\"."))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return csr, nil
}

func checkCSRKey(csr *x509.CertificateRequest) (fieldError, bool) {
	switch k := csr.PublicKey.(type) {
	case *rsa.PublicKey:
		switch bits := k.N.BitLen(); bits {
		case 2048, 3072, 4096:
			return fieldError{}, false
		default:
			return csrError(codeCSRKeySize, fmt.Sprintf("The CSR's RSA key has %d bits: Wise accepts RSA keys of 2048, 3072 or 4096 bits. Make a new key of one of those sizes.", bits)), true
		}
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384():
			return fieldError{}, false
		default:
			return csrError(codeCSRKeySize, fmt.Sprintf("The CSR's EC key is on curve %s: Wise accepts EC keys on P-256 or P-384. Make a new key on one of those curves.", k.Curve.Params().Name)), true
		}
	default:
		return csrError(codeCSRKeyType, fmt.Sprintf("The CSR's key is %s: Wise accepts RSA (2048, 3072 or 4096 bits) or EC (P-256 or P-384) keys. Make a new key of one of those types.", csr.PublicKeyAlgorithm)), true
	}
}

func hasOrganization(orgs []string) bool {
	for _, o := range orgs {
		if strings.TrimSpace(o) != "" {
			return true
		}
	}
	return false
}

// checkCertName checks a certificate's name and returns it without the
// white space around it.
func checkCertName(name string) (string, []fieldError) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", []fieldError{{Code: codeNameMissing, Message: "Give the certificate a name: each certificate of a client needs a unique one.", Path: "name"}}
	case !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxCertNameLen:
		return "", []fieldError{{Code: codeNameInvalid, Message: fmt.Sprintf("The certificate name must be text of at most %d characters.", maxCertNameLen), Path: "name"}}
	case strings.ContainsFunc(name, unicode.IsControl):
		return "", []fieldError{{Code: codeNameInvalid, Message: "The certificate name must not contain control characters.", Path: "name"}}
	}
	return name, nil
}
