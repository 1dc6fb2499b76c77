package invite

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/account"
	"linkedin-bot/internal/pgtest"
	"linkedin-bot/linkup"
	"linkedin-bot/send"
	"linkedin-bot/store"
)

// sender is a Sender whose answer is submit's; it counts the hand-overs.
type sender struct {
	mu     sync.Mutex
	calls  int
	submit func(req send.Request) (store.Send, error)
}

func (f *sender) Submit(_ context.Context, req send.Request) (store.Send, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.submit(req)
}

func (f *sender) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// posts is a Slack that keeps the texts posted.
type posts struct {
	mu    sync.Mutex
	texts []string
}

func (p *posts) PostMessageContext(_ context.Context, ch string, opts ...slack.MsgOption) (string, string, error) {
	_, values, err := slack.UnsafeApplyMsgOptions("", ch, "", opts...)
	if err != nil {
		return "", "", err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.texts = append(p.texts, values.Get("text"))
	return ch, "1700000000.000100", nil
}

func (p *posts) GetConversationHistoryContext(context.Context, *slack.GetConversationHistoryParameters) (*slack.GetConversationHistoryResponse, error) {
	return &slack.GetConversationHistoryResponse{}, nil
}

func (p *posts) GetConversationRepliesContext(context.Context, *slack.GetConversationRepliesParameters) ([]slack.Message, bool, string, error) {
	return nil, false, "", nil
}

// accepted returns a service on a fresh log whose one invitation (from
// U1, its message wanted) was accepted: its intent is due.
func accepted(t *testing.T, sd *sender) (*Service, *store.Store, *posts, int64) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	sl := &posts{}
	s := New(Config{}, st, nil, nil, sd, sl, zerolog.New(io.Discard))
	inv, err := st.AcceptInvitation(ctx, store.Invitation{IdemKey: "view:1", Account: "acme", Requester: "U1", Channel: "C1", ThreadTS: "1.1",
		Recipient: "https://www.linkedin.com/in/jane-doe", FromSend: 1, Message: "Hi Jane", Intent: store.IntentWanted}, 0)
	require.NoError(t, err)
	require.NoError(t, st.FinishInvitation(ctx, inv.ID, store.InvitePending, 1, "", "", ""))
	ok, err := st.MarkAccepted(ctx, inv.ID, "Jane")
	require.NoError(t, err)
	require.True(t, ok)
	return s, st, sl, inv.ID
}

func intentOf(t *testing.T, st *store.Store, id int64) string {
	t.Helper()
	inv, err := st.GetInvitation(context.Background(), id)
	require.NoError(t, err)
	return inv.Intent
}

// A message the daily cap refused was not handed over: it is due again,
// so Cancel still takes it back, and then nothing goes after the reset.
func TestAMessageTheDailyCapRefusedCanStillBeCancelled(t *testing.T) {
	ctx := context.Background()
	reset := time.Now().Add(time.Hour)
	sd := &sender{submit: func(send.Request) (store.Send, error) {
		return store.Send{}, &store.CapError{Limit: 1, ResetAt: reset}
	}}
	s, st, sl, id := accepted(t, sd)
	s.followUp(ctx)
	require.Equal(t, 1, sd.count())
	assert.Equal(t, store.IntentDue, intentOf(t, st, id), "nothing handed over: due again")
	require.Len(t, sl.texts, 1)
	assert.Contains(t, sl.texts[0], "daily send limit is reached")

	text, err := s.Cancel(ctx, id, "U1")
	require.NoError(t, err)
	assert.Equal(t, "Cancelled: the message will not be sent when they accept.", text)
	assert.Equal(t, store.IntentCancelled, intentOf(t, st, id))

	s.now = func() time.Time { return reset.Add(time.Minute) }
	sd.submit = func(send.Request) (store.Send, error) { return store.Send{ID: 7}, nil }
	s.followUp(ctx)
	assert.Equal(t, 1, sd.count(), "cancelled: not handed over after the reset")
	assert.Equal(t, store.IntentCancelled, intentOf(t, st, id))
}

