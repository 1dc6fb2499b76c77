package fakeslack

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Upload is one file uploaded with Slack's current upload API
// (files.getUploadURLExternal, a POST of the content to the URL it gave,
// files.completeUploadExternal), once completed.
type Upload struct {
	FileID   string
	Filename string
	Content  string
	Channel  string
	ThreadTS string
	Comment  string
}

// uploads are the fake's uploads under way and completed, and the users'
// time zones.
type uploads struct {
	mu        sync.Mutex
	seq       int
	names     map[string]string // file ID → name, once its URL was given
	contents  map[string]string // file ID → content, once posted
	completed []Upload
	zones     map[string]string // user ID → IANA time zone, for users.info
}

// SetUserTZ gives user (see AddUser) a time zone in users.info's answer.
func (s *Server) SetUserTZ(id, tz string) {
	s.uploads.mu.Lock()
	defer s.uploads.mu.Unlock()
	if s.uploads.zones == nil {
		s.uploads.zones = map[string]string{}
	}
	s.uploads.zones[id] = tz
}

func (s *Server) zone(id string) string {
	s.uploads.mu.Lock()
	defer s.uploads.mu.Unlock()
	return s.uploads.zones[id]
}

// Uploads returns the completed uploads, in order.
func (s *Server) Uploads() []Upload {
	s.uploads.mu.Lock()
	defer s.uploads.mu.Unlock()
	return append([]Upload(nil), s.uploads.completed...)
}

// serveUploads answers the upload API's methods; false for another method.
func (s *Server) serveUploads(w http.ResponseWriter, r *http.Request, method string, p map[string]string) bool {
	u := &s.uploads
	switch method {
	case "files.getUploadURLExternal":
		if p["filename"] == "" || p["length"] == "" || p["length"] == "0" {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_arguments"})
			return true
		}
		u.mu.Lock()
		u.seq++
		id := fmt.Sprintf("F0UP%05d", u.seq)
		if u.names == nil {
			u.names, u.contents = map[string]string{}, map[string]string{}
		}
		u.names[id] = p["filename"]
		u.mu.Unlock()
		writeJSON(w, map[string]any{"ok": true, "upload_url": fmt.Sprintf("http://%s/upload/%s", r.Host, id), "file_id": id})
	case "files.completeUploadExternal":
		var files []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		}
		if err := json.Unmarshal([]byte(p["files"]), &files); err != nil || len(files) != 1 {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_arguments"})
			return true
		}
		u.mu.Lock()
		content, ok := u.contents[files[0].ID]
		if ok {
			u.completed = append(u.completed, Upload{FileID: files[0].ID, Filename: u.names[files[0].ID], Content: content,
				Channel: p["channel_id"], ThreadTS: p["thread_ts"], Comment: p["initial_comment"]})
		}
		u.mu.Unlock()
		if !ok {
			writeJSON(w, map[string]any{"ok": false, "error": "file_not_found"})
			return true
		}
		writeJSON(w, map[string]any{"ok": true, "files": []map[string]any{{"id": files[0].ID, "title": files[0].Title}}})
	default:
		return false
	}
	return true
}

// serveUpload takes a file's content, posted (multipart, field "file") to
// the URL files.getUploadURLExternal gave.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	f, _, err := r.FormFile("file")
	if err != nil {
		http.Error(w, "no file", http.StatusBadRequest)
		return
	}
	b, _ := io.ReadAll(f)
	u := &s.uploads
	u.mu.Lock()
	_, known := u.names[id]
	if known {
		u.contents[id] = string(b)
	}
	u.mu.Unlock()
	if !known {
		http.Error(w, "unknown upload", http.StatusNotFound)
		return
	}
	_, _ = w.Write([]byte("OK - " + fmt.Sprint(len(b))))
}
