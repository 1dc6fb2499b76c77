package linkup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Connection requests (invitations), v1 and v2; see ../shared/linkup-v2.md,
// "Network: connection requests".
const (
	v1Connect          = "/v1/network/connect"
	v1InvitationStatus = "/v1/network/invitation-status"
	v2Network          = "/v2/network"
)

// MaxNoteRunes is the longest note LinkedIn takes with an invitation
// (Premium; free accounts get 200, and few of them a month).
const MaxNoteRunes = 300

// CreditsInvite is what an invitation, or a check of one, costs when
// Linkup processes it.
const CreditsInvite = 1

// CodeNoteLimit is LinkedIn's refusal of a note from a free account over
// its monthly allowance; an invitation without a note still goes.
const CodeNoteLimit = "CUSTOM_INVITE_LIMIT_REACHED"

// Invitation is one connection request to send.
type Invitation struct {
	// ProfileURL is the person invited, as ProfileURL returns it.
	ProfileURL string
	// Note is the optional message, at most MaxNoteRunes.
	Note string
	// Country is the proxy country (v1); empty lets Linkup choose.
	Country string
	// LoginToken (v1, the client's own when empty) or AccountID (v2,
	// required) is the account it goes from.
	LoginToken string
	AccountID  string
}

// InviteResult is Linkup's answer to an invitation it sent.
type InviteResult struct {
	// InvitationURN is v2's invitation_urn, when given.
	InvitationURN string
	// Name is the invited person's first and last name, when given.
	Name string
	// Credits is what the invitation cost.
	Credits int
}

// NoteLimited reports whether err is LinkedIn's refusal of the note
// (CUSTOM_INVITE_LIMIT_REACHED), however Linkup passed it on.
func NoteLimited(err error) bool {
	e, ok := errors.AsType[*Error](err)
	if !ok {
		return false
	}
	return strings.EqualFold(e.Code, CodeNoteLimit) || strings.Contains(strings.ToUpper(e.Message), CodeNoteLimit)
}

// Invite sends one connection request with its note, once: like
// SendMessage, it never sends the request twice, and its *Error's Kind
// tells whether it may have gone (KindUnknown) or certainly did not.
func (c *Client) Invite(ctx context.Context, inv Invitation) (InviteResult, error) {
	if utf8.RuneCountInString(inv.Note) > MaxNoteRunes {
		return InviteResult{}, &Error{Kind: KindInvalid, Message: "the note is longer than LinkedIn's 300 characters"}
	}
	switch c.version {
	case V1:
		body := map[string]any{"linkedin_url": inv.ProfileURL, "login_token": c.token(inv.LoginToken)}
		if inv.Note != "" {
			body["message"] = inv.Note
		}
		if inv.Country != "" {
			body["country"] = inv.Country
		}
		a, err := c.v1Once(ctx, v1Connect, body)
		if err != nil {
			return InviteResult{}, c.redact(err, c.token(inv.LoginToken))
		}
		r := InviteResult{Credits: CreditsInvite}
		var d struct {
			First flexString `json:"first_name"`
			Last  flexString `json:"last_name"`
			URN   flexString `json:"invitation_urn"`
		}
		lenient(a.Data, &d)
		r.Name, r.InvitationURN = strings.TrimSpace(string(d.First)+" "+string(d.Last)), string(d.URN)
		return r, nil
	case V2:
		if strings.TrimSpace(inv.AccountID) == "" {
			return InviteResult{}, &Error{Kind: KindInvalid, Message: "no Linkup account to invite from: v2 acts from an account_id"}
		}
		params := map[string]any{"profile_url": inv.ProfileURL}
		if inv.Note != "" {
			params["message"] = inv.Note
		}
		a, err := c.callV2(ctx, http.MethodPost, v2Network, actionV2{AccountID: inv.AccountID, Action: "invite", Params: params})
		if err != nil {
			return InviteResult{}, err
		}
		r := InviteResult{Credits: CreditsInvite}
		if n, ok := a.credits(); ok {
			r.Credits = n
		}
		var d struct {
			First flexString `json:"first_name"`
			Last  flexString `json:"last_name"`
			URN   flexString `json:"invitation_urn"`
		}
		lenient(a.Data, &d)
		r.Name, r.InvitationURN = strings.TrimSpace(string(d.First)+" "+string(d.Last)), string(d.URN)
		return r, nil
	default:
		return InviteResult{}, c.badVersion()
	}
}

// Invitation states, as CheckInvitation gives them.
const (
	InvitationAccepted = "ACCEPTED"
	InvitationPending  = "PENDING"
	InvitationNone     = "NO_INVITATION"
)

// InvitationStatus is what a check of an invitation found.
type InvitationStatus struct {
	// State is InvitationAccepted, InvitationPending, InvitationNone or
	// whatever else came, upper-cased.
	State string
	// Connected is set when the person is a 1st-degree connection
	// (member_distance 1, or invitation_type CONNECTED).
	Connected bool
	// Credits is what the check cost.
	Credits int
}

// Accepted reports whether the person is now a connection.
func (s InvitationStatus) Accepted() bool { return s.State == InvitationAccepted || s.Connected }

// CheckInvitation reads the state of the invitation to profileURL from
// sess's account (v1 invitation-status, v2 check_invitation; 1 credit).
func (c *Client) CheckInvitation(ctx context.Context, profileURL string, sess Session) (InvitationStatus, error) {
	var data json.RawMessage
	st := InvitationStatus{Credits: CreditsInvite}
	switch c.version {
	case V1:
		body := map[string]any{"linkedin_url": profileURL, "login_token": c.token(sess.LoginToken)}
		if sess.Country != "" {
			body["country"] = sess.Country
		}
		a, err := c.v1Once(ctx, v1InvitationStatus, body)
		if err != nil {
			return InvitationStatus{}, c.redact(err, c.token(sess.LoginToken))
		}
		data = a.Data
	case V2:
		if strings.TrimSpace(sess.AccountID) == "" {
			return InvitationStatus{}, &Error{Kind: KindInvalid, Message: "no Linkup account to read: v2 reads an account_id"}
		}
		a, err := c.callV2(ctx, http.MethodPost, v2Network, actionV2{AccountID: sess.AccountID, Action: "check_invitation",
			Params: map[string]any{"profile_url": profileURL}})
		if err != nil {
			return InvitationStatus{}, err
		}
		if n, ok := a.credits(); ok {
			st.Credits = n
		}
		data = a.Data
	default:
		return InvitationStatus{}, c.badVersion()
	}
	var d struct {
		State    flexString `json:"invitation_state"`
		Type     flexString `json:"invitation_type"`
		Distance flexInt    `json:"member_distance"`
	}
	lenient(data, &d)
	st.State = strings.ToUpper(strings.TrimSpace(string(d.State)))
	st.Connected = d.Distance.Set && d.Distance.N == 1 || strings.EqualFold(string(d.Type), "CONNECTED")
	return st, nil
}

// v1Once makes one v1 JSON POST to path, once, and decodes its answer
// by v1's rules (decodeAnswer).
func (c *Client) v1Once(ctx context.Context, path string, body map[string]any) (answer, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return answer{}, &Error{Kind: KindInvalid, Message: "the request could not be encoded", Err: err}
	}
	resp, ans, err := c.exchange(ctx, http.MethodPost, path, bytes.NewReader(raw), int64(len(raw)), maxAnswerBytes)
	if err != nil {
		return answer{}, err
	}
	return decodeAnswer(resp, ans)
}
