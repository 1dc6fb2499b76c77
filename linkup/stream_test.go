package linkup

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The stream's frames follow
// https://docs.linkupapi.com/api-reference/v2/webhooks/stream; the events
// in them, the wrapping of
// https://docs.linkupapi.com/api-reference/v2/webhooks/introduction.

// streamDoc is the documented stream, its ellipses filled in.
const streamDoc = "event: connected\n" +
	"data: {\"webhook_id\": \"abc123\", \"account_id\": \"69c127c37cae0494dd827286\"}\n" +
	"\n" +
	"event: webhook\n" +
	"data: {\"account_id\": \"69c127c37cae0494dd827286\", \"account_name\": \"Alice\", \"event\": {\"type\": \"message\", \"sender_name\": \"John Doe\", \"message_text\": \"Hello!\", \"sender_profile\": \"https://www.linkedin.com/in/johndoe\"}, \"timestamp\": \"2025-01-15T10:31:00Z\"}\n" +
	"\n" +
	": keepalive\n" +
	"\n"

var streamDocFrames = []StreamFrame{
	{Kind: FrameConnected, Name: "connected", WebhookID: "abc123", AccountID: "69c127c37cae0494dd827286", Data: `{"webhook_id": "abc123", "account_id": "69c127c37cae0494dd827286"}`},
	{Kind: FrameEvent, Name: "webhook", Event: Event{AccountID: "69c127c37cae0494dd827286", AccountName: "Alice", Type: EventMessage, SenderName: "John Doe", Text: "Hello!",
		SenderProfile: "https://www.linkedin.com/in/johndoe", EmittedAt: time.Date(2025, 1, 15, 10, 31, 0, 0, time.UTC)}},
}

// sseServer streams chunks (each written and flushed on its own) to
// every request, then holds the stream open until the client leaves.
// It counts the requests and keeps the last one's URL.
type sseServer struct {
	*httptest.Server
	calls   atomic.Int32
	lastURL atomic.Pointer[url.URL]
	header  atomic.Pointer[http.Header]
}

func newSSEServer(t *testing.T, chunks ...string) *sseServer {
	t.Helper()
	s := &sseServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		u, h := *r.URL, r.Header.Clone()
		s.lastURL.Store(&u)
		s.header.Store(&h)
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		for _, c := range chunks {
			if _, err := io.WriteString(w, c); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
		<-r.Context().Done()
	}))
	t.Cleanup(s.Close)
	return s
}

// collect holds the stream until it ends, or until stopAfter frames came
// (then it ends it); it returns the frames and Stream's error.
func collect(c *Client, id string, idle time.Duration, stopAfter int) ([]StreamFrame, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var frames []StreamFrame
	err := c.Stream(ctx, id, idle, func(f StreamFrame) {
		frames = append(frames, f)
		if len(frames) == stopAfter {
			cancel()
		}
	})
	return frames, err
}

// guard is an idle time long enough never to fire in a test that does not
// test it: it only turns a hang into a failure.
const guard = 10 * time.Second

func TestStreamDocumented(t *testing.T) {
	s := newSSEServer(t, streamDoc)
	frames, err := collect(v2client(s.URL), "wh 1", guard, 2)
	assert.ErrorIs(t, err, context.Canceled, "the caller ended it")
	assert.Equal(t, streamDocFrames, frames)
	u := s.lastURL.Load()
	assert.Equal(t, "/v2/webhooks/wh 1/stream", u.Path)
	assert.Equal(t, "/v2/webhooks/wh%201/stream", u.EscapedPath())
	assert.Equal(t, url.Values{"api_key": {"key-1"}}, u.Query(), "the key in the query string, as the docs say")
	h := s.header.Load()
	assert.Equal(t, "text/event-stream", h.Get("Accept"))
	assert.EqualValues(t, 1, s.calls.Load())
}

