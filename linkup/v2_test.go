package linkup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The v2 shapes below are those of ../shared/linkup-v2.md, each from the
// page its test names.

func v2client(url string) *Client {
	return New(Config{BaseURL: url + "/", Version: "v2", APIKey: "key-1", LoginToken: "login-1", Timeout: 2 * time.Second})
}

var janeV2 = Message{AccountID: "acc-1", ProfileURL: "https://www.linkedin.com/in/jane-doe", Text: "Hi Jane", Country: "FR"}

// requestLog records what a test server received.
type requestLog struct {
	calls         atomic.Int32
	method, path  string
	query, key    string
	contentLength int64
	body          map[string]any
	raw           []byte
}

// v2server answers every request with code, header and body, and records
// the last request.
func v2server(t *testing.T, code int, header map[string]string, body string) (*httptest.Server, *requestLog) {
	t.Helper()
	log := &requestLog{}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		log.method, log.path, log.query, log.key, log.contentLength = r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("x-api-key"), r.ContentLength
		log.raw, log.body = raw, nil
		_ = json.Unmarshal(raw, &log.body)
		log.calls.Add(1)
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(s.Close)
	return s, log
}

// sendDoc is the send's documented success,
// https://docs.linkupapi.com/api-reference/v2/messages/send, with the
// metadata of https://docs.linkupapi.com/api-reference/v2/introduction.
const sendDoc = `{"success":true,"data":{"entityUrn":"urn:li:msg_message:(urn:li:fsd_profile:ACoAAMe,2-YWJjMTIz)","conversation_id":"2-YWJjMTIz","deliveredAt":"2025-01-15T10:31:00.000Z"},
"metadata":{"action":"send","account_id":"69c127c37cae0494dd827286","credits_consumed":1,"timestamp":"2025-01-15T10:35:00.000000"}}`

func TestV2SendRequest(t *testing.T) {
	s, log := v2server(t, 200, nil, sendDoc)
	c := v2client(s.URL)
	assert.Equal(t, V2, c.Version())

	_, err := c.SendMessage(context.Background(), janeV2)
	require.NoError(t, err)
	assert.Equal(t, "POST", log.method)
	assert.Equal(t, "/v2/messages", log.path)
	assert.Equal(t, "key-1", log.key)
	assert.Equal(t, map[string]any{"account_id": "acc-1", "action": "send", "params": map[string]any{
		"profile_url": "https://www.linkedin.com/in/jane-doe", "message_text": "Hi Jane",
	}}, log.body, "no login_token, no country, no media fields")

	m := janeV2
	m.MediaLink = "https://example.com/a.pdf"
	m.Media = &Media{MIME: "application/pdf", Size: 3, Body: strings.NewReader("abc")}
	_, err = c.SendMessage(context.Background(), m)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"profile_url": "https://www.linkedin.com/in/jane-doe", "message_text": "Hi Jane", "media_link": "https://example.com/a.pdf"},
		log.body["params"], "media_link wins over media_file")
	assert.EqualValues(t, 2, log.calls.Load())
}

func TestV2SendWithoutAccountIsNotSent(t *testing.T) {
	s, log := v2server(t, 200, nil, sendDoc)
	m := janeV2
	m.AccountID = " "
	_, err := v2client(s.URL).SendMessage(context.Background(), m)
	var le *Error
	require.ErrorAs(t, err, &le)
	assert.Equal(t, KindInvalid, le.Kind)
	assert.Zero(t, log.calls.Load(), "no account: nothing goes to Linkup")
}

