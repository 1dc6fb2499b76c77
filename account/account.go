// Package account is who sends as whom: the LinkedIn accounts the team
// sends from, their login tokens sealed at rest, who may use which, and
// what happens when a session expires.
//
//   - The default account (optional) is the one anyone allowed to send may
//     use: LINKUP_LOGIN_TOKEN, or an account connected as the default
//     (`accounts connect --name <LINKUP_ACCOUNT_NAME>`, with no --user),
//     stored sealed like the others. A dry run (LINKUP_DRY_RUN) has one
//     without a token: it sends nothing, so it needs no session.
//   - An account connected for one Slack user is that person's own; one with
//     several users is shared. A send goes from the requester's own account,
//     else one assigned to them, else the default.
//   - Login tokens are stored only sealed with AES-256-GCM under
//     ACCOUNTS_KEY (32 random bytes, base64), each bound to its account's
//     ID (the additional data): a token copied into another account's row
//     does not open there. A password is never stored.
//   - A person's own account connected from Slack is found by its owner's
//     user ID, never by its name, which is a label the bot makes unique.
//   - An account whose session expired is refused at once, with no Linkup
//     call, until it is connected again.
//   - On Linkup v2 an account is named by its persistent account_id. One
//     connected with a login token gets it by migrating the token (free),
//     once, and keeps it (store.LinkupAccount, bound to the token's hash).
//     A v2 login by email and password may give the ID alone, without a
//     token: then the ID, marked as such, is what is sealed in the token's
//     place, bound to the account like a token, and the kept row is only
//     its copy. Such an account cannot send on v1.
package account

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"

	"linkedin-bot/slackpost"
	"linkedin-bot/store"
)

// keyCheckText is sealed with the key when the first account is stored,
// to tell a wrong key at start.
const keyCheckText = "linkedin-bot ACCOUNTS_KEY check"

// The AES-GCM additional data: a token's binds it to its account's ID, the
// key check's to its use. Before accounts had IDs, both were legacyAD:
// New re-seals such a store once, at start.
const (
	tokenAD    = "linkedin-bot token v2 of account "
	keyCheckAD = "linkedin-bot ACCOUNTS_KEY check v2"
	legacyAD   = "linkedin-bot"
)

// ErrNoKey: storing an account needs ACCOUNTS_KEY.
var ErrNoKey = errors.New("ACCOUNTS_KEY is not set: an account's login token is stored only encrypted. Generate a key with `linkedin-bot doctor --new-key` and set it")

// ErrKeyChanged: the stored accounts were re-sealed under another key
// (linkedin-bot accounts rekey) after this Service started. Nothing it
// stores or reads from them is used or written until it is restarted with
// the new ACCOUNTS_KEY.
var ErrKeyChanged = store.ErrKeyChanged

// ErrExpired is a send's account whose LinkedIn session expired.
var ErrExpired = store.ErrAccountExpired

// ErrNone: the user has no account to send from.
var ErrNone = errors.New("no LinkedIn account to send from")

// ErrNeedsV2 is an account connected on Linkup v2 with its account ID
// alone (no login token): v1, which sends with a login token, cannot use it.
var ErrNeedsV2 = store.ErrNeedsV2

// Credential is what logging an account in gave: a LinkedIn session (v1's
// login token; a v2 login may give one too) and its Linkup v2 account ID
// (empty on v1). At least one is set. Neither is ever logged; the token is
// stored only sealed.
type Credential struct {
	Token     string
	AccountID string
}

// v2Mark prefixes the v2 account ID sealed in the token's place for an
// account that has no login token (a LinkedIn li_at token never has it).
const v2Mark = "linkup-v2-account_id:"

