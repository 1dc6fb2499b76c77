package campaign

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"linkedin-bot/account"
	"linkedin-bot/linkup"
	"linkedin-bot/send"
	"linkedin-bot/slackpost"
	"linkedin-bot/store"
)

// Start runs the runner until Close: every Tick (or when poked), the bot
// that holds the campaigns' job lease (store.CampaignJob; on SQLite, the
// one bot) records the outcomes of the rows sent, sends each running
// campaign's next row when its pace allows, edits the roots, and uploads
// the reports of the campaigns that ended. Everything it works from is in
// the store: a bot that takes over (after a crash, or another replica's
// death) resumes where the schedule was.
func (s *Service) Start() {
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.cfg.Tick)
		defer t.Stop()
		for {
			s.cycle(context.Background())
			select {
			case <-t.C:
			case <-s.wake:
			case <-s.stop:
				return
			}
		}
	}()
}

// Close stops the runner and waits for its cycle to end. A send it
// recorded goes on in the pipeline.
func (s *Service) Close() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
}

func (s *Service) stopping() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// cycle is one pass of the runner.
func (s *Service) cycle(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	// A read first: without a campaign to run, the job's lease is not
	// written (a write a second would compete with the acks').
	cs, err := s.st.CampaignsOwing(ctx)
	if err != nil {
		s.log.Error().Err(err).Msg("listing the campaigns failed")
		return
	}
	if len(cs) == 0 {
		return
	}
	held, err := s.st.Hold(ctx, store.CampaignJob)
	if err != nil {
		s.log.Error().Err(err).Msg("holding the campaigns' job failed")
		return
	}
	if !held {
		return
	}
	busy := map[string]bool{} // accounts whose one campaign sending now is served
	for _, c := range cs {
		if s.stopping() {
			return
		}
		if err := s.run(ctx, c, busy); err != nil {
			s.log.Error().Err(err).Int64("campaign", c.ID).Msg("running the campaign failed; it is tried again")
		}
	}
}

// run does what campaign c is owed now.
func (s *Service) run(ctx context.Context, c store.Campaign, busy map[string]bool) error {
	rows, err := s.st.CampaignRows(ctx, c.ID)
	if err != nil {
		return err
	}
	changed := false
	inFlight := false
	for i, r := range rows {
		if r.State != store.RowClaimed {
			continue
		}
		nr, err := s.settle(ctx, c, r)
		if err != nil {
			return err
		}
		if nr.State != r.State {
			changed = true
		}
		rows[i] = nr
		if nr.State == store.RowClaimed {
			inFlight = true
		}
	}
	if changed {
		s.changed(c.Owner)
	}
	next := time.Time{}
	if c.State == store.CampaignRunning && !inFlight && !busy[c.Account] {
		i := slices.IndexFunc(rows, func(r store.CampaignRow) bool { return r.State == store.RowPending })
		if i < 0 {
			if _, err := s.st.MoveCampaign(ctx, c.ID, store.CampaignDone, store.CampaignRunning); err != nil {
				return err
			}
			c.State = store.CampaignDone
			s.log.Info().Int64("campaign", c.ID).Msg("campaign done")
			s.changed(c.Owner)
		} else {
			busy[c.Account] = true
			next, err = s.sendNext(ctx, &c, &rows[i])
			if err != nil {
				return err
			}
			if rows[i].State == store.RowPending {
				// Not sent: the campaign may have paused meanwhile.
				if got, err := s.st.GetCampaign(ctx, c.ID); err == nil {
					c = got
				}
			}
		}
	} else if c.State == store.CampaignRunning {
		busy[c.Account] = true
		next = s.nextShown(ctx, c)
	}
	if err := s.edit(ctx, c.ID, func(context.Context, store.Campaign) time.Time { return next }, false); err != nil {
		s.log.Warn().Err(err).Int64("campaign", c.ID).Msg("editing the campaign's root failed; it is tried again")
	}
	if c.State.Over() && !inFlight && !c.ReportDone {
		s.report(ctx, c)
	}
	return nil
}

