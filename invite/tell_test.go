package invite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakeslack"
	"linkedin-bot/store"
)

// toldPending returns a service posting to a fake Slack, and a pending
// invitation of U1's told nowhere yet, in C1's thread 1.1.
func toldPending(t *testing.T) (*Service, *store.Store, *fakeslack.Server, int64) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	fs := fakeslack.New(fakeslack.Options{BotToken: "xoxb-test"})
	t.Cleanup(fs.Close)
	api := slack.New("xoxb-test", slack.OptionAPIURL(fs.APIURL()))
	s := New(Config{}, st, nil, nil, &sender{}, api, zerolog.New(io.Discard))
	inv, err := st.AcceptInvitation(ctx, store.Invitation{IdemKey: "view:1", Account: "acme", Requester: "U1", Channel: "C1", ThreadTS: "1.1",
		Recipient: "https://www.linkedin.com/in/jane-doe"}, 0)
	require.NoError(t, err)
	require.NoError(t, st.FinishInvitation(ctx, inv.ID, store.InvitePending, 1, "", "", ""))
	return s, st, fs, inv.ID
}

// assertAllTold asserts that every invitation's state is told.
func assertAllTold(t *testing.T, st *store.Store) {
	t.Helper()
	untold, err := st.Untold(context.Background())
	require.NoError(t, err)
	assert.Empty(t, untold)
}

func invitationPosts(fs *fakeslack.Server) []fakeslack.Post {
	var out []fakeslack.Post
	for _, p := range fs.Posts() {
		if strings.Contains(p.Text, "Invitation sent to") {
			out = append(out, p)
		}
	}
	return out
}

// A post Slack rate-limits is made again after its Retry-After, once.
func TestAnInvitationPostRateLimitedIsMadeAgain(t *testing.T) {
	s, st, fs, id := toldPending(t)
	fs.RateLimit("chat.postMessage", 1)
	s.tellID(id)
	posts := invitationPosts(fs)
	require.Len(t, posts, 1)
	assert.Equal(t, "C1", posts[0].Channel)
	assert.Equal(t, "1.1", posts[0].ThreadTS)
	untold, err := st.Untold(context.Background())
	require.NoError(t, err)
	assert.Empty(t, untold)
	s.tellOwed(context.Background())
	assert.Len(t, invitationPosts(fs), 1, "told once")
}

// A post Slack refuses in its channel goes to the requester's DM, once.
func TestAnInvitationPostRefusedInItsChannelGoesToTheDM(t *testing.T) {
	for _, code := range []string{"not_in_channel", "is_archived", "channel_not_found"} {
		t.Run(code, func(t *testing.T) {
			s, _, fs, id := toldPending(t)
			fs.FailPosts("C1", code)
			s.tellID(id)
			s.tellOwed(context.Background())
			posts := invitationPosts(fs)
			require.Len(t, posts, 1)
			assert.Equal(t, "D1", posts[0].Channel, "the requester's DM")
			assert.Empty(t, posts[0].ThreadTS)
		})
	}
}

// A post refused everywhere is not lost: the state is told again by a
// later cycle, once Slack takes it.
func TestAnInvitationPostRefusedEverywhereIsToldLater(t *testing.T) {
	ctx := context.Background()
	s, st, fs, id := toldPending(t)
	fs.FailPosts("C1", "not_in_channel")
	fs.FailPosts("U1", "cannot_dm_bot")
	s.tellID(id)
	assert.Empty(t, invitationPosts(fs))
	untold, err := st.Untold(ctx)
	require.NoError(t, err)
	require.Len(t, untold, 1, "still to be told")

	fs.FailPosts("C1", "")
	s.tellOwed(ctx)
	s.tellOwed(ctx)
	posts := invitationPosts(fs)
	require.Len(t, posts, 1)
	assert.Equal(t, "C1", posts[0].Channel)
}

// A post Slack made but whose answer was lost (HTTP 500) is found in its
// thread by its metadata and not made again; the state is told.
func TestAnInvitationPostWhoseAnswerWasLostIsNotMadeAgain(t *testing.T) {
	ctx := context.Background()
	s, st, fs, id := toldPending(t)
	fs.LoseAnswers("chat.postMessage", 1)
	s.tellID(id)
	s.tellOwed(ctx)
	posts := invitationPosts(fs)
	require.Len(t, posts, 1, "made once, found, not made again")
	assert.Equal(t, "1.1", posts[0].ThreadTS)
	assert.Contains(t, posts[0].Metadata, postEvent)
	assertAllTold(t, st)
}

