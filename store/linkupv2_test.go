package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An account's webhook is kept across restarts, replaced when it changes,
// and outlives the account's removal, so that its monitoring can still be
// stopped.
func TestLinkupWebhooksAreKeptAndOutliveTheirAccount(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		hooks, err := s.LinkupWebhooks(ctx)
		require.NoError(t, err)
		assert.Empty(t, hooks)
		since := time.UnixMilli(1_736_937_060_123).UTC()
		healthy := time.UnixMilli(1_736_937_070_000).UTC()
		require.NoError(t, s.PutLinkupWebhook(ctx, LinkupWebhook{Account: "team", WebhookID: "wh1", AccountID: "69c1", State: WebhookActive}))
		require.NoError(t, s.PutLinkupWebhook(ctx, LinkupWebhook{Account: "alice", WebhookID: "wh2", AccountID: "69c2", State: WebhookActive}))
		require.NoError(t, s.PutLinkupWebhook(ctx, LinkupWebhook{Account: "team", WebhookID: "wh1", AccountID: "69c1", State: WebhookStopped, EventsSince: since, HealthyAt: healthy}))

		check := []byte{1}
		require.NoError(t, s.PutAccount(ctx, Account{Name: "team", Country: "FR"}, []string{"U1"}, check, func(string) ([]byte, error) { return []byte{7}, nil }))
		require.NoError(t, s.PutLinkupAccount(ctx, LinkupAccount{Name: "team", AccountID: "69c1", TokenHash: "h1"}))
		require.NoError(t, s.RemoveAccount(ctx, "team"))

		hooks, err = s.LinkupWebhooks(ctx)
		require.NoError(t, err)
		assert.Equal(t, []LinkupWebhook{
			{Account: "alice", WebhookID: "wh2", AccountID: "69c2", State: WebhookActive},
			{Account: "team", WebhookID: "wh1", AccountID: "69c1", State: WebhookStopped, EventsSince: since, HealthyAt: healthy},
		}, hooks, "replaced, and kept after the account's removal")
		require.NoError(t, s.DeleteLinkupWebhook(ctx, "team"))
		hooks, err = s.LinkupWebhooks(ctx)
		require.NoError(t, err)
		require.Len(t, hooks, 1)
		assert.Equal(t, "alice", hooks[0].Account)
	})
}

// An event is handled once whichever of its keys comes again, per
// webhook; the keys are forgotten after two days by the database's clock.
func TestEventsAreHandledOnceByAnyOfTheirKeys(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		handled := func(webhook string, keys ...string) bool {
			t.Helper()
			ok, err := s.EventsHandled(ctx, webhook, keys...)
			require.NoError(t, err)
			return ok
		}
		assert.False(t, handled("wh1", "id:e1", "content:c1"))
		require.NoError(t, s.MarkEventHandled(ctx, "wh1", "id:e1", "content:c1"))
		require.NoError(t, s.MarkEventHandled(ctx, "wh1", "content:c1"), "twice is harmless")
		assert.True(t, handled("wh1", "content:c1"), "the stream's copy, by its content")
		assert.True(t, handled("wh1", "id:e1", "content:other"), "the replay's, by its id")
		assert.True(t, handled("wh1", "id:e9", "content:c1"), "the replay's copy of a stream event, by its content")
		assert.False(t, handled("wh2", "id:e1", "content:c1"), "another webhook's")
		assert.False(t, handled("wh1", "content:c2"))

		_, err := s.db.ExecContext(ctx, `UPDATE linkup_events SET seen_at = seen_at - ?`, (eventsKept + time.Minute).Milliseconds())
		require.NoError(t, err)
		require.NoError(t, s.MarkEventHandled(ctx, "wh1", "content:c3"))
		assert.False(t, handled("wh1", "content:c1"), "forgotten after two days")
		assert.True(t, handled("wh1", "content:c3"))
	})
}
