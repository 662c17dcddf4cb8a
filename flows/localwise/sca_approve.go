package localwise

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
)

// The approve-api-action page: the stand-in of Wise's approval page that
// @transferwise/approve-api-action-helpers opens in an iframe, a popup or a
// tab when a partner's backend relays a 403 with x-2fa-approval to its web
// front end. The helper POSTs a form (ott, libVersion, parentHostname,
// flow) to the page; the person signs in (password and phone code, as on
// Wise's page), which clears every challenge of the token; the page then
// tells the helper by postMessage to its parent (iframe) or opener (popup,
// tab): tw-approve-api-action-success, -failed or -closed. The helper then
// replays the call with X-2FA-APPROVAL through the partner's backend.
//
// Unlike every other localwise page, it is frameable: the iframe flow needs
// it. It takes no action without the one-time token, which only the
// partner's front end has, and it needs the password and the code.

const (
	approvePath     = "/approve-api-action/"
	approveDonePath = approvePath + "approve"

	msgApproved = "tw-approve-api-action-success"
	msgFailed   = "tw-approve-api-action-failed"
	msgClosed   = "tw-approve-api-action-closed"
)

// approveScript sends the page's result to the helper. The message names
// no secret, and the helper knows only its own origin's hostname
// (parentHostname, without scheme or port), so it goes to any origin.
const approveScript = `(function(){` +
	`function target(flow){if(flow==='iframe'&&window.parent!==window)return window.parent;if(window.opener)return window.opener;if(window.parent!==window)return window.parent;return null}` +
	`function send(msg,flow){var t=target(flow);if(t)t.postMessage(msg,'*')}` +
	`var r=document.getElementById('result');if(r)send(r.getAttribute('data-message'),r.getAttribute('data-flow'));` +
	`var c=document.getElementById('cancel');if(c)c.addEventListener('click',function(){send('` + msgClosed + `',c.getAttribute('data-flow'))})` +
	`})();`

