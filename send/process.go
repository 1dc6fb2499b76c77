package send

import (
	"context"
	"errors"
	"fmt"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"linkedin-bot/linkup"
)

// State is where a send ended.
type State string

const (
	StateSent    State = "sent"
	StateFailed  State = "failed"
	StateUnknown State = "unknown"
)

// Outcome is how one request ended, in words for its author.
type Outcome struct {
	State State
	// Credits is what Linkup charged for a sent message.
	Credits int
	// Reason explains a failed or unknown send to the user.
	Reason string
}

// thread is where a request's messages go: a root message in a channel, or,
// where the bot cannot post there, the request's response_url.
type thread struct {
	channel     string // the channel the root was posted in, as Slack returned it
	ts          string // the root message; empty when none could be posted
	responseURL string
}

// process runs one request to its end: announce, send, answer, notify.
func (p *Pipeline) process(req Request) {
	log := p.log.With().Str("send_id", req.ID).Str("user", req.UserID).Str("channel", req.ChannelID).Logger()

	th := p.announce(req, log)

	var out Outcome
	if p.work.Err() != nil {
		out = Outcome{State: StateFailed, Reason: "The bot was shutting down before it could send this, so nothing was sent. Please send it again."}
		log.Warn().Msg("send dropped at shutdown before reaching Linkup")
	} else {
		res, err := p.linkup.SendMessage(p.work, req.Message)
		out = outcomeOf(res, err)
		ev := log.Info()
		if err != nil {
			ev = log.Warn().Err(err)
		}
		ev.Str("state", string(out.State)).Int("credits", out.Credits).Msg("linkup send finished")
	}

	p.answer(req, th, out, log)
	p.notify(req, th, out, log)
}

// outcomeOf turns Linkup's answer into words for the user.
func outcomeOf(res linkup.Result, err error) Outcome {
	if err == nil {
		return Outcome{State: StateSent, Credits: res.Credits}
	}
	if errors.Is(err, context.Canceled) {
		// Cancelled by a shutdown that ran out of time.
		if le := linkup.AsError(err); le.Kind == linkup.KindUnreachable {
			return Outcome{State: StateFailed, Reason: "The bot was shutting down before it could send this, so nothing was sent. Please send it again."}
		}
	}
	le := linkup.AsError(err)
	msg := mrkdwnEscape(le.Message)
	switch le.Kind {
	case linkup.KindInvalid:
		r := fmt.Sprintf("Linkup refused the message: %s.", msg)
		if containsFold(le.Message, "invalid parameter") {
			r += " This usually means the sending account is not connected to this person on LinkedIn."
		}
		return Outcome{State: StateFailed, Reason: r}
	case linkup.KindAuth:
		return Outcome{State: StateFailed, Reason: fmt.Sprintf("Linkup did not accept the bot's credentials (%s). The LinkedIn session may have expired or the Linkup account may be out of credits: an admin must renew LINKUP_LOGIN_TOKEN or check the Linkup account. Nothing was sent.", msg)}
	case linkup.KindRateLimited:
		wait := "a minute"
		if le.RetryAfter > 0 {
			wait = le.RetryAfter.String()
		}
		return Outcome{State: StateFailed, Reason: fmt.Sprintf("Linkup or LinkedIn is limiting the rate of messages (%s). Nothing was sent; try again in %s.", msg, wait)}
	case linkup.KindFailure:
		return Outcome{State: StateFailed, Reason: fmt.Sprintf("Linkup or LinkedIn failed (HTTP %d: %s). It was most likely not sent, but check the conversation on LinkedIn before sending again.", le.Status, msg)}
	case linkup.KindUnreachable:
		return Outcome{State: StateFailed, Reason: "Linkup could not be reached, so nothing was sent. Try again in a moment."}
	default:
		return Outcome{State: StateUnknown, Reason: fmt.Sprintf("Linkup gave no confirmation (%s). The message may or may not have been sent: check the conversation on LinkedIn before sending it again.", msg)}
	}
}

