package handlers

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"linkedin-bot/linkup"
)

// Command is what `/linkedin-send <text>` asks for.
type Command struct {
	// Help asks for the usage text.
	Help bool
	// Profile is the normalised recipient; empty when the text had none.
	Profile string
	// Text is the message, unescaped and trimmed; empty opens the modal.
	Text string
}

// ParseCommand reads the text of a /linkedin-send command. Empty text or a
// lone profile URL is a request for the modal (Text empty). Errors are
// sentences for the user.
func ParseCommand(text string, maxLen int) (Command, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Command{}, nil
	}
	if strings.EqualFold(text, "help") {
		return Command{Help: true}, nil
	}
	first, rest := cutField(text)
	profile, err := ParseProfile(first)
	if err != nil {
		return Command{}, err
	}
	msg, err := ParseMessage(unescape(rest), maxLen)
	if errors.Is(err, errNoMessage) {
		return Command{Profile: profile}, nil
	}
	if err != nil {
		return Command{}, err
	}
	return Command{Profile: profile, Text: msg}, nil
}

// cutField splits s at its first run of white space.
func cutField(s string) (first, rest string) {
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// ParseProfile reads a recipient as a user typed or pasted it, Slack's
// link markup (<https://…> and <https://…|label>) included, and returns
// the normalised profile URL.
func ParseProfile(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
		s = s[1 : len(s)-1]
		if i := strings.IndexByte(s, '|'); i >= 0 {
			s = s[:i]
		}
	}
	u, err := linkup.ProfileURL(unescape(s))
	if err != nil {
		reason := err.Error()
		if pe, ok := errors.AsType[*linkup.ProfileError](err); ok {
			reason = pe.Reason
		}
		return "", problemf("A LinkedIn profile URL is expected, like %s (%s).", linkup.ExampleProfileURL, reason)
	}
	return u, nil
}

var errNoMessage = problemf("Write the message to send.")

// ParseMessage trims a message and checks it can be sent: not empty, at
// most maxLen characters, valid text without control characters.
func ParseMessage(s string, maxLen int) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", errNoMessage
	case !utf8.ValidString(s):
		return "", problemf("The message is not valid text.")
	case utf8.RuneCountInString(s) > maxLen:
		return "", problemf("The message is %d characters long; the most is %d.", utf8.RuneCountInString(s), maxLen)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return "", problemf("The message holds control characters that cannot be sent; remove them and try again.")
		}
	}
	return s, nil
}

// Problem is an error whose text is a sentence for the user who caused it.
type Problem struct{ Text string }

func (p *Problem) Error() string { return p.Text }

func problemf(format string, args ...any) error {
	return &Problem{Text: fmt.Sprintf(format, args...)}
}

// unescape undoes the HTML escaping Slack applies to &, < and > in text.
func unescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return unescaper.Replace(s)
}

var unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
