package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wisewallet/wisewallet/flows"
)

// request: one call to the entry's environment, made as the entry (its
// token, its client's certificate and JOSE keys, an SCA challenge cleared
// on the terminal), for scripts that would otherwise need all of that
// themselves. The answer's body goes to stdout as it came, its status and
// x-trace-id to stderr; an HTTP error is exit 22, as with curl -f.

func (inv *invocation) requestCommand() *cobra.Command {
	var o requestOptions
	c := &cobra.Command{
		Use:   "request NAME METHOD PATH",
		Short: "Make one Wise API call as NAME: auth, mTLS, JOSE and SCA added; the body on stdout",
		Long: "Call PATH (with its query) in NAME's environment with NAME's access token (refreshed when due),\n" +
			"over the mTLS host when NAME's OAuth client has a certificate, the body signed and/or encrypted\n" +
			"with the client's JOSE keys (--jose), an SCA challenge walked on the terminal and the call sent\n" +
			"again once (no terminal: exit 6, not sent again), and a 429 waited out as Retry-After asks.\n" +
			"The answer's body goes to stdout as it came; its status and x-trace-id to stderr. Exit 0 for\n" +
			"2xx, 22 for an HTTP error (the body still printed). A call that may change something in\n" +
			"production (any method but GET and HEAD) is confirmed on the terminal first; without one it\n" +
			"needs --yes, else nothing is sent (exit 2).",
		Example: `  wisewallet request alice GET /v2/profiles | jq '.[].id'
  wisewallet request acme-app GET /v1/auth/jose/response/public-keys --include
  wisewallet request alice POST /v3/profiles/123/transfers/456/payments --data '{"type":"BALANCE"}'
  wisewallet request acme-app POST /v1/auth/jose/playground/jws --jose jws --data @message.json
  # Production, from a script: no terminal to confirm on
  wisewallet request acme-prod POST /v1/quotes --data @quote.json --header "Accept-Language: en" --yes`,
		Args:              positional(3, 3),
		ValidArgsFunction: inv.completeEntryNames(),
		RunE: func(c *cobra.Command, args []string) error {
			return cmdRequest(c.Context(), inv.sio, usageLine(c), args, o)
		},
	}
	c.Flags().StringVar(&o.data, "data", "", "the body: @FILE reads a file, - reads standard input, anything else is sent as it is")
	c.Flags().StringArrayVar(&o.headers, "header", nil, "an extra request header, K:V (repeat for more)")
	c.Flags().StringVar(&o.jose, "jose", "", "protect the body with the client's JOSE keys: jws, jwe or jws+jwe")
	c.Flags().BoolVar(&o.include, "include", false, "print the status line and the headers on stdout before the body")
	c.Flags().BoolVarP(&o.yes, "yes", "y", false, "send a production call that may change something without asking (scripts)")
	c.Flags().BoolVar(&o.asJSON, "json", false, "print the status, headers and body as one JSON object")
	return c
}

type requestOptions struct {
	data, jose           string
	headers              []string
	include, yes, asJSON bool
}

// maxRequestBody is what flows.Service.Call sends at most; a larger body
// is read one byte past it, so that Call refuses it by its size.
const maxRequestBody = 1 << 20

func cmdRequest(ctx context.Context, sio *cliIO, usage string, args []string, o requestOptions) error {
	name, path := args[0], args[2]
	// Wise's methods are the standard ones, in capitals; a lower-case one
	// typed by hand means the same.
	method := strings.ToUpper(args[1])
	if !strings.HasPrefix(path, "/") {
		return usagef("PATH is the API path with its query, from / (as /v2/profiles), not a URL: the host is NAME's environment's (usage: %s)", usage)
	}
	switch o.jose {
	case "", "jws", "jwe", "jws+jwe":
	default:
		return usagef("--jose %s: use jws, jwe or jws+jwe (usage: %s)", quoteArgument(o.jose), usage)
	}
	if o.include && o.asJSON {
		return usagef("--include and --json do not go together: the JSON holds the headers (usage: %s)", usage)
	}
	header, err := parseHeaders(o.headers, usage)
	if err != nil {
		return err
	}
	// The body is read before the wallet is unlocked: a bad @FILE costs
	// no passphrase, and standard input is never read after a prompt.
	body, err := sio.requestBody(o.data)
	if err != nil {
		return err
	}
	ops, err := sio.ops(ctx)
	if err != nil {
		return err
	}
	v, err := ops.Entry(ctx, name)
	if err != nil {
		return withListHint(err)
	}
	if v.Env.Name == flows.EnvProduction && method != http.MethodGet && method != http.MethodHead && !o.yes {
		if err := sio.confirmProduction(ctx, name, method, path); err != nil {
			return err
		}
	}
	solver, done := sio.scaSolver()
	defer done()
	res, err := ops.Call(ctx, flows.CallInput{Entry: name, Method: method, Path: path, Body: body, Header: header, JOSE: o.jose}, solver)
	var ae *flows.APIError
	if res.Status == 0 && errors.As(err, &ae) && ae.Op == method+" "+path {
		// A JOSE call's HTTP error comes without its answer: the error
		// has its status (an error of another call, such as a token
		// refresh, names that call).
		res.Status, res.TraceID = ae.Status, ae.TraceID
	}
	if res.Status == 0 && err != nil {
		// No answer to the call itself (refused before it was sent, a
		// token that could not be renewed, the network).
		return scaHint(withListHint(err), name)
	}
	fmt.Fprintf(sio.stderr, "HTTP %d %s; x-trace-id: %s\n", res.Status, http.StatusText(res.Status), orNone(res.TraceID))
	if err != nil && !isHTTPAnswer(res, err) {
		// The challenge not cleared, or its replay refused: its body is
		// Wise's challenge, not the call's answer.
		return scaHint(err, name)
	}
	if werr := writeAnswer(sio.stdout, res, o); werr != nil {
		return werr
	}
	if err != nil {
		return &commandExit{code: exitHTTP, err: err}
	}
	return nil
}

