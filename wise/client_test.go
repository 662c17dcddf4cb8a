package wise

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"

	"github.com/wisewallet/wisewallet/wise/wisetest"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows/localwise"
)

// recordWaits makes c record its retry delays instead of sleeping them.
func recordWaits(c *Client) *[]time.Duration {
	var waits []time.Duration
	c.Sleep = func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}
	return &waits
}

func TestServerErrorsAreRetriedWithBackoff(t *testing.T) {
	t.Parallel()
	srv, base := lwtest.Start(t, localwise.Config{})
	c := NewClient(base, nil)
	waits := recordWaits(c)
	ctx := context.Background()
	secret := crypto.SecretString(localwise.DemoClientSecret)

	srv.SetFaults(localwise.Faults{Fail5xx: 2})
	if _, err := c.ClientCredentials(ctx, localwise.DemoClientID, secret, time.Now()); err != nil {
		t.Fatalf("two 500s then success: %v", err)
	}
	if !slices.Equal(*waits, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}) {
		t.Errorf("backoff %v, want 250ms then 500ms", *waits)
	}
	if st := srv.Stats(); st.Injected5xx != 2 || st.ClientCredentialsRequests != 1 {
		t.Errorf("stats %+v: want 2 injected 500s and 1 token request", st)
	}

	*waits = nil
	srv.SetFaults(localwise.Faults{Fail5xx: 10})
	_, err := c.ClientCredentials(ctx, localwise.DemoClientID, secret, time.Now())
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("ten 500s: %v, want ErrUnavailable", err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusInternalServerError || !strings.Contains(err.Error(), "x-trace-id "+ae.TraceID) || ae.TraceID == "" {
		t.Errorf("the error does not carry the last answer's x-trace-id: %v", err)
	}
	if len(*waits) != 3 || srv.Stats().Injected5xx != 6 {
		t.Errorf("%d retries (%d injected 500s in all); want 3 retries and then give up", len(*waits), srv.Stats().Injected5xx)
	}
	srv.SetFaults(localwise.Faults{})

	// 429: Retry-After wins over the backoff, capped so a hostile or
	// broken answer cannot park the command for hours.
	for _, tc := range []struct {
		retryAfter int
		want       time.Duration
	}{{7, 7 * time.Second}, {3600, MaxRetryAfter}} {
		*waits = nil
		srv.SetFaults(localwise.Faults{RateLimit: 1, RetryAfter: tc.retryAfter})
		if _, err := c.ClientCredentials(ctx, localwise.DemoClientID, secret, time.Now()); err != nil {
			t.Fatalf("429 then success: %v", err)
		}
		if !slices.Equal(*waits, []time.Duration{tc.want}) {
			t.Errorf("Retry-After %d: waited %v, want [%s]", tc.retryAfter, *waits, tc.want)
		}
	}
	srv.SetFaults(localwise.Faults{RateLimit: 10})
	if _, err := c.ClientCredentials(ctx, localwise.DemoClientID, secret, time.Now()); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "HTTP 429") {
		t.Errorf("persistent 429: %v, want ErrUnavailable mentioning HTTP 429", err)
	}
}

// assertNoSecret fails when any secret occurs in text. It never prints the
// text or the secret: a leak must not be repeated into the test log.
func assertNoSecret(t testing.TB, where, text string, secrets ...string) {
	t.Helper()
	for i, s := range secrets {
		if s == "" {
			t.Fatalf("%s: secret #%d is empty; the check would prove nothing", where, i)
		}
		if j := strings.Index(text, s); j >= 0 {
			t.Errorf("%s: secret #%d appears at byte %d of %d", where, i, j, len(text))
		}
	}
}

// canary returns a unique, recognisable secret value.
func canary(kind string) string {
	return "CANARY-" + kind + "-" + fmt.Sprintf("%x", crypto.RandomBytes(12))
}

