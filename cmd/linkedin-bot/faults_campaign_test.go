package main

// The fault-schedule suite's campaign actors: a small campaign (3 to 5
// rows) created from the form, its Start, Pause, Resume and Cancel pressed
// by its owner, by a stranger, twice at once (two envelopes, which two bots
// may take), among kills and restarts. The gaps are shortened by the
// environment (campaignGapMin) so that a run stays short. They are drawn
// from a stream of their own and inserted among the schedule's steps, as
// the invitations are (faults_invite_test.go). Invariant I8 judges them.
//
//	I8  each row's message reaches Linkup at most once; nothing is claimed
//	    before a Start, after the Cancel or while Paused (a row claimed
//	    before the Pause may still go); a stranger's press changes nothing;
//	    the account's campaign sends keep CAMPAIGN_GAP_MIN between their
//	    Linkup calls; after settle the root says the campaign's true state

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/campaign"
	"linkedin-bot/internal/fakeslack"
	"linkedin-bot/store"
)

const (
	stepCampaign      stepKind = "campaign"       // User creates a campaign of N rows (Effect: the form submitted twice)
	stepCampaignPress stepKind = "campaign-press" // User presses Text (start, pause, resume, cancel) on the campaign, N presses at once
)

// The campaigns' pace in the schedules: CAMPAIGN_GAP_MIN and _MAX.
const (
	campaignGapMin = time.Second // the product's least
	campaignGapMax = 1500 * time.Millisecond
)

// campaignActions are the buttons, by the name a step gives them.
var campaignActions = map[string]string{
	"start": campaign.StartActionID, "pause": campaign.PauseActionID, "resume": campaign.ResumeActionID, "cancel": campaign.CancelActionID,
}

// genCampaign inserts a campaign's steps into a third of the schedules.
func genCampaign(s *schedule, tail int) {
	r := rand.New(rand.NewPCG(uint64(s.Seed), 0xca4a1))
	if r.IntN(3) > 0 {
		return
	}
	su := s.Setup
	owner := su.Users[r.IntN(len(su.Users))]
	stranger := su.Outsider
	if stranger == "" || r.IntN(2) == 0 {
		stranger = su.Users[r.IntN(len(su.Users))] // may use its account, or not: I8 judges by the accounts
	}
	press := func(who, action string, n int) step {
		return step{Kind: stepCampaignPress, User: who, Text: action, N: n}
	}
	g := []step{{Kind: stepCampaign, User: owner, N: 3 + r.IntN(3), Effect: r.IntN(3) == 0}}
	if r.IntN(3) == 0 {
		g = append(g, press(stranger, "start", 1))
	}
	g = append(g, press(owner, "start", 1+r.IntN(2)))
	for range 1 + r.IntN(3) {
		switch w := r.IntN(10); {
		case w < 3:
			g = append(g, step{Kind: stepPause, D: time.Duration(500+r.IntN(1500)) * time.Millisecond})
		case w < 5:
			g = append(g, press(owner, "pause", 1+r.IntN(2)), step{Kind: stepPause, D: time.Duration(500+r.IntN(1500)) * time.Millisecond}, press(owner, "resume", 1+r.IntN(2)))
		case w < 6:
			g = append(g, press(stranger, []string{"pause", "cancel"}[r.IntN(2)], 1))
		case w < 8:
			g = append(g, step{Kind: stepKill, Replica: r.IntN(su.Replicas), D: time.Duration(r.IntN(800)) * time.Millisecond, Restart: true})
		default:
			g = append(g, press(owner, "cancel", 1+r.IntN(2)))
		}
	}
	insertGroups(s, r, [][]step{g}, tail)
}

// faultCampaign is the campaign a schedule made.
type faultCampaign struct {
	Step       int
	Owner      string
	Name       string
	ViewID     string
	Recipients []string
	Accepted   bool // a submission was acked as taken
}

// campaignPress is one press of a campaign's button.
type campaignPress struct {
	Step    int
	User    string
	Action  string // start, pause, resume, cancel
	At      time.Time
	Acked   bool
	AckedAt time.Time
}

