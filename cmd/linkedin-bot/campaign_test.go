package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
	"linkedin-bot/internal/fakeslack"
	"linkedin-bot/internal/pgtest"
	"linkedin-bot/store"
)

// campaignVars are the settings of the campaign tests: quick gaps, no
// working hours, the reply bridge polling fast, and Alice's own account.
func campaignVars(extra map[string]string) map[string]string {
	v := bridgeVars(map[string]string{"CAMPAIGN_GAP_MIN": "1s", "CAMPAIGN_GAP_MAX": "2s", "CAMPAIGN_HOURS": "always", "ACCOUNTS_KEY": accountsKey})
	for k, val := range extra {
		v[k] = val
	}
	return v
}

// eachLog runs test on SQLite and on PostgreSQL (skipped without TEST_DATABASE_URL).
func eachLog(t *testing.T, test func(t *testing.T, vars map[string]string)) {
	t.Run("sqlite", func(t *testing.T) { test(t, campaignVars(nil)) })
	t.Run("postgres", func(t *testing.T) { test(t, campaignVars(map[string]string{"DATABASE_URL": pgtest.Schema(t)})) })
}

// submitCampaign submits the campaign form as user, and returns its ack's errors.
func (e *env) submitCampaign(viewID, user, csvText, template string) map[string]string {
	e.t.Helper()
	id, f := e.frame("d1-view-submission-docs.json", func(p map[string]any) {
		v := p["view"].(map[string]any)
		v["id"] = viewID
		v["callback_id"] = "linkedin_campaign"
		v["private_metadata"] = `{"c":"` + salesChannel + `"}`
		v["state"] = map[string]any{"values": map[string]any{
			"campaign_name": map[string]any{"campaign_name": map[string]any{"type": "plain_text_input", "value": "Meetup thanks"}},
			"recipients":    map[string]any{"recipients": map[string]any{"type": "plain_text_input", "value": csvText}},
			"template":      map[string]any{"template": map[string]any{"type": "plain_text_input", "value": template}},
		}}
		p["user"] = map[string]any{"id": user, "username": "someone"}
	})
	ack := e.send(id, f)
	if len(ack.Payload) == 0 {
		return nil
	}
	var p struct {
		Errors map[string]string `json:"errors"`
	}
	require.NoError(e.t, json.Unmarshal(ack.Payload, &p))
	return p.Errors
}

// click presses a campaign's button as user.
func (e *env) click(action, value, user string) {
	e.t.Helper()
	id, f := e.frame("e1-block-actions-docs-message.json", func(p map[string]any) {
		p["user"] = map[string]any{"id": user, "username": "someone"}
		p["response_url"] = e.slack.ResponseURL("click-" + user)
		p["actions"] = []any{map[string]any{"action_id": action, "block_id": "campaign", "value": value, "type": "button", "action_ts": "1"}}
	})
	e.send(id, f)
}

// campaignRoot waits for the campaign's root in the sales channel.
func (e *env) campaignRoot() fakeslack.Post {
	e.t.Helper()
	var root fakeslack.Post
	e.waitUntil("the campaign's review", func() bool {
		for _, p := range e.postsIn(salesChannel) {
			if p.ThreadTS == "" && strings.Contains(p.Text, "Campaign “") {
				root = p
				return true
			}
		}
		return false
	})
	e.rootRecorded(root)
	return root
}

// rootRecorded waits until the bot recorded root as its campaign's (a
// Start before is refused: its review is not recorded as posted).
func (e *env) rootRecorded(root fakeslack.Post) {
	e.t.Helper()
	ctx := context.Background()
	st, err := store.OpenAtReadOnly(ctx, store.Where{Dir: e.vars["DATA_DIR"], URL: e.vars["DATABASE_URL"]})
	require.NoError(e.t, err)
	defer func() { _ = st.Close() }()
	e.waitUntil("the campaign's root recorded", func() bool {
		cs, err := st.Campaigns(ctx, "")
		return err == nil && slices.ContainsFunc(cs, func(c store.Campaign) bool { return c.RootTS == root.TS })
	})
}

