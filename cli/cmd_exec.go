package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/wallet"
)

// exec: a command run with an entry's access token in its environment,
// so that a script never handles the wallet, and the token never goes
// into an argument (every local user can read argv). A command that
// outlives the token reads WISE_API_TOKEN_FILE, which is rewritten before
// the token is due for as long as the command runs.

// The variables exec gives the child.
const (
	envToken     = "WISE_API_TOKEN"
	envTokenFile = "WISE_API_TOKEN_FILE"
	envAPIURL    = "WISE_API_URL"
)

func (inv *invocation) execCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "exec NAME -- COMMAND [ARGS...]",
		Short: "Run a command with NAME's access token in its environment, kept fresh in a file",
		Long: "Run COMMAND with NAME's access token (refreshed first when due) in WISE_API_TOKEN, the API URL\n" +
			"of NAME's environment in WISE_API_URL, and WISE_API_TOKEN_FILE: a 0600 file in a 0700 folder of\n" +
			"its own (under XDG_RUNTIME_DIR, else TMPDIR) holding the token alone, no newline. The file is\n" +
			"rewritten (atomically: renamed into place) before the token is due, for as long as COMMAND runs,\n" +
			"and removed when it ends: a long-running command reads the file before each call, as\n" +
			"WISE_API_TOKEN keeps the token it started with. No secret goes into an argument, and\n" +
			"WISEWALLET_PASSPHRASE never reaches COMMAND. The exit code is COMMAND's (128+N when signal N\n" +
			"ended it; 127 when it cannot be found, 126 when it cannot be run). SIGINT, SIGTERM, SIGHUP,\n" +
			"SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH sent to wisewallet are passed to COMMAND (those the\n" +
			"terminal sends to both, as Ctrl-C, reach it once).",
		Example: `  wisewallet exec alice -- sh -c 'curl -fsS -H "Authorization: Bearer $WISE_API_TOKEN" "$WISE_API_URL/v1/me"'
  # A service that runs for days reads the token from $WISE_API_TOKEN_FILE before each call
  wisewallet exec acme-app -- ./payout-worker
  wisewallet exec alice -- sh -c 'test "$(cat "$WISE_API_TOKEN_FILE")" = "$WISE_API_TOKEN" && echo same'`,
		Args: func(c *cobra.Command, args []string) error {
			dash := c.ArgsLenAtDash()
			switch {
			case len(args) == 0 || dash == 0:
				return usagef("missing NAME; usage: %s", usageLine(c))
			case dash < 0:
				// Without "--" the command's own flags would be read as
				// wisewallet's.
				return usagef("put -- between NAME and the command; usage: %s", usageLine(c))
			case dash > 1:
				return usagef("unexpected argument %s before --; usage: %s", quoteArgument(args[1]), usageLine(c))
			case len(args) == 1:
				return usagef("missing the command after --; usage: %s", usageLine(c))
			}
			return nil
		},
		ValidArgsFunction: inv.completeEntryNames(),
		RunE: func(c *cobra.Command, args []string) error {
			return cmdExec(c.Context(), inv.sio, args[0], args[1:])
		},
	}
	return c
}

func cmdExec(ctx context.Context, sio *cliIO, name string, argv []string) error {
	ops, err := sio.ops(ctx)
	if err != nil {
		return err
	}
	v, err := ops.Entry(ctx, name)
	if err != nil {
		return withListHint(err)
	}
	tok, err := ops.AccessToken(ctx, name)
	if err != nil {
		return err
	}
	tf, err := newTokenFile(sio.getenv("XDG_RUNTIME_DIR"))
	if err != nil {
		return err
	}
	defer tf.remove()
	if err := tf.write(tok); err != nil {
		return err
	}

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = childEnv(os.Environ(), tok, v.Env.APIURL, tf.path)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = sio.stdin, sio.stdout, sio.stderr
	// Caught from before the start, so none is lost in between: each is
	// passed on once the child runs.
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, catchable(forwardedSignals)...)
	defer signal.Stop(sigs)
	if err := ctx.Err(); err != nil {
		return err // interrupted before the child ran: it never will
	}
	if err := cmd.Start(); err != nil {
		return startError(argv[0], err)
	}
	sio.handedOut(ctx, name, wallet.SecretAccessToken, "exec child "+filepath.Base(argv[0]))

	// The refresher outlives a Ctrl-C: the child decides when it ends,
	// and needs a fresh token until then.
	fresh, stop := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		keepFresh(fresh, sio, ops, name, tok, tf)
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	fg := newForegroundCheck()
	defer fg.close()
	var werr error
	for waiting := true; waiting; {
		select {
		case s := <-sigs:
			if !fg.sentByTerminal(s) {
				_ = cmd.Process.Signal(s)
			}
		case werr = <-exited:
			waiting = false
		}
	}
	stop()
	wg.Wait()
	return exitOf(cmd, werr)
}

// catchable leaves out the signals ignored since wisewallet started
// (nohup ignores SIGHUP, a shell's background job SIGINT and SIGQUIT):
// caught here, they would reach the child by default instead of ignored
// as its starter meant.
func catchable(sigs []os.Signal) []os.Signal {
	var out []os.Signal
	for _, s := range sigs {
		if !signal.Ignored(s) {
			out = append(out, s)
		}
	}
	return out
}

// exitOf is the child's exit as exec's: its code, or 128+N when signal N
// ended it (as a shell reports it).
func exitOf(cmd *exec.Cmd, werr error) error {
	st := cmd.ProcessState
	if st == nil {
		return fmt.Errorf("waiting for %s: %w", cmd.Path, werr)
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return &commandExit{code: 128 + int(ws.Signal())}
	}
	if code := st.ExitCode(); code != 0 {
		return &commandExit{code: code}
	}
	return nil
}