// sealed is the text sealed for c: its token, else its v2 account ID,
// marked.
func (c Credential) sealed() (string, error) {
	token, id := strings.TrimSpace(c.Token), strings.TrimSpace(c.AccountID)
	switch {
	case strings.HasPrefix(token, v2Mark):
		return "", errors.New("this is not a LinkedIn login token")
	case token != "":
		return token, nil
	case id != "":
		return v2Mark + id, nil
	}
	return "", errors.New("the login gave neither a LinkedIn session nor a Linkup account: nothing to store")
}

// keepID keeps account name's v2 account ID, when c has one, as the copy
// sends and webhooks read (bound to the token's hash when there is a
// token, so that no migration is needed). It is best effort: when it
// fails, Session gets the ID again (from the sealed mark, or by migrating
// the token, free).
func (s *Service) keepID(ctx context.Context, name string, c Credential) {
	id := strings.TrimSpace(c.AccountID)
	if id == "" {
		return
	}
	hash := ""
	if token := strings.TrimSpace(c.Token); token != "" {
		hash = tokenHash(token, id)
	}
	_ = s.st.PutLinkupAccount(ctx, store.LinkupAccount{Name: name, AccountID: id, TokenHash: hash})
}

// tokenHash binds a kept v2 account ID to the login token it is the ID of:
// the SHA-256, in hex, of the token and the ID (store.LinkupAccount's
// TokenHash). The kept row is in clear; the token is sealed: an ID edited
// in the store, or a row copied from another account, no longer matches
// its account's token, and the token gets its own ID again (free).
func tokenHash(token, id string) string {
	sum := sha256.Sum256([]byte(token + "\x00" + id))
	return hex.EncodeToString(sum[:])
}

// Service holds the accounts. It reads the store on each use, so that a
// change made by `linkedin-bot accounts` while the bot runs is seen at once.
type Service struct {
	st             *store.Store
	aead           cipher.AEAD // nil without a key
	defaultName    string
	envDefault     bool // the default account is LINKUP_LOGIN_TOKEN's, or a dry run's
	tokenDefault   bool // LINKUP_LOGIN_TOKEN is set
	defaultCountry string
	defaultToken   string // LINKUP_LOGIN_TOKEN, migrated to v2 with the others
	team           string
	linkup         Migrator // nil on v1, and in a dry run
	v2             bool     // LINKUP_API_VERSION=v2

	mu    sync.Mutex
	check []byte // the key check this key verified or made; nil without a key
}

// Config is what a Service needs.
type Config struct {
	// Key is ACCOUNTS_KEY, base64 of 32 bytes; empty when unset.
	Key string
	// DefaultName, DefaultToken and DefaultCountry are the default account
	// (LINKUP_ACCOUNT_NAME, LINKUP_LOGIN_TOKEN, LINKUP_COUNTRY). When
	// DefaultToken is empty, the default account is the stored one of
	// DefaultName connected as the default, when there is one.
	DefaultName, DefaultToken, DefaultCountry string
	// DryRun (LINKUP_DRY_RUN) gives the default account without a
	// DefaultToken: a dry run sends nothing, so it needs no session.
	DryRun bool
	// ReadOnly is for a store opened read-only (doctor): the key is
	// checked, and tokens of an earlier version are not re-sealed.
	ReadOnly bool
	// Linkup, when set, is Linkup v2 (LINKUP_API_VERSION=v2): each
	// account's session then carries its persistent account ID, got once
	// by migrating its login token (free) and kept in the store.
	Linkup Migrator
	// V2 is LINKUP_API_VERSION=v2, with or without Linkup (a dry run
	// calls no Linkup): an account connected on v2 without a login token
	// can be used only then.
	V2 bool
	// Team is the channel told about an account nobody in particular is
	// (NOTIFY_CHANNEL): the default account, one shared and connected on
	// the command line. Empty: such news goes to the log only.
	Team string
}

