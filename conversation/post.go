package conversation

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"linkedin-bot/slackpost"
	"linkedin-bot/store"
)

// ReplyActionID is the action_id of the Reply on LinkedIn button; its
// value is the conversation's ID in the store.
const ReplyActionID = "reply_linkedin"

// postEvent is the metadata event type of the bridge's posts, by which a
// post that may have been made is found again.
const postEvent = "linkedin_bot_message"

// maxTries bounds the tries of a post that cannot be looked for: it
// appears at most twice.
const maxTries = 2

// maxBodyRunes keeps a message within a section block's 3,000 characters,
// with room for its header.
const maxBodyRunes = 2600

// slackTimeout bounds one post.
const slackTimeout = 30 * time.Second

// deliverOwed makes the posts a crash or a Slack failure left owed.
func (b *Bridge) deliverOwed(ctx context.Context) {
	owed, err := b.store.OwedMessages(ctx)
	if err != nil {
		b.log.Error().Err(err).Msg("listing the LinkedIn messages to post failed")
		return
	}
	convs := map[int64]*store.Conversation{}
	blocked := map[int64]bool{}
	for _, m := range owed {
		if b.stopping() {
			return
		}
		c, ok := convs[m.Conversation]
		if !ok {
			got, err := b.store.GetConversation(ctx, m.Conversation)
			if err != nil {
				b.log.Error().Err(err).Int64("conversation", m.Conversation).Msg("reading a conversation failed")
				continue
			}
			c = &got
			convs[m.Conversation] = c
		}
		if blocked[m.Conversation] {
			continue // an earlier message of it is still owed: keep the order
		}
		if !b.deliverMessage(ctx, b.logFor(*c), c, m) {
			blocked[m.Conversation] = true
		}
	}
}

// deliverMessage posts m in its conversation's thread (posting the inbox
// root first when needed), then its notification line. It reports whether
// m is in the thread: the next message of the conversation must wait
// until it is.
// ReplyButton is the Reply on LinkedIn button of mirrored conversation id.
func ReplyButton(id int64) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(ReplyActionID, strconv.FormatInt(id, 10), slack.NewTextBlockObject(slack.PlainTextType, "Reply on LinkedIn", false, false))
}

func (b *Bridge) deliverMessage(ctx context.Context, log zerolog.Logger, c *store.Conversation, m store.ConvMessage) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), slackTimeout)
	defer cancel()
	log = log.With().Str("message", m.Key).Logger()
	if c.ThreadTS == "" {
		if err := b.postRoot(ctx, log, c); err != nil {
			log.Error().Err(err).Msg("posting the conversation's root in the inbox channel failed; it is tried again later")
			return false
		}
	}
	if !m.Posted {
		mention := m.Kind == store.MsgReply && !c.Mentioned && c.Requester != ""
		text := messageText(*c, m, mention)
		blocks := []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil),
			slack.NewActionBlock("reply", ReplyButton(c.ID)),
		}
		done, err := b.postOnce(ctx, log, c.Channel, c.ThreadTS, m.SentAt, "message", c.ID, m.Key, m.Tries, text, blocks,
			func() error { return b.store.IntendMessage(ctx, c.ID, m.Key, false) })
		if err != nil {
			log.Error().Err(err).Msg("posting a LinkedIn message in its thread failed; it is tried again later")
		}
		if !done {
			return false
		}
		if err := b.store.MarkMessage(ctx, c.ID, m.Key, false); err != nil {
			log.Error().Err(err).Msg("recording a posted message failed")
		}
		if b.cfg.Changed != nil && c.Requester != "" {
			b.cfg.Changed(c.Requester) // their Home's "Waiting for you"
		}
		if mention {
			c.Mentioned = true
			if err := b.store.SetMentioned(ctx, c.ID); err != nil {
				log.Error().Err(err).Msg("recording a mention failed")
			}
		}
	}
	if m.Notified {
		return true
	}
	if b.cfg.NotifyChannel == "" {
		if err := b.store.MarkMessage(ctx, c.ID, m.Key, true); err != nil {
			log.Error().Err(err).Msg("recording a notification failed")
		}
		return true
	}
	link, err := b.permalink(ctx, c.Channel, c.ThreadTS)
	if err != nil {
		log.Warn().Err(err).Msg("getting the thread's permalink failed")
	}
	text := notifyText(*c, m, link)
	done, err := b.postOnce(ctx, log, b.cfg.NotifyChannel, "", m.SentAt, "notify", c.ID, m.Key, m.NotifyTries, text, nil,
		func() error { return b.store.IntendMessage(ctx, c.ID, m.Key, true) })
	if err != nil {
		log.Error().Err(err).Msg("posting the reply's notification failed; it is tried again later")
	}
	if done {
		if err := b.store.MarkMessage(ctx, c.ID, m.Key, true); err != nil {
			log.Error().Err(err).Msg("recording a notification failed")
		}
	}
	return true
}

