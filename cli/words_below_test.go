package cli

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Below the command line no text names one of its commands or flags:
// lower layers return errors as data, and the CLI (cli_words.go) and the
// app put them in their own words. This looks at string literals in the
// non-test files of every package but cli/ and main.
//
// flows/localwise is held to it too: it is a stand-in for Wise that any
// client may run against, so its texts are Wise's, never this CLI's.
var foreignFlags = map[string][]string{
	// tui/ runs the clipboard tools with their own options.
	"tui": {"--no-newline", "--clear", "--clipboard", "--input", "--output", "--delete"},
}

var cliFlag = regexp.MustCompile(`(^|[^\w-])(--[a-z][a-z0-9-]*)`)

// cliCommandText finds "wisewallet COMMAND" for the commands of this CLI,
// taken from the command tree itself, so a new command is covered.
func cliCommandText() *regexp.Regexp {
	names := []string{}
	root := newInvocation(&cliIO{}).root
	for _, c := range root.Commands() {
		names = append(names, regexp.QuoteMeta(c.Name()))
	}
	return regexp.MustCompile(`\bwisewallet (` + strings.Join(names, "|") + `)\b`)
}

// cliWordsIn returns the command and flag texts in one string literal
// of package pkg.
func cliWordsIn(pkg, text string, commandText *regexp.Regexp) []string {
	var found []string
	if m := commandText.FindString(text); m != "" {
		found = append(found, m)
	}
	for _, m := range cliFlag.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(foreignFlags[pkg], m[2]) {
			found = append(found, m[2])
		}
	}
	return found
}

func TestNoCommandOrFlagBelowTheCLI(t *testing.T) {
	commandText := cliCommandText()
	fset := token.NewFileSet()
	offenders := map[string][]string{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != ".." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "screenshots") {
				return filepath.SkipDir
			}
			return nil
		}
		pkg, _ := filepath.Rel("..", filepath.Dir(path))
		pkg = filepath.ToSlash(pkg)
		// The command line itself (cli/ and main) is where the words go.
		if pkg == "." || pkg == "cli" || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			text, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, w := range cliWordsIn(pkg, text, commandText) {
				top := strings.SplitN(pkg, "/", 2)[0]
				offenders[top] = append(offenders[top], fmt.Sprintf("%s: %q", fset.Position(lit.Pos()), w))
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, found := range offenders {
		for _, f := range found {
			t.Errorf("%s names the command line's command or flag; return the fix as data and word it in cli/cli_words.go (or the app's keys)", f)
		}
	}
}

// The checker itself finds what it must and lets prose be.
func TestCommandOrFlagCheckerFindsThem(t *testing.T) {
	commandText := cliCommandText()
	for _, bad := range []string{
		"run 'wisewallet login app --as bob'",
		"wisewallet init first",
		"needs --api-url",
		"(--env)",
	} {
		if len(cliWordsIn("flows", bad, commandText)) == 0 {
			t.Errorf("%q was not found", bad)
		}
	}
	for _, fine := range []string{
		"wisewallet has the authorization",
		"another wisewallet process is saving",
		"a → Log in a user (client app, as bob)",
		"wisewallet-demo",
		"a--b is not a flag",
	} {
		if got := cliWordsIn("flows", fine, commandText); len(got) != 0 {
			t.Errorf("%q: found %v", fine, got)
		}
	}
	if got := cliWordsIn("tui", "--clipboard", commandText); len(got) != 0 {
		t.Errorf("a clipboard tool's own option was taken for the CLI's: %v", got)
	}
	if got := cliWordsIn("flows", "--clipboard", commandText); len(got) == 0 {
		t.Error("a foreign option is allowed beyond the package that runs the tool")
	}
}
