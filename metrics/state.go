package metrics

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// stateBudget bounds the log's reads of one scrape.
const stateBudget = 2 * time.Second

type stateDesc struct {
	name string
	desc *prometheus.Desc
}

func newStateDesc(name, help string, labels ...string) stateDesc {
	fq := Namespace + "_" + name
	return stateDesc{fq, prometheus.NewDesc(fq, help, labels, nil)}
}

// The gauges read from the log (and from this bot's state) at each scrape.
var (
	queueDepth   = newStateDesc("queue_depth", "Sends waiting in the queue (of every bot of the log).")
	oldestQueued = newStateDesc("oldest_queued_seconds", "How long the oldest queued send has waited (0 when none), by this bot's clock against its acceptor's.")
	creditsLeft  = newStateDesc("read_credits_left", "Read credits left today (UTC) under READ_CREDITS_PER_DAY, of every bot of the log.")
	creditsCap   = newStateDesc("read_credits_per_day", "READ_CREDITS_PER_DAY (0: reading off).")
	sendLimit    = newStateDesc("daily_send_limit", "DAILY_SEND_LIMIT: sends per account per UTC day (0: no cap).")
	accountsDesc = newStateDesc("accounts", "Connected LinkedIn accounts, by state (connected, expired).", "state")
	leasesHeld   = newStateDesc("leases_held", "1 for each job whose lease this bot holds (reply-bridge: the reply bridge runs here).", "job")
	webhooks     = newStateDesc("webhooks_active", "Linkup v2 webhooks active (each billed about 10 credits a day).")
	storeUp      = newStateDesc("store_up", "1 when the log answered this scrape's reads, 0 when it did not (the gauges read from it are then left out).")
	readyDesc    = newStateDesc("ready", "1 when this bot is ready (/readyz answers 200): it holds a Socket Mode connection and its log answers.")
)

var stateDescs = []stateDesc{queueDepth, oldestQueued, creditsLeft, creditsCap, sendLimit, accountsDesc, leasesHeld, webhooks, storeUp, readyDesc}

// stateCollector reads State at each scrape.
type stateCollector struct{ m *Metrics }

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range stateDescs {
		ch <- d.desc
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	m := c.m
	ctx, cancel := context.WithTimeout(context.Background(), stateBudget)
	defer cancel()
	gauge := func(d stateDesc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d.desc, prometheus.GaugeValue, v, labels...)
	}
	ready := 0.0
	if m.Ready(ctx) == nil {
		ready = 1
	}
	gauge(readyDesc, ready)
	gauge(creditsCap, float64(m.cfg.ReadCreditsPerDay))
	gauge(sendLimit, float64(m.cfg.DailySendLimit))

	st, err := m.readState(ctx)
	if errors.Is(err, errStarting) {
		return
	}
	if err != nil {
		m.cfg.Log.Warn().Err(err).Msg("metrics: reading the send log's figures failed; they are left out of this scrape")
		gauge(storeUp, 0)
		return
	}
	gauge(storeUp, 1)
	gauge(queueDepth, float64(st.Queued))
	gauge(oldestQueued, max(st.OldestQueued, 0).Seconds())
	gauge(creditsLeft, float64(max(m.cfg.ReadCreditsPerDay-st.ReadCreditsSpent, 0)))
	for _, state := range []string{"connected", "expired"} {
		gauge(accountsDesc, float64(st.Accounts[state]), state)
	}
	jobs := slices.Clone(m.cfg.Jobs)
	for _, j := range st.Jobs {
		if !slices.Contains(jobs, j) {
			jobs = append(jobs, j)
		}
	}
	for _, j := range jobs {
		held := 0.0
		if slices.Contains(st.Jobs, j) {
			held = 1
		}
		gauge(leasesHeld, held, j)
	}
	gauge(webhooks, float64(len(st.Webhooks)))
	m.monitoring(st)
}

// monitoring adds the estimated monitoring credits since the last scrape:
// counted by the bot that holds the reply bridge, which runs the webhooks,
// so that the replicas' sum counts them once.
func (m *Metrics) monitoring(st State) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	elapsed := now.Sub(m.lastMonitoring)
	m.lastMonitoring = now
	if elapsed <= 0 || m.cfg.BridgeJob == "" || !slices.Contains(st.Jobs, m.cfg.BridgeJob) {
		return
	}
	perAccount := monitoringPerDay * elapsed.Hours() / 24
	for _, account := range st.Webhooks {
		m.credits.WithLabelValues(CreditsMonitoring, m.labels.of(account)).Add(perAccount)
	}
}
