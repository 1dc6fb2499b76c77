package main

// The fault-schedule suite's invitation actors: invitations made from a
// send Linkup refused for its recipient (the "Invite with a note" button)
// or with `/linkedin-send invite <url> [note]`, with and without "send on
// accept"; Cancel pressed by the requester or by a stranger; acceptances
// (duplicated, before the invitation is called, after it expired); a note
// LinkedIn refuses, then "Invite without a note" pressed by the requester,
// a colleague or an outsider, once or twice at once, racing with Cancel
// and with the acceptance of the invitation it makes; and Linkup faults on
// the invite calls. They are drawn from a stream of their own and inserted
// among the steps of the schedule, so that a seed's other steps stay as
// they were. Half the schedules with invitations run on Linkup v2, where
// an acceptance reaches the bots only as an accepted_invitation event on
// their webhook's stream. Invariant I7 judges them.
//
//	I7  each invitation reaches Linkup at most once (with its note, then
//	    once without, only after LinkedIn refused the note and someone who
//	    may use the account pressed "Invite without a note"); its message
//	    is sent at most once, and only once accepted and not cancelled (a
//	    message cancelled before the note was refused stays cancelled);
//	    every invitation ends told in Slack, final or pending (none left
//	    calling); on v2, one accepted while pending with its stream held
//	    ends accepted; a stranger's Cancel or press changes nothing; with
//	    INVITES_PER_WEEK, an account's invitations that may have gone
//	    never exceed it, and each the cap refused is told so

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/internal/fakeslack"
	"linkedin-bot/invite"
	"linkedin-bot/linkup"
	"linkedin-bot/send"
	"linkedin-bot/store"
)

const (
	stepInvite       stepKind = "invite"        // User invites Recipient Via refused (the button under the send of step Ref) or command; note Text; Effect: send on accept; N submissions
	stepInviteCancel stepKind = "invite-cancel" // User presses Cancel on the invitation of step Ref, N times
	stepInviteAccept stepKind = "invite-accept" // the recipient of step Ref's invitation accepts (N times); with Effect, after it expired
	stepInviteNoNote stepKind = "invite-nonote" // User presses "Invite without a note" on the invitation of step Ref, N times; with Effect, its requester presses Cancel on the new invitation at once
	faultNoteLimit            = "note-limit"    // stepInvite: LinkedIn refuses the invitation's note (CUSTOM_INVITE_LIMIT_REACHED)
	viaAccepting              = "accepting"     // stepInviteNoNote: the recipient accepts the new invitation as soon as it is in the log
	pathInvite                = "invite"        // stepLinkup: Linkup's invite calls
	viaRefused                = "refused"       // stepInvite: from the send Linkup refused
)

// genInvitations inserts the invitation actors into s: in half the
// schedules, one to three invitations, each a group of steps spread
// among the others. It draws from its own stream.
func genInvitations(s *schedule, tail int) {
	r := rand.New(rand.NewPCG(uint64(s.Seed), 0x1271e))
	if r.IntN(2) == 0 {
		return
	}
	// The notes LinkedIn refuses, and the presses of "Invite without a
	// note", are drawn from a stream of their own.
	rn := rand.New(rand.NewPCG(uint64(s.Seed), 0x0a07e))
	su := s.Setup
	var groups [][]step
	for k := range 1 + r.IntN(3) {
		user := su.Users[r.IntN(len(su.Users))]
		recipient := fmt.Sprintf("https://www.linkedin.com/in/inv-%d-%d", s.Seed, k)
		var g []step
		inv := step{Kind: stepInvite, User: user, Recipient: recipient, Effect: r.IntN(3) > 0, N: 1 + r.IntN(2)}
		if r.IntN(2) == 0 {
			text := fmt.Sprintf("i%d message sent on acceptance", k)
			g = append(g, step{Kind: stepSend, User: user, Via: viaCommand, Recipient: recipient, Text: text}) // refused: see invitee
			inv.Via, inv.Ref, inv.Text = viaRefused, len(g)-1, fmt.Sprintf("Hi, note %d", k)
		} else {
			inv.Via = viaCommand
			if r.IntN(2) == 0 {
				inv.Text = fmt.Sprintf("Hello from note %d", k)
			}
		}
		if r.IntN(3) == 0 {
			f := step{Kind: stepLinkup, Path: pathInvite, N: 1, Fault: []string{fault5xx, faultTimeout, fault429, faultReset}[r.IntN(4)]}
			g = append(g, f)
		}
		g = append(g, inv)
		at := len(g) - 1
		if r.IntN(3) == 0 {
			g = append(g, step{Kind: stepKill, Replica: r.IntN(su.Replicas), D: time.Duration(r.IntN(300)) * time.Millisecond, Restart: true})
		}
		if r.IntN(2) == 0 {
			who := user
			if r.IntN(2) == 0 {
				who = su.Users[r.IntN(len(su.Users))]
				if su.Outsider != "" && r.IntN(2) == 0 {
					who = su.Outsider
				}
			}
			g = append(g, step{Kind: stepInviteCancel, User: who, Ref: at, N: 1 + r.IntN(2)})
		}
		if inv.Text != "" && rn.IntN(2) == 0 {
			g[at].Fault = faultNoteLimit
			who := user
			switch rn.IntN(4) {
			case 0:
				who = su.Users[rn.IntN(len(su.Users))]
			case 1:
				if su.Outsider != "" {
					who = su.Outsider
				}
			}
			nn := step{Kind: stepInviteNoNote, User: who, Ref: at, N: 1 + rn.IntN(2), Effect: rn.IntN(2) == 0}
			if rn.IntN(2) == 0 {
				nn.Via = viaAccepting
			}
			g = append(g, nn)
		}
		if r.IntN(4) > 0 {
			g = append(g, step{Kind: stepInviteAccept, Ref: at, N: 1 + r.IntN(2), Effect: r.IntN(4) == 0})
		}
		groups = append(groups, g)
	}
	// A third of these schedules have a weekly cap of 1 or 2 invitations
	// per account, and nothing ages an invitation out of the week.
	if rc := rand.New(rand.NewPCG(uint64(s.Seed), 0x0ca9)); rc.IntN(3) == 0 {
		s.Setup.InvitesPerWeek = 1 + rc.IntN(2)
		for _, g := range groups {
			for k := range g {
				if g[k].Kind == stepInviteAccept {
					g[k].Effect = false
				}
			}
		}
		// One person invites one more than the cap with the command, from
		// their best account: the last at least is refused.
		user := su.Users[rc.IntN(len(su.Users))]
		var g []step
		for k := range s.Setup.InvitesPerWeek + 1 {
			g = append(g, step{Kind: stepInvite, User: user, Via: viaCommand, Recipient: fmt.Sprintf("https://www.linkedin.com/in/inv-%d-cap%d", s.Seed, k), N: 1})
		}
		groups = append(groups, g)
	}
	insertGroups(s, r, groups, tail)
}

