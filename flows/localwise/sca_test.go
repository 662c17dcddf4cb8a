package localwise

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The whole loop of a high-risk call: the challenge, its status, a PIN and
// a device fingerprint created and verified with JWE, the replay that runs
// once, and the used token refused.
func TestSCAFundLoopPINAndDevice(t *testing.T) {
	c := newSCA(t, SCAAlways)
	ott := wantChallenge(t, c.fund(c.user, nil))
	if n := c.s.SCAStats().Executed["POST "+fundPath]; n != 0 {
		t.Fatalf("the challenged call ran: %d", n)
	}
	st := c.status(ott)
	if st.status != http.StatusOK {
		t.Fatalf("status: %d %s", st.status, st.body)
	}
	props := st.json["oneTimeTokenProperties"].(map[string]any)
	if props["actionType"] != actionFund || props["validity"] != float64(3600) || props["userId"] != float64(DemoUserID) || props["oneTimeToken"] != ott {
		t.Errorf("status %s", st.body)
	}
	if got := challengeTypes(t, st.json); len(got) != 2 || got[chPIN] || got[chDevice] {
		t.Fatalf("challenges %v", got)
	}
	// The possession challenge offers the phone codes, and FACE_MAP is an
	// alternative of the knowledge one.
	if !strings.Contains(string(st.body), `"FACE_MAP"`) || !strings.Contains(string(st.body), `"obfuscatedPhoneNo":"*********8888"`) {
		t.Errorf("alternatives missing: %s", st.body)
	}

	// Not cleared yet: the same token again.
	early := c.fund(c.user, approval(ott))
	if early.status != 403 || early.header.Get("x-2fa-approval") != ott || early.header.Get("x-2fa-approval-result") != "REJECTED" {
		t.Fatalf("early replay: %d %v %s", early.status, early.header, early.body)
	}

	r, _ := c.jwe(v2+"/pin/verify", ott, map[string]string{"pin": "1234"})
	wantSCAError(t, r, 404, "pin.not.setup")
	c.createPIN("1234")
	flat := c.verifyPIN(ott, "1234")
	for _, k := range []string{"actionType", "userId"} {
		if _, ok := flat[k]; ok {
			t.Errorf("v2 verify answers the flat object only, got %v", flat)
		}
	}
	if got := challengeTypes(t, flat); !got[chPIN] || got[chDevice] {
		t.Fatalf("after PIN: %v", got)
	}
	r, _ = c.jwe(v2+"/device-fingerprints/verify", ott, map[string]string{"deviceFingerprint": "fp-1"})
	wantSCAError(t, r, 404, "device.fingerprint.not.setup")
	c.createDevice("fp-1")
	if got := challengeTypes(t, c.verifyDevice(ott, "fp-1")); !got[chPIN] || !got[chDevice] {
		t.Fatalf("after device: %v", got)
	}

	ok := c.fund(c.user, approval(ott))
	wantApproved(t, ok)
	if ok.str("status") != "COMPLETED" || ok.str("type") != "BALANCE" || ok.json["errorCode"] != nil {
		t.Errorf("fund answer %s", ok.body)
	}
	again := c.fund(c.user, approval(ott))
	wantRefusedReplay(t, again, "ott.used")
	if n := c.s.SCAStats().Executed["POST "+fundPath]; n != 1 {
		t.Fatalf("executed %d times, want once", n)
	}
	wantSCAError(t, c.status(ott), 400, "ott.used")
	st2 := c.s.SCAStats()
	if st2.Challenges != 1 || st2.Approved != 1 || st2.Rejected != 2 {
		t.Errorf("counts %+v", st2)
	}
	// A high-risk call is challenged again at once, window or not.
	wantChallenge(t, c.fund(c.user, nil))
}

