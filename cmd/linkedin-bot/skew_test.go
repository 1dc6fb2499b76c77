package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/internal/fakeslack"
)

// The bot's clock against LinkedIn's: ahead is a VM resumed from sleep or
// a host without NTP; LinkedIn's clock is offset the other way.
var skews = []struct {
	name   string
	offset time.Duration // LinkedIn's clock minus the bot's
}{
	{"the bot 10 minutes ahead of LinkedIn", -10 * time.Minute},
	{"the bot 10 minutes behind LinkedIn", 10 * time.Minute},
}

// rootOf returns the nth root message (1-based) of the sales channel.
func (e *env) rootOf(n int) fakeslack.Post {
	e.t.Helper()
	var roots []fakeslack.Post
	for _, p := range e.postsIn(salesChannel) {
		if p.ThreadTS == "" {
			roots = append(roots, p)
		}
	}
	require.GreaterOrEqual(e.t, len(roots), n, "root messages")
	return roots[n-1]
}

const (
	confirmedVerdict    = "Sent (confirmed on LinkedIn)"
	notDeliveredVerdict = "Not delivered (checked on LinkedIn)"
)

func TestUnknownSendIsSettledRightWhateverTheClockSkew(t *testing.T) {
	t.Parallel()
	for _, skew := range skews {
		for _, known := range []bool{false, true} {
			for _, delivered := range []bool{true, false} {
				name := fmt.Sprintf("%s, first message to Jane, delivered %v", skew.name, delivered)
				if known {
					name = fmt.Sprintf("%s, the same words sent to Jane just before, delivered %v", skew.name, delivered)
				}
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					e := startBot(t, bridgeVars(map[string]string{"LINKUP_TIMEOUT": "300ms"}))
					lk := e.linkup
					lk.SetClockOffset(skew.offset)
					n := 1
					if known {
						// Sent and read back a minute ago: the bot saw the
						// conversation up to this message, which says what
						// the next send's says.
						e.command(jane + " Hi Jane")
						e.finished(1)
						e.waitUntil("the conversation read", func() bool { return len(lk.Reads(convPath)) == 1 })
						e.waitPolls(1) // what it read is recorded
						n = 2
					} else {
						// The same words an hour ago, that the bot never saw.
						lk.Write(jane, fakelinkup.Msg{Text: "Hi Jane", Sender: lk.Account(), At: lk.Now().Add(-time.Hour)})
					}
					lk.SetAnswer(holdThenFail(lk, delivered))
					e.command(jane + " Hi Jane")
					assert.Contains(t, e.finished(n).Text, "outcome unknown")
					root := e.rootOf(n)

					want, never := confirmedVerdict, notDeliveredVerdict
					if !delivered {
						want, never = never, want
					}
					e.waitUntil("the verdict", func() bool { return len(e.inThread(root.TS, want)) == 1 })
					time.Sleep(time.Second) // the bridge's ticks after the verdict: nothing changes it
					assert.Len(t, e.inThread(root.TS, want), 1, "settled once")
					assert.Empty(t, e.inThread(root.TS, never))
					assert.Equal(t, n, lk.Count(), "nothing sent again")
					assert.Empty(t, e.inThread(root.TS, "replied on LinkedIn"))
					assert.Empty(t, e.inThread(root.TS, "sent from LinkedIn"), "its own message is not mirrored")
				})
			}
		}
	}
}

func TestReplyRightAfterASendIsMirroredOnceWhateverTheClockSkew(t *testing.T) {
	t.Parallel()
	for _, skew := range skews {
		t.Run(skew.name, func(t *testing.T) {
			t.Parallel()
			e := startBot(t, bridgeVars(nil))
			lk := e.linkup
			lk.SetClockOffset(skew.offset)
			// Written before the send, never seen by the bot: not the thread's.
			lk.AddConversation(fakelinkup.Person{Name: "Jane Doe", ProfileURL: jane})
			lk.Write(jane, fakelinkup.Msg{Text: "Are you still there?", Sender: "Jane Doe", At: lk.Now().Add(-3 * time.Minute)})

			e.command(jane + " Hi Jane, yes I am")
			e.finished(1)
			root := e.rootOf(1)
			lk.Reply(jane, "Great, talk soon!") // right after the send
			e.waitUntil("the reply in the thread", func() bool { return len(e.inThread(root.TS, "Great, talk soon!")) == 1 })
			e.waitPolls(3)
			assert.Len(t, e.inThread(root.TS, "Great, talk soon!"), 1, "once")
			assert.Len(t, e.inThread(root.TS, "replied on LinkedIn"), 1)
			assert.Empty(t, e.inThread(root.TS, "Are you still there?"), "before the send: not mirrored")
			assert.Empty(t, e.inThread(root.TS, "yes I am"), "the bot's own message is not repeated")
			assert.Empty(t, e.inThread(root.TS, "sent from LinkedIn"))
			assert.Equal(t, 1, lk.Count())
		})
	}
}

