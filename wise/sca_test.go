package wise

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// The SCA wire against a server of the test's own: a challenge is
// recognised on any call (403 and 400, as Wise's helper does), is final
// (never retried), and carries the one-time token and trace id; the OTT
// answers in both forms; the PIN body is JWE and its answer direct; a
// block is not retried as a rate limit. The loops against localwise are
// in flows/sca_test.go.

const testOTT = "9f5f5812-2609-4e48-8418-b64437c0c7cd"

func challengeServer(t *testing.T, status int, ott string, calls *atomic.Int32) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("x-trace-id", "trace-1")
		w.Header().Set(HeaderApprovalResult, ApprovalRejected)
		w.Header().Set(HeaderApproval, ott)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"timestamp":"2025-01-01T00:00:00Z","status":403,"error":"Forbidden","message":"You are forbidden to send this request","path":"/x"}`)
	}))
	t.Cleanup(srv.Close)
	c := NewClient(srv.URL, srv.Client())
	recordWaits(c)
	return c
}

func TestAChallengeOnAnyCallIsTypedAndNotRetried(t *testing.T) {
	for _, status := range []int{http.StatusForbidden, http.StatusBadRequest} {
		var calls atomic.Int32
		c := challengeServer(t, status, strings.ToUpper(testOTT), &calls)
		// An ordinary call (the identity one) and a raw one both see it.
		_, err := c.Identify(context.Background(), crypto.SecretString("tok-abcdefgh"))
		var ch *ChallengeError
		if !errors.As(err, &ch) {
			t.Fatalf("%d: %T %v", status, err, err)
		}
		if ch.OTT != testOTT || ch.Status != status || ch.TraceID != "trace-1" || ch.Result != ApprovalRejected {
			t.Fatalf("%d: %+v", status, ch)
		}
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != status || Transient(context.Background(), err) {
			t.Fatalf("%d: the challenge must match its APIError and be final: %v", status, err)
		}
		if n := calls.Load(); n != 1 {
			t.Fatalf("%d: sent %d times", status, n)
		}
		calls.Store(0)
		a, err := c.Send(context.Background(), Raw{Method: http.MethodPost, Path: "/v3/profiles/1/transfers/2/payments", Body: []byte(`{"type":"BALANCE"}`)})
		if !errors.As(err, &ch) || a.Status != status || calls.Load() != 1 {
			t.Fatalf("%d: raw %v %+v after %d calls", status, err, a, calls.Load())
		}
	}
}

func TestAChallengeHeaderThatIsNoTokenIsNotOne(t *testing.T) {
	var calls atomic.Int32
	c := challengeServer(t, http.StatusForbidden, "x\r\nEvil: 1", &calls)
	_, err := c.Send(context.Background(), Raw{Method: http.MethodGet, Path: "/v1/me"})
	var ch *ChallengeError
	var ae *APIError
	if errors.As(err, &ch) || !errors.As(err, &ae) || !strings.Contains(ae.Description, "not a one-time token") {
		t.Fatalf("%T %v", err, err)
	}
	// 401 with the header is no challenge either.
	c = challengeServer(t, http.StatusUnauthorized, testOTT, &calls)
	if _, err := c.Send(context.Background(), Raw{Method: http.MethodGet, Path: "/v1/me"}); errors.As(err, &ch) || !errors.Is(err, ErrTokenRejected) {
		t.Fatalf("401: %v", err)
	}
}

func TestParseOTTReadsBothForms(t *testing.T) {
	wrapped := `{"oneTimeTokenProperties":{"oneTimeToken":"` + testOTT + `","challenges":[
	  {"primaryChallenge":{"type":"PIN","viewData":{"attributes":{"userId":1}}},"alternatives":[{"type":"FACE_MAP"}],"required":true,"passed":false},
	  {"primaryChallenge":{"type":"SMS"},"alternatives":[],"required":false,"passed":false}],
	  "validity":3600,"actionType":"BALANCE__GET_STATEMENT","userId":6146956}}`
	o, err := ParseOTT([]byte(wrapped))
	if err != nil {
		t.Fatal(err)
	}
	if o.Token != testOTT || o.Validity != time.Hour || o.ActionType != "BALANCE__GET_STATEMENT" || o.UserID != 6146956 || len(o.Challenges) != 2 ||
		o.Challenges[0].Primary != ChallengePIN || len(o.Challenges[0].Alternatives) != 1 || o.Challenges[0].Alternatives[0] != ChallengeFaceMap ||
		!o.Challenges[0].Required || o.Challenges[1].Required || o.Ready() {
		t.Fatalf("%+v", o)
	}
	flat := `{"oneTimeToken":"` + testOTT + `","challenges":[{"primaryChallenge":{"type":"PIN"},"passed":true},{"primaryChallenge":{"type":"SMS"},"passed":false}],"validity":3541}`
	if o, err = ParseOTT([]byte(flat)); err != nil || len(o.Challenges) != 2 || !o.Challenges[1].Required || o.Ready() {
		t.Fatalf("flat: %+v %v", o, err)
	}
	if o, err = ParseOTT([]byte(`{"oneTimeToken":"` + testOTT + `","challenges":[],"validity":10}`)); err != nil || !o.Ready() {
		t.Fatalf("empty: %+v %v", o, err)
	}
	for name, bad := range map[string]string{
		"not JSON":      `nope`,
		"no token":      `{"challenges":[]}`,
		"not a UUID":    `{"oneTimeToken":"abc"}`,
		"too many":      `{"oneTimeToken":"` + testOTT + `","challenges":[` + strings.Repeat(`{},`, 40) + `{}]}`,
		"huge":          `{"oneTimeToken":"` + testOTT + `","x":"` + strings.Repeat("a", maxOTTAnswer) + `"}`,
		"header inject": `{"oneTimeToken":"9f5f5812-2609-4e48-8418-b64437c0c7c\n"}`,
	} {
		if _, err := ParseOTT([]byte(bad)); !errors.Is(err, ErrOTTAnswer) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestTheStatusFallsBackToTheDeprecatedPathOnlyWhenTheServerDoesNotKnowTheNewOne(t *testing.T) {
	var paths []string
	known := map[string]bool{OTTStatusPathDeprecated: true}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		if r.Header.Get(HeaderOneTimeToken) != testOTT {
			t.Errorf("One-Time-Token %q", r.Header.Get(HeaderOneTimeToken))
		}
		if !known[r.URL.Path] {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"timestamp":"x","status":404,"error":"Not Found","path":"`+r.URL.Path+`"}`)
			return
		}
		_, _ = io.WriteString(w, `{"oneTimeTokenProperties":{"oneTimeToken":"`+testOTT+`","challenges":[],"validity":5}}`)
	}))
	defer srv.Close()
	c := NewClient(srv.URL, srv.Client())
	o, dep, err := c.OTTStatus(context.Background(), crypto.SecretString("tok-abcdefgh"), testOTT)
	if err != nil || !dep || !o.Ready() || strings.Join(paths, ",") != OTTStatusPath+","+OTTStatusPathDeprecated {
		t.Fatalf("%v %v %+v %v", err, dep, o, paths)
	}
	// A 404 with one of Wise's codes is an answer, not an unknown path.
	if RouteUnknown(&APIError{Status: 404, Code: "pin.not.setup"}) || !RouteUnknown(&APIError{Status: 404, Code: "Not Found"}) {
		t.Fatal("RouteUnknown")
	}
}