func TestErrorTextFromTheServerIsMadeSafeToPrint(t *testing.T) {
	t.Parallel()
	srv := wisetest.HostileWise(t)
	ctx := context.Background()
	secret, refresh := canary("client-secret"), canary("refresh-token")

	// Error answers: code, description and trace id.
	api := NewClient(srv.URL, nil)
	_, err := api.Refresh(ctx, "app", crypto.SecretString(secret), crypto.SecretString(refresh), time.Now())
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("Refresh against the hostile server: %v, want an *APIError", err)
	}
	for where, text := range map[string]string{"Code": ae.Code, "Description": ae.Description, "TraceID": ae.TraceID, "Error()": err.Error()} {
		wisetest.AssertPrintable(t, where, text)
		assertNoSecret(t, where, text, secret, refresh)
	}
	if !strings.HasPrefix(ae.Code, "invalid_request [redacted]") || len(ae.Code) > maxErrorCode+len("…") {
		t.Errorf("Code %q: want the code, the echoed secret redacted, at most %d bytes", ae.Code, maxErrorCode)
	}
	if !strings.Contains(ae.Description, "bad request for [redacted] and [redacted]") || !strings.HasSuffix(ae.Description, "…") ||
		len(ae.Description) > maxErrorText+len("…") || !utf8.ValidString(ae.Description) {
		t.Errorf("Description: want the text with secrets redacted, cut at a character boundary to %d bytes", maxErrorText)
	}
	if strings.Contains(ae.Description, "\n") || !strings.Contains(ae.Description, "  X-Injected: 1") {
		t.Error("line breaks in the description should become spaces")
	}

	// Go's text of a malformed answer quotes it, and with it the secret.
	api.Sleep = func(context.Context, time.Duration) error { return nil } // it is retried as a lost answer
	_, err = api.Refresh(ctx, wisetest.MalformedClient, crypto.SecretString(secret), crypto.SecretString(refresh), time.Now())
	if err == nil || !strings.Contains(err.Error(), "malformed HTTP response") {
		t.Fatalf("Refresh answered with a broken status line: %v, want Go's malformed-answer error", err)
	}
	wisetest.AssertPrintable(t, "malformed answer Error()", err.Error())
	assertNoSecret(t, "malformed answer Error()", err.Error(), secret, refresh)

	// Identity text is stored in the wallet and printed by list, show,
	// whoami and the dashboard.
	id, err := api.Identify(ctx, crypto.SecretString("good-token-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	wisetest.AssertPrintable(t, "user name and email", id.Name+id.Email)
	if !strings.HasPrefix(id.Name, "Mallory") || !strings.HasPrefix(id.Email, "m@example.test") || len(id.Profiles) != 2 {
		t.Fatalf("identity: %q %q, %d profiles", id.Name, id.Email, len(id.Profiles))
	}
	for _, p := range id.Profiles {
		wisetest.AssertPrintable(t, "profile type", p.Type)
		wisetest.AssertPrintable(t, "profile name", p.Name)
		if len(p.Name) > maxNameText+len("…") {
			t.Errorf("profile name of %d bytes", len(p.Name))
		}
	}
	// Letters outside ASCII are names, not escapes: they stay.
	if id.Profiles[1].Name != "Zoë & Søn ApS" {
		t.Errorf("business name %q, want it unchanged", id.Profiles[1].Name)
	}
}

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                                      "plain",
		"a\x1b[31mred\x1b[0m":                        "ared",
		"clip" + wisetest.OSC52 + "board":            "clipboard",
		"osc ended by ST \x1b]0;title\x1b\\ ok":      "osc ended by ST  ok",
		"c1 \u009b2J csi":                            "c1  csi",
		"c1 osc \u009d0;t\u009c ok":                  "c1 osc  ok",
		"unterminated \x1b]52;c;ZXZpbA== to the end": "unterminated ",
		"esc ( B charset \x1b(Bok":                   "esc ( B charset ok",
		"lone esc at the end \x1b":                   "lone esc at the end ",
		"two\r\nlines\ttab":                          "two  lines tab",
		"bidi \u202eevil\u202c":                      "bidi evil",
		"bad utf8 \xff\xfe here":                     "bad utf8  here",
		"Zoë Ørsted 渡辺 \uFFFD":                       "Zoë Ørsted 渡辺 \uFFFD",
		"nul\x00byte and \x7f del":                   "nulbyte and  del",
	} {
		if got := CleanText(in, 100); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := CleanText(strings.Repeat("é", 10), 5); got != "éé…" {
		t.Errorf("cut inside a character: %q", got)
	}
}

