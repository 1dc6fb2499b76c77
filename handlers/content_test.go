package handlers

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// messageCases are real message shapes, each with its source, and the
// prefill a person would send as it is.
var messageCases = []struct {
	name, source, message, want string
}{
	{
		name:   "rich text with styles and emoji",
		source: "java-slack-sdk BlockKitTest.parseRichTextOnes, from api.slack.com/changelog/2019-09-what-they-see-is-what-you-get-and-more-and-less",
		message: `{"client_msg_id":"70c82df9-9db9-48b0-bf4e-9c43db3ed097","type":"message","text":"This is a *rich text *message that uses _italics and _~strikethrough ~and looks :sparkles: _*fabulous*_ :sparkles:","user":"U0JD3BPNC","ts":"1565629075.001000","team":"T0JD3BPMW",
			"blocks":[{"type":"rich_text","block_id":"hUBz","elements":[{"type":"rich_text_section","elements":[{"type":"text","text":"This is a "},{"type":"text","text":"rich text ","style":{"bold":true}},{"type":"text","text":"message that uses "},{"type":"text","text":"italics and ","style":{"italic":true}},{"type":"text","text":"strikethrough ","style":{"strike":true}},{"type":"text","text":"and looks "},{"type":"emoji","name":"sparkles"},{"type":"text","text":" "},{"type":"text","text":"fabulous","style":{"bold":true,"italic":true}},{"type":"text","text":" "},{"type":"emoji","name":"sparkles"}]}]}]}`,
		want: "This is a rich text message that uses italics and strikethrough and looks ✨ fabulous ✨",
	},
	{
		name:   "rich text with a broadcast, a channel, a link and a user",
		source: "java-slack-sdk BlockKitTest.parseRichTextOnes2, same changelog",
		message: `{"client_msg_id":"0e7bdef4-27a9-4bfa-bf16-c65683ff382b","type":"message","text":"dummy","user":"W12345678","ts":"1573737632.000800","team":"T12345678","edited":{"user":"W12345678","ts":"1573737939.000000"},
			"blocks":[{"type":"rich_text","block_id":"BMpCU","elements":[{"type":"rich_text_section","elements":[{"type":"broadcast","range":"channel"},{"type":"text","text":" test a"},{"type":"text","text":"aaa","style":{"strike":true}},{"type":"text","text":"\n"},{"type":"channel","channel_id":"C123456678"},{"type":"text","text":"\ntest\n"},{"type":"link","url":"http://www.example.com"},{"type":"text","text":"\n"},{"type":"user","user_id":"W12345678"}]}]}]}`,
		want: "@channel test aaaa\n#platform-feedback\ntest\nhttp://www.example.com\nKaz Sato",
	},
	{
		name:   "rich text lists, a quote and preformatted text",
		source: "java-slack-sdk BlockKitTest.parseRichTextOnes3, same changelog",
		message: `{"type":"message","text":"@channel test a~aa~\n#platform-feedback\ntest\nhttp://www.example.com\n@kaz\n\n• test\n• aaaa\n\n\n1. foo\n2. bar\n3. baz\n\n\n> something important\n\n\n` + "```package example\\n\\nclass Foo```" + `\n\n*bold* something _italic_","user":"W12345678","ts":"1573737632.000800",
			"blocks":[{"type":"rich_text","block_id":"nZTe+","elements":[
				{"type":"rich_text_section","elements":[{"type":"user","user_id":"W12345678"},{"type":"text","text":"\n"}]},
				{"type":"rich_text_list","elements":[{"type":"rich_text_section","elements":[{"type":"text","text":"test"}]},{"type":"rich_text_section","elements":[{"type":"text","text":"aaaa"}]}],"style":"bullet","indent":0},
				{"type":"rich_text_section","elements":[{"type":"text","text":"\n"}]},
				{"type":"rich_text_list","elements":[{"type":"rich_text_section","elements":[{"type":"text","text":"foo"}]},{"type":"rich_text_section","elements":[{"type":"text","text":"bar"}]},{"type":"rich_text_section","elements":[{"type":"text","text":"baz"}]}],"style":"ordered","indent":0},
				{"type":"rich_text_quote","elements":[{"type":"text","text":"something important"}]},
				{"type":"rich_text_preformatted","elements":[{"type":"text","text":"package example\n\nclass Foo"}]},
				{"type":"rich_text_section","elements":[{"type":"text","text":"\n"},{"type":"text","text":"bold","style":{"bold":true}},{"type":"text","text":" something "},{"type":"text","text":"italic","style":{"italic":true}}]}]}]}`,
		want: "Kaz Sato\n• test\n• aaaa\n\n1. foo\n2. bar\n3. baz\n> something important\npackage example\n\nclass Foo\n\nbold something italic",
	},
	{
		name:   "a bot message whose content is only in legacy attachments",
		source: "the attachment example of api.slack.com/reference/messaging/attachments",
		message: `{"type":"message","subtype":"bot_message","text":"","bot_id":"B123","ts":"1700000000.000100",
			"attachments":[{"fallback":"Plain-text summary of the attachment.","color":"#2eb886","pretext":"Optional text that appears above the attachment block","author_name":"Bobby Tables","author_link":"http://flickr.com/bobby/","author_icon":"http://flickr.com/icons/bobby.jpg","title":"Slack API Documentation","title_link":"https://api.slack.com/","text":"Optional text that appears within the attachment","fields":[{"title":"Priority","value":"High","short":false}],"image_url":"http://my-website.com/path/to/image.jpg","thumb_url":"http://example.com/path/to/thumb.png","footer":"Slack API","footer_icon":"https://platform.slack-edge.com/img/default_application_icon.png","ts":123456789}]}`,
		want: "Optional text that appears above the attachment block\nBobby Tables\nSlack API Documentation (https://api.slack.com/)\nOptional text that appears within the attachment\nPriority: High",
	},
	{
		name:   "Block Kit sections and context, not the text fallback",
		source: "the section and context block examples of api.slack.com/reference/block-kit/blocks",
		message: `{"type":"message","text":"fallback only","ts":"1.2","blocks":[
			{"type":"header","text":{"type":"plain_text","text":"Budget Performance","emoji":true}},
			{"type":"section","text":{"type":"mrkdwn","text":"A message *with some bold text* and _some italicized text_."},"fields":[{"type":"mrkdwn","text":"*Priority*\nHigh"},{"type":"plain_text","emoji":true,"text":"String & <stuff>"}]},
			{"type":"divider"},
			{"type":"context","elements":[{"type":"image","image_url":"https://image.freepik.com/free-photo/red-drawing-pin_1156-445.jpg","alt_text":"images"},{"type":"mrkdwn","text":"Location: *Dogpatch*"}]}]}`,
		want: "Budget Performance\n\nA message with some bold text and some italicized text.\nPriority\nHigh\nString & <stuff>\n\nLocation: Dogpatch",
	},
	{
		name:    "every mention and link form in mrkdwn text, emoji with a skin tone, formatting marks",
		source:  "the formats of api.slack.com/reference/surfaces/formatting (mentions, channels, user groups, special mentions, dates, links, emoji)",
		message: `{"type":"message","ts":"1.2","text":"Hi <@W12345678> and <@U0JANE001|jane>, see <#C123456678> and <#C0SALES01|sales>; ping <!subteam^S0SALES01> <!subteam^S0OTHER01|@design>  <!here> <!channel> <!everyone>.\nDue <!date^1392734382^Posted {date_num}|2014-02-18>. Mail <mailto:bob@example.com|Bob> or read <https://example.com/a?b=1&amp;c=2|the docs> at <https://example.com>.\n:wave::skin-tone-3: *Agenda* _draft_ ~old~ ` + "`code`" + ` :custom_parrot: 10:30:00 Q&amp;A &lt;3"}`,
		want:    "Hi Kaz Sato and jane, see #platform-feedback and #sales; ping @sales-team @design @here @channel @everyone.\nDue 2014-02-18. Mail Bob or read the docs (https://example.com/a?b=1&c=2) at https://example.com.\n👋🏼 Agenda draft old code :custom_parrot: 10:30:00 Q&A <3",
	},
}