// insertGroups spreads groups of steps among the first len(s.Steps)-tail
// steps of s, keeping the order within a group: each group's steps go to
// increasing positions. The Refs of the steps already there follow them;
// a group's own Refs are indexes within the group.
func insertGroups(s *schedule, r *rand.Rand, groups [][]step, tail int) {
	base := len(s.Steps) - tail
	// Each inserted step is placed before base step pos (pos == base: at the end of the base).
	type placed struct {
		pos, group, idx int
	}
	var all []placed
	for gi, g := range groups {
		pos := r.IntN(base + 1)
		for k := range g {
			all = append(all, placed{pos: pos, group: gi, idx: k})
			if r.IntN(2) == 0 {
				pos = min(base, pos+1+r.IntN(3))
			}
		}
	}
	slices.SortStableFunc(all, func(a, b placed) int { return a.pos - b.pos })
	var out []step
	oldTo := make([]int, len(s.Steps))
	newOf := map[[2]int]int{}
	k := 0
	for old := 0; old <= base; old++ {
		for k < len(all) && all[k].pos == old {
			newOf[[2]int{all[k].group, all[k].idx}] = len(out)
			st := groups[all[k].group][all[k].idx]
			st.Pause = time.Duration(r.IntN(200)) * time.Millisecond
			out = append(out, st)
			k++
		}
		if old < base {
			oldTo[old] = len(out)
			out = append(out, s.Steps[old])
		}
	}
	for old := base; old < len(s.Steps); old++ {
		oldTo[old] = len(out)
		out = append(out, s.Steps[old])
	}
	inserted := map[int]bool{}
	for key, at := range newOf {
		inserted[at] = true
		switch out[at].Kind {
		case stepInvite, stepInviteCancel, stepInviteAccept, stepInviteNoNote:
			if out[at].Kind != stepInvite || out[at].Via == viaRefused {
				out[at].Ref = newOf[[2]int{key[0], out[at].Ref}]
			}
		}
	}
	for i := range out {
		if inserted[i] {
			continue
		}
		switch out[i].Kind {
		case stepDuplicate, stepRetry, stepReply, stepLinkedIn, stepBurst, stepInviteCancel, stepInviteAccept, stepInviteNoNote:
			out[i].Ref = oldTo[out[i].Ref]
		case stepInvite:
			if out[i].Via == viaRefused {
				out[i].Ref = oldTo[out[i].Ref]
			}
		}
	}
	s.Steps = out
}

// invitee reports whether profile is one the invitation actors invite:
// Linkup refuses a message to them (not a connection) until they accept.
func invitee(profile string) bool {
	return strings.HasPrefix(profile, "https://www.linkedin.com/in/inv-")
}

// faultInvite is one invitation asked for at a step.
type faultInvite struct {
	Step         int
	User         string
	Via          string
	Recipient    string
	Note         string
	SendOnAccept bool
	ViewID       string
	Submitted    int      // submissions delivered
	Accepted     bool     // a submission was acked as taken (an empty ack)
	Acks         []string // the submissions' acks that were not empty
	FromSend     int64
	NoteLimited  bool // LinkedIn refuses its note
}

// inviteCancel is one press of Cancel on an invitation's message, or of
// "Invite without a note" on an invitation LinkedIn refused for its note.
type inviteCancel struct {
	Step       int
	User       string
	Invitation int64
	At         time.Time
	Hook       string // the press's response_url (fakeslack's name)
	Acked      bool
}

// inviteCall is one invite call as the fake Linkup saw it.
type inviteCall struct {
	At        time.Time
	Token     string
	Recipient string
	Action    string
	Note      string
	Fault     string
	Status    int // 0: none (timeout, hang-up)
}

// answerInvite is the fake Linkup's answer to a network call: the next
// invite fault, if any (checks pass untouched).
func (fr *faultRun) answerInvite(w http.ResponseWriter, c fakelinkup.InviteCall) bool {
	fr.mu.Lock()
	var f linkupFault
	if c.Action == "invite" && len(fr.inviteQ) > 0 {
		f, fr.inviteQ = fr.inviteQ[0], fr.inviteQ[1:]
	}
	if f.kind == "" && c.Action == "invite" && c.Note != "" && fr.noteLimited[c.Profile] {
		f.kind = faultNoteLimit
	}
	token := c.LoginToken
	if c.AccountID != "" {
		token = fr.tokenOf(c.AccountID)
	}
	n := len(fr.inviteCalls)
	fr.inviteCalls = append(fr.inviteCalls, inviteCall{At: time.Now(), Token: token, Recipient: c.Profile, Action: c.Action, Note: c.Note, Fault: f.kind, Status: http.StatusOK})
	if f.kind != "" {
		fr.injected["linkup invite "+f.kind]++
	}
	fr.mu.Unlock()
	status := func(code int) {
		fr.mu.Lock()
		fr.inviteCalls[n].Status = code
		fr.mu.Unlock()
	}
	switch f.kind {
	case faultNoteLimit: // the answer to a note over a free account's allowance
		if c.Version == "v2" {
			status(http.StatusTooManyRequests)
			fakelinkup.ReplyV2Error(w, http.StatusTooManyRequests, "CUSTOM_INVITE_LIMIT_REACHED", "Custom invite limit reached")
			return true
		}
		status(http.StatusBadRequest)
		fakelinkup.Reply(w, http.StatusBadRequest, `{"status":"error","message":"CUSTOM_INVITE_LIMIT_REACHED"}`)
		return true
	case fault5xx:
		status(http.StatusBadGateway)
		fakelinkup.Reply(w, http.StatusBadGateway, `<html>Bad Gateway</html>`)
		return true
	case fault429:
		status(http.StatusTooManyRequests)
		w.Header().Set("Retry-After", "1")
		if c.Version == "v2" {
			fakelinkup.ReplyV2Error(w, http.StatusTooManyRequests, "RATE_LIMITED", "API Rate limit exceeded")
			return true
		}
		fakelinkup.Reply(w, http.StatusTooManyRequests, `{"message":"API Rate limit exceeded"}`)
		return true
	case faultTimeout:
		status(0)
		time.Sleep(fr.s.Setup.LinkupTimeout + 200*time.Millisecond)
		return true
	case faultReset:
		status(0)
		hangUp(w)
		return true
	}
	return false
}

