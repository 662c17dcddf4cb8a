package flows

import (
	"context"
	"time"

	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// AuditRecord is one exchange with Wise as the audit log keeps it: the
// entry it was made for, the command (CommandOf), and what wise.Exchange
// says of it, which is never a secret.
type AuditRecord = wallet.AuditRecord

// ResultHandedOut is the Result of a hand-out record (HandOutRecord).
const ResultHandedOut = "handed_out"

// HandOutRecord is the audit record of entry's secret leaving the
// program, to where to says, by ctx's command: the log answers who took a
// token, not only which calls were made with it.
func HandOutRecord(ctx context.Context, now time.Time, entry, secret, to string) AuditRecord {
	return AuditRecord{Time: now.UTC(), Entry: entry, Command: CommandOf(ctx), Result: ResultHandedOut, Secret: secret, To: to}
}

// HandedOut records a hand-out of entry's secret (the app's copy and
// reveal) in the audit log, when one is kept.
func (s *Service) HandedOut(ctx context.Context, entry, secret, to string) {
	if s.audit != nil {
		s.audit(HandOutRecord(ctx, s.now(), entry, secret, to))
	}
}

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
