package conversation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"linkedin-bot/linkup"
	"linkedin-bot/store"
)

// clockSkew is how far this machine's clock may be from LinkedIn's, either
// way, for the few rules that must fall back on comparing the two: a send
// to a conversation the bot had recorded nothing of (its check, and which
// messages of a send's conversation are mirrored). Everything else goes by
// identity and order: the last message seen before a call, entity URNs.
const clockSkew = 15 * time.Minute

// maxCheckPages bounds one check's read, back to the last message seen
// before the call: 50 messages.
const maxCheckPages = 5

// maxFailedReads bounds the reads of one unknown send's conversation that
// fail; the wait after each doubles, from CheckAfter up to 10 times it
// (50 minutes in all at the default 2 minutes).
const maxFailedReads = 6

// notDeliveredReason is kept on a send the checks found no trace of.
const notDeliveredReason = "the bot read the conversation %d times, up to %s after Linkup was called, and the message is not in it. " +
	"Nothing reached LinkedIn, so Retry sends it once."

// unsettledReason is kept on a send whose conversation could not be read.
const unsettledReason = "the bot could not read the LinkedIn conversation to check whether this message went out " +
	"(Linkup failed %d times over %s), and has stopped trying. Open the conversation on LinkedIn: if the message is there, " +
	"it was sent and there is nothing to do; if it is not, click Retry (it asks you to confirm)."

// errUncovered: a check's read did not reach back to the call.
var errUncovered = errors.New("the conversation could not be read back to the send")

// runChecks reads the conversation of each unknown send whose check is due.
func (b *Bridge) runChecks(ctx context.Context) {
	sends, err := b.store.ToCheck(ctx, len(checkTimes))
	if err != nil {
		if ctx.Err() == nil { // else Close cut it short
			b.log.Error().Err(err).Msg("listing unknown sends failed")
		}
		return
	}
	for _, u := range sends {
		if b.stopping() {
			return
		}
		from := u.FinishedAt
		if from.IsZero() {
			from = u.UpdatedAt
		}
		due := from.Add(checkTimes[u.Checks] * b.cfg.CheckAfter)
		if u.RetryAt.After(due) {
			due = u.RetryAt // a read failed: the next try waits
		}
		if b.now().Before(due) {
			continue
		}
		sess, err := b.cfg.Sessions.Session(ctx, u.Account)
		if err != nil {
			continue // its account cannot be read now (expired, removed): checked once it can
		}
		if err := b.check(ctx, session{u.Account, sess}, u); errors.Is(err, errCapped) || ctx.Err() != nil {
			return
		}
	}
}

// check reads the conversation of unknown send u once, and settles it
// when its message is there, or when the last check finds it is not. A
// read that fails is not a check: it is tried again later, a bounded
// number of times, and then the send is settled as one that cannot be.
func (b *Bridge) check(ctx context.Context, s session, u store.Unsettled) error {
	log := b.log.With().Int64("send_id", u.ID).Int("check", u.Checks+1).Logger()
	c, err := b.store.ConversationWith(ctx, s.name, u.Recipient)
	if err != nil {
		c = store.Conversation{ProfileURL: u.Recipient} // read it by the recipient's URL
	}
	m, convID, err := b.lookFor(ctx, s, c, u)
	if errors.Is(err, errCapped) || ctx.Err() != nil {
		return err
	}
	if b.sessionLost(ctx, s.name, err) {
		return nil // not a check: the message is looked for once the account is connected again
	}
	if err != nil {
		return b.readFailed(ctx, log, u, err)
	}
	last := u.Checks+1 >= len(checkTimes)
	if rerr := b.store.RecordCheck(ctx, u.ID); rerr != nil {
		log.Error().Err(rerr).Msg("recording a check failed")
		return rerr
	}
	if m != nil {
		credits := linkup.CreditsText
		if u.MediaLink != "" || u.MediaName != "" {
			credits = linkup.CreditsMedia
		}
		ok, err := b.store.Settle(ctx, u.ID, store.VerdictConfirmed, store.Outcome{State: store.Sent, Credits: credits, ConversationID: convID, EntityURN: m.EntityURN})
		if err != nil {
			return err
		}
		if ok {
			log.Info().Msg("unknown send confirmed: its message is in the LinkedIn conversation")
			b.settled(u.ID)
		}
		return nil
	}
	if !last {
		log.Info().Msg("unknown send: its message is not in the conversation yet; looking again later")
		return nil
	}
	reason := fmt.Sprintf(notDeliveredReason, len(checkTimes), readable(checkTimes[len(checkTimes)-1]*b.cfg.CheckAfter))
	ok, err := b.store.Settle(ctx, u.ID, store.VerdictNotDelivered, store.Outcome{State: store.Failed, Reason: reason, ConversationID: convID})
	if err != nil {
		return err
	}
	if ok {
		log.Info().Msg("unknown send not delivered: its message is not in the LinkedIn conversation")
		b.settled(u.ID)
	}
	return nil
}

