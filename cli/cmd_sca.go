package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/wallet"
)

// The SCA commands: what clears a challenge Wise puts on a call (a 403
// with x-2fa-approval, a one-time token): the token's status, its
// challenges walked on the terminal (a factor chosen, the PIN and the
// phone codes typed hidden), the PIN and this device set up beforehand,
// and the legacy SCA key of a personal token. PINs and codes are read
// from the terminal (a PIN to set also from a pipe), never from
// arguments, and never shown; the device fingerprint never leaves the
// wallet.

func (inv *invocation) scaCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "sca",
		Short: "SCA / 2FA: clear Wise's challenges, set up the PIN and this device, the legacy SCA key",
		Long: "Wise may answer any call with a challenge: HTTP 403 with the header x-2fa-approval, a one-time\n" +
			"token. 'sca status' shows what the token asks for, 'sca approve' walks its challenges on the\n" +
			"terminal (choose a factor, type the PIN or the code sent to your phone, hidden), and the call is\n" +
			"then sent again once with the header x-2fa-approval: TOKEN. 'sca pin set' and 'sca device add'\n" +
			"set up the factors beforehand. A personal token's legacy SCA key ('sca keygen', 'sca sign')\n" +
			"signs the token for accounts where Wise still takes it. Exit code 6: a challenge that could\n" +
			"not be cleared (no factor this credential can use, blocked, interrupted, no terminal).",
		Example: `  wisewallet sca status partner-user 3f1c5a6e-8a0b-4c1d-9e2f-123456789abc
  wisewallet sca approve partner-user 3f1c5a6e-8a0b-4c1d-9e2f-123456789abc
  wisewallet sca pin set partner-user
  wisewallet sca device add partner-user
  wisewallet sca keygen acme-sca --for acme-personal`,
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("missing command; usage: %s", usageLine(c))
			}
			return usagef("unknown sca command %q; usage: %s", args[0], usageLine(c))
		},
	}
	c.AddCommand(inv.scaStatusCommand(), inv.scaApproveCommand(), inv.scaSessionCommand(), inv.scaFactorsCommand(),
		inv.scaPINCommand(), inv.scaDeviceCommand(),
		inv.scaKeygenCommand(), inv.scaPubkeyCommand(), inv.scaUploadCommand(), inv.scaSignCommand())
	return c
}

// checkOTT refuses what is not a one-time token before the wallet is
// unlocked. It is not quoted back: something pasted in its place may be
// a secret.
func checkOTT(ott, usage string) error {
	if err := crypto.CheckOneTimeToken(ott); err != nil {
		return usagef("%s is not a one-time token: Wise's are UUIDs (36 characters), the x-2fa-approval header of the refused call (usage: %s)", quoteArgument(ott), usage)
	}
	return nil
}

// addProfileFlag adds --profile; 0 is the credential's own profile as
// flows picks it.
func addProfileFlag(c *cobra.Command, profile *int64) {
	c.Flags().Int64Var(profile, "profile", 0, "the Wise profile id (default: the credential's personal profile)")
}

func checkProfile(profile int64) error {
	if profile < 0 {
		return usagef("--profile %d: give a profile id ('wisewallet whoami CREDENTIAL' lists them)", profile)
	}
	return nil
}

func (inv *invocation) scaStatusCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "status CREDENTIAL ONE_TIME_TOKEN",
		Short: "Show what a one-time token asks for: its challenges, their alternatives, the action",
		Long: "GET /v1/one-time-token/status with the credential's token: the action the one-time token\n" +
			"approves, each challenge with its alternatives and whether this credential can clear it, and\n" +
			"whether the token is ready (then the call can be sent again with it). Nothing is cleared.",
		Example: `  wisewallet sca status partner-user 3f1c5a6e-8a0b-4c1d-9e2f-123456789abc
  wisewallet sca status partner-user 3f1c5a6e-8a0b-4c1d-9e2f-123456789abc --json | jq .ready`,
		Args:              positional(2, 2),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindUser, wallet.KindPersonal),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkOTT(args[1], usageLine(c)); err != nil {
				return err
			}
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			st, err := svc.SCAStatus(c.Context(), args[0], args[1])
			if err != nil {
				return scaHint(withListHint(err), args[0])
			}
			if asJSON {
				return writeJSON(inv.sio.stdout, st)
			}
			printSCAStatus(inv.sio.stdout, st, svc.SCAFactors(args[0]).SCAKey)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	return c
}

