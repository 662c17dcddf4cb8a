package localwise

// The conformance test validates localwise's responses against the response
// schemas of Wise's own OpenAPI 3.1 document, so that the stand-in (and the
// client tested against it) cannot drift away from Wise unnoticed.
//
// The document is not copied into the repository: WISE_OPENAPI names it
// (CI sets ../shared/reference/wise-platform-openapi.yml, relative to the
// repository root). Schemas are compiled with santhosh-tekuri/jsonschema,
// which implements JSON Schema 2020-12, the dialect of OpenAPI 3.1, and
// resolves the document's internal $refs.
//
// Wise's schemas allow undeclared properties. To catch misspelled or
// invented fields, every object schema that declares properties is made
// strict (unevaluatedProperties: false) before compiling: a localwise
// response may only carry fields the document names.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

const oasURL = "https://localwise.test/wise-platform-openapi.json"

type oasDoc struct {
	root     map[string]any
	compiler *jsonschema.Compiler
	mu       sync.Mutex
	cache    map[string]*jsonschema.Schema
}

var (
	oasOnce   sync.Once
	oasLoaded *oasDoc
	oasErr    error
)

// loadOAS loads the document named by WISE_OPENAPI once per test binary.
func loadOAS(t *testing.T) *oasDoc {
	t.Helper()
	p := os.Getenv("WISE_OPENAPI")
	if p == "" {
		t.Skip("WISE_OPENAPI is not set: it names Wise's OpenAPI document (shared/reference/wise-platform-openapi.yml), which is not part of this repository")
	}
	oasOnce.Do(func() { oasLoaded, oasErr = parseOAS(resolveDocPath(p)) })
	if oasErr != nil {
		t.Fatalf("WISE_OPENAPI=%s: %v", p, oasErr)
	}
	return oasLoaded
}

// resolveDocPath accepts a path relative to the working directory or, as
// CI gives it, to the module root (go test runs in the package directory).
func resolveDocPath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	if _, err := os.Stat(p); err == nil {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		return p
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, p)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return p
		}
		dir = parent
	}
}

func parseOAS(path string) (*oasDoc, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	var y any
	if err := yaml.Unmarshal(raw, &y); err != nil {
		return nil, fmt.Errorf("parse yaml: %w", err)
	}
	// Round-trip through JSON so the compiler sees JSON values only
	// (string keys, json.Number, no time.Time).
	b, err := json.Marshal(stringKeys(y))
	if err != nil {
		return nil, fmt.Errorf("convert to json: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("convert to json: %w", err)
	}
	root, ok := doc.(map[string]any)
	if !ok || root["openapi"] == nil {
		return nil, fmt.Errorf("not an OpenAPI document")
	}
	if v, _ := root["openapi"].(string); !strings.HasPrefix(v, "3.1") {
		return nil, fmt.Errorf("openapi %v: this test expects 3.1 (JSON Schema 2020-12)", root["openapi"])
	}
	makeStrict(root)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(oasURL, root); err != nil {
		return nil, fmt.Errorf("add document: %w", err)
	}
	return &oasDoc{root: root, compiler: c, cache: map[string]*jsonschema.Schema{}}, nil
}

func stringKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = stringKeys(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = stringKeys(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = stringKeys(e)
		}
		return x
	}
	return v
}

// makeStrict forbids undeclared properties in every object schema that
// declares some and says nothing about others.
func makeStrict(v any) {
	switch x := v.(type) {
	case map[string]any:
		if props, ok := x["properties"].(map[string]any); ok && len(props) > 0 {
			_, ap := x["additionalProperties"]
			_, up := x["unevaluatedProperties"]
			if !ap && !up {
				x["unevaluatedProperties"] = false
			}
		}
		for k, e := range x {
			if k == "example" || k == "examples" {
				continue // data, not schema
			}
			makeStrict(e)
		}
	case []any:
		for _, e := range x {
			makeStrict(e)
		}
	}
}

