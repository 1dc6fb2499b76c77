// Package invite sends LinkedIn connection requests (invitations) from
// Slack and follows them up: when the recipient of a message was refused
// because they are not a connection, the requester invites them with a
// note, and, when asked, the original message goes once they accept.
//
// The rules it keeps, the send pipeline's own:
//   - One invitation per logical request (its Slack view): a repeated
//     idempotency key invites nobody.
//   - At most once to Linkup: the invitation is recorded, and synced,
//     before Linkup is called; a refusal is failed, a timeout or a 5xx is
//     unknown, and neither is ever called again by the bot; a crash
//     during the call leaves it unknown.
//   - The weekly cap (INVITES_PER_WEEK per account, rolling 7 days) is
//     counted in the log, under the account's lock on PostgreSQL, so that
//     replicas share it.
//   - The message sent on acceptance goes exactly once: acceptance and
//     the intent's move to due are one write; the message is then handed
//     to the send pipeline under an idempotency key derived from the
//     invitation, so that taking a crash's due intent up again can never
//     send it twice. Cancel withdraws it until it is handed over.
//   - Expiry, the checks (v1's daily ones; v2's weekly safety net beside
//     its webhook events) and the follow-up of accepted invitations run on
//     the one bot that holds the invitations' job lease.
package invite

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"linkedin-bot/account"
	"linkedin-bot/linkup"
	"linkedin-bot/send"
	"linkedin-bot/slackpost"
	"linkedin-bot/store"
)

// Action IDs of the buttons this package posts; the value of each is an
// invitation's ID.
const (
	// CancelActionID withdraws the message to send on acceptance.
	CancelActionID = "cancel_on_accept"
	// NoNoteActionID invites again without a note, after LinkedIn refused it.
	NoNoteActionID = "invite_without_note"
)

// Linkup sends invitations and checks them; *linkup.Client is the production one.
type Linkup interface {
	Invite(ctx context.Context, inv linkup.Invitation) (linkup.InviteResult, error)
	CheckInvitation(ctx context.Context, profileURL string, sess linkup.Session) (linkup.InvitationStatus, error)
}

// Sessions is the part of the accounts the invitations use (see send.Sessions).
type Sessions interface {
	Session(ctx context.Context, account string) (linkup.Session, error)
	Pick(ctx context.Context, user, want string) (string, error)
	MayUse(ctx context.Context, user, account string) error
}

// Sender hands a message to the send pipeline; *send.Pipeline is the production one.
type Sender interface {
	Submit(ctx context.Context, req send.Request) (store.Send, error)
}

// Slack is the part of the Web API the invitations post with, and read
// their posts back with (slackpost.Find) after an answer that leaves a post
// in doubt, in the bot's DM with a user when the post was addressed to them.
type Slack interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	slackpost.Reader
	slackpost.Opener
}

// Config tunes a Service.
type Config struct {
	// WeekLimit is INVITES_PER_WEEK: invitations per account per rolling
	// 7 days; 0 means no cap.
	WeekLimit int
	// Wait is INVITE_WAIT_DAYS: how long an invitation waits for its
	// acceptance before it expires and its intent is dropped.
	Wait time.Duration
	// Live says acceptances come as events (Linkup v2's webhooks, through
	// Accepted); without it, each pending invitation is checked once a day
	// within CheckCredits.
	Live bool
	// CheckCredits is READ_CREDITS_PER_DAY, which the daily checks share
	// with the reply bridge; 0 turns the checks off.
	CheckCredits int
	// Country is the default proxy country.
	Country string
	// DryRun (LINKUP_DRY_RUN) refuses every invitation: nothing goes to Linkup.
	DryRun bool
	// Tick is how often the job runs (expiry, checks, intents, posts owed); 1 min when zero.
	Tick time.Duration
	// CheckEvery is how often a pending invitation is checked: 24 h when
	// zero, and with Live 7 times that, a safety net for an acceptance
	// whose event was missed (an outage longer than the replay's day).
	CheckEvery time.Duration
	// Credits, when set, is told the credits an invitation ("invite") or a
	// check ("check") cost, for the metrics; it must not block.
	Credits func(kind, account string, n int)
	// Changed, when set, is told the requester of each invitation that
	// changed, for their Home tab; it must not block.
	Changed func(user string)
}

// Errors of Invite, the requester's to read.
var (
	ErrDryRun  = errors.New("invitations are off during a dry run (LINKUP_DRY_RUN): nothing would go to LinkedIn")
	ErrClosed  = errors.New("the bot is shutting down")
	ErrNoteLen = fmt.Errorf("a note may be at most %d characters (LinkedIn's limit)", linkup.MaxNoteRunes)
	// ErrNotRefused: an invitation follows only a send Linkup refused for its recipient.
	ErrNotRefused = errors.New("that message was not refused for its recipient, so there is nothing to invite from it")
)

