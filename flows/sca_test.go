package flows

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// SCA end to end against localwise over HTTP: a protected call meets a
// challenge, its status is read, each factor clears it, and the same
// request is sent once more, which localwise runs once with the same body
// bytes. The refusals (wrong PIN to the block, a reused token, a wrong
// code, an unknown SCA key, a weak key, an interrupted challenge, no
// factor at all) and the canaries for PIN, codes and fingerprints.

const (
	scaProfileID = localwise.DemoPersonalProfileID
	goodOTP      = "111111"
)

var (
	fundPath      = "/v3/profiles/" + strconv.Itoa(scaProfileID) + "/transfers/77/payments"
	fundBody      = []byte(`{"type":"BALANCE"}`)
	statementPath = "/v1/profiles/" + strconv.Itoa(scaProfileID) + "/balance-statements/64/statement.json?currency=EUR&intervalStart=2025-03-01T00:00:00.000Z&intervalEnd=2025-04-30T23:59:59.999Z&type=COMPACT"
)

// sent is one request as it left the service.
type sent struct {
	method, path string
	header       http.Header
	body         []byte
}

// recorder keeps every request the service sends.
type recorder struct {
	mu   sync.Mutex
	reqs []sent
	next http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, sent{req.Method, req.URL.RequestURI(), req.Header.Clone(), body})
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

// to lists the requests sent to path (with its query).
func (r *recorder) to(method, path string) []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []sent
	for _, s := range r.reqs {
		if s.method == method && s.path == path {
			out = append(out, s)
		}
	}
	return out
}

func (r *recorder) all() []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sent(nil), r.reqs...)
}

type scaFixture struct {
	*fixture
	rec *recorder
}

// newSCAFixture is localwise challenging every protected call, the demo
// user logged in through an OAuth client as "u", and the personal token as
// "me"; the service records what it sends.
func newSCAFixture(t *testing.T) *scaFixture {
	t.Helper()
	f := newFixture(t, localwise.Config{SCAMode: localwise.SCAAlways})
	rec := &recorder{next: wise.DefaultHTTPClient().Transport}
	hc := wise.DefaultHTTPClient()
	hc.Transport = rec
	f.svc = New(f.w, Options{HTTP: hc, Now: f.clock.Now})
	redirect := f.loopbackClient()
	if _, err := f.login(LoginRequest{As: "u"}, func(u string) {
		followRedirect(t, authorizeByHTTP(t, u, scaProfileID, "approve"), redirect)
	}); err != nil {
		t.Fatalf("login: %v", err)
	}
	f.addPersonal("me")
	return &scaFixture{fixture: f, rec: rec}
}

// solver answers from a script and records what it was told.
type solver struct {
	mu      sync.Mutex
	choose  []SCAFactor // taken in turn; the last one repeats
	pins    []string
	otps    []string
	offered []SCAChallengeView
	events  []SCAEvent
	asked   []int // attempts left given to PIN
	stop    error // returned by Choose when set
}

func (s *solver) Choose(_ context.Context, ch SCAChallengeView) (SCAFactor, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offered = append(s.offered, ch)
	if s.stop != nil {
		return "", s.stop
	}
	f := s.choose[0]
	if len(s.choose) > 1 {
		s.choose = s.choose[1:]
	}
	return f, nil
}

func (s *solver) PIN(_ context.Context, left int) (crypto.Secret, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked = append(s.asked, left)
	p := s.pins[0]
	if len(s.pins) > 1 {
		s.pins = s.pins[1:]
	}
	return crypto.SecretString(p), nil
}

func (s *solver) OTP(_ context.Context, _ SCAFactor, phone string) (crypto.Secret, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if phone != "*********8888" {
		return crypto.Secret{}, fmt.Errorf("the code went to %q", phone)
	}
	c := s.otps[0]
	if len(s.otps) > 1 {
		s.otps = s.otps[1:]
	}
	return crypto.SecretString(c), nil
}

func (s *solver) Progress(_ context.Context, ev SCAEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, ev)
}

func (s *solver) kinds() []SCAEventKind {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SCAEventKind
	for _, e := range s.events {
		out = append(out, e.Kind)
	}
	return out
}

func (s *solver) has(k SCAEventKind) bool {
	for _, got := range s.kinds() {
		if got == k {
			return true
		}
	}
	return false
}

// executed is how often localwise ran the protected call.
func (f *scaFixture) executed(method, path string) int {
	f.t.Helper()
	n := 0
	for k, v := range f.srv.SCAStats().Executed {
		if k == method+" "+path || strings.HasPrefix(k, method+" "+strings.SplitN(path, "?", 2)[0]) {
			n += v
		}
	}
	return n
}

// assertReplayedOnce checks the call went twice on the wire (the
// challenged one and the replay) with the same bytes, the replay alone
// with the token, and ran once at localwise.
func (f *scaFixture) assertReplayedOnce(res CallResult, method, path string, body []byte) {
	f.t.Helper()
	if !res.Challenged || !res.Replayed || res.Status != http.StatusOK || res.Approval != wise.ApprovalApproved {
		f.t.Fatalf("result: %+v", res)
	}
	reqs := f.rec.to(method, path)
	if len(reqs) != 2 {
		f.t.Fatalf("%d requests to %s %s, want the call and one replay", len(reqs), method, path)
	}
	if !bytes.Equal(reqs[0].body, body) || !bytes.Equal(reqs[1].body, body) {
		f.t.Fatalf("bodies %q and %q, want %q both times", reqs[0].body, reqs[1].body, body)
	}
	if reqs[0].header.Get(wise.HeaderApproval) != "" || reqs[1].header.Get(wise.HeaderApproval) != res.OTT {
		f.t.Fatalf("x-2fa-approval: %q then %q (token %s)", reqs[0].header.Get(wise.HeaderApproval), reqs[1].header.Get(wise.HeaderApproval), res.OTT)
	}
	if n := f.executed(method, path); n != 1 {
		f.t.Fatalf("localwise ran the call %d times", n)
	}
}

