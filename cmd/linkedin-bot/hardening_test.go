package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/internal/fakeslack"
	"linkedin-bot/store"
)

// lockLog takes the send log's write lock from another connection, as a
// second process would, and returns its release.
func (e *env) lockLog() (release func()) {
	e.t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.vars["DATA_DIR"], store.FileName)+"?_pragma=busy_timeout(5000)")
	require.NoError(e.t, err)
	conn, err := db.Conn(context.Background())
	require.NoError(e.t, err)
	_, err = conn.ExecContext(context.Background(), "BEGIN IMMEDIATE")
	require.NoError(e.t, err)
	var once atomic.Bool
	release = func() {
		if once.CompareAndSwap(false, true) {
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
			_ = conn.Close()
			_ = db.Close()
		}
	}
	e.t.Cleanup(release)
	return release
}

// openLog reads the bot's send log.
func (e *env) openLog() *store.Store {
	e.t.Helper()
	st, err := store.Open(context.Background(), e.vars["DATA_DIR"])
	require.NoError(e.t, err)
	e.t.Cleanup(func() { _ = st.Close() })
	return st
}

// A slow store: the ack comes within the 2 s budget, says plainly that
// nothing was recorded or sent, and nothing is sent once the store answers.
func TestSlowStoreAcksInTimeAndSendsNothing(t *testing.T) {
	e := startBot(t, nil)
	release := e.lockLog()
	start := time.Now()
	id, f := e.frame("a1-slash-command-docs.json", func(p map[string]any) {
		p["text"] = "https://www.linkedin.com/in/jane-doe Slow disk"
		p["channel_id"] = salesChannel
		p["user_id"] = alice
	})
	require.NoError(t, e.slack.SendFrame(f))
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	ack, err := e.slack.WaitAck(ctx, id)
	require.NoError(t, err)
	took := ack.At.Sub(start)
	assert.Less(t, took, 3*time.Second, "acked before Slack gives up (3 s); the budget is 2 s")
	text := ackText(t, ack)
	assert.Contains(t, text, "not recorded and nothing was sent")
	assert.Contains(t, text, "try again")

	time.Sleep(4*time.Second - took) // the lock is held 4 s in all
	release()
	time.Sleep(time.Second)
	assert.Zero(t, e.linkup.Count(), "a request answered as not recorded is never sent")
	assert.Empty(t, e.postsIn(salesChannel))

	// The store answers again: the same person types it again, and it goes.
	e.command("https://www.linkedin.com/in/jane-doe Slow disk")
	e.finished(1)
	settle()
	assert.Equal(t, 1, e.linkup.Count())
}

// The final write fails (the log is locked past its busy timeout while
// Linkup answers): the thread is told plainly that the answer is not
// recorded, never "Sent" before the log holds it; once the log answers,
// the outcome is recorded and posted once, and a restart finds it sent.
func TestOutcomeThatCannotBeRecordedIsNotAnnouncedUntilItIs(t *testing.T) {
	e := startBot(t, nil)
	arrived := make(chan struct{})
	proceed := make(chan struct{})
	e.linkup.SetAnswer(func(w http.ResponseWriter, r *http.Request, req fakelinkup.Request) {
		close(arrived)
		<-proceed
		fakelinkup.Success(w, r, req)
	})
	e.command("https://www.linkedin.com/in/jane-doe Disk full")
	<-arrived
	release := e.lockLog()
	close(proceed)
	e.waitUntil("the unrecorded notice", func() bool { return len(e.postsIn(salesChannel)) == 2 })
	root, replies := e.thread(salesChannel)
	require.Len(t, replies, 1)
	assert.Contains(t, replies[0].Text, "could not record its answer")
	assert.Contains(t, replies[0].Text, "Do not send this message again")
	assert.NotContains(t, root.Text, "Sent")
	assert.Empty(t, e.postsIn(notifyChannel), "nothing says sent before the log holds it")
	assert.Empty(t, e.slack.Calls("chat.update"))

	time.Sleep(1500 * time.Millisecond)
	release()
	e.finished(1)
	_, replies = e.thread(salesChannel)
	require.Len(t, replies, 2)
	assert.Contains(t, replies[1].Text, "Sent on LinkedIn")
	assert.Contains(t, e.logs.String(), "recording the outcome failed; trying again")

	require.NoError(t, e.stop())
	e.start()
	settle()
	require.NoError(t, e.stop())
	_, replies = e.thread(salesChannel)
	assert.Len(t, replies, 2, "the restart has nothing to add: the log says sent")
	assert.Equal(t, 1, e.linkup.Count())
	sd, err := e.openLog().Get(context.Background(), 1)
	require.NoError(t, err)
	assert.Equal(t, store.Sent, sd.State)
}

