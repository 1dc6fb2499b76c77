package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAccountsAndTheirUsers(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		_, ok, err := s.KeyCheck(ctx)
		require.NoError(t, err)
		assert.False(t, ok)
		require.NoError(t, s.SetKeyCheck(ctx, []byte{1, 2, 3}))
		require.NoError(t, s.SetKeyCheck(ctx, []byte{9}), "set once: a second is ignored")
		sealed, ok, err := s.KeyCheck(ctx)
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, []byte{1, 2, 3}, sealed)

		require.NoError(t, s.PutAccount(ctx, Account{Name: "alice", Country: "FR", Token: []byte{0, 1, 255}, ConnectedBy: "U1"}, []string{"U1"}))
		require.NoError(t, s.PutAccount(ctx, Account{Name: "team", Country: "DE", Token: []byte{7}, ConnectedBy: "command line"}, []string{"U2", "U1"}))
		as, err := s.AccountsOf(ctx, "U1")
		require.NoError(t, err)
		require.Len(t, as, 2)
		assert.Equal(t, []string{"U1"}, as[0].Users)
		assert.Equal(t, []string{"U1", "U2"}, as[1].Users, "sorted")
		assert.Equal(t, []byte{0, 1, 255}, as[0].Token)

		require.NoError(t, s.Assign(ctx, "alice", "U3"))
		require.NoError(t, s.Unassign(ctx, "alice", "U3"))
		assert.ErrorIs(t, s.Assign(ctx, "nobody", "U3"), ErrNoAccount)

		tell, err := s.ExpireAccount(ctx, "alice")
		require.NoError(t, err)
		assert.True(t, tell)
		tell, err = s.ExpireAccount(ctx, "alice")
		require.NoError(t, err)
		assert.False(t, tell, "told once")
		a, err := s.Account(ctx, "alice")
		require.NoError(t, err)
		assert.Equal(t, AccountExpired, a.State)
		require.NoError(t, s.PutAccount(ctx, Account{Name: "alice", Country: "FR", Token: []byte{2}, ConnectedBy: "U1"}, nil))
		a, err = s.Account(ctx, "alice")
		require.NoError(t, err)
		assert.Equal(t, AccountConnected, a.State, "reconnected")
		assert.Equal(t, []string{"U1"}, a.Users, "its users kept")

		require.NoError(t, s.RemoveAccount(ctx, "team"))
		assert.ErrorIs(t, s.RemoveAccount(ctx, "team"), ErrNoAccount)
		all, err := s.Accounts(ctx)
		require.NoError(t, err)
		assert.Len(t, all, 1)
	})
}

func TestHomeReadsAPersonsSendsAndWaitingReplies(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		require.NoError(t, s.OpenedHome(ctx, "U1"))
		require.NoError(t, s.OpenedHome(ctx, "U1"))
		users, err := s.HomeUsers(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"U1"}, users)

		for _, k := range []string{"a", "b", "c"} {
			_, err := s.Accept(ctx, sample(k), 0)
			require.NoError(t, err)
		}
		other := sample("d")
		other.Requester = "U2"
		_, err = s.Accept(ctx, other, 0)
		require.NoError(t, err)
		sends, err := s.RecentSends(ctx, "U1", 2)
		require.NoError(t, err)
		require.Len(t, sends, 2)
		assert.Equal(t, []string{"c", "b"}, []string{sends[0].IdemKey, sends[1].IdemKey}, "newest first, only theirs")

		c, err := s.Watch(ctx, Conversation{ConversationID: "2-x", ProfileURL: "https://www.linkedin.com/in/jane-doe", Requester: "U1", Channel: "C1", ThreadTS: "1.1",
			Since: s.now().Add(-1e12), LastActivity: s.now()})
		require.NoError(t, err)
		later := s.now().Add(1e12) // after the sends above
		added, err := s.RecordMessages(ctx, []ConvMessage{{Conversation: c.ID, Key: "k1", SentAt: later, Kind: MsgReply, Sender: "Jane Doe", Body: "Tuesday?"}})
		require.NoError(t, err)
		require.Len(t, added, 1)
		w, err := s.Waiting(ctx, "U1", 10)
		require.NoError(t, err)
		assert.Empty(t, w, "not posted yet")
		require.NoError(t, s.MarkMessage(ctx, c.ID, "k1", false))
		w, err = s.Waiting(ctx, "U1", 10)
		require.NoError(t, err)
		require.Len(t, w, 1)
		assert.Equal(t, "Tuesday?", w[0].Body)
		assert.Equal(t, "C1", w[0].Conversation.Channel)
		w, err = s.Waiting(ctx, "U2", 10)
		require.NoError(t, err)
		assert.Empty(t, w, "not theirs")
	})
}

// TestAccountsAreReadBesideAWrite: the accounts a request's ack waits for
// ("Send as") are read while SQLite's one writing connection is busy, and
// the read sees what that connection committed.
func TestAccountsAreReadBesideAWrite(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		require.NoError(t, s.PutAccount(ctx, Account{Name: "alice", Country: "FR", Token: []byte{1}, ConnectedBy: "U1"}, []string{"U1"}))
		tx, err := s.raw.BeginTx(ctx, nil) // on SQLite: the writing connection, and the write lock
		require.NoError(t, err)
		_, err = tx.ExecContext(ctx, s.db.rebind(`UPDATE accounts SET country = 'DE' WHERE name = ?`), "alice")
		require.NoError(t, err)

		rctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		as, err := s.AccountsOf(rctx, "U1")
		require.NoError(t, err, "not held up by the write")
		require.Len(t, as, 1)
		assert.Equal(t, "FR", as[0].Country, "what is committed, not the write under way")

		require.NoError(t, tx.Commit())
		as, err = s.AccountsOf(ctx, "U1")
		require.NoError(t, err)
		require.Len(t, as, 1)
		assert.Equal(t, "DE", as[0].Country, "the write, once committed")
	})
}
