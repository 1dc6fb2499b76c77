package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakeslack"
)

// postCalls are the chat.postMessage calls whose text contains sub, the
// rate-limited ones with them, in order.
func (e *env) postCalls(sub string) (all, limited []fakeslack.Call) {
	for _, c := range e.slack.Calls("chat.postMessage") {
		if strings.Contains(c.Params["text"], sub) {
			all = append(all, c)
			if c.RetryAfter > 0 {
				limited = append(limited, c)
			}
		}
	}
	return all, limited
}

// Slack rate-limits posts as a reply comes: the reply's post meets the
// limit, which certainly posted nothing. The bot waits out Slack's
// Retry-After (it does not post again while Slack said to wait) and then
// posts it at once, not at the next minute's round of owed posts: the
// reply reaches its thread exactly once, with its notification.
func TestARateLimitedReplyIsPostedWhenSlackTakesPostsAgain(t *testing.T) {
	t.Parallel()
	e := startBot(t, bridgeVars(map[string]string{"REPLY_POLL_MAX": "1s"}))
	e.command(jane + " Hi Jane")
	e.finished(1)
	root, _ := e.thread(salesChannel)
	e.waitUntil("the conversation read after the send", func() bool { return len(e.linkup.Reads(convPath)) == 1 })

	const limit = 2 * time.Second
	e.slack.LimitFor("chat.postMessage", limit) // from the reply's post on
	e.linkup.Reply(jane, "Slack is busy today")
	e.waitUntil("the reply in the thread", func() bool { return len(e.inThread(root.TS, "> Slack is busy today")) == 1 })
	e.finished(2)
	e.waitPolls(2)

	posted := e.inThread(root.TS, "> Slack is busy today")
	require.Len(t, posted, 1, "the reply exactly once")
	all, limited := e.postCalls("Slack is busy today")
	require.NotEmpty(t, limited, "the reply's post met the rate limit")
	assert.Equal(t, limit, limited[0].RetryAfter)
	assert.Equal(t, 1, len(limited), "no post while Slack said to wait")
	assert.Equal(t, 2, len(all), "the rate-limited post, then the post")
	waited := posted[0].At.Sub(limited[0].At)
	assert.GreaterOrEqual(t, waited, limit, "posted again after Retry-After")
	assert.Less(t, waited, limit+5*time.Second, "posted once the limit lifts, not at the next minute's round")
	assert.Len(t, e.postsIn(notifyChannel), 2, "one send, one reply")
	assert.NotContains(t, e.logs.String(), "may already be in Slack")
}

// A post Slack rate-limited was turned away before Slack acted: it is not
// a try that may have posted. Here Slack cannot be read back (each
// conversations.replies answers 503) and rate-limits the reply's post
// three times: were those tries that may have posted, the bot could not
// look for them and would stop after two, and the reply would never reach
// its thread. It is posted once Slack takes posts again, exactly once.
func TestARateLimitedPostIsNotATryThatMayHavePosted(t *testing.T) {
	t.Parallel()
	e := startBot(t, bridgeVars(map[string]string{"REPLY_POLL_MAX": "1s"}))
	e.command(jane + " Hi Jane")
	e.finished(1)
	root, _ := e.thread(salesChannel)
	e.waitUntil("the conversation read after the send", func() bool { return len(e.linkup.Reads(convPath)) == 1 })

	e.slack.FailCalls("conversations.replies", 1000)
	e.slack.FailCalls("conversations.history", 1000)
	e.slack.RateLimit("chat.postMessage", 3)
	e.linkup.Reply(jane, "Are you there?")
	e.waitUntil("the reply in the thread", func() bool { return len(e.inThread(root.TS, "> Are you there?")) == 1 })
	e.finished(2)
	e.waitPolls(2)

	assert.Len(t, e.inThread(root.TS, "> Are you there?"), 1, "the reply exactly once")
	all, limited := e.postCalls("Are you there?")
	assert.Equal(t, 3, len(limited), "three posts met the rate limit")
	assert.Equal(t, 4, len(all), "then one post, made without looking for the rate-limited ones")
	assert.Len(t, e.postsIn(notifyChannel), 2, "one send, one reply")
	assert.NotContains(t, e.logs.String(), "may already be in Slack")
}
