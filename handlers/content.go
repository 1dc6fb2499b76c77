package handlers

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kyokomi/emoji/v2"
	"github.com/slack-go/slack"

	"linkedin-bot/slackpost"
)

// messageContent is what a Slack message says, in Slack's markup (people,
// channels and links as <…> tokens, the rest escaped), from the richest
// source it has: its rich_text blocks (exact styles, mentions, emoji,
// lists), else its section, header and context blocks, else its text;
// then its legacy attachments (a bot's message, a forwarded one). raw is
// the interaction payload; fallback the text slack-go decoded.
func messageContent(raw json.RawMessage, fallback string) string {
	var p struct {
		Message json.RawMessage `json:"message"`
	}
	var msg map[string]any
	if json.Unmarshal(raw, &p) != nil || json.Unmarshal(p.Message, &msg) != nil {
		return stripMarks(fallback)
	}
	blocks := list(msg["blocks"])
	var body string
	switch {
	case hasBlock(blocks, "rich_text"):
		body = richBlocks(blocks)
	case hasBlock(blocks, "section", "header", "context"):
		body = textBlocks(blocks)
	default:
		body = stripMarks(str(msg["text"]))
	}
	return joinParts(body, attachments(list(msg["attachments"]), strings.TrimSpace(body) == ""))
}

