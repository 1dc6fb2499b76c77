package main

// The fault-schedule suite, part 1 of 3: the schedules. A seed gives the
// whole of one schedule: the people and their LinkedIn accounts, the
// bot's settings, and the list of steps (requests, LinkedIn replies and
// faults) with the pause before each. Nothing here depends on timing: the
// same seed gives the same schedule, printed by String. The runner
// (faults_test.go) plays it against real bots; the invariants
// (faults_invariants_test.go) judge what happened.

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// schedule is one seeded run: who, with which settings, doing what.
type schedule struct {
	Seed  int64
	Setup setup
	Steps []step
}

// setup is what holds before the first step.
type setup struct {
	// Replicas is 1 (one bot on SQLite) or 2 (two bots on PostgreSQL).
	Replicas int
	Users    []string // Slack users allowed to send
	// Outsider, when set, is not on ALLOWED_USERS (which then lists Users).
	Outsider string
	// Default: there is a default account, which everyone allowed may send
	// from: LINKUP_LOGIN_TOKEN, or, with DefaultConnected, the account
	// `accounts connect --name default` stored (its token defaultStoredToken).
	Default, DefaultConnected bool
	// Accounts connected from the command line before the first start.
	Accounts []cliAccount
	// SelfService turns ACCOUNT_SELF_SERVICE on; Logins are the LinkedIn
	// logins people may connect from Slack.
	SelfService bool
	Logins      []selfLogin
	// DisplayNames are the Slack display names (users.info), which
	// self-service names accounts after; they may collide.
	DisplayNames map[string]string

	DailyLimit    int           // DAILY_SEND_LIMIT
	ReadCredits   int           // READ_CREDITS_PER_DAY
	LinkupTimeout time.Duration // LINKUP_TIMEOUT
	Concurrency   int           // SEND_CONCURRENCY
	// ClockOffset is LinkedIn's clock minus the bots' (the fake Linkup's
	// timestamps are off by it).
	ClockOffset time.Duration
	Recipients  []string // LinkedIn profiles people write to
	// V2 runs the bots on Linkup v2 (LINKUP_API_VERSION=v2): acceptances
	// come as accepted_invitation events on the webhooks' streams, replies
	// as message events. Only schedules with invitations are drawn on it.
	V2 bool
	// InvitesPerWeek is INVITES_PER_WEEK when set (the product's 100 when 0).
	InvitesPerWeek int
}

// cliAccount is an account `linkedin-bot accounts connect` made.
type cliAccount struct {
	Name  string
	Token string
	Users []string // one: that person's own; several: shared
}

// selfLogin is a LinkedIn login someone can connect from Slack.
type selfLogin struct {
	User     string
	Email    string
	Password string
	Code     string // asked after the password when set
	Token    string
}

// stepKind is what a step does.
type stepKind string

const (
	stepSend      stepKind = "send"      // User sends Text to Recipient Via a command, the modal, a shortcut or the global shortcut
	stepDuplicate stepKind = "duplicate" // the request of step Ref is delivered again (same envelope, or the same view submitted again)
	stepRetry     stepKind = "retry"     // User clicks Retry on the send of step Ref, N times
	stepReply     stepKind = "reply"     // User clicks Reply on LinkedIn in the thread of step Ref and submits Text N times
	stepLinkedIn  stepKind = "linkedin"  // the recipient of step Ref's conversation writes Texts on LinkedIn
	stepBurst     stepKind = "burst"     // every bot stops (Fault: kill or term), the recipient of step Ref writes Texts, the bots start again
	stepConnect   stepKind = "connect"   // User connects their own LinkedIn account from Slack (N form submissions)
	stepUnassign  stepKind = "unassign"  // `accounts unassign` takes User off shared Account
	stepKill      stepKind = "kill"      // SIGKILL of Replica, D after the previous step; Restart at once, or at a later stepStart
	stepStart     stepKind = "start"     // Replica starts again
	stepLinkup    stepKind = "linkup"    // the next N Linkup calls on Path fail with Fault (Effect: the message is delivered all the same)
	stepSlack     stepKind = "slack"     // Slack fails the next N chat.postMessage with Fault, or refuses posts in the channel
	stepLock      stepKind = "lock"      // the send log is locked by another process for D
	stepTamper    stepKind = "tamper"    // someone who can write the log copies account Text's sealed token into Account's row
	stepHome      stepKind = "home"      // User opens the bot's Home tab
	stepPause     stepKind = "pause"     // nothing for D
)

