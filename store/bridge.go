package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Conversation is a LinkedIn conversation mirrored into a Slack thread.
type Conversation struct {
	ID int64
	// ConversationID is Linkup's ID, in its short form; empty until known.
	ConversationID string
	ProfileURL     string
	Participant    string // the other side's name, once seen
	Requester      string // the Slack user mentioned on the first reply; empty for the inbox
	Channel        string
	ThreadTS       string // empty while an inbox conversation's root is not posted
	RootTries      int
	// Since: older messages are not mirrored.
	Since time.Time
	// LastActivity: the conversation is watched for a while after it.
	LastActivity time.Time
	// LastSeen is the inbox's last message when the conversation was last read.
	LastSeen  string
	LookedUp  bool // read once by its URL, its ID being unknown
	Mentioned bool // the first reply mentioned Requester
	CreatedAt time.Time
	// Account is the LinkedIn account it belongs to (read with its session,
	// replied to from it); '' for the default account.
	Account string
}

// Message kinds of a conversation.
const (
	MsgReply   = "reply"   // from the other side
	MsgAccount = "account" // from the account, written on LinkedIn itself
	MsgOther   = "other"   // a system or non-text message
	MsgOwn     = "own"     // the bot's own send: already in the thread, never posted
	MsgEmpty   = "empty"   // a text message with no text: recorded, never posted
)

// ConvMessage is one LinkedIn message of a mirrored conversation.
type ConvMessage struct {
	Conversation int64
	Key          string // the entity URN, else a digest of time, sender and text
	SentAt       time.Time
	Kind         string
	Sender       string
	Body         string
	Posted       bool
	Tries        int
	Notified     bool
	NotifyTries  int
	// FellBack: a try of its post went past its thread (Slack refused the
	// thread), to a fallback place.
	FellBack bool
}

const convColumns = `id, conversation_id, profile_url, participant, requester, channel, thread_ts, root_tries,
	since, last_activity, last_seen, looked_up, mentioned, created_at, account`

func scanConversation(r scanner) (Conversation, error) {
	var c Conversation
	var since, last, created int64
	err := r.Scan(&c.ID, &c.ConversationID, &c.ProfileURL, &c.Participant, &c.Requester, &c.Channel, &c.ThreadTS, &c.RootTries,
		&since, &last, &c.LastSeen, &c.LookedUp, &c.Mentioned, &created, &c.Account)
	if errors.Is(err, sql.ErrNoRows) {
		return Conversation{}, ErrNotFound
	}
	c.Since, c.LastActivity, c.CreatedAt = msTime(since), msTime(last), msTime(created)
	return c, err
}

