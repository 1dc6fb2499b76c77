package store

import (
	"context"
	"io/fs"
	"slices"
	"sort"
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

		check := []byte{1, 2, 3}
		put := func(a Account, users ...string) error {
			return s.PutAccount(ctx, a, users, check, func(string) ([]byte, error) { return a.Token, nil })
		}
		require.NoError(t, put(Account{Name: "alice", Owner: "U1", Country: "FR", Token: []byte{0, 1, 255}, ConnectedBy: "U1"}, "U1"))
		require.NoError(t, put(Account{Name: "team", Country: "DE", Token: []byte{7}, ConnectedBy: "command line"}, "U2", "U1"))
		as, err := s.Accounts(ctx)
		require.NoError(t, err)
		require.Len(t, as, 2)
		assert.Equal(t, []string{"U1"}, as[0].Users)
		assert.Equal(t, []string{"U1", "U2"}, as[1].Users, "sorted")
		assert.Equal(t, []byte{0, 1, 255}, as[0].Token)
		bs, err := s.BriefsOf(ctx, "U2")
		require.NoError(t, err)
		assert.Equal(t, []Brief{{Name: "team", Country: "DE", State: as[1].State}}, bs, "only the accounts U2 may send from")
		bs, err = s.BriefsOf(ctx, "U1")
		require.NoError(t, err)
		assert.Equal(t, []Brief{as[0].Brief(), as[1].Brief()}, bs)
		assert.Equal(t, "U1", bs[0].Owner)
		b, err := s.BriefOf(ctx, "alice")
		require.NoError(t, err)
		assert.Equal(t, as[0].Brief(), b)
		_, err = s.BriefOf(ctx, "nobody")
		assert.ErrorIs(t, err, ErrNoAccount)

		require.NoError(t, s.Assign(ctx, "alice", "U3"))
		require.NoError(t, s.Unassign(ctx, "alice", "U3"))
		assert.ErrorIs(t, s.Assign(ctx, "nobody", "U3"), ErrNoAccount)
		assert.ErrorIs(t, s.Unassign(ctx, "nobody", "U3"), ErrNoAccount, "an unknown account is no success")

		tell, err := s.ExpireAccount(ctx, "alice")
		require.NoError(t, err)
		assert.True(t, tell)
		tell, err = s.ExpireAccount(ctx, "alice")
		require.NoError(t, err)
		assert.False(t, tell, "told once")
		a, err := s.Account(ctx, "alice")
		require.NoError(t, err)
		assert.Equal(t, AccountExpired, a.State)
		require.NoError(t, put(Account{Name: "alice", Country: "FR", Token: []byte{2}, ConnectedBy: "U1"}))
		a, err = s.Account(ctx, "alice")
		require.NoError(t, err)
		assert.Equal(t, AccountConnected, a.State, "reconnected")
		assert.Equal(t, []string{"U1"}, a.Users, "its users kept")
		assert.Empty(t, a.Owner, "shared since U3 was assigned to it")
		assert.Equal(t, as[0].ID, a.ID, "and its identity")
		assert.ErrorIs(t, s.PutAccount(ctx, Account{Name: "alice"}, nil, []byte{4}, func(string) ([]byte, error) { return []byte{5}, nil }), ErrKeyChanged,
			"a token sealed under another key is not stored")

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
		require.NoError(t, s.PutAccount(ctx, Account{Name: "alice", Country: "FR", ConnectedBy: "U1"}, []string{"U1"}, []byte{1}, func(string) ([]byte, error) { return []byte{1}, nil }))
		tx, err := s.raw.BeginTx(ctx, nil) // on SQLite: the writing connection, and the write lock
		require.NoError(t, err)
		_, err = tx.ExecContext(ctx, s.db.rebind(`UPDATE accounts SET country = 'DE' WHERE name = ?`), "alice")
		require.NoError(t, err)

		rctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		as, err := s.BriefsOf(rctx, "U1")
		require.NoError(t, err, "not held up by the write")
		require.Len(t, as, 1)
		assert.Equal(t, "FR", as[0].Country, "what is committed, not the write under way")

		require.NoError(t, tx.Commit())
		as, err = s.BriefsOf(ctx, "U1")
		require.NoError(t, err)
		require.Len(t, as, 1)
		assert.Equal(t, "DE", as[0].Country, "the write, once committed")
	})
}

