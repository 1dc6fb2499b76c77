package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/internal/fakeslack"
	"linkedin-bot/internal/pgtest"
	"linkedin-bot/store"
)

// inviteSetup is one of the configurations the invitation tests run on.
type inviteSetup struct {
	name string
	v2   bool
	pg   bool
}

var inviteSetups = []inviteSetup{{"v1/sqlite", false, false}, {"v2/sqlite", true, false}, {"v1/postgres", false, true}, {"v2/postgres", true, true}}

// startInviteBot runs a bot on setup s, with the bridge fast (its pace
// sets the invitations' job's).
func startInviteBot(t *testing.T, s inviteSetup, extra map[string]string) *env {
	t.Helper()
	vars := bridgeVars(map[string]string{"ACCOUNTS_KEY": accountsKey})
	if s.v2 {
		vars["LINKUP_API_VERSION"] = "v2"
	}
	if s.pg {
		vars["DATABASE_URL"] = pgtest.Schema(t)
	}
	for k, v := range extra {
		vars[k] = v
	}
	return startBotWith(t, fakelinkup.New(), vars)
}

// refuseSends makes Linkup refuse every send for its recipient: v1's
// HTTP 400, v2's INVALID_PARAMS.
func (e *env) refuseSends(v2 bool) {
	e.linkup.SetAnswer(func(w http.ResponseWriter, _ *http.Request, _ fakelinkup.Request) {
		if v2 {
			fakelinkup.ReplyV2Error(w, http.StatusBadRequest, "INVALID_PARAMS", "Cannot message this member")
			return
		}
		fakelinkup.Reply(w, http.StatusBadRequest, `{"status":"error","message":"Cannot message this member"}`)
	})
}

// clickAs clicks button actionID (value) in the sales channel as user and returns the response_url it came with.
func (e *env) clickAs(user, actionID, value string) string {
	e.t.Helper()
	hook := e.slack.ResponseURL(fmt.Sprintf("click-%d", e.seq.Load()))
	id, f := e.frame("e1-block-actions-docs-message.json", func(p map[string]any) {
		p["user"] = map[string]any{"id": user, "username": strings.ToLower(user)}
		p["channel"] = map[string]any{"id": salesChannel, "name": "sales"}
		p["response_url"] = hook
		p["trigger_id"] = "trigger-" + actionID
		p["actions"] = []any{map[string]any{"action_id": actionID, "block_id": "b", "value": value, "type": "button", "action_ts": "1"}}
	})
	assert.Empty(e.t, e.send(id, f).Payload)
	return hook
}

// submitInvite submits the invitation form view (as alice) under viewID with
// note and the box checked or not; it returns the ack's payload.
func (e *env) submitInvite(viewID string, view map[string]any, note string, sendOnAccept bool) []byte {
	e.t.Helper()
	id, f := e.frame("d1-view-submission-docs.json", func(p map[string]any) {
		v := p["view"].(map[string]any)
		v["id"] = viewID
		v["callback_id"] = "linkedin_invite"
		v["private_metadata"] = view["private_metadata"]
		var opts []any
		if sendOnAccept {
			opts = []any{map[string]any{"value": "send"}}
		}
		v["state"] = map[string]any{"values": map[string]any{
			"note":           map[string]any{"note": map[string]any{"type": "plain_text_input", "value": note}},
			"send_on_accept": map[string]any{"send_on_accept": map[string]any{"type": "checkboxes", "selected_options": opts}},
		}}
		p["user"] = map[string]any{"id": alice, "username": "alice"}
	})
	return e.send(id, f).Payload
}

// execLog runs q on the bot's log (SQLite file or PostgreSQL schema).
func (e *env) execLog(q string, args ...any) {
	e.t.Helper()
	ctx := context.Background()
	if url := e.vars["DATABASE_URL"]; url != "" {
		c, err := pgx.Connect(ctx, url)
		require.NoError(e.t, err)
		defer c.Close(ctx)
		n := 0
		q = replaceMarks(q, &n)
		_, err = c.Exec(ctx, q, args...)
		require.NoError(e.t, err)
		return
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.vars["DATA_DIR"], store.FileName)+"?_pragma=busy_timeout(5000)")
	require.NoError(e.t, err)
	defer db.Close()
	_, err = db.ExecContext(ctx, q, args...)
	require.NoError(e.t, err)
}

