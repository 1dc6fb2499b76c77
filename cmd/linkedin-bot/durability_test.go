package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/internal/fakeslack"
)

// TestMain lets the test binary stand in for the linkedin-bot binary, so
// crash tests can SIGKILL a real process: with LINKEDIN_BOT_CHILD=1 it runs main.
func TestMain(m *testing.M) {
	if os.Getenv("LINKEDIN_BOT_CHILD") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// settle gives a wrongly duplicated send the time to show up before counting.
func settle() { time.Sleep(300 * time.Millisecond) }

func TestEnvelopeDeliveredTwiceSendsOnce(t *testing.T) {
	e := startBot(t, nil)
	id, f := e.frame("a1-slash-command-docs.json", func(p map[string]any) {
		p["text"] = "https://www.linkedin.com/in/jane-doe Only once"
		p["channel_id"] = salesChannel
		p["user_id"] = alice
	})
	e.send(id, f)
	e.finished(1)
	// The same envelope again, as after a reconnect that lost the ack.
	require.NoError(t, e.slack.SendFrame(f))
	settle()
	assert.Equal(t, 1, e.linkup.Count())
	assert.Len(t, e.postsIn(notifyChannel), 1)
	assert.Contains(t, e.logs.String(), "duplicate request ignored")
}

func TestModalSubmittedTwiceSendsOnce(t *testing.T) {
	e := startBot(t, nil)
	values := map[string]string{"recipient": "https://www.linkedin.com/in/jane-doe", "message": "Once"}
	id1, f1 := e.submission("VTWICE", `{"c":"`+salesChannel+`"}`, values)
	id2, f2 := e.submission("VTWICE", `{"c":"`+salesChannel+`"}`, values)
	assert.Empty(t, e.send(id1, f1).Payload)
	assert.Empty(t, e.send(id2, f2).Payload, "the repeat is acked quietly and closes the modal")
	e.finished(1)
	settle()
	assert.Equal(t, 1, e.linkup.Count())
}

// retryValue returns the send ID behind the Retry button of a post.
func retryValue(t *testing.T, p fakeslack.Post) string {
	t.Helper()
	v, _ := buttonValue(t, p, "retry_send")
	return v
}

func (e *env) clickRetry(value, user string) fakeslack.Ack {
	id, f := e.frame("e1-block-actions-docs-message.json", func(p map[string]any) {
		p["user"] = map[string]any{"id": user, "username": "someone"}
		p["response_url"] = e.slack.ResponseURL("retry")
		p["actions"] = []any{map[string]any{"action_id": "retry_send", "block_id": "retry", "value": value, "type": "button", "action_ts": "1"}}
	})
	return e.send(id, f)
}

func TestRetryButtonClickedTwiceRetriesOnce(t *testing.T) {
	e := startBot(t, nil)
	var calls atomic.Int32
	e.linkup.SetAnswer(func(w http.ResponseWriter, r *http.Request, req fakelinkup.Request) {
		if calls.Add(1) == 1 {
			fakelinkup.Reply(w, 400, `{"status":"error","message":"Error while sending message"}`)
			return
		}
		fakelinkup.Success(w, r, req)
	})
	e.command("https://www.linkedin.com/in/jane-doe Try me")
	assert.Contains(t, e.finished(1).Text, "not sent")
	require.Equal(t, 1, e.linkup.Count(), "a refusal is never retried by the bot")
	root, replies := e.thread(salesChannel)
	require.Len(t, replies, 1)
	value := retryValue(t, replies[0])

	e.clickRetry(value, "U0BOB0001")
	e.clickRetry(value, "U0BOB0001")
	assert.Contains(t, e.finished(2).Text, "sent, 1 credit (retry)")
	settle()
	assert.Equal(t, 2, e.linkup.Count(), "the original call and one retry")
	assert.Len(t, e.postsIn(notifyChannel), 2)

	_, replies = e.thread(salesChannel)
	require.Len(t, replies, 3, "failure, retry note, success")
	assert.Contains(t, replies[1].Text, "<@U0BOB0001> is sending this message again")
	assert.Contains(t, replies[2].Text, "Sent on LinkedIn")
	updates := e.slack.Calls("chat.update")
	assert.Equal(t, root.TS, updates[len(updates)-1].Params["ts"])
	assert.Contains(t, updates[len(updates)-1].Params["text"], "Sent (1 credit)", "the root shows the latest attempt")

	// A sent message cannot be retried.
	e.clickRetry("2", alice)
	e.waitUntil("the refusal", func() bool { return len(e.slack.Hooks()) == 1 })
	assert.Contains(t, e.slack.Hooks()[0].Body["text"], "already sent")
	assert.Equal(t, 2, e.linkup.Count())
}

func TestUnknownOutcomeAsksBeforeRetry(t *testing.T) {
	e := startBot(t, map[string]string{"LINKUP_TIMEOUT": "200ms"})
	e.linkup.SetAnswer(func(_ http.ResponseWriter, r *http.Request, _ fakelinkup.Request) { <-r.Context().Done() })
	e.command("https://www.linkedin.com/in/jane-doe Lost")
	assert.Contains(t, e.finished(1).Text, "outcome unknown")
	_, replies := e.thread(salesChannel)
	require.Len(t, replies, 1)
	assert.Contains(t, replies[0].Blocks, `"confirm"`)
	assert.Contains(t, replies[0].Blocks, "may already have been delivered")
	settle()
	assert.Equal(t, 1, e.linkup.Count(), "a timeout is never resent by the bot")
}

func TestLinkup429ThenSuccess(t *testing.T) {
	t.Parallel()
	e := startBot(t, nil)
	var calls atomic.Int32
	e.linkup.SetAnswer(func(w http.ResponseWriter, r *http.Request, req fakelinkup.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			fakelinkup.Reply(w, 429, `{"message":"API Rate limit exceeded"}`)
			return
		}
		fakelinkup.Success(w, r, req)
	})
	start := time.Now()
	e.command("https://www.linkedin.com/in/jane-doe Patience")
	assert.Contains(t, e.finished(1).Text, "sent, 1 credit")
	assert.GreaterOrEqual(t, time.Since(start), time.Second, "Retry-After is honoured")
	settle()
	assert.Equal(t, 2, e.linkup.Count())
	_, replies := e.thread(salesChannel)
	require.Len(t, replies, 1, "one outcome, no noise about the 429")
}

