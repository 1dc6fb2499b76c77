package linkup

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// server answers every call with code, headers and body, and counts calls.
func server(t *testing.T, code int, header map[string]string, body string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(s.Close)
	return s, &calls
}

func client(url string) *Client {
	return New(Config{BaseURL: url + "/", APIKey: "key-1", LoginToken: "login-1", Timeout: 2 * time.Second})
}

var jane = Message{ProfileURL: "https://www.linkedin.com/in/jane-doe", Text: "Hi Jane", Country: "FR"}

func TestSendMessageRequest(t *testing.T) {
	var got struct {
		method, path, key, ctype string
		body                     map[string]any
	}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.method, got.path, got.key, got.ctype = r.Method, r.URL.Path, r.Header.Get("x-api-key"), r.Header.Get("Content-Type")
		_ = json.NewDecoder(r.Body).Decode(&got.body)
		_, _ = io.WriteString(w, `{"status":"success","message":"Message sent successfully"}`)
	}))
	defer s.Close()

	_, err := client(s.URL).SendMessage(context.Background(), jane)
	require.NoError(t, err)
	assert.Equal(t, "POST", got.method)
	assert.Equal(t, "/v1/messages/send-message", got.path)
	assert.Equal(t, "key-1", got.key)
	assert.Equal(t, "application/json", got.ctype)
	assert.Equal(t, map[string]any{
		"linkedin_url": "https://www.linkedin.com/in/jane-doe", "message_text": "Hi Jane",
		"country": "FR", "login_token": "login-1",
	}, got.body, "no media fields when there is no media")

	m := jane
	m.MediaLink = "https://example.com/a.pdf"
	_, err = client(s.URL).SendMessage(context.Background(), m)
	require.NoError(t, err)
	assert.Equal(t, "https://example.com/a.pdf", got.body["media_link"])
}

func TestSendMessageAnswers(t *testing.T) {
	cases := []struct {
		name       string
		code       int
		header     map[string]string
		body       string
		kind       Kind // 0: success
		message    string
		retryAfter time.Duration
	}{
		{name: "success without data", code: 200, body: `{"status":"success","message":"Message sent successfully"}`},
		{name: "success with data", code: 200, body: `{"status":"success","message":"Message sent successfully","data":{"entityUrn":"urn:li:msg:1","conversation_id":"2-abc","deliveredAt":1700000000000}}`},
		{name: "200 error in message", code: 200, body: `{"status":"error","message":"Invalid profile URL format"}`, kind: KindInvalid, message: "Invalid profile URL format"},
		{name: "200 error in data", code: 200, body: `{"status":"error","data":"Invalid parameter"}`, kind: KindInvalid, message: "Invalid parameter"},
		{name: "200 error both", code: 200, body: `{"status":"error","message":"Bad request","data":"Invalid parameter"}`, kind: KindInvalid, message: "Bad request: Invalid parameter"},
		{name: "200 token expired", code: 200, body: `{"status":"error","message":"LinkedIn token expired"}`, kind: KindAuth, message: "LinkedIn token expired"},
		{name: "200 rate limit", code: 200, body: `{"status":"error","message":"API Rate limit exceeded"}`, kind: KindRateLimited, message: "API Rate limit exceeded"},
		{name: "200 unknown status", code: 200, body: `{"message":"?"}`, kind: KindUnknown},
		{name: "200 not JSON", code: 200, body: `<html>gateway</html>`, kind: KindUnknown, message: "Linkup's answer could not be read"},
		{name: "400", code: 400, body: `{"status":"error","message":"Error while sending message"}`, kind: KindInvalid, message: "Error while sending message"},
		{name: "401", code: 401, body: `{"message":"Invalid API key"}`, kind: KindAuth, message: "Invalid API key"},
		{name: "403", code: 403, body: `{"status":"error","message":"LinkedIn token expired"}`, kind: KindAuth, message: "LinkedIn token expired"},
		{name: "404", code: 404, body: `{"status":"error","data":"Profile not found"}`, kind: KindInvalid, message: "Profile not found"},
		{name: "429 seconds", code: 429, header: map[string]string{"Retry-After": "42"}, body: `{"message":"LinkedIn Rate limit exceeded"}`, kind: KindRateLimited, message: "LinkedIn Rate limit exceeded", retryAfter: 42 * time.Second},
		{name: "429 without Retry-After", code: 429, body: ``, kind: KindRateLimited, message: "Too Many Requests"},
		{name: "500", code: 500, body: `{"message":"Internal error"}`, kind: KindUnknown, message: "Linkup answered HTTP 500 (Internal error)"},
		{name: "502 HTML", code: 502, body: `<html>bad gateway</html>`, kind: KindUnknown, message: "Linkup answered HTTP 502 (Bad Gateway)"},
		{name: "503", code: 503, body: ``, kind: KindUnknown, message: "Linkup answered HTTP 503 (Service Unavailable)"},
		{name: "504 from a gateway", code: 504, body: `<html><body><h1>504 Gateway Time-out</h1></body></html>`, kind: KindUnknown, message: "Linkup answered HTTP 504 (Gateway Timeout)"},
		{name: "307 redirect is not followed", code: 307, header: map[string]string{"Location": "/elsewhere"}, body: ``, kind: KindUnknown, message: "Linkup answered HTTP 307 (Temporary Redirect)"},
		{name: "302 redirect is not followed", code: 302, header: map[string]string{"Location": "/elsewhere"}, body: ``, kind: KindUnknown, message: "Linkup answered HTTP 302 (Found)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, calls := server(t, tc.code, tc.header, tc.body)
			res, err := client(s.URL).SendMessage(context.Background(), jane)
			assert.EqualValues(t, 1, calls.Load(), "one call, never retried")
			if tc.kind == 0 {
				require.NoError(t, err)
				assert.Equal(t, "Message sent successfully", res.Message)
				assert.Equal(t, CreditsText, res.Credits)
				if strings.Contains(tc.body, "data") {
					assert.Equal(t, "2-abc", res.ConversationID)
					assert.Equal(t, "urn:li:msg:1", res.EntityURN)
					assert.Equal(t, time.UnixMilli(1700000000000).UTC(), res.DeliveredAt)
				}
				return
			}
			var le *Error
			require.ErrorAs(t, err, &le)
			assert.Equal(t, tc.kind, le.Kind, le.Error())
			if tc.message != "" {
				assert.Equal(t, tc.message, le.Message)
			}
			assert.Equal(t, tc.retryAfter, le.RetryAfter)
			assert.Equal(t, tc.kind == KindUnknown, le.MayHaveSent())
			assert.Equal(t, tc.code == 429, le.SafeToResend(), "only a real 429 (or no connection) may be resent")
			assert.NotContains(t, le.Error(), "key-1")
			assert.NotContains(t, le.Error(), "login-1")
		})
	}
}

