package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
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
	// Accepted a minute ago: past the accepting bot's grace, either bot may claim them.
	a.now = later(-time.Minute)
	for i := range n {
		_, err := a.Accept(ctx, sample(fmt.Sprint("k", i)), 0)
		require.NoError(t, err)
	}
	a.now = time.Now
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
	b.now = later(acceptGrace + time.Second)
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
	require.NoError(t, a.PutAccount(ctx, Account{Name: "alice", Country: "FR", Token: []byte{1}}, []string{"U1"}))
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
	names, _ := fs.Glob(migrationsPG, "migrations_pg/*.sql")
	for _, migrate := range []bool{true, false} {
		_, err = OpenPostgres(ctx, url, migrate)
		assert.ErrorContains(t, err, fmt.Sprintf("schema version 99 is newer than this build knows (%d): run a newer linkedin-bot", len(names)))
	}
}
