package linkup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mediaServer decodes media_file from each request and keeps the last body.
func mediaServer(t *testing.T) (*httptest.Server, *atomic.Pointer[map[string]any], *atomic.Int64) {
	var last atomic.Pointer[map[string]any]
	var contentLength atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		contentLength.Store(r.ContentLength)
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			w.WriteHeader(400)
			return
		}
		last.Store(&body)
		_, _ = io.WriteString(w, `{"status":"success","message":"Message sent successfully"}`)
	}))
	t.Cleanup(s.Close)
	return s, &last, &contentLength
}

func TestMediaIsStreamedAsADataURL(t *testing.T) {
	for _, size := range []int{1, 2, 3, 4, mediaChunk - 1, mediaChunk, mediaChunk + 1, 5*mediaChunk + 2} {
		s, last, cl := mediaServer(t)
		file := make([]byte, size)
		for i := range file {
			file[i] = byte(rand.IntN(256))
		}
		m := jane
		m.Media = &Media{MIME: "application/pdf", Size: int64(size), Body: bytes.NewReader(file)}
		res, err := client(s.URL).SendMessage(context.Background(), m)
		require.NoError(t, err, size)
		assert.Equal(t, CreditsMedia, res.Credits)
		body := *last.Load()
		prefix := "data:application/pdf;base64,"
		got := body["media_file"].(string)
		require.True(t, strings.HasPrefix(got, prefix))
		decoded, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(got, prefix))
		require.NoError(t, err)
		assert.Equal(t, sha256.Sum256(file), sha256.Sum256(decoded), "size %d: the bytes decode to exactly the file", size)
		assert.Equal(t, "Hi Jane", body["message_text"])
		assert.Equal(t, "login-1", body["login_token"])
		raw, _ := json.Marshal(body)
		assert.Equal(t, int64(len(raw)), cl.Load(), "exact Content-Length")
	}
}

func TestMediaLinkWinsOverMedia(t *testing.T) {
	s, last, _ := mediaServer(t)
	m := jane
	m.MediaLink = "https://example.com/a.png"
	m.Media = &Media{MIME: "image/png", Size: 3, Body: strings.NewReader("abc")}
	_, err := client(s.URL).SendMessage(context.Background(), m)
	require.NoError(t, err)
	body := *last.Load()
	assert.Equal(t, "https://example.com/a.png", body["media_link"])
	assert.NotContains(t, body, "media_file")
}

type brokenReader struct {
	data []byte
	err  error
}

func (b *brokenReader) Read(p []byte) (int, error) {
	if len(b.data) == 0 {
		return 0, b.err
	}
	n := copy(p, b.data)
	b.data = b.data[n:]
	return n, nil
}

func TestBrokenMediaAbortsTheRequest(t *testing.T) {
	cases := []struct {
		name  string
		media *Media
		kind  Kind
	}{
		// Part of the request went out: what Linkup made of it is not known.
		{"breaks halfway", &Media{MIME: "video/mp4", Size: 100000, Body: &brokenReader{data: make([]byte, 50000), err: errors.New("connection reset")}}, KindUnknown},
		{"ends short", &Media{MIME: "video/mp4", Size: 100000, Body: bytes.NewReader(make([]byte, 99999))}, KindUnknown},
		{"runs long", &Media{MIME: "video/mp4", Size: 100000, Body: bytes.NewReader(make([]byte, 100001))}, KindUnknown},
		// Nothing went out.
		{"fails at its first byte", &Media{MIME: "video/mp4", Size: 100000, Body: &brokenReader{err: errors.New("connection reset")}}, KindMedia},
		{"unknown type", &Media{MIME: "application/zip", Size: 3, Body: strings.NewReader("abc")}, KindMedia},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, last, _ := mediaServer(t)
			m := jane
			m.Media = tc.media
			_, err := client(s.URL).SendMessage(context.Background(), m)
			var le *Error
			require.ErrorAs(t, err, &le)
			assert.Equal(t, tc.kind, le.Kind, le.Error())
			assert.Equal(t, tc.kind == KindUnknown, le.MayHaveSent())
			assert.False(t, le.SafeToResend())
			assert.Nil(t, last.Load(), "Linkup never got a complete request")
		})
	}
}

// BenchmarkMediaBody measures the encoding of a streamed attachment of 1
// and 50 MiB: the bytes allocated per request must not grow with the file.
func BenchmarkMediaBody(b *testing.B) {
	for _, mib := range []int64{1, 50} {
		b.Run(fmt.Sprintf("%dMiB", mib), func(b *testing.B) {
			size := mib << 20
			c := New(Config{APIKey: "k", LoginToken: "l"})
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				src := io.LimitReader(zeroReader{}, size)
				body, n, err := c.encode(Message{ProfileURL: "https://www.linkedin.com/in/x", Text: "hi", Media: &Media{MIME: "image/png", Size: size, Body: src}})
				if err != nil {
					b.Fatal(err)
				}
				if m, err := io.Copy(io.Discard, body); err != nil || m != n {
					b.Fatal(m, n, err)
				}
			}
		})
	}
}

// zeroReader is an endless source of zero bytes that allocates nothing.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
