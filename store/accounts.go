package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
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
	// ID is the account's identity: random, set when it is first stored,
	// never changed. Its token is sealed to it.
	ID   string
	Name string // a label, unique, shown to people; sends name their account by it
	// Owner is the Slack user whose own account this is (then its only
	// user), empty for the others: self-service finds a person's account by
	// it, never by its name.
	Owner string
	// Default marks the default account connected like the others: it has
	// no users, as anyone allowed to send may use it (package account
	// takes it as the default when its name is LINKUP_ACCOUNT_NAME). It is
	// set when it is first stored, never by its name alone.
	Default     bool
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

// ErrTokenUnopenable is an account whose stored token does not open as
// its own (it was copied from another account's row, or sealed under
// another key, or damaged): it is not used until it is connected again.
var ErrTokenUnopenable = errors.New("the stored token does not open as this account's")

// ErrNeedsV2 is an account connected on Linkup v2 with its account ID
// alone (no login token): a bot on v1, which sends with a login token,
// cannot use it.
var ErrNeedsV2 = errors.New("it was connected on Linkup v2, which gave no v1 login token: set LINKUP_API_VERSION=v2, or connect it again")

// ErrKeyChanged is a write that found another key check than the one its
// caller verified its key with: the accounts were re-sealed under another
// key (linkedin-bot accounts rekey) since. Nothing was written.
var ErrKeyChanged = errors.New("the stored accounts were re-sealed under another ACCOUNTS_KEY (linkedin-bot accounts rekey) since this program started: nothing was changed; restart it with the new ACCOUNTS_KEY")

// ErrOwned is an account for a person who already owns one.
var ErrOwned = errors.New("already has an own account")

// ErrNotDefault is a connect of the default account under the name of an
// account that is not the default, or the reverse: nothing was stored.
var ErrNotDefault = errors.New("is not the default account")

// ErrIsDefault is a user assigned to the default account: everyone allowed
// to send may use it already, so it has no users.
var ErrIsDefault = errors.New("was connected as the default account, for everyone allowed to send: it has no users to assign or unassign")

// Seal seals a login token to the ID of the account it is stored in. It is
// called inside the write's transaction, once the ID is known.
type Seal func(id string) ([]byte, error)

