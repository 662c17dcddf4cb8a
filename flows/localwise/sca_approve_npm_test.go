package localwise_test

// Wise's own browser helper for SCA, @transferwise/approve-api-action-helpers
// (testdata/approvehelper, its version pinned in package-lock.json), driven
// in headless chromium against localwise: a partner's page calls its
// backend through the helper's request(); the backend relays localwise's
// 403 and x-2fa-approval; the helper opens localwise's approve-api-action
// page (an iframe, or a popup), where the person signs in; the page tells
// the helper by postMessage, and the helper replays the call, which
// localwise answers APPROVED and runs once.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
)

const (
	approveHelperSrc     = "testdata/approvehelper"
	approveHelperPackage = "@transferwise/approve-api-action-helpers"
	approveHelperInstall = "npm ci --prefix flows/localwise/testdata/approvehelper --no-audit --no-fund --ignore-scripts"
)

func TestApproveAPIActionHelper(t *testing.T) {
	chromium := ""
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if found, err := exec.LookPath(p); err == nil {
			chromium = found
			break
		}
	}
	if chromium == "" {
		t.Skip("chromium is not installed (apt-get install chromium): Wise's approve-api-action helper runs in a browser")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm is not on PATH: it installs the pinned " + approveHelperPackage)
	}
	helperJS, err := os.ReadFile(filepath.Join(approveHelperDir(t, npm), "node_modules", approveHelperPackage, "dist", "main.js"))
	if err != nil {
		t.Fatal(err)
	}
	for _, flow := range []string{"iframe", "popup"} {
		t.Run(flow, func(t *testing.T) { runApproveHelper(t, chromium, helperJS, flow) })
	}
}

