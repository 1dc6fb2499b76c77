package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
)

// The default account connected on a terminal on v2 (issue 23), where
// LinkedIn asks to approve the login in its app: the command says so and
// checks once per Enter; a check before the approval asks again. The
// account_id it gets is stored, and the default's sends go from it with no
// further login call.
func TestTheDefaultAccountIsConnectedOnATerminalOnV2WithAnApproval(t *testing.T) {
	t.Parallel()
	const password = "correct horse battery"
	lk := fakelinkup.New()
	lk.AddLogin(fakelinkup.Login{Email: "team@example.com", Password: password, Approval: true, Token: defaultToken, Name: "Team Account"})
	e := startBotWith(t, lk, map[string]string{"ACCOUNTS_KEY": accountsKey, "LINKUP_LOGIN_TOKEN": "", "LINKUP_API_VERSION": "v2"})
	e.secrets = append(e.secrets, defaultToken, password)

	master, tty := openPTY(t)
	var mu sync.Mutex
	var screen strings.Builder
	go func() { // what the operator sees
		buf := make([]byte, 1024)
		for {
			n, err := master.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	seen := func() string { mu.Lock(); defer mu.Unlock(); return screen.String() }
	answer := func(prompt, text string) {
		t.Helper()
		e.waitUntil("the prompt "+prompt, func() bool { return strings.Contains(seen(), prompt) })
		_, err := master.WriteString(text + "\n")
		require.NoError(t, err)
	}
	done := make(chan error, 1)
	go func() {
		done <- accountsCmd(context.Background(), []string{"connect", "--name", "default"}, func(k string) string { return e.vars[k] }, tty, tty, tty)
	}()
	answer("LinkedIn email: ", "team@example.com")
	e.waitUntil("echo off", func() bool { return !echoes(t, tty) })
	answer("LinkedIn password (not shown, never stored): ", password)
	answer("approve the sign-in on your phone, then press Enter here (q to give up): ", "")
	answer("LinkedIn has not confirmed the approval yet (Linkup: The login is not approved in the LinkedIn app yet). Approve it in the app, then press Enter (q to give up): ", "")
	e.waitUntil("the second check", func() bool { return len(lk.AuthCalls()) == 3 })
	assert.Equal(t, []string{"/v2/login", "/v2/checkpoint", "/v2/checkpoint"}, authPaths(lk))
	lk.Approve("team@example.com")
	e.waitUntil("the prompt again", func() bool {
		return strings.Count(seen(), "LinkedIn has not confirmed the approval yet") == 2
	})
	_, err := master.WriteString("\n")
	require.NoError(t, err)
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(waitFor):
		t.Fatalf("accounts connect did not return; the terminal shows:\n%s", seen())
	}
	e.waitUntil("the result", func() bool { return strings.Contains(seen(), "its Linkup account is stored encrypted") })
	assert.Contains(t, seen(), "default: connected on Linkup v2 (FR, the default account: everyone allowed to send who has no account of their own or a shared one sends from it)")
	assert.NotContains(t, seen(), password)
	id := lk.AccountID(defaultToken)
	assert.Equal(t, []string{"/v2/login", "/v2/checkpoint", "/v2/checkpoint", "/v2/checkpoint"}, authPaths(lk), "one login, one check per Enter")
	for _, c := range lk.AuthCalls()[1:] {
		assert.Equal(t, map[string]any{"account_id": id}, c.Body)
	}

	e.commandAs(bob, jane+" From the team's account")
	e.finished(1)
	reqs := lk.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "v2", reqs[0].Version)
	assert.Equal(t, id, reqs[0].AccountID)
	assert.Len(t, lk.AuthCalls(), 4, "the send made no login call")
	assert.Equal(t, 1+1, lk.Credits(), "the checkpoint that connected, and the send")
}
