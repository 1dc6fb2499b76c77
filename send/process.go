package send

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"linkedin-bot/slackpost"
	"linkedin-bot/store"
)

// responseURLLife is how long Slack takes posts on a response_url (30
// minutes), less a margin.
const responseURLLife = 29 * time.Minute

// maxTries bounds the tries of one post that may each have reached Slack
// without the bot being able to check: no post appears more than twice.
const maxTries = 2

// postEvent is the metadata event type of the bot's posts: with the send's
// ID and the post's kind, it lets the bot find a post it may have made
// before a crash or an ambiguous Slack error.
const postEvent = "linkedin_bot_post"

// target is one place a post can go: a conversation (and thread), or a
// response_url when hook is set.
type target struct {
	channel, thread string
	hook            string
}

func (t target) String() string {
	if t.hook != "" {
		return "response_url " + redactURL(t.hook)
	}
	if t.thread != "" {
		return "thread " + t.channel + "/" + t.thread
	}
	return "channel " + t.channel
}

// announceAsync starts announcing sd, unless it was, and returns join,
// which waits for the announcement and copies where it went into a send;
// join must be called once.
func (p *Pipeline) announceAsync(sd store.Send, log zerolog.Logger) (join func(store.Send) store.Send) {
	if sd.Announced {
		return func(s store.Send) store.Send { return s }
	}
	done := make(chan store.Send, 1)
	go func() { done <- p.announce(sd, log, true) }()
	return func(s store.Send) store.Send {
		a := <-done
		s.Announced, s.RootChannel, s.RootTS, s.RootTries = a.Announced, a.RootChannel, a.RootTS, a.RootTries
		return s
	}
}

// announce tells the channel a send is starting: a root message, or for a
// retry a note in the original thread, or where the bot cannot post, the
// response_url. intended says its try was recorded (by the claim); the
// caller records where it went (with the outcome, or the requeue).
func (p *Pipeline) announce(sd store.Send, log zerolog.Logger, intended bool) store.Send {
	ctx, cancel := p.slackCtx()
	defer cancel()

	var targets []target
	text := rootText(sd)
	if sd.RetryOf != 0 && sd.Thread() != "" && sd.RootChannel != "" {
		text = retryText(sd)
		targets = append(targets, target{channel: sd.RootChannel, thread: sd.Thread()})
	} else {
		targets = append(targets, target{channel: sd.Channel, thread: sd.ThreadTS})
	}
	if hook := p.hook(sd); hook != "" {
		targets = append(targets, target{hook: hook})
	}
	ch, ts, err := p.postOnce(ctx, log, &sd, store.Announced, targets, text, nil, intended)
	defer p.changed(sd.Requester)
	switch {
	case err == nil:
		sd.Announced = true
		if sd.RetryOf == 0 && ch != "" && ts != "" {
			sd.RootChannel, sd.RootTS = ch, ts
		}
	case errors.Is(err, errGaveUp):
		sd.Announced = true
	default:
		log.Error().Err(err).Msg("announcing the send failed; it goes ahead")
	}
	return sd
}

// deliver makes the outcome posts of a finished send that have not gone
// out yet, and records each one. A post's try is recorded before it is
// made, and a post whose earlier try may have reached Slack is looked for
// before it is made again: a crash can repeat a post at most once, and
// never loses one. A send already being delivered (by this bot, or by
// another live one) is left to that delivery.
func (p *Pipeline) deliver(sd store.Send, log zerolog.Logger) {
	p.deliverFrom(sd, log, false, nil)
}

