package agent

import (
	"bufio"
	"context"
	stdcrypto "crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
)

// Client talks to the agent at one socket; one connection per operation.
type Client struct {
	socket string
	// OnRateLimit, when set, is told of each wait the agent's call makes
	// after Wise answered 429, as flows.Options.OnRateLimit would be.
	OnRateLimit func(ctx context.Context, op string, wait time.Duration, retryAfter bool)
}

// NewClient is a client of the agent at socket.
func NewClient(socket string) *Client { return &Client{socket: socket} }

// Socket is the path the client connects to.
func (c *Client) Socket() string { return c.socket }

// RemoteError is an error the agent worded as the command line would,
// with the exit code the command line exits with for it.
type RemoteError struct {
	Message string
	Code    int
	locked  bool
	is      []string
	api     *apiErrorBody
	ott     string
}

func (e *RemoteError) Error() string { return e.Message }

// solverFailure is a call that ended because this process's solver
// failed (no terminal, Ctrl-C, a given-up prompt).
type solverFailure struct {
	remote *RemoteError
	solver error
}

func (e *solverFailure) Error() string   { return e.remote.Message }
func (e *solverFailure) Unwrap() []error { return []error{e.solver, e.remote} }

// ErrLocked: the agent holds no wallet (locked, timed out, or it forgot
// after a passphrase change): the caller unlocks its own.
var ErrLocked = errors.New("the agent is locked")

// dialTimeout bounds the connect: a live agent answers at once.
const dialTimeout = 2 * time.Second

// dial connects and checks that the agent runs as this user: a socket in
// the agent's place that belongs to someone else would hear PINs.
func (c *Client) dial(ctx context.Context) (*net.UnixConn, error) {
	d := net.Dialer{Timeout: dialTimeout}
	nc, err := d.DialContext(ctx, "unix", c.socket)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
			return nil, fmt.Errorf("%w at %s", ErrNoAgent, c.socket)
		}
		return nil, fmt.Errorf("agent at %s: %w", c.socket, err)
	}
	uc := nc.(*net.UnixConn)
	uid, err := peerUID(uc)
	if err != nil {
		uc.Close()
		return nil, fmt.Errorf("agent at %s: its peer credentials: %w", c.socket, err)
	}
	if uid != os.Getuid() {
		uc.Close()
		return nil, fmt.Errorf("the socket %s is served by uid %d, not by you: not using it", c.socket, uid)
	}
	return uc, nil
}

// CheckFolder refuses a socket whose folder is not the user's alone
// (see prepareDir); the client checks it before it sends anything.
func (c *Client) CheckFolder() error { return prepareDir(filepath.Dir(c.socket), false) }

// roundTrip sends req and reads frames until the final one, answering
// the solver's on the way.
func (c *Client) roundTrip(ctx context.Context, req request, solver flows.SCASolver) (response, error) {
	uc, err := c.dial(ctx)
	if err != nil {
		return response{}, err
	}
	defer uc.Close()
	// Ctrl-C hangs up, which the agent takes as the end of the operation.
	stop := context.AfterFunc(ctx, func() { uc.Close() })
	defer stop()
	if req.Command == "" {
		req.Command = flows.CommandOf(ctx)
	}
	if err := writeJSON(uc, req); err != nil {
		return response{}, c.cut(ctx, err)
	}
	br := bufio.NewReaderSize(uc, 64<<10)
	var solverErr error
	for {
		var r response
		if err := readJSON(br, &r); err != nil {
			return response{}, c.cut(ctx, err)
		}
		switch r.Kind {
		case kindOK:
			return r, nil
		case kindError:
			if r.Error == nil {
				return r, errors.New("agent: an error frame without its error")
			}
			remote := &RemoteError{Message: r.Error.Message, Code: r.Error.Code, locked: r.Error.Locked, is: r.Error.Is, api: r.Error.API, ott: r.Error.OTT}
			if solverErr != nil {
				// The agent's words and code are what the call made of the
				// solver's failure (the challenge interrupted, exit 6), as
				// in-process; the solver's own error still matches.
				return r, &solverFailure{remote: remote, solver: solverErr}
			}
			return r, remote
		case kindRateLimit:
			if c.OnRateLimit != nil && r.RateLimit != nil {
				c.OnRateLimit(ctx, r.RateLimit.Op, time.Duration(r.RateLimit.WaitMillis)*time.Millisecond, r.RateLimit.RetryAfter)
			}
		case kindProgress:
			if solver != nil && r.Event != nil {
				solver.Progress(ctx, eventOf(*r.Event))
			}
		case kindChoose, kindPIN, kindOTP:
			a, err := answerFor(ctx, solver, r)
			if err != nil {
				solverErr = err
				a = answer{Failed: err.Error(), Interrupted: errors.Is(err, flows.ErrSCAInterrupted) || ctx.Err() != nil}
			}
			a.Kind = kindAnswer
			werr := writeJSON(uc, a)
			a.Secret = ""
			if werr != nil {
				return response{}, c.cut(ctx, werr)
			}
		default:
			return response{}, fmt.Errorf("agent: an unknown frame %q", r.Kind)
		}
	}
}

