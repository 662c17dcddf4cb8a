package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
)

// exec, run as the real binary against a real localwise over HTTP. Its
// child is this test binary again (execChild), a real process that
// reports what it was given: its argv, its environment (the token only as
// a hash), the token file and its modes, and what Wise answered to the
// token.

// childModeEnv, set, makes the test binary exec's child.
const childModeEnv = "WISEWALLET_TEST_EXEC_CHILD"

func init() {
	if os.Getenv(childModeEnv) != "" {
		os.Exit(execChild(os.Args[1:]))
	}
}

// childReport is what the child says about itself.
type childReport struct {
	Argv []string `json:"argv"`
	// Env is the child's environment, WISE_API_TOKEN's value as its hash.
	Env       []string `json:"env"`
	TokenHash string   `json:"token_hash"`
	FileHash  string   `json:"file_hash"`
	FileMode  string   `json:"file_mode"`
	DirMode   string   `json:"dir_mode"`
	File      string   `json:"file"`
	// Status is Wise's answer to a GET of the path with the token.
	Status int `json:"status"`
	// Tokens and Statuses: each token the file held, as its hash, and
	// Wise's answer to it when it was read (watch).
	Tokens   []string `json:"tokens,omitempty"`
	Statuses []int    `json:"statuses,omitempty"`
	Problems []string `json:"problems,omitempty"`
}

