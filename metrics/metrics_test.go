package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEndpointTakesOutIDs(t *testing.T) {
	for path, want := range map[string]string{
		"/v1/messages/send-message":                   "/v1/messages/send-message",
		"/v2/messages":                                "/v2/messages",
		"/v2/webhooks/69c127c37cae0494dd827286/start": "/v2/webhooks/{id}/start",
		"/v2/webhooks/wh%2F1/stream":                  "/v2/webhooks/{id}/stream",
		"/v2/webhooks/wh-1/events":                    "/v2/webhooks/{id}/events",
		"/v2/webhooks/ABCDEF":                         "/v2/webhooks/{id}",
		"/v2/webhooks/" + strings.Repeat("a", 40):     "/v2/webhooks/{id}",
	} {
		assert.Equal(t, want, endpoint(path), path)
	}
}

func TestSlackError(t *testing.T) {
	cases := []struct {
		body   string
		code   string
		failed bool
	}{
		{`{"ok":true,"channel":"C1"}`, "", false},
		{`{"ok":false,"error":"not_in_channel"}`, "not_in_channel", true},
		{`{"ok": false, "error": "channel_not_found", "warning":"x"}`, "channel_not_found", true},
		{`{"ok":false}`, "unknown", true},
		{`{"ok":false,"error":"U0ALICE01 said <hi>"}`, "other", true},
		{`{"ok":false,"error":"` + strings.Repeat("a", 70) + `"}`, "other", true},
	}
	for _, tc := range cases {
		code, failed := slackError([]byte(tc.body))
		assert.Equal(t, tc.failed, failed, tc.body)
		assert.Equal(t, tc.code, code, tc.body)
	}
}

// TestSlackTransportCountsErrors runs calls through the transport to a
// server answering as Slack does, and counts by method and error.
func TestSlackTransportCountsErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/chat.postMessage":
			fmt.Fprint(w, `{"ok":false,"error":"not_in_channel"}`)
		case "/api/chat.update":
			w.WriteHeader(http.StatusTooManyRequests)
		case "/api/views.open":
			w.WriteHeader(http.StatusBadGateway)
		default:
			fmt.Fprint(w, `{"ok":true}`)
		}
	}))
	defer srv.Close()
	m := New(Config{})
	c := &http.Client{Transport: m.SlackTransport(http.DefaultTransport)}
	for _, method := range []string{"chat.postMessage", "chat.postMessage", "chat.update", "views.open", "auth.test", "U0ALICE01"} {
		resp, err := c.Post(srv.URL+"/api/"+method, "application/json", nil)
		require.NoError(t, err)
		_, _ = io.ReadAll(resp.Body)
		require.NoError(t, resp.Body.Close())
	}
	assert.Equal(t, 2.0, testutil.ToFloat64(m.slackErrors.WithLabelValues("chat.postMessage", "not_in_channel")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.slackErrors.WithLabelValues("chat.update", "ratelimited")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.slackErrors.WithLabelValues("views.open", "http_5xx")))
	assert.Equal(t, 3, testutil.CollectAndCount(m.slackErrors), "auth.test succeeded; a user ID is not a method")
}

// TestLabelsAreBounded: however many distinct values come from outside,
// a label takes at most maxValues and "other".
func TestLabelsAreBounded(t *testing.T) {
	var s valueSet
	for i := range 1000 {
		s.keep(fmt.Sprintf("v%d", i))
	}
	assert.Equal(t, "other", s.keep("new"))
	assert.Equal(t, "v1", s.keep("v1"))
	assert.Len(t, s.seen, maxValues)

	m := New(Config{})
	c := &http.Client{Transport: m.LinkupTransport(roundTrip(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
	}))}
	for i := range 200 {
		resp, err := c.Get(fmt.Sprintf("http://linkup.test/v9/x%c%c/y", 'a'+i%26, 'a'+i/26))
		require.NoError(t, err)
		resp.Body.Close()
	}
	assert.LessOrEqual(t, testutil.CollectAndCount(m.linkup), maxValues+1)
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestLinkupOutcomes(t *testing.T) {
	for _, tc := range []struct {
		status int
		err    error
		want   string
	}{
		{200, nil, "ok"}, {400, nil, "client_error"}, {429, nil, "rate_limited"}, {503, nil, "server_error"},
		{0, context.DeadlineExceeded, "timeout"}, {0, errors.New("connection refused"), "network"},
	} {
		var resp *http.Response
		if tc.err == nil {
			resp = &http.Response{StatusCode: tc.status}
		}
		assert.Equal(t, tc.want, outcome(resp, tc.err))
	}
}