// invitation is the log's first invitation to recipient, if any.
func (fr *faultRun) invitation(recipient string) (store.Invitation, bool) {
	invs := fr.invitationsOf(recipient)
	if len(invs) == 0 {
		return store.Invitation{}, false
	}
	return invs[0], true
}

// invitationsOf are the log's invitations to recipient, oldest first: the
// one a step asked for, then the one "Invite without a note" made.
func (fr *faultRun) invitationsOf(recipient string) []store.Invitation {
	v := fr.logView()
	if v == nil {
		return nil
	}
	invs, err := v.ListInvitations(context.Background(), time.Time{})
	if err != nil {
		return nil
	}
	var out []store.Invitation
	for _, inv := range invs {
		if inv.Recipient == recipient {
			out = append(out, inv)
		}
	}
	return out
}

func (fr *faultRun) inviteOf(step int) *faultInvite {
	for _, x := range fr.invites {
		if x.Step == step {
			return x
		}
	}
	return nil
}

// inviteStep plays the invitation steps.
func (fr *faultRun) inviteStep(i int, st step) {
	switch st.Kind {
	case stepInvite:
		fr.invite(i, st)
	case stepInviteCancel:
		x := fr.inviteOf(st.Ref)
		if x == nil {
			fr.note("step %d: no invitation to cancel", i)
			return
		}
		var inv store.Invitation
		if !poll(fr.s.Setup.LinkupTimeout+time.Second, func() bool {
			var ok bool
			inv, ok = fr.invitation(x.Recipient)
			return ok
		}) {
			fr.note("step %d: the invitation of step %d is not in the log: nothing to cancel", i, st.Ref)
			return
		}
		for range st.N {
			fr.mu.Lock()
			fr.cancels = append(fr.cancels, inviteCancel{Step: i, User: st.User, Invitation: inv.ID, At: time.Now()})
			fr.mu.Unlock()
			_, ok := fr.click(i, st.User, "cancel_on_accept", fmt.Sprint(inv.ID))
			fr.note("step %d: %s pressed Cancel on invitation %d (%s, intent %q, by %s): acked %v", i, st.User, inv.ID, inv.State, inv.Intent, inv.Requester, ok)
		}
	case stepInviteNoNote:
		fr.inviteWithoutNote(i, st)
	case stepInviteAccept:
		x := fr.inviteOf(st.Ref)
		if x == nil {
			fr.note("step %d: no invitation to accept", i)
			return
		}
		if st.Effect {
			// After the wait: the invitation is made 22 days old, and
			// accepted once the bots expired it.
			if err := fr.execLog("UPDATE invitations SET called_at = called_at - $1 WHERE recipient = $2 AND state = 'pending'", int64(22*24*time.Hour/time.Millisecond), x.Recipient); err != nil {
				fr.note("step %d: ageing the invitation failed: %v", i, err)
			}
			expired := poll(3*time.Second, func() bool {
				inv, _ := fr.invitation(x.Recipient)
				return inv.State == store.InviteExpired
			})
			fr.count("invitation accepted after expiry")
			fr.note("step %d: the invitation of step %d aged past the wait (expired: %v)", i, st.Ref, expired)
		}
		for n := range st.N {
			if n > 0 {
				fr.count("invitation accepted again")
				time.Sleep(300 * time.Millisecond)
			}
			fr.accept(x.Recipient)
		}
		fr.note("step %d: %s accepted the invitation of step %d (%d time(s))", i, x.Recipient, st.Ref, st.N)
	}
}

// inviteWithoutNote presses "Invite without a note" st.N times at once on
// the invitation of step st.Ref, once it has its outcome; with st.Effect,
// its requester presses Cancel on the invitation the press made as soon
// as it is in the log, racing with its call and its acceptance.
func (fr *faultRun) inviteWithoutNote(i int, st step) {
	x := fr.inviteOf(st.Ref)
	if x == nil {
		fr.note("step %d: no invitation to invite again", i)
		return
	}
	var inv store.Invitation
	if !poll(fr.s.Setup.LinkupTimeout+2*time.Second, func() bool {
		var ok bool
		inv, ok = fr.invitation(x.Recipient)
		return ok && inv.State != store.InviteCalling
	}) {
		fr.note("step %d: the invitation of step %d has no outcome: nothing to invite again", i, st.Ref)
		return
	}
	fr.note("step %d: the invitation of step %d is %s (code %q, intent %q)", i, st.Ref, inv.State, inv.Code, inv.Intent)
	var wg sync.WaitGroup
	for range st.N {
		wg.Go(func() {
			at := time.Now()
			hook, ok := fr.click(i, st.User, invite.NoNoteActionID, fmt.Sprint(inv.ID))
			if ok {
				// The press's work runs after its ack: the step ends once it
				// shows (an invitation made, or an answer to the presser), so
				// that a kill scheduled next does not cut a refusal I7
				// expects to be told.
				_ = poll(fr.s.Setup.LinkupTimeout+2*time.Second, func() bool {
					return len(fr.invitationsOf(x.Recipient)) >= 2 || slices.ContainsFunc(fr.c.slack.Hooks(), func(h fakeslack.Hook) bool { return h.Path == hook })
				})
			}
			fr.mu.Lock()
			fr.noNotes = append(fr.noNotes, inviteCancel{Step: i, User: st.User, Invitation: inv.ID, At: at, Hook: hook, Acked: ok})
			fr.mu.Unlock()
			fr.note("step %d: %s pressed Invite without a note on invitation %d: acked %v", i, st.User, inv.ID, ok)
		})
	}
	// The invitation the presses made, once it is in the log.
	made := func() (store.Invitation, bool) {
		var again store.Invitation
		ok := poll(2*time.Second, func() bool {
			invs := fr.invitationsOf(x.Recipient)
			if len(invs) < 2 {
				return false
			}
			again = invs[len(invs)-1]
			return true
		})
		return again, ok
	}
	if st.Effect {
		wg.Go(func() {
			again, ok := made()
			if !ok {
				fr.note("step %d: no invitation without a note to cancel", i)
				return
			}
			fr.mu.Lock()
			fr.cancels = append(fr.cancels, inviteCancel{Step: i, User: x.User, Invitation: again.ID, At: time.Now()})
			fr.mu.Unlock()
			_, ok = fr.click(i, x.User, invite.CancelActionID, fmt.Sprint(again.ID))
			fr.note("step %d: %s pressed Cancel on invitation %d (%s, intent %q): acked %v", i, x.User, again.ID, again.State, again.Intent, ok)
		})
	}
	if st.Via == viaAccepting {
		wg.Go(func() {
			if again, ok := made(); ok {
				fr.accept(x.Recipient)
				fr.note("step %d: %s accepted invitation %d at once", i, x.Recipient, again.ID)
			}
		})
	}
	wg.Wait()
	fr.count("invite without a note pressed")
}