func (f *scaFixture) setPIN(pin string) {
	f.t.Helper()
	if err := f.svc.PINSet(bg, "u", scaProfileID, crypto.SecretString(pin), &solver{}); err != nil {
		f.t.Fatalf("PIN set: %v", err)
	}
}

func (f *scaFixture) addDevice() DeviceView {
	f.t.Helper()
	d, err := f.svc.DeviceAdd(bg, "u", scaProfileID, &solver{})
	if err != nil {
		f.t.Fatalf("device add: %v", err)
	}
	return d
}

func TestEachFactorClearsAChallengeAndTheCallIsReplayedOnce(t *testing.T) {
	t.Parallel()
	for _, factor := range []SCAFactor{FactorPIN, FactorDeviceFingerprint, FactorSMS, FactorWhatsApp, FactorVoice} {
		t.Run(string(factor), func(t *testing.T) {
			t.Parallel()
			f := newSCAFixture(t)
			switch factor {
			case FactorPIN:
				f.setPIN("4826")
			case FactorDeviceFingerprint:
				f.addDevice()
			}
			s := &solver{choose: []SCAFactor{factor}, pins: []string{"4826"}, otps: []string{goodOTP}}
			res, err := f.svc.Call(bg, CallInput{Entry: "u", Method: http.MethodGet, Path: statementPath}, s)
			if err != nil {
				t.Fatalf("call: %v (events %v)", err, s.kinds())
			}
			f.assertReplayedOnce(res, http.MethodGet, statementPath, nil)
			if !bytes.Contains(res.Body, []byte(`"currency":"EUR"`)) && !bytes.Contains(res.Body, []byte("EUR")) {
				t.Errorf("statement body: %s", res.Body)
			}
			want := []SCAEventKind{EventStatusRead}
			if factor.IsOTP() {
				want = append(want, EventOTPSent)
			}
			want = append(want, EventFactorPassed, EventReplaying, EventReplayed)
			if got := s.kinds(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("events %v, want %v", got, want)
			}
			// The challenge offered what this credential can solve, and
			// said why not for the face scan.
			ch := s.offered[0]
			for _, o := range ch.Options {
				if o.Factor == FactorFaceMap && (o.Solvable || !strings.Contains(o.WhyNot, "terminal")) {
					t.Errorf("FACE_MAP: %+v", o)
				}
			}
			if ch.Index != 1 || ch.Total != 1 || ch.ActionType != "BALANCE__GET_STATEMENT" {
				t.Errorf("challenge %+v", ch)
			}
			// Only the phone code picked was sent.
			for _, r := range f.rec.all() {
				if strings.Contains(r.path, "/trigger") && !strings.Contains(r.path, "/"+strings.ToLower(string(factor))+"/") {
					t.Errorf("a code was sent by %s, but %s was picked", r.path, factor)
				}
			}
		})
	}
}

func TestAHighRiskPOSTClearsBothChallengesAndRunsOnceWithTheSameBody(t *testing.T) {
	t.Parallel()
	f := newSCAFixture(t)
	f.setPIN("4826")
	f.addDevice()
	s := &solver{choose: []SCAFactor{FactorPIN, FactorDeviceFingerprint}, pins: []string{"4826"}}
	res, err := f.svc.Call(bg, CallInput{Entry: "u", Method: http.MethodPost, Path: fundPath, Body: fundBody,
		Header: http.Header{"Content-Type": {"application/json"}}}, s)
	if err != nil {
		t.Fatalf("call: %v (events %v)", err, s.kinds())
	}
	f.assertReplayedOnce(res, http.MethodPost, fundPath, fundBody)
	if !bytes.Contains(res.Body, []byte(`"COMPLETED"`)) {
		t.Errorf("body %s", res.Body)
	}
	if len(s.offered) != 2 || s.offered[0].Total != 2 || s.offered[1].Index != 2 || s.offered[0].ActionType != "TRANSFER__FUND" {
		t.Errorf("offered %+v", s.offered)
	}
	// The PIN and fingerprint went to Wise's key only: JWE, never clear.
	fp := secretOf(t, f.saved("u"), wallet.SecretDeviceFingerprint)
	for _, r := range f.rec.all() {
		if strings.Contains(r.path, "/verify") && !strings.Contains(r.path, "/sms/") {
			if r.header.Get("Content-Type") != "application/jose+json" || r.header.Get("X-Tw-Jose-Method") != "jwe" || r.header.Get(wise.HeaderOneTimeToken) != res.OTT {
				t.Errorf("%s: headers %v", r.path, r.header)
			}
		}
		assertNoSecret(t, r.path, string(r.body), "4826", fp)
	}
}

