package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/wallet"
)

// The OAuth commands: clients, logins, and what a credential gives:
// an access token, and who it acts as.

func (inv *invocation) addClientCommand() *cobra.Command {
	var o addClientOptions
	c := &cobra.Command{
		Use:   "client NAME --env ENV --client-id ID",
		Short: "Add an OAuth client (its secret is checked with Wise unless --no-check)",
		Example: `  # Asks for the client secret without echo
  wisewallet add client acme-app --env sandbox --client-id 1a2b --redirect-url http://127.0.0.1:53682/wisewallet/callback
  wisewallet add client acme-app --env production --client-id 1a2b < client-secret-file`,
		Args: positional(1, 1),
		RunE: func(c *cobra.Command, args []string) error {
			return cmdAddClient(c.Context(), inv.sio, usageLine(c), args[0], o)
		},
	}
	c.Flags().StringVar(&o.env, "env", "", "sandbox, production or local")
	c.Flags().StringVar(&o.apiURL, "api-url", "", "API base URL (required for local)")
	c.Flags().StringVar(&o.clientID, "client-id", "", "the OAuth client id from Developer Hub")
	c.Flags().StringVar(&o.redirect, "redirect-url", "", "the redirect URL registered with Wise")
	c.Flags().BoolVar(&o.noCheck, "no-check", false, "store without asking Wise for a token first (offline)")
	return c
}

type addClientOptions struct {
	env, apiURL, clientID, redirect string
	noCheck                         bool
}

func cmdAddClient(ctx context.Context, sio *cliIO, usage, name string, o addClientOptions) error {
	if err := wallet.ValidateName(name); err != nil {
		return usagef("%v", err)
	}
	if o.clientID == "" {
		return usagef("--client-id is required (usage: %s)", usage)
	}
	environment, err := flows.ResolveEnv(o.env, o.apiURL)
	if err != nil {
		return err
	}
	svc, secret, err := sio.openForAdd(ctx, name, "Client secret (input hidden): ", nil)
	if err != nil {
		return err
	}
	e, err := svc.AddClient(ctx, flows.ClientInput{Name: name, Env: environment, ClientID: o.clientID, Secret: secret, RedirectURL: o.redirect, Check: !o.noCheck})
	if err != nil {
		return err
	}
	checked := "not checked with Wise (--no-check)"
	if !o.noCheck {
		checked = "Wise accepted the secret"
	}
	fmt.Fprintf(sio.stderr, "Added OAuth client %q (%s, client id %s); %s.\n", e.Name, environment.Name, e.ClientID, checked)
	return nil
}

func (inv *invocation) loginCommand() *cobra.Command {
	var o loginOptions
	c := &cobra.Command{
		Use:   "login CLIENT --as NAME",
		Short: "Log a user in through an OAuth client and keep the tokens as NAME",
		Long: "Log a user in through an OAuth client of the wallet and keep the user's tokens as the entry NAME.\n" +
			"With a loopback redirect URL the login is caught by a listener there, for one callback; with\n" +
			"--paste (and over SSH) you paste the URL the browser was sent to, or the code Wise shows.\n" +
			"--registration-code logs in a partner-created user by email, without a browser.",
		Example: `  wisewallet login acme-app --as alice
  # Over SSH or with a redirect URL that is not on this machine
  wisewallet login acme-app --as alice --paste
  wisewallet login acme-app --as bob --registration-code --email bob@example.com`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindClient),
		RunE: func(c *cobra.Command, args []string) error {
			return cmdLogin(c.Context(), inv.sio, usageLine(c), args[0], o)
		},
	}
	c.Flags().StringVar(&o.as, "as", "", "name of the user entry to create or replace")
	c.Flags().BoolVar(&o.paste, "paste", false, "paste the redirected URL or the code instead of a local listener")
	c.Flags().BoolVar(&o.noPKCE, "no-pkce", false, "send no PKCE S256 challenge (sent by default; for a server that refuses it)")
	// --pkce was the opt-in before PKCE became the default; scripts that
	// pass it keep working, and it cannot undo --no-pkce by accident.
	c.Flags().Bool("pkce", false, "accepted for old scripts: PKCE is the default now (see --no-pkce)")
	c.Flags().DurationVar(&o.timeout, "timeout", 5*time.Minute, "how long to wait for the browser")
	c.Flags().BoolVar(&o.regCode, "registration-code", false, "partner-created user: registration_code grant")
	c.Flags().StringVar(&o.email, "email", "", "the user's email (with --registration-code)")
	c.Flags().BoolVar(&o.noBrowser, "no-browser", false, "only print the URL; do not open a browser")
	return c
}

