package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// freeAddr is a loopback address whose port was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// get fetches path on addr: its status and body.
func get(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

// sample is the value of the series of /metrics whose line starts with
// series ("name{labels}", labels in their sorted order); -1 when none.
func sample(exposition, series string) float64 {
	for _, line := range strings.Split(exposition, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				return -1
			}
			return v
		}
	}
	return -1
}

// TestMetricsAfterARun runs the bot with METRICS_ADDR through sends (one
// refused at the daily cap, a Slack post rate-limited once) and a reply
// from LinkedIn, then reads /metrics: each figure as the run made it, Go's
// and the process's own, and no label carrying a person's or a message's
// data (user and channel IDs, profile URL, text, tokens, response_urls).
func TestMetricsAfterARun(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	e := startBot(t, bridgeVars(map[string]string{"METRICS_ADDR": addr, "DAILY_SEND_LIMIT": "2", "REPLY_POLL_MAX": "1s"}))

	status, body := get(t, addr, "/healthz")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "ok\n", body)
	e.waitUntil("ready", func() bool { s, _ := get(t, addr, "/readyz"); return s == http.StatusOK })
	_, body = get(t, addr, "/readyz")
	assert.Equal(t, "ready\n", body)

	e.slack.RateLimit("chat.postMessage", 1)
	e.command(jane + " Hi Jane, great to meet you!")
	e.finished(1)
	root, _ := e.thread(salesChannel)
	e.command("https://www.linkedin.com/in/john-roe Hello John, secret plans inside")
	e.finished(2)
	_, ack := e.command("https://www.linkedin.com/in/jim-poe Over the cap")
	assert.Contains(t, ackText(t, ack), "daily limit")
	e.waitUntil("the conversation read after the send", func() bool { return len(e.linkup.Reads(convPath)) >= 1 })
	e.linkup.Reply(jane, "Sounds good! Tuesday at the usual place?")
	e.waitUntil("the reply in the thread", func() bool { return len(e.inThread(root.TS, "replied on LinkedIn")) == 1 })

	var m string
	e.waitUntil("the reply's lag observed", func() bool {
		_, m = get(t, addr, "/metrics")
		return sample(m, "linkedin_bot_bridge_lag_seconds_count") == 1
	})
	want := map[string]float64{
		`linkedin_bot_sends_total{account="default",state="sent"}`:                                     2,
		`linkedin_bot_sends_total{account="default",state="refused_cap"}`:                              1,
		`linkedin_bot_credits_total{account="default",kind="send"}`:                                    2,
		`linkedin_bot_slack_api_errors_total{error="ratelimited",method="chat.postMessage"}`:           1,
		`linkedin_bot_linkup_request_seconds_count{endpoint="/v1/messages/send-message",outcome="ok"}`: 2,
		`linkedin_bot_socket_reconnects_total`:                                                         0,
		`linkedin_bot_slack_connected`:                                                                 1,
		`linkedin_bot_ready`:                                                                           1,
		`linkedin_bot_store_up`:                                                                        1,
		`linkedin_bot_queue_depth`:                                                                     0,
		`linkedin_bot_oldest_queued_seconds`:                                                           0,
		`linkedin_bot_leases_held{job="reply-bridge"}`:                                                 1,
		`linkedin_bot_read_credits_per_day`:                                                            200,
		`linkedin_bot_daily_send_limit`:                                                                2,
		`linkedin_bot_accounts{state="expired"}`:                                                       0,
		`linkedin_bot_credits_total{account="personal",kind="invite"}`:                                 0,
		`linkedin_bot_linkup_request_seconds_count{endpoint="/v1/messages/conversation",outcome="ok"}`: float64(len(e.linkup.Reads(convPath))),
	}
	for series, v := range want {
		assert.Equal(t, v, sample(m, series), series)
	}
	assert.Equal(t, float64(200)-sample(m, `linkedin_bot_credits_total{account="default",kind="read"}`), sample(m, "linkedin_bot_read_credits_left"),
		"the credits left are the cap less those read")
	assert.Positive(t, sample(m, `linkedin_bot_credits_total{account="default",kind="read"}`))
	assert.GreaterOrEqual(t, sample(m, "linkedin_bot_ack_seconds_count"), 3.0, "each command's ack")
	assert.Positive(t, sample(m, "go_goroutines"))
	assert.Positive(t, sample(m, "process_resident_memory_bytes"))

	for _, private := range append([]string{alice, salesChannel, notifyChannel, "jane-doe", "john-roe", "jim-poe", "linkedin.com/in",
		"great to meet you", "secret plans", "Sounds good", "Over the cap", "/response/", e.slack.APIURL(), e.linkup.URL()}, e.slack.IssuedResponseURLs()...) {
		if strings.Contains(m, private) {
			t.Errorf("/metrics carries %q: no personal or message data may be in it", private)
		}
	}
	for _, secret := range []string{appToken, botToken, apiKey, loginToken} {
		if strings.Contains(m, secret) {
			t.Errorf("/metrics carries a secret (%q)", secret)
		}
	}
	// Every label value is from a bounded set: states, kinds, endpoints,
	// Slack's codes and methods, job names and the operator's account.
	label := regexp.MustCompile(`(\w+)="([^"]*)"`)
	for _, line := range strings.Split(m, "\n") {
		if !strings.HasPrefix(line, "linkedin_bot_") {
			continue
		}
		for _, l := range label.FindAllStringSubmatch(line, -1) {
			switch l[1] {
			case "le":
			case "account":
				assert.Contains(t, []string{"default", "personal"}, l[2], line)
			default:
				assert.Regexp(t, `^[a-z0-9_./{}-]*$|^[a-z]+(\.[a-zA-Z]+)+$`, l[2], line)
			}
		}
	}
}