func TestV2SendAnswers(t *testing.T) {
	iso := time.Date(2025, 1, 15, 10, 31, 0, 0, time.UTC)
	type want struct {
		kind       Kind // 0: success
		code       string
		message    string
		credits    int
		retryAfter time.Duration
		res        Result
	}
	// The error bodies follow https://docs.linkupapi.com/api-reference/v2/error-codes.
	errBody := func(code string) string {
		return `{"success":false,"error":{"code":"` + code + `","message":"` + code + ` happened"},"metadata":{"action":"send","credits_consumed":0,"timestamp":"2025-01-15T10:35:00.000000"}}`
	}
	cases := []struct {
		name   string
		code   int
		header map[string]string
		body   string
		want   want
	}{
		{name: "documented success", code: 200, body: sendDoc, want: want{res: Result{EntityURN: "urn:li:msg_message:(urn:li:fsd_profile:ACoAAMe,2-YWJjMTIz)", ConversationID: "2-YWJjMTIz", DeliveredAt: iso, Credits: 1}}},
		{name: "v1's forms: URN conversation id, epoch ms, entity_urn, no metadata", code: 200,
			body: `{"success":true,"data":{"entity_urn":"urn:li:msg:1","conversation_id":"urn:li:msg_conversation:(urn:li:fsd_profile:ACoAAMe,2-YWJjMTIz)","deliveredAt":1736937060000}}`,
			want: want{res: Result{EntityURN: "urn:li:msg:1", ConversationID: "2-YWJjMTIz", DeliveredAt: time.UnixMilli(1736937060000).UTC(), Credits: CreditsText}}},
		{name: "credits as a string, time without zone, odd fields", code: 201,
			body: `{"success":"true","data":{"entityUrn":["odd"],"conversation_id":"2-a","delivered_at":"2025-01-15T10:31:00"},"metadata":{"credits_consumed":"3","timestamp":{}}}`,
			want: want{res: Result{ConversationID: "2-a", DeliveredAt: iso, Credits: 3}}},
		{name: "no data, metadata not an object", code: 200, body: `{"success":true,"data":null,"metadata":"x"}`, want: want{res: Result{Credits: CreditsText}}},

		{name: "INVALID_API_KEY", code: 403, body: errBody("INVALID_API_KEY"), want: want{kind: KindKey, code: "INVALID_API_KEY", message: "INVALID_API_KEY happened"}},
		{name: "INVALID_ACCOUNT", code: 404, body: errBody("INVALID_ACCOUNT"), want: want{kind: KindAuth, code: "INVALID_ACCOUNT"}},
		{name: "ACCOUNT_INACTIVE", code: 403, body: errBody("ACCOUNT_INACTIVE"), want: want{kind: KindAuth, code: "ACCOUNT_INACTIVE"}},
		{name: "INVALID_ACTION", code: 400, body: errBody("INVALID_ACTION"), want: want{kind: KindInvalid, code: "INVALID_ACTION"}},
		{name: "INVALID_PARAMS", code: 400, body: errBody("INVALID_PARAMS"), want: want{kind: KindInvalid, code: "INVALID_PARAMS", message: "INVALID_PARAMS happened"}},
		{name: "RATE_LIMITED", code: 429, header: map[string]string{"Retry-After": "30"}, body: errBody("RATE_LIMITED"), want: want{kind: KindRateLimited, code: "RATE_LIMITED", retryAfter: 30 * time.Second}},
		{name: "INSUFFICIENT_CREDITS", code: 402, body: errBody("INSUFFICIENT_CREDITS"), want: want{kind: KindCredits, code: "INSUFFICIENT_CREDITS"}},
		{name: "INTERNAL_ERROR", code: 500, body: errBody("INTERNAL_ERROR"), want: want{kind: KindUnknown, code: "INTERNAL_ERROR", message: "Linkup answered HTTP 500 (INTERNAL_ERROR happened)"}},
		{name: "a 5xx with a refusal's body is still unknown", code: 502, body: errBody("INVALID_PARAMS"), want: want{kind: KindUnknown, code: "INVALID_PARAMS"}},
		{name: "503 from a gateway", code: 503, body: `<html>Service Unavailable</html>`, want: want{kind: KindUnknown, message: "Linkup answered HTTP 503 (Service Unavailable)"}},
		{name: "504 empty", code: 504, want: want{kind: KindUnknown}},
		{name: "429 without a body", code: 429, want: want{kind: KindRateLimited, message: "Too Many Requests"}},
		{name: "401 without a code is the key's", code: 401, body: `{"message":"Unauthorized"}`, want: want{kind: KindKey, message: "Unauthorized"}},
		{name: "402 without a code", code: 402, want: want{kind: KindCredits}},
		{name: "403 without a code is no account's", code: 403, body: `{"message":"Forbidden"}`, want: want{kind: KindInvalid, message: "Forbidden"}},
		{name: "404 without a code", code: 404, body: ``, want: want{kind: KindInvalid, message: "Not Found"}},
		{name: "an unknown code on a 4xx", code: 409, body: errBody("SOMETHING_NEW"), want: want{kind: KindInvalid, code: "SOMETHING_NEW"}},
		{name: "error as a bare string", code: 400, body: `{"success":false,"error":"Profile not found"}`, want: want{kind: KindInvalid, message: "Profile not found"}},
		{name: "a failure that says it cost a credit", code: 400, body: `{"success":false,"error":{"code":"INVALID_PARAMS"},"metadata":{"credits_consumed":1}}`, want: want{kind: KindInvalid, code: "INVALID_PARAMS", credits: 1, message: "INVALID_PARAMS"}},

		{name: "200 success:false", code: 200, body: errBody("INVALID_PARAMS"), want: want{kind: KindInvalid, code: "INVALID_PARAMS"}},
		{name: "200 success:false without a code", code: 200, body: `{"success":false}`, want: want{kind: KindInvalid, message: "Linkup refused the request"}},
		{name: "200 success:false ACCOUNT_INACTIVE", code: 200, body: errBody("ACCOUNT_INACTIVE"), want: want{kind: KindAuth, code: "ACCOUNT_INACTIVE"}},
		{name: "200 success:false INVALID_API_KEY", code: 200, body: errBody("INVALID_API_KEY"), want: want{kind: KindKey, code: "INVALID_API_KEY"}},
		{name: "200 success:false INSUFFICIENT_CREDITS", code: 200, body: errBody("INSUFFICIENT_CREDITS"), want: want{kind: KindCredits}},
		{name: "200 success:false RATE_LIMITED", code: 200, body: errBody("RATE_LIMITED"), want: want{kind: KindRateLimited}},
		{name: "200 success:false INTERNAL_ERROR", code: 200, body: errBody("INTERNAL_ERROR"), want: want{kind: KindUnknown}},
		{name: "200 success as the string false", code: 200, body: `{"success":"false","error":{"code":"INVALID_PARAMS"}}`, want: want{kind: KindInvalid}},
		{name: "200 without success", code: 200, body: `{"data":{"conversation_id":"2-a"}}`, want: want{kind: KindUnknown}},
		{name: "200 v1's shape", code: 200, body: `{"status":"success","message":"Message sent successfully"}`, want: want{kind: KindUnknown}},
		{name: "200 not JSON", code: 200, body: `<html>gateway</html>`, want: want{kind: KindUnknown, message: "Linkup's answer could not be read"}},
		{name: "200 a JSON list", code: 200, body: `[]`, want: want{kind: KindUnknown}},
		{name: "307 is not followed", code: 307, header: map[string]string{"Location": "/v2/elsewhere"}, want: want{kind: KindUnknown}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, log := v2server(t, tc.code, tc.header, tc.body)
			res, err := v2client(s.URL).SendMessage(context.Background(), janeV2)
			assert.EqualValues(t, 1, log.calls.Load(), "one call, never retried")
			if tc.want.kind == 0 {
				require.NoError(t, err)
				assert.Equal(t, tc.want.res, res)
				return
			}
			var le *Error
			require.ErrorAs(t, err, &le)
			assert.Equal(t, tc.want.kind, le.Kind, le.Error())
			assert.Equal(t, tc.code, le.Status)
			if tc.want.code != "" {
				assert.Equal(t, tc.want.code, le.Code)
				assert.Contains(t, le.Error(), tc.want.code)
			}
			if tc.want.message != "" {
				assert.Equal(t, tc.want.message, le.Message)
			}
			assert.Equal(t, tc.want.credits, le.Credits, "errors cost what metadata says, 0 when it says nothing")
			assert.Equal(t, tc.want.retryAfter, le.RetryAfter)
			assert.Equal(t, tc.want.kind == KindUnknown, le.MayHaveSent())
			assert.Equal(t, tc.code == 429, le.SafeToResend(), "only a real 429 may be resent")
			assert.NotContains(t, le.Error(), "key-1")
		})
	}
}

