package localwise_test

// An independent JOSE implementation against localwise's JOSE surface over
// real HTTP: the npm package jose (testdata/joseclient, its version pinned
// in package-lock.json). It makes its own keys on WebCrypto, uploads them,
// fetches localwise's, signs and encrypts the four playgrounds' requests
// and verifies and decrypts the answers, so a mistake localwise shared with
// the project's client side (or with go-jose) would show here.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/flows/localwise"
)

const (
	joseClientSrc      = "testdata/joseclient"
	joseClientID       = "npm-jose-client"
	joseClientSecret   = "npm-jose-client-secret"
	joseInstallCommand = "npm ci --prefix flows/localwise/testdata/joseclient --no-audit --no-fund --ignore-scripts"
)

func TestNPMJOSEClient(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH: this test drives the npm JOSE library jose")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm is not on PATH: it installs the pinned jose for this test")
	}
	dir := joseClientDir(t, npm)

	srv := localwise.New(localwise.Config{})
	srv.RegisterClient(localwise.Client{ID: joseClientID, Secret: joseClientSecret})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	tok := clientCredentials(t, ts.URL)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "client.mjs")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	in, _ := json.Marshal(map[string]string{"api_url": ts.URL, "token": tok})
	cmd.Stdin = bytes.NewReader(append(in, '\n'))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var out npmJOSEResult
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("the client's answer is not JSON: %v\n%s", err, stdout.String())
	}

	// What the library read of the key endpoints.
	if out.WiseSigning.Version != 1 || out.WiseSigning.KeyMaterial.Algorithm != "ES512" || out.WiseEncryption.KeyMaterial.Algorithm != "RSA_OAEP_256" {
		t.Errorf("localwise's keys as the library read them: %+v %+v", out.WiseSigning, out.WiseEncryption)
	}
	if e := out.UploadEcho; e["clientId"] != nil || e["deactivationTimestamp"] != nil || e["keyId"] != out.EncKeyID || e["scope"] != "PAYLOAD_ENCRYPTION" {
		t.Errorf("upload echo %v", e)
	}
	// Each answer verified or decrypted in the library; here, what it said.
	for alg, v := range out.JWS {
		if v.ContentType != "application/jose+json" || v.Header["alg"] != "ES512" || v.Header["version"] != 1.0 || len(v.Header) != 2 {
			t.Errorf("jws %s: content type %q, header %v", alg, v.ContentType, v.Header)
		}
		wantNPMAnswer(t, "jws "+alg, v.Answer, "from jose "+alg, http.MethodPost)
	}
	if len(out.JWS) != 2 {
		t.Errorf("jws answers: %v", out.JWS)
	}
	for name, d := range map[string]npmDecrypted{"jwe": out.JWE, "jwe GET": out.JWEGet} {
		if d.Header["kid"] != out.EncKeyID || d.Header["alg"] != "RSA-OAEP-256" || d.Header["enc"] != "A256GCM" {
			t.Errorf("%s header %v", name, d.Header)
		}
	}
	wantNPMAnswer(t, "jwe", decodeAnswer(t, out.JWE.Plaintext), "from jose jwe", http.MethodPost)
	wantNPMAnswer(t, "jwe GET", decodeAnswer(t, out.JWEGet.Plaintext), "", http.MethodGet)
	if h := out.Direct.Header; h["alg"] != "dir" || h["enc"] != "A256GCM" || len(h) != 2 {
		t.Errorf("direct header %v", h)
	}
	wantNPMAnswer(t, "direct", decodeAnswer(t, out.Direct.Plaintext), "1234", http.MethodPost)
	if out.JWSJWE.Outer["kid"] != out.EncKeyID || out.JWSJWE.Header["version"] != 1.0 {
		t.Errorf("jwsjwe headers %v %v", out.JWSJWE.Outer, out.JWSJWE.Header)
	}
	wantNPMAnswer(t, "jwsjwe", out.JWSJWE.Answer, "from jose jwsjwe", http.MethodPost)

	// The refusals, each for its reason.
	for name, want := range map[string]struct {
		status       int
		code, reason string
	}{
		"tampered":         {400, "jws_error", "signature does not verify"},
		"wrong_url":        {400, "jws_error", "url header"},
		"unknown_kid":      {400, "jws_error", "names no PAYLOAD_SIGNING key"},
		"alg_none":         {400, "jws_error", `alg "none" is not accepted`},
		"hs256_public_key": {400, "jws_error", `alg "HS256" is not accepted`},
		"a128gcm":          {500, "", `enc "A128GCM" is not accepted`},
		"long_message":     {422, "", ""},
	} {
		got, ok := out.Refused[name]
		switch {
		case !ok:
			t.Errorf("%s: not tried", name)
		case got.Status != want.status || !strings.Contains(got.Reason, want.reason):
			t.Errorf("%s: %d, reason %q; want %d with %q", name, got.Status, got.Reason, want.status, want.reason)
		case want.code != "" && got.Body["error"] != want.code:
			t.Errorf("%s: body %v, want error %s", name, got.Body, want.code)
		case want.status == 500 && got.Body["message"] != "An unexpected error occurred":
			t.Errorf("%s: body %v", name, got.Body)
		}
	}
	// And localwise kept what the library uploaded.
	if keys := srv.ClientJOSEKeys(joseClientID); len(keys) != 3 {
		t.Errorf("%d keys stored, want 3", len(keys))
	}
}

