// Package conversation is the reply bridge: it reads the LinkedIn
// conversations the team's sends started (and, with an inbox channel, new
// ones) back into Slack threads, and settles sends whose outcome is
// unknown by looking for their message in the conversation.
//
// What it promises:
//   - Every message of a watched conversation after its start (the send's
//     own message, or the newest at the bot's first poll for the inbox)
//     reaches its thread once, in order: each is recorded before it is
//     posted and marked after, and a post whose try may have landed is
//     looked for before it is made again. This machine's clock may be
//     clockSkew off LinkedIn's (see verify.go).
//   - An unknown send is settled by identity (the last message seen before
//     its call, entity URNs), never by comparing clocks; a read that fails
//     is tried again, and a send that cannot be checked says so.
//   - Credits are spent only where something changed: one inbox page per
//     poll (1 credit per 10 conversations), then only the conversations
//     whose last message changed. Polls slow down, doubling, while nothing
//     happens. READ_CREDITS_PER_DAY caps the day's reading.
//   - Reading never sends anything.
package conversation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"linkedin-bot/linkup"
	"linkedin-bot/slackpost"
	"linkedin-bot/store"
)

// Linkup reads conversations; *linkup.Client is the production one.
type Linkup interface {
	Inbox(ctx context.Context, q linkup.InboxQuery) (linkup.InboxPage, error)
	Conversation(ctx context.Context, q linkup.ConversationQuery) (linkup.ConversationPage, error)
}

// Slack is the part of the Web API the bridge posts with; *slack.Client is
// the production one.
type Slack interface {
	slackpost.Reader
	slackpost.Opener
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	GetPermalinkContext(ctx context.Context, params *slack.PermalinkParameters) (string, error)
}

// Sessions gives the bridge each account's LinkedIn session; the wiring
// adapts *account.Service.
type Sessions interface {
	// Readers are the accounts that can be read now: the default and every
	// connected one.
	Readers(ctx context.Context) ([]Reader, error)
	// Session returns account name's login token ("" for the default: the
	// client's own) and country; an error when it cannot be used (expired,
	// removed).
	Session(ctx context.Context, name string) (linkup.Session, error)
	// Expire marks name's session expired after Linkup refused it, and
	// returns who to tell, once.
	Expire(ctx context.Context, name string) (tell string, err error)
	// Contact is who to tell about account name (its owner, else whoever
	// connected it); empty when nobody.
	Contact(ctx context.Context, name string) (string, error)
}

// Reader is an account the bridge reads.
type Reader struct {
	Name string
	// Inbox: its new inbound conversations go to InboxChannel. The default
	// and shared accounts' do; a person's own inbox stays theirs.
	Inbox bool
}

