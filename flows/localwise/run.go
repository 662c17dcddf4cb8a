package localwise

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"text/tabwriter"
	"time"
)

// shutdownGrace is how long Run waits for in-flight requests after ctx ends.
const shutdownGrace = 5 * time.Second

// Run serves localwise on addr until ctx is cancelled, then shuts down
// gracefully. Once listening it prints the base URL and the demo
// credentials on stdout: a short human text, or with jsonOut exactly one
// JSON object (the DemoCredentials keys) on one line, for scripts. When
// addr is not a loopback address it warns on stderr first (see
// warnExposed).
func Run(ctx context.Context, addr string, cfg Config, jsonOut bool, stdout, stderr io.Writer) error {
	s := New(cfg)
	if _, err := s.Start(addr); err != nil {
		return err
	}
	warnExposed(stderr, s.listening())
	if err := printDemo(stdout, s.Demo(), jsonOut); err != nil {
		_ = s.Close()
		return fmt.Errorf("localwise: write credentials: %w", err)
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	// Past the grace period the remaining connections are closed: that is
	// the normal end of a Ctrl-C, not a failure to report.
	if err := s.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

func printDemo(w io.Writer, d DemoCredentials, jsonOut bool) error {
	if jsonOut {
		b, err := json.Marshal(d)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "localwise is listening on %s\n", d.APIURL)
	fmt.Fprintf(tw, "A local stand-in for Wise's auth endpoints. Demo credentials only: they work nowhere else.\n\n")
	fmt.Fprintf(tw, "  API URL\t%s\n", d.APIURL)
	fmt.Fprintf(tw, "  Authorize URL\t%s\n", d.AuthorizeURL)
	fmt.Fprintf(tw, "  Client ID\t%s\n", d.ClientID)
	fmt.Fprintf(tw, "  Client secret\t%s\n", d.ClientSecret)
	fmt.Fprintf(tw, "  Redirect URL\t%s\n", d.RedirectURL)
	fmt.Fprintf(tw, "  Personal token\t%s\n", d.PersonalToken)
	fmt.Fprintf(tw, "  User\t%s / %s\n", d.UserEmail, d.UserPassword)
	fmt.Fprintf(tw, "  Profiles\t%d (personal), %d (business)\n", d.PersonalProfileID, d.BusinessProfileID)
	fmt.Fprintf(tw, "\nFaults and counters: POST %s/__localwise/faults, GET %s/__localwise/stats\n", d.APIURL, d.APIURL)
	fmt.Fprintf(tw, "JOSE keys: GET %s/__localwise/jose/keys, POST %s/__localwise/jose/keys/rotate\n", d.APIURL, d.APIURL)
	fmt.Fprintf(tw, "Stop with Ctrl-C.\n")
	return tw.Flush()
}

// warnExposed warns, loudly and on stderr (stdout may be a script's JSON),
// when localwise listens where other machines can reach it: a wildcard
// such as 0.0.0.0 or [::], or any address that is not loopback. Its
// credentials are published, its tokens are real bearer tokens for every
// client that trusts it, and its admin endpoints are not authenticated.
// It is not refused: serving a container or a VM on purpose is a fair use.
func warnExposed(stderr io.Writer, a net.Addr) {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || stderr == nil || tcp.IP != nil && tcp.IP.IsLoopback() {
		return
	}
	where := a.String()
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		where += ", every network interface of this machine"
	}
	fmt.Fprintf(stderr, "WARNING: localwise is listening on %s, not on loopback: other machines can reach it.\n"+
		"WARNING: it is a demo stand-in; its client secret, personal token and user password are published,\n"+
		"WARNING: and its /__localwise/ admin endpoints have no authentication. Anyone who reaches it can\n"+
		"WARNING: get tokens and change its faults. Listen on 127.0.0.1 unless you mean this.\n", where)
}
