package campaign

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/account"
	"linkedin-bot/send"
	"linkedin-bot/store"
)

// recorder is a Sender that records each request in the log, as the
// pipeline's accept does, without sending it.
type recorder struct {
	st     *store.Store
	keys   []string
	refuse error // when set, every request is refused with it, unrecorded
}

func (r *recorder) Submit(ctx context.Context, req send.Request) (store.Send, error) {
	if r.refuse != nil {
		return store.Send{}, r.refuse
	}
	sd, err := r.st.Accept(ctx, store.Send{IdemKey: req.IdemKey, Account: req.Account, Requester: req.UserID, Channel: req.ChannelID,
		ThreadTS: req.ThreadTS, Recipient: req.Message.ProfileURL, Message: req.Message.Text, Country: req.Message.Country}, 0)
	if err == nil {
		r.keys = append(r.keys, req.IdemKey+" "+req.Message.Text)
	}
	return sd, err
}

// deskSlack is a Slack that keeps what the campaign posted.
type deskSlack struct {
	mu      sync.Mutex
	tz      string
	root    string
	uploads []slack.UploadFileParameters
	failUps int // uploads that fail (each may have reached Slack)
	failPos int // posts that fail (refused: not posted)
	posts   []string
	// beforeUpdate, when set, runs once as an edit of the root reaches
	// Slack, before it lands (another bot's edit landing first).
	beforeUpdate func()
	// afterPost, when set, runs once as a post has reached Slack.
	afterPost func()
}

