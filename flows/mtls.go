package flows

import (
	"context"
	stdcrypto "crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// mTLS (reference/wise-auth.md §5): a private key and a CSR made here, the
// certificate Developer Hub issues for it imported and checked, and from
// then on every call of the OAuth client the entry is linked to (the
// token endpoint included) made on the environment's mTLS host with that
// certificate.

// MTLSCertificateLimit is how many active certificates Developer Hub keeps
// per client; it refuses an eleventh.
const MTLSCertificateLimit = 10

// CertificateLifetime is how long Wise's client certificates last.
const CertificateLifetime = 365 * 24 * time.Hour

// CertificateRenewalReminder is how long before not-after a certificate is
// shown as due for renewal. Wise e-mails only the application's technical
// contact, and a new certificate takes a trip to Developer Hub, so the
// reminder comes weeks early.
const CertificateRenewalReminder = 30 * 24 * time.Hour

// DefaultMTLSKeyType is the key made when none is asked for: P-256 is
// accepted by Wise, small and fast.
const DefaultMTLSKeyType = crypto.ECP256

// More inputs use cases check.
const (
	InputKeyType      Input = "key type"
	InputOrganisation Input = "organisation"
	InputCountry      Input = "country"
	InputMTLSURL      Input = "mTLS URL"
	InputCertName     Input = "certificate name"
)

// ErrUnsupportedKeyType: a key type Wise does not accept for mTLS (RSA
// under 2048 bits among them).
var ErrUnsupportedKeyType = errors.New("is not a key type Wise accepts for mTLS (rsa2048, rsa3072, rsa4096, p256, p384; RSA under 2048 bits is refused)")

// MTLSKeyInput is what a new mTLS entry is made of.
type MTLSKeyInput struct {
	Name string
	// Client is the OAuth client entry the certificate serves; "" links it
	// later (MTLSLink), and then Env says where it belongs.
	Client  string
	Env     Environment
	KeyType crypto.KeyType // "" is DefaultMTLSKeyType
	Org     string
	Country string // optional, two letters
	// CertName is the certificate's name in Developer Hub (unique per
	// client there); "" is the entry's name.
	CertName string
	// MTLSURL is the mTLS host; "" is the environment's (a local
	// environment has none: localwise prints its own).
	MTLSURL string
}

// ParseKeyType checks a key type as the user typed it.
func ParseKeyType(s string) (crypto.KeyType, error) {
	if s == "" {
		return DefaultMTLSKeyType, nil
	}
	t := crypto.KeyType(strings.ToLower(strings.TrimSpace(s)))
	if !slices.Contains(crypto.KeyTypes, t) {
		return "", &InputError{Input: InputKeyType, Value: s, Reason: ErrUnsupportedKeyType}
	}
	return t, nil
}

// MTLSKeygen makes a private key and its CSR and stores them as a new mTLS
// entry, linked to in.Client when given. It refuses what Developer Hub
// would refuse later: a missing organisation, a bad country, a key type
// Wise does not take, a certificate name the client already has, an
// eleventh active certificate.
func (s *Service) MTLSKeygen(ctx context.Context, in MTLSKeyInput) (EntryView, error) {
	if err := wallet.ValidateName(in.Name); err != nil {
		return EntryView{}, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	kt, err := ParseKeyType(string(in.KeyType))
	if err != nil {
		return EntryView{}, err
	}
	subject, err := CheckSubject(in.Org, in.Country)
	if err != nil {
		return EntryView{}, err
	}
	env := in.Env
	if in.Client != "" {
		client, err := s.clientEntry(in.Client, "mtls")
		if err != nil {
			return EntryView{}, err
		}
		env = client.Env
	} else if env.Name == "" {
		return EntryView{}, &InputError{Input: InputEnv, Reason: ErrMissing}
	}
	if env, err = withMTLSURL(env, in.MTLSURL); err != nil {
		return EntryView{}, err
	}
	certName := strings.TrimSpace(in.CertName)
	if certName == "" {
		certName = in.Name
	}
	if err := checkCertName(certName); err != nil {
		return EntryView{}, err
	}
	if in.Client != "" {
		if err := s.roomForCertificate(in.Client, certName, ""); err != nil {
			return EntryView{}, err
		}
	}
	if _, err := s.w.Get(in.Name); err == nil {
		return EntryView{}, fmt.Errorf("%w: %q; choose another name or remove it first", ErrEntryExists, in.Name)
	}
	csrPEM, keyPEM, pubPEM, err := newKeyAndCSR(ctx, kt, subject)
	if err != nil {
		return EntryView{}, err
	}
	now := s.now()
	e := wallet.Entry{Name: in.Name, Kind: wallet.KindMTLS, Env: env, CreatedAt: now, UpdatedAt: now, LinkedTo: in.Client}
	e.KeyType, e.PublicKey = string(kt), string(pubPEM)
	e.CSR, e.CertName, e.Organization, e.Country = string(csrPEM), certName, subject.Organization, subject.Country
	e.SetSecret(wallet.SecretPrivateKey, keyPEM)
	err = s.w.Update(ctx, func(c *wallet.Contents) error {
		if in.Client != "" {
			// Re-checked under the lock: another process may have added a
			// certificate for the client since.
			if err := roomIn(c.Entries(), in.Client, certName, "", now); err != nil {
				return err
			}
		}
		return c.Add(e)
	})
	return view(e, err)
}

// newKeyAndCSR makes the key (which, for RSA-4096, takes a while: ctx
// is checked after) and its CSR, and checks the CSR by Wise's rules as
// Developer Hub will.
func newKeyAndCSR(ctx context.Context, kt crypto.KeyType, subject crypto.CSRSubject) (csrPEM []byte, keyPEM crypto.Secret, pubPEM []byte, err error) {
	key, err := crypto.GenerateKey(kt)
	if err != nil {
		return nil, crypto.Secret{}, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, crypto.Secret{}, nil, err
	}
	if csrPEM, err = crypto.CreateCSR(key, subject); err != nil {
		return nil, crypto.Secret{}, nil, err
	}
	if _, err := crypto.CheckCSR(csrPEM); err != nil {
		return nil, crypto.Secret{}, nil, fmt.Errorf("the CSR made here fails Wise's rules (a bug): %w", err)
	}
	if keyPEM, err = crypto.MarshalPrivateKeyPEM(key); err != nil {
		return nil, crypto.Secret{}, nil, err
	}
	if pubPEM, err = crypto.MarshalPublicKeyPEM(key.Public()); err != nil {
		return nil, crypto.Secret{}, nil, err
	}
	return csrPEM, keyPEM, pubPEM, nil
}

// CheckSubject checks a CSR's organisation and country as the user
// typed them, before a key is made.
func CheckSubject(org, country string) (crypto.CSRSubject, error) {
	subject, err := crypto.CSRSubject{Organization: org, Country: country}.Normalize()
	switch {
	case errors.Is(err, crypto.ErrCSROrganization) && strings.TrimSpace(org) == "":
		return subject, &InputError{Input: InputOrganisation, Reason: ErrMissing}
	case errors.Is(err, crypto.ErrCSROrganization):
		return subject, &InputError{Input: InputOrganisation, Value: org, Reason: err}
	case errors.Is(err, crypto.ErrCSRCountry):
		return subject, &InputError{Input: InputCountry, Value: country, Reason: err}
	}
	return subject, err
}

// ErrNotHTTPS: an mTLS URL must be https.
var ErrNotHTTPS = errors.New("is not an https URL")

// withMTLSURL is env with its mTLS host: the one given, else its own.
func withMTLSURL(env Environment, raw string) (Environment, error) {
	if raw != "" {
		u, err := url.Parse(raw)
		switch {
		case err == nil && u.User != nil:
			return env, &InputError{Input: InputMTLSURL, Value: withoutUserinfo(raw), Reason: ErrURLUserinfo}
		case err != nil || u.Scheme != "https" || u.Host == "":
			return env, &InputError{Input: InputMTLSURL, Value: raw, Reason: ErrNotHTTPS}
		case env.Name != EnvLocal && strings.TrimRight(raw, "/") != env.MTLSURL:
			// Sandbox and production use Wise's own mTLS host.
			return env, &InputError{Input: InputMTLSURL, Value: raw, Reason: ErrOnlyLocal}
		case env.Name == EnvLocal && !isLoopbackHost(u.Hostname()):
			return env, &InputError{Input: InputMTLSURL, Value: raw, Reason: ErrNotLoopback}
		}
		env.MTLSURL = strings.TrimRight(raw, "/")
	}
	if env.MTLSURL == "" {
		return env, &InputError{Input: InputMTLSURL, Reason: ErrMissing}
	}
	return env, nil
}

// ErrCertName: Developer Hub names are short plain text.
var ErrCertName = errors.New("must be 1 to 64 letters, digits, spaces, '.', '_' or '-'")

func checkCertName(n string) error {
	if n == "" || len(n) > 64 {
		return &InputError{Input: InputCertName, Value: n, Reason: ErrCertName}
	}
	for _, r := range n {
		if !(r == ' ' || r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return &InputError{Input: InputCertName, Value: n, Reason: ErrCertName}
		}
	}
	return nil
}

// clientEntry is the OAuth client entry name, for what (a use case's
// word, for the kind error).
func (s *Service) clientEntry(name, what string) (wallet.Entry, error) {
	e, err := s.w.Get(name)
	if err != nil {
		return e, err
	}
	if e.Kind != wallet.KindClient {
		return e, &KindError{Entry: name, Kind: e.Kind, Want: wallet.KindClient, For: what}
	}
	return e, nil
}

// CertificateLimitError: the client already has MTLSCertificateLimit
// active certificates in the wallet; Developer Hub would refuse another.
// The fix is to let one expire or deactivate it in Developer Hub and
// remove its entry.
type CertificateLimitError struct {
	Client  string
	Entries []string // the entries holding the active certificates
}

func (e *CertificateLimitError) Error() string {
	return fmt.Sprintf("client %q already has %d active certificates (%s), the most Developer Hub allows; deactivate one in Developer Hub and remove its entry first",
		e.Client, MTLSCertificateLimit, strings.Join(e.Entries, ", "))
}

func (e *CertificateLimitError) Unwrap() error { return ErrUsage }

// CertNameTakenError: another entry of the client uses the certificate
// name; Developer Hub requires unique names per client.
type CertNameTakenError struct{ Client, CertName, Entry string }

func (e *CertNameTakenError) Error() string {
	return fmt.Sprintf("certificate name %q is taken by %q for client %q; Developer Hub needs a unique name per certificate", e.CertName, e.Entry, e.Client)
}

func (e *CertNameTakenError) Unwrap() error { return ErrUsage }

func (s *Service) roomForCertificate(client, certName, except string) error {
	return roomIn(s.w.Entries(), client, certName, except, s.now())
}

// roomIn checks that client can have one more certificate named certName:
// the name is free among its mTLS entries (but except, the entry being
// renewed) and fewer than the limit are active at now.
func roomIn(entries []wallet.Entry, client, certName, except string, now time.Time) error {
	var active []string
	for _, e := range entries {
		if e.Kind != wallet.KindMTLS || e.LinkedTo != client {
			continue
		}
		if e.Name != except && (strings.EqualFold(e.CertName, certName) || strings.EqualFold(e.PendingCertName, certName)) {
			return &CertNameTakenError{Client: client, CertName: certName, Entry: e.Name}
		}
		if e.NotAfter != nil && now.Before(*e.NotAfter) {
			active = append(active, e.Name)
		}
	}
	if len(active) >= MTLSCertificateLimit {
		return &CertificateLimitError{Client: client, Entries: active}
	}
	return nil
}

// ClientCertificates is how many active certificates a client has in the
// wallet, against Developer Hub's limit, and their names.
type ClientCertificates struct {
	Client string   `json:"client"`
	Active int      `json:"active"`
	Limit  int      `json:"limit"`
	Names  []string `json:"names"` // the certificates' Developer Hub names, active ones
}

// MTLSCertificates counts client's active certificates (memory only).
func (s *Service) MTLSCertificates(client string) ClientCertificates {
	out := ClientCertificates{Client: client, Limit: MTLSCertificateLimit, Names: []string{}}
	now := s.now()
	for _, e := range s.w.Entries() {
		if e.Kind == wallet.KindMTLS && e.LinkedTo == client && e.NotAfter != nil && now.Before(*e.NotAfter) {
			out.Active++
			out.Names = append(out.Names, e.CertName)
		}
	}
	return out
}

// mtlsEntry is the named entry, which must be of kind mtls.
func (s *Service) mtlsEntry(name string) (wallet.Entry, error) {
	e, err := s.w.Get(name)
	if err != nil {
		return e, err
	}
	if e.Kind != wallet.KindMTLS {
		return e, &KindError{Entry: name, Kind: e.Kind, Want: wallet.KindMTLS}
	}
	return e, nil
}

// MTLSCSR is the CSR to give Developer Hub for the entry: the renewal's
// while one is under way. Memory only.
func (s *Service) MTLSCSR(name string) (string, error) {
	e, err := s.mtlsEntry(name)
	if err != nil {
		return "", err
	}
	if e.PendingCSR != "" {
		return e.PendingCSR, nil
	}
	return e.CSR, nil
}

// CertificateError: a certificate (or its CA) given for import was
// refused; Reason is one of crypto's ErrCert..., ErrNotCertificate,
// ErrNoCACertificate, ErrCertificateInput. Nothing was stored.
type CertificateError struct {
	Entry  string
	CA     bool // the CA certificate was the problem, not the client's
	Reason error
}

func (e *CertificateError) Error() string {
	what := "the certificate"
	if e.CA {
		what = "Wise's CA certificate"
	}
	if errors.Is(e.Reason, crypto.ErrNoCACertificate) {
		return fmt.Sprintf("%q: %v; give Wise's CA certificate too (Developer Hub: Get Wise Certificate)", e.Entry, e.Reason)
	}
	return fmt.Sprintf("%q: %s was not imported: %v", e.Entry, what, e.Reason)
}

// Unwrap is Reason alone: a certificate refused is not a mistake in the
// command line, and scripts tell the two apart by the exit code.
func (e *CertificateError) Unwrap() error { return e.Reason }

// ImportedCertificate describes a certificate that was imported.
type ImportedCertificate struct {
	Entry       string    `json:"entry"`
	CertName    string    `json:"cert_name,omitempty"`
	Subject     string    `json:"subject"`
	CommonName  string    `json:"common_name"` // Wise puts the client id here
	Issuer      string    `json:"issuer"`
	Serial      string    `json:"serial"`
	Fingerprint string    `json:"sha256_fingerprint"`
	NotBefore   time.Time `json:"not_before"`
	NotAfter    time.Time `json:"not_after"`
	// Renewed: the certificate is the renewal's; the new key replaced the
	// old one and the old certificate is gone from the wallet.
	Renewed bool `json:"renewed"`
	// ClientMismatch: the common name is not the linked client's id (Wise
	// writes the client id there), so it may be another client's.
	ClientMismatch bool               `json:"client_mismatch,omitempty"`
	Certificates   ClientCertificates `json:"client_certificates,omitzero"`
}

// MTLSImportCert checks the certificate Developer Hub issued (certPEM, with
// any intermediates) against the entry's key, or its renewal's, and
// against Wise's CA (caPEM; nil reuses the stored one, or the root at the
// end of certPEM), at now, and stores it. A renewal's certificate replaces
// the old key and certificate.
func (s *Service) MTLSImportCert(ctx context.Context, name string, certPEM, caPEM []byte) (ImportedCertificate, error) {
	e, err := s.mtlsEntry(name)
	if err != nil {
		return ImportedCertificate{}, err
	}
	chain, err := crypto.ParseCertificates(certPEM)
	if err != nil {
		return ImportedCertificate{}, &CertificateError{Entry: name, Reason: err}
	}
	var cas []*x509.Certificate
	switch {
	case len(caPEM) > 0:
		if cas, err = crypto.ParseCertificates(caPEM); err != nil {
			return ImportedCertificate{}, &CertificateError{Entry: name, CA: true, Reason: err}
		}
	case e.CACert != "":
		// The stored CA wins over a root pasted with the certificate: it
		// is also what the mTLS host's own certificate is checked against,
		// and a pasted chain must not swap it for a root of its own.
		if cas, err = crypto.ParseCertificates([]byte(e.CACert)); err != nil {
			return ImportedCertificate{}, &CertificateError{Entry: name, CA: true, Reason: err}
		}
		if len(chain) > 1 && crypto.SelfSigned(chain[len(chain)-1]) {
			chain = chain[:len(chain)-1]
		}
	case len(chain) > 1 && crypto.SelfSigned(chain[len(chain)-1]):
		// The CA came pasted with the certificate (the first import).
		cas, chain = chain[len(chain)-1:], chain[:len(chain)-1]
	}
	leaf := chain[0]
	renewal := false
	var pendingKey crypto.Secret
	if p := e.Secret(wallet.SecretPendingKey); !p.IsZero() {
		k, err := crypto.ParsePrivateKeyPEM(p)
		if err != nil {
			return ImportedCertificate{}, err
		}
		if crypto.SamePublicKey(leaf, k.Public()) {
			renewal, pendingKey = true, p
		}
	}
	var pub stdcrypto.PublicKey
	if renewal {
		k, _ := crypto.ParsePrivateKeyPEM(pendingKey)
		pub = k.Public()
	} else if pub, err = crypto.ParsePublicKeyPEM([]byte(e.PublicKey)); err != nil {
		return ImportedCertificate{}, err
	}
	now := s.now()
	if err := crypto.CheckCertificate(chain, pub, cas, now); err != nil {
		return ImportedCertificate{}, &CertificateError{Entry: name, Reason: err}
	}
	chainPEM, caText, notAfter := string(crypto.EncodeCertificates(chain)), string(crypto.EncodeCertificates(cas)), leaf.NotAfter.UTC()
	var stored wallet.Entry
	err = s.w.Update(ctx, func(c *wallet.Contents) error {
		cur, err := c.Get(name)
		if err != nil {
			return err
		}
		if renewal {
			if !cur.Secret(wallet.SecretPendingKey).Equal(pendingKey) {
				return fmt.Errorf("%q: the renewal changed while the certificate was checked; import it again", name)
			}
			pubPEM, err := crypto.MarshalPublicKeyPEM(pub)
			if err != nil {
				return err
			}
			cur.SetSecret(wallet.SecretPrivateKey, pendingKey)
			cur.SetSecret(wallet.SecretPendingKey, crypto.Secret{})
			cur.PublicKey, cur.KeyType, cur.CSR = string(pubPEM), cur.PendingKeyType, cur.PendingCSR
			if cur.PendingCertName != "" {
				cur.CertName = cur.PendingCertName
			}
			cur.PendingCSR, cur.PendingKeyType, cur.PendingCertName = "", "", ""
		} else if cur.PublicKey != e.PublicKey {
			return fmt.Errorf("%q: the key changed while the certificate was checked; import it again", name)
		}
		cur.CertChain, cur.CACert, cur.NotAfter, cur.UpdatedAt = chainPEM, caText, &notAfter, now
		stored = cur
		return c.Put(cur)
	})
	if err != nil {
		return ImportedCertificate{}, err
	}
	out := describeCertificate(stored, leaf)
	out.Renewed = renewal
	if stored.LinkedTo != "" {
		if client, err := s.w.Get(stored.LinkedTo); err == nil && client.ClientID != "" && leaf.Subject.CommonName != client.ClientID {
			out.ClientMismatch = true
		}
		out.Certificates = s.MTLSCertificates(stored.LinkedTo)
	}
	return out, nil
}

func describeCertificate(e wallet.Entry, leaf *x509.Certificate) ImportedCertificate {
	return ImportedCertificate{
		Entry: e.Name, CertName: e.CertName,
		Subject: leaf.Subject.String(), CommonName: leaf.Subject.CommonName, Issuer: leaf.Issuer.String(),
		Serial: leaf.SerialNumber.Text(16), Fingerprint: crypto.Fingerprint(leaf),
		NotBefore: leaf.NotBefore.UTC(), NotAfter: leaf.NotAfter.UTC(),
	}
}

// NoCertificateError: the mTLS entry has no certificate yet, so no mTLS
// call can be made with it. The fix is to have its CSR signed in
// Developer Hub and import the certificate.
type NoCertificateError struct{ Entry string }

func (e *NoCertificateError) Error() string {
	return fmt.Sprintf("%q has no certificate yet: have its CSR signed in Developer Hub, then import the certificate", e.Entry)
}

// ExpiredCertificateError: the certificate ended; Wise would refuse the
// handshake, so no call was sent. The fix is a renewal.
type ExpiredCertificateError struct {
	Entry    string
	NotAfter time.Time
}

func (e *ExpiredCertificateError) Error() string {
	return fmt.Sprintf("the mTLS certificate of %q expired %s: Wise refuses it, so nothing was sent; renew it (a new key and CSR) and import the new certificate",
		e.Entry, ShowTime(e.NotAfter, time.UTC))
}

// NotLinkedError: the mTLS entry serves no OAuth client yet, so there is
// no token to call with. The fix is to link it to one.
type NotLinkedError struct{ Entry string }

func (e *NotLinkedError) Error() string {
	return fmt.Sprintf("%q is not linked to an OAuth client: link it to the client its certificate was issued for", e.Entry)
}

func (e *NotLinkedError) Unwrap() error { return ErrUsage }

// mtlsAPI is a Wise client for the mTLS host of e, presenting its
// certificate. Errors come before anything is sent.
func (s *Service) mtlsAPI(e wallet.Entry) (*wise.Client, error) {
	if e.Status == wallet.StatusRevoked {
		return nil, fmt.Errorf("%q was revoked after a suspected breach: its key is gone; make a new key and CSR under a new name, or remove it", e.Name)
	}
	if e.CertChain == "" {
		return nil, &NoCertificateError{Entry: e.Name}
	}
	if e.NotAfter != nil && !s.now().Before(*e.NotAfter) {
		return nil, &ExpiredCertificateError{Entry: e.Name, NotAfter: *e.NotAfter}
	}
	if e.Env.MTLSURL == "" {
		return nil, &InputError{Input: InputMTLSURL, Entry: e.Name, Reason: ErrMissing}
	}
	key, err := crypto.ParsePrivateKeyPEM(e.Secret(wallet.SecretPrivateKey))
	if err != nil {
		return nil, fmt.Errorf("%q: its private key: %w", e.Name, err)
	}
	chain, err := crypto.ParseCertificates([]byte(e.CertChain))
	if err != nil {
		return nil, fmt.Errorf("%q: its certificate: %w", e.Name, err)
	}
	var cas []*x509.Certificate
	if e.CACert != "" {
		if cas, err = crypto.ParseCertificates([]byte(e.CACert)); err != nil {
			return nil, fmt.Errorf("%q: Wise's CA certificate: %w", e.Name, err)
		}
	}
	hc := s.http
	if hc == nil {
		hc = sharedHTTP()
	}
	mhc, err := wise.MTLSHTTPClient(hc, wise.MTLS{Cert: crypto.ClientCertificate(key, chain), CAs: cas})
	if err != nil {
		return nil, err
	}
	c := wise.NewClient(e.Env.MTLSURL, mhc)
	c.Sleep = s.sleep
	return s.observed(c, e.Name), nil
}

// apiOf is the Wise client for calls on behalf of entry e: on the mTLS
// host with a certificate when one is linked to e's OAuth client (e
// itself, or the client of a user entry), else on the plain API host.
// Of several certificates, the one valid longest is used; when all have
// expired the call is refused before it is sent.
func (s *Service) apiOf(e wallet.Entry) (*wise.Client, error) {
	client := ""
	switch e.Kind {
	case wallet.KindClient:
		client = e.Name
	case wallet.KindUser:
		client = e.LinkedTo
	}
	if client == "" {
		return s.client(e.Env, e.Name), nil
	}
	var best, revoked *wallet.Entry
	for _, m := range s.w.Entries() {
		if m.Kind != wallet.KindMTLS || m.LinkedTo != client || m.CertChain == "" || m.NotAfter == nil {
			continue
		}
		if m.Status == wallet.StatusRevoked {
			// Its key is gone. The client's calls must not quietly move
			// to the plain host, which Wise refuses once mTLS is set up.
			revoked = &m
			continue
		}
		if best == nil || m.NotAfter.After(*best.NotAfter) {
			best = &m
		}
	}
	if best == nil {
		best = revoked
	}
	if best != nil {
		api, err := s.mtlsAPI(*best)
		if err != nil {
			return nil, err
		}
		return s.observed(api, e.Name), nil // e's calls, over best's certificate
	}
	return s.client(e.Env, e.Name), nil
}

// MTLSCheckResult is the answer of Wise's mTLS playground to the entry's
// certificate.
type MTLSCheckResult struct {
	Entry  string `json:"entry"`
	Client string `json:"client"`
	URL    string `json:"url"`
	wise.Answer
}

// MTLSCheck makes Wise's mTLS smoke test with the entry's certificate: a
// client-credentials token from the linked client, fetched on the mTLS
// host, then GET /v1/authenticated/playground with it.
func (s *Service) MTLSCheck(ctx context.Context, name string) (MTLSCheckResult, error) {
	e, err := s.mtlsEntry(name)
	if err != nil {
		return MTLSCheckResult{}, err
	}
	api, err := s.mtlsAPI(e)
	if err != nil {
		return MTLSCheckResult{}, err
	}
	if e.LinkedTo == "" {
		return MTLSCheckResult{}, &NotLinkedError{Entry: name}
	}
	client, err := s.w.Get(e.LinkedTo)
	if errors.Is(err, ErrEntryNotFound) {
		return MTLSCheckResult{}, &MissingClientError{Entry: name, Client: e.LinkedTo, Doing: "checked"}
	}
	if err != nil {
		return MTLSCheckResult{}, err
	}
	t, err := api.ClientCredentials(ctx, client.ClientID, client.Secret(wallet.SecretClientSecret), s.now())
	if err != nil {
		return MTLSCheckResult{}, err
	}
	a, err := api.Playground(ctx, t.Access)
	if err != nil {
		return MTLSCheckResult{}, err
	}
	return MTLSCheckResult{Entry: name, Client: e.LinkedTo, URL: e.Env.MTLSURL + wise.PlaygroundPath, Answer: a}, nil
}

// MTLSRenewInput asks for a renewal: a new key (of KeyType, "" the
// current type) and CSR, beside the working certificate.
type MTLSRenewInput struct {
	Name     string
	KeyType  crypto.KeyType
	CertName string // "" is the current name with today's date
}

// MTLSRenew makes a new key and CSR for the entry and keeps them beside
// the current key and certificate, which go on working until the new
// certificate is imported. A renewal already under way is replaced.
func (s *Service) MTLSRenew(ctx context.Context, in MTLSRenewInput) (EntryView, error) {
	e, err := s.mtlsEntry(in.Name)
	if err != nil {
		return EntryView{}, err
	}
	if e.CertChain == "" {
		return EntryView{}, &NoCertificateError{Entry: in.Name}
	}
	kt := crypto.KeyType(e.KeyType)
	if in.KeyType != "" {
		if kt, err = ParseKeyType(string(in.KeyType)); err != nil {
			return EntryView{}, err
		}
	}
	now := s.now()
	certName := strings.TrimSpace(in.CertName)
	if certName == "" {
		certName = renewalName(e.CertName, now)
	}
	if err := checkCertName(certName); err != nil {
		return EntryView{}, err
	}
	subject, err := CheckSubject(e.Organization, e.Country)
	if err != nil {
		return EntryView{}, err
	}
	csrPEM, keyPEM, _, err := newKeyAndCSR(ctx, kt, subject)
	if err != nil {
		return EntryView{}, err
	}
	var stored wallet.Entry
	err = s.w.Update(ctx, func(c *wallet.Contents) error {
		cur, err := c.Get(in.Name)
		if err != nil {
			return err
		}
		if cur.LinkedTo != "" {
			// The new certificate is one more active one until the old
			// is deactivated: it must fit under the limit.
			if err := roomIn(c.Entries(), cur.LinkedTo, certName, cur.Name, now); err != nil {
				return err
			}
		}
		cur.SetSecret(wallet.SecretPendingKey, keyPEM)
		cur.PendingCSR, cur.PendingKeyType, cur.PendingCertName, cur.UpdatedAt = string(csrPEM), string(kt), certName, now
		stored = cur
		return c.Put(cur)
	})
	return view(stored, err)
}

// renewalName is the Developer Hub name of a renewal: the old name with
// the date, replacing a date an earlier renewal added.
func renewalName(old string, now time.Time) string {
	base := old
	if i := strings.LastIndexByte(old, '-'); i > 0 {
		if _, err := time.Parse("20060102", old[i+1:]); err == nil {
			base = old[:i]
		}
	}
	if len(base) > 55 {
		base = base[:55]
	}
	return base + "-" + now.Format("20060102")
}

// EnvMismatchError: an mTLS entry and the client it is to serve are of
// different environments; a certificate works only where it was issued.
type EnvMismatchError struct {
	Entry, Client string
	EntryEnv      EnvName
	ClientEnv     EnvName
}

func (e *EnvMismatchError) Error() string {
	return fmt.Sprintf("%q is for %s and client %q for %s: a certificate works only in the environment whose Developer Hub issued it", e.Entry, e.EntryEnv, e.Client, e.ClientEnv)
}

func (e *EnvMismatchError) Unwrap() error { return ErrUsage }

// MTLSLink links the mTLS entry to the OAuth client it serves: from then
// on (once it holds a certificate) that client's calls go over mTLS.
func (s *Service) MTLSLink(ctx context.Context, name, client string) (EntryView, error) {
	e, err := s.mtlsEntry(name)
	if err != nil {
		return EntryView{}, err
	}
	c, err := s.clientEntry(client, "mtls")
	if err != nil {
		return EntryView{}, err
	}
	if c.Env.Name != e.Env.Name || c.Env.APIURL != e.Env.APIURL {
		return EntryView{}, &EnvMismatchError{Entry: name, Client: client, EntryEnv: e.Env.Name, ClientEnv: c.Env.Name}
	}
	if err := s.roomForCertificate(client, e.CertName, name); err != nil {
		return EntryView{}, err
	}
	var stored wallet.Entry
	err = s.w.Update(ctx, func(cs *wallet.Contents) error {
		cur, err := cs.Get(name)
		if err != nil {
			return err
		}
		if err := roomIn(cs.Entries(), client, cur.CertName, name, s.now()); err != nil {
			return err
		}
		cur.LinkedTo, cur.UpdatedAt = client, s.now()
		stored = cur
		return cs.Put(cur)
	})
	return view(stored, err)
}

// leafCertificate is the client certificate of an mTLS view, or nil.
func (v EntryView) leafCertificate() *x509.Certificate {
	if v.CertChain == "" {
		return nil
	}
	chain, err := crypto.ParseCertificates([]byte(v.CertChain))
	if err != nil {
		return nil
	}
	return chain[0]
}

// certIssued dates a certificate's bar from its not-before.
func certIssued(v EntryView) *time.Time {
	if leaf := v.leafCertificate(); leaf != nil {
		t := leaf.NotBefore.UTC()
		return &t
	}
	return nil
}

// CertificateRenewalDue reports whether v's certificate is within
// CertificateRenewalReminder of its end (or past it) at now, with no
// renewal under way.
func (v EntryView) CertificateRenewalDue(now time.Time) bool {
	return v.Kind == KindMTLS && v.NotAfter != nil && v.PendingCSR == "" && v.NotAfter.Sub(now) <= CertificateRenewalReminder
}

// DeveloperHubOf is the Developer Hub of a Wise environment, where its
// certificates are issued; "" for a local one (localwise's is at its API
// URL).
func DeveloperHubOf(env Environment) string {
	if h, ok := wiseHosts(env); ok {
		return h.DeveloperHub()
	}
	return ""
}