// rootNow is the root's text as last edited.
func (e *env) rootNow(root fakeslack.Post) string {
	text := root.Text
	for _, c := range e.slack.Calls("chat.update") {
		if c.Params["ts"] == root.TS {
			text = c.Params["text"]
		}
	}
	return text
}

const campaignCSV = "\uFEFFprofile_url;first_name;event\r\n" +
	"https://www.linkedin.com/in/jane-doe;Jane;the meetup\r\n" +
	"linkedin.com/in/john-roe;John;\"the fair; Paris\"\r\n" +
	"not a profile;Nobody;x\r\n" +
	"https://www.linkedin.com/in/jane-doe/;Jane again;the meetup\r\n" +
	"https://www.linkedin.com/in/sam-poe;Sam;the dinner\r\n"

var campaignTexts = map[string]string{
	"https://www.linkedin.com/in/jane-doe": "Hi Jane, great to meet you at the meetup!",
	"https://www.linkedin.com/in/john-roe": "Hi John, great to meet you at the fair; Paris!",
	"https://www.linkedin.com/in/sam-poe":  "Hi Sam, great to meet you at the dinner!",
}

func TestCampaignReviewedThenSentOnceEach(t *testing.T) {
	eachLog(t, func(t *testing.T, vars map[string]string) {
		e := startBot(t, vars)
		_, err := e.accounts(aliceToken+"\n", "connect", "--name", "alice-li", "--token-stdin", "--user", alice)
		require.NoError(t, err)
		e.slack.AddUser(alice, "Alice")
		e.slack.SetUserTZ(alice, "Europe/Paris")

		// The command opens the form.
		_, ack := e.command("campaign")
		assert.Empty(t, ack.Payload)
		e.waitUntil("the form", func() bool { return len(e.slack.Calls("views.open")) == 1 })
		assert.Contains(t, string(e.slack.Calls("views.open")[0].JSON), `"callback_id":"linkedin_campaign"`)

		// What cannot be a campaign is refused inline, and nothing recorded.
		errs := e.submitCampaign("VC0", alice, "name,event\nJane,x\n", "Hi")
		assert.Contains(t, errs["recipients"], "profile_url")
		errs = e.submitCampaign("VC0", alice, campaignCSV, "Hi {first_name} from {company}")
		assert.Contains(t, errs["template"], "{company}")

		// A valid form: a review, nothing sent.
		require.Nil(t, e.submitCampaign("VC1", alice, campaignCSV, "Hi {first_name}, great to meet you at {event}!"))
		require.Nil(t, e.submitCampaign("VC1", alice, campaignCSV, "Hi {first_name}, great to meet you at {event}!"), "submitted twice")
		root := e.campaignRoot()
		assert.Contains(t, root.Text, "<@"+alice+">")
		assert.Contains(t, root.Text, "*alice-li*")
		assert.Contains(t, root.Text, "3 recipients, 2 skipped")
		assert.Contains(t, root.Blocks, "row 3 (not a profile): invalid profile URL")
		assert.Contains(t, root.Blocks, "row 4 (https://www.linkedin.com/in/jane-doe): recipient listed twice")
		assert.Contains(t, root.Blocks, "Hi Jane, great to meet you at the meetup!")
		assert.Contains(t, root.Blocks, "Hi Sam, great to meet you at the dinner!")
		assert.Contains(t, root.Blocks, "Credits:* about 3")
		assert.Contains(t, root.Blocks, "(Europe/Paris)")
		value, _ := buttonValue(t, root, "campaign_start")
		require.NotEmpty(t, value)
		time.Sleep(1500 * time.Millisecond)
		assert.Zero(t, e.linkup.Count(), "nothing is sent before Start")
		assert.Len(t, e.postsIn(salesChannel), 1, "one review for a form submitted twice")

		// Someone else's click does nothing.
		e.click("campaign_start", value, bob)
		e.waitUntil("Bob's refusal", func() bool { return len(e.slack.Hooks()) == 1 })
		assert.Contains(t, e.slack.Hooks()[0].Body["text"], "Only the campaign's owner")
		time.Sleep(1500 * time.Millisecond)
		assert.Zero(t, e.linkup.Count(), "someone else's Start starts nothing")

		// Alice starts it: each row once, with its text, a gap apart.
		e.click("campaign_start", value, alice)
		e.click("campaign_start", value, alice)
		e.waitUntil("three sends", func() bool { return e.linkup.Count() >= 3 })
		e.waitUntil("the report", func() bool { return len(e.slack.Uploads()) == 1 })
		settle()
		require.Equal(t, 3, e.linkup.Count(), "each row once")
		got := map[string]string{}
		for _, r := range e.linkup.Requests() {
			got[r.Body.LinkedInURL] = r.Body.MessageText
			assert.Equal(t, aliceToken, r.Body.LoginToken, "from the campaign's account")
		}
		assert.Equal(t, campaignTexts, got)
		var at []time.Time
		thread := e.slack.Thread(salesChannel, root.TS)
		for _, p := range thread {
			if strings.HasPrefix(p.Text, "To <https://www.linkedin.com/in/") {
				at = append(at, p.At)
				e.waitUntil("the row's line edited to its outcome", func() bool {
					for _, c := range e.slack.Calls("chat.update") {
						if c.Params["ts"] == p.TS && strings.HasSuffix(c.Params["text"], ": :white_check_mark: Sent (1 credit)") {
							return true
						}
					}
					return false
				})
			}
			assert.NotContains(t, p.Text, "Sent on LinkedIn", "one short line per row that went")
		}
		require.Len(t, at, 3, "each send one line in the campaign's thread")
		require.Len(t, thread, 4, "the root and the three rows' lines, nothing else")
		for i := 1; i < len(at); i++ {
			assert.GreaterOrEqual(t, at[i].Sub(at[i-1]), 900*time.Millisecond, "a gap of CAMPAIGN_GAP_MIN at least")
		}

		// The report, in the thread.
		up := e.slack.Uploads()[0]
		assert.Equal(t, root.TS, up.ThreadTS)
		recs, err := csv.NewReader(strings.NewReader(up.Content)).ReadAll()
		require.NoError(t, err)
		require.Len(t, recs, 6)
		assert.Equal(t, []string{"row", "profile_url", "state", "reason", "sent_at", "replied"}, recs[0])
		assert.Equal(t, []string{"sent", "sent", "skipped", "skipped", "sent"}, []string{recs[1][2], recs[2][2], recs[3][2], recs[4][2], recs[5][2]})
		assert.Equal(t, "invalid profile URL", recs[3][3])
		e.waitUntil("the root says done", func() bool { return strings.Contains(e.rootNow(root), "Done: 3 of 3 sent · 2 skipped") })

		// A reply lands in the campaign's thread, mentioning its owner.
		e.linkup.Reply("https://www.linkedin.com/in/jane-doe", "Thanks, lovely to meet you too")
		e.waitUntil("the reply in the campaign's thread", func() bool {
			for _, p := range e.slack.Thread(salesChannel, root.TS) {
				if strings.Contains(p.Text, "lovely to meet you") && strings.Contains(p.Text, "<@"+alice+">") {
					return true
				}
			}
			return false
		})
		assert.Len(t, e.slack.Uploads(), 1, "one report")
	})
}