// postRoot posts an inbox conversation's root message and records it.
func (b *Bridge) postRoot(ctx context.Context, log zerolog.Logger, c *store.Conversation) error {
	text := rootText(*c)
	var ts string
	intend := func() error { return b.store.IntendRoot(ctx, c.ID) }
	post := func() (string, error) {
		_, ts, err := b.slack.PostMessageContext(ctx, c.Channel, slack.MsgOptionText(text, false), slack.MsgOptionDisableLinkUnfurl(),
			slack.MsgOptionMetadata(metadata("root", c.ID, "root")))
		return ts, err
	}
	if c.RootTries > 0 {
		_, found, err := b.find(ctx, c.Channel, "", c.CreatedAt, "root", c.ID, "root")
		if found != "" {
			ts = found
		} else if err != nil && c.RootTries >= maxTries {
			return fmt.Errorf("the root may already be in Slack and cannot be looked for: %w", err)
		}
	}
	if ts == "" {
		if err := intend(); err != nil {
			return err
		}
		c.RootTries++
		var err error
		if ts, err = post(); err != nil {
			return err
		}
	}
	c.ThreadTS = ts
	return b.store.SetRoot(ctx, c.ID, ts)
}

// postOnce makes one post of kind for message key of conversation conv,
// recording its try first (intend). A post that earlier tries may have
// made is looked for first; where it cannot be looked for, it is made
// again only under maxTries. done says the post is in Slack (or given up).
func (b *Bridge) postOnce(ctx context.Context, log zerolog.Logger, channel, thread string, sentAt time.Time, kind string, conv int64, key string, tries int,
	text string, blocks []slack.Block, intend func() error) (done bool, err error) {
	if tries > 0 {
		_, found, ferr := b.find(ctx, channel, thread, since(sentAt, b.now()), kind, conv, key)
		if found != "" {
			log.Info().Str("post", kind).Msg("an earlier try had posted; not posting again")
			return true, nil
		}
		if ferr != nil && tries >= maxTries {
			log.Error().Err(ferr).Str("post", kind).Msg("the post may already be in Slack; not making it again")
			return true, nil
		}
	}
	if err := intend(); err != nil {
		return false, fmt.Errorf("recording the post's try: %w", err)
	}
	opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionMetadata(metadata(kind, conv, key))}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	_, _, err = b.slack.PostMessageContext(ctx, channel, opts...)
	if err == nil {
		return true, nil
	}
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		// No answer, or a 5xx: Slack may have posted it. Look at once.
		if _, found, ferr := b.find(ctx, channel, thread, since(sentAt, b.now()), kind, conv, key); found != "" {
			return true, nil
		} else if ferr != nil {
			err = fmt.Errorf("%w (and the post could not be looked for: %v)", err, ferr)
		}
	}
	return false, err // a later try looks for it first
}

