package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
)

// TestSelfServiceNeverInheritsARemovedAccountsName: John disconnects his
// own account "John Smith"; Mallory, who calls herself "John Smith" too,
// connects after. Sends, conversations and Retry buttons name their
// account by its name, so a new account that took the free name would
// inherit them all: Mallory could retry John's failed messages (they
// would go from her profile as his) and the bridge would read John's
// watched conversations with her session into his thread. Her account
// gets a name nobody used, and John's Retry buttons stay refused to her.
func TestSelfServiceNeverInheritsARemovedAccountsName(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	lk.AddLogin(fakelinkup.Login{Email: "john@example.com", Password: "pw-john", Token: johnToken})
	lk.AddLogin(fakelinkup.Login{Email: "mallory@example.com", Password: "pw-mallory", Token: malloryToken})
	e := startBotWith(t, lk, map[string]string{"ACCOUNTS_KEY": accountsKey, "ACCOUNT_SELF_SERVICE": "true", "LINKUP_LOGIN_TOKEN": ""})
	e.secrets = append(e.secrets, johnToken, malloryToken, "pw-john", "pw-mallory")
	e.slack.AddUser(john, "John Smith")
	e.slack.AddUser(mallory, "John Smith")

	assert.Contains(t, e.selfConnect(john, "john@example.com", "pw-john", 1), "Connected as *John Smith*")
	failing := e.failUntilCleared()
	e.commandAs(john, jane+" Hi Jane, John here")
	assert.Contains(t, e.finished(1).Text, "not sent")
	_, replies := e.thread(salesChannel)
	require.Len(t, replies, 1)
	value := retryValue(t, replies[0])
	failing.Store(false)

	e.commandAs(john, "disconnect")
	e.waitUntil("the disconnect's answer", func() bool { return len(e.slack.Hooks()) == 1 })
	require.Contains(t, e.slack.Hooks()[0].Body["text"], "Disconnected *John Smith*")

	view := e.selfConnect(mallory, "mallory@example.com", "pw-mallory", 2)
	assert.Contains(t, view, "Connected as *")
	assert.NotContains(t, view, "Connected as *John Smith*", "a name with history is never handed to another")
	out, err := e.accounts("", "list")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, out)
	assert.True(t, strings.HasPrefix(lines[1], "John Smith ("+mallory+")  "), out)

	// John's Retry is not Mallory's to press: nothing reaches Linkup.
	e.clickRetry(value, mallory)
	e.waitUntil("Mallory's refusal", func() bool { return len(e.slack.Hooks()) == 2 })
	assert.Contains(t, e.slack.Hooks()[1].Body["text"], "which you may not send from, so nothing was sent")
	settle()
	assert.Equal(t, 1, e.linkup.Count(), "only John's first try reached Linkup")
	assert.Len(t, e.postsIn(notifyChannel), 1)
}
