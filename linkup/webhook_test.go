package linkup

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCreateWebhook: a hosted webhook (no url), the answer with
// webhook_id, stream_url and events_url
// (https://docs.linkupapi.com/api-reference/v2/webhooks/create and
// https://docs.linkupapi.com/api-reference/v2/webhooks/introduction).
func TestCreateWebhook(t *testing.T) {
	cases := []struct {
		name, body string
		want       Webhook
	}{
		{"documented", `{"success":true,"data":{"webhook_id":"wh-1","account_id":"acc-1","events":["message_received","accepted_invitation"],"mode":"hosted",
			"stream_url":"https://api.example.com/v2/webhooks/wh-1/stream","events_url":"https://api.example.com/v2/webhooks/wh-1/events"},"metadata":{"credits_consumed":0}}`,
			Webhook{ID: "wh-1", AccountID: "acc-1", Events: []string{"message_received", "accepted_invitation"}}},
		{"only the id: the request stands in", `{"success":true,"data":{"webhook_id":"wh-1"}}`,
			Webhook{ID: "wh-1", AccountID: "acc-1", Events: []string{SubscribeMessages, SubscribeInvitations}}},
		{"wrapped, id as id, monitoring", `{"success":true,"data":{"webhook":{"id":"wh-2","monitoring":true,"events":"all"}}}`,
			Webhook{ID: "wh-2", AccountID: "acc-1", Active: true, Events: []string{"all"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, log := v2server(t, 201, nil, tc.body)
			got, err := v2client(s.URL).CreateWebhook(context.Background(), "acc-1", []string{SubscribeMessages, SubscribeInvitations})
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, "POST", log.method)
			assert.Equal(t, "/v2/webhooks", log.path)
			assert.Equal(t, map[string]any{"account_id": "acc-1", "events": []any{"message_received", "accepted_invitation"}}, log.body, "no url: hosted")
		})
	}

	s, log := v2server(t, 200, nil, `{"success":true,"data":{"status":"created"}}`)
	_, err := v2client(s.URL).CreateWebhook(context.Background(), "acc-1", nil)
	assert.Equal(t, KindUnknown, AsError(err).Kind, "no id: one may exist")
	assert.Equal(t, map[string]any{"account_id": "acc-1"}, log.body, "no events: Linkup's default, all")

	s, _ = v2server(t, 404, nil, `{"success":false,"error":{"code":"INVALID_ACCOUNT","message":"Account not found"}}`)
	_, err = v2client(s.URL).CreateWebhook(context.Background(), "acc-9", nil)
	assert.Equal(t, KindAuth, AsError(err).Kind)

	_, err = v2client(s.URL).CreateWebhook(context.Background(), "", nil)
	assert.Equal(t, KindInvalid, AsError(err).Kind)
}

// TestWebhookControls: start, stop (whose answer is
// https://docs.linkupapi.com/api-reference/v2/webhooks/stop) and delete.
func TestWebhookControls(t *testing.T) {
	s, log := v2server(t, 200, nil, `{"success":true,"data":{"webhook_id":"wh/1","account_id":"acc-1","monitoring":false}}`)
	c := v2client(s.URL)
	for _, tc := range []struct {
		call           func(context.Context, string) error
		method, path   string
		escapedPathRaw string
	}{
		{c.StartWebhook, "POST", "/v2/webhooks/wh/1/start", "/v2/webhooks/wh%2F1/start"},
		{c.StopWebhook, "POST", "/v2/webhooks/wh/1/stop", "/v2/webhooks/wh%2F1/stop"},
		{c.DeleteWebhook, "DELETE", "/v2/webhooks/wh/1", "/v2/webhooks/wh%2F1"},
	} {
		before := log.calls.Load()
		require.NoError(t, tc.call(context.Background(), "wh/1"))
		assert.Equal(t, tc.method, log.method)
		assert.Equal(t, tc.path, log.path)
		assert.Equal(t, before+1, log.calls.Load())
		require.Error(t, tc.call(context.Background(), " "))
		assert.Equal(t, before+1, log.calls.Load(), "no id: no call")
	}

	s, _ = v2server(t, 404, nil, `{"success":false,"error":{"code":"WEBHOOK_NOT_FOUND","message":"Webhook not found"}}`)
	err := v2client(s.URL).StopWebhook(context.Background(), "wh-9")
	assert.Equal(t, KindInvalid, AsError(err).Kind)
	assert.Equal(t, "WEBHOOK_NOT_FOUND", AsError(err).Code)
}

