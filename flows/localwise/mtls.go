package localwise

import (
	"context"
	"crypto/tls"
	"fmt"
	"log"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The mTLS listener: Wise's api-mtls host. It requires, at the TLS layer, a
// client certificate issued by localwise's CA, then serves every endpoint
// of the plain listener plus GET /v1/authenticated/playground, Wise's mTLS
// smoke test.

const playgroundPath = "/v1/authenticated/playground"

// presentedCertKey carries the verified client certificate's record from
// the mTLS check to the handlers.
type presentedCertKey struct{}

func presentedCert(r *http.Request) (issuedCert, bool) {
	c, ok := r.Context().Value(presentedCertKey{}).(issuedCert)
	return c, ok
}

// MTLSURL returns the mTLS listener's base URL, such as
// https://127.0.0.1:8701, or "" before Start.
func (s *Server) MTLSURL() string {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	return s.mtlsURL
}

// mtlsTLSConfig is the listener's TLS configuration: TLS 1.2 or later, a
// client certificate required and verified against localwise's CA alone,
// on the server's clock (so a test clock expires client certificates).
func (s *Server) mtlsTLSConfig(ip net.IP) (*tls.Config, error) {
	ips := []net.IP{ip}
	for _, lo := range []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback} {
		if !slices.ContainsFunc(ips, lo.Equal) {
			ips = append(ips, lo)
		}
	}
	der, key, err := s.mtls.ca.serverCertificate(s.now(), ips)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    s.mtls.ca.pool,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		Time:         s.now,
	}, nil
}

// startMTLSLocked opens the mTLS listener on the host of the plain one, on
// a free port. The caller holds s.lmu.
func (s *Server) startMTLSLocked(plain net.Addr, base context.Context, errLog *log.Logger) error {
	// Listen where the plain listener does; name the address a client
	// dials (loopback for a wildcard) in the server certificate.
	listenHost := "127.0.0.1"
	if tcp, ok := plain.(*net.TCPAddr); ok && tcp.IP != nil {
		listenHost = tcp.IP.String()
	}
	ip := net.IPv4(127, 0, 0, 1)
	if h, _, err := net.SplitHostPort(urlHost(plain)); err == nil && net.ParseIP(h) != nil {
		ip = net.ParseIP(h)
	}
	cfg, err := s.mtlsTLSConfig(ip)
	if err != nil {
		return fmt.Errorf("localwise: mTLS server certificate: %w", err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(listenHost, "0"))
	if err != nil {
		return fmt.Errorf("localwise: listen for mTLS on %s: %w", listenHost, err)
	}
	srv := &http.Server{
		Handler:           s.mtlsHandler,
		TLSConfig:         cfg,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		// Refused handshakes (no certificate, another CA) are logged here.
		ErrorLog:    errLog,
		BaseContext: func(net.Listener) context.Context { return base },
	}
	s.mtlsSrv, s.mtlsServed = srv, make(chan struct{})
	s.mtlsURL = "https://" + urlHost(ln.Addr())
	go func(done chan struct{}) {
		defer close(done)
		_ = srv.ServeTLS(ln, "", "") // the certificate is in TLSConfig
	}(s.mtlsServed)
	return nil
}

// requireIssuedCert runs on the mTLS listener after the TLS layer verified
// the chain. The certificate must still be active (a deactivated one opens
// nothing), and the client it was issued to (its CN) must be the client of
// the credentials the request carries: HTTP Basic client credentials, or a
// bearer token issued to a client. Personal tokens belong to no client and
// pass. Credentials that do not authenticate are left to the handler,
// which answers 401 as on the plain listener.
func (s *Server) requireIssuedCert(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			// Not reachable behind RequireAndVerifyClientCert; refuse anyway.
			certificateRequired(w)
			return
		}
		rec, ok := s.mtls.bySerialNumber(r.TLS.PeerCertificates[0].SerialNumber)
		if !ok || !rec.activeAt(s.now()) {
			writeOAuthError(w, http.StatusForbidden, "client_certificate_inactive",
				"This client certificate was deactivated in Developer Hub: use an active one, or generate a new one")
			return
		}
		if other := s.credentialsClient(r); other != "" && other != rec.clientID {
			writeOAuthError(w, http.StatusForbidden, "client_certificate_mismatch",
				"The client certificate was issued to client "+rec.clientID+", not to the client of these credentials: use the certificate issued to this client")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), presentedCertKey{}, rec)))
	})
}

// credentialsClient is the client that the request's credentials
// authenticate, or "" when they name none.
func (s *Server) credentialsClient(r *http.Request) string {
	if c, ok := s.authenticateClient(r); ok {
		return c.id
	}
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	if p, _, ok := s.tokens.bearer(s.now(), strings.TrimSpace(tok)); ok {
		return p.clientID
	}
	return ""
}

func certificateRequired(w http.ResponseWriter) {
	writeOAuthError(w, http.StatusForbidden, "client_certificate_required",
		"This endpoint needs an mTLS client certificate: call it on the mTLS URL with a certificate issued in Developer Hub")
}

// playgroundJSON is localwise's answer to the mTLS playground. Wise does
// not document its body; this one names the certificate that was verified.
type playgroundJSON struct {
	Message     string          `json:"message"`
	ClientID    string          `json:"client_id"`
	TokenType   string          `json:"token_type"`
	Certificate playgroundCert  `json:"certificate"`
	TLS         playgroundTLSIn `json:"tls"`
}

type playgroundCert struct {
	Name         string `json:"name"`
	CommonName   string `json:"common_name"`
	Organization string `json:"organization"`
	SerialNumber string `json:"serial_number"`
	NotAfter     string `json:"not_after"`
}

type playgroundTLSIn struct {
	Version string `json:"version"`
}

// handlePlayground is GET /v1/authenticated/playground: over mTLS with a
// valid bearer token of any kind, 200; on the plain listener 403.
func (s *Server) handlePlayground(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet) {
		return
	}
	rec, ok := presentedCert(r)
	if !ok {
		certificateRequired(w)
		return
	}
	p, ok := s.authenticateBearer(w, r)
	if !ok {
		return
	}
	leaf := r.TLS.PeerCertificates[0]
	writeJSON(w, http.StatusOK, playgroundJSON{
		Message:   "mTLS playground: the client certificate and the access token were accepted",
		ClientID:  rec.clientID,
		TokenType: p.kind.String(),
		Certificate: playgroundCert{
			Name:         rec.name,
			CommonName:   leaf.Subject.CommonName,
			Organization: strings.Join(leaf.Subject.Organization, ", "),
			SerialNumber: serialHex(rec),
			NotAfter:     rec.notAfter.UTC().Format(time.RFC3339),
		},
		TLS: playgroundTLSIn{Version: tls.VersionName(r.TLS.Version)},
	})
}

func (k tokenKind) String() string {
	switch k {
	case kindClient:
		return "client_credentials"
	case kindUser:
		return "user"
	case kindPersonal:
		return "personal"
	}
	return "unknown"
}
