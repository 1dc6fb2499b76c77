// Package account is who sends as whom: the LinkedIn accounts the team
// sends from, their login tokens sealed at rest, who may use which, and
// what happens when a session expires.
//
//   - The default account is LINKUP_LOGIN_TOKEN (optional): anyone allowed
//     to send may use it.
//   - An account connected for one Slack user is that person's own; one with
//     several users is shared. A send goes from the requester's own account,
//     else one assigned to them, else the default.
//   - Login tokens are stored only sealed with AES-256-GCM under
//     ACCOUNTS_KEY (32 random bytes, base64). A password is never stored.
//   - An account whose session expired is refused at once, with no Linkup
//     call, until it is connected again.
package account

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	"linkedin-bot/store"
)

// keyCheckText is sealed with the key when the first account is stored,
// to tell a wrong key at start.
const keyCheckText = "linkedin-bot ACCOUNTS_KEY check"

// ErrNoKey: storing an account needs ACCOUNTS_KEY.
var ErrNoKey = errors.New("ACCOUNTS_KEY is not set: an account's login token is stored only encrypted. Generate a key with `linkedin-bot doctor --new-key` and set it")

// ErrExpired is a send's account whose LinkedIn session expired.
var ErrExpired = store.ErrAccountExpired

// ErrNone: the user has no account to send from.
var ErrNone = errors.New("no LinkedIn account to send from")

// Service holds the accounts. It reads the store on each use, so that a
// change made by `linkedin-bot accounts` while the bot runs is seen at once.
type Service struct {
	st             *store.Store
	aead           cipher.AEAD // nil without a key
	defaultName    string
	defaultToken   string
	defaultCountry string
}

// Config is what a Service needs.
type Config struct {
	// Key is ACCOUNTS_KEY, base64 of 32 bytes; empty when unset.
	Key string
	// DefaultName, DefaultToken and DefaultCountry are the default account
	// (LINKUP_ACCOUNT_NAME, LINKUP_LOGIN_TOKEN, LINKUP_COUNTRY); no default
	// account when DefaultToken is empty.
	DefaultName, DefaultToken, DefaultCountry string
}

// New returns a Service over st. It fails, naming ACCOUNTS_KEY, when the
// key is malformed, or when accounts are stored and the key is missing or
// is not the one they were sealed with: nothing stored is touched then.
func New(ctx context.Context, st *store.Store, cfg Config) (*Service, error) {
	s := &Service{st: st, defaultName: cfg.DefaultName, defaultToken: cfg.DefaultToken, defaultCountry: cfg.DefaultCountry}
	if s.defaultName == "" {
		s.defaultName = "default"
	}
	if cfg.Key != "" {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cfg.Key))
		if err != nil || len(key) != 32 {
			return nil, errors.New("ACCOUNTS_KEY: must be 32 random bytes in base64 (generate one with `linkedin-bot doctor --new-key`)")
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("ACCOUNTS_KEY: %w", err)
		}
		if s.aead, err = cipher.NewGCM(block); err != nil {
			return nil, fmt.Errorf("ACCOUNTS_KEY: %w", err)
		}
	}
	sealed, ok, err := st.KeyCheck(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case !ok:
	case s.aead == nil:
		return nil, errors.New("ACCOUNTS_KEY: is not set, but accounts are stored encrypted with a key: set the key they were stored with (nothing was changed)")
	default:
		if text, err := s.open(sealed); err != nil || text != keyCheckText {
			return nil, errors.New("ACCOUNTS_KEY: is not the key the stored accounts were encrypted with: set that key (nothing was changed)")
		}
	}
	return s, nil
}

// NewKey returns a fresh ACCOUNTS_KEY.
func NewKey() string {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return base64.StdEncoding.EncodeToString(key)
}

func (s *Service) seal(text string) ([]byte, error) {
	if s.aead == nil {
		return nil, ErrNoKey
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.aead.Seal(nonce, nonce, []byte(text), []byte("linkedin-bot")), nil
}

func (s *Service) open(sealed []byte) (string, error) {
	if s.aead == nil {
		return "", ErrNoKey
	}
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("a sealed token is too short")
	}
	text, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte("linkedin-bot"))
	if err != nil {
		return "", errors.New("a stored token could not be decrypted with ACCOUNTS_KEY")
	}
	return string(text), nil
}

