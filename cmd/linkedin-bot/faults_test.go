package main

// The fault-schedule suite, part 2 of 3: the runner. TestFaultSchedules
// plays seeded schedules (faults_schedule_test.go) against real bots, run
// as child processes so that they can be SIGKILLed: one on SQLite, or two
// replicas on PostgreSQL (TEST_DATABASE_URL), beside the fake Slack and the
// fake Linkup with faults injected. Once the schedule is played and the
// bots are quiet, they are stopped cleanly and the invariants
// (faults_invariants_test.go) judge everything that happened.
//
//	go test ./cmd/linkedin-bot -run TestFaultSchedules                          # the CI budget
//	go test ./cmd/linkedin-bot -run TestFaultSchedules -args -seed 42           # replay one schedule
//	go test ./cmd/linkedin-bot -run TestFaultSchedules -v -timeout 3h -args -schedules 500   # before a release
//
// A failing schedule prints its seed, its steps and the replay command; the
// bots' logs are kept in a file named in the failure.

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"linkedin-bot/account"
	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/internal/fakeslack"
	"linkedin-bot/internal/pgtest"
	"linkedin-bot/store"
)

var (
	faultSeed      = flag.Int64("seed", 0, "fault schedules: replay the schedule of this seed only")
	faultSchedules = flag.Int("schedules", 0, "fault schedules: how many to run (default: the CI budget, 24; 8 with -short)")
	faultDuration  = flag.Duration("duration", 0, "fault schedules: run schedules until this much time has passed (with or instead of -schedules)")
	faultFirst     = flag.Int64("first", 1, "fault schedules: the first seed of a run")
	faultSteps     = flag.Int("steps", 16, "fault schedules: steps per schedule")
	faultWorkers   = flag.Int("workers", 2, "fault schedules: schedules run at once")
	faultLease     = flag.Duration("lease", 0, "fault schedules: LEASE_DURATION of a bot on SQLite (default: the product's)")
)

// TestFaultSchedules runs seeded schedules of users, requests and faults
// against real bots and checks the invariants after each (see the file
// comments). The figures of the run (schedules, faults by kind, violations
// by invariant) are logged at the end.
func TestFaultSchedules(t *testing.T) {
	count := *faultSchedules
	if count == 0 && *faultDuration == 0 {
		count = 24 // about 2 minutes under -race on 2 cores, once the suite passes
		if testing.Short() {
			count = 8
		}
	}
	var deadline time.Time
	if *faultDuration > 0 {
		deadline = time.Now().Add(*faultDuration)
	}
	seeds := make(chan int64)
	go func() {
		defer close(seeds)
		if *faultSeed != 0 {
			seeds <- *faultSeed
			return
		}
		for i := int64(0); count == 0 || i < int64(count); i++ {
			if !deadline.IsZero() && time.Now().After(deadline) {
				return
			}
			seeds <- *faultFirst + i
		}
	}()
	tally := newFaultTally()
	var wg sync.WaitGroup
	for range max(*faultWorkers, 1) {
		wg.Go(func() {
			for seed := range seeds {
				s := generateSchedule(seed, *faultSteps)
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { runSchedule(t, s, tally) })
			}
		})
	}
	wg.Wait()
	t.Log(tally.String())
}

// runSchedule plays s and checks the invariants, each family in a subtest.
func runSchedule(t *testing.T, s schedule, tally *faultTally) {
	if s.Setup.Replicas == 2 && os.Getenv("TEST_DATABASE_URL") == "" {
		tally.skip()
		t.Skip("a schedule of two bots on PostgreSQL: TEST_DATABASE_URL is not set")
	}
	fr := newFaultRun(t, s)
	defer fr.close()
	fr.play()
	w := fr.world()
	found := checkInvariants(w)
	tally.add(s, fr.injected, found)
	for _, inv := range invariantNames {
		t.Run(inv, func(t *testing.T) {
			for _, v := range found[inv] {
				t.Error(v)
			}
		})
	}
	for _, p := range fr.problems {
		t.Errorf("harness: %s", p)
	}
	if t.Failed() {
		path := filepath.Join(os.TempDir(), fmt.Sprintf("linkedin-bot-faults-seed-%d.log", s.Seed))
		_ = os.WriteFile(path, []byte(fr.c.logs.String()), 0o600)
		t.Logf("%s\nwhat happened:\n  %s\nthe bots' logs: %s\nreplay: go test -race ./cmd/linkedin-bot -run TestFaultSchedules -v -args -seed %d",
			s, strings.Join(fr.notes, "\n  "), path, s.Seed)
	}
}

// faultRun is one schedule being played.
type faultRun struct {
	t     *testing.T
	s     schedule
	c     *children
	dbURL string       // PostgreSQL's, with two replicas
	procs []*exec.Cmd  // by replica; nil while it is down
	view  *store.Store // the log read as the bots write it, for references and quiet
	tag   string       // makes IDs unique to the schedule

	mu        sync.Mutex
	sendQ     []linkupFault
	readQ     []linkupFault
	calls     []linkupCall
	reads     []readCall
	inFlight  int
	lastWrite time.Time
	lastStart time.Time
	injected  map[string]int // faults applied, by kind

	reqs       []*faultRequest
	clicks     []retryClick
	unassigned []unassignment
	notes      []string // what happened, step by step, for a failure's report
	problems   []string // the harness's own failures (a bot that would not start or stop)
	release    func()   // ends the lock of the log, when held

	// The invitation actors' (faults_invite_test.go).
	inviteQ     []linkupFault
	inviteCalls []inviteCall
	invites     []*faultInvite
	cancels     []inviteCancel
	noNotes     []inviteCancel  // the presses of "Invite without a note"
	noteLimited map[string]bool // the recipients whose invitation's note LinkedIn refuses
	// acceptedLive are the invitations (v2) pending with their account's
	// stream held when their recipient accepted: the event must accept them.
	acceptedLive []int64
	accepted     map[string]time.Time // recipient → when they first accepted

	// The campaign actors' (faults_campaign_test.go).
	campaign *faultCampaign
	presses  []campaignPress
}

// linkupFault is what the fake Linkup does to one call.
type linkupFault struct {
	kind   string
	effect bool
	d      time.Duration
}

// linkupCall is one send-message call as the fake Linkup saw it.
type linkupCall struct {
	At        time.Time
	Token     string
	Text      string
	Recipient string
	Fault     string
	Effect    bool
	Status    int  // the answer's HTTP status; 0: none (timeout, reset)
	Delivered bool // the message went into the LinkedIn conversation
	URN       string
	ConvID    string
}

// readCall is one read (inbox or conversation) as the fake Linkup saw it.
type readCall struct {
	At     time.Time
	Path   string
	Count  int // total_results asked
	Token  string
	Fault  string
	Status int
}

// faultRequest is one request made to the bots: a send or a reply.
type faultRequest struct {
	Step       int
	Kind       string // command, modal, shortcut, global, reply
	User       string
	Text       string
	Recipient  string
	Key        string // the idempotency key it is recorded under
	EnvelopeID string
	Frame      []byte // the frame that carried it (a command), for a delivery again
	ViewID     string
	Metadata   string // the submitted view's private_metadata
	Account    string // the "Send as" choice
	Acked      bool
	Accepted   bool   // acked as taken (an empty ack)
	Ack        string // the ack's payload
}

