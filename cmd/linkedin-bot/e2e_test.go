package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/internal/fakeslack"
	"linkedin-bot/store"
)

func TestSlashCommandSendsAndAnswersInThread(t *testing.T) {
	e := startBot(t, nil)

	_, ack := e.command("<https://linkedin.com/in/jane-doe/?trk=x|linkedin.com/in/jane-doe> Hi Jane, great to meet you! Q&amp;A tomorrow?")
	assert.Empty(t, ack.Payload, "a valid command is acked with no payload")

	notice := e.finished(1)
	reqs := e.linkup.Requests()
	require.Len(t, reqs, 1, "exactly one Linkup request")
	assert.Equal(t, apiKey, reqs[0].APIKey)
	assert.Equal(t, fakelinkup.Body{
		LinkedInURL: "https://www.linkedin.com/in/jane-doe",
		MessageText: "Hi Jane, great to meet you! Q&A tomorrow?",
		Country:     "FR",
		LoginToken:  loginToken,
	}, reqs[0].Body)

	root, replies := e.thread(salesChannel)
	assert.Contains(t, root.Text, "<@"+alice+">")
	assert.Contains(t, root.Text, "<https://www.linkedin.com/in/jane-doe|jane-doe>")
	assert.Contains(t, root.Text, "> Hi Jane, great to meet you! Q&amp;A tomorrow?")
	require.Len(t, replies, 1, "one outcome reply in the thread")
	assert.Contains(t, replies[0].Text, "Sent on LinkedIn")
	assert.Contains(t, replies[0].Text, "1 credit spent")

	updates := e.slack.Calls("chat.update")
	require.Len(t, updates, 1, "the root message is updated once")
	assert.Equal(t, root.TS, updates[0].Params["ts"])
	assert.Contains(t, updates[0].Params["text"], ":white_check_mark: Sent (1 credit)")

	assert.Contains(t, notice.Text, "<@"+alice+"> → <https://www.linkedin.com/in/jane-doe|jane-doe>: sent, 1 credit")
	assert.Contains(t, notice.Text, "https://fake.slack.com/archives/"+salesChannel+"/p"+strings.ReplaceAll(root.TS, ".", ""))
	assert.Empty(t, e.slack.Hooks(), "nothing goes to response_url when the channel works")
}

func TestLinkupErrorsReachTheThread(t *testing.T) {
	cases := []struct {
		name   string
		answer fakelinkup.Answer
		want   []string
		notice string
	}{
		{"200 with status error and data", reply(200, `{"status":"error","data":"Invalid parameter"}`),
			[]string{":x: Not sent.", "Invalid parameter", "not connected to this person"}, "not sent"},
		{"200 with status error and message", reply(200, `{"status":"error","message":"Invalid profile URL format"}`),
			[]string{"Linkup refused the message: Invalid profile URL format."}, "not sent"},
		{"400", reply(400, `{"status":"error","message":"Error while sending message"}`),
			[]string{"Linkup refused the message: Error while sending message."}, "not sent"},
		{"401", reply(401, `{"message":"Invalid API key"}`),
			[]string{"did not accept the bot's credentials (Invalid API key)", "LINKUP_LOGIN_TOKEN"}, "not sent"},
		{"403", reply(403, `{"status":"error","message":"LinkedIn token expired"}`),
			[]string{"LinkedIn token expired", "renew LINKUP_LOGIN_TOKEN"}, "not sent"},
		{"404", reply(404, `{"status":"error","message":"Profile not found"}`),
			[]string{"Linkup refused the message: Profile not found."}, "not sent"},
		{"429 with a Retry-After too long to wait", func(w http.ResponseWriter, _ *http.Request, _ fakelinkup.Request) {
			w.Header().Set("Retry-After", "3600")
			fakelinkup.Reply(w, 429, `{"message":"LinkedIn Rate limit exceeded"}`)
		}, []string{"LinkedIn Rate limit exceeded", "try again in 1h0m0s"}, "not sent"},
		{"200 with status error that mentions a rate limit is not resent", reply(200, `{"status":"error","message":"API Rate limit exceeded"}`),
			[]string{"limiting the rate of messages (API Rate limit exceeded)", "Nothing was sent"}, "not sent"},
		{"500", reply(500, `{"message":"Internal error"}`),
			[]string{":warning:", "Linkup answered HTTP 500 (Internal error)", "may or may not have been sent"}, "outcome unknown"},
		{"502 from a gateway", reply(502, `<html>Bad Gateway</html>`),
			[]string{"Linkup answered HTTP 502 (Bad Gateway)", "may or may not have been sent"}, "outcome unknown"},
		{"503", reply(503, ``),
			[]string{"Linkup answered HTTP 503 (Service Unavailable)", "may or may not have been sent"}, "outcome unknown"},
		{"504 from a gateway", reply(504, `<html><body><h1>504 Gateway Time-out</h1></body></html>`),
			[]string{"Linkup answered HTTP 504 (Gateway Timeout)", "may or may not have been sent"}, "outcome unknown"},
		{"mention in Linkup's text is made inert", reply(400, `{"message":"<!channel> bad"}`),
			[]string{"&lt;!channel&gt; bad"}, "not sent"},
		{"hang past the timeout", func(_ http.ResponseWriter, r *http.Request, _ fakelinkup.Request) { <-r.Context().Done() },
			[]string{":warning:", "may or may not have been sent"}, "outcome unknown"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := startBot(t, map[string]string{"LINKUP_TIMEOUT": "300ms"})
			e.linkup.SetAnswer(tc.answer)
			e.command("https://www.linkedin.com/in/jane-doe Hello")
			notice := e.finished(1)
			assert.Equal(t, 1, e.linkup.Count(), "exactly one Linkup request, never retried")
			_, replies := e.thread(salesChannel)
			require.Len(t, replies, 1)
			for _, w := range tc.want {
				assert.Contains(t, replies[0].Text, w)
			}
			assert.NotContains(t, replies[0].Text, "<!channel>")
			assert.Contains(t, notice.Text, ": "+tc.notice)
			if tc.notice == "outcome unknown" {
				assert.Contains(t, replies[0].Blocks, "may already have been delivered", "Retry asks for confirmation")
			}
		})
	}
}

