// Package fakeslack is a Slack for tests and load tools, on 127.0.0.1: it
// serves apps.connections.open, a Socket Mode WebSocket (hello, envelopes,
// PINGs, acks, disconnect), the Web API methods linkedin-bot calls, and
// response_url endpoints. It records everything it is sent.
package fakeslack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Server is a fake Slack. Create it with New and stop it with Close.
type Server struct {
	srv      *httptest.Server
	appToken string
	botToken string
	ping     time.Duration

	mu         sync.Mutex
	conns      []*socket // the live Socket Mode connections, oldest first
	sockets    int       // how many Slack keeps at once
	next       int       // round-robin: the connection the next envelope goes to
	connected  chan struct{}
	opens      int
	acks       map[string]*Ack
	ackWaiters map[string]chan struct{}
	repeats    map[string][]Ack // the acks of an envelope after its first
	calls      []Call
	hooks      []Hook
	posts      []Post
	tsSeq      int
	viewSeq    int
	closed     map[string]bool          // views the user closed: views.update says not_found
	failures   map[string]string        // channel → Slack error for chat.postMessage
	limited    map[string]int           // method → how many more calls answer 429
	limitFor   map[string]time.Duration // method → a rate limit that starts at its next call and lasts that long (LimitFor)
	limitUntil map[string]time.Time     // method → when its rate limit lifts
	files      map[string]File
	users      map[string]string // user ID → display name
	channels   map[string]string // channel ID → name, for conversations.info
	downloads  []Download
	lostAnswer map[string]int           // method → how many more calls are made but answered 500
	failing    map[string]int           // method → how many more calls do nothing and answer 503 (FailCalls)
	held       map[string]chan struct{} // method → closed when its held calls may be answered (HoldCalls)
	expired    map[string]bool          // response_url names that Slack no longer takes
	issued     []string                 // response_urls handed out
	postDelay  time.Duration
	appRefusal string // apps.connections.open's error, when set
	scopes     string // auth.test's x-oauth-scopes header
	violations []Violation
	uploads    uploads
}

// File is a file the fake serves, for files.info and downloads.
type File struct {
	// Object is the file object files.info returns; url_private_download is
	// set to the fake's own download URL.
	Object map[string]any
	// Size and Open give the content, read afresh for each download.
	Size int64
	Open func() io.Reader
	// HTML serves Slack's sign-in page instead, as for a bot without access.
	HTML bool
	// BreakAfter, when positive, cuts the connection after that many bytes.
	BreakAfter int64
	// RedirectTo, when set, answers the download with a redirect there.
	RedirectTo string
	// StallAt, when set, stops sending once that many bytes went out (0:
	// before the headers) and holds the connection until the client leaves.
	StallAt *int64
}

// Download is one request for a file's content.
type Download struct {
	FileID        string
	Authorization string
}

// Options configure a Server.
type Options struct {
	// AppToken and BotToken are the tokens the fake accepts.
	AppToken, BotToken string
	// PingInterval is how often the fake PINGs the client; 1 s when zero.
	PingInterval time.Duration
	// Sockets is how many Socket Mode connections the fake keeps at once,
	// spreading envelopes over them in turn, as Slack does over up to 10
	// per app; a connection beyond it closes the oldest. 1 when zero.
	Sockets int
}

// Call is one Web API call, its parameters flattened.
type Call struct {
	Method string
	Params map[string]string
	// JSON is the body of a JSON call (views.*), nil for form calls.
	JSON json.RawMessage
	// At is when the fake received it.
	At time.Time
	// RetryAfter is set when the fake rate-limited the call (HTTP 429):
	// the Retry-After it answered.
	RetryAfter time.Duration
}

// Hook is one post to a response_url.
type Hook struct {
	Path string
	Body map[string]any
}

// Post is one chat.postMessage that Slack accepted.
type Post struct {
	Channel  string
	TS       string
	ThreadTS string
	Text     string
	Blocks   string // the blocks JSON, empty when none
	Metadata string // the metadata JSON, empty when none
	At       time.Time
}

