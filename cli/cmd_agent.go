package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/wisewallet/wisewallet/agent"
	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/wallet"
)

// The agent: `agent start` unlocks here, by the one unlock policy, and
// starts `agent serve` as a detached child that holds the wallet; every
// command of credentialOps (token, list, status, whoami, exec, request)
// then asks it first (sio.ops). The child gets the passphrase through an
// inherited pipe, never an argument or the environment, which other
// processes of the user (and, for arguments, every user) can read.

// defaultAgentTimeout is the idle timeout when none is given: a working
// day, after which the wallet needs its passphrase again.
const defaultAgentTimeout = 8 * time.Hour

// readyTimeout bounds the wait for the child to unlock (its KDF) and
// listen.
const readyTimeout = 60 * time.Second

// The child's inherited descriptors (ExtraFiles start at 3).
const (
	fdPassphrase = 3
	fdReady      = 4
)

func (inv *invocation) agentCommand() *cobra.Command {
	sio := inv.sio
	c := &cobra.Command{
		Use:   "agent start|stop|status|lock",
		Short: "Keep the wallet unlocked for scripts: agent start|stop|status|lock",
		Long: "The agent holds the wallet unlocked in memory behind a socket only your own processes may use,\n" +
			"so that token, list, status, whoami, exec and request need no passphrase and no KDF. It offers\n" +
			"operations, never the keys: private keys stay in it (it signs and decrypts). It forgets\n" +
			"everything on 'agent lock', 'agent stop', after --timeout without use, and when the wallet's\n" +
			"passphrase is changed. It is used first, even with WISEWALLET_PASSPHRASE set; WISEWALLET_AGENT\n" +
			"names another socket, or \"none\" for no agent.",
		Example: `  wisewallet agent start --timeout 2h
  curl -H "Authorization: Bearer $(wisewallet token acme)" https://api.wise-sandbox.com/v1/me
  wisewallet agent status --json
  wisewallet agent lock`,
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("missing action; usage: %s", usageLine(c))
			}
			return usagef("unknown agent action %q; usage: %s", args[0], usageLine(c))
		},
	}
	var timeout time.Duration
	var foreground, asJSON bool
	start := &cobra.Command{
		Use:   "start",
		Short: "Unlock the wallet and keep it unlocked in an agent",
		Example: `  wisewallet agent start
  wisewallet agent start --timeout 30m
  wisewallet agent start --timeout 0 --foreground   # in a service manager`,
		Args: positional(0, 0),
		RunE: func(c *cobra.Command, _ []string) error { return cmdAgentStart(c.Context(), sio, timeout, foreground) },
	}
	start.Flags().DurationVar(&timeout, "timeout", defaultAgentTimeout, "exit after this long without an operation (0: never)")
	start.Flags().BoolVar(&foreground, "foreground", false, "run the agent in this process until Ctrl-C (for a service manager)")
	status := &cobra.Command{
		Use:   "status",
		Short: "Whether an agent holds the wallet (exit 0), or none runs or it is locked (exit 1)",
		Example: `  wisewallet agent status
  wisewallet agent status --json | jq .locked`,
		Args: positional(0, 0),
		RunE: func(c *cobra.Command, _ []string) error { return cmdAgentStatus(c.Context(), sio, asJSON) },
	}
	status.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	var serveTimeout time.Duration
	serve := &cobra.Command{
		Use:    "serve",
		Short:  "The agent itself, as 'agent start' runs it",
		Hidden: true,
		Args:   positional(0, 0),
		RunE:   func(c *cobra.Command, _ []string) error { return cmdAgentServe(c.Context(), sio, serveTimeout) },
	}
	serve.Flags().DurationVar(&serveTimeout, "timeout", defaultAgentTimeout, "idle timeout")
	c.AddCommand(start, &cobra.Command{
		Use:     "stop",
		Short:   "Make the agent forget the wallet and exit",
		Example: "  wisewallet agent stop",
		Args:    positional(0, 0),
		RunE:    func(c *cobra.Command, _ []string) error { return cmdAgentStop(c.Context(), sio) },
	}, status, &cobra.Command{
		Use:     "lock",
		Short:   "Make the agent forget the wallet; it refuses every operation until started again",
		Example: "  wisewallet agent lock",
		Args:    positional(0, 0),
		RunE:    func(c *cobra.Command, _ []string) error { return cmdAgentLock(c.Context(), sio) },
	}, serve)
	return c
}

