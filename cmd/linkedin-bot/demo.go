package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"linkedin-bot/bot"
	"linkedin-bot/conversation"
	"linkedin-bot/handlers"
	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/internal/fakeslack"
)

const demoUsage = `usage: linkedin-bot demo [-v]

Runs the bot, as it runs in production, against a fake Slack and a fake
LinkedIn (Linkup) started in this process on 127.0.0.1, with a data folder
of its own that is removed at the end. A scripted team then sends a
LinkedIn message with a file from a Slack message, the recipient replies on
LinkedIn, and a colleague answers from Slack; the Slack thread is printed as
a person would read it. Nothing is read from .env or the environment,
nothing leaves this machine, no credit is spent.

  -v    also print the bot's logs (on failure they are printed anyway)
`

// demoTimeout bounds the whole demo: it takes about 3 s.
const demoTimeout = 20 * time.Second

// The demo's fixed settings: the fakes accept these and nothing else.
// They are made up, and never leave the process.
const (
	demoAppToken   = "xapp-1-A0DEMO-1-demoapptoken"
	demoBotToken   = "xoxb-0-demobottoken"
	demoAPIKey     = "demo_linkup_api_key"
	demoLoginToken = "demo_linkedin_login_token"
)

// The demo's people and places.
const (
	demoChannel   = "C0DEMOSALES"
	demoAlice     = "U0DEMOALICE"
	demoBob       = "U0DEMOBOB01"
	demoFileID    = "F0DEMOPRICE"
	demoFileName  = "pricing.png"
	demoRecipient = "https://www.linkedin.com/in/jane-doe"
	demoPostText  = "Here is our pricing sheet; can someone send it to Jane Doe on LinkedIn?"
	demoMessage   = "Hi Jane, great to meet you at the meetup! Here is our pricing, as promised."
	demoJane      = "Thanks, that looks great. Could we talk on Tuesday?"
	demoAnswer    = "Tuesday 10am works for us. Talk then!"
)

var demoNames = map[string]string{demoAlice: "Alice", demoBob: "Bob", demoChannel: "sales"}

// demo runs the bot against in-process fakes as a scripted team uses it,
// and prints the thread that results. It reads no setting.
func demo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if wantsHelp(args) {
		fmt.Fprint(stdout, demoUsage)
		return nil
	}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, demoUsage) }
	verbose := fs.Bool("v", false, "print the bot's logs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("demo takes no arguments (got %q)", fs.Arg(0))
	}

	ctx, cancel := context.WithTimeout(ctx, demoTimeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "linkedin-bot-demo-")
	if err != nil {
		return fmt.Errorf("demo: a data folder: %w", err)
	}
	defer os.RemoveAll(dir)

	sl := fakeslack.New(fakeslack.Options{AppToken: demoAppToken, BotToken: demoBotToken})
	defer sl.Close()
	lk := fakelinkup.New()
	defer lk.Close()
	for id, name := range demoNames {
		if strings.HasPrefix(id, "U") {
			sl.AddUser(id, name)
		} else {
			sl.AddChannel(id, name)
		}
	}
	vars := map[string]string{
		"SLACK_APP_TOKEN":     demoAppToken,
		"SLACK_BOT_TOKEN":     demoBotToken,
		"SLACK_API_URL":       sl.APIURL(),
		"LINKUP_API_KEY":      demoAPIKey,
		"LINKUP_LOGIN_TOKEN":  demoLoginToken,
		"LINKUP_BASE_URL":     lk.URL(),
		"LINKUP_TIMEOUT":      "5s",
		"DATA_DIR":            dir,
		"REPLY_POLL_INTERVAL": "1s",
		"REPLY_POLL_MAX":      "1s",
		"SHUTDOWN_TIMEOUT":    "5s",
		"LOG_LEVEL":           "debug",
		"LOG_FORMAT":          "console",
	}
	cfg, err := bot.LoadConfig(func(k string) string { return vars[k] })
	if err != nil {
		return fmt.Errorf("demo: its settings: %w", err)
	}

	logs := &syncBuffer{}
	botCtx, stopBot := context.WithCancel(ctx)
	stopped := make(chan struct{})
	var botErr error
	go func() {
		defer close(stopped)
		botErr = runBot(botCtx, cfg, "demo: fixed settings (no .env, no environment), against a fake Slack and a fake Linkup on 127.0.0.1", logs)
	}()

	d := &demoRun{ctx: ctx, slack: sl, linkup: lk, out: stdout, stopped: stopped}
	scriptErr := d.script()
	stopBot()
	select {
	case <-stopped:
		if botErr != nil {
			scriptErr = errors.Join(scriptErr, fmt.Errorf("the bot stopped with an error: %w", botErr))
		}
	case <-time.After(cfg.ShutdownTimeout + 5*time.Second):
		scriptErr = errors.Join(scriptErr, errors.New("the bot did not stop"))
	}
	if scriptErr == nil {
		for _, v := range sl.Violations() {
			scriptErr = fmt.Errorf("fake Slack refused a %s (%s): %s", v.Method, v.Error, v.Detail)
		}
	}
	if scriptErr != nil || *verbose {
		fmt.Fprintf(stderr, "--- the bot's logs ---\n%s--- end of the bot's logs ---\n", logs.String())
	}
	if scriptErr != nil {
		return fmt.Errorf("demo: %w (the bot's logs are above)", scriptErr)
	}
	d.print()
	return nil
}

