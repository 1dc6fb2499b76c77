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
	"time"
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
// to Slack: over https to slack.com and its subdomains, and to the
// configured API URL's host with that URL's scheme; never across a
// redirect to another host or to another scheme.
type SlackFiles struct {
	token     string
	apiURL    string
	apiScheme string
	apiHost   string
	stall     time.Duration
	client    *http.Client
}

// NewSlackFiles returns a downloader using token; apiURL is SLACK_API_URL,
// whose host is trusted with the token too, with its scheme (a test's fake
// Slack on http://127.0.0.1). A download whose headers or next bytes take
// longer than stall is cut off (it ends with an error); 15 s when zero.
func NewSlackFiles(token, apiURL string, client *http.Client, stall time.Duration) *SlackFiles {
	u, _ := url.Parse(apiURL)
	if stall <= 0 {
		stall = 15 * time.Second
	}
	c := *client
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme || len(via) > 5 {
			return &FileError{Reason: "Slack redirected the download elsewhere, so the bot did not follow it"}
		}
		return nil
	}
	return &SlackFiles{token: token, apiURL: apiURL, apiScheme: u.Scheme, apiHost: u.Host, stall: stall, client: &c}
}

// maxInfoBytes bounds a files.info answer.
const maxInfoBytes = 1 << 20

// Info calls files.info for file id and returns Slack's answer as it is,
// for the caller to decode leniently: slack-go refuses file objects whose
// "channels", "groups" or "ims" are objects, as Slack sometimes sends them.
func (f *SlackFiles) Info(ctx context.Context, id string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, f.stall)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.apiURL+"files.info", strings.NewReader(url.Values{"file": {id}}.Encode()))
	if err != nil {
		return nil, fmt.Errorf("files.info: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+f.token)
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("files.info: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("files.info: Slack answered HTTP %d", resp.StatusCode)
	}
	return io.ReadAll(io.LimitReader(resp.Body, maxInfoBytes))
}

func (f *SlackFiles) trusted(u *url.URL) bool {
	if u.Host == f.apiHost && u.Scheme == f.apiScheme {
		return true
	}
	h := strings.ToLower(u.Hostname())
	return u.Scheme == "https" && (h == "slack.com" || strings.HasSuffix(h, ".slack.com"))
}

// Open starts downloading the file at rawURL. The caller closes the body.
// Errors are *FileError. The download is cut off when its headers, or
// its next bytes, take longer than the stall limit, and when ctx ends.
func (f *SlackFiles) Open(ctx context.Context, rawURL string) (io.ReadCloser, error) {
	u, err := url.Parse(rawURL)
	if err != nil || !f.trusted(u) {
		return nil, &FileError{Reason: "the file's address is not on Slack"}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		cancel(nil)
		return nil, &FileError{Reason: "the file's address is not valid"}
	}
	req.Header.Set("Authorization", "Bearer "+f.token)
	stalled := time.AfterFunc(f.stall, func() { cancel(errStalled) })
	resp, err := f.client.Do(req)
	if err != nil {
		cancel(nil)
		var fe *FileError
		switch {
		case errors.As(err, &fe):
			return nil, fe
		case errors.Is(context.Cause(ctx), errStalled):
			return nil, &FileError{Reason: fmt.Sprintf("Slack did not start sending the file within %s", f.stall)}
		case ctx.Err() != nil:
			return nil, &FileError{Reason: "the download took too long"}
		}
		return nil, &FileError{Reason: "Slack could not be reached to download it"}
	}
	if resp.StatusCode != http.StatusOK {
		cancel(nil)
		resp.Body.Close()
		return nil, &FileError{Reason: fmt.Sprintf("Slack answered HTTP %d to the download", resp.StatusCode)}
	}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct == "text/html" {
		cancel(nil)
		resp.Body.Close()
		return nil, errSignIn
	}
	stalled.Reset(f.stall)
	return &download{body: resp.Body, ctx: ctx, cancel: cancel, stalled: stalled, stall: f.stall}, nil
}

var errStalled = errors.New("the download stalled")

// download is a file's body that is cut off when no byte comes for stall.
type download struct {
	body    io.ReadCloser
	ctx     context.Context
	cancel  context.CancelCauseFunc
	stalled *time.Timer
	stall   time.Duration
}

func (d *download) Read(p []byte) (int, error) {
	n, err := d.body.Read(p)
	if n > 0 {
		d.stalled.Reset(d.stall)
	}
	if err != nil && err != io.EOF {
		switch {
		case errors.Is(context.Cause(d.ctx), errStalled):
			err = &FileError{Reason: fmt.Sprintf("the download from Slack stalled (no data for %s)", d.stall)}
		case d.ctx.Err() != nil:
			err = &FileError{Reason: "the download from Slack took too long"}
		}
	}
	return n, err
}

func (d *download) Close() error {
	d.stalled.Stop()
	d.cancel(nil)
	return d.body.Close()
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