// agentClient is the client of this wallet's agent socket.
func (sio *cliIO) agentClient() (*agent.Client, error) {
	sock, err := sio.agentSocket()
	if err != nil {
		return nil, err
	}
	if sock == "" {
		return nil, usagef("%s=none: no agent is used; unset it to use one", agentVar)
	}
	return agent.NewClient(sock), nil
}

func cmdAgentStart(ctx context.Context, sio *cliIO, timeout time.Duration, foreground bool) error {
	if timeout < 0 {
		return usagef("--timeout must be 0 (never) or a positive duration such as 8h")
	}
	c, err := sio.agentClient()
	if err != nil {
		return err
	}
	st, err := sio.store()
	if err != nil {
		return err
	}
	if cur, err := c.Status(ctx); err == nil {
		if !cur.Locked && cur.Wallet == st.Location() {
			fmt.Fprintf(sio.stderr, "An agent already holds this wallet (pid %d); 'wisewallet agent stop' ends it.\n", cur.PID)
			return nil
		}
		// A locked agent (or one of another wallet at WISEWALLET_AGENT)
		// gives its place to the new one.
		if err := stopAndWait(ctx, c); err != nil {
			return err
		}
	}
	w, pass, err := sio.unlockKeeping(ctx, st, unlockCommand, true)
	if err != nil {
		return err
	}
	if foreground {
		return serveAgent(ctx, sio, c.Socket(), w, timeout, nil)
	}
	unlockedBy := w.UnlockedBy()
	// Checked here; the agent opens the wallet itself. This process keeps
	// nothing.
	w.Close()
	pid, err := spawnAgent(ctx, sio, pass, unlockedBy != "passphrase", timeout)
	if err != nil {
		return err
	}
	fmt.Fprintf(sio.stderr, "Agent started (pid %d): it holds %s unlocked (%s) %s.\nSocket: %s\n",
		pid, st.Location(), unlockedBy, untilWords(timeout), c.Socket())
	return nil
}

// untilWords says when the agent forgets by itself.
func untilWords(timeout time.Duration) string {
	if timeout == 0 {
		return "until 'wisewallet agent stop' or 'agent lock'"
	}
	return fmt.Sprintf("until 'wisewallet agent stop' or 'agent lock', or %s without use", timeout)
}

// spawnAgent starts `agent serve` detached (its own session: no SIGHUP
// when the terminal closes, no Ctrl-C meant for the shell) and waits for
// it to say it is ready, or why not.
func spawnAgent(ctx context.Context, sio *cliIO, pass crypto.Secret, keyring bool, timeout time.Duration) (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	dir, err := sio.walletDir()
	if err != nil {
		return 0, err
	}
	passR, passW, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer passR.Close()
	defer passW.Close()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer readyR.Close()
	defer readyW.Close()
	cmd := exec.Command(exe, "agent", "serve", "--dir", dir, "--timeout", timeout.String())
	cmd.Env = agentEnv()
	cmd.ExtraFiles = []*os.File{passR, readyW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting the agent: %w", err)
	}
	passR.Close()
	readyW.Close()
	pid := cmd.Process.Pid
	// Reaped by a goroutine: `agent start` run by a long-lived process
	// (a test) must not leave a zombie; a CLI run exits right away.
	go func() { _ = cmd.Wait() }()
	if keyring {
		_, err = io.WriteString(passW, "keyring\n")
	} else {
		raw := pass.Reveal()
		msg := append([]byte("passphrase\n"), raw...)
		crypto.Wipe(raw)
		_, err = passW.Write(msg)
		crypto.Wipe(msg)
	}
	passW.Close()
	if err != nil {
		return 0, fmt.Errorf("handing the agent the passphrase: %w", err)
	}
	type line struct {
		s   string
		err error
	}
	ch := make(chan line, 1)
	go func() {
		s, err := bufio.NewReader(io.LimitReader(readyR, 4096)).ReadString('\n')
		ch <- line{s, err}
	}()
	var l line
	select {
	case l = <-ch:
	case <-time.After(readyTimeout):
		_ = cmd.Process.Kill()
		return 0, fmt.Errorf("the agent (pid %d) did not get ready within %s; it was stopped", pid, readyTimeout)
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		return 0, ctx.Err()
	}
	word, rest, _ := strings.Cut(strings.TrimSuffix(l.s, "\n"), " ")
	switch word {
	case "ready":
		return pid, nil
	case "error":
		code, msg, _ := strings.Cut(rest, " ")
		n, _ := strconv.Atoi(code)
		return 0, &agent.RemoteError{Message: "the agent did not start: " + msg, Code: max(n, exitError)}
	}
	return 0, fmt.Errorf("the agent (pid %d) exited before it was ready", pid)
}

