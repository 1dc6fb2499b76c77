// Package send is how a LinkedIn message goes out: requests are written to
// the send log (package store) before anything else, workers claim them
// from it and call Linkup, and each outcome is delivered to Slack (the
// request's thread or response_url, and the team notification channel).
//
// The rules it keeps:
//   - One send per logical request: a repeated idempotency key sends nothing.
//   - At most once to Linkup: only a failure known to have happened before
//     Linkup processed the request (connection refused, a real HTTP 429) is
//     retried by the bot; a timeout, a lost connection or a 5xx is unknown,
//     never resent.
//   - Every accepted request ends sent, failed with a reason, or unknown,
//     and its requester is told, across crashes and restarts.
//   - Slack is told only what the log holds, and each post's try is recorded
//     before it is made: a crash can repeat a post at most once, never lose it.
//   - Several bots may share a log (PostgreSQL): each send is claimed by one,
//     whose lease covers it until its posts are made; a bot that stops
//     renewing its leases (it died) has its work taken over by the others,
//     with the crash rules.
//
// A text send costs three writes to the log: its accept; its claim, which
// also records that Linkup is about to be called and the try of its
// announcement, and is synced to disk before the call; and its outcome,
// which also records where it was announced and the tries of its outcome
// and notification. What the posts then did is written for many sends at a
// time (records.go).
package send

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"golang.org/x/time/rate"

	"linkedin-bot/linkup"
	"linkedin-bot/slackpost"
	"linkedin-bot/store"
)

// Linkup sends one message; *linkup.Client is the production one.
type Linkup interface {
	SendMessage(ctx context.Context, m linkup.Message) (linkup.Result, error)
}

// Slack is the part of the Slack Web API the pipeline posts with; *slack.Client
// is the production one.
type Slack interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
	GetPermalinkContext(ctx context.Context, params *slack.PermalinkParameters) (string, error)
	GetConversationHistoryContext(ctx context.Context, params *slack.GetConversationHistoryParameters) (*slack.GetConversationHistoryResponse, error)
	GetConversationRepliesContext(ctx context.Context, params *slack.GetConversationRepliesParameters) ([]slack.Message, bool, string, error)
}

// Files opens Slack files for download; *SlackFiles is the production one.
type Files interface {
	Open(ctx context.Context, url string) (io.ReadCloser, error)
}

// Request is one request to send a LinkedIn message, as the Slack surface
// hands it over.
type Request struct {
	// IdemKey names the logical request (see store.IdemKey); a second
	// request with the same key is a duplicate and sends nothing.
	IdemKey string
	// UserID is the Slack user who asked.
	UserID string
	// ChannelID is where the request's messages go: the origin channel, or
	// the user's ID for a DM from the bot.
	ChannelID string
	// ThreadTS, when set, puts the request's messages in that thread.
	ThreadTS string
	// ResponseURL, when set, is used where the bot cannot post in ChannelID.
	// It is in clear here; the log keeps it sealed (Config.Sealer).
	ResponseURL string
	// Message is what goes to Linkup, already validated; its Media is unused.
	Message linkup.Message
	// File, when set, is attached (unless Message.MediaLink is set, which wins).
	File *File
	// Account is the LinkedIn account to send from, checked against those
	// UserID may use; empty picks their best (see Sessions.Pick).
	Account string
}

// Sessions gives each account's LinkedIn session; *account.Service (through
// the wiring) is the production one.
type Sessions interface {
	// Session is account's login token (empty: the client's own) and
	// country; store.ErrAccountExpired when its session expired.
	Session(ctx context.Context, account string) (linkup.Session, error)
	// Expire marks account's session expired and returns who to tell, once.
	Expire(ctx context.Context, account string) (tell string, err error)
	// IsDefault reports whether account is the default one (LINKUP_LOGIN_TOKEN).
	IsDefault(account string) bool
	// Pick is the account user sends from: want when set and allowed, else
	// their best. Its errors are the requester's to read (no account, not
	// allowed, expired); nothing is recorded then.
	Pick(ctx context.Context, user, want string) (string, error)
	// MayUse says whether user may act now on what was sent from account
	// (a retry): nil when they may send from it now; otherwise an error
	// for them to read (not allowed, expired), and nothing is recorded.
	MayUse(ctx context.Context, user, account string) error
}

// Errors of Submit and Retry. A *store.CapError says the daily cap is reached.
var (
	// ErrClosed: the pipeline is shutting down; nothing was recorded.
	ErrClosed = errors.New("the bot is shutting down")
	// ErrDuplicate: the request was already accepted; nothing new was recorded.
	ErrDuplicate = store.ErrDuplicate
	// ErrNotRetryable: only failed and unknown sends can be retried.
	ErrNotRetryable = errors.New("only a failed or unknown send can be retried")
	// ErrNotRecorded: the log did not record the request within
	// AcceptBudget; it will not be sent.
	ErrNotRecorded = errors.New("the request could not be recorded in time")
)

// AcceptBudget is the longest a request waits to be recorded, so that it is
// acked well within Slack's 3 s.
const AcceptBudget = 2 * time.Second

