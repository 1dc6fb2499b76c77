package account

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/pgtest"
	"linkedin-bot/store"
)

// eachStore runs test on an embedded SQLite store and, with
// TEST_DATABASE_URL set, on PostgreSQL.
func eachStore(t *testing.T, test func(t *testing.T, st *store.Store)) {
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

// TestSelfServiceOwnsByUserNotByName: a colleague who takes the name the
// bot would give John's account gets an account of her own; John gets his.
// Neither joins, renews or receives the other's.
func TestSelfServiceOwnsByUserNotByName(t *testing.T) {
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, err := New(ctx, st, Config{Key: NewKey(), DefaultName: "team", DefaultToken: "teamtok"})
		require.NoError(t, err)
		connect := func(user, name, token string) string {
			got, err := svc.ConnectOwn(ctx, user, name, "FR", Credential{Token: token})
			require.NoError(t, err)
			return got
		}
		assert.Equal(t, "John Smith", connect("U0JOHN001", "John Smith", "tok-namesake"))
		assert.Equal(t, "John Smith (U0JOHN002)", connect("U0MALLORY", "John Smith (U0JOHN002)", "tok-mallory"))
		johns := connect("U0JOHN002", "John Smith", "tok-john")
		assert.NotEqual(t, "John Smith (U0JOHN002)", johns)
		assert.Equal(t, "team (U0TEAM)", connect("U0TEAM", "team", "tok-t"), "the default account's name is never given")
		assert.Equal(t, "Eve ' s (U0EVE)", connect("U0EVE", "Eve\n`\x1b s (U0EVE)", "tok-e"), "a label is printable, on one line")

		for user, token := range map[string]string{"U0JOHN001": "tok-namesake", "U0MALLORY": "tok-mallory", "U0JOHN002": "tok-john"} {
			cs, err := svc.Choices(ctx, user)
			require.NoError(t, err)
			require.Len(t, cs, 2, "their own and the default")
			assert.Equal(t, "own", cs[0].Kind)
			s, err := svc.Session(ctx, cs[0].Name)
			require.NoError(t, err)
			assert.Equal(t, token, s.Token, "%s sends from their own session", user)
		}
		assert.Equal(t, johns, connect("U0JOHN002", "Renamed", "tok-john-2"), "renewed by its owner, its name kept")
		s, err := svc.Session(ctx, "John Smith (U0JOHN002)")
		require.NoError(t, err)
		assert.Equal(t, "tok-mallory", s.Token, "Mallory's account never gets John's session")
	})
}

// TestParallelConnectsNeverMerge: one person connecting twice at once gets
// one account; people with one name connecting at once get one each.
func TestParallelConnectsNeverMerge(t *testing.T) {
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		key := NewKey()
		var svcs []*Service
		for range 2 { // as two bots
			svc, err := New(ctx, st, Config{Key: key})
			require.NoError(t, err)
			svcs = append(svcs, svc)
		}
		var wg sync.WaitGroup
		for g := range 12 {
			user := fmt.Sprintf("U0PERSON%d", g%6)
			wg.Go(func() {
				_, err := svcs[g%2].ConnectOwn(ctx, user, "Sam Lee", "FR", Credential{Token: "tok-" + user})
				assert.NoError(t, err)
			})
		}
		wg.Wait()
		all, err := st.Accounts(ctx)
		require.NoError(t, err)
		require.Len(t, all, 6, "one account per person")
		for _, a := range all {
			require.Len(t, a.Users, 1, "%s: nobody joined another's account", a.Name)
			s, err := svcs[0].Session(ctx, a.Name)
			require.NoError(t, err)
			assert.Equal(t, "tok-"+a.Users[0], s.Token)
		}
	})
}