// agentEnv is this process's environment without the passphrase
// variables (run already removed them; this does not rely on it).
func agentEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == passphraseVars[0] || k == passphraseVars[1] {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// cmdAgentServe is the detached agent: it reads how to unlock from its
// pipe, listens, says ready, and serves.
func cmdAgentServe(ctx context.Context, sio *cliIO, timeout time.Duration) error {
	ready := os.NewFile(fdReady, "ready")
	passPipe := os.NewFile(fdPassphrase, "passphrase")
	if ready == nil || passPipe == nil {
		return usagef("'agent serve' is run by 'agent start'; run that")
	}
	fail := func(err error) error {
		msg, code := agentWords(err)
		fmt.Fprintf(ready, "error %d %s\n", code, strings.ReplaceAll(msg, "\n", " "))
		ready.Close()
		return err
	}
	b, err := io.ReadAll(io.LimitReader(passPipe, 64<<10))
	passPipe.Close()
	defer crypto.Wipe(b)
	if err != nil {
		// No pipe: not started by `agent start`.
		return fail(usagef("'agent serve' is run by 'agent start'; run that (%v)", err))
	}
	st, err := sio.store()
	if err != nil {
		return fail(err)
	}
	var w *wallet.Wallet
	switch mode, pass, _ := bytes.Cut(b, []byte("\n")); string(mode) {
	case "passphrase":
		secret := crypto.NewSecret(pass)
		w, err = sio.open(ctx, st, wallet.Unlocker{Passphrase: func() (crypto.Secret, error) { return secret, nil }}, unlockMode{quiet: true})
	case "keyring":
		w, err = sio.unlock(ctx, st, unlockMode{keyring: true, quiet: true})
	default:
		err = usagef("'agent serve' is run by 'agent start'; run that")
	}
	if err != nil {
		return fail(err)
	}
	sock, err := sio.agentSocket()
	if err != nil {
		w.Close()
		return fail(err)
	}
	return serveAgent(ctx, sio, sock, w, timeout, ready)
}

// serveAgent runs the agent on w until it stops. ready (the detached
// agent's pipe) hears "ready" once it listens; in the foreground the
// user is told on stderr.
func serveAgent(ctx context.Context, sio *cliIO, sock string, w *wallet.Wallet, timeout time.Duration, ready *os.File) error {
	// The agent keeps the audit log as the commands it serves would, and
	// tells each of them of its own 429 waits (they say it on stderr).
	opts := sio.serviceOptions(false)
	opts.OnRateLimit = agent.RelayRateLimit
	svc := flows.New(w, opts)
	srv, err := agent.Listen(agent.Config{Service: svc, Wallet: w.Location(), UnlockedBy: w.UnlockedBy(), Socket: sock,
		Words: agentWords, IdleTimeout: timeout, Log: sio.stderr})
	if err != nil {
		svc.Close()
		if ready != nil {
			msg, code := agentWords(err)
			fmt.Fprintf(ready, "error %d %s\n", code, msg)
			ready.Close()
		}
		return err
	}
	if ready != nil {
		fmt.Fprintf(ready, "ready %d\n", os.Getpid())
		ready.Close()
	} else {
		fmt.Fprintf(sio.stderr, "Agent (pid %d) holds %s unlocked %s; Ctrl-C stops it.\nSocket: %s\n",
			os.Getpid(), w.Location(), untilWords(timeout), sock)
	}
	return srv.Serve(ctx)
}

// stopAndWait stops the agent and waits for its socket to go, so that a
// start right after finds the place free.
func stopAndWait(ctx context.Context, c *agent.Client) error {
	if _, err := c.Stop(ctx); err != nil && !errors.Is(err, agent.ErrNoAgent) {
		return err
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Lstat(c.Socket()); errors.Is(err, os.ErrNotExist) {
			return nil
		}
	}
	return fmt.Errorf("the agent at %s did not go within 5s", c.Socket())
}

func cmdAgentStop(ctx context.Context, sio *cliIO) error {
	c, err := sio.agentClient()
	if err != nil {
		return err
	}
	st, err := c.Status(ctx)
	if errors.Is(err, agent.ErrNoAgent) {
		fmt.Fprintln(sio.stderr, "No agent is running for this wallet.")
		return nil
	}
	if err != nil {
		return err
	}
	if err := stopAndWait(ctx, c); err != nil {
		return err
	}
	fmt.Fprintf(sio.stderr, "Agent stopped (pid %d); it forgot the wallet.\n", st.PID)
	return nil
}

func cmdAgentLock(ctx context.Context, sio *cliIO) error {
	c, err := sio.agentClient()
	if err != nil {
		return err
	}
	st, err := c.Lock(ctx)
	if errors.Is(err, agent.ErrNoAgent) {
		fmt.Fprintln(sio.stderr, "No agent is running for this wallet.")
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(sio.stderr, "Agent locked (pid %d): it forgot the wallet's keys and refuses every operation; commands unlock the wallet themselves. 'wisewallet agent start' unlocks it again.\n", st.PID)
	return nil
}

// errAgentNotServing is agent status's exit 1: no agent holds the wallet.
type errAgentNotServing struct{ why string }

func (e errAgentNotServing) Error() string { return e.why }

func cmdAgentStatus(ctx context.Context, sio *cliIO, asJSON bool) error {
	c, err := sio.agentClient()
	if err != nil {
		return err
	}
	st, err := c.Status(ctx)
	running := err == nil
	if err != nil && !errors.Is(err, agent.ErrNoAgent) {
		return err
	}
	if asJSON {
		out := struct {
			Running bool `json:"running"`
			*agent.Status
			Socket string `json:"socket"`
		}{Running: running, Socket: c.Socket()}
		if running {
			out.Status = &st
		}
		if err := writeJSON(sio.stdout, out); err != nil {
			return err
		}
	} else if running {
		state := "holds the wallet unlocked (" + st.UnlockedBy + ")"
		if st.Locked {
			state = "is locked (" + st.LockedBecause + ")"
		}
		fmt.Fprintf(sio.stdout, "Agent pid %d %s.\nWallet:  %s\nSocket:  %s\nStarted: %s\n", st.PID, state, st.Wallet, st.Socket, st.StartedAt.Local().Format(time.RFC3339))
		switch {
		case st.IdleExitAt != nil:
			fmt.Fprintf(sio.stdout, "Exits:   %s unless used (idle timeout %s)\n", st.IdleExitAt.Local().Format(time.RFC3339), time.Duration(st.IdleTimeoutSeconds)*time.Second)
		case st.IdleTimeoutSeconds == 0:
			fmt.Fprintln(sio.stdout, "Exits:   when stopped (no idle timeout)")
		}
	}
	switch {
	case !running:
		return errAgentNotServing{"no agent is running for this wallet; 'wisewallet agent start' starts one"}
	case st.Locked:
		return errAgentNotServing{"the agent is locked: commands unlock the wallet themselves; 'wisewallet agent start' unlocks it again"}
	}
	return nil
}
