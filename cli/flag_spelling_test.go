package cli

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// singleDashLong is a long flag of the tree written with one dash.
var singleDashLong = regexp.MustCompile("(^|[\\s(\\[|,'\"`=])-([a-z][a-z0-9-]+)")

// One spelling: help and usage lines name every long flag with two dashes
// (the command line also takes one, but says two).
func TestHelpAndUsageSpellFlagsWithTwoDashes(t *testing.T) {
	inv := newInvocation(&cliIO{})
	long := longFlags(inv.root)
	check := func(where, text string) {
		for _, m := range singleDashLong.FindAllStringSubmatch(text, -1) {
			if _, ok := long[m[2]]; ok {
				t.Errorf("%s: -%s with one dash: %q", where, m[2], text)
			}
		}
	}
	walk(inv.root, func(c *cobra.Command) {
		check(c.CommandPath()+" short", c.Short)
		check(c.CommandPath()+" long", c.Long)
		check(c.CommandPath()+" example", c.Example)
		c.Flags().VisitAll(func(f *pflag.Flag) { check(c.CommandPath()+" --"+f.Name, f.Usage) })
	})
	for k, v := range usageLines {
		check("usage of "+k, v)
	}
	// The help as printed, and errors about flags.
	for _, args := range [][]string{{"help"}, {"list", "-h"}, {"login", "--help"}, {"list", "-bogus"}, {"login", "c1", "-as"}, {"demo", "-every", "x"}, {"show", "x", "-json=maybe"}} {
		var out, errb bytes.Buffer
		sio, _, _ := inProcess(map[string]string{"WISEWALLET_DIR": t.TempDir()}, "")
		sio.stdout, sio.stderr = &out, &errb
		run(context.Background(), args, sio)
		check(strings.Join(args, " "), out.String()+errb.String())
	}
}