func TestCampaignCancelStopsIt(t *testing.T) {
	eachLog(t, func(t *testing.T, vars map[string]string) {
		vars["CAMPAIGN_GAP_MIN"], vars["CAMPAIGN_GAP_MAX"] = "2s", "2s"
		e := startBot(t, vars)
		_, err := e.accounts(aliceToken+"\n", "connect", "--name", "alice-li", "--token-stdin", "--user", alice)
		require.NoError(t, err)
		require.Nil(t, e.submitCampaign("VC2", alice, campaignCSV, "Hi {first_name}, great to meet you at {event}!"))
		root := e.campaignRoot()
		value, _ := buttonValue(t, root, "campaign_start")
		e.click("campaign_start", value, alice)
		e.waitUntil("the first send", func() bool { return e.linkup.Count() == 1 })
		// Home lists it, with its buttons; Cancel is pressed there.
		e.openHome(alice)
		e.waitUntil("the campaign on Home", func() bool {
			views := e.published(alice)
			if len(views) == 0 {
				return false
			}
			b, _ := json.Marshal(views[len(views)-1])
			return strings.Contains(string(b), "Your campaigns in progress") && strings.Contains(string(b), "Meetup thanks") &&
				slices.Contains(buttons(views[len(views)-1]), "campaign_pause="+value)
		})
		e.homeClick(alice, "campaign_cancel", value)
		e.waitUntil("the report", func() bool { return len(e.slack.Uploads()) == 1 })
		time.Sleep(2500 * time.Millisecond)
		assert.Equal(t, 1, e.linkup.Count(), "nothing more after Cancel")
		assert.Contains(t, e.rootNow(root), "Cancelled: 1 of 3 sent · 2 skipped · 2 cancelled")
		assert.Contains(t, e.slack.Uploads()[0].Content, "cancelled")
		e.waitUntil("Home without the campaign", func() bool {
			views := e.published(alice)
			b, _ := json.Marshal(views[len(views)-1])
			return !strings.Contains(string(b), "Your campaigns in progress")
		})

		// history --campaign prints its rows and their states.
		var out, errOut strings.Builder
		require.NoError(t, run(context.Background(), []string{"linkedin-bot", "history", "--campaign", "1"}, func(k string) string { return e.vars[k] }, &out, &errOut), errOut.String())
		assert.Contains(t, out.String(), `Campaign 1 "Meetup thanks" by `+alice+` from alice-li: cancelled, 1 of 3 sent · 2 skipped · 2 cancelled`)
		assert.Regexp(t, `(?m)^3 +not a profile +skipped +invalid profile URL$`, out.String())
		assert.Regexp(t, `(?m)^1 +https://www.linkedin.com/in/jane-doe +sent +\d+ +\d{4}-`, out.String())
		assert.Regexp(t, `(?m)^5 +https://www.linkedin.com/in/sam-poe +cancelled`, out.String())
		err = run(context.Background(), []string{"linkedin-bot", "history", "--campaign", "9"}, func(k string) string { return e.vars[k] }, &out, &errOut)
		assert.ErrorContains(t, err, "no campaign 9")
	})
}

