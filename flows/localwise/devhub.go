package localwise

import (
	"crypto/x509/pkix"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The Developer Hub stand-in: Wise's "Authentication → Generate certificate"
// page, where a partner names a certificate, pastes a CSR and gets a client
// certificate for the mTLS host, plus "Get Wise Certificate" (the CA). At
// Wise it is a page behind the partner's login; here it is an HTML page
// whose sign-in is the OAuth client's id and secret, and a JSON API with
// HTTP Basic client authentication for scripts and tests. Neither is in
// Wise's OpenAPI document.

const (
	hubPath       = "/developer-hub"
	hubAPIPath    = hubPath + "/api/certificates"
	hubCAPath     = hubPath + "/ca-certificate"
	hubCAFilename = "wise.ca-certificate.local.pem"
)

// certificateJSON is one issued certificate in the JSON API.
type certificateJSON struct {
	Name         string `json:"name"`
	Certificate  string `json:"certificate"`
	SerialNumber string `json:"serial_number"`
	NotBefore    string `json:"not_before"`
	NotAfter     string `json:"not_after"`
	ClientID     string `json:"client_id"`
}

func certBody(c issuedCert) certificateJSON {
	return certificateJSON{
		Name:         c.name,
		Certificate:  string(c.pem),
		SerialNumber: serialHex(c),
		NotBefore:    c.notBefore.UTC().Format(time.RFC3339),
		NotAfter:     c.notAfter.UTC().Format(time.RFC3339),
		ClientID:     c.clientID,
	}
}

// serialHex is how localwise writes serial numbers: lowercase hex, no
// separators.
func serialHex(c issuedCert) string { return c.serial.Text(16) }

// CACertificatePEM returns localwise's CA certificate, the one "Get Wise
// Certificate" downloads: it signs the client certificates and the mTLS
// listener's own certificate.
func (s *Server) CACertificatePEM() []byte { return slices.Clone(s.mtls.ca.certPEM) }

// DeveloperHubURL returns the Developer Hub page's URL, or "" before Start.
func (s *Server) DeveloperHubURL() string {
	if u := s.URL(); u != "" {
		return u + hubPath
	}
	return ""
}

// issueCertificate applies Wise's rules and signs. It returns the status
// to answer and, when refused, the errors.
func (s *Server) issueCertificate(clientID, name, csrText string) (issuedCert, int, []fieldError) {
	name, errs := checkCertName(name)
	csr, csrErrs := checkCSR(csrText)
	errs = append(errs, csrErrs...)
	if len(errs) > 0 {
		return issuedCert{}, http.StatusBadRequest, errs
	}
	// Wise overwrites CN with the client id and keeps the organisation.
	subject := pkix.Name{CommonName: clientID, Organization: csr.Subject.Organization, Country: csr.Subject.Country}
	rec, err := s.mtls.issue(s.now(), clientID, name, subject, csr.PublicKey, s.cfg.CertTTL)
	switch {
	case errors.Is(err, errCertNameTaken):
		return issuedCert{}, http.StatusBadRequest, []fieldError{{Code: codeNameDuplicate,
			Message: "An active certificate of this client already has the name " + strconv.Quote(name) + ": choose another name.", Path: "name"}}
	case errors.Is(err, errCertLimit):
		return issuedCert{}, http.StatusUnprocessableEntity, []fieldError{{Code: codeCertLimit,
			Message: "This client already has " + strconv.Itoa(MaxActiveCertificates) + " active certificates, Wise's limit: deactivate one before adding another."}}
	case err != nil:
		return issuedCert{}, http.StatusInternalServerError, []fieldError{{Code: "certificate.signing_failed", Message: "The certificate could not be signed: " + err.Error()}}
	}
	return rec, http.StatusCreated, nil
}

// hubClient authenticates the JSON API's HTTP Basic client credentials,
// read like the token endpoint's, or answers 401 itself.
func (s *Server) hubClient(w http.ResponseWriter, r *http.Request) (string, bool) {
	c, ok := s.authenticateClient(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="localwise developer hub"`)
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "Bad client credentials: authenticate with the client id and secret (HTTP Basic)")
		return "", false
	}
	return c.id, true
}

// handleHubCertificates is GET (list the active certificates) and POST
// (issue one) on /developer-hub/api/certificates.
func (s *Server) handleHubCertificates(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	clientID, ok := s.hubClient(w, r)
	if !ok {
		return
	}
	if r.Method == http.MethodGet {
		list := s.mtls.active(s.now(), clientID)
		out := make([]certificateJSON, 0, len(list))
		for _, c := range list {
			out = append(out, certBody(c))
		}
		writeJSON(w, http.StatusOK, struct {
			Certificates []certificateJSON `json:"certificates"`
			Active       int               `json:"active"`
			Limit        int               `json:"limit"`
		}{out, len(out), MaxActiveCertificates})
		return
	}
	var req struct {
		Name string `json:"name"`
		CSR  string `json:"csr"`
	}
	if !decodeJSONBody(w, r, &req) {
		return
	}
	rec, status, errs := s.issueCertificate(clientID, req.Name, req.CSR)
	if errs != nil {
		writeFieldErrors(w, status, errs...)
		return
	}
	writeJSON(w, http.StatusCreated, certBody(rec))
}

// handleHubCertificate is DELETE /developer-hub/api/certificates/{name}:
// the certificate stops counting against the limit, frees its name and no
// longer opens the mTLS listener.
func (s *Server) handleHubCertificate(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodDelete) {
		return
	}
	clientID, ok := s.hubClient(w, r)
	if !ok {
		return
	}
	if _, err := s.mtls.deactivate(s.now(), clientID, r.PathValue("name")); err != nil {
		writeFieldErrors(w, http.StatusNotFound, fieldError{Code: codeCertNotFound,
			Message: "This client has no active certificate of that name.", Path: "name"})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// handleHubCA is "Get Wise Certificate": the CA certificate as a download.
func (s *Server) handleHubCA(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet) {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-pem-file")
	h.Set("Content-Disposition", `attachment; filename=`+hubCAFilename)
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(s.mtls.ca.certPEM)
}

// The HTML page.

var hubPages = pageSet(`
{{define "ca-link"}}<p><a id="get-wise-certificate" href="/developer-hub/ca-certificate" download="` + hubCAFilename + `">Get Wise Certificate</a>
<span class="hint">the CA that signs these certificates and the mTLS listener: add it to your client's trust store</span></p>{{end}}

{{define "hub-sign-in"}}{{template "head" .}}<p>A stand-in for Wise's Developer Hub. Sign in as an OAuth client to generate the
client certificates its calls to the mTLS host need.</p>
<form method="post" action="/developer-hub/sign-in">
<label for="client-id">Client</label>
<select id="client-id" name="client_id">{{range .Clients}}<option value="{{.ID}}"{{if .Selected}} selected{{end}}>{{.ID}}</option>{{end}}</select>
<label for="client-secret">Client secret</label>
<input id="client-secret" name="client_secret" type="password" autocomplete="off" required>
<button id="sign-in" type="submit">Sign in</button>
</form>
<p class="hint">Demo client: {{.DemoClient}} / {{.DemoSecret}}</p>
{{template "ca-link" .}}
{{template "foot" .}}{{end}}

{{define "hub"}}{{template "head" .}}{{if .Errors}}<ul id="errors">{{range .Errors}}<li><code class="error-code">{{.Code}}</code> {{.Message}}</li>{{end}}</ul>{{end}}
<p>Signed in as client <strong id="client-id">{{.ClientID}}</strong>. <a href="/developer-hub">Sign out</a></p>
{{template "ca-link" .}}
{{with .Issued}}<h2>Certificate {{.Name}} issued</h2>
<p>Save it as a PEM file and use it with your private key on the mTLS host. It is valid until <span id="issued-not-after">{{.NotAfter}}</span>.</p>
<pre id="certificate">{{.Certificate}}</pre>{{end}}
<h2>Active certificates: <span id="active-count">{{len .Active}} of {{.Limit}}</span></h2>
<table id="certificates"><tr><th>Name</th><th>Serial number</th><th>Valid until</th><th></th></tr>
{{range .Active}}<tr><td class="cert-name">{{.Name}}</td><td><code>{{.SerialNumber}}</code></td><td>{{.NotAfter}}</td><td>
<form method="post" action="/developer-hub/deactivate"><input type="hidden" name="session" value="{{$.Session}}"><input type="hidden" name="name" value="{{.Name}}">
<button type="submit" class="secondary" id="deactivate-{{.Name}}">Deactivate</button></form></td></tr>
{{end}}</table>
<h2>Generate certificate</h2>
<form method="post" action="/developer-hub/certificates">
<input type="hidden" name="session" value="{{.Session}}">
<label for="cert-name">Certificate name</label>
<input id="cert-name" name="name" type="text" required value="{{.Name}}">
<label for="csr">Certificate signing request (PEM)</label>
<textarea id="csr" name="csr" rows="12" required placeholder="-----BEGIN CERTIFICATE REQUEST-----">{{.CSR}}</textarea>
<p class="hint">RSA 2048, 3072 or 4096 bits, or EC P-256 or P-384; the subject must have an organisation (O). The common name is replaced by the client id.</p>
<button id="generate" type="submit">Generate certificate</button>
</form>
{{template "foot" .}}{{end}}
`)

type hubClientOption struct {
	ID       string
	Selected bool
}

type hubPageData struct {
	Title, Error           string
	Wide                   bool
	Clients                []hubClientOption
	DemoClient, DemoSecret string
	ClientID, Session      string
	Errors                 []fieldError
	Issued                 *certificateJSON
	Active                 []certificateJSON
	Limit                  int
	Name, CSR              string // the form's values after a refusal
}

func renderHub(w http.ResponseWriter, status int, name string, d hubPageData) {
	d.Wide = true
	if d.Title == "" {
		d.Title = "Developer Hub · Authentication"
	}
	setPageHeaders(w, "")
	w.WriteHeader(status)
	_ = hubPages().ExecuteTemplate(w, name, d) // a write error means the browser left
}

// handleHubPage is GET /developer-hub: the sign-in. ?client_id= picks the
// client in the list.
func (s *Server) handleHubPage(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet) {
		return
	}
	s.renderSignIn(w, http.StatusOK, r.URL.Query().Get("client_id"), "")
}

func (s *Server) renderSignIn(w http.ResponseWriter, status int, selected, msg string) {
	var opts []hubClientOption
	for _, id := range s.tokens.clientIDs() {
		opts = append(opts, hubClientOption{ID: id, Selected: id == selected})
	}
	renderHub(w, status, "hub-sign-in", hubPageData{Title: "Developer Hub · Sign in", Error: msg,
		Clients: opts, DemoClient: DemoClientID, DemoSecret: DemoClientSecret})
}

// renderSignedIn shows the signed-in page of clientID.
func (s *Server) renderSignedIn(w http.ResponseWriter, status int, d hubPageData) {
	for _, c := range s.mtls.active(s.now(), d.ClientID) {
		d.Active = append(d.Active, certBody(c))
	}
	d.Limit = MaxActiveCertificates
	renderHub(w, status, "hub", d)
}

func (s *Server) hubForm(w http.ResponseWriter, r *http.Request) bool {
	if !allowMethod(w, r, http.MethodPost) {
		return false
	}
	if err := r.ParseForm(); err != nil {
		s.renderSignIn(w, http.StatusBadRequest, "", "The form could not be read. Sign in again.")
		return false
	}
	return true
}

// hubSession is the client signed in on the form's session, or it shows
// the sign-in page again.
func (s *Server) hubSession(w http.ResponseWriter, r *http.Request) (string, string, bool) {
	id := r.PostForm.Get("session")
	clientID := s.mtls.session(s.now(), id)
	if id == "" || clientID == "" {
		s.renderSignIn(w, http.StatusUnauthorized, "", "Your Developer Hub session is unknown or has ended. Sign in again.")
		return "", "", false
	}
	return id, clientID, true
}

// handleHubSignIn is POST /developer-hub/sign-in.
func (s *Server) handleHubSignIn(w http.ResponseWriter, r *http.Request) {
	if !s.hubForm(w, r) {
		return
	}
	id := r.PostForm.Get("client_id")
	c, ok := s.tokens.authenticate(id, r.PostForm.Get("client_secret"))
	if !ok {
		s.renderSignIn(w, http.StatusUnauthorized, id, "Wrong client id or secret.")
		return
	}
	session := randomHex(32)
	s.mtls.signIn(s.now(), session, c.id)
	s.renderSignedIn(w, http.StatusOK, hubPageData{ClientID: c.id, Session: session})
}

// handleHubGenerate is POST /developer-hub/certificates from the page.
func (s *Server) handleHubGenerate(w http.ResponseWriter, r *http.Request) {
	if !s.hubForm(w, r) {
		return
	}
	session, clientID, ok := s.hubSession(w, r)
	if !ok {
		return
	}
	d := hubPageData{ClientID: clientID, Session: session}
	rec, status, errs := s.issueCertificate(clientID, r.PostForm.Get("name"), r.PostForm.Get("csr"))
	if errs != nil {
		d.Errors, d.Name, d.CSR = errs, r.PostForm.Get("name"), r.PostForm.Get("csr")
		msgs := make([]string, 0, len(errs))
		for _, e := range errs {
			msgs = append(msgs, e.Message)
		}
		d.Error = "The certificate was not issued. " + strings.Join(msgs, " ")
		s.renderSignedIn(w, status, d)
		return
	}
	body := certBody(rec)
	d.Issued = &body
	s.renderSignedIn(w, http.StatusCreated, d)
}

// handleHubDeactivate is POST /developer-hub/deactivate from the page.
func (s *Server) handleHubDeactivate(w http.ResponseWriter, r *http.Request) {
	if !s.hubForm(w, r) {
		return
	}
	session, clientID, ok := s.hubSession(w, r)
	if !ok {
		return
	}
	d := hubPageData{ClientID: clientID, Session: session}
	status := http.StatusOK
	if _, err := s.mtls.deactivate(s.now(), clientID, r.PostForm.Get("name")); err != nil {
		status, d.Error = http.StatusNotFound, "This client has no active certificate of that name."
	}
	s.renderSignedIn(w, status, d)
}
