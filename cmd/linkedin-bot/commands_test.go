package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/store"
)

// cli runs `linkedin-bot args…` with vars as the environment, in a working
// folder without .env, and returns what it printed on each output.
func cli(t *testing.T, vars map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut strings.Builder
	err = run(context.Background(), append([]string{"linkedin-bot"}, args...), func(k string) string { return vars[k] }, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestTheUsageListsEveryCommand(t *testing.T) {
	commands := commandsIn(usage)
	for _, c := range []string{"doctor", "history", "accounts", "health", "version"} {
		assert.Contains(t, commands, c)
	}
	var subs []string
	for _, c := range accountsCommands {
		subs = append(subs, c.name)
	}
	assert.Equal(t, subs, commandsIn(accountsUsage), "accounts -h lists every accounts command, rekey included, in order")
}

func TestATypoGetsDidYouMean(t *testing.T) {
	inFolder(t, "")
	for typo, want := range map[string]string{
		"histroy": `unknown command "histroy"; did you mean history? (linkedin-bot help lists the commands)`,
		"acounts": `unknown command "acounts"; did you mean accounts? (linkedin-bot help lists the commands)`,
		"doctr":   `unknown command "doctr"; did you mean doctor? (linkedin-bot help lists the commands)`,
		"helth":   `unknown command "helth"; did you mean health? (linkedin-bot help lists the commands)`,
		"helpp":   `unknown command "helpp"; did you mean help? (linkedin-bot help lists the commands)`,
		"launch":  `unknown command "launch": linkedin-bot help lists the commands`,
	} {
		_, stderr, err := cli(t, nil, typo)
		require.Error(t, err)
		assert.Equal(t, want, err.Error())
		assert.NotContains(t, stderr, "usage: linkedin-bot", "the error alone, not buried under the usage")
	}
	vars := map[string]string{"DATA_DIR": filepath.Join(t.TempDir(), "data")}
	_, stderr, err := cli(t, vars, "accounts", "bogus", "--name", "x")
	assert.EqualError(t, err, `unknown accounts command "bogus": use one of list, connect, assign, unassign, remove, rekey`)
	assert.NotContains(t, stderr, "usage: linkedin-bot accounts COMMAND")
	_, _, err = cli(t, vars, "accounts", "lst")
	assert.EqualError(t, err, `unknown accounts command "lst"; did you mean list? (the commands: list, connect, assign, unassign, remove, rekey)`)
	_, statErr := os.Stat(vars["DATA_DIR"])
	assert.True(t, os.IsNotExist(statErr), "nothing created")
}

func TestEachAccountsCommandsHelpShowsItsFlagsOnce(t *testing.T) {
	inFolder(t, "")
	want := map[string][]string{
		"list":     nil,
		"connect":  {"-name", "-country", "-user", "-token-stdin"},
		"assign":   {"-name", "-user"},
		"unassign": {"-name", "-user"},
		"remove":   {"-name"},
		"rekey":    nil,
	}
	all := []string{"-name", "-country", "-user", "-token-stdin"}
	for sub, flags := range want {
		for _, h := range []string{"-h", "--help"} {
			stdout, stderr, err := cli(t, nil, "accounts", sub, h)
			require.NoError(t, err, sub)
			assert.Empty(t, stderr, sub)
			assert.Equal(t, 1, strings.Count(stdout, "usage: linkedin-bot accounts "+sub), "%s: once: %s", sub, stdout)
			for _, f := range all {
				shown := regexp.MustCompile(`(?m)^  ` + f + `\b`).MatchString(stdout)
				assert.Equal(t, slices.Contains(flags, f), shown, "%s: %s shown: %v", sub, f, shown)
			}
		}
	}
}

func TestAccountsListReadsOnlyAndNeedsNoKey(t *testing.T) {
	inFolder(t, "")
	dir := filepath.Join(t.TempDir(), "data")
	stdout, _, err := cli(t, map[string]string{"DATA_DIR": dir}, "accounts", "list")
	require.NoError(t, err)
	assert.Equal(t, "No accounts: no send log in "+dir+" (check DATA_DIR; the bot creates the log at its first start).\n", stdout)
	_, statErr := os.Stat(dir)
	assert.True(t, os.IsNotExist(statErr), "list creates no log")

	withKey := map[string]string{"DATA_DIR": dir, "ACCOUNTS_KEY": accountsKey}
	var out strings.Builder
	require.NoError(t, accountsCmd(context.Background(), []string{"connect", "--name", "alice-li", "--token-stdin", "--user", alice}, func(k string) string { return withKey[k] }, strings.NewReader(aliceToken+"\n"), &out, &out))
	require.NoError(t, accountsCmd(context.Background(), []string{"connect", "--name", "recruiting", "--token-stdin", "--user", alice, "--user", bob}, func(k string) string { return withKey[k] }, strings.NewReader(teamToken+"\n"), &out, &out))
	require.NoError(t, accountsCmd(context.Background(), []string{"connect", "--name", "spare", "--token-stdin"}, func(k string) string { return withKey[k] }, strings.NewReader("AQEDAsecretSpare\n"), &out, &out))
	before, err := os.ReadFile(filepath.Join(dir, store.FileName))
	require.NoError(t, err)

	stdout, _, err = cli(t, map[string]string{"DATA_DIR": dir, "LINKUP_LOGIN_TOKEN": loginToken}, "accounts", "list")
	require.NoError(t, err, "no ACCOUNTS_KEY needed")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 5, stdout)
	assert.Equal(t, "Default account: default (LINKUP_LOGIN_TOKEN), for everyone allowed to send who has no other.", lines[0])
	assert.Regexp(t, `^NAME +STATE +USERS +COUNTRY +CONNECTED \(UTC\) +BY +OWNER +KIND$`, lines[1])
	assert.Regexp(t, `^alice-li +connected +`+alice+` +FR +\S+ \S+ +command line +`+alice+` +own$`, lines[2])
	assert.Regexp(t, `^recruiting +connected +`+alice+`,`+bob+` +FR +.* +- +shared$`, lines[3])
	assert.Regexp(t, `^spare +connected +- +FR +.* +- +no users yet \(accounts assign\)$`, lines[4])
	for _, secret := range []string{aliceToken, teamToken, loginToken} {
		assert.NotContains(t, stdout, secret)
	}
	after, err := os.ReadFile(filepath.Join(dir, store.FileName))
	require.NoError(t, err)
	assert.Equal(t, before, after, "list wrote nothing")

	// Unassigning or removing an account that does not exist fails, naming it.
	_, _, err = cli(t, withKey, "accounts", "unassign", "--name", "ghost", "--user", alice)
	assert.EqualError(t, err, `accounts unassign: there is no account "ghost" (accounts list shows them); nothing was changed`)
	_, _, err = cli(t, withKey, "accounts", "remove", "--name", "ghost")
	assert.EqualError(t, err, `accounts remove: there is no account "ghost" (accounts list shows them)`)
	stdout, _, err = cli(t, withKey, "accounts", "unassign", "--name", "recruiting", "--user", bob)
	require.NoError(t, err)
	assert.Equal(t, "recruiting: may no longer be used by "+bob+"\n", stdout)
}
