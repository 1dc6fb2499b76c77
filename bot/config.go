package bot

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"linkedin-bot/account"
	"linkedin-bot/campaign"
	"linkedin-bot/conversation"
	"linkedin-bot/internal/suggest"
	"linkedin-bot/linkup"
	"linkedin-bot/store"
)

// Config is the bot's whole configuration, read once at start.
type Config struct {
	SlackAppToken string // xapp-…, opens Socket Mode connections
	SlackBotToken string // xoxb-…, calls the Web API
	SlackAPIURL   string // Web API root, always with a trailing slash

	LinkupAPIKey      string // required, but for a dry run
	LinkupLoginToken  string // the default account's session; optional with accounts or in a dry run
	AccountsKey       string // ACCOUNTS_KEY: seals the accounts' login tokens
	SelfService       bool   // ACCOUNT_SELF_SERVICE: people connect their own account from Slack
	LinkupAccountName string // stable name of the sending account, for the daily cap and the log
	LinkupBaseURL     string
	LinkupCountry     string
	LinkupTimeout     time.Duration
	LinkupDryRun      bool   // everything runs but the Linkup call
	LinkupAPIVersion  string // LINKUP_API_VERSION: linkup.V1 (the default) or linkup.V2

	NotifyChannel   string // optional channel ID for the team notification
	MaxMessageLen   int
	MaxMediaBytes   int64 // largest attachment accepted
	SendConcurrency int
	LinkupPerMinute int // Linkup calls per minute; 0 means no cap
	ShutdownTimeout time.Duration

	DataDir        string          // where the send log lives, without DatabaseURL
	DatabaseURL    string          // DATABASE_URL: the send log in PostgreSQL instead
	Lease          time.Duration   // LEASE_DURATION: how long a dead bot's work stays its own
	AllowedUsers   map[string]bool // Slack user IDs who may send; empty allows everyone
	DailySendLimit int             // sends per LinkedIn account per UTC day; 0 means no cap
	InvitesPerWeek int             // invitations per LinkedIn account per rolling 7 days; 0 means no cap
	InviteWaitDays int             // a pending invitation expires after this many days

	// The reply bridge (package conversation).
	InboxChannel      string        // new inbound conversations get a root there; empty: none
	ReadCreditsPerDay int           // credits spent reading per UTC day; 0 turns reading off
	ReplyPollInterval time.Duration // fastest inbox poll
	ReplyPollMax      time.Duration // slowest, reached while nothing happens
	ReplySafetyPoll   time.Duration // on v2, a live account's inbox poll, for safety
	ReplyWatchDays    int           // a conversation is watched this long after its last activity
	UnknownCheckAfter time.Duration // first check of an unknown send
	LinkupStreamIdle  time.Duration // LINKUP_STREAM_IDLE: silence after which a v2 event stream is dead

	LogLevel   string
	LogFormat  string // json, console, or empty: console on a terminal, json otherwise
	CPUProfile string // when set, a pprof CPU profile is written there until exit

	// Campaigns (package campaign): the pace of bulk sends.
	CampaignGapMin        time.Duration  // CAMPAIGN_GAP_MIN: shortest gap between two sends of an account
	CampaignGapMax        time.Duration  // CAMPAIGN_GAP_MAX: longest
	CampaignHours         campaign.Hours // CAMPAIGN_HOURS: when campaigns send, in the owner's time zone
	CampaignMaxRows       int            // CAMPAIGN_MAX_ROWS
	CampaignRecontactDays int            // CAMPAIGN_RECONTACT_DAYS

	// MetricsAddr (METRICS_ADDR), when set, is the host:port of the
	// listener for /metrics, /healthz and /readyz; empty: none.
	MetricsAddr string

	// Unknown are the names, in .env or the environment, that look like
	// settings and are none (a typo): the bot warns of each at start and
	// doctor fails them. The caller sets it (UnknownSettings).
	Unknown []Unknown
}

// ConfigError names the setting that is missing or malformed.
type ConfigError struct {
	Var    string
	Reason string
}

