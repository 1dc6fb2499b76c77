package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func keysOf(ms []ConvMessage) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Key
	}
	return out
}

func replies(conv int64, from, to int) []ConvMessage {
	var out []ConvMessage
	for i := from; i <= to; i++ {
		out = append(out, ConvMessage{Conversation: conv, Key: fmt.Sprintf("m%02d", i), SentAt: time.UnixMilli(int64(1_700_000_000_000 + i)), Kind: MsgReply, Sender: "Jane", Body: fmt.Sprint(i)})
	}
	return out
}

// A read cut short holds what it read until the older messages are read:
// then all are owed, oldest first, each once.
func TestCutReadsAreHeldThenReleasedInOrder(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c, err := s.Watch(ctx, Conversation{ConversationID: "2-abc", Channel: "C1", ThreadTS: "1.1"})
		require.NoError(t, err)
		_, err = s.RecordMessages(ctx, replies(c.ID, 1, 2)) // mirrored before
		require.NoError(t, err)
		for _, m := range replies(c.ID, 1, 2) {
			require.NoError(t, s.MarkMessage(ctx, c.ID, m.Key, false))
			require.NoError(t, s.MarkMessage(ctx, c.ID, m.Key, true))
		}

		// The newest two pages (m23..m40) read, then the cap: held.
		gap := "20"
		added, err := s.RecordRead(ctx, c.ID, nil, replies(c.ID, 23, 40), &gap)
		require.NoError(t, err)
		assert.Len(t, added, 18)
		owed, err := s.OwedMessages(ctx)
		require.NoError(t, err)
		assert.Empty(t, owed, "held messages are not owed")
		cursor, ok, err := s.Gap(ctx, c.ID)
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, "20", cursor)
		held, err := s.HeldMessages(ctx, c.ID)
		require.NoError(t, err)
		assert.Len(t, held, 18)
		known, err := s.KnownMessages(ctx, c.ID, []string{"m23", "m22"})
		require.NoError(t, err)
		assert.Equal(t, map[string]bool{"m23": true}, known)

		// Cut again: an older page (m13..m22) and two newer messages, still held.
		gap = "30"
		_, err = s.RecordRead(ctx, c.ID, replies(c.ID, 13, 22), replies(c.ID, 41, 42), &gap)
		require.NoError(t, err)
		owed, err = s.OwedIn(ctx, c.ID)
		require.NoError(t, err)
		assert.Empty(t, owed)

		// The rest (m03..m12): the gap closes, everything is owed in order.
		added, err = s.RecordRead(ctx, c.ID, replies(c.ID, 3, 12), replies(c.ID, 43, 43), nil)
		require.NoError(t, err)
		assert.Equal(t, keysOf(append(replies(c.ID, 3, 12), replies(c.ID, 43, 43)...)), keysOf(added), "the new ones")
		_, ok, err = s.Gap(ctx, c.ID)
		require.NoError(t, err)
		assert.False(t, ok, "no gap left")
		owed, err = s.OwedIn(ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, keysOf(replies(c.ID, 3, 43)), keysOf(owed), "oldest first, each once")
		all, err := s.OwedMessages(ctx)
		require.NoError(t, err)
		assert.Equal(t, keysOf(owed), keysOf(all))

		// A message recorded again (a page read twice) is not added twice.
		again, err := s.RecordRead(ctx, c.ID, nil, replies(c.ID, 40, 43), nil)
		require.NoError(t, err)
		assert.Empty(t, again)
	})
}

// A try Slack refused certainly made no post: it no longer counts.
func TestRefusedTriesDoNotCount(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c, err := s.Watch(ctx, Conversation{ConversationID: "2-abc", Channel: "C1"})
		require.NoError(t, err)
		_, err = s.RecordMessages(ctx, replies(c.ID, 1, 1))
		require.NoError(t, err)
		require.NoError(t, s.IntendMessage(ctx, c.ID, "m01", false))
		require.NoError(t, s.IntendMessage(ctx, c.ID, "m01", false))
		require.NoError(t, s.RefusedMessage(ctx, c.ID, "m01", false))
		require.NoError(t, s.IntendMessage(ctx, c.ID, "m01", true))
		require.NoError(t, s.RefusedMessage(ctx, c.ID, "m01", true))
		require.NoError(t, s.RefusedMessage(ctx, c.ID, "m01", true))
		owed, err := s.OwedIn(ctx, c.ID)
		require.NoError(t, err)
		require.Len(t, owed, 1)
		assert.Equal(t, 1, owed[0].Tries)
		assert.Equal(t, 0, owed[0].NotifyTries, "never below zero")

		require.NoError(t, s.IntendRoot(ctx, c.ID))
		require.NoError(t, s.RefusedRoot(ctx, c.ID))
		got, err := s.GetConversation(ctx, c.ID)
		require.NoError(t, err)
		assert.Zero(t, got.RootTries)
	})
}
