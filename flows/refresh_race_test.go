package flows

import (
	"bytes"
	"context"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/wallet"
)

// Ten `wisewallet token` processes find the same access token due at the
// same moment. Wise invalidates the previous access token on every refresh
// (and localwise rotates refresh tokens), so more than one refresh would
// hand some processes a dead token: exactly one refresh must happen, under
// the wallet lock, and every process must print the token it produced.
func TestTenProcessesRefreshOnce(t *testing.T) {
	t.Parallel()
	bin := buildCLI(t)
	srv, base := startLocalwise(t, localwise.Config{})
	c := cli{t: t, bin: bin, dir: filepath.Join(t.TempDir(), "wallet")}
	c.must("", "init", "--kdf-time", "1", "--kdf-memory", "8", "--kdf-threads", "1", "--insecure-kdf")
	c.must(localwise.DemoClientSecret+"\n", "add", "client", "app", "--env", "local", "--api-url", base,
		"--client-id", localwise.DemoClientID, "--redirect-url", localwise.DemoRedirectURL)
	c.must("", "login", "app", "--as", "alice", "--registration-code", "--email", "alice@example.test")

	expireSoon(t, openWalletDir(t, c.dir), "alice")
	before, err := openWalletDir(t, c.dir).Get("alice")
	if err != nil {
		t.Fatal(err)
	}
	oldAccess, oldRefresh := secretOf(t, before, wallet.SecretAccessToken), secretOf(t, before, wallet.SecretRefreshToken)
	if n := srv.Stats().RefreshRequests; n != 0 {
		t.Fatalf("%d refreshes before the race", n)
	}

	const procs = 10
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	type proc struct {
		cmd       *exec.Cmd
		out, errb *bytes.Buffer
	}
	var ps []proc
	// A slow Wise keeps the first refresh in flight (holding the lock)
	// while the others start, find the same due token and queue up.
	srv.SetFaults(localwise.Faults{Latency: 300 * time.Millisecond})
	for range procs {
		cmd, out, errb := c.command(ctx, "", "token", "alice")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, proc{cmd, out, errb})
	}
	tokens := map[string]int{}
	for i, p := range ps {
		if err := p.cmd.Wait(); err != nil {
			t.Errorf("process %d: %v: %s", i, err, p.errb.String())
			continue
		}
		tokens[strings.TrimSuffix(p.out.String(), "\n")]++
	}
	srv.SetFaults(localwise.Faults{})
	if t.Failed() {
		t.FailNow()
	}

	if n := srv.Stats().RefreshRequests; n != 1 {
		t.Errorf("%d processes made %d refresh requests, want exactly 1", procs, n)
	}
	if len(tokens) != 1 {
		t.Fatalf("the processes printed %d different tokens, want 1", len(tokens))
	}
	var tok string
	for tok = range tokens {
	}
	if tok == "" || tok == oldAccess {
		t.Fatal("the processes printed no token or the old one")
	}
	if st := meStatus(t, base, tok); st != http.StatusOK {
		t.Errorf("the printed token: /v1/me HTTP %d", st)
	}
	if st := meStatus(t, base, oldAccess); st != http.StatusUnauthorized {
		t.Errorf("the old token: /v1/me HTTP %d, want 401", st)
	}
	after, err := openWalletDir(t, c.dir).Get("alice")
	if err != nil {
		t.Fatal(err)
	}
	newRefresh := secretOf(t, after, wallet.SecretRefreshToken)
	if secretOf(t, after, wallet.SecretAccessToken) != tok || newRefresh == oldRefresh || after.Status != wallet.StatusOK {
		t.Error("the wallet does not hold the new access token and the rotated refresh token")
	}
	if st, code := refreshStatus(t, base, localwise.DemoClientID, localwise.DemoClientSecret, oldRefresh); st != http.StatusUnauthorized || code != "invalid_grant" {
		t.Errorf("old refresh token: HTTP %d %s", st, code)
	}
	if st, _ := refreshStatus(t, base, localwise.DemoClientID, localwise.DemoClientSecret, newRefresh); st != http.StatusOK {
		t.Errorf("saved refresh token: HTTP %d", st)
	}
}
