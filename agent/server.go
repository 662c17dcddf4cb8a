package agent

import (
	"bufio"
	"context"
	stdcrypto "crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
)

// Config is what one agent serves.
type Config struct {
	// Service is the unlocked wallet's use cases. The agent owns it from
	// now on: it closes it (wiping the wallet's keys) when it forgets.
	Service *flows.Service
	// Wallet is the wallet file's location, UnlockedBy how it was opened;
	// both for status.
	Wallet, UnlockedBy string
	// Socket is the socket's path (SocketPath).
	Socket string
	// Words puts an error into the command line's words and gives the
	// exit code the command line would exit with: scripts see the same
	// codes with or without the agent.
	Words func(error) (string, int)
	// IdleTimeout: no operation for that long and the agent exits; 0 never.
	IdleTimeout time.Duration
	// Log hears what the agent does (started, refused a peer, locked,
	// exits): never a secret. Nil: nothing is said.
	Log io.Writer
}

// Server is a running agent.
type Server struct {
	cfg     Config
	ln      *net.UnixListener
	started time.Time

	mu            sync.Mutex
	svc           *flows.Service // nil once it forgot
	stamp         flows.Stamp
	lockedBecause string
	last          time.Time // end of the last operation
	inflight      int

	done     chan struct{}
	stopOnce sync.Once
	conns    sync.WaitGroup
}

// Reasons the agent forgot the wallet.
const (
	becauseLocked  = "agent lock"
	becauseIdle    = "idle timeout"
	becauseRekeyed = "the wallet's keys changed (a new passphrase, or the file was replaced)"
	becauseGone    = "the wallet file is gone"
	becauseStopped = "stopped"
)

// requestTimeout bounds the wait for a client's request frame: a client
// that connects and says nothing must not keep a connection open.
const requestTimeout = 10 * time.Second

// Listen makes the socket's folder (0700, refused when not the user's
// alone) and listens. A socket file left by an agent that died is
// replaced; one that answers is an agent already running.
func Listen(cfg Config) (*Server, error) {
	if cfg.Service == nil || cfg.Words == nil {
		return nil, errors.New("agent: Listen needs a Service and Words")
	}
	if err := prepareDir(filepath.Dir(cfg.Socket), true); err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(cfg.Socket); err == nil {
		if fi.Mode()&fs.ModeSocket == 0 {
			return nil, fmt.Errorf("%s is in the agent socket's place and is not a socket; move it away", cfg.Socket)
		}
		if c, err := net.DialTimeout("unix", cfg.Socket, time.Second); err == nil {
			c.Close()
			return nil, &RunningError{Socket: cfg.Socket}
		}
		if err := os.Remove(cfg.Socket); err != nil {
			return nil, err
		}
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: cfg.Socket, Net: "unix"})
	if err != nil {
		return nil, err
	}
	// The folder already keeps others out; this is the second wall.
	if err := os.Chmod(cfg.Socket, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	now := time.Now()
	s := &Server{cfg: cfg, ln: ln, started: now, svc: cfg.Service, last: now, done: make(chan struct{})}
	s.stamp, _ = cfg.Service.Stamp()
	return s, nil
}

// RunningError: an agent already answers at Socket.
type RunningError struct{ Socket string }

func (e *RunningError) Error() string {
	return fmt.Sprintf("an agent is already running at %s", e.Socket)
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Log != nil {
		fmt.Fprintf(s.cfg.Log, "agent: "+format+"\n", args...)
	}
}

// Serve answers connections until stop, the idle timeout or ctx, then
// forgets the wallet and removes the socket.
func (s *Server) Serve(ctx context.Context) error {
	go s.watchIdle()
	go func() {
		select {
		case <-ctx.Done():
			s.shutdown(becauseStopped)
		case <-s.done:
		}
	}()
	var err error
	for {
		c, aerr := s.ln.AcceptUnix()
		if aerr != nil {
			select {
			case <-s.done:
			default:
				err = aerr
				s.shutdown(becauseStopped)
			}
			break
		}
		s.conns.Add(1)
		go func() {
			defer s.conns.Done()
			s.handle(c)
		}()
	}
	s.conns.Wait()
	return err
}

// Done is closed when the agent stops.
func (s *Server) Done() <-chan struct{} { return s.done }

// shutdown stops accepting, forgets and closes the listener (which
// removes the socket file).
func (s *Server) shutdown(why string) {
	s.stopOnce.Do(func() {
		s.forget(why)
		s.logf("exits (%s)", why)
		close(s.done)
		s.ln.Close()
	})
}

// forget drops the Service and wipes the wallet's keys.
func (s *Server) forget(why string) {
	s.mu.Lock()
	svc := s.svc
	s.svc = nil
	if svc != nil {
		s.lockedBecause = why
	}
	s.mu.Unlock()
	if svc != nil {
		// Close waits for an Update in progress (a refresh) to end.
		svc.Close()
		s.logf("forgot the wallet (%s)", why)
	}
}

