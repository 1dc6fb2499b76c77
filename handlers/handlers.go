// Package handlers is linkedin-bot's Slack surface: the /linkedin-send
// command, the shortcuts, the modal and its submission. Each handler
// returns at once with what to ack; slow work (opening a modal) runs after
// the ack, and sends go to the send pipeline.
package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"linkedin-bot/linkup"
	"linkedin-bot/send"
)

// Slack is the part of the Web API the handlers call; *slack.Client is the production one.
type Slack interface {
	OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error)
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
}

// Sender takes accepted requests; *send.Pipeline is the production one.
type Sender interface {
	Submit(req send.Request) error
}

// Config is what the handlers need to know of the configuration.
type Config struct {
	// MaxMessageLen is the longest message accepted, in characters.
	MaxMessageLen int
	// Country is the default proxy country.
	Country string
}

// Handlers answers Slack requests.
type Handlers struct {
	cfg    Config
	slack  Slack
	sender Sender
	http   *http.Client
}

// New returns Handlers that open modals through sl and hand sends to sender.
// httpClient posts to response_urls.
func New(cfg Config, sl Slack, sender Sender, httpClient *http.Client) *Handlers {
	return &Handlers{cfg: cfg, slack: sl, sender: sender, http: httpClient}
}

// Response is a handler's answer to one envelope.
type Response struct {
	// Ack is the ack's payload; nil acks with none.
	Ack any
	// After, when set, runs once the ack is sent, off the Socket Mode reader.
	After func(ctx context.Context, log zerolog.Logger)
}

// Command handles /linkedin-send.
func (h *Handlers) Command(cmd slack.SlashCommand, envelopeID string) Response {
	c, err := ParseCommand(cmd.Text, h.cfg.MaxMessageLen)
	switch {
	case err != nil:
		return ephemeral(":warning: " + err.Error() + "\n" + usageLine(cmdName(cmd.Command)))
	case c.Help:
		return ephemeral(usage(cmd.Command))
	case c.Text == "":
		meta := modalMeta{Channel: cmd.ChannelID, ResponseURL: cmd.ResponseURL}
		return h.openModal(cmd.TriggerID, prefill{Recipient: c.Profile}, meta, cmd.ResponseURL, cmd.UserID)
	}
	err = h.sender.Submit(send.Request{
		ID:          envelopeID,
		UserID:      cmd.UserID,
		ChannelID:   cmd.ChannelID,
		ResponseURL: cmd.ResponseURL,
		Message:     linkup.Message{ProfileURL: c.Profile, Text: c.Text, Country: h.cfg.Country},
	})
	if err != nil {
		return ephemeral(":warning: " + refusal(err))
	}
	return Response{}
}

// Interaction handles shortcuts and modal submissions. Anything else is acked and ignored.
func (h *Handlers) Interaction(cb slack.InteractionCallback) Response {
	switch {
	case cb.Type == slack.InteractionTypeShortcut && cb.CallbackID == GlobalShortcutID:
		return h.openModal(cb.TriggerID, prefill{}, modalMeta{}, "", cb.User.ID)
	case cb.Type == slack.InteractionTypeMessageAction && cb.CallbackID == MessageShortcutID:
		meta := modalMeta{Channel: cb.Channel.ID, ResponseURL: cb.ResponseURL}
		return h.openModal(cb.TriggerID, prefill{Message: unescape(cb.Message.Text)}, meta, cb.ResponseURL, cb.User.ID)
	case cb.Type == slack.InteractionTypeViewSubmission && cb.View.CallbackID == ModalCallbackID:
		return h.submit(cb)
	default:
		return Response{}
	}
}

// openModal opens the send modal after the ack. Where Slack refuses, the
// user is told through responseURL or, without one, in a DM.
func (h *Handlers) openModal(triggerID string, p prefill, meta modalMeta, responseURL, userID string) Response {
	view := h.modal(p, meta)
	return Response{After: func(ctx context.Context, log zerolog.Logger) {
		if _, err := h.slack.OpenViewContext(ctx, triggerID, view); err != nil {
			log.Error().Err(err).Msg("opening the modal failed")
			h.reply(ctx, log, responseURL, userID, modalFailure(err))
		}
	}}
}

func (h *Handlers) submit(cb slack.InteractionCallback) Response {
	m, meta, errs := h.submission(cb.View)
	if len(errs) > 0 {
		return Response{Ack: slack.NewErrorsViewSubmissionResponse(errs)}
	}
	channel := meta.Channel
	if channel == "" {
		channel = cb.User.ID // a global shortcut: answer in a DM
	}
	err := h.sender.Submit(send.Request{
		ID:          cb.View.ID,
		UserID:      cb.User.ID,
		ChannelID:   channel,
		ResponseURL: meta.ResponseURL,
		Message:     m,
	})
	if err != nil {
		return Response{Ack: slack.NewErrorsViewSubmissionResponse(map[string]string{BlockMessage: refusal(err)})}
	}
	return Response{}
}

// reply tells a user something outside a send: through responseURL when
// there is one, else in a DM.
func (h *Handlers) reply(ctx context.Context, log zerolog.Logger, responseURL, userID, text string) {
	var err error
	switch {
	case responseURL != "":
		err = slack.PostWebhookCustomHTTPContext(ctx, responseURL, h.http, &slack.WebhookMessage{Text: text, ResponseType: slack.ResponseTypeEphemeral})
	case userID != "":
		_, _, err = h.slack.PostMessageContext(ctx, userID, slack.MsgOptionText(text, false))
	default:
		err = errors.New("no way to reach the user")
	}
	if err != nil {
		log.Error().Err(err).Msg("telling the user failed")
	}
}

func modalFailure(err error) string {
	if strings.Contains(err.Error(), "expired_trigger_id") {
		return ":warning: Slack took too long to open the form. Please try again."
	}
	return ":warning: The form could not be opened. Please try again; if it keeps failing, tell the bot's admin."
}

// refusal is the user's sentence for a request the pipeline did not take.
func refusal(err error) string {
	switch {
	case errors.Is(err, send.ErrBusy):
		return "Too many messages are waiting to be sent. Nothing was sent; please try again in a minute."
	case errors.Is(err, send.ErrClosed):
		return "The bot is restarting. Nothing was sent; please try again in a minute."
	default:
		return "The message could not be queued. Nothing was sent; please try again."
	}
}

func ephemeral(text string) Response {
	return Response{Ack: map[string]any{"response_type": slack.ResponseTypeEphemeral, "text": text}}
}

func usageLine(command string) string {
	return fmt.Sprintf("Usage: `%s <linkedin profile url> <message>`, or `%s` alone for a form.", command, command)
}

func cmdName(command string) string {
	if command == "" {
		return "/linkedin-send"
	}
	return command
}

func usage(command string) string {
	command = cmdName(command)
	return usageLine(command) + "\n" +
		"• Example: `" + command + " " + linkup.ExampleProfileURL + " Hi Jane, great to meet you!`\n" +
		"• The message goes from the team's LinkedIn account; the outcome is posted in a thread here.\n" +
		"• A text message costs 1 Linkup credit, one with an attachment 2. Use the form to add an attachment link."
}
