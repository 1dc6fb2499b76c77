package conversation

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/store"
)

// slackStub is a Slack whose posts answer answer(n) (the nth post, from
// 1; nil: posted) and which cannot be read back, so that the bridge cannot
// look for a post it may have made.
type slackStub struct {
	mu       sync.Mutex
	answer   func(n int) error
	readable bool     // threads and channels read back empty, instead of a 503
	posts    []string // where each post was tried: channel, or channel/thread
	opened   []string // DMs opened: a post fell back to one
}

func (s *slackStub) PostMessageContext(_ context.Context, channel string, opts ...slack.MsgOption) (string, string, error) {
	_, values, err := slack.UnsafeApplyMsgOptions("xoxb-test", channel, "https://slack.invalid/api/", opts...)
	if err != nil {
		return "", "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	where := channel
	if ts := values.Get("thread_ts"); ts != "" {
		where += "/" + ts
	}
	s.posts = append(s.posts, where)
	if err := s.answer(len(s.posts)); err != nil {
		return "", "", err
	}
	return channel, fmt.Sprintf("1700000100.%06d", len(s.posts)), nil
}

func (s *slackStub) tried() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.posts...)
}

func (s *slackStub) GetConversationHistoryContext(context.Context, *slack.GetConversationHistoryParameters) (*slack.GetConversationHistoryResponse, error) {
	if s.readable {
		return &slack.GetConversationHistoryResponse{}, nil
	}
	return nil, slack.StatusCodeError{Code: http.StatusServiceUnavailable, Status: "503 Service Unavailable"}
}

func (s *slackStub) GetConversationRepliesContext(context.Context, *slack.GetConversationRepliesParameters) ([]slack.Message, bool, string, error) {
	if s.readable {
		return nil, false, "", nil
	}
	return nil, false, "", slack.StatusCodeError{Code: http.StatusServiceUnavailable, Status: "503 Service Unavailable"}
}

func (s *slackStub) OpenConversationContext(_ context.Context, p *slack.OpenConversationParameters) (*slack.Channel, bool, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opened = append(s.opened, strings.Join(p.Users, ","))
	return &slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: "D0ALICE01"}}}, false, false, nil
}

func (s *slackStub) GetPermalinkContext(_ context.Context, p *slack.PermalinkParameters) (string, error) {
	return "https://fake.slack.com/archives/" + p.Channel + "/p" + strings.ReplaceAll(p.Ts, ".", ""), nil
}

