package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/wallet"
)

// service opens the wallet and wraps it for the flows.
func (sio *cliIO) service(ctx context.Context) (*flows.Service, error) {
	w, err := sio.openWallet(ctx)
	if err != nil {
		return nil, err
	}
	return flows.New(w, flows.Options{}), nil
}

func cmdAddClient(ctx context.Context, sio *cliIO, args []string) error {
	const usage = "add client NAME --env sandbox|production|local --client-id ID [--redirect-url URL] [--api-url URL] [--no-check]"
	fs := flag.NewFlagSet("add client", flag.ContinueOnError)
	env := fs.String("env", "", "sandbox, production or local")
	apiURL := fs.String("api-url", "", "API base URL (required for local)")
	clientID := fs.String("client-id", "", "the OAuth client id from Developer Hub")
	redirect := fs.String("redirect-url", "", "the redirect URL registered with Wise")
	noCheck := fs.Bool("no-check", false, "store without asking Wise for a token first (offline)")
	pos, err := parseFlags(fs, args, 1, 1, usage)
	if err != nil {
		return err
	}
	if err := wallet.ValidateName(pos[0]); err != nil {
		return usagef("%v", err)
	}
	if *clientID == "" {
		return usagef("--client-id is required (usage: wisewallet %s)", usage)
	}
	environment, err := flows.ResolveEnv(*env, *apiURL)
	if err != nil {
		return err
	}
	svc, err := sio.service(ctx)
	if err != nil {
		return err
	}
	if _, err := svc.Entry(pos[0]); err == nil {
		return fmt.Errorf("%w: %q; choose another name or 'wisewallet rm %s' first", wallet.ErrEntryExists, pos[0], pos[0])
	}
	raw, err := sio.readSecretInput(ctx, "Client secret (input hidden): ")
	if err != nil {
		return err
	}
	defer crypto.Wipe(raw)
	secret, err := flows.CleanToken(raw)
	if err != nil {
		return err
	}
	e, err := svc.AddClient(ctx, flows.ClientInput{Name: pos[0], Env: environment, ClientID: *clientID, Secret: secret, RedirectURL: *redirect, Check: !*noCheck})
	if err != nil {
		return err
	}
	checked := "not checked with Wise (--no-check)"
	if !*noCheck {
		checked = "Wise accepted the secret"
	}
	fmt.Fprintf(sio.stderr, "Added OAuth client %q (%s, client id %s); %s.\n", e.Name, environment.Name, e.ClientID, checked)
	return nil
}

func cmdLogin(ctx context.Context, sio *cliIO, args []string) error {
	const usage = "login CLIENT --as NAME [--paste] [--pkce] [--timeout 5m] | login CLIENT --as NAME --registration-code --email EMAIL"
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	as := fs.String("as", "", "name of the user entry to create or replace")
	paste := fs.Bool("paste", false, "paste the redirected URL or the code instead of a local listener")
	pkce := fs.Bool("pkce", false, "send a PKCE S256 challenge (Wise does not document PKCE)")
	timeout := fs.Duration("timeout", 5*time.Minute, "how long to wait for the browser")
	regCode := fs.Bool("registration-code", false, "partner-created user: registration_code grant")
	email := fs.String("email", "", "the user's email (with --registration-code)")
	noBrowser := fs.Bool("no-browser", false, "only print the URL; do not open a browser")
	pos, err := parseFlags(fs, args, 1, 1, usage)
	if err != nil {
		return err
	}
	if *as == "" {
		return usagef("--as NAME is required (usage: wisewallet %s)", usage)
	}
	if *regCode != (*email != "") {
		return usagef("--registration-code and --email go together (usage: wisewallet %s)", usage)
	}
	if !*regCode && !*paste && overSSH(sio) {
		// The browser would open on this remote machine, if anywhere, and
		// a loopback listener here cannot be reached by the user's browser.
		*paste = true
		fmt.Fprintln(sio.stderr, "This is an SSH session (SSH_CONNECTION or SSH_TTY is set): the code will be pasted instead of caught by a local listener.")
	}
	svc, err := sio.service(ctx)
	if err != nil {
		return err
	}
	var e flows.EntryView
	if *regCode {
		e, err = svc.LoginRegistrationCode(ctx, flows.RegistrationRequest{Client: pos[0], As: *as, Email: *email})
	} else {
		req := flows.LoginRequest{
			Client: pos[0], As: *as, Paste: *paste, PKCE: *pkce, Timeout: *timeout,
			ShowURL: func(u string) {
				fmt.Fprintf(sio.stderr, "Log in to Wise and approve access here:\n\n  %s\n\n", u)
			},
			ReadPasted: func(ctx context.Context) (string, error) {
				fmt.Fprintln(sio.stderr, "Paste the URL the browser was sent to (or the code Wise shows), then Enter:")
				b, err := sio.readLine(ctx)
				return string(b), err
			},
			Listening: func(addr string) {
				fmt.Fprintf(sio.stderr, "Waiting for the login redirect on http://%s (up to %s).\n", addr, *timeout)
			},
		}
		if !*noBrowser {
			req.OpenBrowser = flows.OpenSystemBrowser
		}
		e, err = svc.Login(ctx, req)
	}
	if err != nil {
		return err
	}
	switch {
	case e.UserEmail != "":
		fmt.Fprintf(sio.stderr, "Logged in as %s; tokens saved as %q (access token until %s).\n", e.UserEmail, e.Name, e.AccessExpiresAt.Local().Format(time.Kitchen))
	default:
		// The tokens were saved but asking Wise who they belong to did not
		// finish (interrupted, or Wise did not answer).
		fmt.Fprintf(sio.stderr, "Tokens saved as %q (access token until %s); run 'wisewallet whoami %s' to see who they act as.\n", e.Name, e.AccessExpiresAt.Local().Format(time.Kitchen), e.Name)
	}
	return nil
}

