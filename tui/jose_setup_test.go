package tui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
)

// Fixed key ids, so the goldens do not change with each key made.
const (
	wzSigKID = "7c1e3f0a-58b2-4d6e-9a41-2f3b8c9d0e11"
	wzEncKID = "0b9d2c4e-6a7f-4e18-b3c5-d1e2f3a4b5c6"
)

// wzJOSEKey is a jose entry of acme-app as JOSEKeygen makes it.
func wzJOSEKey(name, alg, kid string, uploaded bool) flows.EntryView {
	from, till := wzNow, wzNow.Add(365*24*time.Hour)
	e := flows.EntryView{Name: name, Kind: flows.KindJOSE, CreatedAt: wzNow, LinkedTo: "acme-app",
		Env: flows.Environment{Name: flows.EnvLocal, APIURL: "http://127.0.0.1:41999"}}
	e.KeyID, e.Algorithm, e.ValidFrom, e.ValidTill, e.Uploaded = kid, alg, &from, &till, uploaded
	e.KeyType, e.Use = "p256", flows.JOSEUseSig
	if alg == joseEncAlg {
		e.KeyType, e.Use = "rsa2048", flows.JOSEUseEnc
	}
	e.Secrets = []flows.SecretInfo{{Name: "private_key", Len: 241}}
	return e
}

func wzSigKey(up bool) flows.EntryView { return wzJOSEKey("acme-jose-sig", "ES256", wzSigKID, up) }
func wzEncKey(up bool) flows.EntryView { return wzJOSEKey("acme-jose-enc", joseEncAlg, wzEncKID, up) }

// wzJOSEFlow is the setup with the client list read: acme-app, no keys.
func wzJOSEFlow(c *Common, keys ...flows.EntryView) *joseFlow {
	s := newJOSEFlow(c, 5)
	s.Init()
	s.Update(joseClientsMsg{
		clientsLoadedMsg: clientsLoadedMsg{id: s.clients.op.id, clients: []flows.EntryView{wzMTLSClient()}},
		keys:             map[string][]flows.EntryView{"acme-app": keys},
	})
	return s
}

func wzJOSENamed(s Screen) Screen {
	f := s.(*joseFlow)
	f.Update(nameCheckedMsg{id: f.nameOp.id})
	return f
}

// wzJOSEToKeys walks the setup (both keys, the defaults) to the upload.
func wzJOSEToKeys(c *Common) *joseFlow {
	s := wzJOSEFlow(c)
	press(s, "enter", "enter", "enter")
	wzJOSENamed(press(s, "enter"))
	press(s, "enter", "enter")
	s.Update(joseKeysMadeMsg{id: s.op.id, made: []flows.EntryView{wzSigKey(false), wzEncKey(false)}})
	return s
}

func wzWiseKeys() flows.WiseKeysView {
	return flows.WiseKeysView{Client: "acme-app", FetchedAt: wzNow,
		Signing:    flows.WiseKeyView{Scope: "PAYLOAD_SIGNING", Algorithm: "ES512", Version: 1, PublicKey: "MIGbMBAGByqGSM49AgEGBSuBBAAjA4GGAAQ"},
		Encryption: flows.WiseKeyView{Scope: "PAYLOAD_ENCRYPTION", Algorithm: "RSA_OAEP_256", Version: 1, PublicKey: "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"}}
}

func wzUploaded() []flows.JOSEUploaded {
	till := wzNow.Add(365 * 24 * time.Hour)
	return []flows.JOSEUploaded{
		{Entry: "acme-jose-sig", Client: "acme-app", KeyID: wzSigKID, Scope: "PAYLOAD_SIGNING", Algorithm: "ES256", ValidFrom: wzNow, ValidTill: till},
		{Entry: "acme-jose-enc", Client: "acme-app", KeyID: wzEncKID, Scope: "PAYLOAD_ENCRYPTION", Algorithm: "RSA_OAEP_256", ValidFrom: wzNow, ValidTill: till},
	}
}

// wzJOSEToWise walks on through the upload to Wise's keys.
func wzJOSEToWise(c *Common) *joseFlow {
	s := wzJOSEToKeys(c)
	press(s, "enter")
	s.Update(joseUploadedMsg{id: s.op.id, uploaded: wzUploaded(), keys: []flows.EntryView{wzSigKey(true), wzEncKey(true)}, wise: wzWiseKeys(), fetched: true})
	return s
}

const wzJWS = "eyJhbGciOiJFUzI1NiIsImtpZCI6IjdjMWUzZjBhLTU4YjItNGQ2ZS05YTQxLTJmM2I4YzlkMGUxMSIsInVybCI6Ii92MS9hdXRoL2pvc2UvcGxheWdyb3VuZC9qd3MifQ.eyJtZXNzYWdlIjoiaGVsbG8gZnJvbSB3aXNld2FsbGV0In0.sig"
const wzJWE = "eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIiwidXJsIjoiL3YxL2F1dGgvam9zZS9wbGF5Z3JvdW5kL2p3ZSJ9.a2V5.aXY.Y2lwaGVydGV4dA.dGFn"