func reply(code int, body string) fakelinkup.Answer {
	return func(w http.ResponseWriter, _ *http.Request, _ fakelinkup.Request) { fakelinkup.Reply(w, code, body) }
}

func TestResponseURLFallbackWhereTheBotCannotPost(t *testing.T) {
	for _, slackErr := range []string{"not_in_channel", "channel_not_found"} {
		t.Run(slackErr, func(t *testing.T) {
			e := startBot(t, nil)
			e.slack.FailPosts(salesChannel, slackErr)
			e.command("https://www.linkedin.com/in/jane-doe Hello from a private channel")
			notice := e.finished(1)
			assert.Equal(t, 1, e.linkup.Count())
			hooks := e.slack.Hooks()
			require.Len(t, hooks, 2, "root and outcome go to the response_url")
			assert.Equal(t, "ephemeral", hooks[0].Body["response_type"])
			assert.Contains(t, hooks[0].Body["text"], "is sending a LinkedIn message to")
			assert.Contains(t, hooks[1].Body["text"], "Sent on LinkedIn")
			assert.Contains(t, notice.Text, "sent, 1 credit")
			assert.NotContains(t, notice.Text, "thread", "no thread link for a private answer")
		})
	}
}

func TestCommandInputIsCheckedBeforeAnySend(t *testing.T) {
	e := startBot(t, map[string]string{"MAX_MESSAGE_LENGTH": "20"})
	cases := []struct {
		text string
		want string
	}{
		{"help", "Usage: `/linkedin-send <linkedin profile url> <message>`"},
		{"HELP", "1 Linkup credit"},
		{"hello there", "A LinkedIn profile URL is expected, like https://www.linkedin.com/in/jane-doe"},
		{"https://www.linkedin.com/company/acme Hi", "company and school pages cannot receive messages"},
		{"https://www.linkedin.com/sales/lead/ACwAA,NAME Hi", "Sales Navigator"},
		{"https://example.com/in/jane Hi", "not a linkedin.com address"},
		{"https://www.linkedin.com/in/ Hi", "profile name after /in/ is missing"},
		{"https://www.linkedin.com/in/jane-doe this message is far too long", "the most is 20"},
		{"https://www.linkedin.com/in/jane-doe bad \x00 byte", "control characters"},
	}
	for _, tc := range cases {
		_, ack := e.command(tc.text)
		text := ackText(t, ack)
		assert.Contains(t, text, tc.want, "command %q", tc.text)
		var p map[string]any
		require.NoError(t, json.Unmarshal(ack.Payload, &p))
		assert.Equal(t, "ephemeral", p["response_type"], "command %q", tc.text)
	}
	time.Sleep(100 * time.Millisecond)
	assert.Zero(t, e.linkup.Count(), "bad input never reaches Linkup")
	assert.Empty(t, e.slack.Posts(), "bad input posts nothing in the channel")
}

func TestRawFrameVerbatim(t *testing.T) {
	e := startBot(t, nil)
	raw, err := os.ReadFile(filepath.Join("testdata", "frames", "a3-slash-command-real-issue1267.raw.json"))
	require.NoError(t, err)
	ack := e.send("276bcbd8-cdba-48f6-95f6-6680f75728b4", raw)
	assert.Contains(t, ackText(t, ack), "A LinkedIn profile URL is expected", `"reader" is not a profile`)
	assert.Zero(t, e.linkup.Count())
}

