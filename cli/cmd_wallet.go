package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/wallet"
)

// The wallet commands: create the wallet, add, list, show, remove and
// rename entries, what expires when, and the passphrase.

func (inv *invocation) initCommand() *cobra.Command {
	var o initOptions
	c := &cobra.Command{
		Use:   "init",
		Short: "Create a new encrypted wallet",
		Long: "Create a new encrypted wallet in the wallet folder. It asks for a passphrase twice on the\n" +
			"terminal (or takes WISEWALLET_PASSPHRASE); the passphrase cannot be recovered if lost.",
		Example: `  # In the default folder, asking for the passphrase
  wisewallet init
  # In a folder of its own, with a stronger KDF (Argon2id, 256 MiB)
  wisewallet init --dir ~/wallets/acme --kdf-memory 262144`,
		Args: positional(0, 0),
		RunE: func(c *cobra.Command, _ []string) error { return cmdInit(c.Context(), inv.sio, o) },
	}
	o.kdfOptions.flags(c)
	return c
}

type initOptions struct{ kdfOptions }

// kdfOptions are the Argon2id flags of init and passwd.
type kdfOptions struct {
	kdfTime, kdfMem, kdfThreads uint64
	insecure                    bool
}

func (o *kdfOptions) flags(c *cobra.Command) {
	c.Flags().Uint64Var(&o.kdfTime, "kdf-time", uint64(crypto.DefaultKDFParams.Time), fmt.Sprintf("Argon2id passes (at most %d)", crypto.MaxFileTime))
	c.Flags().Uint64Var(&o.kdfMem, "kdf-memory", uint64(crypto.DefaultKDFParams.MemoryKiB), fmt.Sprintf("Argon2id memory in KiB (at most %d; memory × passes at most %d)", crypto.MaxFileMemoryKiB, crypto.MaxFileWorkKiB))
	c.Flags().Uint64Var(&o.kdfThreads, "kdf-threads", uint64(crypto.DefaultKDFParams.Threads), fmt.Sprintf("Argon2id lanes (at most %d)", crypto.MaxFileThreads))
	c.Flags().BoolVar(&o.insecure, "insecure-kdf", false, "allow KDF parameters below the default strength (tests only)")
}

// params checks the flags and returns the parameters they name. The bounds
// are the ones Open enforces on a file (crypto.CheckBounded), so that no
// wallet this program writes is one it refuses to open.
func (o kdfOptions) params() (crypto.KDFParams, error) {
	// Checked before the conversion: a value that does not fit would wrap
	// around (2^32+1 passes would become 1) and pass kdf.Check.
	for _, f := range []struct {
		name string
		v    uint64
		max  uint64
	}{{"--kdf-time", o.kdfTime, math.MaxUint32}, {"--kdf-memory", o.kdfMem, math.MaxUint32}, {"--kdf-threads", o.kdfThreads, math.MaxUint8}} {
		if f.v > f.max {
			return crypto.KDFParams{}, usagef("%s %d is out of range (at most %d)", f.name, f.v, f.max)
		}
	}
	kdf := crypto.KDFParams{Time: uint32(o.kdfTime), MemoryKiB: uint32(o.kdfMem), Threads: uint8(o.kdfThreads)}
	if err := kdf.CheckBounded(); err != nil {
		return kdf, usagef("%v", err)
	}
	weaker := kdf.Time < crypto.DefaultKDFParams.Time || kdf.MemoryKiB < crypto.DefaultKDFParams.MemoryKiB
	if weaker && !o.insecure {
		return kdf, usagef("KDF parameters below t=%d m=%d KiB make the passphrase easier to guess; add --insecure-kdf if you really mean it",
			crypto.DefaultKDFParams.Time, crypto.DefaultKDFParams.MemoryKiB)
	}
	return kdf, nil
}

