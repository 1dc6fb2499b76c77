package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/internal/fakeslack"
)

const (
	jane         = "https://www.linkedin.com/in/jane-doe"
	inboxChannel = "C0INBOX01"
	inboxPath    = "/v1/messages/inbox"
	convPath     = "/v1/messages/conversation"
)

// bridgeVars are settings that make the bridge fast enough for a test:
// polls every 1-2 s, local work every 250 ms, unknown sends checked after
// 300 ms, 900 ms and 3 s.
func bridgeVars(extra map[string]string) map[string]string {
	v := map[string]string{"REPLY_POLL_INTERVAL": "1s", "REPLY_POLL_MAX": "2s", "UNKNOWN_CHECK_AFTER": "300ms"}
	maps.Copy(v, extra)
	return v
}

// inThread returns the posts in the thread ts whose text contains sub.
func (e *env) inThread(ts, sub string) []fakeslack.Post {
	var out []fakeslack.Post
	for _, p := range e.slack.Posts() {
		if p.ThreadTS == ts && strings.Contains(p.Text, sub) {
			out = append(out, p)
		}
	}
	return out
}

// waitPolls waits for n more inbox reads.
func (e *env) waitPolls(n int) {
	e.t.Helper()
	from := len(e.linkup.Reads(inboxPath))
	e.waitUntil(fmt.Sprintf("%d more polls", n), func() bool { return len(e.linkup.Reads(inboxPath)) >= from+n })
}

// buttonValue returns the value of the button actionID in a post, and its confirm.
func buttonValue(t *testing.T, p fakeslack.Post, actionID string) (string, map[string]any) {
	t.Helper()
	var blocks []struct {
		Elements []struct {
			ActionID string         `json:"action_id"`
			Value    string         `json:"value"`
			Confirm  map[string]any `json:"confirm"`
		} `json:"elements"`
	}
	require.NoError(t, json.Unmarshal([]byte(p.Blocks), &blocks), p.Blocks)
	for _, b := range blocks {
		for _, el := range b.Elements {
			if el.ActionID == actionID {
				return el.Value, el.Confirm
			}
		}
	}
	t.Fatalf("no %s button in %s", actionID, p.Blocks)
	return "", nil
}

