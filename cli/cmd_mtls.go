package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/wallet"
)

// The mTLS commands: a private key and CSR made in the wallet, the
// certificate Developer Hub issues for it imported and checked, and the
// smoke test over mTLS. The private key never leaves the wallet but
// through 'show --reveal'.

func (inv *invocation) mtlsCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "mtls",
		Short: "mTLS client certificates: key and CSR, import, check, renew",
		Long: "Wise requires mTLS of every OAuth partner: calls go to the mTLS host with a client certificate\n" +
			"that Developer Hub issues for a CSR. 'mtls keygen' makes the key and the CSR in the wallet,\n" +
			"'mtls csr' prints the CSR for Developer Hub, 'mtls import-cert' stores the certificate it gives,\n" +
			"and from then on every call of the linked OAuth client (the token endpoint too) goes over mTLS.",
		Example: `  wisewallet mtls keygen acme-mtls --for acme-app --org "Acme Ltd" --country GB
  wisewallet mtls csr acme-mtls > acme-mtls.csr
  # Developer Hub → your application → Authentication → Generate certificate; save it and Wise's CA
  wisewallet mtls import-cert acme-mtls acme-mtls.pem --ca wise.ca-certificate.sandbox.pem
  wisewallet mtls check acme-mtls`,
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("missing command; usage: %s", usageLine(c))
			}
			return usagef("unknown mtls command %q; usage: %s", args[0], usageLine(c))
		},
	}
	c.AddCommand(inv.mtlsKeygenCommand(), inv.mtlsCSRCommand(), inv.mtlsImportCommand(), inv.mtlsCheckCommand(),
		inv.mtlsRenewCommand(), inv.mtlsLinkCommand(), inv.mtlsCertCommand())
	return c
}

func (inv *invocation) mtlsKeygenCommand() *cobra.Command {
	var o mtlsKeygenOptions
	c := &cobra.Command{
		Use:   "keygen NAME --org ORG",
		Short: "Make a private key and a CSR by Wise's rules, kept as the mTLS entry NAME",
		Example: `  wisewallet mtls keygen acme-mtls --for acme-app --org "Acme Ltd" --country GB
  wisewallet mtls keygen acme-mtls --for acme-app --org "Acme Ltd" --type rsa4096
  # A localwise client: the mTLS URL is the mtls_url 'wisewallet localwise --json' prints
  wisewallet mtls keygen lw-mtls --for lw-app --org Demo --mtls-url https://127.0.0.1:8701`,
		Args: positional(1, 1),
		RunE: func(c *cobra.Command, args []string) error {
			return cmdMTLSKeygen(c.Context(), inv.sio, usageLine(c), args[0], o)
		},
	}
	c.Flags().StringVar(&o.org, "org", "", "organisation (O) of the CSR: required by Wise")
	c.Flags().StringVar(&o.country, "country", "", "country (C) of the CSR, two letters (optional)")
	c.Flags().StringVar(&o.keyType, "type", string(flows.DefaultMTLSKeyType), "key type: rsa2048, rsa3072, rsa4096, p256 or p384")
	c.Flags().StringVar(&o.client, "for", "", "the OAuth client entry the certificate serves")
	c.Flags().StringVar(&o.certName, "cert-name", "", "the certificate's name in Developer Hub, unique per client (default NAME)")
	c.Flags().StringVar(&o.mtlsURL, "mtls-url", "", "the mTLS base URL (required for a local client)")
	c.Flags().StringVar(&o.env, "env", "", "sandbox, production or local, without --for")
	c.Flags().StringVar(&o.apiURL, "api-url", "", "API base URL, with --env local")
	c.Flags().BoolVar(&o.asJSON, "json", false, "print the entry and its CSR as JSON")
	return c
}

type mtlsKeygenOptions struct {
	org, country, keyType, client, certName, mtlsURL, env, apiURL string
	asJSON                                                        bool
}

// mtlsKeyJSON is what keygen and renew print with --json.
type mtlsKeyJSON struct {
	Entry        string                    `json:"entry"`
	Client       string                    `json:"client,omitempty"`
	Env          string                    `json:"env"`
	KeyType      string                    `json:"key_type"`
	CertName     string                    `json:"cert_name"`
	CSR          string                    `json:"csr"`
	DeveloperHub string                    `json:"developer_hub,omitempty"`
	Certificates *flows.ClientCertificates `json:"client_certificates,omitempty"`
}

