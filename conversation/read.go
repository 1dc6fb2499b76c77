package conversation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"linkedin-bot/linkup"
	"linkedin-bot/store"
)

// Page sizes and bounds of one poll. Each page of 10 costs 1 credit.
const (
	inboxFirst    = 10 // the common case: a few conversations changed
	inboxPage     = linkup.MaxPage
	maxInboxPages = 9  // 210 conversations changed since the last poll
	messagePage   = 10 // the newest messages: what changed since the last read
	maxMsgPages   = 3
)

// errCapped: the day's read credits are spent.
var errCapped = errors.New("the day's read credits are spent")

// errUnread: one conversation could not be read or recorded (logged where
// it happened); the others go on, and it is read again at the next poll.
var errUnread = errors.New("a conversation could not be read")

// accountNameKey keeps the sending account's name, as LinkedIn shows it.
const accountNameKey = "account_name"

// spend takes cost credits from the day's reading budget, then waits for
// a turn at Linkup's rate. Reaching the cap is told once a day.
func (b *Bridge) spend(ctx context.Context, cost int) error {
	day := b.now().UTC().Format(time.DateOnly)
	ok, err := b.store.SpendReadCredits(ctx, day, cost, b.cfg.CreditsPerDay)
	if err != nil {
		return err
	}
	if !ok {
		b.tellCapped(ctx, day)
		return errCapped
	}
	return b.cfg.Pacer.WaitRead(ctx)
}

func (b *Bridge) tellCapped(ctx context.Context, day string) {
	first, err := b.store.MarkReadCapTold(ctx, day)
	if err != nil || !first {
		return
	}
	text := fmt.Sprintf(":pause_button: LinkedIn reading is paused for today: the bot reached READ_CREDITS_PER_DAY (%d credits). Replies and checks of unknown sends resume at 00:00 UTC.", b.cfg.CreditsPerDay)
	b.log.Warn().Int("read_credits_per_day", b.cfg.CreditsPerDay).Msg("daily read credits reached: reading paused until 00:00 UTC")
	if b.cfg.NotifyChannel == "" {
		return
	}
	if _, _, err := b.slack.PostMessageContext(ctx, b.cfg.NotifyChannel, slack.MsgOptionText(text, false)); err != nil {
		b.log.Error().Err(err).Msg("telling the notification channel that reading is paused failed")
	}
}

// poll reads the inbox, newest first, until it reaches conversations
// that had not changed at the last poll, and reads each watched
// conversation whose last message changed. It returns how many new
// messages it mirrored.
func (b *Bridge) poll(ctx context.Context) (int, error) {
	watched, err := b.store.Watched(ctx, b.now().Add(-b.cfg.WatchFor))
	if err != nil {
		return 0, err
	}
	if len(watched) == 0 && b.cfg.InboxChannel == "" {
		return 0, nil // nothing to look for: nothing spent
	}
	news := 0
	byID := map[string]*store.Conversation{}
	byURL := map[string]*store.Conversation{}
	for i := range watched {
		c := &watched[i]
		if c.ConversationID == "" && !c.LookedUp {
			// Logged before Linkup returned conversation IDs: match it by its URL, once.
			n, err := b.read(ctx, c, "")
			news += n
			if errors.Is(err, errCapped) || ctx.Err() != nil {
				return news, err
			}
		}
		if c.ConversationID != "" {
			byID[c.ConversationID] = c
		}
		if c.ProfileURL != "" {
			byURL[c.ProfileURL] = c
		}
	}

	newestKey := "inbox_newest"
	v, _, _ := b.store.BridgeValue(ctx, newestKey)
	seenUpTo := linkup.ParseTime(v)
	if seenUpTo.IsZero() {
		seenUpTo = b.watermark
	}
	newest := seenUpTo
	// A conversation that could not be read keeps the inbox position below
	// its last message, so that the next poll pages down to it again.
	var unread time.Time
	cursor := ""
	for page := 0; ; page++ {
		if page == maxInboxPages {
			b.log.Warn().Int("conversations", inboxFirst+(maxInboxPages-1)*inboxPage).Msg("more conversations changed since the last poll than one poll reads; the older ones are read when they change again")
			break
		}
		size := inboxFirst
		if page > 0 {
			size = inboxPage
		}
		if err := b.spend(ctx, linkup.ReadCost(size)); err != nil {
			return news, err
		}
		p, err := b.linkup.Inbox(ctx, linkup.InboxQuery{Country: b.cfg.Country, Count: size, Cursor: cursor})
		if err != nil {
			return news, fmt.Errorf("reading the inbox: %w", err)
		}
		if p.Skipped > 0 {
			b.log.Warn().Int("skipped", p.Skipped).Msg("some inbox entries could not be read; they were skipped")
		}
		older := len(p.Conversations) == 0
		for _, e := range p.Conversations {
			if e.Last.At.After(newest) {
				newest = e.Last.At
			}
			if e.Last.At.IsZero() || !e.Last.At.After(seenUpTo) {
				older = true
			}
			sig := signature(e.Last)
			c := byID[e.ConversationID]
			if c == nil {
				c = byURL[e.Participant.ProfileURL]
			}
			if c == nil {
				if b.cfg.InboxChannel == "" || !e.Last.At.After(b.watermark) {
					continue
				}
				nc, err := b.store.Watch(ctx, store.Conversation{ConversationID: e.ConversationID, ProfileURL: e.Participant.ProfileURL,
					Participant: e.Participant.Name, Channel: b.cfg.InboxChannel, Since: b.watermark, LastActivity: e.Last.At})
				if err != nil {
					b.log.Error().Err(err).Msg("recording a new inbound conversation failed")
					continue
				}
				b.log.Info().Int64("conversation", nc.ID).Msg("a new LinkedIn conversation: mirroring it in the inbox channel")
				c = &nc
				byID[e.ConversationID] = c
			}
			if c.LastSeen == sig {
				continue
			}
			if c.Participant == "" && e.Participant.Name != "" {
				c.Participant = e.Participant.Name
			}
			if c.ConversationID == "" {
				c.ConversationID = e.ConversationID
			}
			n, err := b.read(ctx, c, sig)
			news += n
			if errors.Is(err, errCapped) || ctx.Err() != nil {
				return news, err
			}
			if errors.Is(err, errUnread) && !e.Last.At.IsZero() && (unread.IsZero() || e.Last.At.Before(unread)) {
				unread = e.Last.At
			}
		}
		cursor = p.NextCursor
		if older || cursor == "" {
			break
		}
	}
	if !unread.IsZero() && !unread.After(newest) {
		newest = unread.Add(-time.Millisecond)
		if newest.Before(seenUpTo) {
			newest = seenUpTo
		}
	}
	if newest.After(seenUpTo) {
		if err := b.store.SetBridgeValue(ctx, newestKey, newest.Format(time.RFC3339Nano)); err != nil {
			b.log.Error().Err(err).Msg("recording the inbox position failed")
		}
	}
	return news, nil
}

