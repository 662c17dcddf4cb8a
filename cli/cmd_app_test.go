package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/tui"
	"github.com/wisewallet/wisewallet/wallet"
)

// appTestIO is a cliIO with buffers (so no terminal) and the given
// environment.
func appTestIO(vars map[string]string) (*cliIO, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	return &cliIO{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		getenv:          func(k string) string { return vars[k] },
		unsetenv:        func(k string) { delete(vars, k) },
		openTTY:         func() (tty, error) { return nil, errors.New("no terminal") },
		stdinIsTerminal: func() bool { return false }}, &stdout, &stderr
}

func TestNoCommandWithoutATerminalPrintsUsageAndExits2(t *testing.T) {
	sio, stdout, stderr := appTestIO(map[string]string{})
	if code := run(context.Background(), nil, sio); code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
	// fang's layout: the command list under COMMANDS.
	if !strings.Contains(stderr.String(), "COMMANDS") || !strings.Contains(stderr.String(), "Create a new encrypted wallet") || stdout.Len() != 0 {
		t.Errorf("the usage is not on stderr alone:\nstdout %q\nstderr %q", stdout, stderr)
	}
}

func TestAppFlagsWithoutATerminalAreAUsageError(t *testing.T) {
	sio, _, stderr := appTestIO(map[string]string{})
	if code := run(context.Background(), []string{"--auto-lock", "5m"}, sio); code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(stderr.String(), "needs a terminal") {
		t.Errorf("the reason is not given: %q", stderr)
	}
}

func TestAutoLockDefaultsAndEnvironment(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want time.Duration
		bad  bool
	}{
		{"", tui.DefaultAutoLock, false},
		{"90s", 90 * time.Second, false},
		{"0", 0, false},
		{"soon", 0, true},
		{"-1m", 0, true},
	} {
		sio, _, _ := appTestIO(map[string]string{"WISEWALLET_AUTO_LOCK": tc.env})
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		addAutoLockFlag(fs)
		d, err := autoLockOf(sio, fs)
		if tc.bad {
			var ue usageError
			if !errors.As(err, &ue) {
				t.Errorf("WISEWALLET_AUTO_LOCK=%q: err %v, want a usage error", tc.env, err)
			}
			continue
		}
		if err != nil || d != tc.want {
			t.Errorf("WISEWALLET_AUTO_LOCK=%q: %v, %v; want %s", tc.env, d, err, tc.want)
		}
	}
}

func TestAppOpensWithoutPromptFromTheEnvironmentOnly(t *testing.T) {
	dir := t.TempDir()
	st := wallet.NewFileStore(dir)
	if _, err := wallet.Create(context.Background(), st, crypto.SecretString("p-app"), wallet.Options{KDF: crypto.KDFParams{Time: 1, MemoryKiB: 8, Threads: 1}}); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"WISEWALLET_KEYRING": "none"}
	sio, _, _ := appTestIO(vars)
	if svc, err := sio.appStart(context.Background(), st); svc != nil || err != nil {
		t.Fatalf("without keyring slot or WISEWALLET_PASSPHRASE the app opened without the unlock screen (%v)", err)
	}
	vars = map[string]string{"WISEWALLET_KEYRING": "none", "WISEWALLET_PASSPHRASE": "p-app"}
	sio, _, _ = appTestIO(vars)
	svc, err := sio.appStart(context.Background(), st)
	if err != nil || svc == nil {
		t.Fatalf("WISEWALLET_PASSPHRASE did not open the wallet: %v", err)
	}
	if _, left := vars["WISEWALLET_PASSPHRASE"]; left {
		t.Error("WISEWALLET_PASSPHRASE was not removed once read")
	}
	if _, err := sio.unlockScreen(st)(context.Background(), crypto.SecretString("nope")); !errors.Is(err, wallet.ErrWrongPassphrase) {
		t.Errorf("the app's unlock with a wrong passphrase: %v", err)
	}
	if svc, err := sio.unlockScreen(st)(context.Background(), crypto.SecretString("p-app")); err != nil || svc == nil {
		t.Errorf("the app's unlock with the passphrase: %v", err)
	}
}

func TestDemoOnceStaysPlainText(t *testing.T) {
	t.Parallel()
	sio, stdout, stderr := appTestIO(map[string]string{})
	if code := run(context.Background(), []string{"demo", "--once"}, sio); code != exitOK {
		t.Fatalf("demo --once exit %d: %s", code, stderr)
	}
	// The demo's certificate is inside the renewal reminder, which says
	// how to renew.
	for _, want := range []string{"acme-personal", "acme-app", "partner-user", "acme-mtls", "certificate in 24d (renew it now: wisewallet mtls renew acme-mtls)"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("demo --once does not list %s:\n%s", want, stdout)
		}
	}
}