func replaceMarks(q string, n *int) string {
	var b strings.Builder
	for _, r := range q {
		if r == '?' {
			*n++
			fmt.Fprintf(&b, "$%d", *n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// acceptInvite has Jane accept: on v2 the webhook's event says so; on v1
// the next daily check finds it, brought forward by making the
// invitation a day older.
func (e *env) acceptInvite(v2 bool) { e.acceptInviteOf(loginToken, v2) }

// acceptInviteOf is acceptInvite of an invitation from token's account.
func (e *env) acceptInviteOf(token string, v2 bool) {
	e.t.Helper()
	if v2 {
		e.waitUntil("a webhook watching the account", func() bool {
			for _, h := range e.linkup.Webhooks() {
				if h.Active && h.AccountID == e.linkup.AccountID(token) {
					return true
				}
			}
			return false
		})
		e.waitUntil("its stream held", func() bool {
			for _, h := range e.linkup.Webhooks() {
				if h.AccountID == e.linkup.AccountID(token) && e.linkup.Streams()[h.ID] > 0 {
					return true
				}
			}
			return false
		})
	}
	e.linkup.Accept(token, jane, "Jane Doe")
	if !v2 {
		e.execLog(`UPDATE invitations SET called_at = called_at - ?, checked_at = 0 WHERE state = 'pending'`, int64(25*time.Hour/time.Millisecond))
	}
}

// inviteFromRefusal sends a message Linkup refuses, opens the invitation
// form from its thread and returns the thread's root and the form.
func inviteFromRefusal(t *testing.T, e *env, v2 bool, message string) (fakeslack.Post, map[string]any) {
	t.Helper()
	e.refuseSends(v2)
	e.command(jane + " " + message)
	assert.Contains(t, e.finished(1).Text, "not sent")
	root, replies := e.thread(salesChannel)
	require.Len(t, replies, 1)
	assert.Contains(t, replies[0].Text, "may not be a connection")
	retry, _ := buttonValue(t, replies[0], "retry_send")
	value, _ := buttonValue(t, replies[0], "invite_linkedin")
	assert.Equal(t, retry, value, "the send's id, beside Retry")
	e.linkup.SetAnswer(e.linkup.Deliver)

	opens := len(e.slack.Calls("views.open"))
	e.clickAs(alice, "invite_linkedin", value)
	_, view := openedView(t, e, opens+1)
	return root, view
}

func TestInvitationAfterARefusedSendSendsTheMessageOnceOnAcceptance(t *testing.T) {
	for _, s := range inviteSetups {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			e := startInviteBot(t, s, nil)
			long := strings.Repeat("word ", 70) + "end"
			root, view := inviteFromRefusal(t, e, s.v2, long)
			assert.Equal(t, "linkedin_invite", view["callback_id"])
			note := element(view, "note")
			assert.EqualValues(t, 300, note["max_length"])
			initial := note["initial_value"].(string)
			assert.LessOrEqual(t, len([]rune(initial)), 300)
			assert.True(t, strings.HasPrefix(initial, "word word"), initial)
			assert.True(t, strings.HasSuffix(initial, "word…"), "cut at a word boundary: %q", initial)
			box := element(view, "send_on_accept")
			assert.Equal(t, "send", box["initial_options"].([]any)[0].(map[string]any)["value"], "checked by default")

			// Submitted twice: one invitation.
			for range 2 {
				assert.Empty(t, e.submitInvite("VINV1", view, "Hi Jane, let's connect", true))
			}
			e.waitUntil("the invitation's outcome", func() bool { return len(e.inThread(root.TS, "Invitation sent to")) == 1 })
			assert.Contains(t, e.inThread(root.TS, "Invitation sent to")[0].Text, "(1 credit)")
			require.Equal(t, 1, e.linkup.Invites(), "one invitation for two submissions")
			call := e.linkup.InviteCalls()[0]
			assert.Equal(t, jane, call.Profile)
			assert.Equal(t, "Hi Jane, let's connect", call.Note)
			if s.v2 {
				assert.Equal(t, e.linkup.AccountID(loginToken), call.AccountID)
			} else {
				assert.Equal(t, "v1", call.Version)
			}
			require.Equal(t, 1, e.linkup.Count(), "nothing sent before acceptance")

			e.acceptInvite(s.v2)
			e.waitUntil("the acceptance in the thread", func() bool { return len(e.inThread(root.TS, "accepted your invitation")) == 1 })
			e.waitUntil("the original message sent", func() bool { return e.linkup.Count() == 2 })
			e.waitUntil("its outcome in the thread", func() bool { return len(e.inThread(root.TS, "Sent on LinkedIn")) == 1 })
			assert.Equal(t, long, e.linkup.Requests()[1].Body.MessageText)
			e.settle()
			assert.Equal(t, 2, e.linkup.Count(), "sent once")
			assert.Len(t, e.inThread(root.TS, "accepted your invitation"), 1, "told once")
			assert.Equal(t, 1, e.linkup.Invites())
			if !s.pg {
				// history shows the invitation and its credit apart from the sends.
				out, err := hist(t, e.vars["DATA_DIR"])
				require.NoError(t, err)
				assert.Contains(t, out, "2 sends.")
				assert.Contains(t, out, "Invitations: 1, costing 1 credit (")
				out, err = hist(t, e.vars["DATA_DIR"], "--invitations")
				require.NoError(t, err)
				assert.Contains(t, out, "1 invitations. Invitation credits per account: default 1.")
				assert.Contains(t, out, "accepted")
				out, err = hist(t, e.vars["DATA_DIR"], "--invitations", "--json")
				require.NoError(t, err)
				var invs []map[string]any
				require.NoError(t, json.Unmarshal([]byte(out), &invs))
				require.Len(t, invs, 1)
				assert.Equal(t, "accepted", invs[0]["state"])
				assert.Equal(t, "sent", invs[0]["intent"])
				assert.EqualValues(t, 1, invs[0]["credits"])
				assert.EqualValues(t, 2, invs[0]["send_id"])
			}
		})
	}
}

func TestAcceptanceSendsNothingUnlessAsked(t *testing.T) {
	for _, s := range []inviteSetup{inviteSetups[0], inviteSetups[3]} {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			addr := freeAddr(t)
			e := startInviteBot(t, s, map[string]string{"METRICS_ADDR": addr})
			root, view := inviteFromRefusal(t, e, s.v2, "Hi Jane")
			assert.Empty(t, e.submitInvite("VINV2", view, "", false))
			e.waitUntil("the invitation's outcome", func() bool { return len(e.inThread(root.TS, "Invitation sent to")) == 1 })
			_, m := get(t, addr, "/metrics")
			assert.Equal(t, float64(1), sample(m, `linkedin_bot_credits_total{account="default",kind="invite"}`), "the invitation's credit")
			assert.Empty(t, e.linkup.InviteCalls()[0].Note, "no note")
			e.acceptInvite(s.v2)
			e.waitUntil("the acceptance in the thread", func() bool { return len(e.inThread(root.TS, "accepted your invitation")) == 1 })
			e.settle()
			assert.Equal(t, 1, e.linkup.Count(), "the message is not sent: the box was not checked")
		})
	}
}

