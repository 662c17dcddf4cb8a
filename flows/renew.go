package flows

import (
	"context"
	"errors"
	"time"
)

// Renewal: when an entry's access token is renewed (refreshDue,
// NextRefresh), the Renewer that schedules it with back-off after a
// failure, and Service.Refresh that does it. The Renewer is pure and
// driven by the caller's clock, so the dashboard keeps I/O out of its
// Update, and `demo --plain`, a future agent and `exec` share one rule.

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

// NextRefresh is when v's access token is next due for renewal (the rule
// of refreshDue), so a live view can wait for that moment instead of
// asking every second. ok is false when nothing in v is renewed.
func NextRefresh(v EntryView) (at time.Time, ok bool) {
	if !v.Renews() {
		return time.Time{}, false
	}
	if v.AccessExpiresAt == nil {
		return time.Time{}, true // a user entry without a token: due now
	}
	exp := *v.AccessExpiresAt
	if v.AccessIssuedAt != nil && exp.After(*v.AccessIssuedAt) {
		return exp.Add(-exp.Sub(*v.AccessIssuedAt) / 4), true
	}
	return exp.Add(-time.Minute), true
}

// RefreshResult is what Refresh did for one entry.
type RefreshResult struct {
	Name string
	At   time.Time
	// Err is nil when the token was renewed. It wraps ErrNeedsLogin (as a
	// *NeedsLoginError), ErrUnavailable or ErrInvalidClient, and an
	// *APIError with the x-trace-id when Wise answered.
	Err error
}

// Refresh renews the access tokens of the named entries that are due,
// as the wallet holds them now (another process may have renewed one
// since the names were chosen; it is then left out). It goes on after a
// failure (one revoked login must not keep the others from being
// renewed) and reports each outcome on its own; it stops when ctx ends.
func (s *Service) Refresh(ctx context.Context, names []string) []RefreshResult {
	var out []RefreshResult
	for _, name := range names {
		e, err := s.w.Get(name)
		if err != nil {
			continue // removed or renamed meanwhile: nothing failed
		}
		if v := viewOf(e); !v.Renews() || !refreshDue(v.AccessIssuedAt, v.AccessExpiresAt, s.now()) {
			continue
		}
		_, err = s.AccessToken(ctx, name)
		out = append(out, RefreshResult{Name: name, At: s.now(), Err: err})
		if ctx.Err() != nil {
			break
		}
	}
	return out
}

// Back-off of the Renewer after a failed refresh: the first retry comes
// after FirstRetry, each next one after twice the wait before, at most
// MaxRetry.
const (
	FirstRetry = 10 * time.Second
	MaxRetry   = 5 * time.Minute
)

// Failure is the last failed refresh of one entry.
type Failure struct {
	At      time.Time // when it failed
	RetryAt time.Time // when the renewer tries again by itself
	Err     error
	Count   int // failures in a row
}

// Renewer decides when each entry's access token is renewed: when it is
// due (NextRefresh), and after a failure not before its back-off ends.
// It does no I/O and reads no clock: its callers pass the time and the
// entries in, run Service.Refresh on what Due returns, and hand the
// results back to Record. Not safe for concurrent use; one owner (a
// dashboard, a loop) keeps it.
type Renewer struct {
	failed map[string]Failure
}

// NewRenewer returns a renewer with no failures recorded.
func NewRenewer() *Renewer { return &Renewer{failed: map[string]Failure{}} }

// Due names the entries whose access token should be renewed at now.
// ignoreBackoff renews those waiting out a back-off too (a user's
// "refresh now").
func (r *Renewer) Due(entries []EntryView, now time.Time, ignoreBackoff bool) []string {
	var out []string
	for _, v := range entries {
		if !v.Renews() || !refreshDue(v.AccessIssuedAt, v.AccessExpiresAt, now) {
			continue
		}
		if f, ok := r.failed[v.Name]; ok && !ignoreBackoff && now.Before(f.RetryAt) {
			continue
		}
		out = append(out, v.Name)
	}
	return out
}

// Next is when the next renewal is due, counting back-offs (zero: none
// of entries is renewed).
func (r *Renewer) Next(entries []EntryView) time.Time {
	var next time.Time
	for _, v := range entries {
		at, ok := r.NextOf(v)
		if ok && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return next
}

// NextOf is when v is renewed next, counting its back-off.
func (r *Renewer) NextOf(v EntryView) (time.Time, bool) {
	at, ok := NextRefresh(v)
	if !ok {
		return time.Time{}, false
	}
	if f, failed := r.failed[v.Name]; failed && f.RetryAt.After(at) {
		at = f.RetryAt
	}
	return at, true
}

// Record takes the outcome of one refresh: a success ends the entry's
// back-off, a failure starts or doubles it. It returns the failure as
// recorded (ok false for a success). An entry that was gone when its
// turn came has not failed.
func (r *Renewer) Record(res RefreshResult) (Failure, bool) {
	if res.Err == nil || errors.Is(res.Err, ErrEntryNotFound) {
		delete(r.failed, res.Name)
		return Failure{}, false
	}
	f := r.failed[res.Name]
	f.Count++
	f.At, f.Err = res.At, res.Err
	f.RetryAt = res.At.Add(min(FirstRetry<<min(f.Count-1, 10), MaxRetry))
	r.failed[res.Name] = f
	return f, true
}

// Failure is the entry's last failed refresh, while it counts.
func (r *Renewer) Failure(name string) (Failure, bool) {
	f, ok := r.failed[name]
	return f, ok
}

// Observe takes a new snapshot of the entries: a failure is over once
// its entry was saved again since it failed and is fine (a new login,
// another process's refresh), or once the entry is gone.
func (r *Renewer) Observe(entries []EntryView) {
	seen := make(map[string]bool, len(entries))
	for _, v := range entries {
		seen[v.Name] = true
		if f, ok := r.failed[v.Name]; ok && v.UpdatedAt.After(f.At) && v.Status == StatusOK {
			delete(r.failed, v.Name)
		}
	}
	for name := range r.failed {
		if !seen[name] {
			delete(r.failed, name)
		}
	}
}
