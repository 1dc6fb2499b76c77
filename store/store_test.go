package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func open(t *testing.T) (*Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	s, err := Open(context.Background(), dir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s, dir
}

func sample(key string) Send {
	return Send{IdemKey: key, Account: "acct", Requester: "U1", Channel: "C1", Recipient: "https://www.linkedin.com/in/jane-doe", Message: "Hi", Country: "FR"}
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	_, dir := open(t)
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	fi, err = os.Stat(filepath.Join(dir, FileName))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

func TestMigrations(t *testing.T) {
	t.Run("from an empty file", func(t *testing.T) {
		s, _ := open(t)
		var v int
		require.NoError(t, s.raw.QueryRow("PRAGMA user_version").Scan(&v))
		names, err := fs.Glob(migrations, "migrations/*.sql")
		require.NoError(t, err)
		assert.Equal(t, len(names), v, "every migration applied")
		assert.GreaterOrEqual(t, v, 12)
		var mode string
		require.NoError(t, s.raw.QueryRow("PRAGMA journal_mode").Scan(&mode))
		assert.Equal(t, "wal", mode)
	})

	t.Run("from the first schema, keeping its rows", func(t *testing.T) {
		s := upgradedFrom(t, []string{"migrations/001_sends.sql"},
			`INSERT INTO sends (idem_key, account, requester, channel, recipient, message, country, state, created_at, updated_at)
			VALUES ('env:old', 'acct', 'U1', 'C1', 'https://www.linkedin.com/in/old', 'old', 'FR', 'sent', 1, 1)`)
		all, err := s.List(context.Background(), Filter{})
		require.NoError(t, err)
		require.Len(t, all, 1)
		assert.Equal(t, "env:old", all[0].IdemKey)
		assert.Equal(t, Sent, all[0].State)
		assert.False(t, all[0].Notified, "new columns get their defaults")
		assert.Empty(t, all[0].MediaURL)
	})

	t.Run("from the previous schema", func(t *testing.T) {
		s := upgradedFrom(t, []string{"migrations/001_sends.sql", "migrations/002_slack_delivery.sql"},
			`INSERT INTO sends (idem_key, account, requester, channel, recipient, message, country, state, root_ts, created_at, updated_at)
			VALUES ('view:V1', 'acct', 'U1', 'C1', 'https://www.linkedin.com/in/old', 'old', 'FR', 'queued', '1.2', 1, 1)`)
		sd, ok, err := s.Claim(context.Background(), 0)
		require.NoError(t, err)
		require.True(t, ok, "a send queued before the upgrade is still sent")
		assert.Equal(t, "1.2", sd.RootTS)
		assert.Empty(t, sd.MediaFileID)
	})

	t.Run("from schema 3: the account gets its stable name and sends keep counting", func(t *testing.T) {
		now := time.Now().UnixMilli()
		s := upgradedFrom(t, []string{"migrations/001_sends.sql", "migrations/002_slack_delivery.sql", "migrations/003_media_file.sql"},
			`INSERT INTO sends (idem_key, account, requester, channel, recipient, message, country, state, created_at, updated_at)
			VALUES ('env:sent', 'li-0123456789ab', 'U1', 'C1', 'https://www.linkedin.com/in/old', 'old', 'FR', 'sent', `+strconv.FormatInt(now, 10)+`, 1)`)
		all, err := s.List(context.Background(), Filter{})
		require.NoError(t, err)
		require.Len(t, all, 1)
		assert.Equal(t, "default", all[0].Account)
		assert.Equal(t, now, all[0].CalledAt.UnixMilli(), "a send that went out counts from when it was asked")
		d := sample("env:new")
		d.Account = "default"
		_, err = s.Accept(context.Background(), d, 1)
		var ce *CapError
		assert.ErrorAs(t, err, &ce, "today's send before the upgrade still counts")
	})

	t.Run("a newer schema is refused", func(t *testing.T) {
		dir := t.TempDir()
		s, err := Open(context.Background(), dir)
		require.NoError(t, err)
		_, err = s.raw.Exec("PRAGMA user_version = 99")
		require.NoError(t, err)
		require.NoError(t, s.Close())
		_, err = Open(context.Background(), dir)
		assert.ErrorContains(t, err, "newer than this build knows")
	})
}

// upgradedFrom builds a database at the schema of the given migrations,
// runs insert in it, and returns it opened again, which upgrades it.
func upgradedFrom(t *testing.T, migrations []string, insert string) *Store {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(context.Background(), dir)
	require.NoError(t, err)
	// Back to an empty database: every table dropped, children first.
	_, err = s.raw.Exec("PRAGMA foreign_keys = OFF")
	require.NoError(t, err)
	rows, err := s.raw.Query("SELECT name FROM sqlite_master WHERE type = 'table'")
	require.NoError(t, err)
	var tables []string
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		tables = append(tables, name)
	}
	require.NoError(t, rows.Close())
	for _, name := range tables {
		_, err = s.raw.Exec("DROP TABLE " + name)
		require.NoError(t, err)
	}
	_, err = s.raw.Exec("PRAGMA user_version = 0")
	require.NoError(t, err)
	require.NoError(t, s.migrateTo(context.Background(), migrations))
	_, err = s.raw.Exec(insert)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s, err = Open(context.Background(), dir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestAcceptIsIdempotent(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a, err := s.Accept(ctx, sample("env:1"), 0)
		require.NoError(t, err)
		assert.NotZero(t, a.ID)
		assert.Equal(t, Queued, a.State)

		b, err := s.Accept(ctx, sample("env:1"), 0)
		assert.ErrorIs(t, err, ErrDuplicate)
		assert.Equal(t, a.ID, b.ID, "the existing send comes back")

		// Many goroutines racing on one key: exactly one wins.
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range 20 {
			wg.Go(func() {
				if _, err := s.Accept(ctx, sample("view:V1"), 0); err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		assert.Equal(t, 1, wins)
	})
}

func TestDailyCap(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		day := time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)
		s.now = func() time.Time { return day }
		for i := range 2 {
			_, err := s.Accept(ctx, sample(IdemKey("env", string(rune('a'+i)))), 2)
			require.NoError(t, err)
		}
		_, err := s.Accept(ctx, sample("env:c"), 2)
		var ce *CapError
		require.ErrorAs(t, err, &ce, "two sends waiting to be called reach the cap")
		assert.Equal(t, time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), ce.ResetAt)

		other := sample("env:other-account")
		other.Account = "acct2"
		_, err = s.Accept(ctx, other, 2)
		assert.NoError(t, err, "the cap is per account")

		// A failed send (Linkup refused it) does not count.
		sd, ok, err := s.Claim(ctx, 2)
		require.NoError(t, err)
		require.True(t, ok)
		require.NoError(t, s.Finish(ctx, sd.ID, Outcome{State: Failed, Reason: "no"}))
		_, err = s.Accept(ctx, sample("env:d"), 2)
		assert.NoError(t, err)
	})
}

