package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/store"
)

// sectionTexts returns the text of each section block of a post, in order.
func sectionTexts(t *testing.T, blocksJSON string) []string {
	t.Helper()
	var blocks []struct {
		Type string `json:"type"`
		Text struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	require.NoError(t, json.Unmarshal([]byte(blocksJSON), &blocks), blocksJSON)
	var out []string
	for _, b := range blocks {
		if b.Type == "section" {
			out = append(out, b.Text.Text)
		}
	}
	return out
}

// agenda is the pasted agenda: 140 short lines, 2,700 characters,
// with & and <> that escaping lengthens.
func agenda() string {
	lines := make([]string, 140)
	for i := range lines {
		lines[i] = fmt.Sprintf("%03d R&D <sync> item", i+1)
	}
	return strings.Join(lines, "\n")
}

// A reply that passes Slack's limits once escaped and quoted is posted in
// full, split into sections that each fit, and the next reply follows it.
func TestLongAgendaReplyIsPostedAndDoesNotBlockItsConversation(t *testing.T) {
	t.Parallel()
	e := startBot(t, bridgeVars(nil))
	e.command(jane + " Hi Jane")
	e.finished(1)
	root, _ := e.thread(salesChannel)
	text := agenda()
	require.Equal(t, 2799, len([]rune(text)))
	e.linkup.Reply(jane, text)
	e.linkup.Reply(jane, "Short one after the agenda.")
	e.waitUntil("the short reply", func() bool { return len(e.inThread(root.TS, "Short one after the agenda.")) == 1 })

	replies := e.inThread(root.TS, "replied on LinkedIn")
	require.Len(t, replies, 2, "each reply once")
	assert.Contains(t, replies[1].Text, "Short one after the agenda.", "in order")
	var shown []string
	for _, s := range sectionTexts(t, replies[0].Blocks) {
		assert.LessOrEqual(t, len([]rune(s)), 3000)
		shown = append(shown, s)
	}
	assert.Greater(t, len(shown), 1, "split into several sections")
	all := strings.Join(shown, "\n")
	for i := 1; i <= 140; i++ {
		assert.Contains(t, all, fmt.Sprintf("\n> %03d R&amp;D &lt;sync&gt; item", i), "line %d, escaped and quoted", i)
	}
	assert.NotContains(t, all, "Cut", "nothing cut")
	assert.LessOrEqual(t, len([]rune(replies[0].Text)), 4000, "the notification text stays short")
	assert.Empty(t, e.slack.Violations())
	assert.NotContains(t, e.logs.String(), "may already be in Slack")
}

// A thread Slack refuses (archived channel, bot removed) is no "maybe
// posted": the message goes to the requester's DM, which says why, and the
// conversation goes on; once the thread takes posts again, they go there.
func TestRefusedThreadFallsBackToTheRequestersDM(t *testing.T) {
	t.Parallel()
	for _, slackErr := range []string{"is_archived", "not_in_channel", "channel_not_found"} {
		t.Run(slackErr, func(t *testing.T) {
			t.Parallel()
			e := startBot(t, bridgeVars(nil))
			e.command(jane + " Hi Jane")
			e.finished(1)
			root, _ := e.thread(salesChannel)
			e.waitUntil("the conversation read after the send", func() bool { return len(e.linkup.Reads(convPath)) == 1 })

			e.slack.FailPosts(salesChannel, slackErr)
			e.linkup.Reply(jane, "First")
			e.linkup.Reply(jane, "Second")
			dm := "D" + alice[1:]
			e.waitUntil("both replies in the DM", func() bool { return len(e.postsIn(dm)) == 2 })
			for i, want := range []string{"> First", "> Second"} {
				p := e.postsIn(dm)[i]
				assert.Contains(t, p.Text, want, "in order")
				shown := strings.Join(sectionTexts(t, p.Blocks), "\n")
				assert.Contains(t, shown, ":warning: This LinkedIn message could not be posted in its thread in <#"+salesChannel+"> (Slack refused it: `"+slackErr+"`), so it comes here.")
				assert.Contains(t, p.Blocks, `"action_id":"reply_linkedin"`)
			}
			e.waitUntil("the notifications", func() bool { return len(e.postsIn(notifyChannel)) == 3 })

			e.slack.FailPosts(salesChannel, "")
			e.linkup.Reply(jane, "Third")
			e.waitUntil("the third reply in the thread", func() bool { return len(e.inThread(root.TS, "> Third")) == 1 })
			e.waitPolls(2)
			assert.Len(t, e.postsIn(dm), 2, "each message once")
			assert.Empty(t, e.inThread(root.TS, "> First"))
			assert.NotContains(t, e.logs.String(), "may already be in Slack")
		})
	}
}

// Text from LinkedIn is shown as written: a bare URL, a #channel or an
// @here in a reply is neither a link nor a mention (verbatim sections).
func TestMirroredTextIsShownVerbatim(t *testing.T) {
	t.Parallel()
	e := startBot(t, bridgeVars(nil))
	e.command(jane + " Hi Jane")
	e.finished(1)
	root, _ := e.thread(salesChannel)
	e.openHome(alice)
	body := "See https://evil.example/login in #general @here"
	m := e.linkup.Reply(jane, body)
	e.waitUntil("the reply", func() bool { return len(e.inThread(root.TS, "replied on LinkedIn")) == 1 })
	reply := e.inThread(root.TS, "replied on LinkedIn")[0]
	value, _ := buttonValue(t, reply, "reply_linkedin")
	date := fmt.Sprintf("<!date^%d^{date_short_pretty} at {time}|%s>", m.At.Unix(), m.At.UTC().Format("2006-01-02 15:04 UTC"))
	want := `[{"type":"section","text":{"type":"mrkdwn","text":":speech_balloon: *Jane Doe* replied on LinkedIn · ` + date + ` <@` + alice + `>\n> ` + body + `","verbatim":true}},` +
		`{"type":"actions","block_id":"reply","elements":[{"type":"button","text":{"type":"plain_text","text":"Reply on LinkedIn","emoji":false},"action_id":"reply_linkedin","value":"` + value + `"}]}]`
	assert.JSONEq(t, want, reply.Blocks)

	notice := e.finished(2)
	var nb []map[string]any
	require.NoError(t, json.Unmarshal([]byte(notice.Blocks), &nb), "the notification is a verbatim section")
	require.Len(t, nb, 1)
	assert.Equal(t, map[string]any{"type": "mrkdwn", "verbatim": true, "text": notice.Text}, nb[0]["text"])

	e.waitUntil("Home shows the reply", func() bool {
		views := e.published(alice)
		return len(views) > 0 && strings.Contains(fmt.Sprint(views[len(views)-1]), "evil.example")
	})
	views := e.published(alice)
	found := false
	for _, b := range views[len(views)-1]["blocks"].([]any) {
		text, _ := b.(map[string]any)["text"].(map[string]any)
		if s, _ := text["text"].(string); strings.Contains(s, "evil.example") {
			found = true
			assert.Equal(t, true, text["verbatim"], "Home shows LinkedIn text verbatim: %v", text)
			assert.Contains(t, s, "> "+body)
		}
	}
	assert.True(t, found)
}

// setReadCredits sets the read credits spent today in the bot's log.
func (e *env) setReadCredits(spent int) {
	e.t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.vars["DATA_DIR"], store.FileName)+"?_pragma=busy_timeout(5000)")
	require.NoError(e.t, err)
	defer db.Close()
	_, err = db.ExecContext(context.Background(), `INSERT INTO read_credits (day, credits) VALUES (?, ?) ON CONFLICT (day) DO UPDATE SET credits = excluded.credits`,
		time.Now().UTC().Format(time.DateOnly), spent)
	require.NoError(e.t, err)
}

