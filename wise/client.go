// Package wise is the HTTP client of the Wise Platform API: its hosts, the
// OAuth grants, the identity calls, retries with back-off and Retry-After,
// and errors that carry Wise's x-trace-id. It knows nothing of wallets or
// entries (flows/ does), and imports only crypto/ for secrets, so the
// stand-in in flows/localwise can be checked against it without sharing
// its mistakes.
package wise

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wisewallet/wisewallet/crypto"
)

// Classes of failure callers branch on (errors.Is on an *APIError).
var (
	// ErrInvalidGrant: Wise refused the grant itself (OAuth invalid_grant):
	// a refresh token, authorization code or registration code that is
	// expired, revoked or already used.
	ErrInvalidGrant = errors.New("grant refused")
	// ErrInvalidClient: Wise rejected the OAuth client id or secret.
	ErrInvalidClient = errors.New("client id or secret rejected")
	// ErrTokenRejected: a resource call answered 401 for the token.
	ErrTokenRejected = errors.New("token rejected")
	// ErrUnavailable: the network or Wise failed (timeouts, 5xx, 429) even
	// after retries; nothing was changed and trying later may work.
	ErrUnavailable = errors.New("wise unavailable")
	// ErrUnreachable: a call got no answer: the network failed or the
	// host could not be reached (so there is no x-trace-id). It comes
	// wrapped in ErrUnavailable when it was worth retrying.
	ErrUnreachable = errors.New("host could not be reached")
)

// APIError is a failed Wise call. It carries x-trace-id, which Wise
// support asks for, and never the token or secret that was sent.
type APIError struct {
	Op          string // "POST /oauth/token"
	Status      int
	Code        string // OAuth "error", or the first validation error code
	Description string
	// Args are the first validation error's arguments, as text (Wise's
	// SCA errors carry attempts left or a block's end there).
	Args       []string
	TraceID    string
	RetryAfter time.Duration
	kind       error
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: HTTP %d", e.Op, e.Status)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Description != "" {
		fmt.Fprintf(&b, ": %s", e.Description)
	}
	if e.TraceID != "" {
		fmt.Fprintf(&b, " (x-trace-id %s)", e.TraceID)
	}
	return b.String()
}

// Unwrap lets errors.Is match the error's class (ErrInvalidClient, ...).
func (e *APIError) Unwrap() error { return e.kind }

// Client calls one Wise environment (or localwise) over HTTP.
type Client struct {
	HTTP    *http.Client
	BaseURL string
	// Retries for transient failures (network errors, 5xx, 429).
	Retries int
	// Backoff is the first retry delay; it doubles each time. Retry-After
	// from a 429 takes precedence, capped at maxRetryAfter.
	Backoff time.Duration
	// Sleep waits between retries; nil means a timer that ctx can cut
	// short. Tests record the waits instead.
	Sleep func(context.Context, time.Duration) error
	// OnRateLimit, when set, is told before each wait after a 429: the
	// call, how long the wait is, and whether Wise's Retry-After set it
	// (else the back-off did). The command line says it on stderr; ctx
	// is the call's, for the agent to tell the command it runs for.
	OnRateLimit func(ctx context.Context, op string, wait time.Duration, retryAfter bool)
	// Observe, when set, is told of every exchange with Wise, each retry
	// its own (the audit log). It gets no secret (see Exchange) and must
	// not block: the call waits for it.
	Observe func(context.Context, Exchange)
	// single makes do send once and return the failure as it is, without
	// retries and without the ErrUnavailable summary: for a caller that
	// retries a larger step itself (a refresh under the wallet lock).
	single bool
}

// MaxRetryAfter caps how long one Retry-After can make a command wait.
const MaxRetryAfter = 30 * time.Second

// Once returns a copy of c that sends each request once and returns its
// failure as it is: for a caller that retries a larger step around the
// call itself, with Retry (a refresh under the wallet lock).
func (c *Client) Once() *Client {
	o := *c
	o.single = true
	return &o
}

// maxResponse bounds response bodies read into memory.
const maxResponse = 1 << 20

// DefaultHTTPClient has timeouts on every phase: a dead network gives a
// clear error within seconds instead of a hang.
func DefaultHTTPClient() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 20 * time.Second,
			MaxIdleConnsPerHost:   4,
			ForceAttemptHTTP2:     true,
		},
		// A redirect on an API call is never expected; following it could
		// carry the Authorization header to another host.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// NewClient returns a client for baseURL with default retries.
