package conversation

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"linkedin-bot/linkup"
	"linkedin-bot/store"
)

// Live replies (Linkup v2, issue 23): each account the bridge reads gets
// one hosted webhook, which Linkup's monitoring feeds with the account's
// LinkedIn events; the bridge holds its event stream and, after every
// (re)connect, catches up through the 24-hour replay. A message event
// names its sender, not its conversation: the conversation watched with
// that person is read from its last mirrored message and mirrored through
// the same exactly-once, in-order path as a poll (read). While an
// account's stream is whole its inbox is not polled, but for a safety poll
// every SafetyPoll; without a webhook (v1, a refused creation, a
// stream down) it is polled as before.
//
// Everything but holding the streams runs on the bridge's loop, under its
// lease: one bot of a shared log holds every stream, and another takes
// them over once its lease runs out.

// Webhooks is Linkup v2's hosted webhooks; *linkup.Client is the production one.
type Webhooks interface {
	CreateWebhook(ctx context.Context, accountID string, events []string) (linkup.Webhook, error)
	Webhooks(ctx context.Context) ([]linkup.Webhook, error)
	StartWebhook(ctx context.Context, id string) error
	StopWebhook(ctx context.Context, id string) error
	Events(ctx context.Context, webhookID string, since time.Time, limit int) (linkup.EventPage, error)
	Stream(ctx context.Context, webhookID string, idle time.Duration, on func(linkup.StreamFrame)) error
}

// subscriptions are what a webhook is created for; disconnection comes
// whatever the subscription (and Linkup takes no such name).
var subscriptions = []string{linkup.SubscribeMessages, linkup.SubscribeInvitations}

const (
	// replayKeeps is how long Linkup keeps a webhook's events; replayOverlap
	// how far before the newest event handled a catch-up starts.
	replayKeeps   = 24 * time.Hour
	replayOverlap = 2 * time.Minute
	// maxReplayPages bounds one catch-up: 10,000 events.
	maxReplayPages = 50
	// A stream that ended is opened again after 1 s, doubling to 1 min
	// while it keeps failing.
	firstBackoff = time.Second
	maxBackoff   = time.Minute
	// refusedRetry is when a webhook Linkup refused to create or start is
	// asked for again; failedRetry after a failure that may pass.
	refusedRetry = time.Hour
	failedRetry  = time.Minute
	// healthyEvery is how often a whole stream's HealthyAt is written.
	healthyEvery = 10 * time.Minute
)

// liveStream is the stream of one account's webhook, held by its own
// goroutine (hold); the rest of its fields are the loop's.
type liveStream struct {
	hook   store.LinkupWebhook
	cancel context.CancelFunc
	done   chan struct{}

	connected bool      // the stream is open
	caught    bool      // and the replay caught up since it opened: live
	downSince time.Time // when it last went down (this bot's clock); zero while whole
	written   time.Time // when HealthyAt was last written
}

// note is what a stream's goroutine tells the loop.
type note struct {
	ls   *liveStream
	kind noteKind
	ev   linkup.Event
	err  error
}

type noteKind int

const (
	noteConnected noteKind = iota + 1
	noteEvent
	noteDown
)

// liveFor reports whether account name's stream is whole and its last
// poll recent (SafetyPoll): it is not polled.
func (b *Bridge) liveFor(name string) bool {
	ls := b.streams[name]
	if ls == nil || !ls.caught {
		return false
	}
	at, ok := b.lastPoll[name]
	return ok && b.now().Before(at.Add(b.cfg.SafetyPoll))
}

// polled records that account name's inbox is being polled.
func (b *Bridge) polled(name string) {
	if b.lastPoll == nil {
		b.lastPoll = map[string]time.Time{}
	}
	b.lastPoll[name] = b.now()
}

