package account

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/store"
)

// U1's own account is named "team" (connected while LINKUP_ACCOUNT_NAME
// named another); then LINKUP_ACCOUNT_NAME=team with LINKUP_LOGIN_TOKEN
// set: two sessions under one name. Clash says so (the bot does not
// start), and Session refuses the name rather than guess which session.
func TestALoginTokenDefaultNamedLikeAStoredAccountClashes(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "data"))
	require.NoError(t, err)
	defer st.Close()
	key := NewKey()
	before, err := New(ctx, st, Config{Key: key, DefaultName: "other"})
	require.NoError(t, err)
	require.NoError(t, before.Connect(ctx, "team", "DE", Credential{Token: "AQEDAu1"}, []string{"U1"}, "test"))

	svc, err := New(ctx, st, Config{Key: key, DefaultName: "team", DefaultToken: "teamtok", DefaultCountry: "FR"})
	require.NoError(t, err)
	assert.ErrorIs(t, svc.Clash(ctx), ErrClash)
	_, err = svc.Session(ctx, "team")
	assert.ErrorIs(t, err, ErrClash, "no session is guessed")

	other, err := New(ctx, st, Config{Key: key, DefaultName: "primary", DefaultToken: "teamtok", DefaultCountry: "FR"})
	require.NoError(t, err)
	require.NoError(t, other.Clash(ctx), "named otherwise, both go on")
	s, err := other.Session(ctx, "team")
	require.NoError(t, err)
	assert.Equal(t, "AQEDAu1", s.Token)
	assert.ErrorIs(t, other.MayUse(ctx, "U9", "team"), ErrNotAllowed)
}
