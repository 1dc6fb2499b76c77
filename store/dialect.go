package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// querier is what *sql.DB and *sql.Tx both do.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs the store's SQL, written once with ? placeholders and integer
// booleans, on SQLite as it is, and on PostgreSQL with numbered
// placeholders ($1, $2…) and booleans passed as 0 and 1.
type conn struct {
	q  querier
	pg bool
}

func (c conn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.q.ExecContext(ctx, c.rebind(query), c.args(args)...)
}

func (c conn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.q.QueryContext(ctx, c.rebind(query), c.args(args)...)
}

func (c conn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return c.q.QueryRowContext(ctx, c.rebind(query), c.args(args)...)
}

// dbNow stands, in the store's SQL, for the database's clock in epoch
// milliseconds, the unit of the times stored. Every lease, grace and
// "seen" time is written and judged by it, never by a bot's own clock:
// bots sharing a database may disagree on the time (lease.go). On
// PostgreSQL it is the start of the statement (statement_timestamp(),
// which a statement's index scans may use); on SQLite, 'now' at the
// statement's step, to the millisecond.
const dbNow = "{now}"

// dbNow's SQL on SQLite and on PostgreSQL.
const (
	sqliteNow = `CAST(round(unixepoch('subsec') * 1000) AS INTEGER)`
	pgNow     = `CAST(floor(extract(epoch FROM statement_timestamp()) * 1000) AS BIGINT)`
)

// rebind writes q for its database: dbNow as that database's clock, and
// on PostgreSQL numbered placeholders. The store's SQL has no ? inside a
// string literal.
func (c conn) rebind(q string) string {
	if strings.Contains(q, dbNow) {
		now := sqliteNow
		if c.pg {
			now = pgNow
		}
		q = strings.ReplaceAll(q, dbNow, now)
	}
	if !c.pg || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] != '?' {
			b.WriteByte(q[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// args passes booleans as integers on PostgreSQL, whose columns for them
// are integers as on SQLite.
func (c conn) args(args []any) []any {
	if !c.pg {
		return args
	}
	for i, a := range args {
		if v, ok := a.(bool); ok {
			if v {
				args[i] = int64(1)
			} else {
				args[i] = int64(0)
			}
		}
	}
	return args
}