func TestWebhooksList(t *testing.T) {
	want := []Webhook{{ID: "wh-1", AccountID: "acc-1", Active: true, Events: []string{"all"}}, {ID: "wh-2", AccountID: "acc-2"}}
	for _, body := range []string{
		`{"success":true,"data":[{"webhook_id":"wh-1","account_id":"acc-1","active":true,"events":["all"],"signature_enabled":false},{"webhook_id":"wh-2","account_id":"acc-2","active":false}]}`,
		`{"success":true,"data":{"items":[{"webhook_id":"wh-1","account_id":"acc-1","is_active":"true","events":["all"]},{"_id":"wh-2","account_id":"acc-2","status":"stopped"}],"total":2}}`,
		`{"success":true,"data":{"webhooks":[{"id":"wh-1","account_id":"acc-1","status":"active","events":["all",{"x":1},""]},"junk",{"account_id":"no id"},{"webhook_id":"wh-2","account_id":"acc-2","events":null}]}}`,
	} {
		s, log := v2server(t, 200, nil, body)
		got, err := v2client(s.URL).Webhooks(context.Background())
		require.NoError(t, err)
		assert.Equal(t, want, got, body)
		assert.Equal(t, "GET", log.method)
		assert.Equal(t, "/v2/webhooks", log.path)
	}
	s, _ := v2server(t, 200, nil, `{"success":true,"data":{}}`)
	got, err := v2client(s.URL).Webhooks(context.Background())
	require.NoError(t, err)
	assert.Empty(t, got)
}

// eventsDoc is the documented answer of
// https://docs.linkupapi.com/api-reference/v2/webhooks/events.
const eventsDoc = `{"success":true,
 "data":{"items":[{
    "event_id":"6789abcdef0123456789ab01",
    "event":{"account_id":"69c127c37cae0494dd827286","account_name":"My Account",
             "event":{"type":"message","sender_name":"John Doe","message_text":"Hello!",
                      "sender_profile":"https://www.linkedin.com/in/johndoe"},
             "timestamp":"2025-01-15T10:31:00Z"},
    "created_at":"2025-01-15T10:31:00.123Z"}]},
 "metadata":{"action":"poll_webhook_events","credits_consumed":0,"timestamp":"2025-01-15T10:35:00.000000"}}`

func TestEventsDocumented(t *testing.T) {
	s, log := v2server(t, 200, nil, eventsDoc)
	since := time.Date(2025, 1, 15, 11, 30, 0, 500_000_000, time.FixedZone("CET", 3600))
	page, err := v2client(s.URL).Events(context.Background(), "wh-1", since, 0)
	require.NoError(t, err)
	assert.Equal(t, EventPage{Events: []Event{{
		EventID:       "6789abcdef0123456789ab01",
		CreatedAt:     time.Date(2025, 1, 15, 10, 31, 0, 123_000_000, time.UTC),
		AccountID:     "69c127c37cae0494dd827286",
		AccountName:   "My Account",
		Type:          EventMessage,
		SenderName:    "John Doe",
		SenderProfile: "https://www.linkedin.com/in/johndoe",
		Text:          "Hello!",
		EmittedAt:     time.Date(2025, 1, 15, 10, 31, 0, 0, time.UTC),
	}}}, page)
	assert.Equal(t, "GET", log.method)
	assert.Equal(t, "/v2/webhooks/wh-1/events", log.path)
	assert.Equal(t, "limit=50&since=2025-01-15T10%3A30%3A00.5Z", log.query, "UTC with Z, URL-encoded")
	q, _ := url.ParseQuery(log.query)
	assert.Equal(t, "2025-01-15T10:30:00.5Z", q.Get("since"))

	_, err = v2client(s.URL).Events(context.Background(), "wh-1", time.Time{}, 1000)
	require.NoError(t, err)
	assert.Equal(t, "limit=200", log.query, "no since: all Linkup keeps; at most 200")

	_, err = v2client(s.URL).Events(context.Background(), "", since, 10)
	assert.Equal(t, KindInvalid, AsError(err).Kind)
}

func TestEventsOrderAndSkips(t *testing.T) {
	item := func(id, created, text string) string {
		return `{"event_id":"` + id + `","event":{"account_id":"acc-1","event":{"type":"message","message_text":"` + text + `"},"timestamp":"2025-01-15T10:31:00Z"},"created_at":` + created + `}`
	}
	body := `{"success":true,"data":{"items":[` +
		item("e3", `"2025-01-15T10:33:00Z"`, "third") + `,` +
		`"junk",42,null,{"event_id":"e9"},{"event_id":"e8","event":"not an object"},` +
		item("e1", `1736937060000`, "first") + `,` + // 10:31:00Z as epoch ms
		item("e2b", `"2025-01-15T10:32:00.000+00:00"`, "second, b") + `,` +
		item("e2a", `"1736937120000"`, "second, a") + `,` + // 10:32:00Z as a string of ms
		item("e0", `"2025-01-15T10:30:00"`, "zero") + // no zone: UTC
		`]}}`
	s, _ := v2server(t, 200, nil, body)
	page, err := v2client(s.URL).Events(context.Background(), "wh-1", time.Time{}, 50)
	require.NoError(t, err)
	var texts []string
	for _, e := range page.Events {
		texts = append(texts, e.Text)
	}
	assert.Equal(t, []string{"zero", "first", "second, a", "second, b", "third"}, texts, "by created_at, then event_id")
	assert.Equal(t, 5, page.Skipped)
}

