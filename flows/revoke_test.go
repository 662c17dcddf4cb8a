package flows

import (
	"context"
	"errors"
	"strings"
	"testing"

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
	v, err := f.svc.MarkBreached(context.Background(), "partner-user")
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Secrets) != 0 || v.Status != StatusRevoked || v.AccessExpiresAt != nil || v.LinkedTo != "acme-app" {
		t.Fatalf("the returned view after the breach: %q with secrets %v", v.Status, v.Secrets)
	}
	for _, got := range []wallet.Entry{f.saved("partner-user")} {
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

func TestRevokeAdviceNamesThePlaceAtWise(t *testing.T) {
	prod, _ := ResolveEnv("production", "")
	sandbox, _ := ResolveEnv("sandbox", "")
	local, _ := ResolveEnv("local", "http://127.0.0.1:9")
	for _, tc := range []struct {
		e        EntryView
		want     []string
		addAgain Kind
	}{
		{EntryView{Kind: KindPersonal, Env: prod}, []string{"https://wise.com", "Integrations and tools → API tokens"}, KindPersonal},
		{EntryView{Kind: KindClient, Env: sandbox,
			EntryOAuthClient: EntryOAuthClient{ClientID: "cid-1"},
		}, []string{"https://wise-sandbox.com/developer-hub", "rotate the client secret", "cid-1"}, KindClient},
		{EntryView{Kind: KindUser, Env: prod, LinkedTo: "app",
			EntryIdentity: EntryIdentity{UserEmail: "u@example.com"},
		}, []string{"u@example.com", "remove this application's access", "OAuth client app", "https://wise.com/developer-hub"}, ""},
		{EntryView{Kind: KindMTLS, Env: sandbox}, []string{"Developer Hub", "certificate"}, ""},
		{EntryView{Kind: KindPersonal, Env: local}, []string{"nothing to revoke at Wise"}, ""},
	} {
		advice := tc.e.RevokeAdvice()
		if advice.AddAgain != tc.addAgain || advice.AddAgain != "" && advice.Env != tc.e.Env.Name {
			t.Errorf("a %s %s entry: add again %q in %q, want %q", tc.e.Env.Name, tc.e.Kind, advice.AddAgain, advice.Env, tc.addAgain)
		}
		text := strings.Join(advice.Steps, "\n")
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("advice for a %s %s entry lacks %q:\n%s", tc.e.Env.Name, tc.e.Kind, w, text)
			}
		}
	}
}
