package crypto

import (
	"bytes"
	stdcrypto "crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The checks of an issued certificate before it is stored, on a small PKI
// made here with crypto/x509: each refusal its own test, so a change that
// moves one reason onto another's sentinel fails by name.

// testCA is a CA of the test PKI: a root when made without a parent, else
// an intermediate under it.
type testCA struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
}

func randomSerial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	return n.Add(n, big.NewInt(1))
}

func newTestCA(t testing.TB, name string, parent *testCA) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(t), Subject: pkix.Name{CommonName: name, Organization: []string{"Test PKI"}},
		NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(5 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	issuer, signer := tmpl, stdcrypto.Signer(key)
	if parent != nil {
		issuer, signer = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{key: key, cert: c}
}

// issue signs a client certificate for pub, valid from..until, as
// Developer Hub does (CN the client id, clientAuth).
func (ca *testCA) issue(t testing.TB, pub stdcrypto.PublicKey, from, until time.Time) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(t), Subject: pkix.Name{CommonName: "client-id-1234", Organization: []string{"Acme"}},
		NotBefore: from, NotAfter: until, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// validLeaf is a certificate for key under ca, valid for a year from an
// hour ago.
func (ca *testCA) validLeaf(t testing.TB, key stdcrypto.Signer) *x509.Certificate {
	t.Helper()
	now := time.Now()
	return ca.issue(t, key.Public(), now.Add(-time.Hour), now.Add(365*24*time.Hour))
}

func pemOf(certs ...*x509.Certificate) []byte { return EncodeCertificates(certs) }

func TestParseCertificatesKeepsLeafFirst(t *testing.T) {
	t.Parallel()
	root := newTestCA(t, "root", nil)
	inter := newTestCA(t, "intermediate", root)
	leaf := inter.validLeaf(t, keyOf(t, ECP256))
	text := pemOf(leaf, inter.cert, root.cert)
	// Pasted text often has blank lines and CRLF between blocks.
	text = append([]byte("\r\n\n"), bytes.ReplaceAll(text, []byte("-----\n-----"), []byte("-----\r\n\r\n-----"))...)
	got, err := ParseCertificates(text)
	if err != nil {
		t.Fatal(err)
	}
	want := []*x509.Certificate{leaf, inter.cert, root.cert}
	if len(got) != len(want) {
		t.Fatalf("%d certificates, want %d", len(got), len(want))
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("certificate %d is %s, want %s", i, got[i].Subject, want[i].Subject)
		}
	}
	// And EncodeCertificates gives back the same chain, in order.
	again, err := ParseCertificates(EncodeCertificates(got))
	if err != nil || len(again) != 3 || !again[0].Equal(leaf) || !again[2].Equal(root.cert) {
		t.Errorf("EncodeCertificates round trip: %v", err)
	}
}

// A private key pasted with the certificate means the wrong file was given:
// refused, and the error, which is shown and may be logged, holds none of
// the key.
func TestParseCertificatesRefusesAPrivateKeyWithoutEchoingIt(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t, "root", nil)
	key := keyOf(t, ECP256)
	leaf := ca.validLeaf(t, key)
	keyPEM, err := MarshalPrivateKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	kp := keyPEM.Reveal()
	block, _ := pem.Decode(kp)
	b64 := base64.StdEncoding.EncodeToString(block.Bytes)
	// Pieces of the key as any error might carry them.
	pieces := []string{b64[:16], b64[len(b64)-16:], hex.EncodeToString(block.Bytes[len(block.Bytes)-16:]), string(block.Bytes[len(block.Bytes)-16:])}
	for _, line := range strings.Split(string(kp), "\n") {
		if len(line) > 16 && !strings.HasPrefix(line, "-----") {
			pieces = append(pieces, line)
		}
	}
	cases := map[string][]byte{
		"key after the certificate":  append(pemOf(leaf), kp...),
		"key before the certificate": append(bytes.Clone(kp), pemOf(leaf)...),
		"key alone":                  kp,
		// The key's DER under a CERTIFICATE label: refused by the parser,
		// whose message must not quote it either.
		"key labelled CERTIFICATE": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: block.Bytes}),
	}
	for name, text := range cases {
		certs, err := ParseCertificates(text)
		want := ErrCertificateInput
		if name == "key labelled CERTIFICATE" {
			want = ErrNotCertificate
		}
		if certs != nil || !errors.Is(err, want) {
			t.Errorf("%s: ParseCertificates = %d certs, %v; want %v", name, len(certs), err, want)
			continue
		}
		if want == ErrCertificateInput && !strings.Contains(err.Error(), `"PRIVATE KEY" block; give the certificate only`) {
			t.Errorf("%s: %q does not say what to fix", name, err)
		}
		for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			for i, p := range pieces {
				if strings.Contains(text, p) {
					t.Errorf("%s: the error holds piece %d of the private key", name, i)
				}
			}
		}
	}
}

