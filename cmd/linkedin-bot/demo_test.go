package main

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakeslack"
)

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
			assert.NotContains(t, e.logs.String(), "LINKUP_LOGIN_TOKEN is empty")
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
