package cli

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
)

// traceIDs and stamps differ from one answer to the next.
var traceIDs = regexp.MustCompile(`x-trace-id[: ]+[0-9a-zA-Z-]+|\d{4}-\d\d-\d\dT[0-9:.]+Z`)

// The scripting commands decide their exit codes from what went wrong
// (request: Wise's HTTP error 22, an SCA challenge not cleared 6; whoami
// --check: a rejected token 7; exec: the child's code). Through the agent
// the error comes from another process: every case answers exactly as it
// does in-process, apart from Wise's trace ids. After the agent starts the
// passphrase in the environment is wrong, so only the agent can answer.
func TestScriptingCommandsAnswerTheSameThroughTheAgent(t *testing.T) {
	t.Parallel()
	srv, base := lwtest.Start(t, localwise.Config{SCAMode: localwise.SCAAlways})
	e := newCLIEnv(t)
	agentRuntime(t, e)
	e.init()
	d := srv.Demo()
	e.secrets = append(e.secrets, d.ClientSecret)
	e.expect(e.run(call{args: []string{"add", "client", "c1", "--env", "local", "--api-url", base, "--client-id", d.ClientID,
		"--redirect-url", d.RedirectURL}, stdin: ptr(d.ClientSecret + "\n")}), 0)
	r := &scaRig{t: t, e: e, srv: srv, api: base, d: d}
	r.login("u1")
	r.setPIN("2468")
	unknown := "not-a-token-" + randHex(t, 6)
	e.secrets = append(e.secrets, unknown)
	e.expect(e.run(call{args: []string{"add", "personal", "p1", "--env", "local", "--api-url", base, "--no-check"}, stdin: ptr(unknown + "\n")}), 0)
	pay := r.payment()

	cases := []struct {
		name   string
		c      call
		code   int
		before func()
	}{
		{"request answered 404", call{args: []string{"request", "u1", "GET", "/v1/no-such-thing"}}, exitHTTP, nil},
		{"request challenged, no terminal", call{args: []string{"request", "u1", pay.method, pay.path, "--data", string(pay.body)}}, exitSCA, nil},
		{"whoami --check rejected", call{args: []string{"whoami", "p1", "--check"}}, exitRejected, nil},
		{"whoami --check valid", call{args: []string{"whoami", "u1", "--check"}}, exitOK, nil},
		{"exec's child code", call{args: []string{"exec", "u1", "--", "sh", "-c", `test -n "$WISE_API_TOKEN" && exit 3`}}, 3, nil},
		{"token of no entry", call{args: []string{"token", "nosuch"}}, exitError, nil},
		// The wait is said on the command's stderr, whichever process waits.
		{"request waits out a 429", call{args: []string{"request", "u1", "GET", "/v1/me"}}, exitOK,
			func() { srv.SetFaults(localwise.Faults{RateLimit: 1, RetryAfter: 1}) }},
	}
	alone := make([]result, len(cases))
	logged := auditCalls(t, e)
	for i, tc := range cases {
		tc.c.env = map[string]string{"WISEWALLET_AGENT": "none"}
		if tc.before != nil {
			tc.before()
		}
		alone[i] = e.run(tc.c)
		if alone[i].code != tc.code {
			t.Errorf("%s without the agent: %s", tc.name, e.describe(alone[i], "its code"))
		}
	}
	e.must("agent", "start")
	e.pass = "wrong-" + e.pass
	loggedAlone := auditCalls(t, e)[len(logged):]
	for i, tc := range cases {
		if tc.before != nil {
			tc.before()
		}
		got := e.run(tc.c)
		want := alone[i]
		if got.code != want.code || traceIDs.ReplaceAllString(got.stdout, "") != traceIDs.ReplaceAllString(want.stdout, "") || traceIDs.ReplaceAllString(got.stderr, "") != traceIDs.ReplaceAllString(want.stderr, "") {
			t.Errorf("%s through the agent: exit %d\nstdout %q\nstderr %q\nwithout it: exit %d\nstdout %q\nstderr %q",
				tc.name, got.code, got.stdout, got.stderr, want.code, want.stdout, want.stderr)
		}
	}
	// The agent keeps the audit log as the commands would have.
	if loggedAgent := auditCalls(t, e)[len(logged)+len(loggedAlone):]; !slices.Equal(loggedAgent, loggedAlone) {
		t.Errorf("the audit log through the agent:\n%s\nwithout it:\n%s", strings.Join(loggedAgent, "\n"), strings.Join(loggedAlone, "\n"))
	}
	// On a terminal the challenge is answered here, the PIN travelling to
	// the agent's use case over the socket: the statement comes back.
	st := r.statement()
	ts := r.onTerminal("request", "u1", st.method, st.path)
	ts.expect("Choose 1-4 (Enter for 1): ")
	ts.typeLine("1")
	ts.expect("PIN (4 digits, hidden): ")
	ts.typeHidden("2468")
	ts.expect("PIN: passed.")
	if code := ts.exit(); code != 0 {
		t.Fatalf("request through the agent on a terminal: exit %d\n%s\n%s", code, ts.text(), ts.stderr)
	}
	ts.noLeak("2468")
	if n := r.executed(st); n != 1 {
		t.Errorf("the statement ran %d times through the agent", n)
	}
}

// auditCalls is the audit log, a line a record, without what differs
// between two runs of the same calls (time, duration, trace id).
func auditCalls(t *testing.T, e *cliEnv) []string {
	t.Helper()
	var out []string
	for _, r := range auditRecords(t, e) {
		out = append(out, fmt.Sprintf("%s %s %s %s%s %d %s %s %s", r.Entry, r.Command, r.Method, r.Host, r.Path, r.Status, r.Result, r.Secret, r.To))
	}
	return out
}
