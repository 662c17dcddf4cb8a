package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/wallet"
)

type editOptions struct {
	redirect      string
	redirectSet   bool
	secret, token bool
	noCheck       bool
	asJSON        bool
}

func (inv *invocation) editCommand() *cobra.Command {
	var o editOptions
	c := &cobra.Command{
		Use:     "edit NAME [--redirect-url URL] [--client-secret] [--token]",
		Aliases: []string{"rotate"},
		Short:   "Change an entry in place: a client's redirect URL or rotated secret, a new personal token",
		Long: "Change an entry in place instead of rm + add, which would lose the users logged in through a\n" +
			"client and the keys linked to it. A new secret or token is read from standard input when that is\n" +
			"not a terminal, else asked for without echo; Wise is asked with it first (unless --no-check) and\n" +
			"nothing is stored when it refuses. A new secret starts its rotation age again.",
		Example: `  wisewallet edit acme-app --redirect-url http://127.0.0.1:53682/wisewallet/callback
  # After rotating the client secret in Developer Hub (asks for it without echo)
  wisewallet edit acme-app --client-secret
  # A new personal token, from a password manager
  pass show wise/acme | wisewallet rotate acme --token`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindClient, wallet.KindPersonal),
		RunE: func(c *cobra.Command, args []string) error {
			o.redirectSet = c.Flags().Changed("redirect-url")
			return cmdEdit(c.Context(), inv.sio, args[0], o)
		},
	}
	c.Flags().StringVar(&o.redirect, "redirect-url", "", `an OAuth client's new redirect URL ("" removes it: logins then paste the code)`)
	c.Flags().BoolVar(&o.secret, "client-secret", false, "replace an OAuth client's secret (read from standard input or asked for)")
	c.Flags().BoolVar(&o.token, "token", false, "replace a personal token (read from standard input or asked for)")
	c.Flags().BoolVar(&o.noCheck, "no-check", false, "store the new secret or token without asking Wise first (offline)")
	c.Flags().BoolVar(&o.asJSON, "json", false, "print what changed as JSON")
	return c
}

func cmdEdit(ctx context.Context, sio *cliIO, name string, o editOptions) error {
	if !o.redirectSet && !o.secret && !o.token {
		return usagef("nothing to change; give --redirect-url URL, --client-secret or --token")
	}
	if o.secret && o.token {
		return usagef("--client-secret and --token change different kinds of entry; give one")
	}
	svc, err := sio.openService(ctx)
	if err != nil {
		return err
	}
	in := flows.EditInput{Name: name, Check: !o.noCheck}
	if o.redirectSet {
		in.RedirectURL = &o.redirect
	}
	var secrets []string
	if o.secret {
		secrets = append(secrets, flows.ChangedClientSecret)
	}
	if o.token {
		secrets = append(secrets, flows.ChangedToken)
	}
	if err := svc.CheckEdit(name, in.RedirectURL, secrets...); err != nil {
		return withListHint(err)
	}
	// The entry's kind is checked before a secret is read: a pasted secret
	// must not be wasted on an entry that cannot take it.
	if o.secret || o.token {
		what := "New client secret"
		if o.token {
			what = "New personal API token"
		}
		raw, err := sio.readSecretInput(ctx, what+" (input hidden): ")
		if err != nil {
			return err
		}
		secret, err := flows.CleanToken(raw)
		crypto.Wipe(raw)
		if err != nil {
			return err
		}
		if o.secret {
			in.ClientSecret = secret
		} else {
			in.Token = secret
		}
	}
	ed, err := svc.Edit(ctx, in)
	if err != nil {
		return err
	}
	if o.asJSON {
		return writeJSON(sio.stdout, ed)
	}
	how := ""
	switch {
	case ed.Checked:
		how = "; Wise accepted it"
	case o.secret || o.token:
		how = "; not checked with Wise (--no-check)"
	}
	fmt.Fprintf(sio.stderr, "Changed the %s of %q%s.\n", strings.Join(ed.Changed, " and the "), name, how)
	return nil
}