func TestDailyCapCountsByTheTimeOfTheCall(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		day := time.Date(2026, 11, 27, 23, 59, 0, 0, time.UTC)
		s.now = func() time.Time { return day }

		// Two sends asked for before midnight; the first is called then, and
		// ends unknown: it may have reached LinkedIn and counts.
		a, err := s.Accept(ctx, sample("env:a"), 2)
		require.NoError(t, err)
		b, err := s.Accept(ctx, sample("env:b"), 2)
		require.NoError(t, err)
		claimed, _, err := s.Claim(ctx, 2)
		require.NoError(t, err)
		require.Equal(t, a.ID, claimed.ID)
		assert.Equal(t, day, claimed.CalledAt)
		require.NoError(t, s.Finish(ctx, a.ID, Outcome{State: Unknown, Reason: "?"}))

		// b is called after midnight: it counts for the new day.
		s.now = func() time.Time { return day.Add(2 * time.Minute) }
		claimed, _, err = s.Claim(ctx, 2)
		require.NoError(t, err)
		require.Equal(t, b.ID, claimed.ID)
		require.NoError(t, s.Finish(ctx, b.ID, Outcome{State: Sent, Credits: 1}))

		// One more today is taken and called; the next is refused when called,
		// though it was accepted (it was asked before the others finished).
		c, err := s.Accept(ctx, sample("env:c"), 2)
		require.NoError(t, err)
		d := sample("env:d")
		dd, err := s.Accept(ctx, d, 0) // no cap asked at accept: the call still obeys it
		require.NoError(t, err)
		got, ok, err := s.Claim(ctx, 2)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, c.ID, got.ID)
		got, ok, err = s.Claim(ctx, 2)
		var ce *CapError
		require.ErrorAs(t, err, &ce, "the cap is counted when Linkup would be called")
		require.True(t, ok)
		require.Equal(t, dd.ID, got.ID)
		assert.True(t, got.CalledAt.IsZero(), "claimed over the cap: not called")

		// Another account name is another count; the same name keeps it, whatever its token.
		_, err = s.Accept(ctx, sample("env:e"), 2)
		require.ErrorAs(t, err, &ce)
	})
}

