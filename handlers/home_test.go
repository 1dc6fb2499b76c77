package handlers

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/store"
)

func TestHomeTextIsInertAndShort(t *testing.T) {
	got := quoteStart("<!channel> ping & <https://evil.example|click>\n\nsecond line")
	assert.Equal(t, "> &lt;!channel&gt; ping &amp; &lt;https://evil.example|click&gt; second line", got)

	long := quoteStart(strings.Repeat("word ", 100))
	assert.True(t, strings.HasSuffix(long, "…"), long)
	assert.LessOrEqual(t, len([]rune(long)), firstWords+2)
	assert.Equal(t, "> (no text)", quoteStart("   "))

	assert.Equal(t, "<https://www.linkedin.com/in/jane-doe/|jane-doe>", recipientLink("https://www.linkedin.com/in/jane-doe/"))
	assert.Equal(t, "https://x/in/a|b&lt;!here&gt;", recipientLink("https://x/in/a|b<!here>"), "a URL with markup is shown inert, not linked")
}

// A read of who opened Home that Close cut short is not a failure.
func TestAHomeReadCutByCloseLogsNoFailure(t *testing.T) {
	st, err := store.Open(context.Background(), t.TempDir())
	require.NoError(t, err)
	defer st.Close()
	var logs bytes.Buffer
	m := NewHome(st, nil, time.Second, zerolog.New(&logs).Level(zerolog.WarnLevel))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m.reread(ctx)
	assert.Empty(t, logs.String())
}