// demoRun is one run of the demo's script.
type demoRun struct {
	ctx    context.Context
	slack  *fakeslack.Server
	linkup *fakelinkup.Server
	out    io.Writer
	// stopped is closed when the bot's run returns: early only on an error.
	stopped <-chan struct{}
	seq     int
	rootTS  string
	rootAt  time.Time
	file    []byte
}

// script plays the team and Jane, step by step, each step waiting for the
// bot's answer.
func (d *demoRun) script() error {
	fmt.Fprintln(d.out, "linkedin-bot demo: the real bot, against a fake Slack and a fake LinkedIn in this process (nothing leaves this machine).")
	if err := d.wait("the bot's Socket Mode connection", func() bool { return d.slack.Opens() > 0 }); err != nil {
		return err
	}
	if _, err := d.slack.WaitConnected(d.ctx); err != nil {
		return fmt.Errorf("waiting for the bot's Socket Mode connection: %w", err)
	}

	// 1. Alice runs the message shortcut on her message with a file.
	d.file = demoPNG()
	obj := map[string]any{"name": demoFileName, "title": demoFileName, "filetype": "png", "mimetype": "image/png",
		"pretty_type": "PNG", "size": len(d.file), "mode": "hosted", "file_access": "visible"}
	d.slack.AddFile(demoFileID, fakeslack.File{Object: obj, Size: int64(len(d.file)), Open: func() io.Reader { return bytes.NewReader(d.file) }})
	d.rootAt = time.Now()
	d.rootTS = fmt.Sprintf("%d.000100", d.rootAt.Unix())
	fmt.Fprintf(d.out, "· Alice posts %s in #sales and runs \"Send on LinkedIn\" on it: the form opens with the file\n", demoFileName)
	view, err := d.openView(demoAlice, map[string]any{
		"type": "message_action", "callback_id": handlers.MessageShortcutID, "trigger_id": d.trigger(),
		"channel": map[string]any{"id": demoChannel, "name": "sales"}, "message_ts": d.rootTS,
		"message": map[string]any{"type": "message", "user": demoAlice, "ts": d.rootTS, "text": demoPostText, "files": []any{obj}},
	})
	if err != nil {
		return err
	}
	if got := initialOf(view, "attachment"); got != demoFileID {
		return fmt.Errorf("the form did not offer the message's file (attachment %q)", got)
	}
	fmt.Fprintln(d.out, "· she writes her message and sends it, with the file, to Jane Doe's LinkedIn profile")
	if err := d.submit(demoAlice, view, map[string]any{
		"recipient":  map[string]any{"type": "plain_text_input", "value": demoRecipient},
		"message":    map[string]any{"type": "plain_text_input", "value": demoMessage},
		"attachment": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": demoFileID}},
	}); err != nil {
		return err
	}
	if err := d.outcome(1); err != nil {
		return err
	}
	if reqs := d.linkup.Requests(); len(reqs) != 1 || !sameFile(reqs[0].Body.MediaFile, d.file) {
		return errors.New("LinkedIn did not get the file as it is in Slack")
	}

	// 2. Jane replies on LinkedIn, once she got the message.
	if err := d.wait("LinkedIn to deliver the message", func() bool { return len(d.linkup.Messages(demoRecipient)) > 0 }); err != nil {
		return err
	}
	fmt.Fprintln(d.out, "· Jane Doe replies on LinkedIn; the bot, polling her conversation, mirrors the reply into the thread")
	d.linkup.Reply(demoRecipient, demoJane)
	var mirrored fakeslack.Post
	if err := d.wait("the reply in the thread", func() bool {
		for _, p := range d.thread() {
			if strings.Contains(p.Text, "replied on LinkedIn") {
				mirrored = p
				return true
			}
		}
		return false
	}); err != nil {
		return err
	}

	// 3. Bob answers with the Reply on LinkedIn button.
	value, err := buttonOf(mirrored, conversation.ReplyActionID)
	if err != nil {
		return err
	}
	fmt.Fprintln(d.out, "· Bob clicks Reply on LinkedIn under it and answers in the form")
	view, err = d.openView(demoBob, map[string]any{
		"type": "block_actions", "trigger_id": d.trigger(),
		"channel":   map[string]any{"id": demoChannel, "name": "sales"},
		"container": map[string]any{"type": "message", "message_ts": mirrored.TS, "channel_id": demoChannel},
		"message":   map[string]any{"type": "message", "ts": mirrored.TS, "thread_ts": d.rootTS, "text": mirrored.Text},
		"actions":   []any{map[string]any{"action_id": conversation.ReplyActionID, "block_id": "reply", "value": value, "type": "button", "action_ts": d.rootTS}},
	})
	if err != nil {
		return err
	}
	if title, _ := view["title"].(map[string]any); title["text"] != "Reply on LinkedIn" {
		return fmt.Errorf("the Reply button opened another form (%v)", view["title"])
	}
	if err := d.submit(demoBob, view, map[string]any{"message": map[string]any{"type": "plain_text_input", "value": demoAnswer}}); err != nil {
		return err
	}
	return d.outcome(2)
}

