package main

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/pgtest"
	"linkedin-bot/store"
)

const newAccountsKey = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=" // 32 bytes, base64

// TestACopiedTokenSendsNothing: Bob's sealed token copied into Alice's row
// (by someone who can write the log, or from a backup) does not open there:
// her send fails, saying why, and nothing goes to Linkup from it.
func TestACopiedTokenSendsNothing(t *testing.T) {
	t.Parallel()
	e := startBot(t, map[string]string{"ACCOUNTS_KEY": accountsKey})
	_, err := e.accounts(aliceToken+"\n", "connect", "--name", "alice-li", "--token-stdin", "--user", alice)
	require.NoError(t, err)
	_, err = e.accounts(teamToken+"\n", "connect", "--name", "bob-li", "--token-stdin", "--user", bob)
	require.NoError(t, err)
	require.NoError(t, e.stop())

	db, err := sql.Open("sqlite", filepath.Join(e.vars["DATA_DIR"], store.FileName))
	require.NoError(t, err)
	res, err := db.Exec(`UPDATE accounts SET token = (SELECT token FROM accounts WHERE name = 'bob-li') WHERE name = 'alice-li'`)
	require.NoError(t, err)
	n, _ := res.RowsAffected()
	require.EqualValues(t, 1, n)
	require.NoError(t, db.Close())

	e.start()
	e.command(jane + " From Alice")
	e.finished(1)
	_, replies := e.thread(salesChannel)
	require.Len(t, replies, 1)
	assert.Contains(t, replies[0].Text, "The alice-li account cannot be used (the stored token of account alice-li does not open with ACCOUNTS_KEY as this account's (it was sealed for another account, or damaged)")
	assert.Zero(t, e.linkup.Count(), "nothing sent with Bob's session")

	e.commandAs(bob, jane+" From Bob")
	e.finished(2)
	require.Equal(t, 1, e.linkup.Count())
	assert.Equal(t, teamToken, e.linkup.Requests()[0].Body.LoginToken, "in its own row it opens")
}

// TestRekeyWhileTheBotRuns: `accounts rekey` re-seals every token under
// the new key while the bot runs; the running bot, still on the old key,
// sends nothing from the accounts and says why; restarted with the new key
// it sends again. A wrong old key changes nothing. On SQLite and, with
// TEST_DATABASE_URL, on PostgreSQL.
func TestRekeyWhileTheBotRuns(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		testRekeyWhileTheBotRuns(t, map[string]string{"ACCOUNTS_KEY": accountsKey})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		testRekeyWhileTheBotRuns(t, map[string]string{"ACCOUNTS_KEY": accountsKey, "DATABASE_URL": pgtest.Schema(t)})
	})
}

func testRekeyWhileTheBotRuns(t *testing.T, vars map[string]string) {
	e := startBot(t, vars)
	e.secrets = append(e.secrets, newAccountsKey)
	_, err := e.accounts(aliceToken+"\n", "connect", "--name", "alice-li", "--token-stdin", "--user", alice)
	require.NoError(t, err)
	e.command(jane + " Before")
	e.finished(1)

	// A wrong old key: refused, nothing changed.
	e.vars["ACCOUNTS_KEY"], e.vars["ACCOUNTS_KEY_OLD"] = newAccountsKey, "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY="
	out, err := e.accounts("", "rekey")
	require.Error(t, err, out)
	assert.Contains(t, err.Error(), "ACCOUNTS_KEY_OLD: is not the key the stored accounts are encrypted with (nothing was changed)")
	e.command(jane + " Still on the old key")
	e.finished(2)
	require.Equal(t, 2, e.linkup.Count())

	// The old key on standard input (ACCOUNTS_KEY_OLD, when set, wins).
	e.vars["ACCOUNTS_KEY_OLD"] = ""
	out, err = e.accounts(accountsKey+"\n", "rekey")
	require.NoError(t, err)
	assert.Contains(t, out, "Re-sealed 1 tokens under the new ACCOUNTS_KEY. Restart every bot with the new ACCOUNTS_KEY now")

	e.command(jane + " After the rekey, before the restart")
	e.finished(3)
	assert.Len(t, e.inThreadAny("re-sealed under another ACCOUNTS_KEY (linkedin-bot accounts rekey) since this program started: nothing was changed; restart it with the new ACCOUNTS_KEY"), 1)
	assert.Equal(t, 2, e.linkup.Count(), "nothing sent with a token the bot cannot open")

	require.NoError(t, e.stop())
	e.start() // with the new key
	e.command(jane + " After the restart")
	e.finished(4)
	require.Equal(t, 3, e.linkup.Count())
	assert.Equal(t, aliceToken, e.linkup.Requests()[2].Body.LoginToken)
	out, err = e.accounts("", "rekey")
	require.NoError(t, err)
	assert.Contains(t, out, "Nothing to re-seal")
}