// openedView returns the nth views.open call's trigger and view.
func openedView(t *testing.T, e *env, n int) (string, map[string]any) {
	t.Helper()
	e.waitUntil("views.open", func() bool { return len(e.slack.Calls("views.open")) >= n })
	var req struct {
		TriggerID string         `json:"trigger_id"`
		View      map[string]any `json:"view"`
	}
	require.NoError(t, json.Unmarshal(e.slack.Calls("views.open")[n-1].JSON, &req))
	return req.TriggerID, req.View
}

// element returns the element of the input block blockID.
func element(view map[string]any, blockID string) map[string]any {
	for _, b := range view["blocks"].([]any) {
		if b := b.(map[string]any); b["block_id"] == blockID {
			return b["element"].(map[string]any)
		}
	}
	return nil
}

func blockIDs(view map[string]any) []string {
	var ids []string
	for _, b := range view["blocks"].([]any) {
		ids = append(ids, b.(map[string]any)["block_id"].(string))
	}
	return ids
}

func TestCommandWithoutMessageOpensModal(t *testing.T) {
	e := startBot(t, map[string]string{"LINKUP_COUNTRY": "de"})

	_, ack := e.command("")
	assert.Empty(t, ack.Payload)
	trigger, view := openedView(t, e, 1)
	assert.Contains(t, trigger, "trigger-")
	assert.Equal(t, "linkedin_send_modal", view["callback_id"])
	assert.Equal(t, []string{"recipient", "message", "upload", "country", "media_link"}, blockIDs(view))
	upload := element(view, "upload")
	assert.Equal(t, "file_input", upload["type"])
	assert.Equal(t, []any{"png", "jpg", "jpeg", "mp4", "pdf"}, upload["filetypes"])
	assertMeta(t, `{"c":"`+salesChannel+`"}`, e.slack.ResponseURL("cmd-1"), alice, view["private_metadata"].(string))
	country := element(view, "country")
	assert.Equal(t, "DE", country["initial_option"].(map[string]any)["value"], "the configured country is preselected")
	assert.Len(t, country["options"], 11)

	e.command("linkedin.com/in/jane-doe")
	_, view = openedView(t, e, 2)
	recipient := element(view, "recipient")
	assert.Equal(t, "https://www.linkedin.com/in/jane-doe", recipient["initial_value"], "a lone URL is prefilled")
	assert.Zero(t, e.linkup.Count())
}

func TestExpiredTriggerIsReported(t *testing.T) {
	e := startBot(t, nil)
	id, f := e.frame("a1-slash-command-docs.json", func(p map[string]any) {
		p["text"] = ""
		p["trigger_id"] = "expired-1"
		p["response_url"] = e.slack.ResponseURL("expired")
	})
	e.send(id, f)
	e.waitUntil("a response_url post", func() bool { return len(e.slack.Hooks()) == 1 })
	assert.Contains(t, e.slack.Hooks()[0].Body["text"], "took too long to open the form")
}

// submission builds a view_submission frame from the docs' one, with the given values.
func (e *env) submission(viewID, metadata string, values map[string]string) (string, []byte) {
	return e.frame("d1-view-submission-docs.json", func(p map[string]any) {
		view := p["view"].(map[string]any)
		view["id"] = viewID
		view["callback_id"] = "linkedin_send_modal"
		view["private_metadata"] = metadata
		state := map[string]any{}
		for block, v := range values {
			if block == "country" {
				state[block] = map[string]any{block: map[string]any{"type": "static_select", "selected_option": map[string]any{"value": v}}}
				continue
			}
			state[block] = map[string]any{block: map[string]any{"type": "plain_text_input", "value": v}}
		}
		view["state"] = map[string]any{"values": state}
		p["user"] = map[string]any{"id": alice, "username": "alice"}
	})
}

