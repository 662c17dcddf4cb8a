package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/wallet"
)

func cmdInit(ctx context.Context, sio *cliIO, args []string) error {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	kdfTime := fs.Uint64("kdf-time", uint64(crypto.DefaultKDFParams.Time), "Argon2id passes")
	kdfMem := fs.Uint64("kdf-memory", uint64(crypto.DefaultKDFParams.MemoryKiB), "Argon2id memory in KiB")
	kdfThreads := fs.Uint64("kdf-threads", uint64(crypto.DefaultKDFParams.Threads), "Argon2id lanes")
	insecure := fs.Bool("insecure-kdf", false, "allow KDF parameters below the default strength (tests only)")
	if _, err := parseFlags(fs, args, 0, 0, "init [--kdf-time N --kdf-memory KiB --kdf-threads N]"); err != nil {
		return err
	}
	// Checked before the conversion: a value that does not fit would wrap
	// around (2^32+1 passes would become 1) and pass kdf.Check.
	for _, f := range []struct {
		name string
		v    uint64
		max  uint64
	}{{"--kdf-time", *kdfTime, math.MaxUint32}, {"--kdf-memory", *kdfMem, math.MaxUint32}, {"--kdf-threads", *kdfThreads, math.MaxUint8}} {
		if f.v > f.max {
			return usagef("%s %d is out of range (at most %d)", f.name, f.v, f.max)
		}
	}
	kdf := crypto.KDFParams{Time: uint32(*kdfTime), MemoryKiB: uint32(*kdfMem), Threads: uint8(*kdfThreads)}
	if err := kdf.Check(); err != nil {
		return usagef("%v", err)
	}
	weaker := kdf.Time < crypto.DefaultKDFParams.Time || kdf.MemoryKiB < crypto.DefaultKDFParams.MemoryKiB
	if weaker && !*insecure {
		return usagef("KDF parameters below t=%d m=%d KiB make the passphrase easier to guess; add --insecure-kdf if you really mean it",
			crypto.DefaultKDFParams.Time, crypto.DefaultKDFParams.MemoryKiB)
	}
	st, err := sio.store()
	if err != nil {
		return err
	}
	if st.Exists() {
		return fmt.Errorf("%w at %s; it was left as it is", wallet.ErrExists, st.Path())
	}
	pw, ok := sio.passphraseFromEnv()
	if !ok {
		fmt.Fprintln(sio.stderr, "Choose a passphrase for the new wallet. It cannot be recovered if lost.")
		pw, err = sio.askPassphrase(ctx, "New passphrase: ", true)
		if err != nil {
			return err
		}
	}
	w, err := wallet.Create(ctx, st, pw, wallet.Options{KDF: kdf})
	if err != nil {
		return err
	}
	fmt.Fprintf(sio.stderr, "Created %s (Argon2id t=%d m=%d KiB p=%d, XChaCha20-Poly1305).\n",
		w.Location(), kdf.Time, kdf.MemoryKiB, kdf.Threads)
	return nil
}

func cmdAdd(ctx context.Context, sio *cliIO, args []string) error {
	if len(args) == 0 {
		return usagef("missing kind; usage: wisewallet add personal NAME --env sandbox|production|local [--api-url URL]")
	}
	switch args[0] {
	case "-h", "-help", "--help":
		return helpRequested{"Usage:\n  wisewallet add personal NAME --env ENV ...   a personal API token\n" +
			"  wisewallet add client NAME --env ENV ...     an OAuth client\n\n" +
			"'wisewallet add personal --help' and 'wisewallet add client --help' list their flags.\n"}
	case "personal":
		return cmdAddPersonal(ctx, sio, args[1:])
	case "client":
		return cmdAddClient(ctx, sio, args[1:])
	}
	return usagef("unknown kind %q for add; use: add personal, add client", args[0])
}

func cmdAddPersonal(ctx context.Context, sio *cliIO, args []string) error {
	fs := flag.NewFlagSet("add personal", flag.ContinueOnError)
	env := fs.String("env", "", "sandbox, production or local")
	apiURL := fs.String("api-url", "", "API base URL (required for local)")
	noCheck := fs.Bool("no-check", false, "store without checking the token with Wise (offline)")
	pos, err := parseFlags(fs, args, 1, 1, "add personal NAME --env sandbox|production|local [--api-url URL] [--no-check]")
	if err != nil {
		return err
	}
	name := pos[0]
	if err := wallet.ValidateName(name); err != nil {
		return usagef("%v", err)
	}
	environment, err := flows.ResolveEnv(*env, *apiURL)
	if err != nil {
		return err
	}
	// Unlock before reading the token, so a wrong passphrase does not
	// waste a pasted token.
	w, err := sio.openWallet(ctx)
	if err != nil {
		return err
	}
	if _, err := w.Get(name); err == nil {
		return fmt.Errorf("%w: %q; choose another name or 'wisewallet rm %s' first", wallet.ErrEntryExists, name, name)
	}
	raw, err := sio.readSecretInput(ctx, "Personal API token (input hidden): ")
	if err != nil {
		return err
	}
	defer crypto.Wipe(raw)
	if len(bytes.TrimSpace(raw)) == 0 && !sio.stdinIsTerminal() {
		return fmt.Errorf("%w: no token on standard input; pipe it in (wisewallet add personal %s --env %s < token-file) or run in a terminal to be asked for it",
			flows.ErrUsage, name, environment.Name)
	}
	token, err := flows.CleanToken(raw)
	if err != nil {
		return err
	}
	if *noCheck {
		if _, err := flows.AddPersonal(ctx, w, name, environment, token); err != nil {
			return err
		}
		fmt.Fprintf(sio.stderr, "Added personal token %q (%s), not checked with Wise (--no-check).\n", name, environment.Name)
		return nil
	}
	svc := &flows.Service{Wallet: w}
	e, err := svc.AddPersonalChecked(ctx, name, environment, token)
	if err != nil {
		return err
	}
	fmt.Fprintf(sio.stderr, "Added personal token %q (%s): it acts as %s with %d profile(s).\n", name, environment.Name, e.UserEmail, len(e.Profiles))
	return nil
}

