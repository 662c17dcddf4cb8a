// Package demo starts the offline demonstration: localwise in this process
// and a throwaway wallet filled through the real flows, as a user's own
// commands would fill it. The CLI's demo command and the tests of the
// terminal app use it; flows/ itself never depends on localwise.
package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/wallet"
)

// Passphrase unlocks demo wallets. They live in a throwaway folder and
// hold only localwise credentials, which work nowhere else.
const Passphrase = "demo"

// FastKDF is a deliberately weak KDF for throwaway demo wallets and tests
// only: it makes unlocking instant, so it must never protect a real
// wallet.
var FastKDF = crypto.KDFParams{Time: 1, MemoryKiB: 8, Threads: 1}

// Demo is a running demonstration: localwise in this process and a fresh
// wallet filled through the real flows.
type Demo struct {
	Server  *localwise.Server
	Service *flows.Service
	Dir     string
}

// Options tune Start.
type Options struct {
	Dir      string        // an empty folder for the throwaway wallet
	TokenTTL time.Duration // short, so the live view visibly counts down
	// CertTTL is the life of the certificates localwise's Developer Hub
	// issues; the default, 25 days, is inside the renewal reminder, so the
	// dashboard shows it.
	CertTTL time.Duration
	// JOSEValidity is the validity of the demo's JOSE keys; the default
	// is flows.DefaultJOSEValidity, as for a key a user makes.
	JOSEValidity time.Duration
	KDF          crypto.KDFParams
	// Flows are the service's options (its HTTP client and clock; tests).
	Flows flows.Options
}

// DefaultCertTTL is the demo's certificate life (see Options.CertTTL).
const DefaultCertTTL = 25 * 24 * time.Hour

// Start starts localwise on a free loopback port and fills a new
// wallet in opts.Dir with a personal token, an OAuth client (with a cached client-credentials token, an mTLS
// certificate and JOSE signing and encryption keys), a user created by
// registration code and the demo user logged in by authorization code,
// each through the same code paths a real user's commands take.
func Start(ctx context.Context, opts Options) (*Demo, error) {
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 3 * time.Minute
	}
	if opts.CertTTL <= 0 {
		opts.CertTTL = DefaultCertTTL
	}
	srv := localwise.New(localwise.Config{TokenTTL: opts.TokenTTL, RefreshTTL: 20 * opts.TokenTTL, CertTTL: opts.CertTTL})
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting localwise: %w", err)
	}
	d, err := fill(ctx, srv, base, opts)
	if err != nil {
		_ = srv.Close()
		return nil, err
	}
	return d, nil
}

func fill(ctx context.Context, srv *localwise.Server, base string, opts Options) (*Demo, error) {
	w, err := wallet.Create(ctx, wallet.NewFileStore(opts.Dir), crypto.SecretString(Passphrase), wallet.Options{KDF: opts.KDF})
	if err != nil {
		return nil, err
	}
	env, err := flows.ResolveEnv(string(wallet.EnvLocal), base)
	if err != nil {
		return nil, err
	}
	svc := flows.New(w, opts.Flows)
	creds := srv.Demo()
	if _, err := svc.AddPersonalChecked(ctx, "acme-personal", env, crypto.SecretString(creds.PersonalToken)); err != nil {
		return nil, fmt.Errorf("demo personal token: %w", err)
	}
	if err := fillClient(ctx, svc, env, creds, opts); err != nil {
		return nil, err
	}
	return &Demo{Server: srv, Service: svc, Dir: opts.Dir}, nil
}