// pollSoon makes account name's inbox due for a poll at the next one.
func (b *Bridge) pollSoon(name string) {
	delete(b.lastPoll, name)
	b.nextPoll = minTime(b.nextPoll, b.now().Add(b.cfg.PollInterval))
}

// manage matches the webhooks to the accounts with something to watch,
// every Tick (and at once after a new send or a disconnection):
// each such account on v2 gets its webhook (created once, started, its
// stream held); an account with nothing left to watch (for WatchFor), or
// that cannot be used (expired, removed), has its webhook stopped, so
// that its monitoring stops costing.
func (b *Bridge) manage(ctx context.Context) {
	if b.cfg.Webhooks == nil {
		return
	}
	b.nextManage = b.now().Add(b.cfg.Tick)
	readers, err := b.cfg.Sessions.Readers(ctx)
	if err != nil {
		if ctx.Err() == nil {
			b.log.Warn().Err(err).Msg("listing the accounts to watch live failed")
		}
		return
	}
	watched, err := b.store.Watched(ctx, b.now().Add(-b.cfg.WatchFor))
	if err != nil {
		if ctx.Err() == nil {
			b.log.Warn().Err(err).Msg("listing the watched conversations failed")
		}
		return
	}
	hooks, err := b.store.LinkupWebhooks(ctx)
	if err != nil {
		if ctx.Err() == nil {
			b.log.Warn().Err(err).Msg("listing the webhooks failed")
		}
		return
	}
	some := map[string]bool{}
	for _, c := range watched {
		some[c.Account] = true
	}
	if b.cfg.Invitations != nil {
		// An account waiting for an acceptance is watched too.
		pending, err := b.cfg.Invitations.PendingAccounts(ctx)
		if err != nil && ctx.Err() == nil {
			b.log.Warn().Err(err).Msg("listing the accounts with pending invitations failed")
		}
		for name := range pending {
			some[name] = true
		}
	}
	want := map[string]string{} // account → its v2 account ID
	unsure := map[string]bool{} // its session could not be had now: left as it is
	for _, r := range readers {
		if !some[r.Name] && !(r.Inbox && b.cfg.InboxChannel != "") {
			continue
		}
		sess, err := b.cfg.Sessions.Session(ctx, r.Name)
		switch {
		case errors.Is(err, store.ErrTokenUnopenable):
			continue // cannot be used: not watched
		case err != nil:
			unsure[r.Name] = true // its v2 ID could not be got now, say: neither started nor stopped
			continue
		case sess.AccountID == "":
			continue // no v2 ID: polled as before
		}
		want[r.Name] = sess.AccountID
	}
	kept := map[string]store.LinkupWebhook{}
	for _, h := range hooks {
		kept[h.Account] = h
	}
	for name, ls := range b.streams {
		if _, ok := want[name]; !ok && !unsure[name] {
			b.release(ls)
		}
	}
	for _, h := range hooks {
		if _, ok := want[h.Account]; !ok && !unsure[h.Account] && h.State == store.WebhookActive {
			b.stopWebhook(ctx, h, "it has nothing left to watch, or cannot be used")
		}
	}
	for name, id := range want {
		if ctx.Err() != nil {
			return
		}
		b.ensure(ctx, name, id, kept)
	}
	for _, ls := range b.streams {
		if ls.connected && !ls.caught {
			b.catchUp(ctx, ls) // failed before: again
		}
		if ls.caught && b.now().Sub(ls.written) >= healthyEvery {
			b.markHealthy(ctx, ls)
		}
	}
}