// Ack is an acknowledgement the client sent for an envelope.
type Ack struct {
	EnvelopeID string
	Payload    json.RawMessage
	At         time.Time
}

// DefaultScopes are the bot scopes of the app's manifest, which auth.test reports.
const DefaultScopes = "commands,chat:write,chat:write.public,files:read,files:write,users:read,channels:read,groups:read,channels:history,groups:history,im:history,im:write"

// New starts a fake Slack on 127.0.0.1.
func New(opts Options) *Server {
	s := &Server{
		appToken:   opts.AppToken,
		botToken:   opts.BotToken,
		ping:       opts.PingInterval,
		sockets:    max(opts.Sockets, 1),
		connected:  make(chan struct{}),
		acks:       map[string]*Ack{},
		ackWaiters: map[string]chan struct{}{},
		failures:   map[string]string{},
		limited:    map[string]int{},
		limitFor:   map[string]time.Duration{},
		limitUntil: map[string]time.Time{},
		files:      map[string]File{},
		users:      map[string]string{},
		channels:   map[string]string{},
		lostAnswer: map[string]int{},
		failing:    map[string]int{},
		held:       map[string]chan struct{}{},
		expired:    map[string]bool{},
		scopes:     DefaultScopes,
	}
	if s.ping <= 0 {
		s.ping = time.Second
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/link/", s.serveSocket)
	mux.HandleFunc("/response/", s.serveHook)
	mux.HandleFunc("/files-pri/", s.serveFile)
	mux.HandleFunc("/upload/", s.serveUpload)
	s.srv = httptest.NewServer(mux)
	return s
}

// Close drops the sockets and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	cs := slices.Clone(s.conns)
	s.mu.Unlock()
	for _, c := range cs {
		c.close()
	}
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// APIURL is the Web API root, with the trailing slash slack-go needs.
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// ResponseURL returns a response_url on the fake named name, with a path
// as secret as Slack's; IssuedResponseURLs lists them.
func (s *Server) ResponseURL(name string) string {
	u := s.srv.URL + "/response/" + name + "/T0FAKE/B0FAKE/secret" + name
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issued = append(s.issued, u)
	return u
}

// IssuedResponseURLs returns every response_url ResponseURL handed out.
func (s *Server) IssuedResponseURLs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

// ExpireResponseURL makes Slack refuse posts to the response_urls named
// name, as it does 30 minutes after it issued them (HTTP 404).
func (s *Server) ExpireResponseURL(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expired[name] = true
}

// LoseAnswers makes the next n calls to method take effect but answer HTTP
// 500, as when Slack fails after accepting a post.
func (s *Server) LoseAnswers(method string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lostAnswer[method] = n
}

// FailCalls makes the next n calls to method do nothing and answer HTTP
// 503, as when Slack fails before acting.
func (s *Server) FailCalls(method string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing[method] = n
}

// HoldCalls makes each call to method, from now until release is called,
// wait recorded but unanswered (a slow Slack); release answers them and
// lets the next ones through.
func (s *Server) HoldCalls(method string) (release func()) {
	hold := make(chan struct{})
	s.mu.Lock()
	s.held[method] = hold
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			delete(s.held, method)
			s.mu.Unlock()
			close(hold)
		})
	}
}

// DelayPosts makes each chat.postMessage take d after it is recorded,
// before its answer: a crash then can land between a post and its answer.
func (s *Server) DelayPosts(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.postDelay = d
}

// FailPosts makes chat.postMessage to channel answer slackErr (e.g.
// "not_in_channel"); an empty slackErr lets posts through again.
func (s *Server) FailPosts(channel, slackErr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if slackErr == "" {
		delete(s.failures, channel)
		return
	}
	s.failures[channel] = slackErr
}

// AddFile registers a file under id and returns its download URL.
func (s *Server) AddFile(id string, f File) string {
	u := s.srv.URL + "/files-pri/T0FAKE-" + id + "/download/" + fmt.Sprint(f.Object["name"])
	if f.Object == nil {
		f.Object = map[string]any{}
	}
	f.Object["id"] = id
	f.Object["url_private_download"] = u
	f.Object["url_private"] = u
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[id] = f
	return u
}