// A post Slack failed before making it (HTTP 503) is not in its thread:
// it is made again, once, instead of being left untold.
func TestAnInvitationPostThatFailedIsMadeAgain(t *testing.T) {
	ctx := context.Background()
	s, st, fs, id := toldPending(t)
	fs.FailCalls("chat.postMessage", 1)
	s.tellID(id)
	s.tellOwed(ctx)
	posts := invitationPosts(fs)
	require.Len(t, posts, 1, "looked for, not found, made again")
	assert.Equal(t, "C1", posts[0].Channel)
	assert.Equal(t, "1.1", posts[0].ThreadTS)
	assertAllTold(t, st)
}

// A post in doubt twice (looked for, made again, in doubt again) is not
// made a third time: at most two, never a loop.
func TestAnInvitationPostInDoubtIsMadeAgainAtMostOnce(t *testing.T) {
	s, _, fs, id := toldPending(t)
	fs.FailCalls("chat.postMessage", 5)
	s.tellID(id)
	s.tellOwed(context.Background())
	assert.Empty(t, invitationPosts(fs))
	assert.Len(t, fs.Calls("chat.postMessage"), 2, "the post and one more after looking")
}

// inDM is the requester's own invitation (asked from the Home tab), whose
// place is their user ID: its first post makes its root in their DM.
func inDM(t *testing.T, api Slack) (*Service, *store.Store, int64) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	s := New(Config{}, st, nil, nil, &sender{}, api, zerolog.New(io.Discard))
	inv, err := st.AcceptInvitation(ctx, store.Invitation{IdemKey: "view:1", Account: "acme", Requester: "U1", Channel: "U1",
		Recipient: "https://www.linkedin.com/in/jane-doe"}, 0)
	require.NoError(t, err)
	require.NoError(t, st.FinishInvitation(ctx, inv.ID, store.InvitePending, 1, "", "", ""))
	return s, st, inv.ID
}

// A post to a user's ID that Slack failed (HTTP 503) is looked for in
// the bot's DM with them, not found, and made again: its state is not
// lost because the DM was named by the user.
func TestAnInvitationPostToAUsersDMThatFailedIsMadeAgain(t *testing.T) {
	ctx := context.Background()
	fs := fakeslack.New(fakeslack.Options{BotToken: "xoxb-test"})
	t.Cleanup(fs.Close)
	s, st, id := inDM(t, slack.New("xoxb-test", slack.OptionAPIURL(fs.APIURL())))
	fs.FailCalls("chat.postMessage", 1)
	s.tellID(id)
	s.tellOwed(ctx)
	posts := invitationPosts(fs)
	require.Len(t, posts, 1, "looked for in the DM, not found, made again")
	assert.Equal(t, "D1", posts[0].Channel)
	inv, err := st.GetInvitation(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "D1", inv.Channel, "its root recorded")
	assert.Equal(t, posts[0].TS, inv.ThreadTS)
}

// A post to a user's ID whose answer was lost is found in the bot's DM
// with them and not made again; it is the invitation's root.
func TestAnInvitationPostToAUsersDMWhoseAnswerWasLostIsFound(t *testing.T) {
	ctx := context.Background()
	fs := fakeslack.New(fakeslack.Options{BotToken: "xoxb-test"})
	t.Cleanup(fs.Close)
	s, st, id := inDM(t, slack.New("xoxb-test", slack.OptionAPIURL(fs.APIURL())))
	fs.LoseAnswers("chat.postMessage", 1)
	s.tellID(id)
	s.tellOwed(ctx)
	posts := invitationPosts(fs)
	require.Len(t, posts, 1)
	inv, err := st.GetInvitation(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "D1", inv.Channel, "found, and recorded as its root")
	assert.Equal(t, posts[0].TS, inv.ThreadTS)
}

// failingTo is a Slack whose first post to one channel fails (HTTP 503)
// without being made.
type failingTo struct {
	*slack.Client
	channel string
	failed  bool
}

func (f *failingTo) PostMessageContext(ctx context.Context, ch string, opts ...slack.MsgOption) (string, string, error) {
	if ch == f.channel && !f.failed {
		f.failed = true
		return "", "", slack.StatusCodeError{Code: 503, Status: "503 Service Unavailable"}
	}
	return f.Client.PostMessageContext(ctx, ch, opts...)
}

