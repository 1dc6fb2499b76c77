package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Accepts that arrive together share one transaction and one sync (group
// commit): an ack waits for its accept, and during a burst the accepts
// would otherwise queue one commit at a time behind the disk. A group's
// first accept waits at most commitDelay for company, and only while a
// burst is under way (another accept arrived within burstWindow), like
// PostgreSQL's commit_delay with commit_siblings: an accept at idle is
// written at once. Each accept returns once its group is durable (its
// commit and, on SQLite, the write-ahead log's fsync), so an accept's
// contract does not change; only its cost is shared.
const (
	commitDelay = time.Millisecond
	burstWindow = 20 * time.Millisecond
	maxGroup    = 64
	// pgWriters is how many groups commit at once on PostgreSQL.
	pgWriters = 4
	// groupTimeout bounds a group's write. A member whose own context ends
	// first returns at once; its row may still land, as an accept that
	// timed out always could (Abandon, by its accept token).
	groupTimeout = 2 * BusyTimeout
)

// acceptReq is one accept waiting for its group.
type acceptReq struct {
	ctx        context.Context
	account    string
	dailyLimit int
	args, dest []any
	err        error
	done       chan struct{}
}

// grouper collects accepts into groups and writes each group. Its
// goroutines (one on SQLite, pgWriters on PostgreSQL) start with the first
// accept and end with Close.
type grouper struct {
	start   sync.Once
	stop    sync.Once
	in      chan *acceptReq
	quit    chan struct{}
	stopped chan struct{}
	last    atomic.Int64   // when the last accept arrived, UnixNano
	syncing sync.WaitGroup // the groups' fsyncs under way (SQLite)

	groups atomic.Int64 // groups written (one commit each)
	fsyncs atomic.Int64 // fsyncs of the write-ahead log (SQLite)
}

// Durability counts what the log made durable: accept groups committed and,
// on SQLite, fsyncs of its write-ahead log (every Sync that wrote one).
type Durability struct{ Groups, Fsyncs int64 }

// Durability returns the counts so far.
func (s *Store) Durability() Durability {
	return Durability{Groups: s.group.groups.Load(), Fsyncs: s.group.fsyncs.Load()}
}

// acceptGrouped runs qAccept with args, scanning its row into dest, in a
// group with the accepts arriving at the same time. Its error is what the
// statement's own would be: sql.ErrNoRows when nothing was inserted.
func (s *Store) acceptGrouped(ctx context.Context, account string, dailyLimit int, dest []any, args ...any) error {
	g := &s.group
	g.start.Do(func() {
		g.in, g.quit, g.stopped = make(chan *acceptReq), make(chan struct{}), make(chan struct{})
		// SQLite has one writing connection; PostgreSQL's pool lets
		// several groups commit at once, each waiting for the server's disk.
		writers := 1
		if s.db.pg {
			writers = pgWriters
		}
		var running sync.WaitGroup
		for range writers {
			running.Go(s.writeGroups)
		}
		go func() {
			running.Wait()
			close(g.stopped)
		}()
	})
	r := &acceptReq{ctx: ctx, account: account, dailyLimit: dailyLimit, args: args, dest: dest, done: make(chan struct{})}
	select {
	case g.in <- r:
	case <-g.quit:
		return errors.New("the send log is closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err() // its row may still land (see groupTimeout)
	}
}

// stopGroups ends the group writer, after the group it is writing.
func (s *Store) stopGroups() {
	g := &s.group
	g.start.Do(func() { g.stopped = make(chan struct{}); close(g.stopped) }) // never started
	g.stop.Do(func() {
		if g.quit != nil {
			close(g.quit)
		}
	})
	<-g.stopped
}

// writeGroups is a group writer's loop.
func (s *Store) writeGroups() {
	g := &s.group
	defer g.syncing.Wait()
	for {
		var first *acceptReq
		select {
		case first = <-g.in:
		case <-g.quit:
			return
		}
		now := time.Now().UnixNano()
		burst := now-g.last.Swap(now) < int64(burstWindow)
		batch := []*acceptReq{first}
		if burst {
			t := time.NewTimer(commitDelay)
		collect:
			for len(batch) < maxGroup {
				select {
				case r := <-g.in:
					batch = append(batch, r)
				case <-t.C:
					break collect
				}
			}
			t.Stop()
		}
		// Whoever else is already waiting joins without more delay.
	more:
		for len(batch) < maxGroup {
			select {
			case r := <-g.in:
				batch = append(batch, r)
			default:
				break more
			}
		}
		g.last.Store(time.Now().UnixNano())
		written := s.writeGroup(batch)
		if len(written) == 0 || s.db.pg {
			// PostgreSQL's commit was durable when it returned.
			for _, r := range batch {
				close(r.done)
			}
			continue
		}
		// The next group is written while this one's fsync runs: its own
		// Sync waits for an fsync that started after its commit (Sync).
		g.syncing.Go(func() {
			if err := s.Sync(); err != nil {
				for _, r := range written {
					r.err = err
				}
			}
			for _, r := range batch {
				close(r.done)
			}
		})
	}
}

// writeGroup writes batch in one transaction and returns the members it
// wrote (none when the commit failed), whose caller syncs them. A member
// whose statement fails is left out, with its error, and the others
// written again without it; a failed commit is every member's error.
func (s *Store) writeGroup(batch []*acceptReq) []*acceptReq {
	// Members that gave up are not written.
	live := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			continue
		}
		live = append(live, r)
	}
	// PostgreSQL's cap locks, taken in one order by every bot.
	slices.SortStableFunc(live, func(a, b *acceptReq) int {
		switch {
		case a.account < b.account:
			return -1
		case a.account > b.account:
			return 1
		}
		return 0
	})
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	// Prepared before the transaction: on SQLite preparing would wait for
	// the transaction's connection, the only one.
	st, err := s.prepared(ctx, qAccept)
	if err != nil {
		for _, r := range live {
			r.err = err
		}
		return nil
	}
	for len(live) > 0 {
		var failed *acceptReq
		// Not in the lane (see Store.lane): the group waits for the
		// connection beside at most one write of the sends under way.
		err := s.tx(ctx, func(tx conn) error {
			locked := map[string]bool{}
			for _, r := range live {
				if s.db.pg && r.dailyLimit > 0 && !locked[r.account] {
					locked[r.account] = true
					if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(CAST(? AS INTEGER), hashtext(?))`, capKey, r.account); err != nil {
						return err
					}
				}
				r.err = tx.q.(*sql.Tx).StmtContext(ctx, st).QueryRowContext(ctx, s.db.args(r.args)...).Scan(r.dest...)
				if r.err != nil && !errors.Is(r.err, sql.ErrNoRows) {
					failed = r
					return r.err
				}
			}
			return nil
		})
		if failed != nil {
			// Written again without it (its own statement failed).
			live = slices.DeleteFunc(live, func(r *acceptReq) bool { return r == failed })
			continue
		}
		if err != nil {
			for _, r := range live {
				r.err = err
			}
			return nil
		}
		s.group.groups.Add(1)
		return live
	}
	return nil
}
