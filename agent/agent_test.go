package agent

import (
	"bytes"
	"context"
	stdcrypto "crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/cryptosigner"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
	"github.com/wisewallet/wisewallet/wallet"
)

// The agent in this process, on a real wallet, with a real localwise
// behind its Service, and real unix sockets. The command line's tests
// (cli/agent_test.go) run it as the real program.

// rawClientEnv, in the test binary's environment, makes it a bare client
// that sends one request to the socket it names and prints what comes back:
// the process the other-uid test runs as nobody.
const rawClientEnv = "WW_AGENT_TEST_RAW_CLIENT"

func TestMain(m *testing.M) {
	if sock := os.Getenv(rawClientEnv); sock != "" {
		c, err := net.Dial("unix", sock)
		if err != nil {
			fmt.Println("dial:", err)
			os.Exit(3)
		}
		fmt.Fprintln(c, `{"op":"list"}`)
		b, _ := io.ReadAll(io.LimitReader(c, 1<<20))
		fmt.Print(string(b))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var testKDF = crypto.KDFParams{Time: 1, MemoryKiB: 8, Threads: 1}

const testPass = "agent-test-passphrase"

var bg = context.Background()

// syncBuf is the agent's log.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type rig struct {
	t       *testing.T
	lw      *localwise.Server
	env     flows.Environment
	dir     string
	w       *wallet.Wallet
	svc     *flows.Service
	sockDir string
	sock    string
	srv     *Server
	client  *Client
	log     *syncBuf
	served  chan error
}

// newRig is a wallet with localwise's demo personal token as p1; the
// agent is not started yet, so that tests can add entries first.
func newRig(t *testing.T, cfg localwise.Config) *rig {
	t.Helper()
	lw, base := lwtest.Start(t, cfg)
	env, err := flows.ResolveEnv(string(wallet.EnvLocal), base)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "wallet")
	w, err := wallet.Create(bg, wallet.NewFileStore(dir), crypto.SecretString(testPass), wallet.Options{KDF: testKDF})
	if err != nil {
		t.Fatal(err)
	}
	// The agent holds the wallet as `agent serve` does: opened by its
	// passphrase (a slot key), not as the Wallet that created it.
	w, err = wallet.Open(bg, wallet.NewFileStore(dir), wallet.Unlocker{Passphrase: func() (crypto.Secret, error) { return crypto.SecretString(testPass), nil }})
	if err != nil {
		t.Fatal(err)
	}
	svc := flows.New(w, flows.Options{})
	if _, err := svc.AddPersonal(bg, "p1", env, crypto.SecretString(lw.Demo().PersonalToken)); err != nil {
		t.Fatal(err)
	}
	// Short: a socket's path is at most 103 bytes, and t.TempDir's can be
	// longer.
	sockDir, err := os.MkdirTemp("", "wwa-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	return &rig{t: t, lw: lw, env: env, dir: dir, w: w, svc: svc, sockDir: sockDir, sock: filepath.Join(sockDir, "run", "agent.sock"), log: &syncBuf{}}
}

func testWords(err error) (string, int) {
	if errors.Is(err, flows.ErrNeedsLogin) {
		return err.Error(), 5
	}
	return err.Error(), 1
}

// start runs the agent until the test ends.
func (r *rig) start(timeout time.Duration) {
	r.t.Helper()
	srv, err := Listen(Config{Service: r.svc, Wallet: r.w.Location(), UnlockedBy: r.w.UnlockedBy(), Socket: r.sock,
		Words: testWords, IdleTimeout: timeout, Log: r.log})
	if err != nil {
		r.t.Fatal(err)
	}
	r.srv, r.client, r.served = srv, NewClient(r.sock), make(chan error, 1)
	go func() { r.served <- srv.Serve(bg) }()
	r.t.Cleanup(func() {
		srv.shutdown(becauseStopped)
		<-r.served
	})
}

// walletForgotten checks that the agent's wallet holds nothing: no
// entries, and no key to reload or save with (wallet.Close wiped them).
func (r *rig) walletForgotten() {
	r.t.Helper()
	if n := len(r.w.Entries()); n != 0 {
		r.t.Errorf("the agent's wallet still lists %d entries", n)
	}
	if err := r.w.Reload(bg); !errors.Is(err, wallet.ErrClosed) {
		r.t.Errorf("the agent's wallet reloads after it forgot (%v): its keys are still there", err)
	}
}

func TestAgentServesTokensAndRefusesEveryOperationOnceLocked(t *testing.T) {
	r := newRig(t, localwise.Config{})
	if _, err := r.svc.SCAKeygen(bg, flows.SCAKeyInput{Name: "k1", For: "p1"}); err != nil {
		t.Fatal(err)
	}
	r.start(0)
	tok, err := r.client.AccessToken(bg, "p1", false)
	if err != nil || tok.RevealString() != r.lw.Demo().PersonalToken {
		t.Fatalf("token through the agent: %v", err)
	}
	signer, err := r.client.Signer(bg, "k1")
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("before the lock"))
	if _, err := signer.Sign(nil, digest[:], stdcrypto.SHA256); err != nil {
		t.Fatalf("sign before the lock: %v", err)
	}
	if _, err := r.client.Lock(bg); err != nil {
		t.Fatal(err)
	}
	ops := map[string]func() error{
		"list":   func() error { _, err := r.client.List(bg); return err },
		"status": func() error { _, err := r.client.StatusRows(bg, time.Now()); return err },
		"entry":  func() error { _, err := r.client.Entry(bg, "p1"); return err },
		"token":  func() error { _, err := r.client.AccessToken(bg, "p1", false); return err },
		"renew":  func() error { _, err := r.client.AccessToken(bg, "p1", true); return err },
		"whoami": func() error { _, _, err := r.client.Whoami(bg, "p1"); return err },
		"call": func() error {
			_, err := r.client.Call(bg, flows.CallInput{Entry: "p1", Method: http.MethodGet, Path: "/v1/me"}, nil)
			return err
		},
		"public": func() error { _, err := r.client.Public(bg, "k1"); return err },
		"sign":   func() error { _, err := signer.Sign(nil, digest[:], stdcrypto.SHA256); return err },
		"decrypt": func() error {
			_, err := signer.(stdcrypto.Decrypter).Decrypt(nil, []byte("x"), &rsa.OAEPOptions{Hash: stdcrypto.SHA256})
			return err
		},
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, ErrLocked) {
			t.Errorf("%s on a locked agent: %v, want ErrLocked", name, err)
		}
	}
	st, err := r.client.Status(bg)
	if err != nil || !st.Locked || st.LockedBecause != becauseLocked || st.UnlockedBy != "" {
		t.Errorf("status of a locked agent: %+v, %v", st, err)
	}
	r.walletForgotten()
	if !strings.Contains(r.log.String(), "forgot the wallet (agent lock)") {
		t.Errorf("the agent's log does not say it forgot: %q", r.log.String())
	}
	// It still stops when asked.
	if _, err := r.client.Stop(bg); err != nil {
		t.Fatal(err)
	}
	if err := <-r.served; err != nil {
		t.Errorf("Serve after stop: %v", err)
	}
	r.served <- nil // for the cleanup
}

