package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
)

// canary is a unique secret value; its random part is what is searched
// for, so a leak is caught even if the prefix was cut off.
type canary struct {
	name  string
	value string
	mark  string // the random part
}

func newCanary(t *testing.T, name string) canary {
	mark := randHex(t, 12)
	return canary{name: name, value: "CANARY-" + name + "-" + mark, mark: mark}
}

// canaryRig is one wallet folder seeded with canaries: the passphrase,
// the new passphrase, a wrong passphrase and several tokens.
type canaryRig struct {
	t                                                                     *testing.T
	e                                                                     *cliEnv
	pass, newPass, wrongPass, tok1, tok2, tok3, dupTok, badEnvTok, badTok canary
	clientSecret                                                          canary
	all                                                                   []canary
	// ran records the commands checked, for TestCanariesNeverLeak's
	// check that none of the tree was left out.
	ran *coverage
}

func newCanaryRig(t *testing.T, ran *coverage) *canaryRig {
	r := &canaryRig{t: t, e: newCLIEnv(t), ran: ran}
	r.pass, r.newPass, r.wrongPass = newCanary(t, "PASS"), newCanary(t, "NEWPASS"), newCanary(t, "WRONGPASS")
	r.tok1, r.tok2, r.tok3 = newCanary(t, "TOK1"), newCanary(t, "TOK2"), newCanary(t, "TOK3")
	r.dupTok, r.badEnvTok, r.badTok = newCanary(t, "DUPTOK"), newCanary(t, "BADENVTOK"), newCanary(t, "BADTOK")
	r.clientSecret = newCanary(t, "CLIENTSECRET")
	r.all = []canary{r.pass, r.newPass, r.wrongPass, r.tok1, r.tok2, r.tok3, r.dupTok, r.badEnvTok, r.badTok, r.clientSecret}
	for _, c := range r.all {
		r.e.secrets = append(r.e.secrets, c.value, c.mark)
	}
	r.e.pass = r.pass.value
	return r
}

// check runs c and asserts no canary leaked into its output or argv, or
// into the wallet file, except reveal on stdout, which must be there (so
// the search is known to work).
func (r *canaryRig) check(wantCode int, c call, reveal *canary) result {
	t, e := r.t, r.e
	t.Helper()
	r.ran.note(t, c.args)
	res := e.run(c)
	if res.code != wantCode {
		t.Errorf("%s", e.describe(res, "exit "+strconv.Itoa(wantCode)))
	}
	for _, x := range r.all {
		if reveal != nil && x == *reveal {
			if !strings.Contains(res.stdout, x.value) {
				t.Errorf("wisewallet %s: the revealed token is not on stdout", strings.Join(c.args, " "))
			}
			if strings.Contains(res.stderr, x.mark) {
				t.Errorf("wisewallet %s: canary %s on stderr", strings.Join(c.args, " "), x.name)
			}
			continue
		}
		for where, s := range map[string]string{"stdout": res.stdout, "stderr": res.stderr, "argv": res.cmdline + " " + strings.Join(res.args, " ")} {
			if strings.Contains(s, x.mark) {
				t.Errorf("wisewallet %s: canary %s in %s", e.redact(strings.Join(c.args, " ")), x.name, where)
			}
		}
	}
	if wantCode == 0 && c.stdin != nil && !strings.Contains(res.cmdline, strings.Join(c.args, " ")) {
		// A successful add waited on stdin until the token was written,
		// so its argv must have been readable: otherwise the argv check
		// above checked nothing.
		t.Errorf("wisewallet %s: /proc/PID/cmdline was not read (%q)", e.redact(strings.Join(c.args, " ")), e.redact(res.cmdline))
	}
	// The wallet on disk after every step, not only at the end.
	if data, err := os.ReadFile(e.walletFile()); err == nil {
		for _, x := range r.all {
			if bytes.Contains(data, []byte(x.mark)) {
				t.Errorf("after wisewallet %s: canary %s in the wallet file", e.redact(strings.Join(c.args, " ")), x.name)
			}
		}
	}
	return res
}

func (r *canaryRig) add(code int, name string, tok string, extra ...string) result {
	r.t.Helper()
	return r.check(code, call{args: append([]string{"add", "personal", name}, extra...), stdin: ptr(tok + "\n")}, nil)
}

