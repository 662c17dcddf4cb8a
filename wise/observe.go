package wise

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// Exchange is one request to Wise and how it ended, as an audit log keeps
// it: what was asked and what came back, never what was sent or answered.
// It holds no header value but x-trace-id, no query value and no body, so
// that a log of exchanges can never hold a secret.
type Exchange struct {
	Start  time.Time
	Method string
	Host   string // host[:port]
	// Path is the request's path with its query's values removed
	// ("/v1/rates?source=&target="): a value may be a secret (a token, a
	// code), its name is not.
	Path    string
	Status  int    // 0: no answer
	TraceID string // Wise's x-trace-id, scrubbed like every server text
	// Result is "ok" or the class of the failure (see the Result
	// constants): a fixed word, never an error's text, which may quote
	// what the server sent.
	Result   string
	Duration time.Duration
}

// The classes of Exchange.Result.
const (
	ResultOK            = "ok"
	ResultRejected      = "rejected"       // 401 for the token
	ResultInvalidGrant  = "invalid_grant"  // a refresh token or code refused
	ResultInvalidClient = "invalid_client" // the client id or secret refused
	ResultSCA           = "sca_challenge"  // Wise asks for strong customer authentication
	ResultRateLimited   = "rate_limited"   // 429
	ResultHTTPError     = "http_error"     // any other 4xx
	ResultServerError   = "server_error"   // 5xx
	ResultBadAnswer     = "bad_answer"     // 2xx, but not the answer Wise sends
	ResultCertRefused   = "tls_refused"    // the mTLS handshake failed
	ResultDNS           = "dns"            // the host does not resolve
	ResultConnect       = "connect"        // no connection to the host
	ResultTimeout       = "timeout"
	ResultCanceled      = "canceled"
	ResultNetwork       = "network" // the connection failed during the exchange
	ResultError         = "error"   // anything else
)

// observe tells c.Observe of one exchange, if anyone listens. err is the
// exchange's own outcome (a transport error, or the failure the answer
// makes); a non-2xx answer with no error yet is classed by its body.
func (c *Client) observe(ctx context.Context, req *http.Request, start time.Time, resp *http.Response, data []byte, err error, r request) {
	if c.Observe == nil || req == nil {
		return
	}
	x := Exchange{Start: start, Method: req.Method, Host: req.URL.Host, Path: pathWithoutValues(req), Duration: time.Since(start)}
	if resp != nil {
		x.Status = resp.StatusCode
		x.TraceID = r.scrub(resp.Header.Get("x-trace-id"), maxTraceID)
		if err == nil && resp.StatusCode/100 != 2 {
			err = c.failure(req.Method+" "+r.path, resp, data, r)
		}
	}
	x.Result = ResultOf(ctx, err)
	c.Observe(ctx, x)
}

// pathWithoutValues is req's path and its query's names, in order, each
// with its value cut off.
func pathWithoutValues(req *http.Request) string {
	p := req.URL.EscapedPath()
	if req.URL.RawQuery == "" {
		return CleanText(p, maxNameText)
	}
	var names []string
	for _, kv := range strings.Split(req.URL.RawQuery, "&") {
		name, _, _ := strings.Cut(kv, "=")
		names = append(names, name+"=")
	}
	return CleanText(p+"?"+strings.Join(names, "&"), maxNameText)
}

// ResultOf is the class of a call's outcome, as Exchange.Result says it.
func ResultOf(ctx context.Context, err error) string {
	var ae *APIError
	var ch *ChallengeError
	var de *net.DNSError
	var oe *net.OpError
	switch {
	case err == nil:
		return ResultOK
	case errors.As(err, &ch):
		return ResultSCA
	case errors.Is(err, ErrInvalidGrant):
		return ResultInvalidGrant
	case errors.Is(err, ErrInvalidClient):
		return ResultInvalidClient
	case errors.Is(err, ErrTokenRejected):
		return ResultRejected
	case errors.As(err, &ae):
		switch {
		case ae.Status == http.StatusTooManyRequests:
			return ResultRateLimited
		case ae.Status >= 500:
			return ResultServerError
		case ae.Status >= 400:
			return ResultHTTPError
		}
		return ResultBadAnswer
	case errors.Is(err, ErrResponseRefused):
		return ResultBadAnswer
	case errors.Is(err, ErrCertificateRefused):
		return ResultCertRefused
	case errors.Is(err, context.Canceled) || ctx.Err() == context.Canceled:
		return ResultCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return ResultTimeout
	case errors.As(err, &de):
		if de.IsTimeout {
			return ResultTimeout
		}
		return ResultDNS
	case errors.As(err, &oe) && oe.Op == "dial":
		if oe.Timeout() {
			return ResultTimeout
		}
		return ResultConnect
	case errors.Is(err, ErrUnreachable):
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return ResultTimeout
		}
		return ResultNetwork
	}
	return ResultError
}
