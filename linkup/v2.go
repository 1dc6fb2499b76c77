package linkup

// Linkup v2: what every v2 call shares (the answer's envelope, its error
// codes, keeping secrets out of errors) and the send. The reads are in
// v2read.go, the accounts in v2account.go, the webhooks and their events in
// webhook.go and stream.go. The shapes are those of ../shared/linkup-v2.md.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The API versions Config.Version takes.
const (
	V1 = "v1"
	V2 = "v2"
)

// Session is what Linkup acts as for one LinkedIn account: its login
// token on v1 (the client's own when empty), its persistent account ID on
// v2, and the country it logged in from (empty: the call's own).
type Session struct {
	LoginToken string
	AccountID  string
	Country    string
}

// The v2 routes, below the base URL.
const (
	v2Messages   = "/v2/messages"
	v2Login      = "/v2/login"
	v2Checkpoint = "/v2/checkpoint"
	v2Accounts   = "/v2/accounts"
	v2Webhooks   = "/v2/webhooks"
)

// ParseVersion checks a configured API version (LINKUP_API_VERSION) and
// returns it as Config.Version takes it: V1 when s is empty.
func ParseVersion(s string) (string, error) {
	switch v := normalVersion(s); v {
	case V1, V2:
		return v, nil
	default:
		return "", fmt.Errorf("unknown Linkup API version %q: use v1 or v2", s)
	}
}

func normalVersion(s string) string {
	v := strings.ToLower(strings.TrimSpace(s))
	if v == "" {
		return V1
	}
	return v
}

// Version is the API the client speaks for the calls both versions have:
// V1 or V2 (or the unknown value it was configured with, which those calls
// refuse).
func (c *Client) Version() string { return c.version }

func (c *Client) badVersion() error {
	return &Error{Kind: KindInvalid, Message: fmt.Sprintf("unknown Linkup API version %q (use v1 or v2)", c.version)}
}

// actionV2 is the body of every action call (POST /v2/messages and the
// other categories).
type actionV2 struct {
	AccountID string `json:"account_id"`
	Action    string `json:"action"`
	Params    any    `json:"params"`
}

// answerV2 is the envelope of every v2 answer, success or error. Every
// field takes any JSON value, so that only an answer that is not a JSON
// object at all fails to decode.
type answerV2 struct {
	Success  *flexBool       `json:"success"`
	Data     json.RawMessage `json:"data"`
	Error    json.RawMessage `json:"error"`
	Metadata json.RawMessage `json:"metadata"`
	// Message and Code are not in the docs' envelope; a gateway's or an
	// older answer may carry them at the top.
	Message flexString `json:"message"`
	Code    flexString `json:"code"`
	// status is the answer's HTTP status.
	status int
}

// credits is metadata.credits_consumed, and whether it was given.
func (a answerV2) credits() (int, bool) {
	var m struct {
		Credits flexInt `json:"credits_consumed"`
	}
	lenient(a.Metadata, &m)
	return m.Credits.N, m.Credits.Set
}

// fault is the error's code and Linkup's words: error.code and
// error.message (or error as a bare string), else the top-level ones.
func (a answerV2) fault() (code, text string) {
	var e struct {
		Code    flexString `json:"code"`
		Message flexString `json:"message"`
	}
	if !lenient(a.Error, &e) {
		var s flexString
		_ = s.UnmarshalJSON(a.Error)
		e.Message = s
	}
	code = strings.TrimSpace(string(e.Code))
	if code == "" {
		code = strings.TrimSpace(string(a.Code))
	}
	text = strings.TrimSpace(string(e.Message))
	if text == "" {
		text = strings.TrimSpace(string(a.Message))
	}
	if utf8.RuneCountInString(text) > maxTextRunes {
		text = string([]rune(text)[:maxTextRunes]) + "…"
	}
	if utf8.RuneCountInString(code) > 64 {
		code = string([]rune(code)[:64])
	}
	return code, text
}

// kindOfCode is the Kind of a v2 error code; false for a code it does not know.
func kindOfCode(code string) (Kind, bool) {
	switch strings.ToUpper(code) {
	case "INVALID_PARAMS", "INVALID_ACTION":
		return KindInvalid, true
	case "ACCOUNT_INACTIVE", "INVALID_ACCOUNT":
		return KindAuth, true
	case "INVALID_API_KEY":
		return KindKey, true
	case "INSUFFICIENT_CREDITS":
		return KindCredits, true
	case "RATE_LIMITED":
		return KindRateLimited, true
	case "INTERNAL_ERROR":
		// Linkup or LinkedIn failed: nothing says the action did not happen.
		return KindUnknown, true
	}
	return 0, false
}