func (d *deskSlack) PostMessageContext(_ context.Context, ch string, opts ...slack.MsgOption) (string, string, error) {
	_, values, err := slack.UnsafeApplyMsgOptions("", ch, "", opts...)
	if err != nil {
		return "", "", err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.failPos > 0 {
		d.failPos--
		return "", "", errors.New("not_in_channel")
	}
	d.posts = append(d.posts, values.Get("thread_ts")+" "+values.Get("text"))
	if hook := d.afterPost; hook != nil {
		d.afterPost = nil
		defer hook()
	}
	return ch, "1700000000.000100", nil
}

func (d *deskSlack) UpdateMessageContext(_ context.Context, ch, ts string, opts ...slack.MsgOption) (string, string, string, error) {
	_, values, err := slack.UnsafeApplyMsgOptions("", ch, "", opts...)
	if err != nil {
		return "", "", "", err
	}
	d.mu.Lock()
	hook := d.beforeUpdate
	d.beforeUpdate = nil
	d.mu.Unlock()
	if hook != nil {
		hook()
	}
	d.mu.Lock()
	d.root = values.Get("text")
	d.mu.Unlock()
	return ch, ts, "", nil
}

func (d *deskSlack) GetUserInfoContext(_ context.Context, user string, _ ...slack.GetUserInfoOption) (*slack.User, error) {
	return &slack.User{ID: user, TZ: d.tz}, nil
}

func (d *deskSlack) UploadFileContext(_ context.Context, p slack.UploadFileParameters) (*slack.FileSummary, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.uploads = append(d.uploads, p)
	if d.failUps > 0 {
		d.failUps--
		return nil, errors.New("files.completeUploadExternal: 500")
	}
	return &slack.FileSummary{ID: "F1"}, nil
}

// openLog opens a fresh send log, closed after the test.
func openLog(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "data"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// everySecond paces a campaign a second apart, at any hour.
var everySecond = Pace{GapMin: time.Second, GapMax: time.Second, Hours: Hours{Always: true}}

// finishAll sends every queued send of the log (the pipeline's part).
func finishAll(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	for {
		sd, ok, err := st.Claim(ctx, 0)
		require.NoError(t, err)
		if !ok {
			return
		}
		require.NoError(t, st.Finish(ctx, sd.ID, store.Outcome{State: store.Sent, Credits: 1}))
	}
}

func TestRunnerPacesOnItsClock(t *testing.T) {
	ctx := context.Background()
	st := openLog(t)
	hours, _ := ParseHours("Mon-Fri 09:00-18:00")
	paris, _ := time.LoadLocation("Europe/Paris")
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, paris) // a Wednesday morning
	rec := &recorder{st: st}
	sl := &deskSlack{tz: "Europe/Paris"}
	s := New(Config{
		Pace:   Pace{GapMin: 90 * time.Second, GapMax: 300 * time.Second, Hours: hours},
		Limits: Limits{MaxRows: 10, MaxMessageLen: 100, RecontactDays: 30},
		Now:    func() time.Time { return now }, Rand: rand.New(rand.NewPCG(1, 1)),
	}, st, rec, sl, zerolog.New(io.Discard))
	c, err := s.Create(ctx, Draft{Key: "view:V1", Owner: "U1", Account: "acct", Channel: "C1",
		CSV: "url,name\nlinkedin.com/in/a,A\nlinkedin.com/in/b,B\nlinkedin.com/in/c,C\nlinkedin.com/in/d,D\n", Template: "Hi {name}"})
	require.NoError(t, err)
	require.NoError(t, s.PostReview(ctx, c.ID))

	s.cycle(ctx)
	assert.Empty(t, rec.keys, "nothing before Start")
	_, err = s.Act(ctx, c.ID, "U2", StartActionID)
	require.ErrorIs(t, err, ErrNotYours, "no Accounts: the owner only")
	text, err := s.Act(ctx, c.ID, "U1", StartActionID)
	require.NoError(t, err)
	require.Empty(t, text)

	s.cycle(ctx)
	require.Equal(t, []string{"campaign:1:1 Hi A"}, rec.keys, "the first row at once")
	finishAll(t, st)
	now = now.Add(89 * time.Second)
	s.cycle(ctx)
	assert.Len(t, rec.keys, 1, "not within CAMPAIGN_GAP_MIN")
	assert.Regexp(t, `1 of 4 sent · next at 10:0[1-5] \(Europe/Paris\)$`, sl.root, "the gap's end, in the owner's zone")

	now = now.Add(300 * time.Second)
	s.cycle(ctx)
	require.Len(t, rec.keys, 2, "after the gap")
	finishAll(t, st)

	// A manual send waiting for the account goes first.
	_, err = st.Accept(ctx, store.Send{IdemKey: "envelope:manual", Account: "acct", Requester: "U3", Channel: "C1", Recipient: "https://www.linkedin.com/in/z", Message: "manual"}, 0)
	require.NoError(t, err)
	now = now.Add(301 * time.Second)
	s.cycle(ctx)
	assert.Len(t, rec.keys, 2, "the campaign waits while a manual send is queued")
	finishAll(t, st)
	s.cycle(ctx)
	require.Len(t, rec.keys, 3)
	finishAll(t, st)

	// After 18:00 in Paris, the next morning at 09:00.
	now = time.Date(2026, 12, 2, 18, 30, 0, 0, paris)
	s.cycle(ctx)
	assert.Len(t, rec.keys, 3, "not outside CAMPAIGN_HOURS")
	assert.Contains(t, sl.root, "3 of 4 sent · next at Thu 3 Dec 09:00 (Europe/Paris)")
	now = time.Date(2026, 12, 3, 8, 59, 0, 0, paris)
	s.cycle(ctx)
	assert.Len(t, rec.keys, 3)
	now = time.Date(2026, 12, 3, 9, 0, 0, 0, paris)
	s.cycle(ctx)
	require.Len(t, rec.keys, 4)
	finishAll(t, st)
	s.cycle(ctx)
	assert.Contains(t, sl.root, "Done: 4 of 4 sent")
	require.Len(t, sl.uploads, 1)
	assert.Equal(t, "1700000000.000100", sl.uploads[0].ThreadTimestamp)
	assert.Equal(t, 5, strings.Count(sl.uploads[0].Content, "\n"), "a header and four rows")
	s.cycle(ctx)
	assert.Len(t, sl.uploads, 1, "one report")
	got, err := st.GetCampaign(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, store.CampaignDone, got.State)
	assert.False(t, errors.Is(err, store.ErrNoCampaign))
}

func TestReportIsTriedTwiceAtMost(t *testing.T) {
	ctx := context.Background()
	st := openLog(t)
	sl := &deskSlack{failUps: 5}
	s := New(Config{Pace: everySecond, Limits: Limits{RecontactDays: 30}},
		st, &recorder{st: st}, sl, zerolog.New(io.Discard))
	c, err := s.Create(ctx, Draft{Key: "view:V1", Owner: "U1", Account: "acct", Channel: "C1", CSV: "url\nlinkedin.com/in/a\n", Template: "Hi"})
	require.NoError(t, err)
	require.NoError(t, s.PostReview(ctx, c.ID))
	_, err = s.Act(ctx, c.ID, "U1", CancelActionID)
	require.NoError(t, err)
	for range 4 {
		s.cycle(ctx)
	}
	assert.Len(t, sl.uploads, 2, "an upload that may have reached Slack is tried twice, never a third time")
	assert.Contains(t, sl.root, "Cancelled: 0 of 1 sent · 1 cancelled")
}

func TestAnAccountThatCannotBeUsedPausesTheCampaign(t *testing.T) {
	ctx := context.Background()
	st := openLog(t)
	sl := &deskSlack{}
	rec := &recorder{st: st, refuse: &account.ExpiredError{Name: "acct"}}
	s := New(Config{Pace: everySecond, Limits: Limits{RecontactDays: 30}},
		st, rec, sl, zerolog.New(io.Discard))
	c, err := s.Create(ctx, Draft{Key: "view:V1", Owner: "U1", Account: "acct", Channel: "C1", CSV: "url\nlinkedin.com/in/a\nlinkedin.com/in/b\n", Template: "Hi"})
	require.NoError(t, err)
	require.NoError(t, s.PostReview(ctx, c.ID))
	_, err = s.Act(ctx, c.ID, "U1", StartActionID)
	require.NoError(t, err)
	s.cycle(ctx)
	s.cycle(ctx)
	got, err := st.GetCampaign(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, store.CampaignPaused, got.State, "every next row would fail the same way")
	rows, err := st.CampaignRows(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, store.RowPending, rows[0].State, "nothing lost: the row waits")
	require.Len(t, sl.posts, 2, "the review, then one line in its thread")
	assert.Contains(t, sl.posts[1], "1700000000.000100 :double_vertical_bar: <@U1> the campaign is paused")
	assert.Contains(t, sl.root, "Paused: 0 of 2 sent")

	rec.refuse = nil
	_, err = s.Act(ctx, c.ID, "U1", ResumeActionID)
	require.NoError(t, err)
	s.cycle(ctx)
	assert.Equal(t, []string{"campaign:1:1 Hi"}, rec.keys, "resumed where it was")
}

func TestReportCommentEscapesTheCampaignName(t *testing.T) {
	ctx := context.Background()
	st := openLog(t)
	sl := &deskSlack{}
	s := New(Config{Pace: everySecond, Limits: Limits{RecontactDays: 30}},
		st, &recorder{st: st}, sl, zerolog.New(io.Discard))
	c, err := s.Create(ctx, Draft{Key: "view:V1", Name: "<!channel> & <@U1>", Owner: "U1", Account: "acct", Channel: "C1", CSV: "url\nlinkedin.com/in/a\n", Template: "Hi"})
	require.NoError(t, err)
	require.NoError(t, s.PostReview(ctx, c.ID))
	_, err = s.Act(ctx, c.ID, "U1", CancelActionID)
	require.NoError(t, err)
	s.cycle(ctx)
	require.Len(t, sl.uploads, 1)
	assert.Equal(t, "Report of campaign “&lt;!channel&gt; &amp; &lt;@U1&gt;”: one line per row (row, profile URL, state, reason, sent at, replied).",
		sl.uploads[0].InitialComment, "a name pings nobody")
}

func TestACampaignWithoutItsReviewNeverStarts(t *testing.T) {
	ctx := context.Background()
	st := openLog(t)
	sl := &deskSlack{failPos: 2}
	rec := &recorder{st: st}
	s := New(Config{Pace: everySecond, Limits: Limits{RecontactDays: 30}},
		st, rec, sl, zerolog.New(io.Discard))

	// Its channel and its owner's DM both refuse the review: it is cancelled.
	c, err := s.Create(ctx, Draft{Key: "view:V1", Owner: "U1", Account: "acct", Channel: "C1", CSV: "url\nlinkedin.com/in/a\n", Template: "Hi"})
	require.NoError(t, err)
	require.Error(t, s.PostReview(ctx, c.ID))
	got, err := st.GetCampaign(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, store.CampaignCancelled, got.State)
	assert.True(t, got.ReportDone, "no thread for a report")
	text, err := s.Act(ctx, c.ID, "U1", StartActionID)
	require.NoError(t, err)
	assert.NotEmpty(t, text)

	// One whose review is not posted (yet, or its cancel failed): Start refuses it.
	c, err = s.Create(ctx, Draft{Key: "view:V2", Owner: "U1", Account: "acct", Channel: "C1", CSV: "url\nlinkedin.com/in/b\n", Template: "Hi"})
	require.NoError(t, err)
	text, err = s.Act(ctx, c.ID, "U1", StartActionID)
	require.NoError(t, err)
	assert.Equal(t, ":warning: This campaign's review is not recorded as posted, so it cannot start; nothing was sent. If it does not appear in a moment, create the campaign again.", text)
	got, err = st.GetCampaign(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, store.CampaignReview, got.State)
	for range 3 {
		s.cycle(ctx)
	}
	assert.Empty(t, rec.keys, "nothing sent")
	assert.Empty(t, sl.uploads, "no report")
	assert.Empty(t, sl.posts)
}

// Pause pressed on another bot while this one's runner edits the root:
// the other bot's edit (Paused) lands first, this one's (Running) after.
// The runner reads the state again after its edit and edits once more, so
// the root ends saying Paused, with Resume.
func TestARootEditedWhileAnotherBotPausesEndsPaused(t *testing.T) {
	ctx := context.Background()
	st := openLog(t)
	sl := &deskSlack{}
	rec := &recorder{st: st}
	s := New(Config{Pace: Pace{GapMin: time.Hour, GapMax: time.Hour, Hours: Hours{Always: true}}, Limits: Limits{RecontactDays: 30}},
		st, rec, sl, zerolog.New(io.Discard))
	c, err := s.Create(ctx, Draft{Key: "view:V1", Owner: "U1", Account: "acct", Channel: "C1", CSV: "url\nlinkedin.com/in/a\nlinkedin.com/in/b\n", Template: "Hi"})
	require.NoError(t, err)
	require.NoError(t, s.PostReview(ctx, c.ID))
	_, err = s.Act(ctx, c.ID, "U1", StartActionID)
	require.NoError(t, err)
	sl.mu.Lock()
	sl.beforeUpdate = func() {
		moved, err := st.MoveCampaign(ctx, c.ID, store.CampaignPaused, store.CampaignRunning)
		assert.NoError(t, err)
		assert.True(t, moved)
		sl.mu.Lock()
		sl.root = "Paused, by the other bot"
		sl.mu.Unlock()
	}
	sl.mu.Unlock()
	s.cycle(ctx)
	require.Len(t, rec.keys, 1, "the first row went before the pause")
	assert.Contains(t, sl.root, "Paused: 0 of 2 sent", "the root says where the campaign is")
	s.cycle(ctx)
	assert.Len(t, rec.keys, 1, "nothing more while paused")
}

// Two bots share a campaign's root. This bot starts it (Running), the
// other pauses it (Paused), then this bot resumes it: the root must say
// Running again, though that is what this bot last wrote there.
func TestAButtonEditsTheRootWhateverThisBotLastWroteThere(t *testing.T) {
	ctx := context.Background()
	st := openLog(t)
	sl := &deskSlack{}
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	cfg := Config{Pace: Pace{GapMin: time.Hour, GapMax: time.Hour, Hours: Hours{Always: true}}, Limits: Limits{RecontactDays: 30},
		Now: func() time.Time { return now }}
	a := New(cfg, st, &recorder{st: st}, sl, zerolog.New(io.Discard))
	b := New(cfg, st, &recorder{st: st}, sl, zerolog.New(io.Discard))
	c, err := a.Create(ctx, Draft{Key: "view:V1", Owner: "U1", Account: "acct", Channel: "C1", CSV: "url\nlinkedin.com/in/a\nlinkedin.com/in/b\n", Template: "Hi"})
	require.NoError(t, err)
	require.NoError(t, a.PostReview(ctx, c.ID))
	_, err = a.Act(ctx, c.ID, "U1", StartActionID)
	require.NoError(t, err)
	running := sl.root
	require.Contains(t, running, ":arrow_forward: 0 of 2 sent")
	_, err = b.Act(ctx, c.ID, "U1", PauseActionID)
	require.NoError(t, err)
	require.Contains(t, sl.root, "Paused: 0 of 2 sent", "the other bot's edit")
	_, err = a.Act(ctx, c.ID, "U1", ResumeActionID)
	require.NoError(t, err)
	assert.Equal(t, running, sl.root, "this bot's Resume edits the root back to Running")
}

// The review is posted, but the request's time runs out before its root
// is recorded: the campaign is cancelled, and the review posted (its
// Start would be refused) is edited to say nothing of it will be sent.
func TestAReviewPostedButNotRecordedSaysNothingWillBeSent(t *testing.T) {
	ctx := context.Background()
	st := openLog(t)
	sl := &deskSlack{}
	var changed []string
	rec := &recorder{st: st}
	s := New(Config{Pace: everySecond, Limits: Limits{RecontactDays: 30},
		Changed: func(u string) { changed = append(changed, u) }}, st, rec, sl, zerolog.New(io.Discard))
	c, err := s.Create(ctx, Draft{Key: "view:V1", Owner: "U1", Account: "acct", Channel: "C1", CSV: "url\nlinkedin.com/in/a\n", Template: "Hi"})
	require.NoError(t, err)
	rctx, cancel := context.WithCancel(ctx)
	sl.afterPost = cancel
	require.ErrorIs(t, s.PostReview(rctx, c.ID), context.Canceled)

	require.Len(t, sl.posts, 1, "the review was posted")
	assert.Equal(t, ":x: This campaign could not be recorded as posted, so nothing of it will be sent. Please create it again.", sl.root,
		"the review posted says so")
	got, err := st.GetCampaign(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, store.CampaignCancelled, got.State)
	assert.Empty(t, got.RootTS)
	assert.True(t, got.ReportDone, "no thread for a report")
	assert.Equal(t, []string{"U1"}, changed)
	text, err := s.Act(ctx, c.ID, "U1", StartActionID)
	require.NoError(t, err)
	assert.NotEmpty(t, text, "Start refused")
	for range 3 {
		s.cycle(ctx)
	}
	assert.Empty(t, rec.keys, "nothing sent")
	assert.Empty(t, sl.uploads, "no report")
}

// A person messaged (by hand, or by another campaign) since the campaign
// was created, under another form of their URL, is not messaged again.
func TestTheRecontactRuleKnowsAPersonWhateverTheirURLsCase(t *testing.T) {
	ctx := context.Background()
	st := openLog(t)
	sl := &deskSlack{}
	rec := &recorder{st: st}
	s := New(Config{Pace: everySecond, Limits: Limits{RecontactDays: 30}},
		st, rec, sl, zerolog.New(io.Discard))
	c, err := s.Create(ctx, Draft{Key: "view:V1", Owner: "U1", Account: "acct", Channel: "C1",
		CSV: "url\nhttps://www.linkedin.com/in/Jane-Doe/\nlinkedin.com/in/sam\n", Template: "Hi"})
	require.NoError(t, err)
	require.NoError(t, s.PostReview(ctx, c.ID))
	// Jane, messaged by hand meanwhile, under her URL in lower case.
	_, err = st.Accept(ctx, store.Send{IdemKey: "envelope:manual", Account: "acct", Requester: "U3", Channel: "C1",
		Recipient: "https://linkedin.com/in/jane-doe", Message: "manual"}, 0)
	require.NoError(t, err)
	finishAll(t, st)
	_, err = s.Act(ctx, c.ID, "U1", StartActionID)
	require.NoError(t, err)
	s.cycle(ctx)
	rows, err := st.CampaignRows(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, store.RowSkipped, rows[0].State, "Jane was messaged since")
	assert.Equal(t, "already messaged by this account in the last 30 days", rows[0].Reason)
	assert.Empty(t, rec.keys, "nothing sent to Jane")
}

// A row's send calls Linkup a while after its claim (it waited in the
// queue): the next row waits CAMPAIGN_GAP_MIN from that call, not from
// the claim. And while a claimed send of the account has not called yet
// (its campaign paused meanwhile), another campaign of the account waits.
func TestTheGapCountsFromTheLastSendsCallNotItsClaim(t *testing.T) {
	ctx := context.Background()
	st := openLog(t)
	sl := &deskSlack{}
	rec := &recorder{st: st}
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	s := New(Config{Pace: everySecond, Limits: Limits{RecontactDays: 30},
		Now: func() time.Time { return now }}, st, rec, sl, zerolog.New(io.Discard))
	a, err := s.Create(ctx, Draft{Key: "view:V1", Owner: "U1", Account: "acct", Channel: "C1", CSV: "url\nlinkedin.com/in/a\nlinkedin.com/in/b\n", Template: "Hi"})
	require.NoError(t, err)
	require.NoError(t, s.PostReview(ctx, a.ID))
	_, err = s.Act(ctx, a.ID, "U1", StartActionID)
	require.NoError(t, err)
	claimed := now
	s.cycle(ctx)
	require.Len(t, rec.keys, 1, "the first row")

	time.Sleep(1500 * time.Millisecond) // the send waits in the queue
	sd, ok, err := st.Claim(ctx, 0)     // the pipeline calls Linkup for it now
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, st.Finish(ctx, sd.ID, store.Outcome{State: store.Sent, Credits: 1}))
	called := claimed.Add(sd.CalledAt.Sub(sd.CreatedAt)) // by the runner's clock
	require.GreaterOrEqual(t, called.Sub(claimed), 1500*time.Millisecond)
	now = claimed.Add(2 * time.Second) // a gap after the claim
	s.cycle(ctx)
	assert.Len(t, rec.keys, 1, "less than CAMPAIGN_GAP_MIN after the first send's call")
	now = called.Add(time.Second)
	s.cycle(ctx)
	require.Len(t, rec.keys, 2, "a gap after the call")

	// Row 2's send waits in the queue, and its campaign pauses: another
	// campaign of the account waits for that send's call.
	_, err = s.Act(ctx, a.ID, "U1", PauseActionID)
	require.NoError(t, err)
	b, err := s.Create(ctx, Draft{Key: "view:V2", Owner: "U1", Account: "acct", Channel: "C1", CSV: "url\nlinkedin.com/in/d\n", Template: "Hello"})
	require.NoError(t, err)
	require.NoError(t, s.PostReview(ctx, b.ID))
	_, err = s.Act(ctx, b.ID, "U1", StartActionID)
	require.NoError(t, err)
	now = now.Add(time.Hour)
	s.cycle(ctx)
	assert.Len(t, rec.keys, 2, "row 2's send has not called Linkup yet")
	sd, ok, err = st.Claim(ctx, 0)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, st.Finish(ctx, sd.ID, store.Outcome{State: store.Sent, Credits: 1}))
	s.cycle(ctx)
	assert.Equal(t, []string{"campaign:1:1 Hi", "campaign:1:2 Hi", "campaign:2:1 Hello"}, rec.keys, "once row 2's send called, long ago by the runner's clock")
}

