package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakeslack"
)

const messageTS = "1652227646.593159"

// magic is the first bytes of each type, so the bot's sniffing sees a real file.
var magic = map[string]string{
	"png": "\x89PNG\r\n\x1a\n", "jpg": "\xff\xd8\xff\xe0", "pdf": "%PDF-1.7\n",
	"mp4": "\x00\x00\x00\x18ftypmp42", "zip": "PK\x03\x04",
}

// addFile registers a file of the given type and size with the fake Slack
// and returns its file object (as a message carries it) and content.
func (e *env) addFile(id, name, filetype, mimetype string, size int, tweak func(*fakeslack.File)) (map[string]any, []byte) {
	content := []byte(magic[filetype])
	for len(content) < size {
		content = append(content, byte(rand.IntN(256)))
	}
	content = content[:size]
	obj := map[string]any{"name": name, "title": name, "filetype": filetype, "mimetype": mimetype, "pretty_type": strings.ToUpper(filetype), "size": size, "mode": "hosted", "file_access": "visible"}
	f := fakeslack.File{Object: obj, Size: int64(size), Open: func() io.Reader { return bytes.NewReader(content) }}
	if tweak != nil {
		tweak(&f)
	}
	e.slack.AddFile(id, f)
	return obj, content
}

// shortcut runs the message shortcut on a message with text and files, and
// returns the modal Slack was asked to open.
func (e *env) shortcut(text string, files []map[string]any) map[string]any {
	e.t.Helper()
	return e.shortcutOn(func(msg map[string]any) {
		msg["text"] = text
		if files == nil {
			delete(msg, "files")
		} else {
			msg["files"] = files
		}
		delete(msg, "blocks")
	})
}

// shortcutOn runs alice's message shortcut, in the sales channel, on the
// message of the files frame as edit changes it, and returns the modal
// Slack was asked to open.
func (e *env) shortcutOn(edit func(msg map[string]any)) map[string]any {
	e.t.Helper()
	opened := len(e.slack.Calls("views.open"))
	id, f := e.frame("b2-message-action-with-files.json", func(p map[string]any) {
		p["callback_id"] = "linkedin_send_message"
		p["channel"] = map[string]any{"id": salesChannel, "name": "sales"}
		p["user"] = map[string]any{"id": alice, "name": "alice"}
		p["response_url"] = e.slack.ResponseURL("shortcut")
		edit(p["message"].(map[string]any))
	})
	assert.Empty(e.t, e.send(id, f).Payload)
	_, view := openedView(e.t, e, opened+1)
	return view
}

// submitView submits view with values, keeping its private_metadata.
func (e *env) submitView(view map[string]any, values map[string]any) {
	e.t.Helper()
	id, f := e.frame("d1-view-submission-docs.json", func(p map[string]any) {
		v := p["view"].(map[string]any)
		v["id"] = "V" + e.t.Name()
		v["callback_id"] = "linkedin_send_modal"
		v["private_metadata"] = view["private_metadata"]
		state := map[string]any{}
		for block, val := range values {
			switch val := val.(type) {
			case string:
				state[block] = map[string]any{block: map[string]any{"type": "plain_text_input", "value": val}}
			case map[string]any:
				state[block] = map[string]any{block: val}
			}
		}
		v["state"] = map[string]any{"values": state}
		p["user"] = map[string]any{"id": alice, "username": "alice"}
	})
	assert.Empty(e.t, e.send(id, f).Payload, "the modal closes")
}

func selected(id string) map[string]any {
	return map[string]any{"type": "static_select", "selected_option": map[string]any{"value": id}}
}

// mediaOf decodes the media_file Linkup received.
func mediaOf(t *testing.T, dataURL string) (string, []byte) {
	t.Helper()
	head, b64, ok := strings.Cut(dataURL, ";base64,")
	require.True(t, ok, "a data URL")
	data, err := base64.StdEncoding.DecodeString(b64)
	require.NoError(t, err)
	return strings.TrimPrefix(head, "data:"), data
}

