package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
)

// A conversation's read can be cut short by the daily read-credit cap
// after it read its newest pages: those messages are recorded held (never
// posted, never owed) and where the read stopped is kept as the
// conversation's gap, so that the next read resumes there, paying for no
// page twice. Once the older messages are read they are recorded before the
// held ones, which are released: the thread gets them all, oldest first.

func gapKey(conv int64) string { return "gap:" + strconv.FormatInt(conv, 10) }

// Gap returns where the read of conversation conv resumes (Linkup's cursor
// of the next older page, "" to read from the newest, skipping what is
// held), and whether it has a gap: held messages waiting for older ones.
func (s *Store) Gap(ctx context.Context, conv int64) (cursor string, ok bool, err error) {
	return s.BridgeValue(ctx, gapKey(conv))
}

// HeldMessages returns the keys of conversation conv's held messages.
func (s *Store) HeldMessages(ctx context.Context, conv int64) (map[string]bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key FROM conversation_messages WHERE conversation = ? AND held = 1`, conv)
	if err != nil {
		return nil, fmt.Errorf("listing held messages: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("listing held messages: %w", err)
		}
		out[k] = true
	}
	return out, rows.Err()
}

// RecordRead records, in one write, what one read of conversation conv
// found: older, the messages of its gap (oldest first), before the held
// ones; newer, the messages newer than everything recorded (oldest first),
// after them. With gap set (the read was cut short again: gap is where it
// resumes, possibly ""), all of them are held; with gap nil, the gap is
// closed and every held message is released, in order. It returns the
// messages that were new (older's, then newer's).
func (s *Store) RecordRead(ctx context.Context, conv int64, older, newer []ConvMessage, gap *string) ([]ConvMessage, error) {
	var added []ConvMessage
	order := "rowid"
	if s.db.pg {
		order = "seq"
	}
	held := gap != nil
	err := s.tx(ctx, func(tx conn) error {
		added = added[:0]
		rows, err := tx.QueryContext(ctx, `SELECT key, sent_at, kind, sender, body, posted, tries, notified, notify_tries, fell_back
			FROM conversation_messages WHERE conversation = ? AND held = 1 ORDER BY `+order, conv)
		if err != nil {
			return err
		}
		var kept []ConvMessage
		for rows.Next() {
			m := ConvMessage{Conversation: conv}
			var at int64
			if err := rows.Scan(&m.Key, &at, &m.Kind, &m.Sender, &m.Body, &m.Posted, &m.Tries, &m.Notified, &m.NotifyTries, &m.FellBack); err != nil {
				_ = rows.Close()
				return err
			}
			m.SentAt = msTime(at)
			kept = append(kept, m)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		// The held messages go after older: taken out, and put back.
		if _, err := tx.ExecContext(ctx, `DELETE FROM conversation_messages WHERE conversation = ? AND held = 1`, conv); err != nil {
			return err
		}
		insert := func(m ConvMessage, isNew bool) error {
			if isNew {
				done := m.Kind == MsgOwn || m.Kind == MsgEmpty
				m.Posted, m.Notified = done, done || m.Kind != MsgReply
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO conversation_messages (conversation, key, sent_at, kind, sender, body, posted, tries, notified, notify_tries, fell_back, held)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				conv, m.Key, m.SentAt.UnixMilli(), m.Kind, m.Sender, m.Body, m.Posted, m.Tries, m.Notified, m.NotifyTries, m.FellBack, held)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 && isNew {
				m.Conversation = conv
				added = append(added, m)
			}
			return nil
		}
		for _, m := range older {
			if err := insert(m, true); err != nil {
				return err
			}
		}
		for _, m := range kept {
			if err := insert(m, false); err != nil {
				return err
			}
		}
		for _, m := range newer {
			if err := insert(m, true); err != nil {
				return err
			}
		}
		if held {
			_, err = tx.ExecContext(ctx, `INSERT INTO bridge_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, gapKey(conv), *gap)
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM bridge_state WHERE key = ?`, gapKey(conv))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("recording messages: %w", err)
	}
	return added, nil
}

// OwedIn returns conversation conv's messages whose post or notification
// is still to be made, oldest first (held ones are not owed yet).
func (s *Store) OwedIn(ctx context.Context, conv int64) ([]ConvMessage, error) {
	order := "rowid"
	if s.db.pg {
		order = "seq"
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+messageColumns+`
		FROM conversation_messages WHERE conversation = ? AND (posted = 0 OR notified = 0) AND held = 0 ORDER BY `+order, conv)
	if err != nil {
		return nil, fmt.Errorf("listing messages to post: %w", err)
	}
	return scanMessages(rows)
}

const messageColumns = `conversation, key, sent_at, kind, sender, body, posted, tries, notified, notify_tries, fell_back`

func scanMessages(rows *sql.Rows) ([]ConvMessage, error) {
	defer rows.Close()
	var out []ConvMessage
	for rows.Next() {
		var m ConvMessage
		var at int64
		if err := rows.Scan(&m.Conversation, &m.Key, &at, &m.Kind, &m.Sender, &m.Body, &m.Posted, &m.Tries, &m.Notified, &m.NotifyTries, &m.FellBack); err != nil {
			return nil, fmt.Errorf("listing messages to post: %w", err)
		}
		m.SentAt = msTime(at)
		out = append(out, m)
	}
	return out, rows.Err()
}

// IntendFallback is IntendMessage for a try of a message's post past its
// thread (Slack refused the thread): a later try looks for it there too.
func (s *Store) IntendFallback(ctx context.Context, conv int64, key string) error {
	return s.exec(ctx, "recording a message post's try", `UPDATE conversation_messages SET tries = tries + 1, fell_back = 1 WHERE conversation = ? AND key = ?`, conv, key)
}

// RefusedMessage records that the try of a message's post (notify: of its
// notification line) that IntendMessage recorded was refused or
// rate-limited by Slack: it certainly made no post, so it no longer counts
// as a try that may have.
func (s *Store) RefusedMessage(ctx context.Context, conv int64, key string, notify bool) error {
	col := "tries"
	if notify {
		col = "notify_tries"
	}
	return s.exec(ctx, "recording a refused post", `UPDATE conversation_messages SET `+col+` = `+col+` - 1 WHERE conversation = ? AND key = ? AND `+col+` > 0`, conv, key)
}

// RefusedRoot is RefusedMessage for an inbox conversation's root.
func (s *Store) RefusedRoot(ctx context.Context, id int64) error {
	return s.exec(ctx, "recording a refused root", `UPDATE conversations SET root_tries = root_tries - 1 WHERE id = ? AND root_tries > 0`, id)
}
