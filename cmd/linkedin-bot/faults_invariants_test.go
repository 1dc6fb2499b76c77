package main

// The fault-schedule suite, part 3 of 3: the invariants. Each check reads
// everything one schedule's run left once its bots stopped (faultWorld: the
// requests made and their acks, every Linkup call and read with the fault
// it met, the LinkedIn mailboxes, every Slack call, post and response_url
// answer, the bots' logs and the log's rows and bytes) and returns the
// violations it finds, each in a sentence that names what broke. None
// depends on timing: whatever the interleaving of the bots' goroutines,
// each must hold.
//
//	I1  each request reaches Linkup at most once, and only from an account
//	    (login token) its requester may use
//	I2  every acked request ends sent, failed or unknown, true to what
//	    LinkedIn got, and its requester can see that outcome
//	I3  every LinkedIn message of a watched conversation appears in its
//	    thread exactly once, in order (the bot's own never again); an
//	    account whose sealed token was swapped is not read, and Slack is told
//	I4  no token, password, code or response_url in logs, posts, edits,
//	    views, response_url answers or the log; I4rest apart: response_urls
//	    kept at rest, in the log or in a view's private_metadata (which
//	    Slack keeps for the bot), which the bot keeps sealed
//	I5  every Slack post, edit, view and response_url answer fits Slack's
//	    limits, and LinkedIn text in it is inert (no auto-link)
//	I6  the daily send cap and the read-credit cap hold
//	I7  invitations (faults_invite_test.go): called once, their message
//	    sent once and only on acceptance, told, Cancel only by who may use it
//	I8  campaigns (faults_campaign_test.go): each row once, nothing before
//	    Start, after Cancel or while Paused, strangers change nothing, the
//	    minimum gap between sends, the root true to the state

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/internal/fakeslack"
	"linkedin-bot/linkup"
	"linkedin-bot/slackpost"
	"linkedin-bot/store"
)

// invariantNames are the families of invariants, in the order reported.
var invariantNames = []string{"I1", "I2", "I3", "I4", "I4rest", "I5", "I6", "I7", "I8"}

// faultWorld is everything a schedule's run left.
type faultWorld struct {
	s            schedule
	reqs         []*faultRequest
	clicks       []retryClick
	unassigned   []unassignment
	calls        []linkupCall
	reads        []readCall
	mailboxes    []fakelinkup.Mailbox
	posts        []fakeslack.Post
	slackCalls   []fakeslack.Call
	hooks        []fakeslack.Hook
	responseURLs []string
	logs         string
	sends        []store.Send
	convs        []store.Conversation
	storeDump    []byte
	secrets      []string
	defaultToken string // the default account's login token; "" without one
	accounts     []storedAccount

	// The invitation actors' (faults_invite_test.go).
	inviteCalls []inviteCall
	invites     []*faultInvite
	cancels     []inviteCancel
	noNotes     []inviteCancel // presses of "Invite without a note"
	// acceptedLive are the invitations (v2) accepted while pending with
	// their account's stream held.
	acceptedLive []int64
	accepted     map[string]time.Time
	invitations  []store.Invitation

	// The campaign actors' (faults_campaign_test.go).
	campaign     *faultCampaign
	presses      []campaignPress
	campaigns    []store.Campaign
	campaignRows map[int64][]store.CampaignRow
}

// storedAccount is an account as the log holds it at the end, its token
// opened with ACCOUNTS_KEY ("" when it cannot be: expired, or refused).
type storedAccount struct {
	Name  string
	Users []string
	Token string
}

// checkInvariants runs every check on w.
func checkInvariants(w *faultWorld) map[string][]string {
	secrets, atRest := checkNoSecrets(w)
	return map[string][]string{
		"I1":     checkOnceFromAllowedAccount(w),
		"I2":     checkEveryRequestEndsTold(w),
		"I3":     checkEveryMessageOnceInOrder(w),
		"I4":     secrets,
		"I4rest": atRest,
		"I5":     checkSlackLimits(w),
		"I6":     checkCaps(w),
		"I7":     checkInvitations(w),
		"I8":     checkCampaigns(w),
	}
}

// attribution ties each Linkup call to the send it was made for: among the
// sends of its text (a request and its retries share it; every request's
// text is unique in a schedule), the latest recorded before the call. A
// send recorded up to 5 ms after the call counts only when none was
// recorded before it: a retry can be recorded a few milliseconds after the
// refused call it retries (seed 1387), and that call is its original's.
type attribution struct {
	send   []int           // call index → index in w.sends; -1 when no send accounts for it
	bySend map[int64][]int // send ID → its calls
}

func attribute(w *faultWorld) attribution {
	a := attribution{send: make([]int, len(w.calls)), bySend: map[int64][]int{}}
	latest := func(c linkupCall, slack time.Duration) int {
		best := -1
		for j, sd := range w.sends {
			if sd.Message != c.Text || sd.CreatedAt.After(c.At.Add(slack)) {
				continue
			}
			if best < 0 || !sd.CreatedAt.Before(w.sends[best].CreatedAt) {
				best = j
			}
		}
		return best
	}
	for i, c := range w.calls {
		a.send[i] = latest(c, 0)
		if a.send[i] < 0 {
			a.send[i] = latest(c, 5*time.Millisecond)
		}
		if k := a.send[i]; k >= 0 {
			a.bySend[w.sends[k].ID] = append(a.bySend[w.sends[k].ID], i)
		}
	}
	return a
}