func TestAgentIdleTimeoutLeavesNothing(t *testing.T) {
	r := newRig(t, localwise.Config{})
	r.start(400 * time.Millisecond)
	if _, err := r.client.AccessToken(bg, "p1", false); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-r.served:
		r.served <- err
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not exit after its idle timeout")
	}
	if _, err := os.Lstat(r.sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket is still there after the idle timeout (%v)", err)
	}
	if _, err := r.client.Status(bg); !errors.Is(err, ErrNoAgent) {
		t.Errorf("status after the idle timeout: %v, want ErrNoAgent", err)
	}
	r.walletForgotten()
	if !strings.Contains(r.log.String(), "exits (idle timeout)") {
		t.Errorf("the agent's log: %q", r.log.String())
	}
}

func TestAgentTakesInSavesAndForgetsWhenThePassphraseChanges(t *testing.T) {
	r := newRig(t, localwise.Config{})
	r.start(0)
	// Another process adds an entry: the agent reloads (no KDF) and
	// lists it.
	other, err := wallet.Open(bg, wallet.NewFileStore(r.dir), wallet.Unlocker{Passphrase: func() (crypto.Secret, error) { return crypto.SecretString(testPass), nil }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := flows.New(other, flows.Options{}).AddPersonal(bg, "p2", r.env, crypto.SecretString("tok-p2-added-elsewhere")); err != nil {
		t.Fatal(err)
	}
	list, err := r.client.List(bg)
	if err != nil || len(list) != 2 || list[1].Name != "p2" {
		t.Fatalf("list after another process's save: %+v, %v", list, err)
	}
	if err := other.ChangePassphrase(bg, crypto.SecretString("a-new-passphrase"), testKDF); err != nil {
		t.Fatal(err)
	}
	if _, err := r.client.AccessToken(bg, "p1", false); !errors.Is(err, ErrLocked) {
		t.Fatalf("token after the passphrase changed: %v, want ErrLocked", err)
	}
	st, _ := r.client.Status(bg)
	if !st.Locked || st.LockedBecause != becauseRekeyed {
		t.Errorf("status after the passphrase changed: %+v", st)
	}
	r.walletForgotten()
}

func TestAgentRefusesOversizedAndMalformedFrames(t *testing.T) {
	r := newRig(t, localwise.Config{})
	r.start(0)
	c, err := net.Dial("unix", r.sock)
	if err != nil {
		t.Fatal(err)
	}
	// One line over the cap, written while the agent reads: it stops
	// reading and hangs up without an answer.
	go func() { _, _ = c.Write(append(bytes.Repeat([]byte("a"), maxFrame+10), '\n')) }()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(c)
	c.Close()
	if len(b) != 0 {
		t.Errorf("an oversized frame got an answer: %.200q (%v)", b, err)
	}
	c, err = net.Dial("unix", r.sock)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(c, `{"op":"nosuch"}`)
	b, _ = io.ReadAll(c)
	c.Close()
	var resp response
	if err := json.Unmarshal(bytes.TrimSpace(b), &resp); err != nil || resp.Kind != kindError || !strings.Contains(resp.Error.Message, `no operation "nosuch"`) {
		t.Errorf("an unknown op: %q", b)
	}
	if _, err := r.client.List(bg); err != nil {
		t.Errorf("the agent does not serve after bad frames: %v", err)
	}
}

// The kernel's peer credentials decide, not only the modes: with the
// folder and the socket opened to everyone (as a mistake or a race
// could leave them), another uid still gets a refusal and nothing else.
func TestAgentRefusesAnotherUID(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a client as another user (nobody); the tests run as root in CI")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	r := newRig(t, localwise.Config{})
	r.start(0)
	// The test binary, where nobody may run it.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	binDir, err := os.MkdirTemp("", "wwa-bin-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(binDir)
	if err := os.Chmod(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(binDir, "agent.test")
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	asNobody := func() string {
		cmd := exec.Command(bin)
		cmd.Env = []string{rawClientEnv + "=" + r.sock, "PATH=/usr/bin:/bin"}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		out, err := cmd.CombinedOutput()
		if err != nil && !strings.HasPrefix(string(out), "dial:") {
			t.Fatalf("the client as nobody: %v\n%s", err, out)
		}
		return string(out)
	}
	// As created: nobody cannot even reach the socket.
	if out := asNobody(); !strings.Contains(out, "permission denied") {
		t.Errorf("nobody reached the socket in its 0700 folder: %q", out)
	}
	for _, p := range []string{r.sockDir, filepath.Dir(r.sock), r.sock} {
		if err := os.Chmod(p, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	out := asNobody()
	var resp response
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &resp); err != nil || resp.Kind != kindError || resp.List != nil ||
		!strings.Contains(resp.Error.Message, "serves only the processes of the user who started it") {
		t.Errorf("nobody, with the socket open to all, got: %q", out)
	}
	if strings.Contains(out, "p1") || strings.Contains(out, r.lw.Demo().PersonalToken) {
		t.Errorf("nobody learnt something of the wallet: %q", out)
	}
	if want := fmt.Sprintf("refused a connection from uid %d", uid); !strings.Contains(r.log.String(), want) {
		t.Errorf("the agent's log does not say %q: %q", want, r.log.String())
	}
	// The same bare client as this user is served: the refusal above is
	// the uid's.
	cmd := exec.Command(bin)
	cmd.Env = []string{rawClientEnv + "=" + r.sock}
	own, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(own), `"name":"p1"`) {
		t.Errorf("the bare client as this user: %v %q", err, own)
	}
}

// recorder is a proxy between a client and the agent that keeps every
// byte either way: what a test inspects as "the protocol".
type recorder struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.b.Write(p)
}
func (r *recorder) bytes() []byte { r.mu.Lock(); defer r.mu.Unlock(); return bytes.Clone(r.b.Bytes()) }

// recordingProxy listens at a socket of its own and forwards to target.
func recordingProxy(t *testing.T, dir, target string) (string, *recorder) {
	t.Helper()
	path := filepath.Join(dir, "proxy.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	rec := &recorder{}
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
				done := make(chan struct{})
				go func() { _, _ = io.Copy(io.MultiWriter(up, rec), c); up.(*net.UnixConn).CloseWrite(); close(done) }()
				_, _ = io.Copy(io.MultiWriter(c, rec), up)
				c.(*net.UnixConn).CloseWrite()
				<-done
			}()
		}
	}()
	return path, rec
}