// FuzzTokenResponse feeds arbitrary JSON where Wise's token answer goes.
// Decoding and tokens() must never panic, and a positive expires_in must
// never give an expiry in the past, whatever expires_at says (a client
// clock hours off Wise's must not see every token as expired).
func FuzzTokenResponse(f *testing.F) {
	for _, s := range []string{
		`{"access_token":"a","token_type":"bearer","refresh_token":"r","expires_in":43199,"expires_at":"2025-04-11T03:43:28.148Z","refresh_token_expires_in":628639555,"refresh_token_expires_at":"2045-04-11T03:43:28.148Z","scope":"transfers","created_at":"2023-12-06T18:28:14.206824830Z"}`,
		`{"access_token":"a","token_type":"bearer","expires_in":43199,"scope":"transfers"}`,
		`{"access_token":"a","expires_in":-1}`,
		`{"access_token":"a","expires_in":9223372036854775807,"refresh_token":"r","refresh_token_expires_in":9223372036854775807}`,
		`{"access_token":"a","expires_at":"1970-01-01T00:00:00Z"}`,
		// 18446744074 s overflows time.Duration to 0.29 s.
		`{"access_token":"a","expires_in":18446744074}`,
		`{"access_token":"","expires_in":5}`,
		`{"access_token":"a","expires_in":1,"expires_at":"not a date"}`,
		`[]`, `null`, `{"expires_in":"12"}`,
	} {
		f.Add([]byte(s), int64(1_760_000_000))
	}
	f.Fuzz(func(t *testing.T, data []byte, unix int64) {
		var r tokenResponse
		if json.Unmarshal(data, &r) != nil {
			return
		}
		// Any instant from 1970 to 2200, as the clock a client may have.
		now := time.Unix(unix%(230*365*24*3600), 0).UTC()
		if now.Before(time.Unix(0, 0)) {
			now = time.Unix(0, 0).UTC()
		}
		tk, err := r.tokens(now)
		if err != nil {
			if r.AccessToken != "" {
				t.Fatalf("tokens() rejected an answer with an access token: %v", err)
			}
			return
		}
		if tk.ExpiresAt.IsZero() {
			t.Fatal("no access token expiry")
		}
		if r.ExpiresIn > 0 {
			if tk.ExpiresAt.Before(now) {
				t.Fatalf("expires_in %d gave an expiry %s before now %s", r.ExpiresIn, tk.ExpiresAt, now)
			}
			// Exactly expires_in from now, capped, never wrapped around.
			want := now.Add(time.Duration(min(r.ExpiresIn, int64(maxTokenLifetime/time.Second))) * time.Second)
			if !tk.ExpiresAt.Equal(want) {
				t.Fatalf("expires_in %d gave expiry %s, want %s", r.ExpiresIn, tk.ExpiresAt, want)
			}
		}
		if r.RefreshTokenExpiresIn > 0 && r.RefreshToken != "" && (tk.RefreshExpiresAt == nil || tk.RefreshExpiresAt.Before(now)) {
			t.Fatalf("refresh_token_expires_in %d gave refresh expiry %v before now %s", r.RefreshTokenExpiresIn, tk.RefreshExpiresAt, now)
		}
		if !tk.IssuedAt.Equal(now) {
			t.Fatalf("IssuedAt %s, want now %s", tk.IssuedAt, now)
		}
	})
}