// printSCAStatus is a token's status as text; legacyKey is the SCA key
// of a personal token, when it has one.
func printSCAStatus(w io.Writer, st flows.SCAStatusView, legacyKey string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "One-time token:\t%s\n", st.OTT)
	fmt.Fprintf(tw, "Action:\t%s\n", orUnknown(st.ActionType))
	fmt.Fprintf(tw, "Valid for:\t%s\n", st.Validity.Round(time.Second))
	state := "no: 'wisewallet sca approve " + st.Credential + " " + st.OTT + "' clears it"
	switch {
	case st.Ready:
		state = "yes: send the call again with the header x-2fa-approval: " + st.OTT
	case legacyKey != "":
		state = "no: the legacy signature goes with the call itself, where Wise still takes it (below)"
	}
	fmt.Fprintf(tw, "Ready:\t%s\n", state)
	_ = tw.Flush()
	if len(st.Challenges) == 0 {
		fmt.Fprintln(w, "Challenges: none")
	} else {
		fmt.Fprintln(w, "Challenges:")
	}
	for i, ch := range st.Challenges {
		how := "required"
		switch {
		case ch.Passed:
			how = "passed"
		case !ch.Required:
			how = "optional"
		}
		names := []string{factorName(ch.Primary)}
		for _, a := range ch.Alternatives {
			names = append(names, factorName(a))
		}
		fmt.Fprintf(w, "  %d. %s (%s)\n", i+1, strings.Join(names, ", or "), how)
		if ch.Passed {
			continue
		}
		// One reason for all (a personal token's) is said once.
		why, same := "", len(ch.Options) > 0
		for _, o := range ch.Options {
			same = same && !o.Solvable && (why == "" || why == o.WhyNot)
			why = o.WhyNot
		}
		if same {
			fmt.Fprintf(w, "     none of them can be used: %s\n", why)
			continue
		}
		for _, o := range ch.Options {
			mark := "can use"
			if !o.Solvable {
				mark = "cannot, " + o.WhyNot
			}
			fmt.Fprintf(w, "     %s: %s\n", factorName(o.Factor), mark)
		}
	}
	if !st.Ready && legacyKey != "" {
		fmt.Fprintf(w, "Legacy (withdrawn by Wise; only where it still takes it): send the call again with the headers\n"+
			"  x-2fa-approval: %s\n  X-Signature: $(wisewallet sca sign %s %s)\n", st.OTT, legacyKey, st.OTT)
	}
	if st.Deprecated {
		fmt.Fprintln(w, "(read from the deprecated /v1/identity/one-time-token/status: this server answers only that)")
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "(not given)"
	}
	return s
}

// factorName is a factor as the messages say it.
func factorName(f flows.SCAFactor) string {
	switch f {
	case flows.FactorPIN:
		return "PIN"
	case flows.FactorSMS:
		return "code by SMS"
	case flows.FactorWhatsApp:
		return "code by WhatsApp"
	case flows.FactorVoice:
		return "code by voice call"
	case flows.FactorDeviceFingerprint:
		return "this device (its registered fingerprint)"
	case flows.FactorFaceMap:
		return "face scan (FaceTec)"
	case flows.FactorLegacySignature:
		return "signature with the SCA key (legacy)"
	}
	return string(f)
}

func (inv *invocation) scaApproveCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "approve CREDENTIAL ONE_TIME_TOKEN",
		Short: "Clear a one-time token's challenges on the terminal, for the call to be sent again",
		Long: "Walk the one-time token's challenges on the terminal: choose a factor for each (the ones this\n" +
			"credential cannot use say why), type the PIN or the code Wise sends to your phone (hidden;\n" +
			"a code is sent only once you choose it), or let this device's fingerprint or the SCA key's\n" +
			"signature answer. Then send the refused call again, once, with x-2fa-approval: TOKEN. It needs\n" +
			"a terminal: without one it stops at once with exit code 6, before anything is sent.",
		Example: `  wisewallet sca approve partner-user 3f1c5a6e-8a0b-4c1d-9e2f-123456789abc
  curl -H "Authorization: Bearer $(wisewallet token partner-user)" \
    -H "x-2fa-approval: 3f1c5a6e-8a0b-4c1d-9e2f-123456789abc" ...`,
		Args:              positional(2, 2),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindUser, wallet.KindPersonal),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkOTT(args[1], usageLine(c)); err != nil {
				return err
			}
			// Before anything else, the wallet included: nothing is sent
			// when nobody can answer.
			t, err := inv.sio.openTTY()
			if err != nil {
				return &noTerminalError{command: "sca approve", needs: "to choose a factor and type the PIN or the code sent to your phone"}
			}
			defer t.Close()
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			solver := &termSolver{t: t}
			st, err := svc.SCAApprove(c.Context(), args[0], args[1], solver)
			if err != nil {
				return scaHint(withListHint(err), args[0])
			}
			if asJSON {
				return writeJSON(inv.sio.stdout, st)
			}
			fmt.Fprintf(inv.sio.stderr, "Approved: the one-time token %s%s is cleared. Send the refused call again, once, with the header\n  x-2fa-approval: %s\n",
				st.OTT, actionOf(st.ActionType), st.OTT)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the token's status after approval as JSON")
	return c
}

func actionOf(action string) string {
	if action == "" {
		return ""
	}
	return " (" + action + ")"
}

func (inv *invocation) scaSessionCommand() *cobra.Command {
	var profile int64
	var asJSON bool
	c := &cobra.Command{
		Use:   "session CREDENTIAL [--profile ID]",
		Short: "Start an SCA session: one approval on the terminal covers Wise's 5-minute low-risk window",
		Long: "POST /v2/profiles/{id}/sca-sessions/authorise, then its challenges walked on the terminal as\n" +
			"'sca approve' does. For the next 5 minutes Wise asks no SCA again of the profile's low-risk\n" +
			"calls (a balance statement, for one). It needs a terminal.",
		Example: `  wisewallet sca session partner-user
  wisewallet sca session partner-user --profile 12345 --json`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindUser),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkProfile(profile); err != nil {
				return err
			}
			t, err := inv.sio.openTTY()
			if err != nil {
				return &noTerminalError{command: "sca session", needs: "to choose a factor and type the PIN or the code sent to your phone"}
			}
			defer t.Close()
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			v, err := svc.SCASession(c.Context(), args[0], profile, &termSolver{t: t})
			if err != nil {
				return scaHint(withListHint(err), args[0])
			}
			if asJSON {
				return writeJSON(inv.sio.stdout, v)
			}
			fmt.Fprintf(inv.sio.stderr, "SCA session started for profile %d of %q: low-risk calls need no SCA until %s.\n",
				v.Profile, v.Credential, timeLabel(&v.Until))
			return nil
		},
	}
	addProfileFlag(c, &profile)
	c.Flags().BoolVar(&asJSON, "json", false, "print the session as JSON")
	return c
}

