// Package store is linkedin-bot's durable send log, in an embedded SQLite
// database (modernc.org/sqlite: pure Go, no cgo), in WAL mode. Every
// accepted request is written before anything else happens to it, and
// every state change is committed before the step it announces.
//
// Durability: commits survive a crash of the process at once
// (synchronous=NORMAL). Marking a send called (just before Linkup is
// called) is also synced to the disk, with everything committed before
// it, so that not even a power loss can make the bot send a message
// twice. The sync is an fsync of the write-ahead log after the commit, out
// of SQLite's write lock, so that it never holds up the acks' inserts.
// Other commits reach the disk with the next claim or checkpoint: a power
// loss (not a process crash) can lose the last of them.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// FileName is the database's name inside the data folder.
const FileName = "linkedin-bot.db"

// BusyTimeout is how long a write waits for another process's write lock
// before it fails. SQLite's wait cannot be cut short by a context, so it is
// kept under the 2 s a request may wait to be recorded before its ack.
const BusyTimeout = time.Second

//go:embed migrations/*.sql
var migrations embed.FS

// State is where a send is in its life: queued → sending → sent | failed | unknown.
// A sending send is claimed by a worker; its CalledAt tells whether Linkup
// was called yet.
type State string

const (
	Queued  State = "queued"
	Sending State = "sending"
	Sent    State = "sent"
	Failed  State = "failed"
	Unknown State = "unknown"
)

// Final reports whether s is an end state.
func (s State) Final() bool { return s == Sent || s == Failed || s == Unknown }

// FreeFailure reports whether sd failed on an answer of Linkup v2, which
// bills no error: it cost no credit. On v1, which bills failed calls, for
// a send Linkup never answered, and for one whose outcome was unknown and
// that reading the conversation settled (a verdict: the answer was no
// error Linkup gave, so what it cost is not known), it is false.
func (sd Send) FreeFailure() bool {
	return sd.State == Failed && sd.LinkupAPI == "v2" && sd.LinkupStatus != 0 && sd.Verdict == ""
}

// Send is one row of the log.
type Send struct {
	ID      int64
	IdemKey string // one per logical request; a second Accept with it is a duplicate
	RetryOf int64  // the send this one retries, 0 if none
	Account string // the LinkedIn account it goes from (a fingerprint, not the token)

	Requester   string // Slack user ID
	Channel     string // where to answer: a channel, or a user ID for a DM
	ResponseURL string // fallback where the bot cannot post in Channel
	ThreadTS    string // when set, the root message goes in this thread

	Recipient   string
	Message     string
	Country     string
	MediaLink   string
	MediaName   string // description of an attached file; never its content
	MediaType   string // its MIME type
	MediaSize   int64
	MediaFileID string // the Slack file, downloaded from MediaURL when the send runs
	MediaURL    string

	State        State
	Attempts     int
	NotBefore    time.Time // a queued send waits until then (a retry after 429)
	LinkupStatus int       // HTTP status of Linkup's last answer
	LinkupAnswer string    // Linkup's last words
	Reason       string    // for the requester, on failed and unknown
	Credits      int       // what Linkup charged
	// LinkupAPI is the Linkup API that answered the call ("v1" or "v2");
	// empty when no answer is recorded (see Outcome.LinkupAPI).
	LinkupAPI string

	RootChannel   string // the message announcing the send, once posted
	RootTS        string
	Announced     bool // the announcement went out (root, thread note or response_url)
	OutcomePosted bool
	RootUpdated   bool
	Notified      bool
	// Tries of each post, each recorded before the post was made (see Intend).
	RootTries, OutcomeTries, NotifyTries int
	// Where the outcome and the notification were posted, to edit them.
	OutcomeChannel, OutcomeTS string
	NotifyChannel, NotifyTS   string

	// ConversationID (short form) and EntityURN are the LinkedIn
	// conversation and message, when Linkup gave them.
	ConversationID string
	EntityURN      string
	// Checks counts the reads of the conversation made to settle an unknown
	// send; Verdict is what they found (VerdictConfirmed, VerdictNotDelivered).
	Checks        int
	Verdict       string
	VerdictPosted bool
	VerdictTries  int
	// Bridged is set once the reply bridge watches the send's conversation.
	Bridged bool
	// DryRun marks a send made with LINKUP_DRY_RUN: Linkup was not called.
	DryRun bool

	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt time.Time
	// CalledAt is when Linkup was called for the send's last attempt; zero
	// while it was not (queued, or claimed and not called yet).
	CalledAt time.Time

	// Owner is the bot that holds the send (its claim, or its owed posts)
	// until LeaseUntil, unless renewed; see lease.go. LeaseUntil is the
	// database's clock, not this bot's: Leased says whether it was still
	// ahead, by that clock, when the send was read.
	Owner      string
	LeaseUntil time.Time
	Leased     bool

	// AcceptToken names the one accept that wrote the row: its caller
	// makes it (NewAcceptToken) before Accept or AcceptClaimed, so that it
	// can Abandon that accept's row, and only it, if the accept fails.
	AcceptToken string
}

// Thread is the Slack thread a send's story is in: the thread it was asked
// in, else the thread of its root message (empty before it is announced).
func (sd Send) Thread() string {
	if sd.ThreadTS != "" {
		return sd.ThreadTS
	}
	return sd.RootTS
}

// Owed reports whether sd is finished and some of its posts are owed (see
// Undelivered).
func (sd Send) Owed() bool {
	return sd.State.Final() && (!sd.OutcomePosted || !sd.RootUpdated || !sd.Notified || sd.Verdict != "" && !sd.VerdictPosted)
}

// Tries is how many tries of post d were recorded.
func (sd Send) Tries(d Delivery) int {
	switch d {
	case Announced:
		return sd.RootTries
	case OutcomePosted:
		return sd.OutcomeTries
	case Notified:
		return sd.NotifyTries
	case VerdictPosted:
		return sd.VerdictTries
	default:
		return 0
	}
}