func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// lookup follows a JSON pointer (without the leading '#').
func (o *oasDoc) lookup(ptr string) (any, bool) {
	var cur any = o.root
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// responsePointer finds the JSON schema of an operation's documented
// response, following a $ref'd response object such as the shared 429.
func (o *oasDoc) responsePointer(path, method string, status int) (string, bool) {
	ptr := "/paths/" + pointerEscape(path) + "/" + strings.ToLower(method) + "/responses/" + strconv.Itoa(status)
	v, ok := o.lookup(ptr)
	if !ok {
		return "", false
	}
	if ref, _ := v.(map[string]any)["$ref"].(string); strings.HasPrefix(ref, "#/") {
		ptr = strings.TrimPrefix(ref, "#")
	}
	ptr += "/content/application~1json/schema"
	if _, ok := o.lookup(ptr); !ok {
		return "", false
	}
	return ptr, true
}

func (o *oasDoc) schema(t *testing.T, ptr string) *jsonschema.Schema {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if s, ok := o.cache[ptr]; ok {
		return s
	}
	s, err := o.compiler.Compile(oasURL + "#" + ptr)
	if err != nil {
		t.Fatalf("compile %s: %v", ptr, err)
	}
	o.cache[ptr] = s
	return s
}

func (o *oasDoc) validate(t *testing.T, ptr string, body []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("body is not JSON: %w", err)
	}
	return o.schema(t, ptr).Validate(inst)
}

// Where Wise documents no body for a status localwise answers, the shape
// follows the closest documented one (wise-auth.md "Decisions").
var (
	oauthErrorSchema = "/paths/" + pointerEscape("/oauth/token") + "/post/responses/401/content/application~1json/schema"
	fieldErrorSchema = "/paths/" + pointerEscape("/v1/user/signup/registration_code") + "/post/responses/409/content/application~1json/schema"
	fallbacks        = map[int]string{
		http.StatusUnauthorized:        oauthErrorSchema, // invalid_token / unauthorized on API calls
		http.StatusForbidden:           oauthErrorSchema, // insufficient_scope
		http.StatusUnprocessableEntity: fieldErrorSchema, // signup validation
	}
)

// conform checks one response: its body against the documented schema (or
// the fallback), and the headers every Wise response carries.
func (o *oasDoc) conform(t *testing.T, name, path, method string, r result, correlation string) {
	t.Helper()
	ptr, ok := o.responsePointer(path, method, r.status)
	if !ok {
		if ptr, ok = fallbacks[r.status]; !ok {
			t.Errorf("%s: %s %s answered %d, which the document does not describe and this test has no fallback for", name, method, path, r.status)
			return
		}
	}
	if err := o.validate(t, ptr, r.body); err != nil {
		t.Errorf("%s: %s %s %d does not match %s:\n%v\nbody: %s", name, method, path, r.status, ptr, err, r.body)
	}
	if !traceID.MatchString(r.header.Get("x-trace-id")) {
		t.Errorf("%s: x-trace-id = %q", name, r.header.Get("x-trace-id"))
	}
	if got := r.header.Get("X-External-Correlation-Id"); got != correlation {
		t.Errorf("%s: X-External-Correlation-Id = %q, want %q", name, got, correlation)
	}
	if r.status == http.StatusTooManyRequests {
		if _, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil {
			t.Errorf("%s: Retry-After %q is not an integer", name, r.header.Get("Retry-After"))
		}
	}
}

