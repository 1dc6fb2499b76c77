package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// holdWriter blocks s's accept groups until the returned release is called:
// on SQLite a transaction holds the one connection; on PostgreSQL it holds
// the cap lock of account "acct" (the accepts must have a cap).
func holdWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	ctx := context.Background()
	tx, err := s.raw.BeginTx(ctx, nil)
	require.NoError(t, err)
	if s.db.pg {
		_, err = tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, capKey, "acct")
		require.NoError(t, err)
	}
	return func() { require.NoError(t, tx.Commit()) }
}

// poison makes an insert of the message "poison" fail.
func poison(t *testing.T, s *Store) {
	t.Helper()
	q := `CREATE TRIGGER poison BEFORE INSERT ON sends WHEN NEW.message = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END`
	if s.db.pg {
		q = `CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN IF NEW.message = 'poison' THEN RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
			CREATE TRIGGER poison BEFORE INSERT ON sends FOR EACH ROW EXECUTE FUNCTION poison()`
	}
	_, err := s.raw.Exec(q)
	require.NoError(t, err)
}

// acceptTogether accepts n sends at once, the writer held until all wait,
// and returns each one's result.
func acceptTogether(t *testing.T, s *Store, n int, message func(i int) string) ([]Send, []error) {
	t.Helper()
	release := holdWriter(t, s)
	sends, errs := make([]Send, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sd := sample(IdemKey("env", fmt.Sprint("together-", i)))
			sd.Message = message(i)
			sends[i], errs[i] = s.Accept(context.Background(), sd, 1000)
		})
	}
	time.Sleep(100 * time.Millisecond) // all of them waiting
	release()
	wg.Wait()
	return sends, errs
}

func TestAcceptsArrivingTogetherShareACommitAndASync(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		_, err := s.Accept(ctx, sample("env:first"), 1000)
		require.NoError(t, err)
		assert.Equal(t, Durability{Groups: 1, Fsyncs: fsyncs(s, 1)}, s.Durability(), "an accept alone: one commit, one sync")

		const n = 40
		sends, errs := acceptTogether(t, s, n, func(int) string { return "Hi" })
		ids := map[int64]bool{}
		for i := range n {
			require.NoError(t, errs[i], "accept %d", i)
			ids[sends[i].ID] = true
		}
		assert.Len(t, ids, n, "every accept has a row of its own")
		d := s.Durability()
		// Each writer's first waits alone for the held writer; the rest arrive
		// while they wait and are written together after them.
		assert.LessOrEqual(t, d.Groups, int64(1+writers(s)+2), "%d accepts in %d groups", n, d.Groups-1)
		assert.Equal(t, fsyncs(s, d.Groups), d.Fsyncs, "one sync a group")
		var rows int
		require.NoError(t, s.db.QueryRowContext(ctx, `SELECT count(*) FROM sends`).Scan(&rows))
		assert.Equal(t, n+1, rows)
	})
}

// writers is how many groups s writes at once.
func writers(s *Store) int64 {
	if s.db.pg {
		return pgWriters
	}
	return 1
}

// fsyncs is how many fsyncs groups commits make: one each on SQLite, none
// (the server's commit) on PostgreSQL.
func fsyncs(s *Store, groups int64) int64 {
	if s.db.pg {
		return 0
	}
	return groups
}

func TestAFailingAcceptDoesNotSinkItsGroup(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		_, err := s.Accept(ctx, sample("env:first"), 1000)
		require.NoError(t, err)
		poison(t, s)
		const n, bad = 20, 7
		sends, errs := acceptTogether(t, s, n, func(i int) string {
			if i == bad {
				return "poison"
			}
			return "Hi"
		})
		for i := range n {
			if i == bad {
				require.Error(t, errs[i])
				assert.Contains(t, errs[i].Error(), "poisoned", "its own error, clearly")
				assert.NotErrorIs(t, errs[i], sql.ErrNoRows)
				continue
			}
			require.NoError(t, errs[i], "accept %d, in the poisoned one's group", i)
			got, err := s.Get(ctx, sends[i].ID)
			require.NoError(t, err)
			assert.Equal(t, Queued, got.State)
		}
		var rows int
		require.NoError(t, s.db.QueryRowContext(ctx, `SELECT count(*) FROM sends`).Scan(&rows))
		assert.Equal(t, n, rows, "the first and every member but the poisoned one")
		assert.LessOrEqual(t, s.Durability().Groups, int64(1+writers(s)+2), "written in a few groups, not one at a time")
	})
}

func TestAGroupsDuplicatesAndCapAreEachMembersOwn(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		first, err := s.Accept(ctx, sample("env:together-3"), 1000)
		require.NoError(t, err)
		sends, errs := acceptTogether(t, s, 6, func(int) string { return "Hi" })
		for i := range 6 {
			if i == 3 {
				assert.ErrorIs(t, errs[i], ErrDuplicate)
				assert.Equal(t, first.ID, sends[i].ID)
				continue
			}
			assert.NoError(t, errs[i])
		}
	})
}
