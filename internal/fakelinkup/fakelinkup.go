// Package fakelinkup is a Linkup API for tests and load tools, on
// 127.0.0.1. It records every send-message request and answers with a
// function the test sets; by default a send is delivered into a scripted
// LinkedIn conversation that the inbox and conversation endpoints read
// back (conversations.go), and that a test can change ("Jane replies now").
//
// # v1 and v2 over one LinkedIn
//
// The same server answers Linkup's v1 routes (/v1/...) and its v2 routes
// (/v2/...), as ../shared/linkup-v2.md documents them, over the same
// scripted LinkedIn: a mailbox (one per AddLogin token with a Name, plus
// the default one) is one v2 account with a stable 24-hex account_id
// (AccountID), whichever API reads or writes it.
//
// v2 answers are {"success":true,"data":…,"metadata":{…,"credits_consumed"}}
// or {"success":false,"error":{"code","message"},"metadata":{…}} with real
// HTTP statuses: 403 INVALID_API_KEY for a wrong x-api-key (until SetAPIKey
// any non-empty key is right), 404 INVALID_ACCOUNT for an unknown
// account_id, an unknown webhook_id or an unknown /v2 path, 403
// ACCOUNT_INACTIVE for an account whose session Expire ended, 400
// INVALID_ACTION and INVALID_PARAMS. Errors cost 0 credits; Credits sums
// what v2 answers consumed (v2.go).
//
//   - POST /v2/login migrates a login token (0 credits, the same id every
//     time) or logs in an AddLogin Login by email and password, answering
//     status "checkpoint_required" when the Login has a Code
//     (code_challenge) or Approval (app_challenge); POST /v2/checkpoint
//     completes it (1 credit; the app challenge once Approve was called).
//     GET /v2/accounts lists the accounts.
//   - POST /v2/messages: "send" goes through the same Answer as a v1 send
//     (SetAnswer, Deliver; Request.Version tells them apart; SuccessV2 and
//     ReplyV2Error answer in v2's shape); "list_inbox" and
//     "get_conversation" read the mailbox (v2messages.go) and are counted
//     in Reads under InboxV2 and ConversationV2.
//   - Hosted webhooks (webhooks.go): create, list, delete, start, stop; an
//     active webhook gets the account's events (a reply written by Reply,
//     ReplyIn or Write; Expire's disconnection; InvitationAccepted), kept
//     24 hours on LinkedIn's clock for GET /v2/webhooks/{id}/events and
//     pushed to its Server-Sent Events streams (stream.go), which a test can
//     drop, silence and push odd frames to. MonitoringCredits estimates
//     what monitoring cost.
//
// Where the docs are silent the fake takes the documented or likelier
// reading and Shapes gives the other, so that a client is tested against
// both: deliveredAt in ms, conversation_id in get_conversation, events for
// the account's own messages, /events newest first, webhooks that wait for
// /start, a bare list from GET /v2/webhooks, a placeholder host or the key
// in stream_url, a login_token in a v2 login's answer, an app approval not
// given yet answered as a status rather than a refusal. Connection requests (network.go): v1's network/connect and
// invitation-status, v2's /v2/network invite and check_invitation, and a
// scripted acceptance (Accept). Not faked: custom webhooks (a url; refused),
// GET /v2/accounts/{id}, webhook signing.
//
// The fake logs nothing; in particular the stream's URL, which carries
// the API key, appears in no log, error or recorded call.
package fakelinkup

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Request is one send-message call as Linkup received it, through v1 or v2.
type Request struct {
	APIKey string
	Body   Body
	// Version is the API the call came through: "v1" or "v2".
	Version string
	// AccountID is a v2 send's account_id; empty on v1, where
	// Body.LoginToken names the account.
	AccountID string
	// Media is the attachment sent as media_file, decoded: v1's data URL
	// or v2's base64 data. It is nil without one or when it does not decode.
	Media []byte
	// MediaName is a v2 media_file's filename (v1 sends none).
	MediaName string
}