// wzPlayed is the playground's answer for mode, as JOSEPlayground gives it.
func wzPlayed(mode string) flows.JOSEPlaygroundResult {
	method, path := "POST", strings.Fields(modeWords[mode][1])[1]
	if mode == flows.PlaygroundJWEGet {
		method = "GET"
	}
	answer := fmt.Sprintf(`{"message":"jose-playground-response-%s","method":"%s"}`, joseMessage, method)
	// As wise/ records them: each token made or received with its
	// protected header, and what its check gave.
	sign := flows.JOSEStep{Step: "request signed", Header: flows.JOSEHeaderView{Alg: "ES256", KeyID: wzSigKID, URL: path}, Result: wzJWS}
	enc := flows.JOSEStep{Step: "request encrypted", Header: flows.JOSEHeaderView{Alg: "RSA-OAEP-256", Enc: "A256GCM", URL: path}, Result: wzJWE}
	recv := flows.JOSEStep{Step: "response received", Header: flows.JOSEHeaderView{Alg: "RSA-OAEP-256", Enc: "A256GCM", KeyID: wzEncKID}, Result: wzJWE}
	dec := flows.JOSEStep{Step: "response decrypted", Header: recv.Header, Result: answer}
	signed := flows.JOSEStep{Step: "response received", Header: flows.JOSEHeaderView{Alg: "ES512", Version: 1}, Result: wzJWS}
	ver := flows.JOSEStep{Step: "response verified", Header: signed.Header, Result: answer}
	var steps []flows.JOSEStep
	switch mode {
	case flows.PlaygroundJWS:
		steps = []flows.JOSEStep{sign, signed, ver}
	case flows.PlaygroundJWE:
		steps = []flows.JOSEStep{enc, recv, dec}
	case flows.PlaygroundJWEGet:
		steps = []flows.JOSEStep{recv, dec}
	case flows.PlaygroundJWSJWE:
		dec.Result = wzJWS
		steps = []flows.JOSEStep{sign, enc, recv, dec, {Step: "response verified", Header: signed.Header, Result: answer}}
	case flows.PlaygroundJWEDirect:
		direct := flows.JOSEHeaderView{Alg: "dir", Enc: "A256GCM"}
		steps = []flows.JOSEStep{enc, {Step: "response received", Header: direct, Result: wzJWE}, {Step: "response decrypted", Header: direct, Result: answer}}
	}
	return flows.JOSEPlaygroundResult{Client: "acme-app", Mode: mode, Method: method, Path: path, Status: 200,
		TraceID: "0123456789abcdef0123456789abcdef", Steps: steps, Answer: json.RawMessage(answer)}
}

// wzPlayAll answers every call of the check as Wise would, failing the
// mode fail with err.
func wzPlayAll(s *joseFlow, fail string, err error) {
	for len(s.runs) < len(s.modes) && s.op.busy {
		mode := s.modes[len(s.runs)]
		run := joseRun{mode: mode, res: wzPlayed(mode)}
		if mode == fail {
			run = joseRun{mode: mode, err: err}
		}
		s.Update(josePlayedMsg{id: s.op.id, run: run})
	}
}

