package linkup

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// The read endpoints. Both are POSTs that change nothing at Linkup or on
// LinkedIn, and both are billed: 1 credit per 10 conversations or messages
// listed, rounded up.
const (
	inboxPath        = "/v1/messages/inbox"
	conversationPath = "/v1/messages/conversation"
)

// MaxPage is the largest page the bot asks for: one client saw larger
// inbox pages come back empty.
const MaxPage = 25

// maxReadBytes bounds a read's answer (a page of messages).
const maxReadBytes = 4 << 20

// InboxQuery asks for one page of the account's conversations.
type InboxQuery struct {
	// LoginToken is the session to read; the client's when empty. v1 only.
	LoginToken string
	// AccountID is the account to read; v2 only, and required there.
	AccountID string
	// Country is v1's proxy country; v2 uses the account's.
	Country string
	// Count is the page size, at most MaxPage; 10 when zero.
	Count int
	// Cursor is the previous page's NextCursor; empty for the first page.
	Cursor string
}

// InboxPage is one page of conversations, newest activity first.
type InboxPage struct {
	Conversations []InboxEntry
	NextCursor    string
	// Skipped counts entries that could not be read (and were left out).
	Skipped int
	// Credits is what the page cost.
	Credits int
}

// InboxEntry is one conversation as the inbox lists it.
type InboxEntry struct {
	// ConversationID is in its short form (see ShortConversationID).
	ConversationID string
	Participant    Person
	// Last is the conversation's newest message; its At is zero when the
	// time could not be read.
	Last   ChatMessage
	Unread bool
}

// Person is the other side of a conversation.
type Person struct {
	Name string
	// ProfileURL may be the /in/ACoAA… form rather than the public slug.
	ProfileURL string
}

// ConversationQuery asks for one page of a conversation's messages, by
// ConversationID or, when it is not known, by ProfileURL.
type ConversationQuery struct {
	// LoginToken is the session to read; the client's when empty. v1 only.
	LoginToken string
	// AccountID is the account to read; v2 only, and required there.
	AccountID      string
	ConversationID string
	ProfileURL     string
	Country        string
	// Count is the page size, at most MaxPage; 10 when zero.
	Count int
	// Cursor is the previous page's NextCursor; empty for the newest messages.
	Cursor string
}

// ConversationPage is one page of a conversation, newest message first.
type ConversationPage struct {
	// ConversationID is in its short form; empty when Linkup gave none.
	// v2's answer has none: there it is the query's, when it named one.
	ConversationID string
	ProfileURL     string
	Messages       []ChatMessage
	// NextCursor, when set, reads older messages.
	NextCursor string
	Skipped    int
	Credits    int
}

// ChatMessage is one message of a conversation as Linkup reports it.
type ChatMessage struct {
	// EntityURN identifies the message; empty when Linkup gave none.
	EntityURN string
	Text      string
	// Sender is the writer's name, as LinkedIn shows it.
	Sender string
	// Type is "TEXT", "SYSTEM" or another kind; empty when not given.
	Type string
	// At is zero when the time could not be read.
	At time.Time
	// Author says whether the account itself wrote the message, when
	// Linkup says so (v2's sender.is_me); AuthorUnknown on v1.
	Author Author
	// SenderProfile is the writer's profile URL (often the /in/ACoAA… form),
	// when Linkup gives it (v2); empty on v1.
	SenderProfile string
}

// Author says who wrote a message, as far as Linkup tells.
type Author int8

const (
	// AuthorUnknown: Linkup did not say (v1, or a v2 answer without is_me).
	AuthorUnknown Author = iota
	// AuthorMe: the account itself wrote it.
	AuthorMe
	// AuthorOther: someone else did.
	AuthorOther
)

func (a Author) String() string {
	switch a {
	case AuthorMe:
		return "me"
	case AuthorOther:
		return "other"
	default:
		return "unknown"
	}
}

// authorOf is the Author an is_me field says; unknown when it is absent.
func authorOf(isMe *flexBool) Author {
	switch {
	case isMe == nil:
		return AuthorUnknown
	case bool(*isMe):
		return AuthorMe
	default:
		return AuthorOther
	}
}