// Config tunes a Bridge.
type Config struct {
	// Sessions gives each account's session; required.
	Sessions Sessions
	// Reconnect, when set, says how an expired account is connected again.
	Reconnect func(name string) string
	// InboxChannel, when set, gets a root message for each new conversation
	// that did not start from Slack.
	InboxChannel string
	// NotifyChannel, when set, gets one line per new reply.
	NotifyChannel string
	// CreditsPerDay caps the credits spent reading per UTC day; 0 turns all
	// reading off.
	CreditsPerDay int
	// PollInterval is the fastest pace of inbox polls; PollMax the slowest,
	// reached by doubling while polls find nothing new.
	PollInterval, PollMax time.Duration
	// WatchFor is how long a conversation is watched after its last activity.
	WatchFor time.Duration
	// CheckAfter is when an unknown send is first checked, after it became
	// unknown; it is checked again at 3 and 10 times that.
	CheckAfter time.Duration
	// Pacer shares Linkup's rate with the sends, which come first.
	Pacer *linkup.Pacer
	// Settled is told the ID of each send a check settled, so that its
	// verdict is posted at once; optional.
	Settled func(id int64)
	// Changed, when set, is told the requester of each conversation a reply
	// was posted in, for their Home tab; it must not block.
	Changed func(user string)
	// ReadCredits, when set, is told the read credits spent for an
	// account's reads; Mirrored, each LinkedIn reply posted in Slack, lag
	// after its own time (LinkedIn's clock against this bot's). For the
	// metrics; they must not block.
	ReadCredits func(account string, n int)
	Mirrored    func(lag time.Duration)
	// DryRun turns reading off: a dry run calls Linkup for nothing.
	DryRun bool
	// Account is the default account's name (LINKUP_ACCOUNT_NAME): the
	// conversations mirrored before accounts existed are its.
	Account string
	// Tick is how often local work runs (new sends to watch, checks due,
	// posts owed); min(PollInterval/4, 5s) when zero.
	Tick time.Duration
	// Live (Linkup v2) makes replies live with Webhooks: each account read
	// gets a hosted webhook whose event stream the bridge holds (live.go);
	// its inbox is then polled only every SafetyPoll, for safety. Without
	// Webhooks, or on v1, the bridge polls.
	Live     bool
	Webhooks Webhooks
	// StreamIdle is how long a stream may send nothing, not even a
	// keepalive, before it is taken for dead and opened again;
	// linkup.DefaultStreamIdle when zero.
	StreamIdle time.Duration
	// SafetyPoll is how often a live account's inbox is polled while its
	// stream is whole, for what Linkup's monitoring might miss; at least
	// PollMax (which it is when zero).
	SafetyPoll time.Duration
	// Invitations, when set, is told each accepted_invitation event, and
	// its accounts with invitations pending are watched live too (v2).
	Invitations Invitations
}

// Invitations hears of accepted connection requests (package invite,
// injected at wiring: this package does not import it).
type Invitations interface {
	// PendingAccounts are the accounts with invitations waiting for an answer.
	PendingAccounts(ctx context.Context) (map[string]bool, error)
	// Accepted handles an accepted_invitation event of account; handling
	// one twice must do nothing twice.
	Accepted(ctx context.Context, account string, people []linkup.Person)
}

// Summary is the bridge's settings in one line, for the start-up log and doctor.
func (c Config) Summary() string {
	if c.DryRun {
		return "off: dry run (LINKUP_DRY_RUN), nothing is read"
	}
	if c.CreditsPerDay == 0 {
		return "off (READ_CREDITS_PER_DAY=0): no replies are mirrored and unknown sends are not checked"
	}
	inbox := "not mirrored (INBOX_CHANNEL empty)"
	if c.InboxChannel != "" {
		inbox = "of the default and shared accounts to " + c.InboxChannel
	}
	how := fmt.Sprintf("polls each account's inbox every %s, slowing to %s when quiet", short(c.PollInterval), short(c.PollMax))
	if c.Live {
		how = fmt.Sprintf("live: each account read gets a Linkup webhook whose event stream is held (dead after %s of silence) and caught up through its replay, its inbox polled only every %s for safety (as on v1, every %s slowing to %s, while it has no webhook or its stream is down)",
			short(c.StreamIdle), short(c.SafetyPoll), short(c.PollInterval), short(c.PollMax))
	}
	return fmt.Sprintf("%s; watches a conversation %s after its last activity; at most %d read credits a day; checks unknown sends after %s, %s and %s; inbound conversations %s",
		how, days(c.WatchFor), c.CreditsPerDay, short(c.CheckAfter), short(3*c.CheckAfter), short(10*c.CheckAfter), inbox)
}

// short writes a duration without its zero units: 5m, 1h30m, 300ms.
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}

// checkTimes are when an unknown send is read, in CheckAfter units.
var checkTimes = []time.Duration{1, 3, 10}