func TestMessageShortcutSendsTheFile(t *testing.T) {
	for _, tc := range []struct{ filetype, mime string }{{"pdf", "application/pdf"}, {"png", "image/png"}, {"mp4", "video/mp4"}, {"jpg", "image/jpeg"}} {
		t.Run(tc.filetype, func(t *testing.T) {
			e := startBot(t, nil)
			obj, content := e.addFile("F1", "file."+tc.filetype, tc.filetype, tc.mime, 300_000, nil)
			view := e.shortcut("Our deck &amp; prices", []map[string]any{obj})
			sel := element(view, "attachment")
			require.NotNil(t, sel, "an attachment select")
			assert.Equal(t, "F1", sel["initial_option"].(map[string]any)["value"], "the file is preselected")
			assert.Equal(t, "Our deck & prices", element(view, "message")["initial_value"])

			e.submitView(view, map[string]any{"recipient": "https://www.linkedin.com/in/jane-doe", "message": "Our deck & prices", "attachment": selected("F1")})
			notice := e.finished(1)
			reqs := e.linkup.Requests()
			require.Len(t, reqs, 1)
			mime, data := mediaOf(t, reqs[0].Body.MediaFile)
			assert.Equal(t, tc.mime, mime)
			assert.True(t, bytes.Equal(content, data), "Linkup got exactly the file")
			assert.Empty(t, reqs[0].Body.MediaLink)
			assert.Contains(t, notice.Text, "sent, 2 credits")

			var inThread []fakeslack.Post
			for _, p := range e.postsIn(salesChannel) {
				assert.Equal(t, messageTS, p.ThreadTS, "everything goes in the original message's thread")
				inThread = append(inThread, p)
			}
			require.Len(t, inThread, 2)
			assert.Contains(t, inThread[0].Text, "with an attachment")
			assert.Contains(t, inThread[1].Text, "2 credits spent")
			for _, d := range e.slack.Downloads() {
				assert.Equal(t, "Bearer "+botToken, d.Authorization)
			}
		})
	}
}

func TestUnsupportedFilesAreNamedAndSkipped(t *testing.T) {
	e := startBot(t, map[string]string{"MAX_MEDIA_BYTES": "100000"})
	zip, _ := e.addFile("FZIP", "archive.zip", "zip", "application/zip", 5000, nil)
	big, _ := e.addFile("FBIG", "huge.pdf", "pdf", "application/pdf", 200_000, nil)
	png, _ := e.addFile("FPNG", "ok.png", "png", "image/png", 5000, nil)
	view := e.shortcut("three files", []map[string]any{zip, big, png})
	sel := element(view, "attachment")
	require.NotNil(t, sel)
	var offered []string
	for _, o := range sel["options"].([]any) {
		offered = append(offered, o.(map[string]any)["value"].(string))
	}
	assert.Equal(t, []string{"FPNG", "none"}, offered)
	raw, _ := json.Marshal(view["blocks"])
	assert.Contains(t, string(raw), "archive.zip: .zip files cannot be sent (PNG, JPG, MP4 and PDF can)")
	assert.Contains(t, string(raw), "huge.pdf: it is 195 KiB, over the 97 KiB limit")

	t.Run("only unsupported files: the text alone can go", func(t *testing.T) {
		view := e.shortcut("just a zip", []map[string]any{zip})
		assert.Nil(t, element(view, "attachment"), "nothing to choose")
		e.submitView(view, map[string]any{"recipient": "https://www.linkedin.com/in/jane-doe", "message": "just a zip"})
		e.finished(1)
		reqs := e.linkup.Requests()
		require.Len(t, reqs, 1)
		assert.Empty(t, reqs[0].Body.MediaFile)
		assert.Empty(t, e.slack.Downloads(), "nothing was downloaded")
	})
}

