package lwtest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/wisewallet/wisewallet/flows/localwise"
)

// callback is a redirect target that records the query it was sent.
func callback(t *testing.T) (string, func() url.Values) {
	t.Helper()
	var (
		mu  sync.Mutex
		got url.Values
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.URL.Query()
		mu.Unlock()
		fmt.Fprint(w, "back in the app")
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/cb", func() url.Values {
		mu.Lock()
		defer mu.Unlock()
		return got
	}
}

func authURL(base, client, redirect string, extra url.Values) string {
	q := url.Values{"client_id": {client}, "redirect_uri": {redirect}}
	for k, v := range extra {
		q[k] = v
	}
	return base + "/oauth/authorize?" + q.Encode()
}

func TestAuthorizeApproveAndFollow(t *testing.T) {
	srv, base := Start(t, localwise.Config{})
	redirect, query := callback(t)
	RegisterClient(t, base, "lwtest-app", "lwtest-secret-0123456789", redirect)

	consent := Person{}.Authorize(t, authURL(base, "lwtest-app", redirect, url.Values{"state": {"st"}}), Approve)
	if consent.Status != http.StatusFound || !strings.HasPrefix(consent.Location, redirect+"?") {
		t.Fatalf("consent answer: %d %q", consent.Status, consent.Location)
	}
	if back := Follow(t, consent); back.Status != http.StatusOK || back.Body != "back in the app" {
		t.Fatalf("follow: %d %q", back.Status, back.Body)
	}
	q := query()
	if q.Get("code") == "" || q.Get("state") != "st" || q.Get("profileId") != fmt.Sprint(localwise.DemoBusinessProfileID) {
		t.Fatalf("callback query %v: want a code, the state and the last profile listed", q)
	}
	if srv.Stats().Requests != 3 { // page, login, consent, and nothing else
		t.Errorf("requests = %d, want 3", srv.Stats().Requests)
	}

	// An explicit profile, and the flow under a version prefix.
	consent = Person{ProfileID: localwise.DemoPersonalProfileID}.Authorize(t,
		authURL(base+"/2026Q3", "lwtest-app", redirect, nil), Approve)
	loc, _ := url.Parse(consent.Location)
	if got := loc.Query().Get("profileId"); got != fmt.Sprint(localwise.DemoPersonalProfileID) {
		t.Errorf("profileId = %s, want the personal profile", got)
	}
}

func TestAuthorizeShowCodeAndDeny(t *testing.T) {
	_, base := Start(t, localwise.Config{})
	show := url.Values{"forwardingMode": {"showCode"}, "state": {"st-2"}}
	page := Person{}.Authorize(t, authURL(base, localwise.DemoClientID, localwise.DemoRedirectURL, show), Approve)
	if page.Status != http.StatusOK || len(page.Code()) < 16 || page.State() != "st-2" {
		t.Fatalf("code page: %d code=%q state=%q", page.Status, page.Code(), page.State())
	}
	denied := Person{}.Authorize(t, authURL(base, localwise.DemoClientID, localwise.DemoRedirectURL, nil), Deny)
	loc, err := url.Parse(denied.Location)
	if denied.Status != http.StatusFound || err != nil || loc.Query().Get("error") != "access_denied" {
		t.Fatalf("deny: %d %q", denied.Status, denied.Location)
	}
	consent := Person{}.LogIn(t, authURL(base, localwise.DemoClientID, localwise.DemoRedirectURL, nil))
	if got := consent.Profiles(); len(got) != 2 || got[0] != localwise.DemoPersonalProfileID || got[1] != localwise.DemoBusinessProfileID {
		t.Errorf("profiles offered = %v", got)
	}
}

// fatalT records a fatal failure and ends the goroutine, as testing.T does.
type fatalT struct {
	testing.TB
	msg string
}

func (f *fatalT) Fatal(args ...any) { f.msg = fmt.Sprint(args...); runtime.Goexit() }
func (f *fatalT) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func failure(t *testing.T, run func(testing.TB)) string {
	t.Helper()
	f := &fatalT{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		run(f)
	}()
	<-done
	return f.msg
}

// TestHelpersFail: a flow that goes wrong fails the test, saying where.
func TestHelpersFail(t *testing.T) {
	_, base := Start(t, localwise.Config{})
	good := authURL(base, localwise.DemoClientID, localwise.DemoRedirectURL, nil)
	for name, c := range map[string]struct {
		run  func(testing.TB)
		want string
	}{
		"wrong password":      {func(tb testing.TB) { Person{Email: localwise.DemoUserEmail, Password: "nope"}.LogIn(tb, good) }, "login step"},
		"unknown client":      {func(tb testing.TB) { Person{}.LogIn(tb, authURL(base, "nobody", localwise.DemoRedirectURL, nil)) }, "authorize page"},
		"profile not offered": {func(tb testing.TB) { Person{ProfileID: 42}.Authorize(tb, good, Approve) }, "does not offer profile 42"},
		"follow a page":       {func(tb testing.TB) { Follow(tb, Page{Status: http.StatusOK}) }, "not a redirect"},
		"relative URL": {func(tb testing.TB) {
			Person{}.Answer(tb, "/oauth", Page{Body: `name="profileId" id="profile-1"`}, Approve)
		}, "not an absolute URL"},
	} {
		if got := failure(t, c.run); !strings.Contains(got, c.want) {
			t.Errorf("%s: failure %q, want one mentioning %q", name, got, c.want)
		}
	}
}