// Bridge mirrors LinkedIn conversations into Slack threads.
type Bridge struct {
	cfg    Config
	store  *store.Store
	linkup Linkup
	slack  Slack
	log    zerolog.Logger
	now    func() time.Time

	stop chan struct{}
	once sync.Once
	done sync.WaitGroup

	// Owned by the loop.
	held     bool          // this bot holds the bridge's lease
	told     bool          // the log said which bot runs the bridge
	pace     time.Duration // the wait after the last poll
	nextPoll time.Time
	nextOwed time.Time     // when owed posts are tried again
	owedWait time.Duration // the last wait after owed posts failed; 0 after a round that made them all
	// slackFree is when Slack takes posts again: it rate-limited one, and
	// said to wait until then (Retry-After). No post is tried before.
	slackFree time.Time
	badToken  map[string]bool // account → its unopenable token was told (tellBadToken); absent: not looked up yet

	// Live replies (live.go), owned by the loop but for the notes the
	// streams' goroutines send.
	loopCtx    context.Context
	notes      chan note
	streams    map[string]*liveStream // account → its stream held
	lastPoll   map[string]time.Time   // account → its last inbox poll
	retryAt    map[string]time.Time   // account → when its refused webhook is asked for again
	nextManage time.Time

	links slackpost.Permalinks
	dms   slackpost.DMs // the requesters' DMs, where messages fall back
}

// New returns a Bridge; Start runs it.
func New(cfg Config, st *store.Store, lk Linkup, sl Slack, log zerolog.Logger) *Bridge {
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 5 * time.Minute
	}
	if cfg.PollMax < cfg.PollInterval {
		cfg.PollMax = cfg.PollInterval
	}
	if cfg.SafetyPoll < cfg.PollMax {
		cfg.SafetyPoll = cfg.PollMax
	}
	if cfg.WatchFor <= 0 {
		cfg.WatchFor = 30 * 24 * time.Hour
	}
	if cfg.CheckAfter <= 0 {
		cfg.CheckAfter = 2 * time.Minute
	}
	if cfg.Tick <= 0 {
		cfg.Tick = min(cfg.PollInterval/4, 5*time.Second)
	}
	if !cfg.Live {
		cfg.Webhooks = nil
	}
	if cfg.StreamIdle <= 0 {
		cfg.StreamIdle = linkup.DefaultStreamIdle
	}
	return &Bridge{cfg: cfg, store: st, linkup: lk, slack: sl, log: log.With().Str("part", "bridge").Logger(), now: time.Now,
		stop: make(chan struct{}), pace: cfg.PollInterval, notes: make(chan note, 256)}
}

// Start starts the loop; with reading off it does nothing.
func (b *Bridge) Start(ctx context.Context) error {
	if b.cfg.CreditsPerDay == 0 || b.cfg.DryRun {
		return nil
	}
	if b.cfg.Sessions == nil {
		return errors.New("the reply bridge has no sessions to read with")
	}
	if err := b.store.NameDefaultAccount(ctx, b.cfg.Account); err != nil {
		return err
	}
	b.nextPoll = b.now() // the first poll at once: catch up on what came while the bot was down
	b.done.Go(b.loop)
	return nil
}

// Close stops the loop and waits for it; a read or post in flight finishes first.
func (b *Bridge) Close() {
	b.once.Do(func() { close(b.stop) })
	b.done.Wait()
}

func (b *Bridge) stopping() bool {
	select {
	case <-b.stop:
		return true
	default:
		return false
	}
}

func (b *Bridge) loop() {
	// One context for the loop's life: Close ends the read in flight.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-b.stop
		cancel()
	}()
	b.loopCtx = ctx
	defer b.releaseAll()
	t := time.NewTicker(b.cfg.Tick)
	defer t.Stop()
	for {
		b.cycle(ctx)
		for waiting := true; waiting; {
			select {
			case <-t.C:
				waiting = false
			case n := <-b.notes:
				b.heard(ctx, n)
			case <-b.stop:
				return
			}
		}
	}
}