func TestCancelStopsTheMessageOnAcceptance(t *testing.T) {
	for _, s := range []inviteSetup{inviteSetups[1], inviteSetups[2]} {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			e := startInviteBot(t, s, nil)
			e.linkup.AddLogin(fakelinkup.Login{Email: "alice@example.com", Token: aliceToken, Name: "Alice Martin"})
			_, err := e.accounts(aliceToken+"\n", "connect", "--name", "alice-li", "--token-stdin", "--user", alice)
			require.NoError(t, err)
			root, view := inviteFromRefusal(t, e, s.v2, "Hi Jane") // from Alice's own account
			assert.Empty(t, e.submitInvite("VINV3", view, "Hello", true))
			e.waitUntil("the invitation's outcome", func() bool { return len(e.inThread(root.TS, "Invitation sent to")) == 1 })
			value, _ := buttonValue(t, e.inThread(root.TS, "Invitation sent to")[0], "cancel_on_accept")

			// Bob, who may not use the account, is refused privately.
			hook := e.clickAs(bob, "cancel_on_accept", value)
			e.waitUntil("bob told", func() bool { return len(hooksTo(e, hook)) == 1 })
			assert.Contains(t, hooksTo(e, hook)[0], "Nothing changed")
			assert.Empty(t, e.inThread(root.TS, "cancelled the message"))

			hook = e.clickAs(alice, "cancel_on_accept", value)
			e.waitUntil("alice told", func() bool { return len(hooksTo(e, hook)) == 1 })
			assert.Contains(t, hooksTo(e, hook)[0], "Cancelled")
			assert.Len(t, e.inThread(root.TS, "cancelled the message"), 1)
			hook = e.clickAs(alice, "cancel_on_accept", value)
			e.waitUntil("alice told again", func() bool { return len(hooksTo(e, hook)) == 1 })
			assert.Contains(t, hooksTo(e, hook)[0], "already cancelled")

			// An invitation button with the id of a send that went out opens nothing.
			e.command("https://www.linkedin.com/in/john-roe Hello John")
			e.finished(2)
			opens := len(e.slack.Calls("views.open"))
			hook = e.clickAs(alice, "invite_linkedin", "2")
			e.waitUntil("alice told", func() bool { return len(hooksTo(e, hook)) == 1 })
			assert.Contains(t, hooksTo(e, hook)[0], "was not refused for its recipient")
			assert.Len(t, e.slack.Calls("views.open"), opens)

			e.acceptInviteOf(aliceToken, s.v2)
			e.waitUntil("the acceptance in the thread", func() bool { return len(e.inThread(root.TS, "accepted your invitation")) == 1 })
			e.settle()
			assert.Equal(t, 2, e.linkup.Count(), "cancelled: not sent (the refused send and the one to John only)")
		})
	}
}