// Service sends invitations and follows them up.
type Service struct {
	cfg      Config
	store    *store.Store
	linkup   Linkup
	sessions Sessions
	sender   Sender
	slack    Slack
	log      zerolog.Logger
	now      func() time.Time
	// grace is how long a calling invitation may be another call's in
	// flight (its Linkup timeout is under it) before it is recovered.
	grace time.Duration

	mu      sync.Mutex
	closed  bool
	capped  map[int64]time.Time // intents the daily cap refused, not before then
	running sync.WaitGroup
	stop    chan struct{}
	wake    chan struct{}

	dms slackpost.DMs // the requesters' DMs, where a post to a user's ID is looked for
}

// New returns a Service; Start runs its job.
func New(cfg Config, st *store.Store, lk Linkup, sessions Sessions, sender Sender, sl Slack, log zerolog.Logger) *Service {
	if cfg.Tick <= 0 {
		cfg.Tick = time.Minute
	}
	if cfg.CheckEvery <= 0 {
		cfg.CheckEvery = 24 * time.Hour
	}
	if cfg.Live {
		cfg.CheckEvery *= 7
	}
	if cfg.Wait <= 0 {
		cfg.Wait = 21 * 24 * time.Hour
	}
	return &Service{cfg: cfg, store: st, linkup: lk, sessions: sessions, sender: sender, slack: sl,
		log: log.With().Str("component", "invitations").Logger(), now: time.Now, grace: 2 * time.Minute,
		capped: map[int64]time.Time{}, stop: make(chan struct{}), wake: make(chan struct{}, 1)}
}

// Request is one request to invite someone, as the Slack surface hands it over.
type Request struct {
	// IdemKey names the logical request (its Slack view); a second with it invites nobody.
	IdemKey string
	UserID  string
	// Channel and ThreadTS are where the story is told; from a failed
	// send, its own thread wins.
	Channel, ThreadTS string
	// Profile is the person, as linkup.ProfileURL returns it; from a
	// failed send, its recipient wins.
	Profile string
	Note    string
	// Account is the account to invite from (empty: the requester's best);
	// from a failed send, its account wins.
	Account string
	// FromSend is the failed send the invitation follows (0: none), whose
	// message SendOnAccept sends once they accept.
	FromSend     int64
	SendOnAccept bool
}

// Invite records req's invitation and calls Linkup for it in the
// background, telling the outcome in its thread. It returns the recorded
// invitation, or store.ErrDuplicate (with the existing one), a
// *store.WeekCapError, an account refusal, ErrNoteLen, ErrDryRun or
// ErrClosed; in each of those cases nobody new is invited.
func (s *Service) Invite(ctx context.Context, req Request) (store.Invitation, error) {
	if len([]rune(req.Note)) > linkup.MaxNoteRunes {
		return store.Invitation{}, ErrNoteLen
	}
	if s.cfg.DryRun {
		return store.Invitation{}, ErrDryRun
	}
	inv := store.Invitation{IdemKey: req.IdemKey, Requester: req.UserID, Channel: req.Channel, ThreadTS: req.ThreadTS,
		Recipient: req.Profile, Note: strings.TrimSpace(req.Note), Country: s.cfg.Country, Account: req.Account}
	actx, cancel := context.WithTimeout(ctx, send.AcceptBudget)
	defer cancel()
	if req.FromSend != 0 {
		sd, err := s.store.Get(actx, req.FromSend)
		if err != nil {
			return store.Invitation{}, fmt.Errorf("reading the send: %w", err)
		}
		if !send.RecipientRefused(sd) {
			return store.Invitation{}, ErrNotRefused
		}
		// From the send's account, and only for someone who may use it now.
		if err := s.sessions.MayUse(actx, req.UserID, sd.Account); err != nil {
			return store.Invitation{}, err
		}
		inv.Account, inv.Recipient, inv.FromSend = sd.Account, sd.Recipient, sd.ID
		inv.Channel, inv.ThreadTS = sd.RootChannel, sd.Thread()
		if inv.Channel == "" {
			inv.Channel = sd.Channel
		}
		if sd.Country != "" {
			inv.Country = sd.Country
		}
		if req.SendOnAccept {
			inv.Message, inv.Intent = sd.Message, store.IntentWanted
		}
	} else {
		name, err := s.sessions.Pick(actx, req.UserID, req.Account)
		if err != nil {
			return store.Invitation{}, err
		}
		inv.Account = name
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return store.Invitation{}, ErrClosed
	}
	s.running.Add(1)
	s.mu.Unlock()
	out, err := s.store.AcceptInvitation(actx, inv, s.cfg.WeekLimit)
	if err != nil {
		s.running.Done()
		if errors.Is(err, store.ErrDuplicate) {
			s.log.Info().Str("idem_key", inv.IdemKey).Int64("invitation_id", out.ID).Msg("duplicate invitation request ignored")
		}
		return out, err
	}
	go func() {
		defer s.running.Done()
		s.call(out)
	}()
	return out, nil
}