// Each phone channel clears a low-risk challenge with 111111, after its
// trigger; the cleared replay opens the 5-minute window.
func TestSCAOTPChannels(t *testing.T) {
	c := newSCA(t, SCAAlways)
	for _, ch := range []string{"sms", "whatsapp", "voice"} {
		t.Run(ch, func(t *testing.T) {
			ott := wantChallenge(t, c.statement(c.user, nil))
			wantSCAError(t, c.otp(ch, "verify", ott, []byte(`{"otpCode":"111111"}`)), 400, "otp.not.triggered")
			tr := c.otp(ch, "trigger", ott, nil)
			if tr.status != 200 || tr.str("obfuscatedPhoneNo") != "*********8888" {
				t.Fatalf("trigger: %d %s", tr.status, tr.body)
			}
			e := wantSCAError(t, c.otp(ch, "verify", ott, []byte(`{"otpCode":"222222"}`)), 400, "otp.invalid")
			if len(e.Arguments) != 1 || e.Arguments[0] != "4" {
				t.Errorf("attempts left %v", e.Arguments)
			}
			v := c.otp(ch, "verify", ott, []byte(`{"otpCode":"111111"}`))
			if v.status != 200 || !challengeTypes(t, v.json)[chPIN] {
				t.Fatalf("verify: %d %s", v.status, v.body)
			}
			wantSCAError(t, c.otp(ch, "verify", ott, []byte(`{"otpCode":"111111"}`)), 400, "challenge.not.applicable")
			ok := c.statement(c.user, approval(ott))
			wantApproved(t, ok)
			if ok.str("query") != "" || ok.json["query"].(map[string]any)["currency"] != "EUR" {
				t.Errorf("statement %s", ok.body)
			}
			// The window: the next low-risk call is not challenged...
			if r := c.statement(c.user, nil); r.status != 200 || r.header.Get("x-2fa-approval-result") != "" {
				t.Fatalf("inside the window: %d %v", r.status, r.header)
			}
			// ...until it closes.
			c.advance(scaWindow)
			wantChallenge(t, c.statement(c.user, nil))
		})
	}
	if n := c.s.SCAStats().Executed["GET "+strings.SplitN(statementPath, "?", 2)[0]]; n != 6 {
		t.Errorf("statements run %d, want 6", n)
	}
	// An OTP code triggered more than 5 minutes ago is gone.
	ott := wantChallenge(t, c.statement(c.user, nil))
	c.otp("sms", "trigger", ott, nil)
	c.advance(otpValid)
	wantSCAError(t, c.otp("sms", "verify", ott, []byte(`{"otpCode":"111111"}`)), 400, "otp.not.triggered")
}

// Five wrong PINs in a row block one-time tokens for 15 minutes on
// localwise's clock; a success resets the run.
func TestSCABlockAfterFiveFailures(t *testing.T) {
	c := newSCA(t, SCAAlways)
	c.createPIN("1234")
	ott := wantChallenge(t, c.statement(c.user, nil))
	// Two failures, then a success: the count starts again.
	for range 2 {
		r, _ := c.jwe(v2+"/pin/verify", ott, map[string]string{"pin": "0000"})
		wantSCAError(t, r, 400, "pin.invalid")
	}
	c.verifyPIN(ott, "1234")
	ott = wantChallenge(t, c.fund(c.user, nil))
	for i := range 4 {
		r, _ := c.jwe(v2+"/pin/verify", ott, map[string]string{"pin": "9999"})
		e := wantSCAError(t, r, 400, "pin.invalid")
		if want := strconv.Itoa(4 - i); len(e.Arguments) != 1 || e.Arguments[0] != want {
			t.Errorf("failure %d: attempts left %v, want %s", i+1, e.Arguments, want)
		}
	}
	r, _ := c.jwe(v2+"/pin/verify", ott, map[string]string{"pin": "9999"})
	e := wantSCAError(t, r, 400, "sca.blocked")
	until := c.clock.Now().Add(15 * time.Minute).UTC().Format(time.RFC3339)
	if len(e.Arguments) != 1 || e.Arguments[0] != until || r.header.Get("Retry-After") != "900" {
		t.Errorf("block: %v Retry-After %q, want until %s", e.Arguments, r.header.Get("Retry-After"), until)
	}
	// While blocked even the right PIN is refused, and so are the other
	// factors and new tokens.
	r, _ = c.jwe(v2+"/pin/verify", ott, map[string]string{"pin": "1234"})
	wantSCAError(t, r, 400, "sca.blocked")
	wantSCAError(t, c.otp("sms", "trigger", ott, nil), 400, "sca.blocked")
	c.advance(10 * time.Minute)
	blocked := c.statement(c.user, nil)
	wantSCAError(t, blocked, 429, "sca.blocked")
	if blocked.header.Get("Retry-After") != "300" || blocked.header.Get("x-2fa-approval") != "" || blocked.header.Get("X-Rate-Limited-By") != "localwise" {
		t.Errorf("blocked call headers %v", blocked.header)
	}
	wantSCAError(t, c.call(http.MethodPost, v2+"/sca-sessions/authorise", c.user, nil, nil), 429, "sca.blocked")
	c.advance(5 * time.Minute)
	ott2 := wantChallenge(t, c.statement(c.user, nil))
	c.verifyPIN(ott2, "1234")
	wantApproved(t, c.statement(c.user, approval(ott2)))
}

