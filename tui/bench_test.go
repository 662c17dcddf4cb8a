package tui

import (
	"context"
	"fmt"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
)

// BenchmarkDashboardView1000 renders the whole frame of the dashboard with
// 1,000 entries at 100x30, as the program does once a second (target:
// under 5 ms).
func BenchmarkDashboardView1000(b *testing.B) {
	c := coreCommon(coreFake(), 100, 30)
	base := coreEntries()
	entries := make([]flows.EntryView, 1000)
	for i := range entries {
		entries[i] = base[i%len(base)]
		entries[i].Name = fmt.Sprintf("entry-%04d", i)
	}
	d := coreDashboard(c, entries)
	var s Screen = d
	s, _ = s.Update(keyPress("end")) // the worst case for finding the rows to draw
	a := coreAppOn(c, s)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = a.View()
	}
}

// BenchmarkFirstFrame is the app from New to its first frame on the
// unlock screen (target: under 100 ms).
func BenchmarkFirstFrame(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		a := New(context.Background(), Options{Unlock: func(context.Context, crypto.Secret) (Backend, error) { return nil, nil }})
		_ = a.Init()
		m, _ := a.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
		_ = m.View()
	}
}
