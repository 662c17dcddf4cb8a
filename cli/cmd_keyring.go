package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wisewallet/wisewallet/wallet"
)

// The OS keyring slot: a random key kept by the OS keyring that opens the
// wallet without its passphrase.

func (inv *invocation) keyringCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "keyring status|enable|disable",
		Short: "Unlock through the OS keyring: keyring status|enable|disable",
		Long: "Let the OS keyring (Secret Service, KWallet, keyctl, pass, macOS Keychain, Windows Credential\n" +
			"Manager) open the wallet without its passphrase, through a key slot of its own. The passphrase\n" +
			"keeps working. WISEWALLET_KEYRING names the backend to use, or \"none\".",
		Example: `  wisewallet keyring enable
  wisewallet keyring status --json
  WISEWALLET_KEYRING=keyctl wisewallet keyring enable`,
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("missing action; usage: %s", usageLine(c))
			}
			return usagef("unknown keyring action %q; usage: %s", args[0], usageLine(c))
		},
	}
	// On the group, as before there were subcommands: `keyring enable
	// --json` has always been accepted.
	c.PersistentFlags().BoolVar(&asJSON, "json", false, "print JSON (status)")
	want := func() string { return inv.sio.getenv("WISEWALLET_KEYRING") }
	c.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "Whether the OS keyring opens the wallet, and why not (needs no passphrase)",
		Example: `  wisewallet keyring status
  wisewallet keyring status --json | jq .opens_without_passphrase`,
		Args: positional(0, 0),
		RunE: func(c *cobra.Command, _ []string) error { return keyringStatus(c.Context(), inv.sio, want(), asJSON) },
	}, &cobra.Command{
		Use:     "enable",
		Short:   "Let the OS keyring open the wallet without its passphrase",
		Example: "  wisewallet keyring enable",
		Args:    positional(0, 0),
		RunE:    func(c *cobra.Command, _ []string) error { return keyringEnable(c.Context(), inv.sio, want()) },
	}, &cobra.Command{
		Use:     "disable",
		Short:   "Remove the keyring slot from the wallet and its item from the OS keyring",
		Example: "  wisewallet keyring disable",
		Args:    positional(0, 0),
		RunE:    func(c *cobra.Command, _ []string) error { return keyringDisable(c.Context(), inv.sio, want()) },
	})
	return c
}

func keyringEnable(ctx context.Context, sio *cliIO, want string) error {
	// A missing, unsafe or damaged wallet is reported as such, before
	// the keyring is probed (which can take seconds or fail for reasons
	// of its own).
	st, err := sio.store()
	if err != nil {
		return err
	}
	if _, err := wallet.Inspect(st); err != nil {
		return err
	}
	kr, err := sio.osKeyring(ctx, true)
	if err != nil {
		return err
	}
	w, err := sio.unlock(ctx, st, unlockCommand)
	if err != nil {
		return err
	}
	if err := w.EnableKeyring(ctx, kr); err != nil {
		return err
	}
	fmt.Fprintf(sio.stderr, "The wallet now opens through the OS keyring (%s) without a passphrase. The passphrase still works.\n", kr.Name())
	if kr.Name() == "keyctl" {
		fmt.Fprintln(sio.stderr, keyctlCaveat)
	}
	return nil
}

// keyctlCaveat is said when enable stored the item with keyctl: the kernel
// keeps it in memory only.
const keyctlCaveat = "Note: keyctl keeps the key in the kernel's user keyring, in memory only: it is lost at reboot\n" +
	"(and can be when your last login session ends); the passphrase is needed then, and\n" +
	"'wisewallet keyring enable' stores it again."

type keyringReport struct {
	Backend                string `json:"backend"`
	BackendError           string `json:"backend_error,omitempty"`
	Slot                   bool   `json:"slot"`
	OpensWithoutPassphrase bool   `json:"opens_without_passphrase"`
	Reason                 string `json:"reason,omitempty"`
}

