package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	neturl "net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/internal/fakeslack"
	"linkedin-bot/internal/pgtest"
	"linkedin-bot/store"
)

// another runs one more bot on e's configuration, with a data folder of
// its own, and waits until the fake Slack holds sockets connections; stop
// cancels it, as SIGTERM does, and returns run's error.
func (e *env) another(sockets int) (stop func() error) {
	e.t.Helper()
	vars := maps.Clone(e.vars)
	vars["DATA_DIR"] = e.t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"linkedin-bot"}, func(k string) string { return vars[k] }, &bytes.Buffer{}, e.logs)
	}()
	wctx, cancelWait := context.WithTimeout(context.Background(), waitFor)
	defer cancelWait()
	_, err := e.slack.WaitSockets(wctx, sockets)
	require.NoError(e.t, err)
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	e.t.Cleanup(func() { _ = stop() })
	return stop
}

func TestTheBotRunsOnPostgreSQL(t *testing.T) {
	t.Parallel()
	url := pgtest.Schema(t)
	e := startBotOn(t, 2, fakelinkup.New(), map[string]string{"DATABASE_URL": url, "ACCOUNTS_KEY": accountsKey})
	u, err := neturl.Parse(url)
	require.NoError(t, err)
	assert.Contains(t, e.logs.String(), fmt.Sprintf(`"log":"DATABASE_URL (database %s on %s)"`, strings.TrimPrefix(u.Path, "/"), u.Host),
		"whatever database TEST_DATABASE_URL names")

	// The command line works on the same database while the bot runs.
	_, err = e.accounts(aliceToken+"\n", "connect", "--name", "alice-li", "--token-stdin", "--user", alice)
	require.NoError(t, err)
	e.command(jane + " Hi from PostgreSQL")
	e.finished(1)
	require.Equal(t, 1, e.linkup.Count())
	assert.Equal(t, aliceToken, e.linkup.Requests()[0].Body.LoginToken)
	_, replies := e.thread(salesChannel)
	require.Len(t, replies, 1)
	assert.Contains(t, replies[0].Text, "Sent on LinkedIn")

	// A second bot runs beside it on the same database: the fake Slack
	// hands the envelopes to each in turn, and every request is sent and
	// told once.
	stopSecond := e.another(2)
	for i := range 10 {
		e.command(jane + " Hi from two bots " + string(rune('A'+i)))
	}
	e.finished(11)
	e.waitUntil("every root updated", func() bool { return len(e.slack.Calls("chat.update")) >= 11 })
	require.Equal(t, 11, e.linkup.Count())
	texts := map[string]int{}
	for _, r := range e.linkup.Requests() {
		texts[r.Body.MessageText]++
	}
	assert.Len(t, texts, 11, "each message reached Linkup once")
	assert.Len(t, e.postsIn(notifyChannel), 11, "each notification posted once")
	assert.Equal(t, 1, strings.Count(e.logs.String(), "this bot runs the reply bridge"), "one bot runs the bridge")
	assert.Equal(t, 1, strings.Count(e.logs.String(), "another bot runs the reply bridge"))

	var out strings.Builder
	require.NoError(t, run(context.Background(), []string{"linkedin-bot", "doctor"}, func(k string) string { return e.vars[k] }, &out, &strings.Builder{}))
	assert.Regexp(t, `PASS DATABASE_URL \(database `+regexp.QuoteMeta(strings.TrimPrefix(u.Path, "/")+" on "+u.Host)+`\): PostgreSQL [0-9.]+ .*reachable, schema version [0-9]+ \(current\), bots seen in the last minute: [^,]+, [^;]+; the reply bridge runs on `, out.String())
	assert.Contains(t, out.String(), "PASS LinkedIn accounts: default account default; 1 connected (alice-li)")

	out.Reset()
	require.NoError(t, run(context.Background(), []string{"linkedin-bot", "history"}, func(k string) string { return e.vars[k] }, &out, &strings.Builder{}))
	assert.Contains(t, out.String(), "U0ALICE01  alice-li  sent   1        1         "+jane)

	// The bridge's bot stops: the other takes the bridge over at once.
	require.NoError(t, e.stop())
	e.waitUntil("the bridge taken over", func() bool { return strings.Count(e.logs.String(), "this bot runs the reply bridge") == 2 })
	e.command(jane + " Hi from the one left")
	e.finished(12)
	require.NoError(t, stopSecond())

	// A restart finds everything in the database, and DATA_DIR holds nothing.
	e.start()
	e.command(jane + " Hi after a restart")
	e.finished(13)
	require.Equal(t, 13, e.linkup.Count())
	require.NoError(t, e.stop())
	entries, err := os.ReadDir(e.vars["DATA_DIR"])
	require.NoError(t, err)
	assert.Empty(t, entries, "with DATABASE_URL, DATA_DIR holds no state and no lock")

	// A clean stop wrote every post's record, and no send is held any more.
	log, err := store.OpenPostgres(context.Background(), url, false)
	require.NoError(t, err)
	defer log.Close()
	sends, err := log.List(context.Background(), store.Filter{})
	require.NoError(t, err)
	require.Len(t, sends, 13)
	for _, sd := range sends {
		assert.False(t, sd.Owed(), "send %d: its posts are recorded", sd.ID)
		assert.True(t, sd.LeaseUntil.IsZero(), "send %d: nothing owed, no lease", sd.ID)
	}
	assert.NotContains(t, e.logs.String(), "an earlier try had posted", "no post had to be looked for after a clean stop")
}

