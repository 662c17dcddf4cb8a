package flows

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/wallet"
)

func TestMarkBreachedWipesEverySecretOfOneEntryAndMarksItRevoked(t *testing.T) {
	f := newFixture(t, localwise.Config{})
	f.addDemoClient("acme-app")
	f.regLogin("acme-app", "partner-user", "breach.user@localwise.test")
	before := f.saved("partner-user")
	if len(before.SecretFields()) == 0 {
		t.Fatal("the fixture's user has no secrets; the test would prove nothing")
	}
	e, err := f.svc.MarkBreached(context.Background(), "partner-user")
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []wallet.Entry{e, f.saved("partner-user")} {
		if len(got.SecretFields()) != 0 || got.Status != wallet.StatusRevoked {
			t.Fatalf("after the breach the entry is %q with secrets %v", got.Status, got.SecretFields())
		}
		if got.AccessExpiresAt != nil || got.RefreshExpiresAt != nil {
			t.Error("the wiped tokens' expiries are still counted down")
		}
		if got.LinkedTo != "acme-app" || got.UserEmail != before.UserEmail {
			t.Error("the breach removed metadata the user needs to revoke at Wise")
		}
	}
	if client := f.saved("acme-app"); client.Secret(wallet.SecretClientSecret).IsZero() {
		t.Error("the breach of one entry wiped another")
	}
	if _, err := f.svc.MarkBreached(context.Background(), "nobody"); !errors.Is(err, wallet.ErrEntryNotFound) {
		t.Errorf("breach of a missing entry: %v", err)
	}
}

func TestNextRefreshIsWhenRefreshDueTurns(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		issued *time.Time
		exp    time.Time
	}{
		{uiCoreTime(base), base.Add(12 * time.Hour)},
		{uiCoreTime(base), base.Add(3 * time.Minute)},
		{nil, base.Add(time.Hour)},
	} {
		e := wallet.Entry{Kind: wallet.KindUser, Tokens: wallet.Tokens{AccessIssuedAt: tc.issued, AccessExpiresAt: uiCoreTime(tc.exp)}}
		at, ok := NextRefresh(e)
		if !ok {
			t.Fatal("a user entry is not renewable")
		}
		if refreshDue(tc.issued, &tc.exp, at.Add(-time.Second)) || !refreshDue(tc.issued, &tc.exp, at.Add(time.Second)) {
			t.Errorf("NextRefresh %s disagrees with refreshDue (issued %v, expires %s)", at, tc.issued, tc.exp)
		}
	}
	for _, e := range []wallet.Entry{
		{Kind: wallet.KindPersonal},
		{Kind: wallet.KindClient}, // no cached token
		{Kind: wallet.KindUser, Status: wallet.StatusNeedsLogin, Tokens: wallet.Tokens{AccessExpiresAt: uiCoreTime(base)}},
		{Kind: wallet.KindUser, Status: wallet.StatusRevoked},
	} {
		if _, ok := NextRefresh(e); ok {
			t.Errorf("a %s entry with status %q counts as renewable", e.Kind, e.Status)
		}
	}
}

func uiCoreTime(t time.Time) *time.Time { return &t }

func TestRefreshDueEachGoesOnAfterAFailure(t *testing.T) {
	f := newFixture(t, localwise.Config{})
	f.addDemoClient("acme-app")
	f.regLogin("acme-app", "a-user", "a.user@localwise.test")
	f.srv.RevokeRefreshTokens() // a-user's refresh token is now rejected
	f.regLogin("acme-app", "b-user", "b.user@localwise.test")
	f.makeDue()
	res := f.svc.RefreshDueEach(context.Background(), nil)
	got := map[string]error{}
	for _, r := range res {
		got[r.Name] = r.Err
	}
	if len(res) != 3 {
		t.Fatalf("RefreshDueEach tried %d entries, want 3 (the client's cached token and two users)", len(res))
	}
	if !errors.Is(got["a-user"], ErrNeedsLogin) || TraceID(got["a-user"]) == "" {
		t.Errorf("a-user: %v (want ErrNeedsLogin with an x-trace-id)", got["a-user"])
	}
	if got["b-user"] != nil || got["acme-app"] != nil {
		t.Errorf("the entries after the failure were not renewed: b-user %v, acme-app %v", got["b-user"], got["acme-app"])
	}
	if again := f.svc.RefreshDueEach(context.Background(), func(name string) bool { return true }); len(again) != 0 {
		t.Errorf("skip did not skip: %d results", len(again))
	}
}

func TestRevokeAdviceNamesThePlaceAtWise(t *testing.T) {
	prod, _ := ResolveEnv("production", "")
	sandbox, _ := ResolveEnv("sandbox", "")
	local, _ := ResolveEnv("local", "http://127.0.0.1:9")
	for _, tc := range []struct {
		e    wallet.Entry
		want []string
	}{
		{wallet.Entry{Kind: wallet.KindPersonal, Env: prod}, []string{"https://wise.com", "Integrations and tools → API tokens"}},
		{wallet.Entry{Kind: wallet.KindClient, Env: sandbox, OAuthClient: wallet.OAuthClient{ClientID: "cid-1"}}, []string{"https://wise-sandbox.com/developer-hub", "rotate the client secret", "cid-1"}},
		{wallet.Entry{Kind: wallet.KindUser, Env: prod, LinkedTo: "app", Identity: wallet.Identity{UserEmail: "u@example.com"}}, []string{"u@example.com", "remove this application's access", "OAuth client app", "https://wise.com/developer-hub"}},
		{wallet.Entry{Kind: wallet.KindMTLS, Env: sandbox}, []string{"Developer Hub", "certificate"}},
		{wallet.Entry{Kind: wallet.KindPersonal, Env: local}, []string{"nothing to revoke at Wise"}},
	} {
		text := strings.Join(RevokeAdvice(tc.e), "\n")
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("advice for a %s %s entry lacks %q:\n%s", tc.e.Env.Name, tc.e.Kind, w, text)
			}
		}
	}
}

func TestStampChangesWhenAnotherProcessSaves(t *testing.T) {
	f := newFixture(t, localwise.Config{})
	s1, err := f.svc.Stamp()
	if err != nil {
		t.Fatal(err)
	}
	other := &Service{Wallet: f.reopen()}
	if _, err := AddPersonal(context.Background(), other.Wallet, "elsewhere", f.env, SecretString("t-elsewhere-1")); err != nil {
		t.Fatal(err)
	}
	s2, err := f.svc.Stamp()
	if err != nil {
		t.Fatal(err)
	}
	if s1 == s2 {
		t.Error("the stamp did not change after another process saved")
	}
}

func TestOpenWalletTellsAWrongPassphrase(t *testing.T) {
	dir := t.TempDir()
	if _, err := CreateWallet(context.Background(), dir, SecretString("right"), DemoFastKDF); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenWallet(context.Background(), dir, SecretString("wrong")); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("wrong passphrase: %v", err)
	}
	if _, err := OpenWallet(context.Background(), dir, SecretString("right")); err != nil {
		t.Errorf("right passphrase: %v", err)
	}
}