func TestAStatusIsReadOnTheDeprecatedPathWhereTheNewOneIsUnknown(t *testing.T) {
	t.Parallel()
	f := newSCAFixture(t)
	res, err := f.svc.Call(bg, CallInput{Entry: "u", Method: http.MethodGet, Path: statementPath}, &solver{stop: ErrSCAInterrupted})
	var ie *ChallengeInterruptedError
	if !errors.As(err, &ie) || !res.Challenged {
		t.Fatalf("%v %+v", err, res)
	}
	v, err := f.svc.SCAStatus(bg, "u", res.OTT)
	if err != nil || v.Deprecated || v.Ready || len(v.Pending()) != 1 || v.ActionType != "BALANCE__GET_STATEMENT" || v.ValiditySeconds <= 0 {
		t.Fatalf("%v %+v", err, v)
	}
	// A server that knows only the deprecated path.
	hc := &http.Client{Transport: hideNewStatus{wise.DefaultHTTPClient().Transport}}
	old := New(f.w, Options{HTTP: hc})
	v, err = old.SCAStatus(bg, "u", res.OTT)
	if err != nil || !v.Deprecated || len(v.Pending()) != 1 {
		t.Fatalf("deprecated: %v %+v", err, v)
	}
}

// hideNewStatus answers 404 for the v1 status path, as a server that
// knows only the deprecated one.
type hideNewStatus struct{ next http.RoundTripper }

func (h hideNewStatus) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == wise.OTTStatusPath {
		return &http.Response{StatusCode: 404, Header: http.Header{"Content-Type": {"application/json"}}, Request: r,
			Body: io.NopCloser(strings.NewReader(`{"status":404,"error":"Not Found"}`))}, nil
	}
	return h.next.RoundTrip(r)
}

func TestAWrongPINCountsDownToTheBlockWhichSaysWhenItEnds(t *testing.T) {
	t.Parallel()
	f := newSCAFixture(t)
	f.setPIN("4826")
	s := &solver{choose: []SCAFactor{FactorPIN}, pins: []string{"0000"}}
	before := time.Now()
	res, err := f.svc.Call(bg, CallInput{Entry: "u", Method: http.MethodGet, Path: statementPath}, s)
	var be *SCABlockedError
	if !errors.As(err, &be) || !errors.Is(err, ErrSCANotCleared) {
		t.Fatalf("%T %v", err, err)
	}
	if be.Until.Before(before.Add(14*time.Minute)) || be.Until.After(time.Now().Add(16*time.Minute)) {
		t.Errorf("blocked until %v", be.Until)
	}
	if !strings.Contains(err.Error(), ShowTime(be.Until, time.UTC)) {
		t.Errorf("the error does not say when: %v", err)
	}
	if fmt.Sprint(s.asked) != "[-1 4 3 2 1]" {
		t.Errorf("attempts left shown %v", s.asked)
	}
	var fails int
	for _, ev := range s.events {
		if ev.Kind == EventFactorFailed {
			var wp *WrongPINError
			if !errors.As(ev.Err, &wp) {
				t.Errorf("failure %v", ev.Err)
			}
			fails++
		}
	}
	if fails != 4 || !s.has(EventBlocked) || s.has(EventReplaying) || res.Replayed {
		t.Errorf("fails %d, events %v", fails, s.kinds())
	}
	if len(f.rec.to(http.MethodGet, statementPath)) != 1 || f.executed(http.MethodGet, statementPath) != 0 {
		t.Error("a blocked challenge was replayed")
	}
	// While blocked, a new call meets the block (no token to clear).
	_, err = f.svc.Call(bg, CallInput{Entry: "u", Method: http.MethodGet, Path: statementPath}, &solver{choose: []SCAFactor{FactorPIN}, pins: []string{"4826"}})
	if !errors.As(err, &be) {
		t.Errorf("the next call: %v", err)
	}
}

func TestAWrongCodeIsCountedAndAnotherIsAskedFor(t *testing.T) {
	t.Parallel()
	f := newSCAFixture(t)
	const wrong = "902614"
	s := &solver{choose: []SCAFactor{FactorSMS}, otps: []string{wrong, goodOTP}}
	res, err := f.svc.Call(bg, CallInput{Entry: "u", Method: http.MethodGet, Path: statementPath}, s)
	if err != nil {
		t.Fatal(err)
	}
	f.assertReplayedOnce(res, http.MethodGet, statementPath, nil)
	var wo *WrongOTPError
	for _, ev := range s.events {
		if ev.Kind == EventFactorFailed && errors.As(ev.Err, &wo) {
			break
		}
	}
	if wo == nil || wo.AttemptsLeft != 4 || wo.Channel != FactorSMS {
		t.Fatalf("no wrong-code failure with attempts left: %v", s.kinds())
	}
	assertErrNoSecret(t, "wrong code", wo, wrong, goodOTP)
	// One code sent: the second answer reused it.
	if n := len(f.rec.to(http.MethodPost, "/v1/one-time-token/sms/trigger")); n != 1 {
		t.Errorf("%d codes sent", n)
	}
}

