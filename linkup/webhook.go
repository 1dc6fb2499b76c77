package linkup

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Hosted webhooks (v2): Linkup watches an account and keeps its LinkedIn
// events, which are read live from the stream (stream.go) or afterwards,
// for 24 hours, with Events. Creating, starting, stopping, listing and
// deleting webhooks, the stream and Events are free; an account costs
// about 10 credits a day while an active webhook watches it.

// What CreateWebhook subscribes to.
const (
	SubscribeMessages    = "message_received"
	SubscribeInvitations = "accepted_invitation"
	SubscribeAll         = "all"
)

// Event types, as Event.Type gives them. Others may come; they are kept.
const (
	EventMessage            = "message"
	EventAcceptedInvitation = "accepted_invitation"
	// EventDisconnection comes whatever the subscription, when the
	// account's LinkedIn session ends.
	EventDisconnection = "disconnection"
)

// MaxEvents is the most events one Events call asks for.
const MaxEvents = 200

// Webhook is a webhook as Linkup describes it; every field may be empty.
type Webhook struct {
	ID        string
	AccountID string
	// Active is true when Linkup says the webhook is monitoring; false when
	// it says it is not, or says nothing.
	Active bool
	// Events are its subscriptions (SubscribeMessages, …).
	Events []string
	// Custom is true for a webhook that posts to a url of its own (mode
	// "custom", or a url given): its events reach no stream of ours.
	Custom bool
}

// Covers reports whether w gets every event of subscriptions: it names
// them, or "all", or nothing (Linkup's default is all).
func (w Webhook) Covers(subscriptions []string) bool {
	if len(w.Events) == 0 || slices.Contains(w.Events, SubscribeAll) {
		return true
	}
	for _, s := range subscriptions {
		if !slices.Contains(w.Events, s) {
			return false
		}
	}
	return true
}

// CreateWebhook creates a hosted webhook (no url: its events are read from
// Stream and Events) watching accountID for events (all of them when
// empty). It does not say whether monitoring started (Linkup's pages
// disagree): call StartWebhook after it. An answer that names no webhook is
// KindUnknown, since one may have been created: look for it with Webhooks.
// The account and events asked for stand in for those the answer omits.
func (c *Client) CreateWebhook(ctx context.Context, accountID string, events []string) (Webhook, error) {
	if strings.TrimSpace(accountID) == "" {
		return Webhook{}, &Error{Kind: KindInvalid, Message: "no Linkup account to watch"}
	}
	body := map[string]any{"account_id": accountID}
	if len(events) > 0 {
		body["events"] = events
	}
	a, err := c.callV2(ctx, http.MethodPost, v2Webhooks, body)
	if err != nil {
		return Webhook{}, err
	}
	w, ok := decodeWebhook(a.Data)
	if !ok || w.ID == "" {
		// The webhook may come wrapped: {"webhook":{…}}.
		var d struct {
			Webhook json.RawMessage `json:"webhook"`
		}
		lenient(a.Data, &d)
		w, ok = decodeWebhook(d.Webhook)
	}
	if !ok || w.ID == "" {
		return Webhook{}, &Error{Kind: KindUnknown, Status: a.status, Message: "Linkup's answer names no webhook_id: one may have been created"}
	}
	if w.AccountID == "" {
		w.AccountID = accountID
	}
	if w.Events == nil {
		w.Events = slices.Clone(events)
	}
	return w, nil
}

// StartWebhook starts (or resumes) a webhook's monitoring; harmless when it
// runs already.
func (c *Client) StartWebhook(ctx context.Context, id string) error {
	return c.webhookCall(ctx, http.MethodPost, id, "/start")
}

// StopWebhook stops a webhook's monitoring and keeps its configuration;
// an account none watches any more stops costing.
func (c *Client) StopWebhook(ctx context.Context, id string) error {
	return c.webhookCall(ctx, http.MethodPost, id, "/stop")
}

// DeleteWebhook deletes a webhook.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	return c.webhookCall(ctx, http.MethodDelete, id, "")
}

