package send

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/internal/fakeslack"
	"linkedin-bot/linkup"
	"linkedin-bot/store"
)

// Slack rate-limits posts for longer than a delivery may wait
// (SlackTimeout), and cannot be read back: a post rate-limited at every
// attempt made nothing, so it is not a try that may have posted (after two
// of those, which could not be looked for, the bot would stop making it).
// Each post of the send is made once Slack takes posts again, exactly
// once, at its place.
func TestARateLimitedOutcomeIsNotATryThatMayHavePosted(t *testing.T) {
	eachLog(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		lk := fakelinkup.New()
		t.Cleanup(lk.Close)
		sl := fakeslack.New(fakeslack.Options{BotToken: "xoxb-test"})
		t.Cleanup(sl.Close)
		const limit = 5 * time.Second
		sl.LimitFor("chat.postMessage", limit)
		sl.FailCalls("conversations.history", 1000)
		sl.FailCalls("conversations.replies", 1000)
		logs := &lockedBuffer{}
		p := New(Config{Workers: 1, NotifyChannel: "C0NOTIFY1", SlackTimeout: 1200 * time.Millisecond, RedeliverEvery: 300 * time.Millisecond}, st,
			linkup.New(linkup.Config{BaseURL: lk.URL(), APIKey: "key", LoginToken: "token"}),
			slack.New("xoxb-test", slack.OptionAPIURL(sl.APIURL())), zerolog.New(logs).Level(zerolog.DebugLevel))
		require.NoError(t, p.Start(ctx))
		t.Cleanup(func() { _ = p.Close(ctx) })

		sd := store.Send{IdemKey: "envelope:busy", AcceptToken: store.NewAcceptToken(), Account: "default",
			Requester: "U0ALICE01", Channel: "C0SALES01", Recipient: "https://www.linkedin.com/in/jane-doe", Message: "Hi", Country: "FR"}
		rec, err := st.Accept(ctx, sd, 0)
		require.NoError(t, err)
		p.poke()
		waitFor(t, "every post of the send", func() bool {
			got, err := st.Get(ctx, rec.ID)
			return err == nil && got.State.Final() && got.Announced && got.OutcomePosted && got.Notified
		})
		got, err := st.Get(ctx, rec.ID)
		require.NoError(t, err)
		assert.Equal(t, store.Sent, got.State)

		limited := 0
		for _, c := range sl.Calls("chat.postMessage") {
			if c.RetryAfter > 0 {
				limited++
			}
		}
		assert.Greater(t, limited, maxTries, "the posts met the limit more often than the tries that may have posted allow")
		count := func(channel, thread, sub string) int {
			n := 0
			for _, post := range sl.Posts() {
				if post.Channel == channel && post.ThreadTS == thread && strings.Contains(post.Text, sub) {
					n++
				}
			}
			return n
		}
		assert.Equal(t, 1, count("C0SALES01", "", "LinkedIn message"), "the root once")
		assert.Equal(t, 1, count("C0SALES01", got.RootTS, "Sent on LinkedIn"), "the outcome once, in the thread")
		assert.Equal(t, 1, count("C0NOTIFY1", "", ""), "the notification once")
		assert.NotContains(t, logs.String(), "not making it again")
		assert.Equal(t, 1, lk.Count())
	})
}
