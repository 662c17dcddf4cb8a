package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wisewallet/wisewallet/demo"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/tui"
	"github.com/wisewallet/wisewallet/wallet"
)

func (inv *invocation) demoCommand() *cobra.Command {
	var o demoOptions
	c := &cobra.Command{
		Use:   "demo",
		Short: "Demonstrate every flow offline, against an in-process localwise",
		Long: "Start localwise in this process and fill a throwaway wallet through the real flows (a personal\n" +
			"token, an OAuth client with an mTLS certificate and JOSE keys, a user it created, and\n" +
			"localwise's demo user logged in, ready for the 2FA setup). On a terminal the app opens on it,\n" +
			"already unlocked; otherwise, or with --once or --plain, a status is printed that renews tokens\n" +
			"on time. It needs no network, account or configuration; the wallet is deleted when the demo\n" +
			"ends.",
		Example: `  wisewallet demo
  # Tokens that expire every minute, in plain text
  wisewallet demo --plain --token-ttl 1m --every 10s
  wisewallet demo --once`,
		Args: positional(0, 0),
		RunE: func(c *cobra.Command, _ []string) error {
			autoLock, err := autoLockOf(inv.sio, c.Flags())
			if err != nil {
				return err
			}
			return cmdDemo(c.Context(), inv.sio, o, autoLock)
		},
	}
	c.Flags().DurationVar(&o.ttl, "token-ttl", 3*time.Minute, "access token lifetime at the demo server")
	c.Flags().DurationVar(&o.certTTL, "cert-ttl", demo.DefaultCertTTL, "life of the demo's mTLS certificates (the default is inside the 30-day renewal reminder)")
	c.Flags().BoolVar(&o.once, "once", false, "set up, print the status once and exit")
	c.Flags().BoolVar(&o.plain, "plain", false, "print the status every few seconds instead of opening the app")
	c.Flags().DurationVar(&o.every, "every", 5*time.Second, "how often the status is printed")
	addAutoLockFlag(c.Flags())
	return c
}

type demoOptions struct {
	ttl, every  time.Duration
	certTTL     time.Duration
	once, plain bool
}

// cmdDemo runs the offline demonstration: localwise in this process and a
// throwaway wallet filled through the real flows. On a terminal it opens
// the app on that wallet, already unlocked; otherwise (or with --once or
// --plain) it prints a live status that renews tokens on time. It needs
// no network, account or configuration. The wallet's folder is removed
// when the demo ends.
func cmdDemo(ctx context.Context, sio *cliIO, o demoOptions, autoLock time.Duration) error {
	if o.every <= 0 || o.ttl <= 0 || o.certTTL <= 0 {
		return usagef("--every, --token-ttl and --cert-ttl must be positive durations such as 5s or 3m")
	}
	dir, err := os.MkdirTemp("", "wisewallet-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintln(sio.stderr, "Starting localwise and filling a throwaway wallet through the real flows...")
	dm, err := demo.Start(ctx, demo.Options{Dir: dir, TokenTTL: o.ttl, CertTTL: o.certTTL})
	if err != nil {
		return err
	}
	defer dm.Close()
	creds := dm.Server.Demo()
	if !o.once && !o.plain && onTerminal(sio) {
		err := runTUI(ctx, sio, tui.Options{
			Service:  dm.Service,
			Unlock:   sio.unlockScreen(wallet.NewFileStore(dir)),
			AutoLock: autoLock,
			Env: tui.Environment{Demo: true, WalletPath: filepath.Join(dir, wallet.FileName),
				DemoAPIURL: creds.APIURL, DemoMTLSURL: creds.MTLSURL, DemoUser: creds.UserEmail, DemoPassword: creds.UserPassword, DemoPassphrase: demo.Passphrase,
				DemoPersonalToken: creds.PersonalToken, DemoClientID: creds.ClientID, DemoClientSecret: creds.ClientSecret},
		})
		fmt.Fprintln(sio.stderr, "Demo stopped; its wallet was deleted.")
		return err
	}
	// What the guided flows and the authorize page ask for: localwise's
	// demo values, which work against this localwise only.
	fmt.Fprintf(sio.stderr, "\nlocalwise:  %s\n  demo login      %s / %s\n  personal token  %s\n  client          id %s, secret %s\nwallet:     %s (passphrase %q)\n",
		creds.APIURL, creds.UserEmail, creds.UserPassword, creds.PersonalToken, creds.ClientID, creds.ClientSecret, dir, demo.Passphrase)
	if o.once {
		fmt.Fprintf(sio.stderr, "With --once the wallet is deleted as the demo exits. To try it from another shell, run\n  wisewallet demo --plain\ninstead: it runs until Ctrl-C.\n\n")
	} else {
		fmt.Fprintf(sio.stderr, "Try it from another shell while this runs:\n  WISEWALLET_DIR=%s WISEWALLET_PASSPHRASE=%s wisewallet status\n\n", dir, demo.Passphrase)
	}
	svc := dm.Service
	// The dashboard's renewer: due tokens on time, back-off after a failure.
	renew := flows.NewRenewer()
	tick := time.NewTicker(o.every)
	defer tick.Stop()
	for {
		if err := svc.Reload(ctx); err != nil {
			return err
		}
		renewDue(ctx, sio, svc, renew, time.Now())
		printDemoStatus(sio, svc)
		if o.once {
			return ctx.Err() // interrupted while it set up or printed: 130
		}
		select {
		case <-ctx.Done():
			// Stopping is what Ctrl-C asks for, but a script must still be
			// able to tell it from a demo that ended by itself: exit 130.
			fmt.Fprintln(sio.stderr, "Demo stopped; its wallet was deleted.")
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// renewDue renews the access tokens the renewer finds due at now, and
// says what happened: renewed, or failed and when it is tried again.
func renewDue(ctx context.Context, sio *cliIO, svc *flows.Service, renew *flows.Renewer, now time.Time) {
	entries := svc.Entries()
	renew.Observe(entries)
	for _, r := range svc.Refresh(ctx, renew.Due(entries, now, false)) {
		switch outcome, f := renew.Record(r, now); {
		case outcome == flows.Failed && f.Held:
			fmt.Fprintf(sio.stderr, "%s  renewing %q failed: %s; not retried until it or its client is stored again\n", flows.ShowTime(r.At, time.Local), r.Name, cliWords(r.Err))
		case outcome == flows.Failed:
			fmt.Fprintf(sio.stderr, "%s  renewing %q failed: %s; retrying at %s\n", flows.ShowTime(r.At, time.Local), r.Name, cliWords(r.Err), flows.ShowTime(f.RetryAt, time.Local))
		case outcome == flows.Renewed:
			fmt.Fprintf(sio.stderr, "%s  renewed the access token of %q\n", flows.ShowTime(r.At, time.Local), r.Name)
		}
	}
}

func printDemoStatus(sio *cliIO, svc *flows.Service) {
	now := time.Now().UTC()
	tw := tabwriter.NewWriter(sio.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\n", flows.ShowTime(now, time.Local))
	for _, r := range svc.Status(now) {
		if len(r.Expiries) == 0 {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.Name, r.Kind, r.Status, "never expires (until revoked)")
			continue
		}
		for i, x := range r.Expiries {
			name, kind := r.Name, r.Kind
			if i > 0 {
				name, kind = "", ""
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s %s%s\n", name, kind, r.Status, x.What, expiresLabel(&x.ExpiresAt, now), renewalHint(r.Name, x))
		}
	}
	_ = tw.Flush()
}
