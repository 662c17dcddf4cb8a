package cli

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
	"github.com/wisewallet/wisewallet/wallet"
)

// The sca commands, run as the real binary against a real localwise over
// HTTP. The refused call and its replay are made by the test itself, as
// the script around 'sca approve' would make them; the challenges are
// walked on a pseudo-terminal, typed as a person types them, with the
// hidden prompts typed only once echo is off.

// scaRig is a wallet with the localwise demo client c1, its demo user
// logged in as u1 (personal profile) and the demo personal token p1.
type scaRig struct {
	t   *testing.T
	e   *cliEnv
	srv *localwise.Server
	api string
	d   localwise.DemoCredentials
}

func newSCARig(t *testing.T) *scaRig {
	t.Helper()
	srv, base := lwtest.Start(t, localwise.Config{SCAMode: localwise.SCAAlways})
	e := newCLIEnv(t)
	e.init()
	d := srv.Demo()
	e.secrets = append(e.secrets, d.ClientSecret, d.PersonalToken)
	e.expect(e.run(call{args: []string{"add", "client", "c1", "--env", "local", "--api-url", base, "--client-id", d.ClientID,
		"--redirect-url", d.RedirectURL}, stdin: ptr(d.ClientSecret + "\n")}), 0)
	e.expect(e.run(call{args: []string{"add", "personal", "p1", "--env", "local", "--api-url", base, "--no-check=false"},
		stdin: ptr(d.PersonalToken + "\n")}), 0)
	r := &scaRig{t: t, e: e, srv: srv, api: base, d: d}
	r.login("u1")
	return r
}

// login logs the demo user in for its personal profile as entry as.
func (r *scaRig) login(as string) {
	r.t.Helper()
	loginDemoUser(r.t, r.e, "c1", as, r.d.PersonalProfileID)
	r.e.secrets = append(r.e.secrets, r.token(as))
}

// loginDemoUser logs localwise's demo user in through client for
// profile as entry as: the authorization-code flow of flows in this
// process, the person on localwise's page played by lwtest (the CLI's own
// login is tested elsewhere; this is the setup).
func loginDemoUser(t *testing.T, e *cliEnv, client, as string, profile int64) {
	t.Helper()
	ctx := context.Background()
	w, err := wallet.Open(ctx, wallet.NewFileStore(e.dir), wallet.Unlocker{Passphrase: func() (crypto.Secret, error) { return crypto.SecretString(e.pass), nil }})
	if err != nil {
		t.Fatal(err)
	}
	var authURL string
	_, err = flows.New(w, flows.Options{}).Login(ctx, flows.LoginRequest{Client: client, As: as, Paste: true,
		ShowURL: func(u string) { authURL = u },
		ReadPasted: func(context.Context) (string, error) {
			// Paste mode asks Wise for the code page (showCode): the code
			// is what the person pastes.
			p := lwtest.Person{ProfileID: profile}.Authorize(t, authURL, lwtest.Approve)
			if p.Location != "" {
				return p.Location, nil
			}
			return p.Code(), nil
		}})
	if err != nil {
		t.Fatalf("logging the demo user in: %v", err)
	}
}

func (r *scaRig) token(name string) string {
	r.t.Helper()
	return strings.TrimSpace(r.e.must("token", name).stdout)
}

// protected is one of localwise's SCA-protected calls.
type protected struct {
	method, path string
	body         []byte
}

// payment funds a transfer: high risk, two challenges (PIN or face scan;
// this device or a phone code).
func (r *scaRig) payment() protected {
	return protected{http.MethodPost, fmt.Sprintf("/v3/profiles/%d/transfers/1/payments", r.d.PersonalProfileID), []byte(`{"type":"BALANCE"}`)}
}

// statement is a balance statement: low risk, one challenge (PIN, or
// this device, a phone code or a face scan).
func (r *scaRig) statement() protected {
	return protected{http.MethodGet, fmt.Sprintf("/v1/profiles/%d/balance-statements/1/statement.json?currency=EUR&intervalStart=2026-01-01T00:00:00.000Z&intervalEnd=2026-02-01T00:00:00.000Z&type=COMPACT", r.d.PersonalProfileID), nil}
}

// send makes the call with the credential's token and extra headers.
func (r *scaRig) send(cred string, p protected, header map[string]string) *http.Response {
	r.t.Helper()
	return sendAt(r.t, r.api, r.token(cred), p, header)
}

