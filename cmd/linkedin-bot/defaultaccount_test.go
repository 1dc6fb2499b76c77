package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
)

const defaultToken = "AQEDAsecretDefaultAccountToken"

// The default account connected with `accounts connect --name default`
// (issue 22, point 5): no password on a command line, no token to copy out
// of an answer. It is everyone's, as LINKUP_LOGIN_TOKEN is, and otherwise
// an account like the others: sealed, expiring, connected again.
func TestTheDefaultAccountConnectedByCommandIsEveryones(t *testing.T) {
	t.Parallel()
	e := startBot(t, map[string]string{"ACCOUNTS_KEY": accountsKey, "LINKUP_LOGIN_TOKEN": ""})
	e.secrets = append(e.secrets, defaultToken, "AQEDAsecretFreshDefault")

	_, err := e.accounts(defaultToken+"\n", "connect", "--name", "default", "--token-stdin", "--user", alice)
	require.ErrorContains(t, err, "everyone allowed to send may use the default account, so it takes no --user")
	out, _ := e.accounts("", "list")
	assert.Contains(t, out, "No stored accounts", "nothing was stored")

	out, err = e.accounts(defaultToken+"\n", "connect", "--name", "default", "--token-stdin")
	require.NoError(t, err)
	assert.Contains(t, out, "default: connected (FR, the default account: everyone allowed to send who has no account of their own or a shared one sends from it); the token is stored encrypted")
	_, err = e.accounts("", "assign", "--name", "default", "--user", bob)
	require.ErrorContains(t, err, "accounts assign: default was connected as the default account, for everyone allowed to send: it has no users to assign or unassign; nothing was changed")
	out, err = e.accounts("", "list")
	require.NoError(t, err)
	assert.Regexp(t, `default +connected +- +FR .* command line +- +default \(everyone allowed\)`, out)
	assert.NotContains(t, out, defaultToken)

	// Alice and Bob have no account of their own: both send from it, with
	// its stored token, connected while the bot ran.
	e.command("https://www.linkedin.com/in/jane-doe Hi from Alice")
	e.finished(1)
	e.commandAs(bob, "https://www.linkedin.com/in/jane-doe Hi from Bob")
	e.finished(2)
	reqs := e.linkup.Requests()
	require.Len(t, reqs, 2)
	for _, r := range reqs {
		assert.Equal(t, defaultToken, r.Body.LoginToken)
	}
	root, _ := e.thread(salesChannel)
	assert.Contains(t, root.Text, "from the *default* account")

	// Once Alice has her own, she sends from it; her form offers both.
	_, err = e.accounts(aliceToken+"\n", "connect", "--name", "alice-li", "--token-stdin", "--user", alice)
	require.NoError(t, err)
	e.command("https://www.linkedin.com/in/jane-doe Mine now")
	e.finished(3)
	assert.Equal(t, aliceToken, e.linkup.Requests()[2].Body.LoginToken)
	e.command("")
	_, view := openedView(t, e, 1)
	sel := element(view, "account")
	require.NotNil(t, sel, "a Send as select")
	assert.Len(t, sel["options"], 2, "own, then the default")

	// Its session expires like any other: said in the thread with the
	// command that connects it again, then refused with no Linkup call.
	e.linkup.SetAnswer(func(w http.ResponseWriter, r *http.Request, req fakelinkup.Request) {
		if req.Body.LoginToken == defaultToken {
			fakelinkup.Reply(w, http.StatusOK, `{"status":"error","message":"LinkedIn session expired, please log in again"}`)
			return
		}
		e.linkup.Deliver(w, r, req)
	})
	e.commandAs(bob, "https://www.linkedin.com/in/jane-doe Expired")
	var outcome string
	e.waitUntil("the outcome in the thread", func() bool {
		for _, p := range e.postsIn(salesChannel) {
			if strings.Contains(p.Text, "expired") {
				outcome = p.Text
			}
		}
		return outcome != ""
	})
	require.Equal(t, 4, e.linkup.Count())
	assert.Contains(t, outcome, "The LinkedIn session of the default account expired")
	assert.Contains(t, outcome, "`linkedin-bot accounts connect --name default`")
	// The default account has no owner: the team's channel is told, once.
	e.waitUntil("the team told", func() bool { return len(e.postsIn(notifyChannel)) == 5 })
	notices := 0
	for _, p := range e.postsIn(notifyChannel) {
		if strings.HasPrefix(p.Text, ":warning: The LinkedIn session of the *default* account expired") {
			notices++
		}
	}
	assert.Equal(t, 1, notices)
	_, ack := e.commandAs(bob, "https://www.linkedin.com/in/jane-doe Refused")
	assert.Contains(t, ackText(t, ack), "The LinkedIn session of the account *default* expired, so nothing was sent")
	assert.Equal(t, 4, e.linkup.Count(), "Linkup was not called")

	_, err = e.accounts("AQEDAsecretFreshDefault\n", "connect", "--name", "default", "--token-stdin")
	require.NoError(t, err, "connected again")
	e.commandAs(bob, "https://www.linkedin.com/in/jane-doe Back")
	e.finished(6)
	require.Equal(t, 5, e.linkup.Count())
	assert.Equal(t, "AQEDAsecretFreshDefault", e.linkup.Requests()[4].Body.LoginToken)
	var doctor strings.Builder
	require.NoError(t, run(context.Background(), []string{"linkedin-bot", "doctor"}, func(k string) string { return e.vars[k] }, &doctor, &strings.Builder{}))
	assert.Contains(t, doctor.String(), "PASS LinkedIn accounts: default account default (connected with accounts connect); 2 connected (alice-li, default)")
	require.NoError(t, e.stop())

	// LINKUP_LOGIN_TOKEN as well would be two default accounts: the bot
	// does not guess which session to send from, and says how to keep one.
	e.vars["LINKUP_LOGIN_TOKEN"] = loginToken
	err = run(context.Background(), []string{"linkedin-bot"}, func(k string) string { return e.vars[k] }, &strings.Builder{}, &strings.Builder{})
	require.ErrorContains(t, err, "the default account default is LINKUP_LOGIN_TOKEN and is also connected with `linkedin-bot accounts connect`")
	assert.ErrorContains(t, err, "linkedin-bot accounts remove --name default")
	doctor.Reset()
	require.Error(t, run(context.Background(), []string{"linkedin-bot", "doctor"}, func(k string) string { return e.vars[k] }, &doctor, &strings.Builder{}))
	assert.Contains(t, doctor.String(), "FAIL LinkedIn accounts: LINKUP_LOGIN_TOKEN: two accounts of one name: the default account default is LINKUP_LOGIN_TOKEN and is also connected")
	assert.Contains(t, doctor.String(), "fix: keep one account of that name: empty LINKUP_LOGIN_TOKEN, or name the default account otherwise with LINKUP_ACCOUNT_NAME, or remove the stored one with linkedin-bot accounts remove --name default")
	_, err = e.accounts("x\n", "connect", "--name", "default", "--token-stdin")
	require.ErrorContains(t, err, "LINKUP_LOGIN_TOKEN is that account")
	_, err = e.accounts("", "remove", "--name", "default")
	require.NoError(t, err, "the accounts command works, to keep one")
	e.start()
	e.commandAs(bob, "https://www.linkedin.com/in/jane-doe From the token")
	e.finished(7)
	assert.Equal(t, loginToken, e.linkup.Requests()[5].Body.LoginToken)
}

