package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/internal/fakeslack"
)

// inFolder runs the test in a fresh working folder holding a .env with
// content (none when it is empty), as the bot finds it when started there.
func inFolder(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	if content != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, ".env"), []byte(content), 0o600))
	}
	t.Chdir(dir)
	return dir
}

func TestAMisspeltSettingInDotEnvIsReported(t *testing.T) {
	inFolder(t, "LINKUP_DRYRUN=true\nSLACK_BOT_TOKN=xoxb-misplaced-secret\nPOSTGRES_PASSWORD=compose-secret\n")
	e := startBot(t, nil)
	e.secrets = append(e.secrets, "xoxb-misplaced-secret", "compose-secret")
	logs := e.logs.String()
	assert.Contains(t, logs, `"level":"warn","setting":"LINKUP_DRYRUN","in":".env","did_you_mean":"LINKUP_DRY_RUN",`)
	assert.Contains(t, logs, `"message":"LINKUP_DRYRUN (in .env) is not a setting of linkedin-bot, so it is ignored: did you mean LINKUP_DRY_RUN? (linkedin-bot doctor fails it)"`)
	assert.Contains(t, logs, "SLACK_BOT_TOKN (in .env) is not a setting of linkedin-bot, so it is ignored: did you mean SLACK_BOT_TOKEN?")
	assert.NotContains(t, logs, "POSTGRES_PASSWORD", "another program's setting (docker compose's) is not the bot's business")
	assert.Equal(t, 2, strings.Count(logs, "is not a setting of linkedin-bot"))
	require.NoError(t, e.stop())

	var out strings.Builder
	err := run(context.Background(), []string{"linkedin-bot", "doctor"}, func(k string) string { return e.vars[k] }, &out, &strings.Builder{})
	require.ErrorContains(t, err, "1 of 7 checks failed", out.String())
	assert.Contains(t, out.String(), "FAIL configuration: LINKUP_DRYRUN (in .env) is not a setting of linkedin-bot, so it is ignored: did you mean LINKUP_DRY_RUN?\n     fix: rename it to LINKUP_DRY_RUN in .env\n")
	assert.Contains(t, out.String(), "FAIL configuration: SLACK_BOT_TOKN (in .env)")
	assert.NotContains(t, out.String(), "PASS configuration")
	assert.NotContains(t, out.String(), "misplaced-secret")
}

func TestAMisspeltSettingInTheEnvironmentIsReported(t *testing.T) {
	inFolder(t, "")
	environ := func() []string {
		return []string{"PATH=/usr/bin", "HOME=/root", "LINKUP_DRYRUN=true", "SLACK_WEBHOOK_URL=https://hooks.example/secret-hook", "LINKUP_API_KEY=" + apiKey, "DATADIR=/data"}
	}
	e := startBotOn(t, 1, fakelinkup.New(), nil, withEnviron(environ))
	e.secrets = append(e.secrets, "secret-hook")
	logs := e.logs.String()
	assert.Contains(t, logs, "LINKUP_DRYRUN (in the environment) is not a setting of linkedin-bot, so it is ignored: did you mean LINKUP_DRY_RUN?")
	assert.Contains(t, logs, "DATADIR (in the environment) is not a setting of linkedin-bot, so it is ignored: did you mean DATA_DIR?", "a typo of the first word is caught too")
	assert.Contains(t, logs, "SLACK_WEBHOOK_URL (in the environment) is not a setting of linkedin-bot, so it is ignored (.env.example lists every setting)", "too far from any setting for a guess")
	assert.Equal(t, 3, strings.Count(logs, "is not a setting of linkedin-bot"), "PATH, HOME and LINKUP_API_KEY are not reported")
	require.NoError(t, e.stop())

	var out strings.Builder
	err := run(context.Background(), []string{"linkedin-bot", "doctor"}, func(k string) string { return e.vars[k] }, &out, &strings.Builder{}, withEnviron(environ))
	require.ErrorContains(t, err, "1 of 7 checks failed", out.String())
	assert.Contains(t, out.String(), "FAIL configuration: LINKUP_DRYRUN (in the environment) is not a setting of linkedin-bot, so it is ignored: did you mean LINKUP_DRY_RUN?\n     fix: rename it to LINKUP_DRY_RUN in the environment (a variable of another program can be left out of the bot's environment: env -u LINKUP_DRYRUN)\n")
	assert.Contains(t, out.String(), "FAIL configuration: SLACK_WEBHOOK_URL (in the environment) is not a setting of linkedin-bot, so it is ignored (.env.example lists every setting)\n     fix: remove it from the environment, or rename it to the setting it was meant to be")
	assert.NotContains(t, out.String(), "secret-hook")
}