func runApproveHelper(t *testing.T, chromium string, helperJS []byte, flow string) {
	srv, base := lwtest.Start(t, localwise.Config{SCAMode: localwise.SCAAlways})
	tok := userToken(t, base)
	fundPath := fmt.Sprintf("/v3/profiles/%d/transfers/42/payments", localwise.DemoPersonalProfileID)

	// The partner: a page with the helper, and a backend that relays the
	// call to localwise with the user's token, as Wise's helper asks
	// ("proxies 'x-2fa-approval' ... and reflects the 403").
	var relayed atomic.Int32
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<!doctype html><html><body><p>partner</p><script src="/helper.js"></script><script src="/app.js"></script></body></html>`)
		case "/helper.js":
			w.Header().Set("Content-Type", "text/javascript")
			_, _ = w.Write(helperJS)
		case "/app.js":
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprintf(w, `window.result = null;
window.start = function () {
  var h = window.twApproveApiActionHelpers;
  var request = h.create({ approvalPageUrl: %q, flow: %q });
  request('/fund', { method: 'POST', body: JSON.stringify({ type: 'BALANCE' }) })
    .then(function (r) { return r.json().then(function (b) { window.result = { status: r.status, approval: r.headers.get('x-2fa-approval-result'), body: b }; }); })
    .catch(function (e) { window.result = { error: String(e), status: e && e.response ? e.response.status : 0 }; });
};`, base+"/approve-api-action/", flow)
		case "/fund":
			relayed.Add(1)
			body, _ := io.ReadAll(r.Body)
			req, _ := http.NewRequest(http.MethodPost, base+fundPath, strings.NewReader(string(body)))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			if a := r.Header.Get("X-2FA-Approval"); a != "" {
				req.Header.Set("X-2FA-Approval", a)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			for _, h := range []string{"Content-Type", "X-2FA-Approval", "X-2FA-Approval-Result"} {
				if v := resp.Header.Get(h); v != "" {
					w.Header().Set(h, v)
				}
			}
			w.Header().Set("Access-Control-Expose-Headers", "x-2fa-approval, x-2fa-approval-result")
			w.WriteHeader(resp.StatusCode)
			_, _ = io.Copy(w, resp.Body)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(partner.Close)

	out := &strings.Builder{}
	var outMu sync.Mutex
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		// The popup flow opens a window from a script that no click
		// started.
		chromedp.Flag("disable-popup-blocking", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Env("DBUS_SESSION_BUS_ADDRESS=disabled:"),
		chromedp.CombinedOutput(writerFunc(func(p []byte) (int, error) {
			outMu.Lock()
			defer outMu.Unlock()
			return out.Write(p)
		})),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelB()
		cancelA()
		if t.Failed() {
			outMu.Lock()
			t.Logf("chromium output:\n%s", out.String())
			outMu.Unlock()
		}
	})
	// The first action starts the browser; it must not carry a timeout.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancelT := context.WithTimeout(bctx, 90*time.Second)
	defer cancelT()
	if err := chromedp.Do(ctx, chromedp.Navigate(partner.URL+"/"), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		t.Fatalf("open the partner page: %v", err)
	}

	var popup <-chan target.ID
	if flow == "popup" {
		popup = chromedp.WaitNewTarget(ctx, func(i *target.Info) bool { return i.Type == "page" && i.OpenerID != "" })
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`window.start()`)); err != nil {
		t.Fatal(err)
	}
	page := ctx
	var in []chromedp.QueryOption
	switch flow {
	case "iframe":
		// The approval page loads in the helper's iframe, same site as
		// the partner (127.0.0.1), so chromium keeps it in this tab and
		// the iframe's node holds its document.
		deadline := time.Now().Add(30 * time.Second)
		for {
			frames, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(`iframe[name="tw-approve-api-action"]`), chromedp.Populate(-1, false)))
			if err != nil {
				t.Fatal(err)
			}
			if len(frames) == 1 {
				sctx, c := context.WithTimeout(ctx, time.Second)
				n, _ := chromedp.Run(sctx, chromedp.Nodes(chromedp.ID("password"), chromedp.FromNode(frames[0])))
				c()
				if len(n) == 1 {
					in = []chromedp.QueryOption{chromedp.FromNode(frames[0])}
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatal("the approval page never showed its form in the iframe")
			}
			time.Sleep(200 * time.Millisecond)
		}
	case "popup":
		var id target.ID
		select {
		case id = <-popup:
		case <-ctx.Done():
			t.Fatal("the helper opened no popup")
		}
		// Attach first, without a timeout: the first action's context
		// bounds the attachment. The popup navigates from the helper's GET
		// to its form's POST meanwhile, and an attachment caught in between
		// fails ("Inspected target navigated or closed"): attach again, to
		// the same target, until the deadline.
		attachBy := time.Now().Add(30 * time.Second)
		for {
			pctx, cancelP := chromedp.NewContext(ctx, chromedp.WithTargetID(id))
			err := chromedp.Do(pctx)
			if err == nil {
				page = pctx
				defer cancelP()
				break
			}
			cancelP()
			if time.Now().After(attachBy) {
				t.Fatalf("attach to the popup: %v", err)
			}
			time.Sleep(200 * time.Millisecond)
		}
		// The popup first shows the page's GET (the helper opens it before
		// posting its form into it): wait across that navigation.
		deadline := time.Now().Add(30 * time.Second)
		for {
			sctx, c := context.WithTimeout(page, time.Second)
			n, _ := chromedp.Run(sctx, chromedp.Nodes(chromedp.ID("password")))
			c()
			if len(n) == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the approval page never showed its form in the popup")
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	action, err := chromedp.Run(page, chromedp.Text(chromedp.ID("action"), in...))
	if err != nil {
		t.Fatal(err)
	}
	if action != "fund a transfer" {
		t.Errorf("the page names the action %q", action)
	}
	if err := chromedp.Do(page,
		chromedp.SendKeys(chromedp.ID("password"), localwise.DemoUserPassword, in...),
		chromedp.SendKeys(chromedp.ID("otp"), "111111", in...),
		chromedp.Click(chromedp.ID("approve"), in...),
	); err != nil {
		t.Fatalf("sign in on the approval page: %v", err)
	}

	var res map[string]any
	deadline := time.Now().Add(30 * time.Second)
	for res == nil {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`window.result`))
		if err != nil {
			t.Fatal(err)
		}
		res = v
		if time.Now().After(deadline) {
			t.Fatal("the helper never finished")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if res["status"] != float64(200) || res["approval"] != "APPROVED" {
		t.Fatalf("the helper's result: %v", res)
	}
	if b, _ := res["body"].(map[string]any); b["status"] != "COMPLETED" {
		t.Errorf("funding answer %v", res["body"])
	}
	if n := relayed.Load(); n != 2 {
		t.Errorf("the backend relayed %d calls, want the first and the replay", n)
	}
	if n := srv.SCAStats().Executed["POST "+fundPath]; n != 1 {
		t.Errorf("localwise ran the funding %d times", n)
	}
}

// userToken runs the authorize page and the code exchange for the demo
// user's personal profile.
func userToken(t *testing.T, base string) string {
	t.Helper()
	q := url.Values{"client_id": {localwise.DemoClientID}, "redirect_uri": {localwise.DemoRedirectURL}, "state": {"s"}}
	done := lwtest.Person{ProfileID: localwise.DemoPersonalProfileID}.Authorize(t, base+"/oauth/authorize?"+q.Encode(), lwtest.Approve)
	loc, err := url.Parse(done.Location)
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("consent: %d %q", done.Status, done.Location)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {localwise.DemoClientID},
		"code": {loc.Query().Get("code")}, "redirect_uri": {localwise.DemoRedirectURL}}
	req, _ := http.NewRequest(http.MethodPost, base+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(localwise.DemoClientID, localwise.DemoClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AccessToken == "" {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return out.AccessToken
}

// approveHelperDir is the helper's folder with its node_modules: the one in
// testdata when `npm ci` ran there, else a copy where this test runs it
// when it may reach the registry (CI, or WISEWALLET_NPM_CI=1).
func approveHelperDir(t *testing.T, npm string) string {
	t.Helper()
	want, err := lockedPackageVersion(filepath.Join(approveHelperSrc, "package-lock.json"), approveHelperPackage)
	if err != nil {
		t.Fatal(err)
	}
	if installedVersion(filepath.Join(approveHelperSrc, "node_modules", approveHelperPackage, "package.json")) == want {
		abs, err := filepath.Abs(approveHelperSrc)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	if !npmInstallAllowed(os.Getenv) {
		t.Skipf("%s has no node_modules with %s %s; installing it needs the npm registry: run `%s` from the repository root, "+
			"or set WISEWALLET_NPM_CI=1 to let this test run npm ci in a copy", approveHelperSrc, approveHelperPackage, want, approveHelperInstall)
	}
	tmp := t.TempDir()
	for _, f := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(approveHelperSrc, f))
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
		t.Fatalf("npm ci in a copy of %s: %v\n%s", approveHelperSrc, err, out)
	}
	if got := installedVersion(filepath.Join(tmp, "node_modules", approveHelperPackage, "package.json")); got != want {
		t.Fatalf("npm ci installed %s %q, the lock pins %q", approveHelperPackage, got, want)
	}
	return tmp
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
