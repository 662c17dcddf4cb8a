package localwise

// The SCA surface against Wise's OpenAPI document, as conformance_test.go
// does for the rest: every answer's body against the documented schema
// (made strict), direct-encrypted answers opened first and their plaintext
// checked; statuses the document lists without a body carry localwise's
// field-error body (or none on a success); the challenge, which the
// document does not describe, carries Wise's documented Spring body.

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

const scaCorr = "0d9f3f6e-7d1c-4b5e-9a51-3c0ffee0005c"

// scaCheck checks one SCA answer to the operation at path (the document's
// template) and method. cek opens a direct-encrypted answer; plainSchema,
// when set, is what its plaintext must match (else the operation's
// documented application/json schema).
func (o *oasDoc) scaCheck(t *testing.T, name, path, method string, r result, cek []byte, plainSchema string) {
	t.Helper()
	if !traceID.MatchString(r.header.Get("x-trace-id")) {
		t.Errorf("%s: x-trace-id = %q", name, r.header.Get("x-trace-id"))
	}
	if got := r.header.Get(correlationHeader); got != scaCorr {
		t.Errorf("%s: X-External-Correlation-Id = %q", name, got)
	}
	op := "/paths/" + pointerEscape(path) + "/" + strings.ToLower(method)
	if _, ok := o.lookup(op); !ok {
		t.Fatalf("%s: %s %s is not in Wise's document", name, method, path)
	}
	resp := op + "/responses/" + itoa(int64(r.status))
	_, documented := o.lookup(resp)
	switch {
	case r.header.Get("Content-Type") == joseMediaType:
		if r.status != http.StatusOK || cek == nil {
			t.Fatalf("%s: a JOSE answer %d", name, r.status)
		}
		if _, ok := o.lookup(resp + "/content/application~1jose+json"); ok {
			if err := o.validate(t, resp+"/content/application~1jose+json/schema", mustJSON(string(r.body))); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		_, plain := openCompact(t, nil, cek, string(r.body))
		if plainSchema == "" {
			plainSchema = resp + "/content/application~1json/schema"
		}
		if err := o.validate(t, plainSchema, plain); err != nil {
			t.Errorf("%s: the plaintext %s does not match %s: %v", name, plain, plainSchema, err)
		}
	case documented:
		ptr, ok := o.responsePointer(path, method, r.status)
		switch {
		case ok:
			if err := o.validate(t, ptr, r.body); err != nil {
				t.Errorf("%s: %d does not match %s: %v\n%s", name, r.status, ptr, err, r.body)
			}
		case r.status < 300:
			if len(r.body) != 0 {
				t.Errorf("%s: %d documented without a body, answered %s", name, r.status, r.body)
			}
		default:
			if err := o.validate(t, fieldErrorSchema, r.body); err != nil {
				t.Errorf("%s: %d error body %s: %v", name, r.status, r.body, err)
			}
		}
	case r.status == http.StatusForbidden && r.header.Get("x-2fa-approval-result") != "":
		var body map[string]any
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatalf("%s: %s", name, r.body)
		}
		keys := make([]string, 0, len(body))
		for k := range body {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, []string{"error", "message", "path", "status", "timestamp"}) {
			t.Errorf("%s: the challenge body %s is not Wise's documented one", name, r.body)
		}
	case r.status == http.StatusBadRequest:
		// Wise's one-time-token guide (not the document) names 400 for a
		// failed verification on the v1 paths too; its body is the
		// field-error one, as where the document lists a 400.
		if err := o.validate(t, fieldErrorSchema, r.body); err != nil {
			t.Errorf("%s: 400 error body %s: %v", name, r.body, err)
		}
	default:
		if ptr, ok := fallbacks[r.status]; !ok {
			t.Errorf("%s: %s %s answered %d, which the document does not describe", name, method, path, r.status)
		} else if err := o.validate(t, ptr, r.body); err != nil {
			t.Errorf("%s: %d does not match %s: %v", name, r.status, ptr, err)
		}
	}
}

