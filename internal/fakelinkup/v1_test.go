package fakelinkup

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// post sends body to the fake's path and returns the status and answer.
func post(t *testing.T, s *Server, path, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(raw)
}

var deliveredAt = regexp.MustCompile(`"deliveredAt":\d+`)

// TestV1AnswersArePinned pins every v1 answer of the fake, byte for byte,
// as it was before v2 came beside it (shapes after
// ../shared/linkup-send-message.md and linkup-conversations.md).
func TestV1AnswersArePinned(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddLogin(Login{Email: "alice@example.com", Password: "pw", Token: "AQEDalice", Name: "Alice Martin"})
	s.AddLogin(Login{Email: "bob@example.com", Password: "pw", Code: "123456", Token: "AQEDbob", Name: "Bob Stone"})
	at := time.Date(2025, 1, 15, 10, 31, 0, 0, time.UTC)

	type call struct{ name, path, body, want string }
	steps := []struct {
		call
		code  int
		setup func()
	}{
		{call{"send", "/v1/messages/send-message", `{"linkedin_url":"https://www.linkedin.com/in/jane-doe","message_text":"Hi Jane","country":"FR","login_token":"AQEDdefault"}`,
			`{"status":"success","message":"Message sent successfully","data":{"conversation_id":"2-fake0001","deliveredAt":0,"entityUrn":"urn:li:msg_message:(urn:li:fsd_profile:ACoAAFAKE,2-fake0001-2)"}}`}, 200, nil},
		{call{"inbox", "/v1/messages/inbox", `{"login_token":"AQEDdefault"}`,
			`{"data":{"conversations":[{"conversation_id":"2-fake0001","last_message":{"sender":{"name":"Jane Doe","profile_url":""},"text":"Sounds good","time":1736937120000},"participant":{"headline":"Buyer at Example","name":"Jane Doe","profile_picture":"https://media.licdn.com/x.jpg","profile_url":"https://www.linkedin.com/in/jane-doe"},"type":"normal","unread":true}],"total_results":1},"status":"success"}`},
			200, func() {
				s.Write("https://www.linkedin.com/in/jane-doe", Msg{Text: "Sounds good", Sender: "Jane Doe", At: at.Add(time.Minute)})
			}},
		{call{"conversation", "/v1/messages/conversation", `{"conversation_id":"2-fake0001","total_results":1}`,
			`{"data":{"conversation_id":"2-fake0001","has_next_page":true,"messages":[{"entity_urn":"urn:li:msg_message:(urn:li:fsd_profile:ACoAAFAKE,2-fake0001-3)","message_type":"TEXT","sender":"Jane Doe","sender_info":{"first_name":"Jane","last_name":"Doe"},"text":"Sounds good","timestamp":1736937120000}],"next_cursor":"1","profile_url":"https://www.linkedin.com/in/jane-doe","total_other_member_message_count":0,"total_results":1,"unread_count":0},"status":"success"}`}, 200, nil},
		{call{"conversation by URL, string times, URNs", "/v1/messages/conversation", `{"linkedin_url":"https://www.linkedin.com/in/jane-doe","cursor":"1"}`,
			`{"data":{"conversation_id":"urn:li:msg_conversation:(urn:li:fsd_profile:ACoAAFAKE,2-fake0001)","has_next_page":false,"messages":[{"entity_urn":"urn:li:msg_message:(urn:li:fsd_profile:ACoAAFAKE,2-fake0001-2)","message_type":"TEXT","sender":"Sales Team","sender_info":{"first_name":"Sales","last_name":"Team"},"text":"Hi Jane","timestamp":"TIME"}],"profile_url":"https://www.linkedin.com/in/jane-doe","total_other_member_message_count":0,"total_results":1,"unread_count":0},"status":"success"}`},
			200, func() { s.SetShapes(Shapes{TimeAsString: true, URNIDs: true}) }},
		{call{"send without data", "/v1/messages/send-message", `{"linkedin_url":"https://www.linkedin.com/in/jane-doe","message_text":"Again"}`,
			`{"status":"success","message":"Message sent successfully"}`}, 200, func() { s.SetShapes(Shapes{NoData: true}) }},
		{call{"conversation not found", "/v1/messages/conversation", `{"conversation_id":"2-nope"}`,
			`{"status":"error","message":"Conversation not found"}`}, 200, func() { s.SetShapes(Shapes{}) }},
		{call{"send not JSON", "/v1/messages/send-message", `{`, `{"status":"error","message":"Invalid JSON body"}`}, 400, nil},
		{call{"login", "/v1/auth/login", `{"email":"alice@example.com","password":"pw","country":"FR"}`,
			`{"status":"success","login_token":"AQEDalice","message":"Login successful"}`}, 200, nil},
		{call{"login, wrong password", "/v1/auth/login", `{"email":"alice@example.com","password":"no"}`,
			`{"status":"error","message":"Invalid email or password"}`}, 200, nil},
		{call{"login not JSON", "/v1/auth/login", `x`, `{"status":"error","message":"Invalid JSON body"}`}, 400, nil},
		{call{"verify before login", "/v1/auth/verify", `{"email":"bob@example.com","code":"123456"}`,
			`{"status":"error","message":"No verification pending for this email: log in first"}`}, 200, nil},
		{call{"login with a code", "/v1/auth/login", `{"email":"bob@example.com","password":"pw"}`,
			`{"status":"success","message":"Check your email for verification code"}`}, 200, nil},
		{call{"verify, wrong code", "/v1/auth/verify", `{"email":"bob@example.com","code":"000000"}`,
			`{"status":"error","message":"Invalid verification code"}`}, 200, nil},
		{call{"verify", "/v1/auth/verify", `{"email":"bob@example.com","code":"123456"}`,
			`{"status":"success","login_token":"AQEDbob","message":"Verification successful"}`}, 200, nil},
		{call{"an account's own mailbox", "/v1/messages/inbox", `{"login_token":"AQEDalice"}`,
			`{"data":{"conversations":[],"total_results":0},"status":"success"}`}, 200, nil},
		{call{"expired send", "/v1/messages/send-message", `{"linkedin_url":"https://www.linkedin.com/in/jane-doe","message_text":"Hi","login_token":"AQEDalice"}`,
			`{"status":"error","message":"LinkedIn session expired, please log in again"}`}, 401, func() { s.Expire("AQEDalice") }},
		{call{"expired inbox", "/v1/messages/inbox", `{"login_token":"AQEDalice"}`,
			`{"status":"error","message":"LinkedIn session expired, please log in again"}`}, 401, nil},
		{call{"expired login logs in again", "/v1/auth/login", `{"email":"alice@example.com","password":"pw"}`,
			`{"status":"success","login_token":"AQEDalice","message":"Login successful"}`}, 200, nil},
		{call{"and the inbox opens", "/v1/messages/inbox", `{"login_token":"AQEDalice"}`,
			`{"data":{"conversations":[],"total_results":0},"status":"success"}`}, 200, nil},
	}
	for _, st := range steps {
		if st.setup != nil {
			st.setup()
		}
		code, got := post(t, s, st.path, st.body, "x-api-key", "k")
		got = deliveredAt.ReplaceAllString(got, `"deliveredAt":0`)
		got = regexp.MustCompile(`"timestamp":"[^"]+"`).ReplaceAllString(got, `"timestamp":"TIME"`)
		if code != st.code || got != st.want {
			t.Errorf("%s: got %d %s\nwant %d %s", st.name, code, got, st.code, st.want)
		}
	}
	if got := s.Count(); got != 4 {
		t.Errorf("Count = %d, want 4 (bad JSON and expired sends included)", got)
	}
	if got := len(s.Reads("")); got != 7 {
		t.Errorf("Reads = %d, want 7", got)
	}
	if got := len(s.AuthCalls()); got != 8 {
		t.Errorf("AuthCalls = %d, want 8", got)
	}
}