// retryClick is one click of a Retry button.
type retryClick struct {
	Step   int
	User   string
	SendID int64
}

// unassignment is a user taken off a shared account at a step.
type unassignment struct {
	Step    int
	Account string
	User    string
}

func newFaultRun(t *testing.T, s schedule) *faultRun {
	fr := &faultRun{t: t, s: s, injected: map[string]int{}, tag: fmt.Sprintf("%d", s.Seed), procs: make([]*exec.Cmd, s.Setup.Replicas)}
	su := s.Setup
	fr.c = &children{
		env: &env{
			t:      t,
			slack:  fakeslack.New(fakeslack.Options{AppToken: appToken, BotToken: botToken, PingInterval: 200 * time.Millisecond, Sockets: su.Replicas}),
			linkup: fakelinkup.New(),
			logs:   &lockedBuffer{},
		},
		dataDir: t.TempDir(),
	}
	vars := map[string]string{
		"SLACK_APP_TOKEN": appToken, "SLACK_BOT_TOKEN": botToken, "SLACK_API_URL": fr.c.slack.APIURL(),
		"LINKUP_API_KEY": apiKey, "LINKUP_BASE_URL": fr.c.linkup.URL(),
		"NOTIFY_CHANNEL": notifyChannel, "DATA_DIR": fr.c.dataDir, "LOG_LEVEL": "debug",
		"ACCOUNTS_KEY": accountsKey, "DAILY_SEND_LIMIT": fmt.Sprint(su.DailyLimit), "READ_CREDITS_PER_DAY": fmt.Sprint(su.ReadCredits),
		"LINKUP_TIMEOUT": su.LinkupTimeout.String(), "SEND_CONCURRENCY": fmt.Sprint(su.Concurrency), "SHUTDOWN_TIMEOUT": "3s",
		"REPLY_POLL_INTERVAL": "1s", "REPLY_POLL_MAX": "1s", "UNKNOWN_CHECK_AFTER": "200ms",
		"CAMPAIGN_GAP_MIN": campaignGapMin.String(), "CAMPAIGN_GAP_MAX": campaignGapMax.String(), "CAMPAIGN_HOURS": "always",
	}
	if su.Default && !su.DefaultConnected {
		vars["LINKUP_LOGIN_TOKEN"] = loginToken
	}
	if su.SelfService {
		vars["ACCOUNT_SELF_SERVICE"] = "true"
	}
	if su.V2 {
		vars["LINKUP_API_VERSION"] = "v2"
	}
	if su.InvitesPerWeek > 0 {
		vars["INVITES_PER_WEEK"] = fmt.Sprint(su.InvitesPerWeek)
	}
	if su.Outsider != "" {
		vars["ALLOWED_USERS"] = strings.Join(su.Users, ",")
	}
	if *faultLease > 0 {
		vars["LEASE_DURATION"] = faultLease.String()
	}
	if su.Replicas == 2 {
		fr.dbURL = pgtest.Schema(t)
		vars["DATABASE_URL"] = fr.dbURL
		vars["LEASE_DURATION"] = "3s"
	}
	fr.c.vars = vars

	// LinkedIn: the mailboxes of every account, the logins, the clock.
	lk := fr.c.linkup
	lk.SetClockOffset(su.ClockOffset)
	for _, a := range su.Accounts {
		lk.AddLogin(fakelinkup.Login{Email: "cli-" + a.Name + "@example.com", Token: a.Token, Name: "Acct " + a.Name})
	}
	if su.DefaultConnected {
		lk.AddLogin(fakelinkup.Login{Email: "cli-default@example.com", Token: defaultStoredToken, Name: "Acct default"})
	}
	for _, l := range su.Logins {
		lk.AddLogin(fakelinkup.Login{Email: l.Email, Password: l.Password, Code: l.Code, Token: l.Token, Name: "Self " + l.User})
	}
	lk.SetAnswer(fr.answerSend)
	lk.SetInviteAnswer(fr.answerInvite)
	lk.SetReadAnswer(inboxPath, fr.answerRead(inboxPath))
	lk.SetReadAnswer(convPath, fr.answerRead(convPath))
	lk.SetReadAnswer(fakelinkup.InboxV2, fr.answerRead(inboxPath))
	lk.SetReadAnswer(fakelinkup.ConversationV2, fr.answerRead(convPath))
	for u, name := range su.DisplayNames {
		fr.c.slack.AddUser(u, name)
	}

	// The accounts the command line connected before the first start.
	for _, a := range su.Accounts {
		args := []string{"connect", "--name", a.Name, "--token-stdin"}
		for _, u := range a.Users {
			args = append(args, "--user", u)
		}
		if out, err := fr.accountsCmd(a.Token+"\n", args...); err != nil {
			t.Fatalf("accounts %v: %v\n%s", args, err, out)
		}
	}
	if su.DefaultConnected {
		if out, err := fr.accountsCmd(defaultStoredToken+"\n", "connect", "--name", "default", "--token-stdin"); err != nil {
			t.Fatalf("accounts connect --name default: %v\n%s", err, out)
		}
	}
	return fr
}

// accountsCmd runs `linkedin-bot accounts args…` on the schedule's log.
func (fr *faultRun) accountsCmd(stdin string, args ...string) (string, error) {
	var out strings.Builder
	vars := maps.Clone(fr.c.vars)
	err := accountsCmd(context.Background(), args, func(k string) string { return vars[k] }, strings.NewReader(stdin), &out, &out)
	return out.String(), err
}

func (fr *faultRun) close() {
	fr.unlockLog()
	for _, p := range fr.procs {
		if p != nil {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
	}
	if fr.view != nil {
		_ = fr.view.Close()
	}
	fr.c.slack.Close()
	fr.c.linkup.Close()
}

func (fr *faultRun) note(format string, args ...any) {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	fr.notes = append(fr.notes, fmt.Sprintf(format, args...))
}

func (fr *faultRun) count(kind string) {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	fr.injected[kind]++
}

// play runs the schedule: start, every step, then the end (faults
// lifted, every bot up, quiet, a clean stop).
func (fr *faultRun) play() {
	for rep := range fr.procs {
		fr.start(rep)
	}
	for i, st := range fr.s.Steps {
		time.Sleep(st.Pause)
		fr.step(i, st)
	}
	fr.settle()
}

// start runs replica rep as a child process and waits for its Socket Mode
// connection; a bot that does not connect is a problem of the run.
func (fr *faultRun) start(rep int) {
	if fr.procs[rep] != nil {
		return
	}
	if fr.dbURL == "" {
		fr.unlockLog() // the lock would keep the bot from opening its log
	}
	opens := fr.c.slack.Opens()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "LINKEDIN_BOT_CHILD=1")
	for k, v := range fr.c.vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stderr = fr.c.logs
	if err := cmd.Start(); err != nil {
		fr.problems = append(fr.problems, fmt.Sprintf("bot %d could not start: %v", rep, err))
		return
	}
	fr.procs[rep] = cmd
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := fakeslack.WaitFor(ctx, "the bot's connection", func() bool { return fr.c.slack.Opens() > opens && fr.c.slack.LiveSockets() >= fr.live() }); err != nil {
		fr.problems = append(fr.problems, fmt.Sprintf("bot %d did not connect: %v", rep, err))
	}
	fr.mu.Lock()
	fr.lastStart = time.Now()
	fr.mu.Unlock()
	fr.note("bot %d started", rep)
}