func TestEventsErrors(t *testing.T) {
	for code, kind := range map[int]Kind{403: KindKey, 404: KindInvalid, 500: KindUnknown} {
		body := `{"success":false,"error":{"code":"","message":"nope"}}`
		if code == 403 {
			body = `{"success":false,"error":{"code":"INVALID_API_KEY","message":"Invalid API key"}}`
		}
		s, log := v2server(t, code, nil, body)
		_, err := v2client(s.URL).Events(context.Background(), "wh-1", time.Now(), 10)
		assert.Equal(t, kind, AsError(err).Kind, code)
		assert.EqualValues(t, 1, log.calls.Load())
	}
	s, _ := v2server(t, 200, nil, `{"success":true,"data":{"items":{"not":"a list"}}}`)
	page, err := v2client(s.URL).Events(context.Background(), "wh-1", time.Now(), 10)
	require.NoError(t, err, "an answer without a list lists nothing")
	assert.Empty(t, page.Events)
}

// TestDecodeEvent: the wrapping of
// https://docs.linkupapi.com/api-reference/v2/webhooks/introduction, the
// fields of its event table, and the variants linkup-v2.md says to tolerate.
func TestDecodeEvent(t *testing.T) {
	t0 := time.Date(2025, 1, 15, 10, 31, 0, 0, time.UTC)
	cases := []struct {
		name, data string
		want       Event
	}{
		{"a message, as the stream sends it",
			`{"account_id":"acc-1","account_name":"Alice","event":{"type":"message","sender_name":"John Doe","message_text":"Hello!\nTwo lines","sender_profile":"https://www.linkedin.com/in/johndoe","timestamp":"2025-01-15T10:30:59.5Z"},"timestamp":"2025-01-15T10:31:00Z"}`,
			Event{AccountID: "acc-1", AccountName: "Alice", Type: EventMessage, SenderName: "John Doe", Text: "Hello!\nTwo lines", SenderProfile: "https://www.linkedin.com/in/johndoe",
				At: t0.Add(-500 * time.Millisecond), EmittedAt: t0}},
		{"sender as an object, delivered_at, epoch ms times",
			`{"account_id":"acc-1","event":{"type":"message","sender":{"name":"John Doe","profile_url":"https://www.linkedin.com/in/ACoAAJohn"},"message_text":"Hi","metadata":{"delivered_at":1736937060000}},"timestamp":"1736937060000"}`,
			Event{AccountID: "acc-1", Type: EventMessage, SenderName: "John Doe", SenderProfile: "https://www.linkedin.com/in/ACoAAJohn", Text: "Hi", At: t0, EmittedAt: t0}},
		{"accepted invitation",
			`{"account_id":"acc-1","event":{"type":"accepted_invitation","new_connections":[{"profile_url":"https://www.linkedin.com/in/jane","name":"Jane"},"https://www.linkedin.com/in/bob",42,{}]},"timestamp":"2025-01-15T10:31:00+00:00"}`,
			Event{AccountID: "acc-1", Type: EventAcceptedInvitation, EmittedAt: t0, NewConnections: []Person{{Name: "Jane", ProfileURL: "https://www.linkedin.com/in/jane"}, {ProfileURL: "https://www.linkedin.com/in/bob"}}}},
		{"disconnection",
			`{"account_id":"acc-1","account_name":"Alice","event":{"type":"disconnection","reason":"session_expired"},"timestamp":"2025-01-15T11:31:00+01:00"}`,
			Event{AccountID: "acc-1", AccountName: "Alice", Type: EventDisconnection, Reason: "session_expired", EmittedAt: t0}},
		{"an unknown type is kept", `{"account_id":"acc-1","event":{"type":"reaction","emoji":"👍"}}`, Event{AccountID: "acc-1", Type: "reaction"}},
		{"odd fields at every depth",
			`{"account_id":7,"account_name":{"x":1},"event":{"type":"message","sender_name":["x"],"message_text":"ok","timestamp":"yesterday","sender":"Jane","new_connections":"none"},"timestamp":null}`,
			Event{AccountID: "7", Type: EventMessage, SenderName: "Jane", Text: "ok"}},
		{"no type", `{"event":{}}`, Event{}},
		{"the event itself, unwrapped", `{"type":"message","account_id":"acc-1","message_text":"bare"}`, Event{AccountID: "acc-1", Type: EventMessage, Text: "bare"}},
		{"an item with the wrapper's fields beside its own",
			`{"event_id":"e1","created_at":"2025-01-15T10:31:00Z","account_id":"acc-1","event":{"type":"message","message_text":"flat"},"timestamp":"2025-01-15T10:31:00Z"}`,
			Event{EventID: "e1", CreatedAt: t0, AccountID: "acc-1", Type: EventMessage, Text: "flat", EmittedAt: t0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := decodeEvent([]byte(tc.data))
			require.True(t, ok)
			assert.Equal(t, tc.want, got)
		})
	}
	for _, bad := range []string{``, `null`, `42`, `"x"`, `[]`, `{}`, `{"account_id":"acc-1"}`, `{"event":"message"}`, `{"event":[1]}`, `{"event":{`, `not json`} {
		_, ok := decodeEvent([]byte(bad))
		assert.False(t, ok, bad)
	}
}

