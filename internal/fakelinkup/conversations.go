package fakelinkup

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The scripted LinkedIn behind the fake: the account's conversations, each
// with its participant and messages. Answers follow the shapes in
// ../shared/linkup-conversations.md (docs, Pipedream, n8n and a Rust
// client): newest first, times in epoch milliseconds or as strings,
// conversation IDs as URNs or in their short form.

// Msg is one LinkedIn message.
type Msg struct {
	URN    string // entity_urn; one is made up when empty, unless NoURN
	NoURN  bool   // leave entity_urn out of answers
	Text   string
	Sender string
	Type   string // message_type; "TEXT" when empty
	At     time.Time
}

// Person is a conversation's other side.
type Person struct {
	Name       string
	ProfileURL string
}

// Shapes picks the variants of Linkup's answers the fake gives.
type Shapes struct {
	// TimeAsString gives times as RFC 3339 strings, not epoch milliseconds.
	TimeAsString bool
	// URNIDs gives conversation IDs as full URNs, not their short form.
	URNIDs bool
	// NoData answers sends without data (older Linkup versions).
	NoData bool

	// The variants below are v2's: ../shared/linkup-v2.md leaves each open.

	// DeliveredAtMillis gives a v2 send's deliveredAt in epoch
	// milliseconds (v1's form), not ISO 8601 (the v2 docs' example).
	DeliveredAtMillis bool
	// ConversationIDInRead adds conversation_id to v2 get_conversation
	// answers, whose documented shape has none.
	ConversationIDInRead bool
	// EchoOwnMessages makes the account's own messages (its sends, and
	// Write with its name) produce message events too; the docs do not
	// say whether they do.
	EchoOwnMessages bool
	// EventsNewestFirst lists /events items newest first; oldest first
	// otherwise. The docs do not give the order.
	EventsNewestFirst bool
	// WebhooksStartStopped leaves a created webhook stopped until /start
	// (the introduction's reading); the create page says monitoring starts
	// on create, which is the default.
	WebhooksStartStopped bool
	// WebhookListAsArray gives GET /v2/webhooks's data as the list itself,
	// not as {"items":[…]}.
	WebhookListAsArray bool
	// PlaceholderHost names https://api.example.com in a created
	// webhook's stream_url and events_url, as some doc pages show.
	PlaceholderHost bool
	// StreamURLWithKey puts ?api_key=<the key of the create call> in a
	// created webhook's stream_url; whether Linkup does is not documented.
	StreamURLWithKey bool
	// LoginTokenV2 puts the mailbox's login_token in the data of a v2
	// login or checkpoint that connects; the docs' answer has none.
	LoginTokenV2 bool
	// ApprovalPendingAsStatus answers a /v2/checkpoint made before the app
	// approval with a success whose status is still checkpoint_required
	// (0 credits), not with a 400 INVALID_PARAMS; the docs do not say.
	ApprovalPendingAsStatus bool
}

// ReadCall is one inbox or conversation request (or, in AuthCalls, one
// login call).
type ReadCall struct {
	// Path is the route, or for a v2 read, one of InboxV2 and
	// ConversationV2 (the route with its action).
	Path string
	// Body is the JSON body as sent; nil when it was not JSON.
	Body map[string]any
	// Version is the API the call came through: "v1" or "v2".
	Version string
	// Action is a v2 call's action ("list_inbox", "get_conversation"); empty on v1.
	Action string
}

// The keys of Reads and SetReadAnswer: v1's read routes, and v2's read
// actions, which share the route /v2/messages.
const (
	InboxV1        = "/v1/messages/inbox"
	ConversationV1 = "/v1/messages/conversation"
	InboxV2        = "/v2/messages?action=list_inbox"
	ConversationV2 = "/v2/messages?action=get_conversation"
)

type conversation struct {
	box      string // the login token whose mailbox it is in; "" for the default one
	id       string
	with     Person
	messages []Msg // oldest first
}