// call makes the one Linkup call of calling invitation inv and records
// and tells its outcome.
func (s *Service) call(inv store.Invitation) {
	log := s.log.With().Int64("invitation_id", inv.ID).Str("user", inv.Requester).Str("account", inv.Account).Logger()
	ctx := context.Background()
	state, credits, name, reason, code := store.InviteFailed, 0, "", "", ""
	sess, err := s.sessions.Session(ctx, inv.Account)
	if err != nil {
		reason = fmt.Sprintf("The LinkedIn session of the %s account cannot be used (%s), so nobody was invited.", send.MrkdwnEscape(inv.Account), send.MrkdwnEscape(err.Error()))
	} else {
		country := inv.Country
		if sess.Country != "" {
			country = sess.Country
		}
		res, err := s.linkup.Invite(ctx, linkup.Invitation{ProfileURL: inv.Recipient, Note: inv.Note, Country: country,
			LoginToken: sess.LoginToken, AccountID: sess.AccountID})
		if err == nil {
			state, credits, name = store.InvitePending, res.Credits, res.Name
		} else {
			le := linkup.AsError(err)
			state, reason, code = outcomeOf(le)
			credits = le.Credits
			log.Warn().Err(le).Str("state", state).Msg("invitation not sent")
		}
	}
	if credits > 0 && s.cfg.Credits != nil {
		s.cfg.Credits("invite", inv.Account, credits)
	}
	if err := s.persist(func(ctx context.Context) error {
		return s.store.FinishInvitation(ctx, inv.ID, state, credits, name, reason, code)
	}); err != nil {
		log.Error().Err(err).Msg("recording the invitation's outcome failed; it is found unknown at the next start")
		return
	}
	log.Info().Str("state", state).Int("credits", credits).Msg("invitation finished")
	s.tellID(inv.ID)
}

// outcomeOf turns a refused or unanswered invitation into its state, the
// requester's reason and Linkup's code.
func outcomeOf(le *linkup.Error) (state, reason, code string) {
	msg := send.MrkdwnEscape(le.Message)
	switch {
	case linkup.NoteLimited(le):
		return store.InviteFailed, "LinkedIn refused the note: this account has used its allowance of invitations with a note this month (free accounts get about 5 to 10). An invitation without a note still goes.", linkup.CodeNoteLimit
	case le.Kind == linkup.KindInvalid:
		return store.InviteFailed, fmt.Sprintf("Linkup refused the invitation: %s. Nobody was invited.", msg), le.Code
	case le.Kind == linkup.KindAuth, le.Kind == linkup.KindKey:
		return store.InviteFailed, fmt.Sprintf("Linkup refused the account or the bot's key (%s), so nobody was invited: an admin or the account's owner must act.", msg), le.Code
	case le.Kind == linkup.KindCredits:
		return store.InviteFailed, fmt.Sprintf("The Linkup account has no credits left (%s). Nobody was invited.", msg), le.Code
	case le.Kind == linkup.KindRateLimited:
		return store.InviteFailed, fmt.Sprintf("Linkup or LinkedIn is limiting the rate (%s). Nobody was invited; try again later.", msg), le.Code
	case le.Kind == linkup.KindUnreachable:
		return store.InviteFailed, "Linkup could not be reached, so nobody was invited. Try again in a moment.", le.Code
	default:
		return store.InviteUnknown, fmt.Sprintf("Linkup gave no confirmation (%s). The invitation may or may not have been sent: check on LinkedIn before inviting again.", msg), le.Code
	}
}

// persist runs a write that must land, again for a while when it fails.
func (s *Service) persist(f func(context.Context) error) error {
	var err error
	for i := range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = f(ctx)
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(time.Duration(100*(i+1)) * time.Millisecond)
	}
	return err
}

// Accepted handles an accepted_invitation event of account: each pending
// invitation from it to one of people is accepted, and its message, when
// wanted, sent. Handling it twice does nothing twice.
func (s *Service) Accepted(ctx context.Context, account string, people []linkup.Person) {
	pending, err := s.store.PendingInvitations(ctx)
	if err != nil {
		s.log.Error().Err(err).Msg("listing the pending invitations failed; v1-style checks will find the acceptance")
		return
	}
	for _, inv := range pending {
		if inv.Account != account {
			continue
		}
		for _, p := range people {
			if linkup.SameProfile(inv.Recipient, p.ProfileURL) {
				s.accept(ctx, inv, p.Name)
				break
			}
		}
	}
	s.poke()
}

// accept records inv accepted by name (with its intent due, in the same
// write) and tells it. It does not hand the message over: only the job's
// cycle (the lease holder) runs followUp, so that two hand-overs never
// run at once, where the second would take the first's sending intent
// for a crash's and submit it again. Accepted pokes the job; check runs
// in the cycle, followed by followUp.
func (s *Service) accept(ctx context.Context, inv store.Invitation, name string) {
	changed, err := s.store.MarkAccepted(ctx, inv.ID, name)
	if err != nil {
		s.log.Error().Err(err).Int64("invitation_id", inv.ID).Msg("recording an accepted invitation failed")
		return
	}
	if !changed {
		return
	}
	s.log.Info().Int64("invitation_id", inv.ID).Str("account", inv.Account).Msg("invitation accepted")
	s.tellID(inv.ID)
}