func TestReplyAppearsOnceInTheThread(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		shapes fakelinkup.Shapes
	}{
		{"epoch milliseconds and short conversation IDs", fakelinkup.Shapes{}},
		{"string times and URN conversation IDs", fakelinkup.Shapes{TimeAsString: true, URNIDs: true}},
		{"a send answer without data, matched by the recipient's URL", fakelinkup.Shapes{NoData: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := startBot(t, bridgeVars(map[string]string{"REPLY_POLL_MAX": "1s"}))
			e.linkup.SetShapes(tc.shapes)
			e.command(jane + " Hi Jane, great to meet you!")
			e.finished(1)
			root, _ := e.thread(salesChannel)
			// The bot's own message changes the conversation: it is read once, and not posted.
			e.waitUntil("the conversation read after the send", func() bool { return len(e.linkup.Reads(convPath)) == 1 })

			e.linkup.Reply(jane, "Sounds good! Tuesday?")
			e.waitUntil("the reply in the thread", func() bool { return len(e.inThread(root.TS, "replied on LinkedIn")) == 1 })
			reply := e.inThread(root.TS, "replied on LinkedIn")[0]
			assert.Contains(t, reply.Text, ":speech_balloon: *Jane Doe* replied on LinkedIn · <!date^")
			assert.Contains(t, reply.Text, "<@"+alice+">", "the first reply mentions the requester")
			assert.Contains(t, reply.Text, "\n> Sounds good! Tuesday?")
			assert.Contains(t, reply.Blocks, `"action_id":"reply_linkedin"`)
			notice := e.finished(2)
			assert.Contains(t, notice.Text, "*Jane Doe* replied on LinkedIn to <@"+alice+"> · <https://fake.slack.com/archives/"+salesChannel+"/p")

			e.linkup.Write(jane, fakelinkup.Msg{Text: "Tuesday 10am then.", Sender: e.linkup.Account()})
			e.waitUntil("the account's own LinkedIn message", func() bool { return len(e.inThread(root.TS, "sent from LinkedIn")) == 1 })
			assert.Contains(t, e.inThread(root.TS, "sent from LinkedIn")[0].Text, "*Sales Team* wrote on LinkedIn (sent from LinkedIn, not from Slack)")

			e.linkup.Reply(jane, "Perfect.")
			e.waitUntil("the second reply", func() bool { return len(e.inThread(root.TS, "Perfect.")) == 1 })
			assert.NotContains(t, e.inThread(root.TS, "Perfect.")[0].Text, "<@"+alice+">", "only the first reply mentions")

			check := func() {
				t.Helper()
				assert.Len(t, e.inThread(root.TS, "replied on LinkedIn"), 2, "each reply once")
				assert.Len(t, e.inThread(root.TS, "sent from LinkedIn"), 1)
				assert.Empty(t, e.inThread(root.TS, "great to meet you"), "the bot's own message is not repeated")
				assert.Len(t, e.postsIn(notifyChannel), 3, "one send, two replies")
				assert.Len(t, e.linkup.Reads(convPath), 4, "one read per change: the send, two replies, the account's message")
				assert.Equal(t, 1, e.linkup.Count(), "reading never sends")
			}
			e.waitPolls(3)
			check()
			require.NoError(t, e.stop())
			e.start()
			e.waitPolls(3)
			check()

			byURL := 0
			for _, r := range e.linkup.Reads(convPath) {
				assert.Equal(t, loginToken, r.Body["login_token"])
				assert.Equal(t, "FR", r.Body["country"])
				if r.Body["linkedin_url"] != nil {
					byURL++
				}
			}
			if tc.shapes.NoData {
				assert.Equal(t, 1, byURL, "a send without a conversation ID is matched by its URL once")
			} else {
				assert.Zero(t, byURL)
			}
		})
	}
}

func (e *env) clickReply(value string) { e.clickReplyAs(alice, value) }

// clickReplyAs clicks a Reply on LinkedIn button as user.
func (e *env) clickReplyAs(user, value string) {
	e.t.Helper()
	id, f := e.frame("e1-block-actions-docs-message.json", func(p map[string]any) {
		p["user"] = map[string]any{"id": user, "username": strings.ToLower(user)}
		p["channel"] = map[string]any{"id": salesChannel, "name": "sales"}
		p["response_url"] = e.slack.ResponseURL("reply")
		p["trigger_id"] = "trigger-reply"
		p["actions"] = []any{map[string]any{"action_id": "reply_linkedin", "block_id": "reply", "value": value, "type": "button", "action_ts": "1"}}
	})
	assert.Empty(e.t, e.send(id, f).Payload)
}