// Slack accepts a post and then answers 500: the bot looks for the post
// before it posts again, and finds it.
func TestSlack5xxAfterThePostIsAcceptedDoesNotDoubleIt(t *testing.T) {
	e := startBot(t, nil)
	release := make(chan struct{})
	e.linkup.SetAnswer(func(w http.ResponseWriter, r *http.Request, req fakelinkup.Request) {
		<-release
		fakelinkup.Success(w, r, req)
	})
	e.command("https://www.linkedin.com/in/jane-doe Once in Slack")
	e.waitUntil("the root message", func() bool { return len(e.postsIn(salesChannel)) == 1 })
	e.slack.LoseAnswers("chat.postMessage", 2) // the outcome and the notification
	close(release)
	e.finished(1)
	settle()
	_, replies := e.thread(salesChannel)
	assert.Len(t, replies, 1, "the outcome is in the thread once")
	assert.Len(t, e.postsIn(notifyChannel), 1, "the notification is posted once")
	assert.Len(t, e.slack.Calls("conversations.replies"), 1, "the thread was read back once")
	assert.Len(t, e.slack.Calls("conversations.history"), 1, "the notification channel was read back once")
	assert.Equal(t, 1, e.linkup.Count())
}

// A Retry clicked long after the request, in a channel the bot cannot post
// in, answers through the click's own response_url, not the expired one;
// and when that fails too, by DM. Nothing is left untold.
func TestLateRetryAnswersThroughTheClick(t *testing.T) {
	e := startBot(t, nil)
	e.slack.FailPosts(salesChannel, "not_in_channel")
	e.linkup.SetAnswer(reply(400, `{"status":"error","message":"Error while sending message"}`))
	e.command("https://www.linkedin.com/in/jane-doe Private")
	e.finished(1)
	hooks := e.slack.Hooks()
	require.Len(t, hooks, 2, "root and outcome through the command's response_url")
	value := ""
	for _, b := range hooks[1].Body["blocks"].([]any) {
		if els, ok := b.(map[string]any)["elements"].([]any); ok {
			value = els[0].(map[string]any)["value"].(string)
		}
	}
	require.NotEmpty(t, value)
	e.slack.ExpireResponseURL(hooks[0].Path)

	e.linkup.SetAnswer(fakelinkup.Success)
	e.clickRetry(value, alice)
	e.finished(2)
	hooks = e.slack.Hooks()
	require.Len(t, hooks, 4, "the retry's root and outcome go to the click's response_url")
	assert.Equal(t, "retry", hooks[2].Path)
	assert.Equal(t, "retry", hooks[3].Path)
	assert.Contains(t, hooks[3].Body["text"], "Sent on LinkedIn")

	// Both response_urls expired: the outcome comes by DM.
	e.linkup.SetAnswer(reply(400, `{"status":"error","message":"Nope"}`))
	e.command("https://www.linkedin.com/in/jane-doe Private again")
	e.finished(3)
	hooks = e.slack.Hooks()
	value = ""
	for _, b := range hooks[len(hooks)-1].Body["blocks"].([]any) {
		if els, ok := b.(map[string]any)["elements"].([]any); ok {
			value = els[0].(map[string]any)["value"].(string)
		}
	}
	e.slack.ExpireResponseURL("retry")
	e.linkup.SetAnswer(fakelinkup.Success)
	e.clickRetry(value, alice)
	e.finished(4)
	dm := e.postsIn("D" + alice[1:])
	require.Len(t, dm, 1, "the outcome reached the requester by DM")
	assert.Contains(t, dm[0].Text, "Sent on LinkedIn")
	assert.Contains(t, e.logs.String(), "Slack refused the post there; trying the next place", "each fallback is logged")
	assert.NotContains(t, e.logs.String(), "/response/", "a response_url is logged by its host only")
	assert.Contains(t, e.logs.String(), "http://127.0.0.1:", "its host is logged")
	assert.Equal(t, 4, e.linkup.Count())
}

