package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
)

// migrations are the v2 logins that migrated a login token.
func migrations(lk *fakelinkup.Server) int {
	n := 0
	for _, c := range lk.AuthCalls() {
		if c.Path == "/v2/login" && c.Body["login_token"] != nil {
			n++
		}
	}
	return n
}

// On LINKUP_API_VERSION=v2 (issue 23) every send and every read goes
// through v2 with the account's persistent account ID, got once per
// account by migrating its login token and kept across restarts.
func TestSendsAndRepliesOnV2(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	lk.AddLogin(fakelinkup.Login{Email: "alice@example.com", Token: aliceToken, Name: "Alice Martin"})
	e := startBotWith(t, lk, bridgeVars(map[string]string{"ACCOUNTS_KEY": accountsKey, "LINKUP_API_VERSION": "v2"}))
	_, err := e.accounts(aliceToken+"\n", "connect", "--name", "alice-li", "--token-stdin", "--user", alice)
	require.NoError(t, err)

	e.commandAs(bob, jane+" Hi from the team")
	e.finished(1)
	e.command(jane + " Hi from Alice")
	e.finished(2)
	e.commandAs(bob, jane+" Again from the team")
	e.finished(3)
	reqs := lk.Requests()
	require.Len(t, reqs, 3)
	for _, r := range reqs {
		assert.Equal(t, "v2", r.Version)
		assert.Empty(t, r.Body.LoginToken, "v2 names the account by its ID, never its token")
	}
	assert.Equal(t, lk.AccountID(loginToken), reqs[0].AccountID, "the default account")
	assert.Equal(t, lk.AccountID(aliceToken), reqs[1].AccountID, "Alice's own")
	assert.Equal(t, reqs[0].AccountID, reqs[2].AccountID)
	assert.Equal(t, 2, migrations(lk), "one migration per account, not per send")

	// A reply comes back through v2's reads, once.
	lk.ReplyIn(loginToken, jane, "Thanks, team")
	mirrored := func() int {
		n := 0
		for _, p := range e.postsIn(salesChannel) {
			if p.ThreadTS != "" && strings.Contains(p.Text, "Thanks, team") {
				n++
			}
		}
		return n
	}
	e.waitUntil("the reply in a thread of its conversation", func() bool { return mirrored() == 1 })
	assert.Empty(t, lk.Reads(inboxPath), "no v1 read")
	assert.NotEmpty(t, lk.Reads(fakelinkup.InboxV2))
	for _, r := range lk.Reads("") {
		assert.Equal(t, "v2", r.Version, r.Path)
	}

	// A restart logs in to nothing again: the IDs are kept.
	require.NoError(t, e.stop())
	e.start()
	e.commandAs(bob, jane+" After the restart")
	e.finished(4)
	e.command(jane + " Alice after the restart")
	e.finished(5)
	assert.Equal(t, 2, migrations(lk), "no migration after a restart")
	assert.Equal(t, 1, mirrored(), "mirrored once")
	// The two sends may reach Linkup in either order (finished counts
	// notification lines, and the reply's may be one): name each by its text.
	e.waitUntil("five sends at Linkup", func() bool { return len(lk.Requests()) >= 5 })
	assert.Len(t, lk.Requests(), 5)
	byText := map[string]string{}
	for _, r := range lk.Requests() {
		byText[r.Body.MessageText] = r.AccountID
	}
	assert.Equal(t, lk.AccountID(loginToken), byText["After the restart"], "the default account after the restart")
	assert.Equal(t, lk.AccountID(aliceToken), byText["Alice after the restart"], "Alice's own after the restart")
}

