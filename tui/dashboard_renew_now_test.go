package tui

import (
	"strings"
	"testing"
)

// rowOf moves the dashboard's cursor onto the named entry.
func rowOf(t *testing.T, d *driver, name string) {
	t.Helper()
	db, ok := d.s.(dashboard)
	if !ok {
		t.Fatalf("the screen is a %T, not the dashboard", d.s)
	}
	for i, r := range db.rows {
		if r.e.Name == name {
			for range i - db.cursor {
				d.press("down")
			}
			return
		}
	}
	t.Fatalf("no row for %s", name)
}

// R renews the selected entry's access token now, though it is not due
// (Wise may reject a token before it expires), against localwise; the
// other entries' tokens, not due, are left alone.
func TestDashboardRRenewsTheSelectedEntryNow(t *testing.T) {
	demo, c, clock := coreDemo(t, 100, 30)
	token := func(name string) string {
		t.Helper()
		s, err := demo.Service.Reveal(name, "access_token")
		if err != nil {
			t.Fatal(err)
		}
		return s.RevealString()
	}
	user, client := token("partner-user"), token("acme-app")
	d := newDriver(t, newDashboard(c))
	d.send(TickMsg(clock.Now()))
	rowOf(t, d, "partner-user")
	d.press("R")
	toast, ok := firstNav[ToastMsg](d)
	if !ok || !strings.Contains(toast.Text, "Renewed the access token of partner-user") {
		t.Fatalf("R on partner-user: %+v", toast)
	}
	if token("partner-user") == user {
		t.Error("R did not renew the selected user's access token")
	}
	if token("acme-app") != client {
		t.Error("R renewed a token that was not selected nor due")
	}
}
