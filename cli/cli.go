// Package cli is wisewallet's command line: the command tree (cobra, with
// help in fang's style), flags, prompts, exit codes, the one unlock policy
// and the words of every error. The logic lives in flows/, wallet/ and tui/.
package cli

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/wisewallet/wisewallet/flows"
)

func init() {
	// The commands are listed in the order of a first session (demo, init,
	// add, login, ...), not alphabetically. Set once here: it is a global
	// of cobra's, and runs may build trees concurrently (tests do).
	cobra.EnableCommandSorting = false
}

// Run runs the command line args (without the program's name) on the
// process's standard streams and environment and returns the exit code.
// Cancelling ctx (the first Ctrl-C) stops a command cleanly: exit 130.
func Run(ctx context.Context, args []string) int {
	return run(ctx, args, newSystemIO())
}

func run(ctx context.Context, args []string, sio *cliIO) int {
	// First of all, before anything can start a child process (the
	// browser, pass and gpg under the keyring library): children inherit
	// the environment, and the passphrases must not go with it.
	sio.takeEnvSecrets()
	return newInvocation(sio).execute(ctx, args)
}

// invocation is one run of the command line: its I/O and its command tree.
type invocation struct {
	sio  *cliIO
	root *cobra.Command
	// started is set when a command's own code begins. An error before
	// that is cobra's finding about the command line (a flag, an argument,
	// an unknown command): a usage error, exit 2, whatever its type.
	started bool
}

func newInvocation(sio *cliIO) *invocation {
	inv := &invocation{sio: sio}
	inv.root = inv.rootCommand()
	return inv
}

func (inv *invocation) execute(ctx context.Context, args []string) int {
	sio, root := inv.sio, inv.root
	if len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd) {
		// Only Tab asks for flag values: registering them costs every
		// other command's start-up (token's, in scripts) ~1 ms.
		walk(root, completeFlagValues)
	}
	if hasFlags(args) {
		// Walking the tree for its flags costs ~0.3 ms: `token NAME`
		// in a script has none to rewrite.
		args = singleDashLongFlags(args, longFlags(root))
	}
	// Never nil: cobra reads os.Args for a nil slice.
	root.SetArgs(append([]string{}, args...))
	root.SetIn(sio.stdin)
	root.SetOut(sio.stdout)
	root.SetErr(sio.stderr)
	_, err := root.ExecuteContextC(ctx)
	var ue usageError
	if err != nil && !inv.started && !errors.As(err, &ue) && !errors.As(err, &usageShown{}) {
		err = usageError{err.Error()}
	}
	if err != nil && ctx.Err() != nil && !errors.Is(err, context.Canceled) {
		// Whatever failed after Ctrl-C (a lock given up, a request cut
		// short) failed because of it: say so, and exit 130.
		err = fmt.Errorf("%w: %w", context.Canceled, err)
	}
	return report(sio.stderr, err)
}

