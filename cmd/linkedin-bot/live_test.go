package main

import (
	"context"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/internal/pgtest"
	"linkedin-bot/store"
)

// Live replies on Linkup v2 (issue 23): hosted webhooks, their event
// streams and the replay, through the fake Linkup.

// liveVars is bridgeVars on v2, with extra over it.
func liveVars(extra map[string]string) map[string]string {
	v := bridgeVars(map[string]string{"LINKUP_API_VERSION": "v2"})
	maps.Copy(v, extra)
	return v
}

// liveLine is the log line of a stream caught up: the account is live.
const liveLine = "the account's replies come live"

// webhookOf is the webhook of v2 account id; ok is false when it has none.
func webhookOf(lk *fakelinkup.Server, id string) (fakelinkup.Webhook, bool) {
	for _, w := range lk.Webhooks() {
		if w.AccountID == id {
			return w, true
		}
	}
	return fakelinkup.Webhook{}, false
}

// webhookCalls counts the calls to webhook routes whose method and path
// end match (path "" for any).
func webhookCalls(lk *fakelinkup.Server, method, suffix string) int {
	n := 0
	for _, c := range lk.WebhookCalls() {
		if c.Method == method && strings.HasSuffix(c.Path, suffix) {
			n++
		}
	}
	return n
}

// waitLive waits until account id has an active webhook whose one stream
// is open and caught up (the nth time the log says an account is live),
// and returns it.
func (e *env) waitLive(id string, nth int) fakelinkup.Webhook {
	e.t.Helper()
	var w fakelinkup.Webhook
	e.waitUntil("the account's stream live", func() bool {
		var ok bool
		w, ok = webhookOf(e.linkup, id)
		return ok && w.Active && e.linkup.Streams()[w.ID] == 1 && strings.Count(e.logs.String(), liveLine) >= nth
	})
	return w
}

// mirrored counts the posts in channel's threads that hold text.
func (e *env) mirrored(channel, text string) int {
	n := 0
	for _, p := range e.postsIn(channel) {
		if p.ThreadTS != "" && strings.Contains(p.Text, text) {
			n++
		}
	}
	return n
}

// A reply comes on the stream and is mirrored once, though the stream
// delivers its event again; each reply costs one get_conversation, and
// while the stream is whole the inbox is not polled at all, though
// REPLY_POLL_MAX is 2s: REPLY_SAFETY_POLL, a day by default, is its pace.
func TestALiveReplyIsMirroredOnceAndTheInboxNotPolled(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	e := startBotWith(t, lk, liveVars(nil))
	e.command(jane + " Hi from the team")
	e.finished(1)
	id := lk.AccountID(loginToken)
	w := e.waitLive(id, 1)
	assert.Equal(t, []string{"message_received", "accepted_invitation"}, w.Events)
	// A poll covers what came before monitoring began: one (the inbox,
	// then the new conversation), then none.
	e.waitUntil("the first poll", func() bool {
		return len(lk.Reads(fakelinkup.InboxV2)) >= 1 && len(lk.Reads(fakelinkup.ConversationV2)) >= 1
	})
	inbox, convs, credits := len(lk.Reads(fakelinkup.InboxV2)), len(lk.Reads(fakelinkup.ConversationV2)), lk.Credits()

	lk.ReplyIn(loginToken, jane, "Thanks, team")
	e.waitUntil("the reply in its thread", func() bool { return e.mirrored(salesChannel, "Thanks, team") == 1 })
	events := lk.Events(w.ID)
	require.NotEmpty(t, events)
	again := "event: webhook\ndata: " + string(events[len(events)-1].Data) + "\n\n"
	require.Equal(t, 1, lk.PushFrame(w.ID, again), "the same event twice more on the stream")
	require.Equal(t, 1, lk.PushFrame(w.ID, again))
	lk.ReplyIn(loginToken, jane, "And a second thought")
	e.waitUntil("the second reply", func() bool { return e.mirrored(salesChannel, "And a second thought") == 1 })
	time.Sleep(5 * time.Second) // polls would be 1s, then 2s apart (REPLY_POLL_INTERVAL, REPLY_POLL_MAX): two would come now, were the inbox polled
	assert.Equal(t, 1, e.mirrored(salesChannel, "Thanks, team"), "mirrored once")
	assert.Equal(t, convs+2, len(lk.Reads(fakelinkup.ConversationV2)), "one read per reply: the event delivered again reads nothing")
	assert.Equal(t, inbox, len(lk.Reads(fakelinkup.InboxV2)), "no inbox poll while the stream is whole")
	assert.Equal(t, credits+2, lk.Credits(), "a credit per reply, nothing else")
	assert.Equal(t, 1, webhookCalls(lk, http.MethodPost, "/v2/webhooks"), "one webhook")
	assert.Equal(t, 1, webhookCalls(lk, http.MethodGet, "/stream"), "one stream, never dropped")
}

