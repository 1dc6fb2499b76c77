// Command loadtest measures linkedin-bot as it runs in production: it starts
// the real bot binary as a child process against the in-repo fake Slack
// (Socket Mode over a real WebSocket on 127.0.0.1) and a fake Linkup, then
//
//   - sends single slash commands at idle and a burst of N commands at a
//     given rate, and reports ack latency (frame written → ack read)
//     p50/p99/max, the time until every send reached Linkup, the bot's CPU
//     time per send (everything included: log writes, thread reply, root
//     update, notification) and its idle and peak RSS; or
//   - with -baseline, runs the same burst, in the same run and against the
//     same fakes, on a plain slack-go bot that persists nothing
//     (./plainbot), alternating the two bots -runs times, and prints every
//     figure for both with their ratio (baseline.go); or
//   - with -media, forwards one file of that size through the message
//     shortcut's streaming path and reports the bot's peak RSS over idle; or
//   - with -bridge, watches that many conversations on a sped-up clock and
//     reports the read credits per day and the delay from a LinkedIn reply
//     to its Slack post (bridge.go); with -api v2, the same on Linkup v2's
//     live replies over several accounts, or (-outage) the replies written
//     while the event streams are cut (bridge_live.go).
//
// It fails (exit 1) when a message reaches Linkup twice or never, or a
// reply reaches its thread twice or never.
//
//	go run ./cmd/loadtest                      # 1,000 commands at ~1,000/s
//	go run ./cmd/loadtest -n 20 -rate 200      # what CI runs
//	go run ./cmd/loadtest -baseline -runs 5    # the same burst on a plain slack-go bot too, alternated; medians and ratios
//	go run ./cmd/loadtest -media 50            # a 50 MiB attachment
//	go run ./cmd/loadtest -bridge 100          # the reply bridge: read credits per day, reply delay
//	go run ./cmd/loadtest -bridge 100 -accounts 10 -api v2        # live replies: event → thread delay, credits
//	go run ./cmd/loadtest -bridge 100 -accounts 10 -api v2 -outage 10m   # streams cut 10 minutes
package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"linkedin-bot/internal/fakeslack"
)