func NewClient(baseURL string, hc *http.Client) *Client {
	if hc == nil {
		hc = DefaultHTTPClient()
	}
	return &Client{HTTP: hc, BaseURL: strings.TrimRight(baseURL, "/"), Retries: 3, Backoff: 250 * time.Millisecond}
}

// request describes one call; secrets are kept as Secrets until the last
// moment and listed so they can be scrubbed from any error text.
type request struct {
	method  string
	path    string
	form    url.Values // sent as application/x-www-form-urlencoded
	json    any
	bearer  crypto.Secret
	basicID string
	basicPW crypto.Secret
	secrets []string // values to scrub from error descriptions
	// header holds extra request headers (One-Time-Token, x-2fa-approval).
	header http.Header
	// answer, when set, receives a successful answer's status, trace id
	// and body for the caller to show (out is then not decoded).
	answer *Answer
}

// do sends r, retrying transient failures, and decodes a 2xx JSON body
// into out. Non-2xx answers become *APIError.
func (c *Client) do(ctx context.Context, r request, out any) error {
	if c.single {
		return c.once(ctx, r, out)
	}
	return c.Retry(ctx, r.method+" "+r.path, func() error { return c.once(ctx, r, out) })
}

// Retry runs attempt until it succeeds, fails in a way a retry cannot
// help, or has failed transiently c.Retries+1 times, waiting with backoff
// (or Retry-After, capped) in between. op names the call for messages.
func (c *Client) Retry(ctx context.Context, op string, attempt func() error) error {
	delay := c.Backoff
	var uncertain error // the last failure after which Wise may have acted
	for n := 0; ; n++ {
		err := attempt()
		t := Transient(ctx, err)
		if err == nil || !t || n >= c.Retries {
			switch {
			case t:
				return fmt.Errorf("%w: %w (after %d attempts; nothing was changed, try again later)", ErrUnavailable, err, n+1)
			case err != nil && uncertain != nil:
				return &AfterLostAnswer{Err: err, Earlier: uncertain}
			}
			return err
		}
		if MayHaveActed(err) {
			uncertain = err
		}
		wait := delay
		var ae *APIError
		isAPI := errors.As(err, &ae)
		if isAPI && ae.RetryAfter > 0 {
			wait = min(ae.RetryAfter, MaxRetryAfter)
		}
		delay *= 2
		if isAPI && ae.Status == http.StatusTooManyRequests && c.OnRateLimit != nil {
			c.OnRateLimit(ctx, op, wait, ae.RetryAfter > 0)
		}
		if err := c.wait(ctx, wait); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
}

// Transient reports whether a retry may succeed where err failed: the
// network failed (and not because ctx ended), or Wise answered 5xx or 429.
// Any other error (a 4xx, a wallet error) is final.
func Transient(ctx context.Context, err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		// A 429 that is Wise's 15-minute SCA block is no rate limit a
		// short wait clears.
		return ae.Status == http.StatusTooManyRequests && ae.Code != CodeSCABlocked || ae.Status >= 500
	}
	var te *transportError
	if !errors.As(err, &te) || ctx.Err() != nil {
		return false
	}
	// A host DNS says does not exist will not exist a moment later.
	var de *net.DNSError
	return !(errors.As(err, &de) && de.IsNotFound)
}

// MayHaveActed reports whether Wise may have carried out a request that
// failed with the transient err: a 5xx or a lost connection can come after
// the work was done, a 429 or a refused connection cannot.
func MayHaveActed(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status != http.StatusTooManyRequests
	}
	var oe *net.OpError
	return !(errors.As(err, &oe) && oe.Op == "dial")
}

// transportError is a call that got no (complete) answer from Wise.
type transportError struct {
	op   string
	err  error
	text string // err's text, scrubbed
}

// newTransportError keeps Go's text of err, scrubbed like Wise's error
// answers: some messages quote what the server sent (a malformed status
// line), which may echo a secret of the request.
func newTransportError(op string, err error, scrub func(string, int) string) *transportError {
	return &transportError{op: op, err: err, text: scrub(err.Error(), maxResponse)}
}

// Error says that the host could not be reached: the call got no
// answer, so there is no x-trace-id to quote.
func (e *transportError) Error() string {
	var de *net.DNSError
	var oe *net.OpError
	switch {
	case errors.As(e.err, &de) && de.IsNotFound:
		return e.op + ": the host could not be reached: it does not exist in DNS (check the URL): " + e.text
	case errors.As(e.err, &oe) && oe.Op == "dial":
		return e.op + ": the host could not be reached over the network: " + e.text
	}
	return e.op + ": the host could not be reached over the network to the end of an answer: " + e.text
}
func (e *transportError) Unwrap() error { return e.err }