// ensure gives account name (v2 account ID id) a started webhook and
// holds its stream; kept is every account's webhook as kept.
func (b *Bridge) ensure(ctx context.Context, name, id string, kept map[string]store.LinkupWebhook) {
	log := b.log.With().Str("account", name).Logger()
	h := kept[name]
	if ls := b.streams[name]; ls != nil && ls.hook.WebhookID == h.WebhookID && h.AccountID == id {
		return // held
	}
	if b.now().Before(b.retryAt[name]) {
		return
	}
	if h.WebhookID != "" && h.AccountID != id {
		// The account was connected again as another LinkedIn profile.
		if ls := b.streams[name]; ls != nil {
			b.release(ls)
		}
		if h.State == store.WebhookActive {
			b.stopWebhook(ctx, h, "its account is another LinkedIn profile now")
		}
		h = store.LinkupWebhook{}
	}
	if h.WebhookID == "" {
		lost := h.State == store.WebhookCreating && h.AccountID == id
		if !lost {
			// Marked before the create: a restart, or a next try, that finds
			// the mark knows the create's answer was lost.
			mark := store.LinkupWebhook{Account: name, AccountID: id, State: store.WebhookCreating}
			if err := b.store.PutLinkupWebhook(ctx, mark); err != nil {
				b.refused(ctx, name, err, "recording the create of")
				return
			}
		}
		w, made, err := b.adoptOrCreate(ctx, id, kept, lost)
		if err != nil {
			doing := "creating"
			if !made {
				doing = "looking for"
			}
			if made && madeNothing(err) {
				// Refused before anything was made: the mark goes, so that
				// the next try creates rather than looks for one to adopt
				// (which could be another deployment's).
				if derr := b.store.DeleteLinkupWebhook(ctx, name); derr != nil {
					log.Error().Err(derr).Msg("forgetting the mark of a refused webhook create failed; the next try looks for a webhook before creating one")
				}
			}
			b.refused(ctx, name, err, doing)
			return
		}
		h = store.LinkupWebhook{Account: name, WebhookID: w.ID, AccountID: id, State: store.WebhookStopped}
		if err := b.store.PutLinkupWebhook(ctx, h); err != nil {
			// The mark stays: the next try looks for it, and does not make a second.
			log.Error().Err(err).Str("webhook", w.ID).Msg("keeping the account's webhook failed; it is looked for again")
			return
		}
		if made {
			log.Info().Str("webhook", h.WebhookID).Msg("created the account's Linkup webhook: its replies come live")
		} else {
			log.Warn().Str("webhook", h.WebhookID).Msg("adopted the account's Linkup webhook that an earlier create whose answer was lost made (none is created): its replies come live")
		}
	}
	// Started whenever a bot begins to hold it (free, harmless when it
	// runs), so that one Linkup stopped is monitoring again.
	if err := b.cfg.Webhooks.StartWebhook(ctx, h.WebhookID); err != nil {
		if le, ok := errors.AsType[*linkup.Error](err); ok && le.Status == 404 {
			// Deleted at Linkup: forgotten here, and created again.
			log.Warn().Str("webhook", h.WebhookID).Msg("Linkup no longer knows the account's webhook: a new one is created")
			if err := b.store.DeleteLinkupWebhook(ctx, name); err != nil {
				log.Error().Err(err).Msg("forgetting the account's webhook failed")
			}
			b.nextManage = b.now()
			return
		}
		b.refused(ctx, name, err, "starting")
		return
	}
	if h.State != store.WebhookActive {
		h.State = store.WebhookActive
		if err := b.store.PutLinkupWebhook(ctx, h); err != nil {
			log.Error().Err(err).Msg("recording the account's webhook started failed")
		}
		b.pollSoon(name) // what came before monitoring began is read by a poll
	}
	delete(b.retryAt, name)
	b.hold(name, h)
}

