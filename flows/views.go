package flows

import (
	"slices"
	"time"

	"github.com/wisewallet/wisewallet/wallet"
)

// What front ends get of the wallet: views without secret values. A
// secret shows as its name and length; its value comes only from an
// explicit call (Service.Reveal, Service.AccessToken).

// Profile is a Wise profile a credential acts for.
type Profile = wallet.Profile

// SecretInfo is a secret an entry holds, without its value.
type SecretInfo struct {
	Name string // the field: "access_token", "client_secret", ...
	Len  int    // its length in bytes
}

// The groups of an entry's metadata (wallet's), named here so that front
// ends need not import wallet.
type (
	EntryIdentity    = wallet.Identity
	EntryOAuthClient = wallet.OAuthClient
	EntryTokens      = wallet.Tokens
	EntryKey         = wallet.Key
	EntryCertificate = wallet.Certificate
	EntryWiseKeys    = wallet.WiseKeys
	EntrySCA         = wallet.SCA
)

// EntryView is one entry without its secret values: the header, the
// metadata its description is made of (see Describe, Expiries), and its
// secrets by name and length. Its JSON is the entry's, as `show --json`
// prints it.
type EntryView struct {
	Name      string      `json:"name"`
	Kind      Kind        `json:"kind"`
	Env       Environment `json:"env"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
	// LinkedTo names the entry this one serves: a user entry's OAuth
	// client, or the token a key entry signs for.
	LinkedTo string `json:"linked_to,omitempty"`
	Status   Status `json:"status,omitempty"`

	// SecretCreatedAt dates a personal token or an OAuth client secret,
	// for the rotation reminder.
	SecretCreatedAt *time.Time `json:"secret_created_at,omitempty"`

	// The metadata groups, as the wallet keeps them; their fields read
	// through (v.ClientID) and flatten into the JSON.
	EntryIdentity
	EntryOAuthClient
	EntryTokens
	EntryKey
	EntryCertificate
	EntryWiseKeys
	EntrySCA

	// Secrets are sorted by name.
	Secrets []SecretInfo `json:"-"`
}

// Holds reports whether v holds the named secret.
func (v EntryView) Holds(field string) bool {
	for _, s := range v.Secrets {
		if s.Name == field {
			return true
		}
	}
	return false
}

// LogsInWithCode reports whether a user entry logs in again with its
// registration code (a partner-created user, with no password for
// Wise's page) rather than on Wise's page.
func (v EntryView) LogsInWithCode() bool {
	return v.Holds(wallet.SecretRegistrationCode) && v.UserEmail != ""
}

// viewOf is e without its secret values.
func viewOf(e wallet.Entry) EntryView {
	v := EntryView{
		Name: e.Name, Kind: e.Kind, Env: e.Env, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt, LinkedTo: e.LinkedTo, Status: e.Status,
		SecretCreatedAt: e.SecretCreatedAt,
		EntryIdentity:   e.Identity, EntryOAuthClient: e.OAuthClient, EntryTokens: e.Tokens, EntryKey: e.Key, EntryCertificate: e.Certificate,
		EntryWiseKeys: e.WiseKeys, EntrySCA: e.SCA,
	}
	// The groups are copied by value, but their dates and profiles would
	// still point into the wallet's contents: a front end changing a view
	// must not change the wallet.
	v.SecretCreatedAt = cloneTime(e.SecretCreatedAt)
	v.Profiles = slices.Clone(e.Profiles)
	v.AccessIssuedAt, v.AccessExpiresAt, v.RefreshExpiresAt = cloneTime(e.AccessIssuedAt), cloneTime(e.AccessExpiresAt), cloneTime(e.RefreshExpiresAt)
	v.ValidFrom, v.ValidTill = cloneTime(e.ValidFrom), cloneTime(e.ValidTill)
	v.PrevValidTill, v.PrevRetiresAt = cloneTime(e.PrevValidTill), cloneTime(e.PrevRetiresAt)
	v.WiseKeysFetchedAt = cloneTime(e.WiseKeysFetchedAt)
	v.NotAfter = cloneTime(e.NotAfter)
	v.SCAPINSet = slices.Clone(e.SCAPINSet)
	v.DeviceRegisteredAt, v.SCASessionUntil = cloneTime(e.DeviceRegisteredAt), cloneTime(e.SCASessionUntil)
	for _, f := range e.SecretFields() {
		v.Secrets = append(v.Secrets, SecretInfo{Name: f, Len: e.Secret(f).Len()})
	}
	return v
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// view is the view of what a use case stored, or its error.
func view(e wallet.Entry, err error) (EntryView, error) {
	if err != nil {
		return EntryView{}, err
	}
	return viewOf(e), nil
}

func viewsOf(entries []wallet.Entry) []EntryView {
	out := make([]EntryView, len(entries))
	for i, e := range entries {
		out[i] = viewOf(e)
	}
	return out
}

// Summary is what a listing shows of an entry. It has no secret fields,
// so marshalling it can never leak one.
type Summary struct {
	Name      string     `json:"name"`
	Kind      string     `json:"kind"`
	Env       string     `json:"env"`
	APIURL    string     `json:"api_url"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	LinkedTo  string     `json:"linked_to,omitempty"`
	Status    string     `json:"status,omitempty"`
}

// Summarize makes the listing view of an entry.
func Summarize(v EntryView) Summary {
	return Summary{
		Name:      v.Name,
		Kind:      string(v.Kind),
		Env:       string(v.Env.Name),
		APIURL:    v.Env.APIURL,
		CreatedAt: v.CreatedAt,
		ExpiresAt: v.ExpiresAt(),
		LinkedTo:  v.LinkedTo,
		Status:    string(v.Status),
	}
}

// ExpiryStatus is one expiring thing of one entry, as `status` shows it.
type ExpiryStatus struct {
	What        string    `json:"what"`
	ExpiresAt   time.Time `json:"expires_at"`
	SecondsLeft int64     `json:"seconds_left"`
	// RenewalDue: a certificate inside CertificateRenewalReminder of its
	// end, with no renewal under way.
	RenewalDue bool `json:"renewal_due,omitempty"`
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
	// RotateAt is when that secret is due for rotation (RotationReminder).
	RotateAt *time.Time `json:"rotate_at,omitempty"`
}

// StatusOf reports every entry's expiries relative to now.
func StatusOf(views []EntryView, now time.Time) []EntryStatus {
	out := make([]EntryStatus, 0, len(views))
	for _, v := range views {
		st := EntryStatus{Name: v.Name, Kind: string(v.Kind), Env: string(v.Env.Name), Status: v.StatusAt(now), Expiries: []ExpiryStatus{}}
		for _, x := range v.Expiries() {
			st.Expiries = append(st.Expiries, ExpiryStatus{What: x.Kind.String(), ExpiresAt: x.At, SecondsLeft: int64(x.At.Sub(now) / time.Second),
				RenewalDue: x.Kind == Certificate && v.CertificateRenewalDue(now)})
		}
		if specOf(v.Kind).ages && v.SecretCreatedAt != nil {
			days := int(now.Sub(*v.SecretCreatedAt).Hours() / 24)
			st.SecretAgeDays = &days
			at := v.SecretCreatedAt.Add(RotationReminder)
			st.RotateAt = &at
		}
		out = append(out, st)
	}
	return out
}
