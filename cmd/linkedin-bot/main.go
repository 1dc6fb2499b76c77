// Command linkedin-bot is a Slack app in Socket Mode that sends LinkedIn
// direct messages through the Linkup API.
//
//	linkedin-bot demo      see it work with nothing set up (fakes in the process)
//	linkedin-bot           run the bot (reads .env, then the environment)
//	linkedin-bot doctor    check the configuration, Slack and Linkup, and exit
//	linkedin-bot history   print the send log
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/joho/godotenv"
	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"golang.org/x/term"

	"linkedin-bot/account"
	"linkedin-bot/bot"
	"linkedin-bot/conversation"
	"linkedin-bot/handlers"
	"linkedin-bot/internal/suggest"
	"linkedin-bot/invite"
	"linkedin-bot/linkup"
	"linkedin-bot/metrics"
	"linkedin-bot/send"
	"linkedin-bot/slackpost"
	"linkedin-bot/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr, withEnviron(os.Environ)); err != nil {
		fmt.Fprintln(os.Stderr, "linkedin-bot:", err)
		os.Exit(1)
	}
}

const usage = `usage: linkedin-bot [demo | doctor | history [flags] | accounts … | health | version]

  demo          see it work first, with nothing set up: the bot against a fake
                Slack and a fake LinkedIn in this process; prints the thread
  (no command)  run the bot until SIGINT, SIGTERM or SIGHUP (sends under way finish)
  doctor        check the configuration, the Slack tokens, Linkup and DATA_DIR, then exit
  history       print the send log and the credits used (history -h for flags)
  accounts      list, connect, assign or remove LinkedIn accounts (accounts -h)
  health        exit 0 when the running bot's /readyz at METRICS_ADDR answers 200
  version       print the version, commit and build date

Settings come from the environment and from .env in the working folder: a
variable set and not empty in the environment wins; an empty one counts as
unset. .env.example documents each one.
`

const doctorUsage = `usage: linkedin-bot doctor [--new-key]

Checks, without sending anything: every setting, the Slack bot token and its
scopes (auth.test), the app token (a Socket Mode connection opened once and
closed), Linkup (reachable, and not refusing the API key), and that DATA_DIR
is writable and not in use by a running bot. Exits 1 if a check fails, with
the fix for each. With --new-key it only prints a fresh ACCOUNTS_KEY.
`

// runOption gives run more of the process than its arguments.
type runOption func(*process)

// process is what the options give run.
type process struct {
	environ func() []string // the environment's NAME=value pairs, for their names
}

// withEnviron lets run see the environment's names (os.Environ), to report
// those that look like settings and are none; without it, only .env's are.
func withEnviron(environ func() []string) runOption {
	return func(p *process) { p.environ = environ }
}

// run is the whole program; main only gives it the process's context, args,
// environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, opts ...runOption) error {
	var proc process
	for _, o := range opts {
		o(&proc)
	}
	cmd := ""
	if len(args) > 1 {
		cmd = args[1]
	}
	switch cmd {
	case "", "history", "accounts", "health":
	case "doctor":
		if len(args) > 2 {
			if args[2] == "-h" || args[2] == "--help" || args[2] == "help" {
				fmt.Fprint(stdout, doctorUsage)
				return nil
			}
			if args[2] == "--new-key" {
				fmt.Fprintln(stdout, account.NewKey())
				return nil
			}
			fmt.Fprint(stderr, doctorUsage)
			return fmt.Errorf("doctor takes no arguments (got %q)", args[2])
		}
	case "demo":
		return demo(ctx, args[2:], stdout, stderr) // reads no setting: neither .env nor the environment
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, versionLine())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		// The error alone, which ends the output: the usage would bury it.
		if mean, ok := suggest.Closest(cmd, append(commandsIn(usage), "help")); ok {
			return fmt.Errorf("unknown command %q; did you mean %s? (linkedin-bot help lists the commands)", cmd, mean)
		}
		return fmt.Errorf("unknown command %q: linkedin-bot help lists the commands", cmd)
	}
	if cmd == "history" && wantsHelp(args[2:]) {
		return history(ctx, args[2:], store.Where{}, stdout, stderr)
	}

	getenv, source, dotEnvNames, err := withDotEnv(getenv, ".env")
	if err != nil {
		return err
	}
	if cmd == "history" {
		return history(ctx, args[2:], bot.LogAt(getenv), stdout, stderr)
	}
	if cmd == "accounts" {
		return accountsCmd(ctx, args[2:], getenv, os.Stdin, stdout, stderr)
	}
	if cmd == "health" {
		return health(ctx, getenv, stdout)
	}
	cfg, err := loadConfig(getenv, proc, dotEnvNames)
	if err != nil {
		return fmt.Errorf("configuration: %w\n(%s)", err, source)
	}
	if cmd == "doctor" {
		httpClient := newHTTPClient(30 * time.Second)
		fmt.Fprintln(stdout, "info "+source)
		return bot.Doctor(ctx, cfg, newSlack(cfg, httpClient), httpClient, stdout)
	}
	return runBot(ctx, cfg, source, stderr)
}

