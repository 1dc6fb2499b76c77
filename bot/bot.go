// Package bot is linkedin-bot's Socket Mode runtime: it connects to Slack,
// acks every envelope at once, routes it to the handlers, runs their slow
// work after the ack, and shuts down cleanly.
package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"linkedin-bot/handlers"
	"linkedin-bot/send"
)

// ackTimeout bounds queueing one ack; Slack gives up after 3 s anyway.
const ackTimeout = 3 * time.Second

// maxCommands bounds the slash commands handled at once: a burst is not
// served one command at a time (each ack waits for its accept), yet a flood
// cannot start goroutines without end. Past it, the loop waits for a slot.
const maxCommands = 32

// afterTimeout bounds a handler's work after the ack (opening a modal).
const afterTimeout = 10 * time.Second

// Bot reads Socket Mode events and answers them.
type Bot struct {
	sm    *socketmode.Client
	h     *handlers.Handlers
	http  *http.Client
	log   zerolog.Logger
	after sync.WaitGroup

	commands sync.WaitGroup // slash commands being handled
	slots    chan struct{}  // one per command being handled (maxCommands)
	// handleEvent is handle; tests replace it.
	handleEvent func(ctx context.Context, evt socketmode.Event, readAt time.Time)

	stop context.CancelCauseFunc // ends Run with a refused app token

	obs       Observer
	connected atomic.Bool // a Socket Mode connection is held
	opened    int         // connections opened (Run's loop only)
}

// Observer is told what the metrics show of the runtime; every method
// must return at once.
type Observer interface {
	// Acked: an ack was written d after its envelope was read.
	Acked(d time.Duration)
	// Connected: a Socket Mode connection is held (up) or lost; reconnect
	// says it is not the first one.
	Connected(up, reconnect bool)
}

// Observe tells obs what happens; call it before Run.
func (b *Bot) Observe(obs Observer) { b.obs = obs }

// Connected reports whether the bot holds a Socket Mode connection now:
// false until the first is open, from a dropped one until the next, and
// once Run returned.
func (b *Bot) Connected() bool { return b.connected.Load() }

// setConnected records whether a connection is held.
func (b *Bot) setConnected(up bool) {
	was := b.connected.Swap(up)
	if up {
		b.opened++
	}
	if b.obs != nil && (was != up) {
		b.obs.Connected(up, up && b.opened > 1)
	}
}

// New returns a Bot that reads sm's events and answers them with h.
// httpClient posts to response_urls.
func New(sm *socketmode.Client, h *handlers.Handlers, httpClient *http.Client, log zerolog.Logger) *Bot {
	b := &Bot{sm: sm, h: h, http: httpClient, log: log, slots: make(chan struct{}, maxCommands)}
	b.handleEvent = b.handle
	return b
}

// Run connects and serves until ctx ends or Slack refuses the app for good
// (a revoked or invalid token). It reconnects by itself after Slack's
// disconnect frames and dropped sockets. On return, no handler work is
// left running; sends already handed to the pipeline are the caller's to drain.
func (b *Bot) Run(ctx context.Context) error {
	parent := ctx
	ctx, b.stop = context.WithCancelCause(ctx)
	defer b.stop(nil)
	errc := make(chan error, 1)
	go func() { errc <- b.sm.RunContext(ctx) }()
	defer b.setConnected(false)
	for {
		select {
		case evt := <-b.sm.Events:
			b.dispatch(ctx, evt, time.Now())
		case err := <-errc:
			b.setConnected(false)
			b.commands.Wait()
			b.after.Wait()
			if cause := context.Cause(ctx); ctx.Err() != nil && parent.Err() == nil && cause != nil && !errors.Is(cause, context.Canceled) {
				return cause
			}
			if parent.Err() != nil {
				return nil
			}
			if refused(err) {
				return appTokenRefused(err)
			}
			return fmt.Errorf("slack socket mode: %w", err)
		}
	}
}