// CloseView closes view id, as its user does: updating it fails.
func (s *Server) CloseView(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed == nil {
		s.closed = map[string]bool{}
	}
	s.closed[id] = true
}

// AddUser registers a user for users.info.
func (s *Server) AddUser(id, displayName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = displayName
}

// AddChannel registers a channel's name for conversations.info.
func (s *Server) AddChannel(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[id] = name
}

// Downloads returns the file downloads so far.
func (s *Server) Downloads() []Download {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Download(nil), s.downloads...)
}

func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/files-pri/T0FAKE-")
	id, _, _ := strings.Cut(rest, "/")
	s.mu.Lock()
	f, ok := s.files[id]
	s.downloads = append(s.downloads, Download{FileID: id, Authorization: r.Header.Get("Authorization")})
	s.mu.Unlock()
	signIn := func() {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to your workspace</body></html>")
	}
	switch {
	case !ok:
		http.NotFound(w, r)
	case r.Header.Get("Authorization") != "Bearer "+s.botToken, f.HTML:
		signIn()
	case f.RedirectTo != "":
		http.Redirect(w, r, f.RedirectTo, http.StatusFound)
	case f.StallAt != nil:
		if *f.StallAt > 0 {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", fmt.Sprint(f.Size))
			_, _ = io.CopyN(w, f.Open(), *f.StallAt)
			if fl, ok := w.(http.Flusher); ok {
				fl.Flush()
			}
		}
		<-r.Context().Done()
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", fmt.Sprint(f.Size))
		body := f.Open()
		if f.BreakAfter > 0 {
			_, _ = io.CopyN(w, body, f.BreakAfter)
			if fl, ok := w.(http.Flusher); ok {
				fl.Flush()
			}
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				_ = conn.Close()
			}
			return
		}
		_, _ = io.Copy(w, body)
	}
}

// RefuseAppToken makes apps.connections.open answer slackErr (e.g.
// "not_allowed_token_type", "missing_scope") from now on.
func (s *Server) RefuseAppToken(slackErr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appRefusal = slackErr
}

// SetScopes sets the scopes auth.test reports in its x-oauth-scopes header.
func (s *Server) SetScopes(scopes string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scopes = scopes
}

// RateLimit makes the next n calls to method answer HTTP 429 with Retry-After: 1.
func (s *Server) RateLimit(method string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limited[method] = n
}

// LimitFor rate-limits method for d from its next call on, as Slack does:
// each call until the limit lifts answers HTTP 429 with Retry-After the
// seconds left (rounded up), and does nothing; then calls go through
// again. RateLimit's calls come first.
func (s *Server) LimitFor(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limitFor[method] = d
	delete(s.limitUntil, method)
}

// WaitConnected waits until a client holds a Socket Mode connection; it
// returns how many times apps.connections.open was called.
func (s *Server) WaitConnected(ctx context.Context) (int, error) {
	return s.WaitSockets(ctx, 1)
}

// WaitSockets waits until n Socket Mode connections are live; it returns
// how many times apps.connections.open was called.
func (s *Server) WaitSockets(ctx context.Context, n int) (int, error) {
	for {
		s.mu.Lock()
		live, ch, opens := len(s.conns), s.connected, s.opens
		s.mu.Unlock()
		if live >= n {
			return opens, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return opens, fmt.Errorf("waiting for %d Socket Mode connections (%d live): %w", n, live, ctx.Err())
		}
	}
}

// LiveSockets is how many Socket Mode connections are open now.
func (s *Server) LiveSockets() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Opens is how many times apps.connections.open succeeded.
func (s *Server) Opens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opens
}

// SendFrame writes one text frame to a live connection: each in turn.
func (s *Server) SendFrame(frame []byte) error {
	s.mu.Lock()
	var c *socket
	if len(s.conns) > 0 {
		c = s.conns[s.next%len(s.conns)]
		s.next++
	}
	s.mu.Unlock()
	if c == nil {
		return errors.New("fakeslack: no Socket Mode connection")
	}
	return c.write(frame)
}

