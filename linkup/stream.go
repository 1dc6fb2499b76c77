package linkup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// The event stream of a hosted webhook: GET /v2/webhooks/{id}/stream, as
// Server-Sent Events. It takes the API key in its query string, so its URL
// is a secret: it appears in no error this package returns.

// DefaultStreamIdle is how long Stream waits with nothing at all arriving
// before it calls the stream dead: three of Linkup's 30-second keepalives.
const DefaultStreamIdle = 90 * time.Second

// ErrStreamSilent is wrapped by Stream's error when nothing, not even a
// keepalive, arrived for the idle time it was given.
var ErrStreamSilent = errors.New("the event stream went silent")

// Bounds on what one frame may hold, so that a hostile or broken stream
// cannot take the memory: a longer line is dropped (and its frame is
// FrameUnreadable), as is a frame with more data.
const (
	maxSSELine = 1 << 20
	maxSSEData = 1 << 20
	// maxFrameData bounds StreamFrame.Data.
	maxFrameData = 4 << 10
)

// FrameKind says what a stream frame is.
type FrameKind int

const (
	// FrameConnected: the stream is open (event: connected); WebhookID and
	// AccountID are set when the frame gives them.
	FrameConnected FrameKind = iota + 1
	// FrameEvent: an event of the watched account (event: webhook, or an
	// unnamed frame whose data is an event); Event is set.
	FrameEvent
	// FrameOther: a frame of another name, kept as it came: Name and Data.
	FrameOther
	// FrameUnreadable: a webhook frame whose data is not an event, or a
	// frame too large to keep; Name, and Data when it was kept.
	FrameUnreadable
)

func (k FrameKind) String() string {
	switch k {
	case FrameConnected:
		return "connected"
	case FrameEvent:
		return "event"
	case FrameOther:
		return "other"
	case FrameUnreadable:
		return "unreadable"
	default:
		return fmt.Sprintf("frame(%d)", int(k))
	}
}

// StreamFrame is one frame of the event stream.
type StreamFrame struct {
	Kind FrameKind
	// Name is the frame's event name; "message" when it named none.
	Name string
	// Event is set on FrameEvent.
	Event Event
	// WebhookID and AccountID are set on FrameConnected when given.
	WebhookID, AccountID string
	// Data is the frame's data on FrameOther and FrameUnreadable, cut to
	// 4 KiB: Linkup's bytes (which may hold a message's text), never the key.
	Data string
}

// Stream holds a hosted webhook's event stream and calls on with each
// frame, in order, on the calling goroutine: nothing more is read while on
// runs. Keepalive comments call nothing but keep the stream alive. A frame
// that cannot be read is a FrameUnreadable, never an error.
//
// Stream has no overall timeout: it returns when ctx ends (ctx's error),
// or with a *Error when the stream cannot be opened, when Linkup answers
// anything but 200 (KindKey for a 401 or 403 that is the key's, KindInvalid
// for a 404: the webhook is unknown), when the connection drops or Linkup
// ends it, or when nothing at all arrives for idle (DefaultStreamIdle when
// 0), which wraps ErrStreamSilent. The stream's events have no id and no
// resume: after any return, catch up with Events.
//
// The URL is built from the client's base URL and webhookID (never from an
// answer's stream_url), and appears in no error.
func (c *Client) Stream(ctx context.Context, webhookID string, idle time.Duration, on func(StreamFrame)) error {
	path, err := webhookPath(webhookID, "/stream")
	if err != nil {
		return err
	}
	if idle <= 0 {
		idle = DefaultStreamIdle
	}
	if on == nil {
		on = func(StreamFrame) {}
	}
	streamURL := c.baseURL + path + "?api_key=" + url.QueryEscape(c.apiKey)
	s := &stream{c: c, caller: ctx, idle: idle, url: streamURL, safeURL: c.baseURL + path + "?api_key=" + redacted}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The watchdog runs only while the stream is waited on: from the
	// request to its answer, and during each read.
	watchdog := time.AfterFunc(idle, func() {
		s.silent.Store(true)
		cancel()
	})
	defer watchdog.Stop()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, streamURL, http.NoBody)
	if err != nil {
		return s.fail(&Error{Kind: KindUnreachable, Message: "the Linkup URL is not valid", Err: err})
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := c.streamClient.Do(req)
	if err != nil {
		return s.fail(&Error{Kind: KindUnreachable, Message: "the event stream could not be opened", Err: err})
	}
	defer resp.Body.Close()
	if err := s.refused(resp); err != nil {
		return s.fail(err)
	}

	var p sseParser
	emit := func(f sseFrame) {
		if s.caller.Err() == nil { // once the caller is done, nothing more is handed to it
			on(f.frame())
		}
	}
	buf := make([]byte, 32<<10)
	for {
		watchdog.Reset(idle)
		n, err := resp.Body.Read(buf)
		watchdog.Stop()
		if n > 0 {
			p.feed(buf[:n], emit)
		}
		switch {
		case err == io.EOF:
			return s.fail(&Error{Kind: KindUnknown, Status: resp.StatusCode, Message: "Linkup ended the event stream"})
		case err != nil:
			return s.fail(&Error{Kind: KindUnknown, Status: resp.StatusCode, Message: "the event stream broke off", Err: err})
		}
	}
}

// stream is what Stream's errors need to know.
type stream struct {
	c       *Client
	caller  context.Context
	idle    time.Duration
	url     string
	safeURL string
	silent  atomic.Bool
}