// Config tunes a Pipeline.
type Config struct {
	// Workers is how many sends run at once; 4 when zero.
	Workers int
	// Account is the stable name of the LinkedIn account sends go from
	// (never its token), for the daily cap; "default" when empty.
	Account string
	// DailyLimit caps the sends per account per UTC day; 0 means no cap.
	DailyLimit int
	// NotifyChannel, when set, gets one line per finished send.
	NotifyChannel string
	// MaxAttempts bounds the Linkup calls of one send that fail before
	// reaching Linkup (connection refused, 429); 4 when zero.
	MaxAttempts int
	// RetryBase is the first wait after a connection refused, doubled at
	// each attempt; 1 s when zero. A 429's Retry-After wins over it.
	RetryBase time.Duration
	// SlackTimeout bounds one delivery to Slack, its retries after 429 or
	// 5xx included; 60 s when zero.
	SlackTimeout time.Duration
	// HTTPClient posts to response_urls; a plain client when nil.
	HTTPClient *http.Client
	// Sealer seals each send's response_url in the log, bound to its
	// idempotency key; one that does not open is no response_url. Nil
	// seals under a key of this process only (what it sealed does not
	// open after a restart, or in another replica).
	Sealer *slackpost.Sealer
	// Files downloads attached Slack files; required for requests with a File.
	Files Files
	// DownloadTimeout bounds a download of an attached file, from its
	// request to its last byte; 65 s when zero.
	DownloadTimeout time.Duration
	// RedeliverEvery is how often outcome posts that could not be made are
	// tried again; 1 min when zero.
	RedeliverEvery time.Duration
	// DryRun marks every send as a dry run (LINKUP_DRY_RUN): the Linkup
	// given to New must then be a linkup.DryRun. Dry runs count toward no
	// daily cap.
	DryRun bool
	// LinkupVersion is the Linkup API the sends go through (linkup.V1,
	// the default, or V2), recorded with each send Linkup answered: v2
	// bills no error, so a send it refused cost nothing (and says so).
	LinkupVersion string
	// Sessions gives each send's account its session; nil sends everything
	// from the default account (the Linkup client's own token).
	Sessions Sessions
	// SelfService: people connect their own account with /linkedin-send
	// connect, which the reconnection hints say.
	SelfService bool
	// Changed, when set, is told the requester of each send that changed
	// (announced, finished, settled), for their Home tab; it must not block.
	Changed func(user string)
	// Finished, when set, is told each send whose outcome this bot
	// recorded (or that it found unknown after a crash), and each request
	// refused at the daily cap (recorded or not), with its state as the
	// metrics name it: sent, dry_run, failed, unknown, or RefusedCap; it
	// must not block.
	Finished func(state string, sd store.Send)
	// Pacer paces the Linkup calls (Linkup allows 300 per minute per API
	// key, reads included); nil means no cap. Sends wait in the queue for
	// their turn.
	Pacer *linkup.Pacer
}

// maxRetryAfter is the longest Retry-After the bot waits on its own; a
// longer one fails the send with the reason.
const maxRetryAfter = 10 * time.Minute

// Pipeline runs sends from the log on a bounded pool of workers.
type Pipeline struct {
	cfg    Config
	store  *store.Store
	linkup Linkup
	slack  Slack
	log    zerolog.Logger

	wake  chan struct{} // a token: there may be work
	stop  chan struct{} // closed by Close (under mu): claim nothing more
	once  sync.Once
	slots chan struct{} // one token per send running, Workers at most

	links   slackpost.Permalinks
	records *records // what deliveries posted, written in groups

	mu         sync.Mutex
	delivering map[int64]bool // sends whose outcome posts are being made
	// abandoned holds the tokens of accepts that failed (see abandon)
	// until their row is abandoned or found by a worker.
	abandoned map[string]bool
	now       func() time.Time

	// work is the context of Linkup calls; it ends only when a shutdown
	// runs out of time.
	work       context.Context
	cancelWork context.CancelFunc
	workers    sync.WaitGroup
}

// New returns a Pipeline over the log st; Start runs it.
func New(cfg Config, st *store.Store, lk Linkup, sl Slack, log zerolog.Logger) *Pipeline {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 4
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = time.Second
	}
	if cfg.SlackTimeout <= 0 {
		cfg.SlackTimeout = 60 * time.Second
	}
	if cfg.Account == "" {
		cfg.Account = "default"
	}
	if cfg.DownloadTimeout <= 0 {
		cfg.DownloadTimeout = 65 * time.Second
	}
	if cfg.RedeliverEvery <= 0 {
		cfg.RedeliverEvery = time.Minute
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Sealer == nil {
		cfg.Sealer = slackpost.EphemeralSealer()
	}
	work, cancel := context.WithCancel(context.Background())
	p := &Pipeline{
		cfg:        cfg,
		store:      st,
		linkup:     lk,
		slack:      sl,
		log:        log,
		wake:       make(chan struct{}, 1),
		slots:      make(chan struct{}, cfg.Workers),
		delivering: map[int64]bool{},
		abandoned:  map[string]bool{},
		now:        time.Now,
		stop:       make(chan struct{}),
		work:       work,
		cancelWork: cancel,
	}
	p.records = newRecords(st, log, p.persist)
	return p
}

// crashReason is told to the requester of a send a crash left in flight.
const crashReason = "The bot stopped while this message was being sent, so its outcome could not be confirmed. " +
	"Check the conversation on LinkedIn before sending it again."

// Start recovers from the previous run and starts the workers: sends a
// crash left claimed become "unknown" (never resent: Linkup may have been
// called), unless they were claimed over the daily cap, not to be called,
// which go back in the queue; outcomes not yet delivered are delivered,
// then tried again every RedeliverEvery; queued sends are sent. On a
// shared log, only the work of bots whose leases ran out is recovered.
func (p *Pipeline) Start(ctx context.Context) error {
	requeued, unknown, err := p.store.Recover(ctx, crashReason)
	if err != nil {
		return err
	}
	for _, sd := range requeued {
		p.log.Info().Int64("send_id", sd.ID).Str("user", sd.Requester).Msg("send interrupted by a crash before its call (claimed over the daily cap): queued again")
	}
	for _, sd := range unknown {
		p.log.Warn().Int64("send_id", sd.ID).Str("user", sd.Requester).Msg("send interrupted by a crash after its claim, when Linkup may have been called: outcome unknown, not resent")
		p.finished(sd)
	}
	p.workers.Go(p.redeliver)
	p.workers.Go(p.leases)
	for range p.cfg.Workers {
		p.workers.Go(p.runWorker)
	}
	p.poke()
	return nil
}

// redeliver makes the outcome posts that are owed, at once and then every
// RedeliverEvery, until Close.
func (p *Pipeline) redeliver() {
	t := time.NewTicker(p.cfg.RedeliverEvery)
	defer t.Stop()
	for {
		owed, err := p.store.Undelivered(context.WithoutCancel(p.work))
		if err != nil {
			p.log.Error().Err(err).Msg("listing undelivered outcomes failed")
		}
		for _, sd := range owed {
			if p.stopping() {
				return
			}
			p.deliver(sd, p.sendLog(sd))
		}
		select {
		case <-t.C:
		case <-p.stop:
			return
		}
	}
}

