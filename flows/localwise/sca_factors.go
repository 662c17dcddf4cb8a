package localwise

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// The one-time-token factors: PIN and partner device fingerprint (created
// and verified with JWE bodies only, answered by direct encryption with
// the request's content encryption key), phone OTP by SMS, WhatsApp or
// voice (plain JSON, Wise's sandbox code 111111), and FaceTec facemaps,
// which localwise offers but cannot verify. The v2 endpoints are profile
// scoped; the deprecated v1 ones act for the whole user.

// joseSecret checks the JOSE headers of a factor call, decrypts its JWE
// body and reads the string member name of the payload. It answers the
// refusal itself: a plain body is refused as on Wise's JOSE playgrounds
// (415 for a JSON content type, the generic 500 for a body that is not a
// JWE that decrypts). found is false when the payload has no such string.
func (s *Server) joseSecret(w http.ResponseWriter, r *http.Request, name string) (value string, found bool, cek []byte, ok bool) {
	if !checkJOSEHeaders(w, r, "jwe") {
		return "", false, nil, false
	}
	body, ok := readJOSEBody(w, r)
	if !ok {
		return "", false, nil, false
	}
	payload, cek, err := s.decryptRequestJWE(s.now(), body, r.URL.RequestURI())
	var refusal *joseRefusal
	if errors.As(err, &refusal) {
		s.writeRefusal(w, refusal)
		return "", false, nil, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(payload, &m) == nil {
		if raw, present := m[name]; present && json.Unmarshal(raw, &value) == nil {
			found = true
		}
	}
	clear(payload)
	return value, found, cek, true
}

// writeDirect answers 200 with v encrypted with the request's CEK.
func writeDirect(w http.ResponseWriter, r *http.Request, cek []byte, v any) {
	b, _ := json.Marshal(v)
	tok, err := encryptDirect(cek, b)
	if err != nil {
		writeSpringError(w, r, http.StatusInternalServerError, "localwise could not encrypt the answer")
		return
	}
	h := w.Header()
	h.Set("Content-Type", joseMediaType)
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, tok)
}

// writeEmpty answers status without a body (empty answers are not
// encrypted).
func writeEmpty(w http.ResponseWriter, status int) {
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
}

// validPIN reports whether pin is Wise's four ASCII digits.
func validPIN(pin string) bool {
	if len(pin) != 4 {
		return false
	}
	for i := range 4 {
		if pin[i] < '0' || pin[i] > '9' {
			return false
		}
	}
	return true
}

var errPINFormat = &scaError{status: http.StatusBadRequest, code: "pin.invalid.format",
	msg: "The payload must be {\"pin\":\"NNNN\"}: a PIN is exactly four digits"}

var errFingerprintFormat = &scaError{status: http.StatusBadRequest, code: "device.fingerprint.invalid.format",
	msg: "The payload must be {\"deviceFingerprint\":\"...\"}: 1 to 256 characters"}

// handlePIN is POST (create) and DELETE /v2/profiles/{profileId}/pin.
// Deleting a PIN is itself protected: it needs SCA.
func (s *Server) handlePIN(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodPost, http.MethodDelete) {
		return
	}
	c, ok := s.scaCallerOf(w, r, false)
	if !ok {
		return
	}
	profileID, ok := profileOf(w, r, c.u)
	if !ok {
		return
	}
	k := factorKey{c.u.id, profileID}
	if r.Method == http.MethodDelete {
		if !s.sca.hasOwnPIN(k) {
			writeSCAError(w, &scaError{status: http.StatusNotFound, code: "pin.not.setup", msg: "No PIN has been set up for this profile"})
			return
		}
		if !s.protect(w, r, protected{caller: c, profile: profileID, risk: riskLow, action: actionPINDelete}) {
			return
		}
		if err := s.sca.deletePIN(k); err != nil {
			writeSCAError(w, err)
			return
		}
		s.sca.executed(r.Method + " " + r.URL.Path)
		writeEmpty(w, http.StatusNoContent)
		return
	}
	s.createPIN(w, r, k, http.StatusOK)
}

// handleUserPIN is the deprecated POST /v1/user/pin: a user-wide PIN.
func (s *Server) handleUserPIN(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodPost) {
		return
	}
	c, ok := s.scaCallerOf(w, r, false)
	if !ok {
		return
	}
	s.createPIN(w, r, factorKey{c.u.id, 0}, http.StatusNoContent)
}

