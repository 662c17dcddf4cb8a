package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
	"github.com/wisewallet/wisewallet/wallet"
)

// storedSecret reads one secret of an entry straight from the wallet file.
func storedSecret(t *testing.T, e *cliEnv, name, field string) string {
	t.Helper()
	w, err := wallet.Open(context.Background(), wallet.NewFileStore(e.dir), wallet.Unlocker{Passphrase: func() (crypto.Secret, error) { return crypto.SecretString(e.pass), nil }})
	if err != nil {
		t.Fatal(err)
	}
	en, err := w.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return en.Secret(field).RevealString()
}

// addDemoClient adds localwise's demo client as c1.
func addDemoClient(t *testing.T, e *cliEnv, srv *localwise.Server, base string) {
	t.Helper()
	d := srv.Demo()
	e.expect(e.run(call{args: []string{"add", "client", "c1", "--env", "local", "--api-url", base, "--client-id", d.ClientID, "--redirect-url", d.RedirectURL, "--no-check"},
		stdin: ptr(d.ClientSecret + "\n")}), 0)
	e.secrets = append(e.secrets, d.ClientSecret)
}

// The registration code is promised never to be shown: `show --reveal`
// (text and JSON) prints the other secrets and says why not this one.
func TestShowRevealNeverShowsTheRegistrationCode(t *testing.T) {
	t.Parallel()
	srv, base := lwtest.Start(t, localwise.Config{})
	e := newCLIEnv(t)
	e.init()
	addDemoClient(t, e, srv, base)
	e.expect(e.cmd("login", "c1", "--as", "bob", "--registration-code", "--email", "bob.reg@localwise.test"), 0, "Logged in")
	code := storedSecret(t, e, "bob", wallet.SecretRegistrationCode)
	access := storedSecret(t, e, "bob", wallet.SecretAccessToken)
	if len(code) < 32 || access == "" {
		t.Fatalf("the login stored a code of %d characters and an access token of %d", len(code), len(access))
	}
	for _, args := range [][]string{{"show", "bob", "--reveal"}, {"show", "bob", "--reveal", "--json"}} {
		r := e.must(args...)
		if strings.Contains(r.stdout+r.stderr, code) {
			t.Errorf("%v printed the registration code", args)
		}
		if !strings.Contains(r.stdout, access) {
			t.Errorf("%v did not print the access token", args)
		}
	}
	if r := e.must("show", "bob", "--reveal"); !strings.Contains(r.stderr, "never shown") {
		t.Errorf("show --reveal does not say why the registration code is not shown:\n%s", r.stderr)
	}
}

// A cached client-credentials token that Wise rejects (401) is fetched
// again once, and the call tried again once: a registration-code login
// still creates the user.
func TestRegistrationLoginRenewsARejectedClientToken(t *testing.T) {
	t.Parallel()
	srv, base := lwtest.Start(t, localwise.Config{})
	e := newCLIEnv(t)
	e.init()
	d := srv.Demo()
	// Checked with Wise: the client's token is cached.
	e.expect(e.run(call{args: []string{"add", "client", "c1", "--env", "local", "--api-url", base, "--client-id", d.ClientID, "--redirect-url", d.RedirectURL},
		stdin: ptr(d.ClientSecret + "\n")}), 0, "Wise accepted")
	e.secrets = append(e.secrets, d.ClientSecret)
	cached := storedSecret(t, e, "c1", wallet.SecretAccessToken)
	if cached == "" {
		t.Fatal("add client cached no token")
	}
	srv.RevokeClientTokens()
	e.expect(e.cmd("login", "c1", "--as", "bob", "--registration-code", "--email", "bob.renew@localwise.test"), 0, "Logged in")
	if now := storedSecret(t, e, "c1", wallet.SecretAccessToken); now == cached || now == "" {
		t.Error("the rejected client token was not replaced in the wallet")
	}
}

// `token NAME --refresh` renews a token that is fresh by its dates: a
// client's client-credentials token and a user's access token.
func TestTokenRefreshForcesARenewal(t *testing.T) {
	t.Parallel()
	srv, base := lwtest.Start(t, localwise.Config{})
	e := newCLIEnv(t)
	e.init()
	addDemoClient(t, e, srv, base)
	e.expect(e.cmd("login", "c1", "--as", "bob", "--registration-code", "--email", "bob.refresh@localwise.test"), 0, "Logged in")
	for _, name := range []string{"c1", "bob"} {
		first := strings.TrimSpace(e.must("token", name).stdout)
		if again := strings.TrimSpace(e.must("token", name).stdout); again != first {
			t.Fatalf("token %s without --refresh renewed a fresh token", name)
		}
		renewed := strings.TrimSpace(e.must("token", name, "--refresh").stdout)
		if renewed == "" || renewed == first {
			t.Errorf("token %s --refresh gave the same token", name)
		}
		if stored := storedSecret(t, e, name, wallet.SecretAccessToken); stored != renewed {
			t.Errorf("token %s --refresh: the wallet holds another token than the one printed", name)
		}
	}
	e.add("p1", "tok-"+randHex(t, 8))
	e.expect(e.cmd("token", "p1", "--refresh"), exitUsage, "cannot renew")
}
