package main

import (
	"os"
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
