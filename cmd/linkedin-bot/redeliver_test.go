package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A check settles an unknown send while its outcome is still being posted
// (Slack is slow): the verdict is posted as soon as that delivery ends,
// not at the next round of owed posts a minute later. Found by the
// fault-schedule suite (seeds 19 and 29: a verdict never told).
func TestAVerdictDuringTheOutcomesDeliveryIsPostedRightAfter(t *testing.T) {
	t.Parallel()
	e := startBot(t, bridgeVars(map[string]string{"LINKUP_TIMEOUT": "300ms", "UNKNOWN_CHECK_AFTER": "100ms"}))
	e.linkup.SetAnswer(holdThenFail(e.linkup, true)) // delivered, and no answer: unknown
	e.command(jane + " Hi Jane")
	e.waitUntil("the root", func() bool { return len(e.postsIn(salesChannel)) == 1 })
	e.slack.DelayPosts(1500 * time.Millisecond) // the outcome and the notification take 3 s
	e.waitUntil("the verdict", func() bool { return len(e.inThreadAny("Sent (confirmed on LinkedIn)")) == 1 })
	e.slack.DelayPosts(0)
	assert.Contains(t, e.logs.String(), "unknown send confirmed")
	require.Len(t, e.inThreadAny("may or may not have been sent"), 1, "the unknown outcome was posted first")
	assert.Equal(t, 1, e.linkup.Count())
}