// TestATokenOpensOnlyInItsAccount: a sealed token copied into another
// account's row does not open there.
func TestATokenOpensOnlyInItsAccount(t *testing.T) {
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, err := New(ctx, st, Config{Key: NewKey()})
		require.NoError(t, err)
		require.NoError(t, svc.Connect(ctx, "alice", "FR", Credential{Token: "tok-alice"}, []string{"U1"}, "test"))
		require.NoError(t, svc.Connect(ctx, "bob", "FR", Credential{Token: "tok-bob"}, []string{"U2"}, "test"))
		bob, err := st.Account(ctx, "bob")
		require.NoError(t, err)
		check, _, err := st.KeyCheck(ctx)
		require.NoError(t, err)
		// As someone who can write the store would: Bob's sealed token in Alice's row.
		require.NoError(t, st.PutAccount(ctx, store.Account{Name: "alice", Country: "FR"}, nil, check, func(string) ([]byte, error) { return bob.Token, nil }))

		_, err = svc.Session(ctx, "alice")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "the stored token of account alice does not open with ACCOUNTS_KEY as this account's (it was sealed for another account, or damaged)")
		assert.NotErrorIs(t, err, ErrKeyChanged)
		s, err := svc.Session(ctx, "bob")
		require.NoError(t, err)
		assert.Equal(t, "tok-bob", s.Token, "in its own row it opens")
	})
}

// TestRekeyReSealsEverything: rekey round trip, and a bot still running
// with the old key uses and stores nothing.
func TestRekeyReSealsEverything(t *testing.T) {
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		oldKey, newKey := NewKey(), NewKey()
		running, err := New(ctx, st, Config{Key: oldKey})
		require.NoError(t, err)
		require.NoError(t, running.Connect(ctx, "alice", "FR", Credential{Token: "tok-alice"}, []string{"U1"}, "test"))
		_, err = running.ConnectOwn(ctx, "U2", "Bob", "DE", Credential{Token: "tok-bob"})
		require.NoError(t, err)
		before, err := st.Accounts(ctx)
		require.NoError(t, err)

		n, done, err := Rekey(ctx, st, oldKey, newKey)
		require.NoError(t, err)
		assert.True(t, done)
		assert.Equal(t, 2, n)
		after, err := st.Accounts(ctx)
		require.NoError(t, err)
		for i := range after {
			assert.False(t, bytes.Equal(before[i].Token, after[i].Token), "re-sealed")
		}

		// The bot still running with the old key is told, and writes nothing.
		_, err = running.Session(ctx, "alice")
		assert.ErrorIs(t, err, ErrKeyChanged)
		assert.Contains(t, err.Error(), "restart it with the new ACCOUNTS_KEY")
		assert.ErrorIs(t, running.Connect(ctx, "carol", "FR", Credential{Token: "tok-carol"}, []string{"U3"}, "test"), ErrKeyChanged)
		_, err = running.ConnectOwn(ctx, "U2", "Bob", "DE", Credential{Token: "tok-bob-2"})
		assert.ErrorIs(t, err, ErrKeyChanged)
		_, err = st.Account(ctx, "carol")
		assert.ErrorIs(t, err, store.ErrNoAccount, "nothing stored under the old key")

		_, err = New(ctx, st, Config{Key: oldKey})
		assert.ErrorContains(t, err, "ACCOUNTS_KEY: is not the key")
		restarted, err := New(ctx, st, Config{Key: newKey})
		require.NoError(t, err)
		s, err := restarted.Session(ctx, "alice")
		require.NoError(t, err)
		assert.Equal(t, Session{Token: "tok-alice", Country: "FR"}, s)
		s, err = restarted.Session(ctx, "Bob")
		require.NoError(t, err)
		assert.Equal(t, "tok-bob", s.Token)

		n, done, err = Rekey(ctx, st, oldKey, newKey)
		require.NoError(t, err, "run again: nothing to do")
		assert.False(t, done)
		assert.Zero(t, n)
	})
}

func TestRekeyWithAWrongOldKeyChangesNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		key := NewKey()
		svc, err := New(ctx, st, Config{Key: key})
		require.NoError(t, err)
		require.NoError(t, svc.Connect(ctx, "alice", "FR", Credential{Token: "tok-alice"}, []string{"U1"}, "test"))
		before, err := st.Accounts(ctx)
		require.NoError(t, err)
		check, _, err := st.KeyCheck(ctx)
		require.NoError(t, err)

		_, _, err = Rekey(ctx, st, NewKey(), NewKey())
		require.Error(t, err)
		assert.Contains(t, err.Error(), "ACCOUNTS_KEY_OLD: is not the key the stored accounts are encrypted with (nothing was changed)")
		_, _, err = Rekey(ctx, st, "short", NewKey())
		assert.ErrorContains(t, err, "ACCOUNTS_KEY_OLD: must be 32 random bytes")

		after, err := st.Accounts(ctx)
		require.NoError(t, err)
		assert.Equal(t, before, after)
		again, _, err := st.KeyCheck(ctx)
		require.NoError(t, err)
		assert.Equal(t, check, again)
		s, err := svc.Session(ctx, "alice")
		require.NoError(t, err)
		assert.Equal(t, "tok-alice", s.Token)
	})
}