// settle gives the invitations' job (every second here) time to act
// on what it should not act on.
func (e *env) settle() { time.Sleep(3 * time.Second) }

// hooksTo are the texts posted to response_url u.
func hooksTo(e *env, u string) []string {
	var out []string
	for _, h := range e.slack.Hooks() {
		if strings.HasSuffix(u, h.Path) {
			out = append(out, fmt.Sprint(h.Body["text"]))
		}
	}
	return out
}

// A crash between acceptance and the send neither loses nor doubles the
// message: an intent left due is sent at the next start; one left
// sending after its send was recorded is not sent again.
func TestACrashBetweenAcceptanceAndTheSend(t *testing.T) {
	for _, s := range inviteSetups {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			e := startInviteBot(t, s, nil)
			root, view := inviteFromRefusal(t, e, s.v2, "Hi Jane, the message")
			assert.Empty(t, e.submitInvite("VINV4", view, "Hello", true))
			e.waitUntil("the invitation's outcome", func() bool { return len(e.inThread(root.TS, "Invitation sent to")) == 1 })
			require.NoError(t, e.stop())
			// What a crash right after acceptance's write leaves.
			e.execLog(`UPDATE invitations SET state = 'accepted', intent = 'due', told = 'accepted'`)
			e.start()
			e.waitUntil("the message sent after the restart", func() bool { return e.linkup.Count() == 2 })
			e.waitUntil("its outcome", func() bool { return len(e.inThread(root.TS, "Sent on LinkedIn")) == 1 })

			// What a crash right after the hand-over leaves: sending, the send recorded.
			require.NoError(t, e.stop())
			e.execLog(`UPDATE invitations SET intent = 'sending', send_id = 0`)
			e.start()
			e.settle()
			assert.Equal(t, 2, e.linkup.Count(), "not sent twice")
			assert.Len(t, e.inThread(root.TS, "Sent on LinkedIn"), 1)
		})
	}
}