// failReads answers the conversation reads with a Linkup 5xx while fail
// says so, and counts them.
func failReads(lk *fakelinkup.Server, fail func(n int32) bool) *atomic.Int32 {
	var n atomic.Int32
	lk.SetReadAnswer(convPath, func(w http.ResponseWriter, _ map[string]any) bool {
		if fail(n.Add(1)) {
			fakelinkup.Reply(w, http.StatusBadGateway, `{"status":"error","message":"Bad gateway"}`)
			return true
		}
		return false
	})
	return &n
}

func TestUnknownSendIsSettledOnceLinkupReadsAgain(t *testing.T) {
	t.Parallel()
	e := startBot(t, bridgeVars(map[string]string{"LINKUP_TIMEOUT": "300ms"}))
	e.linkup.SetAnswer(holdThenFail(e.linkup, true))
	reads := failReads(e.linkup, func(n int32) bool { return n <= 3 }) // as many as the checks
	e.command(jane + " Hi Jane")
	e.finished(1)
	root := e.rootOf(1)
	e.waitUntil("the verdict", func() bool { return len(e.inThread(root.TS, confirmedVerdict)) == 1 })
	assert.Equal(t, int32(4), reads.Load(), "three failed reads, then the one that settled it")
	assert.Empty(t, e.inThread(root.TS, "Outcome still unknown"))
	assert.Equal(t, 1, e.linkup.Count())
}

func TestUnknownSendThatCannotBeCheckedSaysSoOnce(t *testing.T) {
	t.Parallel()
	e := startBot(t, bridgeVars(map[string]string{"LINKUP_TIMEOUT": "300ms"}))
	e.linkup.SetAnswer(holdThenFail(e.linkup, true))
	reads := failReads(e.linkup, func(int32) bool { return true })
	e.command(jane + " Hi Jane")
	notice := e.finished(1)
	root := e.rootOf(1)
	e.waitUntil("three failed reads", func() bool { return reads.Load() >= 3 })
	e.waitUntil("the thread told", func() bool { return len(e.inThread(root.TS, "Outcome still unknown")) == 1 })
	told := e.inThread(root.TS, "Outcome still unknown")[0]
	assert.Contains(t, told.Text, "could not read the LinkedIn conversation to check whether this message went out (Linkup failed 6 times over")
	assert.Contains(t, told.Text, "if it is not, click Retry (it asks you to confirm)")
	_, confirm := buttonValue(t, told, "retry_send")
	assert.NotNil(t, confirm, "Retry still asks: the message may have been delivered")
	e.waitUntil("the edits", func() bool { return len(e.updatesOf(notice.TS)) == 1 })
	assert.Contains(t, e.updatesOf(notice.TS)[0].Params["text"], "outcome unknown (could not be checked on LinkedIn)")

	time.Sleep(4 * time.Second) // more than the longest wait between reads
	assert.Len(t, e.inThread(root.TS, "Outcome still unknown"), 1, "told once")
	assert.Equal(t, int32(6), reads.Load(), "no more reads once it gave up")
	assert.Empty(t, e.inThread(root.TS, confirmedVerdict))
	assert.Empty(t, e.inThread(root.TS, notDeliveredVerdict))
	assert.Equal(t, 1, e.linkup.Count())
}

