package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
	"github.com/wisewallet/wisewallet/wallet"
)

// adminPost posts body to one of localwise's admin endpoints, over HTTP
// as an out-of-process test would.
func adminPost(t *testing.T, base, path, body string) {
	t.Helper()
	resp, err := http.Post(base+"/__localwise/"+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("localwise admin %s: HTTP %d", path, resp.StatusCode)
	}
}

// editEntry changes an entry in the wallet file as another process would.
func editEntry(t *testing.T, e *cliEnv, name string, edit func(*wallet.Entry)) {
	t.Helper()
	ctx := context.Background()
	w, err := wallet.Open(ctx, wallet.NewFileStore(e.dir), wallet.Unlocker{Passphrase: func() (crypto.Secret, error) { return crypto.SecretString(e.pass), nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Update(ctx, func(c *wallet.Contents) error {
		en, err := c.Get(name)
		if err != nil {
			return err
		}
		edit(&en)
		return c.Put(en)
	}); err != nil {
		t.Fatal(err)
	}
}

// auditRecords is `log --json`, parsed.
func auditRecords(t *testing.T, e *cliEnv, args ...string) []wallet.AuditRecord {
	t.Helper()
	r := e.run(call{args: append([]string{"log", "--json"}, args...), env: noPass})
	if r.code != 0 {
		t.Fatalf("%s", e.describe(r, "exit 0"))
	}
	var out []wallet.AuditRecord
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if l == "" {
			continue
		}
		var rec wallet.AuditRecord
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log --json: a line that is not a record (%v): %s", err, e.redact(l))
		}
		out = append(out, rec)
	}
	return out
}

// findRecord is the last record matching want's non-zero fields.
func findRecord(recs []wallet.AuditRecord, want wallet.AuditRecord) (wallet.AuditRecord, bool) {
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		if (want.Entry == "" || r.Entry == want.Entry) && (want.Command == "" || r.Command == want.Command) &&
			(want.Method == "" || r.Method == want.Method) && (want.Path == "" || r.Path == want.Path) &&
			(want.Status == 0 || r.Status == want.Status) && (want.Result == "" || r.Result == want.Result) {
			return r, true
		}
	}
	return wallet.AuditRecord{}, false
}