// startError words a command that could not be started, with a shell's
// codes: 127 not found, 126 found but not runnable.
func startError(name string, err error) error {
	code := 126
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
		code = 127
	}
	return &commandExit{code: code, err: fmt.Errorf("exec: cannot run %q: %w", name, errors.Unwrap(err))}
}

// childEnv is the environment the child gets: this process's (whose
// passphrase variables are gone since takeEnvSecrets; dropped again here,
// so no later change can let them through) with the three variables set.
func childEnv(environ []string, tok crypto.Secret, apiURL, tokenFile string) []string {
	out := make([]string, 0, len(environ)+3)
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case envToken, envTokenFile, envAPIURL, passphraseVars[0], passphraseVars[1]:
			continue
		}
		out = append(out, kv)
	}
	return append(out, envToken+"="+tok.RevealString(), envAPIURL+"="+apiURL, envTokenFile+"="+tokenFile)
}

// keepFresh rewrites the token file before the token is due, until ctx
// ends (the child did). A failure is said on stderr and tried again; the
// file keeps the last good token meanwhile. A token that needs a new
// login is not tried again: only the user can fix that.
func keepFresh(ctx context.Context, sio *cliIO, ops credentialOps, name string, last crypto.Secret, tf *tokenFile) {
	retry := 5 * time.Second
	for {
		v, err := ops.Entry(ctx, name)
		if err != nil {
			if ctx.Err() == nil {
				fmt.Fprintf(sio.stderr, "wisewallet exec: %s is no longer in the wallet (%s); %s keeps the last token.\n", name, words(err, exitError), envTokenFile)
			}
			return
		}
		due, renews := flows.NextRefresh(v)
		if !renews {
			return // a personal token: never due
		}
		// At least a second: a token due at once (a lifetime under the
		// margin) must not turn this into a busy loop.
		if !sleepCtx(ctx, max(time.Until(due), time.Second)) {
			return
		}
		tok, err := ops.AccessToken(ctx, name)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if errors.Is(err, flows.ErrNeedsLogin) {
				fmt.Fprintf(sio.stderr, "wisewallet exec: %s; %s keeps the last token until it expires.\n", words(err, exitNeedsLogin), envTokenFile)
				return
			}
			fmt.Fprintf(sio.stderr, "wisewallet exec: renewing the token of %q failed: %s; trying again in %s.\n", name, words(err, exitError), retry)
			if !sleepCtx(ctx, retry) {
				return
			}
			retry = min(2*retry, 5*time.Minute)
			continue
		}
		retry = 5 * time.Second
		if tok.Equal(last) {
			continue
		}
		if err := tf.write(tok); err != nil {
			fmt.Fprintf(sio.stderr, "wisewallet exec: rewriting %s failed: %v.\n", envTokenFile, err)
			continue
		}
		sio.handedOut(ctx, name, wallet.SecretAccessToken, "token file")
		last = tok
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// tokenFile is WISE_API_TOKEN_FILE: a folder of its own (0700, a new
// name that nobody else can have made) so that the file's name is never
// guessed or raced, and the file in it (0600) replaced by rename, so a
// reader sees the old token or the new one, never a part. The folder's
// lock file is flocked while the exec lives (live): an exec killed
// before it could remove the folder leaves it unlocked, and the next
// exec removes it (sweepTokenFolders), token and all.
type tokenFile struct {
	dir, path string
	live      *os.File
}

// tokenFolderPrefix names the token folders in the runtime folder.
const tokenFolderPrefix = "wisewallet-exec-"

// tokenFolderLock is the lock file's name in a token folder.
const tokenFolderLock = ".lock"

func newTokenFile(runtimeDir string) (*tokenFile, error) {
	base := runtimeDir
	if fi, err := os.Stat(base); base == "" || err != nil || !fi.IsDir() {
		base = os.TempDir()
	}
	sweepTokenFolders(base)
	dir, err := os.MkdirTemp(base, tokenFolderPrefix)
	if err != nil {
		return nil, fmt.Errorf("making the folder of %s: %w", envTokenFile, err)
	}
	f := &tokenFile{dir: dir, path: filepath.Join(dir, "token")}
	// MkdirTemp makes it 0700 less the umask; 0700 exactly, whatever that is.
	if err := os.Chmod(dir, 0o700); err != nil {
		f.remove()
		return nil, fmt.Errorf("making the folder of %s: %w", envTokenFile, err)
	}
	// Locked before it takes its name: a sweep finds either no lock file
	// (and leaves the folder) or a locked one.
	lock, err := os.CreateTemp(dir, tokenFolderLock+"-")
	if err == nil {
		if err = lockExclusive(lock, false); err == nil {
			err = os.Rename(lock.Name(), filepath.Join(dir, tokenFolderLock))
		}
		f.live = lock
	}
	if err != nil {
		f.remove()
		return nil, fmt.Errorf("making the folder of %s: %w", envTokenFile, err)
	}
	return f, nil
}

func (f *tokenFile) write(tok crypto.Secret) error {
	tmp, err := os.CreateTemp(f.dir, ".token-") // 0600
	if err != nil {
		return err
	}
	raw := tok.Reveal()
	defer crypto.Wipe(raw)
	_, err = tmp.Write(raw)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), f.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

func (f *tokenFile) remove() {
	os.RemoveAll(f.dir)
	if f.live != nil {
		f.live.Close()
	}
}
