package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/wisewallet/wisewallet/flows/localwise"
)

func (inv *invocation) localwiseCommand() *cobra.Command {
	var o localwiseOptions
	c := &cobra.Command{
		Use:   "localwise",
		Short: "Serve localwise, the local Wise stand-in, on a loopback address",
		Long: "Serve localwise, a local stand-in for Wise's authentication surface (token endpoint, authorize\n" +
			"page, /v1/me, profiles, SCA challenges), for demonstrations and for testing other clients. It runs until\n" +
			"interrupted and prints its base URL and demo credentials.",
		Example: `  wisewallet localwise
  # Short-lived tokens, to watch renewals; the address and credentials as JSON
  wisewallet localwise --addr 127.0.0.1:0 --token-ttl 2m --json
  # Every protected call asks for SCA
  wisewallet localwise --sca always`,
		Args: positional(0, 0),
		RunE: func(c *cobra.Command, _ []string) error { return cmdLocalwise(c.Context(), inv.sio, o) },
	}
	c.Flags().StringVar(&o.addr, "addr", "127.0.0.1:8700", "listen address; loopback, or a loud warning: its credentials are published")
	c.Flags().DurationVar(&o.ttl, "token-ttl", 12*time.Hour, "access token lifetime (shorten for demonstrations)")
	c.Flags().DurationVar(&o.certTTL, "cert-ttl", 365*24*time.Hour, "lifetime of the client certificates its Developer Hub issues (shorten to show a countdown)")
	c.Flags().DurationVar(&o.joseOverlap, "jose-overlap", localwise.DefaultJOSEOverlap, "how long a client's earlier JOSE key keeps working after it uploads the next one (0 for not at all)")
	c.Flags().StringVar(&o.sca, "sca", localwise.SCARisk, "when its protected calls (funding a transfer, a balance statement) answer an SCA challenge: always, never, or risk (high-risk calls always, low-risk ones at random)")
	c.Flags().BoolVar(&o.asJSON, "json", false, "print the base URL and demo credentials as one JSON object")
	return c
}

type localwiseOptions struct {
	addr string
	ttl  time.Duration
	// certTTL: Wise's certificates last a year.
	certTTL time.Duration
	// joseOverlap: the rotation overlap localwise gives uploaded JOSE keys.
	joseOverlap time.Duration
	// sca: localwise's SCA mode, risk by default so a demonstration meets
	// Wise's "based on risk assessment" both ways.
	sca    string
	asJSON bool
}

func cmdLocalwise(ctx context.Context, sio *cliIO, o localwiseOptions) error {
	if o.ttl <= 0 {
		return usagef("--token-ttl must be positive")
	}
	if o.certTTL <= 0 {
		return usagef("--cert-ttl must be positive")
	}
	if o.joseOverlap < 0 {
		return usagef("--jose-overlap must not be negative")
	}
	switch o.sca {
	case localwise.SCAAlways, localwise.SCANever, localwise.SCARisk:
	default:
		return usagef("--sca must be always, never or risk, not %q", o.sca)
	}
	overlap := o.joseOverlap
	if overlap == 0 {
		overlap = -1 // Config's zero is the default; negative is none
	}
	return localwise.Run(ctx, o.addr, localwise.Config{TokenTTL: o.ttl, CertTTL: o.certTTL, JOSEOverlap: overlap, SCAMode: o.sca}, o.asJSON, sio.stdout, sio.stderr)
}
