package flows

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
	"github.com/wisewallet/wisewallet/wallet"
)

// A mistyped code pasted at a paste-mode login, refused by Wise
// (invalid_grant) or not readable, is asked for again in the same login:
// the right code pasted next logs the user in. The asking is bounded.
func TestPasteLoginAsksAgainAfterAMistypedCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	f.addDemoClient("app")
	ctx := context.Background()
	var authURL string
	var reasons []error
	var lefts []int
	pastes := 0
	e, err := f.svc.login(ctx, LoginRequest{Client: "app", As: "paster", Paste: true,
		ShowURL: func(u string) { authURL = u },
		ReadPasted: func(context.Context) (string, error) {
			pastes++
			switch pastes {
			case 1:
				return "mistyped-code-0123456789", nil // Wise refuses it
			case 2:
				return "not a code", nil // not even sent
			}
			return lwtest.Person{}.Authorize(t, authURL, lwtest.Approve).Code(), nil
		},
		Repaste: func(reason error, left int) { reasons, lefts = append(reasons, reason), append(lefts, left) },
	})
	if err != nil {
		t.Fatalf("login after two mistyped pastes: %v", err)
	}
	if pastes != 3 || len(reasons) != 2 || !errors.Is(reasons[0], ErrLoginRefused) || !errors.Is(reasons[1], ErrUsage) {
		t.Fatalf("pasted %d times, asked again for %v", pastes, reasons)
	}
	if lefts[0] <= lefts[1] || lefts[1] < 1 {
		t.Errorf("attempts left told: %v", lefts)
	}
	if e.Secret(wallet.SecretRefreshToken).IsZero() {
		t.Error("the login stored no refresh token")
	}

	// Bounded: a paste that is always wrong ends the login, refused.
	pastes = 0
	_, err = f.svc.login(ctx, LoginRequest{Client: "app", As: "never", Paste: true, ShowURL: func(string) {},
		ReadPasted: func(context.Context) (string, error) { pastes++; return "mistyped-code-0123456789", nil },
		Repaste:    func(error, int) {}})
	if !errors.Is(err, ErrLoginRefused) || pastes != MaxPastes {
		t.Fatalf("always wrong: %d pastes, %v; want %d and a refusal", pastes, err, MaxPastes)
	}
	if !strings.Contains(err.Error(), "authorization code") {
		t.Errorf("the refusal does not say what was refused: %v", err)
	}
	f.assertAbsent("never")
}