type linkedIn struct {
	account string
	convs   map[string]*conversation
	// Logins (auth.go): the accounts the fake logs in, by email; the names
	// of their mailboxes, by token; the codes asked for; expired tokens.
	logins  map[string]Login
	names   map[string]string
	pending map[string]bool
	expired map[string]bool
	auths   []ReadCall

	seq      int
	offset   time.Duration // LinkedIn's clock minus this machine's (SetClockOffset)
	shapes   Shapes
	reads    []ReadCall
	readHook map[string]ReadAnswer
}

// ReadAnswer may answer a read call itself, given its JSON body; it
// reports whether it did.
type ReadAnswer func(w http.ResponseWriter, body map[string]any) bool

func newLinkedIn() linkedIn {
	return linkedIn{account: "Sales Team", convs: map[string]*conversation{}, readHook: map[string]ReadAnswer{},
		logins: map[string]Login{}, names: map[string]string{}, pending: map[string]bool{}, expired: map[string]bool{}}
}

// SetShapes picks the answer variants.
func (s *Server) SetShapes(sh Shapes) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shapes = sh
}

// SetReadAnswer lets a answer the calls to path (InboxV1, ConversationV1,
// InboxV2 or ConversationV2) it chooses to, until it is set to nil. Every
// call is still counted in Reads. A v2 hook runs once the account is known
// and active, and gets the whole body ({account_id, action, params}).
func (s *Server) SetReadAnswer(path string, a ReadAnswer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a == nil {
		delete(s.readHook, path)
	} else {
		s.readHook[path] = a
	}
}

// SetClockOffset sets LinkedIn's clock d ahead of this machine's (behind
// when negative): the messages written from now on without a time are
// dated by it, in every answer. It is also the clock of v2's metadata,
// of webhook events (created_at, the replay's 24 hours) and of monitoring:
// moving it forward while a webhook is active bills the time skipped. A bot 10 minutes ahead of LinkedIn is
// SetClockOffset(-10 * time.Minute).
func (s *Server) SetClockOffset(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset = d
}

// Now is the time by LinkedIn's clock (see SetClockOffset).
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Add(s.offset)
}

// AddConversation starts a conversation with who, without messages; it
// returns its short ID.
func (s *Server) AddConversation(who Person) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conv("", who).id
}

// Write adds a message to the conversation with profileURL (started if
// needed), as written at m.At (now by LinkedIn's clock when zero); an
// empty URN gets one.
func (s *Server) Write(profileURL string, m Msg) Msg {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conv("", Person{ProfileURL: profileURL})
	return s.add(c, m)
}

// Reply adds a message from the conversation's participant, now, in the
// default mailbox.
func (s *Server) Reply(profileURL, text string) Msg { return s.ReplyIn("", profileURL, text) }

// ReplyIn adds a message from the participant, now, to the conversation
// with profileURL in the mailbox of token (an AddLogin token).
func (s *Server) ReplyIn(token, profileURL, text string) Msg {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conv(s.box(token), Person{ProfileURL: profileURL})
	return s.add(c, Msg{Text: text, Sender: c.with.Name})
}

// Account is the sending account's name as LinkedIn shows it.
func (s *Server) Account() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.account
}

// Messages returns the conversation with profileURL, oldest first.
func (s *Server) Messages(profileURL string) []Msg {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.convs {
		if c.box == "" && c.with.ProfileURL == profileURL {
			return append([]Msg(nil), c.messages...)
		}
	}
	return nil
}

// ConversationID is the short ID of the conversation with profileURL in
// the default mailbox; empty when none.
func (s *Server) ConversationID(profileURL string) string { return s.ConversationIDIn("", profileURL) }

// ConversationIDIn is ConversationID in the mailbox of token.
func (s *Server) ConversationIDIn(token, profileURL string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	box := s.box(token)
	for _, c := range s.convs {
		if c.box == box && c.with.ProfileURL == profileURL {
			return c.id
		}
	}
	return ""
}