// TestOwnAccountsAreFoundByTheirOwner: self-service finds a person's
// account by its owner, never by its name, which the store makes unique;
// an own account stays its owner's alone.
func TestOwnAccountsAreFoundByTheirOwner(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		check := []byte{1}
		var sealedFor []string
		own := func(owner, label string, token byte) string {
			name, err := s.PutOwnAccount(ctx, owner, label, "FR", []string{"default"}, check, func(id string) ([]byte, error) {
				sealedFor = append(sealedFor, id)
				return []byte{token}, nil
			})
			require.NoError(t, err)
			return name
		}
		assert.Equal(t, "John Smith", own("U0JOHN001", "John Smith", 1))
		assert.Equal(t, "John Smith (U0JOHN002)", own("U0MALLORY", "John Smith (U0JOHN002)", 2))
		assert.Equal(t, "John Smith (U0JOHN002, 2)", own("U0JOHN002", "John Smith", 3), "the first free name")
		assert.Equal(t, "default (U0DEF)", own("U0DEF", "default", 4), "a reserved name is never free")
		assert.Equal(t, "John Smith (U0JOHN002, 2)", own("U0JOHN002", "Someone Else", 5), "renewed: its name kept")

		all, err := s.Accounts(ctx)
		require.NoError(t, err)
		require.Len(t, all, 4)
		byName := map[string]Account{}
		for _, a := range all {
			byName[a.Name] = a
			assert.Equal(t, []string{a.Owner}, a.Users, "an own account's only user is its owner")
		}
		assert.Equal(t, []byte{2}, byName["John Smith (U0JOHN002)"].Token, "Mallory's token untouched")
		assert.Equal(t, []byte{5}, byName["John Smith (U0JOHN002, 2)"].Token)
		assert.Equal(t, byName["John Smith (U0JOHN002, 2)"].ID, sealedFor[4], "sealed for the account it is stored in")
		a, err := s.OwnAccount(ctx, "U0JOHN002")
		require.NoError(t, err)
		assert.Equal(t, "John Smith (U0JOHN002, 2)", a.Name)

		// Another person assigned to an own account makes it shared; its
		// owner unassigned, it is nobody's.
		require.NoError(t, s.Assign(ctx, "John Smith", "U0BOB"))
		_, err = s.OwnAccount(ctx, "U0JOHN001")
		assert.ErrorIs(t, err, ErrNoAccount)
		require.NoError(t, s.Unassign(ctx, "default (U0DEF)", "U0DEF"))
		_, err = s.OwnAccount(ctx, "U0DEF")
		assert.ErrorIs(t, err, ErrNoAccount)
		assert.ErrorIs(t, s.PutAccount(ctx, Account{Name: "another", Owner: "U0JOHN002"}, []string{"U0JOHN002"}, check, func(string) ([]byte, error) { return []byte{6}, nil }), ErrOwned)

		// Connected again by an operator for its one user, who owns none: theirs.
		seal := func(string) ([]byte, error) { return []byte{7}, nil }
		require.NoError(t, s.PutAccount(ctx, Account{Name: "default (U0DEF)", Owner: "U0DEF"}, []string{"U0DEF"}, check, seal))
		a, err = s.OwnAccount(ctx, "U0DEF")
		require.NoError(t, err)
		assert.Equal(t, "default (U0DEF)", a.Name)
		require.NoError(t, s.PutAccount(ctx, Account{Name: "John Smith", Owner: "U0JOHN001"}, []string{"U0JOHN001"}, check, seal))
		_, err = s.OwnAccount(ctx, "U0JOHN001")
		assert.ErrorIs(t, err, ErrNoAccount, "not while it is shared")
	})
}

func TestTheKeyCheckGoesWithTheLastAccount(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		seal := func(string) ([]byte, error) { return []byte{1}, nil }
		require.NoError(t, s.PutAccount(ctx, Account{Name: "a"}, nil, []byte{7}, seal))
		require.NoError(t, s.PutAccount(ctx, Account{Name: "b"}, nil, []byte{7}, seal))
		require.NoError(t, s.RemoveAccount(ctx, "a"))
		_, ok, err := s.KeyCheck(ctx)
		require.NoError(t, err)
		assert.True(t, ok, "an account is left")
		require.NoError(t, s.RemoveAccount(ctx, "b"))
		_, ok, err = s.KeyCheck(ctx)
		require.NoError(t, err)
		assert.False(t, ok, "cleared with the last account")
		require.NoError(t, s.PutAccount(ctx, Account{Name: "c"}, nil, []byte{8}, seal), "any key may store the next")
		sealed, _, err := s.KeyCheck(ctx)
		require.NoError(t, err)
		assert.Equal(t, []byte{8}, sealed)
	})
}

