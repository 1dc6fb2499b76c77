package linkup

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The answers below follow ../shared/linkup-conversations.md: the shapes
// of Linkup's docs and of the Pipedream, n8n and Rust clients written
// against the real API.

func TestInboxShapes(t *testing.T) {
	ms := time.UnixMilli(1700000123456).UTC()
	cases := []struct {
		name, body string
		want       InboxPage
	}{
		{"documented, time in epoch ms, short ID",
			`{"status":"success","data":{"conversations":[{"conversation_id":"2-ZDYx","participant":{"name":"Jane Doe","headline":"CTO","profile_url":"https://www.linkedin.com/in/ACoAAJane","profile_picture":"x"},"last_message":{"text":"Sounds good!","time":1700000123456,"sender":{"name":"Jane Doe","profile_url":"x"}},"unread":true,"type":"normal"}],"total_results":10,"next_cursor":"abc"}}`,
			InboxPage{NextCursor: "abc", Credits: 1, Conversations: []InboxEntry{{ConversationID: "2-ZDYx", Participant: Person{Name: "Jane Doe", ProfileURL: "https://www.linkedin.com/in/ACoAAJane"},
				Last: ChatMessage{Text: "Sounds good!", Sender: "Jane Doe", At: ms}, Unread: true}}}},
		{"time as a string, URN ID, unread as a string",
			`{"status":"success","data":{"conversations":[{"conversation_id":"urn:li:msg_conversation:(urn:li:fsd_profile:ACoAAMe,2-ZDYx)","participant":{"name":"Jane Doe"},"last_message":{"text":"Hi","time":"2023-11-14T22:15:23.456Z"},"unread":"true"}]}}`,
			InboxPage{Credits: 1, Conversations: []InboxEntry{{ConversationID: "2-ZDYx", Participant: Person{Name: "Jane Doe"}, Last: ChatMessage{Text: "Hi", At: ms}, Unread: true}}}},
		{"time as a string of milliseconds, an odd entry skipped",
			`{"status":"success","data":{"conversations":[{"conversation_id":"2-a","last_message":{"time":"1700000123456"}},"garbage",{"participant":{"name":"no id"}}]}}`,
			InboxPage{Credits: 1, Skipped: 2, Conversations: []InboxEntry{{ConversationID: "2-a", Last: ChatMessage{At: ms}}}}},
		{"missing data", `{"status":"success","message":"ok"}`, InboxPage{Credits: 1}},
		{"empty list, as for total_results over 25", `{"status":"success","data":[]}`, InboxPage{Credits: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body map[string]any
			s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				assert.Equal(t, "/v1/messages/inbox", r.URL.Path)
				assert.Equal(t, "key-1", r.Header.Get("x-api-key"))
				_ = json.NewDecoder(r.Body).Decode(&body)
				_, _ = io.WriteString(w, tc.body)
			}))
			defer s.Close()
			got, err := client(s.URL).Inbox(context.Background(), InboxQuery{Country: "FR", Count: 40, Cursor: "c1"})
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, map[string]any{"login_token": "login-1", "country": "FR", "total_results": float64(25), "next_cursor": "c1"}, body, "pages of 25 at most")
		})
	}
}

