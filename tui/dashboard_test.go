package tui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/wisewallet/wisewallet/crypto"
	lwdemo "github.com/wisewallet/wisewallet/demo"
	"github.com/wisewallet/wisewallet/flows"
)

func ptime(t time.Time) *time.Time { return &t }

// coreEntries is a wallet's worth of entries at coreNow: every kind of
// expiry, a production token past its rotation reminder, a user whose
// renewal is due, one that must log in again and one wiped after a breach.
// Secret values are fake and never drawn on the dashboard.
func coreEntries() []flows.EntryView {
	n := coreNow
	sandbox, _ := flows.ResolveEnv("sandbox", "")
	prod, _ := flows.ResolveEnv("production", "")
	secret := func(field, v string) []flows.SecretInfo { return []flows.SecretInfo{{Name: field, Len: len(v)}} }
	return []flows.EntryView{
		{Name: "acme-app", Kind: flows.KindClient, Env: sandbox, CreatedAt: n.Add(-80 * 24 * time.Hour),
			SecretCreatedAt:  ptime(n.Add(-80 * 24 * time.Hour)),
			Secrets:          secret("client_secret", "fake-client-secret"),
			EntryOAuthClient: flows.EntryOAuthClient{ClientID: "acme-client-id"},
			EntryTokens:      flows.EntryTokens{AccessIssuedAt: ptime(n.Add(-2 * time.Hour)), AccessExpiresAt: ptime(n.Add(10 * time.Hour))},
		},
		{Name: "acme-personal", Kind: flows.KindPersonal, Env: sandbox, CreatedAt: n.Add(-12 * 24 * time.Hour),
			SecretCreatedAt: ptime(n.Add(-12 * 24 * time.Hour)), Secrets: secret("token", "fake-personal-token")},
		{Name: "leaked-token", Kind: flows.KindPersonal, Env: sandbox, CreatedAt: n.Add(-40 * 24 * time.Hour), Status: flows.StatusRevoked},
		{Name: "old-login", Kind: flows.KindUser, Env: prod, CreatedAt: n.Add(-400 * 24 * time.Hour), LinkedTo: "prod-app", Status: flows.StatusNeedsLogin,
			EntryTokens: flows.EntryTokens{AccessIssuedAt: ptime(n.Add(-30 * time.Hour)), AccessExpiresAt: ptime(n.Add(-18 * time.Hour))},
		},
		{Name: "partner-user", Kind: flows.KindUser, Env: sandbox, CreatedAt: n.Add(-3 * 24 * time.Hour), LinkedTo: "acme-app",
			Secrets:     secret("access_token", "fake-access-token"),
			EntryTokens: flows.EntryTokens{AccessIssuedAt: ptime(n.Add(-9*time.Hour - 30*time.Minute)), AccessExpiresAt: ptime(n.Add(2*time.Hour + 29*time.Minute + 59*time.Second)), RefreshExpiresAt: ptime(n.Add(20 * 365 * 24 * time.Hour))},
		},
		{Name: "payouts-mtls", Kind: flows.KindMTLS, Env: prod, CreatedAt: n.Add(-65 * 24 * time.Hour),
			EntryCertificate: flows.EntryCertificate{NotAfter: ptime(n.Add(300 * 24 * time.Hour))},
		},
		{Name: "prod-payouts", Kind: flows.KindPersonal, Env: prod, CreatedAt: n.Add(-95 * 24 * time.Hour),
			SecretCreatedAt: ptime(n.Add(-95 * 24 * time.Hour)), Secrets: secret("token", "fake-prod-token")},
	}
}

// coreDashboard is a dashboard showing entries, as a snapshot would.
func coreDashboard(c *Common, entries []flows.EntryView) dashboard {
	svc := c.Svc
	c.Svc = nil
	d := newDashboard(c).(dashboard)
	c.Svc = svc
	d.setEntries(entries)
	return d
}

func coreDashView(d dashboard) string { return ansi.Strip(d.View()) }

func TestDashboardShowsEveryEntryWithBadgeKindStatusAndCountdowns(t *testing.T) {
	c := coreCommon(coreFake(), 100, 30)
	v := coreDashView(coreDashboard(c, coreEntries()))
	for _, want := range []string{
		"PRODUCTION", "sandbox", "personal", "client", "user", "mtls",
		"cc token     10h00m00s", "access       2h29m59s", "secret age   80d/90d", "token age    12d/90d", "token age    95d/90d",
		"certificate  300d", "needs login", "revoked", "→ log in again: a → Log in a user (client prod-app, as old-login)",
		"enter shows where to revoke it", "1 of 7 · renewing…",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("the dashboard does not show %q:\n%s", want, v)
		}
	}
	noSecret(t, "the dashboard", v, "fake-client-secret", "fake-personal-token", "fake-access-token", "fake-prod-token")
}

