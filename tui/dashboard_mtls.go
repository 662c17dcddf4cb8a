package tui

// The certificate's part of the live view. Wise e-mails only the
// application's technical contact before a client certificate expires, so
// the dashboard is where everyone else sees it coming: from 30 days before
// not-after its row says so and how to renew, in the app's keys.

import (
	"fmt"
	"time"

	"github.com/wisewallet/wisewallet/flows"
)

// certificateLevel grades a certificate's bar by the days left rather than
// by the share of its year: yellow from the reminder on, red in its last
// week.
func certificateLevel(left time.Duration) level {
	switch {
	case left <= 7*24*time.Hour:
		return levelBad
	case left <= flows.CertificateRenewalReminder:
		return levelWarn
	}
	return levelGood
}

// certificateNotes are the lines under an mTLS row: a setup to finish,
// the renewal reminder from 30 days before not-after, and what an expired
// certificate means.
func certificateNotes(e flows.EntryView, items []dashItem, now time.Time) []note {
	var out []note
	if e.Kind == flows.KindMTLS && e.NotAfter == nil && e.Status == flows.StatusOK {
		return []note{{text: "→ have the CSR signed in Developer Hub, then import it: enter, then i", warn: true}}
	}
	for _, it := range items {
		if it.kind != flows.Certificate {
			continue
		}
		left := it.end.Sub(now)
		switch {
		case left <= 0:
			out = append(out, note{text: "✗ certificate expired: Wise refuses its mTLS calls. Renew: enter, then n", bad: true})
		case left <= flows.CertificateRenewalReminder:
			out = append(out, note{text: fmt.Sprintf("⚠ certificate ends in %s (%s): renew it now, enter, then n", span(left), flows.ShowNear(it.end, now)), bad: left <= 7*24*time.Hour})
		}
	}
	return out
}
