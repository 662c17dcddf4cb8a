package cli

import (
	"slices"
	"testing"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
)

// `rm` asks on a terminal, naming the entries linked to the one removed;
// --yes removes without asking (scripts); with neither a terminal nor
// --yes it refuses with exit 2 and says what to do.
func TestRemoveConfirmsOnATerminalAndWarnsAboutLinkedEntries(t *testing.T) {
	t.Parallel()
	srv, base := lwtest.Start(t, localwise.Config{})
	e := newCLIEnv(t)
	e.init()
	addDemoClient(t, e, srv, base)
	e.expect(e.cmd("login", "c1", "--as", "bob", "--registration-code", "--email", "bob.rm@localwise.test"), 0, "Logged in")
	has := func(name string) bool { return slices.Contains(e.names(), name) }

	e.expect(e.cmd("rm", "c1"), exitUsage, "--yes", "no terminal")
	if !has("c1") {
		t.Fatal("rm without a terminal and without --yes removed the entry")
	}

	r := &scaRig{t: t, e: e}
	s := r.onTerminal("rm", "c1")
	s.expect("bob")
	s.expect("[y/N]")
	s.typeLine("n")
	if code := s.exit(); code == 0 || !has("c1") {
		t.Fatalf("rm answered no: exit %d, c1 still there: %v\nscreen:\n%s", code, has("c1"), s.text())
	}
	s = r.onTerminal("rm", "c1")
	s.expect("[y/N]")
	s.typeLine("y")
	if code := s.exit(); code != 0 || has("c1") {
		t.Fatalf("rm answered yes: exit %d, c1 still there: %v\nscreen:\n%s", code, has("c1"), s.text())
	}

	r2 := e.cmd("rm", "bob", "--yes")
	e.expect(r2, 0, "Removed")
	if has("bob") {
		t.Fatal("rm --yes did not remove the entry")
	}
}