func cmdMTLSKeygen(ctx context.Context, sio *cliIO, usage, name string, o mtlsKeygenOptions) error {
	if err := wallet.ValidateName(name); err != nil {
		return usagef("%v", err)
	}
	if o.client == "" && o.env == "" {
		return usagef("--for CLIENT (the OAuth client entry it serves) or --env is required (usage: %s)", usage)
	}
	if o.client != "" && (o.env != "" || o.apiURL != "") {
		return usagef("--for takes the client's environment: leave out --env and --api-url (usage: %s)", usage)
	}
	in := flows.MTLSKeyInput{Name: name, Client: o.client, Org: o.org, Country: o.country, CertName: o.certName, MTLSURL: o.mtlsURL}
	kt, err := flows.ParseKeyType(o.keyType)
	if err != nil {
		return err
	}
	in.KeyType = kt
	if o.client == "" {
		if in.Env, err = flows.ResolveEnv(o.env, o.apiURL); err != nil {
			return err
		}
	}
	// Checked before the wallet is unlocked and the key made.
	if _, err := flows.CheckSubject(o.org, o.country); err != nil {
		return err
	}
	svc, err := sio.openService(ctx)
	if err != nil {
		return err
	}
	stop := slowProgress(sio.stderr, time.Second, fmt.Sprintf("Generating a %s key; this can take several seconds…", kt))
	e, err := svc.MTLSKeygen(ctx, in)
	stop()
	if err != nil {
		return withListHint(err)
	}
	return printMTLSKey(sio, svc, e, o.asJSON, "Made")
}

// slowProgress prints line once, if the work it is started for takes
// longer than after (an RSA-4096 key does), and returns the function that
// ends the wait.
func slowProgress(w io.Writer, after time.Duration, line string) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTimer(after)
		defer t.Stop()
		select {
		case <-t.C:
			fmt.Fprintln(w, line)
		case <-done:
		}
	}()
	return func() { close(done); <-finished }
}

func printMTLSKey(sio *cliIO, svc *flows.Service, e flows.EntryView, asJSON bool, verb string) error {
	csr, kt, certName := e.CSR, e.KeyType, e.CertName
	if e.PendingCSR != "" {
		csr, kt, certName = e.PendingCSR, e.PendingKeyType, e.PendingCertName
	}
	hub := developerHubURL(e)
	var count *flows.ClientCertificates
	if e.LinkedTo != "" {
		cc := svc.MTLSCertificates(e.LinkedTo)
		count = &cc
	}
	if asJSON {
		return writeJSON(sio.stdout, mtlsKeyJSON{Entry: e.Name, Client: e.LinkedTo, Env: string(e.Env.Name), KeyType: kt, CertName: certName, CSR: csr, DeveloperHub: hub, Certificates: count})
	}
	w := sio.stderr
	fmt.Fprintf(w, "%s a %s key and its CSR for %q (%s", verb, kt, e.Name, envLabel(string(e.Env.Name)))
	if e.LinkedTo != "" {
		fmt.Fprintf(w, ", client %q: %d of %d active certificates", e.LinkedTo, count.Active, count.Limit)
	}
	fmt.Fprintf(w, "). The private key stays in the wallet.\nNext:\n")
	fmt.Fprintf(w, "  1. wisewallet mtls csr %s > %s.csr\n", e.Name, e.Name)
	fmt.Fprintf(w, "  2. In Developer Hub (%s): your application → Authentication → Generate certificate;\n", hub)
	fmt.Fprintf(w, "     name it %q, paste the CSR, save the certificate shown as %s.pem, and press\n", certName, e.Name)
	fmt.Fprintf(w, "     Get Wise Certificate for Wise's CA.\n")
	fmt.Fprintf(w, "  3. wisewallet mtls import-cert %s %s.pem --ca wise.ca-certificate.pem\n", e.Name, e.Name)
	if e.LinkedTo == "" {
		fmt.Fprintf(w, "  4. wisewallet mtls link %s CLIENT (the OAuth client the certificate is for)\n", e.Name)
	}
	return nil
}

// developerHubURL is where the entry's certificates are issued.
func developerHubURL(e flows.EntryView) string {
	if e.Env.Name == flows.EnvLocal {
		return e.Env.APIURL + "/developer-hub"
	}
	return flows.DeveloperHubOf(e.Env)
}

func (inv *invocation) mtlsCSRCommand() *cobra.Command {
	return &cobra.Command{
		Use:               "csr NAME",
		Short:             "Print the CSR of an mTLS entry (a renewal's while one is under way), PEM only",
		Example:           `  wisewallet mtls csr acme-mtls > acme-mtls.csr`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindMTLS),
		RunE: func(c *cobra.Command, args []string) error {
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			csr, err := svc.MTLSCSR(args[0])
			if err != nil {
				return withListHint(err)
			}
			_, err = io.WriteString(inv.sio.stdout, csr)
			return err
		},
	}
}