// fillClient adds the OAuth client with its certificate and JOSE keys,
// then its users.
func fillClient(ctx context.Context, svc *flows.Service, env flows.Environment, creds localwise.DemoCredentials, opts Options) error {
	if _, err := svc.AddClient(ctx, flows.ClientInput{Name: "acme-app", Env: env, ClientID: creds.ClientID,
		Secret: crypto.SecretString(creds.ClientSecret), RedirectURL: creds.RedirectURL, Check: true}); err != nil {
		return fmt.Errorf("demo OAuth client: %w", err)
	}
	// The client's certificate, before its user is made: from then on its
	// calls go to localwise's mTLS listener, as a partner's go to Wise's.
	if err := addCertificate(ctx, svc, creds); err != nil {
		return fmt.Errorf("demo mTLS certificate: %w", err)
	}
	// Its JOSE keys, uploaded, and Wise's fetched: the dashboard counts
	// both keys down, and the playgrounds work from the first screen (and
	// the SCA PIN and device bodies are encrypted to Wise's key).
	if err := addJOSEKeys(ctx, svc, opts.JOSEValidity); err != nil {
		return fmt.Errorf("demo JOSE keys: %w", err)
	}
	if _, err := svc.LoginRegistrationCode(ctx, flows.RegistrationRequest{Client: "acme-app", As: "partner-user", Email: "partner.user@localwise.test"}); err != nil {
		return fmt.Errorf("demo registration-code login: %w", err)
	}
	if err := loginDemoUser(ctx, svc, creds); err != nil {
		return fmt.Errorf("demo authorization-code login: %w", err)
	}
	return nil
}

// DemoSCAUser is localwise's demo user logged in by authorization code
// for its personal profile, with no PIN and no device yet: ready for the
// 2FA setup (a user a partner created has no profile, so no challenge or
// SCA session of its own). The personal token gets no SCA key here: Wise
// has withdrawn it, and the setup makes one in a key press.
const DemoSCAUser = "demo-user"

// loginDemoUser logs the demo user in through the client's real
// authorization-code flow, in paste mode: the demo plays the person on
// localwise's authorize page (log in, approve the personal profile) and
// pastes the code the page shows.
func loginDemoUser(ctx context.Context, svc *flows.Service, creds localwise.DemoCredentials) error {
	var authURL string
	_, err := svc.Login(ctx, flows.LoginRequest{Client: "acme-app", As: DemoSCAUser, Paste: true,
		ShowURL: func(u string) { authURL = u },
		ReadPasted: func(ctx context.Context) (string, error) {
			return approveOnPage(ctx, authURL, creds.UserEmail, creds.UserPassword, creds.PersonalProfileID)
		}})
	return err
}

// The fields of localwise's authorize pages that the demo reads.
var (
	// Compiled on first use, not at package init, which every start pays.
	pageRequest = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`name="request" value="([^"]+)"`) })
	pageAction  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`<form method="post" action="([^"]+)"`) })
	pageCode    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`<code id="code">([^<]+)</code>`) })
)