func TestReplyButtonSendsOnceIntoTheThread(t *testing.T) {
	t.Parallel()
	e := startBot(t, bridgeVars(nil))
	e.command(jane + " Hi Jane")
	e.finished(1)
	root, _ := e.thread(salesChannel)
	e.linkup.Reply(jane, "Hello! When can we talk?")
	e.waitUntil("the reply", func() bool { return len(e.inThread(root.TS, "replied on LinkedIn")) == 1 })
	value, _ := buttonValue(t, e.inThread(root.TS, "replied on LinkedIn")[0], "reply_linkedin")

	e.clickReply(value)
	_, view := openedView(t, e, 1)
	assert.Equal(t, "Reply on LinkedIn", view["title"].(map[string]any)["text"])
	assert.Equal(t, []string{"recipient", "message", "upload"}, blockIDs(view))
	assert.Equal(t, "section", view["blocks"].([]any)[0].(map[string]any)["type"], "the recipient is shown, not editable")
	assert.Contains(t, fmt.Sprint(view["blocks"]), "To Jane Doe (<"+jane+"|profile>)")

	md := view["private_metadata"].(string)
	for range 2 { // submitted twice: sent once
		id, f := e.submission("VREPLY1", md, map[string]string{"message": "Tuesday works for me."})
		assert.Empty(t, e.send(id, f).Payload)
	}
	e.waitUntil("the reply's outcome", func() bool { return len(e.inThread(root.TS, "Sent on LinkedIn")) == 2 })
	e.waitPolls(2)

	require.Equal(t, 2, e.linkup.Count(), "the first send and the reply, once")
	got := e.linkup.Requests()[1].Body
	assert.Equal(t, jane, got.LinkedInURL)
	assert.Equal(t, "Tuesday works for me.", got.MessageText)
	top := 0
	for _, p := range e.postsIn(salesChannel) {
		if p.ThreadTS == "" {
			top++
		}
	}
	assert.Equal(t, 1, top, "no new root message in the channel")
	assert.Len(t, e.inThread(root.TS, "Tuesday works"), 1, "announced once in the thread, never mirrored back")
	assert.Len(t, e.inThread(root.TS, "replied on LinkedIn"), 1)

	// The message shortcut inside the thread prefills the conversation's recipient.
	view = e.shortcutOn(func(msg map[string]any) {
		msg["ts"], msg["thread_ts"] = "1700000000.000100", root.TS
		delete(msg, "files")
	})
	assert.Equal(t, jane, element(view, "recipient")["initial_value"])
}

func TestHostileReplyIsEscaped(t *testing.T) {
	t.Parallel()
	e := startBot(t, bridgeVars(nil))
	e.linkup.AddConversation(fakelinkup.Person{Name: "<!here> Jane", ProfileURL: jane})
	e.command(jane + " Hi Jane")
	e.finished(1)
	root, _ := e.thread(salesChannel)
	e.linkup.Reply(jane, "<!channel> ping <@U0BOSS001> see <https://evil.example/login|your invoice> & <b>")
	e.waitUntil("the reply", func() bool { return len(e.inThread(root.TS, "replied on LinkedIn")) == 1 })
	notice := e.finished(2)
	for _, text := range []string{e.inThread(root.TS, "replied on LinkedIn")[0].Text, e.inThread(root.TS, "replied on LinkedIn")[0].Blocks, notice.Text} {
		assert.NotContains(t, text, "<!channel>")
		assert.NotContains(t, text, "<!here>")
		assert.NotContains(t, text, "<@U0BOSS001>")
		assert.NotContains(t, text, "<https://evil")
	}
	reply := e.inThread(root.TS, "replied on LinkedIn")[0].Text
	assert.Contains(t, reply, "*&lt;!here&gt; Jane* replied on LinkedIn")
	assert.Contains(t, reply, "> &lt;!channel&gt; ping &lt;@U0BOSS001&gt; see &lt;https://evil.example/login|your invoice&gt; &amp; &lt;b&gt;")
}

func TestLongReplyIsShownInFull(t *testing.T) {
	t.Parallel()
	e := startBot(t, bridgeVars(nil))
	e.command(jane + " Hi Jane")
	e.finished(1)
	root, _ := e.thread(salesChannel)
	e.linkup.Reply(jane, strings.Repeat("é", 3000))
	e.waitUntil("the reply", func() bool { return len(e.inThread(root.TS, "replied on LinkedIn")) == 1 })
	p := e.inThread(root.TS, "replied on LinkedIn")[0]
	sections := sectionTexts(t, p.Blocks)
	require.Len(t, sections, 2, "past one section's 3,000 characters: a second section")
	for _, s := range sections {
		assert.LessOrEqual(t, len([]rune(s)), 3000, "within a section block's limit")
	}
	assert.Equal(t, 3000, strings.Count(strings.Join(sections, ""), "é"), "nothing cut")
	assert.NotContains(t, p.Text, "Cut")
}

// holdThenFail makes each send reach LinkedIn (record) or not, then hang
// past LINKUP_TIMEOUT: outcome unknown.
func holdThenFail(lk *fakelinkup.Server, record bool) fakelinkup.Answer {
	return func(_ http.ResponseWriter, r *http.Request, req fakelinkup.Request) {
		if record {
			lk.Record(req)
		}
		<-r.Context().Done()
	}
}