// fail is Stream's return for e: ctx's error when the caller ended it, the
// silence when the watchdog did, else e; never with the URL or the key.
func (s *stream) fail(e *Error) error {
	if err := s.caller.Err(); err != nil {
		return err
	}
	if s.silent.Load() {
		e = &Error{Kind: KindUnknown, Status: e.Status, Message: fmt.Sprintf("nothing, not even a keepalive, came for %s", s.idle), Err: ErrStreamSilent}
	}
	if ue, ok := e.Err.(*url.Error); ok {
		e.Err = &url.Error{Op: ue.Op, URL: s.safeURL, Err: ue.Err}
	}
	return s.c.redact(e, s.url)
}

// refused is the error of an answer that is not an event stream: any
// status but 200, or a JSON body.
func (s *stream) refused(resp *http.Response) *Error {
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode == http.StatusOK && ct != "application/json" {
		return nil
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	_, err := decodeAnswerV2(resp, raw)
	e, ok := err.(*Error)
	if !ok { // a success, but no stream
		e = &Error{Kind: KindUnknown, Status: resp.StatusCode, Message: fmt.Sprintf("Linkup answered HTTP %d in JSON, not an event stream", resp.StatusCode)}
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		// The webhook is unknown (Linkup may say INVALID_ACCOUNT, as for
		// any unknown path): no account is to blame.
		e.Kind = KindInvalid
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		// The stream authenticates the key alone: only an account's own
		// code (ACCOUNT_INACTIVE, INVALID_ACCOUNT) blames the account.
		if k, _ := kindOfCode(e.Code); k != KindAuth {
			e.Kind = KindKey
		}
	}
	e.Message = "the event stream was refused: " + e.Message
	return e
}

// frame classifies a parsed frame.
func (f sseFrame) frame() StreamFrame {
	sf := StreamFrame{Name: f.name, Data: cutUTF8(f.data, maxFrameData)}
	if f.broken {
		sf.Kind, sf.Data = FrameUnreadable, ""
		return sf
	}
	switch f.name {
	case "connected":
		var d struct {
			WebhookID flexString `json:"webhook_id"`
			AccountID flexString `json:"account_id"`
		}
		lenient([]byte(f.data), &d)
		sf.Kind = FrameConnected
		sf.WebhookID, sf.AccountID = strings.TrimSpace(string(d.WebhookID)), strings.TrimSpace(string(d.AccountID))
	case "webhook", "message":
		e, ok := decodeEvent([]byte(f.data))
		switch {
		case ok:
			sf.Kind, sf.Event, sf.Data = FrameEvent, e, ""
		case f.name == "webhook":
			sf.Kind = FrameUnreadable
		default:
			sf.Kind = FrameOther
		}
	default:
		sf.Kind = FrameOther
	}
	return sf
}

// cutUTF8 is s cut to at most n bytes, on a rune boundary.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// sseFrame is one dispatched Server-Sent Events frame.
type sseFrame struct {
	name   string // "message" when the frame named none
	data   string
	broken bool // a line was too long or the data too large: data dropped
}

// sseParser reads Server-Sent Events as the WHATWG HTML standard's
// "interpreting an event stream" says, from bytes fed in any pieces: lines
// end with CRLF, LF or CR; a line starting with ':' is a comment; "field:
// value" (one space after the colon dropped) sets event or adds a data
// line; a blank line dispatches the frame, if it has data; a frame not
// ended by a blank line when the stream ends is never dispatched (the
// caller just stops feeding). id and retry are read and not used.
type sseParser struct {
	line     []byte
	lineLong bool // the line passed maxSSELine: its rest is dropped
	afterCR  bool // the last byte was a CR: an LF now ends no line
	started  bool // a line was read (a BOM is dropped only before the first)
	name     string
	data     []byte
	broken   bool
}

var bom = []byte("\xef\xbb\xbf")

// feed reads b and calls emit with each frame it completes.
func (p *sseParser) feed(b []byte, emit func(sseFrame)) {
	for len(b) > 0 {
		if p.afterCR {
			p.afterCR = false
			if b[0] == '\n' {
				b = b[1:]
				continue
			}
		}
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			p.add(b)
			return
		}
		p.add(b[:i])
		p.afterCR = b[i] == '\r'
		b = b[i+1:]
		p.endLine(emit)
	}
}

// add appends part to the line, up to maxSSELine.
func (p *sseParser) add(part []byte) {
	if p.lineLong {
		return
	}
	if room := maxSSELine - len(p.line); len(part) > room {
		part, p.lineLong = part[:room], true
	}
	p.line = append(p.line, part...)
}

func (p *sseParser) endLine(emit func(sseFrame)) {
	line, long := p.line, p.lineLong
	p.line, p.lineLong = p.line[:0], false
	if !p.started {
		p.started = true
		line = bytes.TrimPrefix(line, bom)
	}
	switch {
	case len(line) == 0 && !long:
		p.dispatch(emit)
		return
	case len(line) > 0 && line[0] == ':':
		return // a comment (the keepalive), however long
	case long:
		p.broken = true
		return
	}
	field, value, found := bytes.Cut(line, []byte(":"))
	if found {
		value = bytes.TrimPrefix(value, []byte(" "))
	}
	switch string(field) {
	case "event":
		p.name = string(value)
	case "data":
		if len(p.data)+len(value)+1 > maxSSEData {
			p.broken = true
			return
		}
		p.data = append(p.data, value...)
		p.data = append(p.data, '\n')
	}
}

func (p *sseParser) dispatch(emit func(sseFrame)) {
	name, data, broken := p.name, p.data, p.broken
	p.name, p.data, p.broken = "", p.data[:0], false
	if len(data) == 0 && !broken {
		return
	}
	if name == "" {
		name = "message"
	}
	f := sseFrame{name: name, broken: broken}
	if !broken {
		f.data = string(bytes.TrimSuffix(data, []byte("\n")))
	}
	emit(f)
}
