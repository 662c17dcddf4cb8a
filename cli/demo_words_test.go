package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/wisewallet/wisewallet/flows/localwise"
)

// The demo's plain output names what its guided flows ask for (the demo
// personal token, client id and secret, as it names the demo login), and
// --once does not invite the user to try a wallet it deletes as it exits.
func TestDemoOnceShowsItsCredentialsAndDoesNotPromiseAWallet(t *testing.T) {
	t.Parallel()
	sio, stdout, stderr := inProcess(map[string]string{}, "")
	if code := run(context.Background(), []string{"demo", "--once"}, sio); code != exitOK {
		t.Fatalf("demo --once: exit %d\n%s", code, stderr)
	}
	out := stderr.String()
	for _, want := range []string{localwise.DemoPersonalToken, localwise.DemoClientID, localwise.DemoClientSecret, localwise.DemoUserEmail} {
		if !strings.Contains(out, want) {
			t.Errorf("demo --once does not show %q:\n%s", want, out)
		}
	}
	if strings.Contains(strings.ToLower(out), "while this runs") {
		t.Errorf("demo --once invites a try while it runs, then exits:\n%s", out)
	}
	if !strings.Contains(out, "deleted") || !strings.Contains(out, "demo --plain") {
		t.Errorf("demo --once does not say its wallet is gone and how to keep one:\n%s", out)
	}
	if !strings.Contains(stdout.String(), "acme-personal") {
		t.Errorf("no status:\n%s", stdout)
	}
}

// demo --plain keeps running: there the invitation is true.
func TestDemoPlainInvitesATryFromAnotherShell(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sio, _, stderr := inProcess(map[string]string{}, "")
	sio.stdout = &cancelOnWrite{cancel: cancel}
	run(ctx, []string{"demo", "--plain", "--every", "1h"}, sio)
	if out := stderr.String(); !strings.Contains(out, "from another shell while this runs") || !strings.Contains(out, localwise.DemoClientSecret) {
		t.Errorf("demo --plain:\n%s", out)
	}
}
