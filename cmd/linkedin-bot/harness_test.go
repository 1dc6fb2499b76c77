package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/internal/fakeslack"
)

// Secrets the bot is configured with in every test; none may appear in a
// log line or anything posted to Slack.
const (
	appToken   = "xapp-1-A0FAKE-1-secretapptoken"
	botToken   = "xoxb-1-secretbottoken"
	apiKey     = "lk_secret_api_key_123"
	loginToken = "AQEDAsecretLoginToken"
)

const (
	salesChannel  = "C0SALES01"
	notifyChannel = "C0NOTIFY1"
	alice         = "U0ALICE01"
	waitFor       = 10 * time.Second
)

// lockedBuffer collects log lines written from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// env is one bot, run by run() as in production, against a fake Slack and a
// fake Linkup; it can be stopped and started again on the same send log.
type env struct {
	t       *testing.T
	slack   *fakeslack.Server
	linkup  *fakelinkup.Server
	logs    *lockedBuffer
	vars    map[string]string
	cancel  context.CancelFunc
	done    chan error
	running bool
	seq     atomic.Int64
	secrets []string    // more secrets a test handled (passwords, codes, tokens)
	opts    []runOption // given to run (withEnviron)
}

// startBot runs the bot with the test configuration, overridden by extra,
// and waits for its Socket Mode connection.
func startBot(t *testing.T, extra map[string]string) *env {
	t.Helper()
	return startBotWith(t, fakelinkup.New(), extra)
}

// startBotWith is startBot with a fake Linkup the test prepared.
func startBotWith(t *testing.T, lk *fakelinkup.Server, extra map[string]string) *env {
	t.Helper()
	return startBotOn(t, 1, lk, extra)
}

// startBotOn is startBotWith on a fake Slack that holds that many Socket
// Mode connections at once (for several bots), with run's options.
func startBotOn(t *testing.T, sockets int, lk *fakelinkup.Server, extra map[string]string, opts ...runOption) *env {
	t.Helper()
	e := &env{
		t:      t,
		slack:  fakeslack.New(fakeslack.Options{AppToken: appToken, BotToken: botToken, PingInterval: 200 * time.Millisecond, Sockets: sockets}),
		linkup: lk,
		logs:   &lockedBuffer{},
		opts:   opts,
	}
	e.vars = map[string]string{
		"SLACK_APP_TOKEN":    appToken,
		"SLACK_BOT_TOKEN":    botToken,
		"SLACK_API_URL":      e.slack.APIURL(),
		"LINKUP_API_KEY":     apiKey,
		"LINKUP_LOGIN_TOKEN": loginToken,
		"LINKUP_BASE_URL":    e.linkup.URL(),
		"LINKUP_TIMEOUT":     "5s",
		"NOTIFY_CHANNEL":     notifyChannel,
		"SHUTDOWN_TIMEOUT":   "5s",
		"LOG_LEVEL":          "debug",
		"DATA_DIR":           t.TempDir(),
	}
	for k, v := range extra {
		e.vars[k] = v
	}
	t.Cleanup(func() {
		if e.running {
			_ = e.stop()
		}
		e.assertNoSecrets()
		e.assertFitsSlack()
		e.slack.Close()
		e.linkup.Close()
		if t.Failed() {
			t.Logf("bot logs:\n%s", e.logs.String())
		}
	})
	e.start()
	return e
}

// start runs the bot and waits for a new Socket Mode connection.
func (e *env) start() {
	e.t.Helper()
	opens := e.slack.Opens()
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel, e.done, e.running = cancel, make(chan error, 1), true
	vars := maps.Clone(e.vars)
	go func() {
		e.done <- run(ctx, []string{"linkedin-bot"}, func(k string) string { return vars[k] }, &bytes.Buffer{}, e.logs, e.opts...)
	}()
	e.waitUntil("a new Socket Mode connection", func() bool { return e.slack.Opens() > opens })
	wctx, cancelWait := context.WithTimeout(context.Background(), waitFor)
	defer cancelWait()
	if _, err := e.slack.WaitConnected(wctx); err != nil {
		e.t.Fatal(err)
	}
}

// stop cancels the bot's context, as SIGTERM does, and waits for run to return.
func (e *env) stop() error {
	e.t.Helper()
	e.cancel()
	e.running = false
	select {
	case err := <-e.done:
		return err
	case <-time.After(waitFor):
		e.t.Fatal("run did not return after cancel")
		return nil
	}
}

