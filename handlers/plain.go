package handlers

import (
	"strings"
)

// Plain turns Slack message markup into the plain text a LinkedIn message
// can carry:
//
//	<@U123>             the person's display name, from name (else "a colleague")
//	<@U123|jane>        jane
//	<#C123|general>     #general
//	<#C123>             #general, its name from name (else "#channel")
//	<!here>, <!channel> @here, @channel
//	<!subteam^S1|@devs> @devs (without a label: its name from name, else "@team")
//	<!date^…|fallback>  fallback
//	<https://x|label>   label (https://x)
//	<https://x>         https://x
//	<mailto:a@b|a@b>    a@b
//	&amp; &lt; &gt;     & < >
//
// name looks a user, channel or user group up by its ID; it may be nil. A
// '<' without its '>' is kept as it is.
func Plain(text string, name func(id string) string) string {
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

// lookup asks name for id's name; empty when there is none.
func lookup(name func(string) string, id string) string {
	if name == nil || id == "" {
		return ""
	}
	return name(id)
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
		if n := lookup(name, target[1:]); n != "" {
			return n
		}
		return "a colleague"
	case strings.HasPrefix(target, "#"):
		if hasLabel && label != "" {
			return "#" + strings.TrimPrefix(label, "#")
		}
		if n := lookup(name, target[1:]); n != "" {
			return "#" + n
		}
		return "#channel"
	case strings.HasPrefix(target, "!"):
		if hasLabel && label != "" {
			return label
		}
		cmd, arg, _ := strings.Cut(target[1:], "^")
		switch cmd {
		case "here", "channel", "everyone":
			return "@" + cmd
		case "subteam":
			if n := lookup(name, arg); n != "" {
				return "@" + strings.TrimPrefix(n, "@")
			}
			return "@team"
		case "date":
			return "" // a date always carries its fallback as label
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

// mentionedIDs lists the IDs of the users and channels of <@U…> and <#C…>
// tokens that carry no label: the names to look up.
func mentionedIDs(text string) (users, channels []string) {
	seen := map[string]bool{}
	for {
		i := strings.IndexByte(text, '<')
		if i < 0 || i+2 >= len(text) {
			return users, channels
		}
		text = text[i+1:]
		kind := text[0]
		end := strings.IndexAny(text, "|>")
		if end < 0 {
			return users, channels
		}
		id := text[1:end]
		if text[end] == '>' && id != "" && !seen[id] && (kind == '@' || kind == '#') {
			seen[id] = true
			if kind == '@' {
				users = append(users, id)
			} else {
				channels = append(channels, id)
			}
		}
		text = text[end:]
	}
}