// overSSH reports whether this is an SSH session, where the system browser
// and a loopback redirect are both on the wrong machine.
func overSSH(sio *cliIO) bool {
	return sio.getenv("SSH_CONNECTION") != "" || sio.getenv("SSH_TTY") != ""
}

func cmdToken(ctx context.Context, sio *cliIO, args []string) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	pos, err := parseFlags(fs, args, 1, 1, "token NAME")
	if err != nil {
		return err
	}
	svc, err := sio.service(ctx)
	if err != nil {
		return err
	}
	tok, err := svc.AccessToken(ctx, pos[0])
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
	_, err = io.WriteString(sio.stdout, "\n")
	return err
}

func cmdWhoami(ctx context.Context, sio *cliIO, args []string) error {
	fs := flag.NewFlagSet("whoami", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args, 1, 1, "whoami NAME [--json]")
	if err != nil {
		return err
	}
	svc, err := sio.service(ctx)
	if err != nil {
		return err
	}
	id, e, err := svc.Whoami(ctx, pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
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
		fmt.Fprintf(tw, "Expires:\t%s %s (%s)\n", x.Kind, expiresLabel(&x.At, time.Now()), x.At.Local().Format(time.RFC3339))
	}
	if len(e.Expiries()) == 0 {
		fmt.Fprintf(tw, "Expires:\tnever (until revoked at Wise)\n")
	}
	return tw.Flush()
}

func cmdStatus(ctx context.Context, sio *cliIO, args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args, 0, 0, "status [--json]"); err != nil {
		return err
	}
	svc, err := sio.service(ctx)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	rows := svc.Status(now)
	if *asJSON {
		return writeJSON(sio.stdout, rows)
	}
	tw := tabwriter.NewWriter(sio.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tENV\tSTATUS\tEXPIRES")
	for _, r := range rows {
		var parts []string
		for _, x := range r.Expiries {
			parts = append(parts, fmt.Sprintf("%s %s", x.What, expiresLabel(&x.ExpiresAt, now)))
		}
		if r.SecretAgeDays != nil && len(parts) == 0 {
			parts = append(parts, fmt.Sprintf("secret %d days old", *r.SecretAgeDays))
		}
		if len(parts) == 0 {
			parts = []string{"-"}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Kind, envLabel(r.Env), r.Status, strings.Join(parts, ", "))
	}
	return tw.Flush()
}

func cmdLocalwise(ctx context.Context, sio *cliIO, args []string) error {
	fs := flag.NewFlagSet("localwise", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8700", "listen address (loopback)")
	ttl := fs.Duration("token-ttl", 12*time.Hour, "access token lifetime (shorten for demonstrations)")
	asJSON := fs.Bool("json", false, "print the base URL and demo credentials as one JSON object")
	if _, err := parseFlags(fs, args, 0, 0, "localwise [--addr 127.0.0.1:8700] [--token-ttl DURATION] [--json]"); err != nil {
		return err
	}
	if *ttl <= 0 {
		return usagef("--token-ttl must be positive")
	}
	return localwise.Run(ctx, *addr, localwise.Config{TokenTTL: *ttl}, *asJSON, sio.stdout)
}