func (s *Store) conversations(ctx context.Context, where string, args ...any) ([]Conversation, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+convColumns+" FROM conversations "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("listing conversations: %w", err)
	}
	defer rows.Close()
	var out []Conversation
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, fmt.Errorf("listing conversations: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Watch starts or renews the watch of a conversation, found by its
// ConversationID, else by its ProfileURL and Account. An existing one moves to c's
// thread when c has one (the newest send's thread is the mirror), keeps
// the earlier of the two Since, and the later LastActivity. It returns
// the conversation as stored.
func (s *Store) Watch(ctx context.Context, c Conversation) (Conversation, error) {
	return s.watch(ctx, c, 0)
}

// WatchSend is Watch for the conversation of sent send id, and records
// that the bridge took the send, in the same write.
func (s *Store) WatchSend(ctx context.Context, id int64, c Conversation) (Conversation, error) {
	return s.watch(ctx, c, id)
}

func (s *Store) watch(ctx context.Context, c Conversation, sendID int64) (Conversation, error) {
	var out Conversation
	err := s.tx(ctx, func(tx conn) error {
		if sendID != 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE sends SET bridged = 1 WHERE id = ?`, sendID); err != nil {
				return err
			}
		}
		var old Conversation
		var err error
		if c.ConversationID != "" {
			old, err = scanConversation(tx.QueryRowContext(ctx, "SELECT "+convColumns+" FROM conversations WHERE conversation_id = ?", c.ConversationID))
		} else {
			err = ErrNotFound
		}
		if errors.Is(err, ErrNotFound) && c.ProfileURL != "" {
			old, err = scanConversation(tx.QueryRowContext(ctx, "SELECT "+convColumns+" FROM conversations WHERE profile_url = ? AND account = ? ORDER BY (conversation_id = '') , id DESC LIMIT 1", c.ProfileURL, c.Account))
			if err == nil && old.ConversationID != "" && c.ConversationID != "" && old.ConversationID != c.ConversationID {
				err = ErrNotFound // another conversation with the same person
			}
		}
		now := s.now()
		switch {
		case errors.Is(err, ErrNotFound):
			c.CreatedAt = now
			if c.LastActivity.IsZero() {
				c.LastActivity = now
			}
			err = tx.QueryRowContext(ctx, `INSERT INTO conversations (conversation_id, profile_url, participant, requester, channel, thread_ts,
				since, last_activity, created_at, account) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				c.ConversationID, c.ProfileURL, c.Participant, c.Requester, c.Channel, c.ThreadTS,
				c.Since.UnixMilli(), c.LastActivity.UnixMilli(), now.UnixMilli(), c.Account).Scan(&c.ID)
			out = c
			return err
		case err != nil:
			return err
		}
		if c.ConversationID != "" {
			old.ConversationID = c.ConversationID
		}
		if c.ProfileURL != "" && old.ProfileURL == "" {
			old.ProfileURL = c.ProfileURL
		}
		if c.Participant != "" {
			old.Participant = c.Participant
		}
		if c.ThreadTS != "" && (c.Channel != old.Channel || c.ThreadTS != old.ThreadTS) {
			old.Channel, old.ThreadTS, old.Requester, old.Mentioned = c.Channel, c.ThreadTS, c.Requester, false
		}
		if !c.Since.IsZero() && c.Since.Before(old.Since) {
			old.Since = c.Since
		}
		if c.LastActivity.After(old.LastActivity) {
			old.LastActivity = c.LastActivity
		}
		out = old
		return updateConversation(ctx, tx, old)
	})
	if err != nil {
		return Conversation{}, fmt.Errorf("watching a conversation: %w", err)
	}
	return out, nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func updateConversation(ctx context.Context, db execer, c Conversation) error {
	_, err := db.ExecContext(ctx, `UPDATE conversations SET conversation_id = ?, profile_url = ?, participant = ?, requester = ?,
		channel = ?, thread_ts = ?, since = ?, last_activity = ?, last_seen = ?, looked_up = ?, mentioned = ? WHERE id = ?`,
		c.ConversationID, c.ProfileURL, c.Participant, c.Requester, c.Channel, c.ThreadTS, c.Since.UnixMilli(), c.LastActivity.UnixMilli(),
		c.LastSeen, c.LookedUp, c.Mentioned, c.ID)
	return err
}

// UpdateConversation writes c's fields back.
func (s *Store) UpdateConversation(ctx context.Context, c Conversation) error {
	if err := updateConversation(ctx, s.db, c); err != nil {
		return fmt.Errorf("updating conversation %d: %w", c.ID, err)
	}
	return nil
}

// Watched returns the conversations active since activeSince, most recent first.
func (s *Store) Watched(ctx context.Context, activeSince time.Time) ([]Conversation, error) {
	return s.conversations(ctx, "WHERE last_activity >= ? ORDER BY last_activity DESC", activeSince.UnixMilli())
}

// GetConversation returns conversation id.
func (s *Store) GetConversation(ctx context.Context, id int64) (Conversation, error) {
	return scanConversation(s.queryRow(ctx, "SELECT "+convColumns+" FROM conversations WHERE id = ?", id))
}

// ConversationByThread returns the conversation mirrored in a thread, or
// the one of the latest send announced there; ErrNotFound when neither.
func (s *Store) ConversationByThread(ctx context.Context, channel, threadTS string) (Conversation, error) {
	c, err := scanConversation(s.queryRow(ctx, "SELECT "+convColumns+" FROM conversations WHERE channel = ? AND thread_ts = ? ORDER BY id DESC LIMIT 1", channel, threadTS))
	if !errors.Is(err, ErrNotFound) {
		return c, err
	}
	sd, err := scanOne(s.queryRow(ctx, selectSend+` WHERE root_channel = ? AND (root_ts = ? OR thread_ts = ?) ORDER BY id DESC LIMIT 1`, channel, threadTS, threadTS))
	if err != nil {
		return Conversation{}, err
	}
	if sd.ConversationID != "" {
		if c, err := scanConversation(s.queryRow(ctx, "SELECT "+convColumns+" FROM conversations WHERE conversation_id = ?", sd.ConversationID)); err == nil {
			return c, nil
		}
	}
	return Conversation{ProfileURL: sd.Recipient, Channel: channel, ThreadTS: threadTS, Account: sd.Account}, nil
}

