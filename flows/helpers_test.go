package flows

// Shared fixtures for the flows tests. Every test talks to a real localwise
// server on a free loopback port and keeps a real wallet in t.TempDir();
// nothing is mocked.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// testKDF keeps wallet creation and unlocking at milliseconds.
var testKDF = crypto.KDFParams{Time: 1, MemoryKiB: 8, Threads: 1}

const testPassphrase = "flows-test-passphrase"

// offsetClock is the real clock moved by a settable offset. Service.Now
// uses it to make a token due for refresh without waiting; localwise keeps
// the real clock, so the tokens it issued stay valid at the server.
type offsetClock struct{ off atomic.Int64 }

func (c *offsetClock) Now() time.Time      { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *offsetClock) Set(d time.Duration) { c.off.Store(int64(d)) }

// fixture is one localwise server plus one wallet and a Service on it.
type fixture struct {
	t     *testing.T
	srv   *localwise.Server
	base  string
	env   wallet.Environment
	dir   string
	w     *wallet.Wallet
	svc   *Service
	clock *offsetClock
}

func newFixture(t *testing.T, cfg localwise.Config) *fixture {
	t.Helper()
	srv, base := startLocalwise(t, cfg)
	env, err := ResolveEnv(string(wallet.EnvLocal), base)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "wallet")
	w, err := wallet.Create(context.Background(), wallet.NewFileStore(dir), crypto.SecretString(testPassphrase), wallet.Options{KDF: testKDF})
	if err != nil {
		t.Fatalf("create wallet: %v", err)
	}
	clock := &offsetClock{}
	svc := New(w, Options{HTTP: wise.DefaultHTTPClient(), Now: clock.Now})
	return &fixture{t: t, srv: srv, base: base, env: env, dir: dir, w: w, svc: svc, clock: clock}
}

// startLocalwise runs a localwise server on a free loopback port until the
// test ends.
func startLocalwise(t testing.TB, cfg localwise.Config) (*localwise.Server, string) {
	t.Helper()
	return lwtest.Start(t, cfg)
}

// walletBytes is the wallet file as stored, to prove an operation changed
// nothing on disk.
func (f *fixture) walletBytes() []byte {
	f.t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, wallet.FileName))
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// reopen unlocks the wallet file afresh, so assertions see what was saved
// rather than what one process holds in memory.
func (f *fixture) reopen() *wallet.Wallet {
	f.t.Helper()
	return openWalletDir(f.t, f.dir)
}

func openWalletDir(t testing.TB, dir string) *wallet.Wallet {
	t.Helper()
	w, err := wallet.Open(context.Background(), wallet.NewFileStore(dir), wallet.Unlocker{
		Passphrase: func() (crypto.Secret, error) { return crypto.SecretString(testPassphrase), nil },
	})
	if err != nil {
		t.Fatalf("reopen wallet: %v", err)
	}
	return w
}

func (f *fixture) saved(name string) wallet.Entry {
	f.t.Helper()
	e, err := f.reopen().Get(name)
	if err != nil {
		f.t.Fatalf("entry %q on disk: %v", name, err)
	}
	return e
}

func (f *fixture) assertAbsent(name string) {
	f.t.Helper()
	if _, err := f.reopen().Get(name); !errors.Is(err, wallet.ErrEntryNotFound) {
		f.t.Fatalf("entry %q should not be in the wallet (err %v)", name, err)
	}
}

// addDemoClient stores localwise's demo client, checked with a
// client-credentials token.
func (f *fixture) addDemoClient(name string) wallet.Entry {
	f.t.Helper()
	return f.addClient(name, localwise.DemoClientID, localwise.DemoClientSecret, localwise.DemoRedirectURL, true)
}

func (f *fixture) addClient(name, id, secret, redirect string, check bool) wallet.Entry {
	f.t.Helper()
	e, err := f.svc.addClient(context.Background(), ClientInput{Name: name, Env: f.env, ClientID: id,
		Secret: crypto.SecretString(secret), RedirectURL: redirect, Check: check})
	if err != nil {
		f.t.Fatalf("add client %q: %v", name, err)
	}
	return e
}

// regLogin creates a user by registration code and stores its tokens.
func (f *fixture) regLogin(client, as, email string) wallet.Entry {
	f.t.Helper()
	e, err := f.svc.loginRegistrationCode(context.Background(), RegistrationRequest{Client: client, As: as, Email: email})
	if err != nil {
		f.t.Fatalf("registration-code login %q: %v", as, err)
	}
	return e
}

// makeDue moves the service clock past the point where every token issued
// so far must be refreshed (Wise's 12 h lifetime, or less).
func (f *fixture) makeDue() { f.clock.Set(13 * time.Hour) }

// expireSoon rewrites an entry's access token dates as if it had been
// issued an hour ago and expired in a few seconds: the way to make a token
// due for a child process, whose clock cannot be moved. localwise still
// accepts the token and its refresh token.
func (f *fixture) expireSoon(name string) { expireSoon(f.t, f.w, name) }