// Body is the JSON body of a v1 send-message call. A v2 send's params are
// put under their v1 names: profile_url in LinkedInURL, media_file's
// base64 data in MediaFile; LoginToken stays empty.
type Body struct {
	LinkedInURL string `json:"linkedin_url"`
	MessageText string `json:"message_text"`
	Country     string `json:"country"`
	MediaLink   string `json:"media_link"`
	MediaFile   string `json:"media_file"`
	LoginToken  string `json:"login_token"`
}

// Answer writes the answer to one request. It runs on the server's
// goroutine and may block (a test holding a request) until r's context ends.
type Answer func(w http.ResponseWriter, r *http.Request, req Request)

// Success answers as Linkup does for a sent message, with data.
func Success(w http.ResponseWriter, _ *http.Request, _ Request) {
	Reply(w, http.StatusOK, `{"status":"success","message":"Message sent successfully","data":{"entityUrn":"urn:li:msg:1","conversation_id":"2-abc","deliveredAt":1700000000000}}`)
}

// Reply writes a JSON answer with status code.
func Reply(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body)
}

// Server is a fake Linkup.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	answer   Answer
	requests []Request
	aborted  int
	arrived  chan struct{}
	linkedIn
	v2  v2State
	net network // connection requests (network.go)
}

// New starts a fake Linkup that answers Deliver until SetAnswer.
func New() *Server {
	s := &Server{arrived: make(chan struct{}, 1<<16)}
	s.linkedIn = newLinkedIn()
	s.v2 = newV2()
	s.answer = s.Deliver
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/messages/send-message", s.serve)
	mux.HandleFunc("POST /v1/messages/inbox", s.serveInbox)
	mux.HandleFunc("POST /v1/messages/conversation", s.serveConversation)
	mux.HandleFunc("POST /v1/auth/login", s.serveLogin)
	mux.HandleFunc("POST /v1/auth/verify", s.serveVerify)
	s.routeNetwork(mux)
	s.routeV2(mux)
	s.srv = httptest.NewServer(mux)
	return s
}

// URL is the base URL to give the client (LINKUP_BASE_URL).
func (s *Server) URL() string { return s.srv.URL }

// String names the server by its URL: no key, token or password.
func (s *Server) String() string { return "fakelinkup.Server(" + s.srv.URL + ")" }

// GoString is String, so that %#v shows no secret either.
func (s *Server) GoString() string { return s.String() }

// Close stops the server, cutting held requests and open streams off.
func (s *Server) Close() {
	s.DropStreams()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// SetAnswer sets how the following requests are answered.
func (s *Server) SetAnswer(a Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answer = a
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count is how many requests arrived.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// Aborted is how many requests broke off before their body was complete;
// they are not in Requests or Count.
func (s *Server) Aborted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.aborted
}

// Arrived receives once per request, as it arrives (before it is answered).
func (s *Server) Arrived() <-chan struct{} { return s.arrived }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		s.mu.Lock()
		s.aborted++
		s.mu.Unlock()
		return
	}
	req := Request{APIKey: r.Header.Get("x-api-key"), Version: "v1"}
	err = json.Unmarshal(raw, &req.Body)
	req.Media = dataURLBytes(req.Body.MediaFile)
	s.mu.Lock()
	s.requests = append(s.requests, req)
	answer := s.answer
	s.mu.Unlock()
	select {
	case s.arrived <- struct{}{}:
	default:
	}
	if err != nil {
		Reply(w, http.StatusBadRequest, `{"status":"error","message":"Invalid JSON body"}`)
		return
	}
	if s.refuseExpired(w, req.Body.LoginToken) {
		return
	}
	answer(w, r, req)
}

// dataURLBytes decodes a v1 media_file, a data URL; nil when it is not one.
func dataURLBytes(u string) []byte {
	_, b64, ok := strings.Cut(u, ";base64,")
	if !ok {
		return nil
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil
	}
	return data
}
