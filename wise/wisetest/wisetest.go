// Package wisetest is test support for the clients of Wise: a server that
// answers like a hostile Wise, and checks that what reached a user is
// printable. Only _test.go files import it (layering_test.go).
package wisetest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// OSC52 is the escape sequence that sets a terminal's clipboard: a server
// that gets it printed can plant a command for the user to paste.
const OSC52 = "\x1b]52;c;cm0gLXJmIH4K\x07"

// FirstUnsafe finds the first character a terminal would act on rather
// than show: C0/C1 controls (ESC, BEL, CSI) and format characters (bidi
// overrides), or invalid UTF-8.
func FirstUnsafe(s string) (rune, bool) {
	for i, r := range s {
		if r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return r, true
		}
	}
	return 0, false
}

// AssertPrintable fails the test when s, shown as where, holds a character
// a terminal would act on.
func AssertPrintable(t testing.TB, where, s string) {
	t.Helper()
	if r, bad := FirstUnsafe(s); bad {
		t.Errorf("%s holds %U", where, r)
	}
}

// MalformedClient is the client id for which HostileWise's token endpoint
// answers with a broken status line that quotes the client secret: Go's
// transport puts that line in its error text.
const MalformedClient = "malformed-answer"

// HostileWise answers like Wise, with escape sequences in every text it
// controls, and echoes the secrets it was sent, split by escapes so that
// a scrub before the clean-up would miss them, and whole in x-trace-id
// and in a malformed answer (MalformedClient).
func HostileWise(t testing.TB) *httptest.Server {
	evil := func(s string) string { return s + OSC52 + "\x1b[2J\u009b31m\u202e" + "\x00\r\nX-Injected: 1" }
	split := func(secret string) string { return secret[:6] + "\x1b[0m" + secret[6:] }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		// ESC or BEL in a header would make Go's client drop the answer;
		// a C1 control and a bidi override (UTF-8, bytes >= 0x80) pass.
		w.Header().Set("x-trace-id", "0123\u009b2J\u202e")
		switch r.URL.Path {
		case "/oauth/token":
			_ = r.ParseForm()
			id, secret, _ := r.BasicAuth()
			if id == MalformedClient {
				conn, buf, err := http.NewResponseController(w).Hijack()
				if err != nil {
					t.Errorf("hijacking the connection: %v", err)
					return
				}
				defer conn.Close()
				_, _ = buf.WriteString("HTTP/1.1/" + secret + "\r\n\r\n")
				_ = buf.Flush()
				return
			}
			w.Header().Set("x-trace-id", "0123\u009b2J\u202e"+secret)
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{
				"error":             evil("invalid_request " + split(secret)),
				"error_description": evil("bad request for "+split(secret)+" and "+split(r.PostForm.Get("refresh_token"))) + strings.Repeat("ü", 400),
			})
		case "/v1/me":
			if r.Header.Get("Authorization") != "Bearer good-token-0123456789" {
				w.WriteHeader(http.StatusUnauthorized)
				_ = json.NewEncoder(w).Encode(map[string]string{"error": evil("invalid_token"), "error_description": evil("token " + split(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")))})
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"id": 7, "name": evil("Mallory"), "email": evil("m@example.test")})
		case "/v2/profiles":
			_ = json.NewEncoder(w).Encode([]map[string]any{
				{"id": 1, "type": evil("PERSONAL"), "fullName": evil("Eve ") + strings.Repeat("x", 500)},
				{"id": 2, "type": "BUSINESS", "businessName": "Zoë & Søn ApS"},
			})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}
