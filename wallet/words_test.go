package wallet

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// wallet/ says what is wrong and names the fix (FixError); the words of a
// fix, a command to run or a flag to pass, belong to each front end.
// Nothing outside the tests may name a command of the program or a flag.
func TestNoCommandTextOrFlagNames(t *testing.T) {
	words := regexp.MustCompile(`'wisewallet [a-z]|upgrade wisewallet|--[a-z]`)
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files: %v", err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := words.FindString(line); m != "" {
				t.Errorf("%s:%d names %q: return a FixError and let the front end word it", f, i+1, strings.TrimSpace(m))
			}
		}
	}
}
