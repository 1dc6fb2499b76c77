package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWatchFindsAndMovesConversations(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.UnixMilli(1_700_000_000_000).UTC()
		jane := "https://www.linkedin.com/in/jane-doe"

		// A send without a conversation ID, then Linkup gives one: one conversation.
		a, err := s.Watch(ctx, Conversation{ProfileURL: jane, Requester: "U1", Channel: "C1", ThreadTS: "1.1", Since: t0, LastActivity: t0})
		require.NoError(t, err)
		b, err := s.Watch(ctx, Conversation{ConversationID: "2-abc", ProfileURL: jane, Requester: "U2", Channel: "C2", ThreadTS: "2.2", Since: t0.Add(time.Hour), LastActivity: t0.Add(time.Hour)})
		require.NoError(t, err)
		assert.Equal(t, a.ID, b.ID)
		assert.Equal(t, "2-abc", b.ConversationID)
		assert.Equal(t, "C2", b.Channel, "the newest send's thread is the mirror")
		assert.Equal(t, "2.2", b.ThreadTS)
		assert.Equal(t, "U2", b.Requester)
		assert.Equal(t, t0, b.Since, "the earlier start is kept")
		assert.Equal(t, t0.Add(time.Hour), b.LastActivity)

		// By its ID, found again; the mention resets with a new thread.
		require.NoError(t, s.SetMentioned(ctx, b.ID))
		c, err := s.Watch(ctx, Conversation{ConversationID: "2-abc", Channel: "C2", ThreadTS: "2.2"})
		require.NoError(t, err)
		assert.True(t, c.Mentioned, "same thread: the mention stays")
		c, err = s.Watch(ctx, Conversation{ConversationID: "2-abc", Channel: "C3", ThreadTS: "3.3", Requester: "U3"})
		require.NoError(t, err)
		assert.False(t, c.Mentioned, "a new thread mentions its requester again")

		// Another conversation with the same person (another ID) is another row.
		d, err := s.Watch(ctx, Conversation{ConversationID: "2-other", ProfileURL: jane, Channel: "C1"})
		require.NoError(t, err)
		assert.NotEqual(t, a.ID, d.ID)

		got, err := s.ConversationByThread(ctx, "C3", "3.3")
		require.NoError(t, err)
		assert.Equal(t, a.ID, got.ID)
		_, err = s.ConversationByThread(ctx, "C9", "9.9")
		assert.ErrorIs(t, err, ErrNotFound)
	})
}

func TestMessagesAreRecordedOnceAndOwedUntilPosted(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c, err := s.Watch(ctx, Conversation{ConversationID: "2-abc", Channel: "C1", ThreadTS: "1.1"})
		require.NoError(t, err)
		at := time.Now()
		msgs := []ConvMessage{
			{Conversation: c.ID, Key: "k1", SentAt: at, Kind: MsgOwn, Body: "mine"},
			{Conversation: c.ID, Key: "k2", SentAt: at, Kind: MsgReply, Sender: "Jane", Body: "hi"},
			{Conversation: c.ID, Key: "k3", SentAt: at, Kind: MsgAccount, Body: "from LinkedIn"},
			{Conversation: c.ID, Key: "k4", SentAt: at, Kind: MsgEmpty},
		}
		added, err := s.RecordMessages(ctx, msgs)
		require.NoError(t, err)
		assert.Len(t, added, 4)
		again, err := s.RecordMessages(ctx, msgs)
		require.NoError(t, err)
		assert.Empty(t, again, "a message is recorded once")

		owed, err := s.OwedMessages(ctx)
		require.NoError(t, err)
		require.Len(t, owed, 2, "the bot's own and empty messages are never posted")
		assert.Equal(t, []string{"k2", "k3"}, []string{owed[0].Key, owed[1].Key})
		assert.False(t, owed[0].Notified, "a reply is owed a notification")
		assert.True(t, owed[1].Notified, "the account's own message is not")

		require.NoError(t, s.IntendMessage(ctx, c.ID, "k2", false))
		require.NoError(t, s.MarkMessage(ctx, c.ID, "k2", false))
		owed, err = s.OwedMessages(ctx)
		require.NoError(t, err)
		require.Len(t, owed, 2)
		assert.True(t, owed[0].Posted)
		assert.Equal(t, 1, owed[0].Tries)
		require.NoError(t, s.MarkMessage(ctx, c.ID, "k2", true))
		require.NoError(t, s.MarkMessage(ctx, c.ID, "k3", false))
		owed, err = s.OwedMessages(ctx)
		require.NoError(t, err)
		assert.Empty(t, owed)

		known, err := s.KnownMessages(ctx, c.ID, []string{"k1", "k9"})
		require.NoError(t, err)
		assert.Equal(t, map[string]bool{"k1": true}, known)
	})
}

