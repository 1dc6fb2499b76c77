// Package send is how a LinkedIn message goes out: the queue of accepted
// requests, the workers that send them through Linkup, and the delivery of
// each outcome to Slack (the request's thread, or its response_url, and the
// team notification channel).
//
// A request handed to Submit is always answered: sent, refused with a
// reason, or "outcome unknown". It is sent through Linkup at most once.
package send

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"linkedin-bot/linkup"
)

// Linkup sends one message; *linkup.Client is the production one.
type Linkup interface {
	SendMessage(ctx context.Context, m linkup.Message) (linkup.Result, error)
}

// Slack is the part of the Slack Web API the pipeline posts with; *slack.Client
// is the production one.
type Slack interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
	GetPermalinkContext(ctx context.Context, params *slack.PermalinkParameters) (string, error)
}

// Request is one accepted request to send a LinkedIn message.
type Request struct {
	// ID names the request in logs and Slack (the envelope or view ID).
	ID string
	// UserID is the Slack user who asked.
	UserID string
	// ChannelID is where the request's messages go: the origin channel, or
	// the user's ID for a DM from the bot.
	ChannelID string
	// ResponseURL, when set, is used where the bot cannot post in ChannelID.
	ResponseURL string
	// Message is what goes to Linkup, already validated.
	Message linkup.Message
}

// ErrClosed is returned by Submit once Close has been called.
var ErrClosed = errors.New("the bot is shutting down")

// ErrBusy is returned by Submit when the queue is full.
var ErrBusy = errors.New("too many messages are waiting to be sent")

// Config tunes a Pipeline.
type Config struct {
	// Workers is how many sends run at once; 4 when zero.
	Workers int
	// QueueSize bounds the requests waiting for a worker; 1024 when zero.
	QueueSize int
	// NotifyChannel, when set, gets one line per finished send.
	NotifyChannel string
	// SlackTimeout bounds each Slack post; 10 s when zero.
	SlackTimeout time.Duration
	// HTTPClient posts to response_url; a plain client when nil.
	HTTPClient *http.Client
}

// Pipeline queues requests and sends them on a bounded pool of workers.
type Pipeline struct {
	cfg    Config
	linkup Linkup
	slack  Slack
	log    zerolog.Logger

	mu     sync.Mutex // guards closed and sends on queue
	closed bool
	queue  chan Request

	// work is the context of every send; it is cancelled only when a
	// shutdown runs out of time.
	work       context.Context
	cancelWork context.CancelFunc
	workers    sync.WaitGroup
}

// New returns a Pipeline; Start runs its workers.
func New(cfg Config, lk Linkup, sl Slack, log zerolog.Logger) *Pipeline {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 1024
	}
	if cfg.SlackTimeout <= 0 {
		cfg.SlackTimeout = 10 * time.Second
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: cfg.SlackTimeout}
	}
	work, cancel := context.WithCancel(context.Background())
	return &Pipeline{
		cfg:        cfg,
		linkup:     lk,
		slack:      sl,
		log:        log,
		queue:      make(chan Request, cfg.QueueSize),
		work:       work,
		cancelWork: cancel,
	}
}

// Start runs the workers. They stop when Close has drained the queue.
func (p *Pipeline) Start() {
	for range p.cfg.Workers {
		p.workers.Go(func() {
			for req := range p.queue {
				p.process(req)
			}
		})
	}
}

// Submit queues req without blocking. It fails with ErrClosed after Close
// and with ErrBusy when the queue is full; the request is then not taken and
// the caller must tell the user.
func (p *Pipeline) Submit(req Request) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	select {
	case p.queue <- req:
		return nil
	default:
		return ErrBusy
	}
}

// Close stops taking requests and waits for the queued and running ones to
// finish and post their outcome. When ctx ends first, sends still waiting
// are answered "not sent" and sends waiting on Linkup are cut off and
// answered "outcome unknown"; Close then waits for those answers, each
// bounded by the Slack timeout. It returns ctx's error in that case.
func (p *Pipeline) Close(ctx context.Context) error {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.queue)
	}
	p.mu.Unlock()

	done := make(chan struct{})
	go func() {
		p.workers.Wait()
		close(done)
	}()
	select {
	case <-done:
		p.cancelWork()
		return nil
	case <-ctx.Done():
		p.cancelWork()
		<-done
		return ctx.Err()
	}
}
