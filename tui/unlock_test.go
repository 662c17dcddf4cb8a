package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/wisewallet/wisewallet/crypto"
	lwdemo "github.com/wisewallet/wisewallet/demo"
	"github.com/wisewallet/wisewallet/flows"
)

// coreUnlockFails is an UnlockFunc that fails with err and records what
// it was given.
func coreUnlockFails(err error, got *[]string) UnlockFunc {
	return func(_ context.Context, p crypto.Secret) (Backend, error) {
		*got = append(*got, p.RevealString())
		return nil, err
	}
}

func coreUnlockScreen(c *Common, fn UnlockFunc) unlock { return newUnlock(c, fn).(unlock) }

func TestUnlockGoldenEmpty(t *testing.T) {
	c := coreCommon(nil, 80, 24)
	coreGolden(t, coreAppOn(c, coreUnlockScreen(c, nil)))
}

func TestUnlockGoldenTypingShowsOnlyMaskedInput(t *testing.T) {
	const pass = "CANARY-typed-5e2a"
	c := coreCommon(nil, 100, 30)
	s := typeInto(coreUnlockScreen(c, nil), pass)
	frame := coreFrame(coreAppOn(c, s))
	noSecret(t, "the unlock view", frame, pass)
	if !strings.Contains(frame, strings.Repeat("•", len(pass))) {
		t.Errorf("the typed passphrase is not shown as %d bullets:\n%s", len(pass), frame)
	}
	coreGolden(t, coreAppOn(c, s))
}

func TestUnlockGoldenWrongPassphrase(t *testing.T) {
	var got []string
	c := coreCommon(nil, 80, 24)
	d := newDriver(t, coreUnlockScreen(c, coreUnlockFails(fmt.Errorf("%w for /x/wallet.ww", flows.ErrWrongPassphrase), &got)))
	for _, attempt := range []string{"first-guess", "second-guess"} {
		d.s = typeInto(d.s, attempt)
		d.send(keyPress("enter"))
	}
	if len(got) != 2 || got[0] != "first-guess" || got[1] != "second-guess" {
		t.Fatalf("UnlockFunc got %d attempts", len(got))
	}
	u := d.s.(unlock)
	if u.input.Value() != "" || u.busy {
		t.Error("after a wrong passphrase the input is not cleared and ready for another try")
	}
	v := d.view()
	if !strings.Contains(v, "Wrong passphrase or altered file. Try again. (2 failed attempts)") {
		t.Errorf("the wrong passphrase is not explained:\n%s", v)
	}
	noSecret(t, "the unlock view", v, "first-guess", "second-guess")
	coreGolden(t, coreAppOn(c, d.s))
}

func TestUnlockDamagedWalletSaysTheFileWasNotChanged(t *testing.T) {
	const pass = "p-damaged"
	dir := t.TempDir()
	if _, err := flows.CreateWallet(context.Background(), dir, crypto.SecretString(pass), lwdemo.FastKDF, flows.Options{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "wallet.ww")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c := coreCommon(nil, 100, 30)
	c.Env.WalletPath = path
	open := func(ctx context.Context, p crypto.Secret) (Backend, error) {
		return flows.OpenWallet(ctx, dir, p, flows.Options{})
	}
	d := newDriver(t, coreUnlockScreen(c, open))
	d.s = typeInto(d.s, pass)
	d.send(keyPress("enter"))
	v := strings.Join(strings.Fields(d.view()), " ")
	if !strings.Contains(v, "The file was not changed") || !strings.Contains(v, "cannot be read") {
		t.Errorf("the damaged wallet is not explained:\n%s", d.view())
	}
	after, _ := os.ReadFile(path)
	if string(after) != string(data) {
		t.Error("trying to unlock changed the damaged file")
	}
	if !d.s.(unlock).fatal {
		t.Error("a damaged wallet is treated as a typo")
	}
}

func TestUnlockProblemsAreExplained(t *testing.T) {
	for _, tc := range []struct {
		err   error
		want  string
		fatal bool
	}{
		{fmt.Errorf("x: %w", flows.ErrWrongPassphrase), "Wrong passphrase", false},
		{fmt.Errorf("x: %w", flows.ErrNotWallet), "The file was not changed", true},
		{fmt.Errorf("x: %w", flows.ErrUnsupportedVersion), "The file was not changed", true},
		{fmt.Errorf("x: %w", flows.ErrNoWallet), "create one on the command line", true},
		{fmt.Errorf("x: %w", flows.ErrWalletBusy), "try again", false},
		{errors.New("disk on fire"), "disk on fire", false},
	} {
		msg, fatal := unlockProblem(tc.err, "/w/wallet.ww")
		if !strings.Contains(msg, tc.want) || fatal != tc.fatal {
			t.Errorf("%v: got %q (fatal %v), want %q (fatal %v)", tc.err, msg, fatal, tc.want, tc.fatal)
		}
	}
}

func TestUnlockWhileWorkingIgnoresKeysAndSaysSo(t *testing.T) {
	var got []string
	c := coreCommon(nil, 80, 24)
	var s Screen = coreUnlockScreen(c, coreUnlockFails(flows.ErrWrongPassphrase, &got))
	s = typeInto(s, "abc")
	s, cmd := s.Update(keyPress("enter"))
	if cmd == nil {
		t.Fatal("enter did not start unlocking")
	}
	if v := ansi.Strip(s.View()); !strings.Contains(v, "Unlocking…") {
		t.Errorf("no sign of work while unlocking:\n%s", v)
	}
	s = typeInto(s, "zzz")
	s, second := s.Update(keyPress("enter"))
	if second != nil || s.(unlock).input.Value() != "" {
		t.Error("keys typed while unlocking were taken")
	}
	s, _ = s.Update(TickMsg{})
	if s.(unlock).frame != 1 {
		t.Error("the spinner does not move on ticks")
	}
}

func TestUnlockEmptyEnterAsksForThePassphrase(t *testing.T) {
	var got []string
	c := coreCommon(nil, 80, 24)
	s, cmd := coreUnlockScreen(c, coreUnlockFails(flows.ErrWrongPassphrase, &got)).Update(keyPress("enter"))
	if cmd != nil || len(got) != 0 {
		t.Error("an empty passphrase was tried")
	}
	if !strings.Contains(ansi.Strip(s.View()), "Type the wallet passphrase") {
		t.Error("an empty enter is not explained")
	}
}

func TestUnlockShowsTheDemoPassphraseInDemoMode(t *testing.T) {
	c := coreCommon(nil, 80, 24)
	c.Env.Demo, c.Env.DemoPassphrase = true, lwdemo.Passphrase
	if !strings.Contains(ansi.Strip(coreUnlockScreen(c, nil).View()), "Demo wallet passphrase: "+lwdemo.Passphrase) {
		t.Error("the demo's unlock screen does not say its passphrase")
	}
}