// cycle runs the local work, the checks due and, when due, a poll, on the
// one bot that holds the bridge's lease: the others wait to take it over.
// What Close cuts short (ctx ends with it) is the shutdown, not a failure:
// it is not logged as one.
func (b *Bridge) cycle(ctx context.Context) {
	held, err := b.store.Hold(ctx, store.BridgeJob)
	if err != nil {
		if ctx.Err() == nil { // else Close cut it short: the shutdown, not a problem
			b.log.Warn().Err(err).Msg("could not tell whether this bot runs the reply bridge; trying again")
		}
		b.releaseAll() // another bot may take the bridge meanwhile: one holds the streams
		return
	}
	if held != b.held || !b.told {
		b.held, b.told = held, true
		if held {
			b.log.Info().Msg("this bot runs the reply bridge")
		} else {
			b.log.Info().Msg("another bot runs the reply bridge; this one takes over if it stops")
		}
	}
	if !held {
		b.releaseAll() // another bot holds the streams now
		return
	}
	now := b.now()
	if !now.Before(b.nextOwed) {
		b.nextOwed = now.Add(time.Minute)
		b.deliverOwed(ctx)
	}
	if b.stopping() {
		return
	}
	if b.adopt(ctx) > 0 {
		// A new send: its reply may come soon.
		b.pace = b.cfg.PollInterval
		b.nextPoll = minTime(b.nextPoll, now.Add(b.cfg.PollInterval))
		b.nextManage = now // and its account may need a webhook
	}
	if b.stopping() {
		return
	}
	if !now.Before(b.nextManage) {
		b.manage(ctx)
	}
	if b.stopping() {
		return
	}
	b.runChecks(ctx)
	if now.Before(b.nextPoll) || b.stopping() {
		return
	}
	news, err := b.poll(ctx)
	switch {
	case err != nil && errors.Is(err, errCapped):
		b.pace = b.cfg.PollInterval // the cap lifts at midnight UTC; spend checks it
	case news > 0:
		b.pace = b.cfg.PollInterval
	default:
		b.pace = min(2*b.pace, b.cfg.PollMax)
	}
	if err != nil && !errors.Is(err, errCapped) && !errors.Is(err, context.Canceled) {
		b.log.Warn().Err(err).Stringer("next_in", b.pace).Msg("polling LinkedIn failed")
	}
	b.nextPoll = b.now().Add(b.pace)
	b.log.Debug().Int("new", news).Stringer("next_in", b.pace).Msg("polled LinkedIn")
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// adopt watches the conversations of sends that went out since the last
// cycle, and returns how many it took.
func (b *Bridge) adopt(ctx context.Context) int {
	sends, err := b.store.Unbridged(ctx)
	if err != nil {
		if ctx.Err() == nil {
			b.log.Error().Err(err).Msg("listing sent messages failed")
		}
		return 0
	}
	taken := 0
	horizon := b.now().Add(-b.cfg.WatchFor)
	for _, sd := range sends {
		log := b.log.With().Int64("send_id", sd.ID).Logger()
		at := sd.CalledAt
		if at.IsZero() {
			at = sd.CreatedAt
		}
		if at.After(horizon) && sd.RootChannel != "" {
			c := store.Conversation{
				Account:        sd.Account,
				ConversationID: sd.ConversationID,
				ProfileURL:     sd.Recipient,
				Requester:      sd.Requester,
				Channel:        sd.RootChannel,
				ThreadTS:       sd.Thread(),
				// at is this machine's time and LinkedIn's may be behind:
				// the send's own message says where it starts (afterStart).
				Since:        at.Add(-clockSkew),
				LastActivity: at,
			}
			if _, err := b.store.WatchSend(ctx, sd.ID, c); err != nil {
				if ctx.Err() == nil {
					log.Error().Err(err).Msg("watching the send's conversation failed")
				}
				continue
			}
			taken++
			log.Debug().Str("conversation", sd.ConversationID).Msg("watching the send's conversation")
			continue
		}
		// Too old to watch, or announced nowhere: nothing to mirror.
		if err := b.store.MarkBridged(ctx, sd.ID); err != nil && ctx.Err() == nil {
			log.Error().Err(err).Msg("recording a watched send failed")
		}
	}
	return taken
}

// Lookup returns mirrored conversation id, for the Reply button.
func (b *Bridge) Lookup(ctx context.Context, id int64) (store.Conversation, error) {
	return b.store.GetConversation(ctx, id)
}

// ByThread returns the conversation mirrored in a Slack thread (or the
// recipient of the send announced there); store.ErrNotFound when none.
func (b *Bridge) ByThread(ctx context.Context, channel, threadTS string) (store.Conversation, error) {
	return b.store.ConversationByThread(ctx, channel, threadTS)
}
