package localwise_test

// A strict third-party OAuth client against localwise over real HTTP: the
// npm package oauth4webapi (testdata/npmclient, versions pinned in its
// package-lock.json). It sends RFC 6749 §2.3.1 form-encoded Basic
// credentials, PKCE and state, and checks every response it reads, so it
// finds what a client written alongside localwise would share with it.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
)

const npmClientSrc = "testdata/npmclient"

// A client id and secret with characters the client form-encodes: '-' and
// '.' in the id, '%', '+', '/', ':' and a space in the secret.
const (
	npmClientID     = "npm-strict.client"
	npmClientSecret = "npm%secret+with/reserved:chars and space"
	npmRedirect     = "http://127.0.0.1:9/npm/callback"
)

func TestStrictNPMOAuthClient(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH: this test drives the npm OAuth client oauth4webapi")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm is not on PATH: it installs the pinned oauth4webapi for this test")
	}
	dir := npmClientDir(t, npm)
	for name, tokenPath := range map[string]string{"unversioned": "/oauth/token", "2026Q3": "/2026Q3/oauth/token"} {
		t.Run(name, func(t *testing.T) { runNPMClient(t, node, dir, tokenPath) })
	}
}

// npmClientDir is the client's folder with its node_modules: the one in
// testdata when `npm ci` ran there (CI does) with the pinned version, else
// a copy in a temporary folder where this test runs `npm ci` itself.
func npmClientDir(t *testing.T, npm string) string {
	t.Helper()
	want := lockedVersion(t, filepath.Join(npmClientSrc, "package-lock.json"))
	if installedVersion(filepath.Join(npmClientSrc, "node_modules", "oauth4webapi", "package.json")) == want {
		abs, err := filepath.Abs(npmClientSrc)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	dir := t.TempDir()
	for _, f := range []string{"package.json", "package-lock.json", "client.mjs"} {
		b, err := os.ReadFile(filepath.Join(npmClientSrc, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// --ignore-scripts: nothing from the registry runs at install time.
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in a copy of %s: %v\n%s", npmClientSrc, err, out)
	}
	if got := installedVersion(filepath.Join(dir, "node_modules", "oauth4webapi", "package.json")); got != want {
		t.Fatalf("npm ci installed oauth4webapi %q, the lock pins %q", got, want)
	}
	return dir
}

func lockedVersion(t *testing.T, lockFile string) string {
	t.Helper()
	b, err := os.ReadFile(lockFile)
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		t.Fatalf("%s: %v", lockFile, err)
	}
	v := lock.Packages["node_modules/oauth4webapi"].Version
	if v == "" {
		t.Fatalf("%s does not pin oauth4webapi", lockFile)
	}
	return v
}

func installedVersion(pkgJSON string) string {
	b, err := os.ReadFile(pkgJSON)
	if err != nil {
		return ""
	}
	var p struct {
		Version string `json:"version"`
	}
	_ = json.Unmarshal(b, &p)
	return p.Version
}

// basicUsers records the user part of every Basic header the token
// endpoint gets, as sent (before any decoding).
type basicUsers struct {
	mu    sync.Mutex
	users []string
}

func (b *basicUsers) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/oauth/token") {
			raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(r.Header.Get("Authorization"), "Basic "))
			user, _, _ := strings.Cut(string(raw), ":")
			b.mu.Lock()
			b.users = append(b.users, user)
			b.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

type npmResult struct {
	ClientCredentials struct {
		AccessToken     string  `json:"access_token"`
		TokenType       string  `json:"token_type"`
		ExpiresIn       float64 `json:"expires_in"`
		HasRefreshToken bool    `json:"has_refresh_token"`
	} `json:"client_credentials"`
	AuthorizationCode struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		TokenType    string `json:"token_type"`
		ProfileID    string `json:"profile_id"`
	} `json:"authorization_code"`
	Refresh struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	} `json:"refresh"`
	UnsupportedGrant npmError `json:"unsupported_grant"`
	WrongSecret      npmError `json:"wrong_secret"`
}

type npmError struct {
	Name    string   `json:"name"`
	Status  int      `json:"status"`
	Error   string   `json:"error"`
	Schemes []string `json:"schemes"`
	Message string   `json:"message"`
}

