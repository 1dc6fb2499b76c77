package linkup

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// Accounts on v2: a LinkedIn account is connected once (by email and
// password, or by migrating a v1 login token) and is then named by its
// persistent account_id. Passwords, codes and tokens go only to Linkup:
// none appears in an error or a LoginResult.

// loginV2 is Login on v2: POST /v2/login, asking for a code challenge
// (LinkedIn may still ask for an approval in its app instead). Free.
func (c *Client) loginV2(ctx context.Context, email, password, country string) (LoginResult, error) {
	body := map[string]any{"platform": "linkedin", "email": email, "password": password, "challenge_type": "code_challenge"}
	if country != "" {
		body["country"] = country
	}
	a, err := c.callV2(ctx, http.MethodPost, v2Login, body, password)
	if err != nil {
		return LoginResult{}, err
	}
	return a.login("", password)
}

// Checkpoint completes a v2 login that LinkedIn challenged (POST
// /v2/checkpoint): with the code LinkedIn sent (NeedsCode), or with an empty
// code once the owner approved the login in the LinkedIn app
// (NeedsApproval). Its result says whether the account is now connected or
// still waits (an approval not given yet). 1 credit; made once, like Login.
func (c *Client) Checkpoint(ctx context.Context, accountID, code string) (LoginResult, error) {
	if strings.TrimSpace(accountID) == "" {
		return LoginResult{}, &Error{Kind: KindInvalid, Message: "no Linkup account to complete the login of"}
	}
	body := map[string]any{"account_id": accountID}
	if code != "" {
		body["code"] = code
	}
	a, err := c.callV2(ctx, http.MethodPost, v2Checkpoint, body, code)
	if err != nil {
		return LoginResult{}, err
	}
	r, err := a.login(accountID, code)
	if err == nil && code == "" && r.NeedsCode && a.challenge() == "" {
		// A check of an app approval that still waits, its challenge
		// unnamed: no code was sent, so the approval is what it waits for.
		r.NeedsCode, r.NeedsApproval = false, true
	}
	return r, err
}

// Migrate gives a v1 login token (LinkedIn's li_at session) its v2
// account_id (POST /v2/login with login_token). It is free, and the same
// token gives the same id every time: do it once per account and keep the
// id. A token LinkedIn challenges is KindAuth: the account must log in
// again. The token appears in no error.
func (c *Client) Migrate(ctx context.Context, loginToken, country string) (string, error) {
	if strings.TrimSpace(loginToken) == "" {
		return "", &Error{Kind: KindInvalid, Message: "no login token to migrate"}
	}
	body := map[string]any{"platform": "linkedin", "login_token": loginToken}
	if country != "" {
		body["country"] = country
	}
	a, err := c.callV2(ctx, http.MethodPost, v2Login, body, loginToken)
	if err != nil {
		return "", err
	}
	r, err := a.login("", loginToken)
	if err != nil {
		return "", err
	}
	if !r.Connected() {
		return "", &Error{Kind: KindAuth, Status: a.status, Message: "LinkedIn challenged the session instead of taking it: the account must log in again"}
	}
	return r.AccountID, nil
}

// CheckKey tells whether Linkup takes the API key, by listing one account
// (GET /v2/accounts?limit=1; free). A key refused is KindKey; any other
// error says nothing of the key (unreachable, unknown, …).
func (c *Client) CheckKey(ctx context.Context) error {
	_, err := c.callV2(ctx, http.MethodGet, v2Accounts+"?limit=1", nil)
	if e, ok := err.(*Error); ok {
		// No account is named here: a refusal of credentials is the key's,
		// and a 404 INVALID_ACCOUNT (as for an unknown path) is the URL's.
		switch {
		case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
			e.Kind = KindKey
		case e.Kind == KindAuth:
			e.Kind = KindInvalid
		}
	}
	return err
}

// login reads the data of a /v2/login or /v2/checkpoint answer. id is the
// account already known (a checkpoint's), used when the answer names none;
// secrets are kept out of the result's Message. The docs' answer carries no
// login token; one given anyway (data.login_token) is kept in Token, once
// the login is complete. A status it does not know,
// or an account it cannot name, is KindUnknown: the login may or may not
// have happened.
func (a answerV2) login(id string, secrets ...string) (LoginResult, error) {
	var d struct {
		AccountID flexString `json:"account_id"`
		Status    flexString `json:"status"`
		Message   flexString `json:"message"`
		// Not in the docs' answer: a v1-style session, kept when given.
		LoginToken  flexString `json:"login_token"`
		LoginToken2 flexString `json:"loginToken"`
	}
	lenient(a.Data, &d)
	r := LoginResult{
		AccountID: strings.TrimSpace(firstOf(string(d.AccountID), id)),
		Message:   strings.TrimSpace(firstOf(string(a.Message), string(d.Message))),
		Token:     strings.TrimSpace(firstOf(string(d.LoginToken), string(d.LoginToken2))),
	}
	var hide []string
	for _, s := range secrets {
		if s != "" {
			hide = append(hide, s)
		}
	}
	if r.Token != "" {
		hide = append(hide, r.Token)
	}
	r.Message = hideAll(r.Message, hide)
	challenge := a.challenge()
	status := strings.ToLower(strings.TrimSpace(string(d.Status)))
	switch {
	case status == "checkpoint_required" || status == "checkpoint" || status == "challenge_required" || status == "" && challenge != "":
		if strings.Contains(challenge, "app") {
			r.NeedsApproval = true
		} else {
			r.NeedsCode = true
		}
	case status == "connected" || status == "active" || status == "":
	default:
		return LoginResult{}, &Error{Kind: KindUnknown, Status: a.status, Message: "Linkup answered the login with an unexpected status " + quoteShort(hideAll(strings.TrimSpace(string(d.Status)), hide))}
	}
	if r.AccountID == "" {
		return LoginResult{}, &Error{Kind: KindUnknown, Status: a.status, Message: "Linkup answered the login without an account_id"}
	}
	if !r.Connected() {
		r.Token = "" // a session is had once the login is complete
	}
	return r, nil
}

// challenge is the challenge a /v2/login or /v2/checkpoint answer names
// (challenge_type, checkpoint_type, or checkpoint, an object {type} or the
// challenge's name itself), lower case; "" when it names none.
func (a answerV2) challenge() string {
	var d struct {
		ChallengeType  flexString      `json:"challenge_type"`
		CheckpointType flexString      `json:"checkpoint_type"`
		Checkpoint     json.RawMessage `json:"checkpoint"`
	}
	lenient(a.Data, &d)
	var cp struct {
		Type          flexString `json:"type"`
		ChallengeType flexString `json:"challenge_type"`
	}
	if !lenient(d.Checkpoint, &cp) {
		_ = cp.Type.UnmarshalJSON(d.Checkpoint)
	}
	return strings.ToLower(strings.TrimSpace(firstOf(string(d.ChallengeType), string(d.CheckpointType), string(cp.Type), string(cp.ChallengeType))))
}

// quoteShort quotes s, cut to 40 bytes.
func quoteShort(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return `"` + strings.ToValidUTF8(s, "") + `"`
}