func TestModalSubmission(t *testing.T) {
	t.Run("invalid fields come back inline and nothing is sent", func(t *testing.T) {
		e := startBot(t, nil)
		id, f := e.submission("V1", `{"c":"`+salesChannel+`"}`, map[string]string{
			"recipient": "https://www.linkedin.com/school/mit", "message": "  ", "country": "XX", "media_link": "ftp://x/y.exe",
		})
		ack := e.send(id, f)
		var p struct {
			Action string            `json:"response_action"`
			Errors map[string]string `json:"errors"`
		}
		require.NoError(t, json.Unmarshal(ack.Payload, &p))
		assert.Equal(t, "errors", p.Action)
		assert.Contains(t, p.Errors["recipient"], "company and school pages")
		assert.Contains(t, p.Errors["message"], "Write the message")
		assert.Contains(t, p.Errors["country"], "Choose one of US, UK, FR")
		assert.Contains(t, p.Errors["media_link"], "not a web address")
		time.Sleep(100 * time.Millisecond)
		assert.Zero(t, e.linkup.Count())
	})

	t.Run("a valid submission closes the modal and sends with media", func(t *testing.T) {
		e := startBot(t, nil)
		id, f := e.submission("V2", `{"c":"`+salesChannel+`","r":"`+sealer().Seal(e.slack.ResponseURL("m"), alice)+`"}`, map[string]string{
			"recipient": "https://fr.linkedin.com/in/jean-dupont#top", "message": "Bonjour Jean\nÀ bientôt", "country": "UK", "media_link": "https://example.com/deck.PDF",
		})
		ack := e.send(id, f)
		assert.Empty(t, ack.Payload, "an empty ack closes the modal")
		notice := e.finished(1)
		reqs := e.linkup.Requests()
		require.Len(t, reqs, 1)
		assert.Equal(t, fakelinkup.Body{
			LinkedInURL: "https://www.linkedin.com/in/jean-dupont", MessageText: "Bonjour Jean\nÀ bientôt",
			Country: "UK", MediaLink: "https://example.com/deck.PDF", LoginToken: loginToken,
		}, reqs[0].Body)
		root, replies := e.thread(salesChannel)
		assert.Contains(t, root.Text, "with an attachment")
		require.Len(t, replies, 1)
		assert.Contains(t, replies[0].Text, "2 credits spent")
		assert.Contains(t, notice.Text, "sent, 2 credits")
	})
}

func TestGlobalShortcutAnswersInDM(t *testing.T) {
	e := startBot(t, nil)
	id, f := e.frame("c2-global-shortcut-docs.json", func(p map[string]any) {
		p["callback_id"] = "linkedin_send"
		p["user"] = map[string]any{"id": alice, "username": "alice"}
	})
	assert.Empty(t, e.send(id, f).Payload)
	trigger, view := openedView(t, e, 1)
	assert.Equal(t, "944799105734.773906753841.38b5894552bdd4a780554ee59d1f3638", trigger)
	assert.Equal(t, "{}", view["private_metadata"])

	id, f = e.submission("V3", view["private_metadata"].(string), map[string]string{
		"recipient": "https://www.linkedin.com/in/jane-doe", "message": "Hi from a shortcut",
	})
	e.send(id, f)
	e.finished(1)
	assert.Equal(t, 1, e.linkup.Count())
	dm := "D" + alice[1:]
	root, replies := e.thread(dm)
	assert.Contains(t, root.Text, "Hi from a shortcut")
	require.Len(t, replies, 1)
	assert.Contains(t, replies[0].Text, "Sent on LinkedIn")
}

func TestOtherEnvelopesAreAckedAndIgnored(t *testing.T) {
	e := startBot(t, nil)
	for _, name := range []string{"events-api-app-mention-slack-go-test.json", "e1-block-actions-docs-message.json", "e2-block-actions-docs-home.json", "c1-global-shortcut-real-python-sdk.raw.json", "d2-view-submission-bolt-python.json"} {
		id, f := e.frame(name, nil)
		e.send(id, f)
	}
	time.Sleep(100 * time.Millisecond)
	assert.Zero(t, e.linkup.Count())
	assert.Empty(t, e.slack.Calls("views.open"))
	assert.Empty(t, e.slack.Posts())
}

func TestMalformedFramesAreAckedAndTheUserTold(t *testing.T) {
	e := startBot(t, nil)
	hook := e.slack.ResponseURL("bad")
	bad := `{"envelope_id":"bad-1","type":"slash_commands","accepts_response_payload":true,"payload":{"text":42,"command":"/linkedin-send","response_url":"` + hook + `"}}`
	e.send("bad-1", []byte(bad))
	e.waitUntil("the user is told", func() bool { return len(e.slack.Hooks()) == 1 })
	assert.Contains(t, e.slack.Hooks()[0].Body["text"], "could not read this request")

	e.send("bad-2", []byte(`{"envelope_id":"bad-2","type":"some_future_type","payload":{}}`))
	e.send("bad-3", []byte(`{"envelope_id":"bad-3","type":"interactive","payload":"not an object"}`))
	// Garbage that is not JSON at all is skipped without killing the connection.
	require.NoError(t, e.slack.SendFrame([]byte(`{{{ not json`)))
	_, ack := e.command("help")
	assert.Contains(t, ackText(t, ack), "Usage")
	assert.Zero(t, e.linkup.Count())
	assert.Equal(t, 1, e.slack.Opens(), "still on the first connection")
}