// PendingAccounts are the accounts with invitations waiting for an
// answer: the reply bridge watches them live (v2).
func (s *Service) PendingAccounts(ctx context.Context) (map[string]bool, error) {
	pending, err := s.store.PendingInvitations(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, inv := range pending {
		out[inv.Account] = true
	}
	return out, nil
}

// Cancel withdraws the message to send when invitation id is accepted,
// asked by user: the requester, or someone who may use its account now.
// It returns the sentence to tell them (an error's text is for them too).
func (s *Service) Cancel(ctx context.Context, id int64, user string) (string, error) {
	inv, err := s.store.GetInvitation(ctx, id)
	if err != nil {
		return "", err
	}
	if user != inv.Requester {
		if err := s.sessions.MayUse(ctx, user, inv.Account); err != nil {
			s.log.Warn().Str("user", user).Int64("invitation_id", id).Msg("cancel refused: neither the requester nor someone who may use the account")
			return "", errNotYours
		}
	}
	ok, err := s.store.SetIntent(ctx, id, store.IntentCancelled, store.IntentWanted, store.IntentDue)
	if err != nil {
		return "", err
	}
	if !ok {
		inv, _ = s.store.GetInvitation(ctx, id)
		switch inv.Intent {
		case store.IntentCancelled:
			return "The message was already cancelled: it will not be sent.", nil
		case store.IntentSending, store.IntentSent:
			return "Too late: the message has already been handed over to be sent.", nil
		default:
			return "There is no message waiting for this invitation.", nil
		}
	}
	s.log.Info().Str("user", user).Int64("invitation_id", id).Msg("message on acceptance cancelled")
	s.say(inv, fmt.Sprintf(":no_entry_sign: <@%s> cancelled the message: it will not be sent when %s accepts.", user, profileLink(inv.Recipient)))
	s.changed(inv.Requester)
	return "Cancelled: the message will not be sent when they accept.", nil
}

var errNotYours = errors.New("only the person who asked for this invitation, or someone who may send from its account, may cancel its message")

// ErrNotYours is Cancel's refusal of someone else.
var ErrNotYours = errNotYours

// Start recovers the invitations a crash left calling (unknown, never
// called again; on a shared log only those called over 2 minutes ago, the
// job's cycle recovering the others once they are) and runs the job: on the one bot that holds its lease,
// every Tick, the posts owed, expiry, the due intents and (without Live)
// the daily checks.
func (s *Service) Start(ctx context.Context) error {
	grace := time.Duration(0) // on a log of its own, no call runs yet
	if s.store.Shared() {
		grace = s.grace // another bot's call may still run
	}
	if err := s.recover(ctx, grace); err != nil {
		return err
	}
	if s.cfg.CheckCredits <= 0 && !s.cfg.Live && !s.cfg.DryRun {
		s.log.Warn().Msg("READ_CREDITS_PER_DAY=0: invitations are never checked, so an acceptance is not seen and no message goes on acceptance (the invitations expire)")
	}
	s.running.Go(s.loop)
	return nil
}

// recoverReason is what the thread says of an invitation a crash left calling.
const recoverReason = "The bot stopped while this invitation was being sent, so its outcome could not be confirmed. Check on LinkedIn before inviting again."

// recover makes the invitations left calling for longer than grace
// unknown (never called again); the job's tellOwed tells them.
func (s *Service) recover(ctx context.Context, grace time.Duration) error {
	n, err := s.store.RecoverInvitations(ctx, recoverReason, grace)
	if err != nil {
		return fmt.Errorf("recovering the invitations: %w", err)
	}
	if n > 0 {
		s.log.Warn().Int64("invitations", n).Msg("invitations interrupted by a crash during their call: outcome unknown, not sent again")
	}
	return nil
}

// Close stops the job and waits for the calls in flight.
func (s *Service) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.stop)
	}
	s.mu.Unlock()
	s.running.Wait()
}

func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Service) loop() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.stop
		cancel()
	}()
	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	for {
		s.cycle(ctx)
		select {
		case <-t.C:
		case <-s.wake:
		case <-s.stop:
			return
		}
	}
}

// cycle runs the job once, on the bot that holds its lease.
func (s *Service) cycle(ctx context.Context) {
	held, err := s.store.Hold(ctx, store.InvitationJob)
	if err != nil || !held {
		if err != nil && ctx.Err() == nil {
			s.log.Warn().Err(err).Msg("could not tell whether this bot follows the invitations up")
		}
		return
	}
	// Start recovers only what is older than the grace on a shared log:
	// a call a bot killed left calling within it is recovered here, on
	// any log (this bot's own calls may be in flight), then told.
	if err := s.recover(ctx, s.grace); err != nil && ctx.Err() == nil {
		s.log.Error().Err(err).Msg("recovering the invitations failed")
	}
	s.tellOwed(ctx)
	expired, err := s.store.ExpireInvitations(ctx, s.now().Add(-s.cfg.Wait))
	if err != nil && ctx.Err() == nil {
		s.log.Error().Err(err).Msg("expiring invitations failed")
	}
	for _, inv := range expired {
		s.log.Info().Int64("invitation_id", inv.ID).Msg("invitation expired")
		s.tellID(inv.ID)
	}
	s.check(ctx)
	s.followUp(ctx)
}

