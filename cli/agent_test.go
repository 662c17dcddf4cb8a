package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
	"github.com/wisewallet/wisewallet/wallet"
)

// The agent as the real program runs it: `agent start` in one process,
// the agent detached from it, and every other command a process of its
// own that finds the agent by the wallet folder.

// agentRuntime gives e a runtime dir of its own with a short path (a
// socket's path is at most 103 bytes; t.TempDir's can be longer) and
// stops the agent e started, if any, when the test ends.
func agentRuntime(t *testing.T, e *cliEnv) string {
	t.Helper()
	d, err := os.MkdirTemp("", "wwr-")
	if err != nil {
		t.Fatal(err)
	}
	if e.extra == nil {
		e.extra = map[string]string{}
	}
	e.extra["XDG_RUNTIME_DIR"] = d
	t.Cleanup(func() {
		if st, ok := agentState(e); ok && st.PID > 0 {
			e.cmd("agent", "stop")
			if alive(st.PID) {
				_ = syscall.Kill(st.PID, syscall.SIGKILL)
			}
		}
		os.RemoveAll(d)
	})
	return d
}

// agentStatusJSON is `agent status --json`.
type agentStatusJSON struct {
	Running       bool   `json:"running"`
	PID           int    `json:"pid"`
	Locked        bool   `json:"locked"`
	LockedBecause string `json:"locked_because"`
	Socket        string `json:"socket"`
	Wallet        string `json:"wallet"`
}

func agentState(e *cliEnv) (agentStatusJSON, bool) {
	r := e.run(call{args: []string{"agent", "status", "--json"}})
	var st agentStatusJSON
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		e.tb.Errorf("agent status --json: %v\n%s", err, e.describe(r, "JSON"))
		return st, false
	}
	return st, true
}

// alive: the process exists and is not a zombie (the agent's parent, the
// `agent start` process, is gone, and whoever inherits it may not reap).
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil && !errors.Is(err, os.ErrNotExist)
	}
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] != 'Z' && stat[i+2] != 'X'
}

func TestAgentServesTokenAndListWithoutThePassphrase(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	agentRuntime(t, e)
	e.init()
	tok := "tok-agent-" + randHex(t, 8)
	e.secrets = append(e.secrets, tok)
	e.add("p1", tok)
	wantList := e.must("list", "--json").stdout
	missing := e.run(call{args: []string{"token", "nosuch"}})

	r := e.must("agent", "start", "--timeout", "1h")
	e.expect(r, 0, "agent started", "socket:")
	st, _ := agentState(e)
	if !st.Running || st.Locked || st.Wallet != e.walletFile() {
		t.Fatalf("agent status after start: %+v", st)
	}
	// The agent got the passphrase through a pipe: not in its arguments,
	// not in its environment.
	for _, f := range []string{"cmdline", "environ"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", st.PID, f))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(e.pass)) {
			t.Errorf("the agent's /proc/PID/%s holds the passphrase", f)
		}
		if f == "cmdline" && !bytes.Contains(b, []byte("agent\x00serve")) {
			t.Errorf("pid %d is not the agent: %q", st.PID, b)
		}
	}

	// No passphrase anywhere now: only the agent can answer.
	r = e.run(call{args: []string{"token", "p1"}, env: noPass})
	if r.code != 0 || r.stdout != tok+"\n" {
		t.Fatalf("%s", e.describe(r, "the token through the agent"))
	}
	if r := e.run(call{args: []string{"list", "--json"}, env: noPass}); r.code != 0 || r.stdout != wantList {
		t.Errorf("list --json through the agent differs:\n%s\nwant\n%s", r.stdout, wantList)
	}
	// Errors: the same words and exit code as without the agent.
	if r := e.run(call{args: []string{"token", "nosuch"}, env: noPass}); r.code != missing.code || r.stderr != missing.stderr {
		t.Errorf("token nosuch through the agent: exit %d %q; without it: exit %d %q", r.code, r.stderr, missing.code, missing.stderr)
	}
	// WISEWALLET_AGENT=none: no agent, so no way in without a passphrase.
	e.expect(e.run(call{args: []string{"token", "p1"}, env: map[string]string{"WISEWALLET_PASSPHRASE": "", "WISEWALLET_AGENT": "none"}}), exitUsage, "WISEWALLET_PASSPHRASE")

	// Locked: it refuses, and commands unlock the wallet themselves.
	e.expect(e.cmd("agent", "lock"), 0, "locked")
	e.expect(e.run(call{args: []string{"token", "p1"}, env: noPass}), exitUsage, "WISEWALLET_PASSPHRASE")
	if r := e.must("token", "p1"); r.stdout != tok+"\n" {
		t.Errorf("token with the passphrase, past a locked agent: %q", r.stdout)
	}
	e.expect(e.cmd("agent", "status"), exitError, "locked")
	if st, _ := agentState(e); !st.Locked || st.LockedBecause != "agent lock" {
		t.Errorf("status after lock: %+v", st)
	}
	// start replaces the locked agent.
	e.must("agent", "start")
	st2, _ := agentState(e)
	if st2.Locked || st2.PID == st.PID {
		t.Errorf("start over a locked agent: %+v (was pid %d)", st2, st.PID)
	}
	if r := e.run(call{args: []string{"token", "p1"}, env: noPass}); r.stdout != tok+"\n" {
		t.Errorf("%s", e.describe(r, "the token through the new agent"))
	}
	e.expect(e.cmd("agent", "stop"), 0, "stopped")
	if _, err := os.Lstat(st2.Socket); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket outlived agent stop (%v)", err)
	}
	if alive(st.PID) || alive(st2.PID) {
		t.Error("an agent process outlived agent stop")
	}
	e.expect(e.cmd("agent", "status"), exitError, "no agent is running")
}