// accept has recipient accept the invitation of every account (only one
// invited them), and brings the bots' daily check forward: v1 learns of
// acceptances only by checking.
func (fr *faultRun) accept(recipient string) {
	fr.mu.Lock()
	if fr.accepted == nil {
		fr.accepted = map[string]time.Time{}
	}
	if _, ok := fr.accepted[recipient]; !ok {
		fr.accepted[recipient] = time.Now()
	}
	fr.mu.Unlock()
	tokens := []string{loginToken, defaultStoredToken}
	for _, a := range fr.s.Setup.Accounts {
		tokens = append(tokens, a.Token)
	}
	for _, l := range fr.s.Setup.Logins {
		tokens = append(tokens, l.Token)
	}
	ended := func() bool {
		invs := fr.invitationsOf(recipient)
		return len(invs) > 0 && !slices.ContainsFunc(invs, func(inv store.Invitation) bool { return inv.State == store.InviteCalling })
	}
	if fr.s.Setup.V2 {
		fr.acceptLive(recipient, tokens, ended)
		return
	}
	for _, t := range tokens {
		fr.c.linkup.Accept(t, recipient, "Jane Doe")
	}
	// Accepted on LinkedIn maybe before the invitation's call ended: the
	// bots learn of it at their next check, brought forward once it is pending.
	_ = poll(fr.s.Setup.LinkupTimeout+2*time.Second, ended)
	if err := fr.execLog("UPDATE invitations SET called_at = called_at - $1, checked_at = 0 WHERE recipient = $2 AND state = 'pending'", int64(25*time.Hour/time.Millisecond), recipient); err != nil {
		fr.note("bringing the check forward failed: %v", err)
	}
	fr.mu.Lock()
	fr.lastWrite = time.Now() // the bots check at their next tick
	fr.mu.Unlock()
}

// acceptLive is accept on v2: once the invitation has its outcome and a
// bot holds the stream of its account's webhook, recipient accepts, and
// Linkup pushes accepted_invitation to the webhooks of every account
// (only one invited them). Nothing brings a check forward: the event
// alone must tell the bots. The pending invitations it must accept are
// kept for I7.
func (fr *faultRun) acceptLive(recipient string, tokens []string, ended func() bool) {
	_ = poll(fr.s.Setup.LinkupTimeout+2*time.Second, ended)
	var pending []int64
	live := poll(5*time.Second, func() bool {
		pending = pending[:0]
		for _, inv := range fr.invitationsOf(recipient) {
			if inv.State != store.InvitePending {
				continue
			}
			id := fr.c.linkup.AccountID(fr.tokenOfAccount(inv.Account))
			if !slices.ContainsFunc(fr.c.linkup.Webhooks(), func(h fakelinkup.Webhook) bool {
				return h.AccountID == id && h.Active && fr.c.linkup.Streams()[h.ID] > 0
			}) {
				return false
			}
			pending = append(pending, inv.ID)
		}
		return true
	})
	for _, t := range tokens {
		fr.c.linkup.Accept(t, recipient, "Jane Doe")
	}
	fr.mu.Lock()
	if live {
		fr.acceptedLive = append(fr.acceptedLive, pending...)
	}
	fr.lastWrite = time.Now()
	fr.mu.Unlock()
	fr.count("invitation accepted by event")
	fr.note("%s accepted on LinkedIn: invitations %v pending with their account's stream held (%v)", recipient, pending, live)
}

// tokenOfAccount is the login token of account name, as the schedule set it up.
func (fr *faultRun) tokenOfAccount(name string) string {
	if name == "default" {
		if fr.s.Setup.DefaultConnected {
			return defaultStoredToken
		}
		return loginToken
	}
	for _, a := range fr.s.Setup.Accounts {
		if a.Name == name {
			return a.Token
		}
	}
	// An account connected from Slack is its owner's login's.
	if v := fr.logView(); v != nil {
		as, _ := v.Accounts(context.Background())
		for _, a := range as {
			for _, l := range fr.s.Setup.Logins {
				if a.Name == name && slices.Contains(a.Users, l.User) {
					return l.Token
				}
			}
		}
	}
	return ""
}

// invite makes the invitation of step i: from the refused send of step
// st.Ref, or by the command; the form is submitted st.N times.
func (fr *faultRun) invite(i int, st step) {
	x := &faultInvite{Step: i, User: st.User, Via: st.Via, Recipient: st.Recipient, Note: st.Text, SendOnAccept: st.Effect, ViewID: fmt.Sprintf("VI%sS%02d", fr.tag, i),
		NoteLimited: st.Fault == faultNoteLimit}
	if x.NoteLimited {
		fr.mu.Lock()
		if fr.noteLimited == nil {
			fr.noteLimited = map[string]bool{}
		}
		fr.noteLimited[x.Recipient] = true
		fr.mu.Unlock()
	}
	trigger := fr.trigger(i)
	if st.Via == viaRefused {
		sd, ok := fr.sendOf(st.Ref)
		if !ok {
			fr.note("step %d: the send of step %d is not in the log: nothing to invite from", i, st.Ref)
			return
		}
		_ = poll(fr.s.Setup.LinkupTimeout+2*time.Second, func() bool {
			sd, _ = fr.sendOf(st.Ref)
			return sd.State.Final()
		})
		if !send.RecipientRefused(sd) {
			fr.note("step %d: the send of step %d ended %s, not refused for its recipient: no invitation", i, st.Ref, sd.State)
			return
		}
		x.FromSend = sd.ID
		if _, ok := fr.click(i, st.User, send.InviteActionID, fmt.Sprint(sd.ID)); !ok {
			fr.note("step %d: the Invite click was not acked", i)
			return
		}
	} else {
		id, f := fr.command(st.User, strings.TrimSpace("invite "+st.Recipient+" "+st.Text), fmt.Sprintf("i%s-%d", fr.tag, i), trigger)
		if a, ok := fr.deliver(id, f); !ok || len(a.Payload) > 0 {
			fr.note("step %d: the invite command was not taken: acked %v %s", i, ok, brief(string(a.Payload)))
			return
		}
	}
	view, ok := fr.opened(trigger)
	if !ok {
		fr.note("step %d: the invitation form did not open", i)
		return
	}
	fr.mu.Lock()
	fr.invites = append(fr.invites, x)
	fr.mu.Unlock()
	md, _ := view["private_metadata"].(string)
	for n := range st.N {
		if n > 0 {
			fr.count("duplicate invitation submission")
		}
		id, f := fr.frame("d1-view-submission-docs.json", func(p map[string]any) {
			v := p["view"].(map[string]any)
			v["id"], v["hash"] = x.ViewID, "hash-"+x.ViewID
			v["callback_id"] = "linkedin_invite"
			v["private_metadata"] = md
			var opts []any
			if x.SendOnAccept {
				opts = []any{map[string]any{"value": "send"}}
			}
			v["state"] = map[string]any{"values": map[string]any{
				"note":           map[string]any{"note": map[string]any{"type": "plain_text_input", "value": x.Note}},
				"send_on_accept": map[string]any{"send_on_accept": map[string]any{"type": "checkboxes", "selected_options": opts}},
			}}
			p["user"] = map[string]any{"id": st.User, "username": strings.ToLower(st.User)}
		})
		a, ok := fr.deliver(id, f)
		fr.mu.Lock()
		x.Submitted++
		if ok && len(a.Payload) == 0 {
			x.Accepted = true
		}
		if ok && len(a.Payload) > 0 {
			x.Acks = append(x.Acks, string(a.Payload))
		}
		if strings.Contains(string(a.Payload), capSentence) {
			fr.injected["invitation refused by the weekly cap"]++ // under fr.mu
		}
		fr.mu.Unlock()
		fr.note("step %d: %s submitted the invitation of %s (send on accept %v): acked %v %s", i, st.User, x.Recipient, x.SendOnAccept, ok, brief(string(a.Payload)))
	}
}

