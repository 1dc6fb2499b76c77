package bot

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadConfigDefaults(t *testing.T) {
	env := map[string]string{
		"SLACK_APP_TOKEN": "xapp-1", "SLACK_BOT_TOKEN": "xoxb-1",
		"LINKUP_API_KEY": "k", "LINKUP_LOGIN_TOKEN": "l",
		"SLACK_API_URL": "http://127.0.0.1:1/api",
	}
	c, err := LoadConfig(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:1/api/", c.SlackAPIURL, "a trailing slash is added for slack-go")
	assert.Equal(t, "https://api.linkupapi.com", c.LinkupBaseURL)
	assert.Equal(t, "FR", c.LinkupCountry)
	assert.Equal(t, 60*time.Second, c.LinkupTimeout)
	assert.Equal(t, 8000, c.MaxMessageLen)
	assert.Equal(t, 4, c.SendConcurrency)
	assert.Equal(t, 30*time.Second, c.ShutdownTimeout)
	assert.Equal(t, "info", c.LogLevel)
	assert.Empty(t, c.LogFormat, "no LOG_FORMAT: console on a terminal, JSON otherwise")
	assert.Empty(t, c.NotifyChannel)
	assert.Equal(t, 200, c.ReadCreditsPerDay)
	assert.Equal(t, 5*time.Minute, c.ReplyPollInterval)
	assert.Equal(t, 30*time.Minute, c.ReplyPollMax)
	assert.Equal(t, 24*time.Hour, c.ReplySafetyPoll)
	assert.Equal(t, 30, c.ReplyWatchDays)
	assert.Equal(t, 2*time.Minute, c.UnknownCheckAfter)
	assert.Empty(t, c.InboxChannel)
}

func TestLoadConfigBridgeSettings(t *testing.T) {
	base := map[string]string{
		"SLACK_APP_TOKEN": "xapp-1", "SLACK_BOT_TOKEN": "xoxb-1",
		"LINKUP_API_KEY": "k", "LINKUP_LOGIN_TOKEN": "l",
	}
	cases := []struct {
		set     map[string]string
		wantErr string
	}{
		{map[string]string{"REPLY_POLL_INTERVAL": "500ms"}, "REPLY_POLL_INTERVAL: must be at least 1s"},
		{map[string]string{"REPLY_POLL_INTERVAL": "10m", "REPLY_POLL_MAX": "5m"}, "REPLY_POLL_MAX: must be at least REPLY_POLL_INTERVAL"},
		{map[string]string{"REPLY_POLL_MAX": "2h", "REPLY_SAFETY_POLL": "1h"}, "REPLY_SAFETY_POLL: must be at least REPLY_POLL_MAX"},
		{map[string]string{"READ_CREDITS_PER_DAY": "-1"}, "READ_CREDITS_PER_DAY: must be a whole number"},
		{map[string]string{"REPLY_WATCH_DAYS": "0"}, "REPLY_WATCH_DAYS: must be a positive whole number"},
		{map[string]string{"INBOX_CHANNEL": "#inbox"}, "INBOX_CHANNEL: must be a channel ID"},
		{map[string]string{"UNKNOWN_CHECK_AFTER": "soon"}, "UNKNOWN_CHECK_AFTER: must be a positive duration"},
		{map[string]string{"REPLY_POLL_INTERVAL": "1s", "REPLY_POLL_MAX": "1s", "READ_CREDITS_PER_DAY": "0", "INBOX_CHANNEL": "C0INBOX01"}, ""},
	}
	for _, tc := range cases {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for k, v := range tc.set {
			env[k] = v
		}
		_, err := LoadConfig(func(k string) string { return env[k] })
		if tc.wantErr == "" {
			assert.NoError(t, err, "%v", tc.set)
			continue
		}
		assert.ErrorContains(t, err, tc.wantErr, "%v", tc.set)
	}
}

// Unset, REPLY_SAFETY_POLL is a day, or REPLY_POLL_MAX when that is
// slower: a slow v1 pace never makes the v2 safety net faster, nor fails.
func TestReplySafetyPollIsNeverFasterThanReplyPollMax(t *testing.T) {
	env := map[string]string{
		"SLACK_APP_TOKEN": "xapp-1", "SLACK_BOT_TOKEN": "xoxb-1", "LINKUP_API_KEY": "k", "LINKUP_LOGIN_TOKEN": "l",
		"REPLY_POLL_MAX": "48h",
	}
	c, err := LoadConfig(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, 48*time.Hour, c.ReplySafetyPoll)
	assert.Equal(t, 48*time.Hour, BridgeConfig(c).SafetyPoll)
	env["REPLY_SAFETY_POLL"] = "6h"
	env["REPLY_POLL_MAX"] = "1h"
	c, err = LoadConfig(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, 6*time.Hour, BridgeConfig(c).SafetyPoll)
}

func TestLoadConfigReportsEveryProblemAtOnce(t *testing.T) {
	_, err := LoadConfig(func(string) string { return "" })
	var errs ConfigErrors
	require.ErrorAs(t, err, &errs)
	var names []string
	for _, e := range errs {
		names = append(names, e.Var)
	}
	assert.Equal(t, []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "LINKUP_API_KEY"}, names, "LINKUP_LOGIN_TOKEN is optional: accounts can stand in")
	assert.Contains(t, err.Error(), "3 problems:")

	// The placeholders of .env.example say what to paste and where.
	env := map[string]string{"SLACK_APP_TOKEN": "xapp-", "SLACK_BOT_TOKEN": "xoxb-", "LINKUP_API_KEY": "k", "LINKUP_LOGIN_TOKEN": "l", "LOG_LEVEL": "loud", "DAILY_SEND_LIMIT": "many"}
	_, err = LoadConfig(func(k string) string { return env[k] })
	require.ErrorAs(t, err, &errs)
	require.Len(t, errs, 4)
	assert.Equal(t, `SLACK_APP_TOKEN: is still the placeholder from .env.example: paste the app-level token (xapp-…) from api.slack.com/apps → your app → Basic Information → App-Level Tokens (scope connections:write)`, errs[0].Error())
	assert.Contains(t, errs[1].Error(), "SLACK_BOT_TOKEN: is still the placeholder from .env.example: paste the Bot User OAuth Token (xoxb-…)")
	assert.Contains(t, err.Error(), "DAILY_SEND_LIMIT: must be a whole number")
	assert.Contains(t, err.Error(), "LOG_LEVEL: must be one of")
	assert.NotContains(t, err.Error(), "many", "no value is quoted")

	env["SLACK_APP_TOKEN"], env["SLACK_BOT_TOKEN"] = "xoxb-pasted-in-the-wrong-place", "xoxb-1"
	_, err = LoadConfig(func(k string) string { return env[k] })
	assert.ErrorContains(t, err, `SLACK_APP_TOKEN: must start with "xapp-"`)
	assert.NotContains(t, err.Error(), "pasted-in-the-wrong-place")
}