// adoptOrCreate is a webhook for v2 account id. Linkup has no idempotency
// key: a create whose answer was lost (a 5xx, a timeout, a crash) may have
// made a webhook that bills monitoring. After such a create (lost) the
// list is read first, and a webhook there that is hosted, watches id for
// every subscription and is kept for no other account here (an active one
// first) is adopted (made false) rather than a second made; when the list
// cannot be read nothing is created, and made is false with the list's
// error. Otherwise, or when none is there, a new one is created (made
// true): a webhook someone else made for the account (another deployment
// on the same key) is never taken over.
func (b *Bridge) adoptOrCreate(ctx context.Context, id string, kept map[string]store.LinkupWebhook, lost bool) (w linkup.Webhook, made bool, err error) {
	if !lost {
		w, err = b.cfg.Webhooks.CreateWebhook(ctx, id, subscriptions)
		return w, true, err
	}
	there, err := b.cfg.Webhooks.Webhooks(ctx)
	if err != nil {
		return linkup.Webhook{}, false, err
	}
	taken := map[string]bool{}
	for _, k := range kept {
		taken[k.WebhookID] = true
	}
	found := false
	for _, c := range there {
		if c.AccountID != id || c.Custom || taken[c.ID] || !c.Covers(subscriptions) {
			continue
		}
		if !found || (c.Active && !w.Active) {
			w, found = c, true
		}
	}
	if found {
		return w, false, nil
	}
	w, err = b.cfg.Webhooks.CreateWebhook(ctx, id, subscriptions)
	return w, true, err
}

// madeNothing tells whether a create that failed with err surely made no
// webhook: Linkup answered a refusal of the request (a 4xx other than a
// timeout's 408), not a lost or late answer.
func madeNothing(err error) bool {
	le, ok := errors.AsType[*linkup.Error](err)
	return ok && le.Status >= 400 && le.Status < 500 && le.Status != http.StatusRequestTimeout
}

// refused records that Linkup would not create or start account name's
// webhook: it is polled as before, and asked again later.
func (b *Bridge) refused(ctx context.Context, name string, err error, doing string) {
	if ctx.Err() != nil {
		return
	}
	wait := failedRetry
	le, ok := errors.AsType[*linkup.Error](err)
	if ok && le.Kind != linkup.KindUnknown && le.Kind != linkup.KindRateLimited {
		wait = refusedRetry
	}
	if b.retryAt == nil {
		b.retryAt = map[string]time.Time{}
	}
	b.retryAt[name] = b.now().Add(wait)
	b.log.Warn().Err(err).Str("account", name).Stringer("again_in", wait).
		Msg(doing + " the account's Linkup webhook failed: its inbox is polled as on v1 (REPLY_POLL_INTERVAL) until a webhook watches it")
}

// stopWebhook stops h's monitoring, so that it stops costing.
func (b *Bridge) stopWebhook(ctx context.Context, h store.LinkupWebhook, why string) {
	log := b.log.With().Str("account", h.Account).Str("webhook", h.WebhookID).Logger()
	err := b.cfg.Webhooks.StopWebhook(ctx, h.WebhookID)
	if le, ok := errors.AsType[*linkup.Error](err); ok && le.Status == 404 {
		log.Info().Msg("the account's webhook is gone at Linkup: forgotten")
		if err := b.store.DeleteLinkupWebhook(ctx, h.Account); err != nil {
			log.Error().Err(err).Msg("forgetting the account's webhook failed")
		}
		return
	}
	if err != nil {
		if ctx.Err() == nil {
			log.Warn().Err(err).Msg("stopping the account's webhook failed; tried again later")
		}
		return
	}
	h.State = store.WebhookStopped
	if err := b.store.PutLinkupWebhook(ctx, h); err != nil {
		log.Error().Err(err).Msg("recording the account's webhook stopped failed")
	}
	log.Info().Msg("stopped the account's Linkup webhook (" + why + "): its monitoring no longer costs")
}

// hold starts holding webhook h's stream.
func (b *Bridge) hold(name string, h store.LinkupWebhook) {
	if old := b.streams[name]; old != nil {
		b.release(old)
	}
	ctx, cancel := context.WithCancel(b.loopCtx)
	ls := &liveStream{hook: h, cancel: cancel, done: make(chan struct{})}
	if b.streams == nil {
		b.streams = map[string]*liveStream{}
	}
	b.streams[name] = ls
	go b.listen(ctx, ls)
}