var approveScriptHash = func() string {
	sum := sha256.Sum256([]byte(approveScript))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

var approvePages = pageSet(`
{{define "approve-script"}}<script>` + approveScript + `</script>{{end}}

{{define "approve-idle"}}{{template "head" .}}<p>Waiting for the application to send its one-time token…</p>
{{template "approve-script" .}}{{template "foot" .}}{{end}}

{{define "approve"}}{{template "head" .}}<p>An application asks you to approve: <strong id="action">{{.Action}}</strong>.</p>
<p>Approving as <strong id="email">{{.Email}}</strong>.</p>
<form method="post" action="` + approveDonePath + `">
<input type="hidden" name="ott" value="{{.OTT}}">
<input type="hidden" name="flow" value="{{.Flow}}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<label for="otp">Code sent by SMS to {{.Phone}}</label>
<input id="otp" name="otpCode" type="password" inputmode="numeric" autocomplete="one-time-code" required>
<button id="approve" type="submit">Approve</button>
<button id="cancel" type="button" class="secondary" data-flow="{{.Flow}}">Cancel</button>
</form>
<p class="hint">Demo: password {{.DemoPassword}}, code {{.DemoCode}}</p>
{{template "approve-script" .}}{{template "foot" .}}{{end}}

{{define "approve-result"}}{{template "head" .}}<p id="result" data-message="{{.Message}}" data-flow="{{.Flow}}">{{.Outcome}}</p>
{{template "approve-script" .}}{{template "foot" .}}{{end}}
`)

type approvePageData struct {
	Title, Error           string
	Wide                   bool
	Action, Email, Phone   string
	OTT, Flow              string
	DemoPassword, DemoCode string
	Message, Outcome       string
}

var actionWords = map[string]string{
	actionFund:         "fund a transfer",
	actionStatement:    "get a balance statement",
	actionPINDelete:    "delete your PIN",
	actionDeviceDelete: "remove a registered device",
	actionSession:      "a 5-minute session of low-risk actions",
}

func renderApprove(w http.ResponseWriter, status int, name string, d approvePageData) {
	if d.Title == "" {
		d.Title = "Approve with Wise"
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// No frame-ancestors and no X-Frame-Options: the iframe flow frames
	// this page.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src "+styleHash+"; script-src "+approveScriptHash+
		"; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_ = approvePages().ExecuteTemplate(w, name, d) // a write error means the browser left
}

func approveFlow(f string) string {
	switch f {
	case "iframe", "popup", "tab":
		return f
	}
	return ""
}

func renderApproveResult(w http.ResponseWriter, status int, flow, message, outcome string) {
	renderApprove(w, status, "approve-result", approvePageData{Flow: flow, Message: message, Outcome: outcome})
}

// handleApprove is GET /approve-api-action/ (the popup and tab flows open
// it before they post the form into it) and the helper's form POST.
func (s *Server) handleApprove(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	if r.Method == http.MethodGet {
		renderApprove(w, http.StatusOK, "approve-idle", approvePageData{})
		return
	}
	if err := r.ParseForm(); err != nil {
		renderApproveResult(w, http.StatusBadRequest, "", msgFailed, "The form could not be read.")
		return
	}
	flow := approveFlow(r.PostForm.Get("flow"))
	o, err := s.sca.status(s.now(), strings.TrimSpace(r.PostForm.Get("ott")), 0)
	if err != nil {
		renderApproveResult(w, http.StatusBadRequest, flow, msgFailed, "Nothing to approve: "+err.msg)
		return
	}
	s.renderApproveForm(w, http.StatusOK, o, flow, "")
}

func (s *Server) renderApproveForm(w http.ResponseWriter, status int, o oneTimeToken, flow, msg string) {
	d := approvePageData{Error: msg, OTT: o.id, Flow: flow, Phone: obfuscatedPhone,
		DemoPassword: DemoUserPassword, DemoCode: demoOTP, Action: actionWords[o.actionType]}
	if d.Action == "" {
		d.Action = o.actionType
	}
	if u := s.users.user(o.userID); u != nil {
		d.Email = u.email
	}
	renderApprove(w, status, "approve", d)
}

// handleApproveDone is POST /approve-api-action/approve: the sign-in that
// clears the token's challenges.
func (s *Server) handleApproveDone(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodPost) {
		return
	}
	if err := r.ParseForm(); err != nil {
		renderApproveResult(w, http.StatusBadRequest, "", msgFailed, "The form could not be read.")
		return
	}
	flow := approveFlow(r.PostForm.Get("flow"))
	id := strings.TrimSpace(r.PostForm.Get("ott"))
	now := s.now()
	o, serr := s.sca.status(now, id, 0)
	if serr != nil {
		renderApproveResult(w, http.StatusBadRequest, flow, msgFailed, "Nothing to approve: "+serr.msg)
		return
	}
	good := false
	if u := s.users.user(o.userID); u != nil {
		pwOK := s.users.login(u.email, r.PostForm.Get("password")) != nil
		otpOK := subtle.ConstantTimeCompare([]byte(r.PostForm.Get("otpCode")), []byte(demoOTP)) == 1
		good = pwOK && otpOK
	}
	o, serr = s.sca.approveAll(now, id, good)
	switch {
	case serr == nil:
		renderApproveResult(w, http.StatusOK, flow, msgApproved, "Approved. The application carries on; you can close this window.")
	case serr.code == "approval.invalid":
		if cur, err := s.sca.status(now, id, 0); err == nil {
			s.renderApproveForm(w, http.StatusBadRequest, cur, flow, serr.msg+".")
			return
		}
		renderApproveResult(w, http.StatusBadRequest, flow, msgFailed, serr.msg)
	default:
		renderApproveResult(w, http.StatusBadRequest, flow, msgFailed, "Not approved: "+serr.msg)
	}
}
