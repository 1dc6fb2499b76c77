package campaign

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"linkedin-bot/send"
	"linkedin-bot/slackpost"
	"linkedin-bot/store"
)

// Button action IDs of a campaign's root; their value is the campaign's ID.
const (
	StartActionID  = "campaign_start"
	PauseActionID  = "campaign_pause"
	ResumeActionID = "campaign_resume"
	CancelActionID = "campaign_cancel"
)

// Sender records sends; *send.Pipeline is the production one.
type Sender interface {
	Submit(ctx context.Context, req send.Request) (store.Send, error)
}

// Slack is the part of the Web API campaigns use; *slack.Client is the
// production one.
type Slack interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
	GetUserInfoContext(ctx context.Context, user string, options ...slack.GetUserInfoOption) (*slack.User, error)
	UploadFileContext(ctx context.Context, params slack.UploadFileParameters) (*slack.FileSummary, error)
}

// Accounts says whether someone may act on a campaign of an account (the
// rules of who sends as whom); *account.Service is the production one.
type Accounts interface {
	MayUse(ctx context.Context, user, name string) error
}

// Config tunes a Service.
type Config struct {
	Pace    Pace
	Limits  Limits
	Country string // the proxy country of the sends
	// Tick is how often the runner looks for work; 1 s when zero (at most
	// a quarter of GapMin).
	Tick time.Duration
	// Accounts checks who may press a campaign's buttons; nil: the owner only.
	Accounts Accounts
	// Credits is what one send costs (1 on Linkup for a text message).
	Credits int
	// Now and Rand, when set, replace the clock and the gaps' randomness.
	Now  func() time.Time
	Rand *rand.Rand
	// Changed, when set, is told the owner of each campaign that changed
	// (their Home tab); it must not block.
	Changed func(user string)
}