// oldest is the oldest live connection, nil when none.
func (s *Server) oldest() *socket {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.conns) == 0 {
		return nil
	}
	return s.conns[0]
}

// SendEnvelope wraps payload in an envelope of type typ and sends it.
func (s *Server) SendEnvelope(envelopeID, typ string, payload any) error {
	frame, err := json.Marshal(map[string]any{
		"envelope_id":              envelopeID,
		"type":                     typ,
		"payload":                  payload,
		"accepts_response_payload": typ != "events_api",
	})
	if err != nil {
		return err
	}
	return s.SendFrame(frame)
}

// Disconnect sends a disconnect frame with reason, as Slack does before it
// recycles a connection, then closes the (oldest) socket.
func (s *Server) Disconnect(reason string) error {
	c := s.oldest()
	if c == nil {
		return errors.New("fakeslack: no Socket Mode connection")
	}
	frame := fmt.Sprintf(`{"type":"disconnect","reason":%q,"debug_info":{"host":"fake"}}`, reason)
	if err := c.write([]byte(frame)); err != nil {
		return err
	}
	time.Sleep(50 * time.Millisecond) // let the client read it before the close
	c.close()
	return nil
}

// DropConnection closes the (oldest) socket without a word, as a network
// failure would.
func (s *Server) DropConnection() {
	if c := s.oldest(); c != nil {
		c.close()
	}
}

// WaitAck waits for the client's ack of envelopeID.
func (s *Server) WaitAck(ctx context.Context, envelopeID string) (Ack, error) {
	s.mu.Lock()
	if a, ok := s.acks[envelopeID]; ok {
		s.mu.Unlock()
		return *a, nil
	}
	ch, ok := s.ackWaiters[envelopeID]
	if !ok {
		ch = make(chan struct{})
		s.ackWaiters[envelopeID] = ch
	}
	s.mu.Unlock()
	select {
	case <-ch:
		s.mu.Lock()
		defer s.mu.Unlock()
		return *s.acks[envelopeID], nil
	case <-ctx.Done():
		return Ack{}, fmt.Errorf("waiting for the ack of %s: %w", envelopeID, ctx.Err())
	}
}

// RepeatAcks returns the acks of envelopeID after its first, oldest
// first: the answers to its deliveries again (WaitAck gives the first).
func (s *Server) RepeatAcks(envelopeID string) []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ack(nil), s.repeats[envelopeID]...)
}

// Calls returns the Web API calls to method so far ("" for all).
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Posts returns the accepted chat.postMessage calls so far.
func (s *Server) Posts() []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Post(nil), s.posts...)
}

// Thread returns the posts of the thread ts in channel (the parent too,
// when it is one of them), oldest first, each as Slack shows it now: with
// the text, and the blocks when it sent some, of its last chat.update.
func (s *Server) Thread(channel, ts string) []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Post
	for _, p := range s.posts {
		if p.Channel != channel || (p.TS != ts && p.ThreadTS != ts) {
			continue
		}
		for _, c := range s.calls {
			if c.Method == "chat.update" && c.Params["channel"] == channel && c.Params["ts"] == p.TS {
				p.Text = c.Params["text"]
				if b, ok := c.Params["blocks"]; ok {
					p.Blocks = b
				}
			}
		}
		out = append(out, p)
	}
	return out
}

// Hooks returns the posts to response_urls so far.
func (s *Server) Hooks() []Hook {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Hook(nil), s.hooks...)
}