// updatesOf returns the chat.update calls of the message ts.
func (e *env) updatesOf(ts string) []fakeslack.Call {
	var out []fakeslack.Call
	for _, c := range e.slack.Calls("chat.update") {
		if c.Params["ts"] == ts {
			out = append(out, c)
		}
	}
	return out
}

func TestUnknownSendIsConfirmedByReading(t *testing.T) {
	t.Parallel()
	e := startBot(t, bridgeVars(map[string]string{"LINKUP_TIMEOUT": "300ms"}))
	e.linkup.SetAnswer(holdThenFail(e.linkup, true))
	e.command(jane + " Hi Jane")
	notice := e.finished(1)
	assert.Contains(t, notice.Text, "outcome unknown")
	root, _ := e.thread(salesChannel)
	outcome := e.inThread(root.TS, "may or may not have been sent")[0]

	e.waitUntil("the verdict", func() bool { return len(e.inThread(root.TS, "confirmed on LinkedIn")) == 1 })
	verdict := e.inThread(root.TS, "confirmed on LinkedIn")[0]
	assert.Contains(t, verdict.Text, ":white_check_mark: Sent (confirmed on LinkedIn)")
	assert.Contains(t, verdict.Blocks, "Sent (confirmed on LinkedIn)", "what Slack shows says so too")
	assert.NotContains(t, verdict.Blocks, "retry_send")
	e.waitUntil("the edits", func() bool { return len(e.updatesOf(notice.TS)) == 1 })

	rootEdits := e.updatesOf(root.TS)
	assert.Contains(t, rootEdits[len(rootEdits)-1].Params["text"], "Sent, confirmed on LinkedIn (1 credit)")
	outEdits := e.updatesOf(outcome.TS)
	require.Len(t, outEdits, 1, "the unknown outcome's Retry button goes")
	assert.NotContains(t, outEdits[0].Params["blocks"], "retry_send")
	assert.Contains(t, e.updatesOf(notice.TS)[0].Params["text"], "sent (confirmed on LinkedIn), 1 credit")
	assert.Equal(t, 1, e.linkup.Count(), "one Linkup send in all")

	e.waitPolls(2)
	assert.Empty(t, e.inThread(root.TS, "replied on LinkedIn"), "its own message is not mirrored")
	assert.Len(t, e.inThread(root.TS, "confirmed on LinkedIn"), 1)

	// Retry now says it was sent.
	e.clickRetry(retryValue(t, outcome), alice)
	e.waitUntil("the answer", func() bool { return len(e.slack.Hooks()) == 1 })
	assert.Contains(t, e.slack.Hooks()[0].Body["text"], "already sent")
	assert.Equal(t, 1, e.linkup.Count())
}

func TestUnknownSendIsVerifiedAsNotDelivered(t *testing.T) {
	t.Parallel()
	e := startBot(t, bridgeVars(map[string]string{"LINKUP_TIMEOUT": "300ms"}))
	// The same words went to Jane an hour ago: that is not this send.
	e.linkup.Write(jane, fakelinkup.Msg{Text: "Hi Jane", Sender: e.linkup.Account(), At: time.Now().Add(-time.Hour)})
	e.linkup.SetAnswer(holdThenFail(e.linkup, false))
	e.command(jane + " Hi Jane")
	e.finished(1)
	root, _ := e.thread(salesChannel)
	e.waitUntil("the verdict", func() bool { return len(e.inThread(root.TS, "Not delivered (checked on LinkedIn)")) == 1 })
	verdict := e.inThread(root.TS, "Not delivered (checked on LinkedIn)")[0]
	assert.Contains(t, verdict.Blocks, "Not delivered (checked on LinkedIn): the bot read the conversation 3 times, up to 3 seconds after Linkup was called, and the message is not in it.")
	value, confirm := buttonValue(t, verdict, "retry_send")
	assert.Nil(t, confirm, "Retry no longer asks whether it may have been delivered")
	assert.Len(t, e.linkup.Reads(convPath), 3, "read at 1, 3 and 10 times UNKNOWN_CHECK_AFTER")
	assert.Equal(t, 1, e.linkup.Count())

	e.linkup.SetAnswer(e.linkup.Deliver)
	e.clickRetry(value, alice)
	e.waitUntil("the retry", func() bool { return len(e.inThread(root.TS, "Sent on LinkedIn")) == 1 })
	assert.Equal(t, 2, e.linkup.Count())
}

