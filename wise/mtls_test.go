package wise

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// An mTLS server of the test's own (not localwise: the client is checked
// against a plain crypto/tls server too), with a CA that signs both its
// certificate and the client's.

type testPKI struct {
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	serial int64
}

func newTestPKI(t *testing.T, name string) *testPKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	return &testPKI{ca: ca, caKey: key, serial: 1}
}

func (p *testPKI) issue(t *testing.T, cn string, server bool) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p.serial++
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(p.serial), Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, key.Public(), p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return crypto.ClientCertificate(key, []*x509.Certificate{leaf})
}

// mtlsServer requires a client certificate from pki and answers the
// playground with body; handshakes counts the TLS handshakes it saw.
func mtlsServer(t *testing.T, pki *testPKI, body string) (url string, handshakes *atomic.Int32) {
	t.Helper()
	handshakes = &atomic.Int32{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != PlaygroundPath || r.Header.Get("Authorization") != "Bearer tok-1" || len(r.TLS.PeerCertificates) == 0 {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		w.Header().Set("x-trace-id", "trace-"+r.TLS.PeerCertificates[0].Subject.CommonName)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	pool := x509.NewCertPool()
	pool.AddCert(pki.ca)
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{pki.issue(t, "server", true)},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			handshakes.Add(1)
			return nil, nil
		},
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL, handshakes
}

func mtlsClient(t *testing.T, url string, m MTLS) *Client {
	t.Helper()
	hc, err := MTLSHTTPClient(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(url, hc)
	recordWaits(c)
	return c
}

func TestPlaygroundOverMTLSPresentsTheCertificateAndTrustsWisesCA(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t, "test Wise CA")
	url, _ := mtlsServer(t, pki, `{"message":"ok \u001b]52;c;AAAA\u0007"}`+"\n")
	c := mtlsClient(t, url, MTLS{Cert: pki.issue(t, "client-1", false), CAs: []*x509.Certificate{pki.ca}})
	a, err := c.Playground(context.Background(), crypto.SecretString("tok-1"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != http.StatusOK || a.TraceID != "trace-client-1" || a.Text != "" {
		t.Fatalf("answer %+v; want 200 with the trace id of the certificate presented", a)
	}
	// The body is JSON as sent, without the escape sequence a terminal
	// would act on (it sets the clipboard), and without the newline.
	if got := string(a.Body); strings.ContainsRune(got, 0x1b) || !strings.HasPrefix(got, `{"message":"ok `) || strings.HasSuffix(got, "\n") {
		t.Errorf("body %q", got)
	}
}

func TestPlaygroundKeepsAnAnswerThatIsNotJSONAsText(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t, "test Wise CA")
	url, _ := mtlsServer(t, pki, "Hello, mTLS\r\n")
	c := mtlsClient(t, url, MTLS{Cert: pki.issue(t, "client-1", false), CAs: []*x509.Certificate{pki.ca}})
	a, err := c.Playground(context.Background(), crypto.SecretString("tok-1"))
	if err != nil || a.Text != "Hello, mTLS" || a.Body != nil {
		t.Fatalf("answer %+v, %v; want the text, trimmed", a, err)
	}
}

// A refused handshake is final: said as such, tried once, never "Wise is
// unavailable, try later".
func TestRefusedHandshakesAreFinalAndSayWhy(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t, "test Wise CA")
	other := newTestPKI(t, "another CA")
	url, handshakes := mtlsServer(t, pki, `{}`)
	for _, tc := range []struct {
		name string
		m    MTLS
		want string
	}{
		{"no client certificate", MTLS{CAs: []*x509.Certificate{pki.ca}}, "the server refused the connection"},
		{"a certificate of another CA", MTLS{Cert: other.issue(t, "client-1", false), CAs: []*x509.Certificate{pki.ca}}, "the server refused the connection"},
		{"the server's CA not given", MTLS{Cert: pki.issue(t, "client-1", false)}, "the server's certificate is not trusted"},
	} {
		before := handshakes.Load()
		c := mtlsClient(t, url, tc.m)
		_, err := c.Playground(context.Background(), crypto.SecretString("tok-1"))
		if !errors.Is(err, ErrCertificateRefused) || errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want ErrCertificateRefused saying %q", tc.name, err, tc.want)
		}
		if n := handshakes.Load() - before; n != 1 {
			t.Errorf("%s: %d handshakes; want 1 (no retries)", tc.name, n)
		}
	}
}

type wrappingTransport struct {
	next http.RoundTripper
	got  *tls.Config
}

func (w *wrappingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return w.next.RoundTrip(r)
}

func (w *wrappingTransport) WithTLSClientConfig(cfg *tls.Config) http.RoundTripper {
	w.got = cfg
	return w
}

func TestMTLSHTTPClientGivesTheCertificateOnlyToItsOwnTransport(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t, "test Wise CA")
	cert := pki.issue(t, "client-1", false)
	base := DefaultHTTPClient()
	hc, err := MTLSHTTPClient(base, MTLS{Cert: cert, CAs: []*x509.Certificate{pki.ca}})
	if err != nil {
		t.Fatal(err)
	}
	own, shared := hc.Transport.(*http.Transport), base.Transport.(*http.Transport)
	if own == shared || shared.TLSClientConfig != nil && len(shared.TLSClientConfig.Certificates) > 0 {
		t.Fatal("the base client's transport got the client certificate")
	}
	if len(own.TLSClientConfig.Certificates) != 1 || own.TLSClientConfig.MinVersion < tls.VersionTLS12 || own.TLSClientConfig.RootCAs == nil {
		t.Errorf("the mTLS transport's TLS config: %+v", own.TLSClientConfig)
	}
	if hc.CheckRedirect == nil || hc.Timeout != base.Timeout {
		t.Error("the mTLS client lost the base client's redirect refusal or timeout")
	}
	// A wrapping transport (a test's fault injector) gets the config.
	w := &wrappingTransport{next: http.DefaultTransport}
	if _, err := MTLSHTTPClient(&http.Client{Transport: w}, MTLS{Cert: cert}); err != nil || w.got == nil || len(w.got.Certificates) != 1 {
		t.Errorf("wrapping transport: %v, config %+v", err, w.got)
	}
	// Any other transport cannot carry a certificate: said, not ignored.
	if _, err := MTLSHTTPClient(&http.Client{Transport: roundTripFunc(nil)}, MTLS{Cert: cert}); err == nil {
		t.Error("a transport that cannot take a certificate was accepted")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
