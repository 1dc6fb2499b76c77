package linkup

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The inbox's documented answer,
// https://docs.linkupapi.com/api-reference/v2/messages/list-inbox.
const inboxDoc = `{"success":true,"data":{"conversations":[{
	"conversation_id":"urn:li:msg_conversation:(urn:li:fsd_profile:ACoAAMe,2-ZDYxYjk0)",
	"participant":{"name":"Jane Doe","headline":"CTO","profile_url":"https://www.linkedin.com/in/ACoAAJane","profile_picture":"https://media.licdn.com/x"},
	"last_message":{"text":"Sounds good!","time":1736937060000,
		"sender":{"name":"Jane Doe","headline":"CTO","profile_url":"https://www.linkedin.com/in/ACoAAJane","profile_picture":"x","is_me":false}},
	"unread":true,"type":"normal"}],
	"total_results":10,"next_cursor":"c2"},
	"metadata":{"action":"list_inbox","account_id":"acc-1","credits_consumed":1,"timestamp":"2025-01-15T10:35:00.000000"}}`

// The conversation's documented answer (no conversation_id),
// https://docs.linkupapi.com/api-reference/v2/messages/get-conversation.
const conversationDoc = `{"success":true,"data":{"total_message_count":12,"unread_count":1,"last_seen_message":"urn:li:msg_message:(a,b)","last_seen_at":1736937060000,
	"messages":[{"text":"Sounds good!","timestamp":1736937060000,"sender":"Jane Doe",
		"sender_info":{"first_name":"Jane","last_name":"Doe","profile_url":"https://www.linkedin.com/in/ACoAAJane"},
		"message_type":"TEXT","entity_urn":"urn:li:msg_message:(a,b)"}],
	"next_cursor":"1736937000000"},
	"metadata":{"action":"get_conversation","credits_consumed":1,"timestamp":"2025-01-15T10:35:00.000000"}}`

func TestV2InboxShapes(t *testing.T) {
	at := time.UnixMilli(1736937060000).UTC()
	cases := []struct {
		name, body string
		want       InboxPage
	}{
		{"documented", inboxDoc, InboxPage{NextCursor: "c2", Credits: 1, Conversations: []InboxEntry{{
			ConversationID: "2-ZDYxYjk0",
			Participant:    Person{Name: "Jane Doe", ProfileURL: "https://www.linkedin.com/in/ACoAAJane"},
			Last:           ChatMessage{Text: "Sounds good!", Sender: "Jane Doe", At: at, Author: AuthorOther, SenderProfile: "https://www.linkedin.com/in/ACoAAJane"},
			Unread:         true}}}},
		{"own message, is_me as a string, ISO time, short id, no metadata",
			`{"success":true,"data":{"conversations":[{"conversation_id":"2-a","last_message":{"text":"Hi","time":"2025-01-15T10:31:00Z","sender":{"name":"Me","is_me":"true"}}}],"next_cursor":17}}`,
			InboxPage{NextCursor: "17", Credits: 1, Conversations: []InboxEntry{{ConversationID: "2-a",
				Last: ChatMessage{Text: "Hi", Sender: "Me", At: time.Date(2025, 1, 15, 10, 31, 0, 0, time.UTC), Author: AuthorMe}}}}},
		{"no is_me: unknown; odd fields kept out, the entry kept",
			`{"success":true,"data":{"conversations":[{"conversation_id":"2-b","participant":"Jane","last_message":{"text":"x","time":{"odd":1},"sender":{"name":"Jane","is_me":null}},"unread":[1]}]}}`,
			InboxPage{Credits: 1, Conversations: []InboxEntry{{ConversationID: "2-b", Last: ChatMessage{Text: "x", Sender: "Jane"}}}}},
		{"unreadable entries skipped and counted",
			`{"success":true,"data":{"conversations":[42,"x",{"participant":{"name":"no id"}},{"conversation_id":"2-c"}]},"metadata":{"credits_consumed":1}}`,
			InboxPage{Credits: 1, Skipped: 3, Conversations: []InboxEntry{{ConversationID: "2-c"}}}},
		{"no data", `{"success":true,"metadata":{"credits_consumed":0}}`, InboxPage{Credits: 0}},
		{"null list", `{"success":true,"data":{"conversations":null}}`, InboxPage{Credits: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, log := v2server(t, 200, nil, tc.body)
			got, err := v2client(s.URL).Inbox(context.Background(), InboxQuery{AccountID: "acc-1", Country: "FR", Count: 40, Cursor: "c1", LoginToken: "ignored"})
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, "/v2/messages", log.path)
			assert.Equal(t, "key-1", log.key)
			assert.Equal(t, map[string]any{"account_id": "acc-1", "action": "list_inbox", "params": map[string]any{"count": float64(25), "cursor": "c1"}}, log.body)
		})
	}
}