// The daily cap counts what may have reached LinkedIn when Linkup is
// called: an unknown send counts, a refused one does not, a Retry obeys
// it, and renewing the login token keeps the day's count.
func TestDailyCapCountsUnknownSendsAndSurvivesATokenRenewal(t *testing.T) {
	e := startBot(t, map[string]string{"DAILY_SEND_LIMIT": "2", "LINKUP_TIMEOUT": "300ms"})
	e.linkup.SetAnswer(reply(504, `<html>Gateway Timeout</html>`))
	e.command("https://www.linkedin.com/in/jane-doe Maybe")
	assert.Contains(t, e.finished(1).Text, "outcome unknown")
	e.linkup.SetAnswer(reply(400, `{"status":"error","message":"Profile not found"}`))
	e.command("https://www.linkedin.com/in/nobody Refused")
	assert.Contains(t, e.finished(2).Text, "not sent")
	e.linkup.SetAnswer(fakelinkup.Success)
	e.command("https://www.linkedin.com/in/jane-doe Second that counts")
	assert.Contains(t, e.finished(3).Text, "sent, 1 credit")

	_, ack := e.command("https://www.linkedin.com/in/jane-doe Third")
	assert.Contains(t, ackText(t, ack), "daily limit of 2 messages is reached")

	// The Retry of the refused send is a send like any other.
	_, replies := e.thread(salesChannel)
	require.NotEmpty(t, replies)
	e.clickRetry("2", alice)
	e.waitUntil("the refusal", func() bool { return len(e.slack.Hooks()) > 0 })
	assert.Contains(t, e.slack.Hooks()[len(e.slack.Hooks())-1].Body["text"], "daily limit of 2 messages is reached")

	// A renewed login token is the same account.
	require.NoError(t, e.stop())
	e.vars["LINKUP_LOGIN_TOKEN"] = loginToken + "-renewed"
	e.start()
	_, ack = e.command("https://www.linkedin.com/in/jane-doe After renewal")
	assert.Contains(t, ackText(t, ack), "daily limit of 2 messages is reached")
	settle()
	assert.Equal(t, 3, e.linkup.Count())
}

// Killed while the root message is being posted. The claim recorded both
// the announcement's try and the Linkup call, which went out alongside:
// the restart reports the send unknown and never resends it, and finds the
// root posted before the crash, so the answer goes in its thread.
func TestCrashDuringTheAnnouncementIsUnknownNeverResent(t *testing.T) {
	c := newChildren(t, nil)
	c.slack.DelayPosts(3 * time.Second)
	first := c.start()
	c.command("https://www.linkedin.com/in/jane-doe Killed while announcing")
	c.waitUntil("the root post", func() bool { return len(c.slack.Posts()) == 1 })
	select {
	case <-c.linkup.Arrived():
	case <-time.After(waitFor):
		t.Fatal("the request never reached Linkup")
	}
	c.kill(first)
	assert.Equal(t, 1, c.linkup.Count())

	c.slack.DelayPosts(0)
	second := c.start()
	c.waitUntil("the notification", func() bool { return len(c.postsIn(notifyChannel)) == 1 })
	c.term(second)
	assert.Equal(t, 1, c.linkup.Count(), "never resent")
	root, replies := c.thread(salesChannel)
	require.Len(t, replies, 1)
	assert.Equal(t, root.TS, replies[0].ThreadTS, "the answer is in the thread of the root posted before the crash")
	assert.Contains(t, replies[0].Text, "outcome could not be confirmed")
	roots := 0
	for _, p := range c.postsIn(salesChannel) {
		if p.ThreadTS == "" {
			roots++
		}
	}
	assert.Equal(t, 1, roots, "the root posted before the crash was found, not posted again")
	assert.Contains(t, c.logs.String(), "an earlier try had posted")
}

// Killed again and again during a burst, while Slack is slow to answer
// posts: every request still ends with its outcome and notification
// posted, none more than twice, and nothing reaches Linkup twice.
func TestKillDuringPostingNeverLosesOrTriplesAPost(t *testing.T) {
	rounds := 6
	if testing.Short() {
		rounds = 2
	}
	total := map[string]int{}
	found := 0 // posts an earlier try had made, found in Slack after a crash
	for round := range rounds {
		c := newChildren(t, nil)
		c.slack.DelayPosts(time.Duration(20+round*7) * time.Millisecond)
		const n = 6
		proc := c.start()
		for i := range n {
			c.command(fmt.Sprintf("https://www.linkedin.com/in/jane-doe Burst %d", i))
		}
		for kill := range 3 {
			time.Sleep(time.Duration(80+40*kill+13*round) * time.Millisecond)
			c.kill(proc)
			proc = c.start()
		}
		c.waitUntil("every notification", func() bool { return c.notified(n) })
		time.Sleep(500 * time.Millisecond)
		c.term(proc)

		counts := c.postCounts()
		for key, k := range counts {
			total[fmt.Sprint(k)]++
			assert.LessOrEqual(t, k, 2, "round %d: %s posted %d times", round, key, k)
		}
		for i := 1; i <= n; i++ {
			for _, post := range []string{"outcome_posted", "notified"} {
				assert.GreaterOrEqual(t, counts[fmt.Sprintf("%d/%s", i, post)], 1, "round %d: send %d's %s was lost", round, i, post)
			}
		}
		texts := map[string]int{}
		for _, r := range c.linkup.Requests() {
			texts[r.Body.MessageText]++
		}
		for text, k := range texts {
			assert.Equal(t, 1, k, "round %d: %q reached Linkup %d times", round, text, k)
		}
		found += strings.Count(c.logs.String(), "an earlier try had posted")
		c.close()
	}
	t.Logf("posts per send and kind over %d rounds: %v (times posted → how many); %d posts found in Slack after a crash", rounds, total, found)
}

