package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Account states.
const (
	AccountConnected = "connected"
	AccountExpired   = "expired"
)

// Account is a LinkedIn account the team sends from. Token is sealed: the
// store never sees a login token in clear.
type Account struct {
	Name        string
	Country     string
	Token       []byte
	State       string
	ConnectedAt time.Time
	ConnectedBy string
	ExpiredAt   time.Time
	Told        bool
	Users       []string // who may send from it, sorted
}

// ErrNoAccount is returned for an account name the store does not hold.
var ErrNoAccount = errors.New("no such account")

// ErrAccountExpired is an account whose LinkedIn session expired: nothing
// is sent from it until it is connected again.
var ErrAccountExpired = errors.New("the LinkedIn session expired")

// PutAccount stores an account, or reconnects the one of that name (same
// name, history and daily count; new token, connected again), and adds
// users to those who may send from it.
func (s *Store) PutAccount(ctx context.Context, a Account, users []string) error {
	now := s.now().UnixMilli()
	err := s.tx(ctx, func(tx conn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (name, country, token, state, connected_at, connected_by)
			VALUES (?, ?, ?, 'connected', ?, ?)
			ON CONFLICT (name) DO UPDATE SET country = excluded.country, token = excluded.token, state = 'connected',
				connected_at = excluded.connected_at, connected_by = excluded.connected_by, expired_at = 0, told = 0`,
			a.Name, a.Country, a.Token, now, a.ConnectedBy); err != nil {
			return err
		}
		for _, u := range users {
			if _, err := tx.ExecContext(ctx, `INSERT INTO account_users (account, "user") VALUES (?, ?) ON CONFLICT DO NOTHING`, a.Name, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storing account %s: %w", a.Name, err)
	}
	return nil
}

// Accounts returns every account, by name.
func (s *Store) Accounts(ctx context.Context) ([]Account, error) {
	return s.accounts(ctx, ``)
}

// Account returns the account name, or ErrNoAccount.
func (s *Store) Account(ctx context.Context, name string) (Account, error) {
	as, err := s.accounts(ctx, `WHERE a.name = ?`, name)
	if err != nil {
		return Account{}, err
	}
	if len(as) == 0 {
		return Account{}, fmt.Errorf("%w: %s", ErrNoAccount, name)
	}
	return as[0], nil
}

// AccountsOf returns the accounts user may send from.
func (s *Store) AccountsOf(ctx context.Context, user string) ([]Account, error) {
	return s.accounts(ctx, `WHERE a.name IN (SELECT account FROM account_users WHERE "user" = ?)`, user)
}

func (s *Store) accounts(ctx context.Context, where string, args ...any) ([]Account, error) {
	users := `(SELECT group_concat("user", ',') FROM (SELECT "user" FROM account_users WHERE account = a.name ORDER BY "user"))`
	if s.db.pg {
		users = `(SELECT string_agg("user", ',' ORDER BY "user") FROM account_users WHERE account = a.name)`
	}
	rows, err := s.queryBeside(ctx, `SELECT a.name, a.country, a.token, a.state, a.connected_at, a.connected_by, a.expired_at, a.told,
		coalesce(`+users+`, '') FROM accounts a `+where+` ORDER BY a.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading accounts: %w", err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		var a Account
		var connected, expired int64
		var users string
		if err := rows.Scan(&a.Name, &a.Country, &a.Token, &a.State, &connected, &a.ConnectedBy, &expired, &a.Told, &users); err != nil {
			return nil, fmt.Errorf("reading accounts: %w", err)
		}
		a.ConnectedAt, a.ExpiredAt = msTime(connected), msTime(expired)
		if users != "" {
			a.Users = strings.Split(users, ",")
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Assign lets user send from account name.
func (s *Store) Assign(ctx context.Context, name, user string) error {
	if _, err := s.Account(ctx, name); err != nil {
		return err
	}
	return s.exec(ctx, "assigning an account", `INSERT INTO account_users (account, "user") VALUES (?, ?) ON CONFLICT DO NOTHING`, name, user)
}

// Unassign stops user from sending from account name.
func (s *Store) Unassign(ctx context.Context, name, user string) error {
	return s.exec(ctx, "unassigning an account", `DELETE FROM account_users WHERE account = ? AND "user" = ?`, name, user)
}

// RemoveAccount removes account name and its token; its sends stay in the log.
func (s *Store) RemoveAccount(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM accounts WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("removing account %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %s", ErrNoAccount, name)
	}
	return nil
}

// ExpireAccount marks account name expired; it reports whether its owner
// is still to be told (the first expiry since it was connected), to one
// caller only, however many expire it at once.
func (s *Store) ExpireAccount(ctx context.Context, name string) (tell bool, err error) {
	now := s.now().UnixMilli()
	err = s.tx(ctx, func(tx conn) error {
		res, err := tx.ExecContext(ctx, `UPDATE accounts SET state = 'expired', told = 1, expired_at = ? WHERE name = ? AND told = 0`, now, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			tell = true
			return nil
		}
		res, err = tx.ExecContext(ctx, `UPDATE accounts SET state = 'expired', expired_at = CASE WHEN expired_at = 0 THEN ? ELSE expired_at END WHERE name = ?`, now, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: %s", ErrNoAccount, name)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("expiring account %s: %w", name, err)
	}
	return tell, nil
}

// KeyCheck returns the sealed check of ACCOUNTS_KEY; ok is false when no
// account was ever stored.
func (s *Store) KeyCheck(ctx context.Context) (sealed []byte, ok bool, err error) {
	err = s.queryRow(ctx, `SELECT sealed FROM accounts_key_check WHERE id = 1`).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading the key check: %w", err)
	}
	return sealed, true, nil
}

// SetKeyCheck stores the sealed check of ACCOUNTS_KEY, once.
func (s *Store) SetKeyCheck(ctx context.Context, sealed []byte) error {
	return s.exec(ctx, "storing the key check", `INSERT INTO accounts_key_check (id, sealed) VALUES (1, ?) ON CONFLICT DO NOTHING`, sealed)
}

// SentToday counts account's sends called today (UTC) that may have
// reached LinkedIn, as the daily cap counts them.
func (s *Store) SentToday(ctx context.Context, account string) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM sends WHERE account = ? AND state IN ('sending', 'sent', 'unknown') AND called_at >= ? AND dry_run = 0`,
		account, dayStart(s.now()).UnixMilli()).Scan(&n)
	return n, err
}
