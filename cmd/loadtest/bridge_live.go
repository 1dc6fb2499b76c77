package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"slices"
	"strings"
	"time"

	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/internal/fakeslack"
)

// loadAccountsKey seals the connected accounts' tokens (32 bytes, base64).
const loadAccountsKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// liveReply is one reply written on LinkedIn during a run.
type liveReply struct {
	conv    int    // index of its conversation
	text    string // unique in the run
	at      time.Duration
	written time.Time
}

// liveRun measures the reply bridge on Linkup v2 (LINKUP_API_VERSION=v2):
// o.watched conversations spread over o.accounts connected accounts, each
// watched by one hosted webhook whose event stream the bot holds. Polls
// (the safety net, REPLY_SAFETY_POLL's day) run on the clock sped up o.scale times, as in
// bridgeRun; the events are real time, so the delay from a reply's event
// to its post in its thread is in real time. Credits are the fake's
// billing: credits_consumed of every v2 answer, and monitoring at 10 per
// account-day.
//
// With o.outage, the day is replaced by an outage: every stream is cut and
// none can be opened again for o.outage (real time) while each
// conversation gets three replies; the polls are set to an hour so that
// the replay alone must bring them. It reports the time from the streams'
// return to each reply's post.
//
// Either way it fails when a reply is never posted, posted twice, or
// posted out of its conversation's order.
func liveRun(out io.Writer, o options, tmp string) error {
	if o.accounts < 1 || o.accounts > o.watched {
		return fmt.Errorf("-accounts %d: between 1 and the %d conversations", o.accounts, o.watched)
	}
	scale := float64(o.scale)
	interval := time.Duration(float64(5*time.Minute) / scale)
	maxPoll := time.Duration(float64(30*time.Minute) / scale)
	safety := time.Duration(float64(24*time.Hour) / scale)
	if o.outage > 0 {
		interval, maxPoll, safety = time.Hour, time.Hour, time.Hour
	}
	if interval < time.Second {
		return fmt.Errorf("-scale %d makes the poll interval %s, under the 1s minimum", o.scale, interval)
	}

	sl := fakeslack.New(fakeslack.Options{AppToken: appToken, BotToken: botToken, PingInterval: 5 * time.Second})
	defer sl.Close()
	lk := fakelinkup.New()
	defer lk.Close()

	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	settings := []string{"LOG_LEVEL=warn", "READ_CREDITS_PER_DAY=1000000", "LINKUP_API_VERSION=v2",
		"ACCOUNTS_KEY=" + loadAccountsKey, "REPLY_POLL_INTERVAL=" + interval.String(), "REPLY_POLL_MAX=" + maxPoll.String(), "REPLY_SAFETY_POLL=" + safety.String()}

	// Each account is a LinkedIn mailbox of its own, connected by the
	// command line for one Slack user, who sends from it.
	tokens := make([]string, o.accounts)
	users := make([]string, o.accounts)
	for i := range tokens {
		tokens[i] = fmt.Sprintf("AQEDAloadtestToken%04d", i)
		users[i] = fmt.Sprintf("U0LOAD%03d", i+1)
		lk.AddLogin(fakelinkup.Login{Email: fmt.Sprintf("load%04d@example.com", i), Token: tokens[i], Name: fmt.Sprintf("Load Account %d", i)})
		connect := exec.CommandContext(ctx, o.bot, "accounts", "connect", "--name", fmt.Sprintf("load-%04d", i), "--token-stdin", "--user", users[i])
		connect.Env = append(botEnv(tmp, sl, lk.URL()), settings...)
		connect.Dir = tmp
		connect.Stdin = strings.NewReader(tokens[i] + "\n")
		if b, err := connect.CombinedOutput(); err != nil {
			return fmt.Errorf("connecting account %d: %w: %s", i, err, b)
		}
	}
	_, stop, err := startBot(ctx, o.bot, tmp, sl, lk.URL(), settings...)
	if err != nil {
		return err
	}
	defer stop()

	// One send per conversation, from its account's user.
	people := make([]string, o.watched)
	for i := range people {
		people[i] = fmt.Sprintf("https://www.linkedin.com/in/person-%04d", i)
		if err := sl.SendEnvelope(fmt.Sprintf("live-%d", i), "slash_commands", map[string]any{
			"command": "/linkedin-send", "text": people[i] + " Hello", "user_id": users[i%o.accounts], "channel_id": channel,
			"team_id": "T0FAKE", "trigger_id": "t", "response_url": "",
		}); err != nil {
			return err
		}
	}
	if err := waitFor(ctx, func() bool { return notified(sl) >= o.watched }); err != nil {
		return fmt.Errorf("only %d of %d sends finished: %w", notified(sl), o.watched, err)
	}
	if err := waitFor(ctx, func() bool { return liveStreams(lk) >= o.accounts }); err != nil {
		return fmt.Errorf("only %d of %d accounts have an active webhook with its stream open: %w", liveStreams(lk), o.accounts, err)
	}
	// Let the reads the sends cause, and the first poll, pass.
	time.Sleep(2 * min(maxPoll, 6*time.Second))

	if o.outage > 0 {
		return liveOutage(ctx, out, o, sl, lk, tokens, people)
	}

	startCredits, startMonitoring, start := lk.Credits(), lk.MonitoringCredits(), time.Now()
	real := time.Duration(float64(o.hours) * float64(time.Hour) / scale)
	perConv := float64(o.replies) * float64(o.hours) / 24
	r := rand.New(rand.NewPCG(1, 2))
	var plan []*liveReply
	for i := range people {
		for k := range poisson(r, perConv) {
			plan = append(plan, &liveReply{conv: i, text: fmt.Sprintf("live reply %d-%d", i, k), at: time.Duration(r.Float64() * float64(real))})
		}
	}
	slices.SortStableFunc(plan, func(a, b *liveReply) int { return cmp.Compare(a.at, b.at) })
	for _, rp := range plan {
		time.Sleep(time.Until(start.Add(rp.at)))
		lk.ReplyIn(tokens[rp.conv%o.accounts], people[rp.conv], rp.text)
		rp.written = time.Now()
	}
	time.Sleep(time.Until(start.Add(real)))
	reads := lk.Credits() - startCredits
	monitoring := lk.MonitoringCredits() - startMonitoring
	elapsed := time.Since(start)
	// The last replies may still be on their way.
	_ = waitFor(ctx, func() bool { return mirrored(sl) >= len(plan) })

	at, err := postedOnce(sl, plan)
	var delays []time.Duration
	for _, rp := range plan {
		if t, ok := at[rp.text]; ok {
			delays = append(delays, t.Sub(rp.written))
		}
	}
	d := percentiles(delays)
	readsPerDay := float64(reads) * 24 / float64(o.hours) / float64(o.accounts)
	monPerDay := monitoring / float64(o.accounts) / (elapsed.Hours() / 24)
	fmt.Fprintf(out, "bridge v2: %d watched conversations on %d accounts, %d replies over %d simulated hours (polls ×%d: %s to %s, safety poll %s)\n",
		o.watched, o.accounts, len(plan), o.hours, o.scale, interval, maxPoll, safety)
	fmt.Fprintf(out, "read credits: %d (%.1f per account per simulated day); monitoring %.1f per account-day (fake's rate, real clock); %.1f per account-day in all\n",
		reads, readsPerDay, monPerDay, readsPerDay+monPerDay)
	fmt.Fprintf(out, "reply event → Slack post (real time): p50 %s, p99 %s, max %s; %d of %d replies found in their threads\n",
		round(d.p50), round(d.p99), round(d.max), len(delays), len(plan))
	return err
}

