package fakelinkup

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// POST /v2/messages, after ../shared/linkup-v2.md: send, list_inbox and
// get_conversation over the scripted LinkedIn of conversations.go.

func (s *Server) serveV2Messages(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		s.mu.Lock()
		s.aborted++
		s.mu.Unlock()
		return
	}
	var b struct {
		AccountID string         `json:"account_id"`
		Action    string         `json:"action"`
		Params    map[string]any `json:"params"`
	}
	var body map[string]any
	if json.Unmarshal(raw, &b) != nil || json.Unmarshal(raw, &body) != nil {
		s.v2Error(w, "", http.StatusBadRequest, "INVALID_PARAMS", "Invalid JSON body")
		return
	}
	switch b.Action {
	case "send":
		s.v2Send(w, r, b.AccountID, b.Params)
	case "list_inbox", "get_conversation":
		s.v2Read(w, b.AccountID, b.Action, b.Params, body)
	default:
		s.mu.Lock()
		known := s.v2.byID[b.AccountID] != nil
		s.mu.Unlock()
		if !known {
			s.v2Error(w, b.Action, http.StatusNotFound, "INVALID_ACCOUNT", "Account not found")
			return
		}
		s.v2Error(w, b.Action, http.StatusBadRequest, "INVALID_ACTION", "Unknown action for messages")
	}
}