// click presses a button (action, value) in the sales channel as user.
func (fr *faultRun) click(i int, user, action, value string) (string, bool) {
	hook := fmt.Sprintf("b%s-%d-%d", fr.tag, i, time.Now().UnixNano())
	id, f := fr.frame("e1-block-actions-docs-message.json", func(p map[string]any) {
		p["user"] = map[string]any{"id": user, "username": strings.ToLower(user)}
		p["channel"] = map[string]any{"id": salesChannel, "name": "sales"}
		p["response_url"] = fr.c.slack.ResponseURL(hook)
		p["trigger_id"] = fr.trigger(i)
		p["actions"] = []any{map[string]any{"action_id": action, "block_id": "b", "value": value, "type": "button", "action_ts": "1"}}
	})
	_, ok := fr.deliver(id, f)
	return hook, ok
}

// execLog runs q ($1, $2… marks) on the schedule's log, as someone who
// can write it.
func (fr *faultRun) execLog(q string, args ...any) error {
	ctx := context.Background()
	if fr.dbURL != "" {
		conn, err := pgx.Connect(ctx, fr.dbURL)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, q, args...)
		return err
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(fr.c.dataDir, store.FileName)+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, strings.NewReplacer("$1", "?1", "$2", "?2").Replace(q), args...)
	return err
}

// invitesBusy says what invitation keeps the bots from being quiet.
func (fr *faultRun) invitesBusy(sends []store.Send) string {
	v := fr.logView()
	if v == nil {
		return ""
	}
	invs, err := v.ListInvitations(context.Background(), time.Time{})
	if err != nil {
		return err.Error()
	}
	for _, inv := range invs {
		switch {
		case inv.State == store.InviteCalling:
			return fmt.Sprintf("invitation %d is calling", inv.ID)
		case inv.Intent == store.IntentDue || inv.Intent == store.IntentSending:
			return fmt.Sprintf("invitation %d's message is %s", inv.ID, inv.Intent)
		case inv.Told != inv.State:
			return fmt.Sprintf("invitation %d is %s and told %q", inv.ID, inv.State, inv.Told)
		}
	}
	return ""
}

// stateMarks begin the post that tells an invitation's state.
var stateMarks = map[string]string{
	store.InvitePending:  ":envelope_with_arrow: Invitation sent to",
	store.InviteAccepted: ":handshake:",
	store.InviteExpired:  ":hourglass:",
	store.InviteUnknown:  ":warning:",
	store.InviteFailed:   ":x: Invitation not sent.",
}

// mayUseAccount reports whether user may send from account name at step,
// as the schedule set the accounts up (see mayUse).
func (w *faultWorld) mayUseAccount(name, user string, step int) bool {
	if user == "" || user == w.s.Setup.Outsider {
		return false
	}
	if name == "default" {
		return w.defaultToken != ""
	}
	for _, a := range w.s.Setup.Accounts {
		if a.Name == name {
			return w.mayUse(a.Token, user, step)
		}
	}
	for _, a := range w.accounts {
		if a.Name == name {
			return slices.Contains(a.Users, user)
		}
	}
	return false
}

