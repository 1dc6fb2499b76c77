package slackpost

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Slack's limits on a post. Characters are counted as Unicode code points,
// after escaping and quoting: what Slack receives.
const (
	// MaxText is the most characters of a text object (a section's text);
	// Slack refuses a longer one with invalid_blocks.
	MaxText = 3000
	// MaxBlocks is the most blocks of a message; Slack refuses more with
	// invalid_blocks.
	MaxBlocks = 50
	// MaxMessageText is the most characters of a message's top-level text:
	// Slack refuses a longer one with msg_too_long.
	MaxMessageText = 40000
	// MaxFallback is what the bot keeps of a message's top-level text when
	// it has blocks (the text then only serves notifications): Slack
	// advises 4,000 characters at most.
	MaxFallback = 4000
)

// Refused reports whether Slack certainly did not make a post: it answered
// with a definite refusal (invalid_blocks, msg_too_long, not_in_channel,
// channel_not_found, is_archived, an expired response_url, …), not with a
// failure that leaves it open. fatal_error and internal_error are not
// refusals (Slack documents that part of the call may have succeeded), nor
// are a 5xx or a lost answer: the post may have been made, and is looked
// for before it is made again. Nor is a rate limit, in any of its shapes
// (see Later): nothing was posted, and the same post is made again at
// the same place after its Retry-After.
func Refused(err error) bool {
	if _, limited := Later(err); limited {
		return false
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "fatal_error", "internal_error", "service_unavailable", "request_timeout":
			return false
		}
		return true // Slack answered ok=false: nothing was posted
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return sc.Code >= 400 && sc.Code < 500
	}
	return false
}

// RefusedContent reports whether Slack refused a post for what it holds
// (its blocks or text), so that a shorter form of it may still go to the
// same place; any other refusal is about the place (the bot left the
// channel, it was archived, …).
func RefusedContent(err error) bool {
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		return false
	}
	switch se.Err {
	case "invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "too_many_attachments", "invalid_metadata_format", "invalid_metadata_schema", "metadata_too_large", "markdown_text_conflict":
		return true
	}
	return false
}

// Reason is Slack's refusal code of err (invalid_blocks, is_archived, …),
// or a short description when Slack gave none.
func Reason(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && se.Err != "" {
		return se.Err
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return sc.Status
	}
	return "no answer"
}

// Section is a section block of mrkdwn text that Slack shows as written:
// verbatim, so that a bare URL, a #channel or an @here in it is not turned
// into a link or a mention (the manual forms, <url|label>, <@U…> and
// <!date…>, still work; text from outside is escaped so that it has none).
// text must fit MaxText.
func Section(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, true), nil, nil)
}

// Cut keeps at most limit characters of mrkdwn text, cutting at a line end
// or a space near the end where it can, never inside an escape (&amp;) or
// a manual link (<…>); it reports whether it cut.
func Cut(text string, limit int) (string, bool) {
	if utf8.RuneCountInString(text) <= limit {
		return text, false
	}
	r := []rune(text)
	return strings.TrimRight(string(r[:cutPoint(r, limit)]), " \n"), true
}

// cutPoint is where to cut r to keep at most limit runes (limit < len(r)):
// after the last line end or space in the last quarter, else at limit; then
// moved back out of an escape or a manual link it would split.
func cutPoint(r []rune, limit int) int {
	at := limit
	for i := limit; i > limit*3/4 && i > 0; i-- {
		if r[i] == '\n' || r[i] == ' ' {
			at = i
			break
		}
	}
	// Not inside &…; (at most 5 runes long) nor <…>.
	for i := at - 1; i >= 0 && i >= at-6; i-- {
		if r[i] == ';' {
			break
		}
		if r[i] == '&' {
			at = i
			break
		}
	}
	for i := at - 1; i >= 0; i-- {
		if r[i] == '>' {
			break
		}
		if r[i] == '<' {
			at = i
			break
		}
	}
	if at == 0 {
		at = limit // one unbreakable span: cut it rather than loop
	}
	return at
}

// QuoteSplit makes text inert, sets it as a Slack block quote and splits
// it into pieces of at most size characters each (first for the first
// piece, which may share its block with a header), cut after escaping and
// quoting: at line ends where it can, else at a space, never inside an
// escape. Each piece is a block quote of its own.
func QuoteSplit(text string, first, size int) []string {
	first, size = max(first, 3), max(size, 3) // room for "> " and a character
	var pieces []string
	var cur strings.Builder
	curLen := 0
	room := func() int {
		if len(pieces) == 0 {
			return first
		}
		return size
	}
	flush := func() {
		pieces = append(pieces, cur.String())
		cur.Reset()
		curLen = 0
	}
	add := func(line string, n int) {
		if curLen > 0 {
			cur.WriteByte('\n')
			curLen++
		}
		cur.WriteString(line)
		curLen += n
	}
	for _, line := range strings.Split(Escape(text), "\n") {
		q := "> " + line
		n := utf8.RuneCountInString(q)
		if curLen > 0 && curLen+1+n > room() {
			flush()
		}
		for n > room()-curLen {
			// A line longer than a piece: cut it, and go on quoting.
			if curLen > 0 {
				flush()
			}
			r := []rune(q)
			at := cutPoint(r, room())
			if at <= 2 {
				at = room()
			}
			add(string(r[:at]), at)
			flush()
			q = "> " + strings.TrimLeft(string(r[at:]), " ")
			n = utf8.RuneCountInString(q)
		}
		add(q, n)
	}
	if curLen > 0 || len(pieces) == 0 {
		flush()
	}
	return pieces
}
