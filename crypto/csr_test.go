package crypto

import (
	"bytes"
	stdcrypto "crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"testing"
)

// The CSR rules of reference/wise-auth.md §5, checked from both ends: what
// CreateCSR makes must pass CheckCSR and hold exactly what Wise asks for,
// and every kind of text Developer Hub refuses must be refused by CheckCSR
// first, with its sentinel and words that say what to fix.

var (
	oidOrganization = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidCountry      = asn1.ObjectIdentifier{2, 5, 4, 6}
)

// csrWith makes a CSR with the standard library alone, for subjects and
// keys CreateCSR will not make.
func csrWith(t testing.TB, key stdcrypto.Signer, subject pkix.Name) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: subject}, key)
	if err != nil {
		t.Fatalf("x509.CreateCertificateRequest: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// goodCSR is a CSR CheckCSR must accept, made once (by CreateCSR, P-256).
var goodCSR = sync.OnceValue(func() []byte {
	key, err := GenerateKey(ECP256)
	if err != nil {
		panic(err)
	}
	csr, err := CreateCSR(key, CSRSubject{Organization: "Acme Payments Ltd", Country: "GB"})
	if err != nil {
		panic(err)
	}
	return csr
})

func TestCreateCSREveryKeyTypePassesWiseRules(t *testing.T) {
	wantAlg := map[KeyType]x509.SignatureAlgorithm{
		RSA2048: x509.SHA256WithRSA, RSA3072: x509.SHA256WithRSA, RSA4096: x509.SHA256WithRSA,
		ECP256: x509.ECDSAWithSHA256, ECP384: x509.ECDSAWithSHA384,
	}
	for _, kt := range KeyTypes {
		t.Run(string(kt), func(t *testing.T) {
			t.Parallel()
			key := keyOf(t, kt)
			// White space and a lower-case country, as a person types them.
			text, err := CreateCSR(key, CSRSubject{Organization: "  Acme Payments Ltd ", Country: " gb"})
			if err != nil {
				t.Fatalf("CreateCSR: %v", err)
			}
			if !bytes.HasPrefix(text, []byte("-----BEGIN CERTIFICATE REQUEST-----\n")) || bytes.Count(text, []byte("-----BEGIN")) != 1 {
				t.Fatalf("CreateCSR did not make one CERTIFICATE REQUEST block:\n%s", text)
			}
			csr, err := CheckCSR(text)
			if err != nil {
				t.Fatalf("CheckCSR refused CreateCSR's own CSR: %v", err)
			}
			// Exactly O and C, in the subject as encoded: no CN (Wise
			// writes the client id there), nothing else.
			var oids []string
			for _, a := range csr.Subject.Names {
				oids = append(oids, a.Type.String())
			}
			if len(csr.Subject.Names) != 2 || !slicesHave(csr.Subject.Names, oidOrganization, "Acme Payments Ltd") || !slicesHave(csr.Subject.Names, oidCountry, "GB") {
				t.Errorf("subject attributes %v (%s); want exactly O=Acme Payments Ltd and C=GB", oids, csr.Subject)
			}
			if csr.Subject.CommonName != "" {
				t.Errorf("the CSR sets CN %q", csr.Subject.CommonName)
			}
			if csr.SignatureAlgorithm != wantAlg[kt] {
				t.Errorf("signature algorithm %v, want %v", csr.SignatureAlgorithm, wantAlg[kt])
			}
			if !key.Public().(publicKey).Equal(csr.PublicKey) {
				t.Error("the CSR's public key is not the key's")
			}
		})
	}
}

func slicesHave(names []pkix.AttributeTypeAndValue, oid asn1.ObjectIdentifier, value string) bool {
	for _, a := range names {
		if a.Type.Equal(oid) && a.Value == value {
			return true
		}
	}
	return false
}

func TestCreateCSRWithoutCountryHasOnlyO(t *testing.T) {
	t.Parallel()
	text, err := CreateCSR(keyOf(t, ECP256), CSRSubject{Organization: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	csr, err := CheckCSR(text)
	if err != nil {
		t.Fatal(err)
	}
	if len(csr.Subject.Names) != 1 || !slicesHave(csr.Subject.Names, oidOrganization, "Acme") {
		t.Errorf("subject %s; want O=Acme alone", csr.Subject)
	}
}

// CreateCSR must not sign for a key Developer Hub would refuse: the user
// would learn it only after the trip to Developer Hub.
func TestCreateCSRRefusesKeysWiseDoesNotTake(t *testing.T) {
	t.Parallel()
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range map[string]stdcrypto.Signer{"rsa1024": rsa1024, "p521": p521, "ed25519": ed} {
		if csr, err := CreateCSR(key, CSRSubject{Organization: "Acme"}); !errors.Is(err, ErrKey) || csr != nil {
			t.Errorf("%s: CreateCSR = %d bytes, %v; want ErrKey and nothing", name, len(csr), err)
		}
	}
	// A bad subject is refused before anything is signed, whatever the key.
	if _, err := CreateCSR(keyOf(t, ECP256), CSRSubject{Country: "GB"}); !errors.Is(err, ErrCSROrganization) {
		t.Errorf("CreateCSR without O: %v, want ErrCSROrganization", err)
	}
}

func TestCSRSubjectNormalize(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 64)
	accepted := []struct {
		in   CSRSubject
		want CSRSubject
	}{
		{CSRSubject{Organization: " Acme Ltd\t", Country: " gb "}, CSRSubject{Organization: "Acme Ltd", Country: "GB"}},
		{CSRSubject{Organization: "Acme", Country: "eu"}, CSRSubject{Organization: "Acme", Country: "EU"}},
		{CSRSubject{Organization: "Acme"}, CSRSubject{Organization: "Acme"}},
		{CSRSubject{Organization: long}, CSRSubject{Organization: long}},
		// 64 characters, 128 bytes: the bound is on characters (RFC 5280).
		{CSRSubject{Organization: strings.Repeat("é", 64)}, CSRSubject{Organization: strings.Repeat("é", 64)}},
	}
	for _, c := range accepted {
		got, err := c.in.Normalize()
		if err != nil || got != c.want {
			t.Errorf("Normalize(%+q) = %+q, %v; want %+q", c.in, got, err, c.want)
		}
	}
	refused := []struct {
		name   string
		in     CSRSubject
		reason error
		words  string // what the message must say to fix it
	}{
		{"missing O", CSRSubject{Country: "GB"}, ErrCSROrganization, "legal name"},
		{"blank O", CSRSubject{Organization: " \t\n"}, ErrCSROrganization, "legal name"},
		{"O of 65", CSRSubject{Organization: long + "b"}, ErrCSROrganization, "at most 64 characters (it has 65)"},
		{"O with a newline", CSRSubject{Organization: "Acme\nLtd"}, ErrCSROrganization, "control character"},
		{"O with NUL", CSRSubject{Organization: "Acme\x00"}, ErrCSROrganization, "control character"},
		// A right-to-left override makes the name read differently on screen.
		{"O with a bidi override", CSRSubject{Organization: "Acme\u202eLtd"}, ErrCSROrganization, "plain text"},
		{"O not UTF-8", CSRSubject{Organization: "Acme\xff"}, ErrCSROrganization, "plain text"},
		{"country of 3 letters", CSRSubject{Organization: "Acme", Country: "GBR"}, ErrCSRCountry, "or leave it out"},
		{"country of digits", CSRSubject{Organization: "Acme", Country: "12"}, ErrCSRCountry, "such as GB"},
		{"country of one letter", CSRSubject{Organization: "Acme", Country: "G"}, ErrCSRCountry, "two letters"},
		{"country not ASCII", CSRSubject{Organization: "Acme", Country: "ÅB"}, ErrCSRCountry, "two letters"},
	}
	for _, c := range refused {
		_, err := c.in.Normalize()
		if !errors.Is(err, c.reason) || err == nil || !strings.Contains(err.Error(), c.words) {
			t.Errorf("%s: Normalize = %v; want %v saying %q", c.name, err, c.reason, c.words)
		}
		// The other sentinel must not match: callers map each to its input.
		for _, other := range []error{ErrCSROrganization, ErrCSRCountry} {
			if other != c.reason && errors.Is(err, other) {
				t.Errorf("%s: %v also matches %v", c.name, err, other)
			}
		}
	}
}

// flipSignatureByte returns the CSR with the last byte of its signature
// changed: still well-formed DER, no longer signed.
func flipSignatureByte(t testing.TB, text []byte) []byte {
	t.Helper()
	block, _ := pem.Decode(text)
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	der := bytes.Clone(block.Bytes)
	i := bytes.LastIndex(der, csr.Signature)
	if i < 0 || i+len(csr.Signature) != len(der) {
		t.Fatal("the signature is not at the end of the DER")
	}
	der[len(der)-1] ^= 0x01
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// csrRefusals are texts CheckCSR must refuse, with the sentinel and the
// words of the fix; the fuzz target seeds from them too.
func csrRefusals(t testing.TB) []struct {
	name   string
	text   []byte
	reason error
	words  string
} {
	good := goodCSR()
	block, _ := pem.Decode(good)
	withHeader := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Headers: map[string]string{"Comment": "made by hand"}, Bytes: block.Bytes})
	cert := selfSignedCert(t)
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p256 := keyOf(t, ECP256)
	rsaGood, err := CreateCSR(keyOf(t, RSA2048), CSRSubject{Organization: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	huge := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: make([]byte, maxCSRInput)})
	return []struct {
		name   string
		text   []byte
		reason error
		words  string
	}{
		{"empty", nil, ErrCSRText, "no PEM block"},
		{"not PEM", []byte("hello"), ErrCSRText, "-----BEGIN CERTIFICATE REQUEST-----"},
		{"a comment line before", append([]byte("# sandbox CSR for Acme\n"), good...), ErrCSRText, "text before the PEM block"},
		{"openssl's -text details before", append([]byte("Certificate Request:\n    Data:\n        Subject: O=Acme\n"), good...), ErrCSRText, "text before"},
		// pem.Decode skips a malformed block to find the next: a stray
		// BEGIN line over a comment is still text before the block.
		{"a stray BEGIN line before", append([]byte("-----BEGIN NOTE-----\nfor Developer Hub\n"), good...), ErrCSRText, "text before"},
		{"a stray BEGIN of the same type before", append([]byte("-----BEGIN CERTIFICATE REQUEST-----\nsee below\n"), good...), ErrCSRText, "text before"},
		{"text after", append(bytes.Clone(good), "Subject: O=Acme Payments Ltd\n"...), ErrCSRText, "text after the PEM block; remove it"},
		{"two blocks", append(bytes.Clone(good), good...), ErrCSRText, "text after"},
		{"a PEM header", withHeader, ErrCSRText, "headers; remove them"},
		{"a CERTIFICATE block", cert, ErrCSRText, `"CERTIFICATE", not a CERTIFICATE REQUEST`},
		{"not DER inside", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: []byte("not DER")}), ErrCSR, "not a valid certificate signing request"},
		{"broken EC signature", flipSignatureByte(t, good), ErrCSR, "signature does not verify"},
		{"broken RSA signature", flipSignatureByte(t, rsaGood), ErrCSR, "signature does not verify"},
		{"RSA-1024", csrWith(t, rsa1024, pkix.Name{Organization: []string{"Acme"}}), ErrCSR, "RSA 2048, 3072 or 4096"},
		{"P-521", csrWith(t, p521, pkix.Name{Organization: []string{"Acme"}}), ErrCSR, "EC P-256 or P-384"},
		{"no O", csrWith(t, p256, pkix.Name{CommonName: "acme", Country: []string{"GB"}}), ErrCSROrganization, "legal name"},
		{"blank O", csrWith(t, p256, pkix.Name{Organization: []string{"  "}}), ErrCSROrganization, "legal name"},
		{"O with a control character", csrWith(t, p256, pkix.Name{Organization: []string{"Acme\x07Ltd"}}), ErrCSROrganization, "control character"},
		{"O of 65", csrWith(t, p256, pkix.Name{Organization: []string{strings.Repeat("o", 65)}}), ErrCSROrganization, "at most 64"},
		{"country of 3 letters", csrWith(t, p256, pkix.Name{Organization: []string{"Acme"}, Country: []string{"GBR"}}), ErrCSRCountry, "two letters"},
		{"country of digits", csrWith(t, p256, pkix.Name{Organization: []string{"Acme"}, Country: []string{"44"}}), ErrCSRCountry, "two letters"},
		{"oversized", huge, ErrCSRText, "more than one CSR holds"},
	}
}