// v2's refusals are refusals (nothing sent, nothing spent), its 5xx is
// unknown and never resent, a refused key is the admin's (no account is
// expired), and an inactive account is expired and told.
func TestV2ErrorsGetTheirOutcomes(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	lk.AddLogin(fakelinkup.Login{Email: "alice@example.com", Token: aliceToken, Name: "Alice Martin"})
	e := startBotWith(t, lk, map[string]string{"ACCOUNTS_KEY": accountsKey, "LINKUP_API_VERSION": "v2"})
	_, err := e.accounts(aliceToken+"\n", "connect", "--name", "alice-li", "--token-stdin", "--user", alice)
	require.NoError(t, err)
	for i, c := range []struct {
		status     int
		code, says string
	}{
		{400, "INVALID_PARAMS", "Linkup refused the message: Invalid parameter."},
		{500, "INTERNAL_ERROR", "may or may not have been sent"},
		{403, "INVALID_API_KEY", "an admin must check LINKUP_API_KEY"},
		{402, "INSUFFICIENT_CREDITS", "has no credits left"},
		{403, "ACCOUNT_INACTIVE", "The LinkedIn session of the alice-li account expired"},
	} {
		lk.SetAnswer(func(w http.ResponseWriter, _ *http.Request, _ fakelinkup.Request) {
			msg := map[string]string{"INVALID_PARAMS": "Invalid parameter"}[c.code]
			fakelinkup.ReplyV2Error(w, c.status, c.code, msg+"")
		})
		e.command(jane + " Attempt " + c.code)
		e.finished(i + 1)
		require.Equal(t, i+1, lk.Count(), "%s: sent once, never again", c.code)
		_, replies := e.thread(salesChannel)
		found := false
		for _, p := range e.postsIn(salesChannel) {
			if strings.Contains(p.Text, c.says) {
				found = true
			}
		}
		assert.True(t, found, "%s: the thread says %q (%d replies)", c.code, c.says, len(replies))
		out, _ := e.accounts("", "list")
		if c.code == "ACCOUNT_INACTIVE" {
			assert.Contains(t, out, "alice-li  expired")
		} else {
			assert.Contains(t, out, "alice-li  connected", "%s expires no account", c.code)
		}
	}
	_, ack := e.command(jane + " Refused at once")
	assert.Contains(t, ackText(t, ack), "The LinkedIn session of the account *alice-li* expired")
	assert.Equal(t, 5, lk.Count())
}

// doctor on v2 proves the key with a free call.
func TestDoctorOnV2ChecksTheKey(t *testing.T) {
	t.Parallel()
	e := startBot(t, map[string]string{"LINKUP_API_VERSION": "v2"})
	var out strings.Builder
	require.NoError(t, run(context.Background(), []string{"linkedin-bot", "doctor"}, func(k string) string { return e.vars[k] }, &out, &strings.Builder{}))
	assert.Contains(t, out.String(), "PASS Linkup: API v2 at "+e.linkup.URL()+": the key is accepted (GET /v2/accounts, free)")
	assert.Contains(t, out.String(), "info reply bridge: live: each account read gets a Linkup webhook", "doctor says replies come live")
	e.linkup.SetAPIKey("another-key")
	out.Reset()
	require.Error(t, run(context.Background(), []string{"linkedin-bot", "doctor"}, func(k string) string { return e.vars[k] }, &out, &strings.Builder{}))
	assert.Contains(t, out.String(), "FAIL Linkup: Linkup refused LINKUP_API_KEY (HTTP 403)")
}

// A Slack file goes to v2 as media_file {data, filename}, intact.
func TestTheMessageShortcutsFileOnV2(t *testing.T) {
	t.Parallel()
	e := startBot(t, map[string]string{"LINKUP_API_VERSION": "v2"})
	obj, content := e.addFile("F1", "deck.pdf", "pdf", "application/pdf", 300_000, nil)
	view := e.shortcut("Our deck", []map[string]any{obj})
	e.submitView(view, map[string]any{"recipient": jane, "message": "Our deck", "attachment": selected("F1")})
	notice := e.finished(1)
	reqs := e.linkup.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "v2", reqs[0].Version)
	assert.Equal(t, "deck.pdf", reqs[0].MediaName)
	assert.True(t, bytes.Equal(content, reqs[0].Media), "Linkup got exactly the file")
	assert.Contains(t, notice.Text, "sent, 2 credits")
}
