package tui

// The 2FA setup and the challenge screen driven through the real App
// against a real localwise (which challenges every protected call): a
// user's PIN set and this device registered, then an SCA session whose
// challenge the screen clears, a wrong PIN first; a phone code with its
// obfuscated number; five wrong PINs and the block's end; a challenge
// stopped with nothing sent again; and a personal token's legacy key made,
// uploaded and signing the token of a protected call, which localwise
// runs once. localwise's own counts are the independent check of what
// the screens said, and no view holds a PIN, a code or the fingerprint.

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	lwdemo "github.com/wisewallet/wisewallet/demo"
	"github.com/wisewallet/wisewallet/flows"
)

// PINs the e2e tests type: the right one and a wrong one.
const (
	wzDemoPIN  = "2468"
	wzWrongPIN = "1357"
	wzWrongOTP = "246802"
	wzDemoOTP  = "111111" // localwise's code, as Wise's sandbox's
)

// wzSCADemo is the demo's localwise and wallet, with the real App on top
// at 80x24, on the dashboard. The demo's user with profiles is demo-user
// (its other user, made with a registration code, has none).
func wzSCADemo(t *testing.T) (*lwdemo.Demo, *driver) {
	t.Helper()
	demo, c := wzDemo(t)
	if e := mustEntry(t, demo, lwdemo.DemoSCAUser); len(e.Profiles) == 0 {
		t.Fatalf("the demo's %s knows no profile", e.Name)
	}
	d := newAppDriver(t, Options{Service: demo.Service, Env: c.Env}, 80, 24)
	if !strings.Contains(d.view(), "Dashboard") {
		t.Fatalf("the App does not start on the dashboard:\n%s", d.view())
	}
	return demo, d
}

// wzSCAOpen opens the setup from the chooser on credential name, up to
// what it can use.
func wzSCAOpen(t *testing.T, d *driver, name string) *scaFlow {
	t.Helper()
	d.press("a")
	for range 6 {
		d.press("down")
	}
	d.press("enter")
	f, ok := d.app.top().(*scaFlow)
	if !ok {
		t.Fatalf("the chooser's last line opened %T", d.app.top())
	}
	d.press("enter")
	i := slices.IndexFunc(f.creds.creds, func(e flows.EntryView) bool { return e.Name == name })
	if i < 0 {
		t.Fatalf("%s is not offered: %+v", name, f.creds.list.items)
	}
	for range i {
		d.press("down")
	}
	d.press("enter")
	if f.step != ssFactors || f.cred.Name != name {
		t.Fatalf("step %d on %q, want what %s can use", f.step, f.cred.Name, name)
	}
	d.press("enter")
	if f.step == ssProfile {
		d.press("enter") // the approved profile, first chosen
	}
	return f
}

// wzSCASetPIN sets the PIN from the PIN step.
func wzSCASetPIN(t *testing.T, d *driver, f *scaFlow) {
	t.Helper()
	if f.step != ssPIN {
		t.Fatalf("step %d, want the PIN", f.step)
	}
	d.press("enter") // set a PIN
	d.typeText(wzDemoPIN)
	d.press("enter")
	d.typeText(wzDemoPIN)
	d.press("enter")
	if f.step != ssDevice || f.errMsg != "" {
		t.Fatalf("after setting the PIN: step %d, %q", f.step, f.errMsg)
	}
}

// wzChallengeOn is the challenge screen on top, or the test fails.
func wzChallengeOn(t *testing.T, d *driver) *challengeScreen {
	t.Helper()
	ch, ok := d.app.top().(*challengeScreen)
	if !ok {
		t.Fatalf("the top is %T, want the challenge screen:\n%s", d.app.top(), d.view())
	}
	return ch
}

// wzPick picks factor f on the challenge screen's open choice.
func wzPick(t *testing.T, d *driver, ch *challengeScreen, f flows.SCAFactor) {
	t.Helper()
	if ch.ask == nil || ch.ask.kind != askChoose {
		t.Fatalf("the challenge screen asks %+v, want a choice:\n%s", ch.ask, d.view())
	}
	i := slices.IndexFunc(ch.opts, func(o flows.SCAFactorOption) bool { return o.Factor == f })
	if i < 0 {
		t.Fatalf("%s is not offered: %+v", f, ch.opts)
	}
	for ch.list.cursor > i {
		d.press("up")
	}
	for ch.list.cursor < i {
		d.press("down")
	}
	d.press("enter")
}