func TestReconnects(t *testing.T) {
	for _, reason := range []string{"refresh_requested", "warning"} {
		t.Run("after a disconnect frame: "+reason, func(t *testing.T) {
			e := startBot(t, nil)
			require.NoError(t, e.slack.Disconnect(reason))
			e.waitUntil("a second connection", func() bool { return e.slack.Opens() == 2 })
			ctx, cancel := context.WithTimeout(context.Background(), waitFor)
			defer cancel()
			_, err := e.slack.WaitConnected(ctx)
			require.NoError(t, err)
			e.command("https://www.linkedin.com/in/jane-doe After the refresh")
			e.finished(1)
			assert.Equal(t, 1, e.linkup.Count())
			assert.NotContains(t, e.logs.String(), "unreadable frame", "a closed socket is not a bad frame")
			assert.NotContains(t, e.logs.String(), "use of closed network connection")
		})
	}
	t.Run("after a dropped socket", func(t *testing.T) {
		e := startBot(t, nil)
		e.slack.DropConnection()
		e.waitUntil("a second connection", func() bool { return e.slack.Opens() == 2 })
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		_, err := e.slack.WaitConnected(ctx)
		require.NoError(t, err)
		e.command("https://www.linkedin.com/in/jane-doe After the drop")
		e.finished(1)
		assert.Equal(t, 1, e.linkup.Count())
	})
}

func TestShutdown(t *testing.T) {
	t.Run("a send in flight finishes and is answered", func(t *testing.T) {
		e := startBot(t, nil)
		release := make(chan struct{})
		e.linkup.SetAnswer(func(w http.ResponseWriter, r *http.Request, req fakelinkup.Request) {
			<-release
			fakelinkup.Success(w, r, req)
		})
		e.command("https://www.linkedin.com/in/jane-doe In flight")
		<-e.linkup.Arrived()

		stopped := make(chan error, 1)
		go func() { stopped <- e.stop() }()
		time.Sleep(200 * time.Millisecond)
		select {
		case <-stopped:
			t.Fatal("run returned while a send was in flight")
		default:
		}
		close(release)
		require.NoError(t, <-stopped)
		_, replies := e.thread(salesChannel)
		require.Len(t, replies, 1)
		assert.Contains(t, replies[0].Text, "Sent on LinkedIn")
		assert.Len(t, e.postsIn(notifyChannel), 1)
		assert.Equal(t, 1, e.linkup.Count())
	})

	t.Run("past the shutdown timeout the requester is told the outcome is unknown", func(t *testing.T) {
		e := startBot(t, map[string]string{"SHUTDOWN_TIMEOUT": "300ms"})
		e.linkup.SetAnswer(func(_ http.ResponseWriter, r *http.Request, _ fakelinkup.Request) { <-r.Context().Done() })
		e.command("https://www.linkedin.com/in/jane-doe Stuck")
		<-e.linkup.Arrived()
		require.NoError(t, e.stop())
		_, replies := e.thread(salesChannel)
		require.Len(t, replies, 1)
		assert.Contains(t, replies[0].Text, "may or may not have been sent")
		assert.Equal(t, 1, e.linkup.Count())
	})
}

func TestConfigurationErrorsNameTheVariable(t *testing.T) {
	base := map[string]string{
		"SLACK_APP_TOKEN": appToken, "SLACK_BOT_TOKEN": botToken,
		"LINKUP_API_KEY": apiKey, "LINKUP_LOGIN_TOKEN": loginToken, "DATA_DIR": t.TempDir(),
	}
	cases := []struct{ key, value, want string }{
		{"SLACK_APP_TOKEN", "", "SLACK_APP_TOKEN: is required"},
		{"SLACK_BOT_TOKEN", "xoxp-user", `SLACK_BOT_TOKEN: must start with "xoxb-": paste the Bot User OAuth Token`},
		{"SLACK_APP_TOKEN", "xapp-", `SLACK_APP_TOKEN: is still the placeholder from .env.example: paste the app-level token`},
		{"LINKUP_API_KEY", "", "LINKUP_API_KEY: is required"},
		{"LINKUP_COUNTRY", "XX", "LINKUP_COUNTRY: is not a country Linkup knows: use one of US, UK"},
		{"LINKUP_TIMEOUT", "soon", "LINKUP_TIMEOUT: must be a positive duration"},
		{"SLACK_API_URL", "slack.com", "SLACK_API_URL: must be an http(s) URL"},
		{"SLACK_API_URL", "http://slack.com/api/", "SLACK_API_URL: must use https: plain http would send the bot's tokens and keys unencrypted"},
		{"LINKUP_BASE_URL", "http://api.linkupapi.com", "LINKUP_BASE_URL: must use https"},
		{"NOTIFY_CHANNEL", "#sales", "NOTIFY_CHANNEL: must be a channel ID"},
		{"SEND_CONCURRENCY", "0", "SEND_CONCURRENCY: must be a positive whole number"},
		{"LOG_FORMAT", "xml", "LOG_FORMAT: must be one of json, console"},
		{"ALLOWED_USERS", "U0ALICE01,alice", `ALLOWED_USERS: item 2 is not a Slack user ID`},
		{"DAILY_SEND_LIMIT", "-1", "DAILY_SEND_LIMIT: must be a whole number"},
	}
	for _, tc := range cases {
		vars := map[string]string{}
		for k, v := range base {
			vars[k] = v
		}
		vars[tc.key] = tc.value
		err := run(context.Background(), []string{"linkedin-bot"}, func(k string) string { return vars[k] }, &strings.Builder{}, &strings.Builder{})
		require.Error(t, err, tc.key)
		assert.Contains(t, err.Error(), tc.want)
		assert.NotContains(t, err.Error(), "secret")
	}
}

