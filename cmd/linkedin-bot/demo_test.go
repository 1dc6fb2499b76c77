package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakeslack"
)

// The demo runs the bot against the fakes with no setting at all (the
// environment and .env unread) and prints the whole conversation, in
// order, without a secret, its data folder removed.
func TestDemoShowsAWholeConversation(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where the demo's data folder goes
	t.Chdir(t.TempDir())
	// A .env that would break the bot, were it read.
	require.NoError(t, os.WriteFile(".env", []byte("SLACK_API_URL=http://127.0.0.1:1/api/\nLINKUP_BASE_URL=http://127.0.0.1:1\n"), 0o600))
	var read []string
	getenv := func(k string) string { read = append(read, k); return "" }

	for _, verbose := range []bool{false, true} {
		args := []string{"linkedin-bot", "demo"}
		if verbose {
			args = append(args, "-v")
		}
		var out, errw strings.Builder
		require.NoError(t, run(context.Background(), args, getenv, &out, &errw), errw.String())
		got := out.String()
		want := []string{
			"Alice", demoPostText, "[file: pricing.png, PNG",
			"@Alice sent a LinkedIn message to jane-doe", "> " + demoMessage, "✅ Sent (2 credits)",
			"✅ Sent on LinkedIn. 2 credits spent.",
			"💬 *Jane Doe* replied on LinkedIn", "> " + demoJane, "[Reply on LinkedIn]",
			"@Bob sent a LinkedIn message to jane-doe", "> " + demoAnswer, "✅ Sent (1 credit)",
			"✅ Sent on LinkedIn. 1 credit spent.",
			"The fake LinkedIn received 2 messages from the bot",
		}
		at := 0
		for _, w := range want {
			i := strings.Index(got[at:], w)
			require.GreaterOrEqual(t, i, 0, "%q, after %q, in:\n%s", w, got[:at], got)
			at += i + len(w)
		}
		thread, _, _ := strings.Cut(got, "The fake LinkedIn received")
		assert.Equal(t, 1, strings.Count(thread, "replied on LinkedIn"), "the reply is mirrored once")
		assert.Equal(t, 1, strings.Count(thread, demoAnswer), "the answer is announced once, never mirrored back")
		if verbose {
			assert.Contains(t, errw.String(), "linkedin-bot stopped", "-v prints the bot's logs")
		} else {
			assert.Empty(t, errw.String(), "the logs are kept unless asked for")
		}
		for _, secret := range []string{demoAppToken, demoBotToken, demoAPIKey, demoLoginToken} {
			assert.NotContains(t, got+errw.String(), secret)
		}
	}
	assert.Empty(t, read, "the demo reads no setting")
	left, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, left, "the demo's data folder is removed")
}

// A dry run sends nothing, so it needs no LinkedIn session (no
// LINKUP_LOGIN_TOKEN, no account) and no LINKUP_API_KEY.
func TestDryRunNeedsNoLoginToken(t *testing.T) {
	t.Parallel()
	for name, key := range map[string]string{"with an API key": apiKey, "without an API key": ""} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := startBot(t, map[string]string{"LINKUP_DRY_RUN": "true", "LINKUP_LOGIN_TOKEN": "", "LINKUP_API_KEY": key})
			_, ack := e.command(jane + " Trying the bot")
			assert.Empty(t, ack.Payload)
			notice := e.finished(1)
			assert.Contains(t, notice.Text, "dry run: not sent (0 credits)")
			root, replies := e.thread(salesChannel)
			assert.Contains(t, root.Text, "is trying (dry run, nothing goes to LinkedIn) a LinkedIn message to <"+jane+"|jane-doe> from the *default* account")
			require.Len(t, replies, 1)
			assert.Contains(t, replies[0].Text, ":test_tube: Dry run: not sent (0 credits).")
			assert.Zero(t, e.linkup.Count(), "Linkup is never called")
			assert.Empty(t, e.linkup.Reads(""), "nor read")
			assert.Empty(t, e.linkup.AuthCalls(), "nor logged in to")
			assert.NotContains(t, e.logs.String(), "there is no default account")
		})
	}
}

// doctor in a dry run passes the Linkup check without contacting Linkup,
// with or without a key.
func TestDoctorInDryRunDoesNotContactLinkup(t *testing.T) {
	sl := fakeslack.New(fakeslack.Options{AppToken: appToken, BotToken: botToken})
	defer sl.Close()
	for _, key := range []string{apiKey, ""} {
		vars := map[string]string{
			"SLACK_APP_TOKEN": appToken, "SLACK_BOT_TOKEN": botToken, "SLACK_API_URL": sl.APIURL(), "LINKUP_API_KEY": key,
			"LINKUP_BASE_URL": "http://127.0.0.1:1", // nothing listens there: contacting it would fail
			"LINKUP_DRY_RUN":  "true", "DATA_DIR": t.TempDir(),
		}
		var out strings.Builder
		require.NoError(t, run(context.Background(), []string{"linkedin-bot", "doctor"}, func(k string) string { return vars[k] }, &out, &strings.Builder{}), out.String())
		assert.Contains(t, out.String(), "PASS Linkup: dry run (LINKUP_DRY_RUN): Linkup is not contacted, so LINKUP_API_KEY and LINKUP_LOGIN_TOKEN are not needed\n")
		assert.Contains(t, out.String(), "PASS LinkedIn accounts: default account default (dry run: no login token needed); no send log yet")
		assert.NotContains(t, out.String(), "FAIL")
	}
}