// leases renews this bot's leases every third of their length, and takes
// over the work of a bot that stopped renewing its own (it died): its
// claims, with the crash rules (see Start), and its owed posts, which are
// delivered here. On a log of its own (SQLite), Start already took
// everything, and this finds nothing.
func (p *Pipeline) leases() {
	every := p.store.Lease() / 3
	bots := 1
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(p.work), every)
		if err := p.store.RenewLeases(ctx); err != nil {
			p.log.Error().Err(err).Msg("renewing this bot's leases failed")
		}
		if p.store.Shared() {
			// The bots share one Linkup key: each paces to its share.
			if n, err := p.store.Bots(ctx); err != nil {
				p.log.Warn().Err(err).Msg("counting the bots failed")
			} else if n != bots {
				bots = n
				p.cfg.Pacer.Share(n)
				p.log.Info().Int("bots", n).Msg("bots on this log: Linkup's allowance is shared among them")
			}
		}
		requeued, unknown, err := p.store.RecoverExpired(ctx, crashReason)
		if err != nil {
			p.log.Error().Err(err).Msg("looking for another bot's expired claims failed")
		}
		orphans, err := p.store.Orphaned(ctx)
		cancel()
		if err != nil {
			p.log.Error().Err(err).Msg("looking for another bot's owed posts failed")
		}
		for _, sd := range requeued {
			p.log.Info().Int64("send_id", sd.ID).Str("user", sd.Requester).Str("from", sd.Owner).Msg("another bot stopped before this send's call (claimed over the daily cap): queued again")
		}
		if len(requeued) > 0 {
			p.poke()
		}
		// The posts are made beside this loop: a slow Slack must not hold
		// up the renewals, or this bot's own leases would run out.
		for _, sd := range unknown {
			p.log.Warn().Int64("send_id", sd.ID).Str("user", sd.Requester).Msg("another bot stopped after claiming this send, when Linkup may have been called: outcome unknown, not resent")
			p.finished(sd)
			p.workers.Go(func() { p.deliver(sd, p.sendLog(sd)) })
		}
		for _, sd := range orphans {
			p.log.Info().Int64("send_id", sd.ID).Str("from", sd.Owner).Msg("another bot stopped with this send's posts owed: making them")
			p.workers.Go(func() { p.deliver(sd, p.sendLog(sd)) })
		}
		select {
		case <-t.C:
		case <-p.stop:
			return
		}
	}
}

// Redeliver makes send id's owed posts now, in the background: a check of
// the conversation settled it and its verdict is owed, or a delivery was
// asked for while another was under way.
func (p *Pipeline) Redeliver(id int64) {
	if p.stopping() {
		return // the next start delivers it
	}
	p.workers.Go(func() {
		sd, err := p.store.Get(context.WithoutCancel(p.work), id)
		if err != nil {
			p.log.Error().Err(err).Int64("send_id", id).Msg("reading a settled send failed; it is delivered later")
			return
		}
		p.deliver(sd, p.sendLog(sd))
	})
}

// startDelivery claims the delivery of send id for this goroutine; false
// when another one is making it, which then delivers once more when it
// ends: what asked now (a verdict, another bot's posts taken over) may
// have made a post owed after that delivery read the send. The value
// kept for a send being delivered says whether it was asked again.
func (p *Pipeline) startDelivery(id int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, busy := p.delivering[id]; busy {
		p.delivering[id] = true
		return false
	}
	p.delivering[id] = false
	return true
}

// endDelivery ends the delivery of send id, and starts it again, from the
// log, when it was asked for meanwhile.
func (p *Pipeline) endDelivery(id int64) {
	p.mu.Lock()
	again := p.delivering[id]
	delete(p.delivering, id)
	p.mu.Unlock()
	if again {
		p.Redeliver(id)
	}
}

// Submit records req as queued and wakes a worker. It returns the recorded
// send, or ErrDuplicate (with the existing send), a *store.CapError, or
// ErrClosed; in each of those cases nothing new will be sent.
func (p *Pipeline) Submit(ctx context.Context, req Request) (store.Send, error) {
	sd := store.Send{
		IdemKey:     req.IdemKey,
		Requester:   req.UserID,
		Channel:     req.ChannelID,
		ThreadTS:    req.ThreadTS,
		ResponseURL: p.cfg.Sealer.Seal(req.ResponseURL, req.IdemKey),
		Recipient:   req.Message.ProfileURL,
		Message:     req.Message.Text,
		Country:     req.Message.Country,
		MediaLink:   req.Message.MediaLink,
		Account:     req.Account,
	}
	if f := req.File; f != nil {
		sd.MediaFileID, sd.MediaName, sd.MediaType, sd.MediaSize, sd.MediaURL = f.ID, f.Name, f.MIME, f.Size, f.URL
	}
	return p.accept(ctx, sd)
}

// Retry records a new attempt at the failed or unknown send id, asked by
// userID, in the same thread. responseURL is the click's own (the original
// request's has expired by now, or soon will). Only one retry per send is
// taken: a second is ErrDuplicate. A retry goes from the original send's
// account, never another, and only when userID may send from it now
// (Sessions.MayUse): else nothing is recorded, and the refusal is returned
// with the original send, as every error that recorded nothing is.
func (p *Pipeline) Retry(ctx context.Context, id int64, userID, responseURL string) (store.Send, error) {
	orig, err := p.store.Get(ctx, id)
	if err != nil {
		return store.Send{}, err
	}
	if orig.State != store.Failed && orig.State != store.Unknown {
		return orig, ErrNotRetryable
	}
	sd := orig
	sd.IdemKey = store.IdemKey("retry", strconv.FormatInt(orig.ID, 10))
	sd.RetryOf = orig.ID
	sd.Requester = userID
	sd.ResponseURL = p.cfg.Sealer.Seal(responseURL, sd.IdemKey)
	sd.ThreadTS = orig.Thread()
	out, err := p.accept(ctx, sd)
	if err != nil && out.ID == 0 {
		return orig, err // nothing recorded: the send it would have retried
	}
	return out, err
}