func TestSCAConformsToWiseOpenAPI(t *testing.T) {
	o := loadOAS(t)
	c := newSCA(t, SCAAlways)
	withCorr := func(h map[string]string) map[string]string {
		m := map[string]string{correlationHeader: scaCorr}
		for k, v := range h {
			m[k] = v
		}
		return m
	}
	call := func(name, tmpl, method, path, tok string, body []byte, hdr map[string]string) result {
		t.Helper()
		r := c.call(method, path, tok, body, withCorr(hdr))
		o.scaCheck(t, name, tmpl, method, r, nil, "")
		return r
	}
	jwe := func(name, tmpl, path, ott string, payload any, plainSchema string) result {
		t.Helper()
		b, _ := json.Marshal(payload)
		cek := randomBytes(32)
		tok := encryptCompact(t, c.enc, map[string]any{"alg": "RSA-OAEP-256", "enc": "A256GCM"}, cek, b)
		req := newRequest(t, http.MethodPost, c.base+path, strings.NewReader(tok))
		for k, v := range withCorr(map[string]string{"Authorization": "Bearer " + c.user, "Content-Type": joseMediaType,
			"Accept": joseMediaType, "X-tw-jose-method": "jwe", "One-Time-Token": ott}) {
			if v != "" {
				req.Header.Set(k, v)
			}
		}
		r := do(t, req)
		o.scaCheck(t, name, tmpl, http.MethodPost, r, cek, plainSchema)
		return r
	}
	const (
		fundT      = "/v3/profiles/{profileId}/transfers/{transferId}/payments"
		statementT = "/v1/profiles/{profileId}/balance-statements/{balanceId}/statement.json"
		pinT       = "/v2/profiles/{profileId}/pin"
		pinVerifyT = "/v2/profiles/{profileId}/pin/verify"
		devT       = "/v2/profiles/{profileId}/device-fingerprints"
		devVerifyT = "/v2/profiles/{profileId}/device-fingerprints/verify"
		devDelT    = "/v2/profiles/{profileId}/device-fingerprints/{deviceFingerprintId}"
		sessionT   = "/v2/profiles/{profileId}/sca-sessions/authorise"
		statusT    = "/v1/one-time-token/status"
	)
	ottResponse := "/components/schemas/ott-response"
	ott := wantChallenge(t, call("fund challenged", fundT, http.MethodPost, fundPath, c.user, fundBody, nil))
	call("status", statusT, http.MethodGet, statusT, c.user, nil, map[string]string{"One-Time-Token": ott})
	call("status, deprecated path", "/v1/identity/one-time-token/status", http.MethodGet, "/v1/identity/one-time-token/status", c.user, nil, map[string]string{"One-Time-Token": ott})
	jwe("PIN verify, none set", pinVerifyT, v2+"/pin/verify", ott, map[string]string{"pin": "1234"}, "")
	jwe("PIN create", pinT, v2+"/pin", "", map[string]string{"pin": "1234"}, "")
	jwe("PIN create again", pinT, v2+"/pin", "", map[string]string{"pin": "1234"}, "")
	jwe("PIN verify, wrong", pinVerifyT, v2+"/pin/verify", ott, map[string]string{"pin": "0000"}, "")
	jwe("PIN verify", pinVerifyT, v2+"/pin/verify", ott, map[string]string{"pin": "1234"}, "")
	jwe("device verify, none set", devVerifyT, v2+"/device-fingerprints/verify", ott, map[string]string{"deviceFingerprint": "a"}, "")
	for _, fp := range []string{"a", "b", "c"} {
		jwe("device create", devT, v2+"/device-fingerprints", "", map[string]string{"deviceFingerprint": fp}, "")
	}
	jwe("device create, duplicate", devT, v2+"/device-fingerprints", "", map[string]string{"deviceFingerprint": "a"}, "")
	jwe("device create, fourth", devT, v2+"/device-fingerprints", "", map[string]string{"deviceFingerprint": "d"}, "")
	jwe("device verify, wrong", devVerifyT, v2+"/device-fingerprints/verify", ott, map[string]string{"deviceFingerprint": "x"}, "")
	jwe("device verify", devVerifyT, v2+"/device-fingerprints/verify", ott, map[string]string{"deviceFingerprint": "a"}, "")
	wantApproved(t, call("fund approved", fundT, http.MethodPost, fundPath, c.user, fundBody, approval(ott)))
	call("fund replayed again", fundT, http.MethodPost, fundPath, c.user, fundBody, approval(ott))
	call("fund without type", fundT, http.MethodPost, fundPath, c.user, []byte(`{}`), nil)

	c.advance(scaWindow)
	ott = wantChallenge(t, call("statement challenged", statementT, http.MethodGet, statementPath, c.user, nil, nil))
	for _, ch := range []string{"sms", "whatsapp", "voice"} {
		tr := "/v1/one-time-token/" + ch + "/trigger"
		call(ch+" trigger", tr, http.MethodPost, tr, c.user, nil, map[string]string{"One-Time-Token": ott})
	}
	vr := "/v1/one-time-token/sms/verify"
	call("sms verify, wrong", vr, http.MethodPost, vr, c.user, []byte(`{"otpCode":"000000"}`), map[string]string{"One-Time-Token": ott})
	call("sms verify", vr, http.MethodPost, vr, c.user, []byte(`{"otpCode":"111111"}`), map[string]string{"One-Time-Token": ott})
	wantApproved(t, call("statement approved", statementT, http.MethodGet, statementPath, c.user, nil, approval(ott)))
	call("statement in the window", statementT, http.MethodGet, statementPath, c.user, nil, nil)

	// v1 enrolment and verification: the plaintext of a v1 verify is the
	// ott-response its description names.
	c.advance(scaWindow)
	ott = wantChallenge(t, c.statement(c.user, nil))
	jwe("v1 PIN create", "/v1/user/pin", "/v1/user/pin", "", map[string]string{"pin": "2468"}, "")
	jwe("v1 PIN create again", "/v1/user/pin", "/v1/user/pin", "", map[string]string{"pin": "2468"}, "")
	jwe("v1 PIN verify", "/v1/one-time-token/pin/verify", "/v1/one-time-token/pin/verify", ott, map[string]string{"pin": "2468"}, ottResponse)
	c.statement(c.user, approval(ott))
	c.advance(scaWindow)
	ott = wantChallenge(t, c.statement(c.user, nil))
	jwe("v1 device create", "/v1/user/partner-device-fingerprints", "/v1/user/partner-device-fingerprints", "", map[string]string{"deviceFingerprint": "w"}, "")
	jwe("v1 device verify", "/v1/one-time-token/partner-device-fingerprint/verify", "/v1/one-time-token/partner-device-fingerprint/verify", ott,
		map[string]string{"deviceFingerprint": "w"}, ottResponse)
	fv := "/v1/one-time-token/facemap/verify"
	call("facemap verify", fv, http.MethodPost, fv, c.user, []byte(`{"faceMap":"AAAA"}`), map[string]string{"One-Time-Token": ott})
	c.statement(c.user, approval(ott))

	// Deletes (protected, in the window) and the session.
	ids := c.s.sca.listDevices(DemoUserID, scaProfile)
	call("device delete", devDelT, http.MethodDelete, v2+"/device-fingerprints/"+ids[0].id, c.user, nil, nil)
	call("device delete, unknown", devDelT, http.MethodDelete, v2+"/device-fingerprints/"+ids[0].id, c.user, nil, nil)
	call("PIN delete", pinT, http.MethodDelete, v2+"/pin", c.user, nil, nil)
	call("PIN delete, none", pinT, http.MethodDelete, v2+"/pin", c.user, nil, nil)
	call("session in the window", sessionT, http.MethodPost, v2+"/sca-sessions/authorise", c.user, nil, nil)
	c.advance(scaWindow)
	call("session", sessionT, http.MethodPost, v2+"/sca-sessions/authorise", c.user, nil, nil)

	// The block: 429 where a token would be made.
	ott = wantChallenge(t, c.statement(c.user, nil))
	for range 5 {
		c.otp("sms", "trigger", ott, nil)
		call("sms verify, failing", vr, http.MethodPost, vr, c.user, []byte(`{"otpCode":"000000"}`), map[string]string{"One-Time-Token": ott})
	}
	call("statement blocked", statementT, http.MethodGet, statementPath, c.user, nil, nil)
	call("fund blocked", fundT, http.MethodPost, fundPath, c.user, fundBody, nil)
	call("session blocked", sessionT, http.MethodPost, v2+"/sca-sessions/authorise", c.user, nil, nil)
}