func TestRecoverTellsClaimedFromCalled(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a, _ := s.Accept(ctx, sample("env:a"), 0)
		b, _ := s.Accept(ctx, sample("env:b"), 0)
		_, _, err := s.Claim(ctx, 0)
		require.NoError(t, err)
		_, _, err = s.Claim(ctx, 1)
		require.ErrorAs(t, err, new(*CapError), "claimed over the cap: not called")

		restart(t, s)
		requeued, unknown, err := s.Recover(ctx, "could not be confirmed")
		require.NoError(t, err)
		require.Len(t, requeued, 1)
		assert.Equal(t, b.ID, requeued[0].ID, "claimed, Linkup not called: back in the queue")
		assert.Equal(t, Queued, requeued[0].State)
		assert.Equal(t, 0, requeued[0].Attempts)
		require.Len(t, unknown, 1)
		assert.Equal(t, a.ID, unknown[0].ID, "Linkup called: unknown")
		assert.Equal(t, Unknown, unknown[0].State)
	})
}

func TestIntendCountsTries(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a, _ := s.Accept(ctx, sample("env:a"), 0)
		require.NoError(t, s.Intend(ctx, a.ID, Announced))
		require.NoError(t, s.Intend(ctx, a.ID, OutcomePosted))
		require.NoError(t, s.Intend(ctx, a.ID, OutcomePosted))
		assert.Error(t, s.Intend(ctx, a.ID, RootUpdated), "an edit needs no tries")
		got, _ := s.Get(ctx, a.ID)
		assert.Equal(t, 1, got.Tries(Announced))
		assert.Equal(t, 2, got.Tries(OutcomePosted))
		assert.Equal(t, 0, got.Tries(Notified))
		require.NoError(t, s.MarkDelivered(ctx, a.ID, Announced))
		got, _ = s.Get(ctx, a.ID)
		assert.True(t, got.Announced)

		// A try Slack rate-limited made no post: it is taken back, never below zero.
		require.NoError(t, s.NotMade(ctx, a.ID, OutcomePosted))
		require.NoError(t, s.NotMade(ctx, a.ID, Notified))
		assert.Error(t, s.NotMade(ctx, a.ID, RootUpdated))
		got, _ = s.Get(ctx, a.ID)
		assert.Equal(t, 1, got.Tries(OutcomePosted))
		assert.Equal(t, 0, got.Tries(Notified))
		assert.Equal(t, 1, got.Tries(Announced))
	})
}

// accepted is sample(key) as an accept names it (see NewAcceptToken).
func accepted(key string) (Send, string) {
	sd := sample(key)
	sd.AcceptToken = NewAcceptToken()
	return sd, sd.AcceptToken
}

func TestAbandon(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		req, token := accepted("env:late")
		a, err := s.Accept(ctx, req, 0)
		require.NoError(t, err)
		assert.Equal(t, token, a.AcceptToken)
		ok, err := s.Abandon(ctx, "env:late", token, false, "recorded too late")
		require.NoError(t, err)
		assert.True(t, ok)
		got, _ := s.Get(ctx, a.ID)
		assert.Equal(t, Failed, got.State)
		assert.Equal(t, token, got.AcceptToken)
		_, claimed, _ := s.Claim(ctx, 0)
		assert.False(t, claimed)
		pending, _ := s.Undelivered(ctx)
		assert.Empty(t, pending, "its requester was already told")
		ok, err = s.Abandon(ctx, "env:never", NewAcceptToken(), false, "x")
		require.NoError(t, err)
		assert.False(t, ok)
		_, err = s.Abandon(ctx, "env:late", "", false, "x")
		assert.Error(t, err, "an accept without a token cannot be told from another")

		// A request claimed at its accept that landed too late was never started: abandoned too.
		req, token = accepted("env:late-claimed")
		c, err := s.AcceptClaimed(ctx, req, 0)
		require.NoError(t, err)
		ok, err = s.Abandon(ctx, "env:late-claimed", token, true, "recorded too late")
		require.NoError(t, err)
		assert.True(t, ok)
		got, _ = s.Get(ctx, c.ID)
		assert.Equal(t, Failed, got.State)
		assert.False(t, s.Holds(got), "nothing left to hold")
	})
}

