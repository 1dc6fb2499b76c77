package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
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

// Webhook states.
const (
	WebhookActive  = "active"  // monitoring: it costs while it runs
	WebhookStopped = "stopped" // kept, monitoring nothing
	// WebhookCreating marks a create asked of Linkup whose answer is not
	// kept yet (WebhookID empty): found on the next try, it means the
	// create's answer was lost, and Linkup's list is read for the webhook
	// it may have made before another is.
	WebhookCreating = "creating"
)

// LinkupWebhook is the hosted webhook that watches an account on Linkup
// v2. It outlives the account's removal, so that its monitoring can still
// be stopped.
type LinkupWebhook struct {
	Account   string // the bot's account name
	WebhookID string
	AccountID string // the v2 account it watches
	State     string // WebhookActive, WebhookStopped or WebhookCreating
	// EventsSince is the created_at of the newest event the replay gave
	// (Linkup's clock): the next catch-up starts there, less an overlap.
	EventsSince time.Time
	// HealthyAt is when its stream was last known whole (the bot's clock):
	// a gap from there longer than the replay keeps cannot be caught up.
	HealthyAt time.Time
}

// LinkupWebhooks returns every account's webhook, by account name.
func (s *Store) LinkupWebhooks(ctx context.Context) ([]LinkupWebhook, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT account, webhook_id, account_id, state, events_since, healthy_at FROM linkup_webhooks ORDER BY account`)
	if err != nil {
		return nil, fmt.Errorf("listing the Linkup webhooks: %w", err)
	}
	defer rows.Close()
	var out []LinkupWebhook
	for rows.Next() {
		var w LinkupWebhook
		var since, healthy int64
		if err := rows.Scan(&w.Account, &w.WebhookID, &w.AccountID, &w.State, &since, &healthy); err != nil {
			return nil, fmt.Errorf("listing the Linkup webhooks: %w", err)
		}
		w.EventsSince, w.HealthyAt = msTime(since), msTime(healthy)
		out = append(out, w)
	}
	return out, rows.Err()
}

// PutLinkupWebhook keeps w as its account's webhook, replacing the one it had.
func (s *Store) PutLinkupWebhook(ctx context.Context, w LinkupWebhook) error {
	return s.exec(ctx, "keeping the Linkup webhook of account "+w.Account,
		`INSERT INTO linkup_webhooks (account, webhook_id, account_id, state, events_since, healthy_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (account) DO UPDATE SET webhook_id = excluded.webhook_id, account_id = excluded.account_id, state = excluded.state,
		events_since = excluded.events_since, healthy_at = excluded.healthy_at`,
		w.Account, w.WebhookID, w.AccountID, w.State, unixMS(w.EventsSince), unixMS(w.HealthyAt))
}

// DeleteLinkupWebhook forgets account's webhook.
func (s *Store) DeleteLinkupWebhook(ctx context.Context, account string) error {
	return s.exec(ctx, "forgetting the Linkup webhook of account "+account, `DELETE FROM linkup_webhooks WHERE account = ?`, account)
}

// eventsKept is how long a handled event's keys are kept: longer than the
// replay keeps events (24 hours), with room for a catch-up's overlap.
const eventsKept = 48 * time.Hour

// EventsHandled reports whether webhook's event known by any of keys (its
// event_id, its content) was handled.
func (s *Store) EventsHandled(ctx context.Context, webhook string, keys ...string) (bool, error) {
	for _, k := range keys {
		var one int
		err := s.queryRow(ctx, `SELECT 1 FROM linkup_events WHERE webhook_id = ? AND key = ?`, webhook, k).Scan(&one)
		switch {
		case err == nil:
			return true, nil
		case !isNoRows(err):
			return false, fmt.Errorf("reading the events handled: %w", err)
		}
	}
	return false, nil
}

// MarkEventHandled records that webhook's event known by keys was handled,
// and forgets the keys of events handled more than two days ago (the
// database's clock).
func (s *Store) MarkEventHandled(ctx context.Context, webhook string, keys ...string) error {
	if err := s.exec(ctx, "forgetting old events", `DELETE FROM linkup_events WHERE seen_at < `+dbNow+` - ?`, eventsKept.Milliseconds()); err != nil {
		return err
	}
	for _, k := range keys {
		if err := s.exec(ctx, "recording an event handled", `INSERT INTO linkup_events (webhook_id, key, seen_at) VALUES (?, ?, `+dbNow+`)
			ON CONFLICT (webhook_id, key) DO NOTHING`, webhook, k); err != nil {
			return err
		}
	}
	return nil
}

// unixMS is t in epoch milliseconds; 0 for the zero time.
func unixMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
