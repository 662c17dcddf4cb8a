package tui

// The JOSE setup driven to its end against a real localwise: the keys are
// made in the wallet, their public halves uploaded with the client's
// token, Wise's keys fetched, and every playground call signed, encrypted
// and checked over HTTP, step by step on screen. localwise's own record
// of what was uploaded is the independent check of what the screen said.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/wisewallet/wisewallet/flows"
)

func TestJOSESetupAgainstLocalwise(t *testing.T) {
	demo, c := wzDemo(t)
	creds := demo.Server.Demo()
	c.Width, c.Height = 80, 24 // every step of real answers fits the smallest screen

	d := wzChoose(t, c, 5)
	f := d.s.(*joseFlow)
	if f.step != jsIntro || !strings.Contains(wzFlat(f), "What signing and encryption protect") {
		t.Fatalf("step %d: want what JOSE protects first", f.step)
	}
	d.until("the client list", func() bool { return f.clients.loaded })
	d.press("enter")
	i := -1
	for j, cl := range f.clients.clients {
		if cl.Name == "acme-app" {
			i = j
		}
	}
	if i < 0 {
		t.Fatalf("the demo's client is not offered: %+v", f.clients.list.items)
	}
	for range i {
		d.press("down")
	}
	d.press("enter")
	if f.step != jsUses {
		t.Fatalf("step %d, want what the keys do", f.step)
	}
	d.press("enter") // both, suggested
	d.press("ctrl+u")
	d.typeText("payouts-jose")
	d.press("enter")
	d.until("the signing algorithm", func() bool { return f.step == jsSigAlg })
	d.press("enter") // ES256
	d.press("enter") // RSA 2048
	d.until("the keys made", func() bool { return f.step == jsKeys })
	if f.errMsg != "" {
		t.Fatalf("the keygen said: %s", f.errMsg)
	}
	sig, enc := mustEntry(t, demo, "payouts-jose-sig"), mustEntry(t, demo, "payouts-jose-enc")
	for _, e := range []flows.EntryView{sig, enc} {
		if e.Kind != flows.KindJOSE || e.LinkedTo != "acme-app" || e.Uploaded || e.KeyID == "" || e.ValidTill == nil {
			t.Errorf("made: %+v", e)
		}
		if !strings.Contains(wzFlat(f), "key id "+e.KeyID) {
			t.Errorf("the upload step does not show %s's key id %s:\n%s", e.Name, e.KeyID, wzPlain(f))
		}
	}
	if sig.Use != flows.JOSEUseSig || sig.Algorithm != "ES256" || enc.Use != flows.JOSEUseEnc || enc.Algorithm != "RSA-OAEP-256" {
		t.Errorf("uses and algorithms: %s %s, %s %s", sig.Use, sig.Algorithm, enc.Use, enc.Algorithm)
	}

	d.press("enter")
	d.until("Wise's keys", func() bool { return !f.op.busy && f.step != jsUpload })
	if f.step != jsWise {
		t.Fatalf("step %d after the upload: %s", f.step, f.errMsg)
	}
	// What localwise holds is what the screen said was uploaded.
	up := demo.Server.ClientJOSEKeys(creds.ClientID)
	for _, e := range []flows.EntryView{sig, enc} {
		found := false
		for _, k := range up {
			found = found || k.KeyID == e.KeyID
		}
		if !found {
			t.Errorf("localwise has no key %s (%s): %+v", e.KeyID, e.Name, up)
		}
	}
	own, err := demo.Server.JOSEServerKeys()
	if err != nil {
		t.Fatal(err)
	}
	wise := wzFlat(f)
	for _, want := range []string{
		fmt.Sprintf("signing %s version %d: checks Wise's answers", own.Signing[len(own.Signing)-1].Algorithm, own.Signing[len(own.Signing)-1].Version),
		fmt.Sprintf("version %d: encrypts your requests", own.Encryption[len(own.Encryption)-1].Version),
		"key id " + sig.KeyID, "key id " + enc.KeyID,
	} {
		if !strings.Contains(wise, want) {
			t.Errorf("Wise's keys step does not say %q:\n%s", want, wzPlain(f))
		}
	}

	d.press("enter")
	d.until("the playground's result", func() bool { return f.step == jsResult })
	if len(f.runs) != 5 {
		t.Fatalf("%d playground calls, want 5", len(f.runs))
	}
	for i, r := range f.runs {
		if r.err != nil {
			t.Errorf("%s: %v", r.mode, r.err)
			continue
		}
		if i != f.sel {
			d.press("down")
		}
		wzFits(t, c, f)
		view := wzFlat(f)
		answer := `"jose-playground-response-` + joseMessage + `","method":"POST"`
		if r.mode == flows.PlaygroundJWEGet {
			answer = `"method":"GET"` // a GET sends no message
		}
		for _, want := range []string{modeWords[r.mode][0] + " · x-trace-id " + r.res.TraceID, r.res.Method + " " + r.res.Path + " · HTTP 200", answer} {
			if !strings.Contains(view, want) {
				t.Errorf("%s: the result does not show %q:\n%s", r.mode, want, wzPlain(f))
			}
		}
		// Each step's protected header is on screen, and the signed and
		// encrypted requests name this call's path.
		for _, st := range r.res.Steps {
			if !strings.Contains(view, headerJSON(st.Header)) {
				t.Errorf("%s: the header of %q is not on screen", r.mode, st.Step)
			}
			if st.Header.KeyID == sig.KeyID && st.Header.URL != r.res.Path {
				t.Errorf("%s: signed with url %q, the call went to %q", r.mode, st.Header.URL, r.res.Path)
			}
		}
	}
	if !strings.Contains(wzFlat(f), "✓ Wise's playground answered all 5 calls") {
		t.Errorf("the result's title:\n%s", wzPlain(f))
	}
	wzEnd(t, d, true)

	// No view held a private key or the client's secret.
	var secrets []string
	for _, e := range []flows.EntryView{sig, enc} {
		key := wzSecretOf(demo, e, "private_key").RevealString()
		if key == "" {
			t.Fatalf("%s holds no private key", e.Name)
		}
		secrets = append(secrets, pemLines(key)...)
	}
	secrets = append(secrets, creds.ClientSecret)
	if tok := wzSecretOf(demo, mustEntry(t, demo, "acme-app"), "access_token"); !tok.IsZero() {
		secrets = append(secrets, tok.RevealString())
	}
	wzViewsHoldNo(t, d, secrets...)
	if e := mustEntry(t, demo, "payouts-jose-sig"); !e.Uploaded {
		t.Error("the signing key is not marked uploaded")
	}
	if cl := mustEntry(t, demo, "acme-app"); cl.WiseSigningKey == "" || cl.WiseEncryptionKey == "" {
		t.Error("Wise's keys are not kept with the client")
	}
}

