package main

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/store"
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

// An account whose stored token no longer opens as its own (here: copied
// from another account's row) while one of its conversations is watched:
// the bridge reads nothing with it (no Linkup read with another account's
// session), logs an error and tells its user once, by DM, how to connect
// it again; not again at later polls, nor after a restart.
func TestAnUnopenableTokenIsToldOnceByTheBridge(t *testing.T) {
	t.Parallel()
	e := startBot(t, bridgeVars(map[string]string{"ACCOUNTS_KEY": accountsKey}))
	_, err := e.accounts(aliceToken+"\n", "connect", "--name", "alice-li", "--token-stdin", "--user", alice)
	require.NoError(t, err)
	_, err = e.accounts(teamToken+"\n", "connect", "--name", "bob-li", "--token-stdin", "--user", bob)
	require.NoError(t, err)
	e.command(jane + " From Alice")
	e.finished(1)
	e.waitUntil("the conversation read after the send", func() bool { return len(e.linkup.Reads(convPath)) == 1 })
	require.NoError(t, e.stop())
	reads := len(e.linkup.Reads(""))

	db, err := sql.Open("sqlite", filepath.Join(e.vars["DATA_DIR"], store.FileName))
	require.NoError(t, err)
	res, err := db.Exec(`UPDATE accounts SET token = (SELECT token FROM accounts WHERE name = 'bob-li') WHERE name = 'alice-li'`)
	require.NoError(t, err)
	n, _ := res.RowsAffected()
	require.EqualValues(t, 1, n)
	require.NoError(t, db.Close())

	const notice = "The stored LinkedIn token of the *alice-li* account does not open as this account's"
	dm := "D" + alice[1:]
	told := func() int {
		c := 0
		for _, p := range e.slack.Posts() {
			if strings.Contains(p.Text, notice) {
				c++
			}
		}
		return c
	}
	skipped := func() int {
		return strings.Count(e.logs.String(), "not reading an account that cannot be used as stored (told)")
	}
	e.start()
	e.waitUntil("the notice", func() bool { return told() == 1 })
	e.waitUntil("3 more polls", func() bool { return skipped() >= 3 })
	require.NoError(t, e.stop())
	e.start()
	from := skipped()
	e.waitUntil("3 more polls after a restart", func() bool { return skipped() >= from+3 })

	assert.Equal(t, 1, told(), "told once: not at each poll, not after a restart")
	posts := e.postsIn(dm)
	require.NotEmpty(t, posts)
	last := posts[len(posts)-1]
	assert.Contains(t, last.Text, notice, "by DM to its user")
	assert.Contains(t, last.Text, "replies in its LinkedIn conversations are not read into Slack")
	assert.Contains(t, last.Text, "`linkedin-bot accounts connect --name alice-li`", "how to connect it again")
	assert.Len(t, e.linkup.Reads(""), reads, "nothing read with another account's session")
	assert.Equal(t, 1, strings.Count(e.logs.String(), "the account's stored token does not open as its own"), "one error in the log")
	e.assertNoSecrets()
}