func TestConversationShapes(t *testing.T) {
	ms := time.UnixMilli(1700000123456).UTC()
	cases := []struct {
		name, body string
		want       ConversationPage
	}{
		{"documented, newest first, with a SYSTEM message",
			`{"status":"success","data":{"conversation_id":"2-ZDYx","profile_url":"https://www.linkedin.com/in/ACoAAJane","total_results":2,"total_other_member_message_count":3,"unread_count":1,"last_seen_message":"x","last_seen_at":1,
			"messages":[{"text":"Sounds good!","timestamp":1700000123456,"sender":"Jane Doe","sender_info":{"first_name":"Jane","last_name":"Doe"},"message_type":"TEXT","entity_urn":"urn:li:msg_message:(a,b)"},
			{"text":"","timestamp":1700000000000,"sender":"LinkedIn","message_type":"SYSTEM"}],"next_cursor":"n2","has_next_page":true}}`,
			ConversationPage{ConversationID: "2-ZDYx", ProfileURL: "https://www.linkedin.com/in/ACoAAJane", NextCursor: "n2", Credits: 1, Messages: []ChatMessage{
				{EntityURN: "urn:li:msg_message:(a,b)", Text: "Sounds good!", Sender: "Jane Doe", Type: "TEXT", At: ms},
				{Sender: "LinkedIn", Type: "SYSTEM", At: time.UnixMilli(1700000000000).UTC()}}}},
		{"URN ID, string time, sender only in sender_info, last page",
			`{"status":"success","data":{"conversation_id":"urn:li:msg_conversation:(urn:li:fsd_profile:ACoAAMe,2-ZDYx)","messages":[{"text":"Hi","timestamp":"2023-11-14T22:15:23.456Z","sender_info":{"first_name":"Jane","last_name":"Doe"}}],"next_cursor":"n3","has_next_page":false}}`,
			ConversationPage{ConversationID: "2-ZDYx", Credits: 1, Messages: []ChatMessage{{Text: "Hi", Sender: "Jane Doe", At: ms}}}},
		{"an unreadable time and an odd message",
			`{"status":"success","data":{"messages":[{"text":"x","timestamp":"yesterday"},42]}}`,
			ConversationPage{Credits: 1, Skipped: 1, Messages: []ChatMessage{{Text: "x"}}}},
		{"missing data", `{"status":"success"}`, ConversationPage{Credits: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body map[string]any
			s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				assert.Equal(t, "/v1/messages/conversation", r.URL.Path)
				_ = json.NewDecoder(r.Body).Decode(&body)
				_, _ = io.WriteString(w, tc.body)
			}))
			defer s.Close()
			got, err := client(s.URL).Conversation(context.Background(), ConversationQuery{ProfileURL: "https://www.linkedin.com/in/jane-doe", Country: "FR"})
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, map[string]any{"login_token": "login-1", "country": "FR", "total_results": float64(10), "linkedin_url": "https://www.linkedin.com/in/jane-doe"}, body)
		})
	}
}

func TestReadErrors(t *testing.T) {
	cases := []struct {
		code int
		body string
		kind Kind
	}{
		{200, `{"status":"error","message":"Conversation not found"}`, KindInvalid},
		{401, `{"message":"Invalid API key"}`, KindAuth},
		{200, `{"status":"error","message":"LinkedIn session expired"}`, KindAuth},
		{502, `<html>Bad Gateway</html>`, KindUnknown},
		{200, `<html>not json</html>`, KindUnknown},
		{200, `{"status":"success","data":{"messages":"not a list"}}`, KindUnknown},
	}
	for _, tc := range cases {
		s, _ := server(t, tc.code, nil, tc.body)
		_, err := client(s.URL).Conversation(context.Background(), ConversationQuery{ConversationID: "2-a"})
		le, ok := err.(*Error)
		require.True(t, ok, "%s: %v", tc.body, err)
		assert.Equal(t, tc.kind, le.Kind, tc.body)
		assert.NotContains(t, err.Error(), "login-1")
		assert.NotContains(t, err.Error(), "key-1")
	}
}

func TestShortConversationID(t *testing.T) {
	for in, want := range map[string]string{
		"2-ZDYx": "2-ZDYx",
		"urn:li:msg_conversation:(urn:li:fsd_profile:ACoAAMe,2-ZDYx)": "2-ZDYx",
		"urn:li:messagingThread:2-ZDYx":                               "2-ZDYx",
		" 2-ZDYx ":                                                    "2-ZDYx",
		"":                                                            "",
	} {
		assert.Equal(t, want, ShortConversationID(in), in)
	}
}

func TestParseTime(t *testing.T) {
	want := time.UnixMilli(1700000123456).UTC()
	for _, in := range []string{"1700000123456", "1700000123.456", "2023-11-14T22:15:23.456Z", "2023-11-14T23:15:23.456+01:00"} {
		assert.Equal(t, want, ParseTime(in), in)
	}
	for _, in := range []string{"", "0", "-5", "yesterday"} {
		assert.True(t, ParseTime(in).IsZero(), in)
	}
}
