package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
)

// openHome sends user's app_home_opened, from the Events API docs' example
// (api.slack.com/events/app_home_opened) in a Socket Mode envelope, and
// returns its ack.
func (e *env) openHome(user string) time.Time {
	e.t.Helper()
	id, f := e.frame("events-api-app-home-opened-docs.json", func(p map[string]any) {
		p["event"].(map[string]any)["user"] = user
	})
	a := e.send(id, f)
	assert.Empty(e.t, a.Payload, "an event is acked with no payload")
	return a.At
}

// published returns the Home views published for user, oldest first.
func (e *env) published(user string) []map[string]any {
	var out []map[string]any
	for _, c := range e.slack.Calls("views.publish") {
		var req struct {
			UserID string         `json:"user_id"`
			View   map[string]any `json:"view"`
		}
		require.NoError(e.t, json.Unmarshal(c.JSON, &req))
		if req.UserID == user {
			out = append(out, req.View)
		}
	}
	return out
}

// homeClick clicks a button of user's Home tab, from the docs' block_actions of a Home view.
func (e *env) homeClick(user, actionID, value string) {
	e.t.Helper()
	id, f := e.frame("e2-block-actions-docs-home.json", func(p map[string]any) {
		p["user"] = map[string]any{"id": user, "username": strings.ToLower(user)}
		p["trigger_id"] = "trigger-home-" + actionID
		p["actions"] = []any{map[string]any{"action_id": actionID, "block_id": "home", "value": value, "type": "button", "action_ts": "1"}}
	})
	assert.Empty(e.t, e.send(id, f).Payload)
}

// buttons returns the action_id=value of each button in a view.
func buttons(view map[string]any) []string {
	var out []string
	for _, b := range view["blocks"].([]any) {
		b := b.(map[string]any)
		var els []any
		if acc, ok := b["accessory"].(map[string]any); ok {
			els = append(els, acc)
		}
		if es, ok := b["elements"].([]any); ok {
			els = append(els, es...)
		}
		for _, el := range els {
			el := el.(map[string]any)
			if el["type"] == "button" {
				out = append(out, fmt.Sprintf("%s=%v", el["action_id"], el["value"]))
			}
		}
	}
	return out
}

