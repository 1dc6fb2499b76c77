package slackpost

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
)

func TestRefusedTellsRefusalsFromLostAnswers(t *testing.T) {
	cases := []struct {
		err              error
		refused, content bool
	}{
		{slack.SlackErrorResponse{Err: "invalid_blocks"}, true, true},
		{slack.SlackErrorResponse{Err: "msg_too_long"}, true, true},
		{slack.SlackErrorResponse{Err: "not_in_channel"}, true, false},
		{slack.SlackErrorResponse{Err: "channel_not_found"}, true, false},
		{slack.SlackErrorResponse{Err: "is_archived"}, true, false},
		{fmt.Errorf("posting: %w", slack.SlackErrorResponse{Err: "is_archived"}), true, false},
		{slack.StatusCodeError{Code: 404, Status: "404 Not Found"}, true, false},
		// Slack may have done part of the call: not a refusal.
		{slack.SlackErrorResponse{Err: "fatal_error"}, false, false},
		{slack.SlackErrorResponse{Err: "internal_error"}, false, false},
		{slack.StatusCodeError{Code: 500, Status: "500 Internal Server Error"}, false, false},
		{slack.StatusCodeError{Code: 429, Status: "429 Too Many Requests"}, false, false},
		{&slack.RateLimitedError{}, false, false},
		{errors.New("read: connection reset by peer"), false, false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.refused, Refused(tc.err), "Refused(%v)", tc.err)
		assert.Equal(t, tc.content, RefusedContent(tc.err), "RefusedContent(%v)", tc.err)
	}
	assert.Equal(t, "is_archived", Reason(slack.SlackErrorResponse{Err: "is_archived"}))
}

func TestQuoteSplitCutsAfterEscapingAndQuoting(t *testing.T) {
	// The agenda: 140 short lines of which escaping and quoting make more than 3,000 characters.
	lines := make([]string, 140)
	for i := range lines {
		lines[i] = fmt.Sprintf("%03d R&D <sync> item", i+1)
	}
	text := strings.Join(lines, "\n")
	pieces := QuoteSplit(text, 2800, MaxText)
	assert.Len(t, pieces, 2)
	assert.Equal(t, Quote(text), strings.Join(pieces, "\n"), "whole lines: nothing lost, nothing added")
	assert.LessOrEqual(t, utf8.RuneCountInString(pieces[0]), 2800)
	for _, p := range pieces {
		assert.LessOrEqual(t, utf8.RuneCountInString(p), MaxText)
	}

	// One line longer than a piece: cut at spaces, each piece a quote, no escape split.
	long := strings.Repeat("a&b ", 2000)
	pieces = QuoteSplit(long, 100, MaxText)
	assert.Greater(t, len(pieces), 3)
	var rest strings.Builder
	for i, p := range pieces {
		assert.True(t, strings.HasPrefix(p, "> "), "piece %d is a quote", i)
		assert.LessOrEqual(t, utf8.RuneCountInString(p), map[bool]int{true: 100, false: MaxText}[i == 0])
		assert.Equal(t, strings.Count(p, "&"), strings.Count(p, "&amp;"), "piece %d splits no escape", i)
		rest.WriteString(strings.TrimPrefix(p, "> ") + " ")
	}
	assert.Equal(t, strings.Fields(Escape(long)), strings.Fields(rest.String()), "every word, in order")

	// No space at all: cut hard, still outside escapes.
	pieces = QuoteSplit(strings.Repeat("<", 5000), 3000, MaxText)
	for _, p := range pieces {
		assert.LessOrEqual(t, utf8.RuneCountInString(p), MaxText)
		assert.Equal(t, strings.Count(p, "&"), strings.Count(p, "&lt;"))
	}
	assert.Equal(t, 5000, strings.Count(strings.Join(pieces, ""), "&lt;"))

	assert.Equal(t, []string{"> "}, QuoteSplit("", 3000, MaxText))
}

func TestCutKeepsEscapesAndLinksWhole(t *testing.T) {
	got, cut := Cut("abc &amp; <https://x.example|thread> end", 12)
	assert.True(t, cut)
	assert.Equal(t, "abc &amp;", got)
	got, cut = Cut("abcdefghij&amp;", 13)
	assert.True(t, cut)
	assert.Equal(t, "abcdefghij", got)
	got, cut = Cut("see <https://x.example/a/long/path|thread>", 30)
	assert.True(t, cut)
	assert.Equal(t, "see", got)
	got, cut = Cut("short", 10)
	assert.False(t, cut)
	assert.Equal(t, "short", got)
}