// check reads the state of each pending invitation not checked for
// CheckEvery, within the day's read credits.
func (s *Service) check(ctx context.Context) {
	if s.cfg.CheckCredits <= 0 {
		return
	}
	pending, err := s.store.PendingInvitations(ctx)
	if err != nil {
		return
	}
	for _, inv := range pending {
		if ctx.Err() != nil {
			return
		}
		last := inv.CheckedAt
		if last.IsZero() {
			last = inv.CalledAt
		}
		if s.now().Sub(last) < s.cfg.CheckEvery {
			continue
		}
		day := s.now().UTC().Format(time.DateOnly)
		ok, err := s.store.SpendReadCredits(ctx, day, linkup.CreditsInvite, s.cfg.CheckCredits)
		if err != nil || !ok {
			return // the day's read credits are spent: tomorrow
		}
		sess, err := s.sessions.Session(ctx, inv.Account)
		if err != nil {
			continue
		}
		st, err := s.linkup.CheckInvitation(ctx, inv.Recipient, sess)
		cost := st.Credits
		if err != nil {
			cost = linkup.AsError(err).Credits
		}
		if err := s.store.CheckedInvitation(ctx, inv.ID, cost); err != nil {
			s.log.Error().Err(err).Msg("recording an invitation's check failed")
		}
		if cost > 0 && s.cfg.Credits != nil {
			s.cfg.Credits("check", inv.Account, cost)
		}
		if err != nil {
			s.log.Warn().Err(err).Int64("invitation_id", inv.ID).Msg("checking an invitation failed; checked again tomorrow")
			continue
		}
		if st.Accepted() {
			s.accept(ctx, inv, "")
		}
	}
}

// followUp hands the message of each accepted invitation whose intent is
// due to the send pipeline, once: the intent becomes sending before the
// hand-over (Cancel can no longer take it back), and the send's
// idempotency key is the invitation's, so that an intent a crash left
// sending is handed over again without a second send. A hand-over that
// recorded nothing (the daily cap, shutdown, the log unreadable) makes it
// due again, so that Cancel still takes it back; only one refused for its
// account drops it. One that may have been recorded after all
// (send.ErrNotRecorded) stays sending, handed over again under its key.
func (s *Service) followUp(ctx context.Context) {
	due, err := s.store.DueIntents(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error().Err(err).Msg("listing the messages due on acceptance failed")
		}
		return
	}
	for _, inv := range due {
		if ctx.Err() != nil {
			return
		}
		s.mu.Lock()
		wait := s.now().Before(s.capped[inv.ID])
		s.mu.Unlock()
		if wait {
			continue
		}
		moved := false // by this call: no earlier hand-over may have recorded the send
		if inv.Intent == store.IntentDue {
			ok, err := s.store.SetIntent(ctx, inv.ID, store.IntentSending, store.IntentDue)
			if err != nil || !ok {
				continue // cancelled meanwhile, or taken by another call
			}
			moved = true
		}
		log := s.log.With().Int64("invitation_id", inv.ID).Logger()
		if !moved {
			// A crash left it sending: its hand-over may have recorded
			// the send. One recorded under its key is linked, not
			// submitted again.
			held, err := s.store.KeyHolder(ctx, SendKey(inv.ID))
			switch {
			case err == nil:
				if err := s.store.IntentSentAs(ctx, inv.ID, held.ID); err != nil {
					log.Error().Err(err).Msg("recording the send of an accepted invitation failed; its key keeps it from going twice")
					continue
				}
				log.Info().Int64("send_id", held.ID).Msg("the message of an accepted invitation left sending was already handed over: linked to its send")
				s.changed(inv.Requester)
				continue
			case !errors.Is(err, store.ErrNotFound):
				log.Warn().Err(err).Msg("looking up the send of an accepted invitation left sending failed; looked up again at the next cycle")
				continue
			}
		}
		sd, err := s.sender.Submit(ctx, send.Request{
			IdemKey:   SendKey(inv.ID),
			UserID:    inv.Requester,
			ChannelID: inv.Channel,
			ThreadTS:  inv.ThreadTS,
			Message:   linkup.Message{ProfileURL: inv.Recipient, Text: inv.Message, Country: inv.Country},
			Account:   inv.Account,
		})
		var ce *store.CapError
		var ee *account.ExpiredError
		switch {
		case err == nil, errors.Is(err, send.ErrDuplicate) && sd.ID != 0:
			if err := s.store.IntentSentAs(ctx, inv.ID, sd.ID); err != nil {
				log.Error().Err(err).Msg("recording the send of an accepted invitation failed; its key keeps it from going twice")
				continue
			}
			log.Info().Int64("send_id", sd.ID).Msg("the message of an accepted invitation was handed to the send pipeline")
			s.changed(inv.Requester)
		case errors.As(err, &ce):
			// Nothing is recorded under the key (the log looks it up
			// before it counts the cap): due again, Cancel may take it back.
			s.mu.Lock()
			s.capped[inv.ID] = ce.ResetAt
			s.mu.Unlock()
			s.dueAgain(ctx, inv.ID, log)
			log.Info().Time("reset_at", ce.ResetAt).Msg("the daily send cap is reached: the message of an accepted invitation waits for it")
			s.say(inv, fmt.Sprintf(":hourglass_flowing_sand: The daily send limit is reached: the message goes after %s.", ce.ResetAt.UTC().Format("15:04 UTC")))
		case errors.Is(err, send.ErrNotRecorded), ctx.Err() != nil && !errors.Is(err, send.ErrClosed):
			// It may be recorded after all, and sent: it stays sending,
			// handed over again at the next cycle under the same key.
			log.Warn().Err(err).Msg("the message of an accepted invitation may not have been handed over; handed over again under its key")
		case errors.Is(err, account.ErrNone), errors.Is(err, account.ErrNotAllowed), errors.As(err, &ee):
			// Refused for its account (the requester may no longer use it, or its session expired): dropped.
			if _, derr := s.store.SetIntent(ctx, inv.ID, store.IntentDropped, store.IntentSending); derr != nil {
				log.Error().Err(derr).Msg("dropping a message that cannot be sent failed")
			}
			log.Warn().Err(err).Msg("the message of an accepted invitation could not be sent")
			s.say(inv, ":warning: The message was not sent: "+send.MrkdwnEscape(err.Error())+".")
		default:
			// Nothing recorded (shutting down, the accounts unreadable):
			// handed over again at the next cycle. One a crash left
			// sending may have been recorded before it, so it stays so.
			if moved {
				s.dueAgain(ctx, inv.ID, log)
			}
			log.Warn().Err(err).Msg("the message of an accepted invitation was not handed over; it is tried again")
		}
	}
}

