package linkup

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Login and checkpoint answers follow
// https://docs.linkupapi.com/api-reference/v2/accounts/login and
// https://docs.linkupapi.com/api-reference/v2/accounts/checkpoint.

func TestV2Login(t *testing.T) {
	cases := []struct {
		name, body string
		want       LoginResult
		connected  bool
	}{
		{"connected", `{"success":true,"data":{"account_id":"69c127c37cae0494dd827286","status":"connected"},"metadata":{"action":"login","credits_consumed":0}}`,
			LoginResult{AccountID: "69c127c37cae0494dd827286"}, true},
		{"a code is needed", `{"success":true,"data":{"account_id":"acc-1","status":"checkpoint_required","challenge_type":"code_challenge"}}`,
			LoginResult{AccountID: "acc-1", NeedsCode: true}, false},
		{"an approval in the app is needed", `{"success":true,"data":{"account_id":"acc-1","status":"checkpoint_required","challenge_type":"app_challenge"},"message":"Approve in the app"}`,
			LoginResult{AccountID: "acc-1", NeedsApproval: true, Message: "Approve in the app"}, false},
		{"the challenge under checkpoint", `{"success":true,"data":{"account_id":"acc-1","status":"CHECKPOINT_REQUIRED","checkpoint":{"type":"app_challenge"}}}`,
			LoginResult{AccountID: "acc-1", NeedsApproval: true}, false},
		{"the challenge as checkpoint's value", `{"success":true,"data":{"account_id":"acc-1","status":"checkpoint_required","checkpoint":"code_challenge"}}`,
			LoginResult{AccountID: "acc-1", NeedsCode: true}, false},
		{"a checkpoint without its type asks for a code", `{"success":true,"data":{"account_id":"acc-1","status":"checkpoint_required"}}`,
			LoginResult{AccountID: "acc-1", NeedsCode: true}, false},
		{"no status, an id: connected", `{"success":true,"data":{"account_id":"acc-1"}}`, LoginResult{AccountID: "acc-1"}, true},
		// The docs' answer has no login token; one given anyway is kept.
		{"a login token given anyway", `{"success":true,"data":{"account_id":"acc-1","status":"connected","login_token":" AQEDAR "}}`,
			LoginResult{AccountID: "acc-1", Token: "AQEDAR"}, true},
		{"a login token in camel case", `{"success":true,"data":{"account_id":"acc-1","loginToken":"AQEDAR"}}`,
			LoginResult{AccountID: "acc-1", Token: "AQEDAR"}, true},
		{"a login token of another type is none", `{"success":true,"data":{"account_id":"acc-1","login_token":{"v":1}}}`,
			LoginResult{AccountID: "acc-1"}, true},
		{"no session before the checkpoint", `{"success":true,"data":{"account_id":"acc-1","status":"checkpoint_required","login_token":"AQEDAR"}}`,
			LoginResult{AccountID: "acc-1", NeedsCode: true}, false},
		{"the token stays out of the message", `{"success":true,"message":"session AQEDAR opened","data":{"account_id":"acc-1","login_token":"AQEDAR"}}`,
			LoginResult{AccountID: "acc-1", Token: "AQEDAR", Message: "session [redacted] opened"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, log := v2server(t, 200, nil, tc.body)
			got, err := v2client(s.URL).Login(context.Background(), "jane@example.com", "pw-secret", "FR")
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.connected, got.Connected())
			assert.Equal(t, "/v2/login", log.path)
			assert.Equal(t, map[string]any{"platform": "linkedin", "email": "jane@example.com", "password": "pw-secret", "country": "FR", "challenge_type": "code_challenge"}, log.body)
			assert.EqualValues(t, 1, log.calls.Load())
		})
	}
}

func TestV2LoginAnswersNotUnderstood(t *testing.T) {
	for _, body := range []string{
		`{"success":true,"data":{"status":"connected"}}`,
		`{"success":true,"data":{"account_id":"acc-1","status":"failed Pw-Secret"}}`,
		`{"success":true}`,
	} {
		s, log := v2server(t, 200, nil, body)
		_, err := v2client(s.URL).Login(context.Background(), "jane@example.com", "Pw-Secret", "")
		le := AsError(err)
		assert.Equal(t, KindUnknown, le.Kind, body)
		assert.NotContains(t, strings.ToLower(le.Error()), "pw-secret")
		assert.NotContains(t, log.body, "country", "no country: Linkup's default")
	}
	for code, kind := range map[string]Kind{"INVALID_PARAMS": KindInvalid, "RATE_LIMITED": KindRateLimited} {
		s, _ := v2server(t, 400, nil, `{"success":false,"error":{"code":"`+code+`","message":"Wrong password pw-secret"}}`)
		_, err := v2client(s.URL).Login(context.Background(), "jane@example.com", "pw-secret", "FR")
		le := AsError(err)
		assert.Equal(t, kind, le.Kind)
		assert.Equal(t, "Wrong password [redacted]", le.Message)
	}
}

