package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/internal/fakeslack"
)

// bridgeRun measures the reply bridge at the default settings, on a
// clock sped up scale times: REPLY_POLL_INTERVAL 5m and REPLY_POLL_MAX
// 30m become 5m/scale and 30m/scale. It starts o.watched conversations
// with one send each, lets o.hours simulated hours pass while replies
// come in at random (o.replies per conversation per simulated day), and
// reports the read credits per simulated day and the delay from each
// reply to its post in Slack, in simulated time. READ_CREDITS_PER_DAY is
// lifted so that the demand is measured, not the cap.
func bridgeRun(out io.Writer, o options, tmp string) error {
	scale := float64(o.scale)
	interval := time.Duration(float64(5*time.Minute) / scale)
	maxPoll := time.Duration(float64(30*time.Minute) / scale)
	if interval < time.Second {
		return fmt.Errorf("-scale %d makes the poll interval %s, under the 1s minimum", o.scale, interval)
	}

	sl := fakeslack.New(fakeslack.Options{AppToken: appToken, BotToken: botToken, PingInterval: 5 * time.Second})
	defer sl.Close()
	lk := fakelinkup.New()
	defer lk.Close()

	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	_, stop, err := startBot(ctx, o.bot, tmp, sl, lk.URL(), "LOG_LEVEL=warn", "READ_CREDITS_PER_DAY=1000000",
		"REPLY_POLL_INTERVAL="+interval.String(), "REPLY_POLL_MAX="+maxPoll.String())
	if err != nil {
		return err
	}
	defer stop()

	// One send per conversation.
	people := make([]string, o.watched)
	for i := range people {
		people[i] = fmt.Sprintf("https://www.linkedin.com/in/person-%04d", i)
		id := fmt.Sprintf("bridge-%d", i)
		if err := sl.SendEnvelope(id, "slash_commands", map[string]any{
			"command": "/linkedin-send", "text": people[i] + " Hello", "user_id": "U0LOAD001", "channel_id": channel,
			"team_id": "T0FAKE", "trigger_id": "t", "response_url": "",
		}); err != nil {
			return err
		}
	}
	if err := waitFor(ctx, func() bool { return notified(sl) >= o.watched }); err != nil {
		return fmt.Errorf("only %d of %d sends finished: %w", notified(sl), o.watched, err)
	}
	// Let the reads the sends themselves cause (their messages change the
	// conversations) pass before measuring.
	time.Sleep(2 * maxPoll)
	startCredits := credits(lk)

	// Replies at random times over the simulated hours.
	real := time.Duration(float64(o.hours) * float64(time.Hour) / scale)
	perConv := float64(o.replies) * float64(o.hours) / 24
	r := rand.New(rand.NewPCG(1, 2))
	type reply struct {
		who  string
		text string
		at   time.Duration
	}
	var plan []reply
	for i, p := range people {
		for k := range poisson(r, perConv) {
			plan = append(plan, reply{who: p, text: fmt.Sprintf("reply %d-%d", i, k), at: time.Duration(r.Float64() * float64(real))})
		}
	}
	slices.SortFunc(plan, func(a, b reply) int { return cmp.Compare(a.at, b.at) })
	start := time.Now()
	written := map[string]time.Time{}
	for _, rp := range plan {
		time.Sleep(time.Until(start.Add(rp.at)))
		lk.Reply(rp.who, rp.text)
		written[rp.text] = time.Now()
	}
	time.Sleep(time.Until(start.Add(real)))
	reads := credits(lk) - startCredits
	// The last replies may still be on their way: wait for them, for the delays.
	_ = waitFor(ctx, func() bool { return mirrored(sl) >= len(plan) })
	var delays []time.Duration
	for _, p := range sl.Posts() {
		if p.ThreadTS == "" || !strings.Contains(p.Text, "replied on LinkedIn") {
			continue
		}
		for text, at := range written {
			if strings.Contains(p.Text, "> "+text+"\n") || strings.HasSuffix(p.Text, "> "+text) {
				delays = append(delays, time.Duration(float64(postTime(p).Sub(at))*scale))
			}
		}
	}
	perDay := float64(reads) * 24 / float64(o.hours)
	d := percentiles(delays)
	fmt.Fprintf(out, "bridge: %d watched conversations, %d replies over %d simulated hours (clock ×%d: polls %s to %s)\n",
		o.watched, len(plan), o.hours, o.scale, interval, maxPoll)
	fmt.Fprintf(out, "read credits: %d (%.0f per simulated day); %d of %d replies mirrored\n", reads, perDay, len(delays), len(plan))
	fmt.Fprintf(out, "reply → Slack delay (simulated): p50 %s, p99 %s, max %s\n", d.p50.Round(time.Second), d.p99.Round(time.Second), d.max.Round(time.Second))
	if len(delays) != len(plan) {
		return fmt.Errorf("%d replies, %d mirrored", len(plan), len(delays))
	}
	return nil
}

// credits is what the reads so far cost: 1 per 10 items asked for.
func credits(lk *fakelinkup.Server) int {
	n := 0
	for _, r := range lk.Reads("") {
		size, _ := r.Body["total_results"].(float64)
		n += max(1, (int(size)+9)/10)
	}
	return n
}

// mirrored counts the replies posted in threads.
func mirrored(sl *fakeslack.Server) int {
	n := 0
	for _, p := range sl.Posts() {
		if p.ThreadTS != "" && strings.Contains(p.Text, "replied on LinkedIn") {
			n++
		}
	}
	return n
}

// postTime is when the fake Slack took a post.
func postTime(p fakeslack.Post) time.Time { return p.At }

// poisson draws a Poisson count of mean m.
func poisson(r *rand.Rand, m float64) int {
	n, p, l := 0, 1.0, math.Exp(-m)
	for {
		p *= r.Float64()
		if p <= l {
			return n
		}
		n++
	}
}