func TestConformsToWiseOpenAPI(t *testing.T) {
	o := loadOAS(t)
	s, base := start(t, Config{})
	const corr = "0d9f3f6e-7d1c-4b5e-9a51-3c0ffee00001"

	// call sends a request with a correlation id and checks the answer.
	call := func(name, method, path string, req *http.Request) result {
		t.Helper()
		req.Header.Set("X-External-Correlation-Id", corr)
		r := do(t, req)
		o.conform(t, name, path, method, r, corr)
		return r
	}
	tokenCall := func(name, id, secret string, form url.Values) result {
		t.Helper()
		req := newRequest(t, http.MethodPost, base+"/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if id != "" {
			req.SetBasicAuth(id, secret)
		}
		return call(name, http.MethodPost, "/oauth/token", req)
	}
	api := func(name, method, path, target, tok string, body any) result {
		t.Helper()
		var rd *strings.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = strings.NewReader(string(b))
		} else {
			rd = strings.NewReader("")
		}
		req := newRequest(t, method, base+target, rd)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return call(name, method, path, req)
	}

	// Token endpoint: every grant, and the errors.
	cc := tokenCall("client_credentials", testClientID, testClientSecret, url.Values{"grant_type": {"client_credentials"}}).str("access_token")
	q := authorize(t, base, url.Values{"state": {"st"}})
	ac := tokenCall("authorization_code", testClientID, testClientSecret, url.Values{"grant_type": {"authorization_code"},
		"client_id": {testClientID}, "code": {q.Get("code")}, "redirect_uri": {testRedirect}})
	rt := tokenCall("refresh_token", testClientID, testClientSecret, url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {ac.str("refresh_token")}})
	code := strings.Repeat("k", 40)
	api("signup", http.MethodPost, "/v1/user/signup/registration_code", "/v1/user/signup/registration_code", cc,
		map[string]string{"email": "oas@example.test", "registrationCode": code})
	reg := tokenCall("registration_code", testClientID, testClientSecret, url.Values{"grant_type": {"registration_code"},
		"client_id": {testClientID}, "email": {"oas@example.test"}, "registration_code": {code}})
	for name, r := range map[string]result{"authorization_code": ac, "refresh_token": rt, "registration_code": reg} {
		if r.status != http.StatusOK {
			t.Fatalf("%s grant: %d %s", name, r.status, r.body)
		}
	}
	tokenCall("missing grant", testClientID, testClientSecret, url.Values{})
	if r := tokenCall("unsupported grant", testClientID, testClientSecret, url.Values{"grant_type": {"password"}}); r.status != http.StatusBadRequest || r.str("error") != "unsupported_grant_type" {
		t.Errorf("unsupported grant: %d %s", r.status, r.body)
	}
	tokenCall("invalid_client", testClientID, "wrong", url.Values{"grant_type": {"client_credentials"}})
	tokenCall("invalid_grant", testClientID, testClientSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {ac.str("refresh_token")}})
	s.SetFaults(Faults{RateLimit: 1, RetryAfter: 2})
	tokenCall("rate limited", testClientID, testClientSecret, url.Values{"grant_type": {"client_credentials"}})

	// User and profile endpoints, with every kind of token.
	for name, tok := range map[string]string{"personal": DemoPersonalToken, "user": rt.str("access_token"), "registered user": reg.str("access_token")} {
		api("/v1/me "+name, http.MethodGet, "/v1/me", "/v1/me", tok, nil)
		api("/v2/profiles "+name, http.MethodGet, "/v2/profiles", "/v2/profiles", tok, nil)
	}
	for _, id := range []int64{DemoPersonalProfileID, DemoBusinessProfileID} {
		api("profile", http.MethodGet, "/v2/profiles/{profileId}", "/v2/profiles/"+itoa(id), DemoPersonalToken, nil)
	}
	api("/v1/me bad token", http.MethodGet, "/v1/me", "/v1/me", "0badc0de", nil)
	api("/v1/me no token", http.MethodGet, "/v1/me", "/v1/me", "", nil)
	api("/v1/me client token", http.MethodGet, "/v1/me", "/v1/me", cc, nil)
	api("/v2/profiles bad token", http.MethodGet, "/v2/profiles", "/v2/profiles", "0badc0de", nil)
	s.SetFaults(Faults{RateLimit: 1})
	api("/v1/me rate limited", http.MethodGet, "/v1/me", "/v1/me", DemoPersonalToken, nil)

	// Registration.
	api("signup conflict", http.MethodPost, "/v1/user/signup/registration_code", "/v1/user/signup/registration_code", cc,
		map[string]string{"email": "oas@example.test", "registrationCode": code})
	api("signup short code", http.MethodPost, "/v1/user/signup/registration_code", "/v1/user/signup/registration_code", cc,
		map[string]string{"email": "oas2@example.test", "registrationCode": "short"})
	api("signup user token", http.MethodPost, "/v1/user/signup/registration_code", "/v1/user/signup/registration_code", DemoPersonalToken,
		map[string]string{"email": "oas3@example.test", "registrationCode": code})
	api("exists true", http.MethodPost, "/v1/users/exists", "/v1/users/exists", cc, map[string]string{"email": "oas@example.test"})
	api("exists false", http.MethodPost, "/v1/users/exists", "/v1/users/exists", cc, map[string]string{"email": "nobody@example.test"})

	// The same operations under Wise's quarterly version prefix.
	versionedToken := func(name, version string, form url.Values) result {
		t.Helper()
		req := newRequest(t, http.MethodPost, base+"/"+version+"/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(testClientID, testClientSecret)
		return call(name, http.MethodPost, "/oauth/token", req)
	}
	vcc := versionedToken("/2026Q3 client_credentials", "2026Q3", url.Values{"grant_type": {"client_credentials"}})
	versionedToken("/2026Q3 unsupported grant", "2026Q3", url.Values{"grant_type": {"password"}})
	versionedToken("/2026Q4 missing grant", "2026Q4", url.Values{})
	api("/2026Q3/v1/me", http.MethodGet, "/v1/me", "/2026Q3/v1/me", DemoPersonalToken, nil)
	api("/2026Q3/v2/profiles", http.MethodGet, "/v2/profiles", "/2026Q3/v2/profiles", DemoPersonalToken, nil)
	api("/2026Q3 profile", http.MethodGet, "/v2/profiles/{profileId}", "/2026Q3/v2/profiles/"+itoa(DemoBusinessProfileID), DemoPersonalToken, nil)
	api("/2026Q3 exists", http.MethodPost, "/v1/users/exists", "/2026Q3/v1/users/exists", vcc.str("access_token"), map[string]string{"email": "oas@example.test"})
}

