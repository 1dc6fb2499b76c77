package invite

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestNoteFromCutsAtAWord(t *testing.T) {
	assert.Equal(t, "Hi Jane", NoteFrom("  Hi Jane \n"))
	exact := strings.Repeat("a", 300)
	assert.Equal(t, exact, NoteFrom(exact), "300 fit")
	long := "x" + strings.Repeat(" hello", 60) // 361 characters; the limit falls inside a word
	got := NoteFrom(long)
	assert.LessOrEqual(t, utf8.RuneCountInString(got), 300)
	assert.True(t, strings.HasSuffix(got, "hello…"), "cut after a whole word: %q", got)
	accents := strings.Repeat("é", 400)
	got = NoteFrom(accents)
	assert.Equal(t, 300, utf8.RuneCountInString(got), "no space: cut at the limit, in characters")
	assert.True(t, utf8.ValidString(got))
}