// newDay makes the log's read credits of today yesterday's, as midnight UTC does.
func (e *env) newDay() {
	e.t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.vars["DATA_DIR"], store.FileName)+"?_pragma=busy_timeout(5000)")
	require.NoError(e.t, err)
	defer db.Close()
	_, err = db.ExecContext(context.Background(), `UPDATE read_credits SET day = '2000-01-01' WHERE day = ?`, time.Now().UTC().Format(time.DateOnly))
	require.NoError(e.t, err)
}

// waitCycles waits for n more polls of the bridge, read or not (at the cap
// a poll reads nothing).
func (e *env) waitCycles(n int) {
	e.t.Helper()
	from := strings.Count(e.logs.String(), `"polled LinkedIn"`)
	e.waitUntil(fmt.Sprintf("%d more polls", n), func() bool { return strings.Count(e.logs.String(), `"polled LinkedIn"`) >= from+n })
}

// writeReplies writes n replies from Jane, a millisecond apart.
func writeReplies(lk *fakelinkup.Server, n int) {
	at := time.Now()
	for i := 1; i <= n; i++ {
		lk.Write(jane, fakelinkup.Msg{Text: fmt.Sprintf("burst %02d", i), Sender: "Jane Doe", At: at.Add(time.Duration(i) * time.Millisecond)})
	}
}

// assertBurst checks that the thread holds the n replies of writeReplies, once each, in order.
func (e *env) assertBurst(threadTS string, n int) {
	e.t.Helper()
	replies := e.inThread(threadTS, "> burst ")
	require.Len(e.t, replies, n, "each message exactly once")
	for i, p := range replies {
		assert.Contains(e.t, p.Text, fmt.Sprintf("> burst %02d", i+1), "in order")
	}
}

