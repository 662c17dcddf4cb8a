package flows

import (
	"context"

	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// AuditRecord is one exchange with Wise as the audit log keeps it: the
// entry it was made for, the command (CommandOf), and what wise.Exchange
// says of it, which is never a secret.
type AuditRecord = wallet.AuditRecord

// observed makes c's exchanges records of entry's, given to the audit
// sink with the command of the call's context. It returns c.
func (s *Service) observed(c *wise.Client, entry string) *wise.Client {
	if s.audit == nil {
		return c
	}
	c.Observe = func(ctx context.Context, x wise.Exchange) {
		s.audit(AuditRecord{
			Time: x.Start.UTC(), Entry: entry, Command: CommandOf(ctx),
			Method: x.Method, Host: x.Host, Path: x.Path, Status: x.Status, TraceID: x.TraceID,
			Result: x.Result, Millis: x.Duration.Milliseconds(),
		})
	}
	return c
}