// accept records sd within AcceptBudget. When the log does not answer in
// time, this accept is abandoned (ErrNotRecorded): if its write lands
// later after all, the send is failed unless a worker had already claimed
// it (see abandon). A request already recorded under the same key by
// another accept is untouched: it is a duplicate.
func (p *Pipeline) accept(ctx context.Context, sd store.Send) (store.Send, error) {
	select {
	case <-p.stop:
		return store.Send{}, ErrClosed
	default:
	}
	sd.DryRun = p.cfg.DryRun
	// One budget for the log, the account lookup included: the ack waits for both.
	actx, cancel := context.WithTimeout(ctx, AcceptBudget)
	defer cancel()
	switch {
	case sd.RetryOf != 0 && p.cfg.Sessions != nil:
		// A retry goes from the account of the send it retries, and only
		// for someone who may send from it now.
		if err := p.cfg.Sessions.MayUse(actx, sd.Requester, sd.Account); err != nil {
			return store.Send{}, p.refuse(actx, sd, err)
		}
	case sd.RetryOf != 0:
	case p.cfg.Sessions != nil:
		name, err := p.cfg.Sessions.Pick(actx, sd.Requester, sd.Account)
		if err != nil {
			return store.Send{}, p.refuse(actx, sd, err)
		}
		sd.Account = name
	case sd.Account == "":
		sd.Account = p.cfg.Account
	}
	sd.AcceptToken = store.NewAcceptToken()
	run, direct := p.direct()
	var out store.Send
	var err error
	if direct {
		out, err = p.store.AcceptClaimed(actx, sd, p.dailyLimit())
		run(out, err == nil)
	} else {
		out, err = p.store.Accept(actx, sd, p.dailyLimit())
	}
	var ce *store.CapError
	switch {
	case err == nil:
		if !direct {
			p.poke()
		}
	case errors.Is(err, ErrDuplicate):
		p.log.Info().Str("idem_key", sd.IdemKey).Int64("send_id", out.ID).Msg("duplicate request ignored")
	case errors.As(err, &ce):
		p.finished(sd, RefusedCap)
	default:
		if held, ok := p.heldByAnother(ctx, sd); ok {
			p.log.Info().Err(err).Str("idem_key", sd.IdemKey).Int64("send_id", held.ID).Msg("duplicate request ignored (its repeat could not be recorded in time)")
			return held, ErrDuplicate
		}
		p.log.Error().Err(err).Str("idem_key", sd.IdemKey).Msg("the request could not be recorded in time; it will not be sent")
		p.abandon(sd, direct)
		return store.Send{}, fmt.Errorf("%w: %w", ErrNotRecorded, err)
	}
	return out, err
}

// refuse is the error of a request whose account check failed with err:
// ErrNotRecorded when the accounts could not be read in time, else err,
// the requester's to read. A request refused for the account it names
// (one they chose, a reply's or a retry's: not allowed, expired) is logged.
func (p *Pipeline) refuse(actx context.Context, sd store.Send, err error) error {
	if actx.Err() != nil {
		p.log.Error().Err(err).Str("idem_key", sd.IdemKey).Msg("the accounts could not be read in time; the request is not recorded")
		return fmt.Errorf("%w: %w", ErrNotRecorded, err)
	}
	if sd.Account != "" {
		p.log.Warn().Err(err).Str("user", sd.Requester).Str("account", sd.Account).Int64("retry_of", sd.RetryOf).Str("idem_key", sd.IdemKey).
			Msg("refused for its account; nothing recorded, nothing sent")
	}
	return err
}

// keyCheckBudget bounds the read that tells a repeat from a request
// not recorded, after AcceptBudget ran out: the ack waits for both.
const keyCheckBudget = 500 * time.Millisecond

// heldByAnother returns the send another accept recorded under sd's key,
// read beside the writes: sd is then a repeat of a recorded request (the
// same envelope again, a second click), whose own write can never land.
func (p *Pipeline) heldByAnother(ctx context.Context, sd store.Send) (store.Send, bool) {
	kctx, cancel := context.WithTimeout(ctx, keyCheckBudget)
	defer cancel()
	held, err := p.store.KeyHolder(kctx, sd.IdemKey)
	if err != nil || held.AcceptToken == sd.AcceptToken {
		return store.Send{}, false
	}
	return held, true
}

// direct takes a worker's place and the Linkup rate limit's turn for a
// request to be sent as soon as it is recorded, without waiting in the
// queue: its accept is its claim (store.AcceptClaimed). ok is false when
// every worker is busy, the rate limit says wait or the pipeline is
// closing: the request is queued. run must be called once, with the
// recorded send and whether it was recorded; it sends it in the
// background, or gives the place and the turn back.
func (p *Pipeline) direct() (run func(sd store.Send, recorded bool), ok bool) {
	select {
	case p.slots <- struct{}{}:
	default:
		return nil, false
	}
	turn := p.cfg.Pacer.Reserve()
	giveBack := func() {
		if turn != nil {
			turn.Cancel()
		}
		<-p.slots
	}
	if turn != nil && turn.Delay() > 0 {
		giveBack()
		return nil, false
	}
	// Counted before Close can wait for the workers.
	p.mu.Lock()
	if p.stopping() {
		p.mu.Unlock()
		giveBack()
		return nil, false
	}
	p.workers.Add(1)
	p.mu.Unlock()
	return func(sd store.Send, recorded bool) {
		if !recorded {
			giveBack()
			p.workers.Done()
			return
		}
		go func() {
			defer p.workers.Done()
			defer func() { <-p.slots }()
			// Durable already: AcceptClaimed returns once its group is synced.
			p.process(sd, nil)
		}()
	}, true
}

// dailyLimit is the cap sends are held to: none for dry runs.
func (p *Pipeline) dailyLimit() int {
	if p.cfg.DryRun {
		return 0
	}
	return p.cfg.DailyLimit
}

// abandonReason is kept in the log for a request recorded too late.
const abandonReason = "The request took too long to record, so the bot answered that nothing was sent, and did not send it."

