package flows

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// auditRecorder is an Options.Audit that keeps what it is given.
type auditRecorder struct {
	mu   sync.Mutex
	recs []AuditRecord
	all  []AuditRecord // every record, taken or not
}

func (a *auditRecorder) add(r AuditRecord) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.recs = append(a.recs, r)
	a.all = append(a.all, r)
}

// take returns the records so far and forgets them.
func (a *auditRecorder) take() []AuditRecord {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := a.recs
	a.recs = nil
	return out
}

// TestAuditRecordsEveryCallWithEntryCommandAndTraceID: the checks of an
// add, a refresh, a call of the user's and a refused refresh each leave
// records naming the entry the call was made for, the command of the
// context, the host and path, the status, the result and Wise's
// x-trace-id; and no record holds a token, a secret, a query value, a
// header value or a body.
func TestAuditRecordsEveryCallWithEntryCommandAndTraceID(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	rec := &auditRecorder{}
	f.svc = New(f.w, Options{HTTP: wise.DefaultHTTPClient(), Now: f.clock.Now, Audit: rec.add})
	ctx := context.Background()
	host := strings.TrimPrefix(f.base, "http://")
	d := f.srv.Demo()
	check := func(what string, got []AuditRecord, want ...AuditRecord) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d records, want %d: %+v", what, len(got), len(want), got)
		}
		for i, w := range want {
			g := got[i]
			if g.Entry != w.Entry || g.Command != w.Command || g.Method != w.Method || g.Path != w.Path || g.Status != w.Status || g.Result != w.Result || g.Host != host {
				t.Errorf("%s: record %d is %+v, want %+v on %s", what, i, g, w, host)
			}
			if g.TraceID == "" || g.Time.IsZero() {
				t.Errorf("%s: record %d has no x-trace-id or time: %+v", what, i, g)
			}
		}
	}

	if _, err := f.svc.AddPersonalChecked(WithCommand(ctx, "add personal"), "pat", f.env, crypto.SecretString(d.PersonalToken)); err != nil {
		t.Fatal(err)
	}
	check("add personal", rec.take(),
		AuditRecord{Entry: "pat", Command: "add personal", Method: "GET", Path: "/v1/me", Status: 200, Result: "ok"},
		AuditRecord{Entry: "pat", Command: "add personal", Method: "GET", Path: "/v2/profiles", Status: 200, Result: "ok"})

	f.addDemoClient("app")
	f.regLogin("app", "hana", "hana@example.test")
	rec.take()
	f.makeDue()
	if _, err := f.svc.AccessToken(WithCommand(ctx, "token"), "hana"); err != nil {
		t.Fatal(err)
	}
	check("refresh", rec.take(), AuditRecord{Entry: "hana", Command: "token", Method: "POST", Path: "/oauth/token", Status: 200, Result: "ok"})

	queryCanary, headerCanary, bodyCanary := canary("query"), canary("header"), canary("body")
	_, err := f.svc.Call(WithCommand(ctx, "request"), CallInput{Entry: "hana", Method: "GET", Path: "/v1/me?secret=" + queryCanary,
		Header: http.Header{"X-Canary": {headerCanary}}, Body: []byte(`{"b":"` + bodyCanary + `"}`)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	check("call", rec.take(), AuditRecord{Entry: "hana", Command: "request", Method: "GET", Path: "/v1/me?secret=", Status: 200, Result: "ok"})

	// A refresh Wise refuses: the record says so by its class.
	f.srv.SetFaults(localwise.Faults{RevokeRefreshTokens: true})
	f.clock.Set(26 * time.Hour)
	if _, err := f.svc.AccessToken(WithCommand(ctx, "whoami"), "hana"); err == nil {
		t.Fatal("a revoked refresh token refreshed")
	}
	check("refused refresh", rec.take(), AuditRecord{Entry: "hana", Command: "whoami", Method: "POST", Path: "/oauth/token", Status: 401, Result: "invalid_grant"})

	// A 5xx and its retry: one record each.
	f.srv.SetFaults(localwise.Faults{Fail5xx: 1})
	if _, _, err := f.svc.Whoami(WithCommand(ctx, "whoami"), "pat"); err != nil {
		t.Fatal(err)
	}
	got := rec.take()
	if len(got) != 3 || got[0].Status != 500 || got[0].Result != "server_error" || got[1].Result != "ok" {
		t.Errorf("a 500 then the retry: %+v", got)
	}

	rec.mu.Lock()
	all, _ := json.Marshal(rec.all)
	rec.mu.Unlock()
	if !strings.Contains(string(all), `"trace_id"`) {
		t.Fatalf("the records' JSON lacks what it is checked in: %s", all)
	}
	e := f.saved("hana")
	secrets := []string{d.PersonalToken, d.ClientSecret, queryCanary, headerCanary, bodyCanary,
		secretOf(t, e, wallet.SecretAccessToken), secretOf(t, e, wallet.SecretRefreshToken), secretOf(t, f.saved("app"), wallet.SecretAccessToken)}
	assertNoSecret(t, "audit records", string(all), secrets...)
}

// TestAuditRecordsCallsOverMTLSAsTheEntryServed: a user's refresh and an
// OAuth client's token, sent over the mTLS host with the certificate
// entry's key, are recorded as the user's and the client's calls, on the
// mTLS host.
func TestAuditRecordsCallsOverMTLSAsTheEntryServed(t *testing.T) {
	t.Parallel()
	m := newMTLSFixture(t, localwise.Config{})
	rec := &auditRecorder{}
	m.svc = New(m.w, Options{HTTP: wise.DefaultHTTPClient(), Now: m.clock.Now, Audit: rec.add})
	m.svc.sleep = func(context.Context, time.Duration) error { return nil }
	m.addDemoClient("c1")
	m.certified("m1", "c1")
	m.regLogin("c1", "u1", "mtls-audit@example.com")
	rec.take()
	m.makeDue()
	ctx := WithCommand(bg, "token")
	if _, err := m.svc.AccessToken(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.svc.RenewAccessToken(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	mtlsHost := strings.TrimPrefix(m.srv.MTLSURL(), "https://")
	got := rec.take()
	if len(got) != 2 {
		t.Fatalf("%d records, want the refresh and the client's token: %+v", len(got), got)
	}
	for i, want := range []string{"u1", "c1"} {
		if got[i].Entry != want || got[i].Host != mtlsHost || got[i].Path != "/oauth/token" || got[i].Result != "ok" || got[i].Command != "token" {
			t.Errorf("record %d: %+v, want %s's token call on %s", i, got[i], want, mtlsHost)
		}
	}
}

// TestHandedOutIsARecordOfItsOwn: a hand-out names the entry, the
// command of the context, the secret and where it went, at the Service's
// clock, and nothing of a call; without an audit sink it is nothing.
func TestHandedOutIsARecordOfItsOwn(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	rec := &auditRecorder{}
	f.svc = New(f.w, Options{HTTP: wise.DefaultHTTPClient(), Now: f.clock.Now, Audit: rec.add})
	f.svc.HandedOut(WithCommand(context.Background(), "app"), "acme", "client_secret", "clipboard")
	got := rec.take()
	if len(got) != 1 {
		t.Fatalf("%d records, want 1: %+v", len(got), got)
	}
	want := AuditRecord{Time: got[0].Time, Entry: "acme", Command: "app", Result: ResultHandedOut, Secret: "client_secret", To: "clipboard"}
	if got[0] != want || got[0].Time.Location() != time.UTC || got[0].Time.Sub(f.clock.Now()).Abs() > time.Second {
		t.Errorf("record %+v, want %+v at the Service's clock (%s), in UTC", got[0], want, f.clock.Now())
	}
	New(f.w, Options{}).HandedOut(context.Background(), "acme", "client_secret", "screen") // no sink: no panic, nothing
}
