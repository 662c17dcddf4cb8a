package localwise

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Demo credentials. They are fixed and published so that docs and demos can
// show them; they only ever work against localwise.
const (
	DemoClientID          = "wisewallet-demo"
	DemoClientSecret      = "demo-client-secret"
	DemoRedirectURL       = "http://127.0.0.1:53682/wisewallet/callback"
	DemoPersonalToken     = "5ca1ab1e-de70-4000-8000-10ca1de70001"
	DemoUserEmail         = "demo@localwise.test"
	DemoUserPassword      = "demo-password"
	DemoUserID            = 5551001
	DemoPersonalProfileID = 16000001
	DemoBusinessProfileID = 16000002
)

// Default lifetimes.
const (
	// DefaultTokenTTL is Wise's access token lifetime (12 h, expires_in 43199).
	DefaultTokenTTL = 12 * time.Hour
	// DefaultRefreshTTL is about Wise's 20 years.
	DefaultRefreshTTL = 20 * 365 * 24 * time.Hour
	// DefaultCodeTTL is shorter than Wise's "expires within 30 minutes", which
	// is an upper bound: a client exchanges the code at once, and a short
	// life makes the expired-code path easy to show.
	DefaultCodeTTL = 5 * time.Minute
	// pendingTTL bounds how long a person may take on the login and consent
	// pages before starting again.
	pendingTTL = 30 * time.Minute
	// maxBodyBytes caps every request body; nothing localwise accepts is
	// anywhere near this size.
	maxBodyBytes = 64 << 10
	// maxLatency caps injected latency so a typo cannot park requests for days.
	maxLatency = 10 * time.Minute
	// maxTTL keeps every *_expires_in within the int32 Wise's schema declares.
	maxTTL = math.MaxInt32 * time.Second
)

// Config tunes a Server. The zero value gives Wise's lifetimes.
type Config struct {
	// TokenTTL is the access token lifetime (default 12h); expires_in is the
	// TTL in whole seconds minus one, like Wise's 43199.
	TokenTTL time.Duration
	// RefreshTTL is the refresh token lifetime (default about 20 years).
	RefreshTTL time.Duration
	// CodeTTL is the authorization code lifetime (default 5 minutes).
	CodeTTL time.Duration
	// CertTTL is the lifetime of the client certificates the Developer Hub
	// stand-in issues (default one year, 365 days, as at Wise; at most ten
	// years). Shorten it to show a certificate's countdown.
	CertTTL time.Duration
	// JOSEOverlap is how long a client's earlier JOSE key of a scope keeps
	// working after the key it uploads next for that scope becomes valid
	// (default DefaultJOSEOverlap, 24h; negative for none).
	JOSEOverlap time.Duration
	// SCAMode is when protected calls (funding a transfer, a balance
	// statement, deleting a factor) answer an SCA challenge: SCAAlways
	// (the default, so tests meet the challenge every time), SCANever or
	// SCARisk (high-risk calls always, low-risk ones at random from
	// SCASeed). Low-risk calls are let through for 5 minutes after a
	// cleared challenge, as at Wise.
	SCAMode string
	// SCASeed seeds the risk mode's random choices (default 1), so a run
	// can be repeated.
	SCASeed uint64
	// Now is the clock used for every expiry (default time.Now). Tests inject
	// a fake clock to expire codes and tokens without sleeping.
	Now func() time.Time
	// Logf, when set, gets one line per request: method, path, status,
	// duration and trace id. It never gets query strings, headers or bodies,
	// which carry tokens, secrets, codes and passwords.
	Logf func(format string, args ...any)
}

// Client is an OAuth client registered with localwise.
type Client struct {
	ID     string
	Secret string
	// RedirectURLs are compared with redirect_uri byte for byte, as Wise does.
	RedirectURLs []string
}