// TestV2SendIsMadeOnceWhateverBecomesOfIt counts the requests that reach
// the server when the answer never comes whole.
func TestV2SendIsMadeOnceWhateverBecomesOfIt(t *testing.T) {
	t.Run("hang past the timeout", func(t *testing.T) {
		var calls atomic.Int32
		release := make(chan struct{})
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer s.Close()
		defer close(release)
		c := New(Config{BaseURL: s.URL, Version: V2, APIKey: "key-1", Timeout: 100 * time.Millisecond})
		_, err := c.SendMessage(context.Background(), janeV2)
		var le *Error
		require.ErrorAs(t, err, &le)
		assert.Equal(t, KindUnknown, le.Kind)
		assert.True(t, errors.Is(err, context.DeadlineExceeded))
		assert.EqualValues(t, 1, calls.Load())
	})
	t.Run("connection closed after the body", func(t *testing.T) {
		var calls atomic.Int32
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			calls.Add(1)
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				_ = conn.Close()
			}
		}))
		defer s.Close()
		_, err := v2client(s.URL).SendMessage(context.Background(), janeV2)
		var le *Error
		require.ErrorAs(t, err, &le)
		assert.Equal(t, KindUnknown, le.Kind)
		assert.EqualValues(t, 1, calls.Load(), "a broken connection is not retried by net/http")
	})
	t.Run("answer cut off", func(t *testing.T) {
		var calls atomic.Int32
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.Header().Set("Content-Length", "500")
			_, _ = io.WriteString(w, `{"success":true,`)
			w.(http.Flusher).Flush()
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				_ = conn.Close()
			}
		}))
		defer s.Close()
		_, err := v2client(s.URL).SendMessage(context.Background(), janeV2)
		var le *Error
		require.ErrorAs(t, err, &le)
		assert.Equal(t, KindUnknown, le.Kind)
		assert.EqualValues(t, 1, calls.Load())
	})
	t.Run("connection refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := l.Addr().String()
		require.NoError(t, l.Close())
		_, err = v2client("http://"+addr).SendMessage(context.Background(), janeV2)
		var le *Error
		require.ErrorAs(t, err, &le)
		assert.Equal(t, KindUnreachable, le.Kind)
		assert.True(t, le.SafeToResend())
	})
	t.Run("HTTP/2 stream reset after the body", func(t *testing.T) {
		h := newH2Server(t, 1000)
		c := New(Config{BaseURL: h.srv.URL, Version: V2, APIKey: "key-1", Timeout: 3 * time.Second, HTTPClient: h.srv.Client()})
		_, err := c.SendMessage(context.Background(), janeV2)
		complete, bodies := h.counts()
		assert.Equal(t, 1, complete, "exactly one complete POST reached Linkup")
		var le *Error
		require.ErrorAs(t, err, &le)
		assert.Equal(t, KindUnknown, le.Kind)
		require.Len(t, bodies, 1)
		assert.Contains(t, string(bodies[0]), `"account_id":"acc-1"`)
	})
}