// dueAgain makes invitation id's intent, which this followUp made
// sending, due again after a hand-over that recorded nothing; the write
// outlives a cancelled ctx (a shutdown), else a restart finds it sending
// and hands it over again, which its key keeps from sending twice.
func (s *Service) dueAgain(ctx context.Context, id int64, log zerolog.Logger) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := s.store.SetIntent(wctx, id, store.IntentDue, store.IntentSending); err != nil {
		log.Error().Err(err).Msg("making the message of an accepted invitation due again failed; it stays sending")
	}
}

// SendKey is the idempotency key of the send of invitation id's message.
func SendKey(id int64) string { return store.IdemKey("invitation", strconv.FormatInt(id, 10)) }

// tellOwed posts the states not told yet (a crash between a change and its post).
func (s *Service) tellOwed(ctx context.Context) {
	untold, err := s.store.Untold(ctx)
	if err != nil {
		return
	}
	for _, inv := range untold {
		s.tell(inv)
	}
}

// tellID tells invitation id's state in its thread, once.
func (s *Service) tellID(id int64) {
	inv, err := s.store.GetInvitation(context.Background(), id)
	if err != nil {
		s.log.Error().Err(err).Int64("invitation_id", id).Msg("reading an invitation to tell it failed")
		return
	}
	s.tell(inv)
}

func (s *Service) tell(inv store.Invitation) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// MarkTold claims the post, so that two bots never both make it; a
	// post certainly not made gives the claim back.
	ok, err := s.store.MarkTold(ctx, inv.ID, inv.State)
	if err != nil || !ok {
		return
	}
	text, blocks := StateText(inv), []slack.Block(nil)
	switch {
	case inv.State == store.InvitePending && inv.Intent == store.IntentWanted:
		blocks = []slack.Block{section(text), slack.NewActionBlock("invitation", CancelButton(inv.ID))}
	case inv.State == store.InviteFailed && inv.Code == linkup.CodeNoteLimit:
		btn := slack.NewButtonBlockElement(NoNoteActionID, strconv.FormatInt(inv.ID, 10), slack.NewTextBlockObject(slack.PlainTextType, "Invite without a note", false, false))
		blocks = []slack.Block{section(text), slack.NewActionBlock("invitation", btn)}
	}
	if err := s.post(inv, string(inv.State), text, blocks); err != nil {
		if errors.Is(err, errNotPosted) {
			// Nothing posted: given back, told again by a later cycle.
			if uerr := s.persist(func(ctx context.Context) error { return s.store.UnmarkTold(ctx, inv.ID, inv.State) }); uerr != nil {
				s.log.Error().Err(uerr).Int64("invitation_id", inv.ID).Msg("giving back an invitation's telling failed: its state is not told")
			}
			s.log.Warn().Err(err).Int64("invitation_id", inv.ID).Msg("an invitation's state was not posted; told again at the next cycle")
		} else {
			// It may have been posted: not posted again, which could double it.
			s.log.Error().Err(err).Int64("invitation_id", inv.ID).Msg("an invitation's state may not have been posted; not posted again")
		}
	}
	s.changed(inv.Requester)
}

// CancelButton is the Cancel button of invitation id's message on acceptance.
func CancelButton(id int64) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(CancelActionID, strconv.FormatInt(id, 10), slack.NewTextBlockObject(slack.PlainTextType, "Cancel the message", false, false))
}

