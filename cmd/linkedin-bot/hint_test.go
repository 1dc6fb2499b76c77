package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pastedArgs pastes the `linkedin-bot accounts connect --name …` command
// of a Slack text into a POSIX shell, with linkedin-bot a function that
// prints its arguments, and returns them and what else the shell wrote.
func pastedArgs(t *testing.T, text string) (args []string, stderr string) {
	t.Helper()
	const start = "`linkedin-bot accounts connect --name "
	i := strings.Index(text, start)
	require.GreaterOrEqual(t, i, 0, "no command in %q", text)
	rest := text[i+len("`linkedin-bot "):]
	line := rest[:strings.Index(rest, "`")]
	line = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(line) // as Slack shows it
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no POSIX shell here to paste into")
	}
	cmd := exec.Command(sh, "-c", `lb() { for a in "$@"; do printf '%s\0' "$a"; done; }
lb `+line)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	require.NoError(t, cmd.Run(), "the line: %s\n%s", line, errOut.String())
	args = strings.Split(out.String(), "\x00")
	return args[:len(args)-1], errOut.String()
}

// TestReconnectHintsPasteSafely: every hint that tells an admin how to
// reconnect an account (its expiry in the thread, the DM to its owner, the
// refusal of the next send) quotes its name for a POSIX shell: pasted, it
// gives exactly that name, and runs nothing.
func TestReconnectHintsPasteSafely(t *testing.T) {
	t.Parallel()
	const name = `John Smith $(echo RAN >&2) "d" 'q' <b> & $HOME`
	e := startBot(t, map[string]string{"ACCOUNTS_KEY": accountsKey})
	_, err := e.accounts(aliceToken+"\n", "connect", "--name", name, "--token-stdin", "--user", alice)
	require.NoError(t, err)
	e.linkup.Expire(aliceToken)
	e.command(jane + " First")
	e.finished(1)
	dm := "D" + alice[1:]
	e.waitUntil("the DM to its owner", func() bool { return len(e.postsIn(dm)) == 1 })
	_, ack := e.command(jane + " Second")
	hints := map[string]string{
		"the thread":    e.inThreadAny("expired")[0].Text,
		"the DM":        e.postsIn(dm)[0].Text,
		"the next send": ackText(t, ack),
	}
	for where, text := range hints {
		args, stderr := pastedArgs(t, text)
		assert.Equal(t, []string{"accounts", "connect", "--name", name}, args, "%s: %s", where, text)
		assert.Empty(t, stderr, "%s: nothing ran", where)
	}
	assert.Equal(t, 1, e.linkup.Count())
}
