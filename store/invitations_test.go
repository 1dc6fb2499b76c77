package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/pgtest"
)

func invitation(key string) Invitation {
	return Invitation{IdemKey: key, Account: "acme", Requester: "U1", Channel: "C1", Recipient: "https://www.linkedin.com/in/jane-doe",
		Message: "Hi", Intent: IntentWanted}
}

func TestInvitationsLife(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		inv, err := s.AcceptInvitation(ctx, invitation("view:1"), 10)
		require.NoError(t, err)
		assert.Equal(t, InviteCalling, inv.State)
		again, err := s.AcceptInvitation(ctx, invitation("view:1"), 10)
		require.ErrorIs(t, err, ErrDuplicate)
		assert.Equal(t, inv.ID, again.ID, "the existing one")

		require.NoError(t, s.FinishInvitation(ctx, inv.ID, InvitePending, 1, "Jane Doe", "", ""))
		require.NoError(t, s.FinishInvitation(ctx, inv.ID, InviteFailed, 0, "", "late", ""), "only a calling one is finished")
		got, err := s.GetInvitation(ctx, inv.ID)
		require.NoError(t, err)
		assert.Equal(t, InvitePending, got.State)

		ok, err := s.MarkAccepted(ctx, inv.ID, "Jane")
		require.NoError(t, err)
		assert.True(t, ok)
		ok, err = s.MarkAccepted(ctx, inv.ID, "Jane")
		require.NoError(t, err)
		assert.False(t, ok, "accepted once")
		due, err := s.DueIntents(ctx)
		require.NoError(t, err)
		require.Len(t, due, 1)
		assert.Equal(t, IntentDue, due[0].Intent, "due in the same write as the acceptance")

		ok, err = s.SetIntent(ctx, inv.ID, IntentSending, IntentDue)
		require.NoError(t, err)
		assert.True(t, ok)
		ok, err = s.SetIntent(ctx, inv.ID, IntentCancelled, IntentWanted, IntentDue)
		require.NoError(t, err)
		assert.False(t, ok, "too late to cancel once handed over")
		require.NoError(t, s.IntentSentAs(ctx, inv.ID, 42))
		got, _ = s.GetInvitation(ctx, inv.ID)
		assert.Equal(t, IntentSent, got.Intent)
		assert.EqualValues(t, 42, got.SendID)

		told, err := s.MarkTold(ctx, inv.ID, InviteAccepted)
		require.NoError(t, err)
		assert.True(t, told)
		told, _ = s.MarkTold(ctx, inv.ID, InviteAccepted)
		assert.False(t, told, "told once")

		// A crash during the call: unknown, its intent dropped.
		crashed, err := s.AcceptInvitation(ctx, invitation("view:2"), 10)
		require.NoError(t, err)
		n, err := s.RecoverInvitations(ctx, "crash", 0)
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		got, _ = s.GetInvitation(ctx, crashed.ID)
		assert.Equal(t, InviteUnknown, got.State)
		assert.Equal(t, IntentDropped, got.Intent)
	})
}

func TestWeeklyInvitationCapIsRollingAndPerAccount(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		base := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		s.now = func() time.Time { return base }
		for i := range 2 {
			_, err := s.AcceptInvitation(ctx, invitation(fmt.Sprint("k", i)), 2)
			require.NoError(t, err)
			s.now = func() time.Time { return base.Add(time.Hour) }
		}
		_, err := s.AcceptInvitation(ctx, invitation("k3"), 2)
		var ce *WeekCapError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, base.Add(Week), ce.NextAt.UTC(), "when the oldest leaves the week")
		other := invitation("k4")
		other.Account = "other"
		_, err = s.AcceptInvitation(ctx, other, 2)
		require.NoError(t, err, "per account")
		s.now = func() time.Time { return base.Add(Week + time.Minute) }
		_, err = s.AcceptInvitation(ctx, invitation("k5"), 2)
		require.NoError(t, err, "rolling: the oldest left the week")
	})
}

// A replay of a recorded invitation at the weekly cap is its duplicate,
// with the original, not a refusal for the cap.
func TestAReplayAtTheWeeklyCapIsADuplicate(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		inv, err := s.AcceptInvitation(ctx, invitation("view:1"), 1)
		require.NoError(t, err)
		again, err := s.AcceptInvitation(ctx, invitation("view:1"), 1)
		require.ErrorIs(t, err, ErrDuplicate)
		assert.Equal(t, inv.ID, again.ID, "the original")
		_, err = s.AcceptInvitation(ctx, invitation("view:2"), 1)
		var ce *WeekCapError
		require.ErrorAs(t, err, &ce, "a new one is over the cap")
		n, err := s.InvitationsThisWeek(ctx, "acme")
		require.NoError(t, err)
		assert.Equal(t, 1, n)
	})
}

// Two bots on one PostgreSQL log never pass the weekly cap together.
func TestWeeklyInvitationCapAcrossReplicas(t *testing.T) {
	url := pgtest.Schema(t)
	var stores []*Store
	for range 2 {
		s, err := OpenPostgres(context.Background(), url, true)
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		stores = append(stores, s)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, capped := 0, 0
	for i := range 20 {
		wg.Go(func() {
			_, err := stores[i%2].AcceptInvitation(context.Background(), invitation(fmt.Sprint("r", i)), 5)
			mu.Lock()
			defer mu.Unlock()
			var ce *WeekCapError
			switch {
			case err == nil:
				ok++
			case errors.As(err, &ce):
				capped++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 5, ok)
	assert.Equal(t, 15, capped)
}
