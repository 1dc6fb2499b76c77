package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/slackpost"
	"linkedin-bot/store"
)

// sealer opens what the test bot sealed: its key comes from the bot token.
func sealer() *slackpost.Sealer { return slackpost.NewSealer(botToken) }

// assertMeta checks a form's private_metadata: its response_url ("r") is
// sealed for user and opens to wantURL, and the rest is want.
func assertMeta(t *testing.T, want, wantURL, user, got string) {
	t.Helper()
	assert.NotContains(t, got, "/response/", "no response_url in clear")
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(got), &m))
	r, _ := m["r"].(string)
	opened, ok := sealer().Open(r, user)
	assert.True(t, ok, "the response_url opens for %s", user)
	assert.Equal(t, wantURL, opened)
	delete(m, "r")
	b, _ := json.Marshal(m)
	assert.JSONEq(t, want, string(b))
}

// A response_url is kept sealed in the log and in a form's
// private_metadata (I4rest), and still answers where the bot cannot post.
func TestResponseURLsAreSealedAtRest(t *testing.T) {
	e := startBot(t, nil)
	e.slack.FailPosts(salesChannel, "not_in_channel")

	e.command("https://www.linkedin.com/in/jane-doe Hello from a private channel")
	e.finished(1)
	e.command("") // the form, whose submission answers through the command's response_url
	_, view := openedView(t, e, 1)
	md := view["private_metadata"].(string)
	id, f := e.submission("V1", md, map[string]string{"recipient": "https://www.linkedin.com/in/jane-doe", "message": "Hello from the form"})
	e.send(id, f)
	e.finished(2)
	e.waitUntil("4 response_url posts", func() bool { return len(e.slack.Hooks()) == 4 })
	want := map[string]int{"cmd-1": 2, "cmd-2": 2}
	got := map[string]int{}
	for _, h := range e.slack.Hooks() {
		got[h.Path]++
	}
	assert.Equal(t, want, got, "root and outcome of each send went to its response_url")
	require.NoError(t, e.stop())

	for _, m := range []string{"views.open", "views.update", "views.publish"} {
		for _, c := range e.slack.Calls(m) {
			assert.NotContains(t, string(c.JSON), "/response/", "a response_url in clear in a view (%s)", m)
		}
	}
	entries, err := os.ReadDir(e.vars["DATA_DIR"])
	require.NoError(t, err)
	for _, de := range entries {
		b, err := os.ReadFile(filepath.Join(e.vars["DATA_DIR"], de.Name()))
		require.NoError(t, err)
		assert.NotContains(t, string(b), "/response/", "a response_url in clear in the log (%s)", de.Name())
	}
	sends, err := e.openLog().List(t.Context(), store.Filter{})
	require.NoError(t, err)
	require.Len(t, sends, 2)
	for _, sd := range sends {
		assert.True(t, strings.HasPrefix(sd.ResponseURL, "s1:"), "sealed: %q", sd.ResponseURL)
		u, ok := sealer().Open(sd.ResponseURL, sd.IdemKey)
		assert.True(t, ok)
		assert.Contains(t, u, "/response/cmd-")
	}
	_, ok := sealer().Open(sends[0].ResponseURL, sends[1].IdemKey)
	assert.False(t, ok, "a response_url copied into another send does not open")
}

// A form's response_url opens only for the user it was opened for, and one
// that does not open (another user's, or one kept in clear) is no
// response_url: the outcome goes to the thread as without one.
func TestFormResponseURLOpensOnlyForItsUser(t *testing.T) {
	e := startBot(t, nil)
	bobs := `{"c":"` + salesChannel + `","r":"` + sealer().Seal(e.slack.ResponseURL("bob"), "U0BOB0001") + `"}`
	id, f := e.submission("V1", bobs, map[string]string{"recipient": "https://www.linkedin.com/in/jane-doe", "message": "Hello"})
	e.send(id, f)
	e.finished(1)
	clear := `{"c":"` + salesChannel + `","r":"` + e.slack.ResponseURL("clear") + `"}`
	id, f = e.submission("V2", clear, map[string]string{"recipient": "https://www.linkedin.com/in/jane-doe", "message": "Hello again"})
	e.send(id, f)
	e.finished(2)
	assert.Empty(t, e.slack.Hooks(), "neither response_url was used")
	sends, err := e.openLog().List(t.Context(), store.Filter{})
	require.NoError(t, err)
	require.Len(t, sends, 2)
	for _, sd := range sends {
		assert.Empty(t, sd.ResponseURL, "a response_url that does not open is not kept")
	}
	assert.Len(t, e.postsIn(salesChannel), 4, "root and outcome of each, in the channel")
}