// runBot runs the bot with cfg, logging to stderr, until ctx ends; source
// says where the settings came from. The demo runs it too.
func runBot(ctx context.Context, cfg bot.Config, source string, stderr io.Writer) error {
	httpClient := newHTTPClient(30 * time.Second)
	log, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	log.Info().Str("version", versionLine()).Msg(source)
	if cfg.CPUProfile != "" {
		stop, err := startCPUProfile(cfg.CPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	m := newMetrics(cfg, log) // nil without METRICS_ADDR: nothing counted
	api := newSlack(cfg, &http.Client{Transport: m.SlackTransport(httpClient.Transport), Timeout: httpClient.Timeout})
	return serve(ctx, cfg, api, httpClient, m, log)
}

// newMetrics is the bot's metrics when METRICS_ADDR is set, else nil.
func newMetrics(cfg bot.Config, log zerolog.Logger) *metrics.Metrics {
	if cfg.MetricsAddr == "" {
		return nil
	}
	return metrics.New(metrics.Config{
		ReadCreditsPerDay: cfg.ReadCreditsPerDay,
		DailySendLimit:    cfg.DailySendLimit,
		Jobs:              []string{store.BridgeJob},
		BridgeJob:         store.BridgeJob,
		Log:               log,
	})
}

// newSlack is the Slack Web API client of cfg.
func newSlack(cfg bot.Config, httpClient *http.Client) *slack.Client {
	return slack.New(cfg.SlackBotToken,
		slack.OptionAPIURL(cfg.SlackAPIURL),
		slack.OptionAppLevelToken(cfg.SlackAppToken),
		slack.OptionHTTPClient(httpClient),
	)
}

// loadConfig is bot.LoadConfig, with the names of .env and of the
// environment that look like settings and are none.
func loadConfig(getenv func(string) string, proc process, dotEnvNames []string) (bot.Config, error) {
	cfg, err := bot.LoadConfig(getenv)
	if err != nil {
		return cfg, err
	}
	if proc.environ != nil {
		var names []string
		for _, kv := range proc.environ() {
			if k, _, _ := strings.Cut(kv, "="); k != "" {
				names = append(names, k)
			}
		}
		cfg.Unknown = bot.UnknownSettings(names, bot.WhereEnvironment)
	}
	cfg.Unknown = append(cfg.Unknown, bot.UnknownSettings(dotEnvNames, bot.WhereDotEnv)...)
	return cfg, nil
}

// wantsHelp reports whether args ask for help.
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			return true
		}
	}
	return false
}

// What a build without VCS information (the Docker image: .git is not in
// its context) stamps with -ldflags "-X main.stampVersion=… -X
// main.stampCommit=… -X main.stampDate=…"; empty otherwise.
var stampVersion, stampCommit, stampDate string

