// Package demo starts the offline demonstration: localwise in this process
// and a throwaway wallet filled through the real flows, as a user's own
// commands would fill it. The CLI's demo command and the tests of the
// terminal app use it; flows/ itself never depends on localwise.
package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/wallet"
)

// Passphrase unlocks demo wallets. They live in a throwaway folder and
// hold only localwise credentials, which work nowhere else.
const Passphrase = "demo"

// FastKDF is a deliberately weak KDF for throwaway demo wallets and tests
// only: it makes unlocking instant, so it must never protect a real
// wallet.
var FastKDF = crypto.KDFParams{Time: 1, MemoryKiB: 8, Threads: 1}

// Demo is a running demonstration: localwise in this process and a fresh
// wallet filled through the real flows.
type Demo struct {
	Server  *localwise.Server
	Service *flows.Service
	Dir     string
}

// Options tune Start.
type Options struct {
	Dir      string        // an empty folder for the throwaway wallet
	TokenTTL time.Duration // short, so the live view visibly counts down
	KDF      crypto.KDFParams
	// Flows are the service's options (its HTTP client and clock; tests).
	Flows flows.Options
}

// Start starts localwise on a free loopback port and fills a new
// wallet in opts.Dir with a personal token, an OAuth client (with a cached
// client-credentials token) and a user created by registration code, each
// through the same code paths a real user's commands take.
func Start(ctx context.Context, opts Options) (*Demo, error) {
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 3 * time.Minute
	}
	srv := localwise.New(localwise.Config{TokenTTL: opts.TokenTTL, RefreshTTL: 20 * opts.TokenTTL})
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting localwise: %w", err)
	}
	d, err := fill(ctx, srv, base, opts)
	if err != nil {
		_ = srv.Close()
		return nil, err
	}
	return d, nil
}

func fill(ctx context.Context, srv *localwise.Server, base string, opts Options) (*Demo, error) {
	w, err := wallet.Create(ctx, wallet.NewFileStore(opts.Dir), crypto.SecretString(Passphrase), wallet.Options{KDF: opts.KDF})
	if err != nil {
		return nil, err
	}
	env, err := flows.ResolveEnv(string(wallet.EnvLocal), base)
	if err != nil {
		return nil, err
	}
	svc := flows.New(w, opts.Flows)
	creds := srv.Demo()
	if _, err := svc.AddPersonalChecked(ctx, "acme-personal", env, crypto.SecretString(creds.PersonalToken)); err != nil {
		return nil, fmt.Errorf("demo personal token: %w", err)
	}
	if _, err := svc.AddClient(ctx, flows.ClientInput{Name: "acme-app", Env: env, ClientID: creds.ClientID,
		Secret: crypto.SecretString(creds.ClientSecret), RedirectURL: creds.RedirectURL, Check: true}); err != nil {
		return nil, fmt.Errorf("demo OAuth client: %w", err)
	}
	if _, err := svc.LoginRegistrationCode(ctx, flows.RegistrationRequest{Client: "acme-app", As: "partner-user", Email: "partner.user@localwise.test"}); err != nil {
		return nil, fmt.Errorf("demo registration-code login: %w", err)
	}
	return &Demo{Server: srv, Service: svc, Dir: opts.Dir}, nil
}

// Close stops localwise. The caller removes the folder.
func (d *Demo) Close() error { return d.Server.Close() }