// campaignStep plays the campaign steps.
func (fr *faultRun) campaignStep(i int, st step) {
	switch st.Kind {
	case stepCampaign:
		fr.createCampaign(i, st)
	case stepCampaignPress:
		c, ok := fr.campaignOf()
		if !ok {
			fr.note("step %d: no campaign to press %s on", i, st.Text)
			return
		}
		if st.Text == "start" {
			// Start before the review is recorded is refused: wait a little for it.
			_ = poll(3*time.Second, func() bool {
				c, _ = fr.campaignOf()
				return c.RootTS != ""
			})
		}
		var wg sync.WaitGroup
		for range st.N {
			wg.Go(func() {
				p := campaignPress{Step: i, User: st.User, Action: st.Text, At: time.Now()}
				_, p.Acked = fr.click(i, st.User, campaignActions[st.Text], fmt.Sprint(c.ID))
				p.AckedAt = time.Now()
				fr.mu.Lock()
				fr.presses = append(fr.presses, p)
				fr.mu.Unlock()
			})
		}
		wg.Wait()
		if st.N > 1 {
			fr.count("campaign button pressed twice at once")
		}
		fr.note("step %d: %s pressed %s on campaign %d (%s) %d time(s)", i, st.User, st.Text, c.ID, c.State, st.N)
	}
}

// campaignOf is the schedule's campaign in the log.
func (fr *faultRun) campaignOf() (store.Campaign, bool) {
	v := fr.logView()
	if v == nil || fr.campaign == nil {
		return store.Campaign{}, false
	}
	cs, err := v.Campaigns(context.Background(), "")
	if err != nil {
		return store.Campaign{}, false
	}
	for _, c := range cs {
		if c.Name == fr.campaign.Name {
			return c, true
		}
	}
	return store.Campaign{}, false
}

// createCampaign opens the campaign form with the command and submits it.
func (fr *faultRun) createCampaign(i int, st step) {
	fc := &faultCampaign{Step: i, Owner: st.User, Name: fmt.Sprintf("Schedule %s campaign", fr.tag), ViewID: fmt.Sprintf("VK%sS%02d", fr.tag, i)}
	var csv strings.Builder
	csv.WriteString("profile_url,first_name\n")
	for k := range st.N {
		u := fmt.Sprintf("https://www.linkedin.com/in/camp-%s-%d", fr.tag, k)
		fc.Recipients = append(fc.Recipients, u)
		fmt.Fprintf(&csv, "%s,Row%d\n", u, k)
	}
	trigger := fr.trigger(i)
	id, f := fr.command(st.User, "campaign", fmt.Sprintf("k%s-%d", fr.tag, i), trigger)
	if a, ok := fr.deliver(id, f); !ok || len(a.Payload) > 0 {
		fr.note("step %d: the campaign command was not taken: acked %v %s", i, ok, brief(string(a.Payload)))
		return
	}
	view, ok := fr.opened(trigger)
	if !ok {
		fr.note("step %d: the campaign form did not open", i)
		return
	}
	fr.mu.Lock()
	fr.campaign = fc
	fr.mu.Unlock()
	md, _ := view["private_metadata"].(string)
	n := 1
	if st.Effect {
		n = 2
		fr.count("duplicate campaign submission")
	}
	for range n {
		id, f := fr.frame("d1-view-submission-docs.json", func(p map[string]any) {
			v := p["view"].(map[string]any)
			v["id"], v["hash"] = fc.ViewID, "hash-"+fc.ViewID
			v["callback_id"] = "linkedin_campaign"
			v["private_metadata"] = md
			v["state"] = map[string]any{"values": map[string]any{
				"campaign_name": map[string]any{"campaign_name": map[string]any{"type": "plain_text_input", "value": fc.Name}},
				"recipients":    map[string]any{"recipients": map[string]any{"type": "plain_text_input", "value": csv.String()}},
				"template":      map[string]any{"template": map[string]any{"type": "plain_text_input", "value": fmt.Sprintf("k%d Hi {first_name}, good to meet you", i)}},
			}}
			p["user"] = map[string]any{"id": st.User, "username": strings.ToLower(st.User)}
		})
		a, ok := fr.deliver(id, f)
		fr.mu.Lock()
		if ok && len(a.Payload) == 0 {
			fc.Accepted = true
		}
		fr.mu.Unlock()
		fr.note("step %d: %s submitted a campaign of %d rows: acked %v %s", i, st.User, st.N, ok, brief(string(a.Payload)))
	}
}

