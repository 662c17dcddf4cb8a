package flows

import (
	"context"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/wallet"
)

// A client secret rotated without a check drops the cached
// client-credentials token (the old secret's, which Wise may revoke with
// it), and a new secret ends a breach's mark and restarts the rotation age.
func TestEditSecretDropsTheOldSecretsTokenAndEndsABreachMark(t *testing.T) {
	f := newFixture(t, localwise.Config{})
	ctx := context.Background()
	f.addDemoClient("acme-app")
	if f.saved("acme-app").Secret(wallet.SecretAccessToken).IsZero() {
		t.Fatal("the checked client has no cached token; the test would prove nothing")
	}
	if _, err := f.svc.MarkBreached(ctx, "acme-app"); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(48 * time.Hour)
	ed, err := f.svc.Edit(ctx, EditInput{Name: "acme-app", ClientSecret: crypto.SecretString(localwise.DemoClientSecret)})
	if err != nil {
		t.Fatal(err)
	}
	got := f.saved("acme-app")
	if ed.Checked || got.Status != wallet.StatusOK {
		t.Fatalf("after an unchecked new secret: checked %v, status %q", ed.Checked, got.Status)
	}
	if !got.Secret(wallet.SecretAccessToken).IsZero() || got.AccessExpiresAt != nil {
		t.Error("the old secret's cached token survived the rotation")
	}
	if got.SecretCreatedAt == nil || !got.SecretCreatedAt.Equal(f.svc.now()) {
		t.Errorf("secret_created_at = %v, want the edit's time %v", got.SecretCreatedAt, f.svc.now())
	}
	// The next token is fetched with the new secret.
	if tok, err := f.svc.AccessToken(ctx, "acme-app"); err != nil || tok.IsZero() {
		t.Fatalf("token after the rotation: %v", err)
	}
}

// A call whose stored access token Wise rejects (401) gets a new token
// and is sent once more: a revoked client-credentials token no longer
// fails every `request` until it expires (issue 13's 401 recovery).
func TestCallRenewsARejectedAccessTokenOnce(t *testing.T) {
	f := newFixture(t, localwise.Config{})
	f.addDemoClient("acme-app")
	cached := secretOf(t, f.saved("acme-app"), wallet.SecretAccessToken)
	f.srv.RevokeClientTokens()
	res, err := f.svc.Call(context.Background(), CallInput{Entry: "acme-app", Method: "GET",
		Path: "/v1/auth/jose/response/public-keys?scope=PAYLOAD_SIGNING&algorithm=ES512"}, nil)
	if err != nil || res.Status != 200 {
		t.Fatalf("call after Wise rejected the cached token: %d %v", res.Status, err)
	}
	if now := secretOf(t, f.saved("acme-app"), wallet.SecretAccessToken); now == cached || now == "" {
		t.Fatal("the rejected token was not replaced")
	}
}
