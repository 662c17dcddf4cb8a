package flows

import (
	"context"
	"strings"
	"testing"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// TestRefreshAfterABreachWipeKeepsTheRevokedMark: this handle still holds
// the entry as it was before another handle (another process, or the app's
// details screen) wiped it after a suspected breach. The refresh must see
// the wipe under the lock: no token request, and the entry stays revoked
// rather than being turned into "needs login".
func TestRefreshAfterABreachWipeKeepsTheRevokedMark(t *testing.T) {
	f := newFixture(t, localwise.Config{})
	f.addDemoClient("app")
	f.regLogin("app", "alice", "alice@example.com")
	f.makeDue()

	other := New(f.reopen(), Options{HTTP: wise.DefaultHTTPClient(), Now: f.clock.Now})
	if _, err := other.MarkBreached(context.Background(), "alice"); err != nil {
		t.Fatal(err)
	}
	before := f.srv.Stats().RefreshRequests

	_, err := f.svc.AccessToken(context.Background(), "alice")
	if err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("AccessToken on a wiped entry: %v, want a 'revoked' error", err)
	}
	if got := f.srv.Stats().RefreshRequests; got != before {
		t.Fatalf("%d refresh requests were sent for a revoked entry", got-before)
	}
	if st := f.saved("alice").Status; st != wallet.StatusRevoked {
		t.Fatalf("status after the refresh attempt: %q, want %q", st, wallet.StatusRevoked)
	}
}