// messageFiles are the files of a message's attachments (a forwarded or
// unfurled message), decoded leniently; the message's own files are
// slack-go's.
func messageFiles(raw json.RawMessage) []slack.File {
	var p struct {
		Message struct {
			Attachments []struct {
				Files []json.RawMessage `json:"files"`
			} `json:"attachments"`
		} `json:"message"`
	}
	if _, err := Decode(raw, &p); err != nil {
		return nil
	}
	var out []slack.File
	for _, a := range p.Message.Attachments {
		for _, f := range a.Files {
			var file slack.File
			if _, err := Decode(f, &file); err == nil && file.ID != "" {
				out = append(out, file)
			}
		}
	}
	return out
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// str reads a JSON string; anything else is empty.
func str(v any) string {
	s, _ := v.(string)
	return s
}

func hasBlock(blocks []any, types ...string) bool {
	for _, b := range blocks {
		for _, t := range types {
			if str(obj(b)["type"]) == t {
				return true
			}
		}
	}
	return false
}

// richBlocks renders the rich_text blocks; their styles are known, so no
// formatting mark is guessed.
func richBlocks(blocks []any) string {
	var b strings.Builder
	for _, blk := range blocks {
		if str(obj(blk)["type"]) != "rich_text" {
			continue
		}
		for _, el := range list(obj(blk)["elements"]) {
			e := obj(el)
			var part strings.Builder
			switch str(e["type"]) {
			case "rich_text_list":
				indent := int(num(e["indent"]))
				n := int(num(e["offset"]))
				for i, item := range list(e["elements"]) {
					if i > 0 {
						part.WriteString("\n")
					}
					part.WriteString(strings.Repeat("    ", max(0, min(indent, 8))))
					if str(e["style"]) == "ordered" {
						fmt.Fprintf(&part, "%d. ", n+i+1)
					} else {
						part.WriteString("• ")
					}
					inline(&part, list(obj(item)["elements"]))
				}
			case "rich_text_quote":
				var q strings.Builder
				inline(&q, list(e["elements"]))
				for i, line := range strings.Split(strings.TrimRight(q.String(), "\n"), "\n") {
					if i > 0 {
						part.WriteString("\n")
					}
					part.WriteString("> " + line)
				}
			default: // rich_text_section, rich_text_preformatted, and whatever comes next
				inline(&part, list(e["elements"]))
			}
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
				b.WriteString("\n")
			}
			b.WriteString(part.String())
		}
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// inline renders rich text elements.
func inline(b *strings.Builder, elements []any) {
	for _, el := range elements {
		e := obj(el)
		switch str(e["type"]) {
		case "text":
			b.WriteString(slackpost.Escape(str(e["text"])))
		case "link":
			url, text := str(e["url"]), str(e["text"])
			switch {
			case url == "":
				b.WriteString(slackpost.Escape(text))
			case text == "" || text == url:
				b.WriteString("<" + url + ">")
			default:
				b.WriteString("<" + url + "|" + slackpost.Escape(text) + ">")
			}
		case "user":
			b.WriteString("<@" + str(e["user_id"]) + ">")
		case "usergroup":
			b.WriteString("<!subteam^" + str(e["usergroup_id"]) + ">")
		case "channel":
			b.WriteString("<#" + str(e["channel_id"]) + ">")
		case "broadcast":
			b.WriteString("<!" + str(e["range"]) + ">")
		case "emoji":
			b.WriteString(emojiOf(str(e["name"]), str(e["unicode"]), int(num(e["skin_tone"]))))
		case "date":
			if f := str(e["fallback"]); f != "" {
				b.WriteString(slackpost.Escape(f))
			} else if ts := num(e["timestamp"]); ts > 0 {
				b.WriteString(time.Unix(int64(ts), 0).UTC().Format("2 January 2006"))
			}
		case "color":
			b.WriteString(slackpost.Escape(str(e["value"])))
		default:
			b.WriteString(slackpost.Escape(str(e["text"])))
		}
	}
}

// num reads a JSON number, or a string of one; else 0.
func num(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case string:
		f, _ := strconv.ParseFloat(n, 64)
		return f
	}
	return 0
}

// emojiOf is an emoji as a character: from its code points when Slack
// gave them, else from its name in the emoji table, with its skin tone
// (2 to 6). A custom emoji stays :name:.
func emojiOf(name, unicode string, tone int) string {
	var s string
	if unicode != "" {
		for _, cp := range strings.Split(unicode, "-") {
			r, err := strconv.ParseUint(cp, 16, 32)
			if err != nil {
				s = ""
				break
			}
			s += string(rune(r))
		}
	}
	if s == "" {
		s = emoji.CodeMap()[":"+name+":"]
	}
	if s == "" {
		return ":" + name + ":"
	}
	if tone >= 2 && tone <= 6 && unicode == "" {
		s += string(rune(0x1F3FB + tone - 2))
	}
	return s
}

// emoji.CodeMap is the maintained table of emoji short names (Slack's
// names, skin tones included) and their characters. It is built on first
// use (about 320 kB): most bots never need it, and an idle one should not
// carry it.

var shortcode = regexp.MustCompile(`:[a-z0-9_+'\-]+:`)

// Emojize turns emoji short names (:wave:, :+1::skin-tone-3:) into their
// characters; a name the table does not know stays as it is.
func Emojize(s string) string {
	if !strings.Contains(s, ":") {
		return s
	}
	return shortcode.ReplaceAllStringFunc(s, func(code string) string {
		if c, ok := emoji.CodeMap()[code]; ok {
			return c
		}
		return code
	})
}

// textBlocks renders section, header and context blocks.
func textBlocks(blocks []any) string {
	var parts []string
	for _, blk := range blocks {
		b := obj(blk)
		switch str(b["type"]) {
		case "section":
			var lines []string
			if t := textObject(b["text"]); t != "" {
				lines = append(lines, t)
			}
			for _, f := range list(b["fields"]) {
				if t := textObject(f); t != "" {
					lines = append(lines, t)
				}
			}
			parts = append(parts, strings.Join(lines, "\n"))
		case "header":
			parts = append(parts, textObject(b["text"]))
		case "context":
			var items []string
			for _, el := range list(b["elements"]) {
				if t := textObject(el); t != "" {
					items = append(items, t)
				}
			}
			parts = append(parts, strings.Join(items, " "))
		}
	}
	return joinParts(parts...)
}

// textObject reads a Block Kit text object: mrkdwn as Slack markup with
// its formatting marks dropped, plain_text as literal text.
func textObject(v any) string {
	t := obj(v)
	switch str(t["type"]) {
	case "plain_text":
		return slackpost.Escape(str(t["text"]))
	case "mrkdwn":
		return stripMarks(str(t["text"]))
	}
	return ""
}

// attachments renders legacy attachments: pretext, author, title, text,
// fields, else the fallback. A link preview (from_url) is left out unless
// the message says nothing else, since it repeats a link the text has.
func attachments(atts []any, bodyEmpty bool) string {
	var parts []string
	for _, a := range atts {
		at := obj(a)
		if at == nil {
			continue
		}
		if str(at["from_url"]) != "" && at["is_msg_unfurl"] != true && at["is_share"] != true && !bodyEmpty {
			continue
		}
		var lines []string
		add := func(s string) {
			if s = strings.TrimSpace(s); s != "" {
				lines = append(lines, s)
			}
		}
		add(stripMarks(str(at["pretext"])))
		if name := str(at["author_name"]); name != "" {
			add(slackpost.Escape(name))
		}
		if title := str(at["title"]); title != "" {
			if link := str(at["title_link"]); link != "" {
				add("<" + link + "|" + slackpost.Escape(title) + ">")
			} else {
				add(slackpost.Escape(title))
			}
		}
		add(stripMarks(str(at["text"])))
		for _, f := range list(at["fields"]) {
			fo := obj(f)
			title, value := slackpost.Escape(str(fo["title"])), stripMarks(str(fo["value"]))
			switch {
			case title != "" && value != "":
				add(title + ": " + value)
			default:
				add(title + value)
			}
		}
		if blocks := list(at["blocks"]); len(blocks) > 0 {
			add(richOrText(blocks))
		}
		for _, mb := range list(at["message_blocks"]) {
			add(richOrText(list(obj(obj(mb)["message"])["blocks"])))
		}
		if len(lines) == 0 {
			add(slackpost.Escape(str(at["fallback"])))
		}
		parts = append(parts, strings.Join(lines, "\n"))
	}
	return joinParts(parts...)
}

func richOrText(blocks []any) string {
	if hasBlock(blocks, "rich_text") {
		return richBlocks(blocks)
	}
	return textBlocks(blocks)
}

// joinParts joins the non-empty parts with a blank line.
func joinParts(parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, "\n\n")
}

