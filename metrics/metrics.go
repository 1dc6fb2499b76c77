// Package metrics is what linkedin-bot shows a monitoring system: its
// Prometheus metrics and the liveness and readiness probes, served on
// METRICS_ADDR (server.go).
//
// The domains do not import it: they take a func (send.Config.Finished,
// conversation.Config.ReadCredits, …) that the wiring points at a method
// here. Every method is a no-op on a nil *Metrics, which is what the bot
// runs with when METRICS_ADDR is empty: nothing is counted, nothing listens.
//
// No label carries what identifies a person or a message: no Slack user or
// channel ID, no profile URL, no text, no token, no response_url. The
// labels are states, kinds, endpoints and Slack's error codes (each from a
// fixed set or capped), and the names of the accounts an operator
// connected (never a person's own account, which counts as "personal"), so
// that the number of series stays bounded whatever the traffic.
package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"
)

// Namespace prefixes every metric of the bot's own.
const Namespace = "linkedin_bot"

// Personal is the account label of a person's own account (and of an
// account not known yet): its name may be a person's.
const Personal = "personal"

// Credit kinds (linkedin_bot_credits_total{kind}).
const (
	CreditsSend       = "send"
	CreditsRead       = "read"
	CreditsInvite     = "invite"
	CreditsMonitoring = "monitoring"
)

// monitoringPerDay is what Linkup bills for an active webhook (about 10
// credits a day per account, docs/linkup.md); the bot never sees the bill,
// so it counts this estimate.
const monitoringPerDay = 10.0

// State is what the log says at a scrape: it is read then, not counted as
// events, so that every replica of a shared log shows the same figures.
type State struct {
	Queued       int           // sends waiting in the queue
	OldestQueued time.Duration // how long the oldest has waited (0 when none)
	// ReadCreditsSpent are today's (UTC) read credits, of every replica.
	ReadCreditsSpent int
	Accounts         map[string]int // connected, expired → how many
	Jobs             []string       // the jobs whose lease this bot holds
	// Webhooks are the accounts whose Linkup webhook is active (v2).
	Webhooks []string
}

// Config is what Metrics needs from the wiring.
type Config struct {
	ReadCreditsPerDay int      // READ_CREDITS_PER_DAY (0: reading off)
	DailySendLimit    int      // DAILY_SEND_LIMIT (0: no cap)
	Jobs              []string // every job a bot may hold, shown at 0 until held
	// BridgeJob is the reply bridge's job: its holder runs the webhooks,
	// and counts their estimated monitoring credits.
	BridgeJob string
	Log       zerolog.Logger
}

// Metrics holds the bot's metrics in a registry of its own.
type Metrics struct {
	cfg   Config
	reg   *prometheus.Registry
	names []string

	sends       *prometheus.CounterVec
	credits     *prometheus.CounterVec
	ack         prometheus.Histogram
	linkup      *prometheus.HistogramVec
	slackErrors *prometheus.CounterVec
	bridgeLag   prometheus.Histogram
	reconnects  prometheus.Counter
	connected   prometheus.Gauge

	labels labelCache

	srcMu sync.Mutex // what Attach sets
	ready func(ctx context.Context) error
	state func(ctx context.Context) (State, error)

	mu             sync.Mutex // the monitoring estimate
	lastMonitoring time.Time
	now            func() time.Time
}

// New returns the bot's metrics, with Go's runtime and process collectors.
func New(cfg Config) *Metrics {
	m := &Metrics{cfg: cfg, reg: prometheus.NewRegistry(), now: time.Now}
	m.lastMonitoring = m.now()
	m.labels = labelCache{known: map[string]string{}}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	m.sends = counterVec(m, "sends_total", "Sends whose outcome this bot recorded, by state (sent, dry_run, failed, unknown, refused_cap: refused at the daily cap, when asked or when it came up) and account (an operator's account by name; a person's own as personal).", "state", "account")
	m.credits = counterVec(m, "credits_total", "Linkup credits spent, by kind (send, read, invite, monitoring: an estimate, about 10 a day per active webhook, counted by the bot holding the reply bridge) and account (as for sends; reads of the shared budget name theirs).", "kind", "account")
	m.ack = histogram(m, "ack_seconds", "From an envelope read off the Socket Mode connection to its ack written.", []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5})
	m.linkup = histogramVec(m, "linkup_request_seconds", "Linkup API calls, to the response's headers, by endpoint (its path, IDs as {id}) and outcome (ok, client_error, rate_limited, server_error, timeout, network).", []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}, "endpoint", "outcome")
	m.slackErrors = counterVec(m, "slack_api_errors_total", "Slack Web API calls that failed, by method and error (Slack's code, such as ratelimited or not_in_channel; http_5xx, http_4xx, network).", "method", "error")
	m.bridgeLag = histogram(m, "bridge_lag_seconds", "From a LinkedIn reply's own time (LinkedIn's clock) to its post in Slack (this bot's clock).", []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 21600})
	m.reconnects = counter(m, "socket_reconnects_total", "Socket Mode connections opened after this bot's first.")
	m.connected = gauge(m, "slack_connected", "1 while this bot holds a Socket Mode connection.")
	m.reg.MustRegister(&stateCollector{m: m})
	for _, d := range stateDescs {
		m.names = append(m.names, d.name)
	}

	for _, kind := range []string{CreditsSend, CreditsRead, CreditsInvite, CreditsMonitoring} {
		m.credits.WithLabelValues(kind, Personal) // shown at 0 from the start
	}
	return m
}