// announce posts the root message, falling back to the response_url where
// the bot cannot post in the channel.
func (p *Pipeline) announce(req Request, log zerolog.Logger) thread {
	th := thread{responseURL: req.ResponseURL}
	text := rootText(req, nil)
	ctx, cancel := p.slackCtx()
	defer cancel()
	ch, ts, err := p.slack.PostMessageContext(ctx, req.ChannelID, slack.MsgOptionText(text, false), slack.MsgOptionDisableLinkUnfurl())
	if err == nil {
		th.channel, th.ts = ch, ts
		return th
	}
	log.Warn().Err(err).Msg("posting the root message failed")
	if cannotPost(err) && req.ResponseURL != "" {
		if err := p.webhook(ctx, req.ResponseURL, text); err != nil {
			log.Error().Err(err).Msg("posting to response_url failed")
		}
	}
	return th
}

// answer tells the requester the outcome: in the thread (and on the root
// message), or through the response_url.
func (p *Pipeline) answer(req Request, th thread, out Outcome, log zerolog.Logger) {
	ctx, cancel := p.slackCtx()
	defer cancel()
	text := outcomeText(out)
	if th.ts != "" {
		if _, _, err := p.slack.PostMessageContext(ctx, th.channel, slack.MsgOptionText(text, false), slack.MsgOptionTS(th.ts), slack.MsgOptionDisableLinkUnfurl()); err != nil {
			log.Error().Err(err).Msg("posting the outcome in the thread failed")
		}
		if _, _, _, err := p.slack.UpdateMessageContext(ctx, th.channel, th.ts, slack.MsgOptionText(rootText(req, &out), false), slack.MsgOptionDisableLinkUnfurl()); err != nil {
			log.Warn().Err(err).Msg("updating the root message failed")
		}
		return
	}
	if th.responseURL != "" {
		if err := p.webhook(ctx, th.responseURL, rootText(req, &out)+"\n"+text); err != nil {
			log.Error().Err(err).Msg("posting the outcome to response_url failed")
		}
		return
	}
	// Neither the channel nor a response_url: try the channel once more,
	// unthreaded, then give up loudly.
	if _, _, err := p.slack.PostMessageContext(ctx, req.ChannelID, slack.MsgOptionText(rootText(req, &out)+"\n"+text, false), slack.MsgOptionDisableLinkUnfurl()); err != nil {
		log.Error().Err(err).Str("state", string(out.State)).Msg("the outcome could not be delivered to the requester")
	}
}

// notify posts one line to the team notification channel, when set.
func (p *Pipeline) notify(req Request, th thread, out Outcome, log zerolog.Logger) {
	if p.cfg.NotifyChannel == "" {
		return
	}
	ctx, cancel := p.slackCtx()
	defer cancel()
	link := ""
	if th.ts != "" {
		l, err := p.slack.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: th.channel, Ts: th.ts})
		if err != nil {
			log.Warn().Err(err).Msg("getting the thread's permalink failed")
		} else {
			link = l
		}
	}
	if _, _, err := p.slack.PostMessageContext(ctx, p.cfg.NotifyChannel, slack.MsgOptionText(notifyText(req, out, link), false), slack.MsgOptionDisableLinkUnfurl()); err != nil {
		log.Error().Err(err).Msg("posting the team notification failed")
	}
}

// slackCtx bounds one round of Slack posts. It does not end with the work
// context: an answer is still owed after a shutdown cut a send off.
func (p *Pipeline) slackCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(p.work), p.cfg.SlackTimeout)
}

func (p *Pipeline) webhook(ctx context.Context, url, text string) error {
	return slack.PostWebhookCustomHTTPContext(ctx, url, p.cfg.HTTPClient, &slack.WebhookMessage{
		Text:         text,
		ResponseType: slack.ResponseTypeEphemeral,
	})
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