// versionLine is the build's version, commit and date: those stamped at
// build time where set, else from the Go build information (a module
// version with `go install …@v1.2.3`, the commit and its date with a build
// from a git checkout).
func versionLine() string { return versionOf(stampVersion, stampCommit, stampDate) }

func versionOf(stampedVersion, stampedCommit, stampedDate string) string {
	version, commit, date, dirty := "(devel)", "unknown", "unknown", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				date = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if stampedVersion != "" {
		version = stampedVersion
	}
	if stampedCommit != "" {
		commit, dirty = stampedCommit, false
	}
	if stampedDate != "" {
		date = stampedDate
	}
	if commit == "unknown" {
		return fmt.Sprintf("linkedin-bot %s, %s (commit and date not recorded: build with go build -buildvcs=true in a git checkout, or stamp them as the Dockerfile does)", version, runtime.Version())
	}
	if dirty {
		commit += " with uncommitted changes"
	}
	return fmt.Sprintf("linkedin-bot %s, commit %s of %s, %s", version, commit, date, runtime.Version())
}

// serve runs the bot until ctx ends, then drains the sends in flight.
func serve(ctx context.Context, cfg bot.Config, api *slack.Client, httpClient *http.Client, m *metrics.Metrics, log zerolog.Logger) error {
	for _, u := range cfg.Unknown {
		log.Warn().Str("setting", u.Name).Str("in", u.Where).Str("did_you_mean", u.Mean).Msg(u.String() + " (linkedin-bot doctor fails it)")
	}
	if m != nil {
		// Bound first: a port taken stops the bot before it does anything.
		ln, err := metrics.Listen(cfg.MetricsAddr)
		if err != nil {
			return err
		}
		mctx, stopMetrics := context.WithCancel(context.WithoutCancel(ctx))
		served := make(chan struct{})
		go func() { defer close(served); m.Serve(mctx, ln) }()
		defer func() { stopMetrics(); <-served }()
		log.Info().Str("METRICS_ADDR", ln.Addr().String()).Msg("serving " + metrics.MetricsPath + ", " + metrics.HealthPath + " and " + metrics.ReadyPath)
	}
	// A bot that cannot post could send LinkedIn messages and tell no one:
	// a bot token Slack refuses stops it here. Other failures (Slack
	// unreachable) are left to the Socket Mode client's reconnects.
	if auth, err := api.AuthTestContext(ctx); err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) {
			return fmt.Errorf("configuration: SLACK_BOT_TOKEN: Slack refused it (%s)", se.Err)
		}
		log.Warn().Err(err).Msg("auth.test failed; starting anyway")
	} else {
		log.Info().Str("team", auth.Team).Str("bot_user", auth.User).Msg("bot token accepted")
	}

	unlock, err := store.LockAt(ctx, cfg.Log())
	if err != nil {
		return fmt.Errorf("%s: %w%s", cfg.Log(), err, permissionHint(err))
	}
	defer unlock()
	st, err := store.OpenAt(ctx, cfg.Log())
	if err != nil {
		return fmt.Errorf("%s: send log: %w%s", cfg.Log(), err, permissionHint(err))
	}
	defer st.Close()
	if err := st.SetLease(cfg.Lease); err != nil {
		return fmt.Errorf("configuration: LEASE_DURATION: %w", err)
	}
	lk := linkup.New(linkup.Config{
		BaseURL:    cfg.LinkupBaseURL,
		APIKey:     cfg.LinkupAPIKey,
		LoginToken: cfg.LinkupLoginToken,
		Timeout:    cfg.LinkupTimeout,
		HTTPClient: linkupHTTP(m),
		Version:    cfg.LinkupAPIVersion,
	})
	acfg := account.Config{Key: cfg.AccountsKey, DefaultName: cfg.LinkupAccountName,
		DefaultToken: cfg.LinkupLoginToken, DefaultCountry: cfg.LinkupCountry, DryRun: cfg.LinkupDryRun, Team: cfg.NotifyChannel,
		V2: cfg.LinkupAPIVersion == linkup.V2}
	if cfg.LinkupAPIVersion == linkup.V2 && !cfg.LinkupDryRun {
		acfg.Linkup = lk
	}
	accounts, err := account.New(ctx, st, acfg)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if err := accounts.Clash(ctx); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if _, ok, err := accounts.Default(ctx); err != nil {
		return fmt.Errorf("reading the accounts: %w", err)
	} else if !ok {
		log.Warn().Msg("there is no default account (LINKUP_LOGIN_TOKEN is empty, and none is connected as the default), so only people with an account of their own or a shared one can send; connect one with: linkedin-bot accounts connect --name " + slackpost.ShellQuote(cfg.LinkupAccountName))
	}

	var sender send.Linkup = lk
	if cfg.LinkupDryRun {
		sender = linkup.DryRun{}
		log.Warn().Msg("DRY RUN (LINKUP_DRY_RUN): everything runs against Slack except the Linkup call; nothing is sent, nothing is spent, every message says so")
	}
	// A download streams into the Linkup call: it stops when its headers or
	// its next bytes are late, and it never outlasts the call by more than 5 s.
	stall := min(cfg.LinkupTimeout, 15*time.Second)
	files := send.NewSlackFiles(cfg.SlackBotToken, cfg.SlackAPIURL, newHTTPClient(0), stall)
	pacer := linkup.NewPacer(cfg.LinkupPerMinute)       // one allowance for sends and reads
	home := handlers.NewHome(st, api, time.Second, log) // Home tabs, republished at most once a second each
	// response_urls are kept sealed (in the log, in forms' private_metadata)
	// under a key derived from the bot token, which every replica has.
	sealer := slackpost.NewSealer(cfg.SlackBotToken)
	pipe := send.New(send.Config{
		Sealer:          sealer,
		Workers:         cfg.SendConcurrency,
		Account:         cfg.LinkupAccountName,
		DailyLimit:      cfg.DailySendLimit,
		Pacer:           pacer,
		NotifyChannel:   cfg.NotifyChannel,
		HTTPClient:      httpClient,
		Files:           files,
		DownloadTimeout: cfg.LinkupTimeout + 5*time.Second,
		DryRun:          cfg.LinkupDryRun,
		LinkupVersion:   cfg.LinkupAPIVersion,
		Sessions:        sessions{accounts},
		SelfService:     cfg.SelfService,
		Changed:         home.Changed,
		Finished:        func(state string, sd store.Send) { m.Finished(state, sd.Account, sd.Credits) },
	}, st, sender, api, log)
	var logins handlers.Logins // self-service: people connect their own account from Slack
	switch {
	case cfg.SelfService && cfg.LinkupDryRun:
		log.Warn().Msg("ACCOUNT_SELF_SERVICE is off during a dry run: connecting an account calls Linkup")
	case cfg.SelfService:
		// Logins go through LINKUP_API_VERSION's endpoints: v1's give a
		// login token; v2's the account's persistent account_id, after a
		// code or an approval in the LinkedIn app when LinkedIn asks.
		logins = linkup.New(linkup.Config{BaseURL: cfg.LinkupBaseURL, APIKey: cfg.LinkupAPIKey, Timeout: cfg.LinkupTimeout, HTTPClient: linkupHTTP(m), Version: cfg.LinkupAPIVersion})
		log.Info().Msg("ACCOUNT_SELF_SERVICE: people may connect their own LinkedIn account with /linkedin-send connect (their password passes through Slack and the bot to Linkup, once, and is never stored)")
	}
	bcfg := bot.BridgeConfig(cfg)
	bcfg.Pacer, bcfg.Settled, bcfg.Sessions, bcfg.Reconnect, bcfg.Changed = pacer, pipe.Redeliver, sessions{accounts}, pipe.Reconnect, home.Changed
	if m != nil {
		bcfg.ReadCredits, bcfg.Mirrored = m.ReadCredits, m.Mirrored
	}
	if bcfg.Live {
		bcfg.Webhooks = lk // live replies: hosted webhooks and their event streams
	}
	inviter := invite.New(invite.Config{
		WeekLimit:    cfg.InvitesPerWeek,
		Wait:         time.Duration(cfg.InviteWaitDays) * 24 * time.Hour,
		Live:         bcfg.Live && bcfg.CreditsPerDay > 0, // acceptances come on the webhooks the bridge holds
		CheckCredits: cfg.ReadCreditsPerDay,
		Country:      cfg.LinkupCountry,
		DryRun:       cfg.LinkupDryRun,
		Tick:         min(max(cfg.ReplyPollInterval/4, time.Second), time.Minute),
		Changed:      home.Changed,
		Credits: func(kind, account string, n int) {
			if kind == "check" {
				m.Credits(metrics.CreditsRead, account, n) // the checks share the read budget
			} else {
				m.Credits(metrics.CreditsInvite, account, n)
			}
		},
	}, st, lk, sessions{accounts}, pipe, api, log)
	bcfg.Invitations = inviter
	bridge := conversation.New(bcfg, st, lk, api, log)
	campaigns := newCampaigns(cfg, st, pipe, api, accounts, home, log)
	h := handlers.New(handlers.Config{
		Campaigns:      campaigns,
		MaxMessageLen:  cfg.MaxMessageLen,
		Country:        cfg.LinkupCountry,
		AllowedUsers:   cfg.AllowedUsers,
		MaxMediaBytes:  cfg.MaxMediaBytes,
		Accounts:       accounts,
		DefaultAccount: cfg.LinkupAccountName,
		Logins:         logins,
		DailyLimit:     cfg.DailySendLimit,
		Home:           home,
		Once:           st,
		Sealer:         sealer,
		Inviter:        inviter,
	}, slackAPI{api, files}, pipe, bridge, httpClient)
	b := bot.New(socketmode.New(api), h, httpClient, log)
	if m != nil {
		b.Observe(m)
		m.Attach(metrics.Source{
			Ready: func(ctx context.Context) error {
				if !b.Connected() {
					return errors.New("no Slack connection (Socket Mode)")
				}
				if err := st.Ping(ctx); err != nil {
					log.Warn().Err(err).Msg("readiness: the send log did not answer")
					return errors.New("the send log does not answer (the bot's log says why)")
				}
				return nil
			},
			State: func(ctx context.Context) (metrics.State, error) { return figures(ctx, st) },
			Operator: func(ctx context.Context, name string) (bool, error) {
				return operatorAccount(ctx, st, cfg.LinkupAccountName, name)
			},
		})
	}

	if len(cfg.AllowedUsers) == 0 {
		log.Warn().Msg("ALLOWED_USERS is empty: everyone in the workspace may send LinkedIn messages")
	}
	if cfg.NotifyChannel == "" {
		log.Info().Msg("NOTIFY_CHANNEL is not set: no team notifications")
	}
	if cfg.ReplyPollInterval < time.Minute && cfg.ReadCreditsPerDay > 0 {
		log.Warn().Stringer("interval", cfg.ReplyPollInterval).Msg("REPLY_POLL_INTERVAL is under 1m: each poll costs at least 1 read credit")
	}
	if err := pipe.Start(ctx); err != nil {
		return fmt.Errorf("starting the send pipeline: %w", err)
	}
	if err := inviter.Start(ctx); err != nil {
		return fmt.Errorf("starting the invitations: %w", err)
	}
	if err := bridge.Start(ctx); err != nil {
		return fmt.Errorf("starting the reply bridge: %w", err)
	}
	if err := home.Start(ctx); err != nil {
		return fmt.Errorf("starting the Home tabs: %w", err)
	}
	defer home.Close()
	campaigns.Start()
	log.Info().Str("LINKUP_API_VERSION", cfg.LinkupAPIVersion).Str("LINKUP_COUNTRY", cfg.LinkupCountry).Int("SEND_CONCURRENCY", cfg.SendConcurrency).Int("DAILY_SEND_LIMIT", cfg.DailySendLimit).
		Stringer("log", cfg.Log()).Msg("linkedin-bot starting")
	log.Info().Msg("reply bridge: " + bcfg.Summary())
	runErr := b.Run(ctx)
	bridge.Close()
	inviter.Close()
	campaigns.Close()

	log.Info().Stringer("timeout", cfg.ShutdownTimeout).Msg("stopped taking requests; finishing sends in flight, leaving queued ones for the next start")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := pipe.Close(sctx); err != nil {
		log.Warn().Err(err).Msg("shutdown timeout: sends still waiting on Linkup were cut off and are reported as unknown")
	}
	// What the log made durable, counted (cmd/loadtest checks it per send).
	d := st.Durability()
	log.Info().Int64("accept_groups", d.Groups).Int64("log_fsyncs", d.Fsyncs).Msg("linkedin-bot stopped")
	return runErr
}

