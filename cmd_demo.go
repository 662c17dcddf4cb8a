package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/wisewallet/wisewallet/flows"
)

// cmdDemo runs the offline demonstration: localwise in this process, a
// throwaway wallet filled through the real flows, and a live status that
// renews tokens on time. It needs no network, account or configuration.
func cmdDemo(ctx context.Context, sio *cliIO, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	ttl := fs.Duration("token-ttl", 3*time.Minute, "access token lifetime at the demo server")
	once := fs.Bool("once", false, "set up, print the status once and exit")
	every := fs.Duration("every", 5*time.Second, "how often the status is printed")
	if _, err := parseFlags(fs, args, 0, 0, "demo [--token-ttl 3m] [--once]"); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "wisewallet-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintln(sio.stderr, "Starting localwise and filling a throwaway wallet through the real flows...")
	demo, err := flows.StartDemo(ctx, flows.DemoOptions{Dir: dir, TokenTTL: *ttl})
	if err != nil {
		return err
	}
	defer demo.Close()
	creds := demo.Server.Demo()
	fmt.Fprintf(sio.stderr, "\nlocalwise:  %s (demo user %s / %s)\nwallet:     %s (passphrase %q)\n",
		creds.APIURL, creds.UserEmail, creds.UserPassword, dir, flows.DemoPassphrase)
	fmt.Fprintf(sio.stderr, "Try it from another shell while this runs:\n  WISEWALLET_DIR=%s WISEWALLET_PASSPHRASE=%s wisewallet status\n\n", dir, flows.DemoPassphrase)
	svc := demo.Service
	tick := time.NewTicker(*every)
	defer tick.Stop()
	for {
		if err := svc.Wallet.Reload(ctx); err != nil {
			return err
		}
		did, err := svc.RefreshDue(ctx)
		for _, line := range did {
			fmt.Fprintf(sio.stderr, "%s  %s\n", time.Now().Format("15:04:05"), line)
		}
		if err != nil {
			fmt.Fprintf(sio.stderr, "%s  %v\n", time.Now().Format("15:04:05"), err)
		}
		printDemoStatus(sio, svc)
		if *once {
			return nil
		}
		select {
		case <-ctx.Done():
			fmt.Fprintln(sio.stderr, "Demo stopped; its wallet was deleted.")
			return nil
		case <-tick.C:
		}
	}
}

func printDemoStatus(sio *cliIO, svc *flows.Service) {
	now := time.Now().UTC()
	tw := tabwriter.NewWriter(sio.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\n", now.Local().Format("15:04:05"))
	for _, r := range flows.StatusOf(svc.Wallet.Entries(), now) {
		if len(r.Expiries) == 0 {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.Name, r.Kind, r.Status, "never expires (until revoked)")
			continue
		}
		for i, x := range r.Expiries {
			name, kind := r.Name, r.Kind
			if i > 0 {
				name, kind = "", ""
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s %s\n", name, kind, r.Status, x.What, expiresLabel(&x.ExpiresAt, now))
		}
	}
	_ = tw.Flush()
}
