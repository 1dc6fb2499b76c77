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
	"linkedin-bot/slackpost"
	"linkedin-bot/store"
)

// Page sizes of one poll. Each page of 10 costs 1 credit. A poll reads as
// many pages as it takes (the inbox down to what the last poll saw, a
// conversation down to the last message mirrored), within the day's read
// credits: a read the cap cuts short resumes where it stopped.
const (
	inboxFirst  = 10 // the common case: a few conversations changed
	inboxPage   = linkup.MaxPage
	messagePage = 10 // the newest messages: what changed since the last read
)

// errCapped: the day's read credits are spent.
var errCapped = errors.New("the day's read credits are spent")

// errUnread: one conversation could not be read or recorded (logged where
// it happened); the others go on, and it is read again at the next poll.
var errUnread = errors.New("a conversation could not be read")

// accountNameKey keeps each account's name as LinkedIn shows it.
const accountNameKey = "account_name"

// spend takes cost credits from the day's reading budget, then waits for
// a turn at Linkup's rate. Reaching the cap is told once a day.
func (b *Bridge) spend(ctx context.Context, account string, cost int) error {
	day := b.now().UTC().Format(time.DateOnly)
	ok, err := b.store.SpendReadCredits(ctx, day, cost, b.cfg.CreditsPerDay)
	if err != nil {
		return err
	}
	if !ok {
		b.tellCapped(ctx, day)
		return errCapped
	}
	if b.cfg.ReadCredits != nil {
		b.cfg.ReadCredits(account, cost)
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

// session is an account's LinkedIn session, as the reads use it.
type session struct {
	name string
	linkup.Session
}

// errSessionLost: Linkup refused an account's session; it is marked
// expired (and its owner told) where this is returned, and not read again
// until it is connected again.
var errSessionLost = errors.New("the account's LinkedIn session expired")

// Keys of the bridge's values, per account: the default account's are the
// bare key (as before accounts existed), another's are suffixed with its name.
const (
	watermarkKey = "inbox_watermark" // nothing older is mirrored from the inbox: no backfill
	newestKey    = "inbox_newest"    // the inbox position of the last poll
)

func (b *Bridge) key(base, account string) string {
	if account == b.cfg.Account {
		return base
	}
	return base + ":" + account
}

// poll reads each account that has something to look for: its watched
// conversations, or (for the default and shared accounts, with an inbox
// channel) its new ones. It returns how many new messages it mirrored.
func (b *Bridge) poll(ctx context.Context) (int, error) {
	readers, err := b.cfg.Sessions.Readers(ctx)
	if err != nil {
		return 0, err
	}
	watched, err := b.store.Watched(ctx, b.now().Add(-b.cfg.WatchFor))
	if err != nil {
		return 0, err
	}
	byAccount := map[string][]store.Conversation{}
	for _, c := range watched {
		byAccount[c.Account] = append(byAccount[c.Account], c)
	}
	news := 0
	for _, r := range readers {
		if b.liveFor(r.Name) {
			continue // its events say when something changed (live.go)
		}
		n, err := b.pollReader(ctx, r, byAccount[r.Name])
		news += n
		if errors.Is(err, errCapped) || ctx.Err() != nil {
			return news, err
		}
	}
	return news, nil
}

// pollReader polls account r's inbox when it has something to look for
// (its watched conversations, or its new ones with an inbox channel), and
// returns how many new messages it mirrored. Its errors are logged here;
// only errCapped and ctx's end are returned.
func (b *Bridge) pollReader(ctx context.Context, r Reader, watched []store.Conversation) (int, error) {
	inbox := r.Inbox && b.cfg.InboxChannel != ""
	if len(watched) == 0 && !inbox {
		return 0, nil // nothing to look for: nothing spent
	}
	sess, err := b.cfg.Sessions.Session(ctx, r.Name)
	if errors.Is(err, store.ErrTokenUnopenable) || errors.Is(err, store.ErrNeedsV2) {
		b.tellBadToken(ctx, r.Name, len(watched), err)
		return 0, nil
	}
	if err != nil {
		b.log.Debug().Err(err).Str("account", r.Name).Msg("not reading an account that cannot be used")
		return 0, nil
	}
	b.tokenOpens(ctx, r.Name)
	b.polled(r.Name)
	n, err := b.pollAccount(ctx, session{r.Name, sess}, inbox, watched)
	if errors.Is(err, errCapped) || ctx.Err() != nil {
		return n, err
	}
	if err != nil && !errors.Is(err, errSessionLost) {
		b.log.Warn().Err(err).Str("account", r.Name).Msg("polling an account's LinkedIn inbox failed")
	}
	return n, nil
}

// watermark is account s's inbox watermark: nothing older is ever
// mirrored from its inbox. Zero before its first poll sets it
// (setWatermark).
func (b *Bridge) watermark(ctx context.Context, s session) (time.Time, error) {
	v, _, err := b.store.BridgeValue(ctx, b.key(watermarkKey, s.name))
	return linkup.ParseTime(v), err
}

// setWatermark sets account s's watermark at its first poll from first,
// the inbox's first page: just after its newest message, by LinkedIn's
// clock, not this machine's (which may be ahead); for an empty inbox, a
// time before any message.
func (b *Bridge) setWatermark(ctx context.Context, s session, first []linkup.InboxEntry) (time.Time, error) {
	wm := time.UnixMilli(1).UTC()
	for _, e := range first {
		if e.Last.At.After(wm) {
			wm = e.Last.At
		}
	}
	wm = wm.Add(time.Millisecond) // a Since: the newest itself is not mirrored
	return wm, b.store.SetBridgeValue(ctx, b.key(watermarkKey, s.name), wm.Format(time.RFC3339Nano))
}

// pollAccount reads account s's inbox, newest first, until it reaches
// conversations that had not changed at the last poll, and reads each of
// its watched conversations whose last message changed; with inbox, it
// mirrors the new ones too.
func (b *Bridge) pollAccount(ctx context.Context, s session, inbox bool, watched []store.Conversation) (int, error) {
	log := b.log.With().Str("account", s.name).Logger()
	watermark, err := b.watermark(ctx, s)
	if err != nil {
		return 0, err
	}
	news := 0
	byID := map[string]*store.Conversation{}
	byURL := map[string]*store.Conversation{}
	for i := range watched {
		c := &watched[i]
		if c.ConversationID == "" && !c.LookedUp {
			// Logged before Linkup returned conversation IDs: match it by its URL, once.
			n, err := b.read(ctx, s, c, "")
			news += n
			if errors.Is(err, errCapped) || errors.Is(err, errSessionLost) || ctx.Err() != nil {
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

	v, _, _ := b.store.BridgeValue(ctx, b.key(newestKey, s.name))
	seenUpTo := linkup.ParseTime(v)
	if seenUpTo.IsZero() {
		seenUpTo = watermark
	}
	newest := seenUpTo
	// A conversation that could not be read keeps the inbox position below
	// its last message, so that the next poll pages down to it again.
	var unread time.Time
	cursor := ""
	for page := 0; ; page++ {
		size := inboxFirst
		if page > 0 {
			size = inboxPage
		}
		if err := b.spend(ctx, s.name, linkup.ReadCost(size)); err != nil {
			return news, err
		}
		p, err := b.linkup.Inbox(ctx, linkup.InboxQuery{Country: s.Country, LoginToken: s.LoginToken, AccountID: s.AccountID, Count: size, Cursor: cursor})
		if b.sessionLost(ctx, s.name, err) {
			return news, errSessionLost
		}
		if err != nil {
			return news, fmt.Errorf("reading the inbox: %w", err)
		}
		if p.Skipped > 0 {
			log.Warn().Int("skipped", p.Skipped).Msg("some inbox entries could not be read; they were skipped")
		}
		if watermark.IsZero() {
			if watermark, err = b.setWatermark(ctx, s, p.Conversations); err != nil {
				return news, err
			}
			if seenUpTo.IsZero() {
				seenUpTo, newest = watermark, watermark
			}
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
				if !inbox || !e.Last.At.After(watermark) {
					continue
				}
				nc, err := b.store.Watch(ctx, store.Conversation{ConversationID: e.ConversationID, ProfileURL: e.Participant.ProfileURL,
					Participant: e.Participant.Name, Channel: b.cfg.InboxChannel, Since: watermark, LastActivity: e.Last.At, Account: s.name})
				if err != nil {
					log.Error().Err(err).Msg("recording a new inbound conversation failed")
					continue
				}
				log.Info().Int64("conversation", nc.ID).Msg("a new LinkedIn conversation: mirroring it in the inbox channel")
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
			n, err := b.read(ctx, s, c, sig)
			news += n
			if errors.Is(err, errCapped) || errors.Is(err, errSessionLost) || ctx.Err() != nil {
				return news, err
			}
			if errors.Is(err, errUnread) && !e.Last.At.IsZero() && (unread.IsZero() || e.Last.At.Before(unread)) {
				unread = e.Last.At
			}
		}
		if p.NextCursor != "" && p.NextCursor == cursor {
			// Not a step back: the inbox position stays, and the next poll reads on.
			return news, errors.New("Linkup gave the same inbox page twice")
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
		if err := b.store.SetBridgeValue(ctx, b.key(newestKey, s.name), newest.Format(time.RFC3339Nano)); err != nil {
			log.Error().Err(err).Msg("recording the inbox position failed")
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
// records them and mirrors them into its thread, oldest first. sig, when
// set, is the inbox's view of its last message, remembered once the read
// succeeds. A read that the day's read credits cut short records what it
// read as held (never posted before the older messages), says so in the
// thread, and resumes where it stopped at the next read. An error for one
// conversation is logged here and does not stop the others; only
// errCapped, errSessionLost and a cancelled ctx are returned.
func (b *Bridge) read(ctx context.Context, s session, c *store.Conversation, sig string) (int, error) {
	log := b.log.With().Int64("conversation", c.ID).Str("account", s.name).Logger()
	gapCursor, gap, err := b.store.Gap(ctx, c.ID)
	var top, older fetched
	if err == nil {
		top, err = b.fetchFrom(ctx, s, *c, c.Since, "", nil)
	}
	if err == nil && gap {
		// Then the older messages a cut read left unread, from where it stopped.
		var skip map[string]bool
		if skip, err = b.store.HeldMessages(ctx, c.ID); err == nil {
			for _, m := range top.msgs {
				skip[messageKey(m)] = true
			}
			withID := *c
			withID.ConversationID = top.convID
			older, err = b.fetchFrom(ctx, s, withID, c.Since, gapCursor, skip)
		}
	}
	if c.ConversationID == "" && err == nil {
		c.LookedUp = true // read by its URL: found, or not there; not again
	}
	if errors.Is(err, errCapped) {
		return 0, b.cut(ctx, log, s, c, gap, top, older)
	}
	if err != nil {
		if ctx.Err() != nil {
			return 0, err
		}
		if b.sessionLost(ctx, s.name, err) {
			return 0, errSessionLost
		}
		log.Warn().Err(err).Msg("reading a LinkedIn conversation failed; it is read again at the next poll")
		if uerr := b.store.UpdateConversation(ctx, *c); uerr != nil {
			log.Error().Err(uerr).Msg("recording a conversation failed")
		}
		return 0, errUnread
	}
	if c.ConversationID == "" && top.convID != "" {
		c.ConversationID = top.convID
	}
	if sig == "" && top.newest != nil {
		sig = signature(*top.newest) // as the inbox will show it: no second read for it
	}
	if sig != "" {
		c.LastSeen = sig
	}
	added, rerr := b.record(ctx, s.name, c, older.msgs, top.msgs, nil)
	if rerr != nil {
		log.Error().Err(rerr).Msg("recording a conversation's messages failed; they are read again at the next poll")
		c.LastSeen = ""
	}
	b.touch(c, older.msgs, top.msgs)
	if err := b.store.UpdateConversation(ctx, *c); err != nil {
		log.Error().Err(err).Msg("recording a conversation failed")
	}
	news := 0
	for _, m := range added {
		if m.Kind != store.MsgOwn && m.Kind != store.MsgEmpty {
			news++
		}
	}
	b.deliverConversation(ctx, log, c)
	if rerr != nil {
		return news, errUnread
	}
	return news, nil
}

// cut records what a read the read cap cut short had read, held until the
// older messages are read, and says so in the conversation's thread. It
// returns errCapped. top is the read from the newest message; older the
// read of the gap an earlier cut left (gap), from where that cut stopped.
func (b *Bridge) cut(ctx context.Context, log zerolog.Logger, s session, c *store.Conversation, gap bool, top, older fetched) error {
	if c.ConversationID == "" && top.convID != "" {
		c.ConversationID = top.convID
	}
	var resume string
	var olderMsgs, newer []linkup.ChatMessage
	switch {
	case gap && top.cut:
		// Messages newer than the held ones, not all read: a second gap.
		// Not kept: read again when credits return (at most a day's last pages).
		log.Info().Int("pages", top.pages).Msg("the read cap cut a conversation's newest messages short; they are read again when credits return")
	case gap:
		olderMsgs, newer, resume = older.msgs, top.msgs, older.next
	case top.pages > 0:
		newer, resume = top.msgs, top.next
	}
	if len(olderMsgs)+len(newer) > 0 {
		if _, err := b.record(ctx, s.name, c, olderMsgs, newer, &resume); err != nil {
			log.Error().Err(err).Msg("recording the messages of a cut read failed; they are read again when credits return")
		}
		b.touch(c, olderMsgs, newer)
	}
	if err := b.store.UpdateConversation(ctx, *c); err != nil {
		log.Error().Err(err).Msg("recording a conversation failed")
	}
	b.tellCut(ctx, log, *c, gap || top.pages > 0)
	return errCapped
}

// tellCut says in c's thread that its new messages wait for read credits.
func (b *Bridge) tellCut(ctx context.Context, log zerolog.Logger, c store.Conversation, partly bool) {
	log.Warn().Bool("partly_read", partly).Msg("the day's read credits ran out while reading a conversation: the rest is read when credits return")
	if c.ThreadTS == "" {
		return // an inbox conversation not posted yet: nothing to tell in
	}
	text := fmt.Sprintf(":pause_button: New LinkedIn messages of this conversation wait: the bot reached today's READ_CREDITS_PER_DAY (%d credits). They are read when read credits return (00:00 UTC) and appear here then, oldest first, none skipped.", b.cfg.CreditsPerDay)
	if partly {
		text = fmt.Sprintf(":pause_button: The bot reached today's READ_CREDITS_PER_DAY (%d credits) while reading the new LinkedIn messages of this conversation: the older ones are read when read credits return (00:00 UTC); then all appear here, oldest first, none skipped.", b.cfg.CreditsPerDay)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), slackTimeout)
	defer cancel()
	if _, _, err := b.slack.PostMessageContext(ctx, c.Channel, slack.MsgOptionText(text, false), slack.MsgOptionTS(c.ThreadTS), slack.MsgOptionDisableLinkUnfurl()); err != nil {
		log.Error().Err(err).Msg("telling the thread that reading waits for credits failed")
	}
}

// touch moves c's last activity to its newest message read.
func (b *Bridge) touch(c *store.Conversation, lists ...[]linkup.ChatMessage) {
	for _, msgs := range lists {
		for _, m := range msgs {
			if m.At.After(c.LastActivity) {
				c.LastActivity = m.At
			}
		}
	}
}

// fetched is what one read of a conversation found.
type fetched struct {
	msgs   []linkup.ChatMessage // the new messages, oldest first
	newest *linkup.ChatMessage  // the newest message of all, when the read started there
	convID string               // the conversation's ID as Linkup gave it
	pages  int                  // pages read
	cut    bool                 // the read cap stopped it: next is where it resumes
	next   string
}

// fetchFrom reads a conversation's messages newer than since, newest
// first, from cursor ("" for the newest message), paging until it meets
// one it holds already or an older one; it returns them oldest first. A
// conversation Linkup does not find has no messages. With skip
// (a read resuming in a gap), the messages it names are passed over, and
// the read stops at a message held already that it does not name. Cut
// short by the read cap, it returns what it read with errCapped, and where
// to resume.
func (b *Bridge) fetchFrom(ctx context.Context, s session, c store.Conversation, since time.Time, cursor string, skip map[string]bool) (fetched, error) {
	f := fetched{convID: c.ConversationID}
	fromTop := cursor == ""
	inWindow := true
	for page := 0; ; page++ {
		if err := b.spend(ctx, s.name, linkup.ReadCost(messagePage)); err != nil {
			slices.Reverse(f.msgs)
			f.cut, f.next = true, cursor
			return f, err
		}
		f.pages++
		q := linkup.ConversationQuery{ConversationID: f.convID, Country: s.Country, LoginToken: s.LoginToken, AccountID: s.AccountID, Count: messagePage, Cursor: cursor}
		if f.convID == "" {
			q.ProfileURL = c.ProfileURL
		}
		p, err := b.linkup.Conversation(ctx, q)
		if le, ok := errors.AsType[*linkup.Error](err); ok && le.Kind == linkup.KindInvalid && strings.Contains(strings.ToLower(le.Message), "not found") {
			break // no conversation (yet): nothing in it
		}
		if err != nil {
			return fetched{}, err
		}
		if page == 0 && fromTop && len(p.Messages) > 0 {
			f.newest = &p.Messages[0]
		}
		if p.Skipped > 0 {
			b.log.Warn().Int64("conversation", c.ID).Int("skipped", p.Skipped).Msg("some LinkedIn messages could not be read; they were skipped")
		}
		if f.convID == "" {
			f.convID = p.ConversationID
		}
		keys := make([]string, len(p.Messages))
		for i, m := range p.Messages {
			keys[i] = messageKey(m)
		}
		known := map[string]bool{}
		if c.ID != 0 {
			if known, err = b.store.KnownMessages(ctx, c.ID, keys); err != nil {
				return fetched{}, err
			}
		}
		stop := false
		for i, m := range p.Messages {
			if !m.At.IsZero() {
				inWindow = !m.At.Before(since)
			}
			if skip[keys[i]] && inWindow {
				continue
			}
			if !inWindow || known[keys[i]] {
				stop = true
				break
			}
			f.msgs = append(f.msgs, m)
		}
		if p.NextCursor != "" && p.NextCursor == cursor {
			return fetched{}, errors.New("Linkup gave the same page of the conversation twice")
		}
		cursor = p.NextCursor
		if stop || cursor == "" {
			break
		}
	}
	slices.Reverse(f.msgs)
	return f, nil
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

// record classifies the messages one read found (each list oldest
// first: older, those of a gap an earlier cut read left; newer, those
// after everything recorded) and records them; with gap set, held (see
// store.RecordRead). It returns the new ones.
func (b *Bridge) record(ctx context.Context, acct string, c *store.Conversation, older, newer []linkup.ChatMessage, gap *string) ([]store.ConvMessage, error) {
	if len(older)+len(newer) == 0 && gap == nil {
		if _, held, err := b.store.Gap(ctx, c.ID); err != nil || !held {
			return nil, err
		}
	}
	own, err := b.store.SendsTo(ctx, acct, c.ConversationID, c.ProfileURL, c.Since.Add(-time.Minute))
	if err != nil {
		return nil, err
	}
	nameKey := b.key(accountNameKey, acct)
	account, _, _ := b.store.BridgeValue(ctx, nameKey)
	rows := func(msgs []linkup.ChatMessage) []store.ConvMessage {
		out := make([]store.ConvMessage, 0, len(msgs))
		for _, m := range msgs {
			kind := b.classify(ctx, m, c.Participant, nameKey, &account, own)
			out = append(out, store.ConvMessage{Conversation: c.ID, Key: messageKey(m), SentAt: m.At, Kind: kind, Sender: m.Sender, Body: body(m)})
		}
		return out
	}
	recent := rows(newer)
	if len(older) == 0 {
		// A conversation's first read has no gap behind it: everything it
		// found is newer than what is recorded (nothing).
		if recent, err = b.afterStart(ctx, c, recent); err != nil {
			return nil, err
		}
	}
	return b.store.RecordRead(ctx, c.ID, rows(older), recent, gap)
}

// afterStart drops, from the first read of a conversation a send started,
// the messages before the bot's own first one: they came before the send.
// Its Since is clockSkew before the call (this machine's clock may be
// ahead of LinkedIn's), so such a read may reach back past the call; the
// send's own message, not a time, says where the conversation starts.
func (b *Bridge) afterStart(ctx context.Context, c *store.Conversation, rows []store.ConvMessage) ([]store.ConvMessage, error) {
	if c.Requester == "" {
		return rows, nil // an inbound conversation: its Since is LinkedIn's time
	}
	start := slices.IndexFunc(rows, func(m store.ConvMessage) bool { return m.Kind == store.MsgOwn })
	if start <= 0 {
		return rows, nil
	}
	held, err := b.store.HoldsMessages(ctx, c.ID)
	if err != nil || held {
		return rows, err // read before: what is new came after its start
	}
	return rows[start:], nil
}

// classify says who wrote m. v1 has no "is me" flag: the bot's own sends
// are known by their entity URN (or their text, from the account, that
// LinkedIn dates no more than clockSkew before the call), the other side
// by the participant's name, and the account by its name once learnt.
func (b *Bridge) classify(ctx context.Context, m linkup.ChatMessage, participant, nameKey string, account *string, own []store.Send) string {
	for _, sd := range own {
		mine := m.EntityURN != "" && m.EntityURN == sd.EntityURN ||
			sameText(m.Text, sd.Message) && !m.At.IsZero() && !m.At.Before(sd.CalledAt.Add(-clockSkew)) && !strings.EqualFold(m.Sender, participant)
		if mine {
			if m.Sender != "" && m.Sender != *account {
				*account = m.Sender
				if err := b.store.SetBridgeValue(ctx, nameKey, m.Sender); err != nil {
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

// sessionLost reports whether err is Linkup refusing account name's
// session. The account is then marked expired, so that nothing more is
// sent or read from it until it is connected again, and its owner told once.
func (b *Bridge) sessionLost(ctx context.Context, name string, err error) bool {
	if le, ok := errors.AsType[*linkup.Error](err); !ok || le.Kind != linkup.KindAuth {
		return false
	}
	b.expire(ctx, name, err, "while reading its conversations", "found while reading its conversations")
	return true
}

// expire marks account name's session expired, so that nothing more is
// sent or read from it until it is connected again, and tells its owner
// once how to connect it again. how says, for the log, how the end was
// learnt (cause, when set, is Linkup's refusal); found, for the owner.
func (b *Bridge) expire(ctx context.Context, name string, cause error, how, found string) {
	log := b.log.With().Str("account", name).Logger()
	tell, xerr := b.cfg.Sessions.Expire(ctx, name)
	if xerr != nil {
		log.Error().Err(xerr).Msg("marking the account expired failed")
		return
	}
	log.Warn().AnErr("linkup", cause).Msg("the account's LinkedIn session ended (" + how + "): it is marked expired, and neither read nor sent from until it is connected again (LINKUP_LOGIN_TOKEN's default excepted: its session is a setting, and its next send finds the end)")
	if tell == "" {
		return
	}
	text := fmt.Sprintf(":warning: The LinkedIn session of the *%s* account expired (%s): LinkedIn sessions end without notice. Replies are not mirrored and nothing is sent from it until it is connected again.", slackpost.Escape(name), found)
	if b.cfg.Reconnect != nil {
		text += " " + b.cfg.Reconnect(name)
	}
	if _, _, err := b.slack.PostMessageContext(ctx, tell, slack.MsgOptionText(text, false)); err != nil {
		log.Error().Err(err).Msg("telling the account's owner that its session expired failed")
	}
}
