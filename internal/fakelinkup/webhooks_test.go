package fakelinkup

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Shapes after ../shared/linkup-v2.md:
// https://docs.linkupapi.com/api-reference/v2/webhooks/introduction (events'
// wrapper, stream_url, events_url), …/v2/webhooks/create, …/v2/webhooks/stop,
// …/v2/webhooks/stream (the SSE framing), …/v2/webhooks/events (the replay).

// guard bounds a wait for something the fake must do at once; it only
// keeps a broken fake from hanging the test.
const guard = 10 * time.Second

type created struct {
	WebhookID  string   `json:"webhook_id"`
	AccountID  string   `json:"account_id"`
	Events     []string `json:"events"`
	Mode       string   `json:"mode"`
	Monitoring bool     `json:"monitoring"`
	StreamURL  string   `json:"stream_url"`
	EventsURL  string   `json:"events_url"`
}

func createWebhook(t *testing.T, s *Server, accountID string, events ...string) created {
	t.Helper()
	body := map[string]any{"account_id": accountID}
	if events != nil {
		body["events"] = events
	}
	var c created
	e := ok(t, s, "POST", "/v2/webhooks", body, &c)
	assert.Equal(t, 0, e.Metadata.Credits)
	return c
}

func TestWebhooksAreCreatedListedStoppedStartedAndDeleted(t *testing.T) {
	s := startV2(t)
	s.AddLogin(Login{Email: "alice@example.com", Password: "pw", Token: aliceTok, Name: "Alice Martin"})
	alice := s.AccountID(aliceTok)

	c := createWebhook(t, s, alice)
	assert.Regexp(t, hex24, c.WebhookID)
	assert.Equal(t, created{WebhookID: c.WebhookID, AccountID: alice, Events: []string{"all"}, Mode: "hosted", Monitoring: true,
		StreamURL: s.URL() + "/v2/webhooks/" + c.WebhookID + "/stream", EventsURL: s.URL() + "/v2/webhooks/" + c.WebhookID + "/events"}, c,
		"hosted, all events by default, monitoring from create (the create page), the key not in stream_url")
	msgs := createWebhook(t, s, alice, "message_received", "accepted_invitation")
	assert.Equal(t, []string{"message_received", "accepted_invitation"}, msgs.Events)

	refused(t, s, "POST", "/v2/webhooks", map[string]any{"account_id": "nope"}, http.StatusNotFound, "INVALID_ACCOUNT")
	refused(t, s, "POST", "/v2/webhooks", map[string]any{"account_id": alice, "events": []string{"message"}}, http.StatusBadRequest, "INVALID_PARAMS")
	refused(t, s, "POST", "/v2/webhooks", map[string]any{"account_id": alice, "url": "https://example.com/hook"}, http.StatusBadRequest, "INVALID_PARAMS")
	refused(t, s, "POST", "/v2/webhooks", "[", http.StatusBadRequest, "INVALID_PARAMS")

	var list struct {
		Items []struct {
			WebhookID        string `json:"webhook_id"`
			AccountID        string `json:"account_id"`
			SignatureEnabled bool   `json:"signature_enabled"`
			Monitoring       bool   `json:"monitoring"`
		} `json:"items"`
		Total int `json:"total"`
	}
	ok(t, s, "GET", "/v2/webhooks", nil, &list)
	require.Equal(t, 2, list.Total)
	assert.Equal(t, c.WebhookID, list.Items[0].WebhookID)
	assert.Equal(t, alice, list.Items[1].AccountID)

	var stopped, started map[string]any
	e := ok(t, s, "POST", "/v2/webhooks/"+c.WebhookID+"/stop", nil, &stopped)
	assert.Equal(t, map[string]any{"webhook_id": c.WebhookID, "account_id": alice, "monitoring": false}, stopped)
	assert.Equal(t, "stop_webhook", e.Metadata.Action)
	assert.Equal(t, []Webhook{{ID: c.WebhookID, AccountID: alice, Events: []string{"all"}, Active: false},
		{ID: msgs.WebhookID, AccountID: alice, Events: []string{"message_received", "accepted_invitation"}, Active: true}}, s.Webhooks())
	ok(t, s, "POST", "/v2/webhooks/"+c.WebhookID+"/start", nil, &started)
	assert.Equal(t, map[string]any{"webhook_id": c.WebhookID, "account_id": alice, "monitoring": true}, started)

	var deleted map[string]any
	ok(t, s, "DELETE", "/v2/webhooks/"+c.WebhookID, nil, &deleted)
	assert.Equal(t, c.WebhookID, deleted["webhook_id"])
	require.Len(t, s.Webhooks(), 1)
	for _, r := range [][2]string{{"DELETE", ""}, {"POST", "/start"}, {"POST", "/stop"}, {"GET", "/events"}} {
		refused(t, s, r[0], "/v2/webhooks/"+c.WebhookID+r[1], nil, http.StatusNotFound, "INVALID_ACCOUNT")
	}

	s.SetShapes(Shapes{WebhookListAsArray: true, WebhooksStartStopped: true, PlaceholderHost: true, StreamURLWithKey: true})
	late := createWebhook(t, s, alice)
	assert.False(t, late.Monitoring, "stopped until /start (the introduction's reading)")
	assert.Equal(t, "https://api.example.com/v2/webhooks/"+late.WebhookID+"/stream?api_key="+testKey, late.StreamURL)
	assert.Equal(t, "https://api.example.com/v2/webhooks/"+late.WebhookID+"/events", late.EventsURL)
	var array []map[string]any
	ok(t, s, "GET", "/v2/webhooks", nil, &array)
	assert.Len(t, array, 2)

	calls := s.WebhookCalls()
	require.Len(t, calls, 2+4+1+2+1+4+1+1)
	assert.Equal(t, "POST", calls[0].Method)
	assert.Equal(t, "/v2/webhooks", calls[0].Path)
	assert.Equal(t, "/v2/webhooks/"+c.WebhookID+"/stop", calls[7].Path)
	assert.WithinDuration(t, s.Now(), calls[0].At, time.Minute)
	assert.Equal(t, 0, s.Credits(), "webhooks are free")
}