func TestReadCreditCapStopsReading(t *testing.T) {
	t.Parallel()
	e := startBot(t, bridgeVars(map[string]string{"READ_CREDITS_PER_DAY": "3", "INBOX_CHANNEL": inboxChannel, "REPLY_POLL_MAX": "1s"}))
	e.waitUntil("the pause notice", func() bool { return len(e.postsIn(notifyChannel)) == 1 })
	assert.Contains(t, e.postsIn(notifyChannel)[0].Text, "LinkedIn reading is paused for today: the bot reached READ_CREDITS_PER_DAY (3 credits)")
	time.Sleep(2500 * time.Millisecond) // two more poll times
	assert.Len(t, e.linkup.Reads(""), 3, "three 1-credit reads, then none")
	assert.Len(t, e.postsIn(notifyChannel), 1, "told once")

	var out strings.Builder
	require.NoError(t, run(t.Context(), []string{"linkedin-bot", "history"}, func(k string) string { return e.vars[k] }, &out, &out))
	assert.Contains(t, out.String(), "Read credits per day (replies and checks of unknown sends): "+time.Now().UTC().Format(time.DateOnly)+" 3.")
}

func TestNothingIsReadWhenNothingIsWatched(t *testing.T) {
	t.Parallel()
	t.Run("no send and no inbox channel", func(t *testing.T) {
		e := startBot(t, bridgeVars(nil))
		time.Sleep(1500 * time.Millisecond)
		assert.Empty(t, e.linkup.Reads(""))
	})
	t.Run("reading turned off, with an unknown send", func(t *testing.T) {
		e := startBot(t, bridgeVars(map[string]string{"READ_CREDITS_PER_DAY": "0", "INBOX_CHANNEL": inboxChannel, "LINKUP_TIMEOUT": "300ms"}))
		e.linkup.SetAnswer(holdThenFail(e.linkup, true))
		e.command(jane + " Hi Jane")
		e.finished(1)
		time.Sleep(1500 * time.Millisecond)
		assert.Empty(t, e.linkup.Reads(""))
		assert.Contains(t, e.logs.String(), "reply bridge: off (READ_CREDITS_PER_DAY=0)")
	})
}