// linkupHTTP is the HTTP client of Linkup calls, timed by m.
func linkupHTTP(m *metrics.Metrics) *http.Client {
	c := newHTTPClient(0)
	c.Transport = m.LinkupTransport(c.Transport)
	return c
}

// figures are the send log's figures for the metrics.
func figures(ctx context.Context, st *store.Store) (metrics.State, error) {
	f, err := st.Figures(ctx)
	return metrics.State{Queued: f.Queued, OldestQueued: f.OldestQueued, ReadCreditsSpent: f.ReadCredits,
		Accounts: f.Accounts, Jobs: f.Jobs, Webhooks: f.Webhooks}, err
}

// operatorAccount reports whether account name is one an operator
// configured (the default, a shared one, one assigned with accounts
// connect): not a person's own, whose name may be theirs, nor one the log
// does not hold.
func operatorAccount(ctx context.Context, st *store.Store, defaultName, name string) (bool, error) {
	a, err := st.Account(ctx, name)
	if errors.Is(err, store.ErrNoAccount) {
		return name == defaultName, nil // the default account of LINKUP_LOGIN_TOKEN is not stored
	}
	return err == nil && a.Owner == "", err
}

// sessions gives the send pipeline and the reply bridge each account's session.
type sessions struct{ *account.Service }

