package bot

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakeslack"
)

// A burst of slash commands is handled concurrently, at most maxCommands at
// once: each command's handler (its accept, which the ack waits for) does
// not wait for the one before it.
func TestSlashCommandsAreHandledConcurrentlyUpToTheBound(t *testing.T) {
	sl := fakeslack.New(fakeslack.Options{AppToken: "xapp-1", BotToken: "xoxb-1"})
	defer sl.Close()
	api := slack.New("xoxb-1", slack.OptionAPIURL(sl.APIURL()), slack.OptionAppLevelToken("xapp-1"))
	b := New(socketmode.New(api), nil, nil, zerolog.Nop())

	const burst = maxCommands + 8
	var inFlight, most, handled atomic.Int32
	release := make(chan struct{})
	b.handleEvent = func(ctx context.Context, evt socketmode.Event, readAt time.Time) {
		if evt.Type != socketmode.EventTypeSlashCommand {
			return
		}
		n := inFlight.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release // as an accept held up by the disk
		inFlight.Add(-1)
		handled.Add(1)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = b.Run(ctx) })
	_, err := sl.WaitConnected(ctx)
	require.NoError(t, err)
	for i := range burst {
		require.NoError(t, sl.SendFrame(fmt.Appendf(nil, `{"envelope_id":"e%d","type":"slash_commands","accepts_response_payload":true,"payload":{"command":"/linkedin-send","text":"x","user_id":"U1","channel_id":"C1"}}`, i)))
	}
	assert.Eventually(t, func() bool { return inFlight.Load() == maxCommands }, 5*time.Second, time.Millisecond,
		"a burst's commands are handled at once, not one at a time")
	time.Sleep(50 * time.Millisecond)
	assert.Equal(t, int32(maxCommands), most.Load(), "never more than maxCommands at once")
	close(release)
	assert.Eventually(t, func() bool { return handled.Load() == burst }, 5*time.Second, time.Millisecond, "every command handled once its turn came")
	cancel()
	wg.Wait()
	assert.Equal(t, int32(burst), handled.Load())
}
