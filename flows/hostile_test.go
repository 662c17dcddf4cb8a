package flows

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wisewallet/wisewallet/wise/wisetest"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// newFixtureWallet is a cheap-KDF wallet in a fresh folder.
func newFixtureWallet(t *testing.T) *wallet.Wallet {
	t.Helper()
	w, err := wallet.Create(context.Background(), wallet.NewFileStore(filepath.Join(t.TempDir(), "wallet")),
		crypto.SecretString(testPassphrase), wallet.Options{KDF: testKDF})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestServerTextIsMadeSafeToPrint(t *testing.T) {
	t.Parallel()
	srv := wisetest.HostileWise(t)
	ctx := context.Background()
	badToken := canary("bad-token")

	// A rejected token at /v1/me, through the use case that prints it.
	svc := New(newFixtureWallet(t), Options{HTTP: wise.DefaultHTTPClient()})
	env, err := ResolveEnv("local", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.addPersonalChecked(ctx, "bad", env, crypto.SecretString(badToken))
	if !errors.Is(err, ErrTokenRejected) {
		t.Fatalf("a rejected token: %v", err)
	}
	wisetest.AssertPrintable(t, "AddPersonalChecked error", err.Error())
	assertNoSecret(t, "AddPersonalChecked error", err.Error(), badToken)

	// Identity text is stored in the wallet and printed by list, show,
	// whoami and the dashboard.
	e, err := svc.addPersonalChecked(ctx, "pt", env, crypto.SecretString("good-token-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	saved, err := svc.w.Get("pt")
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []struct {
		what  string
		entry string
	}{{"returned", e.UserName + e.UserEmail}, {"saved", saved.UserName + saved.UserEmail}} {
		wisetest.AssertPrintable(t, got.what+" user name and email", got.entry)
	}
	if !strings.HasPrefix(saved.UserName, "Mallory") || !strings.HasPrefix(saved.UserEmail, "m@example.test") || len(saved.Profiles) != 2 {
		t.Fatalf("saved identity: %q %q, %d profiles", saved.UserName, saved.UserEmail, len(saved.Profiles))
	}
	for _, p := range saved.Profiles {
		wisetest.AssertPrintable(t, "profile type", p.Type)
		wisetest.AssertPrintable(t, "profile name", p.Name)
		if len(p.Name) > 200+len("…") {
			t.Errorf("profile name of %d bytes", len(p.Name))
		}
	}
	// Letters outside ASCII are names, not escapes: they stay.
	if saved.Profiles[1].Name != "Zoë & Søn ApS" {
		t.Errorf("business name %q, want it unchanged", saved.Profiles[1].Name)
	}
}