// deliverFrom is deliver. fresh says sd is as this bot just recorded it
// (Finish): it holds its posts and needs not read it again. intended are
// the posts whose first try was recorded with it.
func (p *Pipeline) deliverFrom(sd store.Send, log zerolog.Logger, fresh bool, intended []store.Delivery) {
	if !p.startDelivery(sd.ID) {
		return
	}
	var posted []store.Posted
	defer func() {
		// The records go out with other sends' in one commit; the delivery
		// ends (another may start) once they are written.
		user := sd.Requester
		p.records.add(posted, func() {
			p.endDelivery(sd.ID)
			p.changed(user)
		})
	}()
	ctx, cancel := p.slackCtx()
	defer cancel()
	if !fresh {
		// Another delivery may have finished since sd was read: start from the log.
		if got, err := p.store.Get(ctx, sd.ID); err == nil {
			sd = got
		}
		if !sd.Owed() {
			return
		}
		// Another live bot may owe these posts: only their holder makes them.
		if !p.store.Holds(sd) {
			held, err := p.store.Take(ctx, sd.ID)
			if err != nil {
				log.Error().Err(err).Msg("taking the send's posts failed; they are tried again later")
				return
			}
			if !held {
				log.Debug().Str("holder", sd.Owner).Msg("another bot is making this send's posts")
				return
			}
		}
		if !sd.Announced && sd.RetryOf == 0 {
			// A crash came between the claim and the outcome, which records
			// the announcement: find it, or make it, so that the outcome goes
			// in its thread as always.
			if sd = p.announce(sd, log, false); sd.Announced {
				posted = append(posted, store.Posted{ID: sd.ID, D: store.Announced, Channel: sd.RootChannel, TS: sd.RootTS})
			}
		}
	}
	post := func(d store.Delivery, targets []target, text string, blocks []slack.Block) error {
		ch, ts, err := p.postOnce(ctx, log, &sd, d, targets, text, blocks, slices.Contains(intended, d))
		switch {
		case err == nil:
			posted = append(posted, store.Posted{ID: sd.ID, D: d, Channel: ch, TS: ts})
			switch d {
			case store.OutcomePosted:
				sd.OutcomePosted, sd.OutcomeChannel, sd.OutcomeTS = true, ch, ts
			case store.Notified:
				sd.Notified, sd.NotifyChannel, sd.NotifyTS = true, ch, ts
			}
		case errors.Is(err, errGaveUp):
			posted = append(posted, store.Posted{ID: sd.ID, D: d})
		}
		return err
	}

	if !sd.OutcomePosted && sd.State == store.Sent && sd.Announced && sd.RootTS != "" && store.IsCampaignKey(sd.IdemKey) {
		// A campaign's row that went: its line (the root, edited below) says
		// so; a failed or unknown one gets its outcome, reason and Retry.
		posted = append(posted, store.Posted{ID: sd.ID, D: store.OutcomePosted})
		sd.OutcomePosted = true
	}
	if !sd.OutcomePosted {
		if err := post(store.OutcomePosted, p.outcomeTargets(sd), outcomeText(sd), outcomeBlocks(sd, outcomeText(sd))); err != nil {
			log.Error().Err(err).Str("state", string(sd.State)).Msg("the outcome could not be delivered to the requester; it is tried again later")
		}
	}
	if sd.Verdict != "" && !sd.VerdictPosted {
		if err := post(store.VerdictPosted, p.outcomeTargets(sd), verdictText(sd), outcomeBlocks(sd, verdictText(sd))); err != nil {
			log.Error().Err(err).Str("verdict", sd.Verdict).Msg("the verdict could not be delivered to the requester; it is tried again later")
		}
	}
	if !sd.RootUpdated {
		// An edit says the same thing however often it is made: no tries.
		if err := p.edit(ctx, sd, log); err != nil {
			log.Warn().Err(err).Msg("updating the root message failed; it is tried again later")
		} else {
			posted = append(posted, store.Posted{ID: sd.ID, D: store.RootUpdated})
		}
	}
	if !sd.Notified {
		if p.cfg.NotifyChannel == "" {
			posted = append(posted, store.Posted{ID: sd.ID, D: store.Notified})
			return
		}
		link := ""
		if sd.RootTS != "" {
			l, err := p.permalink(ctx, sd.RootChannel, sd.RootTS)
			if err != nil {
				log.Warn().Err(err).Msg("getting the thread's permalink failed")
			}
			link = l
		}
		if err := post(store.Notified, []target{{channel: p.cfg.NotifyChannel}}, notifyText(sd, link), nil); err != nil {
			log.Error().Err(err).Msg("posting the team notification failed; it is tried again later")
		}
	}
}