func TestLinkupRefusedConnectionIsRetried(t *testing.T) {
	t.Parallel()
	e := startBot(t, map[string]string{"LINKUP_BASE_URL": "http://127.0.0.1:1"})
	e.command("https://www.linkedin.com/in/jane-doe Nobody home")
	notice := e.finished(1)
	assert.Contains(t, notice.Text, "not sent")
	_, replies := e.thread(salesChannel)
	require.Len(t, replies, 1)
	assert.Contains(t, replies[0].Text, "Linkup could not be reached, so nothing was sent")
	assert.Contains(t, e.logs.String(), `"attempt":4`, "tried MaxAttempts times")
}

func TestSlack429OnOutcomePostIsRetriedOnce(t *testing.T) {
	t.Parallel()
	e := startBot(t, nil)
	release := make(chan struct{})
	e.linkup.SetAnswer(func(w http.ResponseWriter, r *http.Request, req fakelinkup.Request) {
		<-release
		fakelinkup.Success(w, r, req)
	})
	e.command("https://www.linkedin.com/in/jane-doe Busy Slack")
	e.waitUntil("the root message", func() bool { return len(e.postsIn(salesChannel)) == 1 })
	e.slack.RateLimit("chat.postMessage", 2)
	close(release)
	e.finished(1)
	settle()
	_, replies := e.thread(salesChannel)
	assert.Len(t, replies, 1, "the outcome is posted exactly once")
	assert.Len(t, e.postsIn(notifyChannel), 1)
	assert.Equal(t, 1, e.linkup.Count())
}

func TestAllowList(t *testing.T) {
	e := startBot(t, map[string]string{"ALLOWED_USERS": "U0BOB0001, W0CAROL01"})
	_, ack := e.command("https://www.linkedin.com/in/jane-doe Hi")
	assert.Contains(t, ackText(t, ack), "not allowed to send LinkedIn messages")
	assert.Contains(t, ackText(t, ack), alice)

	id, f := e.submission("VNOPE", `{"c":"`+salesChannel+`"}`, map[string]string{"recipient": "https://www.linkedin.com/in/jane-doe", "message": "x"})
	assert.Contains(t, string(e.send(id, f).Payload), "not allowed")

	id, f = e.frame("c2-global-shortcut-docs.json", func(p map[string]any) {
		p["callback_id"] = "linkedin_send"
		p["user"] = map[string]any{"id": alice}
	})
	e.send(id, f)
	e.waitUntil("a private refusal in a DM", func() bool { return len(e.postsIn("D"+alice[1:])) == 1 })
	assert.Contains(t, e.postsIn("D" + alice[1:])[0].Text, "not allowed")
	assert.Empty(t, e.slack.Calls("views.open"))
	settle()
	assert.Zero(t, e.linkup.Count())
	assert.Equal(t, 3, strings.Count(e.logs.String(), "refused: user not on the allow-list"))
}