func (w *faultWorld) sendByID(id int64) (store.Send, bool) {
	for _, sd := range w.sends {
		if sd.ID == id {
			return sd, true
		}
	}
	return store.Send{}, false
}

// root is the request a send (or the retry of a retry) goes back to.
func (w *faultWorld) root(sd store.Send) store.Send {
	for sd.RetryOf != 0 {
		prev, ok := w.sendByID(sd.RetryOf)
		if !ok {
			break
		}
		sd = prev
	}
	return sd
}

func (w *faultWorld) requestByKey(key string) *faultRequest {
	for _, r := range w.reqs {
		if r.Key == key {
			return r
		}
	}
	return nil
}

// actor is who asked for send sd, and at which step: the request's user,
// or for a retry the person whose click it was.
func (w *faultWorld) actor(sd store.Send) (user string, step int, ok bool) {
	if sd.RetryOf == 0 {
		r := w.requestByKey(sd.IdemKey)
		if r == nil {
			// The message an accepted invitation sends is no request's:
			// it is its invitation's requester's (I7 judges when it goes);
			// a campaign row's is its owner's (I8 judges when it goes).
			if store.IsCampaignKey(sd.IdemKey) {
				return w.campaignActor(sd)
			}
			return w.invitationActor(sd)
		}
		return r.User, r.Step, true
	}
	for _, c := range w.clicks {
		if c.SendID == sd.RetryOf && c.User == sd.Requester {
			return c.User, c.Step, true
		}
	}
	return sd.Requester, len(w.s.Steps), false
}

// askedBefore reports whether user asked for the send a retry retries,
// or for one it goes back to.
func (w *faultWorld) askedBefore(retry store.Send, user string) bool {
	for id := retry.RetryOf; id != 0; {
		sd, ok := w.sendByID(id)
		if !ok {
			return false
		}
		if sd.Requester == user {
			return true
		}
		id = sd.RetryOf
	}
	return false
}

// mayUse reports whether user may send with login token at step, as the
// schedule set the accounts up: the default account is everyone's
// allowed; an account from the command line is its users' (until one is
// unassigned); a LinkedIn login connected from Slack is its owner's only.
func (w *faultWorld) mayUse(token, user string, step int) bool {
	if user == "" || user == w.s.Setup.Outsider {
		return false
	}
	if token != "" && token == w.defaultToken {
		return true
	}
	for _, a := range w.s.Setup.Accounts {
		if a.Token != token {
			continue
		}
		if !slices.Contains(a.Users, user) {
			return false
		}
		for _, u := range w.unassigned {
			if u.Account == a.Name && u.User == user && u.Step < step {
				return false
			}
		}
		return true
	}
	for _, l := range w.s.Setup.Logins {
		if l.Token == token {
			return l.User == user
		}
	}
	return false
}

// tokenName names a login token without showing it.
func (w *faultWorld) tokenName(token string) string {
	switch {
	case token == "":
		return "no login token"
	case token == loginToken || token == defaultStoredToken:
		return "the default account's token"
	}
	for _, a := range w.s.Setup.Accounts {
		if a.Token == token {
			return fmt.Sprintf("the token of account %s (%s)", a.Name, strings.Join(a.Users, ", "))
		}
	}
	for _, l := range w.s.Setup.Logins {
		if l.Token == token {
			return "the LinkedIn session of " + l.User
		}
	}
	return "an unknown token"
}

func (c linkupCall) String() string {
	fault := c.Fault
	if c.Effect {
		fault += " after delivering"
	}
	return fmt.Sprintf("call at %s of %s to %s with fault %q (status %d, delivered %v)", c.At.Format("15:04:05.000"), brief(c.Text), c.Recipient, fault, c.Status, c.Delivered)
}

// reachedLinkup reports whether Linkup may have acted on a call: anything
// but a 429, which Linkup answers without acting.
func (c linkupCall) reachedLinkup() bool { return c.Status != 429 }