func cmdInit(ctx context.Context, sio *cliIO, o initOptions) error {
	kdf, err := o.params()
	if err != nil {
		return err
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

// addCommand is `add KIND`: one subcommand per kind of entry.
func (inv *invocation) addCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "add personal|client NAME --env ENV",
		Short: "Add a credential: a personal token or an OAuth client",
		Long: "Add a credential to the wallet. Its secret is read from standard input when that is not a\n" +
			"terminal, else asked for without echo; never from an argument, which every user can see.",
		Example: `  wisewallet add personal acme --env sandbox < token-file
  wisewallet add client acme-app --env sandbox --client-id 1a2b --redirect-url https://acme.example/cb`,
		Args: cobra.ArbitraryArgs,
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("missing kind; usage: wisewallet add personal NAME --env sandbox|production|local [--api-url URL]")
			}
			return usagef("unknown kind %q for add; use: add personal, add client", args[0])
		},
	}
	c.AddCommand(inv.addPersonalCommand(), inv.addClientCommand())
	return c
}

func (inv *invocation) addPersonalCommand() *cobra.Command {
	var o addPersonalOptions
	c := &cobra.Command{
		Use:   "personal NAME --env sandbox|production|local",
		Short: "Add a personal API token (checked with Wise unless --no-check)",
		Example: `  # Asks for the token without echo
  wisewallet add personal acme --env sandbox
  # From a file or a password manager, for scripts
  pass show wise/acme | wisewallet add personal acme --env production`,
		Args: positional(1, 1),
		RunE: func(c *cobra.Command, args []string) error { return cmdAddPersonal(c.Context(), inv.sio, args[0], o) },
	}
	c.Flags().StringVar(&o.env, "env", "", "sandbox, production or local")
	c.Flags().StringVar(&o.apiURL, "api-url", "", "API base URL (required for local)")
	c.Flags().BoolVar(&o.noCheck, "no-check", false, "store without checking the token with Wise (offline)")
	return c
}

type addPersonalOptions struct {
	env, apiURL string
	noCheck     bool
}

// openForAdd unlocks the wallet, checks that name is free and then reads
// the new entry's secret, in that order: a wrong passphrase or a taken
// name must not waste a pasted secret. noInput is the error for an empty
// standard input that is not a terminal (nil: CleanToken's own).
func (sio *cliIO) openForAdd(ctx context.Context, name, prompt string, noInput error) (*flows.Service, crypto.Secret, error) {
	svc, err := sio.openService(ctx)
	if err != nil {
		return nil, crypto.Secret{}, err
	}
	if _, err := svc.Entry(name); err == nil {
		return nil, crypto.Secret{}, fmt.Errorf("%w: %q; choose another name or 'wisewallet rm %s' first", wallet.ErrEntryExists, name, name)
	}
	raw, err := sio.readSecretInput(ctx, prompt)
	if err != nil {
		return nil, crypto.Secret{}, err
	}
	defer crypto.Wipe(raw)
	if noInput != nil && len(bytes.TrimSpace(raw)) == 0 && !sio.stdinIsTerminal() {
		return nil, crypto.Secret{}, noInput
	}
	secret, err := flows.CleanToken(raw)
	if err != nil {
		return nil, crypto.Secret{}, err
	}
	return svc, secret, nil
}

func cmdAddPersonal(ctx context.Context, sio *cliIO, name string, o addPersonalOptions) error {
	if err := wallet.ValidateName(name); err != nil {
		return usagef("%v", err)
	}
	environment, err := flows.ResolveEnv(o.env, o.apiURL)
	if err != nil {
		return err
	}
	noInput := fmt.Errorf("%w: no token on standard input; pipe it in (wisewallet add personal %s --env %s < token-file) or run in a terminal to be asked for it",
		flows.ErrUsage, name, environment.Name)
	svc, token, err := sio.openForAdd(ctx, name, "Personal API token (input hidden): ", noInput)
	if err != nil {
		return err
	}
	if o.noCheck {
		if _, err := svc.AddPersonal(ctx, name, environment, token); err != nil {
			return err
		}
		fmt.Fprintf(sio.stderr, "Added personal token %q (%s), not checked with Wise (--no-check).\n", name, environment.Name)
		return nil
	}
	e, err := svc.AddPersonalChecked(ctx, name, environment, token)
	if err != nil {
		return err
	}
	fmt.Fprintf(sio.stderr, "Added personal token %q (%s): it acts as %s with %d profile(s).\n", name, environment.Name, e.UserEmail, len(e.Profiles))
	return nil
}

func (inv *invocation) listCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List the entries (--json for scripts)",
		Example: `  wisewallet list
  wisewallet list --json | jq -r '.[].name'`,
		Args: positional(0, 0),
		RunE: func(c *cobra.Command, _ []string) error { return cmdList(c.Context(), inv.sio, asJSON) },
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return c
}