func (inv *invocation) mtlsImportCommand() *cobra.Command {
	var o mtlsImportOptions
	c := &cobra.Command{
		Use:   "import-cert NAME [CERT.pem]",
		Short: "Check and store the certificate Developer Hub issued (from CERT.pem or standard input)",
		Long: "Check the certificate Developer Hub issued for the entry's CSR and store it: its public key must\n" +
			"be the entry's (or its renewal's), it must chain to Wise's CA (--ca, else the one stored, else a CA\n" +
			"pasted after the certificate) and be valid now. A renewal's certificate replaces the old one.",
		Example: `  wisewallet mtls import-cert acme-mtls acme-mtls.pem --ca wise.ca-certificate.sandbox.pem
  pbpaste | wisewallet mtls import-cert acme-mtls --ca wise.ca-certificate.sandbox.pem`,
		Args: positional(1, 2),
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return inv.completeEntryNames(wallet.KindMTLS)(c, args, toComplete)
			}
			return []string{"pem", "crt", "cer"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(c *cobra.Command, args []string) error {
			file := "-"
			if len(args) == 2 {
				file = args[1]
			}
			return cmdMTLSImport(c.Context(), inv.sio, args[0], file, o)
		},
	}
	c.Flags().StringVar(&o.ca, "ca", "", "Wise's CA certificate file (Developer Hub: Get Wise Certificate)")
	c.Flags().BoolVar(&o.asJSON, "json", false, "print what was imported as JSON")
	return c
}

type mtlsImportOptions struct {
	ca     string
	asJSON bool
}

// maxPEMFile bounds a certificate file: a chain is a few KiB, so a larger
// file is the wrong one and is not read whole.
const maxPEMFile = 64 << 10

// readPEMFile reads a certificate file, or standard input for "-".
func readPEMFile(sio *cliIO, path, what string) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		if sio.stdinIsTerminal() {
			fmt.Fprintf(sio.stderr, "Paste the %s (PEM), then Ctrl-D:\n", what)
		}
		r = sio.stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, usagef("reading the %s: %v", what, err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxPEMFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading the %s: %w", what, err)
	}
	if len(b) > maxPEMFile {
		return nil, usagef("the %s in %s is larger than %d KiB: is it the right file?", what, path, maxPEMFile>>10)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, usagef("the %s is empty (%s)", what, strings.Replace(path, "-", "standard input", 1))
	}
	return b, nil
}

func cmdMTLSImport(ctx context.Context, sio *cliIO, name, file string, o mtlsImportOptions) error {
	// The files are read before the wallet is unlocked: a wrong path
	// costs no passphrase.
	certPEM, err := readPEMFile(sio, file, "certificate")
	if err != nil {
		return err
	}
	var caPEM []byte
	if o.ca != "" {
		if caPEM, err = readPEMFile(sio, o.ca, "CA certificate"); err != nil {
			return err
		}
	}
	svc, err := sio.openService(ctx)
	if err != nil {
		return err
	}
	got, err := svc.MTLSImportCert(ctx, name, certPEM, caPEM)
	if err != nil {
		return withListHint(err)
	}
	if o.asJSON {
		return writeJSON(sio.stdout, got)
	}
	w := sio.stderr
	verb := "Imported"
	if got.Renewed {
		verb = "Imported the renewal:"
	}
	fmt.Fprintf(w, "%s the certificate %q for %q: %s, serial %s, valid until %s.\n", verb, got.CertName, name, got.CommonName, got.Serial, flows.ShowTime(got.NotAfter, time.Local))
	if got.Certificates.Client != "" {
		fmt.Fprintf(w, "Client %q has %d of %d active certificates; its calls now go over mTLS.\n", got.Certificates.Client, got.Certificates.Active, got.Certificates.Limit)
	}
	if got.ClientMismatch {
		fmt.Fprintf(w, "Note: the certificate's CN (%s) is not the client id of %q; Wise writes the client id there, so it may be another client's.\n", got.CommonName, got.Certificates.Client)
	}
	if got.Renewed {
		fmt.Fprintln(w, "Deactivate the old certificate in Developer Hub once the new one works.")
	}
	fmt.Fprintf(w, "Check it: wisewallet mtls check %s\n", name)
	return nil
}

