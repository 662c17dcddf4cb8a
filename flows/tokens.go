package flows

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
)

// Tokens is what the token endpoint returned, secrets wrapped at once.
type Tokens struct {
	Access           crypto.Secret
	Refresh          crypto.Secret
	IssuedAt         time.Time
	ExpiresAt        time.Time
	RefreshExpiresAt *time.Time
}

// tokenResponse is the wire form (reference/wise-auth.md §2b). Expiries
// come from the *_in fields; the *_at fields are a fallback (see expiry).
type tokenResponse struct {
	AccessToken           string `json:"access_token"`
	TokenType             string `json:"token_type"`
	RefreshToken          string `json:"refresh_token"`
	ExpiresIn             int64  `json:"expires_in"`
	ExpiresAt             string `json:"expires_at"`
	RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in"`
	RefreshTokenExpiresAt string `json:"refresh_token_expires_at"`
	Scope                 string `json:"scope"`
}

// maxTokenLifetime guards against absurd expires_in values (overflow).
const maxTokenLifetime = 100 * 365 * 24 * time.Hour

func (r tokenResponse) tokens(now time.Time) (Tokens, error) {
	if r.AccessToken == "" {
		return Tokens{}, fmt.Errorf("%w: the token answer has no access_token", ErrUnavailable)
	}
	t := Tokens{Access: crypto.SecretString(r.AccessToken), Refresh: crypto.SecretString(r.RefreshToken), IssuedAt: now}
	t.ExpiresAt = expiry(now, r.ExpiresAt, r.ExpiresIn)
	if r.RefreshToken != "" {
		re := expiry(now, r.RefreshTokenExpiresAt, r.RefreshTokenExpiresIn)
		if !re.IsZero() {
			t.RefreshExpiresAt = &re
		}
	}
	if t.ExpiresAt.IsZero() {
		// Wise documents 12 h; assume less so a refresh comes in time.
		t.ExpiresAt = now.Add(time.Hour)
	}
	return t, nil
}

// expiry prefers the relative *_in: it counts from the answer on our own
// clock, so a machine whose clock is hours off Wise's (a wrong time zone on
// a dual-boot laptop) still refreshes on time instead of seeing every token
// as expired. The absolute *_at, stamped by Wise's clock, is the fallback.
func expiry(now time.Time, at string, in int64) time.Time {
	if in > 0 {
		// Compare before multiplying: a huge expires_in would overflow
		// time.Duration, possibly into a small positive lifetime.
		d := maxTokenLifetime
		if in < int64(maxTokenLifetime/time.Second) {
			d = time.Duration(in) * time.Second
		}
		return now.Add(d).UTC().Truncate(time.Second)
	}
	if at != "" {
		if t, err := time.Parse(time.RFC3339Nano, at); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// tokenGrant posts one grant to /oauth/token with HTTP Basic client
// authentication, as Wise requires for every grant.
func (c *Client) tokenGrant(ctx context.Context, clientID string, secret crypto.Secret, form url.Values, now time.Time, scrub ...string) (Tokens, error) {
	var resp tokenResponse
	err := c.do(ctx, request{method: http.MethodPost, path: "/oauth/token", form: form, basicID: clientID, basicPW: secret, secrets: scrub}, &resp)
	if err != nil {
		return Tokens{}, err
	}
	return resp.tokens(now)
}

// ClientCredentials gets a client-credentials token.
func (c *Client) ClientCredentials(ctx context.Context, clientID string, secret crypto.Secret, now time.Time) (Tokens, error) {
	return c.tokenGrant(ctx, clientID, secret, url.Values{"grant_type": {"client_credentials"}}, now)
}

// ExchangeCode redeems an authorization code.
func (c *Client) ExchangeCode(ctx context.Context, clientID string, secret crypto.Secret, code, redirectURL, verifier string, now time.Time) (Tokens, error) {
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {clientID}, "code": {code}, "redirect_uri": {redirectURL}}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	return c.tokenGrant(ctx, clientID, secret, form, now, code, verifier)
}

// Refresh redeems a refresh token.
func (c *Client) Refresh(ctx context.Context, clientID string, secret crypto.Secret, refresh crypto.Secret, now time.Time) (Tokens, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh.RevealString()}}
	return c.tokenGrant(ctx, clientID, secret, form, now, refresh.RevealString())
}

// RegistrationCodeGrant gets user tokens for a partner-created user.
func (c *Client) RegistrationCodeGrant(ctx context.Context, clientID string, secret crypto.Secret, email string, code crypto.Secret, now time.Time) (Tokens, error) {
	form := url.Values{"grant_type": {"registration_code"}, "client_id": {clientID}, "email": {email}, "registration_code": {code.RevealString()}}
	return c.tokenGrant(ctx, clientID, secret, form, now, code.RevealString())
}