// ShortConversationID returns a conversation ID's short form (the "2-…"
// part): send-message has returned both the full URN
// (urn:li:msg_conversation:(urn:li:fsd_profile:…,2-…)) and the short form.
func ShortConversationID(id string) string {
	id = strings.TrimSpace(id)
	if !strings.HasPrefix(id, "urn:") {
		return id
	}
	id = strings.TrimRight(id, ")")
	if i := strings.LastIndexAny(id, ",:("); i >= 0 {
		return id[i+1:]
	}
	return id
}

// Inbox lists one page of the account's conversations. Errors are *Error;
// a read changes nothing, so any of them may be tried again later.
func (c *Client) Inbox(ctx context.Context, q InboxQuery) (InboxPage, error) {
	switch c.version {
	case V1:
	case V2:
		return c.inboxV2(ctx, q)
	default:
		return InboxPage{}, c.badVersion()
	}
	body := map[string]any{"login_token": c.token(q.LoginToken), "country": q.Country, "total_results": pageSize(q.Count)}
	if q.Cursor != "" {
		body["next_cursor"] = q.Cursor
	}
	var d struct {
		Conversations []json.RawMessage `json:"conversations"`
		NextCursor    flexString        `json:"next_cursor"`
	}
	if err := c.read(ctx, inboxPath, body, &d); err != nil {
		return InboxPage{}, err
	}
	page := InboxPage{NextCursor: string(d.NextCursor), Credits: readCredits(len(d.Conversations))}
	for _, raw := range d.Conversations {
		var e struct {
			ID          flexString `json:"conversation_id"`
			Participant struct {
				Name       flexString `json:"name"`
				ProfileURL flexString `json:"profile_url"`
			} `json:"participant"`
			Last struct {
				Text   flexString `json:"text"`
				Time   flexTime   `json:"time"`
				Sender struct {
					Name flexString `json:"name"`
				} `json:"sender"`
			} `json:"last_message"`
			Unread flexBool `json:"unread"`
		}
		if json.Unmarshal(raw, &e) != nil || e.ID == "" {
			page.Skipped++
			continue
		}
		page.Conversations = append(page.Conversations, InboxEntry{
			ConversationID: ShortConversationID(string(e.ID)),
			Participant:    Person{Name: strings.TrimSpace(string(e.Participant.Name)), ProfileURL: strings.TrimSpace(string(e.Participant.ProfileURL))},
			Last:           ChatMessage{Text: string(e.Last.Text), Sender: strings.TrimSpace(string(e.Last.Sender.Name)), At: e.Last.Time.Time},
			Unread:         bool(e.Unread),
		})
	}
	return page, nil
}

// Conversation reads one page of a conversation, newest message first.
// Errors are *Error; a read changes nothing.
func (c *Client) Conversation(ctx context.Context, q ConversationQuery) (ConversationPage, error) {
	switch c.version {
	case V1:
	case V2:
		return c.conversationV2(ctx, q)
	default:
		return ConversationPage{}, c.badVersion()
	}
	body := map[string]any{"login_token": c.token(q.LoginToken), "country": q.Country, "total_results": pageSize(q.Count)}
	if q.ConversationID != "" {
		body["conversation_id"] = q.ConversationID
	} else {
		body["linkedin_url"] = q.ProfileURL
	}
	if q.Cursor != "" {
		body["cursor"] = q.Cursor
	}
	var d struct {
		ID         flexString        `json:"conversation_id"`
		ProfileURL flexString        `json:"profile_url"`
		Messages   []json.RawMessage `json:"messages"`
		NextCursor flexString        `json:"next_cursor"`
		HasNext    *flexBool         `json:"has_next_page"`
	}
	if err := c.read(ctx, conversationPath, body, &d); err != nil {
		return ConversationPage{}, err
	}
	page := ConversationPage{ConversationID: ShortConversationID(string(d.ID)), ProfileURL: string(d.ProfileURL), Credits: readCredits(len(d.Messages))}
	if d.HasNext == nil || bool(*d.HasNext) {
		page.NextCursor = string(d.NextCursor)
	}
	for _, raw := range d.Messages {
		var m struct {
			Text       flexString `json:"text"`
			Timestamp  flexTime   `json:"timestamp"`
			Time       flexTime   `json:"time"`
			Sender     flexString `json:"sender"`
			SenderInfo struct {
				First flexString `json:"first_name"`
				Last  flexString `json:"last_name"`
			} `json:"sender_info"`
			Type      flexString `json:"message_type"`
			EntityURN flexString `json:"entity_urn"`
		}
		if json.Unmarshal(raw, &m) != nil {
			page.Skipped++
			continue
		}
		at := m.Timestamp.Time
		if at.IsZero() {
			at = m.Time.Time
		}
		sender := strings.TrimSpace(string(m.Sender))
		if sender == "" {
			sender = strings.TrimSpace(string(m.SenderInfo.First) + " " + string(m.SenderInfo.Last))
		}
		page.Messages = append(page.Messages, ChatMessage{EntityURN: string(m.EntityURN), Text: string(m.Text), Sender: sender, Type: strings.ToUpper(string(m.Type)), At: at})
	}
	return page, nil
}