// StateText is what the thread says of inv's state.
func StateText(inv store.Invitation) string {
	who := profileLink(inv.Recipient)
	switch inv.State {
	case store.InvitePending:
		t := fmt.Sprintf(":envelope_with_arrow: Invitation sent to %s (%s) from the *%s* account", who, credits(inv.Credits), send.MrkdwnEscape(inv.Account))
		if inv.Note != "" {
			t += ", with a note"
		}
		t += "."
		if inv.Intent == store.IntentWanted {
			t += " Your message goes once they accept; Cancel withdraws it."
		}
		return t
	case store.InviteAccepted:
		name := strings.TrimSpace(inv.Name)
		if name == "" {
			name = who
		} else {
			name = send.MrkdwnEscape(name)
		}
		t := fmt.Sprintf(":handshake: %s accepted your invitation.", name)
		if inv.Intent == store.IntentDue || inv.Intent == store.IntentSending || inv.Intent == store.IntentSent {
			t += " Your message is being sent."
		}
		return t
	case store.InviteExpired:
		t := fmt.Sprintf(":hourglass: The invitation to %s was not accepted within %d days", who, int(inviteWait(inv)/(24*time.Hour)))
		if inv.Intent == store.IntentDropped {
			t += ": the message will not be sent"
		}
		return t + "."
	case store.InviteUnknown:
		return ":warning: " + inv.Reason
	default:
		return ":x: Invitation not sent. " + inv.Reason
	}
}

// inviteWait is the wait an expired invitation had.
func inviteWait(inv store.Invitation) time.Duration {
	if inv.FinishedAt.IsZero() || inv.CalledAt.IsZero() {
		return 21 * 24 * time.Hour
	}
	return inv.FinishedAt.Sub(inv.CalledAt).Round(24 * time.Hour)
}

// say posts text in inv's thread (see post), logging a failure. A post
// left in doubt is looked for by its text's hash.
func (s *Service) say(inv store.Invitation, text string) {
	h := fnv.New64a()
	_, _ = h.Write([]byte(text))
	if err := s.post(inv, postSay+strconv.FormatUint(h.Sum64(), 36), text, nil); err != nil {
		s.log.Warn().Err(err).Int64("invitation_id", inv.ID).Msg("an invitation's note was not posted")
	}
}

// errNotPosted says a post was certainly not made.
var errNotPosted = errors.New("not posted")

// postBudget bounds a post's tries, its rate limits' waits included. It
// is twice the Slack client's HTTP timeout (30 s), as the send pipeline's
// SlackTimeout is: a try that got no answer until the client gave up
// leaves time to look for the post and make it again.
const postBudget = 60 * time.Second

// postEvent is the metadata event type of an invitation's posts: with the
// invitation's ID and the post's kind (its state, or postSay), it lets a
// post left in doubt be found in its thread rather than made twice.
const postEvent = "linkedin_bot_invitation"

// postSay begins the kind of the posts say makes.
const postSay = "say:"

// post posts text (and blocks) in inv's thread; an invitation asked by
// command gets a root message, whose thread then holds its story. Like
// the send pipeline's posts, a rate-limited post is made again after
// Slack's Retry-After (within postBudget), one Slack refuses for its
// blocks goes as text, one refused for its place (the bot left the
// channel, it was archived or deleted) goes to the requester's DM, and
// one whose answer leaves it in doubt (a 5xx, no answer) is looked for
// in its thread by its metadata (inv's ID and kind) and made again only
// when it is not there. An error wrapping errNotPosted says nothing was
// posted; any other, that the post may have been made and could not be
// looked for.
func (s *Service) post(inv store.Invitation, kind, text string, blocks []slack.Block) error {
	if inv.Channel == "" {
		return nil
	}
	log := s.log.With().Int64("invitation_id", inv.ID).Str("post", kind).Logger()
	ctx, cancel := context.WithTimeout(context.Background(), postBudget)
	defer cancel()
	id := strconv.FormatInt(inv.ID, 10)
	md := slack.SlackMetadata{EventType: postEvent, EventPayload: map[string]any{"invitation_id": id, "post": kind}}
	channel, thread := inv.Channel, inv.ThreadTS
	since := time.Now()
	looked := false
	for {
		opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionMetadata(md)}
		if blocks != nil {
			opts = append(opts, slack.MsgOptionBlocks(blocks...))
		}
		if thread != "" {
			opts = append(opts, slack.MsgOptionTS(thread))
		}
		ch, ts, err := s.slack.PostMessageContext(ctx, channel, opts...)
		if err == nil {
			s.posted(ctx, inv, thread, ch, ts, log)
			return nil
		}
		if wait, limited := slackpost.Later(err); limited {
			log.Info().Dur("retry_after", wait).Msg("Slack rate-limited an invitation's post: made again after its wait")
			t := time.NewTimer(wait)
			select {
			case <-t.C:
				continue
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("telling an invitation's state in Slack: rate limited: %w", errNotPosted)
			}
		}
		switch {
		case slackpost.RefusedContent(err) && blocks != nil:
			log.Warn().Err(err).Msg("Slack refused an invitation's post for its blocks: posted as text")
			blocks = nil
		case slackpost.Refused(err) && inv.Requester != "" && channel != inv.Requester:
			log.Warn().Err(err).Str("channel", channel).Msg("Slack refused an invitation's post in its thread: posted in the requester's DM")
			channel, thread = inv.Requester, ""
		case slackpost.Refused(err):
			return fmt.Errorf("telling an invitation's state in Slack: %s: %w", slackpost.Reason(err), errNotPosted)
		case looked:
			// Looked for once already and made again: not a third time.
			return fmt.Errorf("telling an invitation's state in Slack: %w", err)
		default:
			// In doubt: Slack may have made it. Made again only when it
			// is not in its thread.
			looked = true
			fch, fts, found, ferr := s.look(ctx, log, channel, thread, since.Add(-slackpost.LookBack), id, kind)
			switch {
			case ferr != nil:
				return fmt.Errorf("telling an invitation's state in Slack: %w (and it could not be looked for: %v)", err, ferr)
			case found:
				log.Info().Err(err).Msg("Slack's answer to an invitation's post was lost, but the post is in its thread: not made again")
				s.posted(ctx, inv, thread, fch, fts, log)
				return nil
			}
			log.Warn().Err(err).Msg("an invitation's post failed and is not in its thread: made again")
		}
	}
}