// ConversationWith returns account's latest conversation with profileURL
// whose ID is known; ErrNotFound when there is none.
func (s *Store) ConversationWith(ctx context.Context, account, profileURL string) (Conversation, error) {
	return scanConversation(s.queryRow(ctx, "SELECT "+convColumns+" FROM conversations WHERE account = ? AND profile_url = ? AND conversation_id != '' ORDER BY last_activity DESC LIMIT 1", account, profileURL))
}

// NameDefaultAccount gives the conversations mirrored before accounts
// existed (account ”) the default account's name.
func (s *Store) NameDefaultAccount(ctx context.Context, name string) error {
	return s.exec(ctx, "naming the default account's conversations", `UPDATE conversations SET account = ? WHERE account = ''`, name)
}

// IntendRoot records one more try of an inbox conversation's root post.
func (s *Store) IntendRoot(ctx context.Context, id int64) error {
	return s.exec(ctx, "recording a root's try", `UPDATE conversations SET root_tries = root_tries + 1 WHERE id = ?`, id)
}

// SetRoot records where an inbox conversation's root was posted.
func (s *Store) SetRoot(ctx context.Context, id int64, ts string) error {
	return s.exec(ctx, "recording a root", `UPDATE conversations SET thread_ts = ? WHERE id = ?`, ts, id)
}

