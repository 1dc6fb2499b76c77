package main

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/account"
	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/linkup"
	"linkedin-bot/store"
)

// authPaths are the routes of the login calls so far, in order.
func authPaths(lk *fakelinkup.Server) []string {
	var out []string
	for _, c := range lk.AuthCalls() {
		out = append(out, c.Path)
	}
	return out
}

// assertStoreHoldsNo checks that the stopped bot's SQLite log holds none
// of secrets in clear.
func assertStoreHoldsNo(t *testing.T, e *env, secrets ...string) {
	t.Helper()
	for _, name := range []string{store.FileName, store.FileName + "-wal"} {
		raw, err := os.ReadFile(filepath.Join(e.vars["DATA_DIR"], name))
		if err != nil {
			continue
		}
		for _, secret := range secrets {
			assert.NotContains(t, string(raw), secret, "the %s holds a secret in clear", name)
		}
	}
}

// On v2 (issue 23), self-service logs in with POST /v2/login and sends the
// emailed code to POST /v2/checkpoint; a wrong code is refused (0 credits)
// and asked again. The account_id the login gives is stored, and her sends
// go from it with no further login, before and after a restart.
func TestSelfServiceConnectsOnV2WithACode(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	lk.AddLogin(fakelinkup.Login{Email: "alice@example.com", Password: alicePassword, Code: aliceCode, Token: selfToken, Name: "Alice Martin"})
	e := startBotWith(t, lk, map[string]string{"ACCOUNTS_KEY": accountsKey, "ACCOUNT_SELF_SERVICE": "true", "LINKUP_API_VERSION": "v2", "LINKUP_LOGIN_TOKEN": ""})
	e.secrets = append(e.secrets, alicePassword, aliceCode, wrongCode, selfToken)
	e.slack.AddUser(alice, "Alice Martin")

	e.command("connect")
	_, form := openedView(t, e, 1)
	assert.Contains(t, viewText(form), "or ask you to approve the login in the LinkedIn app")
	id, f := e.connectSubmission("VCONNECT1", "h1", form["private_metadata"].(string), map[string]string{"email": "alice@example.com", "password": alicePassword, "country": "DE"})
	e.send(id, f)
	code := updatedView(t, e, 1)
	require.NotNil(t, element(code, "code"), "LinkedIn wants the emailed code")
	calls := lk.AuthCalls()
	require.Len(t, calls, 1)
	assert.Equal(t, "/v2/login", calls[0].Path)
	assert.Equal(t, "v2", calls[0].Version)
	assert.Equal(t, "alice@example.com", calls[0].Body["email"])
	assert.Equal(t, "DE", calls[0].Body["country"])
	assert.NotContains(t, calls[0].Body, "login_token")

	// A wrong code: refused, asked again, nothing spent.
	id, f = e.connectSubmission("VCONNECT1", "h2", code["private_metadata"].(string), map[string]string{"code": wrongCode})
	assert.Contains(t, viewText(updateAck(t, e.send(id, f).Payload)), "Checking the code")
	retry := updatedView(t, e, 2)
	assert.Contains(t, viewText(retry), "Linkup refused the code: Invalid verification code")
	require.NotNil(t, element(retry, "code"))
	assert.Equal(t, 0, lk.Credits())

	id, f = e.connectSubmission("VCONNECT1", "h3", retry["private_metadata"].(string), map[string]string{"code": " " + aliceCode + " "})
	e.send(id, f)
	done := updatedView(t, e, 3)
	assert.Contains(t, viewText(done), "Connected as *Alice Martin*, your own account (DE)")
	calls = lk.AuthCalls()
	assert.Equal(t, []string{"/v2/login", "/v2/checkpoint", "/v2/checkpoint"}, authPaths(lk), "a login and two checkpoints, each once")
	assert.Equal(t, map[string]any{"account_id": lk.AccountID(selfToken), "code": aliceCode}, calls[2].Body)
	assert.Equal(t, 1, lk.Credits(), "the checkpoint that connected")

	// Her sends go from her account's v2 ID: no login, no migration.
	e.command(jane + " Hi from my own profile")
	e.finished(1)
	reqs := lk.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "v2", reqs[0].Version)
	assert.Equal(t, lk.AccountID(selfToken), reqs[0].AccountID)
	assert.Empty(t, reqs[0].Body.LoginToken)
	assert.Len(t, lk.AuthCalls(), 3, "the send made no login call")

	require.NoError(t, e.stop())
	e.start()
	e.command(jane + " After the restart")
	e.finished(2)
	require.Len(t, lk.Requests(), 2)
	assert.Equal(t, lk.AccountID(selfToken), lk.Requests()[1].AccountID)
	assert.Len(t, lk.AuthCalls(), 3, "a restart logs in to nothing")

	out, err := e.accounts("", "list")
	require.NoError(t, err)
	assert.Contains(t, out, "Alice Martin  connected  "+alice+"  DE")
	require.NoError(t, e.stop())
	assertStoreHoldsNo(t, e, alicePassword, aliceCode, wrongCode, selfToken)
}