func TestReadCreditsStopAtTheCap(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for i := range 3 {
			ok, err := s.SpendReadCredits(ctx, "2026-11-27", 1, 3)
			require.NoError(t, err)
			assert.True(t, ok, "read %d", i+1)
		}
		ok, err := s.SpendReadCredits(ctx, "2026-11-27", 1, 3)
		require.NoError(t, err)
		assert.False(t, ok, "the fourth credit is refused")
		ok, err = s.SpendReadCredits(ctx, "2026-11-28", 3, 3)
		require.NoError(t, err)
		assert.True(t, ok, "a new day, a new budget")

		first, err := s.MarkReadCapTold(ctx, "2026-11-27")
		require.NoError(t, err)
		assert.True(t, first)
		first, err = s.MarkReadCapTold(ctx, "2026-11-27")
		require.NoError(t, err)
		assert.False(t, first, "told once")

		got, err := s.ReadCredits(ctx, time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"2026-11-27": 3, "2026-11-28": 3}, got)
	})
}

func TestSettleOnlyAnUnknownSendNotRetried(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		unknown := func(key string) Send {
			sd, err := s.Accept(ctx, sample(key), 0)
			require.NoError(t, err)
			_, _, err = s.Claim(ctx, 0)
			require.NoError(t, err)
			require.NoError(t, s.Finish(ctx, sd.ID, Outcome{State: Unknown, Reason: "timeout"}))
			require.NoError(t, s.MarkDelivered(ctx, sd.ID, OutcomePosted, RootUpdated, Notified))
			return sd
		}
		a, b := unknown("env:a"), unknown("env:b")
		retry := sample("retry:b")
		retry.RetryOf = b.ID
		_, err := s.Accept(ctx, retry, 0)
		require.NoError(t, err)

		due, err := s.ToCheck(ctx, 3)
		require.NoError(t, err)
		require.Len(t, due, 1, "a retried send is not checked: the retry's message would look like its own")
		assert.Equal(t, a.ID, due[0].ID)
		for range 3 {
			require.NoError(t, s.RecordCheck(ctx, a.ID))
		}
		due, err = s.ToCheck(ctx, 3)
		require.NoError(t, err)
		assert.Empty(t, due, "three checks at most")

		ok, err := s.Settle(ctx, a.ID, VerdictConfirmed, Outcome{State: Sent, Credits: 1, ConversationID: "2-abc", EntityURN: "urn:1"})
		require.NoError(t, err)
		assert.True(t, ok)
		ok, err = s.Settle(ctx, a.ID, VerdictNotDelivered, Outcome{State: Failed})
		require.NoError(t, err)
		assert.False(t, ok, "settled once")
		got, err := s.Get(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, Sent, got.State)
		assert.Equal(t, VerdictConfirmed, got.Verdict)
		assert.Equal(t, "2-abc", got.ConversationID)
		assert.False(t, got.RootUpdated, "the edits are owed")
		owed, err := s.Undelivered(ctx)
		require.NoError(t, err)
		require.Len(t, owed, 1, "the verdict is owed")
		assert.Equal(t, a.ID, owed[0].ID)
		require.NoError(t, s.RecordPosts(ctx, Posted{ID: a.ID, D: VerdictPosted, Channel: "C1", TS: "5.5"}))
		require.NoError(t, s.MarkDelivered(ctx, a.ID, RootUpdated))
		owed, err = s.Undelivered(ctx)
		require.NoError(t, err)
		assert.Empty(t, owed)
	})
}

