package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Invitation states: calling (recorded, Linkup about to be called) →
// pending (sent, waiting for the person) → accepted | expired; or failed
// (refused, nothing sent) or unknown (no answer: maybe sent, never resent).
const (
	InviteCalling  = "calling"
	InvitePending  = "pending"
	InviteAccepted = "accepted"
	InviteFailed   = "failed"
	InviteUnknown  = "unknown"
	InviteExpired  = "expired"
)

// Intents: what acceptance does. IntentWanted is kept until acceptance
// makes it IntentDue, durable before the message is handed to the send
// pipeline (IntentSending, from which Cancel can no longer take it back),
// then IntentSent with the send's ID. Cancel makes it IntentCancelled; an
// invitation that failed or expired, IntentDropped.
const (
	IntentNone      = ""
	IntentWanted    = "wanted"
	IntentDue       = "due"
	IntentSending   = "sending"
	IntentSent      = "sent"
	IntentCancelled = "cancelled"
	IntentDropped   = "dropped"
)

// Invitation is one row of the invitations log.
type Invitation struct {
	ID        int64
	IdemKey   string
	Account   string
	Requester string
	Channel   string
	ThreadTS  string
	Recipient string
	Note      string
	Country   string
	// FromSend is the failed send the invitation came from (0: none);
	// Message is its text, sent on acceptance when Intent says so.
	FromSend int64
	Message  string
	Intent   string
	SendID   int64
	State    string
	Reason   string
	Code     string
	Credits  int
	// CheckCredits is what checking the invitation's state cost (v1).
	CheckCredits int
	Name         string
	Told         string
	CreatedAt    time.Time
	CalledAt     time.Time
	FinishedAt   time.Time
	CheckedAt    time.Time
	AcceptedAt   time.Time
}

// WeekCapError is returned by AcceptInvitation when the account sent its
// weekly allowance of invitations; NextAt is when the oldest of them
// leaves the rolling week.
type WeekCapError struct {
	Limit  int
	NextAt time.Time
}

func (e *WeekCapError) Error() string {
	return fmt.Sprintf("store: weekly cap of %d invitations reached until %s", e.Limit, e.NextAt.Format(time.RFC3339))
}

// Week is the rolling window of the weekly invitation cap.
const Week = 7 * 24 * time.Hour

const invitationColumns = `id, idem_key, account, requester, channel, thread_ts, recipient, note, country, from_send, message, intent, send_id,
	state, reason, code, credits, check_credits, name, told, created_at, called_at, finished_at, checked_at, accepted_at`

func scanInvitation(r scanner) (Invitation, error) {
	var inv Invitation
	var created, called, finished, checked, accepted int64
	err := r.Scan(&inv.ID, &inv.IdemKey, &inv.Account, &inv.Requester, &inv.Channel, &inv.ThreadTS, &inv.Recipient, &inv.Note, &inv.Country,
		&inv.FromSend, &inv.Message, &inv.Intent, &inv.SendID, &inv.State, &inv.Reason, &inv.Code, &inv.Credits, &inv.CheckCredits,
		&inv.Name, &inv.Told, &created, &called, &finished, &checked, &accepted)
	if isNoRows(err) {
		return Invitation{}, ErrNotFound
	}
	if err != nil {
		return Invitation{}, err
	}
	inv.CreatedAt, inv.CalledAt, inv.FinishedAt, inv.CheckedAt, inv.AcceptedAt = msTime(created), msTime(called), msTime(finished), msTime(checked), msTime(accepted)
	return inv, nil
}

func (s *Store) invitations(ctx context.Context, where string, args ...any) ([]Invitation, error) {
	rows, err := s.query(ctx, `SELECT `+invitationColumns+` FROM invitations `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("reading invitations: %w", err)
	}
	defer rows.Close()
	var out []Invitation
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, fmt.Errorf("reading invitations: %w", err)
		}
		out = append(out, inv)
	}
	return out, rows.Err()
}

