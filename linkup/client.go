// Package linkup is a client of the Linkup API, the part of it that
// linkedin-bot uses. It speaks v1 (send-message, the inbox and conversation
// reads of read.go, login) or v2 (v2.go: the same calls on an account_id,
// and the v2-only accounts, webhooks, event replay and event stream), as
// Config.Version says. It knows nothing of Slack.
//
// Linkup has no idempotency key (and v1 bills failed calls), so every error
// this package returns says whether the message may have gone out: see Error.
package linkup

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// DefaultBaseURL is Linkup's production API.
const DefaultBaseURL = "https://api.linkupapi.com"

// sendPath is the v1 send-message endpoint, below the base URL.
const sendPath = "/v1/messages/send-message"

// maxAnswerBytes bounds how much of an answer is read; Linkup's are a few hundred bytes.
const maxAnswerBytes = 1 << 20

// Credits Linkup charges for one message.
const (
	CreditsText  = 1
	CreditsMedia = 2
)

// Message is one LinkedIn direct message to send.
type Message struct {
	// ProfileURL is the recipient, as ProfileURL returns it.
	ProfileURL string
	// Text is the message body; required.
	Text string
	// Country is the proxy country; empty lets Linkup choose (FR).
	Country string
	// MediaLink is an optional public URL of a .png, .jpg, .mp4 or .pdf file.
	// It wins over Media, as it does at Linkup: Media is then not read.
	MediaLink string
	// Media is an optional file sent as media_file, streamed from its Body.
	Media *Media
	// LoginToken is the LinkedIn session to send from; the client's
	// (LINKUP_LOGIN_TOKEN) when empty. v1 only.
	LoginToken string
	// AccountID is the Linkup account to send from; v2 only, and required
	// there (there is no client-wide default: a forgotten one must not send
	// from another account).
	AccountID string
}

// Media is a file to attach, read once as the request is written: the
// whole file is never held in memory.
type Media struct {
	// MIME is one of MediaTypes.
	MIME string
	// Size is the exact length of Body; a Body that ends sooner or later
	// aborts the request.
	Size int64
	// Body is the content. The caller closes it, if it needs closing.
	Body io.Reader
	// Name is the file name v2 sends with the file (media_file.filename);
	// "attachment" with the MIME type's extension when empty. v1 sends none.
	Name string
}

// MediaTypes are the MIME types Linkup attaches, by file extension.
var MediaTypes = map[string]string{
	"png":  "image/png",
	"jpg":  "image/jpeg",
	"jpeg": "image/jpeg",
	"mp4":  "video/mp4",
	"pdf":  "application/pdf",
}

func (m Message) media() *Media {
	if m.MediaLink != "" {
		return nil
	}
	return m.Media
}

// Credits is what Linkup charges for m when it is processed.
func (m Message) Credits() int {
	if m.MediaLink != "" || m.Media != nil {
		return CreditsMedia
	}
	return CreditsText
}

// Result is Linkup's answer to a message it sent.
type Result struct {
	// Message is Linkup's own words, e.g. "Message sent successfully".
	Message string
	// ConversationID (in its short form, see ShortConversationID),
	// EntityURN and DeliveredAt are set when Linkup returns them (newer API
	// versions); they are zero otherwise.
	ConversationID string
	EntityURN      string
	DeliveredAt    time.Time
	// Credits is what the send cost.
	Credits int
}

// Client sends messages through Linkup. It is safe for concurrent use.
type Client struct {
	baseURL    string
	apiKey     string
	loginToken string
	version    string
	httpClient *http.Client
	// streamClient is httpClient without its Timeout, for the long-lived
	// event stream (which has its own idle watchdog instead).
	streamClient *http.Client
	timeout      time.Duration
}

// Config holds what a Client needs.
type Config struct {
	// BaseURL is Linkup's API root, without the /v1 or /v2 path; DefaultBaseURL when empty.
	BaseURL string
	// Version is the API spoken by the calls both versions have
	// (SendMessage, Inbox, Conversation, Login): V1 (the default, when
	// empty) or V2. The v2-only calls (Checkpoint, Migrate, CheckKey, the
	// webhooks, Events, Stream) always speak v2. Any other value makes the
	// calls both versions have fail (KindInvalid) without a request: check
	// it first with ParseVersion.
	Version string
	// APIKey goes in the x-api-key header.
	APIKey string
	// LoginToken is the LinkedIn session of the sending account.
	LoginToken string
	// Timeout bounds one call, answer included; 60 s when zero.
	Timeout time.Duration
	// HTTPClient is the transport; http.DefaultClient's shape when nil.
	HTTPClient *http.Client
}

