package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/bot"
)

// openPTY opens a pseudo-terminal: what the bot writes to tty, a person
// would read from master.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	t.Cleanup(func() { _ = master.Close() })
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Skipf("unlocking the pseudo-terminal: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Skipf("naming the pseudo-terminal: %v", e)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tty.Close() })
	return master, tty
}

func TestLogsAreForPeopleOnATerminalAndForMachinesElsewhere(t *testing.T) {
	master, tty := openPTY(t)
	log, err := newLogger(bot.Config{LogLevel: "info"}, tty)
	require.NoError(t, err)
	log.Info().Str("team", "Fake Team").Msg("bot token accepted")
	buf := make([]byte, 4096)
	n, err := master.Read(buf)
	require.NoError(t, err)
	line := string(buf[:n])
	assert.False(t, strings.HasPrefix(line, "{"), "no JSON on a terminal: %q", line)
	assert.Contains(t, line, "bot token accepted")
	assert.Contains(t, line, "\x1b[", "in colour")

	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	require.NoError(t, err)
	defer devNull.Close()
	assert.False(t, isTerminal(devNull), "a character device is not a terminal")

	var file strings.Builder
	log, err = newLogger(bot.Config{LogLevel: "info"}, &file)
	require.NoError(t, err)
	log.Info().Msg("bot token accepted")
	assert.True(t, strings.HasPrefix(file.String(), `{"level":"info"`), "JSON elsewhere: %q", file.String())

	// LOG_FORMAT says, wherever the logs go.
	log, err = newLogger(bot.Config{LogLevel: "info", LogFormat: "json"}, tty)
	require.NoError(t, err)
	log.Info().Msg("asked for JSON")
	n, err = master.Read(buf)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(buf[:n]), `{"level":"info"`), "%q", buf[:n])
}
