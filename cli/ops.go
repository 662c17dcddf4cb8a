package cli

import (
	"context"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
)

// credentialOps is what the commands that use credentials without
// changing the wallet's entries need (token, list, status, whoami, exec,
// request). The agent serves them when it holds this wallet unlocked, so
// a script pays neither the KDF nor a prompt; otherwise a Service on the
// wallet unlocked in this process does (sio.ops picks, in the one unlock
// policy's order). Every method takes a context and may fail, because the
// agent is another process.
type credentialOps interface {
	AccessToken(ctx context.Context, name string) (crypto.Secret, error)
	RenewAccessToken(ctx context.Context, name string) (crypto.Secret, error)
	Entry(ctx context.Context, name string) (flows.EntryView, error)
	List(ctx context.Context) ([]flows.Summary, error)
	Status(ctx context.Context, now time.Time) ([]flows.EntryStatus, error)
	Whoami(ctx context.Context, name string) (flows.Identity, flows.EntryView, error)
	// Call is flows.Service.Call: one Wise call with the entry's
	// authentication, mTLS and JOSE, an SCA challenge cleared through
	// solver and replayed once.
	Call(ctx context.Context, in flows.CallInput, solver flows.SCASolver) (flows.CallResult, error)
	// Via says who serves the operations, for messages: "agent" or "wallet".
	Via() string
}

// localOps serves credentialOps from a Service in this process.
type localOps struct{ svc *flows.Service }

func (o localOps) AccessToken(ctx context.Context, name string) (crypto.Secret, error) {
	return o.svc.AccessToken(ctx, name)
}

func (o localOps) RenewAccessToken(ctx context.Context, name string) (crypto.Secret, error) {
	return o.svc.RenewAccessToken(ctx, name)
}

func (o localOps) Entry(_ context.Context, name string) (flows.EntryView, error) {
	return o.svc.Entry(name)
}

func (o localOps) List(context.Context) ([]flows.Summary, error) { return o.svc.List(), nil }

func (o localOps) Status(_ context.Context, now time.Time) ([]flows.EntryStatus, error) {
	return o.svc.Status(now), nil
}

func (o localOps) Whoami(ctx context.Context, name string) (flows.Identity, flows.EntryView, error) {
	return o.svc.Whoami(ctx, name)
}

func (o localOps) Call(ctx context.Context, in flows.CallInput, solver flows.SCASolver) (flows.CallResult, error) {
	return o.svc.Call(ctx, in, solver)
}

func (localOps) Via() string { return "wallet" }

// ops is the credential operations of the one unlock policy: (later: the
// agent first), else the wallet unlocked here as every command unlocks it.
func (sio *cliIO) ops(ctx context.Context) (credentialOps, error) {
	svc, err := sio.openService(ctx)
	if err != nil {
		return nil, err
	}
	return localOps{svc}, nil
}
