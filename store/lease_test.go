package store

import (
	"context"
	"database/sql"
	"fmt"
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
		assert.NotEqual(t, a.owner, b.owner)
		for _, k := range []string{"called", "claimed"} {
			_, err := a.Accept(ctx, sample(k), 0)
			require.NoError(t, err)
		}
		called, _, err := a.Claim(ctx, 0)
		require.NoError(t, err)
		claimed, _, err := a.Claim(ctx, 1)
		require.ErrorAs(t, err, new(*CapError), "claimed over the cap: not called")

		// Live leases are nobody else's to take, and a bot never takes its own.
		requeued, unknown, err := b.RecoverExpired(ctx, "crashed")
		require.NoError(t, err)
		assert.Empty(t, append(requeued, unknown...))
		elapse(t, a, time.Hour)
		requeued, unknown, err = a.RecoverExpired(ctx, "crashed")
		require.NoError(t, err)
		assert.Empty(t, append(requeued, unknown...), "its own claims, however old")

		// Renewed, they hold past the first lease's end.
		require.NoError(t, a.RenewLeases(ctx))
		elapse(t, a, a.Lease()*2/3)
		require.NoError(t, a.RenewLeases(ctx))
		elapse(t, a, a.Lease()*2/3)
		requeued, unknown, err = b.RecoverExpired(ctx, "crashed")
		require.NoError(t, err)
		assert.Empty(t, append(requeued, unknown...), "renewed: still a's")

		// a stops renewing (it died): b takes over after the lease.
		elapse(t, a, a.Lease()/2)
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

// claimed is a send s accepted and claimed, Linkup about to be called.
func claimed(t *testing.T, s *Store) Send {
	t.Helper()
	sd, err := s.Accept(context.Background(), sample("k"), 0)
	require.NoError(t, err)
	got, ok, err := s.Claim(context.Background(), 0)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, sd.ID, got.ID)
	return got
}

func TestOwedPostsHaveOneHolder(t *testing.T) {
	eachPair(t, func(t *testing.T, a, b *Store) {
		ctx := context.Background()
		sd := claimed(t, a)
		require.NoError(t, a.Finish(ctx, sd.ID, Outcome{State: Sent, Credits: 1}))

		// The finishing bot holds the posts, with no write; the other leaves them.
		got, err := a.Get(ctx, sd.ID)
		require.NoError(t, err)
		assert.True(t, a.Holds(got))
		assert.False(t, b.Holds(got))
		owed, err := b.Undelivered(ctx)
		require.NoError(t, err)
		assert.Empty(t, owed, "a's to make")
		taken, err := b.Take(ctx, sd.ID)
		require.NoError(t, err)
		assert.False(t, taken)
		owed, err = a.Undelivered(ctx)
		require.NoError(t, err)
		assert.Len(t, owed, 1)

		// a dies: once its lease ran out, b finds them and takes them, once.
		elapse(t, b, b.Lease()+time.Second)
		orphans, err := b.Orphaned(ctx)
		require.NoError(t, err)
		require.Len(t, orphans, 1)
		taken, err = b.Take(ctx, sd.ID)
		require.NoError(t, err)
		assert.True(t, taken)
		orphans, err = b.Orphaned(ctx)
		require.NoError(t, err)
		assert.Empty(t, orphans)
		taken, err = a.Take(ctx, sd.ID)
		require.NoError(t, err)
		assert.False(t, taken, "b's now")

		// A clean stop hands them over at once; the last record ends the lease.
		require.NoError(t, b.ReleaseLeases(ctx))
		taken, err = a.Take(ctx, sd.ID)
		require.NoError(t, err)
		assert.True(t, taken)
		require.NoError(t, a.MarkDelivered(ctx, sd.ID, OutcomePosted, RootUpdated))
		got, _ = a.Get(ctx, sd.ID)
		assert.False(t, got.LeaseUntil.IsZero(), "the notification is still owed")
		require.NoError(t, a.RecordPosts(ctx, Posted{ID: sd.ID, D: Notified, Channel: "C1", TS: "1.1"}))
		got, _ = a.Get(ctx, sd.ID)
		assert.True(t, got.LeaseUntil.IsZero(), "nothing owed: no lease")
		taken, err = b.Take(ctx, sd.ID)
		require.NoError(t, err)
		assert.False(t, taken, "nothing owed, nothing to take")
	})
}

func TestAStalledBotCannotFinishWhatWasTakenOver(t *testing.T) {
	eachPair(t, func(t *testing.T, a, b *Store) {
		ctx := context.Background()
		sd := claimed(t, a)
		elapse(t, b, b.Lease()+time.Second)
		_, unknown, err := b.RecoverExpired(ctx, "crashed")
		require.NoError(t, err)
		require.Len(t, unknown, 1)
		assert.ErrorIs(t, a.Finish(ctx, sd.ID, Outcome{State: Sent}), ErrNotHeld)
		got, _ := a.Get(ctx, sd.ID)
		assert.Equal(t, Unknown, got.State, "the taker's word stands")
		assert.Equal(t, b.owner, got.Owner)
	})
}

