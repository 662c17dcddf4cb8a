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
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
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
// testdata when `npm ci` ran there (.ci/run does) with the pinned version.
// Otherwise `npm ci` needs the registry, so this test runs it in a copy only
// when asked to (CI, or WISEWALLET_NPM_CI=1) and else skips, saying how;
// once asked, an install that fails fails the test.
func npmClientDir(t *testing.T, npm string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir, skip, err := prepareNPMClient(ctx, npmClientSrc, t.TempDir(), os.Getenv, func(ctx context.Context, dir string) ([]byte, error) {
		// --ignore-scripts: nothing from the registry runs at install time.
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
		cmd.Dir = dir
		return cmd.CombinedOutput()
	})
	if err != nil {
		t.Fatal(err)
	}
	if skip != "" {
		t.Skip(skip)
	}
	return dir
}

// npmInstallCommand installs the client where npmClientDir looks first.
const npmInstallCommand = "npm ci --prefix flows/localwise/testdata/npmclient --no-audit --no-fund --ignore-scripts"

// prepareNPMClient finds or installs the client from src: src itself when
// its node_modules hold the locked oauth4webapi, else a copy in tmp where
// npmCI installs it, if getenv allows installing. When it does not, skip
// says why and what to run.
func prepareNPMClient(ctx context.Context, src, tmp string, getenv func(string) string,
	npmCI func(ctx context.Context, dir string) ([]byte, error)) (dir, skip string, err error) {
	want, err := lockedVersion(filepath.Join(src, "package-lock.json"))
	if err != nil {
		return "", "", err
	}
	got := installedVersion(filepath.Join(src, "node_modules", "oauth4webapi", "package.json"))
	if got == want {
		abs, err := filepath.Abs(src)
		return abs, "", err
	}
	if !npmInstallAllowed(getenv) {
		have := "no node_modules"
		if got != "" {
			have = "oauth4webapi " + got + " in node_modules"
		}
		return "", fmt.Sprintf("%s has %s, the lock pins oauth4webapi %s; installing it needs the npm registry: "+
			"run `%s` from the repository root, or set WISEWALLET_NPM_CI=1 to let this test run npm ci in a copy", src, have, want, npmInstallCommand), nil
	}
	for _, f := range []string{"package.json", "package-lock.json", "client.mjs"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			return "", "", err
		}
		if err := os.WriteFile(filepath.Join(tmp, f), b, 0o600); err != nil {
			return "", "", err
		}
	}
	if out, err := npmCI(ctx, tmp); err != nil {
		return "", "", fmt.Errorf("npm ci in a copy of %s: %w\n%s", src, err, out)
	}
	if got := installedVersion(filepath.Join(tmp, "node_modules", "oauth4webapi", "package.json")); got != want {
		return "", "", fmt.Errorf("npm ci installed oauth4webapi %q, the lock pins %q", got, want)
	}
	return tmp, "", nil
}

// npmInstallAllowed says whether this run may reach the npm registry: in CI
// (CI=true, which CI services set) or when WISEWALLET_NPM_CI=1 asks for it.
func npmInstallAllowed(getenv func(string) string) bool {
	for _, name := range []string{"CI", "WISEWALLET_NPM_CI"} {
		if on, err := strconv.ParseBool(getenv(name)); err == nil && on {
			return true
		}
	}
	return false
}

