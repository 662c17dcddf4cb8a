package localwise

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"slices"
	"sync"
	"time"
)

// The mTLS surface: localwise's own certificate authority, the client
// certificates the Developer Hub stand-in issued with it, and the Developer
// Hub page's sessions. The CA is made once per Server and never changes, so
// it is read without the lock; everything else sits behind mu.

const (
	// MaxActiveCertificates is Wise's limit of active certificates per
	// client.
	MaxActiveCertificates = 10
	// DefaultCertTTL is the lifetime of the certificates Wise issues: one
	// year.
	DefaultCertTTL = 365 * 24 * time.Hour
	// maxCertTTL keeps issued certificates inside the CA's own validity.
	maxCertTTL = 10 * 365 * 24 * time.Hour
	// caLifetime is how long localwise's CA and server certificate are
	// valid either side of both clocks (the real one and Config.Now).
	caLifetime = 20 * 365 * 24 * time.Hour
	// maxKeptCertificates bounds the records kept per client, deactivated
	// and expired ones included; the oldest inactive ones go first.
	maxKeptCertificates = 100
	// maxCertNameLen bounds a certificate's name (in characters).
	maxCertNameLen = 100
	// maxHubSessions and hubSessionTTL bound the Developer Hub page's
	// sign-ins.
	maxHubSessions = 1_000
	hubSessionTTL  = 30 * time.Minute
)

// issuedCert is one certificate the Developer Hub stand-in signed. Records
// are never changed once stored except for deactivated, so copies handed
// out of the state are safe.
type issuedCert struct {
	name        string
	clientID    string
	serial      *big.Int
	notBefore   time.Time
	notAfter    time.Time
	pem         []byte
	deactivated bool
}

// activeAt reports whether the certificate opens the mTLS listener at
// now: not deactivated and inside its validity.
func (c *issuedCert) activeAt(now time.Time) bool {
	return c.liveAt(now) && !now.Before(c.notBefore)
}

// liveAt reports whether the certificate counts against the limit, keeps
// its name and is listed at now: not deactivated and not expired. Its
// not-before is left out on purpose: a request that read the clock just
// before another's certificate (not-before truncated to that second) took
// the lock must still count it, or twenty requests at once pass ten.
func (c *issuedCert) liveAt(now time.Time) bool {
	return !c.deactivated && now.Before(c.notAfter)
}

// hubSession is one sign-in on the Developer Hub page, keyed by an
// unguessable id carried in a hidden form field (no cookies, like the
// authorize page).
type hubSession struct {
	clientID  string
	expiresAt time.Time
}

// authority is localwise's CA: a P-256 key and its self-signed certificate.
type authority struct {
	key     *ecdsa.PrivateKey
	cert    *x509.Certificate
	certPEM []byte
	pool    *x509.CertPool
}

var (
	errCertNameTaken = errors.New("a certificate of this client already has this name")
	errCertLimit     = errors.New("the client has the maximum number of active certificates")
	errCertNotFound  = errors.New("no active certificate of this client has this name")
)

type mtlsState struct {
	ca *authority

	mu       sync.Mutex
	certs    map[string][]*issuedCert // client id -> its certificates, oldest first
	bySerial map[string]*issuedCert   // serial (hex) -> record
	sessions *fifo[*hubSession]
}

// newMTLSState makes the CA. Its validity covers both the real clock (which
// the clients verifying localwise's server certificate use) and the
// server's clock (which the listener verifies client certificates with).
func newMTLSState(now time.Time) (*mtlsState, error) {
	ca, err := newAuthority(now)
	if err != nil {
		return nil, err
	}
	return &mtlsState{
		ca:       ca,
		certs:    make(map[string][]*issuedCert),
		bySerial: make(map[string]*issuedCert),
		sessions: newFIFO[*hubSession](maxHubSessions),
	}, nil
}

func newAuthority(now time.Time) (*authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	from, till := validityAround(now)
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "localwise mTLS CA", Organization: []string{"localwise (a local stand-in for Wise)"}},
		NotBefore:             from,
		NotAfter:              till,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &authority{
		key:     key,
		cert:    cert,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pool:    pool,
	}, nil
}

// validityAround is a validity period that contains both now and the real
// time, with a day's slack for clients whose clocks are behind.
func validityAround(now time.Time) (time.Time, time.Time) {
	from, till := now, time.Now().UTC()
	if till.Before(from) {
		from, till = till, from
	}
	return from.Add(-24 * time.Hour).Truncate(time.Second), till.Add(caLifetime).Truncate(time.Second)
}