func (inv *invocation) scaFactorsCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "factors CREDENTIAL",
		Short: "Which SCA factors a credential can use, and why not the others",
		Example: `  wisewallet sca factors partner-user
  wisewallet sca factors acme-personal --json`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindUser, wallet.KindPersonal),
		RunE: func(c *cobra.Command, args []string) error {
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			// SCAFactors reads memory only: an unknown name is found here.
			if _, err := svc.Entry(args[0]); err != nil {
				return withListHint(err)
			}
			v := svc.SCAFactors(args[0])
			if asJSON {
				return writeJSON(inv.sio.stdout, v)
			}
			printSCAFactors(inv.sio.stdout, v)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the factors as JSON")
	return c
}

func printSCAFactors(w io.Writer, v flows.SCAFactorsView) {
	// Factors that cannot be used for one reason (all of a personal
	// token's) share a line.
	var states []string
	byState := map[string][]string{}
	for _, f := range v.Factors {
		state := "can use"
		switch {
		case !f.Solvable:
			state = "cannot: " + f.WhyNot
		case f.SetUp:
			state = "can use (set up)"
		}
		if _, ok := byState[state]; !ok || !f.Solvable && len(byState[state]) == 0 {
			states = append(states, state)
		}
		byState[state] = append(byState[state], factorName(f.Factor))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	var shared []string
	for _, state := range states {
		names := byState[state]
		if strings.HasPrefix(state, "cannot: ") && len(names) > 2 {
			shared = append(shared, fmt.Sprintf("%s: %s", strings.Join(names, ", "), state))
			continue
		}
		for _, n := range names {
			fmt.Fprintf(tw, "%s\t%s\n", n, state)
		}
	}
	_ = tw.Flush()
	for _, line := range shared {
		fmt.Fprintln(w, line)
	}
	if len(v.PINProfiles) > 0 {
		var ids []string
		for _, p := range v.PINProfiles {
			ids = append(ids, strconv.FormatInt(p, 10))
		}
		fmt.Fprintf(w, "PIN set for profile %s\n", strings.Join(ids, ", "))
	}
	if v.DeviceID != "" {
		fmt.Fprintf(w, "This device: registered as %s", v.DeviceID)
		if v.DeviceRegisteredAt != nil {
			fmt.Fprintf(w, " on %s", timeLabel(v.DeviceRegisteredAt))
		}
		fmt.Fprintln(w)
	}
	if v.SCAKey != "" {
		fmt.Fprintf(w, "SCA key (legacy): %s\n", v.SCAKey)
	}
	if v.SessionUntil != nil && v.SessionUntil.After(time.Now()) {
		fmt.Fprintf(w, "SCA session until %s\n", timeLabel(v.SessionUntil))
	}
	if v.Note != "" {
		fmt.Fprintln(w, v.Note)
	}
}

func (inv *invocation) scaPINCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "pin",
		Short: "Set, change or delete the 4-digit PIN Wise asks for as an SCA factor",
		Long: "The PIN is a knowledge factor of 4 digits, kept by Wise and never by the wallet (which only notes\n" +
			"that one was set). It is typed hidden on the terminal, twice; piped on standard input it is read\n" +
			"once (printf 1234 | ...). Never from an argument. It is sent encrypted to Wise's key (JWE).",
		Example: `  wisewallet sca pin set partner-user
  wisewallet sca pin change partner-user --profile 12345
  wisewallet sca pin delete partner-user`,
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("missing command; usage: %s", usageLine(c))
			}
			return usagef("unknown sca pin command %q; usage: %s", args[0], usageLine(c))
		},
	}
	set := inv.scaPINSubcommand("set", "Set the profile's PIN: typed twice, hidden, or piped on standard input",
		`  wisewallet sca pin set partner-user
  printf 1234 | wisewallet sca pin set partner-user --profile 12345   # a script`)
	change := inv.scaPINSubcommand("change", "Change the profile's PIN: the old one clears the challenge, the new one is typed twice",
		`  wisewallet sca pin change partner-user`)
	del := inv.scaPINSubcommand("delete", "Delete the profile's PIN at Wise",
		`  wisewallet sca pin delete partner-user`)
	c.AddCommand(set, change, del)
	return c
}

// scaPINLong is the help of the commands that take a new PIN.
const scaPINLong = "The new PIN (4 digits) is typed twice on the terminal, hidden. Without a terminal, or from a\n" +
	"script, it is read once from standard input when that is a pipe (printf 1234 | ...), and from\n" +
	"nowhere else: never an argument, a file or an environment variable. It goes to Wise encrypted to\n" +
	"Wise's key (JWE); the wallet keeps only that a PIN was set for the profile."

