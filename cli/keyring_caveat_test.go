package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/wisewallet/wisewallet/wallet"
)

// namedKeyring is an in-memory keyring that calls itself name.
type namedKeyring struct {
	*memKeyring
	name string
}

func (k namedKeyring) Name() string { return k.name }

// keyringEnableWith runs `keyring enable` in-process on a new wallet with
// the OS keyring replaced by an in-memory one named backend.
func keyringEnableWith(t *testing.T, backend string) (int, string) {
	t.Helper()
	dir, _ := cheapWallet(t, "p")
	sio, _, stderr := inProcess(map[string]string{"WISEWALLET_DIR": dir, "WISEWALLET_PASSPHRASE": "p"}, "")
	kr := namedKeyring{&memKeyring{items: map[string][]byte{}}, backend}
	sio.openKeyring = func(context.Context, string, bool) (wallet.Keyring, error) { return kr, nil }
	code := run(context.Background(), []string{"keyring", "enable"}, sio)
	return code, stderr.String()
}

// Issue 13: keyctl keeps the item in kernel memory, so a reboot (or the end
// of the user's last session) loses it; enable says so when it picked keyctl.
func TestKeyringEnableWithKeyctlStatesItsCaveat(t *testing.T) {
	code, out := keyringEnableWith(t, "keyctl")
	if code != 0 {
		t.Fatalf("keyring enable: exit %d: %s", code, out)
	}
	for _, want := range []string{"keyctl", "kernel", "reboot", "passphrase"} {
		if !strings.Contains(out, want) {
			t.Errorf("keyring enable with keyctl does not say %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "lost") {
		t.Errorf("keyring enable with keyctl does not say the item is lost at reboot:\n%s", out)
	}
	// Other backends keep their items: no such warning.
	code, out = keyringEnableWith(t, "secret-service")
	if code != 0 || strings.Contains(out, "reboot") {
		t.Errorf("keyring enable with secret-service: exit %d, %q; want no reboot caveat", code, out)
	}
}
