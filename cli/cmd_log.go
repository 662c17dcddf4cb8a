package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/wallet"
)

func (inv *invocation) logCommand() *cobra.Command {
	var asJSON bool
	var since string
	c := &cobra.Command{
		Use:   "log",
		Short: "Show the audit log: each call to Wise and each secret handed out, by entry and command (no passphrase needed)",
		Long: `Show the audit log: every call to Wise, newest last, with the entry it was made for, the
command that made it, the host and path (without the query's values), the status, the result
and Wise's x-trace-id; and every secret handed out (token to stdout, exec to its child and the
token file, show --reveal, the app's copy and reveal), by name and where it went, with the
result handed_out. The log holds no secret, so reading it needs no passphrase.`,
		Example: `  wisewallet log --since 36h
  wisewallet log --since 2026-12-01 --json | jq 'select(.result != "ok")'`,
		Args: positional(0, 0),
		RunE: func(c *cobra.Command, _ []string) error {
			var from time.Time
			if c.Flags().Changed("since") {
				t, err := parseSince(since, time.Now())
				if err != nil {
					return usagef("--since: %v", err)
				}
				from = t
			}
			return cmdLog(c.Context(), inv.sio, from, asJSON)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON, one record a line")
	c.Flags().StringVar(&since, "since", "", "only records from this long ago (7d, 36h) or since a date or time (2026-12-01, 2026-12-01T09:30)")
	return c
}

// cmdLog prints the audit log of the wallet folder, never unlocking the
// wallet: the log holds no secret.
func cmdLog(_ context.Context, sio *cliIO, since time.Time, asJSON bool) error {
	dir, err := sio.walletDir()
	if err != nil {
		return err
	}
	got, err := wallet.ReadAuditLog(dir, since)
	if err != nil {
		return err
	}
	if got.Skipped > 0 {
		fmt.Fprintf(sio.stderr, "wisewallet: %d lines of %s are not audit records; skipped\n", got.Skipped, wallet.NewAuditLog(dir).Path())
	}
	if asJSON {
		enc := json.NewEncoder(sio.stdout)
		for _, r := range got.Records {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	if len(got.Records) == 0 {
		fmt.Fprintf(sio.stderr, "No audit records%s in %s.\n", sinceWords(since), wallet.NewAuditLog(dir).Path())
		return nil
	}
	tw := tabwriter.NewWriter(sio.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tENTRY\tCOMMAND\tCALL\tSTATUS\tRESULT\tX-TRACE-ID")
	for _, r := range got.Records {
		status := "-"
		if r.Status != 0 {
			status = strconv.Itoa(r.Status)
		}
		call := plain(r.Method) + " " + plain(r.Host) + plain(r.Path)
		if r.Result == flows.ResultHandedOut {
			call = plain(r.Secret) + " to " + plain(r.To)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", flows.ShowTime(r.Time, time.Local),
			orDash(plain(r.Entry)), orDash(plain(r.Command)), call, status, plain(r.Result), orDash(plain(r.TraceID)))
	}
	return tw.Flush()
}

func sinceWords(since time.Time) string {
	if since.IsZero() {
		return ""
	}
	return " since " + flows.ShowTime(since, time.Local)
}

// plain drops control characters: the log is ours (0600, checked), but a
// table on a terminal is no place for an escape sequence whoever wrote it.
func plain(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// sinceLayouts are the dates and times --since takes, in local time
// unless they say their zone.
var sinceLayouts = []string{"2006-01-02", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02 15:04:05"}

// parseSince reads --since: a span back from now (7d, 36h), or a date or
// time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := parseSpan(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("%q is negative", s)
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, l := range sinceLayouts {
		if t, err := time.ParseInLocation(l, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither a duration (7d, 36h) nor a date or time (2026-12-01, 2026-12-01T09:30, RFC 3339)", s)
}