// PIN and fingerprint bodies are JWE only: a plain body is refused before
// anything is read from it.
func TestSCAPlainBodiesRefused(t *testing.T) {
	c := newSCA(t, SCAAlways)
	ott := wantChallenge(t, c.statement(c.user, nil))
	for _, path := range []string{v2 + "/pin", v2 + "/pin/verify", "/v1/user/pin", "/v1/one-time-token/pin/verify",
		v2 + "/device-fingerprints", v2 + "/device-fingerprints/verify", "/v1/user/partner-device-fingerprints",
		"/v1/one-time-token/partner-device-fingerprint/verify"} {
		plain := []byte(`{"pin":"1234","deviceFingerprint":"fp"}`)
		hdr := map[string]string{"One-Time-Token": ott, "Accept": joseMediaType, "X-TW-JOSE-Method": "jwe"}
		if r := c.call(http.MethodPost, path, c.user, plain, hdr); r.status != http.StatusUnsupportedMediaType {
			t.Errorf("%s plain JSON: %d %s", path, r.status, r.body)
		}
		hdr["Content-Type"] = joseMediaType
		r := c.call(http.MethodPost, path, c.user, plain, hdr)
		if r.status != 500 || r.header.Get(reasonHeader) == "" {
			t.Errorf("%s plain body as jose: %d %v %s", path, r.status, r.header, r.body)
		}
		delete(hdr, "X-TW-JOSE-Method")
		if r := c.call(http.MethodPost, path, c.user, plain, hdr); r.status != 400 || r.str("error") != "invalid_request" {
			t.Errorf("%s without X-TW-JOSE-Method: %d %s", path, r.status, r.body)
		}
	}
	if c.s.sca.hasOwnPIN(factorKey{DemoUserID, scaProfile}) || len(c.s.sca.listDevices(DemoUserID, scaProfile)) != 0 {
		t.Fatal("a plain body set a factor")
	}
}

func TestSCAPINRules(t *testing.T) {
	c := newSCA(t, SCAAlways)
	for _, bad := range []any{map[string]string{"pin": "12345"}, map[string]string{"pin": "12a4"}, map[string]string{"pin": "١٢٣٤"},
		map[string]int{"pin": 1234}, map[string]string{}} {
		r, _ := c.jwe(v2+"/pin", "", bad)
		wantSCAError(t, r, 400, "pin.invalid.format")
	}
	c.createPIN("4321")
	r, _ := c.jwe(v2+"/pin", "", map[string]string{"pin": "1111"})
	wantSCAError(t, r, 409, "pin.already.exists")
	// Deleting the PIN is a protected call.
	ott := wantChallenge(t, c.call(http.MethodDelete, v2+"/pin", c.user, nil, nil))
	if st := c.status(ott); st.json["oneTimeTokenProperties"].(map[string]any)["actionType"] != actionPINDelete {
		t.Errorf("status %s", st.body)
	}
	c.verifyPIN(ott, "4321")
	if d := c.call(http.MethodDelete, v2+"/pin", c.user, nil, approval(ott)); d.status != 204 || d.header.Get("x-2fa-approval-result") != "APPROVED" {
		t.Fatalf("delete: %d %v", d.status, d.header)
	}
	wantSCAError(t, c.call(http.MethodDelete, v2+"/pin", c.user, nil, nil), 404, "pin.not.setup")
	// v1: a user-wide PIN, 204, which clears challenges of every profile.
	r, _ = c.jwe("/v1/user/pin", "", map[string]string{"pin": "2468"})
	if r.status != 204 || len(r.body) != 0 {
		t.Fatalf("v1 create: %d %s", r.status, r.body)
	}
	r, _ = c.jwe("/v1/user/pin", "", map[string]string{"pin": "2468"})
	wantSCAError(t, r, 409, "pin.already.exists")
	c.advance(scaWindow) // the delete's approval opened the window
	ott = wantChallenge(t, c.statement(c.user, nil))
	r, cek := c.jwe("/v1/one-time-token/pin/verify", ott, map[string]string{"pin": "2468"})
	m := c.open(r, cek)
	if _, ok := m["oneTimeTokenProperties"]; !ok || !challengeTypes(t, m)[chPIN] {
		t.Fatalf("v1 verify answers the wrapped object: %v", m)
	}
	wantApproved(t, c.statement(c.user, approval(ott)))
}

