package cli

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
)

// memKeyring is an in-memory OS keyring.
type memKeyring struct {
	mu    sync.Mutex
	items map[string][]byte
	gets  int
}

func (k *memKeyring) Name() string { return "memory" }

func (k *memKeyring) Get(key string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.gets++
	v, ok := k.items[key]
	if !ok {
		return nil, wallet.ErrKeyringItemNotFound
	}
	return append([]byte(nil), v...), nil
}

func (k *memKeyring) Set(key string, value []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.items[key] = append([]byte(nil), value...)
	return nil
}

func (k *memKeyring) Remove(key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.items, key)
	return nil
}

// unlockRig is a wallet (passphrase "p") and a process around it whose
// keyring, terminal and environment record what unlock used.
type unlockRig struct {
	kr               *memKeyring
	keyringBroken    bool
	keyringOpens     int
	ttyOpens         int
	sio              *cliIO
	stderr           *strings.Builder
	typedOnTheTTY    string
	passphraseInEnv  string
	withKeyringSlot  bool
	removeKeyringKey bool
	// keyringVar is WISEWALLET_KEYRING; asked records the backends named
	// to the opener ("" for the default order).
	keyringVar string
	asked      []string
}

func (r *unlockRig) unlock(t *testing.T, mode unlockMode) (*wallet.Wallet, error) {
	t.Helper()
	dir, w := cheapWallet(t, "p")
	r.kr = &memKeyring{items: map[string][]byte{}}
	if r.withKeyringSlot {
		if err := w.EnableKeyring(context.Background(), r.kr); err != nil {
			t.Fatal(err)
		}
		if r.removeKeyringKey {
			r.kr.items = map[string][]byte{}
		}
		r.kr.gets = 0
	}
	vars := map[string]string{"WISEWALLET_DIR": dir}
	if r.passphraseInEnv != "" {
		vars["WISEWALLET_PASSPHRASE"] = r.passphraseInEnv
	}
	if r.keyringVar != "" {
		vars["WISEWALLET_KEYRING"] = r.keyringVar
	}
	sio, _, stderr := appTestIO(vars)
	sio.takeEnvSecrets()
	sio.openKeyring = func(_ context.Context, want string, _ bool) (wallet.Keyring, error) {
		r.keyringOpens++
		r.asked = append(r.asked, want)
		if r.keyringBroken {
			return nil, wallet.ErrKeyringUnavailable
		}
		return r.kr, nil
	}
	sio.openTTY = func() (tty, error) {
		r.ttyOpens++
		if r.typedOnTheTTY == "" {
			return nil, errors.New("no terminal")
		}
		return &typedTTY{lines: []string{r.typedOnTheTTY}}, nil
	}
	r.sio = sio
	got, err := sio.openWallet(context.Background(), mode)
	r.stderr = &strings.Builder{}
	r.stderr.WriteString(stderr.String())
	return got, err
}

// envLeft reports whether WISEWALLET_PASSPHRASE is still there to be
// handed out: unlock did not read it.
func (r *unlockRig) envLeft() bool {
	_, ok := r.sio.passphraseFromEnv()
	return ok
}

func TestUnlockTriesTheEnvironmentThenTheKeyringThenThePrompt(t *testing.T) {
	// WISEWALLET_PASSPHRASE first, alone: the keyring is not even opened.
	r := &unlockRig{withKeyringSlot: true, passphraseInEnv: "p", typedOnTheTTY: "p"}
	w, err := r.unlock(t, unlockCommand)
	if err != nil || w.UnlockedBy() != "passphrase" || r.keyringOpens != 0 || r.ttyOpens != 0 {
		t.Errorf("env + slot: %v, by %q, keyring opened %d, terminal opened %d; want the passphrase alone", err, unlockedBy(w), r.keyringOpens, r.ttyOpens)
	}
	// A wrong one is reported, not made up for by the keyring.
	r = &unlockRig{withKeyringSlot: true, passphraseInEnv: "wrong", typedOnTheTTY: "p"}
	if _, err := r.unlock(t, unlockCommand); !errors.Is(err, wallet.ErrWrongPassphrase) || r.keyringOpens != 0 || r.ttyOpens != 0 {
		t.Errorf("wrong env + slot: %v, keyring opened %d, terminal %d; want exit 3 and nothing else tried", err, r.keyringOpens, r.ttyOpens)
	}
	// No variable: the keyring slot, and no prompt.
	r = &unlockRig{withKeyringSlot: true, typedOnTheTTY: "p"}
	w, err = r.unlock(t, unlockCommand)
	if err != nil || !strings.HasPrefix(w.UnlockedBy(), "keyring") || r.ttyOpens != 0 {
		t.Errorf("slot: %v, by %q, terminal opened %d; want the keyring", err, unlockedBy(w), r.ttyOpens)
	}
	// The keyring has lost its item: the prompt, with a warning saying why.
	r = &unlockRig{withKeyringSlot: true, removeKeyringKey: true, typedOnTheTTY: "p"}
	w, err = r.unlock(t, unlockCommand)
	if err != nil || w.UnlockedBy() != "passphrase" || r.ttyOpens != 1 || r.kr.gets == 0 || !strings.Contains(r.stderr.String(), "using the passphrase") {
		t.Errorf("slot without item: %v, by %q, terminal %d, keyring gets %d, stderr %q; want the keyring tried, then the prompt",
			err, unlockedBy(w), r.ttyOpens, r.kr.gets, r.stderr)
	}
	// No keyring at all: the prompt, saying so.
	r = &unlockRig{withKeyringSlot: true, keyringBroken: true, typedOnTheTTY: "p"}
	if w, err = r.unlock(t, unlockCommand); err != nil || w.UnlockedBy() != "passphrase" || !strings.Contains(r.stderr.String(), "using the passphrase") {
		t.Errorf("slot, keyring unavailable: %v, by %q, stderr %q", err, unlockedBy(w), r.stderr)
	}
	// No slot: the keyring is not touched.
	r = &unlockRig{typedOnTheTTY: "p"}
	if w, err = r.unlock(t, unlockCommand); err != nil || r.keyringOpens != 0 || r.ttyOpens != 1 {
		t.Errorf("no slot: %v, keyring opened %d, terminal %d; want the prompt only", err, r.keyringOpens, r.ttyOpens)
	}
}