func (s sessions) Session(ctx context.Context, name string) (linkup.Session, error) {
	sess, err := s.Service.Session(ctx, name)
	return linkup.Session{LoginToken: sess.Token, AccountID: sess.AccountID, Country: sess.Country}, err
}

// Readers are the accounts the reply bridge reads: every usable one; the
// inbox channel gets the new conversations of all but people's own.
func (s sessions) Readers(ctx context.Context) ([]conversation.Reader, error) {
	cs, err := s.Usable(ctx)
	out := make([]conversation.Reader, len(cs))
	for i, c := range cs {
		out[i] = conversation.Reader{Name: c.Name, Inbox: c.Kind != "own"}
	}
	return out, err
}

// slackAPI is the Web API the handlers call: slack-go's client, with
// files.info answered raw, for lenient decoding.
type slackAPI struct {
	*slack.Client
	files *send.SlackFiles
}

func (s slackAPI) FileInfo(ctx context.Context, id string) ([]byte, error) {
	return s.files.Info(ctx, id)
}

// permissionHint names the user the bot runs as when the data folder
// refused it, as in a container whose volume belongs to another uid.
func permissionHint(err error) string {
	if !errors.Is(err, fs.ErrPermission) {
		return ""
	}
	return fmt.Sprintf(" (this process runs as uid %d, gid %d: give it the folder, e.g. chown -R %d:%d on the volume)", os.Getuid(), os.Getgid(), os.Getuid(), os.Getgid())
}