// TestReadinessFollowsTheSlackConnection drops the Socket Mode connection
// while Slack refuses a new one for a few seconds: /readyz answers 503 and
// why (and health fails naming the address) until the bot is connected
// again, then 200; /healthz answers 200 throughout.
func TestReadinessFollowsTheSlackConnection(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	e := startBot(t, map[string]string{"METRICS_ADDR": addr})
	getenv := func(k string) string { return e.vars[k] }
	e.waitUntil("ready", func() bool { s, _ := get(t, addr, "/readyz"); return s == http.StatusOK })
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"linkedin-bot", "health"}, getenv, &out, io.Discard))
	assert.Contains(t, out.String(), "http://"+addr+"/readyz: ready")

	opens := e.slack.Opens()
	e.slack.LimitFor("apps.connections.open", 4*time.Second)
	e.slack.DropConnection()
	var body string
	e.waitUntil("not ready", func() bool {
		var s int
		s, body = get(t, addr, "/readyz")
		return s == http.StatusServiceUnavailable
	})
	assert.Equal(t, "not ready: no Slack connection (Socket Mode)\n", body)
	status, _ := get(t, addr, "/healthz")
	assert.Equal(t, http.StatusOK, status, "liveness does not follow Slack")
	err := run(context.Background(), []string{"linkedin-bot", "health"}, getenv, io.Discard, io.Discard)
	require.Error(t, err)
	assert.Equal(t, "health: http://"+addr+"/readyz (METRICS_ADDR): 503 Service Unavailable: not ready: no Slack connection (Socket Mode)", err.Error())

	e.waitUntil("ready again", func() bool { s, _ := get(t, addr, "/readyz"); return s == http.StatusOK })
	assert.Greater(t, e.slack.Opens(), opens)
	status, _ = get(t, addr, "/healthz")
	assert.Equal(t, http.StatusOK, status)
	_, m := get(t, addr, "/metrics")
	assert.Equal(t, 1.0, sample(m, "linkedin_bot_socket_reconnects_total"))
	assert.GreaterOrEqual(t, sample(m, `linkedin_bot_slack_api_errors_total{error="ratelimited",method="apps.connections.open"}`), 1.0)
	require.NoError(t, run(context.Background(), []string{"linkedin-bot", "health"}, getenv, io.Discard, io.Discard))

	require.NoError(t, e.stop())
	err = run(context.Background(), []string{"linkedin-bot", "health"}, getenv, io.Discard, io.Discard)
	require.Error(t, err, "a stopped bot is not healthy")
	assert.Contains(t, err.Error(), "health: http://"+addr+"/readyz (METRICS_ADDR): ")
}

// TestMetricsAddrTakenStopsTheStart: a port that cannot be bound stops the
// bot at once, naming the setting, before it connects anywhere.
func TestMetricsAddrTakenStopsTheStart(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	vars := map[string]string{"SLACK_APP_TOKEN": appToken, "SLACK_BOT_TOKEN": botToken, "LINKUP_API_KEY": apiKey,
		"SLACK_API_URL": "http://127.0.0.1:1/api/", "DATA_DIR": t.TempDir(), "METRICS_ADDR": taken.Addr().String()}
	var logs bytes.Buffer
	err = run(context.Background(), []string{"linkedin-bot"}, func(k string) string { return vars[k] }, io.Discard, &logs)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "configuration: METRICS_ADDR: cannot listen on "+taken.Addr().String())
	assert.NotContains(t, logs.String(), "auth.test", "it stops before calling Slack")
}

func TestHealthCommand(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, addr, out, err string
	}{
		{"no METRICS_ADDR: nothing to check", "", "METRICS_ADDR is empty: the bot serves no probe, so there is nothing to check\n", ""},
		{"nothing listening", "", "", "health: http://{addr}/readyz (METRICS_ADDR): dial tcp {addr}: connect: connection refused"},
		{"a malformed address", "9090", "", "health: configuration: METRICS_ADDR: must be host:port"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := tc.addr
			if tc.name == "nothing listening" {
				addr = freeAddr(t)
			}
			var out bytes.Buffer
			err := run(context.Background(), []string{"linkedin-bot", "health"}, func(k string) string {
				if k == "METRICS_ADDR" {
					return addr
				}
				return ""
			}, &out, io.Discard)
			assert.Equal(t, tc.out, out.String())
			if tc.err == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), strings.ReplaceAll(tc.err, "{addr}", addr))
			assert.NotContains(t, err.Error(), "\n", "one line")
		})
	}
}

func TestProbeHost(t *testing.T) {
	for addr, want := range map[string]string{":9090": "127.0.0.1:9090", "0.0.0.0:9090": "127.0.0.1:9090", "[::]:9090": "[::1]:9090", "10.1.2.3:80": "10.1.2.3:80", "localhost:1": "localhost:1"} {
		assert.Equal(t, want, probeHost(addr), addr)
	}
}