func (inv *invocation) scaPINSubcommand(verb, short, example string) *cobra.Command {
	var profile int64
	long := scaPINLong
	if verb == "delete" {
		long = "Delete the profile's PIN at Wise. Wise may ask for SCA first (the PIN itself among the factors):\n" +
			"it is walked on the terminal, as 'sca approve' does."
	} else if verb == "change" {
		long = scaPINLong + "\nWise asks for SCA before the old PIN goes (the old PIN among the factors): it is walked\n" +
			"on the terminal, as 'sca approve' does."
	}
	c := &cobra.Command{
		Use:               verb + " CREDENTIAL [--profile ID]",
		Short:             short,
		Long:              long,
		Example:           example,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindUser),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkProfile(profile); err != nil {
				return err
			}
			return cmdSCAPIN(c.Context(), inv.sio, verb, args[0], profile)
		},
	}
	addProfileFlag(c, &profile)
	return c
}

func cmdSCAPIN(ctx context.Context, sio *cliIO, verb, credential string, profile int64) error {
	svc, err := sio.openService(ctx)
	if err != nil {
		return err
	}
	if _, err := svc.Entry(credential); err != nil {
		return withListHint(err) // before the PIN is asked for
	}
	solver, done := sio.scaSolver()
	defer done()
	switch verb {
	case "delete":
		err = svc.PINDelete(ctx, credential, profile, solver)
	default:
		var pin crypto.Secret
		if pin, err = sio.readNewPIN(ctx, verb == "change"); err != nil {
			return err
		}
		if verb == "set" {
			err = svc.PINSet(ctx, credential, profile, pin, solver)
		} else {
			err = svc.PINChange(ctx, credential, profile, pin, solver)
		}
	}
	if err != nil {
		return scaHint(err, credential)
	}
	what := map[string]string{"set": "Set", "change": "Changed", "delete": "Deleted"}[verb]
	fmt.Fprintf(sio.stderr, "%s the PIN of %q%s at Wise. The wallet keeps no PIN, only that one is set.\n", what, credential, profileOf(profile))
	return nil
}

func profileOf(profile int64) string {
	if profile == 0 {
		return ""
	}
	return fmt.Sprintf(" for profile %d", profile)
}

// readNewPIN reads a PIN to set: piped on standard input, one line;
// else typed twice on the terminal, hidden. Never an argument. A PIN
// that is not 4 digits is refused here, before anything is sent.
func (sio *cliIO) readNewPIN(ctx context.Context, changing bool) (crypto.Secret, error) {
	if !sio.stdinIsTerminal() && stdinPiped(sio.stdin) {
		b, err := readCancellable(ctx, sio.readStdinLine, nil)
		if err != nil {
			if ctx.Err() == nil {
				err = fmt.Errorf("reading the PIN from standard input: %w", err)
			}
			return crypto.Secret{}, err
		}
		defer crypto.Wipe(b)
		pin := crypto.NewSecret(b)
		if err := crypto.CheckPIN(pin); err != nil {
			return crypto.Secret{}, usagef("the PIN on standard input is not 4 digits (0-9): pipe the 4 digits alone")
		}
		return pin, nil
	}
	t, err := sio.openTTY()
	if err != nil {
		return crypto.Secret{}, usagef("no terminal to type the PIN on: run in a terminal, or pipe it on standard input (printf 1234 | wisewallet sca pin ...); never as an argument")
	}
	defer t.Close()
	prompt := "New PIN (4 digits, hidden): "
	if !changing {
		prompt = "PIN to set (4 digits, hidden): "
	}
	for try := 0; ; try++ {
		first, err := readHidden(ctx, t, prompt)
		if err != nil {
			return crypto.Secret{}, fmt.Errorf("reading the PIN: %w", err)
		}
		pin := crypto.NewSecret(first)
		crypto.Wipe(first)
		if err := crypto.CheckPIN(pin); err != nil {
			if try < 2 {
				fmt.Fprintln(t, "A PIN is 4 digits (0-9); try again.")
				continue
			}
			return crypto.Secret{}, usagef("a PIN is 4 digits (0-9); nothing was sent")
		}
		second, err := readHidden(ctx, t, "Repeat it: ")
		if err != nil {
			return crypto.Secret{}, fmt.Errorf("reading the PIN: %w", err)
		}
		same := pin.Equal(crypto.NewSecret(second))
		crypto.Wipe(second)
		if !same {
			return crypto.Secret{}, errors.New("the two PINs differ; nothing was sent")
		}
		return pin, nil
	}
}

// stdinPiped reports whether standard input is a pipe (or a socket): a
// PIN is taken from there, and not from a terminal, a file or /dev/null.
// A reader that is no file (a test's, an embedder's) is one in effect.
func stdinPiped(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return true
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&(os.ModeNamedPipe|os.ModeSocket) != 0
}

func (inv *invocation) scaDeviceCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "device",
		Short: "Register this device as an SCA factor, list the registered ones, remove one",
		Long: "A partner device fingerprint is a possession factor: a random value made for this install,\n" +
			"kept as a secret in the credential's entry and registered with Wise (encrypted, JWE). Wise keeps\n" +
			"at most 3 per profile. Once registered, a challenge that takes it is cleared without typing.",
		Example: `  wisewallet sca device add partner-user
  wisewallet sca device list partner-user
  wisewallet sca device rm partner-user`,
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("missing command; usage: %s", usageLine(c))
			}
			return usagef("unknown sca device command %q; usage: %s", args[0], usageLine(c))
		},
	}
	c.AddCommand(inv.scaDeviceAddCommand(), inv.scaDeviceListCommand(), inv.scaDeviceRmCommand())
	return c
}

