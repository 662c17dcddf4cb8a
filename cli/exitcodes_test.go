package cli

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// fileState is what must not change when a command fails.
type fileState struct {
	data  []byte
	mode  os.FileMode
	ino   uint64
	mtime time.Time
}

func stateOf(t *testing.T, path string) fileState {
	t.Helper()
	info, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fileState{data: data, mode: info.Mode(), ino: info.Sys().(*syscall.Stat_t).Ino, mtime: info.ModTime()}
}

// assertUntouched checks the wallet file and that no temp file was left
// in its folder.
func assertUntouched(t *testing.T, e *cliEnv, before fileState, what string) {
	t.Helper()
	after := stateOf(t, e.walletFile())
	if !bytes.Equal(before.data, after.data) {
		t.Errorf("%s: wallet bytes changed", what)
	}
	if before.mode != after.mode || before.ino != after.ino || !before.mtime.Equal(after.mtime) {
		t.Errorf("%s: wallet mode/inode/mtime changed: %v %d %v -> %v %d %v", what,
			before.mode, before.ino, before.mtime, after.mode, after.ino, after.mtime)
	}
	assertNoTempFiles(t, e, what)
}

func assertNoTempFiles(t *testing.T, e *cliEnv, what string) {
	t.Helper()
	ents, err := os.ReadDir(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range ents {
		if n := ent.Name(); n != "wallet.ww" && n != "wallet.lock" {
			t.Errorf("%s: left %s in the wallet folder", what, n)
		}
	}
}

// exitCase is how the exit-code suites run one command of the tree, and
// the exit code it must give with a wrong passphrase, with none, and on a
// damaged wallet.
type exitCase struct {
	call                       call
	wrongPass, noPass, damaged int
	// opens: the command unlocks the wallet, so those codes are the
	// wallet's (3, 2, 4) and come with their messages.
	opens bool
	// keyring: the command uses the OS keyring, which tests share.
	keyring bool
}

// opensWallet is a command that gets as far as unlocking with c.
func opensWallet(c call) exitCase {
	return exitCase{call: c, wrongPass: exitWrongPass, noPass: exitUsage, damaged: exitDamaged, opens: true}
}

// ignoresWallet is a command that never opens the wallet: it answers code
// whatever state the wallet is in, and leaves it as it is.
func ignoresWallet(code int, c call) exitCase {
	return exitCase{call: c, wrongPass: code, noPass: code, damaged: code}
}

// exitCases has at least one invocation of every command of the tree
// (TestExitCodeSuiteCoversEveryCommand checks), with what it needs to get
// as far as unlocking (an entry e1 exists).
var exitCases = map[string][]exitCase{
	// No terminal: the usage, exit 2.
	"wisewallet":      {ignoresWallet(exitUsage, call{})},
	"wisewallet demo": {ignoresWallet(exitOK, call{args: []string{"demo", "--once"}})},
	// "already exists", before any passphrase is looked for.
	"wisewallet init":         {ignoresWallet(exitError, call{args: cheapInit})},
	"wisewallet add":          {ignoresWallet(exitUsage, call{args: []string{"add"}})},
	"wisewallet add personal": {opensWallet(call{args: []string{"add", "personal", "e2", "--env", "sandbox"}, stdin: ptr("tok-e2")})},
	"wisewallet add client": {opensWallet(call{args: []string{"add", "client", "c2", "--env", "local", "--api-url", "http://127.0.0.1:9/",
		"--client-id", "id-2", "--no-check"}, stdin: ptr("secret-c2")})},
	"wisewallet login":  {opensWallet(call{args: []string{"login", "c1", "--as", "u1", "--paste", "--no-browser"}, stdin: ptr("not-a-url\n")})},
	"wisewallet token":  {opensWallet(call{args: []string{"token", "e1"}})},
	"wisewallet whoami": {opensWallet(call{args: []string{"whoami", "e1"}}), opensWallet(call{args: []string{"whoami", "e1", "--check"}})},
	"wisewallet status": {opensWallet(call{args: []string{"status", "--json"}}), opensWallet(call{args: []string{"status", "--check"}})},
	// The audit log holds no secret: it is read without unlocking.
	"wisewallet log":  {ignoresWallet(exitOK, call{args: []string{"log"}})},
	"wisewallet list": {opensWallet(call{args: []string{"list"}}), opensWallet(call{args: []string{"list", "--json"}})},
	"wisewallet show": {opensWallet(call{args: []string{"show", "e1"}}),
		opensWallet(call{args: []string{"show", "e1", "--reveal", "--json"}})},
	"wisewallet rm":      {opensWallet(call{args: []string{"rm", "e1", "--yes"}})},
	"wisewallet rename":  {opensWallet(call{args: []string{"rename", "e1", "e3"}})},
	"wisewallet edit":    {opensWallet(call{args: []string{"edit", "e1", "--token", "--no-check"}, stdin: ptr("tok-e1-new")})},
	"wisewallet passwd":  {opensWallet(call{args: []string{"passwd"}, env: map[string]string{"WISEWALLET_NEW_PASSPHRASE": "another-one"}})},
	"wisewallet keyring": {ignoresWallet(exitUsage, call{args: []string{"keyring"}})},
	// It reads the header (so a damaged file is reported) but never
	// needs the passphrase.
	"wisewallet keyring status":  {{call: call{args: []string{"keyring", "status"}}, wrongPass: exitOK, noPass: exitOK, damaged: exitDamaged}},
	"wisewallet keyring enable":  {usesKeyring(opensWallet(call{args: []string{"keyring", "enable"}}))},
	"wisewallet keyring disable": {opensWallet(call{args: []string{"keyring", "disable"}})},
	// No agent runs in these tests: stop and lock say so (exit 0), status
	// exits 1; start unlocks here before it starts one (and never gets
	// further). A short runtime dir: the default under a test's TMPDIR can
	// be longer than a socket's path may be.
	"wisewallet agent":        {ignoresWallet(exitUsage, call{args: []string{"agent"}})},
	"wisewallet agent start":  {opensWallet(call{args: []string{"agent", "start", "--timeout", "1s"}, env: shortRuntime})},
	"wisewallet agent stop":   {ignoresWallet(exitOK, call{args: []string{"agent", "stop"}, env: shortRuntime})},
	"wisewallet agent status": {ignoresWallet(exitError, call{args: []string{"agent", "status"}, env: shortRuntime})},
	"wisewallet agent lock":   {ignoresWallet(exitOK, call{args: []string{"agent", "lock"}, env: shortRuntime})},
	// It serves until interrupted: an invalid value stops it at once, and
	// still shows that it answers without looking at the wallet.
	"wisewallet localwise":   {ignoresWallet(exitUsage, call{args: []string{"localwise", "--token-ttl", "0"}})},
	"wisewallet mtls":        {ignoresWallet(exitUsage, call{args: []string{"mtls"}})},
	"wisewallet mtls keygen": {opensWallet(call{args: []string{"mtls", "keygen", "m1", "--env", "sandbox", "--org", "Acme Ltd"}})},
	"wisewallet mtls csr":    {opensWallet(call{args: []string{"mtls", "csr", "e1"}})},
	"wisewallet mtls import-cert": {opensWallet(call{args: []string{"mtls", "import-cert", "e1"},
		stdin: ptr("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")})},
	"wisewallet mtls check": {opensWallet(call{args: []string{"mtls", "check", "e1"}})},
	"wisewallet mtls renew": {opensWallet(call{args: []string{"mtls", "renew", "e1"}})},
	"wisewallet mtls link":  {opensWallet(call{args: []string{"mtls", "link", "e1", "c1"}})},
	"wisewallet mtls cert":  {opensWallet(call{args: []string{"mtls", "cert", "e1"}})},

	// The payload and the tokens are read before the wallet is unlocked.
	"wisewallet jose":            {ignoresWallet(exitUsage, call{args: []string{"jose"}})},
	"wisewallet jose keygen":     {opensWallet(call{args: []string{"jose", "keygen", "j1", "--use", "sig", "--env", "sandbox"}})},
	"wisewallet jose pubkey":     {opensWallet(call{args: []string{"jose", "pubkey", "e1", "--pem"}})},
	"wisewallet jose upload":     {opensWallet(call{args: []string{"jose", "upload", "e1"}})},
	"wisewallet jose link":       {opensWallet(call{args: []string{"jose", "link", "e1", "c1"}})},
	"wisewallet jose rotate":     {opensWallet(call{args: []string{"jose", "rotate", "e1"}})},
	"wisewallet jose wise-keys":  {opensWallet(call{args: []string{"jose", "wise-keys", "e1"}})},
	"wisewallet jose sign":       {opensWallet(call{args: []string{"jose", "sign", "e1", "--url", "/v1/x"}, stdin: ptr(`{"a":1}`)})},
	"wisewallet jose verify":     {opensWallet(call{args: []string{"jose", "verify", "e1"}, stdin: ptr("a.b.c\n")})},
	"wisewallet jose encrypt":    {opensWallet(call{args: []string{"jose", "encrypt", "e1"}, stdin: ptr(`{"a":1}`)})},
	"wisewallet jose decrypt":    {opensWallet(call{args: []string{"jose", "decrypt", "e1"}, stdin: ptr("a.b.c.d.e")})},
	"wisewallet jose playground": {opensWallet(call{args: []string{"jose", "playground", "e1", "jws"}})},

	// SCA: the one-time token is checked before the wallet is unlocked;
	// approve and session need a terminal before anything else, so with
	// none (as here) they stop at once, the wallet untouched: exit 6.
	"wisewallet sca":             {ignoresWallet(exitUsage, call{args: []string{"sca"}})},
	"wisewallet sca status":      {opensWallet(call{args: []string{"sca", "status", "e1", testOTT}})},
	"wisewallet sca approve":     {ignoresWallet(exitSCA, call{args: []string{"sca", "approve", "e1", testOTT}})},
	"wisewallet sca session":     {ignoresWallet(exitSCA, call{args: []string{"sca", "session", "e1"}})},
	"wisewallet sca factors":     {opensWallet(call{args: []string{"sca", "factors", "e1"}})},
	"wisewallet sca pin":         {ignoresWallet(exitUsage, call{args: []string{"sca", "pin"}})},
	"wisewallet sca pin set":     {opensWallet(call{args: []string{"sca", "pin", "set", "e1"}, stdin: ptr("1234\n")})},
	"wisewallet sca pin change":  {opensWallet(call{args: []string{"sca", "pin", "change", "e1", "--profile", "1"}, stdin: ptr("1234\n")})},
	"wisewallet sca pin delete":  {opensWallet(call{args: []string{"sca", "pin", "delete", "e1"}})},
	"wisewallet sca device":      {ignoresWallet(exitUsage, call{args: []string{"sca", "device"}})},
	"wisewallet sca device add":  {opensWallet(call{args: []string{"sca", "device", "add", "e1"}})},
	"wisewallet sca device list": {opensWallet(call{args: []string{"sca", "device", "list", "e1", "--json"}})},
	"wisewallet sca device rm":   {opensWallet(call{args: []string{"sca", "device", "rm", "e1", "dev-1"}})},
	"wisewallet sca keygen":      {opensWallet(call{args: []string{"sca", "keygen", "k1", "--for", "e1"}})},
	"wisewallet sca pubkey":      {opensWallet(call{args: []string{"sca", "pubkey", "e1"}})},
	"wisewallet sca upload":      {opensWallet(call{args: []string{"sca", "upload", "e1"}})},
	"wisewallet sca sign":        {opensWallet(call{args: []string{"sca", "sign", "e1", testOTT}})},

	"wisewallet completion": {ignoresWallet(exitOK, call{args: []string{"completion", "bash"}})},
	"wisewallet man":        {ignoresWallet(exitOK, call{args: []string{"man"}})},
	"wisewallet help":       {ignoresWallet(exitOK, call{args: []string{"help"}})},

	// Nothing is run or sent before the wallet opens.
	"wisewallet exec":    {opensWallet(call{args: []string{"exec", "e1", "--", "true"}})},
	"wisewallet request": {opensWallet(call{args: []string{"request", "e1", "POST", "/v1/x", "--data", "-"}, stdin: ptr(`{"a":1}`)})},
}

// shortRuntime puts the agent's socket folder under /tmp, where no agent
// of these tests ever listens.
var shortRuntime = map[string]string{"XDG_RUNTIME_DIR": os.TempDir()}

func usesKeyring(c exitCase) exitCase { c.keyring = true; return c }

// everyExitCase is exitCases in a stable order.
func everyExitCase() []exitCase {
	var paths []string
	for p := range exitCases {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var out []exitCase
	for _, p := range paths {
		out = append(out, exitCases[p]...)
	}
	return out
}

// runExitCase runs c, holding the keyring lock when it uses the keyring.
func runExitCase(e *cliEnv, c exitCase) result {
	e.tb.Helper()
	if c.keyring {
		keyringMu.Lock()
		defer keyringMu.Unlock()
	}
	return e.run(c.call)
}

func TestExitCodeSuiteCoversEveryCommand(t *testing.T) {
	var cov coverage
	for path, cases := range exitCases {
		for _, c := range cases {
			if got := commandPathOf(t, c.call.args); got != path {
				t.Errorf("the case %q under %q runs %q", c.call.args, path, got)
			}
			cov.note(t, c.call.args)
		}
	}
	for _, path := range cov.missing(t) {
		t.Errorf("%s has no case in exitCases: add one (how it gets as far as unlocking, or that it never opens the wallet)", path)
	}
	tree := map[string]bool{}
	for _, tc := range treeCommands(t) {
		tree[tc.path] = true
	}
	for path := range exitCases {
		if !tree[path] {
			t.Errorf("exitCases has %q, which the tree does not", path)
		}
	}
}

func TestWrongPassphraseExits3AndChangesNothing(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	e.add("e1", "tok-e1")
	before := stateOf(t, e.walletFile())
	for _, c := range everyExitCase() {
		c.call.env = mergeEnv(c.call.env, map[string]string{"WISEWALLET_PASSPHRASE": "not-" + e.pass})
		r := runExitCase(e, c)
		name := strings.Join(c.call.args, " ")
		if !c.opens {
			e.expect(r, c.wrongPass)
			if strings.Contains(r.stderr, "wisewallet: wrong passphrase") {
				t.Errorf("%s: does not open the wallet, yet says %q", name, r.stderr)
			}
			assertUntouched(t, e, before, name)
			continue
		}
		e.expect(r, exitWrongPass, "wrong passphrase", e.walletFile())
		if r.stdout != "" {
			t.Errorf("%s: printed on stdout: %q", name, r.stdout)
		}
		assertUntouched(t, e, before, name)
	}
	// And the lock was released: a write with the right passphrase works.
	e.add("e2", "tok-e2")
}

func mergeEnv(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// offset names one byte position in the wallet file.
type offset struct {
	part string
	at   int
}

// walletOffsets names byte positions in a v1 wallet with one passphrase
// slot (see wallet/format.go), so each part of the file is damaged once.
func walletOffsets(size int) []offset {
	const fixed = 4 + 2 + 2 + 16 + 8 + 1 // magic, version, flags, id, generation, slot count
	slot := fixed                        // kind, t, m, p, salt, nonce, wrapped key
	salt := slot + 1 + 4 + 4 + 1
	nonce := salt + crypto.SaltSize
	wrapped := nonce + crypto.NonceSize
	bodyNonce := wrapped + crypto.KeySize + crypto.Overhead
	bodyLen := bodyNonce + crypto.NonceSize
	body := bodyLen + 4
	trailer := size - sha256.Size
	return []offset{
		{"version", 5}, {"flags", 7}, {"wallet id", 8}, {"generation", 31}, {"slot count", 32},
		{"slot kind", slot}, {"kdf time", slot + 4}, {"kdf memory", slot + 7}, {"kdf threads", slot + 9},
		{"salt", salt}, {"slot nonce", nonce + 3}, {"wrapped key", wrapped + 10},
		{"body nonce", bodyNonce}, {"body length", bodyLen + 3}, {"body start", body},
		{"body middle", (body + trailer) / 2}, {"body tag", trailer - 1},
		{"trailer start", trailer}, {"trailer end", size - 1},
	}
}

func TestDamagedWalletExits4AndIsLeftAsItIs(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	e.add("e1", "tok-e1")
	good, err := os.ReadFile(e.walletFile())
	if err != nil {
		t.Fatal(err)
	}
	type damage struct {
		name string
		data []byte
		// needsKey: only decrypting the body tells this damage from an
		// intact file, so it goes to a command that unlocks the wallet
		// (one that reads only the header, like keyring status, rightly
		// sees nothing wrong).
		needsKey bool
	}
	var damages []damage
	masks := []byte{0x01, 0x80, 0xff}
	for i, o := range walletOffsets(len(good)) {
		b := bytes.Clone(good)
		b[o.at] ^= masks[i%len(masks)]
		damages = append(damages, damage{name: "flip " + o.part, data: b})
	}
	for _, n := range []int{len(good) - 1, len(good) / 2, 40} {
		damages = append(damages, damage{name: "truncated to " + strconv.Itoa(n), data: good[:n]})
	}
	damages = append(damages, damage{name: "one byte appended", data: append(bytes.Clone(good), 0)})
	// A body changed by someone who also rewrote the checksum: the
	// authenticated encryption catches it, still as damage.
	forged := bytes.Clone(good[:len(good)-sha256.Size])
	forged[len(forged)-20] ^= 0x01
	sum := sha256.Sum256(forged)
	damages = append(damages, damage{name: "body changed, checksum rewritten", data: append(forged, sum[:]...), needsKey: true})

	cmds := everyExitCase()
	// The intact file opens: the damage tests below are about the damage.
	e.must("show", "e1")
	// Each damage through another command, until every damage and every
	// command was used: all of them read the file through the same
	// decoder, and each must classify it the same way.
	for i := range max(len(damages), len(cmds)) {
		d, c := damages[i%len(damages)], cmds[i%len(cmds)]
		for j := i; d.needsKey && !c.opens; j++ {
			c = cmds[j%len(cmds)]
		}
		t.Run(d.name+" via "+strings.Join(c.call.args, " "), func(t *testing.T) {
			// Each in a folder of its own, so they can run in parallel.
			t.Parallel()
			de := newCLIEnv(t)
			de.pass = e.pass
			if err := os.Mkdir(de.dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(de.walletFile(), d.data, 0o600); err != nil {
				t.Fatal(err)
			}
			before := stateOf(t, de.walletFile())
			r := runExitCase(de, c)
			if c.damaged == exitDamaged {
				de.expect(r, exitDamaged, "damaged", "was not changed", de.walletFile())
			} else {
				de.expect(r, c.damaged)
			}
			assertUntouched(t, de, before, d.name)
		})
	}
}

func TestForeignFileExits4(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	good, err := os.ReadFile(e.walletFile())
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"empty file":    {},
		"random bytes":  crypto.RandomBytes(300),
		"text":          []byte("token=abc\n"),
		"magic only":    []byte("WWLT"),
		"magic changed": append([]byte("XWLT"), good[4:]...),
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(e.walletFile(), data, 0o600); err != nil {
				t.Fatal(err)
			}
			before := stateOf(t, e.walletFile())
			r := e.cmd("list")
			e.expect(r, exitDamaged, "was not changed")
			if !strings.Contains(r.stderr, "not a wisewallet file") && !strings.Contains(r.stderr, "damaged") {
				t.Errorf("%s", e.describe(r, "a message saying it is not a wallet"))
			}
			assertUntouched(t, e, before, name)
		})
	}
}

func TestGroupReadableWalletIsRefusedWithChmodHint(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	if err := os.Chmod(e.walletFile(), 0o644); err != nil {
		t.Fatal(err)
	}
	before := stateOf(t, e.walletFile())
	r := e.cmd("list")
	if r.code == 0 {
		t.Fatalf("%s", e.describe(r, "a refusal"))
	}
	e.expect(r, r.code, "chmod 600", e.walletFile())
	assertUntouched(t, e, before, "0644 wallet")
	// The advice works.
	if err := os.Chmod(e.walletFile(), 0o600); err != nil {
		t.Fatal(err)
	}
	e.must("list")
}

func TestSymlinkWalletIsRefused(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	real := filepath.Join(e.root, "elsewhere.ww")
	if err := os.Rename(e.walletFile(), real); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, e.walletFile()); err != nil {
		t.Fatal(err)
	}
	target := stateOf(t, real)
	for _, c := range []call{{args: []string{"list"}}, {args: []string{"add", "personal", "x", "--env", "sandbox"}, stdin: ptr("tok")}, {args: cheapInit}} {
		r := e.run(c)
		if r.code == 0 {
			t.Errorf("%s", e.describe(r, "a refusal"))
			continue
		}
		if c.args[0] != "init" {
			e.expect(r, r.code, "symbolic link")
		}
	}
	if info, err := os.Lstat(e.walletFile()); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced (%v)", err)
	}
	after := stateOf(t, real)
	if !bytes.Equal(target.data, after.data) || target.ino != after.ino {
		t.Error("the symlink's target changed")
	}
}

func TestNoPassphraseSourceExits2(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	e.add("e1", "tok-e1")
	before := stateOf(t, e.walletFile())
	for _, c := range everyExitCase() {
		c.call.env = mergeEnv(c.call.env, map[string]string{"WISEWALLET_PASSPHRASE": ""})
		r := runExitCase(e, c)
		if c.opens {
			e.expect(r, exitUsage, "WISEWALLET_PASSPHRASE", "terminal")
		} else {
			e.expect(r, c.noPass)
		}
	}
	assertUntouched(t, e, before, "no passphrase")
}
