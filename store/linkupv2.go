package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// LinkupAccount is what Linkup v2 knows an account by: its persistent
// account_id, got once and kept, so that a restart logs in to nothing
// again.
type LinkupAccount struct {
	Name      string // the bot's name of the account, the default one's included
	AccountID string
	// TokenHash binds the ID to the login token it was got for (the
	// account package's SHA-256, in hex, of the token and the ID): the ID
	// is got again, free, when the account's token changes or the ID no
	// longer matches it; empty when the account was logged in on v2 and
	// has no token.
	TokenHash string
}

// LinkupAccount returns account name's v2 identity; ok is false when it
// has none yet.
func (s *Store) LinkupAccount(ctx context.Context, name string) (a LinkupAccount, ok bool, err error) {
	err = s.queryRow(ctx, `SELECT name, account_id, token_hash FROM linkup_accounts WHERE name = ?`, name).Scan(&a.Name, &a.AccountID, &a.TokenHash)
	if errors.Is(err, sql.ErrNoRows) {
		return LinkupAccount{}, false, nil
	}
	if err != nil {
		return LinkupAccount{}, false, fmt.Errorf("reading the Linkup v2 id of account %s: %w", name, err)
	}
	return a, true, nil
}

// PutLinkupAccount keeps a's v2 identity, replacing the one its name had.
func (s *Store) PutLinkupAccount(ctx context.Context, a LinkupAccount) error {
	return s.exec(ctx, "keeping the Linkup v2 id of account "+a.Name,
		`INSERT INTO linkup_accounts (name, account_id, token_hash) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET account_id = excluded.account_id, token_hash = excluded.token_hash`, a.Name, a.AccountID, a.TokenHash)
}
