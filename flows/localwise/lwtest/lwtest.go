// Package lwtest is the test support of localwise: it starts a server for a
// test and plays the person in the browser on localwise's authorize page,
// over plain net/http (open the page, log in, pick a profile, approve or
// deny, follow the redirect or read the code page).
//
// Only _test.go files import it (the layering test enforces that), from
// flows/, tui/, the CLI and localwise's own external tests, so every suite
// drives the authorize page the same way. It imports nothing of this module
// but localwise: the tests of the Wise client must not share its mistakes.
package lwtest

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/flows/localwise"
)

// Start runs a localwise server on a free loopback port until the test
// ends, and returns it with its base URL.
func Start(t testing.TB, cfg localwise.Config) (*localwise.Server, string) {
	t.Helper()
	srv := localwise.New(cfg)
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start localwise: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv, base
}

// maxPage caps what Fetch reads: localwise's pages are a few kB.
const maxPage = 1 << 20

var browser = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// HTTPClient is the client Fetch uses: it shows redirects instead of
// following them, so each hop of the flow can be checked.
func HTTPClient() *http.Client { return browser }

// Page is one HTTP answer of the authorize flow.
type Page struct {
	Status   int
	Location string // the Location header of a redirect
	Body     string
}

// Patterns of localwise's pages, for tests that read them.
var (
	// RequestField is the hidden pending-request id of the login and
	// consent forms.
	RequestField = regexp.MustCompile(`name="request" value="([^"]+)"`)
	// CodeOnPage is the authorization code on the showCode page.
	CodeOnPage = regexp.MustCompile(`<code id="code">([^<]+)</code>`)
	// StateOnPage is the state echoed on the showCode and denied pages.
	StateOnPage = regexp.MustCompile(`<code id="state">([^<]+)</code>`)
	// ProfileOption is one profile offered on the consent page.
	ProfileOption = regexp.MustCompile(`name="profileId" id="profile-(\d+)"`)
	formAction    = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
)