func TestV1LoginIsUnchanged(t *testing.T) {
	s, log := v2server(t, 200, nil, `{"status":"success","login_token":"AQEDAR"}`)
	got, err := client(s.URL).Login(context.Background(), "jane@example.com", "pw", "FR")
	require.NoError(t, err)
	assert.Equal(t, LoginResult{Token: "AQEDAR"}, got)
	assert.True(t, got.Connected())
	assert.Equal(t, "/v1/auth/login", log.path)
	_, err = v2client(s.URL).Verify(context.Background(), "jane@example.com", "123456", "FR")
	assert.Equal(t, KindInvalid, AsError(err).Kind, "v2 codes go to Checkpoint")
	assert.EqualValues(t, 1, log.calls.Load())
}

func TestV2Checkpoint(t *testing.T) {
	s, log := v2server(t, 200, nil, `{"success":true,"data":{"account_id":"acc-1","status":"connected"},"metadata":{"credits_consumed":1}}`)
	got, err := v2client(s.URL).Checkpoint(context.Background(), "acc-1", "424242")
	require.NoError(t, err)
	assert.Equal(t, LoginResult{AccountID: "acc-1"}, got)
	assert.Equal(t, "/v2/checkpoint", log.path)
	assert.Equal(t, map[string]any{"account_id": "acc-1", "code": "424242"}, log.body)

	// An app approval: no code. An answer without account_id keeps the one asked for.
	s, log = v2server(t, 200, nil, `{"success":true,"data":{"status":"connected"}}`)
	got, err = v2client(s.URL).Checkpoint(context.Background(), "acc-1", "")
	require.NoError(t, err)
	assert.True(t, got.Connected())
	assert.Equal(t, "acc-1", got.AccountID)
	assert.Equal(t, map[string]any{"account_id": "acc-1"}, log.body)

	// A session given anyway is kept.
	s, _ = v2server(t, 200, nil, `{"success":true,"data":{"account_id":"acc-1","status":"connected","login_token":"AQEDAR"}}`)
	got, err = v2client(s.URL).Checkpoint(context.Background(), "acc-1", "424242")
	require.NoError(t, err)
	assert.Equal(t, LoginResult{AccountID: "acc-1", Token: "AQEDAR"}, got)

	// The approval not given yet.
	s, _ = v2server(t, 200, nil, `{"success":true,"data":{"account_id":"acc-1","status":"checkpoint_required","challenge_type":"app_challenge"}}`)
	got, err = v2client(s.URL).Checkpoint(context.Background(), "acc-1", "")
	require.NoError(t, err)
	assert.True(t, got.NeedsApproval)
	assert.False(t, got.Connected())

	// A wrong code.
	s, _ = v2server(t, 400, nil, `{"success":false,"error":{"code":"INVALID_PARAMS","message":"Invalid code 424242"}}`)
	_, err = v2client(s.URL).Checkpoint(context.Background(), "acc-1", "424242")
	assert.Equal(t, KindInvalid, AsError(err).Kind)
	assert.NotContains(t, err.Error(), "424242")

	s, log = v2server(t, 200, nil, `{}`)
	_, err = v2client(s.URL).Checkpoint(context.Background(), "", "1")
	assert.Equal(t, KindInvalid, AsError(err).Kind)
	assert.Zero(t, log.calls.Load())
}

