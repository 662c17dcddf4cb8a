package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/flows"
)

// coreJOSEEntries are JOSE keys at every stage of their year at coreNow:
// fresh and uploaded, not uploaded yet, rotating (the old key in its last
// day), inside the 30-day reminder, expired, and one serving no client.
func coreJOSEEntries() []flows.EntryView {
	n := coreNow
	sandbox, _ := flows.ResolveEnv("sandbox", "")
	year := 365 * 24 * time.Hour
	key := func(name, alg string, left time.Duration, uploaded bool) flows.EntryView {
		till := n.Add(left)
		from := till.Add(-year)
		e := flows.EntryView{Name: name, Kind: flows.KindJOSE, Env: sandbox, CreatedAt: from, LinkedTo: "acme-app",
			Secrets: []flows.SecretInfo{{Name: "private_key", Len: 241}}}
		e.KeyID, e.Algorithm, e.ValidFrom, e.ValidTill, e.Uploaded, e.Use = "5f0e8a2c-1111-4222-8333-444455556666", alg, &from, &till, uploaded, "sig"
		if alg == "RSA-OAEP-256" {
			e.Use = "enc"
		}
		return e
	}
	rotating := key("acme-enc", "RSA-OAEP-256", year-4*time.Hour, true)
	rotating.PrevKeyID, rotating.PrevRetiresAt, rotating.PrevValidTill, rotating.PrevUploaded = "9a8b7c6d-0000-4000-8000-000000000001", ptime(n.Add(20*time.Hour)), ptime(n.Add(3*24*time.Hour)), true
	rotating.Secrets = append(rotating.Secrets, flows.SecretInfo{Name: "previous_private_key", Len: 1704})
	lone := key("spare-sig", "ES384", 200*24*time.Hour, false)
	lone.LinkedTo = ""
	return []flows.EntryView{
		key("acme-sig", "ES256", 300*24*time.Hour, true),
		rotating,
		key("acme-new-sig", "ES256", year, false),
		key("acme-sig-2025", "PS256", 20*24*time.Hour+3*time.Hour, true),
		key("old-sig", "ES256", -2*24*time.Hour, true),
		lone,
	}
}

// A JOSE key counts down to its valid-till, its previous key to its
// retirement during a rotation; the rows say what to do in the app's keys.
func TestDashboardJOSECountdowns(t *testing.T) {
	c := coreCommon(coreFake(), 100, 30)
	d := coreDashboard(c, coreJOSEEntries())
	v := coreDashView(d)
	for _, want := range []string{
		"key valid    300d",
		"old key      20h00m", "↻ rotating: the old key 9a8b7c6d… works until 2026-11-23 08:00:00 UTC, then it is wiped",
		"→ not uploaded to Wise yet: enter, then u",
		"key valid    20d03h", "⚠ key ends in 20d (2026-12-12 15:00:00 UTC): rotate it now, enter, then n",
		"✗ key expired: Wise refuses what it signs or encrypts. Rotate it: enter, then n",
		"→ serves no OAuth client: set JOSE up from the client, a, then JOSE keys",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("the dashboard does not show %q:\n%s", want, v)
		}
	}
	if i := d.rowIndex("acme-sig"); d.rows[i].height() != 1 {
		t.Errorf("a key with 300 days left and uploaded has %d lines", d.rows[i].height())
	}
	// During a rotation the new key is not due: no reminder for it.
	if i := d.rowIndex("acme-enc"); d.rows[i].height() != 3 {
		t.Errorf("a rotating key has %d lines, want its two countdowns and the rotation's note", d.rows[i].height())
	}
	if strings.Contains(v, "wisewallet jose") {
		t.Error("the dashboard names a command instead of the app's keys")
	}
	coreGolden(t, coreAppOn(c, d))
}

// Once the old key has retired (its private half wiped) its countdown
// goes, and a revoked key counts nothing.
func TestDashboardJOSEOldKeyGoesOnceRetired(t *testing.T) {
	e := coreJOSEEntries()[1]
	items := itemsOf(e)
	if len(items) != 2 || items[0].what != "old key" || items[1].what != "key valid" {
		t.Fatalf("items %+v, want the old key's and the key's", items)
	}
	e.Secrets = e.Secrets[:1]
	if items := itemsOf(e); len(items) != 1 {
		t.Errorf("items after the retirement: %+v", items)
	}
	e = coreJOSEEntries()[1]
	e.Status = flows.StatusRevoked
	if items := itemsOf(e); len(items) != 0 {
		t.Errorf("a revoked key counts %+v", items)
	}
	// Past its retirement, before the wipe is saved: no note that it works.
	e = coreJOSEEntries()[1]
	if notes := joseNotes(e, itemsOf(e), coreNow.Add(21*time.Hour)); len(notes) != 0 {
		t.Errorf("notes after the retirement: %+v", notes)
	}
}
