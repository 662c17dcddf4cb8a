package wallet

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// cheapKDF keeps every test that opens a wallet fast; the production
// floor is checked separately (TestDefaultKDFParamsAtOrAboveFloor).
var cheapKDF = crypto.KDFParams{Time: 1, MemoryKiB: 8, Threads: 1}

const testPassphrase = "correct horse battery staple"

func passphrase(p string) Unlocker {
	return Unlocker{Passphrase: func() (crypto.Secret, error) { return crypto.SecretString(p), nil }}
}

// newTestWallet creates an empty cheap-KDF wallet in a fresh private folder.
func newTestWallet(t testing.TB) (*FileStore, *Wallet) {
	t.Helper()
	store := NewFileStore(filepath.Join(t.TempDir(), "ww"))
	w, err := Create(context.Background(), store, crypto.SecretString(testPassphrase), Options{KDF: cheapKDF})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return store, w
}

func openWith(store Storage, pass string) (*Wallet, error) {
	return Open(context.Background(), store, passphrase(pass))
}

func mustOpen(t testing.TB, store Storage, pass string) *Wallet {
	t.Helper()
	w, err := openWith(store, pass)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return w
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeWallet puts raw bytes where the store keeps its wallet, 0600. It
// overwrites in place and then truncates to the new length: ext4 flushes
// a file truncated to zero when it is closed (auto_da_alloc), and that
// made the byte sweeps and the fuzzer crawl on a busy disk.
func writeWallet(t testing.TB, store *FileStore, data []byte) {
	t.Helper()
	f, err := os.OpenFile(store.Path(), os.O_WRONLY|os.O_CREATE, fileMode)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(int64(len(data))); err != nil {
		t.Fatal(err)
	}
	if err := f.Chmod(fileMode); err != nil {
		t.Fatal(err)
	}
}

// memStore serves fixed bytes through the Storage interface, for tests
// of the decoder that need no file. Read-only.
type memStore struct{ data []byte }

func (m memStore) Load() ([]byte, error) { return bytes.Clone(m.data), nil }
func (m memStore) Lock(context.Context) (func(), error) {
	return nil, errors.New("memStore is read-only")
}
func (m memStore) Create([]byte) error   { return errors.New("memStore is read-only") }
func (m memStore) Replace([]byte) error  { return errors.New("memStore is read-only") }
func (m memStore) Location() string      { return "memory" }
func (m memStore) Stamp() (Stamp, error) { return Stamp{Size: int64(len(m.data))}, nil }

// withTrailer recomputes the SHA-256 trailer, as anyone rewriting a file
// can: the trailer detects accidents, not attackers.
func withTrailer(data []byte) []byte {
	out := bytes.Clone(data[:len(data)-trailerSize])
	sum := sha256.Sum256(out)
	return append(out, sum[:]...)
}

func tempFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, tempPrefix+"*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func personal(name, token string) Entry {
	e := Entry{Name: name, Kind: KindPersonal, Env: Environment{Name: EnvSandbox, APIURL: "https://api.sandbox.transferwise.tech"},
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	e.UpdatedAt = e.CreatedAt
	e.SetSecret(SecretToken, crypto.SecretString(token))
	return e
}

func addEntries(t testing.TB, w *Wallet, entries ...Entry) {
	t.Helper()
	err := w.Update(context.Background(), func(c *Contents) error {
		for _, e := range entries {
			if err := c.Add(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func names(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Name
	}
	return out
}

// ---- child processes ----
//
// Crash, lock and multi-process tests re-exec this test binary. TestMain
// runs the named helper instead of the tests when helperEnv is set.

const (
	helperEnv  = "WISEWALLET_WALLET_TEST_HELPER"
	envDir     = "WWT_DIR"
	envPass    = "WWT_PASS"
	envArg     = "WWT_ARG"
	childLimit = 60 * time.Second // no child outlives a hung test by more
)

var helpers = map[string]func() error{}

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		h, ok := helpers[mode]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown helper %q\n", mode)
			os.Exit(3)
		}
		if err := h(); err != nil {
			fmt.Fprintf(os.Stderr, "helper %s: %v\n", mode, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helperContext bounds a helper's run even if its parent is gone.
func helperContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), childLimit)
}

func helperOpen() (*Wallet, error) {
	return openWith(NewFileStore(os.Getenv(envDir)), os.Getenv(envPass))
}

type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr *bytes.Buffer
	once   sync.Once
	err    error // from Wait
}

// startChild runs helper mode on the wallet in dir; extra are KEY=VALUE
// environment entries.
func startChild(t testing.TB, mode, dir string, extra ...string) *child {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), childLimit)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, envDir+"="+dir, envPass+"="+testPassphrase)
	cmd.Env = append(cmd.Env, extra...)
	c := &child{cmd: cmd, lines: make(chan string, 1<<16), stderr: &bytes.Buffer{}}
	cmd.Stderr = c.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		c.wait()
		cancel()
	})
	return c
}

// wait drains stdout (Wait must not run before the reads are done) and
// reaps the child; the remaining lines are returned.
func (c *child) wait() []string {
	var rest []string
	c.once.Do(func() {
		for l := range c.lines {
			rest = append(rest, l)
		}
		c.err = c.cmd.Wait()
	})
	return rest
}

// expect waits for a line starting with prefix, skipping others.
func (c *child) expect(t testing.TB, prefix string) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				c.wait()
				t.Fatalf("child exited before %q: %v; stderr: %s", prefix, c.err, c.stderr)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-timeout:
			t.Fatalf("child did not say %q within 30s", prefix)
		}
	}
}

// kill sends SIGKILL and returns the lines printed before it died.
func (c *child) kill() []string {
	_ = c.cmd.Process.Kill()
	return c.wait()
}

// finish waits for a normal exit and fails the test on any other.
func (c *child) finish(t testing.TB) []string {
	t.Helper()
	rest := c.wait()
	if c.err != nil {
		t.Fatalf("child: %v; stderr: %s", c.err, c.stderr)
	}
	return rest
}