func runNPMClient(t *testing.T, node, dir, tokenPath string) {
	srv := localwise.New(localwise.Config{})
	srv.RegisterClient(localwise.Client{ID: npmClientID, Secret: npmClientSecret, RedirectURLs: []string{npmRedirect}})
	var seen basicUsers
	ts := httptest.NewServer(seen.wrap(srv.Handler()))
	t.Cleanup(ts.Close)
	base := ts.URL

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "client.mjs")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node: %v", err)
	}
	lines := bufio.NewScanner(stdout)
	fail := func(format string, args ...any) {
		t.Helper()
		_ = stdin.Close()
		_ = cmd.Wait()
		t.Fatalf(format+"\nnode stderr:\n%s", append(args, stderr.String())...)
	}
	send := func(v any) {
		t.Helper()
		b, _ := json.Marshal(v)
		if _, err := stdin.Write(append(b, '\n')); err != nil {
			fail("write to the client: %v", err)
		}
	}
	receive := func(v any) {
		t.Helper()
		if !lines.Scan() {
			fail("the client ended without an answer")
		}
		if err := json.Unmarshal(lines.Bytes(), v); err != nil {
			fail("the client's answer is not JSON: %v", err)
		}
	}

	send(map[string]string{"api_url": base, "token_path": tokenPath, "authorize_url": base + strings.TrimSuffix(tokenPath, "/oauth/token") + "/oauth/authorize/",
		"client_id": npmClientID, "client_secret": npmClientSecret, "redirect_uri": npmRedirect})
	var step struct {
		AuthorizeURL string `json:"authorize_url"`
	}
	receive(&step)
	consent := lwtest.Person{ProfileID: localwise.DemoPersonalProfileID}.Authorize(t, step.AuthorizeURL, lwtest.Approve)
	if consent.Status != http.StatusFound || !strings.HasPrefix(consent.Location, npmRedirect+"?") {
		fail("consent answer: HTTP %d, not a redirect to the registered URL", consent.Status)
	}
	send(map[string]string{"callback": consent.Location})
	var out struct {
		Result npmResult `json:"result"`
	}
	receive(&out)
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 0 {
			t.Fatalf("node: %v\n%s", err, stderr.String())
		}
	}
	r := out.Result

	// The client encoded its id as RFC 6749 §2.3.1 says, and was accepted.
	seen.mu.Lock()
	users := slices.Clone(seen.users)
	seen.mu.Unlock()
	if len(users) != 5 || slices.ContainsFunc(users, func(u string) bool { return u != "npm%2Dstrict%2Eclient" }) {
		t.Errorf("Basic user parts sent: %q, want 5 times npm%%2Dstrict%%2Eclient", users)
	}

	cc := r.ClientCredentials
	if cc.TokenType != "bearer" || cc.ExpiresIn != 43199 || cc.HasRefreshToken || cc.AccessToken == "" {
		t.Errorf("client_credentials as the client read it: type %q, expires_in %v, refresh token %v", cc.TokenType, cc.ExpiresIn, cc.HasRefreshToken)
	}
	if st := apiStatus(t, http.MethodPost, base+"/v1/users/exists", cc.AccessToken, `{"email":"nobody@example.test"}`); st != http.StatusOK {
		t.Errorf("the client's client-credentials token: HTTP %d", st)
	}

	ac := r.AuthorizationCode
	if ac.TokenType != "bearer" || ac.ProfileID != "16000001" || ac.AccessToken == "" || ac.RefreshToken == "" {
		t.Errorf("authorization_code as the client read it: type %q, profile %q", ac.TokenType, ac.ProfileID)
	}
	ref := r.Refresh
	if ref.AccessToken == "" || ref.RefreshToken == "" || ref.RefreshToken == ac.RefreshToken || ref.AccessToken == ac.AccessToken {
		t.Error("the refresh did not rotate both tokens")
	}
	if st := apiStatus(t, http.MethodGet, base+"/v1/me", ref.AccessToken, ""); st != http.StatusOK {
		t.Errorf("the refreshed access token: HTTP %d", st)
	}
	if st := apiStatus(t, http.MethodGet, base+"/v1/me", ac.AccessToken, ""); st != http.StatusUnauthorized {
		t.Errorf("the access token before the refresh: HTTP %d, want 401", st)
	}

	if e := r.UnsupportedGrant; e.Name != "ResponseBodyError" || e.Status != http.StatusBadRequest || e.Error != "unsupported_grant_type" {
		t.Errorf("unknown grant as the client read it: %+v", e)
	}
	if e := r.WrongSecret; e.Name != "WWWAuthenticateChallengeError" || e.Status != http.StatusUnauthorized || !slices.Equal(e.Schemes, []string{"basic"}) {
		t.Errorf("wrong secret as the client read it: %+v", e)
	}
	st := srv.Stats()
	if st.ClientCredentialsRequests != 2 || st.AuthorizationCodeRequests != 1 || st.RefreshRequests != 1 || st.TokensIssued != 3 {
		t.Errorf("stats %+v: want 2 client_credentials, 1 authorization_code, 1 refresh, 3 issued", st)
	}
}

func apiStatus(t *testing.T, method, u, token, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