func TestMonitoringIsBilledPerAccountWhileAWebhookIsActive(t *testing.T) {
	s := startV2(t)
	s.AddLogin(Login{Email: "alice@example.com", Password: "pw", Token: aliceTok, Name: "Alice Martin"})
	alice, def := s.AccountID(aliceTok), s.AccountID("")
	near := func(want time.Duration) func(time.Duration) bool {
		return func(got time.Duration) bool { return got >= want && got < want+time.Minute }
	}

	a1 := createWebhook(t, s, alice)
	a2 := createWebhook(t, s, alice, "message_received")
	s.SetClockOffset(12 * time.Hour)
	assert.True(t, near(12*time.Hour)(s.Monitored()[alice]), "two webhooks, one account: %v", s.Monitored())
	assert.InDelta(t, 5, s.MonitoringCredits(), 0.01, "10 a day, pro rata")

	ok(t, s, "POST", "/v2/webhooks/"+a1.WebhookID+"/stop", nil, nil)
	s.SetClockOffset(24 * time.Hour)
	assert.True(t, near(24*time.Hour)(s.Monitored()[alice]), "a2 still watches")
	ok(t, s, "DELETE", "/v2/webhooks/"+a2.WebhookID, nil, nil)
	s.SetClockOffset(48 * time.Hour)
	assert.True(t, near(24*time.Hour)(s.Monitored()[alice]), "the last one gone, billing stopped: %v", s.Monitored())

	d := createWebhook(t, s, def)
	ok(t, s, "POST", "/v2/webhooks/"+a1.WebhookID+"/start", nil, nil)
	s.SetClockOffset(54 * time.Hour)
	assert.True(t, near(30*time.Hour)(s.Monitored()[alice]))
	assert.True(t, near(6*time.Hour)(s.Monitored()[def]))
	assert.InDelta(t, 10*36.0/24, s.MonitoringCredits(), 0.05)
	ok(t, s, "POST", "/v2/webhooks/"+d.WebhookID+"/stop", nil, nil)
	assert.Equal(t, 0, s.Credits(), "monitoring is apart from Credits")
}

