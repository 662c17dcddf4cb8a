package wise

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// mTLS (reference/wise-auth.md §5): an OAuth partner's calls go to the
// environment's mTLS host with the client certificate issued in Developer
// Hub. The host's own certificate is checked against the system roots and
// Wise's CA certificate, so the same code talks to Wise and to localwise,
// whose CA signs both sides.

// ErrCertificateRefused: the mTLS host refused the TLS handshake (no
// certificate, one it does not trust, or one it no longer accepts), or
// this side refused the host's certificate. A retry cannot help.
var ErrCertificateRefused = errors.New("mTLS handshake refused")

// MTLS is what a client needs for mTLS calls.
type MTLS struct {
	Cert tls.Certificate
	// CAs are trusted for the host's certificate in addition to the
	// system roots (Wise's CA certificate, as Developer Hub gives it).
	CAs []*x509.Certificate
}

// idleMTLS closes an mTLS client's idle connections soon: a client is
// made per command or per refresh, and its pool is not reused after.
const idleMTLS = 30 * time.Second

// TLSConfigurable is a RoundTripper that wraps another, such as a test's
// fault injector, and can hand a TLS client configuration down to the
// transport it wraps, so that it stays in the path of mTLS calls.
type TLSConfigurable interface {
	http.RoundTripper
	WithTLSClientConfig(*tls.Config) http.RoundTripper
}

// MTLSHTTPClient is base (nil: DefaultHTTPClient) with m's client
// certificate and trust added, on a transport of its own, so that the
// certificate goes only to the hosts this client is used for.
func MTLSHTTPClient(base *http.Client, m MTLS) (*http.Client, error) {
	if base == nil {
		base = DefaultHTTPClient()
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool() // no system pool (some containers): Wise's CA alone
	}
	for _, ca := range m.CAs {
		roots.AddCert(ca)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots, Certificates: []tls.Certificate{m.Cert}}
	c := *base
	switch t := base.Transport.(type) {
	case nil:
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig, tr.IdleConnTimeout = cfg, idleMTLS
		c.Transport = tr
	case *http.Transport:
		tr := t.Clone()
		if tr.TLSClientConfig != nil {
			// Keep what the base chose for the server side (tests trust
			// a test server's certificate this way), and add ours.
			own := tr.TLSClientConfig.Clone()
			own.Certificates = cfg.Certificates
			if own.RootCAs == nil {
				own.RootCAs = roots
			} else {
				for _, ca := range m.CAs {
					own.RootCAs.AddCert(ca)
				}
			}
			own.MinVersion = max(own.MinVersion, tls.VersionTLS12)
			cfg = own
		}
		tr.TLSClientConfig, tr.IdleConnTimeout = cfg, idleMTLS
		c.Transport = tr
	case TLSConfigurable:
		c.Transport = t.WithTLSClientConfig(cfg)
	default:
		return nil, fmt.Errorf("mTLS needs an *http.Transport to add the client certificate to, not %T", base.Transport)
	}
	return &c, nil
}

// handshakeRefused wraps a transport error that is a TLS refusal, either
// way, so that it is final and says what it is.
func handshakeRefused(err error) error {
	var remote *net.OpError
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.As(err, &remote) && remote.Op == "remote error":
		// crypto/tls reports the peer's alert this way ("tls: certificate
		// required", "tls: unknown certificate authority", ...).
		return fmt.Errorf("%w: the server refused the connection (%v): check that the certificate is the one Developer Hub issued for this client and is still active", ErrCertificateRefused, remote.Err)
	case errors.As(err, &unknown), errors.As(err, &invalid), errors.As(err, &host), errors.As(err, &verify):
		return fmt.Errorf("%w: the server's certificate is not trusted: %v", ErrCertificateRefused, err)
	}
	return nil
}

// PlaygroundPath is Wise's mTLS smoke test.
const PlaygroundPath = "/v1/authenticated/playground"

// Answer is a successful call's answer, for a caller that shows it: its
// status, its x-trace-id and its body (cleaned of anything a terminal
// would interpret, cut to a size a screen holds).
type Answer struct {
	Status  int             `json:"status"`
	TraceID string          `json:"x_trace_id,omitempty"`
	Body    json.RawMessage `json:"body,omitempty"`
	Text    string          `json:"-"` // the body as text, when it is not JSON
}

// maxShownAnswer bounds the body an Answer keeps.
const maxShownAnswer = 8 << 10

// Playground calls GET /v1/authenticated/playground with token: on the
// mTLS host, with the client certificate, it answers 200.
func (c *Client) Playground(ctx context.Context, token crypto.Secret) (Answer, error) {
	var a Answer
	if err := c.do(ctx, request{method: http.MethodGet, path: PlaygroundPath, bearer: token, answer: &a}, nil); err != nil {
		return Answer{}, err
	}
	return a, nil
}

// fill records a successful answer for the caller to show. Wise does not
// document the playground's body, so it is kept as JSON when it is JSON
// and as text otherwise; either way cleaned of anything a terminal would
// interpret (re-encoding JSON would not escape that).
func (a *Answer) fill(resp *http.Response, data []byte, r request) {
	a.Status = resp.StatusCode
	a.TraceID = r.scrub(resp.Header.Get("x-trace-id"), maxTraceID)
	text := strings.TrimSpace(r.scrub(string(data), maxShownAnswer))
	if json.Valid([]byte(text)) {
		a.Body = json.RawMessage(text)
	} else {
		a.Text = text
	}
}
