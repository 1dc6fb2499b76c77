package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/store"
)

// hist runs `linkedin-bot history args…` on dataDir.
func hist(t *testing.T, dataDir string, args ...string) (string, error) {
	t.Helper()
	var out, errOut strings.Builder
	err := run(context.Background(), append([]string{"linkedin-bot", "history"}, args...), func(k string) string {
		if k == "DATA_DIR" {
			return dataDir
		}
		return ""
	}, &out, &errOut)
	return out.String() + errOut.String(), err
}

func TestHistoryReadsOnly(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "dta")
	_, err := hist(t, missing)
	assert.ErrorContains(t, err, "no send log in "+missing+" (check DATA_DIR")
	_, statErr := os.Stat(missing)
	assert.True(t, os.IsNotExist(statErr), "a misspelt DATA_DIR is not created")

	dir := t.TempDir()
	st, err := store.Open(context.Background(), dir)
	require.NoError(t, err)
	_, err = st.Accept(context.Background(), store.Send{IdemKey: "envelope:1", Account: "default", Requester: "U1", Channel: "C1", Recipient: "https://www.linkedin.com/in/jane-doe", Message: "Hi", Country: "FR"}, 0)
	require.NoError(t, err)
	require.NoError(t, st.Close())
	before, err := os.ReadFile(filepath.Join(dir, store.FileName))
	require.NoError(t, err)

	out, err := hist(t, dir)
	require.NoError(t, err)
	assert.Contains(t, out, "Sends since ")
	assert.Contains(t, out, "UTC (the last 24h; --since 0 for all)")
	assert.Contains(t, out, "1 sends.")
	out, err = hist(t, dir, "--since", "7d")
	require.NoError(t, err)
	assert.Contains(t, out, "(the last 7 days; --since 0 for all)")

	time.Sleep(20 * time.Millisecond)
	out, err = hist(t, dir, "--since", "10ms")
	require.NoError(t, err)
	assert.Contains(t, out, "None in the last 10ms. The log holds 1 older, the newest from ")
	assert.Contains(t, out, "use --since 30d, or --since 0 for all.")

	after, err := os.ReadFile(filepath.Join(dir, store.FileName))
	require.NoError(t, err)
	assert.Equal(t, before, after, "history wrote nothing")
}

func TestHistoryFlags(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"-h"}, {"--help"}} {
		out, err := hist(t, dir, args...)
		require.NoError(t, err, "help exits 0")
		assert.Contains(t, out, "usage: linkedin-bot history")
	}
	cases := map[string][]string{
		`"-1h" is negative`: {"--since", "-1h"},
		`"soon" is not a duration such as 24h, 90m or 7d`:                         {"--since", "soon"},
		`unknown state "lost": use one of queued, sending, sent, failed, unknown`: {"--state", "lost"},
		`unexpected argument "extra"`:                                             {"extra"},
	}
	for want, args := range cases {
		_, err := hist(t, dir, args...)
		assert.ErrorContains(t, err, want, args)
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		var out strings.Builder
		require.NoError(t, run(context.Background(), []string{"linkedin-bot", arg}, func(string) string { return "" }, &out, &strings.Builder{}))
		assert.Regexp(t, `^linkedin-bot \S+, (commit \S+.* of \S+, go1\.|go1\.\S+ \(commit and date not recorded)`, out.String())
	}
}