// Only a refusal for the account drops the message; a hand-over that
// failed without recording anything is tried again, and one that may have
// been recorded stays sending, handed over again under its key.
func TestAMessageOnAcceptanceIsDroppedOnlyWhenRefused(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		err     error
		intent  string // after the failed hand-over
		retried bool
		crashed bool // a crash left the intent sending: its send may be recorded
	}{
		{"refused for its account", account.ErrNotAllowed, store.IntentDropped, false, false},
		{"its account's session expired", &account.ExpiredError{Name: "acme"}, store.IntentDropped, false, false},
		{"the accounts unreadable", errors.New("reading the accounts: connection refused"), store.IntentDue, true, false},
		{"shutting down", send.ErrClosed, store.IntentDue, true, false},
		{"maybe recorded", send.ErrNotRecorded, store.IntentSending, true, false},
		{"the accounts unreadable after a crash", errors.New("reading the accounts: connection refused"), store.IntentSending, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			failed := c.err
			sd := &sender{}
			sd.submit = func(send.Request) (store.Send, error) {
				if failed != nil {
					return store.Send{}, failed
				}
				return store.Send{ID: 7}, nil
			}
			s, st, sl, id := accepted(t, sd)
			if c.crashed {
				ok, err := st.SetIntent(ctx, id, store.IntentSending, store.IntentDue)
				require.NoError(t, err)
				require.True(t, ok)
			}
			s.followUp(ctx)
			assert.Equal(t, c.intent, intentOf(t, st, id))
			if c.retried {
				assert.Empty(t, sl.texts, "nothing to tell yet")
			} else {
				require.Len(t, sl.texts, 1)
				assert.Contains(t, sl.texts[0], "The message was not sent")
			}

			failed = nil
			s.followUp(ctx)
			inv, err := st.GetInvitation(ctx, id)
			require.NoError(t, err)
			if c.retried {
				assert.Equal(t, 2, sd.count(), "handed over again")
				assert.Equal(t, store.IntentSent, inv.Intent)
				assert.EqualValues(t, 7, inv.SendID)
			} else {
				assert.Equal(t, 1, sd.count(), "dropped: never handed over again")
				assert.Equal(t, store.IntentDropped, inv.Intent)
			}
		})
	}
}

// held is a Sender whose hand-overs of hold's key wait for release; it
// counts the hand-overs by key.
type held struct {
	mu      sync.Mutex
	keys    map[string]int
	hold    string
	started chan struct{}
	release chan struct{}
}

func (h *held) Submit(_ context.Context, req send.Request) (store.Send, error) {
	h.mu.Lock()
	h.keys[req.IdemKey]++
	n := h.keys[req.IdemKey]
	h.mu.Unlock()
	if req.IdemKey == h.hold && n == 1 {
		close(h.started)
		<-h.release
	}
	return store.Send{ID: 7}, nil
}

func (h *held) count(key string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.keys[key]
}

// An acceptance that arrives while the job hands a message over does not
// hand anything over itself (only the job does): the message in flight,
// sending, is not taken for a crash's and submitted a second time.
func TestAnAcceptanceDuringAHandOverDoesNotSubmitAgain(t *testing.T) {
	ctx := context.Background()
	h := &held{keys: map[string]int{}, started: make(chan struct{}), release: make(chan struct{})}
	s, st, _, first := accepted(t, nil)
	s.sender = h
	h.hold = SendKey(first)
	second, err := st.AcceptInvitation(ctx, store.Invitation{IdemKey: "view:2", Account: "acme", Requester: "U1", Channel: "C1", ThreadTS: "1.2",
		Recipient: "https://www.linkedin.com/in/john-roe", FromSend: 2, Message: "Hi John", Intent: store.IntentWanted}, 0)
	require.NoError(t, err)
	require.NoError(t, st.FinishInvitation(ctx, second.ID, store.InvitePending, 1, "", "", ""))

	done := make(chan struct{})
	go func() {
		defer close(done)
		s.followUp(ctx) // the job's hand-over of the first message
	}()
	<-h.started
	s.Accepted(ctx, "acme", []linkup.Person{{Name: "John", ProfileURL: "https://www.linkedin.com/in/john-roe"}})
	s.Accepted(ctx, "acme", []linkup.Person{{Name: "John", ProfileURL: "https://www.linkedin.com/in/john-roe"}})
	assert.Equal(t, 1, h.count(SendKey(first)), "the message in flight is not submitted again")
	assert.Equal(t, 0, h.count(SendKey(second.ID)), "only the job hands a message over")
	close(h.release)
	<-done
	assert.Equal(t, store.IntentSent, intentOf(t, st, first))
	assert.Equal(t, store.IntentDue, intentOf(t, st, second.ID))

	s.followUp(ctx) // the job's next cycle
	assert.Equal(t, 1, h.count(SendKey(first)))
	assert.Equal(t, 1, h.count(SendKey(second.ID)))
	assert.Equal(t, store.IntentSent, intentOf(t, st, second.ID))
}