// rootCommand builds the command tree. Every command of the tree is listed
// here, in the order of the help; each is built in the file of its group.
func (inv *invocation) rootCommand() *cobra.Command {
	sio := inv.sio
	root := &cobra.Command{
		Use:   "wisewallet",
		Short: "A credential wallet for the Wise Platform API",
		Long:  rootLong(),
		Example: `  # Try everything offline: a local Wise stand-in and a throwaway wallet
  wisewallet demo
  # Start for real: a wallet, a sandbox token, the app
  wisewallet init
  wisewallet add personal acme --env sandbox
  wisewallet
  # In scripts
  curl -H "Authorization: Bearer $(wisewallet token acme)" https://api.wise-sandbox.com/v1/me`,
		Version: version(),
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q; run 'wisewallet help'", args[0])
			}
			return nil
		},
		RunE:              inv.runApp,
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		PersistentPreRunE: func(c *cobra.Command, _ []string) error {
			if f := c.Flags().Lookup("dir"); f != nil && f.Changed && sio.dir == "" {
				return usagef("--dir needs a folder")
			}
			return nil
		},
	}
	root.PersistentFlags().StringVar(&sio.dir, "dir", "", "wallet folder (default: WISEWALLET_DIR, else "+defaultDirHint()+")")
	addAutoLockFlag(root.Flags())
	root.SetFlagErrorFunc(flagError)
	root.SetHelpFunc(styledHelp)
	root.AddCommand(
		inv.demoCommand(),
		inv.initCommand(),
		inv.addCommand(),
		inv.loginCommand(),
		inv.tokenCommand(),
		inv.whoamiCommand(),
		inv.statusCommand(),
		inv.logCommand(),
		inv.execCommand(),
		inv.requestCommand(),
		inv.listCommand(),
		inv.showCommand(),
		inv.mtlsCommand(),
		inv.joseCommand(),
		inv.scaCommand(),
		inv.removeCommand(),
		inv.renameCommand(),
		inv.editCommand(),
		inv.passwdCommand(),
		inv.keyringCommand(),
		inv.agentCommand(),
		inv.localwiseCommand(),
		inv.completionCommand(),
		inv.manCommand(),
	)
	root.SetHelpCommand(inv.helpCommand())
	root.InitDefaultHelpCmd() // now, so that walking the tree finds it
	walk(root, func(c *cobra.Command) {
		// Usage lines are written out by hand, flags included.
		c.DisableFlagsInUseLine = true
		if c.ValidArgsFunction == nil && c.ValidArgs == nil {
			// No command takes a file: Tab must not offer the folder's.
			c.ValidArgsFunction = cobra.NoFileCompletions
		}
		if run := c.RunE; run != nil {
			name := commandName(c)
			c.RunE = func(c *cobra.Command, args []string) error {
				inv.started = true
				// The audit log says which command used an entry.
				c.SetContext(flows.WithCommand(c.Context(), name))
				return run(c, args)
			}
		}
	})
	return root
}

// commandName is c's path without the program's name ("mtls check"), as
// the audit log records it; the root, which opens the app, is "app".
func commandName(c *cobra.Command) string {
	if !c.HasParent() {
		return "app"
	}
	return strings.TrimPrefix(c.CommandPath(), c.Root().Name()+" ")
}

// completeFlagValues says what Tab offers for c's own flags: the
// environments for --env, folders for --dir, and nothing else (no flag
// takes a file; durations, URLs and names are typed).
func completeFlagValues(c *cobra.Command) {
	c.LocalFlags().VisitAll(func(f *pflag.Flag) {
		if f.NoOptDefVal != "" {
			return // a switch: no value to complete
		}
		var err error
		switch f.Name {
		case "env":
			err = c.RegisterFlagCompletionFunc(f.Name, cobra.FixedCompletions([]string{"sandbox", "production", "local"}, cobra.ShellCompDirectiveNoFileComp))
		case "dir":
			err = c.MarkFlagDirname(f.Name)
		case "use":
			// JOSE keygen's key use and algorithms.
			err = c.RegisterFlagCompletionFunc(f.Name, cobra.FixedCompletions([]string{"sig", "enc"}, cobra.ShellCompDirectiveNoFileComp))
		case "alg":
			err = c.RegisterFlagCompletionFunc(f.Name, cobra.FixedCompletions([]string{"ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RSA-OAEP-256"}, cobra.ShellCompDirectiveNoFileComp))
		case "jose":
			// request's JOSE protection.
			err = c.RegisterFlagCompletionFunc(f.Name, cobra.FixedCompletions([]string{"jws", "jwe", "jws+jwe"}, cobra.ShellCompDirectiveNoFileComp))
		case "sca":
			// localwise's challenge mode.
			err = c.RegisterFlagCompletionFunc(f.Name, cobra.FixedCompletions([]string{"always", "never", "risk"}, cobra.ShellCompDirectiveNoFileComp))
		case "bits":
			err = c.RegisterFlagCompletionFunc(f.Name, cobra.FixedCompletions([]string{"2048", "3072", "4096"}, cobra.ShellCompDirectiveNoFileComp))
		case "ca":
			// The one flag that takes a file: Wise's CA certificate.
			err = c.MarkFlagFilename(f.Name, "pem", "crt", "cer")
		default:
			err = c.RegisterFlagCompletionFunc(f.Name, cobra.NoFileCompletions)
		}
		if err != nil {
			panic(fmt.Sprintf("completion of --%s: %v", f.Name, err)) // a programming error in the tree, caught by every test
		}
	})
}

