package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
)

// The people of the takeover scenario (issue 21, point 2).
const (
	johnNamesake = "U0JOHN001" // a genuine namesake, who connected first
	john         = "U0JOHN002"
	mallory      = "U0MALLORY"

	namesakeToken = "AQEDAsecretNamesakeToken"
	johnToken     = "AQEDAsecretJohnToken"
	malloryToken  = "AQEDAsecretMalloryToken"
)

// selfConnect runs user through the connect form (a login with no code)
// and returns the text of the view it ends on; n counts the forms opened
// and the views updated so far, one each per connect.
func (e *env) selfConnect(user, email, password string, n int) string {
	e.t.Helper()
	e.commandAs(user, "connect")
	_, form := openedView(e.t, e, n)
	viewID := fmt.Sprintf("VCONNECT%s", user)
	id, f := e.connectSubmissionAs(user, viewID, "h1", form["private_metadata"].(string), map[string]string{"email": email, "password": password, "country": "FR"})
	e.send(id, f)
	return viewText(updatedView(e.t, e, n))
}

// TestSelfServiceNeverHandsOneSessionToAnother: a colleague who names
// herself "John Smith (U0JOHN002)" and connects first, where a namesake
// already holds "John Smith", gets an account of her own; when John
// connects he gets his, and his session never reaches her: each person's
// sends go with their own token, and nobody is added to another's account.
func TestSelfServiceNeverHandsOneSessionToAnother(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	lk.AddLogin(fakelinkup.Login{Email: "namesake@example.com", Password: "pw-namesake", Token: namesakeToken})
	lk.AddLogin(fakelinkup.Login{Email: "john@example.com", Password: "pw-john", Token: johnToken})
	lk.AddLogin(fakelinkup.Login{Email: "mallory@example.com", Password: "pw-mallory", Token: malloryToken})
	e := startBotWith(t, lk, map[string]string{"ACCOUNTS_KEY": accountsKey, "ACCOUNT_SELF_SERVICE": "true", "LINKUP_LOGIN_TOKEN": ""})
	e.secrets = append(e.secrets, namesakeToken, johnToken, malloryToken, "pw-namesake", "pw-john", "pw-mallory")
	e.slack.AddUser(johnNamesake, "John Smith")
	e.slack.AddUser(mallory, "John Smith ("+john+")")
	e.slack.AddUser(john, "John Smith")

	assert.Contains(t, e.selfConnect(johnNamesake, "namesake@example.com", "pw-namesake", 1), "Connected as *John Smith*")
	assert.Contains(t, e.selfConnect(mallory, "mallory@example.com", "pw-mallory", 2), "Connected as *John Smith ("+john+")*")
	johnView := e.selfConnect(john, "john@example.com", "pw-john", 3)
	assert.Contains(t, johnView, "Connected as *")
	assert.Contains(t, johnView, "your own account")

	out, err := e.accounts("", "list")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 4, "a header and three accounts:\n%s", out)
	var users []string // the USERS column, after the state
	for _, l := range lines[1:] {
		i := strings.Index(l, "  connected  ")
		require.Positive(t, i, l)
		users = append(users, strings.Fields(l[i:])[1])
	}
	assert.ElementsMatch(t, []string{johnNamesake, john, mallory}, users, "one account each, with its one user:\n%s", out)

	// Each sends from their own session, and John's never goes out for Mallory.
	e.commandAs(mallory, jane+" From Mallory")
	e.finished(1)
	e.commandAs(john, jane+" From John")
	e.finished(2)
	e.commandAs(johnNamesake, jane+" From the namesake")
	e.finished(3)
	e.commandAs(mallory, jane+" Mallory again")
	e.finished(4)
	reqs := lk.Requests()
	require.Len(t, reqs, 4)
	assert.Equal(t, []string{malloryToken, johnToken, namesakeToken, malloryToken},
		[]string{reqs[0].Body.LoginToken, reqs[1].Body.LoginToken, reqs[2].Body.LoginToken, reqs[3].Body.LoginToken})
	assert.Len(t, lk.AuthCalls(), 3, "one login each")
}
