package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/pgtest"
)

func TestTheBotRunsOnPostgreSQL(t *testing.T) {
	t.Parallel()
	url := pgtest.Schema(t)
	e := startBot(t, map[string]string{"DATABASE_URL": url, "ACCOUNTS_KEY": accountsKey})
	assert.Contains(t, e.logs.String(), `"log":"DATABASE_URL (database test on 127.0.0.1:5432)"`)

	// The command line works on the same database while the bot runs.
	_, err := e.accounts(aliceToken+"\n", "connect", "--name", "alice-li", "--token-stdin", "--user", alice)
	require.NoError(t, err)
	e.command(jane + " Hi from PostgreSQL")
	e.finished(1)
	require.Equal(t, 1, e.linkup.Count())
	assert.Equal(t, aliceToken, e.linkup.Requests()[0].Body.LoginToken)
	_, replies := e.thread(salesChannel)
	require.Len(t, replies, 1)
	assert.Contains(t, replies[0].Text, "Sent on LinkedIn")

	// One bot per database for now: a second one is refused, naming it.
	vars := map[string]string{}
	for k, v := range e.vars {
		vars[k] = v
	}
	vars["DATA_DIR"] = t.TempDir()
	err = run(context.Background(), []string{"linkedin-bot"}, func(k string) string { return vars[k] }, &strings.Builder{}, &strings.Builder{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "another linkedin-bot is running on this database")

	var out strings.Builder
	require.NoError(t, run(context.Background(), []string{"linkedin-bot", "doctor"}, func(k string) string { return e.vars[k] }, &out, &strings.Builder{}))
	assert.Regexp(t, `PASS DATABASE_URL \(database test on 127.0.0.1:5432\): PostgreSQL [0-9.]+ .*reachable, schema version 2 \(current\), a bot is running on it \(seen in the last minute: [^)]+\)`, out.String())
	assert.Contains(t, out.String(), "PASS LinkedIn accounts: default account default; 1 connected (alice-li)")

	out.Reset()
	require.NoError(t, run(context.Background(), []string{"linkedin-bot", "history"}, func(k string) string { return e.vars[k] }, &out, &strings.Builder{}))
	assert.Contains(t, out.String(), "U0ALICE01  alice-li  sent   1        1         "+jane)

	// A restart finds everything in the database, and DATA_DIR holds nothing.
	require.NoError(t, e.stop())
	e.start()
	e.command(jane + " Hi from PostgreSQL") // a new request, its own send
	e.finished(2)
	require.Equal(t, 2, e.linkup.Count())
	require.NoError(t, e.stop())
	entries, err := os.ReadDir(e.vars["DATA_DIR"])
	require.NoError(t, err)
	assert.Empty(t, entries, "with DATABASE_URL, DATA_DIR holds no state and no lock")
	out.Reset()
	require.NoError(t, run(context.Background(), []string{"linkedin-bot", "doctor"}, func(k string) string { return e.vars[k] }, &out, &strings.Builder{}))
	assert.Contains(t, out.String(), "no bot running on it")
}