// newAccountID is a fresh account ID: 128 random bits, in hex.
func newAccountID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// holdKeyCheck makes sure, in tx, that the stored key check is check,
// storing it when there is none, and keeps it so until tx ends (a row lock
// on PostgreSQL; SQLite's write transaction holds the whole store): a
// token is never stored under another key than the stored accounts'.
func holdKeyCheck(ctx context.Context, tx conn, check []byte) error {
	q := `SELECT sealed FROM accounts_key_check WHERE id = 1`
	if tx.pg {
		q += ` FOR UPDATE`
	}
	var got []byte
	err := tx.QueryRowContext(ctx, q).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO accounts_key_check (id, sealed) VALUES (1, ?) ON CONFLICT DO NOTHING`, check); err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, q).Scan(&got)
	}
	if err != nil {
		return err
	}
	if !bytes.Equal(got, check) {
		return ErrKeyChanged
	}
	return nil
}

// PutAccount stores account a.Name, or reconnects the one of that name
// (same identity, name, history and daily count; new token, connected
// again), and adds users to those who may send from it. The token is
// seal(its ID). A new account with a.Owner set is owned by them (ErrOwned
// when they own one already); so is an existing one whose only user they
// are, when they own none. Adding someone else to an owned account makes
// it shared (no owner). check is the caller's key check: the store's
// must be it (ErrKeyChanged), or is set to it when there is none.
func (s *Store) PutAccount(ctx context.Context, a Account, users []string, check []byte, seal Seal) error {
	now := s.now().UnixMilli()
	err := s.tx(ctx, func(tx conn) error {
		if err := holdKeyCheck(ctx, tx, check); err != nil {
			return err
		}
		var id, owner string
		var isDefault bool
		err := tx.QueryRowContext(ctx, `SELECT id, owner, is_default FROM accounts WHERE name = ?`, a.Name).Scan(&id, &owner, &isDefault)
		if err == nil && isDefault != a.Default {
			return ErrNotDefault
		}
		if a.Default && len(users) > 0 {
			return ErrIsDefault
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if a.Owner != "" {
				var mine string
				err := tx.QueryRowContext(ctx, `SELECT name FROM accounts WHERE owner = ?`, a.Owner).Scan(&mine)
				if err == nil {
					return fmt.Errorf("%s %w (%s)", a.Owner, ErrOwned, mine)
				}
				if !errors.Is(err, sql.ErrNoRows) {
					return err
				}
			}
			id, owner = newAccountID(), a.Owner
			token, err := seal(id)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, name, owner, is_default, country, token, state, connected_at, connected_by)
				VALUES (?, ?, ?, ?, ?, ?, 'connected', ?, ?)`, id, a.Name, owner, flag(a.Default), a.Country, token, now, a.ConnectedBy); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			token, err := seal(id)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE accounts SET country = ?, token = ?, state = 'connected', connected_at = ?, connected_by = ?, expired_at = 0, told = 0
				WHERE id = ?`, a.Country, token, now, a.ConnectedBy, id); err != nil {
				return err
			}
		}
		for _, u := range users {
			if err := assignIn(ctx, tx, a.Name, u); err != nil {
				return err
			}
		}
		if a.Owner != "" && owner == "" { // an existing account connected again for its one user: theirs, when they own none
			_, err := tx.ExecContext(ctx, `UPDATE accounts SET owner = ? WHERE id = ?
				AND NOT EXISTS (SELECT 1 FROM accounts o WHERE o.owner = ?)
				AND NOT EXISTS (SELECT 1 FROM account_users u WHERE u.account = ? AND u."user" != ?)`, a.Owner, id, a.Owner, a.Name, a.Owner)
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storing account %s: %w", a.Name, err)
	}
	return nil
}

// flag is b as the store keeps it, an INTEGER 1 or 0 on both databases.
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// assignIn lets user send from account name, in tx: an owned account
// another person is added to is shared from then on.
func assignIn(ctx context.Context, tx conn, name, user string) error {
	var isDefault bool
	if err := tx.QueryRowContext(ctx, `SELECT is_default FROM accounts WHERE name = ?`, name).Scan(&isDefault); err == nil && isDefault {
		return ErrIsDefault
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO account_users (account, "user") VALUES (?, ?) ON CONFLICT DO NOTHING`, name, user); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE accounts SET owner = '' WHERE name = ? AND owner != '' AND owner != ?`, name, user)
	return err
}

// PutOwnAccount stores owner's own account (self-service): the account
// they own renewed, when they have one (same identity, name, history and
// daily count); else a new one, owned by them, its only user, named label
// when that name is free, else label with their user ID (and a number)
// appended, the first that is free. A name in reserved is never free. It
// never touches an account owner does not own, so two connects of one
// person at once give one account, and two people with one label give two.
// The token is seal(the account's ID); check is as for PutAccount. It
// returns the account's name.
func (s *Store) PutOwnAccount(ctx context.Context, owner, label, country string, reserved []string, check []byte, seal Seal) (string, error) {
	now := s.now().UnixMilli()
	var name string
	err := s.tx(ctx, func(tx conn) error {
		if err := holdKeyCheck(ctx, tx, check); err != nil {
			return err
		}
		for n := 0; n < 100; n++ {
			var id string
			err := tx.QueryRowContext(ctx, `SELECT id, name FROM accounts WHERE owner = ?`, owner).Scan(&id, &name)
			if err == nil {
				token, err := seal(id)
				if err != nil {
					return err
				}
				_, err = tx.ExecContext(ctx, `UPDATE accounts SET country = ?, token = ?, state = 'connected', connected_at = ?, connected_by = ?, expired_at = 0, told = 0
					WHERE id = ?`, country, token, now, owner, id)
				return err
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if name, err = freeName(ctx, tx, label, owner, reserved); err != nil {
				return err
			}
			id = newAccountID()
			token, err := seal(id)
			if err != nil {
				return err
			}
			// Nothing on a conflict: another connect took the name, or this
			// owner's account, since it was looked for (PostgreSQL); look again.
			res, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, name, owner, country, token, state, connected_at, connected_by)
				VALUES (?, ?, ?, ?, ?, 'connected', ?, ?) ON CONFLICT DO NOTHING`, id, name, owner, country, token, now, owner)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				_, err = tx.ExecContext(ctx, `INSERT INTO account_users (account, "user") VALUES (?, ?)`, name, owner)
				return err
			}
		}
		return errors.New("no free name found")
	})
	if err != nil {
		return "", fmt.Errorf("storing the own account of %s: %w", owner, err)
	}
	return name, nil
}

