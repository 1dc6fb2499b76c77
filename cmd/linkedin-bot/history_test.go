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
		`"soon" is not a duration such as 24h, 90m or 7d`:                                  {"--since", "soon"},
		`unknown state "lost": use one of queued, sending, sent, dry_run, failed, unknown`: {"--state", "lost"},
		`unexpected argument "extra"`:                                                      {"extra"},
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

func TestVersionStampedAtBuildTimeWins(t *testing.T) {
	assert.Regexp(t, `^linkedin-bot v1\.2\.3, commit 0123abc of 2026-12-04T10:00:00Z, go1\.`, versionOf("v1.2.3", "0123abc", "2026-12-04T10:00:00Z"))
	assert.Regexp(t, `^linkedin-bot v1\.2\.3, `, versionOf("v1.2.3", "", ""), "a version alone")
}

func TestHistoryTellsDryRunsFromSends(t *testing.T) {
	e := startBot(t, map[string]string{"LINKUP_DRY_RUN": "true"})
	e.command("https://www.linkedin.com/in/jane-doe Trying the bot")
	e.finished(1)
	require.NoError(t, e.stop())
	e.vars["LINKUP_DRY_RUN"] = "false"
	e.start()
	e.command("https://www.linkedin.com/in/jane-doe For real")
	e.finished(2)
	require.NoError(t, e.stop())
	require.Equal(t, 1, e.linkup.Count())

	out, err := hist(t, e.vars["DATA_DIR"], "--state", "sent")
	require.NoError(t, err)
	assert.Contains(t, out, "1 sends.", out)
	assert.Regexp(t, `\n2 +\S+ \S+ +`+alice+` +default +sent +1 `, out)
	assert.NotContains(t, out, "dry_run")

	out, err = hist(t, e.vars["DATA_DIR"], "--state", "dry_run")
	require.NoError(t, err, "dry_run is a state history takes")
	assert.Contains(t, out, "1 sends.", out)
	assert.Regexp(t, `\n1 +\S+ \S+ +`+alice+` +default +dry_run +0 `, out)

	out, err = hist(t, e.vars["DATA_DIR"], "--state", "dry_run", "--json")
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(out, `"state": "dry_run"`))
	assert.NotContains(t, out, `"state": "sent"`)
}

func TestHistoryHelpIsPrintedOnce(t *testing.T) {
	for _, h := range []string{"-h", "--help"} {
		var out, errOut strings.Builder
		require.NoError(t, run(context.Background(), []string{"linkedin-bot", "history", h}, func(string) string { return "" }, &out, &errOut))
		assert.Equal(t, 1, strings.Count(out.String(), "usage: linkedin-bot history"), out.String())
		assert.Empty(t, errOut.String(), "on a terminal, stdout and stderr are one screen")
		assert.Contains(t, out.String(), "dry_run: with LINKUP_DRY_RUN")
	}
}