func cmdList(ctx context.Context, sio *cliIO, args []string) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print a JSON array")
	if _, err := parseFlags(fs, args, 0, 0, "list [--json]"); err != nil {
		return err
	}
	w, err := sio.openWallet(ctx)
	if err != nil {
		return err
	}
	rows := flows.List(w)
	if *asJSON {
		return writeJSON(sio.stdout, rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(sio.stderr, "The wallet is empty. Add a credential with 'wisewallet add personal NAME --env sandbox'.")
		return nil
	}
	tw := tabwriter.NewWriter(sio.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tENV\tCREATED\tEXPIRES\tSTATUS")
	now := time.Now()
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Kind, envLabel(r.Env), r.CreatedAt.Local().Format("2006-01-02"),
			expiresLabel(r.ExpiresAt, now), statusLabel(r))
	}
	return tw.Flush()
}

func envLabel(env string) string {
	if env == string(wallet.EnvProduction) {
		return "PRODUCTION"
	}
	return env
}

func statusLabel(r flows.Summary) string {
	switch r.Status {
	case "":
		if r.LinkedTo != "" {
			return "ok (for " + r.LinkedTo + ")"
		}
		return "ok"
	case string(wallet.StatusNeedsLogin):
		return "login needed"
	}
	return r.Status
}

func expiresLabel(t *time.Time, now time.Time) string {
	if t == nil {
		return "-"
	}
	d := t.Sub(now)
	if d <= 0 {
		return "expired"
	}
	return "in " + humanDuration(d)
}

func humanDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%ds", int(d.Seconds()))
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func cmdShow(ctx context.Context, sio *cliIO, args []string) error {
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	reveal := fs.Bool("reveal", false, "print secret values in clear")
	asJSON := fs.Bool("json", false, "print JSON (secrets only with --reveal)")
	pos, err := parseFlags(fs, args, 1, 1, "show NAME [--reveal] [--json]")
	if err != nil {
		return err
	}
	w, err := sio.openWallet(ctx)
	if err != nil {
		return err
	}
	e, err := w.Get(pos[0])
	if err != nil {
		return withListHint(err)
	}
	secrets := map[string]string{}
	for _, f := range e.SecretFields() {
		s := e.Secret(f)
		if *reveal {
			secrets[f] = s.RevealString()
		} else {
			secrets[f] = mask(s)
		}
	}
	if *asJSON {
		type shown struct {
			wallet.Entry
			ExpiresAt *time.Time        `json:"expires_at"`
			Expiries  []wallet.Expiry   `json:"expiries"`
			Secrets   map[string]string `json:"secrets"`
		}
		return writeJSON(sio.stdout, shown{Entry: e, ExpiresAt: e.ExpiresAt(), Expiries: e.Expiries(), Secrets: secrets})
	}
	tw := tabwriter.NewWriter(sio.stdout, 0, 4, 2, ' ', 0)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	line("Name", e.Name)
	line("Kind", string(e.Kind))
	line("Environment", envLabel(string(e.Env.Name)))
	line("API", e.Env.APIURL)
	line("Created", e.CreatedAt.Local().Format(time.RFC3339))
	line("Linked to", e.LinkedTo)
	line("Status", string(e.Status))
	line("Client id", e.ClientID)
	line("Redirect URL", e.RedirectURL)
	line("User", strings.TrimSpace(e.UserName+" "+e.UserEmail))
	for _, x := range e.Expiries() {
		line("Expires ("+x.What+")", x.At.Local().Format(time.RFC3339))
	}
	for _, f := range e.SecretFields() {
		line(f, secrets[f])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !*reveal && len(secrets) > 0 {
		fmt.Fprintln(sio.stderr, "Secrets are masked; add --reveal to print them.")
	}
	return nil
}

// mask shows that a secret exists and its length, nothing of its content.
func mask(s crypto.Secret) string {
	return fmt.Sprintf("•••••••• (%d characters, hidden)", s.Len())
}

func cmdRemove(ctx context.Context, sio *cliIO, args []string) error {
	fs := flag.NewFlagSet("rm", flag.ContinueOnError)
	pos, err := parseFlags(fs, args, 1, 1, "rm NAME")
	if err != nil {
		return err
	}
	w, err := sio.openWallet(ctx)
	if err != nil {
		return err
	}
	if err := flows.Remove(ctx, w, pos[0]); err != nil {
		return withListHint(err)
	}
	fmt.Fprintf(sio.stderr, "Removed %q from the wallet. It still works at Wise until you revoke it there.\n", pos[0])
	return nil
}

func cmdRename(ctx context.Context, sio *cliIO, args []string) error {
	fs := flag.NewFlagSet("rename", flag.ContinueOnError)
	pos, err := parseFlags(fs, args, 2, 2, "rename OLD NEW")
	if err != nil {
		return err
	}
	if err := wallet.ValidateName(pos[1]); err != nil {
		return usagef("%v", err)
	}
	w, err := sio.openWallet(ctx)
	if err != nil {
		return err
	}
	if err := flows.Rename(ctx, w, pos[0], pos[1]); err != nil {
		return withListHint(err)
	}
	fmt.Fprintf(sio.stderr, "Renamed %q to %q.\n", pos[0], pos[1])
	return nil
}

// withListHint points a user who mistyped a name at the list of names.
func withListHint(err error) error {
	if errors.Is(err, wallet.ErrEntryNotFound) {
		return fmt.Errorf("%w; 'wisewallet list' shows the names", err)
	}
	return err
}

func cmdPasswd(ctx context.Context, sio *cliIO, args []string) error {
	fs := flag.NewFlagSet("passwd", flag.ContinueOnError)
	if _, err := parseFlags(fs, args, 0, 0, "passwd"); err != nil {
		return err
	}
	// For automation the new passphrase comes from WISEWALLET_NEW_PASSPHRASE,
	// by the same explicit opt-in as WISEWALLET_PASSPHRASE. Without it and
	// without a terminal, say so before paying for the KDF, and name the
	// variable that is missing (the generic hint names the old one).
	newFromEnv, fromEnv := sio.newPassphraseFromEnv()
	if !fromEnv {
		t, err := sio.openTTY()
		if err != nil {
			return fmt.Errorf("%w: no terminal to ask for the new passphrase on; set WISEWALLET_NEW_PASSPHRASE (for automation) or run in a terminal", wallet.ErrNoPassphrase)
		}
		t.Close()
	}
	w, err := sio.openWalletWith(ctx, false)
	if err != nil {
		return err
	}
	pw := newFromEnv
	if !fromEnv {
		pw, err = sio.askPassphrase(ctx, "New passphrase: ", true)
		if err != nil {
			return err
		}
	}
	if err := w.ChangePassphrase(ctx, pw, crypto.KDFParams{}); err != nil {
		return err
	}
	fmt.Fprintln(sio.stderr, "Passphrase changed. The OS keyring slot, if any, is unchanged.")
	return nil
}

func cmdKeyring(ctx context.Context, sio *cliIO, args []string) error {
	fs := flag.NewFlagSet("keyring", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON (status)")
	pos, err := parseFlags(fs, args, 1, 1, "keyring status|enable|disable [--json]")
	if err != nil {
		return err
	}
	want := sio.getenv("WISEWALLET_KEYRING")
	switch pos[0] {
	case "status":
		return keyringStatus(ctx, sio, want, *asJSON)
	case "enable":
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
		kr, err := wallet.OpenOSKeyring(ctx, want, true)
		if err != nil {
			return err
		}
		w, err := sio.openWallet(ctx)
		if err != nil {
			return err
		}
		if err := w.EnableKeyring(ctx, kr); err != nil {
			return err
		}
		fmt.Fprintf(sio.stderr, "The wallet now opens through the OS keyring (%s) without a passphrase. The passphrase still works.\n", kr.Name())
		return nil
	case "disable":
		return keyringDisable(ctx, sio, want)
	}
	return usagef("unknown keyring action %q; usage: wisewallet keyring status|enable|disable [--json]", pos[0])
}

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
	kr, err := wallet.OpenOSKeyring(ctx, want, false)
	if err != nil {
		rep.BackendError = err.Error()
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
	w, err := sio.openWallet(ctx)
	if err != nil {
		return err
	}
	if !w.HasKeyringSlot() {
		fmt.Fprintln(sio.stderr, "The wallet has no OS keyring slot; nothing was changed.")
		return nil
	}
	kr, krErr := wallet.OpenOSKeyring(ctx, want, false)
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
		return fmt.Errorf("%s, but its keyring item could not be removed: %v\nThe item %q may remain in %s. To remove it:\n%s",
			gone, krErr, item, strings.Join(backends, " or "), keyringRemovalHints(backends, item))
	case err != nil:
		return fmt.Errorf("%s, but removing its keyring item from %s failed: %v\nThe item %q may remain there. To remove it:\n%s",
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