func cmdList(ctx context.Context, sio *cliIO, asJSON bool) error {
	ops, err := sio.ops(ctx)
	if err != nil {
		return err
	}
	rows, err := ops.List(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(sio.stdout, listJSON(rows))
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

// listRow is a row of list --json: every row has the same keys, status
// ("ok" when nothing is wrong) and linked_to (null when linked to nothing)
// included, so a script need not tell a missing key from a value.
type listRow struct {
	flows.Summary
	LinkedTo *string `json:"linked_to"`
	Status   string  `json:"status"`
}

func listJSON(rows []flows.Summary) []listRow {
	out := make([]listRow, 0, len(rows))
	for _, r := range rows {
		row := listRow{Summary: r, Status: r.Status}
		if r.LinkedTo != "" {
			row.LinkedTo = &r.LinkedTo
		}
		if row.Status == "" {
			row.Status = "ok"
		}
		out = append(out, row)
	}
	return out
}

func envLabel(env string) string {
	if env == string(wallet.EnvProduction) {
		return "PRODUCTION"
	}
	return env
}

func statusLabel(r flows.Summary) string {
	if (r.Status == "" || r.Status == "ok") && r.LinkedTo != "" {
		return "ok (for " + r.LinkedTo + ")"
	}
	return statusWord(r.Status)
}

// statusWord is a status as people read it, one word for each in every
// human table (the JSON keeps needs_login).
func statusWord(status string) string {
	switch status {
	case "":
		return "ok"
	case string(wallet.StatusNeedsLogin):
		return "needs login"
	}
	return status
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

func (inv *invocation) showCommand() *cobra.Command {
	var o showOptions
	c := &cobra.Command{
		Use:   "show NAME",
		Short: "Show one entry (--reveal to print its secrets)",
		Example: `  wisewallet show acme
  wisewallet show acme --reveal --json`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(),
		RunE:              func(c *cobra.Command, args []string) error { return cmdShow(c.Context(), inv.sio, args[0], o) },
	}
	c.Flags().BoolVar(&o.reveal, "reveal", false, "print secret values in clear")
	c.Flags().BoolVar(&o.asJSON, "json", false, "print JSON (secrets only with --reveal)")
	return c
}

type showOptions struct{ reveal, asJSON bool }

func cmdShow(ctx context.Context, sio *cliIO, name string, o showOptions) error {
	svc, err := sio.openService(ctx)
	if err != nil {
		return err
	}
	e, err := svc.Entry(name)
	if err != nil {
		return withListHint(err)
	}
	secrets := map[string]string{}
	// For --json: a hidden secret is null, with its length beside it, not
	// a masked string a script could take for the value.
	jsonSecrets, lengths := map[string]*string{}, map[string]int{}
	withheld := false
	for _, sec := range e.Secrets {
		jsonSecrets[sec.Name], lengths[sec.Name] = nil, sec.Len
		if o.reveal && flows.NeverShown(sec.Name) {
			// Not even with --reveal: see flows.NeverShown.
			secrets[sec.Name], withheld = flows.Mask(sec.Len), true
			continue
		}
		if !o.reveal {
			secrets[sec.Name] = flows.Mask(sec.Len)
			continue
		}
		clear, err := svc.Reveal(e.Name, sec.Name)
		if err != nil {
			return err
		}
		v := clear.RevealString()
		secrets[sec.Name], jsonSecrets[sec.Name] = v, &v
		sio.handedOut(ctx, e.Name, sec.Name, "stdout")
	}
	if withheld {
		fmt.Fprintln(sio.stderr, flows.NeverShownText)
	}
	if o.asJSON {
		type shown struct {
			flows.EntryView
			ExpiresAt *time.Time         `json:"expires_at"`
			Expiries  []flows.Expiry     `json:"expiries"`
			Secrets   map[string]*string `json:"secrets"`
			Lengths   map[string]int     `json:"secret_lengths"`
		}
		return writeJSON(sio.stdout, shown{EntryView: e, ExpiresAt: e.ExpiresAt(), Expiries: e.Expiries(), Secrets: jsonSecrets, Lengths: lengths})
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
	line("Status", string(e.Status))
	// The description is the one the app's details screen shows.
	now := time.Now()
	for _, f := range e.Describe() {
		var v string
		switch f.Kind {
		case flows.FieldTime, flows.FieldExpiry:
			v = flows.ShowTime(f.Time, time.Local)
		case flows.FieldAge:
			v = fmt.Sprintf("%d days (rotation reminder at %d days)", int(now.Sub(f.Time).Hours()/24), int(flows.RotationReminder.Hours()/24))
		default:
			v = f.Text
		}
		if f.Label == "" {
			fmt.Fprintf(tw, "\t%s\n", v) // continues the line above
			continue
		}
		line(f.Label, v)
	}
	for _, sec := range e.Secrets {
		line(sec.Name, secrets[sec.Name])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !o.reveal && len(secrets) > 0 {
		fmt.Fprintln(sio.stderr, "Secrets are masked; add --reveal to print them.")
	}
	return nil
}

func (inv *invocation) removeCommand() *cobra.Command {
	var yes bool
	c := &cobra.Command{
		Use:   "rm NAME",
		Short: "Remove an entry (asks first on a terminal; --yes for scripts)",
		Long: "Remove an entry from the wallet. The credential still works at Wise until you revoke it there.\n" +
			"On a terminal it asks first, naming the entries linked to this one (a client's logins, keys and\n" +
			"certificates), which stop working without it; without a terminal it needs --yes.",
		Example: `  wisewallet rm old-token
  # In a script: no question
  wisewallet rm old-token --yes`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(),
		RunE:              func(c *cobra.Command, args []string) error { return cmdRemove(c.Context(), inv.sio, args[0], yes) },
	}
	c.Flags().BoolVarP(&yes, "yes", "y", false, "remove without asking (scripts)")
	return c
}

func cmdRemove(ctx context.Context, sio *cliIO, name string, yes bool) error {
	var t tty
	if !yes {
		// Before the passphrase: without a terminal the answer would be
		// no anyway.
		var err error
		if t, err = sio.openTTY(); err != nil {
			return usagef("rm asks before removing %q, and there is no terminal to ask on; add --yes to remove it without asking (wisewallet rm %s --yes)", name, name)
		}
		defer t.Close()
	}
	svc, err := sio.openService(ctx)
	if err != nil {
		return err
	}
	e, err := svc.Entry(name)
	if err != nil {
		return withListHint(err)
	}
	var linked []string
	for _, r := range svc.List() {
		if r.LinkedTo == name {
			linked = append(linked, r.Name)
		}
	}
	warning := ""
	if len(linked) > 0 {
		warning = fmt.Sprintf("Linked to %q, and working only with it: %s.", name, strings.Join(linked, ", "))
	}
	if !yes {
		fmt.Fprintf(t, "Remove %q (%s, %s) from the wallet? It still works at Wise until you revoke it there.\n", name, e.Kind, envLabel(string(e.Env.Name)))
		if warning != "" {
			fmt.Fprintln(t, warning)
		}
		fmt.Fprint(t, "Remove it? [y/N] ")
		read := t.ReadPassword
		if lr, ok := t.(lineReader); ok {
			read = lr.ReadLine
		}
		answer, err := readCancellable(ctx, read, func() { fmt.Fprintln(t); t.Close() })
		if err != nil {
			return fmt.Errorf("reading the answer: %w", err)
		}
		if a := strings.ToLower(strings.TrimSpace(string(answer))); a != "y" && a != "yes" {
			return fmt.Errorf("%q was not removed (the answer was not yes)", name)
		}
	}
	if err := svc.Remove(ctx, name); err != nil {
		return withListHint(err)
	}
	fmt.Fprintf(sio.stderr, "Removed %q from the wallet. It still works at Wise until you revoke it there.\n", name)
	if warning != "" {
		fmt.Fprintf(sio.stderr, "Linked to %q, these no longer work: %s; remove them too, or add %q again.\n", name, strings.Join(linked, ", "), name)
	}
	return nil
}

func (inv *invocation) renameCommand() *cobra.Command {
	return &cobra.Command{
		Use:               "rename OLD NEW",
		Short:             "Rename an entry",
		Example:           "  wisewallet rename acme acme-sandbox",
		Args:              positional(2, 2),
		ValidArgsFunction: inv.completeEntryNames(),
		RunE:              func(c *cobra.Command, args []string) error { return cmdRename(c.Context(), inv.sio, args[0], args[1]) },
	}
}

func cmdRename(ctx context.Context, sio *cliIO, from, to string) error {
	if err := wallet.ValidateName(to); err != nil {
		return usagef("%v", err)
	}
	svc, err := sio.openService(ctx)
	if err != nil {
		return err
	}
	if err := svc.Rename(ctx, from, to); err != nil {
		return withListHint(err)
	}
	fmt.Fprintf(sio.stderr, "Renamed %q to %q.\n", from, to)
	return nil
}

func (inv *invocation) passwdCommand() *cobra.Command {
	var o passwdOptions
	c := &cobra.Command{
		Use:   "passwd",
		Short: "Change the wallet passphrase",
		Long: "Change the wallet passphrase: the current one (not the OS keyring) opens the wallet, then the\n" +
			"new one is asked twice, or taken from WISEWALLET_NEW_PASSPHRASE. The wallet gets a new data key,\n" +
			"so an old copy of the file and the old passphrase open nothing saved from now on. Argon2id is\n" +
			"raised to the defaults (or set with --kdf-*); a passphrase under 8 characters needs confirming\n" +
			"on the terminal, or --allow-short. The OS keyring slot is kept when its item can be read.",
		Example: `  wisewallet passwd
  # Stronger Argon2id (256 MiB)
  wisewallet passwd --kdf-memory 262144`,
		Args: positional(0, 0),
		RunE: func(c *cobra.Command, _ []string) error {
			o.kdfChosen = c.Flags().Changed("kdf-time") || c.Flags().Changed("kdf-memory") || c.Flags().Changed("kdf-threads")
			return cmdPasswd(c.Context(), inv.sio, o)
		},
	}
	o.kdfOptions.flags(c)
	c.Flags().BoolVar(&o.allowShort, "allow-short", false, fmt.Sprintf("accept a new passphrase under %d characters without asking", minPassphraseLen))
	return c
}

// minPassphraseLen is the length under which a new passphrase is easy
// enough to guess that the user must confirm it: Argon2id slows each
// guess, but a few characters leave few guesses to make.
const minPassphraseLen = 8

type passwdOptions struct {
	kdfOptions
	kdfChosen  bool // a --kdf-* flag was given
	allowShort bool
}

// passwdKDF is what passwd gives the new slot: the flags' parameters when
// given; else the current ones when at least the defaults (a deliberate
// stronger setting is kept), else the defaults, so that a wallet made
// with weak parameters does not keep them forever.
func passwdKDF(o passwdOptions, cur crypto.KDFParams) (crypto.KDFParams, error) {
	if o.kdfChosen {
		return o.params()
	}
	def := crypto.DefaultKDFParams
	if cur.Time >= def.Time && cur.MemoryKiB >= def.MemoryKiB && cur.CheckBounded() == nil {
		return cur, nil
	}
	return def, nil
}

func cmdPasswd(ctx context.Context, sio *cliIO, o passwdOptions) error {
	// Flags first: a usage error costs no KDF.
	if o.kdfChosen {
		if _, err := o.params(); err != nil {
			return err
		}
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
	w, err := sio.openWallet(ctx, unlockKnowingPassphrase)
	if err != nil {
		return err
	}
	kdf, err := passwdKDF(o, w.KDF())
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
	raw := pw.Reveal()
	n := utf8.RuneCount(raw)
	crypto.Wipe(raw)
	if n < minPassphraseLen && !o.allowShort {
		if fromEnv {
			return usagef("the new passphrase has %d characters; one under %d is easy to guess; add --allow-short if you really mean it", n, minPassphraseLen)
		}
		if err := sio.confirmShort(ctx, n); err != nil {
			return err
		}
	}
	hadSlot := w.HasKeyringSlot()
	var krErr error
	if hadSlot {
		// The new data key must be wrapped in the keyring slot too, which
		// needs the keyring item's key: read it now (the slot did not open
		// the wallet, the passphrase did). Without it, the slot goes.
		kr, err := sio.osKeyring(ctx, false)
		if err == nil {
			err = w.AttachKeyring(ctx, kr)
		}
		krErr = err
	}
	if err := w.ChangePassphrase(ctx, pw, kdf); err != nil {
		return err
	}
	fmt.Fprintf(sio.stderr, "Passphrase changed (Argon2id t=%d m=%d KiB p=%d), with a new data key: old copies of the wallet and the old passphrase open nothing saved from now on.\n",
		kdf.Time, kdf.MemoryKiB, kdf.Threads)
	switch {
	case hadSlot && w.HasKeyringSlot():
		fmt.Fprintln(sio.stderr, "The OS keyring slot still opens the wallet.")
	case hadSlot:
		fmt.Fprintf(sio.stderr, "The OS keyring slot was removed: its item could not be read (%s), and the slot could only have gone on opening the old key. Run 'wisewallet keyring enable' to add it again.\n",
			walletMessage(krErr))
	}
	return nil
}

// confirmShort warns about a short new passphrase typed on the terminal
// and asks to go on; anything but yes changes nothing.
func (sio *cliIO) confirmShort(ctx context.Context, n int) error {
	t, err := sio.openTTY()
	if err != nil {
		return usagef("the new passphrase has %d characters; add --allow-short to accept one under %d", n, minPassphraseLen)
	}
	defer t.Close()
	fmt.Fprintf(t, "The new passphrase has %d characters: one under %d is easy to guess, however slow the KDF.\nUse it anyway? [y/N] ", n, minPassphraseLen)
	read := t.ReadPassword
	if lr, ok := t.(lineReader); ok {
		read = lr.ReadLine
	}
	answer, err := readCancellable(ctx, read, func() { fmt.Fprintln(t); t.Close() })
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if a := strings.ToLower(strings.TrimSpace(string(answer))); a != "y" && a != "yes" {
		return errors.New("the short passphrase was not confirmed; nothing was changed")
	}
	return nil
}

func (inv *invocation) statusCommand() *cobra.Command {
	var asJSON, check bool
	var within string
	c := &cobra.Command{
		Use:   "status",
		Short: "Show what expires when, per entry (--json for scripts, --check for cron)",
		Example: `  wisewallet status
  wisewallet status --json | jq '.[] | select(.status != "ok")'
  # In cron or CI: exit 8 and one line per thing due within 7 days
  wisewallet status --check --within 7d`,
		Args: positional(0, 0),
		RunE: func(c *cobra.Command, _ []string) error {
			if !check {
				if c.Flags().Changed("within") {
					return usagef("--within goes with --check (usage: %s)", usageLine(c))
				}
				return cmdStatus(c.Context(), inv.sio, asJSON)
			}
			d, err := parseSpan(within)
			if err != nil || d < 0 {
				return usagef("--within: %s", spanError(within, err))
			}
			return statusCheck(c.Context(), inv.sio, d, asJSON)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().BoolVar(&check, "check", false, "exit 8 when anything is due within --within, naming each on stderr")
	c.Flags().StringVar(&within, "within", spanLabel(defaultWithin), "with --check: the window, as 7d, 36h or 1d12h")
	return c
}

// renewalHint is the reminder after a certificate due for renewal.
func renewalHint(name string, x flows.ExpiryStatus) string {
	if !x.RenewalDue {
		return ""
	}
	return " (renew it now: wisewallet mtls renew " + name + ")"
}

func cmdStatus(ctx context.Context, sio *cliIO, asJSON bool) error {
	ops, err := sio.ops(ctx)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	rows, err := ops.Status(ctx, now)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(sio.stdout, rows)
	}
	tw := tabwriter.NewWriter(sio.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tENV\tSTATUS\tEXPIRES")
	for _, r := range rows {
		var parts []string
		for _, x := range r.Expiries {
			parts = append(parts, fmt.Sprintf("%s %s%s", x.What, expiresLabel(&x.ExpiresAt, now), renewalHint(r.Name, x)))
		}
		if r.SecretAgeDays != nil && len(parts) == 0 {
			parts = append(parts, fmt.Sprintf("secret %d days old", *r.SecretAgeDays))
		}
		if len(parts) == 0 {
			parts = []string{"-"}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Kind, envLabel(r.Env), statusWord(r.Status), strings.Join(parts, ", "))
	}
	return tw.Flush()
}
