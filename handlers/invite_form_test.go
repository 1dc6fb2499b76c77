package handlers

import (
	"testing"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The invitation form shows the profile as the Home tab does: a link
// labelled with its slug in verbatim text, never a bare URL Slack links
// and unfurls; a URL with markup is shown inert.
func TestTheInviteFormShowsTheProfileInert(t *testing.T) {
	for _, c := range []struct{ profile, want string }{
		{"https://www.linkedin.com/in/jane-doe", "Invite <https://www.linkedin.com/in/jane-doe|jane-doe> to connect."},
		{"https://x/in/a|b<!here>", "Invite https://x/in/a|b&lt;!here&gt; to connect."},
	} {
		v := inviteForm(inviteMeta{Profile: c.profile}, "", false, nil)
		sec, ok := v.Blocks.BlockSet[0].(*slack.SectionBlock)
		require.True(t, ok)
		assert.True(t, sec.Text.Verbatim, "verbatim: Slack neither links nor unfurls a bare URL")
		assert.Contains(t, sec.Text.Text, c.want)
	}
}
