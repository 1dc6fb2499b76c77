package send

import (
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"

	"linkedin-bot/slackpost"
	"linkedin-bot/store"
)

func TestPreviewAndQuote(t *testing.T) {
	assert.Equal(t, "one\ntwo", preview("one\ntwo"))
	assert.Equal(t, "1\n2\n3\n4…", preview("1\n2\n3\n4\n5"))
	long := strings.Repeat("é", previewRunes+5)
	assert.Equal(t, strings.Repeat("é", previewRunes)+"…", preview(long))
	assert.Equal(t, "> a &lt;!channel&gt; &amp; &lt;@U1&gt;\n> b", slackpost.Quote("a <!channel> & <@U1>\nb"))
}

func TestRootText(t *testing.T) {
	sd := store.Send{Requester: "U1", Recipient: "https://www.linkedin.com/in/jane-doe", Message: "Hi", State: store.Sending}
	assert.Equal(t, "<@U1> is sending a LinkedIn message to <https://www.linkedin.com/in/jane-doe|jane-doe>\n> Hi\n:hourglass_flowing_sand: Sending…", rootText(sd))
	sd.MediaLink, sd.State, sd.Credits = "https://x.io/a.pdf", store.Sent, 2
	assert.Equal(t, "<@U1> sent a LinkedIn message to <https://www.linkedin.com/in/jane-doe|jane-doe> with an attachment\n> Hi\n:white_check_mark: Sent (2 credits)", rootText(sd))
}

func TestOutcomeBlocksOfferRetryOnlyWhenItMakesSense(t *testing.T) {
	assert.Len(t, outcomeBlocks(store.Send{ID: 7, State: store.Sent, Credits: 1}, "x"), 1)
	failed := outcomeBlocks(store.Send{ID: 7, State: store.Failed, Reason: "no"}, "x")
	if assert.Len(t, failed, 2) {
		btn := failed[1].(*slack.ActionBlock).Elements.ElementSet[0].(*slack.ButtonBlockElement)
		assert.Equal(t, RetryActionID, btn.ActionID)
		assert.Equal(t, "7", btn.Value)
		assert.Nil(t, btn.Confirm)
	}
	unknown := outcomeBlocks(store.Send{ID: 8, State: store.Unknown, Reason: "?"}, "x")
	btn := unknown[1].(*slack.ActionBlock).Elements.ElementSet[0].(*slack.ButtonBlockElement)
	assert.NotNil(t, btn.Confirm, "retrying an unknown send asks first")
}
