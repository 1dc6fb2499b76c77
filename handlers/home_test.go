package handlers

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
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