func TestStreamFramesSplitAcrossWrites(t *testing.T) {
	bytewise := make([]string, len(streamDoc))
	for i := range streamDoc {
		bytewise[i] = streamDoc[i : i+1]
	}
	crlf := strings.ReplaceAll(streamDoc, "\n", "\r\n")
	for name, chunks := range map[string][]string{
		"one byte a write":          bytewise,
		"CRLF, split between CR/LF": {crlf[:strings.Index(crlf, "\r\n")+1], crlf[strings.Index(crlf, "\r\n")+1:]},
		"lone CRs":                  {strings.ReplaceAll(streamDoc, "\n", "\r")},
		"irregular pieces":          {streamDoc[:7], streamDoc[7:100], streamDoc[100:101], streamDoc[101:]},
	} {
		t.Run(name, func(t *testing.T) {
			s := newSSEServer(t, chunks...)
			frames, err := collect(v2client(s.URL), "wh-1", guard, 2)
			assert.ErrorIs(t, err, context.Canceled)
			assert.Equal(t, streamDocFrames, frames)
		})
	}
}

func TestStreamFraming(t *testing.T) {
	stream := "" +
		// A BOM, then data over several lines (JSON across lines is still JSON).
		"\xef\xbb\xbfevent: webhook\n" +
		"data: {\"account_id\":\"acc-1\",\n" +
		"data: \"event\":{\"type\":\"message\",\"message_text\":\"two\\nlines\"}}\n" +
		"id: 7\nretry: 1000\n" +
		"\n" +
		// Comments, anywhere.
		": keepalive\n:\n:another comment\n" +
		// An unknown event name, its data kept.
		"event: ping\ndata: {\"n\":1}\n\n" +
		// A webhook frame whose data is not JSON.
		"event: webhook\ndata: not json at all\n\n" +
		// An event of an unknown type.
		"event: webhook\ndata:{\"account_id\":\"acc-1\",\"event\":{\"type\":\"reaction\"}}\n\n" +
		// A frame with no data is not dispatched; its name does not leak.
		"event: lost\n\n" +
		// An unnamed frame whose data is an event.
		"data: {\"account_id\":\"acc-1\",\"event\":{\"type\":\"disconnection\",\"reason\":\"expired\"}}\n\n" +
		// An unnamed frame of something else; "data" without a colon is an empty line of data.
		"data:  two spaces kept but one\ndata\n\n" +
		"event: connected\ndata: [1]\n\n"
	s := newSSEServer(t, stream)
	frames, err := collect(v2client(s.URL), "wh-1", guard, 7)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, []StreamFrame{
		{Kind: FrameEvent, Name: "webhook", Event: Event{AccountID: "acc-1", Type: EventMessage, Text: "two\nlines"}},
		{Kind: FrameOther, Name: "ping", Data: `{"n":1}`},
		{Kind: FrameUnreadable, Name: "webhook", Data: "not json at all"},
		{Kind: FrameEvent, Name: "webhook", Event: Event{AccountID: "acc-1", Type: "reaction"}},
		{Kind: FrameEvent, Name: "message", Event: Event{AccountID: "acc-1", Type: EventDisconnection, Reason: "expired"}},
		{Kind: FrameOther, Name: "message", Data: " two spaces kept but one\n"},
		{Kind: FrameConnected, Name: "connected", Data: "[1]"},
	}, frames)
}

func TestStreamBoundsLongLines(t *testing.T) {
	huge := strings.Repeat("x", maxSSELine+10)
	event := "event: webhook\ndata: {\"event\":{\"type\":\"message\",\"message_text\":\"after\"}}\n\n"
	manyLines := strings.Repeat("data: "+strings.Repeat("y", 64<<10)+"\n", maxSSEData/(64<<10)+1)
	s := newSSEServer(t,
		":"+huge+"\n", // a long comment is still a comment
		"event: webhook\ndata: "+huge+"\n\n",
		event,
		"event: webhook\n"+manyLines+"\n",
		event)
	frames, err := collect(v2client(s.URL), "wh-1", guard, 4)
	assert.ErrorIs(t, err, context.Canceled)
	after := StreamFrame{Kind: FrameEvent, Name: "webhook", Event: Event{Type: EventMessage, Text: "after"}}
	assert.Equal(t, []StreamFrame{{Kind: FrameUnreadable, Name: "webhook"}, after, {Kind: FrameUnreadable, Name: "webhook"}, after}, frames,
		"a frame too large is unreadable, and the stream goes on")
}

