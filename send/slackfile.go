package send

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// File is a Slack file to attach to a send.
type File struct {
	ID   string
	Name string
	MIME string // one of linkup.MediaTypes
	Size int64
	URL  string // url_private_download
}

// FileError says, in words for the user, why a Slack file could not be had.
type FileError struct{ Reason string }

func (e *FileError) Error() string { return e.Reason }

// SlackFiles downloads Slack files with the bot token. The token goes only
// to Slack: https *.slack.com hosts and the configured API host, and never
// across a redirect to another host.
type SlackFiles struct {
	token   string
	apiHost string
	client  *http.Client
}

// NewSlackFiles returns a downloader using token; apiURL is SLACK_API_URL,
// whose host is trusted with the token too (a test's fake Slack).
func NewSlackFiles(token, apiURL string, client *http.Client) *SlackFiles {
	u, _ := url.Parse(apiURL)
	c := *client
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != via[0].URL.Host || len(via) > 5 {
			return &FileError{Reason: "Slack redirected the download elsewhere, so the bot did not follow it"}
		}
		return nil
	}
	return &SlackFiles{token: token, apiHost: u.Host, client: &c}
}

func (f *SlackFiles) trusted(u *url.URL) bool {
	if u.Host == f.apiHost {
		return true
	}
	h := strings.ToLower(u.Hostname())
	return u.Scheme == "https" && (h == "slack.com" || strings.HasSuffix(h, ".slack.com"))
}

// Open starts downloading the file at rawURL. The caller closes the body.
// Errors are *FileError.
func (f *SlackFiles) Open(ctx context.Context, rawURL string) (io.ReadCloser, error) {
	u, err := url.Parse(rawURL)
	if err != nil || !f.trusted(u) {
		return nil, &FileError{Reason: "the file's address is not on Slack"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &FileError{Reason: "the file's address is not valid"}
	}
	req.Header.Set("Authorization", "Bearer "+f.token)
	resp, err := f.client.Do(req)
	if err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			return nil, fe
		}
		return nil, &FileError{Reason: "Slack could not be reached to download it"}
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &FileError{Reason: fmt.Sprintf("Slack answered HTTP %d to the download", resp.StatusCode)}
	}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct == "text/html" {
		resp.Body.Close()
		return nil, errSignIn
	}
	return resp.Body, nil
}

var errSignIn = &FileError{Reason: "Slack answered a sign-in page instead of the file: the bot needs the files:read scope and access to the file's channel"}

// confirmType checks, from its first bytes, that a download is the type
// Slack declared, and returns a reader that still yields every byte.
func confirmType(r io.Reader, declared string) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 512)
	head, err := br.Peek(12)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, &FileError{Reason: "the download broke off at its start"}
	}
	if got := sniff(head); got != declared {
		if got == "text/html" {
			return nil, errSignIn
		}
		return nil, &FileError{Reason: fmt.Sprintf("its content is not what Slack says it is (%s)", declared)}
	}
	return br, nil
}

// sniff names the type of a file from its magic bytes, for the types Linkup takes.
func sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return "image/jpeg"
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return "application/pdf"
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		return "video/mp4"
	case bytes.HasPrefix(bytes.TrimSpace(bytes.ToLower(head)), []byte("<!doctype")), bytes.HasPrefix(bytes.TrimSpace(bytes.ToLower(head)), []byte("<html")):
		return "text/html"
	default:
		return ""
	}
}