func TestDashboardCountdownMovesEverySecond(t *testing.T) {
	clock := newCoreClock(coreNow)
	c := coreCommon(coreFake(), 100, 30)
	c.Now = clock.Now
	d := coreDashboard(c, coreEntries())
	before := coreDashView(d)
	clock.Advance(time.Second)
	s, _ := d.Update(TickMsg(clock.Now()))
	after := coreDashView(s.(dashboard))
	if !strings.Contains(before, "2h29m59s") || !strings.Contains(after, "2h29m58s") {
		t.Fatalf("the access token countdown did not move by one second:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if before == after {
		t.Fatal("the view did not change between two ticks")
	}
}

func TestDashboardGoldenEmptyWallet(t *testing.T) {
	c := coreCommon(coreFake(), 80, 24)
	coreGolden(t, coreAppOn(c, coreDashboard(c, nil)))
}

func TestDashboardGoldenProductionAndFailures(t *testing.T) {
	c := coreCommon(coreFake(), 100, 30)
	d := coreDashboard(c, coreEntries())
	// Two refreshes fail: Wise revoked one refresh token, and is down for
	// the other; both carry Wise's x-trace-id.
	rejected := fmt.Errorf("refreshing: %w: %w", flows.ErrNeedsLogin,
		&flows.APIError{Op: "POST /oauth/token", Status: 400, Code: "invalid_grant", TraceID: "trace-0f3a9c21"})
	down := fmt.Errorf("%w: %w", flows.ErrUnavailable, &flows.APIError{Op: "POST /oauth/token", Status: 503, TraceID: "trace-77e0b5d4"})
	entries := coreEntries()
	entries[4].Status = flows.StatusNeedsLogin
	s, cmd := d.Update(syncMsg{entries: entries, results: []flows.RefreshResult{
		{Name: "partner-user", At: coreNow, Err: rejected},
		{Name: "acme-app", At: coreNow, Err: down},
	}})
	d = s.(dashboard)
	v := coreDashView(d)
	for _, want := range []string{"x-trace-id trace-0f3a9c21", "x-trace-id trace-77e0b5d4", "refresh failed",
		"log in again: a → Log in a user (client acme-app, as partner-user)", "retrying by itself at 12:00:10 UTC", "retrying"} {
		if !strings.Contains(v, want) {
			t.Errorf("the failure is not shown with %q:\n%s", want, v)
		}
	}
	var toast ToastMsg
	for _, m := range cmdMsgs(cmd) {
		if tm, ok := m.(ToastMsg); ok {
			toast = tm
		}
	}
	if !toast.Error || !strings.Contains(toast.Text, "partner-user") {
		t.Errorf("the failure has no error notice: %+v", toast)
	}
	a := coreAppOn(c, d)
	a.toast = toast
	coreGolden(t, a)
}

func TestDashboardRenewalSaysSo(t *testing.T) {
	c := coreCommon(coreFake(), 100, 30)
	d := coreDashboard(c, coreEntries())
	s, cmd := d.Update(syncMsg{results: []flows.RefreshResult{{Name: "partner-user", At: coreNow.Add(-3 * time.Second)}}})
	if v := coreDashView(s.(dashboard)); !strings.Contains(v, "↻ renewed 11:59:57 UTC by itself") {
		t.Errorf("the row does not say it was renewed:\n%s", v)
	}
	found := false
	for _, m := range cmdMsgs(cmd) {
		if tm, ok := m.(ToastMsg); ok && strings.Contains(tm.Text, "Renewed the access token of partner-user at 11:59:57 UTC") {
			found = true
		}
	}
	if !found {
		t.Error("the footer does not say what was renewed")
	}
}

func TestDashboardBacksOffAfterAFailureButRRetriesAtOnce(t *testing.T) {
	c := coreCommon(coreFake(), 100, 30)
	d := coreDashboard(c, coreEntries())
	down := fmt.Errorf("%w: boom", flows.ErrUnavailable)
	s, _ := d.Update(syncMsg{results: []flows.RefreshResult{{Name: "partner-user", At: coreNow, Err: down}}})
	s, _ = s.Update(syncMsg{results: []flows.RefreshResult{{Name: "partner-user", At: coreNow, Err: down}}})
	d = s.(dashboard)
	f, _ := d.renew.Failure("partner-user")
	if f.Count != 2 || !f.RetryAt.Equal(coreNow.Add(2*flows.FirstRetry)) {
		t.Fatalf("second failure: count %d, retry at %s; want 2 and %s", f.Count, f.RetryAt, coreNow.Add(2*flows.FirstRetry))
	}
	if !d.nextDue.Equal(f.RetryAt) {
		t.Errorf("the next renewal is %s, want the retry time %s", d.nextDue, f.RetryAt)
	}
}

func TestDashboardScrollsToKeepTheCursorVisible(t *testing.T) {
	c := coreCommon(coreFake(), 80, 24)
	var entries []flows.EntryView
	for i := range 200 {
		entries = append(entries, coreEntries()[i%7])
		entries[i].Name = fmt.Sprintf("entry-%03d", i)
	}
	d := coreDashboard(c, entries)
	var s Screen = d
	s, _ = s.Update(keyPress("end"))
	v := coreDashView(s.(dashboard))
	if !strings.Contains(v, "▸ entry-199") || !strings.Contains(v, "200 of 200") {
		t.Fatalf("after end the last entry is not shown selected:\n%s", v)
	}
	for range 5 {
		s, _ = s.Update(keyPress("up"))
	}
	s, _ = s.Update(keyPress("pgdown"))
	v = coreDashView(s.(dashboard))
	if !strings.Contains(v, "▸ entry-") {
		t.Fatalf("the selected entry scrolled out of view:\n%s", v)
	}
	if n := len(strings.Split(v, "\n")); n != c.BodyHeight() {
		t.Errorf("the view has %d lines, want the body height %d", n, c.BodyHeight())
	}
}

func TestDashboardEnterOpensDetailsAndAOpensTheGuidedFlows(t *testing.T) {
	c := coreCommon(coreFake(), 80, 24)
	d := coreDashboard(c, coreEntries())
	s, _ := d.Update(keyPress("down"))
	_, cmd := s.Update(keyPress("enter"))
	push, ok := cmdMsg(cmd).(pushMsg)
	if !ok {
		t.Fatal("enter did not open a screen")
	}
	if det, ok := push.s.(details); !ok || det.e.Name != "acme-personal" {
		t.Fatalf("enter opened %T for the wrong entry", push.s)
	}
	_, cmd = s.Update(keyPress("a"))
	if _, ok := cmdMsg(cmd).(pushMsg); !ok {
		t.Fatal("a did not open the guided flows")
	}
}

// --- against a real localwise and wallet

// coreDemo starts localwise and a demo wallet filled through the real
// flows (weak KDF, test only). clock shifts both the wallet's and the
// app's idea of now, so tokens become due without waiting.
func coreDemo(t *testing.T, w, h int) (*lwdemo.Demo, *Common, *coreClock) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	clock := newCoreClock(time.Now().UTC())
	demo, err := lwdemo.Start(ctx, lwdemo.Options{Dir: t.TempDir(), TokenTTL: 3 * time.Minute, KDF: lwdemo.FastKDF, Flows: flows.Options{Now: clock.Now}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = demo.Close() })
	creds := demo.Server.Demo()
	c := NewCommon(ctx, demo.Service, clock.Now, Environment{Demo: true, WalletPath: filepath.Join(demo.Dir, "wallet.ww"),
		DemoAPIURL: creds.APIURL, DemoUser: creds.UserEmail, DemoPassword: creds.UserPassword})
	c.Width, c.Height = w, h
	return demo, c, clock
}

