package fakelinkup

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// Hosted webhooks, after ../shared/linkup-v2.md and
// https://docs.linkupapi.com/api-reference/v2/webhooks/introduction: an
// active webhook gets its account's events, which are kept 24 hours for
// the replay (/events) and pushed to its open streams (stream.go).
// Custom webhooks (with a url) are not faked: their create is refused.

// eventTTL is how long Linkup keeps a hosted webhook's events.
const eventTTL = 24 * time.Hour

// creditsPerDay is monitoring's price per account-day: "about 10", the v1
// page's "1 credit every 144 minutes".
const creditsPerDay = 10

// Webhook is one webhook as a test inspects it.
type Webhook struct {
	ID        string
	AccountID string
	Events    []string // as subscribed: message_received, accepted_invitation, all
	Active    bool     // monitoring: started and not stopped
}

// WebhookCall is one call to a /v2/webhooks route, refused ones included.
type WebhookCall struct {
	Method string
	Path   string
	// Query is the call's query without api_key (the stream's key).
	Query url.Values
	At    time.Time // LinkedIn's clock
}

// Event is one stored event of a webhook, as the replay gives it.
type Event struct {
	ID      string    // event_id
	Created time.Time // created_at, to the millisecond
	Type    string    // event.type: message, accepted_invitation, disconnection
	// Data is the event as the stream and the replay carry it:
	// {"account_id","account_name","event":{…},"timestamp"}.
	Data json.RawMessage
}

type webhook struct {
	id      string
	acc     *account
	events  []string
	active  bool
	created time.Time
	stored  []Event // oldest first
}

// subscribed reports whether w gets events of subscription kind; ""
// (disconnection) reaches every webhook.
func (w *webhook) subscribed(kind string) bool {
	return kind == "" || slices.Contains(w.events, "all") || slices.Contains(w.events, kind)
}

func (s *Server) webhookCall(r *http.Request) {
	q := r.URL.Query()
	q.Del("api_key")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.v2.webhookCalls = append(s.v2.webhookCalls, WebhookCall{Method: r.Method, Path: r.URL.Path, Query: q, At: s.now()})
}

// WebhookCalls returns the calls to /v2/webhooks routes so far, in order.
func (s *Server) WebhookCalls() []WebhookCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.v2.webhookCalls)
}

// Webhooks returns the webhooks not deleted, in the order they were made.
func (s *Server) Webhooks() []Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Webhook, 0, len(s.v2.webhooks))
	for _, w := range s.v2.webhooks {
		out = append(out, Webhook{ID: w.id, AccountID: w.acc.id, Events: slices.Clone(w.events), Active: w.active})
	}
	return out
}

// Events returns the stored events of webhook id that the replay still
// holds (24 hours), oldest first.
func (s *Server) Events(id string) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.webhook(id)
	if w == nil {
		return nil
	}
	s.expire(w)
	return slices.Clone(w.stored)
}

// AgeEvents moves every stored event d into the past, as if written d
// earlier: past 24 hours the replay drops it.
func (s *Server) AgeEvents(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.v2.webhooks {
		for i := range w.stored {
			w.stored[i].Created = w.stored[i].Created.Add(-d)
		}
	}
}

// Monitored is how long each account (by account_id) had an active
// webhook, by LinkedIn's clock, up to now.
func (s *Server) Monitored() map[string]time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]time.Duration{}
	now := s.now()
	for _, a := range s.v2.accounts {
		d := a.monitored
		if a.monitoring {
			d += max(0, now.Sub(a.since))
		}
		if d > 0 {
			out[a.id] = d
		}
	}
	return out
}

// MonitoringCredits estimates what monitoring cost so far: 10 credits per
// account-day with an active webhook, pro rata to the time (Monitored),
// however many webhooks watch the account. Linkup's own rounding is not
// documented.
func (s *Server) MonitoringCredits() float64 {
	var total float64
	for _, d := range s.Monitored() {
		total += creditsPerDay * d.Hours() / 24
	}
	return total
}

