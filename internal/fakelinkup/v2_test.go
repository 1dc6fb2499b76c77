package fakelinkup

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The shapes tested here are those of ../shared/linkup-v2.md, which names
// its sources: https://docs.linkupapi.com/api-reference/v2/introduction
// (envelopes), …/v2/error-codes, …/v2/accounts/login, …/v2/accounts/checkpoint,
// …/v2/accounts/list-accounts, …/v2/messages/send, …/v2/messages/list-inbox,
// …/v2/messages/get-conversation.

const (
	testKey  = "lk_test_SECRETKEY_42"
	aliceTok = "AQEDalice_SECRET"
	jane     = "https://www.linkedin.com/in/jane-doe"
)

// envelope is a v2 answer, success or error.
type envelope struct {
	Success bool            `json:"success"`
	Data    json.RawMessage `json:"data"`
	Error   struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Metadata struct {
		Action    string `json:"action"`
		AccountID string `json:"account_id"`
		Credits   int    `json:"credits_consumed"`
		Timestamp string `json:"timestamp"`
	} `json:"metadata"`
}

// call makes one v2 call with key (none when empty) and a body (a string
// as it is, anything else as JSON); it returns the status, the decoded
// answer and the raw one.
func call(t *testing.T, s *Server, method, path, key string, body any) (int, envelope, string) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(t, err)
		r = strings.NewReader(string(raw))
	}
	req, err := http.NewRequest(method, s.URL()+path, r)
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var e envelope
	require.NoError(t, json.Unmarshal(raw, &e), "a v2 answer is JSON: %s", raw)
	return resp.StatusCode, e, string(raw)
}

// ok makes a v2 call that must succeed and decodes its data into into.
func ok(t *testing.T, s *Server, method, path string, body, into any) envelope {
	t.Helper()
	code, e, raw := call(t, s, method, path, testKey, body)
	require.Equal(t, http.StatusOK, code, raw)
	require.True(t, e.Success, raw)
	if into != nil {
		require.NoError(t, json.Unmarshal(e.Data, into), raw)
	}
	return e
}

