package bot

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"github.com/stretchr/testify/assert"
)

// A connection cut by the shutdown is the shutdown, not a problem: it is
// logged at debug level; the same failure while running is a warning.
func TestTheShutdownIsNotAConnectionProblem(t *testing.T) {
	var logs bytes.Buffer
	b := New(nil, nil, nil, zerolog.New(&logs).Level(zerolog.InfoLevel))
	cut := &url.Error{Op: "Post", URL: "https://slack.com/api/apps.connections.open", Err: context.Canceled}
	events := []socketmode.Event{
		{Type: socketmode.EventTypeConnectionError, Data: &slack.ConnectionErrorEvent{Attempt: 1, ErrorObj: cut}},
		{Type: socketmode.EventTypeIncomingError, Data: &slack.IncomingEventError{ErrorObj: fmt.Errorf("reading the socket: %w", net.ErrClosed)}},
	}
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	for _, evt := range events {
		b.handle(stopped, evt, time.Now())
	}
	assert.Empty(t, logs.String(), "nothing at info level or above when shutting down")

	for _, evt := range events {
		b.handle(context.Background(), evt, time.Now())
	}
	assert.Contains(t, logs.String(), `"level":"warn","error":"Post \"https://slack.com/api/apps.connections.open\": context canceled","attempt":1`)
	assert.Contains(t, logs.String(), `"message":"the Slack connection closed; reconnecting"`)
}
