package main

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAccountsConnectRefusesPlainHTTPToAnotherMachine: `accounts connect`
// sends the LinkedIn password, the emailed code and LINKUP_API_KEY to
// LINKUP_BASE_URL. The bot refuses plain http to anything but this machine
// at start (issue 21, point 14); the command line refuses it too, naming
// the setting, before it asks for anything. http to this machine is asked on.
func TestAccountsConnectRefusesPlainHTTPToAnotherMachine(t *testing.T) {
	t.Parallel()
	vars := map[string]string{
		"DATA_DIR":        t.TempDir(),
		"ACCOUNTS_KEY":    accountsKey,
		"LINKUP_API_KEY":  apiKey,
		"LINKUP_BASE_URL": "http://api.linkupapi.com/v1",
	}
	run := func() error {
		var out, errOut strings.Builder
		return accountsCmd(context.Background(), []string{"connect", "--name", "alice-li"}, func(k string) string { return vars[k] }, strings.NewReader("alice@example.com\n"), &out, &errOut)
	}
	err := run()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "LINKUP_BASE_URL: must use https")

	vars["LINKUP_BASE_URL"] = "http://127.0.0.1:1/v1"
	err = run()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the password is asked for on a terminal", "http to this machine is allowed")
}