func (s *Server) createPIN(w http.ResponseWriter, r *http.Request, k factorKey, status int) {
	pin, found, cek, ok := s.joseSecret(w, r, "pin")
	if !ok {
		return
	}
	clear(cek) // the answer has no body to encrypt
	if !found || !validPIN(pin) {
		writeSCAError(w, errPINFormat)
		return
	}
	if err := s.sca.createPIN(k, pin); err != nil {
		writeSCAError(w, err)
		return
	}
	writeEmpty(w, status)
}

// handlePINVerify is POST /v2/profiles/{profileId}/pin/verify (v2: the
// flat one-time-token answer) and, with v1, the deprecated POST
// /v1/one-time-token/pin/verify (the wrapped one).
func (s *Server) handlePINVerify(v1 bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.verifyFactor(w, r, v1, chPIN, "pin", func(v string) bool { return validPIN(v) }, errPINFormat)
	}
}

// handleDeviceVerify is POST /v2/profiles/{profileId}/device-fingerprints/verify
// and, with v1, POST /v1/one-time-token/partner-device-fingerprint/verify.
func (s *Server) handleDeviceVerify(v1 bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.verifyFactor(w, r, v1, chDevice, "deviceFingerprint", validFingerprint, errFingerprintFormat)
	}
}

func validFingerprint(fp string) bool { return fp != "" && len(fp) <= maxFingerprint }

// verifyFactor is one JWE verification of a PIN or a fingerprint. A value
// of the wrong shape is refused without counting as a failed attempt.
func (s *Server) verifyFactor(w http.ResponseWriter, r *http.Request, v1 bool, kind, member string, valid func(string) bool, formatErr *scaError) {
	if !allowMethod(w, r, http.MethodPost) {
		return
	}
	c, ok := s.scaCallerOf(w, r, false)
	if !ok {
		return
	}
	var profileID int64
	if !v1 {
		if profileID, ok = profileOf(w, r, c.u); !ok {
			return
		}
	}
	secret, found, cek, ok := s.joseSecret(w, r, member)
	if !ok {
		return
	}
	defer clear(cek)
	if !found || !valid(secret) {
		writeSCAError(w, formatErr)
		return
	}
	now := s.now()
	o, err := s.sca.attempt(now, strings.TrimSpace(r.Header.Get(ottHeader)), c.u.id,
		factorAttempt{kind: kind, profileID: profileID, secret: secret})
	if err != nil {
		writeSCAError(w, err)
		return
	}
	if v1 {
		writeDirect(w, r, cek, fullOTT(now, o))
		return
	}
	writeDirect(w, r, cek, flatOTT(now, o))
}

// deviceJSON is a registered fingerprint, as Wise answers a creation.
type deviceJSON struct {
	DeviceFingerprintID string `json:"deviceFingerprintId"`
	CreatedAt           string `json:"createdAt"`
}

func deviceBody(d deviceRec) deviceJSON {
	return deviceJSON{DeviceFingerprintID: d.id, CreatedAt: d.created.UTC().Format(time.RFC3339Nano)}
}