func TestABlockIsNotRetriedAsARateLimit(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "900")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"errors":[{"code":"sca.blocked","message":"blocked","arguments":["2030-01-02T03:04:05Z"]}]}`)
	}))
	defer srv.Close()
	c := NewClient(srv.URL, srv.Client())
	waits := recordWaits(c)
	_, err := c.AuthoriseSCASession(context.Background(), crypto.SecretString("tok-abcdefgh"), 7)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != CodeSCABlocked || len(ae.Args) != 1 || ae.Args[0] != "2030-01-02T03:04:05Z" || calls.Load() != 1 || len(*waits) != 0 {
		t.Fatalf("%v %+v calls %d waits %v", err, ae, calls.Load(), *waits)
	}
	if _, _, err := c.OTTStatus(context.Background(), crypto.SecretString("tok-abcdefgh"), testOTT); calls.Load() != 2 || errors.Is(err, ErrUnavailable) {
		t.Fatalf("status: %v after %d", err, calls.Load())
	}
}

func TestAFactorCallIsJWEAndItsAnswerDirect(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	const pin = "4826"
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		for h, want := range map[string]string{"Content-Type": "application/jose+json", "Accept": "application/jose+json", "X-Tw-Jose-Method": "jwe",
			"Accept-Encoding": "identity", "Content-Encoding": "identity", HeaderOneTimeToken: testOTT} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("%s: %q, want %q", h, got, want)
			}
		}
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), pin) {
			t.Error("the PIN went in clear")
		}
		plain, h, cek, err := crypto.DecryptJWEKeepingCEK(string(body), key)
		if err != nil || h.Alg != "RSA-OAEP-256" || h.Enc != "A256GCM" {
			t.Fatalf("%v %+v", err, h)
		}
		if string(plain) != `{"pin":"`+pin+`"}` {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"errors":[{"code":"pin.invalid","message":"wrong PIN `+strings.ReplaceAll(string(plain), `"`, `\"`)+`","arguments":["3"]}]}`)
			return
		}
		out, _ := crypto.EncryptDirect(cek, []byte(`{"oneTimeToken":"`+testOTT+`","challenges":[{"primaryChallenge":{"type":"PIN"},"passed":true}],"validity":3000}`))
		w.Header().Set("Content-Type", "application/jose+json")
		_, _ = io.WriteString(w, out)
	}))
	defer srv.Close()
	c := NewClient(srv.URL, srv.Client())
	call := FactorCall{Method: http.MethodPost, Path: PINVerifyPath(5), Token: crypto.SecretString("tok-abcdefgh"), OTT: testOTT,
		Body: crypto.SecretString(`{"pin":"` + pin + `"}`), Secret: crypto.SecretString(pin), WiseEncrypt: &key.PublicKey}
	a, err := c.Factor(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}
	if o, err := ParseOTT(a.Body); err != nil || !o.Ready() {
		t.Fatalf("%v %+v", err, o)
	}
	// A refusal that echoes the body names neither it nor the PIN, and
	// gives attempts left; it is sent once.
	calls.Store(0)
	call.Body, call.Secret = crypto.SecretString(`{"pin":"9999"}`), crypto.SecretString("9999")
	_, err = c.Factor(context.Background(), call)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != CodePINInvalid || len(ae.Args) != 1 || ae.Args[0] != "3" || calls.Load() != 1 || strings.Contains(err.Error(), "9999") {
		t.Fatalf("%v (%d calls)", err, calls.Load())
	}
}

func TestARawPOSTIsNotSentAgainAfterAFailureWiseMayHaveActedOn(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	c := NewClient(srv.URL, srv.Client())
	recordWaits(c)
	if _, err := c.Send(context.Background(), Raw{Method: http.MethodPost, Path: "/v3/x", Body: []byte(`{}`)}); err == nil || calls.Load() != 1 {
		t.Fatalf("POST: %v after %d", err, calls.Load())
	}
	calls.Store(0)
	if _, err := c.Send(context.Background(), Raw{Method: http.MethodGet, Path: "/v1/x"}); !errors.Is(err, ErrUnavailable) || calls.Load() != 4 {
		t.Fatalf("GET: %v after %d", err, calls.Load())
	}
}