// readFailed records a check's failed read and when to try again; past
// maxFailedReads, it settles the send as one that cannot be settled, which
// its thread is told once.
func (b *Bridge) readFailed(ctx context.Context, log zerolog.Logger, u store.Unsettled, cause error) error {
	n := u.FailedReads + 1
	if n < maxFailedReads {
		wait := min(b.cfg.CheckAfter<<(n-1), checkTimes[len(checkTimes)-1]*b.cfg.CheckAfter)
		log.Warn().Err(cause).Int("failed_reads", n).Stringer("next_in", wait).Msg("reading the conversation to settle an unknown send failed; trying again later")
		if err := b.store.RecordFailedRead(ctx, u.ID, b.now().Add(wait)); err != nil {
			log.Error().Err(err).Msg("recording a failed read failed")
			return err
		}
		return nil
	}
	var waited time.Duration
	for i := range maxFailedReads - 1 {
		waited += min(b.cfg.CheckAfter<<i, checkTimes[len(checkTimes)-1]*b.cfg.CheckAfter)
	}
	reason := fmt.Sprintf(unsettledReason, n, readable(waited))
	ok, err := b.store.Settle(ctx, u.ID, store.VerdictUnsettled, store.Outcome{State: store.Unknown, Reason: reason, Credits: u.Credits})
	if err != nil {
		return err
	}
	if ok {
		log.Error().Err(cause).Int("failed_reads", n).Msg("an unknown send cannot be settled: its conversation could not be read; the thread says so")
		b.settled(u.ID)
	}
	return nil
}

// lookFor reads conversation c, newest first, back to the last message
// the bot had seen in it before Linkup was called for u, and returns u's
// message if it is among those after it: u's entity URN, or its text from
// the account that no other send of the bot's claims. It never compares
// this machine's clock with LinkedIn's, unless the bot had seen nothing
// of the conversation (or that message is gone): then the messages that
// LinkedIn dates at most clockSkew before the call are looked at.
// errUncovered: the read did not reach the call.
func (b *Bridge) lookFor(ctx context.Context, s session, c store.Conversation, u store.Unsettled) (*linkup.ChatMessage, string, error) {
	called := u.CalledAt
	if called.IsZero() {
		called = u.CreatedAt
	}
	convID := c.ConversationID
	others, err := b.store.SendsTo(ctx, s.name, convID, u.Recipient, called.Add(-24*time.Hour))
	if err != nil {
		return nil, "", err
	}
	claimed := map[string]bool{}
	for _, o := range others {
		if o.ID != u.ID && o.EntityURN != "" {
			claimed[o.EntityURN] = true
		}
	}
	// The account's name as LinkedIn shows it, once learnt: a message of
	// the send's words by anyone else is not the send's, even where the
	// conversation's other side is not known yet.
	account, _, err := b.store.BridgeValue(ctx, b.key(accountNameKey, s.name))
	if err != nil {
		return nil, "", err
	}
	bottom := called.Add(-clockSkew)
	var after []linkup.ChatMessage // newest first
	found, covered := false, false
	cursor := ""
	for page := 0; page < maxCheckPages && !found && !covered; page++ {
		if err := b.spend(ctx, s.name, linkup.ReadCost(messagePage)); err != nil {
			return nil, "", err
		}
		q := linkup.ConversationQuery{ConversationID: convID, Country: s.Country, LoginToken: s.LoginToken, AccountID: s.AccountID, Count: messagePage, Cursor: cursor}
		if convID == "" {
			q.ProfileURL = c.ProfileURL
		}
		p, err := b.linkup.Conversation(ctx, q)
		if le, ok := errors.AsType[*linkup.Error](err); ok && le.Kind == linkup.KindInvalid && strings.Contains(strings.ToLower(le.Message), "not found") {
			covered = true // no conversation: nothing in it
			break
		}
		if err != nil {
			return nil, "", err
		}
		if convID == "" {
			convID = p.ConversationID
		}
		for _, m := range p.Messages {
			if u.SeenBefore != "" && messageKey(m) == u.SeenBefore {
				found = true
				break
			}
			after = append(after, m)
			if u.SeenBefore == "" && !m.At.IsZero() && m.At.Before(bottom) {
				covered = true // older than any message of the call can be
			}
		}
		cursor = p.NextCursor
		if cursor == "" {
			covered = true // the conversation's first message
		}
	}
	if !found && u.SeenBefore != "" {
		// The message seen before the call is not there (deleted, or another
		// conversation): fall back on LinkedIn's times, within the skew.
		covered = covered || len(after) > 0 && !after[len(after)-1].At.IsZero() && after[len(after)-1].At.Before(bottom)
	}
	if !found && !covered {
		return nil, convID, errUncovered
	}
	for i := range after {
		m := &after[i]
		if !found && !m.At.IsZero() && m.At.Before(bottom) {
			continue
		}
		if u.EntityURN != "" && m.EntityURN == u.EntityURN {
			return m, convID, nil
		}
		if claimed[m.EntityURN] || !sameText(m.Text, u.Message) || c.Participant != "" && strings.EqualFold(m.Sender, c.Participant) ||
			account != "" && m.Sender != "" && !strings.EqualFold(m.Sender, account) {
			continue
		}
		return m, convID, nil
	}
	return nil, convID, nil
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