// checkInvitations is I7.
func checkInvitations(w *faultWorld) []string {
	var out []string
	// One call per invitation: the one a step asked for, and the one
	// "Invite without a note" made after LinkedIn refused its note.
	reached := map[string][]inviteCall{} // by account token, recipient and note
	noNote := map[string]bool{}          // recipients invited without a note
	for _, c := range w.inviteCalls {
		if c.Action == "invite" && c.Status != http.StatusTooManyRequests {
			note := "with a note"
			if c.Note == "" {
				note, noNote[c.Recipient] = "without a note", true
			}
			k := w.tokenName(c.Token) + " to " + c.Recipient + " " + note
			reached[k] = append(reached[k], c)
		}
	}
	for k, cs := range reached {
		if len(cs) > 1 {
			out = append(out, fmt.Sprintf("%s: %d invite calls reached Linkup for one invitation", k, len(cs)))
		}
	}
	byRecipient := map[string][]store.Invitation{}
	for _, inv := range w.invitations {
		byRecipient[inv.Recipient] = append(byRecipient[inv.Recipient], inv)
	}
	out = append(out, w.checkWeekCap(byRecipient)...)
	for _, x := range w.invites {
		invs := byRecipient[x.Recipient]
		if x.Accepted && len(invs) == 0 {
			out = append(out, fmt.Sprintf("step %d: %s's invitation of %s was acked as taken, and is not in the log", x.Step, x.User, x.Recipient))
		}
		asked := slices.DeleteFunc(slices.Clone(invs), func(inv store.Invitation) bool { _, ok := w.noNoteOf(inv); return ok })
		if len(asked) > 1 {
			out = append(out, fmt.Sprintf("step %d: %d invitations of %s recorded for one form submitted %d time(s)", x.Step, len(asked), x.Recipient, x.Submitted))
		}
		if x.Note != "" && noNote[x.Recipient] && len(asked) == len(invs) {
			out = append(out, fmt.Sprintf("step %d: %s was invited without a note, and no invitation without a note is in the log", x.Step, x.Recipient))
		}
	}
	for _, inv := range w.invitations {
		x := slices.IndexFunc(w.invites, func(x *faultInvite) bool { return x.Recipient == inv.Recipient })
		if x < 0 {
			out = append(out, fmt.Sprintf("invitation %d of %s is in the log, and no step asked for it", inv.ID, inv.Recipient))
			continue
		}
		fi := w.invites[x]
		first, again := w.noNoteOf(inv)
		switch {
		case !again && inv.Requester != fi.User:
			out = append(out, fmt.Sprintf("invitation %d is recorded as %s's, and %s asked for it", inv.ID, inv.Requester, fi.User))
		case again:
			out = append(out, w.checkNoNote(first, inv)...)
		}
		// On v2 the accepted_invitation event alone tells an acceptance.
		if slices.Contains(w.acceptedLive, inv.ID) && inv.State != store.InviteAccepted {
			out = append(out, fmt.Sprintf("invitation %d (%s) was accepted on LinkedIn while pending, its account's stream held, and ended %s: the accepted_invitation event was lost", inv.ID, inv.Recipient, inv.State))
		}
		// Told, final or pending.
		if inv.State == store.InviteCalling {
			out = append(out, fmt.Sprintf("invitation %d (%s, by %s) is still calling after the bots settled", inv.ID, inv.Recipient, inv.Requester))
			continue
		}
		told := false
		for _, p := range w.posts {
			// In its thread, or in the requester's DM where Slack refused the thread.
			there := p.Channel == inv.Channel && (inv.ThreadTS == "" || p.ThreadTS == inv.ThreadTS || p.TS == inv.ThreadTS)
			if (there || p.Channel == dm(inv.Requester)) && strings.HasPrefix(p.Text, stateMarks[inv.State]) {
				told = true
			}
		}
		if !told || inv.Told != inv.State {
			out = append(out, fmt.Sprintf("invitation %d (%s, by %s) ended %s and its requester was never told so (told %q, a post: %v)", inv.ID, inv.Recipient, inv.Requester, inv.State, inv.Told, told))
		}
		// The message: at most once, only accepted and not cancelled. Once
		// invited again without a note, it goes by that invitation only.
		if slices.ContainsFunc(w.invitations, func(n store.Invitation) bool { o, ok := w.noNoteOf(n); return ok && o.ID == inv.ID }) {
			continue
		}
		var delivered []linkupCall
		for _, c := range w.calls {
			if c.Recipient == inv.Recipient && c.Delivered && (inv.Message == "" || c.Text == inv.Message) {
				delivered = append(delivered, c)
			}
		}
		accepted, wasAccepted := w.accepted[inv.Recipient]
		switch {
		case len(delivered) > 1:
			out = append(out, fmt.Sprintf("invitation %d's message reached LinkedIn %d times: %v", inv.ID, len(delivered), delivered))
		case len(delivered) == 1 && (inv.State != store.InviteAccepted || !wasAccepted || delivered[0].At.Before(accepted)):
			out = append(out, fmt.Sprintf("invitation %d's message reached LinkedIn (%s), and the invitation is %s (accepted by LinkedIn: %v)", inv.ID, delivered[0], inv.State, wasAccepted))
		case len(delivered) == 1 && (!fi.SendOnAccept || inv.Message == "" || inv.Intent == store.IntentCancelled || inv.Intent == store.IntentDropped):
			out = append(out, fmt.Sprintf("invitation %d's message reached LinkedIn, and it was not to be sent (send on accept %v, a message %v, intent %s)", inv.ID, fi.SendOnAccept, inv.Message != "", inv.Intent))
		}
		// A stranger's Cancel changes nothing.
		cancelledBy := ""
		for _, c := range w.cancels {
			if c.Invitation != inv.ID {
				continue
			}
			if c.User == inv.Requester || w.mayUseAccount(inv.Account, c.User, c.Step) {
				cancelledBy = c.User
			}
		}
		if inv.Intent == store.IntentCancelled && cancelledBy == "" {
			out = append(out, fmt.Sprintf("invitation %d's message is cancelled, and only strangers pressed Cancel", inv.ID))
		}
		for _, p := range w.posts {
			if !strings.Contains(p.Text, "cancelled the message") || p.Channel != inv.Channel || inv.ThreadTS != "" && p.ThreadTS != inv.ThreadTS {
				continue
			}
			for _, c := range w.cancels {
				if c.Invitation == inv.ID && strings.Contains(p.Text, "<@"+c.User+">") && c.User != inv.Requester && !w.mayUseAccount(inv.Account, c.User, c.Step) {
					out = append(out, fmt.Sprintf("invitation %d: %s, who may not use account %s, cancelled its message", inv.ID, c.User, inv.Account))
				}
			}
		}
	}
	return out
}

// capSentence is in every refusal of the weekly cap.
const capSentence = "(INVITES_PER_WEEK)"

// checkWeekCap is I7's judgement of INVITES_PER_WEEK, when the schedule
// sets it (and nothing ages an invitation out of the week): the invite
// calls of an account that may have invited someone (all but refusals)
// never exceed it, and every invitation the cap refused is told so, in the
// form's answer or, for "Invite without a note", to the presser.
func (w *faultWorld) checkWeekCap(byRecipient map[string][]store.Invitation) []string {
	limit := w.s.Setup.InvitesPerWeek
	if limit == 0 {
		return nil
	}
	var out []string
	counted := map[string]int{}
	for _, c := range w.inviteCalls {
		if c.Action == "invite" && c.Status != http.StatusBadRequest && c.Status != http.StatusTooManyRequests {
			counted[w.tokenName(c.Token)]++
		}
	}
	for k, n := range counted {
		if n > limit {
			out = append(out, fmt.Sprintf("%s: %d invitations reached Linkup in a week, over INVITES_PER_WEEK=%d", k, n, limit))
		}
	}
	for _, x := range w.invites {
		if len(byRecipient[x.Recipient]) > 0 || x.Accepted || len(x.Acks) == 0 || !w.mayAskStill(x.User, x.Step) {
			continue
		}
		if !slices.ContainsFunc(x.Acks, func(a string) bool { return strings.Contains(a, capSentence) }) {
			out = append(out, fmt.Sprintf("step %d: %s's invitation of %s was refused (%s), and the weekly cap not named", x.Step, x.User, x.Recipient, brief(x.Acks[0])))
		}
	}
	for _, first := range w.invitations {
		if first.State != store.InviteFailed || first.Code != linkup.CodeNoteLimit ||
			slices.ContainsFunc(w.invitations, func(n store.Invitation) bool { o, ok := w.noNoteOf(n); return ok && o.ID == first.ID }) {
			continue
		}
		for _, p := range w.noNotes {
			if p.Invitation != first.ID || !p.Acked || !w.mayUseAccount(first.Account, p.User, p.Step) {
				continue
			}
			if !slices.ContainsFunc(w.hooks, func(h fakeslack.Hook) bool {
				text, _ := h.Body["text"].(string)
				return h.Path == p.Hook && strings.Contains(text, capSentence)
			}) {
				out = append(out, fmt.Sprintf("step %d: %s pressed Invite without a note on invitation %d, nobody was invited again, and they were not told of the weekly cap", p.Step, p.User, first.ID))
			}
		}
	}
	return out
}