func (fr *faultRun) live() int {
	n := 0
	for _, p := range fr.procs {
		if p != nil {
			n++
		}
	}
	return n
}

// kill SIGKILLs replica rep, and waits until Slack saw its socket close.
func (fr *faultRun) kill(rep int) {
	p := fr.procs[rep]
	if p == nil {
		return
	}
	_ = p.Process.Kill()
	_ = p.Wait()
	fr.procs[rep] = nil
	fr.count("SIGKILL")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = fakeslack.WaitFor(ctx, "the socket closed", func() bool { return fr.c.slack.LiveSockets() <= fr.live() })
}

// term stops replica rep with SIGTERM; it must exit 0 within its shutdown time.
func (fr *faultRun) term(rep int) {
	p := fr.procs[rep]
	if p == nil {
		return
	}
	fr.procs[rep] = nil
	_ = p.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			fr.problems = append(fr.problems, fmt.Sprintf("bot %d did not stop cleanly on SIGTERM: %v", rep, err))
		}
	case <-time.After(waitFor):
		_ = p.Process.Kill()
		<-done
		fr.problems = append(fr.problems, fmt.Sprintf("bot %d did not stop within %s of SIGTERM", rep, waitFor))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = fakeslack.WaitFor(ctx, "the socket closed", func() bool { return fr.c.slack.LiveSockets() <= fr.live() })
}

// step plays one step.
func (fr *faultRun) step(i int, st step) {
	switch st.Kind {
	case stepSend:
		fr.send(i, st)
	case stepDuplicate:
		fr.duplicate(i, st)
	case stepRetry:
		fr.retry(i, st)
	case stepReply:
		fr.reply(i, st)
	case stepLinkedIn:
		fr.write(i, st.Ref, st.Texts)
	case stepBurst:
		for rep := range fr.procs {
			if st.Fault == burstKill {
				fr.kill(rep)
			} else {
				fr.term(rep)
			}
		}
		fr.count("burst of " + fmt.Sprint(len(st.Texts)) + "+ while down")
		fr.write(i, st.Ref, st.Texts)
		for rep := range fr.procs {
			fr.start(rep)
		}
	case stepConnect:
		if st.With == "" {
			fr.connect(i, st.User, st.N)
			return
		}
		var wg sync.WaitGroup
		for _, u := range []string{st.User, st.With} {
			wg.Go(func() { fr.connect(i, u, st.N) })
		}
		wg.Wait()
	case stepTamper:
		fr.tamper(i, st.Account, st.Text)
	case stepUnassign:
		if out, err := fr.accountsCmd("", "unassign", "--name", st.Account, "--user", st.User); err != nil {
			fr.note("step %d: unassign failed: %v %s", i, err, out)
			return
		}
		fr.unassigned = append(fr.unassigned, unassignment{Step: i, Account: st.Account, User: st.User})
		fr.note("step %d: %s taken off %s", i, st.User, st.Account)
	case stepKill:
		time.Sleep(st.D)
		fr.kill(st.Replica)
		fr.note("step %d: bot %d killed", i, st.Replica)
		if st.Restart {
			fr.start(st.Replica)
		}
	case stepStart:
		fr.start(st.Replica)
	case stepLinkup:
		fr.mu.Lock()
		for range st.N {
			f := linkupFault{kind: st.Fault, effect: st.Effect, d: st.D}
			switch st.Path {
			case pathSend:
				fr.sendQ = append(fr.sendQ, f)
			case pathInvite:
				fr.inviteQ = append(fr.inviteQ, f)
			default:
				fr.readQ = append(fr.readQ, f)
			}
		}
		fr.mu.Unlock()
	case stepSlack:
		fr.slackFault(st)
	case stepInvite, stepInviteCancel, stepInviteAccept, stepInviteNoNote:
		fr.inviteStep(i, st)
	case stepCampaign, stepCampaignPress:
		fr.campaignStep(i, st)
	case stepLock:
		fr.lock(i, st.D)
	case stepPause:
		time.Sleep(st.D)
	case stepHome:
		id, f := fr.frame("events-api-app-home-opened-docs.json", func(p map[string]any) {
			p["event"].(map[string]any)["user"] = st.User
		})
		_, _ = fr.deliver(id, f)
	}
}

// slackFault makes Slack fail as st says.
func (fr *faultRun) slackFault(st step) {
	sl := fr.c.slack
	switch st.Fault {
	case slackLose:
		sl.LoseAnswers("chat.postMessage", st.N)
	case slack5xx:
		sl.FailCalls("chat.postMessage", st.N)
	case slack429:
		sl.RateLimit("chat.postMessage", st.N)
	case slackRefuse:
		sl.FailPosts(salesChannel, st.Text)
	case slackAllow:
		sl.FailPosts(salesChannel, "")
		return
	case slackSlow:
		sl.DelayPosts(st.D)
	}
	fr.count("slack " + st.Fault)
}

// lock holds the log's write lock from another process for d.
func (fr *faultRun) lock(i int, d time.Duration) {
	fr.mu.Lock()
	held := fr.release != nil
	fr.mu.Unlock()
	if held {
		return
	}
	ctx := context.Background()
	var release func()
	if fr.dbURL != "" {
		conn, err := pgx.Connect(ctx, fr.dbURL)
		if err != nil {
			fr.note("step %d: lock failed: %v", i, err)
			return
		}
		tx, err := conn.Begin(ctx)
		if err == nil {
			_, err = tx.Exec(ctx, "LOCK TABLE sends IN EXCLUSIVE MODE")
		}
		if err != nil {
			fr.note("step %d: lock failed: %v", i, err)
			_ = conn.Close(ctx)
			return
		}
		release = func() {
			_ = tx.Rollback(ctx)
			_ = conn.Close(ctx)
		}
	} else {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(fr.c.dataDir, store.FileName)+"?_pragma=busy_timeout(5000)")
		if err != nil {
			fr.note("step %d: lock failed: %v", i, err)
			return
		}
		conn, err := db.Conn(ctx)
		if err == nil {
			_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
		}
		if err != nil {
			fr.note("step %d: lock failed: %v", i, err)
			_ = db.Close()
			return
		}
		release = func() {
			_, _ = conn.ExecContext(ctx, "ROLLBACK")
			_ = conn.Close()
			_ = db.Close()
		}
	}
	var once sync.Once
	r := func() {
		once.Do(func() {
			release()
			fr.mu.Lock()
			fr.release = nil
			fr.mu.Unlock()
		})
	}
	fr.mu.Lock()
	fr.release = r
	fr.mu.Unlock()
	time.AfterFunc(d, r)
	fr.count("log locked")
	fr.note("step %d: log locked for %s", i, d)
}

// unlockLog ends the lock of the log, if one is held.
func (fr *faultRun) unlockLog() {
	fr.mu.Lock()
	r := fr.release
	fr.mu.Unlock()
	if r != nil {
		r()
	}
}

// ackWait is how long a request waits for its ack: the bot's budget is 2 s.
const ackWait = 3 * time.Second