// approveOnPage answers localwise's authorize page as the person would:
// the login form, then the consent form for profile; it returns the code
// the showCode page shows.
func approveOnPage(ctx context.Context, authURL, email, password string, profile int64) (string, error) {
	hc := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page := func(method, target string, form url.Values) (string, error) {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequestWithContext(ctx, method, target, body)
		if err != nil {
			return "", err
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		var b []byte
		if err := fetch(hc, req, &b); err != nil {
			return "", err
		}
		return string(b), nil
	}
	// next is where a page's form posts, resolved as a browser does.
	next := func(html string) (string, error) {
		base, err := url.Parse(authURL)
		m := pageAction().FindStringSubmatch(html)
		if err != nil || m == nil {
			return "", fmt.Errorf("the authorize page has no form")
		}
		ref, err := url.Parse(m[1])
		if err != nil {
			return "", err
		}
		return base.ResolveReference(ref).String(), nil
	}
	login, err := page(http.MethodGet, authURL, nil)
	if err != nil {
		return "", err
	}
	target, err := next(login)
	m := pageRequest().FindStringSubmatch(login)
	if err != nil || m == nil {
		return "", fmt.Errorf("the authorize page has no login form")
	}
	consent, err := page(http.MethodPost, target, url.Values{"request": {m[1]}, "email": {email}, "password": {password}})
	if err != nil {
		return "", err
	}
	target, err = next(consent)
	m = pageRequest().FindStringSubmatch(consent)
	if err != nil || m == nil {
		return "", fmt.Errorf("the login was not taken: no consent form")
	}
	shown, err := page(http.MethodPost, target, url.Values{"request": {m[1]}, "decision": {"approve"}, "profileId": {strconv.FormatInt(profile, 10)}})
	if err != nil {
		return "", err
	}
	if m = pageCode().FindStringSubmatch(shown); m == nil {
		return "", fmt.Errorf("the consent page showed no code")
	}
	return m[1], nil
}

// Close stops localwise. The caller removes the folder.
func (d *Demo) Close() error { return d.Server.Close() }

// addCertificate makes the demo's mTLS entry as a partner would: a key and
// CSR in the wallet, the CSR signed by the Developer Hub stand-in (its
// JSON endpoint, over HTTP), the certificate and Wise's CA imported.
func addCertificate(ctx context.Context, svc *flows.Service, creds localwise.DemoCredentials) error {
	if _, err := svc.MTLSKeygen(ctx, flows.MTLSKeyInput{Name: "acme-mtls", Client: "acme-app", Org: "Acme Payments Ltd", Country: "GB",
		CertName: "acme-payouts", MTLSURL: creds.MTLSURL}); err != nil {
		return err
	}
	csr, err := svc.MTLSCSR("acme-mtls")
	if err != nil {
		return err
	}
	cert, ca, err := signAtHub(ctx, creds, "acme-payouts", csr)
	if err != nil {
		return err
	}
	_, err = svc.MTLSImportCert(ctx, "acme-mtls", cert, ca)
	return err
}

// The demo client's JOSE entries.
const (
	DemoJOSESigning    = "acme-jose-sig"
	DemoJOSEEncryption = "acme-jose-enc"
)

// addJOSEKeys makes the demo client's signing and encryption keys as a
// partner would: each made in the wallet and its public key uploaded to
// localwise, then Wise's own keys fetched into the client entry.
func addJOSEKeys(ctx context.Context, svc *flows.Service, validFor time.Duration) error {
	for _, k := range []struct{ name, use string }{{DemoJOSESigning, flows.JOSEUseSig}, {DemoJOSEEncryption, flows.JOSEUseEnc}} {
		if _, err := svc.JOSEKeygen(ctx, flows.JOSEKeyInput{Name: k.name, Use: k.use, ValidFor: validFor, For: "acme-app"}); err != nil {
			return err
		}
		if _, err := svc.JOSEUpload(ctx, k.name); err != nil {
			return err
		}
	}
	_, err := svc.JOSEWiseKeys(ctx, "acme-app")
	return err
}

// signAtHub posts csr to the Developer Hub stand-in's JSON endpoint and
// downloads the CA, as "Get Wise Certificate" does.
func signAtHub(ctx context.Context, creds localwise.DemoCredentials, name, csr string) (cert, ca []byte, err error) {
	hc := &http.Client{Timeout: 10 * time.Second}
	body, err := json.Marshal(map[string]string{"name": name, "csr": csr})
	if err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, creds.APIURL+"/developer-hub/api/certificates", bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(creds.ClientID, creds.ClientSecret)
	var issued struct {
		Certificate string `json:"certificate"`
	}
	if err := fetch(hc, req, &issued); err != nil {
		return nil, nil, err
	}
	req, err = http.NewRequestWithContext(ctx, http.MethodGet, creds.CACertificateURL, nil)
	if err != nil {
		return nil, nil, err
	}
	var caPEM []byte
	if err := fetch(hc, req, &caPEM); err != nil {
		return nil, nil, err
	}
	return []byte(issued.Certificate), caPEM, nil
}

// fetch sends req and reads a 2xx answer into out: JSON, or raw bytes for
// a *[]byte.
func fetch(hc *http.Client, req *http.Request, out any) error {
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: HTTP %d %.200s", req.Method, req.URL.Path, resp.StatusCode, data)
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = data
		return nil
	}
	return json.Unmarshal(data, out)
}
