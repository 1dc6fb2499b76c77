package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // also the database/sql driver "pgx"
)

// PostgreSQL (DATABASE_URL) holds the same log as the embedded SQLite one,
// with the same SQL (see conn) and the same behaviour, proven by the same
// test suite. A commit is durable when it returns (synchronous_commit on,
// PostgreSQL's default), so a claim's mark needs no extra sync.
//
// Several bots may run on one database at once: claims skip the rows
// another is claiming, the daily cap is counted under a lock per account,
// and each bot's work is held by leases that another takes over when it
// dies (lease.go).

//go:embed migrations_pg/*.sql
var migrationsPG embed.FS

// pgConns is the size of a bot's connection pool.
const pgConns = 8

// The advisory locks the store takes, each within a transaction: with the
// hash of the schema's name, migrateKey's while migrating it; with the
// hash of an account's name, capKey's while counting its daily cap.
const (
	migrateKey = 0x6c696e6c // "linl"
	capKey     = migrateKey + 1
)

// OpenPostgres connects to the PostgreSQL database at url and brings its
// schema up to date; migrate false only checks that it is current (for
// readers, which write nothing: ErrNoLog when the bot never ran there).
func OpenPostgres(ctx context.Context, url string, migrate bool) (*Store, error) {
	if _, err := pgx.ParseConfig(url); err != nil {
		return nil, urlProblem(err)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	// A pool: a commit waits for the server's disk, so the acks' inserts
	// must not queue behind the workers' writes. What must not interleave
	// is made safe by the SQL itself (see underCap, Claim, ExpireAccount).
	db.SetMaxOpenConns(pgConns)
	db.SetMaxIdleConns(pgConns)
	s := newStore(db, true, "")
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connecting to the database: %w", connectError(err))
	}
	schema, err := currentSchema(ctx, db.QueryRowContext)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := s.migratePG(ctx, migrate, schema); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// ErrNoSchema is a PostgreSQL database in which no schema of the
// search_path exists (DATABASE_URL's ?search_path=, else the server's):
// there is nowhere to create or find the log.
var ErrNoSchema = errors.New("no schema of the search_path exists")

// currentSchema is the schema the log lives in: the first of the
// search_path that exists, or ErrNoSchema, saying what to do.
func currentSchema(ctx context.Context, queryRow func(context.Context, string, ...any) *sql.Row) (string, error) {
	var schema sql.NullString
	var path, database string
	if err := queryRow(ctx, `SELECT current_schema(), current_setting('search_path'), current_database()`).Scan(&schema, &path, &database); err != nil {
		return "", fmt.Errorf("reading the database's schema: %w", err)
	}
	if !schema.Valid {
		return "", fmt.Errorf("DATABASE_URL: %w in database %s (search_path is %s): create the schema (CREATE SCHEMA name; as its owner), or fix search_path in DATABASE_URL", ErrNoSchema, database, path)
	}
	return schema.String, nil
}

// connectError is a failure to connect with each of its reasons once: pgx
// tries an address with TLS and without (sslmode=prefer, the default),
// and says the same refusal once for each try.
func connectError(err error) error {
	var kept []string
	for _, line := range strings.Split(err.Error(), "\n") {
		if !slices.Contains(kept, line) {
			kept = append(kept, line)
		}
	}
	return &reworded{msg: strings.Join(kept, "\n"), err: err}
}

// undefinedTable is PostgreSQL's SQLSTATE for a table that does not exist.
const undefinedTable = "42P01"

// pgCode is err's SQLSTATE, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// reworded is err with another message.
type reworded struct {
	msg string
	err error
}

func (e *reworded) Error() string { return e.msg }
func (e *reworded) Unwrap() error { return e.err }

// migratePG applies the PostgreSQL migrations the database has not seen,
// under the advisory lock, so that two starting bots migrate once; schema
// is where.
func (s *Store) migratePG(ctx context.Context, apply bool, schema string) error {
	names, err := fs.Glob(migrationsPG, "migrations_pg/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	if !apply {
		var version int
		err := s.db.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&version)
		if pgCode(err) == undefinedTable {
			return fmt.Errorf("%w yet in this database (schema %s; the bot creates it at its first start)", ErrNoLog, schema)
		}
		if err != nil {
			return fmt.Errorf("reading the schema version: %w", err)
		}
		if err := schemaProblem(version, len(names), false); err != nil {
			return fmt.Errorf("the database: %w", err)
		}
		return nil
	}
	return s.tx(ctx, func(tx conn) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(CAST(? AS INTEGER), hashtext(current_schema()))`, migrateKey); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)`); err != nil {
			return err
		}
		var version int
		err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&version)
		if errors.Is(err, sql.ErrNoRows) {
			_, err = tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`)
		}
		if err != nil {
			return fmt.Errorf("reading the schema version: %w", err)
		}
		if err := schemaProblem(version, len(names), true); err != nil {
			return fmt.Errorf("the database: %w", err)
		}
		for i := version; i < len(names); i++ {
			body, err := migrationsPG.ReadFile(names[i])
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("applying migration %s: %w", names[i], err)
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, len(names))
		return err
	})
}

// urlProblem is pgx's reason for refusing DATABASE_URL without the URL,
// which pgx quotes (its password masked): a setting's problem never
// shows its value.
func urlProblem(err error) error {
	msg := err.Error()
	if _, reason, ok := strings.Cut(msg, "`: "); ok {
		msg = reason
	}
	return fmt.Errorf("DATABASE_URL: cannot be read as a PostgreSQL URL, postgres://user:password@host:5432/database (%s; the value is not shown)", msg)
}

