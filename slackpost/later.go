package slackpost

import (
	"errors"
	"net/http"
	"time"

	"github.com/slack-go/slack"
)

// DefaultRetryAfter is the wait Later gives a rate limit that names none.
const DefaultRetryAfter = time.Second

// Later reports whether Slack rate-limited the call that returned err,
// and how long to wait before making it again: Slack's Retry-After, or
// DefaultRetryAfter where it named none. Slack turns a rate-limited call
// away before acting on it: a rate-limited post was certainly not made.
// It is neither a refusal (see Refused: the same post is made again at the
// same place once the wait is over) nor a try that may have posted.
//
// slack-go gives a rate limit in four shapes, each recognised wrapped or
// not: an HTTP 429 with Retry-After (*slack.RateLimitedError), an HTTP 429
// without one (slack.StatusCodeError), an answer whose error is
// ratelimited or rate_limited (slack.SlackErrorResponse), and that error
// as plain text, from the few methods that build their own (pins.list).
func Later(err error) (wait time.Duration, ok bool) {
	if err == nil {
		return 0, false
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		if rl.RetryAfter > 0 {
			return rl.RetryAfter, true
		}
		return DefaultRetryAfter, true
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) && sc.Code == http.StatusTooManyRequests {
		return DefaultRetryAfter, true
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		if rateLimitCode(se.Err) {
			return DefaultRetryAfter, true
		}
		return 0, false
	}
	if anyText(err, rateLimitCode) {
		return DefaultRetryAfter, true
	}
	return 0, false
}

// rateLimitCode reports whether code is Slack's error code of a rate
// limit: ratelimited for most methods, rate_limited for chat.postMessage
// and a few others.
func rateLimitCode(code string) bool { return code == "ratelimited" || code == "rate_limited" }

// anyText reports whether the text of err or of an error it wraps
// satisfies match.
func anyText(err error, match func(string) bool) bool {
	if err == nil {
		return false
	}
	if match(err.Error()) {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return anyText(u.Unwrap(), match)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if anyText(e, match) {
				return true
			}
		}
	}
	return false
}
