package flows

import (
	"time"

	"github.com/wisewallet/wisewallet/wallet"
)

// ExpiryStatus is one expiring thing of one entry, as `status` and the
// dashboard show it.
type ExpiryStatus struct {
	What        string    `json:"what"`
	ExpiresAt   time.Time `json:"expires_at"`
	SecondsLeft int64     `json:"seconds_left"`
}

// EntryStatus is an entry with everything in it that expires.
type EntryStatus struct {
	Name     string         `json:"name"`
	Kind     string         `json:"kind"`
	Env      string         `json:"env"`
	Status   string         `json:"status"`
	Expiries []ExpiryStatus `json:"expiries"`
	// SecretAgeDays is the age of a personal token or client secret, for
	// rotation reminders; omitted for other kinds.
	SecretAgeDays *int `json:"secret_age_days,omitempty"`
}

// StatusOf reports every entry's expiries relative to now.
func StatusOf(entries []wallet.Entry, now time.Time) []EntryStatus {
	out := make([]EntryStatus, 0, len(entries))
	for _, e := range entries {
		st := EntryStatus{Name: e.Name, Kind: string(e.Kind), Env: string(e.Env.Name), Status: statusWord(e, now), Expiries: []ExpiryStatus{}}
		for _, x := range e.Expiries() {
			st.Expiries = append(st.Expiries, ExpiryStatus{What: x.What, ExpiresAt: x.At, SecondsLeft: int64(x.At.Sub(now) / time.Second)})
		}
		if e.SecretCreatedAt != nil {
			days := int(now.Sub(*e.SecretCreatedAt).Hours() / 24)
			st.SecretAgeDays = &days
		}
		out = append(out, st)
	}
	return out
}

func statusWord(e wallet.Entry, now time.Time) string {
	switch e.Status {
	case wallet.StatusNeedsLogin:
		return "needs_login"
	case wallet.StatusRevoked:
		return "revoked"
	}
	if e.Kind == wallet.KindUser && e.RefreshExpiresAt != nil && !now.Before(*e.RefreshExpiresAt) {
		return "needs_login"
	}
	if t := e.ExpiresAt(); t != nil && !now.Before(*t) && e.Kind != wallet.KindUser {
		return "expired"
	}
	return "ok"
}