// refreshDue reports whether an access token should be renewed now:
// when less than a quarter of its lifetime is left (Wise recommends
// refreshing early; for a 12 h token that is 3 h before expiry). Without
// an issue time, a minute before expiry.
func refreshDue(issued, expires *time.Time, now time.Time) bool {
	if expires == nil {
		return true
	}
	left := expires.Sub(now)
	if issued != nil && expires.After(*issued) {
		return left < expires.Sub(*issued)/4
	}
	return left < time.Minute
}

// Service bundles what the use cases need besides their arguments.
type Service struct {
	Wallet *wallet.Wallet
	// HTTP is shared by all clients; nil means DefaultHTTPClient.
	HTTP *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// sleep replaces the clients' waits between retries (tests).
	sleep func(context.Context, time.Duration) error
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Second)
	}
	return time.Now().UTC().Truncate(time.Second)
}

// sharedHTTP is the client used when Service.HTTP is nil: one, so its
// connection pool is reused across calls and goroutines.
var sharedHTTP = sync.OnceValue(DefaultHTTPClient)

// client never writes to s, so one Service can serve concurrent calls
// (the terminal app runs its commands on several goroutines).
func (s *Service) client(env wallet.Environment) *Client {
	hc := s.HTTP
	if hc == nil {
		hc = sharedHTTP()
	}
	c := NewClient(env.APIURL, hc)
	c.sleep = s.sleep
	return c
}

// AccessToken returns a token that is valid now for the named entry: the
// personal token as is; for an OAuth client a client-credentials token,
// cached in the wallet for its lifetime; for a user entry the access
// token, refreshed first when it is close to expiry.
//
// Refresh follows design.md: under the wallet lock, re-checked after the
// lock is taken (another process may have refreshed meanwhile), and the
// new refresh token is saved before the access token is handed out. A
// rejected refresh token marks the entry and returns ErrNeedsLogin.
//
// The lock is held for one attempt at a time. After a transient failure
// (network, 5xx, 429) the update ends with nothing saved, the wait (the
// backoff, or Retry-After up to maxRetryAfter) happens without the lock,
// and the next attempt is a new update that first re-checks the entry:
// other processes go on using the wallet during the wait (a Retry-After
// of 30 s would otherwise make them give up on the lock), and one of them
// may have refreshed the token meanwhile.
func (s *Service) AccessToken(ctx context.Context, name string) (crypto.Secret, error) {
	e, err := s.Wallet.Get(name)
	if err != nil {
		return crypto.Secret{}, err
	}
	switch e.Kind {
	case wallet.KindPersonal:
		if e.Status == wallet.StatusRevoked {
			return crypto.Secret{}, fmt.Errorf("%q was revoked; add a new token", name)
		}
		return e.Secret(wallet.SecretToken), nil
	case wallet.KindClient, wallet.KindUser:
		if e.Status == wallet.StatusRevoked {
			// Wiped after a suspected breach: there is nothing to refresh,
			// and the mark must not be overwritten by "needs login".
			return crypto.Secret{}, fmt.Errorf("%q was revoked after a suspected breach; add or log in again under a new name, or remove it", name)
		}
	default:
		return crypto.Secret{}, fmt.Errorf("%w: %q is a %s entry, which has no access token", ErrUsage, name, e.Kind)
	}
	now := s.now()
	if e.Status == wallet.StatusNeedsLogin {
		return crypto.Secret{}, needsLogin(e)
	}
	// Fast path without the lock: most calls find a fresh token.
	if tok := e.Secret(wallet.SecretAccessToken); !tok.IsZero() && !refreshDue(e.AccessIssuedAt, e.AccessExpiresAt, now) {
		return tok, nil
	}
	var out crypto.Secret
	// rejected: Wise refused the refresh token; lost: an earlier attempt
	// failed after Wise may have carried it out (and rotated the token).
	var rejected, lost error
	err = s.client(e.Env).retry(ctx, "POST /oauth/token", func() error {
		return s.Wallet.Update(ctx, func(c *wallet.Contents) error {
			e, err := c.Get(name)
			if err != nil {
				return err
			}
			// Re-check the status under the lock too: a breach wipe or a
			// rejected refresh may have landed since the first read, and
			// must neither be overwritten nor answered with a request.
			switch e.Status {
			case wallet.StatusRevoked:
				return fmt.Errorf("%q was revoked after a suspected breach; add or log in again under a new name, or remove it", name)
			case wallet.StatusNeedsLogin:
				return needsLogin(e)
			}
			now := s.now()
			if tok := e.Secret(wallet.SecretAccessToken); !tok.IsZero() && !refreshDue(e.AccessIssuedAt, e.AccessExpiresAt, now) {
				out = tok
				return errUnchanged
			}
			// One attempt: a transient failure ends this update, and retry
			// waits before the next one.
			api := s.client(e.Env)
			api.single = true
			var t Tokens
			if e.Kind == wallet.KindClient {
				t, err = api.ClientCredentials(ctx, e.ClientID, e.Secret(wallet.SecretClientSecret), now)
			} else {
				t, err = s.refreshUser(ctx, api, c, e, now)
			}
			if errors.Is(err, ErrNeedsLogin) && e.Kind == wallet.KindUser {
				// Keep the entry and everything in it; mark it so the
				// dashboard and `status` say what to do.
				e.Status = wallet.StatusNeedsLogin
				e.UpdatedAt = now
				rejected = err
				return c.Put(e)
			}
			if err != nil {
				if transient(ctx, err) && mayHaveActed(err) {
					lost = err
				}
				return err
			}
			applyTokens(&e, t, now)
			out = t.Access
			return c.Put(e)
		})
	})
	if errors.Is(err, errUnchanged) {
		err = nil
	}
	if rejected != nil && lost != nil {
		return crypto.Secret{}, fmt.Errorf("%w: %w (an earlier attempt got no answer, %v; Wise may have used the refresh token then)", needsLogin(e), rejected, lost)
	}
	if rejected != nil {
		return crypto.Secret{}, fmt.Errorf("%w: %w", needsLogin(e), rejected)
	}
	if err != nil {
		return crypto.Secret{}, err
	}
	return out, nil
}