// deliver writes a frame to a bot and waits for its ack; ok is false when
// no bot took it (none connected, or killed before it acked).
func (fr *faultRun) deliver(id string, frame []byte) (fakeslack.Ack, bool) {
	if err := fr.c.slack.SendFrame(frame); err != nil {
		return fakeslack.Ack{}, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), ackWait)
	defer cancel()
	a, err := fr.c.slack.WaitAck(ctx, id)
	return a, err == nil
}

// frame builds a frame from a golden one, its envelope ID unique.
func (fr *faultRun) frame(name string, mutate func(p map[string]any)) (string, []byte) {
	return fr.c.frame(name, mutate)
}

func (fr *faultRun) trigger(i int) string { return fmt.Sprintf("trigger-%s-%d", fr.tag, i) }

// opened waits for the views.open of trigger and returns its view.
func (fr *faultRun) opened(trigger string) (map[string]any, bool) {
	var view map[string]any
	ctx, cancel := context.WithTimeout(context.Background(), ackWait)
	defer cancel()
	err := fakeslack.WaitFor(ctx, "views.open", func() bool {
		for _, c := range fr.c.slack.Calls("views.open") {
			var req struct {
				TriggerID string         `json:"trigger_id"`
				View      map[string]any `json:"view"`
			}
			if json.Unmarshal(c.JSON, &req) == nil && req.TriggerID == trigger {
				view = req.View
				return true
			}
		}
		return false
	})
	return view, err == nil
}

// command is a /linkedin-send frame (Slack's documented slash command
// payload) from user in the sales channel, with text, its response_url
// named hook and trigger; it returns the envelope's ID and the frame.
func (fr *faultRun) command(user, text, hook, trigger string) (string, []byte) {
	return fr.frame("a1-slash-command-docs.json", func(p map[string]any) {
		p["command"] = "/linkedin-send"
		p["text"] = text
		p["channel_id"] = salesChannel
		p["user_id"] = user
		p["response_url"] = fr.c.slack.ResponseURL(hook)
		p["trigger_id"] = trigger
	})
}

// send makes the request of step i.
func (fr *faultRun) send(i int, st step) {
	req := &faultRequest{Step: i, Kind: st.Via, User: st.User, Text: st.Text, Recipient: st.Recipient, Account: st.Account}
	fr.reqs = append(fr.reqs, req)
	if st.Via == viaCommand {
		id, f := fr.command(st.User, st.Recipient+" "+st.Text, fmt.Sprintf("s%s-%d", fr.tag, i), fr.trigger(i))
		req.EnvelopeID, req.Frame, req.Key = id, f, store.IdemKey("envelope", id)
		a, ok := fr.deliver(id, f)
		fr.acked(req, a, ok)
		return
	}
	// The form: opened by the command, the global shortcut or the message shortcut.
	var id string
	var f []byte
	switch st.Via {
	case viaModal:
		id, f = fr.command(st.User, "", fmt.Sprintf("s%s-%d", fr.tag, i), fr.trigger(i))
	case viaGlobal:
		id, f = fr.frame("c2-global-shortcut-docs.json", func(p map[string]any) {
			p["callback_id"] = "linkedin_send"
			p["user"] = map[string]any{"id": st.User, "username": strings.ToLower(st.User)}
			p["trigger_id"] = fr.trigger(i)
		})
	case viaShortcut:
		id, f = fr.frame("b2-message-action-with-files.json", func(p map[string]any) {
			p["callback_id"] = "linkedin_send_message"
			p["channel"] = map[string]any{"id": salesChannel, "name": "sales"}
			p["user"] = map[string]any{"id": st.User, "name": strings.ToLower(st.User)}
			p["response_url"] = fr.c.slack.ResponseURL(fmt.Sprintf("s%s-%d", fr.tag, i))
			p["trigger_id"] = fr.trigger(i)
			msg := p["message"].(map[string]any)
			msg["text"], msg["ts"] = st.Text, fmt.Sprintf("1700000%03d.000100", i)
			delete(msg, "files")
			delete(msg, "blocks")
		})
	}
	if _, ok := fr.deliver(id, f); !ok {
		fr.note("step %d: the form's request was not acked", i)
		return
	}
	view, ok := fr.opened(fr.trigger(i))
	if !ok {
		fr.note("step %d: the form did not open", i)
		return
	}
	req.ViewID = fmt.Sprintf("VF%sS%02d", fr.tag, i)
	req.Metadata, _ = view["private_metadata"].(string)
	req.Key = store.IdemKey("view", req.ViewID)
	fr.submit(req)
}

