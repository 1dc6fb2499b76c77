package conversation

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// limitedReads is a Slack whose posts are made and whose reads of a
// thread are rate-limited while limited is set (then read back empty).
type limitedReads struct {
	*slackStub
	mu      sync.Mutex
	limited bool
	reads   int
}

func (s *limitedReads) GetConversationRepliesContext(ctx context.Context, p *slack.GetConversationRepliesParameters) ([]slack.Message, bool, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	if s.limited {
		return nil, false, "", &slack.RateLimitedError{RetryAfter: 20 * time.Second}
	}
	return nil, false, "", nil
}

// A message two earlier tries may have posted (both answers lost) is
// looked for before it is made again. When Slack rate-limits that look,
// the bot has not looked: the message is owed, and looked for (then made,
// being nowhere) once the Retry-After has passed. It is not given up as
// "may already be in Slack", which would lose the reply: reading the
// thread back would have shown it is not there.
func TestARateLimitedLookIsNotACannotLook(t *testing.T) {
	const thread = "1700000000.000100"
	ctx := context.Background()
	st, c := oneReplyOwed(t, thread)
	for range maxTries { // two tries whose answers were lost (they made nothing)
		require.NoError(t, st.IntendMessage(ctx, c.ID, "m1", false))
	}

	sl := &limitedReads{slackStub: &slackStub{answer: func(int) error { return nil }}, limited: true}
	b := New(Config{CreditsPerDay: 10}, st, nil, sl, zerolog.Nop())
	t0 := time.Now()
	now := t0
	b.now = func() time.Time { return now }

	b.nextOwed = now
	b.deliverOwed(ctx)
	assert.Empty(t, sl.tried(), "nothing posted while the thread cannot be read")
	owed, err := st.OwedMessages(ctx)
	require.NoError(t, err)
	require.Len(t, owed, 1, "the message is still owed: it was not looked for, so not given up")
	assert.False(t, owed[0].Posted)

	sl.mu.Lock()
	sl.limited = false
	sl.mu.Unlock()
	now = t0.Add(20 * time.Second)
	b.deliverOwed(ctx)
	assert.Equal(t, []string{"C0SALES01/" + thread}, sl.tried(), "looked for, not found, and posted once")
	owed, err = st.OwedMessages(ctx)
	require.NoError(t, err)
	assert.Empty(t, owed)
}