func TestAJobRunsOnOneBot(t *testing.T) {
	eachPair(t, func(t *testing.T, a, b *Store) {
		ctx := context.Background()
		for _, want := range []bool{true, true} {
			held, err := a.Hold(ctx, BridgeJob)
			require.NoError(t, err)
			assert.Equal(t, want, held)
		}
		held, err := b.Hold(ctx, BridgeJob)
		require.NoError(t, err)
		assert.False(t, held, "a holds it")
		var owner string
		require.NoError(t, b.queryRow(ctx, `SELECT owner FROM jobs WHERE name = ?`, BridgeJob).Scan(&owner))
		assert.Equal(t, a.owner, owner)

		// Renewed, it holds past the first lease's end.
		elapse(t, a, a.Lease()*2/3)
		require.NoError(t, a.RenewLeases(ctx))
		elapse(t, a, a.Lease()*2/3)
		held, err = b.Hold(ctx, BridgeJob)
		require.NoError(t, err)
		assert.False(t, held)

		// a dies: b takes it over, and a, back, does not get it.
		elapse(t, a, a.Lease()/2)
		held, err = b.Hold(ctx, BridgeJob)
		require.NoError(t, err)
		assert.True(t, held)
		held, err = a.Hold(ctx, BridgeJob)
		require.NoError(t, err)
		assert.False(t, held)

		// A clean stop hands it over at once.
		require.NoError(t, b.ReleaseLeases(ctx))
		held, err = a.Hold(ctx, BridgeJob)
		require.NoError(t, err)
		assert.True(t, held)
	})
}

func TestFirstHoldsAcrossBots(t *testing.T) {
	eachPair(t, func(t *testing.T, a, b *Store) {
		ctx := context.Background()
		for _, c := range []struct {
			s    *Store
			key  string
			want bool
		}{{a, "connect:V1/h1", true}, {b, "connect:V1/h1", false}, {a, "connect:V1/h1", false}, {b, "connect:V1/h2", true}} {
			got, err := c.s.First(ctx, c.key)
			require.NoError(t, err)
			assert.Equal(t, c.want, got, c.key)
		}
		// A day later the key is forgotten.
		elapse(t, b, 25*time.Hour)
		got, err := b.First(ctx, "connect:V1/h1")
		require.NoError(t, err)
		assert.True(t, got)
	})
}

// Bots sharing a database may disagree on the time by a minute or more
// (a host without NTP, a VM resumed from sleep). Leases, the accept grace
// and the times bots are seen are the database's clock: b, a minute ahead
// of a or behind it, takes none of a's work while a lives, and all of it
// once a's lease ran out by the database's clock.
func TestLeasesHoldWhateverTheBotsClocksSay(t *testing.T) {
	for _, skew := range []time.Duration{time.Minute, -time.Minute} {
		t.Run(fmt.Sprintf("b %s off", skew), func(t *testing.T) {
			eachPair(t, func(t *testing.T, a, b *Store) {
				ctx := context.Background()
				b.now = later(skew)
				require.NoError(t, a.RenewLeases(ctx))
				require.NoError(t, b.RenewLeases(ctx))

				// a's work: a send it is calling Linkup for, one whose posts
				// it is making, the bridge's job, and a request it just took.
				calling := claimed(t, a)
				owed, err := a.AcceptClaimed(ctx, sample("owed"), 0)
				require.NoError(t, err)
				require.NoError(t, a.Finish(ctx, owed.ID, Outcome{State: Sent, Credits: 1}))
				held, err := a.Hold(ctx, BridgeJob)
				require.NoError(t, err)
				require.True(t, held)
				before := time.Now()
				fresh, err := a.Accept(ctx, sample("fresh"), 0)
				require.NoError(t, err)
				_, ok, err := b.Claim(ctx, 0)
				require.NoError(t, err)
				assert.False(t, ok, "the request is a's alone during its grace")
				assert.WithinRange(t, fresh.LeaseUntil, before.Add(acceptGrace-time.Second), time.Now().Add(acceptGrace+time.Second),
					"the grace is the database's clock (this machine's), in milliseconds")

				alive := func(when string) {
					t.Helper()
					requeued, unknown, err := b.RecoverExpired(ctx, "crashed")
					require.NoError(t, err)
					assert.Empty(t, append(requeued, unknown...), "%s: a's claims are a live bot's", when)
					orphans, err := b.Orphaned(ctx)
					require.NoError(t, err)
					assert.Empty(t, orphans, when)
					undelivered, err := b.Undelivered(ctx)
					require.NoError(t, err)
					assert.Empty(t, undelivered, when)
					taken, err := b.Take(ctx, owed.ID)
					require.NoError(t, err)
					assert.False(t, taken, "%s: a makes the posts", when)
					held, err := b.Hold(ctx, BridgeJob)
					require.NoError(t, err)
					assert.False(t, held, "%s: a runs the bridge", when)
					for _, id := range []int64{calling.ID, owed.ID} {
						got, err := b.Get(ctx, id)
						require.NoError(t, err)
						assert.True(t, a.Holds(got), when)
						assert.False(t, b.Holds(got), when)
					}
					n, err := b.Bots(ctx)
					require.NoError(t, err)
					assert.Equal(t, 2, n, "%s: a has its share of Linkup's allowance", when)
				}
				alive("at once")

				// The grace ends by the database's clock: then b may take it.
				elapse(t, a, acceptGrace+time.Second)
				got, ok, err := b.Claim(ctx, 0)
				require.NoError(t, err)
				require.True(t, ok)
				assert.Equal(t, fresh.ID, got.ID)

				// a renews its leases: until they end by the database's clock, its work is its own.
				require.NoError(t, a.RenewLeases(ctx))
				require.NoError(t, b.RenewLeases(ctx))
				elapse(t, a, a.Lease()/2)
				alive("half a lease later")

				// a dies: once its lease ran out, b takes everything over, once.
				elapse(t, a, a.Lease()/2+time.Second)
				require.NoError(t, b.RenewLeases(ctx))
				requeued, unknown, err := b.RecoverExpired(ctx, "crashed")
				require.NoError(t, err)
				assert.Empty(t, requeued)
				require.Len(t, unknown, 1, "called: unknown, never resent")
				assert.Equal(t, calling.ID, unknown[0].ID)
				orphans, err := b.Orphaned(ctx)
				require.NoError(t, err)
				require.Len(t, orphans, 1)
				assert.Equal(t, owed.ID, orphans[0].ID)
				taken, err := b.Take(ctx, owed.ID)
				require.NoError(t, err)
				assert.True(t, taken)
				taken, err = a.Take(ctx, owed.ID)
				require.NoError(t, err)
				assert.False(t, taken, "b's now: posted once")
				held, err = b.Hold(ctx, BridgeJob)
				require.NoError(t, err)
				assert.True(t, held)
				n, err := b.Bots(ctx)
				require.NoError(t, err)
				assert.Equal(t, 1, n, "a no longer counts")
			})
		})
	}
}

