package slackpost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// slackAnswering is a slack.Client whose every Web API call gets answer.
func slackAnswering(t *testing.T, answer http.HandlerFunc) *slack.Client {
	t.Helper()
	srv := httptest.NewServer(answer)
	t.Cleanup(srv.Close)
	return slack.New("xoxb-test", slack.OptionAPIURL(srv.URL+"/"))
}

// A rate limit reaches the bot in every shape slack-go gives it, each
// taken here from slack-go itself answering a real HTTP answer: Later
// knows each (with Slack's Retry-After, or a second where it names none)
// and none is a refusal, so that the post is made again at the same place.
// A refusal, a 5xx and a lost answer are no rate limit.
func TestLaterIsARateLimitNotARefusal(t *testing.T) {
	status := func(code int, header ...string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			for i := 0; i+1 < len(header); i += 2 {
				w.Header().Set(header[i], header[i+1])
			}
			w.WriteHeader(code)
		}
	}
	answer := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(body))
		}
	}
	post := func(c *slack.Client) error {
		_, _, err := c.PostMessageContext(context.Background(), "C0SALES01", slack.MsgOptionText("hi", false))
		return err
	}
	pins := func(c *slack.Client) error {
		_, _, err := c.ListPinsContext(context.Background(), "C0SALES01")
		return err
	}
	cases := []struct {
		name    string
		answer  http.HandlerFunc
		call    func(*slack.Client) error
		limited bool
		wait    time.Duration
		refused bool
	}{
		{"429 with Retry-After", status(429, "Retry-After", "7"), post, true, 7 * time.Second, false},
		{"429 with Retry-After: 0", status(429, "Retry-After", "0"), post, true, DefaultRetryAfter, false},
		{"429 without Retry-After", status(429), post, true, DefaultRetryAfter, false},
		{"ratelimited", answer(`{"ok":false,"error":"ratelimited"}`), post, true, DefaultRetryAfter, false},
		{"rate_limited", answer(`{"ok":false,"error":"rate_limited"}`), post, true, DefaultRetryAfter, false},
		{"ratelimited as plain text (pins.list)", answer(`{"ok":false,"error":"ratelimited"}`), pins, true, DefaultRetryAfter, false},
		{"not_in_channel", answer(`{"ok":false,"error":"not_in_channel"}`), post, false, 0, true},
		{"invalid_blocks", answer(`{"ok":false,"error":"invalid_blocks"}`), post, false, 0, true},
		{"404", status(404), post, false, 0, true},
		{"fatal_error", answer(`{"ok":false,"error":"fatal_error"}`), post, false, 0, false},
		{"503", status(503), post, false, 0, false},
		{"not_in_channel as plain text (pins.list)", answer(`{"ok":false,"error":"not_in_channel"}`), pins, false, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(slackAnswering(t, tc.answer))
			require.Error(t, err)
			for _, err := range []error{err, fmt.Errorf("posting in C0SALES01: %w", err)} {
				wait, limited := Later(err)
				assert.Equal(t, tc.limited, limited, "Later(%T %v)", err, err)
				assert.Equal(t, tc.wait, wait, "Later(%v)'s wait", err)
				assert.Equal(t, tc.refused, Refused(err), "Refused(%v)", err)
				assert.False(t, limited && RefusedContent(err), "RefusedContent(%v)", err)
			}
		})
	}

	// A lost answer is none either.
	c := slackAnswering(t, func(w http.ResponseWriter, _ *http.Request) {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
			}
		}
	})
	err := post(c)
	require.Error(t, err)
	_, limited := Later(err)
	assert.False(t, limited, "Later(%v)", err)
	_, limited = Later(nil)
	assert.False(t, limited)
	_, limited = Later(errors.New("read: connection reset by peer"))
	assert.False(t, limited)
}