func TestSendMessageHangPastTimeoutIsUnknown(t *testing.T) {
	release := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer s.Close()
	defer close(release)

	c := New(Config{BaseURL: s.URL, APIKey: "k", LoginToken: "l", Timeout: 100 * time.Millisecond})
	_, err := c.SendMessage(context.Background(), jane)
	var le *Error
	require.ErrorAs(t, err, &le)
	assert.Equal(t, KindUnknown, le.Kind, "the request was written: it may have been sent")
	assert.True(t, errors.Is(err, context.DeadlineExceeded))
}

func TestSendMessageConnectionRefusedIsUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	_, err = client("http://"+addr).SendMessage(context.Background(), jane)
	var le *Error
	require.ErrorAs(t, err, &le)
	assert.Equal(t, KindUnreachable, le.Kind)
	assert.False(t, le.MayHaveSent())
}

func TestSendMessageConnectionLostAfterWriteIsUnknown(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}))
	defer s.Close()
	_, err := client(s.URL).SendMessage(context.Background(), jane)
	var le *Error
	require.ErrorAs(t, err, &le)
	assert.Equal(t, KindUnknown, le.Kind)
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	assert.Equal(t, 7*time.Second, parseRetryAfter("7", now))
	assert.Equal(t, 90*time.Second, parseRetryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now))
	assert.Zero(t, parseRetryAfter("", now))
	assert.Zero(t, parseRetryAfter("soon", now))
	assert.Zero(t, parseRetryAfter("-5", now))
}

func TestLongErrorTextIsCut(t *testing.T) {
	s, _ := server(t, 400, nil, `{"message":"`+strings.Repeat("x", 5000)+`"}`)
	_, err := client(s.URL).SendMessage(context.Background(), jane)
	var le *Error
	require.ErrorAs(t, err, &le)
	assert.Equal(t, strings.Repeat("x", maxTextRunes)+"…", le.Message)
}

func BenchmarkEncodeText(b *testing.B) {
	c := New(Config{APIKey: "k", LoginToken: "AQEDAR-login-token"})
	m := Message{ProfileURL: "https://www.linkedin.com/in/jane-doe", Text: strings.Repeat("Hi Jane, great to meet you! ", 10), Country: "FR"}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.encode(m); err != nil {
			b.Fatal(err)
		}
	}
}