func TestSlackConnectFileIsResolvedWithFilesInfo(t *testing.T) {
	e := startBot(t, nil)
	// files.info answers with "channels", "groups" and "ims" as objects, as
	// in Slack's own file object example (api.slack.com/methods/search.files):
	// slack-go cannot decode that, the bot reads the file anyway.
	_, content := e.addFile("F12345678", "contract.pdf", "pdf", "application/pdf", 40_000, func(f *fakeslack.File) {
		f.Object["channels"], f.Object["groups"], f.Object["ims"] = map[string]any{}, map[string]any{}, map[string]any{}
	})
	e.slack.AddUser("U0BOB0001", "Bob Martin")
	stub := map[string]any{"id": "F12345678", "mode": "file_access", "file_access": "check_file_info", "created": 0, "timestamp": 0, "user": ""}
	view := e.shortcut("For <@U0BOB0001> in <#C1|deals>: <https://acme.io/terms|terms>", []map[string]any{stub})
	assert.Nil(t, element(view, "attachment"), "the stub is not offered before files.info")
	assert.Equal(t, "For a colleague in #deals: terms (https://acme.io/terms)", element(view, "message")["initial_value"], "until users.info answers")

	e.waitUntil("views.update", func() bool { return len(e.slack.Calls("views.update")) == 1 })
	var upd struct {
		ViewID string         `json:"view_id"`
		Hash   string         `json:"hash"`
		View   map[string]any `json:"view"`
	}
	require.NoError(t, json.Unmarshal(e.slack.Calls("views.update")[0].JSON, &upd))
	assert.Equal(t, "V00000001", upd.ViewID)
	assert.Equal(t, "hash-V00000001", upd.Hash, "the update cannot overwrite the user's edits")
	assert.Equal(t, "For Bob Martin in #deals: terms (https://acme.io/terms)", element(upd.View, "message")["initial_value"])
	assert.Equal(t, "F12345678", element(upd.View, "attachment")["initial_option"].(map[string]any)["value"])
	assert.Len(t, e.slack.Calls("files.info"), 1)

	e.submitView(upd.View, map[string]any{"recipient": "https://www.linkedin.com/in/jane-doe", "message": "Contract attached", "attachment": selected("F12345678")})
	e.finished(1)
	reqs := e.linkup.Requests()
	require.Len(t, reqs, 1)
	_, data := mediaOf(t, reqs[0].Body.MediaFile)
	assert.True(t, bytes.Equal(content, data))
}

func TestMessageWithoutFileSendsText(t *testing.T) {
	e := startBot(t, nil)
	view := e.shortcut("Just words", nil)
	assert.Nil(t, element(view, "attachment"))
	e.submitView(view, map[string]any{"recipient": "https://www.linkedin.com/in/jane-doe", "message": "Just words"})
	assert.Contains(t, e.finished(1).Text, "sent, 1 credit")
	assert.Empty(t, e.linkup.Requests()[0].Body.MediaFile)
}

func TestMediaLinkWinsOverTheFile(t *testing.T) {
	e := startBot(t, nil)
	obj, _ := e.addFile("F1", "a.png", "png", "image/png", 1000, nil)
	view := e.shortcut("pick", []map[string]any{obj})
	raw, _ := json.Marshal(view["blocks"])
	assert.Contains(t, string(raw), "A link wins over the attached file")
	e.submitView(view, map[string]any{"recipient": "https://www.linkedin.com/in/jane-doe", "message": "pick", "attachment": selected("F1"), "media_link": "https://cdn.acme.io/deck.pdf"})
	e.finished(1)
	req := e.linkup.Requests()[0].Body
	assert.Equal(t, "https://cdn.acme.io/deck.pdf", req.MediaLink)
	assert.Empty(t, req.MediaFile)
	assert.Empty(t, e.slack.Downloads(), "the file is not even downloaded")
}