// New returns a Service over st. It fails, naming ACCOUNTS_KEY, when the
// key is malformed, or when accounts are stored and the key is missing or
// is not the one they were sealed with: nothing stored is touched then.
// Tokens sealed before they were bound to their account (a store of an
// earlier version) are re-sealed, bound, at once, in one transaction.
func New(ctx context.Context, st *store.Store, cfg Config) (*Service, error) {
	s := &Service{st: st, defaultName: cfg.DefaultName, defaultCountry: cfg.DefaultCountry, team: cfg.Team,
		defaultToken: cfg.DefaultToken, linkup: cfg.Linkup, v2: cfg.V2 || cfg.Linkup != nil,
		envDefault: cfg.DefaultToken != "" || cfg.DryRun, tokenDefault: cfg.DefaultToken != ""}
	if s.defaultName == "" {
		s.defaultName = "default"
	}
	if cfg.Key != "" {
		aead, err := parseKey(cfg.Key)
		if err != nil {
			return nil, fmt.Errorf("ACCOUNTS_KEY: %w", err)
		}
		s.aead = aead
	}
	for range 2 { // twice: another program may upgrade the store at the same time
		sealed, ok, err := st.KeyCheck(ctx)
		if err != nil {
			return nil, err
		}
		switch {
		case !ok:
			if s.aead != nil {
				if s.check, err = s.seal(keyCheckText, keyCheckAD); err != nil {
					return nil, err
				}
			}
			return s, nil
		case s.aead == nil:
			return nil, errors.New("ACCOUNTS_KEY: is not set, but accounts are stored encrypted with a key: set the key they were stored with (nothing was changed)")
		case s.opensCheck(sealed):
			s.check = sealed
			return s, nil
		}
		if text, err := s.open(sealed, legacyAD); err != nil || text != keyCheckText {
			return nil, errors.New("ACCOUNTS_KEY: is not the key the stored accounts were encrypted with: set that key (nothing was changed)")
		}
		if cfg.ReadOnly {
			return s, nil
		}
		if err := s.upgrade(ctx, sealed); err == nil || !errors.Is(err, store.ErrKeyChanged) {
			return s, err
		}
	}
	return nil, errors.New("ACCOUNTS_KEY: the stored accounts' key check changed twice while this program started: start it again")
}

// upgrade binds every token of a store sealed before tokens were bound to
// their account (legacy is its key check), in one transaction. A token that
// does not open is left as it is: its account cannot be used until it is
// connected again.
func (s *Service) upgrade(ctx context.Context, legacy []byte) error {
	check, err := s.seal(keyCheckText, keyCheckAD)
	if err != nil {
		return err
	}
	_, err = s.st.Reseal(ctx, legacy, check, func(a store.Account) ([]byte, error) {
		token, err := s.open(a.Token, legacyAD)
		if err != nil {
			return nil, nil
		}
		return s.seal(token, tokenAD+a.ID)
	})
	if err == nil {
		s.check = check
	}
	return err
}

// CheckKey says what is wrong with an ACCOUNTS_KEY, for the settings'
// check at start: nil when it is well-formed.
func CheckKey(k string) error {
	_, err := parseKey(k)
	return err
}

// parseKey is the AEAD of an ACCOUNTS_KEY.
func parseKey(k string) (cipher.AEAD, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(k))
	if err != nil || len(key) != 32 {
		return nil, errors.New("must be 32 random bytes in base64 (generate one with `linkedin-bot doctor --new-key`)")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// NewKey returns a fresh ACCOUNTS_KEY.
func NewKey() string {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return base64.StdEncoding.EncodeToString(key)
}

func (s *Service) seal(text, ad string) ([]byte, error) {
	if s.aead == nil {
		return nil, ErrNoKey
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.aead.Seal(nonce, nonce, []byte(text), []byte(ad)), nil
}

func (s *Service) open(sealed []byte, ad string) (string, error) {
	if s.aead == nil {
		return "", ErrNoKey
	}
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("a sealed token is too short")
	}
	text, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(ad))
	if err != nil {
		return "", errors.New("a stored token could not be decrypted with ACCOUNTS_KEY")
	}
	return string(text), nil
}