func TestStreamEnds(t *testing.T) {
	partial := "event: webhook\ndata: {\"event\":{\"type\":\"message\",\"message_text\":\"lost\"}}\n" // no blank line
	t.Run("Linkup ends it mid-frame", func(t *testing.T) {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, streamDoc+partial)
		}))
		defer s.Close()
		frames, err := collect(v2client(s.URL), "wh-1", guard, -1)
		assert.Equal(t, streamDocFrames, frames, "the unfinished frame is dropped")
		le := AsError(err)
		assert.Equal(t, KindUnknown, le.Kind)
		assert.Equal(t, "Linkup ended the event stream", le.Message)
	})
	t.Run("the connection drops mid-frame", func(t *testing.T) {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, streamDoc+partial)
			w.(http.Flusher).Flush()
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				_ = conn.Close()
			}
		}))
		defer s.Close()
		frames, err := collect(v2client(s.URL), "wh-1", guard, -1)
		assert.Equal(t, streamDocFrames, frames)
		le := AsError(err)
		assert.Equal(t, KindUnknown, le.Kind)
		assert.Equal(t, "the event stream broke off", le.Message)
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	})
	t.Run("the caller ends it before anything", func(t *testing.T) {
		s := newSSEServer(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := v2client(s.URL).Stream(ctx, "wh-1", guard, nil)
		assert.ErrorIs(t, err, context.Canceled)
	})
}

func TestStreamSilenceEndsIt(t *testing.T) {
	t.Run("after the connected frame", func(t *testing.T) {
		s := newSSEServer(t, "event: connected\ndata: {}\n\n")
		frames, err := collect(v2client(s.URL), "wh-1", 200*time.Millisecond, -1)
		require.Len(t, frames, 1)
		assert.ErrorIs(t, err, ErrStreamSilent)
		assert.Equal(t, KindUnknown, AsError(err).Kind)
	})
	t.Run("before any answer", func(t *testing.T) {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
		defer s.Close()
		_, err := collect(v2client(s.URL), "wh-1", 200*time.Millisecond, -1)
		assert.ErrorIs(t, err, ErrStreamSilent)
	})
	t.Run("keepalives keep it alive", func(t *testing.T) {
		// 40 keepalives 25 ms apart (a second) under an idle of 500 ms.
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			for range 40 {
				_, _ = io.WriteString(w, ": keepalive\n\n")
				w.(http.Flusher).Flush()
				select {
				case <-time.After(25 * time.Millisecond):
				case <-r.Context().Done():
					return
				}
			}
			_, _ = io.WriteString(w, "event: connected\ndata: {}\n\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}))
		defer s.Close()
		frames, err := collect(v2client(s.URL), "wh-1", 500*time.Millisecond, 1)
		assert.ErrorIs(t, err, context.Canceled, "not silent")
		assert.Len(t, frames, 1)
	})
	t.Run("a slow handler is not silence", func(t *testing.T) {
		s := newSSEServer(t, streamDoc)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		n := 0
		err := v2client(s.URL).Stream(ctx, "wh-1", 100*time.Millisecond, func(StreamFrame) {
			n++
			if n == 2 {
				cancel()
				return
			}
			time.Sleep(300 * time.Millisecond) // longer than idle: nothing is read meanwhile
		})
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 2, n)
	})
}