// ErrDuplicate is returned by Accept when a send with the same idempotency
// key exists; the existing send comes with it.
var ErrDuplicate = errors.New("store: a send with this idempotency key exists")

// ErrNotFound is returned for an unknown send ID.
var ErrNotFound = errors.New("store: no such send")

// CapError is returned by Accept and Claim when the account reached its daily cap.
type CapError struct {
	Limit   int
	ResetAt time.Time
}

func (e *CapError) Error() string {
	return fmt.Sprintf("store: daily cap of %d sends reached until %s", e.Limit, e.ResetAt.Format(time.RFC3339))
}

// Store is the send log. It is safe for concurrent use.
type Store struct {
	db   conn    // every query goes through it
	raw  *sql.DB // for what conn does not do: transactions, statements, closing
	path string
	now  func() time.Time

	walMu     sync.Mutex
	wal       *os.File      // the write-ahead log, opened for fsync once it exists
	walInfo   os.FileInfo   // wal's identity, read once (walReplaced)
	syncAsked atomic.Uint64 // commits that asked to be synced, numbered
	syncDone  uint64        // the last one an fsync covered (under walMu)

	mu    sync.Mutex
	stmts map[string]*sql.Stmt // prepared once: parsing SQL is most of a small query's cost

	// reader is SQLite's second connection, for reads that requests wait
	// for beside the writes (the accounts behind "Send as"): in WAL mode a
	// read does not wait for the one writing connection. Nil on
	// PostgreSQL, whose pool reads beside writes anyway, and when reading
	// only.
	reader      *sql.DB
	readerStmts map[string]*sql.Stmt

	owner string        // this bot's name on its leases (lease.go)
	host  string        // the machine it runs on, for doctor
	lease time.Duration // how long they last unless renewed

	// lane lets one write of the sends under way at a time wait for
	// SQLite's one writing connection (nil on PostgreSQL, which has a
	// pool): an accept, which an ack waits for, then waits for at most one
	// of them.
	lane chan struct{}

	group grouper // accepts that arrive together, written together (acceptgroup.go)

	clock dbClock // PostgreSQL's clock (Clock)
}

// dbClock keeps this bot's offset from PostgreSQL's clock (Store.Clock).
type dbClock struct {
	start   sync.Once
	every   time.Duration // between measures: clockEvery
	offset  atomic.Int64  // PostgreSQL's clock minus this bot's, in nanoseconds
	ctx     context.Context
	stop    context.CancelFunc
	running sync.WaitGroup
}

// inLane runs f, a write of a send under way, in its lane (see lane),
// unless ctx ends while it waits for its turn.
func (s *Store) inLane(ctx context.Context, f func() error) error {
	if s.lane == nil {
		return f()
	}
	select {
	case s.lane <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.lane }()
	return f()
}

// newStore is a Store over db (PostgreSQL when pg; SQLite at path).
func newStore(db *sql.DB, pg bool, path string) *Store {
	host, _ := os.Hostname()
	if host == "" {
		host = "bot"
	}
	s := &Store{db: conn{q: db, pg: pg}, raw: db, path: path, now: time.Now, stmts: map[string]*sql.Stmt{},
		owner: newOwner(host), host: host, lease: DefaultLease}
	s.clock.every = clockEvery
	s.clock.ctx, s.clock.stop = context.WithCancel(context.Background())
	if !pg {
		s.lane = make(chan struct{}, 1)
	}
	return s
}

// Open opens (creating it if needed) the log in dir, which is created with
// mode 0700, and brings its schema up to date.
func Open(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data folder: %w", err)
	}
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	_ = f.Close()

	db, err := sql.Open("sqlite", "file:"+path+"?_txlock=immediate"+
		"&_pragma=busy_timeout("+strconv.Itoa(int(BusyTimeout/time.Millisecond))+")&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)")
	if err != nil {
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	// One connection: statements queue in database/sql rather than meet
	// SQLITE_BUSY and SQLite's sleeping retries.
	db.SetMaxOpenConns(1)
	s := newStore(db, false, path)
	if err := s.migrate(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	// Small: it reads a few pages of small tables.
	reader, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout("+strconv.Itoa(int(BusyTimeout/time.Millisecond))+")&_pragma=query_only(1)&_pragma=cache_size(-128)")
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	reader.SetMaxOpenConns(1)
	s.reader, s.readerStmts = reader, map[string]*sql.Stmt{}
	return s, nil
}

// ErrNoLog is returned by OpenReadOnly when dir holds no send log.
var ErrNoLog = errors.New("no send log")

// OpenReadOnly opens the log in dir for reading only: it creates nothing,
// migrates nothing and writes nothing, so that a reader (history) never
// makes a new empty log out of a misspelt DATA_DIR, and can read a log
// it may not write.
func OpenReadOnly(ctx context.Context, dir string) (*Store, error) {
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w in %s (check DATA_DIR; the bot creates the log at its first start)", ErrNoLog, dir)
		}
		return nil, fmt.Errorf("opening the send log: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout("+strconv.Itoa(int(BusyTimeout/time.Millisecond))+")&_pragma=query_only(1)")
	if err != nil {
		return nil, fmt.Errorf("opening the send log: %w", err)
	}
	db.SetMaxOpenConns(1)
	s := newStore(db, false, path)
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("reading the send log in %s: %w", dir, err)
	}
	if err := schemaProblem(version, len(names), false); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("the send log in %s: %w", dir, err)
	}
	return s, nil
}

