package flows

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wisewallet/wisewallet/flows/localwise"
)

// The local environment is this machine, and "this machine" means
// localhost or a loopback IP literal. A DNS name that starts like one
// resolves wherever its owner points it. Sandbox and production take no
// URL at all: they always use Wise's own hosts (issue 13).
func TestPlainHTTPOnlyToLoopbackLiterals(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080", "http://127.1.2.3", "http://[::1]:9", "http://localhost:9", "https://127.0.0.1:9", "https://localhost"} {
		if _, err := ResolveEnv("local", u); err != nil {
			t.Errorf("ResolveEnv(local, %s): %v, want accepted", u, err)
		}
		for _, env := range []string{"production", "sandbox"} {
			if _, err := ResolveEnv(env, u); !errors.Is(err, ErrUsage) || !errors.Is(err, ErrOnlyLocal) {
				t.Errorf("ResolveEnv(%s, %s): %v, want refused: only for local", env, u, err)
			}
		}
	}
	for _, u := range []string{
		"http://127.attacker.example", "http://127.0.0.1.nip.io:8080", "http://localhost.attacker.example",
		"http://127.example", "http://0x7f.1", "http://2130706433", "http://[::2]", "http://10.0.0.1", "https://127.attacker.example", "https://api.wise.com",
	} {
		_, err := ResolveEnv("local", u)
		if !errors.Is(err, ErrUsage) || !errors.Is(err, ErrNotLoopback) {
			t.Errorf("ResolveEnv(local, %s): %v, want refused as not on this machine", u, err)
		}
		for _, env := range []string{"production", "sandbox"} {
			if _, err := ResolveEnv(env, u); !errors.Is(err, ErrUsage) || !errors.Is(err, ErrOnlyLocal) {
				t.Errorf("ResolveEnv(%s, %s): %v, want refused: only for local", env, u, err)
			}
		}
	}
	for u, want := range map[string]bool{
		"http://127.0.0.1:53682/cb": true, "http://localhost:53682/cb": true, "http://[::1]:53682/cb": true,
		"http://127.attacker.example:53682/cb": false, "http://localhost.attacker.example:53682/cb": false,
		"https://127.0.0.1:53682/cb": false, "http://127.0.0.1/cb": false,
	} {
		if got := isLoopbackRedirect(u); got != want {
			t.Errorf("isLoopbackRedirect(%s) = %v, want %v", u, got, want)
		}
	}
}

// A redirect URL on a host that only looks like loopback is not listened
// on (net.Listen would resolve it): the login wants the code pasted.
func TestLoginDoesNotListenOnALookalikeLoopbackName(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	f.addClient("app", localwise.DemoClientID, localwise.DemoClientSecret, "http://127.attacker.example:53682/cb", false)
	var shown string
	_, err := f.svc.login(context.Background(), LoginRequest{Client: "app", As: "bob", ShowURL: func(u string) { shown = u }})
	if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "not a loopback address") {
		t.Fatalf("Login with a lookalike loopback redirect and nothing to paste with: %v", err)
	}
	if shown != "" {
		t.Error("the login was started although it could not finish")
	}
}

// A URL with a user name or password in it is refused: the token in it
// would be stored with the environment and printed wherever it is shown,
// and the refusal itself must not print it either.
func TestAnAPIURLWithUserinfoIsRefused(t *testing.T) {
	for _, raw := range []string{"https://user:tok-0123456789@api.example.test", "https://tok-0123456789@api.example.test/v1", "http://u:tok-0123456789@127.0.0.1:9"} {
		if err := CheckAPIURL(raw); !errors.Is(err, ErrURLUserinfo) {
			t.Errorf("CheckAPIURL(%q) = %v, want ErrURLUserinfo", raw, err)
		}
		_, err := ResolveEnv("local", raw)
		if !errors.Is(err, ErrURLUserinfo) || !errors.Is(err, ErrUsage) {
			t.Errorf("ResolveEnv(local, %q) = %v, want a usage error for the user info", raw, err)
			continue
		}
		if strings.Contains(err.Error(), "tok-0123456789") {
			t.Errorf("the refusal prints the token: %v", err)
		}
	}
	if err := CheckAPIURL("https://api.example.test"); err != nil {
		t.Errorf("a URL without user info: %v", err)
	}
}