// noFileHoldsACanary walks HOME, TMPDIR and the wallet folder (all under
// the rig's root).
func (r *canaryRig) noFileHoldsACanary() {
	t := r.t
	err := filepath.WalkDir(r.e.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, x := range r.all {
			if bytes.Contains(data, []byte(x.mark)) {
				t.Errorf("canary %s in %s", x.name, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func withEnv(args []string, env map[string]string) call { return call{args: args, env: env} }

var noPass = map[string]string{"WISEWALLET_PASSPHRASE": ""}

// TestCanariesNeverLeak runs every command and error path with canaries
// in every secret. No canary may appear in any output, any process's
// argv, the wallet file or any file under HOME, TMPDIR or the wallet
// folder, except a token on stdout of `show --reveal`, which must be
// there. The parts are independent wallets, run in parallel.
func TestCanariesNeverLeak(t *testing.T) {
	t.Parallel()
	var ran coverage
	// After every part: each command of the tree ran in one of them.
	t.Cleanup(func() {
		if t.Skipped() {
			return
		}
		for _, path := range ran.missing(t) {
			t.Errorf("%s never ran with canaries: add it to a part of TestCanariesNeverLeak", path)
		}
	})
	t.Run("adds and reads", func(t *testing.T) {
		t.Parallel()
		r := newCanaryRig(t, &ran)
		defer r.noFileHoldsACanary()
		r.check(0, call{args: cheapInit}, nil)
		r.add(0, "t1", r.tok1.value, "--env", "sandbox")
		r.add(0, "t2", r.tok2.value, "--env", "production")
		r.add(0, "t3", r.tok3.value, "--env", "local", "--api-url", "http://127.0.0.1:9/")
		// Refused adds: the token was read (or would have been) and must not
		// come back in the error.
		r.add(exitError, "t1", r.dupTok.value, "--env", "sandbox")
		r.add(exitUsage, "t4", r.badEnvTok.value, "--env", "staging")
		r.add(exitUsage, "t4", r.badEnvTok.value, "--env", "local", "--api-url", "http://example.com")
		r.add(exitUsage, "t4", r.badTok.value+" "+r.badTok.value)
		r.add(exitUsage, "t4", r.badTok.value+" "+r.badTok.value, "--env", "sandbox")
		r.add(exitUsage, "t4", strings.Repeat(r.badTok.value, 10<<10/len(r.badTok.value)+1), "--env", "sandbox")
		r.check(exitWrongPass, call{args: []string{"add", "personal", "t4", "--env", "sandbox"}, stdin: ptr(r.badTok.value),
			env: map[string]string{"WISEWALLET_PASSPHRASE": r.wrongPass.value}}, nil)
		r.check(0, call{args: []string{"list"}}, nil)
		r.check(0, call{args: []string{"list", "--json"}}, nil)
		r.check(0, call{args: []string{"show", "t1"}}, nil)
		r.check(0, call{args: []string{"show", "t1", "--json"}}, nil)
		r.check(0, call{args: []string{"show", "t2", "--reveal"}}, &r.tok2)
		r.check(0, call{args: []string{"show", "t3", "--reveal", "--json"}}, &r.tok3)
		r.check(exitError, call{args: []string{"show", "nope", "--reveal"}}, nil)
	})

	t.Run("wrong or missing passphrase", func(t *testing.T) {
		t.Parallel()
		r := newCanaryRig(t, &ran)
		defer r.noFileHoldsACanary()
		r.check(0, call{args: cheapInit}, nil)
		r.add(0, "t1", r.tok1.value, "--env", "sandbox")
		r.add(0, "t2", r.tok2.value, "--env", "production")
		for _, args := range [][]string{{"list"}, {"show", "t1", "--reveal"}, {"rm", "t1", "--yes"}, {"keyring", "enable"}} {
			r.check(exitWrongPass, withEnv(args, map[string]string{"WISEWALLET_PASSPHRASE": r.wrongPass.value}), nil)
		}
		r.check(exitWrongPass, withEnv([]string{"passwd"}, map[string]string{"WISEWALLET_PASSPHRASE": r.wrongPass.value, "WISEWALLET_NEW_PASSPHRASE": r.newPass.value}), nil)
		r.check(exitUsage, withEnv([]string{"list"}, noPass), nil)
		r.check(exitUsage, withEnv([]string{"show", "t2", "--reveal"}, noPass), nil)
		r.check(0, withEnv([]string{"keyring", "status"}, noPass), nil)
	})

	t.Run("rename, remove, new passphrase", func(t *testing.T) {
		t.Parallel()
		r := newCanaryRig(t, &ran)
		defer r.noFileHoldsACanary()
		r.check(0, call{args: cheapInit}, nil)
		r.add(0, "t1", r.tok1.value, "--env", "sandbox")
		r.add(0, "t2", r.tok2.value, "--env", "production")
		r.add(0, "t3", r.tok3.value, "--env", "local", "--api-url", "http://127.0.0.1:9/")
		r.check(0, call{args: []string{"rename", "t3", "t3b"}}, nil)
		// edit: a new token stored unchecked, one Wise cannot be asked
		// about (a dead host), one for an entry that takes no secret.
		r.check(0, call{args: []string{"edit", "t3b", "--token", "--no-check"}, stdin: ptr(r.dupTok.value + "\n")}, nil)
		r.check(exitError, call{args: []string{"edit", "t3b", "--token"}, stdin: ptr(r.badTok.value + "\n")}, nil)
		r.check(exitUsage, call{args: []string{"edit", "t2", "--client-secret"}, stdin: ptr(r.badEnvTok.value + "\n")}, nil)
		r.check(0, call{args: []string{"rm", "t1", "--yes"}}, nil)
		r.check(exitError, call{args: []string{"rm", "t1", "--yes"}}, nil)
		r.check(0, withEnv([]string{"passwd"}, map[string]string{"WISEWALLET_NEW_PASSPHRASE": r.newPass.value}), nil)
		r.check(exitWrongPass, call{args: []string{"list"}}, nil) // the old passphrase
		r.e.pass = r.newPass.value
		r.check(0, call{args: []string{"show", "t2", "--reveal"}}, &r.tok2)
		r.check(exitError, call{args: cheapInit}, nil)
		r.check(0, call{args: []string{"list", "--json"}}, nil)
	})

	t.Run("the agent", func(t *testing.T) {
		t.Parallel()
		r := newCanaryRig(t, &ran)
		defer r.noFileHoldsACanary()
		agentRuntime(t, r.e)
		r.check(0, call{args: cheapInit}, nil)
		r.add(0, "t1", r.tok1.value, "--env", "sandbox")
		r.check(exitError, call{args: []string{"agent", "status"}}, nil)
		r.check(exitWrongPass, withEnv([]string{"agent", "start"}, map[string]string{"WISEWALLET_PASSPHRASE": r.wrongPass.value}), nil)
		r.check(0, call{args: []string{"agent", "start", "--timeout", "5m"}}, nil)
		r.check(0, withEnv([]string{"agent", "status", "--json"}, noPass), nil)
		r.check(0, withEnv([]string{"token", "t1"}, noPass), &r.tok1)
		r.check(0, withEnv([]string{"list", "--json"}, noPass), nil)
		r.check(exitError, withEnv([]string{"token", "nope"}, noPass), nil)
		r.check(0, withEnv([]string{"agent", "lock"}, noPass), nil)
		r.check(exitUsage, withEnv([]string{"token", "t1"}, noPass), nil)
		r.check(0, withEnv([]string{"agent", "stop"}, noPass), nil)
		r.check(exitUsage, withEnv([]string{"agent", "bogus"}, noPass), nil)
	})

	t.Run("keyring on and off", func(t *testing.T) {
		t.Parallel()
		r := newCanaryRig(t, &ran)
		defer r.noFileHoldsACanary()
		r.check(0, call{args: cheapInit}, nil)
		r.add(0, "t1", r.tok1.value, "--env", "sandbox")
		keyringMu.Lock()
		defer keyringMu.Unlock()
		if res := r.e.cmd("keyring", "enable"); res.code != 0 {
			t.Skipf("keyring part not run: keyring enable exit %d: %s", res.code, r.e.redact(res.stderr))
		}
		t.Cleanup(func() { r.e.cmd("keyring", "disable") })
		r.check(0, withEnv([]string{"list", "--json"}, noPass), nil)
		r.check(0, withEnv([]string{"show", "t1", "--reveal"}, noPass), &r.tok1)
		r.check(0, withEnv([]string{"keyring", "status", "--json"}, noPass), nil)
		r.check(0, withEnv([]string{"keyring", "disable"}, noPass), nil)
		r.check(exitUsage, withEnv([]string{"list"}, noPass), nil)
	})

	t.Run("damaged wallet", func(t *testing.T) {
		t.Parallel()
		r := newCanaryRig(t, &ran)
		defer r.noFileHoldsACanary()
		r.check(0, call{args: cheapInit}, nil)
		r.add(0, "t2", r.tok2.value, "--env", "production")
		good, err := os.ReadFile(r.e.walletFile())
		if err != nil {
			t.Fatal(err)
		}
		bad := bytes.Clone(good)
		bad[len(bad)/2] ^= 0x80
		if err := os.WriteFile(r.e.walletFile(), bad, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"list"}, {"show", "t2", "--reveal"}, {"rm", "t2", "--yes"}, {"keyring", "status"}} {
			r.check(exitDamaged, call{args: args}, nil)
		}
		r.check(exitDamaged, withEnv([]string{"passwd"}, map[string]string{"WISEWALLET_NEW_PASSPHRASE": r.wrongPass.value}), nil)
		if err := os.WriteFile(r.e.walletFile(), good, 0o600); err != nil {
			t.Fatal(err)
		}
		r.check(0, call{args: []string{"show", "t2", "--reveal"}}, &r.tok2)
	})
	t.Run("mtls", func(t *testing.T) {
		t.Parallel()
		// The private key is made by keygen, so its canary is taken from
		// it: a line of its base64 body, which is what a leak would show.
		r := newCanaryRig(t, &ran)
		defer r.noFileHoldsACanary()
		srv, base := lwtest.Start(t, localwise.Config{})
		r.check(0, call{args: cheapInit}, nil)
		r.check(0, call{args: []string{"add", "client", "c1", "--env", "local", "--api-url", base, "--client-id", localwise.DemoClientID, "--no-check"},
			stdin: ptr(localwise.DemoClientSecret + "\n")}, nil)
		r.e.secrets = append(r.e.secrets, localwise.DemoClientSecret)
		mtls := []string{"--for", "c1", "--mtls-url", srv.MTLSURL()}
		r.check(0, call{args: append([]string{"mtls", "keygen", "m1", "--org", "Acme", "--json"}, mtls...)}, nil)
		key := r.privateKeyCanary("m1", "KEY1")
		r.check(exitUsage, call{args: append([]string{"mtls", "keygen", "m2", "--org", ""}, mtls...)}, nil)
		csr := r.check(0, call{args: []string{"mtls", "csr", "m1"}}, nil).stdout
		cert, ca := lwtest.IssueCertificate(t, srv, localwise.DemoClientID, localwise.DemoClientSecret, "m1", []byte(csr))
		r.check(0, call{args: []string{"mtls", "import-cert", "m1", "--json"}, stdin: ptr(string(cert) + string(ca))}, nil)
		r.check(exitError, call{args: []string{"mtls", "import-cert", "m1"}, stdin: ptr(string(ca))}, nil) // the CA is not m1's certificate
		r.check(0, call{args: []string{"mtls", "check", "m1"}}, nil)
		r.check(0, call{args: []string{"mtls", "check", "m1", "--json"}}, nil)
		r.check(0, call{args: []string{"mtls", "cert", "m1"}}, nil)
		r.check(0, call{args: []string{"mtls", "cert", "m1", "--ca"}}, nil)
		r.check(0, call{args: []string{"show", "m1", "--reveal", "--json"}}, &key)
		r.check(0, call{args: []string{"mtls", "renew", "m1", "--json"}}, nil)
		r.privateKeyCanary("m1", "PENDINGKEY")
		r.check(0, call{args: []string{"show", "m1"}}, nil)
		r.check(0, call{args: []string{"show", "m1", "--json"}}, nil)
		r.check(0, call{args: []string{"status", "--json"}}, nil)
		r.check(0, call{args: []string{"mtls", "keygen", "m3", "--org", "Acme", "--env", "local", "--api-url", base, "--mtls-url", srv.MTLSURL()}}, nil)
		r.check(0, call{args: []string{"mtls", "link", "m3", "c1"}}, nil)
		r.check(exitUsage, call{args: []string{"mtls"}}, nil)
	})
	t.Run("jose", func(t *testing.T) {
		t.Parallel()
		// Private keys are canaries taken from keygen and rotate; the
		// client-credentials token from its first fetch; payloads go in
		// on stdin and must come out only where they are the answer.
		r := newCanaryRig(t, &ran)
		defer r.noFileHoldsACanary()
		_, base := lwtest.Start(t, localwise.Config{})
		r.check(0, call{args: cheapInit}, nil)
		r.check(0, call{args: []string{"add", "client", "c1", "--env", "local", "--api-url", base, "--client-id", localwise.DemoClientID, "--no-check"},
			stdin: ptr(localwise.DemoClientSecret + "\n")}, nil)
		r.e.secrets = append(r.e.secrets, localwise.DemoClientSecret)
		r.check(0, call{args: []string{"jose", "keygen", "s1", "--use", "sig", "--for", "c1", "--json"}}, nil)
		r.privateKeyCanary("s1", "SIGKEY")
		r.check(0, call{args: []string{"jose", "keygen", "e1", "--use", "enc", "--for", "c1"}}, nil)
		encKey := r.privateKeyCanary("e1", "ENCKEY")
		r.check(0, call{args: []string{"jose", "keygen", "j3", "--use", "sig", "--alg", "PS256", "--env", "local", "--api-url", base}}, nil)
		r.check(exitUsage, call{args: []string{"jose", "keygen", "j4", "--use", "sig", "--alg", "RS256", "--for", "c1"}}, nil)
		for _, f := range []string{"--jwk", "--pem", "--der"} {
			r.check(0, call{args: []string{"jose", "pubkey", "s1", f}}, nil)
		}
		r.check(0, call{args: []string{"jose", "pubkey", "e1"}}, nil)
		r.check(0, call{args: []string{"jose", "upload", "s1"}}, nil)
		r.check(0, call{args: []string{"jose", "upload", "e1", "--json"}}, nil)
		r.check(exitUsage, call{args: []string{"jose", "upload", "j3"}}, nil) // not linked to a client
		r.check(0, call{args: []string{"jose", "link", "j3", "c1"}}, nil)
		r.check(0, call{args: []string{"jose", "upload", "j3"}}, nil)
		r.tokenCanary("c1", "CCTOKEN")
		r.check(0, call{args: []string{"jose", "wise-keys", "c1"}}, nil)
		r.check(0, call{args: []string{"jose", "wise-keys", "c1", "--json"}}, nil)

		payload := newCanary(t, "PAYLOAD")
		r.all = append(r.all, payload)
		r.e.secrets = append(r.e.secrets, payload.value)
		jws := r.check(0, call{args: []string{"jose", "sign", "s1", "--url", "/v1/x"}, stdin: ptr(payload.value)}, nil).stdout
		r.check(0, call{args: []string{"jose", "verify", "s1", "--url", "/v1/x"}, stdin: ptr(jws)}, &payload)
		// Refused tokens that carry the payload: the error does not show it.
		parts := strings.Split(strings.TrimSpace(jws), ".")
		other := b64.EncodeToString([]byte(payload.value + " changed"))
		r.check(exitError, call{args: []string{"jose", "verify", "s1"}, stdin: ptr(parts[0] + "." + other + "." + parts[2])}, nil)
		r.check(exitError, call{args: []string{"jose", "verify", "s1", "--url", "/v1/other"}, stdin: ptr(jws)}, nil)
		r.check(exitError, call{args: []string{"jose", "verify", "s1"}, stdin: ptr(payload.value + "." + payload.value)}, nil)
		r.check(exitError, call{args: []string{"jose", "verify", "s1"}, stdin: ptr(b64.EncodeToString([]byte(`{"alg":"HS256"}`)) + "." + other + ".AAAA")}, nil)
		jwe := r.check(0, call{args: []string{"jose", "encrypt", "e1"}, stdin: ptr(payload.value)}, nil).stdout
		r.check(0, call{args: []string{"jose", "decrypt", "e1"}, stdin: ptr(jwe)}, &payload)
		jweParts := strings.Split(strings.TrimSpace(jwe), ".")
		jweParts[3] = other
		r.check(exitError, call{args: []string{"jose", "decrypt", "e1"}, stdin: ptr(strings.Join(jweParts, "."))}, nil)
		r.check(exitError, call{args: []string{"jose", "decrypt", "e1"}, stdin: ptr(payload.value)}, nil)
		r.check(0, call{args: []string{"jose", "encrypt", "c1", "--url", "/v1/x"}, stdin: ptr(payload.value)}, nil)
		for _, mode := range []string{"jws", "jwe", "jwe-get", "jwsjwe", "jwe-direct"} {
			r.check(0, call{args: []string{"jose", "playground", "c1", mode}}, nil)
			r.check(0, call{args: []string{"jose", "playground", "c1", mode, "--json"}}, nil)
		}
		r.check(0, call{args: []string{"show", "e1", "--reveal", "--json"}}, &encKey)
		r.check(0, call{args: []string{"jose", "rotate", "s1", "--json"}}, nil)
		r.privateKeyCanary("s1", "SIGKEY2")
		r.check(0, call{args: []string{"jose", "rotate", "e1", "--overlap", "1h"}}, nil)
		r.privateKeyCanary("e1", "ENCKEY2")
		r.check(0, call{args: []string{"jose", "playground", "c1", "jwsjwe", "--json"}}, nil)
		r.check(0, call{args: []string{"show", "s1"}}, nil)
		r.check(0, call{args: []string{"show", "e1", "--json"}}, nil)
		r.check(0, call{args: []string{"status", "--json"}}, nil)
		r.check(0, call{args: []string{"list", "--json"}}, nil)
		r.check(exitUsage, call{args: []string{"jose"}}, nil)
	})
	t.Run("sca refusals before any call", func(t *testing.T) {
		t.Parallel()
		// What is refused before Wise is asked: a PIN of the wrong shape
		// (a canary) piped in, a token that is none, a key too small, no
		// terminal to answer a challenge on, unknown entries.
		r := newCanaryRig(t, &ran)
		defer r.noFileHoldsACanary()
		pin := newCanary(t, "PIN")
		r.all = append(r.all, pin)
		r.e.secrets = append(r.e.secrets, pin.value, pin.mark)
		r.check(0, call{args: cheapInit}, nil)
		r.add(0, "t1", r.tok1.value, "--env", "sandbox")
		for _, args := range [][]string{{"sca"}, {"sca", "pin"}, {"sca", "device"}, {"sca", "status", "t1", "not-a-token"},
			{"sca", "sign", "k1", "not-a-token"}, {"sca", "keygen", "k1", "--bits", "1024", "--for", "t1"}} {
			r.check(exitUsage, call{args: args}, nil)
		}
		r.check(exitUsage, call{args: []string{"sca", "pin", "set", "t1"}, stdin: ptr(pin.value + "\n")}, nil)
		r.check(exitUsage, call{args: []string{"sca", "pin", "change", "t1", "--profile", "7"}, stdin: ptr(pin.value + "\n")}, nil)
		r.check(exitSCA, call{args: []string{"sca", "approve", "t1", testOTT}}, nil)
		r.check(exitSCA, call{args: []string{"sca", "session", "t1"}}, nil)
		for _, args := range [][]string{{"sca", "pin", "delete", "nope"}, {"sca", "device", "add", "nope"}, {"sca", "device", "list", "nope"},
			{"sca", "device", "rm", "nope", "d1"}, {"sca", "keygen", "k1", "--for", "nope"}, {"sca", "pubkey", "nope"},
			{"sca", "upload", "nope"}, {"sca", "factors", "nope"}} {
			r.check(exitError, call{args: args}, nil)
		}
		r.check(0, call{args: []string{"sca", "factors", "t1", "--json"}}, nil)
	})
	t.Run("sca", func(t *testing.T) {
		t.Parallel()
		// The personal token is a canary localwise takes as the demo
		// user's; the user's token, the SCA key and the device
		// fingerprint are canaries taken from what the commands made.
		// PINs and codes, too short to search for here, are searched as
		// words of their own on the terminal in sca_flow_test.go.
		r := newCanaryRig(t, &ran)
		defer r.noFileHoldsACanary()
		srv, base := lwtest.Start(t, localwise.Config{SCAMode: localwise.SCAAlways})
		srv.AddPersonalToken(r.tok1.value)
		d := srv.Demo()
		r.check(0, call{args: cheapInit}, nil)
		r.check(0, call{args: []string{"add", "client", "c1", "--env", "local", "--api-url", base, "--client-id", d.ClientID, "--redirect-url", d.RedirectURL, "--no-check"},
			stdin: ptr(d.ClientSecret + "\n")}, nil)
		r.e.secrets = append(r.e.secrets, d.ClientSecret)
		r.add(0, "p1", r.tok1.value, "--env", "local", "--api-url", base, "--no-check=false")
		loginDemoUser(t, r.e, "c1", "u1", d.PersonalProfileID)
		userTok := r.tokenCanary("u1", "USERTOKEN")
		r.check(0, call{args: []string{"sca", "pin", "set", "u1"}, stdin: ptr("4821\n")}, nil)
		r.check(exitError, call{args: []string{"sca", "pin", "set", "u1", "--profile", strconv.FormatInt(d.PersonalProfileID, 10)}, stdin: ptr("4821\n")}, nil)
		r.check(0, call{args: []string{"sca", "device", "add", "u1", "--json"}}, nil)
		r.secretCanary("u1", "device_fingerprint", "FINGERPRINT")
		r.check(exitError, call{args: []string{"sca", "device", "add", "u1"}}, nil) // registered already
		r.check(0, call{args: []string{"sca", "device", "list", "u1"}}, nil)
		r.check(0, call{args: []string{"sca", "device", "list", "u1", "--json"}}, nil)
		r.check(0, call{args: []string{"sca", "factors", "u1"}}, nil)
		r.check(0, call{args: []string{"sca", "factors", "u1", "--json"}}, nil)
		pay := protected{http.MethodPost, fmt.Sprintf("/v3/profiles/%d/transfers/1/payments", d.PersonalProfileID), []byte(`{"type":"BALANCE"}`)}
		ott := challengeAt(t, base, userTok.value, pay)
		r.check(0, call{args: []string{"sca", "status", "u1", ott}}, nil)
		r.check(0, call{args: []string{"sca", "status", "u1", ott, "--json"}}, nil)
		r.check(exitSCA, call{args: []string{"sca", "approve", "u1", ott}}, nil)
		// Deleting a factor is protected: with no terminal to clear it on, 6.
		r.check(exitSCA, call{args: []string{"sca", "device", "rm", "u1"}}, nil)
		r.check(exitSCA, call{args: []string{"sca", "pin", "delete", "u1"}}, nil)
		r.check(0, call{args: []string{"sca", "keygen", "k1", "--for", "p1", "--json"}}, nil)
		key := r.privateKeyCanary("k1", "SCAKEY")
		r.check(0, call{args: []string{"sca", "pubkey", "k1"}}, nil)
		r.check(0, call{args: []string{"sca", "upload", "k1", "--json"}}, nil)
		ott2 := challengeAt(t, base, r.tok1.value, pay)
		r.check(0, call{args: []string{"sca", "sign", "k1", ott2}}, nil)
		r.check(0, call{args: []string{"sca", "status", "p1", ott2}}, nil)
		r.check(0, call{args: []string{"sca", "factors", "p1"}}, nil)
		r.check(exitUsage, call{args: []string{"sca", "sign", "p1", ott2}}, nil)
		r.check(0, call{args: []string{"show", "k1", "--reveal", "--json"}}, &key)
		r.check(0, call{args: []string{"show", "u1", "--json"}}, nil)
		r.check(0, call{args: []string{"show", "k1"}}, nil)
		r.check(0, call{args: []string{"status", "--json"}}, nil)
		r.check(0, call{args: []string{"list", "--json"}}, nil)
		// Every call above is in the audit log (which noFileHoldsACanary
		// searches too), and the checks for scripts print no canary.
		r.check(0, call{args: []string{"whoami", "p1", "--check"}}, nil)
		r.check(0, call{args: []string{"whoami", "u1", "--check"}}, nil)
		r.check(0, call{args: []string{"status", "--check"}}, nil)
		r.check(0, call{args: []string{"log"}}, nil)
		if res := r.check(0, call{args: []string{"log", "--json", "--since", "1h"}}, nil); strings.Count(res.stdout, "\n") < 10 {
			t.Errorf("the audit log has %d records of this part's calls, want them all", strings.Count(res.stdout, "\n"))
		}
	})
	t.Run("exec and request", func(t *testing.T) { canariesThroughExecAndRequest(t, &ran) })
	t.Run("every other command", func(t *testing.T) {
		t.Parallel()
		r := newCanaryRig(t, &ran)
		defer r.noFileHoldsACanary()
		r.check(0, call{args: cheapInit}, nil)
		r.add(0, "t1", r.tok1.value, "--env", "sandbox")
		r.add(0, "t3", r.tok3.value, "--env", "local", "--api-url", "http://127.0.0.1:9/")
		r.check(0, call{args: []string{"add", "client", "c1", "--env", "local", "--api-url", "http://127.0.0.1:9/", "--client-id", "id-1",
			"--redirect-url", "http://127.0.0.1:9/callback", "--no-check"}, stdin: ptr(r.clientSecret.value + "\n")}, nil)
		// A personal token is its own access token.
		r.check(0, call{args: []string{"token", "t1"}}, &r.tok1)
		// Wise is not there: the error must not carry the token.
		r.check(exitError, call{args: []string{"whoami", "t3"}}, nil)
		// A pasted redirect of another login: refused before any call to Wise.
		r.check(exitError, call{args: []string{"login", "c1", "--as", "u1", "--paste", "--no-browser"},
			stdin: ptr("http://127.0.0.1:9/callback?code=c&state=not-this-login\n")}, nil)
		r.check(0, call{args: []string{"status"}}, nil)
		r.check(0, call{args: []string{"status", "--json"}}, nil)
		r.check(0, call{args: []string{"keyring", "disable"}}, nil) // no slot: nothing to do
		r.check(0, call{args: []string{"demo", "--once"}}, nil)
		r.check(exitUsage, call{args: []string{"localwise", "--token-ttl", "0"}}, nil)
		r.check(0, call{args: []string{"completion", "bash"}}, nil)
		r.check(0, call{args: []string{"man"}}, nil)
		r.check(0, call{args: []string{"help"}}, nil)
		r.check(exitUsage, call{}, nil) // no command, no terminal: the usage
		r.check(exitUsage, call{args: []string{"add"}}, nil)
		r.check(exitUsage, call{args: []string{"keyring"}}, nil)
		// Completing names with the passphrase only in the environment.
		res := r.check(0, call{args: []string{"__complete", "show", ""}}, nil)
		if strings.Contains(res.stdout, "t1") {
			t.Errorf("names completed from WISEWALLET_PASSPHRASE:\n%s", res.stdout)
		}
	})
}

// tokenCanary makes a canary of client's access token, fetched (and
// cached) by `token` outside the checks.
func (r *canaryRig) tokenCanary(client, label string) canary {
	r.t.Helper()
	tok := strings.TrimSpace(r.e.must("token", client).stdout)
	if len(tok) < 16 {
		r.t.Fatalf("token %s printed %q", client, tok)
	}
	c := canary{name: label, value: tok, mark: tok}
	r.all = append(r.all, c)
	r.e.secrets = append(r.e.secrets, tok)
	return c
}

// secretCanary makes a canary of entry name's secret, read with show
// --reveal outside the checks.
func (r *canaryRig) secretCanary(name, secret, label string) canary {
	r.t.Helper()
	var shown struct {
		Secrets map[string]string `json:"secrets"`
	}
	if err := json.Unmarshal([]byte(r.e.must("show", name, "--reveal", "--json").stdout), &shown); err != nil {
		r.t.Fatal(err)
	}
	v := shown.Secrets[secret]
	if len(v) < 16 {
		r.t.Fatalf("%s holds no %s", name, secret)
	}
	c := canary{name: label, value: v, mark: v}
	r.all = append(r.all, c)
	r.e.secrets = append(r.e.secrets, v)
	return c
}

// privateKeyCanary makes a canary of the newest private key of entry name
// (the renewal's when one is under way): one line of its PEM body, read
// with show --reveal outside the checks.
func (r *canaryRig) privateKeyCanary(name, label string) canary {
	r.t.Helper()
	res := r.e.must("show", name, "--reveal", "--json")
	var shown struct {
		Secrets map[string]string `json:"secrets"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &shown); err != nil {
		r.t.Fatal(err)
	}
	pemKey := shown.Secrets["private_key"]
	if p := shown.Secrets["pending_private_key"]; p != "" {
		pemKey = p
	}
	lines := strings.Split(strings.TrimSpace(pemKey), "\n")
	if len(lines) < 3 {
		r.t.Fatalf("%s holds no PEM private key", name)
	}
	c := canary{name: label, value: lines[1], mark: lines[1]}
	r.all = append(r.all, c)
	r.e.secrets = append(r.e.secrets, c.value)
	return c
}