// submit submits req's form (again, for a repeat).
func (fr *faultRun) submit(req *faultRequest) {
	id, f := fr.frame("d1-view-submission-docs.json", func(p map[string]any) {
		view := p["view"].(map[string]any)
		view["id"], view["hash"] = req.ViewID, "hash-"+req.ViewID
		view["callback_id"] = "linkedin_send_modal"
		view["private_metadata"] = req.Metadata
		values := map[string]any{"message": map[string]any{"message": map[string]any{"type": "plain_text_input", "value": req.Text}}}
		if req.Kind != "reply" {
			values["recipient"] = map[string]any{"recipient": map[string]any{"type": "plain_text_input", "value": req.Recipient}}
		}
		if req.Account != "" {
			values["account"] = map[string]any{"account": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": req.Account}}}
		}
		view["state"] = map[string]any{"values": values}
		p["user"] = map[string]any{"id": req.User, "username": strings.ToLower(req.User)}
	})
	if req.EnvelopeID == "" {
		req.EnvelopeID = id
	}
	a, ok := fr.deliver(id, f)
	if !req.Acked {
		fr.acked(req, a, ok)
	}
}

// acked records a request's ack.
func (fr *faultRun) acked(req *faultRequest, a fakeslack.Ack, ok bool) {
	req.Acked = ok
	req.Ack = string(a.Payload)
	req.Accepted = ok && len(a.Payload) == 0
	what := "not acked"
	switch {
	case req.Accepted:
		what = "accepted"
	case ok:
		what = "refused: " + brief(req.Ack)
	}
	fr.note("step %d: %s's %s request %s", req.Step, req.User, req.Kind, what)
}

// duplicate delivers the request of step st.Ref again.
func (fr *faultRun) duplicate(i int, st step) {
	req := fr.request(st.Ref)
	if req == nil || req.EnvelopeID == "" {
		fr.note("step %d: nothing to deliver again", i)
		return
	}
	fr.count("duplicate " + st.Via)
	if req.Frame != nil {
		_, _ = fr.deliver(req.EnvelopeID, req.Frame) // the same envelope: its ack is the first one's
		return
	}
	if req.ViewID != "" {
		fr.submit(req)
	}
}

// request is the request made at step.
func (fr *faultRun) request(step int) *faultRequest {
	for _, r := range fr.reqs {
		if r.Step == step {
			return r
		}
	}
	return nil
}

// logView opens the log for reading, once a bot created it.
func (fr *faultRun) logView() *store.Store {
	if fr.view != nil {
		return fr.view
	}
	st, err := store.OpenAtReadOnly(context.Background(), store.Where{Dir: fr.c.dataDir, URL: fr.dbURL})
	if err != nil {
		fr.note("reading the log: %v", err)
		return nil
	}
	fr.view = st
	return st
}

// sendOf is the latest send of the request of step: its retries included.
func (fr *faultRun) sendOf(step int) (store.Send, bool) {
	req := fr.request(step)
	v := fr.logView()
	if req == nil || req.Key == "" || v == nil {
		return store.Send{}, false
	}
	sends, err := v.List(context.Background(), store.Filter{})
	if err != nil {
		return store.Send{}, false
	}
	var found store.Send
	for _, sd := range sends {
		if sd.IdemKey == req.Key || found.ID != 0 && sd.RetryOf == found.ID {
			found = sd
		}
	}
	return found, found.ID != 0
}

// retry clicks Retry on the latest send of step st.Ref, as st.User, once
// it ended (the button comes with its outcome).
func (fr *faultRun) retry(i int, st step) {
	sd, ok := fr.sendOf(st.Ref)
	if !ok {
		fr.note("step %d: no send to retry", i)
		return
	}
	_ = poll(fr.s.Setup.LinkupTimeout+2*time.Second, func() bool {
		sd, _ = fr.sendOf(st.Ref)
		return sd.State.Final()
	})
	for range st.N {
		id, f := fr.frame("e1-block-actions-docs-message.json", func(p map[string]any) {
			p["user"] = map[string]any{"id": st.User, "username": strings.ToLower(st.User)}
			p["channel"] = map[string]any{"id": salesChannel, "name": "sales"}
			p["response_url"] = fr.c.slack.ResponseURL(fmt.Sprintf("c%s-%d", fr.tag, i))
			p["trigger_id"] = fr.trigger(i)
			p["actions"] = []any{map[string]any{"action_id": "retry_send", "block_id": "retry", "value": fmt.Sprint(sd.ID), "type": "button", "action_ts": "1"}}
		})
		fr.clicks = append(fr.clicks, retryClick{Step: i, User: st.User, SendID: sd.ID})
		_, ok := fr.deliver(id, f)
		fr.note("step %d: %s clicked Retry on send %d (%s, requested by %s): acked %v", i, st.User, sd.ID, sd.State, sd.Requester, ok)
	}
}

// reply clicks Reply on LinkedIn in the thread of step st.Ref's send, as
// st.User, and submits the form that opens st.N times.
func (fr *faultRun) reply(i int, st step) {
	sd, ok := fr.sendOf(st.Ref)
	v := fr.logView()
	if !ok || v == nil || sd.RootChannel == "" {
		fr.note("step %d: no thread to reply in", i)
		return
	}
	// The button comes with the thread's mirrored conversation.
	var c store.Conversation
	if !poll(ackWait, func() bool {
		var err error
		c, err = v.ConversationByThread(context.Background(), sd.RootChannel, sd.Thread())
		return err == nil && c.ID != 0
	}) {
		fr.note("step %d: the thread has no mirrored conversation", i)
		return
	}
	id, f := fr.frame("e1-block-actions-docs-message.json", func(p map[string]any) {
		p["user"] = map[string]any{"id": st.User, "username": strings.ToLower(st.User)}
		p["channel"] = map[string]any{"id": c.Channel, "name": "sales"}
		p["response_url"] = fr.c.slack.ResponseURL(fmt.Sprintf("c%s-%d", fr.tag, i))
		p["trigger_id"] = fr.trigger(i)
		p["actions"] = []any{map[string]any{"action_id": "reply_linkedin", "block_id": "reply", "value": fmt.Sprint(c.ID), "type": "button", "action_ts": "1"}}
	})
	if _, ok := fr.deliver(id, f); !ok {
		fr.note("step %d: the Reply click was not acked", i)
		return
	}
	view, ok := fr.opened(fr.trigger(i))
	if !ok {
		fr.note("step %d: the reply form did not open for %s", i, st.User)
		return
	}
	req := &faultRequest{Step: i, Kind: "reply", User: st.User, Text: st.Text, Recipient: c.ProfileURL, ViewID: fmt.Sprintf("VR%sS%02d", fr.tag, i)}
	req.Metadata, _ = view["private_metadata"].(string)
	req.Key = store.IdemKey("view", req.ViewID)
	fr.reqs = append(fr.reqs, req)
	for n := range st.N {
		if n > 0 {
			fr.count("duplicate reply submission")
		}
		fr.submit(req)
	}
}

// write has the recipient of step ref's conversation write texts on
// LinkedIn, in the mailbox the request's message went to.
func (fr *faultRun) write(i, ref int, texts []string) {
	req := fr.request(ref)
	if req == nil {
		fr.note("step %d: no request at step %d", i, ref)
		return
	}
	fr.mu.Lock()
	token, found := "", false
	for _, c := range fr.calls {
		if c.Delivered && c.Text == req.Text {
			token, found = c.Token, true
			break
		}
	}
	fr.mu.Unlock()
	if !found {
		fr.note("step %d: the message of step %d is not on LinkedIn: nobody replies", i, ref)
		return
	}
	for _, text := range texts {
		fr.c.linkup.ReplyIn(token, req.Recipient, text)
		time.Sleep(2 * time.Millisecond) // distinct times, in milliseconds
	}
	fr.mu.Lock()
	fr.lastWrite = time.Now()
	fr.mu.Unlock()
	fr.note("step %d: %d LinkedIn message(s) written to the conversation of step %d", i, len(texts), ref)
}

// connect runs the self-service connect form as user: the command, the
// form (submitted n times), and the code when LinkedIn asks for one.
func (fr *faultRun) connect(i int, user string, n int) {
	var login selfLogin
	for _, l := range fr.s.Setup.Logins {
		if l.User == user {
			login = l
		}
	}
	trigger := fr.trigger(i) + "-" + user
	id, f := fr.command(user, "connect", fmt.Sprintf("k%s-%d-%s", fr.tag, i, user), trigger)
	if _, ok := fr.deliver(id, f); !ok {
		fr.note("step %d: connect was not acked", i)
		return
	}
	form, ok := fr.opened(trigger)
	if !ok {
		fr.note("step %d: the connect form did not open", i)
		return
	}
	viewID := fmt.Sprintf("VC%sS%02d%s", fr.tag, i, user)
	md, _ := form["private_metadata"].(string)
	submit := func(hash, md string, values map[string]string) {
		id, f := fr.frame("d1-view-submission-docs.json", func(p map[string]any) {
			view := p["view"].(map[string]any)
			view["id"], view["hash"], view["callback_id"], view["private_metadata"] = viewID, hash, "linkedin_connect", md
			state := map[string]any{}
			for block, v := range values {
				el := map[string]any{"type": "plain_text_input", "value": v}
				if block == "country" {
					el = map[string]any{"type": "static_select", "selected_option": map[string]any{"value": v}}
				}
				state[block] = map[string]any{block: el}
			}
			view["state"] = map[string]any{"values": state}
			p["user"] = map[string]any{"id": user, "username": strings.ToLower(user), "name": strings.ToLower(user)}
		})
		_, _ = fr.deliver(id, f)
	}
	updates := func() []map[string]any {
		var out []map[string]any
		for _, c := range fr.c.slack.Calls("views.update") {
			var req struct {
				ViewID string         `json:"view_id"`
				View   map[string]any `json:"view"`
			}
			if json.Unmarshal(c.JSON, &req) == nil && req.ViewID == viewID {
				out = append(out, req.View)
			}
		}
		return out
	}
	waitUpdate := func(n int) (map[string]any, bool) {
		ctx, cancel := context.WithTimeout(context.Background(), ackWait)
		defer cancel()
		if fakeslack.WaitFor(ctx, "views.update", func() bool { return len(updates()) >= n }) != nil {
			return nil, false
		}
		return updates()[n-1], true
	}
	for range n {
		submit("h1", md, map[string]string{"email": login.Email, "password": login.Password, "country": "FR"})
	}
	v, ok := waitUpdate(1)
	if !ok {
		fr.note("step %d: connecting gave no answer", i)
		return
	}
	if strings.Contains(viewText(v), `"block_id":"code"`) {
		md, _ := v["private_metadata"].(string)
		submit("h2", md, map[string]string{"code": login.Code})
		if v, ok = waitUpdate(2); !ok {
			fr.note("step %d: the code gave no answer", i)
			return
		}
	}
	fr.note("step %d: %s connected from Slack: %s", i, user, brief(viewText(v)))
}

// tamper copies account from's sealed token into account to's row, as
// someone who can write the log (or restores a backup) would.
func (fr *faultRun) tamper(i int, to, from string) {
	ctx := context.Background()
	q := "UPDATE accounts SET token = (SELECT token FROM accounts WHERE name = $1) WHERE name = $2"
	var err error
	if fr.dbURL != "" {
		var conn *pgx.Conn
		if conn, err = pgx.Connect(ctx, fr.dbURL); err == nil {
			_, err = conn.Exec(ctx, q, from, to)
			_ = conn.Close(ctx)
		}
	} else {
		var db *sql.DB
		if db, err = sql.Open("sqlite", "file:"+filepath.Join(fr.c.dataDir, store.FileName)+"?_pragma=busy_timeout(5000)"); err == nil {
			_, err = db.ExecContext(ctx, strings.NewReplacer("$1", "?1", "$2", "?2").Replace(q), from, to)
			_ = db.Close()
		}
	}
	if err != nil {
		fr.note("step %d: tampering failed: %v", i, err)
		return
	}
	fr.count("sealed token copied to another account")
	fr.mu.Lock()
	fr.lastWrite = time.Now() // the bridge tells it at its next poll: the end waits for two
	fr.mu.Unlock()
	fr.note("step %d: account %s now holds the sealed token of %s", i, to, from)
}

// answerSend is the fake Linkup's answer to a send: the next fault, if any.
func (fr *faultRun) answerSend(w http.ResponseWriter, r *http.Request, req fakelinkup.Request) {
	fr.mu.Lock()
	var f linkupFault
	if len(fr.sendQ) > 0 {
		f, fr.sendQ = fr.sendQ[0], fr.sendQ[1:]
	}
	if _, accepted := fr.accepted[req.Body.LinkedInURL]; f.kind == "" && invitee(req.Body.LinkedInURL) && !accepted {
		f.kind = faultRefuse // not a connection yet: the invitation actors' (faults_invite_test.go)
	}
	token := req.Body.LoginToken
	if req.AccountID != "" {
		token = fr.tokenOf(req.AccountID)
	}
	n := len(fr.calls)
	fr.calls = append(fr.calls, linkupCall{At: time.Now(), Token: token, Text: req.Body.MessageText, Recipient: req.Body.LinkedInURL, Fault: f.kind, Effect: f.effect})
	fr.inFlight++
	if f.kind != "" {
		kind := "linkup send " + f.kind
		if f.effect {
			kind += " (delivered)"
		}
		fr.injected[kind]++
	}
	fr.mu.Unlock()
	status := 0
	defer func() {
		fr.mu.Lock()
		fr.calls[n].Status = status
		fr.inFlight--
		fr.mu.Unlock()
	}()
	deliver := func() {
		m, id := fr.c.linkup.Record(req)
		fr.mu.Lock()
		fr.calls[n].Delivered, fr.calls[n].URN, fr.calls[n].ConvID = true, m.URN, id
		fr.mu.Unlock()
	}
	answer := func(code int, body string) {
		status = code
		fakelinkup.Reply(w, code, body)
	}
	switch f.kind {
	case faultSlow:
		select {
		case <-time.After(f.d):
		case <-r.Context().Done():
		}
		fallthrough
	case "":
		deliver()
		fr.mu.Lock()
		urn, id := fr.calls[n].URN, fr.calls[n].ConvID
		fr.mu.Unlock()
		if req.AccountID != "" {
			data, _ := json.Marshal(map[string]any{"success": true, "data": map[string]any{"entityUrn": urn, "conversation_id": id, "deliveredAt": time.Now().UTC().Format(time.RFC3339Nano)},
				"metadata": map[string]any{"action": "send", "account_id": req.AccountID, "credits_consumed": 1, "timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000000")}})
			answer(http.StatusOK, string(data))
			return
		}
		data, _ := json.Marshal(map[string]any{"entityUrn": urn, "conversation_id": id, "deliveredAt": time.Now().UnixMilli()})
		answer(http.StatusOK, `{"status":"success","message":"Message sent successfully","data":`+string(data)+`}`)
	case faultRefuse:
		if req.AccountID != "" {
			status = http.StatusBadRequest
			fakelinkup.ReplyV2Error(w, status, "INVALID_PARAMS", "Cannot message this member")
			return
		}
		answer(http.StatusBadRequest, `{"status":"error","message":"Error while sending message"}`)
	case fault429:
		w.Header().Set("Retry-After", "1")
		if req.AccountID != "" {
			status = http.StatusTooManyRequests
			fakelinkup.ReplyV2Error(w, status, "RATE_LIMITED", "API Rate limit exceeded")
			return
		}
		answer(http.StatusTooManyRequests, `{"message":"API Rate limit exceeded"}`)
	case fault5xx:
		if f.effect {
			deliver()
		}
		answer([]int{502, 503, 504}[n%3], `<html>Bad Gateway</html>`)
	case faultTimeout:
		if f.effect {
			deliver()
		}
		<-r.Context().Done()
	case faultReset:
		if f.effect {
			deliver()
		}
		hangUp(w)
	}
}

