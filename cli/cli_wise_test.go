package cli

import (
	"strings"
	"testing"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
)

// TestAddPersonalChecksTokenWithWise runs `add personal` against a real
// localwise: a token Wise accepts is stored with its user and profiles; a
// token Wise rejects is not stored, and the error says why without
// repeating the token.
func TestAddPersonalChecksTokenWithWise(t *testing.T) {
	t.Parallel()
	srv, base := lwtest.Start(t, localwise.Config{})
	e := newCLIEnv(t)
	e.init()

	good := srv.Demo().PersonalToken
	r := e.run(call{args: []string{"add", "personal", "good", "--env", "local", "--api-url", base, "--no-check=false"}, stdin: ptr(good)})
	e.expect(r, 0, srv.Demo().UserEmail)
	show := e.must("show", "good", "--json").stdout
	if !strings.Contains(show, srv.Demo().UserEmail) || !strings.Contains(show, `"profiles"`) {
		t.Fatalf("the stored entry lacks the user or profiles:\n%s", show)
	}

	bad := "CANARY-" + randHex(t, 8)
	r = e.run(call{args: []string{"add", "personal", "bad", "--env", "local", "--api-url", base, "--no-check=false"}, stdin: ptr(bad)})
	e.expect(r, exitError, "not stored", "x-trace-id")
	if strings.Contains(r.stdout+r.stderr, bad) {
		t.Fatal("the rejected token appears in the output")
	}
	if names := e.names(); len(names) != 1 || names[0] != "good" {
		t.Fatalf("entries after a rejected token: %v, want [good]", names)
	}

	// Wise unreachable: a clear error, nothing stored.
	srv.Close()
	r = e.run(call{args: []string{"add", "personal", "offline", "--env", "local", "--api-url", base, "--no-check=false"}, stdin: ptr(good)})
	e.expect(r, exitError, "not stored")
	if names := e.names(); len(names) != 1 {
		t.Fatalf("entries after a failed check: %v", names)
	}
}