// signature identifies a conversation's last message as the inbox shows it.
func signature(m linkup.ChatMessage) string {
	h := sha256.Sum256([]byte(m.At.Format(time.RFC3339Nano) + "\x00" + m.Sender + "\x00" + m.Text))
	return hex.EncodeToString(h[:8])
}

// read reads conversation c's new messages (by its ID, else its URL),
// records them and mirrors them into its thread. sig, when set, is the
// inbox's view of its last message, remembered once the read succeeds. An
// error for one conversation is logged here and does not stop the others;
// only errCapped and a cancelled ctx are returned.
func (b *Bridge) read(ctx context.Context, c *store.Conversation, sig string) (int, error) {
	log := b.log.With().Int64("conversation", c.ID).Logger()
	msgs, newest, convID, err := b.fetch(ctx, *c, c.Since)
	if c.ConversationID == "" && err == nil {
		c.LookedUp = true // read by its URL: found, or not there; not again
	}
	if err != nil {
		if errors.Is(err, errCapped) || ctx.Err() != nil {
			return 0, err
		}
		log.Warn().Err(err).Msg("reading a LinkedIn conversation failed; it is read again at the next poll")
		if uerr := b.store.UpdateConversation(ctx, *c); uerr != nil {
			log.Error().Err(uerr).Msg("recording a conversation failed")
		}
		return 0, errUnread
	}
	if c.ConversationID == "" && convID != "" {
		c.ConversationID = convID
	}
	if sig == "" && newest != nil {
		sig = signature(*newest) // as the inbox will show it: no second read for it
	}
	if sig != "" {
		c.LastSeen = sig
	}
	added, rerr := b.record(ctx, c, msgs)
	if rerr != nil {
		log.Error().Err(rerr).Msg("recording a conversation's messages failed; they are read again at the next poll")
		c.LastSeen = ""
	}
	for _, m := range msgs {
		if m.At.After(c.LastActivity) {
			c.LastActivity = m.At
		}
	}
	if err := b.store.UpdateConversation(ctx, *c); err != nil {
		log.Error().Err(err).Msg("recording a conversation failed")
	}
	news := 0
	for _, m := range added {
		if m.Kind != store.MsgOwn && m.Kind != store.MsgEmpty {
			news++
		}
		if !b.deliverMessage(ctx, log, c, m) {
			// Owed, with the ones after it: the next round posts them in order.
			b.nextOwed = b.now()
			break
		}
	}
	if rerr != nil {
		return news, errUnread
	}
	return news, nil
}