// wzAnswer types a PIN or code into the open field and sends it.
func wzAnswer(t *testing.T, d *driver, ch *challengeScreen, kind scaAskKind, value string) {
	t.Helper()
	if ch.ask == nil || ch.ask.kind != kind {
		t.Fatalf("the challenge screen asks %+v, want %d:\n%s", ch.ask, kind, d.view())
	}
	d.typeText(value)
	d.press("enter")
}

// wzHoldNoSCASecret checks every frame the App drew.
func wzHoldNoSCASecret(t *testing.T, d *driver, secrets ...string) {
	t.Helper()
	for i, v := range d.views {
		noSecret(t, fmt.Sprintf("frame %d", i), v, secrets...)
	}
}

func TestSCASetupAgainstLocalwise(t *testing.T) {
	t.Run("user: PIN, device, session", func(t *testing.T) {
		demo, d := wzSCADemo(t)
		f := wzSCAOpen(t, d, "demo-user")
		wzSCASetPIN(t, d, f)
		v := demo.Service.SCAFactors("demo-user")
		if !slices.Contains(v.PINProfiles, f.profile) {
			t.Errorf("the wallet does not record the PIN set for profile %d: %v", f.profile, v.PINProfiles)
		}
		d.press("enter") // register this device
		if f.step != ssCheck || f.errMsg != "" {
			t.Fatalf("after registering: step %d, %q", f.step, f.errMsg)
		}
		v = demo.Service.SCAFactors("demo-user")
		if v.DeviceID == "" || !strings.Contains(d.view(), v.DeviceID) {
			t.Errorf("the device id %q is not shown:\n%s", v.DeviceID, d.view())
		}
		devs, err := demo.Service.DeviceList(d.app.c.Ctx, "demo-user", f.profile)
		if err != nil || len(devs) != 1 || !devs[0].ThisDevice {
			t.Errorf("localwise lists %+v (%v), want this device", devs, err)
		}

		d.press("enter") // the check
		ch := wzChallengeOn(t, d)
		if !strings.Contains(wzFlat(ch), "It approves an SCA session (SCA__SESSION)") {
			t.Errorf("the challenge does not say what it approves:\n%s", wzPlain(ch))
		}
		wzPick(t, d, ch, flows.FactorPIN)
		wzAnswer(t, d, ch, askPIN, wzWrongPIN)
		if !strings.Contains(wzFlat(ch), "✗ PIN refused: 4 attempts left") {
			t.Errorf("the refusal and the attempts left are not shown:\n%s", wzPlain(ch))
		}
		// The PIN is offered first again.
		if ch.ask == nil || ch.opts[ch.list.cursor].Factor != flows.FactorPIN {
			t.Fatalf("after a refused PIN the choice is not on the PIN: %+v", ch.ask)
		}
		d.press("enter")
		wzAnswer(t, d, ch, askPIN, wzDemoPIN)
		if ch.done == nil || ch.done.err != nil {
			t.Fatalf("the session's challenge did not clear:\n%s", wzPlain(ch))
		}
		for _, want := range []string{"✓ Cleared", "✓ PIN passed", "SCA session: low-risk calls need no new approval until"} {
			if !strings.Contains(wzFlat(ch), want) {
				t.Errorf("the challenge's end does not say %q:\n%s", want, wzPlain(ch))
			}
		}
		d.press("enter")
		if d.app.top() != Screen(f) || f.step != ssResult || f.checkErr != nil {
			t.Fatalf("after the challenge: %T, step %d, %v", d.app.top(), f.step, f.checkErr)
		}
		if !strings.Contains(wzFlat(f), "✓ 2FA works for demo-user") {
			t.Errorf("the result:\n%s", wzPlain(f))
		}
		if v := demo.Service.SCAFactors("demo-user"); v.SessionUntil == nil {
			t.Error("the wallet does not record the session's window")
		}
		d.press("enter")
		if _, ok := d.app.top().(dashboard); !ok {
			t.Errorf("enter on the result left %T on top", d.app.top())
		}
		fp := wzSecretOf(demo, mustEntry(t, demo, "demo-user"), "device_fingerprint").RevealString()
		if len(fp) < 40 {
			t.Fatalf("the device fingerprint in the wallet is %d characters", len(fp))
		}
		wzHoldNoSCASecret(t, d, wzDemoPIN, wzWrongPIN, fp)
	})

	t.Run("user without a profile: no check", func(t *testing.T) {
		demo, d := wzSCADemo(t)
		f := wzSCAOpen(t, d, "partner-user")
		if f.profile != 0 || slices.Contains(f.parts, partCheck) {
			t.Fatalf("partner-user (registration code): profile %d, parts %v", f.profile, f.parts)
		}
		wzSCASetPIN(t, d, f)
		d.press("enter") // register this device
		if f.step != ssResult || f.errMsg != "" {
			t.Fatalf("after the device: step %d, %q", f.step, f.errMsg)
		}
		if !strings.Contains(wzFlat(f), "Wise names no profile of this user") {
			t.Errorf("the result does not say why there is no check:\n%s", wzPlain(f))
		}
		if v := demo.Service.SCAFactors("partner-user"); !slices.Contains(v.PINProfiles, 0) || v.DeviceID == "" {
			t.Errorf("the wallet records PIN profiles %v and device %q, want the user-wide PIN and this device", v.PINProfiles, v.DeviceID)
		}
		d.press("enter")
		wzHoldNoSCASecret(t, d, wzDemoPIN)
	})

	t.Run("user: a phone code", func(t *testing.T) {
		_, d := wzSCADemo(t)
		f := wzSCAOpen(t, d, "demo-user")
		wzSCASetPIN(t, d, f)
		d.press("down", "enter") // skip the device
		d.press("enter")         // the check
		ch := wzChallengeOn(t, d)
		for _, o := range ch.opts {
			if o.Factor == flows.FactorFaceMap && (o.Solvable || !strings.Contains(wzFlat(ch), "face scan ✗")) {
				t.Errorf("the face scan is offered as usable, or without why not:\n%s", wzPlain(ch))
			}
		}
		wzPick(t, d, ch, flows.FactorSMS)
		if !strings.Contains(wzFlat(ch), "Wise sent a code by SMS to *********8888") || ch.ask == nil || ch.ask.phone != "*********8888" {
			t.Fatalf("the obfuscated number is not shown:\n%s", wzPlain(ch))
		}
		wzAnswer(t, d, ch, askOTP, wzWrongOTP)
		if !strings.Contains(wzFlat(ch), "✗ code by SMS refused") {
			t.Errorf("the wrong code is not said:\n%s", wzPlain(ch))
		}
		// The same code is typed again, without a second one sent.
		wzPick(t, d, ch, flows.FactorSMS)
		wzAnswer(t, d, ch, askOTP, wzDemoOTP)
		if ch.done == nil || ch.done.err != nil {
			t.Fatalf("the code did not clear the session's challenge:\n%s", wzPlain(ch))
		}
		if n := strings.Count(wzFlat(ch), "Wise sent a code by SMS"); n != 1 {
			t.Errorf("%d codes sent, want 1", n)
		}
		d.press("enter", "enter")
		if _, ok := d.app.top().(dashboard); !ok {
			t.Errorf("after the result the top is %T", d.app.top())
		}
		wzHoldNoSCASecret(t, d, wzDemoPIN, wzWrongOTP, wzDemoOTP)
	})

	t.Run("user: five wrong PINs block", func(t *testing.T) {
		_, d := wzSCADemo(t)
		f := wzSCAOpen(t, d, "demo-user")
		wzSCASetPIN(t, d, f)
		d.press("down", "enter") // skip the device
		d.press("enter")         // the check
		ch := wzChallengeOn(t, d)
		for i := range flows.SCAMaxFailures {
			wzPick(t, d, ch, flows.FactorPIN)
			wzAnswer(t, d, ch, askPIN, wzWrongPIN)
			if i < flows.SCAMaxFailures-1 && !strings.Contains(wzFlat(ch), fmt.Sprintf("%d attempts left", flows.SCAMaxFailures-1-i)) {
				t.Errorf("after %d wrong PINs the attempts left are not shown:\n%s", i+1, wzPlain(ch))
			}
		}
		if ch.done == nil {
			t.Fatalf("five wrong PINs did not end the challenge:\n%s", wzPlain(ch))
		}
		if !strings.Contains(wzFlat(ch), "✗ Blocked: the call was not sent again") || !wzBlockedUntil.MatchString(wzFlat(ch)) {
			t.Errorf("the block and its end are not shown:\n%s", wzPlain(ch))
		}
		d.press("enter")
		if f.step != ssResult || !strings.Contains(wzFlat(f), "Wait for the block to end, then r checks again") {
			t.Errorf("the result after the block:\n%s", wzPlain(f))
		}
		d.press("r")
		ch = wzChallengeOn(t, d)
		if ch.done == nil || !strings.Contains(wzFlat(ch), "Wise blocks one-time tokens until") {
			t.Errorf("a check while blocked does not say until when:\n%s", wzPlain(ch))
		}
		d.press("enter")
		wzHoldNoSCASecret(t, d, wzDemoPIN, wzWrongPIN)
	})

	t.Run("user: stopped, nothing sent again", func(t *testing.T) {
		demo, d := wzSCADemo(t)
		f := wzSCAOpen(t, d, "demo-user")
		wzSCASetPIN(t, d, f)
		d.press("down", "enter") // skip the device
		d.press("enter")         // the check
		ch := wzChallengeOn(t, d)
		d.press("esc")
		if ch.done == nil || !strings.Contains(wzFlat(ch), "✗ Stopped: the call was not sent again") {
			t.Fatalf("esc at the choice:\n%s", wzPlain(ch))
		}
		d.press("enter")
		if f.step != ssResult || !strings.Contains(wzFlat(f), "Stopped before it was cleared; nothing was approved") {
			t.Errorf("the result after the stop:\n%s", wzPlain(f))
		}
		d.press("enter")

		// Removing the PIN is a protected call: its challenge stopped at
		// the choice sends nothing again, so localwise never runs it.
		f = wzSCAOpen(t, d, "demo-user")
		if f.step != ssPIN || f.pinChoice.items[0].Label != "keep it" {
			t.Fatalf("the PIN step does not know the PIN is set: %+v", f.pinChoice.items)
		}
		d.press("down", "down", "enter") // remove it
		ch = wzChallengeOn(t, d)
		if !strings.Contains(wzFlat(ch), "removing the PIN") || !strings.Contains(wzFlat(ch), "(PIN__DELETE)") {
			t.Errorf("the challenge does not say what it is for:\n%s", wzPlain(ch))
		}
		d.press("esc")
		d.press("enter")
		if f.step != ssPIN || f.errMsg == "" {
			t.Errorf("after the stopped removal: step %d, %q", f.step, f.errMsg)
		}
		path := fmt.Sprintf("DELETE /v2/profiles/%d/pin", f.profile)
		if n := demo.Server.SCAStats().Executed[path]; n != 0 {
			t.Errorf("localwise ran %s %d times after a stop, want 0", path, n)
		}
		if !slices.Contains(demo.Service.SCAFactors("demo-user").PINProfiles, f.profile) {
			t.Error("the wallet forgot the PIN after a removal that did not happen")
		}
		wzHoldNoSCASecret(t, d, wzDemoPIN)
	})

	t.Run("personal token: the legacy key made", func(t *testing.T) {
		demo, d := wzSCADemo(t)
		// Whatever key the demo gave the token goes: the setup makes one.
		if k := demo.Service.SCAFactors("acme-personal").SCAKey; k != "" {
			if err := demo.Service.Remove(context.Background(), k); err != nil {
				t.Fatal(err)
			}
		}
		f := wzSCAOpen(t, d, "acme-personal")
		if f.step != ssKey || !strings.Contains(wzFlat(f), "LEGACY: withdrawn by Wise") {
			t.Fatalf("step %d: want the legacy key, labelled so:\n%s", f.step, wzPlain(f))
		}
		d.press("enter") // make a key
		d.press("enter") // the suggested name
		if f.step != ssKeySize {
			t.Fatalf("step %d after the name: %q", f.step, f.errMsg)
		}
		d.press("enter") // RSA 2048
		if f.step != ssKeyUpload || f.errMsg != "" {
			t.Fatalf("after the keygen: step %d, %q", f.step, f.errMsg)
		}
		key := mustEntry(t, demo, "acme-personal-sca")
		pem, err := demo.Service.SCAPublicKey(key.Name)
		if err != nil || key.Kind != flows.KindSCA || key.LinkedTo != "acme-personal" || key.Uploaded {
			t.Fatalf("made %+v (%v)", key, err)
		}
		for _, l := range strings.Split(strings.TrimSpace(string(pem)), "\n") {
			if !strings.Contains(d.view(), l) {
				t.Fatalf("the public key's line %q is not on screen:\n%s", l, d.view())
			}
		}
		d.press("enter") // upload to localwise
		if f.step != ssCheck || !mustEntry(t, demo, key.Name).Uploaded {
			t.Fatalf("after the upload: step %d, %q", f.step, f.errMsg)
		}
		wzSCAPersonalCheck(t, demo, d, f, key.Name)
		wzHoldNoSCASecret(t, d, pemLines(wzSecretOf(demo, key, "private_key").RevealString())...)
	})

	t.Run("personal token: its key already there", func(t *testing.T) {
		demo, d := wzSCADemo(t)
		name := demo.Service.SCAFactors("acme-personal").SCAKey
		if name == "" {
			name = "acme-personal-sca"
			if _, err := demo.Service.SCAKeygen(context.Background(), flows.SCAKeyInput{Name: name, For: "acme-personal"}); err != nil {
				t.Fatal(err)
			}
		}
		f := wzSCAOpen(t, d, "acme-personal")
		if !strings.Contains(wzFlat(f), "acme-personal has the SCA key "+name) {
			t.Errorf("the key step does not name the token's key:\n%s", wzPlain(f))
		}
		d.press("enter") // show its public key
		if f.step != ssKeyUpload || f.key.Name != name {
			t.Fatalf("step %d on %q, want %s's public key", f.step, f.key.Name, name)
		}
		d.press("enter") // upload it if it is not, then the check
		if f.step != ssCheck || !mustEntry(t, demo, name).Uploaded {
			t.Fatalf("step %d, %q", f.step, f.errMsg)
		}
		wzSCAPersonalCheck(t, demo, d, f, name)
		wzHoldNoSCASecret(t, d, pemLines(wzSecretOf(demo, mustEntry(t, demo, name), "private_key").RevealString())...)
	})
}

