package linkup

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// h2Server is a minimal HTTP/2 server over TLS that reads each request's
// whole body, then answers as resetFirst says: it resets the first
// n streams with PROTOCOL_ERROR (which Go's client treats as retryable when
// it can rewind the body) and answers later ones with a Linkup success. It
// counts the complete requests it read.
type h2Server struct {
	srv        *httptest.Server
	mu         sync.Mutex
	complete   int
	bodies     [][]byte
	resetFirst int
}

func newH2Server(t *testing.T, resetFirst int) *h2Server {
	t.Helper()
	h := &h2Server{resetFirst: resetFirst}
	h.srv = httptest.NewUnstartedServer(http.NotFoundHandler())
	h.srv.EnableHTTP2 = true
	h.srv.Config.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){
		"h2": func(_ *http.Server, c *tls.Conn, _ http.Handler) { h.serve(c) },
	}
	h.srv.StartTLS()
	t.Cleanup(h.srv.Close)
	return h
}

func (h *h2Server) counts() (int, [][]byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.complete, h.bodies
}

// HTTP/2 frame types and flags (RFC 9113, section 6).
const (
	frameData, frameHeaders, frameRST, frameSettings, framePing, frameWindowUpdate = 0, 1, 3, 4, 6, 8
	flagEndStream, flagAck, flagEndHeaders                                         = 0x1, 0x1, 0x4
	errProtocol                                                                    = 0x1
)

func writeFrame(w io.Writer, typ, flags byte, stream uint32, payload []byte) error {
	hdr := make([]byte, 9, 9+len(payload))
	hdr[0], hdr[1], hdr[2] = byte(len(payload)>>16), byte(len(payload)>>8), byte(len(payload))
	hdr[3], hdr[4] = typ, flags
	binary.BigEndian.PutUint32(hdr[5:], stream&0x7fffffff)
	_, err := w.Write(append(hdr, payload...))
	return err
}

func (h *h2Server) serve(c *tls.Conn) {
	defer c.Close()
	preface := make([]byte, len("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"))
	if _, err := io.ReadFull(c, preface); err != nil {
		return
	}
	if writeFrame(c, frameSettings, 0, 0, nil) != nil {
		return
	}
	bodies := map[uint32]*bytes.Buffer{}
	hdr := make([]byte, 9)
	for {
		if _, err := io.ReadFull(c, hdr); err != nil {
			return
		}
		n := int(hdr[0])<<16 | int(hdr[1])<<8 | int(hdr[2])
		typ, flags, stream := hdr[3], hdr[4], binary.BigEndian.Uint32(hdr[5:])&0x7fffffff
		payload := make([]byte, n)
		if _, err := io.ReadFull(c, payload); err != nil {
			return
		}
		var err error
		switch typ {
		case frameSettings:
			if flags&flagAck == 0 {
				err = writeFrame(c, frameSettings, flagAck, 0, nil)
			}
		case framePing:
			if flags&flagAck == 0 {
				err = writeFrame(c, framePing, flagAck, 0, payload)
			}
		case frameHeaders:
			bodies[stream] = &bytes.Buffer{}
		case frameData:
			bodies[stream].Write(payload)
			if n > 0 {
				inc := binary.BigEndian.AppendUint32(nil, uint32(n))
				err = writeFrame(c, frameWindowUpdate, 0, 0, inc)
				if err == nil {
					err = writeFrame(c, frameWindowUpdate, 0, stream, inc)
				}
			}
			if flags&flagEndStream != 0 {
				err = h.answer(c, stream, bodies[stream].Bytes())
			}
		}
		if err != nil {
			return
		}
	}
}

// answer is called once a request's body is complete.
func (h *h2Server) answer(c io.Writer, stream uint32, body []byte) error {
	h.mu.Lock()
	h.complete++
	h.bodies = append(h.bodies, body)
	reset := h.complete <= h.resetFirst
	h.mu.Unlock()
	if reset {
		return writeFrame(c, frameRST, 0, stream, binary.BigEndian.AppendUint32(nil, errProtocol))
	}
	// 0x88 is HPACK's indexed ":status: 200".
	if err := writeFrame(c, frameHeaders, flagEndHeaders, stream, []byte{0x88}); err != nil {
		return err
	}
	return writeFrame(c, frameData, flagEndStream, stream, []byte(`{"status":"success","message":"Message sent successfully"}`))
}

// TestHTTP2ResetAfterTheBodyIsNeverReplayed: a stream reset with
// PROTOCOL_ERROR after Linkup read the whole body is retryable for Go's
// HTTP/2 client whenever it can rewind the body. Linkup may have acted on
// the first request, so the client must not send a second one: one complete
// POST reaches the server and the outcome is unknown.
func TestHTTP2ResetAfterTheBodyIsNeverReplayed(t *testing.T) {
	media := strings.Repeat("%PDF-", 30000) // 150 kB: several DATA frames and window updates
	for _, tc := range []struct {
		name string
		msg  Message
	}{
		{"text", jane},
		{"streamed media", Message{ProfileURL: jane.ProfileURL, Text: "See attached", Media: &Media{MIME: "application/pdf", Size: int64(len(media)), Body: strings.NewReader(media)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, resets := range []int{1, 1000} {
				h := newH2Server(t, resets)
				c := New(Config{BaseURL: h.srv.URL, APIKey: "key-1", LoginToken: "login-1", Timeout: 3 * time.Second, HTTPClient: h.srv.Client()})
				if tc.msg.Media != nil {
					tc.msg.Media.Body = strings.NewReader(media)
				}
				_, err := c.SendMessage(context.Background(), tc.msg)
				complete, bodies := h.counts()
				assert.Equal(t, 1, complete, "resets=%d: exactly one complete POST reached Linkup", resets)
				var le *Error
				require.ErrorAs(t, err, &le, "resets=%d", resets)
				assert.Equal(t, KindUnknown, le.Kind, "a reset after the body went out leaves the outcome unknown: %v", err)
				assert.False(t, le.SafeToResend())
				require.Len(t, bodies, 1)
				assert.Contains(t, string(bodies[0]), `"login_token":"login-1"`, "the body went out whole")
			}
		})
	}
}

// TestHTTP2AnswersAreRead checks the test server itself: without a reset the
// same client gets a success over HTTP/2.
func TestHTTP2AnswersAreRead(t *testing.T) {
	h := newH2Server(t, 0)
	c := New(Config{BaseURL: h.srv.URL, APIKey: "key-1", LoginToken: "login-1", Timeout: 3 * time.Second, HTTPClient: h.srv.Client()})
	res, err := c.SendMessage(context.Background(), jane)
	require.NoError(t, err)
	assert.Equal(t, "Message sent successfully", res.Message)
	complete, _ := h.counts()
	assert.Equal(t, 1, complete)
}