// handleDevices is POST (create) and GET (list, not in Wise's document)
// /v2/profiles/{profileId}/device-fingerprints.
func (s *Server) handleDevices(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	c, ok := s.scaCallerOf(w, r, false)
	if !ok {
		return
	}
	profileID, ok := profileOf(w, r, c.u)
	if !ok {
		return
	}
	if r.Method == http.MethodGet {
		out := []deviceJSON{}
		for _, d := range s.sca.listDevices(c.u.id, profileID) {
			out = append(out, deviceBody(d))
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	s.createDevice(w, r, factorKey{c.u.id, profileID})
}

// handleUserDevices is the deprecated POST /v1/user/partner-device-fingerprints.
func (s *Server) handleUserDevices(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodPost) {
		return
	}
	c, ok := s.scaCallerOf(w, r, false)
	if !ok {
		return
	}
	s.createDevice(w, r, factorKey{c.u.id, 0})
}

func (s *Server) createDevice(w http.ResponseWriter, r *http.Request, k factorKey) {
	fp, found, cek, ok := s.joseSecret(w, r, "deviceFingerprint")
	if !ok {
		return
	}
	defer clear(cek)
	if !found || !validFingerprint(fp) {
		writeSCAError(w, errFingerprintFormat)
		return
	}
	d, err := s.sca.createDevice(s.now(), k, fp)
	if err != nil {
		writeSCAError(w, err)
		return
	}
	writeDirect(w, r, cek, deviceBody(d))
}

// handleDeviceDelete is DELETE
// /v2/profiles/{profileId}/device-fingerprints/{deviceFingerprintId}, a
// protected call.
func (s *Server) handleDeviceDelete(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodDelete) {
		return
	}
	c, ok := s.scaCallerOf(w, r, false)
	if !ok {
		return
	}
	profileID, ok := profileOf(w, r, c.u)
	if !ok {
		return
	}
	id := r.PathValue("deviceFingerprintId")
	notFound := &scaError{status: http.StatusNotFound, code: "device.fingerprint.not.found", msg: "The device fingerprint ID does not exist for this profile"}
	known := false
	for _, d := range s.sca.listDevices(c.u.id, profileID) {
		known = known || d.id == id
	}
	if !known {
		writeSCAError(w, notFound)
		return
	}
	if !s.protect(w, r, protected{caller: c, profile: profileID, risk: riskLow, action: actionDeviceDelete}) {
		return
	}
	if err := s.sca.deleteDevice(c.u.id, profileID, id); err != nil {
		writeSCAError(w, err)
		return
	}
	s.sca.executed(r.Method + " " + r.URL.Path)
	writeEmpty(w, http.StatusNoContent)
}

// otpChannels are the OTP paths' segments and their challenge types.
var otpChannels = []struct{ path, kind string }{{"sms", chSMS}, {"whatsapp", chWhatsApp}, {"voice", chVoice}}

// handleOTPTrigger is POST /v1/one-time-token/{sms,whatsapp,voice}/trigger:
// the code is "sent" to the user's verified phone.
func (s *Server) handleOTPTrigger(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !allowMethod(w, r, http.MethodPost) {
			return
		}
		c, ok := s.scaCallerOf(w, r, false)
		if !ok {
			return
		}
		if err := s.sca.otpTrigger(s.now(), strings.TrimSpace(r.Header.Get(ottHeader)), c.u.id, kind); err != nil {
			writeSCAError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, struct {
			ObfuscatedPhoneNo string `json:"obfuscatedPhoneNo"`
		}{obfuscatedPhone})
	}
}

// handleOTPVerify is POST /v1/one-time-token/{sms,whatsapp,voice}/verify
// with {"otpCode":"111111"}.
func (s *Server) handleOTPVerify(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !allowMethod(w, r, http.MethodPost) {
			return
		}
		c, ok := s.scaCallerOf(w, r, false)
		if !ok {
			return
		}
		var body struct {
			OTPCode *string `json:"otpCode"`
		}
		if !decodeJSONBody(w, r, &body) {
			return
		}
		code := ""
		if body.OTPCode != nil {
			code = *body.OTPCode
		}
		now := s.now()
		o, err := s.sca.attempt(now, strings.TrimSpace(r.Header.Get(ottHeader)), c.u.id, factorAttempt{kind: kind, secret: code})
		if err != nil {
			writeSCAError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, fullOTT(now, o))
	}
}

// handleFacemap answers the facemap endpoints: localwise offers FACE_MAP
// among the alternatives so clients meet a factor they cannot capture, but
// it has no FaceTec server to check one against.
func (s *Server) handleFacemap(w http.ResponseWriter, r *http.Request) {
	methods := []string{http.MethodPost}
	if strings.HasSuffix(r.URL.Path, "/facemaps") {
		methods = append(methods, http.MethodDelete)
	}
	if !allowMethod(w, r, methods...) {
		return
	}
	c, ok := s.scaCallerOf(w, r, false)
	if !ok {
		return
	}
	if r.PathValue("profileId") != "" {
		if _, ok := profileOf(w, r, c.u); !ok {
			return
		}
	}
	if r.Method == http.MethodDelete {
		writeSCAError(w, &scaError{status: http.StatusNotFound, code: "facemap.not.setup", msg: "No facemap has been set up for this profile"})
		return
	}
	writeSCAError(w, &scaError{status: http.StatusBadRequest, code: "facemap.not.supported",
		msg: "localwise cannot check a FaceTec facemap: clear the challenge with one of its other factors (PIN, device fingerprint, SMS, WhatsApp or voice code)"})
}