// GetInvitation returns invitation id; ErrNotFound when there is none.
func (s *Store) GetInvitation(ctx context.Context, id int64) (Invitation, error) {
	return scanInvitation(s.queryRow(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE id = ?`, id))
}

// AcceptInvitation records inv as calling (Linkup about to be called,
// called_at now), durable (synced) before it returns: from then on a
// crash makes it unknown, never sent again. An IdemKey recorded before is
// ErrDuplicate, with the invitation it names, even at the cap (a replay
// gets the original's outcome). With weekLimit > 0, an account that
// already has weekLimit invitations called in the last 7
// days (by this bot's clock) that may have reached LinkedIn gets a
// *WeekCapError and nothing is recorded. The week is judged by this bot's
// clock against the call times other bots wrote: a skew of minutes moves
// the cap's edge by as much, over a 7-day window. On PostgreSQL the count and the
// insert run under the account's cap lock, so that replicas never both
// pass the cap.
func (s *Store) AcceptInvitation(ctx context.Context, inv Invitation, weekLimit int) (Invitation, error) {
	now := s.now()
	since := now.Add(-Week).UnixMilli()
	var id int64
	var oldest sql.NullInt64
	err := s.tx(ctx, func(tx conn) error {
		if s.db.pg {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(CAST(? AS INTEGER), hashtext(?))`, capKey+1, inv.Account); err != nil {
				return err
			}
		}
		// A replay of a recorded request is a duplicate, whatever the cap says now.
		var held int64
		switch err := tx.QueryRowContext(ctx, `SELECT id FROM invitations WHERE idem_key = ?`, inv.IdemKey).Scan(&held); {
		case err == nil:
			return errKeyHeld
		case !isNoRows(err):
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*), min(called_at) FROM invitations WHERE account = ? AND called_at >= ?
			AND state IN ('calling', 'pending', 'accepted', 'unknown', 'expired')`, inv.Account, since).Scan(&n, &oldest); err != nil {
			return err
		}
		if weekLimit > 0 && n >= weekLimit {
			return &WeekCapError{Limit: weekLimit, NextAt: msTime(oldest.Int64).Add(Week)}
		}
		return tx.QueryRowContext(ctx, `INSERT INTO invitations (idem_key, account, requester, channel, thread_ts, recipient, note, country,
			from_send, message, intent, state, created_at, called_at, called_db)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'calling', ?, ?, `+dbNow+`)
			ON CONFLICT (idem_key) DO NOTHING RETURNING id`,
			inv.IdemKey, inv.Account, inv.Requester, inv.Channel, inv.ThreadTS, inv.Recipient, inv.Note, inv.Country,
			inv.FromSend, inv.Message, inv.Intent, now.UnixMilli(), now.UnixMilli()).Scan(&id)
	})
	var ce *WeekCapError
	switch {
	case errors.As(err, &ce):
		return Invitation{}, ce
	case isNoRows(err), errors.Is(err, errKeyHeld):
		existing, gerr := scanInvitation(s.queryRow(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE idem_key = ?`, inv.IdemKey))
		if gerr != nil {
			return Invitation{}, fmt.Errorf("recording an invitation: %w", gerr)
		}
		return existing, ErrDuplicate
	case err != nil:
		return Invitation{}, fmt.Errorf("recording an invitation: %w", err)
	}
	if err := s.Sync(); err != nil {
		// Not durable: dropped rather than called.
		_ = s.exec(ctx, "dropping an invitation not made durable", `DELETE FROM invitations WHERE id = ? AND state = 'calling'`, id)
		return Invitation{}, fmt.Errorf("syncing the invitation to disk: %w", err)
	}
	return s.GetInvitation(ctx, id)
}

// errKeyHeld is AcceptInvitation's own: its key was recorded before.
var errKeyHeld = errors.New("store: idempotency key recorded before")