// abandon gives up the accept of sd (its AcceptToken), which failed, its
// requester told that nothing was sent; claimed says it was AcceptClaimed,
// whose send was not started. If the write lands after all, its row is
// failed in the log once the log answers (store.Abandon), and a worker
// that claims it first does not call Linkup for it (process). A worker
// that claimed it before this was called may be calling Linkup: that send
// is left to end as it does, and its outcome is told in its thread. No
// other request is touched, under the same key or not. A token is kept
// until its row is abandoned or found by a worker: only failed accepts
// add one.
func (p *Pipeline) abandon(sd store.Send, claimed bool) {
	p.mu.Lock()
	p.abandoned[sd.AcceptToken] = true
	p.mu.Unlock()
	p.workers.Go(func() {
		p.persist(p.log, "abandoning a request recorded too late", func(ctx context.Context) error {
			done, err := p.store.Abandon(ctx, sd.IdemKey, sd.AcceptToken, claimed, abandonReason)
			switch {
			case err != nil:
			case done:
				p.log.Warn().Str("idem_key", sd.IdemKey).Msg("a request was recorded after its accept gave up: failed, not sent")
				p.forget(sd.AcceptToken)
			default:
				p.log.Debug().Str("idem_key", sd.IdemKey).Msg("nothing of a given-up accept to abandon: not recorded, or already claimed by a worker")
			}
			return err
		})
	})
}

// abandonedAccept reports whether sd's accept was abandoned, and forgets
// it: the caller fails the send.
func (p *Pipeline) abandonedAccept(sd store.Send) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if sd.AcceptToken == "" || !p.abandoned[sd.AcceptToken] {
		return false
	}
	delete(p.abandoned, sd.AcceptToken)
	return true
}

func (p *Pipeline) forget(token string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.abandoned, token)
}

// persist runs the store write f until it succeeds, backing off from
// 250 ms to 30 s; once Close was called it gives up after three more
// tries. It reports whether f succeeded.
func (p *Pipeline) persist(log zerolog.Logger, doing string, f func(context.Context) error) bool {
	wait := 250 * time.Millisecond
	for try := 1; ; try++ {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(p.work), 10*time.Second)
		err := f(ctx)
		cancel()
		if err == nil {
			if try > 1 {
				log.Info().Int("tries", try).Msg(doing + ": done")
			}
			return true
		}
		log.Error().Err(err).Int("try", try).Stringer("wait", wait).Msg(doing + " failed; trying again")
		if p.stopping() && try >= 3 {
			log.Error().Msg(doing + ": giving up at shutdown")
			return false
		}
		// At Close, the last tries come at once rather than hold up the shutdown.
		select {
		case <-time.After(wait):
		case <-p.stop:
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// Close stops claiming sends and waits for the running ones to finish and
// deliver their outcome; queued sends stay queued for the next start. When
// ctx ends first, Linkup calls still running are cut off (their sends end
// unknown, or stay queued when the request had not left) and Close waits a
// last SlackTimeout for their outcomes to be delivered. It returns ctx's
// error in that case.
func (p *Pipeline) Close(ctx context.Context) error {
	p.once.Do(func() {
		p.mu.Lock()
		close(p.stop)
		p.mu.Unlock()
	})
	done := make(chan struct{})
	go func() {
		p.workers.Wait()
		close(done)
	}()
	select {
	case <-done:
		p.cancelWork()
		p.records.close()
		p.releaseLeases()
		return nil
	case <-ctx.Done():
	}
	p.cancelWork()
	select {
	case <-done:
		p.records.close()
		p.releaseLeases()
	case <-time.After(p.cfg.SlackTimeout):
		p.log.Error().Msg("outcome deliveries still running at exit; they are delivered at the next start, or by another bot once their lease ends")
	}
	return ctx.Err()
}

// releaseLeases hands this bot's owed posts and jobs to the other bots
// at once, at a clean stop.
func (p *Pipeline) releaseLeases() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.store.ReleaseLeases(ctx); err != nil {
		p.log.Warn().Err(err).Msg("releasing this bot's leases failed; another bot takes its work once they end")
	}
}

// poke wakes one idle worker.
func (p *Pipeline) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *Pipeline) stopping() bool {
	select {
	case <-p.stop:
		return true
	default:
		return false
	}
}

// runWorker claims and runs due sends until Close. It takes its turn at the
// Linkup rate limit before it claims, so that a send never waits, claimed,
// for a call it may not make yet; a turn that finds nothing to claim is
// given back.
func (p *Pipeline) runWorker() {
	for !p.stopping() {
		// A place among the Workers, which requests sent at once take too
		// (see direct); a worker waits for work without one.
		select {
		case p.slots <- struct{}{}:
		case <-p.stop:
			return
		}
		wait, until := p.claimAndRun()
		<-p.slots
		if wait {
			p.idle(until)
		}
	}
}

// claimAndRun claims the oldest due send and runs it; wait says there was
// none to run, and until when (when set) the worker may wait for a poke.
func (p *Pipeline) claimAndRun() (wait bool, until time.Time) {
	turn, ok := p.turn()
	if !ok {
		return false, time.Time{}
	}
	sd, ok, err := p.store.Claim(p.work, p.dailyLimit())
	var capped *store.CapError
	if errors.As(err, &capped) {
		err = nil // claimed, not to be called
	}
	if (err != nil || !ok || capped != nil) && turn != nil {
		turn.Cancel()
	}
	if err != nil {
		p.log.Error().Err(err).Msg("claiming a send failed")
		return true, time.Now().Add(time.Second)
	}
	if !ok {
		due, queued, err := p.store.NextDue(p.work)
		if err != nil || !queued {
			due = time.Time{}
		}
		return true, due
	}
	p.poke() // there may be more: let another worker look
	p.process(sd, capped)
	return false, time.Time{}
}

