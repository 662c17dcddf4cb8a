package flows

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/wallet"
)

// Every kind the wallet knows has its row: what expires, how it renews,
// what revoking it means, how it is described, which secrets it holds.
func TestEveryKindIsDescribed(t *testing.T) {
	for _, k := range wallet.Kinds {
		spec, ok := kinds[k]
		if !ok {
			t.Errorf("kind %q has no row in flows' kind table", k)
			continue
		}
		if len(spec.secrets) == 0 || len(spec.fields) == 0 || spec.revoke == nil {
			t.Errorf("kind %q: secrets %v, %d fields, revoke advice %v: each must be said", k, spec.secrets, len(spec.fields), spec.revoke != nil)
		}
		prod, _ := ResolveEnv("production", "")
		if a := (EntryView{Kind: k, Env: prod}).RevokeAdvice(); len(a.Steps) == 0 || !strings.Contains(strings.Join(a.Steps, " "), "https://wise.com") {
			t.Errorf("kind %q: the revoke advice does not say where at Wise: %v", k, a.Steps)
		}
	}
	for k := range kinds {
		if !wallet.ValidKind(k) {
			t.Errorf("the kind table has a row for %q, which the wallet does not know", k)
		}
	}
}

// allTimes is an entry of kind k with every time set, an hour apart.
func allTimes(k Kind, base time.Time) EntryView {
	at := func(h int) *time.Time { t := base.Add(time.Duration(h) * time.Hour); return &t }
	return EntryView{Name: "e", Kind: k, CreatedAt: base, SecretCreatedAt: at(0),
		EntryTokens:      EntryTokens{AccessIssuedAt: at(1), AccessExpiresAt: at(2), RefreshExpiresAt: at(3)},
		EntryCertificate: EntryCertificate{NotAfter: at(4)},
		EntryKey:         EntryKey{ValidFrom: at(1), ValidTill: at(5)},
	}
}

func TestExpiriesAreTypedPerKind(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		kind       Kind
		expiries   []ExpiryKind
		countdowns []ExpiryKind
		lasts      *time.Time
	}{
		{KindPersonal, nil, []ExpiryKind{SecretAge}, nil},
		{KindClient, []ExpiryKind{ClientCredentialsToken}, []ExpiryKind{ClientCredentialsToken, SecretAge}, nil},
		{KindUser, []ExpiryKind{AccessToken, RefreshToken}, []ExpiryKind{AccessToken, RefreshToken}, renewTime(base.Add(3 * time.Hour))},
		{KindSCA, nil, nil, nil},
		{KindMTLS, []ExpiryKind{Certificate}, []ExpiryKind{Certificate}, renewTime(base.Add(4 * time.Hour))},
		{KindJOSE, []ExpiryKind{KeyValidity}, []ExpiryKind{KeyValidity}, renewTime(base.Add(5 * time.Hour))},
	} {
		v := allTimes(tc.kind, base)
		kindsOf := func(xs []Expiry) []ExpiryKind {
			var out []ExpiryKind
			for _, x := range xs {
				out = append(out, x.Kind)
			}
			return out
		}
		if got := kindsOf(v.Expiries()); !slices.Equal(got, tc.expiries) {
			t.Errorf("%s: expiries %v, want %v", tc.kind, got, tc.expiries)
		}
		if got := kindsOf(v.Countdowns()); !slices.Equal(got, tc.countdowns) {
			t.Errorf("%s: countdowns %v, want %v", tc.kind, got, tc.countdowns)
		}
		if got := v.ExpiresAt(); (got == nil) != (tc.lasts == nil) || got != nil && !got.Equal(*tc.lasts) {
			t.Errorf("%s: expires at %v, want %v", tc.kind, got, tc.lasts)
		}
		v.Status = StatusRevoked
		if len(v.Countdowns()) != 0 {
			t.Errorf("%s: a revoked entry still counts down", tc.kind)
		}
	}
	// Bars start when the thing began.
	user := allTimes(KindUser, base).Expiries()
	jose := allTimes(KindJOSE, base).Expiries()
	mtls := allTimes(KindMTLS, base).Expiries()
	if !user[0].Since.Equal(base.Add(time.Hour)) || !user[1].Since.Equal(base.Add(time.Hour)) || !jose[0].Since.Equal(base.Add(time.Hour)) || !mtls[0].Since.Equal(base) {
		t.Errorf("starts: access %s, refresh %s, key %s, certificate %s", user[0].Since, user[1].Since, jose[0].Since, mtls[0].Since)
	}
	age := allTimes(KindClient, base).Countdowns()[1]
	if !age.Since.Equal(base) || !age.At.Equal(base.Add(RotationReminder)) {
		t.Errorf("secret age from %s to %s, want from creation to the rotation reminder", age.Since, age.At)
	}
	// The words `status --json` prints are part of its contract.
	j, _ := json.Marshal(user)
	if !strings.Contains(string(j), `"what":"access token"`) || !strings.Contains(string(j), `"what":"refresh token"`) {
		t.Errorf("expiries as JSON: %s", j)
	}
	if ClientCredentialsToken.String() != "client-credentials token" || ClientCredentialsToken.Label() != "Cached token" {
		t.Error("the client-credentials token lost its names")
	}
}