// WaitFor polls cond until it holds or ctx ends.
func WaitFor(ctx context.Context, what string, cond func() bool) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		select {
		case <-t.C:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		}
	}
	return nil
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	call := Call{Method: method, Params: map[string]string{}}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		body, _ := io.ReadAll(r.Body)
		call.JSON = body
	} else {
		_ = r.ParseForm()
		for k, v := range r.Form {
			call.Params[k] = v[0]
		}
		if t := r.Form.Get("token"); t != "" {
			token = t
		}
	}

	s.mu.Lock()
	call.At = time.Now()
	if s.limited[method] > 0 {
		s.limited[method]--
		call.RetryAfter = time.Second
	} else {
		if d, ok := s.limitFor[method]; ok {
			delete(s.limitFor, method)
			s.limitUntil[method] = call.At.Add(d)
		}
		if left := s.limitUntil[method].Sub(call.At); left > 0 {
			call.RetryAfter = left.Truncate(time.Second)
			if call.RetryAfter < left {
				call.RetryAfter += time.Second
			}
		}
	}
	limited := call.RetryAfter > 0
	s.calls = append(s.calls, call)
	failing := !limited && s.failing[method] > 0
	if failing {
		s.failing[method]--
	}
	hold := s.held[method]
	s.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	if failing {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if limited {
		w.Header().Set("Retry-After", strconv.Itoa(int(call.RetryAfter/time.Second)))
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}

	want := s.botToken
	if method == "apps.connections.open" {
		want = s.appToken
	}
	if token != want {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}

	switch method {
	case "apps.connections.open":
		s.mu.Lock()
		if refusal := s.appRefusal; refusal != "" {
			s.mu.Unlock()
			writeJSON(w, map[string]any{"ok": false, "error": refusal})
			return
		}
		s.opens++
		n := s.opens
		s.mu.Unlock()
		writeJSON(w, map[string]any{"ok": true, "url": fmt.Sprintf("ws://%s/link/?ticket=%d", r.Host, n)})
	case "auth.test":
		s.mu.Lock()
		scopes := s.scopes
		s.mu.Unlock()
		w.Header().Set("X-OAuth-Scopes", scopes)
		writeJSON(w, map[string]any{"ok": true, "url": "https://fake.slack.com/", "team": "Fake Team", "user": "linkedin-bot", "team_id": "T0FAKE", "user_id": "U0BOT", "bot_id": "B0BOT"})
	case "chat.postMessage":
		s.postMessage(w, call.Params)
	case "conversations.history", "conversations.replies":
		s.history(w, method, call.Params)
	case "conversations.open":
		// The bot's DM with a user: the same D… channel that a post to the
		// user's ID lands in, readable by conversations.history.
		u := call.Params["users"]
		if (!strings.HasPrefix(u, "U") && !strings.HasPrefix(u, "W")) || strings.Contains(u, ",") {
			writeJSON(w, map[string]any{"ok": false, "error": "user_not_found"})
			return
		}
		writeJSON(w, map[string]any{"ok": true, "channel": map[string]any{"id": "D" + u[1:], "is_im": true, "user": u}})
	case "chat.update":
		if s.refuseOverLimits(w, method, call.Params["channel"], call.Params["text"], call.Params["blocks"], maxMessageBlocks) {
			return
		}
		writeJSON(w, map[string]any{"ok": true, "channel": call.Params["channel"], "ts": call.Params["ts"], "text": call.Params["text"]})
	case "chat.getPermalink":
		ch, ts := call.Params["channel"], call.Params["message_ts"]
		if ch == "" {
			ch, ts = r.URL.Query().Get("channel"), r.URL.Query().Get("message_ts")
		}
		writeJSON(w, map[string]any{"ok": true, "channel": ch, "permalink": "https://fake.slack.com/archives/" + ch + "/p" + strings.ReplaceAll(ts, ".", "")})
	case "files.info":
		s.mu.Lock()
		f, ok := s.files[call.Params["file"]]
		s.mu.Unlock()
		if !ok {
			writeJSON(w, map[string]any{"ok": false, "error": "file_not_found"})
			return
		}
		writeJSON(w, map[string]any{"ok": true, "file": f.Object})
	case "conversations.info":
		s.mu.Lock()
		name, ok := s.channels[call.Params["channel"]]
		s.mu.Unlock()
		if !ok {
			writeJSON(w, map[string]any{"ok": false, "error": "channel_not_found"})
			return
		}
		writeJSON(w, map[string]any{"ok": true, "channel": map[string]any{"id": call.Params["channel"], "name": name, "is_channel": true}})
	case "users.info":
		s.mu.Lock()
		name, ok := s.users[call.Params["user"]]
		s.mu.Unlock()
		if !ok {
			writeJSON(w, map[string]any{"ok": false, "error": "user_not_found"})
			return
		}
		user := map[string]any{"id": call.Params["user"], "name": strings.ToLower(name), "profile": map[string]any{"display_name": name, "real_name": name}}
		if tz := s.zone(call.Params["user"]); tz != "" {
			user["tz"] = tz
		}
		writeJSON(w, map[string]any{"ok": true, "user": user})
	case "views.open", "views.update", "views.publish":
		var req struct {
			TriggerID string `json:"trigger_id"`
			ViewID    string `json:"view_id"`
		}
		_ = json.Unmarshal(call.JSON, &req)
		if s.refuseViewOverLimits(w, method, call.JSON) {
			return
		}
		if method == "views.open" && strings.HasPrefix(req.TriggerID, "expired") {
			writeJSON(w, map[string]any{"ok": false, "error": "expired_trigger_id"})
			return
		}
		s.mu.Lock()
		if method == "views.update" && s.closed[req.ViewID] {
			s.mu.Unlock()
			writeJSON(w, map[string]any{"ok": false, "error": "not_found"})
			return
		}
		s.viewSeq++
		id := fmt.Sprintf("V%08d", s.viewSeq)
		s.mu.Unlock()
		writeJSON(w, map[string]any{"ok": true, "view": map[string]any{"id": id, "hash": "hash-" + id}})
	default:
		if !s.serveUploads(w, r, method, call.Params) {
			writeJSON(w, map[string]any{"ok": false, "error": "unknown_method"})
		}
	}
}