const (
	appToken   = "xapp-1-loadtest"
	botToken   = "xoxb-loadtest"
	notify     = "C0NOTIFY1"
	channel    = "C0LOAD001"
	settleIdle = 2 * time.Second
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

type options struct {
	n          int
	rate       int
	idle       int
	mediaMiB   int
	bot        string
	timeout    time.Duration
	cpuProfile string
	watched    int
	hours      int
	replies    int
	scale      int
	database   string
	replicas   int
	api        string
	accounts   int
	outage     time.Duration
	metrics    time.Duration // scrape /metrics this often (0: no METRICS_ADDR)
	baseline   bool
	runs       int
	maxIdleOwn float64 // MiB of idle RssAnon over which the run fails (0: no check)
	maxSyncs   float64 // durable writes per send over which the run fails (0: no check)
	tag        string  // prefixes envelope IDs and texts, unique per run
}

func run(args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.IntVar(&o.n, "n", 1000, "slash commands in the burst")
	fs.IntVar(&o.rate, "rate", 1000, "commands per second in the burst")
	fs.IntVar(&o.idle, "idle", 20, "single commands sent one at a time at idle, for the idle ack latency")
	fs.IntVar(&o.mediaMiB, "media", 0, "instead of the burst, forward one attachment of this many MiB")
	fs.StringVar(&o.bot, "bot", "", "linkedin-bot binary to run (built from ./cmd/linkedin-bot when empty)")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "give up after this long")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "have the bot write a CPU profile to this file (go tool pprof it)")
	fs.IntVar(&o.watched, "bridge", 0, "instead of the burst, measure the reply bridge with this many watched conversations")
	fs.IntVar(&o.hours, "hours", 6, "with -bridge: simulated hours to run")
	fs.IntVar(&o.replies, "replies", 1, "with -bridge: replies per conversation per simulated day")
	fs.IntVar(&o.scale, "scale", 300, "with -bridge: how many times faster the clock runs (5m polls become 5m/scale)")
	fs.StringVar(&o.database, "database-url", "", "run the bot on this PostgreSQL database (DATABASE_URL; an empty schema, e.g. ?search_path=loadtest) instead of SQLite")
	fs.IntVar(&o.replicas, "replicas", 1, "with -database-url: run this many bots on the database, the fake Slack spreading the commands over their sockets")
	fs.StringVar(&o.api, "api", "v1", "with -bridge: the Linkup API, v1 (polling) or v2 (live replies through hosted webhooks; bridge_live.go)")
	fs.IntVar(&o.accounts, "accounts", 1, "with -bridge -api v2: spread the conversations over this many connected accounts")
	fs.DurationVar(&o.outage, "outage", 0, "with -bridge -api v2: instead of the sped-up day, cut the streams for this long (real time) while replies are written")
	fs.DurationVar(&o.metrics, "metrics", 0, "run the bot with METRICS_ADDR and scrape /metrics this often during the burst (e.g. 1s); 0: no metrics")
	fs.BoolVar(&o.baseline, "baseline", false, "also run the burst on a plain slack-go bot that persists nothing (cmd/loadtest/plainbot) and print both bots' figures with their ratio")
	fs.IntVar(&o.runs, "runs", 1, "with -baseline: alternate the two bots this many times each and print medians")
	fs.Float64Var(&o.maxIdleOwn, "max-idle-own", 0, "fail when the bot's idle own memory (RssAnon: heap, stacks, SQLite's caches; not the binary's pages) exceeds this many MiB (CI's guard)")
	fs.Float64Var(&o.maxSyncs, "max-syncs-per-send", 0, "fail when the bot's durable writes (log fsyncs on SQLite, commits of accept groups on PostgreSQL) per send exceed this (CI's guard; counted, not timed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.api != "v1" && o.api != "v2" {
		return fmt.Errorf("-api %q: v1 or v2", o.api)
	}
	if o.api == "v1" && (o.accounts != 1 || o.outage != 0) {
		return errors.New("-accounts and -outage need -api v2")
	}
	if o.cpuProfile != "" {
		abs, err := filepath.Abs(o.cpuProfile)
		if err != nil {
			return err
		}
		o.cpuProfile = abs
	}

	tmp, err := os.MkdirTemp("", "loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if o.bot == "" {
		o.bot = filepath.Join(tmp, "linkedin-bot")
		// Built as the image ships it (Dockerfile): static, without symbol tables.
		build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", o.bot, "./cmd/linkedin-bot")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building the bot (run from the repository root, or pass -bot): %w", err)
		}
	}

	if o.baseline {
		return baselineRun(out, o, tmp)
	}
	if o.watched > 0 && o.api == "v2" {
		return liveRun(out, o, tmp)
	}
	if o.watched > 0 {
		return bridgeRun(out, o, tmp)
	}
	if o.replicas > 1 && o.database == "" {
		return errors.New("-replicas needs -database-url: bots share a PostgreSQL database")
	}
	o.replicas = max(o.replicas, 1)
	sl := fakeslack.New(fakeslack.Options{AppToken: appToken, BotToken: botToken, PingInterval: 5 * time.Second, Sockets: o.replicas})
	defer sl.Close()
	lk := newLinkup()
	defer lk.srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	var pids []int
	var stops []func()
	var logs []string   // the bots' output
	var scrape []string // the bots' METRICS_ADDR
	for i := range o.replicas {
		profile := ""
		if i == 0 {
			profile = o.cpuProfile
		}
		addr := ""
		if o.metrics > 0 {
			if addr, err = freeAddr(); err != nil {
				return err
			}
			scrape = append(scrape, addr)
		}
		logPath := filepath.Join(tmp, fmt.Sprint("bot-", i, ".log"))
		logs = append(logs, logPath)
		pid, stop, err := startBotLog(ctx, o.bot, tmp, sl, lk.srv.URL, logPath, "LOG_LEVEL=info",
			"MAX_MEDIA_BYTES="+fmt.Sprint((o.mediaMiB+1)<<20), "LINKUP_TIMEOUT=5m", "CPU_PROFILE="+profile, "DATABASE_URL="+o.database,
			"DATA_DIR="+filepath.Join(tmp, fmt.Sprint("data-", i)), "METRICS_ADDR="+addr)
		if err != nil {
			return err
		}
		defer stop()
		stops = append(stops, stop)
		if _, err := sl.WaitSockets(ctx, i+1); err != nil {
			return err
		}
		pids = append(pids, pid)
	}
	time.Sleep(settleIdle)
	idle, err := readProcs(pids)
	if err != nil {
		return err
	}

	fmt.Fprintf(out, "machine: %s; %d bot(s), pids %v; idle RSS %.1f MiB (the largest)\n", machine(), len(pids), pids, mib(idle.rss))
	if o.mediaMiB > 0 {
		return media(ctx, out, o, sl, lk, pids[0], idle)
	}
	if o.metrics > 0 {
		sctx, stopScraping := context.WithCancel(ctx)
		defer stopScraping()
		scraped := make(chan scrapes, 1)
		go func() { scraped <- scrapeEvery(sctx, o.metrics, scrape) }()
		if _, err := burst(ctx, out, o, sl, lk, pids, idle); err != nil {
			return err
		}
		stopScraping()
		got := <-scraped
		if got.err != nil {
			return got.err
		}
		sent, err := sentSum(scrape)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "metrics: %d scrapes of %d bot(s) every %s, %d series in the last; linkedin_bot_sends_total{state=\"sent\"} sums to %d\n",
			got.n, len(scrape), o.metrics, got.series, sent)
		if sent != o.idle+o.n {
			return fmt.Errorf("the metrics count %d sends sent, not %d", sent, o.idle+o.n)
		}
		return nil
	}
	f, err := burst(ctx, out, o, sl, lk, pids, idle)
	if err != nil {
		return err
	}
	for _, stop := range stops {
		stop()
	}
	return guard(out, o, f, logs)
}

