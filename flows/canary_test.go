package flows

// Canary tests: every secret the flows handle is a unique, recognisable
// value, every error path runs, and none of the values may show up in an
// error, an entry's printed or JSON form, or the CLI's output (except the
// token that `token` exists to print). Failures name the place, never the
// text, so a leak is not repeated into the test log.

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// canaryWorld is a localwise whose client secret and personal token are
// canaries, and the list of every secret value in play.
type canaryWorld struct {
	srv                           *localwise.Server
	base, redirect                string
	clientSecret, personal, wrong string
	badToken, badCode, badRegCode string
	secrets                       []string
}

func newCanaryWorld(t *testing.T, srv *localwise.Server, base string) *canaryWorld {
	w := &canaryWorld{srv: srv, base: base, redirect: freeLoopbackURL(t, "/callback"),
		clientSecret: canary("client-secret"), personal: canary("personal-token"), wrong: canary("wrong-secret"),
		badToken: canary("bad-token"), badCode: canary("auth-code"), badRegCode: canary("registration-code")}
	srv.RegisterClient(localwise.Client{ID: "canary-app", Secret: w.clientSecret, RedirectURLs: []string{w.redirect}})
	srv.AddPersonalToken(w.personal)
	w.secrets = []string{w.clientSecret, w.personal, w.wrong, w.badToken, w.badCode, w.badRegCode, testPassphrase}
	return w
}

// learn adds every secret value stored in the wallet (tokens and codes
// that localwise made) to the list.
func (cw *canaryWorld) learn(w *wallet.Wallet) {
	for _, e := range w.Entries() {
		for _, field := range e.SecretFields() {
			if v := e.Secret(field).RevealString(); v != "" && !containsString(cw.secrets, v) {
				cw.secrets = append(cw.secrets, v)
			}
		}
	}
}

// errOf keeps the error of a (value, error) result.
func errOf[T any](_ T, err error) error { return err }

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestNoSecretInAnyError(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	cw := newCanaryWorld(t, f.srv, f.base)
	ctx := context.Background()
	f.addClient("app", "canary-app", cw.clientSecret, cw.redirect, true)
	if _, err := f.svc.addPersonalChecked(ctx, "pt", f.env, crypto.SecretString(cw.personal)); err != nil {
		t.Fatal("the canary personal token was not accepted")
	}
	f.regLogin("app", "alice", "alice@example.test")
	cw.learn(f.reopen())
	alice := f.saved("alice")
	refresh := alice.Secret(wallet.SecretRefreshToken)
	secret := crypto.SecretString(cw.clientSecret)

	errs := map[string]error{}
	record := func(name string, err error) { errs[name] = err }

	record("add client, wrong secret", errOf(f.svc.addClient(ctx, ClientInput{Name: "wrong", Env: f.env, ClientID: "canary-app",
		Secret: crypto.SecretString(cw.wrong), RedirectURL: cw.redirect, Check: true})))
	f.addClient("wrong2", "canary-app", cw.wrong, cw.redirect, false)
	record("token, wrong client secret", errOf(f.svc.AccessToken(ctx, "wrong2")))
	record("add personal, rejected token", errOf(f.svc.addPersonalChecked(ctx, "bad", f.env, crypto.SecretString(cw.badToken))))
	record("login, pasted code rejected", errOf(f.svc.login(ctx, LoginRequest{Client: "app", As: "paster", Paste: true, ShowURL: func(string) {},
		ReadPasted: func(context.Context) (string, error) { return cw.badCode, nil }})))
	record("login, pasted URL with wrong state", errOf(f.svc.login(ctx, LoginRequest{Client: "app", As: "paster", Paste: true, ShowURL: func(string) {},
		ReadPasted: func(context.Context) (string, error) { return cw.redirect + "?code=" + cw.badCode + "&state=x", nil }})))
	record("login, denied", errOf(f.login(LoginRequest{As: "denied"}, func(u string) {
		followRedirect(t, authorizeByHTTP(t, u, localwise.DemoPersonalProfileID, "deny"), cw.redirect)
	})))
	record("login, timeout", errOf(f.login(LoginRequest{As: "late", Timeout: 100 * time.Millisecond}, nil)))
	record("registration code, existing user", errOf(f.svc.loginRegistrationCode(ctx, RegistrationRequest{Client: "app", As: "dave", Email: localwise.DemoUserEmail})))

	// Transient failures, through a client whose retry waits are recorded
	// rather than slept.
	api := wise.NewClient(f.base, nil)
	recordWaits(api)
	f.srv.SetFaults(localwise.Faults{Fail5xx: 10})
	record("refresh, 500s", errOf(api.Refresh(ctx, "canary-app", secret, refresh, time.Now())))
	f.srv.SetFaults(localwise.Faults{RateLimit: 10, RetryAfter: 2})
	record("refresh, 429s", errOf(api.Refresh(ctx, "canary-app", secret, refresh, time.Now())))
	f.srv.SetFaults(localwise.Faults{})
	record("registration grant, wrong code", errOf(api.RegistrationCodeGrant(ctx, "canary-app", secret, "alice@example.test", crypto.SecretString(cw.badRegCode), time.Now())))
	record("exchange, unknown code", errOf(api.ExchangeCode(ctx, "canary-app", secret, cw.badCode, cw.redirect, strings.Repeat("v", 43), time.Now())))
	record("identify, rejected token", errOf(api.Identify(ctx, crypto.SecretString(cw.badToken))))
	down := wise.NewClient(freeLoopbackURL(t, ""), nil)
	recordWaits(down)
	record("refresh, network down", errOf(down.Refresh(ctx, "canary-app", secret, refresh, time.Now())))
	record("client credentials, network down", errOf(down.ClientCredentials(ctx, "canary-app", secret, time.Now())))

	// Last: the refresh tokens die at Wise.
	f.srv.SetFaults(localwise.Faults{RevokeRefreshTokens: true})
	f.makeDue()
	record("token, refresh token revoked", errOf(f.svc.AccessToken(ctx, "alice")))
	record("token, entry marked", errOf(f.svc.AccessToken(ctx, "alice")))

	if len(errs) != 17 {
		t.Fatalf("%d error paths recorded", len(errs))
	}
	for name, err := range errs {
		assertErrNoSecret(t, name, err, cw.secrets...)
	}

	// Entries and the summaries and statuses built from them.
	w := f.reopen()
	for _, e := range w.Entries() {
		j, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		for verb, text := range map[string]string{"%v": fmt.Sprintf("%v", e), "%+v": fmt.Sprintf("%+v", e), "%#v": fmt.Sprintf("%#v", e), "json": string(j)} {
			assertNoSecret(t, "entry "+e.Name+" "+verb, text, cw.secrets...)
		}
	}
	svc := New(w, Options{})
	for what, v := range map[string]any{"List": svc.List(), "StatusOf": svc.Status(time.Now()), "Entries": svc.Entries()} {
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		assertNoSecret(t, what, string(j)+fmt.Sprintf("%+v", v), cw.secrets...)
	}
}

