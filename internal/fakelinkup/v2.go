package fakelinkup

import (
	"bufio"
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Linkup v2's common ground, after ../shared/linkup-v2.md: the routes, the
// API key, the success and error envelopes, the credits they consume, and
// the accounts (login, checkpoint, list). Messages are in v2messages.go,
// webhooks and their events in webhooks.go and stream.go.

// v2State is what v2 adds to the scripted LinkedIn. Every field is
// guarded by Server.mu.
type v2State struct {
	apiKey string // SetAPIKey; "" accepts any non-empty key

	accounts []*account // in the order they were made
	byID     map[string]*account
	byBox    map[string]*account
	// down holds the mailboxes whose session Expire ended, until a login.
	down map[string]bool
	// challenges are the logins waiting for /v2/checkpoint, by account
	// id; approved the emails approved in the app (Approve).
	challenges map[string]string
	approved   map[string]bool
	seq        int // ids of accounts, webhooks and events
	credits    int

	webhooks     []*webhook // in the order they were made
	webhookCalls []WebhookCall
	refusal      *refusal                    // RefuseWebhooks
	loseCreates  int                         // LoseWebhookCreates
	failLists    int                         // FailWebhookLists
	streams      map[string]map[*stream]bool // open streams, by webhook id
	silenced     bool
	keepalive    time.Duration
	written      int // frames written on streams, all told (for tests)
}

func newV2() v2State {
	return v2State{byID: map[string]*account{}, byBox: map[string]*account{}, down: map[string]bool{},
		challenges: map[string]string{}, approved: map[string]bool{},
		streams: map[string]map[*stream]bool{}, keepalive: 30 * time.Second}
}

// account is the v2 account of one mailbox.
type account struct {
	id, box string
	label   string // account_name
	country string
	created time.Time
	updated time.Time
	// Monitoring (webhooks.go): whether a webhook of the account is
	// active, since when, and how long it was before.
	monitoring bool
	since      time.Time
	monitored  time.Duration
}

func (s *Server) routeV2(mux *http.ServeMux) {
	mux.HandleFunc("POST /v2/login", s.v2Route(s.serveV2Login))
	mux.HandleFunc("POST /v2/checkpoint", s.v2Route(s.serveCheckpoint))
	mux.HandleFunc("GET /v2/accounts", s.v2Route(s.serveAccounts))
	mux.HandleFunc("POST /v2/messages", s.v2Route(s.serveV2Messages))
	mux.HandleFunc("POST /v2/webhooks", s.v2Route(s.serveCreateWebhook))
	mux.HandleFunc("GET /v2/webhooks", s.v2Route(s.serveListWebhooks))
	mux.HandleFunc("DELETE /v2/webhooks/{id}", s.v2Route(s.serveDeleteWebhook))
	mux.HandleFunc("POST /v2/webhooks/{id}/start", s.v2Route(s.serveStartWebhook))
	mux.HandleFunc("POST /v2/webhooks/{id}/stop", s.v2Route(s.serveStopWebhook))
	mux.HandleFunc("GET /v2/webhooks/{id}/events", s.v2Route(s.serveEvents))
	mux.HandleFunc("GET /v2/webhooks/{id}/stream", s.serveStream)
	// A third-party note says unknown paths answer 404 INVALID_ACCOUNT.
	mux.HandleFunc("/v2/", s.v2Route(func(w http.ResponseWriter, _ *http.Request) {
		s.v2Error(w, "", http.StatusNotFound, "INVALID_ACCOUNT", "Account not found")
	}))
}

// SetAPIKey makes key the only one v2 accepts (x-api-key, or api_key on
// the stream). Until it is called, any non-empty key is accepted. v1
// accepts every key, as before.
func (s *Server) SetAPIKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.v2.apiKey = key
}

// keyOK reports whether key opens v2.
func (s *Server) keyOK(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.v2.apiKey == "" {
		return key != ""
	}
	return subtle.ConstantTimeCompare([]byte(key), []byte(s.v2.apiKey)) == 1
}

// v2Route checks the key of every v2 call but the stream's, records the
// webhook calls, and adds what the answer says it consumed to Credits.
func (s *Server) v2Route(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v2/webhooks") {
			s.webhookCall(r)
		}
		if !s.keyOK(r.Header.Get("x-api-key")) {
			s.v2Error(w, "", http.StatusForbidden, "INVALID_API_KEY", "Invalid API key")
			return
		}
		rec := &creditRecorder{ResponseWriter: w}
		h(rec, r)
		if n := rec.credits(); n > 0 {
			s.mu.Lock()
			s.v2.credits += n
			s.mu.Unlock()
		}
	}
}

