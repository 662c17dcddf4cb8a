package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// README's first commands are what a new user runs first: the first
// `go run` compiles the program and its modules for a minute or so, and
// a user told nothing takes the silence for a hang.
func TestREADMESaysTheFirstGoRunCompiles(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "go run . demo")
	if i < 0 {
		t.Fatal("README has no `go run . demo`")
	}
	// Within the first screen after the first command.
	near := strings.ToLower(s[i:min(len(s), i+600)])
	if !strings.Contains(near, "compile") || !strings.Contains(near, "minute") {
		t.Errorf("README does not say, near its first `go run`, that the first run compiles for a minute:\n%s", s[i:min(len(s), i+600)])
	}
}

// One redirect URL is suggested everywhere (README, the command line's
// examples, the app, localwise's demo client), so a user who copies any of
// them registers the one localwise and the app expect.
func TestOneSuggestedRedirectURL(t *testing.T) {
	const suggested = "http://127.0.0.1:53682/wisewallet/callback"
	loopback := regexp.MustCompile(`https?://(127\.0\.0\.1|localhost|\[::1\]):[0-9]+/[A-Za-z0-9/_.-]*callback`)
	for _, file := range []string{"README.md", "cli/cmd_oauth.go", "tui/add_client.go", "flows/localwise/server.go"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		found := loopback.FindAllString(string(b), -1)
		if len(found) == 0 && file != "cli/cmd_oauth.go" {
			t.Errorf("%s suggests no redirect URL", file)
		}
		for _, u := range found {
			if u != suggested {
				t.Errorf("%s suggests the redirect URL %s; the one suggested everywhere is %s", file, u, suggested)
			}
		}
	}
}