// outcome waits for the nth send's outcome in the thread, and fails
// unless it was sent.
func (d *demoRun) outcome(n int) error {
	var got []string
	err := d.wait(fmt.Sprintf("the outcome of send %d in the thread", n), func() bool {
		got = got[:0]
		for _, p := range d.thread() {
			if strings.Contains(p.Text, "Sent on LinkedIn") || strings.HasPrefix(p.Text, ":x: ") || strings.HasPrefix(p.Text, ":warning: ") {
				got = append(got, p.Text)
			}
		}
		return len(got) >= n
	})
	if err != nil {
		return err
	}
	if !strings.Contains(got[n-1], "Sent on LinkedIn") {
		return fmt.Errorf("send %d was not sent: %s", n, got[n-1])
	}
	return nil
}

// openView sends an interaction from user and returns the modal the bot
// asked Slack to open.
func (d *demoRun) openView(user string, payload map[string]any) (map[string]any, error) {
	opened := len(d.slack.Calls("views.open"))
	payload["user"] = map[string]any{"id": user, "username": strings.ToLower(demoNames[user]), "name": strings.ToLower(demoNames[user])}
	payload["team"] = map[string]any{"id": "T0FAKE", "domain": "demo"}
	payload["response_url"] = d.slack.ResponseURL(fmt.Sprintf("demo-%d", d.seq))
	if _, err := d.send(payload); err != nil {
		return nil, err
	}
	if err := d.wait("the form", func() bool { return len(d.slack.Calls("views.open")) > opened }); err != nil {
		return nil, err
	}
	var req struct {
		View map[string]any `json:"view"`
	}
	if err := json.Unmarshal(d.slack.Calls("views.open")[opened].JSON, &req); err != nil || req.View == nil {
		return nil, fmt.Errorf("the form the bot opened could not be read: %v", err)
	}
	return req.View, nil
}