// DemoCredentials is what Run prints and what demos and tests log in with.
type DemoCredentials struct {
	APIURL            string `json:"api_url"`
	AuthorizeURL      string `json:"authorize_url"`
	ClientID          string `json:"client_id"`
	ClientSecret      string `json:"client_secret"`
	RedirectURL       string `json:"redirect_url"`
	PersonalToken     string `json:"personal_token"`
	UserEmail         string `json:"user_email"`
	UserPassword      string `json:"user_password"`
	PersonalProfileID int64  `json:"personal_profile_id"`
	BusinessProfileID int64  `json:"business_profile_id"`
	// The mTLS surface: the mTLS listener, the Developer Hub stand-in page
	// and its "Get Wise Certificate" download.
	MTLSURL          string `json:"mtls_url"`
	DeveloperHubURL  string `json:"developer_hub_url"`
	CACertificateURL string `json:"ca_certificate_url"`
}

// Server is a local stand-in for Wise's auth surface. All methods are safe
// for concurrent use.
//
// Each surface of Wise it stands in for keeps its tables in a state of its
// own, in a file of its own (state_*.go), behind its own lock: the OAuth
// surface (clients, tokens, codes, pending authorizations), users (profiles,
// signup) and the stand-in's faults and counters. A state's methods take
// its lock and never call another state; a handler that needs two calls
// them one after the other. No lock is ever held while taking another, so
// there is no lock order to get wrong, and a new surface is one more state
// and one more field here.
type Server struct {
	cfg     Config
	handler http.Handler

	tokens *tokenState
	users  *userState
	faults *faultState
	mtls   *mtlsState
	jose   *joseState
	sca    *scaState

	mtlsHandler http.Handler // the mTLS listener's: client certificate checked first

	lmu        sync.Mutex // lifecycle
	srv        *http.Server
	baseURL    string
	served     chan struct{}
	cancelBase context.CancelFunc
	mtlsSrv    *http.Server
	mtlsURL    string
	mtlsServed chan struct{}
	// listenAddr is what the plain listener is bound to (for Run's
	// warning); listenHosts are the host:port of both listeners when they
	// are bound to a specific address (not a wildcard), which the admin
	// endpoints accept in Host besides loopback names.
	listenAddr  net.Addr
	listenHosts []string
}

// New returns a Server with the demo client, the demo user (with a personal
// and a business profile) and the demo personal token registered.
func New(cfg Config) *Server {
	cfg.TokenTTL = clampTTL(cfg.TokenTTL, DefaultTokenTTL)
	cfg.RefreshTTL = clampTTL(cfg.RefreshTTL, DefaultRefreshTTL)
	cfg.CodeTTL = clampTTL(cfg.CodeTTL, DefaultCodeTTL)
	cfg.CertTTL = min(clampTTL(cfg.CertTTL, DefaultCertTTL), maxCertTTL)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{
		cfg:    cfg,
		tokens: newTokenState(lifetimes{token: cfg.TokenTTL, refresh: cfg.RefreshTTL, code: cfg.CodeTTL}),
		users:  newUserState(demoUser()),
		faults: &faultState{},
		jose:   newJOSEState(clampOverlap(cfg.JOSEOverlap)),
		sca:    newSCAState(cfg.SCAMode, cmp.Or(cfg.SCASeed, 1)),
	}
	ms, err := newMTLSState(s.now())
	if err != nil {
		// Only a broken system random source fails a P-256 key generation.
		panic("localwise: cannot make the mTLS CA: " + err.Error())
	}
	s.mtls = ms
	s.RegisterClient(Client{ID: DemoClientID, Secret: DemoClientSecret, RedirectURLs: []string{DemoRedirectURL}})
	s.tokens.addPersonal(DemoPersonalToken, DemoUserID)
	mux := s.routes()
	s.handler = s.middleware(mux)
	s.mtlsHandler = s.middleware(s.requireIssuedCert(mux))
	return s
}

func clampTTL(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return min(d, maxTTL)
}

