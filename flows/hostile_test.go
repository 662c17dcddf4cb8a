package flows

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// osc52 is the escape sequence that sets a terminal's clipboard: a server
// that gets it printed can plant a command for the user to paste.
const osc52 = "\x1b]52;c;cm0gLXJmIH4K\x07"

// firstUnsafe finds the first character a terminal would act on rather
// than show: C0/C1 controls (ESC, BEL, CSI) and format characters (bidi
// overrides), or invalid UTF-8.
func firstUnsafe(s string) (rune, bool) {
	for i, r := range s {
		if r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return r, true
		}
	}
	return 0, false
}

func assertPrintable(t *testing.T, where, s string) {
	t.Helper()
	if r, bad := firstUnsafe(s); bad {
		t.Errorf("%s holds %U", where, r)
	}
}

// hostileWise answers like Wise, with escape sequences in every text it
// controls, and echoes the secrets it was sent, split by escapes so that
// a scrub before the clean-up would miss them.
func hostileWise(t *testing.T) *httptest.Server {
	evil := func(s string) string { return s + osc52 + "\x1b[2J\u009b31m\u202e" + "\x00\r\nX-Injected: 1" }
	split := func(secret string) string { return secret[:6] + "\x1b[0m" + secret[6:] }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		// ESC or BEL in a header would make Go's client drop the answer;
		// a C1 control and a bidi override (UTF-8, bytes >= 0x80) pass.
		w.Header().Set("x-trace-id", "0123\u009b2J\u202e")
		switch r.URL.Path {
		case "/oauth/token":
			_ = r.ParseForm()
			_, secret, _ := r.BasicAuth()
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{
				"error":             evil("invalid_request " + split(secret)),
				"error_description": evil("bad request for "+split(secret)+" and "+split(r.PostForm.Get("refresh_token"))) + strings.Repeat("ü", 400),
			})
		case "/v1/me":
			if r.Header.Get("Authorization") != "Bearer good-token-0123456789" {
				w.WriteHeader(http.StatusUnauthorized)
				_ = json.NewEncoder(w).Encode(map[string]string{"error": evil("invalid_token"), "error_description": evil("token " + split(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")))})
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"id": 7, "name": evil("Mallory"), "email": evil("m@example.test")})
		case "/v2/profiles":
			_ = json.NewEncoder(w).Encode([]map[string]any{
				{"id": 1, "type": evil("PERSONAL"), "fullName": evil("Eve ") + strings.Repeat("x", 500)},
				{"id": 2, "type": "BUSINESS", "businessName": "Zoë & Søn ApS"},
			})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

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
	srv := hostileWise(t)
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
	assertPrintable(t, "AddPersonalChecked error", err.Error())
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
		assertPrintable(t, got.what+" user name and email", got.entry)
	}
	if !strings.HasPrefix(saved.UserName, "Mallory") || !strings.HasPrefix(saved.UserEmail, "m@example.test") || len(saved.Profiles) != 2 {
		t.Fatalf("saved identity: %q %q, %d profiles", saved.UserName, saved.UserEmail, len(saved.Profiles))
	}
	for _, p := range saved.Profiles {
		assertPrintable(t, "profile type", p.Type)
		assertPrintable(t, "profile name", p.Name)
		if len(p.Name) > 200+len("…") {
			t.Errorf("profile name of %d bytes", len(p.Name))
		}
	}
	// Letters outside ASCII are names, not escapes: they stay.
	if saved.Profiles[1].Name != "Zoë & Søn ApS" {
		t.Errorf("business name %q, want it unchanged", saved.Profiles[1].Name)
	}
}