// isTerminal reports whether w is a terminal (not merely a character
// device, such as /dev/null).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// startCPUProfile writes a pprof CPU profile to path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("CPU_PROFILE: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("CPU_PROFILE: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}

// newHTTPClient returns a client that keeps enough idle connections per host
// for the send workers (Go's default keeps 2), so that a busy bot reuses
// connections to Slack and Linkup instead of opening new ones, and that
// never sends a POST twice by itself. A zero timeout leaves each call to
// its context.
func newHTTPClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	return &http.Client{Transport: noReplay{t}, Timeout: timeout}
}

// noReplay keeps net/http from replaying a POST whose body it could rewind
// (it does after an HTTP/2 stream reset or a broken reused connection):
// a Slack post or a Linkup call sent twice is a message shown twice.
type noReplay struct{ next http.RoundTripper }

func (t noReplay) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && r.GetBody != nil {
		r2 := *r
		r2.GetBody = nil
		r = &r2
	}
	return t.next.RoundTrip(r)
}

// withDotEnv returns a getenv that falls back to the file's values for
// settings the environment leaves unset or empty (an empty variable counts
// as unset), says which file was read, and returns the file's names. A
// missing file is not an error.
// A malformed line is reported by its number, never its text: it may hold
// a secret. A UTF-8 byte-order mark (Windows Notepad's) is accepted.
func withDotEnv(getenv func(string) string, path string) (func(string) string, string, []string, error) {
	abs, _ := filepath.Abs(path)
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return getenv, "no .env in " + filepath.Dir(abs) + ": settings come from the environment only (to start one: cp .env.example .env, then fill it in)", nil, nil
	}
	if err != nil {
		return nil, "", nil, fmt.Errorf("reading %s: %w", abs, err)
	}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	if err := checkDotEnv(raw); err != nil {
		return nil, "", nil, fmt.Errorf("reading %s: %w", abs, err)
	}
	file, err := godotenv.UnmarshalBytes(raw)
	if err != nil {
		return nil, "", nil, fmt.Errorf("reading %s: a value could not be read (check its quotes); no value is shown here, as it may be a secret", abs)
	}
	names := slices.Sorted(maps.Keys(file))
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return file[k]
	}, "settings from " + abs + " (the environment wins where it is set and not empty)", names, nil
}