func (e *ConfigError) Error() string { return e.Var + ": " + e.Reason }

// ConfigErrors are all the problems of a configuration, reported together.
type ConfigErrors []*ConfigError

func (e ConfigErrors) Error() string {
	if len(e) == 1 {
		return e[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems:", len(e))
	for _, p := range e {
		b.WriteString("\n  - " + p.Error())
	}
	return b.String()
}

var (
	channelID = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)
	userID    = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
)

// Log is where the send log lives: DATABASE_URL's PostgreSQL database, or DATA_DIR.
func (c Config) Log() store.Where { return store.Where{Dir: c.DataDir, URL: c.DatabaseURL} }

// LogAt is Config.Log read through getenv, for the commands that need no
// other setting (history, accounts).
func LogAt(getenv func(string) string) store.Where {
	return store.Where{Dir: DataDir(getenv), URL: strings.TrimSpace(getenv("DATABASE_URL"))}
}

// DefaultAccountAt is the default account's settings read through getenv,
// for the accounts command: its name (LINKUP_ACCOUNT_NAME, else
// "default") and LINKUP_LOGIN_TOKEN; the error names a setting that is
// wrong, as LoadConfig would.
func DefaultAccountAt(getenv func(string) string) (name, loginToken string, err error) {
	r := reader{getenv: getenv}
	name, loginToken = r.name("LINKUP_ACCOUNT_NAME", "default"), r.get("LINKUP_LOGIN_TOKEN")
	if len(r.errs) > 0 {
		return "", "", r.errs
	}
	return name, loginToken, nil
}

// DataDir is where the send log lives: DATA_DIR, or ./data.
func DataDir(getenv func(string) string) string {
	if d := strings.TrimSpace(getenv("DATA_DIR")); d != "" {
		return d
	}
	return "data"
}

// LoadConfig reads the configuration through getenv and checks every
// setting; the problems, if any, come together as ConfigErrors, each
// naming its variable. No problem quotes a value: values may be secrets.
// It reads every setting whatever the others are: Settings relies on it.
func LoadConfig(getenv func(string) string) (Config, error) {
	r := reader{getenv: getenv}
	c := Config{
		SlackAppToken:     r.token("SLACK_APP_TOKEN", "xapp-"),
		SlackBotToken:     r.token("SLACK_BOT_TOKEN", "xoxb-"),
		SlackAPIURL:       r.url("SLACK_API_URL", "https://slack.com/api/"),
		LinkupAPIKey:      r.linkupKey(),
		LinkupLoginToken:  r.get("LINKUP_LOGIN_TOKEN"),
		AccountsKey:       r.accountsKey(),
		SelfService:       r.boolean("ACCOUNT_SELF_SERVICE"),
		LinkupAccountName: r.name("LINKUP_ACCOUNT_NAME", "default"),
		LinkupBaseURL:     r.url("LINKUP_BASE_URL", linkup.DefaultBaseURL),
		LinkupCountry:     r.country("LINKUP_COUNTRY", "FR"),
		LinkupTimeout:     r.duration("LINKUP_TIMEOUT", 60*time.Second),
		LinkupDryRun:      r.boolean("LINKUP_DRY_RUN"),
		LinkupAPIVersion:  r.oneOf("LINKUP_API_VERSION", linkup.V1, linkup.V1, linkup.V2),
		NotifyChannel:     r.channel("NOTIFY_CHANNEL"),
		MaxMessageLen:     r.positive("MAX_MESSAGE_LENGTH", 8000),
		MaxMediaBytes:     int64(r.positive("MAX_MEDIA_BYTES", 20<<20)),
		SendConcurrency:   r.positive("SEND_CONCURRENCY", 4),
		LinkupPerMinute:   r.whole("LINKUP_RATE_PER_MINUTE", 300),
		ShutdownTimeout:   r.duration("SHUTDOWN_TIMEOUT", 30*time.Second),
		DataDir:           DataDir(getenv),
		DatabaseURL:       r.databaseURL("DATABASE_URL"),
		Lease:             r.duration("LEASE_DURATION", store.DefaultLease),
		AllowedUsers:      r.users("ALLOWED_USERS"),
		DailySendLimit:    r.whole("DAILY_SEND_LIMIT", 100),
		InvitesPerWeek:    r.whole("INVITES_PER_WEEK", 100),
		InviteWaitDays:    r.positive("INVITE_WAIT_DAYS", 21),
		InboxChannel:      r.channel("INBOX_CHANNEL"),
		ReadCreditsPerDay: r.whole("READ_CREDITS_PER_DAY", 200),
		ReplyPollInterval: r.duration("REPLY_POLL_INTERVAL", 5*time.Minute),
		ReplyPollMax:      r.duration("REPLY_POLL_MAX", 30*time.Minute),
		ReplySafetyPoll:   r.duration("REPLY_SAFETY_POLL", 24*time.Hour),
		ReplyWatchDays:    r.positive("REPLY_WATCH_DAYS", 30),
		UnknownCheckAfter: r.duration("UNKNOWN_CHECK_AFTER", 2*time.Minute),
		LinkupStreamIdle:  r.duration("LINKUP_STREAM_IDLE", linkup.DefaultStreamIdle),
		LogLevel:          r.oneOf("LOG_LEVEL", "info", "trace", "debug", "info", "warn", "error"),
		LogFormat:         r.oneOf("LOG_FORMAT", "", "json", "console"),
		CPUProfile:        r.get("CPU_PROFILE"),
		MetricsAddr:       r.listenAddr("METRICS_ADDR"),
	}
	r.campaigns(&c)
	c.LinkupBaseURL = strings.TrimSuffix(strings.TrimSuffix(strings.TrimRight(c.LinkupBaseURL, "/"), "/v1"), "/v2") // the client adds /v1/… or /v2/…
	if c.ReplyPollInterval > 0 && c.ReplyPollInterval < time.Second {
		r.fail("REPLY_POLL_INTERVAL", "must be at least 1s (each poll costs a credit)")
	}
	if c.SelfService && c.AccountsKey == "" {
		// Checked before anyone logs in: a login spends credits, and its
		// session could not be stored.
		r.fail("ACCOUNTS_KEY", "is required with ACCOUNT_SELF_SERVICE=true: a connected account's session is stored only encrypted (generate a key with `linkedin-bot doctor --new-key`)")
	}
	if c.Lease < store.MinLease || c.Lease > store.MaxLease {
		r.fail("LEASE_DURATION", "must be from %s to %s: another bot takes a stopped one's work once its lease ends", store.MinLease, store.MaxLease)
	}
	if c.LinkupStreamIdle > 0 && c.LinkupStreamIdle < time.Second {
		r.fail("LINKUP_STREAM_IDLE", "must be at least 1s (Linkup sends a keepalive every 30s)")
	}
	if c.ReplyPollMax < c.ReplyPollInterval {
		r.fail("REPLY_POLL_MAX", "must be at least REPLY_POLL_INTERVAL")
	}
	if c.ReplySafetyPoll < c.ReplyPollMax && r.get("REPLY_SAFETY_POLL") == "" {
		c.ReplySafetyPoll = c.ReplyPollMax // the default is a day, or the slowest poll when slower
	} else if c.ReplySafetyPoll < c.ReplyPollMax {
		r.fail("REPLY_SAFETY_POLL", "must be at least REPLY_POLL_MAX (it is the slower poll of an account whose replies come live)")
	}
	if len(r.errs) > 0 {
		return Config{}, r.errs
	}
	if !strings.HasSuffix(c.SlackAPIURL, "/") {
		c.SlackAPIURL += "/" // slack-go joins method names straight onto it
	}
	return c, nil
}

// MetricsAddrAt is METRICS_ADDR read through getenv as LoadConfig reads
// it, for the health command, which needs no other setting.
func MetricsAddrAt(getenv func(string) string) (string, error) {
	r := reader{getenv: getenv}
	v := r.listenAddr("METRICS_ADDR")
	if len(r.errs) > 0 {
		return "", r.errs
	}
	return v, nil
}

// listenAddr reads a host:port to listen on (":9090", "127.0.0.1:9090");
// empty is none.
func (r *reader) listenAddr(name string) string {
	v := r.get(name)
	if v == "" {
		return ""
	}
	_, port, err := net.SplitHostPort(v)
	n, perr := strconv.Atoi(port)
	if err != nil || perr != nil || n < 1 || n > 65535 {
		r.fail(name, "must be host:port to listen on, such as :9090 (every interface) or 127.0.0.1:9090 (this machine only)")
		return ""
	}
	return v
}

// databaseURL reads a PostgreSQL URL; empty keeps the embedded store.
func (r *reader) databaseURL(name string) string {
	v := r.get(name)
	if v == "" {
		return ""
	}
	if !strings.HasPrefix(v, "postgres://") && !strings.HasPrefix(v, "postgresql://") {
		r.fail(name, "must be a PostgreSQL URL, postgres://user:password@host:5432/database (leave it empty for the embedded store in DATA_DIR)")
		return ""
	}
	return v
}

// reader reads settings and keeps every problem.
type reader struct {
	getenv func(string) string
	errs   ConfigErrors
}

// get reads a setting, trimmed. A value in quotes ("…" or '…') is refused,
// saying which quotes to remove: docker run --env-file, and other readers
// of env files than the bot's own, keep them as part of the value, which
// then reads as a wrong token.
func (r *reader) get(name string) string {
	v := strings.TrimSpace(r.getenv(name))
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		quotes := map[byte]string{'"': "double", '\'': "single"}[v[0]]
		r.fail(name, "its value is in %s quotes, which were kept as part of it: remove the quotes around the value (docker run --env-file, unlike the bot's own reading of .env, keeps them)", quotes)
		return v[1 : len(v)-1]
	}
	return v
}