func TestSCADeviceRules(t *testing.T) {
	c := newSCA(t, SCAAlways)
	r, _ := c.jwe(v2+"/device-fingerprints", "", map[string]string{"deviceFingerprint": ""})
	wantSCAError(t, r, 400, "device.fingerprint.invalid.format")
	r, _ = c.jwe(v2+"/device-fingerprints", "", map[string]string{"deviceFingerprint": strings.Repeat("x", 257)})
	wantSCAError(t, r, 400, "device.fingerprint.invalid.format")
	ids := []string{c.createDevice("a"), c.createDevice("b")}
	r, _ = c.jwe(v2+"/device-fingerprints", "", map[string]string{"deviceFingerprint": "a"})
	wantSCAError(t, r, 409, "device.fingerprint.exists")
	ids = append(ids, c.createDevice("c"))
	r, _ = c.jwe(v2+"/device-fingerprints", "", map[string]string{"deviceFingerprint": "d"})
	wantSCAError(t, r, 400, "device.fingerprint.limit")
	list := c.call(http.MethodGet, v2+"/device-fingerprints", c.user, nil, nil)
	var got []deviceJSON
	if err := json.Unmarshal(list.body, &got); err != nil || len(got) != 3 || got[0].DeviceFingerprintID != ids[0] {
		t.Fatalf("list: %s", list.body)
	}
	if strings.Contains(string(list.body), `"a"`) {
		t.Error("the list shows a fingerprint")
	}
	// A wrong fingerprint counts as a failure.
	ott := wantChallenge(t, c.statement(c.user, nil))
	r, _ = c.jwe(v2+"/device-fingerprints/verify", ott, map[string]string{"deviceFingerprint": "z"})
	wantSCAError(t, r, 400, "device.fingerprint.invalid")
	// v1: the wrapped answer.
	r, cek := c.jwe("/v1/one-time-token/partner-device-fingerprint/verify", ott, map[string]string{"deviceFingerprint": "b"})
	if m := c.open(r, cek); !challengeTypes(t, m)[chPIN] {
		t.Fatalf("v1 device verify: %v", m)
	}
	wantApproved(t, c.statement(c.user, approval(ott)))
	// Deleting one is protected; within the window it runs at once.
	if d := c.call(http.MethodDelete, v2+"/device-fingerprints/"+ids[1], c.user, nil, nil); d.status != 204 {
		t.Fatalf("delete in the window: %d %s", d.status, d.body)
	}
	wantSCAError(t, c.call(http.MethodDelete, v2+"/device-fingerprints/"+ids[1], c.user, nil, nil), 404, "device.fingerprint.not.found")
	// v1 enrolment is user-wide, with its own limit.
	r, cek = c.jwe("/v1/user/partner-device-fingerprints", "", map[string]string{"deviceFingerprint": "w"})
	if m := c.open(r, cek); !uuidShape().MatchString(m["deviceFingerprintId"].(string)) {
		t.Fatalf("v1 create: %v", m)
	}
	c.advance(scaWindow)
	ott = wantChallenge(t, c.statement(c.user, nil))
	c.verifyDevice(ott, "w")
	wantApproved(t, c.statement(c.user, approval(ott)))
}

// One-time token problems: each has its code and none counts as a failure.
func TestSCATokenErrors(t *testing.T) {
	c := newSCA(t, SCAAlways)
	c.createPIN("1234")
	wantSCAError(t, c.status(""), 400, "NOT_NULL")
	wantSCAError(t, c.status("not-a-uuid"), 400, "ott.invalid")
	wantSCAError(t, c.status(newUUID()), 400, "ott.not.found")
	r, _ := c.jwe(v2+"/pin/verify", newUUID(), map[string]string{"pin": "1234"})
	wantSCAError(t, r, 400, "ott.not.found")
	ott := wantChallenge(t, c.statement(c.user, nil))
	// The deprecated status path and a version prefix answer the same.
	for _, p := range []string{"/v1/identity/one-time-token/status", "/2026Q3/v1/one-time-token/status"} {
		if r := c.call(http.MethodGet, p, c.user, nil, map[string]string{"One-Time-Token": ott}); r.status != 200 {
			t.Errorf("%s: %d %s", p, r.status, r.body)
		}
	}
	c.advance(30 * time.Minute)
	if v := c.status(ott).json["oneTimeTokenProperties"].(map[string]any)["validity"]; v != float64(1800) {
		t.Errorf("validity after 30 minutes: %v", v)
	}
	c.advance(30 * time.Minute)
	wantSCAError(t, c.status(ott), 400, "ott.expired")
	wantRefusedReplay(t, c.statement(c.user, approval(ott)), "ott.expired")
	wantRefusedReplay(t, c.statement(c.user, approval(newUUID())), "ott.not.found")
	// A cleared token replayed with another body, or on another path, is
	// refused and stays unused.
	ott = wantChallenge(t, c.fund(c.user, nil))
	c.verifyPIN(ott, "1234")
	c.createDevice("fp")
	c.verifyDevice(ott, "fp")
	wantRefusedReplay(t, c.call(http.MethodPost, fundPath, c.user, []byte(`{"type":"BALANCE" }`), approval(ott)), "ott.mismatch")
	wantRefusedReplay(t, c.call(http.MethodPost, strings.Replace(fundPath, "4711", "4712", 1), c.user, fundBody, approval(ott)), "ott.mismatch")
	wantApproved(t, c.fund(c.user, approval(ott)))
	// Failures were not counted: four wrong PINs still leave one attempt.
	ott = wantChallenge(t, c.fund(c.user, nil))
	for range 4 {
		c.jwe(v2+"/pin/verify", ott, map[string]string{"pin": "0000"})
	}
	r, _ = c.jwe(v2+"/pin/verify", ott, map[string]string{"pin": "1234"})
	if r.status != 200 {
		t.Fatalf("fifth attempt: %d %s", r.status, r.body)
	}
}

// Two replays of one cleared token racing: one runs.
func TestSCAReplayRace(t *testing.T) {
	c := newSCA(t, SCAAlways)
	c.createPIN("1234")
	c.createDevice("fp")
	ott := wantChallenge(t, c.fund(c.user, nil))
	c.verifyPIN(ott, "1234")
	c.verifyDevice(ott, "fp")
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = c.fund(c.user, approval(ott)).status
		}()
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		if s == 200 {
			ok++
		}
	}
	if ok != 1 || c.s.SCAStats().Executed["POST "+fundPath] != 1 {
		t.Fatalf("statuses %v, executed %v", statuses, c.s.SCAStats().Executed)
	}
}