// Replies written while the stream is down (dropped, then silent: a dead
// connection) all arrive after it is opened again, once, in order, from
// the replay: the inbox is not polled (REPLY_POLL_INTERVAL is an hour).
func TestRepliesDuringADroppedStreamArriveOnceInOrder(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	lk.SetKeepalive(200 * time.Millisecond)
	e := startBotWith(t, lk, liveVars(map[string]string{"REPLY_POLL_INTERVAL": "1h", "REPLY_POLL_MAX": "1h", "LINKUP_STREAM_IDLE": "1s"}))
	e.command(jane + " Hi from the team")
	e.finished(1)
	id := lk.AccountID(loginToken)
	e.waitLive(id, 1)
	inOrder := func(texts ...string) bool {
		var got []string
		for _, p := range e.postsIn(salesChannel) {
			for _, x := range texts {
				if p.ThreadTS != "" && strings.Contains(p.Text, x) {
					got = append(got, x)
				}
			}
		}
		return assert.ObjectsAreEqual(texts, got)
	}

	lk.DropStreams()
	dropped := []string{"One while dropped", "Two while dropped", "Three while dropped"}
	for _, x := range dropped {
		lk.ReplyIn(loginToken, jane, x)
	}
	e.waitUntil("the replies of the drop, in order", func() bool { return inOrder(dropped...) })
	e.waitLive(id, 2)

	lk.SilenceStreams(true)
	silent := []string{"One while silent", "Two while silent"}
	for _, x := range silent {
		lk.ReplyIn(loginToken, jane, x)
	}
	e.waitUntil("the silence found", func() bool { return strings.Contains(e.logs.String(), "went silent") })
	lk.SilenceStreams(false)
	e.waitUntil("the replies of the silence, in order", func() bool { return inOrder(append(dropped, silent...)...) })
	e.waitLive(id, 3)
	assert.Empty(t, lk.Reads(fakelinkup.InboxV2), "the replay, not a poll, brought them")
	assert.GreaterOrEqual(t, webhookCalls(lk, http.MethodGet, "/events"), 3, "a catch-up after every connect")
	assert.Equal(t, 1, lk.Streams()[mustWebhook(t, lk, id).ID], "one stream")
}

func mustWebhook(t *testing.T, lk *fakelinkup.Server, id string) fakelinkup.Webhook {
	t.Helper()
	w, ok := webhookOf(lk, id)
	require.True(t, ok, "a webhook of account %s", id)
	return w
}

// A restart logs in to nothing again, creates no webhook, and handles
// none of the replayed events again: the events handled are in the log.
func TestARestartReusesItsWebhookAndHandlesNoEventTwice(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	e := startBotWith(t, lk, liveVars(map[string]string{"REPLY_POLL_INTERVAL": "1h", "REPLY_POLL_MAX": "1h"}))
	e.command(jane + " Hi from the team")
	e.finished(1)
	id := lk.AccountID(loginToken)
	w := e.waitLive(id, 1)
	lk.ReplyIn(loginToken, jane, "Before the restart")
	e.waitUntil("the reply", func() bool { return e.mirrored(salesChannel, "Before the restart") == 1 })
	logins, convs := len(lk.AuthCalls()), len(lk.Reads(fakelinkup.ConversationV2))

	require.NoError(t, e.stop())
	e.start()
	e.waitUntil("the first poll after the restart", func() bool { return len(lk.Reads(fakelinkup.InboxV2)) >= 1 })
	assert.Equal(t, w.ID, e.waitLive(id, 2).ID, "the same webhook")
	assert.Equal(t, 1, webhookCalls(lk, http.MethodPost, "/v2/webhooks"), "none created again")
	assert.Len(t, lk.Webhooks(), 1)
	assert.Equal(t, logins, len(lk.AuthCalls()), "no login after the restart")
	assert.Equal(t, convs, len(lk.Reads(fakelinkup.ConversationV2)), "the replayed event, handled before the restart, reads nothing")

	lk.ReplyIn(loginToken, jane, "After the restart")
	e.waitUntil("the reply after the restart", func() bool { return e.mirrored(salesChannel, "After the restart") == 1 })
	assert.Equal(t, 1, e.mirrored(salesChannel, "Before the restart"))
}

