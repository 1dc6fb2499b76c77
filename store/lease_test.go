package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// eachPair runs test with two stores on one log, as two bots: on SQLite
// (two opens of one folder) and, with TEST_DATABASE_URL, on PostgreSQL.
func eachPair(t *testing.T, test func(t *testing.T, a, b *Store)) {
	t.Run("sqlite", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		var two [2]*Store
		for i := range two {
			s, err := Open(context.Background(), dir)
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			two[i] = s
		}
		test(t, two[0], two[1])
	})
	t.Run("postgres", func(t *testing.T) {
		a, b := twoOnOnePostgres(t)
		test(t, a, b)
	})
}

func later(d time.Duration) func() time.Time { return func() time.Time { return time.Now().Add(d) } }

func TestLeasesHandOverOnlyADeadBotsWork(t *testing.T) {
	eachPair(t, func(t *testing.T, a, b *Store) {
		ctx := context.Background()
		assert.NotEqual(t, a.Owner(), b.Owner())
		for _, k := range []string{"called", "claimed"} {
			_, err := a.Accept(ctx, sample(k), 0)
			require.NoError(t, err)
		}
		called, _, err := a.ClaimNext(ctx)
		require.NoError(t, err)
		_, err = a.MarkCalled(ctx, called.ID, called.Account, 0)
		require.NoError(t, err)
		claimed, _, err := a.ClaimNext(ctx)
		require.NoError(t, err)

		// Live leases are nobody else's to take, and a bot never takes its own.
		requeued, unknown, err := b.RecoverExpired(ctx, "crashed")
		require.NoError(t, err)
		assert.Empty(t, append(requeued, unknown...))
		a.now = later(time.Hour)
		requeued, unknown, err = a.RecoverExpired(ctx, "crashed")
		require.NoError(t, err)
		assert.Empty(t, append(requeued, unknown...), "its own claims, however old")

		// Renewed, they hold past the first lease's end.
		a.now = later(20 * time.Second)
		require.NoError(t, a.RenewLeases(ctx))
		b.now = later(40 * time.Second)
		requeued, unknown, err = b.RecoverExpired(ctx, "crashed")
		require.NoError(t, err)
		assert.Empty(t, append(requeued, unknown...), "renewed: still a's")

		// a stops renewing (it died): b takes over after the lease.
		b.now = later(2 * time.Minute)
		requeued, unknown, err = b.RecoverExpired(ctx, "crashed")
		require.NoError(t, err)
		require.Len(t, requeued, 1, "not called yet: queued again")
		assert.Equal(t, claimed.ID, requeued[0].ID)
		require.Len(t, unknown, 1, "called: unknown, never resent")
		assert.Equal(t, called.ID, unknown[0].ID)
		assert.Equal(t, "crashed", unknown[0].Reason)
		requeued, unknown, err = b.RecoverExpired(ctx, "crashed")
		require.NoError(t, err)
		assert.Empty(t, append(requeued, unknown...), "taken over once")
	})
}