func TestSCAModes(t *testing.T) {
	c := newSCA(t, SCANever)
	if r := c.fund(c.user, nil); r.status != 200 || r.header.Get("x-2fa-approval-result") != "" {
		t.Fatalf("never: %d %v", r.status, r.header)
	}
	// The admin endpoint switches, and refuses another mode.
	post := func(body string) result {
		req := newRequest(t, http.MethodPost, c.base+adminPrefix+"sca", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return do(t, req)
	}
	if r := post(`{"mode":"sometimes"}`); r.status != 422 {
		t.Fatalf("bad mode: %d %s", r.status, r.body)
	}
	r := post(`{"mode":"risk","seed":7}`)
	if r.status != 200 || r.str("mode") != "risk" || r.json["seed"] != float64(7) || r.json["lowRiskWindowSeconds"] != float64(300) {
		t.Fatalf("admin: %d %s", r.status, r.body)
	}
	if ex := r.json["counts"].(map[string]any)["executed"].(map[string]any); ex["POST "+fundPath] != float64(1) {
		t.Errorf("admin counts %s", r.body)
	}
	// Risk: high-risk calls always; low-risk ones by the seeded draw, the
	// same sequence for the same seed.
	wantChallenge(t, c.fund(c.user, nil))
	seq := func() string {
		c.s.SetSCASeed(7)
		var b strings.Builder
		for range 16 {
			if c.statement(c.user, nil).status == 403 {
				b.WriteByte('C')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b := seq(), seq()
	if a != b || !strings.Contains(a, "C") || !strings.Contains(a, ".") {
		t.Fatalf("risk sequences %s %s", a, b)
	}
	if g := c.call(http.MethodGet, adminPrefix+"sca", "", nil, nil); g.str("mode") != "risk" {
		t.Errorf("GET admin: %s", g.body)
	}
}

// A client-credentials token is no caller of protected calls, and a
// personal token only of the calls and the status.
func TestSCATokenKinds(t *testing.T) {
	c := newSCA(t, SCAAlways)
	ct := clientToken(t, c.base, testClientID, testClientSecret)
	wantOAuthError(t, c.fund(ct, nil), 403, "insufficient_scope")
	wantOAuthError(t, c.call(http.MethodGet, "/v1/one-time-token/status", ct, nil, nil), 403, "insufficient_scope")
	ott := wantChallenge(t, c.fund(c.personal, nil))
	if r := c.call(http.MethodGet, "/v1/one-time-token/status", c.personal, nil, map[string]string{"One-Time-Token": ott}); r.status != 200 {
		t.Fatalf("personal status: %d %s", r.status, r.body)
	}
	for _, p := range []string{v2 + "/pin", v2 + "/pin/verify", v2 + "/device-fingerprints", "/v1/one-time-token/sms/trigger", v2 + "/sca-sessions/authorise"} {
		r := c.call(http.MethodPost, p, c.personal, nil, map[string]string{"One-Time-Token": ott})
		wantOAuthError(t, r, 403, "insufficient_scope")
		if !strings.Contains(r.str("error_description"), "X-Signature") {
			t.Errorf("%s: %s", p, r.body)
		}
	}
	// The token is the user's: the user token reads it too, but not for
	// another profile's calls (the profile must be the user's).
	if r := c.call(http.MethodPost, "/v3/profiles/99/transfers/1/payments", c.user, fundBody, nil); r.status != 404 {
		t.Errorf("another profile: %d %s", r.status, r.body)
	}
	if r := c.call(http.MethodPost, fundPath, c.user, []byte(`{}`), nil); r.status != 400 {
		t.Errorf("fund without type: %d %s", r.status, r.body)
	}
	if r := c.call(http.MethodGet, "/v1/profiles/"+itoa(scaProfile)+"/balance-statements/64/statement.json?currency=EUR", c.user, nil, nil); r.status != 400 {
		t.Errorf("statement without interval: %d %s", r.status, r.body)
	}
	if c.s.SCAStats().Challenges != 1 {
		t.Errorf("refused calls raised challenges: %+v", c.s.SCAStats())
	}
}

// The legacy personal-token scheme: keys uploaded to "Manage public
// keys", the one-time token signed, the replay approved once.
func TestSCALegacySignature(t *testing.T) {
	c := newSCA(t, SCAAlways)
	keys, _ := testKeys()
	k := keys[0]
	up := c.uploadKey(pubPEM(t, &k.PublicKey))
	if up.status != 201 || up.json["bits"] != float64(2048) || !uuidShape().MatchString(up.str("keyId")) {
		t.Fatalf("upload: %d %s", up.status, up.body)
	}
	ott := wantChallenge(t, c.fund(c.personal, nil))
	// Signed by a key not uploaded: refused, the token stays.
	bad := c.fund(c.personal, map[string]string{"x-2fa-approval": ott, "X-Signature": signOTT(t, keys[1], ott)})
	if bad.status != 403 || bad.header.Get("x-2fa-approval") != ott || bad.header.Get(reasonHeader) != "signature.invalid" {
		t.Fatalf("unknown key: %d %v %s", bad.status, bad.header, bad.body)
	}
	if bad := c.fund(c.personal, map[string]string{"x-2fa-approval": ott, "X-Signature": "not base64!"}); bad.header.Get(reasonHeader) != "signature.invalid" {
		t.Errorf("garbage signature: %v", bad.header)
	}
	// A signature over another token does not do either.
	if bad := c.fund(c.personal, map[string]string{"x-2fa-approval": ott, "X-Signature": signOTT(t, k, newUUID())}); bad.status != 403 {
		t.Errorf("signature of another token: %d", bad.status)
	}
	sig := signOTT(t, k, ott)
	wantApproved(t, c.fund(c.personal, map[string]string{"x-2fa-approval": ott, "X-Signature": sig}))
	wantRefusedReplay(t, c.fund(c.personal, map[string]string{"x-2fa-approval": ott, "X-Signature": sig}), "ott.used")
	if n := c.s.SCAStats().Executed["POST "+fundPath]; n != 1 {
		t.Fatalf("executed %d", n)
	}
	// X-Signature means nothing on a user token's replay.
	uott := wantChallenge(t, c.fund(c.user, nil))
	if r := c.fund(c.user, map[string]string{"x-2fa-approval": uott, "X-Signature": signOTT(t, k, uott)}); r.status != 403 || r.header.Get("x-2fa-approval") != uott {
		t.Errorf("user-token replay with a signature: %d %v", r.status, r.header)
	}
	// Withdrawn, as Wise has it now.
	c.s.SetSCALegacySignature(false)
	c.advance(scaWindow)
	ott = wantChallenge(t, c.statement(c.personal, nil))
	w := c.statement(c.personal, map[string]string{"x-2fa-approval": ott, "X-Signature": signOTT(t, k, ott)})
	if w.status != 403 || w.header.Get(reasonHeader) != "signature.withdrawn" || !strings.Contains(w.str("message"), "Wise app") {
		t.Fatalf("withdrawn: %d %v %s", w.status, w.header, w.body)
	}
}

func TestSCAPublicKeyRules(t *testing.T) {
	c := newSCA(t, SCAAlways)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	priv := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(small)}))
	for want, text := range map[string]string{
		"NOT_NULL":      "",
		"key.not.pem":   "ssh-rsa AAAA",
		"key.too.small": pubPEM(t, &small.PublicKey),
		"key.not.rsa":   pubPEM(t, &ec.PublicKey),
	} {
		r := c.uploadKey(text)
		if e := wantSCAError(t, r, 422, want); e.Path != "publicKey" {
			t.Errorf("%s: path %q", want, e.Path)
		}
	}
	r := c.uploadKey(priv)
	wantSCAError(t, r, 422, "key.not.pem")
	if strings.Contains(string(r.body), "PRIVATE KEY-----") {
		t.Error("the refusal echoes the private key")
	}
	keys, _ := testKeys()
	// PKCS#1 "RSA PUBLIC KEY" is taken too.
	pk1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&keys[0].PublicKey)}))
	if r := c.uploadKey(pk1); r.status != 201 {
		t.Fatalf("PKCS#1: %d %s", r.status, r.body)
	}
	wantSCAError(t, c.uploadKey(pubPEM(t, &keys[0].PublicKey)), 409, "NOT_UNIQUE")
	for i := 1; i < 4; i++ {
		if r := c.uploadKey(pubPEM(t, &keys[i].PublicKey)); r.status != 201 {
			t.Fatal(r.status)
		}
	}
	fifth, _ := rsa.GenerateKey(rand.Reader, 2048)
	sixth, _ := rsa.GenerateKey(rand.Reader, 2048)
	if r := c.uploadKey(pubPEM(t, &fifth.PublicKey)); r.status != 201 {
		t.Fatal(r.status)
	}
	wantSCAError(t, c.uploadKey(pubPEM(t, &sixth.PublicKey)), 422, "LIMIT_REACHED")
	list := c.call(http.MethodGet, scaKeysAPIPath, c.personal, nil, nil)
	ks := list.json["keys"].([]any)
	if len(ks) != 5 {
		t.Fatalf("list: %s", list.body)
	}
	id := ks[0].(map[string]any)["keyId"].(string)
	if r := c.call(http.MethodDelete, scaKeysAPIPath+"/"+id, c.personal, nil, nil); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	wantSCAError(t, c.call(http.MethodDelete, scaKeysAPIPath+"/"+id, c.personal, nil, nil), 404, "key.not.found")
	wantOAuthError(t, c.call(http.MethodGet, scaKeysAPIPath, c.user, nil, nil), 403, "insufficient_scope")
	wantOAuthError(t, c.call(http.MethodGet, scaKeysAPIPath, "", nil, nil), 401, "unauthorized")
}

