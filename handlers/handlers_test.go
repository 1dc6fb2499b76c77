package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"linkedin-bot/linkup"
	"linkedin-bot/send"
	"linkedin-bot/store"
)

// sender is a Sender made of function fields.
type sender struct {
	submit func(ctx context.Context, req send.Request) (store.Send, error)
	retry  func(ctx context.Context, id int64, userID string) (store.Send, error)
}

func (s sender) Submit(ctx context.Context, req send.Request) (store.Send, error) {
	return s.submit(ctx, req)
}

func (s sender) Retry(ctx context.Context, id int64, userID, responseURL string) (store.Send, error) {
	return s.retry(ctx, id, userID)
}

// checkingSender fails the test when a request that reaches it is malformed.
func checkingSender(t *testing.T, maxLen int) sender {
	return sender{
		submit: func(_ context.Context, req send.Request) (store.Send, error) {
			m := req.Message
			if again, err := linkup.ProfileURL(m.ProfileURL); err != nil || again != m.ProfileURL {
				t.Fatalf("a bad recipient reached the pipeline: %q", m.ProfileURL)
			}
			if m.Text == "" || !utf8.ValidString(m.Text) || utf8.RuneCountInString(m.Text) > maxLen || strings.ContainsRune(m.Text, 0) {
				t.Fatalf("a bad message reached the pipeline: %q", m.Text)
			}
			if _, err := linkup.Country(m.Country); err != nil {
				t.Fatalf("a bad country reached the pipeline: %q", m.Country)
			}
			if req.IdemKey == "" || req.UserID == "" && req.ChannelID == "" {
				t.Fatalf("a request without key or destination: %+v", req)
			}
			if f := req.File; f != nil && (f.Size <= 0 || f.Size > 20<<20 || !strings.HasPrefix(f.MIME, "image/") && f.MIME != "video/mp4" && f.MIME != "application/pdf") {
				t.Fatalf("a bad file reached the pipeline: %+v", f)
			}
			return store.Send{ID: 1}, nil
		},
		retry: func(context.Context, int64, string) (store.Send, error) { return store.Send{}, nil },
	}
}

// ackSize fails the test when an ack payload could not be sent.
func ackSize(t *testing.T, r Response) {
	if r.Ack == nil {
		return
	}
	b, err := json.Marshal(r.Ack)
	if err != nil || len(b) >= 20*1024 {
		t.Fatalf("unsendable ack: %d bytes, %v", len(b), err)
	}
}