// children runs the bot as real child processes (the test binary re-run
// as main) on one send log, so that a test can SIGKILL them.
type children struct {
	*env
	dataDir string
	procs   []*exec.Cmd
}

func newChildren(t *testing.T, extra map[string]string) *children {
	t.Helper()
	return newChildrenOn(t, 1, extra)
}

// newChildrenOn is newChildren on a fake Slack that holds that many Socket
// Mode connections at once, one per child.
func newChildrenOn(t *testing.T, sockets int, extra map[string]string) *children {
	t.Helper()
	c := &children{
		env: &env{
			t:      t,
			slack:  fakeslack.New(fakeslack.Options{AppToken: appToken, BotToken: botToken, PingInterval: 200 * time.Millisecond, Sockets: sockets}),
			linkup: fakelinkup.New(),
			logs:   &lockedBuffer{},
		},
		dataDir: t.TempDir(),
	}
	c.vars = map[string]string{
		"SLACK_APP_TOKEN": appToken, "SLACK_BOT_TOKEN": botToken, "SLACK_API_URL": c.slack.APIURL(),
		"LINKUP_API_KEY": apiKey, "LINKUP_LOGIN_TOKEN": loginToken, "LINKUP_BASE_URL": c.linkup.URL(),
		"NOTIFY_CHANNEL": notifyChannel, "DATA_DIR": c.dataDir, "LOG_LEVEL": "debug",
	}
	for k, v := range extra {
		c.vars[k] = v
	}
	t.Cleanup(func() {
		c.close()
		c.assertNoSecrets()
		if t.Failed() {
			t.Logf("children's logs:\n%s", c.logs.String())
		}
	})
	return c
}

// start runs a child and waits for its Socket Mode connection.
func (c *children) start() *exec.Cmd {
	c.t.Helper()
	opens := c.slack.Opens()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "LINKEDIN_BOT_CHILD=1")
	for k, v := range c.vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stderr = c.logs
	require.NoError(c.t, cmd.Start())
	c.procs = append(c.procs, cmd)
	c.waitUntil("the child's connection", func() bool { return c.slack.Opens() > opens })
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	_, err := c.slack.WaitConnected(ctx)
	require.NoError(c.t, err)
	return cmd
}

func (c *children) kill(cmd *exec.Cmd) {
	c.t.Helper()
	require.NoError(c.t, cmd.Process.Kill())
	_ = cmd.Wait()
}

// term stops a child with SIGTERM; it must exit 0.
func (c *children) term(cmd *exec.Cmd) {
	c.t.Helper()
	require.NoError(c.t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(c.t, cmd.Wait(), "SIGTERM exits 0")
}

func (c *children) close() {
	for _, p := range c.procs {
		if p.ProcessState == nil {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
	}
	c.procs = nil
	c.slack.Close()
	c.linkup.Close()
}

// postCounts counts the bot's posts by send and kind, from their metadata.
func (c *children) postCounts() map[string]int {
	counts := map[string]int{}
	for _, p := range c.slack.Posts() {
		var md struct {
			Payload struct {
				SendID string `json:"send_id"`
				Post   string `json:"post"`
			} `json:"event_payload"`
		}
		if p.Metadata != "" && json.Unmarshal([]byte(p.Metadata), &md) == nil {
			counts[md.Payload.SendID+"/"+md.Payload.Post]++
		}
	}
	return counts
}

// notified reports whether sends 1 to n all have their notification.
func (c *children) notified(n int) bool {
	counts := c.postCounts()
	for i := 1; i <= n; i++ {
		if counts[fmt.Sprintf("%d/notified", i)] == 0 {
			return false
		}
	}
	return true
}
