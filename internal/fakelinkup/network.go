package fakelinkup

import (
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Connection requests, after ../shared/linkup-v2.md ("Network"): v1's
// POST /v1/network/connect and /v1/network/invitation-status, and v2's
// POST /v2/network with the actions invite and check_invitation (1 credit
// each; errors 0 on v2). Every call is recorded in InviteCalls, refused
// ones included. An invitation is pending until Accept, which makes it
// accepted and, on v2, emits accepted_invitation to the account's active
// webhooks. SetInviteAnswer scripts refusals (a note over the free
// allowance, a timeout).

// InviteCall is one call to a network route.
type InviteCall struct {
	Version string // "v1" or "v2"
	Action  string // invite or check_invitation (v1's routes are named so too)
	Profile string
	Note    string
	// AccountID (v2) or LoginToken (v1) names the account.
	AccountID  string
	LoginToken string
}

// InviteAnswer may answer a network call itself; it reports whether it did.
type InviteAnswer func(w http.ResponseWriter, c InviteCall) bool

type network struct {
	mu      sync.Mutex
	calls   []InviteCall
	answer  InviteAnswer
	invited map[string]string // box + "\x00" + profile key → PENDING, ACCEPTED
}

func (n *network) init() {
	if n.invited == nil {
		n.invited = map[string]string{}
	}
}

// InviteCalls returns the network calls so far.
func (s *Server) InviteCalls() []InviteCall {
	s.net.mu.Lock()
	defer s.net.mu.Unlock()
	return append([]InviteCall(nil), s.net.calls...)
}

// Invites counts the invite calls (v1 and v2) so far.
func (s *Server) Invites() int {
	n := 0
	for _, c := range s.InviteCalls() {
		if c.Action == "invite" {
			n++
		}
	}
	return n
}

// SetInviteAnswer scripts the answers of the following network calls;
// nil answers as Linkup does.
func (s *Server) SetInviteAnswer(a InviteAnswer) {
	s.net.mu.Lock()
	defer s.net.mu.Unlock()
	s.net.answer = a
}

// Accept has profile accept the invitation token's account sent them
// (the default account's with ""): the checks then say ACCEPTED, and on
// v2 the account's active webhooks get accepted_invitation.
func (s *Server) Accept(token, profile, name string) {
	s.mu.Lock()
	box := s.box(token)
	s.mu.Unlock()
	s.net.mu.Lock()
	s.net.init()
	s.net.invited[box+"\x00"+netKey(profile)] = "ACCEPTED"
	s.net.mu.Unlock()
	s.InvitationAccepted(token, Person{Name: name, ProfileURL: profile})
}

func netKey(u string) string {
	return strings.ToLower(strings.TrimRight(strings.TrimSpace(u), "/"))
}

func (s *Server) routeNetwork(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/network/connect", func(w http.ResponseWriter, r *http.Request) { s.serveV1Network(w, r, "invite") })
	mux.HandleFunc("POST /v1/network/invitation-status", func(w http.ResponseWriter, r *http.Request) { s.serveV1Network(w, r, "check_invitation") })
	mux.HandleFunc("POST /v2/network", s.v2Route(s.serveV2Network))
}

// record records c and returns the scripted answer, if any.
func (s *Server) recordNetwork(c InviteCall) InviteAnswer {
	s.net.mu.Lock()
	defer s.net.mu.Unlock()
	s.net.calls = append(s.net.calls, c)
	return s.net.answer
}

// invitationState is box's invitation to profile: "" when none. An
// invite makes one pending (kept accepted when it was).
func (s *Server) invitationState(box, profile string, invite bool) string {
	s.net.mu.Lock()
	defer s.net.mu.Unlock()
	s.net.init()
	k := box + "\x00" + netKey(profile)
	if invite && s.net.invited[k] == "" {
		s.net.invited[k] = "PENDING"
	}
	return s.net.invited[k]
}

func (s *Server) serveV1Network(w http.ResponseWriter, r *http.Request, action string) {
	var b struct {
		LinkedInURL string `json:"linkedin_url"`
		Message     string `json:"message"`
		LoginToken  string `json:"login_token"`
	}
	raw, _ := io.ReadAll(r.Body)
	err := json.Unmarshal(raw, &b)
	c := InviteCall{Version: "v1", Action: action, Profile: b.LinkedInURL, Note: b.Message, LoginToken: b.LoginToken}
	answer := s.recordNetwork(c)
	if err != nil || b.LinkedInURL == "" {
		Reply(w, http.StatusBadRequest, `{"status":"error","message":"Invalid parameter: linkedin_url"}`)
		return
	}
	if s.refuseExpired(w, b.LoginToken) {
		return
	}
	if answer != nil && answer(w, c) {
		return
	}
	s.mu.Lock()
	box := s.box(b.LoginToken)
	s.mu.Unlock()
	state := s.invitationState(box, b.LinkedInURL, action == "invite")
	if action == "invite" {
		Reply(w, http.StatusOK, `{"status":"success","message":"Invitation sent","data":{"first_name":"Jane","last_name":"Doe"}}`)
		return
	}
	data, _ := json.Marshal(statusData(state))
	Reply(w, http.StatusOK, `{"status":"success","data":`+string(data)+`}`)
}

func statusData(state string) map[string]any {
	d := map[string]any{"invitation_state": cmp.Or(state, "NO_INVITATION"), "invitation_type": nil, "member_distance": 2}
	switch state {
	case "ACCEPTED":
		d["invitation_type"], d["member_distance"] = "CONNECTED", 1
	case "PENDING":
		d["invitation_type"] = "SENT"
	}
	return d
}

func (s *Server) serveV2Network(w http.ResponseWriter, r *http.Request) {
	var b struct {
		AccountID string `json:"account_id"`
		Action    string `json:"action"`
		Params    struct {
			ProfileURL string `json:"profile_url"`
			Message    string `json:"message"`
		} `json:"params"`
	}
	raw, _ := io.ReadAll(r.Body)
	err := json.Unmarshal(raw, &b)
	c := InviteCall{Version: "v2", Action: b.Action, Profile: b.Params.ProfileURL, Note: b.Params.Message, AccountID: b.AccountID}
	answer := s.recordNetwork(c)
	a, ok := s.activeAccount(w, b.Action, b.AccountID) // no body names no account
	if !ok {
		return
	}
	if err != nil {
		s.v2Error(w, "", http.StatusBadRequest, "INVALID_PARAMS", "Invalid JSON body")
		return
	}
	if b.Action != "invite" && b.Action != "check_invitation" {
		s.v2Error(w, b.Action, http.StatusBadRequest, "INVALID_ACTION", "Unknown action for network")
		return
	}
	if b.Params.ProfileURL == "" || len([]rune(b.Params.Message)) > 300 {
		s.v2Error(w, b.Action, http.StatusBadRequest, "INVALID_PARAMS", "Invalid parameter")
		return
	}
	if answer != nil && answer(w, c) {
		return
	}
	state := s.invitationState(a.box, b.Params.ProfileURL, b.Action == "invite")
	if b.Action == "invite" {
		s.v2OK(w, "invite", a.id, 1, map[string]any{"invitation_urn": "urn:li:invitation:1", "first_name": "Jane", "last_name": "Doe"})
		return
	}
	s.v2OK(w, "check_invitation", a.id, 1, statusData(state))
}