func rootLong() string {
	return `wisewallet keeps credentials for the Wise Platform API (personal tokens, OAuth clients and
the users' tokens) in one encrypted local wallet, renews them on time and hands them to scripts.
Without a command, on a terminal, it opens the terminal app: a live view of what expires when.

Environment:
  WISEWALLET_DIR          wallet folder (default: ` + defaultDirHint() + `)
  WISEWALLET_PASSPHRASE   the passphrase, for automation only (explicit opt-in; it is removed
                          from the environment at start, so no process wisewallet starts inherits it)
  WISEWALLET_NEW_PASSPHRASE
                          the new passphrase for 'passwd' (same rules)
  WISEWALLET_KEYRING      OS keyring backend to use, or "none"
  WISEWALLET_AGENT        the agent's socket (default: one per wallet folder under XDG_RUNTIME_DIR),
                          or "none" to never use an agent ('wisewallet agent start')
  WISEWALLET_AUTO_LOCK    the app locks after this idle time (default 5m, 0 never)

Exit codes:
  0 ok, 1 error, 2 usage error, 3 wrong passphrase (or an altered file), 4 wallet damaged or not a wallet,
  5 needs login again, 6 an SCA challenge not cleared (no factor this credential can use, blocked,
  interrupted, no terminal to answer on), 7 credential rejected by Wise (whoami --check), 8 something due
  (status --check), 22 Wise answered an HTTP error (request), 130 interrupted`
}

// walk calls f for c and every command below it.
func walk(c *cobra.Command, f func(*cobra.Command)) {
	f(c)
	for _, sub := range c.Commands() {
		walk(sub, f)
	}
}

// version is the module version the binary was built from ("dev" when it
// has none, as with `go build` outside a module-aware build of a tag).
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	// A build from a checkout: say which commit, so a bug report can.
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return "dev"
	}
	return "dev (" + rev + modified + ")"
}