// mayAskStill reports whether user, at step, is on no account's list of
// those taken off it: someone taken off may be refused for that instead.
func (w *faultWorld) mayAskStill(user string, step int) bool {
	if user == w.s.Setup.Outsider {
		return false
	}
	return !slices.ContainsFunc(w.unassigned, func(u unassignment) bool { return u.User == user && u.Step < step })
}

// noNoteOf returns the invitation inv was made again from by "Invite
// without a note" (its key names it), and whether it was.
func (w *faultWorld) noNoteOf(inv store.Invitation) (store.Invitation, bool) {
	for _, o := range w.invitations {
		if o.ID != inv.ID && inv.IdemKey == store.IdemKey("invite-nonote", strconv.FormatInt(o.ID, 10)) {
			return o, true
		}
	}
	return store.Invitation{}, false
}

// checkNoNote is I7's judgement of again, which "Invite without a note"
// made from first: only after LinkedIn refused first's note, for someone
// who may use its account (a stranger's press changes nothing), and with
// first's message unless it was cancelled.
func (w *faultWorld) checkNoNote(first, again store.Invitation) []string {
	var out []string
	if first.State != store.InviteFailed || first.Code != linkup.CodeNoteLimit {
		out = append(out, fmt.Sprintf("invitation %d was made without a note from invitation %d, whose note LinkedIn did not refuse (%s, code %q)", again.ID, first.ID, first.State, first.Code))
	}
	var allowed []string
	for _, p := range w.noNotes {
		if p.Invitation == first.ID && w.mayUseAccount(first.Account, p.User, p.Step) {
			allowed = append(allowed, p.User)
		}
	}
	switch {
	case len(allowed) == 0:
		out = append(out, fmt.Sprintf("invitation %d was made without a note from invitation %d, and only strangers pressed Invite without a note", again.ID, first.ID))
	case !slices.Contains(allowed, again.Requester):
		out = append(out, fmt.Sprintf("invitation %d is recorded as %s's, and %v pressed Invite without a note", again.ID, again.Requester, allowed))
	}
	want := first.Message != "" && first.Intent != store.IntentCancelled
	if got := again.Message != ""; got != want {
		out = append(out, fmt.Sprintf("invitation %d, made without a note, carries a message: %v; invitation %d had one: %v, its intent %s", again.ID, got, first.ID, first.Message != "", first.Intent))
	}
	if again.Account != first.Account || again.Note != "" {
		out = append(out, fmt.Sprintf("invitation %d, made without a note from invitation %d, is from account %s with note %q", again.ID, first.ID, again.Account, again.Note))
	}
	return out
}

// invitationActor is who asked for the send an accepted invitation made
// (its key is invite.SendKey of the invitation), and at which step.
func (w *faultWorld) invitationActor(sd store.Send) (string, int, bool) {
	for _, inv := range w.invitations {
		if invite.SendKey(inv.ID) != sd.IdemKey {
			continue
		}
		if first, ok := w.noNoteOf(inv); ok {
			for _, p := range w.noNotes {
				if p.Invitation == first.ID && p.User == inv.Requester {
					return p.User, p.Step, true
				}
			}
			return inv.Requester, 0, false
		}
		for _, x := range w.invites {
			if x.Recipient == inv.Recipient {
				return x.User, x.Step, true
			}
		}
	}
	return "", 0, false
}

