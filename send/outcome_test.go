package send

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"linkedin-bot/linkup"
	"linkedin-bot/store"
)

// Every refusal Linkup names is a failure, nothing sent, with what to do;
// only an answer that proves nothing is unknown. v2 names the key and the
// credits apart from the account's session (linkup-v2.md, error codes).
func TestEachLinkupErrorGetsItsOutcome(t *testing.T) {
	for _, c := range []struct {
		err   *linkup.Error
		state store.State
		says  string
	}{
		{&linkup.Error{Kind: linkup.KindKey, Status: 403, Code: "INVALID_API_KEY", Message: "Invalid API key"}, store.Failed, "an admin must check LINKUP_API_KEY"},
		{&linkup.Error{Kind: linkup.KindCredits, Status: 402, Code: "INSUFFICIENT_CREDITS", Message: "Not enough credits"}, store.Failed, "has no credits left"},
		{&linkup.Error{Kind: linkup.KindAuth, Status: 403, Code: "ACCOUNT_INACTIVE", Message: "inactive"}, store.Failed, "The LinkedIn session of the alice-li account expired"},
		{&linkup.Error{Kind: linkup.KindInvalid, Status: 400, Code: "INVALID_PARAMS", Message: "Invalid parameter"}, store.Failed, "not connected to this person"},
		{&linkup.Error{Kind: linkup.KindUnknown, Status: 500, Code: "INTERNAL_ERROR", Message: "boom"}, store.Unknown, "may or may not have been sent"},
	} {
		o := outcomeOf(linkup.Result{}, c.err, "alice-li")
		assert.Equal(t, c.state, o.State, c.err.Error())
		assert.Contains(t, o.Reason, c.says, c.err.Error())
	}
}