func TestDashboardRenewsDueTokensByItselfAgainstLocalwise(t *testing.T) {
	demo, c, clock := coreDemo(t, 100, 30)
	before, err := demo.Service.Entry("partner-user")
	if err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, newDashboard(c))
	d.send(TickMsg(clock.Now()))
	if v := d.view(); strings.Contains(v, "renewed") {
		t.Fatalf("fresh tokens were renewed:\n%s", v)
	}
	// Past three quarters of the 3-minute lifetime the token is due.
	clock.Advance(2*time.Minute + 20*time.Second)
	d.send(TickMsg(clock.Now()))
	v := d.view()
	if !strings.Contains(v, "↻ renewed") {
		t.Fatalf("the due token was not renewed by itself:\n%s", v)
	}
	reopened, err := flows.OpenWallet(context.Background(), demo.Dir, crypto.SecretString(lwdemo.Passphrase), flows.Options{})
	if err != nil {
		t.Fatal(err)
	}
	after, err := reopened.Entry("partner-user")
	if err != nil {
		t.Fatal(err)
	}
	if !after.AccessExpiresAt.After(*before.AccessExpiresAt) {
		t.Error("the renewed token was not saved in the wallet file")
	}
	access, err := reopened.Reveal("partner-user", "access_token")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(v, access.RevealString()) {
		t.Error("the new access token is drawn on the dashboard")
	}
}