// Is makes a transport error match ErrUnreachable.
func (e *transportError) Is(target error) bool { return target == ErrUnreachable }

// AfterLostAnswer is the final error of a call that was retried after a
// failure Wise may have acted on. For a request that is not idempotent it
// changes the meaning: a code exchange refused as already used may have
// been used by the attempt whose answer was lost; a signup refused because
// the user exists may have created that user itself. The text is Err's;
// callers that care look for it with errors.As.
type AfterLostAnswer struct {
	Err     error // the final failure
	Earlier error // the failure after which Wise may have acted
}

func (e *AfterLostAnswer) Error() string { return e.Err.Error() }
func (e *AfterLostAnswer) Unwrap() error { return e.Err }

func (c *Client) wait(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (c *Client) once(ctx context.Context, r request, out any) (err error) {
	op := r.method + " " + r.path
	var body io.Reader
	var ctype string
	switch {
	case r.form != nil:
		body, ctype = strings.NewReader(r.form.Encode()), "application/x-www-form-urlencoded;charset=UTF-8"
	case r.json != nil:
		b, err := json.Marshal(r.json)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		body, ctype = bytes.NewReader(b), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.BaseURL+r.path, body)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "wisewallet")
	for k, vs := range r.header {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	// A fresh correlation id per call lets Wise support find it; it holds
	// no personal data (reference/wise-auth.md §8).
	req.Header.Set("X-External-Correlation-Id", newUUID())
	if !r.bearer.IsZero() {
		req.Header.Set("Authorization", "Bearer "+r.bearer.RevealString())
	}
	if r.basicID != "" {
		req.SetBasicAuth(r.basicID, r.basicPW.RevealString())
	}
	start := time.Now()
	var resp *http.Response
	var data []byte
	defer func() { c.observe(ctx, req, start, resp, data, err, r) }()
	resp, err = c.HTTP.Do(req)
	if err != nil {
		if refused := handshakeRefused(err); refused != nil {
			return fmt.Errorf("%s: %w", op, refused)
		}
		return newTransportError(op, scrubURLError(err), r.scrub)
	}
	defer resp.Body.Close()
	data, err = io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return newTransportError(op, fmt.Errorf("reading the answer: %w", err), r.scrub)
	}
	if resp.StatusCode/100 != 2 {
		// A challenge (a *ChallengeError) on any call: final, never
		// retried as transient; the caller clears it and sends again.
		return c.failure(op, resp, data, r)
	}
	if r.answer != nil {
		r.answer.fill(resp, data, r)
		return nil
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &APIError{Op: op, Status: resp.StatusCode, Description: CleanText("the answer is not the JSON Wise sends: "+err.Error(), maxErrorText),
			TraceID: r.scrub(resp.Header.Get("x-trace-id"), maxTraceID), kind: ErrUnavailable}
	}
	return nil
}

// scrub makes text from the server (an error body, a header such as
// x-trace-id, Go's text of a malformed answer) safe to print. Controls go
// out first (an escape sequence could rewrite the screen or the
// clipboard, and one inside an echoed secret would hide it from the
// scrub), then every secret r sent in every form a server has been seen
// or could plausibly echo it (see redactSecrets), then the length.
func (r request) scrub(s string, max int) string {
	s = CleanText(s, maxResponse)
	s = redactSecrets(s, r.scrubNeedles())
	return CleanText(s, max)
}

// minSecretLen: shorter values are not scrubbed (they would blank out
// ordinary words); no secret of Wise's is anywhere near this short.
const minSecretLen = 4

// minLooseLen is the fewest letters and digits a needle must have to be
// matched loosely (through inserted characters, see redactSecrets): below
// it a match could be chance rather than an echo.
const minLooseLen = 8

// needle is one form of a secret to look for.
type needle struct {
	text string
	// b64: text is the part of a base64 encoding that depends on the
	// secret alone; the characters around a match, which mix in the bytes
	// next to the secret, go too.
	b64 bool
}