// submit submits the form view as user, with values by block ID.
func (d *demoRun) submit(user string, view map[string]any, values map[string]any) error {
	state := map[string]any{}
	for block, v := range values {
		state[block] = map[string]any{block: v}
	}
	ack, err := d.send(map[string]any{
		"type": "view_submission",
		"team": map[string]any{"id": "T0FAKE", "domain": "demo"},
		"user": map[string]any{"id": user, "username": strings.ToLower(demoNames[user])},
		"view": map[string]any{"id": fmt.Sprintf("V0DEMO%d", d.seq), "type": "modal", "callback_id": view["callback_id"],
			"private_metadata": view["private_metadata"], "state": map[string]any{"values": state}},
	})
	if err != nil {
		return err
	}
	if len(ack.Payload) > 0 {
		return fmt.Errorf("the form was refused: %s", ack.Payload)
	}
	return nil
}

// send delivers an interactive envelope and waits for the bot's ack.
func (d *demoRun) send(payload map[string]any) (fakeslack.Ack, error) {
	d.seq++
	id := fmt.Sprintf("demo-envelope-%d", d.seq)
	if err := d.slack.SendEnvelope(id, "interactive", payload); err != nil {
		return fakeslack.Ack{}, err
	}
	return d.slack.WaitAck(d.ctx, id)
}

func (d *demoRun) trigger() string { return fmt.Sprintf("demo-trigger-%d", d.seq+1) }

// wait waits for cond, or for the bot to stop, or for the demo's time to run out.
func (d *demoRun) wait(what string, cond func() bool) error {
	err := fakeslack.WaitFor(d.ctx, what, func() bool {
		select {
		case <-d.stopped:
			return true
		default:
		}
		return cond()
	})
	if err == nil && !cond() {
		return fmt.Errorf("the bot stopped while waiting for %s", what)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w (the demo gives up after %s)", err, demoTimeout)
	}
	return err
}

func (d *demoRun) thread() []fakeslack.Post { return d.slack.Thread(demoChannel, d.rootTS) }

// print writes the thread as a person reads it in Slack.
func (d *demoRun) print() {
	name := func(id string) string {
		if strings.HasPrefix(id, "U") {
			return "@" + demoNames[id]
		}
		return demoNames[id]
	}
	plain := func(mrkdwn string) string { return emoji(handlers.Plain(mrkdwn, name)) }
	rule := strings.Repeat("─", 72)
	fmt.Fprintf(d.out, "\nThe thread in #sales, as Slack shows it:\n%s\n", rule)
	fmt.Fprintf(d.out, "Alice  %s\n", d.rootAt.Format("15:04"))
	fmt.Fprintf(d.out, "%s\n", indent(demoPostText))
	fmt.Fprintf(d.out, "  [file: %s, PNG, %d bytes]\n", demoFileName, len(d.file))
	for _, p := range d.thread() {
		fmt.Fprintf(d.out, "\n  ↳ linkedin-bot (app)  %s\n", p.At.Format("15:04"))
		fmt.Fprintln(d.out, indent(indent(renderBlocks(p, plain))))
	}
	fmt.Fprintln(d.out, rule)
	var sends []string
	for _, r := range d.linkup.Requests() {
		s := fmt.Sprintf("%q", r.Body.MessageText)
		if r.Body.MediaFile != "" {
			s += fmt.Sprintf(" with %s (%d bytes, as in Slack)", demoFileName, len(d.file))
		}
		sends = append(sends, s)
	}
	fmt.Fprintf(d.out, "The fake LinkedIn received %d messages from the bot: %s.\n", len(sends), strings.Join(sends, "; "))
	fmt.Fprintln(d.out, "Next: set it up for your team (README.md), or try it in your own Slack first with LINKUP_DRY_RUN=true (it needs only the two Slack tokens).")
}

