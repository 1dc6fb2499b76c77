package account

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/store"
)

func TestTokensAreSealedAndTheKeyIsChecked(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "data"))
	require.NoError(t, err)
	defer st.Close()

	none, err := New(ctx, st, Config{})
	require.NoError(t, err, "no key and no accounts: fine")
	assert.ErrorIs(t, none.Connect(ctx, "alice", "FR", Credential{Token: "tok"}, []string{"U1"}, "test"), ErrNoKey)

	key := NewKey()
	svc, err := New(ctx, st, Config{Key: key, DefaultName: "team", DefaultToken: "teamtok", DefaultCountry: "FR"})
	require.NoError(t, err)
	require.NoError(t, svc.Connect(ctx, "alice", "DE", Credential{Token: "AQEDAsecret"}, []string{"U1"}, "test"))
	require.NoError(t, svc.Connect(ctx, "shared", "FR", Credential{Token: "AQEDAshared"}, []string{"U1", "U2"}, "test"))
	assert.Error(t, svc.Connect(ctx, "team", "FR", Credential{Token: "x"}, nil, "test"), "the default account's name is taken")

	a, err := st.Account(ctx, "alice")
	require.NoError(t, err)
	assert.False(t, bytes.Contains(a.Token, []byte("AQEDAsecret")), "sealed")

	cs, err := svc.Choices(ctx, "U1")
	require.NoError(t, err)
	require.Len(t, cs, 3)
	assert.Equal(t, []string{"alice", "shared", "team"}, []string{cs[0].Name, cs[1].Name, cs[2].Name})
	assert.Equal(t, []string{"own", "shared", "default"}, []string{cs[0].Kind, cs[1].Kind, cs[2].Kind})
	s, err := svc.Session(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, Session{Token: "AQEDAsecret", Country: "DE"}, s)

	tell, err := svc.Expire(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, "U1", tell, "its owner is told")
	tell, err = svc.Expire(ctx, "alice")
	require.NoError(t, err)
	assert.Empty(t, tell, "once")
	_, err = svc.Session(ctx, "alice")
	assert.ErrorIs(t, err, ErrExpired)
	require.NoError(t, svc.Connect(ctx, "alice", "DE", Credential{Token: "AQEDAnew"}, nil, "test"))
	s, err = svc.Session(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, "AQEDAnew", s.Token, "reconnected")

	_, err = New(ctx, st, Config{})
	assert.ErrorContains(t, err, "ACCOUNTS_KEY: is not set")
	_, err = New(ctx, st, Config{Key: NewKey()})
	assert.ErrorContains(t, err, "ACCOUNTS_KEY: is not the key")
	_, err = New(ctx, st, Config{Key: "c2hvcnQ="})
	assert.ErrorContains(t, err, "ACCOUNTS_KEY: must be 32 random bytes")
	_, err = New(ctx, st, Config{Key: key})
	assert.NoError(t, err)
}

func TestMayUseIsWhoMaySendFromTheAccountNow(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "data"))
	require.NoError(t, err)
	defer st.Close()
	key := NewKey()
	svc, err := New(ctx, st, Config{Key: key, DefaultName: "team", DefaultToken: "teamtok", DefaultCountry: "FR"})
	require.NoError(t, err)
	require.NoError(t, svc.Connect(ctx, "alice", "DE", Credential{Token: "AQEDAalice"}, []string{"U1"}, "test"))
	require.NoError(t, svc.Connect(ctx, "shared", "FR", Credential{Token: "AQEDAshared"}, []string{"U1", "U2", "U3"}, "test"))

	cases := []struct {
		user, account string
		want          error
	}{
		{"U1", "alice", nil},
		{"U2", "alice", ErrNotAllowed}, // someone else's own account
		{"U2", "shared", nil},
		{"U9", "shared", ErrNotAllowed}, // never assigned
		{"U9", "team", nil},             // the default: anyone allowed
		{"U9", "", nil},                 // a conversation's '' is the default
		{"U1", "gone", ErrNotAllowed},
	}
	for _, c := range cases {
		assert.ErrorIs(t, svc.MayUse(ctx, c.user, c.account), c.want, "%s on %q", c.user, c.account) // ErrorIs(err, nil) needs err == nil
	}

	// Unassigned: no longer, whatever they sent from it before.
	require.NoError(t, st.Unassign(ctx, "shared", "U2"))
	assert.ErrorIs(t, svc.MayUse(ctx, "U2", "shared"), ErrNotAllowed)
	assert.NoError(t, svc.MayUse(ctx, "U3", "shared"))
	// Removed: nobody.
	require.NoError(t, st.RemoveAccount(ctx, "alice"))
	assert.ErrorIs(t, svc.MayUse(ctx, "U1", "alice"), ErrNotAllowed)
	// Expired: allowed, but nothing can go from it; the error says so.
	_, err = svc.Expire(ctx, "shared")
	require.NoError(t, err)
	var ee *ExpiredError
	require.ErrorAs(t, svc.MayUse(ctx, "U3", "shared"), &ee)
	assert.Equal(t, "shared", ee.Name)
	assert.ErrorIs(t, svc.MayUse(ctx, "U2", "shared"), ErrNotAllowed, "expired or not, still not theirs")

	// Without a default account, someone with no account may use none.
	noDefault, err := New(ctx, st, Config{Key: key, DefaultName: "team"})
	require.NoError(t, err)
	assert.ErrorIs(t, noDefault.MayUse(ctx, "U9", "team"), ErrNotAllowed, "not ErrNone: the question is this account")
	assert.ErrorIs(t, noDefault.MayUse(ctx, "U9", ""), ErrNotAllowed)
}