// keyForms are the ways a private key could show in a byte stream: its
// PEM and PEM lines, its DER (raw, hex, base64 in the three alignments),
// and its private numbers (the JWK's d, p, q in base64url, raw).
func keyForms(t *testing.T, keyPEM crypto.Secret) [][]byte {
	t.Helper()
	pemBytes := keyPEM.Reveal()
	var forms [][]byte
	forms = append(forms, pemBytes)
	for _, line := range bytes.Split(pemBytes, []byte("\n")) {
		if len(line) >= 40 && !bytes.HasPrefix(line, []byte("-----")) {
			forms = append(forms, line)
		}
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		t.Fatal("a key entry's private key is not PEM")
	}
	key, err := crypto.ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	secrets := [][]byte{block.Bytes}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		secrets = append(secrets, k.D.Bytes(), k.Primes[0].Bytes(), k.Primes[1].Bytes(), x509.MarshalPKCS1PrivateKey(k))
	case *ecdsa.PrivateKey:
		d, err := k.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, d)
	}
	for _, s := range secrets {
		forms = append(forms, s, []byte(hex.EncodeToString(s)))
		for shift := 0; shift < 3; shift++ {
			part := s[shift:]
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
				e := enc.EncodeToString(part)
				// The middle of it: a prefix or suffix may differ with what
				// surrounds it; 32 characters of key is already a leak.
				forms = append(forms, []byte(e[4:min(len(e)-4, 4+64)]))
			}
		}
	}
	return forms
}