// New returns a Client for cfg.
func New(cfg Config) *Client {
	c := &Client{
		baseURL:    strings.TrimRight(cfg.BaseURL, "/"),
		apiKey:     cfg.APIKey,
		loginToken: cfg.LoginToken,
		version:    normalVersion(cfg.Version),
		httpClient: cfg.HTTPClient,
		timeout:    cfg.Timeout,
	}
	if c.baseURL == "" {
		c.baseURL = DefaultBaseURL
	}
	hc := http.Client{}
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	}
	// A redirect is not followed: following one re-sends the body (307,
	// 308) or drops it (the others), and either way the answer would not
	// be Linkup's to this request. It is reported as unknown.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.httpClient = &hc
	sc := hc
	sc.Timeout = 0
	c.streamClient = &sc
	if c.timeout <= 0 {
		c.timeout = 60 * time.Second
	}
	return c
}

// sendBody is the JSON body of a send-message call.
type sendBody struct {
	LinkedInURL string `json:"linkedin_url"`
	MessageText string `json:"message_text"`
	Country     string `json:"country,omitempty"`
	MediaLink   string `json:"media_link,omitempty"`
	LoginToken  string `json:"login_token"`
}

// answer is the body of every v1 answer, success or error. Data is an object
// on success in newer versions and a string on some errors.
type answer struct {
	Status  string          `json:"status"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// SendMessage sends m and returns Linkup's answer. It makes exactly one
// request: neither it nor net/http below it ever sends the body twice.
//
// On error the result is a *Error (use errors.As). Its Kind tells whether the
// message may have been sent: only KindUnknown leaves that open, and a caller
// must not resend such a message by itself. Error.SafeToResend says when a
// resend cannot make a second message.
func (c *Client) SendMessage(ctx context.Context, m Message) (Result, error) {
	switch c.version {
	case V1:
	case V2:
		return c.sendV2(ctx, m)
	default:
		return Result{}, c.badVersion()
	}
	body, length, err := c.encode(m)
	if err != nil {
		return Result{}, err
	}
	resp, raw, err := c.exchange(ctx, http.MethodPost, sendPath, body, length, maxAnswerBytes)
	if err != nil {
		return Result{}, err
	}
	a, err := decodeAnswer(resp, raw)
	if err != nil {
		return Result{}, err
	}
	return a.result(m.Credits()), nil
}

// exchange makes one request (body of length bytes, or none when body is
// nil) within the client's timeout and reads at most limit bytes of its
// answer; the answer's body is closed. It never sends the request twice (see
// request). An error is a *Error whose Kind says whether the request may
// have reached Linkup: KindUnreachable (or KindMedia) when it never left
// whole, KindUnknown once it did.
func (c *Client) exchange(ctx context.Context, method, path string, body io.Reader, length, limit int64) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	// wrote turns true once the whole request is on the wire: from then on
	// Linkup may act on it, whatever happens to the answer.
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				wrote.Store(true)
			}
		},
	}
	req, err := c.request(httptrace.WithClientTrace(ctx, trace), method, path, body, length)
	if err != nil {
		return nil, nil, err
	}

	resp, err := c.httpClient.Do(req)
	if err != nil {
		if mr, ok := body.(*mediaBody); ok && mr.err != nil {
			if mr.started {
				// Part of the request went out: what Linkup made of it is not known.
				return nil, nil, &Error{Kind: KindUnknown, Message: "the attachment broke off after part of the request had gone to Linkup", Err: mr.err}
			}
			return nil, nil, &Error{Kind: KindMedia, Message: "the attachment could not be read", Err: mr.err}
		}
		if !wrote.Load() {
			return nil, nil, &Error{Kind: KindUnreachable, Message: "Linkup could not be reached", Err: err}
		}
		return nil, nil, &Error{Kind: KindUnknown, Message: "no answer from Linkup", Err: err}
	}
	defer resp.Body.Close()

	raw, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, nil, &Error{Kind: KindUnknown, Status: resp.StatusCode, Message: "Linkup's answer was cut off", Err: err}
	}
	return resp, raw, nil
}

// token is the session to use: the call's own, else the client's.
func (c *Client) token(own string) string {
	if own != "" {
		return own
	}
	return c.loginToken
}

// post builds a POST of body (length bytes) to path, with the key. It
// has no GetBody: without it net/http can never send the request again by
// itself (HTTP/2 replays a request whose stream the server reset, and
// HTTP/1 one whose reused connection broke, when it can rewind the body).
// The only resends are the caller's, by its own rules.
func (c *Client) post(ctx context.Context, path string, body io.Reader, length int64) (*http.Request, error) {
	return c.request(ctx, http.MethodPost, path, body, length)
}

// request builds a request of method to path, with the key; body (length
// bytes) may be nil for none. Like post's, it has no GetBody.
func (c *Client) request(ctx context.Context, method, path string, body io.Reader, length int64) (*http.Request, error) {
	if body == nil {
		body = http.NoBody
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, body)
	if err != nil {
		return nil, &Error{Kind: KindUnreachable, Message: "the Linkup URL is not valid", Err: err}
	}
	req.ContentLength = length
	req.GetBody = nil
	if body != http.NoBody {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("x-api-key", c.apiKey)
	return req, nil
}

// encode returns the request body and its exact length. Without media it is
// one JSON document in memory; with media, the JSON fields are encoded with
// encoding/json and the file is streamed into media_file as a base64 data URL.
func (c *Client) encode(m Message) (io.Reader, int64, error) {
	fields, err := json.Marshal(sendBody{
		LinkedInURL: m.ProfileURL,
		MessageText: m.Text,
		Country:     m.Country,
		MediaLink:   m.MediaLink,
		LoginToken:  c.token(m.LoginToken),
	})
	if err != nil {
		return nil, 0, &Error{Kind: KindInvalid, Message: "the message could not be encoded", Err: err}
	}
	media := m.media()
	if media == nil {
		return bytes.NewReader(fields), int64(len(fields)), nil
	}
	if !knownMIME(media.MIME) || media.Size <= 0 || media.Body == nil {
		return nil, 0, &Error{Kind: KindMedia, Message: fmt.Sprintf("the attachment (%q, %d bytes) cannot be sent", media.MIME, media.Size)}
	}
	head := append(fields[:len(fields)-1:len(fields)-1], `,"media_file":"data:`+media.MIME+`;base64,`...)
	body := &mediaBody{head: head, src: media.Body, left: media.Size, tail: []byte(`"}`)}
	return body, int64(len(head)) + int64(base64.StdEncoding.EncodedLen(int(media.Size))) + int64(len(body.tail)), nil
}

