package cli

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/cobra"
)

// treeCommand is one command of the real tree and the arguments that name
// it ("add", "personal"; none for the root, which is the app).
type treeCommand struct {
	cmd  *cobra.Command
	args []string
	path string // "wisewallet add personal"
}

// treeCommands walks the command tree the program runs, every command
// but cobra's hidden internals (__complete).
func treeCommands(tb testing.TB) []treeCommand {
	tb.Helper()
	sio, _, _ := inProcess(map[string]string{}, "")
	var out []treeCommand
	walk(newInvocation(sio).root, func(c *cobra.Command) {
		if c.Hidden {
			return
		}
		path := c.CommandPath()
		out = append(out, treeCommand{cmd: c, args: strings.Fields(path)[1:], path: path})
	})
	if len(out) < 20 {
		tb.Fatalf("the tree has only %d commands", len(out))
	}
	return out
}

// commandPathOf is the path of the command args run ("wisewallet list").
func commandPathOf(tb testing.TB, args []string) string {
	tb.Helper()
	sio, _, _ := inProcess(map[string]string{}, "")
	root := newInvocation(sio).root
	c, _, err := root.Find(singleDashLongFlags(args, longFlags(root)))
	if err != nil {
		tb.Fatalf("%q names no command: %v", args, err)
	}
	return c.CommandPath()
}

// coverage records which commands of the tree a suite ran, so that it can
// fail for a command it left out: a command added later must be added to
// the suite, not slip past it.
type coverage struct {
	mu  sync.Mutex
	ran map[string]bool
}

func (c *coverage) note(tb testing.TB, args []string) {
	path := commandPathOf(tb, args)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ran == nil {
		c.ran = map[string]bool{}
	}
	c.ran[path] = true
}

// missing is every command of the tree the suite did not run.
func (c *coverage) missing(tb testing.TB) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, tc := range treeCommands(tb) {
		if !c.ran[tc.path] {
			out = append(out, tc.path)
		}
	}
	sort.Strings(out)
	return out
}

func TestEveryCommandHasAShortDescriptionAndAnExample(t *testing.T) {
	for _, tc := range treeCommands(t) {
		c := tc.cmd
		if c.Short == "" {
			t.Errorf("%s has no Short", tc.path)
		}
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s has no Example", tc.path)
		}
		// At least one example runs the command itself.
		mentions := false
		for _, line := range strings.Split(c.Example, "\n") {
			mentions = mentions || strings.Contains(line, tc.path)
		}
		if !mentions {
			t.Errorf("%s: no example runs it:\n%s", tc.path, c.Example)
		}
		if c.Args == nil {
			t.Errorf("%s checks no arguments (cobra's default takes any)", tc.path)
		}
		if c.RunE == nil {
			t.Errorf("%s does nothing when run (cobra would print help and exit 0, not 2)", tc.path)
		}
	}
}

func TestEveryCommandExits2ForAnUnknownFlag(t *testing.T) {
	for _, tc := range treeCommands(t) {
		for _, bad := range []string{"--no-such-flag", "-no-such-flag", "--no-such-flag=1"} {
			sio, stdout, stderr := inProcess(map[string]string{"WISEWALLET_PASSPHRASE": "p"}, "")
			args := append(slices.Clone(tc.args), bad)
			code := run(context.Background(), args, sio)
			if code != exitUsage || !strings.HasPrefix(stderr.String(), "wisewallet: ") || !strings.Contains(stderr.String(), "no-such-flag") {
				t.Errorf("%s %s: exit %d, stderr %q; want exit 2 naming the flag", tc.path, bad, code, stderr)
			}
			if stdout.Len() != 0 {
				t.Errorf("%s %s printed on stdout: %q", tc.path, bad, stdout)
			}
		}
	}
}