// Credits is the sum of credits_consumed over every v2 answer so far
// (not the stream's): by the docs' table, 1 a text send, 2 with media, 1
// per 10 results read, 1 a checkpoint, 0 everything else and every error.
// An answer an Answer or ReadAnswer hook wrote counts for what it says.
// Monitoring is apart: see MonitoringCredits.
func (s *Server) Credits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.v2.credits
}

// creditRecorder keeps a copy of an answer's start, to read its
// metadata.credits_consumed; it lets an Answer hijack the connection.
type creditRecorder struct {
	http.ResponseWriter
	head bytes.Buffer
}

func (c *creditRecorder) Write(p []byte) (int, error) {
	if room := 1<<16 - c.head.Len(); room > 0 {
		c.head.Write(p[:min(len(p), room)])
	}
	return c.ResponseWriter.Write(p)
}

func (c *creditRecorder) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func (c *creditRecorder) Flush() { _ = http.NewResponseController(c.ResponseWriter).Flush() }

func (c *creditRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(c.ResponseWriter).Hijack()
}

func (c *creditRecorder) credits() int {
	var a struct {
		Metadata struct {
			Credits any `json:"credits_consumed"`
		} `json:"metadata"`
	}
	if json.Unmarshal(c.head.Bytes(), &a) != nil {
		return 0
	}
	return number(a.Metadata.Credits, 0)
}

// The envelopes, after https://docs.linkupapi.com/api-reference/v2/introduction
// and …/v2/error-codes.
type v2Envelope struct {
	Success  bool     `json:"success"`
	Data     any      `json:"data,omitempty"`
	Error    *v2Fault `json:"error,omitempty"`
	Metadata v2Meta   `json:"metadata"`
}

type v2Fault struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type v2Meta struct {
	Action    string `json:"action,omitempty"`
	AccountID string `json:"account_id,omitempty"`
	Credits   int    `json:"credits_consumed"`
	Timestamp string `json:"timestamp"`
}

// metaTime is metadata.timestamp's form: microseconds, no zone (UTC).
func metaTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000") }

// isoTime is the form of v2's other times: milliseconds, Z.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func writeEnvelope(w http.ResponseWriter, status int, e v2Envelope) {
	raw, _ := json.Marshal(e)
	Reply(w, status, string(raw))
}

// v2OK answers a v2 success; data nil leaves data out.
func (s *Server) v2OK(w http.ResponseWriter, action, accountID string, credits int, data any) {
	writeEnvelope(w, http.StatusOK, v2Envelope{Success: true, Data: data,
		Metadata: v2Meta{Action: action, AccountID: accountID, Credits: credits, Timestamp: metaTime(s.Now())}})
}

// v2Error answers a v2 error, which costs nothing.
func (s *Server) v2Error(w http.ResponseWriter, action string, status int, code, message string) {
	writeEnvelope(w, status, v2Envelope{Error: &v2Fault{Code: code, Message: message},
		Metadata: v2Meta{Action: action, Timestamp: metaTime(s.Now())}})
}

// SuccessV2 answers a v2 send as Linkup does, with fixed data and the
// credits of the documented table (1, or 2 with media); see
// https://docs.linkupapi.com/api-reference/v2/messages/send.
func SuccessV2(w http.ResponseWriter, _ *http.Request, req Request) {
	writeEnvelope(w, http.StatusOK, v2Envelope{Success: true,
		Data: map[string]any{"entityUrn": "urn:li:msg_message:1", "conversation_id": "2-abc", "deliveredAt": "2023-11-14T22:13:20.000Z"},
		Metadata: v2Meta{Action: "send", AccountID: req.AccountID, Credits: sendCredits(req),
			Timestamp: metaTime(time.Now())}})
}

// ReplyV2Error writes a v2 error answer: status, {code, message}, 0 credits.
func ReplyV2Error(w http.ResponseWriter, status int, code, message string) {
	writeEnvelope(w, status, v2Envelope{Error: &v2Fault{Code: code, Message: message},
		Metadata: v2Meta{Timestamp: metaTime(time.Now())}})
}

// sendCredits is a send's price: 1, or 2 with an attachment.
func sendCredits(req Request) int {
	if req.Body.MediaLink != "" || req.Body.MediaFile != "" {
		return 2
	}
	return 1
}