func (c *Client) webhookCall(ctx context.Context, method, id, action string) error {
	path, err := webhookPath(id, action)
	if err != nil {
		return err
	}
	_, err = c.callV2(ctx, method, path, nil)
	return err
}

// webhookPath is the route of webhook id, then suffix.
func webhookPath(id, suffix string) (string, error) {
	if strings.TrimSpace(id) == "" {
		return "", &Error{Kind: KindInvalid, Message: "no webhook id"}
	}
	return v2Webhooks + "/" + url.PathEscape(id) + suffix, nil
}

// Webhooks lists the key's webhooks. The list is read as data itself, or
// as data.items or data.webhooks; an entry without an id is left out.
func (c *Client) Webhooks(ctx context.Context) ([]Webhook, error) {
	a, err := c.callV2(ctx, http.MethodGet, v2Webhooks, nil)
	if err != nil {
		return nil, err
	}
	var hooks []Webhook
	for _, raw := range listIn(a.Data, "items", "webhooks") {
		if w, ok := decodeWebhook(raw); ok && w.ID != "" {
			hooks = append(hooks, w)
		}
	}
	return hooks, nil
}

// listIn is data's list: data itself when it is one, else its first field
// of names that is one; nil when there is none.
func listIn(data json.RawMessage, names ...string) []json.RawMessage {
	var list []json.RawMessage
	if json.Unmarshal(data, &list) == nil {
		return list
	}
	var fields map[string]json.RawMessage
	if !lenient(data, &fields) {
		return nil
	}
	for _, n := range names {
		if json.Unmarshal(fields[n], &list) == nil && list != nil {
			return list
		}
	}
	return nil
}

// decodeWebhook reads one webhook leniently; false when raw is not an object.
func decodeWebhook(raw json.RawMessage) (Webhook, bool) {
	var j struct {
		WebhookID  flexString      `json:"webhook_id"`
		ID         flexString      `json:"id"`
		MongoID    flexString      `json:"_id"`
		AccountID  flexString      `json:"account_id"`
		Active     *flexBool       `json:"active"`
		IsActive   *flexBool       `json:"is_active"`
		Monitoring *flexBool       `json:"monitoring"`
		Status     flexString      `json:"status"`
		Events     json.RawMessage `json:"events"`
		Mode       flexString      `json:"mode"`
		URL        flexString      `json:"url"`
	}
	if !lenient(raw, &j) {
		return Webhook{}, false
	}
	w := Webhook{
		ID:        strings.TrimSpace(firstOf(string(j.WebhookID), string(j.ID), string(j.MongoID))),
		AccountID: strings.TrimSpace(string(j.AccountID)),
		Custom: strings.EqualFold(strings.TrimSpace(string(j.Mode)), "custom") ||
			strings.TrimSpace(string(j.URL)) != "",
	}
	switch {
	case j.Active != nil:
		w.Active = bool(*j.Active)
	case j.IsActive != nil:
		w.Active = bool(*j.IsActive)
	case j.Monitoring != nil:
		w.Active = bool(*j.Monitoring)
	default:
		s := strings.ToLower(strings.TrimSpace(string(j.Status)))
		w.Active = s == "active" || s == "running" || s == "started" || s == "monitoring"
	}
	var events []flexString
	if json.Unmarshal(j.Events, &events) != nil {
		var one flexString
		_ = one.UnmarshalJSON(j.Events)
		events = []flexString{one}
	}
	for _, e := range events {
		if s := strings.TrimSpace(string(e)); s != "" {
			w.Events = append(w.Events, s)
		}
	}
	return w, true
}