// A post Slack rate-limits, in each shape slack-go gives a rate limit, is
// no try that may have posted (its count stays 0, so that a later try needs
// not look for it, which it could not here) and no refusal (it does not go
// to the requester's DM): it is owed, no post is tried before its
// Retry-After has passed, and the owed posts are made then, not at the
// next minute's round. The same holds of an inbox conversation's root.
func TestARateLimitedPostIsOwedUntilItsRetryAfterAndIsNoTry(t *testing.T) {
	const thread = "1700000000.000100"
	limits := []struct {
		name string
		err  error
		wait time.Duration
	}{
		{"429 with Retry-After", &slack.RateLimitedError{RetryAfter: 30 * time.Second}, 30 * time.Second},
		{"429 without Retry-After", slack.StatusCodeError{Code: http.StatusTooManyRequests, Status: "429 Too Many Requests"}, time.Second},
		{"rate_limited", slack.SlackErrorResponse{Err: "rate_limited"}, time.Second},
		{"ratelimited", slack.SlackErrorResponse{Err: "ratelimited"}, time.Second},
	}
	for _, lim := range limits {
		for _, inbox := range []bool{false, true} {
			name := lim.name + ", a reply in its thread"
			if inbox {
				name = lim.name + ", an inbox conversation's root"
			}
			t.Run(name, func(t *testing.T) {
				ctx := context.Background()
				st, err := store.Open(ctx, t.TempDir())
				require.NoError(t, err)
				t.Cleanup(func() { _ = st.Close() })
				c := store.Conversation{Account: "default", ConversationID: "c1", ProfileURL: "https://www.linkedin.com/in/jane-doe",
					Participant: "Jane Doe", Requester: "U0ALICE01", Channel: "C0SALES01", ThreadTS: thread, LastActivity: time.Now()}
				if inbox {
					c.Requester, c.Channel, c.ThreadTS = "", "C0INBOX01", ""
				}
				c, err = st.Watch(ctx, c)
				require.NoError(t, err)
				_, err = st.RecordMessages(ctx, []store.ConvMessage{{Conversation: c.ID, Key: "m1", Kind: store.MsgReply, Sender: "Jane Doe", Body: "Tuesday?", SentAt: time.Now()}})
				require.NoError(t, err)

				sl := &slackStub{answer: func(n int) error {
					if n == 1 {
						return fmt.Errorf("posting: %w", lim.err)
					}
					return nil
				}}
				b := New(Config{CreditsPerDay: 10, NotifyChannel: "C0NOTIFY1", InboxChannel: "C0INBOX01"}, st, nil, sl, zerolog.Nop())
				t0 := time.Now()
				now := t0
				b.now = func() time.Time { return now }

				b.nextOwed = now
				b.deliverOwed(ctx)
				require.Len(t, sl.tried(), 1, "one post, rate-limited")
				where := c.Channel + "/" + thread
				if inbox {
					where = c.Channel
				}
				assert.Equal(t, where, sl.tried()[0])
				owed, err := st.OwedMessages(ctx)
				require.NoError(t, err)
				require.Len(t, owed, 1, "the message is owed")
				assert.False(t, owed[0].Posted)
				assert.Zero(t, owed[0].Tries, "a rate-limited post is no try that may have posted")
				got, err := st.GetConversation(ctx, c.ID)
				require.NoError(t, err)
				assert.Zero(t, got.RootTries, "a rate-limited root is no try that may have posted")
				if inbox {
					assert.Empty(t, got.ThreadTS, "the root is owed")
				}
				assert.Equal(t, t0.Add(lim.wait), b.nextOwed, "the owed posts are made again after Retry-After")

				// Before Retry-After has passed, nothing is posted: neither
				// the owed round nor a conversation a poll found changed.
				now = t0.Add(lim.wait - time.Millisecond)
				b.deliverOwed(ctx)
				got, err = st.GetConversation(ctx, c.ID)
				require.NoError(t, err)
				b.deliverConversation(ctx, b.log, &got)
				assert.Len(t, sl.tried(), 1, "no post while Slack said to wait")
				assert.Equal(t, t0.Add(lim.wait), b.nextOwed)

				// Once it has: everything, at the same places (no refusal).
				now = t0.Add(lim.wait)
				b.deliverOwed(ctx)
				owed, err = st.OwedMessages(ctx)
				require.NoError(t, err)
				assert.Empty(t, owed, "the message and its notification are posted")
				want := []string{where, "C0SALES01/" + thread, "C0NOTIFY1"}
				if inbox {
					want = []string{where, "C0INBOX01", "C0INBOX01/1700000100.000002", "C0NOTIFY1"}
				}
				assert.Equal(t, want, sl.tried())
				assert.Empty(t, sl.opened, "no fallback to the requester's DM")
				if !inbox {
					return
				}
				got, err = st.GetConversation(ctx, c.ID)
				require.NoError(t, err)
				assert.Equal(t, 1, got.RootTries)
				assert.Equal(t, "1700000100.000002", got.ThreadTS)
			})
		}
	}
}

// A post Slack fails (a 503: nothing posted, as reading the thread back
// shows) is tried again after 2 s, then 4 s, then 8 s, not at the next
// minute's round; the wait starts over once the owed posts are made.
func TestAFailedPostIsTriedAgainSoonThenLessOften(t *testing.T) {
	const thread = "1700000000.000100"
	ctx := context.Background()
	st, _ := oneReplyOwed(t, thread)
	sl := &slackStub{readable: true, answer: func(n int) error {
		if n <= 3 {
			return slack.StatusCodeError{Code: http.StatusServiceUnavailable, Status: "503 Service Unavailable"}
		}
		return nil
	}}
	b := New(Config{CreditsPerDay: 10}, st, nil, sl, zerolog.Nop())
	now := time.Now()
	b.now = func() time.Time { return now }

	for i, wait := range []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second} {
		b.deliverOwed(ctx)
		require.Len(t, sl.tried(), i+1)
		assert.Equal(t, now.Add(wait), b.nextOwed, "after failure %d", i+1)
		now = b.nextOwed
	}
	b.deliverOwed(ctx)
	assert.Equal(t, []string{"C0SALES01/" + thread, "C0SALES01/" + thread, "C0SALES01/" + thread, "C0SALES01/" + thread}, sl.tried())
	owed, err := st.OwedMessages(ctx)
	require.NoError(t, err)
	assert.Empty(t, owed, "posted once, on the fourth try")
	assert.Zero(t, b.owedWait, "the wait starts over")
}

// oneReplyOwed is a log on SQLite with one watched conversation, in
// thread, and one reply of it (m1) not yet posted.
func oneReplyOwed(t *testing.T, thread string) (*store.Store, store.Conversation) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	c, err := st.Watch(ctx, store.Conversation{Account: "default", ConversationID: "c1", ProfileURL: "https://www.linkedin.com/in/jane-doe",
		Participant: "Jane Doe", Requester: "U0ALICE01", Channel: "C0SALES01", ThreadTS: thread, LastActivity: time.Now()})
	require.NoError(t, err)
	_, err = st.RecordMessages(ctx, []store.ConvMessage{{Conversation: c.ID, Key: "m1", Kind: store.MsgReply, Sender: "Jane Doe", Body: "Tuesday?", SentAt: time.Now()}})
	require.NoError(t, err)
	return st, c
}
