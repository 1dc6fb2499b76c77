package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
)

// Who may act on a send or a conversation that exists: only someone who
// may send from its account now (account.Service.MayUse), whoever asked
// for it first. Anyone else is told privately, and nothing is sent.

const carol = "U0CAROL01"

// failUntilCleared makes Linkup refuse every send until the returned flag
// is cleared, then deliver them.
func (e *env) failUntilCleared() *atomic.Bool {
	var failing atomic.Bool
	failing.Store(true)
	e.linkup.SetAnswer(func(w http.ResponseWriter, r *http.Request, req fakelinkup.Request) {
		if failing.Load() {
			fakelinkup.Reply(w, http.StatusBadRequest, `{"status":"error","message":"Error while sending message"}`)
			return
		}
		e.linkup.Deliver(w, r, req)
	})
	return &failing
}

// refusals returns the log lines that refused user an account they may not send from.
func (e *env) refusals(user, account string) []string {
	var out []string
	for _, line := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(line, `"error":"you may not send from this account"`) && strings.Contains(line, "refused for its account") &&
			strings.Contains(line, `"user":"`+user+`"`) &&
			strings.Contains(line, `"account":"`+account+`"`) {
			out = append(out, line)
		}
	}
	return out
}

// submissionAs is submission, submitted by user.
func (e *env) submissionAs(user, viewID, metadata string, values map[string]string) (string, []byte) {
	e.t.Helper()
	id, f := e.submission(viewID, metadata, values)
	var frame map[string]any
	require.NoError(e.t, json.Unmarshal(f, &frame))
	frame["payload"].(map[string]any)["user"] = map[string]any{"id": user, "username": strings.ToLower(user)}
	out, err := json.Marshal(frame)
	require.NoError(e.t, err)
	return id, out
}

func TestRetryOfAnothersSendFromTheirOwnAccountIsRefused(t *testing.T) {
	t.Parallel()
	e := startBot(t, map[string]string{"ACCOUNTS_KEY": accountsKey})
	_, err := e.accounts(aliceToken+"\n", "connect", "--name", "alice-li", "--token-stdin", "--user", alice)
	require.NoError(t, err)
	failing := e.failUntilCleared()
	e.command(jane + " Hi Jane, from Alice's own profile")
	assert.Contains(t, e.finished(1).Text, "not sent")
	_, replies := e.thread(salesChannel)
	require.Len(t, replies, 1)
	value := retryValue(t, replies[0])
	failing.Store(false)

	// Bob may not send from Alice's own account: his Retry sends nothing, and he alone is told why.
	ack := e.clickRetry(value, bob)
	assert.Empty(t, ack.Payload)
	settle()
	assert.Equal(t, 1, e.linkup.Count(), "nothing reached Linkup")
	e.waitUntil("Bob's refusal", func() bool { return len(e.slack.Hooks()) == 1 })
	hook := e.slack.Hooks()[0].Body
	assert.Equal(t, "ephemeral", hook["response_type"])
	assert.Contains(t, hook["text"], "This message went from the LinkedIn account *alice-li*, which you may not send from, so nothing was sent.")
	_, replies = e.thread(salesChannel)
	assert.Len(t, replies, 1, "no retry note in the thread")
	assert.Len(t, e.postsIn(notifyChannel), 1)
	assert.Len(t, e.refusals(bob, "alice-li"), 1, "one log line")

	// Alice's own Retry goes, from her account.
	e.clickRetry(value, alice)
	assert.Contains(t, e.finished(2).Text, "sent, 1 credit (retry)")
	settle()
	require.Equal(t, 2, e.linkup.Count())
	assert.Equal(t, aliceToken, e.linkup.Requests()[1].Body.LoginToken)
	assert.Len(t, e.slack.Hooks(), 1, "Alice is not refused")
}

