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
// appears at most twice. A try Slack refused or rate-limited is not
// counted: it made no post.
const maxTries = 2

// maxNameRunes bounds a LinkedIn name shown in a post (a hostile name
// could otherwise fill it).
const maxNameRunes = 100

// slackTimeout bounds one post.
const slackTimeout = 30 * time.Second

// errMaybePosted: a post may already be in Slack and cannot be looked for;
// it is not made again.
var errMaybePosted = errors.New("the post may already be in Slack and cannot be looked for")

// errRefusedEverywhere: Slack refused the post at every place it may go.
var errRefusedEverywhere = errors.New("Slack refused the post everywhere it may go")

// errRateLimited: Slack rate-limited the post, or an earlier one whose
// Retry-After has not passed yet. It was not made: it is owed, and made
// again once Slack takes posts (b.slackFree).
var errRateLimited = errors.New("Slack rate-limited the bot's posts: not posted, it is posted once Slack takes posts again")

// rateLimited records that Slack rate-limited a post and said to wait
// wait: no post is tried before, and the owed ones are tried again then,
// not at the next minute's round.
func (b *Bridge) rateLimited(wait time.Duration) {
	b.slackFree = b.now().Add(wait)
	b.nextOwed = b.slackFree
}

// The owed posts Slack failed (a 5xx, no answer) are tried again after
// owedFirstWait, then twice as long each time up to the minute's round:
// a blip costs a reply seconds, an outage costs Slack few calls.
const owedFirstWait = 2 * time.Second

// backOff sets when the owed posts that just failed are tried again.
func (b *Bridge) backOff() {
	b.owedWait = min(max(2*b.owedWait, owedFirstWait), time.Minute)
	b.nextOwed = b.now().Add(b.owedWait)
}

// slackBusy reports whether Slack said to wait before the next post.
func (b *Bridge) slackBusy() bool { return b.now().Before(b.slackFree) }

// deliverOwed makes the posts a crash or a Slack failure left owed.
func (b *Bridge) deliverOwed(ctx context.Context) {
	owed, err := b.store.OwedMessages(ctx)
	if err != nil {
		if ctx.Err() == nil { // else Close cut it short
			b.log.Error().Err(err).Msg("listing the LinkedIn messages to post failed")
		}
		return
	}
	b.deliverAll(ctx, owed)
}

// deliverConversation posts conversation c's owed messages, in order.
func (b *Bridge) deliverConversation(ctx context.Context, log zerolog.Logger, c *store.Conversation) {
	owed, err := b.store.OwedIn(ctx, c.ID)
	if err != nil {
		log.Error().Err(err).Msg("listing the LinkedIn messages to post failed")
		return
	}
	for _, m := range owed {
		if b.stopping() || !b.deliverMessage(ctx, log, c, m) {
			// Owed, with the ones after it: the next round posts them in
			// order, once Slack takes posts.
			b.nextOwed = maxTime(b.now(), b.slackFree)
			return
		}
	}
}

