package linkup

import (
	"context"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Pacer shares Linkup's per-key request allowance (300 a minute, every
// endpoint counted) between sends and reads, sends first: a read waits while
// the allowance left is under half its burst, so that reads never take the
// turn of a send that is waiting. A nil *Pacer, or one for 0 per minute,
// lets everything through.
type Pacer struct {
	lim       *rate.Limiter
	reserve   atomic.Int64 // the tokens reads leave to sends
	perMinute int
	shares    atomic.Int64
}

// NewPacer returns a Pacer for perMinute calls; 0 means no cap.
func NewPacer(perMinute int) *Pacer {
	if perMinute <= 0 {
		return nil
	}
	// A burst of a tenth of the minute's allowance, so that a quiet bot
	// answers a few requests at once without overrunning Linkup.
	burst := max(1, perMinute/10)
	p := &Pacer{lim: rate.NewLimiter(rate.Limit(float64(perMinute)/60), burst), perMinute: perMinute}
	p.reserve.Store(int64(burst / 2))
	p.shares.Store(1)
	return p
}

// Share paces to one n-th of the allowance: n bots share one API key, each
// pacing its own calls. It is safe to call while others wait their turn.
func (p *Pacer) Share(n int) {
	if p == nil || n < 1 || p.shares.Swap(int64(n)) == int64(n) {
		return
	}
	burst := max(1, p.perMinute/10/n)
	p.lim.SetLimit(rate.Limit(float64(p.perMinute) / 60 / float64(n)))
	p.lim.SetBurst(burst)
	p.reserve.Store(int64(burst / 2))
}

// Reserve takes a send's turn and returns it (cancel it to give it back);
// nil when there is no cap.
func (p *Pacer) Reserve() *rate.Reservation {
	if p == nil {
		return nil
	}
	return p.lim.Reserve()
}

// WaitRead waits for a read's turn: until more than half the burst is
// left, so that sends keep the rest. It returns ctx's error if ctx ends first.
func (p *Pacer) WaitRead(ctx context.Context) error {
	if p == nil {
		return ctx.Err()
	}
	for {
		if p.lim.Tokens() > float64(p.reserve.Load()) && p.lim.Allow() {
			return nil
		}
		t := time.NewTimer(time.Duration(float64(time.Second) / float64(p.lim.Limit())))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}