func expireSoon(t testing.TB, w *wallet.Wallet, name string) {
	t.Helper()
	err := w.Update(context.Background(), func(c *wallet.Contents) error {
		e, err := c.Get(name)
		if err != nil {
			return err
		}
		now := time.Now().UTC().Truncate(time.Second)
		issued, soon := now.Add(-time.Hour), now.Add(10*time.Second)
		e.AccessIssuedAt, e.AccessExpiresAt = &issued, &soon
		return c.Put(e)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// meStatus calls localwise's GET /v1/me with token and returns the status.
func meStatus(t testing.TB, base, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/v1/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /v1/me: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// refreshStatus redeems a refresh token at localwise directly and returns
// the HTTP status and the OAuth error code.
func refreshStatus(t testing.TB, base, clientID, secret, refresh string) (int, string) {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}
	req, err := http.NewRequest(http.MethodPost, base+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /oauth/token: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`"error":"([^"]*)"`).FindSubmatch(b)
	if m == nil {
		return resp.StatusCode, ""
	}
	return resp.StatusCode, string(m[1])
}

// freeLoopbackURL returns http://127.0.0.1:PORT/path for a port that was
// free a moment ago.
func freeLoopbackURL(t testing.TB, path string) string {
	t.Helper()
	return lwtest.FreeLoopbackURL(t, path)
}

// noRedirect shows redirects instead of following them, so each hop of
// the authorize flow can be checked.
var noRedirect = lwtest.HTTPClient()

// webPage is one HTTP answer of the authorize flow.
type webPage struct {
	status   int
	location string
	body     string
}

func asWebPage(p lwtest.Page) webPage {
	return webPage{status: p.Status, location: p.Location, body: p.Body}
}

func fetch(t testing.TB, method, u string, form url.Values) webPage {
	t.Helper()
	return asWebPage(lwtest.Fetch(t, method, u, form))
}

// authorizeByHTTP plays the person on localwise's authorize page with plain
// net/http: log in as the demo user, then approve (for profileID) or deny.
// It returns the consent answer: a 302 to the redirect URL, or the code
// page in showCode mode.
func authorizeByHTTP(t testing.TB, authURL string, profileID int64, decision string) webPage {
	t.Helper()
	return asWebPage(lwtest.Person{ProfileID: profileID}.Authorize(t, authURL, lwtest.Decision(decision)))
}

var codeOnPage = lwtest.CodeOnPage

// sameEntry compares two entries including their secrets.
func sameEntry(a, b wallet.Entry) bool { return reflect.DeepEqual(a, b) }

func secretOf(t testing.TB, e wallet.Entry, field string) string {
	t.Helper()
	s := e.Secret(field)
	if s.IsZero() {
		t.Fatalf("entry %q has no %s", e.Name, field)
	}
	return s.RevealString()
}

var traceIDInText = regexp.MustCompile(`x-trace-id [0-9a-f]{32}`)

// errorTexts is every way an error is likely to be printed.
func errorTexts(err error) map[string]string {
	return map[string]string{
		"Error()": err.Error(),
		"%v":      fmt.Sprintf("%v", err),
		"%+v":     fmt.Sprintf("%+v", err),
		"%#v":     fmt.Sprintf("%#v", err),
		"%q":      fmt.Sprintf("%q", err),
	}
}

// assertNoSecret fails when any secret occurs in text. It never prints the
// text or the secret: a leak must not be repeated into the test log.
func assertNoSecret(t testing.TB, where, text string, secrets ...string) {
	t.Helper()
	for i, s := range secrets {
		if s == "" {
			t.Fatalf("%s: secret #%d is empty; the check would prove nothing", where, i)
		}
		if j := strings.Index(text, s); j >= 0 {
			t.Errorf("%s: secret #%d appears at byte %d of %d", where, i, j, len(text))
		}
	}
}

func assertErrNoSecret(t testing.TB, where string, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: expected an error", where)
	}
	for verb, text := range errorTexts(err) {
		assertNoSecret(t, where+" "+verb, text, secrets...)
	}
}

// canary returns a unique, recognisable secret value.
func canary(kind string) string {
	return "CANARY-" + kind + "-" + fmt.Sprintf("%x", crypto.RandomBytes(12))
}

// buildCLI builds the real wisewallet binary into a temporary folder. The
// Go build cache makes this a link step after the first test.
func buildCLI(t testing.TB) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH; cannot build the CLI")
	}
	out, err := exec.Command(goBin, "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(t.TempDir(), "wisewallet")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", bin, "github.com/wisewallet/wisewallet")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return bin
}

// cli runs the built binary against one wallet folder.
type cli struct {
	t   testing.TB
	bin string
	dir string
}

type cliResult struct {
	stdout, stderr string
	code           int
}

// cliEnv is the environment of every child: the wallet folder, the
// passphrase (the documented automation opt-in) and no OS keyring or D-Bus.
func (c cli) env() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + c.dir,
		"WISEWALLET_DIR=" + c.dir,
		"WISEWALLET_PASSPHRASE=" + testPassphrase,
		"WISEWALLET_KEYRING=none",
		"DBUS_SESSION_BUS_ADDRESS=disabled:",
	}
}

func (c cli) command(ctx context.Context, stdin string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = c.env()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = time.Second
	return cmd, &out, &errb
}

// must runs a command that has to succeed.
func (c cli) must(stdin string, args ...string) cliResult {
	c.t.Helper()
	r := c.run(stdin, args...)
	if r.code != 0 {
		c.t.Fatalf("wisewallet %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

func (c cli) run(stdin string, args ...string) cliResult {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd, out, errb := c.command(ctx, stdin, args...)
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		c.t.Fatalf("wisewallet %s: %v", args[0], err)
	}
	return cliResult{stdout: out.String(), stderr: errb.String(), code: code}
}