// A disconnection event expires the account at once: its owner is told
// once how to connect it again, its next send is refused without calling
// Linkup, and its webhook stops costing. Connecting it again restarts the
// webhook.
func TestADisconnectionEventExpiresTheAccountAtOnce(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	lk.AddLogin(fakelinkup.Login{Email: "alice@example.com", Token: aliceToken, Name: "Alice Martin"})
	e := startBotWith(t, lk, liveVars(map[string]string{"ACCOUNTS_KEY": accountsKey, "REPLY_POLL_MAX": "1h"}))
	_, err := e.accounts(aliceToken+"\n", "connect", "--name", "alice-li", "--token-stdin", "--user", alice)
	require.NoError(t, err)
	e.command(jane + " Hi from Alice")
	e.finished(1)
	id := lk.AccountID(aliceToken)
	w := e.waitLive(id, 1)
	e.waitUntil("the first poll", func() bool {
		return len(lk.Reads(fakelinkup.InboxV2)) >= 1 && len(lk.Reads(fakelinkup.ConversationV2)) >= 1
	})
	reads := len(lk.Reads(""))

	lk.Expire(aliceToken)
	dm := "D" + alice[1:]
	e.waitUntil("Alice told", func() bool { return len(e.postsIn(dm)) >= 1 })
	assert.Contains(t, e.postsIn(dm)[0].Text, "The LinkedIn session of the *alice-li* account expired (LinkedIn ended it)")
	assert.Contains(t, e.postsIn(dm)[0].Text, "linkedin-bot accounts connect --name alice-li")
	out, _ := e.accounts("", "list")
	assert.Contains(t, out, "alice-li  expired")
	e.waitUntil("its webhook stopped", func() bool { return !mustWebhook(t, lk, id).Active })
	_, ack := e.command(jane + " Refused at once")
	assert.Contains(t, ackText(t, ack), "The LinkedIn session of the account *alice-li* expired")
	assert.Equal(t, 1, lk.Count(), "nothing sent")
	assert.Equal(t, reads, len(lk.Reads("")), "learnt from the event: nothing read")

	_, err = e.accounts(aliceToken+"\n", "connect", "--name", "alice-li", "--token-stdin", "--user", alice)
	require.NoError(t, err)
	assert.Equal(t, w.ID, e.waitLive(id, 2).ID, "the same webhook, started again")
	assert.Len(t, e.postsIn(dm), 1, "told once")
}

// Linkup refuses to create webhooks: the bridge polls as on v1, and says so.
func TestARefusedWebhookFallsBackToPolling(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	lk.RefuseWebhooks(http.StatusForbidden, "FEATURE_NOT_AVAILABLE", "Webhooks are not in your plan")
	e := startBotWith(t, lk, liveVars(nil))
	e.command(jane + " Hi from the team")
	e.finished(1)
	lk.ReplyIn(loginToken, jane, "Polled back")
	e.waitUntil("the reply, polled", func() bool { return e.mirrored(salesChannel, "Polled back") == 1 })
	assert.NotEmpty(t, lk.Reads(fakelinkup.InboxV2))
	assert.Empty(t, lk.Webhooks())
	assert.Zero(t, webhookCalls(lk, http.MethodGet, "/stream"))
	assert.Contains(t, e.logs.String(), "creating the account's Linkup webhook failed: its inbox is polled as on v1")
}

