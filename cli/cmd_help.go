package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"charm.land/fang/v2"
	"github.com/muesli/mango"
	"github.com/muesli/roff"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/wisewallet/wisewallet/wallet"
)

// The commands about the command line itself: help, shell completion and
// manual pages, and the completion of entry names.

// styledHelp prints c's help in fang's style. fang hands its help function
// only to a root it executes, so a throwaway root that does nothing is
// executed to borrow it, when help is asked for and not before. Our tree
// does not run through fang.Execute: its error path queries the terminal's
// background colour (a round trip that reads stdin) before every error
// message, and the words and exit codes of errors are report's.
func styledHelp(c *cobra.Command, args []string) {
	lender := &cobra.Command{Use: c.Root().Name(), Run: func(*cobra.Command, []string) {}}
	lender.SetArgs([]string{})
	lender.SetOut(io.Discard)
	lender.SetErr(io.Discard)
	if err := fang.Execute(context.Background(), lender, fang.WithoutCompletions(), fang.WithoutManpage(), fang.WithoutVersion()); err != nil {
		// Cannot happen (the lender does nothing); plain help all the same.
		fmt.Fprint(c.OutOrStdout(), c.UsageString())
		return
	}
	// fang pads its blocks to the terminal's width (120 columns when it is
	// not a terminal); the padding at the ends of lines only gets in the
	// way of a pager, a diff or a file.
	out := c.OutOrStdout()
	var buf strings.Builder
	c.SetOut(&buf)
	lender.HelpFunc()(c, args)
	c.SetOut(out)
	lines := strings.Split(buf.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	fmt.Fprint(out, strings.Join(lines, "\n"))
}

func (inv *invocation) helpCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "Show the help of wisewallet or of one command",
		Example: `  wisewallet help
  wisewallet help add personal`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: completeCommandNames,
		RunE: func(_ *cobra.Command, args []string) error {
			target, err := inv.find(args)
			if err != nil {
				return err
			}
			return target.Help()
		},
	}
}

// find is the command named by args (such as "add", "personal"), ready to
// describe itself, or a usage error for a name the tree does not have.
func (inv *invocation) find(args []string) (*cobra.Command, error) {
	target, rest, err := inv.root.Find(args)
	if err != nil || len(rest) > 0 {
		return nil, usagef("unknown command %q; run 'wisewallet help'", strings.Join(args, " "))
	}
	// What cobra does before a command's own -h: its help flag, and the
	// flags it inherits (--dir) among its flags.
	target.InitDefaultHelpFlag()
	target.InheritedFlags()
	return target, nil
}

// completeCommandNames completes the names of the subcommands of the
// command args name so far (for help and man).
func completeCommandNames(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	parent, rest, err := c.Root().Find(args)
	if err != nil || len(rest) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	for _, sub := range parent.Commands() {
		if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
			names = append(names, sub.Name()+"\t"+sub.Short)
		}
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

var completionShells = []string{"bash", "zsh", "fish", "powershell"}

func (inv *invocation) completionCommand() *cobra.Command {
	var noDesc bool
	c := &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print the shell completion script for bash, zsh, fish or PowerShell",
		Long: "Print the script that makes the shell complete wisewallet's commands, flags and entry names.\n" +
			"Entry names complete only when the wallet opens without a passphrase (the OS keyring slot):\n" +
			"completion never asks for the passphrase and never reads WISEWALLET_PASSPHRASE.",
		Example: `  # bash: this shell, then every new one
  source <(wisewallet completion bash)
  wisewallet completion bash > ~/.local/share/bash-completion/completions/wisewallet
  # zsh, fish
  wisewallet completion zsh > "${fpath[1]}/_wisewallet"
  wisewallet completion fish > ~/.config/fish/completions/wisewallet.fish`,
		ValidArgs: completionShells,
		Args:      positional(1, 1),
		RunE: func(c *cobra.Command, args []string) error {
			root, out := c.Root(), c.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, !noDesc)
			case "zsh":
				if noDesc {
					return root.GenZshCompletionNoDesc(out)
				}
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, !noDesc)
			case "powershell":
				if noDesc {
					return root.GenPowerShellCompletion(out)
				}
				return root.GenPowerShellCompletionWithDesc(out)
			}
			return usagef("unknown shell %q; usage: %s", args[0], c.UseLine())
		},
	}
	c.Flags().BoolVar(&noDesc, "no-descriptions", false, "complete names only, without their descriptions")
	return c
}