func (s *Server) now() time.Time { return s.cfg.Now().UTC() }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// Wise's own paths; each also answers under a quarterly version prefix.
	for _, rt := range []struct {
		pattern string
		handler http.HandlerFunc
	}{
		{"/oauth/token", s.handleToken},
		// Wise's authorize URL ends in a slash; accept both spellings.
		{"/oauth/authorize", s.handleAuthorize},
		{"/oauth/authorize/{$}", s.handleAuthorize},
		{"/oauth/authorize/login", s.handleLogin},
		{"/oauth/authorize/consent", s.handleConsent},
		{"/v1/me", s.handleMe},
		{"/v2/profiles", s.handleProfiles},
		{"/v2/profiles/{profileId}", s.handleProfile},
		{"/v1/user/signup/registration_code", s.handleSignup},
		{"/v1/users/exists", s.handleUserExists},
		{playgroundPath, s.handlePlayground},
		{joseResponseKeysPath, s.handleJOSEResponseKeys},
		{joseRequestKeysPath, s.handleJOSEUpload},
		// SCA (sca*.go): the protected operations, the one-time token's
		// status, its factors and SCA sessions.
		{"/v3/profiles/{profileId}/transfers/{transferId}/payments", s.handleTransferFund},
		{"/v1/profiles/{profileId}/balance-statements/{balanceId}/statement.json", s.handleBalanceStatement},
		{"/v1/one-time-token/status", s.handleOTTStatus},
		{"/v1/identity/one-time-token/status", s.handleOTTStatus},
		{"/v2/profiles/{profileId}/pin", s.handlePIN},
		{"/v2/profiles/{profileId}/pin/verify", s.handlePINVerify(false)},
		{"/v1/user/pin", s.handleUserPIN},
		{"/v1/one-time-token/pin/verify", s.handlePINVerify(true)},
		{"/v2/profiles/{profileId}/device-fingerprints", s.handleDevices},
		{"/v2/profiles/{profileId}/device-fingerprints/verify", s.handleDeviceVerify(false)},
		{"/v2/profiles/{profileId}/device-fingerprints/{deviceFingerprintId}", s.handleDeviceDelete},
		{"/v1/user/partner-device-fingerprints", s.handleUserDevices},
		{"/v1/one-time-token/partner-device-fingerprint/verify", s.handleDeviceVerify(true)},
		{"/v2/profiles/{profileId}/facemaps", s.handleFacemap},
		{"/v2/profiles/{profileId}/facemaps/verify", s.handleFacemap},
		{"/v1/one-time-token/facemap/verify", s.handleFacemap},
		{"/v1/user/facemap/enrol", s.handleFacemap},
		{"/v2/profiles/{profileId}/sca-sessions/authorise", s.handleSCASession},
	} {
		mux.HandleFunc(rt.pattern, rt.handler)
		mux.HandleFunc("/{"+versionWildcard+"}"+rt.pattern, versioned(rt.handler))
	}
	for _, ch := range otpChannels {
		for pattern, h := range map[string]http.HandlerFunc{
			"/v1/one-time-token/" + ch.path + "/trigger": s.handleOTPTrigger(ch.kind),
			"/v1/one-time-token/" + ch.path + "/verify":  s.handleOTPVerify(ch.kind),
		} {
			mux.HandleFunc(pattern, h)
			mux.HandleFunc("/{"+versionWildcard+"}"+pattern, versioned(h))
		}
	}
	for _, p := range playgrounds {
		h := s.handleJOSEPlayground(p.mode, p.header)
		mux.HandleFunc(p.path, h)
		mux.HandleFunc("/{"+versionWildcard+"}"+p.path, versioned(h))
	}
	// The stand-in's own endpoints: no Wise counterpart, so no version.
	mux.HandleFunc(adminPrefix+"faults", s.handleAdminFaults)
	mux.HandleFunc(adminPrefix+"stats", s.handleAdminStats)
	mux.HandleFunc(adminPrefix+"clients", s.handleAdminClients)
	mux.HandleFunc(adminPrefix+"jose/keys", s.handleAdminJOSEKeys)
	mux.HandleFunc(adminPrefix+"jose/keys/rotate", s.handleAdminJOSERotate)
	mux.HandleFunc(adminPrefix+"jose/overlap", s.handleAdminJOSEOverlap)
	mux.HandleFunc(adminPrefix+"jose/clients/{clientId}/keys", s.handleAdminJOSEClientKeys)
	mux.HandleFunc(adminPrefix+"sca", s.handleAdminSCA)
	// Pages at Wise, not API paths: "Manage public keys" (legacy SCA) and
	// the approve-api-action page.
	mux.HandleFunc(scaKeysPagePath, s.handleKeysPage)
	mux.HandleFunc(scaKeysPagePath+"/sign-in", s.handleKeysSignIn)
	mux.HandleFunc(scaKeysPagePath+"/upload", s.handleKeysUpload)
	mux.HandleFunc(scaKeysPagePath+"/delete", s.handleKeysDelete)
	mux.HandleFunc(scaKeysAPIPath, s.handleSCAKeys)
	mux.HandleFunc(scaKeysAPIPath+"/{keyId}", s.handleSCAKey)
	mux.HandleFunc(approvePath+"{$}", s.handleApprove)
	mux.HandleFunc(approveDonePath, s.handleApproveDone)
	// The Developer Hub stand-in: a page at Wise, not an API path.
	mux.HandleFunc(hubPath, s.handleHubPage)
	mux.HandleFunc(hubPath+"/sign-in", s.handleHubSignIn)
	mux.HandleFunc(hubPath+"/certificates", s.handleHubGenerate)
	mux.HandleFunc(hubPath+"/deactivate", s.handleHubDeactivate)
	mux.HandleFunc(hubAPIPath, s.handleHubCertificates)
	mux.HandleFunc(hubAPIPath+"/{name}", s.handleHubCertificate)
	mux.HandleFunc(hubCAPath, s.handleHubCA)
	mux.HandleFunc("/", notFound)
	return mux
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeSpringError(w, r, http.StatusNotFound, "No message available")
}