func (inv *invocation) scaDeviceAddCommand() *cobra.Command {
	var profile int64
	var asJSON bool
	c := &cobra.Command{
		Use:               "add CREDENTIAL [--profile ID]",
		Short:             "Register this install's device fingerprint with Wise for the profile",
		Example:           `  wisewallet sca device add partner-user`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindUser),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkProfile(profile); err != nil {
				return err
			}
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			solver, done := inv.sio.scaSolver()
			defer done()
			d, err := svc.DeviceAdd(c.Context(), args[0], profile, solver)
			if err != nil {
				return scaHint(withListHint(err), args[0])
			}
			if asJSON {
				return writeJSON(inv.sio.stdout, d)
			}
			fmt.Fprintf(inv.sio.stderr, "Registered this device for profile %d of %q: device id %s (Wise keeps at most %d per profile).\n",
				d.Profile, args[0], d.ID, flows.MaxDevicesPerProfile)
			return nil
		},
	}
	addProfileFlag(c, &profile)
	c.Flags().BoolVar(&asJSON, "json", false, "print the device as JSON")
	return c
}

func (inv *invocation) scaDeviceListCommand() *cobra.Command {
	var profile int64
	var asJSON bool
	c := &cobra.Command{
		Use:   "list CREDENTIAL [--profile ID]",
		Short: "List the device fingerprints registered with Wise for the profile",
		Example: `  wisewallet sca device list partner-user
  wisewallet sca device list partner-user --json`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindUser),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkProfile(profile); err != nil {
				return err
			}
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			ds, err := svc.DeviceList(c.Context(), args[0], profile)
			if err != nil {
				return scaHint(withListHint(err), args[0])
			}
			if asJSON {
				if ds == nil {
					ds = []flows.DeviceView{}
				}
				return writeJSON(inv.sio.stdout, ds)
			}
			if len(ds) == 0 {
				fmt.Fprintf(inv.sio.stderr, "No device is registered for %q%s: 'wisewallet sca device add %s' registers this one.\n", args[0], profileOf(profile), args[0])
				return nil
			}
			tw := tabwriter.NewWriter(inv.sio.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tPROFILE\tREGISTERED\tTHIS DEVICE")
			for _, d := range ds {
				this := ""
				if d.ThisDevice {
					this = "yes"
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", d.ID, d.Profile, timeLabel(d.CreatedAt), this)
			}
			return tw.Flush()
		},
	}
	addProfileFlag(c, &profile)
	c.Flags().BoolVar(&asJSON, "json", false, "print the devices as JSON")
	return c
}

func (inv *invocation) scaDeviceRmCommand() *cobra.Command {
	var profile int64
	c := &cobra.Command{
		Use:   "rm CREDENTIAL [ID] [--profile ID]",
		Short: "Remove a registered device fingerprint (this device's when no ID is given)",
		Example: `  wisewallet sca device rm partner-user
  wisewallet sca device rm partner-user 7d8e...   # an id 'sca device list' shows`,
		Args:              positional(1, 2),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindUser),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkProfile(profile); err != nil {
				return err
			}
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			if _, err := svc.Entry(args[0]); err != nil {
				return withListHint(err)
			}
			id := ""
			if len(args) == 2 {
				id = args[1]
			} else if id = svc.SCAFactors(args[0]).DeviceID; id == "" {
				return usagef("no device of this install is registered for %q: give the id of the one to remove ('wisewallet sca device list %s' shows them)", args[0], args[0])
			}
			solver, done := inv.sio.scaSolver()
			defer done()
			if err := svc.DeviceRemove(c.Context(), args[0], profile, id, solver); err != nil {
				return scaHint(err, args[0])
			}
			fmt.Fprintf(inv.sio.stderr, "Removed device %s of %q%s at Wise.\n", id, args[0], profileOf(profile))
			return nil
		},
	}
	addProfileFlag(c, &profile)
	return c
}

