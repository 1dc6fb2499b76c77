package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A store of schema 15 with an account named "default" is upgraded: the
// row is not marked the default, which only a connect as the default does.
func TestUpgradedAccountsAreNotTheDefault(t *testing.T) {
	var migs []string
	for _, n := range []string{"001_sends", "002_slack_delivery", "003_media_file", "004_called_and_post_intents", "005_reply_bridge", "006_dry_run",
		"007_accounts", "008_conversation_account", "009_home", "010_leases", "011_ownership", "012_account_identity", "013_bridge_gaps", "014_check_marker", "015_accept_token"} {
		migs = append(migs, filepath.Join("migrations", n+".sql"))
	}
	s := upgradedFrom(t, migs, `INSERT INTO accounts (id, name, owner, country, token, state, connected_at, connected_by) VALUES ('id1', 'default', '', 'FR', x'07', 'connected', 1, 'command line')`)
	a, err := s.Account(context.Background(), "default")
	require.NoError(t, err)
	assert.False(t, a.Default)
}