// The "Manage public keys" page: sign in with the personal token, add a
// key, delete it.
func TestSCAPublicKeysPage(t *testing.T) {
	c := newSCA(t, SCAAlways)
	page := do(t, newRequest(t, http.MethodGet, c.base+scaKeysPagePath, nil))
	if page.status != 200 || !strings.Contains(string(page.body), "Manage public keys") || page.header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("page: %d %v", page.status, page.header)
	}
	if r := postForm(t, c.base+scaKeysPagePath+"/sign-in", url.Values{"token": {c.user}}); r.status != 401 {
		t.Errorf("a user token signed in: %d", r.status)
	}
	in := postForm(t, c.base+scaKeysPagePath+"/sign-in", url.Values{"token": {c.personal}})
	if in.status != 200 || !strings.Contains(string(in.body), DemoUserEmail) || !strings.Contains(string(in.body), `0 of 5`) {
		t.Fatalf("sign in: %d %s", in.status, in.body)
	}
	session := hiddenValue(t, in.body, "session")
	keys, _ := testKeys()
	up := postForm(t, c.base+scaKeysPagePath+"/upload", url.Values{"session": {session}, "publicKey": {pubPEM(t, &keys[2].PublicKey)}})
	if up.status != 201 || !strings.Contains(string(up.body), "1 of 5") {
		t.Fatalf("upload: %d %s", up.status, up.body)
	}
	if r := postForm(t, c.base+scaKeysPagePath+"/upload", url.Values{"session": {session}, "publicKey": {"junk"}}); r.status != 422 || !strings.Contains(string(r.body), "not PEM") {
		t.Errorf("junk upload: %d", r.status)
	}
	id := c.s.sca.listKeys(DemoUserID)[0].id
	if r := postForm(t, c.base+scaKeysPagePath+"/delete", url.Values{"session": {session}, "keyId": {id}}); r.status != 200 || !strings.Contains(string(r.body), "0 of 5") {
		t.Errorf("delete: %d", r.status)
	}
	if r := postForm(t, c.base+scaKeysPagePath+"/upload", url.Values{"session": {"nope"}, "publicKey": {"x"}}); r.status != 401 {
		t.Errorf("unknown session: %d", r.status)
	}
}

