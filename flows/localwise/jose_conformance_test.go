package localwise

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestJOSEConformsToWiseOpenAPI validates localwise's JOSE answers against
// Wise's OpenAPI document, as TestConformsToWiseOpenAPI does for the rest:
// the key endpoints' JSON against their schemas; a playground's 200 against
// its application/jose+json response, with the serialization (JWS or JWE)
// and the protected header's members of Wise's own example answer; the
// refusals against the bodies Wise documents for them (jwsjwe's 400
// jws_error and 500 examples, which the other playgrounds share) or the
// fallbacks of the other conformance test.
func TestJOSEConformsToWiseOpenAPI(t *testing.T) {
	o := loadOAS(t)
	j := setupJOSE(t, Config{})
	c := j.c
	const corr = "0d9f3f6e-7d1c-4b5e-9a51-3c0ffee00009"

	// The test's upload body is Wise's request shape.
	upload := map[string]any{
		"keyId": newUUID(), "scope": scopeSigning, "validFrom": "2026-03-14 00:00:00", "validTill": "2027-03-14 00:00:00",
		"publicKeyMaterial": map[string]any{"algorithm": "ES384", "keyMaterial": derB64(t, &ecKey("ES384").PublicKey)},
	}
	reqPtr := "/paths/" + pointerEscape(joseRequestKeysPath) + "/post/requestBody/content/application~1json/schema"
	b, _ := json.Marshal(upload)
	if err := o.validate(t, reqPtr, b); err != nil {
		t.Fatalf("the test's upload body is not Wise's shape: %v", err)
	}

	send := func(method, target string, body []byte, headers map[string]string) result {
		t.Helper()
		req := newRequest(t, method, j.base+target, strings.NewReader(string(body)))
		if body == nil {
			req.Body = http.NoBody
		}
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		req.Header.Set("X-External-Correlation-Id", corr)
		return do(t, req)
	}
	api := func(name, method, target string, tok string, body any) {
		t.Helper()
		var b []byte
		h := map[string]string{}
		if body != nil {
			b, _ = json.Marshal(body)
			h["Content-Type"] = "application/json"
		}
		if tok != "" {
			h["Authorization"] = "Bearer " + tok
		}
		path, _, _ := strings.Cut(target, "?")
		r := send(method, target, b, h)
		switch r.status {
		case http.StatusBadRequest, http.StatusConflict:
			// Undocumented for these paths: the field-error shape of
			// Wise's validation answers (signup's 409).
			if err := o.validate(t, fieldErrorSchema, r.body); err != nil {
				t.Errorf("%s: %d %s: %v", name, r.status, r.body, err)
			}
			if r.header.Get(correlationHeader) != corr || !traceID.MatchString(r.header.Get("x-trace-id")) {
				t.Errorf("%s: headers %v", name, r.header)
			}
		default:
			o.conform(t, name, strings.TrimPrefix(path, "/2026Q3"), method, r, corr)
		}
	}
	keys := joseResponseKeysPath + "?scope=PAYLOAD_SIGNING&algorithm=ES512"
	api("signing key", http.MethodGet, keys, c.token, nil)
	api("signing key v1", http.MethodGet, keys+"&version=1", c.token, nil)
	api("encryption key", http.MethodGet, joseResponseKeysPath+"?scope=PAYLOAD_ENCRYPTION&algorithm=RSA_OAEP_256", c.token, nil)
	api("/2026Q3 signing key", http.MethodGet, "/2026Q3"+keys, c.token, nil)
	api("key without scope", http.MethodGet, joseResponseKeysPath+"?algorithm=ES512", c.token, nil)
	api("key user token", http.MethodGet, keys, DemoPersonalToken, nil)
	api("key no token", http.MethodGet, keys, "", nil)
	j.s.SetFaults(Faults{RateLimit: 1})
	api("key rate limited", http.MethodGet, keys, c.token, nil)
	api("upload", http.MethodPost, joseRequestKeysPath, c.token, upload)
	api("upload duplicate", http.MethodPost, joseRequestKeysPath, c.token, upload)
	upload["keyId"], upload["validFrom"] = newUUID(), "yesterday"
	api("upload invalid", http.MethodPost, joseRequestKeysPath, c.token, upload)
	api("upload user token", http.MethodPost, joseRequestKeysPath, DemoPersonalToken, upload)

	wise, wiseSig := c.encryptionKey(0), c.signingKey(0)
	jwe := func(path string, m []byte) []byte {
		return []byte(encryptCompact(t, wise, map[string]any{"alg": jweAlg, "enc": jweEnc, "url": path}, nil, m))
	}
	jws := func(path string, m []byte) []byte {
		return []byte(signCompact(t, jwsHeader("ES256", sigKID, path), ecKey("ES256"), m))
	}
	play := func(name, method, path string, joseMethod string, body []byte) result {
		t.Helper()
		h := map[string]string{"Accept": joseMediaType, "X-TW-JOSE-Method": joseMethod, "Authorization": "Bearer " + c.token}
		if body != nil {
			h["Content-Type"] = joseMediaType
		}
		r := send(method, path, body, h)
		o.joseConform(t, name, strings.TrimPrefix(path, "/2026Q3"), method, r, corr)
		return r
	}
	play("jws", http.MethodPost, pathJWS, "jws", jws(pathJWS, message("oas")))
	play("/2026Q3 jws", http.MethodPost, "/2026Q3"+pathJWS, "jws", jws("/2026Q3"+pathJWS, message("oas")))
	play("jwe POST", http.MethodPost, pathJWE, "jwe", jwe(pathJWE, message("oas")))
	play("jwe GET", http.MethodGet, pathJWE, "jwe", nil)
	direct, cek := directRequest(t, wise, pathDirect, message("oas"))
	r := play("jwe-direct-encryption", http.MethodPost, pathDirect, "jwe", []byte(direct))
	if _, p := openCompact(t, nil, cek, string(r.body)); !strings.Contains(string(p), "jose-playground-response-oas") {
		t.Errorf("direct answer %s", p)
	}
	nested := encryptCompact(t, wise, map[string]any{"alg": jweAlg, "enc": jweEnc}, nil, jws(pathJWSJWE, message("oas")))
	r = play("jwsjwe", http.MethodPost, pathJWSJWE, "jws+jwe", []byte(nested))
	_, inner := openCompact(t, joseRSA(0), nil, string(r.body))
	verifyES512(t, wiseSig, string(inner))

	play("jws bad signature", http.MethodPost, pathJWS, "jws", jws(pathJWE, message("oas")))
	play("jwsjwe bad signature", http.MethodPost, pathJWSJWE, "jws+jwe", []byte(encryptCompact(t, wise, map[string]any{"alg": jweAlg, "enc": jweEnc}, nil, jws(pathJWS, message("x")))))
	for _, p := range []string{pathJWE, pathDirect, pathJWSJWE} {
		play(p+" not decryptable", http.MethodPost, p, map[string]string{pathJWE: "jwe", pathDirect: "jwe", pathJWSJWE: "jws+jwe"}[p],
			[]byte(encryptCompact(t, &joseRSA(3).PublicKey, map[string]any{"alg": jweAlg, "enc": jweEnc}, nil, message("x"))))
	}
	play("jws long message", http.MethodPost, pathJWS, "jws", jws(pathJWS, message(strings.Repeat("m", 101))))
	play("jwe long message", http.MethodPost, pathJWE, "jwe", jwe(pathJWE, message(strings.Repeat("m", 101))))
	j.s.SetFaults(Faults{RateLimit: 1, RetryAfter: 2})
	play("jws rate limited", http.MethodPost, pathJWS, "jws", jws(pathJWS, message("oas")))
	j.s.SetFaults(Faults{RateLimit: 1})
	play("jwe GET rate limited", http.MethodGet, pathJWE, "jwe", nil)

	// Wise's own examples keep the shapes this test compares against.
	for _, p := range []string{pathJWS, pathJWE, pathDirect, pathJWSJWE} {
		if _, ok := o.lookup("/paths/" + pointerEscape(p)); !ok {
			t.Errorf("%s is not in Wise's document any more", p)
		}
	}
}