// A bot killed while Linkup holds a campaign's second send: the next one
// (a restart on SQLite, another replica on PostgreSQL once the lease ran
// out) finds that send unknown, never resends it, and goes on with the
// third row; no row is sent twice, none forgotten.
func TestCampaignSIGKILLResumesWithoutADuplicate(t *testing.T) {
	eachLog(t, func(t *testing.T, vars map[string]string) {
		delete(vars, "ACCOUNTS_KEY")
		vars["LEASE_DURATION"] = "3s"
		c := newChildren(t, vars)
		c.linkup.SetAnswer(func(w http.ResponseWriter, r *http.Request, req fakelinkup.Request) {
			if strings.Contains(req.Body.LinkedInURL, "john-roe") {
				<-r.Context().Done() // held until the bot dies
				return
			}
			fakelinkup.Success(w, r, req)
		})
		first := c.start()
		require.Nil(t, c.submitCampaign("VC3", alice, campaignCSV, "Hi {first_name}, great to meet you at {event}!"))
		root := c.campaignRoot()
		value, _ := buttonValue(t, root, "campaign_start")
		c.click("campaign_start", value, alice)
		c.waitUntil("the second send at Linkup", func() bool { return c.linkup.Count() == 2 })
		c.kill(first)

		second := c.start()
		c.waitUntil("the report", func() bool { return len(c.slack.Uploads()) == 1 })
		settle()
		require.Equal(t, 3, c.linkup.Count(), "no row sent twice, none forgotten")
		seen := map[string]int{}
		for _, r := range c.linkup.Requests() {
			seen[r.Body.LinkedInURL]++
		}
		assert.Equal(t, map[string]int{"https://www.linkedin.com/in/jane-doe": 1, "https://www.linkedin.com/in/john-roe": 1, "https://www.linkedin.com/in/sam-poe": 1}, seen)
		recs, err := csv.NewReader(strings.NewReader(c.slack.Uploads()[0].Content)).ReadAll()
		require.NoError(t, err)
		require.Len(t, recs, 6)
		assert.Equal(t, []string{"sent", "unknown", "skipped", "skipped", "sent"}, []string{recs[1][2], recs[2][2], recs[3][2], recs[4][2], recs[5][2]},
			"the send the crash interrupted is unknown, not resent")
		c.term(second)
	})
}

