package slackpost

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSealer(t *testing.T) {
	const hook = "https://hooks.slack.com/commands/T0/1/secret"
	s := NewSealer("xoxb-1-bot")
	sealed := s.Seal(hook, "envelope:E1")
	assert.True(t, strings.HasPrefix(sealed, "s1:"), sealed)
	assert.NotContains(t, sealed, "hooks.slack.com")
	assert.NotEqual(t, sealed, s.Seal(hook, "envelope:E1"), "a fresh nonce each time")

	got, ok := s.Open(sealed, "envelope:E1")
	assert.True(t, ok)
	assert.Equal(t, hook, got)
	got, ok = NewSealer("xoxb-1-bot").Open(sealed, "envelope:E1")
	assert.True(t, ok, "another replica, or a restart, with the same bot token opens it")
	assert.Equal(t, hook, got)

	for name, open := range map[string]func() (string, bool){
		"copied into another row":       func() (string, bool) { return s.Open(sealed, "envelope:E2") },
		"after the bot token rotated":   func() (string, bool) { return NewSealer("xoxb-2-bot").Open(sealed, "envelope:E1") },
		"a value in clear (legacy row)": func() (string, bool) { return s.Open(hook, "envelope:E1") },
		"damaged":                       func() (string, bool) { return s.Open(sealed[:len(sealed)-2]+"AA", "envelope:E1") },
		"not base64":                    func() (string, bool) { return s.Open("s1:!!", "envelope:E1") },
		"too short":                     func() (string, bool) { return s.Open("s1:AAAA", "envelope:E1") },
		"empty":                         func() (string, bool) { return s.Open("", "envelope:E1") },
	} {
		got, ok := open()
		assert.False(t, ok, name)
		assert.Empty(t, got, name)
	}
	assert.Empty(t, s.Seal("", "envelope:E1"), "nothing to seal")
}