func TestDoctor(t *testing.T) {
	sl := fakeslack.New(fakeslack.Options{AppToken: appToken, BotToken: botToken})
	defer sl.Close()
	lk := fakelinkup.New()
	defer lk.Close()
	vars := map[string]string{
		"SLACK_APP_TOKEN": appToken, "SLACK_BOT_TOKEN": botToken, "SLACK_API_URL": sl.APIURL(),
		"LINKUP_API_KEY": apiKey, "LINKUP_LOGIN_TOKEN": loginToken, "LINKUP_BASE_URL": lk.URL(),
		"DATA_DIR": t.TempDir(),
	}
	var out strings.Builder
	require.NoError(t, run(context.Background(), []string{"linkedin-bot", "doctor"}, func(k string) string { return vars[k] }, &out, &strings.Builder{}))
	assert.Contains(t, out.String(), `PASS Slack bot token (auth.test): workspace "Fake Team", bot user @linkedin-bot`)
	assert.Contains(t, out.String(), "PASS Slack Socket Mode connection: connected and received hello")
	assert.Contains(t, out.String(), "PASS LinkedIn accounts: default account default; no send log yet, so no other accounts; self-service off")
	assert.Contains(t, out.String(), "PASS Linkup: API v1 at "+lk.URL()+": answered HTTP 404, without refusing the key")
	assert.Contains(t, out.String(), "info reply bridge: polls each account's inbox every 5m, slowing to 30m when quiet; watches a conversation 30 days after its last activity; at most 200 read credits a day")
	assert.Zero(t, lk.Count(), "the doctor sends nothing")
	assert.Empty(t, lk.Reads(""), "nor reads")

	assert.Contains(t, out.String(), "PASS Slack bot token scopes: all 12 scopes of the manifest")
	assert.NotContains(t, out.String(), "WARN account safety", "the defaults are safe")
	assert.Contains(t, out.String(), "PASS DATA_DIR "+vars["DATA_DIR"]+": writable, no send log yet")

	vars["SLACK_APP_TOKEN"] = "xapp-wrong"
	out.Reset()
	err := run(context.Background(), []string{"linkedin-bot", "doctor"}, func(k string) string { return vars[k] }, &out, &strings.Builder{})
	require.Error(t, err)
	assert.Contains(t, out.String(), "FAIL Slack Socket Mode connection: apps.connections.open: invalid_auth")
	assert.Contains(t, out.String(), "fix: paste the app-level token (xapp-…)")
	vars["SLACK_APP_TOKEN"] = appToken

	t.Run("missing optional scopes are listed with what they break, and the bot runs without them", func(t *testing.T) {
		sl.SetScopes("commands,chat:write,files:read")
		defer sl.SetScopes(fakeslack.DefaultScopes)
		var out strings.Builder
		require.NoError(t, run(context.Background(), []string{"linkedin-bot", "doctor"}, func(k string) string { return vars[k] }, &out, &strings.Builder{}))
		assert.Contains(t, out.String(), "PASS Slack bot token scopes: the required ones; the bot runs without what these optional ones give: chat:write.public (posting in public channels the bot was not invited to); users:read (people's names in prefilled messages)")
		assert.Contains(t, out.String(), "im:history (the same in DMs)")
	})
	t.Run("a missing required scope fails", func(t *testing.T) {
		sl.SetScopes("commands,files:read")
		defer sl.SetScopes(fakeslack.DefaultScopes)
		var out strings.Builder
		require.Error(t, run(context.Background(), []string{"linkedin-bot", "doctor"}, func(k string) string { return vars[k] }, &out, &strings.Builder{}))
		assert.Contains(t, out.String(), "FAIL Slack bot token scopes: missing chat:write (every post: announcements, outcomes, notifications, mirrored replies); chat:write.public")
		assert.Contains(t, out.String(), "fix: add the missing scopes under OAuth & Permissions")
	})
	t.Run("a refused bot token is not a matter of scopes", func(t *testing.T) {
		v := maps.Clone(vars)
		v["SLACK_BOT_TOKEN"] = "xoxb-1-not-the-right-one"
		var out strings.Builder
		require.Error(t, run(context.Background(), []string{"linkedin-bot", "doctor"}, func(k string) string { return v[k] }, &out, &strings.Builder{}))
		assert.Contains(t, out.String(), "FAIL Slack bot token scopes: auth.test: invalid_auth\n     fix: Slack refused the bot token, so its scopes could not be read: fix SLACK_BOT_TOKEN first")
		assert.NotContains(t, out.String(), "add the missing scopes")
	})
	t.Run("an unreachable database is not a matter of ACCOUNTS_KEY", func(t *testing.T) {
		v := maps.Clone(vars)
		v["DATABASE_URL"] = "postgres://linkedin@127.0.0.1:1/linkedin"
		var out strings.Builder
		require.Error(t, run(context.Background(), []string{"linkedin-bot", "doctor"}, func(k string) string { return v[k] }, &out, &strings.Builder{}))
		assert.Contains(t, out.String(), "FAIL LinkedIn accounts: the send log could not be read: ")
		assert.Contains(t, out.String(), "fix: the accounts live in the send log: fix the DATABASE_URL (database linkedin on 127.0.0.1:1) check above first")
		assert.NotContains(t, out.String(), "set ACCOUNTS_KEY")
	})
	t.Run("Linkup refusing the key, or failing", func(t *testing.T) {
		for code, want := range map[int]string{401: "FAIL Linkup: Linkup refused LINKUP_API_KEY (HTTP 401)\n     fix: check LINKUP_API_KEY", 403: "Linkup refused LINKUP_API_KEY (HTTP 403)", 503: "FAIL Linkup: Linkup answered HTTP 503\n     fix: Linkup is failing"} {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }))
			v := maps.Clone(vars)
			v["LINKUP_BASE_URL"] = srv.URL + "/v1" // the /v1 is normalised away
			var out strings.Builder
			require.Error(t, run(context.Background(), []string{"linkedin-bot", "doctor"}, func(k string) string { return v[k] }, &out, &strings.Builder{}))
			assert.Contains(t, out.String(), want)
			srv.Close()
		}
	})
	t.Run("an unreachable server is not a bad token", func(t *testing.T) {
		v := maps.Clone(vars)
		v["SLACK_API_URL"] = "http://127.0.0.1:1/api/"
		var out strings.Builder
		require.Error(t, run(context.Background(), []string{"linkedin-bot", "doctor"}, func(k string) string { return v[k] }, &out, &strings.Builder{}))
		assert.Contains(t, out.String(), "fix: this machine cannot reach it: check the network, DNS and proxy, and SLACK_API_URL if it is set")
		assert.NotContains(t, out.String(), "paste the Bot User OAuth Token")
	})
	t.Run("a DATA_DIR a bot runs on is reported with its PID, not as a failure", func(t *testing.T) {
		unlock, err := store.Lock(vars["DATA_DIR"])
		require.NoError(t, err)
		defer unlock()
		var out strings.Builder
		require.NoError(t, run(context.Background(), []string{"linkedin-bot", "doctor"}, func(k string) string { return vars[k] }, &out, &strings.Builder{}), "a running bot is not a failure")
		assert.Contains(t, out.String(), fmt.Sprintf("PASS DATA_DIR %s: writable, a bot is running on it (PID %d)\n", vars["DATA_DIR"], os.Getpid()))
	})
	t.Run("doctor --help contacts nobody", func(t *testing.T) {
		calls := len(sl.Calls(""))
		for _, arg := range []string{"-h", "--help"} {
			var out strings.Builder
			require.NoError(t, run(context.Background(), []string{"linkedin-bot", "doctor", arg}, func(string) string { return "" }, &out, &strings.Builder{}))
			assert.Contains(t, out.String(), "usage: linkedin-bot doctor")
		}
		assert.Len(t, sl.Calls(""), calls)
	})
}