// fetch reads a conversation's messages newer than since, newest first,
// paging until it meets one it holds already or an older one. It returns
// them oldest first, with the newest message of all and the
// conversation's ID as Linkup gave it. A conversation Linkup does not
// find has no messages.
func (b *Bridge) fetch(ctx context.Context, c store.Conversation, since time.Time) (out []linkup.ChatMessage, newest *linkup.ChatMessage, convID string, err error) {
	convID = c.ConversationID
	cursor := ""
	inWindow := true
	for page := 0; page < maxMsgPages; page++ {
		if err := b.spend(ctx, linkup.ReadCost(messagePage)); err != nil {
			return nil, nil, "", err
		}
		q := linkup.ConversationQuery{ConversationID: convID, Country: b.cfg.Country, Count: messagePage, Cursor: cursor}
		if convID == "" {
			q.ProfileURL = c.ProfileURL
		}
		p, err := b.linkup.Conversation(ctx, q)
		if le, ok := errors.AsType[*linkup.Error](err); ok && le.Kind == linkup.KindInvalid && strings.Contains(strings.ToLower(le.Message), "not found") {
			break // no conversation (yet): nothing in it
		}
		if err != nil {
			return nil, nil, "", err
		}
		if page == 0 && len(p.Messages) > 0 {
			newest = &p.Messages[0]
		}
		if p.Skipped > 0 {
			b.log.Warn().Int64("conversation", c.ID).Int("skipped", p.Skipped).Msg("some LinkedIn messages could not be read; they were skipped")
		}
		if convID == "" {
			convID = p.ConversationID
		}
		keys := make([]string, len(p.Messages))
		for i, m := range p.Messages {
			keys[i] = messageKey(m)
		}
		known := map[string]bool{}
		if c.ID != 0 {
			if known, err = b.store.KnownMessages(ctx, c.ID, keys); err != nil {
				return nil, nil, "", err
			}
		}
		stop := false
		for i, m := range p.Messages {
			if !m.At.IsZero() {
				inWindow = !m.At.Before(since)
			}
			if !inWindow || known[keys[i]] {
				stop = true
				break
			}
			out = append(out, m)
		}
		cursor = p.NextCursor
		if stop || cursor == "" {
			break
		}
	}
	slices.Reverse(out)
	return out, newest, convID, nil
}

// messageKey identifies a message: its entity URN, else a digest of its
// time, sender and text.
func messageKey(m linkup.ChatMessage) string {
	if m.EntityURN != "" {
		return m.EntityURN
	}
	h := sha256.Sum256([]byte(m.At.UTC().Format(time.RFC3339Nano) + "\x00" + m.Sender + "\x00" + m.Text))
	return "sha256:" + hex.EncodeToString(h[:16])
}

// record classifies msgs (oldest first) and records them; it returns the
// new ones.
func (b *Bridge) record(ctx context.Context, c *store.Conversation, msgs []linkup.ChatMessage) ([]store.ConvMessage, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	own, err := b.store.SendsTo(ctx, c.ConversationID, c.ProfileURL, c.Since.Add(-time.Minute))
	if err != nil {
		return nil, err
	}
	account, _, _ := b.store.BridgeValue(ctx, accountNameKey)
	rows := make([]store.ConvMessage, 0, len(msgs))
	for _, m := range msgs {
		kind := b.classify(ctx, m, c.Participant, &account, own)
		rows = append(rows, store.ConvMessage{Conversation: c.ID, Key: messageKey(m), SentAt: m.At, Kind: kind, Sender: m.Sender, Body: body(m)})
	}
	return b.store.RecordMessages(ctx, rows)
}

// classify says who wrote m. v1 has no "is me" flag: the bot's own sends
// are known by their entity URN (or text and time), the other side by
// the participant's name, and the account by its name once learnt.
func (b *Bridge) classify(ctx context.Context, m linkup.ChatMessage, participant string, account *string, own []store.Send) string {
	for _, sd := range own {
		mine := m.EntityURN != "" && m.EntityURN == sd.EntityURN ||
			sameText(m.Text, sd.Message) && !m.At.IsZero() && !m.At.Before(sd.CalledAt.Add(-time.Minute)) && !strings.EqualFold(m.Sender, participant)
		if mine {
			if m.Sender != "" && m.Sender != *account {
				*account = m.Sender
				if err := b.store.SetBridgeValue(ctx, accountNameKey, m.Sender); err != nil {
					b.log.Warn().Err(err).Msg("recording the account's name failed")
				}
			}
			return store.MsgOwn
		}
	}
	switch {
	case m.Type != "" && m.Type != "TEXT":
		return store.MsgOther // SYSTEM and the like: a short line says what it was
	case strings.TrimSpace(m.Text) == "":
		return store.MsgEmpty // nothing to show: skipped
	}
	switch {
	case participant != "" && strings.EqualFold(m.Sender, participant):
		return store.MsgReply
	case participant != "":
		return store.MsgAccount
	case *account != "" && strings.EqualFold(m.Sender, *account):
		return store.MsgAccount
	default:
		return store.MsgReply
	}
}

// body is what is kept of a message to post: its text, or for a system
// or non-text message what is shown instead.
func body(m linkup.ChatMessage) string {
	if t := strings.TrimSpace(m.Text); t != "" {
		return t
	}
	return "(a LinkedIn " + strings.ToLower(m.Type) + " message with no text)"
}

// sameText compares two message texts as LinkedIn may have reshaped them
// (white space).
func sameText(a, b string) bool {
	return strings.Join(strings.Fields(a), " ") == strings.Join(strings.Fields(b), " ")
}

// logFor is a conversation's logger.
func (b *Bridge) logFor(c store.Conversation) zerolog.Logger {
	return b.log.With().Int64("conversation", c.ID).Logger()
}
