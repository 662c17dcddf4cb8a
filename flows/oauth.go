package flows

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"log"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// ClientInput describes an OAuth client to store.
type ClientInput struct {
	Name        string
	Env         wallet.Environment
	ClientID    string
	Secret      crypto.Secret
	RedirectURL string
	// Check asks Wise for a client-credentials token before storing, so a
	// mistyped secret is caught now rather than at the first login.
	Check bool
}

// AddClient stores an OAuth client (id, secret, redirect URL).
func (s *Service) AddClient(ctx context.Context, in ClientInput) (EntryView, error) {
	return view(s.addClient(ctx, in))
}

func (s *Service) addClient(ctx context.Context, in ClientInput) (wallet.Entry, error) {
	if err := wallet.ValidateName(in.Name); err != nil {
		return wallet.Entry{}, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if strings.TrimSpace(in.ClientID) == "" {
		return wallet.Entry{}, &InputError{Input: InputClientID, Reason: ErrMissing}
	}
	if in.Secret.IsZero() {
		return wallet.Entry{}, fmt.Errorf("%w: the client secret is empty", ErrUsage)
	}
	if err := checkRedirectURL(in.RedirectURL); err != nil {
		return wallet.Entry{}, err
	}
	now := s.now()
	e := wallet.Entry{Name: in.Name, Kind: wallet.KindClient, Env: in.Env, CreatedAt: now, UpdatedAt: now,
		OAuthClient: wallet.OAuthClient{ClientID: in.ClientID, RedirectURL: in.RedirectURL}, SecretCreatedAt: &now}
	e.SetSecret(wallet.SecretClientSecret, in.Secret)
	if in.Check {
		t, err := s.client(in.Env, in.Name).ClientCredentials(ctx, in.ClientID, in.Secret, now)
		if err != nil {
			return wallet.Entry{}, fmt.Errorf("the client was not stored: %w", err)
		}
		applyTokens(&e, t, now)
	}
	err := s.w.Update(ctx, func(c *wallet.Contents) error { return c.Add(e) })
	return e, err
}

// LoginRequest drives the authorization-code login.
type LoginRequest struct {
	Client string // the client entry
	As     string // the user entry to create or replace
	// Paste makes the user paste the redirected URL or the code instead of
	// a loopback listener catching it (SSH sessions, non-loopback redirect
	// URLs).
	Paste bool
	// NoPKCE leaves out the PKCE S256 challenge, which is sent by default.
	// Wise does not document PKCE, but the state travels in the browser's
	// command line (readable by other local users in /proc), and so does
	// the code when the redirect lands; with PKCE a code caught by someone
	// else is useless without the verifier, which never leaves this
	// process. NoPKCE is for a server that refuses the challenge.
	NoPKCE  bool
	Timeout time.Duration // for the loopback callback; default 5 minutes
	// ShowURL tells the user where to log in; always called.
	ShowURL func(authorizeURL string)
	// OpenBrowser opens the system browser; nil or an error just means the
	// user opens the printed URL by hand.
	OpenBrowser func(authorizeURL string) error
	// ReadPasted returns what the user pasted (Paste mode).
	ReadPasted func(ctx context.Context) (string, error)
	// Repaste, when set, is told why a pasted code is asked for again
	// (Wise refused it, or it could not be read; left more pastes remain)
	// before ReadPasted is called again. Without it, the first paste is
	// the only one.
	Repaste func(reason error, left int)
	// Listening is told the loopback address once it accepts callbacks.
	Listening func(addr string)
}

// MaxPastes is how many times a paste-mode login takes a pasted code
// (with LoginRequest.Repaste): the first paste and two more after a code
// Wise refused or that could not be read.
const MaxPastes = 3

// pasteAgainError marks an exchange failure that a code pasted again can
// fix: Wise refused this code, not the login.
type pasteAgainError struct{ err error }

func (e *pasteAgainError) Error() string { return e.err.Error() }
func (e *pasteAgainError) Unwrap() error { return e.err }

// Errors of the login flow.
var (
	ErrLoginDenied  = errors.New("access was denied on the Wise authorization page")
	ErrLoginTimeout = errors.New("no login came back in time")
	ErrStateInvalid = errors.New("the redirect's state does not match this login")
	ErrLoginRefused = errors.New("login refused")
)

const defaultLoginTimeout = 5 * time.Minute

// Login runs the authorization-code grant for the client entry req.Client
// and stores the user's tokens as entry req.As, linked to the client.
func (s *Service) Login(ctx context.Context, req LoginRequest) (EntryView, error) {
	return view(s.login(ctx, req))
}

func (s *Service) login(ctx context.Context, req LoginRequest) (wallet.Entry, error) {
	if err := wallet.ValidateName(req.As); err != nil {
		return wallet.Entry{}, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	client, err := s.loginClient(req.Client, req.As)
	if err != nil {
		return wallet.Entry{}, err
	}
	if client.RedirectURL == "" {
		return wallet.Entry{}, &InputError{Input: InputRedirectURL, Entry: client.Name, Reason: ErrMissing}
	}
	// The code is exchanged over mTLS when the client has a certificate:
	// an expired one must stop the login before the browser opens.
	api, err := s.apiOf(client)
	if err != nil {
		return wallet.Entry{}, err
	}
	state := base64.RawURLEncoding.EncodeToString(crypto.RandomBytes(32))
	var verifier string
	q := url.Values{"client_id": {client.ClientID}, "redirect_uri": {client.RedirectURL}, "state": {state}}
	if !req.NoPKCE {
		verifier = base64.RawURLEncoding.EncodeToString(crypto.RandomBytes(32))
		sum := sha256.Sum256([]byte(verifier))
		q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
		q.Set("code_challenge_method", "S256")
	}
	loopback := isLoopbackRedirect(client.RedirectURL)
	paste := req.Paste || !loopback
	if paste {
		// Wise then shows the code on its page instead of redirecting.
		q.Set("forwardingMode", "showCode")
	}
	authURL := client.Env.AuthorizeURL
	if authURL == "" {
		return wallet.Entry{}, fmt.Errorf("%w: client %q has no authorize URL for its environment", ErrUsage, client.Name)
	}
	sep := "?"
	if strings.Contains(authURL, "?") {
		sep = "&"
	}
	authURL += sep + q.Encode()

	if req.ShowURL == nil {
		// Documented as always called, but a caller that forgets it must
		// get a login that times out, not a panic.
		req.ShowURL = func(string) {}
	}
	exchange := func(cb callback, now time.Time) (wise.Tokens, error) {
		t, err := api.ExchangeCode(ctx, client.ClientID, client.Secret(wallet.SecretClientSecret), cb.code, client.RedirectURL, verifier, now)
		if err == nil {
			return t, nil
		}
		// invalid_grant here means this code, not a stored login, was
		// refused; it must not read (or exit) as "log in again later".
		// Wise's error stays in the chain, for its x-trace-id.
		var lost *wise.AfterLostAnswer
		switch {
		case errors.Is(err, wise.ErrInvalidGrant) && errors.As(err, &lost):
			// The exchange was retried after an attempt whose answer was
			// lost; Wise may have redeemed the code then, and a code works
			// once.
			return wise.Tokens{}, fmt.Errorf("%w: Wise refused the authorization code, which may already have been used: an earlier attempt to redeem it got no answer (%v), and a code works only once; log in again for a new code: %w",
				ErrLoginRefused, lost.Earlier, err)
		case errors.Is(err, wise.ErrInvalidGrant):
			return wise.Tokens{}, &pasteAgainError{fmt.Errorf("%w: Wise refused the authorization code (codes work once and expire within minutes; the redirect URL must match): %w", ErrLoginRefused, err)}
		}
		return wise.Tokens{}, fmt.Errorf("exchanging the authorization code: %w", err)
	}
	var cb callback
	var t wise.Tokens
	var now time.Time
	if paste {
		if req.ReadPasted == nil {
			return wallet.Entry{}, fmt.Errorf("%w: the redirect URL is not a loopback address, so the code must be pasted, and there is no terminal to paste it in", ErrUsage)
		}
		req.ShowURL(authURL)
		if req.OpenBrowser != nil {
			_ = req.OpenBrowser(authURL)
		}
		// A code mistyped (or pasted short) can be pasted again, up to
		// MaxPastes in all, when the caller can say why it is asked again.
		pastes := 1
		if req.Repaste != nil {
			pastes = MaxPastes
		}
		for try := 1; ; try++ {
			text, err := req.ReadPasted(ctx)
			if err != nil {
				return wallet.Entry{}, err
			}
			cb, err = parsePasted(text, state)
			if err == nil {
				now = s.now()
				t, err = exchange(cb, now)
			}
			var again *pasteAgainError
			if errors.As(err, &again) {
				err = again.err
			}
			if err == nil {
				break
			}
			if try >= pastes || (again == nil && !errors.Is(err, ErrUsage) && !errors.Is(err, ErrStateInvalid)) {
				return wallet.Entry{}, err
			}
			req.Repaste(err, pastes-try)
		}
	} else {
		timeout := req.Timeout
		if timeout <= 0 {
			timeout = defaultLoginTimeout
		}
		var err error
		cb, err = awaitCallback(ctx, client.RedirectURL, state, timeout, func(addr string) {
			if req.Listening != nil {
				req.Listening(addr)
			}
			req.ShowURL(authURL)
			if req.OpenBrowser != nil {
				_ = req.OpenBrowser(authURL)
			}
		})
		if err != nil {
			return wallet.Entry{}, err
		}
		now = s.now()
		t, err = exchange(cb, now)
		var again *pasteAgainError
		if errors.As(err, &again) {
			err = again.err
		}
		if err != nil {
			return wallet.Entry{}, err
		}
	}
	e := wallet.Entry{Name: req.As, Kind: wallet.KindUser, Env: client.Env, CreatedAt: now, LinkedTo: client.Name, Identity: wallet.Identity{ProfileID: cb.profileID}}
	applyTokens(&e, t, now)
	return s.saveLogin(ctx, api, e)
}

// saveLogin stores the tokens of a login at once, then adds who logged in.
// The tokens come first because they cannot be fetched again: the code
// that bought them is spent. Their save ignores cancellation (a Ctrl-C
// after the exchange must not throw them away; the lock wait is still
// bounded). Who logged in is useful but not essential: fetched afterwards,
// best effort, and recorded only if the entry still holds these tokens.
// An identity that could not be fetched is filled in by a later whoami.
func (s *Service) saveLogin(ctx context.Context, api *wise.Client, e wallet.Entry) (wallet.Entry, error) {
	e, err := s.putUser(context.WithoutCancel(ctx), e)
	if err != nil {
		return wallet.Entry{}, err
	}
	access := e.Secret(wallet.SecretAccessToken)
	id, err := s.identify(ctx, api, access)
	if err != nil {
		return e, nil
	}
	var withID wallet.Entry
	err = s.w.Update(ctx, func(c *wallet.Contents) error {
		cur, err := c.Get(e.Name)
		if err != nil || !cur.Secret(wallet.SecretAccessToken).Equal(access) {
			return errUnchanged // removed or logged in again meanwhile
		}
		recordIdentity(&cur, id)
		withID = cur
		return c.Put(cur)
	})
	if err != nil {
		// The tokens are saved; only the identity is missing.
		return e, nil
	}
	return withID, nil
}

// loginClient checks the client entry and that `as` may be (re)written.
func (s *Service) loginClient(clientName, as string) (wallet.Entry, error) {
	client, err := s.w.Get(clientName)
	if err != nil {
		return wallet.Entry{}, err
	}
	if client.Kind != wallet.KindClient {
		return wallet.Entry{}, &KindError{Entry: clientName, Kind: client.Kind, Want: wallet.KindClient}
	}
	if old, err := s.w.Get(as); err == nil && (old.Kind != wallet.KindUser || old.LinkedTo != clientName) {
		return wallet.Entry{}, &NameTakenError{Name: as, Client: clientName}
	}
	return client, nil
}

// putUser stores a user entry, keeping the creation date of the entry it
// replaces (a re-login), and returns the entry as stored.
func (s *Service) putUser(ctx context.Context, e wallet.Entry) (wallet.Entry, error) {
	err := s.w.Update(ctx, func(c *wallet.Contents) error {
		if old, err := c.Get(e.Name); err == nil {
			if old.Kind != wallet.KindUser {
				return fmt.Errorf("%w: %q", wallet.ErrEntryExists, e.Name)
			}
			e.CreatedAt = old.CreatedAt
			if e.Secret(wallet.SecretRegistrationCode).IsZero() {
				e.SetSecret(wallet.SecretRegistrationCode, old.Secret(wallet.SecretRegistrationCode))
			}
		}
		e.UpdatedAt = s.now()
		return c.Put(e)
	})
	return e, err
}

type callback struct {
	code      string
	profileID int64
}

func isLoopbackRedirect(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Port() == "" {
		return false
	}
	return isLoopbackHost(u.Hostname())
}

// Timeouts of the one-callback listener. A browser sends its one request
// at once; a connection that dawdles (another local user holding sockets
// open, or a keep-alive after the answer) must not hold the listener.
const (
	callbackReadHeaderTimeout = 5 * time.Second
	callbackReadTimeout       = 10 * time.Second
	callbackWriteTimeout      = 10 * time.Second
	callbackIdleTimeout       = 2 * time.Second
	callbackMaxHeaderBytes    = 16 << 10
)

// awaitCallback listens on the redirect URL's loopback address for one
// authorization response, as RFC 8252 §7.3 describes: loopback only, one
// accepted callback, a matching state and Host, a deadline, then close.
func awaitCallback(ctx context.Context, redirect, state string, timeout time.Duration, ready func(addr string)) (callback, error) {
	u, _ := url.Parse(redirect)
	lns, err := listenLoopback(u)
	if err != nil {
		return callback{}, err
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	type result struct {
		cb  callback
		err error
	}
	done := make(chan result, 1)
	var once sync.Once
	var mu sync.Mutex
	forged, misdirected := 0, 0
	finish := func(r result) { once.Do(func() { done <- r }) }
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if !sameHostPort(r.Host, u) {
			// A browser sends the redirect URL's own host:port. Any other
			// Host is a page that had some name resolve to 127.0.0.1 (DNS
			// rebinding) or a hand-made request: refuse it, say nothing
			// about this login, and keep waiting for the real one.
			mu.Lock()
			misdirected++
			mu.Unlock()
			w.WriteHeader(http.StatusMisdirectedRequest)
			fmt.Fprint(w, page("Login not accepted", "This request was not sent to the redirect URL wisewallet is waiting on. Nothing was stored."))
			return
		}
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
			// Not ours (a forged or stale redirect): refuse it and keep
			// waiting for the real one.
			mu.Lock()
			forged++
			mu.Unlock()
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, page("Login not accepted", "This redirect does not belong to the login wisewallet started (the state does not match). Nothing was stored."))
			return
		}
		if e := q.Get("error"); e != "" {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, page("Access denied", "Wise reports that access was not granted. Nothing was stored; you can close this tab."))
			finish(result{err: fmt.Errorf("%w (%s)", ErrLoginDenied, wise.CleanText(e, 64))})
			return
		}
		code := q.Get("code")
		if code == "" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, page("Login not accepted", "The redirect carries no authorization code."))
			finish(result{err: errors.New("the login redirect carried no code")})
			return
		}
		pid, _ := strconv.ParseInt(q.Get("profileId"), 10, 64)
		// The page never echoes the query: the code must not end up in
		// browser history screenshots or logs of this page.
		fmt.Fprint(w, page("Login received", "wisewallet has the authorization. You can close this tab and return to the terminal."))
		finish(result{cb: callback{code: code, profileID: pid}})
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: callbackReadHeaderTimeout, ReadTimeout: callbackReadTimeout,
		WriteTimeout: callbackWriteTimeout, IdleTimeout: callbackIdleTimeout, MaxHeaderBytes: callbackMaxHeaderBytes,
		ErrorLog: log.New(io.Discard, "", 0)}
	for _, ln := range lns {
		go func() { _ = srv.Serve(ln) }()
	}
	defer srv.Close()
	ready(lns[0].Addr().String())
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		// Let the success page reach the browser before closing.
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = srv.Shutdown(sctx)
		cancel()
		return r.cb, r.err
	case <-timer.C:
		mu.Lock()
		defer mu.Unlock()
		if forged > 0 || misdirected > 0 {
			return callback{}, fmt.Errorf("%w after %s; %d redirect(s) with a wrong state and %d request(s) for another host were refused", ErrLoginTimeout, timeout, forged, misdirected)
		}
		return callback{}, fmt.Errorf("%w after %s: finish the login in the browser sooner, or paste the redirected URL instead", ErrLoginTimeout, timeout)
	case <-ctx.Done():
		return callback{}, ctx.Err()
	}
}