// hiddenValue reads a hidden form field from a page.
func hiddenValue(t testing.TB, page []byte, name string) string {
	t.Helper()
	marker := `name="` + name + `" value="`
	i := strings.Index(string(page), marker)
	if i < 0 {
		t.Fatalf("no hidden %s in %s", name, page)
	}
	rest := string(page)[i+len(marker):]
	return rest[:strings.IndexByte(rest, '"')]
}

// An SCA session: one approval covers the low-risk window.
func TestSCASession(t *testing.T) {
	c := newSCA(t, SCAAlways)
	c.createPIN("1234")
	r := c.call(http.MethodPost, v2+"/sca-sessions/authorise", c.user, nil, nil)
	if r.status != 200 {
		t.Fatalf("authorise: %d %s", r.status, r.body)
	}
	props := r.json["oneTimeTokenProperties"].(map[string]any)
	ott := props["oneTimeToken"].(string)
	if got := challengeTypes(t, r.json); len(got) != 1 || got[chPIN] {
		t.Fatalf("session challenges %v", got)
	}
	if st := c.status(ott); st.json["oneTimeTokenProperties"].(map[string]any)["actionType"] != actionSession {
		t.Errorf("status %s", st.body)
	}
	wantChallenge(t, c.statement(c.user, nil)) // not open yet
	c.verifyPIN(ott, "1234")
	if s := c.statement(c.user, nil); s.status != 200 {
		t.Fatalf("in the session: %d", s.status)
	}
	again := c.call(http.MethodPost, v2+"/sca-sessions/authorise", c.user, nil, nil)
	if got := challengeTypes(t, again.json); len(got) != 0 {
		t.Errorf("an open window asks again: %v", got)
	}
	wantChallenge(t, c.fund(c.user, nil)) // high risk: not covered
	// The optional replay of authorise with the cleared token.
	wantApproved(t, c.call(http.MethodPost, v2+"/sca-sessions/authorise", c.user, nil, approval(ott)))
	c.advance(scaWindow)
	wantChallenge(t, c.statement(c.user, nil))
}

// FACE_MAP is offered but cannot be done here; clients must say so.
func TestSCAFacemap(t *testing.T) {
	c := newSCA(t, SCAAlways)
	ott := wantChallenge(t, c.statement(c.user, nil))
	for _, p := range []string{v2 + "/facemaps", v2 + "/facemaps/verify", "/v1/one-time-token/facemap/verify", "/v1/user/facemap/enrol"} {
		wantSCAError(t, c.call(http.MethodPost, p, c.user, []byte(`{"faceMap":"AAAA"}`), map[string]string{"One-Time-Token": ott}), 400, "facemap.not.supported")
	}
	wantSCAError(t, c.call(http.MethodDelete, v2+"/facemaps", c.user, nil, nil), 404, "facemap.not.setup")
}

