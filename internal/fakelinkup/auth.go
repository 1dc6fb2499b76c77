package fakelinkup

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// LinkedIn logins behind the fake, after ../shared/linkup-conversations.md:
// a login answers with a token, or (status still "success") with no token
// when LinkedIn emailed a code, which verify exchanges for the token. A
// token the test expired is refused with a 401 by every endpoint.

// Login is a LinkedIn account the fake can log in.
type Login struct {
	Email, Password string
	// Code, when set, is asked for after the password (the emailed code;
	// v2's code_challenge).
	Code string
	// Approval, when set without a Code, makes a v2 login wait for an
	// approval in the LinkedIn app (v2's app_challenge; see Approve).
	// v1 logins ignore it.
	Approval bool
	// Token is the session the login gives.
	Token string
	// Name is the account's name as LinkedIn shows it on its messages.
	Name string
}

// AddLogin lets the fake log l in. The account's mailbox is its token's:
// sends and reads with that token see its conversations only.
func (s *Server) AddLogin(l Login) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logins[l.Email] = l
	if l.Name != "" {
		s.names[l.Token] = l.Name
	}
}

// Expire ends the session of token: every v1 call with it gets a 401.
// The v2 account of its mailbox becomes inactive (403 ACCOUNT_INACTIVE on
// its messages) and, if it was active, its active webhooks get a
// disconnection event, whatever their filter. A login (v1 or v2) of the
// mailbox makes it active again.
func (s *Server) Expire(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expired[token] = true
	s.disconnect(s.box(token))
}

// AuthCalls returns the login and verify calls so far, in order; their
// bodies hold the passwords and codes as sent.
func (s *Server) AuthCalls() []ReadCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ReadCall(nil), s.auths...)
}

// refuseExpired answers a call made with an expired token, as Linkup does.
func (s *Server) refuseExpired(w http.ResponseWriter, token string) bool {
	s.mu.Lock()
	gone := token != "" && s.expired[token]
	s.mu.Unlock()
	if gone {
		Reply(w, http.StatusUnauthorized, `{"status":"error","message":"LinkedIn session expired, please log in again"}`)
	}
	return gone
}

func (s *Server) serveLogin(w http.ResponseWriter, r *http.Request) {
	var b struct{ Email, Password, Country string }
	body := s.authRequest(r, &b)
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.logins[b.Email]
	switch {
	case body == nil:
		Reply(w, http.StatusBadRequest, `{"status":"error","message":"Invalid JSON body"}`)
	case !ok || l.Password != b.Password:
		Reply(w, http.StatusOK, `{"status":"error","message":"Invalid email or password"}`)
	case l.Code != "":
		s.pending[b.Email] = true
		Reply(w, http.StatusOK, `{"status":"success","message":"Check your email for verification code"}`)
	default:
		s.login(l)
		writeToken(w, "Login successful", l.Token)
	}
}

func (s *Server) serveVerify(w http.ResponseWriter, r *http.Request) {
	var b struct{ Email, Code, Country string }
	body := s.authRequest(r, &b)
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.logins[b.Email]
	switch {
	case body == nil:
		Reply(w, http.StatusBadRequest, `{"status":"error","message":"Invalid JSON body"}`)
	case !s.pending[b.Email]:
		Reply(w, http.StatusOK, `{"status":"error","message":"No verification pending for this email: log in first"}`)
	case l.Code != b.Code:
		Reply(w, http.StatusOK, `{"status":"error","message":"Invalid verification code"}`)
	default:
		delete(s.pending, b.Email)
		s.login(l)
		writeToken(w, "Verification successful", l.Token)
	}
}

// login starts l's session again. Caller holds s.mu.
func (s *Server) login(l Login) {
	delete(s.expired, l.Token)
	delete(s.v2.down, s.box(l.Token))
}

func (s *Server) authRequest(r *http.Request, into any) map[string]any {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	if json.Unmarshal(raw, &body) != nil || json.Unmarshal(raw, into) != nil {
		body = nil
	}
	s.mu.Lock()
	s.auths = append(s.auths, ReadCall{Path: r.URL.Path, Body: body, Version: "v1"})
	s.mu.Unlock()
	return body
}

func writeToken(w http.ResponseWriter, message, token string) {
	Reply(w, http.StatusOK, fmt.Sprintf(`{"status":"success","login_token":%q,"message":%q}`, token, message))
}