// Two bots on one PostgreSQL log: the one that runs the bridge holds the
// account's one stream; when it stops, the other takes the stream over
// within the lease, and replies keep coming once.
func TestTwoBotsHoldOneStreamPerAccount(t *testing.T) {
	t.Parallel()
	url := pgtest.Schema(t)
	lk := fakelinkup.New()
	e := startBotOn(t, 2, lk, liveVars(map[string]string{"DATABASE_URL": url, "LEASE_DURATION": "3s", "REPLY_POLL_MAX": "1h"}))
	stopSecond := e.another(2)
	e.command(jane + " Hi from two bots")
	e.finished(1)
	id := lk.AccountID(loginToken)
	w := e.waitLive(id, 1)
	lk.ReplyIn(loginToken, jane, "To two bots")
	e.waitUntil("the reply", func() bool { return e.mirrored(salesChannel, "To two bots") == 1 })
	assert.Equal(t, map[string]int{w.ID: 1}, lk.Streams(), "one stream, held by one bot")
	assert.Equal(t, 1, webhookCalls(lk, http.MethodGet, "/stream"))

	// The first bot runs the bridge (it started first); it stops, and the
	// second takes the bridge and the stream over.
	require.Equal(t, 1, strings.Count(e.logs.String(), "this bot runs the reply bridge"))
	require.NoError(t, e.stop())
	e.waitUntil("the bridge taken over", func() bool { return strings.Count(e.logs.String(), "this bot runs the reply bridge") == 2 })
	assert.Equal(t, w.ID, e.waitLive(id, 2).ID)
	lk.ReplyIn(loginToken, jane, "To the one left")
	e.waitUntil("the reply to the one left", func() bool { return e.mirrored(salesChannel, "To the one left") == 1 })
	assert.Equal(t, map[string]int{w.ID: 1}, lk.Streams(), "one stream")
	assert.Equal(t, 1, e.mirrored(salesChannel, "To two bots"))
	assert.Equal(t, 2, webhookCalls(lk, http.MethodGet, "/stream"), "one stream per bridge holder")
	require.NoError(t, stopSecond())
}

// While the stream is whole, the inbox is still polled every
// REPLY_SAFETY_POLL, for safety, on the same stream.
func TestASafetyPollComesEveryReplySafetyPoll(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	e := startBotWith(t, lk, liveVars(map[string]string{"REPLY_POLL_MAX": "2s", "REPLY_SAFETY_POLL": "2s"}))
	e.command(jane + " Hi from the team")
	e.finished(1)
	w := e.waitLive(lk.AccountID(loginToken), 1)
	from := len(lk.Reads(fakelinkup.InboxV2))
	e.waitUntil("two safety polls", func() bool { return len(lk.Reads(fakelinkup.InboxV2)) >= from+2 })
	assert.Equal(t, map[string]int{w.ID: 1}, lk.Streams())
	assert.Equal(t, 1, webhookCalls(lk, http.MethodGet, "/stream"), "polled while the stream stayed whole")
}

// A bot down longer than Linkup's replay keeps events says so; its poll
// at start brings what the replay no longer holds.
func TestAGapLongerThanTheReplayIsSaidAndPolled(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	e := startBotWith(t, lk, liveVars(map[string]string{"REPLY_POLL_INTERVAL": "1h", "REPLY_POLL_MAX": "1h"}))
	e.command(jane + " Hi from the team")
	e.finished(1)
	id := lk.AccountID(loginToken)
	e.waitLive(id, 1)
	require.NoError(t, e.stop())

	lk.ReplyIn(loginToken, jane, "Written during a long outage")
	lk.AgeEvents(25 * time.Hour) // the replay no longer holds it
	st, err := store.Open(context.Background(), e.vars["DATA_DIR"])
	require.NoError(t, err)
	hooks, err := st.LinkupWebhooks(context.Background())
	require.NoError(t, err)
	require.Len(t, hooks, 1)
	hooks[0].HealthyAt = time.Now().Add(-25 * time.Hour)
	require.NoError(t, st.PutLinkupWebhook(context.Background(), hooks[0]))
	require.NoError(t, st.Close())

	e.start()
	e.waitUntil("the reply, polled", func() bool { return e.mirrored(salesChannel, "Written during a long outage") == 1 })
	e.waitLive(id, 2)
	assert.Contains(t, e.logs.String(), "the account's event stream was down longer than Linkup's replay keeps events (24h)")
	assert.Empty(t, lk.Events(mustWebhook(t, lk, id).ID), "the replay held nothing")
}