// TestConformanceCatchesWrongShapes proves the validation is real: shapes
// that break Wise's document fail it.
func TestConformanceCatchesWrongShapes(t *testing.T) {
	o := loadOAS(t)
	tokenOK, _ := o.responsePointer("/oauth/token", http.MethodPost, 200)
	me, _ := o.responsePointer("/v1/me", http.MethodGet, 200)
	profiles, _ := o.responsePointer("/v2/profiles", http.MethodGet, 200)
	profile, _ := o.responsePointer("/v2/profiles/{profileId}", http.MethodGet, 200)
	exists, _ := o.responsePointer("/v1/users/exists", http.MethodPost, 200)
	limited, ok := o.responsePointer("/oauth/token", http.MethodPost, 429)
	tokenBad, _ := o.responsePointer("/oauth/token", http.MethodPost, 400)
	if !ok || tokenOK == "" || tokenBad == "" || me == "" || profiles == "" || profile == "" || exists == "" {
		t.Fatal("document lacks the expected responses")
	}
	if !strings.HasPrefix(limited, "/components/responses/429") {
		t.Errorf("429 pointer %s does not follow the $ref", limited)
	}
	good := []struct {
		ptr, body string
	}{
		{tokenOK, `{"access_token":"a","token_type":"bearer","expires_in":43199,"expires_at":"2025-04-11T03:43:28.148Z","scope":"transfers"}`},
		{me, `{"id":1,"name":null,"email":"a@b.test","active":true,"details":null}`},
		{profile, `{"type":"PERSONAL","id":1,"firstName":"A"}`},
		{exists, `{"exists":false}`},
		{tokenBad, `{"error":"unsupported_grant_type","error_description":"Unsupported grant type"}`},
	}
	for _, g := range good {
		if err := o.validate(t, g.ptr, []byte(g.body)); err != nil {
			t.Errorf("valid body %s rejected: %v", g.body, err)
		}
	}
	bad := []struct {
		name, ptr, body string
	}{
		{"expires_in as a string", tokenOK, `{"access_token":"a","token_type":"bearer","expires_in":"43199"}`},
		{"undocumented token field", tokenOK, `{"access_token":"a","expiresIn":43199}`},
		{"user id as a string", me, `{"id":"1","email":"a@b.test"}`},
		{"active as a string", me, `{"id":1,"active":"yes"}`},
		{"details as a string", me, `{"id":1,"details":"none"}`},
		{"unknown profile type", profile, `{"type":"ALIEN","id":1}`},
		{"business field on a personal profile", profile, `{"type":"PERSONAL","id":1,"businessName":"X"}`},
		{"profile without type", profile, `{"id":1}`},
		{"profiles not an array", profiles, `{"type":"PERSONAL","id":1}`},
		{"address id as a string", profile, `{"type":"PERSONAL","id":1,"address":{"id":"x"}}`},
		{"exists as a string", exists, `{"exists":"true"}`},
		{"oauth error code as a number", oauthErrorSchema, `{"error":401}`},
		{"unsupported grant with a numeric description", tokenBad, `{"error":"unsupported_grant_type","error_description":400}`},
		{"unsupported grant with an undocumented field", tokenBad, `{"error":"unsupported_grant_type","error_description":"x","grant_type":"password"}`},
		{"errors not an array", fieldErrorSchema, `{"errors":{"code":"NOT_UNIQUE"}}`},
		{"not JSON", me, `{`},
	}
	for _, b := range bad {
		if err := o.validate(t, b.ptr, []byte(b.body)); err == nil {
			t.Errorf("%s: %s passed validation against %s", b.name, b.body, b.ptr)
		}
	}

	// A real response, broken on purpose, fails too.
	_, base := start(t, Config{})
	r := bearer(t, http.MethodGet, base+"/v1/me", DemoPersonalToken, nil)
	if err := o.validate(t, me, r.body); err != nil {
		t.Fatalf("real /v1/me rejected: %v", err)
	}
	broken := bytes.Replace(r.body, []byte(`"active":true`), []byte(`"active":1`), 1)
	if bytes.Equal(broken, r.body) {
		t.Fatal("could not break the body")
	}
	if err := o.validate(t, me, broken); err == nil {
		t.Error("a /v1/me body with active:1 passed validation")
	}
}