// A repeat of a recorded request (the same envelope again, a second
// click) whose accept fails abandons its own accept only: the request
// recorded under the key by another accept, before or after the repeat
// began, queued or claimed at its accept, is left alone.
func TestAbandonLeavesAnotherAcceptsRequest(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for _, claimedAtAccept := range []bool{false, true} {
			key := fmt.Sprintf("env:original-%t", claimedAtAccept)
			repeat := NewAcceptToken() // the repeat's accept begins first
			req, _ := accepted(key)
			accept := s.Accept
			if claimedAtAccept {
				accept = s.AcceptClaimed
			}
			orig, err := accept(ctx, req, 0)
			require.NoError(t, err)
			_, err = accept(ctx, Send{IdemKey: key, AcceptToken: repeat, Account: "acct"}, 0)
			require.ErrorIs(t, err, ErrDuplicate)
			for _, claimed := range []bool{false, true} {
				ok, err := s.Abandon(ctx, key, repeat, claimed, "recorded too late")
				require.NoError(t, err)
				assert.False(t, ok, "another accept's request is not the repeat's to abandon")
			}
			got, _ := s.Get(ctx, orig.ID)
			assert.Equal(t, orig.State, got.State)
			assert.Empty(t, got.Reason)
		}
	})
}

// A send a worker claimed may be in its Linkup call: a late Abandon of
// the accept that wrote it leaves it alone, and its real outcome is
// recorded. One claimed and put back in the queue is left alone too.
func TestAbandonNeverTouchesAClaimedSend(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		req, token := accepted("env:claimed")
		a, err := s.Accept(ctx, req, 0)
		require.NoError(t, err)
		sd, ok, err := s.Claim(ctx, 0)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, a.ID, sd.ID)
		ok, err = s.Abandon(ctx, "env:claimed", token, false, "recorded too late")
		require.NoError(t, err)
		assert.False(t, ok, "a worker's claim may be calling Linkup")
		require.NoError(t, s.Finish(ctx, sd.ID, Outcome{State: Sent, Credits: 1}))
		got, _ := s.Get(ctx, sd.ID)
		assert.Equal(t, Sent, got.State, "the real outcome is recorded")
		assert.False(t, got.OutcomePosted, "and owed to its requester")

		// Claimed, put back (its claim could not be synced), queued again.
		req, token = accepted("env:unclaimed")
		b, err := s.Accept(ctx, req, 0)
		require.NoError(t, err)
		sd, ok, err = s.Claim(ctx, 0)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, b.ID, sd.ID)
		require.NoError(t, s.Unclaim(ctx, sd.ID))
		ok, err = s.Abandon(ctx, "env:unclaimed", token, false, "recorded too late")
		require.NoError(t, err)
		assert.False(t, ok, "a send once claimed may have been announced: only the bot that claimed it knows")
		got, _ = s.Get(ctx, sd.ID)
		assert.Equal(t, Queued, got.State)
	})
}

