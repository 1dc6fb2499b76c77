package store

import (
	"context"
	"fmt"
	"time"
)

// OpenedHome records that user opened the bot's Home tab.
func (s *Store) OpenedHome(ctx context.Context, user string) error {
	return s.exec(ctx, "recording a Home tab opened", `INSERT INTO home_users ("user", opened_at) VALUES (?, ?)
		ON CONFLICT ("user") DO UPDATE SET opened_at = excluded.opened_at`, user, s.now().UnixMilli())
}

// HomeUsers returns the people who opened the Home tab.
func (s *Store) HomeUsers(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT "user" FROM home_users ORDER BY "user"`)
	if err != nil {
		return nil, fmt.Errorf("listing Home users: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("listing Home users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// RecentSends returns user's last n sends, newest first.
func (s *Store) RecentSends(ctx context.Context, user string, n int) ([]Send, error) {
	rows, err := s.db.QueryContext(ctx, selectSend+` WHERE requester = ? ORDER BY id DESC LIMIT ?`, user, n)
	if err != nil {
		return nil, fmt.Errorf("listing a person's sends: %w", err)
	}
	return scanAll(rows)
}

// Waiting is a conversation whose last message is a reply nobody answered.
type Waiting struct {
	Conversation Conversation
	Sender, Body string
	At           time.Time
}

// Waiting returns, newest first, at most n conversations user started
// whose last message is a reply (posted in its thread) that no send
// answered since.
func (s *Store) Waiting(ctx context.Context, user string, n int) ([]Waiting, error) {
	// The two tables share no column name: the conversation's columns need no prefix.
	rows, err := s.db.QueryContext(ctx, `SELECT `+convColumns+`, m.sender, m.body, m.sent_at FROM conversation_messages m
		JOIN conversations c ON c.id = m.conversation
		WHERE c.requester = ? AND m.kind = 'reply' AND m.posted = 1
		AND m.sent_at = (SELECT max(sent_at) FROM conversation_messages WHERE conversation = c.id AND kind != 'empty')
		AND NOT EXISTS (SELECT 1 FROM sends s WHERE s.created_at > m.sent_at AND s.state IN ('queued', 'sending', 'sent', 'unknown')
			AND (s.conversation_id = c.conversation_id AND c.conversation_id != '' OR s.recipient = c.profile_url))
		ORDER BY m.sent_at DESC LIMIT ?`, user, n)
	if err != nil {
		return nil, fmt.Errorf("listing conversations waiting: %w", err)
	}
	defer rows.Close()
	var out []Waiting
	for rows.Next() {
		var w Waiting
		var at int64
		if w.Conversation, err = scanConversation(withExtra{rows, []any{&w.Sender, &w.Body, &at}}); err != nil {
			return nil, fmt.Errorf("listing conversations waiting: %w", err)
		}
		w.At = msTime(at)
		out = append(out, w)
	}
	return out, rows.Err()
}

// withExtra scans a row's first columns as r's caller asks, and the
// columns after them into extra.
type withExtra struct {
	r     scanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.r.Scan(append(dest, w.extra...)...) }
