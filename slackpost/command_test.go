package slackpost

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCommandsPasteSafely: a command line built from any name gives the
// shell exactly that name as one argument, and runs nothing else.
func TestCommandsPasteSafely(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no POSIX shell here to paste into")
	}
	for _, name := range []string{
		"alice-li",
		"John Smith",
		"John Smith (U0JOHN002)",
		"x $(echo RAN >&2) y",
		"x `echo RAN >&2` y",
		"it's Bob's",
		`"double" and \backslash\ and $HOME and !bang`,
		"two\nlines; echo RAN >&2",
		"'",
		"",
		"* ? [a] ~ # & | ; < > { }",
	} {
		t.Run(name, func(t *testing.T) {
			hint := Command("linkedin-bot", "accounts", "connect", "--name", name)
			require.True(t, strings.HasPrefix(hint, "`") && strings.HasSuffix(hint, "`"), hint)
			line := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(hint[1 : len(hint)-1]) // as Slack shows it
			// The pasted line, with linkedin-bot a function printing its arguments
			// (named lb: a POSIX function name has no dash).
			require.True(t, strings.HasPrefix(line, "linkedin-bot "), line)
			cmd := exec.Command(sh, "-c", `lb() { for a in "$@"; do printf '%s\0' "$a"; done; }
lb `+strings.TrimPrefix(line, "linkedin-bot "))
			var out, errOut strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errOut
			require.NoError(t, cmd.Run(), "the line: %s\n%s", line, errOut.String())
			assert.Empty(t, errOut.String(), "nothing ran")
			assert.Equal(t, []string{"accounts", "connect", "--name", name, ""}, strings.Split(out.String(), "\x00"))
		})
	}
	assert.Equal(t, "`linkedin-bot accounts connect --name alice-li`", Command("linkedin-bot", "accounts", "connect", "--name", "alice-li"), "a plain name is not quoted")
	assert.Equal(t, "`--name 'a &lt;b&gt;'`", Command("--name", "a <b>"), "inert in Slack")
}
