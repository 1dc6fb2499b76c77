package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// Several bots may share a PostgreSQL log; an embedded one has one bot
// (the data folder's lock). Whatever one bot does at a time is held by a
// lease that its holder renews and that any bot takes over once it ran out
// (its holder died):
//
//   - a claimed send, from its claim until its outcome is recorded: the
//     crash rules then apply (RecoverExpired);
//   - a finished send whose Slack posts are owed, until they are all made
//     (Take): two live bots never make the same post;
//   - a job, such as the reply bridge's polling (Hold).
//
// A send's lease_until is 0 once nothing is owed; an owed send whose lease
// is 0 or past is free to take. A queued send's lease is its acceptor's
// grace (acceptGrace, not renewed).
//
// Leases, graces and the times bots were seen are the database's clock
// (dbNow), written and judged there: a bot's own clock is never compared
// with another's, so that bots whose clocks disagree (by a minute or more)
// never take each other's live work, and a dead bot's is taken once its
// lease ran out by the database's clock. Within one bot, a lease is
// judged by the time of the statement that reads it.

// DefaultLease is how long a lease holds without being renewed; MaxLease
// is the longest one may be set to, so that a dead bot's work is taken
// over within a minute.
const (
	DefaultLease = 30 * time.Second
	MaxLease     = 30 * time.Second
	MinLease     = 3 * time.Second
)

// BridgeJob is the job lease under which one bot of a shared log runs the
// reply bridge.
const BridgeJob = "reply-bridge"

// newOwner names this process among the bots of a log: its host and a
// random part, so that a restarted bot is a new owner.
func newOwner(host string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return host + "-" + hex.EncodeToString(b)
}

// Lease is how long this store's leases last unless renewed.
func (s *Store) Lease() time.Duration { return s.lease }

// SetLease sets how long this store's leases last, within MinLease and
// MaxLease; call it before the bot starts. The bot renews them every
// third of it.
func (s *Store) SetLease(d time.Duration) error {
	if d < MinLease || d > MaxLease {
		return fmt.Errorf("a lease must last from %s to %s, not %s", MinLease, MaxLease, d)
	}
	s.lease = d
	return nil
}

// Shared reports whether other bots may use this log at the same time
// (PostgreSQL); an embedded log is its one bot's.
func (s *Store) Shared() bool { return s.db.pg }

// leaseMS is this store's lease in milliseconds: a lease ends at
// dbNow + leaseMS.
func (s *Store) leaseMS() int64 { return s.lease.Milliseconds() }

// leased is the SQL of whether a send's lease runs now, by the database's
// clock (Send.Leased).
const leased = `CASE WHEN lease_until > ` + dbNow + ` THEN 1 ELSE 0 END`

// RenewLeases extends the leases this store holds (its claims, the sends
// whose posts it owes, its jobs) and records that it is alive. The bot
// calls it every third of the lease.
func (s *Store) RenewLeases(ctx context.Context) error {
	if err := s.exec(ctx, "renewing the sends' leases", `UPDATE sends SET lease_until = `+dbNow+` + ?
		WHERE owner = ? AND lease_until > 0 AND state != 'queued'`, s.leaseMS(), s.owner); err != nil {
		return err
	}
	if err := s.exec(ctx, "renewing the jobs' leases", `UPDATE jobs SET lease_until = `+dbNow+` + ? WHERE owner = ?`, s.leaseMS(), s.owner); err != nil {
		return err
	}
	return s.exec(ctx, "recording this bot alive", `INSERT INTO replicas (id, host, seen_at) VALUES (?, ?, `+dbNow+`)
		ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at`, s.owner, s.host)
}

// Bots is how many bots use the log now (seen within a lease), at least 1.
func (s *Store) Bots(ctx context.Context) (int, error) {
	var n int
	if err := s.queryRow(ctx, `SELECT count(*) FROM replicas WHERE seen_at >= `+dbNow+` - ?`, s.leaseMS()).Scan(&n); err != nil {
		return 1, fmt.Errorf("counting the bots: %w", err)
	}
	return max(n, 1), nil
}

// ReleaseLeases ends, at a clean stop, the leases of the sends whose posts
// this store owes and of its jobs, so that another bot takes them at
// once, and takes this bot off the bots seen, so that the others share
// Linkup's allowance without it at once (Bots). Claims are never released
// this way: a stopping bot finishes or puts back its own. Call it once the
// leases are no longer renewed.
func (s *Store) ReleaseLeases(ctx context.Context) error {
	if err := s.exec(ctx, "releasing the owed posts", `UPDATE sends SET lease_until = 1
		WHERE owner = ? AND lease_until > 0 AND state IN ('sent', 'failed', 'unknown')`, s.owner); err != nil {
		return err
	}
	if err := s.exec(ctx, "releasing the jobs", `UPDATE jobs SET lease_until = 0 WHERE owner = ?`, s.owner); err != nil {
		return err
	}
	return s.exec(ctx, "leaving the bots seen", `DELETE FROM replicas WHERE id = ?`, s.owner)
}