func keyringStatus(ctx context.Context, sio *cliIO, want string, asJSON bool) error {
	st, err := sio.store()
	if err != nil {
		return err
	}
	info, err := wallet.Inspect(st)
	if err != nil {
		return err
	}
	var rep keyringReport
	rep.Slot = info.KeyringSlot
	kr, err := sio.osKeyring(ctx, false)
	if err != nil {
		rep.BackendError = walletMessage(err)
	} else {
		rep.Backend = kr.Name()
	}
	switch {
	case !rep.Slot:
		rep.Reason = "the wallet has no keyring slot; run 'wisewallet keyring enable'"
	case kr == nil:
		rep.Reason = "no keyring backend is available"
	default:
		if err := wallet.KeyringItemOpens(ctx, st, kr); err != nil {
			rep.Reason = walletMessage(err)
		} else {
			rep.OpensWithoutPassphrase = true
		}
		// The search above settles which backend holds the item; before
		// it, Name lists every candidate.
		rep.Backend = kr.Name()
	}
	if asJSON {
		return writeJSON(sio.stdout, rep)
	}
	backend := rep.Backend
	if backend == "" {
		backend = "none (" + rep.BackendError + ")"
	}
	fmt.Fprintf(sio.stdout, "Backend:                   %s\n", backend)
	fmt.Fprintf(sio.stdout, "Keyring slot in wallet:    %s\n", yesNo(rep.Slot))
	fmt.Fprintf(sio.stdout, "Opens without passphrase:  %s\n", yesNo(rep.OpensWithoutPassphrase))
	if rep.Reason != "" {
		fmt.Fprintf(sio.stdout, "Why not:                   %s\n", rep.Reason)
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// keyringDisable removes the keyring slot from the wallet, then the item
// from the OS keyring. Only a backend that answers can have the item
// removed; when none does, or the one that answers does not hold it, the
// slot is gone all the same (the wallet no longer depends on the keyring),
// and the user is told where the item may remain and how to remove it
// rather than that it was removed. A removal that failed exits non-zero.
func keyringDisable(ctx context.Context, sio *cliIO, want string) error {
	st, err := sio.store()
	if err != nil {
		return err
	}
	w, err := sio.unlock(ctx, st, unlockCommand)
	if err != nil {
		return err
	}
	if !w.HasKeyringSlot() {
		fmt.Fprintln(sio.stderr, "The wallet has no OS keyring slot; nothing was changed.")
		return nil
	}
	// Opened by the keyring alone, the wallet cannot wrap a new data key
	// for its passphrase slot, and a copy of the keyring item would keep
	// opening later versions. The passphrase, when it can be had (the
	// variable or the terminal), lets the disable change the data key;
	// without it the key changes at the next save by a process that knows
	// the passphrase, and the user is told.
	rotated := w.CanRekey()
	if !rotated {
		wp, err := sio.unlock(ctx, st, unlockKnowingPassphrase)
		switch {
		case err == nil:
			w, rotated = wp, true
		case !errors.Is(err, wallet.ErrNoPassphrase):
			return err // a wrong passphrase: nothing was changed
		}
	}
	defer func() {
		if !rotated && !w.HasKeyringSlot() {
			fmt.Fprintln(sio.stderr, "The data key was not changed (no passphrase was given): it changes at the next save by a command that opens the wallet with the passphrase, such as 'wisewallet passwd'.")
		}
	}()
	kr, krErr := sio.osKeyring(ctx, false)
	itemMissing := false
	if kr != nil {
		// Asked before the slot goes, which the check needs.
		itemMissing = errors.Is(wallet.KeyringItemOpens(ctx, st, kr), wallet.ErrKeyringItemNotFound)
	}
	err = w.DisableKeyring(ctx, kr)
	if w.HasKeyringSlot() {
		if err == nil {
			err = errors.New("the keyring slot is still in the wallet")
		}
		return err // nothing was changed
	}
	item := "wallet-" + w.ID()
	const gone = "the OS keyring slot is removed from the wallet, which needs its passphrase again"
	switch {
	case kr == nil:
		backends := keyringCandidates(want)
		return fmt.Errorf("%s, but its keyring item could not be removed: %w\nThe item %q may remain in %s. To remove it:\n%s",
			gone, krErr, item, strings.Join(backends, " or "), keyringRemovalHints(backends, item))
	case err != nil:
		return fmt.Errorf("%s, but removing its keyring item from %s failed: %w\nThe item %q may remain there. To remove it:\n%s",
			gone, kr.Name(), err, item, keyringRemovalHints(keyringNames(kr), item))
	case itemMissing:
		fmt.Fprintf(sio.stderr, "The OS keyring slot is removed; the wallet needs its passphrase again. No item %q was found in %s: "+
			"it was removed before, or it is in a backend that could not be searched. To remove it by hand:\n%s\n",
			item, kr.Name(), keyringRemovalHints(keyringCandidates(want), item))
		return nil
	}
	fmt.Fprintf(sio.stderr, "The OS keyring slot is removed and its item deleted from %s; the wallet needs its passphrase again.\n", kr.Name())
	return nil
}

// keyringNames are the backends kr stands for: OpenOSKeyring's result
// searches several, named "a or b", until it knows which holds the item.
func keyringNames(kr wallet.Keyring) []string { return strings.Split(kr.Name(), " or ") }

// keyringCandidates are the backends that may hold the item: the one
// WISEWALLET_KEYRING names, else every backend enable could have chosen.
func keyringCandidates(want string) []string {
	all := wallet.OSKeyringBackends()
	if slices.Contains(all, want) {
		return []string{want}
	}
	return all
}

// keyringRemovalHints says how to delete item from each backend by hand,
// with the names wallet/oskeyring.go configures (service "wisewallet").
func keyringRemovalHints(backends []string, item string) string {
	var b strings.Builder
	for _, name := range backends {
		var how string
		switch name {
		case "keyctl":
			how = fmt.Sprintf("keyctl unlink $(keyctl search @u user %s) $(keyctl search @u keyring wisewallet)", item)
		case "pass":
			how = "pass rm wisewallet/" + item
		case "secret-service":
			how = fmt.Sprintf("delete the item %q of the \"login\" keyring in Seahorse (Passwords and Keys) or your Secret Service provider", item)
		case "kwallet":
			how = fmt.Sprintf("delete the entry %q in folder \"wisewallet\" with KWalletManager", item)
		case "keychain":
			how = "security delete-generic-password -s wisewallet -a " + item
		case "wincred":
			how = "cmdkey /delete:wisewallet:wisewallet:" + item
		default:
			how = fmt.Sprintf("delete the item %q of service \"wisewallet\"", item)
		}
		fmt.Fprintf(&b, "  %s: %s\n", name, how)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
