package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
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

// TestCanariesNeverLeak seeds the passphrase, the new passphrase and
// several tokens with canaries and runs every command and error path. No
// canary may appear in any output, any process's argv, the wallet file
// or any file under HOME, TMPDIR or the wallet folder, except a token on
// stdout of `show --reveal`, which must be there (so the search works).
func TestCanariesNeverLeak(t *testing.T) {
	keyringMu.Lock()
	defer keyringMu.Unlock()

	e := newCLIEnv(t)
	pass := newCanary(t, "PASS")
	newPass := newCanary(t, "NEWPASS")
	wrongPass := newCanary(t, "WRONGPASS")
	tok1, tok2, tok3 := newCanary(t, "TOK1"), newCanary(t, "TOK2"), newCanary(t, "TOK3")
	dupTok, badEnvTok, badTok := newCanary(t, "DUPTOK"), newCanary(t, "BADENVTOK"), newCanary(t, "BADTOK")
	all := []canary{pass, newPass, wrongPass, tok1, tok2, tok3, dupTok, badEnvTok, badTok}
	for _, c := range all {
		e.secrets = append(e.secrets, c.value, c.mark)
	}
	e.pass = pass.value

	// check runs c and asserts no canary leaked, except reveal on stdout,
	// which must be there.
	check := func(wantCode int, c call, reveal *canary) result {
		t.Helper()
		r := e.run(c)
		if r.code != wantCode {
			t.Errorf("%s", e.describe(r, "exit "+strconv.Itoa(wantCode)))
		}
		for _, x := range all {
			if reveal != nil && x == *reveal {
				if !strings.Contains(r.stdout, x.value) {
					t.Errorf("wisewallet %s: the revealed token is not on stdout", strings.Join(c.args, " "))
				}
				if strings.Contains(r.stderr, x.mark) {
					t.Errorf("wisewallet %s: canary %s on stderr", strings.Join(c.args, " "), x.name)
				}
				continue
			}
			for where, s := range map[string]string{"stdout": r.stdout, "stderr": r.stderr, "argv": r.cmdline + " " + strings.Join(r.args, " ")} {
				if strings.Contains(s, x.mark) {
					t.Errorf("wisewallet %s: canary %s in %s", e.redact(strings.Join(c.args, " ")), x.name, where)
				}
			}
		}
		if wantCode == 0 && c.stdin != nil && !strings.Contains(r.cmdline, strings.Join(c.args, " ")) {
			// A successful add waited on stdin until the token was written,
			// so its argv must have been readable: otherwise the argv check
			// above checked nothing.
			t.Errorf("wisewallet %s: /proc/PID/cmdline was not read (%q)", e.redact(strings.Join(c.args, " ")), e.redact(r.cmdline))
		}
		// The wallet on disk after every step, not only at the end.
		if data, err := os.ReadFile(e.walletFile()); err == nil {
			for _, x := range all {
				if bytes.Contains(data, []byte(x.mark)) {
					t.Errorf("after wisewallet %s: canary %s in the wallet file", e.redact(strings.Join(c.args, " ")), x.name)
				}
			}
		}
		return r
	}
	add := func(code int, name string, tok string, extra ...string) result {
		t.Helper()
		return check(code, call{args: append([]string{"add", "personal", name}, extra...), stdin: ptr(tok + "\n")}, nil)
	}
	withEnv := func(args []string, env map[string]string) call { return call{args: args, env: env} }
	noPass := map[string]string{"WISEWALLET_PASSPHRASE": ""}

	check(0, call{args: cheapInit}, nil)
	add(0, "t1", tok1.value, "--env", "sandbox")
	add(0, "t2", tok2.value, "--env", "production")
	add(0, "t3", tok3.value, "--env", "local", "--api-url", "http://127.0.0.1:9/")
	// Refused adds: the token was read (or would have been) and must not
	// come back in the error.
	add(exitError, "t1", dupTok.value, "--env", "sandbox")
	add(exitUsage, "t4", badEnvTok.value, "--env", "staging")
	add(exitUsage, "t4", badEnvTok.value, "--env", "local", "--api-url", "http://example.com")
	add(exitUsage, "t4", badTok.value+" "+badTok.value)
	add(exitUsage, "t4", badTok.value+" "+badTok.value, "--env", "sandbox")
	add(exitUsage, "t4", strings.Repeat(badTok.value, 10<<10/len(badTok.value)+1), "--env", "sandbox")
	check(exitWrongPass, call{args: []string{"add", "personal", "t4", "--env", "sandbox"}, stdin: ptr(badTok.value),
		env: map[string]string{"WISEWALLET_PASSPHRASE": wrongPass.value}}, nil)
	check(0, call{args: []string{"list"}}, nil)
	check(0, call{args: []string{"list", "--json"}}, nil)
	check(0, call{args: []string{"show", "t1"}}, nil)
	check(0, call{args: []string{"show", "t1", "--json"}}, nil)
	check(0, call{args: []string{"show", "t2", "--reveal"}}, &tok2)
	check(0, call{args: []string{"show", "t3", "--reveal", "--json"}}, &tok3)
	check(exitError, call{args: []string{"show", "nope", "--reveal"}}, nil)
	for _, args := range [][]string{{"list"}, {"show", "t1", "--reveal"}, {"rm", "t1"}, {"keyring", "enable"}} {
		check(exitWrongPass, withEnv(args, map[string]string{"WISEWALLET_PASSPHRASE": wrongPass.value}), nil)
	}
	check(exitWrongPass, withEnv([]string{"passwd"}, map[string]string{"WISEWALLET_PASSPHRASE": wrongPass.value, "WISEWALLET_NEW_PASSPHRASE": newPass.value}), nil)
	check(exitUsage, withEnv([]string{"list"}, noPass), nil)
	check(exitUsage, withEnv([]string{"show", "t2", "--reveal"}, noPass), nil)

	// OS keyring on and off.
	check(0, withEnv([]string{"keyring", "status"}, noPass), nil)
	if r := e.cmd("keyring", "enable"); r.code == 0 {
		t.Cleanup(func() { e.cmd("keyring", "disable") })
		check(0, withEnv([]string{"list", "--json"}, noPass), nil)
		check(0, withEnv([]string{"show", "t1", "--reveal"}, noPass), &tok1)
		check(0, withEnv([]string{"keyring", "status", "--json"}, noPass), nil)
		check(0, withEnv([]string{"keyring", "disable"}, noPass), nil)
		check(exitUsage, withEnv([]string{"list"}, noPass), nil)
	} else {
		t.Logf("keyring part not run: keyring enable exit %d: %s", r.code, e.redact(r.stderr))
	}

	check(0, call{args: []string{"rename", "t3", "t3b"}}, nil)
	check(0, call{args: []string{"rm", "t1"}}, nil)
	check(exitError, call{args: []string{"rm", "t1"}}, nil)
	check(0, withEnv([]string{"passwd"}, map[string]string{"WISEWALLET_NEW_PASSPHRASE": newPass.value}), nil)
	check(exitWrongPass, call{args: []string{"list"}}, nil) // the old passphrase
	e.pass = newPass.value
	check(0, call{args: []string{"show", "t2", "--reveal"}}, &tok2)
	check(exitError, call{args: cheapInit}, nil)

	// Damaged wallet, every reading command.
	good, err := os.ReadFile(e.walletFile())
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(good)
	bad[len(bad)/2] ^= 0x80
	if err := os.WriteFile(e.walletFile(), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"list"}, {"show", "t2", "--reveal"}, {"rm", "t2"}, {"keyring", "status"}} {
		check(exitDamaged, call{args: args}, nil)
	}
	check(exitDamaged, withEnv([]string{"passwd"}, map[string]string{"WISEWALLET_NEW_PASSPHRASE": wrongPass.value}), nil)
	if err := os.WriteFile(e.walletFile(), good, 0o600); err != nil {
		t.Fatal(err)
	}
	check(0, call{args: []string{"list", "--json"}}, nil)

	// Nothing on disk: HOME, TMPDIR and the wallet folder are all under root.
	err = filepath.WalkDir(e.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, x := range all {
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