// Handler returns the HTTP handler, for use with httptest or another server.
func (s *Server) Handler() http.Handler { return s.handler }

// RegisterClient adds or replaces an OAuth client. A client with an empty
// secret is stored but can never authenticate.
func (s *Server) RegisterClient(c Client) { s.tokens.registerClient(c) }

// AddPersonalToken makes token a personal API token of the demo user.
func (s *Server) AddPersonalToken(token string) {
	if token == "" {
		return
	}
	s.tokens.addPersonal(token, DemoUserID)
}

// RevokeRefreshTokens invalidates every refresh token issued so far, as when
// a user revokes the app at Wise: the next refresh answers 401 invalid_grant.
// Access tokens already issued stay valid until they expire.
func (s *Server) RevokeRefreshTokens() { s.tokens.revokeRefresh() }

// Stats returns a snapshot of the request counters.
func (s *Server) Stats() Stats { return s.faults.stats.snapshot() }

// Demo returns the demo credentials. APIURL and AuthorizeURL are empty until
// Start has run.
func (s *Server) Demo() DemoCredentials {
	base := s.URL()
	d := DemoCredentials{
		ClientID:          DemoClientID,
		ClientSecret:      DemoClientSecret,
		RedirectURL:       DemoRedirectURL,
		PersonalToken:     DemoPersonalToken,
		UserEmail:         DemoUserEmail,
		UserPassword:      DemoUserPassword,
		PersonalProfileID: DemoPersonalProfileID,
		BusinessProfileID: DemoBusinessProfileID,
	}
	if base != "" {
		d.APIURL = base
		d.AuthorizeURL = base + "/oauth/authorize"
		d.MTLSURL = s.MTLSURL()
		d.DeveloperHubURL = base + hubPath
		d.CACertificateURL = base + hubCAPath
	}
	return d
}