// campaignsBusy says what campaign keeps the bots from being quiet: one
// running with rows to send or in flight.
func (fr *faultRun) campaignsBusy() string {
	v := fr.logView()
	if v == nil {
		return ""
	}
	ctx := context.Background()
	cs, err := v.Campaigns(ctx, "")
	if err != nil {
		return err.Error()
	}
	for _, c := range cs {
		rows, err := v.CampaignRows(ctx, c.ID)
		if err != nil {
			return err.Error()
		}
		for _, r := range rows {
			if r.State == store.RowClaimed || r.State == store.RowPending && c.State == store.CampaignRunning {
				return fmt.Sprintf("campaign %d (%s) has row %d %s", c.ID, c.State, r.No, r.State)
			}
		}
	}
	return ""
}

// rootMarks begin the status line of a campaign's root, by state.
var rootMarks = map[store.CampaignState]string{
	store.CampaignReview:    ":clipboard: In review",
	store.CampaignRunning:   ":arrow_forward:",
	store.CampaignPaused:    ":double_vertical_bar: Paused",
	store.CampaignCancelled: ":no_entry_sign: Cancelled",
	store.CampaignDone:      ":white_check_mark: Done",
}

// pressWork is how long after its ack a press may take effect: a button
// is acked before its work (TestCampaignButtonAckedBeforeItsWork), and a
// row the runner claims meanwhile was claimed before the Pause. A lock
// of the log (stepLock, up to 3.3 s) holds both the press's write and
// the claim: then the budget covers it.
func (w *faultWorld) pressWork() time.Duration {
	if slices.ContainsFunc(w.s.Steps, func(st step) bool { return st.Kind == stepLock }) {
		return 4 * time.Second
	}
	return time.Second
}