func (inv *invocation) scaKeygenCommand() *cobra.Command {
	var bits int
	var forEntry string
	var asJSON bool
	c := &cobra.Command{
		Use:   "keygen NAME [--bits N] [--for ENTRY]",
		Short: "Make a legacy SCA key (RSA) for a personal token, kept as the sca entry NAME",
		Long: "LEGACY: Wise has withdrawn SCA by signed one-time tokens for personal tokens; it works only for\n" +
			"the accounts where Wise still takes it. The key is RSA, 2048 bits unless --bits says 3072 or\n" +
			"4096 (less is refused, as Wise refuses it). Its public key (PEM, 'sca pubkey') is uploaded in\n" +
			"Wise's web app: Settings > API tokens > Manage public keys (at most 5 keys); for a local\n" +
			"personal token, 'sca upload' uploads it to localwise.",
		Example: `  wisewallet sca keygen acme-sca --for acme-personal
  wisewallet sca keygen acme-sca --for acme-personal --bits 4096 --json`,
		Args: positional(1, 1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := wallet.ValidateName(args[0]); err != nil {
				return usagef("%v", err)
			}
			// Checked before the wallet is unlocked and the key made.
			if err := checkSCABits(bits); err != nil {
				return err
			}
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			stop := slowProgress(inv.sio.stderr, time.Second, "Generating the RSA key; this can take several seconds…")
			e, err := svc.SCAKeygen(c.Context(), flows.SCAKeyInput{Name: args[0], Bits: bits, For: forEntry})
			stop()
			if err != nil {
				return scaHint(withListHint(err), args[0])
			}
			if asJSON {
				return writeJSON(inv.sio.stdout, scaKeyJSON{Entry: e.Name, For: e.LinkedTo, Env: string(e.Env.Name), KeyType: e.KeyType,
					Uploaded: e.Uploaded, PublicKey: e.PublicKey})
			}
			w := inv.sio.stderr
			fmt.Fprintf(w, "Made an RSA SCA key (%s) %q", e.KeyType, e.Name)
			if e.LinkedTo != "" {
				fmt.Fprintf(w, " for %q", e.LinkedTo)
			}
			if e.Env.Name != "" {
				fmt.Fprintf(w, " (%s)", envLabel(string(e.Env.Name)))
			}
			fmt.Fprintln(w, ". The private key stays in the wallet.")
			fmt.Fprintln(w, "LEGACY: Wise has withdrawn personal-token SCA signing; it works only where Wise still takes it.")
			if e.LinkedTo == "" {
				fmt.Fprintln(w, "It signs for no personal token, so it has no account to be uploaded to; --for ENTRY links one.")
				return nil
			}
			fmt.Fprintf(w, "Next:\n%s", scaUploadNext(e))
			return nil
		},
	}
	c.Flags().IntVar(&bits, "bits", flows.DefaultSCAKeyBits, "RSA key size: 2048, 3072 or 4096")
	c.Flags().StringVar(&forEntry, "for", "", "the personal-token entry the key signs for")
	c.Flags().BoolVar(&asJSON, "json", false, "print the entry and its public key as JSON")
	return c
}

// scaKeyJSON is what sca keygen prints with --json.
type scaKeyJSON struct {
	Entry     string `json:"entry"`
	For       string `json:"for,omitempty"`
	Env       string `json:"env"`
	KeyType   string `json:"key_type"`
	Uploaded  bool   `json:"uploaded"`
	PublicKey string `json:"public_key"`
}

// checkSCABits refuses a key size Wise does not take.
func checkSCABits(bits int) error {
	switch {
	case bits == 2048 || bits == 3072 || bits == 4096:
		return nil
	case bits < 2048:
		return usagef("--bits %d: Wise takes RSA keys of at least 2048 bits; use 2048 (the default), 3072 or 4096", bits)
	}
	return usagef("--bits %d: use 2048 (the default), 3072 or 4096", bits)
}

// scaUploadNext is where an SCA key's public key goes next.
func scaUploadNext(e flows.EntryView) string {
	if e.Env.Name == wallet.EnvLocal {
		return fmt.Sprintf("  wisewallet sca upload %s   # register the public key with localwise\n", e.Name)
	}
	return fmt.Sprintf("  wisewallet sca pubkey %s > %s.pem\n  # then Wise's web app: Settings > API tokens > Manage public keys > Add (at most %d keys)\n",
		e.Name, e.Name, flows.MaxSCAKeys)
}

func (inv *invocation) scaPubkeyCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "pubkey NAME",
		Short: "Print an SCA key's public key: the PEM block for Wise's upload, nothing else",
		Example: `  wisewallet sca pubkey acme-sca > acme-sca.pem
  wisewallet sca pubkey acme-sca | openssl pkey -pubin -noout -text`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindSCA),
		RunE: func(c *cobra.Command, args []string) error {
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			b, err := svc.SCAPublicKey(args[0])
			if err != nil {
				return scaHint(withListHint(err), args[0])
			}
			return writeLine(inv.sio.stdout, b)
		},
	}
}

func (inv *invocation) scaUploadCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "upload NAME",
		Short: "Upload an SCA key's public key to localwise; for Wise, say where in its web app",
		Long: "For a local personal token, register the public key with localwise (its stand-in of the web\n" +
			"app's Manage public keys). Wise takes SCA keys only in its web app, uploaded by you: for sandbox\n" +
			"and production this says where, and exits 2 having sent nothing.",
		Example:           `  wisewallet sca upload acme-sca`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindSCA),
		RunE: func(c *cobra.Command, args []string) error {
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			e, err := svc.SCAUpload(c.Context(), args[0])
			if err != nil {
				return scaHint(withListHint(err), args[0])
			}
			if asJSON {
				return writeJSON(inv.sio.stdout, scaKeyJSON{Entry: e.Name, For: e.LinkedTo, Env: string(e.Env.Name), KeyType: e.KeyType,
					Uploaded: e.Uploaded, PublicKey: e.PublicKey})
			}
			fmt.Fprintf(inv.sio.stderr, "Uploaded the public key of %q to localwise.\n", e.Name)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the entry as JSON")
	return c
}

