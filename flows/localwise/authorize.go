package localwise

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

const (
	// maxStateLen bounds the state a pending request keeps in memory.
	maxStateLen = 1024
	// maxLoginFailures ends a pending request after this many wrong
	// passwords, so one page load cannot be used to guess passwords.
	maxLoginFailures = 5
)

// pageCSS is the only style on the pages; the CSP allows exactly this text
// by its hash, so no other inline style or script can run.
const pageCSS = `body{font:16px/1.5 system-ui,sans-serif;background:#f2f5f7;color:#1e2a32;margin:0}` +
	`main{max-width:28rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08)}` +
	`.badge{display:inline-block;font-size:.75rem;background:#163300;color:#9fe870;padding:.15rem .6rem;border-radius:999px}` +
	`h1{font-size:1.4rem;margin:.8rem 0 1rem}` +
	`label{display:block;margin:.8rem 0 .3rem;font-weight:600}` +
	`input[type=email],input[type=password]{width:100%;box-sizing:border-box;padding:.6rem;border:1px solid #c9d1d6;border-radius:8px;font:inherit}` +
	`fieldset{border:1px solid #e0e5e8;border-radius:8px;margin:1rem 0;padding:.5rem 1rem}` +
	`fieldset label{font-weight:400}` +
	`button{font:inherit;font-weight:600;padding:.6rem 1.2rem;border-radius:999px;border:0;background:#9fe870;color:#163300;cursor:pointer;margin:1rem .5rem 0 0}` +
	`button.secondary{background:#e8ecef;color:#1e2a32}` +
	`.error{background:#fde8e8;color:#a30000;padding:.6rem .8rem;border-radius:8px}` +
	`.hint{color:#5d6a73;font-size:.85rem}` +
	`code{font:1.05rem ui-monospace,monospace;background:#f2f5f7;padding:.3rem .5rem;border-radius:6px;word-break:break-all}` +
	// The Developer Hub page: a wider card, a CSR box, the certificate list.
	`main.wide{max-width:46rem}` +
	`select,textarea,input[type=text]{width:100%;box-sizing:border-box;padding:.6rem;border:1px solid #c9d1d6;border-radius:8px;font:inherit}` +
	`textarea,pre{font:.8rem ui-monospace,monospace}` +
	`pre{background:#f2f5f7;padding:.6rem;border-radius:8px;white-space:pre-wrap;word-break:break-all}` +
	`table{width:100%;border-collapse:collapse;font-size:.9rem}th,td{text-align:left;padding:.3rem;border-bottom:1px solid #e0e5e8}` +
	`td button{margin:0;padding:.2rem .8rem}`

var styleHash = func() string {
	sum := sha256.Sum256([]byte(pageCSS))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

// pageSet parses the shared page templates, then extra, on first use.
// Parsed at package init they cost every command's start-up, since
// localwise is linked into the one binary (token's included). Each set
// parses the shared text itself: html/template refuses to Clone a set
// that has run.
func pageSet(extra string) func() *template.Template {
	return sync.OnceValue(func() *template.Template {
		t := template.Must(template.New("pages").Parse(sharedPages))
		if extra != "" {
			t = template.Must(t.Parse(extra))
		}
		return t
	})
}

var pages = pageSet("")

var sharedPages = `
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}} · localwise</title><style>` + pageCSS + `</style></head>
<body><main{{if .Wide}} class="wide"{{end}}>
<span class="badge">localwise · a local stand-in for Wise, demo only</span>
<h1>{{.Title}}</h1>
{{if .Error}}<p class="error" id="error" role="alert">{{.Error}}</p>{{end}}
{{end}}
{{define "foot"}}</main></body></html>
{{end}}

{{define "error"}}{{template "head" .}}<p>Nothing was sent back to the application.</p>
{{template "foot" .}}{{end}}

{{define "login"}}{{template "head" .}}<p><strong>{{.ClientID}}</strong> asks you to log in to Wise.</p>
<form method="post" action="/oauth/authorize/login">
<input type="hidden" name="request" value="{{.Request}}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required value="{{.Email}}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button id="login" type="submit">Log in</button>
</form>
<p class="hint">Demo account: {{.DemoEmail}} / {{.DemoPassword}}</p>
{{template "foot" .}}{{end}}

{{define "consent"}}{{template "head" .}}<p><strong>{{.ClientID}}</strong> wants to access your Wise account.</p>
<form method="post" action="/oauth/authorize/consent">
<input type="hidden" name="request" value="{{.Request}}">
<fieldset><legend>Choose a profile</legend>
{{range .Profiles}}<label><input type="radio" name="profileId" id="profile-{{.ID}}" value="{{.ID}}"{{if .Checked}} checked{{end}}> {{.Label}} ({{.Type}})</label>
{{end}}</fieldset>
<p class="hint">You will be sent back to {{.RedirectURI}}</p>
<button id="approve" type="submit" name="decision" value="approve">Approve</button>
<button id="deny" type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>
{{template "foot" .}}{{end}}

{{define "code"}}{{template "head" .}}<p>Copy this code into the application. It works once and expires soon.</p>
<p><code id="code">{{.Code}}</code></p>
<p>Profile: <code id="profileId">{{.ProfileID}}</code></p>
{{if .State}}<p>State: <code id="state">{{.State}}</code></p>{{end}}
{{template "foot" .}}{{end}}

{{define "denied"}}{{template "head" .}}<p>Access was not granted.</p>
<p>Error: <code id="error-code">{{.ErrorCode}}</code></p>
<p>{{.ErrorDescription}}</p>
{{if .State}}<p>State: <code id="state">{{.State}}</code></p>{{end}}
{{template "foot" .}}{{end}}
`

type profileOption struct {
	ID      int64
	Label   string
	Type    string
	Checked bool
}

type pageData struct {
	Title, Error                string
	Wide                        bool // the wider card of the Developer Hub page
	Request, ClientID, Email    string
	DemoEmail, DemoPassword     string
	RedirectURI                 string
	Profiles                    []profileOption
	Code                        string
	ProfileID                   int64
	State                       string
	ErrorCode, ErrorDescription string
}

// renderPage writes an HTML page with headers that keep it out of caches
// and frames and allow nothing but its own style and forms. formTarget, when
// set, is an extra form-action source: browsers apply form-action to the
// redirect that follows the consent form, too.
func renderPage(w http.ResponseWriter, status int, name string, d pageData, formTarget string) {
	setPageHeaders(w, formTarget)
	w.WriteHeader(status)
	_ = pages().ExecuteTemplate(w, name, d) // a write error means the browser left
}

// setPageHeaders sets the headers every localwise HTML page carries.
func setPageHeaders(w http.ResponseWriter, formTarget string) {
	formAction := "'self'"
	if formTarget != "" {
		formAction += " " + formTarget
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src "+styleHash+
		"; form-action "+formAction+"; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

func errorPage(w http.ResponseWriter, status int, msg string) {
	renderPage(w, status, "error", pageData{Title: "Cannot continue", Error: msg}, "")
}

var (
	// Compiled on first use, not at package init, which every start pays.
	cspHost   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9.\-]+$`) })
	cspScheme = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.\-]*$`) })
)