func TestNewInboundConversationReachesTheInboxChannel(t *testing.T) {
	t.Parallel()
	bob, carol := "https://www.linkedin.com/in/bob-ray", "https://www.linkedin.com/in/ACoAACarol123"
	lk := fakelinkup.New()
	lk.AddConversation(fakelinkup.Person{Name: "Bob Ray", ProfileURL: bob})
	lk.Write(bob, fakelinkup.Msg{Text: "old hello", Sender: "Bob Ray", At: time.Now().Add(-2 * time.Hour)})
	e := startBotWith(t, lk, bridgeVars(map[string]string{"INBOX_CHANNEL": inboxChannel}))
	e.waitPolls(2)
	assert.Empty(t, e.postsIn(inboxChannel), "nothing older than the first start: no backfill")

	lk.AddConversation(fakelinkup.Person{Name: "Carol Smith", ProfileURL: carol})
	for i := 1; i <= 12; i++ { // two pages of messages
		lk.Write(carol, fakelinkup.Msg{Text: fmt.Sprintf("message %02d", i), Sender: "Carol Smith", At: time.Now().Add(time.Duration(i) * time.Millisecond)})
	}
	lk.Write(carol, fakelinkup.Msg{Text: "Carol accepted your invitation", Type: "SYSTEM", Sender: "LinkedIn"})
	lk.Write(carol, fakelinkup.Msg{Text: "", Sender: "Carol Smith"})
	e.waitUntil("Carol's messages", func() bool { return len(e.postsIn(inboxChannel)) == 14 })
	root := e.postsIn(inboxChannel)[0]
	assert.Empty(t, root.ThreadTS)
	assert.Contains(t, root.Text, "New LinkedIn conversation with *Carol Smith* (<"+carol+"|profile>)")
	for i, p := range e.postsIn(inboxChannel)[1:13] {
		assert.Equal(t, root.TS, p.ThreadTS)
		assert.Contains(t, p.Text, fmt.Sprintf("> message %02d", i+1), "in order")
		assert.NotContains(t, p.Text, "<@", "no requester to mention")
		assert.Contains(t, p.Blocks, "reply_linkedin")
	}
	assert.Contains(t, e.postsIn(inboxChannel)[13].Text, ":information_source: LinkedIn")
	assert.Contains(t, e.postsIn(inboxChannel)[13].Text, "> Carol accepted your invitation")

	lk.Write(bob, fakelinkup.Msg{Text: "Are you still hiring?", Sender: "Bob Ray"})
	e.waitUntil("Bob's new message", func() bool { return len(e.postsIn(inboxChannel)) == 16 })
	bobRoot := e.postsIn(inboxChannel)[14]
	assert.Contains(t, bobRoot.Text, "*Bob Ray*")
	assert.Contains(t, e.postsIn(inboxChannel)[15].Text, "> Are you still hiring?")
	for _, p := range e.slack.Posts() {
		assert.NotContains(t, p.Text, "old hello")
	}
	assert.Zero(t, lk.Count(), "reading never sends")
}

func TestMirroredMessagesSurviveSlackFailuresAndRestarts(t *testing.T) {
	t.Parallel()
	e := startBot(t, bridgeVars(map[string]string{"REPLY_POLL_MAX": "1s"}))
	e.command(jane + " Hi Jane")
	e.finished(1)
	root, _ := e.thread(salesChannel)
	e.waitUntil("the conversation read after the send", func() bool { return len(e.linkup.Reads(convPath)) == 1 })

	// Slack posts the reply but its answer is lost: the bot finds it, and does not post it again.
	e.slack.LoseAnswers("chat.postMessage", 1)
	e.linkup.Reply(jane, "First")
	e.waitUntil("the first reply and its notification", func() bool { return len(e.postsIn(notifyChannel)) == 2 })
	assert.Len(t, e.inThread(root.TS, "> First"), 1)

	// Slack refuses the thread: the next replies wait, in order, across a restart.
	e.slack.FailPosts(salesChannel, "fatal_error")
	e.linkup.Reply(jane, "Second")
	e.linkup.Reply(jane, "Third")
	e.waitUntil("the refused post", func() bool {
		return strings.Contains(e.logs.String(), "posting a LinkedIn message in its thread failed")
	})
	e.waitPolls(2)
	require.NoError(t, e.stop())
	e.slack.FailPosts(salesChannel, "")
	e.start()
	e.waitUntil("the owed replies", func() bool { return len(e.inThread(root.TS, "replied on LinkedIn")) == 3 })
	e.waitPolls(2)
	replies := e.inThread(root.TS, "replied on LinkedIn")
	require.Len(t, replies, 3, "each reply exactly once")
	for i, want := range []string{"> First", "> Second", "> Third"} {
		assert.Contains(t, replies[i].Text, want, "in order")
	}
	assert.Len(t, e.postsIn(notifyChannel), 4, "one send, three replies")
}