// usageLines are the one-line usages that errors quote, flags included:
// the help lists every flag, but a user who got the command line wrong
// needs the shape of a right one in the error itself.
var usageLines = map[string]string{
	"init":             "init [--kdf-time N --kdf-memory KiB --kdf-threads N]",
	"passwd":           "passwd [--kdf-time N --kdf-memory KiB --kdf-threads N] [--allow-short]",
	"add personal":     "add personal NAME --env sandbox|production|local [--api-url URL] [--no-check]",
	"add client":       "add client NAME --env sandbox|production|local --client-id ID [--redirect-url URL] [--api-url URL] [--no-check]",
	"login":            "login CLIENT --as NAME [--paste] [--no-pkce] [--timeout 5m] | login CLIENT --as NAME --registration-code --email EMAIL",
	"list":             "list [--json]",
	"show":             "show NAME [--reveal] [--json]",
	"whoami":           "whoami NAME [--json | --check]",
	"status":           "status [--json] [--check [--within 7d]]",
	"log":              "log [--json] [--since D]",
	"exec":             "exec NAME -- COMMAND [ARGS...]",
	"request":          "request NAME METHOD PATH [--data @FILE|-|TEXT] [--header K:V]... [--jose jws|jwe|jws+jwe] [--include | --json] [--yes]",
	"keyring status":   "keyring status [--json]",
	"localwise":        "localwise [--addr 127.0.0.1:8700] [--token-ttl DURATION] [--cert-ttl DURATION] [--jose-overlap DURATION] [--sca always|never|risk] [--json]",
	"demo":             "demo [--token-ttl 3m] [--cert-ttl 600h] [--once | --plain [--every 5s]] [--auto-lock 5m]",
	"completion":       "completion bash|zsh|fish|powershell [--no-descriptions]",
	"keyring":          "keyring status|enable|disable [--json]",
	"agent":            "agent start [--timeout 8h] [--foreground] | stop | status [--json] | lock",
	"agent start":      "agent start [--timeout 8h] [--foreground]",
	"agent status":     "agent status [--json]",
	"mtls":             "mtls keygen|csr|import-cert|check|renew|link|cert NAME ...",
	"mtls keygen":      "mtls keygen NAME --org ORG [--country CC] [--type rsa2048|rsa3072|rsa4096|p256|p384] [--for CLIENT | --env ENV [--api-url URL]] [--mtls-url URL] [--cert-name NAME] [--json]",
	"mtls csr":         "mtls csr NAME",
	"mtls import-cert": "mtls import-cert NAME [CERT.pem] [--ca CA.pem] [--json]",
	"mtls check":       "mtls check NAME [--json]",
	"mtls renew":       "mtls renew NAME [--type TYPE] [--cert-name NAME] [--json]",
	"mtls link":        "mtls link NAME CLIENT",
	"mtls cert":        "mtls cert NAME [--ca]",
	"jose":             "jose keygen|pubkey|upload|rotate|wise-keys|sign|verify|encrypt|decrypt|playground|link ...",
	"jose link":        "jose link NAME CLIENT",
	"jose keygen":      "jose keygen NAME --use sig|enc [--alg ALG] [--type rsa2048|rsa3072|rsa4096] [--valid-for D] [--for CLIENT | --env ENV [--api-url URL]] [--json]",
	"jose pubkey":      "jose pubkey NAME [--jwk|--pem|--der]",
	"jose upload":      "jose upload NAME [--json]",
	"jose rotate":      "jose rotate NAME [--overlap 24h] [--json]",
	"jose wise-keys":   "jose wise-keys CLIENT [--json]",
	"jose sign":        "jose sign NAME --url PATH < PAYLOAD",
	"jose verify":      "jose verify NAME [--url PATH] < JWS",
	"jose encrypt":     "jose encrypt NAME [--url PATH] < PAYLOAD",
	"jose decrypt":     "jose decrypt NAME < JWE",
	"jose playground":  "jose playground CLIENT jws|jwe|jwe-get|jwsjwe|jwe-direct [--message TEXT] [--json]",
	"sca":              "sca status|approve|session|factors|pin|device|keygen|pubkey|upload|sign ...",
	"sca status":       "sca status CREDENTIAL ONE_TIME_TOKEN [--json]",
	"sca approve":      "sca approve CREDENTIAL ONE_TIME_TOKEN [--json]",
	"sca session":      "sca session CREDENTIAL [--profile ID] [--json]",
	"sca factors":      "sca factors CREDENTIAL [--json]",
	"sca pin":          "sca pin set|change|delete CREDENTIAL [--profile ID]",
	"sca pin set":      "sca pin set CREDENTIAL [--profile ID]",
	"sca pin change":   "sca pin change CREDENTIAL [--profile ID]",
	"sca pin delete":   "sca pin delete CREDENTIAL [--profile ID]",
	"sca device":       "sca device add|list|rm CREDENTIAL [--profile ID]",
	"sca device add":   "sca device add CREDENTIAL [--profile ID] [--json]",
	"sca device list":  "sca device list CREDENTIAL [--profile ID] [--json]",
	"sca device rm":    "sca device rm CREDENTIAL [ID] [--profile ID]",
	"sca keygen":       "sca keygen NAME [--bits 2048|3072|4096] [--for ENTRY] [--json]",
	"sca pubkey":       "sca pubkey NAME",
	"sca upload":       "sca upload NAME [--json]",
	"sca sign":         "sca sign NAME ONE_TIME_TOKEN",
}