// guard prints what the bots made durable (their last log line) and fails
// when a figure CI guards exceeds its bound: idle own memory, and durable
// writes per send (counted, not timed, so not at the machine's mercy).
func guard(out io.Writer, o options, f figures, logs []string) error {
	var groups, fsyncs int64
	for _, path := range logs {
		d, err := durability(path)
		if err != nil && o.maxSyncs <= 0 {
			fmt.Fprintf(out, "durable writes: not counted (%v)\n", err) // an older binary (-bot)
			return nil
		}
		if err != nil {
			return err
		}
		groups, fsyncs = groups+d.groups, fsyncs+d.fsyncs
	}
	sends := o.idle + o.n
	writes, what := fsyncs, "write-ahead log fsyncs"
	if o.database != "" {
		writes, what = groups, "accept commits"
	}
	f.writes = float64(writes) / float64(sends)
	fmt.Fprintf(out, "durable writes: %d accept groups, %d log fsyncs for %d sends (%.2f %s a send)\n", groups, fsyncs, sends, f.writes, what)
	if o.maxIdleOwn > 0 && mib(f.idleAnon) > o.maxIdleOwn {
		return fmt.Errorf("idle own memory (RssAnon) %.1f MiB exceeds -max-idle-own %.1f MiB", mib(f.idleAnon), o.maxIdleOwn)
	}
	if o.maxSyncs > 0 && f.writes > o.maxSyncs {
		return fmt.Errorf("%.2f %s a send exceeds -max-syncs-per-send %.2f", f.writes, what, o.maxSyncs)
	}
	return nil
}

type durableWrites struct{ groups, fsyncs int64 }

// durability reads the counts the bot logs as it stops.
func durability(logPath string) (durableWrites, error) {
	b, err := os.ReadFile(logPath)
	if err != nil {
		return durableWrites{}, err
	}
	lines := strings.Split(string(b), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		var line struct {
			Groups *int64 `json:"accept_groups"`
			Fsyncs int64  `json:"log_fsyncs"`
		}
		if json.Unmarshal([]byte(lines[i]), &line) == nil && line.Groups != nil {
			return durableWrites{*line.Groups, line.Fsyncs}, nil
		}
	}
	return durableWrites{}, fmt.Errorf("%s: the bot did not log its durable writes as it stopped", logPath)
}

// freeAddr is a loopback address whose port was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

type scrapes struct {
	n, series int
	err       error
}