// changed tells Config.Changed that one of user's sends changed.
func (p *Pipeline) changed(user string) {
	if p.cfg.Changed != nil && user != "" {
		p.cfg.Changed(user)
	}
}

// outcomeTargets are the places the requester's answer can go, best first:
// the send's thread; else the response_url while Slack still takes it
// (a Retry's is the click's own); else the channel; else a DM from the bot.
func (p *Pipeline) outcomeTargets(sd store.Send) []target {
	var ts []target
	if a := sd.Thread(); a != "" && sd.RootChannel != "" {
		ts = append(ts, target{channel: sd.RootChannel, thread: a})
	}
	if hook := p.hook(sd); hook != "" {
		ts = append(ts, target{hook: hook})
	}
	if len(ts) == 0 {
		ts = append(ts, target{channel: sd.Channel})
	}
	if sd.Requester != "" && sd.Requester != sd.Channel {
		ts = append(ts, target{channel: sd.Requester})
	}
	return ts
}

// hook is sd's response_url, opened, while Slack still takes posts on it;
// else "". One that does not open (sealed under a bot token since rotated,
// copied from another send, or kept in clear by an older version) is no
// response_url: the answer goes to the thread, the channel or a DM.
func (p *Pipeline) hook(sd store.Send) string {
	if sd.ResponseURL == "" || p.now().Sub(sd.CreatedAt) >= responseURLLife {
		return ""
	}
	hook, ok := p.cfg.Sealer.Open(sd.ResponseURL, sd.IdemKey)
	if !ok {
		p.log.Debug().Int64("send_id", sd.ID).Msg("the send's response_url does not open (sealed under another bot token, or not for this send); it is not used")
		return ""
	}
	return hook
}

// errGaveUp: a post may already be in Slack, and cannot be checked.
var errGaveUp = errors.New("the post may already be in Slack and cannot be checked there, so it is not made again")

// errRateLimited: Slack rate-limited every attempt of a post, for longer
// than the delivery could wait. It certainly made no post: it is owed, and
// made at the next delivery.
var errRateLimited = errors.New("Slack rate-limited the post for longer than the bot waits: not posted")

