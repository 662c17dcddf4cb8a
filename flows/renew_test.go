package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/flows/localwise"
)

func TestNextRefreshIsWhenRefreshDueTurns(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		issued *time.Time
		exp    time.Time
	}{
		{renewTime(base), base.Add(12 * time.Hour)},
		{renewTime(base), base.Add(3 * time.Minute)},
		{nil, base.Add(time.Hour)},
	} {
		v := EntryView{Kind: KindUser,
			EntryTokens: EntryTokens{AccessIssuedAt: tc.issued, AccessExpiresAt: renewTime(tc.exp)},
		}
		at, ok := NextRefresh(v)
		if !ok {
			t.Fatal("a user entry is not renewable")
		}
		if refreshDue(tc.issued, &tc.exp, at.Add(-time.Second)) || !refreshDue(tc.issued, &tc.exp, at.Add(time.Second)) {
			t.Errorf("NextRefresh %s disagrees with refreshDue (issued %v, expires %s)", at, tc.issued, tc.exp)
		}
	}
	for _, v := range []EntryView{
		{Kind: KindPersonal},
		{Kind: KindClient}, // no cached token
		{Kind: KindUser, Status: StatusNeedsLogin,
			EntryTokens: EntryTokens{AccessExpiresAt: renewTime(base)},
		},
		{Kind: KindUser, Status: StatusRevoked},
		{Kind: KindMTLS,
			EntryCertificate: EntryCertificate{NotAfter: renewTime(base)},
		},
	} {
		if _, ok := NextRefresh(v); ok {
			t.Errorf("a %s entry with status %q counts as renewable", v.Kind, v.Status)
		}
	}
}

func renewTime(t time.Time) *time.Time { return &t }

// renewFixture: at base, "due" is past three quarters of its token's
// life, "fresh" is not, "broken" needs a login, "key" renews nothing.
func renewFixture(base time.Time) []EntryView {
	return []EntryView{
		{Name: "broken", Kind: KindUser, Status: StatusNeedsLogin,
			EntryTokens: EntryTokens{AccessIssuedAt: renewTime(base.Add(-11 * time.Hour)), AccessExpiresAt: renewTime(base.Add(time.Hour))},
		},
		{Name: "due", Kind: KindUser,
			EntryTokens: EntryTokens{AccessIssuedAt: renewTime(base.Add(-10 * time.Hour)), AccessExpiresAt: renewTime(base.Add(2 * time.Hour))},
		},
		{Name: "fresh", Kind: KindClient,
			EntryTokens: EntryTokens{AccessIssuedAt: renewTime(base), AccessExpiresAt: renewTime(base.Add(12 * time.Hour))},
		},
		{Name: "key", Kind: KindJOSE,
			EntryKey: EntryKey{ValidTill: renewTime(base.Add(time.Minute))},
		},
	}
}