func TestAUsedOneTimeTokenIsRefusedAsUsed(t *testing.T) {
	t.Parallel()
	f := newSCAFixture(t)
	res, err := f.svc.Call(bg, CallInput{Entry: "u", Method: http.MethodGet, Path: statementPath}, &solver{choose: []SCAFactor{FactorSMS}, otps: []string{goodOTP}})
	if err != nil {
		t.Fatal(err)
	}
	var used *OTTUsedError
	if _, err := f.svc.SCAStatus(bg, "u", res.OTT); !errors.As(err, &used) || used.OTT != res.OTT {
		t.Errorf("status of a used token: %v", err)
	}
	if _, err := f.svc.SCAApprove(bg, "u", res.OTT, &solver{choose: []SCAFactor{FactorSMS}, otps: []string{goodOTP}}); !errors.As(err, &used) {
		t.Errorf("approve of a used token: %v", err)
	}
	// Sent again with the used token by hand, the call is refused and
	// not run.
	c, err := f.svc.scaCredential(bg, f.saved("u"), 0, "")
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.api.Send(bg, wise.Raw{Method: http.MethodGet, Path: statementPath, Token: c.token, Approval: res.OTT})
	if err == nil || a.Approval != wise.ApprovalRejected || s2e(f.svc.replayError(c, res.OTT, false, a, err)) == nil {
		t.Fatalf("%v %+v", err, a)
	}
	if !errors.As(f.svc.replayError(c, res.OTT, false, a, err), &used) {
		t.Errorf("replay with a used token: %v", f.svc.replayError(c, res.OTT, false, a, err))
	}
	if n := f.executed(http.MethodGet, statementPath); n != 1 {
		t.Errorf("ran %d times", n)
	}
}

func s2e(err error) error { return err }

func TestAnInterruptedChallengeSendsNoReplay(t *testing.T) {
	t.Parallel()
	f := newSCAFixture(t)
	f.setPIN("4826")
	// Interrupted at the choice, and (another call) by the context while
	// the PIN is asked for.
	res, err := f.svc.Call(bg, CallInput{Entry: "u", Method: http.MethodPost, Path: fundPath, Body: fundBody}, &solver{stop: fmt.Errorf("no terminal: %w", ErrSCAInterrupted)})
	var ie *ChallengeInterruptedError
	if !errors.As(err, &ie) || !errors.Is(err, ErrSCANotCleared) || !errors.Is(err, ErrSCAInterrupted) || res.Replayed {
		t.Fatalf("%v %+v", err, res)
	}
	ctx, cancel := context.WithCancel(bg)
	s := &cancelOnPIN{solver: solver{choose: []SCAFactor{FactorPIN}, pins: []string{"4826"}}, cancel: cancel}
	_, err = f.svc.Call(ctx, CallInput{Entry: "u", Method: http.MethodPost, Path: fundPath, Body: fundBody}, s)
	if !errors.As(err, &ie) {
		t.Fatalf("cancelled: %v", err)
	}
	if n := len(f.rec.to(http.MethodPost, fundPath)); n != 2 {
		t.Errorf("%d sends of the call, want 2 (one per call, no replay)", n)
	}
	if n := f.executed(http.MethodPost, fundPath); n != 0 {
		t.Errorf("ran %d times", n)
	}
}

// cancelOnPIN gives up (the user pressed Ctrl-C) when the PIN is asked.
type cancelOnPIN struct {
	solver
	cancel context.CancelFunc
}

func (c *cancelOnPIN) PIN(ctx context.Context, _ int) (crypto.Secret, error) {
	c.cancel()
	return crypto.Secret{}, ctx.Err()
}

func TestAPersonalTokenClearsAChallengeOnlyWithItsUploadedLegacyKey(t *testing.T) {
	t.Parallel()
	f := newSCAFixture(t)
	// No key: nothing can clear it, and the error says what works.
	s := &solver{}
	_, err := f.svc.Call(bg, CallInput{Entry: "me", Method: http.MethodPost, Path: fundPath, Body: fundBody}, s)
	var ns *NoSolvableFactorError
	if !errors.As(err, &ns) || !errors.Is(err, ErrSCANotCleared) {
		t.Fatalf("%T %v", err, err)
	}
	for _, w := range []string{"PSD2", "Wise app", "OAuth", "personal token"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("the error does not say %q: %v", w, err)
		}
	}
	if len(ns.Factors) == 0 || ns.ActionType != "TRANSFER__FUND" {
		t.Errorf("%+v", ns)
	}
	if _, err := f.svc.SCAApprove(bg, "me", f.lastOTT(), s); !errors.As(err, &ns) {
		t.Errorf("approve: %v", err)
	}

	// Too small a key is refused; a key not uploaded signs what Wise
	// does not know.
	if _, err := f.svc.SCAKeygen(bg, SCAKeyInput{Name: "weak", Bits: 1024, For: "me"}); !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "2048") {
		t.Errorf("1024 bits: %v", err)
	}
	if _, err := f.svc.SCAKeygen(bg, SCAKeyInput{Name: "k", For: "me"}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Call(bg, CallInput{Entry: "me", Method: http.MethodPost, Path: fundPath, Body: fundBody}, s)
	var unknown *SCAKeyUnknownError
	if !errors.As(err, &unknown) || unknown.Key != "k" || !strings.Contains(err.Error(), "Manage public keys") {
		t.Fatalf("not uploaded: %T %v", err, err)
	}
	if f.executed(http.MethodPost, fundPath) != 0 {
		t.Fatal("ran without a known key")
	}

	v, err := f.svc.SCAUpload(bg, "k")
	if err != nil || !v.Uploaded || v.KeyID == "" {
		t.Fatalf("upload: %v %+v", err, v)
	}
	if _, err := f.svc.SCAUpload(bg, "k"); err != nil {
		t.Errorf("a second upload of the same key: %v", err)
	}
	f.rec.mu.Lock()
	f.rec.reqs = nil
	f.rec.mu.Unlock()
	s = &solver{}
	res, err := f.svc.Call(bg, CallInput{Entry: "me", Method: http.MethodPost, Path: fundPath, Body: fundBody}, s)
	if err != nil {
		t.Fatal(err)
	}
	f.assertReplayedOnce(res, http.MethodPost, fundPath, fundBody)
	replay := f.rec.to(http.MethodPost, fundPath)[1]
	pub, _ := f.svc.SCAPublicKey("k")
	if err := crypto.VerifyOneTimeTokenSignature(pub, res.OTT, replay.header.Get(wise.HeaderSignature)); err != nil {
		t.Errorf("the X-Signature sent: %v", err)
	}
	if !s.has(EventSigned) {
		t.Errorf("events %v", s.kinds())
	}
	// Where Wise has withdrawn the scheme, the error says so and what works.
	f.srv.SetSCALegacySignature(false)
	_, err = f.svc.Call(bg, CallInput{Entry: "me", Method: http.MethodPost, Path: fundPath, Body: fundBody}, &solver{})
	if !errors.As(err, &ns) || !strings.Contains(err.Error(), "Wise app") {
		t.Errorf("withdrawn: %v", err)
	}
}