// Recover is run once at start. On a log of its own (SQLite), the folder's
// lock proves that no other bot runs: every send a crash left claimed is
// recovered (see RecoverExpired), every owed post and every job (the reply
// bridge) is this bot's at once, and the bots seen before are gone (Bots
// counts this one alone). On a shared log (PostgreSQL), only what bots
// that stopped renewing left: the others are alive.
func (s *Store) Recover(ctx context.Context, reason string) (requeued, unknown []Send, err error) {
	if s.Shared() {
		return s.RecoverExpired(ctx, reason)
	}
	if err := s.exec(ctx, "taking the owed posts", `UPDATE sends SET owner = ?, lease_until = `+dbNow+` + ?
		WHERE lease_until > 0 AND state IN ('sent', 'failed', 'unknown')`, s.owner, s.leaseMS()); err != nil {
		return nil, nil, err
	}
	if err := s.exec(ctx, "taking the queue", `UPDATE sends SET owner = '', lease_until = 0 WHERE state = 'queued' AND owner != ''`); err != nil {
		return nil, nil, err
	}
	if err := s.exec(ctx, "taking the jobs", `UPDATE jobs SET owner = ?, lease_until = `+dbNow+` + ?`, s.owner, s.leaseMS()); err != nil {
		return nil, nil, err
	}
	if err := s.exec(ctx, "forgetting the bots before this one", `DELETE FROM replicas WHERE id != ?`, s.owner); err != nil {
		return nil, nil, err
	}
	return s.recoverClaims(ctx, reason, ``)
}

// RecoverExpired takes over the sends another bot claimed and stopped
// renewing (it died): one not called yet goes back to the queue, one
// that may have reached Linkup becomes unknown with reason, never resent,
// and its posts are this store's to make. A store never recovers its own
// claims.
func (s *Store) RecoverExpired(ctx context.Context, reason string) (requeued, unknown []Send, err error) {
	return s.recoverClaims(ctx, reason, ` AND owner != ? AND lease_until < `+dbNow, s.owner)
}

// Take makes send id's owed posts this store's to make, unless another
// bot holds them (its lease runs) or none are owed; it reports whether
// this store holds them now.
func (s *Store) Take(ctx context.Context, id int64) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE sends SET owner = ?, lease_until = `+dbNow+` + ?
		WHERE id = ? AND (owner = ? OR lease_until < `+dbNow+`) AND `+undelivered, s.owner, s.leaseMS(), id, s.owner)
	if err != nil {
		return false, fmt.Errorf("taking send %d's posts: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Holds reports, without a write, whether this store held sd's lease when
// sd was read (by the database's clock).
func (s *Store) Holds(sd Send) bool {
	return sd.Owner == s.owner && sd.Leased
}

// Hold takes or renews job's lease for this store, unless another bot
// holds it; it reports whether this store holds it now. RenewLeases renews
// it too, so that a long run of the job keeps it.
func (s *Store) Hold(ctx context.Context, job string) (bool, error) {
	var got string
	err := s.queryRow(ctx, `INSERT INTO jobs (name, owner, lease_until) VALUES (?, ?, `+dbNow+` + ?)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
		WHERE jobs.owner = excluded.owner OR jobs.lease_until < `+dbNow+`
		RETURNING owner`, job, s.owner, s.leaseMS()).Scan(&got)
	switch {
	case err == nil:
		return true, nil
	case isNoRows(err):
		return false, nil
	default:
		return false, fmt.Errorf("holding the %s job: %w", job, err)
	}
}

// onceFor is how long a key of First is kept.
const onceFor = 24 * time.Hour

// First records key and reports whether no bot of the log recorded it
// before (in the last day, by the database's clock): the first delivery of
// a request that must be acted on once, wherever it lands. On an error,
// nothing may be done.
func (s *Store) First(ctx context.Context, key string) (bool, error) {
	if err := s.exec(ctx, "forgetting old keys", `DELETE FROM once_keys WHERE seen_at < `+dbNow+` - ?`, onceFor.Milliseconds()); err != nil {
		return false, err
	}
	n, err := s.execN(ctx, `INSERT INTO once_keys (key, seen_at) VALUES (?, `+dbNow+`) ON CONFLICT (key) DO NOTHING`, key)
	if err != nil {
		return false, fmt.Errorf("recording a request's key: %w", err)
	}
	return n > 0, nil
}

// clockEvery is how often Clock measures this bot's offset from
// PostgreSQL's clock (dbClock.every).
const clockEvery = 10 * time.Second

// Clock is the time by the database's clock, for what bots sharing a log
// write with one clock and compare with another (a campaign's gaps, which
// whichever bot holds the campaigns' job keeps): this bot's clock, on
// PostgreSQL corrected by its offset from the server's (half a round
// trip's error). The first call measures it; from then on a goroutine
// measures it again every clockEvery, so that no caller waits for the
// database (a measure that fails keeps the last offset). Until a measure
// succeeds, and on SQLite (one machine), it is this bot's clock.
func (s *Store) Clock() time.Time {
	if !s.db.pg {
		return s.now()
	}
	s.clock.start.Do(func() {
		s.measureClock()
		s.clock.running.Go(func() {
			t := time.NewTicker(s.clock.every)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					s.measureClock()
				case <-s.clock.ctx.Done():
					return
				}
			}
		})
	})
	return s.now().Add(time.Duration(s.clock.offset.Load()))
}

// measureClock measures this bot's offset from PostgreSQL's clock.
func (s *Store) measureClock() {
	ctx, cancel := context.WithTimeout(s.clock.ctx, 2*time.Second)
	defer cancel()
	sent := s.now()
	var ms int64
	if err := s.queryRow(ctx, `SELECT `+dbNow).Scan(&ms); err != nil {
		return
	}
	mid := sent.Add(s.now().Sub(sent) / 2)
	s.clock.offset.Store(int64(time.UnixMilli(ms).Sub(mid)))
}

// stopClock ends Clock's measures, waiting for one under way.
func (s *Store) stopClock() {
	s.clock.start.Do(func() {}) // none starts from now on
	s.clock.stop()
	s.clock.running.Wait()
}