// checkOnceFromAllowedAccount is I1.
func checkOnceFromAllowedAccount(w *faultWorld) []string {
	var out []string
	a := attribute(w)
	for i, c := range w.calls {
		if a.send[i] < 0 && c.reachedLinkup() {
			out = append(out, "a Linkup call that no recorded send accounts for: "+c.String())
		}
	}
	for _, sd := range w.sends {
		var reached []linkupCall
		for _, i := range a.bySend[sd.ID] {
			if w.calls[i].reachedLinkup() {
				reached = append(reached, w.calls[i])
			}
		}
		if len(reached) > 1 {
			out = append(out, fmt.Sprintf("send %d (%s) reached Linkup %d times: %v", sd.ID, sd.IdemKey, len(reached), reached))
		}
		user, step, known := w.actor(sd)
		if sd.RetryOf == 0 && !known {
			out = append(out, fmt.Sprintf("send %d (%s, %s) is in the log, and no request of the schedule made it", sd.ID, sd.IdemKey, brief(sd.Message)))
			continue
		}
		if sd.RetryOf == 0 && sd.Requester != user {
			out = append(out, fmt.Sprintf("send %d is recorded as %s's, and %s asked for it", sd.ID, sd.Requester, user))
		}
		root := w.root(sd)
		for _, c := range reached {
			if w.mayUse(c.Token, user, step) || sd.RetryOf != 0 && w.askedBefore(sd, user) {
				continue // a retry by one who asked for the message is theirs
			}
			who := "requested"
			if sd.RetryOf != 0 {
				who = fmt.Sprintf("retried (send %d of %s)", root.ID, root.Requester)
			}
			out = append(out, fmt.Sprintf("send %d, %s by %s at step %d, went to Linkup with %s, which %s may not use", sd.ID, who, user, step, w.tokenName(c.Token), user))
		}
	}
	// Who may send from each account, as the log holds it at the end: an
	// account from the command line keeps its users and its token; one
	// connected from Slack is its one owner's, with their LinkedIn session.
	for _, a := range w.accounts {
		if a.Name == "default" && w.s.Setup.DefaultConnected { // everyone's: it has no users, and its own token
			if len(a.Users) > 0 {
				out = append(out, fmt.Sprintf("the default account, connected with the command, has users: %s", strings.Join(a.Users, ", ")))
			}
			if a.Token != "" && a.Token != defaultStoredToken {
				out = append(out, fmt.Sprintf("the default account opens to %s, not its own token", w.tokenName(a.Token)))
			}
			continue
		}
		cli := slices.IndexFunc(w.s.Setup.Accounts, func(c cliAccount) bool { return c.Name == a.Name })
		if cli >= 0 {
			c := w.s.Setup.Accounts[cli]
			for _, u := range a.Users {
				if !slices.Contains(c.Users, u) {
					out = append(out, fmt.Sprintf("account %s (command line, for %s) lets %s send from it", a.Name, strings.Join(c.Users, ", "), u))
				}
			}
			if a.Token != "" && a.Token != c.Token {
				out = append(out, fmt.Sprintf("account %s (command line) opens to %s, not its own token", a.Name, w.tokenName(a.Token)))
			}
			continue
		}
		if len(a.Users) != 1 {
			out = append(out, fmt.Sprintf("account %s, connected from Slack, lets %d people send from it: %s", a.Name, len(a.Users), strings.Join(a.Users, ", ")))
		}
		if a.Token == "" {
			continue
		}
		owner := ""
		for _, l := range w.s.Setup.Logins {
			if l.Token == a.Token {
				owner = l.User
			}
		}
		if owner == "" || !slices.Contains(a.Users, owner) || len(a.Users) > 1 {
			out = append(out, fmt.Sprintf("account %s of %s holds %s", a.Name, strings.Join(a.Users, ", "), w.tokenName(a.Token)))
		}
	}
	// A message reaches LinkedIn once per request, and again only by a
	// Retry its requester was warned about (after an unknown outcome).
	chains := map[string][]store.Send{}
	for _, sd := range w.sends {
		chains[sd.Message] = append(chains[sd.Message], sd)
	}
	for text, chain := range chains {
		delivered, allowed := 0, 1
		for _, sd := range chain {
			for _, i := range a.bySend[sd.ID] {
				if w.calls[i].Delivered {
					delivered++
				}
			}
			if prev, ok := w.sendByID(sd.RetryOf); ok && prev.State == store.Unknown && prev.Verdict == "" {
				allowed++
			}
		}
		if delivered > allowed {
			var states []string
			for _, sd := range chain {
				states = append(states, fmt.Sprintf("send %d %s %s", sd.ID, sd.State, sd.Verdict))
			}
			out = append(out, fmt.Sprintf("%s reached LinkedIn %d times, and its requester was warned of at most %d (%s)", brief(text), delivered, allowed, strings.Join(states, "; ")))
		}
	}
	return out
}

// postMeta is a bot post's message metadata.
type postMeta struct {
	EventType string `json:"event_type"`
	Payload   struct {
		SendID       string `json:"send_id"`
		Post         string `json:"post"`
		Conversation string `json:"conversation"`
		Key          string `json:"key"`
	} `json:"event_payload"`
}

func metaOf(p fakeslack.Post) postMeta {
	var md postMeta
	_ = json.Unmarshal([]byte(p.Metadata), &md)
	return md
}

// dm is the channel of a DM with user, as the fake Slack names it.
func dm(user string) string {
	if strings.HasPrefix(user, "U") || strings.HasPrefix(user, "W") {
		return "D" + user[1:]
	}
	return user
}