// A Cancel that lands while a cycle runs the campaign (after its rows
// were read, before the next row is claimed) is what the report shows:
// the rows it cancelled say so, none "pending".
func TestAReportAfterACancelDuringACycleSaysCancelled(t *testing.T) {
	ctx := context.Background()
	st := openLog(t)
	var s *Service
	var cancelAt atomic.Bool
	var id int64
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time {
		if cancelAt.CompareAndSwap(true, false) {
			_, err := s.Act(ctx, id, "U1", CancelActionID) // the owner's click, mid-cycle
			require.NoError(t, err)
		}
		return now
	}
	rec := &recorder{st: st}
	sl := &deskSlack{}
	s = New(Config{Pace: everySecond, Limits: Limits{RecontactDays: 30},
		Now: clock, Rand: rand.New(rand.NewPCG(1, 1))}, st, rec, sl, zerolog.New(io.Discard))
	c, err := s.Create(ctx, Draft{Key: "view:V1", Owner: "U1", Account: "acct", Channel: "C1",
		CSV: "url,name\nlinkedin.com/in/a,A\nlinkedin.com/in/b,B\nlinkedin.com/in/c,C\n", Template: "Hi {name}"})
	require.NoError(t, err)
	id = c.ID
	require.NoError(t, s.PostReview(ctx, c.ID))
	_, err = s.Act(ctx, c.ID, "U1", StartActionID)
	require.NoError(t, err)
	s.cycle(ctx)
	require.Len(t, rec.keys, 1)
	finishAll(t, st)

	now = now.Add(2 * time.Second)
	cancelAt.Store(true)
	s.cycle(ctx)
	require.False(t, cancelAt.Load(), "the cancel landed mid-cycle")
	assert.Len(t, rec.keys, 1, "nothing after Cancel")
	require.Len(t, sl.uploads, 1)
	report := sl.uploads[0].Content
	assert.NotContains(t, report, "pending")
	assert.Equal(t, 2, strings.Count(report, ",cancelled,"), report)
}