// TestSCAConformanceCatchesWrongShapes proves the schemas bite: members
// the document does not name, or a missing wrapper, fail.
func TestSCAConformanceCatchesWrongShapes(t *testing.T) {
	o := loadOAS(t)
	flat := "/paths/" + pointerEscape("/v2/profiles/{profileId}/pin/verify") + "/post/responses/200/content/application~1json/schema"
	if err := o.validate(t, flat, []byte(`{"oneTimeToken":"5932d5b5-ec13-452f-8688-308feade7834","challenges":[{"primaryChallenge":{"type":"PIN"},"passed":true}],"validity":3600}`)); err != nil {
		t.Fatalf("the flat form fails: %v", err)
	}
	for _, bad := range []string{
		`{"oneTimeToken":"5932d5b5-ec13-452f-8688-308feade7834","challenges":[],"validity":3600,"actionType":"X"}`,
		`{"oneTimeToken":"5932d5b5-ec13-452f-8688-308feade7834","challenges":[{"primaryChallenge":{"type":"PIN"},"passed":true,"required":true}],"validity":3600}`,
	} {
		if o.validate(t, flat, []byte(bad)) == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	if o.validate(t, "/components/schemas/ott-response", []byte(`{"oneTimeToken":"x","challenges":[]}`)) == nil {
		t.Error("ott-response accepted an unwrapped object")
	}
}