type loginOptions struct {
	as, email                         string
	paste, noPKCE, regCode, noBrowser bool
	timeout                           time.Duration
}

func cmdLogin(ctx context.Context, sio *cliIO, usage, client string, o loginOptions) error {
	if o.as == "" {
		return usagef("--as NAME is required (usage: %s)", usage)
	}
	if o.regCode != (o.email != "") {
		return usagef("--registration-code and --email go together (usage: %s)", usage)
	}
	if !o.regCode && !o.paste && overSSH(sio) {
		// The browser would open on this remote machine, if anywhere, and
		// a loopback listener here cannot be reached by the user's browser.
		o.paste = true
		fmt.Fprintln(sio.stderr, "This is an SSH session (SSH_CONNECTION or SSH_TTY is set): the code will be pasted instead of caught by a local listener.")
	}
	svc, err := sio.openService(ctx)
	if err != nil {
		return err
	}
	var e flows.EntryView
	if o.regCode {
		e, err = svc.LoginRegistrationCode(ctx, flows.RegistrationRequest{Client: client, As: o.as, Email: o.email})
	} else {
		req := flows.LoginRequest{
			Client: client, As: o.as, Paste: o.paste, NoPKCE: o.noPKCE, Timeout: o.timeout,
			ShowURL: func(u string) {
				fmt.Fprintf(sio.stderr, "Log in to Wise and approve access here:\n\n  %s\n\n", u)
			},
			ReadPasted: func(ctx context.Context) (string, error) {
				fmt.Fprintln(sio.stderr, "Paste the URL the browser was sent to (or the code Wise shows), then Enter:")
				b, err := sio.readLine(ctx)
				return string(b), err
			},
			Listening: func(addr string) {
				fmt.Fprintf(sio.stderr, "Waiting for the login redirect on http://%s (up to %s).\n", addr, o.timeout)
			},
		}
		if sio.stdinIsTerminal() {
			// A mistyped paste is asked for again, in the same login (a
			// pipe has said all it has to say).
			req.Repaste = func(reason error, left int) {
				fmt.Fprintf(sio.stderr, "That was not accepted: %v\nPaste it again (%d more time(s) in this login; Ctrl-C stops).\n", reason, left)
			}
		}
		if !o.noBrowser {
			req.OpenBrowser = flows.OpenSystemBrowser
		}
		e, err = svc.Login(ctx, req)
	}
	if err != nil {
		return err
	}
	switch {
	case e.UserEmail != "" && e.ProfileID == 0 && len(e.Profiles) > 1:
		fmt.Fprintf(sio.stderr, "Logged in as %s; tokens saved as %q (access token until %s).\n", e.UserEmail, e.Name, flows.ShowTime(*e.AccessExpiresAt, time.Local))
		fmt.Fprintf(sio.stderr, "A pasted code does not say which of the %d profiles was approved: paste the whole URL the browser was sent to next time to record it ('wisewallet whoami %s' lists them).\n", len(e.Profiles), e.Name)
	case e.UserEmail != "":
		fmt.Fprintf(sio.stderr, "Logged in as %s; tokens saved as %q (access token until %s).\n", e.UserEmail, e.Name, flows.ShowTime(*e.AccessExpiresAt, time.Local))
	default:
		// The tokens were saved but asking Wise who they belong to did not
		// finish (interrupted, or Wise did not answer).
		fmt.Fprintf(sio.stderr, "Tokens saved as %q (access token until %s); run 'wisewallet whoami %s' to see who they act as.\n", e.Name, flows.ShowTime(*e.AccessExpiresAt, time.Local), e.Name)
	}
	return nil
}

// overSSH reports whether this is an SSH session, where the system browser
// and a loopback redirect are both on the wrong machine.
func overSSH(sio *cliIO) bool {
	return sio.getenv("SSH_CONNECTION") != "" || sio.getenv("SSH_TTY") != ""
}