// names resolves the IDs of the cases, as users.info, conversations.info would.
func names(id string) string {
	return map[string]string{"W12345678": "Kaz Sato", "C123456678": "platform-feedback", "S0SALES01": "sales-team"}[id]
}

func TestMessageContent(t *testing.T) {
	for _, tc := range messageCases {
		t.Run(tc.name, func(t *testing.T) {
			raw := json.RawMessage(`{"type":"message_action","message":` + tc.message + `}`)
			var msg struct {
				Text string `json:"text"`
			}
			require.NoError(t, json.Unmarshal([]byte(tc.message), &msg), tc.source)
			got := tidy(Emojize(Plain(messageContent(raw, msg.Text), names)))
			assert.Equal(t, tc.want, got, "source: %s", tc.source)
			assert.NotContains(t, got, "  ", "no double space")
		})
	}
}

func TestUnresolvedMentionsStayReadable(t *testing.T) {
	got := tidy(Plain("Thanks <@U0NOBODY1> in <#C0NOWHERE> and <!subteam^S0NONE01>", nil))
	assert.Equal(t, "Thanks a colleague in #channel and @team", got)
}

func TestStripMarks(t *testing.T) {
	for in, want := range map[string]string{
		"*bold* and _it_ and ~gone~ and `code`": "bold and it and gone and code",
		"_*both*_ (*in parens*)":                "both (in parens)",
		"2*3*4 snake_case_name a * b":           "2*3*4 snake_case_name a * b",
		"<https://x.io/a_b_c|x_y_z> *y*":        "<https://x.io/a_b_c|x_y_z> y",
		"```\nfenced\n```":                      "\nfenced\n",
	} {
		assert.Equal(t, want, stripMarks(in), in)
	}
}

