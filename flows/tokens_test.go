package flows

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

func TestClientCredentialsTokenIsCachedInTheWallet(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	ctx := context.Background()
	f.addClient("app", localwise.DemoClientID, localwise.DemoClientSecret, localwise.DemoRedirectURL, false)
	if n := f.srv.Stats().ClientCredentialsRequests; n != 0 {
		t.Fatalf("adding with --no-check asked for %d tokens", n)
	}

	first, err := f.svc.AccessToken(ctx, "app")
	if err != nil {
		t.Fatalf("first AccessToken: %v", err)
	}
	second, err := f.svc.AccessToken(ctx, "app")
	if err != nil {
		t.Fatalf("second AccessToken: %v", err)
	}
	if !first.Equal(second) {
		t.Error("the second call returned another token instead of the cached one")
	}
	// A new process (a fresh unlock of the same file) finds the cache too.
	again, err := New(f.reopen(), Options{HTTP: f.svc.http}).AccessToken(ctx, "app")
	if err != nil {
		t.Fatalf("AccessToken after reopening: %v", err)
	}
	if !again.Equal(first) {
		t.Error("the cached token was not saved in the wallet")
	}
	if n := f.srv.Stats().ClientCredentialsRequests; n != 1 {
		t.Fatalf("client_credentials requests = %d, want exactly 1 for three AccessToken calls", n)
	}
	// The cached token is one localwise accepts for client-credentials calls.
	exists, err := wise.NewClient(f.base, nil).UserExists(ctx, first, localwise.DemoUserEmail)
	if err != nil || !exists {
		t.Fatalf("the cached token does not work at localwise: exists=%v err=%v", exists, err)
	}

	// Past its lifetime the cache is renewed.
	f.makeDue()
	renewed, err := f.svc.AccessToken(ctx, "app")
	if err != nil {
		t.Fatalf("AccessToken once due: %v", err)
	}
	if renewed.Equal(first) {
		t.Error("a due client-credentials token was handed out again")
	}
	if n := f.srv.Stats().ClientCredentialsRequests; n != 2 {
		t.Errorf("client_credentials requests = %d, want 2 after the cache expired", n)
	}
}

func TestWrongClientSecretIsInvalidClientWithTraceID(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	ctx := context.Background()
	before := f.walletBytes()

	_, err := f.svc.addClient(ctx, ClientInput{Name: "bad", Env: f.env, ClientID: localwise.DemoClientID,
		Secret: crypto.SecretString("not-the-secret"), RedirectURL: localwise.DemoRedirectURL, Check: true})
	checkInvalidClient(t, "AddClient --check", err)
	f.assertAbsent("bad")
	if !slices.Equal(before, f.walletBytes()) {
		t.Error("a rejected client changed the wallet file")
	}

	// Stored without the check, the same mistake surfaces at first use,
	// and the failed call saves nothing.
	f.addClient("unchecked", localwise.DemoClientID, "not-the-secret", localwise.DemoRedirectURL, false)
	before = f.walletBytes()
	_, err = f.svc.AccessToken(ctx, "unchecked")
	checkInvalidClient(t, "AccessToken", err)
	if !slices.Equal(before, f.walletBytes()) {
		t.Error("a rejected client-credentials request changed the wallet file")
	}
	if n := f.srv.Stats().ClientCredentialsRequests; n != 2 {
		t.Errorf("client_credentials requests = %d, want 2 (invalid_client is not retried)", n)
	}
}