type npmJOSEResult struct {
	UploadEcho     map[string]any `json:"upload_echo"`
	EncKeyID       string         `json:"enc_key_id"`
	WiseSigning    npmWiseKey     `json:"wise_signing"`
	WiseEncryption npmWiseKey     `json:"wise_encryption"`
	JWS            map[string]struct {
		ContentType string         `json:"contentType"`
		Header      map[string]any `json:"header"`
		Answer      map[string]any `json:"answer"`
	} `json:"jws"`
	JWE    npmDecrypted `json:"jwe"`
	JWEGet npmDecrypted `json:"jwe_get"`
	Direct npmDecrypted `json:"direct"`
	JWSJWE struct {
		Outer  map[string]any `json:"outer"`
		Header map[string]any `json:"header"`
		Answer map[string]any `json:"answer"`
	} `json:"jwsjwe"`
	Refused map[string]struct {
		Status int            `json:"status"`
		Reason string         `json:"reason"`
		Body   map[string]any `json:"body"`
	} `json:"refused"`
}

type npmWiseKey struct {
	KeyID       string `json:"keyId"`
	Version     int    `json:"version"`
	Scope       string `json:"scope"`
	KeyMaterial struct {
		Algorithm   string `json:"algorithm"`
		KeyMaterial string `json:"keyMaterial"`
	} `json:"keyMaterial"`
}

type npmDecrypted struct {
	Header    map[string]any `json:"header"`
	Plaintext string         `json:"plaintext"`
}

func decodeAnswer(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("answer %q: %v", s, err)
	}
	return m
}

func wantNPMAnswer(t *testing.T, name string, a map[string]any, msg, method string) {
	t.Helper()
	if len(a) != 2 || a["message"] != "jose-playground-response-"+msg || a["method"] != method {
		t.Errorf("%s: answer %v", name, a)
	}
}

func clientCredentials(t *testing.T, base string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/oauth/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(joseClientID, joseClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" {
		t.Fatalf("client_credentials: %d %v", resp.StatusCode, err)
	}
	return body.AccessToken
}

// joseClientDir is the client's folder with node_modules holding the
// locked jose: testdata itself when someone ran npm ci there, else a copy
// where this test runs npm ci, in CI or when WISEWALLET_NPM_CI=1 allows
// the registry (npmInstallAllowed, as for the OAuth client); otherwise it
// skips, saying how.
func joseClientDir(t *testing.T, npm string) string {
	t.Helper()
	want, err := lockedPackageVersion(filepath.Join(joseClientSrc, "package-lock.json"), "jose")
	if err != nil {
		t.Fatal(err)
	}
	if installedVersion(filepath.Join(joseClientSrc, "node_modules", "jose", "package.json")) == want {
		abs, err := filepath.Abs(joseClientSrc)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	if !npmInstallAllowed(os.Getenv) {
		t.Skipf("%s has no node_modules with jose %s; installing it needs the npm registry: run `%s` from the repository root, "+
			"or set WISEWALLET_NPM_CI=1 to let this test run npm ci in a copy", joseClientSrc, want, joseInstallCommand)
	}
	tmp := t.TempDir()
	for _, f := range []string{"package.json", "package-lock.json", "client.mjs"} {
		b, err := os.ReadFile(filepath.Join(joseClientSrc, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// --ignore-scripts: nothing from the registry runs at install time.
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in a copy of %s: %v\n%s", joseClientSrc, err, out)
	}
	if got := installedVersion(filepath.Join(tmp, "node_modules", "jose", "package.json")); got != want {
		t.Fatalf("npm ci installed jose %q, the lock pins %q", got, want)
	}
	return tmp
}

// lockedPackageVersion is the version of pkg a package-lock.json pins.
func lockedPackageVersion(lockFile, pkg string) (string, error) {
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
	v := lock.Packages["node_modules/"+pkg].Version
	if v == "" {
		return "", fmt.Errorf("%s does not pin %s", lockFile, pkg)
	}
	return v, nil
}