// decodeJSON reads a v2 body into v (and, when given, into m); it
// answers 400 INVALID_PARAMS and returns false when the body is not JSON
// of that shape.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, action string, v any, m *map[string]any) bool {
	raw, err := io.ReadAll(r.Body)
	if err == nil {
		err = json.Unmarshal(raw, v)
	}
	if err == nil && m != nil {
		err = json.Unmarshal(raw, m)
	}
	if err != nil {
		s.v2Error(w, action, http.StatusBadRequest, "INVALID_PARAMS", "Invalid JSON body")
		return false
	}
	return true
}

// accountOf is the account of box, made when it has none. Caller holds s.mu.
func (s *Server) accountOf(box string) *account {
	if a := s.v2.byBox[box]; a != nil {
		return a
	}
	s.v2.seq++
	now := s.now()
	a := &account{id: fmt.Sprintf("69c127c3%016x", s.v2.seq), box: box, label: s.nameOfBox(box), country: "FR",
		created: now, updated: now}
	s.v2.accounts = append(s.v2.accounts, a)
	s.v2.byID[a.id] = a
	s.v2.byBox[box] = a
	return a
}

// now is LinkedIn's time (SetClockOffset). Caller holds s.mu.
func (s *Server) now() time.Time { return time.Now().Add(s.offset) }

// AccountID is the v2 account_id of token's mailbox (MailboxOf), made if
// needed; /v2/login answers the same.
func (s *Server) AccountID(token string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accountOf(s.box(token)).id
}

// Approve approves in the LinkedIn app the pending v2 login of email (an
// app_challenge): the next /v2/checkpoint for it connects.
func (s *Server) Approve(email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.v2.approved[email] = true
}

// v2Auth records a v2 login or checkpoint call in AuthCalls.
func (s *Server) v2Auth(r *http.Request, body map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auths = append(s.auths, ReadCall{Path: r.URL.Path, Body: body, Version: "v2"})
}

// serveV2Login migrates a login token or logs in by email and password,
// after https://docs.linkupapi.com/api-reference/v2/accounts/login and
// the migration page. A token Expire ended is refused with 403
// ACCOUNT_INACTIVE (the docs do not say how Linkup refuses one); wrong
// credentials with 400 INVALID_PARAMS.
func (s *Server) serveV2Login(w http.ResponseWriter, r *http.Request) {
	const action = "login"
	var b struct {
		LoginToken  string `json:"login_token"`
		Email       string `json:"email"`
		Password    string `json:"password"`
		Country     string `json:"country"`
		AccountName string `json:"account_name"`
	}
	var body map[string]any
	ok := s.decodeJSON(w, r, action, &b, &body)
	s.v2Auth(r, body)
	if !ok {
		return
	}
	s.mu.Lock()
	var (
		a         *account
		challenge string
		fault     string
		token     string // the session a login by email gives
	)
	switch l, known := s.logins[b.Email]; {
	case b.LoginToken != "":
		if s.expired[b.LoginToken] {
			fault = "expired"
			break
		}
		a = s.accountOf(s.box(b.LoginToken))
		delete(s.v2.down, a.box)
	case b.Email == "":
		fault = "login_token, or email and password, are required"
	case !known || l.Password != b.Password:
		fault = "Invalid email or password"
	default:
		a = s.accountOf(s.box(l.Token))
		token = l.Token
		switch {
		case l.Code != "":
			challenge = "code_challenge"
		case l.Approval:
			challenge = "app_challenge"
		default:
			s.login(l)
		}
		if challenge != "" {
			s.v2.challenges[a.id] = b.Email
		}
	}
	if a != nil {
		if b.Country != "" {
			a.country = b.Country
		}
		if b.AccountName != "" {
			a.label = b.AccountName
		}
		a.updated = s.now()
	}
	s.mu.Unlock()
	switch {
	case fault == "expired":
		s.v2Error(w, action, http.StatusForbidden, "ACCOUNT_INACTIVE", "LinkedIn session expired, please log in again")
	case fault != "":
		s.v2Error(w, action, http.StatusBadRequest, "INVALID_PARAMS", fault)
	case challenge != "":
		s.v2OK(w, action, a.id, 0, map[string]any{"account_id": a.id, "status": "checkpoint_required", "challenge_type": challenge})
	default:
		s.v2OK(w, action, a.id, 0, s.connectedData(a, token))
	}
}

// connectedData is the data of a v2 login or checkpoint that connected
// account a, whose session is token: with login_token when
// Shapes.LoginTokenV2 asks for it.
func (s *Server) connectedData(a *account, token string) map[string]any {
	d := map[string]any{"account_id": a.id, "status": "connected"}
	s.mu.Lock()
	with := s.shapes.LoginTokenV2
	s.mu.Unlock()
	if with && token != "" {
		d["login_token"] = token
	}
	return d
}