func TestDashboardShowsARejectedRefreshWithTraceIDAgainstLocalwise(t *testing.T) {
	demo, c, clock := coreDemo(t, 100, 30)
	d := newDriver(t, newDashboard(c))
	demo.Server.RevokeRefreshTokens()
	clock.Advance(2*time.Minute + 20*time.Second)
	d.send(TickMsg(clock.Now()))
	v := d.view()
	for _, want := range []string{"refresh failed", "x-trace-id ", "log in again: a → Create a user (client acme-app, as partner-user)", "needs login"} {
		if !strings.Contains(v, want) {
			t.Errorf("the rejected refresh is not shown with %q:\n%s", want, v)
		}
	}
	var toast ToastMsg
	for _, m := range d.nav {
		if tm, ok := m.(ToastMsg); ok {
			toast = tm
		}
	}
	if !toast.Error {
		t.Errorf("no error notice for the failed refresh: %+v", toast)
	}
	e, _ := demo.Service.Entry("partner-user")
	if e.Status != flows.StatusNeedsLogin {
		t.Errorf("the entry is %q, want needs_login", e.Status)
	}
	f, _ := d.s.(dashboard).renew.Failure("partner-user")
	var nl *flows.NeedsLoginError
	if !errors.Is(f.Err, flows.ErrNeedsLogin) || flows.TraceID(f.Err) == "" || !errors.As(f.Err, &nl) || nl.Client != "acme-app" {
		t.Errorf("the failure lost its class, trace id or client: %v", f.Err)
	}
}

func TestDashboardPicksUpChangesFromAnotherProcess(t *testing.T) {
	demo, c, clock := coreDemo(t, 100, 30)
	d := newDriver(t, newDashboard(c))
	d.send(TickMsg(clock.Now()))
	// Another process (a second unlocked copy of the same file) adds an entry.
	other, err := flows.OpenWallet(context.Background(), demo.Dir, crypto.SecretString(lwdemo.Passphrase), flows.Options{})
	if err != nil {
		t.Fatal(err)
	}
	env, _ := flows.ResolveEnv("sandbox", "")
	if _, err := other.AddPersonal(context.Background(), "from-elsewhere", env, crypto.SecretString("t-elsewhere-0001")); err != nil {
		t.Fatal(err)
	}
	d.send(TickMsg(clock.Now()))
	if strings.Contains(d.view(), "from-elsewhere") {
		t.Fatal("the dashboard checked the file again before its interval")
	}
	clock.Advance(syncEvery)
	d.send(TickMsg(clock.Now()))
	if !strings.Contains(d.view(), "from-elsewhere") {
		t.Fatalf("the entry added by another process does not appear:\n%s", d.view())
	}
}

func TestDashboardShowsAChangeMadeInTheAppAtOnce(t *testing.T) {
	demo, c, _ := coreDemo(t, 100, 30)
	d := newDriver(t, newDashboard(c))
	if err := demo.Service.Rename(context.Background(), "acme-personal", "renamed-personal"); err != nil {
		t.Fatal(err)
	}
	d.send(walletChangedMsg{})
	if !strings.Contains(d.view(), "renamed-personal") {
		t.Fatalf("the renamed entry does not appear after WalletChanged:\n%s", d.view())
	}
}

func TestDashboardRSaysWhenNothingIsDue(t *testing.T) {
	_, c, clock := coreDemo(t, 100, 30)
	d := newDriver(t, newDashboard(c))
	d.send(TickMsg(clock.Now()))
	// On an entry R cannot renew (R on one it can renews that one now).
	rowOf(t, d, "acme-personal")
	d.send(keyPress("R"))
	toast, ok := firstNav[ToastMsg](d)
	if !ok || !strings.Contains(toast.Text, "No token is due for renewal yet") {
		t.Fatalf("R with nothing due says nothing useful: %+v", toast)
	}
}