func (r *reader) fail(name, format string, args ...any) {
	for _, e := range r.errs {
		if e.Var == name {
			return // one problem per setting
		}
	}
	r.errs = append(r.errs, &ConfigError{Var: name, Reason: fmt.Sprintf(format, args...)})
}

func (r *reader) required(name, how string) string {
	v := r.get(name)
	if v == "" {
		r.fail(name, "is required: %s", how)
	}
	return v
}

// tokenHelp says what each token is and where to find it.
var tokenHelp = map[string]string{
	"SLACK_APP_TOKEN": "the app-level token (xapp-…) from api.slack.com/apps → your app → Basic Information → App-Level Tokens (scope connections:write)",
	"SLACK_BOT_TOKEN": "the Bot User OAuth Token (xoxb-…) from api.slack.com/apps → your app → OAuth & Permissions, after installing the app",
}

func (r *reader) token(name, prefix string) string {
	v := r.get(name)
	switch {
	case v == "":
		r.fail(name, "is required: paste %s", tokenHelp[name])
	case v == prefix:
		r.fail(name, "is still the placeholder from .env.example: paste %s", tokenHelp[name])
	case !strings.HasPrefix(v, prefix):
		r.fail(name, "must start with %q: paste %s", prefix, tokenHelp[name])
	}
	return v
}