func counterVec(m *Metrics, name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	m.register(name, c)
	return c
}

func counter(m *Metrics, name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help})
	m.register(name, c)
	return c
}

func gauge(m *Metrics, name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help})
	m.register(name, g)
	return g
}

func histogram(m *Metrics, name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: name, Help: help, Buckets: buckets})
	m.register(name, h)
	return h
}

func histogramVec(m *Metrics, name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: name, Help: help, Buckets: buckets}, labels)
	m.register(name, h)
	return h
}

func (m *Metrics) register(name string, c prometheus.Collector) {
	m.reg.MustRegister(c)
	m.names = append(m.names, Namespace+"_"+name)
}

// Names are the names of the bot's own metrics (linkedin_bot_…), those
// with no series yet included; a histogram's series add _bucket, _sum and
// _count to its name.
func (m *Metrics) Names() []string { return append([]string(nil), m.names...) }

// Registry is where the metrics are registered, for the /metrics handler
// and tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Finished counts a send whose outcome was recorded (send.Config.Finished):
// its state, and the credits it cost.
func (m *Metrics) Finished(state, account string, credits int) {
	if m == nil {
		return
	}
	label := m.labels.of(account)
	m.sends.WithLabelValues(state, label).Inc()
	if credits > 0 {
		m.credits.WithLabelValues(CreditsSend, label).Add(float64(credits))
	}
}

// Credits counts n credits of kind spent for account (reads, invitations).
func (m *Metrics) Credits(kind, account string, n int) {
	if m == nil || n <= 0 {
		return
	}
	m.credits.WithLabelValues(kind, m.labels.of(account)).Add(float64(n))
}

// ReadCredits counts n read credits spent for account.
func (m *Metrics) ReadCredits(account string, n int) { m.Credits(CreditsRead, account, n) }

// Acked observes an ack written d after its envelope was read.
func (m *Metrics) Acked(d time.Duration) {
	if m == nil {
		return
	}
	m.ack.Observe(d.Seconds())
}

// Mirrored observes a LinkedIn reply posted in Slack lag after its own
// time; a negative lag (LinkedIn's clock ahead of this bot's) counts as 0.
func (m *Metrics) Mirrored(lag time.Duration) {
	if m == nil {
		return
	}
	m.bridgeLag.Observe(max(lag, 0).Seconds())
}

// Connected records whether the bot holds a Socket Mode connection;
// reconnect says it is one after the first.
func (m *Metrics) Connected(up, reconnect bool) {
	if m == nil {
		return
	}
	if up {
		m.connected.Set(1)
	} else {
		m.connected.Set(0)
	}
	if up && reconnect {
		m.reconnects.Inc()
	}
}

// Source is what the metrics read from the running bot.
type Source struct {
	// Ready says why the bot is not ready, or nil (/readyz).
	Ready func(ctx context.Context) error
	// State reads the log's figures, at each scrape.
	State func(ctx context.Context) (State, error)
	// Operator reports whether account name was configured by an operator
	// (the default one, shared ones): only those are named in labels. Nil
	// names none.
	Operator func(ctx context.Context, name string) (bool, error)
}

// Attach makes the metrics read src, once the bot is built; until then
// the bot is not ready and the log's figures are left out.
func (m *Metrics) Attach(src Source) {
	if m == nil {
		return
	}
	m.srcMu.Lock()
	defer m.srcMu.Unlock()
	m.ready, m.state = src.Ready, src.State
	m.labels.mu.Lock()
	m.labels.operator = src.Operator
	m.labels.mu.Unlock()
}

// Ready is why the bot is not ready, or nil.
func (m *Metrics) Ready(ctx context.Context) error {
	m.srcMu.Lock()
	ready := m.ready
	m.srcMu.Unlock()
	if ready == nil {
		return errStarting
	}
	return ready(ctx)
}

// readState reads the log's figures.
func (m *Metrics) readState(ctx context.Context) (State, error) {
	m.srcMu.Lock()
	state := m.state
	m.srcMu.Unlock()
	if state == nil {
		return State{}, errStarting
	}
	return state(ctx)
}

// labelCache names accounts in labels: an operator's by name, a person's
// own as Personal. Each name is looked up once (Operator); the cache is as
// large as the number of accounts, and only names reach the labels that an
// operator chose.
type labelCache struct {
	operator func(ctx context.Context, name string) (bool, error)
	mu       sync.Mutex
	known    map[string]string
}

// lookupBudget bounds the one lookup of an account's kind.
const lookupBudget = time.Second

func (c *labelCache) of(name string) string {
	c.mu.Lock()
	label, ok := c.known[name]
	operator := c.operator
	c.mu.Unlock()
	if ok {
		return label
	}
	if name == "" || operator == nil {
		return Personal
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupBudget)
	defer cancel()
	op, err := operator(ctx, name)
	if err != nil {
		return Personal // not cached: asked again next time
	}
	label = Personal
	if op {
		label = name
	}
	c.mu.Lock()
	c.known[name] = label
	c.mu.Unlock()
	return label
}
