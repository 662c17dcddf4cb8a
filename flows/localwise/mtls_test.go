package localwise

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// mtlsSetup is a started server with a certificate issued to the test
// client and an HTTP client presenting it.
type mtlsSetup struct {
	s       *Server
	base    string
	mtls    string
	roots   *x509.CertPool
	certPEM []byte
	client  *http.Client
}

func setupMTLS(t *testing.T, cfg Config) mtlsSetup {
	t.Helper()
	s, base := start(t, cfg)
	key := sharedP256(t)
	certPEM := mustIssue(t, base, testClientID, testClientSecret, "laptop", csrFor(t, key, acme))
	roots := caPool(t, base)
	return mtlsSetup{s: s, base: base, mtls: s.MTLSURL(), roots: roots, certPEM: certPEM,
		client: mtlsClient(roots, certPEM, key, nil)}
}

// mtlsToken gets a client-credentials token on the mTLS listener.
func (m mtlsSetup) mtlsToken(t *testing.T, id, secret string) result {
	t.Helper()
	req := newRequest(t, http.MethodPost, m.mtls+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	r, err := doWith(t, m.client, req)
	if err != nil {
		t.Fatalf("token over mTLS: %v", err)
	}
	return r
}

func (m mtlsSetup) playground(t *testing.T, tok string) result {
	t.Helper()
	req := newRequest(t, http.MethodGet, m.mtls+playgroundPath, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	r, err := doWith(t, m.client, req)
	if err != nil {
		t.Fatalf("playground over mTLS: %v", err)
	}
	return r
}

func TestMTLSURL(t *testing.T) {
	s := New(Config{})
	if s.MTLSURL() != "" || s.DeveloperHubURL() != "" {
		t.Errorf("before Start: %q %q", s.MTLSURL(), s.DeveloperHubURL())
	}
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := url.Parse(s.MTLSURL())
	if err != nil || u.Scheme != "https" || u.Hostname() != "127.0.0.1" || u.Port() == "" || "http://"+u.Host == base {
		t.Errorf("MTLSURL = %q (base %s)", s.MTLSURL(), base)
	}
	if s.DeveloperHubURL() != base+"/developer-hub" {
		t.Errorf("DeveloperHubURL = %q", s.DeveloperHubURL())
	}
	d := s.Demo()
	if d.MTLSURL != s.MTLSURL() || d.DeveloperHubURL != base+"/developer-hub" || d.CACertificateURL != base+"/developer-hub/ca-certificate" {
		t.Errorf("Demo = %+v", d)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := tls.Dial("tcp", u.Host, &tls.Config{InsecureSkipVerify: true}); err == nil {
		t.Error("the mTLS listener still accepts connections after Close")
	}
}

// TestMTLSRefusesConnectionWithoutClientCertificate: the TLS handshake
// fails, in TLS 1.3 and 1.2, and no HTTP request reaches the server.
func TestMTLSRefusesConnectionWithoutClientCertificate(t *testing.T) {
	m := setupMTLS(t, Config{})
	for _, v := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		before := m.s.Stats().Requests
		c := mtlsClient(m.roots, nil, nil, func(c *tls.Config) { c.MaxVersion = v })
		_, err := doWith(t, c, newRequest(t, http.MethodGet, m.mtls+"/v1/me", nil))
		if err == nil {
			t.Fatalf("%s: a request without a client certificate got an answer", tls.VersionName(v))
		}
		if !strings.Contains(err.Error(), "certificate required") && !strings.Contains(err.Error(), "bad certificate") &&
			!strings.Contains(err.Error(), "handshake failure") {
			t.Errorf("%s: not a TLS refusal: %v", tls.VersionName(v), err)
		}
		if after := m.s.Stats().Requests; after != before {
			t.Errorf("%s: %d requests reached the handlers", tls.VersionName(v), after-before)
		}
	}
	// The same client with the certificate gets through, so the refusal
	// was about the certificate.
	if r := m.mtlsToken(t, testClientID, testClientSecret); r.status != http.StatusOK {
		t.Fatalf("with the certificate: %d %s", r.status, r.body)
	}
}

func TestMTLSRefusesCertificateFromAnotherCA(t *testing.T) {
	m := setupMTLS(t, Config{})
	key := sharedP256(t)
	// Go's client only offers a certificate of a CA the server names, so
	// the foreign one is pushed regardless, as a hostile client would.
	c := mtlsClient(m.roots, foreignCert(t, testClientID, key), key, func(c *tls.Config) {
		offered := c.Certificates[0]
		c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &offered, nil }
	})
	before := m.s.Stats().Requests
	_, err := doWith(t, c, newRequest(t, http.MethodGet, m.mtls+"/v1/me", nil))
	if err == nil {
		t.Fatal("a certificate from another CA was accepted")
	}
	if !strings.Contains(err.Error(), "unknown certificate authority") && !strings.Contains(err.Error(), "bad certificate") {
		t.Errorf("not a TLS refusal: %v", err)
	}
	if m.s.Stats().Requests != before {
		t.Error("the request reached the handlers")
	}
}

func TestMTLSRefusesTLSBelow12(t *testing.T) {
	m := setupMTLS(t, Config{})
	c := mtlsClient(m.roots, m.certPEM, sharedP256(t), func(c *tls.Config) {
		c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	})
	if _, err := doWith(t, c, newRequest(t, http.MethodGet, m.mtls+"/v1/me", nil)); err == nil {
		t.Fatal("TLS 1.1 was accepted")
	}
}

// TestMTLSServerCertificateChainsToDownloadedCA: a client trusting only
// the CA of "Get Wise Certificate" verifies the listener by IP and by
// localhost.
func TestMTLSServerCertificateChainsToDownloadedCA(t *testing.T) {
	m := setupMTLS(t, Config{})
	u, _ := url.Parse(m.mtls)
	for _, host := range []string{"127.0.0.1", "localhost"} {
		conn, err := tls.Dial("tcp", u.Host, &tls.Config{RootCAs: m.roots, ServerName: host,
			Certificates: m.client.Transport.(*http.Transport).TLSClientConfig.Certificates})
		if err != nil {
			t.Fatalf("verify the listener as %s: %v", host, err)
		}
		conn.Close()
	}
	if _, err := tls.Dial("tcp", u.Host, &tls.Config{RootCAs: m.roots, ServerName: "wise.com"}); err == nil {
		t.Error("the server certificate verified for a name it does not carry")
	}
	if _, err := tls.Dial("tcp", u.Host, &tls.Config{ServerName: "127.0.0.1"}); err == nil {
		t.Error("the server certificate verified against the system roots")
	}
}

func TestMTLSPlaygroundNamesPresentedCertificate(t *testing.T) {
	m := setupMTLS(t, Config{})
	leaf := parseCertPEM(t, m.certPEM)
	tok := m.mtlsToken(t, testClientID, testClientSecret)
	if tok.status != http.StatusOK || !traceID.MatchString(tok.header.Get("x-trace-id")) {
		t.Fatalf("token over mTLS: %d %s", tok.status, tok.body)
	}
	for name, bearerTok := range map[string]string{"client_credentials": tok.str("access_token"), "personal": DemoPersonalToken} {
		r := m.playground(t, bearerTok)
		if r.status != http.StatusOK {
			t.Fatalf("%s: playground %d %s", name, r.status, r.body)
		}
		if !traceID.MatchString(r.header.Get("x-trace-id")) {
			t.Errorf("%s: x-trace-id = %q", name, r.header.Get("x-trace-id"))
		}
		cert, _ := r.json["certificate"].(map[string]any)
		if r.str("client_id") != testClientID || r.str("token_type") != name || cert["name"] != "laptop" ||
			cert["common_name"] != testClientID || cert["organization"] != "Acme Widgets" ||
			cert["serial_number"] != leaf.SerialNumber.Text(16) || cert["not_after"] != leaf.NotAfter.UTC().Format(time.RFC3339) {
			t.Errorf("%s: playground = %s (serial %s)", name, r.body, leaf.SerialNumber.Text(16))
		}
	}
	// A user access token of the same client passes too.
	access, _ := userTokens(t, m.base)
	if r := m.playground(t, access); r.status != http.StatusOK || r.str("token_type") != "user" {
		t.Errorf("user token: %d %s", r.status, r.body)
	}
	// Under the quarterly prefix as well.
	req := newRequest(t, http.MethodGet, m.mtls+"/2026Q3"+playgroundPath, nil)
	req.Header.Set("Authorization", "Bearer "+DemoPersonalToken)
	if r, err := doWith(t, m.client, req); err != nil || r.status != http.StatusOK {
		t.Errorf("/2026Q3 playground: %v %d %s", err, r.status, r.body)
	}
}

func TestMTLSPlaygroundNeedsToken(t *testing.T) {
	m := setupMTLS(t, Config{})
	r := m.playground(t, "")
	wantOAuthError(t, r, http.StatusUnauthorized, "unauthorized")
	if !traceID.MatchString(r.header.Get("x-trace-id")) {
		t.Errorf("x-trace-id = %q", r.header.Get("x-trace-id"))
	}
	wantOAuthError(t, m.playground(t, "0badc0de"), http.StatusUnauthorized, "invalid_token")
}

func TestPlaygroundRefusedOnPlainListener(t *testing.T) {
	m := setupMTLS(t, Config{})
	tok := clientToken(t, m.base, testClientID, testClientSecret)
	r := bearer(t, http.MethodGet, m.base+playgroundPath, tok, nil)
	wantOAuthError(t, r, http.StatusForbidden, "client_certificate_required")
	if !strings.Contains(r.str("error_description"), "mTLS client certificate") || !traceID.MatchString(r.header.Get("x-trace-id")) {
		t.Errorf("refusal = %s, trace %q", r.body, r.header.Get("x-trace-id"))
	}
	// The other endpoints still answer on the plain listener.
	if r := bearer(t, http.MethodGet, m.base+"/v1/me", DemoPersonalToken, nil); r.status != http.StatusOK {
		t.Errorf("/v1/me on the plain listener: %d", r.status)
	}
}

// TestMTLSServesEveryEndpoint: the plain listener's endpoints answer the
// same over mTLS (spot checks of each surface).
func TestMTLSServesEveryEndpoint(t *testing.T) {
	m := setupMTLS(t, Config{})
	for _, path := range []string{"/v1/me", "/v2/profiles", "/v2/profiles/" + itoa(DemoBusinessProfileID), "/2026Q3/v1/me"} {
		req := newRequest(t, http.MethodGet, m.mtls+path, nil)
		req.Header.Set("Authorization", "Bearer "+DemoPersonalToken)
		r, err := doWith(t, m.client, req)
		if err != nil || r.status != http.StatusOK || !traceID.MatchString(r.header.Get("x-trace-id")) {
			t.Errorf("%s over mTLS: %v %d %s", path, err, r.status, r.body)
		}
	}
	// The Developer Hub's API too.
	req := newRequest(t, http.MethodGet, m.mtls+hubAPIPath, nil)
	req.SetBasicAuth(testClientID, testClientSecret)
	if r, err := doWith(t, m.client, req); err != nil || r.status != http.StatusOK {
		t.Errorf("Developer Hub over mTLS: %v %d", err, r.status)
	}
	// A missing path is the usual 404 with a trace id.
	r, err := doWith(t, m.client, newRequest(t, http.MethodGet, m.mtls+"/v9/nothing", nil))
	if err != nil || r.status != http.StatusNotFound || !traceID.MatchString(r.header.Get("x-trace-id")) {
		t.Errorf("404 over mTLS: %v %d", err, r.status)
	}
}

// TestMTLSRefusesCertificateOfAnotherClient: the certificate's CN must be
// the client of the token or of the Basic credentials.
func TestMTLSRefusesCertificateOfAnotherClient(t *testing.T) {
	m := setupMTLS(t, Config{})
	other := clientToken(t, m.base, otherClientID, otherSecret)
	r := m.playground(t, other)
	wantOAuthError(t, r, http.StatusForbidden, "client_certificate_mismatch")
	if !strings.Contains(r.str("error_description"), testClientID) {
		t.Errorf("refusal does not name the certificate's client: %s", r.body)
	}
	// The token endpoint with the other client's credentials.
	wantOAuthError(t, m.mtlsToken(t, otherClientID, otherSecret), http.StatusForbidden, "client_certificate_mismatch")
	// Its own credentials work on the same connection pool.
	if r := m.mtlsToken(t, testClientID, testClientSecret); r.status != http.StatusOK {
		t.Fatalf("own credentials: %d %s", r.status, r.body)
	}
	// Credentials that do not authenticate get the usual 401.
	wantOAuthError(t, m.mtlsToken(t, otherClientID, "wrong"), http.StatusUnauthorized, "invalid_client")
}

func TestMTLSRefusesDeactivatedCertificate(t *testing.T) {
	m := setupMTLS(t, Config{})
	if r := m.playground(t, DemoPersonalToken); r.status != http.StatusOK {
		t.Fatalf("before: %d", r.status)
	}
	if r := hubDelete(t, m.base, testClientID, testClientSecret, "laptop"); r.status != http.StatusNoContent {
		t.Fatalf("deactivate: %d %s", r.status, r.body)
	}
	wantOAuthError(t, m.playground(t, DemoPersonalToken), http.StatusForbidden, "client_certificate_inactive")
}

// TestMTLSExpiredCertificateRefused: the listener verifies on the
// server's clock, so a certificate past CertTTL fails the handshake.
func TestMTLSExpiredCertificateRefused(t *testing.T) {
	clock := newClock()
	m := setupMTLS(t, Config{Now: clock.Now, CertTTL: time.Hour})
	if r := m.playground(t, DemoPersonalToken); r.status != http.StatusOK {
		t.Fatalf("fresh certificate: %d %s", r.status, r.body)
	}
	clock.Advance(time.Hour + time.Second)
	m.client.CloseIdleConnections()
	_, err := doWith(t, m.client, newRequest(t, http.MethodGet, m.mtls+playgroundPath, nil))
	if err == nil || !strings.Contains(err.Error(), "expired certificate") {
		t.Fatalf("expired certificate: %v", err)
	}
	// Back inside the validity period the same certificate works again:
	// the refusal was the expiry.
	clock.Advance(-2 * time.Second)
	if r := m.playground(t, DemoPersonalToken); r.status != http.StatusOK {
		t.Fatalf("inside validity again: %d %s", r.status, r.body)
	}
}