// serveCheckpoint completes a login, after
// https://docs.linkupapi.com/api-reference/v2/accounts/checkpoint: 1
// credit; a wrong code, an approval not given yet (unless
// Shapes.ApprovalPendingAsStatus), or no login waiting is a 400
// INVALID_PARAMS, and the login keeps waiting.
func (s *Server) serveCheckpoint(w http.ResponseWriter, r *http.Request) {
	const action = "checkpoint"
	var b struct {
		AccountID string `json:"account_id"`
		Code      any    `json:"code"`
	}
	var body map[string]any
	ok := s.decodeJSON(w, r, action, &b, &body)
	s.v2Auth(r, body)
	if !ok {
		return
	}
	code := fmt.Sprint(b.Code)
	if f, isNum := b.Code.(float64); isNum {
		code = strconv.FormatFloat(f, 'f', -1, 64)
	}
	s.mu.Lock()
	a := s.v2.byID[b.AccountID]
	var fault, token string
	pending := false // an approval not given yet, answered as a status
	switch email, waiting := "", false; {
	case a == nil:
		fault = "account"
	default:
		email, waiting = s.v2.challenges[a.id]
		l := s.logins[email]
		switch {
		case !waiting:
			fault = "No checkpoint pending for this account: log in first"
		case l.Code != "" && l.Code != code:
			fault = "Invalid verification code"
		case l.Code == "" && !s.v2.approved[email] && s.shapes.ApprovalPendingAsStatus:
			pending = true
		case l.Code == "" && !s.v2.approved[email]:
			fault = "The login is not approved in the LinkedIn app yet"
		default:
			delete(s.v2.challenges, a.id)
			delete(s.v2.approved, email)
			s.login(l)
			a.updated = s.now()
			token = l.Token
		}
	}
	s.mu.Unlock()
	switch {
	case fault == "account":
		s.v2Error(w, action, http.StatusNotFound, "INVALID_ACCOUNT", "Account not found")
	case pending:
		s.v2OK(w, action, a.id, 0, map[string]any{"account_id": a.id, "status": "checkpoint_required", "challenge_type": "app_challenge"})
	case fault == "":
		s.v2OK(w, action, a.id, 1, s.connectedData(a, token))
	default:
		s.v2Error(w, action, http.StatusBadRequest, "INVALID_PARAMS", fault)
	}
}

// serveAccounts lists the accounts, after
// https://docs.linkupapi.com/api-reference/v2/accounts/list-accounts: free.
func (s *Server) serveAccounts(w http.ResponseWriter, r *http.Request) {
	const action = "list_accounts"
	q := r.URL.Query()
	limit, ok1 := queryInt(q, "limit", 50, 1, 500)
	offset, ok2 := queryInt(q, "offset", 0, 0, 1<<30)
	if !ok1 || !ok2 {
		s.v2Error(w, action, http.StatusBadRequest, "INVALID_PARAMS", "limit must be 1 to 500, offset 0 or more")
		return
	}
	s.mu.Lock()
	items := []map[string]any{}
	for i := offset; i < len(s.v2.accounts) && i < offset+limit; i++ {
		a := s.v2.accounts[i]
		status := "active"
		if s.v2.down[a.box] {
			status = "inactive"
		}
		items = append(items, map[string]any{"account_id": a.id, "platform": "linkedin", "account_name": a.label,
			"is_active": status == "active", "status": status, "country": a.country,
			"created_at": isoTime(a.created), "updated_at": isoTime(a.updated)})
	}
	total := len(s.v2.accounts)
	s.mu.Unlock()
	s.v2OK(w, action, "", 0, map[string]any{"items": items, "total": total, "limit": limit, "offset": offset})
}

// queryInt reads q's key as an int in [lo, hi], def when absent.
func queryInt(q url.Values, key string, def, lo, hi int) (int, bool) {
	v := q.Get(key)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= lo && n <= hi
}

// activeAccount finds a v2 call's account and answers 404
// INVALID_ACCOUNT (unknown) or 403 ACCOUNT_INACTIVE (its session ended)
// when it cannot act.
func (s *Server) activeAccount(w http.ResponseWriter, action, id string) (*account, bool) {
	s.mu.Lock()
	a := s.v2.byID[id]
	down := a != nil && s.v2.down[a.box]
	s.mu.Unlock()
	switch {
	case a == nil:
		s.v2Error(w, action, http.StatusNotFound, "INVALID_ACCOUNT", "Account not found")
		return nil, false
	case down:
		s.v2Error(w, action, http.StatusForbidden, "ACCOUNT_INACTIVE", "LinkedIn session expired, please log in again")
		return nil, false
	}
	return a, true
}