func TestQuotedValuesAreNamedNotShown(t *testing.T) {
	inFolder(t, "")
	vars := map[string]string{
		"SLACK_APP_TOKEN": appToken, "SLACK_BOT_TOKEN": `"` + botToken + `"`,
		"LINKUP_API_KEY": `'` + apiKey + `'`, "LINKUP_LOGIN_TOKEN": loginToken, "DATA_DIR": t.TempDir(),
		"LOG_LEVEL": `"debug"`,
	}
	err := run(context.Background(), []string{"linkedin-bot"}, func(k string) string { return vars[k] }, &strings.Builder{}, &strings.Builder{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "3 problems:")
	assert.Contains(t, err.Error(), "SLACK_BOT_TOKEN: its value is in double quotes, which were kept as part of it: remove the quotes around the value (docker run --env-file, unlike the bot's own reading of .env, keeps them)")
	assert.Contains(t, err.Error(), "LINKUP_API_KEY: its value is in single quotes")
	assert.Contains(t, err.Error(), "LOG_LEVEL: its value is in double quotes")
	assert.NotContains(t, err.Error(), "must start with", "not the confusing token error")
	for _, s := range []string{botToken, apiKey, "debug"} {
		assert.NotContains(t, err.Error(), s)
	}
}

func TestTheFirstRunSaysToCopyDotEnvExample(t *testing.T) {
	inFolder(t, "")
	err := run(context.Background(), []string{"linkedin-bot"}, func(string) string { return "" }, &strings.Builder{}, &strings.Builder{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SLACK_APP_TOKEN: is required")
	assert.Contains(t, err.Error(), "settings come from the environment only (to start one: cp .env.example .env, then fill it in)")
}

func TestSettingErrorsNeverShowTheValue(t *testing.T) {
	inFolder(t, "")
	vars := map[string]string{
		"SLACK_APP_TOKEN": appToken, "SLACK_BOT_TOKEN": botToken, "LINKUP_API_KEY": apiKey, "DATA_DIR": t.TempDir(),
		"ALLOWED_USERS":       "U0ALICE01,zz-value-1",
		"LINKUP_COUNTRY":      "zz-value-2",
		"REPLY_POLL_INTERVAL": "17m",
		"REPLY_POLL_MAX":      "5m",
		"LOG_LEVEL":           "zz-value-3",
		"SEND_CONCURRENCY":    "zz-value-4",
		"LINKUP_TIMEOUT":      "zz-value-5",
		"NOTIFY_CHANNEL":      "zz-value-6",
		"LINKUP_BASE_URL":     "http://zz-value-7.example",
		"DATABASE_URL":        "zz-value-8",
	}
	err := run(context.Background(), []string{"linkedin-bot"}, func(k string) string { return vars[k] }, &strings.Builder{}, &strings.Builder{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "9 problems:")
	assert.NotContains(t, err.Error(), "zz-value")
	assert.NotContains(t, err.Error(), "17m")

	// A DATABASE_URL PostgreSQL cannot read is named, without its value.
	sl := fakeslack.New(fakeslack.Options{AppToken: appToken, BotToken: botToken})
	defer sl.Close()
	vars = map[string]string{
		"SLACK_APP_TOKEN": appToken, "SLACK_BOT_TOKEN": botToken, "SLACK_API_URL": sl.APIURL(), "LINKUP_API_KEY": apiKey,
		"DATABASE_URL": "postgres://zz-user:zz-password@zz-host:zz-port/zz-db",
	}
	for _, cmd := range []string{"", "doctor", "history"} {
		var out strings.Builder
		err = run(context.Background(), []string{"linkedin-bot", cmd}, func(k string) string { return vars[k] }, &out, &strings.Builder{})
		require.Error(t, err, cmd)
		assert.Contains(t, err.Error()+out.String(), "DATABASE_URL: cannot be read as a PostgreSQL URL, postgres://user:password@host:5432/database (invalid port; the value is not shown)", cmd)
		assert.NotContains(t, err.Error()+out.String(), "zz-", cmd)
	}
}