// A private key never crosses the socket: the protocol of a TLS handshake
// with the agent's signer (at localwise's mTLS listener), a go-jose JWS,
// an RSA-OAEP decryption, an SCA one-time-token signature, and calls made
// in the agent over mTLS and with JOSE, recorded byte for byte, holds no
// form of any key entry's private key.
func TestAgentProtocolNeverCarriesAPrivateKey(t *testing.T) {
	r := newRig(t, localwise.Config{})
	d := r.lw.Demo()
	if _, err := r.svc.AddClient(bg, flows.ClientInput{Name: "c1", Env: r.env, ClientID: d.ClientID, Secret: crypto.SecretString(d.ClientSecret), RedirectURL: d.RedirectURL}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.MTLSKeygen(bg, flows.MTLSKeyInput{Name: "m1", Client: "c1", Org: "Acme Payments Ltd", MTLSURL: r.lw.MTLSURL()}); err != nil {
		t.Fatal(err)
	}
	csr, err := r.svc.MTLSCSR("m1")
	if err != nil {
		t.Fatal(err)
	}
	certPEM, caPEM := lwtest.IssueCertificate(t, r.lw, localwise.DemoClientID, localwise.DemoClientSecret, "m1", []byte(csr))
	if _, err := r.svc.MTLSImportCert(bg, "m1", certPEM, caPEM); err != nil {
		t.Fatal(err)
	}
	for _, k := range []struct{ name, use string }{{"js", flows.JOSEUseSig}, {"je", flows.JOSEUseEnc}} {
		if _, err := r.svc.JOSEKeygen(bg, flows.JOSEKeyInput{Name: k.name, Use: k.use, For: "c1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.JOSEUpload(bg, k.name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.svc.SCAKeygen(bg, flows.SCAKeyInput{Name: "k1", For: "p1"}); err != nil {
		t.Fatal(err)
	}
	var forbidden [][]byte
	privs := map[string]stdcrypto.Signer{}
	for _, name := range []string{"m1", "js", "je", "k1"} {
		e, err := r.w.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		forbidden = append(forbidden, keyForms(t, e.Secret(wallet.SecretPrivateKey))...)
		privs[name], _ = crypto.ParsePrivateKeyPEM(e.Secret(wallet.SecretPrivateKey))
	}
	r.start(0)
	proxy, rec := recordingProxy(t, r.sockDir, r.sock)
	c := NewClient(proxy)

	// A TLS client certificate whose key is the agent's.
	m1, err := c.Signer(bg, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m1.Public(), privs["m1"].Public()) {
		t.Fatal("the agent's signer has another public key than the entry")
	}
	block, _ := pem.Decode(certPEM)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	get := func(certs []tls.Certificate) (*http.Response, error) {
		hc := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs}}}
		return hc.Get(r.lw.MTLSURL() + "/v1/authenticated/playground")
	}
	if resp, err := get(nil); err == nil {
		resp.Body.Close()
		t.Fatal("localwise's mTLS listener answered without a client certificate: the handshake below would prove nothing")
	}
	resp, err := get([]tls.Certificate{{Certificate: [][]byte{block.Bytes}, PrivateKey: m1}})
	if err != nil {
		t.Fatalf("TLS handshake with the agent's key: %v", err)
	}
	resp.Body.Close()

	// go-jose signs with the agent's key (OpaqueSigner); the entry's
	// public key verifies it.
	js, err := c.Signer(bg, "js")
	if err != nil {
		t.Fatal(err)
	}
	jsEntry, _ := r.svc.Entry("js")
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(jsEntry.Algorithm), Key: cryptosigner.Opaque(js)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := sig.Sign([]byte(`{"amount":1}`))
	if err != nil {
		t.Fatalf("go-jose with the agent's key: %v", err)
	}
	compact, _ := jws.CompactSerialize()
	parsed, err := jose.ParseSigned(compact, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(jsEntry.Algorithm)})
	if err != nil {
		t.Fatal(err)
	}
	if payload, err := parsed.Verify(privs["js"].Public()); err != nil || string(payload) != `{"amount":1}` {
		t.Fatalf("the agent's JWS does not verify with the entry's public key: %v", err)
	}

	// RSA-OAEP decryption in the agent; PKCS #1 v1.5 is refused.
	je, err := c.Signer(bg, "je")
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("a content key, say")
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, privs["je"].Public().(*rsa.PublicKey), msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := je.(stdcrypto.Decrypter).Decrypt(nil, ct, &rsa.OAEPOptions{Hash: stdcrypto.SHA256})
	if err != nil || !bytes.Equal(pt, msg) {
		t.Fatalf("decrypt through the agent: %q, %v", pt, err)
	}
	if _, err := je.(stdcrypto.Decrypter).Decrypt(nil, ct, nil); err == nil {
		t.Error("the agent's decrypter took PKCS #1 v1.5")
	}

	// The SCA one-time token, signed in the agent, verifies as Wise checks it.
	k1, err := c.Signer(bg, "k1")
	if err != nil {
		t.Fatal(err)
	}
	const ott = "5a0b1a38-9c9f-4d6e-8d3f-0f2a4b6c8e10"
	sigB64, err := crypto.SignOneTimeToken(k1, ott)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(sigB64)
	h := sha256.Sum256([]byte(ott))
	if err := rsa.VerifyPKCS1v15(privs["k1"].Public().(*rsa.PublicKey), stdcrypto.SHA256, h[:], raw); err != nil {
		t.Errorf("the SCA signature made in the agent does not verify: %v", err)
	}

	// Calls made in the agent, over mTLS (the client's certificate) and
	// with JOSE (its keys).
	res, err := c.Call(bg, flows.CallInput{Entry: "c1", Method: http.MethodGet, Path: "/v1/authenticated/playground"}, nil)
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("an mTLS call through the agent: %d, %v", res.Status, err)
	}
	res, err = c.Call(bg, flows.CallInput{Entry: "c1", Method: http.MethodPost, Path: "/v1/auth/jose/playground/jws", Body: []byte(`{"message":"hello"}`), JOSE: "jws"}, nil)
	if err != nil || res.Status != http.StatusOK || len(res.Steps) == 0 {
		t.Fatalf("a JOSE call through the agent: %d %+v, %v", res.Status, res.Steps, err)
	}

	trace := rec.bytes()
	for _, want := range []string{`"op":"public"`, `"op":"sign"`, `"op":"decrypt"`, `"op":"call"`, `"signature":`, `"plaintext":`} {
		if !bytes.Contains(trace, []byte(want)) {
			t.Fatalf("the recorded protocol lacks %s: the recorder missed something (%d bytes)", want, len(trace))
		}
	}
	der, _ := x509.MarshalPKIXPublicKey(privs["m1"].Public())
	if !bytes.Contains(trace, []byte(base64.StdEncoding.EncodeToString(der))) {
		t.Fatal("the recorded protocol lacks m1's public key: the key forms below would not be found either")
	}
	for i, f := range forbidden {
		if bytes.Contains(trace, f) {
			t.Errorf("the protocol carries private key material (form %d, %d bytes)", i, len(f))
		}
	}
}

