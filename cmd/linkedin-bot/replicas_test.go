package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/internal/pgtest"
	"linkedin-bot/store"
)

// Two bot processes on one PostgreSQL database, the fake Slack handing a
// burst of commands to their two sockets in turn, and one of them killed
// (SIGKILL) in the middle of it with sends in flight. Every request ends
// exactly once: sent, or unknown and reported; none is lost, none reaches
// Linkup twice, and the survivor takes over the dead bot's claims and
// posts. Each outcome post is counted per send: once, or twice at most
// for a send the dead bot was posting.
//
// Run it 20 times with:
//
//	TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test go test -run TestTwoBotsOneKilledMidBurst -count 20 -v ./cmd/linkedin-bot
func TestTwoBotsOneKilledMidBurst(t *testing.T) {
	url := pgtest.Schema(t)
	c := newChildrenOn(t, 2, map[string]string{"DATABASE_URL": url, "LEASE_DURATION": "3s", "SEND_CONCURRENCY": "4"})
	// A slow Linkup keeps every worker busy, and slow posts keep the
	// deliveries busy: the kill finds calls and posts in flight.
	c.linkup.SetAnswer(func(w http.ResponseWriter, r *http.Request, req fakelinkup.Request) {
		time.Sleep(150 * time.Millisecond)
		c.linkup.Deliver(w, r, req)
	})
	c.slack.DelayPosts(30 * time.Millisecond)
	doomed := c.start()
	c.start()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	_, err := c.slack.WaitSockets(ctx, 2)
	require.NoError(t, err)

	const n = 40
	acked := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		id, f := c.frame("a1-slash-command-docs.json", func(p map[string]any) {
			p["command"] = "/linkedin-send"
			p["text"] = fmt.Sprintf("https://www.linkedin.com/in/jane-doe Burst %02d", i)
			p["channel_id"] = salesChannel
			p["user_id"] = alice
		})
		if i == n/2 {
			c.kill(doomed)
		}
		// A frame written to the dead bot's socket is lost, as in Slack,
		// which then tells the user the command failed.
		_ = c.slack.SendFrame(f)
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
			defer cancel()
			_, err := c.slack.WaitAck(ctx, id)
			acked[i] = err == nil
		})
		time.Sleep(15 * time.Millisecond)
	}
	wg.Wait()

	log, err := store.OpenPostgres(context.Background(), url, false)
	require.NoError(t, err)
	defer log.Close()
	var sends []store.Send
	c.waitUntil("every send ended and told", func() bool {
		sends, err = log.List(context.Background(), store.Filter{})
		require.NoError(t, err)
		for _, sd := range sends {
			if !sd.State.Final() || sd.Owed() {
				return false
			}
		}
		return true
	})

	// Each acked request was recorded, and each recorded one ended sent
	// or unknown, exactly as Linkup saw it.
	byText := map[string]store.Send{}
	for _, sd := range sends {
		_, dup := byText[sd.Message]
		require.False(t, dup, "%q recorded twice", sd.Message)
		byText[sd.Message] = sd
	}
	reached := map[string]int{}
	for _, r := range c.linkup.Requests() {
		reached[r.Body.MessageText]++
	}
	unacked, states := 0, map[store.State]int{}
	for i := range n {
		text := fmt.Sprintf("Burst %02d", i)
		sd, recorded := byText[text]
		if !acked[i] {
			unacked++
		} else {
			require.True(t, recorded, "%q was acked but not recorded", text)
		}
		assert.LessOrEqual(t, reached[text], 1, "%q reached Linkup %d times", text, reached[text])
		if !recorded {
			assert.Zero(t, reached[text], "%q reached Linkup with no record", text)
			continue
		}
		states[sd.State]++
		switch sd.State {
		case store.Sent:
			assert.Equal(t, 1, reached[text], "%q sent", text)
		case store.Unknown:
			assert.Contains(t, sd.Reason, "The bot stopped while this message was being sent")
		default:
			t.Errorf("%q ended %s: %s", text, sd.State, sd.Reason)
		}
	}

	// Every outcome and notification posted, none more than twice.
	counts := c.postCounts()
	posts := map[int]int{}
	for _, sd := range sends {
		for _, post := range []string{"outcome_posted", "notified"} {
			k := counts[fmt.Sprintf("%d/%s", sd.ID, post)]
			posts[k]++
			assert.GreaterOrEqual(t, k, 1, "send %d's %s was lost", sd.ID, post)
			assert.LessOrEqual(t, k, 2, "send %d's %s posted %d times", sd.ID, post, k)
		}
	}
	assert.Contains(t, c.logs.String(), "another bot stopped", "the survivor took over the dead bot's work")
	logs := c.logs.String()
	t.Logf("%d commands, %d unacked (sent to the dead bot's socket); ends: %v; Linkup calls: %d; taken over: %d claims (unknown), %d not called (queued again), %d with posts owed; posts per send and kind (times posted → how many): %v",
		n, unacked, states, c.linkup.Count(), strings.Count(logs, "another bot stopped after claiming this send"),
		strings.Count(logs, "another bot stopped before this send's call"), strings.Count(logs, "posts owed: making them"), posts)
}
