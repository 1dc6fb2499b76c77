// Command linkedin-bot is a Slack app in Socket Mode that sends LinkedIn
// direct messages through the Linkup API.
//
//	linkedin-bot           run the bot (reads .env, then the environment)
//	linkedin-bot doctor    check the configuration, Slack and Linkup, and exit
//	linkedin-bot history   print the send log
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/joho/godotenv"
	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"linkedin-bot/bot"
	"linkedin-bot/conversation"
	"linkedin-bot/handlers"
	"linkedin-bot/linkup"
	"linkedin-bot/send"
	"linkedin-bot/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "linkedin-bot:", err)
		os.Exit(1)
	}
}

const usage = `usage: linkedin-bot [doctor | history [flags]]

  (no command)  run the bot until SIGINT or SIGTERM
  doctor        check the configuration, the Slack tokens and Linkup, then exit
  history       print the send log and the credits used (history -h for flags)

Settings come from the environment and from .env in the working folder
(the environment wins); .env.example documents each one.
`

// run is the whole program; main only gives it the process's context, args,
// environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := ""
	if len(args) > 1 {
		cmd = args[1]
	}
	switch cmd {
	case "", "doctor", "history":
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}

	getenv, err := withDotEnv(getenv, ".env")
	if err != nil {
		return err
	}
	if cmd == "history" {
		return history(ctx, args[2:], bot.DataDir(getenv), stdout, stderr)
	}
	cfg, err := bot.LoadConfig(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}

	httpClient := newHTTPClient(30 * time.Second)
	api := slack.New(cfg.SlackBotToken,
		slack.OptionAPIURL(cfg.SlackAPIURL),
		slack.OptionAppLevelToken(cfg.SlackAppToken),
		slack.OptionHTTPClient(httpClient),
	)
	if cmd == "doctor" {
		return bot.Doctor(ctx, cfg, api, httpClient, stdout)
	}

	log, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	if cfg.CPUProfile != "" {
		stop, err := startCPUProfile(cfg.CPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	return serve(ctx, cfg, api, httpClient, log)
}

// serve runs the bot until ctx ends, then drains the sends in flight.
func serve(ctx context.Context, cfg bot.Config, api *slack.Client, httpClient *http.Client, log zerolog.Logger) error {
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

	unlock, err := store.Lock(cfg.DataDir)
	if err != nil {
		return fmt.Errorf("DATA_DIR %s: %w", cfg.DataDir, err)
	}
	defer unlock()
	st, err := store.Open(ctx, cfg.DataDir)
	if err != nil {
		return fmt.Errorf("send log in %s: %w", cfg.DataDir, err)
	}
	defer st.Close()

	lk := linkup.New(linkup.Config{
		BaseURL:    cfg.LinkupBaseURL,
		APIKey:     cfg.LinkupAPIKey,
		LoginToken: cfg.LinkupLoginToken,
		Timeout:    cfg.LinkupTimeout,
		HTTPClient: newHTTPClient(0),
	})
	// A download streams into the Linkup call: it stops when its headers or
	// its next bytes are late, and it never outlasts the call by more than 5 s.
	stall := min(cfg.LinkupTimeout, 15*time.Second)
	files := send.NewSlackFiles(cfg.SlackBotToken, cfg.SlackAPIURL, newHTTPClient(0), stall)
	pacer := linkup.NewPacer(cfg.LinkupPerMinute) // one allowance for sends and reads
	pipe := send.New(send.Config{
		Workers:         cfg.SendConcurrency,
		Account:         cfg.LinkupAccountName,
		DailyLimit:      cfg.DailySendLimit,
		Pacer:           pacer,
		NotifyChannel:   cfg.NotifyChannel,
		HTTPClient:      httpClient,
		Files:           files,
		DownloadTimeout: cfg.LinkupTimeout + 5*time.Second,
	}, st, lk, api, log)
	bcfg := bot.BridgeConfig(cfg)
	bcfg.Pacer, bcfg.Settled = pacer, pipe.Redeliver
	bridge := conversation.New(bcfg, st, lk, api, log)
	h := handlers.New(handlers.Config{
		MaxMessageLen: cfg.MaxMessageLen,
		Country:       cfg.LinkupCountry,
		AllowedUsers:  cfg.AllowedUsers,
		MaxMediaBytes: cfg.MaxMediaBytes,
	}, slackAPI{api, files}, pipe, bridge, httpClient)
	b := bot.New(socketmode.New(api), h, httpClient, log)

	if len(cfg.AllowedUsers) == 0 {
		log.Warn().Msg("ALLOWED_USERS is empty: everyone in the workspace may send LinkedIn messages")
	}
	if cfg.NotifyChannel == "" {
		log.Info().Msg("NOTIFY_CHANNEL is not set: no team notifications")
	}
	if cfg.ReplyPollInterval < time.Minute && cfg.ReadCreditsPerDay > 0 {
		log.Warn().Dur("interval", cfg.ReplyPollInterval).Msg("REPLY_POLL_INTERVAL is under 1m: each poll costs at least 1 read credit")
	}
	if err := pipe.Start(ctx); err != nil {
		return fmt.Errorf("starting the send pipeline: %w", err)
	}
	if err := bridge.Start(ctx); err != nil {
		return fmt.Errorf("starting the reply bridge: %w", err)
	}
	log.Info().Str("country", cfg.LinkupCountry).Int("workers", cfg.SendConcurrency).Int("daily_limit", cfg.DailySendLimit).
		Str("data_dir", cfg.DataDir).Msg("linkedin-bot starting")
	log.Info().Msg("reply bridge: " + bcfg.Summary())
	runErr := b.Run(ctx)
	bridge.Close()

	log.Info().Dur("timeout", cfg.ShutdownTimeout).Msg("stopped taking requests; finishing sends in flight, leaving queued ones for the next start")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := pipe.Close(sctx); err != nil {
		log.Warn().Err(err).Msg("shutdown timeout: sends still waiting on Linkup were cut off and are reported as unknown")
	}
	log.Info().Msg("linkedin-bot stopped")
	return runErr
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
// settings the environment leaves empty. A missing file is not an error.
func withDotEnv(getenv func(string) string, path string) (func(string) string, error) {
	file, err := godotenv.Read(path)
	if errors.Is(err, os.ErrNotExist) {
		return getenv, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return file[k]
	}, nil
}

func newLogger(cfg bot.Config, w io.Writer) (zerolog.Logger, error) {
	level, err := zerolog.ParseLevel(cfg.LogLevel)
	if err != nil {
		return zerolog.Logger{}, fmt.Errorf("configuration: LOG_LEVEL: %w", err)
	}
	if cfg.LogFormat == "console" {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339}
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger(), nil
}