// joseConform checks one playground answer and its diagnostic headers.
func (o *oasDoc) joseConform(t *testing.T, name, path, method string, r result, correlation string) {
	t.Helper()
	if !traceID.MatchString(r.header.Get("x-trace-id")) {
		t.Errorf("%s: x-trace-id = %q", name, r.header.Get("x-trace-id"))
	}
	if got := r.header.Get(correlationHeader); got != correlation {
		t.Errorf("%s: X-External-Correlation-Id = %q, want %q", name, got, correlation)
	}
	if r.status == http.StatusTooManyRequests {
		o.conform(t, name, path, method, r, correlation)
		return
	}
	for _, err := range o.joseCheck(t, path, method, r) {
		t.Errorf("%s: %s %s %d: %v", name, method, path, r.status, err)
	}
}

// joseCheck is what is wrong with a playground answer. A 200 must be a
// token of the documented media type, of the serialization of Wise's
// example answer and with its protected header's members. A refusal must
// be Wise's documented body for it (examples only, on jwsjwe, which the
// other playgrounds share) or the shape of a fallback.
func (o *oasDoc) joseCheck(t *testing.T, path, method string, r result) []error {
	t.Helper()
	var errs []error
	op := "/paths/" + pointerEscape(path) + "/" + strings.ToLower(method) + "/responses/"
	if r.status == http.StatusOK {
		media := op + "200/content/application~1jose+json"
		if err := o.validate(t, media+"/schema", mustJSON(string(r.body))); err != nil {
			errs = append(errs, fmt.Errorf("does not match %s: %w", media, err))
		}
		if ct := r.header.Get("Content-Type"); ct != joseMediaType {
			errs = append(errs, fmt.Errorf("Content-Type %q", ct))
		}
		ex, _ := o.lookup(media + "/example")
		example, _ := ex.(string)
		if example == "" {
			return append(errs, fmt.Errorf("the document has no example answer at %s", media))
		}
		if got, want := strings.Count(string(r.body), "."), strings.Count(example, "."); got != want {
			errs = append(errs, fmt.Errorf("the answer has %d parts, Wise's example %d", got+1, want+1))
		} else if got, want := headerMembers(string(r.body)), headerMembers(example); !slices.Equal(got, want) {
			errs = append(errs, fmt.Errorf("the answer's header has %v, Wise's example %v", got, want))
		}
		return errs
	}
	documented := "/paths/" + pointerEscape(josePlaygroundPrefix+"jwsjwe") + "/post/responses/"
	var example string
	switch r.status {
	case http.StatusBadRequest:
		var body map[string]any
		_ = json.Unmarshal(r.body, &body)
		if body["error"] == "jws_error" {
			example = documented + "400/content/application~1json/examples/jwsError/value"
			if err := o.validate(t, oauthErrorSchema, r.body); err != nil {
				errs = append(errs, err)
			}
		} else if err := o.validate(t, fieldErrorSchema, r.body); err != nil {
			errs = append(errs, fmt.Errorf("matches neither jws_error nor the field-error shape: %w", err))
		}
	case http.StatusInternalServerError:
		example = documented + "500/content/application~1json/examples/unexpectedError/value"
	case http.StatusUnprocessableEntity, http.StatusUnauthorized, http.StatusForbidden:
		if err := o.validate(t, fallbacks[r.status], r.body); err != nil {
			errs = append(errs, fmt.Errorf("does not match %s: %w", fallbacks[r.status], err))
		}
	default:
		errs = append(errs, errors.New("a status neither the document nor this test describes"))
	}
	if example == "" {
		return errs
	}
	v, ok := o.lookup(example)
	if !ok {
		return append(errs, fmt.Errorf("the document has no %s", example))
	}
	if err := sameShape(v, r.body); err != nil {
		errs = append(errs, fmt.Errorf("%s is not the shape of Wise's example %v: %w", r.body, v, err))
	}
	return errs
}

