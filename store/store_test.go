package store

import (
	"context"
	"errors"
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
		require.NoError(t, s.db.QueryRow("PRAGMA user_version").Scan(&v))
		assert.Equal(t, 3, v)
		var mode string
		require.NoError(t, s.db.QueryRow("PRAGMA journal_mode").Scan(&mode))
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
		sd, ok, err := s.ClaimNext(context.Background())
		require.NoError(t, err)
		require.True(t, ok, "a send queued before the upgrade is still sent")
		assert.Equal(t, "1.2", sd.RootTS)
		assert.Empty(t, sd.MediaFileID)
	})

	t.Run("a newer schema is refused", func(t *testing.T) {
		dir := t.TempDir()
		s, err := Open(context.Background(), dir)
		require.NoError(t, err)
		_, err = s.db.Exec("PRAGMA user_version = 99")
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
	_, err = s.db.Exec("DROP TABLE sends; PRAGMA user_version = 0")
	require.NoError(t, err)
	require.NoError(t, s.migrateTo(context.Background(), migrations))
	_, err = s.db.Exec(insert)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s, err = Open(context.Background(), dir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestAcceptIsIdempotent(t *testing.T) {
	s, _ := open(t)
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
}

func TestDailyCap(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	day := time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return day }
	for i := range 2 {
		_, err := s.Accept(ctx, sample(IdemKey("env", string(rune('a'+i)))), 2)
		require.NoError(t, err)
	}
	_, err := s.Accept(ctx, sample("env:c"), 2)
	var ce *CapError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), ce.ResetAt)

	other := sample("env:other-account")
	other.Account = "acct2"
	_, err = s.Accept(ctx, other, 2)
	assert.NoError(t, err, "the cap is per account")

	// A failed send does not count.
	sd, ok, err := s.ClaimNext(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, s.Finish(ctx, sd.ID, Outcome{State: Failed, Reason: "no"}))
	_, err = s.Accept(ctx, sample("env:d"), 2)
	assert.NoError(t, err)

	// The next day starts afresh.
	s.now = func() time.Time { return day.Add(2 * time.Hour) }
	_, err = s.Accept(ctx, sample("env:e"), 2)
	assert.NoError(t, err)
}

func TestQueueLifecycle(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }

	a, _ := s.Accept(ctx, sample("env:a"), 0)
	b, _ := s.Accept(ctx, sample("env:b"), 0)

	got, ok, err := s.ClaimNext(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, a.ID, got.ID, "oldest first")
	assert.Equal(t, Sending, got.State)
	assert.Equal(t, 1, got.Attempts)

	// A 429: back in the queue for a minute, behind b.
	require.NoError(t, s.Requeue(ctx, a.ID, now.Add(time.Minute), 429, "slow down"))
	got, ok, _ = s.ClaimNext(ctx)
	require.True(t, ok)
	assert.Equal(t, b.ID, got.ID)
	_, ok, _ = s.ClaimNext(ctx)
	assert.False(t, ok, "a is not due yet")
	due, ok, err := s.NextDue(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, now.Add(time.Minute), due.UTC())

	now = now.Add(time.Minute)
	got, ok, _ = s.ClaimNext(ctx)
	require.True(t, ok)
	assert.Equal(t, a.ID, got.ID)
	assert.Equal(t, 2, got.Attempts)

	require.NoError(t, s.Finish(ctx, a.ID, Outcome{State: Sent, LinkupStatus: 200, LinkupAnswer: "Message sent successfully", Credits: 1}))
	assert.Error(t, s.Finish(ctx, a.ID, Outcome{State: Queued}), "queued is not an end state")

	// b is left sending by a crash.
	un, err := s.Recover(ctx, "could not be confirmed")
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
}

func TestListFilters(t *testing.T) {
	s, _ := open(t)
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
		if _, ok, err := s.ClaimNext(ctx); err != nil || !ok {
			b.Fatal(ok, err)
		}
		_ = s.SetAnnounced(ctx, sd.ID, "C1", "1.2")
		_ = s.Finish(ctx, sd.ID, Outcome{State: Sent, Credits: 1})
		_ = s.MarkDelivered(ctx, sd.ID, OutcomePosted)
		if err := s.MarkDelivered(ctx, sd.ID, RootUpdated, Notified); err != nil {
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

func TestClaimIsSyncedEvenAfterTheLogIsReplaced(t *testing.T) {
	s, dir := open(t)
	ctx := context.Background()
	_, _ = s.Accept(ctx, sample("env:a"), 0)
	_, ok, err := s.ClaimNext(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	first := s.wal

	// SQLite deletes the log when its last connection closes; a new connection makes a new one.
	require.NoError(t, s.db.Close())
	require.NoFileExists(t, filepath.Join(dir, FileName+"-wal"))
	s2, err := Open(ctx, dir)
	require.NoError(t, err)
	s2.wal = first // as if the old descriptor had been kept
	t.Cleanup(func() { _ = s2.Close() })
	_, _ = s2.Accept(ctx, sample("env:b"), 0)
	_, ok, err = s2.ClaimNext(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	cur, err := os.Stat(filepath.Join(dir, FileName+"-wal"))
	require.NoError(t, err)
	synced, err := s2.wal.Stat()
	require.NoError(t, err)
	assert.True(t, os.SameFile(cur, synced), "the current log is the one synced")
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