// cut is a broken exchange; after Ctrl-C it is the interruption.
func (c *Client) cut(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("the agent at %s hung up (it stopped, or timed out meanwhile)", c.socket)
	}
	return fmt.Errorf("agent at %s: %w", c.socket, err)
}

// errNoSolver: a challenge reached a client that cannot answer one.
var errNoSolver = fmt.Errorf("%w: nothing here can answer the challenge", flows.ErrSCAInterrupted)

func answerFor(ctx context.Context, solver flows.SCASolver, r response) (answer, error) {
	if solver == nil {
		return answer{}, errNoSolver
	}
	switch r.Kind {
	case kindChoose:
		if r.Challenge == nil {
			return answer{}, errors.New("agent: a choose frame without its challenge")
		}
		f, err := solver.Choose(ctx, *r.Challenge)
		return answer{Factor: f}, err
	case kindPIN:
		s, err := solver.PIN(ctx, r.AttemptsLeft)
		return answer{Secret: s.RevealString()}, err
	default:
		s, err := solver.OTP(ctx, r.Channel, r.Phone)
		return answer{Secret: s.RevealString()}, err
	}
}

// Status is the agent's state.
func (c *Client) Status(ctx context.Context) (Status, error) {
	r, err := c.roundTrip(ctx, request{Op: opStatus}, nil)
	if err != nil {
		return Status{}, err
	}
	if r.Status == nil {
		return Status{}, errors.New("agent: a status answer without its status")
	}
	return *r.Status, nil
}

// Lock makes the agent forget the wallet; it keeps running, locked.
func (c *Client) Lock(ctx context.Context) (Status, error) {
	r, err := c.roundTrip(ctx, request{Op: opLock}, nil)
	if err != nil || r.Status == nil {
		return Status{}, err
	}
	return *r.Status, nil
}

// Stop makes the agent forget the wallet and exit.
func (c *Client) Stop(ctx context.Context) (Status, error) {
	r, err := c.roundTrip(ctx, request{Op: opStop}, nil)
	if err != nil || r.Status == nil {
		return Status{}, err
	}
	return *r.Status, nil
}

// List is flows.Service.List in the agent.
func (c *Client) List(ctx context.Context) ([]flows.Summary, error) {
	r, err := c.roundTrip(ctx, request{Op: opList}, nil)
	if r.List == nil && err == nil {
		r.List = []flows.Summary{}
	}
	return r.List, err
}

// StatusRows is flows.Service.Status in the agent.
func (c *Client) StatusRows(ctx context.Context, now time.Time) ([]flows.EntryStatus, error) {
	r, err := c.roundTrip(ctx, request{Op: opStatusRows, Now: now}, nil)
	if r.Rows == nil && err == nil {
		r.Rows = []flows.EntryStatus{}
	}
	return r.Rows, err
}

func viewOf(b *entryBody) flows.EntryView {
	if b == nil {
		return flows.EntryView{}
	}
	v := b.View
	v.Secrets = b.Secrets
	return v
}

// Entry is flows.Service.Entry in the agent.
func (c *Client) Entry(ctx context.Context, name string) (flows.EntryView, error) {
	r, err := c.roundTrip(ctx, request{Op: opEntry, Name: name}, nil)
	return viewOf(r.Entry), err
}

