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