func knownMIME(mime string) bool {
	for _, t := range MediaTypes {
		if mime == t {
			return true
		}
	}
	return false
}

// mediaChunk is how much of the file is encoded at a time (a multiple of 3,
// so that only the last chunk is padded).
const mediaChunk = 3 * 4096

// mediaBody is a request body that streams head, then src as base64, then
// tail. It holds one chunk of the file at a time. It fails, and remembers
// why in err, when src fails or is not exactly left bytes long.
type mediaBody struct {
	head, tail []byte
	src        io.Reader
	left       int64 // bytes of src still expected
	in         [mediaChunk]byte
	out        [mediaChunk / 3 * 4]byte
	pending    []byte // encoded bytes not yet returned
	srcDone    bool
	started    bool // bytes were handed to the transport
	err        error
}

func (b *mediaBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if !b.started && len(b.pending) == 0 && !b.srcDone {
		// The file's first chunk is read before any byte goes out, so that
		// a file that cannot be read at all aborts a request Linkup never saw.
		if err := b.fill(); err != nil {
			b.err = err
			return 0, err
		}
	}
	if len(b.head) > 0 {
		n := copy(p, b.head)
		b.head = b.head[n:]
		b.started = b.started || n > 0
		return n, nil
	}
	if len(b.pending) == 0 && !b.srcDone {
		if err := b.fill(); err != nil {
			b.err = err
			return 0, err
		}
	}
	if len(b.pending) > 0 {
		n := copy(p, b.pending)
		b.pending = b.pending[n:]
		return n, nil
	}
	if len(b.tail) > 0 {
		n := copy(p, b.tail)
		b.tail = b.tail[n:]
		return n, nil
	}
	return 0, io.EOF
}