// With INBOX_CHANNEL, the default account is watched live though it has
// sent nothing: a message from someone no conversation is with makes the
// bot read its inbox, and the new conversation reaches the inbox channel.
func TestALiveMessageFromSomeoneNewReachesTheInboxChannel(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	e := startBotWith(t, lk, liveVars(map[string]string{"INBOX_CHANNEL": inboxChannel, "REPLY_POLL_INTERVAL": "1h", "REPLY_POLL_MAX": "1h"}))
	e.waitLive(lk.AccountID(loginToken), 1)
	e.waitUntil("the first poll", func() bool { return len(lk.Reads(fakelinkup.InboxV2)) >= 1 })
	lk.ReplyIn(loginToken, "https://www.linkedin.com/in/sam-new", "Hello, we have not met")
	e.waitUntil("the new conversation in the inbox channel", func() bool {
		for _, p := range e.postsIn(inboxChannel) {
			if strings.Contains(p.Text, "Hello, we have not met") {
				return true
			}
		}
		return false
	})
	assert.Equal(t, 2, len(lk.Reads(fakelinkup.InboxV2)), "the poll at start, then the one the event asked for")
}

// A webhook deleted at Linkup (by hand, in its dashboard) is forgotten
// when its stream is refused, and made again: replies keep coming live.
func TestAWebhookDeletedAtLinkupIsMadeAgain(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	e := startBotWith(t, lk, liveVars(map[string]string{"REPLY_POLL_INTERVAL": "1h", "REPLY_POLL_MAX": "1h"}))
	e.command(jane + " Hi from the team")
	e.finished(1)
	id := lk.AccountID(loginToken)
	old := e.waitLive(id, 1)
	req, err := http.NewRequest(http.MethodDelete, lk.URL()+"/v2/webhooks/"+old.ID, nil)
	require.NoError(t, err)
	req.Header.Set("x-api-key", apiKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)

	w := e.waitLive(id, 2)
	assert.NotEqual(t, old.ID, w.ID, "a new webhook")
	lk.ReplyIn(loginToken, jane, "To the new webhook")
	e.waitUntil("the reply", func() bool { return e.mirrored(salesChannel, "To the new webhook") == 1 })
	assert.Contains(t, e.logs.String(), "Linkup no longer knows the account's webhook: a new one is created")
}

// A webhook create whose answer is lost (a gateway's 502 after Linkup made
// it) leaves a webhook that bills monitoring. The next try (here a
// restart) finds it in Linkup's list and adopts it rather than making a
// second one, and replies come live through it. (Which listed webhooks
// may be adopted, custom ones and partial subscriptions not, is
// linkup's TestWebhooksCustomAndCovers and conversation's adoption test.)
func TestALostWebhookCreateIsAdoptedNotMadeTwice(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	lk.LoseWebhookCreates(1)
	e := startBotWith(t, lk, liveVars(map[string]string{"REPLY_POLL_INTERVAL": "1h", "REPLY_POLL_MAX": "1h"}))
	e.command(jane + " Hi from the team")
	e.finished(1)
	id := lk.AccountID(loginToken)
	e.waitUntil("the lost create said", func() bool {
		return strings.Contains(e.logs.String(), "creating the account's Linkup webhook failed")
	})
	orphan, ok := webhookOf(lk, id)
	require.True(t, ok, "Linkup made the webhook whose answer was lost")
	assert.True(t, orphan.Active, "and it bills monitoring")
	require.NoError(t, e.stop())

	e.start()
	w := e.waitLive(id, 1)
	assert.Equal(t, orphan.ID, w.ID, "the lost webhook, adopted")
	assert.Equal(t, 1, webhookCalls(lk, http.MethodPost, "/v2/webhooks"), "none made twice")
	assert.Len(t, lk.Webhooks(), 1)
	assert.Contains(t, e.logs.String(), "adopted the account's Linkup webhook that an earlier create whose answer was lost made")
	lk.ReplyIn(loginToken, jane, "Through the adopted webhook")
	e.waitUntil("the reply", func() bool { return e.mirrored(salesChannel, "Through the adopted webhook") == 1 })
}

// When Linkup's list of webhooks cannot be read after a lost create,
// nothing is created (a webhook made then could be a second one): the
// account is polled, and the list is asked again later.
func TestAnUnreadableWebhookListCreatesNothing(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	lk.LoseWebhookCreates(1)
	e := startBotWith(t, lk, liveVars(nil))
	e.command(jane + " Hi from the team")
	e.finished(1)
	e.waitUntil("the lost create said", func() bool {
		return strings.Contains(e.logs.String(), "creating the account's Linkup webhook failed")
	})
	require.NoError(t, e.stop())

	lk.FailWebhookLists(http.StatusGatewayTimeout)
	e.start()
	e.waitUntil("the failed list said", func() bool {
		return strings.Contains(e.logs.String(), "looking for the account's Linkup webhook failed: its inbox is polled as on v1")
	})
	lk.ReplyIn(loginToken, jane, "Polled back")
	e.waitUntil("the reply, polled", func() bool { return e.mirrored(salesChannel, "Polled back") == 1 })
	assert.Equal(t, 1, webhookCalls(lk, http.MethodPost, "/v2/webhooks"), "only the lost create")
	assert.Len(t, lk.Webhooks(), 1, "the lost one, not a second")
}