func TestAMissingSchemaOrLogOnPostgreSQLIsNamed(t *testing.T) {
	fresh := pgtest.Schema(t)
	u, err := neturl.Parse(fresh)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", "no_such_schema_here")
	u.RawQuery = q.Encode()
	missing := u.String()

	sl := fakeslack.New(fakeslack.Options{AppToken: appToken, BotToken: botToken})
	defer sl.Close()
	lk := fakelinkup.New()
	defer lk.Close()
	vars := map[string]string{
		"SLACK_APP_TOKEN": appToken, "SLACK_BOT_TOKEN": botToken, "SLACK_API_URL": sl.APIURL(),
		"LINKUP_API_KEY": apiKey, "LINKUP_LOGIN_TOKEN": loginToken, "LINKUP_BASE_URL": lk.URL(),
		"DATABASE_URL": missing,
	}
	getenv := func(k string) string { return vars[k] }
	err = run(context.Background(), []string{"linkedin-bot"}, getenv, &strings.Builder{}, &strings.Builder{})
	require.Error(t, err, "the bot stops")
	assert.Contains(t, err.Error(), "DATABASE_URL: no schema of the search_path exists in database "+strings.TrimPrefix(u.Path, "/")+" (search_path is no_such_schema_here): create the schema (CREATE SCHEMA name; as its owner), or fix search_path in DATABASE_URL")
	assert.NotContains(t, err.Error(), "SQLSTATE")
	assert.Zero(t, sl.Opens(), "no request taken")

	var out strings.Builder
	require.Error(t, run(context.Background(), []string{"linkedin-bot", "doctor"}, getenv, &out, &strings.Builder{}))
	assert.Contains(t, out.String(), "FAIL "+store.Where{URL: missing}.String()+": DATABASE_URL: no schema of the search_path exists")
	assert.Contains(t, out.String(), "fix: create the schema in that database (CREATE SCHEMA name;), or fix search_path in DATABASE_URL")

	// A database the bot never ran on has no log yet: said, not a raw SQL error.
	vars["DATABASE_URL"] = fresh
	out.Reset()
	err = run(context.Background(), []string{"linkedin-bot", "history"}, getenv, &out, &strings.Builder{})
	require.Error(t, err)
	assert.Regexp(t, `^history: no send log yet in this database \(schema t_\S+; the bot creates it at its first start\)$`, err.Error())
}