// The protocol carries entries as the Service shows them: a command
// prints the same through the agent as without it.
func TestAgentViewsAreTheServices(t *testing.T) {
	r := newRig(t, localwise.Config{})
	d := r.lw.Demo()
	if _, err := r.svc.AddClient(bg, flows.ClientInput{Name: "c1", Env: r.env, ClientID: d.ClientID, Secret: crypto.SecretString(d.ClientSecret), RedirectURL: d.RedirectURL}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.SCAKeygen(bg, flows.SCAKeyInput{Name: "k1", For: "p1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.AccessToken(bg, "c1"); err != nil {
		t.Fatal(err)
	}
	r.start(0)
	asJSON := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	for _, v := range r.svc.Entries() {
		got, err := r.client.Entry(bg, v.Name)
		if err != nil {
			t.Fatal(err)
		}
		if asJSON(got) != asJSON(v) || !reflect.DeepEqual(got.Secrets, v.Secrets) {
			t.Errorf("entry %s through the agent:\n%s %+v\nwant\n%s %+v", v.Name, asJSON(got), got.Secrets, asJSON(v), v.Secrets)
		}
	}
	list, err := r.client.List(bg)
	if err != nil || asJSON(list) != asJSON(r.svc.List()) {
		t.Errorf("list through the agent: %s, %v", asJSON(list), err)
	}
	now := time.Now()
	rows, err := r.client.StatusRows(bg, now)
	if err != nil || asJSON(rows) != asJSON(r.svc.Status(now)) {
		t.Errorf("status through the agent: %s, %v", asJSON(rows), err)
	}
	if _, err := r.client.Entry(bg, "nosuch"); err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("a missing entry: %v", err)
	}
}

// testSolver answers as a person at the client's terminal would, and
// keeps what it was asked.
type testSolver struct {
	mu     sync.Mutex
	asked  []string
	events []flows.SCAEventKind
	fail   error
}

func (s *testSolver) note(q string) { s.mu.Lock(); s.asked = append(s.asked, q); s.mu.Unlock() }

func (s *testSolver) Choose(_ context.Context, ch flows.SCAChallengeView) (flows.SCAFactor, error) {
	s.note("choose")
	if s.fail != nil {
		return "", s.fail
	}
	for _, f := range ch.Solvable() {
		if f == flows.FactorPIN {
			return f, nil
		}
	}
	return "", fmt.Errorf("%w: no PIN offered: %+v", flows.ErrSCAInterrupted, ch.Options)
}

func (s *testSolver) PIN(context.Context, int) (crypto.Secret, error) {
	s.note("pin")
	return crypto.SecretString("1357"), nil
}

func (s *testSolver) OTP(context.Context, flows.SCAFactor, string) (crypto.Secret, error) {
	s.note("otp")
	return crypto.SecretString("111111"), nil
}

func (s *testSolver) Progress(_ context.Context, ev flows.SCAEvent) {
	s.mu.Lock()
	s.events = append(s.events, ev.Kind)
	s.mu.Unlock()
}

// A call's SCA challenge is cleared in the agent with the questions put
// to the client's solver (choose, PIN) over the socket; a solver that
// cannot answer stops it with its own error, and nothing is sent again.
func TestAgentTunnelsTheSCASolver(t *testing.T) {
	r := newRig(t, localwise.Config{SCAMode: localwise.SCAAlways})
	d := r.lw.Demo()
	if _, err := r.svc.AddClient(bg, flows.ClientInput{Name: "c1", Env: r.env, ClientID: d.ClientID, Secret: crypto.SecretString(d.ClientSecret), RedirectURL: d.RedirectURL}); err != nil {
		t.Fatal(err)
	}
	var authURL string
	if _, err := r.svc.Login(bg, flows.LoginRequest{Client: "c1", As: "u1", Paste: true, ShowURL: func(u string) { authURL = u },
		ReadPasted: func(context.Context) (string, error) {
			p := lwtest.Person{ProfileID: d.PersonalProfileID}.Authorize(t, authURL, lwtest.Approve)
			if p.Location != "" {
				return p.Location, nil
			}
			return p.Code(), nil
		}}); err != nil {
		t.Fatal(err)
	}
	if err := r.svc.PINSet(bg, "u1", 0, crypto.SecretString("1357"), &testSolver{}); err != nil {
		t.Fatal(err)
	}
	r.start(0)
	statement := fmt.Sprintf("/v1/profiles/%d/balance-statements/1/statement.json?currency=EUR&intervalStart=2026-01-01T00:00:00.000Z&intervalEnd=2026-02-01T00:00:00.000Z&type=COMPACT", d.PersonalProfileID)
	s := &testSolver{}
	res, err := r.client.Call(bg, flows.CallInput{Entry: "u1", Method: http.MethodGet, Path: statement}, s)
	if err != nil || res.Status != http.StatusOK || !res.Challenged || !res.Replayed {
		t.Fatalf("a challenged call through the agent: %+v, %v", res, err)
	}
	if strings.Join(s.asked, ",") != "choose,pin" {
		t.Errorf("the client's solver was asked %v, want choose,pin", s.asked)
	}
	if !slices.Contains(s.events, flows.EventReplayed) {
		t.Errorf("the client heard %v, without the replay", s.events)
	}

	payment := fmt.Sprintf("/v3/profiles/%d/transfers/1/payments", d.PersonalProfileID)
	executed := func() int {
		n := 0
		for k, v := range r.lw.SCAStats().Executed {
			if strings.Contains(k, "/transfers/1/payments") {
				n += v
			}
		}
		return n
	}
	before := executed()
	noTerminal := fmt.Errorf("%w: no terminal to answer on", flows.ErrSCAInterrupted)
	_, err = r.client.Call(bg, flows.CallInput{Entry: "u1", Method: http.MethodPost, Path: payment, Body: []byte(`{"type":"BALANCE"}`)}, &testSolver{fail: noTerminal})
	if !errors.Is(err, noTerminal) {
		t.Errorf("a solver that cannot answer: %v, want its own error", err)
	}
	if n := executed() - before; n != 0 {
		t.Errorf("the payment ran %d times after the solver gave up", n)
	}
}