func TestStatusAtPerKind(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	later := base.Add(10 * time.Hour)
	for _, tc := range []struct {
		v    EntryView
		want string
	}{
		{allTimes(KindUser, base), "needs_login"}, // the refresh token has run out
		{EntryView{Kind: KindUser,
			EntryTokens: EntryTokens{AccessExpiresAt: renewTime(base)},
		}, "ok"}, // an expired access token renews
		{allTimes(KindClient, base), "ok"}, // a cached token is replaced
		{allTimes(KindMTLS, base), "expired"},
		{allTimes(KindPersonal, base), "ok"},
		{EntryView{Kind: KindPersonal, Status: StatusRevoked}, "revoked"},
		{EntryView{Kind: KindUser, Status: StatusNeedsLogin}, "needs_login"},
	} {
		if got := tc.v.StatusAt(later); got != tc.want {
			t.Errorf("%s entry (status %q): %q, want %q", tc.v.Kind, tc.v.Status, got, tc.want)
		}
	}
}

func TestDescribeFollowsTheKind(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sandbox, _ := ResolveEnv("sandbox", "")
	labels := func(v EntryView) []string {
		var out []string
		for _, f := range v.Describe() {
			out = append(out, f.Label)
		}
		return out
	}
	client := allTimes(KindClient, base)
	client.Env, client.ClientID, client.RedirectURL, client.UserEmail = sandbox, "cid", "http://127.0.0.1:9/cb", "not-shown@example.test"
	if got, want := labels(client), []string{"API", "Authorize", "mTLS host", "Client id", "Redirect URL", "Created", "Secret age", "Cached token"}; !slices.Equal(got, want) {
		t.Errorf("client described as %v, want %v", got, want)
	}
	user := allTimes(KindUser, base)
	user.Env, user.UserName, user.UserEmail, user.UserID, user.LinkedTo = sandbox, "Jo", "jo@example.test", 7, "app"
	user.Profiles = []Profile{{ID: 1, Type: "personal"}, {ID: 2, Type: "business", Name: "Jo Ltd"}}
	fields := user.Describe()
	if got, want := labels(user), []string{"API", "Authorize", "mTLS host", "User", "Profiles", "", "Linked to", "Created", "Access token", "Refresh token"}; !slices.Equal(got, want) {
		t.Errorf("user described as %v, want %v", got, want)
	}
	if fields[3].Text != "Jo <jo@example.test> (user 7)" || fields[5].Text != "2 business · Jo Ltd" || fields[8].Kind != FieldExpiry || fields[8].Expiry != AccessToken {
		t.Errorf("user fields: %+v", fields)
	}
	// Only the parts of the user that are known.
	for _, c := range []struct {
		name, email string
		id          int64
		want        string
	}{
		{"Jo", "", 0, "Jo"},
		{"", "", 7, "(user 7)"},
		{"", "jo@example.test", 0, "<jo@example.test>"},
		{"Jo", "", 7, "Jo (user 7)"},
	} {
		u := allTimes(KindUser, base)
		u.UserName, u.UserEmail, u.UserID = c.name, c.email, c.id
		var got string
		for _, f := range u.Describe() {
			if f.Label == "User" {
				got = f.Text
			}
		}
		if got != c.want {
			t.Errorf("user %q %q %d described as %q, want %q", c.name, c.email, c.id, got, c.want)
		}
	}
	if got := Mask(27); got != "•••••••• (27 chars)" {
		t.Errorf("Mask(27) = %q", got)
	}
}
