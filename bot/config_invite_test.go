package bot

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadConfigInvitationSettings(t *testing.T) {
	base := map[string]string{
		"SLACK_APP_TOKEN": "xapp-1", "SLACK_BOT_TOKEN": "xoxb-1",
		"LINKUP_API_KEY": "k", "LINKUP_LOGIN_TOKEN": "l",
	}
	load := func(extra map[string]string) (Config, error) {
		return LoadConfig(func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return base[k]
		})
	}
	c, err := load(nil)
	require.NoError(t, err)
	assert.Equal(t, 100, c.InvitesPerWeek)
	assert.Equal(t, 21, c.InviteWaitDays)

	c, err = load(map[string]string{"INVITES_PER_WEEK": "0", "INVITE_WAIT_DAYS": "7"})
	require.NoError(t, err)
	assert.Equal(t, 0, c.InvitesPerWeek, "0: no cap")
	assert.Equal(t, 7, c.InviteWaitDays)

	for _, bad := range []map[string]string{{"INVITES_PER_WEEK": "-1"}, {"INVITES_PER_WEEK": "many"}, {"INVITE_WAIT_DAYS": "0"}, {"INVITE_WAIT_DAYS": "2.5"}} {
		_, err := load(bad)
		require.Error(t, err, "%v", bad)
		for k := range bad {
			assert.Contains(t, err.Error(), k)
		}
	}
}