func TestParseCertificatesRefusals(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t, "root", nil)
	leaf := ca.validLeaf(t, keyOf(t, ECP256))
	var nine [][]byte
	for range 9 {
		nine = append(nine, pemOf(leaf))
	}
	cases := []struct {
		name   string
		text   []byte
		reason error
		words  string
	}{
		{"empty", nil, ErrNotCertificate, "empty"},
		{"white space", []byte(" \n\t\r\n"), ErrNotCertificate, "empty"},
		{"garbage", []byte("this is not a certificate"), ErrNotCertificate, "no -----BEGIN CERTIFICATE----- block"},
		{"garbage after a certificate", append(pemOf(leaf), "thanks, Bob\n"...), ErrCertificateInput, "text after the last certificate"},
		{"a CSR", goodCSR(), ErrCertificateInput, `"CERTIFICATE REQUEST" block`},
		{"not DER", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")}), ErrNotCertificate, "x509"},
		{"nine certificates", bytes.Join(nine, nil), ErrCertificateInput, "more than 8 certificates"},
		{"over 1 MiB", append(pemOf(leaf), bytes.Repeat([]byte(" "), maxPEMInput)...), ErrCertificateInput, "larger than"},
	}
	for _, c := range cases {
		certs, err := ParseCertificates(c.text)
		if certs != nil || !errors.Is(err, c.reason) || !strings.Contains(err.Error(), c.words) {
			t.Errorf("%s: ParseCertificates = %d, %v; want %v saying %q", c.name, len(certs), err, c.reason, c.words)
		}
	}
	// Eight is a chain Wise could give; it is read.
	if certs, err := ParseCertificates(bytes.Join(nine[:8], nil)); err != nil || len(certs) != 8 {
		t.Errorf("eight certificates: %d, %v", len(certs), err)
	}
}

func TestCheckCertificateAcceptsDirectAndIntermediateChains(t *testing.T) {
	t.Parallel()
	key := keyOf(t, ECP256)
	root := newTestCA(t, "root", nil)
	inter := newTestCA(t, "intermediate", root)
	direct := root.validLeaf(t, key)
	viaInter := inter.validLeaf(t, key)
	now := time.Now()
	for name, chain := range map[string][]*x509.Certificate{
		"leaf under the root":                 {direct},
		"leaf, intermediate":                  {viaInter, inter.cert},
		"leaf, intermediate, root (as given)": {viaInter, inter.cert, root.cert},
	} {
		if err := CheckCertificate(chain, key.Public(), []*x509.Certificate{root.cert}, now); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Without the intermediate there is no path to the root.
	if err := CheckCertificate([]*x509.Certificate{viaInter}, key.Public(), []*x509.Certificate{root.cert}, now); !errors.Is(err, ErrCertUnknownCA) {
		t.Errorf("intermediate missing: %v, want ErrCertUnknownCA", err)
	}
}

func TestCheckCertificateKeyMismatch(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t, "root", nil)
	leaf := ca.validLeaf(t, keyOf(t, ECP256))
	for _, other := range []KeyType{ECP384, RSA2048} {
		err := CheckCertificate([]*x509.Certificate{leaf}, keyOf(t, other).Public(), []*x509.Certificate{ca.cert}, time.Now())
		if !errors.Is(err, ErrCertKeyMismatch) || !strings.Contains(err.Error(), "this entry's CSR") {
			t.Errorf("certificate of a P-256 key checked against a %s key: %v", other, err)
		}
	}
	// The same curve, another key: the comparison is of the key, not its type.
	k2, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckCertificate([]*x509.Certificate{leaf}, k2.Public(), []*x509.Certificate{ca.cert}, time.Now()); !errors.Is(err, ErrCertKeyMismatch) {
		t.Errorf("another P-256 key: %v, want ErrCertKeyMismatch", err)
	}
}