// Every step of the setup at 80x24 and 100x30, as the user walks it.
func TestJOSEFlowSteps(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {100, 30}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			c := wzCommon(size[0], size[1])
			s := newJOSEFlow(c, 5)
			s.Init()
			snap := func(name string) { t.Run(name, func(t *testing.T) { wzGolden(t, c, s) }) }
			snap("1-what-jose-protects")
			s.Update(joseClientsMsg{
				clientsLoadedMsg: clientsLoadedMsg{id: s.clients.op.id, clients: []flows.EntryView{wzMTLSClient()}},
				keys:             map[string][]flows.EntryView{"acme-app": nil},
			})
			press(s, "enter")
			snap("2-client")
			press(s, "enter")
			snap("3-uses")
			press(s, "enter")
			if s.name.Value() != "acme-app-jose" {
				t.Errorf("the name is not suggested from the client: %q", s.name.Value())
			}
			press(s, "ctrl+u")
			typeInto(s, "acme-jose")
			snap("4-name")
			wzJOSENamed(press(s, "enter"))
			snap("5-signing-algorithm")
			press(s, "enter")
			snap("5-encryption-key")
			press(s, "enter")
			if s.step != jsKeygen || !s.op.busy {
				t.Fatalf("step %d: want the keygen running", s.step)
			}
			snap("6-making-the-keys")
			s.Update(joseKeysMadeMsg{id: s.op.id, made: []flows.EntryView{wzSigKey(false), wzEncKey(false)}})
			snap("7-upload")
			press(s, "enter")
			snap("8-uploading")
			s.Update(joseUploadedMsg{id: s.op.id, uploaded: wzUploaded(), keys: []flows.EntryView{wzSigKey(true), wzEncKey(true)}, wise: wzWiseKeys(), fetched: true})
			snap("9-wise-keys")
			press(s, "enter")
			if want := []string{"jws", "jwe", "jwe-get", "jwsjwe", "jwe-direct"}; strings.Join(s.modes, " ") != strings.Join(want, " ") {
				t.Errorf("the check makes %v, want %v", s.modes, want)
			}
			s.Update(josePlayedMsg{id: s.op.id, run: joseRun{mode: "jws", res: wzPlayed("jws")}})
			snap("10-playground")
			wzPlayAll(s, "", nil)
			snap("11-result")
			flat := wzFlat(s)
			for _, want := range []string{"✓ Wise's playground answered all 5 calls", `1 request signed → a compact JWS, 182 characters: eyJhbGciOiJF… {"alg":"ES256", "kid":"` + wzSigKID + `", "url":"/v1/auth/jose/playground/jws"}`,
				`2 response received → a compact JWS, 182 characters: eyJhbGciOiJF… {"alg":"ES512", "version":1} 3 response verified → {"message":"jose-playground-response-hello from wisewallet","method":"POST"}`, "x-trace-id 0123456789abcdef0123456789abcdef", "jose-playground-response-hello from wisewallet"} {
				if !strings.Contains(flat, want) {
					t.Errorf("the result does not show %q:\n%s", want, wzPlain(s))
				}
			}
			press(s, "down", "down", "down")
			snap("12-result-jwsjwe")
			if !strings.Contains(wzFlat(s), "POST /v1/auth/jose/playground/jwsjwe · HTTP 200") || !strings.Contains(wzFlat(s), "5 response verified") {
				t.Errorf("↓ does not show the jwsjwe call step by step:\n%s", wzPlain(s))
			}
		})
	}
}

// Signing only: no encryption step, one key, one call.
func TestJOSEFlowSigningOnly(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzJOSEFlow(c)
	press(s, "enter", "enter", "down", "enter")
	if strings.Join(s.wanted(), " ") != "sig" {
		t.Fatalf("uses %v", s.wanted())
	}
	if !strings.Contains(wzFlat(s), "→ acme-app-jose-sig holds the signing key") || strings.Contains(wzFlat(s), "-enc") {
		t.Errorf("the name step does not say which entry is made:\n%s", wzPlain(s))
	}
	wzJOSENamed(press(s, "enter"))
	press(s, "down", "down", "enter") // ES512
	if s.step != jsKeygen {
		t.Fatalf("step %d after the signing algorithm, want the keygen", s.step)
	}
	if !strings.Contains(wzFlat(s), "Making the ES512 signing key, each valid for a year") {
		t.Errorf("the keygen line:\n%s", wzPlain(s))
	}
	s.Update(joseKeysMadeMsg{id: s.op.id, made: []flows.EntryView{wzJOSEKey("acme-app-jose-sig", "ES512", wzSigKID, false)}})
	press(s, "enter")
	s.Update(joseUploadedMsg{id: s.op.id, keys: []flows.EntryView{wzJOSEKey("acme-app-jose-sig", "ES512", wzSigKID, true)}, wise: wzWiseKeys(), fetched: true})
	press(s, "enter")
	if strings.Join(s.modes, " ") != "jws" {
		t.Errorf("signing only checks %v, want jws", s.modes)
	}
}

// Encryption only: the first algorithm step asks for the key's size.
func TestJOSEFlowEncryptionOnly(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzJOSEFlow(c)
	press(s, "enter", "enter", "down", "down", "enter")
	wzJOSENamed(press(s, "enter"))
	if s.step != jsSigAlg || !strings.Contains(wzFlat(s), "Encryption key") || !strings.Contains(wzFlat(s), "RSA-OAEP-256") || strings.Contains(wzFlat(s), "ES256") {
		t.Fatalf("step %d, want the encryption key's size:\n%s", s.step, wzPlain(s))
	}
	wzGolden(t, c, s)
	press(s, "down", "down", "enter")
	if s.step != jsKeygen || !strings.Contains(wzFlat(s), "RSA-4096 encryption key") || !strings.Contains(wzFlat(s), "takes a few seconds") {
		t.Errorf("step %d:\n%s", s.step, wzPlain(s))
	}
}

// RS256 is not offered: Wise does not list it.
func TestJOSEFlowOffersOnlyWisesAlgorithms(t *testing.T) {
	var got []string
	for _, ch := range joseSigChoices {
		got = append(got, ch.Label)
	}
	if strings.Join(got, " ") != "ES256 ES384 ES512 PS256 PS384 PS512" {
		t.Errorf("signing algorithms offered: %v", got)
	}
	if !strings.Contains(sigAlgHint, "RS256 is not offered") {
		t.Error("the hint does not say why RS256 is missing")
	}
}