// lastOTT is the token of the last challenge the service met.
func (f *scaFixture) lastOTT() string {
	reqs := f.rec.all()
	for i := len(reqs) - 1; i >= 0; i-- {
		if ott := reqs[i].header.Get(wise.HeaderOneTimeToken); ott != "" {
			return ott
		}
	}
	f.t.Fatal("no one-time token seen")
	return ""
}

func TestSCAKeySignatureVerifiesWithItsPublicKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	f.addPersonal("me")
	for _, bits := range []int{0, 3072} {
		name := "k" + strconv.Itoa(bits)
		v, err := f.svc.SCAKeygen(bg, SCAKeyInput{Name: name, Bits: bits, For: "me"})
		if err != nil {
			t.Fatal(err)
		}
		if v.Kind != KindSCA || v.LinkedTo != "me" || v.Env.Name != wallet.EnvLocal || v.KeyType != "rsa"+strconv.Itoa(max(bits, 2048)) {
			t.Errorf("%+v", v)
		}
		pub, err := f.svc.SCAPublicKey(name)
		if err != nil || !bytes.HasPrefix(pub, []byte("-----BEGIN PUBLIC KEY-----")) {
			t.Fatalf("%v %s", err, pub)
		}
		const ott = "9f5f5812-2609-4e48-8418-b64437c0c7cd"
		sig, err := f.svc.SCASign(name, ott)
		if err != nil {
			t.Fatal(err)
		}
		if err := crypto.VerifyOneTimeTokenSignature(pub, ott, sig); err != nil {
			t.Error(err)
		}
	}
	if _, err := f.svc.SCASign("k0", "not-a-token"); !errors.Is(err, ErrUsage) {
		t.Errorf("a malformed token: %v", err)
	}
	if _, err := f.svc.SCAKeygen(bg, SCAKeyInput{Name: "x", For: "nobody"}); !errors.Is(err, ErrEntryNotFound) {
		t.Errorf("for a missing entry: %v", err)
	}
	// Sandbox and production keys go up in Wise's web app.
	if _, err := f.svc.SCAKeygen(bg, SCAKeyInput{Name: "loose"}); err != nil {
		t.Fatal(err)
	}
	var nl *SCAKeyNotLinkedError
	if _, err := f.svc.SCAUpload(bg, "loose"); !errors.As(err, &nl) {
		t.Errorf("unlinked upload: %v", err)
	}
	sandbox, _ := ResolveEnv("sandbox", "")
	if _, err := f.svc.AddPersonal(bg, "sb", sandbox, crypto.SecretString("sandbox-token-0123456789")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SCAKeygen(bg, SCAKeyInput{Name: "sbk", For: "sb"}); err != nil {
		t.Fatal(err)
	}
	var ue *SCAUploadElsewhereError
	if _, err := f.svc.SCAUpload(bg, "sbk"); !errors.As(err, &ue) || !strings.Contains(err.Error(), "Manage public keys") {
		t.Errorf("sandbox upload: %v", err)
	}
}