// turn waits until the rate limit allows one more Linkup call and returns
// the reservation; ok is false when Close came first. Without a limit it
// returns at once, with no reservation.
func (p *Pipeline) turn() (r *rate.Reservation, ok bool) {
	r = p.cfg.Pacer.Reserve()
	if r == nil {
		return nil, true
	}
	t := time.NewTimer(r.Delay())
	defer t.Stop()
	select {
	case <-t.C:
		return r, true
	case <-p.stop:
		r.Cancel()
		return nil, false
	}
}

// idle waits for a poke, for due (when set), or for Close.
func (p *Pipeline) idle(due time.Time) {
	var timer <-chan time.Time
	if !due.IsZero() {
		t := time.NewTimer(max(time.Until(due), time.Millisecond))
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-p.wake:
	case <-timer:
	case <-p.stop:
	}
}

func (p *Pipeline) sendLog(sd store.Send) zerolog.Logger {
	return p.log.With().Int64("send_id", sd.ID).Str("user", sd.Requester).Str("channel", sd.Channel).Str("account", sd.Account).Logger()
}

// process runs one claimed send: announce it while Linkup is called
// once (the claim recorded both), then record and deliver the outcome, or
// put the send back in the queue when the call certainly did not reach
// Linkup. A send claimed over its daily cap (capped) is not called.
func (p *Pipeline) process(sd store.Send, capped *store.CapError) {
	log := p.sendLog(sd).With().Int("attempt", sd.Attempts).Logger()
	if p.abandonedAccept(sd) {
		log.Warn().Msg("not sending a request recorded too late")
		p.persist(log, "abandoning a request recorded too late", func(ctx context.Context) error {
			if err := p.store.Finish(ctx, sd.ID, store.Outcome{State: store.Failed, Reason: abandonReason}); err != nil {
				return err
			}
			return p.store.MarkDelivered(ctx, sd.ID, store.Announced, store.OutcomePosted, store.RootUpdated, store.Notified)
		})
		return
	}
	announced := p.announceAsync(sd, log)
	if capped != nil {
		log.Warn().Int("daily_limit", capped.Limit).Msg("daily cap reached when the send came up; not sent")
		p.finish(announced(sd), capOutcome(capped), log, RefusedCap)
		return
	}

	ctx := context.WithoutCancel(p.work)
	sess, err := p.session(ctx, sd)
	if sess.Country != "" {
		sd.Country = sess.Country // an account sends with the country it logged in from
	}
	if le, ok := errors.AsType[*linkup.Error](err); ok && le.Kind == linkup.KindAuth {
		// Linkup refused the session before the send (getting its v2 ID):
		// expired, as a refused send finds it.
		log.Warn().Err(err).Msg("Linkup refused the send's account's session; not sent")
		p.expire(sd, log)
		err = store.ErrAccountExpired
	}
	if err != nil {
		log.Warn().Err(err).Msg("the send's account cannot be used; not sent")
		p.finish(announced(sd), p.accountOutcome(sd.Account, err), log)
		return
	}

	res, err := p.sendOnce(sd, sess, log)
	sd = announced(sd)
	if err != nil {
		le := linkup.AsError(err)
		log.Warn().Err(err).Str("kind", le.Kind.String()).Msg("linkup send failed")
		if le.Kind == linkup.KindAuth {
			p.expire(sd, log)
		}
		if wait, ok := p.retryable(le, sd.Attempts); ok {
			if p.persist(log, "requeueing a send", func(ctx context.Context) error {
				return p.store.Requeue(ctx, sd, p.now().Add(wait), le.Status, le.Message)
			}) {
				log.Info().Stringer("wait", wait).Msg("not sent; queued again")
				p.poke() // an idle worker waits for it to be due
			}
			return
		}
	}
	own := ""
	if p.cfg.Sessions != nil && !p.cfg.Sessions.IsDefault(sd.Account) {
		own = sd.Account
	}
	out := outcomeOf(res, err, own)
	if !sd.DryRun {
		out.LinkupAPI = p.cfg.LinkupVersion
		if out.LinkupAPI == "" {
			out.LinkupAPI = linkup.V1
		}
	}
	if own != "" && err != nil && linkup.AsError(err).Kind == linkup.KindAuth {
		out.Reason += " " + p.Reconnect(own)
	}
	switch {
	case err == nil && sd.DryRun:
		log.Info().Msg("dry run (LINKUP_DRY_RUN): Linkup was not called, nothing was sent")
	case err == nil:
		log.Info().Int("credits", out.Credits).Msg("linkup send succeeded")
	}
	p.finish(sd, out, log)
}

// finish records a send's outcome, then delivers it: Slack is told only
// what the log holds. The same write records where the send was announced
// and the first try of its outcome and notification. When the log cannot
// record it, the thread is told so (once) and the write is tried again
// until it lands.
func (p *Pipeline) finish(sd store.Send, out store.Outcome, log zerolog.Logger, as ...string) {
	out.Announced, out.RootChannel, out.RootTS = sd.Announced, sd.RootChannel, sd.RootTS
	out.Intend = []store.Delivery{store.OutcomePosted}
	if p.cfg.NotifyChannel != "" {
		out.Intend = append(out.Intend, store.Notified)
	}
	told, lost := false, false
	ok := p.persist(log, "recording the outcome", func(ctx context.Context) error {
		err := p.store.Finish(ctx, sd.ID, out)
		if errors.Is(err, store.ErrNotHeld) {
			lost = true
			return nil
		}
		if err != nil && !told {
			told = true
			p.tellUnrecorded(sd, log)
		}
		return err
	})
	if !ok {
		log.Error().Str("state", string(out.State)).Msg("the outcome was never recorded; the next start reports the send as unknown")
		return
	}
	if lost {
		// This bot stalled past its lease: the taker reported the send as
		// unknown, and Linkup's answer is only in this log line.
		log.Error().Str("state", string(out.State)).Str("reason", out.Reason).Msg("another bot took this send over while it was being sent; it reported it as unknown")
		return
	}
	sd.State, sd.Reason, sd.Credits, sd.FinishedAt, sd.LinkupAPI = out.State, out.Reason, out.Credits, p.now(), out.LinkupAPI
	p.finished(sd, as...)
	sd.LinkupStatus, sd.LinkupAnswer, sd.ConversationID, sd.EntityURN = out.LinkupStatus, out.LinkupAnswer, out.ConversationID, out.EntityURN
	sd.OutcomeTries++
	if p.cfg.NotifyChannel != "" {
		sd.NotifyTries++
	}
	p.deliverFrom(sd, log, true, out.Intend)
}

