package send

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"linkedin-bot/store"
)

// records writes what deliveries posted, many sends' in one commit (group
// commit): a write takes everything that came in the recordLinger after
// the first record, or while the write before it committed, up to
// maxGroup. Under load the posts of tens of sends share a write; a record
// waits at most recordLinger plus a commit.
//
// A record lost in a crash loses nothing: each post's try was recorded
// before it was made, so the next delivery looks for it in Slack first.
type records struct {
	store   *store.Store
	log     zerolog.Logger
	persist func(log zerolog.Logger, doing string, f func(context.Context) error) bool

	mu      sync.Mutex
	pending []store.Posted
	then    []func() // run once pending is written
	closed  bool
	wake    chan struct{}
	full    chan struct{} // a write's worth is pending, or close: no more lingering
	done    chan struct{}
}

// maxGroup bounds the records of one write.
const maxGroup = 48

// recordLinger is how long a first record waits for others to share its
// write: nothing waits on records but the end of a delivery's lease.
const recordLinger = 10 * time.Millisecond

func newRecords(st *store.Store, log zerolog.Logger, persist func(zerolog.Logger, string, func(context.Context) error) bool) *records {
	r := &records{store: st, log: log, persist: persist, wake: make(chan struct{}, 1), full: make(chan struct{}, 1), done: make(chan struct{})}
	go r.run()
	return r
}

// add queues ps for the next write, and then to run after it (at once
// when ps is empty). After close, it writes ps itself.
func (r *records) add(ps []store.Posted, then func()) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		r.write(ps)
		then()
		return
	}
	if len(ps) == 0 && len(r.pending) == 0 {
		r.mu.Unlock()
		then()
		return
	}
	r.pending = append(r.pending, ps...)
	r.then = append(r.then, then)
	full := len(r.pending) >= maxGroup
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	if full {
		select {
		case r.full <- struct{}{}:
		default:
		}
	}
}

func (r *records) run() {
	defer close(r.done)
	for {
		r.mu.Lock()
		empty, closed := len(r.pending) == 0 && len(r.then) == 0, r.closed
		r.mu.Unlock()
		if empty {
			if closed {
				return
			}
			<-r.wake
			continue
		}
		if !closed {
			r.linger()
		}
		r.mu.Lock()
		ps, then := r.pending, r.then
		if len(ps) > maxGroup {
			// A write holds SQLite's one connection, which acks wait for:
			// keep each short. The callbacks wait for the last part.
			ps, then = ps[:maxGroup:maxGroup], nil
			r.pending = r.pending[maxGroup:]
		} else {
			r.pending, r.then = nil, nil
		}
		r.mu.Unlock()
		r.write(ps)
		for _, f := range then {
			f()
		}
	}
}

// linger waits recordLinger for more records, unless a write's worth is
// there already or the bot is stopping.
func (r *records) linger() {
	r.mu.Lock()
	full := len(r.pending) >= maxGroup || r.closed
	r.mu.Unlock()
	if full {
		return
	}
	t := time.NewTimer(recordLinger)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.full:
	}
}

func (r *records) write(ps []store.Posted) {
	if len(ps) == 0 {
		return
	}
	r.persist(r.log, "recording posts", func(ctx context.Context) error { return r.store.RecordPosts(ctx, ps...) })
}

// close writes what is queued and stops; later adds write at once.
func (r *records) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	select {
	case r.full <- struct{}{}:
	default:
	}
	<-r.done
}