// AccessToken is flows.Service.AccessToken (renew: RenewAccessToken) in
// the agent: refreshed there, under the wallet lock, when due.
func (c *Client) AccessToken(ctx context.Context, name string, renew bool) (crypto.Secret, error) {
	op := opToken
	if renew {
		op = opRenew
	}
	r, err := c.roundTrip(ctx, request{Op: op, Name: name}, nil)
	if err != nil {
		return crypto.Secret{}, err
	}
	if r.Token == "" {
		return crypto.Secret{}, errors.New("agent: a token answer without its token")
	}
	return crypto.SecretString(r.Token), nil
}

// Whoami is flows.Service.Whoami in the agent.
func (c *Client) Whoami(ctx context.Context, name string) (flows.Identity, flows.EntryView, error) {
	r, err := c.roundTrip(ctx, request{Op: opWhoami, Name: name}, nil)
	var id flows.Identity
	if r.Identity != nil {
		id = *r.Identity
	}
	return id, viewOf(r.Entry), err
}

// Call is flows.Service.Call in the agent: the call is made there (mTLS
// and JOSE keys never leave it), the challenge's questions are put to
// solver here. A failed call's result (status, body) comes with its error.
func (c *Client) Call(ctx context.Context, in flows.CallInput, solver flows.SCASolver) (flows.CallResult, error) {
	r, err := c.roundTrip(ctx, request{Op: opCall, Call: &in}, solver)
	var res flows.CallResult
	if r.Result != nil {
		res = r.Result.CallResult
		res.Header, res.Body = r.Result.Header, r.Result.Body
	}
	return res, err
}

// Public is the key entry's public key.
func (c *Client) Public(ctx context.Context, name string) (stdcrypto.PublicKey, error) {
	r, err := c.roundTrip(ctx, request{Op: opPublic, Name: name}, nil)
	if err != nil {
		return nil, err
	}
	return x509.ParsePKIXPublicKey(r.Public)
}

// opTimeout bounds one sign or decrypt, whose interfaces take no context.
const opTimeout = 30 * time.Second

// Signer is a crypto.Signer for the key entry name whose private key
// stays in the agent: each Sign is a request. For an RSA key it is a
// crypto.Decrypter too (RSA-OAEP only). It serves a TLS client
// certificate (tls.Certificate.PrivateKey), go-jose's OpaqueSigner
// (cryptosigner.Opaque) and crypto.SignOneTimeToken.
func (c *Client) Signer(ctx context.Context, name string) (stdcrypto.Signer, error) {
	pub, err := c.Public(ctx, name)
	if err != nil {
		return nil, err
	}
	s := &remoteSigner{c: c, name: name, pub: pub}
	if _, ok := pub.(*rsa.PublicKey); ok {
		return &remoteRSA{s}, nil
	}
	return s, nil
}

type remoteSigner struct {
	c    *Client
	name string
	pub  stdcrypto.PublicKey
}

func (s *remoteSigner) Public() stdcrypto.PublicKey { return s.pub }

// Sign sends the digest, never the message; the agent signs with the
// entry's private key.
func (s *remoteSigner) Sign(_ io.Reader, digest []byte, opts stdcrypto.SignerOpts) ([]byte, error) {
	req := request{Op: opSign, Name: s.name, Digest: digest, Hash: uint(opts.HashFunc())}
	if p, ok := opts.(*rsa.PSSOptions); ok {
		req.PSS, req.SaltLength = true, p.SaltLength
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	r, err := s.c.roundTrip(ctx, req, nil)
	return r.Signature, err
}

type remoteRSA struct{ *remoteSigner }

// Decrypt decrypts an RSA-OAEP ciphertext in the agent; opts must be
// *rsa.OAEPOptions (PKCS #1 v1.5 is refused: a padding oracle).
func (s *remoteRSA) Decrypt(_ io.Reader, msg []byte, opts stdcrypto.DecrypterOpts) ([]byte, error) {
	o, ok := opts.(*rsa.OAEPOptions)
	if !ok || (o.MGFHash != 0 && o.MGFHash != o.Hash) {
		return nil, fmt.Errorf("%w: the agent decrypts RSA-OAEP (one hash for OAEP and MGF1) only", flows.ErrKeyOperation)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	r, err := s.c.roundTrip(ctx, request{Op: opDecrypt, Name: s.name, Ciphertext: msg, Hash: uint(o.Hash), Label: o.Label}, nil)
	return r.Plaintext, err
}
