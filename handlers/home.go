package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"linkedin-bot/conversation"
	"linkedin-bot/send"
	"linkedin-bot/slackpost"
	"linkedin-bot/store"
)

// The Home tab: each person's LinkedIn desk. It shows a New LinkedIn
// message button, the account their sends go from, their last sends (with
// Retry where one failed) and the conversations whose last message is a
// reply nobody answered. It is published when they open it, and again,
// debounced, when one of their sends changes or a reply comes for them,
// only for people who opened it before.

// HomeNewSendID is the action_id of the Home tab's New LinkedIn message button.
const HomeNewSendID = "home_new_send"

const (
	homeSends   = 10
	homeWaiting = 10
	maxBlocks   = 100 // Slack's limit for a view
	firstWords  = 90  // characters of a message shown on Home
)

// Desk is what the Home tab shows and who opened it; *store.Store is the
// production one.
type Desk interface {
	RecentSends(ctx context.Context, user string, n int) ([]store.Send, error)
	Waiting(ctx context.Context, user string, n int) ([]store.Waiting, error)
	OpenedHome(ctx context.Context, user string) error
	HomeUsers(ctx context.Context) ([]string, error)
}

// HomeSlack publishes Home views and links to threads; *slack.Client is
// the production one.
type HomeSlack interface {
	PublishViewContext(ctx context.Context, req slack.PublishViewContextRequest) (*slack.ViewResponse, error)
	GetPermalinkContext(ctx context.Context, params *slack.PermalinkParameters) (string, error)
}

// Home publishes people's Home tabs. Changed may be called from any
// goroutine, before Start too; publishes run one at a time on Home's own
// goroutine, each person's at most once per debounce window, and a 429
// waits its Retry-After.
type Home struct {
	desk     Desk
	slack    HomeSlack
	log      zerolog.Logger
	debounce time.Duration
	render   func(ctx context.Context, user string) slack.HomeTabViewRequest // set by New
	links    slackpost.Permalinks

	mu     sync.Mutex
	opened map[string]bool      // people who opened Home
	due    map[string]time.Time // who to publish, and when
	wake   chan struct{}
	stop   chan struct{}
	once   sync.Once
	done   sync.WaitGroup
}

// NewHome returns a Home publishing through sl what desk holds; a burst of
// changes for one person within debounce gives one publish.
func NewHome(desk Desk, sl HomeSlack, debounce time.Duration, log zerolog.Logger) *Home {
	return &Home{desk: desk, slack: sl, log: log.With().Str("part", "home").Logger(), debounce: debounce,
		opened: map[string]bool{}, due: map[string]time.Time{}, wake: make(chan struct{}, 1), stop: make(chan struct{})}
}

// Start reads who opened Home before and starts publishing.
func (m *Home) Start(ctx context.Context) error {
	if err := m.readOpened(ctx); err != nil {
		return err
	}
	m.done.Go(m.loop)
	return nil
}

// reopenEvery is how often who opened Home is read again: with several
// bots on one log, a person may have opened it on another one.
const reopenEvery = 10 * time.Second

// readOpened adds the people the log says opened Home.
func (m *Home) readOpened(ctx context.Context) error {
	users, err := m.desk.HomeUsers(ctx)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, u := range users {
		m.opened[u] = true
	}
	return nil
}

// reread reads again who opened Home; a read that Close cut short is not
// a failure.
func (m *Home) reread(ctx context.Context) {
	if err := m.readOpened(ctx); err != nil && ctx.Err() == nil {
		m.log.Warn().Err(err).Msg("reading who opened Home failed")
	}
}

// Close stops publishing; a publish in flight finishes first.
func (m *Home) Close() {
	m.once.Do(func() { close(m.stop) })
	m.done.Wait()
}

// Changed says something on user's Home changed: it is published after
// the debounce, if they ever opened it. It never blocks.
func (m *Home) Changed(user string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.opened[user] {
		return
	}
	if _, ok := m.due[user]; !ok {
		m.due[user] = time.Now().Add(m.debounce)
	}
	m.poke()
}

// opened records that user opened Home, and publishes it at once.
func (m *Home) open(ctx context.Context, log zerolog.Logger, user string) {
	m.mu.Lock()
	first := !m.opened[user]
	m.opened[user] = true
	m.due[user] = time.Now()
	m.poke()
	m.mu.Unlock()
	if first {
		if err := m.desk.OpenedHome(ctx, user); err != nil {
			log.Warn().Err(err).Msg("recording that Home was opened failed; it is republished while the bot runs")
		}
	}
}