// A client that has a key of the same use is told what a new one does.
func TestJOSEFlowWarnsOfTheClientsKeys(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzJOSEFlow(c, wzSigKey(true))
	press(s, "enter")
	if !strings.Contains(wzFlat(s), "local · signing ES256") {
		t.Errorf("the client line does not list its key:\n%s", wzPlain(s))
	}
	press(s, "enter")
	if !strings.Contains(wzFlat(s), "acme-app already has acme-jose-sig (signing, ES256)") || !strings.Contains(wzFlat(s), "rotate it there instead") {
		t.Errorf("no word of the key it has:\n%s", wzPlain(s))
	}
	wzGolden(t, c, s)
	press(s, "down", "down") // encryption only: the signing key is not touched
	if strings.Contains(wzFlat(s), "already has") {
		t.Errorf("a warning about a key of another use:\n%s", wzPlain(s))
	}
}

func TestJOSEFlowWithoutClientsSaysAddOneFirst(t *testing.T) {
	c := wzCommon(80, 24)
	s := newJOSEFlow(c, 5)
	s.Init()
	s.Update(joseClientsMsg{clientsLoadedMsg: clientsLoadedMsg{id: s.clients.op.id}})
	press(s, "enter", "enter")
	if s.step != jsClient || !strings.Contains(wzFlat(s), `No OAuth client in this wallet yet. Add one first: esc, then "OAuth client".`) {
		t.Errorf("step %d:\n%s", s.step, wzPlain(s))
	}
}

// The name is checked for both entries the setup makes.
func TestJOSEFlowChecksBothNames(t *testing.T) {
	c := coreCommon(&fakeBackend{entries: []flows.EntryView{wzMTLSClient(), wzEncKey(false)}}, 80, 24)
	s := newJOSEFlow(c, 5)
	d := newDriver(t, s)
	d.press("enter")
	d.press("enter", "enter")
	d.press("ctrl+u")
	d.typeText("acme-jose")
	d.press("enter")
	if s.step != jsName || !strings.Contains(s.errMsg, `"acme-jose-enc" is taken`) {
		t.Errorf("step %d %q: want the name refused for its -enc entry", s.step, s.errMsg)
	}
	d.press("esc", "down", "enter") // signing only: -enc is not made
	d.press("enter")
	if s.step != jsSigAlg {
		t.Errorf("step %d %q: signing only refused a name whose -enc is taken", s.step, s.errMsg)
	}
	// The field takes no more than leaves room for the suffix.
	d.press("esc", "esc", "up", "enter", "ctrl+u")
	d.typeText(strings.Repeat("x", 70))
	if n := len(s.name.Value()); n+len(joseSigSuffix) > 64 {
		t.Errorf("the name field took %d characters: with -sig over the 64 a name may have", n)
	}
}

// A refused keygen goes back to the step that fixes it; a second key
// that fails leaves the first, which goes on to the upload.
func TestJOSEFlowKeygenFailures(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzJOSEFlow(c)
	press(s, "enter", "enter", "enter")
	wzJOSENamed(press(s, "enter"))
	press(s, "enter", "enter")
	s.Update(joseKeysMadeMsg{id: s.op.id, err: fmt.Errorf("%w: %q", flows.ErrEntryExists, "acme-app-jose-sig")})
	if s.step != jsName || !strings.Contains(s.errMsg, "acme-app-jose-sig") {
		t.Errorf("step %d %q, want the name again", s.step, s.errMsg)
	}
	wzJOSENamed(press(s, "enter"))
	press(s, "enter", "enter")
	s.Update(joseKeysMadeMsg{id: s.op.id, err: context.DeadlineExceeded})
	if s.step != jsEncKey || !strings.Contains(s.errMsg, "enter tries again") {
		t.Errorf("step %d %q, want the encryption key again", s.step, s.errMsg)
	}
	press(s, "enter")
	s.Update(joseKeysMadeMsg{id: s.op.id, made: []flows.EntryView{wzSigKey(false)}, err: errors.New("the wallet is busy")})
	if s.step != jsKeys || len(s.entries) != 1 || !strings.Contains(s.errMsg, "The second key was not made") {
		t.Errorf("step %d %q %d", s.step, s.errMsg, len(s.entries))
	}
}

// Once the keys are stored, esc leaves, keeping them, with what to do.
func TestJOSEFlowEscAfterTheKeysKeepsThem(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzJOSEToKeys(c)
	_, cmd := s.Update(keyPress("esc"))
	var popped bool
	var toast ToastMsg
	for _, m := range cmdMsgs(cmd) {
		switch m := m.(type) {
		case popMsg:
			popped = true
		case ToastMsg:
			toast = m
		}
	}
	if !popped || !strings.Contains(toast.Text, `Kept "acme-jose-sig" and "acme-jose-enc"`) || !strings.Contains(toast.Text, "then u") {
		t.Errorf("esc on the upload: popped %v, notice %q", popped, toast.Text)
	}
}

