package handlers

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The decoder's error path leaves out the keys of objects decoded as Go
// maps (a file's shares.public.<channel>): the odd value is found in
// every value of such an object, and only it is dropped.
func TestDecodeFollowsPathsThroughMaps(t *testing.T) {
	var v struct {
		Shares map[string][]struct {
			Users []string `json:"reply_users"`
			TS    string   `json:"ts"`
		} `json:"shares"`
	}
	dropped, err := Decode([]byte(`{"shares":{"C1":[{"reply_users":["U1"],"ts":"1"},{"reply_users":{},"ts":"2"}],"C2":[{"reply_users":{"0":"U2"},"ts":"3"}]}}`), &v)
	require.NoError(t, err)
	assert.Equal(t, []string{"shares.reply_users"}, dropped)
	assert.Equal(t, []string{"U1"}, v.Shares["C1"][0].Users, "the good values stay")
	assert.Nil(t, v.Shares["C1"][1].Users)
	assert.Nil(t, v.Shares["C2"][0].Users)
	assert.Equal(t, "3", v.Shares["C2"][0].TS)
}

// A slack-go type's own decoder (a file's "created", a JSONTime) fails
// without saying where: the odd value is found by trial, and only it is
// dropped, however deep.
func TestDecodeFindsAnOddValueItsErrorDoesNotPlace(t *testing.T) {
	var cb slack.InteractionCallback
	raw := `{"type":"message_action","user":{"id":"U1"},"message":{"text":"hi","attachments":[{"text":"a","files":[{"id":"F1","name":"deck.pdf","created":"yesterday"}]}]}}`
	cb, dropped, err := DecodeInteraction([]byte(raw))
	require.NoError(t, err)
	assert.Equal(t, []string{"message.attachments.files.created"}, dropped)
	assert.Equal(t, "U1", cb.User.ID)
	assert.Equal(t, "hi", cb.Message.Text)
	require.Len(t, cb.Message.Attachments, 1)
	require.Len(t, cb.Message.Attachments[0].Files, 1)
	assert.Equal(t, "deck.pdf", cb.Message.Attachments[0].Files[0].Name)

	var f slack.File
	dropped, err = Decode([]byte(`{"id":"F1","name":"deck.pdf","created":"yesterday","timestamp":{"at":1}}`), &f)
	require.NoError(t, err)
	assert.Equal(t, "deck.pdf", f.Name)
	assert.Contains(t, dropped, "created")
	assert.Contains(t, dropped, "timestamp")
}

// A decoder error whose value is not where its path says (a key given
// twice: the decoder refused the first, the tree keeps the second) makes
// drop search the whole payload, skipping names and descending into
// values: each object is searched once per rest of the path, not once per
// way of reaching it (C(depth+4, 4) ways for a 40-deep object: 135,751,
// which took 100 ms at 40, 3.5 s at 80 and 86 s at 160, beyond the ack).
func TestDecodeSearchesEachObjectOncePerPath(t *testing.T) {
	const depth = 40
	deep := strings.Repeat(`{"q":`, depth) + `1` + strings.Repeat(`}`, depth)
	raw := `{"type":"view_submission","user":{"id":"U1"},"zz":` + deep + `,"view":{"id":"V1","callback_id":"c","private_metadata":"pm",` +
		`"state":{"values":{"b":{"a":{"type":"x","value":5,"value":"x"}}}}}}`
	var tree any
	require.NoError(t, json.Unmarshal([]byte(raw), &tree))
	path := strings.Split("alias.view.state.values.value", ".")
	d := newDropper()
	assert.False(t, d.drop(tree, path, "number"), "the refused number is not in the tree")
	objects := depth + 7 // zz's, the root, user, view, state, values, b, a
	assert.LessOrEqual(t, d.visits, objects*len(path))

	_, _, err := DecodeInteraction([]byte(raw))
	assert.Error(t, err, "still not read: prune finds the type, an essential field")
}
