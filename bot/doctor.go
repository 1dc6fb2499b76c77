package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
)

// doctorTimeout bounds each of the doctor's checks.
const doctorTimeout = 15 * time.Second

// Doctor checks that the bot can run with cfg: the bot token (auth.test),
// a Socket Mode connection opened once (with the app token) and Linkup's
// reachability. It writes one line per check to out, with the fix for a
// failure, and returns an error when any failed. It sends nothing.
func Doctor(ctx context.Context, cfg Config, api *slack.Client, httpClient *http.Client, out io.Writer) error {
	fmt.Fprintln(out, "PASS configuration: every required setting is present and well-formed")
	checks := []struct {
		name, fix string
		run       func(context.Context) (string, error)
	}{
		{"Slack bot token (auth.test)", "check SLACK_BOT_TOKEN (OAuth & Permissions, Bot User OAuth Token) and that the app is installed in the workspace",
			func(ctx context.Context) (string, error) {
				r, err := api.AuthTestContext(ctx)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("workspace %q, bot user @%s", r.Team, r.User), nil
			}},
		{"Slack Socket Mode connection", "check SLACK_APP_TOKEN (Basic Information, App-Level Tokens, scope connections:write) and that Socket Mode is enabled",
			func(ctx context.Context) (string, error) { return openSocketOnce(ctx, api) }},
		{"Linkup reachable", "check LINKUP_BASE_URL and this machine's outbound HTTPS access",
			func(ctx context.Context) (string, error) { return reach(ctx, httpClient, cfg.LinkupBaseURL) }},
	}
	failed := 0
	for _, c := range checks {
		cctx, cancel := context.WithTimeout(ctx, doctorTimeout)
		detail, err := c.run(cctx)
		cancel()
		if err != nil {
			failed++
			fmt.Fprintf(out, "FAIL %s: %v\n     fix: %s\n", c.name, err, c.fix)
			continue
		}
		fmt.Fprintf(out, "PASS %s: %s\n", c.name, detail)
	}
	fmt.Fprintln(out, "note: the Linkup API key and LinkedIn login token are only checked by a real send, which costs credits")
	fmt.Fprintln(out, "info reply bridge: "+BridgeConfig(cfg).Summary())
	if failed > 0 {
		return fmt.Errorf("%d of %d checks failed", failed, len(checks)+1)
	}
	return nil
}

// openSocketOnce opens a Socket Mode connection, waits for Slack's hello and closes it.
func openSocketOnce(ctx context.Context, api *slack.Client) (string, error) {
	_, wsURL, err := api.StartSocketModeContext(ctx)
	if err != nil {
		return "", fmt.Errorf("apps.connections.open: %w", err)
	}
	conn, resp, err := websocket.DefaultDialer.DialContext(ctx, wsURL, nil)
	if err != nil {
		return "", fmt.Errorf("dialing the socket: %w", err)
	}
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetReadDeadline(dl)
	}
	var hello struct {
		Type string `json:"type"`
	}
	_, frame, err := conn.ReadMessage()
	if err != nil {
		return "", fmt.Errorf("waiting for hello: %w", err)
	}
	if json.Unmarshal(frame, &hello) != nil || hello.Type != "hello" {
		return "", errors.New("the first frame was not hello")
	}
	return "connected and received hello", nil
}

// reach checks that an HTTP server answers at u; any status will do.
func reach(ctx context.Context, c *http.Client, u string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	_ = resp.Body.Close()
	return fmt.Sprintf("%s answered HTTP %d", u, resp.StatusCode), nil
}