// TestAuditLogRecordsCallsRefreshesAndFailures: the commands' calls to
// Wise (a check, a refresh, a rejected token, a login refused) are each in
// audit.log with the entry, the command, the host and path, the status,
// the result and x-trace-id; the log is 0600 even under umask 000, holds
// none of the tokens or secrets, and `log` reads it without the
// passphrase.
func TestAuditLogRecordsCallsRefreshesAndFailures(t *testing.T) {
	t.Parallel()
	srv, base := lwtest.Start(t, localwise.Config{})
	host := strings.TrimPrefix(base, "http://")
	d := srv.Demo()
	e := newCLIEnv(t)
	patCanary, badCanary, secretCanary := "CANARY-PAT-"+randHex(t, 10), "CANARY-BAD-"+randHex(t, 10), "CANARY-SECRET-"+randHex(t, 10)
	e.secrets = append(e.secrets, patCanary, badCanary, secretCanary)
	srv.AddPersonalToken(patCanary)
	srv.RegisterClient(localwise.Client{ID: "canary-app", Secret: secretCanary, RedirectURLs: []string{d.RedirectURL}})
	e.init()

	// The first record makes the file: under umask 000, still 0600.
	r := e.run(call{args: []string{"add", "personal", "pat", "--env", "local", "--api-url", base, "--no-check=false"}, stdin: ptr(patCanary),
		env: map[string]string{umaskEnv: "000"}})
	e.expect(r, 0)
	info, err := os.Lstat(filepath.Join(e.dir, wallet.AuditFileName))
	if err != nil {
		t.Fatalf("no audit log after a checked add: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("audit.log has mode %#o, want 0600", info.Mode().Perm())
	}
	e.must("whoami", "pat")
	e.expect(e.run(call{args: []string{"add", "personal", "bad", "--env", "local", "--api-url", base}, stdin: ptr(badCanary)}), 0)
	e.expect(e.cmd("whoami", "bad", "--check"), exitRejected)
	e.expect(e.run(call{args: []string{"add", "client", "app", "--env", "local", "--api-url", base, "--client-id", "canary-app", "--redirect-url", d.RedirectURL, "--no-check=false"},
		stdin: ptr(secretCanary + "\n")}), 0)
	loginDemoUser(t, e, "app", "u1", d.PersonalProfileID)
	e.must("token", "u1", "--refresh")
	userTok := strings.TrimSpace(e.must("token", "u1").stdout)
	e.secrets = append(e.secrets, userTok)
	adminPost(t, base, "faults", `{"revoke_refresh_tokens":true}`)
	e.expect(e.cmd("token", "u1", "--refresh"), exitNeedsLogin)

	recs := auditRecords(t, e)
	for _, want := range []wallet.AuditRecord{
		{Entry: "pat", Command: "add personal", Method: "GET", Path: "/v1/me", Status: 200, Result: "ok"},
		{Entry: "pat", Command: "whoami", Method: "GET", Path: "/v2/profiles", Status: 200, Result: "ok"},
		{Entry: "bad", Command: "whoami", Method: "GET", Path: "/v1/me", Status: 401, Result: "rejected"},
		{Entry: "app", Command: "add client", Method: "POST", Path: "/oauth/token", Status: 200, Result: "ok"},
		{Entry: "u1", Command: "token", Method: "POST", Path: "/oauth/token", Status: 200, Result: "ok"},
		{Entry: "u1", Command: "token", Method: "POST", Path: "/oauth/token", Status: 401, Result: "invalid_grant"},
	} {
		got, ok := findRecord(recs, want)
		if !ok {
			t.Errorf("no record like %+v in the log:\n%+v", want, recs)
			continue
		}
		if got.Host != host || got.TraceID == "" || got.Time.IsZero() || time.Since(got.Time) > time.Minute {
			t.Errorf("record %+v: want host %s, a trace id and a time of this test", got, host)
		}
	}
	// `token` on a personal token asks Wise nothing: its one record is
	// the hand-out, with no call in it.
	n := len(recs)
	e.must("token", "pat")
	if recs = auditRecords(t, e); len(recs) != n+1 {
		t.Errorf("token of a personal token added %d records, want the hand-out alone", len(recs)-n)
	} else if h := recs[n]; h != (wallet.AuditRecord{Time: h.Time, Entry: "pat", Command: "token", Result: flows.ResultHandedOut, Secret: wallet.SecretAccessToken, To: "stdout"}) {
		t.Errorf("the hand-out of token pat: %+v", h)
	}
	// show hands out only what it reveals.
	e.must("show", "pat")
	e.must("show", "pat", "--reveal")
	if recs = auditRecords(t, e); len(recs) != n+2 {
		t.Errorf("show, then show --reveal, added %d records, want 1", len(recs)-n-1)
	} else if h := recs[n+1]; h != (wallet.AuditRecord{Time: h.Time, Entry: "pat", Command: "show", Result: flows.ResultHandedOut, Secret: wallet.SecretToken, To: "stdout"}) {
		t.Errorf("the hand-out of show pat --reveal: %+v", h)
	}

	data, err := os.ReadFile(filepath.Join(e.dir, wallet.AuditFileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{patCanary, badCanary, secretCanary, userTok, d.ClientSecret, e.pass} {
		if bytes.Contains(data, []byte(c)) {
			t.Errorf("a secret (%d bytes) is in audit.log", len(c))
		}
	}

	// The table, and --since, without the passphrase.
	table := e.run(call{args: []string{"log", "--since", "1h"}, env: noPass})
	e.expect(table, 0)
	for _, part := range []string{"TIME", "X-TRACE-ID", "u1", "POST " + host + "/oauth/token", "invalid_grant", "whoami", "access_token to stdout", "handed_out"} {
		if !strings.Contains(table.stdout, part) {
			t.Errorf("log lacks %q:\n%s", part, e.redact(table.stdout))
		}
	}
	if recs := auditRecords(t, e, "--since", time.Now().Add(time.Hour).Format("2006-01-02T15:04")); len(recs) != 0 {
		t.Errorf("--since an hour ahead: %d records", len(recs))
	}
	e.expect(e.cmd("log", "--since", "yesterday"), exitUsage, "--since")
}

// TestAuditLogWriteFailureIsSaidOnceAndTheCommandGoesOn: a log that cannot
// be written is said once on stderr, however many calls the command makes,
// and the command still succeeds.
func TestAuditLogWriteFailureIsSaidOnceAndTheCommandGoesOn(t *testing.T) {
	t.Parallel()
	srv, base := lwtest.Start(t, localwise.Config{})
	e := newCLIEnv(t)
	e.init()
	e.expect(e.run(call{args: []string{"add", "personal", "pat", "--env", "local", "--api-url", base, "--no-check=false"}, stdin: ptr(srv.Demo().PersonalToken)}), 0)
	log := filepath.Join(e.dir, wallet.AuditFileName)
	if err := os.Chmod(log, 0o644); err != nil {
		t.Fatal(err)
	}
	r := e.cmd("whoami", "pat") // two calls: /v1/me and /v2/profiles
	e.expect(r, 0, "audit log")
	if n := strings.Count(r.stderr, "audit log"); n != 1 {
		t.Errorf("the failure was said %d times:\n%s", n, r.stderr)
	}
	if !strings.Contains(r.stdout, srv.Demo().UserEmail) {
		t.Errorf("whoami printed no identity:\n%s", r.stdout)
	}
	e.expect(e.cmd("log"), exitError, "chmod")
}

// TestWhoamiCheckTellsValidRejectedAndLoginNeededApart runs whoami --check
// against localwise over HTTP: 0 valid, 7 rejected by Wise (a personal
// token it does not know, a client secret it refuses), 5 when the refresh
// token was refused, 1 when Wise fails; never anything on stdout.
func TestWhoamiCheckTellsValidRejectedAndLoginNeededApart(t *testing.T) {
	t.Parallel()
	srv, base := lwtest.Start(t, localwise.Config{})
	d := srv.Demo()
	e := newCLIEnv(t)
	badTok, badSecret := "CANARY-BADTOK-"+randHex(t, 10), "CANARY-BADSECRET-"+randHex(t, 10)
	e.secrets = append(e.secrets, badTok, badSecret)
	e.init()
	e.expect(e.run(call{args: []string{"add", "personal", "pat", "--env", "local", "--api-url", base, "--no-check=false"}, stdin: ptr(d.PersonalToken)}), 0)
	e.expect(e.run(call{args: []string{"add", "personal", "bad", "--env", "local", "--api-url", base}, stdin: ptr(badTok)}), 0)
	e.expect(e.run(call{args: []string{"add", "client", "app", "--env", "local", "--api-url", base, "--client-id", d.ClientID, "--redirect-url", d.RedirectURL, "--no-check=false"},
		stdin: ptr(d.ClientSecret + "\n")}), 0)
	e.expect(e.run(call{args: []string{"add", "client", "wrong", "--env", "local", "--api-url", base, "--client-id", d.ClientID, "--no-check"},
		stdin: ptr(badSecret + "\n")}), 0)
	loginDemoUser(t, e, "app", "u1", d.PersonalProfileID)

	check := func(name string, code int, parts ...string) {
		t.Helper()
		r := e.cmd("whoami", name, "--check")
		e.expect(r, code, parts...)
		if r.stdout != "" {
			t.Errorf("whoami %s --check printed on stdout: %s", name, e.redact(r.stdout))
		}
		if code == 0 && r.stderr != "" {
			t.Errorf("whoami %s --check: valid, yet stderr: %s", name, e.redact(r.stderr))
		}
		for _, s := range []string{badTok, badSecret, d.PersonalToken, d.ClientSecret} {
			if strings.Contains(r.stderr, s) {
				t.Errorf("whoami %s --check: a secret on stderr", name)
			}
		}
	}
	check("pat", exitOK)
	check("u1", exitOK)
	check("app", exitOK)
	check("bad", exitRejected, "x-trace-id")
	check("wrong", exitRejected)
	adminPost(t, base, "faults", `{"fail_5xx":10}`)
	check("pat", exitError, "x-trace-id")
	adminPost(t, base, "faults", `{"fail_5xx":0}`)
	// A user whose access token Wise rejects and whose refresh token it
	// refuses: login needed again.
	adminPost(t, base, "faults", `{"revoke_refresh_tokens":true}`)
	editEntry(t, e, "u1", func(en *wallet.Entry) {
		en.SetSecret(wallet.SecretAccessToken, crypto.SecretString("spoiled-"+randHex(t, 8)))
	})
	check("u1", exitNeedsLogin, "login")
	// A client's cached token says nothing of its secret now: with the
	// cached token kept and the secret changed, Wise is asked and refuses.
	editEntry(t, e, "app", func(en *wallet.Entry) { en.SetSecret(wallet.SecretClientSecret, crypto.SecretString(badSecret)) })
	check("app", exitRejected)
	srv.Close()
	check("pat", exitError)
	e.expect(e.cmd("whoami", "pat", "--check", "--json"), exitUsage)
}

// TestStatusCheckExitsDueAndNamesEachThing runs status --check: nothing
// due is exit 0 with nothing printed; a refresh token ending within the
// window, a secret older than its rotation policy and a login needed are
// each a line on stderr, exit 8; an access token about to expire (it
// renews itself) never is; no secret is printed.
func TestStatusCheckExitsDueAndNamesEachThing(t *testing.T) {
	t.Parallel()
	// Access tokens that expire within a minute, refresh tokens in 3 days.
	srv, base := lwtest.Start(t, localwise.Config{TokenTTL: 50 * time.Second, RefreshTTL: 72 * time.Hour})
	d := srv.Demo()
	e := newCLIEnv(t)
	e.init()
	e.expect(e.run(call{args: []string{"add", "personal", "pat", "--env", "local", "--api-url", base, "--no-check=false"}, stdin: ptr(d.PersonalToken)}), 0)
	e.expect(e.run(call{args: []string{"add", "client", "app", "--env", "local", "--api-url", base, "--client-id", d.ClientID, "--redirect-url", d.RedirectURL, "--no-check=false"},
		stdin: ptr(d.ClientSecret + "\n")}), 0)
	quiet := func(args ...string) {
		t.Helper()
		r := e.cmd(args...)
		e.expect(r, 0)
		if r.stdout != "" || r.stderr != "" {
			t.Errorf("wisewallet %s: nothing due, yet it printed:\n%s%s", strings.Join(args, " "), r.stdout, r.stderr)
		}
	}
	// The client's cached token expires within a minute: not due.
	quiet("status", "--check")

	loginDemoUser(t, e, "app", "u1", d.PersonalProfileID)
	quiet("status", "--check", "--within", "2d")
	r := e.cmd("status", "--check")
	e.expect(r, exitDue, "due: u1: refresh token ends in", "1 thing is due within 7d")
	if strings.Contains(r.stderr, "access token") || strings.Contains(r.stderr, "app") {
		t.Errorf("an access token that renews itself is named as due:\n%s", r.stderr)
	}

	old := time.Now().Add(-100 * 24 * time.Hour).UTC()
	editEntry(t, e, "pat", func(en *wallet.Entry) { en.SecretCreatedAt = &old })
	r = e.run(call{args: []string{"status", "--check", "--within", "1d", "--json"}})
	e.expect(r, exitDue, "due: pat: secret over 90 days old", "1 thing is due within 1d")
	var due []flows.Due
	if err := json.Unmarshal([]byte(r.stdout), &due); err != nil || len(due) != 1 || due[0].Entry != "pat" || due[0].What != "secret age" {
		t.Errorf("status --check --json: %v %+v\n%s", err, due, r.stdout)
	}

	adminPost(t, base, "faults", `{"revoke_refresh_tokens":true}`)
	e.expect(e.cmd("token", "u1", "--refresh"), exitNeedsLogin)
	r = e.cmd("status", "--check", "--within", "36h")
	e.expect(r, exitDue, "due: pat: secret", "due: u1: needs a login again", "2 things are due within 36h")
	if lines := strings.Count(r.stderr, "\n"); lines != 3 {
		t.Errorf("want one line per due thing and the summary, got %d lines:\n%s", lines, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, d.PersonalToken) || strings.Contains(r.stdout+r.stderr, d.ClientSecret) {
		t.Error("status --check printed a secret")
	}
	e.expect(e.cmd("status", "--within", "7d"), exitUsage, "--check")
	e.expect(e.cmd("status", "--check", "--within", "soon"), exitUsage, "--within")
}

func TestParseSpanAndSince(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "36h": 36 * time.Hour, "1d12h": 36 * time.Hour, "90m": 90 * time.Minute, "0d": 0} {
		if got, err := parseSpan(in); err != nil || got != want {
			t.Errorf("parseSpan(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "7", "7days", "x7d", "1w"} {
		if _, err := parseSpan(in); err == nil {
			t.Errorf("parseSpan(%q) accepted", in)
		}
	}
	if got, err := parseSince("36h", now); err != nil || !got.Equal(now.Add(-36*time.Hour)) {
		t.Errorf("since 36h: %v %v", got, err)
	}
	if got, err := parseSince("2026-12-01T09:30:00Z", now); err != nil || !got.Equal(time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)) {
		t.Errorf("since RFC 3339: %v %v", got, err)
	}
	if got, err := parseSince("2026-12-01", now); err != nil || !got.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.Local)) {
		t.Errorf("since a date: %v %v", got, err)
	}
	if _, err := parseSince("-3h", now); err == nil {
		t.Error("a negative span accepted")
	}
}

// TestAuditLogKeepsEveryRecordOfConcurrentCommands: commands running at
// once each append their records to the one audit.log; none is lost and
// every line is a whole record.
func TestAuditLogKeepsEveryRecordOfConcurrentCommands(t *testing.T) {
	t.Parallel()
	srv, base := lwtest.Start(t, localwise.Config{})
	e := newCLIEnv(t)
	e.init()
	e.expect(e.run(call{args: []string{"add", "personal", "pat", "--env", "local", "--api-url", base, "--no-check=false"}, stdin: ptr(srv.Demo().PersonalToken)}), 0)
	before := len(auditRecords(t, e))
	const n = 6
	codes := make(chan int, n)
	for i := 0; i < n; i++ {
		go func() { codes <- e.cmd("whoami", "pat", "--check").code }()
	}
	for i := 0; i < n; i++ {
		if c := <-codes; c != 0 {
			t.Fatalf("a concurrent whoami --check exited %d", c)
		}
	}
	data, err := os.ReadFile(filepath.Join(e.dir, wallet.AuditFileName))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for i, l := range lines {
		var rec wallet.AuditRecord
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("line %d is not a whole record: %v", i+1, err)
		}
	}
	if got, want := len(lines), before+2*n; got != want { // /v1/me and /v2/profiles each
		t.Errorf("%d records after %d concurrent whoami, want %d", got, n, want)
	}
}