// assertNoSecrets checks logs and all the bot wrote to Slack for the secrets.
func (e *env) assertNoSecrets() {
	e.t.Helper()
	var seen strings.Builder
	seen.WriteString(e.logs.String())
	for _, p := range e.slack.Posts() {
		seen.WriteString(p.Text)
	}
	for _, c := range e.slack.Calls("chat.update") {
		seen.WriteString(c.Params["text"])
	}
	for _, m := range []string{"views.open", "views.update", "views.publish"} {
		for _, c := range e.slack.Calls(m) {
			seen.Write(c.JSON)
		}
	}
	for _, h := range e.slack.Hooks() {
		b, _ := json.Marshal(h.Body)
		seen.Write(b)
	}
	all := seen.String()
	logs := e.logs.String()
	for _, u := range e.slack.IssuedResponseURLs() {
		if strings.Contains(logs, u) || strings.Contains(logs, u[strings.Index(u, "/response/"):]) {
			e.t.Errorf("a response_url (%q) appears in the logs", u)
		}
	}
	for _, s := range append([]string{appToken, botToken, apiKey, loginToken, accountsKey, aliceToken, teamToken}, e.secrets...) {
		if strings.Contains(all, s) {
			e.t.Errorf("a secret (%q) appears in logs or Slack output", s)
		}
	}
}

// assertFitsSlack checks that everything the bot sent Slack fitted Slack's
// limits (invariant I5): the fake refuses what does not, as Slack does,
// and records it.
func (e *env) assertFitsSlack() {
	e.t.Helper()
	for _, v := range e.slack.Violations() {
		e.t.Errorf("Slack refused a %s to %s (%s): %s", v.Method, v.Channel, v.Error, v.Detail)
	}
}

// frame loads a golden Socket Mode frame, gives it a fresh envelope_id and
// lets mutate edit its payload.
func (e *env) frame(name string, mutate func(p map[string]any)) (string, []byte) {
	e.t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "frames", name))
	if err != nil {
		e.t.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(raw, &f); err != nil {
		e.t.Fatal(err)
	}
	id := fmt.Sprintf("env-%s-%d", e.t.Name(), e.seq.Add(1))
	f["envelope_id"] = id
	if mutate != nil {
		mutate(f["payload"].(map[string]any))
	}
	out, err := json.Marshal(f)
	if err != nil {
		e.t.Fatal(err)
	}
	return id, out
}

// send writes a frame and waits for its ack.
func (e *env) send(id string, frame []byte) fakeslack.Ack {
	e.t.Helper()
	if err := e.slack.SendFrame(frame); err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	a, err := e.slack.WaitAck(ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// command sends /linkedin-send text from alice in the sales channel, from
// the docs' slash command frame, and returns the envelope ID and its ack.
func (e *env) command(text string) (string, fakeslack.Ack) {
	e.t.Helper()
	return e.commandAs(alice, text)
}

// commandAs is command from user.
func (e *env) commandAs(user, text string) (string, fakeslack.Ack) {
	e.t.Helper()
	id, f := e.frame("a1-slash-command-docs.json", func(p map[string]any) {
		p["command"] = "/linkedin-send"
		p["text"] = text
		p["channel_id"] = salesChannel
		p["user_id"] = user
		p["response_url"] = e.slack.ResponseURL("cmd-" + fmt.Sprint(e.seq.Load()))
		p["trigger_id"] = "trigger-" + fmt.Sprint(e.seq.Load())
	})
	return id, e.send(id, f)
}

// waitUntil polls cond.
func (e *env) waitUntil(what string, cond func() bool) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := fakeslack.WaitFor(ctx, what, cond); err != nil {
		e.t.Fatal(err)
	}
}

// postsIn returns the posts in channel (thread replies included).
func (e *env) postsIn(channel string) []fakeslack.Post {
	var out []fakeslack.Post
	for _, p := range e.slack.Posts() {
		if p.Channel == channel {
			out = append(out, p)
		}
	}
	return out
}

// finished waits for the team notification of the nth send and returns it.
func (e *env) finished(n int) fakeslack.Post {
	e.t.Helper()
	e.waitUntil(fmt.Sprintf("%d notifications", n), func() bool { return len(e.postsIn(notifyChannel)) >= n })
	return e.postsIn(notifyChannel)[n-1]
}

// thread returns the root post in channel and its replies.
func (e *env) thread(channel string) (fakeslack.Post, []fakeslack.Post) {
	e.t.Helper()
	var root fakeslack.Post
	var replies []fakeslack.Post
	for _, p := range e.postsIn(channel) {
		if p.ThreadTS == "" && root.TS == "" {
			root = p
		} else if p.ThreadTS != "" && p.ThreadTS == root.TS {
			replies = append(replies, p)
		}
	}
	if root.TS == "" {
		e.t.Fatalf("no root message in %s; posts: %+v", channel, e.slack.Posts())
	}
	return root, replies
}

// ackText returns the text of an ack's message payload.
func ackText(t *testing.T, a fakeslack.Ack) string {
	t.Helper()
	var p struct {
		Text string `json:"text"`
	}
	if len(a.Payload) == 0 {
		t.Fatal("ack has no payload")
	}
	if err := json.Unmarshal(a.Payload, &p); err != nil {
		t.Fatal(err)
	}
	return p.Text
}
