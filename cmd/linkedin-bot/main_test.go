package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/bot"
)

func TestDotEnvFillsWhatTheEnvironmentLeavesEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	require.NoError(t, os.WriteFile(path, []byte("# comment\nLINKUP_COUNTRY=DE\nLOG_LEVEL=debug\nLINKUP_API_KEY=\"from file\"\n"), 0o600))
	env := map[string]string{"LINKUP_COUNTRY": "US"}
	getenv, source, _, err := withDotEnv(func(k string) string { return env[k] }, path)
	require.NoError(t, err)
	assert.Contains(t, source, "settings from "+path)
	assert.Equal(t, "US", getenv("LINKUP_COUNTRY"), "the environment wins")
	assert.Equal(t, "debug", getenv("LOG_LEVEL"))
	assert.Equal(t, "from file", getenv("LINKUP_API_KEY"))
	assert.Empty(t, getenv("NOTIFY_CHANNEL"))

	getenv, source, _, err = withDotEnv(func(k string) string { return env[k] }, filepath.Join(t.TempDir(), "missing"))
	require.NoError(t, err, "no .env is fine")
	assert.Contains(t, source, "no .env in ")
	assert.Equal(t, "US", getenv("LINKUP_COUNTRY"))
}

func TestMalformedDotEnvNamesTheLineNotTheSecret(t *testing.T) {
	for name, content := range map[string]string{
		"a stray first line":    "oops this is not a setting\nSLACK_BOT_TOKEN=xoxb-secret-123\n",
		"a line without a name": "SLACK_BOT_TOKEN=xoxb-secret-123\n=xapp-secret-456\n",
		"an unclosed quote":     "LINKUP_API_KEY=\"secret-789\nLOG_LEVEL=info\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), ".env")
			require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
			_, _, _, err := withDotEnv(func(string) string { return "" }, path)
			require.Error(t, err)
			for _, secret := range []string{"secret-123", "secret-456", "secret-789", "oops"} {
				assert.NotContains(t, err.Error(), secret)
			}
			assert.Contains(t, err.Error(), path)
		})
	}
	path := filepath.Join(t.TempDir(), ".env")
	require.NoError(t, os.WriteFile(path, []byte("oops\nA=1\n"), 0o600))
	_, _, _, err := withDotEnv(func(string) string { return "" }, path)
	assert.ErrorContains(t, err, "line 1 is not a NAME=value setting")

	// Windows Notepad's byte-order mark is accepted.
	require.NoError(t, os.WriteFile(path, []byte("\xef\xbb\xbfLOG_LEVEL=debug\r\nexport LINKUP_COUNTRY=DE\r\n"), 0o600))
	getenv, _, _, err := withDotEnv(func(string) string { return "" }, path)
	require.NoError(t, err)
	assert.Equal(t, "debug", getenv("LOG_LEVEL"))
	assert.Equal(t, "DE", getenv("LINKUP_COUNTRY"))
}

func TestConsoleLogsHaveColoursOnlyOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	log, err := newLogger(bot.Config{LogFormat: "console", LogLevel: "info"}, &buf)
	require.NoError(t, err)
	log.Info().Stringer("timeout", 30*time.Second).Msg("hello")
	assert.NotContains(t, buf.String(), "\x1b[", "no escape codes in a file or a pipe")
	assert.Contains(t, buf.String(), "timeout=30s", "durations read as durations")

	buf.Reset()
	log, err = newLogger(bot.Config{LogFormat: "json", LogLevel: "info"}, &buf)
	require.NoError(t, err)
	log.Info().Stringer("timeout", 30*time.Second).Msg("hello")
	assert.Contains(t, buf.String(), `"timeout":"30s"`)
}