// A message on acceptance the daily cap holds back waits due, not
// handed over: Cancel still withdraws it, and nothing goes the next day.
func TestTheDailyCapLeavesTheMessageOnAcceptanceCancellable(t *testing.T) {
	for _, s := range []inviteSetup{inviteSetups[0], inviteSetups[3]} {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			e := startInviteBot(t, s, map[string]string{"DAILY_SEND_LIMIT": "1"})
			root, view := inviteFromRefusal(t, e, s.v2, "Hi Jane")
			assert.Empty(t, e.submitInvite("VDAY1", view, "Hello", true))
			e.waitUntil("the invitation's outcome", func() bool { return len(e.inThread(root.TS, "Invitation sent to")) == 1 })
			value, _ := buttonValue(t, e.inThread(root.TS, "Invitation sent to")[0], "cancel_on_accept")
			e.command("https://www.linkedin.com/in/john-roe Hello John") // the day's one send
			assert.Contains(t, e.finished(2).Text, ": sent")
			require.Equal(t, 2, e.linkup.Count())

			e.acceptInvite(s.v2)
			e.waitUntil("the cap told", func() bool { return len(e.inThread(root.TS, "daily send limit is reached")) == 1 })
			hook := e.clickAs(alice, "cancel_on_accept", value)
			e.waitUntil("alice told", func() bool { return len(hooksTo(e, hook)) == 1 })
			assert.Contains(t, hooksTo(e, hook)[0], "Cancelled")

			// The next day, on a bot that knows nothing of the cap it met.
			require.NoError(t, e.stop())
			e.execLog(`UPDATE sends SET called_at = called_at - ?, created_at = created_at - ?`, int64(25*time.Hour/time.Millisecond), int64(25*time.Hour/time.Millisecond))
			e.start()
			e.settle()
			assert.Equal(t, 2, e.linkup.Count(), "cancelled: the refused send and John's only")
			assert.Empty(t, e.inThread(root.TS, "Sent on LinkedIn"))
		})
	}
}

func TestInvitationsExpire(t *testing.T) {
	for _, s := range []inviteSetup{inviteSetups[0], inviteSetups[3]} {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			e := startInviteBot(t, s, map[string]string{"INVITE_WAIT_DAYS": "21"})
			root, view := inviteFromRefusal(t, e, s.v2, "Hi Jane")
			assert.Empty(t, e.submitInvite("VINV5", view, "Hello", true))
			e.waitUntil("the invitation's outcome", func() bool { return len(e.inThread(root.TS, "Invitation sent to")) == 1 })
			e.execLog(`UPDATE invitations SET called_at = called_at - ?`, int64(22*24*time.Hour/time.Millisecond))
			e.waitUntil("the expiry in the thread", func() bool { return len(e.inThread(root.TS, "was not accepted within")) == 1 })
			assert.Contains(t, e.inThread(root.TS, "was not accepted within")[0].Text, "the message will not be sent")
			// Jane accepts too late. On v2 the bridge may already have
			// stopped the webhook, which has nothing left to watch.
			e.linkup.Accept(loginToken, jane, "Jane Doe")
			e.settle()
			assert.Equal(t, 1, e.linkup.Count(), "expired: not sent")
			assert.Empty(t, e.inThread(root.TS, "accepted your invitation"))
		})
	}
}