// opensCheck reports whether sealed is a key check of this key.
func (s *Service) opensCheck(sealed []byte) bool {
	text, err := s.open(sealed, keyCheckAD)
	return err == nil && text == keyCheckText
}

// sealer seals token to the account it is stored in.
func (s *Service) sealer(token string) store.Seal {
	return func(id string) ([]byte, error) { return s.seal(token, tokenAD+id) }
}

// write runs a store write under this Service's key check. Where the
// store holds another check of the same key (two programs stored the
// first account at once, or the last was removed and another stored
// since), it takes that one and writes again; another key's is
// ErrKeyChanged, and nothing is written.
func (s *Service) write(ctx context.Context, put func(check []byte) error) error {
	if s.aead == nil {
		return ErrNoKey
	}
	s.mu.Lock()
	check := s.check
	s.mu.Unlock()
	err := put(check)
	if !errors.Is(err, store.ErrKeyChanged) {
		return err
	}
	sealed, ok, rerr := s.st.KeyCheck(ctx)
	if rerr != nil || !ok || !s.opensCheck(sealed) {
		return err
	}
	s.mu.Lock()
	s.check = sealed
	s.mu.Unlock()
	return put(sealed)
}

// Connect stores a login's credential as account name (or renews the one
// of that name: same identity, history and daily count), for users,
// connected by by. A new account for one user is theirs (their own); it
// fails when they own one already. Another user added to an own account
// makes it shared. It is ErrKeyChanged after a rekey: nothing is stored.
func (s *Service) Connect(ctx context.Context, name, country string, cred Credential, users []string, by string) error {
	if err := s.mayConnect(name, users); err != nil {
		return err
	}
	token, err := cred.sealed()
	if err != nil {
		return err
	}
	a := store.Account{Name: name, Country: country, ConnectedBy: by, Default: name == s.defaultName}
	if len(users) == 1 {
		a.Owner = users[0]
	}
	err = s.write(ctx, func(check []byte) error {
		return s.st.PutAccount(ctx, a, users, check, s.sealer(token))
	})
	if errors.Is(err, store.ErrNotDefault) { // stored since MayConnect looked
		if stored, rerr := s.st.Account(ctx, name); rerr == nil {
			return notDefault(stored, a.Default)
		}
	}
	if err == nil {
		s.keepID(ctx, name, cred)
	}
	return err
}

// MayConnect says, before anyone logs in (a login costs credits and,
// repeated, can lock the LinkedIn account), whether Connect could store
// account name for users: nil, or why not.
func (s *Service) MayConnect(ctx context.Context, name string, users []string) error {
	if err := s.mayConnect(name, users); err != nil {
		return err
	}
	a, err := s.st.Account(ctx, name)
	if errors.Is(err, store.ErrNoAccount) {
		return nil
	}
	if err != nil {
		return err
	}
	if isDefault := name == s.defaultName; a.Default != isDefault {
		return notDefault(a, isDefault)
	}
	return nil
}

// notDefault is the refusal to connect account a (as the default one when
// asDefault) over what it is.
func notDefault(a store.Account, asDefault bool) error {
	remove := commandLine("linkedin-bot", "accounts", "remove", "--name", a.Name)
	if asDefault {
		return fmt.Errorf("an account named %s exists and is not the default account (it may be used by %s, and connecting it as the default would hand it to everyone): connect the default account under another name (LINKUP_ACCOUNT_NAME), or remove that one first with %s", a.Name, usersOf(a), remove)
	}
	return fmt.Errorf("the account named %s was connected as the default account, for everyone; LINKUP_ACCOUNT_NAME now names another, so it is no one's: remove it with %s, or set LINKUP_ACCOUNT_NAME=%s again", a.Name, remove, a.Name)
}