func TestAgentIdleTimeoutEndsTheProcess(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	agentRuntime(t, e)
	e.init()
	e.add("p1", "tok-idle")
	e.must("agent", "start", "--timeout", "2s")
	st, _ := agentState(e)
	if !st.Running {
		t.Fatal("no agent after start")
	}
	for deadline := time.Now().Add(20 * time.Second); alive(st.PID) && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	if alive(st.PID) {
		t.Fatal("the agent outlived its idle timeout")
	}
	if _, err := os.Lstat(st.Socket); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket outlived the agent (%v)", err)
	}
	e.expect(e.run(call{args: []string{"token", "p1"}, env: noPass}), exitUsage, "WISEWALLET_PASSPHRASE")
}

func TestAgentForgetsWhenThePassphraseChanges(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	agentRuntime(t, e)
	e.init()
	e.add("p1", "tok-rekey")
	e.must("agent", "start")
	// A save without a new passphrase is taken in (no KDF, no forgetting).
	e.add("p2", "tok-rekey-2")
	if r := e.run(call{args: []string{"token", "p2"}, env: noPass}); r.code != 0 || r.stdout != "tok-rekey-2\n" {
		t.Fatalf("%s", e.describe(r, "the agent to serve an entry another process added"))
	}
	e.expect(e.run(call{args: []string{"passwd"}, env: map[string]string{"WISEWALLET_NEW_PASSPHRASE": "the-new-one-" + randHex(t, 4)}}), 0)
	e.expect(e.run(call{args: []string{"token", "p1"}, env: noPass}), exitUsage, "WISEWALLET_PASSPHRASE")
	if st, _ := agentState(e); !st.Locked || !strings.Contains(st.LockedBecause, "keys changed") {
		t.Errorf("status after passwd: %+v", st)
	}
}

// Ten `token` processes at once, through the agent, on a user entry
// whose access token is due: Wise sees one refresh, and every process
// prints the new token.
func TestAgentTenParallelTokensRefreshOnce(t *testing.T) {
	t.Parallel()
	srv, base := lwtest.Start(t, localwise.Config{})
	e := newCLIEnv(t)
	agentRuntime(t, e)
	e.init()
	d := srv.Demo()
	e.secrets = append(e.secrets, d.ClientSecret)
	e.expect(e.run(call{args: []string{"add", "client", "c1", "--env", "local", "--api-url", base, "--client-id", d.ClientID,
		"--redirect-url", d.RedirectURL}, stdin: ptr(d.ClientSecret + "\n")}), 0)
	loginDemoUser(t, e, "c1", "u1", d.PersonalProfileID)
	old := strings.TrimSpace(e.must("token", "u1").stdout)
	e.must("agent", "start")
	// Due now: its expiry moved to the past in the file (the agent takes
	// the change in before its next operation).
	w, err := wallet.Open(context.Background(), wallet.NewFileStore(e.dir), wallet.Unlocker{Passphrase: func() (crypto.Secret, error) { return crypto.SecretString(e.pass), nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Update(context.Background(), func(c *wallet.Contents) error {
		u, err := c.Get("u1")
		if err != nil {
			return err
		}
		past := time.Now().Add(-time.Minute)
		u.AccessExpiresAt = &past
		return c.Put(u)
	}); err != nil {
		t.Fatal(err)
	}
	before := srv.Stats().RefreshRequests
	var wg sync.WaitGroup
	results := make([]result, 10)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.run(call{args: []string{"token", "u1"}, env: noPass})
		}()
	}
	wg.Wait()
	first := results[0].stdout
	for _, r := range results {
		if r.code != 0 || r.stdout != first {
			t.Errorf("%s", e.describe(r, "exit 0 and the token the others got"))
		}
	}
	if strings.TrimSpace(first) == old {
		t.Error("the token was not renewed")
	}
	if n := srv.Stats().RefreshRequests - before; n != 1 {
		t.Errorf("ten parallel tokens through the agent made %d refreshes at localwise, want 1", n)
	}
	e.secrets = append(e.secrets, old, strings.TrimSpace(first))
}

// recordingProxy listens at path and forwards every connection to target,
// keeping every byte either way, frame by frame.
type frameRecorder struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (r *frameRecorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.b.Write(p)
}

func (r *frameRecorder) frames() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Split(strings.TrimSpace(r.b.String()), "\n")
}

