package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDotEnvFillsWhatTheEnvironmentLeavesEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	require.NoError(t, os.WriteFile(path, []byte("# comment\nLINKUP_COUNTRY=DE\nLOG_LEVEL=debug\nLINKUP_API_KEY=\"from file\"\n"), 0o600))
	env := map[string]string{"LINKUP_COUNTRY": "US"}
	getenv, err := withDotEnv(func(k string) string { return env[k] }, path)
	require.NoError(t, err)
	assert.Equal(t, "US", getenv("LINKUP_COUNTRY"), "the environment wins")
	assert.Equal(t, "debug", getenv("LOG_LEVEL"))
	assert.Equal(t, "from file", getenv("LINKUP_API_KEY"))
	assert.Empty(t, getenv("NOTIFY_CHANNEL"))

	getenv, err = withDotEnv(func(k string) string { return env[k] }, filepath.Join(t.TempDir(), "missing"))
	require.NoError(t, err, "no .env is fine")
	assert.Equal(t, "US", getenv("LINKUP_COUNTRY"))
}