// poke wakes the loop. Caller holds m.mu.
func (m *Home) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *Home) loop() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-m.stop
		cancel()
	}()
	reread := time.NewTicker(reopenEvery)
	defer reread.Stop()
	for {
		user, wait := m.next()
		if user != "" && wait <= 0 {
			m.publish(ctx, user)
			continue
		}
		var timer <-chan time.Time
		var t *time.Timer
		if user != "" {
			t = time.NewTimer(wait)
			timer = t.C
		}
		select {
		case <-m.stop:
			return
		case <-m.wake:
		case <-timer:
		case <-reread.C:
			m.reread(ctx)
		}
		if t != nil {
			t.Stop()
		}
	}
}

// next is the person due first, and how long until they are; "" when nobody is.
func (m *Home) next() (string, time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	user, at := "", time.Time{}
	for u, t := range m.due {
		if user == "" || t.Before(at) {
			user, at = u, t
		}
	}
	return user, time.Until(at)
}

// publish renders and publishes user's Home; a 429 puts it back after its
// Retry-After, and holds every publish until then.
func (m *Home) publish(ctx context.Context, user string) {
	m.mu.Lock()
	delete(m.due, user)
	m.mu.Unlock()
	if m.render == nil {
		m.log.Error().Msg("a Home without handlers to render it (handlers.Config.Home not set): nothing published")
		return
	}
	log := m.log.With().Str("user", user).Logger()
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := m.slack.PublishViewContext(pctx, slack.PublishViewContextRequest{UserID: user, View: m.render(pctx, user)})
	wait, limited := slackpost.Later(err)
	switch {
	case err == nil:
		log.Debug().Msg("Home published")
	case limited:
		log.Warn().Stringer("retry_after", wait).Msg("views.publish rate limited; waiting")
		m.mu.Lock()
		if _, ok := m.due[user]; !ok {
			m.due[user] = time.Now()
		}
		m.mu.Unlock()
		select {
		case <-time.After(max(wait, time.Second)):
		case <-m.stop:
		}
	case ctx.Err() == nil:
		log.Error().Err(err).Msg("publishing Home failed")
	}
}

// Event handles an Events API envelope: app_home_opened publishes the
// person's Home. Others are acked and ignored.
func (h *Handlers) Event(ctx context.Context, payload json.RawMessage) Response {
	var p struct {
		Event struct {
			Type string `json:"type"`
			User string `json:"user"`
			Tab  string `json:"tab"`
		} `json:"event"`
	}
	if _, err := Decode(payload, &p); err != nil || h.cfg.Home == nil {
		return Response{}
	}
	if p.Event.Type != "app_home_opened" || p.Event.Tab != "home" || p.Event.User == "" {
		return Response{}
	}
	return Response{After: func(ctx context.Context, log zerolog.Logger) {
		h.cfg.Home.open(ctx, log, p.Event.User)
	}}
}

