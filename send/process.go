package send

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"linkedin-bot/store"
)

// anchor is the thread a send's replies go in: the thread it was asked in,
// else its own root message; empty when it has neither.
func anchor(sd store.Send) string {
	if sd.ThreadTS != "" {
		return sd.ThreadTS
	}
	return sd.RootTS
}

// announce tells the channel a send is starting: a root message, or for a
// retry a note in the original thread, or where the bot cannot post, the
// response_url. It records where the root is.
func (p *Pipeline) announce(sd store.Send, log zerolog.Logger) store.Send {
	ctx, cancel := p.slackCtx()
	defer cancel()

	if sd.RetryOf != 0 && anchor(sd) != "" {
		err := p.slackCall(ctx, log, func(ctx context.Context) error {
			_, _, err := p.slack.PostMessageContext(ctx, sd.RootChannel, slack.MsgOptionText(retryText(sd), false), slack.MsgOptionTS(anchor(sd)), slack.MsgOptionDisableLinkUnfurl())
			return err
		})
		if err != nil {
			log.Warn().Err(err).Msg("posting the retry note failed")
		}
	} else {
		opts := []slack.MsgOption{slack.MsgOptionText(rootText(sd), false), slack.MsgOptionDisableLinkUnfurl()}
		if sd.ThreadTS != "" {
			opts = append(opts, slack.MsgOptionTS(sd.ThreadTS))
		}
		var ch, ts string
		err := p.slackCall(ctx, log, func(ctx context.Context) (err error) {
			ch, ts, err = p.slack.PostMessageContext(ctx, sd.Channel, opts...)
			return err
		})
		switch {
		case err == nil:
			sd.RootChannel, sd.RootTS = ch, ts
		case cannotPost(err) && sd.ResponseURL != "":
			log.Info().Err(err).Msg("cannot post in the channel; answering through response_url")
			if err := p.webhook(ctx, sd.ResponseURL, rootText(sd)); err != nil {
				log.Error().Err(err).Msg("posting to response_url failed")
			}
		default:
			log.Error().Err(err).Msg("posting the root message failed")
		}
	}
	if err := p.store.SetAnnounced(ctx, sd.ID, sd.RootChannel, sd.RootTS); err != nil {
		log.Error().Err(err).Msg("recording the root message failed")
	}
	sd.Announced = true
	return sd
}

// deliver sends the outcome messages of a finished send that have not gone
// out yet, and records each one: a restart delivers what is left, and
// nothing twice.
func (p *Pipeline) deliver(sd store.Send, log zerolog.Logger) {
	ctx, cancel := p.slackCtx()
	defer cancel()
	mark := func(ds ...store.Delivery) {
		if err := p.store.MarkDelivered(ctx, sd.ID, ds...); err != nil {
			log.Error().Err(err).Msg("recording a delivery failed")
		}
	}

	// The requester's answer is recorded on its own: it is the one that must
	// never be posted twice. The root update is idempotent, so it is
	// recorded with the notification.
	if !sd.OutcomePosted {
		if err := p.postOutcome(ctx, sd, log); err != nil {
			log.Error().Err(err).Str("state", string(sd.State)).Msg("the outcome could not be delivered to the requester; retried at the next start")
		} else {
			mark(store.OutcomePosted)
		}
	}
	var done []store.Delivery
	if !sd.RootUpdated {
		if err := p.updateRoot(ctx, sd, log); err != nil {
			log.Warn().Err(err).Msg("updating the root message failed")
		} else {
			done = append(done, store.RootUpdated)
		}
	}
	if !sd.Notified {
		if err := p.notify(ctx, sd, log); err != nil {
			log.Error().Err(err).Msg("posting the team notification failed")
		} else {
			done = append(done, store.Notified)
		}
	}
	mark(done...)
}

// postOutcome tells the requester how the send ended: in its thread, else
// through the response_url, else in the channel.
func (p *Pipeline) postOutcome(ctx context.Context, sd store.Send, log zerolog.Logger) error {
	text := outcomeText(sd)
	blocks := outcomeBlocks(sd)
	if a := anchor(sd); a != "" && sd.RootChannel != "" {
		return p.slackCall(ctx, log, func(ctx context.Context) error {
			_, _, err := p.slack.PostMessageContext(ctx, sd.RootChannel, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...), slack.MsgOptionTS(a), slack.MsgOptionDisableLinkUnfurl())
			return err
		})
	}
	// No thread: one message that says both what was sent and how it ended.
	full := rootText(sd) + "\n" + text
	fullBlocks := append([]slack.Block{section(rootText(sd))}, blocks...)
	if sd.ResponseURL != "" {
		return p.webhook(ctx, sd.ResponseURL, full, fullBlocks...)
	}
	return p.slackCall(ctx, log, func(ctx context.Context) error {
		_, _, err := p.slack.PostMessageContext(ctx, sd.Channel, slack.MsgOptionText(full, false), slack.MsgOptionBlocks(fullBlocks...), slack.MsgOptionDisableLinkUnfurl())
		return err
	})
}