func TestRenewerBacksOffAfterAFailureAndForgetsItAfterASuccess(t *testing.T) {
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	entries := renewFixture(base)
	r := NewRenewer()
	if got := r.Due(entries, base, false); !slices.Equal(got, []string{"due"}) {
		t.Fatalf("due at the start: %v, want [due]", got)
	}
	if next := r.Next(entries); !next.Equal(base.Add(-time.Hour)) {
		t.Errorf("next renewal %s, want the due entry's %s", next, base.Add(-time.Hour))
	}
	down := fmt.Errorf("refreshing: %w", ErrUnavailable)
	var waits []time.Duration
	now := base
	for range 8 {
		f, failed := r.Record(RefreshResult{Name: "due", At: now, Err: down})
		if !failed || !errors.Is(f.Err, ErrUnavailable) {
			t.Fatalf("a failure was not recorded: %+v", f)
		}
		waits = append(waits, f.RetryAt.Sub(now))
		if got := r.Due(entries, f.RetryAt.Add(-time.Second), false); len(got) != 0 {
			t.Fatalf("renewed during its back-off: %v", got)
		}
		if got := r.Due(entries, f.RetryAt.Add(-time.Second), true); !slices.Equal(got, []string{"due"}) {
			t.Fatalf("refresh now did not ignore the back-off: %v", got)
		}
		if next := r.Next(entries); !next.Equal(f.RetryAt) {
			t.Fatalf("next renewal %s during a back-off until %s", next, f.RetryAt)
		}
		now = f.RetryAt
		if got := r.Due(entries, now, false); !slices.Equal(got, []string{"due"}) {
			t.Fatalf("not renewed after its back-off: %v", got)
		}
	}
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	if !slices.Equal(waits, want) {
		t.Errorf("back-off %v, want %v", waits, want)
	}
	if _, failed := r.Record(RefreshResult{Name: "due", At: now}); failed {
		t.Error("a success was recorded as a failure")
	}
	if _, ok := r.Failure("due"); ok {
		t.Error("the failure outlived a success")
	}
	f, _ := r.Record(RefreshResult{Name: "due", At: now, Err: down})
	if f.Count != 1 || !f.RetryAt.Equal(now.Add(FirstRetry)) {
		t.Errorf("after a success the back-off starts again: %+v", f)
	}
	// An entry gone at its turn has not failed.
	if _, failed := r.Record(RefreshResult{Name: "gone", At: now, Err: fmt.Errorf("x: %w", ErrEntryNotFound)}); failed {
		t.Error("a removed entry counts as a failed refresh")
	}
}

func TestRenewerForgetsAFailureOnceTheEntryIsSavedAgainOrGone(t *testing.T) {
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	entries := renewFixture(base)
	r := NewRenewer()
	r.Record(RefreshResult{Name: "due", At: base, Err: ErrUnavailable})
	r.Record(RefreshResult{Name: "fresh", At: base, Err: ErrUnavailable})
	r.Observe(entries)
	if _, ok := r.Failure("due"); !ok {
		t.Fatal("a failure was forgotten though nothing changed")
	}
	entries[1].UpdatedAt = base.Add(time.Second) // logged in again elsewhere
	r.Observe(entries[1:2])
	if _, ok := r.Failure("due"); ok {
		t.Error("the failure outlived a save of the entry")
	}
	if _, ok := r.Failure("fresh"); ok {
		t.Error("the failure of an entry no longer there was kept")
	}
}

func TestRefreshRenewsEachDueEntryAndGoesOnAfterAFailure(t *testing.T) {
	f := newFixture(t, localwise.Config{})
	f.addDemoClient("acme-app")
	f.regLogin("acme-app", "a-user", "a.user@localwise.test")
	f.srv.RevokeRefreshTokens() // a-user's refresh token is now rejected
	f.regLogin("acme-app", "b-user", "b.user@localwise.test")
	f.makeDue()
	r := NewRenewer()
	due := r.Due(f.svc.Entries(), f.svc.now(), false)
	res := f.svc.Refresh(context.Background(), append(due, "not-there"))
	got := map[string]error{}
	for _, x := range res {
		got[x.Name] = x.Err
		r.Record(x)
	}
	if len(res) != 3 {
		t.Fatalf("Refresh tried %d entries, want 3 (the client's cached token and two users)", len(res))
	}
	var nl *NeedsLoginError
	if !errors.Is(got["a-user"], ErrNeedsLogin) || TraceID(got["a-user"]) == "" || !errors.As(got["a-user"], &nl) || nl.Client != "acme-app" {
		t.Errorf("a-user: %v (want a NeedsLoginError naming its client, with an x-trace-id)", got["a-user"])
	}
	if got["b-user"] != nil || got["acme-app"] != nil {
		t.Errorf("the entries after the failure were not renewed: b-user %v, acme-app %v", got["b-user"], got["acme-app"])
	}
	// Renewed, or marked: nothing is due any more, and a name that is no
	// longer due is left out even when asked for.
	if again := r.Due(f.svc.Entries(), f.svc.now(), false); len(again) != 0 {
		t.Errorf("still due after the refresh: %v", again)
	}
	if again := f.svc.Refresh(context.Background(), due); len(again) != 0 {
		t.Errorf("Refresh renewed entries that were not due: %d results", len(again))
	}
}