// homeView is user's Home tab.
func (h *Handlers) homeView(ctx context.Context, user string) slack.HomeTabViewRequest {
	if !h.allowed(user) {
		return homeTab(md(notAllowed(user)))
	}
	log := h.cfg.Home.log.With().Str("user", user).Logger()
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain("Your LinkedIn desk")),
		slack.NewActionBlock("home_actions", slack.NewButtonBlockElement(HomeNewSendID, "new", plain("New LinkedIn message")).WithStyle(slack.StylePrimary)),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Your account*\n"+h.accountStatus(ctx, log, user), false, false), nil, nil),
	}
	blocks = append(blocks, h.campaignBlocks(ctx, log, user)...)
	blocks = append(blocks, slack.NewDividerBlock(), slack.NewHeaderBlock(plain("Your recent sends")))
	sends, err := h.cfg.Home.desk.RecentSends(ctx, user, homeSends)
	switch {
	case err != nil:
		log.Error().Err(err).Msg("reading a person's sends for Home failed")
		blocks = append(blocks, md(":warning: The bot could not read its send log just now; this tab is refreshed at the next change."))
	case len(sends) == 0:
		blocks = append(blocks, md("No messages yet. Send one with the button above, `/linkedin-send`, or the shortcut on any Slack message."))
	}
	for _, sd := range sends {
		emoji, word := stateLabel(sd)
		line := fmt.Sprintf("%s *%s* to %s · %s\n%s", emoji, word, recipientLink(sd.Recipient), slackDate(sd.CreatedAt),
			quoteStart(sd.Message))
		if link := h.cfg.Home.link(ctx, sd.RootChannel, sd.Thread()); link != "" {
			line += " · <" + link + "|thread>"
		}
		sec := slack.NewSectionBlock(verbatim(truncate(line, 3000)), nil, nil)
		if sd.State == store.Failed || sd.State == store.Unknown {
			sec.Accessory = slack.NewAccessory(send.RetryButton(sd))
		}
		blocks = append(blocks, sec)
	}
	blocks = append(blocks, slack.NewDividerBlock(), slack.NewHeaderBlock(plain("Waiting for you")))
	waiting, err := h.cfg.Home.desk.Waiting(ctx, user, homeWaiting)
	switch {
	case err != nil:
		log.Error().Err(err).Msg("reading the conversations waiting for Home failed")
		blocks = append(blocks, md(":warning: The bot could not read the conversations just now; this tab is refreshed at the next change."))
	case len(waiting) == 0:
		blocks = append(blocks, md("No reply is waiting for an answer."))
	}
	for _, w := range waiting {
		c := w.Conversation
		line := fmt.Sprintf(":speech_balloon: *%s* replied · %s\n%s", send.MrkdwnEscape(orDefault(w.Sender, orDefault(c.Participant, "Someone"))), slackDate(w.At), quoteStart(w.Body))
		if link := h.cfg.Home.link(ctx, c.Channel, c.ThreadTS); link != "" {
			line += " · <" + link + "|thread>"
		}
		sec := slack.NewSectionBlock(verbatim(truncate(line, 3000)), nil, nil)
		sec.Accessory = slack.NewAccessory(conversation.ReplyButton(c.ID))
		blocks = append(blocks, sec)
	}
	blocks = append(blocks, h.homeInvitations(ctx, log, user)...)
	if len(blocks) > maxBlocks {
		blocks = append(blocks[:maxBlocks-1], md("…"))
	}
	return homeTab(blocks...)
}

// link is a thread's permalink; empty when it has none or Slack would not say.
func (m *Home) link(ctx context.Context, channel, ts string) string {
	if channel == "" || ts == "" {
		return ""
	}
	l, err := m.links.Link(ctx, m.slack, channel, ts)
	if err != nil {
		m.log.Debug().Err(err).Msg("getting a thread's permalink failed")
		return ""
	}
	return l
}

func homeTab(blocks ...slack.Block) slack.HomeTabViewRequest {
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}
}

// verbatim is mrkdwn text Slack shows as written: a bare URL, #channel or
// @here in a message (from LinkedIn, or typed by its sender) is neither a
// link nor a mention; the bot's own <url|label> and <!date> forms still work.
func verbatim(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, text, false, true)
}

func md(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, truncate(text, 3000), false, false), nil, nil)
}

// stateLabel is a send's state as Home shows it.
func stateLabel(sd store.Send) (emoji, word string) {
	switch sd.State {
	case store.Sent:
		return ":white_check_mark:", "Sent"
	case store.Failed:
		return ":x:", "Failed"
	case store.Unknown:
		return ":grey_question:", "Outcome unknown"
	case store.Sending:
		return ":outbox_tray:", "Sending"
	}
	return ":hourglass_flowing_sand:", "Queued"
}

// recipientLink shows a profile URL by its name part (…/in/jane-doe → jane-doe).
func recipientLink(url string) string {
	name := strings.TrimSuffix(url, "/")
	name = name[strings.LastIndexByte(name, '/')+1:]
	if strings.ContainsAny(url, "<>|") || name == "" {
		return send.MrkdwnEscape(url)
	}
	return "<" + url + "|" + send.MrkdwnEscape(name) + ">"
}

// slackDate shows t in each reader's own time zone.
func slackDate(t time.Time) string {
	if t.IsZero() {
		return "just now"
	}
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2 Jan 15:04 UTC"))
}

// quoteStart is a message's first words, quoted and made inert.
func quoteStart(text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) > firstWords {
		r := []rune(text)
		text = strings.TrimSpace(string(r[:firstWords-1])) + "…"
	}
	if text == "" {
		return "> (no text)"
	}
	return "> " + send.MrkdwnEscape(text)
}