func TestLinkupBaseURLWithV1IsNormalised(t *testing.T) {
	env := map[string]string{"SLACK_APP_TOKEN": "xapp-1", "SLACK_BOT_TOKEN": "xoxb-1", "LINKUP_API_KEY": "k", "LINKUP_LOGIN_TOKEN": "l"}
	for _, in := range []string{"https://api.linkupapi.com/v1", "https://api.linkupapi.com/v1/", "https://api.linkupapi.com/"} {
		env["LINKUP_BASE_URL"] = in
		c, err := LoadConfig(func(k string) string { return env[k] })
		require.NoError(t, err)
		assert.Equal(t, "https://api.linkupapi.com", c.LinkupBaseURL, in)
	}
}

func TestLeaseDurationIsBounded(t *testing.T) {
	for value, want := range map[string]string{"": "", "10s": "", "30s": "", "2s": "LEASE_DURATION", "45s": "LEASE_DURATION", "soon": "LEASE_DURATION"} {
		env := map[string]string{
			"SLACK_APP_TOKEN": "xapp-1", "SLACK_BOT_TOKEN": "xoxb-1", "LINKUP_API_KEY": "k", "LINKUP_LOGIN_TOKEN": "l",
			"LEASE_DURATION": value,
		}
		c, err := LoadConfig(func(k string) string { return env[k] })
		if want == "" {
			require.NoError(t, err, value)
			assert.LessOrEqual(t, c.Lease, 30*time.Second)
			continue
		}
		require.Error(t, err, value)
		assert.Contains(t, err.Error(), want, value)
	}
}

