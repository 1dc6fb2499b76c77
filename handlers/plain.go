package handlers

import (
	"strings"
)

// Plain turns Slack message markup into the plain text a LinkedIn message
// can carry:
//
//	<@U123>             the person's display name, from name (or @U123 when unknown)
//	<@U123|jane>        jane
//	<#C123|general>     #general
//	<!here>, <!channel> @here, @channel
//	<!subteam^S1|@devs> @devs
//	<!date^…|fallback>  fallback
//	<https://x|label>   label (https://x)
//	<https://x>         https://x
//	<mailto:a@b|a@b>    a@b
//	&amp; &lt; &gt;     & < >
//
// name may be nil. A '<' without its '>' is kept as it is.
func Plain(text string, name func(userID string) string) string {
	var b strings.Builder
	b.Grow(len(text))
	for {
		open := strings.IndexByte(text, '<')
		if open < 0 {
			b.WriteString(unescape(text))
			return b.String()
		}
		end := strings.IndexByte(text[open:], '>')
		if end < 0 {
			b.WriteString(unescape(text))
			return b.String()
		}
		b.WriteString(unescape(text[:open]))
		b.WriteString(plainToken(text[open+1:open+end], name))
		text = text[open+end+1:]
	}
}

// plainToken renders the inside of one <…> token.
func plainToken(tok string, name func(string) string) string {
	target, label, hasLabel := strings.Cut(tok, "|")
	label = unescape(label)
	switch {
	case strings.HasPrefix(target, "@"):
		if hasLabel && label != "" {
			return label
		}
		id := target[1:]
		if name != nil {
			if n := name(id); n != "" {
				return n
			}
		}
		return "@" + id
	case strings.HasPrefix(target, "#"):
		if hasLabel && label != "" {
			return "#" + label
		}
		return "#channel"
	case strings.HasPrefix(target, "!"):
		if hasLabel && label != "" {
			return label
		}
		switch cmd, _, _ := strings.Cut(target[1:], "^"); cmd {
		case "here", "channel", "everyone":
			return "@" + cmd
		default:
			return ""
		}
	}
	url := unescape(target)
	switch {
	case !hasLabel || label == "" || label == url || "http://"+label == url || "https://"+label == url:
		return url
	case strings.HasPrefix(url, "mailto:"), strings.HasPrefix(url, "tel:"):
		return label
	default:
		return label + " (" + url + ")"
	}
}

// mentionedUsers lists the user IDs of <@U…> tokens that carry no label.
func mentionedUsers(text string) []string {
	var ids []string
	seen := map[string]bool{}
	for {
		i := strings.Index(text, "<@")
		if i < 0 {
			return ids
		}
		text = text[i+2:]
		end := strings.IndexAny(text, "|>")
		if end < 0 {
			return ids
		}
		if text[end] == '>' && end > 0 && !seen[text[:end]] {
			seen[text[:end]] = true
			ids = append(ids, text[:end])
		}
		text = text[end:]
	}
}
