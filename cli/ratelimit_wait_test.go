package cli

import (
	"strings"
	"testing"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
)

// Issue 13: when Wise answers 429 the command waited without a word; it
// says on one stderr line how long it waits and why.
func TestRateLimitWaitIsSaidOnStderr(t *testing.T) {
	t.Parallel()
	srv, base := lwtest.Start(t, localwise.Config{})
	e := newCLIEnv(t)
	e.init()
	srv.SetFaults(localwise.Faults{RateLimit: 1, RetryAfter: 1})
	r := e.run(call{args: []string{"add", "personal", "good", "--env", "local", "--api-url", base, "--no-check=false"}, stdin: ptr(srv.Demo().PersonalToken)})
	e.expect(r, 0, srv.Demo().UserEmail)
	var waits []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.Contains(l, "waiting") {
			waits = append(waits, l)
		}
	}
	if len(waits) != 1 {
		t.Fatalf("want one line about the wait on stderr, got %d:\n%s", len(waits), r.stderr)
	}
	for _, want := range []string{"429", "rate", "1s", "Retry-After"} {
		if !strings.Contains(waits[0], want) {
			t.Errorf("the wait line does not say %q: %s", want, waits[0])
		}
	}
	if strings.Contains(r.stdout, "waiting") {
		t.Errorf("the wait is on stdout: %s", r.stdout)
	}
}