func TestPINAndDevicesAreSetUpChangedAndRemoved(t *testing.T) {
	t.Parallel()
	f := newSCAFixture(t)
	// The factors before any set-up: phone codes only.
	fv := f.svc.SCAFactors("u")
	for _, o := range fv.Factors {
		want := o.Factor.IsOTP() || o.Factor == FactorPIN
		if o.Solvable != want || !o.Solvable && o.WhyNot == "" {
			t.Errorf("%+v", o)
		}
	}
	if err := f.svc.PINSet(bg, "u", scaProfileID, crypto.SecretString("12a4"), &solver{}); !errors.Is(err, ErrUsage) {
		t.Errorf("a PIN of letters: %v", err)
	}
	f.setPIN("4826")
	if e := f.saved("u"); !e.HasSCAPIN(scaProfileID) {
		t.Error("the PIN is not recorded as set")
	}
	var exists *FactorExistsError
	if err := f.svc.PINSet(bg, "u", scaProfileID, crypto.SecretString("1111"), &solver{}); !errors.As(err, &exists) {
		t.Errorf("a second PIN: %v", err)
	}
	// Change: the delete is challenged and cleared with the old PIN.
	s := &solver{choose: []SCAFactor{FactorPIN}, pins: []string{"4826"}}
	if err := f.svc.PINChange(bg, "u", scaProfileID, crypto.SecretString("5937"), s); err != nil {
		t.Fatalf("change: %v (events %v)", err, s.kinds())
	}
	if !s.has(EventReplayed) {
		t.Errorf("the delete was not challenged: %v", s.kinds())
	}
	// The new PIN clears the next challenge.
	res, err := f.svc.Call(bg, CallInput{Entry: "u", Method: http.MethodPost, Path: fundPath, Body: fundBody},
		&solver{choose: []SCAFactor{FactorPIN, FactorSMS}, pins: []string{"5937"}, otps: []string{goodOTP}})
	if err != nil || res.Status != 200 {
		t.Fatalf("with the new PIN: %v", err)
	}
	// Delete (the low-risk window is open after that approval).
	if err := f.svc.PINDelete(bg, "u", scaProfileID, &solver{choose: []SCAFactor{FactorSMS}, otps: []string{goodOTP}}); err != nil {
		t.Fatal(err)
	}
	if e := f.saved("u"); e.HasSCAPIN(scaProfileID) {
		t.Error("the PIN is still recorded")
	}
	var ns *FactorNotSetUpError
	if err := f.svc.PINDelete(bg, "u", scaProfileID, &solver{choose: []SCAFactor{FactorSMS}, otps: []string{goodOTP}}); !errors.As(err, &ns) {
		t.Errorf("delete without a PIN: %v", err)
	}

	// Devices: this one, then the list, the limit, and its removal.
	d := f.addDevice()
	e := f.saved("u")
	fp := secretOf(t, e, wallet.SecretDeviceFingerprint)
	if !d.ThisDevice || d.ID == "" || e.DeviceFingerprintID != d.ID || e.DeviceRegisteredAt == nil || len(fp) != 43 {
		t.Fatalf("%+v %+v", d, e.SCA)
	}
	if _, err := f.svc.DeviceAdd(bg, "u", scaProfileID, &solver{}); !errors.As(err, &exists) {
		t.Errorf("this device again: %v", err)
	}
	list, err := f.svc.DeviceList(bg, "u", scaProfileID)
	if err != nil || len(list) != 1 || !list[0].ThisDevice || list[0].ID != d.ID {
		t.Fatalf("%v %+v", err, list)
	}
	s = &solver{choose: []SCAFactor{FactorDeviceFingerprint}}
	if err := f.svc.DeviceRemove(bg, "u", scaProfileID, d.ID, s); err != nil {
		t.Fatalf("remove: %v (%v)", err, s.kinds())
	}
	e = f.saved("u")
	if e.DeviceFingerprintID != "" || !e.Secret(wallet.SecretDeviceFingerprint).IsZero() {
		t.Errorf("the removed device is still in the entry: %+v", e.SCA)
	}
	if err := f.svc.DeviceRemove(bg, "u", scaProfileID, "../x", &solver{}); !errors.Is(err, ErrUsage) {
		t.Errorf("an id that is a path: %v", err)
	}
	// A personal token has no factors to set up.
	var ke *KindError
	if err := f.svc.PINSet(bg, "me", 0, crypto.SecretString("4826"), &solver{}); !errors.As(err, &ke) {
		t.Errorf("personal PIN: %v", err)
	}
}

func TestTheFourthDeviceIsRefused(t *testing.T) {
	t.Parallel()
	f := newSCAFixture(t)
	// Three other installs register first (each its own entry).
	for i := range 3 {
		name := "u" + strconv.Itoa(i)
		e := f.saved("u")
		e.Name = name
		e.SetSecret(wallet.SecretDeviceFingerprint, crypto.Secret{})
		if err := f.w.Update(bg, func(c *wallet.Contents) error { return c.Add(e) }); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.DeviceAdd(bg, name, scaProfileID, &solver{}); err != nil {
			t.Fatal(err)
		}
	}
	var tm *TooManyDevicesError
	if _, err := f.svc.DeviceAdd(bg, "u", scaProfileID, &solver{}); !errors.As(err, &tm) {
		t.Fatalf("%v", err)
	}
}

func TestASessionCoversTheLowRiskWindow(t *testing.T) {
	t.Parallel()
	f := newSCAFixture(t)
	s := &solver{choose: []SCAFactor{FactorSMS}, otps: []string{goodOTP}}
	v, err := f.svc.SCASession(bg, "u", scaProfileID, s)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Status.Ready || v.Until.Before(time.Now().Add(4*time.Minute)) || !s.has(EventSessionActive) {
		t.Fatalf("%+v %v", v, s.kinds())
	}
	if e := f.saved("u"); e.SCASessionUntil == nil {
		t.Error("the window's end is not recorded")
	}
	// A low-risk call is not challenged in the window.
	res, err := f.svc.Call(bg, CallInput{Entry: "u", Method: http.MethodGet, Path: statementPath}, &solver{stop: ErrSCAInterrupted})
	if err != nil || res.Challenged || res.Status != 200 {
		t.Fatalf("%v %+v", err, res)
	}
}

func TestAPINSentInClearIsRefusedByLocalwise(t *testing.T) {
	t.Parallel()
	f := newSCAFixture(t)
	c, err := f.svc.scaCredential(bg, f.saved("u"), scaProfileID, "")
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.api.Send(bg, wise.Raw{Method: http.MethodPost, Path: wise.PINPath(scaProfileID), Token: c.token, Body: []byte(`{"pin":"4826"}`),
		Header: http.Header{"Accept": {"application/jose+json"}, "X-Tw-Jose-Method": {"jwe"}}})
	if err == nil || a.Status != http.StatusUnsupportedMediaType {
		t.Fatalf("%v %d", err, a.Status)
	}
	if f.saved("u").HasSCAPIN(scaProfileID) {
		t.Fatal("recorded")
	}
}