// RefusedCap is the state Config.Finished is told for a request refused
// at the daily cap: when asked (nothing recorded), or when it came up
// (recorded as failed).
const RefusedCap = "refused_cap"

// finished tells Config.Finished of sd, recorded with its outcome, in the
// state the metrics name: as when given, else dry_run, or the store's.
func (p *Pipeline) finished(sd store.Send, as ...string) {
	if p.cfg.Finished == nil {
		return
	}
	state := string(sd.State)
	switch {
	case len(as) > 0:
		state = as[0]
	case sd.DryRun && sd.State == store.Sent:
		state = "dry_run"
	}
	p.cfg.Finished(state, sd)
}

// unrecordedText is told in the thread when the log cannot record an outcome.
const unrecordedText = ":warning: Linkup has answered, but the bot could not record its answer in its send log " +
	"(the disk may be full or the database locked). Do not send this message again: the bot keeps trying, and posts the outcome here once it is recorded."

// tellUnrecorded tells the requester that an outcome is not recorded yet.
// The log cannot record this post's try, so it is made once, here.
func (p *Pipeline) tellUnrecorded(sd store.Send, log zerolog.Logger) {
	ctx, cancel := p.slackCtx()
	defer cancel()
	t := target{channel: sd.Requester}
	if a := sd.Thread(); a != "" && sd.RootChannel != "" {
		t = target{channel: sd.RootChannel, thread: a}
	}
	opts := []slack.MsgOption{slack.MsgOptionText(unrecordedText, false)}
	if t.thread != "" {
		opts = append(opts, slack.MsgOptionTS(t.thread))
	}
	if _, _, err := p.slack.PostMessageContext(ctx, t.channel, opts...); err != nil {
		log.Error().Err(err).Msg("telling the requester that the outcome is not recorded failed")
	}
}

// capOutcome is a send refused at the daily cap when it came up.
func capOutcome(ce *store.CapError) store.Outcome {
	return store.Outcome{State: store.Failed, Reason: fmt.Sprintf("The LinkedIn account's daily limit of %d messages was reached by the time this message came up, so it was not sent. The limit resets at %s UTC.",
		ce.Limit, ce.ResetAt.UTC().Format("15:04"))}
}

// session is what sd goes out as: its account's login token (v1) or
// account ID (v2), and its country; the token is empty for the default
// account of LINKUP_LOGIN_TOKEN (the client's own), which Sessions still
// checks (a stored account may have taken its name since the start).
func (p *Pipeline) session(ctx context.Context, sd store.Send) (linkup.Session, error) {
	if p.cfg.Sessions == nil {
		return linkup.Session{}, nil
	}
	s, err := p.cfg.Sessions.Session(ctx, sd.Account)
	if p.cfg.Sessions.IsDefault(sd.Account) {
		s.Country = "" // the send's own: LINKUP_COUNTRY, unless its requester chose one
	}
	return s, err
}

// Reconnect says how account name is connected again, in a sentence.
func (p *Pipeline) Reconnect(name string) string {
	admin := slackpost.Command("linkedin-bot", "accounts", "connect", "--name", name)
	if name == p.cfg.Account { // the default account: nobody's own, an admin's to connect
		return "It is the team's default account: the bot's admin connects it again with " + admin + " (it keeps its name, history and daily count)."
	}
	if p.cfg.SelfService {
		return "Its owner can connect it again with `/linkedin-send connect` (their own account) or ask the bot's admin to run " + admin + "; it keeps its name, history and daily count."
	}
	return "Whoever owns it must ask the bot's admin to connect it again: " + admin + " (it keeps its name, history and daily count)."
}

// accountOutcome is a send refused before Linkup because of its account.
func (p *Pipeline) accountOutcome(name string, err error) store.Outcome {
	if errors.Is(err, store.ErrAccountExpired) {
		return store.Outcome{State: store.Failed, Reason: fmt.Sprintf("The LinkedIn session of the %s account expired, so nothing was sent and Linkup was not called. ", MrkdwnEscape(name)) + p.Reconnect(name)}
	}
	return store.Outcome{State: store.Failed, Reason: fmt.Sprintf("The %s account cannot be used (%s), so nothing was sent.", MrkdwnEscape(name), MrkdwnEscape(err.Error()))}
}

// expire marks the send's account expired after Linkup refused its
// session, and tells its owner once, in a DM.
func (p *Pipeline) expire(sd store.Send, log zerolog.Logger) {
	if p.cfg.Sessions == nil || p.cfg.Sessions.IsDefault(sd.Account) {
		return
	}
	ctx, cancel := p.slackCtx()
	defer cancel()
	tell, err := p.cfg.Sessions.Expire(ctx, sd.Account)
	if err != nil {
		log.Error().Err(err).Msg("marking the account expired failed")
		return
	}
	log.Warn().Msg("the account's LinkedIn session expired: its sends are refused until it is connected again")
	if tell == "" {
		return
	}
	text := fmt.Sprintf(":warning: The LinkedIn session of the *%s* account expired: LinkedIn sessions end without notice. Nothing more is sent from it until it is connected again. ",
		MrkdwnEscape(sd.Account)) + p.Reconnect(sd.Account)
	if _, _, err := p.slack.PostMessageContext(ctx, tell, slack.MsgOptionText(text, false)); err != nil {
		log.Error().Err(err).Msg("telling the account's owner that its session expired failed")
	}
}

