package fakelinkup

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNetworkV2InviteCheckAccept(t *testing.T) {
	s := New()
	defer s.Close()
	id := s.AccountID("")
	check := func() map[string]any {
		code, e, raw := call(t, s, "POST", "/v2/network", "k", map[string]any{"account_id": id, "action": "check_invitation", "params": map[string]any{"profile_url": jane}})
		require.Equal(t, http.StatusOK, code, raw)
		assert.Equal(t, 1, e.Metadata.Credits)
		var d map[string]any
		require.NoError(t, json.Unmarshal(e.Data, &d))
		return d
	}
	assert.Equal(t, "NO_INVITATION", check()["invitation_state"])
	code, e, raw := call(t, s, "POST", "/v2/network", "k", map[string]any{"account_id": id, "action": "invite", "params": map[string]any{"profile_url": jane, "message": "Hi"}})
	require.Equal(t, http.StatusOK, code, raw)
	assert.Equal(t, 1, e.Metadata.Credits)
	assert.Equal(t, "PENDING", check()["invitation_state"])
	s.Accept("", jane, "Jane Doe")
	d := check()
	assert.Equal(t, "ACCEPTED", d["invitation_state"])
	assert.EqualValues(t, 1, d["member_distance"])
	assert.Equal(t, 4, s.Credits(), "1 per call")
	require.Len(t, s.InviteCalls(), 4)
	assert.Equal(t, "Hi", s.InviteCalls()[1].Note)
	assert.Equal(t, 1, s.Invites())

	code, e, _ = call(t, s, "POST", "/v2/network", "k", map[string]any{"account_id": id, "action": "invite", "params": map[string]any{"profile_url": jane, "message": strings.Repeat("x", 301)}})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, "INVALID_PARAMS", e.Error.Code, "a note over 300 characters")
	assert.Equal(t, 0, e.Metadata.Credits)
}

func TestNetworkV1(t *testing.T) {
	s := New()
	defer s.Close()
	post := func(path string, body map[string]any) (int, map[string]any) {
		raw, _ := json.Marshal(body)
		resp, err := http.Post(s.URL()+path, "application/json", strings.NewReader(string(raw)))
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out map[string]any
		require.NoError(t, json.Unmarshal(b, &out))
		return resp.StatusCode, out
	}
	code, out := post("/v1/network/connect", map[string]any{"linkedin_url": jane, "message": "Hi", "login_token": "t"})
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "success", out["status"])
	_, out = post("/v1/network/invitation-status", map[string]any{"linkedin_url": jane, "login_token": "t"})
	assert.Equal(t, "PENDING", out["data"].(map[string]any)["invitation_state"])
	s.Accept("t", jane, "Jane")
	_, out = post("/v1/network/invitation-status", map[string]any{"linkedin_url": jane, "login_token": "t"})
	assert.Equal(t, "ACCEPTED", out["data"].(map[string]any)["invitation_state"])
	code, _ = post("/v1/network/connect", map[string]any{"login_token": "t"})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Len(t, s.InviteCalls(), 4)
}