// An intent a crash left sending whose send is recorded under its key is
// linked to that send, not submitted again.
func TestAnIntentLeftSendingWhoseSendIsRecordedIsLinked(t *testing.T) {
	ctx := context.Background()
	sd := &sender{submit: func(send.Request) (store.Send, error) { return store.Send{ID: 99}, nil }}
	s, st, _, id := accepted(t, sd)
	ok, err := st.SetIntent(ctx, id, store.IntentSending, store.IntentDue)
	require.NoError(t, err)
	require.True(t, ok)
	rec, err := st.Accept(ctx, store.Send{IdemKey: SendKey(id), Account: "acme", Requester: "U1", Channel: "C1", ThreadTS: "1.1",
		Recipient: "https://www.linkedin.com/in/jane-doe", Message: "Hi Jane"}, 0)
	require.NoError(t, err)

	s.followUp(ctx)
	assert.Equal(t, 0, sd.count(), "its send is recorded: not submitted again")
	inv, err := st.GetInvitation(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, store.IntentSent, inv.Intent)
	assert.Equal(t, rec.ID, inv.SendID)
}

// An invitation a killed bot left calling within the grace is recovered
// by a later cycle of the job, once older than the grace, and told.
func TestAnInvitationLeftCallingIsRecoveredByALaterCycle(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	sl := &posts{}
	s := New(Config{}, st, nil, nil, &sender{}, sl, zerolog.New(io.Discard))
	s.grace = 300 * time.Millisecond
	inv, err := st.AcceptInvitation(ctx, store.Invitation{IdemKey: "view:1", Account: "acme", Requester: "U1", Channel: "C1", ThreadTS: "1.1",
		Recipient: "https://www.linkedin.com/in/jane-doe"}, 0)
	require.NoError(t, err)
	require.Equal(t, store.InviteCalling, inv.State)

	s.cycle(ctx)
	got, err := st.GetInvitation(ctx, inv.ID)
	require.NoError(t, err)
	assert.Equal(t, store.InviteCalling, got.State, "within the grace: its call may still run")
	assert.Empty(t, sl.texts)

	time.Sleep(400 * time.Millisecond)
	s.cycle(ctx)
	got, err = st.GetInvitation(ctx, inv.ID)
	require.NoError(t, err)
	assert.Equal(t, store.InviteUnknown, got.State)
	s.cycle(ctx)
	require.Len(t, sl.texts, 1, "told once")
	assert.Contains(t, sl.texts[0], "outcome could not be confirmed")
}

// On a shared log (PostgreSQL), Start leaves an invitation called within
// the grace (another bot's call may still run); the job's next cycle once
// it is older recovers and tells it.
func TestStartLeavesAYoungCallingInvitationToALaterCycle(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenPostgres(ctx, pgtest.Schema(t), true)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	sl := &posts{}
	s := New(Config{Tick: time.Hour}, st, nil, nil, &sender{}, sl, zerolog.New(io.Discard))
	s.grace = 500 * time.Millisecond
	inv, err := st.AcceptInvitation(ctx, store.Invitation{IdemKey: "view:1", Account: "acme", Requester: "U1", Channel: "C1", ThreadTS: "1.1",
		Recipient: "https://www.linkedin.com/in/jane-doe"}, 0)
	require.NoError(t, err)
	require.NoError(t, s.Start(ctx))
	t.Cleanup(s.Close)
	got, err := st.GetInvitation(ctx, inv.ID)
	require.NoError(t, err)
	assert.Equal(t, store.InviteCalling, got.State, "within the grace: left by Start")

	time.Sleep(600 * time.Millisecond)
	s.poke()
	require.Eventually(t, func() bool {
		got, err := st.GetInvitation(ctx, inv.ID)
		return err == nil && got.State == store.InviteUnknown
	}, 5*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool {
		sl.mu.Lock()
		defer sl.mu.Unlock()
		return len(sl.texts) == 1
	}, 5*time.Second, 20*time.Millisecond)
	s.Close()
	sl.mu.Lock()
	defer sl.mu.Unlock()
	require.Len(t, sl.texts, 1, "told once")
	assert.Contains(t, sl.texts[0], "outcome could not be confirmed")
}

func (p *posts) OpenConversationContext(context.Context, *slack.OpenConversationParameters) (*slack.Channel, bool, bool, error) {
	return nil, false, false, errors.New("not in this test")
}