// watchIdle exits the agent after IdleTimeout without an operation.
func (s *Server) watchIdle() {
	if s.cfg.IdleTimeout <= 0 {
		return
	}
	tick := min(s.cfg.IdleTimeout/4, time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.mu.Lock()
			idle := s.inflight == 0 && time.Since(s.last) >= s.cfg.IdleTimeout
			s.mu.Unlock()
			if idle {
				s.shutdown(becauseIdle)
				return
			}
		}
	}
}

// status is the agent's state now.
func (s *Server) status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{PID: os.Getpid(), Wallet: s.cfg.Wallet, Socket: s.cfg.Socket, Locked: s.svc == nil, LockedBecause: s.lockedBecause,
		StartedAt: s.started.UTC().Truncate(time.Second), IdleTimeoutSeconds: int64(s.cfg.IdleTimeout / time.Second)}
	if s.svc != nil {
		st.UnlockedBy = s.cfg.UnlockedBy
		if s.cfg.IdleTimeout > 0 {
			at := s.last.Add(s.cfg.IdleTimeout).UTC().Truncate(time.Second)
			st.IdleExitAt = &at
		}
	}
	return st
}

// errLocked is a locked agent's refusal.
var errLocked = errors.New("the agent is locked")

// acquire is the Service for one operation, after taking in what other
// processes saved (a stamp check, then a reload without KDF). A file with
// new keys (a passphrase change) or another wallet in its place makes the
// agent forget: what it holds no longer opens the wallet, and a
// passphrase change is the user taking access back.
func (s *Server) acquire(ctx context.Context) (*flows.Service, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.takeInLocked(ctx); err != nil {
		return nil, nil, err
	}
	s.inflight++
	return s.svc, func() {
		s.mu.Lock()
		s.inflight--
		s.last = time.Now()
		s.mu.Unlock()
	}, nil
}

// takeInLocked is acquire's check, under s.mu; status runs it too, so
// that it tells the truth after a passphrase change.
func (s *Server) takeInLocked(ctx context.Context) error {
	if s.svc == nil {
		return errLocked
	}
	st, err := s.svc.Stamp()
	if err == nil && st == s.stamp {
		return nil
	}
	rerr := s.svc.Reload(ctx)
	var why string
	switch {
	case errors.Is(rerr, flows.ErrRekeyed), errors.Is(rerr, flows.ErrReplaced):
		why = becauseRekeyed
	case errors.Is(rerr, flows.ErrNoWallet):
		why = becauseGone
	case rerr != nil:
		return rerr
	}
	if why != "" {
		svc := s.svc
		s.svc, s.lockedBecause = nil, why
		svc.Close()
		s.logf("forgot the wallet (%s)", why)
		return errLocked
	}
	s.stamp = st
	return nil
}

// conn is one client connection: frames out under a mutex (the solver
// and the final answer), answers in from a reader goroutine.
type conn struct {
	c       *net.UnixConn
	wmu     sync.Mutex
	answers chan answer
}

func (c *conn) send(r response) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return writeJSON(c.c, r)
}

// sendRaw writes a frame built by hand (the token answer), then wipes it.
func (c *conn) sendRaw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.c.Write(b)
	crypto.Wipe(b)
	return err
}

// connKey carries an operation's connection in its context, for what
// the use case says on the way (RelayRateLimit).
type connKey struct{}

// RelayRateLimit is the agent's flows.Options.OnRateLimit: a wait after
// Wise answered 429 is told to the client whose operation waits, which
// says it where the command would have without the agent. Outside an
// operation (none is made) it does nothing.
func RelayRateLimit(ctx context.Context, op string, wait time.Duration, retryAfter bool) {
	if c, ok := ctx.Value(connKey{}).(*conn); ok {
		_ = c.send(response{Kind: kindRateLimit, RateLimit: &rateLimitBody{Op: op, WaitMillis: wait.Milliseconds(), RetryAfter: retryAfter}})
	}
}

func (s *Server) handle(uc *net.UnixConn) {
	defer uc.Close()
	c := &conn{c: uc, answers: make(chan answer, 1)}
	uid, err := peerUID(uc)
	if err != nil || uid != os.Getuid() {
		// Said to the peer so that a mistaken user learns why; nothing else
		// is read from it.
		_ = c.send(response{Kind: kindError, Error: &errorBody{Message: "the agent serves only the processes of the user who started it", Code: 1}})
		if err != nil {
			s.logf("refused a connection: its peer credentials: %v", err)
		} else {
			s.logf("refused a connection from uid %d", uid)
		}
		return
	}
	_ = uc.SetReadDeadline(time.Now().Add(requestTimeout))
	br := bufio.NewReaderSize(uc, 64<<10)
	var req request
	if err := readJSON(br, &req); err != nil {
		return
	}
	_ = uc.SetReadDeadline(time.Time{})
	ctx, cancel := context.WithCancel(flows.WithCommand(context.Background(), req.Command))
	defer cancel()
	ctx = context.WithValue(ctx, connKey{}, c)
	// Stop and idle exit end what runs; so does the client hanging up
	// (Ctrl-C), as it would end the command without the agent.
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	go func() {
		defer cancel()
		for {
			var a answer
			if err := readJSON(br, &a); err != nil {
				return
			}
			select {
			case c.answers <- a:
			case <-ctx.Done():
				return
			}
		}
	}()
	resp, raw, err := s.do(ctx, c, req)
	if errors.Is(err, errSent) {
		return
	}
	if err != nil {
		_ = c.send(s.errorFrame(err, resp))
		return
	}
	if raw != nil {
		_ = c.sendRaw(raw)
		return
	}
	resp.Kind = kindOK
	_ = c.send(resp)
}