func TestDailyCap(t *testing.T) {
	e := startBot(t, map[string]string{"DAILY_SEND_LIMIT": "2"})
	for i := range 2 {
		_, ack := e.command(fmt.Sprintf("https://www.linkedin.com/in/jane-doe Message %d", i))
		assert.Empty(t, ack.Payload)
	}
	_, ack := e.command("https://www.linkedin.com/in/jane-doe One too many")
	text := ackText(t, ack)
	assert.Contains(t, text, "daily limit of 2 messages is reached")
	assert.Contains(t, text, "resets at 00:00 UTC")
	e.finished(2)
	settle()
	assert.Equal(t, 2, e.linkup.Count())
}

// TestSendConcurrencyBoundsTheSends: SEND_CONCURRENCY bounds the sends
// running at once, whether a request went as soon as it was recorded (a
// place was free) or was queued for a worker; each is sent once.
func TestSendConcurrencyBoundsTheSends(t *testing.T) {
	e := startBot(t, map[string]string{"SEND_CONCURRENCY": "2"})
	var now, most atomic.Int32
	e.linkup.SetAnswer(func(w http.ResponseWriter, r *http.Request, req fakelinkup.Request) {
		n := now.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(50 * time.Millisecond)
		now.Add(-1)
		fakelinkup.Success(w, r, req)
	})
	const n = 6
	for i := range n {
		e.command(fmt.Sprintf("https://www.linkedin.com/in/jane-doe Bounded %d", i))
	}
	e.finished(n)
	settle()
	assert.Equal(t, int32(2), most.Load(), "never more than SEND_CONCURRENCY calls at once")
	assert.Equal(t, n, e.linkup.Count())
	assert.Len(t, e.postsIn(notifyChannel), n)
	texts := map[string]int{}
	for _, r := range e.linkup.Requests() {
		texts[r.Body.MessageText]++
	}
	assert.Len(t, texts, n, "each once")
}

func TestSIGTERMLeavesQueuedSendsForTheNextStart(t *testing.T) {
	e := startBot(t, map[string]string{"SEND_CONCURRENCY": "1"})
	release := make(chan struct{})
	e.linkup.SetAnswer(func(w http.ResponseWriter, r *http.Request, req fakelinkup.Request) {
		<-release
		fakelinkup.Success(w, r, req)
	})
	for i := range 3 {
		e.command(fmt.Sprintf("https://www.linkedin.com/in/jane-doe Queued %d", i))
	}
	<-e.linkup.Arrived()
	stopped := make(chan error, 1)
	go func() { stopped <- e.stop() }()
	time.Sleep(100 * time.Millisecond)
	close(release)
	require.NoError(t, <-stopped)
	assert.Equal(t, 1, e.linkup.Count(), "the send in flight finished; the queued ones waited")
	assert.Len(t, e.postsIn(notifyChannel), 1)

	e.start()
	e.finished(3)
	settle()
	assert.Equal(t, 3, e.linkup.Count(), "each queued send went out once after the restart")
	texts := map[string]int{}
	for _, r := range e.linkup.Requests() {
		texts[r.Body.MessageText]++
	}
	assert.Equal(t, map[string]int{"Queued 0": 1, "Queued 1": 1, "Queued 2": 1}, texts)
}

func TestSIGKILLWhileLinkupHoldsTheRequest(t *testing.T) {
	c := newChildren(t, nil)
	c.linkup.SetAnswer(func(_ http.ResponseWriter, r *http.Request, _ fakelinkup.Request) { <-r.Context().Done() })

	first := c.start()
	c.command("https://www.linkedin.com/in/jane-doe Killed mid-send")
	select {
	case <-c.linkup.Arrived():
	case <-time.After(waitFor):
		t.Fatal("the request never reached Linkup")
	}
	c.kill(first)
	require.Equal(t, 1, c.linkup.Count())

	second := c.start()
	c.waitUntil("the notification", func() bool { return len(c.postsIn(notifyChannel)) == 1 })
	root, replies := c.thread(salesChannel)
	require.Len(t, replies, 1)
	assert.Equal(t, root.TS, replies[0].ThreadTS, "the requester is told in the original thread")
	assert.Contains(t, replies[0].Text, "outcome could not be confirmed")
	assert.Contains(t, replies[0].Text, "Check the conversation on LinkedIn")

	c.term(second)
	assert.Equal(t, 1, c.linkup.Count(), "the interrupted send was never resent")
	assert.Contains(t, c.logs.String(), "send interrupted by a crash after its claim, when Linkup may have been called")
}

