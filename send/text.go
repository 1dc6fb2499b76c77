package send

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// previewRunes and previewLines bound the quote of a message in Slack.
const (
	previewRunes = 280
	previewLines = 4
)

// rootText is the root message of a request: who sends to whom, a preview,
// and the state (sending when out is nil).
func rootText(req Request, out *Outcome) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<@%s> %s a LinkedIn message to %s", req.UserID, verb(out), profileLink(req.Message.ProfileURL))
	if req.Message.MediaLink != "" {
		b.WriteString(" with an attachment")
	}
	b.WriteString("\n")
	b.WriteString(quote(preview(req.Message.Text)))
	b.WriteString("\n")
	b.WriteString(status(out))
	return b.String()
}

func verb(out *Outcome) string {
	if out != nil && out.State == StateSent {
		return "sent"
	}
	return "is sending"
}

func status(out *Outcome) string {
	if out == nil {
		return ":hourglass_flowing_sand: Sending…"
	}
	switch out.State {
	case StateSent:
		return fmt.Sprintf(":white_check_mark: Sent (%s)", credits(out.Credits))
	case StateUnknown:
		return ":warning: Outcome unknown: see the thread"
	default:
		return ":x: Not sent: see the thread"
	}
}

// outcomeText is the reply that tells the requester how the send ended.
func outcomeText(out Outcome) string {
	switch out.State {
	case StateSent:
		return fmt.Sprintf(":white_check_mark: Sent on LinkedIn. %s spent.", capitalize(credits(out.Credits)))
	case StateUnknown:
		return ":warning: " + out.Reason
	default:
		return ":x: Not sent. " + out.Reason
	}
}

// notifyText is the team channel's line for one finished send.
func notifyText(req Request, out Outcome, link string) string {
	var state string
	switch out.State {
	case StateSent:
		state = fmt.Sprintf("sent, %s", credits(out.Credits))
	case StateUnknown:
		state = "outcome unknown"
	default:
		state = "not sent"
	}
	line := fmt.Sprintf("<@%s> → %s: %s", req.UserID, profileLink(req.Message.ProfileURL), state)
	if link != "" {
		line += fmt.Sprintf(" · <%s|thread>", link)
	}
	return line
}

func credits(n int) string {
	if n == 1 {
		return "1 credit"
	}
	return fmt.Sprintf("%d credits", n)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// profileLink shows a normalised profile URL as a link labelled with its slug.
func profileLink(u string) string {
	slug := u[strings.LastIndexByte(u, '/')+1:]
	return fmt.Sprintf("<%s|%s>", u, mrkdwnEscape(slug))
}

// preview cuts text to a few lines and characters.
func preview(text string) string {
	lines := strings.Split(text, "\n")
	cut := len(lines) > previewLines
	if cut {
		lines = lines[:previewLines]
	}
	s := strings.Join(lines, "\n")
	if utf8.RuneCountInString(s) > previewRunes {
		s = string([]rune(s)[:previewRunes])
		cut = true
	}
	if cut {
		s += "…"
	}
	return s
}

// quote escapes text and sets it as a Slack block quote.
func quote(text string) string {
	lines := strings.Split(mrkdwnEscape(text), "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return strings.Join(lines, "\n")
}

// mrkdwnEscape makes user or Linkup text inert in Slack: no mention, link
// or broadcast can come through it.
func mrkdwnEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
