package store

import (
	"context"
	"fmt"
	"time"
)

// Figures are what the log says now, for the metrics: read beside the
// writes (on SQLite's reader connection), never in a send's way.
type Figures struct {
	Queued       int           // sends in the queue, of every bot of the log
	OldestQueued time.Duration // since the oldest was accepted (its acceptor's clock against this bot's); 0 when none
	ReadCredits  int           // read credits spent today (UTC)
	Accounts     map[string]int
	Jobs         []string // the jobs whose lease this store holds
	Webhooks     []string // the accounts whose Linkup webhook is active
}

// Figures reads the log's figures for the metrics.
func (s *Store) Figures(ctx context.Context) (Figures, error) {
	f := Figures{Accounts: map[string]int{}}
	now := s.now()
	var oldest int64
	err := s.rowBeside(ctx, func(scan func(...any) error) error { return scan(&f.Queued, &oldest) },
		`SELECT count(*), COALESCE(min(created_at), 0) FROM sends WHERE state = 'queued'`)
	if err != nil {
		return f, fmt.Errorf("reading the queue: %w", err)
	}
	if f.Queued > 0 {
		f.OldestQueued = max(now.Sub(time.UnixMilli(oldest)), 0)
	}
	err = s.rowsBeside(ctx, func(scan func(...any) error) error { return scan(&f.ReadCredits) },
		`SELECT credits FROM read_credits WHERE day = ?`, now.UTC().Format(time.DateOnly))
	if err != nil {
		return f, fmt.Errorf("reading today's read credits: %w", err)
	}
	err = s.rowsBeside(ctx, func(scan func(...any) error) error {
		var state string
		var n int
		if err := scan(&state, &n); err != nil {
			return err
		}
		f.Accounts[state] = n
		return nil
	}, `SELECT state, count(*) FROM accounts GROUP BY state`)
	if err != nil {
		return f, fmt.Errorf("counting the accounts: %w", err)
	}
	err = s.rowsBeside(ctx, func(scan func(...any) error) error {
		var job string
		if err := scan(&job); err != nil {
			return err
		}
		f.Jobs = append(f.Jobs, job)
		return nil
	}, `SELECT name FROM jobs WHERE owner = ? AND lease_until > `+dbNow, s.owner)
	if err != nil {
		return f, fmt.Errorf("reading the jobs held: %w", err)
	}
	err = s.rowsBeside(ctx, func(scan func(...any) error) error {
		var account string
		if err := scan(&account); err != nil {
			return err
		}
		f.Webhooks = append(f.Webhooks, account)
		return nil
	}, `SELECT account FROM linkup_webhooks WHERE state = 'active'`)
	if err != nil {
		return f, fmt.Errorf("reading the webhooks: %w", err)
	}
	return f, nil
}

// Ping is a trivial query, for the readiness probe: whether the log answers.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	return s.rowBeside(ctx, func(scan func(...any) error) error { return scan(&n) }, `SELECT count(*) FROM jobs`)
}

// rowBeside runs q beside the writes and scans its one row.
func (s *Store) rowBeside(ctx context.Context, scan func(func(...any) error) error, q string, args ...any) error {
	rows := 0
	err := s.rowsBeside(ctx, func(f func(...any) error) error { rows++; return scan(f) }, q, args...)
	if err == nil && rows != 1 {
		err = fmt.Errorf("%d rows, not 1", rows)
	}
	return err
}

// rowsBeside runs q beside the writes and scans each row.
func (s *Store) rowsBeside(ctx context.Context, scan func(func(...any) error) error, q string, args ...any) error {
	rows, err := s.queryBeside(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}