func TestTheWeeklyInvitationCap(t *testing.T) {
	for _, s := range []inviteSetup{inviteSetups[1], inviteSetups[2]} {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			e := startInviteBot(t, s, map[string]string{"INVITES_PER_WEEK": "1"})
			_, ack := e.command("invite " + jane + " Hi Jane")
			assert.Empty(t, ack.Payload)
			_, view := openedView(t, e, 1)
			assert.Equal(t, "Hi Jane", element(view, "note")["initial_value"])
			assert.Empty(t, e.submitInvite("VCAP1", view, "Hi Jane", false))
			e.waitUntil("one invitation", func() bool { return e.linkup.Invites() == 1 })
			e.waitUntil("its outcome, as a root message in the channel", func() bool {
				n := 0
				for _, p := range e.postsIn(salesChannel) {
					if p.ThreadTS == "" && strings.Contains(p.Text, "Invitation sent to") {
						n++
					}
				}
				return n == 1
			})

			_, ack = e.command("invite https://www.linkedin.com/in/john-roe")
			_, view = openedView(t, e, 2)
			var p struct {
				Errors map[string]string `json:"errors"`
			}
			require.NoError(t, json.Unmarshal(e.submitInvite("VCAP2", view, "", false), &p))
			assert.Contains(t, p.Errors["note"], "next one is possible from")
			e.settle()
			assert.Equal(t, 1, e.linkup.Invites(), "over the cap: nobody invited")

			// A note over 300 characters is refused inline.
			require.NoError(t, json.Unmarshal(e.submitInvite("VCAP3", view, strings.Repeat("x", 301), false), &p))
			assert.Contains(t, p.Errors["note"], "at most 300")
			_, ack = e.command("invite " + jane + " " + strings.Repeat("y", 301))
			assert.Contains(t, ackText(t, ack), "at most 300")
		})
	}
}

// A note LinkedIn refuses (CUSTOM_INVITE_LIMIT_REACHED) is explained, with
// a button that invites without one, once however often it is pressed; an
// invitation Linkup does not answer is unknown and never sent again.
func TestARefusedNoteAndAnUnansweredInvitation(t *testing.T) {
	for _, s := range []inviteSetup{inviteSetups[0], inviteSetups[1]} {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			e := startInviteBot(t, s, nil)
			root, view := inviteFromRefusal(t, e, s.v2, "Hi Jane")
			e.linkup.SetInviteAnswer(func(w http.ResponseWriter, c fakelinkup.InviteCall) bool {
				if c.Note == "" {
					return false
				}
				if s.v2 {
					fakelinkup.ReplyV2Error(w, http.StatusTooManyRequests, "CUSTOM_INVITE_LIMIT_REACHED", "Custom invite limit reached")
				} else {
					fakelinkup.Reply(w, http.StatusBadRequest, `{"status":"error","message":"CUSTOM_INVITE_LIMIT_REACHED"}`)
				}
				return true
			})
			assert.Empty(t, e.submitInvite("VNOTE1", view, "A note", true))
			e.waitUntil("the refusal explained", func() bool { return len(e.inThread(root.TS, "LinkedIn refused the note")) == 1 })
			value, _ := buttonValue(t, e.inThread(root.TS, "LinkedIn refused the note")[0], "invite_without_note")
			e.clickAs(alice, "invite_without_note", value)
			e.clickAs(alice, "invite_without_note", value)
			e.waitUntil("invited without a note", func() bool { return len(e.inThread(root.TS, "Invitation sent to")) == 1 })
			e.settle()
			calls := e.linkup.InviteCalls()
			require.Len(t, calls, 2, "the refused one, then one without a note")
			assert.Empty(t, calls[1].Note)
			assert.Len(t, e.inThread(root.TS, "Invitation sent to"), 1)

			// No answer: unknown, never sent again.
			e.linkup.SetInviteAnswer(func(w http.ResponseWriter, c fakelinkup.InviteCall) bool {
				fakelinkup.Reply(w, http.StatusBadGateway, `bad gateway`)
				return true
			})
			_, ack := e.command("invite https://www.linkedin.com/in/john-roe")
			assert.Empty(t, ack.Payload)
			_, view = openedView(t, e, 2)
			assert.Empty(t, e.submitInvite("VNOTE2", view, "", false))
			e.waitUntil("unknown told", func() bool {
				for _, p := range e.postsIn(salesChannel) {
					if strings.Contains(p.Text, "may or may not have been sent") {
						return true
					}
				}
				return false
			})
			e.settle()
			assert.Len(t, e.linkup.InviteCalls(), 3, "never called again")
		})
	}
}