func TestStreamRefused(t *testing.T) {
	cases := []struct {
		name   string
		code   int
		ctype  string
		header map[string]string
		body   string
		kind   Kind
	}{
		{"403 INVALID_API_KEY", 403, "application/json", nil, `{"success":false,"error":{"code":"INVALID_API_KEY","message":"Invalid API key"}}`, KindKey},
		{"403 without a code", 403, "text/plain", nil, `Forbidden`, KindKey},
		{"403 an unknown code", 403, "application/json", nil, `{"success":false,"error":{"code":"FORBIDDEN"}}`, KindKey},
		{"401", 401, "", nil, ``, KindKey},
		{"403 ACCOUNT_INACTIVE", 403, "application/json", nil, `{"success":false,"error":{"code":"ACCOUNT_INACTIVE","message":"inactive"}}`, KindAuth},
		{"404 INVALID_ACCOUNT: the webhook is unknown", 404, "application/json", nil, `{"success":false,"error":{"code":"INVALID_ACCOUNT","message":"Not found"}}`, KindInvalid},
		{"429", 429, "", map[string]string{"Retry-After": "5"}, ``, KindRateLimited},
		{"500", 500, "application/json", nil, `{"success":false,"error":{"code":"INTERNAL_ERROR"}}`, KindUnknown},
		{"204", 204, "", nil, ``, KindUnknown},
		{"200 in JSON, a refusal", 200, "application/json; charset=utf-8", nil, `{"success":false,"error":{"code":"INVALID_API_KEY"}}`, KindKey},
		{"200 in JSON, no stream", 200, "application/json", nil, `{"success":true,"data":{}}`, KindUnknown},
		{"a redirect is not followed", 302, "", map[string]string{"Location": "http://127.0.0.1:1/elsewhere"}, ``, KindUnknown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, log := v2server(t, tc.code, tc.header, tc.body)
			if tc.ctype != "" {
				s.Config.Handler = withContentType(s.Config.Handler, tc.ctype)
			}
			frames, err := collect(v2client(s.URL), "wh-1", guard, -1)
			assert.Empty(t, frames)
			le := AsError(err)
			assert.Equal(t, tc.kind, le.Kind, le.Error())
			assert.Equal(t, tc.code, le.Status)
			assert.Contains(t, le.Message, "the event stream was refused")
			assert.NotContains(t, le.Error(), "key-1")
			assert.EqualValues(t, 1, log.calls.Load())
		})
	}
}

func withContentType(h http.Handler, ctype string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ctype)
		h.ServeHTTP(w, r)
	})
}

// TestStreamErrorsHoldNoSecret: the key, raw or escaped, and the stream's
// URL appear in no error of any way the stream can fail, even where net/http
// names the URL or Linkup echoes it.
func TestStreamErrorsHoldNoSecret(t *testing.T) {
	const key = "sk+live/KEY=?&x"
	echo := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			_, _ = io.WriteString(w, `{"success":false,"error":{"code":"INVALID_API_KEY","message":"bad key `+r.URL.Query().Get("api_key")+` at `+r.URL.String()+`"}}`)
		}
	}
	refused := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := l.Addr().String()
		require.NoError(t, l.Close())
		return "http://" + addr
	}()
	servers := map[string]http.HandlerFunc{
		"403 echoing the URL": echo(403),
		"500 echoing the URL": echo(500),
		"a drop": func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "data: x")
			w.(http.Flusher).Flush()
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				_ = conn.Close()
			}
		},
		"an end":  func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, ": bye\n") },
		"silence": func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
	}
	bases := map[string]string{"connection refused": refused, "a bad base URL": "http://[::1"}
	for name, h := range servers {
		s := httptest.NewServer(h)
		defer s.Close()
		bases[name] = s.URL
	}
	for name, base := range bases {
		t.Run(name, func(t *testing.T) {
			c := New(Config{BaseURL: base, Version: V2, APIKey: key, Timeout: time.Second})
			_, err := collect(c, "wh-1", 300*time.Millisecond, -1)
			require.Error(t, err)
			for _, secret := range []string{key, url.QueryEscape(key), "api_key=sk", "sk+live", "sk%2Blive"} {
				assert.NotContains(t, err.Error(), secret)
			}
			if ue, ok := errors.AsType[*url.Error](err); ok {
				assert.NotContains(t, ue.URL, "sk")
				assert.NotContains(t, ue.Error(), "sk")
			}
			var le *Error
			require.ErrorAs(t, err, &le)
			assert.NotContains(t, le.Message, "sk")
		})
	}
}

func TestStreamHasNoOverallTimeout(t *testing.T) {
	c := New(Config{Version: V2, HTTPClient: &http.Client{Timeout: time.Second}, Timeout: time.Second})
	assert.Equal(t, time.Second, c.httpClient.Timeout, "calls keep the caller's client")
	assert.Zero(t, c.streamClient.Timeout, "the stream is long-lived: only its idle watchdog ends it")
	assert.NotNil(t, c.streamClient.CheckRedirect, "and follows no redirect, which would carry the key elsewhere")
}