// TestV2Migrate: the login_token form of /v2/login, free and giving the
// same id each time (https://docs.linkupapi.com/api-reference/v2/migration).
func TestV2Migrate(t *testing.T) {
	s, log := v2server(t, 200, nil, `{"success":true,"data":{"account_id":"69c127c37cae0494dd827286","status":"connected"},"metadata":{"credits_consumed":0}}`)
	c := v2client(s.URL)
	for range 2 {
		id, err := c.Migrate(context.Background(), "AQEDAR-token", "FR")
		require.NoError(t, err)
		assert.Equal(t, "69c127c37cae0494dd827286", id)
	}
	assert.Equal(t, map[string]any{"platform": "linkedin", "login_token": "AQEDAR-token", "country": "FR"}, log.body)
	assert.EqualValues(t, 2, log.calls.Load())

	// A v1 client migrates too: Migrate is v2's whatever the version.
	_, err := client(s.URL).Migrate(context.Background(), "AQEDAR-token", "")
	require.NoError(t, err)
	assert.Equal(t, "/v2/login", log.path)
	assert.Equal(t, map[string]any{"platform": "linkedin", "login_token": "AQEDAR-token"}, log.body)

	s, _ = v2server(t, 200, nil, `{"success":true,"data":{"account_id":"acc-1","status":"checkpoint_required"}}`)
	_, err = v2client(s.URL).Migrate(context.Background(), "AQEDAR-token", "FR")
	assert.Equal(t, KindAuth, AsError(err).Kind, "a challenged token must log in again")

	s, _ = v2server(t, 403, nil, `{"success":false,"error":{"code":"ACCOUNT_INACTIVE","message":"Session AQEDAR-token expired"}}`)
	_, err = v2client(s.URL).Migrate(context.Background(), "AQEDAR-token", "FR")
	assert.Equal(t, KindAuth, AsError(err).Kind)
	assert.NotContains(t, err.Error(), "AQEDAR-token")

	s, log = v2server(t, 200, nil, `{}`)
	_, err = v2client(s.URL).Migrate(context.Background(), "", "FR")
	assert.Equal(t, KindInvalid, AsError(err).Kind)
	assert.Zero(t, log.calls.Load())
}

// TestV2CheckKey: GET /v2/accounts?limit=1, free
// (https://docs.linkupapi.com/api-reference/v2/accounts/list-accounts).
func TestV2CheckKey(t *testing.T) {
	s, log := v2server(t, 200, nil, `{"success":true,"data":{"items":[{"account_id":"acc-1","platform":"linkedin","is_active":true,"status":"active"}],"total":1,"limit":1,"offset":0}}`)
	require.NoError(t, v2client(s.URL).CheckKey(context.Background()))
	assert.Equal(t, "GET", log.method)
	assert.Equal(t, "/v2/accounts", log.path)
	assert.Equal(t, "limit=1", log.query)
	assert.Equal(t, "key-1", log.key)
	assert.Zero(t, log.contentLength)

	cases := []struct {
		code int
		body string
		kind Kind
	}{
		{403, `{"success":false,"error":{"code":"INVALID_API_KEY","message":"Invalid API key"}}`, KindKey},
		{401, ``, KindKey},
		{403, `{"message":"Forbidden"}`, KindKey},
		{404, `{"success":false,"error":{"code":"INVALID_ACCOUNT","message":"Not found"}}`, KindInvalid},
		{500, ``, KindUnknown},
	}
	for _, tc := range cases {
		s, _ := v2server(t, tc.code, nil, tc.body)
		err := v2client(s.URL).CheckKey(context.Background())
		assert.Equal(t, tc.kind, AsError(err).Kind, tc.body)
		assert.NotContains(t, err.Error(), "key-1")
	}
}

// A check of an app approval (a checkpoint without a code) that LinkedIn
// has not confirmed yet, answered checkpoint_required without naming the
// challenge, still waits for the approval: no code was ever sent, so it
// does not ask for one. With a code, the same answer still asks for it.
func TestV2ApprovalPendingWithoutItsType(t *testing.T) {
	const pending = `{"success":true,"data":{"account_id":"acc-1","status":"checkpoint_required"}}`
	s, _ := v2server(t, 200, nil, pending)
	got, err := v2client(s.URL).Checkpoint(context.Background(), "acc-1", "")
	require.NoError(t, err)
	assert.Equal(t, LoginResult{AccountID: "acc-1", NeedsApproval: true}, got)

	s, _ = v2server(t, 200, nil, pending)
	got, err = v2client(s.URL).Checkpoint(context.Background(), "acc-1", "424242")
	require.NoError(t, err)
	assert.Equal(t, LoginResult{AccountID: "acc-1", NeedsCode: true}, got)

	s, _ = v2server(t, 200, nil, `{"success":true,"data":{"account_id":"acc-1","status":"checkpoint_required","challenge_type":"code_challenge"}}`)
	got, err = v2client(s.URL).Checkpoint(context.Background(), "acc-1", "")
	require.NoError(t, err)
	assert.Equal(t, LoginResult{AccountID: "acc-1", NeedsCode: true}, got, "a challenge named is taken as named")
}