func TestHomeTabIsEachPersonsDesk(t *testing.T) {
	t.Parallel()
	e := startBot(t, bridgeVars(nil))
	e.linkup.SetAnswer(func(w http.ResponseWriter, r *http.Request, req fakelinkup.Request) {
		if strings.Contains(req.Body.MessageText, "refused") {
			fakelinkup.Reply(w, http.StatusOK, `{"status":"error","message":"Invalid parameter: linkedin_url"}`)
			return
		}
		e.linkup.Deliver(w, r, req)
	})
	e.command(jane + " Hi Jane, this one goes through")
	e.finished(1)
	e.command("https://www.linkedin.com/in/john-roe This one is refused")
	e.finished(2)
	e.commandAs(bob, "https://www.linkedin.com/in/ann-lee Bob's own message")
	e.finished(3)
	e.linkup.Reply(jane, "Thanks! Can we talk on Tuesday at 10?")
	e.waitUntil("Jane's reply", func() bool { return len(e.postsIn(notifyChannel)) == 4 })
	assert.Empty(t, e.slack.Calls("views.publish"), "nobody opened Home: nothing published")

	// Alice opens Home: published within a second of the ack.
	acked := e.openHome(alice)
	e.waitUntil("Alice's Home", func() bool { return len(e.published(alice)) == 1 })
	latency := time.Since(acked)
	t.Logf("Home published %s after the ack", latency.Round(time.Millisecond))
	assert.Less(t, latency, 3*time.Second, "within a second on an idle machine; the bound leaves room for a loaded one")
	home := e.published(alice)[0]
	text := viewText(home)
	assert.Equal(t, "home", home["type"])
	assert.Contains(t, text, "Your LinkedIn desk")
	assert.Contains(t, text, "Your messages go from *default* (the team's default), connected. Today: 2 of 100 messages", "the account's count: Alice's and Bob's")
	assert.Contains(t, text, ":white_check_mark: *Sent* to <"+jane+"|jane-doe>")
	assert.Contains(t, text, "> Hi Jane, this one goes through")
	assert.Contains(t, text, ":x: *Failed* to <https://www.linkedin.com/in/john-roe|john-roe>")
	assert.Contains(t, text, "|thread>")
	assert.NotContains(t, text, "Bob", "another person's sends are not shown")
	assert.Contains(t, text, ":speech_balloon: *Jane Doe* replied")
	assert.Contains(t, text, "> Thanks! Can we talk on Tuesday at 10?")
	failedID := "2" // the second send, refused by Linkup
	assert.ElementsMatch(t, []string{"home_new_send=new", "retry_send=" + failedID, "reply_linkedin=1"}, buttons(home))
	assert.LessOrEqual(t, len(home["blocks"].([]any)), 100)

	// Retry from Home sends exactly once, however often it is clicked, and Home follows.
	e.linkup.SetAnswer(e.linkup.Deliver)
	e.homeClick(alice, "retry_send", failedID)
	e.homeClick(alice, "retry_send", failedID)
	e.waitUntil("the retry's outcome", func() bool { return len(e.postsIn(notifyChannel)) == 5 })
	e.waitUntil("Home republished with the retry", func() bool {
		p := e.published(alice)
		return strings.Contains(viewText(p[len(p)-1]), "Today: 3 of 100")
	})
	require.Equal(t, 4, e.linkup.Count(), "three sends and one retry")
	assert.Equal(t, "This one is refused", e.linkup.Requests()[3].Body.MessageText)
	assert.Empty(t, e.published(bob), "Bob never opened Home")

	// New LinkedIn message opens the usual form; its outcome comes by DM.
	e.homeClick(alice, "home_new_send", "new")
	_, view := openedView(t, e, 1)
	assert.Equal(t, "linkedin_send_modal", view["callback_id"])
	id, f := e.submission("VHOMESEND", view["private_metadata"].(string), map[string]string{"recipient": jane, "message": "From Home"})
	e.send(id, f)
	dm := "D" + alice[1:]
	e.waitUntil("the outcome in a DM", func() bool { return len(e.postsIn(dm)) >= 2 })
	require.Equal(t, 5, e.linkup.Count())

	// Answering Jane takes her conversation off "Waiting for you".
	e.waitUntil("Home without Jane waiting", func() bool {
		p := e.published(alice)
		return !strings.Contains(viewText(p[len(p)-1]), "reply_linkedin")
	})
}

func TestHomeRefusesPeopleOutsideTheAllowList(t *testing.T) {
	t.Parallel()
	e := startBot(t, map[string]string{"ALLOWED_USERS": alice})
	e.openHome(bob)
	e.waitUntil("Bob's Home", func() bool { return len(e.published(bob)) == 1 })
	home := e.published(bob)[0]
	require.Len(t, home["blocks"], 1, "one line, nothing else")
	assert.Contains(t, viewText(home), "You are not allowed to send LinkedIn messages with this bot")
	e.homeClick(bob, "home_new_send", "new")
	e.waitUntil("the refusal", func() bool { return len(e.postsIn("D"+bob[1:])) == 1 })
	assert.Empty(t, e.slack.Calls("views.open"))
}

func TestHomeIsDebouncedAndWaitsOutRateLimits(t *testing.T) {
	t.Parallel()
	e := startBot(t, nil)
	e.slack.RateLimit("views.publish", 1)
	e.openHome(alice)
	e.waitUntil("Home published after the 429", func() bool { return len(e.published(alice)) == 2 })
	assert.Len(t, e.slack.Calls("views.publish"), 2, "a 429, then once after its Retry-After")

	// 25 sends: 50 state changes within about a second.
	start := time.Now()
	for i := range 25 {
		e.command(fmt.Sprintf("%s Burst %d", jane, i))
	}
	e.finished(25)
	elapsed := time.Since(start)
	time.Sleep(1500 * time.Millisecond) // the last debounce window
	n := len(e.published(alice)) - 2
	t.Logf("%d publishes for 50 changes in %s", n, elapsed.Round(time.Millisecond))
	assert.GreaterOrEqual(t, n, 1, "Home follows the sends")
	assert.LessOrEqual(t, n, int(elapsed/time.Second)+2, "at most one publish per second")
	last := e.published(alice)[len(e.published(alice))-1]
	assert.Contains(t, viewText(last), "Burst 24", "the last publish shows the last send")
}