// Event is one LinkedIn event of a watched account, from the stream or from
// Events. Every field is empty when Linkup did not give it.
type Event struct {
	// EventID and CreatedAt (Linkup's clock, when it stored the event) come
	// with Events only; the stream's events have neither.
	EventID   string
	CreatedAt time.Time
	// AccountID and AccountName are the watched account's.
	AccountID   string
	AccountName string
	// Type is EventMessage, EventAcceptedInvitation, EventDisconnection or
	// whatever else came, as it came.
	Type string
	// SenderName, SenderProfile and Text describe a message: its writer's
	// name and profile URL (event.sender_profile, else
	// event.sender.profile_url) and its plain text (event.message_text).
	// A message event names no conversation.
	SenderName    string
	SenderProfile string
	Text          string
	// At is when it happened on LinkedIn (event.timestamp); EmittedAt is
	// when Linkup emitted it (the outer timestamp).
	At        time.Time
	EmittedAt time.Time
	// Reason is a disconnection's, when given.
	Reason string
	// NewConnections are the people who accepted, for accepted_invitation.
	NewConnections []Person
}

// ContentKey identifies an event by what it says, for the stream's events
// that carry no event_id: the same event from the stream and from Events,
// or twice from either, has the same key. It leaves out EventID, CreatedAt
// and EmittedAt (Linkup's bookkeeping), and uses EmittedAt only when At is
// missing, so that one sender's same words at two moments stay two events.
func (e Event) ContentKey() string {
	at := e.At
	if at.IsZero() {
		at = e.EmittedAt
	}
	h := sha256.New()
	for _, f := range []string{e.AccountID, e.Type, e.SenderProfile, e.SenderName, e.Text, e.Reason, strconv.FormatInt(at.UnixMilli(), 10)} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	for _, p := range e.NewConnections {
		h.Write([]byte(p.ProfileURL + "\x01" + p.Name + "\x00"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// EventPage is what one Events call read.
type EventPage struct {
	// Events are sorted by CreatedAt, then EventID, whatever order they came in.
	Events []Event
	// Skipped counts the items that could not be read (and were left out):
	// len(Events)+Skipped items came, so a page as long as the limit asked
	// for may have more after it.
	Skipped int
}

// Events reads a hosted webhook's stored events created after since (GET
// /v2/webhooks/{id}/events; free), at most limit of them (50 when 0, at
// most MaxEvents). Linkup keeps events 24 hours. A zero since asks for all
// it keeps. since is sent in UTC (RFC 3339, with Z): take it from the
// CreatedAt of the last event handled (Linkup's clock), minus an overlap,
// and deduplicate by EventID, since a since bound gives no exactly-once.
func (c *Client) Events(ctx context.Context, webhookID string, since time.Time, limit int) (EventPage, error) {
	path, err := webhookPath(webhookID, "/events")
	if err != nil {
		return EventPage{}, err
	}
	switch {
	case limit <= 0:
		limit = 50
	case limit > MaxEvents:
		limit = MaxEvents
	}
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if !since.IsZero() {
		q.Set("since", since.UTC().Format(time.RFC3339Nano))
	}
	a, err := c.callV2(ctx, http.MethodGet, path+"?"+q.Encode(), nil)
	if err != nil {
		return EventPage{}, err
	}
	var page EventPage
	for _, raw := range listIn(a.Data, "items", "events") {
		e, ok := decodeEvent(raw)
		if !ok {
			page.Skipped++
			continue
		}
		page.Events = append(page.Events, e)
	}
	slices.SortStableFunc(page.Events, func(x, y Event) int {
		return cmp.Or(x.CreatedAt.Compare(y.CreatedAt), cmp.Compare(x.EventID, y.EventID))
	})
	return page, nil
}

// eventWrapper is how every event comes: {"account_id", "account_name",
// "event":{"type",…}, "timestamp"}; Events' items add "event_id" and
// "created_at" around it (or, leniently, beside its fields).
type eventWrapper struct {
	EventID     flexString      `json:"event_id"`
	CreatedAt   flexTime        `json:"created_at"`
	AccountID   flexString      `json:"account_id"`
	AccountName flexString      `json:"account_name"`
	Event       json.RawMessage `json:"event"`
	Timestamp   flexTime        `json:"timestamp"`
	// Type is set when this is not a wrapper but the event itself.
	Type flexString `json:"type"`
}

// eventBody is the event itself: event.… of the wrapper.
type eventBody struct {
	Type           flexString      `json:"type"`
	AccountID      flexString      `json:"account_id"`
	SenderName     flexString      `json:"sender_name"`
	SenderProfile  flexString      `json:"sender_profile"`
	Sender         json.RawMessage `json:"sender"`
	MessageText    flexString      `json:"message_text"`
	Text           flexString      `json:"text"`
	Timestamp      flexTime        `json:"timestamp"`
	Reason         flexString      `json:"reason"`
	NewConnections json.RawMessage `json:"new_connections"`
	Metadata       struct {
		DeliveredAt flexTime `json:"delivered_at"`
	} `json:"metadata"`
}

// decodeEvent reads an event leniently: a wrapper (the stream's data), an
// Events item around a wrapper, an item with the wrapper's fields beside
// its own, or a bare event. False when raw is not a JSON object or holds
// no event object.
func decodeEvent(raw []byte) (Event, bool) {
	var item eventWrapper
	if !lenient(raw, &item) {
		return Event{}, false
	}
	w := item
	var inner eventWrapper
	if lenient(item.Event, &inner) && inner.Type == "" && isObject(inner.Event) {
		w = inner // an Events item: {event_id, event:{wrapper}, created_at}
	}
	var body eventBody
	switch {
	case lenient(w.Event, &body):
	case item.Type != "" && lenient(raw, &body):
		w = eventWrapper{} // the event itself, unwrapped
	default:
		return Event{}, false
	}
	e := Event{
		EventID:       strings.TrimSpace(firstOf(string(item.EventID), string(w.EventID))),
		CreatedAt:     item.CreatedAt.Time,
		AccountID:     strings.TrimSpace(firstOf(string(w.AccountID), string(item.AccountID), string(body.AccountID))),
		AccountName:   strings.TrimSpace(firstOf(string(w.AccountName), string(item.AccountName))),
		Type:          strings.TrimSpace(string(body.Type)),
		SenderName:    strings.TrimSpace(string(body.SenderName)),
		SenderProfile: strings.TrimSpace(string(body.SenderProfile)),
		Text:          firstOf(string(body.MessageText), string(body.Text)),
		At:            body.Timestamp.Time,
		EmittedAt:     w.Timestamp.Time,
		Reason:        strings.TrimSpace(string(body.Reason)),
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = w.CreatedAt.Time
	}
	if e.At.IsZero() {
		e.At = body.Metadata.DeliveredAt.Time
	}
	// sender may be an object {name, profile_url} or a name.
	var sender struct {
		Name       flexString `json:"name"`
		ProfileURL flexString `json:"profile_url"`
	}
	if !lenient(body.Sender, &sender) {
		_ = sender.Name.UnmarshalJSON(body.Sender)
	}
	if e.SenderName == "" {
		e.SenderName = strings.TrimSpace(string(sender.Name))
	}
	if e.SenderProfile == "" {
		e.SenderProfile = strings.TrimSpace(string(sender.ProfileURL))
	}
	var people []json.RawMessage
	_ = json.Unmarshal(body.NewConnections, &people)
	for _, raw := range people {
		var p struct {
			Name       flexString `json:"name"`
			ProfileURL flexString `json:"profile_url"`
		}
		var bare string
		if !lenient(raw, &p) && json.Unmarshal(raw, &bare) == nil {
			p.ProfileURL = flexString(bare) // a bare URL
		}
		if person := (Person{Name: strings.TrimSpace(string(p.Name)), ProfileURL: strings.TrimSpace(string(p.ProfileURL))}); person != (Person{}) {
			e.NewConnections = append(e.NewConnections, person)
		}
	}
	return e, true
}

// isObject reports whether raw is a JSON object.
func isObject(raw json.RawMessage) bool {
	for _, b := range raw {
		switch b {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return b == '{'
	}
	return false
}