// InvitationsThisWeek is how many invitations account called in the last 7 days.
func (s *Store) InvitationsThisWeek(ctx context.Context, account string) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM invitations WHERE account = ? AND called_at >= ?
		AND state IN ('calling', 'pending', 'accepted', 'unknown', 'expired')`, account, s.now().Add(-Week).UnixMilli()).Scan(&n)
	return n, err
}

// FinishInvitation records how the call of calling invitation id ended:
// state pending (sent), failed or unknown. A failed or unknown one drops
// its intent.
func (s *Store) FinishInvitation(ctx context.Context, id int64, state string, credits int, name, reason, code string) error {
	return s.exec(ctx, "recording an invitation's outcome", `UPDATE invitations SET state = ?, credits = ?, name = ?, reason = ?, code = ?, finished_at = ?,
		intent = CASE WHEN ? IN ('failed', 'unknown') AND intent = 'wanted' THEN 'dropped' ELSE intent END
		WHERE id = ? AND state = 'calling'`, state, credits, name, reason, code, s.now().UnixMilli(), state, id)
}

// RecoverInvitations makes the invitations a crash left calling unknown
// (Linkup may have been called; never called again). On a shared log,
// only those whose call began more than grace ago by the database's
// clock (another bot may be calling them now; no bot's clock is compared).
func (s *Store) RecoverInvitations(ctx context.Context, reason string, grace time.Duration) (int64, error) {
	return s.execN(ctx, `UPDATE invitations SET state = 'unknown', reason = ?, finished_at = ?,
		intent = CASE WHEN intent = 'wanted' THEN 'dropped' ELSE intent END
		WHERE state = 'calling' AND called_db <= `+dbNow+` - ?`, reason, s.now().UnixMilli(), grace.Milliseconds())
}

// MarkAccepted records that pending invitation id was accepted (by name,
// when known), its wanted intent becoming due in the same write, so that
// a crash after it still sends the message; it reports whether this call
// changed it (false: not pending, or accepted already).
func (s *Store) MarkAccepted(ctx context.Context, id int64, name string) (bool, error) {
	n, err := s.execN(ctx, `UPDATE invitations SET state = 'accepted', accepted_at = ?, name = CASE WHEN ? = '' THEN name ELSE ? END,
		intent = CASE WHEN intent = 'wanted' THEN 'due' ELSE intent END
		WHERE id = ? AND state = 'pending'`, s.now().UnixMilli(), name, name, id)
	if err != nil {
		return false, fmt.Errorf("recording an accepted invitation: %w", err)
	}
	return n > 0, nil
}

// PendingInvitations lists the pending invitations, oldest first.
func (s *Store) PendingInvitations(ctx context.Context) ([]Invitation, error) {
	return s.invitations(ctx, `WHERE state = 'pending' ORDER BY id`)
}

// InvitationsOf lists requester's invitations still pending or whose
// message is still to be sent, newest first, at most limit.
func (s *Store) InvitationsOf(ctx context.Context, requester string, limit int) ([]Invitation, error) {
	return s.invitations(ctx, `WHERE requester = ? AND (state = 'pending' OR intent IN ('wanted', 'due', 'sending')) ORDER BY id DESC LIMIT ?`, requester, limit)
}

// ListInvitations lists the invitations created since, oldest first.
func (s *Store) ListInvitations(ctx context.Context, since time.Time) ([]Invitation, error) {
	return s.invitations(ctx, `WHERE created_at >= ? ORDER BY id`, since.UnixMilli())
}

// DueIntents lists the accepted invitations whose message is due or was
// being handed over (a crash between the two is taken up again here).
func (s *Store) DueIntents(ctx context.Context) ([]Invitation, error) {
	return s.invitations(ctx, `WHERE intent IN ('due', 'sending') ORDER BY id`)
}

// SetIntent moves invitation id's intent from one of from to to; it
// reports whether it did.
func (s *Store) SetIntent(ctx context.Context, id int64, to string, from ...string) (bool, error) {
	q := `UPDATE invitations SET intent = ? WHERE id = ? AND intent IN (`
	args := []any{to, id}
	for i, f := range from {
		if i > 0 {
			q += ", "
		}
		q += "?"
		args = append(args, f)
	}
	n, err := s.execN(ctx, q+`)`, args...)
	if err != nil {
		return false, fmt.Errorf("changing an invitation's intent: %w", err)
	}
	return n > 0, nil
}

// IntentSentAs records the send that carried invitation id's message.
func (s *Store) IntentSentAs(ctx context.Context, id, sendID int64) error {
	return s.exec(ctx, "recording an invitation's send", `UPDATE invitations SET intent = 'sent', send_id = ? WHERE id = ? AND intent IN ('due', 'sending')`, sendID, id)
}

// ExpireInvitations makes the invitations pending since before cutoff
// expired (their wanted intent dropped) and returns them.
func (s *Store) ExpireInvitations(ctx context.Context, cutoff time.Time) ([]Invitation, error) {
	old, err := s.invitations(ctx, `WHERE state = 'pending' AND called_at < ? ORDER BY id`, cutoff.UnixMilli())
	if err != nil {
		return nil, err
	}
	var out []Invitation
	for _, inv := range old {
		n, err := s.execN(ctx, `UPDATE invitations SET state = 'expired', finished_at = ?, intent = CASE WHEN intent = 'wanted' THEN 'dropped' ELSE intent END
			WHERE id = ? AND state = 'pending'`, s.now().UnixMilli(), inv.ID)
		if err != nil {
			return out, fmt.Errorf("expiring an invitation: %w", err)
		}
		if n > 0 {
			inv.State = InviteExpired
			out = append(out, inv)
		}
	}
	return out, nil
}

// Untold lists the invitations whose state changed since Slack was last told.
func (s *Store) Untold(ctx context.Context) ([]Invitation, error) {
	return s.invitations(ctx, `WHERE told != state AND state != 'calling' ORDER BY id`)
}

// MarkTold claims the telling of invitation id's state in Slack, before
// the post: it reports whether this call claimed it (false: another told
// it, or the state moved on). A crash between the two loses that post,
// never doubles it.
func (s *Store) MarkTold(ctx context.Context, id int64, state string) (bool, error) {
	n, err := s.execN(ctx, `UPDATE invitations SET told = ? WHERE id = ? AND state = ? AND told != ?`, state, id, state, state)
	return n > 0, err
}

// UnmarkTold gives back the telling of invitation id's state that
// MarkTold claimed, after a post Slack certainly did not make: Untold
// lists it again, so that it is told later.
func (s *Store) UnmarkTold(ctx context.Context, id int64, state string) error {
	return s.exec(ctx, "giving back an invitation's telling", `UPDATE invitations SET told = '' WHERE id = ? AND told = ?`, id, state)
}

// CheckedInvitation records a check of invitation id (v1's
// invitation-status) that cost credits.
func (s *Store) CheckedInvitation(ctx context.Context, id int64, credits int) error {
	return s.exec(ctx, "recording an invitation's check", `UPDATE invitations SET checked_at = ?, check_credits = check_credits + ? WHERE id = ?`,
		s.now().UnixMilli(), credits, id)
}

// SetInvitationThread records where invitation id's story is told, when
// it had no thread yet (an invitation asked by command).
func (s *Store) SetInvitationThread(ctx context.Context, id int64, channel, ts string) error {
	return s.exec(ctx, "recording an invitation's thread", `UPDATE invitations SET channel = ?, thread_ts = ? WHERE id = ? AND thread_ts = ''`, channel, ts, id)
}

// InvitationJob is the job lease under which one bot of a shared log
// expires, checks and follows up the invitations.
const InvitationJob = "invitations"