// url reads the root URL of an API the bot sends a secret to (a token, an
// API key): https, or plain http only to this machine (127.0.0.0/8, ::1,
// localhost), where nothing crosses a network (the tests' fakes, a local
// proxy).
func (r *reader) url(name, def string) string {
	v := r.get(name)
	if v == "" {
		return def
	}
	u, err := url.Parse(v)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		r.fail(name, "must be an http(s) URL")
	case u.Scheme == "http" && !loopback(u.Hostname()):
		r.fail(name, "must use https: plain http would send the bot's tokens and keys unencrypted (http is allowed only to this machine: 127.0.0.1, ::1, localhost)")
	}
	return v
}

// URLSetting reads setting name through getenv as LoadConfig does: the
// root URL of an API the program sends a secret to, https, or plain http
// only to this machine; def when it is unset. For the commands that call
// an API without loading the whole configuration (accounts connect).
func URLSetting(getenv func(string) string, name, def string) (string, error) {
	r := reader{getenv: getenv}
	v := r.url(name, def)
	if len(r.errs) > 0 {
		return "", r.errs
	}
	return v, nil
}

// loopback reports whether host names this machine: an address of
// 127.0.0.0/8 or ::1, or localhost.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (r *reader) country(name, def string) string {
	v := r.get(name)
	if v == "" {
		return def
	}
	c, err := linkup.Country(v)
	if err != nil {
		r.fail(name, "is not a country Linkup knows: use one of %s", strings.Join(linkup.Countries, ", "))
	}
	return c
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := r.get(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, "must be a positive duration such as 30s or 2m")
	}
	return d
}