// liveOutage cuts every stream for o.outage and writes three replies per
// conversation meanwhile, then lets the streams open again and measures
// when each reply is posted.
func liveOutage(ctx context.Context, out io.Writer, o options, sl *fakeslack.Server, lk *fakelinkup.Server, tokens, people []string) error {
	before := mirrored(sl)
	lk.SilenceStreams(true) // the streams opened again hang, as a host that does not answer
	lk.DropStreams()
	down := time.Now()
	const perConv = 3
	n := perConv * len(people)
	var plan []*liveReply
	for k := range perConv {
		for i := range people {
			plan = append(plan, &liveReply{conv: i, text: fmt.Sprintf("outage reply %d-%d", i, k),
				at: time.Duration(float64(o.outage) * float64(len(plan)+1) / float64(n+1))})
		}
	}
	for _, rp := range plan {
		time.Sleep(time.Until(down.Add(rp.at)))
		lk.ReplyIn(tokens[rp.conv%o.accounts], people[rp.conv], rp.text)
		rp.written = time.Now()
	}
	time.Sleep(time.Until(down.Add(o.outage)))
	early := mirrored(sl) - before
	lk.SilenceStreams(false)
	back := time.Now()
	_ = waitFor(ctx, func() bool { return mirrored(sl)-before >= n })

	at, err := postedOnce(sl, plan)
	var after []time.Duration
	for _, rp := range plan {
		if t, ok := at[rp.text]; ok {
			after = append(after, t.Sub(back))
		}
	}
	d := percentiles(after)
	fmt.Fprintf(out, "bridge v2 outage: %d watched conversations on %d accounts; streams cut for %s (real time), %d replies written meanwhile, polls 1h\n",
		o.watched, o.accounts, o.outage, n)
	fmt.Fprintf(out, "posted before the streams came back: %d; after their return: p50 %s, p99 %s, last %s; %d of %d found in their threads\n",
		early, round(d.p50), round(d.p99), round(d.max), len(after), n)
	return err
}