// answerRead is the fake Linkup's answer to a read on path: the next
// read fault, if any; else its own.
func (fr *faultRun) answerRead(path string) fakelinkup.ReadAnswer {
	return func(w http.ResponseWriter, body map[string]any) bool {
		fr.mu.Lock()
		var f linkupFault
		if len(fr.readQ) > 0 {
			f, fr.readQ = fr.readQ[0], fr.readQ[1:]
		}
		token, _ := body["login_token"].(string)
		count := 10
		if n, ok := body["total_results"].(float64); ok {
			count = int(n)
		}
		if id, ok := body["account_id"].(string); ok { // v2
			token = fr.tokenOf(id)
			if p, ok := body["params"].(map[string]any); ok {
				if n, ok := p["count"].(float64); ok {
					count = int(n)
				}
			}
		}
		n := len(fr.reads)
		fr.reads = append(fr.reads, readCall{At: time.Now(), Path: path, Count: count, Token: token, Fault: f.kind, Status: http.StatusOK})
		if f.kind != "" {
			fr.injected["linkup read "+f.kind]++
		}
		fr.mu.Unlock()
		setStatus := func(code int) {
			fr.mu.Lock()
			fr.reads[n].Status = code
			fr.mu.Unlock()
		}
		switch f.kind {
		case faultSlow:
			time.Sleep(f.d)
		case fault429:
			setStatus(http.StatusTooManyRequests)
			w.Header().Set("Retry-After", "1")
			if _, v2 := body["account_id"]; v2 {
				fakelinkup.ReplyV2Error(w, http.StatusTooManyRequests, "RATE_LIMITED", "API Rate limit exceeded")
				return true
			}
			fakelinkup.Reply(w, http.StatusTooManyRequests, `{"message":"API Rate limit exceeded"}`)
			return true
		case fault5xx:
			setStatus(http.StatusServiceUnavailable)
			fakelinkup.Reply(w, http.StatusServiceUnavailable, `<html>Service Unavailable</html>`)
			return true
		case faultTimeout:
			setStatus(0)
			time.Sleep(fr.s.Setup.LinkupTimeout + 200*time.Millisecond)
			return true
		case faultReset:
			setStatus(0)
			hangUp(w)
			return true
		}
		return false
	}
}

