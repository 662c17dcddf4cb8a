package flows

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

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
var sharedHTTP = sync.OnceValue(wise.DefaultHTTPClient)

// client never writes to s, so one Service can serve concurrent calls
// (the terminal app runs its commands on several goroutines).
func (s *Service) client(env wallet.Environment) *wise.Client {
	hc := s.HTTP
	if hc == nil {
		hc = sharedHTTP()
	}
	c := wise.NewClient(env.APIURL, hc)
	c.Sleep = s.sleep
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
// backoff, or Retry-After up to wise.MaxRetryAfter) happens without the lock,
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
	err = s.client(e.Env).Retry(ctx, "POST /oauth/token", func() error {
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
			api := s.client(e.Env).Once()
			var t wise.Tokens
			if e.Kind == wallet.KindClient {
				t, err = api.ClientCredentials(ctx, e.ClientID, e.Secret(wallet.SecretClientSecret), now)
			} else {
				t, err = s.refreshUser(ctx, api, c, e, now)
			}
			if (errors.Is(err, ErrNeedsLogin) || errors.Is(err, wise.ErrInvalidGrant)) && e.Kind == wallet.KindUser {
				// Keep the entry and everything in it; mark it so the
				// dashboard and `status` say what to do.
				e.Status = wallet.StatusNeedsLogin
				e.UpdatedAt = now
				rejected = err
				return c.Put(e)
			}
			if err != nil {
				if wise.Transient(ctx, err) && wise.MayHaveActed(err) {
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

func (s *Service) refreshUser(ctx context.Context, api *wise.Client, c *wallet.Contents, e wallet.Entry, now time.Time) (wise.Tokens, error) {
	client, err := c.Get(e.LinkedTo)
	if err != nil {
		return wise.Tokens{}, fmt.Errorf("%q needs its OAuth client %q to refresh: %w", e.Name, e.LinkedTo, err)
	}
	refresh := e.Secret(wallet.SecretRefreshToken)
	if refresh.IsZero() {
		return wise.Tokens{}, fmt.Errorf("%w: %q has no refresh token", ErrNeedsLogin, e.Name)
	}
	if e.RefreshExpiresAt != nil && !now.Before(*e.RefreshExpiresAt) {
		return wise.Tokens{}, fmt.Errorf("%w: the refresh token of %q expired at %s", ErrNeedsLogin, e.Name, e.RefreshExpiresAt.Format(time.RFC3339))
	}
	return api.Refresh(ctx, client.ClientID, client.Secret(wallet.SecretClientSecret), refresh, now)
}

// applyTokens records new tokens on an entry. A refresh answer without a
// refresh_token keeps the old one (Wise may or may not rotate).
func applyTokens(e *wallet.Entry, t wise.Tokens, now time.Time) {
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
