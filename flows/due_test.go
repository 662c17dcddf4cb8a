package flows

import (
	"slices"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/wallet"
)

// TestDueWithinNamesWhatNeedsTheUser: an access token that renews itself,
// a client's cached token and a previous JOSE key's planned end are never
// due; a refresh token, certificate, JOSE key or secret age is due when it
// ends within the window; a login needed or a revoked entry is due as a
// state, its expiries left out.
func TestDueWithinNamesWhatNeedsTheUser(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	day := 24 * time.Hour
	views := []EntryView{
		{Name: "user", Kind: KindUser, EntryTokens: wallet.Tokens{AccessIssuedAt: at(-2 * time.Hour), AccessExpiresAt: at(-time.Hour), RefreshExpiresAt: at(3 * day)}},
		{Name: "client", Kind: KindClient, SecretCreatedAt: at(-10 * day), EntryTokens: wallet.Tokens{AccessIssuedAt: at(-2 * time.Hour), AccessExpiresAt: at(-time.Hour)}},
		{Name: "old", Kind: KindPersonal, SecretCreatedAt: at(-88 * day)},
		{Name: "cert", Kind: KindMTLS, EntryCertificate: wallet.Certificate{NotAfter: at(20 * day)}},
		{Name: "jose", Kind: KindJOSE, EntryKey: wallet.Key{ValidFrom: at(-day), ValidTill: at(5 * day), PrevRetiresAt: at(time.Hour)},
			Secrets: []SecretInfo{{Name: wallet.SecretPreviousKey, Len: 1}}},
		{Name: "gone", Kind: KindUser, Status: StatusNeedsLogin, EntryTokens: wallet.Tokens{RefreshExpiresAt: at(time.Hour)}},
		{Name: "wiped", Kind: KindPersonal, Status: StatusRevoked, SecretCreatedAt: at(-100 * day)},
	}
	rows := StatusOf(views, now)
	names := func(ds []Due) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.Entry+":"+d.What)
		}
		return out
	}
	want7 := []string{"user:refresh token", "old:secret age", "jose:key validity", "gone:needs_login", "wiped:revoked"}
	if got := names(DueWithin(rows, now, 7*day)); !slices.Equal(got, want7) {
		t.Errorf("within 7d: %v, want %v", got, want7)
	}
	want1 := []string{"gone:needs_login", "wiped:revoked"}
	if got := names(DueWithin(rows, now, day)); !slices.Equal(got, want1) {
		t.Errorf("within 1d: %v, want %v", got, want1)
	}
	if got := names(DueWithin(rows, now, 30*day)); !slices.Contains(got, "cert:certificate") {
		t.Errorf("within 30d the certificate is not due: %v", got)
	}
	d := DueWithin(rows, now, 7*day)[0]
	if d.At == nil || !d.At.Equal(*at(3 * day)) || d.Past(now) {
		t.Errorf("the refresh token's due item: %+v", d)
	}
}