// errorFrame words err as the command line would; a call's result (an
// HTTP error's status and body) goes with it.
func (s *Server) errorFrame(err error, partial response) response {
	if errors.Is(err, errLocked) {
		return response{Kind: kindError, Error: &errorBody{Message: "the agent is locked: it forgot the wallet", Code: 1, Locked: true}}
	}
	msg, code := s.cfg.Words(err)
	body := &errorBody{Message: msg, Code: code, Is: matched(err), API: apiErrorOf(err)}
	var used *flows.OTTUsedError
	if errors.As(err, &used) {
		body.OTT = used.OTT
	}
	return response{Kind: kindError, Error: body, Result: partial.Result}
}

// do runs one request. A token answer comes back as raw bytes.
func (s *Server) do(ctx context.Context, c *conn, req request) (response, []byte, error) {
	switch req.Op {
	case opStatus:
		s.mu.Lock()
		_ = s.takeInLocked(ctx) // a failed reload (busy) is no state to report
		s.mu.Unlock()
		st := s.status()
		return response{Status: &st}, nil, nil
	case opStop:
		st := s.status()
		// Answered first, so that `agent stop` hears it went.
		_ = c.send(response{Kind: kindOK, Status: &st})
		s.shutdown(becauseStopped)
		return response{}, nil, errSent
	case opLock:
		s.forget(becauseLocked)
		st := s.status()
		return response{Status: &st}, nil, nil
	}
	svc, release, err := s.acquire(ctx)
	if err != nil {
		return response{}, nil, err
	}
	defer release()
	switch req.Op {
	case opList:
		return response{List: svc.List()}, nil, nil
	case opStatusRows:
		now := req.Now
		if now.IsZero() {
			now = time.Now()
		}
		return response{Rows: svc.Status(now)}, nil, nil
	case opEntry:
		v, err := svc.Entry(req.Name)
		if err != nil {
			return response{}, nil, err
		}
		return response{Entry: &entryBody{View: v, Secrets: v.Secrets}}, nil, nil
	case opToken, opRenew:
		get := svc.AccessToken
		if req.Op == opRenew {
			get = svc.RenewAccessToken
		}
		tok, err := get(ctx, req.Name)
		if err != nil {
			return response{}, nil, err
		}
		return response{}, tokenFrame(tok), nil
	case opWhoami:
		id, v, err := svc.Whoami(ctx, req.Name)
		if err != nil {
			return response{}, nil, err
		}
		return response{Identity: &id, Entry: &entryBody{View: v, Secrets: v.Secrets}}, nil, nil
	case opCall:
		if req.Call == nil {
			return response{}, nil, fmt.Errorf("%w: a call without its input", flows.ErrUsage)
		}
		res, err := svc.Call(ctx, *req.Call, &tunnelSolver{c: c})
		r := response{Result: &callBody{CallResult: res, Header: res.Header, Body: res.Body}}
		return r, nil, err
	case opPublic:
		der, err := svc.KeyPublic(req.Name)
		return response{Public: der}, nil, err
	case opSign:
		sig, err := svc.KeySign(req.Name, req.Digest, stdcrypto.Hash(req.Hash), req.PSS, req.SaltLength)
		return response{Signature: sig}, nil, err
	case opDecrypt:
		pt, err := svc.KeyDecrypt(req.Name, req.Ciphertext, stdcrypto.Hash(req.Hash), req.Label)
		return response{Plaintext: pt}, nil, err
	}
	return response{}, nil, fmt.Errorf("%w: the agent has no operation %q: it is older than this program; stop it and start it again", flows.ErrUsage, req.Op)
}

// errSent: the answer is already on its way.
var errSent = errors.New("sent")

// tokenFrame is the token answer, built by hand in a buffer the caller
// wipes once written: an encoder's pooled buffer would keep a copy.
func tokenFrame(tok crypto.Secret) []byte {
	raw := tok.Reveal()
	defer crypto.Wipe(raw)
	for _, b := range raw {
		// Wise's tokens are printable ASCII; anything else goes through
		// the encoder (and its copy) rather than be escaped here.
		if b < 0x21 || b > 0x7e || b == '"' || b == '\\' {
			b, err := json.Marshal(response{Kind: kindOK, Token: tok.RevealString()})
			if err != nil {
				return nil
			}
			return append(b, '\n')
		}
	}
	const pre, post = `{"kind":"ok","token":"`, "\"}\n"
	out := make([]byte, 0, len(pre)+len(raw)+len(post))
	out = append(out, pre...)
	out = append(out, raw...)
	return append(out, post...)
}
