package conversation

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/linkup"
	"linkedin-bot/store"
)

// sessionsStub is one account, li-ana, owned by U0ANA0001, whose session
// answers err.
type sessionsStub struct{ err error }

func (s sessionsStub) Readers(context.Context) ([]Reader, error) {
	return []Reader{{Name: "li-ana"}}, nil
}
func (s sessionsStub) Session(context.Context, string) (linkup.Session, error) {
	return linkup.Session{AccountID: "acc-1"}, s.err
}
func (s sessionsStub) Expire(context.Context, string) (string, error)  { return "", nil }
func (s sessionsStub) Contact(context.Context, string) (string, error) { return "U0ANA0001", nil }

// An account connected on Linkup v2 (its account ID, no login token) whose
// bot now runs v1 cannot be read: its owner is told once, in a DM, what to
// do, and nothing is read (before, the bridge skipped it with a debug log:
// its replies stopped reaching Slack and nobody knew).
func TestAnAccountConnectedOnV2IsToldOnceOnABotOnV1(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	_, err = st.Watch(ctx, store.Conversation{Account: "li-ana", ConversationID: "c1", ProfileURL: "https://www.linkedin.com/in/jane-doe",
		Participant: "Jane Doe", Requester: "U0ANA0001", Channel: "C0SALES01", ThreadTS: "1700000000.000100", LastActivity: time.Now()})
	require.NoError(t, err)
	sl := &slackStub{readable: true, answer: func(int) error { return nil }}
	needsV2 := fmt.Errorf("account li-ana cannot be used on Linkup v1: %w", store.ErrNeedsV2)
	b := New(Config{CreditsPerDay: 10, Sessions: sessionsStub{err: needsV2}}, st, nil, sl, zerolog.Nop())

	for range 3 {
		_, err := b.poll(ctx)
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"D0ALICE01"}, sl.tried(), "one DM, however many polls")
	assert.Equal(t, []string{"U0ANA0001"}, sl.opened, "to the account's owner")

	// A restart does not tell again.
	b = New(Config{CreditsPerDay: 10, Sessions: sessionsStub{err: needsV2}}, st, nil, sl, zerolog.Nop())
	_, err = b.poll(ctx)
	require.NoError(t, err)
	assert.Len(t, sl.tried(), 1)
}