// v2MediaServer decodes each send's params.media_file and records the last.
func v2MediaServer(t *testing.T) (*httptest.Server, *atomic.Pointer[map[string]any], *atomic.Int64, *atomic.Int32) {
	var last atomic.Pointer[map[string]any]
	var contentLength atomic.Int64
	var complete atomic.Int32
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		contentLength.Store(r.ContentLength)
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			w.WriteHeader(400)
			return
		}
		complete.Add(1)
		last.Store(&body)
		_, _ = io.WriteString(w, `{"success":true,"data":{},"metadata":{"credits_consumed":2}}`)
	}))
	t.Cleanup(s.Close)
	return s, &last, &contentLength, &complete
}

// TestV2MediaIsStreamedAsBase64: media_file is {data, filename}, data the
// file in plain base64 (https://docs.linkupapi.com/api-reference/v2/messages/send).
func TestV2MediaIsStreamedAsBase64(t *testing.T) {
	for _, tc := range []struct {
		size       int
		mime, name string
		wantName   string
	}{
		{1, "application/pdf", "deck.pdf", "deck.pdf"},
		{2, "image/png", "", "attachment.png"},
		{3, "image/jpeg", `my "best" shot\.jpg`, `my "best" shot\.jpg`},
		{mediaChunk - 1, "video/mp4", "", "attachment.mp4"},
		{mediaChunk, "application/pdf", "", "attachment.pdf"},
		{5*mediaChunk + 2, "image/jpeg", "été.jpg", "été.jpg"},
	} {
		s, last, cl, _ := v2MediaServer(t)
		file := make([]byte, tc.size)
		for i := range file {
			file[i] = byte(rand.IntN(256))
		}
		m := janeV2
		m.Media = &Media{MIME: tc.mime, Size: int64(tc.size), Body: bytes.NewReader(file), Name: tc.name}
		res, err := v2client(s.URL).SendMessage(context.Background(), m)
		require.NoError(t, err, tc.size)
		assert.Equal(t, 2, res.Credits)
		body := *last.Load()
		params := body["params"].(map[string]any)
		mf := params["media_file"].(map[string]any)
		decoded, err := base64.StdEncoding.DecodeString(mf["data"].(string))
		require.NoError(t, err)
		assert.Equal(t, sha256.Sum256(file), sha256.Sum256(decoded), "size %d: the data decodes to exactly the file", tc.size)
		assert.Equal(t, tc.wantName, mf["filename"])
		assert.Equal(t, "Hi Jane", params["message_text"])
		assert.Equal(t, "acc-1", body["account_id"])
		assert.NotContains(t, params, "media_link")
		raw, _ := json.Marshal(body)
		assert.Equal(t, int64(len(raw)), cl.Load(), "exact Content-Length")
	}
}