func (r *reader) positive(name string, def int) int {
	v := r.get(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		r.fail(name, "must be a positive whole number")
	}
	return n
}

func (r *reader) whole(name string, def int) int {
	v := r.get(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		r.fail(name, "must be a whole number (0 for none)")
	}
	return n
}

func (r *reader) boolean(name string) bool {
	b, ok := parseBool(r.get(name))
	if !ok {
		r.fail(name, "must be true or false")
	}
	return b
}

// parseBool reads a boolean setting; ok is false when v is none.
func parseBool(v string) (b, ok bool) {
	switch strings.ToLower(v) {
	case "", "false", "0", "no", "off":
		return false, true
	case "true", "1", "yes", "on":
		return true, true
	}
	return false, false
}

// accountsKey reads ACCOUNTS_KEY: optional, and well-formed when set.
func (r *reader) accountsKey() string {
	v := r.get("ACCOUNTS_KEY")
	if v != "" {
		if err := account.CheckKey(v); err != nil {
			r.fail("ACCOUNTS_KEY", "%v", err)
		}
	}
	return v
}

// linkupKey reads LINKUP_API_KEY: required, but for a dry run
// (LINKUP_DRY_RUN), which never calls Linkup.
func (r *reader) linkupKey() string {
	if dry, _ := parseBool(r.get("LINKUP_DRY_RUN")); dry {
		return r.get("LINKUP_API_KEY")
	}
	return r.required("LINKUP_API_KEY", "create a key in the Linkup dashboard (linkupapi.com) and paste it (or try the bot first with LINKUP_DRY_RUN=true, which needs none)")
}

func (r *reader) users(name string) map[string]bool {
	users := map[string]bool{}
	for i, u := range strings.Split(r.get(name), ",") {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		if !userID.MatchString(u) {
			r.fail(name, "item %d is not a Slack user ID such as U0123456789 (in Slack: profile, ⋮, Copy member ID)", i+1)
		}
		users[u] = true
	}
	return users
}

func (r *reader) channel(name string) string {
	v := r.get(name)
	if v != "" && !channelID.MatchString(v) {
		r.fail(name, "must be a channel ID such as C0123456789 (in Slack: channel details, bottom of the About tab)")
	}
	return v
}

var accountName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

