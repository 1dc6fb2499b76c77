package campaign

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

func TestParseHours(t *testing.T) {
	h, err := ParseHours("Mon-Fri 09:00-18:00")
	require.NoError(t, err)
	assert.Equal(t, [7]bool{false, true, true, true, true, true, false}, h.Days)
	assert.Equal(t, [2]int{540, 1080}, [2]int{h.From, h.To})
	h, err = ParseHours("Fri-Mon 10:00-12:30")
	require.NoError(t, err)
	assert.Equal(t, [7]bool{true, true, false, false, false, true, true}, h.Days, "a range wraps over the weekend")
	h, err = ParseHours("always")
	require.NoError(t, err)
	assert.True(t, h.Always)
	for _, bad := range []string{"", "Mon-Fri", "Mon-Fry 09:00-18:00", "Mon 18:00-09:00", "Mon 9h-18h"} {
		_, err := ParseHours(bad)
		assert.Error(t, err, bad)
	}
}

func TestNextKeepsToWorkingHoursInTheOwnersZone(t *testing.T) {
	h, _ := ParseHours("Mon-Fri 09:00-18:00")
	p := Pace{Hours: h}
	paris, ny := mustLoc(t, "Europe/Paris"), mustLoc(t, "America/New_York")
	// Wednesday 2026-12-02 10:00 UTC: 11:00 in Paris (open), 05:00 in New York (not yet).
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	assert.Equal(t, now, p.Next(now, time.Time{}, paris, 0))
	assert.Equal(t, time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC), p.Next(now, time.Time{}, ny, 0), "09:00 in New York")
	// Friday 18:30 Paris: Monday 09:00.
	fri := time.Date(2026, 12, 4, 17, 30, 0, 0, time.UTC)
	assert.Equal(t, time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC), p.Next(fri, time.Time{}, paris, 0))
	// A gap that ends after 18:00 waits for the next morning.
	assert.Equal(t, time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC), p.Next(now, time.Date(2026, 12, 2, 17, 1, 0, 0, time.UTC), paris, 0))
	// always
	assert.Equal(t, fri, Pace{Hours: Hours{Always: true}}.Next(fri, time.Time{}, paris, 0))
}

func TestNextAcrossDST(t *testing.T) {
	h, _ := ParseHours("Mon-Fri 09:00-18:00")
	p := Pace{Hours: h}
	paris := mustLoc(t, "Europe/Paris")
	// Paris moves to summer time on Sunday 2026-03-29: Friday 09:00 is
	// 08:00 UTC, Monday 09:00 is 07:00 UTC.
	fri := time.Date(2026, 3, 27, 17, 30, 0, 0, time.UTC) // 18:30 CET
	assert.Equal(t, time.Date(2026, 3, 30, 7, 0, 0, 0, time.UTC), p.Next(fri, time.Time{}, paris, 0))
	// And back on 2026-10-25.
	fri = time.Date(2026, 10, 23, 16, 30, 0, 0, time.UTC) // 18:30 CEST
	assert.Equal(t, time.Date(2026, 10, 26, 8, 0, 0, 0, time.UTC), p.Next(fri, time.Time{}, paris, 0))
	// A window starting in the skipped hour opens when the clocks jump.
	h2, _ := ParseHours("Sun 02:30-04:00")
	sat := time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)
	got := Pace{Hours: h2}.Next(sat, time.Time{}, paris, 0)
	assert.Equal(t, time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC), got, "02:30 does not exist that night: 03:30 CEST")
}

func TestDailyCapIsSharedWithManualSends(t *testing.T) {
	p := Pace{Hours: Hours{Always: true}, DailyLimit: 3}
	now := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)
	assert.Equal(t, now, p.Next(now, time.Time{}, time.UTC, 2), "under the cap: now")
	assert.Equal(t, time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), p.Next(now, time.Time{}, time.UTC, 3),
		"three sends today (manual ones count): the next UTC day")
	h, _ := ParseHours("Mon-Fri 09:00-18:00")
	p.Hours = h
	paris := mustLoc(t, "Europe/Paris")
	assert.Equal(t, time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC), p.Next(now, time.Time{}, paris, 3), "the next day, once its hours open")
}

func TestGapsAndFinish(t *testing.T) {
	p := Pace{GapMin: 90 * time.Second, GapMax: 300 * time.Second, Hours: Hours{Always: true}}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		g := p.Gap(r)
		require.GreaterOrEqual(t, g, p.GapMin)
		require.LessOrEqual(t, g, p.GapMax)
	}
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	assert.Equal(t, now.Add(2*195*time.Second), p.Finish(now, 3, time.UTC, 0), "three sends: two mean gaps")
	p.DailyLimit = 2
	assert.Equal(t, time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), p.Finish(now, 3, time.UTC, 0), "the third waits for the next day")
	assert.Equal(t, time.Date(2026, 12, 3, 0, 3, 15, 0, time.UTC), p.Finish(now, 3, time.UTC, 1))
}
