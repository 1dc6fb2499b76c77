package conversation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"linkedin-bot/linkup"
	"linkedin-bot/store"
)

// notDeliveredReason is kept on a send the checks found no trace of.
const notDeliveredReason = "the bot read the conversation %d times, up to %s after Linkup was called, and the message is not in it. " +
	"Nothing reached LinkedIn, so Retry sends it once."

// runChecks reads the conversation of each unknown send whose check is due.
func (b *Bridge) runChecks(ctx context.Context) {
	sends, err := b.store.ToCheck(ctx, len(checkTimes))
	if err != nil {
		b.log.Error().Err(err).Msg("listing unknown sends failed")
		return
	}
	for _, sd := range sends {
		if b.stopping() {
			return
		}
		from := sd.FinishedAt
		if from.IsZero() {
			from = sd.UpdatedAt
		}
		if b.now().Before(from.Add(checkTimes[sd.Checks] * b.cfg.CheckAfter)) {
			continue
		}
		token, country, err := b.cfg.Sessions.Session(ctx, sd.Account)
		if err != nil {
			continue // its account cannot be read now (expired, removed): checked once it can
		}
		if err := b.check(ctx, session{sd.Account, token, country}, sd); errors.Is(err, errCapped) || ctx.Err() != nil {
			return
		}
	}
}

// check reads the conversation of unknown send sd once, and settles it
// when the message is there, or when the last check finds it is not.
func (b *Bridge) check(ctx context.Context, s session, sd store.Send) error {
	log := b.log.With().Int64("send_id", sd.ID).Int("check", sd.Checks+1).Logger()
	called := sd.CalledAt
	if called.IsZero() {
		called = sd.CreatedAt
	}
	c, err := b.store.ConversationWith(ctx, s.name, sd.Recipient)
	if err != nil {
		c = store.Conversation{ProfileURL: sd.Recipient} // read it by the recipient's URL
	}
	// The send's own message is looked for whether or not it was mirrored
	// already: read from a minute before the call (clocks differ).
	c.ID = 0
	msgs, _, convID, err := b.fetch(ctx, s, c, called.Add(-time.Minute))
	if errors.Is(err, errCapped) || ctx.Err() != nil {
		return err
	}
	if b.sessionLost(ctx, s.name, err) {
		return nil // not a check: the message is looked for once the account is connected again
	}
	last := sd.Checks+1 >= len(checkTimes)
	if rerr := b.store.RecordCheck(ctx, sd.ID); rerr != nil {
		log.Error().Err(rerr).Msg("recording a check failed")
		return rerr
	}
	if err != nil {
		log.Warn().Err(err).Bool("last", last).Msg("reading the conversation to settle an unknown send failed")
		return nil
	}
	for _, m := range msgs {
		if !sameText(m.Text, sd.Message) || c.Participant != "" && strings.EqualFold(m.Sender, c.Participant) {
			continue
		}
		credits := linkup.CreditsText
		if sd.MediaLink != "" || sd.MediaName != "" {
			credits = linkup.CreditsMedia
		}
		ok, err := b.store.Settle(ctx, sd.ID, store.VerdictConfirmed, store.Outcome{State: store.Sent, Credits: credits, ConversationID: convID, EntityURN: m.EntityURN})
		if err != nil {
			return err
		}
		if ok {
			log.Info().Msg("unknown send confirmed: its message is in the LinkedIn conversation")
			b.settled(sd.ID)
		}
		return nil
	}
	if !last {
		log.Info().Msg("unknown send: its message is not in the conversation yet; looking again later")
		return nil
	}
	reason := fmt.Sprintf(notDeliveredReason, len(checkTimes), readable(checkTimes[len(checkTimes)-1]*b.cfg.CheckAfter))
	ok, err := b.store.Settle(ctx, sd.ID, store.VerdictNotDelivered, store.Outcome{State: store.Failed, Reason: reason, ConversationID: convID})
	if err != nil {
		return err
	}
	if ok {
		log.Info().Msg("unknown send not delivered: its message is not in the LinkedIn conversation")
		b.settled(sd.ID)
	}
	return nil
}

// readable writes a duration for people: "20 minutes", "2 hours", "90 seconds".
func readable(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return plural(int(d/time.Minute), "minute")
	case d >= time.Second:
		return plural(int(d.Round(time.Second)/time.Second), "second")
	default:
		return d.String()
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func (b *Bridge) settled(id int64) {
	if b.cfg.Settled != nil {
		b.cfg.Settled(id)
	}
}