// Connect stores a login token as account name (or renews the one of that
// name: same history and daily count), for users, connected by by.
func (s *Service) Connect(ctx context.Context, name, country, token string, users []string, by string) error {
	if s.aead == nil {
		return ErrNoKey
	}
	if name == s.defaultName && s.defaultToken != "" {
		return fmt.Errorf("%q is the default account's name (LINKUP_ACCOUNT_NAME): choose another", name)
	}
	sealed, err := s.seal(token)
	if err != nil {
		return err
	}
	check, err := s.seal(keyCheckText)
	if err != nil {
		return err
	}
	if err := s.st.SetKeyCheck(ctx, check); err != nil {
		return err
	}
	return s.st.PutAccount(ctx, store.Account{Name: name, Country: country, Token: sealed, ConnectedBy: by}, users)
}

// Choice is an account a user may send from.
type Choice struct {
	Name    string
	Country string
	Kind    string // "own", "shared" or "default"
	Expired bool
}

// Choices returns the accounts user may send from, best first: their own,
// then shared ones assigned to them, then the default.
func (s *Service) Choices(ctx context.Context, user string) ([]Choice, error) {
	as, err := s.st.AccountsOf(ctx, user)
	if err != nil {
		return nil, err
	}
	var own, shared []Choice
	for _, a := range as {
		if c := choiceOf(a); c.Kind == "own" {
			own = append(own, c)
		} else {
			shared = append(shared, c)
		}
	}
	return append(append(own, shared...), s.defaultChoice()...), nil
}

// choiceOf is a stored account as a choice: a person's own when it has
// one user, shared when it has several.
func choiceOf(a store.Account) Choice {
	c := Choice{Name: a.Name, Country: a.Country, Kind: "shared", Expired: a.State == store.AccountExpired}
	if len(a.Users) == 1 {
		c.Kind = "own"
	}
	return c
}

// defaultChoice is the default account, when there is one.
func (s *Service) defaultChoice() []Choice {
	if s.defaultToken == "" {
		return nil
	}
	return []Choice{{Name: s.defaultName, Country: s.defaultCountry, Kind: "default"}}
}

// Usable returns every account that can be used now: the default first,
// then each connected one, by name, with its kind.
func (s *Service) Usable(ctx context.Context) ([]Choice, error) {
	as, err := s.st.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	out := s.defaultChoice()
	for _, a := range as {
		if c := choiceOf(a); !c.Expired {
			out = append(out, c)
		}
	}
	return out, nil
}

// ErrNotAllowed: the user may not send from the account they chose.
var ErrNotAllowed = errors.New("you may not send from this account")

// ExpiredError is the account a send would go from, whose session expired.
type ExpiredError struct {
	Name string
	Own  bool // the requester's own account
}

func (e *ExpiredError) Error() string {
	return "the LinkedIn session of account " + e.Name + " expired"
}

// Is makes an ExpiredError match ErrExpired.
func (e *ExpiredError) Is(target error) bool { return target == ErrExpired }

// Pick is the account a send from user goes from: want when set (ErrNotAllowed
// when they may not use it), else their best choice (ErrNone when they have
// none). An expired one is an *ExpiredError: nobody is switched to another
// account unasked, as the message would go from a profile they did not mean.
func (s *Service) Pick(ctx context.Context, user, want string) (string, error) {
	cs, err := s.Choices(ctx, user)
	if err != nil {
		return "", err
	}
	if len(cs) == 0 {
		return "", ErrNone
	}
	c := cs[0]
	if want != "" {
		i := slices.IndexFunc(cs, func(c Choice) bool { return c.Name == want })
		if i < 0 {
			return "", ErrNotAllowed
		}
		c = cs[i]
	}
	if c.Expired {
		return "", &ExpiredError{Name: c.Name, Own: c.Kind == "own"}
	}
	return c.Name, nil
}

// MayUse is the one rule for acting on something already done from
// account name: retrying a send made from it, answering a conversation of
// it. Whatever is sent goes from that account, never another, so user may
// act only if they may send from it now, by Pick's rules: it is their own,
// it is shared and assigned to them, or it is the default and there is
// one. Having requested the send, or started the conversation, is not
// enough: someone unassigned from a shared account, or whose account was
// removed, may act on nothing of it any more. An empty name is the
// default account (as conversations record it).
//
// It returns nil when user may, ErrNotAllowed when they may not, an
// *ExpiredError when they may but its session expired (nothing can go
// from it until it is connected again), or the error reading the accounts.
func (s *Service) MayUse(ctx context.Context, user, name string) error {
	if name == "" {
		name = s.defaultName
	}
	_, err := s.Pick(ctx, user, name)
	if errors.Is(err, ErrNone) {
		return ErrNotAllowed // they may use no account at all, so not this one
	}
	return err
}

