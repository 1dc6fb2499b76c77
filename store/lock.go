package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// ErrLocked is returned by Lock when another process holds the data folder.
var ErrLocked = errors.New("another linkedin-bot is running with this data folder")

// Lock takes the data folder dir for this process until unlock is called
// or the process ends. Only one bot may run on a send log: each one's
// start-up recovery would take the other's sends in flight for crashed
// ones. Readers (linkedin-bot history) do not lock.
func Lock(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data folder: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "linkedin-bot.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrLocked
		}
		return nil, fmt.Errorf("locking the data folder: %w", err)
	}
	return func() { _ = f.Close() }, nil
}