// A post Slack refused in its channel, then failed in the requester's DM
// (HTTP 503), is looked for in that DM and made again there: the state
// is told, not lost.
func TestAnInvitationPostFailedInTheDMItFellBackToIsMadeAgain(t *testing.T) {
	ctx := context.Background()
	s, st, fs, id := toldPending(t)
	s.slack = &failingTo{Client: slack.New("xoxb-test", slack.OptionAPIURL(fs.APIURL())), channel: "U1"}
	fs.FailPosts("C1", "not_in_channel")
	s.tellID(id)
	s.tellOwed(ctx)
	posts := invitationPosts(fs)
	require.Len(t, posts, 1, "looked for in the DM, not found, made again")
	assert.Equal(t, "D1", posts[0].Channel)
	assertAllTold(t, st)
}

// A post in doubt whose look Slack turns away (a 429, after its
// Retry-After; a 5xx, as in an outage) is looked for again, not left
// untold: not found, it is made again.
func TestAnInvitationPostWhoseLookFailsIsLookedForAgain(t *testing.T) {
	for _, how := range []string{"rate-limited", "5xx"} {
		t.Run(how, func(t *testing.T) {
			ctx := context.Background()
			s, st, fs, id := toldPending(t)
			fs.FailCalls("chat.postMessage", 1)
			if how == "5xx" {
				fs.FailCalls("conversations.replies", 1)
			} else {
				fs.RateLimit("conversations.replies", 1)
			}
			s.tellID(id)
			s.tellOwed(ctx)
			posts := invitationPosts(fs)
			require.Len(t, posts, 1, "looked for again, not found, made again")
			assert.Len(t, fs.Calls("conversations.replies"), 2)
			assertAllTold(t, st)
		})
	}
}

// slackTimeout is the production Slack client's HTTP timeout
// (cmd/linkedin-bot newHTTPClient): the longest a post waits for no answer.
const slackTimeout = 30 * time.Second

// unanswered is a Slack whose first post gets no answer: it is not made,
// and the call ends when the HTTP client gives up (slackTimeout) or its
// context ends.
type unanswered struct {
	*slack.Client
	mu     sync.Mutex
	waited bool
}

func (u *unanswered) PostMessageContext(ctx context.Context, ch string, opts ...slack.MsgOption) (string, string, error) {
	u.mu.Lock()
	first := !u.waited
	u.waited = true
	u.mu.Unlock()
	if first {
		t := time.NewTimer(slackTimeout)
		defer t.Stop()
		select {
		case <-t.C:
			return "", "", errors.New("Post \"https://slack.com/api/chat.postMessage\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)")
		case <-ctx.Done():
			return "", "", ctx.Err()
		}
	}
	return u.Client.PostMessageContext(ctx, ch, opts...)
}

// A post that got no answer until the Slack client gave up is still
// looked for and made again: its budget outlasts one try left unanswered.
// (Slow: it waits the client's 30 s.)
func TestAnInvitationPostWithNoAnswerIsLookedForAndMadeAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("waits the Slack client's timeout")
	}
	s, st, fs, id := toldPending(t)
	s.slack = &unanswered{Client: slack.New("xoxb-test", slack.OptionAPIURL(fs.APIURL()))}
	s.tellID(id)
	posts := invitationPosts(fs)
	require.Len(t, posts, 1, "looked for, not found, made again")
	assert.Len(t, fs.Calls("conversations.replies"), 1, "looked for")
	assertAllTold(t, st)
}

// slackBehind is a Slack whose clock is behind the bot's by lag: the bot's
// "oldest" is that much later by Slack's clock.
type slackBehind struct {
	*slack.Client
	lag time.Duration
}

func (s slackBehind) GetConversationRepliesContext(ctx context.Context, p *slack.GetConversationRepliesParameters) ([]slack.Message, bool, string, error) {
	q := *p
	q.Oldest = shift(t0(q.Oldest), s.lag)
	return s.Client.GetConversationRepliesContext(ctx, &q)
}

func t0(ts string) float64 {
	var f float64
	_, _ = fmt.Sscanf(ts, "%f", &f)
	return f
}

func shift(ts float64, d time.Duration) string {
	return strconv.FormatFloat(ts+d.Seconds(), 'f', 6, 64)
}

// A post whose answer was lost is found in its thread though the bot's
// clock is minutes ahead of Slack's: it is not made twice.
func TestAnInvitationPostIsFoundWithTheBotsClockAhead(t *testing.T) {
	s, _, fs, id := toldPending(t)
	s.slack = slackBehind{Client: slack.New("xoxb-test", slack.OptionAPIURL(fs.APIURL())), lag: 3 * time.Minute}
	fs.LoseAnswers("chat.postMessage", 1)
	s.tellID(id)
	assert.Len(t, invitationPosts(fs), 1, "found, not made again")
}