// v2Send records a send as it arrives, as v1's are (even when refused),
// then refuses it (unknown or inactive account, params Linkup would
// refuse: no profile_url, neither text nor media, a media_file that is not
// {data: base64, filename}) or hands it to the Answer, as a v1 send.
// See https://docs.linkupapi.com/api-reference/v2/messages/send.
func (s *Server) v2Send(w http.ResponseWriter, r *http.Request, accountID string, p map[string]any) {
	const action = "send"
	req := Request{APIKey: r.Header.Get("x-api-key"), Version: "v2", AccountID: accountID}
	req.Body.LinkedInURL, _ = p["profile_url"].(string)
	req.Body.MessageText, _ = p["message_text"].(string)
	req.Body.Country, _ = p["country"].(string)
	req.Body.MediaLink, _ = p["media_link"].(string)
	var fault string
	if mf := p["media_file"]; mf != nil {
		obj, _ := mf.(map[string]any)
		req.Body.MediaFile, _ = obj["data"].(string)
		req.MediaName, _ = obj["filename"].(string)
		media, err := base64.StdEncoding.DecodeString(req.Body.MediaFile)
		if obj == nil || req.Body.MediaFile == "" || err != nil {
			fault = "media_file must be an object {data: base64, filename}"
		} else {
			req.Media = media
		}
	}
	switch {
	case req.Body.LinkedInURL == "":
		fault = "profile_url is required"
	case req.Body.MessageText == "" && req.Body.MediaLink == "" && req.Body.MediaFile == "":
		fault = "message_text is required"
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	answer := s.answer
	s.mu.Unlock()
	select {
	case s.arrived <- struct{}{}:
	default:
	}
	if _, ok := s.activeAccount(w, action, accountID); !ok {
		return
	}
	if fault != "" {
		s.v2Error(w, action, http.StatusBadRequest, "INVALID_PARAMS", fault)
		return
	}
	answer(w, r, req)
}

// deliverV2 is Deliver for a v2 send: the message goes into its
// conversation and the answer names both, in v2's shape.
func (s *Server) deliverV2(w http.ResponseWriter, req Request) {
	m, id := s.Record(req)
	s.mu.Lock()
	sh := s.shapes
	s.mu.Unlock()
	var data any
	if !sh.NoData {
		cid := id
		if sh.URNIDs {
			cid = urn(id)
		}
		var at any = isoTime(m.At)
		if sh.DeliveredAtMillis {
			at = m.At.UnixMilli()
		}
		data = map[string]any{"entityUrn": m.URN, "conversation_id": cid, "deliveredAt": at}
	}
	s.v2OK(w, "send", req.AccountID, sendCredits(req), data)
}

// v2Read records a read as v1's are, then answers it: refused for an
// unknown or inactive account, else by the SetReadAnswer hook of its key
// or from the mailbox.
func (s *Server) v2Read(w http.ResponseWriter, accountID, action string, p, body map[string]any) {
	key := InboxV2
	if action == "get_conversation" {
		key = ConversationV2
	}
	s.mu.Lock()
	s.reads = append(s.reads, ReadCall{Path: key, Body: body, Version: "v2", Action: action})
	hook := s.readHook[key]
	s.mu.Unlock()
	a, ok := s.activeAccount(w, action, accountID)
	if !ok || hook != nil && hook(w, body) {
		return
	}
	if action == "list_inbox" {
		s.v2Inbox(w, a, p)
	} else {
		s.v2Conversation(w, a, p)
	}
}

// readCredits is a read's price: 1 per 10 results, at least 1.
func readCredits(n int) int { return max(1, (n+9)/10) }

// page picks from times (epoch ms, newest first) those strictly older
// than cursor (all without one): count of them, and then any of the same
// millisecond as the last, so that the next page, which starts below
// that millisecond, misses none. next is that page's cursor, "" when
// nothing is left; ok is false when cursor is not a number.
func page(times []int64, count int, cursor any) (from, to int, next string, ok bool) {
	if c, given := cursorValue(cursor); given {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil {
			return 0, 0, "", false
		}
		for from < len(times) && times[from] >= n {
			from++
		}
	}
	to = min(from+count, len(times))
	for to > from && to < len(times) && times[to] == times[to-1] {
		to++
	}
	if to < len(times) && to > from {
		next = strconv.FormatInt(times[to-1], 10)
	}
	return from, to, next, true
}

func cursorValue(v any) (string, bool) {
	switch c := v.(type) {
	case string:
		return c, c != ""
	case float64:
		return strconv.FormatFloat(c, 'f', -1, 64), true
	}
	return "", false
}

// pageSize is a read's count param, def when absent or below 1, at most hi.
func pageSize(v any, def, hi int) int {
	n := number(v, def)
	if n < 1 {
		n = def
	}
	return min(n, hi)
}

// ownProfile is the account's own profile URL on its messages.
func ownProfile(a *account) string { return "https://www.linkedin.com/in/ACoAA" + a.id }

// v2Inbox lists the account's conversations, newest first, after
// https://docs.linkupapi.com/api-reference/v2/messages/list-inbox: the
// conversation ID as a URN (as the docs' example), sender.is_me, at most
// 25 a page (LinkedIn's page), next_cursor the last one's time in ms.
func (s *Server) v2Inbox(w http.ResponseWriter, a *account, p map[string]any) {
	const action = "list_inbox"
	count := pageSize(p["count"], 10, 25)
	s.mu.Lock()
	var convs []*conversation
	for _, c := range s.convs {
		if c.box == a.box && len(c.messages) > 0 {
			convs = append(convs, c)
		}
	}
	lastAt := func(c *conversation) int64 { return c.messages[len(c.messages)-1].At.UnixMilli() }
	slices.SortFunc(convs, func(x, y *conversation) int {
		return cmp.Or(cmp.Compare(lastAt(y), lastAt(x)), cmp.Compare(x.id, y.id))
	})
	times := make([]int64, len(convs))
	for i, c := range convs {
		times[i] = lastAt(c)
	}
	from, to, next, ok := page(times, count, p["cursor"])
	me := s.nameOfBox(a.box)
	list := []map[string]any{}
	for _, c := range convs[from:to] {
		last := c.messages[len(c.messages)-1]
		isMe := last.Sender == me
		sender := map[string]any{"name": last.Sender, "headline": "Buyer at Example", "profile_url": c.with.ProfileURL,
			"profile_picture": "https://media.licdn.com/x.jpg", "is_me": isMe}
		if isMe {
			sender["headline"], sender["profile_url"] = "Sales at Example", ownProfile(a)
		}
		list = append(list, map[string]any{
			"conversation_id": urn(c.id),
			"participant":     map[string]any{"name": c.with.Name, "headline": "Buyer at Example", "profile_url": c.with.ProfileURL, "profile_picture": "https://media.licdn.com/x.jpg"},
			"last_message":    map[string]any{"text": last.Text, "time": s.timeValue(last.At), "sender": sender},
			"unread":          !isMe,
			"type":            "normal",
		})
	}
	s.mu.Unlock()
	if !ok {
		s.v2Error(w, action, http.StatusBadRequest, "INVALID_PARAMS", "cursor must be a timestamp in milliseconds")
		return
	}
	data := map[string]any{"conversations": list, "total_results": len(list)}
	if next != "" {
		data["next_cursor"] = next
	}
	s.v2OK(w, action, a.id, readCredits(len(list)), data)
}

// v2Conversation reads one conversation, by conversation_id (short or
// URN) or profile_url (compared by its /in/ slug), newest first, after
// https://docs.linkupapi.com/api-reference/v2/messages/get-conversation:
// sender_info.profile_url, next_cursor the last message's time in ms, no
// conversation_id (unless Shapes.ConversationIDInRead).
func (s *Server) v2Conversation(w http.ResponseWriter, a *account, p map[string]any) {
	const action = "get_conversation"
	count := pageSize(p["count"], 10, 1<<30)
	id, _ := p["conversation_id"].(string)
	profile, _ := p["profile_url"].(string)
	if id == "" && profile == "" {
		s.v2Error(w, action, http.StatusBadRequest, "INVALID_PARAMS", "conversation_id or profile_url is required")
		return
	}
	s.mu.Lock()
	var c *conversation
	for _, cv := range s.convs {
		if cv.box == a.box && (id != "" && shortID(id) == cv.id || id == "" && slug(cv.with.ProfileURL) == slug(profile)) {
			c = cv
		}
	}
	if c == nil {
		s.mu.Unlock()
		s.v2Error(w, action, http.StatusBadRequest, "INVALID_PARAMS", "Conversation not found")
		return
	}
	me := s.nameOfBox(a.box)
	order := make([]int, len(c.messages)) // newest first: by time, then by place
	for i := range order {
		order[i] = len(c.messages) - 1 - i
	}
	slices.SortStableFunc(order, func(x, y int) int { return c.messages[y].At.Compare(c.messages[x].At) })
	times := make([]int64, len(order))
	for i, k := range order {
		times[i] = c.messages[k].At.UnixMilli()
	}
	from, to, next, ok := page(times, count, p["cursor"])
	msgs := []map[string]any{}
	for _, k := range order[from:to] {
		m := c.messages[k]
		first, last, _ := strings.Cut(m.Sender, " ")
		profileURL := c.with.ProfileURL
		if m.Sender == me {
			profileURL = ownProfile(a)
		}
		e := map[string]any{"text": m.Text, "timestamp": s.timeValue(m.At), "sender": m.Sender,
			"sender_info":  map[string]any{"first_name": first, "last_name": last, "profile_url": profileURL},
			"message_type": cmp.Or(m.Type, "TEXT")}
		if m.URN != "" {
			e["entity_urn"] = m.URN
		}
		msgs = append(msgs, e)
	}
	data := map[string]any{"total_message_count": len(c.messages), "unread_count": 0, "messages": msgs}
	for i := len(c.messages) - 1; i >= 0; i-- { // unread: the other side's messages after the account's last
		if c.messages[i].Sender == me {
			if c.messages[i].URN != "" {
				data["last_seen_message"], data["last_seen_at"] = c.messages[i].URN, c.messages[i].At.UnixMilli()
			}
			break
		}
		data["unread_count"] = len(c.messages) - i
	}
	if next != "" {
		data["next_cursor"] = next
	}
	if s.shapes.ConversationIDInRead {
		data["conversation_id"] = c.id
		if s.shapes.URNIDs {
			data["conversation_id"] = urn(c.id)
		}
	}
	s.mu.Unlock()
	if !ok {
		s.v2Error(w, action, http.StatusBadRequest, "INVALID_PARAMS", "cursor must be a timestamp in milliseconds")
		return
	}
	s.v2OK(w, action, a.id, readCredits(len(msgs)), data)
}

// shortID is the 2-… part of a conversation URN, or id itself.
func shortID(id string) string {
	if i := strings.LastIndexByte(id, ','); i >= 0 && strings.HasPrefix(id, "urn:") {
		return strings.TrimSuffix(id[i+1:], ")")
	}
	return id
}

// slug is the lower-cased /in/ part of a profile URL, or the URL itself.
func slug(profileURL string) string {
	u, _, _ := strings.Cut(profileURL, "?")
	u, _, _ = strings.Cut(u, "#")
	if _, rest, ok := strings.Cut(u, "/in/"); ok {
		u, _, _ = strings.Cut(rest, "/")
	}
	return strings.ToLower(u)
}