// hookName is the name the fake Slack gave a response_url.
func hookName(u string) string {
	_, rest, ok := strings.Cut(u, "/response/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}

// checkEveryRequestEndsTold is I2.
func checkEveryRequestEndsTold(w *faultWorld) []string {
	var out []string
	keys := map[string]bool{}
	for _, sd := range w.sends {
		keys[sd.IdemKey] = true
	}
	for _, r := range w.reqs {
		if r.Accepted && r.Key != "" && !keys[r.Key] {
			out = append(out, fmt.Sprintf("step %d: %s's %s request was acked as taken, and is not in the log", r.Step, r.User, r.Kind))
		}
	}
	a := attribute(w)
	for _, sd := range w.sends {
		if !sd.State.Final() {
			out = append(out, fmt.Sprintf("send %d (%s) never ended: it is still %s", sd.ID, sd.IdemKey, sd.State))
			continue
		}
		// Told: a post of its outcome (and verdict) where its requester
		// reads, else its response_url's answer.
		where := map[string]bool{dm(sd.Requester): true, dm(sd.Channel): true, sd.RootChannel: true}
		hooks := 0
		for _, h := range w.hooks {
			if sd.ResponseURL != "" && h.Path == hookName(sd.ResponseURL) && h.Body["blocks"] != nil {
				hooks++
			}
		}
		kinds := []string{string(store.OutcomePosted)}
		if sd.Verdict != "" {
			kinds = append(kinds, string(store.VerdictPosted))
		}
		for _, kind := range kinds {
			posted := false
			for _, p := range w.posts {
				md := metaOf(p)
				if md.Payload.SendID == fmt.Sprint(sd.ID) && md.Payload.Post == kind && where[p.Channel] {
					posted = true
				}
			}
			// A campaign row that went is told by its line in the
			// campaign's thread, edited to its outcome; the others' lines
			// send the reader to the thread, where the outcome is posted.
			if store.IsCampaignKey(sd.IdemKey) && sd.State == store.Sent && kind == string(store.OutcomePosted) {
				posted = posted || strings.Contains(w.lastText(sd.RootChannel, sd.RootTS), ":white_check_mark: Sent")
			}
			switch {
			case posted:
			case hooks > 0:
				hooks--
			default:
				out = append(out, fmt.Sprintf("send %d (%s, %s by %s) ended %s %s, and its requester was never told (no %s post where they read, no response_url answer)",
					sd.ID, sd.IdemKey, brief(sd.Message), sd.Requester, sd.State, sd.Verdict, kind))
			}
		}
		// True: sent only if its message reached LinkedIn, failed only if not.
		delivered := 0
		for _, i := range a.bySend[sd.ID] {
			if w.calls[i].Delivered {
				delivered++
			}
		}
		switch {
		case sd.State == store.Sent && !sd.DryRun && delivered == 0:
			out = append(out, fmt.Sprintf("send %d (%s) says sent %s, and this send never delivered its message to LinkedIn", sd.ID, brief(sd.Message), sd.Verdict))
		case sd.State == store.Failed && delivered > 0:
			out = append(out, fmt.Sprintf("send %d (%s) says not sent %s (%s), and its message is on LinkedIn", sd.ID, brief(sd.Message), sd.Verdict, brief(sd.Reason)))
		}
	}
	return out
}

// lastText is the text of the post ts in channel as last edited; "" when none.
func (w *faultWorld) lastText(channel, ts string) string {
	text := ""
	for _, p := range w.posts {
		if p.TS == ts && p.Channel == channel {
			text = p.Text
		}
	}
	for _, c := range w.slackCalls {
		if c.Method == "chat.update" && c.Params["ts"] == ts && c.Params["channel"] == channel {
			text = c.Params["text"]
		}
	}
	return text
}

// readPageCost is the most one read costs.
var readPageCost = linkup.ReadCost(linkup.MaxPage)

// readCost is what reads cost: each but a 429, by its page size.
func readCost(reads []readCall) int {
	n := 0
	for _, r := range reads {
		if r.Status != 429 {
			n += linkup.ReadCost(r.Count)
		}
	}
	return n
}

// checkEveryMessageOnceInOrder is I3. A conversation is watched from the
// first message a send that ended sent and was announced in Slack put in
// it; every message its other side wrote after that must be posted once
// (unless the read credits ran out), in one of its sends' threads (or the
// requester's DM, where Slack refused the thread), in LinkedIn's order.
// The bot's own messages are never mirrored back.
func checkEveryMessageOnceInOrder(w *faultWorld) []string {
	var out []string
	capped := readCost(w.reads) >= w.s.Setup.ReadCredits-readPageCost
	a := attribute(w)
	posted := map[string][]int{}
	for i, p := range w.posts {
		if md := metaOf(p); md.EventType == "linkedin_bot_message" && md.Payload.Post == "message" {
			posted[md.Payload.Key] = append(posted[md.Payload.Key], i)
		}
	}
	byURN := map[string]int{}
	for i, c := range w.calls {
		if c.Delivered {
			byURN[c.URN] = i
		}
	}
	unreadable := unreadableAccounts(w)
	for _, mb := range w.mailboxes {
		start := -1
		account := ""
		threads := map[[2]string]bool{}
		dms := map[string]bool{}
		for idx, m := range mb.Messages {
			i, ok := byURN[m.URN]
			if !ok || a.send[i] < 0 {
				continue
			}
			sd := w.sends[a.send[i]]
			if sd.State != store.Sent || sd.RootChannel == "" {
				continue
			}
			if start < 0 {
				start, account = idx, sd.Account
			}
			threads[[2]string{sd.RootChannel, sd.Thread()}] = true
			dms[dm(sd.Requester)] = true
			if ps := posted[m.URN]; len(ps) > 0 {
				out = append(out, fmt.Sprintf("conversation %s: the bot's own message %s (send %d) was mirrored back into Slack %d time(s)", mb.ID, brief(m.Text), sd.ID, len(ps)))
			}
		}
		if start < 0 {
			continue // not watched: no send of it ended sent in a thread
		}
		if told, ok := unreadable[account]; ok {
			// Someone copied another account's sealed token into this
			// account's row: the bot cannot read its conversations until it
			// is connected again, and must have said so in Slack, once it
			// reads again: with the read credits spent it reads nothing,
			// and so cannot yet know (seed 17).
			if !told && !capped {
				out = append(out, fmt.Sprintf("conversation %s with %s: its account %s cannot be read (its stored token does not open) and nobody was told", mb.ID, mb.With.Name, account))
			}
			continue
		}
		last, lastText := -1, ""
		var missing []fakelinkup.Msg
		required := 0
		for _, m := range mb.Messages[start+1:] {
			if m.Sender != mb.With.Name || strings.TrimSpace(m.Text) == "" {
				continue
			}
			required++
			ps := posted[m.URN]
			switch {
			case len(ps) == 0 && !capped:
				missing = append(missing, m)
			case len(ps) > 1:
				out = append(out, fmt.Sprintf("conversation %s: the message %s was posted %d times", mb.ID, brief(m.Text), len(ps)))
			}
			for _, pi := range ps {
				p := w.posts[pi]
				if !threads[[2]string{p.Channel, p.ThreadTS}] && !dms[p.Channel] {
					out = append(out, fmt.Sprintf("conversation %s: the message %s was posted in %s/%s, which is none of its threads", mb.ID, brief(m.Text), p.Channel, p.ThreadTS))
				}
			}
			if len(ps) == 0 {
				continue
			}
			if ps[0] < last {
				out = append(out, fmt.Sprintf("conversation %s: %s was posted before %s, which LinkedIn has first", mb.ID, brief(m.Text), brief(lastText)))
			}
			last, lastText = ps[0], m.Text
		}
		if len(missing) > 0 {
			out = append(out, fmt.Sprintf("conversation %s with %s: %d of the %d messages written since it is watched never reached its thread, from %s (written at %s by LinkedIn's clock) to %s",
				mb.ID, mb.With.Name, len(missing), required, brief(missing[0].Text), missing[0].At.Format("15:04:05.000"), brief(missing[len(missing)-1].Text)))
		}
	}
	return out
}

// unreadableAccounts are the accounts whose sealed token a schedule's
// tamper step replaced and that do not open at the end, each with whether
// the bot told Slack that it does not use them.
func unreadableAccounts(w *faultWorld) map[string]bool {
	out := map[string]bool{}
	for _, st := range w.s.Steps {
		if st.Kind != stepTamper {
			continue
		}
		for _, a := range w.accounts {
			if a.Name == st.Account && a.Token == "" {
				out[a.Name] = false
			}
		}
	}
	for name := range out {
		for _, p := range w.posts {
			if strings.Contains(p.Text, "token of the *"+slackpost.Escape(name)+"* account does not open") {
				out[name] = true
			}
		}
	}
	return out
}

// checkNoSecrets is I4: it returns the secrets found anywhere, and apart
// the response_urls kept at rest: in the log, or in a view's
// private_metadata (I4rest).
func checkNoSecrets(w *faultWorld) (anywhere, atRest []string) {
	var posts, edits, views, metadata, hooks strings.Builder
	for _, c := range w.slackCalls {
		switch c.Method {
		case "chat.postMessage":
			posts.WriteString(c.Params["text"] + c.Params["blocks"] + c.Params["metadata"])
		case "chat.update":
			edits.WriteString(c.Params["text"] + c.Params["blocks"])
		case "views.open", "views.update", "views.publish":
			var req struct {
				View map[string]any `json:"view"`
			}
			_ = json.Unmarshal(c.JSON, &req)
			md, _ := req.View["private_metadata"].(string)
			metadata.WriteString(md)
			delete(req.View, "private_metadata")
			b, _ := json.Marshal(req.View)
			views.Write(b)
		}
	}
	for _, h := range w.hooks {
		b, _ := json.Marshal(h.Body)
		hooks.Write(b)
	}
	places := []struct {
		name, text string
		rest       bool // where the bot keeps its state
	}{
		{"the bots' logs", w.logs, false}, {"Slack posts", posts.String(), false}, {"Slack edits", edits.String(), false},
		{"Slack views", views.String(), false}, {"response_url answers", hooks.String(), false},
		{"views' private_metadata", metadata.String(), true}, {"the log (store)", string(w.storeDump), true},
	}
	for _, s := range w.secrets {
		for _, p := range places {
			if s != "" && strings.Contains(p.text, s) {
				anywhere = append(anywhere, fmt.Sprintf("a secret (%s) appears in %s in clear", w.secretName(s), p.name))
			}
		}
	}
	for _, u := range w.responseURLs {
		path := u[strings.Index(u, "/response/"):]
		for _, p := range places {
			if !strings.Contains(p.text, path) {
				continue
			}
			msg := fmt.Sprintf("a response_url (%s) appears in %s in clear", hookName(u), p.name)
			if p.rest {
				atRest = append(atRest, msg)
			} else {
				anywhere = append(anywhere, msg)
			}
		}
	}
	return anywhere, atRest
}

// secretName names a secret without showing it.
func (w *faultWorld) secretName(s string) string {
	switch s {
	case appToken:
		return "the app token"
	case botToken:
		return "the bot token"
	case apiKey:
		return "the Linkup API key"
	case accountsKey:
		return "ACCOUNTS_KEY"
	}
	for _, l := range w.s.Setup.Logins {
		switch s {
		case l.Password:
			return "the LinkedIn password of " + l.User
		case l.Code:
			return "the LinkedIn code of " + l.User
		}
	}
	return w.tokenName(s)
}

// Slack's limits (docs.slack.dev, Block Kit reference); characters are
// code points.
const (
	slackMessageText   = 40000 // a message's text: msg_too_long past it
	slackMessageBlocks = 50
	slackViewBlocks    = 100
	slackTextObject    = 3000 // a section's text, a context element
	slackField         = 2000
	slackFields        = 10
	slackHeader        = 150
	slackContextItems  = 10
	slackActionItems   = 25
	slackButtonText    = 75
	slackButtonValue   = 2000
	slackID            = 255 // block_id, action_id, callback_id
	slackLabel         = 2000
	slackPlaceholder   = 150
	slackOptions       = 100
	slackOptionText    = 75
	slackOptionValue   = 150
	slackViewTitle     = 24
	slackMetadata      = 3000 // a view's private_metadata
	slackInputValue    = 3000
)

// autoLinked finds what Slack turns into a link or a mention in mrkdwn
// that is not verbatim: a bare URL, a #channel, @here, @channel or @everyone.
var autoLinked = regexp.MustCompile(`(?i)(?:^|[^<|/\w])(?:https?://|www\.)[^\s<>|]+|(?:^|\s)#[a-z0-9][\w-]*|(?:^|\s)@(?:here|channel|everyone)\b`)

// linkText is what autoLinked found, without the character before it.
func linkText(m string) string {
	m = strings.TrimSpace(m)
	if i := strings.IndexAny(m, "#@hHwW"); i > 0 {
		m = m[i:]
	}
	return m
}

// checkSlackLimits is I5.
func checkSlackLimits(w *faultWorld) []string {
	var out []string
	for _, c := range w.slackCalls {
		switch c.Method {
		case "chat.postMessage", "chat.update":
			where := fmt.Sprintf("%s to %s", c.Method, c.Params["channel"])
			out = append(out, checkMessage(where, c.Params["text"], c.Params["blocks"])...)
		case "views.open", "views.update", "views.publish":
			var req struct {
				View map[string]any `json:"view"`
			}
			_ = json.Unmarshal(c.JSON, &req)
			out = append(out, checkView(c.Method, req.View)...)
		}
	}
	for _, h := range w.hooks {
		text, _ := h.Body["text"].(string)
		blocks := ""
		if h.Body["blocks"] != nil {
			b, _ := json.Marshal(h.Body["blocks"])
			blocks = string(b)
		}
		out = append(out, checkMessage("a response_url answer ("+h.Path+")", text, blocks)...)
	}
	return out
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// checkMessage checks a message's text and blocks.
func checkMessage(where, text, blocksJSON string) []string {
	var out []string
	if n := runes(text); n > slackMessageText {
		out = append(out, fmt.Sprintf("%s: a text of %d characters (Slack's limit: %d)", where, n, slackMessageText))
	}
	if blocksJSON == "" || blocksJSON == "null" {
		if m := autoLinked.FindString(text); m != "" {
			out = append(out, fmt.Sprintf("%s: text without blocks holds %q, which Slack turns into a link", where, linkText(m)))
		}
		return out
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(blocksJSON), &blocks); err != nil {
		return append(out, fmt.Sprintf("%s: blocks that are not a JSON list: %v", where, err))
	}
	return append(out, checkBlocks(where, blocks, slackMessageBlocks)...)
}

// checkView checks a modal's or Home tab's view.
func checkView(where string, v map[string]any) []string {
	var out []string
	for _, k := range []string{"title", "submit", "close"} {
		if t, ok := v[k].(map[string]any); ok {
			if s, _ := t["text"].(string); runes(s) > slackViewTitle {
				out = append(out, fmt.Sprintf("%s: a %s of %d characters (limit %d)", where, k, runes(s), slackViewTitle))
			}
		}
	}
	if s, _ := v["private_metadata"].(string); runes(s) > slackMetadata {
		out = append(out, fmt.Sprintf("%s: private_metadata of %d characters (limit %d)", where, runes(s), slackMetadata))
	}
	if s, _ := v["callback_id"].(string); runes(s) > slackID {
		out = append(out, fmt.Sprintf("%s: a callback_id of %d characters", where, runes(s)))
	}
	var blocks []map[string]any
	if raw, ok := v["blocks"].([]any); ok {
		for _, b := range raw {
			if m, ok := b.(map[string]any); ok {
				blocks = append(blocks, m)
			}
		}
	}
	return append(out, checkBlocks(where, blocks, slackViewBlocks)...)
}

// checkBlocks checks blocks against Slack's limits and for auto-links.
func checkBlocks(where string, blocks []map[string]any, most int) []string {
	var out []string
	if len(blocks) > most {
		out = append(out, fmt.Sprintf("%s: %d blocks (Slack's limit: %d)", where, len(blocks), most))
	}
	text := func(what string, t any, limit int) {
		obj, ok := t.(map[string]any)
		if !ok {
			return
		}
		s, _ := obj["text"].(string)
		if n := runes(s); n > limit {
			out = append(out, fmt.Sprintf("%s: %s of %d characters (Slack's limit: %d)", where, what, n, limit))
		}
		if obj["type"] == "mrkdwn" && obj["verbatim"] != true {
			if m := autoLinked.FindString(s); m != "" {
				out = append(out, fmt.Sprintf("%s: %s holds %q in mrkdwn without verbatim, which Slack turns into a link", where, what, linkText(m)))
			}
		}
	}
	str := func(what string, v any, limit int) {
		if s, _ := v.(string); runes(s) > limit {
			out = append(out, fmt.Sprintf("%s: %s of %d characters (Slack's limit: %d)", where, what, runes(s), limit))
		}
	}
	element := func(kind string, el map[string]any) {
		str(kind+"'s action_id", el["action_id"], slackID)
		switch el["type"] {
		case "button":
			text("a button's text", el["text"], slackButtonText)
			str("a button's value", el["value"], slackButtonValue)
			if c, ok := el["confirm"].(map[string]any); ok {
				text("a confirmation's title", c["title"], 100)
				text("a confirmation's text", c["text"], 300)
				text("a confirmation's button", c["confirm"], 30)
				text("a confirmation's button", c["deny"], 30)
			}
		case "static_select":
			opts, _ := el["options"].([]any)
			if len(opts) > slackOptions {
				out = append(out, fmt.Sprintf("%s: a select of %d options (limit %d)", where, len(opts), slackOptions))
			}
			for _, o := range append(opts, el["initial_option"]) {
				if o, ok := o.(map[string]any); ok {
					text("an option's text", o["text"], slackOptionText)
					str("an option's value", o["value"], slackOptionValue)
				}
			}
			text("a placeholder", el["placeholder"], slackPlaceholder)
		case "plain_text_input", "email_text_input", "url_text_input":
			str("an input's initial value", el["initial_value"], slackInputValue)
			text("a placeholder", el["placeholder"], slackPlaceholder)
		}
	}
	for _, b := range blocks {
		str("a block_id", b["block_id"], slackID)
		switch b["type"] {
		case "section":
			text("a section's text", b["text"], slackTextObject)
			fields, _ := b["fields"].([]any)
			if len(fields) > slackFields {
				out = append(out, fmt.Sprintf("%s: a section of %d fields (limit %d)", where, len(fields), slackFields))
			}
			for _, f := range fields {
				text("a field", f, slackField)
			}
			if acc, ok := b["accessory"].(map[string]any); ok {
				element("an accessory", acc)
			}
		case "context":
			els, _ := b["elements"].([]any)
			if len(els) > slackContextItems {
				out = append(out, fmt.Sprintf("%s: a context of %d elements (limit %d)", where, len(els), slackContextItems))
			}
			for _, e := range els {
				text("a context element", e, slackTextObject)
			}
		case "header":
			text("a header", b["text"], slackHeader)
		case "actions":
			els, _ := b["elements"].([]any)
			if len(els) > slackActionItems {
				out = append(out, fmt.Sprintf("%s: an actions block of %d elements (limit %d)", where, len(els), slackActionItems))
			}
			for _, e := range els {
				if e, ok := e.(map[string]any); ok {
					element("an action", e)
				}
			}
		case "input":
			text("an input's label", b["label"], slackLabel)
			text("an input's hint", b["hint"], slackLabel)
			if el, ok := b["element"].(map[string]any); ok {
				element("an input", el)
			}
		}
	}
	return out
}

// checkCaps is I6: per account and UTC day, the calls Linkup may have
// acted on and did not refuse stay within DAILY_SEND_LIMIT; the reads'
// credits stay within READ_CREDITS_PER_DAY.
func checkCaps(w *faultWorld) []string {
	var out []string
	a := attribute(w)
	counted := map[string]int{}
	for i, c := range w.calls {
		if !c.reachedLinkup() || c.Status == 400 {
			continue // a 429 or a refusal: not a message sent
		}
		acct := w.tokenName(c.Token)
		if k := a.send[i]; k >= 0 {
			acct = "account " + w.sends[k].Account
		}
		counted[acct+" on "+c.At.UTC().Format(time.DateOnly)]++
	}
	for k, n := range counted {
		if n > w.s.Setup.DailyLimit {
			out = append(out, fmt.Sprintf("%s: %d messages reached Linkup, over DAILY_SEND_LIMIT=%d", k, n, w.s.Setup.DailyLimit))
		}
	}
	days := map[string][]readCall{}
	for _, r := range w.reads {
		day := r.At.UTC().Format(time.DateOnly)
		days[day] = append(days[day], r)
	}
	for day, rs := range days {
		if n := readCost(rs); n > w.s.Setup.ReadCredits {
			out = append(out, fmt.Sprintf("reads on %s cost %d credits, over READ_CREDITS_PER_DAY=%d", day, n, w.s.Setup.ReadCredits))
		}
	}
	return out
}

// TestFaultInvariantsCatchViolations shows that each invariant can fail: a
// calm schedule is played against a real bot and passes them all; then each of a dozen mutations of
// what happened (Linkup getting a request twice, a message sent from
// someone else's account, an outcome never told or untrue, a reply lost,
// doubled or out of order, a secret in the logs, a post past Slack's
// limits, a cap passed) is caught by its invariant, and only by the ones
// it breaks.
func TestFaultInvariantsCatchViolations(t *testing.T) {
	u1, u2 := "U0FAAAA01", "U0FAAAA02"
	s := schedule{Seed: 1 << 40, Setup: setup{
		Replicas: 1, Users: []string{u1, u2}, Default: true, DisplayNames: map[string]string{u1: "Ana Ruiz", u2: "Sam Lee"},
		Accounts:   []cliAccount{{Name: "li-02", Token: ownTokenPrefix + u2, Users: []string{u2}}},
		DailyLimit: 100, ReadCredits: 1000, LinkupTimeout: time.Second, Concurrency: 2, Recipients: faultRecipients,
	}}
	s.Steps = []step{
		{Kind: stepSend, User: u1, Via: viaCommand, Recipient: faultRecipients[0], Text: "r00 Hello Ria"},
		{Kind: stepSend, User: u2, Via: viaCommand, Recipient: faultRecipients[1], Text: "r01 Hello Omar"},
		{Kind: stepPause, D: 500 * time.Millisecond},
		{Kind: stepLinkedIn, Ref: 0, Texts: []string{"Hi! Tuesday works.", "Or Wednesday, if you prefer."}},
	}
	fr := newFaultRun(t, s)
	defer fr.close()
	fr.play()
	calm := fr.world()
	require.Empty(t, fr.problems)
	found := checkInvariants(calm)
	for _, inv := range invariantNames {
		require.Empty(t, found[inv], "the calm schedule breaks %s", inv)
	}
	require.Len(t, calm.calls, 2, "two sends")
	require.Len(t, calm.sends, 2)
	var mirrored []int
	for i, p := range calm.posts {
		if metaOf(p).Payload.Post == "message" {
			mirrored = append(mirrored, i)
		}
	}
	require.Len(t, mirrored, 2, "the two replies in the thread")

	copyOf := func() *faultWorld {
		w := *calm
		w.s.Setup.Accounts = slices.Clone(calm.s.Setup.Accounts)
		w.calls, w.posts, w.sends, w.reqs = slices.Clone(calm.calls), slices.Clone(calm.posts), slices.Clone(calm.sends), slices.Clone(calm.reqs)
		w.hooks, w.slackCalls, w.reads = slices.Clone(calm.hooks), slices.Clone(calm.slackCalls), slices.Clone(calm.reads)
		return &w
	}
	first := slices.IndexFunc(calm.calls, func(c linkupCall) bool { return strings.HasPrefix(c.Text, "r00") })
	require.GreaterOrEqual(t, first, 0)
	blocks := func(n int, text string) string {
		var bs []map[string]any
		for range n {
			bs = append(bs, map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": text}})
		}
		b, _ := json.Marshal(bs)
		return string(b)
	}
	cases := []struct {
		name   string
		mutate func(w *faultWorld)
		breaks []string // the invariants that must catch it
		says   string
	}{
		{"Linkup gets the request twice", func(w *faultWorld) {
			again := w.calls[first]
			again.At = again.At.Add(20 * time.Millisecond)
			w.calls = append(w.calls, again)
		}, []string{"I1"}, "reached Linkup 2 times"},
		{"a message goes from someone else's account", func(w *faultWorld) {
			w.calls[first].Token = ownTokenPrefix + u2
		}, []string{"I1"}, "which U0FAAAA01 may not use"},
		{"Linkup gets a call no send accounts for", func(w *faultWorld) {
			w.calls = append(w.calls, linkupCall{At: time.Now(), Token: loginToken, Text: "never asked", Status: 200, Delivered: true})
		}, []string{"I1"}, "no recorded send accounts for"},
		{"an acked request is not in the log", func(w *faultWorld) {
			w.reqs = append(w.reqs, &faultRequest{Step: 9, Kind: viaCommand, User: u1, Key: "envelope:lost", Accepted: true})
		}, []string{"I2"}, "acked as taken, and is not in the log"},
		{"an outcome is never told", func(w *faultWorld) {
			w.posts = slices.DeleteFunc(w.posts, func(p fakeslack.Post) bool { return metaOf(p).Payload.Post == "outcome_posted" })
		}, []string{"I2"}, "never told"},
		{"a send says sent and nothing reached LinkedIn", func(w *faultWorld) {
			w.calls[first].Delivered = false
		}, []string{"I2"}, "never delivered its message"},
		{"an account whose token was swapped is not read, and nobody is told", func(w *faultWorld) {
			w.s.Steps = append(slices.Clone(w.s.Steps), step{Kind: stepTamper, Account: "li-02", Text: "default"})
			w.accounts = slices.Clone(w.accounts)
			for i := range w.accounts {
				if w.accounts[i].Name == "li-02" {
					w.accounts[i].Token = ""
				}
			}
		}, []string{"I3"}, "cannot be read (its stored token does not open) and nobody was told"},
		{"a reply is lost", func(w *faultWorld) {
			w.posts = slices.Delete(w.posts, mirrored[1], mirrored[1]+1)
		}, []string{"I3"}, "never reached its thread"},
		{"a reply is posted twice", func(w *faultWorld) {
			w.posts = append(w.posts, w.posts[mirrored[0]])
		}, []string{"I3"}, "posted 2 times"},
		{"replies are posted out of order", func(w *faultWorld) {
			w.posts[mirrored[0]], w.posts[mirrored[1]] = w.posts[mirrored[1]], w.posts[mirrored[0]]
		}, []string{"I3"}, "which LinkedIn has first"},
		{"a token is logged", func(w *faultWorld) {
			w.logs += `{"level":"debug","token":"` + ownTokenPrefix + u2 + `"}`
		}, []string{"I4"}, "appears in the bots' logs"},
		{"a post passes Slack's limits and auto-links", func(w *faultWorld) {
			w.slackCalls = append(w.slackCalls,
				fakeslack.Call{Method: "chat.postMessage", Params: map[string]string{"channel": salesChannel, "text": "x", "blocks": blocks(51, "ok")}},
				fakeslack.Call{Method: "chat.postMessage", Params: map[string]string{"channel": salesChannel, "text": "x", "blocks": blocks(1, strings.Repeat("é", 3001))}},
				fakeslack.Call{Method: "chat.postMessage", Params: map[string]string{"channel": salesChannel, "text": "x", "blocks": blocks(1, "> see https://evil.example/login")}})
		}, []string{"I5"}, "51 blocks"},
		{"a namesake joins someone's account", func(w *faultWorld) {
			w.accounts = append(slices.Clone(w.accounts), storedAccount{Name: "Sam Lee", Users: []string{u1, u2}, Token: ownTokenPrefix + u2})
		}, []string{"I1"}, "lets 2 people send from it"},
		{"the caps are passed", func(w *faultWorld) {
			w.s.Setup.DailyLimit, w.s.Setup.ReadCredits = 0, 1
		}, []string{"I6"}, "over DAILY_SEND_LIMIT=0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := copyOf()
			tc.mutate(w)
			got := checkInvariants(w)
			for _, inv := range invariantNames {
				if inv == "I4rest" {
					continue
				}
				if slices.Contains(tc.breaks, inv) {
					assert.NotEmpty(t, got[inv], "%s must catch it", inv)
				} else {
					assert.Empty(t, got[inv], "%s must not", inv)
				}
			}
			assert.Contains(t, strings.Join(got[tc.breaks[0]], "\n"), tc.says)
		})
	}
}