// TestOnlyOperatorsAccountsAreNamed: a person's own account, and one the
// lookup failed for, count as personal; the lookup is made once per name.
func TestOnlyOperatorsAccountsAreNamed(t *testing.T) {
	m := New(Config{})
	lookups := map[string]int{}
	m.Attach(Source{Operator: func(_ context.Context, name string) (bool, error) {
		lookups[name]++
		if name == "broken" {
			return false, errors.New("the log is locked")
		}
		return name == "recruiting" || name == "default", nil
	}})
	for range 3 {
		m.Finished("sent", "recruiting", 1)
		m.Finished("sent", "Alice Martin", 2)
		m.Finished("failed", "broken", 0)
	}
	m.ReadCredits("default", 4)
	assert.Equal(t, 3.0, testutil.ToFloat64(m.sends.WithLabelValues("sent", "recruiting")))
	assert.Equal(t, 3.0, testutil.ToFloat64(m.sends.WithLabelValues("sent", Personal)))
	assert.Equal(t, 3.0, testutil.ToFloat64(m.sends.WithLabelValues("failed", Personal)))
	assert.Equal(t, 6.0, testutil.ToFloat64(m.credits.WithLabelValues(CreditsSend, Personal)))
	assert.Equal(t, 4.0, testutil.ToFloat64(m.credits.WithLabelValues(CreditsRead, "default")))
	assert.Equal(t, map[string]int{"recruiting": 1, "Alice Martin": 1, "broken": 3, "default": 1}, lookups)
}

// TestMonitoringIsCountedByTheBridgeHolder: about 10 credits a day per
// active webhook, by the bot that holds the reply bridge only.
func TestMonitoringIsCountedByTheBridgeHolder(t *testing.T) {
	for _, holds := range []bool{true, false} {
		m := New(Config{BridgeJob: "reply-bridge"})
		now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
		m.now = func() time.Time { return now }
		m.lastMonitoring = now
		st := State{Webhooks: []string{"default", "sales"}}
		if holds {
			st.Jobs = []string{"reply-bridge"}
		}
		m.Attach(Source{State: func(context.Context) (State, error) { return st, nil },
			Operator: func(context.Context, string) (bool, error) { return true, nil }})
		now = now.Add(6 * time.Hour)
		_ = testutil.CollectAndCount(m.Registry(), Namespace+"_webhooks_active")
		want := 0.0
		if holds {
			want = 2.5
		}
		assert.InDelta(t, want, testutil.ToFloat64(m.credits.WithLabelValues(CreditsMonitoring, "sales")), 1e-9, "holds=%v", holds)
	}
}

func TestProbes(t *testing.T) {
	m := New(Config{})
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get(ReadyPath)
	assert.Equal(t, 503, code)
	assert.Equal(t, "not ready: starting\n", body)
	m.Attach(Source{Ready: func(context.Context) error { return errors.New("no Slack\nconnection") }})
	code, body = get(ReadyPath)
	assert.Equal(t, 503, code)
	assert.Equal(t, "not ready: no Slack connection\n", body, "one line")
	code, _ = get(HealthPath)
	assert.Equal(t, 200, code)
	m.Attach(Source{Ready: func(context.Context) error { return nil }})
	code, body = get(ReadyPath)
	assert.Equal(t, 200, code)
	assert.Equal(t, "ready\n", body)
	code, body = get(MetricsPath)
	assert.Equal(t, 200, code)
	assert.Contains(t, body, "\ngo_goroutines ")
	assert.Contains(t, body, "\nlinkedin_bot_ready 1\n")
}

// TestNilMetricsDoNothing: without METRICS_ADDR the bot runs with nil.
func TestNilMetricsDoNothing(t *testing.T) {
	var m *Metrics
	m.Finished("sent", "x", 1)
	m.Credits(CreditsInvite, "x", 1)
	m.ReadCredits("x", 1)
	m.Acked(time.Millisecond)
	m.Mirrored(time.Second)
	m.Connected(true, true)
	m.Attach(Source{})
	rt := http.DefaultTransport
	assert.Equal(t, rt, m.SlackTransport(rt))
	assert.Equal(t, rt, m.LinkupTransport(rt))
}

// BenchmarkPerSend is what the metrics add to one text send: four Slack
// calls and one Linkup call through the transports, an ack and an outcome
// (go test -bench PerSend ./metrics; compare with -benchtime and the
// load tool's CPU per send).
func BenchmarkPerSend(b *testing.B) {
	m := New(Config{})
	m.Attach(Source{Operator: func(context.Context, string) (bool, error) { return true, nil }})
	ok := roundTrip(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(`{"ok":true,"channel":"C0SALES01","ts":"1.2"}`))}, nil
	})
	slack := m.SlackTransport(ok)
	linkup := m.LinkupTransport(ok)
	post, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/api/chat.postMessage", nil)
	send, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/v1/messages/send-message", nil)
	buf := make([]byte, 512)
	b.ReportAllocs()
	for b.Loop() {
		for range 4 {
			resp, _ := slack.RoundTrip(post)
			_, _ = resp.Body.Read(buf)
			_ = resp.Body.Close()
		}
		resp, _ := linkup.RoundTrip(send)
		_ = resp.Body.Close()
		m.Acked(time.Millisecond)
		m.Finished("sent", "default", 1)
	}
}
