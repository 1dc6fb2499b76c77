package main

import (
	"context"
	"maps"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
)

// The way a team gets its default account (issue 22, point 5), run as an
// operator does, on a terminal: `accounts connect --name default` asks for
// the email, the password without echo and the emailed code, and stores
// the token it gets, which nobody sees. No password on a command line, no
// token to copy out of a JSON answer.
func TestTheDefaultAccountIsConnectedOnATerminal(t *testing.T) {
	t.Parallel()
	const password, code = "correct horse battery", "482913"
	lk := fakelinkup.New()
	lk.AddLogin(fakelinkup.Login{Email: "team@example.com", Password: password, Code: code, Token: defaultToken, Name: "Team Account"})
	e := startBotWith(t, lk, map[string]string{"ACCOUNTS_KEY": accountsKey, "LINKUP_LOGIN_TOKEN": ""})
	e.secrets = append(e.secrets, defaultToken, password, code)

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
	// A person types once the prompt is up and the terminal no longer echoes.
	e.waitUntil("echo off", func() bool { return !echoes(t, tty) })
	answer("LinkedIn password (not shown, never stored): ", password)
	answer("Code: ", code)
	e.waitUntil("echo back on", func() bool { return echoes(t, tty) })
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(waitFor):
		t.Fatalf("accounts connect did not return; the terminal shows:\n%s", seen())
	}
	e.waitUntil("the result", func() bool { return strings.Contains(seen(), "the token is stored encrypted") })
	assert.Contains(t, seen(), "default: connected (FR, the default account: everyone allowed to send who has no account of their own or a shared one sends from it)")
	assert.NotContains(t, seen(), password, "the password is not echoed")
	assert.NotContains(t, seen(), defaultToken, "nor the token shown")
	assert.Len(t, lk.AuthCalls(), 2, "one login, one code: each once")

	e.commandAs(bob, "https://www.linkedin.com/in/jane-doe From the team's account")
	e.finished(1)
	require.Equal(t, 1, lk.Count())
	assert.Equal(t, defaultToken, lk.Requests()[0].Body.LoginToken)
}

// echoes reports whether the terminal tty echoes what is typed.
func echoes(t *testing.T, tty *os.File) bool {
	var st syscall.Termios
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, tty.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&st))); e != 0 {
		t.Fatalf("reading the terminal's settings: %v", e)
	}
	return st.Lflag&syscall.ECHO != 0
}

// What connect can refuse, it refuses before asking for the password: a
// login costs credits and, repeated, can lock the LinkedIn account.
func TestConnectRefusesBeforeAnyLogin(t *testing.T) {
	t.Parallel()
	lk := fakelinkup.New()
	lk.AddLogin(fakelinkup.Login{Email: "team@example.com", Password: "pw", Token: defaultToken})
	e := startBotWith(t, lk, map[string]string{"ACCOUNTS_KEY": accountsKey, "LINKUP_LOGIN_TOKEN": ""})
	_, tty := openPTY(t)
	connect := func(vars map[string]string, args ...string) error {
		t.Helper()
		done := make(chan error, 1)
		go func() {
			done <- accountsCmd(context.Background(), append([]string{"connect"}, args...), func(k string) string { return vars[k] }, tty, tty, tty)
		}()
		select {
		case err := <-done:
			return err
		case <-time.After(waitFor):
			t.Fatalf("accounts connect %v waits for the operator: it asked for the login before refusing", args)
			return nil
		}
	}
	with := func(k, v string) map[string]string {
		vars := maps.Clone(e.vars)
		vars[k] = v
		return vars
	}
	require.ErrorContains(t, connect(e.vars, "--name", "default", "--user", alice), "so it takes no --user")
	require.ErrorContains(t, connect(with("LINKUP_LOGIN_TOKEN", loginToken), "--name", "default"), "LINKUP_LOGIN_TOKEN is that account")
	require.ErrorContains(t, connect(with("ACCOUNTS_KEY", ""), "--name", "alice-li", "--user", alice), "ACCOUNTS_KEY is not set")
	require.ErrorContains(t, connect(with("LINKUP_ACCOUNT_NAME", "team"), "--name", "default"), "LINKUP_ACCOUNT_NAME names the default account team: connect it with --name team")
	assert.Empty(t, lk.AuthCalls(), "no login was made")
	out, _ := e.accounts("", "list")
	assert.Contains(t, out, "No stored accounts")
}