// earliest is when campaign c's next send may go by its gaps: its own
// next_at, and the shortest gap after the account's last campaign send's
// call to Linkup (not its claim: a send may call well after it). While a
// claimed send has not called yet, its call is at the earliest now.
func (s *Service) earliest(ctx context.Context, c store.Campaign) (time.Time, int, error) {
	last, waiting, err := s.st.LastCampaignSend(ctx, c.Account)
	if err != nil {
		return time.Time{}, 0, err
	}
	if now := s.cfg.Now(); waiting && now.After(last) {
		last = now
	}
	t := c.NextAt
	if !last.IsZero() && last.Add(s.cfg.Pace.GapMin).After(t) {
		t = last.Add(s.cfg.Pace.GapMin)
	}
	sent, err := s.st.SentToday(ctx, c.Account)
	return t, sent, err
}

// nextShown is when campaign c's next send should go, for its root.
func (s *Service) nextShown(ctx context.Context, c store.Campaign) time.Time {
	if c.State != store.CampaignRunning {
		return time.Time{}
	}
	t, sent, err := s.earliest(ctx, c)
	if err != nil {
		return time.Time{}
	}
	return s.cfg.Pace.Next(s.cfg.Now(), t, location(c), sent)
}

// sendNext sends row r of running campaign c when its pace allows; it
// returns when the next send should go.
func (s *Service) sendNext(ctx context.Context, c *store.Campaign, r *store.CampaignRow) (time.Time, error) {
	now := s.cfg.Now()
	earliest, sent, err := s.earliest(ctx, *c)
	if err != nil {
		return time.Time{}, err
	}
	due := s.cfg.Pace.Next(now, earliest, location(*c), sent)
	if due.After(now) {
		return due, nil
	}
	// Manual sends go first: while one of the account's waits in the
	// queue, the campaign waits.
	if queued, err := s.st.QueuedFor(ctx, c.Account); err != nil || queued {
		return now.Add(s.cfg.Tick), err
	}
	// The recontact rule again, as the row is about to go: since the
	// campaign was created, another campaign or a manual send may have
	// messaged its recipient.
	messaged, err := s.st.Messaged(ctx, c.Account, now.AddDate(0, 0, -s.cfg.Limits.RecontactDays), store.CampaignRowKey(c.ID, r.No))
	if err != nil {
		return time.Time{}, err
	}
	if byProfile(messaged)[linkup.ProfileKey(r.ProfileURL)] {
		reason := fmt.Sprintf(SkipRecontact, s.cfg.Limits.RecontactDays)
		ok, err := s.st.SkipRow(ctx, c.ID, r.No, reason)
		if err != nil || !ok {
			return time.Time{}, err
		}
		s.log.Info().Int64("campaign", c.ID).Int("row", r.No).Msg("campaign row skipped: its recipient was messaged since the campaign was created; nothing sent")
		r.State, r.Reason = store.RowSkipped, reason
		s.changed(c.Owner)
		s.poke() // the next row need not wait a tick
		return now, nil
	}
	ok, err := s.st.ClaimRow(ctx, c.ID, r.No, now)
	if err != nil || !ok {
		return time.Time{}, err
	}
	r.State, r.ClaimedAt = store.RowClaimed, now
	gap := s.cfg.Pace.Gap(s.rnd)
	c.NextAt = now.Add(gap)
	if err := s.st.SetCampaignNext(ctx, c.ID, c.NextAt); err != nil {
		return time.Time{}, err
	}
	nr, err := s.submit(ctx, *c, *r)
	*r = nr
	return c.NextAt, err
}

// request is row r of campaign c as a send: its key is the campaign and
// the row, so that however often it is submitted (a crash, a takeover),
// it is recorded once.
func (s *Service) request(c store.Campaign, r store.CampaignRow) send.Request {
	return send.Request{
		IdemKey:   store.CampaignRowKey(c.ID, r.No),
		UserID:    c.Owner,
		ChannelID: c.RootChannel,
		ThreadTS:  c.RootTS,
		Message:   linkup.Message{ProfileURL: r.ProfileURL, Text: r.Message, Country: s.cfg.Country},
		Account:   c.Account,
	}
}