// monitor starts or stops a's monitoring clock when its webhooks' state
// changed. Caller holds s.mu.
func (s *Server) monitor(a *account) {
	on := slices.ContainsFunc(s.v2.webhooks, func(w *webhook) bool { return w.acc == a && w.active })
	now := s.now()
	switch {
	case on && !a.monitoring:
		a.monitoring, a.since = true, now
	case !on && a.monitoring:
		a.monitoring = false
		a.monitored += max(0, now.Sub(a.since))
	}
}

// webhook finds a webhook by id. Caller holds s.mu.
func (s *Server) webhook(id string) *webhook {
	for _, w := range s.v2.webhooks {
		if w.id == id {
			return w
		}
	}
	return nil
}

// webhookOr404 finds the webhook of the route's {id}, or answers 404
// INVALID_ACCOUNT (the docs give no code for an unknown webhook; the one
// for unknown paths is taken).
func (s *Server) webhookOr404(w http.ResponseWriter, r *http.Request, action string) (*webhook, bool) {
	s.mu.Lock()
	wh := s.webhook(r.PathValue("id"))
	s.mu.Unlock()
	if wh == nil {
		s.v2Error(w, action, http.StatusNotFound, "INVALID_ACCOUNT", "Webhook not found")
	}
	return wh, wh != nil
}

var subscriptions = []string{"message_received", "accepted_invitation", "all"}

// refusal is how webhook creates are refused (RefuseWebhooks).
type refusal struct {
	status        int
	code, message string
}

// RefuseWebhooks makes every webhook create answer an error of status
// with code and message (as Linkup may for a plan or key without
// webhooks), before anything is made; a status of 0 lifts it.
func (s *Server) RefuseWebhooks(status int, code, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.v2.refusal = nil
	if status != 0 {
		s.v2.refusal = &refusal{status, code, message}
	}
}

// LoseWebhookCreates makes the next n webhook creates make their webhook,
// then answer a gateway's 502 as if the answer was lost on the way back:
// the bot cannot know whether one was made.
func (s *Server) LoseWebhookCreates(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.v2.loseCreates = n
}

// serveCreateWebhook makes a hosted webhook, after
// https://docs.linkupapi.com/api-reference/v2/webhooks/create: free,
// events ["all"] by default, monitoring from now (unless
// Shapes.WebhooksStartStopped).
func (s *Server) serveCreateWebhook(w http.ResponseWriter, r *http.Request) {
	const action = "create_webhook"
	var b struct {
		AccountID string   `json:"account_id"`
		Events    []string `json:"events"`
		URL       string   `json:"url"`
	}
	if !s.decodeJSON(w, r, action, &b, nil) {
		return
	}
	s.mu.Lock()
	a, no := s.v2.byID[b.AccountID], s.v2.refusal
	s.mu.Unlock()
	if no != nil {
		s.v2Error(w, action, no.status, no.code, no.message)
		return
	}
	events := b.Events
	if len(events) == 0 {
		events = []string{"all"}
	}
	switch {
	case a == nil:
		s.v2Error(w, action, http.StatusNotFound, "INVALID_ACCOUNT", "Account not found")
		return
	case b.URL != "":
		s.v2Error(w, action, http.StatusBadRequest, "INVALID_PARAMS", "custom webhooks (url) are not supported by the fake")
		return
	}
	for _, e := range events {
		if !slices.Contains(subscriptions, e) {
			s.v2Error(w, action, http.StatusBadRequest, "INVALID_PARAMS", "events must be message_received, accepted_invitation or all")
			return
		}
	}
	s.mu.Lock()
	s.v2.seq++
	wh := &webhook{id: fmt.Sprintf("5eb0c0de%016x", s.v2.seq), acc: a, events: slices.Clone(events),
		active: !s.shapes.WebhooksStartStopped, created: s.now()}
	s.v2.webhooks = append(s.v2.webhooks, wh)
	s.monitor(a)
	base := s.srv.URL
	if s.shapes.PlaceholderHost {
		base = "https://api.example.com"
	}
	base += "/v2/webhooks/" + wh.id
	stream := base + "/stream"
	if s.shapes.StreamURLWithKey {
		stream += "?api_key=" + url.QueryEscape(r.Header.Get("x-api-key"))
	}
	data := s.webhookData(wh)
	lost := s.v2.loseCreates > 0
	if lost {
		s.v2.loseCreates--
	}
	s.mu.Unlock()
	if lost {
		http.Error(w, "502 Bad Gateway", http.StatusBadGateway)
		return
	}
	data["stream_url"], data["events_url"] = stream, base+"/events"
	s.v2OK(w, action, a.id, 0, data)
}

