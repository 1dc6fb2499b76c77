package conversation

import (
	"context"
	"strings"
	"testing"
	"time"

	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/linkup"
	"linkedin-bot/slackpost"
	"linkedin-bot/store"
)

func TestMessageKey(t *testing.T) {
	at := time.UnixMilli(1700000123456)
	withURN := linkup.ChatMessage{EntityURN: "urn:li:msg_message:(a,b)", Text: "hi", Sender: "Jane", At: at}
	assert.Equal(t, "urn:li:msg_message:(a,b)", messageKey(withURN))
	a := linkup.ChatMessage{Text: "hi", Sender: "Jane", At: at}
	assert.True(t, strings.HasPrefix(messageKey(a), "sha256:"))
	assert.Equal(t, messageKey(a), messageKey(a), "stable")
	for _, other := range []linkup.ChatMessage{
		{Text: "hi!", Sender: "Jane", At: at},
		{Text: "hi", Sender: "John", At: at},
		{Text: "hi", Sender: "Jane", At: at.Add(time.Millisecond)},
	} {
		assert.NotEqual(t, messageKey(a), messageKey(other), "time, sender and text each tell messages apart")
	}
}

func TestClassify(t *testing.T) {
	b := &Bridge{}
	called := time.UnixMilli(1700000000000)
	own := []store.Send{{EntityURN: "urn:1", Message: "Hi Jane", CalledAt: called}}
	account := "Sales Team"
	cases := []struct {
		name        string
		m           linkup.ChatMessage
		participant string
		want        string
	}{
		{"the bot's send, by its URN", linkup.ChatMessage{EntityURN: "urn:1", Text: "Hi Jane", Sender: "Sales Team"}, "Jane Doe", store.MsgOwn},
		{"the bot's send without URN, by text and time", linkup.ChatMessage{Text: " Hi  Jane ", Sender: "Sales Team", At: called.Add(time.Second)}, "Jane Doe", store.MsgOwn},
		{"the same text before the send is not it", linkup.ChatMessage{Text: "Hi Jane", Sender: "Sales Team", At: called.Add(-time.Hour)}, "Jane Doe", store.MsgAccount},
		{"the same text from Jane is hers", linkup.ChatMessage{Text: "Hi Jane", Sender: "Jane Doe", At: called.Add(time.Second)}, "Jane Doe", store.MsgReply},
		{"a system message", linkup.ChatMessage{Text: "Jane accepted", Type: "SYSTEM"}, "Jane Doe", store.MsgOther},
		{"an empty text", linkup.ChatMessage{Text: "  ", Sender: "Jane Doe", Type: "TEXT"}, "Jane Doe", store.MsgEmpty},
		{"the participant unknown, the account's name known", linkup.ChatMessage{Text: "from LinkedIn", Sender: "sales team"}, "", store.MsgAccount},
		{"the participant unknown", linkup.ChatMessage{Text: "hello", Sender: "Jane Doe"}, "", store.MsgReply},
	}
	for _, tc := range cases {
		got := b.classify(context.Background(), tc.m, tc.participant, accountNameKey, &account, own)
		assert.Equal(t, tc.want, got, tc.name)
	}
}

func TestMessageTextIsInert(t *testing.T) {
	c := store.Conversation{ID: 3, Participant: "Jane", Requester: "U0ALICE01"}
	m := store.ConvMessage{Kind: store.MsgReply, Sender: "<!here>", Body: "<!channel> & <https://x|y>\nline two", SentAt: time.Unix(1700000000, 0)}
	got := messageText(c, m, true)
	assert.Equal(t, ":speech_balloon: *&lt;!here&gt;* replied on LinkedIn · <!date^1700000000^{date_short_pretty} at {time}|2023-11-14 22:13 UTC> <@U0ALICE01>\n"+
		"> &lt;!channel&gt; &amp; &lt;https://x|y&gt;\n> line two", got)
}

// sectionsOf returns the text of each section of blocks, and checks that
// each fits Slack's limit.
func sectionsOf(t *testing.T, blocks []slack.Block) []string {
	t.Helper()
	var out []string
	for _, b := range blocks {
		if s, ok := b.(*slack.SectionBlock); ok {
			assert.LessOrEqual(t, utf8.RuneCountInString(s.Text.Text), slackpost.MaxText)
			assert.True(t, s.Text.Verbatim, "LinkedIn text is shown verbatim")
			out = append(out, s.Text.Text)
		}
	}
	return out
}

func TestLongMessagesAreSplitAfterEscaping(t *testing.T) {
	c := store.Conversation{ID: 3, Participant: "Jane"}
	// Escaping makes each & five characters: 2,900 of them pass 3,000 only once escaped.
	m := store.ConvMessage{Kind: store.MsgReply, Sender: "Jane", Body: strings.Repeat("&", 2900)}
	text, blocks := messagePost(c, m, false, target{}, "")
	sections := sectionsOf(t, blocks)
	require.Len(t, sections, 5, "14,500 escaped characters in sections of 3,000")
	all := strings.Join(sections, "")
	assert.Equal(t, 2900, strings.Count(all, "&amp;"), "every character shown, none cut inside an escape")
	assert.Equal(t, 2900, strings.Count(all, "&"), "no escape split between sections")
	for _, s := range sections[1:] {
		assert.True(t, strings.HasPrefix(s, "> "), "each piece is a quote")
	}
	assert.LessOrEqual(t, utf8.RuneCountInString(text), slackpost.MaxFallback)
	assert.Len(t, blocks, 6, "and the Reply button")

	// More than one post holds: cut, with a note, within 50 blocks.
	huge := store.ConvMessage{Kind: store.MsgReply, Sender: "Jane", Body: strings.Repeat("word ", 40000)}
	_, blocks = messagePost(c, huge, false, target{why: "could not be posted in its thread"}, "")
	assert.Len(t, blocks, slackpost.MaxBlocks)
	sections = sectionsOf(t, blocks)
	assert.Contains(t, sections[0], "could not be posted in its thread")
	assert.Equal(t, cutNote, sections[len(sections)-1])

	// Its short form, after Slack refused the full one.
	_, blocks = messagePost(c, huge, false, target{}, "invalid_blocks")
	sections = sectionsOf(t, blocks)
	require.Len(t, sections, 1)
	assert.Contains(t, sections[0], "Slack refused to show this message's text (`invalid_blocks`). Read it on LinkedIn.")

	// A hostile name is kept short.
	long := store.ConvMessage{Kind: store.MsgReply, Sender: strings.Repeat("N", 5000), Body: "hi"}
	_, blocks = messagePost(c, long, false, target{}, "")
	assert.Len(t, sectionsOf(t, blocks), 1)
}

func TestReadable(t *testing.T) {
	assert.Equal(t, "20 minutes", readable(20*time.Minute))
	assert.Equal(t, "1 hour", readable(time.Hour))
	assert.Equal(t, "3 seconds", readable(3*time.Second))
	assert.Equal(t, "90 seconds", readable(90*time.Second))
}