// usageLine is c's one-line usage with its flags.
func usageLine(c *cobra.Command) string {
	path := strings.TrimPrefix(c.CommandPath(), c.Root().Name()+" ")
	if u, ok := usageLines[path]; ok {
		return c.Root().Name() + " " + u
	}
	return c.UseLine()
}

// positional checks the number of arguments, naming the usage.
func positional(minArgs, maxArgs int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		switch {
		case len(args) < minArgs:
			return usagef("missing arguments; usage: %s", usageLine(c))
		case len(args) > maxArgs:
			return usagef("unexpected argument %s; usage: %s", quoteArgument(args[maxArgs]), usageLine(c))
		}
		return nil
	}
}

// quoteArgument names an argument in an error. A stray argument is often
// a token pasted where the hidden prompt should have taken it (Wise's
// personal tokens are 36-character UUIDs), so only a short word is quoted;
// anything longer or with other characters is described, not shown.
func quoteArgument(a string) string {
	if len(a) <= 20 && plainWord().MatchString(a) {
		return strconv.Quote(a)
	}
	return fmt.Sprintf("of %d characters (not shown: it may be a secret; secrets go to the hidden prompt or standard input)", len(a))
}

// Compiled on first use, not at package init, which every start pays.
var plainWord = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9._/:-]*$`) })

// flagError words a flag cobra could not parse, with the usage.
func flagError(c *cobra.Command, err error) error {
	var missing *pflag.ValueRequiredError
	if errors.As(err, &missing) && missing.GetFlag() != nil && missing.GetFlag().Name == "dir" {
		return usagef("--dir needs a folder")
	}
	return usagef("%v (usage: %s)", err, usageLine(c))
}

// longFlags maps each long flag name in the tree to whether it takes a
// value.
func longFlags(root *cobra.Command) map[string]bool {
	names := map[string]bool{"help": false, "version": false}
	add := func(f *pflag.Flag) { names[f.Name] = f.NoOptDefVal == "" }
	walk(root, func(c *cobra.Command) {
		c.Flags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
	})
	return names
}

// hasFlags reports whether any of args before "--" looks like a flag.
func hasFlags(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if len(a) > 1 && a[0] == '-' {
			return true
		}
	}
	return false
}

// singleDashLongFlags rewrites -name and -name=value to --name for the long
// flags the tree knows. The command line took both forms before it moved to
// cobra (Go's flag package does), and scripts use them; pflag would read
// -dir as -d -i -r. Only before "--", after which everything is an
// argument, and never a flag's value (`--as -json` keeps its value).
func singleDashLongFlags(args []string, long map[string]bool) []string {
	out := make([]string, 0, len(args))
	valueNext := false
	for i, a := range args {
		if valueNext {
			valueNext = false
			out = append(out, a)
			continue
		}
		if a == "--" {
			return append(out, args[i:]...)
		}
		var name string
		var hasValue bool
		switch {
		case strings.HasPrefix(a, "--"):
			name, _, hasValue = strings.Cut(a[2:], "=")
		case len(a) > 2 && a[0] == '-':
			// Every flag of the tree with a shorthand has a one-letter
			// one (-h, -v) and none takes a cluster, so a longer word
			// with one dash is a long flag: known or not, it is read as
			// one, and an unknown one is reported by its name.
			name, _, hasValue = strings.Cut(a[1:], "=")
			a = "-" + a
		}
		if takesValue, known := long[name]; known {
			valueNext = takesValue && !hasValue
		}
		out = append(out, a)
	}
	return out
}
