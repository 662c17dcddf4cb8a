package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
)

// canariesThroughExecAndRequest is TestCanariesNeverLeak's part for exec
// and request: personal tokens and a client secret that are canaries
// (localwise takes them), used, refused and refused before any call. No
// canary may be in wisewallet's output, argv or files, nor in the argv
// the child was given (its report, a file under the rig's root, holds
// its argv and environment with the token as a hash, which must be the
// canary's: the child did get it).
func canariesThroughExecAndRequest(t *testing.T, ran *coverage) {
	t.Parallel()
	r := newCanaryRig(t, ran)
	defer r.noFileHoldsACanary()
	srv, base := lwtest.Start(t, localwise.Config{SCAMode: localwise.SCANever})
	srv.AddPersonalToken(r.tok1.value)
	srv.RegisterClient(localwise.Client{ID: "canary-client", Secret: r.clientSecret.value})
	r.check(0, call{args: cheapInit}, nil)
	r.add(0, "p1", r.tok1.value, "--env", "local", "--api-url", base, "--no-check=false")
	r.add(0, "p2", r.badTok.value, "--env", "local", "--api-url", base) // a token localwise does not know
	r.add(0, "t2", r.tok2.value, "--env", "production")
	r.check(0, call{args: []string{"add", "client", "c1", "--env", "local", "--api-url", base, "--client-id", "canary-client"},
		stdin: ptr(r.clientSecret.value + "\n")}, nil)
	cc := r.tokenCanary("c1", "CCTOKEN")

	child := func(name, path string, tok canary) {
		t.Helper()
		out := filepath.Join(r.e.root, name+"-child.json")
		r.check(0, call{args: []string{"exec", name, "--", testBinary(t), "report", out, path}, env: map[string]string{childModeEnv: "1"}}, nil)
		rep := readReport(t, out)
		if rep.TokenHash != hashOf(tok.value) || rep.Status != 200 {
			t.Errorf("exec %s: the child did not get the token Wise takes (%d)", name, rep.Status)
		}
		for _, x := range r.all {
			if strings.Contains(strings.Join(rep.Argv, " "), x.mark) {
				t.Errorf("exec %s: canary %s in the child's argv", name, x.name)
			}
		}
	}
	child("p1", "/v1/me", r.tok1)
	child("c1", clientPath, cc)
	r.check(3, call{args: []string{"exec", "p1", "--", "sh", "-c", "exit 3"}}, nil)
	r.check(127, call{args: []string{"exec", "p1", "--", "no-such-command-here"}}, nil)
	r.check(exitUsage, call{args: []string{"exec", "p1", "true"}}, nil)
	r.check(exitError, call{args: []string{"exec", "nope", "--", "true"}}, nil)

	r.check(0, call{args: []string{"request", "p1", "GET", "/v1/me"}}, nil)
	r.check(0, call{args: []string{"request", "p1", "GET", "/v1/me", "--include"}}, nil)
	r.check(0, call{args: []string{"request", "c1", "GET", clientPath, "--json"}}, nil)
	// Refused by Wise: the token that was sent is not in the error.
	r.check(exitHTTP, call{args: []string{"request", "p2", "GET", "/v1/me"}}, nil)
	r.check(exitHTTP, call{args: []string{"request", "c1", "GET", "/v1/me"}}, nil)
	payload := newCanary(t, "PAYLOAD")
	r.all = append(r.all, payload)
	r.e.secrets = append(r.e.secrets, payload.value)
	r.check(exitHTTP, call{args: []string{"request", "p1", "POST", "/v1/no-such-thing", "--data", "-"}, stdin: ptr(payload.value)}, nil)
	// Refused before anything is sent.
	r.check(exitUsage, call{args: []string{"request", "t2", "POST", "/v1/profiles/1/quotes", "--data", "{}"}}, nil)
	r.check(exitUsage, call{args: []string{"request", "p1", "GET", "/v1/me", "--header", "Authorization: Bearer x"}}, nil)
	r.check(exitError, call{args: []string{"request", "nope", "GET", "/v1/me"}}, nil)
}
