package campaign

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Hours are the working hours a campaign sends in (CAMPAIGN_HOURS), in the
// owner's time zone: some weekdays, from a time of day to another. The
// zero Hours is "always".
type Hours struct {
	Always bool
	Days   [7]bool // by time.Weekday
	// From and To are minutes after midnight, From < To.
	From, To int
}

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// ParseHours reads CAMPAIGN_HOURS: "always", or days and a time range,
// such as "Mon-Fri 09:00-18:00" or "Mon,Wed,Sat 10:00-12:30".
func ParseHours(s string) (Hours, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "always") {
		return Hours{Always: true}, nil
	}
	daysPart, timePart, ok := strings.Cut(s, " ")
	if !ok {
		return Hours{}, fmt.Errorf("must be `always` or days and hours, such as `Mon-Fri 09:00-18:00`")
	}
	var h Hours
	for _, part := range strings.Split(daysPart, ",") {
		from, to, isRange := strings.Cut(strings.ToLower(strings.TrimSpace(part)), "-")
		a, ok1 := weekdays[from]
		b, ok2 := a, true
		if isRange {
			b, ok2 = weekdays[to]
		}
		if !ok1 || !ok2 {
			return Hours{}, fmt.Errorf("has an unknown day in %q (use Mon, Tue, Wed, Thu, Fri, Sat, Sun)", part)
		}
		for d := a; ; d = (d + 1) % 7 {
			h.Days[d] = true
			if d == b {
				break
			}
		}
	}
	fromS, toS, ok := strings.Cut(strings.TrimSpace(timePart), "-")
	if !ok {
		return Hours{}, fmt.Errorf("needs a time range such as `09:00-18:00`")
	}
	var err error
	if h.From, err = clock(fromS); err == nil {
		h.To, err = clock(toS)
	}
	if err != nil {
		return Hours{}, err
	}
	if h.From >= h.To {
		return Hours{}, fmt.Errorf("must end after it starts (%s)", timePart)
	}
	return h, nil
}

func clock(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("has a time %q that is not HH:MM", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// at is the instant of minute m of day (y, mo, d) in loc. A time that a
// DST change skips is moved forward, as time.Date does.
func at(y int, mo time.Month, d, m int, loc *time.Location) time.Time {
	return time.Date(y, mo, d, m/60, m%60, 0, 0, loc)
}

// Open returns t when it is within the hours in loc, else the start of the
// next window after t.
func (h Hours) Open(t time.Time, loc *time.Location) time.Time {
	if h.Always {
		return t
	}
	lt := t.In(loc)
	for i := 0; i < 8; i++ {
		y, mo, d := lt.Date()
		day := time.Date(y, mo, d+i, 12, 0, 0, 0, loc) // noon: always exists
		if !h.Days[day.Weekday()] {
			continue
		}
		start := at(day.Year(), day.Month(), day.Day(), h.From, loc)
		end := at(day.Year(), day.Month(), day.Day(), h.To, loc)
		if !t.Before(end) {
			continue
		}
		if t.Before(start) {
			return start.In(t.Location())
		}
		return t
	}
	return t // no day at all: cannot happen with a parsed Hours
}

// Pace is how a campaign's sends are spaced.
type Pace struct {
	GapMin, GapMax time.Duration // CAMPAIGN_GAP_MIN and _MAX
	Hours          Hours
	DailyLimit     int // DAILY_SEND_LIMIT, shared with manual sends; 0: none
}

// Gap draws the wait after a send, uniformly in [GapMin, GapMax].
func (p Pace) Gap(r *rand.Rand) time.Duration {
	if p.GapMax <= p.GapMin {
		return p.GapMin
	}
	return p.GapMin + time.Duration(r.Int64N(int64(p.GapMax-p.GapMin)+1))
}

// utcDay is the start of t's UTC day, when daily caps reset.
func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Next is when the next send may go: not before now nor earliest (the
// previous send and its gap), within the hours in loc, and on a UTC day
// whose cap is not reached (sentToday are the account's sends counted
// today, now's day).
func (p Pace) Next(now, earliest time.Time, loc *time.Location, sentToday int) time.Time {
	t := now
	if earliest.After(t) {
		t = earliest
	}
	for range 16 {
		t = p.Hours.Open(t, loc)
		if p.DailyLimit <= 0 || sentToday < p.DailyLimit || !utcDay(t).Equal(utcDay(now)) {
			return t
		}
		t = utcDay(now).Add(24 * time.Hour) // the cap resets at 00:00 UTC
	}
	return t
}

// Finish estimates when n sends end, starting at now, each a mean gap
// after the previous, within the hours and the daily cap (sentToday
// already counted today).
func (p Pace) Finish(now time.Time, n int, loc *time.Location, sentToday int) time.Time {
	mean := (p.GapMin + p.GapMax) / 2
	t, day, count := now, utcDay(now), sentToday
	var last time.Time
	for i := range n {
		if i > 0 {
			t = last.Add(mean)
		}
		for {
			if d := utcDay(t); !d.Equal(day) {
				day, count = d, 0
			}
			next := p.Next(t, t, loc, count)
			if utcDay(next).Equal(day) {
				t = next
				break
			}
			t = next
		}
		count++
		last = t
	}
	return last
}
