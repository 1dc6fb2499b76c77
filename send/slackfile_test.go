package send

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTheBotTokenGoesOnlyToSlack(t *testing.T) {
	f := NewSlackFiles("xoxb-secret", "http://127.0.0.1:8080/api/", http.DefaultClient, 0)
	for raw, want := range map[string]bool{
		"https://files.slack.com/files-pri/T1-F1/download/a.pdf": true,
		"https://slack.com/files/a.pdf":                          true,
		"http://127.0.0.1:8080/files-pri/T1-F1/a.pdf":            true, // the configured API host, with its scheme
		"http://files.slack.com/files-pri/T1-F1/a.pdf":           false,
		"http://slack.com/files/a.pdf":                           false,
		"https://127.0.0.1:8080/files-pri/a.pdf":                 false, // the API host with another scheme
		"https://slack.com.evil.example/a.pdf":                   false,
		"https://evilslack.com/a.pdf":                            false,
	} {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		assert.Equal(t, want, f.trusted(u), raw)
	}
}

func TestADownloadRedirectMayNotChangeScheme(t *testing.T) {
	f := NewSlackFiles("xoxb-secret", "https://slack.com/api/", http.DefaultClient, 0)
	from, _ := http.NewRequest(http.MethodGet, "https://files.slack.com/files-pri/T1-F1/a.pdf", nil)
	for target, ok := range map[string]bool{
		"https://files.slack.com/files-pri/T1-F1/b.pdf": true,
		"http://files.slack.com/files-pri/T1-F1/a.pdf":  false, // same host, downgraded: Go would keep the Authorization header
		"https://evil.example/a.pdf":                    false,
	} {
		to, _ := http.NewRequest(http.MethodGet, target, nil)
		err := f.client.CheckRedirect(to, []*http.Request{from})
		assert.Equal(t, ok, err == nil, "%s: %v", target, err)
	}
}

func TestPostWebhookErrorsNameTheHostOnly(t *testing.T) {
	secret := "http://127.0.0.1:1/commands/T0FAKE/123/secrettoken"
	err := PostWebhook(context.Background(), http.DefaultClient, secret, &slack.WebhookMessage{Text: "x"})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secrettoken")
	assert.NotContains(t, err.Error(), "/commands/")
	assert.Contains(t, err.Error(), "http://127.0.0.1:1/…")
	assert.True(t, strings.Contains(err.Error(), "connection refused"), err.Error())
}