// A failed upload goes back to the keys with what to do; enter uploads
// what is not uploaded yet.
func TestJOSEFlowUploadFailure(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzJOSEToKeys(c)
	press(s, "enter")
	s.Update(joseUploadedMsg{id: s.op.id, uploaded: wzUploaded()[:1], keys: []flows.EntryView{wzSigKey(true), wzEncKey(false)},
		err: fmt.Errorf("%w: connection refused", flows.ErrUnavailable)})
	if s.step != jsKeys || !strings.Contains(s.errMsg, "stays uploaded") {
		t.Fatalf("step %d %q", s.step, s.errMsg)
	}
	if !strings.Contains(wzFlat(s), "acme-jose-sig · ES256 · uploaded already") || !strings.Contains(wzFlat(s), "acme-jose-enc · RSA-OAEP-256 · to upload") {
		t.Errorf("the keys' state:\n%s", wzPlain(s))
	}
	wzGolden(t, c, s)
	press(s, "enter")
	if s.step != jsUpload || !s.op.busy {
		t.Errorf("enter did not upload again: step %d", s.step)
	}
}

// A failed playground call says so on its line and in full; r runs the
// calls again.
func TestJOSEFlowPlaygroundFailure(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzJOSEToWise(c)
	press(s, "enter")
	wzPlayAll(s, "jwe", fmt.Errorf("%w: Wise answered 500", flows.ErrUnavailable))
	if s.step != jsResult || s.sel != 1 || !strings.Contains(wzFlat(s), "✗ 1 of 5 playground calls failed") || !strings.Contains(wzFlat(s), "r runs the calls again") {
		t.Fatalf("step %d sel %d:\n%s", s.step, s.sel, wzPlain(s))
	}
	wzGolden(t, c, s)
	press(s, "r")
	if s.step != jsPlay || !s.op.busy || len(s.runs) != 0 {
		t.Fatalf("r did not run the calls again: step %d", s.step)
	}
	wzPlayAll(s, "", nil)
	if s.failures() != 0 || !strings.Contains(wzFlat(s), "answered all 5 calls") {
		t.Errorf("after r:\n%s", wzPlain(s))
	}
}

// An answer of a call the user left is not taken.
func TestJOSEFlowLateAnswersAreDropped(t *testing.T) {
	c := wzCommon(80, 24)
	s := wzJOSEToWise(c)
	press(s, "enter")
	id := s.op.id
	press(s, "esc")
	s.Update(josePlayedMsg{id: id, run: joseRun{mode: "jws", res: wzPlayed("jws")}})
	if s.step != jsWise || len(s.runs) != 0 {
		t.Errorf("a late answer moved the flow: step %d, %d runs", s.step, len(s.runs))
	}
	// The keygen made anyway is told.
	s = wzJOSEFlow(c)
	press(s, "enter", "enter", "enter")
	wzJOSENamed(press(s, "enter"))
	press(s, "enter", "enter")
	id = s.op.id
	press(s, "esc")
	_, cmd := s.Update(joseKeysMadeMsg{id: id, made: []flows.EntryView{wzSigKey(false)}})
	told := false
	for _, m := range cmdMsgs(cmd) {
		if t, ok := m.(ToastMsg); ok && strings.Contains(t.Text, "acme-jose-sig") {
			told = true
		}
	}
	if !told || s.step != jsEncKey {
		t.Errorf("told %v, step %d", told, s.step)
	}
}

// The flows opened from an entry start where they should and end back
// on the entry.
func TestJOSEFlowOpenedFromAnEntry(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {100, 30}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			c := wzCommon(size[0], size[1])
			up := newJOSEEntryFlow(c, wzEncKey(false), joseUploadOne)
			if up.step != jsKeys {
				t.Errorf("u starts at step %d", up.step)
			}
			t.Run("upload", func(t *testing.T) { wzGolden(t, c, up) })
			press(up, "enter")
			up.Update(joseUploadedMsg{id: up.op.id, uploaded: wzUploaded()[1:], keys: []flows.EntryView{wzEncKey(true)}, wise: wzWiseKeys(), fetched: true})
			press(up, "enter")
			if strings.Join(up.modes, " ") != "jwe jwe-get jwe-direct" {
				t.Errorf("an encryption key's check makes %v", up.modes)
			}

			rot := newJOSEEntryFlow(c, wzSigKey(true), joseRotation)
			t.Run("rotate", func(t *testing.T) { wzGolden(t, c, rot) })
			press(rot, "enter")
			if rot.step != jsRotating || !rot.op.busy {
				t.Fatalf("enter did not rotate: step %d", rot.step)
			}
			newKey := wzSigKey(true)
			newKey.KeyID = "11111111-2222-4333-8444-555555555555"
			rot.Update(joseRotatedMsg{id: rot.op.id, entry: newKey, modes: []string{"jws"}, rot: flows.JOSERotated{Entry: "acme-jose-sig", KeyID: newKey.KeyID,
				ValidFrom: wzNow, ValidTill: wzNow.Add(365 * 24 * time.Hour), Uploaded: true, PrevKeyID: wzSigKID, RetiresAt: wzNow.Add(24 * time.Hour)}})
			if rot.step != jsPlay || !rot.op.busy {
				t.Fatalf("the rotation is not checked: step %d", rot.step)
			}
			wzPlayAll(rot, "", nil)
			t.Run("rotated", func(t *testing.T) { wzGolden(t, c, rot) })
			if !strings.Contains(wzFlat(rot), "old key "+wzSigKID+" works until") {
				t.Errorf("the rotation's result:\n%s", wzPlain(rot))
			}

			chk := newJOSEEntryFlow(c, wzSigKey(true), joseCheckOnly)
			chk.Init()
			if chk.step != jsPlay || !chk.op.busy {
				t.Fatalf("k did not start the check: step %d", chk.step)
			}
			chk.Update(joseModesMsg{id: chk.op.id, modes: []string{"jws"}})
			wzPlayAll(chk, "", nil)
			t.Run("check", func(t *testing.T) { wzGolden(t, c, chk) })
			_, cmd := chk.Update(keyPress("enter"))
			if _, ok := cmdMsgs(cmd)[0].(popMsg); !ok {
				t.Error("enter on the check's result did not go back to the entry")
			}
		})
	}
}

