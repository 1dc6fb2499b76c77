package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CampaignState is where a campaign is: review → running ⇄ paused →
// done | cancelled (a campaign in review may be cancelled too).
type CampaignState string

const (
	CampaignReview    CampaignState = "review"
	CampaignRunning   CampaignState = "running"
	CampaignPaused    CampaignState = "paused"
	CampaignCancelled CampaignState = "cancelled"
	CampaignDone      CampaignState = "done"
)

// Over reports whether s is an end state.
func (s CampaignState) Over() bool { return s == CampaignCancelled || s == CampaignDone }

// RowState is where one row of a campaign is: pending → claimed → sent |
// failed | unknown; or skipped (with its reason) from the start or while
// pending, or cancelled while pending.
type RowState string

const (
	RowPending   RowState = "pending"
	RowSkipped   RowState = "skipped"
	RowClaimed   RowState = "claimed"
	RowSent      RowState = "sent"
	RowFailed    RowState = "failed"
	RowUnknown   RowState = "unknown"
	RowCancelled RowState = "cancelled"
)

// Final reports whether a row in state s will not change again.
func (s RowState) Final() bool { return s != RowPending && s != RowClaimed }

// CampaignJob is the job lease under which one bot of a shared log runs
// the campaigns (see Hold).
const CampaignJob = "campaigns"

// Campaign is one campaign.
type Campaign struct {
	ID       int64
	IdemKey  string
	Name     string
	Owner    string
	Account  string
	Channel  string
	Template string
	TZ       string
	State    CampaignState

	RootChannel, RootTS string
	// NextAt is when its next send may go, at the earliest (the runner's
	// clock); zero before the first.
	NextAt      time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	FinishedAt  time.Time
	ReportTries int
	ReportDone  bool
}

// CampaignRow is one recipient of a campaign.
type CampaignRow struct {
	CampaignID int64
	No         int // 1 for the CSV's first line after its header
	ProfileURL string
	Message    string
	State      RowState
	Reason     string
	SendID     int64
	ClaimedAt  time.Time
	SentAt     time.Time
}

// CampaignRowKey is the idempotency key of row no of campaign id's send.
func CampaignRowKey(id int64, no int) string {
	return IdemKey("campaign", fmt.Sprintf("%d:%d", id, no))
}

// IsCampaignKey reports whether idemKey is a campaign row's (CampaignRowKey).
func IsCampaignKey(idemKey string) bool { return strings.HasPrefix(idemKey, "campaign:") }

// ErrNoCampaign is returned for an unknown campaign ID.
var ErrNoCampaign = errors.New("store: no such campaign")

const campaignColumns = `id, idem_key, name, owner, account, channel, template, tz, state, root_channel, root_ts,
	next_at, created_at, updated_at, finished_at, report_tries, report_done`

func scanCampaign(r scanner) (Campaign, error) {
	var c Campaign
	var next, created, updated, finished int64
	err := r.Scan(&c.ID, &c.IdemKey, &c.Name, &c.Owner, &c.Account, &c.Channel, &c.Template, &c.TZ, &c.State, &c.RootChannel, &c.RootTS,
		&next, &created, &updated, &finished, &c.ReportTries, &c.ReportDone)
	if isNoRows(err) {
		return Campaign{}, ErrNoCampaign
	}
	if err != nil {
		return Campaign{}, err
	}
	c.NextAt, c.CreatedAt, c.UpdatedAt, c.FinishedAt = msTime(next), msTime(created), msTime(updated), msTime(finished)
	return c, nil
}

const rowColumns = `campaign_id, row_no, profile_url, message, state, reason, send_id, claimed_at, sent_at`

func scanRow(r scanner) (CampaignRow, error) {
	var w CampaignRow
	var claimed, sent int64
	if err := r.Scan(&w.CampaignID, &w.No, &w.ProfileURL, &w.Message, &w.State, &w.Reason, &w.SendID, &claimed, &sent); err != nil {
		return CampaignRow{}, err
	}
	w.ClaimedAt, w.SentAt = msTime(claimed), msTime(sent)
	return w, nil
}