// decodeAnswerV2 reads a v2 answer: a success, or a *Error. success:true in
// a 2xx is the only success. A refusal is an answer that proves Linkup
// turned the request away: a 4xx, or a 2xx with success:false; its code
// (kindOfCode) says which Kind, else its status does (401 KindKey, 402
// KindCredits, 429 KindRateLimited, any other KindInvalid). A 5xx (whatever its
// body says), a redirect, a 2xx that cannot be read or says neither true nor
// false are KindUnknown, as on v1.
func decodeAnswerV2(resp *http.Response, raw []byte) (answerV2, error) {
	var a answerV2
	jsonErr := json.Unmarshal(raw, &a)
	status := resp.StatusCode
	code, text := a.fault()
	credits, _ := a.credits()
	e := &Error{Status: status, Code: code, Credits: credits, Message: text}
	byCode, known := kindOfCode(code)

	if status >= 200 && status < 300 {
		switch {
		case jsonErr != nil:
			e.Kind, e.Message, e.Err = KindUnknown, "Linkup's answer could not be read", jsonErr
		case a.Success != nil && bool(*a.Success):
			a.status = status
			return a, nil
		case a.Success != nil:
			e.Kind = KindInvalid
			if known {
				e.Kind = byCode
			}
			if e.Message == "" {
				e.Message = "Linkup refused the request"
				if code != "" {
					e.Message += " (" + code + ")"
				}
			}
		default:
			e.Kind, e.Message = KindUnknown, "Linkup's answer says neither success nor failure"
		}
		return answerV2{}, e
	}

	if e.Message == "" {
		e.Message = code
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	switch {
	case status == http.StatusTooManyRequests:
		e.Kind = KindRateLimited
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	case status >= 400 && status < 500 && known:
		e.Kind = byCode
	case status == http.StatusUnauthorized:
		// No code: a gateway's refusal of the key, which is what 401 is about.
		e.Kind = KindKey
	case status == http.StatusPaymentRequired:
		e.Kind = KindCredits
	case status >= 400 && status < 500:
		// A 403 without a code among them: v2 names an account's trouble
		// (ACCOUNT_INACTIVE), so a bare 403 (a gateway's, a firewall's) is
		// not taken to be the account's.
		e.Kind = KindInvalid
	default:
		// A 5xx (with a success:false body too), a redirect or anything
		// stranger says nothing of whether Linkup acted.
		e.Kind = KindUnknown
		e.Message = fmt.Sprintf("Linkup answered HTTP %d (%s)", status, e.Message)
	}
	return answerV2{}, e
}

// callV2 makes one v2 call, once: body is JSON-encoded (none when nil). It
// returns Linkup's answer, or a *Error whose text holds neither the key nor
// any of secrets.
func (c *Client) callV2(ctx context.Context, method, path string, body any, secrets ...string) (answerV2, error) {
	var rd io.Reader
	var n int64
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return answerV2{}, &Error{Kind: KindInvalid, Message: "the request could not be encoded"}
		}
		rd, n = bytes.NewReader(raw), int64(len(raw))
	}
	resp, raw, err := c.exchange(ctx, method, path, rd, n, maxReadBytes)
	var a answerV2
	if err == nil {
		a, err = decodeAnswerV2(resp, raw)
	}
	if err != nil {
		return answerV2{}, c.redact(err, secrets...)
	}
	return a, nil
}

// redacted is what stands for a secret in an error.
const redacted = "[redacted]"

// redact returns err with the API key and every one of secrets (as they
// are, and as a URL query escapes them) replaced by redacted in a *Error's
// Message and Code and in the text of its Err.
func (c *Client) redact(err error, secrets ...string) error {
	e, ok := err.(*Error)
	if !ok {
		return err
	}
	var hide []string
	for _, s := range append([]string{c.apiKey}, secrets...) {
		if s != "" {
			hide = append(hide, s, url.QueryEscape(s))
		}
	}
	e.Message = hideAll(e.Message, hide)
	e.Code = hideAll(e.Code, hide)
	if e.Err != nil && hideAll(e.Err.Error(), hide) != e.Err.Error() {
		e.Err = redactedError{err: e.Err, hide: hide}
	}
	return e
}

func hideAll(s string, hide []string) string {
	for _, h := range hide {
		s = strings.ReplaceAll(s, h, redacted)
	}
	return s
}

// redactedError is an error whose text held a secret: its Error hides it.
type redactedError struct {
	err  error
	hide []string
}

func (r redactedError) Error() string { return hideAll(r.err.Error(), r.hide) }
func (r redactedError) Unwrap() error { return r.err }

// lenient decodes the JSON object raw into out, keeping what fits: a field
// of an unexpected type, at any depth, is left as it was (encoding/json
// goes on past it) and is never an error. It reports false, leaving out as
// it was, when raw is not a JSON object.
func lenient(raw []byte, out any) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return false
	}
	err := json.Unmarshal(raw, out)
	var te *json.UnmarshalTypeError
	return err == nil || errors.As(err, &te)
}

