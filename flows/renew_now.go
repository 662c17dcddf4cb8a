package flows

import (
	"context"
	"errors"
	"fmt"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// RenewAccessToken renews the named entry's access token now, due or not
// (`token NAME --refresh`, the app's R on an entry): a client-credentials
// token is fetched again, a user's refreshed. A token another process
// renewed since this wallet was read counts as renewed. A personal token
// has no renewal: that is a usage error.
func (s *Service) RenewAccessToken(ctx context.Context, name string) (crypto.Secret, error) {
	e, err := s.w.Get(name)
	if err != nil {
		return crypto.Secret{}, err
	}
	if specOf(e.Kind).access == accessStored {
		return crypto.Secret{}, fmt.Errorf("%w: %q is a %s entry: wisewallet cannot renew it; make a new token at Wise and add it", ErrUsage, name, e.Kind)
	}
	stale := e.Secret(wallet.SecretAccessToken)
	if stale.IsZero() {
		// Nothing to replace: a plain AccessToken fetches one.
		return s.AccessToken(ctx, name)
	}
	return s.accessToken(ctx, name, stale)
}

// replaceRejected renews the named entry's access token after Wise
// rejected it (401), unless another process renewed it meanwhile.
func (s *Service) replaceRejected(ctx context.Context, name string, rejected crypto.Secret) (crypto.Secret, error) {
	return s.accessToken(ctx, name, rejected)
}

// withClientToken runs call with a Wise client for the OAuth client entry
// (its mTLS host when it has a certificate) and its client-credentials
// token. A cached token Wise rejects (401: revoked, or the client's
// secret changed) would be handed out again until it expires, up to 12 h:
// a new one is fetched, once, and call runs again, once.
func (s *Service) withClientToken(ctx context.Context, client wallet.Entry, call func(api *wise.Client, tok crypto.Secret) error) error {
	api, tok, err := s.clientAPI(ctx, client)
	if err != nil {
		return err
	}
	err = call(api, tok)
	if !errors.Is(err, wise.ErrTokenRejected) {
		return err
	}
	fresh, rerr := s.replaceRejected(ctx, client.Name, tok)
	if rerr != nil {
		return fmt.Errorf("getting a new client-credentials token for %q after Wise rejected the cached one: %w", client.Name, rerr)
	}
	return call(api, fresh)
}

// RenewNow is RenewAccessToken for a screen: what it did, as Refresh
// reports it, without the token.
func (s *Service) RenewNow(ctx context.Context, name string) RefreshResult {
	_, err := s.RenewAccessToken(ctx, name)
	return RefreshResult{Name: name, At: s.now(), Gone: errors.Is(err, ErrEntryNotFound), Err: err}
}