// TestTheKeyCheckIsClearedWithTheLastAccount: once no account is stored,
// any key may start the bot and store the next.
func TestTheKeyCheckIsClearedWithTheLastAccount(t *testing.T) {
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, err := New(ctx, st, Config{Key: NewKey()})
		require.NoError(t, err)
		require.NoError(t, svc.Connect(ctx, "alice", "FR", Credential{Token: "tok-alice"}, []string{"U1"}, "test"))
		_, err = svc.ConnectOwn(ctx, "U2", "Bob", "FR", Credential{Token: "tok-bob"})
		require.NoError(t, err)
		require.NoError(t, st.RemoveAccount(ctx, "alice"))
		_, err = New(ctx, st, Config{Key: NewKey()})
		assert.ErrorContains(t, err, "ACCOUNTS_KEY: is not the key", "Bob's account is left")
		_, err = svc.DisconnectOwn(ctx, "U2")
		require.NoError(t, err)
		_, ok, err := st.KeyCheck(ctx)
		require.NoError(t, err)
		assert.False(t, ok, "cleared with the last account")

		other, err := New(ctx, st, Config{Key: NewKey()})
		require.NoError(t, err, "another key may start")
		require.NoError(t, other.Connect(ctx, "carol", "FR", Credential{Token: "tok-carol"}, []string{"U3"}, "test"))
		assert.ErrorIs(t, svc.Connect(ctx, "dave", "FR", Credential{Token: "tok-dave"}, nil, "test"), ErrKeyChanged, "the first key, still running, stores nothing")
	})
}

// TestTokensOfAnEarlierVersionAreBoundAtStart: a store whose tokens were
// sealed with the constant additional data of earlier versions is
// re-sealed, bound, when a Service starts on it; from then on a token
// sealed the old way opens nowhere.
func TestTokensOfAnEarlierVersionAreBoundAtStart(t *testing.T) {
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		key := NewKey()
		aead, err := parseKey(key)
		require.NoError(t, err)
		legacy := &Service{st: st, aead: aead}
		check, err := legacy.seal(keyCheckText, legacyAD)
		require.NoError(t, err)
		for _, name := range []string{"alice", "bob"} {
			require.NoError(t, st.PutAccount(ctx, store.Account{Name: name, Country: "FR"}, []string{"U" + name}, check,
				func(string) ([]byte, error) { return legacy.seal("tok-"+name, legacyAD) }))
		}
		bob, err := st.Account(ctx, "bob")
		require.NoError(t, err)

		_, err = New(ctx, st, Config{Key: key, ReadOnly: true})
		require.NoError(t, err, "doctor, on a read-only store, checks the key")
		_, err = New(ctx, st, Config{Key: NewKey(), ReadOnly: true})
		assert.ErrorContains(t, err, "ACCOUNTS_KEY: is not the key")
		again, _, err := st.KeyCheck(ctx)
		require.NoError(t, err)
		assert.Equal(t, check, again, "and re-seals nothing")

		svc, err := New(ctx, st, Config{Key: key})
		require.NoError(t, err)
		for _, name := range []string{"alice", "bob"} {
			s, err := svc.Session(ctx, name)
			require.NoError(t, err)
			assert.Equal(t, "tok-"+name, s.Token)
		}
		stored, _, err := st.KeyCheck(ctx)
		require.NoError(t, err)
		assert.True(t, svc.opensCheck(stored), "the key check is bound too")
		_, err = New(ctx, st, Config{Key: key})
		require.NoError(t, err, "a second start finds nothing to do")

		// Bob's old, unbound token written back (from a backup) opens nowhere.
		require.NoError(t, st.PutAccount(ctx, store.Account{Name: "alice", Country: "FR"}, nil, stored, func(string) ([]byte, error) { return bob.Token, nil }))
		_, err = svc.Session(ctx, "alice")
		assert.ErrorContains(t, err, "does not open with ACCOUNTS_KEY as this account's")
	})
}
