package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
)

// showJSON is `show NAME --json` as a map.
func showJSON(t *testing.T, e *cliEnv, name string) map[string]any {
	t.Helper()
	r := e.must("show", name, "--json")
	var m map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		t.Fatalf("show --json: %v\n%s", err, e.redact(r.stdout))
	}
	return m
}

// `edit` changes a client's redirect URL in place and refuses one Wise
// could not redirect to, or an entry of another kind, without reading the
// secret it was given (issue 13: an edit instead of rm + add).
func TestEditChangesTheRedirectURLInPlace(t *testing.T) {
	t.Parallel()
	srv, base := lwtest.Start(t, localwise.Config{})
	e := newCLIEnv(t)
	e.init()
	addDemoClient(t, e, srv, base)
	e.expect(e.cmd("login", "c1", "--as", "bob", "--registration-code", "--email", "bob.edit@localwise.test"), 0, "Logged in")

	e.expect(e.cmd("edit", "c1", "--redirect-url", "http://127.0.0.1:9/elsewhere"), 0, "redirect URL", "c1")
	if got := showJSON(t, e, "c1")["redirect_url"]; got != "http://127.0.0.1:9/elsewhere" {
		t.Fatalf("after edit, redirect_url = %v", got)
	}
	// The user logged in through the client is still there and linked.
	if got := showJSON(t, e, "bob")["linked_to"]; got != "c1" {
		t.Fatalf("after editing its client, bob is linked to %v", got)
	}

	e.expect(e.cmd("edit", "c1", "--redirect-url", "ftp://example.com/cb"), exitUsage, "redirect")
	if got := showJSON(t, e, "c1")["redirect_url"]; got != "http://127.0.0.1:9/elsewhere" {
		t.Fatalf("a refused redirect URL changed it to %v", got)
	}
	e.expect(e.cmd("edit", "c1"), exitUsage, "--redirect-url", "--client-secret", "--token")

	// A personal token cannot take a client secret: refused before the
	// piped secret is read, and the secret is not echoed in the error.
	canary := "canary-secret-" + randHex(t, 6)
	e.secrets = append(e.secrets, canary)
	e.add("p1", localwise.DemoPersonalToken)
	r := e.run(call{args: []string{"edit", "p1", "--client-secret"}, stdin: ptr(canary + "\n")})
	e.expect(r, exitUsage, "p1", "personal", "client")
	if strings.Contains(r.stderr+r.stdout, canary) {
		t.Fatal("the refused edit printed the secret it was given")
	}
}

// A rotated client secret is checked with Wise before it is stored: a
// wrong one changes nothing, the right one replaces the secret, restarts
// its rotation age and works for the next token.
func TestEditRotatesTheClientSecretCheckedWithWise(t *testing.T) {
	t.Parallel()
	srv, base := lwtest.Start(t, localwise.Config{})
	d := srv.Demo()
	e := newCLIEnv(t)
	e.init()
	// Stored with a secret Wise no longer accepts, as after a rotation in
	// Developer Hub.
	old := "old-secret-" + randHex(t, 6)
	e.secrets = append(e.secrets, old, d.ClientSecret)
	e.expect(e.run(call{args: []string{"add", "client", "c1", "--env", "local", "--api-url", base, "--client-id", d.ClientID, "--redirect-url", d.RedirectURL, "--no-check"},
		stdin: ptr(old + "\n")}), 0)
	e.expect(e.cmd("token", "c1"), 1)
	before := showJSON(t, e, "c1")["secret_created_at"]

	wrong := "wrong-secret-" + randHex(t, 6)
	e.secrets = append(e.secrets, wrong)
	r := e.run(call{args: []string{"edit", "c1", "--client-secret"}, stdin: ptr(wrong + "\n")})
	e.expect(r, 1, "not stored")
	if r := e.must("show", "c1", "--reveal"); !strings.Contains(r.stdout, old) {
		t.Fatalf("a refused new secret replaced the old one")
	}

	// Dates are kept to the second: let one pass, so a restart shows.
	for start := time.Now().Truncate(time.Second); !time.Now().Truncate(time.Second).After(start); {
		time.Sleep(20 * time.Millisecond)
	}
	e.expect(e.run(call{args: []string{"rotate", "c1", "--client-secret"}, stdin: ptr(d.ClientSecret + "\n")}), 0, "client secret", "Wise accepted")
	if r := e.must("show", "c1", "--reveal"); !strings.Contains(r.stdout, d.ClientSecret) {
		t.Fatalf("the accepted new secret was not stored")
	}
	if after := showJSON(t, e, "c1")["secret_created_at"]; after == before || after == nil {
		t.Fatalf("secret_created_at did not restart: before %v, after %v", before, after)
	}
	e.must("token", "c1")
}

// A personal token replaced in place: checked with Wise (a token it
// rejects is not stored), the entry keeps its name and its linked SCA key.
func TestEditReplacesAPersonalToken(t *testing.T) {
	t.Parallel()
	srv, base := lwtest.Start(t, localwise.Config{})
	e := newCLIEnv(t)
	e.init()
	first := "first-token-" + randHex(t, 6)
	second := "second-token-" + randHex(t, 6)
	srv.AddPersonalToken(first)
	srv.AddPersonalToken(second)
	e.secrets = append(e.secrets, first, second)
	e.expect(e.run(call{args: []string{"add", "personal", "p1", "--env", "local", "--api-url", base}, stdin: ptr(first + "\n")}), 0)

	bogus := "bogus-token-" + randHex(t, 6)
	e.secrets = append(e.secrets, bogus)
	e.expect(e.run(call{args: []string{"edit", "p1", "--token"}, stdin: ptr(bogus + "\n")}), 1, "not stored")
	if r := e.must("token", "p1"); strings.TrimSpace(r.stdout) != first {
		t.Fatal("a token Wise rejected replaced the stored one")
	}
	r := e.run(call{args: []string{"edit", "p1", "--token", "--json"}, stdin: ptr(second + "\n")})
	e.expect(r, 0)
	var ed struct {
		Changed []string `json:"changed"`
		Checked bool     `json:"checked"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &ed); err != nil || !ed.Checked || len(ed.Changed) != 1 || ed.Changed[0] != "token" {
		t.Fatalf("edit --json: %v %+v\n%s", err, ed, e.redact(r.stdout))
	}
	if strings.Contains(r.stdout, second) {
		t.Fatal("edit --json printed the new token")
	}
	if r := e.must("token", "p1"); strings.TrimSpace(r.stdout) != second {
		t.Fatal("the new token was not stored")
	}
	// A client's redirect URL is not a personal token's.
	e.expect(e.cmd("edit", "p1", "--redirect-url", "https://example.com/cb"), exitUsage, "OAuth client")
}
