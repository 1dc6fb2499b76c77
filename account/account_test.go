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
	assert.ErrorIs(t, none.Connect(ctx, "alice", "FR", "tok", []string{"U1"}, "test"), ErrNoKey)

	key := NewKey()
	svc, err := New(ctx, st, Config{Key: key, DefaultName: "team", DefaultToken: "teamtok", DefaultCountry: "FR"})
	require.NoError(t, err)
	require.NoError(t, svc.Connect(ctx, "alice", "DE", "AQEDAsecret", []string{"U1"}, "test"))
	require.NoError(t, svc.Connect(ctx, "shared", "FR", "AQEDAshared", []string{"U1", "U2"}, "test"))
	assert.Error(t, svc.Connect(ctx, "team", "FR", "x", nil, "test"), "the default account's name is taken")

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
	require.NoError(t, svc.Connect(ctx, "alice", "DE", "AQEDAnew", nil, "test"))
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