// Extra arguments are usage errors too, for every command that takes a
// fixed number of them.
func TestEveryCommandExits2ForAnExtraArgument(t *testing.T) {
	extra := map[string][]string{
		"wisewallet":                  {"frobnicate"}, // an unknown command
		"wisewallet add personal":     {"n1", "n2"},
		"wisewallet add client":       {"n1", "n2"},
		"wisewallet login":            {"c1", "c2"},
		"wisewallet token":            {"n1", "n2"},
		"wisewallet whoami":           {"n1", "n2"},
		"wisewallet show":             {"n1", "n2"},
		"wisewallet rm":               {"n1", "n2"},
		"wisewallet rename":           {"n1", "n2", "n3"},
		"wisewallet completion":       {"bash", "zsh"},
		"wisewallet add":              {"team"}, // an unknown kind
		"wisewallet keyring":          {"frobnicate"},
		"wisewallet help":             {"frobnicate"}, // an unknown command
		"wisewallet man":              {"frobnicate"},
		"wisewallet mtls csr":         {"n1", "n2"},
		"wisewallet mtls check":       {"n1", "n2"},
		"wisewallet mtls renew":       {"n1", "n2"},
		"wisewallet mtls cert":        {"n1", "n2"},
		"wisewallet mtls link":        {"n1", "c1", "n3"},
		"wisewallet mtls import-cert": {"n1", "f1", "n3"},
		"wisewallet jose pubkey":      {"n1", "n2"},
		"wisewallet jose upload":      {"n1", "n2"},
		"wisewallet jose rotate":      {"n1", "n2"},
		"wisewallet jose wise-keys":   {"c1", "c2"},
		"wisewallet jose sign":        {"n1", "n2", "--url", "/v1/x"},
		"wisewallet jose verify":      {"n1", "n2"},
		"wisewallet jose encrypt":     {"n1", "n2"},
		"wisewallet jose decrypt":     {"n1", "n2"},
		"wisewallet jose playground":  {"c1", "jws", "n3"},
		"wisewallet sca status":       {"n1", testOTT, "n3"},
		"wisewallet sca approve":      {"n1", testOTT, "n3"},
		"wisewallet sca sign":         {"n1", testOTT, "n3"},
		"wisewallet sca session":      {"n1", "n2"},
		"wisewallet sca factors":      {"n1", "n2"},
		"wisewallet sca pin set":      {"n1", "n2"},
		"wisewallet sca pin change":   {"n1", "n2"},
		"wisewallet sca pin delete":   {"n1", "n2"},
		"wisewallet sca device add":   {"n1", "n2"},
		"wisewallet sca device list":  {"n1", "n2"},
		"wisewallet sca device rm":    {"n1", "id1", "n3"},
		"wisewallet sca keygen":       {"n1", "n2"},
		"wisewallet sca pubkey":       {"n1", "n2"},
		"wisewallet sca upload":       {"n1", "n2"},
		"wisewallet sca pin":          {"frobnicate"},
		"wisewallet sca device":       {"frobnicate"},
		"wisewallet sca":              {"frobnicate"},
	}
	for _, tc := range treeCommands(t) {
		args := append(slices.Clone(tc.args), "extra")
		if x, ok := extra[tc.path]; ok {
			args = append(slices.Clone(tc.args), x...)
		}
		sio, _, stderr := inProcess(map[string]string{"WISEWALLET_PASSPHRASE": "p"}, "")
		if code := run(context.Background(), args, sio); code != exitUsage || !strings.HasPrefix(stderr.String(), "wisewallet: ") {
			t.Errorf("wisewallet %s: exit %d, stderr %q; want exit 2", strings.Join(args, " "), code, stderr)
		}
	}
}

func TestVersionIsPrinted(t *testing.T) {
	e := newCLIEnv(t)
	for _, args := range [][]string{{"--version"}, {"-version"}, {"-v"}} {
		r := e.cmd(args...)
		e.expect(r, 0)
		if !strings.HasPrefix(r.stdout, "wisewallet version ") || strings.TrimSpace(strings.TrimPrefix(r.stdout, "wisewallet version ")) == "" {
			t.Errorf("wisewallet %s printed %q", args[0], r.stdout)
		}
	}
	// A test binary has no module version: the fallback.
	if v := version(); !strings.HasPrefix(v, "dev") && !strings.HasPrefix(v, "v") {
		t.Errorf("version() = %q", v)
	}
}
