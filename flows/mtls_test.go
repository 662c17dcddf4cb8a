package flows

import (
	"context"
	stdcrypto "crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// The mTLS use cases against a real localwise: its Developer Hub stand-in
// signs the CSRs over HTTP, and its mTLS listener is a real TLS server that
// requires a client certificate from its CA. The command-line suite
// (cli/mtls_test.go) covers the words and exit codes; these go under it,
// to which host a call went, with which certificate, and what is stored.

// mtlsFixture is a fixture whose localwise runs on a clock of its own
// (hub), so a certificate can be issued "months ago" and end before the
// others; the service has its own (f.clock).
type mtlsFixture struct {
	*fixture
	hub *offsetClock
}

func newMTLSFixture(t *testing.T, cfg localwise.Config) *mtlsFixture {
	t.Helper()
	hub := &offsetClock{}
	cfg.Now = hub.Now
	f := newFixture(t, cfg)
	// Transient failures (the dead host below) are retried without waits.
	f.svc.sleep = func(context.Context, time.Duration) error { return nil }
	return &mtlsFixture{fixture: f, hub: hub}
}

var bg = context.Background()

// keygen makes an mTLS entry for client, on localwise's mTLS host.
func (m *mtlsFixture) keygen(name, client, certName string) EntryView {
	m.t.Helper()
	v, err := m.svc.MTLSKeygen(bg, MTLSKeyInput{Name: name, Client: client, Org: "Acme Payments Ltd", CertName: certName, MTLSURL: m.srv.MTLSURL()})
	if err != nil {
		m.t.Fatalf("MTLSKeygen %q: %v", name, err)
	}
	return v
}

// issue has the Developer Hub stand-in sign the entry's current CSR (the
// renewal's while one is under way) under the entry's certificate name.
func (m *mtlsFixture) issue(name string) (cert, ca []byte) {
	m.t.Helper()
	csr, err := m.svc.MTLSCSR(name)
	if err != nil {
		m.t.Fatal(err)
	}
	v, err := m.svc.Entry(name)
	if err != nil {
		m.t.Fatal(err)
	}
	certName := v.CertName
	if v.PendingCertName != "" {
		certName = v.PendingCertName
	}
	return lwtest.IssueCertificate(m.t, m.srv, localwise.DemoClientID, localwise.DemoClientSecret, certName, []byte(csr))
}

// issueAged issues the entry's certificate as if Developer Hub had signed
// it age ago: it ends age before the others.
func (m *mtlsFixture) issueAged(name string, age time.Duration) (cert, ca []byte) {
	m.t.Helper()
	m.hub.Set(-age)
	defer m.hub.Set(0)
	return m.issue(name)
}

func (m *mtlsFixture) importCert(name string, cert, ca []byte) ImportedCertificate {
	m.t.Helper()
	out, err := m.svc.MTLSImportCert(bg, name, cert, ca)
	if err != nil {
		m.t.Fatalf("MTLSImportCert %q: %v", name, err)
	}
	return out
}

// certified is keygen, issue and import.
func (m *mtlsFixture) certified(name, client string) {
	m.t.Helper()
	m.keygen(name, client, "")
	cert, ca := m.issue(name)
	m.importCert(name, cert, ca)
}

func (m *mtlsFixture) view(name string) EntryView {
	m.t.Helper()
	v, err := m.svc.Entry(name)
	if err != nil {
		m.t.Fatal(err)
	}
	return v
}

// playgroundCertName is the certificate name localwise's playground says
// was presented, from the body of its answer.
func playgroundCertName(t *testing.T, a wise.Answer) string {
	t.Helper()
	var body struct {
		Certificate struct {
			Name string `json:"name"`
		} `json:"certificate"`
	}
	if a.Status != 200 || json.Unmarshal(a.Body, &body) != nil || body.Certificate.Name == "" {
		t.Fatalf("playground answer: HTTP %d %s", a.Status, a.Body)
	}
	return body.Certificate.Name
}

// TestMTLSTokenEndpointGoesOverMTLS: the client's API host is a dead
// address, its mTLS entry points at localwise's mTLS listener. Without a
// certificate the token call goes to the dead host and fails; with one, it
// succeeds, so it went to the mTLS host, presenting the certificate (the
// listener admits no connection without one). A user of the client logs
// in and refreshes there too.
func TestMTLSTokenEndpointGoesOverMTLS(t *testing.T) {
	t.Parallel()
	m := newMTLSFixture(t, localwise.Config{})
	dead, err := ResolveEnv(string(EnvLocal), "http://127.0.0.1:9")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.svc.addClient(bg, ClientInput{Name: "c1", Env: dead, ClientID: localwise.DemoClientID,
		Secret: crypto.SecretString(localwise.DemoClientSecret), RedirectURL: localwise.DemoRedirectURL}); err != nil {
		t.Fatal(err)
	}
	v := m.keygen("m1", "c1", "payouts")
	if v.Env.APIURL != dead.APIURL || v.Env.MTLSURL != m.srv.MTLSURL() {
		t.Fatalf("the mTLS entry's environment: %+v; want the client's API URL and localwise's mTLS URL", v.Env)
	}

	before := m.srv.Stats()
	_, err = m.svc.AccessToken(bg, "c1")
	if !errors.Is(err, wise.ErrUnavailable) {
		t.Fatalf("AccessToken before the import: %v; want the dead plain host unavailable", err)
	}
	if got := m.srv.Stats(); got.Requests != before.Requests {
		t.Fatalf("before the import a call reached localwise (%d requests): it must have gone to the dead host", got.Requests-before.Requests)
	}

	cert, ca := m.issue("m1")
	m.importCert("m1", cert, ca)
	before = m.srv.Stats()
	tok, err := m.svc.AccessToken(bg, "c1")
	if err != nil || tok.IsZero() {
		t.Fatalf("AccessToken after the import: %v", err)
	}
	if got := m.srv.Stats(); got.ClientCredentialsRequests != before.ClientCredentialsRequests+1 {
		t.Errorf("client-credentials requests at localwise: %d, want one more than %d", got.ClientCredentialsRequests, before.ClientCredentialsRequests)
	}
	// The token is the one localwise issued, valid at its mTLS playground
	// with the same certificate.
	api, err := m.svc.apiOf(m.saved("c1"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := api.Playground(bg, tok)
	if err != nil {
		t.Fatal(err)
	}
	if got := playgroundCertName(t, a); got != "payouts" {
		t.Errorf("the playground saw certificate %q, want payouts", got)
	}

	// A user of the client: registration (signup, token) and refresh over
	// mTLS, the only host of the client that answers.
	m.regLogin("c1", "u1", "mtls-user@example.com")
	m.makeDue()
	before = m.srv.Stats()
	if _, err := m.svc.AccessToken(bg, "u1"); err != nil {
		t.Fatalf("refresh of a user of the client: %v", err)
	}
	if got := m.srv.Stats(); got.RefreshRequests != before.RefreshRequests+1 {
		t.Errorf("refresh requests at localwise: %d, want %d", got.RefreshRequests, before.RefreshRequests+1)
	}
}

// TestMTLSEleventhActiveCertificateIsRefused: Developer Hub keeps ten
// active certificates per client. An eleventh key is refused before it is
// made, naming the ten, and nothing is stored; a renewal would make an
// eleventh too. Once one has ended there is room again.
func TestMTLSEleventhActiveCertificateIsRefused(t *testing.T) {
	t.Parallel()
	m := newMTLSFixture(t, localwise.Config{})
	m.addDemoClient("c1")
	var ten []string
	for i := range MTLSCertificateLimit {
		name := fmt.Sprintf("m%02d", i)
		ten = append(ten, name)
		m.keygen(name, "c1", "")
		var cert, ca []byte
		if i == 0 {
			// Issued 360 days ago: it ends in five days.
			cert, ca = m.issueAged(name, 360*24*time.Hour)
		} else {
			cert, ca = m.issue(name)
		}
		m.importCert(name, cert, ca)
	}
	if got := m.svc.MTLSCertificates("c1"); got.Active != 10 || got.Limit != 10 {
		t.Fatalf("MTLSCertificates = %+v, want 10 of 10", got)
	}

	disk := m.walletBytes()
	_, err := m.svc.MTLSKeygen(bg, MTLSKeyInput{Name: "m10", Client: "c1", Org: "Acme", MTLSURL: m.srv.MTLSURL()})
	var limit *CertificateLimitError
	if !errors.As(err, &limit) || limit.Client != "c1" || !slices.Equal(limit.Entries, ten) || !errors.Is(err, ErrUsage) {
		t.Fatalf("the eleventh keygen: %v; want a CertificateLimitError listing %v", err, ten)
	}
	m.assertAbsent("m10")
	if string(m.walletBytes()) != string(disk) {
		t.Error("the refused keygen changed the wallet file")
	}

	// A renewal is one more active certificate until the old one is
	// deactivated: refused as well, and the entry keeps no pending key.
	_, err = m.svc.MTLSRenew(bg, MTLSRenewInput{Name: "m05"})
	if !errors.As(err, &limit) {
		t.Fatalf("a renewal making an eleventh: %v; want a CertificateLimitError", err)
	}
	if v := m.view("m05"); v.PendingCSR != "" || v.Holds(wallet.SecretPendingKey) {
		t.Error("the refused renewal left a pending key or CSR")
	}
	if string(m.walletBytes()) != string(disk) {
		t.Error("the refused renewal changed the wallet file")
	}

	// Six days on, m00 has ended: room for one more, new or renewed.
	m.clock.Set(6 * 24 * time.Hour)
	if got := m.svc.MTLSCertificates("c1"); got.Active != 9 {
		t.Fatalf("after m00 ended: %d active, want 9", got.Active)
	}
	if _, err := m.svc.MTLSKeygen(bg, MTLSKeyInput{Name: "m10", Client: "c1", Org: "Acme", MTLSURL: m.srv.MTLSURL()}); err != nil {
		t.Fatalf("keygen with room again: %v", err)
	}
	if _, err := m.svc.MTLSRenew(bg, MTLSRenewInput{Name: "m05"}); err != nil {
		t.Fatalf("renewal with room again: %v", err)
	}
}

// TestMTLSKeygenAndLinkRefusals: each refusal is its own type (the CLI and
// the app word them), nothing is stored, and the refusals come before a
// key is made.
func TestMTLSKeygenAndLinkRefusals(t *testing.T) {
	t.Parallel()
	m := newMTLSFixture(t, localwise.Config{})
	m.addDemoClient("c1")
	m.keygen("m1", "c1", "Payouts")

	start := m.walletBytes()
	in := func(mod func(*MTLSKeyInput)) MTLSKeyInput {
		i := MTLSKeyInput{Name: "m2", Client: "c1", Org: "Acme", MTLSURL: m.srv.MTLSURL()}
		mod(&i)
		return i
	}
	// Developer Hub names are unique per client, whatever their case.
	_, err := m.svc.MTLSKeygen(bg, in(func(i *MTLSKeyInput) { i.CertName = "PAYOUTS" }))
	var taken *CertNameTakenError
	if !errors.As(err, &taken) || taken.Entry != "m1" || taken.Client != "c1" || !errors.Is(err, ErrUsage) {
		t.Errorf("a certificate name taken in another case: %v; want CertNameTakenError naming m1", err)
	}
	// The default certificate name is the entry name, also compared.
	_, err = m.svc.MTLSKeygen(bg, in(func(i *MTLSKeyInput) { i.Name = "payouts" }))
	if !errors.As(err, &taken) {
		t.Errorf("an entry name that is a taken certificate name: %v; want CertNameTakenError", err)
	}

	// --for an entry that is not an OAuth client.
	_, err = m.svc.MTLSKeygen(bg, in(func(i *MTLSKeyInput) { i.Client = "m1" }))
	var kind *KindError
	if !errors.As(err, &kind) || kind.Entry != "m1" || kind.Kind != KindMTLS || kind.Want != KindClient || kind.For != "mtls" {
		t.Errorf("--for an mtls entry: %v; want a KindError for mtls", err)
	}
	// A local client has no mTLS host of its own.
	_, err = m.svc.MTLSKeygen(bg, in(func(i *MTLSKeyInput) { i.MTLSURL = "" }))
	var input *InputError
	if !errors.As(err, &input) || input.Input != InputMTLSURL || !errors.Is(err, ErrMissing) {
		t.Errorf("no mTLS URL for a local client: %v; want InputError for the mTLS URL, missing", err)
	}
	_, err = m.svc.MTLSKeygen(bg, in(func(i *MTLSKeyInput) { i.MTLSURL = strings.Replace(m.srv.MTLSURL(), "https:", "http:", 1) }))
	if !errors.As(err, &input) || input.Input != InputMTLSURL || !errors.Is(err, ErrNotHTTPS) {
		t.Errorf("an http mTLS URL: %v; want ErrNotHTTPS", err)
	}
	_, err = m.svc.MTLSKeygen(bg, in(func(i *MTLSKeyInput) { i.MTLSURL = "https://user:hunter2@127.0.0.1:1" }))
	if !errors.As(err, &input) || !errors.Is(err, ErrURLUserinfo) || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("an mTLS URL with a password: %v; want ErrURLUserinfo without the password", err)
	}
	// A key type Wise refuses, and subjects it refuses.
	_, err = m.svc.MTLSKeygen(bg, in(func(i *MTLSKeyInput) { i.KeyType = "rsa1024" }))
	if !errors.As(err, &input) || input.Input != InputKeyType || !errors.Is(err, ErrUnsupportedKeyType) {
		t.Errorf("rsa1024: %v", err)
	}
	_, err = m.svc.MTLSKeygen(bg, in(func(i *MTLSKeyInput) { i.Org = " " }))
	if !errors.As(err, &input) || input.Input != InputOrganisation || !errors.Is(err, ErrMissing) {
		t.Errorf("no organisation: %v", err)
	}
	_, err = m.svc.MTLSKeygen(bg, in(func(i *MTLSKeyInput) { i.Country = "GBR" }))
	if !errors.As(err, &input) || input.Input != InputCountry || !errors.Is(err, crypto.ErrCSRCountry) {
		t.Errorf("country GBR: %v", err)
	}
	m.assertAbsent("m2")
	m.assertAbsent("payouts")
	if string(m.walletBytes()) != string(start) {
		t.Error("a refused keygen changed the wallet file")
	}

	// ParseKeyType as the user types it.
	for s, want := range map[string]crypto.KeyType{"": crypto.ECP256, " P384 ": crypto.ECP384, "RSA4096": crypto.RSA4096} {
		if got, err := ParseKeyType(s); err != nil || got != want {
			t.Errorf("ParseKeyType(%q) = %q, %v; want %q", s, got, err, want)
		}
	}
	for _, s := range []string{"rsa1024", "p521", "ed25519", "rsa"} {
		if _, err := ParseKeyType(s); !errors.As(err, &input) || input.Value != s || !errors.Is(err, ErrUnsupportedKeyType) || !errors.Is(err, ErrUsage) {
			t.Errorf("ParseKeyType(%q): %v; want an InputError, ErrUnsupportedKeyType", s, err)
		}
	}

	// Link: a certificate works only where it was issued.
	sandbox, err := ResolveEnv(string(EnvSandbox), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.svc.MTLSKeygen(bg, MTLSKeyInput{Name: "sb", Env: sandbox, Org: "Acme"}); err != nil {
		t.Fatalf("an unlinked sandbox key: %v", err)
	}
	_, err = m.svc.MTLSLink(bg, "sb", "c1")
	var env *EnvMismatchError
	if !errors.As(err, &env) || env.EntryEnv != EnvSandbox || env.ClientEnv != EnvLocal || !errors.Is(err, ErrUsage) {
		t.Errorf("linking a sandbox key to a local client: %v; want EnvMismatchError", err)
	}
	// Two local servers are two environments.
	other, err := ResolveEnv(string(EnvLocal), "http://127.0.0.1:9")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.svc.MTLSKeygen(bg, MTLSKeyInput{Name: "other", Env: other, Org: "Acme", MTLSURL: m.srv.MTLSURL()}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.svc.MTLSLink(bg, "other", "c1"); !errors.As(err, &env) {
		t.Errorf("linking a key of another local server: %v; want EnvMismatchError", err)
	}
	if _, err := m.svc.MTLSLink(bg, "sb", "m1"); !errors.As(err, &kind) || kind.Want != KindClient {
		t.Errorf("linking to an mtls entry: %v; want KindError", err)
	}
	if v := m.view("sb"); v.LinkedTo != "" {
		t.Errorf("a refused link was stored: linked to %q", v.LinkedTo)
	}
}

// TestMTLSExpiredCertificateSendsNothing: once the certificate has ended
// (on the service's clock), the check and the client's token (its cached
// one due) fail with ExpiredCertificateError before any request is made.
func TestMTLSExpiredCertificateSendsNothing(t *testing.T) {
	t.Parallel()
	m := newMTLSFixture(t, localwise.Config{})
	m.addDemoClient("c1")
	m.certified("m1", "c1")
	if _, err := m.svc.MTLSCheck(bg, "m1"); err != nil {
		t.Fatalf("MTLSCheck with a valid certificate: %v", err)
	}
	if _, err := m.svc.AccessToken(bg, "c1"); err != nil {
		t.Fatal(err)
	}
	notAfter := *m.view("m1").NotAfter

	m.clock.Set(time.Until(notAfter) + time.Minute)
	before := m.srv.Stats()
	_, err := m.svc.MTLSCheck(bg, "m1")
	var expired *ExpiredCertificateError
	if !errors.As(err, &expired) || expired.Entry != "m1" || !expired.NotAfter.Equal(notAfter) {
		t.Errorf("MTLSCheck after the end: %v; want ExpiredCertificateError at %s", err, notAfter)
	}
	_, err = m.svc.AccessToken(bg, "c1")
	if !errors.As(err, &expired) || expired.Entry != "m1" {
		t.Errorf("AccessToken of the client after the end: %v; want ExpiredCertificateError", err)
	}
	if after := m.srv.Stats(); after.Requests != before.Requests {
		t.Errorf("%d requests reached localwise with an expired certificate", after.Requests-before.Requests)
	}
	// At the very second it ends it is already refused: Wise's listener
	// takes not-after as the end.
	m.clock.Set(time.Until(notAfter))
	if _, err := m.svc.MTLSCheck(bg, "m1"); !errors.As(err, &expired) {
		t.Errorf("MTLSCheck at not-after: %v; want ExpiredCertificateError", err)
	}
}

// TestMTLSCallsUseTheCertificateValidLongest: of several certificates of
// one client, the one that ends last is presented, whichever entry it is
// in; when its entry goes, the next longest.
func TestMTLSCallsUseTheCertificateValidLongest(t *testing.T) {
	t.Parallel()
	m := newMTLSFixture(t, localwise.Config{})
	m.addDemoClient("c1")
	// Sorted by name the longest is in the middle, so neither the first
	// nor the last entry found is it by chance.
	for _, c := range []struct {
		name string
		age  time.Duration
	}{{"a-mid", 200 * 24 * time.Hour}, {"b-long", 0}, {"c-short", 360 * 24 * time.Hour}} {
		m.keygen(c.name, "c1", "")
		cert, ca := m.issueAged(c.name, c.age)
		m.importCert(c.name, cert, ca)
	}
	presented := func() string {
		t.Helper()
		api, err := m.svc.apiOf(m.saved("c1"))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := api.ClientCredentials(bg, localwise.DemoClientID, crypto.SecretString(localwise.DemoClientSecret), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		a, err := api.Playground(bg, tok.Access)
		if err != nil {
			t.Fatal(err)
		}
		return playgroundCertName(t, a)
	}
	if got := presented(); got != "b-long" {
		t.Errorf("the client's calls presented %q, want b-long (valid longest)", got)
	}
	// MTLSCheck uses its own entry's certificate, not the longest.
	r, err := m.svc.MTLSCheck(bg, "c-short")
	if err != nil {
		t.Fatal(err)
	}
	if got := playgroundCertName(t, r.Answer); got != "c-short" {
		t.Errorf("MTLSCheck c-short presented %q", got)
	}
	if err := m.svc.Remove(bg, "b-long"); err != nil {
		t.Fatal(err)
	}
	if got := presented(); got != "a-mid" {
		t.Errorf("without b-long the client's calls presented %q, want a-mid", got)
	}
	// AccessToken goes the same way, once the token cached when the
	// client was added is due.
	m.makeDue()
	before := m.srv.Stats()
	if _, err := m.svc.AccessToken(bg, "c1"); err != nil {
		t.Fatalf("AccessToken: %v", err)
	}
	if got := m.srv.Stats(); got.ClientCredentialsRequests != before.ClientCredentialsRequests+1 {
		t.Errorf("AccessToken made %d client-credentials requests, want 1", got.ClientCredentialsRequests-before.ClientCredentialsRequests)
	}
}

// otherCA signs pub with a CA localwise does not know, valid from..until;
// it returns the certificate and the CA, PEM.
func otherCA(t *testing.T, pub stdcrypto.PublicKey, from, until time.Time) (cert, ca []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not Wise"}, NotBefore: from.Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: localwise.DemoClientID}, NotBefore: from, NotAfter: until,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
}

func csrKey(t *testing.T, csrPEM string) stdcrypto.PublicKey {
	t.Helper()
	csr, err := crypto.CheckCSR([]byte(csrPEM))
	if err != nil {
		t.Fatal(err)
	}
	return csr.PublicKey
}

// TestMTLSImportIsAtomic: a refused import, of any kind, leaves the entry
// and the wallet file as they were, a renewal under way included; the
// renewal's certificate then replaces key, CSR and certificate name and
// clears every pending field, the pending key secret with them.
func TestMTLSImportIsAtomic(t *testing.T) {
	t.Parallel()
	m := newMTLSFixture(t, localwise.Config{})
	m.addDemoClient("c1")
	m.keygen("m1", "c1", "payouts")
	oldCert, ca := m.issue("m1")
	m.importCert("m1", oldCert, ca)
	m.keygen("m2", "c1", "")
	m2Cert, _ := m.issue("m2") // another entry's certificate
	m.importCert("m2", m2Cert, ca)

	renewing, err := m.svc.MTLSRenew(bg, MTLSRenewInput{Name: "m1", KeyType: crypto.ECP384})
	if err != nil {
		t.Fatal(err)
	}
	old := m.saved("m1")
	if renewing.PendingCSR == "" || renewing.PendingCertName != "payouts-"+m.svc.now().Format("20060102") || !renewing.Holds(wallet.SecretPendingKey) {
		t.Fatalf("the renewal: %+v", renewing.EntryCertificate)
	}

	newPub, oldPub := csrKey(t, renewing.PendingCSR), csrKey(t, old.CSR)
	now := time.Now()
	expired, expiredCA := otherCA(t, newPub, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	unknown, unknownCA := otherCA(t, oldPub, now.Add(-time.Hour), now.Add(24*time.Hour))
	notYet, notYetCA := otherCA(t, newPub, now.Add(24*time.Hour), now.Add(48*time.Hour))
	keyPEM := secretOf(t, old, wallet.SecretPrivateKey)
	refused := []struct {
		name     string
		cert, ca []byte
		reason   error
		caFault  bool
	}{
		{"another key's certificate", m2Cert, ca, crypto.ErrCertKeyMismatch, false},
		{"the old key's, from another CA", unknown, ca, crypto.ErrCertUnknownCA, false},
		{"the new key's, expired", expired, expiredCA, crypto.ErrCertExpired, false},
		{"the new key's, not valid yet", notYet, notYetCA, crypto.ErrCertNotYetValid, false},
		{"not a certificate", []byte("hello"), ca, crypto.ErrNotCertificate, false},
		{"the private key pasted with it", append(append([]byte{}, oldCert...), keyPEM...), ca, crypto.ErrCertificateInput, false},
		{"the CA file is a CSR", oldCert, []byte(old.CSR), crypto.ErrCertificateInput, true},
		// With Wise's CA stored, a chain pasted with a root of its own
		// must not replace it: the stored CA is what the mTLS host's own
		// certificate is checked against.
		{"the old key's with a self-made root pasted after it", append(append([]byte{}, unknown...), unknownCA...), nil, crypto.ErrCertUnknownCA, false},
	}

	viewBefore, disk := m.view("m1"), m.walletBytes()
	for _, c := range refused {
		_, err := m.svc.MTLSImportCert(bg, "m1", c.cert, c.ca)
		var ce *CertificateError
		if !errors.As(err, &ce) || !errors.Is(err, c.reason) || ce.CA != c.caFault || ce.Entry != "m1" {
			t.Errorf("%s: %v; want a CertificateError (CA %v) for %v", c.name, err, c.caFault, c.reason)
		}
		assertErrNoSecret(t, c.name, err, strings.Split(strings.TrimSpace(keyPEM), "\n")[1])
		if got := m.view("m1"); !reflect.DeepEqual(got, viewBefore) {
			t.Errorf("%s: the refused import changed the entry", c.name)
		}
		if string(m.walletBytes()) != string(disk) {
			t.Errorf("%s: the refused import changed the wallet file", c.name)
		}
	}
	if !sameEntry(m.saved("m1"), old) {
		t.Fatal("the entry on disk changed after refused imports")
	}

	// The renewal's certificate, with no CA given: the stored one is used.
	newCert, _ := m.issue("m1")
	out, err := m.svc.MTLSImportCert(bg, "m1", newCert, nil)
	if err != nil {
		t.Fatalf("the renewal's certificate: %v", err)
	}
	if !out.Renewed || out.CertName != renewing.PendingCertName || out.CommonName != localwise.DemoClientID || out.ClientMismatch {
		t.Errorf("import answer: %+v", out)
	}
	got := m.saved("m1")
	switch {
	case got.CSR != renewing.PendingCSR:
		t.Error("the CSR is not the renewal's")
	case got.KeyType != string(crypto.ECP384):
		t.Errorf("key type %q, want p384", got.KeyType)
	case got.CertName != renewing.PendingCertName:
		t.Errorf("certificate name %q, want %q", got.CertName, renewing.PendingCertName)
	case got.PendingCSR != "" || got.PendingKeyType != "" || got.PendingCertName != "":
		t.Errorf("pending fields left: %q %q %q", got.PendingCSR, got.PendingKeyType, got.PendingCertName)
	case !got.Secret(wallet.SecretPendingKey).IsZero() || slices.Contains(got.SecretFields(), wallet.SecretPendingKey):
		t.Error("the pending private key is still stored")
	case !got.Secret(wallet.SecretPrivateKey).Equal(old.Secret(wallet.SecretPendingKey)):
		t.Error("the private key is not the renewal's key")
	case got.PublicKey == old.PublicKey || got.CertChain == old.CertChain || got.CACert != old.CACert:
		t.Error("public key or certificate not replaced, or the CA changed")
	}
	key, err := crypto.ParsePrivateKeyPEM(got.Secret(wallet.SecretPrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := crypto.ParsePublicKeyPEM([]byte(got.PublicKey))
	type equaler interface {
		Equal(stdcrypto.PublicKey) bool
	}
	if err != nil || !key.Public().(equaler).Equal(pub) || !key.Public().(equaler).Equal(newPub) {
		t.Error("the stored public key is not the new private key's")
	}
	// And the renewed certificate is what the check presents.
	r, err := m.svc.MTLSCheck(bg, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if name := playgroundCertName(t, r.Answer); name != renewing.PendingCertName {
		t.Errorf("after the renewal the check presented %q", name)
	}
	// Wise's root pasted after the certificate, the stored CA being Wise's:
	// accepted, and the root is not stored as part of the chain.
	if _, err := m.svc.MTLSImportCert(bg, "m1", append(append([]byte{}, newCert...), ca...), nil); err != nil {
		t.Errorf("the certificate with Wise's root pasted after it: %v", err)
	}
	if again := m.saved("m1"); again.CertChain != got.CertChain || again.CACert != got.CACert {
		t.Error("re-importing with the root pasted changed the stored chain or CA")
	}
	// The old certificate is for a key the wallet no longer has.
	if _, err := m.svc.MTLSImportCert(bg, "m1", oldCert, nil); !errors.Is(err, crypto.ErrCertKeyMismatch) {
		t.Errorf("the old certificate after the renewal: %v; want ErrCertKeyMismatch", err)
	}
}