func TestStreamNeedsAWebhook(t *testing.T) {
	s := newSSEServer(t)
	err := v2client(s.URL).Stream(context.Background(), "", guard, nil)
	assert.Equal(t, KindInvalid, AsError(err).Kind)
	assert.Zero(t, s.calls.Load())
}

// parse feeds input to a parser in pieces of n bytes (all at once when n
// is 0) and returns the frames.
func parse(input []byte, n int) []sseFrame {
	var p sseParser
	var frames []sseFrame
	emit := func(f sseFrame) { frames = append(frames, f) }
	if n <= 0 {
		p.feed(input, emit)
		return frames
	}
	for len(input) > 0 {
		k := min(n, len(input))
		p.feed(input[:k], emit)
		input = input[k:]
	}
	return frames
}

func TestSSEParser(t *testing.T) {
	cases := []struct {
		name, in string
		want     []sseFrame
	}{
		{"the spec's first example", "data: YHOO\ndata: +2\ndata: 10\n\n", []sseFrame{{name: "message", data: "YHOO\n+2\n10"}}},
		{"the spec's two events and a comment", ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n",
			[]sseFrame{{name: "message", data: "first event"}, {name: "message", data: "second event"}}},
		{"empty data lines", "data\n\ndata\ndata\n\ndata:\n", []sseFrame{{name: "message"}, {name: "message", data: "\n"}}},
		{"the name is per frame", "event: a\ndata: 1\n\ndata: 2\n\n", []sseFrame{{name: "a", data: "1"}, {name: "message", data: "2"}}},
		{"no data, no frame", "event: a\n\n\n\nevent: b\nid: 3\n\n", nil},
		{"mixed line ends", "data: 1\r\ndata: 2\rdata: 3\n\r\n", []sseFrame{{name: "message", data: "1\n2\n3"}}},
		{"a BOM only at the start", "\xef\xbb\xbfdata: 1\n\n\xef\xbb\xbfdata: 2\n\n", []sseFrame{{name: "message", data: "1"}}},
		{"unknown fields ignored", "foo: bar\ndata: 1\nEvent: x\n\n", []sseFrame{{name: "message", data: "1"}}},
		{"a colon in the value", "data: a: b\n\n", []sseFrame{{name: "message", data: "a: b"}}},
		{"the last frame without a blank line is dropped", "data: 1\n\ndata: 2\n", []sseFrame{{name: "message", data: "1"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, n := range []int{0, 1, 2, 3, 7} {
				assert.Equal(t, tc.want, parse([]byte(tc.in), n), "pieces of %d", n)
			}
		})
	}
}

// FuzzSSEParser: however the bytes are cut, the same frames come out, no
// frame holds more than the bound, and nothing panics. The seeds run in
// every go test.
func FuzzSSEParser(f *testing.F) {
	for _, seed := range []string{
		streamDoc,
		strings.ReplaceAll(streamDoc, "\n", "\r\n"),
		strings.ReplaceAll(streamDoc, "\n", "\r"),
		"data: a\r\n\r\ndata: b\r\r\n\n",
		"\xef\xbb\xbf:\n\ndata\n\nevent\ndata:\n\n",
		"event: webhook\ndata: {\"event\":{\"type\":\"message\"}}\n\n",
		"data: \x00\xff\n\n",
		"\r\r\r\n\n\n:",
	} {
		f.Add([]byte(seed), uint8(1))
		f.Add([]byte(seed), uint8(5))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut uint8) {
		whole := parse(in, 0)
		pieces := parse(in, int(cut%17)+1)
		if !assert.Equal(t, whole, pieces) {
			return
		}
		for _, fr := range whole {
			assert.LessOrEqual(t, len(fr.data), maxSSEData)
			assert.NotEmpty(t, fr.name)
			_ = fr.frame() // classifying never panics either
		}
		assert.LessOrEqual(t, bytes.Count(in, []byte("\n"))+bytes.Count(in, []byte("\r")), len(in))
	})
}
