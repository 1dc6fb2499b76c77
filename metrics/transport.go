package metrics

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// maxValues caps the distinct values a label taken from the outside (an
// endpoint's path, a Slack method or error code) may take; past it, a new
// one is "other".
const maxValues = 64

// valueSet caps a label's distinct values.
type valueSet struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (s *valueSet) keep(v string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	if s.seen[v] {
		return v
	}
	if len(s.seen) >= maxValues {
		return "other"
	}
	s.seen[v] = true
	return v
}

// LinkupTransport times each Linkup call through next
// (linkedin_bot_linkup_request_seconds), to its response's headers (an
// event stream's, for a stream).
func (m *Metrics) LinkupTransport(next http.RoundTripper) http.RoundTripper {
	if m == nil {
		return next
	}
	return &linkupTransport{m: m, next: next}
}

type linkupTransport struct {
	m         *Metrics
	next      http.RoundTripper
	endpoints valueSet
}

func (t *linkupTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	t.m.linkup.WithLabelValues(t.endpoints.keep(endpoint(r.URL.EscapedPath())), outcome(resp, err)).Observe(time.Since(start).Seconds())
	return resp, err
}

// word is a path segment kept in an endpoint: lower-case words, as
// Linkup's are (messages, send-message, webhooks); anything else (an ID)
// becomes {id}.
var word = regexp.MustCompile(`^[a-z]+([-_][a-z]+)*$`)

// endpoint is a Linkup path with its IDs taken out: /v2/webhooks/{id}/start.
func endpoint(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		if i == 0 && (s == "v1" || s == "v2") {
			continue
		}
		if !word.MatchString(s) || len(s) > 32 {
			segs[i] = "{id}"
		}
	}
	return "/" + strings.Join(segs, "/")
}

// outcome names how a call ended.
func outcome(resp *http.Response, err error) string {
	switch {
	case err != nil && timeout(err):
		return "timeout"
	case err != nil:
		return "network"
	case resp.StatusCode == http.StatusTooManyRequests:
		return "rate_limited"
	case resp.StatusCode >= 500:
		return "server_error"
	case resp.StatusCode >= 400:
		return "client_error"
	}
	return "ok"
}

func timeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// SlackTransport counts each Slack Web API call through next that failed
// (linkedin_bot_slack_api_errors_total): by HTTP status, or by the error
// code of an answer whose ok is false, read as the caller reads the body.
func (m *Metrics) SlackTransport(next http.RoundTripper) http.RoundTripper {
	if m == nil {
		return next
	}
	return &slackTransport{m: m, next: next}
}

type slackTransport struct {
	m       *Metrics
	next    http.RoundTripper
	methods valueSet
	errs    valueSet
}

// slackMethod is a Web API method's name: chat.postMessage.
var slackMethod = regexp.MustCompile(`^[a-z]+(\.[a-zA-Z]+)+$`)

// slackCode is an error code as Slack writes them: not_in_channel.
var slackCode = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)

func (t *slackTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	method := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	if !slackMethod.MatchString(method) {
		method = "other"
	}
	resp, err := t.next.RoundTrip(r)
	count := func(code string) {
		t.m.slackErrors.WithLabelValues(t.methods.keep(method), t.errs.keep(code)).Inc()
	}
	switch {
	case err != nil:
		count("network")
	case resp.StatusCode == http.StatusTooManyRequests:
		count("ratelimited")
	case resp.StatusCode >= 500:
		count("http_5xx")
	case resp.StatusCode >= 400:
		count("http_4xx")
	default:
		resp.Body = &peekBody{ReadCloser: resp.Body, done: count}
	}
	return resp, err
}

// peekLen is how much of an answer is kept to find "ok":false and its
// error: Slack writes them first.
const peekLen = 256

// peekBody keeps the start of a Slack answer as the caller reads it, and
// counts its error, if any, when it is closed.
type peekBody struct {
	io.ReadCloser
	head []byte
	once sync.Once
	done func(code string)
}

func (b *peekBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if room := peekLen - len(b.head); room > 0 {
		b.head = append(b.head, p[:min(n, room)]...)
	}
	return n, err
}

func (b *peekBody) Close() error {
	b.once.Do(func() {
		if code, failed := slackError(b.head); failed {
			b.done(code)
		}
	})
	return b.ReadCloser.Close()
}

// slackError reads an answer's start: whether its ok is false, and its
// error code (one that does not look like Slack's is "other").
func slackError(head []byte) (string, bool) {
	if !bytes.Contains(head, []byte(`"ok":false`)) && !bytes.Contains(head, []byte(`"ok": false`)) {
		return "", false // the common case, without an allocation
	}
	compact := bytes.ReplaceAll(head, []byte(" "), nil)
	_, rest, ok := bytes.Cut(compact, []byte(`"error":"`))
	if !ok {
		return "unknown", true
	}
	code, _, ok := bytes.Cut(rest, []byte(`"`))
	if !ok || !slackCode.Match(code) {
		return "other", true
	}
	return string(code), true
}
