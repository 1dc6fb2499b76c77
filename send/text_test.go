package send

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"linkedin-bot/linkup"
)

func TestPreviewAndQuote(t *testing.T) {
	assert.Equal(t, "one\ntwo", preview("one\ntwo"))
	assert.Equal(t, "1\n2\n3\n4…", preview("1\n2\n3\n4\n5"))
	long := strings.Repeat("é", previewRunes+5)
	assert.Equal(t, strings.Repeat("é", previewRunes)+"…", preview(long))
	assert.Equal(t, "> a &lt;!channel&gt; &amp; &lt;@U1&gt;\n> b", quote("a <!channel> & <@U1>\nb"))
}

func TestRootText(t *testing.T) {
	req := Request{UserID: "U1", Message: linkup.Message{ProfileURL: "https://www.linkedin.com/in/jane-doe", Text: "Hi"}}
	assert.Equal(t, "<@U1> is sending a LinkedIn message to <https://www.linkedin.com/in/jane-doe|jane-doe>\n> Hi\n:hourglass_flowing_sand: Sending…", rootText(req, nil))
	req.Message.MediaLink = "https://x.io/a.pdf"
	assert.Equal(t, "<@U1> sent a LinkedIn message to <https://www.linkedin.com/in/jane-doe|jane-doe> with an attachment\n> Hi\n:white_check_mark: Sent (2 credits)", rootText(req, &Outcome{State: StateSent, Credits: 2}))
}