func TestEventContentKey(t *testing.T) {
	stream, ok := decodeEvent([]byte(`{"account_id":"acc-1","account_name":"Alice","event":{"type":"message","sender_name":"John","message_text":"Hi","sender_profile":"p","timestamp":"2025-01-15T10:30:59Z"},"timestamp":"2025-01-15T10:31:00Z"}`))
	require.True(t, ok)
	replayed, ok := decodeEvent([]byte(`{"event_id":"e1","created_at":"2025-01-15T10:31:00.123Z","event":{"account_id":"acc-1","account_name":"Alice","event":{"type":"message","sender_name":"John","message_text":"Hi","sender_profile":"p","timestamp":1736937059000},"timestamp":"2025-01-15T10:31:01Z"}}`))
	require.True(t, ok)
	assert.Equal(t, stream.ContentKey(), replayed.ContentKey(), "the same event from the stream and the replay")
	later := stream
	later.At = later.At.Add(time.Minute)
	assert.NotEqual(t, stream.ContentKey(), later.ContentKey(), "the same words a minute later are another message")
	other := stream
	other.AccountID = "acc-2"
	assert.NotEqual(t, stream.ContentKey(), other.ContentKey())
}

// FuzzDecodeEvent: whatever comes, decoding neither panics nor loses the
// determinism of ContentKey. The seeds run in every go test.
func FuzzDecodeEvent(f *testing.F) {
	for _, seed := range []string{
		eventsDoc,
		`{"account_id":"acc-1","event":{"type":"message","sender_name":"John","message_text":"Hello!","sender_profile":"https://www.linkedin.com/in/johndoe"},"timestamp":"2025-01-15T10:31:00Z"}`,
		`{"event_id":"e","event":{"event":{"type":"accepted_invitation","new_connections":[{"name":"x"},"u",1]}},"created_at":1}`,
		`{"event":{"event":{"event":{"type":1}}}}`,
		`{"type":"disconnection","reason":{"x":[1,2]}}`,
		`{"event":{"type":"message","timestamp":"99999999999999999999"}}`,
		`{"event":{"type":"message","timestamp":"-1e400"}}`,
		`[{"event":{}}]`, `{"event":`, "\xff\xfe", ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, ok := decodeEvent(data)
		if !ok {
			assert.Zero(t, e.Type)
			return
		}
		assert.Equal(t, e.ContentKey(), e.ContentKey())
		if json.Valid(data) {
			again, ok2 := decodeEvent(data)
			assert.True(t, ok2)
			assert.Equal(t, e, again)
		}
	})
}

// A custom webhook (mode "custom", or a url) is told apart from a hosted
// one, whose events come on our stream; Covers reads "all" and no events
// as every subscription.
func TestWebhooksCustomAndCovers(t *testing.T) {
	s, _ := v2server(t, 200, nil, `{"success":true,"data":{"items":[
		{"webhook_id":"wh-h","account_id":"acc-1","mode":"hosted","events":["message_received"]},
		{"webhook_id":"wh-c","account_id":"acc-1","mode":"CUSTOM","events":["all"]},
		{"webhook_id":"wh-u","account_id":"acc-1","url":"https://example.com/hook","mode":{"odd":1}},
		{"webhook_id":"wh-n","account_id":"acc-1"}]}}`)
	got, err := v2client(s.URL).Webhooks(context.Background())
	require.NoError(t, err)
	require.Len(t, got, 4)
	assert.False(t, got[0].Custom)
	assert.True(t, got[1].Custom)
	assert.True(t, got[2].Custom)
	assert.False(t, got[3].Custom)
	both := []string{SubscribeMessages, SubscribeInvitations}
	assert.False(t, got[0].Covers(both), "messages only")
	assert.True(t, got[0].Covers([]string{SubscribeMessages}))
	assert.True(t, got[1].Covers(both), "all")
	assert.True(t, got[3].Covers(both), "none named: Linkup's default, all")
	assert.True(t, Webhook{Events: both}.Covers(both))
}