// selfSignedCert is a PEM CERTIFICATE, the wrong block for a CSR.
func selfSignedCert(t testing.TB) []byte {
	t.Helper()
	ca := newTestCA(t, "wrong block", nil)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
}

func TestCheckCSRRefusals(t *testing.T) {
	t.Parallel()
	for _, c := range csrRefusals(t) {
		csr, err := CheckCSR(c.text)
		if csr != nil || !errors.Is(err, c.reason) || !strings.Contains(err.Error(), c.words) {
			t.Errorf("%s: CheckCSR = %v, %v; want %v saying %q", c.name, csr != nil, err, c.reason, c.words)
		}
	}
}

func TestCheckCSRRefusesKeysWithErrKeyToo(t *testing.T) {
	t.Parallel()
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	_, err = CheckCSR(csrWith(t, rsa1024, pkix.Name{Organization: []string{"Acme"}}))
	if !errors.Is(err, ErrCSR) || !errors.Is(err, ErrKey) || !strings.Contains(err.Error(), "1024 bits") {
		t.Errorf("RSA-1024 CSR: %v; want ErrCSR and ErrKey, naming 1024 bits", err)
	}
}

// What a person pastes around a good CSR that is only white space, or
// Windows line ends, is not "text": Developer Hub takes it.
func TestCheckCSRAcceptsWhiteSpaceAndCRLF(t *testing.T) {
	t.Parallel()
	good := goodCSR()
	for name, text := range map[string][]byte{
		"as made":        good,
		"blank lines":    append(append([]byte("\n\n  \t\n"), good...), "\n\n  "...),
		"CRLF line ends": bytes.ReplaceAll(good, []byte("\n"), []byte("\r\n")),
		// Wise's own example: C=EU.
		"C=EU": csrWith(t, keyOf(t, ECP384), pkix.Name{Organization: []string{"Acme"}, Country: []string{"EU"}}),
		// Wise overwrites CN with the client id; a CN is not a refusal.
		"with a CN": csrWith(t, keyOf(t, ECP256), pkix.Name{Organization: []string{"Acme"}, CommonName: "acme-client"}),
	} {
		if _, err := CheckCSR(text); err != nil {
			t.Errorf("%s: CheckCSR refused it: %v", name, err)
		}
	}
}