func (r *reader) name(name, def string) string {
	v := r.get(name)
	if v == "" {
		return def
	}
	if !accountName.MatchString(v) {
		r.fail(name, "must be a short name (letters, digits, '.', '_', '@' or '-', at most 64)")
	}
	return v
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(r.get(name))
	if v == "" {
		return def
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail(name, "must be one of %s", strings.Join(allowed, ", "))
	return def
}

// BridgeConfig is the reply bridge's part of c (its Pacer and Settled are
// the caller's to set).
func BridgeConfig(c Config) conversation.Config {
	return conversation.Config{
		InboxChannel:  c.InboxChannel,
		NotifyChannel: c.NotifyChannel,
		CreditsPerDay: c.ReadCreditsPerDay,
		PollInterval:  c.ReplyPollInterval,
		PollMax:       c.ReplyPollMax,
		SafetyPoll:    c.ReplySafetyPoll,
		WatchFor:      time.Duration(c.ReplyWatchDays) * 24 * time.Hour,
		CheckAfter:    c.UnknownCheckAfter,
		DryRun:        c.LinkupDryRun,
		Account:       c.LinkupAccountName,
		StreamIdle:    c.LinkupStreamIdle,
		Live:          c.LinkupAPIVersion == linkup.V2,
	}
}

// AccountsKeyOld is the setting `linkedin-bot accounts rekey` reads the old
// key from; the bot itself does not read it.
const AccountsKeyOld = "ACCOUNTS_KEY_OLD"

// Settings are the names of every setting: the ones LoadConfig reads (it
// is the list), and AccountsKeyOld.
func Settings() []string {
	var names []string
	seen := map[string]bool{}
	_, _ = LoadConfig(func(k string) string {
		if !seen[k] {
			seen[k] = true
			names = append(names, k)
		}
		return ""
	})
	return append(names, AccountsKeyOld)
}

// Where an unknown setting was found.
const (
	WhereDotEnv      = ".env"
	WhereEnvironment = "the environment"
)

// Unknown is a name that looks like a setting and is none.
type Unknown struct {
	Name  string // as it was written
	Where string // where it was found: WhereDotEnv or WhereEnvironment
	Mean  string // the setting it most likely means, or empty
}

func (u Unknown) String() string {
	s := fmt.Sprintf("%s (in %s) is not a setting of linkedin-bot, so it is ignored", u.Name, u.Where)
	if u.Mean != "" {
		return s + ": did you mean " + u.Mean + "?"
	}
	return s + " (.env.example lists every setting)"
}

// UnknownSettings returns the names among names (found in where) that
// look like settings and are none: those that start like a setting (its
// first word and underscore: SLACK_, LINKUP_, REPLY_, ACCOUNTS_, …) and
// those a typo or two away from one (LINKUPDRY_RUN), each with the setting
// it most likely means. Only names are read: no value is ever needed.
func UnknownSettings(names []string, where string) []Unknown {
	known := Settings()
	isKnown := map[string]bool{}
	prefixes := map[string]bool{}
	for _, k := range known {
		isKnown[k] = true
		if first, _, ok := strings.Cut(k, "_"); ok {
			prefixes[first+"_"] = true
		}
	}
	var out []Unknown
	for _, n := range names {
		if n == "" || isKnown[n] {
			continue
		}
		upper := strings.ToUpper(n)
		prefixed := false
		for p := range prefixes {
			prefixed = prefixed || strings.HasPrefix(upper, p)
		}
		mean, near := suggest.Closest(n, known)
		if !prefixed && suggest.Distance(upper, mean) > 2 {
			continue // another program's variable (PATH, HOME, …)
		}
		if !near {
			mean = ""
		}
		out = append(out, Unknown{Name: n, Where: where, Mean: mean})
	}
	return out
}

// campaigns reads the campaign settings into c.
func (r *reader) campaigns(c *Config) {
	c.CampaignGapMin = r.duration("CAMPAIGN_GAP_MIN", 90*time.Second)
	c.CampaignGapMax = r.duration("CAMPAIGN_GAP_MAX", 300*time.Second)
	c.CampaignMaxRows = r.positive("CAMPAIGN_MAX_ROWS", 200)
	c.CampaignRecontactDays = r.whole("CAMPAIGN_RECONTACT_DAYS", 30)
	hours := r.get("CAMPAIGN_HOURS")
	if hours == "" {
		hours = "Mon-Fri 09:00-18:00"
	}
	h, err := campaign.ParseHours(hours)
	if err != nil {
		r.fail("CAMPAIGN_HOURS", "%s", err)
	}
	c.CampaignHours = h
	if c.CampaignGapMin < time.Second {
		r.fail("CAMPAIGN_GAP_MIN", "must be at least 1s")
	}
	if c.CampaignGapMax < c.CampaignGapMin {
		r.fail("CAMPAIGN_GAP_MAX", "must be at least CAMPAIGN_GAP_MIN")
	}
}