func TestCheckCertificateUnknownCA(t *testing.T) {
	t.Parallel()
	key := keyOf(t, ECP256)
	ca, other := newTestCA(t, "Wise CA", nil), newTestCA(t, "another CA", nil)
	leaf := ca.validLeaf(t, key)
	err := CheckCertificate([]*x509.Certificate{leaf}, key.Public(), []*x509.Certificate{other.cert}, time.Now())
	if !errors.Is(err, ErrCertUnknownCA) || !strings.Contains(err.Error(), "Get Wise Certificate") {
		t.Errorf("%v; want ErrCertUnknownCA naming Get Wise Certificate", err)
	}
	// A leaf given as its own CA is not a CA.
	if err := CheckCertificate([]*x509.Certificate{leaf}, key.Public(), []*x509.Certificate{leaf}, time.Now()); !errors.Is(err, ErrCertUnknownCA) {
		t.Errorf("the leaf as its own CA: %v, want ErrCertUnknownCA", err)
	}
}

// The chain pasted with the certificate may carry intermediates, never a
// root that vouches for itself: with [leaf, its root] and another CA given,
// the check must fail although the pasted chain is complete.
func TestCheckCertificatePastedRootIsNotTrusted(t *testing.T) {
	t.Parallel()
	key := keyOf(t, ECP256)
	attacker, wise := newTestCA(t, "self-made root", nil), newTestCA(t, "Wise CA", nil)
	leaf := attacker.validLeaf(t, key)
	err := CheckCertificate([]*x509.Certificate{leaf, attacker.cert}, key.Public(), []*x509.Certificate{wise.cert}, time.Now())
	if !errors.Is(err, ErrCertUnknownCA) {
		t.Errorf("[leaf, own root] against another CA: %v, want ErrCertUnknownCA", err)
	}
}

func TestCheckCertificateExpired(t *testing.T) {
	t.Parallel()
	key := keyOf(t, ECP256)
	ca := newTestCA(t, "root", nil)
	end := time.Now().Add(-24 * time.Hour).Truncate(time.Second)
	leaf := ca.issue(t, key.Public(), end.Add(-24*time.Hour), end)
	err := CheckCertificate([]*x509.Certificate{leaf}, key.Public(), []*x509.Certificate{ca.cert}, time.Now())
	if !errors.Is(err, ErrCertExpired) || !strings.Contains(err.Error(), end.UTC().Format(time.RFC3339)) {
		t.Errorf("%v; want ErrCertExpired with its end %s", err, end.UTC().Format(time.RFC3339))
	}
	// One second before its end it is still valid: the check runs at the
	// time given, not at the wall clock.
	if err := CheckCertificate([]*x509.Certificate{leaf}, key.Public(), []*x509.Certificate{ca.cert}, end.Add(-time.Second)); err != nil {
		t.Errorf("at a time inside its validity: %v", err)
	}
}

func TestCheckCertificateNotYetValid(t *testing.T) {
	t.Parallel()
	key := keyOf(t, ECP256)
	ca := newTestCA(t, "root", nil)
	start := time.Now().Add(24 * time.Hour).Truncate(time.Second)
	leaf := ca.issue(t, key.Public(), start, start.Add(365*24*time.Hour))
	err := CheckCertificate([]*x509.Certificate{leaf}, key.Public(), []*x509.Certificate{ca.cert}, time.Now())
	if !errors.Is(err, ErrCertNotYetValid) || !strings.Contains(err.Error(), "clock") || !strings.Contains(err.Error(), start.UTC().Format(time.RFC3339)) {
		t.Errorf("%v; want ErrCertNotYetValid with its start and the clock hint", err)
	}
	if errors.Is(err, ErrCertExpired) {
		t.Error("a certificate not valid yet is reported as expired")
	}
}

func TestCheckCertificateNoCA(t *testing.T) {
	t.Parallel()
	key := keyOf(t, ECP256)
	ca := newTestCA(t, "root", nil)
	leaf := ca.validLeaf(t, key)
	for name, cas := range map[string][]*x509.Certificate{"nil": nil, "empty": {}} {
		if err := CheckCertificate([]*x509.Certificate{leaf}, key.Public(), cas, time.Now()); !errors.Is(err, ErrNoCACertificate) {
			t.Errorf("%s CAs: %v, want ErrNoCACertificate", name, err)
		}
	}
	if err := CheckCertificate(nil, key.Public(), []*x509.Certificate{ca.cert}, time.Now()); !errors.Is(err, ErrNotCertificate) {
		t.Errorf("empty chain: %v, want ErrNotCertificate", err)
	}
}

