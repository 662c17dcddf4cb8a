package flows

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/wallet"
)

// Issue 13: whoami on a user entry whose access token Wise rejects
// refreshes it once and asks again; when the refresh fails too, the
// advice is the user's login, not a personal token's.
func TestWhoamiRefreshesAUsersRejectedAccessToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	f.addDemoClient("app")
	f.regLogin("app", "hana", "hana@example.test")
	ctx := context.Background()
	const bogus = "rejected-access-token-the-test-made-up"
	spoil := func() {
		t.Helper()
		if err := f.svc.w.Update(ctx, func(c *wallet.Contents) error {
			e, err := c.Get("hana")
			if err != nil {
				return err
			}
			e.SetSecret(wallet.SecretAccessToken, crypto.SecretString(bogus))
			return c.Put(e)
		}); err != nil {
			t.Fatal(err)
		}
	}

	spoil()
	id, _, err := f.svc.Whoami(ctx, "hana")
	if err != nil {
		t.Fatalf("whoami with a rejected access token: %v, want it refreshed and asked again", err)
	}
	if id.Email != "hana@example.test" {
		t.Errorf("whoami: %+v", id)
	}
	if tok := f.saved("hana").Secret(wallet.SecretAccessToken); tok.RevealString() == bogus {
		t.Error("the rejected access token is still stored")
	}

	spoil()
	f.srv.SetFaults(localwise.Faults{RevokeRefreshTokens: true})
	_, _, err = f.svc.Whoami(ctx, "hana")
	var nl *NeedsLoginError
	if !errors.As(err, &nl) || nl.Entry != "hana" || nl.Client != "app" {
		t.Fatalf("whoami when the refresh fails too: %v, want the user's login advice", err)
	}
	if strings.Contains(err.Error(), "same environment") || strings.Contains(err.Error(), "revoked; add") {
		t.Errorf("a user entry gets a personal token's advice: %v", err)
	}
}