func checkInvalidClient(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, ErrInvalidClient) {
		t.Fatalf("%s: got %v, want ErrInvalidClient", what, err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.TraceID == "" {
		t.Fatalf("%s: no *APIError with a trace id in %v", what, err)
	}
	if !strings.Contains(err.Error(), "x-trace-id "+ae.TraceID) || !traceIDInText.MatchString(err.Error()) {
		t.Errorf("%s: the message does not show x-trace-id: %v", what, err)
	}
	if strings.Contains(err.Error(), "not-the-secret") {
		t.Errorf("%s: the message contains the secret", what)
	}
}

func TestRefreshRotatesTheRefreshTokenAndSavesIt(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	ctx := context.Background()
	f.addDemoClient("app")
	f.regLogin("app", "alice", "alice@example.test")
	before := f.saved("alice")
	oldAccess, oldRefresh := secretOf(t, before, wallet.SecretAccessToken), secretOf(t, before, wallet.SecretRefreshToken)
	if got := meStatus(t, f.base, oldAccess); got != http.StatusOK {
		t.Fatalf("fresh access token: /v1/me HTTP %d", got)
	}

	// Not due: handed out as stored, no token request.
	tok, err := f.svc.AccessToken(ctx, "alice")
	if err != nil || tok.RevealString() != oldAccess {
		t.Fatalf("AccessToken before due: err %v, same token %v", err, tok.RevealString() == oldAccess)
	}
	if n := f.srv.Stats().RefreshRequests; n != 0 {
		t.Fatalf("refresh requests = %d before the token was due", n)
	}

	f.makeDue()
	tok, err = f.svc.AccessToken(ctx, "alice")
	if err != nil {
		t.Fatalf("AccessToken when due: %v", err)
	}
	if tok.RevealString() == oldAccess {
		t.Fatal("a due access token was not refreshed")
	}
	if n := f.srv.Stats().RefreshRequests; n != 1 {
		t.Fatalf("refresh requests = %d, want 1", n)
	}
	after := f.saved("alice")
	newRefresh := secretOf(t, after, wallet.SecretRefreshToken)
	if secretOf(t, after, wallet.SecretAccessToken) != tok.RevealString() {
		t.Error("the wallet on disk does not hold the access token that was handed out")
	}
	if newRefresh == oldRefresh {
		t.Error("the rotated refresh token was not saved")
	}
	if after.Status != wallet.StatusOK || after.AccessIssuedAt == nil || !after.AccessIssuedAt.After(*before.AccessIssuedAt) {
		t.Errorf("entry after refresh: status %q, issued %v (was %v)", after.Status, after.AccessIssuedAt, before.AccessIssuedAt)
	}
	// Wise: a refresh invalidates the previous access token.
	if got := meStatus(t, f.base, oldAccess); got != http.StatusUnauthorized {
		t.Errorf("old access token after refresh: /v1/me HTTP %d, want 401", got)
	}
	if got := meStatus(t, f.base, tok.RevealString()); got != http.StatusOK {
		t.Errorf("new access token: /v1/me HTTP %d, want 200", got)
	}

	// Back on time the fresh token is served from the wallet.
	f.clock.Set(0)
	again, err := f.svc.AccessToken(ctx, "alice")
	if err != nil || !again.Equal(tok) {
		t.Fatalf("AccessToken after refresh: err %v, same token %v", err, again.Equal(tok))
	}
	if n := f.srv.Stats().RefreshRequests; n != 1 {
		t.Errorf("refresh requests = %d after a second call, want 1", n)
	}
	// Last, because redeeming rotates again: the old refresh token is dead
	// and the saved one is the live one.
	if st, code := refreshStatus(t, f.base, localwise.DemoClientID, localwise.DemoClientSecret, oldRefresh); st != http.StatusUnauthorized || code != "invalid_grant" {
		t.Errorf("old refresh token: HTTP %d %s, want 401 invalid_grant", st, code)
	}
	if st, _ := refreshStatus(t, f.base, localwise.DemoClientID, localwise.DemoClientSecret, newRefresh); st != http.StatusOK {
		t.Errorf("saved refresh token: HTTP %d, want 200", st)
	}
}

func TestPersonalTokenIsValidatedBeforeStoring(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	ctx := context.Background()

	e, err := f.svc.addPersonalChecked(ctx, "mine", f.env, crypto.SecretString(localwise.DemoPersonalToken))
	if err != nil {
		t.Fatalf("AddPersonalChecked(demo token): %v", err)
	}
	got := f.saved("mine")
	if !sameEntry(e, got) {
		t.Error("the returned entry differs from the saved one")
	}
	if got.Kind != wallet.KindPersonal || got.UserID != localwise.DemoUserID || got.UserEmail != localwise.DemoUserEmail || got.UserName == "" {
		t.Errorf("saved entry: kind %s user %d %q %q", got.Kind, got.UserID, got.UserEmail, got.UserName)
	}
	var ids []int64
	for _, p := range got.Profiles {
		ids = append(ids, p.ID)
	}
	if !slices.Equal(ids, []int64{localwise.DemoPersonalProfileID, localwise.DemoBusinessProfileID}) {
		t.Errorf("profiles %v", got.Profiles)
	}
	if secretOf(t, got, wallet.SecretToken) != localwise.DemoPersonalToken {
		t.Error("the stored token is not the one given")
	}

	bad := canary("personal")
	before := f.walletBytes()
	_, err = f.svc.addPersonalChecked(ctx, "typo", f.env, crypto.SecretString(bad))
	assertErrNoSecret(t, "bad personal token", err, bad)
	// Printed only with the canary masked: a leak must not reach the log.
	msg := strings.ReplaceAll(err.Error(), bad, "[CANARY]")
	if !errors.Is(err, ErrTokenRejected) {
		t.Fatalf("bad token: got %s, want ErrTokenRejected", msg)
	}
	for _, want := range []string{"not stored", "does not accept this token", "x-trace-id"} {
		if !strings.Contains(msg, want) {
			t.Errorf("bad token message lacks %q: %s", want, msg)
		}
	}
	f.assertAbsent("typo")
	if !slices.Equal(before, f.walletBytes()) {
		t.Error("a rejected personal token changed the wallet file")
	}
}