// tokenOf is the login token whose mailbox v2 account id is: the
// invariants name accounts by token, whichever API version called.
func (fr *faultRun) tokenOf(id string) string {
	tokens := []string{loginToken, defaultStoredToken}
	for _, a := range fr.s.Setup.Accounts {
		tokens = append(tokens, a.Token)
	}
	for _, l := range fr.s.Setup.Logins {
		tokens = append(tokens, l.Token)
	}
	for _, t := range tokens {
		if fr.c.linkup.AccountID(t) == id {
			return t
		}
	}
	return "account_id " + id
}

// hangUp cuts the connection without an answer.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
		}
	}
}

// quietFor is how long nothing may have happened before the bots count
// as quiet: two polls of the reply bridge.
const quietFor = 2500 * time.Millisecond

// settle ends the schedule: the faults are lifted, every bot runs, and
// once the log says nothing is left to do, the bots stop cleanly.
func (fr *faultRun) settle() {
	fr.mu.Lock()
	left := len(fr.sendQ) + len(fr.readQ) + len(fr.inviteQ)
	fr.sendQ, fr.readQ, fr.inviteQ = nil, nil, nil
	fr.mu.Unlock()
	if left > 0 {
		fr.note("end: %d Linkup faults were never used", left)
	}
	fr.unlockLog()
	fr.c.slack.FailPosts(salesChannel, "")
	fr.c.slack.DelayPosts(0)
	fr.c.slack.LoseAnswers("chat.postMessage", 0)
	fr.c.slack.FailCalls("chat.postMessage", 0)
	fr.c.slack.RateLimit("chat.postMessage", 0)
	for rep := range fr.procs {
		fr.start(rep)
	}
	limit := 12 * time.Second
	if fr.dbURL != "" {
		limit = 20 * time.Second // a dead bot's leases end first
	}
	if !poll(limit, fr.quiet) {
		why, owedOnly := fr.busy()
		fr.note("end: not quiet after %s: %s", limit, why)
		if owedOnly {
			// Posts that failed are made again every minute, and at a
			// start: the bots start again rather than wait a minute.
			fr.count("restart at the end for owed posts")
			fr.note("end: every bot starts again, to make the owed posts")
			for rep := range fr.procs {
				fr.term(rep)
			}
			for rep := range fr.procs {
				fr.start(rep)
			}
			if !poll(limit, fr.quiet) {
				why, _ := fr.busy()
				fr.note("end: still not quiet: %s", why)
			}
		}
	}
	for rep := range fr.procs {
		fr.term(rep)
	}
}

// poll checks cond every 100 ms (it reads the log) until it holds, for
// at most limit; it reports whether it held.
func poll(limit time.Duration, cond func() bool) bool {
	end := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(end) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}

// quiet reports whether nothing is left to do: every send ended and told,
// every unknown one checked, every LinkedIn message posted, and nothing
// happened for two polls.
func (fr *faultRun) quiet() bool {
	why, _ := fr.busy()
	return why == ""
}

// busy says what keeps the bots from being quiet; empty when nothing
// does. owedOnly is set when all that is left is posts the bots owe (an
// outcome, a verdict, a LinkedIn message whose post failed): they make
// those every minute, and at once at a start.
func (fr *faultRun) busy() (why string, owedOnly bool) {
	fr.mu.Lock()
	last := fr.lastStart
	if fr.lastWrite.After(last) {
		last = fr.lastWrite
	}
	since := time.Since(last)
	inFlight := fr.inFlight
	fr.mu.Unlock()
	if since < quietFor || inFlight > 0 {
		return "LinkedIn messages or a start too recent, or a Linkup call in flight", false
	}
	v := fr.logView()
	if v == nil {
		return "no log", false
	}
	ctx := context.Background()
	sends, err := v.List(ctx, store.Filter{})
	if err != nil {
		return err.Error(), false
	}
	// Every message written to a watched conversation is in Slack (I3's
	// own test of it), or the bots are still at work.
	fr.mu.Lock()
	w := &faultWorld{s: fr.s, calls: slices.Clone(fr.calls), reads: slices.Clone(fr.reads), sends: sends,
		mailboxes: fr.c.linkup.Mailboxes(), posts: fr.c.slack.Posts()}
	fr.mu.Unlock()
	unread := ""
	for _, v := range checkEveryMessageOnceInOrder(w) {
		if strings.Contains(v, "never reached its thread") || strings.Contains(v, "nobody was told") {
			unread = v
		}
	}
	var owed []string
	for _, sd := range sends {
		if !sd.State.Final() {
			return fmt.Sprintf("send %d is %s", sd.ID, sd.State), false
		}
		if sd.Owed() {
			owed = append(owed, fmt.Sprintf("send %d (%s %s) owes posts", sd.ID, sd.State, sd.Verdict))
		}
	}
	if why := fr.campaignsBusy(); why != "" {
		return why, false
	}
	if why := fr.invitesBusy(sends); why != "" {
		return why, strings.Contains(why, " told ")
	}
	if unknown, err := v.ToCheck(ctx, 3); err != nil || len(unknown) > 0 && !fr.readCapped() {
		return fmt.Sprintf("%d unknown sends to check", len(unknown)), false
	}
	msgs, err := v.OwedMessages(ctx)
	if err != nil {
		return err.Error(), false
	}
	if len(msgs) > 0 {
		owed = append(owed, fmt.Sprintf("%d LinkedIn messages owe their posts", len(msgs)))
	}
	switch {
	case unread != "" && len(msgs) == 0:
		return unread, false
	case unread != "":
		// The messages not in Slack are owed posts (Slack failed them):
		// a start makes them at once (seed 1365: three 503s). One the
		// bot does not owe stays missing after the start, and I3 says so.
		return unread + "; " + strings.Join(owed, "; "), true
	case len(owed) > 0:
		return strings.Join(owed, "; "), true
	}
	return "", false
}

// readCapped reports whether the day's read credits are (nearly) spent.
func (fr *faultRun) readCapped() bool {
	fr.mu.Lock()
	reads := slices.Clone(fr.reads)
	fr.mu.Unlock()
	return readCost(reads) >= fr.s.Setup.ReadCredits-readPageCost
}

