package flows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

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
	return s.accessToken(ctx, name, crypto.Secret{})
}

// accessToken is AccessToken that also renews a token still fresh by its
// dates when it is stale: the token Wise rejected, or the one the user
// asked to replace. A stored token that differs from stale was renewed
// meanwhile (by another process) and is handed out as it is.
func (s *Service) accessToken(ctx context.Context, name string, stale crypto.Secret) (crypto.Secret, error) {
	fresh := func(e wallet.Entry, now time.Time) (crypto.Secret, bool) {
		tok := e.Secret(wallet.SecretAccessToken)
		ok := !tok.IsZero() && !refreshDue(e.AccessIssuedAt, e.AccessExpiresAt, now) && (stale.IsZero() || !tok.Equal(stale))
		return tok, ok
	}
	e, err := s.w.Get(name)
	if err != nil {
		return crypto.Secret{}, err
	}
	switch specOf(e.Kind).access {
	case accessStored:
		if e.Status == wallet.StatusRevoked {
			return crypto.Secret{}, fmt.Errorf("%q was revoked; add a new token", name)
		}
		return e.Secret(wallet.SecretToken), nil
	case accessOAuth:
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
	if tok, ok := fresh(e, now); ok {
		return tok, nil
	}
	var out crypto.Secret
	// rejected: Wise refused the refresh token; lost: an earlier attempt
	// failed after Wise may have carried it out (and rotated the token).
	var rejected, lost error
	err = s.client(e.Env, name).Retry(ctx, "POST /oauth/token", func() error {
		return s.w.Update(ctx, func(c *wallet.Contents) error {
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
			if tok, ok := fresh(e, now); ok {
				out = tok
				return errUnchanged
			}
			// One attempt: a transient failure ends this update, and retry
			// waits before the next one.
			api, err := s.apiOf(e)
			if err != nil {
				return err // an expired certificate: nothing is sent
			}
			api = api.Once()
			var t wise.Tokens
			spec := specOf(e.Kind)
			if spec.renewal == renewCached {
				t, err = api.ClientCredentials(ctx, e.ClientID, e.Secret(wallet.SecretClientSecret), now)
			} else {
				t, err = s.refreshUser(ctx, api, c, e, now)
			}
			if (errors.Is(err, ErrNeedsLogin) || errors.Is(err, wise.ErrInvalidGrant)) && spec.renewal == renewRefresh {
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
	if rejected != nil {
		nl := needsLogin(e)
		nl.Cause, nl.Lost = rejected, lost
		return crypto.Secret{}, nl
	}
	if err != nil {
		return crypto.Secret{}, err
	}
	return out, nil
}

// errUnchanged aborts an Update that found nothing to do, so no save runs.
var errUnchanged = errors.New("unchanged")

// needsLogin says that user entry e must log in again, and how.
func needsLogin(e wallet.Entry) *NeedsLoginError {
	nl := &NeedsLoginError{Entry: e.Name, Client: e.LinkedTo, Unfinished: e.Secret(wallet.SecretRefreshToken).IsZero()}
	if viewOf(e).LogsInWithCode() {
		// A partner-created user has no password for Wise's login page;
		// the registration code works until the user claims the account
		// (and then that login says to use the browser).
		nl.Email = e.UserEmail
	}
	return nl
}

func (s *Service) refreshUser(ctx context.Context, api *wise.Client, c *wallet.Contents, e wallet.Entry, now time.Time) (wise.Tokens, error) {
	client, err := c.Get(e.LinkedTo)
	if err != nil {
		// Not the wallet's ErrEntryNotFound: the entry is there, and a
		// renewer must not take it for gone.
		return wise.Tokens{}, &MissingClientError{Entry: e.Name, Client: e.LinkedTo}
	}
	refresh := e.Secret(wallet.SecretRefreshToken)
	if refresh.IsZero() {
		return wise.Tokens{}, fmt.Errorf("%q %w: it has no refresh token", e.Name, ErrNeedsLogin)
	}
	if e.RefreshExpiresAt != nil && !now.Before(*e.RefreshExpiresAt) {
		return wise.Tokens{}, fmt.Errorf("%q %w: its refresh token expired at %s", e.Name, ErrNeedsLogin, ShowTime(*e.RefreshExpiresAt, time.UTC))
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