func TestCompletionUnlocksOnlyThroughTheKeyring(t *testing.T) {
	// A passphrase-only wallet, the right passphrase in the environment and
	// a terminal to type on: nothing is used, nothing printed.
	r := &unlockRig{passphraseInEnv: "p", typedOnTheTTY: "p"}
	if _, err := r.unlock(t, unlockCompletion); !errors.Is(err, errNeedsPassphrase) || r.ttyOpens != 0 || r.keyringOpens != 0 || !r.envLeft() || r.stderr.Len() != 0 {
		t.Errorf("passphrase-only wallet: %v, terminal %d, keyring %d, env read %v, stderr %q; want errNeedsPassphrase and nothing touched",
			err, r.ttyOpens, r.keyringOpens, !r.envLeft(), r.stderr)
	}
	// The keyring slot opens it, still without reading the variable.
	r = &unlockRig{withKeyringSlot: true, passphraseInEnv: "p", typedOnTheTTY: "p"}
	if w, err := r.unlock(t, unlockCompletion); err != nil || !strings.HasPrefix(w.UnlockedBy(), "keyring") || !r.envLeft() || r.ttyOpens != 0 {
		t.Errorf("slot: %v, by %q, env read %v, terminal %d", err, unlockedBy(w), !r.envLeft(), r.ttyOpens)
	}
	// Only a backend that can never ask the user anything: keyctl, not
	// the default order (Secret Service, KWallet, pass may show a dialog
	// or run gpg's pinentry), and nothing at all when another is chosen.
	if len(r.asked) != 1 || r.asked[0] != "keyctl" {
		t.Errorf("completion opened the keyring backends %q; want only keyctl", r.asked)
	}
	r = &unlockRig{withKeyringSlot: true, keyringVar: "pass", typedOnTheTTY: "p"}
	if _, err := r.unlock(t, unlockCompletion); !errors.Is(err, errNeedsPassphrase) || r.keyringOpens != 0 || r.stderr.Len() != 0 {
		t.Errorf("WISEWALLET_KEYRING=pass: %v, keyring opened %d, stderr %q; want nothing opened, silently", err, r.keyringOpens, r.stderr)
	}
	// The keyring fails: nothing, silently.
	for _, r := range []*unlockRig{
		{withKeyringSlot: true, removeKeyringKey: true, typedOnTheTTY: "p"},
		{withKeyringSlot: true, keyringBroken: true, typedOnTheTTY: "p"},
	} {
		if _, err := r.unlock(t, unlockCompletion); !errors.Is(err, errNeedsPassphrase) || r.ttyOpens != 0 || r.stderr.Len() != 0 {
			t.Errorf("slot that does not open: %v, terminal %d, stderr %q; want errNeedsPassphrase, silently", err, r.ttyOpens, r.stderr)
		}
	}
}

func TestTheAppAndPasswdUnlockTheirOwnWay(t *testing.T) {
	// The app's first try: no prompt; nil means the unlock screen.
	r := &unlockRig{typedOnTheTTY: "p"}
	if _, err := r.unlock(t, unlockAppStart); !errors.Is(err, errNeedsPassphrase) || r.ttyOpens != 0 {
		t.Errorf("app start without env or slot: %v, terminal %d", err, r.ttyOpens)
	}
	r = &unlockRig{passphraseInEnv: "p"}
	if _, err := r.unlock(t, unlockAppStart); err != nil || r.envLeft() {
		t.Errorf("app start with env: %v, env still there %v", err, r.envLeft())
	}
	// passwd proves the passphrase: the keyring slot is not used.
	r = &unlockRig{withKeyringSlot: true, typedOnTheTTY: "p"}
	if w, err := r.unlock(t, unlockKnowingPassphrase); err != nil || w.UnlockedBy() != "passphrase" || r.keyringOpens != 0 || r.ttyOpens != 1 {
		t.Errorf("passwd with a slot: %v, by %q, keyring %d, terminal %d; want the prompt", err, unlockedBy(w), r.keyringOpens, r.ttyOpens)
	}
	// The unlock screen: the typed passphrase alone.
	r = &unlockRig{withKeyringSlot: true, passphraseInEnv: "p"}
	if _, err := r.unlock(t, unlockTyped(crypto.SecretString("nope"))); !errors.Is(err, wallet.ErrWrongPassphrase) || r.keyringOpens != 0 || !r.envLeft() {
		t.Errorf("typed wrong: %v, keyring %d, env read %v", err, r.keyringOpens, !r.envLeft())
	}
	if w, err := r.unlock(t, unlockTyped(crypto.SecretString("p"))); err != nil || w.UnlockedBy() != "passphrase" {
		t.Errorf("typed right: %v", err)
	}
}

func unlockedBy(w *wallet.Wallet) string {
	if w == nil {
		return "(not opened)"
	}
	return w.UnlockedBy()
}