func TestSelfSigned(t *testing.T) {
	t.Parallel()
	root := newTestCA(t, "root", nil)
	inter := newTestCA(t, "intermediate", root)
	leaf := inter.validLeaf(t, keyOf(t, ECP256))
	// Issuer = subject, but signed by another key: not self-signed.
	forged := newTestCA(t, "forger", nil)
	tmpl := &x509.Certificate{SerialNumber: randomSerial(t), Subject: root.cert.Subject, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, root.cert, forged.key.Public(), root.key)
	if err != nil {
		t.Fatal(err)
	}
	crossSigned, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	// Self-issued and self-signed, but not a CA.
	k := keyOf(t, ECP384)
	plain := &x509.Certificate{SerialNumber: randomSerial(t), Subject: pkix.Name{CommonName: "me"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err = x509.CreateCertificate(rand.Reader, plain, plain, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	selfLeaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		cert *x509.Certificate
		want bool
	}{
		{"root", root.cert, true}, {"intermediate", inter.cert, false}, {"leaf", leaf, false},
		{"same name, another key's signature", crossSigned, false}, {"self-signed, not a CA", selfLeaf, false},
	} {
		if got := SelfSigned(c.cert); got != c.want {
			t.Errorf("SelfSigned(%s) = %v, want %v", c.name, got, c.want)
		}
	}
}

var fingerprintForm = regexp.MustCompile(`^([0-9A-F]{2}:){31}[0-9A-F]{2}$`)

func TestFingerprint(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t, "root", nil)
	leaf := ca.validLeaf(t, keyOf(t, ECP256))
	got := Fingerprint(leaf)
	if !fingerprintForm.MatchString(got) {
		t.Fatalf("Fingerprint = %q; want 32 upper-case hex pairs joined by colons", got)
	}
	sum := sha256.Sum256(leaf.Raw)
	var want []string
	for _, b := range sum {
		want = append(want, fmt.Sprintf("%02X", b))
	}
	if got != strings.Join(want, ":") {
		t.Errorf("Fingerprint = %s, want the SHA-256 of the DER %s", got, strings.Join(want, ":"))
	}
	if Fingerprint(ca.cert) == got {
		t.Error("two certificates have one fingerprint")
	}
}

// ClientCertificate puts the chain out leaf first with its intermediate,
// with the key that signs for it. wise's tests make real handshakes with it.
func TestClientCertificateOrdersTheChain(t *testing.T) {
	t.Parallel()
	root := newTestCA(t, "root", nil)
	inter := newTestCA(t, "intermediate", root)
	for _, kt := range []KeyType{ECP256, RSA2048} {
		key := keyOf(t, kt)
		leaf := inter.validLeaf(t, key)
		cc := ClientCertificate(key, []*x509.Certificate{leaf, inter.cert})
		if len(cc.Certificate) != 2 || !bytes.Equal(cc.Certificate[0], leaf.Raw) || !bytes.Equal(cc.Certificate[1], inter.cert.Raw) || cc.Leaf != leaf || cc.PrivateKey != key {
			t.Fatalf("%s: ClientCertificate = %d certs; want leaf then intermediate, the leaf, the key", kt, len(cc.Certificate))
		}
	}
	if cc := ClientCertificate(keyOf(t, ECP256), nil); len(cc.Certificate) != 0 || cc.Leaf != nil {
		t.Errorf("no chain: %+v; want an empty certificate, no panic", cc)
	}
}

// A certificate issued a moment ago by a CA whose clock runs ahead (the
// demo's localwise, Developer Hub) is taken; one further ahead is not.
func TestCheckCertificateAllowsASmallClockSkew(t *testing.T) {
	t.Parallel()
	key := keyOf(t, ECP256)
	ca := newTestCA(t, "root", nil)
	now := time.Now().Truncate(time.Second)
	ahead := ca.issue(t, key.Public(), now.Add(2*time.Second), now.Add(365*24*time.Hour))
	if err := CheckCertificate([]*x509.Certificate{ahead}, key.Public(), []*x509.Certificate{ca.cert}, now); err != nil {
		t.Errorf("a certificate beginning 2s ahead: %v, want it taken", err)
	}
	far := ca.issue(t, key.Public(), now.Add(CertificateClockSkew+time.Second), now.Add(365*24*time.Hour))
	if err := CheckCertificate([]*x509.Certificate{far}, key.Public(), []*x509.Certificate{ca.cert}, now); !errors.Is(err, ErrCertNotYetValid) {
		t.Errorf("a certificate beginning past the skew allowed: %v, want ErrCertNotYetValid", err)
	}
}