// TestInvitationInvariantCatchesViolations shows that each part of I7
// can fail, on a made-up world: a calm one passes, and each mutation of
// it is caught with its sentence.
func TestInvitationInvariantCatchesViolations(t *testing.T) {
	u1, out := "U0FAAAA01", "U0FAOUT01"
	r := "https://www.linkedin.com/in/inv-x-0"
	t0 := time.Now()
	calm := func() *faultWorld {
		return &faultWorld{
			s:            schedule{Setup: setup{Users: []string{u1}, Outsider: out, Default: true}},
			defaultToken: loginToken,
			invites:      []*faultInvite{{Step: 1, User: u1, Recipient: r, SendOnAccept: true, Submitted: 2, Accepted: true}},
			invitations: []store.Invitation{{ID: 1, Recipient: r, Requester: u1, Account: "default", State: store.InviteAccepted, Told: store.InviteAccepted,
				Intent: store.IntentSent, Channel: salesChannel, ThreadTS: "1.1", Message: "the message"}},
			posts:        []fakeslack.Post{{Channel: salesChannel, ThreadTS: "1.1", Text: ":handshake: Jane Doe accepted your invitation."}},
			inviteCalls:  []inviteCall{{At: t0, Token: loginToken, Recipient: r, Action: "invite", Status: 429}, {At: t0, Token: loginToken, Recipient: r, Action: "invite", Status: 200}},
			calls:        []linkupCall{{At: t0.Add(2 * time.Second), Token: loginToken, Recipient: r, Text: "the message", Status: 200, Delivered: true}},
			accepted:     map[string]time.Time{r: t0.Add(time.Second)},
			acceptedLive: []int64{1}, // on v2, pending with its stream held
			cancels:      []inviteCancel{{Step: 2, User: out, Invitation: 1}},
		}
	}
	require.Empty(t, checkInvitations(calm()), "the calm world")
	cases := []struct {
		name   string
		mutate func(w *faultWorld)
		says   string
	}{
		{"Linkup invited twice", func(w *faultWorld) { w.inviteCalls = append(w.inviteCalls, w.inviteCalls[1]) }, "2 invite calls reached Linkup"},
		{"the message sent twice", func(w *faultWorld) { w.calls = append(w.calls, w.calls[0]) }, "reached LinkedIn 2 times"},
		{"the message sent before acceptance", func(w *faultWorld) { w.calls[0].At = t0 }, "reached LinkedIn"},
		{"the message sent though cancelled", func(w *faultWorld) {
			w.invitations[0].Intent = store.IntentCancelled
			w.cancels = append(w.cancels, inviteCancel{Step: 3, User: u1, Invitation: 1})
		}, "it was not to be sent"},
		{"the message sent though not asked", func(w *faultWorld) { w.invites[0].SendOnAccept = false }, "it was not to be sent"},
		{"left calling", func(w *faultWorld) { w.invitations[0].State = store.InviteCalling }, "still calling"},
		{"the outcome lost", func(w *faultWorld) { w.posts = nil }, "never told"},
		{"recorded twice", func(w *faultWorld) { w.invitations = append(w.invitations, w.invitations[0]) }, "2 invitations of"},
		{"a stranger cancels", func(w *faultWorld) {
			w.calls, w.invitations[0].Intent = nil, store.IntentCancelled
		}, "only strangers pressed Cancel"},
		{"the v2 event lost", func(w *faultWorld) {
			w.calls, w.invitations[0].State, w.invitations[0].Told = nil, store.InvitePending, store.InvitePending
			w.posts[0].Text = ":envelope_with_arrow: Invitation sent to Jane Doe"
		}, "the accepted_invitation event was lost"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := calm()
			tc.mutate(w)
			assert.Contains(t, strings.Join(checkInvitations(w), "\n"), tc.says)
		})
	}

	// LinkedIn refused the note; "Invite without a note", pressed by the
	// requester and by an outsider, invited again; the message went on
	// acceptance.
	again := func() *faultWorld {
		w := calm()
		w.invites[0].Note, w.invites[0].NoteLimited = "Hi", true
		first := w.invitations[0]
		first.IdemKey, first.State, first.Told, first.Code, first.Intent, first.Note = "view:V1", store.InviteFailed, store.InviteFailed, linkup.CodeNoteLimit, store.IntentDropped, "Hi"
		second := w.invitations[0]
		second.ID, second.IdemKey = 2, store.IdemKey("invite-nonote", "1")
		w.invitations = []store.Invitation{first, second}
		w.posts = append(w.posts, fakeslack.Post{Channel: salesChannel, ThreadTS: "1.1", Text: ":x: Invitation not sent. LinkedIn refused the note"})
		w.inviteCalls = []inviteCall{{At: t0, Token: loginToken, Recipient: r, Action: "invite", Note: "Hi", Status: 400}, {At: t0, Token: loginToken, Recipient: r, Action: "invite", Status: 200}}
		w.noNotes = []inviteCancel{{Step: 3, User: out, Invitation: 1}, {Step: 3, User: u1, Invitation: 1}, {Step: 3, User: u1, Invitation: 1}}
		w.acceptedLive = []int64{2}
		return w
	}
	require.Empty(t, checkInvitations(again()), "the calm world, invited again without a note")
	noNote := []struct {
		name   string
		mutate func(w *faultWorld)
		says   string
	}{
		{"invited twice without a note", func(w *faultWorld) { w.inviteCalls = append(w.inviteCalls, w.inviteCalls[1]) }, "2 invite calls reached Linkup"},
		{"a stranger's press invites", func(w *faultWorld) {
			w.noNotes = w.noNotes[:1]
			w.invitations[1].Requester = out
		}, "only strangers pressed Invite without a note"},
		{"recorded as someone who did not press", func(w *faultWorld) { w.noNotes = w.noNotes[:2]; w.invitations[1].Requester = "U0FAAAA02" }, "is recorded as U0FAAAA02's"},
		{"a cancelled message carried over", func(w *faultWorld) { w.invitations[0].Intent = store.IntentCancelled }, "carries a message: true"},
		{"the message sent though cancelled after the press", func(w *faultWorld) {
			w.invitations[1].Intent = store.IntentCancelled
			w.cancels = []inviteCancel{{Step: 3, User: u1, Invitation: 2}}
		}, "it was not to be sent"},
		{"a message without one to send", func(w *faultWorld) { w.invitations[1].Message = "" }, "it was not to be sent"},
		{"invited again though the note was not refused", func(w *faultWorld) { w.invitations[0].Code = "" }, "whose note LinkedIn did not refuse"},
		{"invited without a note, and not in the log", func(w *faultWorld) { w.invitations = w.invitations[:1] }, "no invitation without a note is in the log"},
	}
	for _, tc := range noNote {
		t.Run(tc.name, func(t *testing.T) {
			w := again()
			tc.mutate(w)
			assert.Contains(t, strings.Join(checkInvitations(w), "\n"), tc.says)
		})
	}

	// INVITES_PER_WEEK=1: a second invitation refused in its form, and
	// "Invite without a note" refused to its presser, each naming the cap.
	const capAck = `{"response_action":"errors","errors":{"note":"This LinkedIn account sent its 1 invitations of the last 7 days (INVITES_PER_WEEK), so nobody was invited."}}`
	capped := func() *faultWorld {
		w := again()
		w.s.Setup.InvitesPerWeek = 1
		w.invitations, w.calls, w.acceptedLive = w.invitations[:1], nil, nil
		w.inviteCalls = w.inviteCalls[:1]
		w.inviteCalls[0].Status = 200 // the note went, as far as the cap knows
		w.invitations[0].Code = linkup.CodeNoteLimit
		w.noNotes = []inviteCancel{{Step: 3, User: u1, Invitation: 1, Hook: "b1", Acked: true}}
		w.hooks = []fakeslack.Hook{{Path: "b1", Body: map[string]any{"text": ":warning: This LinkedIn account sent its 1 invitations of the last 7 days (INVITES_PER_WEEK), so nobody was invited."}}}
		w.invites = append(w.invites, &faultInvite{Step: 4, User: u1, Recipient: r + "-2", Submitted: 1, Acks: []string{capAck}})
		return w
	}
	require.Empty(t, checkInvitations(capped()), "the calm world, capped")
	capCases := []struct {
		name   string
		mutate func(w *faultWorld)
		says   string
	}{
		{"over the cap", func(w *faultWorld) {
			w.inviteCalls = append(w.inviteCalls, inviteCall{At: t0, Token: loginToken, Recipient: r + "-2", Action: "invite", Status: 200})
		}, "2 invitations reached Linkup in a week, over INVITES_PER_WEEK=1"},
		{"a timeout counts", func(w *faultWorld) {
			w.inviteCalls = append(w.inviteCalls, inviteCall{At: t0, Token: loginToken, Recipient: r + "-2", Action: "invite", Status: 0})
		}, "over INVITES_PER_WEEK=1"},
		{"the form's refusal names no cap", func(w *faultWorld) {
			w.invites[1].Acks = []string{`{"response_action":"errors","errors":{"note":"No."}}`}
		}, "the weekly cap not named"},
		{"the press's refusal untold", func(w *faultWorld) { w.hooks = nil }, "not told of the weekly cap"},
	}
	for _, tc := range capCases {
		t.Run(tc.name, func(t *testing.T) {
			w := capped()
			tc.mutate(w)
			assert.Contains(t, strings.Join(checkInvitations(w), "\n"), tc.says)
		})
	}
}
