package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/pgtest"
)

// eachStore runs test on the embedded SQLite store and, with
// TEST_DATABASE_URL set (.ci/run sets it), on PostgreSQL, in a schema of
// its own that is dropped after: the two stores must behave the same.
func eachStore(t *testing.T, test func(t *testing.T, s *Store)) {
	t.Run("sqlite", func(t *testing.T) {
		s, _ := open(t)
		test(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		test(t, openPG(t))
	})
}

// openPG opens a PostgreSQL store in a fresh schema of TEST_DATABASE_URL's
// database; it skips, saying why, without one.
func openPG(t *testing.T) *Store {
	t.Helper()
	s, err := OpenPostgres(context.Background(), pgtest.Schema(t), true)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// restart makes s a new bot on its log, as after the old one died and its
// leases ran out.
func restart(t *testing.T, s *Store) {
	t.Helper()
	_, err := s.db.ExecContext(context.Background(), `UPDATE sends SET lease_until = 1 WHERE lease_until > 0`)
	require.NoError(t, err)
	s.owner = newOwner(s.host)
}

// elapse makes d pass on the clock of s's database for everything judged
// by it (leases, accept graces, the times bots and keys were seen): each
// is moved d into the past, as if written d earlier. A bot's own clock
// (Store.now) plays no part in them.
func elapse(t *testing.T, s *Store, d time.Duration) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		`UPDATE sends SET lease_until = lease_until - ? WHERE lease_until > 1`, // 1: released (ReleaseLeases)
		`UPDATE jobs SET lease_until = lease_until - ? WHERE lease_until > 0`,
		`UPDATE replicas SET seen_at = seen_at - ?`,
		`UPDATE once_keys SET seen_at = seen_at - ?`,
	} {
		_, err := s.db.ExecContext(ctx, q, d.Milliseconds())
		require.NoError(t, err)
	}
}