// sendOnce makes the Linkup call as sess (a login token, empty for the
// client's own, or a v2 account ID), streaming the attached Slack file, if any, from its
// download. A file that cannot be had fails the send with KindMedia before
// Linkup is called.
func (p *Pipeline) sendOnce(sd store.Send, sess linkup.Session, log zerolog.Logger) (linkup.Result, error) {
	m := linkup.Message{ProfileURL: sd.Recipient, Text: sd.Message, Country: sd.Country, MediaLink: sd.MediaLink,
		LoginToken: sess.LoginToken, AccountID: sess.AccountID}
	if sd.MediaLink == "" && sd.MediaURL != "" {
		if p.cfg.Files == nil {
			return linkup.Result{}, &linkup.Error{Kind: linkup.KindMedia, Message: "the bot cannot download Slack files"}
		}
		// The download streams into the Linkup call: bound it, so that a
		// stalled one never holds this worker.
		dctx, cancel := context.WithTimeout(p.work, p.cfg.DownloadTimeout)
		defer cancel()
		body, err := p.cfg.Files.Open(dctx, sd.MediaURL)
		if err != nil {
			return linkup.Result{}, &linkup.Error{Kind: linkup.KindMedia, Message: err.Error(), Err: err}
		}
		defer body.Close()
		r, err := confirmType(body, sd.MediaType)
		if err != nil {
			return linkup.Result{}, &linkup.Error{Kind: linkup.KindMedia, Message: err.Error(), Err: err}
		}
		log.Debug().Str("file", sd.MediaFileID).Int64("bytes", sd.MediaSize).Msg("streaming the attachment")
		m.Media = &linkup.Media{MIME: sd.MediaType, Size: sd.MediaSize, Body: r, Name: sd.MediaName}
	}
	return p.linkup.SendMessage(p.work, m)
}

// retryable says whether a failed call may be made again, and after how
// long: only when it certainly did not reach Linkup (le.SafeToResend),
// within MaxAttempts, and not while shutting down (the send then stays
// queued for the next start).
func (p *Pipeline) retryable(le *linkup.Error, attempts int) (time.Duration, bool) {
	if !le.SafeToResend() {
		return 0, false
	}
	if p.work.Err() != nil && le.Kind == linkup.KindUnreachable {
		return 0, true
	}
	if attempts >= p.cfg.MaxAttempts || p.stopping() || le.RetryAfter > maxRetryAfter {
		return 0, false
	}
	if le.RetryAfter > 0 {
		return le.RetryAfter, true
	}
	return p.cfg.RetryBase << (attempts - 1), true
}

// outcomeOf turns Linkup's answer into what the log keeps and the user reads.
// account names a connected account the send went from; empty for the
// default one (LINKUP_LOGIN_TOKEN), whose renewal is an admin's.
func outcomeOf(res linkup.Result, err error, account string) store.Outcome {
	if err == nil {
		return store.Outcome{State: store.Sent, Credits: res.Credits, LinkupStatus: http.StatusOK, LinkupAnswer: res.Message,
			ConversationID: res.ConversationID, EntityURN: res.EntityURN}
	}
	le := linkup.AsError(err)
	o := store.Outcome{State: store.Failed, LinkupStatus: le.Status, LinkupAnswer: le.Message}
	msg := MrkdwnEscape(le.Message)
	switch {
	case le.Kind == linkup.KindInvalid:
		o.Reason = fmt.Sprintf("Linkup refused the message: %s.", msg)
		switch {
		case containsFold(le.Message, "invalid parameter"):
			o.Reason += " " + notConnectedText
		case recipientRefusal(le):
			o.Reason += " " + mayNotBeConnectedText
		}
	case le.Kind == linkup.KindAuth && account != "":
		o.Reason = fmt.Sprintf("The LinkedIn session of the %s account expired (Linkup: %s), so nothing was sent.", MrkdwnEscape(account), msg)
	case le.Kind == linkup.KindKey:
		o.Reason = fmt.Sprintf("Linkup refused the bot's API key (%s): an admin must check LINKUP_API_KEY in the Linkup dashboard. Nothing was sent.", msg)
	case le.Kind == linkup.KindCredits:
		o.Reason = fmt.Sprintf("The Linkup account has no credits left (%s): an admin must add some in the Linkup dashboard. Nothing was sent.", msg)
	case le.Kind == linkup.KindAuth:
		o.Reason = fmt.Sprintf("Linkup did not accept the bot's credentials (%s). The LinkedIn session may have expired or the Linkup account may be out of credits: an admin must renew LINKUP_LOGIN_TOKEN or check the Linkup account. Nothing was sent.", msg)
	case le.Kind == linkup.KindRateLimited:
		wait := "a few minutes"
		if le.RetryAfter > 0 {
			wait = le.RetryAfter.String()
		}
		// A 429 within MaxAttempts was retried; this one was not.
		o.Reason = fmt.Sprintf("Linkup or LinkedIn is limiting the rate of messages (%s). Nothing was sent; try again in %s.", msg, wait)
	case le.Kind == linkup.KindUnreachable:
		o.Reason = "Linkup could not be reached, so nothing was sent. Try again in a moment."
	case le.Kind == linkup.KindMedia:
		o.Reason = fmt.Sprintf("The attachment could not be sent: %s. Nothing was sent.", MrkdwnEscape(linkupCause(le)))
	default:
		o.State = store.Unknown
		o.Reason = fmt.Sprintf("Linkup gave no confirmation (%s). The message may or may not have been sent: check the conversation on LinkedIn before sending it again.", msg)
	}
	return o
}

// linkupCause is the most telling words of a media error: the file error's
// reason when there is one.
func linkupCause(le *linkup.Error) string {
	var fe *FileError
	if errors.As(le, &fe) {
		return fe.Reason
	}
	if le.Err != nil {
		return le.Message + " (" + le.Err.Error() + ")"
	}
	return le.Message
}

// recipientRefusal reports whether le is Linkup's refusal of a send's
// recipient or its parameters: v2's INVALID_PARAMS; on v1, an answer
// (a 4xx, or a 200 with "status":"error") that KindInvalid sorts as none
// of the account's, the credits' or the rate's. The bot's own refusals
// (no answer: Status 0) are not.
func recipientRefusal(le *linkup.Error) bool {
	if le.Kind != linkup.KindInvalid || le.Status == 0 {
		return false
	}
	if le.Code != "" {
		return strings.EqualFold(le.Code, "INVALID_PARAMS")
	}
	return le.Status < 500
}