// webhookData is a webhook as the create and list answers show it.
// Caller holds s.mu.
func (s *Server) webhookData(wh *webhook) map[string]any {
	return map[string]any{"webhook_id": wh.id, "account_id": wh.acc.id, "events": wh.events, "mode": "hosted",
		"signature_enabled": false, "monitoring": wh.active, "created_at": isoTime(wh.created)}
}

// FailWebhookLists makes GET /v2/webhooks answer a bare status (a
// gateway's 504, say) with no envelope; 0 lifts it.
func (s *Server) FailWebhookLists(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.v2.failLists = status
}

// serveListWebhooks lists the webhooks as {items, total}, or as the list
// itself (Shapes.WebhookListAsArray); the docs give no shape.
func (s *Server) serveListWebhooks(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	if fail := s.v2.failLists; fail != 0 {
		s.mu.Unlock()
		http.Error(w, http.StatusText(fail), fail)
		return
	}
	items := []map[string]any{}
	for _, wh := range s.v2.webhooks {
		items = append(items, s.webhookData(wh))
	}
	var data any = map[string]any{"items": items, "total": len(items)}
	if s.shapes.WebhookListAsArray {
		data = items
	}
	s.mu.Unlock()
	s.v2OK(w, "list_webhooks", "", 0, data)
}

// serveDeleteWebhook deletes a webhook, its stored events and its
// streams; the docs give no answer shape.
func (s *Server) serveDeleteWebhook(w http.ResponseWriter, r *http.Request) {
	const action = "delete_webhook"
	wh, ok := s.webhookOr404(w, r, action)
	if !ok {
		return
	}
	s.mu.Lock()
	s.v2.webhooks = slices.DeleteFunc(s.v2.webhooks, func(x *webhook) bool { return x == wh })
	s.monitor(wh.acc)
	for st := range s.v2.streams[wh.id] {
		st.end()
	}
	delete(s.v2.streams, wh.id)
	s.mu.Unlock()
	s.v2OK(w, action, wh.acc.id, 0, map[string]any{"webhook_id": wh.id, "deleted": true})
}

func (s *Server) serveStartWebhook(w http.ResponseWriter, r *http.Request) {
	s.setMonitoring(w, r, "start_webhook", true)
}

// serveStopWebhook stops monitoring and keeps the configuration, after
// https://docs.linkupapi.com/api-reference/v2/webhooks/stop.
func (s *Server) serveStopWebhook(w http.ResponseWriter, r *http.Request) {
	s.setMonitoring(w, r, "stop_webhook", false)
}

func (s *Server) setMonitoring(w http.ResponseWriter, r *http.Request, action string, on bool) {
	wh, ok := s.webhookOr404(w, r, action)
	if !ok {
		return
	}
	s.mu.Lock()
	wh.active = on
	s.monitor(wh.acc)
	s.mu.Unlock()
	s.v2OK(w, action, wh.acc.id, 0, map[string]any{"webhook_id": wh.id, "account_id": wh.acc.id, "monitoring": on})
}

// serveEvents is the replay, after
// https://docs.linkupapi.com/api-reference/v2/webhooks/events: the items
// created strictly after since (ISO 8601; all without it), oldest first
// (newest first with Shapes.EventsNewestFirst), limit 1..200 (50), free.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	const action = "poll_webhook_events"
	wh, ok := s.webhookOr404(w, r, action)
	if !ok {
		return
	}
	q := r.URL.Query()
	limit, ok := queryInt(q, "limit", 50, 1, 200)
	if !ok {
		s.v2Error(w, action, http.StatusBadRequest, "INVALID_PARAMS", "limit must be 1 to 200")
		return
	}
	var since time.Time
	if v := q.Get("since"); v != "" {
		if since, ok = parseISO(v); !ok {
			s.v2Error(w, action, http.StatusBadRequest, "INVALID_PARAMS", "since must be an ISO 8601 time")
			return
		}
	}
	s.mu.Lock()
	s.expire(wh)
	var picked []Event
	for _, e := range wh.stored {
		if e.Created.After(since) {
			picked = append(picked, e)
		}
	}
	if s.shapes.EventsNewestFirst {
		slices.Reverse(picked)
	}
	items := []map[string]any{}
	for _, e := range picked[:min(limit, len(picked))] {
		items = append(items, map[string]any{"event_id": e.ID, "event": e.Data, "created_at": isoTime(e.Created)})
	}
	s.mu.Unlock()
	s.v2OK(w, action, wh.acc.id, 0, map[string]any{"items": items})
}