// world gathers everything that happened, once the bots stopped.
func (fr *faultRun) world() *faultWorld {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	sl, lk := fr.c.slack, fr.c.linkup
	w := &faultWorld{
		s: fr.s, reqs: slices.Clone(fr.reqs), clicks: slices.Clone(fr.clicks), unassigned: slices.Clone(fr.unassigned),
		calls: slices.Clone(fr.calls), reads: slices.Clone(fr.reads), mailboxes: lk.Mailboxes(),
		posts: sl.Posts(), slackCalls: sl.Calls(""), hooks: sl.Hooks(), responseURLs: sl.IssuedResponseURLs(),
		logs: fr.c.logs.String(), defaultToken: "",
		inviteCalls: slices.Clone(fr.inviteCalls), invites: slices.Clone(fr.invites), cancels: slices.Clone(fr.cancels), noNotes: slices.Clone(fr.noNotes), acceptedLive: slices.Clone(fr.acceptedLive), accepted: maps.Clone(fr.accepted),
		campaign: fr.campaign, presses: slices.Clone(fr.presses), campaignRows: map[int64][]store.CampaignRow{},
	}
	switch {
	case fr.s.Setup.DefaultConnected:
		w.defaultToken = defaultStoredToken
	case fr.s.Setup.Default:
		w.defaultToken = loginToken
	}
	w.secrets = []string{appToken, botToken, apiKey, loginToken, accountsKey, defaultStoredToken}
	for _, a := range fr.s.Setup.Accounts {
		w.secrets = append(w.secrets, a.Token)
	}
	for _, l := range fr.s.Setup.Logins {
		w.secrets = append(w.secrets, l.Token, l.Password)
		if l.Code != "" {
			w.secrets = append(w.secrets, l.Code)
		}
	}
	ctx := context.Background()
	if fr.view != nil {
		_ = fr.view.Close()
		fr.view = nil
	}
	st, err := store.OpenAtReadOnly(ctx, store.Where{Dir: fr.c.dataDir, URL: fr.dbURL})
	if err != nil {
		fr.problems = append(fr.problems, "reading the log at the end: "+err.Error())
		return w
	}
	defer st.Close()
	if w.sends, err = st.List(ctx, store.Filter{}); err != nil {
		fr.problems = append(fr.problems, "reading the sends: "+err.Error())
	}
	for i, sd := range w.sends { // the log keeps response_urls sealed: the checks read them open
		if u, ok := sealer().Open(sd.ResponseURL, sd.IdemKey); ok {
			w.sends[i].ResponseURL = u
		}
	}
	if w.convs, err = st.Watched(ctx, time.Time{}); err != nil {
		fr.problems = append(fr.problems, "reading the conversations: "+err.Error())
	}
	if w.invitations, err = st.ListInvitations(ctx, time.Time{}); err != nil {
		fr.problems = append(fr.problems, "reading the invitations: "+err.Error())
	}
	if w.campaigns, err = st.Campaigns(ctx, ""); err != nil {
		fr.problems = append(fr.problems, "reading the campaigns: "+err.Error())
	}
	for _, c := range w.campaigns {
		if w.campaignRows[c.ID], err = st.CampaignRows(ctx, c.ID); err != nil {
			fr.problems = append(fr.problems, "reading a campaign's rows: "+err.Error())
		}
	}
	w.storeDump = fr.dump(ctx)
	as, err := st.Accounts(ctx)
	if err != nil {
		fr.problems = append(fr.problems, "reading the accounts: "+err.Error())
	}
	svc, err := account.New(ctx, st, account.Config{Key: accountsKey})
	if err != nil {
		fr.problems = append(fr.problems, "opening the accounts: "+err.Error())
		return w
	}
	for _, a := range as {
		sess, _ := svc.Session(ctx, a.Name)
		w.accounts = append(w.accounts, storedAccount{Name: a.Name, Users: a.Users, Token: sess.Token})
	}
	return w
}

// dump is every byte of the log: SQLite's files, or every row of every
// table of the PostgreSQL schema as text.
func (fr *faultRun) dump(ctx context.Context) []byte {
	var out []byte
	if fr.dbURL == "" {
		entries, _ := os.ReadDir(fr.c.dataDir)
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(fr.c.dataDir, e.Name()))
			if err == nil {
				out = append(out, b...)
			}
		}
		return out
	}
	conn, err := pgx.Connect(ctx, fr.dbURL)
	if err != nil {
		fr.problems = append(fr.problems, "dumping the database: "+err.Error())
		return nil
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
	if err != nil {
		fr.problems = append(fr.problems, "dumping the database: "+err.Error())
		return nil
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		fr.problems = append(fr.problems, "dumping the database: "+err.Error())
		return nil
	}
	for _, table := range tables {
		rows, err := conn.Query(ctx, "SELECT t::text FROM "+pgx.Identifier{table}.Sanitize()+" t")
		if err != nil {
			continue
		}
		texts, _ := pgx.CollectRows(rows, pgx.RowTo[string])
		for _, s := range texts {
			out = append(out, s...)
			out = append(out, '\n')
		}
	}
	return out
}

// faultTally adds up the figures of a run of schedules.
type faultTally struct {
	mu         sync.Mutex
	schedules  map[string]int // by store
	skipped    int
	steps      int
	faults     map[string]int
	violations map[string]int // by invariant
	failing    map[string][]int64
}

func newFaultTally() *faultTally {
	return &faultTally{schedules: map[string]int{}, faults: map[string]int{}, violations: map[string]int{}, failing: map[string][]int64{}}
}

func (ft *faultTally) skip() {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	ft.skipped++
}

func (ft *faultTally) add(s schedule, injected map[string]int, found map[string][]string) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	kind := "SQLite"
	if s.Setup.Replicas == 2 {
		kind = "PostgreSQL (two bots)"
	}
	ft.schedules[kind]++
	ft.steps += len(s.Steps)
	for k, n := range injected {
		ft.faults[k] += n
	}
	if s.Setup.ClockOffset != 0 {
		ft.faults["LinkedIn clock skew"]++
	}
	for inv, vs := range found {
		if len(vs) > 0 {
			ft.violations[inv] += len(vs)
			ft.failing[inv] = append(ft.failing[inv], s.Seed)
		}
	}
}

func (ft *faultTally) String() string {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	var b strings.Builder
	total := 0
	for _, n := range ft.schedules {
		total += n
	}
	fmt.Fprintf(&b, "fault schedules: %d run (%v), %d skipped (no PostgreSQL), %d steps\n", total, ft.schedules, ft.skipped, ft.steps)
	kinds := slices.Sorted(maps.Keys(ft.faults))
	b.WriteString("faults injected:")
	for _, k := range kinds {
		fmt.Fprintf(&b, " %s %d;", k, ft.faults[k])
	}
	b.WriteString("\nviolations:")
	for _, inv := range invariantNames {
		seeds := ft.failing[inv]
		sort.Slice(seeds, func(i, j int) bool { return seeds[i] < seeds[j] })
		fmt.Fprintf(&b, "\n  %s: %d in %d schedules %v", inv, ft.violations[inv], len(seeds), seeds)
	}
	return b.String()
}
