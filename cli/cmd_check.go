package cli

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/wisewallet/wisewallet/flows"
)

// The checks for scripts: `status --check` and `whoami --check`, whose
// exit codes say what they found, so that cron or CI can alert on them.

// checkFound is a check's finding, reported with its own exit code.
type checkFound struct {
	code int
	err  error
}

func (f checkFound) Error() string { return f.err.Error() }
func (f checkFound) Unwrap() error { return f.err }

// defaultWithin is status --check's window.
const defaultWithin = 7 * 24 * time.Hour

// statusCheck names on stderr, one line each, what is due within the
// window, and exits exitDue when anything is. Nothing due: nothing
// printed (cron mails whatever a job prints), exit 0.
func statusCheck(ctx context.Context, sio *cliIO, within time.Duration, asJSON bool) error {
	ops, err := sio.ops(ctx)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	rows, err := ops.Status(ctx, now)
	if err != nil {
		return err
	}
	due := flows.DueWithin(rows, now, within)
	if asJSON {
		if due == nil {
			due = []flows.Due{}
		}
		if err := writeJSON(sio.stdout, due); err != nil {
			return err
		}
	}
	if len(due) == 0 {
		return nil
	}
	for _, d := range due {
		fmt.Fprintf(sio.stderr, "due: %s\n", dueLine(d, now))
	}
	what := "thing is"
	if len(due) > 1 {
		what = "things are"
	}
	return checkFound{code: exitDue, err: fmt.Errorf("%d %s due within %s", len(due), what, spanLabel(within))}
}

// dueLine says what is due and what to do about it; no secret.
func dueLine(d flows.Due, now time.Time) string {
	when := ""
	if d.At != nil {
		at := flows.ShowTime(*d.At, time.Local)
		if d.Past(now) {
			when = "ended " + at
		} else {
			when = "ends " + expiresLabel(d.At, now) + " (" + at + ")"
		}
	}
	switch d.What {
	case string(flows.StatusNeedsLogin):
		return d.Entry + ": needs a login again ('wisewallet show " + d.Entry + "' names its client)"
	case string(flows.StatusRevoked):
		return d.Entry + ": revoked; add a new credential under a new name, or remove it ('wisewallet rm " + d.Entry + "')"
	case flows.Certificate.String():
		return d.Entry + ": certificate " + when + "; renew it: wisewallet mtls renew " + d.Entry
	case flows.KeyValidity.String():
		return d.Entry + ": JOSE key " + when + "; rotate it: wisewallet jose rotate " + d.Entry
	case flows.RefreshToken.String():
		return d.Entry + ": refresh token " + when + "; then it needs a login again"
	case flows.SecretAge.String():
		age := fmt.Sprintf("%d days old", int(flows.RotationReminder.Hours()/24))
		if d.Past(now) {
			return d.Entry + ": secret over " + age + " (since " + flows.ShowTime(*d.At, time.Local) + "); rotate it at Wise and add the new one"
		}
		return d.Entry + ": secret " + age + " " + expiresLabel(d.At, now) + " (" + flows.ShowTime(*d.At, time.Local) + "); rotate it at Wise then"
	}
	return d.Entry + ": " + d.What + " " + when
}

// whoamiCheck asks Wise whether the credential is accepted: exit 0 when
// it is, exitRejected when Wise answers 401 for it, exitNeedsLogin when
// the refresh token was refused, and a failure's own code otherwise
// (1 for the network or Wise failing, so a script can tell them apart).
func whoamiCheck(ctx context.Context, sio *cliIO, name string) error {
	ops, err := sio.ops(ctx)
	if err != nil {
		return err
	}
	v, err := ops.Entry(ctx, name)
	if err != nil {
		return err
	}
	if v.Kind == flows.KindClient {
		// A client's cached token says nothing of its secret now; a new
		// client-credentials grant does.
		_, err = ops.RenewAccessToken(ctx, name)
	} else {
		_, _, err = ops.Whoami(ctx, name)
	}
	switch {
	case err == nil, errors.Is(err, flows.ErrNeedsLogin):
		return err
	case errors.Is(err, flows.ErrTokenRejected), errors.Is(err, flows.ErrInvalidClient):
		return checkFound{code: exitRejected, err: err}
	}
	return err
}

// spanPattern is a duration with days ("7d", "1d12h") or Go's ("36h").
// Compiled on first use, not at package init, which every start pays.
var spanPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:(\d+)d)?(.*)$`) })

// parseSpan reads a span as 7d, 36h, 1d12h or 90m.
func parseSpan(s string) (time.Duration, error) {
	m := spanPattern().FindStringSubmatch(s)
	if s == "" || m == nil || m[1] == "" && m[2] == "" {
		return 0, fmt.Errorf("%q is not a duration such as 7d, 36h or 90m", s)
	}
	var d time.Duration
	if m[1] != "" {
		days, err := strconv.Atoi(m[1])
		if err != nil || days > 100*365 {
			return 0, fmt.Errorf("%q is not a duration such as 7d, 36h or 90m", s)
		}
		d = time.Duration(days) * 24 * time.Hour
	}
	if m[2] != "" {
		rest, err := time.ParseDuration(m[2])
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration such as 7d, 36h or 90m", s)
		}
		d += rest
	}
	return d, nil
}

// spanLabel writes a span back as the user would type it.
func spanLabel(d time.Duration) string {
	day := 24 * time.Hour
	if d >= day && d%day == 0 {
		return strconv.Itoa(int(d/day)) + "d"
	}
	return d.String()
}

// spanError words a --within or --since that is not a span.
func spanError(s string, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%q is negative", s)
}
