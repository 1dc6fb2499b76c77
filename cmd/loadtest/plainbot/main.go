// Command plainbot is the load tool's baseline (loadtest -baseline): a plain
// slack-go Socket Mode bot that does the visible work of a send and nothing
// else. For each /linkedin-send it acks at once, calls Linkup's
// send-message once and posts the outcome to NOTIFY_CHANNEL; it persists
// nothing, so a crash loses or repeats sends. The gap between it and
// linkedin-bot is what durability and the features cost.
//
// It reads the settings linkedin-bot reads from the environment:
// SLACK_APP_TOKEN, SLACK_BOT_TOKEN, SLACK_API_URL, LINKUP_BASE_URL,
// LINKUP_API_KEY, LINKUP_LOGIN_TOKEN and NOTIFY_CHANNEL.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "plainbot:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string) error {
	httpClient := &http.Client{Timeout: time.Minute}
	api := slack.New(getenv("SLACK_BOT_TOKEN"),
		slack.OptionAPIURL(getenv("SLACK_API_URL")),
		slack.OptionAppLevelToken(getenv("SLACK_APP_TOKEN")),
		slack.OptionHTTPClient(httpClient))
	sm := socketmode.New(api)
	b := &bot{api: api, http: httpClient, linkup: strings.TrimRight(getenv("LINKUP_BASE_URL"), "/") + "/v1/messages/send-message",
		key: getenv("LINKUP_API_KEY"), login: getenv("LINKUP_LOGIN_TOKEN"), notify: getenv("NOTIFY_CHANNEL")}
	errc := make(chan error, 1)
	go func() { errc <- sm.RunContext(ctx) }()
	defer b.work.Wait()
	for {
		select {
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return err
		case evt := <-sm.Events:
			if evt.Request == nil || evt.Request.EnvelopeID == "" {
				continue
			}
			cmd, ok := evt.Data.(slack.SlashCommand)
			if evt.Type != socketmode.EventTypeSlashCommand || !ok {
				_ = sm.Ack(*evt.Request)
				continue
			}
			recipient, text, _ := strings.Cut(strings.TrimSpace(cmd.Text), " ")
			_ = sm.Ack(*evt.Request, map[string]any{"response_type": "ephemeral", "text": "Sending to " + recipient + "…"})
			b.work.Go(func() { b.send(ctx, cmd.UserID, recipient, text) })
		}
	}
}

type bot struct {
	api                *slack.Client
	http               *http.Client
	linkup, key, login string
	notify             string
	work               sync.WaitGroup
}

// send calls Linkup once and posts the outcome.
func (b *bot) send(ctx context.Context, user, recipient, text string) {
	outcome := "sent"
	if err := b.call(ctx, recipient, text); err != nil {
		outcome = "failed: " + err.Error()
	}
	_, _, _ = b.api.PostMessageContext(ctx, b.notify, slack.MsgOptionText(fmt.Sprintf("<@%s>'s message to %s: %s", user, recipient, outcome), false))
}

func (b *bot) call(ctx context.Context, recipient, text string) error {
	body, _ := json.Marshal(map[string]string{"linkedin_url": recipient, "message_text": text, "login_token": b.login})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.linkup, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", b.key)
	resp, err := b.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var a struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&a); err != nil {
		return err
	}
	if a.Status != "success" {
		return fmt.Errorf("linkup: %s", a.Message)
	}
	return nil
}
