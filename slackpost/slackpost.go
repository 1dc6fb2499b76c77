// Package slackpost holds what the bot's Slack posts share, whichever
// domain makes them (sends, mirrored conversations): text made inert, and
// finding a post again by its message metadata, so that a post whose
// answer was lost or whose maker crashed is not made twice.
package slackpost

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// Escape makes user, Linkup or LinkedIn text inert in Slack markup: no
// mention, link or broadcast can come through it.
func Escape(s string) string { return escaper.Replace(s) }

// escaper is built once: building a Replacer costs far more than using it.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Quote makes text inert and sets it as a Slack block quote.
func Quote(text string) string {
	lines := strings.Split(Escape(text), "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return strings.Join(lines, "\n")
}

// Reader reads conversations back; *slack.Client is the production one.
type Reader interface {
	GetConversationHistoryContext(ctx context.Context, params *slack.GetConversationHistoryParameters) (*slack.GetConversationHistoryResponse, error)
	GetConversationRepliesContext(ctx context.Context, params *slack.GetConversationRepliesParameters) ([]slack.Message, bool, string, error)
}

// Pages bounds the pages of history read to find one post.
const Pages = 5

// LookBack is how long before a post could have been made the look for it
// begins (Find's oldest): Slack dates a post by its own clock, which this
// bot's may be minutes off, and a post the look skipped would be made
// twice.
const LookBack = 15 * time.Minute

// ErrCannotLook is returned by Find where a post cannot be read back: a
// DM named by its user (the bot may not read it by that name).
var ErrCannotLook = errors.New("a DM named by its user cannot be read back")

// Find looks for the bot's post carrying metadata that match accepts in
// channel (in thread, when set), among the messages since oldest. It
// returns the post's channel and ts.
func Find(ctx context.Context, api Reader, channel, thread string, oldest time.Time, match func(slack.SlackMetadata) bool) (string, string, bool, error) {
	if strings.HasPrefix(channel, "U") || strings.HasPrefix(channel, "W") {
		return "", "", false, ErrCannotLook
	}
	since := fmt.Sprintf("%d.000000", oldest.Unix())
	where := "channel " + channel
	if thread != "" {
		where = "thread " + channel + "/" + thread
	}
	cursor := ""
	for range Pages {
		var msgs []slack.Message
		var more bool
		var err error
		if thread != "" {
			msgs, more, cursor, err = api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: channel, Timestamp: thread, Oldest: since, Cursor: cursor, Limit: 200, Inclusive: true, IncludeAllMetadata: true})
		} else {
			var h *slack.GetConversationHistoryResponse
			h, err = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
				ChannelID: channel, Oldest: since, Cursor: cursor, Limit: 200, Inclusive: true, IncludeAllMetadata: true})
			if h != nil {
				msgs, more, cursor = h.Messages, h.HasMore, h.ResponseMetaData.NextCursor
			}
		}
		if err != nil {
			return "", "", false, fmt.Errorf("reading %s back: %w", where, err)
		}
		for _, m := range msgs {
			if match(m.Metadata) {
				ch := m.Channel
				if ch == "" {
					ch = channel
				}
				return ch, m.Timestamp, true, nil
			}
		}
		if !more || cursor == "" {
			return "", "", false, nil
		}
	}
	return "", "", false, fmt.Errorf("reading %s back: more than %d pages since the post", where, Pages)
}

// Field reads one field of a post's metadata payload as text.
func Field(md slack.SlackMetadata, key string) string {
	v, ok := md.EventPayload[key]
	if !ok || v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// Linker is the Web API call a permalink needs; *slack.Client is the production one.
type Linker interface {
	GetPermalinkContext(ctx context.Context, params *slack.PermalinkParameters) (string, error)
}

// Permalinks links to messages. Slack's permalinks are the workspace's
// address, /archives/<channel>/p<ts without its dot>: the first one comes
// from chat.getPermalink, and its workspace address serves for the
// others. The zero value is ready; it is safe for concurrent use.
type Permalinks struct {
	mu   sync.Mutex
	base string // "https://team.slack.com/", once learnt
}

// Link returns the permalink of message ts in channel.
func (p *Permalinks) Link(ctx context.Context, api Linker, channel, ts string) (string, error) {
	p.mu.Lock()
	base := p.base
	p.mu.Unlock()
	if base != "" {
		return base + "archives/" + channel + "/p" + strings.ReplaceAll(ts, ".", ""), nil
	}
	link, err := api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: channel, Ts: ts})
	if err != nil {
		return "", err
	}
	if i := strings.Index(link, "/archives/"); i > 0 {
		p.mu.Lock()
		p.base = link[:i+1]
		p.mu.Unlock()
	}
	return link, nil
}

// Opener opens the bot's DM with a user; *slack.Client is the production one.
type Opener interface {
	OpenConversationContext(ctx context.Context, params *slack.OpenConversationParameters) (*slack.Channel, bool, bool, error)
}

// DMs finds the bot's DM channel (D…) with each user, by conversations.open,
// once per user. A post made there can be read back (Find), so that a post
// whose answer was lost is looked for before it is made again; a post
// addressed by the user's ID cannot. The zero value is ready; it is safe
// for concurrent use.
type DMs struct {
	mu  sync.Mutex
	ids map[string]string // user ID → DM channel ID
}

// Channel returns where a post to channel goes: channel itself, unless it
// names a user (U…, W…), then the bot's DM with that user. Where Slack
// refuses to open the DM (the app lacks im:write, the user is gone), it
// returns the user's ID: a post there still goes, as before, but cannot be
// read back (Find says ErrCannotLook). Any other error (no answer, a 5xx)
// is returned: nothing is known yet.
func (d *DMs) Channel(ctx context.Context, api Opener, channel string) (string, error) {
	if !strings.HasPrefix(channel, "U") && !strings.HasPrefix(channel, "W") {
		return channel, nil
	}
	d.mu.Lock()
	id, ok := d.ids[channel]
	d.mu.Unlock()
	if ok {
		return id, nil
	}
	ch, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{channel}, ReturnIM: true})
	if err != nil {
		if Refused(err) {
			return channel, nil
		}
		return "", fmt.Errorf("opening the DM with %s: %w", channel, err)
	}
	if ch == nil || !strings.HasPrefix(ch.ID, "D") {
		return channel, nil
	}
	d.mu.Lock()
	if d.ids == nil {
		d.ids = map[string]string{}
	}
	d.ids[channel] = ch.ID
	d.mu.Unlock()
	return ch.ID, nil
}