// The approve-api-action page, by its forms: what the browser helper
// posts, the sign-in that clears the token, the message for the opener.
func TestSCAApprovePage(t *testing.T) {
	c := newSCA(t, SCAAlways)
	idle := do(t, newRequest(t, http.MethodGet, c.base+approvePath, nil))
	if idle.status != 200 {
		t.Fatalf("GET: %d", idle.status)
	}
	// Frameable, unlike the other pages, and still script-locked.
	csp := idle.header.Get("Content-Security-Policy")
	if idle.header.Get("X-Frame-Options") != "" || strings.Contains(csp, "frame-ancestors") || !strings.Contains(csp, "script-src 'sha256-") {
		t.Errorf("headers %v", idle.header)
	}
	ott := wantChallenge(t, c.fund(c.user, nil))
	page := postForm(t, c.base+approvePath, url.Values{"ott": {ott}, "libVersion": {"0.9.5"}, "parentHostname": {"127.0.0.1"}, "flow": {"iframe"}})
	if page.status != 200 || !strings.Contains(string(page.body), "fund a transfer") || !strings.Contains(string(page.body), DemoUserEmail) {
		t.Fatalf("form: %d %s", page.status, page.body)
	}
	wrong := postForm(t, c.base+approveDonePath, url.Values{"ott": {ott}, "flow": {"iframe"}, "password": {DemoUserPassword}, "otpCode": {"123456"}})
	if wrong.status != 400 || !strings.Contains(string(wrong.body), "4 attempts left") || strings.Contains(string(wrong.body), msgFailed) {
		t.Fatalf("wrong code: %d %s", wrong.status, wrong.body)
	}
	ok := postForm(t, c.base+approveDonePath, url.Values{"ott": {ott}, "flow": {"iframe"}, "password": {DemoUserPassword}, "otpCode": {demoOTP}})
	if ok.status != 200 || !strings.Contains(string(ok.body), `data-message="`+msgApproved+`"`) || !strings.Contains(string(ok.body), `data-flow="iframe"`) {
		t.Fatalf("approve: %d %s", ok.status, ok.body)
	}
	wantApproved(t, c.fund(c.user, approval(ott)))
	gone := postForm(t, c.base+approvePath, url.Values{"ott": {ott}, "flow": {"popup"}})
	if !strings.Contains(string(gone.body), `data-message="`+msgFailed+`"`) {
		t.Errorf("used token: %s", gone.body)
	}
}

// Secrets typed into localwise (PIN, fingerprint, codes) never come back:
// not in an answer, not in an error, not in its log.
func TestSCASecretsNeverEchoed(t *testing.T) {
	var mu sync.Mutex
	var logged strings.Builder
	clock := newClock()
	s, base := start(t, Config{Now: clock.Now, SCAMode: SCAAlways, Logf: func(f string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		logged.WriteString(fmt.Sprintf(f, a...) + "\n")
	}})
	access, _ := userTokens(t, base)
	c := &scaClient{t: t, s: s, base: base, clock: clock, user: access, personal: DemoPersonalToken,
		enc: newJOSEClient(t, base, testClientID, testClientSecret).encryptionKey(0)}
	const pin, wrongPIN, fp, wrongFP, wrongOTP = "7391", "7392", "canary-fingerprint-5ca1ab1e", "canary-wrong-fingerprint", "739173"
	var bodies []string
	keep := func(r result) { bodies = append(bodies, string(r.body)+fmt.Sprint(r.header)) }
	r, _ := c.jwe(v2+"/pin", "", map[string]string{"pin": pin})
	keep(r)
	r, _ = c.jwe(v2+"/pin", "", map[string]string{"pin": pin})
	keep(r)
	r, _ = c.jwe(v2+"/device-fingerprints", "", map[string]string{"deviceFingerprint": fp})
	keep(r)
	r, _ = c.jwe(v2+"/device-fingerprints", "", map[string]string{"deviceFingerprint": fp})
	keep(r)
	ott := wantChallenge(t, c.fund(c.user, nil))
	r, _ = c.jwe(v2+"/pin/verify", ott, map[string]string{"pin": wrongPIN})
	keep(r)
	r, _ = c.jwe(v2+"/device-fingerprints/verify", ott, map[string]string{"deviceFingerprint": wrongFP})
	keep(r)
	c.otp("sms", "trigger", ott, nil)
	keep(c.otp("sms", "verify", ott, []byte(`{"otpCode":"`+wrongOTP+`"}`)))
	keep(c.call(http.MethodGet, v2+"/device-fingerprints", c.user, nil, nil))
	keep(postForm(t, base+approveDonePath, url.Values{"ott": {ott}, "password": {"canary-password"}, "otpCode": {wrongOTP}}))
	keep(c.status(ott))
	mu.Lock()
	all := strings.Join(bodies, "\n") + logged.String()
	mu.Unlock()
	for _, secret := range []string{pin, wrongPIN, fp, wrongFP, wrongOTP, "canary-password"} {
		if strings.Contains(all, secret) {
			t.Errorf("%q came back", secret)
		}
	}
}