// release stops holding ls's stream and waits for its goroutine.
func (b *Bridge) release(ls *liveStream) {
	ls.cancel()
	<-ls.done
	if b.streams[ls.hook.Account] == ls {
		delete(b.streams, ls.hook.Account)
	}
}

// releaseAll stops holding every stream: the bridge's lease went to
// another bot, or the bridge stops.
func (b *Bridge) releaseAll() {
	for _, ls := range b.streams {
		b.release(ls)
	}
}

// listen holds ls's stream until ctx ends, opening it again with backoff
// whenever it ends, and tells the loop what comes. It never logs the
// stream's URL (it holds the API key; Stream's errors do not).
func (b *Bridge) listen(ctx context.Context, ls *liveStream) {
	defer close(ls.done)
	id, account := ls.hook.WebhookID, ls.hook.Account // ls.hook is the loop's from here on
	wait := firstBackoff
	for ctx.Err() == nil {
		connected := false
		err := b.cfg.Webhooks.Stream(ctx, id, b.cfg.StreamIdle, func(f linkup.StreamFrame) {
			switch f.Kind {
			case linkup.FrameConnected:
			case linkup.FrameEvent:
			case linkup.FrameUnreadable:
				// Its data may hold a message's text: not logged.
				b.log.Warn().Str("account", account).Str("frame", f.Name).Msg("a frame of the account's event stream could not be read; it is skipped (the replay may give it)")
				return
			default:
				return
			}
			if !connected {
				connected = true
				wait = firstBackoff
				b.tell(ctx, note{ls: ls, kind: noteConnected})
			}
			if f.Kind == linkup.FrameEvent {
				b.tell(ctx, note{ls: ls, kind: noteEvent, ev: f.Event})
			}
		})
		if ctx.Err() != nil {
			return
		}
		b.tell(ctx, note{ls: ls, kind: noteDown, err: err})
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, maxBackoff)
	}
}

// tell hands n to the loop, unless ctx ends first.
func (b *Bridge) tell(ctx context.Context, n note) {
	select {
	case b.notes <- n:
	case <-ctx.Done():
	}
}

// heard handles what a stream told, on the loop.
func (b *Bridge) heard(ctx context.Context, n note) {
	ls := n.ls
	if b.streams[ls.hook.Account] != ls {
		return // a stream released since
	}
	log := b.log.With().Str("account", ls.hook.Account).Logger()
	switch n.kind {
	case noteConnected:
		ls.connected = true
		log.Debug().Msg("the account's event stream is open")
		b.catchUp(ctx, ls)
	case noteEvent:
		b.onEvent(ctx, ls, n.ev)
	case noteDown:
		if le, ok := errors.AsType[*linkup.Error](n.err); ok && le.Status == 404 {
			// Deleted at Linkup: forgotten here, and created again.
			log.Warn().Str("webhook", ls.hook.WebhookID).Msg("Linkup no longer knows the account's webhook: a new one is created")
			b.release(ls)
			if err := b.store.DeleteLinkupWebhook(ctx, ls.hook.Account); err != nil {
				log.Error().Err(err).Msg("forgetting the account's webhook failed")
			}
			b.nextManage = b.now()
			return
		}
		if ls.connected || ls.downSince.IsZero() {
			ev := log.Info()
			if errors.Is(n.err, linkup.ErrStreamSilent) {
				ev = log.Warn()
			}
			ev.Err(n.err).Msg("the account's event stream ended: opened again with backoff, then caught up through the replay; its inbox is polled meanwhile")
		}
		ls.connected, ls.caught = false, false
		if ls.downSince.IsZero() {
			ls.downSince = b.now()
		}
	}
}

