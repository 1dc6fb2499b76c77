package main

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/internal/fakeslack"
)

// holdFirstSend makes the fake Linkup hold the first send until proceed is
// closed (the only worker is busy meanwhile) and deliver the others; it
// returns when that first send arrived.
func holdFirstSend(e *env) (proceed chan struct{}) {
	e.t.Helper()
	arrived, proceed := make(chan struct{}), make(chan struct{})
	var once sync.Once
	e.linkup.SetAnswer(func(w http.ResponseWriter, r *http.Request, req fakelinkup.Request) {
		first := false
		once.Do(func() { first = true })
		if first {
			close(arrived)
			<-proceed
		}
		e.linkup.Deliver(w, r, req)
	})
	e.command("https://www.linkedin.com/in/john-doe Keeping the only worker busy")
	<-arrived
	return proceed
}

// sendsTo counts the Linkup calls for profile.
func sendsTo(lk *fakelinkup.Server, profile string) int {
	n := 0
	for _, r := range lk.Requests() {
		if r.Body.LinkedInURL == profile {
			n++
		}
	}
	return n
}

// threadAbout returns the replies in channel to the root message that
// mentions text.
func (e *env) threadAbout(channel, text string) []fakeslack.Post {
	e.t.Helper()
	root := ""
	var replies []fakeslack.Post
	for _, p := range e.postsIn(channel) {
		switch {
		case p.ThreadTS == "" && root == "" && strings.Contains(p.Text, text):
			root = p.TS
		case root != "" && p.ThreadTS == root:
			replies = append(replies, p)
		}
	}
	if root == "" {
		e.t.Fatalf("no root message about %q in %s; posts: %+v", text, channel, e.slack.Posts())
	}
	return replies
}

// The original request is acked and queued; Slack delivers its envelope
// again while another process holds the log's write lock, so the repeat's
// accept gives up. The repeat is acked quietly (its request is recorded),
// and the original is sent once, its requester told: a failed accept
// abandons its own write only, never the request recorded under its key.
func TestRepeatDeliveryDuringABusyLogKeepsTheOriginal(t *testing.T) {
	e := startBot(t, map[string]string{"SEND_CONCURRENCY": "1"})
	proceed := holdFirstSend(e)

	id, f := e.frame("a1-slash-command-docs.json", func(p map[string]any) {
		p["text"] = "https://www.linkedin.com/in/jane-doe The original"
		p["channel_id"] = salesChannel
		p["user_id"] = alice
	})
	assert.Empty(t, e.send(id, f).Payload, "the original is acked as queued")

	release := e.lockLog()
	require.NoError(t, e.slack.SendFrame(f))
	e.waitUntil("the repeat's ack", func() bool { return len(e.slack.RepeatAcks(id)) == 1 })
	assert.Empty(t, string(e.slack.RepeatAcks(id)[0].Payload), "the repeat of a recorded request is acked quietly, never as 'nothing was sent'")
	release()
	close(proceed)

	e.finished(2)
	settle()
	assert.Equal(t, 1, sendsTo(e.linkup, "https://www.linkedin.com/in/jane-doe"), "the original is sent, once")
	assert.Equal(t, 2, e.linkup.Count())
	replies := e.threadAbout(salesChannel, "The original")
	require.Len(t, replies, 1, "its requester is told its outcome")
	assert.Contains(t, replies[0].Text, "Sent on LinkedIn")
	assert.NotContains(t, e.logs.String(), "recorded too late")
}

// An envelope's first delivery cannot be recorded (the log is locked) and
// is answered "not recorded"; its abandonment keeps trying while the lock
// is held. Slack delivers the envelope again once the log answers: that
// delivery is recorded, queued, claimed by a worker while the late
// abandonment runs, and sent; its outcome is the real one, told in its
// thread.
func TestEnvelopeRecordedOnItsSecondDeliveryIsSent(t *testing.T) {
	e := startBot(t, map[string]string{"SEND_CONCURRENCY": "1"})
	proceed := holdFirstSend(e)

	release := e.lockLog()
	id, f := e.frame("a1-slash-command-docs.json", func(p map[string]any) {
		p["text"] = "https://www.linkedin.com/in/jane-doe Second delivery"
		p["channel_id"] = salesChannel
		p["user_id"] = alice
	})
	assert.Contains(t, ackText(t, e.send(id, f)), "not recorded and nothing was sent")
	e.waitUntil("the abandonment to meet the lock", func() bool {
		return strings.Contains(e.logs.String(), "abandoning a request recorded too late failed; trying again")
	})
	release()

	// As after a reconnect that lost the ack.
	require.NoError(t, e.slack.SendFrame(f))
	e.waitUntil("the second delivery's ack", func() bool { return len(e.slack.RepeatAcks(id)) == 1 })
	assert.Empty(t, string(e.slack.RepeatAcks(id)[0].Payload), "recorded and queued")
	close(proceed)

	e.finished(2)
	settle()
	assert.Equal(t, 1, sendsTo(e.linkup, "https://www.linkedin.com/in/jane-doe"))
	replies := e.threadAbout(salesChannel, "Second delivery")
	require.Len(t, replies, 1)
	assert.Contains(t, replies[0].Text, "Sent on LinkedIn")
	assert.Contains(t, e.finished(2).Text, "jane-doe>: sent, 1 credit")
	assert.NotContains(t, e.logs.String(), "not sending a request recorded too late")
}