func (inv *invocation) scaSignCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "sign NAME ONE_TIME_TOKEN",
		Short: "Sign a one-time token with an SCA key (legacy): the X-Signature value on stdout, nothing else",
		Long: "SHA256withRSA (PKCS #1 v1.5) over the one-time token, standard base64: the value of the\n" +
			"X-Signature header that goes with x-2fa-approval: TOKEN when the refused call is sent again.\n" +
			"LEGACY: only for accounts where Wise still takes signed one-time tokens.",
		Example: `  wisewallet sca sign acme-sca 3f1c5a6e-8a0b-4c1d-9e2f-123456789abc
  curl -H "x-2fa-approval: $OTT" -H "X-Signature: $(wisewallet sca sign acme-sca "$OTT")" ...`,
		Args:              positional(2, 2),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindSCA),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkOTT(args[1], usageLine(c)); err != nil {
				return err
			}
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			sig, err := svc.SCASign(args[0], args[1])
			if err != nil {
				return scaHint(withListHint(err), args[0])
			}
			return writeLine(inv.sio.stdout, []byte(sig))
		},
	}
}

// noTerminalError: a command that walks a challenge on the terminal has
// none. Nothing was sent; exit 6.
type noTerminalError struct {
	command string
	needs   string
}

func (e *noTerminalError) Error() string {
	return fmt.Sprintf("no terminal to answer the SCA challenge on: '%s' needs one %s (hidden, never from arguments or standard input); run it in a terminal. Nothing was sent to Wise", e.command, e.needs)
}

func (e *noTerminalError) Unwrap() error { return flows.ErrSCANotCleared }

// scaSolver is the solver of a command that meets a challenge only when
// Wise asks for one (setting the PIN, registering the device): the
// terminal when there is one, else one that stops the challenge at once
// (nothing more is sent; exit 6). done closes the terminal.
func (sio *cliIO) scaSolver() (flows.SCASolver, func()) {
	t, err := sio.openTTY()
	if err != nil {
		return noTerminalSolver{w: sio.stderr}, func() {}
	}
	return &termSolver{t: t}, func() { t.Close() }
}

// noTerminalSolver answers no question.
type noTerminalSolver struct{ w io.Writer }

var errNoTerminalToAnswer = fmt.Errorf("%w: no terminal to answer it on (run the command in a terminal, or 'wisewallet sca approve' the one-time token there)", flows.ErrSCAInterrupted)

func (noTerminalSolver) Choose(context.Context, flows.SCAChallengeView) (flows.SCAFactor, error) {
	return "", errNoTerminalToAnswer
}

func (noTerminalSolver) PIN(context.Context, int) (crypto.Secret, error) {
	return crypto.Secret{}, errNoTerminalToAnswer
}

func (noTerminalSolver) OTP(context.Context, flows.SCAFactor, string) (crypto.Secret, error) {
	return crypto.Secret{}, errNoTerminalToAnswer
}

func (s noTerminalSolver) Progress(_ context.Context, ev flows.SCAEvent) { printSCAEvent(s.w, ev) }

// termSolver walks a challenge on the terminal: the factor chosen from a
// numbered list, the PIN and the codes read hidden. Nothing typed is
// echoed, written anywhere, or kept after it is handed to flows.
type termSolver struct {
	t tty
	// shown is the challenge last listed: asked again after a failure,
	// it is not listed again.
	shown string
}

// maxTries is how often a malformed answer (a choice that is none, a PIN
// of 3 digits) is asked again; a malformed one is never sent to Wise, so
// it costs no attempt there.
const maxTries = 3

func (s *termSolver) Choose(ctx context.Context, ch flows.SCAChallengeView) (flows.SCAFactor, error) {
	var can []flows.SCAFactor
	for _, o := range ch.Options {
		if o.Solvable {
			can = append(can, o.Factor)
		}
	}
	key := fmt.Sprint(ch.Index, ch.Total, ch.Options)
	again := key == s.shown
	s.shown = key
	if !again {
		fmt.Fprintf(s.t, "Challenge %d of %d%s:\n", max(ch.Index, 1), max(ch.Total, 1), actionOf(ch.ActionType))
		n := 0
		for _, o := range ch.Options {
			if o.Solvable {
				n++
				fmt.Fprintf(s.t, "  %d. %s\n", n, factorName(o.Factor))
			} else {
				fmt.Fprintf(s.t, "  -  %s: cannot, %s\n", factorName(o.Factor), o.WhyNot)
			}
		}
	}
	switch len(can) {
	case 0:
		return "", fmt.Errorf("%w: none of its factors can be used with this credential", flows.ErrSCAInterrupted)
	case 1:
		if !again {
			fmt.Fprintf(s.t, "Using the one this credential can: %s.\n", factorName(can[0]))
		}
		return can[0], nil
	}
	if again {
		var names []string
		for i, f := range can {
			names = append(names, fmt.Sprintf("%d. %s", i+1, factorName(f)))
		}
		fmt.Fprintf(s.t, "Challenge %d of %d again: %s\n", max(ch.Index, 1), max(ch.Total, 1), strings.Join(names, ", "))
	}
	for range maxTries {
		fmt.Fprintf(s.t, "Choose 1-%d (Enter for 1): ", len(can))
		line, err := s.readLine(ctx)
		if err != nil {
			return "", err
		}
		answer := strings.TrimSpace(string(line))
		if answer == "" {
			return can[0], nil
		}
		if n, err := strconv.Atoi(answer); err == nil && n >= 1 && n <= len(can) {
			return can[n-1], nil
		}
		for _, f := range can {
			if strings.EqualFold(answer, string(f)) {
				return f, nil
			}
		}
		fmt.Fprintf(s.t, "%s is not one of 1-%d.\n", quoteArgument(answer), len(can))
	}
	return "", fmt.Errorf("%w: no factor chosen", flows.ErrSCAInterrupted)
}

