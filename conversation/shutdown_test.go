package conversation

import (
	"bytes"
	"context"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/store"
)

// What Close cuts short is the shutdown, not a failure: a cycle whose
// context ended logs nothing at warning level or above.
func TestACycleCutByCloseLogsNoFailure(t *testing.T) {
	st, err := store.Open(context.Background(), t.TempDir())
	require.NoError(t, err)
	defer st.Close()
	var logs bytes.Buffer
	b := New(Config{CreditsPerDay: 10}, st, nil, nil, zerolog.New(&logs).Level(zerolog.WarnLevel))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b.cycle(ctx)
	assert.Zero(t, b.adopt(ctx))
	b.deliverOwed(ctx)
	b.runChecks(ctx)
	assert.Empty(t, logs.String())
}
