package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// Issue 13: a piped secret of several lines kept line 1 and dropped the
// rest without a word; it is a usage error now, and nothing is added.
func TestPipedSecretOfSeveralLinesIsRefused(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t)
	e.init()
	before, _ := os.ReadFile(e.walletFile())
	r := e.run(call{args: []string{"add", "personal", "n1", "--env", "sandbox"}, stdin: ptr("tok-line-one\ntok-line-two\n")})
	e.expect(r, exitUsage, "standard input", "one line")
	if strings.Contains(r.stderr, "tok-line") {
		t.Errorf("the refusal shows the piped secret: %s", r.stderr)
	}
	after, _ := os.ReadFile(e.walletFile())
	if !bytes.Equal(before, after) {
		t.Error("a refused secret changed the wallet file")
	}
	// Blank lines after the secret (an editor's final newline) are fine.
	e.expect(e.run(call{args: []string{"add", "personal", "n1", "--env", "sandbox"}, stdin: ptr("tok-line-one\n\n \r\n")}), 0)
	if r := e.must("token", "n1"); !strings.Contains(r.stdout, "tok-line-one") {
		t.Errorf("the secret with trailing blank lines was not kept:\n%s", r.stdout)
	}
}
