package linkup

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPacerLetsSendsGoFirst(t *testing.T) {
	p := NewPacer(600) // 10 a second, a burst of 60
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	// Sends take the burst down to half: reads then wait for the allowance to refill.
	for range 32 {
		r := p.Reserve()
		require.NotNil(t, r)
		require.Zero(t, r.Delay(), "sends within the burst go at once")
	}
	short, cancelShort := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancelShort()
	assert.ErrorIs(t, p.WaitRead(short), context.DeadlineExceeded, "a read waits while sends hold half the burst")
	require.NoError(t, p.WaitRead(ctx), "a read goes once the allowance refills")
}

func TestNoPacerLetsEverythingThrough(t *testing.T) {
	var p *Pacer = NewPacer(0)
	assert.Nil(t, p.Reserve())
	assert.NoError(t, p.WaitRead(context.Background()))
}

func TestPacerShareSplitsTheAllowance(t *testing.T) {
	p := NewPacer(300)
	p.Share(2)
	assert.InDelta(t, 2.5, float64(p.lim.Limit()), 1e-9, "150 a minute each")
	assert.Equal(t, 15, p.lim.Burst())
	assert.Equal(t, int64(7), p.reserve.Load(), "reads still leave half the burst to sends")
	p.Share(1)
	assert.InDelta(t, 5, float64(p.lim.Limit()), 1e-9)
	assert.Equal(t, 30, p.lim.Burst())
	var none *Pacer
	none.Share(3) // no cap: nothing to share
}
