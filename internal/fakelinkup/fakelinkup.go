// Package fakelinkup is a Linkup API for tests and load tools, on
// 127.0.0.1. It records every send-message request and answers with a
// function the test sets; by default a send is delivered into a scripted
// LinkedIn conversation that the inbox and conversation endpoints read
// back (conversations.go), and that a test can change ("Jane replies now").
package fakelinkup

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
)

// Request is one send-message call as Linkup received it.
type Request struct {
	APIKey string
	Body   Body
}

// Body is the JSON body of a send-message call.
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
}

// New starts a fake Linkup that answers Deliver until SetAnswer.
func New() *Server {
	s := &Server{arrived: make(chan struct{}, 1<<16)}
	s.linkedIn = newLinkedIn()
	s.answer = s.Deliver
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/messages/send-message", s.serve)
	mux.HandleFunc("POST /v1/messages/inbox", s.serveInbox)
	mux.HandleFunc("POST /v1/messages/conversation", s.serveConversation)
	mux.HandleFunc("POST /v1/auth/login", s.serveLogin)
	mux.HandleFunc("POST /v1/auth/verify", s.serveVerify)
	s.srv = httptest.NewServer(mux)
	return s
}

// URL is the base URL to give the client (LINKUP_BASE_URL).
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server, cutting held requests off.
func (s *Server) Close() {
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
	req := Request{APIKey: r.Header.Get("x-api-key")}
	err = json.Unmarshal(raw, &req.Body)
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
