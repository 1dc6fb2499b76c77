package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/pgtest"
)

// twoOnOnePostgres opens two stores on one PostgreSQL schema, as two bots
// sharing a database would.
func twoOnOnePostgres(t *testing.T) (*Store, *Store) {
	t.Helper()
	url := pgtest.Schema(t)
	var out [2]*Store
	for i := range out {
		s, err := OpenPostgres(context.Background(), url, true)
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		out[i] = s
	}
	return out[0], out[1]
}

func TestClaimsNeverHandOneSendToTwoStores(t *testing.T) {
	a, b := twoOnOnePostgres(t)
	ctx := context.Background()
	const n = 200
	for i := range n {
		_, err := a.Accept(ctx, sample(fmt.Sprint("k", i)), 0)
		require.NoError(t, err)
	}
	// Accepted a minute ago: past the accepting bot's grace, either bot may claim them.
	elapse(t, a, time.Minute)
	var mu sync.Mutex
	claimed := map[int64]int{}
	byStore := map[*Store]int{}
	var wg sync.WaitGroup
	for _, s := range []*Store{a, b, a, b} {
		wg.Go(func() {
			for {
				sd, ok, err := s.Claim(ctx, 0)
				if !assert.NoError(t, err) || !ok {
					return
				}
				mu.Lock()
				claimed[sd.ID]++
				byStore[s]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Len(t, claimed, n, "every send claimed")
	for id, times := range claimed {
		assert.Equal(t, 1, times, "send %d claimed %d times", id, times)
	}
	assert.Positive(t, byStore[b], "both bots claimed")
	assert.Positive(t, byStore[a])
}

// A send another bot just accepted is its alone for a few seconds: that
// bot may have answered "not recorded" to an accept that landed late, and
// only it knows to fail the send instead of sending it.
func TestAFreshSendIsItsAcceptorsAlone(t *testing.T) {
	a, b := twoOnOnePostgres(t)
	ctx := context.Background()
	sd, err := a.Accept(ctx, sample("late"), 0)
	require.NoError(t, err)
	_, ok, err := b.Claim(ctx, 0)
	require.NoError(t, err)
	assert.False(t, ok, "a's, for now")
	elapse(t, b, acceptGrace+time.Second)
	got, ok, err := b.Claim(ctx, 0)
	require.NoError(t, err)
	require.True(t, ok, "a did not take it: b does")
	assert.Equal(t, sd.ID, got.ID)
}

func TestTheDailyCapHoldsAcrossStores(t *testing.T) {
	a, b := twoOnOnePostgres(t)
	ctx := context.Background()
	const limit = 10
	var mu sync.Mutex
	accepted := 0
	var wg sync.WaitGroup
	for g := range 8 {
		s := []*Store{a, b}[g%2]
		wg.Go(func() {
			for i := range 6 {
				_, err := s.Accept(ctx, sample(fmt.Sprint("g", g, "-", i)), limit)
				var ce *CapError
				switch {
				case err == nil:
					mu.Lock()
					accepted++
					mu.Unlock()
				case errors.As(err, &ce):
				default:
					assert.NoError(t, err)
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, limit, accepted, "exactly the cap, however the requests interleave")
}

func TestAnExpiryIsToldOnceHoweverManyFindIt(t *testing.T) {
	a, b := twoOnOnePostgres(t)
	ctx := context.Background()
	require.NoError(t, a.PutAccount(ctx, Account{Name: "alice", Country: "FR"}, []string{"U1"}, []byte{1}, func(string) ([]byte, error) { return []byte{1}, nil }))
	var mu sync.Mutex
	tells := 0
	var wg sync.WaitGroup
	for g := range 8 {
		s := []*Store{a, b}[g%2]
		wg.Go(func() {
			tell, err := s.ExpireAccount(ctx, "alice")
			assert.NoError(t, err)
			if tell {
				mu.Lock()
				tells++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, tells)
}

func TestANewerSchemaStopsThePostgreSQLStore(t *testing.T) {
	url := pgtest.Schema(t)
	ctx := context.Background()
	_, err := OpenPostgres(ctx, url, false)
	assert.ErrorIs(t, err, ErrNoLog, "a reader creates nothing")
	s, err := OpenPostgres(ctx, url, true)
	require.NoError(t, err)
	_, err = s.db.ExecContext(ctx, `UPDATE schema_version SET version = 99`)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	names, err := fs.Glob(migrationsPG, "migrations_pg/*.sql")
	require.NoError(t, err)
	for _, migrate := range []bool{true, false} {
		_, err = OpenPostgres(ctx, url, migrate)
		assert.ErrorContains(t, err, fmt.Sprintf("schema version 99 is newer than this build knows (%d): run a newer linkedin-bot", len(names)))
	}
}

// TestOwnAccountsConnectedAtOnce: connects of one person from two bots at
// once give one account; of people with one label, one account each.
func TestOwnAccountsConnectedAtOnce(t *testing.T) {
	a, b := twoOnOnePostgres(t)
	ctx := context.Background()
	seal := func(string) ([]byte, error) { return []byte{1}, nil }
	var wg sync.WaitGroup
	for g := range 16 {
		s := []*Store{a, b}[g%2]
		owner := fmt.Sprintf("U%d", g%8) // each person twice
		wg.Go(func() {
			_, err := s.PutOwnAccount(ctx, owner, "John Smith", "FR", nil, []byte{9}, seal)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	all, err := a.Accounts(ctx)
	require.NoError(t, err)
	require.Len(t, all, 8, "one account per person")
	owners := map[string]bool{}
	for _, acc := range all {
		assert.Equal(t, []string{acc.Owner}, acc.Users, "nobody joined another's account")
		owners[acc.Owner] = true
	}
	assert.Len(t, owners, 8)
}

// TestABotStoppedCleanlyLeavesTheBotsSeen: the others share Linkup's
// allowance without it at once, not a lease later.
func TestABotStoppedCleanlyLeavesTheBotsSeen(t *testing.T) {
	url := pgtest.Schema(t)
	ctx := context.Background()
	a, err := OpenPostgres(ctx, url, true)
	require.NoError(t, err)
	defer a.Close()
	b, err := OpenPostgres(ctx, url, true)
	require.NoError(t, err)
	defer b.Close()
	require.NoError(t, a.RenewLeases(ctx))
	require.NoError(t, b.RenewLeases(ctx))
	n, err := a.Bots(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.NoError(t, b.ReleaseLeases(ctx))
	n, err = a.Bots(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the stopped bot is no longer counted")
	seen, err := CheckPostgres(ctx, url)
	require.NoError(t, err)
	assert.Contains(t, seen, "bots seen in the last minute: "+a.owner)
	assert.NotContains(t, seen, b.owner)
}

func TestASearchPathWithoutASchemaIsNamed(t *testing.T) {
	base := pgtest.Schema(t) // a schema that exists, to take the URL from
	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", "no_such_schema_here")
	u.RawQuery = q.Encode()
	ctx := context.Background()
	want := "DATABASE_URL: no schema of the search_path exists in database " + strings.TrimPrefix(u.Path, "/") + " (search_path is no_such_schema_here): create the schema (CREATE SCHEMA name; as its owner), or fix search_path in DATABASE_URL"
	for _, migrate := range []bool{true, false} {
		_, err := OpenPostgres(ctx, u.String(), migrate)
		assert.ErrorIs(t, err, ErrNoSchema)
		assert.EqualError(t, err, want)
	}
	_, err = CheckPostgres(ctx, u.String())
	assert.EqualError(t, err, want, "doctor fails it")
}

func TestAFreshPostgreSQLDatabaseHasNoLogYet(t *testing.T) {
	url := pgtest.Schema(t)
	_, err := OpenPostgres(context.Background(), url, false)
	assert.ErrorIs(t, err, ErrNoLog)
	assert.Regexp(t, `^no send log yet in this database \(schema t_\S+; the bot creates it at its first start\)$`, err.Error(), "no raw SQL error")
}

func TestAConnectionErrorSaysEachReasonOnce(t *testing.T) {
	for _, u := range []string{"postgres://postgres@127.0.0.1:1/test", "postgres://postgres@localhost:1/test"} {
		_, err := OpenPostgres(context.Background(), u, false)
		require.Error(t, err)
		lines := strings.Split(err.Error(), "\n")
		assert.Greater(t, len(lines), 1, err.Error())
		for i, l := range lines {
			assert.NotContains(t, lines[:i], l, "said twice: %s", err)
		}
		_, err = CheckPostgres(context.Background(), u)
		require.Error(t, err)
		lines = strings.Split(err.Error(), "\n")
		for i, l := range lines {
			assert.NotContains(t, lines[:i], l, "said twice: %s", err)
		}
	}
}