// fill reads and encodes the next chunk of src.
func (b *mediaBody) fill() error {
	want := int64(len(b.in))
	if b.left < want {
		want = b.left
	}
	n, err := io.ReadFull(b.src, b.in[:want])
	b.left -= int64(n)
	switch {
	case err == io.ErrUnexpectedEOF || err == io.EOF && want > 0:
		return fmt.Errorf("the attachment ended %d bytes short", b.left)
	case err != nil:
		return fmt.Errorf("reading the attachment: %w", err)
	}
	if b.left == 0 {
		// The declared size is read: the source must end here.
		var one [1]byte
		if m, _ := b.src.Read(one[:]); m > 0 {
			return errors.New("the attachment is longer than its declared size")
		}
		b.srcDone = true
	}
	base64.StdEncoding.Encode(b.out[:], b.in[:n])
	b.pending = b.out[:base64.StdEncoding.EncodedLen(n)]
	return nil
}

// decodeAnswer reads an HTTP answer: a success, or a *Error. The JSON status
// field decides success; the HTTP code only classifies errors. Only an answer
// that proves Linkup refused the request (a 4xx, or a 2xx with status
// "error") is a refusal; every other answer it cannot read as a success is
// KindUnknown.
func decodeAnswer(resp *http.Response, raw []byte) (answer, error) {
	var a answer
	jsonErr := json.Unmarshal(raw, &a)
	text := a.text()
	code := resp.StatusCode

	if code >= 200 && code < 300 {
		switch {
		case jsonErr != nil:
			return answer{}, &Error{Kind: KindUnknown, Status: code, Message: "Linkup's answer could not be read", Err: jsonErr}
		case strings.EqualFold(a.Status, "success"):
			return a, nil
		case strings.EqualFold(a.Status, "error"):
			return answer{}, &Error{Kind: kindOfErrorText(text), Status: code, Message: text}
		default:
			return answer{}, &Error{Kind: KindUnknown, Status: code, Message: fmt.Sprintf("Linkup answered an unexpected status %q", a.Status)}
		}
	}

	if text == "" {
		text = http.StatusText(code)
	}
	e := &Error{Status: code, Message: text}
	switch {
	case code == http.StatusTooManyRequests:
		e.Kind = KindRateLimited
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		e.Kind = KindAuth
	case code >= 400 && code < 500:
		e.Kind = KindInvalid
	default:
		// A 5xx (a gateway's 502, 503 or 504 included), a redirect or
		// anything stranger says nothing of whether Linkup processed the
		// request.
		e.Kind = KindUnknown
		e.Message = fmt.Sprintf("Linkup answered HTTP %d (%s)", code, text)
	}
	return answer{}, e
}

// maxTextRunes bounds Linkup's explanation as passed on to users.
const maxTextRunes = 300

// text is Linkup's explanation, which it puts in message or, as a string, in
// data, cut to maxTextRunes.
func (a answer) text() string {
	t := a.fullText()
	if utf8.RuneCountInString(t) > maxTextRunes {
		t = string([]rune(t)[:maxTextRunes]) + "…"
	}
	return t
}

func (a answer) fullText() string {
	msg := strings.TrimSpace(a.Message)
	var data string
	if len(a.Data) > 0 && a.Data[0] == '"' {
		_ = json.Unmarshal(a.Data, &data)
		data = strings.TrimSpace(data)
	}
	switch {
	case msg == "":
		return data
	case data == "" || data == msg:
		return msg
	default:
		return msg + ": " + data
	}
}

func (a answer) result(credits int) Result {
	r := Result{Message: a.Message, Credits: credits}
	var d struct {
		EntityURN      flexString `json:"entityUrn"`
		ConversationID flexString `json:"conversation_id"`
		DeliveredAt    flexTime   `json:"deliveredAt"`
	}
	if len(a.Data) > 0 && a.Data[0] == '{' && json.Unmarshal(a.Data, &d) == nil {
		r.EntityURN = string(d.EntityURN)
		r.ConversationID = ShortConversationID(string(d.ConversationID))
		r.DeliveredAt = d.DeliveredAt.Time
	}
	return r
}

// kindOfErrorText classifies a 200 + status:error answer by its words, since
// v1 sends expired sessions that way too. A rate-limit text is
// KindRateLimited, to tell the user why, but not SafeToResend: only a real
// 429 is known to have been turned away before processing.
func kindOfErrorText(text string) Kind {
	t := strings.ToLower(text)
	switch {
	case strings.Contains(t, "rate limit"):
		return KindRateLimited
	case strings.Contains(t, "token expired"), strings.Contains(t, "session expired"),
		strings.Contains(t, "invalid api key"), strings.Contains(t, "unauthorized"):
		return KindAuth
	default:
		return KindInvalid
	}
}