// dispatch handles evt, read at readAt: a slash command in a goroutine of
// its own (at most maxCommands at once), so that a burst's acks do not
// wait for each other's accepts; anything else in Run's loop, in order.
func (b *Bot) dispatch(ctx context.Context, evt socketmode.Event, readAt time.Time) {
	if evt.Type != socketmode.EventTypeSlashCommand {
		b.handleEvent(ctx, evt, readAt)
		return
	}
	select {
	case b.slots <- struct{}{}:
	case <-ctx.Done():
		b.handleEvent(ctx, evt, readAt) // shutting down: acked in the loop
		return
	}
	b.commands.Go(func() {
		defer func() { <-b.slots }()
		b.handleEvent(ctx, evt, readAt)
	})
}

// transient are Slack's answers to apps.connections.open worth retrying.
var transient = map[string]bool{"ratelimited": true, "internal_error": true, "fatal_error": true, "service_unavailable": true, "request_timeout": true}

// refused reports whether Slack answered apps.connections.open with a
// refusal of the app token, which no retry will change.
func refused(err error) bool {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return !transient[se.Err]
	}
	switch err.Error() {
	case "invalid_auth", "account_inactive", "not_authed", "token_revoked", "not_allowed_token_type", "missing_scope":
		return true
	}
	return false
}

// appTokenRefused says which setting Slack refused and how to fix it.
func appTokenRefused(err error) error {
	return fmt.Errorf("configuration: SLACK_APP_TOKEN: Slack refused it (%v): paste %s, and check that Socket Mode is enabled", err, tokenHelp["SLACK_APP_TOKEN"])
}

func (b *Bot) handle(ctx context.Context, evt socketmode.Event, readAt time.Time) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		b.setConnected(false) // (again): the last connection ended
		b.log.Debug().Msg("connecting to Slack")
	case socketmode.EventTypeConnected:
		b.setConnected(true)
		b.log.Info().Msg("connected to Slack")
	case socketmode.EventTypeHello:
		b.log.Debug().Msg("Slack said hello")
	case socketmode.EventTypeConnectionError:
		e, ok := evt.Data.(*slack.ConnectionErrorEvent)
		if !ok {
			return
		}
		if ctx.Err() != nil {
			// The shutdown itself cut the reconnection short.
			b.log.Debug().Err(e.ErrorObj).Msg("reconnecting to Slack stopped: shutting down")
			return
		}
		if refused(e.ErrorObj) {
			// not_allowed_token_type, missing_scope…: slack-go would retry for ever.
			b.log.Error().Err(e.ErrorObj).Msg("Slack refused SLACK_APP_TOKEN; stopping")
			b.stop(appTokenRefused(e.ErrorObj))
			return
		}
		var ue *url.Error
		if errors.As(e.ErrorObj, &ue) {
			b.log.Warn().Err(e.ErrorObj).Int("attempt", e.Attempt).Stringer("backoff", e.Backoff).
				Msg("cannot reach Slack's API; retrying. Check the network, and SLACK_API_URL if it is set (leave it empty for Slack itself)")
			return
		}
		b.log.Warn().Err(e.ErrorObj).Int("attempt", e.Attempt).Stringer("backoff", e.Backoff).Msg("connecting to Slack failed; retrying")
	case socketmode.EventTypeInvalidAuth:
		b.log.Error().Msg("Slack answered HTTP 404 to apps.connections.open: SLACK_API_URL may be wrong (leave it empty for Slack itself), or SLACK_APP_TOKEN refused")
	case socketmode.EventTypeIncomingError:
		if e, ok := evt.Data.(*slack.IncomingEventError); ok {
			if errors.Is(e.ErrorObj, net.ErrClosed) {
				// The socket closed under the reader: the shutdown closed it,
				// or Slack asked for a new connection (a disconnect frame:
				// warning, refresh_requested), or the network dropped it. The
				// client reconnects.
				b.setConnected(false)
				if ctx.Err() != nil {
					b.log.Debug().Msg("the Slack connection closed: shutting down")
					return
				}
				b.log.Info().Msg("the Slack connection closed; reconnecting")
				return
			}
			b.log.Warn().Err(e.ErrorObj).Msg("unreadable frame from Slack")
		}
	case socketmode.EventTypeErrorWriteFailed:
		if e, ok := evt.Data.(*socketmode.ErrorWriteFailed); ok {
			b.log.Error().Err(e.Cause).Str("envelope_id", e.Response.EnvelopeID).Msg("writing an ack failed")
		}
	case socketmode.EventTypeErrorBadMessage:
		b.badMessage(ctx, evt, readAt)
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok {
			b.ack(b.envelopeLog(evt, "", ""), evt.Request, nil, readAt)
			return
		}
		b.command(ctx, evt, cmd, readAt)
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			b.ack(b.envelopeLog(evt, "", ""), evt.Request, nil, readAt)
			return
		}
		b.interaction(ctx, evt, cb, readAt)
	case socketmode.EventTypeEventsAPI:
		// Acked at once (Slack redelivers what is not); app_home_opened
		// publishes the Home tab after the ack, and the rest is ignored.
		if evt.Request == nil || evt.Request.EnvelopeID == "" {
			return
		}
		log := b.envelopeLog(evt, "", "")
		b.serve(log, evt.Request, readAt, handlers.Response{}, func() handlers.Response { return b.h.Event(ctx, evt.Request.Payload) })
	default:
		// Anything newer: ack so Slack does not redeliver, then ignore.
		if evt.Request != nil && evt.Request.EnvelopeID != "" {
			log := b.envelopeLog(evt, "", "")
			log.Debug().Msg("ignoring envelope")
			b.ack(log, evt.Request, nil, readAt)
		}
	}
}

