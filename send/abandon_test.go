package send

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/internal/fakeslack"
	"linkedin-bot/internal/pgtest"
	"linkedin-bot/linkup"
	"linkedin-bot/store"
)

// eachLog runs test on the embedded SQLite log and, with
// TEST_DATABASE_URL set, on PostgreSQL.
func eachLog(t *testing.T, test func(t *testing.T, st *store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		st, err := store.Open(context.Background(), t.TempDir())
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		test(t, st)
	})
	t.Run("postgres", func(t *testing.T) {
		st, err := store.OpenPostgres(context.Background(), pgtest.Schema(t), true)
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		test(t, st)
	})
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, fakeslack.WaitFor(ctx, what, cond))
}

// An accept gives up while its write lands after all, and a worker claims
// the send at once and calls Linkup; the accept's abandonment runs during
// the call. The send is a worker's claim, which Abandon never touches: it
// ends with Linkup's real answer, recorded, counted and told, once.
func TestLateAbandonLeavesASendAWorkerIsCalling(t *testing.T) {
	eachLog(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		lk := fakelinkup.New()
		t.Cleanup(lk.Close)
		sl := fakeslack.New(fakeslack.Options{BotToken: "xoxb-test"})
		t.Cleanup(sl.Close)
		arrived, proceed := make(chan struct{}), make(chan struct{})
		lk.SetAnswer(func(w http.ResponseWriter, r *http.Request, req fakelinkup.Request) {
			close(arrived)
			<-proceed
			lk.Deliver(w, r, req)
		})
		logs := &lockedBuffer{}
		p := New(Config{Workers: 1, NotifyChannel: "C0NOTIFY1"}, st,
			linkup.New(linkup.Config{BaseURL: lk.URL(), APIKey: "key", LoginToken: "token"}),
			slack.New("xoxb-test", slack.OptionAPIURL(sl.APIURL())), zerolog.New(logs).Level(zerolog.DebugLevel))
		require.NoError(t, p.Start(ctx))
		t.Cleanup(func() { _ = p.Close(ctx) })
		var release sync.Once
		t.Cleanup(func() { release.Do(func() { close(proceed) }) }) // before Close, which waits for the call

		// The accept's write, as it lands after its budget.
		sd := store.Send{IdemKey: "envelope:late", AcceptToken: store.NewAcceptToken(), Account: "default",
			Requester: "U0ALICE01", Channel: "C0SALES01", Recipient: "https://www.linkedin.com/in/jane-doe", Message: "Hi", Country: "FR"}
		rec, err := st.Accept(ctx, sd, 0)
		require.NoError(t, err)
		p.poke()
		<-arrived // a worker claimed it and is calling Linkup

		p.abandon(sd, false) // the accept gave up
		waitFor(t, "the abandonment", func() bool {
			return strings.Contains(logs.String(), "nothing of a given-up accept to abandon") || strings.Contains(logs.String(), "failed, not sent")
		})
		release.Do(func() { close(proceed) })

		waitFor(t, "the outcome", func() bool { return strings.Contains(logs.String(), "linkup send succeeded") })
		waitFor(t, "the outcome told", func() bool {
			got, err := st.Get(ctx, rec.ID)
			return err == nil && got.State.Final() && got.OutcomePosted && got.Notified
		})
		got, err := st.Get(ctx, rec.ID)
		require.NoError(t, err)
		assert.Equal(t, store.Sent, got.State, "Linkup's real answer is recorded")
		assert.Equal(t, 1, got.Credits)
		assert.Equal(t, 1, lk.Count())
		told := 0
		for _, post := range sl.Posts() {
			if post.Channel == "C0SALES01" && strings.Contains(post.Text, "Sent on LinkedIn") {
				told++
			}
		}
		assert.Equal(t, 1, told, "its requester is told it was sent")
		assert.NotContains(t, logs.String(), "took this send over", "the outcome was not refused")
	})
}