// RecordMessages records msgs of a conversation, before any is posted, and
// returns those that were new (in msgs' order).
func (s *Store) RecordMessages(ctx context.Context, msgs []ConvMessage) ([]ConvMessage, error) {
	var added []ConvMessage
	err := s.tx(ctx, func(tx conn) error {
		added = added[:0]
		for _, m := range msgs {
			done := m.Kind == MsgOwn || m.Kind == MsgEmpty
			res, err := tx.ExecContext(ctx, `INSERT INTO conversation_messages (conversation, key, sent_at, kind, sender, body, posted, notified)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				m.Conversation, m.Key, m.SentAt.UnixMilli(), m.Kind, m.Sender, m.Body, done, done || m.Kind != MsgReply)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				m.Posted, m.Notified = done, done || m.Kind != MsgReply
				added = append(added, m)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("recording messages: %w", err)
	}
	return added, nil
}

// HoldsMessages reports whether conversation conv has any message recorded.
func (s *Store) HoldsMessages(ctx context.Context, conv int64) (bool, error) {
	var one int
	err := s.queryRow(ctx, `SELECT 1 FROM conversation_messages WHERE conversation = ? LIMIT 1`, conv).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("reading messages: %w", err)
	}
	return true, nil
}

// KnownMessages reports which of keys conversation conv already holds.
func (s *Store) KnownMessages(ctx context.Context, conv int64, keys []string) (map[string]bool, error) {
	known := map[string]bool{}
	for _, k := range keys {
		var one int
		err := s.queryRow(ctx, `SELECT 1 FROM conversation_messages WHERE conversation = ? AND key = ?`, conv, k).Scan(&one)
		switch {
		case err == nil:
			known[k] = true
		case !errors.Is(err, sql.ErrNoRows):
			return nil, fmt.Errorf("reading messages: %w", err)
		}
	}
	return known, nil
}

// IntendMessage records one more try of a message's post (notify: of its
// notification line), before it is made.
func (s *Store) IntendMessage(ctx context.Context, conv int64, key string, notify bool) error {
	col := "tries"
	if notify {
		col = "notify_tries"
	}
	return s.exec(ctx, "recording a message post's try", `UPDATE conversation_messages SET `+col+` = `+col+` + 1 WHERE conversation = ? AND key = ?`, conv, key)
}

// MarkMessage records that a message's post (notify: its notification line) was made.
func (s *Store) MarkMessage(ctx context.Context, conv int64, key string, notify bool) error {
	col := "posted"
	if notify {
		col = "notified"
	}
	return s.exec(ctx, "recording a message post", `UPDATE conversation_messages SET `+col+` = 1 WHERE conversation = ? AND key = ?`, conv, key)
}

// OwedMessages returns the messages whose post or notification is still
// to be made, oldest first in each conversation (held ones are not owed yet).
func (s *Store) OwedMessages(ctx context.Context) ([]ConvMessage, error) {
	order := "rowid" // insertion order
	if s.db.pg {
		order = "seq"
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+messageColumns+`
		FROM conversation_messages WHERE (posted = 0 OR notified = 0) AND held = 0 ORDER BY conversation, `+order)
	if err != nil {
		return nil, fmt.Errorf("listing messages to post: %w", err)
	}
	return scanMessages(rows)
}

// SetMentioned records that a conversation's first reply mentioned its requester.
func (s *Store) SetMentioned(ctx context.Context, id int64) error {
	return s.exec(ctx, "recording a mention", `UPDATE conversations SET mentioned = 1 WHERE id = ?`, id)
}

// SpendReadCredits adds n to the credits spent reading on day (UTC,
// 2006-01-02), unless that would pass limit: then it spends nothing and
// reports false.
func (s *Store) SpendReadCredits(ctx context.Context, day string, n, limit int) (bool, error) {
	if err := s.exec(ctx, "counting read credits", `INSERT INTO read_credits (day) VALUES (?) ON CONFLICT DO NOTHING`, day); err != nil {
		return false, err
	}
	var total int
	err := s.queryRow(ctx, `UPDATE read_credits SET credits = credits + ? WHERE day = ? AND credits + ? <= ? RETURNING credits`, n, day, n, limit).Scan(&total)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("counting read credits: %w", err)
	}
	return true, nil
}

// MarkReadCapTold records that the read cap of day was announced; it
// reports whether this was the first time.
func (s *Store) MarkReadCapTold(ctx context.Context, day string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE read_credits SET capped = 1 WHERE day = ? AND capped = 0`, day)
	if err != nil {
		return false, fmt.Errorf("recording the read cap: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// ReadCredits returns the credits spent reading per UTC day (2006-01-02), from since's day on.
func (s *Store) ReadCredits(ctx context.Context, since time.Time) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT day, credits FROM read_credits WHERE day >= ? AND credits > 0`, since.UTC().Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("reading read credits: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var day string
		var n int
		if err := rows.Scan(&day, &n); err != nil {
			return nil, err
		}
		out[day] = n
	}
	return out, rows.Err()
}

// BridgeValue returns one of the bridge's settings; ok is false when unset.
func (s *Store) BridgeValue(ctx context.Context, key string) (value string, ok bool, err error) {
	err = s.queryRow(ctx, `SELECT value FROM bridge_state WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("reading %s: %w", key, err)
	}
	return value, true, nil
}

// SetBridgeValue sets one of the bridge's settings.
func (s *Store) SetBridgeValue(ctx context.Context, key, value string) error {
	return s.exec(ctx, "writing "+key, `INSERT INTO bridge_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
}

// Unbridged returns sent sends the bridge has not taken yet, oldest first.
func (s *Store) Unbridged(ctx context.Context) ([]Send, error) {
	rows, err := s.db.QueryContext(ctx, selectSend+` WHERE state = 'sent' AND bridged = 0 AND dry_run = 0 ORDER BY id LIMIT 500`)
	if err != nil {
		return nil, fmt.Errorf("listing sends to watch: %w", err)
	}
	return scanAll(rows)
}

// MarkBridged records that the bridge took send id.
func (s *Store) MarkBridged(ctx context.Context, id int64) error {
	return s.exec(ctx, "recording a watched send", `UPDATE sends SET bridged = 1 WHERE id = ?`, id)
}

// SendsTo returns account's sends that may have reached conversationID
// (or, without one, recipient) since since: their messages are the bot's own.
func (s *Store) SendsTo(ctx context.Context, account, conversationID, recipient string, since time.Time) ([]Send, error) {
	rows, err := s.db.QueryContext(ctx, selectSend+` WHERE state IN ('sending', 'sent', 'unknown') AND called_at >= ? AND account = ?
		AND (conversation_id = ? AND conversation_id != '' OR recipient = ? AND recipient != '') ORDER BY id`,
		since.UnixMilli(), account, conversationID, recipient)
	if err != nil {
		return nil, fmt.Errorf("listing sends to a conversation: %w", err)
	}
	return scanAll(rows)
}

// VerdictConfirmed and VerdictNotDelivered settle an unknown send;
// VerdictUnsettled says that its conversation could not be read to settle
// it (the send stays unknown, and is no longer checked).
const (
	VerdictConfirmed    = "confirmed"
	VerdictNotDelivered = "not_delivered"
	VerdictUnsettled    = "unsettled"
)

// lastSeen is an SQL expression: the key of the newest message recorded in
// account's conversation with recipient (both SQL expressions), the one
// its unknown send's check reads; empty when none. Newest is by LinkedIn's
// own times, compared only with each other.
func lastSeen(account, recipient string) string {
	return `coalesce((SELECT m.key FROM conversation_messages AS m WHERE m.conversation = (SELECT c.id FROM conversations AS c
		WHERE c.account = ` + account + ` AND c.profile_url = ` + recipient + ` AND c.conversation_id != '' ORDER BY c.last_activity DESC LIMIT 1)
		ORDER BY m.sent_at DESC LIMIT 1), '')`
}

// Unsettled is an unknown send to settle by reading its conversation.
type Unsettled struct {
	Send
	// SeenBefore is the key of the last message the bot had recorded in
	// the conversation ConversationWith returns when Linkup was called: the
	// send's own message, if it went out, comes after it. Empty when the
	// bot had recorded none.
	SeenBefore string
	// FailedReads counts the checks' reads that failed; RetryAt, when not
	// zero, is when the next may be made.
	FailedReads int
	RetryAt     time.Time
}

// extra scans a row of selectSend's columns followed by more.
type extra struct {
	r    scanner
	more []any
}

func (e extra) Scan(dest ...any) error { return e.r.Scan(append(dest, e.more...)...) }

// ToCheck returns the unknown sends still to be settled by reading:
// fewer than maxChecks reads made, no verdict, and not retried (a retry's
// message would look like theirs).
func (s *Store) ToCheck(ctx context.Context, maxChecks int) ([]Unsettled, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+columns+`, seen_before, check_fails, check_due FROM sends AS s
		WHERE state = 'unknown' AND verdict = '' AND checks < ?
		AND NOT EXISTS (SELECT 1 FROM sends r WHERE r.retry_of = s.id) ORDER BY id`, maxChecks)
	if err != nil {
		return nil, fmt.Errorf("listing unknown sends: %w", err)
	}
	defer rows.Close()
	var out []Unsettled
	for rows.Next() {
		var u Unsettled
		var due int64
		if u.Send, err = scan(extra{rows, []any{&u.SeenBefore, &u.FailedReads, &due}}); err != nil {
			return nil, fmt.Errorf("listing unknown sends: %w", err)
		}
		u.RetryAt = msTime(due)
		out = append(out, u)
	}
	return out, rows.Err()
}

// RecordCheck counts one read made to settle unknown send id.
func (s *Store) RecordCheck(ctx context.Context, id int64) error {
	return s.exec(ctx, "recording a check", `UPDATE sends SET checks = checks + 1, updated_at = ? WHERE id = ?`, s.now().UnixMilli(), id)
}

// RecordFailedRead counts one read of unknown send id's conversation that
// failed (not a check), and holds the next until retryAt.
func (s *Store) RecordFailedRead(ctx context.Context, id int64, retryAt time.Time) error {
	return s.exec(ctx, "recording a failed read", `UPDATE sends SET check_fails = check_fails + 1, check_due = ?, updated_at = ? WHERE id = ?`,
		retryAt.UnixMilli(), s.now().UnixMilli(), id)
}

// Settle ends unknown send id with a verdict: confirmed (o.State sent),
// not delivered (o.State failed) or unsettled (o.State unknown). Its verdict post and edits become owed.
// It reports false, changing nothing, when the send is no longer unknown
// without a verdict.
func (s *Store) Settle(ctx context.Context, id int64, verdict string, o Outcome) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE sends SET state = ?, reason = ?, credits = ?, verdict = ?, verdict_posted = 0, verdict_tries = 0,
		root_updated = 0, conversation_id = CASE WHEN ? != '' THEN ? ELSE conversation_id END,
		entity_urn = CASE WHEN ? != '' THEN ? ELSE entity_urn END, updated_at = ?
		WHERE id = ? AND state = 'unknown' AND verdict = ''`,
		o.State, o.Reason, o.Credits, verdict, o.ConversationID, o.ConversationID, o.EntityURN, o.EntityURN, s.now().UnixMilli(), id)
	if err != nil {
		return false, fmt.Errorf("settling send %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}