func seedPayloads(f *testing.F) {
	frames, _ := filepath.Glob(filepath.Join("..", "cmd", "linkedin-bot", "testdata", "frames", "*.json"))
	for _, name := range frames {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var frame struct {
			Payload json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(raw, &frame) == nil {
			f.Add([]byte(frame.Payload))
		}
	}
}

func newTestHandlers(t *testing.T, maxLen int) *Handlers {
	return New(Config{MaxMessageLen: maxLen, Country: "FR", MaxMediaBytes: 20 << 20}, nil, checkingSender(t, maxLen), noConversations{}, http.DefaultClient)
}

// noConversations knows no mirrored conversation.
type noConversations struct{}

func (noConversations) Lookup(context.Context, int64) (store.Conversation, error) {
	return store.Conversation{}, store.ErrNotFound
}

func (noConversations) ByThread(context.Context, string, string) (store.Conversation, error) {
	return store.Conversation{}, store.ErrNotFound
}

// FuzzInteraction routes arbitrary interaction payloads, decoded as
// slack-go decodes them, through the handlers: nothing panics, every ack
// can be sent, and nothing malformed reaches the pipeline.
func FuzzInteraction(f *testing.F) {
	seedPayloads(f)
	f.Add([]byte(`{"type":"view_submission","user":{"id":"U1"},"view":{"id":"V1","callback_id":"linkedin_send_modal","private_metadata":"{\"c\":\"C1\"}","state":{"values":{"recipient":{"recipient":{"type":"plain_text_input","value":"linkedin.com/in/jane"}},"message":{"message":{"type":"plain_text_input","value":"hi"}}}}}}`))
	f.Add([]byte(`{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"retry_send","value":"12"}]}`))
	f.Add([]byte(`{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"reply_linkedin","value":"x"}]}`))
	f.Add([]byte(`{"type":"view_submission","user":{"id":"U1"},"view":{"id":"V2","callback_id":"linkedin_send_modal","private_metadata":"{\"c\":\"C1\",\"t\":\"1.2\",\"p\":\"https://www.linkedin.com/in/jane\"}","state":{"values":{"message":{"message":{"type":"plain_text_input","value":"hi"}}}}}}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		var cb slack.InteractionCallback
		if _, err := Decode(payload, &cb); err != nil {
			return // not JSON: the bot acks it by hand
		}
		r := newTestHandlers(t, 500).Interaction(context.Background(), cb, payload)
		ackSize(t, r)
		if r.After != nil {
			r.After(context.Background(), zerolog.Nop())
		}
	})
}

// FuzzMessageShortcut runs the message shortcut on messages of random
// shape: any JSON in text, blocks, attachments and files. Nothing panics,
// the modal opens, and the prefill fits the form.
func FuzzMessageShortcut(f *testing.F) {
	f.Add(`"hi <@U1> :wave:"`, `[{"type":"rich_text","elements":[{"type":"rich_text_list","style":"bullet","elements":[{"type":"rich_text_section","elements":[{"type":"emoji","name":"wave","skin_tone":3}]}]}]}]`, `[{"pretext":"p","fields":[{"title":"t","value":"v"}],"files":[{"id":"F1","filetype":"pdf","size":3}]}]`, `[{"id":"F2","channels":{},"size":"big"}]`)
	f.Add(`null`, `{"type":"section"}`, `"x"`, `[null,1,"a"]`)
	f.Add(`7`, `[{"type":"section","text":{"type":"mrkdwn","text":"*b* _i_ ~s~ `+"`c`"+`"},"fields":[{"text":5}]},{"type":"context","elements":[{"type":"image"},{"type":"mrkdwn","text":"ctx"}]}]`, `[]`, `{}`)
	f.Fuzz(func(t *testing.T, text, blocks, attachments, files string) {
		payload := `{"type":"message_action","callback_id":"linkedin_send_message","trigger_id":"t","user":{"id":"U1"},"channel":{"id":"C1"},` +
			`"message":{"ts":"1.2","text":` + text + `,"blocks":` + blocks + `,"attachments":` + attachments + `,"files":` + files + `}}`
		var cb slack.InteractionCallback
		if _, err := Decode([]byte(payload), &cb); err != nil {
			return
		}
		sl := &recordingSlack{}
		h := New(Config{MaxMessageLen: 8000, Country: "FR", MaxMediaBytes: 20 << 20}, sl, checkingSender(t, 8000), noConversations{}, http.DefaultClient)
		r := h.Interaction(context.Background(), cb, json.RawMessage(payload))
		ackSize(t, r)
		if r.After == nil {
			t.Fatal("the message shortcut opens the modal after the ack")
		}
		r.After(context.Background(), zerolog.Nop())
		if sl.opened == 0 {
			t.Fatal("no modal was opened")
		}
	})
}

// recordingSlack accepts every call and counts the modals opened.
type recordingSlack struct{ opened int }

func (s *recordingSlack) OpenViewContext(_ context.Context, _ string, v slack.ModalViewRequest) (*slack.ViewResponse, error) {
	s.opened++
	if _, err := json.Marshal(v); err != nil {
		return nil, err
	}
	return &slack.ViewResponse{View: slack.View{ID: "V1", Hash: "h"}}, nil
}

func (s *recordingSlack) UpdateViewContext(context.Context, slack.ModalViewRequest, string, string, string) (*slack.ViewResponse, error) {
	return &slack.ViewResponse{}, nil
}

func (s *recordingSlack) PostMessageContext(context.Context, string, ...slack.MsgOption) (string, string, error) {
	return "C1", "1.1", nil
}

func (s *recordingSlack) GetUserInfoContext(_ context.Context, user string, _ ...slack.GetUserInfoOption) (*slack.User, error) {
	return &slack.User{ID: user, Name: "someone"}, nil
}

func (s *recordingSlack) GetConversationInfoContext(_ context.Context, in *slack.GetConversationInfoInput) (*slack.Channel, error) {
	ch := &slack.Channel{}
	ch.ID, ch.Name = in.ChannelID, "general"
	return ch, nil
}

func (s *recordingSlack) FileInfo(context.Context, string) ([]byte, error) {
	return []byte(`{"ok":true,"file":{"id":"F9","name":"x.pdf","filetype":"pdf","mimetype":"application/pdf","size":10,"channels":{},"url_private_download":"https://files.slack.com/x"}}`), nil
}

// FuzzCommand does the same for slash commands.
func FuzzCommand(f *testing.F) {
	seedPayloads(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		var cmd slack.SlashCommand
		if json.Unmarshal(payload, &cmd) != nil {
			return
		}
		ackSize(t, newTestHandlers(t, 500).Command(context.Background(), cmd, "E1"))
	})
}

// BenchmarkRouteCommand is the ack path of a slash command: the envelope's
// payload decoded as slack-go does, then routed, parsed and submitted.
func BenchmarkRouteCommand(b *testing.B) {
	payload := []byte(`{"token":"x","team_id":"T1","channel_id":"C1","user_id":"U1","command":"/linkedin-send","text":"https://www.linkedin.com/in/jane-doe Hi Jane, great to meet you!","response_url":"https://hooks.slack.com/commands/1/2/3","trigger_id":"1.2.3"}`)
	h := New(Config{MaxMessageLen: 8000, Country: "FR"}, nil, sender{
		submit: func(context.Context, send.Request) (store.Send, error) { return store.Send{ID: 1}, nil },
	}, noConversations{}, http.DefaultClient)
	b.ReportAllocs()
	for b.Loop() {
		var cmd slack.SlashCommand
		if err := json.Unmarshal(payload, &cmd); err != nil {
			b.Fatal(err)
		}
		if r := h.Command(context.Background(), cmd, "E1"); r.Ack != nil {
			b.Fatal(r.Ack)
		}
	}
}
