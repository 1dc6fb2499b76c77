package conversation

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"linkedin-bot/linkup"
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

func TestMessageTextIsInertAndCut(t *testing.T) {
	c := store.Conversation{ID: 3, Participant: "Jane", Requester: "U0ALICE01"}
	m := store.ConvMessage{Kind: store.MsgReply, Sender: "<!here>", Body: "<!channel> & <https://x|y>\nline two", SentAt: time.Unix(1700000000, 0)}
	got := messageText(c, m, true)
	assert.Equal(t, ":speech_balloon: *&lt;!here&gt;* replied on LinkedIn · <!date^1700000000^{date_short_pretty} at {time}|2023-11-14 22:13 UTC> <@U0ALICE01>\n"+
		"> &lt;!channel&gt; &amp; &lt;https://x|y&gt;\n> line two", got)

	long := store.ConvMessage{Kind: store.MsgAccount, Sender: "Sales Team", Body: strings.Repeat("a", maxBodyRunes+10)}
	got = messageText(c, long, false)
	assert.Contains(t, got, "wrote on LinkedIn (sent from LinkedIn, not from Slack) · time unknown")
	assert.True(t, strings.HasSuffix(got, "…\n_(Cut: 10 more characters. Read the whole message on LinkedIn.)_"), got[len(got)-80:])
}

func TestReadable(t *testing.T) {
	assert.Equal(t, "20 minutes", readable(20*time.Minute))
	assert.Equal(t, "1 hour", readable(time.Hour))
	assert.Equal(t, "3 seconds", readable(3*time.Second))
	assert.Equal(t, "90 seconds", readable(90*time.Second))
}