// schemaProblem says what is wrong with a log at schema version when this
// build knows known versions: a newer one stops everything, an older one
// only a reader (a bot upgrades it).
func schemaProblem(version, known int, upgrading bool) error {
	switch {
	case version > known:
		return fmt.Errorf("schema version %d is newer than this build knows (%d): run a newer linkedin-bot", version, known)
	case version < known && !upgrading:
		return fmt.Errorf("schema version %d is older than this build's %d: start the bot once to upgrade it", version, known)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.stopGroups()
	s.stopClock()
	s.walMu.Lock()
	defer s.walMu.Unlock()
	var err error
	if s.wal != nil {
		err = s.wal.Close()
	}
	if s.reader != nil {
		err = errors.Join(err, s.reader.Close())
	}
	return errors.Join(s.raw.Close(), err)
}

// Sync makes every commit so far durable: it fsyncs the write-ahead
// log, where WAL mode appends commits (frames already moved into the
// database file by a checkpoint were synced by it). The log is reopened
// when SQLite has replaced it (a new file after its connection was reset).
// Callers that overlap share an fsync: one that started after a caller's
// commit covers it (group commit). A claim (Claim syncs itself,
// AcceptClaimed returns once its group is synced) must be durable before Linkup is
// called: after a power cut, a send not known to be called would be sent
// again.
func (s *Store) Sync() error {
	if s.db.pg {
		return nil // PostgreSQL's commit was durable when it returned
	}
	ticket := s.syncAsked.Add(1) // taken after this caller's commit
	s.walMu.Lock()
	defer s.walMu.Unlock()
	if s.syncDone >= ticket {
		return nil // an fsync that started after the commit covered it
	}
	covers := s.syncAsked.Load() // every commit that asked before this fsync starts
	path := s.path + "-wal"
	if s.wal != nil && s.walReplaced(path) {
		_ = s.wal.Close()
		s.wal, s.walInfo = nil, nil
	}
	if s.wal == nil {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("opening the write-ahead log: %w", err)
		}
		s.wal = f
	}
	if err := s.wal.Sync(); err != nil {
		return err
	}
	s.group.fsyncs.Add(1)
	s.syncDone = covers
	return nil
}

// walReplaced tells whether s.wal, the write-ahead log opened at path,
// is no longer the log: SQLite deletes it when its last connection closes
// and makes a new one at path. One stat of path, compared with the open
// file's identity (read once): the open file's count of names cannot
// tell, since another name (a hard link, as a backup by links makes)
// keeps it named after SQLite deleted it at path.
func (s *Store) walReplaced(path string) bool {
	if s.walInfo == nil {
		open, err := s.wal.Stat()
		if err != nil {
			return true
		}
		s.walInfo = open
	}
	cur, err := os.Stat(path)
	return err != nil || !os.SameFile(cur, s.walInfo)
}

// migrate applies the embedded migrations the database has not seen, each
// in its own transaction; PRAGMA user_version counts the applied ones.
func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	return s.migrateTo(ctx, names)
}

func (s *Store) migrateTo(ctx context.Context, names []string) error {
	var version int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("reading the schema version: %w", err)
	}
	if err := schemaProblem(version, len(names), true); err != nil {
		return fmt.Errorf("the database: %w", err)
	}
	for i := version; i < len(names); i++ {
		body, err := migrations.ReadFile(names[i])
		if err != nil {
			return err
		}
		err = s.tx(ctx, func(tx conn) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1))
			return err
		})
		if err != nil {
			return fmt.Errorf("applying migration %s: %w", names[i], err)
		}
	}
	return nil
}

// prepared returns q prepared, preparing it the first time. It must not be
// called inside a transaction: preparing would wait for the transaction's
// connection, the only one.
func (s *Store) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	return s.preparedOn(ctx, s.raw, s.stmts, q)
}

// preparedOn is q prepared on db, kept in stmts (db's own, under mu).
func (s *Store) preparedOn(ctx context.Context, db *sql.DB, stmts map[string]*sql.Stmt, q string) (*sql.Stmt, error) {
	s.mu.Lock()
	st, ok := stmts[q]
	s.mu.Unlock()
	if ok {
		return st, nil
	}
	// Not under the lock: preparing waits for a connection, which must not
	// hold up the other statements (nor outlast their contexts).
	st, err := db.PrepareContext(ctx, s.db.rebind(q))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if first, ok := stmts[q]; ok {
		_ = st.Close()
		return first, nil
	}
	stmts[q] = st
	return st, nil
}

// queryBeside runs q, prepared, on the reader when there is one (see
// reader): a read that need not wait for the writes.
func (s *Store) queryBeside(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s.reader == nil {
		return s.query(ctx, q, args...)
	}
	st, err := s.preparedOn(ctx, s.reader, s.readerStmts, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, s.db.args(args)...)
}

// query runs q, prepared.
func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := s.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, s.db.args(args)...)
}

// queryRow runs q, prepared.
func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := s.prepared(ctx, q)
	if err != nil {
		return s.db.QueryRowContext(ctx, q, args...) // its Scan reports the error
	}
	return st.QueryRowContext(ctx, s.db.args(args)...)
}