// listening is the address the plain listener is bound to, or nil before
// Start.
func (s *Server) listening() net.Addr {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	return s.listenAddr
}

// URL returns the base URL, such as http://127.0.0.1:8700, or "" before Start.
func (s *Server) URL() string {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	return s.baseURL
}

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves in the
// background. It returns the base URL. It also opens the mTLS listener on
// the same host, on a free port (see MTLSURL).
func (s *Server) Start(addr string) (string, error) {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	if s.srv != nil {
		return "", errors.New("localwise: server already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("localwise: listen on %s: %w", addr, err)
	}
	base, cancel := context.WithCancel(context.Background())
	errLog := log.New(io.Discard, "", 0)
	if s.cfg.Logf != nil {
		errLog = log.New(logfWriter(s.cfg.Logf), "localwise: ", 0)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          errLog,
		// Shutdown cancels this context, which ends injected latency at
		// once instead of holding shutdown for the whole delay.
		BaseContext: func(net.Listener) context.Context { return base },
	}
	if err := s.startMTLSLocked(ln.Addr(), base, errLog); err != nil {
		cancel()
		ln.Close()
		return "", err
	}
	s.srv, s.cancelBase, s.served = srv, cancel, make(chan struct{})
	s.baseURL = "http://" + urlHost(ln.Addr())
	s.listenAddr = ln.Addr()
	for _, a := range []string{ln.Addr().String(), strings.TrimPrefix(s.mtlsURL, "https://")} {
		if h, _, err := net.SplitHostPort(a); err == nil {
			if ip := net.ParseIP(h); ip != nil && !ip.IsUnspecified() {
				s.listenHosts = append(s.listenHosts, a)
			}
		}
	}
	go func(done chan struct{}) {
		defer close(done)
		_ = srv.Serve(ln) // returns http.ErrServerClosed after Shutdown/Close
	}(s.served)
	return s.baseURL, nil
}

// urlHost turns a listener address into a host:port a client can dial: a
// wildcard listen address becomes the loopback address.
func urlHost(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	ip := tcp.IP
	switch {
	case ip == nil || ip.IsUnspecified() && ip.To4() != nil:
		ip = net.IPv4(127, 0, 0, 1)
	case ip.IsUnspecified():
		ip = net.IPv6loopback
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(tcp.Port))
}

// Shutdown stops accepting connections and waits for in-flight requests
// until ctx is done, then closes whatever is left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.lmu.Lock()
	srv, cancel, served := s.srv, s.cancelBase, s.served
	msrv, mserved := s.mtlsSrv, s.mtlsServed
	s.lmu.Unlock()
	if srv == nil {
		return nil
	}
	cancel()
	err := errors.Join(srv.Shutdown(ctx), msrv.Shutdown(ctx))
	if err != nil {
		_ = srv.Close()
		_ = msrv.Close()
	}
	<-served
	<-mserved
	if err != nil {
		return fmt.Errorf("localwise: shutdown: %w", err)
	}
	return nil
}

// Close stops the server at once, cutting in-flight requests. Use Shutdown
// to let them finish.
func (s *Server) Close() error {
	s.lmu.Lock()
	srv, cancel, served := s.srv, s.cancelBase, s.served
	msrv, mserved := s.mtlsSrv, s.mtlsServed
	s.lmu.Unlock()
	if srv == nil {
		return nil
	}
	cancel()
	err := errors.Join(srv.Close(), msrv.Close())
	<-served
	<-mserved
	if err != nil {
		return fmt.Errorf("localwise: close: %w", err)
	}
	return nil
}

type logfWriter func(format string, args ...any)

func (f logfWriter) Write(p []byte) (int, error) {
	f("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