// postOnce makes post d of send sd at the first of targets that takes it,
// and returns where it went; the caller records it. Before each target's
// try it records the try, unless intended says the first one's was (with
// the claim or the outcome); when a try may already have posted (an
// earlier run, or an ambiguous answer from Slack), it looks for the post
// in Slack first. Where it cannot look, it posts again only while fewer
// than maxTries were made, and else gives up with errGaveUp: the caller
// records the post as made.
func (p *Pipeline) postOnce(ctx context.Context, log zerolog.Logger, sd *store.Send, d store.Delivery, targets []target, text string, blocks []slack.Block, intended bool) (channel, ts string, err error) {
	log = log.With().Str("post", string(d)).Logger()
	n := sd.Tries(d)
	if intended {
		n-- // this run's own try
	}
	if n > 0 {
		unsure := false
		for _, t := range targets {
			ch, ts, found, err := p.findPost(ctx, *sd, d, t)
			if found {
				log.Info().Stringer("target", t).Msg("an earlier try had posted; not posting again")
				return ch, ts, nil
			}
			if err != nil {
				unsure = true
				log.Warn().Err(err).Stringer("target", t).Msg("could not look for an earlier try's post")
			}
		}
		if unsure && n >= maxTries {
			log.Error().Int("tries", n).Msg("the post may already be in Slack; not making it again")
			return "", "", errGaveUp
		}
	}
	var errs []error
	for i, t := range targets {
		if i > 0 || !intended {
			if err := p.store.Intend(ctx, sd.ID, d); err != nil {
				// No record, no post: a crash could then repeat it unseen.
				return "", "", fmt.Errorf("recording the post's try: %w", err)
			}
		}
		ch, ts, err := p.postTo(ctx, log, *sd, d, t, text, blocks)
		if err == nil {
			return ch, ts, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", t, err))
		if errors.Is(err, errRateLimited) {
			// Not posted, so not a try that may have; and no refusal: the
			// same place takes it at the next delivery.
			if nerr := p.store.NotMade(ctx, sd.ID, d); nerr != nil {
				log.Error().Err(nerr).Msg("recording a rate-limited post failed")
			}
			return "", "", errors.Join(errs...)
		}
		if !refused(err) {
			// It may have gone out: a later delivery looks before posting.
			return "", "", errors.Join(errs...)
		}
		log.Info().Err(err).Stringer("target", t).Msg("Slack refused the post there; trying the next place")
	}
	return "", "", errors.Join(errs...)
}

// postTo makes one post at t. It tries again after a Slack rate limit,
// once its Retry-After has passed (Slack did nothing), and after a 5xx or
// a lost answer, only once it has looked and not found the post. When
// every attempt met a rate limit (the last one's Retry-After outlasting
// ctx or the attempts), the error is errRateLimited: nothing was posted.
func (p *Pipeline) postTo(ctx context.Context, log zerolog.Logger, sd store.Send, d store.Delivery, t target, text string, blocks []slack.Block) (channel, ts string, err error) {
	if t.hook != "" {
		return "", "", p.webhook(ctx, t.hook, text, blocks...)
	}
	opts := []slack.MsgOption{
		slack.MsgOptionText(text, false),
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: postEvent, EventPayload: map[string]any{"send_id": strconv.FormatInt(sd.ID, 10), "post": string(d)}}),
	}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	if t.thread != "" {
		opts = append(opts, slack.MsgOptionTS(t.thread))
	}
	onlyLimited := true // every attempt so far met a rate limit: none posted
	for attempt := 1; ; attempt++ {
		channel, ts, err = p.slack.PostMessageContext(ctx, t.channel, opts...)
		if err == nil {
			return channel, ts, nil
		}
		wait, limited := slackpost.Later(err)
		switch {
		case limited:
		case refused(err):
			return "", "", err
		default:
			// A 5xx or no answer: Slack may have posted it.
			onlyLimited = false
			ch, ts, found, ferr := p.findPost(ctx, sd, d, t)
			if found {
				return ch, ts, nil
			}
			if ferr != nil {
				return "", "", fmt.Errorf("%w (and the post could not be looked for: %v)", err, ferr)
			}
			wait = time.Duration(attempt) * 500 * time.Millisecond
		}
		if attempt >= slackAttempts || !waitOut(ctx, log, err, wait) {
			if limited && onlyLimited {
				return "", "", fmt.Errorf("%w: %w", errRateLimited, err)
			}
			return "", "", err
		}
	}
}

// findPost looks for post d of sd at t in Slack, among the messages since
// slackpost.LookBack before the send could have made it.
func (p *Pipeline) findPost(ctx context.Context, sd store.Send, d store.Delivery, t target) (channel, ts string, found bool, err error) {
	if t.hook != "" {
		return "", "", false, errors.New("a response_url post cannot be read back")
	}
	since := sd.CreatedAt
	if d != store.Announced && !sd.FinishedAt.IsZero() {
		since = sd.FinishedAt
	}
	id := strconv.FormatInt(sd.ID, 10)
	return slackpost.Find(ctx, p.slack, t.channel, t.thread, since.Add(-slackpost.LookBack), func(md slack.SlackMetadata) bool {
		return md.EventType == postEvent && slackpost.Field(md, "send_id") == id && slackpost.Field(md, "post") == string(d)
	})
}

