package fakelinkup

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// The hosted webhook's Server-Sent Events stream, after
// https://docs.linkupapi.com/api-reference/v2/webhooks/stream: the key in
// the query string, "event: connected" first, then "event: webhook"
// frames, and a ": keepalive" comment every period. Tests drop, silence
// and push to the open streams.

// streamBuffer is how many frames a stream holds for a client that reads
// slowly; one that falls further behind is cut off.
const streamBuffer = 1024

// writeTimeout bounds one frame's write, so that a client that stopped
// reading cannot hold SilenceStreams.
const writeTimeout = 10 * time.Second

// stream is one open stream of a webhook.
type stream struct {
	frames chan string
	wake   chan struct{} // the silence was lifted
	done   chan struct{} // closed to end the stream
	once   sync.Once
	// writing is held while a frame is written: SilenceStreams waits for
	// it, so that nothing is written once it returns.
	writing sync.Mutex
}

func (st *stream) end() { st.once.Do(func() { close(st.done) }) }

// SetKeepalive sets the period of the streams' keepalive comments for
// the streams opened from now on; 30 seconds (Linkup's) by default, and
// when d is not positive.
func (s *Server) SetKeepalive(d time.Duration) {
	if d <= 0 {
		d = 30 * time.Second
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.v2.keepalive = d
}

// Streams returns how many streams are open, by webhook id (ids with
// none are left out).
func (s *Server) Streams() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for id, set := range s.v2.streams {
		if len(set) > 0 {
			out[id] = len(set)
		}
	}
	return out
}

// DropStreams ends every open stream now: each client reads the end of
// its response. Events written afterwards are stored for the replay and
// go to the streams opened again.
func (s *Server) DropStreams() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, set := range s.v2.streams {
		for st := range set {
			st.end()
		}
		delete(s.v2.streams, id)
	}
}

// SilenceStreams(true) keeps every stream open but sends nothing on it,
// keepalives included, as a dead connection would; a stream opened
// meanwhile does not even answer. The events written meanwhile are
// stored for the replay but lost to the streams: they are not sent when
// the silence ends. SilenceStreams(false) ends it.
func (s *Server) SilenceStreams(on bool) {
	s.mu.Lock()
	s.v2.silenced = on
	var open []*stream
	for _, set := range s.v2.streams {
		for st := range set {
			open = append(open, st)
		}
	}
	s.mu.Unlock()
	for _, st := range open {
		if on { // let a frame being written finish
			st.writing.Lock()
			st.writing.Unlock() //lint:ignore SA2001 waiting for the writer is the point
			continue
		}
		select {
		case st.wake <- struct{}{}:
		default:
		}
	}
}

// PushFrame writes raw, as it is, to every open stream of webhook id (an
// odd frame, a duplicate event); it returns to how many. Nothing goes
// while the streams are silenced.
func (s *Server) PushFrame(id, raw string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.push(id, raw)
}

// push queues frame on the open streams of webhook id, cutting off those
// too far behind. Caller holds s.mu.
func (s *Server) push(id, frame string) int {
	if s.v2.silenced {
		return 0
	}
	n := 0
	for st := range s.v2.streams[id] {
		select {
		case st.frames <- frame:
			n++
		default:
			st.end()
			delete(s.v2.streams[id], st)
		}
	}
	return n
}

func (s *Server) silenced() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.v2.silenced
}

// serveStream holds one stream open until the client leaves, the test
// drops it, the webhook is deleted or the server closes. A wrong key is
// a 403 INVALID_API_KEY, an unknown webhook a 404, before any stream.
func (s *Server) serveStream(w http.ResponseWriter, r *http.Request) {
	s.webhookCall(r)
	if !s.keyOK(r.URL.Query().Get("api_key")) {
		s.v2Error(w, "stream", http.StatusForbidden, "INVALID_API_KEY", "Invalid API key")
		return
	}
	id := r.PathValue("id")
	s.mu.Lock()
	wh := s.webhook(id)
	if wh == nil {
		s.mu.Unlock()
		s.v2Error(w, "stream", http.StatusNotFound, "INVALID_ACCOUNT", "Webhook not found")
		return
	}
	st := &stream{frames: make(chan string, streamBuffer), wake: make(chan struct{}, 1), done: make(chan struct{})}
	if s.v2.streams[id] == nil {
		s.v2.streams[id] = map[*stream]bool{}
	}
	s.v2.streams[id][st] = true
	every := s.v2.keepalive
	hello := fmt.Sprintf("event: connected\ndata: {\"webhook_id\": %q, \"account_id\": %q}\n\n", wh.id, wh.acc.id)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.v2.streams[id], st)
		s.mu.Unlock()
	}()

	for s.silenced() {
		select {
		case <-st.wake:
		case <-st.done:
			return
		case <-r.Context().Done():
			return
		}
	}
	rc := http.NewResponseController(w)
	// write writes one frame and flushes it; while silenced it writes
	// nothing (but the connected frame, which always comes first).
	write := func(frame string, always bool) bool {
		st.writing.Lock()
		defer st.writing.Unlock()
		if !always && s.silenced() {
			return true
		}
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := io.WriteString(w, frame); err != nil || rc.Flush() != nil {
			return false
		}
		s.mu.Lock()
		s.v2.written++
		s.mu.Unlock()
		return true
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if !write(hello, true) {
		return
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select { // an ended stream ends before anything queued goes out
		case <-st.done:
			return
		default:
		}
		select {
		case <-r.Context().Done():
			return
		case <-st.done:
			return
		case frame := <-st.frames:
			if !write(frame, false) {
				return
			}
		case <-tick.C:
			if !write(": keepalive\n\n", false) {
				return
			}
		}
	}
}