func (s *Store) tx(ctx context.Context, f func(conn) error) error {
	tx, err := s.raw.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(conn{q: tx, pg: s.db.pg}); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// dayStart is the start of t's day in UTC, when daily caps reset.
func dayStart(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Accept writes sd as queued and returns it with its ID. A send with the
// same IdemKey is ErrDuplicate (the existing send is returned). With
// dailyLimit > 0, an account whose sends called today (UTC) that may have
// reached LinkedIn, and sends waiting to be called, already number
// dailyLimit gets a *CapError: Claim would refuse to call this one.
func (s *Store) Accept(ctx context.Context, sd Send, dailyLimit int) (Send, error) {
	return s.accept(ctx, sd, dailyLimit, false)
}

// AcceptClaimed is Accept and Claim in one write, for a bot with a worker
// free to send it now: the send is recorded sending, as claimed by this
// store, with Linkup about to be called and its announcement's try. Like a
// claim, it must be durable before Linkup is called, and it is when it
// returns (its group's sync, acceptgroup.go); from then on a crash makes
// it unknown, never resent. The cap is counted as
// by Accept, which counts this send from now on. Like Claim, it records
// the last message seen in the recipient's conversation (Unsettled.SeenBefore).
func (s *Store) AcceptClaimed(ctx context.Context, sd Send, dailyLimit int) (Send, error) {
	return s.accept(ctx, sd, dailyLimit, true)
}

func (s *Store) accept(ctx context.Context, req Send, dailyLimit int, claimed bool) (Send, error) {
	// The send as recorded: what the request sets, the rest as a new row has it.
	sd := Send{
		IdemKey: req.IdemKey, RetryOf: req.RetryOf, Account: req.Account, Requester: req.Requester,
		Channel: req.Channel, ResponseURL: req.ResponseURL, ThreadTS: req.ThreadTS,
		Recipient: req.Recipient, Message: req.Message, Country: req.Country, MediaLink: req.MediaLink,
		MediaName: req.MediaName, MediaType: req.MediaType, MediaSize: req.MediaSize, MediaFileID: req.MediaFileID, MediaURL: req.MediaURL,
		RootChannel: req.RootChannel, RootTS: req.RootTS, DryRun: req.DryRun, AcceptToken: req.AcceptToken,
	}
	now := s.now()
	sd.State, sd.CreatedAt, sd.UpdatedAt = Queued, now, now
	// A queued send's lease is its acceptor's grace (see Claim).
	var attempts, called, rootTries int64
	lease := acceptGrace.Milliseconds()
	if claimed {
		sd.State, sd.Attempts, sd.RootTries, sd.CalledAt = Sending, 1, 1, now
		attempts, lease, called, rootTries = 1, s.leaseMS(), now.UnixMilli(), 1
	}
	sd.Owner = s.owner
	// One statement: the cap's count and the insert cannot be split by
	// another Accept (on PostgreSQL, its group holds the account's cap
	// lock). Written with the accepts arriving at the same time, in one
	// transaction and one sync (acceptgroup.go): durable when it returns.
	var leaseUntil int64
	err := s.acceptGrouped(ctx, sd.Account, dailyLimit, []any{&sd.ID, &leaseUntil, &sd.Leased},
		sd.IdemKey, nullID(sd.RetryOf), sd.Account, sd.Requester, sd.Channel, sd.ResponseURL, sd.ThreadTS,
		sd.Recipient, sd.Message, sd.Country, sd.MediaLink, sd.MediaName, sd.MediaType, sd.MediaSize, sd.MediaFileID, sd.MediaURL, sd.State,
		sd.RootChannel, sd.RootTS, now.UnixMilli(), now.UnixMilli(), sd.DryRun, s.owner, attempts, lease, called, rootTries, sd.Account, sd.Recipient, sd.AcceptToken,
		dailyLimit, sd.Account, dayStart(now).UnixMilli(), dailyLimit, dailyLimit)
	if err == nil {
		sd.LeaseUntil = msTime(leaseUntil)
		return sd, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Send{}, fmt.Errorf("accepting a send: %w", err)
	}
	// Nothing inserted: the key exists, or the cap is reached.
	existing, err := scanOne(s.queryRow(ctx, selectSend+" WHERE idem_key = ?", sd.IdemKey))
	switch {
	case err == nil:
		return existing, ErrDuplicate
	case errors.Is(err, ErrNotFound):
		return Send{}, &CapError{Limit: dailyLimit, ResetAt: dayStart(now).Add(24 * time.Hour)}
	default:
		return Send{}, fmt.Errorf("accepting a send: %w", err)
	}
}

// qAccept inserts a send unless its idempotency key exists or, with a cap
// (the 31st parameter, when > 0), its account already has that many sends
// called today that may have reached LinkedIn or waiting to be called. Its
// lease (the 25th) is a length, from the database's clock.
// Counting stops at the cap, so its cost is bounded by the cap, not by the
// day's sends.
var qAccept = `INSERT INTO sends (idem_key, retry_of, account, requester, channel, response_url, thread_ts,
	recipient, message, country, media_link, media_name, media_type, media_size, media_file_id, media_url, state, root_channel, root_ts, created_at, updated_at, dry_run, owner,
	attempts, lease_until, called_at, root_tries, seen_before, accept_token)
	SELECT CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT),
		CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT),
		CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT),
		CAST(? AS INTEGER), ` + dbNow + ` + CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS INTEGER), ` + lastSeen("CAST(? AS TEXT)", "CAST(? AS TEXT)") + `, CAST(? AS TEXT)
	WHERE CAST(? AS BIGINT) <= 0 OR (SELECT count(*) FROM (SELECT 1 FROM sends WHERE account = ? AND state IN ('queued', 'sending', 'sent', 'unknown')
		AND (called_at = 0 OR called_at >= ?) AND dry_run = 0 LIMIT CAST(? AS INTEGER)) AS counted) < ?
	ON CONFLICT (idem_key) DO NOTHING
	RETURNING id, lease_until, ` + leased

// acceptGrace is how long a queued send is its accepting bot's alone: more
// than an ack waits for its accept (send.AcceptBudget, 2 s), so that a bot
// that gave up on an accept that landed late fails it before another bot
// can claim it. It is the queued send's lease, by the database's clock.
const acceptGrace = 5 * time.Second

// Claim takes the oldest queued send that is due for this store, as
// Linkup is about to be called for it: it becomes sending, with one more
// attempt, this store's lease, and a try of its announcement recorded
// (Announced's, when it has none yet), and the last message the bot had
// recorded in the recipient's conversation (Unsettled.SeenBefore): the
// send's own message comes after it. The claim is durable (fsync) before
// it returns: from then on a crash makes the send unknown, never resent.
// ok is false when none is due.
//
// With dailyLimit > 0, when the send's account already has dailyLimit
// sends called today (UTC) that may have reached LinkedIn, the send is
// claimed without its call (CalledAt zero) and a *CapError comes with it:
// it must be finished failed, not sent.
func (s *Store) Claim(ctx context.Context, dailyLimit int) (sd Send, ok bool, err error) {
	now := s.now()
	ms := now.UnixMilli()
	// The oldest due send, and on PostgreSQL, where several bots claim at
	// once, one no other is claiming; its state is checked again.
	// A send another bot accepted is its alone for acceptGrace (its lease):
	// that bot may have told its requester it was not recorded (the ack
	// could not wait), and only that bot knows to skip it.
	pick := `SELECT id FROM sends WHERE state = 'queued' AND not_before <= ? AND (owner IN ('', ?) OR lease_until < ` + dbNow + `)
		ORDER BY not_before, id LIMIT 1`
	if s.db.pg {
		pick += " FOR UPDATE SKIP LOCKED"
	}
	// Called now, unless the cap is reached (not for dry runs).
	called, calledArgs := `called_at = ?`, []any{ms}
	if dailyLimit > 0 {
		called = `called_at = CASE WHEN dry_run = 1 OR (SELECT count(*) FROM sends AS o WHERE o.account = sends.account
			AND o.state IN ('sending', 'sent', 'unknown') AND o.called_at >= ? AND o.dry_run = 0) < ? THEN CAST(? AS BIGINT) ELSE 0 END`
		calledArgs = []any{dayStart(now).UnixMilli(), dailyLimit, ms}
	}
	claim := func(q func(ctx context.Context, q string, args ...any) *sql.Row, where string, args ...any) error {
		row := q(ctx, `UPDATE sends SET state = 'sending', attempts = attempts + 1, updated_at = ?, owner = ?, lease_until = `+dbNow+` + ?,
			root_tries = root_tries + 1 - announced, seen_before = `+lastSeen("sends.account", "sends.recipient")+`, `+called+`
			WHERE id = `+where+` AND state = 'queued'
			RETURNING `+columns, append(append([]any{ms, s.owner, s.leaseMS()}, calledArgs...), args...)...)
		sd, err = scanOne(row)
		return err
	}
	if !s.db.pg || dailyLimit <= 0 {
		err = s.inLane(ctx, func() error { return claim(s.queryRow, "("+pick+")", ms, s.owner) })
	} else {
		// The cap is counted under its account's lock, as in Accept.
		err = s.tx(ctx, func(tx conn) error {
			var id int64
			var account string
			if err := tx.QueryRowContext(ctx, `SELECT id, account FROM sends WHERE id = (`+pick+`)`, ms, s.owner).Scan(&id, &account); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(CAST(? AS INTEGER), hashtext(?))`, capKey, account); err != nil {
				return err
			}
			return claim(tx.QueryRowContext, "?", id)
		})
	}
	switch {
	case errors.Is(err, ErrNotFound) || isNoRows(err):
		return Send{}, false, nil
	case err != nil:
		return Send{}, false, fmt.Errorf("claiming a send: %w", err)
	}
	if sd.CalledAt.IsZero() && !sd.DryRun {
		return sd, true, &CapError{Limit: dailyLimit, ResetAt: dayStart(now).Add(24 * time.Hour)}
	}
	if err := s.Sync(); err != nil {
		// Not durable: put it back rather than call Linkup on it.
		_ = s.Unclaim(ctx, sd.ID)
		return Send{}, false, fmt.Errorf("syncing the claim to disk: %w", err)
	}
	return sd, true, nil
}

// Unclaim puts a send this store claimed, and did not call Linkup for,
// back in the queue: its claim could not be made durable.
func (s *Store) Unclaim(ctx context.Context, id int64) error {
	return s.exec(ctx, "putting back a claim", `UPDATE sends SET state = 'queued', attempts = attempts - 1, called_at = 0, owner = '', lease_until = 0
		WHERE id = ? AND owner = ? AND state = 'sending'`, id, s.owner)
}

// NewAcceptToken is a fresh Send.AcceptToken, unique to one accept.
func NewAcceptToken() string { return rand.Text() }

// Abandon gives up the one accept named by token (its Send.AcceptToken),
// which failed or came too late, its requester told that nothing was
// sent: if its row was recorded after all, and nothing can have started
// it, the row becomes failed with reason and its Slack posts are marked
// done. Nothing can have started it when:
//   - claimed is false (the accept was Accept): the row is still queued
//     and never claimed (no try of its announcement). A send a worker
//     claimed is never touched: its Linkup call may have begun.
//   - claimed is true (AcceptClaimed): the row is still sending as this
//     store claimed it at its accept. Only the caller of a successful
//     AcceptClaimed starts such a send, no worker claims a send that is
//     not queued, and another bot takes it over only once its lease ends
//     (making it unknown, with another owner).
//
// A row written by another accept under the same key is never touched.
// It reports whether it abandoned a send.
func (s *Store) Abandon(ctx context.Context, idemKey, token string, claimed bool, reason string) (bool, error) {
	if token == "" {
		return false, errors.New("abandoning a request: no accept token")
	}
	untouched := `state = 'queued' AND root_tries = 0`
	args := []any{}
	if claimed {
		untouched = `state = 'sending' AND owner = ?`
		args = append(args, s.owner)
	}
	now := s.now().UnixMilli()
	n, err := s.execN(ctx, `UPDATE sends SET state = 'failed', reason = ?, finished_at = ?, updated_at = ?,
		announced = 1, outcome_posted = 1, root_updated = 1, notified = 1, lease_until = 0
		WHERE idem_key = ? AND accept_token = ? AND `+untouched,
		append([]any{reason, now, now, idemKey, token}, args...)...)
	if err != nil {
		return false, fmt.Errorf("abandoning a request: %w", err)
	}
	return n > 0, nil
}

// KeyHolder returns the send recorded under idemKey, read beside the
// writes (see reader), so that it answers while a write holds the log:
// ErrNotFound when there is none.
func (s *Store) KeyHolder(ctx context.Context, idemKey string) (Send, error) {
	rows, err := s.queryBeside(ctx, selectSend+" WHERE idem_key = ?", idemKey)
	if err != nil {
		return Send{}, fmt.Errorf("reading a request: %w", err)
	}
	all, err := scanAll(rows)
	if err != nil {
		return Send{}, fmt.Errorf("reading a request: %w", err)
	}
	if len(all) == 0 {
		return Send{}, ErrNotFound
	}
	return all[0], nil
}

// NextDue is when the earliest queued send becomes due; ok is false when
// nothing is queued.
func (s *Store) NextDue(ctx context.Context) (t time.Time, ok bool, err error) {
	var ms sql.NullInt64
	if err := s.queryRow(ctx, `SELECT min(not_before) FROM sends WHERE state = 'queued'`).Scan(&ms); err != nil {
		return time.Time{}, false, fmt.Errorf("reading the queue: %w", err)
	}
	if !ms.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(ms.Int64), true, nil
}

// Requeue puts a send this store claimed back in the queue until
// notBefore: only for a failure known to have happened before Linkup
// processed the request. sd's announcement (Announced, RootChannel,
// RootTS) is recorded with it.
func (s *Store) Requeue(ctx context.Context, sd Send, notBefore time.Time, status int, answer string) error {
	return s.exec(ctx, "requeueing a send", `UPDATE sends SET state = 'queued', called_at = 0, not_before = ?, linkup_status = ?, linkup_answer = ?, updated_at = ?,
		owner = '', lease_until = 0, announced = ?, root_channel = ?, root_ts = ?
		WHERE id = ? AND state = 'sending' AND owner = ?`, notBefore.UnixMilli(), status, answer, s.now().UnixMilli(),
		sd.Announced, sd.RootChannel, sd.RootTS, sd.ID, s.owner)
}

// Outcome is how a send ended.
type Outcome struct {
	State        State
	LinkupStatus int
	LinkupAnswer string
	Reason       string
	Credits      int
	// LinkupAPI is the Linkup API the call went through ("v1" or "v2"),
	// set when Linkup was called: v2 does not bill errors (FreeFailure).
	LinkupAPI string
	// ConversationID and EntityURN are where the message went, when known.
	ConversationID string
	EntityURN      string

	// Finish records with the outcome, in the same write, what the run that
	// finished the send did in Slack: its announcement when Announced (the
	// root at RootChannel/RootTS, when there is one), and one more try of
	// each post in Intend, about to be made.
	Announced           bool
	RootChannel, RootTS string
	Intend              []Delivery
}

// ErrNotHeld is returned by Finish when another bot took the send over
// (this one stopped renewing its lease): the outcome is not recorded, and
// is not this bot's to tell.
var ErrNotHeld = errors.New("store: another bot took this send over")

// Finish records the end of a send this store claimed, in one write with
// what o says of its posts. A send that was claimed but not called
// (CalledAt zero) may only end failed. Its posts stay this store's to make
// (see Take).
func (s *Store) Finish(ctx context.Context, id int64, o Outcome) error {
	if !o.State.Final() {
		return fmt.Errorf("finishing send %d: %q is not an end state", id, o.State)
	}
	tries := map[Delivery]int{}
	for _, d := range o.Intend {
		if tryColumn[d] == "" {
			return fmt.Errorf("finishing send %d: post %q has no tries", id, d)
		}
		tries[d]++
	}
	now := s.now().UnixMilli()
	var n int64
	err := s.inLane(ctx, func() (err error) {
		n, err = s.execN(ctx, `UPDATE sends SET state = ?, linkup_status = ?, linkup_answer = ?, reason = ?, credits = ?, linkup_api = ?,
		conversation_id = ?, entity_urn = ?, finished_at = ?, updated_at = ?, owner = ?, lease_until = `+dbNow+` + ?,
		announced = CASE WHEN ? = 1 THEN 1 ELSE announced END,
		root_channel = CASE WHEN ? = 1 THEN ? ELSE root_channel END, root_ts = CASE WHEN ? = 1 THEN ? ELSE root_ts END,
		outcome_tries = outcome_tries + ?, notify_tries = notify_tries + ?, verdict_tries = verdict_tries + ?
		WHERE id = ? AND state IN ('queued', 'sending') AND owner IN (?, '')`, o.State, o.LinkupStatus, o.LinkupAnswer, o.Reason, o.Credits, o.LinkupAPI,
			o.ConversationID, o.EntityURN, now, now, s.owner, s.leaseMS(),
			o.Announced, o.Announced, o.RootChannel, o.Announced, o.RootTS,
			tries[OutcomePosted], tries[Notified], tries[VerdictPosted], id, s.owner)
		return err
	})
	if err != nil {
		return fmt.Errorf("finishing a send: %w", err)
	}
	if n > 0 {
		return nil
	}
	// Nothing matched: an earlier try of this write landed, or another bot took the send over.
	sd, err := s.Get(ctx, id)
	if err == nil && sd.Owner == s.owner && sd.State == o.State {
		return nil
	}
	return fmt.Errorf("finishing send %d: %w", id, ErrNotHeld)
}

// Delivery is one of the Slack messages that tell a send's story.
type Delivery string

const (
	Announced     Delivery = "announced" // the root message, or a retry's note in its thread
	OutcomePosted Delivery = "outcome_posted"
	RootUpdated   Delivery = "root_updated" // every edit: the root, and after a verdict the outcome and notification
	Notified      Delivery = "notified"
	VerdictPosted Delivery = "verdict_posted" // the verdict of the reads that settled an unknown send
)

// tryColumn counts the tries of each post that has them.
var tryColumn = map[Delivery]string{Announced: "root_tries", OutcomePosted: "outcome_tries", Notified: "notify_tries", VerdictPosted: "verdict_tries"}

// Intend records one more try of post d for send id, before it is made.
func (s *Store) Intend(ctx context.Context, id int64, d Delivery) error {
	col := tryColumn[d]
	if col == "" {
		return fmt.Errorf("post %q has no tries", d)
	}
	return s.exec(ctx, "recording a post's try", `UPDATE sends SET `+col+` = `+col+` + 1, updated_at = ? WHERE id = ?`, s.now().UnixMilli(), id)
}

// NotMade records that a try of post d for send id that was recorded
// (Intend, or the claim or outcome that recorded the first) certainly
// made no post: Slack rate-limited it. It no longer counts as a try that
// may have posted.
func (s *Store) NotMade(ctx context.Context, id int64, d Delivery) error {
	col := tryColumn[d]
	if col == "" {
		return fmt.Errorf("post %q has no tries", d)
	}
	return s.exec(ctx, "recording a post not made", `UPDATE sends SET `+col+` = `+col+` - 1, updated_at = ? WHERE id = ? AND `+col+` > 0`, s.now().UnixMilli(), id)
}

// Posted says that post D of send ID went out, at Channel/TS when they
// are set (the root, the outcome and the notification are edited later;
// for a retry, Announced's Channel/TS are the thread it was posted in).
type Posted struct {
	ID          int64
	D           Delivery
	Channel, TS string
}

// MarkDelivered records, in one write, that ds went out for send id.
func (s *Store) MarkDelivered(ctx context.Context, id int64, ds ...Delivery) error {
	ps := make([]Posted, len(ds))
	for i, d := range ds {
		ps[i] = Posted{ID: id, D: d}
	}
	return s.RecordPosts(ctx, ps...)
}

// RecordPosts records ps in one write (one transaction), whatever sends
// they are of: the bot gathers the records of many sends into one commit,
// one statement per send. A send whose every post is recorded gets its
// lease ended.
func (s *Store) RecordPosts(ctx context.Context, ps ...Posted) error {
	type write struct {
		st   *sql.Stmt
		args []any
	}
	now := s.now().UnixMilli()
	var order []int64
	bySend := map[int64][]Posted{}
	for _, p := range ps {
		switch p.D {
		case Announced, OutcomePosted, RootUpdated, Notified, VerdictPosted:
		default:
			return fmt.Errorf("unknown delivery %q", p.D)
		}
		if _, ok := bySend[p.ID]; !ok {
			order = append(order, p.ID)
		}
		bySend[p.ID] = append(bySend[p.ID], p)
	}
	writes := make([]write, 0, len(order))
	for _, id := range order {
		var set []string
		var ds []Delivery
		var args []any
		for i, p := range bySend[id] {
			if slices.ContainsFunc(bySend[id][i+1:], func(later Posted) bool { return later.D == p.D }) {
				continue // a later record of the same post wins
			}
			set = append(set, string(p.D)+" = 1")
			ds = append(ds, p.D)
			if col := postColumn[p.D]; col != "" && (p.Channel != "" || p.TS != "") {
				set = append(set, col+"_channel = ?", col+"_ts = ?")
				args = append(args, p.Channel, p.TS)
			}
		}
		// Prepared before the transaction, which holds SQLite's one connection.
		st, err := s.prepared(ctx, `UPDATE sends SET `+strings.Join(set, ", ")+`, updated_at = ?, lease_until = `+leaseAfter(ds...)+` WHERE id = ?`)
		if err != nil {
			return fmt.Errorf("recording posts: %w", err)
		}
		writes = append(writes, write{st, s.db.args(append(args, now, id))})
	}
	return s.inLane(ctx, func() error {
		if len(writes) == 1 {
			if _, err := writes[0].st.ExecContext(ctx, writes[0].args...); err != nil {
				return fmt.Errorf("recording posts: %w", err)
			}
			return nil
		}
		tx, err := s.raw.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("recording posts: %w", err)
		}
		for _, w := range writes {
			if _, err := tx.StmtContext(ctx, w.st).ExecContext(ctx, w.args...); err != nil {
				_ = tx.Rollback()
				return fmt.Errorf("recording posts: %w", err)
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("recording posts: %w", err)
		}
		return nil
	})
}

// postColumn names the columns of where each post that is edited later went.
var postColumn = map[Delivery]string{Announced: "root", OutcomePosted: "outcome", Notified: "notify"}

// leaseAfter is the SQL of a finished send's lease once ds are recorded
// delivered: 0 (nothing owed, the lease ends) when that makes every post
// delivered, else as it was.
func leaseAfter(ds ...Delivery) string {
	done := func(d Delivery) string {
		if slices.Contains(ds, d) {
			return "1 = 1"
		}
		return string(d) + " = 1"
	}
	verdict := "(verdict = '' OR " + done(VerdictPosted) + ")"
	return "CASE WHEN state IN ('sent', 'failed', 'unknown') AND " + done(OutcomePosted) + " AND " + done(RootUpdated) + " AND " + done(Notified) +
		" AND " + verdict + " THEN 0 ELSE lease_until END"
}

// recoverClaims recovers the claimed sends that also match where (with
// args): those whose Linkup call had not started go back in the queue
// (requeued), and those whose call had started become unknown with
// reason, since Linkup may have sent them (unknown), their posts this
// store's to make.
func (s *Store) recoverClaims(ctx context.Context, reason, where string, args ...any) (requeued, unknown []Send, err error) {
	now := s.now().UnixMilli()
	rows, err := s.db.QueryContext(ctx, `UPDATE sends SET state = 'queued', attempts = attempts - 1, updated_at = ?, owner = '', lease_until = 0
		WHERE state = 'sending' AND called_at = 0`+where+` RETURNING `+columns, append([]any{now}, args...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("recovering sends: %w", err)
	}
	if requeued, err = scanAll(rows); err != nil {
		return nil, nil, fmt.Errorf("recovering sends: %w", err)
	}
	rows, err = s.db.QueryContext(ctx, `UPDATE sends SET state = 'unknown', reason = ?, finished_at = ?, updated_at = ?, owner = ?, lease_until = `+dbNow+` + ?
		WHERE state = 'sending'`+where+` RETURNING `+columns, append([]any{reason, now, now, s.owner, s.leaseMS()}, args...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("recovering sends: %w", err)
	}
	if unknown, err = scanAll(rows); err != nil {
		return nil, nil, fmt.Errorf("recovering sends: %w", err)
	}
	return requeued, unknown, nil
}

// undelivered is the condition of a finished send some of whose posts are owed.
const undelivered = `state IN ('sent', 'failed', 'unknown')
	AND (outcome_posted = 0 OR root_updated = 0 OR notified = 0 OR verdict != '' AND verdict_posted = 0)`

// Undelivered returns the finished sends whose outcome messages did not
// all go out and that this store holds or may take (no live lease of
// another bot), oldest first. A send abandoned by Abandon is not among them.
func (s *Store) Undelivered(ctx context.Context) ([]Send, error) {
	rows, err := s.db.QueryContext(ctx, selectSend+` WHERE `+undelivered+` AND (owner = ? OR lease_until < `+dbNow+`) ORDER BY id`, s.owner)
	if err != nil {
		return nil, fmt.Errorf("listing undelivered sends: %w", err)
	}
	return scanAll(rows)
}

// Orphaned returns the finished sends whose posts another bot owed and
// stopped renewing (it died), oldest first: they are free to Take.
func (s *Store) Orphaned(ctx context.Context) ([]Send, error) {
	rows, err := s.db.QueryContext(ctx, selectSend+` WHERE lease_until > 0 AND lease_until < `+dbNow+` AND owner != ? AND `+undelivered+` ORDER BY id`,
		s.owner)
	if err != nil {
		return nil, fmt.Errorf("listing orphaned sends: %w", err)
	}
	return scanAll(rows)
}

// Get returns send id.
func (s *Store) Get(ctx context.Context, id int64) (Send, error) {
	return scanOne(s.queryRow(ctx, selectSend+" WHERE id = ?", id))
}

// Filter selects sends for List; zero fields select everything.
type Filter struct {
	Since time.Time
	User  string
	State State
}

// List returns the sends that match f, oldest first.
func (s *Store) List(ctx context.Context, f Filter) ([]Send, error) {
	q := selectSend + " WHERE created_at >= ?"
	args := []any{f.Since.UnixMilli()}
	if f.User != "" {
		q += " AND requester = ?"
		args = append(args, f.User)
	}
	if f.State != "" {
		q += " AND state = ?"
		args = append(args, f.State)
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("listing sends: %w", err)
	}
	return scanAll(rows)
}

// execN runs q, prepared, and returns how many rows it changed.
func (s *Store) execN(ctx context.Context, q string, args ...any) (int64, error) {
	st, err := s.prepared(ctx, q)
	if err != nil {
		return 0, err
	}
	res, err := st.ExecContext(ctx, s.db.args(args)...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (s *Store) exec(ctx context.Context, doing, q string, args ...any) error {
	st, err := s.prepared(ctx, q)
	if err == nil {
		_, err = st.ExecContext(ctx, s.db.args(args)...)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	return nil
}

const columns = `id, idem_key, coalesce(retry_of, 0), account, requester, channel, response_url, thread_ts,
	recipient, message, country, media_link, media_name, media_type, media_size, media_file_id, media_url,
	state, attempts, not_before, linkup_status, linkup_answer, reason, credits, linkup_api,
	root_channel, root_ts, announced, outcome_posted, root_updated, notified,
	root_tries, outcome_tries, notify_tries,
	outcome_channel, outcome_ts, notify_channel, notify_ts,
	conversation_id, entity_urn, checks, verdict, verdict_posted, verdict_tries, bridged, dry_run,
	created_at, updated_at, coalesce(finished_at, 0), called_at, owner, lease_until, accept_token, ` + leased

const selectSend = "SELECT " + columns + " FROM sends"

type scanner interface{ Scan(dest ...any) error }

func scan(r scanner) (Send, error) {
	var sd Send
	var notBefore, created, updated, finished, called, lease int64
	err := r.Scan(&sd.ID, &sd.IdemKey, &sd.RetryOf, &sd.Account, &sd.Requester, &sd.Channel, &sd.ResponseURL, &sd.ThreadTS,
		&sd.Recipient, &sd.Message, &sd.Country, &sd.MediaLink, &sd.MediaName, &sd.MediaType, &sd.MediaSize, &sd.MediaFileID, &sd.MediaURL,
		&sd.State, &sd.Attempts, &notBefore, &sd.LinkupStatus, &sd.LinkupAnswer, &sd.Reason, &sd.Credits, &sd.LinkupAPI,
		&sd.RootChannel, &sd.RootTS, &sd.Announced, &sd.OutcomePosted, &sd.RootUpdated, &sd.Notified,
		&sd.RootTries, &sd.OutcomeTries, &sd.NotifyTries,
		&sd.OutcomeChannel, &sd.OutcomeTS, &sd.NotifyChannel, &sd.NotifyTS,
		&sd.ConversationID, &sd.EntityURN, &sd.Checks, &sd.Verdict, &sd.VerdictPosted, &sd.VerdictTries, &sd.Bridged, &sd.DryRun,
		&created, &updated, &finished, &called, &sd.Owner, &lease, &sd.AcceptToken, &sd.Leased)
	if err != nil {
		return Send{}, err
	}
	sd.NotBefore = msTime(notBefore)
	sd.CreatedAt, sd.UpdatedAt, sd.FinishedAt, sd.CalledAt = msTime(created), msTime(updated), msTime(finished), msTime(called)
	sd.LeaseUntil = msTime(lease)
	return sd, nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func scanOne(row *sql.Row) (Send, error) {
	sd, err := scan(row)
	if isNoRows(err) {
		return Send{}, ErrNotFound
	}
	return sd, err
}

func scanAll(rows *sql.Rows) ([]Send, error) {
	defer rows.Close()
	var out []Send
	for rows.Next() {
		sd, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sd)
	}
	return out, rows.Err()
}

func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// IdemKey builds an idempotency key from its kind and the Slack ID it comes from.
func IdemKey(kind, id string) string { return kind + ":" + strings.TrimSpace(id) }
