// Command linkedin-bot is a Slack app in Socket Mode that sends LinkedIn
// direct messages through the Linkup API.
//
//	linkedin-bot          run the bot (reads .env, then the environment)
//	linkedin-bot doctor   check the configuration, Slack and Linkup, and exit
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/joho/godotenv"
	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"linkedin-bot/bot"
	"linkedin-bot/handlers"
	"linkedin-bot/linkup"
	"linkedin-bot/send"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "linkedin-bot:", err)
		os.Exit(1)
	}
}

const usage = `usage: linkedin-bot [doctor]

  (no command)  run the bot until SIGINT or SIGTERM
  doctor        check the configuration, the Slack tokens and Linkup, then exit

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
	case "", "doctor":
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
	cfg, err := bot.LoadConfig(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}

	httpClient := &http.Client{Timeout: 30 * time.Second}
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
	return serve(ctx, cfg, api, httpClient, log)
}

// serve runs the bot until ctx ends, then drains the sends in flight.
func serve(ctx context.Context, cfg bot.Config, api *slack.Client, httpClient *http.Client, log zerolog.Logger) error {
	lk := linkup.New(linkup.Config{
		BaseURL:    cfg.LinkupBaseURL,
		APIKey:     cfg.LinkupAPIKey,
		LoginToken: cfg.LinkupLoginToken,
		Timeout:    cfg.LinkupTimeout,
	})
	pipe := send.New(send.Config{Workers: cfg.SendConcurrency, NotifyChannel: cfg.NotifyChannel, HTTPClient: httpClient}, lk, api, log)
	pipe.Start()
	h := handlers.New(handlers.Config{MaxMessageLen: cfg.MaxMessageLen, Country: cfg.LinkupCountry}, api, pipe, httpClient)
	b := bot.New(socketmode.New(api), h, httpClient, log)

	if cfg.NotifyChannel == "" {
		log.Info().Msg("NOTIFY_CHANNEL is not set: no team notifications")
	}
	log.Info().Str("country", cfg.LinkupCountry).Int("workers", cfg.SendConcurrency).Msg("linkedin-bot starting")
	runErr := b.Run(ctx)

	log.Info().Dur("timeout", cfg.ShutdownTimeout).Msg("stopped taking requests; finishing sends in flight")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := pipe.Close(sctx); err != nil {
		log.Warn().Err(err).Msg("shutdown timeout: unfinished sends were cut off and their requesters told")
	}
	log.Info().Msg("linkedin-bot stopped")
	return runErr
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
