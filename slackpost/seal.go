package slackpost

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// sealPrefix marks a sealed value (version 1 of the format).
const sealPrefix = "s1:"

// sealInfo is the HKDF info of the response_url key: a key derived for
// anything else from the same secret differs from it.
const sealInfo = "linkedin-bot response_url v1"

// Sealer seals response_urls where the bot keeps them (the log, a modal's
// private_metadata): a response_url lets whoever holds it post in its
// channel for 30 minutes, so none is kept in clear. Its key is derived
// (HKDF-SHA256) from the Slack bot token, a secret every replica has and
// that is never stored: a copy of the log or of a view alone opens nothing,
// replicas and restarts open what another sealed, and after the bot token
// is rotated nothing sealed before opens (it has expired anyway, or soon
// will). A Sealer is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer whose key is derived from secret (the bot
// token).
func NewSealer(secret string) *Sealer {
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, sealInfo, 32)
	if err != nil {
		panic("slackpost: deriving the response_url key: " + err.Error()) // only for lengths HKDF cannot give
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("slackpost: " + err.Error()) // a 32-byte key is always valid
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic("slackpost: " + err.Error())
	}
	return &Sealer{aead: aead}
}

// EphemeralSealer returns a Sealer with a random key: what it seals opens
// only in this process. For callers wired without a bot token (tests).
func EphemeralSealer() *Sealer {
	return NewSealer(rand.Text() + rand.Text())
}

// Seal returns plain sealed and bound to ad (an identity of the place it
// is kept: a send's idempotency key, the user a view was opened for), as
// "s1:" and unpadded base64url; "" for "". The same plain sealed twice
// differs.
func (s *Sealer) Seal(plain, ad string) string {
	if plain == "" {
		return ""
	}
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce) // never fails (crypto/rand)
	out := s.aead.Seal(nonce, nonce, []byte(plain), []byte(ad))
	return sealPrefix + base64.RawURLEncoding.EncodeToString(out)
}

// Open returns what Seal sealed under the same key and ad. It reports
// false for anything else: "", a value sealed under another bot token or
// bound to another ad (copied elsewhere), a damaged one, and a value in
// clear (a row written before values were sealed): the caller treats all
// of them as no value at all.
func (s *Sealer) Open(sealed, ad string) (string, bool) {
	enc, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(b) < s.aead.NonceSize()+s.aead.Overhead() {
		return "", false
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], []byte(ad))
	if err != nil {
		return "", false
	}
	return string(plain), true
}