// mayConnect is MayConnect's checks that need no store.
func (s *Service) mayConnect(name string, users []string) error {
	switch {
	case s.aead == nil:
		return ErrNoKey
	case name == "default" && s.defaultName != "default" && len(users) == 0:
		return fmt.Errorf("LINKUP_ACCOUNT_NAME names the default account %s: connect it with --name %s (an account named default here would be nobody's until someone is assigned to it)", s.defaultName, slackpost.ShellQuote(s.defaultName))
	case name != s.defaultName:
		return nil
	case s.tokenDefault:
		return fmt.Errorf("%q is the default account's name (LINKUP_ACCOUNT_NAME), and LINKUP_LOGIN_TOKEN is that account: empty LINKUP_LOGIN_TOKEN to connect the default account here instead, or choose another name", name)
	case len(users) > 0:
		return fmt.Errorf("%q is the default account's name (LINKUP_ACCOUNT_NAME): everyone allowed to send may use the default account, so it takes no --user; choose another name for an account of these people", name)
	}
	return nil
}

// DefaultName is the default account's name (LINKUP_ACCOUNT_NAME).
func (s *Service) DefaultName() string { return s.defaultName }

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
	as, err := s.st.BriefsOf(ctx, user)
	if err != nil {
		return nil, err
	}
	var own, shared []Choice
	for _, a := range as {
		if c := s.choiceOf(a, a.Owner == user); c.Kind == "own" {
			own = append(own, c)
		} else {
			shared = append(shared, c)
		}
	}
	def, err := s.defaultChoice(ctx)
	return append(append(own, shared...), def...), err
}

// choiceOf is a stored account as a choice: the default one, own (a
// person's) or shared.
func (s *Service) choiceOf(a store.Brief, own bool) Choice {
	c := Choice{Name: a.Name, Country: a.Country, Kind: "shared", Expired: a.State == store.AccountExpired}
	switch {
	case a.Default && a.Name == s.defaultName:
		c.Kind = "default"
	case own:
		c.Kind = "own"
	}
	return c
}