func TestAClaimRecordsTheLastMessageSeenInTheConversation(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		unknown := func(sd Send, claimed bool) Unsettled {
			t.Helper()
			var err error
			if claimed {
				sd, err = s.AcceptClaimed(ctx, sd, 0)
				require.NoError(t, err)
			} else {
				sd, err = s.Accept(ctx, sd, 0)
				require.NoError(t, err)
				got, ok, err := s.Claim(ctx, 0)
				require.NoError(t, err)
				require.True(t, ok)
				require.Equal(t, sd.ID, got.ID)
			}
			require.NoError(t, s.Finish(ctx, sd.ID, Outcome{State: Unknown, Reason: "timeout"}))
			due, err := s.ToCheck(ctx, 3)
			require.NoError(t, err)
			for _, u := range due {
				if u.ID == sd.ID {
					return u
				}
			}
			t.Fatalf("send %d is not to check", sd.ID)
			return Unsettled{}
		}
		first := unknown(sample("env:first"), false)
		assert.Empty(t, first.SeenBefore, "nothing seen of the conversation")

		jane := sample("").Recipient
		c, err := s.Watch(ctx, Conversation{ConversationID: "2-abc", ProfileURL: jane, Account: "acct", Channel: "C1", ThreadTS: "1.1"})
		require.NoError(t, err)
		other, err := s.Watch(ctx, Conversation{ConversationID: "2-other", ProfileURL: "https://www.linkedin.com/in/other", Account: "acct"})
		require.NoError(t, err)
		at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
		_, err = s.RecordMessages(ctx, []ConvMessage{
			{Conversation: c.ID, Key: "urn:older", SentAt: at, Kind: MsgReply},
			{Conversation: c.ID, Key: "urn:newest", SentAt: at.Add(time.Minute), Kind: MsgReply},
			{Conversation: other.ID, Key: "urn:elsewhere", SentAt: at.Add(time.Hour), Kind: MsgReply},
		})
		require.NoError(t, err)
		// Recorded later, dated earlier: LinkedIn's order counts.
		_, err = s.RecordMessages(ctx, []ConvMessage{{Conversation: c.ID, Key: "urn:late-read", SentAt: at.Add(-time.Hour), Kind: MsgReply}})
		require.NoError(t, err)

		claimed := unknown(sample("env:claimed"), false)
		assert.Equal(t, "urn:newest", claimed.SeenBefore)
		direct := unknown(sample("env:direct"), true)
		assert.Equal(t, "urn:newest", direct.SeenBefore, "an accept that is its claim records it too")
		otherAccount := sample("env:other-account")
		otherAccount.Account = "someone"
		assert.Empty(t, unknown(otherAccount, true).SeenBefore, "another account's conversation is not this one")

		retryAt := time.Now().Add(time.Minute).Truncate(time.Millisecond)
		require.NoError(t, s.RecordFailedRead(ctx, claimed.ID, retryAt))
		require.NoError(t, s.RecordFailedRead(ctx, claimed.ID, retryAt))
		due, err := s.ToCheck(ctx, 3)
		require.NoError(t, err)
		for _, u := range due {
			if u.ID == claimed.ID {
				assert.Equal(t, 2, u.FailedReads)
				assert.Zero(t, u.Checks, "a failed read is not a check")
				assert.True(t, retryAt.Equal(u.RetryAt), "%s, want %s", u.RetryAt, retryAt)
			}
		}
		ok, err := s.Settle(ctx, claimed.ID, VerdictUnsettled, Outcome{State: Unknown, Reason: "could not be read"})
		require.NoError(t, err)
		assert.True(t, ok)
		got, err := s.Get(ctx, claimed.ID)
		require.NoError(t, err)
		assert.Equal(t, Unknown, got.State)
		due, err = s.ToCheck(ctx, 3)
		require.NoError(t, err)
		for _, u := range due {
			assert.NotEqual(t, claimed.ID, u.ID, "an unsettled send is not checked again")
		}
	})
}