func TestEmojize(t *testing.T) {
	for in, want := range map[string]string{
		":wave:":                     "👋",
		":+1::skin-tone-2:":          "👍🏻",
		":thumbsup: :tada:":          "👍 🎉",
		":not_an_emoji: at 10:30:15": ":not_an_emoji: at 10:30:15",
	} {
		assert.Equal(t, want, Emojize(in), in)
	}
	assert.Equal(t, "👋🏽", emojiOf("wave", "", 4))
	assert.Equal(t, "👋🏽", emojiOf("wave::skin-tone-4", "1f44b-1f3fd", 4), "Slack's code points win")
	assert.Equal(t, ":partyparrot:", emojiOf("partyparrot", "", 0))
}

func TestTidy(t *testing.T) {
	assert.Equal(t, "a b\n    • nested\n\nc", tidy("  a   b  \n    • nested\n\n\n\nc\n"))
	assert.False(t, strings.Contains(tidy("x  y"), "  "))
}

func TestFilesOfAttachmentsAreOffered(t *testing.T) {
	// A forwarded message: its file sits in attachments[].files, with the
	// object-shaped channels of Slack's file object example.
	raw := json.RawMessage(`{"type":"message_action","message":{"type":"message","text":"","attachments":[{"is_share":true,"text":"see the deck","files":[{"id":"F1","name":"deck.pdf","filetype":"pdf","mimetype":"application/pdf","size":1200,"channels":{},"url_private_download":"https://files.slack.com/files-pri/T1-F1/download/deck.pdf"}]},{"files":"odd"}]}}`)
	files := messageFiles(raw)
	require.Len(t, files, 1)
	assert.Equal(t, "F1", files[0].ID)
	assert.Equal(t, "deck.pdf", files[0].Name)
	assert.Equal(t, "see the deck", tidy(Plain(messageContent(raw, ""), nil)))
}

func TestDecodeDropsOnlyTheOddValue(t *testing.T) {
	var v struct {
		Items []struct {
			Files []string `json:"files"`
			N     int      `json:"n"`
		} `json:"items"`
	}
	dropped, err := Decode([]byte(`{"items":[{"files":["a"],"n":1},{"files":{},"n":"2"},{"files":["c"],"n":3.5}]}`), &v)
	require.NoError(t, err)
	assert.Equal(t, []string{"items.files", "items.n", "items.n"}, dropped)
	require.Len(t, v.Items, 3)
	assert.Equal(t, []string{"a"}, v.Items[0].Files, "the good values stay")
	assert.Nil(t, v.Items[1].Files)
	assert.Equal(t, []string{"c"}, v.Items[2].Files)
	assert.Equal(t, 1, v.Items[0].N)

	_, err = Decode([]byte(`{not json`), &v)
	assert.Error(t, err)
	_, _, err = DecodeCommand([]byte(`{"command":"/linkedin-send","text":42}`))
	assert.ErrorContains(t, err, "text could not be read", "a command without its text would do something else")
	cmd, dropped, err := DecodeCommand([]byte(`{"command":"/linkedin-send","text":"hi","api_app_id":{"x":1}}`))
	require.NoError(t, err)
	assert.Equal(t, "hi", cmd.Text)
	assert.Equal(t, []string{"api_app_id"}, dropped)
}

// TestReadmeExample keeps the README's before/after example true.
func TestReadmeExample(t *testing.T) {
	in := "<!here> *Agenda* for <#C0SALES01> with <@U0JANE001> :wave::skin-tone-3:\n• _Pricing_ — see <https://acme.io/deck|the deck>"
	raw := json.RawMessage(`{"message":{"text":` + strconvQuote(in) + `}}`)
	name := func(id string) string { return map[string]string{"C0SALES01": "sales", "U0JANE001": "Jane Doe"}[id] }
	assert.Equal(t, "@here Agenda for #sales with Jane Doe 👋🏼\n• Pricing — see the deck (https://acme.io/deck)", tidy(Emojize(Plain(messageContent(raw, ""), name))))
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