// On v2, LinkedIn may ask to approve the login in its app: the form says
// so, and checks (POST /v2/checkpoint, no code) once per press of "I
// approved it"; a press before the approval asks again, and a press Slack
// delivers twice checks once. Both readings of an approval not given yet
// (a refusal, or a status) and of the answer (with or without a login
// token) connect, and the send then needs no login.
func TestSelfServiceConnectsOnV2WithAnApprovalInTheApp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		shapes fakelinkup.Shapes
	}{
		{"as the docs say", fakelinkup.Shapes{}},
		{"an approval not given yet as a status, and a login token given", fakelinkup.Shapes{ApprovalPendingAsStatus: true, LoginTokenV2: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lk := fakelinkup.New()
			lk.SetShapes(tc.shapes)
			lk.AddLogin(fakelinkup.Login{Email: "alice@example.com", Password: alicePassword, Approval: true, Token: selfToken, Name: "Alice Martin"})
			e := startBotWith(t, lk, map[string]string{"ACCOUNTS_KEY": accountsKey, "ACCOUNT_SELF_SERVICE": "true", "LINKUP_API_VERSION": "v2", "LINKUP_LOGIN_TOKEN": ""})
			e.secrets = append(e.secrets, alicePassword, selfToken)
			e.slack.AddUser(alice, "Alice Martin")

			e.command("connect")
			_, form := openedView(t, e, 1)
			id, f := e.connectSubmission("VCONNECT1", "h1", form["private_metadata"].(string), map[string]string{"email": "alice@example.com", "password": alicePassword, "country": "FR"})
			e.send(id, f)
			ask := updatedView(t, e, 1)
			assert.Contains(t, viewText(ask), "approve this login in the LinkedIn app")
			assert.Equal(t, "I approved it", ask["submit"].(map[string]any)["text"])
			assert.Nil(t, element(ask, "code"), "no code to type")
			require.Len(t, lk.AuthCalls(), 1)

			// Pressed before approving: checked once, and asked again.
			id, f = e.connectSubmission("VCONNECT1", "h2", ask["private_metadata"].(string), nil)
			assert.Contains(t, viewText(updateAck(t, e.send(id, f).Payload)), "Checking with LinkedIn that you approved the login")
			again := updatedView(t, e, 2)
			assert.Contains(t, viewText(again), "LinkedIn has not confirmed the approval yet")
			assert.Equal(t, "I approved it", again["submit"].(map[string]any)["text"])
			require.Len(t, lk.AuthCalls(), 2)

			// Approved; the press is delivered twice: one check.
			lk.Approve("alice@example.com")
			id, f = e.connectSubmission("VCONNECT1", "h3", again["private_metadata"].(string), nil)
			e.send(id, f)
			id2, f2 := e.connectSubmission("VCONNECT1", "h3", again["private_metadata"].(string), nil)
			e.send(id2, f2)
			done := updatedView(t, e, 3)
			assert.Contains(t, viewText(done), "Connected as *Alice Martin*, your own account (FR)")
			calls := lk.AuthCalls()
			assert.Equal(t, []string{"/v2/login", "/v2/checkpoint", "/v2/checkpoint"}, authPaths(lk))
			for _, c := range calls[1:] {
				assert.Equal(t, map[string]any{"account_id": lk.AccountID(selfToken)}, c.Body, "an approval is checked without a code")
			}
			assert.Equal(t, 1, lk.Credits(), "the checkpoint that connected")

			e.command(jane + " Hi after approving")
			e.finished(1)
			reqs := lk.Requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, lk.AccountID(selfToken), reqs[0].AccountID)
			assert.Empty(t, reqs[0].Body.LoginToken)
			assert.Len(t, lk.AuthCalls(), 3, "the send made no login call (no migration of a token given)")
			require.NoError(t, e.stop())
			assertStoreHoldsNo(t, e, alicePassword, selfToken)
		})
	}
}

// logIn on v2: the code goes to /v2/checkpoint with the account_id of the
// login, and a wrong code is refused and not retried; the result is the
// account's ID (the docs' answer carries no token).
func TestTheCommandLineLogsInOnV2WithACode(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	defer lk.Close()
	lk.AddLogin(fakelinkup.Login{Email: "rec@example.com", Password: alicePassword, Code: aliceCode, Token: teamToken})
	client := linkup.New(linkup.Config{BaseURL: lk.URL(), APIKey: apiKey, HTTPClient: http.DefaultClient, Version: linkup.V2})
	answers := func(lines ...string) prompts {
		return prompts{
			line: func(string) (string, error) {
				l := lines[0]
				lines = lines[1:]
				return l + "\n", nil
			},
			secret: func(string) ([]byte, error) { return []byte(alicePassword), nil },
		}
	}
	_, err := logIn(t.Context(), client, "DE", answers("rec@example.com", wrongCode))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Linkup refused the code (not retried)")
	assert.Contains(t, err.Error(), "Invalid verification code")
	assert.NotContains(t, err.Error(), wrongCode)
	assert.Equal(t, []string{"/v2/login", "/v2/checkpoint"}, authPaths(lk), "none retried")

	cred, err := logIn(t.Context(), client, "DE", answers("rec@example.com", aliceCode))
	require.NoError(t, err)
	assert.Equal(t, account.Credential{AccountID: lk.AccountID(teamToken)}, cred)
	calls := lk.AuthCalls()
	require.Len(t, calls, 4)
	assert.Equal(t, "DE", calls[2].Body["country"])
	assert.Equal(t, map[string]any{"account_id": lk.AccountID(teamToken), "code": aliceCode}, calls[3].Body)
}