// Reads returns the read calls to path so far ("" for all, v1 and v2).
func (s *Server) Reads(path string) []ReadCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ReadCall
	for _, r := range s.reads {
		if path == "" || r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// Deliver is the default answer: the message goes into its conversation,
// from the account, and Linkup's success answer names both, in the shape
// of the request's Version.
func (s *Server) Deliver(w http.ResponseWriter, r *http.Request, req Request) {
	if req.Version == "v2" {
		s.deliverV2(w, req)
		return
	}
	m, id := s.Record(req)
	s.mu.Lock()
	sh := s.shapes
	s.mu.Unlock()
	if sh.NoData {
		Reply(w, http.StatusOK, `{"status":"success","message":"Message sent successfully"}`)
		return
	}
	convID := id
	if sh.URNIDs {
		convID = urn(id)
	}
	data, _ := json.Marshal(map[string]any{"entityUrn": m.URN, "conversation_id": convID, "deliveredAt": m.At.UnixMilli()})
	Reply(w, http.StatusOK, `{"status":"success","message":"Message sent successfully","data":`+string(data)+`}`)
}

// Record puts req's message in its conversation, as LinkedIn would once
// Linkup processed it, and returns it with the conversation's ID. A v2
// request's mailbox is its account's (the default one when unknown).
func (s *Server) Record(req Request) (Msg, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	box := s.box(req.Body.LoginToken)
	if req.Version == "v2" {
		box = ""
		if a := s.v2.byID[req.AccountID]; a != nil {
			box = a.box
		}
	}
	c := s.conv(box, Person{ProfileURL: req.Body.LinkedInURL})
	return s.add(c, Msg{Text: req.Body.MessageText, Sender: s.nameOfBox(box)}), c.id
}

// box is the mailbox of a login token: its own for an AddLogin token,
// else the default one. Caller holds s.mu.
func (s *Server) box(token string) string {
	if _, ok := s.names[token]; ok {
		return token
	}
	return ""
}

// nameOfBox is the account's name on the messages it writes. Caller holds s.mu.
func (s *Server) nameOfBox(box string) string {
	if box == "" {
		return s.account
	}
	return s.names[box]
}

// conv finds or starts the conversation with who in box. Caller holds s.mu.
func (s *Server) conv(box string, who Person) *conversation {
	for _, c := range s.convs {
		if c.box == box && c.with.ProfileURL == who.ProfileURL {
			if who.Name != "" {
				c.with.Name = who.Name
			}
			return c
		}
	}
	if who.Name == "" {
		who.Name = nameOf(who.ProfileURL)
	}
	s.seq++
	c := &conversation{box: box, id: fmt.Sprintf("2-fake%04d", s.seq), with: who}
	s.convs[c.id] = c
	return c
}

// add appends m to c, and tells c's account's webhooks. Caller holds s.mu.
func (s *Server) add(c *conversation, m Msg) Msg {
	s.seq++
	if m.At.IsZero() {
		m.At = time.Now().Add(s.offset)
	}
	if m.URN == "" && !m.NoURN {
		m.URN = fmt.Sprintf("urn:li:msg_message:(urn:li:fsd_profile:ACoAAFAKE,%s-%d)", c.id, s.seq)
	}
	c.messages = append(c.messages, m)
	s.messageEvent(c, m)
	return m
}

// nameOf makes "Jane Doe" of …/in/jane-doe.
func nameOf(profileURL string) string {
	slug := profileURL[strings.LastIndexByte(profileURL, '/')+1:]
	parts := strings.FieldsFunc(slug, func(r rune) bool { return r == '-' || r == '_' })
	for i, p := range parts {
		parts[i] = strings.ToUpper(p[:1]) + p[1:]
	}
	return strings.Join(parts, " ")
}

func urn(id string) string {
	return "urn:li:msg_conversation:(urn:li:fsd_profile:ACoAAFAKE," + id + ")"
}

// readRequest records a read and decodes its body; it returns false when
// a hook answered it.
func (s *Server) readRequest(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	s.mu.Lock()
	s.reads = append(s.reads, ReadCall{Path: r.URL.Path, Body: body, Version: "v1"})
	hook := s.readHook[r.URL.Path]
	s.mu.Unlock()
	if token, _ := body["login_token"].(string); s.refuseExpired(w, token) {
		return nil, false
	}
	if hook != nil && hook(w, body) {
		return nil, false
	}
	return body, true
}

func number(v any, def int) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case string:
		if i, err := strconv.Atoi(n); err == nil {
			return i
		}
	}
	return def
}

