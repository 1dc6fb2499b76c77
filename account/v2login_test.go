package account

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/store"
)

// migrator counts the migrations Session asks for.
type migrator struct {
	mu    sync.Mutex
	calls int
}

func (m *migrator) Migrate(_ context.Context, token, _ string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	return "migrated-" + token, nil
}

func (m *migrator) n() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls
}

// An account logged in on v2 (issue 23) is stored with what the login
// gave: its account ID alone, sealed in the token's place and bound to
// the account, or a token and its ID, kept so that no migration is needed.
// Either sends on v2 with that ID and no Linkup call; the ID alone cannot
// send on v1.
func TestAV2LoginIsStoredSealedAndSendsWithoutAnotherLogin(t *testing.T) {
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		key := NewKey()
		lk := &migrator{}
		svc, err := New(ctx, st, Config{Key: key, DefaultName: "team", Linkup: lk})
		require.NoError(t, err)

		name, err := svc.ConnectOwn(ctx, "U1", "Alice", "DE", Credential{AccountID: "69c1alice"})
		require.NoError(t, err)
		require.NoError(t, svc.Connect(ctx, "bob-li", "FR", Credential{Token: "AQEDbob", AccountID: "69c1bob"}, []string{"U2"}, "test"))
		require.NoError(t, svc.Connect(ctx, "team", "FR", Credential{AccountID: "69c1team"}, nil, "command line"))

		for n, want := range map[string]Session{
			name:     {Country: "DE", AccountID: "69c1alice"},
			"bob-li": {Token: "AQEDbob", Country: "FR", AccountID: "69c1bob"},
			"team":   {Country: "FR", AccountID: "69c1team"},
		} {
			got, err := svc.Session(ctx, n)
			require.NoError(t, err, n)
			assert.Equal(t, want, got, n)
		}
		assert.Equal(t, 0, lk.n(), "no migration: the login gave the ID")

		// Sealed in the token's place: nothing in clear, and bound to its
		// account (swapped into another row, it does not open).
		alice, err := st.Account(ctx, name)
		require.NoError(t, err)
		assert.NotContains(t, string(alice.Token), "69c1alice")
		kept, ok, err := st.LinkupAccount(ctx, name)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, store.LinkupAccount{Name: name, AccountID: "69c1alice"}, kept, "its copy, with no token hash")

		// The kept copy changed behind the bot's back: the sealed ID wins
		// and the copy is put right, still without a Linkup call.
		require.NoError(t, st.PutLinkupAccount(ctx, store.LinkupAccount{Name: name, AccountID: "69c1bob"}))
		got, err := svc.Session(ctx, name)
		require.NoError(t, err)
		assert.Equal(t, "69c1alice", got.AccountID)
		kept, _, _ = st.LinkupAccount(ctx, name)
		assert.Equal(t, "69c1alice", kept.AccountID)
		assert.Equal(t, 0, lk.n())

		// On v1, the ID alone cannot send; the token can.
		v1, err := New(ctx, st, Config{Key: key, DefaultName: "team"})
		require.NoError(t, err)
		_, err = v1.Session(ctx, name)
		assert.ErrorIs(t, err, ErrNeedsV2)
		assert.Contains(t, err.Error(), "set LINKUP_API_VERSION=v2, or connect it again")
		got, err = v1.Session(ctx, "bob-li")
		require.NoError(t, err)
		assert.Equal(t, Session{Token: "AQEDbob", Country: "FR"}, got)
		// A dry run on v2 calls no Linkup, and may use it.
		dry, err := New(ctx, st, Config{Key: key, DefaultName: "team", V2: true})
		require.NoError(t, err)
		got, err = dry.Session(ctx, name)
		require.NoError(t, err)
		assert.Equal(t, "69c1alice", got.AccountID)

		// Connected again on v1 with a token: the token is migrated, once.
		_, err = svc.ConnectOwn(ctx, "U1", "Alice", "DE", Credential{Token: "AQEDalice"})
		require.NoError(t, err)
		got, err = svc.Session(ctx, name)
		require.NoError(t, err)
		assert.Equal(t, Session{Token: "AQEDalice", Country: "DE", AccountID: "migrated-AQEDalice"}, got)
		assert.Equal(t, 1, lk.n())

		// Nothing to store, or a token that is the mark, is refused.
		_, err = svc.ConnectOwn(ctx, "U3", "Carol", "FR", Credential{})
		assert.Error(t, err)
		assert.Error(t, svc.Connect(ctx, "eve", "FR", Credential{Token: v2Mark + "69c1alice"}, []string{"U4"}, "test"))
		as, err := st.Accounts(ctx)
		require.NoError(t, err)
		assert.Len(t, as, 3)
	})
}

// The sealed ID is bound to its account like a token: copied into another
// account's row, it does not open there.
func TestASealedV2IDDoesNotOpenInAnotherAccount(t *testing.T) {
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, err := New(ctx, st, Config{Key: NewKey(), DefaultName: "team", V2: true})
		require.NoError(t, err)
		require.NoError(t, svc.Connect(ctx, "alice", "FR", Credential{AccountID: "69c1alice"}, []string{"U1"}, "test"))
		require.NoError(t, svc.Connect(ctx, "bob", "FR", Credential{AccountID: "69c1bob"}, []string{"U2"}, "test"))
		alice, err := st.Account(ctx, "alice")
		require.NoError(t, err)
		check, _, err := st.KeyCheck(ctx)
		require.NoError(t, err)
		// As someone who can write the store would: Alice's sealed ID in Bob's row.
		require.NoError(t, st.PutAccount(ctx, store.Account{Name: "bob", Country: "FR"}, nil, check, func(string) ([]byte, error) { return alice.Token, nil }))
		_, err = svc.Session(ctx, "bob")
		assert.ErrorIs(t, err, ErrUnopenable)
		s, err := svc.Session(ctx, "alice")
		require.NoError(t, err)
		assert.Equal(t, "69c1alice", s.AccountID, "in its own row it opens")
	})
}
