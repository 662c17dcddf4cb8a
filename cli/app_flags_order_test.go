package cli

import (
	"context"
	"strings"
	"testing"
)

// Without a terminal, what is wrong with the command line itself is said
// first: --version prints the version, an unknown flag or a bad value of
// the app's own flag (or of WISEWALLET_AUTO_LOCK) is named, and only a
// right command line hears that the app needs a terminal.
func TestAppCommandLineIsCheckedBeforeTheTerminal(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		env       string
		code      int
		want, not string
	}{
		{args: []string{"--version"}, code: exitOK, want: "wisewallet version"},
		{args: []string{"--auto-lock", "5m", "--version"}, code: exitOK, want: "wisewallet version"},
		{args: []string{"-version", "--auto-lock", "5m"}, code: exitOK, want: "wisewallet version"},
		{args: []string{"--auto-lock", "5m", "--bogus"}, code: exitUsage, want: "unknown flag: --bogus"},
		{args: []string{"--bogus", "--version"}, code: exitUsage, want: "unknown flag: --bogus"},
		{args: []string{"--auto-lock", "-5m"}, code: exitUsage, want: "--auto-lock must not be negative"},
		{args: []string{"--auto-lock", "5m"}, env: "soon", code: exitUsage, want: "WISEWALLET_AUTO_LOCK"},
		{args: []string{"--auto-lock", "5m"}, code: exitUsage, want: "needs a terminal"},
	} {
		vars := map[string]string{}
		if tc.env != "" {
			vars["WISEWALLET_AUTO_LOCK"] = tc.env
		}
		sio, stdout, stderr := appTestIO(vars)
		code := run(context.Background(), tc.args, sio)
		out := stdout.String() + stderr.String()
		if code != tc.code || !strings.Contains(out, tc.want) || (tc.want != "needs a terminal" && strings.Contains(out, "needs a terminal")) {
			t.Errorf("wisewallet %s (WISEWALLET_AUTO_LOCK=%q): exit %d, want %d and %q:\n%s", strings.Join(tc.args, " "), tc.env, code, tc.code, tc.want, out)
		}
	}
}
