package cli

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/wallet"
)

// auditSink appends the records of a Service's exchanges with Wise to the
// audit log of the wallet folder.
//
// A record that cannot be written (a full disk, a log made unsafe) is said
// once on stderr and the command goes on: the log is a record of what was
// done, not a condition of doing it. Failing instead would stop a script's
// call after Wise had acted on it, or lose a refresh whose new refresh
// token (the old one now spent) must still be saved.
type auditSink struct {
	log  *wallet.AuditLog
	warn io.Writer
	mu   sync.Mutex
	// failed is the first failure; said tells whether it was said. hold
	// keeps it until sayHeld: the app draws on stderr.
	failed error
	said   bool
	hold   bool
}

// audit is the sink of this run's wallet folder, or nil when there is
// none to name (then nothing is recorded, and the command has already
// failed to find its wallet).
func (sio *cliIO) audit() *auditSink {
	if sio.auditLog != nil {
		return sio.auditLog
	}
	dir, err := sio.walletDir()
	if err != nil {
		return nil
	}
	sio.auditLog = &auditSink{log: wallet.NewAuditLog(dir), warn: sio.stderr}
	return sio.auditLog
}

// record is a flows.Options.Audit.
func (a *auditSink) record(r flows.AuditRecord) {
	err := a.log.Append(r)
	if err == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.failed != nil {
		return
	}
	a.failed = err
	if !a.hold {
		a.say()
	}
}

func (a *auditSink) say() {
	if a.said || a.failed == nil {
		return
	}
	a.said = true
	fmt.Fprintf(a.warn, "wisewallet: the audit log %s could not be written (%s); carrying on without it\n", a.log.Path(), cliWords(a.failed))
}

// sayHeld says a failure held back while the app had the screen.
func (a *auditSink) sayHeld() {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.say()
}

// handedOut records in the audit log that entry's secret went to `to`
// (token, exec, show --reveal), whether the agent or this process had
// it: a secret that leaves the program is a use of the entry even when
// no call to Wise is made.
func (sio *cliIO) handedOut(ctx context.Context, entry, secret, to string) {
	if a := sio.audit(); a != nil {
		a.record(flows.HandOutRecord(ctx, time.Now(), entry, secret, to))
	}
}

// serviceOptions are the flows options of every Service the command line
// builds: the 429 waits said on stderr (unless quiet: the app's screen),
// and the audit log.
func (sio *cliIO) serviceOptions(quiet bool) flows.Options {
	var opts flows.Options
	if !quiet {
		opts.OnRateLimit = sio.sayRateLimitWait
	}
	if a := sio.audit(); a != nil {
		a.mu.Lock()
		a.hold = a.hold || quiet
		a.mu.Unlock()
		opts.Audit = a.record
	}
	return opts
}
