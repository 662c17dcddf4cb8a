package flows

import "time"

// Due is one thing in an entry that needs the user before a deadline, as
// `status --check` reports it: no secret, only what and when.
type Due struct {
	Entry string `json:"entry"`
	// What is an expiry's name ("refresh token", "certificate", "key
	// validity", "secret age"), or the entry's state ("needs_login",
	// "revoked") when nothing in it works until the user acts.
	What string `json:"what"`
	// At is when it ends, or ended; nil for a state.
	At *time.Time `json:"at,omitempty"`
}

// Past reports whether it has already ended at now.
func (d Due) Past(now time.Time) bool { return d.At == nil || !d.At.After(now) }

// dueKinds are the expiries that end something the user must renew: an
// access token renews itself (a user's by its refresh token, a client's
// cached token on demand), and a rotated JOSE key's previous key retires
// as planned.
var dueKinds = map[string]bool{RefreshToken.String(): true, Certificate.String(): true, KeyValidity.String(): true}

// DueWithin lists what in rows needs the user before now+within: a
// refresh token, certificate or JOSE key that ends by then, a secret
// older than RotationReminder by then, and an entry that needs a login
// or was revoked (its expiries are then beside the point).
func DueWithin(rows []EntryStatus, now time.Time, within time.Duration) []Due {
	by := now.Add(within)
	var out []Due
	for _, r := range rows {
		switch r.Status {
		case string(StatusNeedsLogin), string(StatusRevoked):
			out = append(out, Due{Entry: r.Name, What: r.Status})
			continue
		}
		for _, x := range r.Expiries {
			if dueKinds[x.What] && !x.ExpiresAt.After(by) {
				at := x.ExpiresAt
				out = append(out, Due{Entry: r.Name, What: x.What, At: &at})
			}
		}
		if r.RotateAt != nil && !r.RotateAt.After(by) {
			at := *r.RotateAt
			out = append(out, Due{Entry: r.Name, What: SecretAge.String(), At: &at})
		}
	}
	return out
}
