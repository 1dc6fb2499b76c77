package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCampaignRowsMoveOnlyForward(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		rows := []CampaignRow{
			{No: 1, ProfileURL: "https://www.linkedin.com/in/a", Message: "Hi A"},
			{No: 2, ProfileURL: "https://www.linkedin.com/in/b", Message: "Hi B"},
			{No: 3, ProfileURL: "bad", State: RowSkipped, Reason: "invalid profile URL"},
		}
		c, err := s.CreateCampaign(ctx, Campaign{IdemKey: "view:V1", Name: "Meetup", Owner: "U1", Account: "acct", Channel: "C1", Template: "Hi {n}", TZ: "Europe/Paris"}, rows)
		require.NoError(t, err)
		again, err := s.CreateCampaign(ctx, Campaign{IdemKey: "view:V1", Name: "other"}, rows)
		require.ErrorIs(t, err, ErrDuplicate, "a form submitted twice records one campaign")
		assert.Equal(t, c.ID, again.ID)

		ok, err := s.ClaimRow(ctx, c.ID, 1, time.Now())
		require.NoError(t, err)
		assert.False(t, ok, "nothing is claimed in review")

		moved, err := s.MoveCampaign(ctx, c.ID, CampaignRunning, CampaignReview, CampaignPaused)
		require.NoError(t, err)
		require.True(t, moved)
		moved, err = s.MoveCampaign(ctx, c.ID, CampaignRunning, CampaignReview, CampaignPaused)
		require.NoError(t, err)
		assert.False(t, moved, "Start pressed twice starts once")

		ok, err = s.ClaimRow(ctx, c.ID, 1, time.Now())
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = s.ClaimRow(ctx, c.ID, 1, time.Now())
		require.NoError(t, err)
		assert.False(t, ok, "a row is claimed once")
		ok, err = s.ClaimRow(ctx, c.ID, 3, time.Now())
		require.NoError(t, err)
		assert.False(t, ok, "a skipped row is never claimed")

		owing, err := s.CampaignsOwing(ctx)
		require.NoError(t, err)
		require.Len(t, owing, 1)

		moved, err = s.MoveCampaign(ctx, c.ID, CampaignCancelled, CampaignReview, CampaignRunning, CampaignPaused)
		require.NoError(t, err)
		require.True(t, moved)
		got, err := s.CampaignRows(ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, []RowState{RowClaimed, RowCancelled, RowSkipped}, []RowState{got[0].State, got[1].State, got[2].State},
			"cancel stops the rows not claimed; the claimed one ends as its send does")
		require.NoError(t, s.SettleRow(ctx, c.ID, 1, RowSent, "", 7, time.UnixMilli(1000)))
		got, err = s.CampaignRows(ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, RowSent, got[0].State)
		assert.Equal(t, int64(7), got[0].SendID)

		cc, err := s.GetCampaign(ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, CampaignCancelled, cc.State)
		assert.False(t, cc.FinishedAt.IsZero())
		n, err := s.IntendReport(ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		require.NoError(t, s.ReportDone(ctx, c.ID))
		owing, err = s.CampaignsOwing(ctx)
		require.NoError(t, err)
		assert.Empty(t, owing)

		last, waiting, err := s.LastCampaignSend(ctx, "acct")
		require.NoError(t, err)
		assert.False(t, last.IsZero())
		assert.False(t, waiting)
		_, err = s.GetCampaign(ctx, 999)
		assert.ErrorIs(t, err, ErrNoCampaign)
	})
}

func TestMessagedCountsSendsThatMayHaveReachedLinkedIn(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		_, err := s.Accept(ctx, sample("k1"), 0)
		require.NoError(t, err)
		got, err := s.Messaged(ctx, "acct", time.Now().Add(-time.Hour), "")
		require.NoError(t, err)
		assert.True(t, got["https://www.linkedin.com/in/jane-doe"])
		got, err = s.Messaged(ctx, "acct", time.Now().Add(-time.Hour), "k1")
		require.NoError(t, err)
		assert.Empty(t, got, "the send keyed except is left out")
		got, err = s.Messaged(ctx, "other", time.Now().Add(-time.Hour), "")
		require.NoError(t, err)
		assert.Empty(t, got)
		q, err := s.QueuedFor(ctx, "acct")
		require.NoError(t, err)
		assert.True(t, q)
	})
}