// event is a stored event's wrapper, as the stream and the replay carry it.
type event struct {
	AccountID   string         `json:"account_id"`
	AccountName string         `json:"account_name"`
	Event       map[string]any `json:"event"`
	Timestamp   string         `json:"timestamp"`
}

func decodeEvent(t *testing.T, raw []byte) event {
	t.Helper()
	var e event
	require.NoError(t, json.Unmarshal(raw, &e), "%s", raw)
	return e
}

func types(s *Server, id string) []string {
	var out []string
	for _, e := range s.Events(id) {
		out = append(out, e.Type)
	}
	return out
}

func TestEventsGoToTheActiveWebhooksThatAskForThem(t *testing.T) {
	s := startV2(t)
	s.AddLogin(Login{Email: "alice@example.com", Password: "pw", Token: aliceTok, Name: "Alice Martin"})
	alice := s.AccountID(aliceTok)
	ok(t, s, "POST", "/v2/login", map[string]any{"email": "alice@example.com", "password": "pw", "account_name": "Alice's team"}, nil)
	all := createWebhook(t, s, alice)
	msgs := createWebhook(t, s, alice, "message_received")
	invites := createWebhook(t, s, alice, "accepted_invitation")
	stopped := createWebhook(t, s, alice)
	ok(t, s, "POST", "/v2/webhooks/"+stopped.WebhookID+"/stop", nil, nil)
	def := createWebhook(t, s, s.AccountID(""))

	m := s.ReplyIn(aliceTok, jane, "Hello!")
	require.Len(t, s.Events(all.WebhookID), 1)
	ev := s.Events(all.WebhookID)[0]
	assert.Regexp(t, hex24, ev.ID)
	assert.Equal(t, "message", ev.Type)
	got := decodeEvent(t, ev.Data)
	assert.Equal(t, event{AccountID: alice, AccountName: "Alice's team", Timestamp: got.Timestamp,
		Event: map[string]any{"type": "message", "sender_name": "Jane Doe", "message_text": "Hello!", "sender_profile": jane,
			"timestamp": m.At.UTC().Format("2006-01-02T15:04:05.000Z")}}, got)
	_, err := time.Parse(time.RFC3339, got.Timestamp)
	assert.NoError(t, err)
	assert.Equal(t, []string{"message"}, types(s, msgs.WebhookID))
	assert.Empty(t, types(s, invites.WebhookID))
	assert.Empty(t, types(s, stopped.WebhookID), "a stopped webhook gets nothing")
	assert.Empty(t, types(s, def.WebhookID), "another account's")

	t.Run("the account's own messages", func(t *testing.T) {
		ok(t, s, "POST", "/v2/messages", map[string]any{"account_id": alice, "action": "send", "params": map[string]any{"profile_url": jane, "message_text": "Mine"}}, nil)
		s.Write(jane, Msg{Text: "The default account's own", Sender: s.Account()})
		assert.Len(t, s.Events(all.WebhookID), 1, "no event by default (the docs leave it open)")
		assert.Empty(t, s.Events(def.WebhookID))
		s.SetShapes(Shapes{EchoOwnMessages: true})
		ok(t, s, "POST", "/v2/messages", map[string]any{"account_id": alice, "action": "send", "params": map[string]any{"profile_url": jane, "message_text": "Mine, echoed"}}, nil)
		echoed := decodeEvent(t, s.Events(all.WebhookID)[1].Data)
		assert.Equal(t, "Alice Martin", echoed.Event["sender_name"])
		assert.Equal(t, "Mine, echoed", echoed.Event["message_text"])
		assert.Equal(t, ownProfile(s.v2.byID[alice]), echoed.Event["sender_profile"])
		s.SetShapes(Shapes{})
	})
	t.Run("Write of someone else's message", func(t *testing.T) {
		s.Write("https://www.linkedin.com/in/sam-lee", Msg{Text: "From Sam", Sender: "Sam Lee"})
		require.Len(t, s.Events(def.WebhookID), 1)
		assert.Equal(t, "From Sam", decodeEvent(t, s.Events(def.WebhookID)[0].Data).Event["message_text"])
	})
	t.Run("accepted invitations", func(t *testing.T) {
		s.InvitationAccepted(aliceTok, Person{ProfileURL: "https://www.linkedin.com/in/max-roe"}, Person{Name: "Ann", ProfileURL: "https://www.linkedin.com/in/ann"})
		assert.Equal(t, []string{"accepted_invitation"}, types(s, invites.WebhookID))
		assert.Equal(t, []string{"message", "message"}, types(s, msgs.WebhookID), "the reply and the echo")
		inv := decodeEvent(t, s.Events(all.WebhookID)[2].Data)
		assert.Equal(t, "accepted_invitation", inv.Event["type"])
		assert.Equal(t, []any{map[string]any{"profile_url": "https://www.linkedin.com/in/max-roe", "name": "Max Roe"},
			map[string]any{"profile_url": "https://www.linkedin.com/in/ann", "name": "Ann"}}, inv.Event["new_connections"])
	})
	t.Run("a disconnection reaches every active webhook, once", func(t *testing.T) {
		s.Expire(aliceTok)
		s.Expire(aliceTok)
		assert.Equal(t, []string{"message", "message", "accepted_invitation", "disconnection"}, types(s, all.WebhookID))
		assert.Equal(t, []string{"message", "message", "disconnection"}, types(s, msgs.WebhookID))
		assert.Equal(t, []string{"accepted_invitation", "disconnection"}, types(s, invites.WebhookID))
		assert.Empty(t, types(s, stopped.WebhookID))
		assert.Len(t, s.Events(def.WebhookID), 1)
		disc := decodeEvent(t, s.Events(all.WebhookID)[3].Data)
		assert.Equal(t, "disconnection", disc.Event["type"])
		assert.NotEmpty(t, disc.Event["reason"])
		ok(t, s, "POST", "/v2/login", map[string]any{"login_token": aliceTok + "_fresh"}, nil) // the default mailbox's: alice stays down
		s.Expire(aliceTok)
		assert.Len(t, s.Events(all.WebhookID), 4)
		ok(t, s, "POST", "/v2/login", map[string]any{"email": "alice@example.com", "password": "pw"}, nil)
		s.Expire(aliceTok)
		assert.Len(t, s.Events(all.WebhookID), 5, "a new session ends again")
	})
}