// readLine reads a visible line on the terminal (a choice is no secret).
func (s *termSolver) readLine(ctx context.Context) ([]byte, error) {
	read := s.t.ReadPassword
	if lr, ok := s.t.(lineReader); ok {
		read = lr.ReadLine
	}
	b, err := readCancellable(ctx, read, func() { fmt.Fprintln(s.t); s.t.Close() })
	if err != nil {
		return nil, fmt.Errorf("reading the choice: %w", err)
	}
	return b, nil
}

// readCode reads a PIN or a code, hidden, checked for its shape before
// it goes anywhere. An empty answer gives up.
func (s *termSolver) readCode(ctx context.Context, prompt, what string, check func(crypto.Secret) error) (crypto.Secret, error) {
	for try := 0; ; try++ {
		b, err := readHidden(ctx, s.t, prompt)
		if err != nil {
			return crypto.Secret{}, fmt.Errorf("reading the %s: %w", what, err)
		}
		if len(bytes.TrimSpace(b)) == 0 {
			crypto.Wipe(b)
			return crypto.Secret{}, fmt.Errorf("%w: no %s typed", flows.ErrSCAInterrupted, what)
		}
		code := crypto.NewSecret(b)
		crypto.Wipe(b)
		if check(code) == nil {
			return code, nil
		}
		if try+1 >= maxTries {
			return crypto.Secret{}, fmt.Errorf("%w: no %s of the right shape typed", flows.ErrSCAInterrupted, what)
		}
		fmt.Fprintf(s.t, "That is not a %s (nothing was sent); try again, or Enter alone to stop.\n", what)
	}
}

func (s *termSolver) PIN(ctx context.Context, attemptsLeft int) (crypto.Secret, error) {
	prompt := "PIN (4 digits, hidden): "
	if attemptsLeft >= 0 {
		prompt = fmt.Sprintf("PIN (4 digits, hidden; %d attempt%s left): ", attemptsLeft, plural(attemptsLeft))
	}
	return s.readCode(ctx, prompt, "4-digit PIN", crypto.CheckPIN)
}

func (s *termSolver) OTP(ctx context.Context, channel flows.SCAFactor, phone string) (crypto.Secret, error) {
	to := ""
	if phone != "" {
		to = " to " + phone
	}
	return s.readCode(ctx, fmt.Sprintf("The %s%s (6 digits, hidden): ", factorName(channel), to), "6-digit code", crypto.CheckOTP)
}

func (s *termSolver) Progress(_ context.Context, ev flows.SCAEvent) { printSCAEvent(s.t, ev) }

// printSCAEvent is one step of a challenge as the user reads it. An
// event never holds a PIN, code or fingerprint.
func printSCAEvent(w io.Writer, ev flows.SCAEvent) {
	switch ev.Kind {
	case flows.EventStatusRead:
		if ev.Status == nil {
			return
		}
		if n := len(ev.Status.Pending()); n > 0 {
			fmt.Fprintf(w, "Wise asks for SCA%s: %d challenge%s to clear.\n", actionOf(ev.Status.ActionType), n, plural(n))
		}
	case flows.EventOTPSent:
		fmt.Fprintf(w, "Wise sent a code by %s to %s.\n", strings.TrimPrefix(factorName(ev.Factor), "code by "), orUnknown(ev.Phone))
	case flows.EventFactorPassed:
		fmt.Fprintf(w, "%s: passed.\n", capitalFirst(factorName(ev.Factor)))
	case flows.EventFactorFailed:
		left := ""
		if ev.AttemptsLeft >= 0 {
			left = fmt.Sprintf(" (%d attempt%s left before a %d-minute block)", ev.AttemptsLeft, plural(ev.AttemptsLeft), int(flows.SCABlockDuration/time.Minute))
		}
		fmt.Fprintf(w, "%s: refused%s.\n", capitalFirst(factorName(ev.Factor)), left)
	case flows.EventBlocked:
		fmt.Fprintf(w, "Blocked: Wise takes no one-time token for this user until %s (%d minutes after %d failed attempts).\n",
			clockLabel(ev.Until), int(flows.SCABlockDuration/time.Minute), flows.SCAMaxFailures)
	case flows.EventSigned:
		fmt.Fprintf(w, "Signed the one-time token with the SCA key %q (legacy).\n", ev.Key)
	case flows.EventReplaying:
		fmt.Fprintln(w, "Sending the refused call again, once, with the cleared one-time token…")
	case flows.EventReplayed:
		fmt.Fprintf(w, "Sent again: HTTP %d, x-2fa-approval-result: %s.\n", ev.HTTPStatus, orUnknown(ev.Result))
	case flows.EventSessionActive:
		fmt.Fprintf(w, "SCA session active until %s.\n", clockLabel(ev.Until))
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func capitalFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// clockLabel is a moment soon: the local time and how far off it is.
func clockLabel(t time.Time) string {
	if t.IsZero() {
		return "(not given)"
	}
	left := time.Until(t).Round(time.Second)
	if left < 0 {
		left = 0
	}
	return fmt.Sprintf("%s, in %s", flows.ShowTime(t, time.Local), left)
}
