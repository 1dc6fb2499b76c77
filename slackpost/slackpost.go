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
	"time"

	"github.com/slack-go/slack"
)

// Escape makes user, Linkup or LinkedIn text inert in Slack markup: no
// mention, link or broadcast can come through it.
func Escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Reader reads conversations back; *slack.Client is the production one.
type Reader interface {
	GetConversationHistoryContext(ctx context.Context, params *slack.GetConversationHistoryParameters) (*slack.GetConversationHistoryResponse, error)
	GetConversationRepliesContext(ctx context.Context, params *slack.GetConversationRepliesParameters) ([]slack.Message, bool, string, error)
}

// Pages bounds the pages of history read to find one post.
const Pages = 5

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