// cspSource turns a registered redirect URL into a CSP source expression,
// or "" when it cannot be expressed safely.
func cspSource(redirectURI string) string {
	u, err := url.Parse(redirectURI)
	if err != nil || !cspScheme().MatchString(u.Scheme) {
		return ""
	}
	if u.Host == "" {
		return u.Scheme + ":"
	}
	if h := u.Hostname(); !cspHost().MatchString(h) && net.ParseIP(h) == nil {
		return ""
	}
	if p := u.Port(); p != "" {
		if _, err := strconv.Atoi(p); err != nil {
			return ""
		}
	}
	return u.Scheme + "://" + u.Host
}

// handleAuthorize is GET /oauth/authorize: it checks the request and shows
// the login form. A bad client or redirect URL is reported here and never
// redirected, so the page cannot be used as an open redirector.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet) {
		return
	}
	q := r.URL.Query()
	for _, k := range []string{"client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method"} {
		if len(q[k]) > 1 {
			errorPage(w, http.StatusBadRequest, "The request repeats the parameter "+k+".")
			return
		}
	}
	clientID, redirectURI := q.Get("client_id"), q.Get("redirect_uri")
	c := s.tokens.client(clientID)
	if c == nil {
		errorPage(w, http.StatusBadRequest, "This application is not registered.")
		return
	}
	if !slices.Contains(c.redirectURLs, redirectURI) {
		errorPage(w, http.StatusBadRequest, "The redirect URL does not match the one registered for this application.")
		return
	}
	p := pendingAuth{
		clientID:    c.id,
		redirectURI: redirectURI,
		state:       q.Get("state"),
		showCode:    q.Get("forwardingMode") == "showCode",
		expiresAt:   s.now().Add(pendingTTL),
	}
	if len(p.state) > maxStateLen {
		p.state = "" // not echoed back: it is the invalid part
		s.finishWithError(w, p, "invalid_request", "state is too long")
		return
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	if challenge != "" || method != "" {
		// Only S256: "plain" (the RFC 7636 default) protects nothing
		// against an attacker who can read the authorize URL.
		if method != "S256" {
			s.finishWithError(w, p, "invalid_request", "code_challenge_method must be S256")
			return
		}
		if len(challenge) != 43 || !validPKCEString(challenge) {
			s.finishWithError(w, p, "invalid_request", "code_challenge must be 43 base64url characters")
			return
		}
		p.challenge = challenge
	}
	id := rand.Text()
	s.tokens.putPending(id, p)
	renderPage(w, http.StatusOK, "login", pageData{
		Title: "Log in", Request: id, ClientID: c.id,
		DemoEmail: DemoUserEmail, DemoPassword: DemoUserPassword,
	}, "")
}

// finishWithError ends an authorization request with an OAuth error: on a
// page in showCode mode, otherwise by redirecting to the registered URL.
func (s *Server) finishWithError(w http.ResponseWriter, p pendingAuth, code, desc string) {
	if p.showCode {
		renderPage(w, http.StatusOK, "denied", pageData{Title: "Not authorized",
			ErrorCode: code, ErrorDescription: desc, State: p.state}, "")
		return
	}
	v := url.Values{"error": {code}, "error_description": {desc}}
	if p.state != "" {
		v.Set("state", p.state)
	}
	redirect(w, p.redirectURI, v)
}

