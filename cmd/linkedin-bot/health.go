package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"strings"
	"time"

	"linkedin-bot/bot"
	"linkedin-bot/metrics"
)

// healthBudget bounds the health command's one request.
const healthBudget = 5 * time.Second

// health asks the bot running on this machine whether it is ready: its
// /readyz at METRICS_ADDR. It returns nil on a 200, else an error of one
// line naming the address, for a container's HEALTHCHECK. Without
// METRICS_ADDR the bot serves no probe: there is nothing to check, and it
// says so and returns nil.
func health(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	addr, err := bot.MetricsAddrAt(getenv)
	if err != nil {
		return fmt.Errorf("health: configuration: %w", err)
	}
	if addr == "" {
		fmt.Fprintln(stdout, "METRICS_ADDR is empty: the bot serves no probe, so there is nothing to check")
		return nil
	}
	url := "http://" + probeHost(addr) + metrics.ReadyPath
	ctx, cancel := context.WithTimeout(ctx, healthBudget)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("health: %s (METRICS_ADDR): %w", url, err)
	}
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("health: %s (METRICS_ADDR): no answer within %s", url, healthBudget)
		}
		if ue, ok := errors.AsType[*neturl.Error](err); ok {
			err = ue.Err // without the URL again
		}
		return fmt.Errorf("health: %s (METRICS_ADDR): %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	reason := strings.Join(strings.Fields(string(body)), " ")
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s (METRICS_ADDR): %s: %s", url, resp.Status, reason)
	}
	fmt.Fprintf(stdout, "%s: %s\n", url, reason)
	return nil
}

// probeHost is where to reach a listener on addr from this machine: its
// host, or the loopback address when it listens on every interface.
func probeHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}