// renderBlocks is a post as Slack shows it: its blocks (section and
// context texts, buttons as [Label]), else its text.
func renderBlocks(p fakeslack.Post, plain func(string) string) string {
	var blocks []struct {
		Type string `json:"type"`
		Text *struct {
			Text string `json:"text"`
		} `json:"text"`
		Fields []struct {
			Text string `json:"text"`
		} `json:"fields"`
		Elements []struct {
			Type string `json:"type"`
			Text json.RawMessage
		} `json:"elements"`
	}
	if p.Blocks == "" || json.Unmarshal([]byte(p.Blocks), &blocks) != nil || len(blocks) == 0 {
		return plain(p.Text)
	}
	var lines []string
	for _, b := range blocks {
		switch b.Type {
		case "section", "header":
			if b.Text != nil {
				lines = append(lines, plain(b.Text.Text))
			}
			for _, f := range b.Fields {
				lines = append(lines, plain(f.Text))
			}
		case "context", "actions":
			var parts []string
			for _, el := range b.Elements {
				var t struct {
					Text string `json:"text"`
				}
				if json.Unmarshal(el.Text, &t) != nil {
					_ = json.Unmarshal(el.Text, &t.Text) // a context's text is a string
				}
				if b.Type == "actions" {
					parts = append(parts, "["+t.Text+"]")
				} else {
					parts = append(parts, plain(t.Text))
				}
			}
			lines = append(lines, strings.Join(parts, "  "))
		case "divider":
			lines = append(lines, "---")
		}
	}
	return strings.Join(lines, "\n")
}

// emoji turns the bot's emoji codes into the characters Slack shows.
func emoji(s string) string {
	return strings.NewReplacer(":white_check_mark:", "✅", ":x:", "❌", ":warning:", "⚠️", ":speech_balloon:", "💬",
		":test_tube:", "🧪", ":hourglass_flowing_sand:", "⏳", ":repeat:", "🔁", ":no_entry:", "⛔", ":leftwards_arrow_with_hook:", "↩️",
		":outbox_tray:", "📤", ":paperclip:", "📎").Replace(s)
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

// initialOf is the value an input of view starts with: a select's
// option or a text's value.
func initialOf(view map[string]any, blockID string) string {
	blocks, _ := view["blocks"].([]any)
	for _, b := range blocks {
		b, _ := b.(map[string]any)
		if b["block_id"] != blockID {
			continue
		}
		el, _ := b["element"].(map[string]any)
		if opt, ok := el["initial_option"].(map[string]any); ok {
			v, _ := opt["value"].(string)
			return v
		}
		v, _ := el["initial_value"].(string)
		return v
	}
	return ""
}

// sameFile reports whether a media_file data URL carries exactly content.
func sameFile(dataURL string, content []byte) bool {
	_, b64, ok := strings.Cut(dataURL, ";base64,")
	got, err := base64.StdEncoding.DecodeString(b64)
	return ok && err == nil && bytes.Equal(got, content)
}

// buttonOf is the value of the button actionID in a post's blocks.
func buttonOf(p fakeslack.Post, actionID string) (string, error) {
	var blocks []struct {
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	_ = json.Unmarshal([]byte(p.Blocks), &blocks)
	for _, b := range blocks {
		for _, el := range b.Elements {
			if el.ActionID == actionID {
				return el.Value, nil
			}
		}
	}
	return "", fmt.Errorf("the mirrored reply has no %s button", actionID)
}

// demoPNG is a small real PNG: a 48×48 badge in two colours.
func demoPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 48, 48))
	for y := range 48 {
		for x := range 48 {
			c := color.RGBA{10, 102, 194, 255} // LinkedIn blue
			if x > 12 && x < 36 && y > 12 && y < 36 {
				c = color.RGBA{255, 255, 255, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// syncBuffer collects the bot's log lines, written from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