// updateRoot shows the outcome on the root message, when there is one.
func (p *Pipeline) updateRoot(ctx context.Context, sd store.Send, log zerolog.Logger) error {
	if sd.RootTS == "" {
		return nil
	}
	return p.slackCall(ctx, log, func(ctx context.Context) error {
		_, _, _, err := p.slack.UpdateMessageContext(ctx, sd.RootChannel, sd.RootTS, slack.MsgOptionText(rootText(sd), false), slack.MsgOptionDisableLinkUnfurl())
		return err
	})
}

// notify posts one line to the team notification channel, when set.
func (p *Pipeline) notify(ctx context.Context, sd store.Send, log zerolog.Logger) error {
	if p.cfg.NotifyChannel == "" {
		return nil
	}
	link := ""
	if sd.RootTS != "" {
		l, err := p.permalink(ctx, sd.RootChannel, sd.RootTS)
		if err != nil {
			log.Warn().Err(err).Msg("getting the thread's permalink failed")
		}
		link = l
	}
	return p.slackCall(ctx, log, func(ctx context.Context) error {
		_, _, err := p.slack.PostMessageContext(ctx, p.cfg.NotifyChannel, slack.MsgOptionText(notifyText(sd, link), false), slack.MsgOptionDisableLinkUnfurl())
		return err
	})
}

// permalink links to a message. Slack's permalinks are the workspace's
// address, /archives/<channel>/p<ts without its dot>: the first one comes
// from chat.getPermalink, and its workspace address serves for the others.
func (p *Pipeline) permalink(ctx context.Context, channel, ts string) (string, error) {
	p.mu.Lock()
	base := p.workspaceURL
	p.mu.Unlock()
	if base != "" {
		return base + "archives/" + channel + "/p" + strings.ReplaceAll(ts, ".", ""), nil
	}
	link, err := p.slack.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: channel, Ts: ts})
	if err != nil {
		return "", err
	}
	if i := strings.Index(link, "/archives/"); i > 0 {
		p.mu.Lock()
		p.workspaceURL = link[:i+1]
		p.mu.Unlock()
	}
	return link, nil
}

// slackCtx bounds one round of Slack posts. It does not end with the work
// context: an answer is still owed after a shutdown cut a send off.
func (p *Pipeline) slackCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(p.work), p.cfg.SlackTimeout)
}

// slackAttempts bounds the tries of one Slack call.
const slackAttempts = 4

// slackCall runs f, and again after a Slack 429 (honouring Retry-After) or
// 5xx, which Slack answers before doing anything: a retry cannot post twice.
func (p *Pipeline) slackCall(ctx context.Context, log zerolog.Logger, f func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		err := f(ctx)
		if err == nil {
			return nil
		}
		var wait time.Duration
		var rl *slack.RateLimitedError
		var sc slack.StatusCodeError
		switch {
		case errors.As(err, &rl):
			wait = max(rl.RetryAfter, 100*time.Millisecond)
		case errors.As(err, &sc) && sc.Code >= 500:
			wait = time.Duration(attempt) * 500 * time.Millisecond
		default:
			return err
		}
		if attempt >= slackAttempts {
			return err
		}
		log.Warn().Err(err).Dur("wait", wait).Msg("Slack asked to retry")
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
	}
}

// webhook posts an ephemeral message to a response_url.
func (p *Pipeline) webhook(ctx context.Context, url, text string, blocks ...slack.Block) error {
	msg := &slack.WebhookMessage{ResponseType: slack.ResponseTypeEphemeral, Text: text}
	if len(blocks) > 0 {
		msg.Blocks = &slack.Blocks{BlockSet: blocks}
	}
	return slack.PostWebhookCustomHTTPContext(ctx, url, p.cfg.HTTPClient, msg)
}

// cannotPost reports whether Slack refused a post because the bot may not
// write in that conversation, as opposed to a passing failure.
func cannotPost(err error) bool {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "not_in_channel", "channel_not_found", "is_archived", "restricted_action", "cannot_dm_bot", "messages_tab_disabled":
			return true
		}
	}
	return false
}