// csvFileObject registers a CSV file with the fake Slack and returns its
// object, as a message carries it.
func (e *env) csvFileObject(id, name, content string, size int) map[string]any {
	obj := map[string]any{"name": name, "title": name, "filetype": "csv", "mimetype": "text/csv", "pretty_type": "CSV", "size": size, "mode": "hosted", "file_access": "visible"}
	e.slack.AddFile(id, fakeslack.File{Object: obj, Size: int64(len(content)), Open: func() io.Reader { return strings.NewReader(content) }})
	return obj
}

func TestCampaignFromACSVFile(t *testing.T) {
	e := startBot(t, campaignVars(nil))
	obj := e.csvFileObject("F0CSV0001", "meetup.csv", campaignCSV, len(campaignCSV))
	view := e.shortcut("Here are the people from the meetup", []map[string]any{obj})
	assert.Equal(t, "linkedin_campaign", view["callback_id"], "a message with a .csv file opens the campaign form")
	b, _ := json.Marshal(view)
	assert.Contains(t, string(b), `"initial_value":`+mustJSON(t, campaignCSV), "its recipients are the file's content")
	assert.Len(t, e.slack.Downloads(), 1)

	// A file larger than the form holds is refused, with the reason.
	big := "profile_url\n" + strings.Repeat("https://www.linkedin.com/in/someone-long-name\n", 80)
	opened := len(e.slack.Calls("views.open"))
	id, f := e.frame("b2-message-action-with-files.json", func(p map[string]any) {
		p["callback_id"] = "linkedin_send_message"
		p["channel"] = map[string]any{"id": salesChannel, "name": "sales"}
		p["user"] = map[string]any{"id": alice, "name": "alice"}
		p["response_url"] = e.slack.ResponseURL("big")
		msg := p["message"].(map[string]any)
		msg["files"] = []map[string]any{e.csvFileObject("F0CSV0002", "all.csv", big, len(big))}
		delete(msg, "blocks")
	})
	e.send(id, f)
	e.waitUntil("the refusal", func() bool { return len(e.slack.Hooks()) == 1 })
	assert.Contains(t, e.slack.Hooks()[0].Body["text"], "all.csv")
	assert.Contains(t, e.slack.Hooks()[0].Body["text"], "holds 3000 characters")
	assert.Len(t, e.slack.Calls("views.open"), opened, "no form")
	assert.Len(t, e.slack.Downloads(), 1, "not downloaded")

	// Where the bot cannot post, the review goes to the owner's DM; a
	// column named to mention everyone is shown inert.
	e.slack.FailPosts(salesChannel, "not_in_channel")
	require.Nil(t, e.submitCampaign("VC9", alice, "url,<!channel>\nlinkedin.com/in/a,A\nlinkedin.com/in/b,\n", "Hi {<!channel>}"))
	e.waitUntil("the review in Alice's DM", func() bool { return len(e.postsIn("D"+alice[1:])) == 1 })
	review := e.postsIn("D" + alice[1:])[0]
	assert.Contains(t, review.Text, "1 recipients, 1 skipped")
	var blocks []struct {
		Text struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	require.NoError(t, json.Unmarshal([]byte(review.Blocks), &blocks))
	var shown strings.Builder
	for _, b := range blocks {
		shown.WriteString(b.Text.Text)
	}
	assert.NotContains(t, shown.String(), "<!channel>", "escaped: no broadcast")
	assert.Contains(t, shown.String(), "empty value for {&lt;!channel&gt;}")
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// Two bots on one PostgreSQL log: the form, the buttons and the runner may
// each land on either; the one holding the campaigns' lease runs it, and
// each row is sent once, the report uploaded once.
func TestCampaignOnTwoReplicas(t *testing.T) {
	vars := campaignVars(map[string]string{"DATABASE_URL": pgtest.Schema(t)})
	delete(vars, "ACCOUNTS_KEY")
	e := startBotOn(t, 2, fakelinkup.New(), vars)
	e.another(2)
	require.Nil(t, e.submitCampaign("VC5", alice, campaignCSV, "Hi {first_name}, great to meet you at {event}!"))
	root := e.campaignRoot()
	value, _ := buttonValue(t, root, "campaign_start")
	e.click("campaign_start", value, alice)
	e.click("campaign_start", value, alice) // the second to the other bot
	e.waitUntil("the report", func() bool { return len(e.slack.Uploads()) == 1 })
	time.Sleep(1500 * time.Millisecond)
	require.Equal(t, 3, e.linkup.Count(), "each row once")
	seen := map[string]string{}
	for _, r := range e.linkup.Requests() {
		seen[r.Body.LinkedInURL] = r.Body.MessageText
	}
	assert.Equal(t, campaignTexts, seen)
	assert.Len(t, e.slack.Uploads(), 1, "one report")
	assert.Len(t, e.postsIn(salesChannel), 4, "the review and three lines, once each")
}

// campaignRoots waits for n campaign roots in the sales channel, oldest first.
func (e *env) campaignRoots(n int) []fakeslack.Post {
	e.t.Helper()
	var roots []fakeslack.Post
	e.waitUntil("the campaigns' reviews", func() bool {
		roots = nil
		for _, p := range e.postsIn(salesChannel) {
			if p.ThreadTS == "" && strings.Contains(p.Text, "Campaign “") {
				roots = append(roots, p)
			}
		}
		return len(roots) == n
	})
	for _, r := range roots {
		e.rootRecorded(r)
	}
	return roots
}

// The recontact rule holds when a row goes, not only when its campaign
// was created: a recipient messaged since (by another campaign, or by
// hand) is skipped, saying why, and nothing reaches Linkup for them.
func TestCampaignSkipsWhoWasMessagedSinceItsCreation(t *testing.T) {
	eachLog(t, func(t *testing.T, vars map[string]string) {
		e := startBot(t, vars)
		_, err := e.accounts(aliceToken+"\n", "connect", "--name", "alice-li", "--token-stdin", "--user", alice)
		require.NoError(t, err)
		require.Nil(t, e.submitCampaign("VR1", alice, "profile_url,first_name\nhttps://www.linkedin.com/in/jane-doe,Jane\nhttps://www.linkedin.com/in/sam-poe,Sam\n", "Hi {first_name}"))
		e.campaignRoots(1)
		require.Nil(t, e.submitCampaign("VR2", alice, "profile_url,first_name\nhttps://www.linkedin.com/in/jane-doe,Jane\nhttps://www.linkedin.com/in/john-roe,John\nhttps://www.linkedin.com/in/ann-lee,Ann\n", "Hello {first_name}"))
		roots := e.campaignRoots(2)
		first, _ := buttonValue(t, roots[0], "campaign_start")
		second, _ := buttonValue(t, roots[1], "campaign_start")

		// Both created, neither sent: now John is messaged by hand.
		e.command("https://www.linkedin.com/in/john-roe Hi John, by hand")
		e.waitUntil("the manual send", func() bool { return e.linkup.Count() == 1 })
		e.click("campaign_start", first, alice)
		e.waitUntil("the first campaign's report", func() bool { return len(e.slack.Uploads()) == 1 })
		e.click("campaign_start", second, alice)
		e.waitUntil("the second campaign's report", func() bool { return len(e.slack.Uploads()) == 2 })
		settle()
		seen := map[string]int{}
		for _, r := range e.linkup.Requests() {
			seen[r.Body.LinkedInURL]++
		}
		assert.Equal(t, map[string]int{"https://www.linkedin.com/in/jane-doe": 1, "https://www.linkedin.com/in/sam-poe": 1,
			"https://www.linkedin.com/in/john-roe": 1, "https://www.linkedin.com/in/ann-lee": 1}, seen, "nobody messaged twice")
		require.Equal(t, 4, e.linkup.Count())

		up := e.slack.Uploads()[1]
		assert.Equal(t, roots[1].TS, up.ThreadTS)
		recs, err := csv.NewReader(strings.NewReader(up.Content)).ReadAll()
		require.NoError(t, err)
		require.Len(t, recs, 4)
		for _, r := range recs[1:3] {
			assert.Equal(t, []string{"skipped", "already messaged by this account in the last 30 days"}, r[2:4], r[1])
		}
		assert.Equal(t, "sent", recs[3][2])
		e.waitUntil("the root says done", func() bool { return strings.Contains(e.rootNow(roots[1]), "Done: 1 of 1 sent · 2 skipped") })
	})
}

// A campaign whose review cannot be posted (its channel and its owner's
// DM refuse it) is cancelled and its owner told; no button starts it.
func TestCampaignWhoseReviewCannotBePostedIsCancelled(t *testing.T) {
	e := startBot(t, campaignVars(nil))
	_, err := e.accounts(aliceToken+"\n", "connect", "--name", "alice-li", "--token-stdin", "--user", alice)
	require.NoError(t, err)
	e.slack.FailCalls("chat.postMessage", 2)
	require.Nil(t, e.submitCampaign("VF1", alice, campaignCSV, "Hi {first_name}, great to meet you at {event}!"))
	dm := "D" + alice[1:]
	e.waitUntil("the owner told", func() bool { return len(e.postsIn(dm)) == 1 })
	assert.Equal(t, ":warning: Your campaign could not be posted or recorded, so nothing of it will be sent. Please create it again.", e.postsIn(dm)[0].Text)
	assert.Len(t, e.slack.Calls("chat.postMessage"), 3, "the channel, the DM, then the owner told")

	var out, errOut strings.Builder
	require.NoError(t, run(context.Background(), []string{"linkedin-bot", "history", "--campaign", "1"}, func(k string) string { return e.vars[k] }, &out, &errOut), errOut.String())
	assert.Contains(t, out.String(), "from alice-li: cancelled, 0 of 3 sent")

	// A Start button for it (forged, or from Home) starts nothing.
	e.click("campaign_start", "1", alice)
	e.waitUntil("the refusal", func() bool { return len(e.slack.Hooks()) == 1 })
	assert.Equal(t, ":information_source: This campaign is cancelled; nothing changed.", e.slack.Hooks()[0].Body["text"])
	time.Sleep(1500 * time.Millisecond)
	assert.Zero(t, e.linkup.Count())
	assert.Empty(t, e.slack.Uploads(), "no report without a thread")
}

// A campaign's button is acked before its work: a slow chat.update (the
// root's edit) does not hold the ack past Slack's 3 s.
func TestCampaignButtonAckedBeforeItsWork(t *testing.T) {
	e := startBot(t, campaignVars(nil))
	_, err := e.accounts(aliceToken+"\n", "connect", "--name", "alice-li", "--token-stdin", "--user", alice)
	require.NoError(t, err)
	require.Nil(t, e.submitCampaign("VA1", alice, campaignCSV, "Hi {first_name}, great to meet you at {event}!"))
	root := e.campaignRoot()
	value, _ := buttonValue(t, root, "campaign_start")

	release := e.slack.HoldCalls("chat.update")
	defer release()
	id, f := e.frame("e1-block-actions-docs-message.json", func(p map[string]any) {
		p["user"] = map[string]any{"id": alice, "username": "alice"}
		p["response_url"] = e.slack.ResponseURL("click-ack")
		p["actions"] = []any{map[string]any{"action_id": "campaign_start", "block_id": "campaign", "value": value, "type": "button", "action_ts": "1"}}
	})
	require.NoError(t, e.slack.SendFrame(f))
	e.waitUntil("Start's edit of the root, held at Slack", func() bool {
		for _, c := range e.slack.Calls("chat.update") {
			if c.Params["ts"] == root.TS {
				return true
			}
		}
		return false
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	_, _ = e.slack.WaitAck(ctx, id) // without the ack, the edit is released after this wait
	cancel()
	released := time.Now()
	release()
	ctx, cancel = context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	ack, err := e.slack.WaitAck(ctx, id)
	require.NoError(t, err)
	assert.True(t, ack.At.Before(released), "the ack came while Slack still held the root's edit")
	e.waitUntil("the first send", func() bool { return e.linkup.Count() == 1 })
}