func (inv *invocation) mtlsCheckCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "check NAME",
		Short: "Call Wise's mTLS playground with the entry's certificate and its client's token",
		Example: `  wisewallet mtls check acme-mtls
  wisewallet mtls check acme-mtls --json | jq .x_trace_id`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindMTLS),
		RunE: func(c *cobra.Command, args []string) error {
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			r, err := svc.MTLSCheck(c.Context(), args[0])
			if err != nil {
				return withListHint(err)
			}
			if asJSON {
				return writeJSON(inv.sio.stdout, r)
			}
			tw := tabwriter.NewWriter(inv.sio.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "Call:\tGET %s\n", r.URL)
			fmt.Fprintf(tw, "Status:\t%d\n", r.Status)
			fmt.Fprintf(tw, "x-trace-id:\t%s\n", orNone(r.TraceID))
			if err := tw.Flush(); err != nil {
				return err
			}
			body := r.Text
			if len(r.Body) > 0 {
				body = indentJSON(r.Body)
			}
			fmt.Fprintf(inv.sio.stdout, "Answer:\n%s\n", body)
			fmt.Fprintf(inv.sio.stderr, "The mTLS host accepted the certificate of %q and the token of %q.\n", r.Entry, r.Client)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the answer as JSON")
	return c
}

func orNone(s string) string {
	if s == "" {
		return "(none sent)"
	}
	return s
}

func (inv *invocation) mtlsRenewCommand() *cobra.Command {
	var keyType, certName string
	var asJSON bool
	c := &cobra.Command{
		Use:   "renew NAME",
		Short: "Make a new key and CSR beside the current certificate, which works until the new one is imported",
		Example: `  wisewallet mtls renew acme-mtls
  wisewallet mtls csr acme-mtls > renewal.csr   # the renewal's CSR
  wisewallet mtls import-cert acme-mtls renewal.pem`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindMTLS),
		RunE: func(c *cobra.Command, args []string) error {
			in := flows.MTLSRenewInput{Name: args[0], CertName: certName}
			if keyType != "" {
				kt, err := flows.ParseKeyType(keyType)
				if err != nil {
					return err
				}
				in.KeyType = kt
			}
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			stop := slowProgress(inv.sio.stderr, time.Second, "Generating the new key; this can take several seconds…")
			e, err := svc.MTLSRenew(c.Context(), in)
			stop()
			if err != nil {
				return withListHint(err)
			}
			return printMTLSKey(inv.sio, svc, e, asJSON, "Renewal: made")
		},
	}
	c.Flags().StringVar(&keyType, "type", "", "key type of the new key (default: the current one's)")
	c.Flags().StringVar(&certName, "cert-name", "", "the new certificate's name in Developer Hub (default: the current name with today's date)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the entry and the new CSR as JSON")
	return c
}

func (inv *invocation) mtlsLinkCommand() *cobra.Command {
	return &cobra.Command{
		Use:               "link NAME CLIENT",
		Short:             "Link an mTLS entry to the OAuth client its certificate was issued for",
		Example:           `  wisewallet mtls link acme-mtls acme-app`,
		Args:              positional(2, 2),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindMTLS),
		RunE: func(c *cobra.Command, args []string) error {
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			e, err := svc.MTLSLink(c.Context(), args[0], args[1])
			if err != nil {
				return withListHint(err)
			}
			cc := svc.MTLSCertificates(e.LinkedTo)
			fmt.Fprintf(inv.sio.stderr, "Linked %q to client %q (%d of %d active certificates).\n", e.Name, e.LinkedTo, cc.Active, cc.Limit)
			return nil
		},
	}
}

func (inv *invocation) mtlsCertCommand() *cobra.Command {
	var ca bool
	c := &cobra.Command{
		Use:   "cert NAME [--ca]",
		Short: "Print the entry's certificate chain (or with --ca Wise's CA certificate), PEM only",
		Example: `  # Files for curl or another client; the key only through 'show --reveal'
  wisewallet mtls cert acme-mtls > client.pem
  wisewallet mtls cert acme-mtls --ca > wise-ca.pem`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindMTLS),
		RunE: func(c *cobra.Command, args []string) error {
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			e, err := svc.Entry(args[0])
			if err != nil {
				return withListHint(err)
			}
			if e.Kind != flows.KindMTLS {
				return &flows.KindError{Entry: e.Name, Kind: e.Kind, Want: flows.KindMTLS}
			}
			text := e.CertChain
			if ca {
				text = e.CACert
			}
			if text == "" {
				return &flows.NoCertificateError{Entry: e.Name}
			}
			_, err = io.WriteString(inv.sio.stdout, text)
			return err
		},
	}
	c.Flags().BoolVar(&ca, "ca", false, "print Wise's CA certificate instead")
	return c
}

// indentJSON is a JSON answer indented for reading; as it came when it
// cannot be.
func indentJSON(raw []byte) string {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}