// deliverAll posts owed messages (oldest first in each conversation), each
// conversation's in order: one that cannot be posted yet holds back the
// ones after it.
func (b *Bridge) deliverAll(ctx context.Context, owed []store.ConvMessage) {
	convs := map[int64]*store.Conversation{}
	blocked := map[int64]bool{}
	defer func() {
		switch {
		case b.slackBusy():
			// rate-limited: the rest waits for its Retry-After (nextOwed)
		case len(blocked) > 0:
			b.backOff()
		default:
			b.owedWait = 0
		}
	}()
	for _, m := range owed {
		if b.stopping() || b.slackBusy() {
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

// ReplyButton is the Reply on LinkedIn button of mirrored conversation id.
func ReplyButton(id int64) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(ReplyActionID, strconv.FormatInt(id, 10), slack.NewTextBlockObject(slack.PlainTextType, "Reply on LinkedIn", false, false))
}

// target is a place a post may go.
type target struct {
	channel, thread string
	// why, when set, says why a message is not in its thread (it falls
	// back here), for the post to say so.
	why string
}

func (t target) String() string {
	if t.thread != "" {
		return t.channel + "/" + t.thread
	}
	return t.channel
}

// messageTargets are where a message of c may go, in order: its thread;
// where Slack refuses that (the channel archived, the bot removed), the
// requester's DM, then the notification channel. rootRefused is Slack's
// refusal of an inbox conversation's root, when it refused it: there is
// no thread.
func (b *Bridge) messageTargets(c store.Conversation, rootRefused string) []target {
	var ts []target
	why := ""
	if c.ThreadTS != "" {
		ts = append(ts, target{channel: c.Channel, thread: c.ThreadTS})
	} else {
		why = notInThread(c, rootRefused)
	}
	if c.Requester != "" {
		ts = append(ts, target{channel: c.Requester, why: why})
	}
	if b.cfg.NotifyChannel != "" && b.cfg.NotifyChannel != c.Channel {
		ts = append(ts, target{channel: b.cfg.NotifyChannel, why: why})
	}
	return ts
}

// notInThread says why a message of c is not in its thread: Slack refused
// it there (reason).
func notInThread(c store.Conversation, reason string) string {
	return fmt.Sprintf("could not be posted in its thread in <#%s> (Slack refused it: `%s`)", c.Channel, reason)
}

// deliverMessage posts m in its conversation's thread (posting the inbox
// root first when needed), then its notification line. It reports whether
// m is done with: the next message of the conversation must wait until it
// is. A post Slack refuses is not "maybe posted": the message goes to the
// next place that takes it (saying why), and the conversation goes on.
func (b *Bridge) deliverMessage(ctx context.Context, log zerolog.Logger, c *store.Conversation, m store.ConvMessage) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), slackTimeout)
	defer cancel()
	log = log.With().Str("message", m.Key).Logger()
	rootRefused := ""
	if c.ThreadTS == "" {
		err := b.postRoot(ctx, log, c)
		switch {
		case errors.Is(err, errRateLimited):
			log.Warn().Err(err).Msg("Slack rate-limited the conversation's root in the inbox channel; it is posted once Slack takes posts again")
			return false
		case errors.Is(err, errRefusedEverywhere):
			rootRefused = slackpost.Reason(err)
			log.Warn().Err(err).Msg("Slack refused the conversation's root in the inbox channel; its message goes elsewhere")
		case err != nil:
			log.Error().Err(err).Msg("posting the conversation's root in the inbox channel failed; it is tried again later")
			return false
		}
	}
	if !m.Posted {
		mention := m.Kind == store.MsgReply && !c.Mentioned && c.Requester != ""
		targets := b.messageTargets(*c, rootRefused)
		tried := 1 // where earlier tries may have posted: the thread, unless one went past it
		if m.FellBack {
			tried = len(targets)
		}
		_, at, err := b.postOnce(ctx, log, post{
			kind: "message", conv: c.ID, key: m.Key, tries: m.Tries, since: m.SentAt, targets: targets,
			build: func(t target, refused string) (string, []slack.Block) {
				return messagePost(*c, m, mention && t.why == "", t, refused)
			},
			explain: func(reason string) string { return notInThread(*c, reason) },
			tried:   tried,
			intend: func(t target) error {
				if t.thread == "" {
					return b.store.IntendFallback(ctx, c.ID, m.Key)
				}
				return b.store.IntendMessage(ctx, c.ID, m.Key, false)
			},
			notMade: func() error { return b.store.RefusedMessage(ctx, c.ID, m.Key, false) },
		})
		switch {
		case errors.Is(err, errRateLimited):
			log.Warn().Err(err).Msg("Slack rate-limited the LinkedIn message's post; it is posted once Slack takes posts again")
			return false
		case errors.Is(err, errRefusedEverywhere):
			log.Error().Err(err).Msg("Slack refused the LinkedIn message in its thread and everywhere else it may go: it is not in Slack (read it on LinkedIn); the conversation goes on")
		case errors.Is(err, errMaybePosted):
			log.Error().Err(err).Msg("the LinkedIn message may already be in Slack; not posting it again")
		case err != nil:
			log.Error().Err(err).Msg("posting a LinkedIn message in its thread failed; it is tried again later")
			return false
		}
		if err := b.store.MarkMessage(ctx, c.ID, m.Key, false); err != nil {
			log.Error().Err(err).Msg("recording a posted message failed")
		}
		if b.cfg.Mirrored != nil && err == nil && m.Kind == store.MsgReply {
			b.cfg.Mirrored(b.now().Sub(m.SentAt))
		}
		if b.cfg.Changed != nil && c.Requester != "" {
			b.cfg.Changed(c.Requester) // their Home's "Waiting for you"
		}
		if mention && err == nil && at == 0 && targets[0].thread != "" {
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
	link := ""
	if c.ThreadTS != "" {
		var err error
		if link, err = b.permalink(ctx, c.Channel, c.ThreadTS); err != nil {
			log.Warn().Err(err).Msg("getting the thread's permalink failed")
		}
	}
	text := notifyText(*c, m, link)
	_, _, err := b.postOnce(ctx, log, post{
		kind: "notify", conv: c.ID, key: m.Key, tries: m.NotifyTries, since: m.SentAt, targets: []target{{channel: b.cfg.NotifyChannel}},
		build: func(_ target, refused string) (string, []slack.Block) {
			if refused != "" {
				return text, nil
			}
			return text, []slack.Block{slackpost.Section(text)}
		},
		intend:  func(target) error { return b.store.IntendMessage(ctx, c.ID, m.Key, true) },
		notMade: func() error { return b.store.RefusedMessage(ctx, c.ID, m.Key, true) },
	})
	switch {
	case errors.Is(err, errRateLimited):
		log.Warn().Err(err).Msg("Slack rate-limited the reply's notification; it is posted once Slack takes posts again")
		return true
	case errors.Is(err, errRefusedEverywhere):
		log.Warn().Err(err).Msg("Slack refused the reply's notification; it is not posted")
	case errors.Is(err, errMaybePosted):
		log.Error().Err(err).Msg("the reply's notification may already be in Slack; not posting it again")
	case err != nil:
		log.Error().Err(err).Msg("posting the reply's notification failed; it is tried again later")
		return true
	}
	if err := b.store.MarkMessage(ctx, c.ID, m.Key, true); err != nil {
		log.Error().Err(err).Msg("recording a notification failed")
	}
	return true
}

// postRoot posts an inbox conversation's root message and records it; it
// returns errRefusedEverywhere when Slack refused it.
func (b *Bridge) postRoot(ctx context.Context, log zerolog.Logger, c *store.Conversation) error {
	text := rootText(*c)
	ts, _, err := b.postOnce(ctx, log, post{
		kind: "root", conv: c.ID, key: "root", tries: c.RootTries, since: c.CreatedAt, targets: []target{{channel: c.Channel}},
		build: func(_ target, refused string) (string, []slack.Block) {
			if refused != "" {
				return text, nil
			}
			return text, []slack.Block{slackpost.Section(text)}
		},
		intend: func(target) error {
			c.RootTries++
			return b.store.IntendRoot(ctx, c.ID)
		},
		notMade: func() error {
			c.RootTries--
			return b.store.RefusedRoot(ctx, c.ID)
		},
	})
	if err != nil {
		return err
	}
	c.ThreadTS = ts
	return b.store.SetRoot(ctx, c.ID, ts)
}

// post is one post of the bridge: what it is (kind and key, for its
// metadata), the tries already made that may have posted, the places it
// may go in order, and how it reads at each.
type post struct {
	kind    string
	conv    int64
	key     string
	tries   int
	since   time.Time // the post was made after this (the message's time)
	targets []target
	// build is the post at t; refused, when set, is Slack's refusal of its
	// full form there (invalid_blocks, msg_too_long): a shorter form.
	build func(t target, refused string) (text string, blocks []slack.Block)
	// explain, when set, says at a fallback place why the post is not at
	// the first: Slack refused it there (reason).
	explain func(reason string) string
	// tried is how many of targets earlier tries may have reached (all
	// when zero): a lost answer's post is looked for there.
	tried int
	// intend records a try at a target before it is made; notMade records
	// that it certainly made no post (Slack refused or rate-limited it), so
	// that it is no try that may have.
	intend  func(t target) error
	notMade func() error
}

// postOnce makes p once, at the first of its targets that takes it, and
// returns the post's ts and its target's index. A post that earlier tries
// may have made is looked for first; where it cannot be looked for, it is
// made again only under maxTries (errMaybePosted). A post Slack refuses
// for what it holds is made again in its short form at the same place; a
// post refused by the place goes to the next one; errRefusedEverywhere
// when no place took it. A post Slack rate-limits was not made and is not
// counted: errRateLimited, and no post is tried until its Retry-After has
// passed. Any other error leaves it open: a later try looks for it first.
func (b *Bridge) postOnce(ctx context.Context, log zerolog.Logger, p post) (ts string, at int, err error) {
	log = log.With().Str("post", p.kind).Logger()
	if b.slackBusy() {
		return "", -1, fmt.Errorf("%w (until %s)", errRateLimited, b.slackFree.Format(time.TimeOnly))
	}
	if p.tries > 0 {
		unsure := false
		var ferr error
		looked := p.targets
		if p.tried > 0 && p.tried < len(looked) {
			looked = looked[:p.tried]
		}
		// A look Slack rate-limited was not made, and can be made once its
		// Retry-After has passed: the post waits for it (owed, errRateLimited),
		// rather than being given up as one that cannot be looked for.
		lookLater := func(t target, ferr error) error {
			wait, limited := slackpost.Later(ferr)
			if !limited {
				return nil
			}
			b.rateLimited(wait)
			log.Warn().Err(ferr).Stringer("target", t).Stringer("retry_after", wait).Msg("Slack rate-limited the look for an earlier try's post; it is looked for after Retry-After")
			return fmt.Errorf("%w (looking for an earlier try at %s, retry after %s): %w", errRateLimited, t, wait, ferr)
		}
		for i, t := range looked {
			if t.channel, ferr = b.dms.Channel(ctx, b.slack, t.channel); ferr != nil {
				if err := lookLater(t, ferr); err != nil {
					return "", -1, err
				}
				unsure = true
				log.Warn().Err(ferr).Stringer("target", t).Msg("could not look for an earlier try's post")
				continue
			}
			_, found, ferr := b.find(ctx, t.channel, t.thread, since(p.since, b.now()), p.kind, p.conv, p.key)
			if found != "" {
				log.Info().Stringer("target", t).Msg("an earlier try had posted; not posting again")
				return found, i, nil
			}
			if err := lookLater(t, ferr); err != nil {
				return "", -1, err
			}
			if ferr != nil {
				unsure = true
				log.Warn().Err(ferr).Stringer("target", t).Msg("could not look for an earlier try's post")
			}
		}
		if unsure && p.tries >= maxTries {
			return "", -1, errMaybePosted
		}
	}
	var refusals []error
	first := "" // Slack's refusal at the first place
	for i, t := range p.targets {
		if i > 0 && t.why == "" && first != "" && p.explain != nil {
			t.why = p.explain(first)
		}
		// A requester's DM is posted to by its D… channel, which can be read
		// back: a post whose answer is lost is then looked for, not repeated.
		ch, err := b.dms.Channel(ctx, b.slack, t.channel)
		if err != nil {
			return "", -1, err // nothing tried here yet: a later round tries again
		}
		t.channel = ch
		refused := ""
		for {
			text, blocks := p.build(t, refused)
			if err := p.intend(t); err != nil {
				return "", -1, fmt.Errorf("recording the post's try: %w", err)
			}
			ts, err := b.postTo(ctx, t, text, blocks, metadata(p.kind, p.conv, p.key))
			if err == nil {
				return ts, i, nil
			}
			if wait, limited := slackpost.Later(err); limited {
				// Turned away before Slack acted: certainly not posted, so
				// not a try that may have; and no refusal: the same place
				// takes it after Retry-After.
				if rerr := p.notMade(); rerr != nil {
					log.Error().Err(rerr).Msg("recording a rate-limited post failed")
				}
				b.rateLimited(wait)
				log.Warn().Err(err).Stringer("target", t).Stringer("retry_after", wait).Msg("Slack rate-limited the post; it is made again after Retry-After")
				return "", -1, fmt.Errorf("%w (%s, retry after %s): %w", errRateLimited, t, wait, err)
			}
			if !slackpost.Refused(err) {
				// No answer, a 5xx or fatal_error: Slack may have posted it. Look at once.
				if _, found, ferr := b.find(ctx, t.channel, t.thread, since(p.since, b.now()), p.kind, p.conv, p.key); found != "" {
					return found, i, nil
				} else if ferr != nil {
					err = fmt.Errorf("%w (and the post could not be looked for: %v)", err, ferr)
				}
				return "", -1, err
			}
			// Refused: certainly not posted, so not a try that may have.
			if rerr := p.notMade(); rerr != nil {
				log.Error().Err(rerr).Msg("recording a refused post failed")
			}
			refusals = append(refusals, fmt.Errorf("%s: %w", t, err))
			if i == 0 && first == "" {
				first = slackpost.Reason(err)
			}
			log.Warn().Err(err).Stringer("target", t).Bool("short", refused != "").Msg("Slack refused the post there")
			if refused != "" || !slackpost.RefusedContent(err) {
				break // the place refuses it: the next one
			}
			refused = slackpost.Reason(err)
		}
	}
	if len(refusals) == 0 {
		return "", -1, fmt.Errorf("%w (no place to post it)", errRefusedEverywhere)
	}
	return "", -1, fmt.Errorf("%w: %w", errRefusedEverywhere, errors.Join(refusals...))
}

// postTo makes one post at t and returns its ts.
func (b *Bridge) postTo(ctx context.Context, t target, text string, blocks []slack.Block, md slack.SlackMetadata) (string, error) {
	opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionMetadata(md)}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	if t.thread != "" {
		opts = append(opts, slack.MsgOptionTS(t.thread))
	}
	_, ts, err := b.slack.PostMessageContext(ctx, t.channel, opts...)
	return ts, err
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
	ch, ts, ok, err := slackpost.Find(ctx, b.slack, channel, thread, since.Add(-slackpost.LookBack), func(md slack.SlackMetadata) bool {
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

// messageHead is a mirrored message's first line: who wrote it and when.
func messageHead(c store.Conversation, m store.ConvMessage, mention bool) string {
	var head string
	who := "*" + name(orDefault(m.Sender, orDefault(c.Participant, "Someone"))) + "*"
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
	return head
}

// messageText is a mirrored message as one text: its head and its text,
// made inert, in full (cut only past what one post holds).
func messageText(c store.Conversation, m store.ConvMessage, mention bool) string {
	text, _ := messagePost(c, m, mention, target{}, "")
	return text
}

// cutNote ends a message cut because one Slack post cannot hold it.
const cutNote = "_(Cut here: this message is longer than one Slack message can hold. Read the rest on LinkedIn.)_"

// messagePost is a mirrored message as posted at t: a section with who
// wrote it and when, then its text, made inert and quoted, in as many
// sections as it takes (each within Slack's 3,000 characters, cut after
// escaping and quoting), then the Reply button; at a fallback place, a
// first section says why it is there. Past what one post holds (50 blocks)
// it is cut with a note. refused, when set, is Slack's refusal of that
// form: the message is then only named, with a note. The text beside the
// blocks (for notifications) is the same, cut to MaxFallback.
func messagePost(c store.Conversation, m store.ConvMessage, mention bool, t target, refused string) (string, []slack.Block) {
	head := messageHead(c, m, mention)
	var sections []string
	if t.why != "" {
		sections = append(sections, ":warning: This LinkedIn message "+t.why+", so it comes here.")
	}
	if refused != "" {
		sections = append(sections, head+"\n_(Slack refused to show this message's text (`"+refused+"`). Read it on LinkedIn.)_")
	} else {
		pieces := slackpost.QuoteSplit(m.Body, slackpost.MaxText-utf8.RuneCountInString(head)-1, slackpost.MaxText)
		pieces[0] = head + "\n" + pieces[0]
		room := slackpost.MaxBlocks - 1 - len(sections) // the Reply button's block
		if len(pieces) > room {
			pieces = append(pieces[:room-1], cutNote)
		}
		sections = append(sections, pieces...)
	}
	blocks := make([]slack.Block, 0, len(sections)+1)
	for _, s := range sections {
		blocks = append(blocks, slackpost.Section(s))
	}
	if c.ID != 0 {
		blocks = append(blocks, slack.NewActionBlock("reply", ReplyButton(c.ID)))
	}
	text := strings.Join(sections, "\n")
	if cut, ok := slackpost.Cut(text, slackpost.MaxFallback-1); ok {
		text = cut + "…"
	}
	return text, blocks
}

// name is a LinkedIn name made inert and kept short.
func name(s string) string {
	if cut, ok := slackpost.Cut(s, maxNameRunes); ok {
		s = cut + "…"
	}
	return slackpost.Escape(s)
}

// notifyText is the notification channel's line for a new reply.
func notifyText(c store.Conversation, m store.ConvMessage, link string) string {
	line := ":speech_balloon: *" + name(orDefault(m.Sender, orDefault(c.Participant, "Someone"))) + "* replied on LinkedIn"
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
	who := name(orDefault(c.Participant, "someone"))
	text := ":incoming_envelope: New LinkedIn conversation with *" + who + "*"
	if u := c.ProfileURL; strings.HasPrefix(u, "https://") && !strings.ContainsAny(u, "<>| ") && len(u) < 500 {
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

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