// A closed terminal (SIGHUP) stops the bot as SIGTERM does: the send that
// Linkup holds finishes and is announced, and the process exits 0.
func TestSIGHUPLetsTheSendUnderWayFinish(t *testing.T) {
	c := newChildren(t, nil)
	held := make(chan struct{})
	release := sync.OnceFunc(func() { close(held) })
	t.Cleanup(release) // before the fakes close, whatever fails
	c.linkup.SetAnswer(func(w http.ResponseWriter, r *http.Request, req fakelinkup.Request) {
		<-held
		fakelinkup.Success(w, r, req)
	})
	child := c.start()
	c.command("https://www.linkedin.com/in/jane-doe Sent before the terminal closed")
	select {
	case <-c.linkup.Arrived():
	case <-time.After(waitFor):
		t.Fatal("the request never reached Linkup")
	}
	require.NoError(t, child.Process.Signal(syscall.SIGHUP))
	c.waitUntil("the shutdown to begin", func() bool { return strings.Contains(c.logs.String(), "stopped taking requests") })
	release()
	require.NoError(t, child.Wait(), "SIGHUP exits 0")
	assert.Equal(t, 1, c.linkup.Count())
	_, replies := c.thread(salesChannel)
	require.Len(t, replies, 1)
	assert.Contains(t, replies[0].Text, "Sent")
}

func TestHistory(t *testing.T) {
	e := startBot(t, nil)
	e.linkup.SetAnswer(reply(400, `{"message":"Profile not found"}`))
	e.command("https://www.linkedin.com/in/nobody First")
	e.finished(1)
	e.linkup.SetAnswer(fakelinkup.Success)
	e.command("https://www.linkedin.com/in/jane-doe Second")
	e.finished(2)
	require.NoError(t, e.stop())

	hist := func(args ...string) string {
		var out strings.Builder
		require.NoError(t, run(context.Background(), append([]string{"linkedin-bot", "history"}, args...), func(k string) string { return e.vars[k] }, &out, &strings.Builder{}))
		return out.String()
	}
	table := hist()
	assert.Contains(t, table, "ID  CREATED (UTC)")
	assert.Contains(t, table, "failed")
	assert.Contains(t, table, "https://www.linkedin.com/in/jane-doe")
	assert.Contains(t, table, "2 sends. Send credits per day: "+time.Now().UTC().Format("2006-01-02")+" 1. Send credits per user: "+alice+" 1. Send credits per account: default 1.")
	assert.Contains(t, table, "Read credits per day (replies and checks of unknown sends): none.")

	var entries []map[string]any
	require.NoError(t, json.Unmarshal([]byte(hist("--json", "--state", "sent", "--user", alice, "--since", "1h")), &entries))
	require.Len(t, entries, 1)
	assert.Equal(t, "Second", entries[0]["message"])
	assert.Equal(t, "sent", entries[0]["state"])
	assert.EqualValues(t, 1, entries[0]["credits"])
	assert.NotContains(t, hist("--json"), "response_url")

	err := run(context.Background(), []string{"linkedin-bot", "history", "--state", "lost"}, func(k string) string { return e.vars[k] }, &strings.Builder{}, &strings.Builder{})
	assert.ErrorContains(t, err, `unknown state "lost"`)
}

func TestLinkupRateLimitSpacesCalls(t *testing.T) {
	t.Parallel()
	// 60 a minute: a burst of 6, then one a second.
	e := startBot(t, map[string]string{"LINKUP_RATE_PER_MINUTE": "60"})
	var times []time.Time
	var mu sync.Mutex
	e.linkup.SetAnswer(func(w http.ResponseWriter, r *http.Request, req fakelinkup.Request) {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
		fakelinkup.Success(w, r, req)
	})
	for i := range 8 {
		e.command(fmt.Sprintf("https://www.linkedin.com/in/jane-doe Limited %d", i))
	}
	e.finished(8)
	assert.Equal(t, 8, e.linkup.Count())
	mu.Lock()
	defer mu.Unlock()
	assert.GreaterOrEqual(t, times[7].Sub(times[0]), 1500*time.Millisecond, "the 7th and 8th calls waited for their turn")
}

func TestASecondBotOnTheSameLogIsRefused(t *testing.T) {
	e := startBot(t, nil)
	err := run(context.Background(), []string{"linkedin-bot"}, func(k string) string { return e.vars[k] }, &strings.Builder{}, &lockedBuffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("another linkedin-bot is running with this data folder (PID %d)", os.Getpid()))
	assert.Equal(t, 1, e.slack.Opens(), "the second bot never connected")
}