func TestNoSecretInCLIOutput(t *testing.T) {
	t.Parallel()
	bin := buildCLI(t)
	srv, base := startLocalwise(t, localwise.Config{})
	cw := newCanaryWorld(t, srv, base)
	c := cli{t: t, bin: bin, dir: filepath.Join(t.TempDir(), "wallet")}
	var outputs []string // everything printed that must hold no secret
	const failed = -1    // any non-zero exit
	run := func(wantCode int, stdin string, args ...string) cliResult {
		t.Helper()
		r := c.run(stdin, args...)
		if r.code != wantCode && !(wantCode == failed && r.code != 0) {
			t.Errorf("wisewallet %s: exit %d, want %d", args[0], r.code, wantCode)
		}
		outputs = append(outputs, strings.Join(args, " ")+"\x00"+r.stdout, strings.Join(args, " ")+"\x00"+r.stderr)
		return r
	}
	secret := cw.clientSecret + "\n"

	c.must("", "init", "--kdf-time", "1", "--kdf-memory", "8", "--kdf-threads", "1", "--insecure-kdf")
	run(0, secret, "add", "client", "app", "--env", "local", "--api-url", base, "--client-id", "canary-app", "--redirect-url", cw.redirect)
	run(1, cw.wrong+"\n", "add", "client", "wrong", "--env", "local", "--api-url", base, "--client-id", "canary-app", "--redirect-url", cw.redirect)
	run(0, cw.personal+"\n", "add", "personal", "pt", "--env", "local", "--api-url", base)
	run(0, "", "login", "app", "--as", "alice", "--registration-code", "--email", "alice@example.test")
	run(1, "", "login", "app", "--as", "dave", "--registration-code", "--email", localwise.DemoUserEmail)
	run(failed, cw.badCode+"\n", "login", "app", "--as", "paster", "--paste")
	run(0, "", "whoami", "alice")
	run(0, "", "whoami", "pt", "--json")
	run(0, "", "status", "--json")
	run(0, "", "status")
	run(0, "", "list", "--json")
	run(0, "", "show", "alice", "--json")
	run(0, "", "show", "app")

	// `token` prints the token on stdout and nothing else anywhere.
	tok := c.run("", "token", "pt")
	if tok.code != 0 || tok.stdout != cw.personal+"\n" {
		t.Errorf("token pt: exit %d, stdout is not exactly the token", tok.code)
	}
	outputs = append(outputs, "token pt stderr\x00"+tok.stderr)

	w := openWalletDir(t, c.dir)
	cw.learn(w)
	srv.SetFaults(localwise.Faults{RevokeRefreshTokens: true})
	expireSoon(t, w, "alice")
	run(5, "", "token", "alice")
	run(5, "", "whoami", "alice")

	for _, out := range outputs {
		where, text, _ := strings.Cut(out, "\x00")
		assertNoSecret(t, where, text, cw.secrets...)
	}
}