// flexInt takes a non-negative whole JSON number, or a string of one; Set
// says whether one was read.
type flexInt struct {
	N   int
	Set bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	var s flexString
	_ = s.UnmarshalJSON(b)
	n, err := strconv.ParseFloat(strings.TrimSpace(string(s)), 64)
	if err == nil && n >= 0 && n < 1e9 && n == math.Trunc(n) {
		f.N, f.Set = int(n), true
	}
	return nil
}

// sendParamsV2 are a v2 send's params, but media_file.
type sendParamsV2 struct {
	ProfileURL  string `json:"profile_url"`
	MessageText string `json:"message_text"`
	MediaLink   string `json:"media_link,omitempty"`
}

// sendV2 is SendMessage on v2: POST /v2/messages, action send, from
// m.AccountID. It makes one request, as on v1.
func (c *Client) sendV2(ctx context.Context, m Message) (Result, error) {
	if strings.TrimSpace(m.AccountID) == "" {
		return Result{}, &Error{Kind: KindInvalid, Message: "no Linkup account to send from: v2 sends from an account_id"}
	}
	body, length, err := encodeV2(m)
	if err != nil {
		return Result{}, err
	}
	resp, raw, err := c.exchange(ctx, http.MethodPost, v2Messages, body, length, maxAnswerBytes)
	var a answerV2
	if err == nil {
		a, err = decodeAnswerV2(resp, raw)
	}
	if err != nil {
		return Result{}, c.redact(err)
	}
	return a.sendResult(m.Credits()), nil
}

// encodeV2 returns a v2 send's body and its exact length. The attachment is
// streamed into media_file.data as plain base64 (no data URL, unlike v1),
// with its name in media_file.filename; media_link wins over it, as on v1.
func encodeV2(m Message) (io.Reader, int64, error) {
	fields, err := json.Marshal(actionV2{AccountID: m.AccountID, Action: "send", Params: sendParamsV2{
		ProfileURL:  m.ProfileURL,
		MessageText: m.Text,
		MediaLink:   m.MediaLink,
	}})
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
	name, err := json.Marshal(mediaName(media))
	if err != nil {
		return nil, 0, &Error{Kind: KindMedia, Message: "the attachment's name could not be encoded", Err: err}
	}
	// fields ends with the "}}" that close params and the body.
	head := append(fields[:len(fields)-2:len(fields)-2], `,"media_file":{"data":"`...)
	tail := append(append([]byte(`","filename":`), name...), `}}}`...)
	body := &mediaBody{head: head, src: media.Body, left: media.Size, tail: tail}
	return body, int64(len(head)) + int64(base64.StdEncoding.EncodedLen(int(media.Size))) + int64(len(tail)), nil
}

// mediaName is the attachment's file name: its own, else "attachment" with
// its type's extension.
func mediaName(md *Media) string {
	if n := strings.TrimSpace(md.Name); n != "" {
		return n
	}
	switch md.MIME {
	case "image/png":
		return "attachment.png"
	case "image/jpeg":
		return "attachment.jpg"
	case "video/mp4":
		return "attachment.mp4"
	case "application/pdf":
		return "attachment.pdf"
	}
	return "attachment"
}

// sendResult reads a send's data: both names and both forms of each field
// (entityUrn or entity_urn; a short or URN conversation id; deliveredAt in
// ISO 8601 or epoch ms). Credits are metadata's when given, else estimate.
func (a answerV2) sendResult(estimate int) Result {
	r := Result{Message: strings.TrimSpace(string(a.Message)), Credits: estimate}
	if n, ok := a.credits(); ok {
		r.Credits = n
	}
	var d struct {
		EntityURN       flexString `json:"entityUrn"`
		EntityURNSnake  flexString `json:"entity_urn"`
		ConversationID  flexString `json:"conversation_id"`
		ConversationID2 flexString `json:"conversationId"`
		DeliveredAt     flexTime   `json:"deliveredAt"`
		DeliveredAt2    flexTime   `json:"delivered_at"`
		Message         flexString `json:"message"`
	}
	if !lenient(a.Data, &d) {
		return r
	}
	r.EntityURN = strings.TrimSpace(firstOf(string(d.EntityURN), string(d.EntityURNSnake)))
	r.ConversationID = ShortConversationID(firstOf(string(d.ConversationID), string(d.ConversationID2)))
	r.DeliveredAt = d.DeliveredAt.Time
	if r.DeliveredAt.IsZero() {
		r.DeliveredAt = d.DeliveredAt2.Time
	}
	if r.Message == "" {
		r.Message = strings.TrimSpace(string(d.Message))
	}
	return r
}

// firstOf is the first of vs that is not blank.
func firstOf(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