func TestNoPINCodeOrFingerprintInAnyErrorEventOrTheWalletFile(t *testing.T) {
	t.Parallel()
	f := newSCAFixture(t)
	const pin, wrongPIN, wrongOTP = "7391", "6028", "805617"
	f.setPIN(pin)
	d := f.addDevice()
	fp := secretOf(t, f.saved("u"), wallet.SecretDeviceFingerprint)
	long := []string{wrongOTP, fp}
	short := []string{pin, wrongPIN, goodOTP}
	var errs []error
	var events []SCAEvent
	run := func(s *solver, in CallInput) {
		_, err := f.svc.Call(bg, in, s)
		errs = append(errs, err)
		events = append(events, s.events...)
	}
	run(&solver{choose: []SCAFactor{FactorPIN, FactorSMS}, pins: []string{wrongPIN, pin}, otps: []string{wrongOTP, goodOTP}}, CallInput{Entry: "u", Method: http.MethodPost, Path: fundPath, Body: fundBody})
	run(&solver{choose: []SCAFactor{FactorPIN}, pins: []string{"12"}, stop: nil}, CallInput{Entry: "u", Method: http.MethodPost, Path: fundPath, Body: fundBody})
	errs = append(errs, f.svc.PINSet(bg, "u", scaProfileID, crypto.SecretString(wrongPIN), &solver{}))
	errs = append(errs, f.svc.PINSet(bg, "u", scaProfileID, crypto.SecretString("x"+wrongPIN), &solver{}))
	_, err := f.svc.DeviceAdd(bg, "u", scaProfileID, &solver{})
	errs = append(errs, err)
	texts := map[string]string{"factors": fmt.Sprintf("%+v", f.svc.SCAFactors("u")), "device": fmt.Sprintf("%+v", d)}
	for i, ev := range events {
		texts["event "+strconv.Itoa(i)] = fmt.Sprintf("%+v %v", ev, ev.Status)
		if ev.Err != nil {
			errs = append(errs, ev.Err)
		}
	}
	for i, err := range errs {
		if err != nil {
			for verb, text := range errorTexts(err) {
				texts["error "+strconv.Itoa(i)+" "+verb] = text
			}
		}
	}
	for _, v := range f.svc.Entries() {
		texts["view "+v.Name] = fmt.Sprintf("%+v", v)
	}
	for where, text := range texts {
		assertNoSecret(t, where, text, long...)
		assertNoNumber(t, where, text, short...)
	}
	raw, err := os.ReadFile(filepath.Join(f.dir, wallet.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fp, pin, wrongPIN} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the wallet file holds %q in clear", s[:2]+"…")
		}
	}
}

// assertNoNumber is assertNoSecret for a PIN or code: a few digits, which
// a trace id or token in hex may hold by chance, so only a number of its
// own (not inside a longer run of letters and digits) counts.
func assertNoNumber(t testing.TB, where, text string, numbers ...string) {
	t.Helper()
	for i, n := range numbers {
		re := regexp.MustCompile(`(^|[^0-9A-Za-z])` + n + `($|[^0-9A-Za-z])`)
		if loc := re.FindStringIndex(text); loc != nil {
			t.Errorf("%s: number #%d appears at byte %d of %d", where, i, loc[0], len(text))
		}
	}
}

// challengeFirst answers the first request to path with a challenge for
// ott, as Wise may on any call; everything else goes to localwise.
type challengeFirst struct {
	next      http.RoundTripper
	path, ott string
	done      bool
	body      []byte // the challenged request's
	mu        sync.Mutex
}

func (c *challengeFirst) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	first := !c.done && r.URL.Path == c.path
	c.done = c.done || first
	c.mu.Unlock()
	if first {
		c.body, _ = io.ReadAll(r.Body)
		return &http.Response{StatusCode: http.StatusForbidden, Request: r, Body: io.NopCloser(strings.NewReader(`{"status":403,"error":"Forbidden"}`)),
			Header: http.Header{"Content-Type": {"application/json"}, "X-2fa-Approval": {c.ott}, "X-2fa-Approval-Result": {wise.ApprovalRejected}}}, nil
	}
	return c.next.RoundTrip(r)
}