// refused makes a v2 call that must fail with status and code, for 0 credits.
func refused(t *testing.T, s *Server, method, path string, body any, status int, code string) envelope {
	t.Helper()
	got, e, raw := call(t, s, method, path, testKey, body)
	assert.Equal(t, status, got, raw)
	assert.False(t, e.Success, raw)
	assert.Equal(t, code, e.Error.Code, raw)
	assert.NotEmpty(t, e.Error.Message, raw)
	assert.Equal(t, 0, e.Metadata.Credits, "errors cost nothing: %s", raw)
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$`, e.Metadata.Timestamp, "the docs' timestamp form")
	return e
}

func startV2(t *testing.T) *Server {
	t.Helper()
	s := New()
	t.Cleanup(s.Close)
	s.SetAPIKey(testKey)
	return s
}

var hex24 = regexp.MustCompile(`^[0-9a-f]{24}$`)

type account2 struct {
	AccountID     string `json:"account_id"`
	Status        string `json:"status"`
	ChallengeType string `json:"challenge_type"`
}

func TestV2LoginMigratesATokenToTheSameAccountForFree(t *testing.T) {
	s := startV2(t)
	s.AddLogin(Login{Email: "alice@example.com", Password: "pw", Token: aliceTok, Name: "Alice Martin"})

	var first, again account2
	e := ok(t, s, "POST", "/v2/login", map[string]any{"platform": "linkedin", "login_token": aliceTok, "country": "FR"}, &first)
	assert.Equal(t, "connected", first.Status)
	assert.Regexp(t, hex24, first.AccountID)
	assert.Equal(t, 0, e.Metadata.Credits)
	assert.Equal(t, "login", e.Metadata.Action)
	assert.Equal(t, first.AccountID, e.Metadata.AccountID)
	ok(t, s, "POST", "/v2/login", map[string]any{"platform": "linkedin", "login_token": aliceTok}, &again)
	assert.Equal(t, first, again, "the same id each time")
	assert.Equal(t, first.AccountID, s.AccountID(aliceTok))

	var def account2
	ok(t, s, "POST", "/v2/login", map[string]any{"login_token": "AQEDdefault"}, &def)
	assert.NotEqual(t, first.AccountID, def.AccountID)
	assert.Equal(t, s.AccountID(""), def.AccountID, "a token of no AddLogin is the default mailbox's, as on v1")
	assert.Equal(t, s.AccountID("AQEDanother"), def.AccountID)

	s.Expire(aliceTok)
	refused(t, s, "POST", "/v2/login", map[string]any{"login_token": aliceTok}, http.StatusForbidden, "ACCOUNT_INACTIVE")
	refused(t, s, "POST", "/v2/login", map[string]any{"platform": "linkedin"}, http.StatusBadRequest, "INVALID_PARAMS")
	refused(t, s, "POST", "/v2/login", "{", http.StatusBadRequest, "INVALID_PARAMS")
	assert.Equal(t, 0, s.Credits())

	calls := s.AuthCalls()
	require.Len(t, calls, 6, "every v2 login is in AuthCalls")
	assert.Equal(t, "/v2/login", calls[0].Path)
	assert.Equal(t, "v2", calls[0].Version)
	assert.Nil(t, calls[5].Body, "a body that is not JSON")
}

func TestV2LoginByPasswordAndCheckpoints(t *testing.T) {
	s := startV2(t)
	s.AddLogin(Login{Email: "alice@example.com", Password: "pw", Token: aliceTok, Name: "Alice Martin"})
	s.AddLogin(Login{Email: "bob@example.com", Password: "pw", Code: "123456", Token: "AQEDbob", Name: "Bob Stone"})
	s.AddLogin(Login{Email: "carol@example.com", Password: "pw", Approval: true, Token: "AQEDcarol", Name: "Carol King"})
	login := func(email, password string) map[string]any {
		return map[string]any{"platform": "linkedin", "email": email, "password": password, "country": "DE", "account_name": "team " + email}
	}

	t.Run("no challenge", func(t *testing.T) {
		var a account2
		e := ok(t, s, "POST", "/v2/login", login("alice@example.com", "pw"), &a)
		assert.Equal(t, account2{AccountID: s.AccountID(aliceTok), Status: "connected"}, a)
		assert.Equal(t, 0, e.Metadata.Credits)
		refused(t, s, "POST", "/v2/login", login("alice@example.com", "wrong"), http.StatusBadRequest, "INVALID_PARAMS")
		refused(t, s, "POST", "/v2/login", login("nobody@example.com", "pw"), http.StatusBadRequest, "INVALID_PARAMS")
		refused(t, s, "POST", "/v2/checkpoint", map[string]any{"account_id": a.AccountID, "code": "1"}, http.StatusBadRequest, "INVALID_PARAMS")
	})
	t.Run("code challenge", func(t *testing.T) {
		var a account2
		ok(t, s, "POST", "/v2/login", login("bob@example.com", "pw"), &a)
		assert.Equal(t, account2{AccountID: s.AccountID("AQEDbob"), Status: "checkpoint_required", ChallengeType: "code_challenge"}, a)
		refused(t, s, "POST", "/v2/checkpoint", map[string]any{"account_id": a.AccountID, "code": "000000"}, http.StatusBadRequest, "INVALID_PARAMS")
		var done account2
		e := ok(t, s, "POST", "/v2/checkpoint", map[string]any{"account_id": a.AccountID, "code": "123456"}, &done)
		assert.Equal(t, account2{AccountID: a.AccountID, Status: "connected"}, done)
		assert.Equal(t, 1, e.Metadata.Credits)
		assert.Equal(t, "checkpoint", e.Metadata.Action)
		refused(t, s, "POST", "/v2/checkpoint", map[string]any{"account_id": a.AccountID, "code": "123456"}, http.StatusBadRequest, "INVALID_PARAMS")
	})
	t.Run("app challenge", func(t *testing.T) {
		var a account2
		ok(t, s, "POST", "/v2/login", login("carol@example.com", "pw"), &a)
		assert.Equal(t, "app_challenge", a.ChallengeType)
		assert.Equal(t, "checkpoint_required", a.Status)
		refused(t, s, "POST", "/v2/checkpoint", map[string]any{"account_id": a.AccountID}, http.StatusBadRequest, "INVALID_PARAMS")
		s.Approve("carol@example.com")
		var done account2
		e := ok(t, s, "POST", "/v2/checkpoint", map[string]any{"account_id": a.AccountID}, &done)
		assert.Equal(t, "connected", done.Status)
		assert.Equal(t, 1, e.Metadata.Credits)
	})
	t.Run("unknown account", func(t *testing.T) {
		refused(t, s, "POST", "/v2/checkpoint", map[string]any{"account_id": "000000000000000000000000", "code": "1"}, http.StatusNotFound, "INVALID_ACCOUNT")
	})
	t.Run("a login brings an expired account back", func(t *testing.T) {
		s.Expire("AQEDbob")
		id := s.AccountID("AQEDbob")
		refused(t, s, "POST", "/v2/messages", send(id, "Hi"), http.StatusForbidden, "ACCOUNT_INACTIVE")
		ok(t, s, "POST", "/v2/login", login("bob@example.com", "pw"), nil)
		refused(t, s, "POST", "/v2/messages", send(id, "Hi"), http.StatusForbidden, "ACCOUNT_INACTIVE")
		ok(t, s, "POST", "/v2/checkpoint", map[string]any{"account_id": id, "code": "123456"}, nil)
		ok(t, s, "POST", "/v2/messages", send(id, "Hi"), nil)
	})
	assert.Equal(t, 1+1+1+1, s.Credits(), "three checkpoints, one send")
}

// The readings the docs leave open: a session in the answer that connects,
// and an approval not given yet answered as a status, not a refusal.
func TestV2LoginShapes(t *testing.T) {
	s := startV2(t)
	s.AddLogin(Login{Email: "alice@example.com", Password: "pw", Token: aliceTok})
	s.AddLogin(Login{Email: "bob@example.com", Password: "pw", Code: "123456", Token: "AQEDbob"})
	s.AddLogin(Login{Email: "carol@example.com", Password: "pw", Approval: true, Token: "AQEDcarol"})
	login := func(email string) map[string]any {
		return map[string]any{"platform": "linkedin", "email": email, "password": "pw"}
	}
	var data map[string]any
	ok(t, s, "POST", "/v2/login", login("alice@example.com"), &data)
	assert.NotContains(t, data, "login_token", "the docs' answer")

	s.SetShapes(Shapes{LoginTokenV2: true, ApprovalPendingAsStatus: true})
	ok(t, s, "POST", "/v2/login", login("alice@example.com"), &data)
	assert.Equal(t, map[string]any{"account_id": s.AccountID(aliceTok), "status": "connected", "login_token": aliceTok}, data)
	data = nil
	ok(t, s, "POST", "/v2/login", login("bob@example.com"), &data)
	assert.NotContains(t, data, "login_token", "no session before the code")
	ok(t, s, "POST", "/v2/checkpoint", map[string]any{"account_id": s.AccountID("AQEDbob"), "code": "123456"}, &data)
	assert.Equal(t, "AQEDbob", data["login_token"])

	ok(t, s, "POST", "/v2/login", login("carol@example.com"), nil)
	id := s.AccountID("AQEDcarol")
	before := s.Credits()
	data = nil
	e := ok(t, s, "POST", "/v2/checkpoint", map[string]any{"account_id": id}, &data)
	assert.Equal(t, map[string]any{"account_id": id, "status": "checkpoint_required", "challenge_type": "app_challenge"}, data)
	assert.Equal(t, 0, e.Metadata.Credits)
	s.Approve("carol@example.com")
	ok(t, s, "POST", "/v2/checkpoint", map[string]any{"account_id": id}, &data)
	assert.Equal(t, "connected", data["status"])
	assert.Equal(t, before+1, s.Credits(), "only the checkpoint that connected is billed")
}

type accountList struct {
	Items []struct {
		AccountID   string `json:"account_id"`
		Platform    string `json:"platform"`
		AccountName string `json:"account_name"`
		IsActive    bool   `json:"is_active"`
		Status      string `json:"status"`
		Country     string `json:"country"`
		CreatedAt   string `json:"created_at"`
		UpdatedAt   string `json:"updated_at"`
	} `json:"items"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

func TestV2ListsAccountsForFree(t *testing.T) {
	s := startV2(t)
	s.AddLogin(Login{Email: "alice@example.com", Password: "pw", Token: aliceTok, Name: "Alice Martin"})
	def := s.AccountID("")
	ok(t, s, "POST", "/v2/login", map[string]any{"email": "alice@example.com", "password": "pw", "country": "DE", "account_name": "Alice's"}, nil)
	alice := s.AccountID(aliceTok)
	s.Expire(aliceTok)

	var l accountList
	e := ok(t, s, "GET", "/v2/accounts", nil, &l)
	assert.Equal(t, 0, e.Metadata.Credits)
	assert.Equal(t, 2, l.Total)
	assert.Equal(t, 50, l.Limit)
	require.Len(t, l.Items, 2)
	assert.Equal(t, def, l.Items[0].AccountID)
	assert.Equal(t, "Sales Team", l.Items[0].AccountName)
	assert.True(t, l.Items[0].IsActive)
	assert.Equal(t, "FR", l.Items[0].Country)
	assert.Equal(t, alice, l.Items[1].AccountID)
	assert.Equal(t, "Alice's", l.Items[1].AccountName)
	assert.Equal(t, "inactive", l.Items[1].Status)
	assert.False(t, l.Items[1].IsActive)
	assert.Equal(t, "DE", l.Items[1].Country)
	assert.Equal(t, "linkedin", l.Items[1].Platform)
	_, err := time.Parse(time.RFC3339, l.Items[1].UpdatedAt)
	assert.NoError(t, err)

	ok(t, s, "GET", "/v2/accounts?limit=1&offset=1", nil, &l)
	require.Len(t, l.Items, 1)
	assert.Equal(t, alice, l.Items[0].AccountID)
	assert.Equal(t, 2, l.Total)
	for _, q := range []string{"limit=0", "limit=501", "limit=x", "offset=-1"} {
		refused(t, s, "GET", "/v2/accounts?"+q, nil, http.StatusBadRequest, "INVALID_PARAMS")
	}
	assert.Equal(t, 0, s.Credits())
}

func TestV2RefusesAWrongKeyEverywhereAndUnknownPaths(t *testing.T) {
	s := startV2(t)
	id := s.AccountID("")
	routes := [][2]string{{"POST", "/v2/login"}, {"POST", "/v2/checkpoint"}, {"GET", "/v2/accounts"}, {"POST", "/v2/messages"},
		{"POST", "/v2/webhooks"}, {"GET", "/v2/webhooks"}, {"DELETE", "/v2/webhooks/x"}, {"POST", "/v2/webhooks/x/start"},
		{"POST", "/v2/webhooks/x/stop"}, {"GET", "/v2/webhooks/x/events"}, {"POST", "/v2/inbox"}}
	for _, r := range routes {
		for _, key := range []string{"", "wrong"} {
			code, e, raw := call(t, s, r[0], r[1], key, map[string]any{"account_id": id, "action": "send"})
			assert.Equal(t, http.StatusForbidden, code, "%s %s with key %q", r[0], r[1], key)
			assert.Equal(t, "INVALID_API_KEY", e.Error.Code, raw)
			assert.Equal(t, 0, e.Metadata.Credits)
			assert.NotContains(t, raw, testKey)
		}
	}
	assert.Equal(t, 0, s.Count(), "a send with a wrong key is refused before it is a send")

	for _, r := range [][2]string{{"POST", "/v2/inbox"}, {"GET", "/v2/messages"}, {"POST", "/v2/network"}, {"GET", "/v2/accounts/" + id}} {
		refused(t, s, r[0], r[1], nil, http.StatusNotFound, "INVALID_ACCOUNT")
	}

	open := New() // without SetAPIKey, any key but none
	defer open.Close()
	code, _, _ := call(t, open, "GET", "/v2/accounts", "anything", nil)
	assert.Equal(t, http.StatusOK, code)
	code, _, _ = call(t, open, "GET", "/v2/accounts", "", nil)
	assert.Equal(t, http.StatusForbidden, code)
}

func send(accountID, text string) map[string]any {
	return map[string]any{"account_id": accountID, "action": "send", "params": map[string]any{"profile_url": jane, "message_text": text}}
}

type sent struct {
	EntityUrn      string `json:"entityUrn"`
	ConversationID string `json:"conversation_id"`
	DeliveredAt    any    `json:"deliveredAt"`
}

func TestV2SendGoesThroughTheSameAnswerAsV1(t *testing.T) {
	s := startV2(t)
	s.AddLogin(Login{Email: "alice@example.com", Password: "pw", Token: aliceTok, Name: "Alice Martin"})
	alice := s.AccountID(aliceTok)

	t.Run("delivered, text", func(t *testing.T) {
		var d sent
		e := ok(t, s, "POST", "/v2/messages", send(alice, "Hi Jane"), &d)
		assert.Equal(t, "send", e.Metadata.Action)
		assert.Equal(t, alice, e.Metadata.AccountID)
		assert.Equal(t, 1, e.Metadata.Credits)
		assert.Equal(t, s.ConversationIDIn(aliceTok, jane), d.ConversationID, "the short form")
		assert.Regexp(t, `^2-`, d.ConversationID)
		at, isString := d.DeliveredAt.(string)
		require.True(t, isString, "ISO 8601, as the docs' example")
		_, err := time.Parse(time.RFC3339, at)
		assert.NoError(t, err)
		box := mailbox(s, aliceTok, jane)
		require.Len(t, box.Messages, 1)
		assert.Equal(t, Msg{URN: d.EntityUrn, Text: "Hi Jane", Sender: "Alice Martin", At: box.Messages[0].At}, box.Messages[0])

		reqs := s.Requests()
		require.Len(t, reqs, 1)
		assert.Equal(t, Request{APIKey: testKey, Version: "v2", AccountID: alice,
			Body: Body{LinkedInURL: jane, MessageText: "Hi Jane"}}, reqs[0])
	})
	t.Run("with a file", func(t *testing.T) {
		file := []byte("%PDF-1.4 deck")
		body := send(alice, "The deck")
		body["params"].(map[string]any)["media_file"] = map[string]any{"data": base64.StdEncoding.EncodeToString(file), "filename": "deck.pdf"}
		e := ok(t, s, "POST", "/v2/messages", body, nil)
		assert.Equal(t, 2, e.Metadata.Credits)
		req := s.Requests()[1]
		assert.Equal(t, file, req.Media)
		assert.Equal(t, "deck.pdf", req.MediaName)
		assert.Equal(t, base64.StdEncoding.EncodeToString(file), req.Body.MediaFile)
	})
	t.Run("with a link", func(t *testing.T) {
		body := send(alice, "The deck")
		body["params"].(map[string]any)["media_link"] = "https://example.com/deck.pdf"
		e := ok(t, s, "POST", "/v2/messages", body, nil)
		assert.Equal(t, 2, e.Metadata.Credits)
		assert.Equal(t, "https://example.com/deck.pdf", s.Requests()[2].Body.MediaLink)
	})
	t.Run("refused before the answer", func(t *testing.T) {
		before := s.Count()
		bare := send(alice, "v1's bare string")
		bare["params"].(map[string]any)["media_file"] = "data:application/pdf;base64,JVBERg=="
		refused(t, s, "POST", "/v2/messages", bare, http.StatusBadRequest, "INVALID_PARAMS")
		refused(t, s, "POST", "/v2/messages", map[string]any{"account_id": alice, "action": "send", "params": map[string]any{"linkedin_url": jane, "message_text": "v1's name"}},
			http.StatusBadRequest, "INVALID_PARAMS")
		refused(t, s, "POST", "/v2/messages", send("000000000000000000000000", "Hi"), http.StatusNotFound, "INVALID_ACCOUNT")
		assert.Equal(t, before+3, s.Count(), "counted as they arrive, as v1's")
		refused(t, s, "POST", "/v2/messages", `{"account_id":`, http.StatusBadRequest, "INVALID_PARAMS")
		refused(t, s, "POST", "/v2/messages", map[string]any{"account_id": alice, "action": "unsend"}, http.StatusBadRequest, "INVALID_ACTION")
		refused(t, s, "POST", "/v2/messages", map[string]any{"account_id": "nope", "action": "unsend"}, http.StatusNotFound, "INVALID_ACCOUNT")
		assert.Equal(t, before+3, s.Count(), "nor JSON nor a send")
		assert.Len(t, mailbox(s, aliceTok, jane).Messages, 3, "nothing refused reached LinkedIn")
	})
	t.Run("an expired account", func(t *testing.T) {
		s.Expire(aliceTok)
		refused(t, s, "POST", "/v2/messages", send(alice, "Hi"), http.StatusForbidden, "ACCOUNT_INACTIVE")
		ok(t, s, "POST", "/v2/login", map[string]any{"email": "alice@example.com", "password": "pw"}, nil)
		ok(t, s, "POST", "/v2/messages", send(alice, "Back"), nil)
	})
	assert.Equal(t, 1+2+2+1, s.Credits())
}

// mailbox is the conversation with profile in token's mailbox.
func mailbox(s *Server, token, profile string) Mailbox {
	for _, m := range s.Mailboxes() {
		if m.Token == s.MailboxOf(token) && m.With.ProfileURL == profile {
			return m
		}
	}
	return Mailbox{}
}

func TestV2SendAnswerHooks(t *testing.T) {
	s := startV2(t)
	def := s.AccountID("")
	v1 := `{"linkedin_url":"` + jane + `","message_text":"Hi","login_token":"AQEDdefault"}`

	t.Run("Deliver answers in each request's version", func(t *testing.T) {
		var versions []string
		s.SetAnswer(func(w http.ResponseWriter, r *http.Request, req Request) {
			versions = append(versions, req.Version)
			s.Deliver(w, r, req)
		})
		code, body := post(t, s, "/v1/messages/send-message", v1)
		assert.Equal(t, 200, code)
		assert.Contains(t, body, `"status":"success"`)
		var d sent
		ok(t, s, "POST", "/v2/messages", send(def, "Hi again"), &d)
		assert.Equal(t, s.ConversationID(jane), d.ConversationID, "one conversation, whichever API wrote it")
		assert.Equal(t, []string{"v1", "v2"}, versions)
		assert.Len(t, s.Messages(jane), 2)
		assert.Equal(t, 2, s.Count(), "v1 and v2 sends are counted alike")
	})
	t.Run("SuccessV2", func(t *testing.T) {
		s.SetAnswer(SuccessV2)
		var d sent
		e := ok(t, s, "POST", "/v2/messages", send(def, "Hi"), &d)
		assert.Equal(t, sent{EntityUrn: "urn:li:msg_message:1", ConversationID: "2-abc", DeliveredAt: "2023-11-14T22:13:20.000Z"}, d)
		assert.Equal(t, 1, e.Metadata.Credits)
		assert.Equal(t, def, e.Metadata.AccountID)
		assert.Len(t, s.Messages(jane), 2, "a fixed answer delivers nothing")
	})
	t.Run("ReplyV2Error", func(t *testing.T) {
		s.SetAnswer(func(w http.ResponseWriter, _ *http.Request, _ Request) {
			ReplyV2Error(w, http.StatusBadRequest, "INVALID_PARAMS", "Recipient is not a 1st-degree connection")
		})
		e := refused(t, s, "POST", "/v2/messages", send(def, "Hi"), http.StatusBadRequest, "INVALID_PARAMS")
		assert.Equal(t, "Recipient is not a 1st-degree connection", e.Error.Message)
	})
	t.Run("a 5xx that is not JSON costs nothing known", func(t *testing.T) {
		s.SetAnswer(func(w http.ResponseWriter, _ *http.Request, _ Request) {
			Reply(w, http.StatusBadGateway, `<html>bad gateway</html>`)
		})
		req, _ := http.NewRequest("POST", s.URL()+"/v2/messages", strings.NewReader(`{"account_id":"`+def+`","action":"send","params":{"profile_url":"`+jane+`","message_text":"x"}}`))
		req.Header.Set("x-api-key", testKey)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	})
	t.Run("a hook may cut the connection", func(t *testing.T) {
		s.SetAnswer(func(w http.ResponseWriter, _ *http.Request, _ Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if assert.NoError(t, err) {
				conn.Close()
			}
		})
		req, _ := http.NewRequest("POST", s.URL()+"/v2/messages", strings.NewReader(`{"account_id":"`+def+`","action":"send","params":{"profile_url":"`+jane+`","message_text":"x"}}`))
		req.Header.Set("x-api-key", testKey)
		_, err := http.DefaultClient.Do(req)
		assert.Error(t, err)
	})
	assert.Equal(t, 1+1, s.Credits(), "the delivered send, SuccessV2; nothing for the errors")
	assert.Equal(t, 6, s.Count())
}

func TestV2DeliverShapes(t *testing.T) {
	s := startV2(t)
	def := s.AccountID("")
	s.SetShapes(Shapes{URNIDs: true, DeliveredAtMillis: true})
	var d sent
	ok(t, s, "POST", "/v2/messages", send(def, "Hi"), &d)
	assert.Equal(t, urn(s.ConversationID(jane)), d.ConversationID)
	ms, isNumber := d.DeliveredAt.(float64)
	require.True(t, isNumber)
	assert.Equal(t, s.Messages(jane)[0].At.UnixMilli(), int64(ms))

	s.SetShapes(Shapes{NoData: true})
	_, e, raw := call(t, s, "POST", "/v2/messages", testKey, send(def, "Hi"))
	assert.True(t, e.Success)
	assert.NotContains(t, raw, `"data"`)
	assert.Equal(t, 1, e.Metadata.Credits)
}

type inbox struct {
	Conversations []struct {
		ConversationID string `json:"conversation_id"`
		Participant    struct {
			Name       string `json:"name"`
			ProfileURL string `json:"profile_url"`
		} `json:"participant"`
		LastMessage struct {
			Text   string `json:"text"`
			Time   any    `json:"time"`
			Sender struct {
				Name       string `json:"name"`
				ProfileURL string `json:"profile_url"`
				IsMe       bool   `json:"is_me"`
			} `json:"sender"`
		} `json:"last_message"`
		Unread bool `json:"unread"`
	} `json:"conversations"`
	TotalResults int    `json:"total_results"`
	NextCursor   string `json:"next_cursor"`
}

type thread struct {
	TotalMessageCount int    `json:"total_message_count"`
	UnreadCount       int    `json:"unread_count"`
	LastSeenMessage   string `json:"last_seen_message"`
	ConversationID    string `json:"conversation_id"`
	Messages          []struct {
		Text       string `json:"text"`
		Timestamp  any    `json:"timestamp"`
		Sender     string `json:"sender"`
		SenderInfo struct {
			FirstName  string `json:"first_name"`
			LastName   string `json:"last_name"`
			ProfileURL string `json:"profile_url"`
		} `json:"sender_info"`
		MessageType string `json:"message_type"`
		EntityURN   string `json:"entity_urn"`
	} `json:"messages"`
	NextCursor string `json:"next_cursor"`
}

func read(accountID, action string, params map[string]any) map[string]any {
	return map[string]any{"account_id": accountID, "action": action, "params": params}
}

func TestV1AndV2ReadOneMailbox(t *testing.T) {
	s := startV2(t)
	s.AddLogin(Login{Email: "alice@example.com", Password: "pw", Token: aliceTok, Name: "Alice Martin"})
	alice := s.AccountID(aliceTok)
	_, body := post(t, s, "/v1/messages/send-message", `{"linkedin_url":"`+jane+`","message_text":"From v1","login_token":"`+aliceTok+`"}`)
	require.Contains(t, body, "success")
	ok(t, s, "POST", "/v2/messages", map[string]any{"account_id": alice, "action": "send", "params": map[string]any{"profile_url": jane, "message_text": "From v2"}}, nil)
	s.ReplyIn(aliceTok, jane, "Hello both")
	s.Reply("https://www.linkedin.com/in/sam-lee", "In the default mailbox")

	var in inbox
	e := ok(t, s, "POST", "/v2/messages", read(alice, "list_inbox", nil), &in)
	assert.Equal(t, 1, e.Metadata.Credits)
	assert.Equal(t, "list_inbox", e.Metadata.Action)
	require.Len(t, in.Conversations, 1, "alice's mailbox only")
	c := in.Conversations[0]
	assert.Equal(t, urn(s.ConversationIDIn(aliceTok, jane)), c.ConversationID, "the URN, as the docs' example")
	assert.Equal(t, "Jane Doe", c.Participant.Name)
	assert.Equal(t, jane, c.Participant.ProfileURL)
	assert.Equal(t, "Hello both", c.LastMessage.Text)
	assert.False(t, c.LastMessage.Sender.IsMe)
	assert.True(t, c.Unread)
	assert.InDelta(t, s.Now().UnixMilli(), c.LastMessage.Time, 60e3, "epoch ms")
	assert.Empty(t, in.NextCursor)

	var th thread
	ok(t, s, "POST", "/v2/messages", read(alice, "get_conversation", map[string]any{"conversation_id": c.ConversationID}), &th)
	require.Len(t, th.Messages, 3)
	assert.Equal(t, []string{"Hello both", "From v2", "From v1"}, []string{th.Messages[0].Text, th.Messages[1].Text, th.Messages[2].Text}, "newest first")
	assert.Equal(t, jane, th.Messages[0].SenderInfo.ProfileURL)
	assert.Equal(t, "Jane", th.Messages[0].SenderInfo.FirstName)
	assert.Equal(t, "Alice Martin", th.Messages[1].Sender)
	assert.Equal(t, ownProfile(s.v2.byID[alice]), th.Messages[1].SenderInfo.ProfileURL)
	assert.Equal(t, "TEXT", th.Messages[1].MessageType)
	assert.Equal(t, 3, th.TotalMessageCount)
	assert.Equal(t, 1, th.UnreadCount)
	assert.Equal(t, th.Messages[1].EntityURN, th.LastSeenMessage)
	assert.Empty(t, th.ConversationID, "the documented answer has none")

	var byURL thread
	ok(t, s, "POST", "/v2/messages", read(alice, "get_conversation", map[string]any{"profile_url": "https://linkedin.com/in/Jane-Doe/"}), &byURL)
	assert.Equal(t, th, byURL, "found by the profile's slug")
	var short thread
	ok(t, s, "POST", "/v2/messages", read(alice, "get_conversation", map[string]any{"conversation_id": s.ConversationIDIn(aliceTok, jane)}), &short)
	assert.Equal(t, th, short)

	_, v1 := post(t, s, "/v1/messages/conversation", `{"linkedin_url":"`+jane+`","login_token":"`+aliceTok+`"}`)
	assert.Contains(t, v1, "From v2", "v1 reads what v2 wrote")

	var def inbox
	ok(t, s, "POST", "/v2/messages", read(s.AccountID(""), "list_inbox", map[string]any{}), &def)
	require.Len(t, def.Conversations, 1)
	assert.Equal(t, "In the default mailbox", def.Conversations[0].LastMessage.Text)

	refused(t, s, "POST", "/v2/messages", read(alice, "get_conversation", map[string]any{"conversation_id": "2-nope"}), http.StatusBadRequest, "INVALID_PARAMS")
	refused(t, s, "POST", "/v2/messages", read(alice, "get_conversation", map[string]any{}), http.StatusBadRequest, "INVALID_PARAMS")
	s.ReplyIn(aliceTok, "https://www.linkedin.com/in/sam-lee", "In alice's")
	_, e, _ = call(t, s, "POST", "/v2/messages", testKey, read(alice, "get_conversation", map[string]any{"profile_url": "https://www.linkedin.com/in/sam-lee"}))
	assert.True(t, e.Success, "the account's own conversation with sam, not the default mailbox's")
}

func TestV2ReadsPageByMillisecondCursors(t *testing.T) {
	s := startV2(t)
	def := s.AccountID("")
	base := time.Date(2025, 1, 15, 10, 0, 0, 0, time.UTC)
	for i := range 25 {
		at := base.Add(time.Duration(i) * time.Second)
		if i == 14 { // 14 and 15 share a millisecond: the page boundary may not split them
			at = base.Add(15 * time.Second)
		}
		s.Write(jane, Msg{Text: fmt.Sprint(i), Sender: "Jane Doe", At: at})
	}
	var seen []string
	cursor := ""
	pages := 0
	credits := 0
	for {
		params := map[string]any{"conversation_id": s.ConversationID(jane)}
		if cursor != "" {
			params["cursor"] = cursor
		}
		var th thread
		e := ok(t, s, "POST", "/v2/messages", read(def, "get_conversation", params), &th)
		credits += e.Metadata.Credits
		pages++
		for _, m := range th.Messages {
			seen = append(seen, m.Text)
		}
		if th.NextCursor == "" {
			break
		}
		assert.Regexp(t, `^\d{13}$`, th.NextCursor, "milliseconds, as a string")
		cursor = th.NextCursor
	}
	want := []string{"24", "23", "22", "21", "20", "19", "18", "17", "16", "15", "14", "13", "12", "11", "10", "9", "8", "7", "6", "5", "4", "3", "2", "1", "0"}
	assert.Equal(t, want, seen, "every message once, newest first (15 before 14 in their millisecond: by place)")
	assert.Equal(t, 3, pages, "10 (+1 of the same millisecond), 10, 4")
	assert.Equal(t, 2+1+1, credits, "11 results cost 2")

	var big thread
	e := ok(t, s, "POST", "/v2/messages", read(def, "get_conversation", map[string]any{"profile_url": jane, "count": 25}), &big)
	assert.Len(t, big.Messages, 25)
	assert.Equal(t, 3, e.Metadata.Credits, "1 credit per 10 results")
	refused(t, s, "POST", "/v2/messages", read(def, "get_conversation", map[string]any{"profile_url": jane, "cursor": "yesterday"}), http.StatusBadRequest, "INVALID_PARAMS")

	for i := range 30 {
		s.Write(fmt.Sprintf("https://www.linkedin.com/in/p-%02d", i), Msg{Text: "hi", Sender: "P", At: base.Add(time.Hour + time.Duration(i)*time.Minute)})
	}
	var in inbox
	e = ok(t, s, "POST", "/v2/messages", read(def, "list_inbox", map[string]any{"count": 100}), &in)
	assert.Len(t, in.Conversations, 25, "LinkedIn's page is 25 at most")
	assert.Equal(t, 3, e.Metadata.Credits)
	assert.Equal(t, "https://www.linkedin.com/in/p-29", in.Conversations[0].Participant.ProfileURL)
	var rest inbox
	ok(t, s, "POST", "/v2/messages", read(def, "list_inbox", map[string]any{"count": 25, "cursor": in.NextCursor}), &rest)
	require.Len(t, rest.Conversations, 6, "5 more of p-, then jane's")
	assert.Equal(t, jane, rest.Conversations[5].Participant.ProfileURL)
	assert.Empty(t, rest.NextCursor)
}

func TestV2ReadsAreCountedHookedAndShaped(t *testing.T) {
	s := startV2(t)
	s.AddLogin(Login{Email: "alice@example.com", Password: "pw", Token: aliceTok, Name: "Alice Martin"})
	alice := s.AccountID(aliceTok)
	s.ReplyIn(aliceTok, jane, "Hi")

	s.SetReadAnswer(ConversationV2, func(w http.ResponseWriter, body map[string]any) bool {
		if body["params"].(map[string]any)["profile_url"] != "https://www.linkedin.com/in/odd" {
			return false
		}
		ReplyV2Error(w, http.StatusInternalServerError, "INTERNAL_ERROR", "LinkedIn failed")
		return true
	})
	refused(t, s, "POST", "/v2/messages", read(alice, "get_conversation", map[string]any{"profile_url": "https://www.linkedin.com/in/odd"}), http.StatusInternalServerError, "INTERNAL_ERROR")
	ok(t, s, "POST", "/v2/messages", read(alice, "get_conversation", map[string]any{"profile_url": jane}), nil)
	s.SetReadAnswer(ConversationV2, nil)

	s.SetShapes(Shapes{TimeAsString: true, ConversationIDInRead: true})
	var th thread
	ok(t, s, "POST", "/v2/messages", read(alice, "get_conversation", map[string]any{"profile_url": jane}), &th)
	assert.Equal(t, s.ConversationIDIn(aliceTok, jane), th.ConversationID)
	_, err := time.Parse(time.RFC3339Nano, th.Messages[0].Timestamp.(string))
	assert.NoError(t, err)
	var in inbox
	ok(t, s, "POST", "/v2/messages", read(alice, "list_inbox", nil), &in)
	assert.IsType(t, "", in.Conversations[0].LastMessage.Time)

	s.Expire(aliceTok)
	refused(t, s, "POST", "/v2/messages", read(alice, "list_inbox", nil), http.StatusForbidden, "ACCOUNT_INACTIVE")
	_, _ = post(t, s, "/v1/messages/inbox", `{"login_token":"`+aliceTok+`"}`)

	assert.Len(t, s.Reads(ConversationV2), 3)
	assert.Len(t, s.Reads(InboxV2), 2, "the refused one counted, as v1's")
	assert.Len(t, s.Reads(InboxV1), 1)
	all := s.Reads("")
	require.Len(t, all, 6)
	assert.Equal(t, ReadCall{Path: ConversationV2, Version: "v2", Action: "get_conversation",
		Body: map[string]any{"account_id": alice, "action": "get_conversation", "params": map[string]any{"profile_url": "https://www.linkedin.com/in/odd"}}}, all[0])
	assert.Equal(t, "v1", all[5].Version)
	assert.Equal(t, 1+1+1, s.Credits(), "two reads of one conversation, one inbox; the hook's error and the refusal cost nothing")
}

func TestServerStringShowsNoSecret(t *testing.T) {
	s := startV2(t)
	s.AddLogin(Login{Email: "alice@example.com", Password: "pw_SECRET", Token: aliceTok, Name: "Alice Martin"})
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(f, s)
		assert.NotContains(t, out, testKey, f)
		assert.NotContains(t, out, "SECRET", f)
		assert.Contains(t, out, s.URL(), f)
	}
}