// catchUp reads ls's webhook's stored events from the newest one the
// replay gave, less an overlap, and handles those not handled yet; then
// the stream is live. A gap longer than the replay keeps is said, and the
// account polled.
func (b *Bridge) catchUp(ctx context.Context, ls *liveStream) {
	log := b.log.With().Str("account", ls.hook.Account).Logger()
	gapFrom := ls.downSince
	if gapFrom.IsZero() {
		gapFrom = ls.hook.HealthyAt // the first stream of this bot: since the last one's
	}
	if !gapFrom.IsZero() && b.now().Sub(gapFrom) > replayKeeps-replayOverlap {
		log.Warn().Stringer("gap", b.now().Sub(gapFrom).Round(time.Minute)).
			Msg("the account's event stream was down longer than Linkup's replay keeps events (24h): what came before it is read by polling the inbox now")
		b.pollSoon(ls.hook.Account)
	}
	since := ls.hook.EventsSince
	if !since.IsZero() {
		since = since.Add(-replayOverlap)
	}
	for range maxReplayPages {
		p, err := b.cfg.Webhooks.Events(ctx, ls.hook.WebhookID, since, linkup.MaxEvents)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn().Err(err).Msg("catching up through the webhook's replay failed; tried again shortly, and the inbox is polled meanwhile")
			}
			return
		}
		if p.Skipped > 0 {
			log.Warn().Int("skipped", p.Skipped).Msg("some events of the replay could not be read; they were skipped")
		}
		newest := since
		for _, e := range p.Events {
			if ctx.Err() != nil {
				return
			}
			b.onEvent(ctx, ls, e)
			if e.CreatedAt.After(newest) {
				newest = e.CreatedAt
			}
		}
		if newest.After(ls.hook.EventsSince) {
			ls.hook.EventsSince = newest
			if err := b.store.PutLinkupWebhook(ctx, ls.hook); err != nil {
				log.Error().Err(err).Msg("recording where the replay resumes failed")
			}
		}
		if len(p.Events)+p.Skipped < linkup.MaxEvents {
			break
		}
		if !newest.After(since) {
			log.Warn().Msg("the webhook's replay gave a full page that did not move on; the rest is left to the inbox poll")
			b.pollSoon(ls.hook.Account)
			break
		}
		since = newest
	}
	ls.caught, ls.downSince = true, time.Time{}
	b.markHealthy(ctx, ls)
	log.Debug().Msg("the account's replies come live: its inbox is polled only every REPLY_SAFETY_POLL, for safety")
}

// markHealthy records that ls's stream is whole now.
func (b *Bridge) markHealthy(ctx context.Context, ls *liveStream) {
	ls.written = b.now()
	ls.hook.HealthyAt = ls.written
	if err := b.store.PutLinkupWebhook(ctx, ls.hook); err != nil && ctx.Err() == nil {
		b.log.Error().Err(err).Str("account", ls.hook.Account).Msg("recording the account's stream whole failed")
	}
}

// onEvent handles event e of ls's webhook once, whether it came on the
// stream, on the replay, or again on either (after a restart too): by its
// event_id, and by its content, which the stream's copy carries alone.
func (b *Bridge) onEvent(ctx context.Context, ls *liveStream, e linkup.Event) {
	keys := []string{"content:" + e.ContentKey()}
	if e.EventID != "" {
		keys = append(keys, "id:"+e.EventID)
	}
	log := b.log.With().Str("account", ls.hook.Account).Str("event", e.Type).Logger()
	done, err := b.store.EventsHandled(ctx, ls.hook.WebhookID, keys...)
	if err != nil {
		if ctx.Err() == nil {
			log.Error().Err(err).Msg("reading the events handled failed; the inbox is polled instead")
			b.pollSoon(ls.hook.Account)
		}
		return
	}
	if done {
		return
	}
	if !b.handle(ctx, log, ls.hook.Account, e) {
		return // cut short by the stop: handled again after the restart
	}
	// Recorded even when the stop comes right after: what was read is
	// recorded already, and the next bot need not read it again.
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), slackTimeout)
	defer cancel()
	if err := b.store.MarkEventHandled(mctx, ls.hook.WebhookID, keys...); err != nil {
		log.Error().Err(err).Msg("recording an event handled failed; handling it again mirrors nothing twice")
	}
}