// Service creates campaigns, acts on their buttons and runs them.
type Service struct {
	cfg    Config
	st     *store.Store
	sender Sender
	slack  Slack
	log    zerolog.Logger

	editMu   sync.Mutex // one edit of a root at a time (see edit)
	mu       sync.Mutex
	rootText map[int64]string // the root's text as last edited, to edit only on change
	rnd      *rand.Rand

	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

// New returns a Service; Start runs its runner.
func New(cfg Config, st *store.Store, sender Sender, sl Slack, log zerolog.Logger) *Service {
	if cfg.Tick <= 0 {
		cfg.Tick = time.Second
		if q := cfg.Pace.GapMin / 4; q > 0 && q < cfg.Tick {
			cfg.Tick = q
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if cfg.Credits <= 0 {
		cfg.Credits = 1
	}
	return &Service{cfg: cfg, st: st, sender: sender, slack: sl, log: log.With().Str("component", "campaigns").Logger(),
		rootText: map[int64]string{}, rnd: cfg.Rand, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// Draft is a campaign's form as submitted.
type Draft struct {
	Key      string // the form's view: submitted twice, recorded once
	Name     string
	Owner    string
	Account  string
	Channel  string // where the root goes; the owner's ID for a DM
	CSV      string
	Template string
}

// Create validates d and records it in review (nothing is sent before
// Start). An invalid form is Errors, for its fields; a form submitted
// again is store.ErrDuplicate with the campaign recorded the first time.
func (s *Service) Create(ctx context.Context, d Draft) (store.Campaign, error) {
	messaged, err := s.st.Messaged(ctx, d.Account, s.cfg.Now().AddDate(0, 0, -s.cfg.Limits.RecontactDays), "")
	if err != nil {
		return store.Campaign{}, err
	}
	rows, err := Plan(d.CSV, d.Template, s.cfg.Limits, messaged)
	if err != nil {
		return store.Campaign{}, err
	}
	if n, _ := Counts(rows); n == 0 {
		return store.Campaign{}, Errors{Recipients: "Every row is skipped, so there is nothing to send: " + skippedSummary(rows, 3)}
	}
	recs := make([]store.CampaignRow, len(rows))
	for i, r := range rows {
		recs[i] = store.CampaignRow{No: r.No, ProfileURL: r.ProfileURL, Message: r.Message, State: store.RowPending}
		if r.Skip != "" {
			recs[i].State, recs[i].Reason = store.RowSkipped, r.Skip
		}
	}
	name := d.Name
	if name == "" {
		name = "Campaign of " + s.cfg.Now().UTC().Format("2 Jan 15:04")
	}
	return s.st.CreateCampaign(ctx, store.Campaign{IdemKey: d.Key, Name: name, Owner: d.Owner, Account: d.Account, Channel: d.Channel, Template: d.Template}, recs)
}

// PostReview posts campaign id's review root, with Start and Cancel, in
// its channel, or the owner's DM where the bot cannot post there. It
// reads the owner's time zone first (users.info), for the hours. When it
// fails (neither post goes, or the root posted is not recorded), the
// campaign is cancelled, best-effort (nothing was sent), a review posted
// is edited to say so, without its buttons, and the error returned.
func (s *Service) PostReview(ctx context.Context, id int64) error {
	c, err := s.st.GetCampaign(ctx, id)
	if err != nil {
		return s.abandon(ctx, store.Campaign{ID: id}, "", "", fmt.Errorf("reading campaign %d: %w", id, err))
	}
	if c.RootTS != "" {
		return nil
	}
	if u, err := s.slack.GetUserInfoContext(ctx, c.Owner); err != nil {
		s.log.Warn().Err(err).Str("user", c.Owner).Msg("users.info failed; the campaign keeps its hours in UTC")
	} else if u.TZ != "" {
		if _, err := time.LoadLocation(u.TZ); err == nil {
			if err := s.st.SetCampaignTZ(ctx, id, u.TZ); err != nil {
				return s.abandon(ctx, c, "", "", err)
			}
			c.TZ = u.TZ
		}
	}
	rows, err := s.st.CampaignRows(ctx, id)
	if err != nil {
		return s.abandon(ctx, c, "", "", err)
	}
	text, blocks := s.render(ctx, c, rows, time.Time{})
	ch, ts, err := s.slack.PostMessageContext(ctx, c.Channel, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	if err != nil && c.Channel != c.Owner {
		s.log.Warn().Err(err).Str("channel", c.Channel).Msg("posting the campaign's review failed; it goes to its owner's DM")
		ch, ts, err = s.slack.PostMessageContext(ctx, c.Owner, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	}
	if err != nil {
		return s.abandon(ctx, c, "", "", fmt.Errorf("posting campaign %d's review: %w", id, err))
	}
	if err := s.st.SetCampaignRoot(ctx, id, ch, ts); err != nil {
		return s.abandon(ctx, c, ch, ts, err)
	}
	s.remember(id, text)
	return nil
}

// notRecorded replaces a review whose campaign could not be recorded as
// posted (its buttons would act on a campaign that never starts).
const notRecorded = ":x: This campaign could not be recorded as posted, so nothing of it will be sent. Please create it again."

// abandon ends campaign c, whose review failed with err, before anything
// was sent: without its root recorded, nobody can review it, nor follow
// or stop it. It cancels c best-effort (a campaign left in review without
// a root is refused by Start) and, when its review was posted (ch, ts),
// edits it to say so, without its buttons. Both are done even when ctx
// ended (the usual reason the root was not recorded). It returns err.
func (s *Service) abandon(ctx context.Context, c store.Campaign, ch, ts string, err error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	log := s.log.With().Int64("campaign", c.ID).Logger()
	if moved, cerr := s.st.MoveCampaign(ctx, c.ID, store.CampaignCancelled, store.CampaignReview); cerr != nil {
		log.Error().Err(cerr).AnErr("cause", err).Msg("cancelling the campaign whose review could not be posted or recorded failed; Start refuses it without its review")
	} else if moved {
		log.Warn().Err(err).Msg("campaign cancelled: its review could not be posted or recorded; nothing was sent")
		if rerr := s.st.ReportDone(ctx, c.ID); rerr != nil { // no thread for a report
			log.Warn().Err(rerr).Msg("recording no report for the campaign failed")
		}
		s.changed(c.Owner)
	}
	if ts != "" {
		if _, _, _, uerr := s.slack.UpdateMessageContext(ctx, ch, ts, slack.MsgOptionText(notRecorded, false),
			slack.MsgOptionBlocks(slackpost.Section(notRecorded))); uerr != nil {
			log.Error().Err(uerr).Str("channel", ch).Str("ts", ts).Msg("editing the review of the campaign not recorded as posted failed; its Start is refused")
		}
	}
	return err
}

// ErrNotYours refuses a campaign's button to someone who is neither its
// owner nor allowed to send from its account.
var ErrNotYours = errors.New("only the campaign's owner, or someone who may send from its account, may do this")

// Act handles a button of campaign id pressed by user: Start, Pause,
// Resume or Cancel. It returns a sentence for the user when nothing
// happened (refused, or already done), else "".
func (s *Service) Act(ctx context.Context, id int64, user, action string) (string, error) {
	c, err := s.st.GetCampaign(ctx, id)
	if err != nil {
		return "", err
	}
	if user != c.Owner {
		if s.cfg.Accounts == nil {
			return "", ErrNotYours
		}
		if err := s.cfg.Accounts.MayUse(ctx, user, c.Account); err != nil {
			s.log.Warn().Err(err).Str("user", user).Int64("campaign", id).Str("action", action).Msg("campaign button refused: not the owner, and may not use its account; nothing done")
			return "", ErrNotYours
		}
	}
	var to store.CampaignState
	var from []store.CampaignState
	switch action {
	case StartActionID:
		if c.State == store.CampaignReview && c.RootTS == "" {
			return ":warning: This campaign's review is not recorded as posted, so it cannot start; nothing was sent. If it does not appear in a moment, create the campaign again.", nil
		}
		to, from = store.CampaignRunning, []store.CampaignState{store.CampaignReview}
	case PauseActionID:
		to, from = store.CampaignPaused, []store.CampaignState{store.CampaignRunning}
	case ResumeActionID:
		to, from = store.CampaignRunning, []store.CampaignState{store.CampaignPaused}
	case CancelActionID:
		to, from = store.CampaignCancelled, []store.CampaignState{store.CampaignReview, store.CampaignRunning, store.CampaignPaused}
	default:
		return "", fmt.Errorf("unknown campaign action %q", action)
	}
	moved, err := s.st.MoveCampaign(ctx, id, to, from...)
	if err != nil {
		return "", err
	}
	if !moved {
		return fmt.Sprintf(":information_source: This campaign is %s; nothing changed.", c.State), nil
	}
	s.log.Info().Int64("campaign", id).Str("user", user).Str("state", string(to)).Msg("campaign " + string(to))
	s.changed(c.Owner)
	if err := s.refresh(ctx, id); err != nil {
		s.log.Warn().Err(err).Int64("campaign", id).Msg("editing the campaign's root failed; the runner edits it later")
	}
	s.poke()
	return "", nil
}

func (s *Service) changed(user string) {
	if s.cfg.Changed != nil && user != "" {
		s.cfg.Changed(user)
	}
}

func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Service) remember(id int64, text string) {
	s.mu.Lock()
	s.rootText[id] = text
	s.mu.Unlock()
}

// refresh edits campaign id's root to say where it is: always, whatever
// this bot last wrote there, since another bot's button may have edited
// it since (a button's edit is never skipped as unchanged).
func (s *Service) refresh(ctx context.Context, id int64) error {
	return s.edit(ctx, id, s.nextShown, true)
}

// edit edits campaign id's root to say where it is now, when that changed,
// with next(c) as when its next send goes while it runs. Its state and
// rows are read here, under editMu, so that of two edits in this bot (the
// runner's and a button's) the last one says the newest. Another bot's
// button may still move it between the read and the edit (the other
// bot's edit landing first): the state is read again after the edit, and
// the root edited again when it moved. With force, this bot's memory of
// the root's text is forgotten first (under editMu, so that no edit of
// the runner's brings it back before this one's): the root is edited even
// when it would say what this bot last wrote there.
func (s *Service) edit(ctx context.Context, id int64, next func(context.Context, store.Campaign) time.Time, force bool) error {
	s.editMu.Lock()
	defer s.editMu.Unlock()
	if force {
		s.mu.Lock()
		delete(s.rootText, id)
		s.mu.Unlock()
	}
	for range 3 {
		c, err := s.st.GetCampaign(ctx, id)
		if err != nil {
			return err
		}
		if c.RootTS == "" {
			return nil
		}
		rows, err := s.st.CampaignRows(ctx, id)
		if err != nil {
			return err
		}
		at := time.Time{}
		if c.State == store.CampaignRunning {
			at = next(ctx, c)
		}
		text, blocks := s.render(ctx, c, rows, at)
		s.mu.Lock()
		same := s.rootText[c.ID] == text
		s.mu.Unlock()
		if same {
			return nil
		}
		if _, _, _, err := s.slack.UpdateMessageContext(ctx, c.RootChannel, c.RootTS, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
			return fmt.Errorf("editing campaign %d's root: %w", c.ID, err)
		}
		s.remember(c.ID, text)
		if now, err := s.st.GetCampaign(ctx, id); err != nil || now.State == c.State {
			return nil
		}
	}
	return nil
}

// location is campaign c's time zone, UTC when unknown.
func location(c store.Campaign) *time.Location {
	if c.TZ != "" {
		if loc, err := time.LoadLocation(c.TZ); err == nil {
			return loc
		}
	}
	return time.UTC
}