func TestUnreadableAnswersAreLoggedAndDoNotStopTheOthers(t *testing.T) {
	t.Parallel()
	bob := "https://www.linkedin.com/in/bob-ray"
	e := startBot(t, bridgeVars(map[string]string{"REPLY_POLL_MAX": "1s"}))
	e.command(jane + " Hi Jane")
	e.finished(1)
	e.command(bob + " Hi Bob")
	e.finished(2)
	e.waitUntil("both conversations read", func() bool { return len(e.linkup.Reads(convPath)) >= 2 })
	janeID := e.linkup.ConversationID(jane)
	janeReads := func() int {
		n := 0
		for _, r := range e.linkup.Reads(convPath) {
			if r.Body["conversation_id"] == janeID {
				n++
			}
		}
		return n
	}
	garbage := func(w http.ResponseWriter, body map[string]any) bool {
		if body["conversation_id"] != janeID {
			return false
		}
		fakelinkup.Reply(w, http.StatusOK, `{"status":"success","data":{"messages":{"oops":true}}}`)
		return true
	}
	e.linkup.SetReadAnswer(convPath, garbage)
	before := janeReads()
	polls := len(e.linkup.Reads(inboxPath))
	e.linkup.Reply(jane, "Jane here")
	e.linkup.Reply(bob, "Bob here")
	e.waitUntil("Bob's reply", func() bool { return len(e.postsIn(salesChannel)) > 0 && len(e.inThreadAny("Bob here")) == 1 })
	e.waitPolls(3)
	assert.Empty(t, e.inThreadAny("Jane here"))
	assert.Contains(t, e.logs.String(), "reading a LinkedIn conversation failed")
	assert.LessOrEqual(t, janeReads()-before, len(e.linkup.Reads(inboxPath))-polls, "at most one read of it per poll: no retry storm")

	e.linkup.SetReadAnswer(convPath, nil)
	e.waitUntil("Jane's reply", func() bool { return len(e.inThreadAny("Jane here")) == 1 })
	e.waitPolls(2)
	assert.Len(t, e.inThreadAny("Jane here"), 1)
	assert.Len(t, e.inThreadAny("Bob here"), 1)
}

// inThreadAny returns the thread replies, in any thread, whose text contains sub.
func (e *env) inThreadAny(sub string) []fakeslack.Post {
	var out []fakeslack.Post
	for _, p := range e.slack.Posts() {
		if p.ThreadTS != "" && strings.Contains(p.Text, sub) {
			out = append(out, p)
		}
	}
	return out
}

// A bot killed (SIGKILL) on SQLite and started again runs the reply bridge
// at once: the data folder's lock proves its predecessor dead, so it does
// not wait for that one's lease (30 s here) to run out. A reply written
// while no bot ran is mirrored well within the lease, and the restarted
// bot paces to the whole of Linkup's allowance.
func TestAfterACrashTheBridgeRunsAtOnce(t *testing.T) {
	c := newChildren(t, bridgeVars(map[string]string{"REPLY_POLL_MAX": "1s", "LEASE_DURATION": "30s"}))
	first := c.start()
	c.command(jane + " Hi Jane")
	c.finished(1)
	root, _ := c.thread(salesChannel)
	c.waitUntil("the conversation read after the send", func() bool { return len(c.linkup.Reads(convPath)) == 1 })
	c.kill(first) // its bridge lease has most of its 30 s left
	killed := time.Now()

	c.linkup.Reply(jane, "Written while no bot ran")
	second := c.start()
	c.waitUntil("the reply in the thread", func() bool { return len(c.inThread(root.TS, "> Written while no bot ran")) == 1 })
	assert.Less(t, time.Since(killed), 30*time.Second, "mirrored within the dead bot's lease")
	c.term(second)

	logs := c.logs.String()
	assert.Equal(t, 2, strings.Count(logs, "this bot runs the reply bridge"), "each bot ran the bridge from its start")
	assert.NotContains(t, logs, "another bot runs the reply bridge", "the dead bot is not taken for a live one")
	assert.NotContains(t, logs, "Linkup's allowance is shared", "the dead bot takes no share of Linkup's allowance")
	assert.Len(t, c.inThread(root.TS, "replied on LinkedIn"), 1)
	assert.Equal(t, 1, c.linkup.Count())
}