// freeName is the first name no account has, no send or conversation
// in the log names (a removed account's: its Retry buttons, watched
// conversations and daily count go by its name, and must never pass to
// another person's account), and reserved does not hold, of label,
// "label (owner)", "label (owner, 2)"….
func freeName(ctx context.Context, tx conn, label, owner string, reserved []string) (string, error) {
	for n := 1; ; n++ {
		name := label
		switch {
		case n == 2:
			name = label + " (" + owner + ")"
		case n > 2:
			name = fmt.Sprintf("%s (%s, %d)", label, owner, n-1)
		}
		if slices.Contains(reserved, name) {
			continue
		}
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 WHERE EXISTS (SELECT 1 FROM accounts WHERE name = ?)
			OR EXISTS (SELECT 1 FROM sends WHERE account = ?) OR EXISTS (SELECT 1 FROM conversations WHERE account = ?)`, name, name, name).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return name, nil
		}
		if err != nil {
			return "", err
		}
	}
}

// OwnAccount returns the account user owns, or ErrNoAccount.
func (s *Store) OwnAccount(ctx context.Context, user string) (Account, error) {
	as, err := s.accounts(ctx, `WHERE a.owner = ?`, user)
	if err != nil {
		return Account{}, err
	}
	if len(as) == 0 {
		return Account{}, fmt.Errorf("%w owned by %s", ErrNoAccount, user)
	}
	return as[0], nil
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

// Brief is what choosing an account needs of it, read on every request:
// an Account without its token, dates and users.
type Brief struct {
	Name    string
	Owner   string
	Default bool
	Country string
	State   string
}

// Brief is a's brief.
func (a Account) Brief() Brief {
	return Brief{Name: a.Name, Owner: a.Owner, Default: a.Default, Country: a.Country, State: a.State}
}

// BriefsOf returns, by name, the briefs of the accounts user may send
// from.
func (s *Store) BriefsOf(ctx context.Context, user string) ([]Brief, error) {
	return s.briefs(ctx, `WHERE a.name IN (SELECT account FROM account_users WHERE "user" = ?)`, user)
}

// BriefOf returns account name's brief, or ErrNoAccount.
func (s *Store) BriefOf(ctx context.Context, name string) (Brief, error) {
	bs, err := s.briefs(ctx, `WHERE a.name = ?`, name)
	if err != nil {
		return Brief{}, err
	}
	if len(bs) == 0 {
		return Brief{}, fmt.Errorf("%w: %s", ErrNoAccount, name)
	}
	return bs[0], nil
}

func (s *Store) briefs(ctx context.Context, where string, args ...any) ([]Brief, error) {
	rows, err := s.queryBeside(ctx, `SELECT a.name, a.owner, a.is_default, a.country, a.state FROM accounts a `+where+` ORDER BY a.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading accounts: %w", err)
	}
	defer rows.Close()
	var out []Brief
	for rows.Next() {
		var b Brief
		if err := rows.Scan(&b.Name, &b.Owner, &b.Default, &b.Country, &b.State); err != nil {
			return nil, fmt.Errorf("reading accounts: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

func (s *Store) accounts(ctx context.Context, where string, args ...any) ([]Account, error) {
	users := `(SELECT group_concat("user", ',') FROM (SELECT "user" FROM account_users WHERE account = a.name ORDER BY "user"))`
	if s.db.pg {
		users = `(SELECT string_agg("user", ',' ORDER BY "user") FROM account_users WHERE account = a.name)`
	}
	rows, err := s.queryBeside(ctx, `SELECT a.id, a.name, a.owner, a.is_default, a.country, a.token, a.state, a.connected_at, a.connected_by, a.expired_at, a.told,
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
		if err := rows.Scan(&a.ID, &a.Name, &a.Owner, &a.Default, &a.Country, &a.Token, &a.State, &connected, &a.ConnectedBy, &expired, &a.Told, &users); err != nil {
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

// Assign lets user send from account name. An owned account another
// person is assigned to is shared from then on: its owner can no longer
// renew it from Slack.
func (s *Store) Assign(ctx context.Context, name, user string) error {
	if _, err := s.Account(ctx, name); err != nil {
		return err
	}
	err := s.tx(ctx, func(tx conn) error { return assignIn(ctx, tx, name, user) })
	if errors.Is(err, ErrIsDefault) {
		return fmt.Errorf("%s %w", name, err)
	}
	if err != nil {
		return fmt.Errorf("assigning an account: %w", err)
	}
	return nil
}

// Unassign stops user from sending from account name; when it was theirs,
// it is no longer owned. An account the store does not hold is ErrNoAccount.
func (s *Store) Unassign(ctx context.Context, name, user string) error {
	if a, err := s.Account(ctx, name); err != nil {
		return err
	} else if a.Default {
		return fmt.Errorf("%s %w", name, ErrIsDefault)
	}
	err := s.tx(ctx, func(tx conn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM account_users WHERE account = ? AND "user" = ?`, name, user); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE accounts SET owner = '' WHERE name = ? AND owner = ?`, name, user)
		return err
	})
	if err != nil {
		return fmt.Errorf("unassigning an account: %w", err)
	}
	return nil
}

// RemoveAccount removes account name and its token; its sends stay in the
// log. Removing the last account clears the key check: the next account
// may be stored under any key.
func (s *Store) RemoveAccount(ctx context.Context, name string) error {
	err := s.tx(ctx, func(tx conn) error {
		if tx.pg { // against a connect storing its token under the check at once
			if _, err := tx.ExecContext(ctx, `SELECT sealed FROM accounts_key_check WHERE id = 1 FOR UPDATE`); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM accounts WHERE name = ?`, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNoAccount
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM linkup_accounts WHERE name = ?`, name); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM accounts_key_check WHERE NOT EXISTS (SELECT 1 FROM accounts)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("removing account %s: %w", name, err)
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

// Reseal replaces, in one transaction, the key check old with check and
// each account's token with reseal's answer for it (none: kept as it is).
// It is ErrKeyChanged when the stored check is not old (another program
// re-sealed them first), and changes nothing when reseal fails. Writes of
// tokens under the old check wait for it, then fail (see PutAccount). It
// returns how many tokens it replaced.
func (s *Store) Reseal(ctx context.Context, old, check []byte, reseal func(a Account) ([]byte, error)) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx conn) error {
		res, err := tx.ExecContext(ctx, `UPDATE accounts_key_check SET sealed = ? WHERE id = 1 AND sealed = ?`, check, old)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrKeyChanged
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, name, token FROM accounts ORDER BY name`)
		if err != nil {
			return err
		}
		var as []Account
		for rows.Next() {
			var a Account
			if err := rows.Scan(&a.ID, &a.Name, &a.Token); err != nil {
				rows.Close()
				return err
			}
			as = append(as, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, a := range as {
			token, err := reseal(a)
			if err != nil {
				return err
			}
			if token == nil {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE accounts SET token = ? WHERE id = ?`, token, a.ID); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("re-sealing the accounts' tokens: %w", err)
	}
	return n, nil
}

// SentToday counts account's sends called today (UTC) that may have
// reached LinkedIn, as the daily cap counts them.
func (s *Store) SentToday(ctx context.Context, account string) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM sends WHERE account = ? AND state IN ('sending', 'sent', 'unknown') AND called_at >= ? AND dry_run = 0`,
		account, dayStart(s.now()).UnixMilli()).Scan(&n)
	return n, err
}