func submatch(re *regexp.Regexp, s string) string {
	if m := re.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// Code is the authorization code a showCode page shows, or "".
func (p Page) Code() string { return submatch(CodeOnPage, p.Body) }

// State is the state a showCode or denied page echoes, or "".
func (p Page) State() string { return submatch(StateOnPage, p.Body) }

// Profiles are the profile ids the consent page offers, in page order.
func (p Page) Profiles() []int64 {
	var ids []int64
	for _, m := range ProfileOption.FindAllStringSubmatch(p.Body, -1) {
		id, err := strconv.ParseInt(m[1], 10, 64)
		if err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// Fetch sends one browser request: a GET when form is nil, else a POST of
// the form. It fails the test when the server cannot be reached.
func Fetch(t testing.TB, method, u string, form url.Values) Page {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := browser.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxPage))
	if err != nil {
		t.Fatalf("%s %s: read: %v", method, req.URL.Path, err)
	}
	return Page{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(b)}
}

// Follow goes where a redirect points, as the browser does after consent.
func Follow(t testing.TB, p Page) Page {
	t.Helper()
	if p.Status != http.StatusFound || p.Location == "" {
		t.Fatalf("not a redirect: HTTP %d", p.Status)
	}
	return Fetch(t, http.MethodGet, p.Location, nil)
}

// Decision is the person's answer on the consent page.
type Decision string

const (
	Approve Decision = "approve"
	Deny    Decision = "deny"
)

// Person is who logs in on the authorize page.
type Person struct {
	// Email and Password log in; both empty means the demo user.
	Email, Password string
	// ProfileID is the profile to approve for; 0 picks the last one the
	// consent page lists (the demo user's business profile).
	ProfileID int64
}

func (p Person) credentials() (string, string) {
	if p.Email == "" && p.Password == "" {
		return localwise.DemoUserEmail, localwise.DemoUserPassword
	}
	return p.Email, p.Password
}

// LogIn opens authURL and logs in, and returns the consent page.
func (p Person) LogIn(t testing.TB, authURL string) Page {
	t.Helper()
	login := Fetch(t, http.MethodGet, authURL, nil)
	id := submatch(RequestField, login.Body)
	if login.Status != http.StatusOK || id == "" {
		t.Fatalf("authorize page: HTTP %d without a login form", login.Status)
	}
	email, password := p.credentials()
	consent := Fetch(t, http.MethodPost, action(t, authURL, login), url.Values{
		"request": {id}, "email": {email}, "password": {password},
	})
	if consent.Status != http.StatusOK || submatch(RequestField, consent.Body) == "" || !strings.Contains(consent.Body, `id="approve"`) {
		t.Fatalf("login step: HTTP %d, no consent page", consent.Status)
	}
	return consent
}

// Answer answers a consent page; pageURL is where it came from (the
// authorize URL will do), against which its form's action resolves.
func (p Person) Answer(t testing.TB, pageURL string, consent Page, d Decision) Page {
	t.Helper()
	offered := consent.Profiles()
	if len(offered) == 0 {
		t.Fatal("the consent page lists no profile")
	}
	profile := p.ProfileID
	switch {
	case profile == 0:
		profile = offered[len(offered)-1]
	case !slices.Contains(offered, profile):
		t.Fatalf("the consent page does not offer profile %d (it offers %v)", profile, offered)
	}
	return Fetch(t, http.MethodPost, action(t, pageURL, consent), url.Values{
		"request": {submatch(RequestField, consent.Body)}, "decision": {string(d)}, "profileId": {strconv.FormatInt(profile, 10)},
	})
}

// Authorize plays the whole page: it opens authURL (as an application
// would show it), logs in, and answers the consent page with d. It returns
// the consent answer: a 302 to the redirect URL, or the code page in
// showCode mode.
func (p Person) Authorize(t testing.TB, authURL string, d Decision) Page {
	t.Helper()
	return p.Answer(t, authURL, p.LogIn(t, authURL), d)
}

// action is where the page's form posts, resolved against pageURL as a
// browser does (the pages post to the authorize page's own host).
func action(t testing.TB, pageURL string, p Page) string {
	t.Helper()
	base, err := url.Parse(pageURL)
	if err != nil || base.Host == "" {
		t.Fatalf("authorize URL %q: not an absolute URL", pageURL)
	}
	a := submatch(formAction, p.Body)
	ref, err := url.Parse(a)
	if a == "" || err != nil {
		t.Fatal("the page has no form to post")
	}
	return base.ResolveReference(ref).String()
}

// FreeLoopbackURL returns http://127.0.0.1:PORT/path for a port that was
// free a moment ago: a redirect URL for a client to listen on.
func FreeLoopbackURL(t testing.TB, path string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + path
}

// RegisterClient registers an OAuth client at the localwise on apiURL
// through its admin endpoint, for a server this test does not hold (a
// child process, or one started behind flows). It takes plain strings so
// that tests of packages that may not name localwise's types can call it.
func RegisterClient(t testing.TB, apiURL, id, secret string, redirectURLs ...string) {
	t.Helper()
	body, err := json.Marshal(struct {
		ID           string   `json:"id"`
		Secret       string   `json:"secret"`
		RedirectURLs []string `json:"redirect_urls"`
	}{id, secret, redirectURLs})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := browser.Post(apiURL+"/__localwise/clients", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("registering a client at localwise: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("registering a client at localwise: HTTP %d", resp.StatusCode)
	}
}

// IssueCertificate has the Developer Hub stand-in of srv sign csrPEM as
// certificate name of client clientID, through the JSON endpoint over real
// HTTP, and downloads the CA as "Get Wise Certificate" does. It fails the
// test unless the certificate is issued.
func IssueCertificate(t testing.TB, srv *localwise.Server, clientID, secret, name string, csrPEM []byte) (certPEM, caPEM []byte) {
	t.Helper()
	return IssueCertificateAt(t, srv.URL(), clientID, secret, name, csrPEM)
}

// IssueCertificateAt is IssueCertificate for the localwise on apiURL, for a
// server this test does not hold.
func IssueCertificateAt(t testing.TB, apiURL, clientID, secret, name string, csrPEM []byte) (certPEM, caPEM []byte) {
	t.Helper()
	body, err := json.Marshal(struct {
		Name string `json:"name"`
		CSR  string `json:"csr"`
	}{name, string(csrPEM)})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, apiURL+"/developer-hub/api/certificates", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(clientID, secret)
	resp, err := browser.Do(req)
	if err != nil {
		t.Fatalf("Developer Hub: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxPage))
	if err != nil {
		t.Fatalf("Developer Hub: read: %v", err)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("Developer Hub refused the CSR: HTTP %d %s", resp.StatusCode, raw)
	}
	var issued struct {
		Certificate string `json:"certificate"`
	}
	if err := json.Unmarshal(raw, &issued); err != nil || issued.Certificate == "" {
		t.Fatalf("Developer Hub answer without a certificate: %s", raw)
	}
	ca := Fetch(t, http.MethodGet, apiURL+"/developer-hub/ca-certificate", nil)
	if ca.Status != http.StatusOK || !strings.HasPrefix(ca.Body, "-----BEGIN CERTIFICATE-----") {
		t.Fatalf("Get Wise Certificate: HTTP %d %.80q", ca.Status, ca.Body)
	}
	return []byte(issued.Certificate), []byte(ca.Body)
}