func TestRetryFollowsWhoMayUseTheSharedAccountNow(t *testing.T) {
	t.Parallel()
	e := startBot(t, map[string]string{"ACCOUNTS_KEY": accountsKey})
	_, err := e.accounts(teamToken+"\n", "connect", "--name", "recruiting", "--token-stdin", "--user", alice, "--user", bob, "--user", carol)
	require.NoError(t, err)
	failing := e.failUntilCleared()
	e.command(jane + " First try")
	e.finished(1)
	e.command("https://www.linkedin.com/in/john-roe Second try")
	e.finished(2)
	for _, p := range e.postsIn(salesChannel) {
		if p.ThreadTS == "" {
			assert.Contains(t, p.Text, "from the *recruiting* account")
		}
	}
	require.Equal(t, 2, e.linkup.Count())
	failing.Store(false)

	// Alice is unassigned: she still sees her failed sends, but may retry neither.
	out, err := e.accounts("", "unassign", "--name", "recruiting", "--user", alice)
	require.NoError(t, err, out)
	e.openHome(alice)
	e.waitUntil("Alice's Home", func() bool { return len(e.published(alice)) == 1 })
	assert.Subset(t, buttons(e.published(alice)[0]), []string{"retry_send=1", "retry_send=2"})
	e.homeClick(alice, "retry_send", "1") // Home has no response_url: the answer is a DM
	settle()
	assert.Equal(t, 2, e.linkup.Count(), "nothing reached Linkup")
	dm := "D" + alice[1:]
	e.waitUntil("the refusal in a DM", func() bool { return len(e.postsIn(dm)) == 1 })
	assert.Contains(t, e.postsIn(dm)[0].Text, "This message went from the LinkedIn account *recruiting*, which you may not send from, so nothing was sent.")
	e.clickRetry("2", alice)
	e.waitUntil("the refusal in the thread's button", func() bool { return len(e.slack.Hooks()) == 1 })
	assert.Contains(t, e.slack.Hooks()[0].Body["text"], "which you may not send from, so nothing was sent.")
	settle()
	assert.Equal(t, 2, e.linkup.Count(), "nothing reached Linkup")
	assert.Len(t, e.refusals(alice, "recruiting"), 2)

	// Carol, still assigned, may retry Alice's send: it goes from the shared account.
	e.clickRetry("1", carol)
	assert.Contains(t, e.finished(3).Text, "sent, 1 credit (retry)")
	settle()
	require.Equal(t, 3, e.linkup.Count())
	got := e.linkup.Requests()[2].Body
	assert.Equal(t, teamToken, got.LoginToken)
	assert.Equal(t, "First try", got.MessageText)
	assert.Len(t, e.postsIn(dm), 1)
	assert.Len(t, e.slack.Hooks(), 1)
}

func TestReplyFollowsWhoMayUseTheConversationsAccountNow(t *testing.T) {
	t.Parallel()
	e := startBot(t, bridgeVars(map[string]string{"ACCOUNTS_KEY": accountsKey}))
	_, err := e.accounts(teamToken+"\n", "connect", "--name", "recruiting", "--token-stdin", "--user", alice, "--user", carol)
	require.NoError(t, err)
	e.command(jane + " Hi Jane")
	e.finished(1)
	root, _ := e.thread(salesChannel)
	assert.Contains(t, root.Text, "from the *recruiting* account")
	e.linkup.ReplyIn(teamToken, jane, "Hello! When can we talk?")
	e.waitUntil("the reply", func() bool { return len(e.inThread(root.TS, "replied on LinkedIn")) == 1 })
	value, _ := buttonValue(t, e.inThread(root.TS, "replied on LinkedIn")[0], "reply_linkedin")

	// Bob may not send from recruiting: no form opens.
	e.clickReplyAs(bob, value)
	e.waitUntil("Bob's refusal", func() bool { return len(e.slack.Hooks()) == 1 })
	assert.Contains(t, e.slack.Hooks()[0].Body["text"], "This conversation belongs to the LinkedIn account *recruiting*, which you may not send from")
	assert.Empty(t, e.slack.Calls("views.open"))
	assert.Len(t, e.refusals(bob, "recruiting"), 1, "one log line")

	// Carol may: the form opens. She is unassigned before she submits it: refused, nothing sent.
	e.clickReplyAs(carol, value)
	_, view := openedView(t, e, 1)
	_, err = e.accounts("", "unassign", "--name", "recruiting", "--user", carol)
	require.NoError(t, err)
	id, f := e.submissionAs(carol, "VREPLYCAROL", view["private_metadata"].(string), map[string]string{"message": "Tuesday works."})
	var ack struct {
		Action string            `json:"response_action"`
		Errors map[string]string `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(e.send(id, f).Payload, &ack))
	assert.Equal(t, "errors", ack.Action)
	assert.Contains(t, ack.Errors["message"], "This conversation belongs to the LinkedIn account *recruiting*, which you may not send from, so nothing was sent.")
	assert.Len(t, e.refusals(carol, "recruiting"), 1)

	// Alice started the thread, and is unassigned too: her Home still
	// lists the conversation, and its Reply is refused there.
	_, err = e.accounts("", "unassign", "--name", "recruiting", "--user", alice)
	require.NoError(t, err)
	e.openHome(alice)
	e.waitUntil("Alice's Home", func() bool { return len(e.published(alice)) == 1 })
	assert.Contains(t, buttons(e.published(alice)[0]), "reply_linkedin="+value)
	e.homeClick(alice, "reply_linkedin", value)
	dm := "D" + alice[1:]
	e.waitUntil("the refusal in a DM", func() bool { return len(e.postsIn(dm)) == 1 })
	assert.Contains(t, e.postsIn(dm)[0].Text, "This conversation belongs to the LinkedIn account *recruiting*, which you may not send from")
	assert.Len(t, e.slack.Calls("views.open"), 1, "only Carol's form opened")
	assert.Len(t, e.refusals(alice, "recruiting"), 1)

	settle()
	assert.Equal(t, 1, e.linkup.Count(), "only the first send reached Linkup")
	assert.Len(t, e.inThread(root.TS, "Tuesday"), 0)
}
