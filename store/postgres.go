package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver "pgx"
)

// PostgreSQL (DATABASE_URL) holds the same log as the embedded SQLite one,
// with the same SQL (see conn) and the same behaviour, proven by the same
// test suite. A commit is durable when it returns (synchronous_commit on,
// PostgreSQL's default), so a claim's mark needs no extra sync.
//
// For now one bot runs on a database at a time, as on a data folder:
// LockPostgres holds an advisory lock for the bot's life.

//go:embed migrations_pg/*.sql
var migrationsPG embed.FS

// lockKey, with the hash of the schema's name, is the advisory lock a bot
// holds on its database (and takes, within a transaction, to migrate it).
const lockKey = 0x6c696e6b // "link"

// OpenPostgres connects to the PostgreSQL database at url and brings its
// schema up to date; migrate false only checks that it is current (for
// readers, which write nothing).
func OpenPostgres(ctx context.Context, url string, migrate bool) (*Store, error) {
	if _, err := pgx.ParseConfig(url); err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	// One connection, as on SQLite: the store's statements run one at a time.
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	s := &Store{db: conn{q: db, pg: true}, raw: db, now: time.Now, stmts: map[string]*sql.Stmt{}}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connecting to the database: %w", err)
	}
	if err := s.migratePG(ctx, migrate); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// migratePG applies the PostgreSQL migrations the database has not seen,
// under the advisory lock, so that two starting bots migrate once.
func (s *Store) migratePG(ctx context.Context, apply bool) error {
	names, err := fs.Glob(migrationsPG, "migrations_pg/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	return s.tx(ctx, func(tx conn) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(CAST(? AS INTEGER), hashtext(current_schema()))`, lockKey); err != nil {
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
		switch {
		case version > len(names):
			return fmt.Errorf("the database has schema version %d, newer than this build knows (%d): run a newer linkedin-bot", version, len(names))
		case version < len(names) && !apply:
			return fmt.Errorf("the database has schema version %d, older than this build's %d: start the bot once to upgrade it", version, len(names))
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

// LockPostgres takes the database at url for this bot, on a connection of
// its own, until unlock is called or the process ends: one bot at a time,
// as on a data folder (ErrLocked when another holds it).
func LockPostgres(ctx context.Context, url string) (unlock func(), err error) {
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connecting to the database: %w", err)
	}
	var ok bool
	if err := c.QueryRow(ctx, `SELECT pg_try_advisory_lock(CAST($1 AS INTEGER), hashtext(current_schema()))`, lockKey).Scan(&ok); err != nil {
		_ = c.Close(ctx)
		return nil, fmt.Errorf("locking the database: %w", err)
	}
	if !ok {
		_ = c.Close(ctx)
		return nil, fmt.Errorf("%w: another linkedin-bot is running on this database", ErrLocked)
	}
	return func() { _ = c.Close(context.Background()) }, nil
}