func (s *Server) timeValue(t time.Time) any {
	if s.shapes.TimeAsString {
		return t.UTC().Format(time.RFC3339Nano)
	}
	return t.UnixMilli()
}

func (s *Server) serveInbox(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readRequest(w, r)
	if !ok {
		return
	}
	count := number(body["total_results"], 10)
	offset := number(body["next_cursor"], 0)
	s.mu.Lock()
	defer s.mu.Unlock()
	token, _ := body["login_token"].(string)
	box := s.box(token)
	var convs []*conversation
	for _, c := range s.convs {
		if c.box == box && len(c.messages) > 0 {
			convs = append(convs, c)
		}
	}
	sort.Slice(convs, func(i, j int) bool {
		return convs[i].messages[len(convs[i].messages)-1].At.After(convs[j].messages[len(convs[j].messages)-1].At)
	})
	list := []map[string]any{}
	for i := offset; i < len(convs) && i < offset+count; i++ {
		c := convs[i]
		last := c.messages[len(c.messages)-1]
		id := c.id
		if s.shapes.URNIDs {
			id = urn(id)
		}
		list = append(list, map[string]any{
			"conversation_id": id,
			"participant":     map[string]any{"name": c.with.Name, "headline": "Buyer at Example", "profile_url": c.with.ProfileURL, "profile_picture": "https://media.licdn.com/x.jpg"},
			"last_message":    map[string]any{"text": last.Text, "time": s.timeValue(last.At), "sender": map[string]any{"name": last.Sender, "profile_url": ""}},
			"unread":          last.Sender != s.nameOfBox(box),
			"type":            "normal",
		})
	}
	data := map[string]any{"conversations": list, "total_results": len(list)}
	if offset+count < len(convs) {
		data["next_cursor"] = strconv.Itoa(offset + count)
	}
	writeData(w, data)
}

func (s *Server) serveConversation(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readRequest(w, r)
	if !ok {
		return
	}
	count := number(body["total_results"], 10)
	offset := number(body["cursor"], 0)
	id, _ := body["conversation_id"].(string)
	profile, _ := body["linkedin_url"].(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	token, _ := body["login_token"].(string)
	box := s.box(token)
	var c *conversation
	for _, cv := range s.convs {
		if cv.box != box {
			continue
		}
		if id != "" && (cv.id == id || urn(cv.id) == id) || id == "" && profile != "" && cv.with.ProfileURL == profile {
			c = cv
		}
	}
	if c == nil {
		Reply(w, http.StatusOK, `{"status":"error","message":"Conversation not found"}`)
		return
	}
	msgs := []map[string]any{}
	n := len(c.messages)
	for i := n - 1 - offset; i >= 0 && i > n-1-offset-count; i-- {
		m := c.messages[i]
		first, last, _ := strings.Cut(m.Sender, " ")
		typ := m.Type
		if typ == "" {
			typ = "TEXT"
		}
		e := map[string]any{"text": m.Text, "timestamp": s.timeValue(m.At), "sender": m.Sender,
			"sender_info": map[string]any{"first_name": first, "last_name": last}, "message_type": typ}
		if m.URN != "" {
			e["entity_urn"] = m.URN
		}
		msgs = append(msgs, e)
	}
	cid := c.id
	if s.shapes.URNIDs {
		cid = urn(cid)
	}
	more := offset+count < n
	data := map[string]any{"conversation_id": cid, "profile_url": c.with.ProfileURL, "total_results": len(msgs),
		"total_other_member_message_count": 0, "unread_count": 0, "messages": msgs, "has_next_page": more}
	if more {
		data["next_cursor"] = strconv.Itoa(offset + count)
	}
	writeData(w, data)
}

func writeData(w http.ResponseWriter, data any) {
	raw, _ := json.Marshal(map[string]any{"status": "success", "data": data})
	Reply(w, http.StatusOK, string(raw))
}
