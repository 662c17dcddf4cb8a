package tui

// The JOSE keys' part of the live view. A key counts down to its
// valid-till, and while a rotation's overlap lasts its previous key counts
// down to its retirement, when Wise stops taking it and its private half
// is wiped. From 30 days before valid-till the row says to rotate it, and
// a key Wise does not have yet says how to upload it, in the app's keys.

import (
	"fmt"
	"time"

	"github.com/wisewallet/wisewallet/flows"
)

// joseReminder is how long before a key's valid-till the dashboard asks
// for a rotation: as for a certificate.
const joseReminder = flows.CertificateRenewalReminder

// joseNotes are the lines under a JOSE row: an upload to make, the
// rotation reminder from 30 days before valid-till, what an expired key
// means, and the previous key's retirement.
func joseNotes(e flows.EntryView, items []dashItem, now time.Time) []note {
	if e.Kind != flows.KindJOSE || e.Status != flows.StatusOK {
		return nil
	}
	var out []note
	switch {
	case e.LinkedTo == "":
		out = append(out, note{text: "→ serves no OAuth client: set JOSE up from the client, a, then JOSE keys", warn: true})
	case !e.Uploaded:
		out = append(out, note{text: "→ not uploaded to Wise yet: enter, then u", warn: true})
	}
	for _, it := range items {
		left := it.end.Sub(now)
		switch {
		case it.kind == flows.PreviousKeyRetires && left > 0:
			out = append(out, note{text: fmt.Sprintf("↻ rotating: the old key %s works until %s, then it is wiped", shortID(e.PrevKeyID), flows.ShowNear(it.end, now))})
		case it.kind != flows.KeyValidity:
		case left <= 0:
			out = append(out, note{text: "✗ key expired: Wise refuses what it signs or encrypts. Rotate it: enter, then n", bad: true})
		case left <= joseReminder && e.PrevKeyID == "":
			out = append(out, note{text: fmt.Sprintf("⚠ key ends in %s (%s): rotate it now, enter, then n", span(left), flows.ShowNear(it.end, now)), bad: left <= 7*24*time.Hour})
		}
	}
	return out
}

// shortID is the start of a key id: enough to tell two apart on a row.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8] + "…"
	}
	return id
}