// Linkup faults (stepLinkup).
const (
	faultTimeout = "timeout" // no answer until the bot gives up
	faultReset   = "reset"   // the connection is cut
	fault5xx     = "5xx"     // 502, 503 or 504
	fault429     = "429"     // rate limited, Retry-After: 1
	faultRefuse  = "refuse"  // a 400 "Error while sending message"
	faultSlow    = "slow"    // answered after D
)

// Slack faults (stepSlack).
const (
	slackLose    = "lose"    // the post is made, its answer is a 500
	slack5xx     = "5xx"     // 503, nothing posted
	slack429     = "429"     // rate limited
	slackRefuse  = "refuse"  // posts in the sales channel refused with Error (not_in_channel, …)
	slackAllow   = "allow"   // the sales channel takes posts again
	slackSlow    = "slow"    // each post takes D
	slackFast    = "fast"    // posts are quick again
	pathSend     = "send"    // Linkup's send-message
	pathRead     = "read"    // Linkup's inbox and conversation reads
	viaCommand   = "command" // /linkedin-send <url> <text>
	viaModal     = "modal"   // /linkedin-send alone, then the form
	viaShortcut  = "shortcut"
	viaGlobal    = "global"
	viaEnvelope  = "envelope" // stepDuplicate: the same envelope again
	viaResubmit  = "resubmit" // stepDuplicate: the same view submitted again
	burstKill    = "kill"
	burstTerm    = "term"
	refusalSlack = "not_in_channel"
)

// step is one thing that happens. Only the fields its kind uses are set.
type step struct {
	Kind      stepKind
	Pause     time.Duration // waited before the step
	User      string
	With      string // stepConnect: a second user who connects at the same moment
	Via       string
	Recipient string
	Text      string
	Texts     []string
	Account   string // a modal's "Send as" choice, or the shared account of stepUnassign
	Ref       int    // the step (index) of the request it acts on
	N         int
	Path      string
	Fault     string
	Effect    bool
	D         time.Duration
	Replica   int
	Restart   bool
}

// Secret material of the schedules: every token, password and code in a
// schedule contains one of these, so that none can be missed by I4.
const (
	ownTokenPrefix  = "AQEDAsecretOwn"
	selfTokenPrefix = "AQEDAsecretSelf"
	// defaultStoredToken is the default account's token when it is connected with the command.
	defaultStoredToken = "AQEDAsecretDefaultStored"
	passwordPrefix     = "pw-Secret-"
	codePrefix         = "Zq"
)

var faultRecipients = []string{
	"https://www.linkedin.com/in/ria-park",
	"https://www.linkedin.com/in/omar-haddad",
	"https://www.linkedin.com/in/lena-vogel",
}

// generateSchedule builds the schedule of seed: steps (at least 6) requests and faults.
func generateSchedule(seed int64, steps int) schedule {
	r := rand.New(rand.NewPCG(uint64(seed), 0x5eedfa17))
	s := schedule{Seed: seed}
	s.Setup = genSetup(r)
	// Drawn from a stream of its own, so that earlier seeds' schedules stay as they were.
	s.Setup.DefaultConnected = s.Setup.Default && rand.New(rand.NewPCG(uint64(seed), 0xdefa017)).IntN(2) == 0
	g := &gen{r: r, s: &s}
	for len(s.Steps) < steps {
		g.next()
	}
	genInvitations(&s, 0)
	genCampaign(&s, 0)
	// Drawn from a stream of their own: half the schedules with
	// invitations run on v2.
	s.Setup.V2 = slices.ContainsFunc(s.Steps, func(st step) bool { return st.Kind == stepInvite }) &&
		rand.New(rand.NewPCG(uint64(seed), 0x0002)).IntN(2) == 0
	// Every replica a kill left down starts again before the end.
	for rep, down := range g.down {
		if down {
			s.Steps = append(s.Steps, step{Kind: stepStart, Replica: rep})
		}
	}
	if g.refused {
		s.Steps = append(s.Steps, step{Kind: stepSlack, Fault: slackAllow})
	}
	return s
}

