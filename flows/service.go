package flows

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// Options tune a Service. The zero value is what the program uses.
type Options struct {
	// HTTP is shared by every call to Wise; nil means one client with
	// timeouts on every phase (wise.DefaultHTTPClient), shared by all
	// services so its connections are reused.
	HTTP *http.Client
	// Now is the clock; nil means time.Now. Tests move it to make tokens
	// due without waiting.
	Now func() time.Time
	// OnRateLimit is told of each wait after Wise answered 429 (see
	// wise.Client.OnRateLimit); nil: the waits are silent (the app).
	OnRateLimit func(ctx context.Context, op string, wait time.Duration, retryAfter bool)
	// Audit is given a record of every exchange with Wise (the audit
	// log); nil: none is kept. It cannot fail the call: a sink that
	// cannot write says so itself.
	Audit func(AuditRecord)
}

// Service is the application API on one unlocked wallet: the use cases
// of the command line and the app. One Service serves concurrent calls
// (the app runs its commands on several goroutines); it never writes to
// itself after New.
type Service struct {
	w     *wallet.Wallet
	http  *http.Client
	clock func() time.Time
	// sleep replaces the clients' waits between retries (tests).
	sleep func(context.Context, time.Duration) error
	// onRateLimit is Options.OnRateLimit.
	onRateLimit func(ctx context.Context, op string, wait time.Duration, retryAfter bool)
	// audit is Options.Audit.
	audit func(AuditRecord)
}

// New returns the use cases on the unlocked wallet w.
func New(w *wallet.Wallet, opts Options) *Service {
	return &Service{w: w, http: opts.HTTP, clock: opts.Now, onRateLimit: opts.OnRateLimit, audit: opts.Audit}
}

func (s *Service) now() time.Time {
	if s.clock != nil {
		return s.clock().UTC().Truncate(time.Second)
	}
	return time.Now().UTC().Truncate(time.Second)
}

// sharedHTTP is the client used when Options.HTTP is nil: one, so its
// connection pool is reused across calls and goroutines.
var sharedHTTP = sync.OnceValue(wise.DefaultHTTPClient)

// client is a Wise client for env, its exchanges audited as entry's.
func (s *Service) client(env Environment, entry string) *wise.Client {
	hc := s.http
	if hc == nil {
		hc = sharedHTTP()
	}
	c := wise.NewClient(env.APIURL, hc)
	c.Sleep = s.sleep
	c.OnRateLimit = s.onRateLimit
	return s.observed(c, entry)
}

// Entries is every entry, sorted by name, without secret values. It
// reads the last saved contents and never waits for a save in progress,
// so a UI may call it on its drawing goroutine.
func (s *Service) Entries() []EntryView { return viewsOf(s.w.Entries()) }

// Entry is the named entry without its secret values; the error wraps
// ErrEntryNotFound when there is none.
func (s *Service) Entry(name string) (EntryView, error) {
	e, err := s.w.Get(name)
	if err != nil {
		return EntryView{}, err
	}
	return viewOf(e), nil
}

// List summarizes every entry, sorted by name.
func (s *Service) List() []Summary {
	entries := s.w.Entries()
	out := make([]Summary, len(entries))
	for i, e := range entries {
		out[i] = Summarize(viewOf(e))
	}
	return out
}

// Status reports every entry's expiries relative to now.
func (s *Service) Status(now time.Time) []EntryStatus { return StatusOf(s.Entries(), now) }

// Reveal returns the clear value of one secret of an entry, for a user
// who asked to see or copy it (`show --reveal`, the app's v and c). Like
// Entries it reads memory only.
func (s *Service) Reveal(name, field string) (crypto.Secret, error) {
	e, err := s.w.Get(name)
	if err != nil {
		return crypto.Secret{}, err
	}
	sec := e.Secret(field)
	if sec.IsZero() {
		return crypto.Secret{}, &NoSecretError{Entry: name, Field: field}
	}
	return sec, nil
}

// Reload takes in what other processes saved since this wallet was read.
func (s *Service) Reload(ctx context.Context) error { return s.w.Reload(ctx) }

// Stamp identifies the version of the wallet in storage cheaply (no read,
// no lock): when it differs from the last one, Reload shows a change. An
// error means "unknown": callers reload.
func (s *Service) Stamp() (Stamp, error) { return s.w.Stamp() }

// Close forgets the wallet's keys (wallet.Wallet.Close): the agent's lock.
// The Service is unusable afterwards.
func (s *Service) Close() { s.w.Close() }

// Stamp identifies one stored version of the wallet; compare with ==.
type Stamp = wallet.Stamp