func (s *Server) postMessage(w http.ResponseWriter, p map[string]string) {
	ch := p["channel"]
	if s.refuseOverLimits(w, "chat.postMessage", ch, p["text"], p["blocks"], maxMessageBlocks) {
		return
	}
	s.mu.Lock()
	if e, ok := s.failures[ch]; ok {
		s.mu.Unlock()
		writeJSON(w, map[string]any{"ok": false, "error": e})
		return
	}
	if strings.HasPrefix(ch, "U") || strings.HasPrefix(ch, "W") {
		ch = "D" + ch[1:] // a DM with that user
	}
	s.tsSeq++
	// Timestamps follow the clock, as Slack's do, so that "oldest" works.
	ts := fmt.Sprintf("%d.%06d", time.Now().Unix(), s.tsSeq%1000000)
	s.posts = append(s.posts, Post{Channel: ch, TS: ts, ThreadTS: p["thread_ts"], Text: p["text"], Blocks: p["blocks"], Metadata: p["metadata"], At: time.Now()})
	lost := s.lostAnswer["chat.postMessage"] > 0
	if lost {
		s.lostAnswer["chat.postMessage"]--
	}
	delay := s.postDelay
	s.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	if lost {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	writeJSON(w, map[string]any{"ok": true, "channel": ch, "ts": ts, "message": map[string]any{"text": p["text"], "ts": ts}})
}

// history serves conversations.history (top-level messages) and
// conversations.replies (a thread, its parent first), newest first for
// history as Slack does, with metadata when include_all_metadata is set.
func (s *Server) history(w http.ResponseWriter, method string, p map[string]string) {
	ch := p["channel"]
	if !strings.HasPrefix(ch, "C") && !strings.HasPrefix(ch, "G") && !strings.HasPrefix(ch, "D") {
		writeJSON(w, map[string]any{"ok": false, "error": "channel_not_found"})
		return
	}
	var oldest float64
	_, _ = fmt.Sscan(p["oldest"], &oldest)
	s.mu.Lock()
	var msgs []map[string]any
	for _, post := range s.posts {
		var ts float64
		_, _ = fmt.Sscan(post.TS, &ts)
		if post.Channel != ch || ts < oldest {
			continue
		}
		if method == "conversations.history" && post.ThreadTS != "" {
			continue
		}
		if method == "conversations.replies" && post.TS != p["ts"] && post.ThreadTS != p["ts"] {
			continue
		}
		m := map[string]any{"type": "message", "ts": post.TS, "text": post.Text, "bot_id": "B0BOT"}
		if post.ThreadTS != "" {
			m["thread_ts"] = post.ThreadTS
		}
		if post.Metadata != "" && p["include_all_metadata"] == "1" {
			m["metadata"] = json.RawMessage(post.Metadata)
		}
		msgs = append(msgs, m)
	}
	s.mu.Unlock()
	if method == "conversations.history" {
		for i, j := 0, len(msgs)-1; i < j; i, j = i+1, j-1 {
			msgs[i], msgs[j] = msgs[j], msgs[i]
		}
	}
	writeJSON(w, map[string]any{"ok": true, "messages": msgs, "has_more": false})
}

func (s *Server) serveHook(w http.ResponseWriter, r *http.Request) {
	name, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/response/"), "/")
	s.mu.Lock()
	expired := s.expired[name]
	s.mu.Unlock()
	if expired {
		http.Error(w, "expired_url", http.StatusNotFound)
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	text, _ := body["text"].(string)
	blocks, _ := json.Marshal(body["blocks"])
	if body["blocks"] == nil {
		blocks = nil
	}
	if e := s.overLimits("response_url", name, text, string(blocks), maxMessageBlocks); e != "" {
		http.Error(w, e, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.hooks = append(s.hooks, Hook{Path: name, Body: body})
	s.mu.Unlock()
	_, _ = io.WriteString(w, "ok")
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// socket is one Socket Mode connection.
type socket struct {
	ws      *websocket.Conn
	writeMu sync.Mutex
	done    chan struct{}
	once    sync.Once
}

func (c *socket) write(frame []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.ws.WriteMessage(websocket.TextMessage, frame)
}

func (c *socket) close() {
	c.once.Do(func() {
		close(c.done)
		_ = c.ws.Close()
	})
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &socket{ws: ws, done: make(chan struct{})}
	s.mu.Lock()
	n := min(len(s.conns)+1, s.sockets)
	s.mu.Unlock()
	if err := c.write(fmt.Appendf(nil, `{"type":"hello","num_connections":%d,"debug_info":{"host":"fakeslack","build_number":1,"approximate_connection_time":18060},"connection_info":{"app_id":"A0FAKE"}}`, n)); err != nil {
		c.close()
		return
	}

	s.mu.Lock()
	if len(s.conns) >= s.sockets {
		go s.conns[0].close()
		s.conns = s.conns[1:]
	}
	s.conns = append(s.conns, c)
	close(s.connected)
	s.connected = make(chan struct{})
	s.mu.Unlock()

	go s.pinger(c)
	s.readAcks(c)

	s.mu.Lock()
	s.conns = slices.DeleteFunc(s.conns, func(o *socket) bool { return o == c })
	s.mu.Unlock()
	c.close()
}

func (s *Server) pinger(c *socket) {
	t := time.NewTicker(s.ping)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			if err := c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second)); err != nil {
				return
			}
		}
	}
}

func (s *Server) readAcks(c *socket) {
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var a struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &a) != nil || a.EnvelopeID == "" {
			continue
		}
		s.mu.Lock()
		if _, dup := s.acks[a.EnvelopeID]; !dup {
			s.acks[a.EnvelopeID] = &Ack{EnvelopeID: a.EnvelopeID, Payload: a.Payload, At: time.Now()}
			if ch, ok := s.ackWaiters[a.EnvelopeID]; ok {
				close(ch)
				delete(s.ackWaiters, a.EnvelopeID)
			}
		} else {
			if s.repeats == nil {
				s.repeats = map[string][]Ack{}
			}
			s.repeats[a.EnvelopeID] = append(s.repeats[a.EnvelopeID], Ack{EnvelopeID: a.EnvelopeID, Payload: a.Payload, At: time.Now()})
		}
		s.mu.Unlock()
	}
}