// randomSerial is a positive 128-bit serial number (RFC 5280 allows up to
// 20 octets; random serials make issued certificates unpredictable).
func randomSerial() *big.Int {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[0] &= 0x7f
	b[0] |= 0x40 // never shorter than 16 octets, so the hex form has one length
	return new(big.Int).SetBytes(b)
}

// serverCertificate issues the mTLS listener's own certificate for ips
// and the name localhost.
func (a *authority) serverCertificate(now time.Time, ips []net.IP) ([]byte, crypto.Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	from, till := validityAround(now)
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: "localwise mTLS listener", Organization: []string{"localwise (a local stand-in for Wise)"}},
		NotBefore:    from,
		NotAfter:     till,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  ips,
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		return nil, nil, err
	}
	return der, key, nil
}

// issue signs a client certificate for clientID named name, unless the
// name is taken by one of the client's active certificates or the client
// already has MaxActiveCertificates active ones. The check and the insert
// happen under one lock, so concurrent requests cannot pass the limit.
func (ms *mtlsState) issue(now time.Time, clientID, name string, subject pkix.Name, pub crypto.PublicKey, ttl time.Duration) (issuedCert, error) {
	from := now.Truncate(time.Second) // X.509 times have whole seconds
	ms.mu.Lock()
	defer ms.mu.Unlock()
	active := 0
	for _, c := range ms.certs[clientID] {
		if !c.liveAt(now) {
			continue
		}
		if c.name == name {
			return issuedCert{}, errCertNameTaken
		}
		active++
	}
	if active >= MaxActiveCertificates {
		return issuedCert{}, errCertLimit
	}
	serial := randomSerial()
	for ms.bySerial[serial.Text(16)] != nil {
		serial = randomSerial()
	}
	keyUsage := x509.KeyUsageDigitalSignature
	if _, isRSA := pub.(*rsa.PublicKey); isRSA {
		// RSA key exchange in TLS 1.2 needs it; harmless otherwise.
		keyUsage |= x509.KeyUsageKeyEncipherment
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		NotBefore:             from,
		NotAfter:              from.Add(ttl),
		KeyUsage:              keyUsage,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ms.ca.cert, pub, ms.ca.key)
	if err != nil {
		return issuedCert{}, err
	}
	rec := &issuedCert{
		name: name, clientID: clientID, serial: serial,
		notBefore: tmpl.NotBefore, notAfter: tmpl.NotAfter,
		pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	}
	list := append(ms.certs[clientID], rec)
	ms.certs[clientID] = ms.pruneLocked(now, list)
	ms.bySerial[serial.Text(16)] = rec
	return *rec, nil
}

// pruneLocked drops the oldest inactive records beyond maxKeptCertificates.
func (ms *mtlsState) pruneLocked(now time.Time, list []*issuedCert) []*issuedCert {
	for len(list) > maxKeptCertificates {
		i := slices.IndexFunc(list, func(c *issuedCert) bool { return !c.liveAt(now) })
		if i < 0 {
			break // cannot happen: at most MaxActiveCertificates are active
		}
		delete(ms.bySerial, list[i].serial.Text(16))
		list = slices.Delete(list, i, i+1)
	}
	return list
}

// active lists the client's active certificates, oldest first.
func (ms *mtlsState) active(now time.Time, clientID string) []issuedCert {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	var out []issuedCert
	for _, c := range ms.certs[clientID] {
		if c.liveAt(now) {
			out = append(out, *c)
		}
	}
	return out
}

// deactivate ends the client's active certificate named name.
func (ms *mtlsState) deactivate(now time.Time, clientID, name string) (issuedCert, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	for _, c := range ms.certs[clientID] {
		if c.name == name && c.liveAt(now) {
			c.deactivated = true
			return *c, nil
		}
	}
	return issuedCert{}, errCertNotFound
}

// bySerialNumber is the record of a certificate localwise issued.
func (ms *mtlsState) bySerialNumber(serial *big.Int) (issuedCert, bool) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	c, ok := ms.bySerial[serial.Text(16)]
	if !ok {
		return issuedCert{}, false
	}
	return *c, true
}

// signIn starts a Developer Hub page session for clientID.
func (ms *mtlsState) signIn(now time.Time, id, clientID string) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	ms.sessions.put(id, &hubSession{clientID: clientID, expiresAt: now.Add(hubSessionTTL)})
}

// session is the client signed in as id, or "" when there is none.
func (ms *mtlsState) session(now time.Time, id string) string {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	s, ok := ms.sessions.get(id)
	if !ok {
		return ""
	}
	if !now.Before(s.expiresAt) {
		ms.sessions.delete(id)
		return ""
	}
	return s.clientID
}
