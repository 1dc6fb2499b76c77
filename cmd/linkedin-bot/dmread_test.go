package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A message whose thread Slack refuses falls back to the requester's DM,
// which the bridge opens (conversations.open) and posts to by its D… ID:
// when the answer to that post is lost, the post is looked for there and
// found, so the message appears in the DM exactly once (I3).
func TestRefusedThreadsDMPostWithALostAnswerAppearsOnce(t *testing.T) {
	t.Parallel()
	e := startBot(t, bridgeVars(nil))
	e.command(jane + " Hi Jane")
	e.finished(1)
	e.waitUntil("the conversation read after the send", func() bool { return len(e.linkup.Reads(convPath)) == 1 })

	e.slack.FailPosts(salesChannel, "is_archived")
	e.slack.LoseAnswers("chat.postMessage", 1) // the DM's post: made, its answer lost
	e.linkup.Reply(jane, "First")
	dm := "D" + alice[1:]
	e.waitUntil("the reply in the DM", func() bool { return len(e.postsIn(dm)) >= 1 })
	e.waitUntil("its notification", func() bool { return len(e.postsIn(notifyChannel)) == 2 })
	e.linkup.Reply(jane, "Second")
	e.waitUntil("the second reply in the DM", func() bool { return len(e.postsIn(dm)) >= 2 })
	e.waitPolls(2)

	posts := e.postsIn(dm)
	require.Len(t, posts, 2, "each message exactly once in the DM")
	assert.Contains(t, posts[0].Text, "> First", "in order")
	assert.Contains(t, posts[1].Text, "> Second")
	assert.NotEmpty(t, e.slack.Calls("conversations.open"), "the DM is opened, to be read back")
	for _, c := range e.slack.Calls("chat.postMessage") {
		assert.NotEqual(t, alice, c.Params["channel"], "posted to the DM's channel, not the user's ID")
	}
	assert.NotContains(t, e.logs.String(), "may already be in Slack")
}