var envLine = regexp.MustCompile(`^\s*(export\s+)?[A-Za-z_][A-Za-z0-9_.]*\s*[=:]`)

// checkDotEnv finds the first line that is not a NAME=value setting, a
// comment or blank, or the inside of a quoted value.
func checkDotEnv(raw []byte) error {
	var quote byte
	for i, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimRight(line, "\r")
		if quote != 0 {
			if strings.ContainsRune(line, rune(quote)) {
				quote = 0
			}
			continue
		}
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if !envLine.MatchString(line) {
			return fmt.Errorf("line %d is not a NAME=value setting (its text is not shown: it may hold a secret)", i+1)
		}
		_, v, _ := strings.Cut(line, "=")
		v = strings.TrimSpace(v)
		if len(v) > 0 && (v[0] == '"' || v[0] == '\'') && strings.Count(v, string(v[0])) == 1 {
			quote = v[0] // a quoted value over several lines
		}
	}
	if quote != 0 {
		return errors.New("a quoted value is never closed")
	}
	return nil
}

// newLogger logs to w at cfg's level, in cfg's format: by default the
// console's, for people, when w is a terminal, and JSON, for machines,
// when it is not.
func newLogger(cfg bot.Config, w io.Writer) (zerolog.Logger, error) {
	level, err := zerolog.ParseLevel(cfg.LogLevel)
	if err != nil {
		return zerolog.Logger{}, fmt.Errorf("configuration: LOG_LEVEL: %w", err)
	}
	if cfg.LogFormat == "console" || (cfg.LogFormat == "" && isTerminal(w)) {
		// Colours only on a terminal: escape codes in a file or a log collector are noise.
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339, NoColor: !isTerminal(w)}
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger(), nil
}

// commandLine is a command's line in a usage text: two spaces, its name.
var commandLine = regexp.MustCompile(`(?m)^  ([a-z][a-z-]*)\s`)

// commandsIn are the commands a usage text lists, one per line: the usage
// is the list of commands, for "did you mean".
func commandsIn(usage string) []string {
	var out []string
	for _, m := range commandLine.FindAllStringSubmatch(usage, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}
