package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/store"
)

// The self-service secrets: none may reach a log, a post, a view or the store in clear.
const (
	alicePassword = "hunter2-Alice-Pa55!"
	aliceCode     = "482913"
	wrongCode     = "000111"
	selfToken     = "AQEDAsecretSelfServiceToken"
)

// connectSubmission builds a view_submission of the connect form from the
// docs' frame: view id and hash as Slack gives them, values as typed.
func (e *env) connectSubmission(viewID, hash, metadata string, values map[string]string) (string, []byte) {
	return e.connectSubmissionAs(alice, viewID, hash, metadata, values)
}

// connectSubmissionAs is connectSubmission by user.
func (e *env) connectSubmissionAs(user, viewID, hash, metadata string, values map[string]string) (string, []byte) {
	return e.frame("d1-view-submission-docs.json", func(p map[string]any) {
		view := p["view"].(map[string]any)
		view["id"], view["hash"], view["callback_id"], view["private_metadata"] = viewID, hash, "linkedin_connect", metadata
		state := map[string]any{}
		for block, v := range values {
			el := map[string]any{"type": "plain_text_input", "value": v}
			switch block {
			case "country":
				el = map[string]any{"type": "static_select", "selected_option": map[string]any{"value": v}}
			case "email":
				el["type"] = "email_text_input"
			}
			state[block] = map[string]any{block: el}
		}
		view["state"] = map[string]any{"values": state}
		name := strings.ToLower(user)
		if user == alice {
			name = "alice"
		}
		p["user"] = map[string]any{"id": user, "username": name, "name": name}
	})
}

// updateAck is the view a view_submission ack replaced the form with.
func updateAck(t *testing.T, a []byte) map[string]any {
	t.Helper()
	var ack struct {
		ResponseAction string         `json:"response_action"`
		View           map[string]any `json:"view"`
	}
	require.NoError(t, json.Unmarshal(a, &ack), string(a))
	require.Equal(t, "update", ack.ResponseAction, string(a))
	return ack.View
}

// updatedView returns the nth views.update call's view.
func updatedView(t *testing.T, e *env, n int) map[string]any {
	t.Helper()
	e.waitUntil("views.update", func() bool { return len(e.slack.Calls("views.update")) >= n })
	var req struct {
		ViewID string         `json:"view_id"`
		View   map[string]any `json:"view"`
	}
	require.NoError(t, json.Unmarshal(e.slack.Calls("views.update")[n-1].JSON, &req))
	return req.View
}

// viewText is a view as JSON, with <, > and & as they are.
func viewText(v map[string]any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return b.String()
}