// TestResealIsAllOrNothing: a re-seal under a check that is not the
// stored one, or one whose token fails, changes nothing.
func TestResealIsAllOrNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for _, name := range []string{"a", "b"} {
			require.NoError(t, s.PutAccount(ctx, Account{Name: name}, nil, []byte{7}, func(id string) ([]byte, error) { return []byte(name), nil }))
		}
		_, err := s.Reseal(ctx, []byte{6}, []byte{9}, func(a Account) ([]byte, error) { return []byte("x"), nil })
		assert.ErrorIs(t, err, ErrKeyChanged)
		_, err = s.Reseal(ctx, []byte{7}, []byte{9}, func(a Account) ([]byte, error) {
			if a.Name == "b" {
				return nil, assert.AnError
			}
			return []byte("x"), nil
		})
		assert.ErrorIs(t, err, assert.AnError)
		check, _, _ := s.KeyCheck(ctx)
		assert.Equal(t, []byte{7}, check)
		all, err := s.Accounts(ctx)
		require.NoError(t, err)
		assert.Equal(t, []byte("a"), all[0].Token)
		assert.Equal(t, []byte("b"), all[1].Token)

		n, err := s.Reseal(ctx, []byte{7}, []byte{9}, func(a Account) ([]byte, error) { return []byte(a.Name + a.ID), nil })
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		all, err = s.Accounts(ctx)
		require.NoError(t, err)
		assert.Equal(t, []byte("a"+all[0].ID), all[0].Token)
		check, _, _ = s.KeyCheck(ctx)
		assert.Equal(t, []byte{9}, check)
		assert.ErrorIs(t, s.PutAccount(ctx, Account{Name: "c"}, nil, []byte{7}, func(string) ([]byte, error) { return []byte{1}, nil }), ErrKeyChanged,
			"a writer with the old check stores nothing")
	})
}

// TestExistingAccountsGetAnIdentity: migration 012 gives every account an
// ID, and an owner where it can tell whose own account it was.
func TestExistingAccountsGetAnIdentity(t *testing.T) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	require.NoError(t, err)
	sort.Strings(names)
	i := slices.Index(names, "migrations/012_account_identity.sql")
	require.Positive(t, i)
	s := upgradedFrom(t, names[:i], `
		INSERT INTO accounts (name, country, token, state, connected_at, connected_by) VALUES
			('solo', 'FR', x'01', 'connected', 1, 'command line'),
			('team', 'FR', x'02', 'connected', 1, 'U1'),
			('x1', 'FR', x'03', 'connected', 1, 'command line'),
			('x2', 'FR', x'04', 'connected', 1, 'U3'),
			('y1', 'FR', x'05', 'connected', 1, 'command line'),
			('y2', 'FR', x'06', 'connected', 1, 'command line'),
			('nobody', 'FR', x'07', 'connected', 1, 'command line');
		INSERT INTO account_users (account, user) VALUES
			('solo', 'U1'), ('team', 'U1'), ('team', 'U2'), ('x1', 'U3'), ('x2', 'U3'), ('y1', 'U4'), ('y2', 'U4');`)
	all, err := s.Accounts(context.Background())
	require.NoError(t, err)
	owners := map[string]string{}
	ids := map[string]bool{}
	for _, a := range all {
		owners[a.Name] = a.Owner
		assert.Len(t, a.ID, 32)
		ids[a.ID] = true
	}
	assert.Len(t, ids, 7, "each its own ID")
	assert.Equal(t, map[string]string{
		"solo":   "U1", // U1's only single-user account
		"team":   "",   // shared
		"x1":     "",
		"x2":     "U3", // of U3's two, the one U3 connected from Slack
		"y1":     "",   // U4's two: cannot tell which
		"y2":     "",
		"nobody": "",
	}, owners)
}