func TestNewInboundConversationRightAfterTheFirstStartWhateverTheClockSkew(t *testing.T) {
	t.Parallel()
	for _, skew := range skews {
		t.Run(skew.name, func(t *testing.T) {
			t.Parallel()
			bob, carol := "https://www.linkedin.com/in/bob-ray", "https://www.linkedin.com/in/carol-smith"
			lk := fakelinkup.New()
			lk.SetClockOffset(skew.offset)
			lk.AddConversation(fakelinkup.Person{Name: "Bob Ray", ProfileURL: bob})
			lk.Write(bob, fakelinkup.Msg{Text: "old hello", Sender: "Bob Ray", At: lk.Now().Add(-time.Minute)})
			e := startBotWith(t, lk, bridgeVars(map[string]string{"INBOX_CHANNEL": inboxChannel}))
			e.waitPolls(1)

			lk.AddConversation(fakelinkup.Person{Name: "Carol Smith", ProfileURL: carol})
			lk.Write(carol, fakelinkup.Msg{Text: "Hello from Carol", Sender: "Carol Smith"})
			lk.Write(bob, fakelinkup.Msg{Text: "Are you still hiring?", Sender: "Bob Ray"})
			e.waitUntil("both new messages", func() bool { return len(e.postsIn(inboxChannel)) == 4 })
			e.waitPolls(2)
			posts := e.postsIn(inboxChannel)
			require.Len(t, posts, 4, "two roots, two messages")
			texts := ""
			for _, p := range posts {
				texts += p.Text + "\n"
			}
			assert.Contains(t, texts, "> Hello from Carol")
			assert.Contains(t, texts, "> Are you still hiring?")
			assert.NotContains(t, texts, "old hello", "from before the first start: no backfill")
		})
	}
}

func TestTwoSendsOfTheSameWordsAreToldApart(t *testing.T) {
	t.Parallel()
	e := startBot(t, bridgeVars(map[string]string{"LINKUP_TIMEOUT": "300ms"}))
	lk := e.linkup
	// The bot reads nothing of the conversation until both are sent: the
	// second send knows no message seen before it, and finds the first's.
	var blocked atomic.Bool
	blocked.Store(true)
	failReads(lk, func(int32) bool { return blocked.Load() })
	e.command(jane + " Hi Jane")
	e.finished(1)
	lk.SetAnswer(holdThenFail(lk, false))
	e.command(jane + " Hi Jane")
	assert.Contains(t, e.finished(2).Text, "outcome unknown")
	blocked.Store(false)
	root := e.rootOf(2)
	e.waitUntil("the verdict", func() bool { return len(e.inThread(root.TS, notDeliveredVerdict)) == 1 })
	assert.Empty(t, e.inThread(root.TS, confirmedVerdict), "the first send's message is the first's, known by its entity URN")
	assert.Equal(t, 2, lk.Count())
}

// Jane wrote "Happy new year!" two minutes before the bot's send of the
// same words, which never reached LinkedIn, in a conversation the bot had
// seen nothing of; the bot knows the account's name from another
// conversation. Her message is hers, not the send's: not delivered.
// (With an account whose name the bot has not learnt yet, such a message
// can still be taken for the send's: README, "Clocks".)
func TestUnknownSendIsNotConfirmedByTheRecipientsSameWords(t *testing.T) {
	t.Parallel()
	const bob = "https://www.linkedin.com/in/bob-roe"
	for _, skew := range skews {
		t.Run(skew.name, func(t *testing.T) {
			t.Parallel()
			e := startBot(t, bridgeVars(map[string]string{"LINKUP_TIMEOUT": "300ms"}))
			lk := e.linkup
			lk.SetClockOffset(skew.offset)
			// The bridge learns the account's name from its message to Bob.
			e.command(bob + " Hello Bob")
			e.finished(1)
			lk.Reply(bob, "Hi!")
			e.waitUntil("Bob's reply mirrored", func() bool { return len(e.inThread(e.rootOf(1).TS, "Hi!")) == 1 })

			lk.AddConversation(fakelinkup.Person{Name: "Jane Doe", ProfileURL: jane})
			lk.Write(jane, fakelinkup.Msg{Text: "Happy new year!", Sender: "Jane Doe", At: lk.Now().Add(-2 * time.Minute)})
			lk.SetAnswer(holdThenFail(lk, false))
			e.command(jane + " Happy new year!")
			e.waitUntil("the second send's outcome", func() bool {
				for _, p := range e.postsIn(notifyChannel) {
					if strings.Contains(p.Text, "outcome unknown") {
						return true
					}
				}
				return false
			})
			root := e.rootOf(2)
			e.waitUntil("the verdict", func() bool {
				return len(e.inThread(root.TS, notDeliveredVerdict))+len(e.inThread(root.TS, confirmedVerdict)) > 0
			})
			assert.Len(t, e.inThread(root.TS, notDeliveredVerdict), 1)
			assert.Empty(t, e.inThread(root.TS, confirmedVerdict), "her message is not the bot's")
			assert.Equal(t, 2, lk.Count(), "two calls, the second of which never reached LinkedIn")
		})
	}
}