func TestV2BrokenMediaAbortsTheRequest(t *testing.T) {
	cases := []struct {
		name  string
		media *Media
		kind  Kind
	}{
		{"breaks halfway", &Media{MIME: "video/mp4", Size: 100000, Body: &brokenReader{data: make([]byte, 50000), err: errors.New("connection reset")}}, KindUnknown},
		{"ends short", &Media{MIME: "video/mp4", Size: 100000, Body: bytes.NewReader(make([]byte, 99999))}, KindUnknown},
		{"runs long", &Media{MIME: "video/mp4", Size: 100000, Body: bytes.NewReader(make([]byte, 100001))}, KindUnknown},
		{"fails at its first byte", &Media{MIME: "video/mp4", Size: 100000, Body: &brokenReader{err: errors.New("connection reset")}}, KindMedia},
		{"unknown type", &Media{MIME: "application/zip", Size: 3, Body: strings.NewReader("abc")}, KindMedia},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, _, _, complete := v2MediaServer(t)
			m := janeV2
			m.Media = tc.media
			_, err := v2client(s.URL).SendMessage(context.Background(), m)
			var le *Error
			require.ErrorAs(t, err, &le)
			assert.Equal(t, tc.kind, le.Kind, le.Error())
			assert.False(t, le.SafeToResend())
			assert.Zero(t, complete.Load(), "Linkup never got a complete request")
		})
	}
}

// TestV2MediaIsNeverHeldWhole streams a 16 MiB attachment through the
// encoder: what it allocates does not grow with the file.
func TestV2MediaIsNeverHeldWhole(t *testing.T) {
	const size = 16 << 20
	m := janeV2
	m.Media = &Media{MIME: "video/mp4", Size: size, Body: io.LimitReader(zeroReader{}, size)}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	body, n, err := encodeV2(m)
	require.NoError(t, err)
	copied, err := io.CopyBuffer(io.Discard, body, make([]byte, 32<<10))
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	assert.Equal(t, n, copied)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "a 16 MiB file is encoded in a few small buffers")
}