func TestBadDownloadsAreReportedAndNothingIsSent(t *testing.T) {
	var evilHits atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			evilHits.Add(1)
		}
	}))
	defer evil.Close()

	cases := []struct {
		name    string
		tweak   func(*fakeslack.File)
		want    string
		aborted int  // requests Linkup saw break off
		unknown bool // part of the request had gone to Linkup
	}{
		{"HTML sign-in page", func(f *fakeslack.File) { f.HTML = true }, "sign-in page instead of the file: the bot needs the files:read scope", 0, false},
		{"breaks halfway", func(f *fakeslack.File) { f.BreakAfter = 150_000 }, "the attachment broke off after part of the request had gone to Linkup", 1, true},
		{"redirect to another host", func(f *fakeslack.File) { f.RedirectTo = evil.URL + "/steal" }, "redirected the download elsewhere", 0, false},
		{"redirect from https to http on the same host", func(f *fakeslack.File) { f.RedirectTo = "http://127.0.0.1:1/steal" }, "redirected the download elsewhere", 0, false},
		{"content is not the declared type", func(f *fakeslack.File) {
			f.Open = func() io.Reader { return strings.NewReader(strings.Repeat("MZ not a pdf", 25000)) }
		}, "its content is not what Slack says it is (application/pdf)", 0, false},
		{"stalls before its headers", func(f *fakeslack.File) { f.StallAt = new(int64) }, "Slack did not start sending the file within 1s", 0, false},
		{"stalls in the middle", func(f *fakeslack.File) { n := int64(150_000); f.StallAt = &n }, "the attachment broke off after part of the request had gone to Linkup", 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// One worker and a short LINKUP_TIMEOUT (the stall limit follows
			// it): a stalled download must not hold the only worker.
			e := startBot(t, map[string]string{"SEND_CONCURRENCY": "1", "LINKUP_TIMEOUT": "1s"})
			obj, _ := e.addFile("F1", "deck.pdf", "pdf", "application/pdf", 300_000, tc.tweak)
			view := e.shortcut("deck", []map[string]any{obj})
			e.submitView(view, map[string]any{"recipient": "https://www.linkedin.com/in/jane-doe", "message": "deck", "attachment": selected("F1")})
			e.command("https://www.linkedin.com/in/jane-doe After the file")
			notice, marker := "not sent", ":x: Not sent"
			if tc.unknown {
				notice, marker = "outcome unknown", ":warning:"
			}
			// The two sends run side by side: their notifications come in either order.
			e.finished(2)
			notes := e.postsIn(notifyChannel)
			file, text := notes[0].Text, notes[1].Text
			if strings.Contains(file, "sent, 1 credit") {
				file, text = text, file
			}
			assert.Contains(t, file, notice)
			assert.Contains(t, text, "sent, 1 credit", "the next send was not held up")
			settle()
			require.Equal(t, 1, e.linkup.Count(), "no complete request with the file reached Linkup; the text send did")
			assert.Equal(t, "After the file", e.linkup.Requests()[0].Body.MessageText)
			assert.Equal(t, tc.aborted, e.linkup.Aborted(), "a download that breaks aborts the request already under way")
			var reply fakeslack.Post
			for _, p := range e.postsIn(salesChannel) {
				if strings.HasPrefix(p.Text, marker) {
					reply = p
				}
			}
			assert.Contains(t, reply.Text, tc.want)
			assert.Contains(t, reply.Blocks, "retry_send", "a Retry button is offered")
			if tc.unknown {
				assert.Contains(t, reply.Blocks, "may already have been delivered", "retrying asks first")
			}
		})
	}
	assert.Zero(t, evilHits.Load(), "the bot token never left Slack's hosts")
}

func TestFileUploadedInTheSlashCommandModal(t *testing.T) {
	e := startBot(t, nil)
	e.command("")
	_, view := openedView(t, e, 1)
	obj, content := e.addFile("FUP", "photo.jpg", "jpg", "image/jpeg", 70_000, nil)
	e.submitView(view, map[string]any{
		"recipient": "https://www.linkedin.com/in/jane-doe", "message": "Photo",
		"upload": map[string]any{"type": "file_input", "files": []any{obj}},
	})
	e.finished(1)
	reqs := e.linkup.Requests()
	require.Len(t, reqs, 1)
	mime, data := mediaOf(t, reqs[0].Body.MediaFile)
	assert.Equal(t, "image/jpeg", mime)
	assert.True(t, bytes.Equal(content, data))

	t.Run("a file of another type is refused inline", func(t *testing.T) {
		zip, _ := e.addFile("FZ", "a.zip", "zip", "application/zip", 100, nil)
		id, f := e.frame("d1-view-submission-docs.json", func(p map[string]any) {
			v := p["view"].(map[string]any)
			v["id"], v["callback_id"], v["private_metadata"] = "VZIP", "linkedin_send_modal", view["private_metadata"]
			v["state"] = map[string]any{"values": map[string]any{
				"recipient": map[string]any{"recipient": map[string]any{"type": "plain_text_input", "value": "https://www.linkedin.com/in/jane-doe"}},
				"message":   map[string]any{"message": map[string]any{"type": "plain_text_input", "value": "zip"}},
				"upload":    map[string]any{"upload": map[string]any{"type": "file_input", "files": []any{zip}}},
			}}
		})
		assert.Contains(t, string(e.send(id, f).Payload), `"upload":"This file cannot be attached: a.zip: .zip files cannot be sent`)
	})
}
