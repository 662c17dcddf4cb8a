package main

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

const modulePath = "github.com/wisewallet/wisewallet"

// allowedImports is design.md's arrow main -> tui -> flows -> {wise,
// wallet} -> crypto, with flows/localwise -> crypto beside it and demo/
// (the demonstration's start-up) beside tui. A package may import the ones
// listed for it (and the standard library and third-party modules, except
// where checkImport says otherwise).
var allowedImports = map[string][]string{
	"tui":                {"flows", "crypto"},
	"demo":               {"flows", "flows/localwise", "wallet", "crypto"},
	"flows":              {"wise", "wallet", "crypto"},
	"wise":               {"crypto"},
	"wallet":             {"crypto"},
	"crypto":             {},
	"flows/localwise":    {"crypto"},
	"internal/dbusguard": {},
}

// testImports are what a package's _test.go files may import besides: a
// real localwise (and its test helpers) to talk to, and the demo wallet.
var testImports = map[string][]string{
	"tui":   {"flows/localwise", "demo"},
	"flows": {"flows/localwise"},
	"wise":  {"flows/localwise"},
	"demo":  {"flows/localwise"},
}

func TestLayering(t *testing.T) {
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "screenshots") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if msg := checkImport(path, pkg, p); msg != "" {
				t.Error(msg)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkImport returns why file (in pkg) may not import imp, or "".
func checkImport(file, pkg, imp string) string {
	isCharm := strings.HasPrefix(imp, "charm.land/") || strings.HasPrefix(imp, "github.com/charmbracelet/")
	if isCharm && pkg != "tui" && !strings.HasPrefix(pkg, "tui/") && pkg != "." {
		return fmt.Sprintf("%s imports %s: only tui/ may use Charm libraries", file, imp)
	}
	if pkg == "crypto" && (imp == "os" || imp == "net/http" || imp == "net" || imp == "io/fs") {
		return fmt.Sprintf("%s imports %s: crypto/ does no I/O", file, imp)
	}
	if !strings.HasPrefix(imp, modulePath+"/") || pkg == "." {
		return ""
	}
	target := strings.TrimPrefix(imp, modulePath+"/")
	if target == "internal/dbusguard" {
		return "" // a stdlib-only init guard any package may link
	}
	if target == pkg {
		return "" // an external test package (package x_test) importing x
	}
	top := pkg
	if _, ok := allowedImports[pkg]; !ok {
		top = strings.SplitN(pkg, "/", 2)[0]
	}
	allowed, ok := allowedImports[top]
	if !ok {
		return fmt.Sprintf("%s: package %s is not in the layering table; add it to design.md's arrow and to allowedImports", file, pkg)
	}
	if strings.HasSuffix(file, "_test.go") {
		allowed = append(slices.Clip(allowed), testImports[top]...)
	}
	for _, a := range allowed {
		if target == a || strings.HasPrefix(target, a+"/") && a != "flows" {
			return ""
		}
	}
	if strings.HasPrefix(target, top+"/") && top != "flows" {
		return "" // a package's own subpackages
	}
	return fmt.Sprintf("%s (package %s) imports %s: against the arrow main -> tui -> flows -> {wise, wallet} -> crypto", file, pkg, target)
}

// TestLayeringRejects keeps the checker honest: wrong arrows must fail.
func TestLayeringRejects(t *testing.T) {
	cases := []struct{ file, pkg, imp string }{
		{"x.go", "crypto", modulePath + "/wallet"},
		{"x.go", "wallet", modulePath + "/flows"},
		{"x.go", "flows", modulePath + "/tui"},
		{"x.go", "tui", modulePath + "/wallet"},
		{"x_test.go", "tui", modulePath + "/wallet"},
		{"x.go", "tui", modulePath + "/wise"},
		{"x_test.go", "tui", modulePath + "/wise"},
		{"x.go", "tui", modulePath + "/demo"},
		{"x.go", "flows", modulePath + "/flows/localwise"},
		{"x.go", "flows", modulePath + "/demo"},
		{"x.go", "wise", modulePath + "/wallet"},
		{"x.go", "wise", modulePath + "/flows"},
		{"x.go", "wise", modulePath + "/flows/localwise"},
		{"x.go", "flows/localwise", modulePath + "/flows"},
		{"x.go", "flows/localwise", modulePath + "/wallet"},
		{"x.go", "flows/localwise", modulePath + "/wise"},
		{"x_test.go", "flows/localwise", modulePath + "/wise"},
		{"x.go", "demo", modulePath + "/tui"},
		{"x.go", "wallet", "charm.land/lipgloss/v2"},
		{"x.go", "crypto", "os"},
	}
	for _, c := range cases {
		if checkImport(c.file, c.pkg, c.imp) == "" {
			t.Errorf("%s (%s) importing %s was not rejected", c.pkg, c.file, c.imp)
		}
	}
	// And the arrows that are allowed stay allowed.
	for _, c := range []struct{ file, pkg, imp string }{
		{"x.go", "flows", modulePath + "/wise"},
		{"x_test.go", "flows", modulePath + "/flows/localwise"},
		{"x_test.go", "wise", modulePath + "/flows/localwise"},
		{"x_test.go", "tui", modulePath + "/demo"},
		{"x.go", "demo", modulePath + "/flows/localwise"},
	} {
		if msg := checkImport(c.file, c.pkg, c.imp); msg != "" {
			t.Errorf("an allowed import was rejected: %s", msg)
		}
	}
}

// Below the command line no text names one of its commands or flags:
// lower layers return errors as data, and the CLI (cli_words.go) and the
// app put them in their own words. This looks at string literals in the
// non-test files of every package but main.
//
// flows/localwise is held to it too: it is a stand-in for Wise that any
// client may run against, so its texts are Wise's, never this CLI's.
var foreignFlags = map[string][]string{
	// tui/ runs the clipboard tools with their own options.
	"tui": {"--no-newline", "--clear", "--clipboard", "--input", "--output", "--delete"},
}

// pendingWords lists packages still being reworded on another branch of
// issue 7; the test fails once one is clean, so the entry goes with it.
var pendingWords = map[string]string{
	"wallet": "the wallet-kinds branch words wallet's errors as data",
}

var cliFlag = regexp.MustCompile(`(^|[^\w-])(--[a-z][a-z0-9-]*)`)

// cliCommandText finds "wisewallet COMMAND" for the commands of this CLI.
func cliCommandText() *regexp.Regexp {
	names := []string{}
	for _, c := range commands {
		names = append(names, regexp.QuoteMeta(c.name))
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
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "screenshots") {
				return filepath.SkipDir
			}
			return nil
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		if pkg == "." || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
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
	for pkg, found := range offenders {
		if _, pending := pendingWords[pkg]; pending {
			continue
		}
		for _, f := range found {
			t.Errorf("%s names the command line's command or flag; return the fix as data and word it in cli_words.go (or the app's keys)", f)
		}
	}
	for pkg, why := range pendingWords {
		if len(offenders[pkg]) == 0 {
			t.Errorf("%s/ names no command or flag any more (%s): remove it from pendingWords", pkg, why)
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