// Checks never overlap: a change made while one runs is fetched by the
// next check, started when the running one has answered, so an older
// snapshot can never land after a newer one.
func TestDashboardChangeDuringACheckIsFetchedByTheNextCheckNotBesideIt(t *testing.T) {
	_, svc, _ := coreWallet(t, "p-resync", "t-resync-0001")
	c := coreCommon(svc, 100, 30)
	s, first := newDashboard(c).Update(TickMsg(coreNow))
	if first == nil {
		t.Fatal("the first tick started no check")
	}
	answer := unwrapSession(first())
	// The app renames the entry after that check read the wallet.
	if err := svc.Rename(context.Background(), "acme-personal", "renamed-personal"); err != nil {
		t.Fatal(err)
	}
	s, cmd := s.Update(walletChangedMsg{})
	if cmd != nil {
		t.Fatal("a second check started beside the running one")
	}
	s, cmd = s.Update(answer)
	var next tea.Msg
	for _, m := range cmdMsgs(cmd) {
		if _, ok := m.(syncMsg); ok {
			next = m
		}
	}
	if next == nil {
		t.Fatal("no check followed the one that was running when the wallet changed")
	}
	s, _ = s.Update(next)
	if v := coreDashView(s.(dashboard)); !strings.Contains(v, "renamed-personal") || strings.Contains(v, "acme-personal") {
		t.Fatalf("the dashboard does not show the rename:\n%s", v)
	}
	if s.(dashboard).busy {
		t.Error("the dashboard still waits for a check")
	}
}

// An entry removed or renamed while its token was due (here, or by
// another process) is not a failed refresh.
func TestDashboardRefreshOfAnEntryGoneMeanwhileIsNoFailure(t *testing.T) {
	c := coreCommon(coreFake(), 100, 30)
	d := coreDashboard(c, coreEntries())
	var kept []flows.EntryView
	for _, e := range coreEntries() {
		if e.Name != "partner-user" {
			kept = append(kept, e)
		}
	}
	gone := fmt.Errorf("%w: %q", flows.ErrEntryNotFound, "partner-user")
	s, cmd := d.Update(syncMsg{entries: kept, results: []flows.RefreshResult{{Name: "partner-user", At: coreNow, Gone: true, Err: gone}}})
	for _, m := range cmdMsgs(cmd) {
		if n, ok := m.(ToastMsg); ok && n.Error {
			t.Errorf("an error notice for an entry that is gone: %q", n.Text)
		}
	}
	if f, ok := s.(dashboard).renew.Failure("partner-user"); ok {
		t.Errorf("a failure recorded: %+v", f)
	}
	if v := coreDashView(s.(dashboard)); strings.Contains(v, "partner-user") || strings.Contains(v, "refresh failed") {
		t.Errorf("the dashboard still shows the gone entry or a failure:\n%s", v)
	}
}

// A login whose OAuth client was removed is there: its refresh failed,
// and the dashboard says so instead of retrying it on every check.
func TestDashboardRefreshOfALoginWithoutItsClientIsAFailure(t *testing.T) {
	c := coreCommon(coreFake(), 100, 30)
	d := coreDashboard(c, coreEntries())
	missing := &flows.MissingClientError{Entry: "partner-user", Client: "acme-app"}
	s, cmd := d.Update(syncMsg{entries: coreEntries(), results: []flows.RefreshResult{{Name: "partner-user", At: coreNow, Err: missing}}})
	var notice string
	for _, m := range cmdMsgs(cmd) {
		if n, ok := m.(ToastMsg); ok && n.Error {
			notice = n.Text
		}
	}
	if !strings.Contains(notice, `"acme-app"`) {
		t.Errorf("no error notice naming the missing client: %q", notice)
	}
	f, ok := s.(dashboard).renew.Failure("partner-user")
	if !ok || !f.Held {
		t.Fatalf("failure %+v (recorded %v), want one held until the client is back", f, ok)
	}
	v := coreDashView(s.(dashboard))
	if !strings.Contains(v, "add the client acme-app again") {
		t.Errorf("the dashboard does not say how to fix it:\n%s", v)
	}
	// Its status says it waits for the user, not that it is retrying.
	if word, _ := s.(dashboard).status(dashRow{e: coreEntries()[4]}); word != "held" {
		t.Errorf("status of a held failure = %q, want held", word)
	}
}