// commandFallback acks a command whose handler failed.
var commandFallback = handlers.Response{Ack: map[string]any{"response_type": "ephemeral", "text": ":warning: Something went wrong reading this command; nothing was sent. Please try again."}}

func (b *Bot) command(ctx context.Context, evt socketmode.Event, cmd slack.SlashCommand, readAt time.Time) {
	log := b.envelopeLog(evt, cmd.UserID, cmd.ChannelID)
	b.serve(log, evt.Request, readAt, commandFallback, func() handlers.Response { return b.h.Command(ctx, cmd, evt.Request.EnvelopeID) })
}

func (b *Bot) interaction(ctx context.Context, evt socketmode.Event, cb slack.InteractionCallback, readAt time.Time) {
	log := b.envelopeLog(evt, cb.User.ID, cb.Channel.ID).With().Str("interaction", string(cb.Type)).Str("callback_id", cb.CallbackID+cb.View.CallbackID).Logger()
	b.serve(log, evt.Request, readAt, handlers.Response{}, func() handlers.Response { return b.h.Interaction(ctx, cb, evt.Request.Payload) })
}

// serve runs a handler, acks with its answer and starts its after-work. A
// handler that panics is acked with fallback and logged.
func (b *Bot) serve(log zerolog.Logger, req *socketmode.Request, readAt time.Time, fallback handlers.Response, handler func() handlers.Response) {
	resp := func() (r handlers.Response) {
		defer func() {
			if p := recover(); p != nil {
				log.Error().Interface("panic", p).Msg("handler panicked")
				r = fallback
			}
		}()
		return handler()
	}()
	b.ack(log, req, resp.Ack, readAt)
	if resp.Refused {
		log.Warn().Msg("refused: user not on the allow-list")
	}
	if resp.After == nil {
		return
	}
	b.after.Go(func() {
		defer func() {
			if p := recover(); p != nil {
				log.Error().Interface("panic", p).Msg("handler's after-work panicked")
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), afterTimeout)
		defer cancel()
		resp.After(ctx, log)
	})
}

// ack acknowledges req, read at readAt, with payload (none when nil). It
// never blocks for longer than Slack would wait.
func (b *Bot) ack(log zerolog.Logger, req *socketmode.Request, payload any, readAt time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), ackTimeout)
	defer cancel()
	if err := b.sm.AckCtx(ctx, req.EnvelopeID, payload); err != nil {
		log.Error().Err(err).Msg("ack failed")
		if payload != nil {
			// Too large or unencodable: an empty ack at least stops Slack's error.
			_ = b.sm.AckCtx(ctx, req.EnvelopeID, nil)
		}
		return
	}
	if b.obs != nil {
		b.obs.Acked(time.Since(readAt))
	}
	log.Debug().Msg("acked")
}