func recordingProxy(t *testing.T, path, target string) *frameRecorder {
	t.Helper()
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	rec := &frameRecorder{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				up, err := net.Dial("unix", target)
				if err != nil {
					return
				}
				defer up.Close()
				// Whole frames into the recorder, so that the two directions
				// never interleave within one.
				copyFrames := func(dst, src net.Conn) {
					br := bufio.NewReaderSize(src, 1<<20)
					for {
						line, err := br.ReadBytes('\n')
						if len(line) > 0 {
							_, _ = dst.Write(line)
							_, _ = rec.Write(line)
						}
						if err != nil {
							dst.(*net.UnixConn).CloseWrite()
							return
						}
					}
				}
				done := make(chan struct{})
				go func() { copyFrames(up, c); close(done) }()
				copyFrames(c, up)
				<-done
			}()
		}
	}()
	return rec
}

// Canaries through the agent: the token crosses the socket in its one
// answer frame and nowhere else; the client secret and the passphrase
// never; the agent's own stderr (in the foreground) holds none.
func TestAgentCanariesOnlyInTheTokenAnswer(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	run := agentRuntime(t, e)
	tok, secret := newCanary(t, "AGENTTOK"), newCanary(t, "AGENTSECRET")
	e.pass = newCanary(t, "AGENTPASS").value
	e.secrets = append(e.secrets, tok.value, secret.value, e.pass)
	e.init()
	e.add("p1", tok.value)
	e.expect(e.run(call{args: []string{"add", "client", "c2", "--env", "local", "--api-url", "http://127.0.0.1:9/", "--client-id", "id-2", "--no-check"},
		stdin: ptr(secret.value + "\n")}), 0)

	agentSock, proxySock := filepath.Join(run, "a.sock"), filepath.Join(run, "p.sock")
	env := e.baseEnv()
	env["WISEWALLET_AGENT"] = agentSock
	var envList []string
	for k, v := range env {
		envList = append(envList, k+"="+v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, wisewalletBin, "agent", "start", "--foreground", "--timeout", "0")
	cmd.Env = envList
	var agentErr syncBuffer
	cmd.Stderr = &agentErr
	cmd.Stdout = &agentErr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Lstat(agentSock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the foreground agent did not listen: %s", e.redact(agentErr.String()))
		}
	}
	rec := recordingProxy(t, proxySock, agentSock)
	via := map[string]string{"WISEWALLET_PASSPHRASE": "", "WISEWALLET_AGENT": proxySock}
	calls := []struct {
		args []string
		code int
	}{
		{[]string{"token", "p1"}, 0},
		{[]string{"token", "p1"}, 0},
		{[]string{"list"}, 0},
		{[]string{"list", "--json"}, 0},
		{[]string{"token", "c2"}, exitError}, // no Wise at 127.0.0.1:9: the client secret is used and must not come back
		{[]string{"token", "nosuch"}, exitError},
	}
	var tokenOut int
	for _, c := range calls {
		r := e.run(call{args: c.args, env: via})
		if r.code != c.code {
			t.Errorf("%s", e.describe(r, fmt.Sprintf("exit %d", c.code)))
		}
		if r.stdout == tok.value+"\n" {
			tokenOut++
		}
		for _, x := range []canary{tok, secret} {
			if strings.Contains(r.stderr, x.mark) || (x != tok && strings.Contains(r.stdout, x.mark)) {
				t.Errorf("wisewallet %s: canary %s in its output", strings.Join(c.args, " "), x.name)
			}
		}
	}
	if tokenOut != 2 {
		t.Errorf("the token came out %d times, want 2", tokenOut)
	}
	want := `{"kind":"ok","token":"` + tok.value + `"}`
	answers := 0
	for _, f := range rec.frames() {
		if f == want {
			answers++
			continue
		}
		for _, x := range []string{tok.mark, secret.mark, e.pass} {
			if strings.Contains(f, x) {
				t.Errorf("a frame other than the token answer holds a canary: %s", e.redact(f))
			}
		}
	}
	if answers != 2 {
		t.Errorf("%d token answers recorded, want 2: the recorder missed them", answers)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("the foreground agent after SIGTERM: %v", err)
	}
	out := agentErr.String()
	if !strings.Contains(out, "holds") || !strings.Contains(out, "exits") {
		t.Errorf("the foreground agent's stderr: %s", e.redact(out))
	}
	for _, x := range []string{tok.mark, secret.mark, e.pass} {
		if strings.Contains(out, x) {
			t.Errorf("the agent's stderr holds a canary: %s", e.redact(out))
		}
	}
}