// sendAt makes the call at base with token.
func sendAt(t *testing.T, base, token string, p protected, header map[string]string) *http.Response {
	t.Helper()
	var body io.Reader
	if p.body != nil {
		body = bytes.NewReader(p.body)
	}
	req, err := http.NewRequest(p.method, base+p.path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if p.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// challenge makes the call and returns the one-time token of its 403.
func (r *scaRig) challenge(cred string, p protected) string {
	r.t.Helper()
	return challengeAt(r.t, r.api, r.token(cred), p)
}

func challengeAt(t *testing.T, base, token string, p protected) string {
	t.Helper()
	resp := sendAt(t, base, token, p, nil)
	ott := resp.Header.Get("x-2fa-approval")
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("x-2fa-approval-result") != "REJECTED" || crypto.CheckOneTimeToken(ott) != nil {
		t.Fatalf("%s %s: HTTP %d, x-2fa-approval %q, result %q; want a challenge", p.method, p.path, resp.StatusCode, ott, resp.Header.Get("x-2fa-approval-result"))
	}
	return ott
}

// replay sends the same call again with the token (and a signature).
func (r *scaRig) replay(cred string, p protected, ott, signature string) (int, string) {
	r.t.Helper()
	h := map[string]string{"x-2fa-approval": ott}
	if signature != "" {
		h["X-Signature"] = signature
	}
	resp := r.send(cred, p, h)
	return resp.StatusCode, resp.Header.Get("x-2fa-approval-result")
}

// executed is how often localwise ran the call.
func (r *scaRig) executed(p protected) int {
	path, _, _ := strings.Cut(p.path, "?")
	n := 0
	for k, v := range r.srv.SCAStats().Executed {
		if strings.HasPrefix(k, p.method+" ") && strings.Contains(k, path) {
			n += v
		}
	}
	return n
}

// setPIN sets u1's PIN through a pipe.
func (r *scaRig) setPIN(pin string) {
	r.t.Helper()
	res := r.e.run(call{args: []string{"sca", "pin", "set", "u1"}, stdin: ptr(pin + "\n")})
	r.e.expect(res, 0, "Set the PIN")
}

// ptySession is the real binary on a pseudo-terminal: what it writes
// there (the screen), what is typed, its exit.
type ptySession struct {
	t              *testing.T
	master, slave  *os.File
	stdout, stderr *bytes.Buffer
	mu             sync.Mutex
	screen         strings.Builder
	seen           int // the screen up to here was matched already
	done           chan struct{}
	err            error
}

// onTerminal starts args with the rig's environment on a new terminal.
func (r *scaRig) onTerminal(args ...string) *ptySession {
	r.t.Helper()
	master, slave := openPTY(r.t)
	cmd, stdout, stderr := commandOnPTY(r.t, r.e.baseEnv(), slave, args...)
	s := &ptySession{t: r.t, master: master, slave: slave, stdout: stdout, stderr: stderr, done: make(chan struct{})}
	go func() {
		buf := make([]byte, 1024)
		for {
			n, err := master.Read(buf)
			s.mu.Lock()
			s.screen.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { s.err = cmd.Wait(); close(s.done) }()
	return s
}

func (s *ptySession) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.screen.String()
}

// expect waits for text on the screen after what was matched before.
func (s *ptySession) expect(text string) {
	s.t.Helper()
	deadline := time.Now().Add(childTimeout / 2)
	for {
		screen := s.text()
		if i := strings.Index(screen[s.seen:], text); i >= 0 {
			s.seen += i + len(text)
			return
		}
		select {
		case <-s.done:
			time.Sleep(50 * time.Millisecond) // the last output may still be in the terminal
			if screen := s.text(); strings.Contains(screen[s.seen:], text) {
				s.seen = len(screen)
				return
			}
			s.t.Fatalf("exited (%v) before showing %q\nscreen:\n%s\nstderr: %s", s.err, text, s.text(), s.stderr)
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no %q on the terminal\nscreen:\n%s", text, screen)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// typeLine types a visible answer.
func (s *ptySession) typeLine(line string) {
	s.t.Helper()
	if _, err := s.master.Write([]byte(line + "\n")); err != nil {
		s.t.Fatal(err)
	}
}

// typeHidden types at a hidden prompt, once echo is off (typed before,
// it would be echoed, and the test would prove nothing).
func (s *ptySession) typeHidden(line string) {
	s.t.Helper()
	for deadline := time.Now().Add(childTimeout / 2); echoOn(s.t, s.slave); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			s.t.Fatalf("the prompt left echo on\nscreen:\n%s", s.text())
		}
	}
	s.typeLine(line)
}

// exit waits for the end and returns the exit code.
func (s *ptySession) exit() int {
	s.t.Helper()
	select {
	case <-s.done:
	case <-time.After(childTimeout):
		s.t.Fatalf("still running\nscreen:\n%s", s.text())
	}
	var ee *exec.ExitError
	switch {
	case s.err == nil:
		return 0
	case errors.As(s.err, &ee):
		return ee.ExitCode()
	}
	s.t.Fatal(s.err)
	return -1
}

// noLeak fails when any of secrets is on the screen, on stdout or stderr.
// A short one (a PIN, a code) counts only as a word of its own.
func (s *ptySession) noLeak(secrets ...string) {
	s.t.Helper()
	for _, x := range secrets {
		re := regexp.MustCompile(`(^|[^0-9A-Za-z])` + regexp.QuoteMeta(x) + `($|[^0-9A-Za-z])`)
		for where, out := range map[string]string{"terminal": s.text(), "stdout": s.stdout.String(), "stderr": s.stderr.String()} {
			if re.MatchString(out) {
				s.t.Errorf("%q is on the %s:\n%s", x, where, out)
			}
		}
	}
}

// The full loop for a PIN and each phone code: the call is refused, the
// status shows both challenges, approve walks them on the terminal (the
// PIN, the phone code of the channel chosen), the same call sent again
// with the token is APPROVED and runs once; the token used is refused
// after that by status, by approve and by Wise.
func TestSCAApprovePINAndPhoneCodeOnTheTerminal(t *testing.T) {
	t.Parallel()
	for i, channel := range []string{"SMS", "WhatsApp", "voice call"} {
		t.Run(channel, func(t *testing.T) {
			t.Parallel()
			r := newSCARig(t)
			pin := fmt.Sprintf("%d%d%d%d", 3+i, 8, 1, 6)
			r.setPIN(pin)
			pay := r.payment()
			ott := r.challenge("u1", pay)

			st := r.e.must("sca", "status", "u1", ott).stdout
			for _, want := range []string{"Action:          TRANSFER__FUND", "1. PIN, or face scan (FaceTec) (required)", "PIN: can use",
				"face scan (FaceTec): cannot, a FaceTec face scan cannot be captured in a terminal", "code by SMS: can use",
				"this device (its registered fingerprint): cannot, this device is not registered", "Ready:           no"} {
				if !strings.Contains(st, want) {
					t.Errorf("sca status has no %q:\n%s", want, st)
				}
			}

			s := r.onTerminal("sca", "approve", "u1", ott)
			s.expect("Challenge 1 of 2 (TRANSFER__FUND)")
			s.expect("Using the one this credential can: PIN.")
			s.expect("PIN (4 digits, hidden): ")
			s.typeHidden(pin)
			s.expect("PIN: passed.")
			s.expect("Challenge 2 of 2")
			s.expect("code by " + channel)
			s.expect("Choose 1-3 (Enter for 1): ")
			s.typeLine(fmt.Sprint(i + 1))
			s.expect("Wise sent a code by " + channel + " to *********8888.")
			s.expect("(6 digits, hidden): ")
			s.typeHidden("111111")
			s.expect("passed.")
			if code := s.exit(); code != 0 {
				t.Fatalf("approve: exit %d\nscreen:\n%s\nstderr: %s", code, s.text(), s.stderr)
			}
			if !strings.Contains(s.stderr.String(), "Approved: the one-time token "+ott+" (TRANSFER__FUND) is cleared") {
				t.Errorf("approve's stderr: %s", s.stderr)
			}
			s.noLeak(pin)
			if r.executed(pay) != 0 {
				t.Fatal("the call ran before the replay")
			}
			if status, result := r.replay("u1", pay, ott, ""); status != http.StatusOK || result != "APPROVED" {
				t.Fatalf("replay: HTTP %d, %q; want 200 APPROVED", status, result)
			}
			if n := r.executed(pay); n != 1 {
				t.Fatalf("the call ran %d times", n)
			}
			// The token is used now.
			r.e.expect(r.e.cmd("sca", "status", "u1", ott), exitError, "was used already or has expired", "make the call again")
			s = r.onTerminal("sca", "approve", "u1", ott)
			if code := s.exit(); code != exitError || !strings.Contains(s.stderr.String(), "was used already") {
				t.Errorf("approve of a used token: exit %d, stderr %s", code, s.stderr)
			}
			if status, result := r.replay("u1", pay, ott, ""); status != http.StatusForbidden || result != "REJECTED" || r.executed(pay) != 1 {
				t.Errorf("a second replay: HTTP %d %q, ran %d times", status, result, r.executed(pay))
			}
		})
	}
}

// This device registered, and a challenge cleared by it with nothing
// typed but the PIN; the fingerprint is nowhere but in the wallet,
// sealed.
func TestSCAApproveWithThisDevice(t *testing.T) {
	t.Parallel()
	r := newSCARig(t)
	r.setPIN("7305")
	add := r.e.must("sca", "device", "add", "u1", "--json")
	var dev flows.DeviceView
	if err := json.Unmarshal([]byte(add.stdout), &dev); err != nil || dev.ID == "" || !dev.ThisDevice || dev.Profile != r.d.PersonalProfileID {
		t.Fatalf("device add --json: %v %+v\n%s", err, dev, add.stdout)
	}
	fp := r.revealed("u1", wallet.SecretDeviceFingerprint)
	list := r.e.must("sca", "device", "list", "u1")
	if !strings.Contains(list.stdout, dev.ID) || !strings.Contains(list.stdout, "yes") {
		t.Errorf("device list:\n%s", list.stdout)
	}
	if f := r.e.must("sca", "factors", "u1").stdout; !strings.Contains(f, "this device (its registered fingerprint)  can use (set up)") || !strings.Contains(f, "registered as "+dev.ID) {
		t.Errorf("sca factors:\n%s", f)
	}
	pay := r.payment()
	ott := r.challenge("u1", pay)
	s := r.onTerminal("sca", "approve", "u1", ott)
	s.expect("PIN (4 digits, hidden): ")
	s.typeHidden("7305")
	s.expect("Challenge 2 of 2")
	s.expect("1. this device (its registered fingerprint)")
	s.expect("Choose 1-4 (Enter for 1): ")
	s.typeLine("")
	s.expect("This device (its registered fingerprint): passed.")
	if code := s.exit(); code != 0 {
		t.Fatalf("approve: exit %d\n%s\n%s", code, s.text(), s.stderr)
	}
	if status, result := r.replay("u1", pay, ott, ""); status != http.StatusOK || result != "APPROVED" || r.executed(pay) != 1 {
		t.Fatalf("replay: HTTP %d %q", status, result)
	}
	for _, out := range []string{add.stdout + add.stderr, list.stdout + list.stderr, s.text(), s.stdout.String(), s.stderr.String()} {
		if strings.Contains(out, fp) {
			t.Errorf("the fingerprint is in an output:\n%s", out)
		}
	}
	r.walletHoldsNone(fp, "7305")
	// Removed (a low-risk call of its own: the window the approval
	// opened lets it through), and it is no longer offered.
	r.e.expect(r.e.cmd("sca", "device", "rm", "u1"), 0, "Removed device "+dev.ID)
	if list := r.e.must("sca", "device", "list", "u1", "--json").stdout; strings.TrimSpace(list) != "[]" {
		t.Errorf("device list after rm: %s", list)
	}
	r.e.expect(r.e.cmd("sca", "device", "rm", "u1"), exitUsage, "no device of this install is registered", "sca device list u1")
}

// revealed is a secret of an entry, read with show --reveal.
func (r *scaRig) revealed(name, secret string) string {
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
	r.e.secrets = append(r.e.secrets, v)
	return v
}

// walletHoldsNone fails when the wallet file holds any of the values.
func (r *scaRig) walletHoldsNone(values ...string) {
	r.t.Helper()
	data, err := os.ReadFile(r.e.walletFile())
	if err != nil {
		r.t.Fatal(err)
	}
	for _, v := range values {
		if bytes.Contains(data, []byte(v)) {
			r.t.Errorf("the wallet file holds %q in clear", v)
		}
	}
}

// A wrong phone code is refused with the attempts left, asked again
// without a second code being sent, and the right one then clears it.
// An SCA session (a low-risk challenge) opens the 5-minute window.
func TestSCAWrongCodeThenSession(t *testing.T) {
	t.Parallel()
	r := newSCARig(t)
	st := r.statement()
	ott := r.challenge("u1", st)
	s := r.onTerminal("sca", "approve", "u1", ott)
	s.expect("Challenge 1 of 1 (BALANCE__GET_STATEMENT)")
	s.expect("Choose 1-4 (Enter for 1): ")
	s.typeLine("sms")
	s.expect("Wise sent a code by SMS to *********8888.")
	s.expect("(6 digits, hidden): ")
	s.typeHidden("904517")
	s.expect("Code by SMS: refused (4 attempts left before a 15-minute block).")
	s.expect("Challenge 1 of 1 again: 1. PIN, 2. code by SMS, 3. code by WhatsApp, 4. code by voice call")
	s.expect("Choose 1-4 (Enter for 1): ")
	s.typeLine("2")
	s.expect("The code by SMS to *********8888 (6 digits, hidden): ")
	s.typeHidden("111111")
	s.expect("Code by SMS: passed.")
	if code := s.exit(); code != 0 {
		t.Fatalf("approve: exit %d\n%s\n%s", code, s.text(), s.stderr)
	}
	if strings.Count(s.text(), "Wise sent a code") != 1 {
		t.Errorf("a second code was sent:\n%s", s.text())
	}
	s.noLeak("904517", "111111")
	if status, result := r.replay("u1", st, ott, ""); status != http.StatusOK || result != "APPROVED" || r.executed(st) != 1 {
		t.Fatalf("replay: HTTP %d %q", status, result)
	}

	// A session in a wallet of its own, whose window is not open yet.
	r2 := newSCARig(t)
	r2.setPIN("6093")
	s = r2.onTerminal("sca", "session", "u1", "--json")
	s.expect("Choose 1-4 (Enter for 1): ")
	s.typeLine("1")
	s.expect("PIN (4 digits, hidden): ")
	s.typeHidden("6093")
	s.expect("PIN: passed.")
	if code := s.exit(); code != 0 {
		t.Fatalf("session: exit %d\n%s\n%s", code, s.text(), s.stderr)
	}
	var v flows.SCASessionView
	if err := json.Unmarshal(s.stdout.Bytes(), &v); err != nil || v.Profile != r2.d.PersonalProfileID || time.Until(v.Until) < 4*time.Minute {
		t.Fatalf("session --json: %v %+v\n%s", err, v, s.stdout)
	}
	s.noLeak("6093")
	if resp := r2.send("u1", r2.statement(), nil); resp.StatusCode != http.StatusOK || resp.Header.Get("x-2fa-approval") != "" {
		t.Errorf("a low-risk call in the session's window: HTTP %d, x-2fa-approval %q", resp.StatusCode, resp.Header.Get("x-2fa-approval"))
	}
}

// Five wrong PINs: each refusal says how many attempts are left, the
// fifth blocks one-time tokens, and approve ends with exit 6 and the time
// the block ends. Nothing was replayed.
func TestSCAFiveWrongPINsBlock(t *testing.T) {
	t.Parallel()
	r := newSCARig(t)
	r.setPIN("5172")
	pay := r.payment()
	ott := r.challenge("u1", pay)
	s := r.onTerminal("sca", "approve", "u1", ott)
	wrong := []string{"5173", "5174", "5175", "5176", "5177"}
	for i, pin := range wrong {
		if i == 0 {
			s.expect("PIN (4 digits, hidden): ")
		} else {
			s.expect(fmt.Sprintf("PIN (4 digits, hidden; %d attempt%s left): ", 5-i, plural(5-i)))
		}
		s.typeHidden(pin)
		if i < 4 {
			s.expect(fmt.Sprintf("PIN: refused (%d attempt%s left before a 15-minute block).", 4-i, plural(4-i)))
		}
	}
	s.expect("Blocked: Wise takes no one-time token for this user until ")
	if n := strings.Count(s.text(), "Challenge 1 of 2"); n != 1 {
		t.Errorf("the challenge was listed %d times, want once:\n%s", n, s.text())
	}
	code := s.exit()
	if code != exitSCA {
		t.Fatalf("approve: exit %d, want %d\n%s\n%s", code, exitSCA, s.text(), s.stderr)
	}
	stderr := s.stderr.String()
	until := regexp.MustCompile(`until (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC)`).FindStringSubmatch(stderr)
	if until == nil {
		t.Fatalf("the block's end is not in the error: %s", stderr)
	}
	end, _ := time.Parse(flows.TimeLayout, until[1])
	if left := time.Until(end); left < 14*time.Minute || left > 16*time.Minute {
		t.Errorf("the block ends in %s, want about 15 minutes", left)
	}
	s.noLeak(append(wrong, "5172")...)
	if r.executed(pay) != 0 {
		t.Error("the call ran")
	}
	// While blocked, Wise makes no one-time token: the call itself says so.
	if resp := r.send("u1", pay, nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a call while blocked: HTTP %d, want 429", resp.StatusCode)
	}
}

// Challenges that cannot be cleared here end with exit 6 and say why:
// a personal token (no factor; what works instead), an interruption
// (Ctrl-C: 130; an empty answer: 6), no terminal at all (nothing sent).
// None replays the call.
func TestSCAChallengesNotCleared(t *testing.T) {
	t.Parallel()
	r := newSCARig(t)
	pay := r.payment()

	ott := r.challenge("p1", pay)
	s := r.onTerminal("sca", "approve", "p1", ott)
	if code := s.exit(); code != exitSCA {
		t.Fatalf("a personal token's approve: exit %d\n%s", code, s.stderr)
	}
	for _, want := range []string{"cannot be cleared with \"p1\"", "PSD2", "Wise app"} {
		if !strings.Contains(s.stderr.String(), want) {
			t.Errorf("the refusal says no %q: %s", want, s.stderr)
		}
	}

	// No terminal: exit 6 before anything is sent (the wallet is not
	// even opened).
	before := r.srv.Stats().Requests
	r.e.expect(r.e.cmd("sca", "approve", "u1", ott), exitSCA, "no terminal to answer the SCA challenge on", "Nothing was sent to Wise")
	r.e.expect(r.e.cmd("sca", "session", "u1"), exitSCA, "no terminal")
	if after := r.srv.Stats().Requests; after != before {
		t.Errorf("without a terminal, %d requests reached localwise", after-before)
	}
	// Setting the PIN needs no terminal; a challenge on the way would.
	r.setPIN("8264")

	// Ctrl-C at the PIN prompt: 130, the terminal restored, no replay.
	ott = r.challenge("u1", pay)
	s = r.onTerminal("sca", "approve", "u1", ott)
	s.expect("PIN (4 digits, hidden): ")
	s.typeHidden("")
	if code := s.exit(); code != exitSCA {
		t.Fatalf("an empty PIN: exit %d, want %d\n%s", code, exitSCA, s.stderr)
	}
	r.e.expect(result{code: exitSCA, stderr: s.stderr.String()}, exitSCA, "interrupted before it was cleared", "not sent again")

	s = r.onTerminal("sca", "approve", "u1", ott)
	s.expect("PIN (4 digits, hidden): ")
	for deadline := time.Now().Add(childTimeout / 2); echoOn(t, s.slave); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("echo stayed on")
		}
	}
	if _, err := s.master.Write([]byte{0x03}); err != nil { // Ctrl-C
		t.Fatal(err)
	}
	if code := s.exit(); code != exitInterrupted || s.stderr.String() != "wisewallet: interrupted\n" {
		t.Fatalf("Ctrl-C: exit %d, stderr %q", code, s.stderr)
	}
	if !echoOn(t, s.slave) {
		t.Error("echo is still off after Ctrl-C")
	}
	if r.executed(pay) != 0 {
		t.Error("an interrupted challenge replayed the call")
	}
	if st := r.e.must("sca", "status", "u1", ott).stdout; !strings.Contains(st, "Ready:           no") {
		t.Errorf("the interrupted token is cleared:\n%s", st)
	}
}

// The legacy SCA key: sca sign's signature verifies with openssl against
// sca pubkey's PEM; uploaded to localwise, it clears a personal token's
// challenge on the replay; a key Wise does not know clears nothing; a key
// under 2048 bits, an unknown key and a token that is none are refused.
func TestSCAKeySignsForOpenSSLAndWise(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("no openssl")
	}
	r := newSCARig(t)
	var k scaKeyJSON
	out := r.e.must("sca", "keygen", "k1", "--for", "p1", "--json").stdout
	if err := json.Unmarshal([]byte(out), &k); err != nil || k.Entry != "k1" || k.For != "p1" || k.KeyType != "rsa2048" || k.Uploaded || k.Env != "local" {
		t.Fatalf("sca keygen --json: %v %+v", err, k)
	}
	pubPEM := r.e.must("sca", "pubkey", "k1").stdout
	block, rest := pem.Decode([]byte(pubPEM))
	if block == nil || block.Type != "PUBLIC KEY" || len(bytes.TrimSpace(rest)) != 0 || strings.Contains(pubPEM, "PRIVATE") {
		t.Fatalf("sca pubkey is not one PUBLIC KEY block:\n%s", pubPEM)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if rsaPub, ok := pub.(*rsa.PublicKey); err != nil || !ok || rsaPub.N.BitLen() != 2048 {
		t.Fatalf("sca pubkey: %v %T", err, pub)
	}
	pubFile := filepath.Join(r.e.root, "k1.pem")
	if err := os.WriteFile(pubFile, []byte(pubPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	pay := r.payment()
	ott := r.challenge("p1", pay)
	sig := r.sign("k1", ott)
	r.opensslVerifies(pubFile, ott, sig)

	// Not uploaded: Wise does not know the key, and the replay is refused.
	if status, result := r.replay("p1", pay, ott, sig); status != http.StatusForbidden || result != "REJECTED" {
		t.Fatalf("a signature of a key Wise does not know: HTTP %d %q", status, result)
	}
	r.e.expect(r.e.cmd("sca", "upload", "k1"), 0, `Uploaded the public key of "k1" to localwise`)
	if status, result := r.replay("p1", pay, ott, sig); status != http.StatusOK || result != "APPROVED" || r.executed(pay) != 1 {
		t.Fatalf("the uploaded key's signature: HTTP %d %q, ran %d", status, result, r.executed(pay))
	}
	if status, _ := r.replay("p1", pay, ott, sig); status != http.StatusForbidden || r.executed(pay) != 1 {
		t.Errorf("the same signed token a second time: HTTP %d, ran %d", status, r.executed(pay))
	}
	// The status of a challenged personal token names the key and the
	// command that signs.
	ott2 := r.challenge("p1", pay)
	if st := r.e.must("sca", "status", "p1", ott2).stdout; !strings.Contains(st, "X-Signature: $(wisewallet sca sign k1 "+ott2+")") || !strings.Contains(st, "none of them can be used: a personal token") {
		t.Errorf("sca status of a personal token:\n%s", st)
	}
	// Bigger keys verify too.
	r.e.must("sca", "keygen", "k3", "--for", "p1", "--bits", "3072")
	pub3 := filepath.Join(r.e.root, "k3.pem")
	if err := os.WriteFile(pub3, []byte(r.e.must("sca", "pubkey", "k3").stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	r.opensslVerifies(pub3, ott2, r.sign("k3", ott2))

	// Refusals, with nothing on stdout.
	names := strings.Join(r.e.names(), " ")
	for _, c := range []struct {
		args  []string
		code  int
		parts []string
	}{
		{[]string{"sca", "keygen", "k4", "--for", "p1", "--bits", "1024"}, exitUsage, []string{"--bits 1024", "at least 2048 bits"}},
		{[]string{"sca", "keygen", "k4", "--for", "p1", "--bits", "2047"}, exitUsage, []string{"at least 2048"}},
		{[]string{"sca", "keygen", "k4", "--for", "p1", "--bits", "8192"}, exitUsage, []string{"2048 (the default), 3072 or 4096"}},
		{[]string{"sca", "sign", "nope", ott2}, exitError, []string{`"nope"`, "wisewallet list"}},
		{[]string{"sca", "sign", "k1", "not-a-token"}, exitUsage, []string{"not a one-time token", "UUIDs"}},
		{[]string{"sca", "sign", "u1", ott2}, exitUsage, []string{`"u1" is a user entry`}},
		{[]string{"sca", "pubkey", "nope"}, exitError, []string{"wisewallet list"}},
	} {
		res := r.e.cmd(c.args...)
		r.e.expect(res, c.code, c.parts...)
		if res.stdout != "" {
			t.Errorf("%s printed on stdout: %q", strings.Join(c.args, " "), res.stdout)
		}
	}
	if after := strings.Join(r.e.names(), " "); after != names {
		t.Errorf("a refused keygen changed the entries: %s -> %s", names, after)
	}
	// A sandbox key is uploaded in Wise's web app, which upload names.
	r.e.expect(r.e.run(call{args: []string{"add", "personal", "sp", "--env", "sandbox"}, stdin: ptr("sandbox-token\n")}), 0)
	r.e.must("sca", "keygen", "sk", "--for", "sp")
	r.e.expect(r.e.cmd("sca", "upload", "sk"), exitUsage, "Manage public keys")
}

// sign is sca sign, checked to print one line of standard base64 and
// nothing else.
func (r *scaRig) sign(key, ott string) string {
	r.t.Helper()
	out := r.e.must("sca", "sign", key, ott).stdout
	sig := strings.TrimSuffix(out, "\n")
	if out != sig+"\n" || strings.ContainsAny(sig, " \n\t") {
		r.t.Fatalf("sca sign printed more than one line: %q", out)
	}
	if _, err := base64.StdEncoding.Strict().DecodeString(sig); err != nil {
		r.t.Fatalf("sca sign printed no standard base64: %v", err)
	}
	return sig
}

// opensslVerifies checks the signature of ott with openssl dgst -verify.
func (r *scaRig) opensslVerifies(pubFile, ott, sig string) {
	r.t.Helper()
	raw, _ := base64.StdEncoding.DecodeString(sig)
	sigFile, ottFile := filepath.Join(r.e.root, "sig.bin"), filepath.Join(r.e.root, "ott.txt")
	if err := os.WriteFile(sigFile, raw, 0o600); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(ottFile, []byte(ott), 0o600); err != nil {
		r.t.Fatal(err)
	}
	out, err := exec.Command("openssl", "dgst", "-sha256", "-verify", pubFile, "-signature", sigFile, ottFile).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Verified OK") {
		r.t.Fatalf("openssl dgst -verify: %v\n%s", err, out)
	}
	// And a changed token does not verify.
	if err := os.WriteFile(ottFile, []byte(strings.ToUpper(ott)), 0o600); err != nil {
		r.t.Fatal(err)
	}
	if out, err := exec.Command("openssl", "dgst", "-sha256", "-verify", pubFile, "-signature", sigFile, ottFile).CombinedOutput(); err == nil {
		r.t.Fatalf("openssl verified the signature over another token:\n%s", out)
	}
}

// The PIN from a pipe: set, refused when it is no PIN (nothing sent),
// refused as a duplicate; change and delete walk Wise's challenge (the
// old PIN) on the terminal.
func TestSCAPINSetChangeDelete(t *testing.T) {
	t.Parallel()
	r := newSCARig(t)
	for _, bad := range []string{"123", "12345", "12a4", ""} {
		r.e.expect(r.e.run(call{args: []string{"sca", "pin", "set", "u1"}, stdin: ptr(bad + "\n")}), exitUsage, "not 4 digits")
	}
	r.e.expect(r.e.cmd("sca", "pin", "set", "u1"), exitUsage, "no terminal to type the PIN on", "printf 1234 |")
	r.setPIN("2958")
	r.e.expect(r.e.run(call{args: []string{"sca", "pin", "set", "u1"}, stdin: ptr("2958\n")}), exitError, "a PIN is set already")
	if f := r.e.must("sca", "factors", "u1").stdout; !strings.Contains(f, fmt.Sprintf("PIN set for profile %d", r.d.PersonalProfileID)) {
		t.Errorf("sca factors after pin set:\n%s", f)
	}
	// Changing it: Wise asks for SCA to delete the old one, cleared with
	// the old PIN on the terminal; the new one comes from the pipe.
	s := r.onTerminal("sca", "pin", "change", "u1")
	s.expect("New PIN (4 digits, hidden): ")
	s.typeHidden("6417")
	s.expect("Repeat it: ")
	s.typeHidden("6417")
	s.expect("Choose 1-4 (Enter for 1): ")
	s.typeLine("1")
	s.expect("PIN (4 digits, hidden): ")
	s.typeHidden("2958")
	s.expect("PIN: passed.")
	if code := s.exit(); code != 0 {
		t.Fatalf("pin change: exit %d\n%s\n%s", code, s.text(), s.stderr)
	}
	s.noLeak("2958", "6417")
	// The new PIN clears a challenge, the old one no longer does.
	pay := r.payment()
	ott := r.challenge("u1", pay)
	s = r.onTerminal("sca", "approve", "u1", ott)
	s.expect("PIN (4 digits, hidden): ")
	s.typeHidden("2958")
	s.expect("PIN: refused")
	s.expect("PIN (4 digits, hidden; 4 attempts left): ")
	s.typeHidden("6417")
	s.expect("PIN: passed.")
	s.expect("Choose 1-3 (Enter for 1): ")
	s.typeLine("3")
	s.expect("(6 digits, hidden): ")
	s.typeHidden("111111")
	if code := s.exit(); code != 0 {
		t.Fatalf("approve with the new PIN: exit %d\n%s\n%s", code, s.text(), s.stderr)
	}
	// Typed twice and different: nothing sent.
	s = r.onTerminal("sca", "pin", "change", "u1")
	s.expect("New PIN (4 digits, hidden): ")
	s.typeHidden("1111")
	s.expect("Repeat it: ")
	s.typeHidden("2222")
	if code := s.exit(); code != exitError || !strings.Contains(s.stderr.String(), "the two PINs differ; nothing was sent") {
		t.Errorf("two different PINs: exit %d, %s", code, s.stderr)
	}
	r.walletHoldsNone("2958", "6417")
}