// More messages than a few pages, written while the bot was down: all are
// mirrored, oldest first, once.
func TestBurstWhileDownIsMirroredInFull(t *testing.T) {
	t.Parallel()
	e := startBot(t, bridgeVars(map[string]string{"REPLY_POLL_MAX": "1s"}))
	e.command(jane + " Hi Jane")
	e.finished(1)
	root, _ := e.thread(salesChannel)
	e.waitUntil("the conversation read after the send", func() bool { return len(e.linkup.Reads(convPath)) == 1 })
	require.NoError(t, e.stop())
	writeReplies(e.linkup, 35)
	e.start()
	e.waitUntil("35 replies", func() bool { return len(e.inThread(root.TS, "> burst ")) >= 35 })
	e.waitPolls(2)
	e.assertBurst(root.TS, 35)
	assert.Len(t, e.linkup.Reads(convPath), 1+4, "the send's read, then 4 pages of 10")
}

// The read cap cuts a long read short: the thread says so, nothing is
// posted out of order, and when credits return the rest come, in order,
// none twice, without reading again what was read.
func TestReadCapCutsALongReadAndItResumes(t *testing.T) {
	t.Parallel()
	e := startBot(t, bridgeVars(map[string]string{"REPLY_POLL_MAX": "1s", "READ_CREDITS_PER_DAY": "100"}))
	e.command(jane + " Hi Jane")
	e.finished(1)
	root, _ := e.thread(salesChannel)
	e.waitUntil("the conversation read after the send", func() bool { return len(e.linkup.Reads(convPath)) == 1 })
	require.NoError(t, e.stop())
	writeReplies(e.linkup, 35)
	e.setReadCredits(97) // the inbox page and two pages of the conversation
	e.start()
	e.waitUntil("the cut told in the thread", func() bool { return len(e.inThread(root.TS, "READ_CREDITS_PER_DAY")) == 1 })
	cut := e.inThread(root.TS, "READ_CREDITS_PER_DAY")[0]
	assert.Contains(t, cut.Text, "the older ones are read when read credits return")
	e.waitCycles(3) // no read while the cap holds: bridge cycles, not reads
	assert.Empty(t, e.inThread(root.TS, "> burst "), "nothing out of order: the newest wait for the older ones")
	assert.Len(t, e.linkup.Reads(convPath), 1+2)

	e.newDay()
	e.waitUntil("35 replies", func() bool { return len(e.inThread(root.TS, "> burst ")) >= 35 })
	e.waitPolls(2)
	e.assertBurst(root.TS, 35)
	assert.Len(t, e.inThread(root.TS, "READ_CREDITS_PER_DAY"), 1, "told once")
	assert.Len(t, e.linkup.Reads(convPath), 1+2+1+2, "the newest page again (to find where to resume), then the 2 unread pages")
}

// More changed conversations than the old 9-page bound of one poll: every
// one is mirrored.
func TestInboxReadsPastManyChangedConversations(t *testing.T) {
	t.Parallel()
	const n = 230
	e := startBot(t, bridgeVars(map[string]string{"INBOX_CHANNEL": inboxChannel, "READ_CREDITS_PER_DAY": "1000", "LINKUP_RATE_PER_MINUTE": "0", "NOTIFY_CHANNEL": ""}))
	// The first poll, which sets the inbox's watermark (nothing older is
	// mirrored), has ended once the second has begun: a stop during the
	// first would leave the next start to set it above the 230.
	e.waitPolls(2)
	require.NoError(t, e.stop())
	at := time.Now()
	for i := range n {
		who := fmt.Sprintf("https://www.linkedin.com/in/person-%03d", i)
		e.linkup.AddConversation(fakelinkup.Person{Name: fmt.Sprintf("Person %03d", i), ProfileURL: who})
		e.linkup.Write(who, fakelinkup.Msg{Text: fmt.Sprintf("hello %03d", i), Sender: fmt.Sprintf("Person %03d", i), At: at.Add(time.Duration(i) * time.Millisecond)})
	}
	e.start()
	e.waitUntil("every conversation", func() bool { return len(e.postsIn(inboxChannel)) >= 2*n })
	e.waitPolls(2)
	assert.Len(t, e.postsIn(inboxChannel), 2*n, "a root and a message each, once")
	for i := range n {
		assert.Len(t, e.inThreadAny(fmt.Sprintf("> hello %03d", i)), 1)
	}
	assert.NotContains(t, e.logs.String(), "more conversations changed since the last poll than one poll reads")
}