// liveStreams counts the accounts with an active webhook whose stream is open.
func liveStreams(lk *fakelinkup.Server) int {
	open := lk.Streams()
	n := 0
	for _, w := range lk.Webhooks() {
		if w.Active && open[w.ID] > 0 {
			n++
		}
	}
	return n
}

// postedOnce finds each reply of plan in the Slack threads and returns
// when it was posted. The error names the replies never posted, posted
// more than once, or posted before an earlier reply of their conversation.
func postedOnce(sl *fakeslack.Server, plan []*liveReply) (map[string]time.Time, error) {
	byText := map[string]*liveReply{}
	for _, rp := range plan {
		byText[rp.text] = rp
	}
	at := map[string]time.Time{}
	count := map[string]int{}
	last := map[int]time.Time{} // conversation → when its latest reply was written, among those posted so far
	var problems []string
	for _, p := range sl.Posts() {
		if p.ThreadTS == "" || !strings.Contains(p.Text, "replied on LinkedIn") {
			continue
		}
		for _, line := range strings.Split(p.Text, "\n") {
			rp := byText[strings.TrimPrefix(line, "> ")]
			if rp == nil || !strings.HasPrefix(line, "> ") {
				continue
			}
			count[rp.text]++
			if count[rp.text] == 1 {
				at[rp.text] = postTime(p)
			}
			if rp.written.Before(last[rp.conv]) {
				problems = append(problems, fmt.Sprintf("%q posted after a later reply", rp.text))
			}
			last[rp.conv] = rp.written
		}
	}
	for _, rp := range plan {
		switch c := count[rp.text]; {
		case c == 0:
			problems = append(problems, fmt.Sprintf("%q never posted", rp.text))
		case c > 1:
			problems = append(problems, fmt.Sprintf("%q posted %d times", rp.text, c))
		}
	}
	if len(problems) > 0 {
		return at, fmt.Errorf("%d problems: %s", len(problems), strings.Join(problems[:min(len(problems), 10)], "; "))
	}
	return at, nil
}