// scrapeEvery reads each bot's /metrics every d until ctx ends, as
// Prometheus would (Prometheus's default is every minute; 15 s is common).
func scrapeEvery(ctx context.Context, d time.Duration, addrs []string) scrapes {
	var s scrapes
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return s
		case <-t.C:
		}
		for _, a := range addrs {
			body, err := getMetrics(ctx, a)
			if err != nil {
				if ctx.Err() == nil {
					s.err = err
				}
				return s
			}
			s.n++
			s.series = strings.Count(body, "\n") - strings.Count(body, "\n#")
		}
	}
}

func getMetrics(ctx context.Context, addr string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("scraping %s: %w", addr, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("scraping %s: %s", addr, resp.Status)
	}
	return string(b), err
}

// sentSum adds up linkedin_bot_sends_total{state="sent"} over the bots.
func sentSum(addrs []string) (int, error) {
	total := 0.0
	for _, a := range addrs {
		body, err := getMetrics(context.Background(), a)
		if err != nil {
			return 0, err
		}
		for _, line := range strings.Split(body, "\n") {
			if strings.HasPrefix(line, "linkedin_bot_sends_total{") && strings.Contains(line, `state="sent"`) {
				v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
				if err != nil {
					return 0, err
				}
				total += v
			}
		}
	}
	return int(total), nil
}

// startBot runs the bot binary in tmp against the fake Slack sl and the
// Linkup at linkupURL, with sends uncapped and extra settings, and waits
// for its Socket Mode connection. stop sends it SIGTERM and waits.
func startBot(ctx context.Context, binary, tmp string, sl *fakeslack.Server, linkupURL string, extra ...string) (pid int, stop func(), err error) {
	return startBotLog(ctx, binary, tmp, sl, linkupURL, "", extra...)
}

// startBotLog is startBot with the bot's output written to the file
// logPath (none when empty).
func startBotLog(ctx context.Context, binary, tmp string, sl *fakeslack.Server, linkupURL, logPath string, extra ...string) (pid int, stop func(), err error) {
	bot := exec.Command(binary)
	bot.Env = append(botEnv(tmp, sl, linkupURL), extra...)
	bot.Dir = tmp
	bot.Stdout, bot.Stderr = io.Discard, io.Discard
	if logPath != "" {
		f, err := os.Create(logPath)
		if err != nil {
			return 0, nil, err
		}
		defer f.Close() // the child has its own copy
		bot.Stdout, bot.Stderr = f, f
	}
	if err := bot.Start(); err != nil {
		return 0, nil, fmt.Errorf("starting the bot: %w", err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = bot.Process.Signal(syscall.SIGTERM)
			_ = bot.Wait()
		})
	}
	if _, err := sl.WaitConnected(ctx); err != nil {
		stop()
		return 0, nil, err
	}
	return bot.Process.Pid, stop, nil
}

// botEnv is the bot's environment against the fakes, before any extra
// settings.
func botEnv(tmp string, sl *fakeslack.Server, linkupURL string) []string {
	return []string{
		"SLACK_APP_TOKEN=" + appToken, "SLACK_BOT_TOKEN=" + botToken, "SLACK_API_URL=" + sl.APIURL(),
		"LINKUP_API_KEY=loadtest", "LINKUP_LOGIN_TOKEN=loadtest", "LINKUP_BASE_URL=" + linkupURL,
		"NOTIFY_CHANNEL=" + notify, "DATA_DIR=" + filepath.Join(tmp, "data"),
		"DAILY_SEND_LIMIT=0", "LINKUP_RATE_PER_MINUTE=0", "PATH=" + os.Getenv("PATH"),
	}
}

// figures are what a burst measures of a bot.
type figures struct {
	ackP50, ackP99, cpuPerSend time.Duration
	idleRSS, peakRSS           int64
	idleAnon                   int64   // idle RssAnon: the bot's own memory, without the binary's pages
	writes                     float64 // durable writes per send (guard)
}