// parseRetryAfter reads a Retry-After header in seconds or as an HTTP date;
// zero when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		return max(0, time.Duration(secs)*time.Second)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now).Round(time.Second))
	}
	return 0
}

// Kind sorts Linkup errors by what the caller can do about them.
type Kind int

const (
	// KindInvalid: Linkup refused the request (bad URL, not connected to the
	// recipient, profile not found, bad media). Not sent; retrying as is fails again.
	KindInvalid Kind = iota + 1
	// KindAuth: on v1, the API key or the LinkedIn login token is bad or
	// expired, or the account has no credits. On v2, the account's LinkedIn
	// session is not active or the account_id is unknown (ACCOUNT_INACTIVE,
	// INVALID_ACCOUNT): the account must log in again. Not sent; someone
	// must act.
	KindAuth
	// KindRateLimited: Linkup or LinkedIn asked to slow down. Not sent; an
	// HTTP 429 is safe to resend after Error.RetryAfter (see SafeToResend).
	KindRateLimited
	// KindUnknown: the request may have reached Linkup but no answer proves
	// what became of it (timeout, connection lost or reset, a 5xx or another
	// answer that is neither a success nor a refusal). It may have been sent.
	KindUnknown
	// KindUnreachable: the request never left this process (connection
	// refused, DNS failure, timeout before sending). Not sent; safe to retry.
	KindUnreachable
	// KindMedia: the attachment could not be read or is not one Linkup
	// takes; the request was aborted before it was complete. Not sent.
	KindMedia
	// KindKey: the API key is wrong (v2's INVALID_API_KEY, or a 401): a
	// configuration error, not any account's, so no account is to be
	// expired. Not sent; an operator must act. Only v2 returns it.
	KindKey
	// KindCredits: the Linkup balance is empty (v2's INSUFFICIENT_CREDITS,
	// or a 402). Not sent; an operator must buy credits. Only v2 returns it.
	KindCredits
)

func (k Kind) String() string {
	switch k {
	case KindInvalid:
		return "invalid"
	case KindAuth:
		return "auth"
	case KindRateLimited:
		return "rate_limited"
	case KindUnknown:
		return "unknown"
	case KindUnreachable:
		return "unreachable"
	case KindMedia:
		return "media"
	case KindKey:
		return "key"
	case KindCredits:
		return "credits"
	default:
		return fmt.Sprintf("kind(%d)", int(k))
	}
}

// Error is every error SendMessage returns. Message is safe to show to a
// user: it holds Linkup's words or ours, never a key or token.
type Error struct {
	Kind Kind
	// Status is the HTTP status code, 0 when no answer came.
	Status int
	// Message is Linkup's explanation, or ours when Linkup gave none.
	Message string
	// RetryAfter is set on KindRateLimited when Linkup said how long to wait.
	RetryAfter time.Duration
	// Code is Linkup's error code (v2: INVALID_PARAMS, ACCOUNT_INACTIVE, …);
	// empty on v1, which has none, and when no answer came.
	Code string
	// Credits is what the failed call cost, as v2's metadata.credits_consumed
	// says (0 when it says nothing: v2 documents that errors are free). On
	// v1 it is always 0, though v1 bills every answered call, failed ones
	// included, except an HTTP 500 (linkup-send-message.md); its answers do
	// not say how much, so a v1 caller counts that charge itself.
	Credits int
	// Err is the underlying transport or decoding error, if any.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("linkup: ")
	b.WriteString(e.Kind.String())
	switch {
	case e.Status != 0 && e.Code != "":
		fmt.Fprintf(&b, " (HTTP %d, %s)", e.Status, e.Code)
	case e.Status != 0:
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	case e.Code != "":
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// MayHaveSent reports whether the message may have gone out despite the error.
func (e *Error) MayHaveSent() bool { return e.Kind == KindUnknown }

// SafeToResend reports whether sending the same message again cannot make a
// second LinkedIn message: the request never left this process, or Linkup
// turned it away with an HTTP 429 before processing it.
func (e *Error) SafeToResend() bool {
	return e.Kind == KindUnreachable || e.Kind == KindRateLimited && e.Status == http.StatusTooManyRequests
}

// AsError returns err as a *Error, or one of KindUnknown wrapping it.
func AsError(err error) *Error {
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	return &Error{Kind: KindUnknown, Message: "unexpected error", Err: err}
}