// since is where to start looking for the post of a message sent at:
// it was posted after the message was written (a day back when its time
// is unknown).
func since(at, now time.Time) time.Time {
	if at.IsZero() || at.After(now) {
		return now.Add(-24 * time.Hour)
	}
	return at
}

func metadata(kind string, conv int64, key string) slack.SlackMetadata {
	return slack.SlackMetadata{EventType: postEvent, EventPayload: map[string]any{"conversation": strconv.FormatInt(conv, 10), "key": key, "post": kind}}
}

// find looks for a post of the bridge in Slack; found is its ts.
func (b *Bridge) find(ctx context.Context, channel, thread string, since time.Time, kind string, conv int64, key string) (string, string, error) {
	id := strconv.FormatInt(conv, 10)
	ch, ts, ok, err := slackpost.Find(ctx, b.slack, channel, thread, since.Add(-time.Minute), func(md slack.SlackMetadata) bool {
		return md.EventType == postEvent && slackpost.Field(md, "conversation") == id && slackpost.Field(md, "key") == key && slackpost.Field(md, "post") == kind
	})
	if !ok {
		return "", "", err
	}
	return ch, ts, nil
}

// permalink links to a thread.
func (b *Bridge) permalink(ctx context.Context, channel, ts string) (string, error) {
	return b.links.Link(ctx, b.slack, channel, ts)
}

// messageText is a mirrored message: who wrote it, when, and its text,
// made inert and cut to fit.
func messageText(c store.Conversation, m store.ConvMessage, mention bool) string {
	var head string
	who := "*" + slackpost.Escape(orDefault(m.Sender, orDefault(c.Participant, "Someone"))) + "*"
	switch m.Kind {
	case store.MsgReply:
		head = ":speech_balloon: " + who + " replied on LinkedIn"
	case store.MsgAccount:
		head = ":outbox_tray: " + who + " wrote on LinkedIn (sent from LinkedIn, not from Slack)"
	default:
		head = ":information_source: LinkedIn"
	}
	head += " · " + when(m.SentAt)
	if mention {
		head += " <@" + c.Requester + ">"
	}
	text, note := cut(m.Body)
	return head + "\n" + slackpost.Quote(text) + note
}

// notifyText is the notification channel's line for a new reply.
func notifyText(c store.Conversation, m store.ConvMessage, link string) string {
	line := ":speech_balloon: *" + slackpost.Escape(orDefault(m.Sender, orDefault(c.Participant, "Someone"))) + "* replied on LinkedIn"
	if c.Requester != "" {
		line += " to <@" + c.Requester + ">"
	} else {
		line += " (a conversation started on LinkedIn)"
	}
	if link != "" {
		line += " · <" + link + "|thread>"
	}
	return line
}

// rootText opens an inbox conversation's thread.
func rootText(c store.Conversation) string {
	who := slackpost.Escape(orDefault(c.Participant, "someone"))
	text := ":incoming_envelope: New LinkedIn conversation with *" + who + "*"
	if u := c.ProfileURL; strings.HasPrefix(u, "https://") && !strings.ContainsAny(u, "<>|") {
		text += " (<" + u + "|profile>)"
	}
	return text + ". Its messages follow in this thread; answer with *Reply on LinkedIn*."
}

// when shows a time in each reader's time zone, with a UTC fallback.
func when(t time.Time) string {
	if t.IsZero() {
		return "time unknown"
	}
	return fmt.Sprintf("<!date^%d^{date_short_pretty} at {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// cut keeps text within maxBodyRunes; note says so when it cuts.
func cut(text string) (kept, note string) {
	n := utf8.RuneCountInString(text)
	if n <= maxBodyRunes {
		return text, ""
	}
	return string([]rune(text)[:maxBodyRunes]) + "…", fmt.Sprintf("\n_(Cut: %d more characters. Read the whole message on LinkedIn.)_", n-maxBodyRunes)
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