// TestOwnAccountNamesAreNeverOnesWithHistory: a self-service name is never
// one a send or a conversation in the log names (a removed account's, or
// the inbox's of one that never was stored): Retry buttons, watched
// conversations and the daily count go by an account's name.
func TestOwnAccountNamesAreNeverOnesWithHistory(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		own := func(owner, label string) string {
			name, err := s.PutOwnAccount(ctx, owner, label, "FR", nil, []byte{1}, func(string) ([]byte, error) { return []byte{2}, nil })
			require.NoError(t, err)
			return name
		}
		require.Equal(t, "John Smith", own("U0JOHN", "John Smith"))
		sd := sample("env:john")
		sd.Account = "John Smith"
		_, err := s.Accept(ctx, sd, 0)
		require.NoError(t, err)
		_, err = s.Watch(ctx, Conversation{Account: "Sales", ProfileURL: "https://www.linkedin.com/in/jane-doe", Channel: "C1", ThreadTS: "1.1"})
		require.NoError(t, err)
		require.NoError(t, s.RemoveAccount(ctx, "John Smith"))

		assert.Equal(t, "John Smith (U0MALLORY)", own("U0MALLORY", "John Smith"), "a removed account's name, with its sends, is not free")
		assert.Equal(t, "Sales (U0EVE)", own("U0EVE", "Sales"), "nor one a conversation names")
		assert.Equal(t, "Fresh", own("U0NEW", "Fresh"))
	})
}

func TestTheDefaultAccountIsMarkedWhenConnectedNeverByItsName(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		check := []byte{1}
		put := func(a Account, users ...string) error {
			return s.PutAccount(ctx, a, users, check, func(string) ([]byte, error) { return []byte{7}, nil })
		}
		require.NoError(t, put(Account{Name: "default", Default: true, Country: "FR", ConnectedBy: "command line"}))
		a, err := s.Account(ctx, "default")
		require.NoError(t, err)
		assert.True(t, a.Default)
		assert.Empty(t, a.Users)

		assert.ErrorIs(t, s.Assign(ctx, "default", "U1"), ErrIsDefault, "everyone may use it: it has no users")
		assert.ErrorIs(t, put(Account{Name: "default", Default: true, Country: "FR"}, "U1"), ErrIsDefault)
		assert.ErrorIs(t, put(Account{Name: "default", Country: "FR"}, "U1"), ErrNotDefault, "connected again for someone, it would stay everyone's")
		require.NoError(t, put(Account{Name: "default", Default: true, Country: "DE", ConnectedBy: "command line"}), "connected again as the default")
		a, err = s.Account(ctx, "default")
		require.NoError(t, err)
		assert.True(t, a.Default)
		assert.Equal(t, "DE", a.Country)
		assert.Empty(t, a.Users, "nobody was added")

		// An account of that name connected for someone is theirs: marking
		// it the default would hand it to everyone.
		require.NoError(t, put(Account{Name: "main", Owner: "U1", Country: "FR"}, "U1"))
		assert.ErrorIs(t, put(Account{Name: "main", Default: true, Country: "FR"}), ErrNotDefault)
		a, err = s.Account(ctx, "main")
		require.NoError(t, err)
		assert.False(t, a.Default)
		assert.Equal(t, []string{"U1"}, a.Users)
	})
}

func TestLinkupV2IDsAreKeptAndGoWithTheirAccount(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		_, ok, err := s.LinkupAccount(ctx, "team")
		require.NoError(t, err)
		assert.False(t, ok)
		require.NoError(t, s.PutLinkupAccount(ctx, LinkupAccount{Name: "team", AccountID: "69c1", TokenHash: "h1"}))
		require.NoError(t, s.PutLinkupAccount(ctx, LinkupAccount{Name: "team", AccountID: "69c2", TokenHash: "h2"}), "connected again: replaced")
		got, ok, err := s.LinkupAccount(ctx, "team")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, LinkupAccount{Name: "team", AccountID: "69c2", TokenHash: "h2"}, got)

		check := []byte{1}
		require.NoError(t, s.PutAccount(ctx, Account{Name: "team", Country: "FR"}, []string{"U1", "U2"}, check, func(string) ([]byte, error) { return []byte{7}, nil }))
		require.NoError(t, s.RemoveAccount(ctx, "team"))
		_, ok, err = s.LinkupAccount(ctx, "team")
		require.NoError(t, err)
		assert.False(t, ok, "a removed account's v2 ID goes with it: a new account of that name is another LinkedIn profile")
	})
}