// listenLoopback binds the loopback address of the redirect URL u. An IP
// literal is bound as it is. "localhost" is bound on both loopback stacks,
// 127.0.0.1 and [::1], on the URL's port: browsers resolve localhost to
// either (Chromium and Firefox try ::1 too), and a stack left free could
// be taken by another local user, whose listener would then get the code.
// Refusing localhost instead would break every client registered at Wise
// with a localhost redirect URL, which cannot be changed from here. So
// the port taken on either stack fails the login, saying which; only a
// machine without IPv6 loopback (where nobody can bind [::1]) is served
// on 127.0.0.1 alone. Nothing is resolved: "localhost" could be remapped.
func listenLoopback(u *url.URL) ([]net.Listener, error) {
	host, port := u.Hostname(), u.Port()
	if host != "localhost" {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
		if err != nil {
			return nil, fmt.Errorf("cannot listen on %s for the login redirect (%v); free the port, or paste the redirected URL instead", u.Host, err)
		}
		return []net.Listener{ln}, nil
	}
	ln4, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return nil, fmt.Errorf("cannot listen on 127.0.0.1:%s for the login redirect to %s (%v); free the port, or paste the redirected URL instead", port, u.Host, err)
	}
	ln6, err := net.Listen("tcp6", net.JoinHostPort("::1", port))
	switch {
	case err == nil:
		return []net.Listener{ln4, ln6}, nil
	case errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EAFNOSUPPORT):
		// No IPv6 loopback here: no one can listen on it, and a browser
		// cannot connect to it.
		return []net.Listener{ln4}, nil
	}
	ln4.Close()
	return nil, fmt.Errorf("cannot listen on [::1]:%s, the IPv6 side of the redirect URL %s (%v): another program, possibly another user's, holds that port, and a browser that resolves localhost to ::1 would hand it the login; free the port, or register a redirect URL on 127.0.0.1 instead",
		port, u.Host, err)
}

