package fakeslack

import (
	"encoding/json"
	"fmt"
	"net/http"
	"unicode/utf8"
)

// Slack's limits, which the fake enforces as Slack does: a post, an edit, a
// view or a response_url message over them is refused, and recorded as a
// Violation. Characters are Unicode code points.
const (
	maxMessageBlocks = 50    // blocks in a message
	maxViewBlocks    = 100   // blocks in a modal or a Home tab
	maxTextObject    = 3000  // characters in a text object (a section's text, a context element)
	maxHeaderText    = 150   // characters in a header block's text
	maxFieldText     = 2000  // characters in one of a section's fields
	maxButtonText    = 75    // characters in a button's label
	maxMessageText   = 40000 // characters in a message's top-level text: msg_too_long past it
)

// Violation is a call Slack refused because it passed one of Slack's limits.
type Violation struct {
	Method  string // chat.postMessage, chat.update, views.publish, response_url, …
	Channel string // the channel, view or response_url name
	Error   string // Slack's answer: invalid_blocks, msg_too_long
	Detail  string // which limit
}

// Violations returns the calls refused for passing Slack's limits so far:
// a bot whose every post fits Slack's limits has none.
func (s *Server) Violations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Violation(nil), s.violations...)
}

// refuseOverLimits answers Slack's refusal when a message passes a limit,
// and reports whether it did.
func (s *Server) refuseOverLimits(w http.ResponseWriter, method, channel, text, blocks string, maxBlocks int) bool {
	e := s.overLimits(method, channel, text, blocks, maxBlocks)
	if e == "" {
		return false
	}
	writeJSON(w, map[string]any{"ok": false, "error": e})
	return true
}

// refuseViewOverLimits is refuseOverLimits for a views.* call's view.
func (s *Server) refuseViewOverLimits(w http.ResponseWriter, method string, body json.RawMessage) bool {
	var req struct {
		View struct {
			Blocks json.RawMessage `json:"blocks"`
		} `json:"view"`
	}
	_ = json.Unmarshal(body, &req)
	e := s.overLimits(method, "view", "", string(req.View.Blocks), maxViewBlocks)
	if e == "" {
		return false
	}
	writeJSON(w, map[string]any{"ok": false, "error": e})
	return true
}

// overLimits checks a message's text and blocks against Slack's limits;
// it returns Slack's error ("" when it fits) and records a violation.
func (s *Server) overLimits(method, channel, text, blocks string, maxBlocks int) string {
	e, detail := "", ""
	if n := utf8.RuneCountInString(text); n > maxMessageText {
		e, detail = "msg_too_long", fmt.Sprintf("text of %d characters (at most %d)", n, maxMessageText)
	} else if blocks != "" && blocks != "null" {
		detail = checkBlocks(blocks, maxBlocks)
		if detail != "" {
			e = "invalid_blocks"
		}
	}
	if e == "" {
		return ""
	}
	s.mu.Lock()
	s.violations = append(s.violations, Violation{Method: method, Channel: channel, Error: e, Detail: detail})
	s.mu.Unlock()
	return e
}

// checkBlocks says which limit blocks pass; "" when none.
func checkBlocks(raw string, maxBlocks int) string {
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		return "blocks are not a JSON array of objects: " + err.Error()
	}
	if len(blocks) > maxBlocks {
		return fmt.Sprintf("%d blocks (at most %d)", len(blocks), maxBlocks)
	}
	for i, b := range blocks {
		typ, _ := b["type"].(string)
		if p := checkText(b["text"], maxText(typ)); p != "" {
			return fmt.Sprintf("block %d (%s): text %s", i, typ, p)
		}
		if fields, ok := b["fields"].([]any); ok {
			if len(fields) > 10 {
				return fmt.Sprintf("block %d: %d fields (at most 10)", i, len(fields))
			}
			for _, f := range fields {
				if p := checkText(f, maxFieldText); p != "" {
					return fmt.Sprintf("block %d: a field %s", i, p)
				}
			}
		}
		if els, ok := b["elements"].([]any); ok {
			limit := 25
			if typ == "context" {
				limit = 10
			}
			if len(els) > limit {
				return fmt.Sprintf("block %d (%s): %d elements (at most %d)", i, typ, len(els), limit)
			}
			for _, el := range els {
				m, _ := el.(map[string]any)
				if m == nil {
					continue
				}
				if t, _ := m["type"].(string); t == "mrkdwn" || t == "plain_text" {
					if p := checkText(m, maxTextObject); p != "" {
						return fmt.Sprintf("block %d (%s): an element %s", i, typ, p)
					}
				} else if t == "button" {
					if p := checkText(m["text"], maxButtonText); p != "" {
						return fmt.Sprintf("block %d: a button's label %s", i, p)
					}
				}
			}
		}
	}
	return ""
}

func maxText(blockType string) int {
	if blockType == "header" {
		return maxHeaderText
	}
	return maxTextObject
}

// checkText checks a text object (nil: none) against max characters; a
// text object may not be empty either.
func checkText(v any, max int) string {
	obj, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	text, _ := obj["text"].(string)
	switch n := utf8.RuneCountInString(text); {
	case n > max:
		return fmt.Sprintf("of %d characters (at most %d)", n, max)
	case n == 0:
		return "is empty"
	}
	return ""
}