// Where is where a log is: the PostgreSQL database at URL when it is set,
// else the embedded one in the folder Dir.
type Where struct{ Dir, URL string }

// String names the log for people, without the database's password.
func (w Where) String() string {
	if w.URL == "" {
		return "DATA_DIR " + w.Dir
	}
	c, err := pgx.ParseConfig(w.URL)
	if err != nil {
		return "DATABASE_URL"
	}
	return fmt.Sprintf("DATABASE_URL (database %s on %s:%d)", c.Database, c.Host, c.Port)
}

// OpenAt opens the log at w and brings its schema up to date.
func OpenAt(ctx context.Context, w Where) (*Store, error) {
	if w.URL != "" {
		return OpenPostgres(ctx, w.URL, true)
	}
	return Open(ctx, w.Dir)
}

// OpenAtReadOnly opens the log at w for reading: it creates and migrates nothing.
func OpenAtReadOnly(ctx context.Context, w Where) (*Store, error) {
	if w.URL != "" {
		return OpenPostgres(ctx, w.URL, false)
	}
	return OpenReadOnly(ctx, w.Dir)
}

// LockAt takes the log at w for this bot (ErrLocked when another has
// it): a data folder is one bot's. A PostgreSQL database takes no lock:
// several bots share it, each holding its work by leases (lease.go).
func LockAt(ctx context.Context, w Where) (unlock func(), err error) {
	if w.URL != "" {
		return func() {}, nil
	}
	return Lock(w.Dir)
}

// CheckPostgres says whether the database at url is reachable, its schema
// version, the bots seen on it in the last minute and which one runs the
// reply bridge (both by the database's clock). It writes nothing.
func CheckPostgres(ctx context.Context, url string) (string, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return "", urlProblem(err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		return "", fmt.Errorf("connecting: %w", connectError(err))
	}
	if _, err := currentSchema(ctx, db.QueryRowContext); err != nil {
		return "", err
	}
	var server string
	if err := db.QueryRowContext(ctx, `SHOW server_version`).Scan(&server); err != nil {
		return "", err
	}
	names, _ := fs.Glob(migrationsPG, "migrations_pg/*.sql")
	var version int
	schema := fmt.Sprintf("no send log yet (the bot creates it; this build's schema is version %d)", len(names))
	if err := db.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&version); err == nil {
		if err := schemaProblem(version, len(names), true); err != nil {
			return "", err
		}
		switch {
		case version < len(names):
			schema = fmt.Sprintf("schema version %d, upgraded to %d at the bot's next start", version, len(names))
		default:
			schema = fmt.Sprintf("schema version %d (current)", version)
		}
	}
	running := "no bot seen in the last minute"
	var seen string
	if err := db.QueryRowContext(ctx, `SELECT coalesce(string_agg(id, ', ' ORDER BY id), '') FROM replicas WHERE seen_at >= `+pgNow+` - $1`,
		time.Minute.Milliseconds()).Scan(&seen); err == nil && seen != "" {
		running = "bots seen in the last minute: " + seen
	}
	var bridge string
	if err := db.QueryRowContext(ctx, `SELECT owner FROM jobs WHERE name = $1 AND lease_until >= `+pgNow, BridgeJob).Scan(&bridge); err == nil {
		running += "; the reply bridge runs on " + bridge
	}
	return fmt.Sprintf("PostgreSQL %s reachable, %s, %s", server, schema, running), nil
}