// marks are Slack mrkdwn's formatting marks around a run of text: bold,
// italic, strike and inline code, at word boundaries.
var marks = func() []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, m := range []string{`\*`, `_`, `~`, "`"} {
		out = append(out, regexp.MustCompile(`(^|[\s(\[{"'])`+m+`([^\s`+m+`](?:[^\n`+m+`]*?[^\s`+m+`])?)`+m+`($|[\s)\]}"'.,;:!?*_~])`))
	}
	return out
}()

// stripMarks drops mrkdwn's formatting marks, keeping their text, and the
// fences of code blocks; <…> tokens (links, mentions) are left whole.
func stripMarks(s string) string {
	s = strings.ReplaceAll(s, "```", "")
	var b strings.Builder
	for s != "" {
		open := strings.IndexByte(s, '<')
		if open < 0 {
			b.WriteString(stripRun(s))
			break
		}
		end := strings.IndexByte(s[open:], '>')
		if end < 0 {
			b.WriteString(stripRun(s))
			break
		}
		b.WriteString(stripRun(s[:open]))
		b.WriteString(s[open : open+end+1])
		s = s[open+end+1:]
	}
	return b.String()
}

func stripRun(s string) string {
	for range 4 { // adjacent and nested marks: *a* *b*, *_bold italic_*
		next := s
		for _, m := range marks {
			next = m.ReplaceAllString(next, "$1$2$3")
		}
		if next == s {
			break
		}
		s = next
	}
	return s
}

var (
	spaces    = regexp.MustCompile(`([^\s]) {2,}`)
	blankRuns = regexp.MustCompile(`\n{3,}`)
)

// tidy leaves no double space inside a line (indentation stays), no
// trailing space, and at most one blank line in a row.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(spaces.ReplaceAllString(l, "$1 "), " \t")
	}
	return strings.TrimSpace(blankRuns.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}