func hashOf(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// execChild is the child: report OUT PATH, watch OUT PATH N, or
// signals OUT.
func execChild(args []string) int {
	if len(args) < 2 {
		return 100
	}
	mode, out := args[0], args[1]
	switch mode {
	case "report", "watch":
		r := childReport{Argv: os.Args, File: os.Getenv(envTokenFile)}
		tok := os.Getenv(envToken)
		r.TokenHash = hashOf(tok)
		for _, kv := range os.Environ() {
			if strings.HasPrefix(kv, envToken+"=") {
				kv = envToken + "=sha256:" + r.TokenHash
			}
			r.Env = append(r.Env, kv)
		}
		call := func(tok string) int {
			req, err := http.NewRequest(http.MethodGet, os.Getenv(envAPIURL)+args[2], nil)
			if err != nil {
				return -1
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
			if err != nil {
				return -2
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode
		}
		r.Status = call(tok)
		modes := func() {
			fi, ferr := os.Lstat(r.File)
			di, derr := os.Lstat(filepath.Dir(r.File))
			if ferr != nil || derr != nil {
				r.Problems = append(r.Problems, fmt.Sprintf("stat: %v %v", ferr, derr))
				return
			}
			r.FileMode, r.DirMode = fi.Mode().String(), di.Mode().String()
		}
		modes()
		b, err := os.ReadFile(r.File)
		if err != nil {
			r.Problems = append(r.Problems, err.Error())
		}
		r.FileHash = hashOf(string(b))
		if mode == "watch" {
			want, _ := strconv.Atoi(args[3])
			seen := ""
			for deadline := time.Now().Add(childTimeout / 2); len(r.Tokens) < want && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				b, err := os.ReadFile(r.File)
				if err != nil || len(b) == 0 {
					r.Problems = append(r.Problems, fmt.Sprintf("read %d bytes: %v", len(b), err))
					continue
				}
				if string(b) == seen {
					continue
				}
				seen = string(b)
				r.Tokens = append(r.Tokens, hashOf(seen))
				r.Statuses = append(r.Statuses, call(seen))
				modes()
				if r.FileMode != "-rw-------" || r.DirMode != "drwx------" {
					r.Problems = append(r.Problems, "modes "+r.FileMode+" "+r.DirMode)
				}
			}
		}
		data, _ := json.Marshal(r)
		if err := os.WriteFile(out, data, 0o600); err != nil {
			return 101
		}
		return 0
	case "signals":
		ch := make(chan os.Signal, 16)
		signal.Notify(ch, forwardedSignals...)
		f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return 102
		}
		if err := os.WriteFile(out+".ready", nil, 0o600); err != nil {
			return 103
		}
		for s := range ch {
			fmt.Fprintln(f, s.(syscall.Signal).String())
			if s == syscall.SIGTERM {
				return 3
			}
		}
	}
	return 104
}

// testBinary is this test binary: exec's child.
func testBinary(t *testing.T) string {
	t.Helper()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// readReport reads a child's report.
func readReport(t *testing.T, path string) childReport {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the child wrote no report: %v", err)
	}
	var r childReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// execRig is a wallet with localwise's demo credentials of every kind:
// the personal token p1, the client c1 and its user u1.
type execRig struct {
	t    *testing.T
	e    *cliEnv
	srv  *localwise.Server
	api  string
	pass canary // the wallet's passphrase
}

func newExecRig(t *testing.T, cfg localwise.Config) *execRig {
	t.Helper()
	srv, base := lwtest.Start(t, cfg)
	e := newCLIEnv(t)
	pass := newCanary(t, "PASS")
	e.pass = pass.value
	e.init()
	d := srv.Demo()
	e.secrets = append(e.secrets, d.ClientSecret, d.PersonalToken, pass.value)
	e.expect(e.run(call{args: []string{"add", "client", "c1", "--env", "local", "--api-url", base, "--client-id", d.ClientID,
		"--redirect-url", d.RedirectURL}, stdin: ptr(d.ClientSecret + "\n")}), 0)
	e.expect(e.run(call{args: []string{"add", "personal", "p1", "--env", "local", "--api-url", base, "--no-check=false"},
		stdin: ptr(d.PersonalToken + "\n")}), 0)
	loginDemoUser(t, e, "c1", "u1", d.PersonalProfileID)
	return &execRig{t: t, e: e, srv: srv, api: base, pass: pass}
}

// child runs exec NAME -- the test binary in mode, with its report in
// out; the rest of args follow out.
func (x *execRig) child(name, mode, out string, args ...string) result {
	x.t.Helper()
	argv := append([]string{"exec", name, "--", testBinary(x.t), mode, out}, args...)
	return x.e.run(call{args: argv, env: map[string]string{childModeEnv: "1"}})
}

// The token each kind gives, its file and what the child sees: the token
// works at Wise; the file holds it alone (0600 in a 0700 folder) and is
// gone when the child ends; WISE_API_URL is the entry's; neither the
// passphrase nor the token is in an argument, and the passphrase is not
// in the child's environment (a canary, set for wisewallet).
func TestExecGivesEveryKindItsToken(t *testing.T) {
	t.Parallel()
	x := newExecRig(t, localwise.Config{})
	pass := x.pass
	for _, k := range []struct{ name, path string }{
		{"p1", "/v1/me"},
		{"c1", clientPath},
		{"u1", "/v2/profiles"},
	} {
		t.Run(k.name, func(t *testing.T) {
			out := filepath.Join(x.e.root, k.name+".json")
			r := x.child(k.name, "report", out, k.path)
			x.e.expect(r, 0)
			tok := strings.TrimSpace(x.e.must("token", k.name).stdout)
			x.e.secrets = append(x.e.secrets, tok)
			rep := readReport(t, out)
			if rep.TokenHash != hashOf(tok) || rep.FileHash != rep.TokenHash {
				t.Errorf("%s: the child's WISE_API_TOKEN or its file is not the entry's token", k.name)
			}
			if rep.Status != http.StatusOK {
				t.Errorf("%s: Wise answered the child's token with %d", k.name, rep.Status)
			}
			if rep.FileMode != "-rw-------" || rep.DirMode != "drwx------" || filepath.Base(rep.File) != "token" {
				t.Errorf("%s: token file %s mode %s in a folder of mode %s", k.name, rep.File, rep.FileMode, rep.DirMode)
			}
			if !strings.HasPrefix(rep.File, x.e.tmp+string(filepath.Separator)) {
				t.Errorf("%s: the token file %s is not under TMPDIR %s", k.name, rep.File, x.e.tmp)
			}
			if _, err := os.Lstat(filepath.Dir(rep.File)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: the token file's folder is still there after the child ended: %v", k.name, err)
			}
			if !slices.Contains(rep.Env, envAPIURL+"="+x.api) {
				t.Errorf("%s: WISE_API_URL is not %s", k.name, x.api)
			}
			for _, kv := range rep.Env {
				if strings.HasPrefix(kv, "WISEWALLET_PASSPHRASE=") || strings.HasPrefix(kv, "WISEWALLET_NEW_PASSPHRASE=") || strings.Contains(kv, pass.mark) {
					t.Errorf("%s: the child's environment holds the passphrase: %s", k.name, x.e.redact(kv))
				}
			}
			for where, s := range map[string]string{"the child's argv": strings.Join(rep.Argv, " "), "wisewallet's argv": r.cmdline,
				"stdout": r.stdout, "stderr": r.stderr} {
				if strings.Contains(s, tok) || strings.Contains(s, pass.mark) {
					t.Errorf("%s: a secret in %s", k.name, where)
				}
			}
			if r.cmdline == "" {
				t.Errorf("%s: wisewallet's argv was not read, so it was not checked", k.name)
			}
		})
	}
}

// clientPath is a GET a client-credentials token may make.
const clientPath = "/v1/auth/jose/response/public-keys?scope=PAYLOAD_SIGNING&algorithm=ES512"
