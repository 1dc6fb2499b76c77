package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"linkedin-bot/internal/fakelinkup"
)

// outcomeIn is the outcome reply in the thread of the send whose message
// is text.
func outcomeIn(t *testing.T, e *env, text string) string {
	t.Helper()
	var got string
	e.waitUntil("the outcome of "+text, func() bool {
		for _, p := range e.threadAbout(salesChannel, text) {
			if strings.HasPrefix(p.Text, ":x:") || strings.HasPrefix(p.Text, ":warning:") || strings.HasPrefix(p.Text, ":white_check_mark:") {
				got = p.Text
				return true
			}
		}
		return false
	})
	return got
}

// Linkup v2 bills no error (issue 23): a send it refused says, in its
// thread and in history, that it cost no credit. v1 bills failed calls: its
// wording is as it was. A send whose outcome is unknown (a 5xx) says
// nothing of credits on either.
func TestAFailedSendSaysWhatItCost(t *testing.T) {
	t.Parallel()
	const free = "No credit spent (Linkup v2 does not bill errors)."
	for _, version := range []string{"v1", "v2"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			lk := fakelinkup.New()
			e := startBotWith(t, lk, map[string]string{"LINKUP_API_VERSION": version})
			lk.SetAnswer(func(w http.ResponseWriter, _ *http.Request, req fakelinkup.Request) {
				if req.Version == "v2" {
					fakelinkup.ReplyV2Error(w, http.StatusBadRequest, "INVALID_PARAMS", "Invalid parameter")
					return
				}
				fakelinkup.Reply(w, http.StatusOK, `{"status":"error","message":"Invalid parameter"}`)
			})
			e.command(jane + " Refused one")
			e.finished(1)
			refused := outcomeIn(t, e, "Refused one")
			assert.Contains(t, refused, ":x: Not sent. Linkup refused the message: Invalid parameter.")

			lk.SetAnswer(func(w http.ResponseWriter, _ *http.Request, req fakelinkup.Request) {
				if req.Version == "v2" {
					fakelinkup.ReplyV2Error(w, http.StatusInternalServerError, "INTERNAL_ERROR", "LinkedIn failed")
					return
				}
				fakelinkup.Reply(w, http.StatusInternalServerError, `{"status":"error","message":"LinkedIn failed"}`)
			})
			e.command(jane + " Unknown one")
			e.finished(2)
			unknown := outcomeIn(t, e, "Unknown one")
			assert.Contains(t, unknown, "may or may not have been sent")
			assert.NotContains(t, unknown, "credit")

			lk.SetAnswer(lk.Deliver)
			e.command(jane + " Sent one")
			e.finished(3)
			assert.Contains(t, outcomeIn(t, e, "Sent one"), ":white_check_mark: Sent on LinkedIn. 1 credit spent.")
			require.Equal(t, 3, lk.Count())
			require.NoError(t, e.stop())

			out, err := hist(t, e.vars["DATA_DIR"])
			require.NoError(t, err)
			js, err := hist(t, e.vars["DATA_DIR"], "--json")
			require.NoError(t, err)
			var entries []map[string]any
			require.NoError(t, json.Unmarshal([]byte(js), &entries))
			require.Len(t, entries, 3)
			assert.Equal(t, version, entries[0]["linkup_api"], "the API that answered is recorded")
			assert.NotContains(t, entries[1], "credits_note", "an unknown outcome says nothing of credits")
			assert.NotContains(t, entries[2], "credits_note")
			if version == "v2" {
				assert.True(t, strings.HasSuffix(refused, " "+free), refused)
				assert.Regexp(t, `\n1 +\S+ \S+ +`+alice+` +default +failed +0 \(v2: errors are free\) +1 `, out)
				assert.Regexp(t, `\n2 +\S+ \S+ +`+alice+` +default +unknown +0 +1 `, out)
				assert.Contains(t, out, "1 failed send was refused by Linkup v2: no credit spent (Linkup v2 does not bill errors).")
				assert.Equal(t, "no credit spent (Linkup v2 does not bill errors)", entries[0]["credits_note"])
			} else {
				assert.NotContains(t, refused, "credit", "v1 bills failed calls: the wording is v1's")
				assert.Regexp(t, `\n1 +\S+ \S+ +`+alice+` +default +failed +0 +1 `, out)
				assert.NotContains(t, out, "does not bill")
				assert.NotContains(t, entries[0], "credits_note")
			}
		})
	}
}