func TestInvalidAppTokenStopsTheBot(t *testing.T) {
	sl := fakeslack.New(fakeslack.Options{AppToken: appToken, BotToken: botToken})
	defer sl.Close()
	vars := map[string]string{
		"SLACK_APP_TOKEN": "xapp-revoked", "SLACK_BOT_TOKEN": botToken, "SLACK_API_URL": sl.APIURL(),
		"LINKUP_API_KEY": apiKey, "LINKUP_LOGIN_TOKEN": loginToken, "DATA_DIR": t.TempDir(),
	}
	var logs lockedBuffer
	err := run(context.Background(), []string{"linkedin-bot"}, func(k string) string { return vars[k] }, &strings.Builder{}, &logs)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SLACK_APP_TOKEN: Slack refused it (invalid_auth)")

	// Refusals slack-go would retry for ever stop the bot too.
	vars["SLACK_APP_TOKEN"] = appToken
	for _, reason := range []string{"not_allowed_token_type", "missing_scope"} {
		sl.RefuseAppToken(reason)
		done := make(chan error, 1)
		go func() {
			done <- run(context.Background(), []string{"linkedin-bot"}, func(k string) string { return vars[k] }, &strings.Builder{}, &logs)
		}()
		select {
		case err := <-done:
			require.Error(t, err)
			assert.Contains(t, err.Error(), "configuration: SLACK_APP_TOKEN: Slack refused it ("+reason+"): paste the app-level token")
		case <-time.After(waitFor):
			t.Fatalf("the bot kept retrying after %s", reason)
		}
	}
}