func TestAcceptClaimedIsAcceptAndClaimInOneWrite(t *testing.T) {
	eachPair(t, func(t *testing.T, a, b *Store) {
		ctx := context.Background()
		day := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
		a.now = func() time.Time { return day }
		b.now = a.now
		// A retry's request carries its original's story; the new send starts its own.
		req := sample("env:a")
		req.State, req.Announced, req.OutcomePosted, req.Notified, req.RootUpdated, req.Credits = Failed, true, true, true, true, 1
		sd, err := a.AcceptClaimed(ctx, req, 2)
		require.NoError(t, err)
		got, err := a.Get(ctx, sd.ID)
		require.NoError(t, err)
		assert.Equal(t, inUTC(got), inUTC(sd), "the send returned is the send recorded")
		for _, s := range []Send{sd, got} {
			assert.Equal(t, Sending, s.State)
			assert.Equal(t, 1, s.Attempts)
			assert.Equal(t, day, s.CalledAt, "Linkup is about to be called")
			assert.Equal(t, 1, s.RootTries, "the announcement's try")
			assert.Equal(t, a.owner, s.Owner)
			assert.True(t, s.Leased, "leased")
		}
		assert.True(t, a.Holds(got))
		require.NoError(t, a.Sync())

		// No worker claims it again, on this bot or another.
		for _, s := range []*Store{a, b} {
			_, ok, err := s.Claim(ctx, 2)
			require.NoError(t, err)
			assert.False(t, ok)
		}
		// It counts toward the cap like any send called today.
		_, err = a.AcceptClaimed(ctx, sample("env:b"), 2)
		require.NoError(t, err)
		_, err = a.Accept(ctx, sample("env:c"), 2)
		require.ErrorAs(t, err, new(*CapError))
		_, err = a.AcceptClaimed(ctx, sample("env:c"), 2)
		require.ErrorAs(t, err, new(*CapError))
		// Its key is taken.
		dup, err := b.AcceptClaimed(ctx, sample("env:a"), 0)
		require.ErrorIs(t, err, ErrDuplicate)
		assert.Equal(t, sd.ID, dup.ID)

		// Its bot dies before Linkup answers: unknown, never resent.
		elapse(t, b, 2*time.Minute)
		requeued, unknown, err := b.RecoverExpired(ctx, "crashed")
		require.NoError(t, err)
		assert.Empty(t, requeued)
		require.Len(t, unknown, 2)
		assert.Equal(t, sd.ID, unknown[0].ID)
	})
}

// inUTC is sd with its times in UTC, to compare sends read back with sends made.
func inUTC(sd Send) Send {
	for _, t := range []*time.Time{&sd.NotBefore, &sd.CreatedAt, &sd.UpdatedAt, &sd.FinishedAt, &sd.CalledAt, &sd.LeaseUntil} {
		if !t.IsZero() {
			*t = t.UTC()
		}
	}
	return sd
}

// TestUnclaimQueuesAgain: a claim that could not be made durable goes back
// in the queue, once, and only its holder's.
func TestUnclaimQueuesAgain(t *testing.T) {
	eachPair(t, func(t *testing.T, a, b *Store) {
		ctx := context.Background()
		sd, err := a.AcceptClaimed(ctx, sample("env:a"), 0)
		require.NoError(t, err)
		require.NoError(t, b.Unclaim(ctx, sd.ID))
		got, _ := a.Get(ctx, sd.ID)
		assert.Equal(t, Sending, got.State, "another bot's claim")
		require.NoError(t, a.Unclaim(ctx, sd.ID))
		got, _ = a.Get(ctx, sd.ID)
		assert.Equal(t, Queued, got.State)
		assert.Equal(t, 0, got.Attempts)
		assert.True(t, got.CalledAt.IsZero())
		require.NoError(t, a.Unclaim(ctx, sd.ID))
		got, _ = a.Get(ctx, sd.ID)
		assert.Equal(t, Queued, got.State)
		assert.Equal(t, 0, got.Attempts, "once")
	})
}

func TestQueueLifecycle(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
		s.now = func() time.Time { return now }

		a, _ := s.Accept(ctx, sample("env:a"), 0)
		b, _ := s.Accept(ctx, sample("env:b"), 0)

		got, ok, err := s.Claim(ctx, 0)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, a.ID, got.ID, "oldest first")
		assert.Equal(t, Sending, got.State)
		assert.Equal(t, 1, got.Attempts)

		// A 429: back in the queue for a minute, behind b.
		require.NoError(t, s.Requeue(ctx, got, now.Add(time.Minute), 429, "slow down"))
		got, ok, _ = s.Claim(ctx, 0)
		require.True(t, ok)
		assert.Equal(t, b.ID, got.ID)
		_, ok, _ = s.Claim(ctx, 0)
		assert.False(t, ok, "a is not due yet")
		due, ok, err := s.NextDue(ctx)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, now.Add(time.Minute), due.UTC())

		now = now.Add(time.Minute)
		got, ok, _ = s.Claim(ctx, 0)
		require.True(t, ok)
		assert.Equal(t, a.ID, got.ID)
		assert.Equal(t, 2, got.Attempts)

		require.NoError(t, s.Finish(ctx, a.ID, Outcome{State: Sent, LinkupStatus: 200, LinkupAnswer: "Message sent successfully", Credits: 1}))
		assert.Error(t, s.Finish(ctx, a.ID, Outcome{State: Queued}), "queued is not an end state")

		// b is left sending by a crash, after its claim.
		restart(t, s)
		_, un, err := s.Recover(ctx, "could not be confirmed")
		require.NoError(t, err)
		require.Len(t, un, 1)
		assert.Equal(t, b.ID, un[0].ID)
		assert.Equal(t, Unknown, un[0].State)

		pending, err := s.Undelivered(ctx)
		require.NoError(t, err)
		assert.Len(t, pending, 2)
		for _, d := range []Delivery{OutcomePosted, RootUpdated, Notified} {
			require.NoError(t, s.MarkDelivered(ctx, a.ID, d))
		}
		pending, _ = s.Undelivered(ctx)
		require.Len(t, pending, 1)
		assert.Equal(t, b.ID, pending[0].ID)

		sd, err := s.Get(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, Sent, sd.State)
		assert.Equal(t, 1, sd.Credits)
		assert.Equal(t, now, sd.FinishedAt)
		_, err = s.Get(ctx, 999)
		assert.True(t, errors.Is(err, ErrNotFound))
	})
}