func TestPrepareNPMClient(t *testing.T) {
	want, err := lockedVersion(filepath.Join(npmClientSrc, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	// src is a copy of the client's files, with node_modules holding
	// oauth4webapi at version when it is not empty.
	newSrc := func(t *testing.T, version string) string {
		src := t.TempDir()
		for _, f := range []string{"package.json", "package-lock.json", "client.mjs"} {
			b, err := os.ReadFile(filepath.Join(npmClientSrc, f))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(src, f), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if version != "" {
			installFake(t, src, version)
		}
		return src
	}
	env := func(kv ...string) func(string) string {
		return func(name string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == name {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	// npmCI records where it ran, then installs version or fails.
	type fakeNPM struct {
		ranIn   []string
		version string
		fail    bool
	}
	run := func(f *fakeNPM) func(context.Context, string) ([]byte, error) {
		return func(_ context.Context, dir string) ([]byte, error) {
			f.ranIn = append(f.ranIn, dir)
			if f.fail {
				return []byte("npm error network ENOTFOUND registry.npmjs.org"), errors.New("exit status 1")
			}
			installFake(t, dir, f.version)
			return nil, nil
		}
	}
	ctx := context.Background()

	t.Run("installed and matching, no CI", func(t *testing.T) {
		src, npm := newSrc(t, want), &fakeNPM{fail: true}
		dir, skip, err := prepareNPMClient(ctx, src, t.TempDir(), env(), run(npm))
		if err != nil || skip != "" || dir != src || len(npm.ranIn) != 0 {
			t.Fatalf("got dir %q, skip %q, err %v, npm ci ran in %q; want %s as it is", dir, skip, err, npm.ranIn, src)
		}
	})
	for _, c := range []struct {
		name, installed string
		env             func(string) string
	}{
		{"missing, no CI", "", env()},
		{"missing, CI and opt-in off", "", env("CI", "false", "WISEWALLET_NPM_CI", "0")},
		{"another version, no CI", "0.0.1", env()},
	} {
		t.Run(c.name, func(t *testing.T) {
			npm := &fakeNPM{version: want}
			dir, skip, err := prepareNPMClient(ctx, newSrc(t, c.installed), t.TempDir(), c.env, run(npm))
			if err != nil || dir != "" || len(npm.ranIn) != 0 {
				t.Fatalf("got dir %q, err %v, npm ci ran in %q; want a skip without npm ci", dir, err, npm.ranIn)
			}
			for _, part := range []string{npmInstallCommand, "WISEWALLET_NPM_CI=1", want} {
				if !strings.Contains(skip, part) {
					t.Errorf("skip reason %q does not say %q", skip, part)
				}
			}
		})
	}
	for _, c := range []struct {
		name string
		env  func(string) string
	}{
		{"missing, CI", env("CI", "true")},
		{"missing, opted in", env("WISEWALLET_NPM_CI", "1")},
	} {
		t.Run(c.name, func(t *testing.T) {
			src, tmp, npm := newSrc(t, "0.0.1"), t.TempDir(), &fakeNPM{version: want}
			dir, skip, err := prepareNPMClient(ctx, src, tmp, c.env, run(npm))
			if err != nil || skip != "" || dir != tmp || !slices.Equal(npm.ranIn, []string{tmp}) {
				t.Fatalf("got dir %q, skip %q, err %v, npm ci ran in %q; want it run once in %s", dir, skip, err, npm.ranIn, tmp)
			}
			if _, err := os.Stat(filepath.Join(tmp, "client.mjs")); err != nil {
				t.Errorf("the copy lacks the client: %v", err)
			}
		})
	}
	// In CI a failed or wrong install is an error for the caller to fail
	// on, never a skip.
	t.Run("npm ci fails in CI", func(t *testing.T) {
		_, skip, err := prepareNPMClient(ctx, newSrc(t, ""), t.TempDir(), env("CI", "true"), run(&fakeNPM{fail: true}))
		if err == nil || skip != "" || !strings.Contains(err.Error(), "ENOTFOUND") {
			t.Fatalf("got skip %q, err %v; want an error with npm's output", skip, err)
		}
	})
	t.Run("npm ci installs another version in CI", func(t *testing.T) {
		_, skip, err := prepareNPMClient(ctx, newSrc(t, ""), t.TempDir(), env("CI", "true"), run(&fakeNPM{version: "0.0.1"}))
		if err == nil || skip != "" {
			t.Fatalf("got skip %q, err %v; want an error", skip, err)
		}
	})
}

// installFake puts a package.json for oauth4webapi at version under dir's
// node_modules, which is all prepareNPMClient reads of an install.
func installFake(t *testing.T, dir, version string) {
	t.Helper()
	pkg := filepath.Join(dir, "node_modules", "oauth4webapi")
	if err := os.MkdirAll(pkg, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pkg, "package.json"), []byte(`{"name":"oauth4webapi","version":"`+version+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
}

func lockedVersion(lockFile string) (string, error) {
	b, err := os.ReadFile(lockFile)
	if err != nil {
		return "", err
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		return "", fmt.Errorf("%s: %w", lockFile, err)
	}
	v := lock.Packages["node_modules/oauth4webapi"].Version
	if v == "" {
		return "", fmt.Errorf("%s does not pin oauth4webapi", lockFile)
	}
	return v, nil
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
