package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakeslack"
)

// issue1426File is the file object of java-slack-sdk's FileTest
// (ISSUE_1426_JSON, slack-api-model/src/test/java/test_locally/api/model/FileTest.java,
// a real conversations.history answer): "channels", "groups", "ims" and
// "favorites" are {}, and shares.public.C03E94MKU[0].reply_users is {}.
// It is kept as files.info answers it in testdata/frames/f1-files-info-java-sdk-issue1426.json.
func issue1426File(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "frames", "f1-files-info-java-sdk-issue1426.json"))
	require.NoError(t, err)
	var answer struct {
		File map[string]any `json:"file"`
	}
	require.NoError(t, json.Unmarshal(raw, &answer))
	return answer.File
}

// asPDF makes the real file object file a PDF of the fake Slack's, whose
// content it returns: its odd fields stay as they are.
func asPDF(e *env, file map[string]any, name string, size int) []byte {
	e.t.Helper()
	id := file["id"].(string)
	obj, content := e.addFile(id, name, "pdf", "application/pdf", size, nil)
	for k, v := range obj {
		file[k] = v
	}
	return content
}

// The message shortcut on a message that shares another message with its
// file (java-slack-sdk MessageShortcutPayloadTest.payload_with_files_in_an_attachment,
// issue 647: the file sits in message.attachments[].files[]), the file
// being the real object of issue1426File, with its odd values deep in
// shares.public.<channel>[].reply_users: the request is read, the file is
// offered and sent.
func TestForwardedFileWithOddValuesDeepInsideIsOffered(t *testing.T) {
	e := startBot(t, nil)
	var content []byte
	opened := len(e.slack.Calls("views.open"))
	id, f := e.frame("b4-message-action-forwarded-file-java-sdk.json", func(p map[string]any) {
		p["callback_id"] = "linkedin_send_message"
		p["channel"] = map[string]any{"id": salesChannel, "name": "sales"}
		p["user"] = map[string]any{"id": alice, "name": "alice"}
		p["response_url"] = e.slack.ResponseURL("shortcut")
		file := p["message"].(map[string]any)["attachments"].([]any)[0].(map[string]any)["files"].([]any)[0].(map[string]any)
		require.Equal(t, map[string]any{}, file["channels"], "the frame keeps the real shape")
		content = asPDF(e, file, "brief.pdf", 30_000)
	})
	assert.Empty(t, e.send(id, f).Payload)
	_, view := openedView(t, e, opened+1)
	assert.Empty(t, e.slack.Hooks(), "nothing says the request could not be read")
	sel := element(view, "attachment")
	require.NotNil(t, sel, "the forwarded file is offered")
	assert.Equal(t, "F08AF7HUWQL", sel["initial_option"].(map[string]any)["value"])
	assert.Contains(t, e.logs.String(), `"message.attachments.files.shares.public.reply_users"`, "the odd value is dropped, and logged")

	e.submitView(view, map[string]any{"recipient": "https://www.linkedin.com/in/jane-doe", "message": "The brief", "attachment": selected("F08AF7HUWQL")})
	e.finished(1)
	reqs := e.linkup.Requests()
	require.Len(t, reqs, 1)
	_, data := mediaOf(t, reqs[0].Body.MediaFile)
	assert.True(t, bytes.Equal(content, data))
}

// A Slack Connect file (a stub in the message) whose files.info answer is
// the real object of issue1426File, reply_users an object inside
// shares.public.<channel>[]: the file is read, offered and sent, not
// refused as "not shared".
func TestSlackConnectFileWithObjectReplyUsersIsResolved(t *testing.T) {
	e := startBot(t, nil)
	file := issue1426File(t)
	content := asPDF(e, file, "contract.pdf", 40_000)
	shares := file["shares"].(map[string]any)["public"].(map[string]any)["C03E94MKU"].([]any)[0].(map[string]any)
	require.Equal(t, map[string]any{}, shares["reply_users"], "files.info answers the real shape")
	e.slack.AddFile(file["id"].(string), fakeslack.File{Object: file, Size: int64(len(content)), Open: func() io.Reader { return bytes.NewReader(content) }})

	stub := map[string]any{"id": file["id"], "mode": "file_access", "file_access": "check_file_info", "created": 0, "timestamp": 0, "user": ""}
	view := e.shortcut("The contract", []map[string]any{stub})
	assert.Nil(t, element(view, "attachment"), "the stub is not offered before files.info")
	e.waitUntil("views.update", func() bool { return len(e.slack.Calls("views.update")) == 1 })
	var upd struct {
		View map[string]any `json:"view"`
	}
	require.NoError(t, json.Unmarshal(e.slack.Calls("views.update")[0].JSON, &upd))
	sel := element(upd.View, "attachment")
	require.NotNil(t, sel, "the file is offered: %s", blockText(upd.View))
	assert.Equal(t, file["id"], sel["initial_option"].(map[string]any)["value"])
	assert.NotContains(t, blockText(upd.View), "would not share it")

	e.submitView(upd.View, map[string]any{"recipient": "https://www.linkedin.com/in/jane-doe", "message": "Contract attached", "attachment": selected(file["id"].(string))})
	e.finished(1)
	reqs := e.linkup.Requests()
	require.Len(t, reqs, 1)
	_, data := mediaOf(t, reqs[0].Body.MediaFile)
	assert.True(t, bytes.Equal(content, data))
}

// blockText is a view's blocks as JSON, to search its words.
func blockText(view map[string]any) string {
	b, _ := json.Marshal(view["blocks"])
	return strings.ReplaceAll(string(b), `\u0026`, "&")
}
