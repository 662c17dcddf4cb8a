package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/flows"
)

// coreCertEntries are mTLS entries at every stage of a certificate's
// year at coreNow: fresh, inside the 30-day reminder, in its last week,
// expired, and a setup whose certificate is not imported yet.
func coreCertEntries() []flows.EntryView {
	n := coreNow
	sandbox, _ := flows.ResolveEnv("sandbox", "")
	prod, _ := flows.ResolveEnv("production", "")
	year := 365 * 24 * time.Hour
	cert := func(name string, env flows.Environment, left time.Duration) flows.EntryView {
		na := n.Add(left)
		return flows.EntryView{Name: name, Kind: flows.KindMTLS, Env: env, CreatedAt: na.Add(-year), LinkedTo: "acme-app",
			Secrets:          []flows.SecretInfo{{Name: "private_key", Len: 241}},
			EntryKey:         flows.EntryKey{KeyType: "p256"},
			EntryCertificate: flows.EntryCertificate{CSR: "-----BEGIN CERTIFICATE REQUEST-----\n", NotAfter: &na, CACert: "-----BEGIN CERTIFICATE-----\n"}}
	}
	pending := cert("acme-mtls-new", sandbox, 0)
	pending.NotAfter, pending.CACert, pending.CreatedAt = nil, "", n.Add(-time.Hour)
	return []flows.EntryView{
		cert("acme-mtls", sandbox, 300*24*time.Hour),
		cert("acme-mtls-2025", sandbox, 20*24*time.Hour+3*time.Hour),
		pending,
		cert("payouts-mtls", prod, 3*24*time.Hour),
		cert("old-mtls", sandbox, -2*24*time.Hour),
	}
}

// The certificate counts down on the dashboard, and from 30 days before
// not-after its row asks for a renewal with the app's keys; in its last
// week the reminder is red; an expired one says Wise refuses it.
func TestDashboardCertificateCountdownAndRenewalReminder(t *testing.T) {
	c := coreCommon(coreFake(), 100, 30)
	d := coreDashboard(c, coreCertEntries())
	v := coreDashView(d)
	for _, want := range []string{
		"certificate  300d",
		"certificate  20d03h", "⚠ certificate ends in 20d (2026-",
		"renew it now, enter, then n",
		"no certificate yet", "→ have the CSR signed in Developer Hub, then import it: enter, then i",
		"certificate  3d00h", "⚠ certificate ends in 3d",
		"✗ certificate expired: Wise refuses its mTLS calls",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("the dashboard does not show %q:\n%s", want, v)
		}
	}
	// No reminder for the fresh certificate: its block is one line.
	if i := d.rowIndex("acme-mtls"); d.rows[i].height() != 1 {
		t.Errorf("a certificate with 300 days left has %d lines", d.rows[i].height())
	}
	if strings.Contains(v, "wisewallet mtls") {
		t.Error("the dashboard names a command instead of the app's keys")
	}
	coreGolden(t, coreAppOn(c, d))
}

// The reminder starts at 30 days exactly, and the bar turns yellow, then
// red in the last week.
func TestCertificateReminderStartsThirtyDaysBefore(t *testing.T) {
	at := coreNow.Add(90 * 24 * time.Hour)
	item := []dashItem{{kind: flows.Certificate, start: at.Add(-365 * 24 * time.Hour), end: at}}
	e := flows.EntryView{Kind: flows.KindMTLS, EntryCertificate: flows.EntryCertificate{NotAfter: &at}}
	for _, tc := range []struct {
		before time.Duration
		notes  int
		lv     level
	}{
		{31 * 24 * time.Hour, 0, levelGood},
		{30*24*time.Hour + time.Second, 0, levelGood},
		{30 * 24 * time.Hour, 1, levelWarn},
		{8 * 24 * time.Hour, 1, levelWarn},
		{7 * 24 * time.Hour, 1, levelBad},
		{time.Second, 1, levelBad},
		{0, 1, levelBad},
	} {
		now := at.Add(-tc.before)
		if got := len(certificateNotes(e, item, now)); got != tc.notes {
			t.Errorf("%s before not-after: %d reminder lines, want %d", tc.before, got, tc.notes)
		}
		if got := certificateLevel(at.Sub(now)); got != tc.lv {
			t.Errorf("%s before not-after: bar level %d, want %d", tc.before, got, tc.lv)
		}
	}
}

// rowIndex is the row of the entry name.
func (d dashboard) rowIndex(name string) int {
	for i, r := range d.rows {
		if r.e.Name == name {
			return i
		}
	}
	return -1
}