func genSetup(r *rand.Rand) setup {
	su := setup{
		Replicas:      1,
		Default:       r.IntN(4) > 0,
		DailyLimit:    100,
		ReadCredits:   1000,
		LinkupTimeout: time.Duration(700+r.IntN(500)) * time.Millisecond,
		Concurrency:   1 + r.IntN(4),
		Recipients:    faultRecipients,
		DisplayNames:  map[string]string{},
	}
	if r.IntN(3) == 0 {
		su.Replicas = 2
	}
	for i := range 5 {
		su.Users = append(su.Users, fmt.Sprintf("U0FAAAA%02d", i+1))
	}
	if r.IntN(2) == 0 {
		su.Outsider = "U0FAOUT01"
	}
	if r.IntN(3) == 0 {
		su.DailyLimit = 3 + r.IntN(4)
	}
	if r.IntN(4) == 0 {
		su.ReadCredits = 8 + r.IntN(25)
	}
	if r.IntN(3) == 0 {
		su.ClockOffset = time.Duration(1+r.IntN(10)) * time.Minute
		if r.IntN(2) == 0 {
			su.ClockOffset = -su.ClockOffset
		}
	}
	// Own accounts, from the command line.
	for _, u := range su.Users {
		if r.IntN(3) == 0 {
			su.Accounts = append(su.Accounts, cliAccount{Name: "li-" + strings.ToLower(u[len(u)-2:]), Token: ownTokenPrefix + u, Users: []string{u}})
		}
	}
	// Shared accounts.
	for k := range r.IntN(3) {
		users := slices.Clone(su.Users)
		r.Shuffle(len(users), func(i, j int) { users[i], users[j] = users[j], users[i] })
		users = users[:2+r.IntN(2)]
		slices.Sort(users)
		su.Accounts = append(su.Accounts, cliAccount{Name: fmt.Sprintf("team-%d", k+1), Token: fmt.Sprintf("AQEDAsecretTeam%d", k+1), Users: users})
	}
	// Display names, colliding on purpose.
	pool := []string{"Sam Lee", "Sam Lee", "Ana Ruiz", "Ana Ruiz", "Kim Cho"}
	r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	for i, u := range su.Users {
		su.DisplayNames[u] = pool[i]
	}
	if su.Outsider != "" {
		su.DisplayNames[su.Outsider] = "Sam Lee"
	}
	if r.IntN(2) == 0 {
		su.SelfService = true
		// A squatter takes the name self-service would give a namesake.
		if r.IntN(2) == 0 {
			a, b := su.Users[r.IntN(len(su.Users))], su.Users[r.IntN(len(su.Users))]
			if a != b {
				su.DisplayNames[a] = su.DisplayNames[b] + " (" + b + ")"
			}
		}
		for _, u := range su.Users {
			if r.IntN(3) > 0 {
				l := selfLogin{User: u, Email: strings.ToLower(u) + "@example.com", Password: passwordPrefix + u, Token: selfTokenPrefix + u}
				for _, a := range su.Accounts {
					if len(a.Users) == 1 && a.Users[0] == u {
						l.Token = a.Token // their own account is their LinkedIn profile: the same mailbox
					}
				}
				if r.IntN(2) == 0 {
					l.Code = fmt.Sprintf("%s%06d", codePrefix, r.IntN(1000000))
				}
				su.Logins = append(su.Logins, l)
			}
		}
	}
	return su
}

// gen draws steps one at a time, keeping what later steps refer to.
type gen struct {
	r       *rand.Rand
	s       *schedule
	sends   []int        // steps that are requests (sends and replies)
	down    map[int]bool // replicas a kill left down
	restart []pending    // starts owed a few steps later
	refused bool         // the sales channel refuses posts
	burst   bool
	connect map[string]int
	failing int   // Linkup send faults queued that make a send fail or unknown
	faulted []int // requests made while some were queued
}

type pending struct {
	at      int // step index at which to start it again
	replica int
}

func (g *gen) add(st step) {
	st.Pause = time.Duration(g.r.IntN(200)) * time.Millisecond
	g.s.Steps = append(g.s.Steps, st)
}