// lookTries bounds the reads of a look that Slack failed (a 5xx, no
// answer), its rate limits apart.
const lookTries = 3

// look finds the post of kind of invitation id in channel (in thread,
// when set) since oldest. A post to a user's ID (the requester's DM, the
// root of an invitation asked from Home) is looked for in the bot's DM
// with them: Slack cannot read it by the user's ID. A read is idempotent:
// a rate-limited one is made again after Slack's Retry-After, and one
// Slack failed (a 5xx, no answer: as likely as the post's own, in an
// outage) up to lookTries times, within ctx.
func (s *Service) look(ctx context.Context, log zerolog.Logger, channel, thread string, oldest time.Time, id, kind string) (string, string, bool, error) {
	for try := 1; ; try++ {
		where, err := s.dms.Channel(ctx, s.slack, channel)
		var ch, ts string
		var found bool
		if err == nil {
			ch, ts, found, err = slackpost.Find(ctx, s.slack, where, thread, oldest, func(m slack.SlackMetadata) bool {
				return m.EventType == postEvent && slackpost.Field(m, "invitation_id") == id && slackpost.Field(m, "post") == kind
			})
		}
		wait, limited := slackpost.Later(err)
		switch {
		case err == nil:
			return ch, ts, found, nil
		case limited:
			try--
			log.Info().Dur("retry_after", wait).Msg("Slack rate-limited the look for an invitation's post: looked for again after its wait")
		case errors.Is(err, slackpost.ErrCannotLook), slackpost.Refused(err), ctx.Err() != nil, try >= lookTries:
			return "", "", false, err
		default:
			wait = time.Duration(try) * 500 * time.Millisecond
			log.Info().Err(err).Msg("the look for an invitation's post failed: looked for again")
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return "", "", false, err
		}
	}
}

// posted records inv's post made at ch/ts outside a thread as the
// invitation's thread, when it has none yet: its root.
func (s *Service) posted(ctx context.Context, inv store.Invitation, thread, ch, ts string, log zerolog.Logger) {
	if thread != "" {
		return
	}
	if err := s.store.SetInvitationThread(ctx, inv.ID, ch, ts); err != nil {
		log.Error().Err(err).Msg("recording an invitation's thread failed")
	}
}

func (s *Service) changed(user string) {
	if s.cfg.Changed != nil {
		s.cfg.Changed(user)
	}
}

// Of lists user's invitations still waiting (for the Home tab).
func (s *Service) Of(ctx context.Context, user string) ([]store.Invitation, error) {
	return s.store.InvitationsOf(ctx, user, 10)
}

// Get returns invitation id.
func (s *Service) Get(ctx context.Context, id int64) (store.Invitation, error) {
	return s.store.GetInvitation(ctx, id)
}

func section(text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)
}

func credits(n int) string {
	if n == 1 {
		return "1 credit"
	}
	return fmt.Sprintf("%d credits", n)
}

func profileLink(u string) string {
	slug := u[strings.LastIndexByte(strings.TrimRight(u, "/"), '/')+1:]
	return fmt.Sprintf("<%s|%s>", u, slackpost.Escape(strings.TrimRight(slug, "/")))
}

// NoteFrom is a note prefilled from message: cut at a word boundary to
// fit LinkedIn's limit, with an ellipsis when cut.
func NoteFrom(message string) string {
	m := strings.TrimSpace(message)
	r := []rune(m)
	if len(r) <= linkup.MaxNoteRunes {
		return m
	}
	cut := string(r[:linkup.MaxNoteRunes-1])
	if i := strings.LastIndexAny(cut, " \n\t"); i > linkup.MaxNoteRunes/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " \n\t,;:") + "…"
}

// FromSend returns send id, the one an Invite with a note button names.
func (s *Service) FromSend(ctx context.Context, id int64) (store.Send, error) {
	return s.store.Get(ctx, id)
}