// CreateCampaign records c in review with its rows. A campaign with the
// same IdemKey is ErrDuplicate, returned with it.
func (s *Store) CreateCampaign(ctx context.Context, c Campaign, rows []CampaignRow) (Campaign, error) {
	now := s.now()
	c.State, c.CreatedAt, c.UpdatedAt = CampaignReview, now, now
	err := s.tx(ctx, func(tx conn) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO campaigns (idem_key, name, owner, account, channel, template, tz, state, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idem_key) DO NOTHING RETURNING id`,
			c.IdemKey, c.Name, c.Owner, c.Account, c.Channel, c.Template, c.TZ, c.State, now.UnixMilli(), now.UnixMilli()).Scan(&c.ID)
		if err != nil {
			return err
		}
		for _, w := range rows {
			if w.State == "" {
				w.State = RowPending
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO campaign_rows (campaign_id, row_no, profile_url, message, state, reason) VALUES (?, ?, ?, ?, ?, ?)`,
				c.ID, w.No, w.ProfileURL, w.Message, w.State, w.Reason); err != nil {
				return err
			}
		}
		return nil
	})
	if isNoRows(err) {
		existing, err := scanCampaign(s.queryRow(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE idem_key = ?`, c.IdemKey))
		if err != nil {
			return Campaign{}, fmt.Errorf("reading a campaign: %w", err)
		}
		return existing, ErrDuplicate
	}
	if err != nil {
		return Campaign{}, fmt.Errorf("recording a campaign: %w", err)
	}
	return c, nil
}

// GetCampaign returns campaign id, or ErrNoCampaign.
func (s *Store) GetCampaign(ctx context.Context, id int64) (Campaign, error) {
	c, err := scanCampaign(s.queryRow(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE id = ?`, id))
	if err != nil && !errors.Is(err, ErrNoCampaign) {
		err = fmt.Errorf("reading campaign %d: %w", id, err)
	}
	return c, err
}