// burst measures idle acks, then a burst of n commands.
func burst(ctx context.Context, out io.Writer, o options, sl *fakeslack.Server, lk *linkup, pids []int, idle proc) (figures, error) {
	// Idle: one command at a time, each fully done before the next.
	var idleLat []time.Duration
	for i := range o.idle {
		lat, err := command(ctx, sl, fmt.Sprintf("%sidle-%d", o.tag, i))
		if err != nil {
			return figures{}, err
		}
		idleLat = append(idleLat, lat)
		if err := waitFor(ctx, func() bool { return lk.count() == i+1 && notified(sl) == i+1 }); err != nil {
			return figures{}, fmt.Errorf("idle send %d: %w", i, err)
		}
	}
	before, err := readProcs(pids)
	if err != nil {
		return figures{}, err
	}

	// The burst: frames written at the given rate, acks read as they come.
	type sent struct {
		id string
		at time.Time
	}
	frames := make([]sent, o.n)
	interval := time.Second / time.Duration(o.rate)
	start := time.Now()
	for i := range o.n {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		id := fmt.Sprintf("%sburst-%d", o.tag, i)
		frames[i] = sent{id: id, at: time.Now()}
		if err := sl.SendFrame(frame(id)); err != nil {
			return figures{}, err
		}
	}
	written := time.Since(start)
	var lat []time.Duration
	for _, f := range frames {
		a, err := sl.WaitAck(ctx, f.id)
		if err != nil {
			return figures{}, err
		}
		lat = append(lat, a.At.Sub(f.at))
	}
	total := o.idle + o.n
	if err := waitFor(ctx, func() bool { return lk.count() >= total }); err != nil {
		return figures{}, fmt.Errorf("only %d of %d sends reached Linkup: %w", lk.count(), total, err)
	}
	allLinkup := time.Since(start)
	if err := waitFor(ctx, func() bool { return notified(sl) >= total }); err != nil {
		return figures{}, fmt.Errorf("only %d of %d notifications: %w", notified(sl), total, err)
	}
	allDone := time.Since(start)
	after, err := readProcs(pids)
	if err != nil {
		return figures{}, err
	}
	time.Sleep(500 * time.Millisecond) // a duplicate would show up now
	if err := lk.exactlyOnce(total); err != nil {
		return figures{}, err
	}

	p := percentiles(lat)
	fmt.Fprintf(out, "idle ack latency (%d commands): p50 %s, max %s\n", o.idle, round(percentiles(idleLat).p50), round(percentiles(idleLat).max))
	fmt.Fprintf(out, "burst: %d commands written in %s (%.0f/s)\n", o.n, round(written), float64(o.n)/written.Seconds())
	fmt.Fprintf(out, "burst ack latency: p50 %s, p99 %s, max %s\n", round(p.p50), round(p.p99), round(p.max))
	fmt.Fprintf(out, "all sends reached Linkup after %s; all answered and notified after %s (%.0f sends/s)\n", round(allLinkup), round(allDone), float64(o.n)/allDone.Seconds())
	fmt.Fprintf(out, "delivered exactly once: %d of %d\n", total, total)
	fmt.Fprintf(out, "bot CPU per send: %s (user+system over the burst, all bots)\n", round((after.cpu-before.cpu)/time.Duration(o.n)))
	fmt.Fprintf(out, "RSS: idle %.1f MiB (own memory %.1f MiB, the binary's and other file pages %.1f MiB), peak %.1f MiB (the largest bot)\n",
		mib(idle.rss), mib(idle.anon), mib(idle.rss-idle.anon), mib(after.hwm))
	return figures{ackP50: p.p50, ackP99: p.p99, cpuPerSend: (after.cpu - before.cpu) / time.Duration(o.n), idleRSS: idle.rss, peakRSS: after.hwm, idleAnon: idle.anon}, nil
}