// submit hands claimed row r to the pipeline and records what came of it.
func (s *Service) submit(ctx context.Context, c store.Campaign, r store.CampaignRow) (store.CampaignRow, error) {
	log := s.log.With().Int64("campaign", c.ID).Int("row", r.No).Logger()
	sd, err := s.sender.Submit(ctx, s.request(c, r))
	var ce *store.CapError
	var ee *account.ExpiredError
	switch {
	case err == nil, errors.Is(err, send.ErrDuplicate):
		log.Info().Int64("send_id", sd.ID).Msg("campaign row handed to the send pipeline")
		if err := s.st.LinkRow(ctx, c.ID, r.No, sd.ID); err != nil {
			return r, err
		}
		r.SendID = sd.ID
		return r, nil
	case errors.As(err, &ce), errors.Is(err, send.ErrClosed):
		// Nothing recorded: the row waits for the next day, or the next start.
		log.Info().Err(err).Msg("campaign row not recorded; it waits")
		if ce != nil {
			_ = s.st.SetCampaignNext(ctx, c.ID, ce.ResetAt)
		}
		if err := s.st.UnclaimRow(ctx, c.ID, r.No); err != nil {
			return r, err
		}
		r.State = store.RowPending
		return r, nil
	case errors.Is(err, account.ErrNone), errors.Is(err, account.ErrNotAllowed), errors.As(err, &ee):
		// The account cannot be used (its session expired, its owner lost
		// it): nothing recorded. Every next row would fail the same way,
		// so the campaign pauses, the row pending, until someone resumes it.
		refusal := strings.TrimSuffix(err.Error(), ".")
		log.Warn().Err(err).Msg("campaign row refused for its account; nothing sent, the campaign pauses")
		if err := s.st.UnclaimRow(ctx, c.ID, r.No); err != nil {
			return r, err
		}
		r.State = store.RowPending
		if err := s.st.SetCampaignNext(ctx, c.ID, s.cfg.Now()); err != nil { // nothing was sent: no gap to keep
			return r, err
		}
		moved, err := s.st.MoveCampaign(ctx, c.ID, store.CampaignPaused, store.CampaignRunning)
		if err != nil || !moved {
			return r, err
		}
		s.changed(c.Owner)
		text := fmt.Sprintf(":double_vertical_bar: <@%s> the campaign is paused: the LinkedIn account *%s* cannot be used now (%s). Nothing was sent for row %d. Press *Resume* once it can.",
			c.Owner, slackpost.Escape(c.Account), slackpost.Escape(refusal), r.No)
		if _, _, perr := s.slack.PostMessageContext(ctx, c.RootChannel, slack.MsgOptionText(text, false), slack.MsgOptionTS(c.RootTS)); perr != nil {
			log.Warn().Err(perr).Msg("telling the thread the campaign paused failed")
		}
		return r, nil
	default:
		// Not known to be recorded (the log did not answer in time): the
		// row stays claimed and is submitted again, under its key.
		log.Warn().Err(err).Msg("campaign row not known to be recorded; it is submitted again under its key")
		return r, nil
	}
}

// settle reads the send of claimed row r and records its outcome once it
// has one; a claimed row without a send (a crash between its claim and
// its accept, or an accept not known to be recorded) is submitted again,
// under its key: it is recorded once.
func (s *Service) settle(ctx context.Context, c store.Campaign, r store.CampaignRow) (store.CampaignRow, error) {
	sd, err := s.st.KeyHolder(ctx, store.CampaignRowKey(c.ID, r.No))
	if errors.Is(err, store.ErrNotFound) {
		return s.submit(ctx, c, r)
	}
	if err != nil {
		return r, err
	}
	if r.SendID == 0 {
		if err := s.st.LinkRow(ctx, c.ID, r.No, sd.ID); err != nil {
			return r, err
		}
		r.SendID = sd.ID
	}
	var st store.RowState
	switch sd.State {
	case store.Sent:
		st = store.RowSent
	case store.Failed:
		st = store.RowFailed
	case store.Unknown:
		st = store.RowUnknown
	default:
		return r, nil
	}
	at := sd.FinishedAt
	if st != store.RowSent {
		at = time.Time{}
	}
	if err := s.st.SettleRow(ctx, c.ID, r.No, st, sd.Reason, sd.ID, at); err != nil {
		return r, err
	}
	r.State, r.Reason, r.SentAt = st, sd.Reason, at
	return r, nil
}