// A webhook someone else made for the account (another deployment on the
// same Linkup key, a script) is not taken over: with no create of its own
// lost, the bot makes its own and reads only its own stream. The list is
// not even read.
func TestAnotherWebhookOfTheAccountIsNotTakenOver(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	e := startBotWith(t, lk, liveVars(map[string]string{"REPLY_POLL_INTERVAL": "1h", "REPLY_POLL_MAX": "1h"}))
	id := lk.AccountID(loginToken)
	foreign := foreignWebhook(t, lk, id)

	e.command(jane + " Hi from the team")
	e.finished(1)
	var own fakelinkup.Webhook
	e.waitUntil("the bot's own webhook live", func() bool {
		for _, w := range lk.Webhooks() {
			if w.ID != foreign.ID && w.AccountID == id && w.Active && lk.Streams()[w.ID] == 1 {
				own = w
				return strings.Contains(e.logs.String(), liveLine)
			}
		}
		return false
	})
	assert.Zero(t, lk.Streams()[foreign.ID], "the other webhook's stream is not read")
	assert.Equal(t, 2, webhookCalls(lk, http.MethodPost, "/v2/webhooks"), "the other one, then the bot's")
	assert.Zero(t, webhookCalls(lk, http.MethodGet, "/v2/webhooks"), "no list without a lost create")
	lk.ReplyIn(loginToken, jane, "Through the bot's own webhook")
	e.waitUntil("the reply", func() bool { return e.mirrored(salesChannel, "Through the bot's own webhook") == 1 })
	assert.NotEqual(t, foreign.ID, own.ID)
}

// A create Linkup refused (a 4xx: nothing was made) leaves no mark of a
// lost create: the next try (here a restart) creates the bot's own
// webhook and does not adopt one someone else made for the account
// meanwhile (another deployment on the same key).
func TestARefusedWebhookCreateLeavesNothingToAdopt(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	lk.RefuseWebhooks(http.StatusForbidden, "FEATURE_NOT_AVAILABLE", "Webhooks are not in your plan")
	e := startBotWith(t, lk, liveVars(map[string]string{"REPLY_POLL_INTERVAL": "1h", "REPLY_POLL_MAX": "1h"}))
	e.command(jane + " Hi from the team")
	e.finished(1)
	e.waitUntil("the refused create said", func() bool {
		return strings.Contains(e.logs.String(), "creating the account's Linkup webhook failed")
	})
	require.NoError(t, e.stop())

	lk.RefuseWebhooks(0, "", "")
	id := lk.AccountID(loginToken)
	foreign := foreignWebhook(t, lk, id)

	e.start()
	e.waitUntil("the bot's own webhook live", func() bool {
		for _, w := range lk.Webhooks() {
			if w.ID != foreign.ID && w.AccountID == id && w.Active && lk.Streams()[w.ID] == 1 {
				return strings.Contains(e.logs.String(), liveLine)
			}
		}
		return false
	})
	assert.Zero(t, lk.Streams()[foreign.ID], "the other webhook is not adopted")
	assert.Equal(t, 3, webhookCalls(lk, http.MethodPost, "/v2/webhooks"), "the refused create, the other one, the bot's")
	assert.Zero(t, webhookCalls(lk, http.MethodGet, "/v2/webhooks"), "no list: no create was lost")
	assert.NotContains(t, e.logs.String(), "adopted the account's Linkup webhook")
}

// foreignWebhook has someone else (another deployment on the same key)
// create a webhook for account id at Linkup, and returns it.
func foreignWebhook(t *testing.T, lk *fakelinkup.Server, id string) fakelinkup.Webhook {
	t.Helper()
	body := strings.NewReader(`{"account_id":"` + id + `","events":["all"]}`)
	req, err := http.NewRequest(http.MethodPost, lk.URL()+"/v2/webhooks", body)
	require.NoError(t, err)
	req.Header.Set("x-api-key", apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	w, ok := webhookOf(lk, id)
	require.True(t, ok)
	return w
}