// handle acts on one event of account name; false when ctx ended before
// it was done.
func (b *Bridge) handle(ctx context.Context, log zerolog.Logger, name string, e linkup.Event) bool {
	switch e.Type {
	case linkup.EventMessage:
		return b.onMessage(ctx, name, e)
	case linkup.EventDisconnection:
		b.expire(ctx, name, nil, "Linkup's webhook said its LinkedIn session ended"+reason(e.Reason), "LinkedIn ended it")
		b.nextManage = b.now() // its webhook is stopped until it is connected again
	case linkup.EventAcceptedInvitation:
		people := make([]string, 0, len(e.NewConnections))
		for _, p := range e.NewConnections {
			people = append(people, strings.TrimSpace(p.Name+" "+p.ProfileURL))
		}
		log.Info().Strs("new_connections", people).Msg("connection requests the account sent were accepted")
		if b.cfg.Invitations != nil {
			b.cfg.Invitations.Accepted(ctx, name, e.NewConnections)
		}
	default:
		log.Debug().Msg("an event of a kind the bot does not act on")
	}
	return ctx.Err() == nil
}

func reason(r string) string {
	if r == "" {
		return ""
	}
	return ": " + r
}

// onMessage reads the watched conversation with e's sender from its last
// mirrored message and mirrors what is new, through read. A sender the
// bot watches no conversation with (someone new, or a profile URL in
// another form) is looked for by polling the account's inbox, which
// mirrors a new conversation to the inbox channel as a poll does. A read
// that fails leaves the account due for a poll.
func (b *Bridge) onMessage(ctx context.Context, name string, e linkup.Event) bool {
	log := b.log.With().Str("account", name).Logger()
	watched, err := b.store.Watched(ctx, b.now().Add(-b.cfg.WatchFor))
	if err != nil {
		if ctx.Err() == nil {
			log.Error().Err(err).Msg("listing the watched conversations failed; the inbox is polled instead")
			b.pollSoon(name)
		}
		return ctx.Err() == nil
	}
	var mine, with []store.Conversation
	for _, c := range watched {
		if c.Account != name {
			continue
		}
		mine = append(mine, c)
		if e.SenderProfile != "" && linkup.SameProfile(c.ProfileURL, e.SenderProfile) {
			with = append(with, c)
		}
	}
	if len(with) == 0 {
		readers, err := b.cfg.Sessions.Readers(ctx)
		if err != nil {
			b.pollSoon(name)
			return ctx.Err() == nil
		}
		for _, r := range readers {
			if r.Name == name {
				log.Debug().Msg("a message from someone no watched conversation is with: the account's inbox is read")
				if _, err := b.pollReader(ctx, r, mine); err != nil && !errors.Is(err, errCapped) {
					b.pollSoon(name)
					return ctx.Err() == nil
				}
			}
		}
		return true
	}
	sess, err := b.cfg.Sessions.Session(ctx, name)
	if errors.Is(err, store.ErrTokenUnopenable) || errors.Is(err, store.ErrNeedsV2) {
		b.tellBadToken(ctx, name, len(mine), err)
		return true
	}
	if err != nil {
		log.Debug().Err(err).Msg("not reading an account that cannot be used")
		return ctx.Err() == nil
	}
	for i := range with {
		_, err := b.read(ctx, session{name, sess}, &with[i], "")
		switch {
		case err != nil && ctx.Err() != nil:
			return false // cut short before its messages were recorded
		case errors.Is(err, errSessionLost), errors.Is(err, errCapped):
			return true
		case err != nil:
			b.pollSoon(name)
		}
	}
	return true
}
