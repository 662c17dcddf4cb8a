package main

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const modulePath = "github.com/wisewallet/wisewallet"

// allowedImports is design.md's arrow main -> cli -> {tui, agent} -> flows ->
// {wise, wallet} -> crypto, with flows/localwise -> crypto beside it and
// demo/ (the demonstration's start-up, over flows and localwise) under
// cli. A package may import the ones listed for it (and the standard
// library and third-party modules, except where checkImport says
// otherwise).
var allowedImports = map[string][]string{
	".":                  {"cli"}, // main: harden, signals, run cli/, exit
	"cli":                {"tui", "agent", "demo", "flows", "wallet", "crypto", "flows/localwise"},
	"tui":                {"flows", "crypto"},
	"agent":              {"flows", "crypto"}, // operations on the Service, never the wallet itself
	"demo":               {"flows", "flows/localwise", "wallet", "crypto"},
	"flows":              {"wise", "wallet", "crypto"},
	"wise":               {"crypto"},
	"wallet":             {"crypto"},
	"crypto":             {},
	"flows/localwise":    {"crypto"},
	"internal/dbusguard": {},

	// Test support; only _test.go files may import these.
	"flows/localwise/lwtest": {"flows/localwise", "crypto"},
	"wise/wisetest":          {},
}

// testOnly are packages that only _test.go files may import, from any layer.
var testOnly = []string{"flows/localwise/lwtest", "wise/wisetest"}

// testImports are what a package's _test.go files may import besides: a
// real localwise to talk to, and the demo wallet.
var testImports = map[string][]string{
	".":     {"wallet", "crypto"}, // main's tests make the wallet they run on
	"tui":   {"flows/localwise", "demo"},
	"agent": {"flows/localwise", "wallet"}, // a real wallet and localwise behind the agent
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
	isFang := imp == "charm.land/fang/v2" || strings.HasPrefix(imp, "charm.land/fang/")
	switch {
	case isFang && pkg != "cli":
		return fmt.Sprintf("%s imports %s: only cli/ may use fang", file, imp)
	case isCharm && !isFang && pkg != "tui" && !strings.HasPrefix(pkg, "tui/"):
		return fmt.Sprintf("%s imports %s: only tui/ may use Charm libraries", file, imp)
	}
	if pkg == "crypto" && (imp == "os" || imp == "net/http" || imp == "net" || imp == "io/fs") {
		return fmt.Sprintf("%s imports %s: crypto/ does no I/O", file, imp)
	}
	if !strings.HasPrefix(imp, modulePath+"/") {
		return ""
	}
	target := strings.TrimPrefix(imp, modulePath+"/")
	if slices.Contains(testOnly, target) {
		if strings.HasSuffix(file, "_test.go") {
			return ""
		}
		return fmt.Sprintf("%s imports %s: test support, for _test.go files only", file, target)
	}
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
	return fmt.Sprintf("%s (package %s) imports %s: against the arrow main -> cli -> tui -> flows -> {wise, wallet} -> crypto", file, pkg, target)
}

// TestLayeringRejects keeps the checker honest: wrong arrows must fail.
func TestLayeringRejects(t *testing.T) {
	cases := []struct{ pkg, imp string }{
		{"crypto", modulePath + "/wallet"},
		{"wallet", modulePath + "/flows"},
		{"flows", modulePath + "/tui"},
		{"tui", modulePath + "/wallet"},
		{"flows/localwise", modulePath + "/flows"},
		{"flows/localwise", modulePath + "/wallet"},
		{"flows/localwise", modulePath + "/wise"},
		{"flows/localwise/lwtest", modulePath + "/wise"},
		{"flows/localwise/lwtest", modulePath + "/flows"},
		{"flows/localwise/lwtest", modulePath + "/wallet"},
		{"flows/localwise/lwtest", modulePath + "/tui"},
		{"wallet", "charm.land/lipgloss/v2"},
		{"cli", "charm.land/lipgloss/v2"},
		{"tui", "charm.land/fang/v2"},
		{"flows", "charm.land/fang/v2"},
		{"tui", modulePath + "/cli"},
		{"flows", modulePath + "/cli"},
		{"crypto", "os"},
		{".", modulePath + "/tui"},
		{".", modulePath + "/flows"},
		{".", modulePath + "/wallet"},
		{".", "charm.land/fang/v2"},
		{".", "charm.land/lipgloss/v2"},
	}
	for _, c := range cases {
		if checkImport("x.go", c.pkg, c.imp) == "" {
			t.Errorf("%s importing %s was not rejected", c.pkg, c.imp)
		}
	}
	// Test support: any test file may import it, no other file may.
	lwtest := modulePath + "/flows/localwise/lwtest"
	for _, pkg := range []string{".", "tui", "flows", "flows/localwise"} {
		if msg := checkImport(pkg+"/x.go", pkg, lwtest); msg == "" {
			t.Errorf("%s importing lwtest outside a test file was not rejected", pkg)
		}
		if msg := checkImport(pkg+"/x_test.go", pkg, lwtest); msg != "" {
			t.Errorf("a test file of %s may import lwtest: %s", pkg, msg)
		}
	}
	if msg := checkImport("flows/localwise/lwtest/lwtest.go", "flows/localwise/lwtest", modulePath+"/flows/localwise"); msg != "" {
		t.Errorf("lwtest may import localwise: %s", msg)
	}
}

// TestLayeringAllows keeps the checker from rejecting the arrows that are
// meant: cli over tui, flows, wallet and crypto, fang in cli and main.
func TestLayeringAllows(t *testing.T) {
	cases := []struct{ pkg, imp string }{
		{"cli", "charm.land/fang/v2"},
		{".", modulePath + "/cli"},
		{"tui", "charm.land/lipgloss/v2"},
		{"cli", modulePath + "/tui"},
		{"cli", modulePath + "/flows/localwise"},
		{"cli", modulePath + "/wallet"},
	}
	for _, c := range cases {
		if msg := checkImport("x.go", c.pkg, c.imp); msg != "" {
			t.Errorf("%s importing %s was rejected: %s", c.pkg, c.imp, msg)
		}
	}
}

// TestLayeringRejectsPerFile: the same, for wise/, demo/ and the extra
// imports of test files.
func TestLayeringRejectsPerFile(t *testing.T) {
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
