package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/wisewallet/wisewallet/agent"
	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/wallet"
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

// agentOps serves credentialOps from the agent, which holds the wallet
// unlocked in its own process.
type agentOps struct {
	c   *agent.Client
	sio *cliIO
}

// instead is the wallet unlocked here when err says the agent forgot the
// wallet (or went) between sio.ops's look and the operation: locked, timed
// out, a passphrase change. The agent refuses those before doing anything,
// so the operation runs here as it would have without an agent. Nil, nil
// for any other outcome.
func (o agentOps) instead(ctx context.Context, err error) (credentialOps, error) {
	if !errors.Is(err, agent.ErrLocked) && !errors.Is(err, agent.ErrNoAgent) {
		return nil, nil
	}
	svc, err := o.sio.openService(ctx)
	if err != nil {
		return nil, err
	}
	return localOps{svc}, nil
}

func (o agentOps) AccessToken(ctx context.Context, name string) (crypto.Secret, error) {
	tok, err := o.c.AccessToken(ctx, name, false)
	if l, lerr := o.instead(ctx, err); l != nil {
		return l.AccessToken(ctx, name)
	} else if lerr != nil {
		return crypto.Secret{}, lerr
	}
	return tok, err
}

func (o agentOps) RenewAccessToken(ctx context.Context, name string) (crypto.Secret, error) {
	tok, err := o.c.AccessToken(ctx, name, true)
	if l, lerr := o.instead(ctx, err); l != nil {
		return l.RenewAccessToken(ctx, name)
	} else if lerr != nil {
		return crypto.Secret{}, lerr
	}
	return tok, err
}

func (o agentOps) Entry(ctx context.Context, name string) (flows.EntryView, error) {
	v, err := o.c.Entry(ctx, name)
	if l, lerr := o.instead(ctx, err); l != nil {
		return l.Entry(ctx, name)
	} else if lerr != nil {
		return flows.EntryView{}, lerr
	}
	return v, err
}

func (o agentOps) List(ctx context.Context) ([]flows.Summary, error) {
	rows, err := o.c.List(ctx)
	if l, lerr := o.instead(ctx, err); l != nil {
		return l.List(ctx)
	} else if lerr != nil {
		return nil, lerr
	}
	return rows, err
}

func (o agentOps) Status(ctx context.Context, now time.Time) ([]flows.EntryStatus, error) {
	rows, err := o.c.StatusRows(ctx, now)
	if l, lerr := o.instead(ctx, err); l != nil {
		return l.Status(ctx, now)
	} else if lerr != nil {
		return nil, lerr
	}
	return rows, err
}

func (o agentOps) Whoami(ctx context.Context, name string) (flows.Identity, flows.EntryView, error) {
	id, v, err := o.c.Whoami(ctx, name)
	if l, lerr := o.instead(ctx, err); l != nil {
		return l.Whoami(ctx, name)
	} else if lerr != nil {
		return flows.Identity{}, flows.EntryView{}, lerr
	}
	return id, v, err
}

func (o agentOps) Call(ctx context.Context, in flows.CallInput, solver flows.SCASolver) (flows.CallResult, error) {
	res, err := o.c.Call(ctx, in, solver)
	if l, lerr := o.instead(ctx, err); l != nil {
		return l.Call(ctx, in, solver)
	} else if lerr != nil {
		return flows.CallResult{}, lerr
	}
	return res, err
}

func (agentOps) Via() string { return "agent" }

// ops is the credential operations of the one unlock policy: the agent
// of this wallet when one runs unlocked (even with WISEWALLET_PASSPHRASE
// set: the agent is there so that nothing pays the KDF), else the wallet
// unlocked here as every command unlocks it. A locked or absent agent is
// no error: the command unlocks as it would without one.
func (sio *cliIO) ops(ctx context.Context) (credentialOps, error) {
	if o, ok := sio.agentOps(ctx); ok {
		return o, nil
	}
	svc, err := sio.openService(ctx)
	if err != nil {
		return nil, err
	}
	return localOps{svc}, nil
}

// agentVar names the agent's socket, or "none" for no agent.
const agentVar = "WISEWALLET_AGENT"

// agentSocket is the socket of this wallet's agent ("" for none).
func (sio *cliIO) agentSocket() (string, error) {
	switch v := sio.getenv(agentVar); v {
	case "none":
		return "", nil
	case "":
		dir, err := sio.walletDir()
		if err != nil {
			return "", err
		}
		return agent.SocketPath(sio.getenv("XDG_RUNTIME_DIR"), dir)
	default:
		return v, nil
	}
}

// agentOps is the agent's operations when this wallet's agent runs and
// holds it unlocked. Anything else falls back to the wallet here; what
// the user should know (a socket folder others can enter, an agent of
// another wallet at WISEWALLET_AGENT) is said on stderr.
func (sio *cliIO) agentOps(ctx context.Context) (credentialOps, bool) {
	sock, err := sio.agentSocket()
	if err != nil || sock == "" {
		return nil, false
	}
	c := agent.NewClient(sock)
	c.OnRateLimit = sio.sayRateLimitWait
	if err := c.CheckFolder(); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(sio.stderr, "wisewallet: not using the agent: %v\n", err)
		}
		return nil, false
	}
	st, err := c.Status(ctx)
	switch {
	case errors.Is(err, agent.ErrNoAgent):
		return nil, false
	case err != nil:
		fmt.Fprintf(sio.stderr, "wisewallet: not using the agent: %s\n", cliWords(err))
		return nil, false
	case st.Locked:
		return nil, false
	}
	if dir, err := sio.walletDir(); err != nil || st.Wallet != wallet.NewFileStore(dir).Location() {
		fmt.Fprintf(sio.stderr, "wisewallet: not using the agent at %s: it holds %s, not this wallet\n", sock, st.Wallet)
		return nil, false
	}
	return agentOps{c: c, sio: sio}, true
}
