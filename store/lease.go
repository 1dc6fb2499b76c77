package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"time"
)

// DefaultLease is how long a claim belongs to the bot that took it
// without being renewed.
const DefaultLease = 30 * time.Second

// newOwner names this process among the bots of a log: its host and a
// random part, so that a restarted bot is a new owner.
func newOwner() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	host, _ := os.Hostname()
	if host == "" {
		host = "bot"
	}
	return host + "-" + hex.EncodeToString(b)
}

// Owner is this store's name on the claims it takes.
func (s *Store) Owner() string { return s.owner }

// RenewLeases extends the leases of the sends this store claimed, and
// records that it is alive. The bot calls
// it well within the lease (every third of it).
func (s *Store) RenewLeases(ctx context.Context) error {
	now := s.now()
	until := now.Add(DefaultLease).UnixMilli()
	if err := s.exec(ctx, "renewing the claims' leases", `UPDATE sends SET lease_until = ? WHERE owner = ? AND state = 'sending'`, until, s.owner); err != nil {
		return err
	}
	host, _ := os.Hostname()
	return s.exec(ctx, "recording this bot alive", `INSERT INTO replicas (id, host, seen_at) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at`, s.owner, host, now.UnixMilli())
}

// RecoverExpired takes over the sends another bot claimed and stopped
// renewing (it died): as Recover does at start, one not called yet goes
// back to the queue, one that may have reached Linkup becomes unknown
// with reason, never resent. A store never recovers its own claims.
func (s *Store) RecoverExpired(ctx context.Context, reason string) (requeued, unknown []Send, err error) {
	return s.recoverClaims(ctx, reason, ` AND owner != ? AND lease_until < ?`, s.owner, s.now().UnixMilli())
}