func TestV2ConversationShapes(t *testing.T) {
	at := time.UnixMilli(1736937060000).UTC()
	cases := []struct {
		name, body string
		want       ConversationPage
	}{
		{"documented: the page's id is the query's", conversationDoc, ConversationPage{ConversationID: "2-ZDYx", NextCursor: "1736937000000", Credits: 1, Messages: []ChatMessage{
			{EntityURN: "urn:li:msg_message:(a,b)", Text: "Sounds good!", Sender: "Jane Doe", Type: "TEXT", At: at, SenderProfile: "https://www.linkedin.com/in/ACoAAJane"}}}},
		{"an id given, a numeric cursor, sender as an object with is_me, sender_info's name",
			`{"success":true,"data":{"conversation_id":"urn:li:msg_conversation:(urn:li:fsd_profile:ACoAAMe,2-ZDYx)","messages":[
				{"text":"Mine","timestamp":"2025-01-15T10:31:00.000Z","sender":{"name":"Me Myself","profile_url":"https://www.linkedin.com/in/ACoAAMe","is_me":true}},
				{"text":"Theirs","time":1736937060000,"sender_info":{"first_name":"Jane","last_name":"Doe","is_me":false}}],"next_cursor":1736937000000}}`,
			ConversationPage{ConversationID: "2-ZDYx", NextCursor: "1736937000000", Credits: 1, Messages: []ChatMessage{
				{Text: "Mine", Sender: "Me Myself", At: time.Date(2025, 1, 15, 10, 31, 0, 0, time.UTC), Author: AuthorMe, SenderProfile: "https://www.linkedin.com/in/ACoAAMe"},
				{Text: "Theirs", Sender: "Jane Doe", At: at, Author: AuthorOther}}}},
		{"last page, an odd message skipped, odd fields",
			`{"success":true,"data":{"messages":[{"text":"x","timestamp":"yesterday","sender_info":"Jane","message_type":7},"junk"],"next_cursor":"n","has_next_page":false},"metadata":{"credits_consumed":"1"}}`,
			ConversationPage{ConversationID: "2-ZDYx", Credits: 1, Skipped: 1, Messages: []ChatMessage{{Text: "x", Type: "7"}}}},
		{"no data", `{"success":true}`, ConversationPage{ConversationID: "2-ZDYx", Credits: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, log := v2server(t, 200, nil, tc.body)
			got, err := v2client(s.URL).Conversation(context.Background(), ConversationQuery{AccountID: "acc-1", ConversationID: "2-ZDYx", Cursor: "1736937060000"})
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, map[string]any{"account_id": "acc-1", "action": "get_conversation", "params": map[string]any{"conversation_id": "2-ZDYx", "count": float64(10), "cursor": "1736937060000"}}, log.body)
		})
	}

	t.Run("by profile URL", func(t *testing.T) {
		s, log := v2server(t, 200, nil, conversationDoc)
		got, err := v2client(s.URL).Conversation(context.Background(), ConversationQuery{AccountID: "acc-1", ProfileURL: "https://www.linkedin.com/in/jane-doe", Count: 5})
		require.NoError(t, err)
		assert.Empty(t, got.ConversationID, "neither the answer nor the query names it")
		assert.Equal(t, map[string]any{"account_id": "acc-1", "action": "get_conversation", "params": map[string]any{"profile_url": "https://www.linkedin.com/in/jane-doe", "count": float64(5)}}, log.body)
	})
}

func TestV2ReadErrors(t *testing.T) {
	cases := []struct {
		code int
		body string
		kind Kind
	}{
		{400, `{"success":false,"error":{"code":"INVALID_PARAMS","message":"Conversation not found"}}`, KindInvalid},
		{403, `{"success":false,"error":{"code":"ACCOUNT_INACTIVE","message":"LinkedIn session expired"}}`, KindAuth},
		{403, `{"success":false,"error":{"code":"INVALID_API_KEY","message":"Invalid API key"}}`, KindKey},
		{402, `{"success":false,"error":{"code":"INSUFFICIENT_CREDITS","message":"No credits"}}`, KindCredits},
		{502, `<html>Bad Gateway</html>`, KindUnknown},
		{200, `<html>not json</html>`, KindUnknown},
		{200, `{"success":true,"data":{"messages":"not a list"}}`, KindUnknown},
	}
	for _, tc := range cases {
		s, log := v2server(t, tc.code, nil, tc.body)
		_, err := v2client(s.URL).Conversation(context.Background(), ConversationQuery{AccountID: "acc-1", ConversationID: "2-a"})
		le, ok := err.(*Error)
		require.True(t, ok, "%s: %v", tc.body, err)
		assert.Equal(t, tc.kind, le.Kind, tc.body)
		assert.NotContains(t, err.Error(), "key-1")
		assert.EqualValues(t, 1, log.calls.Load())
	}

	s, log := v2server(t, 200, nil, inboxDoc)
	_, err := v2client(s.URL).Inbox(context.Background(), InboxQuery{})
	assert.Equal(t, KindInvalid, AsError(err).Kind)
	_, err = v2client(s.URL).Conversation(context.Background(), ConversationQuery{ConversationID: "2-a"})
	assert.Equal(t, KindInvalid, AsError(err).Kind)
	assert.Zero(t, log.calls.Load(), "no account: no read")
}