type replay struct {
	Items []struct {
		EventID   string          `json:"event_id"`
		Event     json.RawMessage `json:"event"`
		CreatedAt string          `json:"created_at"`
	} `json:"items"`
}

func (r replay) texts(t *testing.T) []string {
	var out []string
	for _, it := range r.Items {
		out = append(out, decodeEvent(t, it.Event).Event["message_text"].(string))
	}
	return out
}

func TestTheReplayGivesEventsAfterSinceFor24Hours(t *testing.T) {
	s := startV2(t)
	def := s.AccountID("")
	c := createWebhook(t, s, def, "message_received")
	for i, text := range []string{"one", "two", "three", "four", "five"} {
		s.SetClockOffset(time.Duration(i) * time.Second)
		s.Reply(jane, text)
	}
	path := "/v2/webhooks/" + c.WebhookID + "/events"

	var r replay
	e := ok(t, s, "GET", path, nil, &r)
	assert.Equal(t, "poll_webhook_events", e.Metadata.Action)
	assert.Equal(t, 0, e.Metadata.Credits)
	assert.Equal(t, []string{"one", "two", "three", "four", "five"}, r.texts(t), "oldest first")
	stored := s.Events(c.WebhookID)
	for i, it := range r.Items {
		assert.Equal(t, stored[i].ID, it.EventID)
		assert.Regexp(t, hex24, it.EventID)
		assert.JSONEq(t, string(stored[i].Data), string(it.Event), "the replay carries what the stream does")
		assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`, it.CreatedAt)
	}

	since := r.Items[1].CreatedAt
	ok(t, s, "GET", path+"?since="+url.QueryEscape(since), nil, &r)
	assert.Equal(t, []string{"three", "four", "five"}, r.texts(t), "strictly after since")
	ok(t, s, "GET", path+"?limit=2&since="+url.QueryEscape(since), nil, &r)
	assert.Equal(t, []string{"three", "four"}, r.texts(t))

	at, err := time.Parse(time.RFC3339, since)
	require.NoError(t, err)
	for _, form := range []string{at.In(time.FixedZone("", 3600)).Format("2006-01-02T15:04:05.000-07:00"), at.UTC().Format("2006-01-02T15:04:05.000"),
		at.UTC().Format(time.RFC3339Nano)} {
		ok(t, s, "GET", path+"?since="+url.QueryEscape(form), nil, &r)
		assert.Equal(t, []string{"three", "four", "five"}, r.texts(t), "since as %s", form)
	}
	plus := at.In(time.FixedZone("", 3600)).Format("2006-01-02T15:04:05.000+07:00")
	for _, q := range []string{"since=yesterday", "since=" + plus, "since=1736937060000", "limit=0", "limit=201", "limit=ten"} {
		refused(t, s, "GET", path+"?"+q, nil, http.StatusBadRequest, "INVALID_PARAMS") // a + not encoded is a space
	}

	s.SetShapes(Shapes{EventsNewestFirst: true})
	ok(t, s, "GET", path+"?limit=2", nil, &r)
	assert.Equal(t, []string{"five", "four"}, r.texts(t), "newest first, the other reading")
	s.SetShapes(Shapes{})

	s.AgeEvents(24*time.Hour - 2500*time.Millisecond) // "two" is now 24 h 0.5 s old, "three" 23 h 59 min 59.5 s
	ok(t, s, "GET", path, nil, &r)
	assert.Equal(t, []string{"three", "four", "five"}, r.texts(t), "past 24 hours on LinkedIn's clock, dropped")
	s.SetClockOffset(time.Hour)
	ok(t, s, "GET", path, nil, &r)
	assert.Empty(t, r.Items, "and as LinkedIn's clock moves on")
	assert.Empty(t, s.Events(c.WebhookID))
	s.SetClockOffset(0)
	ok(t, s, "GET", path, nil, &r)
	assert.Empty(t, r.Items, "deleted, not hidden")
	assert.Equal(t, 0, s.Credits())

	var queries []url.Values
	for _, call := range s.WebhookCalls() {
		queries = append(queries, call.Query)
	}
	assert.Contains(t, queries, url.Values{"since": {"yesterday"}}, "WebhookCalls keep the query")
	assert.Contains(t, queries, url.Values{"since": {strings.Replace(plus, "+", " ", 1)}}, "an offset's + not encoded arrives as a space")
}

// frame is one thing read from a stream: an event (its event: and data:
// lines) or a comment.
type frame struct{ Event, Data, Comment string }

// sse reads a Server-Sent Events stream into frames, as they come.
type sse struct {
	t      *testing.T
	resp   *http.Response
	frames chan frame
}

// openStream opens webhook id's stream with key and checks that it is one.
func openStream(t *testing.T, s *Server, id, key string) *sse {
	t.Helper()
	resp, err := http.Get(s.URL() + "/v2/webhooks/" + id + "/stream?api_key=" + url.QueryEscape(key))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	c := &sse{t: t, resp: resp, frames: make(chan frame, 1024)}
	go c.read()
	t.Cleanup(c.close)
	return c
}

func (c *sse) read() {
	defer close(c.frames)
	r := bufio.NewReader(c.resp.Body)
	var f frame
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if f != (frame{}) {
				c.frames <- f
			}
			f = frame{}
		case strings.HasPrefix(line, ":"):
			c.frames <- frame{Comment: strings.TrimSpace(line[1:])}
		case strings.HasPrefix(line, "event:"):
			f.Event = strings.TrimSpace(line[len("event:"):])
		case strings.HasPrefix(line, "data:"):
			if f.Data != "" {
				f.Data += "\n"
			}
			f.Data += strings.TrimPrefix(line[len("data:"):], " ")
		}
	}
}

func (c *sse) close() { c.resp.Body.Close() }

// next is the next frame; it fails the test when the stream ended.
func (c *sse) next() frame {
	c.t.Helper()
	select {
	case f, open := <-c.frames:
		require.True(c.t, open, "the stream ended")
		return f
	case <-time.After(guard):
		c.t.Fatal("no frame")
	}
	return frame{}
}

// nextEvent is the next frame that is not a comment.
func (c *sse) nextEvent() frame {
	c.t.Helper()
	for {
		if f := c.next(); f.Comment == "" {
			return f
		}
	}
}

// ended reports whether the stream ends (after any frames still queued).
func (c *sse) ended() bool {
	c.t.Helper()
	for {
		select {
		case _, open := <-c.frames:
			if !open {
				return true
			}
		case <-time.After(guard):
			return false
		}
	}
}

// waitFor polls cond, which the fake makes true at once, within guard.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(guard); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("never: " + what)
		}
	}
}

func TestTheStreamSaysConnectedThenCarriesEventsAndKeepalives(t *testing.T) {
	s := startV2(t)
	s.SetKeepalive(20 * time.Millisecond)
	def := s.AccountID("")
	c := createWebhook(t, s, def)

	for _, key := range []string{"", "wrong"} {
		resp, err := http.Get(s.URL() + "/v2/webhooks/" + c.WebhookID + "/stream?api_key=" + key)
		require.NoError(t, err)
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		assert.Contains(t, string(raw), `"INVALID_API_KEY"`)
	}
	resp, err := http.Get(s.URL() + "/v2/webhooks/5eb0c0de0000000000000000/stream?api_key=" + testKey)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Empty(t, s.Streams())

	st := openStream(t, s, c.WebhookID, testKey)
	hello := st.next()
	assert.Equal(t, "connected", hello.Event, "connected first")
	assert.JSONEq(t, `{"webhook_id":"`+c.WebhookID+`","account_id":"`+def+`"}`, hello.Data)
	assert.Equal(t, map[string]int{c.WebhookID: 1}, s.Streams())

	assert.Equal(t, frame{Comment: "keepalive"}, st.next(), "a keepalive comes every period")
	s.Reply(jane, "Live!")
	got := st.nextEvent()
	assert.Equal(t, "webhook", got.Event)
	assert.JSONEq(t, string(s.Events(c.WebhookID)[0].Data), got.Data)
	assert.NotContains(t, got.Data, "event_id", "the stream's events carry none")

	second := openStream(t, s, c.WebhookID, testKey)
	assert.Equal(t, "connected", second.next().Event)
	assert.Equal(t, map[string]int{c.WebhookID: 2}, s.Streams())
	s.Reply(jane, "To both")
	assert.Contains(t, st.nextEvent().Data, "To both")
	assert.Contains(t, second.nextEvent().Data, "To both", "several clients hold one stream")

	t.Run("pushed frames go as they are", func(t *testing.T) {
		assert.Equal(t, 2, s.PushFrame(c.WebhookID, "event: webhook\ndata: {not json\n\n"))
		dup := "event: webhook\ndata: " + string(s.Events(c.WebhookID)[1].Data) + "\n\n"
		s.PushFrame(c.WebhookID, dup+dup)
		s.PushFrame(c.WebhookID, "event: surprise\ndata: {\"a\":1}\ndata: {\"b\":2}\n\n")
		assert.Equal(t, frame{Event: "webhook", Data: "{not json"}, st.nextEvent())
		assert.Contains(t, st.nextEvent().Data, "To both")
		assert.Contains(t, st.nextEvent().Data, "To both")
		assert.Equal(t, frame{Event: "surprise", Data: "{\"a\":1}\n{\"b\":2}"}, st.nextEvent())
		assert.Equal(t, 0, s.PushFrame("nope", "x"))
	})
	t.Run("a stopped webhook's stream stays open, with nothing but keepalives", func(t *testing.T) {
		ok(t, s, "POST", "/v2/webhooks/"+c.WebhookID+"/stop", nil, nil)
		s.Reply(jane, "Unwatched")
		ok(t, s, "POST", "/v2/webhooks/"+c.WebhookID+"/start", nil, nil)
		s.Reply(jane, "Watched again")
		assert.Contains(t, st.nextEvent().Data, "Watched again")
	})
	t.Run("deleting the webhook ends its streams", func(t *testing.T) {
		ok(t, s, "DELETE", "/v2/webhooks/"+c.WebhookID, nil, nil)
		assert.True(t, st.ended())
		assert.True(t, second.ended())
		assert.Empty(t, s.Streams())
	})
}

func TestDroppedStreamsEndAndTheirEventsWaitInTheReplay(t *testing.T) {
	s := startV2(t)
	s.SetKeepalive(time.Hour)
	c := createWebhook(t, s, s.AccountID(""))
	st := openStream(t, s, c.WebhookID, testKey)
	require.Equal(t, "connected", st.next().Event)

	s.DropStreams()
	assert.Empty(t, s.Streams(), "at once")
	assert.True(t, st.ended(), "the client reads the end of the stream")
	s.Reply(jane, "While dropped")
	assert.Len(t, s.Events(c.WebhookID), 1, "stored for the replay")

	again := openStream(t, s, c.WebhookID, testKey)
	require.Equal(t, "connected", again.next().Event)
	s.Reply(jane, "After")
	assert.Contains(t, again.nextEvent().Data, "After", "what was written while dropped is not sent on the new stream")
	var r replay
	ok(t, s, "GET", "/v2/webhooks/"+c.WebhookID+"/events", nil, &r)
	assert.Equal(t, []string{"While dropped", "After"}, r.texts(t))
}

func TestSilencedStreamsSendNothingAndLoseTheirEvents(t *testing.T) {
	s := startV2(t)
	s.SetKeepalive(time.Hour)
	c := createWebhook(t, s, s.AccountID(""))
	st := openStream(t, s, c.WebhookID, testKey)
	require.Equal(t, "connected", st.next().Event)

	s.SilenceStreams(true)
	s.Reply(jane, "Lost to the stream")
	assert.Equal(t, 0, s.PushFrame(c.WebhookID, "event: webhook\ndata: {}\n\n"), "pushes are silenced too")
	assert.Equal(t, map[string]int{c.WebhookID: 1}, s.Streams(), "the connection stays open")

	late := make(chan *http.Response, 1) // a stream opened while silenced does not even answer
	go func() {
		resp, err := http.Get(s.URL() + "/v2/webhooks/" + c.WebhookID + "/stream?api_key=" + testKey)
		if err == nil {
			late <- resp
		}
	}()
	waitFor(t, "the late stream is open", func() bool { return s.Streams()[c.WebhookID] == 2 })
	select {
	case <-late:
		t.Fatal("a silenced stream answered")
	default:
	}

	s.SilenceStreams(false)
	s.Reply(jane, "Heard")
	assert.Contains(t, st.nextEvent().Data, "Heard", "the event written while silenced never comes")
	var resp *http.Response
	select {
	case resp = <-late:
	case <-time.After(guard):
		t.Fatal("the late stream never answered")
	}
	defer resp.Body.Close()
	lateStream := &sse{t: t, resp: resp, frames: make(chan frame, 16)}
	go lateStream.read()
	assert.Equal(t, "connected", lateStream.next().Event, "connected first, once the silence ends")

	var r replay
	ok(t, s, "GET", "/v2/webhooks/"+c.WebhookID+"/events", nil, &r)
	assert.Equal(t, []string{"Lost to the stream", "Heard"}, r.texts(t), "the replay has both")
}

func TestSilenceStopsKeepalivesToo(t *testing.T) {
	s := startV2(t)
	s.SetKeepalive(2 * time.Millisecond)
	c := createWebhook(t, s, s.AccountID(""))
	st := openStream(t, s, c.WebhookID, testKey)
	require.Equal(t, "connected", st.next().Event)
	require.Equal(t, "keepalive", st.next().Comment)

	s.SilenceStreams(true)
	s.mu.Lock()
	written := s.v2.written
	s.mu.Unlock()
	time.Sleep(50 * time.Millisecond) // 25 periods: a keepalive would have been written
	s.mu.Lock()
	assert.Equal(t, written, s.v2.written, "nothing written once SilenceStreams returned")
	s.mu.Unlock()
	s.SilenceStreams(false)
	for st.next().Comment != "keepalive" {
	}
}

// TestNoStreamURLOrKeyIsLogged runs the stream's paths (a wrong key, a
// client leaving, a drop, a deleted webhook) with the standard logger,
// which the fake's HTTP server logs to, captured.
func TestNoStreamURLOrKeyIsLogged(t *testing.T) {
	var logged bytes.Buffer
	prev := log.Writer()
	log.SetOutput(&logged)
	defer log.SetOutput(prev)

	s := startV2(t)
	s.SetKeepalive(time.Millisecond)
	c := createWebhook(t, s, s.AccountID(""))
	s.SetShapes(Shapes{StreamURLWithKey: true})
	withKey := createWebhook(t, s, s.AccountID(""))
	resp, err := http.Get(s.URL() + "/v2/webhooks/" + c.WebhookID + "/stream?api_key=" + testKey + "x")
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.NotContains(t, string(raw), testKey)

	gone := openStream(t, s, c.WebhookID, testKey)
	gone.next()
	gone.close()
	st := openStream(t, s, withKey.WebhookID, testKey)
	st.next()
	s.Reply(jane, "Hi")
	st.nextEvent()
	s.DropStreams()
	st.ended()
	again := openStream(t, s, withKey.WebhookID, testKey)
	again.next()
	ok(t, s, "DELETE", "/v2/webhooks/"+withKey.WebhookID, nil, nil)
	again.ended()
	waitFor(t, "every stream closed", func() bool { return len(s.Streams()) == 0 })

	assert.NotContains(t, logged.String(), testKey)
	assert.NotContains(t, logged.String(), "/stream")
	for _, call := range s.WebhookCalls() {
		assert.NotContains(t, call.Query.Encode(), testKey, call.Path)
	}
	assert.NotContains(t, s.String(), testKey)
}

// RefuseWebhooks refuses every create, making nothing, until lifted.
func TestRefusedWebhooksMakeNothing(t *testing.T) {
	s := startV2(t)
	s.AddLogin(Login{Email: "alice@example.com", Password: "pw", Token: aliceTok, Name: "Alice Martin"})
	alice := s.AccountID(aliceTok)
	s.RefuseWebhooks(http.StatusForbidden, "FEATURE_NOT_AVAILABLE", "Webhooks are not in your plan")
	refused(t, s, "POST", "/v2/webhooks", map[string]any{"account_id": alice}, http.StatusForbidden, "FEATURE_NOT_AVAILABLE")
	assert.Empty(t, s.Webhooks())
	s.RefuseWebhooks(0, "", "")
	createWebhook(t, s, alice)
	assert.Len(t, s.Webhooks(), 1)
}