// ReadCost is the most one read of a page of n costs.
func ReadCost(n int) int { return readCredits(pageSize(n)) }

func pageSize(n int) int {
	if n <= 0 {
		return 10
	}
	return min(n, MaxPage)
}

// readCredits is Linkup's price of a page of n items: 1 per 10, rounded
// up; an empty page is counted as 1, since Linkup bills the call.
func readCredits(n int) int { return max(1, (n+9)/10) }

// read makes one read call and decodes its data into out. Missing or null
// data leaves out empty: a conversation with nothing in it.
func (c *Client) read(ctx context.Context, path string, body map[string]any, out any) error {
	a, _, status, err := c.call(ctx, path, body)
	if err != nil {
		return err
	}
	if len(a.Data) == 0 || a.Data[0] != '{' {
		return nil // no data (or a bare message): nothing listed
	}
	if err := json.Unmarshal(a.Data, out); err != nil {
		return &Error{Kind: KindUnknown, Status: status, Message: "Linkup's answer could not be read", Err: err}
	}
	return nil
}

// call makes one JSON POST to path, once, and returns Linkup's decoded
// answer, its raw bytes and HTTP status; an error is a *Error.
func (c *Client) call(ctx context.Context, path string, body map[string]any) (answer, []byte, int, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return answer{}, nil, 0, &Error{Kind: KindInvalid, Message: "the request could not be encoded", Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var wrote atomic.Bool // the whole request went out: Linkup may have acted on it
	trace := &httptrace.ClientTrace{WroteRequest: func(info httptrace.WroteRequestInfo) {
		if info.Err == nil {
			wrote.Store(true)
		}
	}}
	req, err := c.post(httptrace.WithClientTrace(ctx, trace), path, bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		return answer{}, nil, 0, err
	}
	resp, err := c.httpClient.Do(req)
	if err != nil {
		// Not resent either way: a read is read again at the next poll, and a
		// login that may have gone through is never repeated.
		if !wrote.Load() {
			return answer{}, nil, 0, &Error{Kind: KindUnreachable, Message: "Linkup could not be reached", Err: err}
		}
		return answer{}, nil, 0, &Error{Kind: KindUnknown, Message: "no answer from Linkup", Err: err}
	}
	defer resp.Body.Close()
	ans, err := io.ReadAll(io.LimitReader(resp.Body, maxReadBytes))
	if err != nil {
		return answer{}, nil, resp.StatusCode, &Error{Kind: KindUnknown, Status: resp.StatusCode, Message: "Linkup's answer was cut off", Err: err}
	}
	a, err := decodeAnswer(resp, ans)
	return a, ans, resp.StatusCode, err
}

// flexString takes a JSON string, number or boolean as text; null and
// anything else is empty.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*f = flexString(s)
		return nil
	}
	t := strings.TrimSpace(string(b))
	if t != "" && (t[0] == '-' || t[0] >= '0' && t[0] <= '9' || t == "true" || t == "false") {
		*f = flexString(t)
	}
	return nil
}

// flexBool takes true/false, "true"/"false", or 1/0.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	var s flexString
	_ = s.UnmarshalJSON(b)
	v, _ := strconv.ParseBool(strings.ToLower(string(s)))
	*f = flexBool(v)
	return nil
}