// CampaignRows returns campaign id's rows, in order.
func (s *Store) CampaignRows(ctx context.Context, id int64) ([]CampaignRow, error) {
	rows, err := s.query(ctx, `SELECT `+rowColumns+` FROM campaign_rows WHERE campaign_id = ? ORDER BY row_no`, id)
	if err != nil {
		return nil, fmt.Errorf("reading campaign %d's rows: %w", id, err)
	}
	defer func() { _ = rows.Close() }()
	var out []CampaignRow
	for rows.Next() {
		w, err := scanRow(rows)
		if err != nil {
			return nil, fmt.Errorf("reading campaign %d's rows: %w", id, err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// Campaigns lists the campaigns in the given states (all when none), oldest
// first; with owner set, only theirs.
func (s *Store) Campaigns(ctx context.Context, owner string, states ...CampaignState) ([]Campaign, error) {
	q := `SELECT ` + campaignColumns + ` FROM campaigns WHERE 1 = 1`
	var args []any
	if owner != "" {
		q += ` AND owner = ?`
		args = append(args, owner)
	}
	if len(states) > 0 {
		q += ` AND state IN (?` + strings.Repeat(", ?", len(states)-1) + `)`
		for _, st := range states {
			args = append(args, st)
		}
	}
	rows, err := s.query(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing campaigns: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []Campaign
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, fmt.Errorf("listing campaigns: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CampaignsOwing are the campaigns the runner has work for: running ones,
// and paused, cancelled or done ones with a row still claimed (its send's
// outcome to record) or, once over, their report to upload.
func (s *Store) CampaignsOwing(ctx context.Context) ([]Campaign, error) {
	rows, err := s.query(ctx, `SELECT `+campaignColumns+` FROM campaigns c WHERE state = 'running'
		OR (state IN ('cancelled', 'done') AND report_done = 0)
		OR EXISTS (SELECT 1 FROM campaign_rows r WHERE r.campaign_id = c.id AND r.state = 'claimed')
		ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("listing campaigns: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []Campaign
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, fmt.Errorf("listing campaigns: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SetCampaignRoot records where campaign id's root message is.
func (s *Store) SetCampaignRoot(ctx context.Context, id int64, channel, ts string) error {
	return s.exec(ctx, "recording a campaign's root", `UPDATE campaigns SET root_channel = ?, root_ts = ?, updated_at = ? WHERE id = ?`,
		channel, ts, s.now().UnixMilli(), id)
}

// MoveCampaign moves campaign id to state to when it is in one of from;
// it reports whether it moved. Cancelling also cancels its pending rows
// (a claimed row's send is under way and ends as it does); ending it
// records when.
func (s *Store) MoveCampaign(ctx context.Context, id int64, to CampaignState, from ...CampaignState) (bool, error) {
	if len(from) == 0 {
		return false, errors.New("moving a campaign: no state to move from")
	}
	now := s.now().UnixMilli()
	moved := false
	err := s.tx(ctx, func(tx conn) error {
		end := int64(0)
		if to.Over() {
			end = now
		}
		args := []any{to, now, end, end, id}
		for _, f := range from {
			args = append(args, f)
		}
		res, err := tx.ExecContext(ctx, `UPDATE campaigns SET state = ?, updated_at = ?,
			finished_at = CASE WHEN CAST(? AS BIGINT) > 0 THEN CAST(? AS BIGINT) ELSE finished_at END
			WHERE id = ? AND state IN (?`+strings.Repeat(", ?", len(from)-1)+`)`, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		moved = true
		if to == CampaignCancelled {
			_, err = tx.ExecContext(ctx, `UPDATE campaign_rows SET state = 'cancelled' WHERE campaign_id = ? AND state = 'pending'`, id)
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("moving campaign %d to %s: %w", id, to, err)
	}
	return moved, nil
}

// SetCampaignNext records when campaign id's next send may go.
func (s *Store) SetCampaignNext(ctx context.Context, id int64, at time.Time) error {
	return s.exec(ctx, "recording a campaign's next send", `UPDATE campaigns SET next_at = ? WHERE id = ?`, at.UnixMilli(), id)
}

// ClaimRow marks row no of campaign id claimed at at (the runner's clock,
// which the gaps are measured by: Clock, the database's on PostgreSQL), as its send is about to be recorded,
// when it is pending and the campaign running; it reports whether it did. A claimed row is never pending again but by UnclaimRow,
// for a send that was certainly not recorded.
func (s *Store) ClaimRow(ctx context.Context, id int64, no int, at time.Time) (bool, error) {
	n, err := s.execN(ctx, `UPDATE campaign_rows SET state = 'claimed', claimed_at = ?
		WHERE campaign_id = ? AND row_no = ? AND state = 'pending'
		AND EXISTS (SELECT 1 FROM campaigns WHERE id = ? AND state = 'running')`, at.UnixMilli(), id, no, id)
	if err != nil {
		return false, fmt.Errorf("claiming row %d of campaign %d: %w", no, id, err)
	}
	return n > 0, nil
}

// UnclaimRow puts a claimed row back to pending: its send was refused
// before it was recorded (the daily cap). A cancelled campaign's row is
// cancelled instead.
func (s *Store) UnclaimRow(ctx context.Context, id int64, no int) error {
	return s.exec(ctx, "putting a row back", `UPDATE campaign_rows SET claimed_at = 0,
		state = CASE WHEN (SELECT state FROM campaigns WHERE id = ?) = 'cancelled' THEN 'cancelled' ELSE 'pending' END
		WHERE campaign_id = ? AND row_no = ? AND state = 'claimed'`, id, id, no)
}

// SettleRow records how a claimed row ended: its send's state, reason and id.
func (s *Store) SettleRow(ctx context.Context, id int64, no int, state RowState, reason string, sendID int64, sentAt time.Time) error {
	var at int64
	if !sentAt.IsZero() {
		at = sentAt.UnixMilli()
	}
	return s.exec(ctx, "settling a row", `UPDATE campaign_rows SET state = ?, reason = ?, send_id = ?, sent_at = ?
		WHERE campaign_id = ? AND row_no = ? AND state = 'claimed'`, state, reason, sendID, at, id, no)
}

// SkipRow marks pending row no of campaign id skipped for reason (its
// recipient was messaged since the campaign was created); it reports
// whether it did.
func (s *Store) SkipRow(ctx context.Context, id int64, no int, reason string) (bool, error) {
	n, err := s.execN(ctx, `UPDATE campaign_rows SET state = 'skipped', reason = ?
		WHERE campaign_id = ? AND row_no = ? AND state = 'pending'`, reason, id, no)
	if err != nil {
		return false, fmt.Errorf("skipping row %d of campaign %d: %w", no, id, err)
	}
	return n > 0, nil
}

// LinkRow records the send of a claimed row.
func (s *Store) LinkRow(ctx context.Context, id int64, no int, sendID int64) error {
	return s.exec(ctx, "linking a row to its send", `UPDATE campaign_rows SET send_id = ? WHERE campaign_id = ? AND row_no = ?`, sendID, id, no)
}

// LastCampaignSend is when a campaign send of account last called
// Linkup (zero when never), by the clock of its row's claim (Clock's):
// the gap between two sends of an account counts from it, not from the
// claim alone, since a send may call well after it (behind the queue, or
// requeued after Linkup's 429). It is the row's claim plus how long its
// send waited between its accept (right after the claim) and its last
// call, both by the same store's clock: a bot's clock off the database's
// does not move it. waiting is true while a claimed row's send has not
// called Linkup yet (not recorded, queued, requeued, or claimed by the
// pipeline before its call): the account's next send then waits for that
// call, and a gap after it.
func (s *Store) LastCampaignSend(ctx context.Context, account string) (last time.Time, waiting bool, err error) {
	var ms sql.NullInt64
	var pending int64
	err = s.queryRow(ctx, `SELECT max(CASE WHEN sd.called_at > sd.created_at THEN r.claimed_at + sd.called_at - sd.created_at ELSE r.claimed_at END),
		count(CASE WHEN r.state = 'claimed' AND (sd.id IS NULL OR (sd.called_at = 0 AND sd.state IN ('queued', 'sending'))) THEN 1 END)
		FROM campaign_rows r JOIN campaigns c ON c.id = r.campaign_id
		LEFT JOIN sends sd ON sd.idem_key = 'campaign:' || c.id || ':' || r.row_no
		WHERE c.account = ? AND r.claimed_at > 0`, account).Scan(&ms, &pending)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("reading the account's last campaign send: %w", err)
	}
	if ms.Valid && ms.Int64 > 0 {
		last = time.UnixMilli(ms.Int64)
	}
	return last, pending > 0, nil
}

// IntendReport records a try of campaign id's report upload, before it is
// made; it returns the tries made so far, this one included.
func (s *Store) IntendReport(ctx context.Context, id int64) (int, error) {
	var n int
	err := s.queryRow(ctx, `UPDATE campaigns SET report_tries = report_tries + 1 WHERE id = ? RETURNING report_tries`, id).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("recording a report's upload: %w", err)
	}
	return n, nil
}

// ReportDone records that campaign id's report was uploaded (or given up).
func (s *Store) ReportDone(ctx context.Context, id int64) error {
	return s.exec(ctx, "recording a report uploaded", `UPDATE campaigns SET report_done = 1 WHERE id = ?`, id)
}

// Messaged returns the recipients account messaged since since (a send
// recorded then, of any kind, that may have reached LinkedIn), leaving
// out the send keyed except (a campaign row's own; "" leaves out none).
// A campaign checks it at its creation and again before each row.
func (s *Store) Messaged(ctx context.Context, account string, since time.Time, except string) (map[string]bool, error) {
	rows, err := s.query(ctx, `SELECT DISTINCT recipient FROM sends WHERE account = ? AND created_at >= ?
		AND state IN ('queued', 'sending', 'sent', 'unknown') AND dry_run = 0 AND idem_key <> ?`, account, since.UnixMilli(), except)
	if err != nil {
		return nil, fmt.Errorf("reading the recipients messaged: %w", err)
	}
	defer func() { _ = rows.Close() }()
	out := map[string]bool{}
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, fmt.Errorf("reading the recipients messaged: %w", err)
		}
		out[r] = true
	}
	return out, rows.Err()
}

// QueuedFor reports whether account has sends waiting in the queue (manual
// ones go before a campaign's next).
func (s *Store) QueuedFor(ctx context.Context, account string) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM sends WHERE account = ? AND state = 'queued' AND idem_key NOT LIKE 'campaign:%'`, account).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("reading the queue: %w", err)
	}
	return n > 0, nil
}

// SetCampaignTZ records campaign id's owner's time zone (IANA name).
func (s *Store) SetCampaignTZ(ctx context.Context, id int64, tz string) error {
	return s.exec(ctx, "recording a campaign's time zone", `UPDATE campaigns SET tz = ? WHERE id = ?`, tz, id)
}

// Replied returns the recipients (profile URLs) whose conversation is
// mirrored in the thread channel/threadTS and who replied there.
func (s *Store) Replied(ctx context.Context, channel, threadTS string) (map[string]bool, error) {
	rows, err := s.query(ctx, `SELECT DISTINCT c.profile_url FROM conversations c JOIN conversation_messages m ON m.conversation = c.id
		WHERE c.channel = ? AND c.thread_ts = ? AND m.kind = 'reply'`, channel, threadTS)
	if err != nil {
		return nil, fmt.Errorf("reading the replies: %w", err)
	}
	defer func() { _ = rows.Close() }()
	out := map[string]bool{}
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("reading the replies: %w", err)
		}
		out[u] = true
	}
	return out, rows.Err()
}
