package cli

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/wisewallet/wisewallet/flows"
)

// Issue 13: a registration-code login that failed after its entry was
// saved says the entry is kept and the command that finishes it, never
// "nothing was changed".
func TestCLIWordsAPendingRegistrationLogin(t *testing.T) {
	cause := fmt.Errorf("%w: POST /v1/users/exists: HTTP 500 (after 4 attempts; nothing was changed, try again later)", flows.ErrUnavailable)
	var buf bytes.Buffer
	code := report(&buf, &flows.PendingLoginError{Entry: "gina", Client: "app", Email: "gina@x.test", Err: cause})
	got := buf.String()
	want := `"gina" is kept, marked "needs login", with its registration code (Wise may have the user already): run 'wisewallet login app --as gina --registration-code --email gina@x.test' to finish`
	if !strings.Contains(got, want) || strings.Contains(got, "nothing was changed") || code != exitError {
		t.Errorf("report = %d %q\nwant exit %d and %q", code, got, exitError, want)
	}
}
