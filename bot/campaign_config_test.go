package bot

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCampaignSettings(t *testing.T) {
	base := map[string]string{"SLACK_APP_TOKEN": "xapp-1", "SLACK_BOT_TOKEN": "xoxb-1", "LINKUP_API_KEY": "k", "LINKUP_LOGIN_TOKEN": "l"}
	load := func(set map[string]string) (Config, error) {
		return LoadConfig(func(k string) string {
			if v, ok := set[k]; ok {
				return v
			}
			return base[k]
		})
	}
	c, err := load(nil)
	require.NoError(t, err)
	assert.Equal(t, 90*time.Second, c.CampaignGapMin)
	assert.Equal(t, 300*time.Second, c.CampaignGapMax)
	assert.Equal(t, 200, c.CampaignMaxRows)
	assert.Equal(t, 30, c.CampaignRecontactDays)
	assert.Equal(t, [7]bool{false, true, true, true, true, true, false}, c.CampaignHours.Days, "Mon-Fri by default")
	assert.Equal(t, 9*60, c.CampaignHours.From)
	assert.Empty(t, AccountSafety(c), "the defaults are safe")

	for set, want := range map[[2]string]string{
		{"CAMPAIGN_GAP_MIN", "500ms"}:        "CAMPAIGN_GAP_MIN: must be at least 1s",
		{"CAMPAIGN_GAP_MAX", "30s"}:          "CAMPAIGN_GAP_MAX: must be at least CAMPAIGN_GAP_MIN",
		{"CAMPAIGN_HOURS", "weekdays"}:       "CAMPAIGN_HOURS: must be `always` or days and hours",
		{"CAMPAIGN_HOURS", "Mon 18:00-9:00"}: "CAMPAIGN_HOURS: must end after it starts",
		{"CAMPAIGN_MAX_ROWS", "0"}:           "CAMPAIGN_MAX_ROWS: must be a positive whole number",
		{"CAMPAIGN_RECONTACT_DAYS", "x"}:     "CAMPAIGN_RECONTACT_DAYS: must be a whole number",
	} {
		_, err := load(map[string]string{set[0]: set[1]})
		assert.ErrorContains(t, err, want, "%v", set)
	}
	c, err = load(map[string]string{"CAMPAIGN_HOURS": "always", "CAMPAIGN_GAP_MIN": "10s", "CAMPAIGN_GAP_MAX": "20s", "DAILY_SEND_LIMIT": "150"})
	require.NoError(t, err)
	assert.True(t, c.CampaignHours.Always)
	w := AccountSafety(c)
	require.Len(t, w, 2)
	assert.Contains(t, w[0], "DAILY_SEND_LIMIT is 150")
	assert.Contains(t, w[1], "CAMPAIGN_GAP_MIN is 10s")
	c.DailySendLimit = 100
	c.CampaignGapMin = 30 * time.Second
	assert.Empty(t, AccountSafety(c), "100 a day and 30s gaps are the limits, not beyond them")
}