func TestListFilters(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
		s.now = func() time.Time { return t0 }
		_, _ = s.Accept(ctx, sample("env:1"), 0)
		s.now = func() time.Time { return t0.Add(time.Hour) }
		other := sample("env:2")
		other.Requester = "U2"
		_, _ = s.Accept(ctx, other, 0)

		all, _ := s.List(ctx, Filter{})
		assert.Len(t, all, 2)
		recent, _ := s.List(ctx, Filter{Since: t0.Add(30 * time.Minute)})
		assert.Len(t, recent, 1)
		byUser, _ := s.List(ctx, Filter{User: "U1"})
		assert.Len(t, byUser, 1)
		sending, _ := s.List(ctx, Filter{State: Sending})
		assert.Empty(t, sending)
	})
}

// BenchmarkSendLife is the send log's writes for one text send: accept,
// claim (synced to disk), announce, finish, and the delivery records.
func BenchmarkSendLife(b *testing.B) {
	s, err := Open(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		sd, err := s.Accept(ctx, sample(IdemKey("env", strconv.Itoa(i))), 0)
		if err != nil {
			b.Fatal(err)
		}
		if _, ok, err := s.Claim(ctx, 100); err != nil || !ok {
			b.Fatal(ok, err)
		}
		_ = s.Finish(ctx, sd.ID, Outcome{State: Sent, Credits: 1, Announced: true, RootChannel: "C1", RootTS: "1.2", Intend: []Delivery{OutcomePosted, Notified}})
		if err := s.RecordPosts(ctx, Posted{ID: sd.ID, D: OutcomePosted, Channel: "C1", TS: "1.3"}, Posted{ID: sd.ID, D: RootUpdated},
			Posted{ID: sd.ID, D: Notified, Channel: "C2", TS: "1.4"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAccept is the ack path's write: one insert, checked against a cap of 100 a day.
func BenchmarkAccept(b *testing.B) {
	benchmarkAccept(b, false)
}

// BenchmarkAcceptAtCap is the same once the account has reached its cap,
// after thousands of sends that day: counting stops at the cap.
func BenchmarkAcceptAtCap(b *testing.B) {
	benchmarkAccept(b, true)
}

func benchmarkAccept(b *testing.B, atCap bool) {
	s, err := Open(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if atCap {
		for i := range 5000 {
			if _, err := s.Accept(ctx, sample(IdemKey("seed", strconv.Itoa(i))), 0); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		sd := sample(IdemKey("env", strconv.Itoa(i)))
		if !atCap {
			sd.Account = strconv.Itoa(i) // never at the cap
		}
		_, err := s.Accept(ctx, sd, 100)
		var ce *CapError
		if errors.As(err, &ce) != atCap || (err != nil && !atCap) {
			b.Fatal(err)
		}
	}
}

// A claim is synced in the log SQLite writes, even after SQLite replaced
// it (a new connection after its last one closed) while this store kept
// the old file open; also when the old file has another name (a backup
// by hard links), which keeps it from counting as deleted.
func TestClaimIsSyncedEvenAfterTheLogIsReplaced(t *testing.T) {
	for _, linked := range []bool{false, true} {
		t.Run(fmt.Sprintf("linked %v", linked), func(t *testing.T) {
			s, dir := open(t)
			ctx := context.Background()
			_, _ = s.Accept(ctx, sample("env:a"), 0)
			_, ok, err := s.Claim(ctx, 0)
			require.NoError(t, err)
			require.True(t, ok)
			first := s.wal
			if linked {
				require.NoError(t, os.Link(filepath.Join(dir, FileName+"-wal"), filepath.Join(t.TempDir(), "backup-wal")))
			}

			// SQLite deletes the log when its last connection closes; a new connection makes a new one.
			require.NoError(t, s.raw.Close())
			require.NoFileExists(t, filepath.Join(dir, FileName+"-wal"))
			s2, err := Open(ctx, dir)
			require.NoError(t, err)
			s2.wal = first // as if the old descriptor had been kept
			t.Cleanup(func() { _ = s2.Close() })
			_, _ = s2.Accept(ctx, sample("env:b"), 0)
			_, ok, err = s2.Claim(ctx, 0)
			require.NoError(t, err)
			require.True(t, ok)
			cur, err := os.Stat(filepath.Join(dir, FileName+"-wal"))
			require.NoError(t, err)
			synced, err := s2.wal.Stat()
			require.NoError(t, err)
			assert.True(t, os.SameFile(cur, synced), "the current log is the one synced")
		})
	}
}

func TestLockIsExclusive(t *testing.T) {
	dir := t.TempDir()
	unlock, err := Lock(dir)
	require.NoError(t, err)
	_, err = Lock(dir)
	assert.ErrorIs(t, err, ErrLocked)
	unlock()
	unlock, err = Lock(dir)
	require.NoError(t, err, "free again once released")
	unlock()
}

// TestAnAcceptWaitsForAtMostOneWriteOfTheSendsUnderWay: on SQLite's one
// writing connection, the writes of sends under way (claims, outcomes,
// post records) wait in a lane one at a time, so that an accept, which a
// request's ack waits for, goes at most second when the connection frees.
// Triggers log the order in which the writes ran.
func TestAnAcceptWaitsForAtMostOneWriteOfTheSendsUnderWay(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	const writes = 5
	var ids []int64
	for i := range writes {
		sd, err := s.Accept(ctx, sample(IdemKey("env", strconv.Itoa(i))), 0)
		require.NoError(t, err)
		ids = append(ids, sd.ID)
	}
	require.NoError(t, s.RecordPosts(ctx, Posted{ID: ids[0], D: Notified})) // its statement prepared, as in a running bot
	_, err := s.raw.Exec(`CREATE TABLE trace (seq INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT);
		CREATE TRIGGER trace_accept AFTER INSERT ON sends BEGIN INSERT INTO trace (what) VALUES ('accept'); END;
		CREATE TRIGGER trace_record AFTER UPDATE ON sends BEGIN INSERT INTO trace (what) VALUES ('record'); END;`)
	require.NoError(t, err)

	waiting := func() func() bool {
		base := s.raw.Stats().WaitCount
		return func() bool { return s.raw.Stats().WaitCount > base }
	}
	tx, err := s.raw.BeginTx(ctx, nil) // a write in progress holds the connection
	require.NoError(t, err)
	var wg sync.WaitGroup
	oneRecord := waiting()
	for _, id := range ids {
		wg.Go(func() { assert.NoError(t, s.RecordPosts(ctx, Posted{ID: id, D: Notified})) })
	}
	// One record waits for the connection, the others in the lane.
	require.Eventually(t, oneRecord, 5*time.Second, time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	acceptToo := waiting()
	wg.Go(func() {
		_, err := s.Accept(ctx, sample("env:ack"), 0)
		assert.NoError(t, err)
	})
	require.Eventually(t, acceptToo, 5*time.Second, time.Millisecond)
	require.NoError(t, tx.Commit())
	wg.Wait()

	rows, err := s.raw.Query(`SELECT what FROM trace ORDER BY seq`)
	require.NoError(t, err)
	defer rows.Close()
	var order []string
	for rows.Next() {
		var what string
		require.NoError(t, rows.Scan(&what))
		order = append(order, what)
	}
	require.Len(t, order, writes+1)
	assert.Contains(t, order[:2], "accept", "the accept went first or second, not behind the records: %v", order)
}
