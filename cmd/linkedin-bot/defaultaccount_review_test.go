package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/internal/pgtest"
)

// Alice's own account is named "default" (connected while
// LINKUP_ACCOUNT_NAME named another, or by an earlier version), and the
// default account, LINKUP_LOGIN_TOKEN, is named "default" again: two
// sessions under one name. The bot does not start (a hostile review found
// it sent Alice's messages with the team's session, and let anyone retry
// them); doctor says why, and Alice's account goes on with its own session
// once the default is named otherwise.
func TestALoginTokenDefaultNamedLikeSomeonesAccountDoesNotStart(t *testing.T) {
	t.Parallel()
	e := startBot(t, map[string]string{"ACCOUNTS_KEY": accountsKey, "LINKUP_LOGIN_TOKEN": "", "LINKUP_ACCOUNT_NAME": "primary"})
	_, err := e.accounts(aliceToken+"\n", "connect", "--name", "default", "--token-stdin", "--user", alice)
	require.NoError(t, err, "not the default's name here")
	require.NoError(t, e.stop())

	delete(e.vars, "LINKUP_ACCOUNT_NAME")
	e.vars["LINKUP_LOGIN_TOKEN"] = loginToken
	err = run(context.Background(), []string{"linkedin-bot"}, func(k string) string { return e.vars[k] }, &strings.Builder{}, &strings.Builder{})
	require.ErrorContains(t, err, "configuration: LINKUP_LOGIN_TOKEN: two accounts of one name: LINKUP_LOGIN_TOKEN's default account is named default, and so is a stored account (of "+alice+")")
	assert.ErrorContains(t, err, "give the default account another name with LINKUP_ACCOUNT_NAME, or remove the stored one with linkedin-bot accounts remove --name default")
	var doctor strings.Builder
	require.Error(t, run(context.Background(), []string{"linkedin-bot", "doctor"}, func(k string) string { return e.vars[k] }, &doctor, &strings.Builder{}))
	assert.Contains(t, doctor.String(), "FAIL LinkedIn accounts: LINKUP_LOGIN_TOKEN: two accounts of one name")

	e.vars["LINKUP_ACCOUNT_NAME"] = "team"
	e.start()
	e.command("https://www.linkedin.com/in/jane-doe Hi, Alice from her own profile")
	e.finished(1)
	e.commandAs(bob, "https://www.linkedin.com/in/jane-doe Hi, from the team")
	e.finished(2)
	reqs := e.linkup.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, aliceToken, reqs[0].Body.LoginToken, "Alice's own account goes out with its own session")
	assert.Equal(t, loginToken, reqs[1].Body.LoginToken)
}

// `accounts unassign` on the default account is refused, as assign is: it
// said it worked, and everyone allowed could still send from it.
func TestUnassignOnTheDefaultAccountIsRefused(t *testing.T) {
	t.Parallel()
	e := startBot(t, map[string]string{"ACCOUNTS_KEY": accountsKey, "LINKUP_LOGIN_TOKEN": ""})
	e.secrets = append(e.secrets, defaultToken)
	_, err := e.accounts(defaultToken+"\n", "connect", "--name", "default", "--token-stdin")
	require.NoError(t, err)
	out, err := e.accounts("", "unassign", "--name", "default", "--user", bob)
	assert.NotContains(t, out, "may no longer be used by "+bob, "Bob still may: it is the default account")
	require.ErrorContains(t, err, "accounts unassign: default was connected as the default account, for everyone allowed to send: it has no users to assign or unassign; nothing was changed")
	e.commandAs(bob, "https://www.linkedin.com/in/jane-doe Still from the default")
	e.finished(1)
	require.Equal(t, 1, e.linkup.Count())
}