// wzSCAPersonalCheck makes the personal token's check from its step: the
// protected call, challenged, its token signed with key, sent again once
// and run once at localwise.
func wzSCAPersonalCheck(t *testing.T, demo *lwdemo.Demo, d *driver, f *scaFlow, key string) {
	t.Helper()
	d.press("enter") // the protected call
	ch := wzChallengeOn(t, d)
	for _, want := range []string{"✓ the one-time token signed with " + key + " (legacy)", "Sent again once with x-2fa-approval: HTTP 200 · x-2fa-approval-result APPROVED", "✓ Cleared: the call was sent again and went through"} {
		if !strings.Contains(wzFlat(ch), want) {
			t.Errorf("the challenge screen does not say %q:\n%s", want, wzPlain(ch))
		}
	}
	d.press("enter")
	if f.step != ssResult || !strings.Contains(wzFlat(f), "✓ 2FA works for acme-personal") {
		t.Fatalf("the result:\n%s", wzPlain(f))
	}
	path, _, _ := strings.Cut(f.statementPath(), "?")
	if n := demo.Server.SCAStats().Executed["GET "+path]; n != 1 {
		t.Errorf("localwise ran the statement %d times, want once (the replay)", n)
	}
	d.press("enter")
}

var wzBlockedUntil = regexp.MustCompile(`until (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d \S+ \(in 1[45]m\d\ds\)`)
