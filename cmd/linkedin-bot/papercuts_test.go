package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestADryRunSendIsNotLoggedAsSent(t *testing.T) {
	e := startBot(t, map[string]string{"LINKUP_DRY_RUN": "true"})
	e.command("<https://linkedin.com/in/jane-doe|linkedin.com/in/jane-doe> Hi Jane")
	e.finished(1)
	require.NoError(t, e.stop())
	assert.Zero(t, e.linkup.Count())
	logs := e.logs.String()
	assert.Contains(t, logs, `"send_id":1,`)
	assert.Contains(t, logs, `"message":"dry run (LINKUP_DRY_RUN): Linkup was not called, nothing was sent"`)
	assert.NotContains(t, logs, "linkup send succeeded")
}