// scrubNeedles lists what scrub looks for: each secret r sent as it is,
// percent-encoded (a form body echoed back), and in base64 at each of the
// three alignments it can have inside a longer encoded text, which covers
// the Basic header (base64 of "id:secret") and a token encoded on its own
// or inside anything else. One alphabet is enough: std and url base64
// differ only in "+/" and "-_", which the loose match skips, as it skips
// padding.
func (r request) scrubNeedles() []needle {
	secrets := append([]string{r.bearer.RevealString(), r.basicPW.RevealString()}, r.secrets...)
	var ns []needle
	for _, sec := range secrets {
		if len(sec) < minSecretLen {
			continue
		}
		ns = append(ns, needle{text: sec})
		for _, q := range []string{url.QueryEscape(sec), url.PathEscape(sec)} {
			if q != sec {
				ns = append(ns, needle{text: q})
			}
		}
		ns = append(ns, base64Needles(sec)...)
	}
	if pw := r.basicPW.RevealString(); r.basicID != "" && len(pw) >= minSecretLen {
		// The whole header value, so that even a secret too short for
		// the alignments above is found in it.
		ns = append(ns, needle{text: base64.StdEncoding.EncodeToString([]byte(r.basicID + ":" + pw)), b64: true})
	}
	return ns
}

// base64Needles returns, for the secret at byte offset 0, 1 and 2 (mod 3)
// of some encoded text, the base64 characters that depend on its bytes
// only: the whole 3-byte groups that it fills.
func base64Needles(sec string) []needle {
	var ns []needle
	for k := 0; k < 3; k++ {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, k), sec...))
		from, to := 0, (k+len(sec))/3*4
		if k > 0 {
			from = 4 // the first group mixes in the bytes before the secret
		}
		if to-from >= minLooseLen {
			ns = append(ns, needle{text: enc[from:to], b64: true})
		}
	}
	return ns
}

// redactSecrets replaces with "[redacted]" every place in s where a
// needle appears, matched two ways:
//   - exactly but for ASCII case (a server that upper-cases what it
//     echoes), and
//   - loosely: the needle's ASCII letters and digits in order, whatever
//     else stands between them (spaces and line breaks, already spaces
//     here, dashes, dots, letters outside ASCII), again ignoring case,
//     when it has at least minLooseLen of them.
//
// A secret broken up by inserted ASCII letters or digits, or encoded some
// other way (hex, rot13, reversed), is not found: no scrub can undo every
// encoding a hostile server could choose. This one covers the echoes
// seen and the simple ones that would defeat an exact match.
func redactSecrets(s string, needles []needle) string {
	if len(needles) == 0 || s == "" {
		return s
	}
	lower := asciiLower(s)
	// skel holds s's ASCII letters and digits, lowered; at[i] is the
	// offset in s of skel[i].
	skel := make([]byte, 0, len(s))
	at := make([]int, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := lower[i]; c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			skel = append(skel, c)
			at = append(at, i)
		}
	}
	var spans [][2]int
	add := func(from, to int, b64 bool) {
		if b64 {
			for from > 0 && isBase64Char(s[from-1]) {
				from--
			}
			for to < len(s) && (isBase64Char(s[to]) || s[to] == '=') {
				to++
			}
		}
		spans = append(spans, [2]int{from, to})
	}
	skelText := string(skel)
	for _, n := range needles {
		exact := asciiLower(n.text)
		for i := 0; ; {
			j := strings.Index(lower[i:], exact)
			if j < 0 {
				break
			}
			add(i+j, i+j+len(exact), n.b64)
			i += j + 1
		}
		loose := skeleton(exact)
		if len(loose) < minLooseLen {
			continue
		}
		for i := 0; ; {
			j := strings.Index(skelText[i:], loose)
			if j < 0 {
				break
			}
			add(at[i+j], at[i+j+len(loose)-1]+1, n.b64)
			i += j + 1
		}
	}
	if len(spans) == 0 {
		return s
	}
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	var b strings.Builder
	last := 0
	for k := 0; k < len(spans); {
		from, to := spans[k][0], spans[k][1]
		for k++; k < len(spans) && spans[k][0] <= to; k++ {
			to = max(to, spans[k][1])
		}
		b.WriteString(s[last:from])
		b.WriteString("[redacted]")
		last = to
	}
	b.WriteString(s[last:])
	return b.String()
}