func (inv *invocation) manCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "man [COMMAND]",
		Short: "Print the manual page of wisewallet or of one command (roff)",
		Example: `  wisewallet man | man -l -
  wisewallet man login > wisewallet-login.1`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: completeCommandNames,
		RunE: func(c *cobra.Command, args []string) error {
			target, err := inv.find(args)
			if err != nil {
				return err
			}
			page, err := manPage(target)
			if err != nil {
				return err
			}
			_, err = io.WriteString(c.OutOrStdout(), page)
			return err
		},
	}
}

// manPage is the roff page of c: wisewallet(1) for the root, with every
// command in it, and wisewallet-CMD(1) for one command.
func manPage(c *cobra.Command) (string, error) {
	name := strings.ReplaceAll(c.CommandPath(), " ", "-")
	page := mango.NewManPage(1, name, c.Short).WithLongDescription(manText(cmp.Or(c.Long, c.Short)))
	if err := addToManPage(&page.Root, c); err != nil {
		return "", fmt.Errorf("man page of %s: %w", c.CommandPath(), err)
	}
	page = page.WithSection("Usage", c.UseLine())
	if c.Example != "" {
		page = page.WithSection("Examples", c.Example)
	}
	var related []string
	if c.HasParent() {
		related = append(related, strings.ReplaceAll(c.Parent().CommandPath(), " ", "-")+"(1)")
	}
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			related = append(related, strings.ReplaceAll(sub.CommandPath(), " ", "-")+"(1)")
		}
	}
	if len(related) > 0 {
		page = page.WithSection("See also", strings.Join(related, ", "))
	}
	return page.Build(roff.NewDocument()), nil
}

// addToManPage adds c's flags and, below item, its commands. (mango-cobra
// does the same but writes a shorthand as --h.)
func addToManPage(item *mango.Command, c *cobra.Command) error {
	var err error
	add := func(f *pflag.Flag) {
		if f.Hidden || err != nil {
			return
		}
		usage := f.Usage
		if f.Shorthand != "" {
			usage += " (also -" + f.Shorthand + ")"
		}
		if _, dup := item.Flags[f.Name]; !dup {
			err = item.AddFlag(mango.Flag{Name: f.Name, Usage: usage, PFlag: true})
		}
	}
	c.LocalFlags().VisitAll(add)
	c.InheritedFlags().VisitAll(add)
	for _, sub := range c.Commands() {
		if err != nil || !sub.IsAvailableCommand() {
			continue
		}
		subItem := mango.NewCommand(sub.Name(), sub.Short, sub.Use)
		if err = item.AddCommand(subItem); err == nil {
			err = addToManPage(subItem, sub)
		}
	}
	return err
}

// manText joins the lines of each paragraph of help text (wrapped for a
// terminal) so that man fills them; indented lines (lists, examples) stay
// lines of their own.
func manText(s string) string {
	var b strings.Builder
	prose := false
	for _, line := range strings.Split(s, "\n") {
		isProse := line != "" && !strings.HasPrefix(line, " ")
		switch {
		case isProse && prose:
			b.WriteByte(' ')
		case b.Len() > 0:
			b.WriteByte('\n')
		}
		b.WriteString(line)
		prose = isProse
	}
	return b.String()
}

// completionTimeout bounds what a Tab press may wait for the OS keyring.
const completionTimeout = 2 * time.Second

// completeEntryNames completes a first argument that names an entry (of
// one of kinds, or of any kind), when the wallet opens without a secret
// typed or given: through unlockCompletion, which never prompts, never
// reads WISEWALLET_PASSPHRASE and never runs the KDF. Otherwise it
// completes nothing, silently.
func (inv *invocation) completeEntryNames(kinds ...wallet.Kind) cobra.CompletionFunc {
	return func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(c.Context(), completionTimeout)
		defer cancel()
		w, err := inv.sio.openWallet(ctx, unlockCompletion)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []string
		for _, e := range w.Entries() {
			if (len(kinds) == 0 || slices.Contains(kinds, e.Kind)) && strings.HasPrefix(e.Name, toComplete) {
				names = append(names, e.Name+"\t"+string(e.Kind)+", "+envLabel(string(e.Env.Name)))
			}
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}