// A message cancelled while its invitation was being sent stays
// cancelled when LinkedIn refuses the note and the invitation goes again
// without one: accepting it sends nothing.
func TestInviteWithoutANoteKeepsTheMessageCancelled(t *testing.T) {
	for _, s := range []inviteSetup{inviteSetups[1], inviteSetups[2]} {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			e := startInviteBot(t, s, nil)
			root, view := inviteFromRefusal(t, e, s.v2, "Hi Jane")
			calling, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			free := func() { once.Do(func() { close(release) }) }
			t.Cleanup(free) // a failure before the release holds no call open
			e.linkup.SetInviteAnswer(func(w http.ResponseWriter, c fakelinkup.InviteCall) bool {
				if c.Note == "" {
					return false
				}
				close(calling)
				<-release // Linkup still answering: the invitation is calling
				if s.v2 {
					fakelinkup.ReplyV2Error(w, http.StatusTooManyRequests, "CUSTOM_INVITE_LIMIT_REACHED", "Custom invite limit reached")
				} else {
					fakelinkup.Reply(w, http.StatusBadRequest, `{"status":"error","message":"CUSTOM_INVITE_LIMIT_REACHED"}`)
				}
				return true
			})
			assert.Empty(t, e.submitInvite("VNOTE3", view, "A note", true))
			select {
			case <-calling:
			case <-time.After(waitFor):
				t.Fatal("the invitation was not called")
			}
			e.homeClick(alice, "cancel_on_accept", "1") // Home offers Cancel while it is sent
			e.waitUntil("cancelled in the thread", func() bool { return len(e.inThread(root.TS, "cancelled the message")) == 1 })
			free()
			e.waitUntil("the refusal explained", func() bool { return len(e.inThread(root.TS, "LinkedIn refused the note")) == 1 })
			value, _ := buttonValue(t, e.inThread(root.TS, "LinkedIn refused the note")[0], "invite_without_note")
			e.clickAs(alice, "invite_without_note", value)
			e.waitUntil("invited without a note", func() bool { return len(e.inThread(root.TS, "Invitation sent to")) == 1 })
			assert.NotContains(t, e.inThread(root.TS, "Invitation sent to")[0].Text, "Your message goes once they accept")

			e.acceptInvite(s.v2)
			e.waitUntil("the acceptance in the thread", func() bool { return len(e.inThread(root.TS, "accepted your invitation")) == 1 })
			e.settle()
			assert.Equal(t, 1, e.linkup.Count(), "cancelled: only the refused send")
			assert.Equal(t, 2, e.linkup.Invites(), "the refused one, then one without a note")
		})
	}
}

// Home shows a person's pending invitations, with Cancel where their
// message waits for the acceptance; Cancel from Home withdraws it.
func TestHomeShowsPendingInvitationsWithCancel(t *testing.T) {
	t.Parallel()
	e := startInviteBot(t, inviteSetups[0], nil)
	root, view := inviteFromRefusal(t, e, false, "Hi Jane")
	assert.Empty(t, e.submitInvite("VHOME1", view, "Hello", true))
	e.waitUntil("the invitation's outcome", func() bool { return len(e.inThread(root.TS, "Invitation sent to")) == 1 })
	value, _ := buttonValue(t, e.inThread(root.TS, "Invitation sent to")[0], "cancel_on_accept")
	e.openHome(alice)
	e.waitUntil("a Home with the invitation", func() bool {
		vs := e.published(alice)
		return len(vs) > 0 && strings.Contains(fmt.Sprint(vs[len(vs)-1]), "Your pending invitations")
	})
	vs := e.published(alice)
	assert.Contains(t, buttons(vs[len(vs)-1]), "cancel_on_accept="+value)
	assert.Contains(t, fmt.Sprint(vs[len(vs)-1]), "your message goes once they accept")

	e.homeClick(alice, "cancel_on_accept", value)
	e.waitUntil("cancelled in the thread", func() bool { return len(e.inThread(root.TS, "cancelled the message")) == 1 })
	e.waitUntil("Home without the Cancel", func() bool {
		vs := e.published(alice)
		return !strings.Contains(fmt.Sprint(buttons(vs[len(vs)-1])), "cancel_on_accept")
	})
	e.acceptInvite(false)
	e.waitUntil("the acceptance", func() bool { return len(e.inThread(root.TS, "accepted your invitation")) == 1 })
	e.settle()
	assert.Equal(t, 1, e.linkup.Count(), "cancelled from Home: not sent")
}
