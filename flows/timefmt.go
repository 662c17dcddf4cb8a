package flows

import "time"

// TimeLayout is how a time is written for people everywhere: the command
// line, the app and the errors. The date, the time to the second and the
// zone, so a time quoted from a screenshot, a log or another machine
// cannot be misread (issue 13: it was RFC 3339 here, 3:04PM there, a bare
// 15:04:05 elsewhere). JSON keeps RFC 3339.
const TimeLayout = "2006-01-02 15:04:05 MST"

// ShowTime writes t in TimeLayout in loc (time.Local on the command line,
// the clock's zone in the app, UTC in errors of this package, which may be
// read on another machine).
func ShowTime(t time.Time, loc *time.Location) string { return t.In(loc).Format(TimeLayout) }

// ClockLayout is TimeLayout without the date, for ShowNear.
const ClockLayout = "15:04:05 MST"

// ShowNear is ShowTime without the date when t falls on now's day in now's
// zone: the app's live notes ("renewed 12:00:10 UTC by itself"), where the
// day goes without saying and the width is short.
func ShowNear(t, now time.Time) string {
	at := t.In(now.Location())
	if y, m, d := at.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return at.Format(ClockLayout)
	}
	return at.Format(TimeLayout)
}