// checkCampaigns is I8.
func checkCampaigns(w *faultWorld) []string {
	var out []string
	fc := w.campaign
	if fc == nil {
		if len(w.campaigns) > 0 {
			out = append(out, fmt.Sprintf("%d campaigns in the log, and no step made one", len(w.campaigns)))
		}
		return out
	}
	var c store.Campaign
	for _, x := range w.campaigns {
		if x.Name == fc.Name {
			if c.ID != 0 {
				out = append(out, fmt.Sprintf("campaign %q recorded twice (%d and %d) for one form", fc.Name, c.ID, x.ID))
			}
			c = x
		}
	}
	if c.ID == 0 {
		if fc.Accepted {
			out = append(out, fmt.Sprintf("step %d: the campaign was acked as taken, and is not in the log", fc.Step))
		}
		return out
	}
	rows := w.campaignRows[c.ID]
	may := func(p campaignPress) bool { return p.User == c.Owner || w.mayUseAccount(c.Account, p.User, p.Step) }
	var firstStart time.Time
	for _, p := range w.presses {
		if p.Action == "start" && may(p) && (firstStart.IsZero() || p.At.Before(firstStart)) {
			firstStart = p.At
		}
	}
	// Paused: from an acked Pause's ack (and its work) to the next Start or Resume pressed.
	type span struct{ from, to time.Time }
	var paused []span
	for _, p := range w.presses {
		if p.Action != "pause" || !p.Acked || !may(p) {
			continue
		}
		s := span{from: p.AckedAt.Add(w.pressWork())}
		for _, q := range w.presses {
			if (q.Action == "resume" || q.Action == "start") && may(q) && q.At.After(p.At) && (s.to.IsZero() || q.At.Before(s.to)) {
				s.to = q.At
			}
		}
		paused = append(paused, s)
	}
	// Each row once; nothing claimed before a Start, after the Cancel, or while paused.
	var calls []linkupCall
	for _, r := range rows {
		var reached []linkupCall
		for _, cl := range w.calls {
			if cl.Recipient == r.ProfileURL && cl.reachedLinkup() {
				reached = append(reached, cl)
				calls = append(calls, cl)
			}
		}
		if len(reached) > 1 {
			out = append(out, fmt.Sprintf("campaign %d row %d (%s) reached Linkup %d times: %v", c.ID, r.No, r.ProfileURL, len(reached), reached))
		}
		claimed := !r.ClaimedAt.IsZero()
		switch {
		case claimed && firstStart.IsZero():
			out = append(out, fmt.Sprintf("campaign %d row %d was claimed at %s, and nobody who may pressed Start", c.ID, r.No, r.ClaimedAt.Format("15:04:05.000")))
		case claimed && r.ClaimedAt.Before(firstStart):
			out = append(out, fmt.Sprintf("campaign %d row %d was claimed at %s, before the first Start (%s)", c.ID, r.No, r.ClaimedAt.Format("15:04:05.000"), firstStart.Format("15:04:05.000")))
		case claimed && c.State == store.CampaignCancelled && r.ClaimedAt.After(c.FinishedAt):
			out = append(out, fmt.Sprintf("campaign %d row %d was claimed at %s, after the campaign was cancelled (%s)", c.ID, r.No, r.ClaimedAt.Format("15:04:05.000"), c.FinishedAt.Format("15:04:05.000")))
		}
		for _, s := range paused {
			if claimed && r.ClaimedAt.After(s.from) && (s.to.IsZero() || r.ClaimedAt.Before(s.to)) {
				out = append(out, fmt.Sprintf("campaign %d row %d was claimed at %s, while paused (from %s to %v)", c.ID, r.No, r.ClaimedAt.Format("15:04:05.000"), s.from.Format("15:04:05.000"), s.to.Format("15:04:05.000")))
			}
		}
		if len(reached) > 0 && !claimed {
			out = append(out, fmt.Sprintf("campaign %d row %d (%s) reached Linkup and is %s, never claimed", c.ID, r.No, r.ProfileURL, r.State))
		}
	}
	// A stranger's press changes nothing: the state is one its owner's presses (or the product's own cancel) lead to.
	pressed := func(action string) bool {
		return slices.ContainsFunc(w.presses, func(p campaignPress) bool { return p.Action == action && may(p) })
	}
	switch c.State {
	case store.CampaignRunning, store.CampaignDone:
		if !pressed("start") {
			out = append(out, fmt.Sprintf("campaign %d is %s, and nobody who may pressed Start", c.ID, c.State))
		}
	case store.CampaignPaused:
		if !pressed("pause") {
			out = append(out, fmt.Sprintf("campaign %d is paused, and nobody who may pressed Pause", c.ID))
		}
	case store.CampaignCancelled:
		if !pressed("cancel") && c.RootTS != "" {
			out = append(out, fmt.Sprintf("campaign %d is cancelled, and nobody who may pressed Cancel", c.ID))
		}
	}
	// The gap between the account's campaign sends, at Linkup.
	sort.Slice(calls, func(i, j int) bool { return calls[i].At.Before(calls[j].At) })
	const jitter = 50 * time.Millisecond // the calls' way from the bot to the fake
	for k := 1; k < len(calls); k++ {
		if gap := calls[k].At.Sub(calls[k-1].At); gap < campaignGapMin-jitter {
			out = append(out, fmt.Sprintf("campaign %d: two sends %s apart at Linkup (CAMPAIGN_GAP_MIN=%s): %s and %s", c.ID, gap.Round(time.Millisecond), campaignGapMin, calls[k-1], calls[k]))
		}
	}
	// The root says the true state.
	if c.RootTS != "" {
		text := w.lastText(c.RootChannel, c.RootTS)
		p := campaign.Count(rows)
		want := rootMarks[c.State]
		if c.State != store.CampaignReview {
			want += fmt.Sprintf(" %d of %d sent", p.Sent, p.Total)
			if c.State != store.CampaignRunning {
				want = rootMarks[c.State] + fmt.Sprintf(": %d of %d sent", p.Sent, p.Total)
			}
		}
		if !strings.Contains(text, want) {
			out = append(out, fmt.Sprintf("campaign %d is %s (%d of %d sent), and its root says %q", c.ID, c.State, p.Sent, p.Total, text))
		}
	}
	return out
}