// The calls a client's uploaded keys allow.
func TestJOSEPlayModes(t *testing.T) {
	for _, tc := range []struct {
		keys []flows.EntryView
		want string
	}{
		{nil, ""},
		{[]flows.EntryView{wzSigKey(false)}, ""},
		{[]flows.EntryView{wzSigKey(true)}, "jws"},
		{[]flows.EntryView{wzEncKey(true)}, "jwe jwe-get jwe-direct"},
		{[]flows.EntryView{wzSigKey(true), wzEncKey(false)}, "jws"},
		{[]flows.EntryView{wzEncKey(true), wzSigKey(true)}, "jws jwe jwe-get jwsjwe jwe-direct"},
	} {
		if got := strings.Join(playModes(tc.keys), " "); got != tc.want {
			t.Errorf("%d keys: %q, want %q", len(tc.keys), got, tc.want)
		}
	}
}

// A JOSE entry's details: u, n and k open the flow part-way, p its public
// key; its private key is neither revealed nor copied; the help line
// names the keys.
func TestDetailsOfAJOSEEntry(t *testing.T) {
	c := wzCommon(80, 24)
	e := wzSigKey(false)
	var s Screen = newDetails(c, e)
	help := " " + strings.Join(helpKeys(s), " ") + " "
	for _, want := range []string{"u", "k", "n", "p"} {
		if !strings.Contains(help, " "+want+" ") {
			t.Errorf("the help line %q lacks %s", help, want)
		}
	}
	if strings.Contains(help, " v ") || strings.Contains(help, " c ") {
		t.Errorf("the help line %q offers to reveal or copy the private key", help)
	}
	for _, k := range []string{"v", "c"} {
		_, cmd := s.Update(keyPress(k))
		if m, ok := cmdMsg(cmd).(ToastMsg); !ok || !strings.Contains(m.Text, "never leaves the wallet") {
			t.Errorf("%s on the private key: %v", k, cmdMsg(cmd))
		}
	}
	open := func(s Screen, k string) Screen {
		t.Helper()
		_, cmd := s.Update(keyPress(k))
		p, ok := cmdMsg(cmd).(pushMsg)
		if !ok {
			t.Fatalf("%s: %v, want a screen pushed", k, cmdMsg(cmd))
		}
		return p.s
	}
	if f := open(s, "u").(*joseFlow); f.mode != joseUploadOne || f.step != jsKeys {
		t.Errorf("u opened mode %d step %d", f.mode, f.step)
	}
	if f := open(s, "n").(*joseFlow); f.mode != joseRotation || f.step != jsRotate {
		t.Errorf("n opened mode %d step %d", f.mode, f.step)
	}
	if _, ok := open(s, "p").(*josePublicKey); !ok {
		t.Error("p did not open the public key")
	}
	// Not uploaded: nothing to check yet.
	_, cmd := s.Update(keyPress("k"))
	if m, ok := cmdMsg(cmd).(ToastMsg); !ok || !strings.Contains(m.Text, "u uploads it") {
		t.Errorf("k on a key not uploaded: %v", cmdMsg(cmd))
	}
	s = newDetails(c, wzSigKey(true))
	if f := open(s, "k").(*joseFlow); f.mode != joseCheckOnly || f.step != jsPlay {
		t.Errorf("k opened mode %d step %d", f.mode, f.step)
	}
	_, cmd = s.Update(keyPress("u"))
	if m, ok := cmdMsg(cmd).(ToastMsg); !ok || !strings.Contains(m.Text, "uploaded to Wise already") {
		t.Errorf("u on an uploaded key: %v", cmdMsg(cmd))
	}
	if help := " " + strings.Join(helpKeys(s), " ") + " "; strings.Contains(help, " u ") {
		t.Errorf("the help line %q offers to upload an uploaded key", help)
	}
	// A key that serves no client says how to set it up.
	lone := wzSigKey(false)
	lone.LinkedTo = ""
	_, cmd = newDetails(c, lone).Update(keyPress("u"))
	if m, ok := cmdMsg(cmd).(ToastMsg); !ok || !strings.Contains(m.Text, "serves no OAuth client") || !strings.Contains(m.Text, "a, then JOSE keys") {
		t.Errorf("u on a key of no client: %v", cmdMsg(cmd))
	}
	// A rotation's overlap runs: no second one before the old key retires.
	rot := wzSigKey(true)
	rot.PrevKeyID, rot.PrevRetiresAt = wzEncKID, ptime(wzNow.Add(5*time.Hour))
	_, cmd = newDetails(c, rot).Update(keyPress("n"))
	if m, ok := cmdMsg(cmd).(ToastMsg); !ok || !strings.Contains(m.Text, "rotating already") || !strings.Contains(m.Text, "until 14:00:00 UTC") {
		t.Errorf("n during a rotation: %v", cmdMsg(cmd))
	}
	wzGolden(t, c, newDetails(c, wzEncKey(true)))
}