// TestJOSEConformanceCatchesWrongShapes proves the checks are real: an
// answer off Wise's document in any of the ways compared fails them.
func TestJOSEConformanceCatchesWrongShapes(t *testing.T) {
	o := loadOAS(t)
	hdr := func(h map[string]any) string { return encodeHeader(h) }
	jose := http.Header{"Content-Type": {joseMediaType}}
	jsonH := http.Header{"Content-Type": {"application/json"}}
	good := []struct {
		path string
		r    result
	}{
		{pathJWS, result{status: 200, header: jose, body: []byte(hdr(map[string]any{"alg": "ES512", "version": 1}) + ".e30.c2ln")}},
		{pathJWE, result{status: 200, header: jose, body: []byte(hdr(map[string]any{"alg": jweAlg, "enc": jweEnc, "kid": "k"}) + ".a.b.c.d")}},
		{pathDirect, result{status: 200, header: jose, body: []byte(hdr(map[string]any{"alg": "dir", "enc": jweEnc}) + "..b.c.d")}},
		{pathJWS, result{status: 400, header: jsonH, body: []byte(`{"error":"jws_error","error_description":"Unable to verify the request signature"}`)}},
		{pathJWE, result{status: 500, header: jsonH, body: []byte(`{"message":"An unexpected error occurred","request_id":"c29beb2374156c390c06fb583e99c999"}`)}},
	}
	for _, g := range good {
		if errs := o.joseCheck(t, g.path, http.MethodPost, g.r); len(errs) > 0 {
			t.Errorf("%s %d %s refused: %v", g.path, g.r.status, g.r.body, errs)
		}
	}
	bad := []struct {
		name, path string
		r          result
	}{
		{"JWS answer with a kid", pathJWS, result{status: 200, header: jose, body: []byte(hdr(map[string]any{"alg": "ES512", "version": 1, "kid": "k"}) + ".e30.c2ln")}},
		{"JWS answer without version", pathJWS, result{status: 200, header: jose, body: []byte(hdr(map[string]any{"alg": "ES512"}) + ".e30.c2ln")}},
		{"JWE answer without kid", pathJWE, result{status: 200, header: jose, body: []byte(hdr(map[string]any{"alg": jweAlg, "enc": jweEnc}) + ".a.b.c.d")}},
		{"JWS where a JWE is documented", pathJWE, result{status: 200, header: jose, body: []byte(hdr(map[string]any{"alg": "ES512", "version": 1}) + ".e30.c2ln")}},
		{"direct answer with a kid", pathDirect, result{status: 200, header: jose, body: []byte(hdr(map[string]any{"alg": "dir", "enc": jweEnc, "kid": "k"}) + "..b.c.d")}},
		{"JSON content type", pathJWS, result{status: 200, header: jsonH, body: []byte(hdr(map[string]any{"alg": "ES512", "version": 1}) + ".e30.c2ln")}},
		{"jws_error with a numeric description", pathJWS, result{status: 400, header: jsonH, body: []byte(`{"error":"jws_error","error_description":1}`)}},
		{"jws_error with an extra member", pathJWSJWE, result{status: 400, header: jsonH, body: []byte(`{"error":"jws_error","error_description":"x","kid":"k"}`)}},
		{"500 with an extra member", pathJWE, result{status: 500, header: jsonH, body: []byte(`{"message":"x","request_id":"y","reason":"z"}`)}},
		{"500 in Spring's shape", pathJWE, result{status: 500, header: jsonH, body: []byte(`{"timestamp":"t","status":500,"error":"e","message":"m","path":"p"}`)}},
		{"400 of another shape", pathJWS, result{status: 400, header: jsonH, body: []byte(`{"message":"bad"}`)}},
		{"an undocumented status", pathJWS, result{status: 418, header: jsonH, body: []byte(`{}`)}},
	}
	for _, b := range bad {
		if errs := o.joseCheck(t, b.path, http.MethodPost, b.r); len(errs) == 0 {
			t.Errorf("%s passed", b.name)
		}
	}
	keyOK, _ := o.responsePointer(joseResponseKeysPath, http.MethodGet, 200)
	uploaded, _ := o.responsePointer(joseRequestKeysPath, http.MethodPost, 201)
	for name, c := range map[string]struct{ ptr, body string }{
		"version as a string":     {keyOK, `{"version":"1","keyMaterial":{"algorithm":"ES512","keyMaterial":"x"},"scope":"PAYLOAD_SIGNING"}`},
		"unknown scope":           {keyOK, `{"version":1,"scope":"SIGNING"}`},
		"kid for keyId":           {keyOK, `{"kid":"k","version":1}`},
		"header spelling of alg":  {keyOK, `{"version":1,"keyMaterial":{"algorithm":"RSA-OAEP-256","keyMaterial":"x"}}`},
		"clientId as a number":    {uploaded, `{"clientId":1,"keyId":"k"}`},
		"undocumented upload key": {uploaded, `{"keyId":"k","active":true}`},
	} {
		if err := o.validate(t, c.ptr, []byte(c.body)); err == nil {
			t.Errorf("%s: %s passed", name, c.body)
		}
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// headerMembers are the sorted member names of a compact token's
// protected header.
func headerMembers(token string) []string {
	seg, _, _ := strings.Cut(token, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(seg)
	var h map[string]any
	if json.Unmarshal(raw, &h) != nil {
		return nil
	}
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// sameShape reports whether body is a JSON object with exactly the
// members of example, each of the same JSON type.
func sameShape(example any, body []byte) error {
	ex, ok := example.(map[string]any)
	if !ok {
		return fmt.Errorf("the example is not an object")
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		return err
	}
	if len(got) != len(ex) {
		return fmt.Errorf("%d members, the example has %d", len(got), len(ex))
	}
	for k, v := range ex {
		g, ok := got[k]
		if !ok {
			return fmt.Errorf("no %q", k)
		}
		if fmt.Sprintf("%T", g) != fmt.Sprintf("%T", normalizeNumber(v)) {
			return fmt.Errorf("%q is %T, the example's is %T", k, g, v)
		}
	}
	return nil
}

// normalizeNumber maps the document's json.Number to float64, as
// encoding/json decodes numbers into any.
func normalizeNumber(v any) any {
	if _, ok := v.(json.Number); ok {
		return 0.0
	}
	return v
}
