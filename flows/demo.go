package flows

import (
	"context"
	"fmt"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/wallet"
)

// DemoPassphrase unlocks demo wallets. They live in a throwaway folder and
// hold only localwise credentials, which work nowhere else.
const DemoPassphrase = "demo"

// Demo is a running demonstration: localwise in this process and a fresh
// wallet filled through the real flows.
type Demo struct {
	Server  *localwise.Server
	Service *Service
	Dir     string
}

// DemoOptions tune StartDemo.
type DemoOptions struct {
	Dir      string        // an empty folder for the throwaway wallet
	TokenTTL time.Duration // short, so the live view visibly counts down
	KDF      crypto.KDFParams
}

// StartDemo starts localwise on a free loopback port and fills a new
// wallet in opts.Dir with a personal token, an OAuth client (with a cached
// client-credentials token) and a user created by registration code, each
// through the same code paths a real user's commands take.
func StartDemo(ctx context.Context, opts DemoOptions) (*Demo, error) {
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 3 * time.Minute
	}
	srv := localwise.New(localwise.Config{TokenTTL: opts.TokenTTL, RefreshTTL: 20 * opts.TokenTTL})
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting localwise: %w", err)
	}
	d, err := fillDemo(ctx, srv, base, opts)
	if err != nil {
		_ = srv.Close()
		return nil, err
	}
	return d, nil
}

func fillDemo(ctx context.Context, srv *localwise.Server, base string, opts DemoOptions) (*Demo, error) {
	w, err := wallet.Create(ctx, wallet.NewFileStore(opts.Dir), crypto.SecretString(DemoPassphrase), wallet.Options{KDF: opts.KDF})
	if err != nil {
		return nil, err
	}
	env, err := ResolveEnv(string(wallet.EnvLocal), base)
	if err != nil {
		return nil, err
	}
	svc := &Service{Wallet: w}
	creds := srv.Demo()
	if _, err := svc.AddPersonalChecked(ctx, "acme-personal", env, crypto.SecretString(creds.PersonalToken)); err != nil {
		return nil, fmt.Errorf("demo personal token: %w", err)
	}
	if _, err := svc.AddClient(ctx, ClientInput{Name: "acme-app", Env: env, ClientID: creds.ClientID,
		Secret: crypto.SecretString(creds.ClientSecret), RedirectURL: creds.RedirectURL, Check: true}); err != nil {
		return nil, fmt.Errorf("demo OAuth client: %w", err)
	}
	if _, err := svc.LoginRegistrationCode(ctx, RegistrationRequest{Client: "acme-app", As: "partner-user", Email: "partner.user@localwise.test"}); err != nil {
		return nil, fmt.Errorf("demo registration-code login: %w", err)
	}
	return &Demo{Server: srv, Service: svc, Dir: opts.Dir}, nil
}

// Close stops localwise. The caller removes the folder.
func (d *Demo) Close() error { return d.Server.Close() }
