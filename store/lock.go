package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofrs/flock"
)

// ErrLocked is what Lock's error is (errors.Is) when another process holds
// the data folder.
var ErrLocked = errors.New("another linkedin-bot is running with this data folder")

// LockedError is Lock's error when another process holds the data folder:
// PID is that process's id as it wrote it, 0 when unknown.
type LockedError struct{ PID int }

func (e *LockedError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("%s (PID %d)", ErrLocked, e.PID)
	}
	return ErrLocked.Error()
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

const (
	lockFile = "linkedin-bot.lock"
	pidFile  = "linkedin-bot.pid"
)

// Lock takes the data folder dir for this process until unlock is called
// or the process ends (the operating system's file lock, on Linux, macOS
// and Windows alike). Only one bot may run on a send log: each one's
// start-up recovery would take the other's sends in flight for crashed
// ones. Readers (linkedin-bot history) do not lock. When another process
// holds it, the error is a *LockedError naming its PID.
func Lock(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data folder: %w", err)
	}
	l := flock.New(filepath.Join(dir, lockFile), flock.SetPermissions(0o600))
	ok, err := l.TryLock()
	if err != nil {
		return nil, fmt.Errorf("locking the data folder: %w", err)
	}
	if !ok {
		return nil, &LockedError{PID: lockHolder(dir)}
	}
	// The PID goes in a file of its own: on Windows a locked file cannot
	// be read by another process. A stale one (after a crash) is
	// overwritten here and only read while the lock is held.
	pid := filepath.Join(dir, pidFile)
	_ = os.WriteFile(pid, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600)
	return func() {
		_ = os.Remove(pid)
		_ = l.Unlock()
	}, nil
}

// lockHolder is the PID the folder's holder wrote, 0 when unknown.
func lockHolder(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, pidFile))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
