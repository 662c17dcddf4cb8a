package flows

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// Errors callers branch on.
var (
	// ErrNeedsLogin: the refresh token (or registration code) was rejected;
	// the user must log in again. The entry is kept and marked.
	ErrNeedsLogin = errors.New("login needed again")
	// ErrInvalidClient: Wise rejected the OAuth client id or secret.
	ErrInvalidClient = errors.New("client id or secret rejected")
	// ErrTokenRejected: a resource call answered 401 for the token.
	ErrTokenRejected = errors.New("token rejected")
	// ErrUnavailable: the network or Wise failed (timeouts, 5xx, 429) even
	// after retries; nothing was changed and trying later may work.
	ErrUnavailable = errors.New("wise unavailable")
)

// APIError is a failed Wise call. It carries x-trace-id, which Wise
// support asks for, and never the token or secret that was sent.
type APIError struct {
	Op          string // "POST /oauth/token"
	Status      int
	Code        string // OAuth "error", or the first validation error code
	Description string
	TraceID     string
	RetryAfter  time.Duration
	kind        error
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
	// sleep is time.Sleep unless a test shortens it.
	sleep func(context.Context, time.Duration) error
}

// maxRetryAfter caps how long one Retry-After can make a command wait.
const maxRetryAfter = 30 * time.Second

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
}

// do sends r, retrying transient failures, and decodes a 2xx JSON body
// into out. Non-2xx answers become *APIError.
func (c *Client) do(ctx context.Context, r request, out any) error {
	op := r.method + " " + r.path
	delay := c.Backoff
	for attempt := 0; ; attempt++ {
		err := c.once(ctx, r, out)
		var ae *APIError
		transient := errors.As(err, &ae) && (ae.Status == http.StatusTooManyRequests || ae.Status >= 500) ||
			err != nil && !errors.As(err, &ae) && ctx.Err() == nil
		if err == nil || !transient || attempt >= c.Retries {
			if transient {
				return fmt.Errorf("%w: %w (after %d attempts; nothing was changed, try again later)", ErrUnavailable, err, attempt+1)
			}
			return err
		}
		wait := delay
		if ae != nil && ae.RetryAfter > 0 {
			wait = min(ae.RetryAfter, maxRetryAfter)
		}
		delay *= 2
		if err := c.wait(ctx, wait); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
}

func (c *Client) wait(ctx context.Context, d time.Duration) error {
	if c.sleep != nil {
		return c.sleep(ctx, d)
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

func (c *Client) once(ctx context.Context, r request, out any) error {
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
	// A fresh correlation id per call lets Wise support find it; it holds
	// no personal data (reference/wise-auth.md §8).
	req.Header.Set("X-External-Correlation-Id", newUUID())
	if !r.bearer.IsZero() {
		req.Header.Set("Authorization", "Bearer "+r.bearer.RevealString())
	}
	if r.basicID != "" {
		req.SetBasicAuth(r.basicID, r.basicPW.RevealString())
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, scrubURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("%s: reading the answer: %w", op, err)
	}
	if resp.StatusCode/100 != 2 {
		return c.apiError(op, resp, data, r)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &APIError{Op: op, Status: resp.StatusCode, Description: "the answer is not the JSON Wise sends: " + err.Error(),
			TraceID: resp.Header.Get("x-trace-id"), kind: ErrUnavailable}
	}
	return nil
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
	e := &APIError{Op: op, Status: resp.StatusCode, TraceID: resp.Header.Get("x-trace-id")}
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
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(data, &body) == nil {
		e.Code, e.Description = body.Error, body.Description
		if e.Code == "" && len(body.Errors) > 0 {
			e.Code, e.Description = body.Errors[0].Code, body.Errors[0].Message
		}
		if e.Description == "" {
			e.Description = body.Message
		}
	}
	// Wise has been seen echoing the bad token in error_description; never
	// let a sent secret come back through an error message.
	secrets := append([]string{r.bearer.RevealString(), r.basicPW.RevealString()}, r.secrets...)
	for _, s := range secrets {
		if len(s) >= 4 {
			e.Description = strings.ReplaceAll(e.Description, s, "[redacted]")
		}
	}
	if len(e.Description) > 300 {
		e.Description = e.Description[:300] + "…"
	}
	switch {
	case e.Code == "invalid_client":
		e.kind = ErrInvalidClient
	case e.Code == "invalid_grant":
		e.kind = ErrNeedsLogin
	case resp.StatusCode == http.StatusUnauthorized:
		e.kind = ErrTokenRejected
	}
	return e
}

func newUUID() string {
	b := crypto.RandomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