// asciiLower lowers ASCII letters only, so offsets stay those of s.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// skeleton keeps the ASCII letters and digits of a lowered string.
func skeleton(lower string) string {
	var b strings.Builder
	for i := 0; i < len(lower); i++ {
		if c := lower[i]; c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isBase64Char(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_'
}

// scrubURLError keeps the operation and cause of a transport error but
// not the URL, which is already in the message prefix.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func (c *Client) apiError(op string, resp *http.Response, data []byte, r request) *APIError {
	e := &APIError{Op: op, Status: resp.StatusCode, TraceID: r.scrub(resp.Header.Get("x-trace-id"), maxTraceID)}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			e.RetryAfter = time.Duration(n) * time.Second
		}
	}
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Message     string `json:"message"`
		Errors      []struct {
			Code      string            `json:"code"`
			Message   string            `json:"message"`
			Arguments []json.RawMessage `json:"arguments"`
		} `json:"errors"`
	}
	if json.Unmarshal(data, &body) == nil {
		e.Code, e.Description = body.Error, body.Description
		if e.Code == "" && len(body.Errors) > 0 {
			e.Code, e.Description = body.Errors[0].Code, body.Errors[0].Message
			for _, a := range body.Errors[0].Arguments[:min(len(body.Errors[0].Arguments), maxErrorArgs)] {
				var text string
				if json.Unmarshal(a, &text) != nil {
					text = string(a) // a number, as Wise may send one
				}
				e.Args = append(e.Args, r.scrub(text, maxErrorCode))
			}
		}
		if e.Description == "" {
			e.Description = body.Message
		}
	}
	e.Code, e.Description = r.scrub(e.Code, maxErrorCode), r.scrub(e.Description, maxErrorText)
	switch {
	case e.Code == "invalid_client":
		e.kind = ErrInvalidClient
	case e.Code == "invalid_grant":
		e.kind = ErrInvalidGrant
	case resp.StatusCode == http.StatusUnauthorized:
		e.kind = ErrTokenRejected
	}
	return e
}

// Lengths kept of text from the server.
const (
	maxErrorCode = 64
	maxErrorText = 300
	maxTraceID   = 64
	maxNameText  = 200
	maxErrorArgs = 4
)

// CleanText makes text from the server safe to print: escape sequences
// are removed whole (an OSC 52 sequence sets the clipboard, others move
// the cursor or rewrite the screen), as are other control and format
// characters (bidirectional overrides) and invalid UTF-8; line breaks and
// tabs become spaces; and the result is cut to at most max bytes on a
// character boundary, marked with "…".
func CleanText(s string, max int) string {
	if !plainText(s) {
		var b strings.Builder
		for i := 0; i < len(s); {
			r, n := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == 0x1b || r >= 0x90 && r <= 0x9f:
				i = skipEscape(s, i)
				continue
			case r == '\n' || r == '\r' || r == '\t':
				b.WriteByte(' ')
			case unsafeRune(r, n):
			default:
				b.WriteString(s[i : i+n])
			}
			i += n
		}
		s = b.String()
	}
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// plainText reports whether s has nothing for cleanText to remove.
func plainText(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if unsafeRune(r, n) {
			return false
		}
		i += n
	}
	return true
}

// unsafeRune: a control or format character, or a byte of invalid UTF-8
// (which decodes as RuneError of width 1).
func unsafeRune(r rune, width int) bool {
	return r == utf8.RuneError && width == 1 || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// skipEscape returns the index just after the escape sequence (ECMA-48)
// that starts at s[i] with ESC or a C1 control. An unterminated string
// sequence runs to the end of s.
func skipEscape(s string, i int) int {
	r, n := utf8.DecodeRuneInString(s[i:])
	j := i + n
	if r == 0x1b {
		if j >= len(s) {
			return j
		}
		switch s[j] {
		case '[':
			r = 0x9b // CSI
		case ']', 'P', 'X', '^', '_':
			r = 0x9d // OSC, DCS, SOS, PM, APC: strings up to a terminator
		default:
			// ESC, intermediate bytes, one final byte.
			for j < len(s) && s[j] >= 0x20 && s[j] <= 0x2f {
				j++
			}
			if j < len(s) && s[j] >= 0x30 && s[j] <= 0x7e {
				j++
			}
			return j
		}
		j++
	}
	switch r {
	case 0x9b:
		// Parameter and intermediate bytes, then one final byte.
		for j < len(s) && s[j] >= 0x20 && s[j] <= 0x3f {
			j++
		}
		if j < len(s) && s[j] >= 0x40 && s[j] <= 0x7e {
			j++
		}
		return j
	case 0x90, 0x98, 0x9d, 0x9e, 0x9f:
		for j < len(s) {
			switch {
			case s[j] == 0x07:
				return j + 1
			case strings.HasPrefix(s[j:], "\x1b\\"):
				return j + 2
			case strings.HasPrefix(s[j:], "\u009c"):
				return j + len("\u009c")
			}
			j++
		}
		return j
	}
	return j // any other C1 control: just itself
}

func newUUID() string {
	b := crypto.RandomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