// From a key's entry: p shows the public key Wise has, n rotates it (the
// new key uploaded beside the old, both taken during the overlap) and
// checks the new one, k checks the client's keys.
func TestJOSEFromAnEntryAgainstLocalwise(t *testing.T) {
	demo, c := wzDemo(t)
	creds := demo.Server.Demo()
	ctx := context.Background()
	for _, in := range []flows.JOSEKeyInput{{Name: "ops-sig", Use: flows.JOSEUseSig, For: "acme-app"}, {Name: "ops-enc", Use: flows.JOSEUseEnc, For: "acme-app"}} {
		if _, err := demo.Service.JOSEKeygen(ctx, in); err != nil {
			t.Fatal(err)
		}
	}

	// u on the encryption key: its upload, Wise's keys, its calls.
	up := newJOSEEntryFlow(c, mustEntry(t, demo, "ops-enc"), joseUploadOne)
	du := newLiveDriver(t, up)
	du.press("enter")
	du.until("Wise's keys", func() bool { return !up.op.busy && up.step != jsUpload })
	if up.step != jsWise {
		t.Fatalf("step %d after the upload: %s", up.step, up.errMsg)
	}
	du.press("enter")
	du.until("the check", func() bool { return up.step == jsResult })
	if strings.Join(up.modes, " ") != "jwe jwe-get jwe-direct" || up.failures() != 0 {
		t.Fatalf("the encryption key's calls: %v, %d failed:\n%s", up.modes, up.failures(), wzPlain(up))
	}

	// p: the base64 DER on screen is the key localwise holds.
	pk := newJOSEPublicKey(c, mustEntry(t, demo, "ops-enc"))
	dp := newLiveDriver(t, pk)
	dp.until("the key", func() bool { return pk.loaded })
	dp.press("tab", "tab")
	der := ""
	for _, k := range demo.Server.ClientJOSEKeys(creds.ClientID) {
		if k.KeyID == mustEntry(t, demo, "ops-enc").KeyID {
			der = k.PublicKeyMaterial.KeyMaterial
		}
	}
	if der == "" || !strings.Contains(strings.Join(strings.Fields(wzPlain(pk)), ""), der) {
		t.Errorf("the DER on screen is not the one uploaded (%d characters at localwise):\n%s", len(der), wzPlain(pk))
	}
	dp.press("tab")
	var jwk map[string]any
	if err := json.Unmarshal([]byte(pk.texts["jwk"]), &jwk); err != nil || jwk["kty"] != "RSA" || jwk["kid"] != mustEntry(t, demo, "ops-enc").KeyID {
		t.Errorf("the JWK: %v %v", jwk, err)
	}

	// The signing key uploaded through the service, then rotated here.
	if _, err := demo.Service.JOSEUpload(ctx, "ops-sig"); err != nil {
		t.Fatal(err)
	}
	old := mustEntry(t, demo, "ops-sig")
	rot := newJOSEEntryFlow(c, old, joseRotation)
	dr := newLiveDriver(t, rot)
	if !strings.Contains(wzFlat(rot), "uploaded: the new key is uploaded at once") {
		t.Errorf("the rotation does not say the new key is uploaded:\n%s", wzPlain(rot))
	}
	dr.press("enter")
	dr.until("the rotation's check", func() bool { return rot.step == jsResult })
	if rot.rotated == nil || rot.rotated.PrevKeyID != old.KeyID || !rot.rotated.Uploaded || rot.failures() != 0 || strings.Join(rot.modes, " ") != "jws" {
		t.Fatalf("rotation %+v, calls %v, %d failed:\n%s", rot.rotated, rot.modes, rot.failures(), wzPlain(rot))
	}
	now := mustEntry(t, demo, "ops-sig")
	if !strings.Contains(wzFlat(rot), "new key "+now.KeyID+" uploaded to Wise") || !strings.Contains(wzFlat(rot), "old key "+old.KeyID+" works until") {
		t.Errorf("the rotation's result:\n%s", wzPlain(rot))
	}
	// The call was signed with the new key.
	if h := rot.runs[0].res.Steps[0].Header; h.KeyID != now.KeyID {
		t.Errorf("signed with %q, want the new key %q", h.KeyID, now.KeyID)
	}
	active := 0
	for _, k := range demo.Server.ClientJOSEKeys(creds.ClientID) {
		if (k.KeyID == old.KeyID || k.KeyID == now.KeyID) && k.Active {
			active++
		}
	}
	if active != 2 {
		t.Errorf("%d of the old and new keys are active at localwise during the overlap, want both", active)
	}

	// k on a key the client has a newer one of: the call tries this key.
	if _, err := demo.Service.JOSEKeygen(ctx, flows.JOSEKeyInput{Name: "ops-sig-2", Use: flows.JOSEUseSig, Alg: "ES384", For: "acme-app"}); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Service.JOSEUpload(ctx, "ops-sig-2"); err != nil {
		t.Fatal(err)
	}

	// k: both keys of the client, every call.
	chk := newJOSEEntryFlow(c, now, joseCheckOnly)
	dk := newLiveDriver(t, chk)
	dk.until("the check", func() bool { return chk.step == jsResult })
	if strings.Join(chk.modes, " ") != "jws jwe jwe-get jwsjwe jwe-direct" || chk.failures() != 0 {
		t.Fatalf("k checks %v, %d failed:\n%s", chk.modes, chk.failures(), wzPlain(chk))
	}
	// k on either signing key signs with that key: one of the two is not
	// the client's default.
	for _, e := range []flows.EntryView{now, mustEntry(t, demo, "ops-sig-2")} {
		k := newJOSEEntryFlow(c, e, joseCheckOnly)
		dd := newLiveDriver(t, k)
		dd.until("the check of "+e.Name, func() bool { return k.step == jsResult })
		if k.failures() != 0 {
			t.Fatalf("k on %s: %d failed:\n%s", e.Name, k.failures(), wzPlain(k))
		}
		if h := k.runs[0].res.Steps[0].Header; h.KeyID != e.KeyID || h.Alg != e.Algorithm {
			t.Errorf("k on %s signed with %s %q, want its own %s %q", e.Name, h.Alg, h.KeyID, e.Algorithm, e.KeyID)
		}
	}

	var secrets []string
	for _, n := range []string{"ops-sig", "ops-enc"} {
		e := mustEntry(t, demo, n)
		secrets = append(secrets, pemLines(wzSecretOf(demo, e, "private_key").RevealString())...)
		if p := wzSecretOf(demo, e, "previous_private_key"); !p.IsZero() {
			secrets = append(secrets, pemLines(p.RevealString())...)
		}
	}
	secrets = append(secrets, creds.ClientSecret)
	for _, dd := range []*driver{du, dp, dr, dk} {
		wzViewsHoldNo(t, dd, secrets...)
	}
}