func (g *gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

// actor is someone who may act: usually an allowed user, now and then the outsider.
func (g *gen) actor() string {
	if o := g.s.Setup.Outsider; o != "" && g.r.IntN(10) == 0 {
		return o
	}
	return g.pick(g.s.Setup.Users)
}

func (g *gen) next() {
	if g.down == nil {
		g.down, g.connect = map[int]bool{}, map[string]int{}
	}
	// Starts that are due come first.
	for i, p := range g.restart {
		if len(g.s.Steps) >= p.at {
			g.add(step{Kind: stepStart, Replica: p.replica})
			g.down[p.replica] = false
			g.restart = slices.Delete(g.restart, i, i+1)
			return
		}
	}
	su := g.s.Setup
	if len(g.s.Steps) == 0 && su.SelfService && len(su.Logins) > 1 && g.r.IntN(2) == 0 {
		// A squatter took the name self-service gives a namesake of
		// someone who connected first: the three connect in that order.
		if first, squatter, victim, ok := g.squatting(); ok {
			for _, u := range []string{first, squatter, victim} {
				g.connect[u]++
				g.add(step{Kind: stepConnect, User: u, N: 1})
			}
			return
		}
		// Namesakes (or a squatter and the one whose name they took)
		// connect: one after the other, or at the same moment.
		a, b := g.namesakes()
		g.connect[a]++
		g.connect[b]++
		if g.r.IntN(2) == 0 {
			g.add(step{Kind: stepConnect, User: a, With: b, N: 1})
		} else {
			g.add(step{Kind: stepConnect, User: a, N: 1})
			g.add(step{Kind: stepConnect, User: b, N: 1})
		}
		return
	}
	if len(g.sends) < 2 {
		g.send()
		return
	}
	w := g.r.IntN(100)
	switch {
	case w < 28:
		g.send()
	case w < 31:
		g.add(step{Kind: stepHome, User: g.actor()})
	case w < 35:
		ref := g.ref()
		via := viaEnvelope
		if k := g.s.Steps[ref]; k.Kind == stepReply || k.Via != viaCommand {
			via = viaResubmit
		}
		g.add(step{Kind: stepDuplicate, Ref: ref, Via: via})
	case w < 45:
		ref := g.ref()
		if len(g.faulted) > 0 && g.r.IntN(4) > 0 {
			ref = g.faulted[g.r.IntN(len(g.faulted))] // one that likely failed or is unknown
		}
		user := g.s.Steps[ref].User
		if g.r.IntN(2) == 0 {
			user = g.actor()
		}
		g.add(step{Kind: stepRetry, User: user, Ref: ref, N: 1 + g.r.IntN(2)})
	case w < 51:
		ref := g.ref()
		user := g.s.Steps[ref].User
		if g.r.IntN(2) == 0 {
			user = g.actor()
		}
		st := step{Kind: stepReply, User: user, Ref: ref, Text: g.text(len(g.s.Steps)), N: 1 + g.r.IntN(2)}
		g.add(st)
		g.sends = append(g.sends, len(g.s.Steps)-1)
	case w < 62:
		texts := make([]string, 1+g.r.IntN(4))
		for i := range texts {
			texts[i] = replyText(g.r)
		}
		g.add(step{Kind: stepLinkedIn, Ref: g.ref(), Texts: texts})
	case w < 64 && !g.burst && !g.anyDown():
		g.burst = true
		texts := make([]string, 31+g.r.IntN(10))
		for i := range texts {
			texts[i] = fmt.Sprintf("burst %d of %d: %s", i+1, len(texts), replyText(g.r))
		}
		how := burstKill
		if g.r.IntN(2) == 0 {
			how = burstTerm
		}
		g.add(step{Kind: stepBurst, Ref: g.ref(), Texts: texts, Fault: how})
	case w < 70 && su.SelfService && len(su.Logins) > 0:
		l := su.Logins[g.r.IntN(len(su.Logins))]
		if g.connect[l.User] >= 2 {
			g.send()
			return
		}
		g.connect[l.User]++
		g.add(step{Kind: stepConnect, User: l.User, N: 1 + g.r.IntN(2)})
	case w < 72 && slices.ContainsFunc(su.Accounts, func(a cliAccount) bool { return len(a.Users) > 1 }):
		var shared []cliAccount
		for _, a := range su.Accounts {
			if len(a.Users) > 1 {
				shared = append(shared, a)
			}
		}
		a := shared[g.r.IntN(len(shared))]
		g.add(step{Kind: stepUnassign, Account: a.Name, User: g.pick(a.Users)})
	case w < 79:
		rep := g.r.IntN(su.Replicas)
		if g.down[rep] {
			g.send()
			return
		}
		st := step{Kind: stepKill, Replica: rep, D: time.Duration(g.r.IntN(400)) * time.Millisecond, Restart: g.r.IntN(5) < 3}
		g.add(st)
		if !st.Restart {
			g.down[rep] = true
			g.restart = append(g.restart, pending{at: len(g.s.Steps) + 1 + g.r.IntN(3), replica: rep})
		}
	case w < 88:
		st := step{Kind: stepLinkup, Path: pathSend, N: 1 + g.r.IntN(3)}
		st.Fault = g.pick([]string{faultTimeout, faultTimeout, faultReset, fault5xx, fault5xx, fault429, faultRefuse, faultRefuse, faultSlow})
		switch st.Fault {
		case faultTimeout, faultReset, fault5xx:
			st.Effect = g.r.IntN(2) == 0
		case faultSlow:
			st.D = time.Duration(100+g.r.IntN(500)) * time.Millisecond
		}
		if st.Fault != faultSlow && st.Fault != fault429 {
			g.failing += st.N
		}
		g.add(st)
	case w < 92:
		st := step{Kind: stepLinkup, Path: pathRead, N: 1 + g.r.IntN(3), Fault: g.pick([]string{faultTimeout, faultReset, fault5xx, fault429, faultSlow})}
		if st.Fault == faultSlow {
			st.D = time.Duration(100+g.r.IntN(500)) * time.Millisecond
		}
		g.add(st)
	case w < 97:
		st := step{Kind: stepSlack, N: 1 + g.r.IntN(3)}
		st.Fault = g.pick([]string{slackLose, slackLose, slack5xx, slack429, slackRefuse, slackSlow})
		switch {
		case st.Fault == slackRefuse && g.refused:
			st.Fault = slackAllow
		case st.Fault == slackRefuse:
			st.Text = g.pick([]string{refusalSlack, "channel_not_found", "is_archived"})
		case st.Fault == slackSlow:
			st.D = time.Duration(50+g.r.IntN(400)) * time.Millisecond
		}
		if st.Fault == slackRefuse {
			g.refused = true
		} else if st.Fault == slackAllow {
			g.refused = false
		}
		g.add(st)
	case w < 98:
		if g.r.IntN(3) == 0 {
			// A request waits in the queue behind sends Linkup holds.
			g.add(step{Kind: stepLinkup, Path: pathSend, N: 5, Fault: faultTimeout})
			for range 4 {
				g.send()
			}
			g.sendVia(viaCommand)
		}
		g.add(step{Kind: stepLock, D: time.Duration(800+g.r.IntN(2500)) * time.Millisecond})
		if g.r.IntN(3) > 0 {
			// A repeat delivery meets the busy log.
			ref := g.sends[len(g.sends)-1]
			via := viaEnvelope
			if k := g.s.Steps[ref]; k.Kind == stepReply || k.Via != viaCommand {
				via = viaResubmit
			}
			g.add(step{Kind: stepDuplicate, Ref: ref, Via: via})
		}
	case w < 99 && len(su.Accounts) > 1:
		i, j := g.r.IntN(len(su.Accounts)), g.r.IntN(len(su.Accounts))
		if i == j {
			g.send()
			return
		}
		victim := su.Accounts[i]
		g.add(step{Kind: stepTamper, Account: victim.Name, Text: su.Accounts[j].Name})
		// Someone sends from the account whose row was changed.
		st := step{Kind: stepSend, User: g.pick(victim.Users), Via: viaModal, Recipient: g.pick(su.Recipients), Text: g.text(len(g.s.Steps)), Account: victim.Name}
		g.add(st)
		g.sends = append(g.sends, len(g.s.Steps)-1)
	default:
		g.add(step{Kind: stepPause, D: time.Duration(100+g.r.IntN(700)) * time.Millisecond})
	}
}

// squatting finds, among the people with a login and no own account
// yet (theirs would be renewed), a squatter whose
// display name is victim's with " (<victim's ID>)", and someone else
// named as victim is (who gets the plain name first); it draws nothing.
func (g *gen) squatting() (first, squatter, victim string, ok bool) {
	su := g.s.Setup
	has := func(u string) bool {
		own := slices.ContainsFunc(su.Accounts, func(a cliAccount) bool { return len(a.Users) == 1 && a.Users[0] == u })
		return !own && slices.ContainsFunc(su.Logins, func(l selfLogin) bool { return l.User == u })
	}
	for _, v := range su.Users {
		sq := slices.IndexFunc(su.Users, func(u string) bool { return su.DisplayNames[u] == su.DisplayNames[v]+" ("+v+")" })
		f := slices.IndexFunc(su.Users, func(u string) bool { return u != v && su.DisplayNames[u] == su.DisplayNames[v] })
		if sq >= 0 && f >= 0 && has(v) && has(su.Users[sq]) && has(su.Users[f]) {
			return su.Users[f], su.Users[sq], v, true
		}
	}
	return "", "", "", false
}

// namesakes are two people with a login whose display names collide
// (the same, or one is the other's with " (<ID>)"), else any two.
func (g *gen) namesakes() (string, string) {
	su := g.s.Setup
	var pairs [][2]string
	for _, a := range su.Logins {
		for _, b := range su.Logins {
			na, nb := su.DisplayNames[a.User], su.DisplayNames[b.User]
			if a.User != b.User && (na == nb || strings.HasPrefix(na, nb+" (")) {
				pairs = append(pairs, [2]string{a.User, b.User})
			}
		}
	}
	if len(pairs) == 0 {
		return su.Logins[0].User, su.Logins[1].User
	}
	p := pairs[g.r.IntN(len(pairs))]
	return p[0], p[1]
}

func (g *gen) anyDown() bool {
	for _, d := range g.down {
		if d {
			return true
		}
	}
	return false
}

// ref is an earlier request, the recent ones more often.
func (g *gen) ref() int {
	n := len(g.sends)
	if g.r.IntN(2) == 0 {
		return g.sends[n-1-g.r.IntN(min(n, 3))]
	}
	return g.sends[g.r.IntN(n)]
}

func (g *gen) send() {
	switch w := g.r.IntN(20); {
	case w < 10:
		g.sendVia(viaCommand)
	case w < 15:
		g.sendVia(viaModal)
	case w < 17:
		g.sendVia(viaShortcut)
	default:
		g.sendVia(viaGlobal)
	}
}

// sendVia adds a send by a random actor, made via.
func (g *gen) sendVia(via string) {
	su := g.s.Setup
	st := step{Kind: stepSend, User: g.actor(), Recipient: g.pick(su.Recipients), Text: g.text(len(g.s.Steps)), Via: via}
	if st.Via != viaCommand && g.r.IntN(3) == 0 {
		// "Send as": one of the accounts, which the user may or may not use.
		names := []string{"default"}
		for _, a := range su.Accounts {
			names = append(names, a.Name)
		}
		st.Account = g.pick(names)
	}
	g.add(st)
	g.sends = append(g.sends, len(g.s.Steps)-1)
	if g.failing > 0 {
		g.failing--
		g.faulted = append(g.faulted, len(g.s.Steps)-1)
	}
}

// text is the message of the request at step i: unique in the schedule
// (it starts with its step), of random length and lines.
func (g *gen) text(i int) string {
	words := []string{"hello", "about", "the", "role", "we", "discussed", "Tuesday", "works", "thanks", "best", "regards", "café", "naïve", "(call)", "100%", "ok?"}
	var b strings.Builder
	fmt.Fprintf(&b, "r%02d", i)
	n := 2 + g.r.IntN(12)
	if g.r.IntN(8) == 0 {
		n = 60 + g.r.IntN(150)
	}
	for range n {
		if g.r.IntN(12) == 0 {
			b.WriteString("\n")
		} else {
			b.WriteString(" ")
		}
		b.WriteString(g.pick(words))
	}
	return b.String()
}

// replyMarkup is what a LinkedIn reply may hold that Slack would read as markup.
var replyMarkup = []string{"&", "<", ">", "&amp;", "&lt;b&gt;", "*bold*", "_it_", "~gone~", "`code`", "https://evil.example/login", "www.example.org/x",
	"#general", "@here", "@channel", "<!here>", "<!channel>", "<@U0BOSS001>", "<https://evil.example|invoice>", "<#C0SALES01>", "é", "😀", "> quoted", "•"}

// replyText is a LinkedIn message of random length, lines and markup:
// mostly short, now and then a long one or a pasted list of many lines.
func replyText(r *rand.Rand) string {
	words := []string{"Sure", "thanks", "let", "us", "talk", "on", "Tuesday", "at", "10", "see", "agenda", "below", "ok", "and", "the", "deck"}
	word := func() string {
		if r.IntN(5) == 0 {
			return replyMarkup[r.IntN(len(replyMarkup))]
		}
		return words[r.IntN(len(words))]
	}
	var b strings.Builder
	switch r.IntN(12) {
	case 0: // long: 2,000 to 4,500 characters
		n := 2000 + r.IntN(2500)
		for b.Len() < n {
			b.WriteString(word() + " ")
		}
	case 1: // a pasted agenda: many short lines
		for i := range 60 + r.IntN(100) {
			fmt.Fprintf(&b, "%d. %s & %s\n", i+1, word(), word())
		}
	default:
		for i := range 1 + r.IntN(25) {
			if i > 0 {
				if r.IntN(6) == 0 {
					b.WriteString("\n")
				} else {
					b.WriteString(" ")
				}
			}
			b.WriteString(word())
		}
	}
	return strings.TrimSpace(b.String())
}

// String is the schedule for people: its setup, then one line per step.
func (s schedule) String() string {
	var b strings.Builder
	su := s.Setup
	store := "SQLite, one bot"
	if su.Replicas == 2 {
		store = "PostgreSQL, two bots"
	}
	if su.V2 {
		store += ", Linkup v2"
	}
	fmt.Fprintf(&b, "schedule of seed %d (%s)\n", s.Seed, store)
	fmt.Fprintf(&b, "  users %s", strings.Join(su.Users, ", "))
	if su.Outsider != "" {
		fmt.Fprintf(&b, "; %s is not on ALLOWED_USERS", su.Outsider)
	}
	def := fmt.Sprint(su.Default)
	if su.DefaultConnected {
		def = "connected with accounts connect --name default"
	}
	fmt.Fprintf(&b, "\n  default account: %s; DAILY_SEND_LIMIT=%d READ_CREDITS_PER_DAY=%d LINKUP_TIMEOUT=%s SEND_CONCURRENCY=%d; LinkedIn's clock %+v from the bots'\n",
		def, su.DailyLimit, su.ReadCredits, su.LinkupTimeout, su.Concurrency, su.ClockOffset)
	if su.InvitesPerWeek > 0 {
		fmt.Fprintf(&b, "  INVITES_PER_WEEK=%d\n", su.InvitesPerWeek)
	}
	for _, a := range su.Accounts {
		fmt.Fprintf(&b, "  account %s (command line) for %s\n", a.Name, strings.Join(a.Users, ", "))
	}
	if su.SelfService {
		var ls []string
		for _, l := range su.Logins {
			x := l.User
			if l.Code != "" {
				x += " (asks a code)"
			}
			ls = append(ls, x)
		}
		fmt.Fprintf(&b, "  self-service on; LinkedIn logins of %s\n", strings.Join(ls, ", "))
	}
	var names []string
	for _, u := range append(slices.Clone(su.Users), su.Outsider) {
		if n, ok := su.DisplayNames[u]; ok {
			names = append(names, fmt.Sprintf("%s=%q", u, n))
		}
	}
	fmt.Fprintf(&b, "  display names %s\n", strings.Join(names, " "))
	for i, st := range s.Steps {
		fmt.Fprintf(&b, "  %2d. +%s %s\n", i, st.Pause, st.String())
	}
	return b.String()
}

func (st step) String() string {
	slug := func(u string) string { return u[strings.LastIndexByte(u, '/')+1:] }
	switch st.Kind {
	case stepSend:
		as := ""
		if st.Account != "" {
			as = fmt.Sprintf(" choosing %q", st.Account)
		}
		return fmt.Sprintf("%s sends to %s via %s%s: %s", st.User, slug(st.Recipient), st.Via, as, brief(st.Text))
	case stepDuplicate:
		return fmt.Sprintf("the request of step %d is delivered again (%s)", st.Ref, st.Via)
	case stepRetry:
		return fmt.Sprintf("%s clicks Retry on the send of step %d, %d time(s)", st.User, st.Ref, st.N)
	case stepReply:
		return fmt.Sprintf("%s clicks Reply on LinkedIn in the thread of step %d and submits %d time(s): %s", st.User, st.Ref, st.N, brief(st.Text))
	case stepLinkedIn:
		var ts []string
		for _, t := range st.Texts {
			ts = append(ts, brief(t))
		}
		return fmt.Sprintf("the recipient of step %d writes %d message(s) on LinkedIn: %s", st.Ref, len(st.Texts), strings.Join(ts, " | "))
	case stepBurst:
		return fmt.Sprintf("every bot stops (%s); the recipient of step %d writes %d messages; the bots start again", st.Fault, st.Ref, len(st.Texts))
	case stepConnect:
		if st.With != "" {
			return fmt.Sprintf("%s and %s connect their own LinkedIn accounts from Slack at the same moment", st.User, st.With)
		}
		return fmt.Sprintf("%s connects their own LinkedIn account from Slack (form submitted %d time(s))", st.User, st.N)
	case stepTamper:
		return fmt.Sprintf("someone who can write the log copies the sealed token of account %s into the row of account %s", st.Text, st.Account)
	case stepUnassign:
		return fmt.Sprintf("accounts unassign --name %s --user %s", st.Account, st.User)
	case stepKill:
		then := "started again later"
		if st.Restart {
			then = "started again at once"
		}
		return fmt.Sprintf("SIGKILL of bot %d after %s, %s", st.Replica, st.D, then)
	case stepStart:
		return fmt.Sprintf("bot %d starts again", st.Replica)
	case stepLinkup:
		x := fmt.Sprintf("the next %d Linkup %s call(s) get %s", st.N, st.Path, st.Fault)
		if st.Effect {
			x += " after delivering the message"
		}
		if st.D > 0 {
			x += " (" + st.D.String() + ")"
		}
		return x
	case stepSlack:
		switch st.Fault {
		case slackRefuse:
			return fmt.Sprintf("Slack refuses posts in %s (%s)", salesChannel, st.Text)
		case slackAllow:
			return fmt.Sprintf("Slack takes posts in %s again", salesChannel)
		case slackSlow:
			return fmt.Sprintf("each Slack post takes %s", st.D)
		}
		return fmt.Sprintf("the next %d chat.postMessage get %s", st.N, st.Fault)
	case stepLock:
		return fmt.Sprintf("another process locks the send log for %s", st.D)
	case stepPause:
		return fmt.Sprintf("nothing happens for %s", st.D)
	case stepHome:
		return fmt.Sprintf("%s opens the bot's Home tab", st.User)
	case stepInvite:
		from := "with the command"
		if st.Via == viaRefused {
			from = fmt.Sprintf("from the refused send of step %d", st.Ref)
		}
		refused := ""
		if st.Fault == faultNoteLimit {
			refused = "; LinkedIn refuses the note"
		}
		return fmt.Sprintf("%s invites %s %s, note %q, send on accept %v; form submitted %d time(s)%s", st.User, slug(st.Recipient), from, st.Text, st.Effect, st.N, refused)
	case stepInviteCancel:
		return fmt.Sprintf("%s presses Cancel on the invitation of step %d, %d time(s)", st.User, st.Ref, st.N)
	case stepInviteNoNote:
		cancel := ""
		if st.Effect {
			cancel = ", its requester pressing Cancel on the new invitation at once"
		}
		if st.Via == viaAccepting {
			cancel += ", the recipient accepting it at once"
		}
		return fmt.Sprintf("%s presses Invite without a note on the invitation of step %d, %d time(s)%s", st.User, st.Ref, st.N, cancel)
	case stepInviteAccept:
		after := ""
		if st.Effect {
			after = ", after it expired"
		}
		return fmt.Sprintf("the invitation of step %d is accepted %d time(s)%s", st.Ref, st.N, after)
	case stepCampaign:
		return fmt.Sprintf("%s creates a campaign of %d rows (form submitted twice: %v)", st.User, st.N, st.Effect)
	case stepCampaignPress:
		return fmt.Sprintf("%s presses %s on the campaign, %d time(s) at once", st.User, st.Text, st.N)
	}
	return string(st.Kind)
}

// brief is a text cut for the schedule's listing.
func brief(s string) string {
	n := len([]rune(s))
	one := strings.ReplaceAll(s, "\n", "⏎")
	if r := []rune(one); len(r) > 50 {
		one = string(r[:50]) + "…"
	}
	return fmt.Sprintf("%q (%d chars)", one, n)
}