func redirect(w http.ResponseWriter, base string, params url.Values) {
	u, err := url.Parse(base)
	if err != nil {
		// Registered URLs that do not parse cannot be redirected to.
		errorPage(w, http.StatusBadRequest, "The registered redirect URL is not valid.")
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Location", u.String())
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusFound)
}

// pendingFromForm parses the form and finds the live pending request it
// names, answering with an error page itself when there is none.
func (s *Server) pendingFromForm(w http.ResponseWriter, r *http.Request) (string, pendingAuth, bool) {
	if !allowMethod(w, r, http.MethodPost) {
		return "", pendingAuth{}, false
	}
	if err := r.ParseForm(); err != nil {
		errorPage(w, http.StatusBadRequest, "The form could not be read.")
		return "", pendingAuth{}, false
	}
	id := r.PostForm.Get("request")
	p, ok := s.tokens.pendingAt(s.now(), id)
	if !ok {
		unknownRequest(w)
		return "", pendingAuth{}, false
	}
	return id, p, true
}

func unknownRequest(w http.ResponseWriter) {
	errorPage(w, http.StatusBadRequest, "This sign-in request is unknown or has expired. Start again from the application.")
}

// handleLogin is POST /oauth/authorize/login.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	id, p, ok := s.pendingFromForm(w, r)
	if !ok {
		return
	}
	email, password := r.PostForm.Get("email"), r.PostForm.Get("password")
	u := s.users.login(email, password)
	if u == nil {
		switch known, alive := s.tokens.loginFailed(id); {
		case !known: // gone since pendingFromForm
			unknownRequest(w)
			return
		case !alive:
			errorPage(w, http.StatusBadRequest, "Too many wrong passwords. Start again from the application.")
			return
		}
		if len(email) > maxEmailLen {
			email = ""
		}
		renderPage(w, http.StatusOK, "login", pageData{
			Title: "Log in", Error: "Email or password is not correct.", Request: id, ClientID: p.clientID,
			Email: email, DemoEmail: DemoUserEmail, DemoPassword: DemoUserPassword,
		}, "")
		return
	}
	// A fresh id after login, so the id on the login page cannot approve.
	next := rand.Text()
	if p, ok = s.tokens.loggedIn(id, next, u.id); !ok { // gone since pendingFromForm
		unknownRequest(w)
		return
	}
	renderPage(w, http.StatusOK, "consent", consentData(p, u, next, 0), cspSource(p.redirectURI))
}

func consentData(p pendingAuth, u *user, id string, checked int64) pageData {
	d := pageData{Title: "Allow access", Request: id, ClientID: p.clientID, RedirectURI: p.redirectURI}
	for i, pr := range u.profiles {
		d.Profiles = append(d.Profiles, profileOption{ID: pr.id, Label: pr.label, Type: strings.ToLower(pr.typ),
			Checked: pr.id == checked || checked == 0 && i == 0})
	}
	return d
}

// handleConsent is POST /oauth/authorize/consent: Approve issues a code
// bound to the client, redirect URL, user, profile and PKCE challenge.
func (s *Server) handleConsent(w http.ResponseWriter, r *http.Request) {
	id, p, ok := s.pendingFromForm(w, r)
	if !ok {
		return
	}
	decision := r.PostForm.Get("decision")
	profileID, _ := strconv.ParseInt(r.PostForm.Get("profileId"), 10, 64)
	var u *user
	if p.userID != 0 {
		u = s.users.user(p.userID)
	}
	if u == nil {
		errorPage(w, http.StatusBadRequest, "Log in before approving access. Start again from the application.")
		return
	}
	switch {
	case decision == "deny":
		if p, ok = s.tokens.takePending(id); !ok {
			unknownRequest(w)
			return
		}
		s.finishWithError(w, p, "access_denied", "The user denied access")
		return
	case decision != "approve":
		d := consentData(p, u, id, profileID)
		d.Error = "Choose Approve or Deny."
		renderPage(w, http.StatusBadRequest, "consent", d, cspSource(p.redirectURI))
		return
	case !slices.ContainsFunc(u.profiles, func(pr profile) bool { return pr.id == profileID }):
		d := consentData(p, u, id, 0)
		d.Error = "Choose one of your profiles."
		renderPage(w, http.StatusBadRequest, "consent", d, cspSource(p.redirectURI))
		return
	}
	code := rand.Text()
	if p, ok = s.tokens.approve(s.now(), id, code, profileID); !ok {
		unknownRequest(w)
		return
	}
	if p.showCode {
		renderPage(w, http.StatusOK, "code", pageData{Title: "Your authorization code",
			Code: code, ProfileID: profileID, State: p.state}, "")
		return
	}
	v := url.Values{"code": {code}, "profileId": {strconv.FormatInt(profileID, 10)}}
	if p.state != "" {
		v.Set("state", p.state)
	}
	redirect(w, p.redirectURI, v)
}