// media forwards one generated file of o.mediaMiB MiB through the message
// shortcut's modal and checks Linkup got it whole.
func media(ctx context.Context, out io.Writer, o options, sl *fakeslack.Server, lk *linkup, pid int, idle proc) error {
	size := int64(o.mediaMiB) << 20
	seed := uint64(time.Now().UnixNano())
	url := sl.AddFile("FMEDIA", fakeslack.File{
		Object: map[string]any{"name": "big.pdf"},
		Size:   size,
		Open:   func() io.Reader { return io.LimitReader(pdfReader(seed), size) },
	})
	want := sha256.New()
	if _, err := io.Copy(want, io.LimitReader(pdfReader(seed), size)); err != nil {
		return err
	}
	meta, _ := json.Marshal(map[string]any{"c": channel, "f": []map[string]any{{"ID": "FMEDIA", "Name": "big.pdf", "MIME": "application/pdf", "Size": size, "URL": url}}})
	submission, _ := json.Marshal(map[string]any{
		"envelope_id": "media-1", "type": "interactive", "accepts_response_payload": true,
		"payload": map[string]any{
			"type": "view_submission", "user": map[string]any{"id": "U0LOAD001"},
			"view": map[string]any{"id": "VMEDIA", "callback_id": "linkedin_send_modal", "private_metadata": string(meta),
				"state": map[string]any{"values": map[string]any{
					"recipient":  map[string]any{"recipient": map[string]any{"type": "plain_text_input", "value": "https://www.linkedin.com/in/jane-doe"}},
					"message":    map[string]any{"message": map[string]any{"type": "plain_text_input", "value": "media"}},
					"attachment": map[string]any{"attachment": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "FMEDIA"}}},
				}}},
		},
	})
	start := time.Now()
	if err := sl.SendFrame(submission); err != nil {
		return err
	}
	if err := waitFor(ctx, func() bool { return notified(sl) == 1 }); err != nil {
		return err
	}
	elapsed := time.Since(start)
	after, err := readProc(pid)
	if err != nil {
		return err
	}
	got := lk.mediaSums()
	if len(got) != 1 || got[0] != fmt.Sprintf("%x", want.Sum(nil)) {
		return fmt.Errorf("linkup did not get the file intact: %v", got)
	}
	fmt.Fprintf(out, "forwarded %d MiB intact in %s (%.0f MiB/s)\n", o.mediaMiB, round(elapsed), float64(o.mediaMiB)/elapsed.Seconds())
	fmt.Fprintf(out, "RSS: idle %.1f MiB, peak %.1f MiB, peak over idle %.1f MiB\n", mib(idle.rss), mib(after.hwm), mib(after.hwm-idle.rss))
	return nil
}

// command sends one slash command and returns its ack latency.
func command(ctx context.Context, sl *fakeslack.Server, id string) (time.Duration, error) {
	at := time.Now()
	if err := sl.SendFrame(frame(id)); err != nil {
		return 0, err
	}
	a, err := sl.WaitAck(ctx, id)
	if err != nil {
		return 0, err
	}
	return a.At.Sub(at), nil
}

// frame is a slash command envelope whose message text is its envelope ID.
func frame(id string) []byte {
	return fmt.Appendf(nil, `{"envelope_id":%q,"type":"slash_commands","accepts_response_payload":true,"payload":{"token":"x","team_id":"T0FAKE","team_domain":"load","channel_id":%q,"channel_name":"load","user_id":"U0LOAD001","user_name":"load","command":"/linkedin-send","text":"https://www.linkedin.com/in/jane-doe %s","api_app_id":"A0FAKE","is_enterprise_install":"false","response_url":"http://127.0.0.1:1/none","trigger_id":"1.2.3"}}`, id, channel, id)
}

func notified(sl *fakeslack.Server) int {
	n := 0
	for _, p := range sl.Posts() {
		if p.Channel == notify {
			n++
		}
	}
	return n
}

func waitFor(ctx context.Context, cond func() bool) error {
	return fakeslack.WaitFor(ctx, "the bot", cond)
}

// linkup is a fake Linkup that keeps only what the load test checks: how
// often each message arrived, and a hash of each attachment, decoded as it
// streams in.
type linkup struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen map[string]int
	sums []string
	n    int
}

func newLinkup() *linkup {
	l := &linkup{seen: map[string]int{}}
	l.srv = httptest.NewServer(http.HandlerFunc(l.serve))
	return l
}