// sameHostPort reports whether a request's Host header names the redirect
// URL's host and port (a browser leaves out the default port 80).
func sameHostPort(reqHost string, u *url.URL) bool {
	want := u.Host
	if u.Port() == "80" {
		if strings.EqualFold(reqHost, strings.TrimSuffix(want, ":80")) {
			return true
		}
	}
	return strings.EqualFold(reqHost, want)
}

// parsePasted accepts the whole redirected URL (with our state) or a bare
// code as shown by Wise's showCode page.
func parsePasted(text, state string) (callback, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return callback{}, fmt.Errorf("%w: nothing was pasted", ErrUsage)
	}
	if strings.Contains(text, "://") || strings.HasPrefix(text, "?") || strings.Contains(text, "code=") {
		raw := text
		if i := strings.Index(raw, "?"); i >= 0 {
			raw = raw[i+1:]
		}
		q, err := url.ParseQuery(raw)
		if err != nil {
			return callback{}, fmt.Errorf("%w: the pasted URL cannot be read", ErrUsage)
		}
		// A redirect Wise made carries our state. One without it cannot be
		// told from a URL someone else crafted with their own code (login
		// CSRF), so only the bare code, as Wise's showCode page shows it,
		// goes without.
		if got := q.Get("state"); subtle.ConstantTimeCompare([]byte(got), []byte(state)) != 1 {
			if got == "" {
				return callback{}, fmt.Errorf("%w: the pasted URL has no state parameter; paste the whole URL the browser was sent to, or only the code", ErrStateInvalid)
			}
			return callback{}, ErrStateInvalid
		}
		if e := q.Get("error"); e != "" {
			return callback{}, fmt.Errorf("%w (%s)", ErrLoginDenied, wise.CleanText(e, 64))
		}
		code := q.Get("code")
		if code == "" {
			return callback{}, fmt.Errorf("%w: the pasted URL has no code parameter", ErrUsage)
		}
		if !plausibleCode(code) {
			return callback{}, fmt.Errorf("%w: the code in the pasted URL is not an authorization code", ErrUsage)
		}
		pid, _ := strconv.ParseInt(q.Get("profileId"), 10, 64)
		return callback{code: code, profileID: pid}, nil
	}
	if !plausibleCode(text) {
		return callback{}, fmt.Errorf("%w: that does not look like an authorization code or a redirected URL", ErrUsage)
	}
	return callback{code: text}, nil
}