// defaultChoice is the default account, when there is one.
func (s *Service) defaultChoice(ctx context.Context) ([]Choice, error) {
	if s.envDefault {
		return []Choice{{Name: s.defaultName, Country: s.defaultCountry, Kind: "default"}}, nil
	}
	a, err := s.st.BriefOf(ctx, s.defaultName)
	if errors.Is(err, store.ErrNoAccount) || err == nil && !a.Default {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []Choice{s.choiceOf(a, false)}, nil
}

// Clash is the error of LINKUP_LOGIN_TOKEN's default account whose name
// a stored account has too: the default connected with `accounts connect`,
// or someone's account of that name. Two sessions under one name: which
// one a send goes from, and who may use it, would be a guess. The bot does
// not start then, and refuses to send from that name if it happens while
// it runs; the accounts command works, to remove one.
func (s *Service) Clash(ctx context.Context) error {
	if !s.tokenDefault {
		return nil
	}
	// Checked before each send from the default account: the brief says
	// whether there is a clash; the rare clash reads who may use it.
	b, err := s.st.BriefOf(ctx, s.defaultName)
	if errors.Is(err, store.ErrNoAccount) {
		return nil
	}
	if err != nil {
		return err
	}
	remove := commandLine("linkedin-bot", "accounts", "remove", "--name", s.defaultName)
	if b.Default {
		return fmt.Errorf("%w: the default account %s is LINKUP_LOGIN_TOKEN and is also connected with `linkedin-bot accounts connect` (stored, encrypted), so which session it sends from would be a guess: keep one, by emptying LINKUP_LOGIN_TOKEN (and restarting), or by removing the stored one with %s", ErrClash, s.defaultName, remove)
	}
	a, err := s.st.Account(ctx, s.defaultName)
	if errors.Is(err, store.ErrNoAccount) {
		return nil // removed since the brief was read: no clash now
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: LINKUP_LOGIN_TOKEN's default account is named %s, and so is a stored account (of %s), which must keep its own session and its people: give the default account another name with LINKUP_ACCOUNT_NAME, or remove the stored one with %s", ErrClash, s.defaultName, usersOf(a), remove)
}

// usersOf says who may use stored account a.
func usersOf(a store.Account) string {
	if len(a.Users) == 0 {
		return "nobody yet"
	}
	return strings.Join(a.Users, ", ")
}

// ErrClash: LINKUP_LOGIN_TOKEN's default account has the name of a
// stored account.
var ErrClash = errors.New("LINKUP_LOGIN_TOKEN: two accounts of one name")

// Default is the default account, and whether there is one: the one
// anyone allowed to send may use.
func (s *Service) Default(ctx context.Context) (Choice, bool, error) {
	cs, err := s.defaultChoice(ctx)
	if err != nil || len(cs) == 0 {
		return Choice{}, false, err
	}
	return cs[0], true, nil
}

// Usable returns every account that can be used now: the default first,
// then each connected one, by name, with its kind: own when it is owned or
// has one user (someone's inbox, not the team's).
func (s *Service) Usable(ctx context.Context) ([]Choice, error) {
	as, err := s.st.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	var def, out []Choice
	if s.envDefault {
		def, _ = s.defaultChoice(ctx)
	}
	for _, a := range as {
		switch c := s.choiceOf(a.Brief(), a.Owner != "" || len(a.Users) == 1); {
		case c.Expired:
		case c.Kind == "default":
			if !s.envDefault { // else a dry run's default stands for it
				def = []Choice{c}
			}
		default:
			out = append(out, c)
		}
	}
	return append(def, out...), nil
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
	// AccountID is its Linkup v2 account ID; empty on v1.
	AccountID string
}

// Migrator gives a login token its Linkup v2 account ID (linkup.Client).
type Migrator interface {
	Migrate(ctx context.Context, loginToken, country string) (string, error)
}

// withAccountID is sess with account name's v2 account ID, on v2: the one
// kept for its login token, else got by migrating the token (free; the
// same token gives the same ID) and kept, so that a restart logs in to
// nothing again. A token that changed (the account connected again) is
// migrated again.
func (s *Service) withAccountID(ctx context.Context, name string, sess Session, token string) (Session, error) {
	if s.linkup == nil || token == "" {
		return sess, nil
	}
	kept, ok, err := s.st.LinkupAccount(ctx, name)
	if err != nil {
		return Session{}, err
	}
	if ok && kept.TokenHash == tokenHash(token, kept.AccountID) {
		sess.AccountID = kept.AccountID
		return sess, nil
	}
	id, err := s.linkup.Migrate(ctx, token, sess.Country)
	if err != nil {
		return Session{}, fmt.Errorf("getting the account's Linkup v2 ID: %w", err)
	}
	if err := s.st.PutLinkupAccount(ctx, store.LinkupAccount{Name: name, AccountID: id, TokenHash: tokenHash(token, id)}); err != nil {
		return Session{}, err
	}
	sess.AccountID = id
	return sess, nil
}

// Session returns account name's login token, decrypted; ErrExpired when
// its session expired, ErrNone when it is gone.
func (s *Service) Session(ctx context.Context, name string) (Session, error) {
	if s.IsDefault(name) {
		if err := s.Clash(ctx); err != nil {
			return Session{}, err // changed since the start: nothing goes from either
		}
		return s.withAccountID(ctx, name, Session{Country: s.defaultCountry}, s.defaultToken)
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
	token, err := s.open(a.Token, tokenAD+a.ID)
	if err != nil {
		if s.keyChanged(ctx) {
			return Session{}, ErrKeyChanged
		}
		return Session{}, unopenable(name)
	}
	if id, marked := strings.CutPrefix(token, v2Mark); marked {
		return s.v2Session(ctx, name, Session{Country: a.Country}, id)
	}
	return s.withAccountID(ctx, name, Session{Token: token, Country: a.Country}, token)
}

// v2Session is sess for account name connected on v2 with its account ID
// alone: the sealed ID, which the kept copy is made to match (no Linkup
// call); ErrNeedsV2 on v1.
func (s *Service) v2Session(ctx context.Context, name string, sess Session, id string) (Session, error) {
	if !s.v2 {
		return Session{}, fmt.Errorf("account %s cannot be used on Linkup v1: %w", name, ErrNeedsV2)
	}
	kept, ok, err := s.st.LinkupAccount(ctx, name)
	if err != nil {
		return Session{}, err
	}
	if !ok || kept.AccountID != id || kept.TokenHash != "" {
		if err := s.st.PutLinkupAccount(ctx, store.LinkupAccount{Name: name, AccountID: id}); err != nil {
			return Session{}, err
		}
	}
	sess.AccountID = id
	return sess, nil
}

// ErrUnopenable: an account's stored token does not open as its own.
var ErrUnopenable = store.ErrTokenUnopenable

// unopenable is the error of account name's token that does not open as
// its own; it is ErrUnopenable.
type unopenable string

func (u unopenable) Error() string {
	return fmt.Sprintf("the stored token of account %s does not open with ACCOUNTS_KEY as this account's (it was sealed for another account, or damaged), so it is not used: connect the account again", string(u))
}

func (u unopenable) Is(target error) bool { return target == ErrUnopenable }

// keyChanged reports whether the stored accounts were re-sealed under
// another key since this Service started.
func (s *Service) keyChanged(ctx context.Context) bool {
	sealed, ok, err := s.st.KeyCheck(ctx)
	return err == nil && ok && !s.opensCheck(sealed)
}

// Expire marks account name expired, after Linkup refused its session. It
// returns who to tell (its owner, else whoever connected it), once per
// expiry; empty when nobody is to be told, or for the default account.
func (s *Service) Expire(ctx context.Context, name string) (tell string, err error) {
	if s.IsDefault(name) {
		return "", nil
	}
	first, err := s.st.ExpireAccount(ctx, name)
	if err != nil || !first {
		return "", err
	}
	return s.Contact(ctx, name)
}

// Contact is who to tell about account name: its owner, else its only
// user, else whoever connected it from Slack, else the team's channel
// (Config.Team: the default account connected with the command, a shared
// one); empty when nobody, or for LINKUP_LOGIN_TOKEN's default account
// (its session is the bot's setting, and a send's thread says so).
func (s *Service) Contact(ctx context.Context, name string) (string, error) {
	if s.IsDefault(name) {
		return "", nil
	}
	a, err := s.st.Account(ctx, name)
	if err != nil {
		return "", err
	}
	if a.Owner != "" {
		return a.Owner, nil
	}
	if len(a.Users) == 1 {
		return a.Users[0], nil
	}
	if strings.HasPrefix(a.ConnectedBy, "U") || strings.HasPrefix(a.ConnectedBy, "W") {
		return a.ConnectedBy, nil
	}
	return s.team, nil
}

// IsDefault reports whether name is the default account of
// LINKUP_LOGIN_TOKEN (or of a dry run): it goes out with the Linkup
// client's own token, and its session is an admin's setting. A default
// account connected with `accounts connect` is not: it has a stored
// token, expires and is connected again like the others.
func (s *Service) IsDefault(name string) bool { return s.envDefault && name == s.defaultName }

// Own returns user's own account: the one they own; ErrNone when they
// have none.
func (s *Service) Own(ctx context.Context, user string) (store.Account, error) {
	a, err := s.st.OwnAccount(ctx, user)
	if errors.Is(err, store.ErrNoAccount) {
		return store.Account{}, ErrNone
	}
	return a, err
}

// ConnectOwn stores a login's credential as user's own account
// (self-service): the account they own renewed, when they have one (same
// name, history and daily count); else a new one, theirs, labelled after
// them (name, their Slack name, made printable) and made unique by the
// bot. It never joins, renews or adds user to another account, whatever
// name they chose. It returns the account's name.
func (s *Service) ConnectOwn(ctx context.Context, user, name, country string, cred Credential) (string, error) {
	token, err := cred.sealed()
	if err != nil {
		return "", err
	}
	label := Label(name)
	if label == "" {
		label = user
	}
	reserved := []string{s.defaultName} // whether or not there is a default account yet
	var got string
	err = s.write(ctx, func(check []byte) error {
		var err error
		got, err = s.st.PutOwnAccount(ctx, user, label, country, reserved, check, s.sealer(token))
		return err
	})
	if err == nil {
		s.keepID(ctx, got, cred)
	}
	return got, err
}

// commandLine is args as a command for an operator to paste into a shell.
func commandLine(args ...string) string {
	for i, a := range args {
		args[i] = slackpost.ShellQuote(a)
	}
	return strings.Join(args, " ")
}

// Label is name made fit to label an account: printable, on one line,
// without a backtick (it is shown in Slack code spans and in the operator's
// terminal), spaces collapsed, at most 80 characters.
func Label(name string) string {
	name = strings.Map(func(r rune) rune {
		switch {
		case r == '`':
			return '\''
		case unicode.IsControl(r) || unicode.IsSpace(r) || !unicode.IsPrint(r):
			return ' '
		}
		return r
	}, name)
	name = strings.Join(strings.Fields(name), " ")
	if r := []rune(name); len(r) > 80 {
		name = strings.TrimSpace(string(r[:80]))
	}
	return name
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

// Rekey re-seals every stored token, and the key check, from oldKey
// to newKey, in one transaction: it changes nothing when oldKey is not
// the stored accounts' key, or when a token does not open with it. A
// program still running with oldKey finds, from the commit on, that the key
// changed (ErrKeyChanged): it uses no token and stores none until it is
// restarted with newKey. It returns how many tokens it re-sealed, and done
// false when there was nothing to do: no account stored, or the accounts
// are sealed with newKey already.
func Rekey(ctx context.Context, st *store.Store, oldKey, newKey string) (n int, done bool, err error) {
	oldAEAD, err := parseKey(oldKey)
	if err != nil {
		return 0, false, fmt.Errorf("ACCOUNTS_KEY_OLD: %w", err)
	}
	newAEAD, err := parseKey(newKey)
	if err != nil {
		return 0, false, fmt.Errorf("ACCOUNTS_KEY: %w", err)
	}
	from := &Service{st: st, aead: oldAEAD}
	to := &Service{st: st, aead: newAEAD}
	sealed, ok, err := st.KeyCheck(ctx)
	switch {
	case err != nil:
		return 0, false, err
	case !ok:
		return 0, false, nil
	case to.opensCheck(sealed):
		return 0, false, nil
	}
	// The old key, verified (and a store of an earlier version bound first).
	if from, err = New(ctx, st, Config{Key: oldKey}); err != nil {
		return 0, false, errors.New("ACCOUNTS_KEY_OLD: is not the key the stored accounts are encrypted with (nothing was changed)")
	}
	check, err := to.seal(keyCheckText, keyCheckAD)
	if err != nil {
		return 0, false, err
	}
	n, err = st.Reseal(ctx, from.check, check, func(a store.Account) ([]byte, error) {
		token, err := from.open(a.Token, tokenAD+a.ID)
		if err != nil {
			return nil, fmt.Errorf("the token of account %s does not open with ACCOUNTS_KEY_OLD (nothing was changed): remove it or connect it again, then rekey", a.Name)
		}
		return to.seal(token, tokenAD+a.ID)
	})
	if err != nil {
		return 0, false, err
	}
	return n, true, nil
}