func TestMessageShortcutOpensPrefilledModal(t *testing.T) {
	e := startBot(t, map[string]string{"MAX_MESSAGE_LENGTH": "40"})
	id, f := e.frame("b1-message-action-docs.json", func(p map[string]any) {
		p["callback_id"] = "linkedin_send_message"
		p["response_url"] = e.slack.ResponseURL("shortcut")
		p["message"].(map[string]any)["text"] = "Tom &amp; Jerry: " + strings.Repeat("x", 100)
	})
	assert.Empty(t, e.send(id, f).Payload)
	_, view := openedView(t, e, 1)
	msg := element(view, "message")
	assert.Equal(t, "Tom & Jerry: "+strings.Repeat("x", 27), msg["initial_value"], "unescaped and cut to the limit")
	assert.EqualValues(t, 40, msg["max_length"])
	assertMeta(t, `{"c":"D0LFFBKLZ","t":"1516229207.000133"}`, e.slack.ResponseURL("shortcut"), "U0D15K92L", view["private_metadata"].(string))
}

func TestRefusedBotTokenStopsTheBot(t *testing.T) {
	sl := fakeslack.New(fakeslack.Options{AppToken: appToken, BotToken: botToken})
	defer sl.Close()
	vars := map[string]string{
		"SLACK_APP_TOKEN": appToken, "SLACK_BOT_TOKEN": "xoxb-revoked", "SLACK_API_URL": sl.APIURL(),
		"LINKUP_API_KEY": apiKey, "LINKUP_LOGIN_TOKEN": loginToken, "DATA_DIR": t.TempDir(),
	}
	err := run(context.Background(), []string{"linkedin-bot"}, func(k string) string { return vars[k] }, &strings.Builder{}, &lockedBuffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SLACK_BOT_TOKEN: Slack refused it (invalid_auth)")
	assert.Zero(t, sl.Opens(), "no Socket Mode connection, so no request is taken")
}

func TestDryRunRunsEverythingButLinkup(t *testing.T) {
	t.Parallel()
	e := startBot(t, map[string]string{"LINKUP_DRY_RUN": "true", "DAILY_SEND_LIMIT": "1", "READ_CREDITS_PER_DAY": "200", "INBOX_CHANNEL": "C0INBOX01"})
	assert.Contains(t, e.logs.String(), "DRY RUN (LINKUP_DRY_RUN)")
	assert.Contains(t, e.logs.String(), "reply bridge: off: dry run (LINKUP_DRY_RUN), nothing is read")
	for i := range 3 { // over the daily cap of 1: dry runs count toward none
		_, ack := e.command("https://www.linkedin.com/in/jane-doe Trying the bot " + strconv.Itoa(i))
		assert.Empty(t, ack.Payload)
	}
	notice := e.finished(3)
	assert.Zero(t, e.linkup.Count(), "Linkup is never called")
	assert.Empty(t, e.linkup.Reads(""), "nor read")
	assert.Contains(t, notice.Text, "dry run: not sent (0 credits)")
	root, replies := e.thread(salesChannel)
	assert.Contains(t, root.Text, "is trying (dry run, nothing goes to LinkedIn)")
	require.NotEmpty(t, replies)
	assert.Contains(t, replies[0].Text, ":test_tube: Dry run: not sent (0 credits).")
	updates := e.slack.Calls("chat.update")
	require.NotEmpty(t, updates)
	assert.Contains(t, updates[0].Params["text"], ":test_tube: Dry run: not sent (0 credits)")

	require.NoError(t, e.stop())
	out, err := hist(t, e.vars["DATA_DIR"])
	require.NoError(t, err)
	assert.Contains(t, out, "dry_run")
	assert.Contains(t, out, "3 sends. Send credits per day: "+time.Now().UTC().Format(time.DateOnly)+" 0.")

	// Back to real sends the same day: the dry runs did not use the cap.
	e.vars["LINKUP_DRY_RUN"] = "false"
	e.start()
	e.command("https://www.linkedin.com/in/jane-doe For real")
	e.finished(4)
	assert.Equal(t, 1, e.linkup.Count())
}