func TestAJOSECallIsProtectedAfreshOnItsReplay(t *testing.T) {
	t.Parallel()
	f := newSCAFixture(t)
	// A real token of localwise's, to clear and to send back.
	first, err := f.svc.Call(bg, CallInput{Entry: "u", Method: http.MethodGet, Path: statementPath}, &solver{stop: ErrSCAInterrupted})
	if !first.Challenged || err == nil {
		t.Fatalf("%v %+v", err, first)
	}
	pinPath := wise.PINPath(scaProfileID)
	inject := &challengeFirst{next: f.rec, path: pinPath, ott: first.OTT}
	svc := New(f.w, Options{HTTP: &http.Client{Transport: inject}, Now: f.clock.Now})
	s := &solver{choose: []SCAFactor{FactorSMS}, otps: []string{goodOTP}}
	res, err := svc.Call(bg, CallInput{Entry: "u", Method: http.MethodPost, Path: pinPath, Body: []byte(`{"pin":"4826"}`), JOSE: string(wise.JOSEDirect)}, s)
	if err != nil {
		t.Fatalf("%v (%v)", err, s.kinds())
	}
	if !res.Challenged || !res.Replayed || res.Status != http.StatusOK || len(res.Steps) == 0 {
		t.Fatalf("%+v", res)
	}
	// Only the replay reached localwise (the recorder sits behind the
	// injected challenge); it carried the token and a JWE, not the PIN.
	reqs := f.rec.to(http.MethodPost, pinPath)
	if len(reqs) != 1 {
		t.Fatalf("%d requests reached localwise", len(reqs))
	}
	r := reqs[0]
	if r.header.Get(wise.HeaderApproval) != first.OTT || r.header.Get("Content-Type") != "application/jose+json" || strings.Count(string(r.body), ".") != 4 || bytes.Contains(r.body, []byte("4826")) {
		t.Fatalf("replay: %v %q", r.header, r.body[:min(20, len(r.body))])
	}
	// Protected afresh: another JWE of the same plaintext (a new content
	// key), not the first bytes sent again.
	if strings.Count(string(inject.body), ".") != 4 || bytes.Equal(inject.body, r.body) {
		t.Errorf("the replay's JWE is the first one's, or the first was no JWE")
	}
	// The PIN was set once: a second one is refused as existing.
	var exists *FactorExistsError
	if err := f.svc.PINSet(bg, "u", scaProfileID, crypto.SecretString("4826"), &solver{}); !errors.As(err, &exists) {
		t.Errorf("%v", err)
	}
}

// onlyV1 answers 404 (a Spring body: no such path) for the v2 PIN and
// device paths, as a server that knows only the deprecated v1 ones.
type onlyV1 struct{ next http.RoundTripper }

func (o onlyV1) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Path, "/v2/profiles/") && (strings.Contains(r.URL.Path, "/pin") || strings.Contains(r.URL.Path, "/device-fingerprints")) {
		_, _ = io.Copy(io.Discard, r.Body)
		return &http.Response{StatusCode: http.StatusNotFound, Request: r, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(`{"timestamp":"x","status":404,"error":"Not Found","path":"` + r.URL.Path + `"}`))}, nil
	}
	return o.next.RoundTrip(r)
}

func TestTheV1FactorPathsServeWhereTheV2OnesAreUnknown(t *testing.T) {
	t.Parallel()
	f := newSCAFixture(t)
	svc := New(f.w, Options{HTTP: &http.Client{Transport: onlyV1{f.rec}}, Now: f.clock.Now})
	if err := svc.PINSet(bg, "u", scaProfileID, crypto.SecretString("4826"), &solver{}); err != nil {
		t.Fatal(err)
	}
	if e := f.saved("u"); !e.HasSCAPIN(0) || e.HasSCAPIN(scaProfileID) {
		t.Errorf("a v1 PIN is the user's: %v", e.SCAPINSet)
	}
	if _, err := svc.DeviceAdd(bg, "u", scaProfileID, &solver{}); err != nil {
		t.Fatal(err)
	}
	s := &solver{choose: []SCAFactor{FactorPIN, FactorDeviceFingerprint}, pins: []string{"4826"}}
	res, err := svc.Call(bg, CallInput{Entry: "u", Method: http.MethodPost, Path: fundPath, Body: fundBody}, s)
	if err != nil {
		t.Fatalf("%v (%v)", err, s.kinds())
	}
	f.assertReplayedOnce(res, http.MethodPost, fundPath, fundBody)
	for _, p := range []string{"/v1/user/pin", "/v1/user/partner-device-fingerprints", "/v1/one-time-token/pin/verify", "/v1/one-time-token/partner-device-fingerprint/verify"} {
		if len(f.rec.to(http.MethodPost, p)) != 1 {
			t.Errorf("%s was not used once", p)
		}
	}
}

func TestAFailedVerificationInWisesOwnWordsIsAFactorRefused(t *testing.T) {
	s := New(nil, Options{})
	c := scaCred{e: wallet.Entry{Name: "u", Kind: wallet.KindUser}}
	const ott = "9f5f5812-2609-4e48-8418-b64437c0c7cd"
	plain := &APIError{Status: 400, Code: "verification.failed"}
	var wp *WrongPINError
	if err := s.scaError(c, ott, FactorPIN, plain); !errors.As(err, &wp) || wp.AttemptsLeft != -1 {
		t.Errorf("PIN: %v", err)
	}
	var wo *WrongOTPError
	if err := s.scaError(c, ott, FactorVoice, plain); !errors.As(err, &wo) {
		t.Errorf("voice: %v", err)
	}
	// Not on a create (no token), nor for a code that says something else.
	if err := s.scaError(c, "", FactorPIN, plain); err != plain {
		t.Errorf("create: %v", err)
	}
	na := &APIError{Status: 400, Code: wise.CodeChallengeNotApplies}
	if err := s.scaError(c, ott, FactorPIN, na); err != na {
		t.Errorf("not applicable: %v", err)
	}
	var be *SCABlockedError
	if err := s.scaError(c, ott, FactorPIN, &APIError{Status: 400, Code: wise.CodeSCABlocked, Args: []string{"2030-01-02T03:04:05Z"}}); !errors.As(err, &be) || be.Until.Year() != 2030 {
		t.Errorf("blocked: %v", err)
	}
}