// errUnchanged aborts an Update that found nothing to do, so no save runs.
var errUnchanged = errors.New("unchanged")

func needsLogin(e wallet.Entry) error {
	hint := fmt.Sprintf("run 'wisewallet login %s --as %s'", e.LinkedTo, e.Name)
	if !e.Secret(wallet.SecretRegistrationCode).IsZero() && e.UserEmail != "" {
		// A partner-created user has no password for Wise's login page;
		// the registration code works until the user claims the account
		// (and then that login says to use the browser).
		hint = fmt.Sprintf("run 'wisewallet login %s --as %s --registration-code --email %s'", e.LinkedTo, e.Name, e.UserEmail)
	}
	why := "Wise rejected its refresh token (expired or revoked)"
	if e.Secret(wallet.SecretRefreshToken).IsZero() {
		why = "its login did not finish"
	}
	return fmt.Errorf("%w for %q: %s; %s", ErrNeedsLogin, e.Name, why, hint)
}

func (s *Service) refreshUser(ctx context.Context, api *Client, c *wallet.Contents, e wallet.Entry, now time.Time) (Tokens, error) {
	client, err := c.Get(e.LinkedTo)
	if err != nil {
		return Tokens{}, fmt.Errorf("%q needs its OAuth client %q to refresh: %w", e.Name, e.LinkedTo, err)
	}
	refresh := e.Secret(wallet.SecretRefreshToken)
	if refresh.IsZero() {
		return Tokens{}, fmt.Errorf("%w: %q has no refresh token", ErrNeedsLogin, e.Name)
	}
	if e.RefreshExpiresAt != nil && !now.Before(*e.RefreshExpiresAt) {
		return Tokens{}, fmt.Errorf("%w: the refresh token of %q expired at %s", ErrNeedsLogin, e.Name, e.RefreshExpiresAt.Format(time.RFC3339))
	}
	return api.Refresh(ctx, client.ClientID, client.Secret(wallet.SecretClientSecret), refresh, now)
}

// applyTokens records new tokens on an entry. A refresh answer without a
// refresh_token keeps the old one (Wise may or may not rotate).
func applyTokens(e *wallet.Entry, t Tokens, now time.Time) {
	e.SetSecret(wallet.SecretAccessToken, t.Access)
	issued, expires := t.IssuedAt, t.ExpiresAt
	e.AccessIssuedAt, e.AccessExpiresAt = &issued, &expires
	if !t.Refresh.IsZero() {
		e.SetSecret(wallet.SecretRefreshToken, t.Refresh)
		e.RefreshExpiresAt = t.RefreshExpiresAt
	}
	e.Status = wallet.StatusOK
	e.UpdatedAt = now
}
