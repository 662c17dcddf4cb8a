package flows

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/wallet"
)

// Issue 13: a registration-code login that fails after its entry was
// saved (pending, with the code) does not say "nothing was changed": it
// says the entry is kept, marked "needs login", and how to finish.
func TestAFailedRegistrationLoginSaysItsEntryIsKept(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	f.addDemoClient("app")
	f.srv.SetFaults(localwise.Faults{Fail5xx: 100})
	_, err := f.svc.loginRegistrationCode(context.Background(), RegistrationRequest{Client: "app", As: "gina", Email: "gina@example.test"})
	f.srv.SetFaults(localwise.Faults{})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("login with Wise failing: %v, want ErrUnavailable", err)
	}
	e := f.saved("gina")
	if e.Status != wallet.StatusNeedsLogin {
		t.Fatalf("entry status %q, want the pending entry kept", e.Status)
	}
	var pl *PendingLoginError
	if !errors.As(err, &pl) || pl.Entry != "gina" || pl.Client != "app" || pl.Email != "gina@example.test" {
		t.Errorf("the error does not say the entry is pending: %#v", err)
	}
	msg := err.Error()
	if strings.Contains(msg, "nothing was changed") || !strings.Contains(msg, `"gina" is kept`) || !strings.Contains(msg, `marked "needs login"`) {
		t.Errorf("the words do not say what happened: %v", msg)
	}
	// And running it again finishes it.
	if _, err := f.svc.loginRegistrationCode(context.Background(), RegistrationRequest{Client: "app", As: "gina", Email: "gina@example.test"}); err != nil {
		t.Fatalf("second attempt: %v", err)
	}
	if f.saved("gina").Status != wallet.StatusOK {
		t.Error("the login did not finish")
	}
}