func (l *linkup) serve(w http.ResponseWriter, r *http.Request) {
	text, sum, err := decode(r.Body)
	if err != nil {
		http.Error(w, `{"status":"error","message":"bad body"}`, http.StatusBadRequest)
		return
	}
	l.mu.Lock()
	l.seen[text]++
	l.n++
	if sum != "" {
		l.sums = append(l.sums, sum)
	}
	l.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"status":"success","message":"Message sent successfully"}`)
}

// decode reads a send-message body: its JSON fields come first and are
// decoded whole; media_file, last, is decoded and hashed as it streams in.
func decode(body io.Reader) (text, sum string, err error) {
	const marker = `"media_file":"`
	raw, err := io.ReadAll(io.LimitReader(body, 1<<16))
	if err != nil {
		return "", "", err
	}
	var fields struct {
		Text string `json:"message_text"`
	}
	i := strings.Index(string(raw), marker)
	if i < 0 {
		err := json.Unmarshal(raw, &fields)
		return fields.Text, "", err
	}
	if err := json.Unmarshal(append(raw[:i:i], `"x":0}`...), &fields); err != nil {
		return "", "", err
	}
	rest := io.MultiReader(strings.NewReader(string(raw[i+len(marker):])), body)
	prefix := make([]byte, len("data:application/pdf;base64,"))
	if _, err := io.ReadFull(rest, prefix); err != nil {
		return "", "", err
	}
	h := sha256.New()
	if _, err := io.Copy(h, base64.NewDecoder(base64.StdEncoding, &untilQuote{r: rest})); err != nil {
		return "", "", err
	}
	return fields.Text, fmt.Sprintf("%x", h.Sum(nil)), nil
}

// untilQuote reads up to the closing quote of a JSON string.
type untilQuote struct {
	r    io.Reader
	done bool
}

func (u *untilQuote) Read(p []byte) (int, error) {
	if u.done {
		return 0, io.EOF
	}
	n, err := u.r.Read(p)
	if i := slices.Index(p[:n], '"'); i >= 0 {
		u.done = true
		return i, nil
	}
	return n, err
}

func (l *linkup) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

func (l *linkup) mediaSums() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.sums...)
}

// exactlyOnce checks that each of total messages arrived once.
func (l *linkup) exactlyOnce(total int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var dup []string
	for text, n := range l.seen {
		if n > 1 {
			dup = append(dup, fmt.Sprintf("%s ×%d", text, n))
		}
	}
	if len(dup) > 0 {
		return fmt.Errorf("DUPLICATES reached Linkup: %s", strings.Join(dup, ", "))
	}
	if len(l.seen) != total {
		return fmt.Errorf("LOSS: %d distinct messages reached Linkup, %d were sent", len(l.seen), total)
	}
	return nil
}

// pdfReader is an endless PDF-looking stream from seed, never held in memory.
func pdfReader(seed uint64) io.Reader {
	return io.MultiReader(strings.NewReader("%PDF-1.7\n"), &randReader{r: rand.New(rand.NewPCG(seed, seed))})
}

type randReader struct{ r *rand.Rand }

func (r *randReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r.r.Uint32())
	}
	return len(p), nil
}

// readProcs adds up the bots' CPU time; its memory is the largest bot's.
func readProcs(pids []int) (proc, error) {
	var total proc
	for _, pid := range pids {
		p, err := readProc(pid)
		if err != nil {
			return total, err
		}
		total.cpu += p.cpu
		total.rss, total.hwm, total.anon = max(total.rss, p.rss), max(total.hwm, p.hwm), max(total.anon, p.anon)
	}
	return total, nil
}

// proc is what /proc tells of the bot.
type proc struct {
	rss, hwm int64 // bytes
	anon     int64 // RssAnon: resident and not backed by a file (heap, stacks, caches)
	cpu      time.Duration
}

func readProc(pid int) (proc, error) {
	var p proc
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return p, fmt.Errorf("reading the bot's memory (Linux /proc is needed): %w", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		var kb int64
		if _, err := fmt.Sscanf(line, "VmRSS: %d kB", &kb); err == nil {
			p.rss = kb << 10
		}
		if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kb); err == nil {
			p.hwm = kb << 10
		}
		if _, err := fmt.Sscanf(line, "RssAnon: %d kB", &kb); err == nil {
			p.anon = kb << 10
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return p, err
	}
	// Fields after the command name, which is in parentheses: utime is the 14th field, stime the 15th.
	rest := string(stat[strings.LastIndexByte(string(stat), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return p, errors.New("unexpected /proc stat format")
	}
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	p.cpu = time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
	return p, nil
}

type pct struct{ p50, p99, max time.Duration }

func percentiles(d []time.Duration) pct {
	if len(d) == 0 {
		return pct{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return pct{p50: at(0.50), p99: at(0.99), max: s[len(s)-1]}
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func machine() string {
	cpu := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
				break
			}
		}
	}
	n := 0
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		n = strings.Count(string(b), "processor\t:")
	}
	return fmt.Sprintf("%d × %s", n, cpu)
}
