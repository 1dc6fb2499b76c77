package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMessageShortcutReadsRealFileObjects: Slack's own file object example
// (api.slack.com/methods/search.files) has "channels", "groups" and "ims"
// as objects and "reactions" keyed by index: slack-go cannot decode such a
// payload, so without lenient decoding no modal opened.
func TestMessageShortcutReadsRealFileObjects(t *testing.T) {
	t.Parallel()
	e := startBot(t, nil)
	obj, _ := e.addFile("F7H0D7ZBB", "brochure.pdf", "pdf", "application/pdf", 40_000, nil)
	obj["channels"], obj["groups"], obj["ims"] = map[string]any{}, map[string]any{}, map[string]any{}
	obj["reactions"] = map[string]any{"0": map[string]any{"count": 1, "name": "stuck_out_tongue_winking_eye", "users": map[string]any{"0": "U2U85N1RZ"}}}
	view := e.shortcut("Our brochure :page_facing_up:", []map[string]any{obj})
	sel := element(view, "attachment")
	require.NotNil(t, sel, "the file is offered")
	assert.Equal(t, "F7H0D7ZBB", sel["initial_option"].(map[string]any)["value"])
	assert.Equal(t, "Our brochure 📄", element(view, "message")["initial_value"])
	assert.Contains(t, e.logs.String(), `"dropped":["message.files.channels","message.files.groups","message.files.ims"`)

	e.submitView(view, map[string]any{"recipient": "https://www.linkedin.com/in/jane-doe", "message": "Our brochure 📄", "attachment": selected("F7H0D7ZBB")})
	e.finished(1)
	require.Equal(t, 1, e.linkup.Count())
	assert.NotEmpty(t, e.linkup.Requests()[0].Body.MediaFile)
}

// TestMessageShortcutPrefillsRichText runs the shortcut on a Block Kit
// message (java-slack-sdk BlockKitTest.parseRichTextOnes2): the prefill
// comes from its rich text, not its "dummy" fallback, and the mentioned
// person and channel are named once Slack answers.
func TestMessageShortcutPrefillsRichText(t *testing.T) {
	t.Parallel()
	e := startBot(t, nil)
	e.slack.AddUser("W12345678", "Kaz Sato")
	e.slack.AddChannel("C123456678", "platform-feedback")
	view := e.shortcutOn(func(msg map[string]any) {
		var rich map[string]any
		require.NoError(t, json.Unmarshal([]byte(`{"type":"message","text":"dummy","user":"W12345678","ts":"1573737632.000800","blocks":[{"type":"rich_text","block_id":"BMpCU","elements":[{"type":"rich_text_section","elements":[{"type":"broadcast","range":"channel"},{"type":"text","text":" test a"},{"type":"text","text":"aaa","style":{"strike":true}},{"type":"text","text":"\n"},{"type":"channel","channel_id":"C123456678"},{"type":"text","text":"\ntest\n"},{"type":"link","url":"http://www.example.com"},{"type":"text","text":"\n"},{"type":"user","user_id":"W12345678"},{"type":"text","text":" :wave:"},{"type":"emoji","name":"wave","skin_tone":2}]}]}]}`), &rich))
		clear(msg)
		maps.Copy(msg, rich)
	})
	assert.Equal(t, "@channel test aaaa\n#channel\ntest\nhttp://www.example.com\na colleague 👋👋🏻", element(view, "message")["initial_value"], "at once, before the names")

	e.waitUntil("views.update", func() bool { return len(e.slack.Calls("views.update")) == 1 })
	var upd struct {
		View map[string]any `json:"view"`
	}
	require.NoError(t, json.Unmarshal(e.slack.Calls("views.update")[0].JSON, &upd))
	assert.Equal(t, "@channel test aaaa\n#platform-feedback\ntest\nhttp://www.example.com\nKaz Sato 👋👋🏻", element(upd.View, "message")["initial_value"])
}

func TestLongMessageIsCutWithANotice(t *testing.T) {
	t.Parallel()
	e := startBot(t, nil)
	view := e.shortcut(strings.Repeat("word ", 900)+"end", nil) // 4,503 characters
	msg := element(view, "message")
	assert.Len(t, []rune(msg["initial_value"].(string)), 3000)
	assert.Contains(t, fmt.Sprint(view["blocks"]), ":scissors: The message is 4,503 characters; this form holds 3,000, so the last 1,503 were cut. To send all of it, use `/linkedin-send <profile URL> <message>` (up to 8,000 characters).")
}

func TestViewSubmissionWithoutStateIsAnsweredInline(t *testing.T) {
	t.Parallel()
	e := startBot(t, nil)
	for _, state := range []any{nil, map[string]any{}, map[string]any{"values": map[string]any{}}} {
		id, f := e.frame("d1-view-submission-docs.json", func(p map[string]any) {
			v := p["view"].(map[string]any)
			v["callback_id"] = "linkedin_send_modal"
			v["private_metadata"] = `{"c":"` + salesChannel + `"}`
			if state == nil {
				delete(v, "state")
			} else {
				v["state"] = state
			}
			p["user"] = map[string]any{"id": alice, "username": "alice"}
		})
		ack := e.send(id, f)
		var got struct {
			ResponseAction string            `json:"response_action"`
			Errors         map[string]string `json:"errors"`
		}
		require.NoError(t, json.Unmarshal(ack.Payload, &got), string(ack.Payload))
		assert.Equal(t, "errors", got.ResponseAction)
		assert.Contains(t, got.Errors["message"], "Slack did not pass on what was typed in this form, so nothing was sent.")
	}
	assert.Zero(t, e.linkup.Count())
	assert.NotContains(t, e.logs.String(), "panicked")
}
