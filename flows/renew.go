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
	// Gone: the entry itself was removed or renamed before its refresh
	// ran; nothing failed (Err says so). A user entry whose OAuth client
	// is gone is not Gone: it fails with a *MissingClientError.
	Gone bool
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
		// Only the entry's own lookups can still say ErrEntryNotFound: a
		// missing client is a *MissingClientError.
		out = append(out, RefreshResult{Name: name, At: s.now(), Gone: errors.Is(err, ErrEntryNotFound), Err: err})
		if ctx.Err() != nil {
			break
		}
	}
	return out
}

// Back-off of the Renewer after a failed refresh: the first retry comes
// after FirstRetry, each next one after twice the wait before, at most
// MaxRetry. A Retry-After from Wise that is longer is kept, up to
// MaxRetryAfterWait.
const (
	FirstRetry        = 10 * time.Second
	MaxRetry          = 5 * time.Minute
	MaxRetryAfterWait = time.Hour
)

// Failure is the last failed refresh of one entry.
type Failure struct {
	At      time.Time // when it failed
	RetryAt time.Time // when the renewer tries again by itself, unless Held
	// Held: a failure retrying cannot fix (Wise rejected the client's id
	// or secret, the client is gone, a usage error). The renewer does not
	// try again until the entry or its OAuth client is saved again.
	Held  bool
	Err   error
	Count int // failures in a row
}

// Outcome is what Record made of one refresh.
type Outcome int

const (
	Renewed Outcome = iota + 1 // the access token was renewed
	Failed                     // the refresh failed; see the Failure
	Skipped                    // the entry was gone: nothing renewed, nothing failed
)

// Renewer decides when each entry's access token is renewed: when it is
// due (NextRefresh), and after a failure not before its back-off ends.
// It does no I/O and reads no clock: its callers pass the time and the
// entries in, run Service.Refresh on what Due returns, and hand the
// results back to Record. Not safe for concurrent use; one owner (a
// dashboard, a loop) keeps it. The zero value is ready to use.
type Renewer struct {
	failed map[string]Failure
}

// NewRenewer returns a renewer with no failures recorded.
func NewRenewer() *Renewer { return &Renewer{} }

// Due names the entries whose access token should be renewed at now.
// ignoreBackoff renews those waiting out a back-off or held too (a
// user's "refresh now").
func (r *Renewer) Due(entries []EntryView, now time.Time, ignoreBackoff bool) []string {
	var out []string
	for _, v := range entries {
		if !v.Renews() || !refreshDue(v.AccessIssuedAt, v.AccessExpiresAt, now) {
			continue
		}
		if f, ok := r.failed[v.Name]; ok && !ignoreBackoff && f.waiting(now) {
			continue
		}
		out = append(out, v.Name)
	}
	return out
}

// waiting reports whether f still keeps its entry from being renewed at
// now. A RetryAt further from now than f's own wait can only come from a
// clock set back: it is over, or the entry would wait for hours.
func (f Failure) waiting(now time.Time) bool {
	if f.Held {
		return true
	}
	return now.Before(f.RetryAt) && f.RetryAt.Sub(now) <= max(MaxRetry, f.RetryAt.Sub(f.At))
}

// Next is when the next renewal is due, counting back-offs (zero: none
// of entries is renewed by itself).
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

// NextOf is when v is renewed next, counting its back-off; ok is false
// when it is not renewed by itself (nothing to renew, or held).
func (r *Renewer) NextOf(v EntryView) (time.Time, bool) {
	at, ok := NextRefresh(v)
	if !ok {
		return time.Time{}, false
	}
	if f, failed := r.failed[v.Name]; failed {
		if f.Held {
			return time.Time{}, false
		}
		if f.RetryAt.After(at) {
			at = f.RetryAt
		}
	}
	return at, true
}

// Record takes the outcome of one refresh at now (the clock Due and
// Observe are given): a success ends the entry's back-off, a failure
// starts or doubles it, or holds the entry when retrying cannot help. An
// entry that was gone when its turn came has not failed (Skipped). The
// Failure is the one recorded, for Failed.
func (r *Renewer) Record(res RefreshResult, now time.Time) (Outcome, Failure) {
	switch {
	case res.Gone:
		delete(r.failed, res.Name)
		return Skipped, Failure{}
	case res.Err == nil:
		delete(r.failed, res.Name)
		return Renewed, Failure{}
	}
	if r.failed == nil {
		r.failed = map[string]Failure{}
	}
	f := r.failed[res.Name]
	f.Count++
	f.At, f.Err = now, res.Err
	f.Held = unfixableByRetry(res.Err)
	wait := min(FirstRetry<<min(f.Count-1, 10), MaxRetry)
	var ae *APIError
	if errors.As(res.Err, &ae) && ae.RetryAfter > wait {
		wait = min(ae.RetryAfter, MaxRetryAfterWait)
	}
	f.RetryAt = now.Add(wait)
	r.failed[res.Name] = f
	return Failed, f
}

// unfixableByRetry reports whether a refresh that failed with err fails
// the same way until something is saved: a client id or secret Wise
// rejected, a client that is gone, a usage error. A failure that is
// also transient (a 5xx that says invalid_client) is not.
func unfixableByRetry(err error) bool {
	if errors.Is(err, ErrUnavailable) {
		return false
	}
	var missing *MissingClientError
	return errors.Is(err, ErrInvalidClient) || errors.Is(err, ErrUsage) || errors.As(err, &missing)
}

// Failure is the entry's last failed refresh, while it counts.
func (r *Renewer) Failure(name string) (Failure, bool) {
	f, ok := r.failed[name]
	return f, ok
}

// Observe takes a new snapshot of the entries: a failure is over once
// its entry was saved again since it failed and is fine (a new login,
// another process's refresh), for a held failure once the OAuth client
// of a user entry was saved since, or once the entry is gone.
func (r *Renewer) Observe(entries []EntryView) {
	seen := make(map[string]EntryView, len(entries))
	for _, v := range entries {
		seen[v.Name] = v
	}
	for name, f := range r.failed {
		v, ok := seen[name]
		if !ok {
			delete(r.failed, name)
			continue
		}
		if v.Status == StatusOK && savedSince(v, f) {
			delete(r.failed, name)
			continue
		}
		// A held login waits for its client: a secret stored again, the
		// client added again, or its own token renewed with that secret.
		if c, ok := seen[v.LinkedTo]; ok && f.Held && v.LinkedTo != "" && savedSince(c, f) {
			delete(r.failed, name)
		}
	}
}

// savedSince reports whether v was saved at or after f. The wallet keeps
// whole seconds, so a save in the second f happened counts.
func savedSince(v EntryView, f Failure) bool {
	return !v.UpdatedAt.Before(f.At.Truncate(time.Second))
}
