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