// The public key in its three forms; tab goes round, c copies the form
// shown, and no private key is ever asked for.
func TestJOSEPublicKeyScreen(t *testing.T) {
	e := wzEncKey(true)
	fake := &fakeBackend{entries: []flows.EntryView{e}}
	c := coreCommon(fake, 80, 24)
	s := newJOSEPublicKey(c, e)
	d := newDriver(t, s)
	if !s.loaded || s.err != nil {
		t.Fatalf("loaded %v, %v", s.loaded, s.err)
	}
	for _, want := range []string{"[JWK]", "fake jwk public key of acme-jose-enc", "encryption · RSA-OAEP-256 · key id " + wzEncKID, "Not secret"} {
		if !strings.Contains(wzPlain(s), want) {
			t.Errorf("the JWK view lacks %q:\n%s", want, wzPlain(s))
		}
	}
	d.press("tab")
	if !strings.Contains(wzPlain(s), "[PEM]") || !strings.Contains(wzPlain(s), "fake pem public key") {
		t.Errorf("tab did not show the PEM:\n%s", wzPlain(s))
	}
	d.press("tab")
	if !strings.Contains(wzPlain(s), "[base64 DER]") || !strings.Contains(wzPlain(s), "what Wise's upload carries") {
		t.Errorf("the second tab did not show the DER:\n%s", wzPlain(s))
	}
	wzGolden(t, c, s)
	d.press("tab")
	if s.format != 0 {
		t.Errorf("tab did not go round: form %d", s.format)
	}
	c.clip.getenv = func(string) string { return "" }
	d.press("c")
	if len(d.toasts) == 0 || !strings.Contains(d.toasts[len(d.toasts)-1].Text, "no clipboard") {
		t.Errorf("c without a clipboard: %+v", d.toasts)
	}
	d.press("esc")
	if _, ok := firstNav[popMsg](d); !ok {
		t.Error("esc did not go back")
	}
}

// A long key (RSA's JWK on one line) is broken to the width, every
// character kept, and scrolls when it is taller than the room.
func TestJOSEPublicKeyScreenWrapsAndScrolls(t *testing.T) {
	c := wzCommon(80, 24)
	s := newJOSEPublicKey(c, wzEncKey(true))
	long := strings.Repeat("abcdefghij", 200)
	s.Update(pubKeysMsg{entry: "acme-jose-enc", texts: map[string]string{"jwk": long, "pem": "x", "der": "y"}})
	wzFits(t, c, s)
	if !strings.Contains(wzPlain(s), "↑/↓ scroll") {
		t.Fatalf("no scrolling window on a key of 2000 characters:\n%s", wzPlain(s))
	}
	for range 40 {
		press(s, "down")
	}
	got := strings.Join(strings.Fields(wzPlain(s)), "")
	if !strings.Contains(got, "abcdefghijabcdefghij") {
		t.Errorf("the key is not shown whole when scrolled to its end:\n%s", wzPlain(s))
	}
	wzFits(t, c, s)
}