// badMessage acks a frame slack-go could not decode, from its raw
// envelope_id, and tells the user through the payload's response_url when
// it has one. slack-go neither acks nor reports such a frame otherwise.
func (b *Bot) badMessage(ctx context.Context, evt socketmode.Event, readAt time.Time) {
	bad, ok := evt.Data.(*socketmode.ErrorBadMessage)
	if !ok {
		return
	}
	var frame struct {
		EnvelopeID string          `json:"envelope_id"`
		Type       string          `json:"type"`
		Payload    json.RawMessage `json:"payload"`
	}
	_ = json.Unmarshal(bad.Message, &frame)
	var payload struct {
		ResponseURL string `json:"response_url"`
	}
	_ = json.Unmarshal(frame.Payload, &payload)

	log := b.log.With().Str("envelope_id", frame.EnvelopeID).Str("type", frame.Type).Logger()
	if frame.EnvelopeID != "" && b.lenient(ctx, log, frame.EnvelopeID, frame.Type, frame.Payload, readAt) {
		return
	}
	log.Warn().Err(bad.Cause).Int("bytes", len(bad.Message)).Msg("Slack sent a frame that could not be decoded")
	if frame.EnvelopeID == "" {
		return
	}
	b.ack(log, &socketmode.Request{EnvelopeID: frame.EnvelopeID}, nil, readAt)
	if payload.ResponseURL == "" {
		return
	}
	b.after.Go(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), afterTimeout)
		defer cancel()
		err := send.PostWebhook(ctx, b.http, payload.ResponseURL, &slack.WebhookMessage{
			ResponseType: slack.ResponseTypeEphemeral,
			Text:         ":warning: linkedin-bot could not read this request, so nothing was sent. Please try again.",
		})
		if err != nil {
			log.Error().Err(err).Msg("telling the user about an undecodable request failed")
		}
	})
}

// lenient decodes a command or interaction slack-go refused, leaving out
// the odd fields, and serves it; it reports whether it could.
func (b *Bot) lenient(ctx context.Context, log zerolog.Logger, envelopeID, typ string, payload json.RawMessage, readAt time.Time) bool {
	evt := socketmode.Event{Request: &socketmode.Request{EnvelopeID: envelopeID, Type: typ, Payload: payload}}
	switch typ {
	case socketmode.RequestTypeSlashCommands:
		cmd, dropped, err := handlers.DecodeCommand(payload)
		if err != nil {
			return false
		}
		log.Info().Strs("dropped", dropped).Msg("a command slack-go could not decode was read without its odd fields")
		evt.Type = socketmode.EventTypeSlashCommand
		b.command(ctx, evt, cmd, readAt)
	case socketmode.RequestTypeInteractive:
		cb, dropped, err := handlers.DecodeInteraction(payload)
		if err != nil {
			return false
		}
		log.Info().Strs("dropped", dropped).Msg("an interaction slack-go could not decode was read without its odd fields")
		evt.Type = socketmode.EventTypeInteractive
		b.interaction(ctx, evt, cb, readAt)
	case socketmode.RequestTypeEventsAPI:
		evt.Type = socketmode.EventTypeEventsAPI
		b.serve(b.envelopeLog(evt, "", ""), evt.Request, readAt, handlers.Response{}, func() handlers.Response { return b.h.Event(ctx, payload) })
	default:
		return false
	}
	return true
}

func (b *Bot) envelopeLog(evt socketmode.Event, user, channel string) zerolog.Logger {
	c := b.log.With().Str("type", string(evt.Type))
	if evt.Request != nil {
		c = c.Str("envelope_id", evt.Request.EnvelopeID)
	}
	if user != "" {
		c = c.Str("user", user)
	}
	if channel != "" {
		c = c.Str("channel", channel)
	}
	return c.Logger()
}