// edit shows the outcome on the root message, when there is one. After a
// verdict it also takes the Retry button off the outcome reply (the
// verdict's post carries the one that still applies) and brings the team
// notification up to date.
func (p *Pipeline) edit(ctx context.Context, sd store.Send, log zerolog.Logger) error {
	update := func(channel, ts, text string, blocks ...slack.Block) error {
		if channel == "" || ts == "" {
			return nil
		}
		opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionDisableLinkUnfurl()}
		if len(blocks) > 0 {
			opts = append(opts, slack.MsgOptionBlocks(blocks...))
		}
		return p.slackCall(ctx, log, func(ctx context.Context) error {
			_, _, _, err := p.slack.UpdateMessageContext(ctx, channel, ts, opts...)
			return err
		})
	}
	if err := update(sd.RootChannel, sd.RootTS, rootText(sd)); err != nil {
		return err
	}
	if sd.Verdict == "" {
		return nil
	}
	if err := update(sd.OutcomeChannel, sd.OutcomeTS, supersededText(sd), section(supersededText(sd))); err != nil {
		return err
	}
	link := ""
	if sd.RootTS != "" {
		link, _ = p.permalink(ctx, sd.RootChannel, sd.RootTS)
	}
	return update(sd.NotifyChannel, sd.NotifyTS, notifyText(sd, link))
}

// permalink links to a message.
func (p *Pipeline) permalink(ctx context.Context, channel, ts string) (string, error) {
	return p.links.Link(ctx, p.slack, channel, ts)
}

// slackCtx bounds one round of Slack posts. It does not end with the work
// context: an answer is still owed after a shutdown cut a send off.
func (p *Pipeline) slackCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(p.work), p.cfg.SlackTimeout)
}

// slackAttempts bounds the tries of one Slack call.
const slackAttempts = 4

// slackCall runs an idempotent Slack call f (an edit, a read), and again
// after a Slack rate limit (once its Retry-After has passed) or 5xx.
func (p *Pipeline) slackCall(ctx context.Context, log zerolog.Logger, f func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		err := f(ctx)
		if err == nil {
			return nil
		}
		wait, limited := slackpost.Later(err)
		var sc slack.StatusCodeError
		switch {
		case limited:
		case errors.As(err, &sc) && sc.Code >= 500:
			wait = time.Duration(attempt) * 500 * time.Millisecond
		default:
			return err
		}
		if attempt >= slackAttempts || !waitOut(ctx, log, err, wait) {
			return err
		}
	}
}

// waitOut waits d before a Slack call is made again after err, unless ctx
// ends first; it reports whether it waited. A wait that would outlast ctx
// is not begun: the call is left to a later delivery.
func waitOut(ctx context.Context, log zerolog.Logger, err error, d time.Duration) bool {
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
		log.Warn().Err(err).Stringer("wait", d).Msg("Slack asked to wait longer than the delivery may; it is tried again later")
		return false
	}
	log.Warn().Err(err).Stringer("wait", d).Msg("Slack asked to retry")
	return sleep(ctx, d)
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// webhook posts an ephemeral message to a response_url.
func (p *Pipeline) webhook(ctx context.Context, url, text string, blocks ...slack.Block) error {
	msg := &slack.WebhookMessage{ResponseType: slack.ResponseTypeEphemeral, Text: text}
	if len(blocks) > 0 {
		msg.Blocks = &slack.Blocks{BlockSet: blocks}
	}
	return PostWebhook(ctx, p.cfg.HTTPClient, url, msg)
}

// PostWebhook posts msg to a response_url. A response_url lets its holder
// post as the app, so its errors name the URL's host only, never the URL.
func PostWebhook(ctx context.Context, client *http.Client, responseURL string, msg *slack.WebhookMessage) error {
	err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, client, msg)
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: redactURL(responseURL), Err: ue.Err}
	}
	return err
}

// redactURL is a URL's scheme and host, for logs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(an unreadable URL)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// refused reports whether Slack certainly did not make a post (see
// slackpost.Refused: one classification for every Slack post).
func refused(err error) bool { return slackpost.Refused(err) }