func TestSelfServiceConnectsWithACode(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	lk.AddLogin(fakelinkup.Login{Email: "alice@example.com", Password: alicePassword, Code: aliceCode, Token: selfToken, Name: "Alice Martin"})
	e := startBotWith(t, lk, map[string]string{"ACCOUNTS_KEY": accountsKey, "ACCOUNT_SELF_SERVICE": "true"})
	e.secrets = append(e.secrets, alicePassword, aliceCode, wrongCode, selfToken)
	e.slack.AddUser(alice, "Alice Martin")

	_, ack := e.command("connect")
	assert.Empty(t, ack.Payload, "acked at once; the form opens after")
	_, form := openedView(t, e, 1)
	assert.Equal(t, "linkedin_connect", form["callback_id"])
	assert.Contains(t, viewText(form), "never stored or logged")
	assert.Equal(t, "email_text_input", element(form, "email")["type"])
	require.NotNil(t, element(form, "password"))
	require.NotNil(t, element(form, "country"))

	// Bad input is refused in the form, before any Linkup call.
	id, f := e.connectSubmission("VCONNECT1", "h1", form["private_metadata"].(string), map[string]string{"email": "not an email", "password": "", "country": "FR"})
	a := e.send(id, f)
	assert.Contains(t, string(a.Payload), `"response_action":"errors"`)
	assert.Contains(t, string(a.Payload), `"password":"Enter your LinkedIn password."`)
	assert.Empty(t, lk.AuthCalls())

	// A wrong password: Linkup's reason, once, and a way to try again.
	id, f = e.connectSubmission("VCONNECT1", "h2", form["private_metadata"].(string), map[string]string{"email": "alice@example.com", "password": "wrong-password", "country": "FR"})
	assert.Contains(t, viewText(updateAck(t, e.send(id, f).Payload)), "Connecting to LinkedIn")
	failed := updatedView(t, e, 1)
	assert.Contains(t, viewText(failed), "Invalid email or password")
	assert.Contains(t, viewText(failed), "Nothing was tried again on your behalf")
	require.Len(t, lk.AuthCalls(), 1, "a refused login is not retried")
	id, f = e.connectSubmission("VCONNECT1", "h3", failed["private_metadata"].(string), nil)
	again := updateAck(t, e.send(id, f).Payload)
	require.NotNil(t, element(again, "password"), "Try again shows the form")

	// The right password, submitted twice (Slack delivers again): one login.
	id, f = e.connectSubmission("VCONNECT1", "h4", again["private_metadata"].(string), map[string]string{"email": "alice@example.com", "password": alicePassword, "country": "DE"})
	e.send(id, f)
	id2, f2 := e.connectSubmission("VCONNECT1", "h4", again["private_metadata"].(string), map[string]string{"email": "alice@example.com", "password": alicePassword, "country": "DE"})
	e.send(id2, f2)
	code := updatedView(t, e, 2)
	require.NotNil(t, element(code, "code"), "LinkedIn wants the emailed code")
	require.Len(t, lk.AuthCalls(), 2)
	assert.Equal(t, "/v1/auth/login", lk.AuthCalls()[1].Path)
	assert.Equal(t, "DE", lk.AuthCalls()[1].Body["country"])

	// A wrong code: refused, asked again; the right one connects.
	id, f = e.connectSubmission("VCONNECT1", "h5", code["private_metadata"].(string), map[string]string{"code": wrongCode})
	assert.Contains(t, viewText(updateAck(t, e.send(id, f).Payload)), "Checking the code")
	retry := updatedView(t, e, 3)
	assert.Contains(t, viewText(retry), "Linkup refused the code: Invalid verification code")
	require.NotNil(t, element(retry, "code"))
	id, f = e.connectSubmission("VCONNECT1", "h6", retry["private_metadata"].(string), map[string]string{"code": " " + aliceCode + " "})
	e.send(id, f)
	done := updatedView(t, e, 4)
	assert.Contains(t, viewText(done), "Connected as *Alice Martin*, your own account (DE)")
	calls := lk.AuthCalls()
	require.Len(t, calls, 4, "login, login, verify, verify: each once")
	assert.Equal(t, "/v1/auth/verify", calls[3].Path)
	assert.Equal(t, aliceCode, calls[3].Body["code"])

	out, err := e.accounts("", "list")
	require.NoError(t, err)
	assert.Contains(t, out, "Alice Martin  connected  "+alice+"  DE")

	// Her sends go from her own account, with its token and country.
	e.command("https://www.linkedin.com/in/jane-doe Hi from my own profile")
	e.finished(1)
	require.Equal(t, 1, lk.Count())
	assert.Equal(t, selfToken, lk.Requests()[0].Body.LoginToken)
	assert.Equal(t, "DE", lk.Requests()[0].Body.Country)
	e.command("account")
	e.waitUntil("the account answer", func() bool { return len(e.slack.Hooks()) == 1 })
	assert.Contains(t, e.slack.Hooks()[0].Body["text"], "Your messages go from *Alice Martin* (your own), connected. Today: 1 of 100 messages")
	assert.Contains(t, e.slack.Hooks()[0].Body["text"], "You may also send as default (the team's default)")

	// Its session expires (a 401): the send fails, its owner is told how to reconnect, and the next is refused at once.
	lk.Expire(selfToken)
	e.command("https://www.linkedin.com/in/jane-doe Second")
	e.finished(2)
	dm := "D" + alice[1:]
	e.waitUntil("the DM to its owner", func() bool { return len(e.postsIn(dm)) == 1 })
	assert.Contains(t, e.postsIn(dm)[0].Text, "connect it again with `/linkedin-send connect`")
	_, ack = e.command("https://www.linkedin.com/in/jane-doe Third")
	assert.Contains(t, ackText(t, ack), "Connect it again with `/linkedin-send connect`")
	assert.Equal(t, 2, lk.Count())

	// Reconnected from Slack (LinkedIn asks for a code again); the view was closed meanwhile, so the outcome comes by DM.
	e.command("connect")
	_, form = openedView(t, e, 2)
	id, f = e.connectSubmission("VCONNECT2", "k1", form["private_metadata"].(string), map[string]string{"email": "alice@example.com", "password": alicePassword, "country": "DE"})
	e.send(id, f)
	code = updatedView(t, e, 5)
	e.slack.CloseView("VCONNECT2")
	id, f = e.connectSubmission("VCONNECT2", "k2", code["private_metadata"].(string), map[string]string{"code": aliceCode})
	e.send(id, f)
	e.waitUntil("the DM saying it is connected", func() bool { return len(e.postsIn(dm)) == 2 })
	assert.Contains(t, e.postsIn(dm)[1].Text, "Connected as *Alice Martin*")
	e.command("https://www.linkedin.com/in/jane-doe Fourth")
	e.finished(3)
	require.Equal(t, 3, lk.Count())
	assert.Equal(t, selfToken, lk.Requests()[2].Body.LoginToken)

	// Disconnected: her sends fall back to the team's default account.
	e.command("disconnect")
	e.waitUntil("the disconnect answer", func() bool { return len(e.slack.Hooks()) == 2 })
	assert.Contains(t, e.slack.Hooks()[1].Body["text"], "Disconnected *Alice Martin*")
	e.command("https://www.linkedin.com/in/jane-doe Fifth")
	e.finished(4)
	assert.Equal(t, loginToken, lk.Requests()[3].Body.LoginToken)

	// Neither the store nor any log, post or view holds the password, the codes or the token in clear.
	require.NoError(t, e.stop())
	for _, name := range []string{store.FileName, store.FileName + "-wal"} {
		raw, err := os.ReadFile(filepath.Join(e.vars["DATA_DIR"], name))
		if err != nil {
			continue
		}
		for _, secret := range e.secrets {
			assert.NotContains(t, string(raw), secret, "the %s holds a secret in clear", name)
		}
	}
}

func TestSelfServiceIsOffUnlessTurnedOn(t *testing.T) {
	t.Parallel()
	e := startBot(t, map[string]string{"ACCOUNTS_KEY": accountsKey})
	_, ack := e.command("connect")
	assert.Contains(t, ackText(t, ack), "Connecting a LinkedIn account from Slack is off on this bot (ACCOUNT_SELF_SERVICE)")
	assert.Empty(t, e.slack.Calls("views.open"))
	assert.Empty(t, e.linkup.AuthCalls())
}

func TestSelfServiceNeedsTheKey(t *testing.T) {
	t.Parallel()
	var out, errOut strings.Builder
	err := run(t.Context(), []string{"linkedin-bot"}, func(k string) string {
		return map[string]string{"SLACK_APP_TOKEN": appToken, "SLACK_BOT_TOKEN": botToken, "LINKUP_API_KEY": apiKey, "ACCOUNT_SELF_SERVICE": "true", "DATA_DIR": t.TempDir()}[k]
	}, &out, &errOut)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ACCOUNTS_KEY: is required with ACCOUNT_SELF_SERVICE=true")
}