// parseISO reads an ISO 8601 time, with or without a fraction, with Z,
// an offset or no zone (UTC).
func parseISO(v string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, true
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", v, time.UTC)
	return t, err == nil
}

// expire drops w's events older than 24 hours. Caller holds s.mu.
func (s *Server) expire(w *webhook) {
	cut := s.now().Add(-eventTTL)
	w.stored = slices.DeleteFunc(w.stored, func(e Event) bool { return e.Created.Before(cut) })
}

// emit gives the event ev (of subscription kind; "" for every webhook)
// to box's account's active webhooks: stored for the replay and pushed to
// their streams. Caller holds s.mu.
func (s *Server) emit(box, kind string, ev map[string]any) {
	a := s.v2.byBox[box]
	if a == nil {
		return
	}
	now := s.now()
	data, _ := json.Marshal(struct {
		AccountID   string         `json:"account_id"`
		AccountName string         `json:"account_name"`
		Event       map[string]any `json:"event"`
		Timestamp   string         `json:"timestamp"`
	}{a.id, a.label, ev, isoTime(now)})
	typ, _ := ev["type"].(string)
	for _, w := range s.v2.webhooks {
		if w.acc != a || !w.active || !w.subscribed(kind) {
			continue
		}
		s.v2.seq++
		s.expire(w)
		w.stored = append(w.stored, Event{ID: fmt.Sprintf("6789abcd%016x", s.v2.seq), Created: now.Truncate(time.Millisecond), Type: typ, Data: data})
		s.push(w.id, "event: webhook\ndata: "+string(data)+"\n\n")
	}
}

// messageEvent tells c's account that m was written in c: a message
// event, unless the account wrote it (see Shapes.EchoOwnMessages).
// Caller holds s.mu.
func (s *Server) messageEvent(c *conversation, m Msg) {
	a := s.v2.byBox[c.box]
	own := m.Sender == s.nameOfBox(c.box)
	if a == nil || own && !s.shapes.EchoOwnMessages {
		return
	}
	sender, profile := cmp.Or(m.Sender, c.with.Name), c.with.ProfileURL
	if own {
		profile = ownProfile(a)
	}
	s.emit(c.box, "message_received", map[string]any{"type": "message", "sender_name": sender,
		"message_text": m.Text, "sender_profile": profile, "timestamp": isoTime(m.At)})
}

// disconnect marks box's session ended and, if it was not already,
// sends its account's webhooks a disconnection event. Caller holds s.mu.
func (s *Server) disconnect(box string) {
	if s.v2.down[box] {
		return
	}
	s.v2.down[box] = true
	s.emit(box, "", map[string]any{"type": "disconnection", "reason": "LinkedIn session expired"})
}

// InvitationAccepted says that the people in who accepted the
// connection requests the account of token's mailbox sent: its webhooks
// subscribed to accepted_invitation (or all) get an accepted_invitation
// event with new_connections [{profile_url, name}] (the field a
// third-party handler reads). An empty name is made from the URL.
func (s *Server) InvitationAccepted(token string, who ...Person) {
	s.mu.Lock()
	defer s.mu.Unlock()
	conns := make([]map[string]any, 0, len(who))
	for _, p := range who {
		conns = append(conns, map[string]any{"profile_url": p.ProfileURL, "name": cmp.Or(p.Name, nameOf(p.ProfileURL))})
	}
	s.emit(s.box(token), "accepted_invitation", map[string]any{"type": "accepted_invitation",
		"new_connections": conns, "timestamp": isoTime(s.now())})
}