// campaignActor is who asked for a campaign row's send, and at which step.
func (w *faultWorld) campaignActor(sd store.Send) (string, int, bool) {
	if w.campaign == nil || !store.IsCampaignKey(sd.IdemKey) {
		return "", 0, false
	}
	for _, c := range w.campaigns {
		if c.Name == w.campaign.Name && strings.HasPrefix(sd.IdemKey, store.IdemKey("campaign", fmt.Sprintf("%d:", c.ID))) {
			return c.Owner, w.campaign.Step, true
		}
	}
	return "", 0, false
}

// TestCampaignInvariantCatchesViolations shows that each part of I8 can
// fail, on a made-up world: a calm one passes, and each mutation of it is
// caught with its sentence.
func TestCampaignInvariantCatchesViolations(t *testing.T) {
	u1, out := "U0FAAAA01", "U0FAOUT01"
	p1, p2 := "https://www.linkedin.com/in/camp-x-0", "https://www.linkedin.com/in/camp-x-1"
	t0 := time.Now()
	calm := func() *faultWorld {
		return &faultWorld{
			s:            schedule{Setup: setup{Users: []string{u1}, Outsider: out, Default: true}},
			defaultToken: loginToken,
			campaign:     &faultCampaign{Step: 0, Owner: u1, Name: "C", Accepted: true},
			campaigns:    []store.Campaign{{ID: 1, Name: "C", Owner: u1, Account: "default", State: store.CampaignDone, RootChannel: salesChannel, RootTS: "1.1"}},
			campaignRows: map[int64][]store.CampaignRow{1: {
				{CampaignID: 1, No: 1, ProfileURL: p1, State: store.RowSent, ClaimedAt: t0.Add(time.Second)},
				{CampaignID: 1, No: 2, ProfileURL: p2, State: store.RowSent, ClaimedAt: t0.Add(2500 * time.Millisecond)},
			}},
			presses: []campaignPress{{Step: 1, User: out, Action: "cancel", At: t0, Acked: true, AckedAt: t0},
				{Step: 2, User: u1, Action: "start", At: t0, Acked: true, AckedAt: t0}},
			calls: []linkupCall{{At: t0.Add(1100 * time.Millisecond), Recipient: p1, Status: 200, Delivered: true},
				{At: t0.Add(2600 * time.Millisecond), Recipient: p2, Status: 200, Delivered: true}},
			posts: []fakeslack.Post{{Channel: salesChannel, TS: "1.1", Text: "*Campaign*\n:white_check_mark: Done: 2 of 2 sent. The report is in the thread."}},
		}
	}
	require.Empty(t, checkCampaigns(calm()), "the calm world")
	cases := []struct {
		name   string
		mutate func(w *faultWorld)
		says   string
	}{
		{"a row sent twice", func(w *faultWorld) { w.calls = append(w.calls, w.calls[0]) }, "reached Linkup 2 times"},
		{"started by a stranger", func(w *faultWorld) { w.presses[1].User = out }, "nobody who may pressed Start"},
		{"claimed before Start", func(w *faultWorld) { w.presses[1].At = t0.Add(2 * time.Second) }, "before the first Start"},
		{"sent too close", func(w *faultWorld) { w.calls[1].At = t0.Add(1500 * time.Millisecond) }, "apart at Linkup"},
		{"claimed while paused", func(w *faultWorld) {
			w.presses = append(w.presses, campaignPress{Step: 3, User: u1, Action: "pause", At: t0.Add(1200 * time.Millisecond), Acked: true, AckedAt: t0.Add(1200 * time.Millisecond)})
		}, "while paused"},
		{"claimed after Cancel", func(w *faultWorld) {
			w.campaigns[0].State, w.campaigns[0].FinishedAt = store.CampaignCancelled, t0.Add(2*time.Second)
			w.presses = append(w.presses, campaignPress{Step: 3, User: u1, Action: "cancel", At: t0.Add(2 * time.Second), Acked: true})
		}, "after the campaign was cancelled"},
		{"the root untrue", func(w *faultWorld) { w.posts[0].Text = "*Campaign*\n:arrow_forward: 1 of 2 sent" }, "its root says"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := calm()
			tc.mutate(w)
			assert.Contains(t, strings.Join(checkCampaigns(w), "\n"), tc.says)
		})
	}
}