// An account named after the default account but connected for some
// people stays theirs: the default is marked when it is connected, never
// taken from a name (as an earlier version let an account be named
// "default").
func TestAnAccountNamedLikeTheDefaultForSomeoneStaysTheirs(t *testing.T) {
	t.Parallel()
	e := startBot(t, map[string]string{"ACCOUNTS_KEY": accountsKey, "LINKUP_LOGIN_TOKEN": "", "LINKUP_ACCOUNT_NAME": "primary"})
	e.secrets = append(e.secrets, defaultToken)
	_, err := e.accounts(aliceToken+"\n", "connect", "--name", "default", "--token-stdin", "--user", alice)
	require.NoError(t, err, "not the default's name here")
	_, err = e.accounts(defaultToken+"\n", "connect", "--name", "primary", "--token-stdin")
	require.NoError(t, err, "the default account, under LINKUP_ACCOUNT_NAME")
	require.NoError(t, e.stop())

	delete(e.vars, "LINKUP_ACCOUNT_NAME") // now "default" names the default account
	e.start()
	_, err = e.accounts(defaultToken+"\n", "connect", "--name", "default", "--token-stdin")
	require.ErrorContains(t, err, "an account named default exists and is not the default account")
	out, err := e.accounts("", "list")
	require.NoError(t, err)
	assert.Regexp(t, `default +connected +`+alice+` .* own`, out)
	assert.Contains(t, out, "was the default: LINKUP_ACCOUNT_NAME names another (accounts remove it)")

	_, ack := e.commandAs(bob, "https://www.linkedin.com/in/jane-doe Not Alice's")
	assert.Contains(t, ackText(t, ack), "You have no LinkedIn account to send from, so nothing was sent.", "neither Alice's account nor the one that was the default")
	assert.Zero(t, e.linkup.Count())
	e.command("https://www.linkedin.com/in/jane-doe Alice's own")
	e.finished(1)
	require.Equal(t, 1, e.linkup.Count())
	assert.Equal(t, aliceToken, e.linkup.Requests()[0].Body.LoginToken, "with its own token, not the Linkup client's")
}