// flexTime takes a time as epoch milliseconds or seconds (a number or a
// string of digits) or as an RFC 3339 (or close) string. One it cannot
// read is zero, never an error.
type flexTime struct{ time.Time }

// timeLayouts are the string forms tried, after RFC 3339.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05", time.RFC1123Z, time.RFC1123}

func (f *flexTime) UnmarshalJSON(b []byte) error {
	var s flexString
	_ = s.UnmarshalJSON(b)
	f.Time = ParseTime(string(s))
	return nil
}

// ParseTime reads a Linkup time (see flexTime); zero when unreadable.
func ParseTime(v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		if n <= 0 {
			return time.Time{}
		}
		if n < 1e11 { // seconds: 1e11 s is the year 5138, 1e11 ms is 1973
			return time.UnixMilli(int64(n * 1000)).UTC()
		}
		return time.UnixMilli(int64(n)).UTC()
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// LoginResult is Linkup's answer to a login, a verification (v1) or a
// checkpoint (v2).
type LoginResult struct {
	// Token is the LinkedIn session (v1); empty when a code is needed. On
	// v2 it is empty unless Linkup's answer carried one anyway (the docs'
	// does not): a v2 account is named by AccountID.
	Token string
	// AccountID is the Linkup account (v2), set both once it is connected
	// and while a checkpoint is required (Checkpoint needs it); empty on v1.
	AccountID string
	// NeedsCode: LinkedIn sent the account's owner a code, to pass to
	// Verify (v1) or Checkpoint (v2).
	NeedsCode bool
	// NeedsApproval (v2): LinkedIn asks the owner to approve the login in
	// the LinkedIn app; Checkpoint, without a code, completes it once done.
	NeedsApproval bool
	// Message is Linkup's own words.
	Message string
}

// Connected reports whether the login is complete: a session (v1) or an
// account (v2), and nothing more to do.
func (r LoginResult) Connected() bool {
	return !r.NeedsCode && !r.NeedsApproval && (r.Token != "" || r.AccountID != "")
}

// Login logs a LinkedIn account in: POST /v1/auth/login, or on v2 POST
// /v2/login (see loginV2). It is made once: a login costs credits (on v1)
// and, repeated, can lock the account, so no error of it is ever retried
// here. The password goes only to Linkup and appears in no error.
func (c *Client) Login(ctx context.Context, email, password, country string) (LoginResult, error) {
	switch c.version {
	case V1:
	case V2:
		return c.loginV2(ctx, email, password, country)
	default:
		return LoginResult{}, c.badVersion()
	}
	return c.auth(ctx, "/v1/auth/login", map[string]any{"email": email, "password": password, "country": country})
}

// Verify completes a v1 login that asked for a code (POST /v1/auth/verify);
// made once, like Login. A v2 client refuses it (KindInvalid, no request):
// a v2 code goes to Checkpoint.
func (c *Client) Verify(ctx context.Context, email, code, country string) (LoginResult, error) {
	if c.version != V1 {
		return LoginResult{}, &Error{Kind: KindInvalid, Message: "Verify is v1's: on v2 a login's code goes to Checkpoint"}
	}
	return c.auth(ctx, "/v1/auth/verify", map[string]any{"email": email, "code": code, "country": country})
}

func (c *Client) auth(ctx context.Context, path string, body map[string]any) (LoginResult, error) {
	a, ans, _, err := c.call(ctx, path, body)
	if err != nil {
		return LoginResult{}, err
	}
	var extra struct {
		LoginToken           flexString `json:"login_token"`
		RequiresVerification flexBool   `json:"requires_verification"`
		Data                 struct {
			LoginToken flexString `json:"login_token"`
		} `json:"data"`
	}
	_ = json.Unmarshal(ans, &extra)
	r := LoginResult{Token: strings.TrimSpace(string(extra.LoginToken)), Message: a.Message}
	if r.Token == "" {
		r.Token = strings.TrimSpace(string(extra.Data.LoginToken))
	}
	// "Check your email for verification code" comes with status success
	// and no token: the missing token is what says a code is needed.
	r.NeedsCode = r.Token == "" || bool(extra.RequiresVerification)
	if r.NeedsCode {
		r.Token = ""
	}
	return r, nil
}
