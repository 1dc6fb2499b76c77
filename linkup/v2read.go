package linkup

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// The reads on v2: POST /v2/messages with the actions list_inbox and
// get_conversation, billed as on v1 (1 credit per 10 results).

// inboxV2 is Inbox on v2.
func (c *Client) inboxV2(ctx context.Context, q InboxQuery) (InboxPage, error) {
	params := map[string]any{"count": pageSize(q.Count)}
	if q.Cursor != "" {
		params["cursor"] = q.Cursor
	}
	var d struct {
		Conversations json.RawMessage `json:"conversations"`
		NextCursor    flexString      `json:"next_cursor"`
	}
	list, a, err := c.readV2(ctx, q.AccountID, "list_inbox", params, &d, &d.Conversations)
	if err != nil {
		return InboxPage{}, err
	}
	page := InboxPage{NextCursor: strings.TrimSpace(string(d.NextCursor))}
	for _, raw := range list {
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
					Name       flexString `json:"name"`
					ProfileURL flexString `json:"profile_url"`
					IsMe       *flexBool  `json:"is_me"`
				} `json:"sender"`
			} `json:"last_message"`
			Unread flexBool `json:"unread"`
		}
		if !lenient(raw, &e) || strings.TrimSpace(string(e.ID)) == "" {
			page.Skipped++
			continue
		}
		page.Conversations = append(page.Conversations, InboxEntry{
			ConversationID: ShortConversationID(string(e.ID)),
			Participant:    Person{Name: strings.TrimSpace(string(e.Participant.Name)), ProfileURL: strings.TrimSpace(string(e.Participant.ProfileURL))},
			Last: ChatMessage{
				Text:          string(e.Last.Text),
				Sender:        strings.TrimSpace(string(e.Last.Sender.Name)),
				At:            e.Last.Time.Time,
				Author:        authorOf(e.Last.Sender.IsMe),
				SenderProfile: strings.TrimSpace(string(e.Last.Sender.ProfileURL)),
			},
			Unread: bool(e.Unread),
		})
	}
	page.Credits = a.pageCredits(len(list))
	return page, nil
}

// conversationV2 is Conversation on v2. Its answer has no conversation_id
// (one is read when it comes); the page's is then the query's.
func (c *Client) conversationV2(ctx context.Context, q ConversationQuery) (ConversationPage, error) {
	params := map[string]any{"count": pageSize(q.Count)}
	if q.ConversationID != "" {
		params["conversation_id"] = q.ConversationID
	} else {
		params["profile_url"] = q.ProfileURL
	}
	if q.Cursor != "" {
		params["cursor"] = q.Cursor
	}
	var d struct {
		ID         flexString      `json:"conversation_id"`
		ProfileURL flexString      `json:"profile_url"`
		Messages   json.RawMessage `json:"messages"`
		NextCursor flexString      `json:"next_cursor"`
		HasNext    *flexBool       `json:"has_next_page"`
	}
	list, a, err := c.readV2(ctx, q.AccountID, "get_conversation", params, &d, &d.Messages)
	if err != nil {
		return ConversationPage{}, err
	}
	page := ConversationPage{
		ConversationID: ShortConversationID(firstOf(string(d.ID), q.ConversationID)),
		ProfileURL:     strings.TrimSpace(string(d.ProfileURL)),
	}
	if d.HasNext == nil || bool(*d.HasNext) {
		page.NextCursor = strings.TrimSpace(string(d.NextCursor))
	}
	for _, raw := range list {
		var m struct {
			Text       flexString      `json:"text"`
			Timestamp  flexTime        `json:"timestamp"`
			Time       flexTime        `json:"time"`
			Sender     json.RawMessage `json:"sender"`
			IsMe       *flexBool       `json:"is_me"`
			SenderInfo struct {
				First      flexString `json:"first_name"`
				Last       flexString `json:"last_name"`
				Name       flexString `json:"name"`
				ProfileURL flexString `json:"profile_url"`
				IsMe       *flexBool  `json:"is_me"`
			} `json:"sender_info"`
			Type      flexString `json:"message_type"`
			EntityURN flexString `json:"entity_urn"`
		}
		if !lenient(raw, &m) {
			page.Skipped++
			continue
		}
		// sender is a name in the docs; an object {name, profile_url,
		// is_me} is read too.
		var sender struct {
			Name       flexString `json:"name"`
			ProfileURL flexString `json:"profile_url"`
			IsMe       *flexBool  `json:"is_me"`
		}
		if !lenient(m.Sender, &sender) {
			_ = sender.Name.UnmarshalJSON(m.Sender)
		}
		at := m.Timestamp.Time
		if at.IsZero() {
			at = m.Time.Time
		}
		name := strings.TrimSpace(string(sender.Name))
		if name == "" {
			name = strings.TrimSpace(string(m.SenderInfo.First) + " " + string(m.SenderInfo.Last))
		}
		if name == "" {
			name = strings.TrimSpace(string(m.SenderInfo.Name))
		}
		isMe := m.IsMe
		if isMe == nil {
			isMe = m.SenderInfo.IsMe
		}
		if isMe == nil {
			isMe = sender.IsMe
		}
		page.Messages = append(page.Messages, ChatMessage{
			EntityURN:     strings.TrimSpace(string(m.EntityURN)),
			Text:          string(m.Text),
			Sender:        name,
			Type:          strings.ToUpper(strings.TrimSpace(string(m.Type))),
			At:            at,
			Author:        authorOf(isMe),
			SenderProfile: strings.TrimSpace(firstOf(string(m.SenderInfo.ProfileURL), string(sender.ProfileURL))),
		})
	}
	page.Credits = a.pageCredits(len(list))
	return page, nil
}

// readV2 makes one read action for accountID, decodes its data into out
// leniently and returns the items of the list *list then holds: none when
// it is absent or null, KindUnknown when it is anything but a list (an
// answer not understood).
func (c *Client) readV2(ctx context.Context, accountID, action string, params map[string]any, out any, list *json.RawMessage) ([]json.RawMessage, answerV2, error) {
	if strings.TrimSpace(accountID) == "" {
		return nil, answerV2{}, &Error{Kind: KindInvalid, Message: "no Linkup account to read: v2 reads an account_id"}
	}
	a, err := c.callV2(ctx, http.MethodPost, v2Messages, actionV2{AccountID: accountID, Action: action, Params: params})
	if err != nil {
		return nil, answerV2{}, err
	}
	lenient(a.Data, out)
	var items []json.RawMessage
	if raw := *list; len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, answerV2{}, &Error{Kind: KindUnknown, Status: a.status, Message: "Linkup's answer could not be read", Err: err}
		}
	}
	return items, a, nil
}

// pageCredits is a read's price: metadata's when given, else readCredits
// of the n items listed.
func (a answerV2) pageCredits(n int) int {
	if c, ok := a.credits(); ok {
		return c
	}
	return readCredits(n)
}