// A call with more steps than the screen has room for keeps within it:
// the note goes, then the last lines, with a word of the cut.
func TestJOSEFlowResultFitsASmallScreen(t *testing.T) {
	c := wzCommon(80, 24)
	s := newJOSEEntryFlow(c, wzSigKey(true), joseCheckOnly)
	s.Init()
	s.Update(joseModesMsg{id: s.op.id, modes: []string{"jwsjwe"}})
	res := wzPlayed("jwsjwe")
	for i := range 4 {
		res.Steps = append(res.Steps, flows.JOSEStep{Step: fmt.Sprintf("step %d", i), Header: flows.JOSEHeaderView{Alg: "ES256", KeyID: wzSigKID, URL: res.Path, Version: i}, Result: wzJWS})
	}
	s.Update(josePlayedMsg{id: s.op.id, run: joseRun{mode: "jwsjwe", res: res}})
	wzFits(t, c, s)
	if !strings.Contains(wzPlain(s), "more lines: a taller terminal shows them") {
		t.Errorf("the cut is not said:\n%s", wzPlain(s))
	}
	c = wzCommon(100, 40)
	s.c = c
	if strings.Contains(wzPlain(s), "more lines") {
		t.Errorf("a cut on a screen with room:\n%s", wzPlain(s))
	}
}

// A rotation that stored the new key but could not upload it says so:
// Wise still knows the old key only, and u uploads the new one.
func TestJOSEFlowRotationStoredButNotUploaded(t *testing.T) {
	c := wzCommon(80, 24)
	rot := newJOSEEntryFlow(c, wzSigKey(true), joseRotation)
	press(rot, "enter")
	e := wzSigKey(false)
	e.KeyID, e.PrevKeyID, e.PrevRetiresAt = "11111111-2222-4333-8444-555555555555", wzSigKID, ptime(wzNow.Add(24*time.Hour))
	rot.Update(joseRotatedMsg{id: rot.op.id, entry: e, err: &flows.RotatedNotUploadedError{Entry: "acme-jose-sig", Err: fmt.Errorf("%w: HTTP 503", flows.ErrUnavailable)}})
	flat := wzFlat(rot)
	for _, want := range []string{"✗ Rotated, but the new key was not uploaded", "new key 11111111-2222-4333-8444-555555555555 not uploaded: Wise still knows only the old key", "Its upload failed (wise unavailable: HTTP 503). u on the entry uploads it"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the result does not say %q:\n%s", want, wzPlain(rot))
		}
	}
	wzFits(t, c, rot)
}

// Each failure of a playground call says what to do in the app's keys.
func TestJOSEFlowPlaygroundFailuresSayWhatToDo(t *testing.T) {
	for _, tc := range []struct {
		err  error
		says string
	}{
		{&flows.ExpiredKeyError{Entry: "acme-jose-sig", ValidTill: wzNow}, "Rotate the key: on its entry, n."},
		{&flows.NotUploadedError{Entry: "acme-jose-enc", Client: "acme-app"}, "Upload the key first: on its entry, u."},
		{&flows.NoJOSEKeyError{Client: "acme-app", Use: flows.JOSEUseEnc}, "Make acme-app a key for it: a, then JOSE keys."},
		{&flows.TokenRefusedError{Entry: "acme-app", Reason: crypto.ErrJOSESignature}, "Wise's answer failed its check, so it was not taken"},
		{fmt.Errorf("the response failed its JOSE check and was dropped: %w", crypto.ErrJOSEDecrypt), "Wise's answer failed its check, so it was not taken"},
		{flows.ErrInvalidClient, "Wise refused acme-app's id and secret"},
	} {
		c := wzCommon(80, 24)
		s := wzJOSEToWise(c)
		press(s, "enter")
		wzPlayAll(s, "jws", tc.err)
		if !strings.Contains(wzFlat(s), tc.says) {
			t.Errorf("%T: the result does not say %q:\n%s", tc.err, tc.says, wzPlain(s))
		}
		wzFits(t, c, s)
	}
}

// Each playground call names the flow's own key of its use, so it tries
// that key even when the client has others.
func TestJOSEFlowCallsUseTheFlowsOwnKey(t *testing.T) {
	c := wzCommon(80, 24)
	both := wzJOSEToWise(c)
	sig := newJOSEEntryFlow(c, wzSigKey(true), joseCheckOnly)
	enc := newJOSEEntryFlow(c, wzEncKey(true), joseCheckOnly)
	for _, tc := range []struct {
		s    *joseFlow
		mode string
		want string
	}{
		{both, "jws", "acme-jose-sig"}, {both, "jwe", "acme-jose-enc"}, {both, "jwe-get", "acme-jose-enc"},
		{both, "jwsjwe", "acme-jose-sig"}, {both, "jwe-direct", ""},
		{sig, "jws", "acme-jose-sig"}, {sig, "jwe", ""}, {sig, "jwsjwe", "acme-jose-sig"},
		{enc, "jws", ""}, {enc, "jwe", "acme-jose-enc"}, {enc, "jwsjwe", "acme-jose-enc"}, {enc, "jwe-direct", ""},
	} {
		if got := tc.s.keyFor(tc.mode); got != tc.want {
			t.Errorf("%v, %s: key %q, want %q", names(tc.s.entries), tc.mode, got, tc.want)
		}
	}
}

func names(es []flows.EntryView) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name)
	}
	return out
}