func TestV2ErrorsHoldNoSecret(t *testing.T) {
	// A Linkup that echoes what it was sent in its error text.
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		w.WriteHeader(400)
		msg, _ := json.Marshal("refused " + string(raw) + " for " + r.Header.Get("x-api-key"))
		_, _ = io.WriteString(w, `{"success":false,"error":{"code":"INVALID_PARAMS","message":`+string(msg)+`}}`)
	}))
	defer s.Close()
	c := New(Config{BaseURL: s.URL, Version: V2, APIKey: "sk+live/KEY=", Timeout: 2 * time.Second})
	secrets := []string{"sk+live/KEY=", "hunter2-password", "AQEDAR-token", "424242"}
	var errs []error
	_, err := c.SendMessage(context.Background(), janeV2)
	errs = append(errs, err)
	_, err = c.Login(context.Background(), "jane@example.com", "hunter2-password", "FR")
	errs = append(errs, err)
	_, err = c.Migrate(context.Background(), "AQEDAR-token", "FR")
	errs = append(errs, err)
	_, err = c.Checkpoint(context.Background(), "acc-1", "424242")
	errs = append(errs, err)
	errs = append(errs, c.CheckKey(context.Background()))
	_, err = c.Inbox(context.Background(), InboxQuery{AccountID: "acc-1"})
	errs = append(errs, err)
	_, err = c.CreateWebhook(context.Background(), "acc-1", nil)
	errs = append(errs, err)
	_, err = c.Webhooks(context.Background())
	errs = append(errs, err)
	errs = append(errs, c.StartWebhook(context.Background(), "wh-1"))
	_, err = c.Events(context.Background(), "wh-1", time.Now(), 10)
	errs = append(errs, err)
	for i, err := range errs {
		require.Error(t, err, i)
		assert.Contains(t, err.Error(), redacted, i)
		for _, secret := range secrets {
			assert.NotContains(t, err.Error(), secret, i)
		}
	}
	assert.Contains(t, errs[1].Error(), "jane@example.com", "an email is not a secret")
}

func TestVersions(t *testing.T) {
	for in, want := range map[string]string{"": V1, "v1": V1, " V2 ": V2, "v2": V2} {
		got, err := ParseVersion(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := ParseVersion("v3")
	require.Error(t, err)
	assert.Equal(t, V1, New(Config{}).Version(), "v1 by default")

	s, log := v2server(t, 200, nil, sendDoc)
	c := New(Config{BaseURL: s.URL, Version: "v3", APIKey: "k"})
	_, err = c.SendMessage(context.Background(), janeV2)
	assert.Equal(t, KindInvalid, AsError(err).Kind)
	_, err = c.Inbox(context.Background(), InboxQuery{AccountID: "a"})
	assert.Equal(t, KindInvalid, AsError(err).Kind)
	_, err = c.Conversation(context.Background(), ConversationQuery{AccountID: "a", ConversationID: "2-a"})
	assert.Equal(t, KindInvalid, AsError(err).Kind)
	_, err = c.Login(context.Background(), "a@b.c", "pw", "FR")
	assert.Equal(t, KindInvalid, AsError(err).Kind)
	assert.Zero(t, log.calls.Load(), "an unknown version sends nothing")
}

func TestKindStrings(t *testing.T) {
	assert.Equal(t, "key", KindKey.String())
	assert.Equal(t, "credits", KindCredits.String())
	e := &Error{Kind: KindKey, Status: 403, Code: "INVALID_API_KEY", Message: "Invalid API key"}
	assert.Equal(t, "linkup: key (HTTP 403, INVALID_API_KEY): Invalid API key", e.Error())
	assert.False(t, e.MayHaveSent())
	assert.False(t, e.SafeToResend())
	assert.False(t, (&Error{Kind: KindCredits}).MayHaveSent())
}

func BenchmarkV2MediaBody(b *testing.B) {
	const size = 8 << 20
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		body, n, err := encodeV2(Message{AccountID: "a", ProfileURL: "https://www.linkedin.com/in/x", Text: "hi", Media: &Media{MIME: "image/png", Size: size, Body: io.LimitReader(zeroReader{}, size)}})
		if err != nil {
			b.Fatal(err)
		}
		if m, err := io.Copy(io.Discard, body); err != nil || m != n {
			b.Fatal(m, n, err)
		}
	}
}