func (inv *invocation) tokenCommand() *cobra.Command {
	var refresh bool
	c := &cobra.Command{
		Use:   "token NAME",
		Short: "Print a valid access token for NAME (refreshed when due; --refresh renews it now)",
		Example: `  curl -H "Authorization: Bearer $(wisewallet token alice)" https://api.wise-sandbox.com/v1/me
  wisewallet token acme-app
  # Wise rejects the token before it expires: get a new one
  wisewallet token acme-app --refresh`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(),
		RunE:              func(c *cobra.Command, args []string) error { return cmdToken(c.Context(), inv.sio, args[0], refresh) },
	}
	c.Flags().BoolVar(&refresh, "refresh", false, "renew the access token now, even if it is not due (an OAuth client's or a user's)")
	return c
}

func cmdToken(ctx context.Context, sio *cliIO, name string, refresh bool) error {
	ops, err := sio.ops(ctx)
	if err != nil {
		return err
	}
	get := ops.AccessToken
	if refresh {
		get = ops.RenewAccessToken
	}
	tok, err := get(ctx, name)
	if err != nil {
		return err
	}
	raw := tok.Reveal()
	defer crypto.Wipe(raw)
	// Two writes: append could move the token into a new buffer that
	// nothing wipes.
	if _, err := sio.stdout.Write(raw); err != nil {
		return err
	}
	sio.handedOut(ctx, name, wallet.SecretAccessToken, "stdout")
	_, err = io.WriteString(sio.stdout, "\n")
	return err
}

func (inv *invocation) whoamiCommand() *cobra.Command {
	var asJSON, check bool
	c := &cobra.Command{
		Use:   "whoami NAME",
		Short: "Show who a credential acts as, its profiles and expiry",
		Example: `  wisewallet whoami alice
  wisewallet whoami acme --json | jq .profiles
  # In a script: is the credential still accepted? (exit 0, 7, 5 or 1)
  wisewallet whoami acme --check || echo "acme: exit $?"`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(),
		RunE: func(c *cobra.Command, args []string) error {
			if check && asJSON {
				return usagef("--check prints nothing, its exit code says it all; leave out --json")
			}
			if check {
				return whoamiCheck(c.Context(), inv.sio, args[0])
			}
			return cmdWhoami(c.Context(), inv.sio, args[0], asJSON)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().BoolVar(&check, "check", false, "print nothing; exit 0 valid, 7 rejected by Wise, 5 login needed again, 1 Wise or the network failed")
	return c
}

func cmdWhoami(ctx context.Context, sio *cliIO, name string, asJSON bool) error {
	ops, err := sio.ops(ctx)
	if err != nil {
		return err
	}
	id, e, err := ops.Whoami(ctx, name)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(sio.stdout, struct {
			flows.Identity
			Entry     string     `json:"entry"`
			Env       string     `json:"env"`
			ProfileID int64      `json:"profile_id,omitempty"`
			ExpiresAt *time.Time `json:"expires_at"`
		}{id, e.Name, string(e.Env.Name), e.ProfileID, e.ExpiresAt()})
	}
	tw := tabwriter.NewWriter(sio.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Entry:\t%s (%s, %s)\n", e.Name, e.Kind, envLabel(string(e.Env.Name)))
	if id.UserID != 0 {
		fmt.Fprintf(tw, "User:\t%d %s <%s>\n", id.UserID, id.Name, id.Email)
	} else {
		fmt.Fprintf(tw, "Acts as:\t%s\n", id.Name)
	}
	for _, p := range id.Profiles {
		mark := ""
		if p.ID == e.ProfileID {
			mark = "  (authorized)"
		}
		fmt.Fprintf(tw, "Profile:\t%d %s %s%s\n", p.ID, p.Type, p.Name, mark)
	}
	for _, x := range e.Expiries() {
		fmt.Fprintf(tw, "Expires:\t%s %s (%s)\n", x.Kind, expiresLabel(&x.At, time.Now()), flows.ShowTime(x.At, time.Local))
	}
	if len(e.Expiries()) == 0 {
		fmt.Fprintf(tw, "Expires:\tnever (until revoked at Wise)\n")
	}
	return tw.Flush()
}