// Session is what a send needs of its account.
type Session struct {
	Token   string // empty for the default account: the client's own
	Country string
}

// Session returns account name's login token, decrypted; ErrExpired when
// its session expired, ErrNone when it is gone.
func (s *Service) Session(ctx context.Context, name string) (Session, error) {
	if name == s.defaultName && s.defaultToken != "" {
		return Session{Country: s.defaultCountry}, nil
	}
	a, err := s.st.Account(ctx, name)
	if errors.Is(err, store.ErrNoAccount) {
		return Session{}, fmt.Errorf("%w: account %s was removed", ErrNone, name)
	}
	if err != nil {
		return Session{}, err
	}
	if a.State == store.AccountExpired {
		return Session{}, ErrExpired
	}
	token, err := s.open(a.Token)
	if err != nil {
		return Session{}, err
	}
	return Session{Token: token, Country: a.Country}, nil
}

// Expire marks account name expired, after Linkup refused its session. It
// returns who to tell (its owner, else whoever connected it), once per
// expiry; empty when nobody is to be told, or for the default account.
func (s *Service) Expire(ctx context.Context, name string) (tell string, err error) {
	if name == s.defaultName && s.defaultToken != "" {
		return "", nil
	}
	first, err := s.st.ExpireAccount(ctx, name)
	if err != nil || !first {
		return "", err
	}
	a, err := s.st.Account(ctx, name)
	if err != nil {
		return "", err
	}
	if len(a.Users) == 1 {
		return a.Users[0], nil
	}
	if strings.HasPrefix(a.ConnectedBy, "U") || strings.HasPrefix(a.ConnectedBy, "W") {
		return a.ConnectedBy, nil
	}
	return "", nil
}

// IsDefault reports whether name is the default account.
func (s *Service) IsDefault(name string) bool { return name == s.defaultName }

// HasDefault reports whether there is a default account.
func (s *Service) HasDefault() bool { return s.defaultToken != "" }

// Own returns user's own account: the one connected for them alone;
// ErrNone when they have none.
func (s *Service) Own(ctx context.Context, user string) (store.Account, error) {
	as, err := s.st.AccountsOf(ctx, user)
	if err != nil {
		return store.Account{}, err
	}
	for _, a := range as {
		if choiceOf(a).Kind == "own" {
			return a, nil
		}
	}
	return store.Account{}, ErrNone
}

// ConnectOwn stores token as user's own account (self-service): their own
// account renewed when they have one (same name, history and daily count),
// else a new one named after them (name, their Slack name), made unique
// with their user ID when another account has that name. It returns the
// account's name.
func (s *Service) ConnectOwn(ctx context.Context, user, name, country, token string) (string, error) {
	own, err := s.Own(ctx, user)
	switch {
	case err == nil:
		name = own.Name
	case !errors.Is(err, ErrNone):
		return "", err
	default:
		name = strings.TrimSpace(name)
		if name == "" {
			name = user
		}
		taken := s.IsDefault(name) && s.HasDefault()
		if !taken {
			if _, err := s.st.Account(ctx, name); err == nil {
				taken = true
			} else if !errors.Is(err, store.ErrNoAccount) {
				return "", err
			}
		}
		if taken {
			name += " (" + user + ")"
		}
	}
	return name, s.Connect(ctx, name, country, token, []string{user}, user)
}

// DisconnectOwn removes user's own account and its token (its sends stay
// in the log) and returns its name; ErrNone when they have none.
func (s *Service) DisconnectOwn(ctx context.Context, user string) (string, error) {
	own, err := s.Own(ctx, user)
	if err != nil {
		return "", err
	}
	return own.Name, s.st.RemoveAccount(ctx, own.Name)
}

// SentToday is how many messages account name sent today (UTC), as the
// daily cap counts them.
func (s *Service) SentToday(ctx context.Context, name string) (int, error) {
	return s.st.SentToday(ctx, name)
}
