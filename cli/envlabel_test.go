package cli

import "testing"

// Issue 13: an entry's environment label is true. Sandbox and production
// always talk to Wise's own hosts, so --api-url (and --mtls-url) are
// refused with them; local is a localwise server on this machine, so its
// URLs must be loopback. Each refusal names the fix, and nothing is kept.
func TestTheEnvironmentLabelIsTrue(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	onlyLocal := []string{"--api-url", "only for --env local", "leave out --api-url"}
	notHere := []string{"not on this machine", "127.0.0.1 or localhost", "--env sandbox or --env production"}
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		parts []string
	}{
		{"sandbox personal on localhost", []string{"add", "personal", "p1", "--env", "sandbox", "--api-url", "http://127.0.0.1:9"}, "tok-1\n", onlyLocal},
		{"production personal on localhost", []string{"add", "personal", "p2", "--env", "production", "--api-url", "http://127.0.0.1:9"}, "tok-2\n", onlyLocal},
		{"sandbox personal on production's host", []string{"add", "personal", "p3", "--env", "sandbox", "--api-url", "https://api.wise.com"}, "tok-3\n", onlyLocal},
		{"production client elsewhere", []string{"add", "client", "c1", "--env", "production", "--api-url", "https://wise.example.com", "--client-id", "id-1", "--no-check"}, "secret\n", onlyLocal},
		{"sandbox mtls keygen", []string{"mtls", "keygen", "m1", "--org", "Acme", "--env", "sandbox", "--api-url", "http://127.0.0.1:9"}, "", onlyLocal},
		{"production jose keygen", []string{"jose", "keygen", "j1", "--use", "sig", "--env", "production", "--api-url", "http://127.0.0.1:9"}, "", onlyLocal},
		{"sandbox mtls host elsewhere", []string{"mtls", "keygen", "m2", "--org", "Acme", "--env", "sandbox", "--mtls-url", "https://mtls.example.com"}, "",
			[]string{"--mtls-url", "only for a local client", "leave out --mtls-url"}},
		{"local personal on another machine", []string{"add", "personal", "p4", "--env", "local", "--api-url", "https://wise.example.com"}, "tok-4\n", notHere},
		{"local client on a lookalike name", []string{"add", "client", "c2", "--env", "local", "--api-url", "https://127.attacker.example", "--client-id", "id-1", "--no-check"}, "secret\n", notHere},
		{"local jose keygen on another machine", []string{"jose", "keygen", "j2", "--use", "sig", "--env", "local", "--api-url", "https://10.0.0.1"}, "", notHere},
		{"local mtls host on another machine", []string{"mtls", "keygen", "m3", "--org", "Acme", "--env", "local", "--api-url", "http://127.0.0.1:9", "--mtls-url", "https://mtls.example.com"}, "",
			[]string{"--mtls-url", "not on this machine"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := call{args: tc.args}
			if tc.stdin != "" {
				c.stdin = ptr(tc.stdin)
			}
			e.expect(e.run(c), exitUsage, tc.parts...)
		})
	}
	if got := e.names(); len(got) != 0 {
		t.Errorf("entries after the refusals: %v, want none", got)
	}
	// What stays allowed: sandbox and production without a URL, local on loopback.
	e.add("sb", "tok-sb")
	e.expect(e.run(call{args: []string{"add", "personal", "lh", "--env", "local", "--api-url", "https://localhost:9"}, stdin: ptr("tok-lh\n")}), 0)
	e.expect(e.run(call{args: []string{"add", "personal", "v6", "--env", "local", "--api-url", "http://[::1]:9"}, stdin: ptr("tok-v6\n")}), 0)
}