func TestRepliedReadsTheCampaignThread(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := time.Now()
		jane, err := s.Watch(ctx, Conversation{ConversationID: "2-jane", ProfileURL: "https://www.linkedin.com/in/jane", Channel: "C1", ThreadTS: "1.1", Since: now, LastActivity: now})
		require.NoError(t, err)
		sam, err := s.Watch(ctx, Conversation{ConversationID: "2-sam", ProfileURL: "https://www.linkedin.com/in/sam", Channel: "C1", ThreadTS: "1.1", Since: now, LastActivity: now})
		require.NoError(t, err)
		other, err := s.Watch(ctx, Conversation{ConversationID: "2-bob", ProfileURL: "https://www.linkedin.com/in/bob", Channel: "C1", ThreadTS: "2.2", Since: now, LastActivity: now})
		require.NoError(t, err)
		_, err = s.RecordMessages(ctx, []ConvMessage{
			{Conversation: jane.ID, Key: "m1", SentAt: now, Kind: MsgReply, Body: "thanks"},
			{Conversation: sam.ID, Key: "m2", SentAt: now, Kind: MsgOwn, Body: "our own send"},
			{Conversation: other.ID, Key: "m3", SentAt: now, Kind: MsgReply, Body: "another thread"},
		})
		require.NoError(t, err)
		got, err := s.Replied(ctx, "C1", "1.1")
		require.NoError(t, err)
		assert.Equal(t, map[string]bool{"https://www.linkedin.com/in/jane": true}, got, "a reply in the campaign's thread; our own send is none")
	})
}

// The gap between two campaign sends of an account counts from the last
// one's call to Linkup, which may come long after its row's claim; while
// a claimed row's send has not called yet, the account's next waits.
func TestLastCampaignSendIsTheLastCallNotTheLastClaim(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c, err := s.CreateCampaign(ctx, Campaign{IdemKey: "view:V1", Name: "Meetup", Owner: "U1", Account: "acct", Channel: "C1", Template: "Hi"},
			[]CampaignRow{{No: 1, ProfileURL: "https://www.linkedin.com/in/a", Message: "Hi"}, {No: 2, ProfileURL: "https://www.linkedin.com/in/b", Message: "Hi"}})
		require.NoError(t, err)
		moved, err := s.MoveCampaign(ctx, c.ID, CampaignRunning, CampaignReview)
		require.NoError(t, err)
		require.True(t, moved)
		claimed := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
		ok, err := s.ClaimRow(ctx, c.ID, 1, claimed)
		require.NoError(t, err)
		require.True(t, ok)
		check := func(wantLast time.Time, wantWaiting bool, why string) {
			t.Helper()
			last, waiting, err := s.LastCampaignSend(ctx, "acct")
			require.NoError(t, err)
			assert.Equal(t, wantLast.UnixMilli(), last.UnixMilli(), why)
			assert.Equal(t, wantWaiting, waiting, why)
		}
		check(claimed, true, "claimed, its send not recorded yet")
		// The pipeline's store runs on a clock of its own (a bot's, off the
		// database's by twenty minutes): what counts is how long its send
		// waited after its accept.
		accepted := time.Now().Add(-20 * time.Minute).Truncate(time.Millisecond)
		s.now = func() time.Time { return accepted }
		_, err = s.Accept(ctx, sample(CampaignRowKey(c.ID, 1)), 0)
		require.NoError(t, err)
		check(claimed, true, "its send queued")
		s.now = func() time.Time { return accepted.Add(10 * time.Minute) }
		got, ok, err := s.Claim(ctx, 0)
		require.NoError(t, err)
		require.True(t, ok)
		check(claimed.Add(10*time.Minute), false, "its send called ten minutes after its accept")
		require.NoError(t, s.Requeue(ctx, got, accepted, 429, "slow down"))
		check(claimed, true, "requeued: it calls again later")
		s.now = func() time.Time { return accepted.Add(15 * time.Minute) }
		got, ok, err = s.Claim(ctx, 0)
		require.NoError(t, err)
		require.True(t, ok)
		require.NoError(t, s.Finish(ctx, got.ID, Outcome{State: Sent, Credits: 1}))
		require.NoError(t, s.SettleRow(ctx, c.ID, 1, RowSent, "", got.ID, got.CalledAt))
		check(claimed.Add(15*time.Minute), false, "sent: its last call")
		last, waiting, err := s.LastCampaignSend(ctx, "other")
		require.NoError(t, err)
		assert.True(t, last.IsZero())
		assert.False(t, waiting)
	})
}