// isHTTPAnswer tells the call's own HTTP error (printed, exit 22) from
// what went wrong around it: a challenge not cleared (exit 6), a replay
// Wise challenged again or refused the one-time token for.
func isHTTPAnswer(res flows.CallResult, err error) bool {
	var ae *flows.APIError
	var used *flows.OTTUsedError
	switch {
	case res.Challenged && !res.Replayed, errors.Is(err, flows.ErrSCANotCleared), errors.Is(err, flows.ErrChallengeAgain), errors.As(err, &used):
		return false
	}
	return errors.As(err, &ae)
}

// parseHeaders reads --header K:V values. The names Call sets itself
// (Authorization, x-2fa-approval) are refused by Call, with its reason.
func parseHeaders(values []string, usage string) (http.Header, error) {
	if len(values) == 0 {
		return nil, nil
	}
	h := http.Header{}
	for _, kv := range values {
		k, v, ok := strings.Cut(kv, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || strings.ContainsFunc(k, func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) }) {
			// Not quoted back: it may hold a secret typed in by mistake.
			return nil, usagef("--header takes NAME: VALUE, as \"Accept-Language: en\"; a header of %d characters is not that (usage: %s)", len(kv), usage)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return nil, usagef("--header %s: a value on one line (usage: %s)", quoteArgument(k), usage)
		}
		h.Add(k, v)
	}
	return h, nil
}

// requestBody is --data: @FILE, - (standard input) or the text itself.
func (sio *cliIO) requestBody(data string) ([]byte, error) {
	var r io.Reader
	switch {
	case data == "":
		return nil, nil
	case data == "-":
		r = sio.stdin
	case strings.HasPrefix(data, "@"):
		f, err := os.Open(data[1:])
		if err != nil {
			return nil, usagef("--data %s: %v", data, errors.Unwrap(err))
		}
		defer f.Close()
		r = f
	default:
		return []byte(data), nil
	}
	b, err := io.ReadAll(io.LimitReader(r, maxRequestBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading the body (--data %s): %w", data, err)
	}
	return b, nil
}

// confirmProduction asks on the terminal before a call that may change
// something in production; without a terminal it refuses: a script says
// --yes, so a production change never happens by a wrong NAME alone.
func (sio *cliIO) confirmProduction(ctx context.Context, name, method, path string) error {
	t, err := sio.openTTY()
	if err != nil {
		return usagef("%q is a production entry and %s may change something there; there is no terminal to confirm on: add --yes to send it. Nothing was sent", name, method)
	}
	defer t.Close()
	p, _, _ := strings.Cut(path, "?")
	fmt.Fprintf(t, "%s %s in PRODUCTION as %q. Send it? [y/N] ", method, p, name)
	read := t.ReadPassword
	if lr, ok := t.(lineReader); ok {
		read = lr.ReadLine
	}
	answer, err := readCancellable(ctx, read, func() { fmt.Fprintln(t); t.Close() })
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if a := strings.ToLower(strings.TrimSpace(string(answer))); a != "y" && a != "yes" {
		return errors.New("not sent: the answer was not yes")
	}
	return nil
}

// writeAnswer prints the answer on stdout: the body as it came, after
// the status line and headers with --include, or all of it as JSON.
func writeAnswer(w io.Writer, res flows.CallResult, o requestOptions) error {
	if o.asJSON {
		out := struct {
			flows.CallResult
			Headers  http.Header     `json:"headers,omitempty"`
			Body     json.RawMessage `json:"body,omitempty"`
			BodyText *string         `json:"body_text,omitempty"`
		}{CallResult: res, Headers: res.Header}
		if json.Valid(res.Body) {
			out.Body = res.Body
		} else if len(res.Body) > 0 {
			s := string(res.Body)
			out.BodyText = &s
		}
		return writeJSON(w, out)
	}
	if o.include {
		var b strings.Builder
		fmt.Fprintf(&b, "HTTP %d %s\n", res.Status, http.StatusText(res.Status))
		keys := make([]string, 0, len(res.Header))
		for k := range res.Header {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			for _, v := range res.Header[k] {
				fmt.Fprintf(&b, "%s: %s\n", k, v)
			}
		}
		b.WriteString("\n")
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	_, err := w.Write(res.Body)
	return err
}