// With ACCOUNT_SELF_SERVICE on, the thread of an expired default account
// names the admin's command, not an owner's /linkedin-send connect (which
// never connects the default account).
func TestAnExpiredDefaultAccountIsTheAdminsToConnect(t *testing.T) {
	t.Parallel()
	e := startBot(t, map[string]string{"ACCOUNTS_KEY": accountsKey, "LINKUP_LOGIN_TOKEN": "", "ACCOUNT_SELF_SERVICE": "true"})
	e.secrets = append(e.secrets, defaultToken)
	_, err := e.accounts(defaultToken+"\n", "connect", "--name", "default", "--token-stdin")
	require.NoError(t, err)
	e.linkup.SetAnswer(func(w http.ResponseWriter, r *http.Request, req fakelinkup.Request) {
		fakelinkup.Reply(w, http.StatusOK, `{"status":"error","message":"LinkedIn session expired, please log in again"}`)
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
	require.Contains(t, outcome, "The LinkedIn session of the default account expired")
	assert.NotContains(t, outcome, "Its owner can connect it again with `/linkedin-send connect`", "the default account has no owner, and /linkedin-send connect never connects it")
	assert.Contains(t, outcome, "It is the team's default account: the bot's admin connects it again with `linkedin-bot accounts connect --name default`")
}

// An account named "default" with no users (as an earlier version made
// one) blocks connecting the default account, and the refusal says so
// truly, before any login.
func TestTheRefusalOverAnAccountOfTheDefaultsNameIsTrue(t *testing.T) {
	t.Parallel()
	e := startBot(t, map[string]string{"ACCOUNTS_KEY": accountsKey, "LINKUP_LOGIN_TOKEN": "", "LINKUP_ACCOUNT_NAME": "primary"})
	e.secrets = append(e.secrets, defaultToken)
	_, err := e.accounts(aliceToken+"\n", "connect", "--name", "default", "--token-stdin", "--user", alice)
	require.NoError(t, err)
	_, err = e.accounts("", "unassign", "--name", "default", "--user", alice) // nobody's now
	require.NoError(t, err)
	delete(e.vars, "LINKUP_ACCOUNT_NAME")
	_, err = e.accounts(defaultToken+"\n", "connect", "--name", "default", "--token-stdin")
	require.ErrorContains(t, err, "an account named default exists and is not the default account")
	assert.ErrorContains(t, err, "it may be used by nobody yet, and connecting it as the default would hand it to everyone")
}

// Once LINKUP_ACCOUNT_NAME names another account, the one connected as
// the default is nobody's, and assign's refusal does not say everyone may
// use it.
func TestAssignOnAFormerDefaultSaysWhatItIs(t *testing.T) {
	t.Parallel()
	e := startBot(t, map[string]string{"ACCOUNTS_KEY": accountsKey, "LINKUP_LOGIN_TOKEN": ""})
	e.secrets = append(e.secrets, defaultToken)
	_, err := e.accounts(defaultToken+"\n", "connect", "--name", "default", "--token-stdin")
	require.NoError(t, err)
	e.vars["LINKUP_ACCOUNT_NAME"] = "primary"
	out, _ := e.accounts("", "list")
	require.Contains(t, out, "was the default: LINKUP_ACCOUNT_NAME names another")
	_, err = e.accounts("", "assign", "--name", "default", "--user", bob)
	require.Error(t, err)
	assert.ErrorContains(t, err, "default was connected as the default account")
	assert.NotContains(t, err.Error(), "which everyone allowed to send may use", "nobody may use it now")
}

// The bridge reads the stored default's inbox
// once per poll, with its stored token, into the inbox channel; a reply
// in the thread of Bob's send from it lands in that thread, once.
func TestTheBridgeReadsTheStoredDefaultOnceWithItsToken(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	lk.AddLogin(fakelinkup.Login{Email: "team@example.com", Password: "pw", Token: defaultToken, Name: "Team Account"})
	e := startBotWith(t, lk, bridgeVars(map[string]string{"ACCOUNTS_KEY": accountsKey, "LINKUP_LOGIN_TOKEN": "", "INBOX_CHANNEL": inboxChannel}))
	e.secrets = append(e.secrets, defaultToken)
	_, err := e.accounts(defaultToken+"\n", "connect", "--name", "default", "--token-stdin")
	require.NoError(t, err)
	e.waitUntil("an inbox read", func() bool { return len(lk.Reads(inboxPath)) >= 2 })
	for _, r := range lk.Reads("") {
		assert.Equal(t, defaultToken, r.Body["login_token"], "%s read with the stored token", r.Path)
	}
	e.commandAs(bob, jane+" Hi Jane, from the team")
	e.finished(1)
	root, _ := e.thread(salesChannel)
	lk.ReplyIn(defaultToken, jane, "Thanks, team")
	e.waitUntil("the reply in the thread", func() bool { return len(e.inThread(root.TS, "> Thanks, team")) == 1 })
	carol := "https://www.linkedin.com/in/carol-new"
	lk.AddConversation(fakelinkup.Person{Name: "Carol New", ProfileURL: carol})
	lk.ReplyIn(defaultToken, carol, "Hello team")
	e.waitUntil("Carol in the inbox channel", func() bool { return len(e.postsIn(inboxChannel)) >= 2 })
	e.waitPolls(2)
	assert.Len(t, e.inThread(root.TS, "> Thanks, team"), 1)
	n := 0
	for _, p := range e.postsIn(inboxChannel) {
		if strings.Contains(p.Text, "Hello team") {
			n++
		}
	}
	assert.Equal(t, 1, n)
	for _, r := range lk.Reads("") {
		assert.Equal(t, defaultToken, r.Body["login_token"], "%s read with the stored token", r.Path)
	}
}

// Rekey re-seals the stored default; before
// the restart nothing goes from it, after it goes with its own token.
func TestRekeyWithAStoredDefault(t *testing.T) {
	t.Parallel()
	e := startBot(t, map[string]string{"ACCOUNTS_KEY": accountsKey, "LINKUP_LOGIN_TOKEN": ""})
	e.secrets = append(e.secrets, defaultToken, newAccountsKey)
	_, err := e.accounts(defaultToken+"\n", "connect", "--name", "default", "--token-stdin")
	require.NoError(t, err)
	e.vars["ACCOUNTS_KEY"] = newAccountsKey
	out, err := e.accounts(accountsKey+"\n", "rekey")
	require.NoError(t, err)
	assert.Contains(t, out, "Re-sealed 1 tokens")
	e.commandAs(bob, jane+" Before the restart")
	e.finished(1)
	assert.Zero(t, e.linkup.Count())
	require.NoError(t, e.stop())
	e.start()
	e.commandAs(bob, jane+" After")
	e.finished(2)
	require.Equal(t, 1, e.linkup.Count())
	assert.Equal(t, defaultToken, e.linkup.Requests()[0].Body.LoginToken)
	out, _ = e.accounts("", "list")
	assert.Regexp(t, `default +connected +- .*default \(everyone allowed\)`, out)
}

// Two bots on PostgreSQL share the stored
// default: each send goes once, with its token; once it expired, both
// refuse with no Linkup call.
func TestTwoBotsOnPostgreSQLShareTheStoredDefault(t *testing.T) {
	t.Parallel()
	e := startBotOn(t, 2, fakelinkup.New(), map[string]string{"DATABASE_URL": pgtest.Schema(t), "ACCOUNTS_KEY": accountsKey, "LINKUP_LOGIN_TOKEN": ""})
	e.secrets = append(e.secrets, defaultToken)
	_, err := e.accounts(defaultToken+"\n", "connect", "--name", "default", "--token-stdin")
	require.NoError(t, err)
	e.another(2)
	for i := range 6 {
		e.commandAs(bob, jane+" Two bots "+string(rune('A'+i)))
	}
	e.finished(6)
	require.Equal(t, 6, e.linkup.Count())
	for _, r := range e.linkup.Requests() {
		assert.Equal(t, defaultToken, r.Body.LoginToken)
	}
	e.linkup.SetAnswer(func(w http.ResponseWriter, r *http.Request, req fakelinkup.Request) {
		fakelinkup.Reply(w, http.StatusOK, `{"status":"error","message":"LinkedIn session expired, please log in again"}`)
	})
	e.commandAs(bob, jane+" Expires")
	e.finished(7)
	for i := range 4 {
		_, ack := e.commandAs(bob, jane+" Refused "+string(rune('A'+i)))
		assert.Contains(t, ackText(t, ack), "expired, so nothing was sent")
	}
	settle()
	assert.Equal(t, 7, e.linkup.Count())
}

// The bot runs with LINKUP_LOGIN_TOKEN; the operator does what the
// refusal says (empty LINKUP_LOGIN_TOKEN, to connect the default account
// here instead) and connects it while the bot runs. Until it restarts
// without LINKUP_LOGIN_TOKEN, the running bot sends nothing from the
// default account, and says why: which session would be a guess.
func TestARunningBotWithALoginTokenSendsNothingOnceTheDefaultIsAlsoConnected(t *testing.T) {
	t.Parallel()
	e := startBot(t, map[string]string{"ACCOUNTS_KEY": accountsKey}) // LINKUP_LOGIN_TOKEN set
	e.secrets = append(e.secrets, defaultToken)
	_, err := e.accounts(defaultToken+"\n", "connect", "--name", "default", "--token-stdin")
	require.ErrorContains(t, err, "empty LINKUP_LOGIN_TOKEN to connect the default account here instead")
	e.vars["LINKUP_LOGIN_TOKEN"] = ""
	out, err := e.accounts(defaultToken+"\n", "connect", "--name", "default", "--token-stdin")
	require.NoError(t, err)
	require.Contains(t, out, "the default account: everyone allowed to send")

	e.commandAs(bob, jane+" From the default account")
	e.finished(1)
	assert.Zero(t, e.linkup.Count(), "neither session is guessed")
	_, replies := e.thread(salesChannel)
	require.Len(t, replies, 1)
	assert.Contains(t, replies[0].Text, "LINKUP_LOGIN_TOKEN and is also connected with `linkedin-bot accounts connect`")
	require.NoError(t, e.stop())
	e.start() // without LINKUP_LOGIN_TOKEN now
	e.commandAs(bob, jane+" After the restart")
	e.finished(2)
	require.Equal(t, 1, e.linkup.Count())
	assert.Equal(t, defaultToken, e.linkup.Requests()[0].Body.LoginToken)
}

// Self-service users whose Slack name is the default account's name never
// get it, before a default is connected.
func TestSelfServiceNeverTakesTheDefaultsName(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	lk.AddLogin(fakelinkup.Login{Email: "john@example.com", Password: "pw-john", Token: johnToken})
	lk.AddLogin(fakelinkup.Login{Email: "mallory@example.com", Password: "pw-mallory", Token: malloryToken})
	e := startBotWith(t, lk, map[string]string{"ACCOUNTS_KEY": accountsKey, "ACCOUNT_SELF_SERVICE": "true", "LINKUP_LOGIN_TOKEN": "", "LINKUP_ACCOUNT_NAME": "team"})
	e.secrets = append(e.secrets, johnToken, malloryToken, "pw-john", "pw-mallory", defaultToken)
	e.slack.AddUser(mallory, "team")
	e.slack.AddUser(john, "default")
	assert.NotContains(t, e.selfConnect(mallory, "mallory@example.com", "pw-mallory", 1), "Connected as *team*")
	e.selfConnect(john, "john@example.com", "pw-john", 2)
	_, err := e.accounts(defaultToken+"\n", "connect", "--name", "team", "--token-stdin")
	require.NoError(t, err)
	e.commandAs(bob, jane+" team")
	e.finished(1)
	e.commandAs(mallory, jane+" mallory")
	e.finished(2)
	e.commandAs(john, jane+" john")
	e.finished(3)
	got := map[string]string{}
	for _, r := range lk.Requests() {
		got[r.Body.MessageText] = r.Body.LoginToken
	}
	assert.Equal(t, map[string]string{"team": defaultToken, "mallory": malloryToken, "john": johnToken}, got)
}

// The stored default's session expires and the reply bridge is the first
// to find it: it is marked expired and no longer read, and the team's
// channel (NOTIFY_CHANNEL) is told, once, with the admin's command (the
// account has no owner to tell; a review found nobody was told).
func TestTheDefaultsExpiryFoundByTheBridgeIsToldToTheTeam(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	lk.AddLogin(fakelinkup.Login{Email: "team@example.com", Password: "pw", Token: defaultToken, Name: "Team Account"})
	e := startBotWith(t, lk, bridgeVars(map[string]string{"ACCOUNTS_KEY": accountsKey, "LINKUP_LOGIN_TOKEN": "", "INBOX_CHANNEL": inboxChannel}))
	e.secrets = append(e.secrets, defaultToken)
	_, err := e.accounts(defaultToken+"\n", "connect", "--name", "default", "--token-stdin")
	require.NoError(t, err)
	e.waitUntil("an inbox read", func() bool { return len(lk.Reads(inboxPath)) >= 1 })
	before := len(e.slack.Posts())
	lk.Expire(defaultToken)
	e.waitUntil("the account marked expired", func() bool {
		out, _ := e.accounts("", "list")
		return strings.Contains(out, "expired")
	})
	e.waitUntil("the team told", func() bool {
		for _, p := range e.slack.Posts()[before:] {
			if p.Channel == notifyChannel && strings.Contains(p.Text, "expired") {
				return true
			}
		}
		return false
	})
	reads := len(lk.Reads(inboxPath))
	time.Sleep(3 * time.Second) // more than a poll interval (REPLY_POLL_MAX 2s); nothing else is read to wait for
	assert.Equal(t, reads, len(lk.Reads(inboxPath)), "no longer read: expired")
	var told []string
	for _, p := range e.slack.Posts()[before:] {
		if strings.Contains(p.Text, "expired") {
			told = append(told, p.Channel+": "+p.Text)
		}
	}
	require.Len(t, told, 1, "told once")
	assert.Contains(t, told[0], notifyChannel+": :warning: The LinkedIn session of the *default* account expired (found while reading its conversations)")
	assert.Contains(t, told[0], "the bot's admin connects it again with `linkedin-bot accounts connect --name default`")
}

// A dry run with a stored default starts,
// calls no Linkup send, and the stored row is untouched.
func TestADryRunWithAStoredDefault(t *testing.T) {
	t.Parallel()
	e := startBot(t, map[string]string{"ACCOUNTS_KEY": accountsKey, "LINKUP_LOGIN_TOKEN": ""})
	e.secrets = append(e.secrets, defaultToken)
	_, err := e.accounts(defaultToken+"\n", "connect", "--name", "default", "--token-stdin")
	require.NoError(t, err)
	require.NoError(t, e.stop())
	e.vars["LINKUP_DRY_RUN"] = "true"
	e.start()
	e.commandAs(bob, jane+" dry")
	assert.Contains(t, e.finished(1).Text, "dry run")
	assert.Zero(t, e.linkup.Count())
	out, _ := e.accounts("", "list")
	assert.Regexp(t, `default +connected +- .*default \(everyone allowed\)`, out)
}