// The Slack tokens and Linkup's API key and sessions go to SLACK_API_URL
// and LINKUP_BASE_URL: plain http only to this machine (the tests' fakes),
// never across a network.
func TestAPIURLsUsePlainHTTPOnlyToThisMachine(t *testing.T) {
	for _, name := range []string{"SLACK_API_URL", "LINKUP_BASE_URL"} {
		for value, ok := range map[string]bool{
			"https://slack.example.com/api/": true,
			"https://203.0.113.7:8443/":      true,
			"http://127.0.0.1:8080/api/":     true,
			"http://127.8.9.10/":             true,
			"http://[::1]:9000":              true,
			"http://localhost:9000":          true,
			"http://LOCALHOST":               true,
			"http://slack.com/api/":          false,
			"http://api.linkupapi.com":       false,
			"http://10.0.0.5:8080":           false,
			"http://[::2]:9000":              false,
			"http://localhost.example.com":   false,
			"http://0.0.0.0:8080":            false,
		} {
			env := map[string]string{"SLACK_APP_TOKEN": "xapp-1", "SLACK_BOT_TOKEN": "xoxb-1", "LINKUP_API_KEY": "k", "LINKUP_LOGIN_TOKEN": "l", name: value}
			_, err := LoadConfig(func(k string) string { return env[k] })
			if ok {
				assert.NoError(t, err, "%s=%s", name, value)
				continue
			}
			var errs ConfigErrors
			if assert.ErrorAs(t, err, &errs, "%s=%s", name, value) {
				require.Len(t, errs, 1)
				assert.Equal(t, name, errs[0].Var)
				assert.Contains(t, errs[0].Reason, "must use https")
				assert.NotContains(t, err.Error(), value, "no value is quoted")
			}
		}
	}
}

func TestSettingsAreTheOnesDocumented(t *testing.T) {
	raw, err := os.ReadFile("../.env.example")
	require.NoError(t, err)
	var documented []string
	for _, line := range strings.Split(string(raw), "\n") {
		if name, _, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			documented = append(documented, name)
		}
	}
	settings := Settings()
	assert.ElementsMatch(t, documented, append(settings, "POSTGRES_PASSWORD"), "POSTGRES_PASSWORD is docker-compose.yml's")
	assert.Contains(t, settings, "DATA_DIR", "read through DataDir")
	assert.Contains(t, settings, "LINKUP_DRY_RUN")
}

func TestUnknownSettings(t *testing.T) {
	got := UnknownSettings([]string{"LINKUP_DRYRUN", "PATH", "LOGNAME", "LOG_LEVEL", "log_level", "ACCOUNT_KEY", "SLACK_WEBHOOK_URL", "DATADIR", "GOOGLE_API_KEY", "POSTGRES_PASSWORD", "CPU_PROFILE"}, WhereDotEnv)
	assert.Equal(t, []Unknown{
		{Name: "LINKUP_DRYRUN", Where: ".env", Mean: "LINKUP_DRY_RUN"},
		{Name: "log_level", Where: ".env", Mean: "LOG_LEVEL"},
		{Name: "ACCOUNT_KEY", Where: ".env", Mean: "ACCOUNTS_KEY"},
		{Name: "SLACK_WEBHOOK_URL", Where: ".env"},
		{Name: "DATADIR", Where: ".env", Mean: "DATA_DIR"},
	}, got)
}
