package wise

// A hostile server echoes the secrets it was sent in the forms an exact
// match misses (issue 12): in x-trace-id, in base64 (the Basic header is
// base64 of "id:secret"; a token encoded on its own), in upper case, and
// broken up by inserted characters and line breaks. None may reach an
// error's text.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wise/wisetest"
)

// echoForms turn what a request sent into what the hostile server echoes.
// basic is the Authorization header's value after "Basic ".
var echoForms = map[string]func(secret, basic string) string{
	"as sent":             func(s, _ string) string { return s },
	"upper case":          func(s, _ string) string { return strings.ToUpper(s) },
	"lower case":          func(s, _ string) string { return strings.ToLower(s) },
	"Basic header":        func(_, b string) string { return "Basic " + b },
	"Basic header, upper": func(_, b string) string { return strings.ToUpper("basic " + b) },
	"Basic, base64url raw": func(_, b string) string {
		return strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(b), "=")
	},
	"base64 std":          func(s, _ string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
	"base64 raw std":      func(s, _ string) string { return base64.RawStdEncoding.EncodeToString([]byte(s)) },
	"base64url":           func(s, _ string) string { return base64.URLEncoding.EncodeToString([]byte(s)) },
	"base64url raw":       func(s, _ string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) },
	"base64, upper":       func(s, _ string) string { return strings.ToUpper(base64.StdEncoding.EncodeToString([]byte(s))) },
	"base64 inside text":  func(s, _ string) string { return base64.StdEncoding.EncodeToString([]byte("token=" + s + "; ok")) },
	"base64 wrapped":      func(s, _ string) string { return every(base64.StdEncoding.EncodeToString([]byte("x"+s)), 8, "\r\n") },
	"split by newlines":   func(s, _ string) string { return every(s, 5, "\n") },
	"split by spaces":     func(s, _ string) string { return every(s, 3, " ") },
	"split by dots":       func(s, _ string) string { return every(s, 1, ".") },
	"split by non-ASCII":  func(s, _ string) string { return every(s, 4, "ü") },
	"split by zero-width": func(s, _ string) string { return every(s, 2, "\u200b") },
	"upper, split":        func(s, _ string) string { return every(strings.ToUpper(s), 6, "\n") },
	"query-escaped":       func(s, _ string) string { return url.QueryEscape(s) },
	"path-escaped":        func(s, _ string) string { return url.PathEscape(s) },
}

// flatten keeps the ASCII letters and digits of s, lowered (written apart
// from the scrub's own, so the test does not check the code with itself).
func flatten(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// every inserts sep after every n bytes of s.
func every(s string, n int, sep string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += n {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(s[i:min(i+n, len(s))])
	}
	return b.String()
}

// echoingWise answers every token request and every /v1/me with 4xx,
// echoing what was sent in the form the client id (or the token's prefix
// before ".") names, in the description and in x-trace-id.
func echoingWise(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var form string
		var echoed []string
		basic := strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
		switch r.URL.Path {
		case "/oauth/token":
			_ = r.ParseForm()
			id, secret, _ := r.BasicAuth()
			form = id
			echoed = []string{secret, r.PostForm.Get("refresh_token")}
		case "/v1/me":
			tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			form, _, _ = strings.Cut(tok, ".")
			echoed = []string{tok}
		}
		echo := echoForms[form]
		if echo == nil {
			http.NotFound(w, r)
			return
		}
		var parts []string
		for _, s := range echoed {
			parts = append(parts, echo(s, basic))
		}
		// A header cannot hold a line break; Go would make it a space.
		w.Header().Set("x-trace-id", strings.NewReplacer("\r", "", "\n", " ").Replace(echo(echoed[0], basic)))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": "you sent " + strings.Join(parts, " and ")})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// assertNoEcho fails when text holds secret in any of the forms above, or
// its letters and digits in order through anything but letters and digits.
func assertNoEcho(t *testing.T, where, text, id string, secrets ...string) {
	t.Helper()
	flat := flatten(text)
	for _, s := range secrets {
		basic := base64.StdEncoding.EncodeToString([]byte(id + ":" + s))
		for name, echo := range echoForms {
			e := CleanText(echo(s, basic), maxResponse)
			if strings.Contains(text, e) {
				t.Errorf("%s holds the secret as %s", where, name)
			}
			if sk := flatten(e); len(sk) >= 8 && strings.Contains(flat, sk) {
				t.Errorf("%s holds the letters of the secret as %s", where, name)
			}
		}
	}
}

func TestScrubFindsSecretsEchoedInOtherForms(t *testing.T) {
	t.Parallel()
	srv := echoingWise(t)
	ctx := context.Background()
	for form := range echoForms {
		t.Run(form, func(t *testing.T) {
			t.Parallel()
			api := NewClient(srv.URL, nil)
			// A "+" and a "/" in the secret, so percent- and url-base64
			// forms differ from the plain ones.
			secret, refresh := canary("client-secret")+"+/x", canary("refresh-token")
			_, err := api.Refresh(ctx, form, crypto.SecretString(secret), crypto.SecretString(refresh), time.Now())
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest {
				t.Fatalf("Refresh against the echoing server: %v, want its 400", err)
			}
			for where, text := range map[string]string{"Description": ae.Description, "TraceID": ae.TraceID, "Error()": err.Error()} {
				wisetest.AssertPrintable(t, where, text)
				assertNoSecret(t, where, text, secret, refresh)
				assertNoEcho(t, where, text, form, secret, refresh)
			}
			if !strings.HasPrefix(ae.Description, "you sent ") || strings.Count(ae.Description, "[redacted]") != 2 || !strings.Contains(ae.TraceID, "[redacted]") {
				t.Errorf("Description %q, TraceID %q: want the echo redacted, the rest kept", ae.Description, ae.TraceID)
			}

			token := form + "." + canary("access-token")
			_, err = api.Identify(ctx, crypto.SecretString(token))
			if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest {
				t.Fatalf("Identify against the echoing server: %v, want its 400", err)
			}
			for where, text := range map[string]string{"Description": ae.Description, "TraceID": ae.TraceID, "Error()": err.Error()} {
				assertNoSecret(t, where, text, token)
				assertNoEcho(t, where, text, "", token)
			}
		})
	}
}

// The loose match must not blank out ordinary text: a server's message
// without the secret comes through whole.
func TestScrubKeepsTextWithoutTheSecret(t *testing.T) {
	r := request{basicID: "app", basicPW: crypto.SecretString("CANARY-client-secret-0f1e2d3c4b5a6978"), bearer: crypto.SecretString("tok-0123456789abcdef")}
	for _, s := range []string{
		"invalid_client: Bad client credentials (x-trace-id fba501b6d453b96789f52338f019341f)",
		"Basic YXBwOndyb25n is not a valid header", // base64 of "app:wrong"
		"client secret CANARY-client-secret-0f1e2d3c4b5a697 is one short",
		"",
	} {
		if got := r.scrub(s, maxErrorText); got != s {
			t.Errorf("scrub(%q) = %q, want it unchanged", s, got)
		}
	}
	// Short secrets are matched exactly only, ignoring case.
	short := request{basicPW: crypto.SecretString("Ab1-")}
	if got := short.scrub("x AB1- y a.b.1 z", 100); got != "x [redacted] y a.b.1 z" {
		t.Errorf("short secret: %q", got)
	}
}
