package linkup

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The network shapes of ../shared/linkup-v2.md, "Network: connection requests".

func TestInviteV2(t *testing.T) {
	s, log := v2server(t, 200, nil, `{"success":true,"data":{"invitation_urn":"urn:li:invitation:9","profile_urn":"x","first_name":"Jane","last_name":"Doe"},
		"metadata":{"action":"invite","account_id":"acc-1","credits_consumed":1,"timestamp":"2025-01-15T10:35:00.000000"}}`)
	defer s.Close()
	res, err := v2client(s.URL).Invite(context.Background(), Invitation{AccountID: "acc-1", ProfileURL: "https://www.linkedin.com/in/jane-doe", Note: "Hi Jane"})
	require.NoError(t, err)
	assert.Equal(t, InviteResult{InvitationURN: "urn:li:invitation:9", Name: "Jane Doe", Credits: 1}, res)
	assert.Equal(t, "/v2/network", log.path)
	assert.Equal(t, map[string]any{"account_id": "acc-1", "action": "invite",
		"params": map[string]any{"profile_url": "https://www.linkedin.com/in/jane-doe", "message": "Hi Jane"}}, log.body)
	assert.EqualValues(t, 1, log.calls.Load())
}

func TestInviteV1(t *testing.T) {
	s, log := v2server(t, 200, nil, `{"status":"success","message":"Invitation sent"}`)
	defer s.Close()
	c := New(Config{BaseURL: s.URL, APIKey: "key-1", LoginToken: "login-1", Timeout: 2 * time.Second})
	res, err := c.Invite(context.Background(), Invitation{ProfileURL: "https://www.linkedin.com/in/jane-doe", Country: "FR"})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Credits)
	assert.Equal(t, "/v1/network/connect", log.path)
	assert.Equal(t, map[string]any{"linkedin_url": "https://www.linkedin.com/in/jane-doe", "login_token": "login-1", "country": "FR"}, log.body, "no note: no message")
}

func TestInviteRefusalsAndUnknowns(t *testing.T) {
	for _, c := range []struct {
		name, version string
		code          int
		body          string
		kind          Kind
		noteLimited   bool
	}{
		{"v2 note limit", "v2", 429, `{"success":false,"error":{"code":"CUSTOM_INVITE_LIMIT_REACHED","message":"limit"},"metadata":{"credits_consumed":0}}`, KindRateLimited, true},
		{"v1 note limit", "v1", 200, `{"status":"error","message":"CUSTOM_INVITE_LIMIT_REACHED"}`, KindInvalid, true},
		{"v2 invalid", "v2", 400, `{"success":false,"error":{"code":"INVALID_PARAMS","message":"Invalid parameter"}}`, KindInvalid, false},
		{"v1 4xx", "v1", 400, `{"status":"error","message":"Invalid parameter"}`, KindInvalid, false},
		{"v2 5xx", "v2", 500, `{"success":false,"error":{"code":"INTERNAL_ERROR","message":"x"}}`, KindUnknown, false},
		{"v1 5xx", "v1", 502, `bad gateway`, KindUnknown, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, log := v2server(t, c.code, nil, c.body)
			defer s.Close()
			cl := New(Config{BaseURL: s.URL, Version: c.version, APIKey: "key-1", LoginToken: "login-1", Timeout: 2 * time.Second})
			_, err := cl.Invite(context.Background(), Invitation{AccountID: "acc-1", ProfileURL: "https://www.linkedin.com/in/jane-doe", Note: "n"})
			require.Error(t, err)
			assert.Equal(t, c.kind, AsError(err).Kind)
			assert.Equal(t, c.noteLimited, NoteLimited(err))
			assert.EqualValues(t, 1, log.calls.Load(), "one call, never repeated")
			assert.NotContains(t, err.Error(), "login-1")
		})
	}
}

func TestInviteRefusesALongNoteWithoutACall(t *testing.T) {
	s, log := v2server(t, 200, nil, `{"success":true}`)
	defer s.Close()
	_, err := v2client(s.URL).Invite(context.Background(), Invitation{AccountID: "acc-1", ProfileURL: "https://www.linkedin.com/in/jane-doe", Note: strings.Repeat("é", 301)})
	require.Error(t, err)
	assert.Equal(t, KindInvalid, AsError(err).Kind)
	assert.Zero(t, log.calls.Load())
	_, err = v2client(s.URL).Invite(context.Background(), Invitation{ProfileURL: "https://www.linkedin.com/in/jane-doe"})
	assert.Contains(t, err.Error(), "account_id", "v2 without an account sends nothing")
	assert.Zero(t, log.calls.Load())
}

func TestCheckInvitation(t *testing.T) {
	for _, c := range []struct {
		name, version, body string
		accepted            bool
		state               string
	}{
		{"v2 accepted", "v2", `{"success":true,"data":{"invitation_state":"ACCEPTED","invitation_type":"CONNECTED","member_distance":1},"metadata":{"credits_consumed":1}}`, true, "ACCEPTED"},
		{"v2 pending", "v2", `{"success":true,"data":{"invitation_state":"PENDING","invitation_type":"SENT","member_distance":2}}`, false, "PENDING"},
		{"v1 connected by distance", "v1", `{"status":"success","data":{"invitation_state":"NO_INVITATION","invitation_type":null,"member_distance":"1"}}`, true, "NO_INVITATION"},
		{"v1 odd types", "v1", `{"status":"success","data":{"invitation_state":7,"member_distance":null}}`, false, "7"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, log := v2server(t, 200, nil, c.body)
			defer s.Close()
			cl := New(Config{BaseURL: s.URL, Version: c.version, APIKey: "key-1", LoginToken: "login-1", Timeout: 2 * time.Second})
			st, err := cl.CheckInvitation(context.Background(), "https://www.linkedin.com/in/jane-doe", Session{AccountID: "acc-1"})
			require.NoError(t, err)
			assert.Equal(t, c.accepted, st.Accepted())
			assert.Equal(t, c.state, st.State)
			assert.Equal(t, 1, st.Credits)
			if c.version == "v2" {
				assert.Equal(t, "/v2/network", log.path)
				assert.Equal(t, "check_invitation", log.body["action"])
			} else {
				assert.Equal(t, "/v1/network/invitation-status", log.path)
				assert.Equal(t, "login-1", log.body["login_token"])
			}
			_ = http.StatusOK
		})
	}
}