// On a log of its own (SQLite), the folder's lock proves that the bot
// before this one is dead: a restarted bot runs the reply bridge at once,
// and paces to the whole of Linkup's allowance, however recently its
// predecessor renewed its leases.
func TestARestartedBotOnItsOwnLogTakesEveryJobAtOnce(t *testing.T) {
	ctx := context.Background()
	dead, dir := open(t)
	held, err := dead.Hold(ctx, BridgeJob)
	require.NoError(t, err)
	require.True(t, held)
	require.NoError(t, dead.RenewLeases(ctx))

	s, err := Open(ctx, dir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	_, _, err = s.Recover(ctx, "crashed")
	require.NoError(t, err)
	held, err = s.Hold(ctx, BridgeJob)
	require.NoError(t, err)
	assert.True(t, held, "the bridge runs at once")
	require.NoError(t, s.RenewLeases(ctx))
	n, err := s.Bots(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the dead bot takes no share")
}

// A bot whose clock is a minute off still keeps time with the others
// through Clock: on PostgreSQL it is the server's clock (here this
// machine's), whatever the bot's says; on SQLite, one machine, the bot's.
func TestClockIsTheDatabasesWhateverTheBotsSays(t *testing.T) {
	for _, skew := range []time.Duration{time.Minute, -time.Minute} {
		t.Run(fmt.Sprintf("bot %s off", skew), func(t *testing.T) {
			eachStore(t, func(t *testing.T, s *Store) {
				s.now = later(skew)
				want := time.Now()
				if !s.db.pg {
					want = want.Add(skew)
				}
				assert.WithinDuration(t, want, s.Clock(), time.Second)
				assert.WithinDuration(t, want, s.Clock(), time.Second, "the offset kept")
			})
		})
	}
}

// After its first measure, Clock never waits for the database: a later
// measure is made beside it, and one the database holds up (every
// connection taken) neither delays it nor loses the offset. Close ends the
// measures, even one waiting for a connection.
func TestClockDoesNotWaitForTheDatabase(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		if !s.db.pg {
			t.Skip("on SQLite, Clock is the bot's clock: it never asks the database")
		}
		ctx := context.Background()
		s.clock.every = 20 * time.Millisecond
		s.now = later(time.Minute)
		assert.WithinDuration(t, time.Now(), s.Clock(), time.Second, "measured at the first call")

		var held []*sql.Conn
		for range pgConns {
			c, err := s.raw.Conn(ctx)
			require.NoError(t, err)
			held = append(held, c)
		}
		// Measures are due, wait for a connection and fail (2 s).
		time.Sleep(2*time.Second + 5*s.clock.every)
		for range 3 {
			start := time.Now()
			got := s.Clock()
			assert.Less(t, time.Since(start), 100*time.Millisecond, "not waiting for a connection")
			assert.WithinDuration(t, time.Now(), got, time.Second, "the last offset kept")
			time.Sleep(s.clock.every)
		}
		start := time.Now()
		s.stopClock()
		assert.Less(t, time.Since(start), time.Second, "a measure waiting for a connection ends with Close")
		for _, c := range held {
			_ = c.Close()
		}
	})
}
