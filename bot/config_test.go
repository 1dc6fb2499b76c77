package bot

import (
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
	assert.Equal(t, "json", c.LogFormat)
	assert.Empty(t, c.NotifyChannel)
}
