package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/flows"
)

// A public key as SCAPublicKey gives it (made up: only its shape counts).
const wzSCAPEM = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo
4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u
+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyeh
kd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ
0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdg
cKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbc
mwIDAQAB
-----END PUBLIC KEY-----`

// wzSCAUser is a user logged in through acme-app, approved for the
// business profile.
func wzSCAUser() flows.EntryView {
	e := flows.EntryView{Name: "partner-user", Kind: flows.KindUser, LinkedTo: "acme-app", CreatedAt: wzNow,
		Env: flows.Environment{Name: flows.EnvLocal, APIURL: "http://127.0.0.1:41999"}}
	e.UserID, e.UserEmail, e.ProfileID = 6146956, "demo@localwise.test", 501
	e.Profiles = []flows.Profile{{ID: 101, Type: "personal", Name: "Ada Lovelace"}, {ID: 501, Type: "business", Name: "Acme Ltd"}}
	return e
}

func wzSCAPersonal() flows.EntryView {
	e := flows.EntryView{Name: "acme-personal", Kind: flows.KindPersonal, CreatedAt: wzNow,
		Env: flows.Environment{Name: flows.EnvLocal, APIURL: "http://127.0.0.1:41999"}}
	e.Profiles = []flows.Profile{{ID: 501, Type: "business", Name: "Acme Ltd"}}
	return e
}

// wzUserFactors is what flows says a user can use; pin and device say
// what is set up.
func wzUserFactors(pin, device bool) flows.SCAFactorsView {
	v := flows.SCAFactorsView{Credential: "partner-user", Kind: flows.KindUser, Factors: []flows.SCAFactorOption{
		// As flows judges it: Wise may know a PIN set elsewhere.
		{Factor: flows.FactorPIN, Solvable: true, SetUp: pin},
		{Factor: flows.FactorDeviceFingerprint, Solvable: device, SetUp: device, WhyNot: map[bool]string{false: "this device is not registered"}[device]},
		{Factor: flows.FactorSMS, Solvable: true},
		{Factor: flows.FactorWhatsApp, Solvable: true},
		{Factor: flows.FactorVoice, Solvable: true},
		{Factor: flows.FactorFaceMap, WhyNot: "a face scan cannot be captured in a terminal"},
		{Factor: flows.FactorLegacySignature, WhyNot: "only for personal tokens"},
	}}
	if pin {
		v.PINProfiles = []int64{501}
	}
	if device {
		at := wzNow
		v.DeviceID, v.DeviceRegisteredAt = "3f2b8c1e-7d44-4a09-9e51-0c6a2b7d9f10", &at
	}
	return v
}

func wzPersonalFactors(key string) flows.SCAFactorsView {
	return flows.SCAFactorsView{Credential: "acme-personal", Kind: flows.KindPersonal, SCAKey: key,
		Factors: []flows.SCAFactorOption{
			{Factor: flows.FactorLegacySignature, Solvable: key != "", SetUp: key != "", WhyNot: map[bool]string{true: "no SCA key for this token yet"}[key == ""]},
			{Factor: flows.FactorPIN, WhyNot: "a personal token cannot clear one-time-token factors"},
			{Factor: flows.FactorDeviceFingerprint, WhyNot: "a personal token cannot clear one-time-token factors"},
			{Factor: flows.FactorFaceMap, WhyNot: "a face scan cannot be captured in a terminal"},
		},
		Note: "In the EU and UK, PSD2 keeps funding transfers and balance statements out of a personal token's reach: fund transfers in the Wise app."}
}

// wzSCAFlow is the setup with the wallet's credentials read.
func wzSCAFlow(c *Common) *scaFlow {
	s := newSCAFlow(c, 6)
	s.Init()
	s.Update(scaCredsMsg{id: s.creds.op.id, creds: []flows.EntryView{wzSCAPersonal(), wzSCAUser()},
		factors: map[string]flows.SCAFactorsView{"acme-personal": wzPersonalFactors(""), "partner-user": wzUserFactors(false, false)}})
	return s
}

func wzSCAKey(uploaded bool) flows.EntryView {
	e := flows.EntryView{Name: "acme-personal-sca", Kind: flows.KindSCA, LinkedTo: "acme-personal", CreatedAt: wzNow,
		Env: flows.Environment{Name: flows.EnvLocal, APIURL: "http://127.0.0.1:41999"}}
	e.KeyType, e.Uploaded = "rsa2048", uploaded
	return e
}

// Every step of the setup for a logged-in user, at 80x24 and 100x30:
// what it can use, the profile, the PIN typed hidden twice, this device,
// the check and its result.
func TestSCAFlowUserSteps(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {100, 30}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			c := wzCommon(size[0], size[1])
			s := wzSCAFlow(c)
			snap := func(name string) {
				t.Run(name, func(t *testing.T) {
					wzGolden(t, c, s)
					noSecret(t, "the setup", wzFrame(c, s), wzPINCanary)
				})
			}
			snap("01-when-wise-asks")
			press(s, "enter")
			snap("02-credential")
			press(s, "down", "enter")
			if s.cred.Name != "partner-user" || s.step != ssFactors {
				t.Fatalf("step %d on %q, want the factors of partner-user", s.step, s.cred.Name)
			}
			snap("03-factors")
			press(s, "enter")
			if s.step != ssProfile || s.profiles.cursor != 1 {
				t.Fatalf("step %d, cursor %d: want the profile step on the approved profile", s.step, s.profiles.cursor)
			}
			snap("04-profile")
			press(s, "enter")
			snap("05-pin")
			press(s, "enter")
			typeInto(s, wzPINCanary)
			snap("06-pin-typed")
			press(s, "enter")
			typeInto(s, "1111")
			press(s, "enter")
			if s.step != ssPINAgain || !strings.Contains(wzFlat(s), "Not the same PIN") {
				t.Fatalf("a second PIN that differs was taken (step %d)", s.step)
			}
			snap("07-pin-differs")
			typeInto(s, wzPINCanary)
			press(s, "enter")
			if s.step != ssPINCall || !s.op.busy {
				t.Fatalf("step %d: want the PIN being set", s.step)
			}
			if s.pin.Value() != "" || s.pinAgain.Value() != "" {
				t.Error("the PIN fields still hold the PIN while it is sent")
			}
			snap("08-setting-the-pin")
			s.Update(scaPartMsg{id: s.op.id, part: partPIN, what: "set for profile 501", factors: wzUserFactors(true, false)})
			snap("09-device")
			press(s, "enter")
			snap("10-registering")
			s.Update(scaPartMsg{id: s.op.id, part: partDevice, what: "registered, id 3f2b8c1e-7d44-4a09-9e51-0c6a2b7d9f10", factors: wzUserFactors(true, true),
				devices: []flows.DeviceView{{ID: "3f2b8c1e-7d44-4a09-9e51-0c6a2b7d9f10", Profile: 501, ThisDevice: true}}})
			snap("11-check")
			press(s, "enter")
			snap("12-checking")
			s.Update(scaPartMsg{id: s.op.id, part: partCheck, factors: wzUserFactors(true, true),
				session: &flows.SCASessionView{Credential: "partner-user", Profile: 501, Until: wzNow.Add(5 * time.Minute), Status: *wzChallenges(2)}})
			snap("13-result")
			flat := wzFlat(s)
			for _, want := range []string{"✓ 2FA works for partner-user", "the PIN set for profile 501", "an SCA session, cleared: until 09:05:00 UTC"} {
				if !strings.Contains(flat, want) {
					t.Errorf("the result does not say %q:\n%s", want, wzPlain(s))
				}
			}
			d := newDriver(t, s)
			d.press("enter")
			popped, toast, changed := d.navigated()
			if !popped || !changed || !strings.Contains(toast.Text, "2FA for partner-user: the PIN set for profile 501; this device registered") {
				t.Errorf("enter on the result: popped %v, changed %v, notice %q", popped, changed, toast.Text)
			}
		})
	}
}

// wzSCAPersonalToCheck walks a personal token's setup to the check: the
// legacy SCA key made and uploaded to localwise. snap, if given, sees
// each step.
func wzSCAPersonalToCheck(t *testing.T, s *scaFlow, snap func(string)) {
	t.Helper()
	if snap == nil {
		snap = func(string) {}
	}
	press(s, "enter", "enter")
	snap("01-factors")
	if len(s.parts) != 2 || s.parts[0] != partKey || s.parts[1] != partCheck {
		t.Fatalf("a local personal token's parts: %v, want the key and the check", s.parts)
	}
	press(s, "enter")
	if s.step != ssKey {
		t.Fatalf("step %d: one profile, so the key step comes next", s.step)
	}
	snap("02-legacy-key")
	if !strings.Contains(wzFlat(s), "LEGACY: withdrawn by Wise") {
		t.Errorf("the key is not labelled legacy:\n%s", wzPlain(s))
	}
	press(s, "enter")
	if s.name.Value() != "acme-personal-sca" {
		t.Errorf("suggested name %q", s.name.Value())
	}
	snap("03-name")
	press(s, "enter")
	s.Update(nameCheckedMsg{id: s.nameOp.id})
	snap("04-size")
	press(s, "enter")
	snap("05-making")
	s.Update(scaPartMsg{id: s.op.id, part: partKey, key: wzSCAKey(false), pem: wzSCAPEM, factors: wzPersonalFactors("acme-personal-sca")})
	snap("06-upload")
	press(s, "enter")
	snap("07-uploading")
	s.Update(scaPartMsg{id: s.op.id, part: partKey, key: wzSCAKey(true), what: "acme-personal-sca, public key uploaded", factors: wzPersonalFactors("acme-personal-sca")})
	if s.step != ssCheck {
		t.Fatalf("step %d after the upload, want the check", s.step)
	}
	snap("08-check")
}

// A personal token: the legacy SCA key (labelled so) made, its public key
// shown with where it goes, uploaded to localwise, then the check: a
// protected call whose challenge the key's signature clears.
func TestSCAFlowPersonalTokenSteps(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {100, 30}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			c := wzCommon(size[0], size[1])
			s := wzSCAFlow(c)
			snap := func(name string) { t.Run(name, func(t *testing.T) { wzGolden(t, c, s) }) }
			wzSCAPersonalToCheck(t, s, snap)
			press(s, "enter")
			if !strings.Contains(s.statementPath(), "/v1/profiles/501/balance-statements/1/statement.json?currency=EUR&intervalStart=2026-10-23T00:00:00.000Z&intervalEnd=2026-11-22T00:00:00.000Z&type=COMPACT") {
				t.Errorf("the check's call: %s", s.statementPath())
			}
			snap("09-calling")
			s.Update(scaPartMsg{id: s.op.id, part: partCheck, call: &flows.CallResult{Status: 200, Challenged: true, OTT: wzOTT, Replayed: true, Approval: "APPROVED"}})
			snap("10-result")
			if !strings.Contains(wzFlat(s), "a balance statement, challenged its one-time token signed with the key (legacy) sent again once: HTTP 200 · APPROVED") {
				t.Errorf("the result does not say how the call went:\n%s", wzPlain(s))
			}
		})
	}
}

// The check's call when the signature clears nothing (Wise no longer
// takes it): why not and what works instead; no r, as trying again would
// not change it.
func TestSCAFlowPersonalCheckNotCleared(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzSCAFlow(c)
	wzSCAPersonalToCheck(t, s, nil)
	press(s, "enter")
	err := &flows.NoSolvableFactorError{Credential: "acme-personal", Kind: flows.KindPersonal,
		Factors: []flows.SCAFactorOption{{Factor: flows.FactorLegacySignature, WhyNot: "Wise no longer accepts signed personal-token SCA"}},
		Instead: "fund transfers and get statements in the Wise app or on wise.com; partners use OAuth"}
	s.Update(scaPartMsg{id: s.op.id, part: partCheck, err: err, call: &flows.CallResult{Status: 403, Challenged: true, Replayed: true, Approval: "REJECTED"}})
	wzGolden(t, c, s)
	if !strings.Contains(wzFlat(s), "Instead: fund transfers") || !strings.Contains(wzFlat(s), "SCA key (legacy) Wise no longer accepts signed personal-token SCA") {
		t.Errorf("the failed check does not say why not and what works instead:\n%s", wzPlain(s))
	}
	for _, b := range s.ShortHelp() {
		if b.Help().Key == "r" {
			t.Error("r is offered after a challenge nothing here clears")
		}
	}
}

// A call Wise did not challenge this time says so, and r tries again.
func TestSCAFlowPersonalCheckNotChallenged(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzSCAFlow(c)
	wzSCAPersonalToCheck(t, s, nil)
	press(s, "enter")
	s.Update(scaPartMsg{id: s.op.id, part: partCheck, call: &flows.CallResult{Status: 200}})
	if !strings.Contains(wzFlat(s), "no SCA asked for this time") {
		t.Fatalf("an unchallenged call:\n%s", wzPlain(s))
	}
	press(s, "r")
	if s.step != ssChecking || !s.op.busy {
		t.Errorf("r: step %d, want the call made again", s.step)
	}
}

// The key's public key for sandbox or production says where it goes in
// Wise's web app; enter goes on without an upload.
func TestSCAFlowKeyForWiseSaysWhereToUpload(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzSCAFlow(c)
	press(s, "enter", "enter", "enter", "enter")
	press(s, "enter")
	s.Update(nameCheckedMsg{id: s.nameOp.id})
	press(s, "enter")
	k := wzSCAKey(false)
	k.Env = flows.Environment{Name: flows.EnvSandbox, APIURL: "https://api.wise-sandbox.com"}
	s.Update(scaPartMsg{id: s.op.id, part: partKey, key: k, pem: wzSCAPEM})
	wzGolden(t, c, s)
	if !strings.Contains(wzFlat(s), "Your account → Integrations and tools → API tokens → Manage public keys") {
		t.Errorf("the place in Wise's web app is not said:\n%s", wzPlain(s))
	}
	press(s, "enter")
	if s.step != ssCheck || !strings.Contains(s.done[partKey], "to upload in Wise's web app") {
		t.Errorf("step %d, key part %q: want the check, the upload left to the user", s.step, s.done[partKey])
	}
}

// A PIN already set is kept, changed or removed; a failed call comes back
// to the choice saying why; esc after something was saved leaves.
func TestSCAFlowPINAlreadySetAndFailures(t *testing.T) {
	c := wzCommon(80, 24)
	s := newSCAEntryFlow(c, wzSCAUser())
	s.Init()
	s.Update(scaCredsMsg{id: s.creds.op.id, creds: []flows.EntryView{wzSCAUser()}, factors: map[string]flows.SCAFactorsView{"partner-user": wzUserFactors(true, false)}})
	if s.step != ssFactors || s.cred.Name != "partner-user" {
		t.Fatalf("opened on the entry: step %d on %q", s.step, s.cred.Name)
	}
	press(s, "enter", "enter")
	wzGolden(t, c, s)
	press(s, "down", "enter")
	typeInto(s, wzPINCanary)
	press(s, "enter")
	typeInto(s, wzPINCanary)
	press(s, "enter")
	if s.step != ssPINCall || s.pinAction() != "change" {
		t.Fatalf("step %d, action %s: want the PIN being changed", s.step, s.pinAction())
	}
	blocked := &flows.SCABlockedError{Credential: "partner-user", Until: wzNow.Add(15 * time.Minute)}
	s.Update(scaPartMsg{id: s.op.id, part: partPIN, err: blocked})
	if s.step != ssPIN || !strings.Contains(wzFlat(s), "Wise blocks one-time tokens") {
		t.Fatalf("a blocked change: step %d\n%s", s.step, wzPlain(s))
	}
	// Keep it, then esc on the device step goes back (nothing was saved).
	press(s, "up", "enter")
	if s.step != ssDevice {
		t.Fatalf("step %d after keeping the PIN", s.step)
	}
	d := newDriver(t, s)
	d.press("esc")
	if s.step != ssPIN {
		t.Errorf("esc with nothing saved went to step %d, want back to the PIN", s.step)
	}
	press(s, "enter", "enter")
	s.Update(scaPartMsg{id: s.op.id, part: partDevice, what: "registered", factors: wzUserFactors(true, true)})
	d = newDriver(t, s)
	d.press("esc")
	if popped, toast, changed := d.navigated(); !popped || !changed || !strings.Contains(toast.Text, "this device registered") {
		t.Errorf("esc after a save: popped %v, changed %v, %q", popped, changed, toast.Text)
	}
}

// With nothing that acts as a user, the credential step says what to add.
func TestSCAFlowWithoutCredentials(t *testing.T) {
	c := wzCommon(80, 24)
	s := newSCAFlow(c, 6)
	s.Init()
	s.Update(scaCredsMsg{id: s.creds.op.id})
	press(s, "enter")
	wzGolden(t, c, s)
	press(s, "enter")
	if s.step != ssCredential {
		t.Errorf("enter without credentials moved to step %d", s.step)
	}
}

// s on the details of a personal token or a user opens the setup on it,
// and its footer says so; on other kinds, and on a revoked credential, s
// does nothing.
func TestSCAFlowFromTheDetails(t *testing.T) {
	c := wzCommon(100, 30)
	for _, e := range []flows.EntryView{wzSCAUser(), wzSCAPersonal()} {
		s := newDetails(c, e)
		_, cmd := s.Update(keyPress("s"))
		push, ok := cmdMsg(cmd).(pushMsg)
		if !ok {
			t.Fatalf("%s: s gave %v, want the setup pushed", e.Name, cmdMsgs(cmd))
		}
		f, ok := push.s.(*scaFlow)
		if !ok || !f.fromEntry || f.cred.Name != e.Name || f.step != ssFactors {
			t.Fatalf("%s: s pushed %T on step %v", e.Name, push.s, f.step)
		}
		if !strings.Contains(wzFrame(c, s), "s 2FA setup") {
			t.Errorf("%s: the footer does not offer the setup:\n%s", e.Name, wzFrame(c, s))
		}
	}
	revoked := wzSCAUser()
	revoked.Status = flows.StatusRevoked
	for _, e := range []flows.EntryView{wzMTLSClient(), wzSigKey(true), revoked} {
		if _, cmd := newDetails(c, e).Update(keyPress("s")); cmdMsg(cmd) != nil {
			t.Errorf("%s (%s): s gave %v", e.Name, e.Kind, cmdMsgs(cmd))
		}
	}
}
