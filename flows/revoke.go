package flows

import (
	"context"

	"github.com/wisewallet/wisewallet/wallet"
)

// MarkBreached handles "I suspect a breach" for one entry: it removes
// every secret the wallet holds for it and marks it revoked, in one save.
// The metadata stays, so the user still sees what to revoke at Wise (see
// EntryView.RevokeAdvice); the wallet cannot revoke anything at Wise
// itself, which has no revocation endpoint.
func (s *Service) MarkBreached(ctx context.Context, name string) (EntryView, error) {
	var out wallet.Entry
	err := s.w.Update(ctx, func(c *wallet.Contents) error {
		e, err := c.Get(name)
		if err != nil {
			return err
		}
		e.Secrets = nil
		// Expiries of tokens that are gone would only count down to nothing.
		e.AccessIssuedAt, e.AccessExpiresAt, e.RefreshExpiresAt = nil, nil, nil
		e.Status = wallet.StatusRevoked
		e.UpdatedAt = s.now()
		out = e
		return c.Put(e)
	})
	if err != nil {
		return EntryView{}, err
	}
	return viewOf(out), nil
}