// plausibleCode accepts one opaque token of visible ASCII. A URL-decoded
// code ("a%20b", "a+b") or a paste with a stray control or non-breaking
// space is a mistake, not a code worth sending to Wise.
func plausibleCode(s string) bool {
	if s == "" || len(s) > 512 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func page(title, text string) string {
	return `<!doctype html><meta charset="utf-8"><title>wisewallet: ` + html.EscapeString(title) +
		`</title><body style="font-family:sans-serif;max-width:40em;margin:4em auto"><h1>` + html.EscapeString(title) +
		`</h1><p id="message">` + html.EscapeString(text) + `</p></body>`
}

// RegistrationRequest drives the registration-code login for users a
// partner creates.
type RegistrationRequest struct {
	Client   string
	As       string
	Email    string
	Language string
}

// LoginRegistrationCode creates the Wise user if needed (POST
// /v1/user/signup/registration_code with a client-credentials token) and
// gets user tokens with the registration_code grant. The registration
// code is generated here, saved in the wallet before Wise sees it (so a
// crash cannot lose it), and never printed.
func (s *Service) LoginRegistrationCode(ctx context.Context, req RegistrationRequest) (EntryView, error) {
	return view(s.loginRegistrationCode(ctx, req))
}

func (s *Service) loginRegistrationCode(ctx context.Context, req RegistrationRequest) (wallet.Entry, error) {
	e, err := s.loginRegistrationCodeOnce(ctx, req)
	var account *ExistingAccountError
	var refused *NeedsLoginError
	if err == nil || errors.Is(err, ErrUsage) || errors.As(err, &account) || errors.As(err, &refused) {
		// Done; or refused before anything was saved, or the entry
		// removed (an existing account), or marked and worded.
		return e, err
	}
	if left, gerr := s.w.Get(req.As); gerr == nil && left.Status == wallet.StatusNeedsLogin &&
		!left.Secret(wallet.SecretRegistrationCode).IsZero() && strings.EqualFold(left.UserEmail, req.Email) {
		return e, &PendingLoginError{Entry: req.As, Client: req.Client, Email: req.Email, Err: err}
	}
	return e, err
}

func (s *Service) loginRegistrationCodeOnce(ctx context.Context, req RegistrationRequest) (wallet.Entry, error) {
	if err := wallet.ValidateName(req.As); err != nil {
		return wallet.Entry{}, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	addr, err := mail.ParseAddress(req.Email)
	if err != nil || addr.Address != req.Email {
		return wallet.Entry{}, &InputError{Input: InputEmail, Value: req.Email, Reason: ErrNotEmail}
	}
	client, err := s.loginClient(req.Client, req.As)
	if err != nil {
		return wallet.Entry{}, err
	}
	// Reuse the code of an earlier registration of this user, or make one.
	// registered: a grant with the stored code worked before, so Wise has
	// the user. Otherwise a stored code comes from an attempt that was cut
	// short, before or after its signup reached Wise.
	var code crypto.Secret
	stored, registered := false, false
	old, err := s.w.Get(req.As)
	switch {
	case err == nil && !old.Secret(wallet.SecretRegistrationCode).IsZero():
		if !strings.EqualFold(old.UserEmail, req.Email) {
			return wallet.Entry{}, fmt.Errorf("%w: %q was registered for %s, not %s", ErrUsage, req.As, old.UserEmail, req.Email)
		}
		code, stored = old.Secret(wallet.SecretRegistrationCode), true
		registered = !old.Secret(wallet.SecretRefreshToken).IsZero() || old.UserID != 0
	case err == nil:
		// A login by authorization code: replacing it with a pending entry
		// would throw its tokens away before Wise has said anything.
		return wallet.Entry{}, &NameTakenError{Name: req.As, Client: client.Name, CodeLogin: true}
	default:
		// Wise asks for at least 32 random characters; 32 bytes base64url
		// give 43.
		code = crypto.SecretString(base64.RawURLEncoding.EncodeToString(crypto.RandomBytes(32)))
		now := s.now()
		pending := wallet.Entry{Name: req.As, Kind: wallet.KindUser, Env: client.Env, CreatedAt: now, UpdatedAt: now,
			LinkedTo: client.Name, Identity: wallet.Identity{UserEmail: req.Email}, Status: wallet.StatusNeedsLogin}
		pending.SetSecret(wallet.SecretRegistrationCode, code)
		if err := s.w.Update(ctx, func(c *wallet.Contents) error { return c.Put(pending) }); err != nil {
			return wallet.Entry{}, err
		}
	}
	cc, err := s.AccessToken(ctx, client.Name)
	if err != nil {
		return wallet.Entry{}, fmt.Errorf("getting a client-credentials token for %q: %w", client.Name, err)
	}
	api, err := s.apiOf(client)
	if err != nil {
		return wallet.Entry{}, err
	}
	// A cached client-credentials token Wise rejects (401: revoked, or its
	// client's secret changed) would be handed out again until it expires,
	// up to 12 h: fetch a new one, once, and try the call again, once.
	renewed := false
	withCC := func(call func() error) error {
		err := call()
		if !errors.Is(err, wise.ErrTokenRejected) || renewed {
			return err
		}
		renewed = true
		fresh, rerr := s.replaceRejected(ctx, client.Name, cc)
		if rerr != nil {
			return fmt.Errorf("getting a new client-credentials token for %q after Wise rejected the cached one: %w", client.Name, rerr)
		}
		cc = fresh
		return call()
	}
	if !registered {
		var exists bool
		err := withCC(func() (err error) {
			exists, err = api.UserExists(ctx, cc, req.Email)
			return err
		})
		if err != nil {
			return wallet.Entry{}, err
		}
		switch {
		case exists && !stored:
			_ = s.w.Update(ctx, func(c *wallet.Contents) error { return c.Remove(req.As) })
			return wallet.Entry{}, &ExistingAccountError{Email: req.Email, Client: client.Name, As: req.As}
		case exists:
			// Possibly created by the interrupted attempt with this very
			// code: the grant below tells.
		default:
			err := withCC(func() error {
				_, err := api.SignupRegistrationCode(ctx, cc, req.Email, code, req.Language)
				return err
			})
			var lost *wise.AfterLostAnswer
			var ae *wise.APIError
			switch {
			case err != nil && errors.As(err, &lost) && errors.As(err, &ae) && ae.Status == http.StatusConflict:
				// The signup was retried after an attempt whose answer was
				// lost, and now the user exists: most likely that attempt
				// created it, with this code. The grant below tells (it
				// works only with the code the user was created with).
			case err != nil:
				return wallet.Entry{}, fmt.Errorf("creating the Wise user: %w", err)
			}
		}
	}
	now := s.now()
	t, err := api.RegistrationCodeGrant(ctx, client.ClientID, client.Secret(wallet.SecretClientSecret), req.Email, code, now)
	if err != nil {
		if errors.Is(err, wise.ErrInvalidGrant) {
			return wallet.Entry{}, &NeedsLoginError{Entry: req.As, Client: client.Name, Email: req.Email, CodeRefused: true, Cause: err}
		}
		return wallet.Entry{}, err
	}
	e := wallet.Entry{Name: req.As, Kind: wallet.KindUser, Env: client.Env, CreatedAt: now, LinkedTo: client.Name, Identity: wallet.Identity{UserEmail: req.Email}}
	applyTokens(&e, t, now)
	e.SetSecret(wallet.SecretRegistrationCode, code)
	return s.saveLogin(ctx, api, e)
}
